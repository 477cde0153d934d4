// SPDX-License-Identifier: MIT OR Apache-2.0
// ByteDeque against a model FIFO: random pushes of byte runs, single-byte
// and bulk pops. Checks the contents, that a push fails only when the pool
// really is short of chunks (and then changes nothing), and that chunks go
// back to the pool as they empty. Freestanding (see ../model/model_support.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "../model/model_support.hpp"
#include "rtalloc/pools/byte_buffer.hpp"

namespace rtalloc::test {

template <std::size_t ChunkBytes, std::size_t ModelBytes = 4096>
class BytesModel {
 public:
  using Pool = ByteChunkPool<ChunkBytes>;

  BytesModel(Pool& pool, std::uint64_t seed) noexcept
      : pool_(pool), deque_(pool), random_(seed), chunks_(pool.capacity()) {}

  ModelResult run(std::size_t operations) noexcept {
    RTALLOC_MODEL_CHECK(chunks_ * ChunkBytes <= ModelBytes);
    for (operation_ = 0; operation_ < operations; ++operation_) {
      if (const ModelResult step = one_operation(); !step.passed) return step;
    }
    deque_.clear();
    RTALLOC_MODEL_CHECK(pool_.available() == chunks_);
    return {};
  }

 private:
  ModelResult fail(const char* what) const noexcept { return {false, what, operation_}; }

  // The model: a ring of ModelBytes bytes.
  void model_push(std::byte b) noexcept { model_[(model_begin_ + model_size_++) % ModelBytes] = b; }
  std::byte model_pop() noexcept {
    const std::byte b = model_[model_begin_];
    model_begin_ = (model_begin_ + 1) % ModelBytes;
    --model_size_;
    return b;
  }

  ModelResult one_operation() noexcept {
    const std::size_t choice = random_.below(8);
    if (choice < 4) {
      std::byte piece[3 * ChunkBytes + 2];
      const std::size_t length = random_.below(sizeof piece);
      const std::uint32_t tag = ++tags_;
      for (std::size_t i = 0; i < length; ++i) piece[i] = pattern_byte(tag, i);
      const PoolError error = deque_.push_back(std::span<const std::byte>(piece, length));
      if (error == PoolError::none) {
        for (std::size_t i = 0; i < length; ++i) model_push(piece[i]);
      } else {
        RTALLOC_MODEL_CHECK(error == PoolError::exhausted);
        RTALLOC_MODEL_CHECK(model_size_ + length > (chunks_ - 1) * ChunkBytes);  // really full
      }
    } else if (choice == 4) {
      const auto popped = deque_.pop_front();
      if (model_size_ == 0) {
        RTALLOC_MODEL_CHECK(popped.error == PoolError::empty);
      } else {
        RTALLOC_MODEL_CHECK(popped.error == PoolError::none);
        RTALLOC_MODEL_CHECK(popped.value == model_pop());
      }
    } else {
      std::byte out[4 * ChunkBytes];
      const std::size_t wanted = random_.below(sizeof out);
      const std::size_t n = deque_.pop_front(std::span<std::byte>(out, wanted));
      RTALLOC_MODEL_CHECK(n == (wanted < model_size_ ? wanted : model_size_));
      for (std::size_t i = 0; i < n; ++i) RTALLOC_MODEL_CHECK(out[i] == model_pop());
    }
    RTALLOC_MODEL_CHECK(deque_.size() == model_size_);
    // Chunks go back as they empty: at most one partly used chunk at each end.
    RTALLOC_MODEL_CHECK(deque_.capacity() <= (model_size_ / ChunkBytes + 2) * ChunkBytes);
    RTALLOC_MODEL_CHECK(pool_.available() == chunks_ - deque_.capacity() / ChunkBytes);
    return {};
  }

  Pool& pool_;
  ByteDeque<ChunkBytes> deque_;
  Random random_;
  std::size_t chunks_;
  std::size_t operation_ = 0;
  std::uint32_t tags_ = 0;
  std::byte model_[ModelBytes] = {};
  std::size_t model_begin_ = 0;
  std::size_t model_size_ = 0;
};

}  // namespace rtalloc::test
