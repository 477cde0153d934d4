// SPDX-License-Identifier: MIT OR Apache-2.0
// The other half of the configuration-mismatch test: a program that makes a heap, allocates from it
// itself and through heap_elsewhere.cpp, and exits 0 only if every allocation succeeded and the
// heap is sound. Built with the default settings (RTALLOC_STATS=1).
#include <cstddef>
#include <cstdio>
#include <rtalloc/tlsf.hpp>

#include "heap_elsewhere.hpp"

namespace {
alignas(16) std::byte memory[64 * 1024];
rtalloc::Tlsf<> heap;
}  // namespace

int main() {
  if (heap.add_pool(memory, sizeof memory) == 0) return 1;
  int failures = 0;
  for (int i = 0; i < 16; ++i) {
    void* here = heap.allocate(64);
    void* there = allocate_elsewhere(heap, 64);
    if (here == nullptr || there == nullptr) ++failures;
    deallocate_elsewhere(heap, here);
    heap.deallocate(there);
  }
  const bool sound = heap.check();
  std::printf("%d of 16 rounds failed; heap %s\n", failures, sound ? "sound" : "corrupted");
  return failures == 0 && sound ? 0 : 1;
}
