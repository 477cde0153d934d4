// SPDX-License-Identifier: MIT OR Apache-2.0
/* A C program linked with rtalloc's drop-in malloc (the target rtalloc::malloc or
 * rtalloc::malloc_static, or pkg-config's rtalloc-malloc and rtalloc-malloc-static): its malloc and
 * free must be rtalloc's, which <rtalloc/malloc.h> can see. */
#include <rtalloc/malloc.h>
#include <rtalloc/version.h>
#include <stdio.h>
#include <stdlib.h>

static size_t used_blocks(void) {
  rtalloc_malloc_info info;
  rtalloc_malloc_get_info(&info);
  return info.used_blocks;
}

int main(void) {
  const size_t before = used_blocks();
  char* volatile text = malloc(100);
  if (text == NULL || used_blocks() != before + 1) return 1;
  free(text);
  if (used_blocks() != before || rtalloc_malloc_check() != 1) return 1;
  printf("rtalloc %s malloc consumer: ok\n", RTALLOC_VERSION);
  return 0;
}
