/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* A stand-in for lvgl.h in the build test of ports/lvgl (tests/ports): the names the custom
 * allocator hooks of LVGL 9 use, declared with the types LVGL's lv_mem.h and lv_types.h give
 * them. Not LVGL source: only interface names, so that the glue compiles against declarations it
 * must agree with. */
#ifndef RTALLOC_TEST_LVGL_H
#define RTALLOC_TEST_LVGL_H

#include <stddef.h>
#include <stdint.h>

#define LV_MEM_SIZE (32 * 1024)

typedef enum { LV_RESULT_INVALID = 0, LV_RESULT_OK } lv_result_t;
typedef void* lv_mem_pool_t;

typedef struct {
  size_t total_size;
  size_t free_cnt;
  size_t free_size;
  size_t free_biggest_size;
  size_t used_cnt;
  size_t max_used;
  uint8_t used_pct;
  uint8_t frag_pct;
} lv_mem_monitor_t;

#ifdef __cplusplus
extern "C" {
#endif
void lv_mem_init(void);
void lv_mem_deinit(void);
lv_mem_pool_t lv_mem_add_pool(void* mem, size_t bytes);
void lv_mem_remove_pool(lv_mem_pool_t pool);
void* lv_malloc_core(size_t size);
void* lv_realloc_core(void* p, size_t new_size);
void lv_free_core(void* p);
void lv_mem_monitor_core(lv_mem_monitor_t* mon_p);
lv_result_t lv_mem_test_core(void);
#ifdef __cplusplus
}
#endif

#endif
