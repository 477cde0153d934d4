// SPDX-License-Identifier: MIT OR Apache-2.0
// rtalloc::StdAllocator with the standard containers and allocate_shared.

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <new>
#include <rtalloc/adapters/std_allocator.hpp>
#include <rtalloc/small_objects.hpp>
#include <rtalloc/tlsf.hpp>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

using Heap = rtalloc::Tlsf<>;
template <class T>
using Allocator = rtalloc::StdAllocator<T, Heap>;

static_assert(
    std::is_same_v<std::allocator_traits<Allocator<int>>::rebind_alloc<double>, Allocator<double>>);
static_assert(std::allocator_traits<Allocator<int>>::propagate_on_container_move_assignment::value);
static_assert(!std::allocator_traits<Allocator<int>>::is_always_equal::value);

class StdAllocatorTest : public ::testing::Test {
 protected:
  StdAllocatorTest() {
    EXPECT_NE(heap.add_pool(memory.get(), pool_bytes), 0U);
    EXPECT_NE(other_heap.add_pool(other_memory.get(), pool_bytes), 0U);
  }
  ~StdAllocatorTest() override {
    EXPECT_EQ(heap.stats().used_blocks, 0U) << "a container leaked into the heap";
    EXPECT_EQ(other_heap.stats().used_blocks, 0U);
    EXPECT_TRUE(heap.check());
    EXPECT_TRUE(other_heap.check());
  }

  static constexpr std::size_t pool_bytes = 1 << 20;
  std::unique_ptr<std::byte[]> memory = std::make_unique<std::byte[]>(pool_bytes);
  std::unique_ptr<std::byte[]> other_memory = std::make_unique<std::byte[]>(pool_bytes);
  Heap heap;
  Heap other_heap;
};

TEST_F(StdAllocatorTest, VectorGrowsInTheHeap) {
  std::vector<int, Allocator<int>> numbers{Allocator<int>(heap)};
  for (int i = 0; i < 10000; ++i) numbers.push_back(i);
  EXPECT_TRUE(heap.owns(numbers.data()));
  EXPECT_GE(heap.stats().used, numbers.capacity() * sizeof(int));
  for (int i = 0; i < 10000; ++i) ASSERT_EQ(numbers[static_cast<std::size_t>(i)], i);
}

TEST_F(StdAllocatorTest, MapAndListNodesComeFromTheHeap) {
  using Pair = std::pair<const int, std::string>;
  std::map<int, std::string, std::less<>, Allocator<Pair>> names{Allocator<Pair>(heap)};
  std::list<double, Allocator<double>> values{Allocator<double>(heap)};
  for (int i = 0; i < 500; ++i) {
    names.emplace(i, std::to_string(i));
    values.push_back(i * 0.5);
  }
  EXPECT_GE(heap.stats().used_blocks, 1000U);  // one node per element at least
  EXPECT_EQ(names.at(321), "321");
  EXPECT_DOUBLE_EQ(values.back(), 249.5);
  names.clear();
  values.clear();
  EXPECT_EQ(heap.stats().used_blocks, 0U);
}

TEST_F(StdAllocatorTest, AllocateSharedPutsObjectAndCountInOneBlock) {
  {
    auto shared = std::allocate_shared<std::uint64_t>(Allocator<std::uint64_t>(heap), 42U);
    EXPECT_EQ(*shared, 42U);
    EXPECT_EQ(heap.stats().used_blocks, 1U);
    EXPECT_TRUE(heap.owns(shared.get()));
  }
  EXPECT_EQ(heap.stats().used_blocks, 0U);
}

struct alignas(128) CacheLines {
  std::byte bytes[128];
};

TEST_F(StdAllocatorTest, OverAlignedTypesAreAligned) {
  std::vector<CacheLines, Allocator<CacheLines>> lines{Allocator<CacheLines>(heap)};
  for (int i = 0; i < 50; ++i) {
    lines.emplace_back();
    ASSERT_EQ(reinterpret_cast<std::uintptr_t>(lines.data()) % 128, 0U);
  }
}

TEST_F(StdAllocatorTest, EqualityFollowsTheHeap) {
  const Allocator<int> a(heap), b(heap), c(other_heap);
  const Allocator<double> rebound(a);
  EXPECT_TRUE(a == b);
  EXPECT_FALSE(a == c);
  EXPECT_TRUE(rebound == a);
  EXPECT_EQ(&rebound.heap(), &heap);
}

TEST_F(StdAllocatorTest, MoveAssignmentCarriesTheHeapAlong) {
  std::vector<int, Allocator<int>> from{{1, 2, 3}, Allocator<int>(heap)};
  std::vector<int, Allocator<int>> to{Allocator<int>(other_heap)};
  const int* data = from.data();
  to = std::move(from);  // no element-wise copy: the storage moves with its allocator
  EXPECT_EQ(to.data(), data);
  EXPECT_EQ(&to.get_allocator().heap(), &heap);
}

TEST_F(StdAllocatorTest, ExhaustionThrowsBadAlloc) {
  Allocator<std::byte> bytes(heap);
  EXPECT_THROW((void)bytes.allocate(2 * pool_bytes), std::bad_alloc);
  Allocator<std::uint64_t> words(heap);
  EXPECT_THROW((void)words.allocate(std::numeric_limits<std::size_t>::max() / 4), std::bad_alloc);
  EXPECT_EQ(heap.stats().used_blocks, 0U);
}

// The same allocator over the small-object layer: list nodes are slab
// objects, with no header, side by side.
TEST(StdAllocatorSmallObjectsTest, ListNodesAreSlabObjects) {
  using Small = rtalloc::SmallObjects<>;
  alignas(16) static std::byte memory[256 * 1024];
  auto heap = std::make_unique<Small>(memory, sizeof memory);
  {
    std::list<int, rtalloc::StdAllocator<int, Small>> list{
        rtalloc::StdAllocator<int, Small>(*heap)};
    for (int i = 0; i < 1000; ++i) list.push_back(i);
    for (const int& value : list) ASSERT_TRUE(heap->is_object(&value));
    EXPECT_EQ(heap->stats_detail().small_objects, 1000U);
    EXPECT_TRUE(heap->check());
  }
  EXPECT_EQ(heap->stats().used_blocks, 0U);
}

}  // namespace
