/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* A stand-in for FreeRTOS's FreeRTOS.h in the port's build test (tests/ports): the names the heap
 * port uses, declared as the kernel's headers declare them (FreeRTOS.h includes FreeRTOSConfig.h
 * and portable.h, which declares HeapRegion_t, HeapStats_t and the heap's functions). Not kernel
 * source: only the interface names, so that ports/freertos/rtalloc_heap.cpp is compiled against
 * declarations it must agree with. */
#ifndef RTALLOC_TEST_FREERTOS_H
#define RTALLOC_TEST_FREERTOS_H

#include <stddef.h>
#include <stdint.h>

#define configTOTAL_HEAP_SIZE 8192
#define configUSE_MALLOC_FAILED_HOOK 1

typedef long BaseType_t;

typedef struct HeapRegion {
  uint8_t* pucStartAddress;
  size_t xSizeInBytes;
} HeapRegion_t;

typedef struct xHeapStats {
  size_t xAvailableHeapSpaceInBytes;
  size_t xSizeOfLargestFreeBlockInBytes;
  size_t xSizeOfSmallestFreeBlockInBytes;
  size_t xNumberOfFreeBlocks;
  size_t xMinimumEverFreeBytesRemaining;
  size_t xNumberOfSuccessfulAllocations;
  size_t xNumberOfSuccessfulFrees;
} HeapStats_t;

void* pvPortMalloc(size_t xWantedSize);
void vPortFree(void* pv);
void* pvPortCalloc(size_t xNum, size_t xSize);
size_t xPortGetFreeHeapSize(void);
size_t xPortGetMinimumEverFreeHeapSize(void);
void vPortGetHeapStats(HeapStats_t* pxHeapStats);
void vPortDefineHeapRegions(const HeapRegion_t* const pxHeapRegions);
void vPortInitialiseBlocks(void);

#endif
