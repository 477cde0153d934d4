// SPDX-License-Identifier: MIT OR Apache-2.0
// deallocate: null is a no-op, and a freed block merges with free neighbours
// on either side so the heap never holds two adjacent free blocks.
#include "tlsf_test_support.hpp"

namespace rtalloc::test {
namespace {

template <class Heap>
class DeallocateTest : public HeapTest<Heap> {
 protected:
  void SetUp() override {
    HeapTest<Heap>::SetUp();
    this->add_accepted_pool();
  }

  // Whether walk() shows a free block starting at `address` of at least `size`.
  bool free_block_at(const void* address, std::size_t size) const {
    for (const BlockInfo& block : summarize(*this->heap).blocks) {
      if (block.address == address) {
        return !block.used && block.size >= size;
      }
    }
    return false;
  }
};
TYPED_TEST_SUITE(DeallocateTest, HeapConfigurations);

TYPED_TEST(DeallocateTest, NullIsNoOp) {
  void* p = this->heap->allocate(100);
  const TlsfStats before = this->heap->stats();
  this->heap->deallocate(nullptr);
  const TlsfStats after = this->heap->stats();
  EXPECT_EQ(after.used, before.used);
  EXPECT_EQ(after.used_blocks, before.used_blocks);
  EXPECT_EQ(after.free_blocks, before.free_blocks);
  EXPECT_TRUE(this->healthy());
  this->heap->deallocate(p);
}

TYPED_TEST(DeallocateTest, MergesWithNextPreviousAndBoth) {
  using Heap = TypeParam;
  // Layout: [a][b][c][d][free tail]
  void* a = this->heap->allocate(100);
  void* b = this->heap->allocate(200);
  void* c = this->heap->allocate(300);
  void* d = this->heap->allocate(400);
  ASSERT_TRUE(a && b && c && d);
  ASSERT_LT(a, b);
  ASSERT_LT(b, c);
  ASSERT_LT(c, d);
  const std::size_t a_total = this->heap->usable_size(a) + Heap::header_size;
  const std::size_t b_total = this->heap->usable_size(b) + Heap::header_size;
  const std::size_t c_total = this->heap->usable_size(c) + Heap::header_size;
  EXPECT_EQ(this->heap->stats().free_blocks, 1U);

  this->heap->deallocate(a);  // no free neighbour
  EXPECT_EQ(this->heap->stats().free_blocks, 2U);
  this->heap->deallocate(c);  // no free neighbour either
  EXPECT_EQ(this->heap->stats().free_blocks, 3U);
  ASSERT_TRUE(this->healthy());

  this->heap->deallocate(b);  // merges with a before and c after
  EXPECT_EQ(this->heap->stats().free_blocks, 2U);
  EXPECT_TRUE(this->free_block_at(a, a_total + b_total + c_total - Heap::header_size));
  ASSERT_TRUE(this->healthy());

  this->heap->deallocate(d);  // merges with a+b+c before and the tail after
  EXPECT_EQ(this->heap->stats().free_blocks, 1U);
  EXPECT_EQ(this->heap->stats().used, 0U);
  EXPECT_EQ(this->heap->stats().largest_free + Heap::header_size, this->heap->stats().capacity);
  EXPECT_TRUE(this->healthy());
}

TYPED_TEST(DeallocateTest, MergesWithNextOnly) {
  using Heap = TypeParam;
  void* a = this->heap->allocate(100);
  void* b = this->heap->allocate(100);
  void* guard = this->heap->allocate(100);
  ASSERT_TRUE(a && b && guard);
  this->heap->deallocate(b);
  EXPECT_EQ(this->heap->stats().free_blocks, 2U);
  this->heap->deallocate(a);  // merges forward into b
  EXPECT_EQ(this->heap->stats().free_blocks, 2U);
  EXPECT_TRUE(this->free_block_at(a, 2 * this->heap->usable_size(guard) + Heap::header_size));
  EXPECT_TRUE(this->healthy());
  this->heap->deallocate(guard);
  EXPECT_EQ(this->heap->stats().free_blocks, 1U);
}

TYPED_TEST(DeallocateTest, MergesWithPreviousOnly) {
  void* a = this->heap->allocate(100);
  void* b = this->heap->allocate(100);
  void* guard = this->heap->allocate(100);
  ASSERT_TRUE(a && b && guard);
  this->heap->deallocate(a);
  this->heap->deallocate(b);  // merges backward into a
  EXPECT_EQ(this->heap->stats().free_blocks, 2U);
  EXPECT_TRUE(this->free_block_at(a, 200));
  EXPECT_TRUE(this->healthy());
  this->heap->deallocate(guard);
  EXPECT_EQ(this->heap->stats().free_blocks, 1U);
}

// Freeing everything in any order gives back the heap as it started.
TYPED_TEST(DeallocateTest, FreeingEverythingRestoresTheHeap) {
  const TlsfStats empty = this->heap->stats();
  for (int order = 0; order < 3; ++order) {
    SCOPED_TRACE(::testing::Message() << "order " << order);
    std::vector<void*> blocks;
    for (std::size_t i = 0; i < 60; ++i) {
      void* p = this->heap->allocate(16 + i * 37 % 500);
      ASSERT_NE(p, nullptr);
      blocks.push_back(p);
    }
    if (order == 1) {
      std::reverse(blocks.begin(), blocks.end());
    } else if (order == 2) {
      std::stable_partition(blocks.begin(), blocks.end(),
                            [&](void* p) { return (address_of(p) / 16) % 3 == 0; });
    }
    for (void* p : blocks) {
      this->heap->deallocate(p);
      ASSERT_TRUE(this->healthy());
    }
    const TlsfStats stats = this->heap->stats();
    EXPECT_EQ(stats.used, 0U);
    EXPECT_EQ(stats.used_blocks, 0U);
    EXPECT_EQ(stats.free_blocks, empty.free_blocks);
    EXPECT_EQ(stats.largest_free, empty.largest_free);
    EXPECT_EQ(stats.free, empty.free);
  }
}

}  // namespace
}  // namespace rtalloc::test
