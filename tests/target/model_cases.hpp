// SPDX-License-Identifier: MIT OR Apache-2.0
// The model runs that both harnesses execute: models_test.cpp under
// GoogleTest on the host, target_tests.cpp on a bare-metal Cortex-M4. Each
// case builds its allocator over static memory and runs one model with the
// given seed.
#pragma once

#include <cstddef>
#include <cstdint>

#include "../model/heap_model.hpp"
#include "../model/model_support.hpp"
#include "../model/tlsf_policy.hpp"
#include "bytes_model.hpp"
#include "handle_model.hpp"
#include "rtalloc/pools/byte_buffer.hpp"
#include "rtalloc/pools/handle_pool.hpp"
#include "rtalloc/tlsf.hpp"

namespace rtalloc::test {

struct ModelCase {
  const char* id;  // a C identifier, for test names
  const char* name;
  ModelResult (*run)(std::uint64_t seed, std::size_t operations);
};

/// TlsfSmall, the microcontroller configuration, over a 48 KiB pool at a
/// random misalignment, through the heap model (tests/model/heap_model.hpp):
/// allocate, aligned allocate (alignments 1 to 256), reallocate and free of
/// random sizes, now and then a misuse or freeing everything. For the
/// target's time, check() runs every 8 operations, walk() and every block's
/// contents every 64.
inline ModelResult run_tlsf_small(std::uint64_t seed, std::size_t operations) {
  alignas(16) static std::byte memory[48 * 1024];
  TlsfSmall heap;
  HeapModel<TlsfSmall, TlsfPolicy<TlsfSmall>, 48> model(heap, {}, {8, 64, 64});
  Random random(seed);
  const std::size_t offset = random.below(8);  // any alignment of the pool is accepted
  const std::size_t bytes = sizeof memory - offset;
  if (const ModelResult added = model.add_pool(memory + offset, bytes, bytes); !added.passed) {
    return added;
  }
  const auto size = [&random] {
    const std::size_t kind = random.below(20);
    if (kind < 14) return random.below(64);
    if (kind < 19) return random.below(1024);
    return random.below(sizeof memory / 3);
  };
  const auto pick = [&random] { return static_cast<std::size_t>(random.next()); };
  for (std::size_t i = 0; i < operations; ++i) {
    const std::size_t choice = random.below(10);
    ModelResult step;
    if (random.one_in(400)) {
      step = model.free_all();
    } else if (random.one_in(500)) {
      step = model.misuse(static_cast<Misuse>(random.below(5)), pick(), pick());
    } else if (choice < 5 && !model.shadow().full()) {
      step = choice < 4 ? model.allocate(size())
                        : model.allocate(size(), std::size_t{1} << random.below(9));
    } else if (choice < 7) {
      step = model.reallocate(pick(), size());
    } else {
      step = model.deallocate(pick());
    }
    if (!step.passed) return step;
  }
  return model.free_all();
}

/// Blocks of up to 32 bytes in 64 slots, inside the pool object.
inline ModelResult run_handle_pool(std::uint64_t seed, std::size_t operations) {
  using Pool = HandlePool<32, 64>;
  Pool pool;
  HandleModel<Pool> model(pool, seed);
  return model.run(operations);
}

/// A ByteDeque of 16-byte chunks from a pool of 32 chunks.
inline ModelResult run_byte_deque(std::uint64_t seed, std::size_t operations) {
  using Model = BytesModel<16>;
  using Pool = Model::Pool;
  alignas(16) static std::byte memory[Pool::control_bytes + 32 * (Pool::slot_size + 4) + 64];
  Pool pool(memory, sizeof memory);
  Model model(pool, seed);
  return model.run(operations);
}

inline constexpr ModelCase model_cases[] = {
    {"tlsf_small", "TlsfSmall random model", run_tlsf_small},
    {"handle_pool", "HandlePool random model", run_handle_pool},
    {"byte_deque", "ByteDeque random model", run_byte_deque},
};

}  // namespace rtalloc::test
