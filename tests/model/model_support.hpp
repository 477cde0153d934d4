// SPDX-License-Identifier: MIT OR Apache-2.0
// What the models share: a small random generator and a result type. The
// models (heap_model.hpp here; handle_model.hpp and bytes_model.hpp in
// tests/target/) are freestanding, like the library: no exceptions, no heap,
// no standard containers, so the same code runs under GoogleTest on the host,
// in the fuzz targets and on a bare-metal Cortex-M4 (tests/target/).
#pragma once

#include <cstddef>
#include <cstdint>

namespace rtalloc::test {

/// SplitMix64: a fixed seed gives the same sequence on every target.
class Random {
 public:
  explicit constexpr Random(std::uint64_t seed) noexcept : state_(seed) {}

  std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  /// A number in [0, n), n > 0.
  std::size_t below(std::size_t n) noexcept { return static_cast<std::size_t>(next() % n); }
  /// True with probability 1 / n.
  bool one_in(std::size_t n) noexcept { return below(n) == 0; }

 private:
  std::uint64_t state_;
};

/// A model run's outcome: on failure, which check failed and at which
/// operation. `what` is a static string.
struct ModelResult {
  bool passed = true;
  const char* what = "";
  std::size_t operation = 0;
};

/// The byte a model writes at `offset` of the block it numbers `tag`.
inline std::byte pattern_byte(std::uint32_t tag, std::size_t offset) noexcept {
  return static_cast<std::byte>((tag * 31U + static_cast<std::uint32_t>(offset) * 7U) & 0xFFU);
}

}  // namespace rtalloc::test

// Inside a model's step: return a failed ModelResult naming the condition.
#define RTALLOC_MODEL_CHECK(condition)                    \
  do {                                                    \
    if (!(condition)) return fail("failed: " #condition); \
  } while (false)
