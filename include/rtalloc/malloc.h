// SPDX-License-Identifier: MIT OR Apache-2.0
/* The introspection interface of librtalloc_malloc, rtalloc's drop-in
 * replacement for the C malloc family and C++ operator new/delete (see
 * docs/malloc.md). A program preloaded with the library (LD_PRELOAD) or
 * linked with it can call these to look at the heap its malloc uses. */
#ifndef RTALLOC_MALLOC_H
#define RTALLOC_MALLOC_H

#include <stddef.h>

#include "rtalloc/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What the process heap holds; bytes count whole blocks, headers included. */
typedef struct rtalloc_malloc_info {
  size_t footprint;   /**< bytes mapped from the system, bookkeeping included */
  size_t capacity;    /**< bytes in the heap's blocks */
  size_t used;        /**< bytes in allocated blocks */
  size_t peak_used;   /**< highest `used` so far */
  size_t used_blocks; /**< allocated blocks */
  size_t free_blocks; /**< free blocks */
  size_t pools;       /**< pools (contiguous ranges) of the heap */
  size_t growths;     /**< times the heap took memory from the system */
  size_t discarded;   /**< bytes of free pages handed back to the system so far */
} rtalloc_malloc_info;

/** Fills *info under the heap's lock. O(1). */
void rtalloc_malloc_get_info(rtalloc_malloc_info* info);

/** Verifies every invariant of the heap (Tlsf::check) under its lock; a
 * broken one is reported on stderr. Returns 1 if the heap is sound, else 0.
 * O(blocks). */
int rtalloc_malloc_check(void);

#ifdef __cplusplus
}
#endif

#endif /* RTALLOC_MALLOC_H */
