// SPDX-License-Identifier: MIT OR Apache-2.0
// walk_pool, check_pool and block_usable_size: the per-pool and per-block
// functions that need no heap object (for interfaces that name only a pool
// or a pointer).

#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <rtalloc/tlsf.hpp>
#include <vector>

#include "tlsf_test_support.hpp"

namespace {

using Heap = rtalloc::Tlsf<>;

struct StaticPoolFunctionsTest : rtalloc::test::ErrorRecordingTest {
  alignas(64) std::byte first_pool[8192];
  alignas(64) std::byte second_pool[4096];
  Heap heap;
};

TEST_F(StaticPoolFunctionsTest, WalkPoolVisitsOnlyThatPool) {
  ASSERT_NE(heap.add_pool(first_pool, sizeof first_pool), 0U);
  ASSERT_NE(heap.add_pool(second_pool, sizeof second_pool), 0U);
  std::vector<void*> blocks;
  for (int i = 0; i < 6; ++i) blocks.push_back(heap.allocate(100));

  std::size_t first_bytes = 0, second_bytes = 0, heap_bytes = 0;
  Heap::walk_pool(first_pool, [&](const rtalloc::BlockInfo& b) { first_bytes += b.block_size; });
  Heap::walk_pool(second_pool, [&](const rtalloc::BlockInfo& b) { second_bytes += b.block_size; });
  heap.walk([&](const rtalloc::BlockInfo& b) { heap_bytes += b.block_size; });
  EXPECT_EQ(first_bytes + second_bytes, heap_bytes);
  EXPECT_EQ(heap_bytes, heap.stats().capacity);
  EXPECT_GT(first_bytes, second_bytes);  // the larger pool

  std::size_t blocks_in_second = 0;
  Heap::walk_pool(second_pool, [&](const rtalloc::BlockInfo& b) {
    const auto* p = static_cast<const std::byte*>(b.address);
    EXPECT_TRUE(p > second_pool && p < second_pool + sizeof second_pool);
    ++blocks_in_second;
  });
  ASSERT_GE(blocks_in_second, 2U);
  std::size_t visited = 0;
  Heap::walk_pool(second_pool, [&](const rtalloc::BlockInfo&) {
    return ++visited < 2;  // returning false stops the walk
  });
  EXPECT_EQ(visited, 2U);
}

TEST_F(StaticPoolFunctionsTest, CheckPoolFindsDamageInThatPoolOnly) {
  ASSERT_NE(heap.add_pool(first_pool, sizeof first_pool), 0U);
  ASSERT_NE(heap.add_pool(second_pool, sizeof second_pool), 0U);
  void* p = heap.allocate(200);
  void* q = heap.allocate(200);
  ASSERT_TRUE(p && q);
  EXPECT_TRUE(Heap::check_pool(first_pool));
  EXPECT_TRUE(Heap::check_pool(second_pool));

  // Damage the header of whichever block lives in one pool: its size now
  // runs past the pool's end.
  auto* header = reinterpret_cast<std::size_t*>(static_cast<std::byte*>(p) - Heap::header_size);
  const std::size_t saved = *header;
  *header =
      (std::size_t{1} << (sizeof(std::size_t) >= 8 ? 40 : 28)) | (saved & (Heap::granularity - 1));
  const bool in_first = static_cast<std::byte*>(p) > first_pool &&
                        static_cast<std::byte*>(p) < first_pool + sizeof first_pool;
  EXPECT_FALSE(Heap::check_pool(in_first ? static_cast<void*>(first_pool) : second_pool));
  EXPECT_TRUE(Heap::check_pool(in_first ? static_cast<void*>(second_pool) : first_pool));
  EXPECT_TRUE(took_report(rtalloc::ErrorCode::heap_corrupted));
  *header = saved;
  EXPECT_TRUE(heap.check());
}

TEST_F(StaticPoolFunctionsTest, BlockUsableSizeMatchesTheHeap) {
  ASSERT_NE(heap.add_pool(first_pool, sizeof first_pool), 0U);
  for (const std::size_t size : {0UL, 1UL, 24UL, 25UL, 100UL, 1000UL}) {
    void* p = heap.allocate(size);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(Heap::block_usable_size(p), heap.usable_size(p));
    EXPECT_GE(Heap::block_usable_size(p), size);
    heap.deallocate(p);
  }
  void* aligned = heap.allocate(100, 256);
  ASSERT_NE(aligned, nullptr);
  EXPECT_EQ(Heap::block_usable_size(aligned), heap.usable_size(aligned));
  EXPECT_EQ(Heap::block_usable_size(nullptr), 0U);
}

}  // namespace
