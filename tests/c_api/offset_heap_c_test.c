// SPDX-License-Identifier: MIT OR Apache-2.0
/* offset_heap_c_test: every function of <rtalloc/offset_heap.h>, called from
 * C99.
 *
 * The harness of c_api_test.c: CHECK counts passes and prints each failure
 * with its line; the last line says "N passed, N failed" and the exit status
 * is 1 if anything failed. A recording error handler is installed for the
 * whole run, so bad input is checked through its reports. */
#include <rtalloc/offset_heap.h>
#include <rtalloc/rtalloc.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The rule of <rtalloc/error.hpp>: the library and this program are built
 * with the same flags, so they agree on it. */
#ifndef RTALLOC_CHECKS
#ifdef NDEBUG
#define RTALLOC_CHECKS 0
#else
#define RTALLOC_CHECKS 1
#endif
#endif

static unsigned passed;
static unsigned failed;

static void check(int ok, const char* text, int line) {
  if (ok) {
    ++passed;
  } else {
    ++failed;
    printf("FAILED (line %d): %s\n", line, text);
  }
}
#define CHECK(condition) check((condition) ? 1 : 0, #condition, __LINE__)

#define GIB ((uint64_t)1 << 30)

/* Heap memory, aligned as the control block needs (8 bytes, 4 on 32-bit x86). */
static uint64_t memory[4096];

static struct {
  int count;
  int code;
} reports;

static void record_report(int code, const char* message, const void* heap, const void* address,
                          size_t size) {
  (void)message;
  (void)heap;
  (void)address;
  (void)size;
  ++reports.count;
  reports.code = code;
}

static rtalloc_offset_stats stats_of(const rtalloc_offset_heap* heap) {
  rtalloc_offset_stats s;
  rtalloc_offset_get_stats(heap, &s);
  return s;
}

static rtalloc_offset_heap* new_heap(size_t records) {
  memset(memory, 0, sizeof memory);
  return rtalloc_offset_heap_create(memory, rtalloc_offset_heap_bytes_for(records));
}

static void test_sizes(void) {
  CHECK(rtalloc_offset_record_size() == 16);
  CHECK(rtalloc_offset_heap_size() > 0);
  CHECK(rtalloc_offset_heap_alignment() == 4 || rtalloc_offset_heap_alignment() == 8);
  CHECK(rtalloc_offset_heap_bytes_for(10) - rtalloc_offset_heap_bytes_for(0) == 160);
  CHECK(rtalloc_offset_max_offset() == ((uint64_t)1 << 40) - 1);
  CHECK(rtalloc_offset_max_records() == ((size_t)1 << 22) - 1);
}

static void test_create(void) {
  rtalloc_offset_heap* heap;
  CHECK(rtalloc_offset_heap_create(NULL, sizeof memory) == NULL);
  CHECK(rtalloc_offset_heap_create((char*)memory + 1, sizeof memory - 8) == NULL);
  CHECK(rtalloc_offset_heap_create(memory, rtalloc_offset_heap_bytes_for(2)) == NULL);
  heap = rtalloc_offset_heap_create(memory, rtalloc_offset_heap_bytes_for(3));
  CHECK(heap == (rtalloc_offset_heap*)(void*)memory);
  CHECK(stats_of(heap).record_capacity == 3);
  heap = rtalloc_offset_heap_create(memory, sizeof memory);
  CHECK(stats_of(heap).record_capacity ==
        (sizeof memory - rtalloc_offset_heap_bytes_for(0)) / rtalloc_offset_record_size());
  CHECK(stats_of(heap).capacity == 0 && rtalloc_offset_check(heap) == 1);
}

static void test_ranges(void) {
  rtalloc_offset_heap* heap = new_heap(16);
  rtalloc_offset_range range = 7;
  rtalloc_offset_range second;
  rtalloc_offset_allocation a;
  uint64_t begin = 1;
  uint64_t end = 1;

  reports.count = 0;
  CHECK(rtalloc_offset_add_range(heap, 100, 0, &range) == RTALLOC_OFFSET_INVALID_RANGE);
  CHECK(range == 0 && reports.count == 1 && reports.code == RTALLOC_ERROR_INVALID_POOL);
  CHECK(rtalloc_offset_add_range(heap, rtalloc_offset_max_offset(), 2, &range) ==
        RTALLOC_OFFSET_INVALID_RANGE);
  CHECK(rtalloc_offset_add_range(heap, UINT64_MAX, 2, &range) == RTALLOC_OFFSET_INVALID_RANGE);
  CHECK(reports.count == 3);

  CHECK(rtalloc_offset_add_range(heap, 48 * GIB, 48 * GIB, &range) == RTALLOC_OFFSET_OK);
  CHECK(range != 0);
  CHECK(rtalloc_offset_range_bounds(heap, range, &begin, &end) == RTALLOC_OFFSET_OK);
  CHECK(begin == 48 * GIB && end == 96 * GIB);
  CHECK(rtalloc_offset_extend_range(heap, range, 16 * GIB) == RTALLOC_OFFSET_OK);
  CHECK(stats_of(heap).capacity == 64 * GIB && stats_of(heap).range_count == 1);
  CHECK(rtalloc_offset_add_range(heap, 0, 4096, &second) == RTALLOC_OFFSET_OK);
  if (RTALLOC_CHECKS) {
    rtalloc_offset_range overlapping;
    reports.count = 0;
    CHECK(rtalloc_offset_add_range(heap, 4000, 100, &overlapping) == RTALLOC_OFFSET_RANGE_OVERLAP);
    CHECK(reports.count == 1 && reports.code == RTALLOC_ERROR_POOL_OVERLAP);
  }

  CHECK(rtalloc_offset_allocate(heap, 5 * GIB, 4096, &a) == RTALLOC_OFFSET_OK);
  CHECK(a.offset >= 48 * GIB && a.offset % 4096 == 0);
  CHECK(rtalloc_offset_remove_range(heap, range) == RTALLOC_OFFSET_RANGE_IN_USE);
  CHECK(rtalloc_offset_free(heap, a.handle) == RTALLOC_OFFSET_OK);
  CHECK(rtalloc_offset_remove_range(heap, range) == RTALLOC_OFFSET_OK);
  reports.count = 0;
  CHECK(rtalloc_offset_remove_range(heap, range) == RTALLOC_OFFSET_INVALID_RANGE);
  CHECK(rtalloc_offset_range_bounds(heap, range, &begin, &end) == RTALLOC_OFFSET_INVALID_RANGE);
  CHECK(begin == 0 && end == 0);
  CHECK(reports.count == (RTALLOC_CHECKS ? 2 : 0));
  CHECK(rtalloc_offset_remove_range(heap, second) == RTALLOC_OFFSET_OK);
  CHECK(stats_of(heap).records_used == 0 && rtalloc_offset_check(heap) == 1);
}

static void test_allocation(void) {
  rtalloc_offset_heap* heap = new_heap(64);
  rtalloc_offset_range range;
  rtalloc_offset_allocation a;
  rtalloc_offset_allocation b;
  rtalloc_offset_allocation again;

  CHECK(rtalloc_offset_add_range(heap, 0, 1 << 20, &range) == RTALLOC_OFFSET_OK);
  CHECK(rtalloc_offset_allocate(heap, 100, 1, &a) == RTALLOC_OFFSET_OK);
  CHECK(a.offset == 0 && a.handle != 0);
  CHECK(rtalloc_offset_allocate(heap, 10, 65536, &b) == RTALLOC_OFFSET_OK);
  CHECK(b.offset == 65536);
  CHECK(rtalloc_offset_of(heap, b.handle) == 65536 && rtalloc_offset_size_of(heap, b.handle) == 10);
  CHECK(rtalloc_offset_valid(heap, a.handle) == 1);
  CHECK(stats_of(heap).free_blocks == 2); /* the padding stays free */

  reports.count = 0;
  CHECK(rtalloc_offset_allocate(heap, 10, 3, &again) == RTALLOC_OFFSET_INVALID_ALIGNMENT);
  CHECK(again.handle == 0 && reports.count == 1 && reports.code == RTALLOC_ERROR_INVALID_ALIGNMENT);
  CHECK(rtalloc_offset_allocate(heap, UINT64_MAX, 1, &again) == RTALLOC_OFFSET_TOO_LARGE);
  CHECK(rtalloc_offset_allocate(heap, 2 << 20, 1, &again) == RTALLOC_OFFSET_OUT_OF_SPACE);
  CHECK(stats_of(heap).failed_allocations == 1);

  /* Resize in place: a grows into the free range after it, b cannot shrink
   * below one byte. */
  CHECK(rtalloc_offset_resize(heap, a.handle, 60000) == RTALLOC_OFFSET_OK);
  CHECK(rtalloc_offset_size_of(heap, a.handle) == 60000 && rtalloc_offset_of(heap, a.handle) == 0);
  CHECK(rtalloc_offset_resize(heap, a.handle, 65537) == RTALLOC_OFFSET_OUT_OF_SPACE);
  CHECK(rtalloc_offset_resize(heap, b.handle, 0) == RTALLOC_OFFSET_OK);
  CHECK(rtalloc_offset_size_of(heap, b.handle) == 1);

  /* A freed handle is refused, even once its offsets are allocated again. */
  CHECK(rtalloc_offset_free(heap, b.handle) == RTALLOC_OFFSET_OK);
  CHECK(rtalloc_offset_allocate(heap, 10, 65536, &again) == RTALLOC_OFFSET_OK);
  CHECK(again.offset == b.offset && again.handle != b.handle);
  reports.count = 0;
  CHECK(rtalloc_offset_valid(heap, b.handle) == 0);
  CHECK(rtalloc_offset_free(heap, b.handle) == RTALLOC_OFFSET_STALE_HANDLE);
  CHECK(rtalloc_offset_resize(heap, b.handle, 5) == RTALLOC_OFFSET_STALE_HANDLE);
  CHECK(rtalloc_offset_of(heap, b.handle) == UINT64_MAX);
  CHECK(rtalloc_offset_size_of(heap, b.handle) == 0);
  CHECK(rtalloc_offset_free(heap, 0) == RTALLOC_OFFSET_STALE_HANDLE);
  CHECK(reports.count == (RTALLOC_CHECKS ? 5 : 0));
  CHECK(rtalloc_offset_valid(heap, again.handle) == 1);
  CHECK(rtalloc_offset_free(heap, again.handle) == RTALLOC_OFFSET_OK);
  CHECK(rtalloc_offset_free(heap, a.handle) == RTALLOC_OFFSET_OK);
  CHECK(stats_of(heap).free_blocks == 1 && rtalloc_offset_free_size(heap) == 1 << 20);
  CHECK(stats_of(heap).peak_used == 60000 + 10);
  CHECK(rtalloc_offset_check(heap) == 1);
}

static void test_out_of_records(void) {
  rtalloc_offset_heap* heap = new_heap(4);
  rtalloc_offset_range range;
  rtalloc_offset_allocation a;
  rtalloc_offset_allocation b;
  CHECK(rtalloc_offset_add_range(heap, 0, 1000, &range) == RTALLOC_OFFSET_OK);
  CHECK(rtalloc_offset_allocate(heap, 10, 1, &a) == RTALLOC_OFFSET_OK); /* the last record */
  CHECK(rtalloc_offset_allocate(heap, 10, 1, &b) == RTALLOC_OFFSET_OUT_OF_RECORDS);
  CHECK(b.handle == 0 && stats_of(heap).used_blocks == 1);
  CHECK(rtalloc_offset_allocate(heap, 990, 1, &b) == RTALLOC_OFFSET_OK); /* an exact fit */
  CHECK(rtalloc_offset_free_size(heap) == 0 && rtalloc_offset_largest_allocation(heap) == 0);
  CHECK(rtalloc_offset_free(heap, a.handle) == RTALLOC_OFFSET_OK);
  CHECK(rtalloc_offset_largest_allocation(heap) == 10 && rtalloc_offset_largest_free(heap) == 10);
  CHECK(rtalloc_offset_check(heap) == 1);
}

struct tally {
  uint64_t used_bytes, free_bytes;
  unsigned used, free, calls;
  rtalloc_offset_handle handles;
};

static int tally_block(uint64_t offset, uint64_t size, int used, rtalloc_offset_handle handle,
                       void* user) {
  struct tally* t = (struct tally*)user;
  (void)offset;
  ++t->calls;
  if (used) {
    ++t->used;
    t->used_bytes += size;
    t->handles ^= handle;
  } else {
    ++t->free;
    t->free_bytes += size;
  }
  return 1;
}

static int stop_at_once(uint64_t offset, uint64_t size, int used, rtalloc_offset_handle handle,
                        void* user) {
  (void)offset;
  (void)size;
  (void)used;
  (void)handle;
  ++*(unsigned*)user;
  return 0;
}

static void test_walk_stats_and_check(void) {
  rtalloc_offset_heap* heap = new_heap(32);
  rtalloc_offset_range range;
  rtalloc_offset_allocation a[4];
  struct tally t = {0, 0, 0, 0, 0, 0};
  rtalloc_offset_stats s;
  unsigned calls = 0;
  uint64_t* first_block;
  int i;

  CHECK(rtalloc_offset_add_range(heap, 0, 4000, &range) == RTALLOC_OFFSET_OK);
  for (i = 0; i < 4; ++i) CHECK(rtalloc_offset_allocate(heap, 500, 1, &a[i]) == RTALLOC_OFFSET_OK);
  CHECK(rtalloc_offset_free(heap, a[1].handle) == RTALLOC_OFFSET_OK);
  rtalloc_offset_walk(heap, tally_block, &t);
  s = stats_of(heap);
  CHECK(t.used == 3 && t.free == 2 && t.calls == 5);
  CHECK(t.used_bytes == s.used && t.free_bytes == s.free && s.capacity == 4000);
  CHECK(t.handles == (a[0].handle ^ a[2].handle ^ a[3].handle));
  CHECK(s.range_count == 1 && s.used_blocks == 3 && s.free_blocks == 2);
  CHECK(s.records_used == 2 + 3 + 2 && s.record_capacity == 32);
  CHECK(s.largest_free == 2000 && s.peak_used == 2000);
  rtalloc_offset_walk(heap, stop_at_once, &calls);
  CHECK(calls == 1);
  rtalloc_offset_walk(heap, NULL, NULL); /* a no-op */

  /* The records follow the control block; the third is the range's first
   * block. Damage its offset: check() reports it. */
  CHECK(rtalloc_offset_check(heap) == 1);
  first_block = (uint64_t*)(void*)((char*)memory + rtalloc_offset_heap_bytes_for(0)) + 2 * 2;
  *first_block ^= 8;
  reports.count = 0;
  CHECK(rtalloc_offset_check(heap) == 0);
  CHECK(reports.count == 1 && reports.code == RTALLOC_ERROR_HEAP_CORRUPTED);
  *first_block ^= 8;
  CHECK(rtalloc_offset_check(heap) == 1);
}

static void test_error_names(void) {
  CHECK(strcmp(rtalloc_offset_error_name(RTALLOC_OFFSET_OK), "none") == 0);
  CHECK(strcmp(rtalloc_offset_error_name(RTALLOC_OFFSET_OUT_OF_RECORDS), "out_of_records") == 0);
  CHECK(strcmp(rtalloc_offset_error_name(RTALLOC_OFFSET_RANGE_IN_USE), "range_in_use") == 0);
  CHECK(strcmp(rtalloc_offset_error_name(9), "unknown") == 0);
  CHECK(strcmp(rtalloc_offset_error_name(-1), "unknown") == 0);
}

int main(void) {
  CHECK(rtalloc_set_error_handler(record_report) == NULL);

  test_sizes();
  test_create();
  test_ranges();
  test_allocation();
  test_out_of_records();
  test_walk_stats_and_check();
  test_error_names();

  CHECK(rtalloc_set_error_handler(NULL) == record_report);
  printf("%u passed, %u failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
