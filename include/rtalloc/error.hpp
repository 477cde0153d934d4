// SPDX-License-Identifier: MIT OR Apache-2.0
// Error reporting shared by every rtalloc allocator.
//
// Allocators answer bad input with a documented result (nullptr, 0, false or
// a no-op) and, in addition, report it through one process-wide handler so
// that a program can log, count or stop on it. The handler is never called
// for an ordinary out-of-memory result: running out is not a bug.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "rtalloc/config.hpp"

// The default handler's line on stderr (see default_error_action) needs write(2): POSIX hosts
// only, that is a hosted compiler that defines __unix__ or __APPLE__ and provides <unistd.h>.
// Freestanding and bare-metal builds, where descriptor 2 may mean nothing or need a system-call
// stub the program lacks, keep the silent trap. RTALLOC_ERROR_LINE says which (not a switch: it
// follows the platform).
#if defined(__STDC_HOSTED__) && __STDC_HOSTED__ && (defined(__unix__) || defined(__APPLE__)) && \
    defined(__has_include)
#if __has_include(<unistd.h>)
#include <unistd.h>
#define RTALLOC_ERROR_LINE 1
#endif
#endif
#ifndef RTALLOC_ERROR_LINE
#define RTALLOC_ERROR_LINE 0
#endif

namespace rtalloc {

/// What went wrong, for the error handler.
enum class ErrorCode : std::uint8_t {
  invalid_alignment,  ///< alignment 0 or not a power of two
  invalid_pool,       ///< pool memory null, too small, unknown, or not adjacent
  pool_overlap,       ///< a new pool overlaps one the heap already has (checked builds)
  invalid_pointer,    ///< a pointer the heap did not hand out, or not a block start
  double_free,        ///< the block is already free
  heap_corrupted,     ///< an invariant of the heap does not hold
};

/// Everything known about one error. `message` is a static string.
struct ErrorInfo {
  ErrorCode code;
  const char* message;
  const void* heap;     ///< the allocator that saw the error
  const void* address;  ///< the pointer, pool or block concerned (may be null)
  std::size_t size;     ///< a size that goes with the error, or 0
};

/// Called for every reported error. It may return (the operation then gives
/// its documented failure result) or not return (trap, abort, longjmp out).
using ErrorHandler = void (*)(const ErrorInfo&) noexcept;

/// A short name for `code`, e.g. "double_free".
constexpr const char* to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::invalid_alignment:
      return "invalid_alignment";
    case ErrorCode::invalid_pool:
      return "invalid_pool";
    case ErrorCode::pool_overlap:
      return "pool_overlap";
    case ErrorCode::invalid_pointer:
      return "invalid_pointer";
    case ErrorCode::double_free:
      return "double_free";
    case ErrorCode::heap_corrupted:
      return "heap_corrupted";
  }
  return "unknown";
}

namespace process {
/// The one error-handler slot of the process, whatever the translation
/// units' switches: use set_error_handler() and error_handler().
inline std::atomic<ErrorHandler> error_handler_slot{nullptr};
}  // namespace process

/// Installs `handler` for all rtalloc allocators and returns the previous one.
/// nullptr restores the default: in checked builds print one line on stderr
/// (POSIX hosts) and trap, otherwise ignore. Thread-safe; O(1).
inline ErrorHandler set_error_handler(ErrorHandler handler) noexcept {
  return process::error_handler_slot.exchange(handler, std::memory_order_acq_rel);
}

/// The handler currently installed (nullptr for the default).
inline ErrorHandler error_handler() noexcept {
  return process::error_handler_slot.load(std::memory_order_acquire);
}

}  // namespace rtalloc

// Reporting depends on RTALLOC_CHECKS (the default handler traps in checked
// builds), so it belongs to the configuration's namespace.
namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE::detail {

/// A line of text in a fixed buffer, cut at its capacity: how the default
/// handler formats its report without allocating.
struct ErrorLine {
  /// The prefix, the longest code name, a message cut at 64 characters and
  /// two 64-bit addresses fit.
  static constexpr std::size_t capacity = 160;
  char text[capacity];
  std::size_t length = 0;

  void append(const char* s, std::size_t limit = capacity) noexcept {
    for (std::size_t i = 0; i < limit && s[i] != '\0' && length < capacity; ++i)
      text[length++] = s[i];
  }
  void append_address(const void* p) noexcept {
    char digits[2 * sizeof(std::uintptr_t)];
    std::size_t count = 0;
    auto value = reinterpret_cast<std::uintptr_t>(p);
    do {
      digits[count++] = "0123456789abcdef"[value & 0xF];
      value >>= 4;
    } while (value != 0);
    append("0x");
    while (count > 0 && length < capacity) text[length++] = digits[--count];
  }
};

/// The default handler's line for `info`, newline included:
/// "rtalloc: CODE (MESSAGE) at ADDRESS in heap HEAP". O(1).
inline ErrorLine format_error_line(const ErrorInfo& info) noexcept {
  ErrorLine line;
  line.append("rtalloc: ");
  line.append(to_string(info.code));
  if (info.message != nullptr && info.message[0] != '\0') {
    line.append(" (");
    line.append(info.message, 64);
    line.append(")");
  }
  line.append(" at ");
  line.append_address(info.address);
  line.append(" in heap ");
  line.append_address(info.heap);
  if (line.length == ErrorLine::capacity) --line.length;
  line.text[line.length++] = '\n';
  return line;
}

/// Writes format_error_line(info) to file descriptor 2 with one write(2)
/// where the platform has it (RTALLOC_ERROR_LINE), else does nothing. Never
/// allocates; safe inside a damaged heap. O(1).
[[gnu::cold]] inline void write_error_line(const ErrorInfo& info) noexcept {
#if RTALLOC_ERROR_LINE
  const ErrorLine line = format_error_line(info);
  [[maybe_unused]] const auto written = ::write(2, line.text, line.length);
#else
  (void)info;
#endif
}

/// What happens to an error when no handler is installed: checked builds
/// write its line on stderr (POSIX hosts, see write_error_line) and trap;
/// release builds ignore it.
[[gnu::cold]] inline void default_error_action(const ErrorInfo& info) noexcept {
  if constexpr (checks_enabled) {
    write_error_line(info);
    __builtin_trap();
  } else {
    (void)info;
  }
}

/// Hands one error to the installed handler, or to default_error_action.
/// Kept out of line and cold so that the paths which may report stay small.
[[gnu::cold, gnu::noinline]] inline void report(ErrorCode code, const char* message,
                                                const void* heap, const void* address,
                                                std::size_t size = 0) noexcept {
  const ErrorInfo info{code, message, heap, address, size};
  if (ErrorHandler handler = rtalloc::error_handler()) {
    handler(info);
  } else {
    default_error_action(info);
  }
}

}  // namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE::detail
