// SPDX-License-Identifier: MIT OR Apache-2.0
/* c_heap: rtalloc's TLSF heap from C, over one static array.
 *
 * rtalloc_create_with_pool puts the heap's control block at the start of the
 * array and makes the rest its pool, so nothing here calls malloc. The
 * program allocates a few blocks, frees some, and prints the statistics and
 * the blocks. */
#include <rtalloc/rtalloc.h>
#include <stdio.h>
#include <string.h>

/* C99 has no alignas: the union aligns the bytes for the control block. */
static union {
  long double align_ld;
  void* align_p;
  unsigned char bytes[32 * 1024];
} arena;

static void print_stats(const char* when, const rtalloc_heap* heap) {
  rtalloc_stats s;
  rtalloc_get_stats(heap, &s);
  printf(
      "%-12s capacity %6zu  used %6zu  free %6zu  largest free %6zu  blocks %zu used, %zu free\n",
      when, s.capacity, s.used, s.free, s.largest_free, s.used_blocks, s.free_blocks);
}

static int print_block(void* ptr, size_t size, int used, void* user) {
  (void)user;
  printf("  %p  %6zu bytes  %s\n", ptr, size, used ? "used" : "free");
  return 1; /* go on */
}

int main(void) {
  rtalloc_heap* heap = rtalloc_create_with_pool(arena.bytes, sizeof arena.bytes);
  char* message;
  void* table;
  void* buffer;

  if (heap == NULL) {
    fprintf(stderr, "the arena is too small for a heap\n");
    return 1;
  }
  printf("control block %zu bytes of the %zu-byte arena\n\n", rtalloc_heap_size(),
         sizeof arena.bytes);
  print_stats("empty", heap);

  message = (char*)rtalloc_malloc(heap, 64);
  table = rtalloc_calloc(heap, 100, sizeof(int));
  buffer = rtalloc_memalign(heap, 256, 1000); /* e.g. for DMA */
  if (message == NULL || table == NULL || buffer == NULL) {
    fprintf(stderr, "allocation failed\n");
    return 1;
  }
  strcpy(message, "hello from the C heap");
  print_stats("allocated", heap);

  /* Grow the message; on failure the old block would still be valid. */
  {
    char* longer = (char*)rtalloc_realloc(heap, message, 2000);
    if (longer == NULL) {
      fprintf(stderr, "realloc failed\n");
      return 1;
    }
    message = longer;
  }
  printf("\n%s (%zu usable bytes)\n\n", message, rtalloc_usable_size(heap, message));

  rtalloc_free(heap, table);
  print_stats("table freed", heap);
  printf("blocks:\n");
  rtalloc_walk(heap, print_block, NULL);

  rtalloc_free(heap, buffer);
  rtalloc_free(heap, message);
  print_stats("all freed", heap);
  printf("\nrtalloc_check: %s\n", rtalloc_check(heap) ? "all invariants hold" : "HEAP CORRUPTED");
  return rtalloc_check(heap) ? 0 : 1;
}
