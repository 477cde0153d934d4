// SPDX-License-Identifier: MIT OR Apache-2.0
// The compile-time face of Tlsf: its constants agree with each other, it can
// live in static storage, and it cannot be copied or moved.
#include <bit>
#include <cstddef>
#include <type_traits>

#include "tlsf_test_support.hpp"

namespace rtalloc::test {
namespace {

// Constant-initialised: usable before any constructor runs.
constinit Tlsf<> static_heap;
constinit TlsfSmall static_small_heap;

static_assert(Tlsf<>::alignment == alignof(std::max_align_t));
static_assert(Tlsf<>::header_size == sizeof(void*));
static_assert(!std::is_copy_constructible_v<Tlsf<>> && !std::is_copy_assignable_v<Tlsf<>>);
static_assert(!std::is_move_constructible_v<Tlsf<>> && !std::is_move_assignable_v<Tlsf<>>);
static_assert(std::is_nothrow_default_constructible_v<Tlsf<>>);

template <class Heap>
class ConfigurationTest : public HeapTest<Heap> {};
TYPED_TEST_SUITE(ConfigurationTest, HeapConfigurations);

TYPED_TEST(ConfigurationTest, ConstantsAreConsistent) {
  using Heap = TypeParam;
  EXPECT_TRUE(std::has_single_bit(Heap::alignment));
  EXPECT_TRUE(std::has_single_bit(Heap::granularity));
  EXPECT_GE(Heap::granularity, Heap::alignment);
  EXPECT_EQ(Heap::header_size, sizeof(void*));
  EXPECT_EQ(Heap::min_block_size % Heap::granularity, 0U);
  EXPECT_GE(Heap::min_block_size,
            Heap::header_size + 2 * sizeof(void*));  // room for the free-list links
  EXPECT_GE(Heap::min_pool_size, Heap::min_block_size);
  EXPECT_GT(Heap::max_allocation, Heap::min_block_size);
  EXPECT_EQ((Heap::max_allocation + Heap::header_size) % Heap::granularity, 0U);
}

TEST(ConfigurationTest, DefaultMatchesThePlatform) {
  EXPECT_EQ(Tlsf<>::alignment, alignof(std::max_align_t));
  if constexpr (sizeof(void*) == 8) {
    EXPECT_EQ(Tlsf<>::granularity, 16U);
    EXPECT_EQ(Tlsf<>::min_block_size, 32U);
    EXPECT_GE(Tlsf<>::max_allocation, std::size_t{1} << 32);  // more than 4 GiB
  }
}

TEST(ConfigurationTest, SmallConfigurationIsSmaller) {
  EXPECT_LT(sizeof(TlsfSmall), sizeof(Tlsf<>));
  EXPECT_LE(TlsfSmall::max_allocation, Tlsf<>::max_allocation);
}

TEST(ConfigurationTest, StaticHeapsWork) {
  PoolMemory memory(8192);
  ASSERT_GT(static_heap.add_pool(memory.data(), 4096), 0U);
  ASSERT_GT(static_small_heap.add_pool(memory.data() + 4096, 4096), 0U);
  void* p = static_heap.allocate(100);
  void* q = static_small_heap.allocate(100);
  EXPECT_NE(p, nullptr);
  EXPECT_NE(q, nullptr);
  static_heap.deallocate(p);
  static_small_heap.deallocate(q);
  EXPECT_TRUE(static_heap.check());
  EXPECT_TRUE(static_small_heap.check());
  EXPECT_TRUE(static_heap.remove_pool(memory.data()));
  EXPECT_TRUE(static_small_heap.remove_pool(memory.data() + 4096));
}

}  // namespace
}  // namespace rtalloc::test
