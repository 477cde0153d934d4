// SPDX-License-Identifier: MIT OR Apache-2.0
// NuttX's memory manager on rtalloc: the mm_* functions NuttX calls when
// CONFIG_MM_CUSTOMIZE_MANAGER is set (its own mm_heap is then not built).
// Compile this file into the kernel with NuttX's include path (it includes
// <nuttx/mm/mm.h>, <nuttx/irq.h> and <malloc.h>) and rtalloc's. Each heap is
// an rtalloc::Tlsf<> whose control block sits at the start of the heap's
// first region, as NuttX's own heap places its mm_heap_s. Every operation
// is O(1) in a critical section (enter_critical_section), so it may be
// called from interrupt handlers too; mm_mallinfo and mm_checkcorruption
// are diagnostics and walk the blocks. See README.md here.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <rtalloc/tlsf.hpp>

extern "C" {
#include <malloc.h>
#include <nuttx/irq.h>
#include <nuttx/mm/mm.h>
}

struct mm_heap_s {
  rtalloc::Tlsf<> tlsf;
  const char* name;
};

namespace {

// The heap's operations run in a critical section: interrupts masked (and,
// on SMP, the other cores held), for the O(1) time of one operation.
class Critical {
 public:
  Critical() noexcept : flags_(enter_critical_section()) {}
  ~Critical() { leave_critical_section(flags_); }
  Critical(const Critical&) = delete;
  Critical& operator=(const Critical&) = delete;

 private:
  irqstate_t flags_;
};

}  // namespace

/// Makes a heap in [heap_start, heap_start + heap_size): its control block
/// at the start, the rest as its first pool. NULL if the region cannot hold
/// both. O(1).
FAR struct mm_heap_s* mm_initialize(FAR const char* name, FAR void* heap_start, size_t heap_size) {
  const auto start = reinterpret_cast<std::uintptr_t>(heap_start);
  const std::uintptr_t aligned = (start + alignof(mm_heap_s) - 1) & ~(alignof(mm_heap_s) - 1);
  const std::size_t control = aligned - start + sizeof(mm_heap_s);
  if (heap_start == nullptr || heap_size < control + rtalloc::Tlsf<>::min_pool_size) return nullptr;
  auto* heap = ::new (reinterpret_cast<void*>(aligned)) mm_heap_s{{}, name};
  heap->tlsf.add_pool(reinterpret_cast<void*>(aligned + sizeof(mm_heap_s)), heap_size - control);
  return heap;
}

/// Forgets the heap; its memory belongs to the caller again. O(1).
void mm_uninitialize(FAR struct mm_heap_s* heap) { heap->~mm_heap_s(); }

/// Adds another region to the heap. O(1).
void mm_addregion(FAR struct mm_heap_s* heap, FAR void* heapstart, size_t heapsize) {
  Critical critical;
  heap->tlsf.add_pool(heapstart, heapsize);
}

/// `size` bytes aligned to 8 (16 on 64-bit), or NULL. O(1).
FAR void* mm_malloc(FAR struct mm_heap_s* heap, size_t size) {
  Critical critical;
  return heap->tlsf.allocate(size);
}

/// `size` bytes aligned to `alignment` (a power of two), or NULL. O(1).
FAR void* mm_memalign(FAR struct mm_heap_s* heap, size_t alignment, size_t size) {
  Critical critical;
  return heap->tlsf.allocate(size, alignment);
}

/// Frees `mem`; NULL is a no-op. O(1).
void mm_free(FAR struct mm_heap_s* heap, FAR void* mem) {
  Critical critical;
  heap->tlsf.deallocate(mem);
}

/// Resizes in place when it can, else moves; NULL on failure, `oldmem`
/// kept. O(1) plus the copy of a moved block, which runs in the critical
/// section too.
FAR void* mm_realloc(FAR struct mm_heap_s* heap, FAR void* oldmem, size_t size) {
  Critical critical;
  return heap->tlsf.reallocate(oldmem, size);
}

/// n * elem_size zeroed bytes; NULL on overflow or when nothing fits.
FAR void* mm_calloc(FAR struct mm_heap_s* heap, size_t n, size_t elem_size) {
  if (elem_size != 0 && n > SIZE_MAX / elem_size) return nullptr;
  return mm_zalloc(heap, n * elem_size);
}

/// `size` zeroed bytes, or NULL. O(1) plus the zeroing (outside the
/// critical section).
FAR void* mm_zalloc(FAR struct mm_heap_s* heap, size_t size) {
  void* p = mm_malloc(heap, size);
  if (p != nullptr) std::memset(p, 0, size);
  return p;
}

/// Usable bytes at `mem`; 0 for NULL. O(1).
size_t mm_malloc_size(FAR struct mm_heap_s* heap, FAR void* mem) {
  Critical critical;
  return heap->tlsf.usable_size(mem);
}

/// Whether `mem` lies in one of the heap's regions. O(regions).
bool mm_heapmember(FAR struct mm_heap_s* heap, FAR void* mem) {
  Critical critical;
  return heap->tlsf.owns(mem);
}

/// The heap's figures (arena, ordblks, aordblks, mxordblk, uordblks,
/// fordblks). O(1) apart from the largest free block (O(one list)).
struct mallinfo mm_mallinfo(FAR struct mm_heap_s* heap) {
  rtalloc::TlsfStats stats;
  {
    Critical critical;
    stats = heap->tlsf.stats();
  }
  struct mallinfo info {};
  info.arena = static_cast<decltype(info.arena)>(stats.capacity);
  info.ordblks = static_cast<decltype(info.ordblks)>(stats.free_blocks);
  info.aordblks = static_cast<decltype(info.aordblks)>(stats.used_blocks);
  info.mxordblk = static_cast<decltype(info.mxordblk)>(stats.largest_free);
  info.uordblks = static_cast<decltype(info.uordblks)>(stats.used);
  info.fordblks = static_cast<decltype(info.fordblks)>(stats.free);
  return info;
}

/// Verifies every invariant of the heap (Tlsf::check), reporting the first
/// broken one through rtalloc's error handler. O(blocks), in a critical
/// section: for diagnostics.
void mm_checkcorruption(FAR struct mm_heap_s* heap) {
  Critical critical;
  (void)heap->tlsf.check();
}
