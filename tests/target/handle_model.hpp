// SPDX-License-Identifier: MIT OR Apache-2.0
// HandlePool against a model: a random sequence of allocate, free and
// stale-handle uses. The model keeps each live handle's length and contents
// tag, and a few freed handles, which must stay invalid forever (even once
// their slot is reused). Freestanding (see ../model/model_support.hpp).
#pragma once

#include <cstddef>
#include <cstdint>

#include "../model/model_support.hpp"
#include "rtalloc/pools/pool_error.hpp"

namespace rtalloc::test {

template <class Pool, std::size_t StaleCount = 32>
class HandleModel {
 public:
  using Handle = typename Pool::Handle;

  HandleModel(Pool& pool, std::uint64_t seed) noexcept : pool_(pool), random_(seed) {}

  ModelResult run(std::size_t operations) noexcept {
    capacity_ = pool_.capacity();
    RTALLOC_MODEL_CHECK(capacity_ != 0 && capacity_ <= max_live);
    RTALLOC_MODEL_CHECK(pool_.available() == capacity_);
    for (operation_ = 0; operation_ < operations; ++operation_) {
      if (const ModelResult step = one_operation(); !step.passed) return step;
    }
    while (live_count_ != 0) {
      if (const ModelResult step = free_one(live_count_ - 1); !step.passed) return step;
    }
    RTALLOC_MODEL_CHECK(pool_.available() == capacity_);
    return {};
  }

 private:
  static constexpr std::size_t max_live = 256;
  struct Live {
    Handle handle;
    std::size_t length;
    std::uint32_t tag;
  };

  ModelResult fail(const char* what) const noexcept { return {false, what, operation_}; }

  ModelResult one_operation() noexcept {
    const std::size_t choice = random_.below(4);
    if (choice <= 1) {
      if (const ModelResult step = allocate(); !step.passed) return step;
    } else if (choice == 2 && live_count_ != 0) {
      if (const ModelResult step = free_one(random_.below(live_count_)); !step.passed) return step;
    } else if (stale_count_ != 0) {
      const Handle stale = stale_[random_.below(stale_count_)];
      RTALLOC_MODEL_CHECK(!pool_.valid(stale));
      RTALLOC_MODEL_CHECK(pool_.get(stale).data() == nullptr);
      RTALLOC_MODEL_CHECK(pool_.free(stale) == PoolError::stale_handle);
    }
    RTALLOC_MODEL_CHECK(pool_.available() == capacity_ - live_count_);
    return {};
  }

  ModelResult allocate() noexcept {
    const std::size_t length = random_.below(Pool::block_size + 8);  // sometimes too large
    auto allocation = pool_.allocate(length);
    if (length > Pool::block_size) {
      RTALLOC_MODEL_CHECK(allocation.error == PoolError::too_large);
      return {};
    }
    if (live_count_ == capacity_) {
      RTALLOC_MODEL_CHECK(allocation.error == PoolError::exhausted);
      return {};
    }
    RTALLOC_MODEL_CHECK(allocation.error == PoolError::none);
    RTALLOC_MODEL_CHECK(allocation.data.size() == length);
    for (std::size_t i = 0; i < live_count_; ++i) {
      RTALLOC_MODEL_CHECK(!(live_[i].handle == allocation.handle));
    }
    const Live live{allocation.handle, length, ++tags_};
    for (std::size_t i = 0; i < length; ++i) allocation.data[i] = pattern_byte(live.tag, i);
    live_[live_count_++] = live;
    return {};
  }

  ModelResult free_one(std::size_t which) noexcept {
    const Live live = live_[which];
    const auto data = pool_.get(live.handle);
    RTALLOC_MODEL_CHECK(data.size() == live.length);
    for (std::size_t i = 0; i < live.length; ++i) {
      RTALLOC_MODEL_CHECK(data[i] == pattern_byte(live.tag, i));
    }
    RTALLOC_MODEL_CHECK(pool_.free(live.handle) == PoolError::none);
    RTALLOC_MODEL_CHECK(!pool_.valid(live.handle));
    live_[which] = live_[--live_count_];
    if (stale_count_ < StaleCount) {
      stale_[stale_count_++] = live.handle;
    } else {
      stale_[random_.below(StaleCount)] = live.handle;
    }
    return {};
  }

  Pool& pool_;
  Random random_;
  std::size_t capacity_ = 0;
  std::size_t operation_ = 0;
  std::uint32_t tags_ = 0;
  std::size_t live_count_ = 0;
  Live live_[max_live] = {};
  std::size_t stale_count_ = 0;
  Handle stale_[StaleCount] = {};
};

}  // namespace rtalloc::test
