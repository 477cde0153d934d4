// SPDX-License-Identifier: MIT OR Apache-2.0
// librtalloc_malloc: the C malloc family and every C++ operator new and
// delete, over one process-wide rtalloc heap (docs/malloc.md).
//
// The heap is a GlobalHeap<MallocLock, FlexTlsf<OsPages>>: a TLSF heap that
// grows from OS pages, behind one mutex. Everything here follows glibc's
// contracts; where glibc's behaviour is a choice, the comment says which.
//
// Built with hidden visibility: only the functions below are exported, so
// a program that uses rtalloc's headers itself keeps its own error handler
// and heaps.
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <rtalloc/malloc.h>
#include <stdlib.h>
#include <unistd.h>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <new>
#include <rtalloc/detail/bits.hpp>
#include <rtalloc/flex_tlsf.hpp>
#include <rtalloc/global_heap.hpp>
#include <rtalloc/hosted/os_pages.hpp>

#include "options.hpp"
#include "statistics.hpp"

#define RTALLOC_EXPORT __attribute__((visibility("default")))

namespace {

// A pthread mutex, constant-initialized; after fork() the child, which has
// one thread, starts from a fresh unlocked mutex (see the fork handlers).
class MallocLock {
 public:
  constexpr MallocLock() noexcept = default;
  void lock() noexcept { pthread_mutex_lock(&mutex_); }
  void unlock() noexcept { pthread_mutex_unlock(&mutex_); }
  void reinitialize() noexcept { pthread_mutex_init(&mutex_, nullptr); }

 private:
  pthread_mutex_t mutex_ = PTHREAD_MUTEX_INITIALIZER;
};

using Heap = rtalloc::GlobalHeap<MallocLock, rtalloc::FlexTlsf<rtalloc::OsPages>>;
using Tlsf = rtalloc::Tlsf<>;

// Frees of at least options().discard_threshold bytes give the pages inside
// them back to the system at once. Smaller free blocks keep their pages until
// malloc_trim(): a block discarded and soon reused costs a page fault per
// page, which made the clang-format trace 4 times slower with a 256 KiB
// threshold (the default, 32 MiB, is in options.hpp).
std::size_t discard_threshold(const rtalloc::malloc_support::Options& options) noexcept {
  return options.discard_threshold == 0 ? rtalloc::FlexTlsf<rtalloc::OsPages>::no_auto_discard
                                        : options.discard_threshold;
}

// glibc aborts on a double or invalid free; so do we, saying why.
void report_and_abort(const rtalloc::ErrorInfo& info) noexcept {
  char line[160];
  const int length = std::snprintf(line, sizeof line, "rtalloc malloc: %s (%s) at %p\n",
                                   rtalloc::to_string(info.code), info.message, info.address);
  if (length > 0) {
    const auto bytes = static_cast<std::size_t>(length) < sizeof line
                           ? static_cast<std::size_t>(length)
                           : sizeof line - 1;
    [[maybe_unused]] const ssize_t written = write(STDERR_FILENO, line, bytes);
  }
  abort();
}

void before_fork() noexcept { Heap::lock().lock(); }
void after_fork_in_parent() noexcept { Heap::lock().unlock(); }
void after_fork_in_child() noexcept { Heap::lock().reinitialize(); }

// Runs when the library is loaded, before main(); malloc works before it
// too (the heap is constant-initialized), with these settings missing.
__attribute__((constructor)) void set_up() noexcept {
  rtalloc::set_error_handler(report_and_abort);
  const rtalloc::malloc_support::Options& options = rtalloc::malloc_support::options();
  rtalloc::malloc_support::prepare_exit_report(options);
  const std::size_t threshold = discard_threshold(options);
  Heap::with_heap([threshold](auto& heap) { heap.set_auto_discard(threshold); });
  pthread_atfork(before_fork, after_fork_in_parent, after_fork_in_child);
}

// The heap check and statistics the environment asks for (statistics.cpp).
__attribute__((destructor)) void report_at_exit() noexcept {
  rtalloc::malloc_support::report_at_exit();
}

void* failed() noexcept {
  errno = ENOMEM;
  return nullptr;
}

void* allocate(std::size_t size) noexcept {
  void* p = Heap::allocate(size);
  return p != nullptr ? p : failed();
}

// Every aligned request goes through here; `align` is a power of two, or 0
// for "no more than malloc's alignment" (plain operator new).
void* allocate_with_alignment(std::size_t size, std::size_t align) noexcept {
  return align <= Tlsf::alignment ? Heap::allocate(size) : Heap::allocate(size, align);
}

void* allocate_aligned(std::size_t align, std::size_t size) noexcept {
  void* p = allocate_with_alignment(size, align);
  return p != nullptr ? p : failed();
}

std::size_t page_size() noexcept { return rtalloc::OsPages::page_size(); }

// operator new: retry through the new-handler, else throw std::bad_alloc.
void* new_or_throw(std::size_t size, std::size_t align) {
  for (;;) {
    if (void* p = allocate_with_alignment(size, align)) return p;
    std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}

void* new_or_null(std::size_t size, std::size_t align) noexcept {
  try {
    return new_or_throw(size, align);
  } catch (...) {
    return nullptr;
  }
}

}  // namespace

// The one heap's figures, for every statistics function (statistics.cpp).
void rtalloc::malloc_support::collect_figures(MallocFigures& figures) noexcept {
  const rtalloc::FlexTlsfStats stats = Heap::with_heap([](auto& heap) { return heap.stats(); });
  figures.heaps = 1;
  figures.reserved = stats.held;
  figures.resident = MallocFigures::unknown;
  figures.heap_bytes = stats.heap.capacity;
  figures.used_bytes = stats.heap.used;
  figures.free_bytes = stats.heap.free;
  figures.used_blocks = stats.heap.used_blocks;
  figures.free_blocks = stats.heap.free_blocks;
  figures.largest_free = stats.heap.largest_free;
  figures.regions = stats.region_count;
  figures.peak_used = stats.heap.peak_used;
  figures.growths = stats.growths;
  figures.discarded = stats.discarded;
}

// ---- The C allocation functions ---------------------------------------------------------------

extern "C" {

RTALLOC_EXPORT void* malloc(std::size_t size) noexcept { return allocate(size); }

RTALLOC_EXPORT void free(void* p) noexcept { Heap::deallocate(p); }

RTALLOC_EXPORT void* calloc(std::size_t count, std::size_t size) noexcept {
  std::size_t bytes;
  if (__builtin_mul_overflow(count, size, &bytes)) return failed();
  void* p = allocate(bytes);
  if (p != nullptr) std::memset(p, 0, bytes);
  return p;
}

// As glibc: realloc(p, 0) frees p and returns NULL; on failure p is kept.
RTALLOC_EXPORT void* realloc(void* p, std::size_t size) noexcept {
  if (p == nullptr) return allocate(size);
  if (size == 0) {
    Heap::deallocate(p);
    return nullptr;
  }
  void* moved = Heap::reallocate(p, size);
  return moved != nullptr ? moved : failed();
}

RTALLOC_EXPORT void* reallocarray(void* p, std::size_t count, std::size_t size) noexcept {
  std::size_t bytes;
  if (__builtin_mul_overflow(count, size, &bytes)) return failed();
  return realloc(p, bytes);
}

// As glibc: an alignment that is not a power of two is rounded up to one.
RTALLOC_EXPORT void* memalign(std::size_t align, std::size_t size) noexcept {
  if (align > (std::numeric_limits<std::size_t>::max() >> 1) + 1) {
    errno = EINVAL;
    return nullptr;
  }
  if (!rtalloc::detail::is_power_of_two(align)) align = align == 0 ? 1 : std::bit_ceil(align);
  return allocate_aligned(align, size);
}

// As glibc 2.38 and later: the alignment must be a power of two (EINVAL).
RTALLOC_EXPORT void* aligned_alloc(std::size_t align, std::size_t size) noexcept {
  if (!rtalloc::detail::is_power_of_two(align)) {
    errno = EINVAL;
    return nullptr;
  }
  return allocate_aligned(align, size);
}

RTALLOC_EXPORT int posix_memalign(void** out, std::size_t align, std::size_t size) noexcept {
  if (!rtalloc::detail::is_power_of_two(align) || align % sizeof(void*) != 0) return EINVAL;
  void* p = allocate_with_alignment(size, align);
  if (p == nullptr) return ENOMEM;  // errno is left alone, as POSIX allows
  *out = p;
  return 0;
}

RTALLOC_EXPORT void* valloc(std::size_t size) noexcept {
  return allocate_aligned(page_size(), size);
}

// As glibc: the size is rounded up to whole pages; pvalloc(0) gives one page.
RTALLOC_EXPORT void* pvalloc(std::size_t size) noexcept {
  const std::size_t page = page_size();
  if (size > std::numeric_limits<std::size_t>::max() - page) return failed();
  const std::size_t rounded = size == 0 ? page : rtalloc::detail::align_up(size, page);
  return allocate_aligned(page, rounded);
}

RTALLOC_EXPORT std::size_t malloc_usable_size(void* p) noexcept {
  return p == nullptr ? 0 : Heap::usable_size(p);
}

// Gives free memory back to the system (FlexTlsf::trim). Returns 1 if any
// memory was given back, as glibc does. O(blocks).
RTALLOC_EXPORT int malloc_trim(std::size_t) noexcept {
  return Heap::with_heap([](auto& heap) { return heap.trim(); }) != 0 ? 1 : 0;
}

RTALLOC_EXPORT int rtalloc_malloc_check(void) {
  // check() reports a broken invariant through the error handler, which
  // aborts; a sound heap returns 1.
  return Heap::with_heap([](auto& heap) { return heap.heap().check(); }) ? 1 : 0;
}

}  // extern "C"

// ---- C++ operator new and delete ---------------------------------------------------------------

RTALLOC_EXPORT void* operator new(std::size_t size) { return new_or_throw(size, 0); }
RTALLOC_EXPORT void* operator new[](std::size_t size) { return new_or_throw(size, 0); }
RTALLOC_EXPORT void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return new_or_null(size, 0);
}
RTALLOC_EXPORT void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return new_or_null(size, 0);
}
RTALLOC_EXPORT void* operator new(std::size_t size, std::align_val_t align) {
  return new_or_throw(size, static_cast<std::size_t>(align));
}
RTALLOC_EXPORT void* operator new[](std::size_t size, std::align_val_t align) {
  return new_or_throw(size, static_cast<std::size_t>(align));
}
RTALLOC_EXPORT void* operator new(std::size_t size, std::align_val_t align,
                                  const std::nothrow_t&) noexcept {
  return new_or_null(size, static_cast<std::size_t>(align));
}
RTALLOC_EXPORT void* operator new[](std::size_t size, std::align_val_t align,
                                    const std::nothrow_t&) noexcept {
  return new_or_null(size, static_cast<std::size_t>(align));
}

RTALLOC_EXPORT void operator delete(void* p) noexcept { Heap::deallocate(p); }
RTALLOC_EXPORT void operator delete[](void* p) noexcept { Heap::deallocate(p); }
RTALLOC_EXPORT void operator delete(void* p, const std::nothrow_t&) noexcept {
  Heap::deallocate(p);
}
RTALLOC_EXPORT void operator delete[](void* p, const std::nothrow_t&) noexcept {
  Heap::deallocate(p);
}
RTALLOC_EXPORT void operator delete(void* p, std::size_t) noexcept { Heap::deallocate(p); }
RTALLOC_EXPORT void operator delete[](void* p, std::size_t) noexcept { Heap::deallocate(p); }
RTALLOC_EXPORT void operator delete(void* p, std::align_val_t) noexcept { Heap::deallocate(p); }
RTALLOC_EXPORT void operator delete[](void* p, std::align_val_t) noexcept { Heap::deallocate(p); }
RTALLOC_EXPORT void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  Heap::deallocate(p);
}
RTALLOC_EXPORT void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  Heap::deallocate(p);
}
RTALLOC_EXPORT void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  Heap::deallocate(p);
}
RTALLOC_EXPORT void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  Heap::deallocate(p);
}
