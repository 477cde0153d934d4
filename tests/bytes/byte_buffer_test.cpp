// SPDX-License-Identifier: MIT OR Apache-2.0
// ByteBuffer, ByteDeque and ByteQueue: contents against simple models,
// chunks going back to the pool, all-or-nothing pushes when the pool runs
// dry, and a producer thread feeding a consumer through a ByteQueue.

#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <rtalloc/pools/byte_buffer.hpp>
#include <thread>
#include <vector>

namespace {

using rtalloc::PoolError;
constexpr std::size_t chunk_bytes = 16;
using Pool = rtalloc::ByteChunkPool<chunk_bytes>;

std::vector<std::byte> bytes_from(std::uint32_t seed, std::size_t n) {
  std::vector<std::byte> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::byte>((seed + i * 7) & 0xff);
  return out;
}

struct PoolMemory {
  explicit PoolMemory(std::size_t chunks)
      : bytes(Pool::control_bytes + chunks * (Pool::slot_size + 4) + 64),
        memory(std::make_unique<std::byte[]>(bytes)),
        pool(memory.get(), bytes) {}
  std::size_t bytes;
  std::unique_ptr<std::byte[]> memory;
  Pool pool;
};

TEST(ByteBuffer, AppendCopyOutWriteAndIterate) {
  PoolMemory m(64);
  const std::size_t all = m.pool.capacity();
  rtalloc::ByteBuffer<chunk_bytes> buffer(m.pool);
  std::vector<std::byte> model;
  for (std::size_t n : {0U, 5U, 11U, 16U, 1U, 40U}) {
    const auto piece = bytes_from(static_cast<std::uint32_t>(n), n);
    ASSERT_EQ(buffer.append(piece), PoolError::none);
    model.insert(model.end(), piece.begin(), piece.end());
  }
  EXPECT_EQ(buffer.size(), model.size());
  EXPECT_EQ(buffer.capacity(), (model.size() + chunk_bytes - 1) / chunk_bytes * chunk_bytes);
  EXPECT_EQ(m.pool.available(), all - buffer.capacity() / chunk_bytes);
  for (std::size_t offset = 0; offset <= model.size() + 2; ++offset) {
    std::vector<std::byte> out(7);
    const std::size_t n = buffer.copy_out(offset, out);
    ASSERT_EQ(n, offset >= model.size() ? 0 : std::min<std::size_t>(7, model.size() - offset));
    for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(out[i], model[offset + i]) << offset;
  }
  const auto patch = bytes_from(99, 20);
  EXPECT_EQ(buffer.write(10, patch), 20U);
  std::copy(patch.begin(), patch.end(), model.begin() + 10);
  EXPECT_EQ(buffer.write(model.size() - 3, patch), 3U);  // clipped at the end
  std::copy(patch.begin(), patch.begin() + 3, model.end() - 3);
  std::vector<std::byte> joined;
  buffer.for_each_chunk([&](std::span<const std::byte> chunk) {
    EXPECT_LE(chunk.size(), chunk_bytes);
    joined.insert(joined.end(), chunk.begin(), chunk.end());
  });
  EXPECT_EQ(joined, model);
  buffer.clear();
  EXPECT_EQ(buffer.size(), 0U);
  EXPECT_EQ(m.pool.available(), all);
}

TEST(ByteBuffer, FailedAppendChangesNothing) {
  PoolMemory m(4);
  rtalloc::ByteBuffer<chunk_bytes> buffer(m.pool);
  const std::size_t chunks = m.pool.capacity();
  const auto first = bytes_from(1, 20);
  ASSERT_EQ(buffer.append(first), PoolError::none);
  const std::size_t available = m.pool.available();
  const auto too_much = bytes_from(2, chunks * chunk_bytes);
  EXPECT_EQ(buffer.append(too_much), PoolError::exhausted);
  EXPECT_EQ(buffer.size(), first.size());
  EXPECT_EQ(m.pool.available(), available);  // the chunks it took went back
  std::vector<std::byte> out(first.size());
  EXPECT_EQ(buffer.copy_out(0, out), first.size());
  EXPECT_EQ(out, first);
}

TEST(ByteDeque, RandomPushPopMatchesModel) {
  PoolMemory m(32);
  const std::size_t all = m.pool.capacity();
  rtalloc::ByteDeque<chunk_bytes> deque(m.pool);
  std::deque<std::byte> model;
  std::mt19937 random(5);
  std::uint32_t seed = 0;
  for (int step = 0; step < 50000; ++step) {
    if (random() % 2 == 0) {
      const auto piece = bytes_from(++seed, random() % 50);
      const PoolError error = deque.push_back(piece);
      if (error == PoolError::none) {
        model.insert(model.end(), piece.begin(), piece.end());
      } else {
        ASSERT_EQ(error, PoolError::exhausted);
        ASSERT_GT(model.size() + piece.size(), (all - 1) * chunk_bytes);  // it really was full
      }
    } else if (random() % 4 == 0) {
      const auto popped = deque.pop_front();
      if (model.empty()) {
        ASSERT_EQ(popped.error, PoolError::empty);
      } else {
        ASSERT_TRUE(popped);
        ASSERT_EQ(popped.value, model.front());
        model.pop_front();
      }
    } else {
      std::vector<std::byte> out(random() % 60);
      const std::size_t n = deque.pop_front(out);
      ASSERT_EQ(n, std::min(out.size(), model.size()));
      for (std::size_t i = 0; i < n; ++i) {
        ASSERT_EQ(out[i], model.front());
        model.pop_front();
      }
    }
    ASSERT_EQ(deque.size(), model.size());
    // Chunks go back as they empty: at most one partly used chunk at each end.
    ASSERT_LE(deque.capacity(), (model.size() / chunk_bytes + 2) * chunk_bytes);
    ASSERT_EQ(m.pool.available(), all - deque.capacity() / chunk_bytes);
  }
  deque.clear();
  EXPECT_EQ(m.pool.available(), all);
}

TEST(ByteQueue, SingleThreadedFifo) {
  PoolMemory m(8);
  const std::size_t all = m.pool.capacity();
  {
    rtalloc::ByteQueue<chunk_bytes> queue(m.pool);
    ASSERT_TRUE(queue.valid());
    EXPECT_TRUE(queue.empty());
    std::byte out[64];
    EXPECT_EQ(queue.pop(out), 0U);
    const auto data = bytes_from(3, 50);
    ASSERT_EQ(queue.push(data), PoolError::none);
    EXPECT_EQ(queue.readable(), 50U);
    EXPECT_FALSE(queue.empty());
    EXPECT_EQ(queue.pop({out, 20}), 20U);
    EXPECT_EQ(queue.pop(out), 30U);
    EXPECT_TRUE(std::equal(data.begin() + 20, data.end(), out));
    EXPECT_TRUE(queue.empty());
    EXPECT_EQ(m.pool.available(), all - 1);  // the one chunk a queue always keeps
    // Exhaustion: all or nothing.
    const auto huge = bytes_from(4, all * chunk_bytes + 1);
    EXPECT_EQ(queue.push(huge), PoolError::exhausted);
    EXPECT_TRUE(queue.empty());
    EXPECT_EQ(m.pool.available(), all - 1);
  }
  EXPECT_EQ(m.pool.available(), all);
  std::byte one[1];
  Pool none;
  rtalloc::ByteQueue<chunk_bytes> invalid(none);
  EXPECT_FALSE(invalid.valid());
  EXPECT_EQ(invalid.push(std::byte{1}), PoolError::exhausted);
  EXPECT_EQ(invalid.pop(one), 0U);
}

// A producer thread pushes a counting byte sequence in random pieces,
// retrying when the pool is momentarily exhausted; the consumer pops in
// random pieces and checks that every byte arrives once, in order.
TEST(ByteQueueConcurrency, ProducerFeedsConsumerInOrder) {
  PoolMemory m(16);
  const std::size_t all = m.pool.capacity();
  {
    rtalloc::ByteQueue<chunk_bytes> queue(m.pool);
    ASSERT_TRUE(queue.valid());
    constexpr std::size_t total = 1 << 21;
    std::atomic<int> retries{0};
    std::thread producer([&] {
      std::mt19937 random(1);
      std::uint32_t next = 0;
      std::byte piece[40];
      for (std::size_t sent = 0; sent < total;) {
        const std::size_t n = std::min<std::size_t>(1 + random() % 40, total - sent);
        for (std::size_t i = 0; i < n; ++i) piece[i] = static_cast<std::byte>((next + i) & 0xff);
        while (queue.push({piece, n}) != PoolError::none) retries.fetch_add(1);
        next += static_cast<std::uint32_t>(n);
        sent += n;
      }
    });
    std::mt19937 random(2);
    std::uint32_t expected = 0;
    std::byte out[64];
    int errors = 0;
    for (std::size_t received = 0; received < total;) {
      const std::size_t n = queue.pop({out, 1 + random() % 64});
      for (std::size_t i = 0; i < n; ++i) {
        if (out[i] != static_cast<std::byte>(expected++ & 0xff)) ++errors;
      }
      received += n;
    }
    producer.join();
    EXPECT_EQ(errors, 0);
    EXPECT_TRUE(queue.empty());
  }
  EXPECT_EQ(m.pool.available(), all);
}

}  // namespace
