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
/// nullptr restores the default: trap in checked builds, ignore otherwise.
/// Thread-safe; O(1).
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

}  // namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE::detail
