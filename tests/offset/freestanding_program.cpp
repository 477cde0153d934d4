// SPDX-License-Identifier: MIT OR Apache-2.0
// Built without exceptions or RTTI and linked without the C++ runtime: if
// OffsetHeap needed anything from libstdc++, this program would not link. It
// also uses a constant-initialized static heap.
#include <rtalloc/offset_heap.hpp>
constinit static rtalloc::OffsetHeap<256> heap;
int main() {
  const auto range = heap.add_range(0, std::uint64_t{48} << 30);
  if (!range) return 1;
  const auto a = heap.allocate(100);
  const auto b = heap.allocate(std::uint64_t{5} << 30, 4096);
  if (!a || !b || heap.resize(a.handle, 50) != rtalloc::OffsetError::none) return 2;
  heap.free(b.handle);
  heap.free(a.handle);
  return heap.check() && heap.stats().used_blocks == 0 &&
                 heap.remove_range(range.range) == rtalloc::OffsetError::none
             ? 0
             : 3;
}
