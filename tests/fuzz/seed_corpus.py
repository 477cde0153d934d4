#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/): short operation
sequences, several per configuration, that reach every operation of each target's decoder.
The fuzzers grow their own corpora from these; rerun after changing a decoder."""
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))


def word(value):
    return bytes([value & 0xFF, (value >> 8) & 0xFF])


def size(n, big=False):
    """A size as Input::size() decodes it: kind < 160 gives n % 256, else a power-of-two range."""
    if not big:
        return bytes([0]) + word(n % 256)
    return bytes([160 + 15]) + word(n)  # n % 2^15


def allocate(n, big=False):
    return bytes([0]) + size(n, big)


def allocate_aligned(n, log2_align):
    return bytes([4]) + size(n) + bytes([log2_align])


def reallocate(pick, n, big=False):
    return bytes([5]) + word(pick) + size(n, big)


def deallocate(pick):
    return bytes([7]) + word(pick)


MISUSES = {"double_free": 0, "foreign": 1, "interior": 2, "misaligned": 3}


def misuse(kind, pick, variant=0):
    """Case 10: kind and variant in one byte (kind + 4 * variant; variant % 3 picks deallocate,
    reallocate or usable_size), then the block."""
    return bytes([10, MISUSES[kind] + 4 * variant]) + word(pick)


def double_free(pick):
    return misuse("double_free", pick)


def add_pool(bytes_choice, misalignment):
    return bytes([11]) + word(bytes_choice) + bytes([misalignment])


def extend_pool(which, n):
    return bytes([12, which]) + word(n)


def remove_pool(which):
    return bytes([13, which])


def reset():
    return bytes([14, 0])


def bad_alignment(n, align):
    return bytes([14, 200]) + size(n) + word(align)


def verify_contents():
    return bytes([15])


def huge(kind):
    return bytes([0, 240 + kind]) + word(7)


def write(name, config, pool, ops, target="tlsf"):
    path = os.path.join(HERE, "corpus", target, name)
    with open(path, "wb") as out:
        out.write(bytes([config]) + word(pool[0]) + bytes([pool[1]]) + b"".join(ops))


def pool_ops(rng, count, allocate_op, free_op, misuse_op, verify_op):
    """Random allocate / free / misuse / verify bytes for slab_fuzz and handle_fuzz."""
    ops = []
    for _ in range(count):
        roll = rng.randrange(10)
        if roll < 5:
            ops.append(bytes([allocate_op]) + word(rng.randrange(1 << 16)))
        elif roll < 8:
            ops.append(bytes([free_op]) + word(rng.randrange(1 << 16)))
        elif roll < 9:
            ops.append(bytes([misuse_op, rng.randrange(256)]) + word(rng.randrange(1 << 16)) +
                       word(rng.randrange(1 << 16)))
        else:
            ops.append(bytes([verify_op]))
    return ops


# offset_fuzz: operations as its step() decodes them (the opcode is the byte modulo 16).
def o_size(n, kind=0):
    """kind < 120: (n % 512) * granule / 8; 120-199: (n + 1) << (kind % 30); 200-229: the
    largest free or allocatable size, one granule either side; 230-244: 2^(32 + kind % 8);
    245 and up: beyond the offset space."""
    return bytes([kind]) + word(n)


def o_range(slot, length_word, shift, misalign=None):
    head = bytes([slot, 0, misalign]) if misalign is not None else bytes([slot, 1])
    return head + word(length_word) + bytes([shift])


def o_allocate(size_bytes, align_byte=0):
    return bytes([0]) + size_bytes + bytes([align_byte])


def o_exact(pick):
    return bytes([4]) + word(pick)


def o_free(pick):
    return bytes([5]) + word(pick)


def o_resize(pick, size_bytes):
    return bytes([8]) + word(pick) + size_bytes


def o_stale(pick):
    return bytes([9]) + word(pick)


def o_any_handle(value):
    return bytes([10]) + b"".join(word(value >> shift) for shift in (48, 32, 16, 0))


def o_add_range(slot, length_word, shift, misalign=None):
    return bytes([11]) + o_range(slot, length_word, shift, misalign)


def o_extend(which, quarter_granules):
    return bytes([12, which]) + word(quarter_granules)


def o_remove(which):
    return bytes([13, which])


def o_stale_range(which):
    return bytes([14, which])


def write_offset(name, config, ops, misalignment=0):
    """The configuration byte, for caller-memory configurations (1 and 2) the records'
    misalignment, the first range (slot 0), then the operations."""
    path = os.path.join(HERE, "corpus", "offset", name)
    first = o_range(1, 4000, 10)[1:]  # add_range(0) reads no slot byte
    with open(path, "wb") as out:
        extra = bytes([misalignment]) if config in (1, 2) else b""
        out.write(bytes([config]) + extra + first + b"".join(ops))


def offset_corpus(rng):
    for config in range(4):
        write_offset(f"basic-{config}", config,
                     [o_allocate(o_size(100)), o_allocate(o_size(7, 130)), o_free(0),
                      o_allocate(o_size(0)), o_resize(0, o_size(300)), o_resize(1, o_size(1)),
                      o_free(1), o_free(0), o_free(0)], config)
        write_offset(f"aligned-{config}", config,
                     [o_allocate(o_size(50), 136 + 12), o_allocate(o_size(3, 150), 136 + 20),
                      o_allocate(o_size(1), 136 + 30), o_exact(0), o_free(1), o_exact(1),
                      o_allocate(o_size(10), 136 + 47)])
        write_offset(f"ranges-{config}", config,
                     [o_add_range(3, 500, 20), o_add_range(5, 60000, 26, 7),
                      o_allocate(o_size(9, 160)), o_extend(0, 4000), o_extend(1, 3),
                      o_remove(0), o_stale_range(0), o_add_range(3, 10, 2), o_remove(2),
                      o_allocate(o_size(1, 235)), o_free(0), o_remove(1)])
        write_offset(f"misuse-{config}", config,
                     [o_allocate(o_size(64)), o_free(0), o_stale(0), o_any_handle(0),
                      o_any_handle(0x0000_0400_0000_0002), o_allocate(o_size(8), 128),
                      o_allocate(o_size(8), 129), o_allocate(o_size(1, 250)),
                      o_allocate(o_size(1, 251)), o_add_range(0, 10, 1), o_stale_range(5)])
        write_offset(f"edges-{config}", config,
                     [o_allocate(o_size(1, 200)), o_free(0), o_allocate(o_size(1, 201)),
                      o_allocate(o_size(2, 202)), o_exact(0), o_free(0), o_exact(0)])
        ops = []
        for _ in range(150):
            roll = rng.randrange(10)
            if roll < 4:
                ops.append(o_allocate(o_size(rng.randrange(1 << 16), rng.randrange(200)),
                                      rng.choice([0, 0, 0, 140, 150, 160])))
            elif roll < 5:
                ops.append(o_exact(rng.randrange(1 << 16)))
            elif roll < 8:
                ops.append(o_free(rng.randrange(1 << 16)))
            elif roll < 9:
                ops.append(o_resize(rng.randrange(1 << 16), o_size(rng.randrange(1 << 16))))
            else:
                ops.append(o_stale(rng.randrange(1 << 16)))
        write_offset(f"random-{config}", config, ops, rng.randrange(8))


def main():
    for target in ("tlsf", "slab", "handle", "offset"):
        os.makedirs(os.path.join(HERE, "corpus", target), exist_ok=True)
    rng = random.Random(8)
    for config in range(4):  # slab_fuzz: slot type, memory bytes, misalignment, then operations
        for memory in (300, 4000):
            write(f"slab-{config}-{memory}", config, (memory, config * 3),
                  pool_ops(rng, 150, 0, 2, 4, 5), "slab")
    for config in range(3):  # handle_fuzz: layout, memory bytes, misalignment, then operations
        for memory in (600, 9000):
            write(f"handle-{config}-{memory}", config, (memory, config * 5),
                  pool_ops(rng, 200, 0, 2, 4, 5), "handle")
    for config in range(6):  # tlsf_fuzz: 0-3 Tlsf, 4-5 SmallObjects
        write(f"basic-{config}", config, (4000, 0),
              [allocate(24), allocate(100), allocate(0), deallocate(1), allocate(40),
               reallocate(0, 200), verify_contents(), deallocate(0), deallocate(0)])
        write(f"aligned-{config}", config, (30000, 3),
              [allocate_aligned(100, 6), allocate_aligned(10, 12), allocate(50),
               reallocate(0, 3000, True), deallocate(2), allocate_aligned(1, 16), verify_contents()])
        write(f"pools-{config}", config, (1000, 7),
              [add_pool(20000, 13), allocate(3000, True), extend_pool(0, 2000), extend_pool(1, 5),
               deallocate(0), remove_pool(0), remove_pool(1), add_pool(500, 1), allocate(80),
               reset(), allocate(10)])
        write(f"misuse-{config}", config, (8000, 0),
              [allocate(64), allocate(64), double_free(0), bad_alignment(10, 3),
               bad_alignment(10, 0), huge(0), huge(1), huge(2), allocate(64), double_free(1),
               allocate(200), misuse("double_free", 0, 1), allocate(200),
               misuse("double_free", 1, 2), allocate(100), misuse("foreign", 0, 0),
               misuse("foreign", 0, 1), misuse("foreign", 0, 2), misuse("interior", 0, 0),
               misuse("interior", 1, 1), misuse("interior", 0, 2), misuse("misaligned", 0, 0),
               misuse("misaligned", 1, 4), misuse("misaligned", 0, 8), verify_contents()])
        ops = []
        for _ in range(120):
            choice = rng.randrange(6)
            if choice < 2:
                ops.append(allocate(rng.randrange(1 << 12), rng.random() < 0.3))
            elif choice == 2:
                ops.append(reallocate(rng.randrange(1 << 16), rng.randrange(1 << 12), True))
            elif choice == 3:
                ops.append(allocate_aligned(rng.randrange(256), rng.randrange(12)))
            else:
                ops.append(deallocate(rng.randrange(1 << 16)))
        write(f"random-{config}", config, (60000, 5), ops)
    offset_corpus(random.Random(21))


if __name__ == "__main__":
    main()
