// SPDX-License-Identifier: MIT OR Apache-2.0
/* rtalloc.h — the C API of rtalloc's TLSF heap (C99; usable from C++).
 *
 * A heap is a control block in memory the caller provides, plus pools of
 * memory the caller provides; nothing here calls malloc or the operating
 * system. Link the static library rtalloc_c (CMake target rtalloc::c).
 *
 *   static union { long double align; unsigned char bytes[64 * 1024]; } arena;
 *   rtalloc_heap* heap = rtalloc_create_with_pool(arena.bytes, sizeof arena.bytes);
 *   void* p = rtalloc_malloc(heap, 100);
 *   rtalloc_free(heap, p);
 *
 * Every allocate, free, reallocate (apart from copying a moved block) and pool
 * operation is O(1). The heap's configuration (its size classes, and so the
 * size of its control block and its largest block) is chosen when the library
 * is built: see docs/c-api.md.
 *
 * A heap is not thread-safe: guard it with a lock if several threads use it.
 * Callbacks (walkers, the error handler) must not unwind through the library.
 * The same heap is a `tlsf_t` of <rtalloc/tlsf.h>: both headers may be used on
 * it. */
#ifndef RTALLOC_RTALLOC_H
#define RTALLOC_RTALLOC_H

#include <stddef.h>

#include "rtalloc/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A heap. Opaque: it lives in the memory given to rtalloc_create and has no
 * destructor; the memory is the caller's again once the heap is not used. */
typedef struct rtalloc_heap rtalloc_heap;

/* ---- Sizes of this build's configuration (all O(1), never fail) -------- */

/* Bytes of a heap's control block: what rtalloc_create needs. */
size_t rtalloc_heap_size(void);

/* Alignment the control block's memory needs (a power of two). */
size_t rtalloc_heap_alignment(void);

/* Smallest memory rtalloc_add_pool accepts, at any alignment. */
size_t rtalloc_min_pool_size(void);

/* Largest request rtalloc_malloc can ever satisfy; larger ones return NULL. */
size_t rtalloc_max_allocation(void);

/* ---- Creating a heap --------------------------------------------------- */

/* Makes an empty heap (no pools: every allocation fails until one is added)
 * in [memory, memory + bytes). O(number of size classes).
 * Returns NULL, and touches nothing, if memory is NULL, not aligned to
 * rtalloc_heap_alignment(), or bytes < rtalloc_heap_size(). */
rtalloc_heap* rtalloc_create(void* memory, size_t bytes);

/* As rtalloc_create, and adds the rest of the memory, from memory +
 * rtalloc_heap_size() on, as the heap's first pool (its pool pointer for
 * rtalloc_extend_pool and rtalloc_remove_pool). O(number of size classes).
 * Returns NULL if memory is NULL or misaligned, or bytes <
 * rtalloc_heap_size() + rtalloc_min_pool_size(). */
rtalloc_heap* rtalloc_create_with_pool(void* memory, size_t bytes);

/* ---- Pools ------------------------------------------------------------- */

/* Adds [memory, memory + bytes) as a new pool; `memory` (any alignment) is the
 * pool's pointer from then on. The memory must stay valid and untouched while
 * the pool is in the heap. A pool larger than the largest block the
 * configuration allows is used only up to that size. O(1) (O(pools) in
 * checked builds, which also reject overlap with an existing pool).
 * Returns the bytes added to the heap's capacity, or 0 if memory is NULL,
 * smaller than rtalloc_min_pool_size() or overlapping; that is reported to
 * the error handler (invalid_pool, pool_overlap). */
size_t rtalloc_add_pool(rtalloc_heap* heap, void* memory, size_t bytes);

/* Appends [memory, memory + bytes) to `pool`; memory must be
 * rtalloc_pool_end(heap, pool). O(1) (O(pools) in checked builds).
 * Returns the bytes added to capacity, or 0 if the memory is not adjacent,
 * too small to form a block after a used last block, or would make the pool
 * span more than the largest block (reported as invalid_pool). */
size_t rtalloc_extend_pool(rtalloc_heap* heap, void* pool, void* memory, size_t bytes);

/* Where the memory of `pool` ends: the address rtalloc_extend_pool expects.
 * `pool` must be a pool of the heap. O(1). */
void* rtalloc_pool_end(const rtalloc_heap* heap, void* pool);

/* Removes `pool` if none of its memory is allocated; the memory is then the
 * caller's again. O(1) (O(pools) in checked builds).
 * Returns 1 if removed, 0 if the pool has a used block (or, in checked
 * builds, is not a pool of the heap: reported as invalid_pool). */
int rtalloc_remove_pool(rtalloc_heap* heap, void* pool);

/* Frees every block at once: each pool becomes one free block again. Pools
 * stay; peak_used and failed_allocations are kept. O(pools + size classes). */
void rtalloc_reset(rtalloc_heap* heap);

/* 1 if `p` points into one of the heap's pools, else 0. O(pools). */
int rtalloc_owns(const rtalloc_heap* heap, const void* p);

/* ---- Allocation -------------------------------------------------------- */

/* Allocates `size` bytes aligned to the largest fundamental alignment; size 0
 * gives a unique minimal block. O(1).
 * Returns NULL if no free block is large enough (not reported as an error:
 * running out is counted in the statistics). */
void* rtalloc_malloc(rtalloc_heap* heap, size_t size);

/* Allocates count * size zeroed bytes. O(1) plus clearing the bytes.
 * Returns NULL if count * size overflows or no block is large enough (both
 * counted as failed allocations). */
void* rtalloc_calloc(rtalloc_heap* heap, size_t count, size_t size);

/* Allocates `size` bytes aligned to `alignment`, any power of two. Alignments
 * above the heap's granularity cost one extra word in the block. O(1).
 * Returns NULL on failure; an alignment of 0 or not a power of two also gives
 * NULL and is reported (invalid_alignment). */
void* rtalloc_memalign(rtalloc_heap* heap, size_t alignment, size_t size);

/* C's realloc: resizes the block at `p` to `size` bytes, keeping its contents
 * up to the smaller size and the alignment it was allocated with; in place
 * when the block or its free neighbour allows, otherwise it moves.
 * rtalloc_realloc(heap, NULL, size) is rtalloc_malloc(heap, size);
 * rtalloc_realloc(heap, p, 0) frees p and returns NULL. O(1) apart from
 * copying a moved block.
 * Returns NULL if the block cannot grow; `p` then stays valid and unchanged.
 * A freed `p` (or, in checked builds, one the heap did not hand out) is
 * reported (double_free, invalid_pointer) and gives NULL. */
void* rtalloc_realloc(rtalloc_heap* heap, void* p, size_t size);

/* Frees the block at `p`; NULL is a no-op. O(1) (O(pools) in checked builds).
 * A block already free is reported (double_free) and left alone; checked
 * builds also report and ignore a pointer the heap did not hand out
 * (invalid_pointer). */
void rtalloc_free(rtalloc_heap* heap, void* p);

/* Bytes usable at `p`, at least what was asked for. O(1) (O(pools) in
 * checked builds). Returns 0 for NULL, and for a freed or (checked builds)
 * foreign pointer, which is also reported. */
size_t rtalloc_usable_size(const rtalloc_heap* heap, const void* p);

/* ---- Introspection ----------------------------------------------------- */

/* Byte counts are of whole blocks, headers included: capacity == used + free. */
typedef struct rtalloc_stats {
  size_t pool_count;         /* pools added and not removed */
  size_t capacity;           /* bytes in blocks over all pools */
  size_t used;               /* bytes in used blocks */
  size_t free;               /* capacity - used */
  size_t largest_free;       /* usable bytes of the largest free block */
  size_t peak_used;          /* highest `used` seen since creation */
  size_t used_blocks;        /* live allocations */
  size_t free_blocks;        /* free blocks */
  size_t failed_allocations; /* allocations that returned NULL since creation */
} rtalloc_stats;

/* Fills *out with the heap's statistics. O(1), except largest_free: O(blocks
 * in the highest non-empty size class). */
void rtalloc_get_stats(const rtalloc_heap* heap, rtalloc_stats* out);

/* Called for each block: `ptr` is the pointer malloc returned (or would
 * return), `size` its usable bytes, `used` 1 or 0. Return 0 to stop the walk,
 * non-zero to go on. It must not change the heap. */
typedef int (*rtalloc_walker)(void* ptr, size_t size, int used, void* user);

/* Calls `walker` for every block of every pool, in address order within a
 * pool, until it returns 0. O(blocks). */
void rtalloc_walk(const rtalloc_heap* heap, rtalloc_walker walker, void* user);

/* Verifies every invariant of the heap (docs/tlsf.md lists them). O(blocks +
 * pools^2 + size classes); safe on a damaged heap.
 * Returns 1 if all hold; otherwise reports the first broken one
 * (heap_corrupted, with a message and the address) and returns 0. */
int rtalloc_check(const rtalloc_heap* heap);

/* ---- Errors ------------------------------------------------------------ */

/* What went wrong; the same values as rtalloc::ErrorCode in C++. */
typedef enum rtalloc_error_code {
  RTALLOC_ERROR_INVALID_ALIGNMENT = 0, /* alignment 0 or not a power of two */
  RTALLOC_ERROR_INVALID_POOL = 1,      /* pool memory NULL, too small, unknown, not adjacent */
  RTALLOC_ERROR_POOL_OVERLAP = 2,      /* a new pool overlaps one of the heap (checked builds) */
  RTALLOC_ERROR_INVALID_POINTER = 3,   /* a pointer the heap did not hand out (checked builds) */
  RTALLOC_ERROR_DOUBLE_FREE = 4,       /* the block is already free */
  RTALLOC_ERROR_HEAP_CORRUPTED = 5     /* an invariant of the heap does not hold */
} rtalloc_error_code;

/* Receives every reported error: `code` is an rtalloc_error_code, `message` a
 * static string, `heap` the heap concerned (NULL for a pool checked without
 * its heap), `address` the pointer, pool or block concerned (may be NULL),
 * `size` a size that goes with the error, or 0. It may return (the function
 * then gives its documented failure result) or not (abort, longjmp). It is
 * never called for an ordinary out-of-memory result. */
typedef void (*rtalloc_error_handler)(int code, const char* message, const void* heap,
                                      const void* address, size_t size);

/* Installs `handler` for every rtalloc heap of the program, C and C++ alike
 * (it replaces a handler installed with rtalloc::set_error_handler). NULL
 * restores the default: in checked builds print one line on stderr (POSIX
 * hosts) and trap; ignore in release builds.
 * O(1); safe while heaps are in use on other threads, but calls to it should
 * not race each other.
 * Returns the handler installed before by this function, or NULL if there was
 * none (the default, or a C++ handler). */
rtalloc_error_handler rtalloc_set_error_handler(rtalloc_error_handler handler);

/* A short name for an error code, e.g. "double_free"; "unknown" for a value
 * that is not one. */
const char* rtalloc_error_name(int code);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* RTALLOC_RTALLOC_H */
