// SPDX-License-Identifier: MIT OR Apache-2.0
// extend_pool, remove_pool and reset: pools grow, leave, and start over.
#include "tlsf_test_support.hpp"

namespace rtalloc::test {
namespace {

template <class Heap>
class PoolLifecycleTest : public HeapTest<Heap> {};
TYPED_TEST_SUITE(PoolLifecycleTest, HeapConfigurations);

TYPED_TEST(PoolLifecycleTest, ExtendGrowsTheFreeTail) {
  using Heap = TypeParam;
  PoolMemory memory(16384);
  std::byte* pool = memory.data();
  const std::size_t added = this->heap->add_pool(pool, 4096);
  ASSERT_GT(added, 0U);
  ASSERT_EQ(this->heap->pool_end(pool), pool + 4096);
  const std::size_t extended = this->heap->extend_pool(pool, pool + 4096, 8192);
  EXPECT_EQ(extended, 8192U);
  EXPECT_EQ(this->heap->pool_end(pool), pool + 4096 + 8192);
  TlsfStats stats = this->heap->stats();
  EXPECT_EQ(stats.pool_count, 1U);
  EXPECT_EQ(stats.capacity, added + extended);
  EXPECT_EQ(stats.free_blocks, 1U);  // the new memory merged with the free tail
  EXPECT_EQ(stats.largest_free + Heap::header_size, stats.capacity);
  EXPECT_EQ(summarize(*this->heap).total_bytes, stats.capacity);
  EXPECT_TRUE(this->healthy());

  // A block larger than the original pool now fits.
  void* p = this->heap->allocate(6000);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(memory.contains(p));
  this->heap->deallocate(p);

  EXPECT_EQ(this->heap->extend_pool(pool, this->heap->pool_end(pool), 4096), 4096U);
  stats = this->heap->stats();
  EXPECT_EQ(stats.capacity, added + extended + 4096);
  EXPECT_EQ(stats.free_blocks, 1U);
  EXPECT_TRUE(this->healthy());
}

TYPED_TEST(PoolLifecycleTest, ExtendBehindUsedTailAddsFreeBlock) {
  PoolMemory memory(16384);
  std::byte* pool = memory.data();
  ASSERT_GT(this->heap->add_pool(pool, 4096), 0U);
  void* whole = this->heap->allocate(this->heap->stats().largest_free);
  ASSERT_NE(whole, nullptr);
  EXPECT_EQ(this->heap->stats().free_blocks, 0U);
  const std::size_t extended = this->heap->extend_pool(pool, pool + 4096, 4096);
  EXPECT_EQ(extended, 4096U);
  EXPECT_EQ(this->heap->stats().free_blocks, 1U);
  EXPECT_TRUE(this->healthy());
  void* more = this->heap->allocate(2000);
  ASSERT_NE(more, nullptr);
  EXPECT_TRUE(memory.contains(more));
  fill_pattern(whole, this->heap->usable_size(whole), 1);
  fill_pattern(more, this->heap->usable_size(more), 2);
  EXPECT_TRUE(pattern_intact(whole, this->heap->usable_size(whole), 1));
  EXPECT_TRUE(this->healthy());
  this->heap->deallocate(whole);
  this->heap->deallocate(more);
  EXPECT_EQ(this->heap->stats().free_blocks, 1U);
  EXPECT_TRUE(this->healthy());
}

// Behind a used last block, new memory must hold a whole block; less is
// refused and leaves the pool as it was.
TYPED_TEST(PoolLifecycleTest, ExtendBehindUsedTailRefusesTooLittle) {
  using Heap = TypeParam;
  PoolMemory memory(16384);
  std::byte* pool = memory.data();
  ASSERT_GT(this->heap->add_pool(pool, 4096), 0U);
  void* whole = this->heap->allocate(this->heap->stats().largest_free);
  ASSERT_NE(whole, nullptr);
  EXPECT_EQ(this->heap->extend_pool(pool, pool + 4096, Heap::min_block_size - 1), 0U);
  EXPECT_TRUE(this->took_report(ErrorCode::invalid_pool));
  EXPECT_EQ(this->heap->pool_end(pool), pool + 4096);
  EXPECT_EQ(this->heap->extend_pool(pool, pool + 4096, Heap::min_block_size), Heap::min_block_size);
  EXPECT_EQ(this->heap->stats().free_blocks, 1U);
  EXPECT_TRUE(this->healthy());
  this->heap->deallocate(whole);
  EXPECT_EQ(this->heap->stats().free_blocks, 1U);
  EXPECT_TRUE(this->healthy());
}

// After a free last block, any number of bytes is accepted; capacity grows
// by whole granules as they complete.
TYPED_TEST(PoolLifecycleTest, ExtendByTinyAmounts) {
  using Heap = TypeParam;
  PoolMemory memory(16384);
  std::byte* pool = memory.data();
  const std::size_t added = this->heap->add_pool(pool, 4096);
  ASSERT_GT(added, 0U);
  std::size_t capacity = added;
  std::size_t given = 4096;
  for (std::size_t step : {std::size_t{1}, std::size_t{7}, Heap::granularity - 1, Heap::granularity,
                           std::size_t{3}, Heap::min_block_size, std::size_t{100}}) {
    SCOPED_TRACE(::testing::Message() << "extend by " << step << " after " << given);
    const std::size_t extended = this->heap->extend_pool(pool, pool + given, step);
    given += step;
    capacity += extended;
    EXPECT_EQ(this->heap->pool_end(pool), pool + given);
    EXPECT_EQ(extended % Heap::granularity, 0U);
    EXPECT_LE(extended, step + Heap::granularity);
    EXPECT_EQ(this->heap->stats().capacity, capacity);
    EXPECT_EQ(this->heap->stats().free_blocks, 1U);
    EXPECT_EQ(summarize(*this->heap).total_bytes, capacity);
    ASSERT_TRUE(this->healthy());
  }
  // Nothing is lost along the way: the pool is as if added at its full size.
  PoolMemory same(given);
  auto reference = std::make_unique<Heap>();
  EXPECT_EQ(reference->add_pool(same.data(), given), capacity);
}

TYPED_TEST(PoolLifecycleTest, ExtendWithMemoryNotAtPoolEndIsRefused) {
  PoolMemory memory(16384);
  std::byte* pool = memory.data();
  ASSERT_GT(this->heap->add_pool(pool, 4096), 0U);
  for (std::byte* wrong : {pool + 4096 + 16, pool + 4000, pool}) {
    EXPECT_EQ(this->heap->extend_pool(pool, wrong, 4096), 0U);
    EXPECT_TRUE(this->took_report(ErrorCode::invalid_pool));
  }
  EXPECT_EQ(this->heap->pool_end(pool), pool + 4096);
  EXPECT_TRUE(this->healthy());
}

// A pool never grows past what one block can hold.
TYPED_TEST(PoolLifecycleTest, ExtendBeyondLargestBlockIsRefused) {
  using Heap = TypeParam;
  if constexpr (Heap::max_block_size > (std::size_t{64} << 20)) {
    GTEST_SKIP() << "largest block is " << Heap::max_block_size << " bytes, too much to back here";
  } else {
    PoolMemory memory(Heap::max_block_size + 8192);
    std::byte* pool = memory.data();
    ASSERT_GT(this->heap->add_pool(pool, 4096), 0U);
    const std::size_t room = Heap::max_block_size - this->heap->stats().capacity;
    EXPECT_EQ(this->heap->extend_pool(pool, pool + 4096, room + Heap::granularity), 0U);
    EXPECT_TRUE(this->took_report(ErrorCode::invalid_pool));
    EXPECT_EQ(this->heap->extend_pool(pool, pool + 4096, room), room);
    EXPECT_EQ(this->heap->stats().largest_free + Heap::header_size, Heap::max_block_size);
    EXPECT_TRUE(this->healthy());
  }
}

// The same when the pool's last block is used: the pool as a whole must
// still fit one block, or freeing everything in it (or reset) would make a
// free block no size class holds.
TYPED_TEST(PoolLifecycleTest, ExtendBehindUsedBlockNeverExceedsLargestBlock) {
  using Heap = TypeParam;
  if constexpr (Heap::max_block_size > (std::size_t{64} << 20)) {
    GTEST_SKIP() << "largest block is " << Heap::max_block_size << " bytes, too much to back here";
  } else {
    PoolMemory memory(Heap::max_block_size + 8192);
    std::byte* pool = memory.data();
    ASSERT_GT(this->heap->add_pool(pool, 4096), 0U);
    void* whole = this->heap->allocate(this->heap->stats().largest_free);
    ASSERT_NE(whole, nullptr);
    const std::size_t room = Heap::max_block_size - this->heap->stats().capacity;
    // Small enough to form a block of its own, too large for the pool to stay one.
    const std::size_t extended = this->heap->extend_pool(pool, pool + 4096, room + 1024);
    this->take_reports();
    ASSERT_LE(this->heap->stats().capacity, Heap::max_block_size)
        << "extend_pool added " << extended
        << " bytes behind a used block; the pool no longer fits one block";
    this->heap->deallocate(whole);
    EXPECT_TRUE(this->healthy());
    this->heap->reset();
    EXPECT_TRUE(this->healthy());
  }
}

TYPED_TEST(PoolLifecycleTest, ExtendUnknownPoolIsReportedInCheckedBuilds) {
  if constexpr (!checks_enabled) {
    GTEST_SKIP() << "without checks, extending a pool the heap does not have is undefined";
  } else {
    this->add_accepted_pool();
    PoolMemory other(8192);
    EXPECT_EQ(this->heap->extend_pool(other.data(), other.data() + 4096, 4096), 0U);
    EXPECT_TRUE(this->took_report(ErrorCode::invalid_pool));
    EXPECT_TRUE(this->healthy());
  }
}

TYPED_TEST(PoolLifecycleTest, RemoveFreePool) {
  std::byte* first = this->add_accepted_pool();
  std::size_t second_capacity = 0;
  std::byte* second = this->add_pool(8192, 0, &second_capacity);
  ASSERT_GT(second_capacity, 0U);
  const std::size_t capacity = this->heap->stats().capacity;

  EXPECT_TRUE(this->heap->remove_pool(second));
  TlsfStats stats = this->heap->stats();
  EXPECT_EQ(stats.pool_count, 1U);
  EXPECT_EQ(stats.capacity, capacity - second_capacity);
  EXPECT_EQ(stats.free_blocks, 1U);
  EXPECT_FALSE(this->heap->owns(second));
  EXPECT_TRUE(this->heap->owns(first + 64));
  EXPECT_TRUE(this->healthy());

  // Nothing is served from the removed pool any more.
  std::vector<void*> blocks;
  while (void* p = this->heap->allocate(64)) {
    EXPECT_FALSE(p >= second && p < second + 8192);
    blocks.push_back(p);
  }
  for (void* p : blocks) {
    this->heap->deallocate(p);
  }
  EXPECT_TRUE(this->heap->remove_pool(first));
  stats = this->heap->stats();
  EXPECT_EQ(stats.pool_count, 0U);
  EXPECT_EQ(stats.capacity, 0U);
  EXPECT_EQ(stats.free_blocks, 0U);
  EXPECT_EQ(this->heap->allocate(1), nullptr);
  EXPECT_TRUE(this->healthy());
}

TYPED_TEST(PoolLifecycleTest, RemoveRefusesPoolInUse) {
  std::byte* pool = this->add_accepted_pool();
  void* p = this->heap->allocate(10);
  ASSERT_NE(p, nullptr);
  EXPECT_FALSE(this->heap->remove_pool(pool));  // not an error: nothing reported
  EXPECT_EQ(this->heap->stats().pool_count, 1U);
  EXPECT_TRUE(this->heap->owns(p));
  EXPECT_TRUE(this->healthy());
  this->heap->deallocate(p);
  EXPECT_TRUE(this->heap->remove_pool(pool));
  EXPECT_TRUE(this->healthy());
}

TYPED_TEST(PoolLifecycleTest, RemoveUnknownPoolIsReportedInCheckedBuilds) {
  if constexpr (!checks_enabled) {
    GTEST_SKIP() << "without checks, removing a pool the heap does not have is undefined";
  } else {
    std::byte* pool = this->add_accepted_pool();
    EXPECT_FALSE(this->heap->remove_pool(pool + 64));
    EXPECT_TRUE(this->took_report(ErrorCode::invalid_pool));
    PoolMemory other(4096);
    EXPECT_FALSE(this->heap->remove_pool(other.data()));
    EXPECT_TRUE(this->took_report(ErrorCode::invalid_pool));
    EXPECT_EQ(this->heap->stats().pool_count, 1U);
    EXPECT_TRUE(this->healthy());
  }
}

TYPED_TEST(PoolLifecycleTest, RemovedPoolCanBeAddedAgain) {
  PoolMemory memory(8192);
  const std::size_t added = this->heap->add_pool(memory.data(), 8192);
  ASSERT_GT(added, 0U);
  ASSERT_TRUE(this->heap->remove_pool(memory.data()));
  EXPECT_EQ(this->heap->add_pool(memory.data(), 8192), added);
  EXPECT_EQ(this->heap->stats().pool_count, 1U);
  // An extended pool is removed whole.
  ASSERT_TRUE(this->heap->remove_pool(memory.data()));
  PoolMemory bigger(16384);
  ASSERT_GT(this->heap->add_pool(bigger.data(), 4096), 0U);
  ASSERT_GT(this->heap->extend_pool(bigger.data(), bigger.data() + 4096, 4096), 0U);
  EXPECT_TRUE(this->heap->remove_pool(bigger.data()));
  EXPECT_EQ(this->heap->stats().capacity, 0U);
  EXPECT_TRUE(this->healthy());
}

TYPED_TEST(PoolLifecycleTest, ResetFreesEverything) {
  this->add_accepted_pool();
  this->add_accepted_pool(8192, 5);
  const TlsfStats empty = this->heap->stats();
  for (std::size_t i = 0; i < 50; ++i) {
    this->heap->allocate(10 + i * 50);
  }
  this->heap->allocate(1000, 512);
  EXPECT_EQ(this->heap->allocate(std::size_t{1} << 20), nullptr);
  EXPECT_GT(this->heap->stats().used_blocks, 0U);
  const std::size_t peak = this->heap->stats().peak_used;
  const std::size_t failures = this->heap->stats().failed_allocations;
  EXPECT_EQ(failures > 0, stats_enabled);

  this->heap->reset();
  const TlsfStats stats = this->heap->stats();
  EXPECT_EQ(stats.pool_count, 2U);
  EXPECT_EQ(stats.capacity, empty.capacity);
  EXPECT_EQ(stats.used, 0U);
  EXPECT_EQ(stats.free, empty.free);
  EXPECT_EQ(stats.used_blocks, 0U);
  EXPECT_EQ(stats.free_blocks, 2U);
  EXPECT_EQ(stats.largest_free, empty.largest_free);
  EXPECT_EQ(stats.peak_used, peak);               // kept across reset
  EXPECT_EQ(stats.failed_allocations, failures);  // kept too
  EXPECT_TRUE(this->healthy());

  void* p = this->heap->allocate(std::min(empty.largest_free, TypeParam::max_allocation));
  EXPECT_NE(p, nullptr);
  EXPECT_TRUE(this->healthy());
}

TYPED_TEST(PoolLifecycleTest, ResetOfEmptyHeap) {
  this->heap->reset();
  EXPECT_EQ(this->heap->stats().pool_count, 0U);
  EXPECT_TRUE(this->healthy());
}

}  // namespace
}  // namespace rtalloc::test
