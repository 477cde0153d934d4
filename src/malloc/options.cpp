// SPDX-License-Identifier: MIT OR Apache-2.0
// The malloc library's environment variables (options.hpp; the table is in docs/malloc.md).
#include "options.hpp"

#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <limits>

#include "text_output.hpp"

namespace rtalloc::malloc_support {
namespace {

char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// `text` is `word`, in any case.
bool is_word(const char* text, const char* word) noexcept {
  for (; *word != '\0'; ++text, ++word) {
    if (lower(*text) != *word) return false;
  }
  return *text == '\0';
}

// The power of 1024 that a unit's letter names, or -1.
int binary_power(char letter) noexcept {
  switch (lower(letter)) {
    case 'k':
      return 1;
    case 'm':
      return 2;
    case 'g':
      return 3;
    case 't':
      return 4;
    default:
      return -1;
  }
}

// Reports one unparsable value: "rtalloc malloc: NAME=VALUE: not a WHAT; using the default N".
void report_bad_value(int fd, const char* name, const char* value, const char* what,
                      std::size_t default_value) noexcept {
  TextBuffer<256> line;
  line.append("rtalloc malloc: ")
      .append(name)
      .append("=")
      .append(value, 64)
      .append(": not ")
      .append(what)
      .append("; using the default ")
      .append_number(default_value)
      .append("\n");
  [[maybe_unused]] const bool written = line.write_to(fd);
}

// Reads one size variable into `bytes`, which holds its default.
void read_size(const char* (*lookup)(const char*), int fd, const char* name,
               std::size_t& bytes) noexcept {
  const char* text = lookup(name);
  if (text == nullptr || text[0] == '\0') return;
  if (!parse_size(text, bytes)) report_bad_value(fd, name, text, "a size", bytes);
}

// Reads one switch into `value`, which holds its default.
void read_switch(const char* (*lookup)(const char*), int fd, const char* name,
                 bool& value) noexcept {
  const char* text = lookup(name);
  if (text == nullptr || text[0] == '\0') return;
  if (!parse_switch(text, value)) report_bad_value(fd, name, text, "0 or 1", value ? 1 : 0);
}

const char* environment(const char* name) { return getenv(name); }

}  // namespace

bool parse_size(const char* text, std::size_t& bytes) noexcept {
  constexpr std::size_t max = std::numeric_limits<std::size_t>::max();
  const char* p = text;
  if (*p < '0' || *p > '9') return false;
  std::size_t value = 0;
  for (; *p >= '0' && *p <= '9'; ++p) {
    const auto digit = static_cast<std::size_t>(*p - '0');
    if (value > (max - digit) / 10) return false;
    value = value * 10 + digit;
  }
  if ((*p == 'b' || *p == 'B') && p[1] == '\0') {
    ++p;  // "4096B"
  } else if (*p != '\0') {
    const int power = binary_power(*p);
    if (power < 0) return false;
    ++p;
    if (*p == 'i' || *p == 'I') ++p;  // KiB, MiB, ...
    if (*p == 'b' || *p == 'B') {
      ++p;
    } else if (p[-1] == 'i' || p[-1] == 'I') {
      return false;  // "64Ki" without the B
    }
    if (*p != '\0') return false;
    for (int i = 0; i < power; ++i) {
      if (value > max / 1024) return false;
      value *= 1024;
    }
  }
  bytes = value;
  return true;
}

bool parse_switch(const char* text, bool& value) noexcept {
  for (const char* on : {"1", "yes", "true", "on"}) {
    if (is_word(text, on)) {
      value = true;
      return true;
    }
  }
  for (const char* off : {"0", "no", "false", "off"}) {
    if (is_word(text, off)) {
      value = false;
      return true;
    }
  }
  return false;
}

Options read_options(const char* (*lookup)(const char* name), int report_fd) noexcept {
  Options options;
  read_size(lookup, report_fd, "RTALLOC_MALLOC_DISCARD_THRESHOLD", options.discard_threshold);
  read_switch(lookup, report_fd, "RTALLOC_MALLOC_CHECK", options.check_at_exit);
  read_switch(lookup, report_fd, "RTALLOC_MALLOC_SHOW_STATS", options.show_stats);
  const char* stats_file = lookup("RTALLOC_MALLOC_STATS_FILE");
  if (stats_file != nullptr && stats_file[0] != '\0') options.stats_file = stats_file;
  return options;
}

const Options& options() noexcept {
  // 0: not read yet; 1: being read by one caller; 2: read. A caller that finds 1 waits: the
  // reading is a few getenv calls, and no caller reads the environment twice.
  static std::atomic<int> state{0};
  static Options loaded;
  int expected = 0;
  if (state.compare_exchange_strong(expected, 1, std::memory_order_acquire)) {
    loaded = read_options(environment, STDERR_FILENO);
    state.store(2, std::memory_order_release);
  } else {
    while (state.load(std::memory_order_acquire) != 2) {
    }
  }
  return loaded;
}

}  // namespace rtalloc::malloc_support
