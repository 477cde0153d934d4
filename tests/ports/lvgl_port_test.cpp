// SPDX-License-Identifier: MIT OR Apache-2.0
// The LVGL glue (ports/lvgl/lv_mem_rtalloc.cpp), compiled against a
// stand-in lvgl.h (lvgl_include/), driven as LVGL drives its custom
// allocator: lv_mem_init, allocations, the monitor, a pool added and
// removed, lv_mem_test_core, lv_mem_deinit.
#include <cstdint>
#include <cstring>

#include "lvgl.h"
#include "port_check.hpp"
#include "rtalloc/error.hpp"

namespace {
alignas(16) unsigned char extra_pool[8192];
}

int main() {
  // The deliberate misuse below is reported; count it instead of trapping (checked builds).
  static int reports = 0;
  rtalloc::set_error_handler([](const rtalloc::ErrorInfo&) noexcept { ++reports; });
  lv_mem_monitor_t monitor{};
  PORT_CHECK(lv_malloc_core(1) == nullptr);  // no memory before lv_mem_init
  lv_mem_init();
  lv_mem_monitor_core(&monitor);
  PORT_CHECK(monitor.total_size > 32 * 1024 - 128 && monitor.total_size <= 32 * 1024);
  PORT_CHECK(monitor.free_size == monitor.total_size && monitor.used_cnt == 0);
  PORT_CHECK(monitor.free_cnt == 1 && monitor.frag_pct == 0 && monitor.used_pct == 0);

  void* blocks[64];
  for (int i = 0; i < 64; ++i) {
    blocks[i] = lv_malloc_core(static_cast<size_t>(100 + i * 3));
    PORT_CHECK(blocks[i] != nullptr);
    std::memset(blocks[i], i, static_cast<size_t>(100 + i * 3));
  }
  lv_mem_monitor_core(&monitor);
  PORT_CHECK(monitor.used_cnt == 64);
  PORT_CHECK(monitor.used_pct > 20 && monitor.used_pct < 60);
  PORT_CHECK(monitor.max_used == monitor.total_size - monitor.free_size);

  // realloc keeps the contents; free every other block: fragmentation shows.
  auto* grown = static_cast<unsigned char*>(lv_realloc_core(blocks[10], 2000));
  PORT_CHECK(grown != nullptr && grown[0] == 10 && grown[129] == 10);
  blocks[10] = grown;
  for (int i = 0; i < 64; i += 2) lv_free_core(blocks[i]);
  lv_mem_monitor_core(&monitor);
  PORT_CHECK(monitor.used_cnt == 32 && monitor.frag_pct > 0);
  PORT_CHECK(lv_mem_test_core() == LV_RESULT_OK);

  // A pool of the program's: added, used, then removed once empty.
  lv_mem_pool_t pool = lv_mem_add_pool(extra_pool, sizeof extra_pool);
  PORT_CHECK(pool != nullptr);
  lv_mem_monitor_core(&monitor);
  const size_t with_pool = monitor.total_size;
  PORT_CHECK(with_pool > 32 * 1024 + 8000);
  void* small = lv_malloc_core(64);
  PORT_CHECK(small != nullptr);
  lv_free_core(small);
  lv_mem_remove_pool(pool);
  lv_mem_monitor_core(&monitor);
  PORT_CHECK(monitor.total_size < with_pool);
  PORT_CHECK(lv_mem_add_pool(extra_pool, 8) == nullptr);  // too small for a pool
  PORT_CHECK(reports == 1);                               // and reported as invalid_pool

  for (int i = 1; i < 64; i += 2) lv_free_core(blocks[i]);
  lv_free_core(nullptr);
  lv_mem_monitor_core(&monitor);
  PORT_CHECK(monitor.used_cnt == 0 && monitor.free_cnt == 1);
  PORT_CHECK(lv_mem_test_core() == LV_RESULT_OK);

  lv_mem_deinit();
  lv_mem_monitor_core(&monitor);
  PORT_CHECK(monitor.total_size == 0);
  PORT_CHECK(lv_malloc_core(16) == nullptr);
  return rtalloc::test::port_check_summary();
}
