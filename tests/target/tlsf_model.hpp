// SPDX-License-Identifier: MIT OR Apache-2.0
// A random sequence of heap operations checked against a model, after every
// operation: the model knows each live block's address, size, alignment and
// contents, and what the heap's statistics must say. Freestanding (see
// ../model/model_support.hpp): runs under GoogleTest on the host and on a Cortex-M4.
//
// Checked after every operation: blocks lie inside the pool, do not overlap,
// are aligned as asked and hold what was written (a block's contents are
// checked whenever it is reallocated or freed, and all blocks every 64
// operations); reallocate keeps the contents and alignment, and a failed
// reallocate leaves the block alone; allocate fails only when no free block
// is nearly twice the request; the statistics count the live blocks; check()
// holds every 8 operations; and each time every block is freed, the pool is
// one free block again (all neighbours merged).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "../model/model_support.hpp"

namespace rtalloc::test {

template <class Heap, std::size_t MaxLive = 48>
class TlsfModel {
 public:
  /// A model over [memory, memory + bytes); memory must outlive run().
  TlsfModel(std::byte* memory, std::size_t bytes, std::uint64_t seed) noexcept
      : memory_(memory), bytes_(bytes), random_(seed) {}

  /// Runs `operations` random operations on a fresh heap.
  ModelResult run(std::size_t operations) noexcept {
    const std::size_t offset = random_.below(8);  // any alignment of the pool is accepted
    capacity_ = heap_.add_pool(memory_ + offset, bytes_ - offset);
    RTALLOC_MODEL_CHECK(capacity_ != 0);
    RTALLOC_MODEL_CHECK(heap_.check());
    for (operation_ = 0; operation_ < operations; ++operation_) {
      if (const ModelResult step = one_operation(); !step.passed) return step;
    }
    if (const ModelResult result = free_all(); !result.passed) return result;
    return {};
  }

 private:
  struct Live {
    std::byte* data;
    std::size_t size;
    std::size_t align;
    std::uint32_t tag;
  };

  ModelResult fail(const char* what) const noexcept { return {false, what, operation_}; }

  std::size_t random_size() noexcept {
    const std::size_t kind = random_.below(20);
    if (kind < 14) return random_.below(64);
    if (kind < 19) return random_.below(1024);
    return random_.below(bytes_ / 3);
  }

  ModelResult one_operation() noexcept {
    const std::size_t choice = random_.below(10);
    if (random_.one_in(400)) return free_all();
    if (choice < 4 && live_count_ < MaxLive) return allocate(random_size(), 0);
    if (choice == 4 && live_count_ < MaxLive) {
      return allocate(random_size(), std::size_t{1} << random_.below(9));
    }
    if (live_count_ == 0) return {};
    const std::size_t which = random_.below(live_count_);
    if (choice < 7) return reallocate(which, random_size());
    return deallocate(which);
  }

  ModelResult allocate(std::size_t size, std::size_t align) noexcept {
    void* p = align == 0 ? heap_.allocate(size) : heap_.allocate(size, align);
    if (p == nullptr) {
      // The search rounds a request up to its class: it may refuse only
      // when no free block is anywhere near twice the request.
      const std::size_t largest = heap_.stats().largest_free;
      RTALLOC_MODEL_CHECK(largest < 2 * (size + align) + 64);
      return verify_counts();
    }
    Live block{static_cast<std::byte*>(p), size, align == 0 ? Heap::alignment : align, ++tags_};
    if (const ModelResult placed = verify_placement(block); !placed.passed) return placed;
    fill(block);
    live_[live_count_++] = block;
    return verify_counts();
  }

  ModelResult reallocate(std::size_t which, std::size_t size) noexcept {
    Live& block = live_[which];
    RTALLOC_MODEL_CHECK(holds_its_pattern(block, block.size));
    void* p = heap_.reallocate(block.data, size);
    if (p == nullptr) {
      RTALLOC_MODEL_CHECK(holds_its_pattern(block, block.size));  // the old block is kept
      return verify_counts();
    }
    const std::size_t kept = size < block.size ? size : block.size;
    Live moved = block;
    moved.data = static_cast<std::byte*>(p);
    RTALLOC_MODEL_CHECK(holds_its_pattern(moved, kept));
    moved.size = size;
    moved.tag = ++tags_;
    block = Live{nullptr, 0, 0, 0};  // not an obstacle for its own new place
    if (const ModelResult placed = verify_placement(moved); !placed.passed) return placed;
    fill(moved);
    block = moved;
    return verify_counts();
  }

  ModelResult deallocate(std::size_t which) noexcept {
    RTALLOC_MODEL_CHECK(holds_its_pattern(live_[which], live_[which].size));
    heap_.deallocate(live_[which].data);
    live_[which] = live_[--live_count_];
    return verify_counts();
  }

  ModelResult free_all() noexcept {
    while (live_count_ != 0) {
      if (const ModelResult result = deallocate(live_count_ - 1); !result.passed) return result;
    }
    RTALLOC_MODEL_CHECK(heap_.check());
    const auto stats = heap_.stats();
    RTALLOC_MODEL_CHECK(stats.used == 0 && stats.used_blocks == 0);
    RTALLOC_MODEL_CHECK(stats.free_blocks == 1);  // everything merged back into one block
    RTALLOC_MODEL_CHECK(stats.largest_free == capacity_ - Heap::header_size);
    return {};
  }

  // A new block: inside the pool, aligned, large enough, overlapping no live block.
  ModelResult verify_placement(const Live& block) const noexcept {
    const auto begin = reinterpret_cast<std::uintptr_t>(block.data);
    RTALLOC_MODEL_CHECK(begin % block.align == 0);
    RTALLOC_MODEL_CHECK(heap_.usable_size(block.data) >= block.size);
    RTALLOC_MODEL_CHECK(heap_.owns(block.data));
    const auto end = begin + heap_.usable_size(block.data);
    RTALLOC_MODEL_CHECK(begin >= reinterpret_cast<std::uintptr_t>(memory_) &&
                        end <= reinterpret_cast<std::uintptr_t>(memory_ + bytes_));
    for (std::size_t i = 0; i < live_count_; ++i) {
      if (live_[i].data == nullptr) continue;
      const auto other = reinterpret_cast<std::uintptr_t>(live_[i].data);
      RTALLOC_MODEL_CHECK(end <= other || other + live_[i].size <= begin);
    }
    return {};
  }

  ModelResult verify_counts() noexcept {
    const auto stats = heap_.stats();
    RTALLOC_MODEL_CHECK(stats.used_blocks == live_count_);
    RTALLOC_MODEL_CHECK(stats.capacity == capacity_ && stats.used + stats.free == capacity_);
    RTALLOC_MODEL_CHECK(rtalloc::stats_enabled ? stats.peak_used >= stats.used
                                               : stats.peak_used == 0);
    if (operation_ % 8 == 0) RTALLOC_MODEL_CHECK(heap_.check());
    if (operation_ % 64 == 0) {
      for (std::size_t i = 0; i < live_count_; ++i) {
        RTALLOC_MODEL_CHECK(holds_its_pattern(live_[i], live_[i].size));
      }
    }
    return {};
  }

  static void fill(const Live& block) noexcept {
    for (std::size_t i = 0; i < block.size; ++i) block.data[i] = pattern_byte(block.tag, i);
  }
  static bool holds_its_pattern(const Live& block, std::size_t size) noexcept {
    for (std::size_t i = 0; i < size; ++i) {
      if (block.data[i] != pattern_byte(block.tag, i)) return false;
    }
    return true;
  }

  Heap heap_;
  std::byte* memory_;
  std::size_t bytes_;
  Random random_;
  std::size_t capacity_ = 0;
  std::size_t operation_ = 0;
  std::uint32_t tags_ = 0;
  std::size_t live_count_ = 0;
  Live live_[MaxLive] = {};
};

}  // namespace rtalloc::test
