// SPDX-License-Identifier: MIT OR Apache-2.0
// newlib's malloc on rtalloc: compile this file into a newlib program (it
// needs libc_heap.hpp beside it and rtalloc's include/). It defines malloc,
// free, realloc, calloc, memalign, aligned_alloc, posix_memalign and
// malloc_usable_size, and newlib's reentrant _malloc_r family, which
// newlib's own functions (printf's buffers, for one) call, so newlib's
// allocator is never linked. Settings: libc_heap.hpp; README.md here.
#include "libc_heap.hpp"

extern "C" {
struct _reent;

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

void* _malloc_r(_reent*, std::size_t size) { return rtalloc::libc::allocate(size, 0); }
void _free_r(_reent*, void* p) { rtalloc::libc::deallocate(p); }
void* _realloc_r(_reent*, void* p, std::size_t size) { return rtalloc::libc::reallocate(p, size); }
void* _calloc_r(_reent*, std::size_t count, std::size_t size) {
  return rtalloc::libc::allocate_zeroed(count, size);
}
void* _memalign_r(_reent*, std::size_t align, std::size_t size) {
  return rtalloc::libc::allocate_aligned(align, size);
}
std::size_t _malloc_usable_size_r(_reent*, void* p) { return rtalloc::libc::usable_size(p); }
}
