/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* A stand-in for NuttX's <malloc.h> in the build test of ports/nuttx (tests/ports): struct
 * mallinfo with the members NuttX gives it. Not NuttX source: only interface names. */
#ifndef RTALLOC_TEST_NUTTX_MALLOC_H
#define RTALLOC_TEST_NUTTX_MALLOC_H

struct mallinfo {
  int arena;    /* bytes of the heap */
  int ordblks;  /* free blocks */
  int aordblks; /* used blocks */
  int mxordblk; /* largest free block */
  int uordblks; /* bytes in use */
  int fordblks; /* bytes free */
};

#endif
