// SPDX-License-Identifier: MIT OR Apache-2.0
// picolibc's malloc on rtalloc: compile this file into a picolibc program
// (it needs libc_heap.hpp beside it and rtalloc's include/). It defines
// malloc, free, realloc, calloc, memalign, aligned_alloc, posix_memalign,
// malloc_usable_size and reallocarray, every allocation function picolibc's
// own code calls, so picolibc's allocator is never linked. Settings:
// libc_heap.hpp; README.md here.
#include "libc_heap.hpp"

extern "C" {
void* malloc(std::size_t size) { return rtalloc::libc::allocate(size, 0); }
void free(void* p) { rtalloc::libc::deallocate(p); }
void* realloc(void* p, std::size_t size) { return rtalloc::libc::reallocate(p, size); }
void* calloc(std::size_t count, std::size_t size) {
  return rtalloc::libc::allocate_zeroed(count, size);
}
void* memalign(std::size_t align, std::size_t size) {
  return rtalloc::libc::allocate_aligned(align, size);
}
void* aligned_alloc(std::size_t align, std::size_t size) {
  return rtalloc::libc::allocate_aligned(align, size);
}
int posix_memalign(void** out, std::size_t align, std::size_t size) {
  return rtalloc::libc::allocate_aligned_into(out, align, size);
}
std::size_t malloc_usable_size(void* p) { return rtalloc::libc::usable_size(p); }
void* reallocarray(void* p, std::size_t count, std::size_t size) {
  if (size != 0 && count > SIZE_MAX / size) {
    errno = ENOMEM;
    return nullptr;
  }
  return rtalloc::libc::reallocate(p, count * size);
}
}
