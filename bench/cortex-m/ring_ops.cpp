// SPDX-License-Identifier: MIT OR Apache-2.0
// ring_ops: the ring benchmark on the Cortex-M4, for counting the
// instructions of each heap operation (scripts/ring_instructions.sh). A ring
// of live blocks; each step frees the oldest block and allocates a new one
// of a random size in the range. One run per size range (1-8, 16-31, 32-63,
// 64-127 and 128-255 bytes), each on a fresh heap: TlsfSmall over a 48 KiB
// pool, as built by the cortex-m4 preset (-Os, so the compact forms).
//
// Every counted operation is bracketed by calls to ring_mark_allocate or
// ring_mark_free and ring_mark_done, and every run begins with a call to
// ring_mark_range: empty functions kept out of line. The
// script reads QEMU's log of executed instructions, which names the
// function of each, and counts the instructions inside the heap's functions
// between a mark and the next ring_mark_done. The fill of the ring before
// the steps is not marked. Without the script it runs as a quick test
// (ctest: bench_ring_ops): every operation must succeed and the heap must
// pass check() after each run.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <rtalloc/tlsf.hpp>

#include "../../tests/model/model_support.hpp"

extern "C" {
// The marks. noinline and with a side effect the optimizer cannot remove,
// so that each is a call to a function of its own.
[[gnu::noinline]] void ring_mark_allocate() { asm volatile(""); }
[[gnu::noinline]] void ring_mark_free() { asm volatile(""); }
[[gnu::noinline]] void ring_mark_done() { asm volatile(""); }
[[gnu::noinline]] void ring_mark_range() { asm volatile(""); }  // a run (size range) begins
}

namespace {

constexpr std::size_t ring_length = 128;
constexpr std::size_t steps = 1000;

struct Range {
  std::size_t low, high;  // bytes, inclusive
};
constexpr Range ranges[] = {{1, 8}, {16, 31}, {32, 63}, {64, 127}, {128, 255}};

alignas(16) std::byte pool[48 * 1024];

// One run: fill the ring, then `steps` steps. False if an operation failed.
bool run(const Range& range, std::uint64_t seed) {
  ring_mark_range();
  rtalloc::TlsfSmall heap;
  if (heap.add_pool(pool, sizeof pool) == 0) return false;
  rtalloc::test::Random random(seed);
  const auto size = [&] { return range.low + random.below(range.high - range.low + 1); };
  void* ring[ring_length];
  for (void*& slot : ring) {
    slot = heap.allocate(size());
    if (slot == nullptr) return false;
  }
  std::size_t oldest = 0;
  for (std::size_t step = 0; step < steps; ++step) {
    const std::size_t request = size();
    ring_mark_free();
    heap.deallocate(ring[oldest]);
    ring_mark_done();
    ring_mark_allocate();
    void* block = heap.allocate(request);
    ring_mark_done();
    if (block == nullptr) return false;
    ring[oldest] = block;
    oldest = (oldest + 1) % ring_length;
  }
  for (void* block : ring) heap.deallocate(block);
  return heap.check() && heap.stats().used_blocks == 0;
}

}  // namespace

int main() {
  int passed = 0;
  int failed = 0;
  for (const Range& range : ranges) {
    std::printf("ring: sizes %u-%u bytes\n", static_cast<unsigned>(range.low),
                static_cast<unsigned>(range.high));
    if (run(range, 0x5EED0000ULL + range.low)) {
      ++passed;
    } else {
      ++failed;
      std::printf("FAILED: ring of sizes %u-%u\n", static_cast<unsigned>(range.low),
                  static_cast<unsigned>(range.high));
    }
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
