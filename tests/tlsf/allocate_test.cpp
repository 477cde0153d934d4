// SPDX-License-Identifier: MIT OR Apache-2.0
// allocate(size) and allocate(size, align): sizes at the edges, exhaustion,
// every alignment, and requests that must fail without wrapping around.
#include <cstdint>
#include <limits>
#include <set>

#include "tlsf_test_support.hpp"

namespace rtalloc::test {
namespace {

template <class Heap>
class AllocateTest : public HeapTest<Heap> {};
TYPED_TEST_SUITE(AllocateTest, HeapConfigurations);

TYPED_TEST(AllocateTest, ZeroBytesGivesDistinctMinimalBlocks) {
  using Heap = TypeParam;
  this->add_accepted_pool();
  void* a = this->heap->allocate(0);
  void* b = this->heap->allocate(0);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a, b);
  EXPECT_TRUE(is_aligned(a, Heap::alignment));
  EXPECT_EQ(this->heap->usable_size(a) + Heap::header_size, Heap::min_block_size);
  EXPECT_EQ(this->heap->stats().used, 2 * Heap::min_block_size);
  EXPECT_EQ(this->heap->stats().used_blocks, 2U);
  this->heap->deallocate(a);
  this->heap->deallocate(b);
  EXPECT_EQ(this->heap->stats().used_blocks, 0U);
  EXPECT_TRUE(this->healthy());
}

TYPED_TEST(AllocateTest, OneByte) {
  using Heap = TypeParam;
  this->add_accepted_pool();
  void* p = this->heap->allocate(1);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(is_aligned(p, Heap::alignment));
  EXPECT_EQ(this->heap->usable_size(p) + Heap::header_size, Heap::min_block_size);
  *static_cast<unsigned char*>(p) = 0xA5;
  EXPECT_TRUE(this->healthy());
  this->heap->deallocate(p);
  EXPECT_TRUE(this->healthy());
}

// Sizes on both sides of every granularity step in the small range, and
// around powers of two further up: blocks are aligned, large enough, a
// whole number of granules, and do not overlap.
TYPED_TEST(AllocateTest, SizesAroundGranularityBoundaries) {
  using Heap = TypeParam;
  this->add_capacity(512 * 1024);
  std::vector<std::size_t> sizes;
  for (std::size_t k = 1; k <= 40; ++k) {
    const std::size_t edge = k * Heap::granularity;
    sizes.insert(sizes.end(), {edge - Heap::header_size - 1, edge - Heap::header_size,
                               edge - Heap::header_size + 1, edge - 1, edge, edge + 1});
  }
  for (std::size_t power = 256; power <= 16384; power *= 2) {
    sizes.insert(sizes.end(), {power - Heap::header_size - 1, power - Heap::header_size, power - 1,
                               power, power + 1, power + power / 2});
  }

  std::map<std::uintptr_t, std::pair<std::size_t, std::uint64_t>> live;  // address -> usable, id
  std::uint64_t id = 0;
  for (std::size_t size : sizes) {
    SCOPED_TRACE(::testing::Message() << "size " << size);
    void* p = this->heap->allocate(size);
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(is_aligned(p, Heap::alignment));
    const std::size_t usable = this->heap->usable_size(p);
    EXPECT_GE(usable, size);
    EXPECT_EQ((usable + Heap::header_size) % Heap::granularity, 0U);
    EXPECT_GE(usable + Heap::header_size, Heap::min_block_size);
    // Rounding never costs more than one size class plus a granule.
    EXPECT_LE(usable, size + size / 2 + Heap::min_block_size);
    fill_pattern(p, usable, id);
    live[address_of(p)] = {usable, id++};
  }
  std::uintptr_t previous_end = 0;
  for (const auto& [address, block] : live) {
    EXPECT_LE(previous_end + Heap::header_size, address) << "blocks overlap";
    previous_end = address + block.first;
    EXPECT_TRUE(pattern_intact(reinterpret_cast<void*>(address), block.first, block.second));
  }
  EXPECT_TRUE(this->healthy());
  for (const auto& entry : live) {
    this->heap->deallocate(reinterpret_cast<void*>(entry.first));
  }
  EXPECT_EQ(this->heap->stats().free_blocks, this->heap->stats().pool_count);
  EXPECT_TRUE(this->healthy());
}

TYPED_TEST(AllocateTest, LargestFreeBlockCanBeAllocatedWhole) {
  using Heap = TypeParam;
  this->add_accepted_pool(std::min(this->pool_bytes, Heap::max_allocation));
  const std::size_t largest = this->heap->stats().largest_free;
  ASSERT_LE(largest, Heap::max_allocation);
  void* p = this->heap->allocate(largest);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(this->heap->stats().free_blocks, 0U);
  EXPECT_EQ(this->heap->stats().largest_free, 0U);
  EXPECT_EQ(this->heap->allocate(0), nullptr);
  this->heap->deallocate(p);
  EXPECT_EQ(this->heap->allocate(largest + 1), nullptr);
  EXPECT_TRUE(this->healthy());
}

// docs/tlsf.md promises that n bytes are served whenever a free block of
// (n + header + granularity) * (1 + 1/SecondLevelCount) bytes exists. Carve
// out a single free block of each size S and ask for the largest n the
// promise covers.
TYPED_TEST(AllocateTest, SearchGuaranteeHolds) {
  using Heap = TypeParam;
  constexpr std::size_t overhead = Heap::header_size + Heap::granularity;
  for (std::size_t block = Heap::min_block_size;
       block <= std::min<std::size_t>(48 * 1024, Heap::max_allocation);
       block +=
       block < 1024 ? Heap::granularity : block / 17 / Heap::granularity * Heap::granularity) {
    // Largest n with (n + overhead) * (1 + 1/SL) <= block.
    const std::size_t n =
        block * Heap::second_level_count / (Heap::second_level_count + 1) - overhead;
    if (n > block) {
      continue;  // below the smallest request
    }
    SCOPED_TRACE(::testing::Message() << "free block of " << block << " bytes, request " << n);
    this->heap = std::make_unique<Heap>();
    this->add_accepted_pool(std::min<std::size_t>(128 * 1024, Heap::max_block_size));
    void* hole = this->heap->allocate(block - Heap::header_size);
    void* guard = this->heap->allocate(0);
    ASSERT_TRUE(hole && guard);
    while (this->heap->stats().free_blocks > 0) {  // use up everything else
      ASSERT_NE(
          this->heap->allocate(std::min(this->heap->stats().largest_free, Heap::max_allocation)),
          nullptr);
    }
    ASSERT_EQ(this->block_bytes(hole), block);
    this->heap->deallocate(hole);
    ASSERT_EQ(this->heap->stats().free_blocks, 1U);
    EXPECT_NE(this->heap->allocate(n), nullptr);
    EXPECT_TRUE(this->healthy());
  }
}

TYPED_TEST(AllocateTest, RequestsBeyondMaxAllocationFailWithoutWrapping) {
  using Heap = TypeParam;
  this->add_accepted_pool();
  const TlsfStats before = this->heap->stats();
  std::vector<std::size_t> sizes = {
      Heap::max_allocation + 1, Heap::max_allocation + Heap::granularity,
      std::numeric_limits<std::size_t>::max() / 2, std::numeric_limits<std::size_t>::max() / 2 + 1};
  for (std::size_t below = 0; below <= 2 * Heap::min_block_size + Heap::alignment; ++below) {
    sizes.push_back(std::numeric_limits<std::size_t>::max() - below);
  }
  std::size_t failures = 0;
  for (std::size_t size : sizes) {
    SCOPED_TRACE(::testing::Message() << "size " << size);
    EXPECT_EQ(this->heap->allocate(size), nullptr);
    EXPECT_EQ(this->heap->allocate(size, 64), nullptr);
    EXPECT_EQ(this->heap->allocate(size, 4096), nullptr);
    failures += 3;
    EXPECT_TRUE(this->healthy());  // running out is not an error: nothing reported
  }
  const TlsfStats after = this->heap->stats();
  EXPECT_EQ(after.failed_allocations, counted(before.failed_allocations + failures));
  EXPECT_EQ(after.used, before.used);
  EXPECT_EQ(after.free_blocks, before.free_blocks);
}

TYPED_TEST(AllocateTest, MaxAllocationFailsOnlyForLackOfMemory) {
  using Heap = TypeParam;
  this->add_accepted_pool(std::min(this->pool_bytes, Heap::max_allocation / 2));
  EXPECT_EQ(this->heap->allocate(Heap::max_allocation), nullptr);
  EXPECT_EQ(this->heap->stats().failed_allocations, counted(1));
  EXPECT_TRUE(this->healthy());
}

// Where max_allocation is small enough to back with real memory, it succeeds.
TYPED_TEST(AllocateTest, MaxAllocationSucceedsWithRoomForIt) {
  using Heap = TypeParam;
  constexpr std::size_t affordable = std::size_t{1} << 28;
  if constexpr (Heap::max_allocation > affordable) {
    GTEST_SKIP() << "max_allocation is " << Heap::max_allocation << " bytes, too much to back here";
  } else {
    // Just enough for max_allocation: its block, a pool's overhead, alignment.
    std::size_t added = 0;
    this->add_pool(
        Heap::max_allocation + Heap::header_size + Heap::pool_overhead + Heap::granularity, 0,
        &added);
    ASSERT_GT(added, 0U);
    ASSERT_GE(this->heap->stats().largest_free, Heap::max_allocation);
    void* p = this->heap->allocate(Heap::max_allocation);
    ASSERT_NE(p, nullptr);
    EXPECT_GE(this->heap->usable_size(p), Heap::max_allocation);
    this->heap->deallocate(p);
    EXPECT_EQ(this->heap->allocate(Heap::max_allocation + 1), nullptr);
    EXPECT_TRUE(this->healthy());
  }
}

TYPED_TEST(AllocateTest, ExhaustionFailsAndIsCounted) {
  this->add_accepted_pool(16 * 1024);
  std::vector<void*> blocks;
  while (void* p = this->heap->allocate(100)) {
    blocks.push_back(p);
    ASSERT_LT(blocks.size(), 16U * 1024U) << "more blocks than bytes";
  }
  EXPECT_GT(blocks.size(), 16U * 1024U / 200U);
  EXPECT_EQ(this->heap->stats().failed_allocations, counted(1));
  EXPECT_EQ(this->heap->allocate(100), nullptr);
  EXPECT_EQ(this->heap->stats().failed_allocations, counted(2));
  EXPECT_EQ(this->heap->stats().used_blocks, blocks.size());
  EXPECT_TRUE(this->healthy());

  // Room again after one free.
  this->heap->deallocate(blocks.back());
  blocks.back() = this->heap->allocate(100);
  EXPECT_NE(blocks.back(), nullptr);
  EXPECT_EQ(this->heap->stats().failed_allocations, counted(2));
  for (void* p : blocks) {
    this->heap->deallocate(p);
  }
  EXPECT_EQ(this->heap->stats().used, 0U);
  EXPECT_TRUE(this->healthy());
}

TYPED_TEST(AllocateTest, EveryPowerOfTwoAlignment) {
  using Heap = TypeParam;
  this->add_capacity(4 * 1024 * 1024, 8);  // starts that are not aligned to anything large
  const std::size_t largest_alignment = std::min<std::size_t>(65536, Heap::max_block_size / 8);
  std::vector<void*> blocks;
  std::uint64_t id = 0;
  for (std::size_t align = 1; align <= largest_alignment; align *= 2) {
    for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{24}, std::size_t{100},
                             align, align + 1, std::size_t{3000}}) {
      SCOPED_TRACE(::testing::Message() << "size " << size << " align " << align);
      void* p = this->heap->allocate(size, align);
      ASSERT_NE(p, nullptr);
      EXPECT_TRUE(is_aligned(p, std::max(align, Heap::alignment)));
      EXPECT_GE(this->heap->usable_size(p), size);
      fill_pattern(p, this->heap->usable_size(p), id++);
      blocks.push_back(p);
      ASSERT_TRUE(this->healthy());
    }
  }
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    EXPECT_TRUE(pattern_intact(blocks[i], this->heap->usable_size(blocks[i]), i));
  }
  // Free in an order that interleaves so merges happen on both sides.
  for (std::size_t i = 0; i < blocks.size(); i += 2) {
    this->heap->deallocate(blocks[i]);
  }
  ASSERT_TRUE(this->healthy());
  for (std::size_t i = 1; i < blocks.size(); i += 2) {
    this->heap->deallocate(blocks[i]);
  }
  EXPECT_EQ(this->heap->stats().used, 0U);
  EXPECT_EQ(this->heap->stats().free_blocks, this->heap->stats().pool_count);
  EXPECT_TRUE(this->healthy());
}

// An alignment at or below the default costs nothing over plain allocate.
TYPED_TEST(AllocateTest, SmallAlignmentsBehaveLikePlainAllocate) {
  using Heap = TypeParam;
  this->add_accepted_pool();
  for (std::size_t align = 1; align <= Heap::alignment; align *= 2) {
    void* plain = this->heap->allocate(200);
    void* aligned = this->heap->allocate(200, align);
    ASSERT_NE(plain, nullptr);
    ASSERT_NE(aligned, nullptr);
    EXPECT_EQ(this->heap->usable_size(plain), this->heap->usable_size(aligned));
    this->heap->deallocate(plain);
    this->heap->deallocate(aligned);
  }
  EXPECT_EQ(this->heap->stats().free_blocks, 1U);
  EXPECT_TRUE(this->healthy());
}

// The gap an aligned block leaves before it goes back to the heap.
TYPED_TEST(AllocateTest, AlignmentGapIsReusable) {
  using Heap = TypeParam;
  this->add_accepted_pool();
  void* aligned = this->heap->allocate(64, 4096);
  ASSERT_NE(aligned, nullptr);
  ASSERT_TRUE(is_aligned(aligned, 4096));
  // An aligned block spends one word more than a plain one: it remembers
  // its alignment for reallocate.
  const TlsfStats stats = this->heap->stats();
  EXPECT_EQ(stats.used, this->heap->usable_size(aligned) + 2 * Heap::header_size);
  EXPECT_EQ(stats.used, this->block_bytes(aligned));
  EXPECT_LE(this->heap->usable_size(aligned), 64 + Heap::granularity);
  EXPECT_EQ(stats.free_blocks, 2U);  // the gap in front and the rest
  this->heap->deallocate(aligned);
  EXPECT_EQ(this->heap->stats().free_blocks, 1U);
  EXPECT_TRUE(this->healthy());
}

TYPED_TEST(AllocateTest, InvalidAlignmentsAreReported) {
  this->add_accepted_pool();
  for (std::size_t align :
       {std::size_t{0}, std::size_t{3}, std::size_t{6}, std::size_t{24}, std::size_t{100},
        std::size_t{4097}, std::numeric_limits<std::size_t>::max()}) {
    SCOPED_TRACE(::testing::Message() << "align " << align);
    EXPECT_EQ(this->heap->allocate(64, align), nullptr);
    ASSERT_TRUE(this->took_report(ErrorCode::invalid_alignment));
    EXPECT_EQ(ErrorLog::count(), 0U);
  }
  EXPECT_EQ(this->heap->stats().used_blocks, 0U);
  EXPECT_TRUE(this->healthy());
}

TYPED_TEST(AllocateTest, InvalidAlignmentReportNamesHeap) {
  this->add_accepted_pool();
  EXPECT_EQ(this->heap->allocate(64, 3), nullptr);
  const std::vector<ErrorInfo> reports = this->take_reports();
  ASSERT_EQ(reports.size(), 1U);
  EXPECT_EQ(reports[0].code, ErrorCode::invalid_alignment);
  EXPECT_EQ(reports[0].heap, this->heap.get());
  EXPECT_EQ(reports[0].size, 3U);
  EXPECT_NE(reports[0].message, nullptr);
}

// An alignment so large no block can satisfy it fails cleanly.
TYPED_TEST(AllocateTest, HugeAlignmentFails) {
  this->add_accepted_pool();
  const std::size_t huge = std::size_t{1} << (std::numeric_limits<std::size_t>::digits - 1);
  EXPECT_EQ(this->heap->allocate(64, huge), nullptr);
  EXPECT_EQ(this->heap->allocate(64, std::size_t{1} << 30), nullptr);
  EXPECT_EQ(this->heap->stats().failed_allocations, counted(2));
  EXPECT_EQ(this->heap->stats().used_blocks, 0U);
  EXPECT_TRUE(this->healthy());
}

}  // namespace
}  // namespace rtalloc::test
