// SPDX-License-Identifier: MIT OR Apache-2.0
// rtalloc::TlsfResource, over a heap and over a Synchronized heap, with std::pmr containers.

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <memory_resource>
#include <new>
#include <rtalloc/hosted/pmr.hpp>
#include <rtalloc/small_objects.hpp>
#include <rtalloc/sync/synchronized.hpp>
#include <rtalloc/tlsf.hpp>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

using Heap = rtalloc::Tlsf<>;

// An upstream that counts what passes through it.
class CountingResource : public std::pmr::memory_resource {
 public:
  std::size_t allocations = 0, deallocations = 0;

 private:
  void* do_allocate(std::size_t bytes, std::size_t alignment) override {
    ++allocations;
    return std::pmr::new_delete_resource()->allocate(bytes, alignment);
  }
  void do_deallocate(void* p, std::size_t bytes, std::size_t alignment) override {
    ++deallocations;
    std::pmr::new_delete_resource()->deallocate(p, bytes, alignment);
  }
  bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
    return this == &other;
  }
};

class PmrTest : public ::testing::Test {
 protected:
  explicit PmrTest(std::size_t bytes = 1 << 20) : pool_bytes(bytes) {
    EXPECT_NE(heap.add_pool(memory.get(), pool_bytes), 0U);
  }
  ~PmrTest() override {
    EXPECT_EQ(heap.stats().used_blocks, 0U) << "a container leaked into the heap";
    EXPECT_TRUE(heap.check());
  }

  std::size_t pool_bytes;
  std::unique_ptr<std::byte[]> memory = std::make_unique<std::byte[]>(pool_bytes);
  Heap heap;
};

TEST_F(PmrTest, ContainersAllocateFromTheHeap) {
  rtalloc::TlsfResource resource(heap);  // the heap type is deduced
  {
    std::pmr::vector<int> numbers(&resource);
    std::pmr::string text("a string long enough to need the heap, not the small buffer", &resource);
    std::pmr::unordered_map<int, std::pmr::string> map(&resource);
    for (int i = 0; i < 1000; ++i) {
      numbers.push_back(i);
      map.emplace(i, std::pmr::string(64, static_cast<char>('a' + i % 26)));
    }
    EXPECT_TRUE(heap.owns(numbers.data()));
    EXPECT_TRUE(heap.owns(text.data()));
    EXPECT_EQ(map.at(27)[0], 'b');
    EXPECT_GE(heap.stats().used_blocks, 1000U);
    EXPECT_TRUE(heap.check());
  }
  EXPECT_EQ(heap.stats().used_blocks, 0U);
}

TEST_F(PmrTest, AlignmentIsHonoured) {
  rtalloc::TlsfResource resource(heap);
  for (std::size_t alignment = 1; alignment <= 4096; alignment *= 2) {
    void* p = resource.allocate(100, alignment);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % alignment, 0U) << alignment;
    resource.deallocate(p, 100, alignment);
  }
}

TEST_F(PmrTest, ExhaustionThrowsWithoutUpstream) {
  rtalloc::TlsfResource resource(heap);
  EXPECT_THROW((void)resource.allocate(2 * pool_bytes), std::bad_alloc);
  EXPECT_EQ(heap.stats().failed_allocations, 1U);
}

TEST_F(PmrTest, UpstreamServesWhatTheHeapCannot) {
  CountingResource upstream;
  rtalloc::TlsfResource resource(heap, &upstream);
  void* small = resource.allocate(100);
  void* large = resource.allocate(2 * pool_bytes);
  EXPECT_TRUE(heap.owns(small));
  EXPECT_FALSE(heap.owns(large));
  EXPECT_EQ(upstream.allocations, 1U);
  resource.deallocate(large, 2 * pool_bytes);
  resource.deallocate(small, 100);
  EXPECT_EQ(upstream.deallocations, 1U);
}

TEST_F(PmrTest, EqualityMeansSameHeapAndUpstream) {
  CountingResource upstream;
  Heap other_heap;
  rtalloc::TlsfResource a(heap), b(heap), c(other_heap), d(heap, &upstream);
  rtalloc::Synchronized<Heap&, std::mutex> shared(heap);
  rtalloc::TlsfResource locked(shared), also_locked(shared);
  EXPECT_TRUE(a.is_equal(a));
  EXPECT_TRUE(a.is_equal(b));        // b can free what a allocated
  EXPECT_FALSE(a.is_equal(c));       // another heap
  EXPECT_FALSE(a.is_equal(d));       // another upstream
  EXPECT_FALSE(a.is_equal(locked));  // another kind: the unlocked one would bypass the lock
  EXPECT_FALSE(locked.is_equal(a));
  EXPECT_TRUE(locked.is_equal(also_locked));  // the same lock around the same heap
}

TEST_F(PmrTest, SynchronizedHeapIsSharedBetweenThreads) {
  rtalloc::Synchronized<Heap&, std::mutex> shared(heap);
  rtalloc::TlsfResource resource(shared);
  constexpr int thread_count = 4;
  std::vector<std::thread> threads;
  for (int t = 0; t < thread_count; ++t) {
    threads.emplace_back([&resource, t] {
      for (int round = 0; round < 200; ++round) {
        std::pmr::vector<std::uint32_t> values(&resource);
        for (std::uint32_t i = 0; i < 100; ++i) values.push_back(i * 7U + static_cast<unsigned>(t));
        for (std::uint32_t i = 0; i < 100; ++i) {
          ASSERT_EQ(values[i], i * 7U + static_cast<unsigned>(t));
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_TRUE(shared.with([](Heap& h) { return h.check(); }));
  EXPECT_EQ(shared.with([](Heap& h) { return h.stats().used_blocks; }), 0U);
}

// Over the small-object layer, small nodes are slab objects and larger
// buffers Tlsf blocks, behind the same resource.
TEST(PmrSmallObjectsTest, NodesComeFromSlabsAndBuffersFromTheTlsf) {
  using Small = rtalloc::SmallObjects<>;
  alignas(16) static std::byte memory[512 * 1024];
  auto heap = std::make_unique<Small>(memory, sizeof memory);
  rtalloc::TlsfResource<Small> resource(*heap);
  {
    std::pmr::unordered_map<int, int> map(&resource);
    std::pmr::vector<std::uint64_t> big(&resource);
    for (int i = 0; i < 2000; ++i) map[i] = i;
    big.resize(10000);
    EXPECT_EQ(heap->stats_detail().small_objects, 2000U)
        << "one per node; the bucket array is larger";
    EXPECT_FALSE(heap->is_object(big.data()));
    EXPECT_TRUE(heap->check());
  }
  EXPECT_EQ(heap->stats().used_blocks, 0U);
  EXPECT_TRUE(heap->check());
}

}  // namespace
