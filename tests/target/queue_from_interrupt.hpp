// SPDX-License-Identifier: MIT OR Apache-2.0
// ByteQueue between an interrupt handler and the main loop, on the
// Cortex-M4 only: the SysTick handler produces a numbered byte stream in
// pieces of varying length, the main loop consumes it, and every byte must
// arrive once and in order, however the interrupt splits a push or a pop.
// The queue's chunk pool is small, so pushes also fail for want of chunks;
// the handler then retries the same piece on its next tick.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>

#include "../model/model_support.hpp"
#include "rtalloc/pools/byte_buffer.hpp"

namespace rtalloc::test {

class QueueFromInterrupt {
 public:
  static constexpr std::size_t chunk_bytes = 16;
  using Pool = ByteChunkPool<chunk_bytes>;
  using Queue = ByteQueue<chunk_bytes>;

  QueueFromInterrupt(Queue& queue, std::uint32_t total) noexcept : queue_(queue), total_(total) {}

  /// The producer, from the interrupt handler: pushes the next piece, or
  /// nothing if the pool has no chunks for it now.
  void produce() noexcept {
    const std::uint32_t tick = ticks_.load(std::memory_order_relaxed) + 1;
    ticks_.store(tick, std::memory_order_relaxed);
    if (produced_ >= total_) return;
    std::byte piece[3 * chunk_bytes];
    std::size_t length = 1 + (produced_ * 7 + tick) % sizeof piece;
    if (length > total_ - produced_) length = total_ - produced_;
    for (std::size_t i = 0; i < length; ++i) piece[i] = stream_byte(produced_ + i);
    if (queue_.push(std::span<const std::byte>(piece, length)) == PoolError::none) {
      produced_ += static_cast<std::uint32_t>(length);
    } else {
      ++refused_;
    }
  }

  /// The consumer, from the main loop: pops until the whole stream has
  /// arrived, checking each byte and pausing now and then. `spin_limit`
  /// bounds the wait for a byte.
  ModelResult consume(std::uint32_t spin_limit) noexcept {
    std::byte out[chunk_bytes + 5];
    std::uint32_t idle = 0;
    while (consumed_ < total_) {
      const std::size_t n = queue_.pop(std::span<std::byte>(out, 1 + consumed_ % sizeof out));
      if (n == 0) {
        if (++idle > spin_limit) return {false, "failed: the stream stopped", consumed_};
        continue;
      }
      idle = 0;
      for (std::size_t i = 0; i < n; ++i) {
        if (out[i] != stream_byte(consumed_ + i))
          return {false, "failed: byte out of order", consumed_};
      }
      consumed_ += static_cast<std::uint32_t>(n);
      if (consumed_ % 4096 < n) pause();  // now and then, let the producer fill the pool
    }
    if (!queue_.empty()) return {false, "failed: bytes beyond the stream", consumed_};
    return {};
  }

  std::uint32_t refused() const noexcept { return refused_; }

 private:
  // Waits for 20 ticks of the producer: enough pushes to run the pool dry.
  void pause() const noexcept {
    const std::uint32_t start = ticks_.load(std::memory_order_relaxed);
    while (ticks_.load(std::memory_order_relaxed) - start < 20) {
    }
  }

  static std::byte stream_byte(std::uint32_t position) noexcept {
    return static_cast<std::byte>((position * 131U + (position >> 8)) & 0xFFU);
  }

  Queue& queue_;
  const std::uint32_t total_;
  std::uint32_t produced_ = 0;           // the handler only
  std::atomic<std::uint32_t> ticks_{0};  // the handler counts, the main loop reads
  std::uint32_t refused_ = 0;
  std::uint32_t consumed_ = 0;  // main loop only
};

}  // namespace rtalloc::test
