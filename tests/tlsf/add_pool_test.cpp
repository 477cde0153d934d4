// SPDX-License-Identifier: MIT OR Apache-2.0
// add_pool: what it accepts, what it refuses, and what the heap looks like after.
#include "tlsf_test_support.hpp"

namespace rtalloc::test {
namespace {

template <class Heap>
class AddPoolTest : public HeapTest<Heap> {};
TYPED_TEST_SUITE(AddPoolTest, HeapConfigurations);

// Every block walk() reports lies inside [start, start + bytes), headers included.
template <class Heap>
::testing::AssertionResult blocks_inside(const Heap& heap, const std::byte* start,
                                         std::size_t bytes) {
  for (const BlockInfo& block : summarize(heap).blocks) {
    const auto* first = static_cast<const std::byte*>(block.address) - Heap::header_size;
    const auto* last = first + block.block_size;
    if (first < start || last > start + bytes) {
      return ::testing::AssertionFailure()
             << "block at " << block.address << " of " << block.size << " bytes leaves the pool ["
             << static_cast<const void*>(start) << ", +" << bytes << ")";
    }
  }
  return ::testing::AssertionSuccess();
}

TYPED_TEST(AddPoolTest, FreshHeapIsEmpty) {
  const TlsfStats stats = this->heap->stats();
  EXPECT_EQ(stats.pool_count, 0U);
  EXPECT_EQ(stats.capacity, 0U);
  EXPECT_EQ(stats.used, 0U);
  EXPECT_EQ(stats.free, 0U);
  EXPECT_EQ(stats.largest_free, 0U);
  EXPECT_EQ(stats.used_blocks, 0U);
  EXPECT_EQ(stats.free_blocks, 0U);
  EXPECT_EQ(stats.failed_allocations, 0U);
  EXPECT_TRUE(this->healthy());
  EXPECT_EQ(summarize(*this->heap).blocks.size(), 0U);
}

TYPED_TEST(AddPoolTest, AllocateFromEmptyHeapFails) {
  EXPECT_EQ(this->heap->allocate(1), nullptr);
  EXPECT_EQ(this->heap->stats().failed_allocations, counted(1));
  EXPECT_TRUE(this->healthy());
}

TYPED_TEST(AddPoolTest, ReturnsCapacityAddedAsOneFreeBlock) {
  using Heap = TypeParam;
  std::size_t added = 0;
  const std::byte* start = this->add_pool(this->pool_bytes, 0, &added);
  ASSERT_GT(added, 0U);
  EXPECT_LE(added, this->pool_bytes);
  // Only a pool's bookkeeping and rounding may be lost, never a whole block's worth more.
  EXPECT_GE(added + 4 * Heap::min_block_size, this->pool_bytes);

  const TlsfStats stats = this->heap->stats();
  EXPECT_EQ(stats.pool_count, 1U);
  EXPECT_EQ(stats.capacity, added);
  EXPECT_EQ(stats.used, 0U);
  EXPECT_EQ(stats.free, added);
  EXPECT_EQ(stats.free_blocks, 1U);
  EXPECT_EQ(stats.used_blocks, 0U);
  EXPECT_EQ(stats.largest_free + Heap::header_size, added);

  const WalkSummary walk = summarize(*this->heap);
  ASSERT_EQ(walk.blocks.size(), 1U);
  EXPECT_FALSE(walk.blocks[0].used);
  EXPECT_EQ(walk.total_bytes, added);
  EXPECT_TRUE(blocks_inside(*this->heap, start, this->pool_bytes));
  EXPECT_TRUE(this->healthy());
}

TYPED_TEST(AddPoolTest, AcceptsEveryMisalignedStart) {
  using Heap = TypeParam;
  for (std::size_t offset = 0; offset < 2 * Heap::alignment; ++offset) {
    SCOPED_TRACE(::testing::Message() << "start misaligned by " << offset);
    this->heap = std::make_unique<Heap>();
    std::size_t added = 0;
    const std::byte* start = this->add_pool(this->pool_bytes, offset, &added);
    ASSERT_GT(added, 0U);
    EXPECT_LE(added + (Heap::alignment - offset % Heap::alignment) % Heap::alignment,
              this->pool_bytes);
    EXPECT_EQ(this->heap->stats().capacity, added);
    EXPECT_EQ(summarize(*this->heap).total_bytes, added);
    EXPECT_TRUE(blocks_inside(*this->heap, start, this->pool_bytes));

    void* p = this->heap->allocate(1);
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(is_aligned(p, Heap::alignment));
    EXPECT_TRUE(this->heap->owns(p));
    void* q = this->heap->allocate(100, 64);
    ASSERT_NE(q, nullptr);
    EXPECT_TRUE(is_aligned(q, 64));
    EXPECT_TRUE(blocks_inside(*this->heap, start, this->pool_bytes));
    EXPECT_TRUE(this->healthy());
    this->heap->deallocate(p);
    this->heap->deallocate(q);
    EXPECT_EQ(this->heap->stats().free_blocks, 1U);
    EXPECT_TRUE(this->healthy());
  }
}

TYPED_TEST(AddPoolTest, RefusesPoolsBelowMinimum) {
  using Heap = TypeParam;
  for (std::size_t bytes = 0; bytes < Heap::min_pool_size; ++bytes) {
    SCOPED_TRACE(::testing::Message() << "pool of " << bytes << " bytes");
    std::size_t added = 1;
    this->add_pool(bytes, 0, &added);
    EXPECT_EQ(added, 0U);
    EXPECT_TRUE(this->took_report(ErrorCode::invalid_pool));
  }
  const TlsfStats stats = this->heap->stats();
  EXPECT_EQ(stats.pool_count, 0U);
  EXPECT_EQ(stats.capacity, 0U);
  EXPECT_TRUE(this->healthy());
}

TYPED_TEST(AddPoolTest, RefusesNullMemory) {
  using Heap = TypeParam;
  EXPECT_EQ(this->heap->add_pool(nullptr, Heap::min_pool_size), 0U);
  EXPECT_TRUE(this->took_report(ErrorCode::invalid_pool));
  EXPECT_EQ(this->heap->add_pool(nullptr, 4096), 0U);
  EXPECT_TRUE(this->took_report(ErrorCode::invalid_pool));
  EXPECT_EQ(this->heap->stats().pool_count, 0U);
  EXPECT_TRUE(this->healthy());
}

TYPED_TEST(AddPoolTest, SmallestAcceptedPoolServesSmallestAllocation) {
  using Heap = TypeParam;
  std::size_t added = 0;
  this->add_pool(Heap::min_pool_size, 0, &added);
  ASSERT_GT(added, 0U);
  EXPECT_TRUE(this->healthy());

  void* p = this->heap->allocate(1);
  ASSERT_NE(p, nullptr);
  EXPECT_GE(this->heap->usable_size(p), 1U);
  EXPECT_TRUE(this->healthy());
  this->heap->deallocate(p);

  void* zero = this->heap->allocate(0);
  ASSERT_NE(zero, nullptr);
  this->heap->deallocate(zero);
  EXPECT_TRUE(this->healthy());
}

// Around the minimum and at any misalignment: min_pool_size bytes are enough
// however the memory is aligned, and whatever is accepted works.
TYPED_TEST(AddPoolTest, AnyAcceptedPoolWorks) {
  using Heap = TypeParam;
  for (std::size_t offset = 0; offset < Heap::alignment; ++offset) {
    for (std::size_t bytes = Heap::min_pool_size - std::min(Heap::min_pool_size, Heap::alignment);
         bytes <= Heap::min_pool_size + 2 * Heap::alignment; ++bytes) {
      SCOPED_TRACE(::testing::Message()
                   << "pool of " << bytes << " bytes misaligned by " << offset);
      this->heap = std::make_unique<Heap>();
      std::size_t added = 0;
      const std::byte* start = this->add_pool(bytes, offset, &added);
      if (bytes >= Heap::min_pool_size) {
        EXPECT_GT(added, 0U);
      } else {
        EXPECT_EQ(added, 0U);
        EXPECT_TRUE(this->took_report(ErrorCode::invalid_pool));
      }
      if (added == 0) {
        EXPECT_EQ(this->heap->stats().pool_count, 0U);
        continue;
      }
      EXPECT_TRUE(blocks_inside(*this->heap, start, bytes));
      void* p = this->heap->allocate(1);
      ASSERT_NE(p, nullptr);
      fill_pattern(p, this->heap->usable_size(p), 1);
      EXPECT_TRUE(this->healthy());
      this->heap->deallocate(p);
      EXPECT_TRUE(this->healthy());
    }
  }
}

TYPED_TEST(AddPoolTest, PoolEndIsWhereTheMemoryEnds) {
  for (std::size_t offset : {std::size_t{0}, std::size_t{1}, std::size_t{9}}) {
    for (std::size_t bytes : {std::size_t{1000}, std::size_t{4096}, std::size_t{4101}}) {
      std::byte* start = this->add_accepted_pool(bytes, offset);
      EXPECT_EQ(this->heap->pool_end(start), start + bytes)
          << bytes << " bytes at offset " << offset;
    }
  }
}

// Memory beyond what the largest block holds is left unused, and the one
// block the pool becomes can serve the largest request there is.
TYPED_TEST(AddPoolTest, LargePoolIsUsedUpToLargestBlock) {
  using Heap = TypeParam;
  if constexpr (Heap::max_block_size > (std::size_t{64} << 20)) {
    GTEST_SKIP() << "largest block is " << Heap::max_block_size << " bytes, too much to back here";
  } else {
    for (std::size_t offset : {std::size_t{0}, std::size_t{5}}) {
      SCOPED_TRACE(::testing::Message() << "misaligned by " << offset);
      this->heap = std::make_unique<Heap>();
      const std::size_t bytes = Heap::max_block_size + 64 * 1024;
      std::size_t added = 0;
      std::byte* start = this->add_pool(bytes, offset, &added);
      EXPECT_EQ(added, Heap::max_block_size);
      EXPECT_LE(this->heap->pool_end(start), start + bytes);
      EXPECT_GE(this->heap->pool_end(start), start + Heap::max_block_size);
      EXPECT_TRUE(blocks_inside(*this->heap, start, bytes));
      EXPECT_EQ(this->heap->stats().largest_free + Heap::header_size, Heap::max_block_size);
      void* p = this->heap->allocate(Heap::max_allocation);
      ASSERT_NE(p, nullptr);
      EXPECT_EQ(this->heap->allocate(Heap::max_allocation + 1), nullptr);
      this->heap->deallocate(p);
      EXPECT_TRUE(this->healthy());
    }
    // A pool of exactly the largest block plus what a pool costs loses nothing.
    this->heap = std::make_unique<Heap>();
    std::size_t added = 0;
    this->add_pool(Heap::max_block_size + Heap::pool_overhead + Heap::granularity, 0, &added);
    EXPECT_EQ(added, Heap::max_block_size);
  }
}

TYPED_TEST(AddPoolTest, ConstructorAddsPool) {
  using Heap = TypeParam;
  PoolMemory memory(8192);
  Heap with_pool(memory.data(), memory.size());
  EXPECT_EQ(with_pool.stats().pool_count, 1U);
  EXPECT_GT(with_pool.stats().capacity, 8000U);
  void* p = with_pool.allocate(100);
  EXPECT_TRUE(memory.contains(p));
  with_pool.deallocate(p);
  EXPECT_TRUE(with_pool.check());
}

TYPED_TEST(AddPoolTest, SeveralPoolsAddUp) {
  std::size_t total = 0;
  std::vector<const std::byte*> starts;
  for (std::size_t bytes : {std::size_t{4096}, std::size_t{8192}, std::size_t{5000}}) {
    std::size_t added = 0;
    starts.push_back(this->add_pool(bytes, 0, &added));
    ASSERT_GT(added, 0U);
    total += added;
  }
  TlsfStats stats = this->heap->stats();
  EXPECT_EQ(stats.pool_count, 3U);
  EXPECT_EQ(stats.capacity, total);
  EXPECT_EQ(stats.free_blocks, 3U);
  EXPECT_EQ(summarize(*this->heap).total_bytes, total);

  // Exhaust the heap with small blocks: every pool ends up serving some.
  std::vector<void*> blocks;
  std::array<std::size_t, 3> per_pool{};
  while (void* p = this->heap->allocate(48)) {
    blocks.push_back(p);
    for (std::size_t i = 0; i < starts.size(); ++i) {
      const std::size_t bytes = i == 0 ? 4096 : i == 1 ? 8192 : 5000;
      if (p >= starts[i] && p < starts[i] + bytes) {
        ++per_pool[i];
      }
    }
  }
  EXPECT_EQ(per_pool[0] + per_pool[1] + per_pool[2], blocks.size());
  for (std::size_t count : per_pool) {
    EXPECT_GT(count, 0U);
  }
  EXPECT_TRUE(this->healthy());
  for (void* p : blocks) {
    this->heap->deallocate(p);
  }
  stats = this->heap->stats();
  EXPECT_EQ(stats.used, 0U);
  EXPECT_EQ(stats.free_blocks, 3U);
  EXPECT_TRUE(this->healthy());
}

// A pool never merges with a neighbouring pool, even when their memory touches.
TYPED_TEST(AddPoolTest, AdjacentPoolsStayApart) {
  PoolMemory memory(8192);
  std::size_t first = this->heap->add_pool(memory.data(), 4096);
  std::size_t second = this->heap->add_pool(memory.data() + 4096, 4096);
  ASSERT_GT(first, 0U);
  ASSERT_GT(second, 0U);
  const TlsfStats stats = this->heap->stats();
  EXPECT_EQ(stats.pool_count, 2U);
  EXPECT_EQ(stats.free_blocks, 2U);
  EXPECT_LT(stats.largest_free, 4096U);
  EXPECT_TRUE(this->healthy());
}

}  // namespace
}  // namespace rtalloc::test
