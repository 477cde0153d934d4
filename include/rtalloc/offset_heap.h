// SPDX-License-Identifier: MIT OR Apache-2.0
/* offset_heap.h — the C API of rtalloc::OffsetHeap (C99; usable from C++).
 *
 * An offset heap hands out ranges of an abstract offset space — a GPU heap,
 * a shared-memory segment, a file — and keeps all its bookkeeping in memory
 * the caller gives it, never in the space it manages. Offsets and sizes are
 * 64-bit on every host, counted in bytes. Link the static library rtalloc_c
 * (CMake target rtalloc::c).
 *
 *   static uint64_t memory[8192];   // 64 KiB: the control block (5 KB) and about 3,780 records
 *   rtalloc_offset_heap* heap = rtalloc_offset_heap_create(memory, sizeof memory);
 *   rtalloc_offset_range range;
 *   rtalloc_offset_add_range(heap, 0, (uint64_t)48 << 30, &range);   // offsets [0, 48 GiB)
 *   rtalloc_offset_allocation a;
 *   if (rtalloc_offset_allocate(heap, 1 << 20, 256, &a) == RTALLOC_OFFSET_OK) {
 *     ... use [a.offset, a.offset + 1 MiB) ...
 *     rtalloc_offset_free(heap, a.handle);
 *   }
 *
 * Every allocate (at any alignment), free, resize and range operation is
 * O(1). Each allocation and each free range holds one 16-byte record; each
 * range two more. docs/offset-heap.md has the bounds and the guarantees. The
 * configuration is fixed: a granule of one byte, 32 size classes per power of
 * two, offsets below 2^40.
 *
 * Bad input is answered by an error code and, where it is a caller's bug, also
 * reported to the handler installed with rtalloc_set_error_handler
 * (<rtalloc/rtalloc.h>): invalid alignments and invalid ranges always, stale
 * handles and ranges in checked builds. A heap is not thread-safe. */
#ifndef RTALLOC_OFFSET_HEAP_H
#define RTALLOC_OFFSET_HEAP_H

#include <stddef.h>
#include <stdint.h>

#include "rtalloc/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A heap. Opaque: it lives in the memory given to rtalloc_offset_heap_create
 * and has no destructor. */
typedef struct rtalloc_offset_heap rtalloc_offset_heap;

/* Names one allocation; 0 is never valid. A freed handle stays refused even
 * after its offsets are allocated again. */
typedef uint64_t rtalloc_offset_handle;

/* Names one range of a heap; 0 is never valid. */
typedef uint64_t rtalloc_offset_range;

/* What went wrong; the same values, in the same order, as rtalloc::OffsetError. */
typedef enum rtalloc_offset_error {
  RTALLOC_OFFSET_OK = 0,                /* success */
  RTALLOC_OFFSET_OUT_OF_SPACE = 1,      /* no free range large enough (nothing changed) */
  RTALLOC_OFFSET_OUT_OF_RECORDS = 2,    /* the record store is full (nothing changed) */
  RTALLOC_OFFSET_TOO_LARGE = 3,         /* the size exceeds the offset space */
  RTALLOC_OFFSET_INVALID_ALIGNMENT = 4, /* alignment 0 or not a power of two */
  RTALLOC_OFFSET_STALE_HANDLE = 5,      /* freed, never issued, or from another heap */
  RTALLOC_OFFSET_INVALID_RANGE = 6,     /* empty, beyond the offset space, or not the heap's */
  RTALLOC_OFFSET_RANGE_OVERLAP = 7,     /* overlaps a range of the heap (checked builds) */
  RTALLOC_OFFSET_RANGE_IN_USE = 8       /* the range still holds allocations */
} rtalloc_offset_error;

/* ---- Sizes (all O(1), never fail) ----------------------------------------- */

/* Bytes of a heap's control block, without its records. */
size_t rtalloc_offset_heap_size(void);

/* Alignment the memory given to rtalloc_offset_heap_create needs. */
size_t rtalloc_offset_heap_alignment(void);

/* Bytes of one record (16). */
size_t rtalloc_offset_record_size(void);

/* The memory rtalloc_offset_heap_create needs for a heap of `records` records
 * (at most rtalloc_offset_max_records()). */
size_t rtalloc_offset_heap_bytes_for(size_t records);

/* The most records a heap can use. */
size_t rtalloc_offset_max_records(void);

/* Offsets and range ends are at most this (2^40 - 1). */
uint64_t rtalloc_offset_max_offset(void);

/* ---- Creating a heap -------------------------------------------------------- */

/* Makes an empty heap in [memory, memory + bytes): the control block first,
 * then as many records as fit. O(1).
 * Returns NULL, touching nothing, if memory is NULL, not aligned to
 * rtalloc_offset_heap_alignment(), or too small for the control block and
 * the three records one range needs. */
rtalloc_offset_heap* rtalloc_offset_heap_create(void* memory, size_t bytes);

/* ---- Ranges ------------------------------------------------------------------- */

/* Adds the offsets [offset, offset + size) as a range and stores its name in
 * *range. Takes three records. O(1) (O(ranges) in checked builds, which
 * refuse overlap: RTALLOC_OFFSET_RANGE_OVERLAP, reported as pool_overlap).
 * Returns RTALLOC_OFFSET_OK, RTALLOC_OFFSET_INVALID_RANGE (empty, wrapping,
 * or ending beyond rtalloc_offset_max_offset(); reported as invalid_pool) or
 * RTALLOC_OFFSET_OUT_OF_RECORDS; *range is 0 on failure. */
int rtalloc_offset_add_range(rtalloc_offset_heap* heap, uint64_t offset, uint64_t size,
                             rtalloc_offset_range* range);

/* Appends `bytes` offsets to the end of `range`: they join its last free
 * range, or become one (a record). O(1) (O(ranges) in checked builds).
 * Returns RTALLOC_OFFSET_OK, RTALLOC_OFFSET_INVALID_RANGE (not the heap's,
 * reported in checked builds; or beyond the offset space, reported),
 * RTALLOC_OFFSET_RANGE_OVERLAP or RTALLOC_OFFSET_OUT_OF_RECORDS. */
int rtalloc_offset_extend_range(rtalloc_offset_heap* heap, rtalloc_offset_range range,
                                uint64_t bytes);

/* Removes `range` if it holds no allocation. O(1).
 * Returns RTALLOC_OFFSET_OK, RTALLOC_OFFSET_RANGE_IN_USE (nothing changed) or
 * RTALLOC_OFFSET_INVALID_RANGE (reported in checked builds). */
int rtalloc_offset_remove_range(rtalloc_offset_heap* heap, rtalloc_offset_range range);

/* Stores where `range` begins and ends in *begin and *end. O(1).
 * Returns RTALLOC_OFFSET_OK, or RTALLOC_OFFSET_INVALID_RANGE with both 0
 * (reported in checked builds). */
int rtalloc_offset_range_bounds(const rtalloc_offset_heap* heap, rtalloc_offset_range range,
                                uint64_t* begin, uint64_t* end);

/* ---- Allocation ------------------------------------------------------------- */

typedef struct rtalloc_offset_allocation {
  uint64_t offset;              /* the allocation's first offset */
  rtalloc_offset_handle handle; /* its name for free, resize and the queries */
} rtalloc_offset_allocation;

/* Allocates `size` bytes (0 takes one) at an offset that is a multiple of
 * `alignment`, any power of two; the padding in front stays free. Takes up to
 * two records. O(1).
 * Returns RTALLOC_OFFSET_OK and fills *out, or, changing nothing and setting
 * *out to zeros: RTALLOC_OFFSET_OUT_OF_SPACE, RTALLOC_OFFSET_OUT_OF_RECORDS,
 * RTALLOC_OFFSET_TOO_LARGE, or RTALLOC_OFFSET_INVALID_ALIGNMENT (reported). */
int rtalloc_offset_allocate(rtalloc_offset_heap* heap, uint64_t size, uint64_t alignment,
                            rtalloc_offset_allocation* out);

/* Frees an allocation; the handle is stale from then on. O(1).
 * Returns RTALLOC_OFFSET_OK or RTALLOC_OFFSET_STALE_HANDLE (nothing changed;
 * reported in checked builds). */
int rtalloc_offset_free(rtalloc_offset_heap* heap, rtalloc_offset_handle handle);

/* Resizes an allocation in place to `size` bytes (0 takes one), keeping its
 * offset: it grows into a free range right after it, and shrinking frees the
 * tail. O(1). Returns RTALLOC_OFFSET_OK, or changing nothing:
 * RTALLOC_OFFSET_OUT_OF_SPACE, RTALLOC_OFFSET_OUT_OF_RECORDS,
 * RTALLOC_OFFSET_TOO_LARGE, RTALLOC_OFFSET_STALE_HANDLE. */
int rtalloc_offset_resize(rtalloc_offset_heap* heap, rtalloc_offset_handle handle, uint64_t size);

/* The allocation's first offset, or UINT64_MAX for a stale handle (reported
 * in checked builds). O(1). */
uint64_t rtalloc_offset_of(const rtalloc_offset_heap* heap, rtalloc_offset_handle handle);

/* The bytes the allocation holds, or 0 for a stale handle (reported in
 * checked builds). O(1). */
uint64_t rtalloc_offset_size_of(const rtalloc_offset_heap* heap, rtalloc_offset_handle handle);

/* 1 if the handle names a live allocation of the heap, else 0. Never
 * reports. O(1). */
int rtalloc_offset_valid(const rtalloc_offset_heap* heap, rtalloc_offset_handle handle);

/* ---- Free space and introspection ---------------------------------------------- */

/* Bytes in free ranges. O(1). */
uint64_t rtalloc_offset_free_size(const rtalloc_offset_heap* heap);

/* The largest size rtalloc_offset_allocate serves now at an alignment of 1:
 * every size up to it succeeds (records permitting), every larger one fails.
 * O(1). */
uint64_t rtalloc_offset_largest_allocation(const rtalloc_offset_heap* heap);

/* Bytes of the largest free range. O(free ranges in the highest size class). */
uint64_t rtalloc_offset_largest_free(const rtalloc_offset_heap* heap);

/* capacity == used + free; bytes of the offset space. */
typedef struct rtalloc_offset_stats {
  uint64_t range_count;        /* ranges added and not removed */
  uint64_t capacity;           /* bytes in all ranges */
  uint64_t used;               /* bytes in allocations */
  uint64_t free;               /* capacity - used */
  uint64_t largest_free;       /* bytes of the largest free range */
  uint64_t peak_used;          /* highest `used` since creation */
  uint64_t used_blocks;        /* live allocations */
  uint64_t free_blocks;        /* free ranges */
  uint64_t failed_allocations; /* allocations refused for space or records */
  uint64_t record_capacity;    /* records in the store */
  uint64_t records_used;       /* records held by blocks and ranges */
} rtalloc_offset_stats;

/* Fills *out. O(1), except largest_free (see rtalloc_offset_largest_free). */
void rtalloc_offset_get_stats(const rtalloc_offset_heap* heap, rtalloc_offset_stats* out);

/* Called for each block: an allocation (used 1, its handle) or a free range
 * (used 0, handle 0). Return 0 to stop the walk. It must not change the heap. */
typedef int (*rtalloc_offset_walker)(uint64_t offset, uint64_t size, int used,
                                     rtalloc_offset_handle handle, void* user);

/* Calls `walker` for every block, in offset order within each range. O(blocks). */
void rtalloc_offset_walk(const rtalloc_offset_heap* heap, rtalloc_offset_walker walker, void* user);

/* Verifies every invariant (docs/offset-heap.md lists them). O(records +
 * ranges^2 + size classes); safe on a damaged heap. Returns 1 if all hold;
 * otherwise reports the first broken one (heap_corrupted) and returns 0. */
int rtalloc_offset_check(const rtalloc_offset_heap* heap);

/* A short name for an rtalloc_offset_error, e.g. "out_of_records"; "unknown"
 * for a value that is not one. */
const char* rtalloc_offset_error_name(int error);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* RTALLOC_OFFSET_HEAP_H */
