// SPDX-License-Identifier: MIT OR Apache-2.0
// What the malloc library says about its heap: glibc's statistics functions (malloc_stats,
// mallinfo, mallinfo2, malloc_info), rtalloc_malloc_get_info of <rtalloc/malloc.h>, and the
// report at exit (RTALLOC_MALLOC_CHECK, RTALLOC_MALLOC_SHOW_STATS). statistics.cpp answers all of
// them from one MallocFigures, which malloc.cpp fills in collect_figures(); docs/malloc.md says
// what each function reports for each figure.
#pragma once

#include <cstddef>
#include <limits>

#include "options.hpp"

namespace rtalloc::malloc_support {

/// A snapshot of every heap behind malloc, added up. Bytes count whole blocks, headers included,
/// so heap_bytes == used_bytes + free_bytes.
struct MallocFigures {
  /// A figure the heaps do not know (resident bytes, today).
  static constexpr std::size_t unknown = std::numeric_limits<std::size_t>::max();

  std::size_t heaps = 0;           ///< heaps whose figures these are
  std::size_t reserved = 0;        ///< bytes mapped from the system, bookkeeping included
  std::size_t resident = unknown;  ///< bytes of `reserved` in physical memory, or unknown
  std::size_t heap_bytes = 0;      ///< bytes in the heaps' blocks, used and free
  std::size_t used_bytes = 0;      ///< bytes in allocated blocks
  std::size_t free_bytes = 0;      ///< bytes in free blocks
  std::size_t used_blocks = 0;     ///< allocated blocks
  std::size_t free_blocks = 0;     ///< free blocks
  std::size_t largest_free = 0;    ///< usable bytes of the largest free block
  std::size_t regions = 0;         ///< contiguous ranges the heaps hold from the system
  std::size_t peak_used = 0;       ///< the most used_bytes has been (per heap, added up)
  std::size_t growths = 0;         ///< times a heap took memory from the system
  std::size_t discarded = 0;       ///< bytes of free pages given back to the system so far
};

/// Fills `figures` with the figures of every heap, each read under its lock. Defined by
/// malloc.cpp, the one place that knows the heaps. O(heaps).
void collect_figures(MallocFigures& figures) noexcept;

/// Called once as the library starts, with the options it read: when RTALLOC_MALLOC_SHOW_STATS
/// asks for the statistics at exit on stderr, keeps a duplicate of file descriptor 2 (and which
/// file it is), so that they still reach the original stderr if the program closes it. O(1).
void prepare_exit_report(const Options& options) noexcept;

/// Called once as the program ends (the library's destructor): the heap check that
/// RTALLOC_MALLOC_CHECK asks for (ends the process with status 70 if the heap is damaged) and
/// the statistics that RTALLOC_MALLOC_SHOW_STATS asks for. O(blocks) with the check, else O(1).
void report_at_exit() noexcept;

}  // namespace rtalloc::malloc_support
