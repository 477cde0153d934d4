// SPDX-License-Identifier: MIT OR Apache-2.0
/* A C program built against rtalloc's C API (the target rtalloc::c, or pkg-config's Libs). */
#include <rtalloc/rtalloc.h>
#include <stdio.h>

static union {
  long double align;
  unsigned char bytes[64 * 1024];
} arena;

int main(void) {
  rtalloc_heap* heap = rtalloc_create_with_pool(arena.bytes, sizeof arena.bytes);
  if (heap == NULL) return 1;
  void* message = rtalloc_malloc(heap, 200);
  void* buffer = rtalloc_memalign(heap, 64, 1024);
  if (message == NULL || buffer == NULL) return 1;
  rtalloc_free(heap, buffer);
  rtalloc_free(heap, message);
  rtalloc_stats stats;
  rtalloc_get_stats(heap, &stats);
  if (stats.used_blocks != 0 || !rtalloc_check(heap)) return 1;
  puts("rtalloc C consumer: ok");
  return 0;
}
