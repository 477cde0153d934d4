// SPDX-License-Identifier: MIT OR Apache-2.0
// Rows of the bad-input table in docs/safety.md that the tests beside each
// allocator do not already cover. Each test is named in the table.
#include <cstdint>
#include <limits>
#include <rtalloc/pools/handle_pool.hpp>

#include "../tlsf/tlsf_test_support.hpp"

namespace rtalloc::test {
namespace {

constexpr std::size_t size_max = std::numeric_limits<std::size_t>::max();

template <class Heap>
class BadInputTableTest : public HeapTest<Heap> {};
TYPED_TEST_SUITE(BadInputTableTest, HeapConfigurations);

TYPED_TEST(BadInputTableTest, AlignedRequestNearSizeMaxFails) {
  this->add_accepted_pool();
  for (const std::size_t size :
       {size_max, size_max - 64, size_max / 2, TypeParam::max_allocation}) {
    for (const std::size_t align : {std::size_t{32}, std::size_t{4096}}) {
      SCOPED_TRACE(::testing::Message() << "size " << size << " align " << align);
      EXPECT_EQ(this->heap->allocate(size, align), nullptr);
    }
  }
  EXPECT_EQ(this->heap->stats().failed_allocations, 8U);
  EXPECT_EQ(this->heap->stats().used_blocks, 0U);
  EXPECT_TRUE(this->healthy());
}

TYPED_TEST(BadInputTableTest, ReallocateNearSizeMaxKeepsTheBlock) {
  this->add_accepted_pool();
  void* p = this->heap->allocate(100);
  void* aligned = this->heap->allocate(100, 256);
  ASSERT_TRUE(p && aligned);
  fill_pattern(p, 100, 1);
  fill_pattern(aligned, 100, 2);
  for (const std::size_t size : {size_max, size_max - 8, size_max / 2 + 1}) {
    SCOPED_TRACE(::testing::Message() << "size " << size);
    EXPECT_EQ(this->heap->reallocate(p, size), nullptr);
    EXPECT_EQ(this->heap->reallocate(aligned, size), nullptr);
  }
  EXPECT_TRUE(pattern_intact(p, 100, 1));
  EXPECT_TRUE(pattern_intact(aligned, 100, 2));
  EXPECT_EQ(this->heap->stats().used_blocks, 2U);
  EXPECT_TRUE(this->healthy());
  this->heap->deallocate(p);
  this->heap->deallocate(aligned);
}

// The range is refused before the memory is touched.
TYPED_TEST(BadInputTableTest, PoolThatWrapsTheAddressSpaceIsRefused) {
  void* near_top = reinterpret_cast<void*>(std::numeric_limits<std::uintptr_t>::max() - 1000);
  EXPECT_EQ(this->heap->add_pool(near_top, 4096), 0U);
  EXPECT_TRUE(this->took_report(ErrorCode::invalid_pool));
  std::byte* pool = this->add_accepted_pool();
  EXPECT_EQ(this->heap->extend_pool(pool, this->heap->pool_end(pool), size_max), 0U);
  EXPECT_TRUE(this->took_report(ErrorCode::invalid_pool));
  EXPECT_EQ(this->heap->stats().pool_count, 1U);
  EXPECT_TRUE(this->healthy());
}

TYPED_TEST(BadInputTableTest, UsableSizeOfForeignPointerIsReportedInCheckedBuilds) {
  if constexpr (!checks_enabled) {
    GTEST_SKIP() << "undefined without checks";
  } else {
    this->add_accepted_pool();
    auto* p = static_cast<std::byte*>(this->heap->allocate(256));
    ASSERT_NE(p, nullptr);
    std::memset(p, 0, 256);
    alignas(64) std::byte on_stack[64] = {};
    for (void* bad : {static_cast<void*>(on_stack + 16), static_cast<void*>(p + 1),
                      static_cast<void*>(p + 64)}) {
      SCOPED_TRACE(::testing::Message() << "pointer " << bad);
      EXPECT_EQ(this->heap->usable_size(bad), 0U);
      EXPECT_TRUE(this->took_report(ErrorCode::invalid_pointer, this->heap.get(), bad));
    }
    EXPECT_TRUE(this->healthy());
    this->heap->deallocate(p);
  }
}

TEST(BadInputTable, HandlePoolWithoutUsableMemoryIsExhausted) {
  using Pool = HandlePool<64>;
  Pool null_memory(nullptr, 4096);
  EXPECT_EQ(null_memory.capacity(), 0U);
  EXPECT_EQ(null_memory.allocate(8).error, PoolError::exhausted);
  alignas(64) std::byte tiny[8];
  Pool too_small(tiny, sizeof tiny);
  EXPECT_EQ(too_small.capacity(), 0U);
  EXPECT_EQ(too_small.allocate(8).error, PoolError::exhausted);
  EXPECT_EQ(too_small.free(Pool::Handle{1}), PoolError::stale_handle);
}

}  // namespace
}  // namespace rtalloc::test
