// SPDX-License-Identifier: MIT OR Apache-2.0
// rtalloc::FixedRegion — a pool source (rtalloc::pool_source) of one fixed
// region: a linker section or a static array, for a growing heap (FlexTlsf)
// that must never reach beyond it. Freestanding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

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

  /// The span the region is handed out from. O(1).
  Region reservation() const noexcept { return {memory_, bytes_}; }

  /// Zeroed memory for bookkeeping, `bytes` rounded up to 16, taken from
  /// the end of the region (which shrinks by as much); only before the
  /// region is handed out. O(bytes) to zero it. {nullptr, 0} if too little
  /// is left or the region is out.
  Region acquire_metadata(std::size_t bytes) noexcept {
    const std::size_t rounded = (bytes + 15) & ~std::size_t{15};
    if (handed_out_ || memory_ == nullptr || rounded == 0 || rounded >= bytes_) return {};
    const auto end = reinterpret_cast<std::uintptr_t>(memory_) + bytes_;
    const std::uintptr_t start = (end - rounded) & ~std::uintptr_t{15};
    if (start <= reinterpret_cast<std::uintptr_t>(memory_)) return {};
    bytes_ = static_cast<std::size_t>(start - reinterpret_cast<std::uintptr_t>(memory_));
    void* p = reinterpret_cast<void*>(start);
    std::memset(p, 0, static_cast<std::size_t>(end - start));
    return {p, static_cast<std::size_t>(end - start)};
  }

  /// Takes metadata back: the region keeps its shorter size. O(1).
  void release_metadata(Region) noexcept {}

 private:
  void* memory_ = nullptr;
  std::size_t bytes_ = 0;
  bool handed_out_ = false;
};

}  // namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE
