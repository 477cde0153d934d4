// SPDX-License-Identifier: MIT OR Apache-2.0
// The heap behind the C library ports (newlib.cpp, picolibc.cpp beside
// this file): one rtalloc heap over a static region, behind a lock, and the
// bodies of malloc, free, realloc, calloc, memalign, aligned_alloc,
// posix_memalign and malloc_usable_size that both ports define. See
// README.md here for the settings.
//
//   RTALLOC_LIBC_HEAP_BYTES  a static array of this many bytes is the heap
//                            (default: none, the linker's free RAM below)
//   RTALLOC_LIBC_HEAP_START, RTALLOC_LIBC_HEAP_END
//                            the linker symbols bounding the free RAM
//                            (default __heap_start, __heap_end)
//   RTALLOC_LIBC_LOCK        the lock type (default rtalloc::InterruptLock
//                            on Arm M-profile cores, else rtalloc::NoLock)
//   RTALLOC_LIBC_HEAP        the heap type (default rtalloc::Tlsf<>)
//
// The region becomes the heap's pool on the first call, under the lock, so
// that malloc works from the first instruction that calls it, constructors
// and the C library's own start-up included.
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <rtalloc/global_heap.hpp>
#include <rtalloc/sync/synchronized.hpp>
#include <rtalloc/tlsf.hpp>

#ifndef RTALLOC_LIBC_LOCK
#if defined(__ARM_ARCH_PROFILE) && __ARM_ARCH_PROFILE == 'M'
#include <rtalloc/sync/interrupt_lock.hpp>
#define RTALLOC_LIBC_LOCK rtalloc::InterruptLock
#else
#define RTALLOC_LIBC_LOCK rtalloc::NoLock
#endif
#endif

#ifndef RTALLOC_LIBC_HEAP
#define RTALLOC_LIBC_HEAP rtalloc::Tlsf<>
#endif

#ifndef RTALLOC_LIBC_HEAP_START
#define RTALLOC_LIBC_HEAP_START __heap_start
#endif
#ifndef RTALLOC_LIBC_HEAP_END
#define RTALLOC_LIBC_HEAP_END __heap_end
#endif

#ifndef RTALLOC_LIBC_HEAP_BYTES
extern "C" std::byte RTALLOC_LIBC_HEAP_START[], RTALLOC_LIBC_HEAP_END[];
#endif

namespace rtalloc::libc {

struct HeapTag {};
using Heap = GlobalHeap<RTALLOC_LIBC_LOCK, RTALLOC_LIBC_HEAP, HeapTag>;

#ifdef RTALLOC_LIBC_HEAP_BYTES
alignas(alignof(std::max_align_t)) inline std::byte region[RTALLOC_LIBC_HEAP_BYTES];
#endif

// Whether the region is the heap's pool yet (under the lock).
inline constinit bool region_added = false;

// Runs f(heap) under the lock, adding the region first on the first call.
// O(1) plus f.
template <class F>
auto with_heap(F&& f) noexcept {
  return Heap::with_heap([&](RTALLOC_LIBC_HEAP& heap) {
    if (!region_added) [[unlikely]] {
      region_added = true;
#ifdef RTALLOC_LIBC_HEAP_BYTES
      heap.add_pool(region, sizeof region);
#else
      heap.add_pool(RTALLOC_LIBC_HEAP_START,
                    static_cast<std::size_t>(RTALLOC_LIBC_HEAP_END - RTALLOC_LIBC_HEAP_START));
#endif
    }
    return f(heap);
  });
}

/// malloc and memalign: nullptr and errno ENOMEM when nothing fits. O(1).
inline void* allocate(std::size_t size, std::size_t align) noexcept {
  void* p = with_heap([=](auto& heap) {
    return align <= alignof(std::max_align_t) ? heap.allocate(size) : heap.allocate(size, align);
  });
  if (p == nullptr) errno = ENOMEM;
  return p;
}

/// free: nullptr is a no-op. O(1).
inline void deallocate(void* p) noexcept {
  if (p != nullptr) with_heap([=](auto& heap) { heap.deallocate(p); });
}

/// realloc: keeps `p` on failure. O(1) plus the copy of a moved block.
inline void* reallocate(void* p, std::size_t size) noexcept {
  void* q = with_heap([=](auto& heap) { return heap.reallocate(p, size); });
  if (q == nullptr) errno = ENOMEM;
  return q;
}

/// calloc: nullptr on overflow or when nothing fits. O(1) plus the zeroing.
inline void* allocate_zeroed(std::size_t count, std::size_t size) noexcept {
  if (size != 0 && count > SIZE_MAX / size) {
    errno = ENOMEM;
    return nullptr;
  }
  void* p = allocate(count * size, 0);
  if (p != nullptr) std::memset(p, 0, count * size);
  return p;
}

/// aligned_alloc and memalign: an alignment that is not a power of two
/// gives nullptr and EINVAL. O(1).
inline void* allocate_aligned(std::size_t align, std::size_t size) noexcept {
  if (align == 0 || (align & (align - 1)) != 0) {
    errno = EINVAL;
    return nullptr;
  }
  return allocate(size, align);
}

/// posix_memalign: EINVAL for an alignment that is not a power of two
/// multiple of sizeof(void*), ENOMEM when nothing fits (*out unchanged).
inline int allocate_aligned_into(void** out, std::size_t align, std::size_t size) noexcept {
  if (align < sizeof(void*) || (align & (align - 1)) != 0) return EINVAL;
  const int saved = errno;
  void* p = allocate(size, align);
  errno = saved;
  if (p == nullptr) return ENOMEM;
  *out = p;
  return 0;
}

/// malloc_usable_size: 0 for nullptr. O(1).
inline std::size_t usable_size(void* p) noexcept {
  return with_heap([=](auto& heap) { return heap.usable_size(p); });
}

}  // namespace rtalloc::libc
