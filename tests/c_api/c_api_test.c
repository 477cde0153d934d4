// SPDX-License-Identifier: MIT OR Apache-2.0
/* c_api_test: every function of <rtalloc/rtalloc.h> and <rtalloc/tlsf.h>,
 * called from C99.
 *
 * A minimal harness: CHECK counts passes and prints each failure with its
 * line; the last line says "N passed, N failed" and the exit status is 1 if
 * anything failed. Every test makes its own heap in its own static memory. A
 * recording error handler is installed for the whole run, so bad input is
 * checked through its reports rather than trapping in checked builds. */
#include <rtalloc/rtalloc.h>
#include <rtalloc/tlsf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

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

/* Heap memory. C99 has no alignas: a union with the most aligned scalar types
 * aligns the bytes as malloc would. */
#define ARENA(name, size)      \
  static union {               \
    long double align_ld;      \
    long long align_ll;        \
    void* align_p;             \
    unsigned char bytes[size]; \
  } name

static int is_aligned(const void* p, size_t alignment) { return (uintptr_t)p % alignment == 0; }

/* 1 if p lies in [begin, begin + bytes); compared as integers, since the
 * pointers may belong to different arrays. */
static int in_range(const void* p, const void* begin, size_t bytes) {
  return (uintptr_t)p >= (uintptr_t)begin && (uintptr_t)p - (uintptr_t)begin < bytes;
}

static int is_power_of_two(size_t value) { return value != 0 && (value & (value - 1)) == 0; }

static rtalloc_stats stats_of(const rtalloc_heap* heap) {
  rtalloc_stats s;
  rtalloc_get_stats(heap, &s);
  return s;
}

/* ---- Error reports ------------------------------------------------------ */

static struct {
  int count;
  int code;
  const char* message;
  const void* heap;
  const void* address;
  size_t size;
} reports;

static void record_report(int code, const char* message, const void* heap, const void* address,
                          size_t size) {
  ++reports.count;
  reports.code = code;
  reports.message = message;
  reports.heap = heap;
  reports.address = address;
  reports.size = size;
}

static void ignore_report(int code, const char* message, const void* heap, const void* address,
                          size_t size) {
  (void)code;
  (void)message;
  (void)heap;
  (void)address;
  (void)size;
}

static void clear_reports(void) { memset(&reports, 0, sizeof reports); }

/* 1 if exactly one report of `code` arrived since the last clear_reports(). */
static int reported_once(int code) { return reports.count == 1 && reports.code == code; }

/* ---- <rtalloc/rtalloc.h> ------------------------------------------------ */

static void test_sizes(void) {
  CHECK(rtalloc_heap_size() > 0);
  CHECK(is_power_of_two(rtalloc_heap_alignment()));
  CHECK(rtalloc_heap_size() % rtalloc_heap_alignment() == 0);
  CHECK(rtalloc_min_pool_size() > 0);
  CHECK(rtalloc_max_allocation() > rtalloc_min_pool_size());
}

static void test_create(void) {
  ARENA(arena, 64 * 1024);
  const size_t heap_size = rtalloc_heap_size();
  rtalloc_heap* heap;
  rtalloc_stats s;

  CHECK(rtalloc_create(NULL, sizeof arena.bytes) == NULL);
  CHECK(rtalloc_create(arena.bytes, heap_size - 1) == NULL);
  if (rtalloc_heap_alignment() > 1) CHECK(rtalloc_create(arena.bytes + 1, heap_size) == NULL);

  heap = rtalloc_create(arena.bytes, heap_size);
  CHECK(heap == (rtalloc_heap*)(void*)arena.bytes);
  s = stats_of(heap);
  CHECK(s.pool_count == 0 && s.capacity == 0 && s.used == 0 && s.free_blocks == 0);
  CHECK(rtalloc_malloc(heap, 16) == NULL); /* no pool yet */
  CHECK(stats_of(heap).failed_allocations == 1);
  CHECK(rtalloc_check(heap) == 1);

  CHECK(rtalloc_create_with_pool(NULL, sizeof arena.bytes) == NULL);
  CHECK(rtalloc_create_with_pool(arena.bytes, heap_size + rtalloc_min_pool_size() - 1) == NULL);
  if (rtalloc_heap_alignment() > 1) {
    CHECK(rtalloc_create_with_pool(arena.bytes + 1, sizeof arena.bytes - 1) == NULL);
  }
  heap = rtalloc_create_with_pool(arena.bytes, heap_size + rtalloc_min_pool_size());
  CHECK(heap != NULL && stats_of(heap).pool_count == 1 && stats_of(heap).capacity > 0);

  heap = rtalloc_create_with_pool(arena.bytes, sizeof arena.bytes);
  CHECK(heap == (rtalloc_heap*)(void*)arena.bytes);
  s = stats_of(heap);
  CHECK(s.pool_count == 1 && s.free_blocks == 1 && s.used == 0);
  CHECK(s.capacity > sizeof arena.bytes - heap_size - 256 && s.capacity < sizeof arena.bytes);
  CHECK(rtalloc_malloc(heap, 1000) != NULL);
  CHECK(rtalloc_check(heap) == 1);
}

static void test_pools(void) {
  ARENA(control, 16 * 1024);
  ARENA(pool_memory, 16 * 1024);
  ARENA(second_memory, 4 * 1024);
  unsigned char* pool = pool_memory.bytes;
  const size_t half = sizeof pool_memory.bytes / 2;
  rtalloc_heap* heap = rtalloc_create(control.bytes, sizeof control.bytes);
  size_t added, extended, second_added;
  int local = 0;
  void* p;
  void* p_pool;
  void* other_pool;

  clear_reports();
  CHECK(rtalloc_add_pool(heap, pool, rtalloc_min_pool_size() - 1) == 0);
  CHECK(reported_once(RTALLOC_ERROR_INVALID_POOL) && reports.heap == heap);
  clear_reports();
  CHECK(rtalloc_add_pool(heap, NULL, 4096) == 0);
  CHECK(reported_once(RTALLOC_ERROR_INVALID_POOL));

  added = rtalloc_add_pool(heap, pool, half);
  CHECK(added > 0 && added < half);
  CHECK(stats_of(heap).capacity == added && stats_of(heap).pool_count == 1);
  CHECK(rtalloc_pool_end(heap, pool) == pool + half);

  /* Extending: the memory must start where the pool ends. */
  clear_reports();
  CHECK(rtalloc_extend_pool(heap, pool, pool + half + 64, half - 64) == 0);
  CHECK(reported_once(RTALLOC_ERROR_INVALID_POOL));
  extended = rtalloc_extend_pool(heap, pool, pool + half, half);
  CHECK(extended > 0 && extended <= half);
  CHECK(stats_of(heap).capacity == added + extended);
  CHECK(rtalloc_pool_end(heap, pool) == pool + sizeof pool_memory.bytes);
  CHECK(stats_of(heap).free_blocks == 1); /* the new bytes merged with the free last block */

  second_added = rtalloc_add_pool(heap, second_memory.bytes, sizeof second_memory.bytes);
  CHECK(second_added > 0 && stats_of(heap).pool_count == 2);
  CHECK(stats_of(heap).capacity == added + extended + second_added);

  p = rtalloc_malloc(heap, 100);
  CHECK(rtalloc_owns(heap, p) == 1);
  CHECK(rtalloc_owns(heap, &local) == 0);
  CHECK(rtalloc_owns(heap, NULL) == 0);

  /* A pool with a used block stays; an unused one goes. */
  if (in_range(p, second_memory.bytes, sizeof second_memory.bytes)) {
    p_pool = second_memory.bytes;
    other_pool = pool;
  } else {
    p_pool = pool;
    other_pool = second_memory.bytes;
  }
  CHECK(rtalloc_remove_pool(heap, p_pool) == 0);
  CHECK(stats_of(heap).pool_count == 2);
  CHECK(rtalloc_remove_pool(heap, other_pool) == 1);
  CHECK(stats_of(heap).pool_count == 1 && rtalloc_owns(heap, p) == 1);
  rtalloc_free(heap, p);
  CHECK(rtalloc_remove_pool(heap, p_pool) == 1);
  CHECK(stats_of(heap).pool_count == 0 && stats_of(heap).capacity == 0);
  CHECK(rtalloc_malloc(heap, 1) == NULL);
  CHECK(rtalloc_check(heap) == 1);
}

static void test_malloc_and_free(void) {
  ARENA(arena, 64 * 1024);
  rtalloc_heap* heap = rtalloc_create_with_pool(arena.bytes, sizeof arena.bytes);
  static const size_t sizes[] = {0, 1, 7, 16, 24, 100, 1000, 5000};
  void* blocks[sizeof sizes / sizeof sizes[0]];
  size_t i;

  for (i = 0; i < sizeof sizes / sizeof sizes[0]; ++i) {
    blocks[i] = rtalloc_malloc(heap, sizes[i]);
    CHECK(blocks[i] != NULL);
    CHECK(is_aligned(blocks[i], tlsf_align_size()));
    CHECK(rtalloc_usable_size(heap, blocks[i]) >= sizes[i]);
    memset(blocks[i], (int)i, sizes[i]);
  }
  CHECK(blocks[0] != blocks[1]); /* malloc(0) gives a block of its own */
  CHECK(stats_of(heap).used_blocks == sizeof sizes / sizeof sizes[0]);
  for (i = 0; i < sizeof sizes / sizeof sizes[0]; ++i) {
    const unsigned char* bytes = (const unsigned char*)blocks[i];
    CHECK(sizes[i] == 0 || (bytes[0] == i && bytes[sizes[i] - 1] == i));
  }
  CHECK(rtalloc_usable_size(heap, NULL) == 0);
  CHECK(rtalloc_malloc(heap, rtalloc_max_allocation() + 1) == NULL);
  CHECK(rtalloc_malloc(heap, SIZE_MAX) == NULL);
  CHECK(rtalloc_malloc(heap, sizeof arena.bytes) == NULL);
  CHECK(stats_of(heap).failed_allocations == 3);

  rtalloc_free(heap, NULL); /* a no-op */
  for (i = 0; i < sizeof sizes / sizeof sizes[0]; ++i) rtalloc_free(heap, blocks[i]);
  CHECK(stats_of(heap).used_blocks == 0 && stats_of(heap).free_blocks == 1);

  /* A double free is reported and changes nothing. */
  blocks[0] = rtalloc_malloc(heap, 64);
  blocks[1] = rtalloc_malloc(heap, 64); /* keeps blocks[0] from merging away */
  rtalloc_free(heap, blocks[0]);
  clear_reports();
  rtalloc_free(heap, blocks[0]);
  CHECK(reported_once(RTALLOC_ERROR_DOUBLE_FREE));
  CHECK(reports.heap == heap && reports.address == blocks[0] && reports.message != NULL);
  CHECK(stats_of(heap).used_blocks == 1);
  clear_reports();
  CHECK(rtalloc_usable_size(heap, blocks[0]) == 0);
  CHECK(reported_once(RTALLOC_ERROR_DOUBLE_FREE));
  rtalloc_free(heap, blocks[1]);
  CHECK(rtalloc_check(heap) == 1);
}

static void test_calloc(void) {
  ARENA(arena, 16 * 1024);
  rtalloc_heap* heap = rtalloc_create_with_pool(arena.bytes, sizeof arena.bytes);
  unsigned char* dirty = (unsigned char*)rtalloc_malloc(heap, 400);
  unsigned char* zeroed;
  size_t i, nonzero = 0;

  memset(dirty, 0xA5, 400);
  rtalloc_free(heap, dirty);
  zeroed = (unsigned char*)rtalloc_calloc(heap, 100, 4);
  CHECK(zeroed == dirty); /* the same block again, so the clearing is what the test sees */
  CHECK(zeroed != NULL && rtalloc_usable_size(heap, zeroed) >= 400);
  for (i = 0; zeroed != NULL && i < 400; ++i) {
    if (zeroed[i] != 0) ++nonzero;
  }
  CHECK(nonzero == 0);
  rtalloc_free(heap, zeroed);

  /* count * size overflows: NULL, counted as failed, not reported. */
  clear_reports();
  CHECK(rtalloc_calloc(heap, SIZE_MAX / 2 + 1, 2) == NULL);
  CHECK(rtalloc_calloc(heap, 2, SIZE_MAX / 2 + 1) == NULL);
  CHECK(rtalloc_calloc(heap, SIZE_MAX, SIZE_MAX) == NULL);
  CHECK(stats_of(heap).failed_allocations == 3 && reports.count == 0);

  zeroed = (unsigned char*)rtalloc_calloc(heap, 0, 10);
  CHECK(zeroed != NULL); /* as malloc(0) */
  rtalloc_free(heap, zeroed);
  CHECK(stats_of(heap).used_blocks == 0);
}

static void test_memalign(void) {
  ARENA(arena, 64 * 1024);
  rtalloc_heap* heap = rtalloc_create_with_pool(arena.bytes, sizeof arena.bytes);
  static const size_t alignments[] = {1, 2, 8, 16, 32, 64, 256, 4096};
  void* blocks[sizeof alignments / sizeof alignments[0]];
  size_t i;

  for (i = 0; i < sizeof alignments / sizeof alignments[0]; ++i) {
    blocks[i] = rtalloc_memalign(heap, alignments[i], 100);
    CHECK(blocks[i] != NULL && is_aligned(blocks[i], alignments[i]));
    CHECK(rtalloc_usable_size(heap, blocks[i]) >= 100);
  }
  for (i = 0; i < sizeof alignments / sizeof alignments[0]; ++i) rtalloc_free(heap, blocks[i]);

  clear_reports();
  CHECK(rtalloc_memalign(heap, 48, 100) == NULL);
  CHECK(reported_once(RTALLOC_ERROR_INVALID_ALIGNMENT) && reports.size == 48);
  clear_reports();
  CHECK(rtalloc_memalign(heap, 0, 100) == NULL);
  CHECK(reported_once(RTALLOC_ERROR_INVALID_ALIGNMENT));
  CHECK(stats_of(heap).used_blocks == 0);
  CHECK(rtalloc_check(heap) == 1);
}

static void test_realloc(void) {
  ARENA(arena, 64 * 1024);
  rtalloc_heap* heap = rtalloc_create_with_pool(arena.bytes, sizeof arena.bytes);
  unsigned char* p;
  unsigned char* grown;
  unsigned char* blocker;
  size_t i, wrong = 0, usable;

  /* realloc(NULL, n) is malloc(n). */
  p = (unsigned char*)rtalloc_realloc(heap, NULL, 100);
  CHECK(p != NULL && rtalloc_usable_size(heap, p) >= 100);
  for (i = 0; i < 100; ++i) p[i] = (unsigned char)i;

  /* Growing keeps the contents, in place or moved. */
  blocker = (unsigned char*)rtalloc_malloc(heap, 32); /* forces the move below */
  grown = (unsigned char*)rtalloc_realloc(heap, p, 3000);
  CHECK(grown != NULL && rtalloc_usable_size(heap, grown) >= 3000);
  for (i = 0; grown != NULL && i < 100; ++i) {
    if (grown[i] != (unsigned char)i) ++wrong;
  }
  CHECK(wrong == 0);
  p = grown;

  /* Shrinking keeps the contents too. */
  p = (unsigned char*)rtalloc_realloc(heap, p, 50);
  CHECK(p != NULL && rtalloc_usable_size(heap, p) >= 50);
  wrong = 0;
  for (i = 0; p != NULL && i < 50; ++i) {
    if (p[i] != (unsigned char)i) ++wrong;
  }
  CHECK(wrong == 0);

  /* A request that cannot be met: NULL, and the block stays as it was. */
  usable = rtalloc_usable_size(heap, p);
  CHECK(rtalloc_realloc(heap, p, sizeof arena.bytes) == NULL);
  CHECK(rtalloc_realloc(heap, p, SIZE_MAX) == NULL);
  CHECK(rtalloc_usable_size(heap, p) == usable && p[49] == 49);

  /* realloc(p, 0) frees p and returns NULL. */
  CHECK(stats_of(heap).used_blocks == 2);
  CHECK(rtalloc_realloc(heap, p, 0) == NULL);
  CHECK(stats_of(heap).used_blocks == 1);
  rtalloc_free(heap, blocker);
  CHECK(stats_of(heap).used_blocks == 0);

  /* A moved block keeps the alignment it was allocated with. The second
   * aligned block comes from the space after p (the free space in front of p
   * is too small for it), so p cannot grow in place. */
  p = (unsigned char*)rtalloc_memalign(heap, 512, 40);
  blocker = (unsigned char*)rtalloc_memalign(heap, 512, 40);
  grown = (unsigned char*)rtalloc_realloc(heap, p, 4000);
  CHECK(grown != NULL && grown != p && is_aligned(grown, 512));
  CHECK(rtalloc_usable_size(heap, grown) >= 4000);
  rtalloc_free(heap, grown);
  rtalloc_free(heap, blocker);
  CHECK(stats_of(heap).used_blocks == 0);

  /* A freed pointer is reported and gives NULL. */
  p = (unsigned char*)rtalloc_malloc(heap, 100);
  blocker = (unsigned char*)rtalloc_malloc(heap, 100);
  rtalloc_free(heap, p);
  clear_reports();
  CHECK(rtalloc_realloc(heap, p, 10) == NULL);
  CHECK(reported_once(RTALLOC_ERROR_DOUBLE_FREE) && reports.address == p);
  rtalloc_free(heap, blocker);
  CHECK(rtalloc_check(heap) == 1);
}

static void test_stats_and_reset(void) {
  ARENA(arena, 32 * 1024);
  rtalloc_heap* heap = rtalloc_create_with_pool(arena.bytes, sizeof arena.bytes);
  const rtalloc_stats empty = stats_of(heap);
  void* a = rtalloc_malloc(heap, 1000);
  void* b = rtalloc_malloc(heap, 2000);
  void* c = rtalloc_malloc(heap, 3000);
  rtalloc_stats s;

  CHECK(empty.used == 0 && empty.free == empty.capacity && empty.peak_used == 0);
  CHECK(empty.largest_free == empty.capacity - tlsf_alloc_overhead());
  s = stats_of(heap);
  CHECK(s.capacity == empty.capacity && s.capacity == s.used + s.free);
  CHECK(s.used >= 6000 && s.used_blocks == 3 && s.free_blocks == 1);
  CHECK(s.peak_used == s.used && s.largest_free < empty.largest_free);

  rtalloc_free(heap, b);
  s = stats_of(heap);
  CHECK(s.used_blocks == 2 && s.free_blocks == 2 && s.peak_used > s.used);
  CHECK(s.capacity == s.used + s.free);

  rtalloc_malloc(heap, sizeof arena.bytes); /* fails */
  rtalloc_reset(heap);
  s = stats_of(heap);
  CHECK(s.used == 0 && s.used_blocks == 0 && s.free_blocks == 1);
  CHECK(s.largest_free == empty.largest_free);
  CHECK(s.peak_used >= 6000 && s.failed_allocations == 1); /* kept by reset */
  CHECK(rtalloc_check(heap) == 1);
  (void)a;
  (void)c;
}

struct walk_tally {
  size_t used_blocks, free_blocks, used_bytes, free_bytes, visited, stop_after;
  const rtalloc_heap* heap;
  int sizes_agree;
};

static int count_block(void* ptr, size_t size, int used, void* user) {
  struct walk_tally* tally = (struct walk_tally*)user;
  ++tally->visited;
  if (used) {
    ++tally->used_blocks;
    tally->used_bytes += size;
    if (rtalloc_usable_size(tally->heap, ptr) != size) tally->sizes_agree = 0;
  } else {
    ++tally->free_blocks;
    tally->free_bytes += size;
  }
  return tally->stop_after == 0 || tally->visited < tally->stop_after;
}

static void test_walk(void) {
  ARENA(arena, 32 * 1024);
  rtalloc_heap* heap = rtalloc_create_with_pool(arena.bytes, sizeof arena.bytes);
  struct walk_tally tally;
  void* blocks[5];
  size_t i;
  rtalloc_stats s;

  for (i = 0; i < 5; ++i) blocks[i] = rtalloc_malloc(heap, 100 * (i + 1));
  rtalloc_free(heap, blocks[1]);
  rtalloc_free(heap, blocks[3]);
  s = stats_of(heap);

  memset(&tally, 0, sizeof tally);
  tally.heap = heap;
  tally.sizes_agree = 1;
  rtalloc_walk(heap, count_block, &tally);
  CHECK(tally.used_blocks == 3 && tally.used_blocks == s.used_blocks);
  CHECK(tally.free_blocks == 3 && tally.free_blocks == s.free_blocks);
  CHECK(tally.sizes_agree);
  CHECK(tally.used_bytes + tally.free_bytes + tally.visited * tlsf_alloc_overhead() == s.capacity);

  /* Returning 0 stops the walk. */
  memset(&tally, 0, sizeof tally);
  tally.heap = heap;
  tally.stop_after = 2;
  rtalloc_walk(heap, count_block, &tally);
  CHECK(tally.visited == 2);

  rtalloc_walk(heap, NULL, NULL); /* a no-op */
  for (i = 0; i < 5; ++i) rtalloc_free(heap, i == 1 || i == 3 ? NULL : blocks[i]);
  CHECK(stats_of(heap).used_blocks == 0);
}

static void test_check_finds_damage(void) {
  ARENA(arena, 16 * 1024);
  rtalloc_heap* heap = rtalloc_create_with_pool(arena.bytes, sizeof arena.bytes);
  unsigned char* p = (unsigned char*)rtalloc_malloc(heap, 200);
  void* q = rtalloc_malloc(heap, 200);
  size_t header, saved;

  CHECK(rtalloc_check(heap) == 1 && tlsf_check(heap) == 0);
  CHECK(tlsf_check_pool(tlsf_get_pool(heap)) == 0);

  /* The block header is the word right before the payload: claim a size the
   * pool does not have. */
  memcpy(&saved, p - sizeof saved, sizeof saved);
  header = saved + 64 * 1024;
  memcpy(p - sizeof header, &header, sizeof header);
  clear_reports();
  CHECK(rtalloc_check(heap) == 0);
  CHECK(reported_once(RTALLOC_ERROR_HEAP_CORRUPTED) && reports.heap == heap);
  CHECK(reports.message != NULL && reports.address != NULL);
  clear_reports();
  CHECK(tlsf_check(heap) != 0);
  CHECK(reported_once(RTALLOC_ERROR_HEAP_CORRUPTED));
  clear_reports();
  CHECK(tlsf_check_pool(tlsf_get_pool(heap)) != 0);
  CHECK(reported_once(RTALLOC_ERROR_HEAP_CORRUPTED) && reports.heap == NULL);

  memcpy(p - sizeof saved, &saved, sizeof saved);
  CHECK(rtalloc_check(heap) == 1 && tlsf_check(heap) == 0);
  rtalloc_free(heap, p);
  rtalloc_free(heap, q);
  CHECK(rtalloc_check(heap) == 1);
}

static void test_error_handler(void) {
  ARENA(arena, 16 * 1024);
  rtalloc_heap* heap = rtalloc_create_with_pool(arena.bytes, sizeof arena.bytes);

  /* main() installed record_report. */
  CHECK(rtalloc_set_error_handler(ignore_report) == record_report);
  clear_reports();
  CHECK(rtalloc_memalign(heap, 3, 10) == NULL);
  CHECK(reports.count == 0); /* went to ignore_report */
  CHECK(rtalloc_set_error_handler(record_report) == ignore_report);
  CHECK(rtalloc_memalign(heap, 3, 10) == NULL);
  CHECK(reported_once(RTALLOC_ERROR_INVALID_ALIGNMENT));

  CHECK(strcmp(rtalloc_error_name(RTALLOC_ERROR_INVALID_ALIGNMENT), "invalid_alignment") == 0);
  CHECK(strcmp(rtalloc_error_name(RTALLOC_ERROR_INVALID_POOL), "invalid_pool") == 0);
  CHECK(strcmp(rtalloc_error_name(RTALLOC_ERROR_POOL_OVERLAP), "pool_overlap") == 0);
  CHECK(strcmp(rtalloc_error_name(RTALLOC_ERROR_INVALID_POINTER), "invalid_pointer") == 0);
  CHECK(strcmp(rtalloc_error_name(RTALLOC_ERROR_DOUBLE_FREE), "double_free") == 0);
  CHECK(strcmp(rtalloc_error_name(RTALLOC_ERROR_HEAP_CORRUPTED), "heap_corrupted") == 0);
  CHECK(strcmp(rtalloc_error_name(-1), "unknown") == 0);
  CHECK(strcmp(rtalloc_error_name(RTALLOC_ERROR_HEAP_CORRUPTED + 1), "unknown") == 0);
}

/* ---- <rtalloc/tlsf.h> --------------------------------------------------- */

static void test_tlsf_sizes(void) {
  CHECK(tlsf_size() == rtalloc_heap_size());
  CHECK(is_power_of_two(tlsf_align_size()) && tlsf_align_size() >= rtalloc_heap_alignment());
  CHECK(tlsf_align_size() >= sizeof(void*));
  CHECK(tlsf_block_size_min() > 0 && tlsf_block_size_min() < tlsf_block_size_max());
  CHECK(rtalloc_max_allocation() < tlsf_block_size_max());
  CHECK(tlsf_pool_overhead() > 0 && tlsf_pool_overhead() < rtalloc_min_pool_size());
  CHECK(tlsf_alloc_overhead() == sizeof(size_t));
}

static void test_tlsf_create_and_pools(void) {
  ARENA(control, 16 * 1024);
  ARENA(pool_memory, 16 * 1024);
  tlsf_t tlsf;
  pool_t pool;
  void* p;

  CHECK(tlsf_create(NULL) == NULL);
  if (rtalloc_heap_alignment() > 1) CHECK(tlsf_create(control.bytes + 1) == NULL);
  tlsf = tlsf_create(control.bytes);
  CHECK(tlsf == (void*)control.bytes);
  CHECK(tlsf_malloc(tlsf, 10) == NULL); /* no pool yet */

  clear_reports();
  CHECK(tlsf_add_pool(tlsf, pool_memory.bytes, 10) == NULL);
  CHECK(reported_once(RTALLOC_ERROR_INVALID_POOL));
  pool = tlsf_add_pool(tlsf, pool_memory.bytes, sizeof pool_memory.bytes);
  CHECK(pool == (void*)pool_memory.bytes);
  /* Aligned memory of a multiple of the alignment loses exactly the pool overhead. */
  CHECK(stats_of(tlsf).capacity == sizeof pool_memory.bytes - tlsf_pool_overhead());

  p = tlsf_malloc(tlsf, 100);
  CHECK(p != NULL && is_aligned(p, tlsf_align_size()));
  tlsf_remove_pool(tlsf, pool); /* a pool with a used block stays */
  CHECK(stats_of(tlsf).pool_count == 1);
  tlsf_free(tlsf, p);
  tlsf_remove_pool(tlsf, pool);
  CHECK(stats_of(tlsf).pool_count == 0);
  CHECK(tlsf_check(tlsf) == 0);
  tlsf_destroy(tlsf);
}

static void test_tlsf_allocation(void) {
  ARENA(arena, 64 * 1024);
  tlsf_t tlsf = tlsf_create_with_pool(arena.bytes, sizeof arena.bytes);
  unsigned char* p;
  unsigned char* q;
  void* aligned;
  size_t i, wrong = 0;

  CHECK(tlsf != NULL && tlsf_get_pool(tlsf) == (void*)(arena.bytes + tlsf_size()));
  CHECK(tlsf_create_with_pool(arena.bytes, tlsf_size() + 8) == NULL); /* no room for a pool */
  tlsf = tlsf_create_with_pool(arena.bytes, sizeof arena.bytes);

  p = (unsigned char*)tlsf_malloc(tlsf, 1);
  CHECK(p != NULL && tlsf_block_size(p) == tlsf_block_size_min());
  tlsf_free(tlsf, p);
  p = (unsigned char*)tlsf_malloc(tlsf, 300);
  CHECK(p != NULL && tlsf_block_size(p) >= 300);
  CHECK(tlsf_block_size(p) == rtalloc_usable_size(tlsf, p));
  CHECK(tlsf_block_size(NULL) == 0);
  for (i = 0; i < 300; ++i) p[i] = (unsigned char)(i * 7);

  aligned = tlsf_memalign(tlsf, 1024, 100);
  CHECK(aligned != NULL && is_aligned(aligned, 1024) && tlsf_block_size(aligned) >= 100);
  clear_reports();
  CHECK(tlsf_memalign(tlsf, 24, 100) == NULL);
  CHECK(reported_once(RTALLOC_ERROR_INVALID_ALIGNMENT));

  q = (unsigned char*)tlsf_realloc(tlsf, p, 5000);
  CHECK(q != NULL && tlsf_block_size(q) >= 5000);
  for (i = 0; q != NULL && i < 300; ++i) {
    if (q[i] != (unsigned char)(i * 7)) ++wrong;
  }
  CHECK(wrong == 0);
  CHECK(tlsf_realloc(tlsf, q, SIZE_MAX) == NULL && q[299] == (unsigned char)(299 * 7));
  CHECK(tlsf_realloc(tlsf, q, 0) == NULL);          /* frees q */
  p = (unsigned char*)tlsf_realloc(tlsf, NULL, 64); /* malloc */
  CHECK(p != NULL && stats_of(tlsf).used_blocks == 2);

  clear_reports();
  tlsf_free(tlsf, p);
  tlsf_free(tlsf, p);
  CHECK(reported_once(RTALLOC_ERROR_DOUBLE_FREE));
  tlsf_free(tlsf, aligned);
  tlsf_free(tlsf, NULL);
  CHECK(stats_of(tlsf).used_blocks == 0 && tlsf_check(tlsf) == 0);
  tlsf_destroy(tlsf);
}

struct pool_tally {
  size_t used_blocks, free_blocks, bytes;
  int sizes_agree;
};

static void tally_pool_block(void* ptr, size_t size, int used, void* user) {
  struct pool_tally* tally = (struct pool_tally*)user;
  tally->bytes += size + tlsf_alloc_overhead();
  if (used) {
    ++tally->used_blocks;
    if (tlsf_block_size(ptr) != size) tally->sizes_agree = 0;
  } else {
    ++tally->free_blocks;
  }
}

static void test_tlsf_walk_and_check(void) {
  ARENA(arena, 32 * 1024);
  ARENA(second, 8 * 1024);
  tlsf_t tlsf = tlsf_create_with_pool(arena.bytes, sizeof arena.bytes);
  pool_t first_pool = tlsf_get_pool(tlsf);
  pool_t second_pool = tlsf_add_pool(tlsf, second.bytes, sizeof second.bytes);
  struct pool_tally tally = {0, 0, 0, 1};
  struct pool_tally second_tally = {0, 0, 0, 1};
  void* blocks[6];
  size_t i;
  rtalloc_stats s;

  for (i = 0; i < 6; ++i) blocks[i] = tlsf_malloc(tlsf, 500 * (i + 1));
  for (i = 0; i < 6; i += 2) tlsf_free(tlsf, blocks[i]);
  s = stats_of(tlsf);

  tlsf_walk_pool(first_pool, tally_pool_block, &tally);
  tlsf_walk_pool(second_pool, tally_pool_block, &second_tally);
  CHECK(tally.sizes_agree && second_tally.sizes_agree);
  CHECK(tally.used_blocks + second_tally.used_blocks == s.used_blocks);
  CHECK(tally.free_blocks + second_tally.free_blocks == s.free_blocks);
  CHECK(tally.bytes + second_tally.bytes == s.capacity);
  tlsf_walk_pool(first_pool, NULL, NULL); /* a no-op */

  CHECK(tlsf_check(tlsf) == 0);
  CHECK(tlsf_check_pool(first_pool) == 0 && tlsf_check_pool(second_pool) == 0);
  for (i = 1; i < 6; i += 2) tlsf_free(tlsf, blocks[i]);
  tlsf_remove_pool(tlsf, second_pool);
  tlsf_remove_pool(tlsf, first_pool);
  CHECK(stats_of(tlsf).pool_count == 0 && tlsf_check(tlsf) == 0);
}

int main(void) {
  CHECK(rtalloc_set_error_handler(record_report) == NULL);

  test_sizes();
  test_create();
  test_pools();
  test_malloc_and_free();
  test_calloc();
  test_memalign();
  test_realloc();
  test_stats_and_reset();
  test_walk();
  test_check_finds_damage();
  test_error_handler();
  test_tlsf_sizes();
  test_tlsf_create_and_pools();
  test_tlsf_allocation();
  test_tlsf_walk_and_check();

  CHECK(rtalloc_set_error_handler(NULL) == record_report);
  printf("%u passed, %u failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
