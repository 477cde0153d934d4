// SPDX-License-Identifier: MIT OR Apache-2.0
// rtalloc::FixedRegion — a pool source (rtalloc::pool_source) of one fixed
// region: a linker section or a static array, for a growing heap (FlexTlsf)
// that must never reach beyond it. Freestanding.
#pragma once

#include <cstddef>

#include "rtalloc/concepts.hpp"
#include "rtalloc/config.hpp"

namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE {

/// A source of one fixed region (a linker section, a static array), handed
/// out whole on the first acquire that it can satisfy. Freestanding; O(1).
class FixedRegion {
 public:
  /// A source with nothing to give.
  constexpr FixedRegion() noexcept = default;
  /// A source of [memory, memory + bytes); memory should be aligned to
  /// alignof(std::max_align_t) (a misaligned start only costs a few bytes).
  constexpr FixedRegion(void* memory, std::size_t bytes) noexcept
      : memory_(memory), bytes_(bytes) {}

  /// The whole region if it has not been handed out and holds min_bytes,
  /// else {nullptr, 0}.
  Region acquire(std::size_t min_bytes) noexcept {
    if (handed_out_ || memory_ == nullptr || bytes_ < min_bytes) return {};
    handed_out_ = true;
    return {memory_, bytes_};
  }
  /// Takes the region back; a later acquire may hand it out again.
  void release(Region) noexcept { handed_out_ = false; }

 private:
  void* memory_ = nullptr;
  std::size_t bytes_ = 0;
  bool handed_out_ = false;
};

}  // namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE
