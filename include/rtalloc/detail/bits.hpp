// SPDX-License-Identifier: MIT OR Apache-2.0
// The bit and alignment helpers every rtalloc header uses: one of each.
// Each is O(1), one or two instructions on the targets rtalloc supports
// (count-leading/trailing-zeros where the target has them).
#pragma once

#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "rtalloc/config.hpp"

namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE::detail {

/// True if `value` is a power of two (0 is not). Not std::has_single_bit,
/// which unoptimized builds turn into a call to the runtime's popcount.
template <std::unsigned_integral T>
constexpr bool is_power_of_two(T value) noexcept {
  return value != 0 && (value & (value - 1)) == 0;
}

/// `value` rounded down to a multiple of `align`, a power of two.
template <std::unsigned_integral T>
constexpr T align_down(T value, std::size_t align) noexcept {
  return value & ~(static_cast<T>(align) - 1);
}

/// `value` rounded up to a multiple of `align`, a power of two. The caller
/// makes sure that value + align - 1 does not overflow.
template <std::unsigned_integral T>
constexpr T align_up(T value, std::size_t align) noexcept {
  return (value + static_cast<T>(align) - 1) & ~(static_cast<T>(align) - 1);
}

// Values wider than the target's word (64-bit offsets on a 32-bit host) are
// split into halves: a count over the whole would call the runtime (__clzdi2,
// __ctzdi2), which freestanding programs may not link.

/// Index of the highest set bit of a non-zero value.
template <std::unsigned_integral T>
constexpr unsigned highest_bit(T value) noexcept {
  if constexpr (sizeof(T) > sizeof(std::size_t) && sizeof(T) == 8) {
    const auto high = static_cast<std::uint32_t>(value >> 32);
    return high != 0 ? 32 + highest_bit(high) : highest_bit(static_cast<std::uint32_t>(value));
  } else {
    return static_cast<unsigned>(std::numeric_limits<T>::digits - 1) ^
           static_cast<unsigned>(std::countl_zero(value));
  }
}

/// Index of the lowest set bit of a non-zero value. Computed through
/// unsigned, so that widening the result costs nothing.
template <std::unsigned_integral T>
constexpr unsigned lowest_bit(T value) noexcept {
  if constexpr (sizeof(T) > sizeof(std::size_t) && sizeof(T) == 8) {
    const auto low = static_cast<std::uint32_t>(value);
    return low != 0 ? lowest_bit(low) : 32 + lowest_bit(static_cast<std::uint32_t>(value >> 32));
  } else if constexpr (sizeof(T) <= sizeof(unsigned)) {
    return static_cast<unsigned>(__builtin_ctz(value));
  } else {
    return static_cast<unsigned>(__builtin_ctzll(value));
  }
}

}  // namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE::detail
