// SPDX-License-Identifier: MIT OR Apache-2.0
// Built without exceptions or RTTI and linked without the C++ runtime (only
// the C library, for memcpy): if the heap needed anything from libstdc++,
// this program would not link. It also exercises a constant-initialized
// static heap.
#include <rtalloc/tlsf.hpp>
alignas(16) static std::byte arena[16384];
constinit static rtalloc::TlsfSmall heap;
int main() {
  if (heap.add_pool(arena, sizeof arena) == 0) return 1;
  void* a = heap.allocate(100);
  void* b = heap.allocate(200, 64);
  a = heap.reallocate(a, 1000);
  heap.deallocate(b);
  heap.deallocate(a);
  return heap.check() && heap.stats().used_blocks == 0 ? 0 : 2;
}
