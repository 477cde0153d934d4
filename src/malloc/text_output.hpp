// SPDX-License-Identifier: MIT OR Apache-2.0
// Text the malloc library writes about itself (bad settings, statistics, the check at exit): built
// in a fixed buffer on the stack and written with write(2), because the library is the program's
// malloc and must not call anything that might allocate or take stdio's locks while it reports.
#pragma once

#include <unistd.h>

#include <cstddef>

namespace rtalloc::malloc_support {

/// Up to Capacity bytes of text; what does not fit is dropped. Every append is O(its length).
template <std::size_t Capacity>
class TextBuffer {
 public:
  /// Appends `text` up to its terminating NUL, or its first `limit` characters.
  TextBuffer& append(const char* text, std::size_t limit = Capacity) noexcept {
    for (std::size_t i = 0; i < limit && text[i] != '\0'; ++i) put(text[i]);
    return *this;
  }

  /// Appends `value` in decimal.
  TextBuffer& append_number(std::size_t value) noexcept {
    char digits[24];
    std::size_t count = 0;
    do {
      digits[count++] = static_cast<char>('0' + value % 10);
      value /= 10;
    } while (value != 0);
    while (count > 0) put(digits[--count]);
    return *this;
  }

  /// Appends `value` in decimal, padded with spaces on the left to `width` characters.
  TextBuffer& append_number(std::size_t value, std::size_t width) noexcept {
    std::size_t digits = 1;
    for (std::size_t rest = value / 10; rest != 0; rest /= 10) ++digits;
    for (; digits < width; ++digits) put(' ');
    return append_number(value);
  }

  const char* data() const noexcept { return text_; }
  std::size_t size() const noexcept { return length_; }

  /// Writes the text to `fd` (retrying short writes). Returns false if a write failed.
  bool write_to(int fd) const noexcept {
    std::size_t done = 0;
    while (done < length_) {
      const ssize_t written = ::write(fd, text_ + done, length_ - done);
      if (written <= 0) return false;
      done += static_cast<std::size_t>(written);
    }
    return true;
  }

 private:
  void put(char c) noexcept {
    if (length_ < Capacity) text_[length_++] = c;
  }

  char text_[Capacity];
  std::size_t length_ = 0;
};

}  // namespace rtalloc::malloc_support
