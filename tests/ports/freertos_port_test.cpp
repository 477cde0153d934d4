// SPDX-License-Identifier: MIT OR Apache-2.0
// The FreeRTOS heap port (ports/freertos/rtalloc_heap.cpp) against the
// interface FreeRTOS's heaps offer, with stubs of the kernel functions the
// port calls: vTaskSuspendAll and xTaskResumeAll, which count and check the
// nesting (every heap call suspends the scheduler exactly once and resumes
// it before returning), and vApplicationMallocFailedHook. Built twice: with
// the port's own declarations and regions only (heap_5 style), and against
// stand-in FreeRTOS headers (tests/ports/freertos_include) that define
// configTOTAL_HEAP_SIZE and the failed-allocation hook (heap_4 style). Runs
// on the host and on the emulated Cortex-M4.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "port_check.hpp"
#include "rtalloc/error.hpp"

extern "C" {
#if RTALLOC_FREERTOS_HEADERS
#include "FreeRTOS.h"
#include "task.h"
#else
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
void* pvPortMalloc(std::size_t xWantedSize);
void vPortFree(void* pv);
void* pvPortCalloc(std::size_t xNum, std::size_t xSize);
std::size_t xPortGetFreeHeapSize(void);
std::size_t xPortGetMinimumEverFreeHeapSize(void);
void vPortGetHeapStats(HeapStats_t* pxHeapStats);
void vPortDefineHeapRegions(const HeapRegion_t* const pxHeapRegions);
#endif
void vPortFreeFromISR(void* pv);
}

// ---- The kernel's side: stubs ----------------------------------------------

namespace {
int suspend_depth = 0;
int deepest = 0;
int suspensions = 0;
int bad_resumes = 0;
int failed_hook_calls = 0;
}  // namespace

extern "C" void vTaskSuspendAll(void) {
  ++suspensions;
  if (++suspend_depth > deepest) deepest = suspend_depth;
}
extern "C" BaseType_t xTaskResumeAll(void) {
  if (suspend_depth == 0) ++bad_resumes;
  --suspend_depth;
  return 0;
}
extern "C" void vApplicationMallocFailedHook(void) {
  ++failed_hook_calls;
  PORT_CHECK(suspend_depth == 0);  // called after the scheduler resumes, as the kernel's heaps do
}

namespace {

// Every heap call suspends once and resumes before returning.
template <class F>
auto suspended_once(F&& call) {
  const int before = suspensions;
  auto result = call();
  PORT_CHECK(suspensions == before + 1);
  PORT_CHECK(suspend_depth == 0);
  return result;
}

alignas(8) std::uint8_t region_a[6000];
alignas(8) std::uint8_t region_b[3000];

bool inside(const void* p, const std::uint8_t* region, std::size_t bytes) {
  const auto* byte = static_cast<const std::uint8_t*>(p);
  return byte >= region && byte < region + bytes;
}

}  // namespace

int main() {
  // The deliberate misuse below is reported; count it instead of trapping (checked builds).
  static int reports = 0;
  rtalloc::set_error_handler([](const rtalloc::ErrorInfo&) noexcept { ++reports; });
#if RTALLOC_FREERTOS_HEADERS
  // heap_4 style: configTOTAL_HEAP_SIZE bytes are there from the first call.
  PORT_CHECK(suspended_once([] { return xPortGetFreeHeapSize(); }) > 8000);
  const std::size_t static_bytes = xPortGetFreeHeapSize();
#else
  const std::size_t static_bytes = 0;
  // No memory yet: every allocation fails.
  PORT_CHECK(suspended_once([] { return pvPortMalloc(16); }) == nullptr);
#endif

  // heap_5 style: two regions, at odd alignments, ended by a zero-size one.
  const HeapRegion_t regions[] = {
      {region_a + 3, sizeof region_a - 3}, {region_b + 1, sizeof region_b - 1}, {nullptr, 0}};
  suspended_once([&] {
    vPortDefineHeapRegions(regions);
    return 0;
  });
  const std::size_t free_at_start = xPortGetFreeHeapSize();
  PORT_CHECK(free_at_start > static_bytes + 8500 && free_at_start <= static_bytes + 9000);
  PORT_CHECK(xPortGetMinimumEverFreeHeapSize() == free_at_start);

  // Allocate 100-byte blocks until the heap is full: both regions serve.
  void* blocks[200] = {};
  std::size_t count = 0;
  bool aligned = true;
  while (count < 200) {
    void* p = suspended_once([] { return pvPortMalloc(100); });
    if (p == nullptr) break;
    aligned = aligned && reinterpret_cast<std::uintptr_t>(p) % 8 == 0;
    std::memset(p, static_cast<int>(count), 100);
    blocks[count++] = p;
  }
  PORT_CHECK(aligned);
  PORT_CHECK(count > 70 && count < 200);
  bool in_a = false;
  bool in_b = false;
  for (std::size_t i = 0; i < count; ++i) {
    in_a = in_a || inside(blocks[i], region_a, sizeof region_a);
    in_b = in_b || inside(blocks[i], region_b, sizeof region_b);
  }
  PORT_CHECK(in_a && in_b);
#if RTALLOC_FREERTOS_HEADERS
  PORT_CHECK(failed_hook_calls == 1);  // the allocation that found the heap full
#else
  PORT_CHECK(failed_hook_calls == 0);  // no hook configured
#endif
  const std::size_t free_when_full = xPortGetFreeHeapSize();
  PORT_CHECK(free_when_full < 200);
  PORT_CHECK(xPortGetMinimumEverFreeHeapSize() == free_when_full);

  HeapStats_t stats{};
  suspended_once([&] {
    vPortGetHeapStats(&stats);
    return 0;
  });
  PORT_CHECK(stats.xAvailableHeapSpaceInBytes == free_when_full);
  PORT_CHECK(stats.xNumberOfSuccessfulAllocations == count);
  PORT_CHECK(stats.xNumberOfSuccessfulFrees == 0);
  PORT_CHECK(stats.xSizeOfSmallestFreeBlockInBytes <= stats.xSizeOfLargestFreeBlockInBytes);

  // Contents intact; free every other block, then the rest.
  bool intact = true;
  for (std::size_t i = 0; i < count; ++i) {
    const auto* bytes = static_cast<const unsigned char*>(blocks[i]);
    intact = intact && bytes[0] == static_cast<unsigned char>(i) &&
             bytes[99] == static_cast<unsigned char>(i);
  }
  PORT_CHECK(intact);
  for (std::size_t i = 0; i < count; i += 2) {
    suspended_once([&] {
      vPortFree(blocks[i]);
      return 0;
    });
  }
  suspended_once([&] {
    vPortGetHeapStats(&stats);
    return 0;
  });
  PORT_CHECK(stats.xNumberOfFreeBlocks >= count / 2);
  PORT_CHECK(stats.xNumberOfSuccessfulFrees == (count + 1) / 2);
  for (std::size_t i = 1; i < count; i += 2) vPortFree(blocks[i]);
  PORT_CHECK(xPortGetFreeHeapSize() == free_at_start);
  PORT_CHECK(xPortGetMinimumEverFreeHeapSize() == free_when_full);

  // vPortFree(NULL) is a no-op that needs no suspension; a second free is ignored.
  const int before_null = suspensions;
  vPortFree(nullptr);
  PORT_CHECK(suspensions == before_null);
  void* twice = pvPortMalloc(40);
  vPortFree(twice);
  vPortFree(twice);
  PORT_CHECK(reports == 1);  // the second free, reported as a double free
  PORT_CHECK(xPortGetFreeHeapSize() == free_at_start);

  // pvPortMalloc(0) and an overflowing pvPortCalloc give NULL; calloc zeroes.
  PORT_CHECK(pvPortMalloc(0) == nullptr);
  PORT_CHECK(pvPortCalloc(SIZE_MAX / 2, 4) == nullptr);
  auto* zeroed = static_cast<unsigned char*>(pvPortCalloc(50, 4));
  bool zeros = zeroed != nullptr;
  for (int i = 0; zeros && i < 200; ++i) zeros = zeroed[i] == 0;
  PORT_CHECK(zeros);
  vPortFree(zeroed);

  // Frees from an interrupt are deferred: no suspension, then at most two
  // freed by each later heap call.
  void* from_isr[5];
  for (void*& p : from_isr) p = pvPortMalloc(64);
  const std::size_t free_before_isr = xPortGetFreeHeapSize();
  const int before_isr = suspensions;
  for (void* p : from_isr) vPortFreeFromISR(p);
  PORT_CHECK(suspensions == before_isr);
  PORT_CHECK(xPortGetFreeHeapSize() > free_before_isr);  // that call freed two
  vPortGetHeapStats(&stats);                             // two more
  const std::size_t after_four = stats.xAvailableHeapSpaceInBytes;
  PORT_CHECK(after_four < free_at_start);
  PORT_CHECK(xPortGetFreeHeapSize() == free_at_start);  // the last one

  PORT_CHECK(deepest == 1);
  PORT_CHECK(bad_resumes == 0);
  PORT_CHECK(suspend_depth == 0);
  return rtalloc::test::port_check_summary();
}
