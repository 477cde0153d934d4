// SPDX-License-Identifier: MIT OR Apache-2.0
// What the fuzz targets share: a reader that turns the fuzzer's bytes into
// choices, and the way a target stops on a broken expectation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace rtalloc::fuzz {

// Stops the run: libFuzzer records the input as a crash.
[[noreturn]] inline void fail(const char* what, const void* where = nullptr, std::size_t size = 0) {
  std::fprintf(stderr, "fuzz: %s (address %p, size %zu)\n", what, where, size);
  std::abort();
}

// Reads the fuzzer's bytes; past the end every read gives 0.
class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  bool empty() const { return position_ >= size_; }
  std::uint8_t byte() { return position_ < size_ ? data_[position_++] : 0; }
  std::uint16_t word() { return static_cast<std::uint16_t>(byte() | (byte() << 8)); }

  // Mostly small sizes, some up to the pool sizes, a few absurd ones.
  std::size_t size() {
    const std::uint8_t kind = byte();
    const std::uint16_t low = word();
    if (kind < 160) return low % 256;
    if (kind < 240) return low % (std::size_t{1} << (kind % 18));
    switch (kind % 4) {
      case 0:
        return std::numeric_limits<std::size_t>::max() - low;
      case 1:
        return std::numeric_limits<std::size_t>::max() / 2 + low;
      case 2:
        return std::size_t{1} << (40 + kind % 20);
      default:
        return low;
    }
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t position_ = 0;
};

}  // namespace rtalloc::fuzz
