// SPDX-License-Identifier: MIT OR Apache-2.0
// FreeRTOS's heap on rtalloc: a drop-in replacement for the kernel's
// heap_1 .. heap_5 (compile this file instead of one of them). Every
// operation is rtalloc::Tlsf's, O(1), under the scheduler suspension that
// FreeRTOS heaps use (vTaskSuspendAll / xTaskResumeAll). See README.md
// beside this file.
//
//   pvPortMalloc, vPortFree, pvPortCalloc      allocate, free, zeroed allocate
//   vPortDefineHeapRegions                     the heap's memory, several regions (as heap_5)
//   xPortGetFreeHeapSize,
//   xPortGetMinimumEverFreeHeapSize,
//   vPortGetHeapStats                          the heap's figures
//   vPortInitialiseBlocks                      nothing to do (kept for old kernels)
//   vPortFreeFromISR                           free from an interrupt: deferred (below)
//
// Memory: RTALLOC_FREERTOS_HEAP_BYTES bytes of a static array (default
// configTOTAL_HEAP_SIZE when FreeRTOSConfig.h defines it, else none), added
// on the first call, and any regions vPortDefineHeapRegions adds. With
// neither, every allocation fails.
//
// Declarations: with FreeRTOS's headers on the include path (FreeRTOS.h
// found by __has_include, or RTALLOC_FREERTOS_HEADERS=1) the file includes
// FreeRTOS.h and task.h and uses the kernel's own HeapRegion_t, HeapStats_t
// and prototypes; the compiler then checks every definition here against
// them. Without them (RTALLOC_FREERTOS_HEADERS=0, the host tests) it
// declares the same types with the same members, in the same order.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <rtalloc/tlsf.hpp>

#ifndef RTALLOC_FREERTOS_HEADERS
#if __has_include("FreeRTOS.h")
#define RTALLOC_FREERTOS_HEADERS 1
#else
#define RTALLOC_FREERTOS_HEADERS 0
#endif
#endif

#if RTALLOC_FREERTOS_HEADERS
extern "C" {
#include "FreeRTOS.h"
#include "task.h"
}
#else
extern "C" {
typedef long BaseType_t;
typedef struct HeapRegion {
  std::uint8_t* pucStartAddress;
  std::size_t xSizeInBytes;
} HeapRegion_t;
typedef struct xHeapStats {
  std::size_t xAvailableHeapSpaceInBytes;
  std::size_t xSizeOfLargestFreeBlockInBytes;
  std::size_t xSizeOfSmallestFreeBlockInBytes;
  std::size_t xNumberOfFreeBlocks;
  std::size_t xMinimumEverFreeBytesRemaining;
  std::size_t xNumberOfSuccessfulAllocations;
  std::size_t xNumberOfSuccessfulFrees;
} HeapStats_t;
void vTaskSuspendAll(void);
BaseType_t xTaskResumeAll(void);
}
#endif

#ifndef RTALLOC_FREERTOS_HEAP_BYTES
#ifdef configTOTAL_HEAP_SIZE
#define RTALLOC_FREERTOS_HEAP_BYTES (configTOTAL_HEAP_SIZE)
#else
#define RTALLOC_FREERTOS_HEAP_BYTES 0
#endif
#endif

#ifndef RTALLOC_FREERTOS_DEFERRED_PER_CALL
#define RTALLOC_FREERTOS_DEFERRED_PER_CALL 2
#endif

#ifndef traceMALLOC
#define traceMALLOC(address, size)
#endif
#ifndef traceFREE
#define traceFREE(address, size)
#endif

extern "C" {
void* pvPortMalloc(std::size_t xWantedSize);
void vPortFree(void* pv);
void* pvPortCalloc(std::size_t xNum, std::size_t xSize);
std::size_t xPortGetFreeHeapSize(void);
std::size_t xPortGetMinimumEverFreeHeapSize(void);
void vPortGetHeapStats(HeapStats_t* pxHeapStats);
void vPortDefineHeapRegions(const HeapRegion_t* const pxHeapRegions);
void vPortInitialiseBlocks(void);
void vPortFreeFromISR(void* pv);
#if defined(configUSE_MALLOC_FAILED_HOOK) && configUSE_MALLOC_FAILED_HOOK == 1
void vApplicationMallocFailedHook(void);
#endif
}

namespace {

// Blocks up to 2^30 bytes on 32-bit targets, 32 classes per level.
using Heap = rtalloc::Tlsf<>;

Heap heap;  // constant-initialized: usable before any constructor runs
std::size_t successful_allocations = 0;
std::size_t successful_frees = 0;
bool static_heap_added = false;

#if RTALLOC_FREERTOS_HEAP_BYTES > 0
alignas(alignof(std::max_align_t)) std::byte static_heap[RTALLOC_FREERTOS_HEAP_BYTES];
#endif

// Blocks freed from interrupts, waiting for a task to free them: a stack
// linked through the blocks' first payload word, pushed with one
// compare-and-swap (lock-free on cores with LDREX/STREX, such as the
// Cortex-M3, M4, M7 and M33; not on the Cortex-M0, where vPortFreeFromISR
// is not defined).
struct Deferred {
  Deferred* next;
};
std::atomic<Deferred*> deferred{nullptr};

// The scheduler is suspended for as long as a Suspended lives: no task
// switch, interrupts still run (and so may only use vPortFreeFromISR).
struct Suspended {
  Suspended() noexcept { vTaskSuspendAll(); }
  ~Suspended() { (void)xTaskResumeAll(); }
  Suspended(const Suspended&) = delete;
  Suspended& operator=(const Suspended&) = delete;
};

// With the scheduler suspended: adds the static array on the first call,
// and frees at most RTALLOC_FREERTOS_DEFERRED_PER_CALL deferred blocks, so
// that every call stays bounded however many an interrupt deferred.
void prepare() noexcept {
  if (!static_heap_added) {
    static_heap_added = true;
#if RTALLOC_FREERTOS_HEAP_BYTES > 0
    heap.add_pool(static_heap, sizeof static_heap);
#endif
  }
  if (deferred.load(std::memory_order_relaxed) == nullptr) return;
  Deferred* first = deferred.exchange(nullptr, std::memory_order_acquire);
  for (int i = 0; i < RTALLOC_FREERTOS_DEFERRED_PER_CALL && first != nullptr; ++i) {
    Deferred* next = first->next;
    heap.deallocate(first);
    ++successful_frees;
    first = next;
  }
  if (first == nullptr) return;
  // Put the rest back, in front of whatever interrupts pushed meanwhile.
  Deferred* last = first;
  while (last->next != nullptr) last = last->next;
  Deferred* head = deferred.load(std::memory_order_relaxed);
  do {
    last->next = head;
  } while (!deferred.compare_exchange_weak(head, first, std::memory_order_release,
                                           std::memory_order_relaxed));
}

}  // namespace

/// Allocates xWantedSize bytes, aligned to 8 (the heap's alignment) or more.
/// O(1), plus at most RTALLOC_FREERTOS_DEFERRED_PER_CALL deferred frees.
/// Returns NULL for 0 bytes (as FreeRTOS's heaps do) and when no free block
/// is large enough; then calls vApplicationMallocFailedHook if
/// configUSE_MALLOC_FAILED_HOOK is 1.
void* pvPortMalloc(std::size_t xWantedSize) {
  void* p = nullptr;
  {
    Suspended suspended;
    prepare();
    if (xWantedSize != 0) p = heap.allocate(xWantedSize);
    if (p != nullptr) ++successful_allocations;
    traceMALLOC(p, xWantedSize);
  }
#if defined(configUSE_MALLOC_FAILED_HOOK) && configUSE_MALLOC_FAILED_HOOK == 1
  if (p == nullptr) vApplicationMallocFailedHook();
#endif
  return p;
}

/// Frees a block pvPortMalloc or pvPortCalloc returned; NULL is a no-op.
/// O(1), plus at most RTALLOC_FREERTOS_DEFERRED_PER_CALL deferred frees. A
/// second free of a block is detected and ignored (and reported through
/// rtalloc's error handler).
void vPortFree(void* pv) {
  if (pv == nullptr) return;
  Suspended suspended;
  prepare();
  traceFREE(pv, Heap::block_usable_size(pv));
  if (heap.is_allocated(pv)) ++successful_frees;
  heap.deallocate(pv);
}

/// xNum * xSize bytes, zeroed. O(1) plus the zeroing. NULL on overflow, for
/// 0 bytes, or when no free block is large enough.
void* pvPortCalloc(std::size_t xNum, std::size_t xSize) {
  if (xSize != 0 && xNum > SIZE_MAX / xSize) return nullptr;
  void* p = pvPortMalloc(xNum * xSize);
  if (p != nullptr) std::memset(p, 0, xNum * xSize);
  return p;
}

/// Bytes in free blocks, headers included, as FreeRTOS's heaps count. O(1).
std::size_t xPortGetFreeHeapSize(void) {
  Suspended suspended;
  prepare();
  return heap.stats().free;
}

/// The fewest free bytes there have been: capacity less the peak use.
/// (Regions added after the peak count toward it.) O(1).
std::size_t xPortGetMinimumEverFreeHeapSize(void) {
  Suspended suspended;
  prepare();
  const rtalloc::TlsfStats stats = heap.stats();
  return stats.capacity - stats.peak_used;
}

/// Fills *pxHeapStats. The smallest free block is found by walking every
/// block: O(blocks), a diagnostic (heap_4 and heap_5 walk their free list
/// for it too); everything else is O(1).
void vPortGetHeapStats(HeapStats_t* pxHeapStats) {
  Suspended suspended;
  prepare();
  const rtalloc::TlsfStats stats = heap.stats();
  std::size_t smallest = 0;
  heap.walk([&smallest](const rtalloc::BlockInfo& block) {
    if (!block.used && (smallest == 0 || block.size < smallest)) smallest = block.size;
  });
  pxHeapStats->xAvailableHeapSpaceInBytes = stats.free;
  pxHeapStats->xSizeOfLargestFreeBlockInBytes = stats.largest_free;
  pxHeapStats->xSizeOfSmallestFreeBlockInBytes = smallest;
  pxHeapStats->xNumberOfFreeBlocks = stats.free_blocks;
  pxHeapStats->xMinimumEverFreeBytesRemaining = stats.capacity - stats.peak_used;
  pxHeapStats->xNumberOfSuccessfulAllocations = successful_allocations;
  pxHeapStats->xNumberOfSuccessfulFrees = successful_frees;
}

/// Adds each region of the array (ended by one with xSizeInBytes 0) as a
/// pool; any alignment and order, and it may be called again later. A
/// region too small for a pool is skipped. O(regions).
void vPortDefineHeapRegions(const HeapRegion_t* const pxHeapRegions) {
  Suspended suspended;
  prepare();
  for (const HeapRegion_t* region = pxHeapRegions; region->xSizeInBytes != 0; ++region) {
    heap.add_pool(region->pucStartAddress, region->xSizeInBytes);
  }
}

/// Nothing to initialise (the heap is ready from the start).
void vPortInitialiseBlocks(void) {}

#if defined(__GCC_HAVE_SYNC_COMPARE_AND_SWAP_4) || defined(__GCC_HAVE_SYNC_COMPARE_AND_SWAP_8)
/// Frees a block from an interrupt handler (or with the scheduler in any
/// state): the block is pushed onto a list of deferred frees, lock-free and
/// O(1) (one compare-and-swap, retried only if another interrupt pushed at
/// the same moment), and the next pvPortMalloc or vPortFree in a task frees
/// it (each frees at most RTALLOC_FREERTOS_DEFERRED_PER_CALL). Until then
/// its bytes count as used. NULL is a no-op. The block must be live: a
/// double free through this path is not detected.
void vPortFreeFromISR(void* pv) {
  if (pv == nullptr) return;
  auto* block = static_cast<Deferred*>(pv);
  Deferred* head = deferred.load(std::memory_order_relaxed);
  do {
    block->next = head;
  } while (!deferred.compare_exchange_weak(head, block, std::memory_order_release,
                                           std::memory_order_relaxed));
}
#endif
