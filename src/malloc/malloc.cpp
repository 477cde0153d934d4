// SPDX-License-Identifier: MIT OR Apache-2.0
// librtalloc_malloc: the C malloc family and every C++ operator new and
// delete, over per-thread rtalloc heaps (docs/malloc.md, docs/concurrent.md).
//
// The heap is a ConcurrentHeap of FlexTlsf heaps, one per thread, each over
// its own slice of one reservation of address space. A thread finds its heap
// through an initial-exec thread_local index (no lock, no call); a free of
// another thread's block is queued to it wait-free. Threads beyond the heap
// count share one heap behind a mutex. Everything here follows glibc's
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
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <new>
#include <rtalloc/concurrent_heap.hpp>
#include <rtalloc/detail/bits.hpp>
#include <rtalloc/flex_tlsf.hpp>
#include <rtalloc/hosted/os_pages.hpp>
#include <rtalloc/small_objects.hpp>
#include <rtalloc/sources/fixed_region.hpp>

#include "options.hpp"
#include "statistics.hpp"

#define RTALLOC_EXPORT __attribute__((visibility("default")))

namespace {

// One heap's slice of the reservation: handed out whole (FixedRegion), its
// pages given back to the system by madvise on discard, as OsPages does.
class SliceSource : public rtalloc::FixedRegion {
 public:
  using FixedRegion::FixedRegion;
  std::size_t discard(void* memory, std::size_t bytes) noexcept {
    return rtalloc::OsPages{}.discard(memory, bytes);
  }
};

// 64 heaps of 4 GiB of address space each on 64-bit targets (no memory until
// touched); 4 of 256 MiB on 32-bit ones. The largest block is a slice.
constexpr std::size_t heap_count = sizeof(void*) >= 8 ? 64 : 4;
constexpr std::size_t slice_bytes =
    sizeof(void*) >= 8 ? std::size_t{1} << 32 : std::size_t{1} << 28;

// Each heap: slabs for requests up to 1 KiB in front of Tlsf<> (the sizes
// most programs ask for most often), or Tlsf<> alone under
// RTALLOC_SMALL_OBJECTS=0.
#if RTALLOC_SMALL_OBJECTS
using SliceInnerHeap = rtalloc::SmallObjects<rtalloc::Tlsf<>, rtalloc::SmallMallocConfig>;
#else
using SliceInnerHeap = rtalloc::Tlsf<>;
#endif
using Heap = rtalloc::ConcurrentHeap<SliceSource, heap_count, 16, SliceInnerHeap>;
using Tlsf = rtalloc::Tlsf<>;

// The heap every thread shares when all others are taken, and that a
// thread uses after its exit handler ran: behind shared_lock.
constexpr std::size_t shared_heap = heap_count - 1;
// The thread-local index before a thread's first call.
constexpr std::size_t unclaimed = heap_count + 1;

constinit Heap heaps{};
constinit pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;
constinit std::atomic<int> reservation_state{0};  // 0 none, 1 being made, 2 made
pthread_key_t exit_key;

// Initial-exec: reading it is one load off the thread pointer, with no call
// that could allocate (malloc runs while threads set up their TLS).
constinit thread_local std::size_t thread_heap [[gnu::tls_model("initial-exec")]] = unclaimed;

// Gives the thread's heap back when the thread exits; its blocks stay for
// the next thread that claims the index. Later calls of this thread (other
// destructors) use the shared heap.
void thread_exit(void*) noexcept {
  const std::size_t index = thread_heap;
  thread_heap = shared_heap;
  if (index < shared_heap) heaps.release(index);
}

// Maps the reservation, once: the first call in the process (the main
// thread, before any other thread). Halves the slices if the system refuses.
[[gnu::noinline]] void make_reservation() noexcept {
  int expected = 0;
  if (!reservation_state.compare_exchange_strong(expected, 1, std::memory_order_acquire)) {
    while (reservation_state.load(std::memory_order_acquire) != 2) {
    }
    return;
  }
  for (std::size_t slice = slice_bytes; slice >= (std::size_t{1} << 24); slice /= 2) {
    const std::size_t bytes = slice * heap_count;
    void* memory = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (memory == MAP_FAILED) continue;
    if (heaps.init(memory, bytes)) break;
    ::munmap(memory, bytes);
  }
  [[maybe_unused]] const bool shared_taken = heaps.try_claim(shared_heap);
  pthread_key_create(&exit_key, thread_exit);
  reservation_state.store(2, std::memory_order_release);
}

// The calling thread's heap: claimed on its first call.
[[gnu::noinline]] std::size_t claim_heap() noexcept {
  if (reservation_state.load(std::memory_order_acquire) != 2) make_reservation();
  std::size_t index = heaps.claim();
  if (index == Heap::no_heap) index = shared_heap;
  thread_heap = index;
  if (index != shared_heap) pthread_setspecific(exit_key, &thread_heap);
  return index;
}

std::size_t my_heap() noexcept {
  const std::size_t index = thread_heap;
  if (index < shared_heap) [[likely]]
    return index;
  return index == unclaimed ? claim_heap() : index;
}

// with_my_heap's other cases: the thread's first call (it claims a heap),
// and the shared heap, under shared_lock.
template <class F>
[[gnu::noinline]] decltype(auto) with_claimed_or_shared_heap(F f) noexcept {
  const std::size_t index = my_heap();
  if (index != shared_heap) return f(index);
  pthread_mutex_lock(&shared_lock);
  struct Unlock {
    ~Unlock() { pthread_mutex_unlock(&shared_lock); }
  } unlock;
  return f(index);
}

// Runs f(index) for the calling thread's heap: lock-free on its own heap
// (one thread-local load and a compare, inlined into each entry point),
// under shared_lock on the shared one.
template <class F>
[[gnu::always_inline]] inline decltype(auto) with_my_heap(F f) noexcept {
  const std::size_t index = thread_heap;
  if (index < shared_heap) [[likely]]
    return f(index);
  return with_claimed_or_shared_heap(f);
}

// Runs f(heap) on every heap this thread may touch now: its own, the
// shared one (locked), and those no thread holds (claimed meanwhile).
// Heaps of other live threads are theirs alone and are skipped. Returns how
// many heaps f saw.
template <class F>
std::size_t for_each_reachable_heap(F&& f) noexcept {
  if (reservation_state.load(std::memory_order_acquire) != 2) return 0;
  const std::size_t mine = my_heap();
  std::size_t seen = 0;
  for (std::size_t i = 0; i < heap_count; ++i) {
    if (i == shared_heap) {
      pthread_mutex_lock(&shared_lock);
      f(heaps.heap(i));
      pthread_mutex_unlock(&shared_lock);
    } else if (i == mine) {
      f(heaps.heap(i));
    } else if (heaps.try_claim(i)) {
      f(heaps.heap(i));
      heaps.release(i);
    } else {
      continue;
    }
    ++seen;
  }
  return seen;
}

// A free that leaves a free block of at least options().discard_threshold
// bytes gives its pages back to the system at once (FlexTlsf's auto-discard);
// smaller free blocks keep their pages until they merge into a larger one or
// malloc_trim(): memory given back and soon reused costs a page fault per
// page, which made the clang-format trace 7 times slower with 1 MiB (the
// default, 16 MiB, is in options.hpp).
std::size_t discard_threshold(const rtalloc::malloc_support::Options& options) noexcept {
  return options.discard_threshold == 0 ? Heap::SliceHeap::no_auto_discard
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

// Fork: the shared heap's lock is held across fork(), so the child gets it
// consistent. Other threads' heaps stay claimed in the child (their threads
// are gone there), so no thread of the child adopts a heap that was in the
// middle of an operation.
void before_fork() noexcept { pthread_mutex_lock(&shared_lock); }
void after_fork_in_parent() noexcept { pthread_mutex_unlock(&shared_lock); }
void after_fork_in_child() noexcept { pthread_mutex_init(&shared_lock, nullptr); }

// Runs when the library is loaded, before main(); malloc works before it
// too (the heap is constant-initialized), with these settings missing.
__attribute__((constructor)) void set_up() noexcept {
  rtalloc::set_error_handler(report_and_abort);
  const rtalloc::malloc_support::Options& options = rtalloc::malloc_support::options();
  rtalloc::malloc_support::prepare_exit_report(options);
  const std::size_t threshold = discard_threshold(options);
  // The library is being loaded: no other thread calls malloc yet.
  for (std::size_t i = 0; i < heap_count; ++i) heaps.heap(i).set_auto_discard(threshold);
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

[[gnu::always_inline]] inline void* heap_allocate(std::size_t size) noexcept {
  return with_my_heap([=](std::size_t i) { return heaps.allocate(i, size); });
}

void* heap_allocate(std::size_t size, std::size_t align) noexcept {
  return with_my_heap([=](std::size_t i) { return heaps.allocate(i, size, align); });
}

// Every block starts on 8 bytes at least (16 but for the 8-byte class).
// A pointer that does not cannot be one; it is reported (glibc's
// "free(): invalid pointer") before any header is read. One test.
bool misaligned(const void* p) noexcept { return (reinterpret_cast<std::uintptr_t>(p) & 7) != 0; }
[[gnu::cold, gnu::noinline]] void report_misaligned(const void* p, const char* operation) noexcept {
  rtalloc::detail::report(rtalloc::ErrorCode::invalid_pointer, operation, &heaps, p);
}

// Frees p. A pointer outside every heap, or misaligned, is reported (and
// the handler aborts): O(1), in every build (ConcurrentHeap::deallocate).
[[gnu::always_inline]] inline void heap_deallocate(void* p) noexcept {
  if (p == nullptr) return;
  if (misaligned(p)) [[unlikely]]
    return report_misaligned(p, "free");
  with_my_heap([=](std::size_t i) { heaps.deallocate(i, p); });
}

[[gnu::always_inline]] inline void* allocate(std::size_t size) noexcept {
  void* p = heap_allocate(size);
  return p != nullptr ? p : failed();
}

// Every aligned request goes through here; `align` is a power of two, or 0
// for "no more than malloc's alignment" (plain operator new).
void* allocate_with_alignment(std::size_t size, std::size_t align) noexcept {
  return align <= Tlsf::alignment ? heap_allocate(size) : heap_allocate(size, align);
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

// The figures of every heap the caller can reach (for_each_reachable_heap),
// summed, for every statistics function (statistics.cpp).
void rtalloc::malloc_support::collect_figures(MallocFigures& figures) noexcept {
  figures = {};
  figures.resident = MallocFigures::unknown;
  for_each_reachable_heap([&](auto& heap) {
    const rtalloc::FlexTlsfStats stats = heap.stats();
    if (stats.held == 0) return;  // never used: not counted as a heap
    ++figures.heaps;
    figures.reserved += stats.held;
    figures.heap_bytes += stats.heap.capacity;
    figures.used_bytes += stats.heap.used;
    figures.free_bytes += stats.heap.free;
    figures.used_blocks += stats.heap.used_blocks;
    figures.free_blocks += stats.heap.free_blocks;
    if (stats.heap.largest_free > figures.largest_free)
      figures.largest_free = stats.heap.largest_free;
    figures.regions += stats.region_count;
    figures.peak_used += stats.heap.peak_used;
    figures.growths += stats.growths;
    figures.discarded += stats.discarded;
  });
}

// ---- The C allocation functions ---------------------------------------------------------------

extern "C" {

RTALLOC_EXPORT void* malloc(std::size_t size) noexcept { return allocate(size); }

RTALLOC_EXPORT void free(void* p) noexcept { heap_deallocate(p); }

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
    heap_deallocate(p);
    return nullptr;
  }
  if (misaligned(p)) [[unlikely]] {
    report_misaligned(p, "realloc");
    return failed();
  }
  void* moved = with_my_heap([=](std::size_t i) { return heaps.reallocate(i, p, size); });
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
  return p == nullptr ? 0 : heaps.usable_size(p);
}

// Gives free memory back to the system (FlexTlsf::trim) from every heap the
// caller can reach: its own, the shared one, and those no thread holds.
// Returns 1 if any memory was given back, as glibc does. O(blocks).
RTALLOC_EXPORT int malloc_trim(std::size_t) noexcept {
  std::size_t given_back = 0;
  for_each_reachable_heap([&](auto& heap) { given_back += heap.trim(); });
  return given_back != 0 ? 1 : 0;
}

RTALLOC_EXPORT int rtalloc_malloc_check(void) {
  // check() reports a broken invariant through the error handler, which
  // aborts; a sound heap returns 1.
  // Checks the heaps the caller can reach, as malloc_trim.
  bool sound = true;
  for_each_reachable_heap([&](auto& heap) { sound = heap.heap().check() && sound; });
  return sound ? 1 : 0;
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

RTALLOC_EXPORT void operator delete(void* p) noexcept { heap_deallocate(p); }
RTALLOC_EXPORT void operator delete[](void* p) noexcept { heap_deallocate(p); }
RTALLOC_EXPORT void operator delete(void* p, const std::nothrow_t&) noexcept { heap_deallocate(p); }
RTALLOC_EXPORT void operator delete[](void* p, const std::nothrow_t&) noexcept {
  heap_deallocate(p);
}
RTALLOC_EXPORT void operator delete(void* p, std::size_t) noexcept { heap_deallocate(p); }
RTALLOC_EXPORT void operator delete[](void* p, std::size_t) noexcept { heap_deallocate(p); }
RTALLOC_EXPORT void operator delete(void* p, std::align_val_t) noexcept { heap_deallocate(p); }
RTALLOC_EXPORT void operator delete[](void* p, std::align_val_t) noexcept { heap_deallocate(p); }
RTALLOC_EXPORT void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  heap_deallocate(p);
}
RTALLOC_EXPORT void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  heap_deallocate(p);
}
RTALLOC_EXPORT void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  heap_deallocate(p);
}
RTALLOC_EXPORT void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  heap_deallocate(p);
}
