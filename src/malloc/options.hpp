// SPDX-License-Identifier: MIT OR Apache-2.0
// The settings of librtalloc_malloc, read from the environment (the table in docs/malloc.md lists
// every variable): parsed once, by the first call of options() (the library's constructor, or a
// malloc that runs before it), so nothing here allocates, locks or uses stdio. A value that cannot
// be parsed is reported once on stderr, with the default used instead:
//
//   rtalloc malloc: RTALLOC_MALLOC_DISCARD_THRESHOLD=lots: not a size; using the default 16777216
#pragma once

#include <cstddef>

namespace rtalloc::malloc_support {

/// A free that leaves a free block of at least this many bytes (merged with its free neighbours)
/// gives that block's pages back at once. docs/malloc.md says why 16 MiB: the clang-format trace
/// reuses freed multi-megabyte blocks at once, and with 4 MiB it ran 1.6 times slower (page faults
/// on memory given back and taken again); 8 MiB and more cost nothing measurable.
inline constexpr std::size_t default_discard_threshold = std::size_t{16} << 20;

/// What the environment asks of the malloc library.
struct Options {
  /// RTALLOC_MALLOC_DISCARD_THRESHOLD: a free that leaves a free block of at least this many
  /// bytes gives its pages back at once; 0 turns it off.
  std::size_t discard_threshold = default_discard_threshold;
  /// RTALLOC_MALLOC_CHECK: verify the heap when the program ends and say so on stderr.
  bool check_at_exit = false;
  /// RTALLOC_MALLOC_SHOW_STATS: print the statistics (as malloc_stats() does) when the program
  /// ends.
  bool show_stats = false;
  /// RTALLOC_MALLOC_STATS_FILE: where show_stats appends them instead of stderr; null if unset.
  const char* stats_file = nullptr;
};

/// Parses a size: decimal digits, then optionally B, or a binary multiple k, M, G or T (either
/// case) alone or followed by B or iB ("64k", "64K", "64KB", "64KiB" are all 65,536; "2M" is
/// 2,097,152: kB and MB mean 1024 and 1024², as in most allocators' settings).
/// Nothing else may follow: no spaces, signs, fractions or other units. Returns false, leaving
/// `bytes` unchanged, for anything else and for a value that does not fit std::size_t. O(length).
bool parse_size(const char* text, std::size_t& bytes) noexcept;

/// Parses a switch: 1, yes, true or on turn it on; 0, no, false or off turn it off (any case).
/// Returns false, leaving `value` unchanged, for anything else. O(length).
bool parse_switch(const char* text, bool& value) noexcept;

/// The options, read from the environment by the first call (which reports each value it cannot
/// parse, once, on stderr with write(2)). Later calls return the same object; calls that race
/// the first wait for it. Never allocates. O(1) after the first call.
const Options& options() noexcept;

/// Reads the options from `lookup` (getenv, or a test's table) into a new Options, reporting each
/// value it cannot parse on file descriptor `report_fd`. What options() does once. O(1).
Options read_options(const char* (*lookup)(const char* name), int report_fd) noexcept;

}  // namespace rtalloc::malloc_support
