// SPDX-License-Identifier: MIT OR Apache-2.0
// Shared helpers for the Tlsf tests: pool memory, a recording error handler,
// a fixture that installs it, and a summary of what walk() reports.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <ostream>
#include <rtalloc/tlsf.hpp>
#include <string>
#include <vector>

namespace rtalloc {

// Lets GoogleTest print error codes by name in failure messages.
inline void PrintTo(ErrorCode code, std::ostream* out) { *out << to_string(code); }

}  // namespace rtalloc

namespace rtalloc::test {

// What peak_used or failed_allocations reads after counting to `value`: the
// value itself, or 0 in builds without statistics (RTALLOC_STATS=0).
constexpr std::size_t counted(std::size_t value) { return stats_enabled ? value : 0; }

// Memory handed to add_pool. The start is aligned to `start_alignment`, so a
// test can choose the exact misalignment of the pool it adds.
class PoolMemory {
 public:
  explicit PoolMemory(std::size_t bytes, std::size_t start_alignment = 4096)
      : size_(bytes),
        memory_(static_cast<std::byte*>(std::aligned_alloc(
            start_alignment, round_up(std::max<std::size_t>(bytes, 1), start_alignment)))) {
    if (memory_ == nullptr) {
      throw std::bad_alloc();
    }
  }

  std::byte* data() const noexcept { return memory_.get(); }
  std::size_t size() const noexcept { return size_; }
  std::byte* end() const noexcept { return memory_.get() + size_; }

  bool contains(const void* p) const noexcept {
    const auto* b = static_cast<const std::byte*>(p);
    return b >= data() && b < end();
  }

 private:
  static std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

  struct Free {
    void operator()(std::byte* p) const noexcept { std::free(p); }
  };
  std::size_t size_;
  std::unique_ptr<std::byte, Free> memory_;
};

// Every report the library makes while a RecordingErrorHandler is installed.
// The handler must not throw or allocate, so reports go into a fixed array.
class ErrorLog {
 public:
  static constexpr std::size_t capacity = 64;

  static void record(const ErrorInfo& info) noexcept {
    if (count_ < capacity) {
      reports_[count_] = info;
    }
    ++count_;
  }

  static void clear() noexcept { count_ = 0; }
  static std::size_t count() noexcept { return count_; }
  static const ErrorInfo& at(std::size_t i) noexcept { return reports_[i]; }

  // The recorded reports, oldest first; the log is emptied.
  static std::vector<ErrorInfo> take() {
    std::vector<ErrorInfo> taken(reports_.begin(), reports_.begin() + std::min(count_, capacity));
    count_ = 0;
    return taken;
  }

 private:
  static inline std::array<ErrorInfo, capacity> reports_{};
  static inline std::size_t count_ = 0;
};

inline void record_error(const ErrorInfo& info) noexcept { ErrorLog::record(info); }

inline std::string describe(const std::vector<ErrorInfo>& reports) {
  std::string text;
  for (const ErrorInfo& report : reports) {
    text += "\n  ";
    text += to_string(report.code);
    text += ": ";
    text += report.message != nullptr ? report.message : "(no message)";
  }
  return text;
}

// Installs the recording handler for the duration of each test and fails the
// test if any report was left unexamined: a test that provokes a report takes
// it with take_reports() or expect_report().
class ErrorRecordingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ErrorLog::clear();
    previous_handler_ = set_error_handler(&record_error);
  }

  void TearDown() override {
    set_error_handler(previous_handler_);
    const std::vector<ErrorInfo> left = ErrorLog::take();
    EXPECT_TRUE(left.empty()) << "unexpected error reports:" << describe(left);
  }

  static std::vector<ErrorInfo> take_reports() { return ErrorLog::take(); }

  // Exactly one report is pending and it carries `code`; it is consumed.
  static ::testing::AssertionResult took_report(ErrorCode code) {
    const std::vector<ErrorInfo> reports = ErrorLog::take();
    if (reports.size() == 1 && reports.front().code == code) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure()
           << "expected exactly one " << to_string(code) << " report, got " << reports.size() << ":"
           << describe(reports);
  }

  // Exactly one report is pending: `code`, from `heap`, about `address`; it is consumed.
  static ::testing::AssertionResult took_report(ErrorCode code, const void* heap,
                                                const void* address) {
    const std::vector<ErrorInfo> reports = ErrorLog::take();
    if (reports.size() == 1 && reports.front().code == code && reports.front().heap == heap &&
        reports.front().address == address) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure()
           << "expected exactly one " << to_string(code) << " report from heap " << heap
           << " about " << address << ", got " << reports.size() << ":" << describe(reports);
  }

  static ::testing::AssertionResult no_reports() {
    if (ErrorLog::count() == 0) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure()
           << "unexpected error reports:" << describe(ErrorLog::take());
  }

  // The handler that was installed before this test: the library's default.
  ErrorHandler default_handler() const noexcept { return previous_handler_; }

 private:
  ErrorHandler previous_handler_ = nullptr;
};

// What walk() says about a heap, gathered in one pass.
struct WalkSummary {
  std::vector<BlockInfo> blocks;  // in visiting order
  std::size_t used_blocks = 0;
  std::size_t free_blocks = 0;
  std::size_t used_bytes = 0;   // sum of block_size over used blocks
  std::size_t total_bytes = 0;  // sum of block_size over all blocks
  std::size_t largest_free = 0;
};

template <class Heap>
WalkSummary summarize(const Heap& heap) {
  WalkSummary summary;
  heap.walk([&](const BlockInfo& block) {
    summary.blocks.push_back(block);
    summary.total_bytes += block.block_size;
    if (block.used) {
      ++summary.used_blocks;
      summary.used_bytes += block.block_size;
    } else {
      ++summary.free_blocks;
      summary.largest_free = std::max(summary.largest_free, block.size);
    }
  });
  return summary;
}

inline std::uintptr_t address_of(const void* p) noexcept {
  return reinterpret_cast<std::uintptr_t>(p);
}

inline bool is_aligned(const void* p, std::size_t alignment) noexcept {
  return address_of(p) % alignment == 0;
}

// A pattern that depends on the block's identity and the offset, so a block
// that is overwritten by a neighbour or moved incompletely shows it. Written
// a word at a time; a prefix of a filled block matches a shorter fill.
inline std::uint64_t pattern_word(std::uint64_t id, std::size_t word) noexcept {
  return ((id + 1) * 0x9E3779B97F4A7C15ULL) ^ ((word + 1) * 0xBF58476D1CE4E5B9ULL);
}

inline void fill_pattern(void* p, std::size_t bytes, std::uint64_t id) noexcept {
  auto* b = static_cast<std::byte*>(p);
  for (std::size_t offset = 0; offset < bytes; offset += sizeof(std::uint64_t)) {
    const std::uint64_t word = pattern_word(id, offset / sizeof(std::uint64_t));
    std::memcpy(b + offset, &word, std::min(sizeof word, bytes - offset));
  }
}

// The first offset where the pattern differs, or `bytes` if it is intact.
inline std::size_t find_pattern_mismatch(const void* p, std::size_t bytes,
                                         std::uint64_t id) noexcept {
  const auto* b = static_cast<const std::byte*>(p);
  for (std::size_t offset = 0; offset < bytes; offset += sizeof(std::uint64_t)) {
    const std::uint64_t expected = pattern_word(id, offset / sizeof(std::uint64_t));
    const std::size_t length = std::min(sizeof expected, bytes - offset);
    if (std::memcmp(b + offset, &expected, length) != 0) {
      const auto* want = reinterpret_cast<const std::byte*>(&expected);
      std::size_t i = 0;
      while (b[offset + i] == want[i]) {
        ++i;
      }
      return offset + i;
    }
  }
  return bytes;
}

inline ::testing::AssertionResult pattern_intact(const void* p, std::size_t bytes,
                                                 std::uint64_t id) {
  const std::size_t at = find_pattern_mismatch(p, bytes, id);
  if (at == bytes) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "contents of block " << id << " at " << p
                                       << " differ at byte " << at << " of " << bytes;
}

// A fresh heap per test, with helpers that add pools whose memory the test
// keeps alive. Typed over the heap configuration.
template <class Heap>
class HeapTest : public ErrorRecordingTest {
 protected:
  // Pool size most tests use: large enough for a few dozen mid-sized blocks
  // and small enough for every configuration's largest block.
  static constexpr std::size_t pool_bytes = 64 * 1024;

  // Adds a pool of `bytes` whose start is `misalignment` bytes past a
  // 4096-aligned address. Returns its start; the heap's answer goes to *added.
  std::byte* add_pool(std::size_t bytes, std::size_t misalignment = 0,
                      std::size_t* added = nullptr) {
    pools_.push_back(std::make_unique<PoolMemory>(bytes + misalignment));
    std::byte* start = pools_.back()->data() + misalignment;
    const std::size_t result = heap->add_pool(start, bytes);
    if (added != nullptr) {
      *added = result;
    }
    return start;
  }

  // Adds a pool of `bytes` and fails the test if the heap refuses it.
  std::byte* add_accepted_pool(std::size_t bytes = pool_bytes, std::size_t misalignment = 0) {
    std::size_t added = 0;
    std::byte* start = add_pool(bytes, misalignment, &added);
    EXPECT_GT(added, 0U) << "pool of " << bytes << " bytes at misalignment " << misalignment
                         << " was refused";
    return start;
  }

  // Adds pools totalling `bytes`: one pool where the configuration's largest
  // block allows, several of the largest block size otherwise.
  void add_capacity(std::size_t bytes, std::size_t misalignment = 0) {
    while (bytes > 0) {
      const std::size_t chunk = std::min(bytes, Heap::max_block_size);
      add_accepted_pool(std::max(chunk, Heap::min_pool_size), misalignment);
      bytes -= chunk;
    }
  }

  // Bytes the block at `p` occupies, header included, as walk() reports it.
  std::size_t block_bytes(const void* p) const {
    std::size_t bytes = 0;
    heap->walk([&](const BlockInfo& block) {
      if (block.address == p) {
        bytes = block.block_size;
      }
    });
    EXPECT_NE(bytes, 0U) << "walk() does not show a block at " << p;
    return bytes;
  }

  // Whether the block at `second` starts right where the one at `first` ends.
  bool adjacent(const void* first, const void* second) const {
    return static_cast<const std::byte*>(first) + block_bytes(first) == second;
  }

  ::testing::AssertionResult healthy() const {
    if (!heap->check()) {
      return ::testing::AssertionFailure() << "check() failed:" << describe(ErrorLog::take());
    }
    return no_reports();
  }

  std::unique_ptr<Heap> heap = std::make_unique<Heap>();

 private:
  std::vector<std::unique_ptr<PoolMemory>> pools_;
};

// Every configuration the generic tests run on: the default, the small one
// for microcontrollers, few coarse classes, and many fine ones (with fewer
// levels on 32-bit targets, whose blocks stay below 2^30 bytes).
using HeapConfigurations =
    ::testing::Types<Tlsf<>, TlsfSmall, Tlsf<20, 4>, Tlsf<(sizeof(void*) >= 8 ? 24 : 21), 64>>;

}  // namespace rtalloc::test
