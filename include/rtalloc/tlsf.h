// SPDX-License-Identifier: MIT OR Apache-2.0
/* tlsf.h — rtalloc's heap behind the API of Matthew Conte's widely used TLSF
 * library (C99; usable from C++).
 *
 * The names, types and semantics are those of that library's tlsf.h, so a
 * program built against it switches by including <rtalloc/tlsf.h> instead and
 * linking rtalloc_c (CMake target rtalloc::c). docs/c-api.md lists where the
 * behaviour differs (granularity, pool overhead, size limits, error reports).
 *
 * A tlsf_t is an rtalloc_heap* of <rtalloc/rtalloc.h>, and a pool_t is the
 * pointer its memory was added at: the functions of both headers work on it.
 * A heap is not thread-safe. */
#ifndef RTALLOC_TLSF_H
#define RTALLOC_TLSF_H

#include <stddef.h>

#include "rtalloc/version.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef void* tlsf_t; /* a heap: its control block's address */
typedef void* pool_t; /* a pool: the memory given to tlsf_add_pool */

/* Makes an empty heap in `mem`, which must hold tlsf_size() bytes aligned to
 * tlsf_align_size(). O(size classes). Returns NULL if mem is NULL or
 * misaligned. */
tlsf_t tlsf_create(void* mem);

/* Makes a heap in the first tlsf_size() bytes of `mem` and adds the rest as
 * its first pool (tlsf_get_pool). O(size classes). Returns NULL if mem is NULL
 * or misaligned, or bytes < tlsf_size() + the smallest pool. */
tlsf_t tlsf_create_with_pool(void* mem, size_t bytes);

/* Nothing to release: the memory is the caller's again once the heap is not
 * used. O(1). */
void tlsf_destroy(tlsf_t tlsf);

/* The pool tlsf_create_with_pool made: the bytes right after the control
 * block. O(1). */
pool_t tlsf_get_pool(tlsf_t tlsf);

/* Adds [mem, mem + bytes), any alignment, as a pool. O(1) (O(pools) in
 * checked builds). Returns mem as the pool's handle, or NULL if the memory is
 * NULL, too small or (checked builds) overlaps a pool; that is also reported
 * to the error handler. */
pool_t tlsf_add_pool(tlsf_t tlsf, void* mem, size_t bytes);

/* Removes `pool` from the heap if none of its memory is allocated; a pool
 * with used blocks stays in the heap (rtalloc_remove_pool says which
 * happened). O(1) (O(pools) in checked builds). */
void tlsf_remove_pool(tlsf_t tlsf, pool_t pool);

/* Allocates `bytes` bytes aligned to tlsf_align_size(); 0 gives a unique
 * minimal block. O(1). Returns NULL if no free block is large enough. */
void* tlsf_malloc(tlsf_t tlsf, size_t bytes);

/* Allocates `bytes` bytes aligned to `align`, a power of two. O(1).
 * Returns NULL on failure; a bad alignment is also reported. */
void* tlsf_memalign(tlsf_t tlsf, size_t align, size_t bytes);

/* Resizes the block at `ptr`, keeping its contents and alignment.
 * tlsf_realloc(t, NULL, size) is tlsf_malloc; tlsf_realloc(t, ptr, 0) frees
 * ptr and returns NULL. O(1) apart from copying a moved block. Returns NULL
 * if the block cannot grow, and leaves ptr valid and unchanged. */
void* tlsf_realloc(tlsf_t tlsf, void* ptr, size_t size);

/* Frees the block at `ptr`; NULL is a no-op. O(1). A double free is reported
 * and ignored. */
void tlsf_free(tlsf_t tlsf, void* ptr);

/* Usable bytes of the live block at `ptr`, read from its header; 0 for NULL.
 * `ptr` must be a live block of a heap (not checked). O(1). */
size_t tlsf_block_size(void* ptr);

/* Bytes of the control block tlsf_create needs. O(1). */
size_t tlsf_size(void);

/* Alignment of every block (a power of two): block sizes are multiples of
 * it, and tlsf_create's memory aligned to it is accepted. O(1). */
size_t tlsf_align_size(void);

/* Smallest usable size of a block: smaller requests get this much. O(1). */
size_t tlsf_block_size_min(void);

/* Largest block, header included, that a pool can hold; larger pools are used
 * up to this size. Requests above rtalloc_max_allocation(), which is
 * smaller, always fail. O(1). */
size_t tlsf_block_size_max(void);

/* Bytes a pool loses to bookkeeping: memory aligned to tlsf_align_size(), of
 * a size that is a multiple of it, holds bytes - tlsf_pool_overhead() in
 * blocks. O(1). */
size_t tlsf_pool_overhead(void);

/* Bytes each allocation costs beyond its usable size, at least (the block
 * header). O(1). */
size_t tlsf_alloc_overhead(void);

/* Called for each block of a pool: `ptr` as tlsf_malloc returned it, `size`
 * its usable bytes, `used` 1 or 0. */
typedef void (*tlsf_walker)(void* ptr, size_t size, int used, void* user);

/* Calls `walker` for every block of `pool`, in address order; a NULL walker
 * does nothing (this library prints nothing itself). The walker must not
 * change the heap. O(blocks in the pool). */
void tlsf_walk_pool(pool_t pool, tlsf_walker walker, void* user);

/* Verifies every invariant of the heap. O(blocks + pools^2 + size classes).
 * Returns 0 if the heap is healthy; otherwise reports the first broken
 * invariant (heap_corrupted) and returns a negative value. */
int tlsf_check(tlsf_t tlsf);

/* Verifies the blocks of one pool, without the heap's free lists and
 * counters. O(blocks in the pool). Returns 0 if healthy, otherwise reports
 * the first broken invariant and returns a negative value. */
int tlsf_check_pool(pool_t pool);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* RTALLOC_TLSF_H */
