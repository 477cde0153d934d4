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

// RTALLOC_CHECKS selects checked builds: operations validate their pointer
// arguments against the heap's pools and headers, and add_pool rejects
// overlapping pools. It defaults to on when NDEBUG is not defined. Define it
// the same way in every translation unit of a program.
#ifndef RTALLOC_CHECKS
#ifdef NDEBUG
#define RTALLOC_CHECKS 0
#else
#define RTALLOC_CHECKS 1
#endif
#endif

namespace rtalloc {

/// True in checked builds (RTALLOC_CHECKS=1).
inline constexpr bool checks_enabled = RTALLOC_CHECKS != 0;

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

namespace detail {
inline std::atomic<ErrorHandler> error_handler{nullptr};
}  // namespace detail

/// Installs `handler` for all rtalloc allocators and returns the previous one.
/// nullptr restores the default: trap in checked builds, ignore otherwise.
/// Thread-safe; O(1).
inline ErrorHandler set_error_handler(ErrorHandler handler) noexcept {
  return detail::error_handler.exchange(handler, std::memory_order_acq_rel);
}

/// The handler currently installed (nullptr for the default).
inline ErrorHandler error_handler() noexcept {
  return detail::error_handler.load(std::memory_order_acquire);
}

namespace detail {

/// Hands one error to the installed handler. Kept out of line and cold so
/// that the paths which may report stay small.
[[gnu::cold, gnu::noinline]] inline void report(ErrorCode code, const char* message,
                                                const void* heap, const void* address,
                                                std::size_t size = 0) noexcept {
  const ErrorInfo info{code, message, heap, address, size};
  if (ErrorHandler handler = rtalloc::error_handler()) {
    handler(info);
  } else if constexpr (checks_enabled) {
    __builtin_trap();
  }
}

}  // namespace detail
}  // namespace rtalloc
