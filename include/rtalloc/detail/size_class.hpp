// SPDX-License-Identifier: MIT OR Apache-2.0
// The two-level size-class mapping of TLSF.
//
// Block sizes are counted in granules of 2^GranuleLog2 bytes. With SL second-
// level classes per first level (SL = 2^SecondLevelLog2):
//   - first level 0 holds sizes [0, SL) granules, one class per granule;
//   - first level f >= 1 holds [SL * 2^(f-1), SL * 2^f) granules, split into
//     SL classes of 2^(f-1) granules each.
// A class is named by one flat index f * SL + s. The mapping needs one
// bit-width instruction and no branch: see index_of().
//
// Sizes have the type `Size`: std::size_t for heaps of memory (Tlsf), a
// 64-bit type for heaps of offsets that may exceed the host's address space
// (OffsetHeap on 32-bit hosts). Class indices are std::size_t either way.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "rtalloc/config.hpp"
#include "rtalloc/detail/bits.hpp"

namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE::detail {

template <std::size_t GranuleLog2, std::size_t SecondLevelLog2, std::size_t FirstLevelCount,
          class Size = std::size_t>
struct SizeClasses {
  static_assert(std::is_unsigned_v<Size> && sizeof(Size) >= sizeof(std::size_t),
                "SizeClasses: Size must be an unsigned type at least as wide as std::size_t.");
  static constexpr std::size_t second_level_count = std::size_t{1} << SecondLevelLog2;
  static constexpr std::size_t first_level_count = FirstLevelCount;
  static constexpr std::size_t class_count = first_level_count * second_level_count;

  /// Smallest size (bytes) of the last class: the largest block size whose
  /// rounded-up class still exists, so the largest request a search can serve.
  static constexpr Size last_class_start =
      ((Size{2 * second_level_count} - 1) << (first_level_count - 2)) << GranuleLog2;
  /// Largest block size (bytes) that maps to a class at all.
  static constexpr Size max_block_size = ((Size{second_level_count} << (first_level_count - 1)) - 1)
                                         << GranuleLog2;

  /// The class holding blocks of `size` bytes (a multiple of the granule,
  /// at most max_block_size). `shift` is how many low bits of the size the
  /// class ignores: the granule bits, plus one more per level above the
  /// second.
  struct Mapping {
    std::size_t index;
    unsigned shift;
    /// Does a block of `size` bytes, no larger than the mapped size, fall in
    /// this class? (Such a block's class has this shift or a smaller one, so
    /// one shift decides.)
    constexpr bool holds(Size size) const noexcept {
      return index == index_with_shift(size, shift);
    }
  };

  static constexpr Mapping map(Size size) noexcept {
    // size | (SL << GranuleLog2) is never 0 and its highest bit is at least
    // SecondLevelLog2 + GranuleLog2, so shift >= GranuleLog2.
    const unsigned shift = highest_bit(size | (Size{second_level_count} << GranuleLog2)) -
                           static_cast<unsigned>(SecondLevelLog2);
    return {index_with_shift(size, shift), shift};
  }

  /// Class of a free block of `size` bytes: every block in it is >= its start.
  static constexpr std::size_t index_of(Size size) noexcept { return map(size).index; }

  /// Smallest class whose every block is at least `size` bytes (size must be
  /// a non-zero multiple of the granule, at most last_class_start): the
  /// class of `size` rounded up to its class's step. A carry past the top of
  /// a level lands on the next level's first class, as the flat index wants.
  static constexpr std::size_t index_at_least(Mapping m, Size size) noexcept {
    return level_base(m.shift) + static_cast<std::size_t>((size - 1) >> m.shift) + 1;
  }
  static constexpr std::size_t index_at_least(Size size) noexcept {
    return index_at_least(map(size), size);
  }

 private:
  // size >> shift lies in [0, 2 * SL); adding (shift - GranuleLog2) * SL
  // makes it the flat index f * SL + s. (The constant part folds into the
  // address of the list heads.)
  static constexpr std::size_t level_base(unsigned shift) noexcept {
    return (std::size_t{shift} << SecondLevelLog2) - (GranuleLog2 << SecondLevelLog2);
  }
  static constexpr std::size_t index_with_shift(Size size, unsigned shift) noexcept {
    return level_base(shift) + static_cast<std::size_t>(size >> shift);
  }

 public:
  /// First size (bytes) of class `index`.
  static constexpr Size class_start(std::size_t index) noexcept {
    const std::size_t first = index >> SecondLevelLog2;
    const std::size_t second = index & (second_level_count - 1);
    if (first == 0) return Size{second} << GranuleLog2;
    return (Size{second_level_count + second} << (first - 1)) << GranuleLog2;
  }
};

}  // namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE::detail
