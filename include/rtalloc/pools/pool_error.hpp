// SPDX-License-Identifier: MIT OR Apache-2.0
// rtalloc::PoolError — why an operation of a fixed-size pool or of a byte
// container built on one did not do what was asked. Errors are values:
// nothing throws or traps.
#pragma once

#include <cstdint>

#include "rtalloc/config.hpp"

namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE {

enum class PoolError : std::uint8_t {
  none,          ///< success
  exhausted,     ///< no free block (nothing was changed)
  too_large,     ///< the request exceeds the block size
  stale_handle,  ///< the handle was freed, never issued, or belongs to another pool
  empty,         ///< nothing to read
};

/// A short name, e.g. "stale_handle".
constexpr const char* to_string(PoolError error) noexcept {
  switch (error) {
    case PoolError::none:
      return "none";
    case PoolError::exhausted:
      return "exhausted";
    case PoolError::too_large:
      return "too_large";
    case PoolError::stale_handle:
      return "stale_handle";
    case PoolError::empty:
      return "empty";
  }
  return "unknown";
}

}  // namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE
