// SPDX-License-Identifier: MIT OR Apache-2.0
// Freeing a block and asking again for the same size gives back the same
// place, even when a much larger free block is also available: the heap must
// not round a request up past the very block that fits it.
#include "tlsf_test_support.hpp"

namespace rtalloc::test {
namespace {

template <class Heap>
class SamePlaceTest : public HeapTest<Heap> {};
TYPED_TEST_SUITE(SamePlaceTest, HeapConfigurations);

std::vector<std::size_t> sizes_to_try() {
  std::vector<std::size_t> sizes = {1, 24, 100, 1000, 1001, 1500, 3000, 5000, 12345, 30000};
  for (std::size_t size = 1; size <= 4096; size += 7) {
    sizes.push_back(size);
  }
  for (std::size_t power = 64; power <= 32768; power *= 2) {
    sizes.insert(sizes.end(), {power - 1, power + 1, power + power / 3});
  }
  return sizes;
}

TYPED_TEST(SamePlaceTest, FreedBlockIsReusedForSameSize) {
  this->add_accepted_pool(std::min<std::size_t>(256 * 1024, TypeParam::max_block_size));
  const TlsfStats empty = this->heap->stats();
  for (std::size_t size : sizes_to_try()) {
    if (4 * size > empty.largest_free) {
      continue;  // the test needs a much larger free block after the guard
    }
    SCOPED_TRACE(::testing::Message() << "size " << size);
    void* a = this->heap->allocate(size);
    void* guard = this->heap->allocate(16);
    ASSERT_TRUE(a && guard);
    this->heap->deallocate(a);
    void* again = this->heap->allocate(size);
    EXPECT_EQ(again, a);
    this->heap->deallocate(again);
    this->heap->deallocate(guard);
    ASSERT_EQ(this->heap->stats().free_blocks, empty.free_blocks);
  }
  EXPECT_TRUE(this->healthy());
}

// The same with the block between two used neighbours in the middle of the pool.
TYPED_TEST(SamePlaceTest, FreedBlockBetweenUsedNeighboursIsReused) {
  this->add_accepted_pool(std::min<std::size_t>(256 * 1024, TypeParam::max_block_size));
  for (std::size_t size : sizes_to_try()) {
    if (size > TypeParam::max_allocation) {
      continue;
    }
    SCOPED_TRACE(::testing::Message() << "size " << size);
    void* left = this->heap->allocate(48);
    void* a = this->heap->allocate(size);
    void* right = this->heap->allocate(48);
    ASSERT_TRUE(left && a && right);
    this->heap->deallocate(a);
    void* again = this->heap->allocate(size);
    EXPECT_EQ(again, a);
    this->heap->deallocate(again);
    this->heap->deallocate(left);
    this->heap->deallocate(right);
  }
  EXPECT_EQ(this->heap->stats().free_blocks, 1U);
  EXPECT_TRUE(this->healthy());
}

}  // namespace
}  // namespace rtalloc::test
