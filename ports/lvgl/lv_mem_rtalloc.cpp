// SPDX-License-Identifier: MIT OR Apache-2.0
// LVGL's memory on rtalloc: the functions LVGL (v9) calls when lv_conf.h
// sets LV_USE_STDLIB_MALLOC to LV_STDLIB_CUSTOM. Compile this file into the
// program with LVGL's include path (it includes "lvgl.h") and rtalloc's.
// Every operation is rtalloc::Tlsf's, O(1); lv_mem_monitor_core and
// lv_mem_test_core are diagnostics and walk the blocks. See README.md here.
//
// Memory: LV_MEM_SIZE bytes of a static array (lv_conf.h; RTALLOC_LV_MEM_SIZE
// overrides it, 0 for none), added by lv_mem_init, and any pools
// lv_mem_add_pool adds. Not locked: LVGL calls these from the thread that
// runs it (with LV_USE_OS, under its own lock).
#include <cstddef>
#include <cstdint>
#include <new>
#include <rtalloc/tlsf.hpp>

#include "lvgl.h"

#ifndef RTALLOC_LV_MEM_SIZE
#ifdef LV_MEM_SIZE
#define RTALLOC_LV_MEM_SIZE (LV_MEM_SIZE)
#else
#define RTALLOC_LV_MEM_SIZE 0
#endif
#endif

namespace {

using Heap = rtalloc::Tlsf<>;
Heap heap;  // constant-initialized

#if RTALLOC_LV_MEM_SIZE > 0
alignas(alignof(std::max_align_t)) std::byte lv_memory[RTALLOC_LV_MEM_SIZE];
#endif

}  // namespace

/// Adds the static array as the first pool. O(1).
void lv_mem_init(void) {
#if RTALLOC_LV_MEM_SIZE > 0
  heap.add_pool(lv_memory, sizeof lv_memory);
#endif
}

/// Forgets every pool and block: the heap is empty again, as before
/// lv_mem_init. O(1).
void lv_mem_deinit(void) { ::new (&heap) Heap(); }

/// Adds [mem, mem + bytes) as a pool; returns it, or NULL if it is too small.
/// O(1).
lv_mem_pool_t lv_mem_add_pool(void* mem, size_t bytes) {
  return heap.add_pool(mem, bytes) != 0 ? mem : nullptr;
}

/// Removes a pool lv_mem_add_pool returned, if none of it is in use. O(1).
void lv_mem_remove_pool(lv_mem_pool_t pool) {
  if (pool != nullptr) heap.remove_pool(pool);
}

/// `size` bytes aligned to 8 (16 on 64-bit hosts), or NULL. O(1).
void* lv_malloc_core(size_t size) { return heap.allocate(size); }

/// Resizes in place when it can, else moves; NULL on failure, `p` kept.
/// O(1) plus the copy.
void* lv_realloc_core(void* p, size_t new_size) { return heap.reallocate(p, new_size); }

/// Frees `p`; NULL is a no-op. O(1).
void lv_free_core(void* p) { heap.deallocate(p); }

/// The heap's figures, as LVGL's own TLSF reports them. O(1) apart from the
/// largest free block (O(one list)).
void lv_mem_monitor_core(lv_mem_monitor_t* mon_p) {
  const rtalloc::TlsfStats stats = heap.stats();
  mon_p->total_size = stats.capacity;
  mon_p->free_size = stats.free;
  mon_p->free_biggest_size = stats.largest_free;
  mon_p->free_cnt = stats.free_blocks;
  mon_p->used_cnt = stats.used_blocks;
  mon_p->max_used = stats.peak_used;
  mon_p->used_pct = static_cast<std::uint8_t>(
      stats.capacity == 0 ? 0 : (stats.used * 100 + stats.capacity / 2) / stats.capacity);
  // The share of the free bytes outside the largest free block, rounded.
  mon_p->frag_pct = static_cast<std::uint8_t>(
      stats.free == 0 ? 0 : 100 - (stats.largest_free * 100 + stats.free / 2) / stats.free);
}

/// Every invariant of the heap (Tlsf::check): LV_RESULT_OK or
/// LV_RESULT_INVALID. O(blocks).
lv_result_t lv_mem_test_core(void) { return heap.check() ? LV_RESULT_OK : LV_RESULT_INVALID; }
