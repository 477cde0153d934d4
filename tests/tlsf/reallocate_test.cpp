// SPDX-License-Identifier: MIT OR Apache-2.0
// reallocate: in place when it can, moves with contents when it must, and
// leaves the block alone when it cannot.
#include <limits>

#include "tlsf_test_support.hpp"

namespace rtalloc::test {
namespace {

template <class Heap>
class ReallocateTest : public HeapTest<Heap> {
 protected:
  void SetUp() override {
    HeapTest<Heap>::SetUp();
    this->add_accepted_pool();
  }

  // The block that walk() reports at `address`.
  BlockInfo block_at(const void* address) const {
    for (const BlockInfo& block : summarize(*this->heap).blocks) {
      if (block.address == address) {
        return block;
      }
    }
    ADD_FAILURE() << "no block at " << address;
    return {};
  }

  // Allocates small blocks until one lands right after `p`, so that `p`
  // cannot grow in place; the ones that land elsewhere are freed again.
  void* guard_after(const void* p) {
    std::vector<void*> elsewhere;
    void* guard = nullptr;
    while (guard == nullptr && elsewhere.size() < 1000) {
      void* q = this->heap->allocate(16);
      if (q == nullptr) {
        break;
      }
      if (this->adjacent(p, q)) {
        guard = q;
      } else {
        elsewhere.push_back(q);
      }
    }
    for (void* q : elsewhere) {
      this->heap->deallocate(q);
    }
    EXPECT_NE(guard, nullptr) << "no block could be placed right after " << p;
    return guard;
  }
};
TYPED_TEST_SUITE(ReallocateTest, HeapConfigurations);

TYPED_TEST(ReallocateTest, NullPointerAllocates) {
  void* p = this->heap->reallocate(nullptr, 100);
  ASSERT_NE(p, nullptr);
  EXPECT_GE(this->heap->usable_size(p), 100U);
  EXPECT_EQ(this->heap->stats().used_blocks, 1U);
  this->heap->deallocate(p);
  EXPECT_TRUE(this->healthy());
}

TYPED_TEST(ReallocateTest, GrowsInPlaceIntoFreeNext) {
  void* p = this->heap->allocate(100);
  ASSERT_NE(p, nullptr);
  fill_pattern(p, 100, 7);
  const std::size_t free_blocks = this->heap->stats().free_blocks;
  void* q = this->heap->reallocate(p, 1000);
  EXPECT_EQ(q, p);
  EXPECT_GE(this->heap->usable_size(q), 1000U);
  EXPECT_TRUE(pattern_intact(q, 100, 7));
  EXPECT_EQ(this->heap->stats().free_blocks, free_blocks);
  EXPECT_EQ(this->heap->stats().used_blocks, 1U);
  EXPECT_TRUE(this->healthy());
  this->heap->deallocate(q);
  EXPECT_EQ(this->heap->stats().free_blocks, 1U);
}

// Growing into a free neighbour that is followed by a used block.
TYPED_TEST(ReallocateTest, GrowsInPlaceIntoFreeGapBeforeGuard) {
  void* a = this->heap->allocate(100);
  void* gap = this->heap->allocate(500);
  void* guard = this->heap->allocate(16);
  ASSERT_TRUE(a && gap && guard);
  ASSERT_TRUE(this->adjacent(a, gap));
  this->heap->deallocate(gap);
  fill_pattern(a, 100, 1);
  void* q = this->heap->reallocate(a, 300);
  EXPECT_EQ(q, a);
  EXPECT_TRUE(pattern_intact(q, 100, 1));
  EXPECT_TRUE(this->healthy());
  // Taking the whole gap leaves no free block between a and the guard.
  const BlockInfo rest_of_gap = this->block_at(static_cast<std::byte*>(a) + this->block_bytes(a));
  ASSERT_FALSE(rest_of_gap.used);
  q = this->heap->reallocate(a, this->heap->usable_size(a) + rest_of_gap.block_size);
  EXPECT_EQ(q, a);
  EXPECT_TRUE(this->adjacent(a, guard));
  EXPECT_TRUE(pattern_intact(q, 100, 1));
  EXPECT_TRUE(this->healthy());
  this->heap->deallocate(a);
  this->heap->deallocate(guard);
  EXPECT_EQ(this->heap->stats().free_blocks, 1U);
}

TYPED_TEST(ReallocateTest, ShrinksInPlaceAndReleasesTail) {
  void* a = this->heap->allocate(2000);
  void* guard = this->heap->allocate(16);
  ASSERT_TRUE(a && guard);
  fill_pattern(a, 2000, 3);
  const TlsfStats before = this->heap->stats();
  const std::size_t old_block = this->block_bytes(a);
  void* q = this->heap->reallocate(a, 100);
  EXPECT_EQ(q, a);
  EXPECT_TRUE(pattern_intact(q, 100, 3));
  const TlsfStats after = this->heap->stats();
  EXPECT_LT(this->heap->usable_size(a), 200U);
  EXPECT_EQ(after.used, before.used - old_block + this->block_bytes(a));
  EXPECT_EQ(after.free_blocks, before.free_blocks + 1);
  EXPECT_EQ(after.used_blocks, 2U);
  EXPECT_TRUE(this->healthy());
  this->heap->deallocate(a);
  this->heap->deallocate(guard);
  EXPECT_EQ(this->heap->stats().free_blocks, 1U);
}

// Shrinking a block whose next neighbour is free merges the tail into it.
TYPED_TEST(ReallocateTest, ShrinkMergesTailWithFreeNext) {
  void* a = this->heap->allocate(2000);
  ASSERT_NE(a, nullptr);
  const std::size_t free_blocks = this->heap->stats().free_blocks;
  void* q = this->heap->reallocate(a, 100);
  EXPECT_EQ(q, a);
  EXPECT_EQ(this->heap->stats().free_blocks, free_blocks);
  EXPECT_TRUE(this->healthy());
  this->heap->deallocate(a);
}

// Size 0 shrinks to a minimal block; it does not free.
TYPED_TEST(ReallocateTest, ZeroShrinksToMinimalBlock) {
  using Heap = TypeParam;
  void* a = this->heap->allocate(500);
  void* guard = this->heap->allocate(16);
  ASSERT_TRUE(a && guard);
  void* q = this->heap->reallocate(a, 0);
  EXPECT_EQ(q, a);
  EXPECT_EQ(this->heap->usable_size(q) + Heap::header_size, Heap::min_block_size);
  EXPECT_EQ(this->heap->stats().used_blocks, 2U);
  EXPECT_TRUE(this->healthy());
  this->heap->deallocate(q);
  this->heap->deallocate(guard);
  EXPECT_EQ(this->heap->stats().free_blocks, 1U);
}

TYPED_TEST(ReallocateTest, SameSizeStaysPut) {
  void* a = this->heap->allocate(300);
  void* guard = this->heap->allocate(16);
  ASSERT_TRUE(a && guard);
  const std::size_t usable = this->heap->usable_size(a);
  EXPECT_EQ(this->heap->reallocate(a, 300), a);
  EXPECT_EQ(this->heap->reallocate(a, usable), a);
  EXPECT_EQ(this->heap->usable_size(a), usable);
  EXPECT_TRUE(this->healthy());
  this->heap->deallocate(a);
  this->heap->deallocate(guard);
}

TYPED_TEST(ReallocateTest, MovesWhenBlockedAndKeepsContents) {
  void* a = this->heap->allocate(100);
  void* guard = this->heap->allocate(16);
  ASSERT_TRUE(a && guard);
  ASSERT_TRUE(this->adjacent(a, guard));
  fill_pattern(a, this->heap->usable_size(a), 11);
  const std::size_t old_usable = this->heap->usable_size(a);
  void* q = this->heap->reallocate(a, 5000);
  ASSERT_NE(q, nullptr);
  EXPECT_NE(q, a);
  EXPECT_GE(this->heap->usable_size(q), 5000U);
  EXPECT_TRUE(pattern_intact(q, old_usable, 11));
  EXPECT_EQ(this->heap->stats().used_blocks, 2U);
  EXPECT_FALSE(this->block_at(a).used);  // the old block went back to the heap
  EXPECT_TRUE(this->healthy());
  this->heap->deallocate(q);
  this->heap->deallocate(guard);
  EXPECT_EQ(this->heap->stats().free_blocks, 1U);
  EXPECT_TRUE(this->healthy());
}

// Growing into a free block before the current one is allowed to move the
// data there; either way contents survive and the heap stays sound.
TYPED_TEST(ReallocateTest, GrowsWithFreePreviousNeighbour) {
  void* before = this->heap->allocate(1000);
  void* a = this->heap->allocate(100);
  void* guard = this->heap->allocate(16);
  ASSERT_TRUE(before && a && guard);
  this->heap->deallocate(before);
  fill_pattern(a, 100, 5);
  void* q = this->heap->reallocate(a, 900);
  ASSERT_NE(q, nullptr);
  EXPECT_TRUE(pattern_intact(q, 100, 5));
  EXPECT_GE(this->heap->usable_size(q), 900U);
  EXPECT_TRUE(this->healthy());
  this->heap->deallocate(q);
  this->heap->deallocate(guard);
  EXPECT_EQ(this->heap->stats().free_blocks, 1U);
}

TYPED_TEST(ReallocateTest, FailureLeavesOriginalIntact) {
  void* a = this->heap->allocate(100);
  void* guard = this->heap->allocate(16);
  ASSERT_TRUE(a && guard);
  fill_pattern(a, 100, 9);
  const std::size_t usable = this->heap->usable_size(a);
  const TlsfStats before = this->heap->stats();
  for (std::size_t size :
       {this->heap->stats().capacity, TypeParam::max_allocation + 1,
        std::numeric_limits<std::size_t>::max() / 2, std::numeric_limits<std::size_t>::max(),
        std::numeric_limits<std::size_t>::max() - 8}) {
    SCOPED_TRACE(::testing::Message() << "size " << size);
    EXPECT_EQ(this->heap->reallocate(a, size), nullptr);
    this->take_reports();
    EXPECT_EQ(this->heap->usable_size(a), usable);
    EXPECT_TRUE(pattern_intact(a, 100, 9));
    EXPECT_TRUE(this->healthy());
  }
  const TlsfStats after = this->heap->stats();
  EXPECT_EQ(after.used, before.used);
  EXPECT_EQ(after.used_blocks, before.used_blocks);
  EXPECT_EQ(after.free_blocks, before.free_blocks);
  EXPECT_EQ(after.failed_allocations, counted(before.failed_allocations + 5));
  this->heap->deallocate(a);
  this->heap->deallocate(guard);
  EXPECT_TRUE(this->healthy());
}

TYPED_TEST(ReallocateTest, MovedAlignedBlockKeepsAlignment) {
  for (std::size_t align :
       {std::size_t{32}, std::size_t{64}, std::size_t{256}, std::size_t{4096}}) {
    SCOPED_TRACE(::testing::Message() << "align " << align);
    void* a = this->heap->allocate(100, align);
    ASSERT_NE(a, nullptr);
    ASSERT_TRUE(is_aligned(a, align));
    void* guard = this->guard_after(a);
    ASSERT_NE(guard, nullptr);
    fill_pattern(a, 100, align);
    void* q = this->heap->reallocate(a, 3000);
    ASSERT_NE(q, nullptr);
    EXPECT_NE(q, a);
    EXPECT_TRUE(is_aligned(q, align));
    EXPECT_TRUE(pattern_intact(q, 100, align));
    // Shrinking and growing in place keep it too, trivially; check they work.
    void* r = this->heap->reallocate(q, 50);
    EXPECT_EQ(r, q);
    EXPECT_TRUE(pattern_intact(r, 50, align));
    this->heap->deallocate(r);
    this->heap->deallocate(guard);
    EXPECT_EQ(this->heap->stats().free_blocks, 1U);
    EXPECT_TRUE(this->healthy());
  }
}

// Growing an aligned block whose free previous neighbour would let it slide
// down must not give up the alignment.
TYPED_TEST(ReallocateTest, AlignedBlockNeverSlidesOffAlignment) {
  void* before = this->heap->allocate(3000);
  void* a = this->heap->allocate(100, 1024);
  void* guard = this->heap->allocate(16);
  ASSERT_TRUE(before && a && guard);
  this->heap->deallocate(before);
  fill_pattern(a, 100, 2);
  void* q = this->heap->reallocate(a, 2000);
  ASSERT_NE(q, nullptr);
  EXPECT_TRUE(is_aligned(q, 1024));
  EXPECT_TRUE(pattern_intact(q, 100, 2));
  EXPECT_TRUE(this->healthy());
  this->heap->deallocate(q);
  this->heap->deallocate(guard);
  EXPECT_TRUE(this->healthy());
}

}  // namespace
}  // namespace rtalloc::test
