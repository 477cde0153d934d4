// SPDX-License-Identifier: MIT OR Apache-2.0
// The malloc library's statistics (statistics.hpp): glibc's malloc_stats, mallinfo, mallinfo2
// and malloc_info, rtalloc_malloc_get_info, and the report at exit, all answered from one
// MallocFigures. docs/malloc.md has the table of what each field means here.
#include "statistics.hpp"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <rtalloc/malloc.h>
#include <rtalloc/version.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstddef>
#include <cstdio>
#include <cstring>

#include "text_output.hpp"

#define RTALLOC_EXPORT __attribute__((visibility("default")))

namespace rtalloc::malloc_support {
namespace {

MallocFigures figures_now() noexcept {
  MallocFigures figures;
  collect_figures(figures);
  return figures;
}

using Report = TextBuffer<1024>;

// The start of one line of the statistics text: the name, padded to the column of the values.
Report& start_row(Report& text, const char* name) noexcept {
  text.append("  ").append(name);
  for (std::size_t used = 2 + std::strlen(name); used < 16; ++used) text.append(" ");
  return text;
}

// One line: the name, the number right-aligned, and what follows it.
void add_row(Report& text, const char* name, std::size_t value, const char* after) noexcept {
  start_row(text, name).append_number(value, 14).append(after).append("\n");
}

// What malloc_stats() prints and RTALLOC_MALLOC_SHOW_STATS prints at exit.
Report statistics_text(const MallocFigures& f) noexcept {
  Report text;
  text.append("rtalloc malloc statistics (rtalloc " RTALLOC_VERSION "), ")
      .append_number(f.heaps)
      .append(f.heaps == 1 ? " heap\n" : " heaps\n");
  add_row(text, "reserved", f.reserved, " bytes mapped from the system, bookkeeping included");
  if (f.resident == MallocFigures::unknown) {
    start_row(text, "resident").append("       unknown\n");
  } else {
    add_row(text, "resident", f.resident, " bytes");
  }
  add_row(text, "in blocks", f.heap_bytes, " bytes, used and free");
  start_row(text, "used").append_number(f.used_bytes, 14).append(" bytes in ");
  text.append_number(f.used_blocks).append(" blocks\n");
  start_row(text, "free").append_number(f.free_bytes, 14).append(" bytes in ");
  text.append_number(f.free_blocks).append(" blocks\n");
  add_row(text, "largest free", f.largest_free, " bytes");
  add_row(text, "peak used", f.peak_used, " bytes");
  add_row(text, "regions", f.regions, "");
  add_row(text, "growths", f.growths, "");
  add_row(text, "discarded", f.discarded, " bytes of free pages given back so far");
  return text;
}

// glibc's mallinfo has int fields, which wrap past 2 GiB; rtalloc's stop at INT_MAX instead.
int clamped(std::size_t value) noexcept {
  return value > static_cast<std::size_t>(INT_MAX) ? INT_MAX : static_cast<int>(value);
}

// Where the statistics at exit go when no file is named: a duplicate of stderr taken as the
// library started (-1 if stderr was closed then, or not asked for), and which file it was, so
// that a program which closed the duplicate and opened another file under its number does not
// get the statistics written into that file.
int saved_stderr = -1;
struct stat saved_stderr_file {};

bool saved_stderr_is_still_ours() noexcept {
  struct stat now {};
  return saved_stderr >= 0 && fstat(saved_stderr, &now) == 0 &&
         now.st_dev == saved_stderr_file.st_dev && now.st_ino == saved_stderr_file.st_ino;
}

// The statistics at exit: to RTALLOC_MALLOC_STATS_FILE if set (appended), else to the stderr the
// program started with, else, if that is gone, to the terminal; if none can be opened, nowhere.
void show_statistics(const Options& options) noexcept {
  const Report text = statistics_text(figures_now());
  if (options.stats_file != nullptr) {
    const int fd = open(options.stats_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
      [[maybe_unused]] const bool written = text.write_to(fd);
      close(fd);
    }
    return;
  }
  if (saved_stderr_is_still_ours() && text.write_to(saved_stderr)) return;
  const int tty = open("/dev/tty", O_WRONLY | O_CLOEXEC);
  if (tty >= 0) {
    [[maybe_unused]] const bool written = text.write_to(tty);
    close(tty);
  }
}

}  // namespace

void prepare_exit_report(const Options& options) noexcept {
  if (!options.show_stats || options.stats_file != nullptr) return;
  // Above the standard descriptors, closed in programs the process executes.
  saved_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
  if (saved_stderr >= 0 && fstat(saved_stderr, &saved_stderr_file) != 0) {
    close(saved_stderr);
    saved_stderr = -1;
  }
}

void report_at_exit() noexcept {
  const Options& settings = options();
  if (settings.check_at_exit) {
    const MallocFigures figures = figures_now();
    const bool sound = rtalloc_malloc_check() != 0;
    TextBuffer<160> line;
    line.append("rtalloc malloc: heap ")
        .append(sound ? "sound" : "CORRUPTED")
        .append(" at exit: ")
        .append_number(figures.used_blocks)
        .append(" blocks in use, peak ")
        .append_number(figures.peak_used)
        .append(" bytes\n");
    [[maybe_unused]] const bool written = line.write_to(STDERR_FILENO);
    if (!sound) _exit(70);
  }
  if (settings.show_stats) show_statistics(settings);
}

}  // namespace rtalloc::malloc_support

using rtalloc::malloc_support::clamped;
using rtalloc::malloc_support::figures_now;
using rtalloc::malloc_support::MallocFigures;

extern "C" {

RTALLOC_EXPORT void rtalloc_malloc_get_info(rtalloc_malloc_info* info) {
  const MallocFigures f = figures_now();
  info->footprint = f.reserved;
  info->capacity = f.heap_bytes;
  info->used = f.used_bytes;
  info->peak_used = f.peak_used;
  info->used_blocks = f.used_blocks;
  info->free_blocks = f.free_blocks;
  info->pools = f.regions;
  info->growths = f.growths;
  info->discarded = f.discarded;
}

// glibc's statistics functions, where the C library is glibc (mallinfo2 came with 2.33).
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 33)

// glibc prints its arenas' figures on stderr; rtalloc prints its own (statistics_text).
RTALLOC_EXPORT void malloc_stats(void) noexcept {
  [[maybe_unused]] const bool written =
      rtalloc::malloc_support::statistics_text(figures_now()).write_to(STDERR_FILENO);
}

// glibc's fields, filled with what rtalloc knows (docs/malloc.md, row by row).
RTALLOC_EXPORT struct mallinfo2 mallinfo2(void) noexcept {
  const MallocFigures f = figures_now();
  struct mallinfo2 info {};
  info.arena = f.heap_bytes;     // bytes the heaps hold in blocks (glibc: its sbrk heap)
  info.ordblks = f.free_blocks;  // free blocks
  info.smblks = 0;               // no fastbins
  info.hblks = 0;                // no blocks mapped apart from the heap
  info.hblkhd = 0;
  info.usmblks = f.peak_used;  // glibc: always 0, once the high-water mark
  info.fsmblks = 0;
  info.uordblks = f.used_bytes;  // bytes in allocated blocks
  info.fordblks = f.free_bytes;  // bytes in free blocks
  info.keepcost = 0;             // not known in O(1); malloc_trim gives back what it can
  return info;
}

// As mallinfo2, with each field clamped to INT_MAX.
RTALLOC_EXPORT struct mallinfo mallinfo(void) noexcept {
  const struct mallinfo2 wide = mallinfo2();
  struct mallinfo info {};
  info.arena = clamped(wide.arena);
  info.ordblks = clamped(wide.ordblks);
  info.smblks = clamped(wide.smblks);
  info.hblks = clamped(wide.hblks);
  info.hblkhd = clamped(wide.hblkhd);
  info.usmblks = clamped(wide.usmblks);
  info.fsmblks = clamped(wide.fsmblks);
  info.uordblks = clamped(wide.uordblks);
  info.fordblks = clamped(wide.fordblks);
  info.keepcost = clamped(wide.keepcost);
  return info;
}

// glibc's XML vocabulary (heap, total, system, aspace) with rtalloc's figures, and one rtalloc
// element with the figures glibc has no place for. As glibc: options must be 0, else EINVAL.
RTALLOC_EXPORT int malloc_info(int options, FILE* stream) noexcept {
  if (options != 0) {
    errno = EINVAL;
    return -1;
  }
  const MallocFigures f = figures_now();
  std::fprintf(stream, "<malloc version=\"1\" allocator=\"rtalloc\" rtalloc=\"%s\">\n",
               RTALLOC_VERSION);
  std::fprintf(stream, "<total type=\"fast\" count=\"0\" size=\"0\"/>\n");
  std::fprintf(stream, "<total type=\"rest\" count=\"%zu\" size=\"%zu\"/>\n", f.free_blocks,
               f.free_bytes);
  std::fprintf(stream, "<total type=\"mmap\" count=\"0\" size=\"0\"/>\n");
  std::fprintf(stream, "<system type=\"current\" size=\"%zu\"/>\n", f.reserved);
  std::fprintf(stream, "<aspace type=\"total\" size=\"%zu\"/>\n", f.reserved);
  std::fprintf(stream,
               "<rtalloc heaps=\"%zu\" heap_bytes=\"%zu\" used_bytes=\"%zu\" used_blocks=\"%zu\" "
               "largest_free=\"%zu\" peak_used=\"%zu\" regions=\"%zu\" growths=\"%zu\" "
               "discarded=\"%zu\"",
               f.heaps, f.heap_bytes, f.used_bytes, f.used_blocks, f.largest_free, f.peak_used,
               f.regions, f.growths, f.discarded);
  if (f.resident != MallocFigures::unknown) std::fprintf(stream, " resident=\"%zu\"", f.resident);
  std::fprintf(stream, "/>\n</malloc>\n");
  return 0;
}

#endif  // glibc

}  // extern "C"
