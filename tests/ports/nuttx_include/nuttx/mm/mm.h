/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* A stand-in for NuttX's <nuttx/mm/mm.h> (see ../../malloc.h): the memory manager's functions that
 * a custom manager (CONFIG_MM_CUSTOMIZE_MANAGER) defines, with NuttX's names and types. */
#ifndef RTALLOC_TEST_NUTTX_MM_H
#define RTALLOC_TEST_NUTTX_MM_H

#include <malloc.h>
#include <stdbool.h>
#include <stddef.h>

#define FAR

struct mm_heap_s;

FAR struct mm_heap_s* mm_initialize(FAR const char* name, FAR void* heap_start, size_t heap_size);
void mm_uninitialize(FAR struct mm_heap_s* heap);
void mm_addregion(FAR struct mm_heap_s* heap, FAR void* heapstart, size_t heapsize);
FAR void* mm_malloc(FAR struct mm_heap_s* heap, size_t size);
FAR void* mm_memalign(FAR struct mm_heap_s* heap, size_t alignment, size_t size);
void mm_free(FAR struct mm_heap_s* heap, FAR void* mem);
FAR void* mm_realloc(FAR struct mm_heap_s* heap, FAR void* oldmem, size_t size);
FAR void* mm_calloc(FAR struct mm_heap_s* heap, size_t n, size_t elem_size);
FAR void* mm_zalloc(FAR struct mm_heap_s* heap, size_t size);
size_t mm_malloc_size(FAR struct mm_heap_s* heap, FAR void* mem);
bool mm_heapmember(FAR struct mm_heap_s* heap, FAR void* mem);
struct mallinfo mm_mallinfo(FAR struct mm_heap_s* heap);
void mm_checkcorruption(FAR struct mm_heap_s* heap);

#endif
