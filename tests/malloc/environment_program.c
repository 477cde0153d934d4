// SPDX-License-Identifier: MIT OR Apache-2.0
/* A program linked with librtalloc_malloc for tests/malloc/environment_test.sh: it allocates and
 * frees. With `close-stderr FILE` it first closes its stderr and opens FILE, which takes file
 * descriptor 2, as a program that closed stderr and then opened a data file would; with
 * `close-all FILE` it closes descriptors 2 to 63 and opens FILE once for each, so that every
 * number the library might have kept is now one of the program's files. With `small-frees` it
 * allocates 200 MB in blocks of 1,000 bytes, writes them, frees them all and prints its resident
 * memory in KiB before and after the frees ("resident BEFORE AFTER"). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Resident memory in KiB, from /proc/self/statm; -1 if it cannot be read. */
static long resident_kib(void) {
  FILE* statm = fopen("/proc/self/statm", "r");
  long size = 0, resident = -1;
  if (statm == NULL) return -1;
  if (fscanf(statm, "%ld %ld", &size, &resident) != 2) resident = -1;
  fclose(statm);
  return resident < 0 ? -1 : resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static int small_frees(void) {
  enum { count = 200 * 1000, size = 1000 };
  char** blocks = malloc(count * sizeof *blocks);
  if (blocks == NULL) return 2;
  for (int i = 0; i < count; ++i) {
    blocks[i] = malloc(size);
    if (blocks[i] == NULL) return 2;
    memset(blocks[i], i & 0xFF, size);
  }
  const long before = resident_kib();
  for (int i = 0; i < count; ++i) free(blocks[i]);
  const long after = resident_kib();
  free(blocks);
  printf("resident %ld %ld\n", before, after);
  return before < 0 || after < 0;
}

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "small-frees") == 0) return small_frees();
  if (argc == 3 && strcmp(argv[1], "close-stderr") == 0) {
    close(2);
    if (open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644) != 2) return 2;
  }
  if (argc == 3 && strcmp(argv[1], "close-all") == 0) {
    for (int fd = 2; fd < 64; ++fd) close(fd);
    for (int fd = 2; fd < 64; ++fd) {
      if (open(argv[2], O_WRONLY | O_CREAT | O_APPEND, 0644) != fd) return 2;
    }
  }
  void* blocks[100];
  for (int round = 0; round < 10; ++round) {
    for (int i = 0; i < 100; ++i) blocks[i] = malloc((size_t)(16 + 37 * i));
    for (int i = 0; i < 100; i += 2) free(blocks[i]);
    for (int i = 1; i < 100; i += 2) free(blocks[i]);
  }
  void* kept = malloc(1000); /* one block in use at exit */
  return kept == NULL;
}
