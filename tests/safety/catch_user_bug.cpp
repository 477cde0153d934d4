// SPDX-License-Identifier: MIT OR Apache-2.0
// A program with a deliberate bug inside a pool, for the memory checker the
// build uses: `overflow` writes one byte past a block, `use-after-free` reads
// a freed block, `clean` does the same work without the bug. CTest runs it
// and passes when the checker's report (on stderr) names the bug, or, for
// `clean`, when there is none: the checker sees inside pools what it sees
// with malloc. The second argument picks the block: `tlsf` (a Tlsf block) or
// `slab` (an object of a SmallObjects slab, whose neighbour in the slab is
// live too: the redzone after each object catches the overflow).
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <rtalloc/small_objects.hpp>
#include <rtalloc/tlsf.hpp>

namespace {

alignas(16) std::byte arena[64 * 1024];

template <class Heap>
int run(Heap& heap, const char* mode) {
  if (heap.add_pool(arena, sizeof arena) == 0) return 2;
  auto* block = static_cast<volatile char*>(heap.allocate(24));
  void* neighbour = heap.allocate(24);
  if (block == nullptr || neighbour == nullptr) return 2;
  const std::size_t usable = heap.usable_size(const_cast<char*>(block));
  for (std::size_t i = 0; i < usable; ++i) block[i] = 'x';
  int seen = 0;
  if (std::strcmp(mode, "overflow") == 0) {
    block[usable] = 'y';  // the bug: one byte past the block (a header, or a redzone)
    std::printf("%s: done\n", mode);
    return 0;  // the neighbour's header is damaged: no more heap calls
  } else if (std::strcmp(mode, "use-after-free") == 0) {
    heap.deallocate(const_cast<char*>(block));
    seen = block[8];  // the bug: a read of freed memory
  } else if (std::strcmp(mode, "clean") == 0) {
    seen = block[usable - 1];
    heap.deallocate(const_cast<char*>(block));
  } else {
    return 2;
  }
  heap.deallocate(neighbour);
  std::printf("%s: done (%d)\n", mode, seen);
  return 0;
}

rtalloc::Tlsf<> tlsf;
rtalloc::SmallObjects<> small_objects;

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  if (std::strcmp(argv[2], "tlsf") == 0) return run(tlsf, argv[1]);
  if (std::strcmp(argv[2], "slab") == 0) return run(small_objects, argv[1]);
  return 2;
}
