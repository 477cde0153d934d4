// SPDX-License-Identifier: MIT OR Apache-2.0
// rtalloc::HandlePool, alone and shared (Synchronized): stale handles never reach
// memory, a random sequence against a model, generation wrap (retired or
// reused), caller memory beyond 16-bit indices, and threads sharing handles.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <rtalloc/pools/handle_pool.hpp>
#include <rtalloc/sync/spin_lock.hpp>
#include <rtalloc/sync/synchronized.hpp>
#include <thread>
#include <vector>

namespace {

using rtalloc::PoolError;
using Pool = rtalloc::HandlePool<48, 16>;

TEST(HandlePool, AllocateGetFree) {
  Pool pool;
  EXPECT_EQ(pool.capacity(), 16U);
  EXPECT_EQ(pool.available(), 16U);
  auto a = pool.allocate(20);
  ASSERT_TRUE(a);
  EXPECT_EQ(a.data.size(), 20U);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(a.data.data()) % alignof(std::max_align_t), 0U);
  std::memset(a.data.data(), 0x5a, a.data.size());
  EXPECT_TRUE(pool.valid(a.handle));
  EXPECT_EQ(pool.get(a.handle).data(), a.data.data());
  EXPECT_EQ(pool.get(a.handle).size(), 20U);
  EXPECT_EQ(pool.get_mut(a.handle)[19], std::byte{0x5a});
  EXPECT_EQ(pool.available(), 15U);
  EXPECT_EQ(pool.free(a.handle), PoolError::none);
  EXPECT_EQ(pool.available(), 16U);
}

TEST(HandlePool, FreedHandleNeverReachesReusedMemory) {
  Pool pool;
  auto first = pool.allocate(8);
  ASSERT_TRUE(first);
  ASSERT_EQ(pool.free(first.handle), PoolError::none);
  EXPECT_FALSE(pool.valid(first.handle));
  EXPECT_EQ(pool.get(first.handle).data(), nullptr);
  EXPECT_EQ(pool.get_mut(first.handle).data(), nullptr);
  EXPECT_EQ(pool.free(first.handle), PoolError::stale_handle);  // double free
  // The slot is reused (LIFO): same memory, new handle, the old one still stale.
  auto second = pool.allocate(8);
  ASSERT_TRUE(second);
  EXPECT_EQ(second.data.data(), first.data.data());
  EXPECT_NE(second.handle, first.handle);
  EXPECT_FALSE(pool.valid(first.handle));
  EXPECT_EQ(pool.free(first.handle), PoolError::stale_handle);
  EXPECT_TRUE(pool.valid(second.handle));  // the stale free changed nothing
}

TEST(HandlePool, InvalidHandlesAndRequests) {
  Pool pool;
  EXPECT_FALSE(pool.valid(Pool::Handle{}));  // value 0
  EXPECT_FALSE(pool.valid(Pool::Handle{12345678}));
  EXPECT_EQ(pool.free(Pool::Handle{0xffffffffU}), PoolError::stale_handle);
  EXPECT_EQ(pool.allocate(49).error, PoolError::too_large);
  EXPECT_EQ(pool.available(), 16U);
  auto zero = pool.allocate(0);
  ASSERT_TRUE(zero);
  EXPECT_NE(pool.get(zero.handle).data(), nullptr);  // valid, zero bytes
  EXPECT_EQ(pool.get(zero.handle).size(), 0U);
}

TEST(HandlePool, ExhaustionAndRefill) {
  Pool pool;
  std::vector<Pool::Handle> handles;
  for (;;) {
    auto a = pool.allocate(48);
    if (!a) {
      EXPECT_EQ(a.error, PoolError::exhausted);
      EXPECT_EQ(a.handle, Pool::Handle{});
      break;
    }
    handles.push_back(a.handle);
  }
  EXPECT_EQ(handles.size(), 16U);
  for (auto h : handles) EXPECT_EQ(pool.free(h), PoolError::none);
  EXPECT_EQ(pool.available(), 16U);
  for (auto h : handles) EXPECT_FALSE(pool.valid(h));
}

TEST(HandlePool, RandomSequenceMatchesModel) {
  rtalloc::HandlePool<32, 64> pool;
  std::map<std::uint32_t, std::vector<std::byte>> live;  // handle value -> contents
  std::vector<rtalloc::HandlePool<32, 64>::Handle> stale;
  std::mt19937 random(11);
  for (int step = 0; step < 200000; ++step) {
    const unsigned choice = random() % 4;
    if (choice <= 1) {
      const std::size_t length = random() % 40;  // sometimes too large
      auto a = pool.allocate(length);
      if (length > 32) {
        ASSERT_EQ(a.error, PoolError::too_large);
      } else if (live.size() == 64) {
        ASSERT_EQ(a.error, PoolError::exhausted);
      } else {
        ASSERT_TRUE(a);
        std::vector<std::byte> contents(length);
        for (auto& b : contents) b = static_cast<std::byte>(random());
        if (length != 0) std::memcpy(a.data.data(), contents.data(), length);  // no null pointers
        ASSERT_TRUE(live.emplace(a.handle.value, contents).second);
      }
    } else if (choice == 2 && !live.empty()) {
      auto it = std::next(live.begin(), static_cast<std::ptrdiff_t>(random() % live.size()));
      const rtalloc::HandlePool<32, 64>::Handle h{it->first};
      const auto data = pool.get(h);
      ASSERT_EQ(data.size(), it->second.size());
      ASSERT_TRUE(std::equal(data.begin(), data.end(), it->second.begin()));
      ASSERT_EQ(pool.free(h), PoolError::none);
      stale.push_back(h);
      live.erase(it);
    } else if (!stale.empty()) {
      const auto h = stale[random() % stale.size()];
      ASSERT_FALSE(pool.valid(h));
      ASSERT_EQ(pool.free(h), PoolError::stale_handle);
    }
    ASSERT_EQ(pool.available(), 64U - live.size());
  }
}

TEST(HandlePool, SlotIsRetiredBeforeItsGenerationWraps) {
  // 3 generation bits: each slot can be allocated 4 times.
  using Tiny = rtalloc::HandlePool<8, 1, rtalloc::HandleLayout<4, 3>>;
  static_assert(Tiny::uses_per_slot == 4);
  Tiny pool;
  std::vector<Tiny::Handle> used;
  for (int i = 0; i < 4; ++i) {
    auto a = pool.allocate(8);
    ASSERT_TRUE(a) << i;
    used.push_back(a.handle);
    ASSERT_EQ(pool.free(a.handle), PoolError::none);
  }
  EXPECT_EQ(pool.capacity(), 0U);  // retired
  EXPECT_EQ(pool.allocate(8).error, PoolError::exhausted);
  for (auto h : used) EXPECT_FALSE(pool.valid(h));
}

TEST(HandlePool, WithoutRetirementTheGenerationWraps) {
  using Wrapping = rtalloc::HandlePool<8, 1, rtalloc::HandleLayout<4, 3>, false>;
  Wrapping pool;
  auto first = pool.allocate(8);
  ASSERT_TRUE(first);
  ASSERT_EQ(pool.free(first.handle), PoolError::none);
  for (int i = 0; i < 3; ++i) {
    auto a = pool.allocate(8);
    ASSERT_TRUE(a);
    EXPECT_FALSE(pool.valid(first.handle));
    ASSERT_EQ(pool.free(a.handle), PoolError::none);
  }
  auto again = pool.allocate(8);  // the fifth use: the generation has wrapped
  ASSERT_TRUE(again);
  EXPECT_EQ(again.handle, first.handle);  // the documented limit of wrapping
  EXPECT_EQ(pool.capacity(), 1U);
}

TEST(HandlePool, CallerMemoryHoldsMoreThan65535Blocks) {
  using Big = rtalloc::HandlePool<8, rtalloc::caller_memory, rtalloc::HandleLayout<24, 8>>;
  const std::size_t blocks = 70000;
  const std::size_t bytes = blocks * Big::slot_bytes + 64;
  auto memory = std::make_unique<std::byte[]>(bytes);
  Big pool(memory.get() + 3, bytes - 3);  // misaligned on purpose
  EXPECT_GE(pool.capacity(), blocks - 1);
  std::vector<Big::Handle> handles;
  while (auto a = pool.allocate(8)) {
    std::memcpy(a.data.data(), &a.handle.value, sizeof a.handle.value);
    handles.push_back(a.handle);
  }
  EXPECT_EQ(handles.size(), pool.capacity());
  for (auto h : handles) {
    std::uint32_t stored;
    std::memcpy(&stored, pool.get(h).data(), sizeof stored);
    ASSERT_EQ(stored, h.value);
  }
  Big empty(nullptr, 100);
  EXPECT_EQ(empty.capacity(), 0U);
  EXPECT_EQ(empty.allocate(1).error, PoolError::exhausted);
}

TEST(SynchronizedHandlePool, ThreadsShareHandlesSafely) {
  using Shared = rtalloc::Synchronized<rtalloc::HandlePool<16, 64>, rtalloc::SpinLock>;
  Shared pool;
  constexpr int slots = 32;
  std::atomic<std::uint32_t> published[slots] = {};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 random(static_cast<unsigned>(t) + 3);
      for (int op = 0; op < 50000; ++op) {
        std::atomic<std::uint32_t>& cell = published[random() % slots];
        const Shared::value_type::Handle seen{cell.load()};
        switch (random() % 3) {
          case 0: {  // publish a new block whose bytes all equal its handle's low byte
            auto a = pool.allocate(16);
            if (!a) break;
            std::memset(a.data.data(), static_cast<int>(a.handle.value & 0xff), 16);
            const Shared::value_type::Handle old{cell.exchange(a.handle.value)};
            if (old.value != 0 && pool.free(old) != PoolError::none) ++errors;
            break;
          }
          case 1:  // read through a handle that another thread may free
            pool.with_block(seen, [&](std::span<std::byte> data) {
              for (std::byte b : data) {
                if (b != static_cast<std::byte>(seen.value & 0xff)) ++errors;
              }
            });
            break;
          default: {  // unpublish a block; whoever takes it out of the cell frees it
            std::uint32_t expected = seen.value;
            if (expected != 0 && cell.compare_exchange_strong(expected, 0)) {
              if (pool.free(seen) != PoolError::none) ++errors;
            }
          }
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(errors.load(), 0);
  for (auto& cell : published) {
    if (cell.load() != 0) pool.free(Shared::value_type::Handle{cell.load()});
  }
  EXPECT_EQ(pool.available(), pool.capacity());
}

}  // namespace
