// SPDX-License-Identifier: MIT OR Apache-2.0
// A program built against rtalloc the way a user's project builds it: it only includes
// <rtalloc/tlsf.hpp>, and gets the include path and C++20 from the target rtalloc::rtalloc (or,
// with pkg-config, from `pkg-config --cflags rtalloc` and -std=c++20).
#include <cstddef>
#include <cstdio>
#include <rtalloc/tlsf.hpp>

namespace {

alignas(16) std::byte arena[64 * 1024];
rtalloc::Tlsf<> heap;

}  // namespace

int main() {
  if (heap.add_pool(arena, sizeof arena) == 0) return 1;
  void* message = heap.allocate(200);
  void* buffer = heap.allocate(1024, 64);
  if (message == nullptr || buffer == nullptr) return 1;
  heap.deallocate(buffer);
  heap.deallocate(message);
  if (heap.stats().used_blocks != 0 || !heap.check()) return 1;
  std::puts("rtalloc C++ consumer: ok");
  return 0;
}
