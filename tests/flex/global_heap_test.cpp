// SPDX-License-Identifier: MIT OR Apache-2.0
// GlobalHeap: one heap per <Lock, Heap, Tag>, usable before main() and in
// static destructors, under each lock policy, from several threads, and
// through the adapters.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <rtalloc/adapters/std_allocator.hpp>
#include <rtalloc/flex_tlsf.hpp>
#include <rtalloc/global_heap.hpp>
#include <rtalloc/hosted/os_pages.hpp>
#include <rtalloc/sync/spin_lock.hpp>
#include <thread>
#include <vector>

namespace {

struct StaticTag {};
struct OtherTag {};

using StaticHeap = rtalloc::GlobalHeap<rtalloc::SpinLock, rtalloc::Tlsf<>, StaticTag>;
using OtherHeap = rtalloc::GlobalHeap<rtalloc::SpinLock, rtalloc::Tlsf<>, OtherTag>;
using SingleThreadHeap = rtalloc::GlobalHeap<rtalloc::NoLock, rtalloc::TlsfSmall>;
using GrowingHeap = rtalloc::GlobalHeap<std::mutex, rtalloc::FlexTlsf<rtalloc::OsPages>>;

static_assert(rtalloc::heap<StaticHeap>);
static_assert(rtalloc::heap<GrowingHeap>);
static_assert(rtalloc::lock_policy<rtalloc::NoLock>);
static_assert(rtalloc::lock_policy<std::mutex>);

alignas(16) std::byte static_pool[256 * 1024];
alignas(16) std::byte other_pool[16 * 1024];

// Runs during static initialization, in whatever order relative to other
// translation units: the heap must already be usable.
struct UsesTheHeapBeforeMain {
  UsesTheHeapBeforeMain() {
    StaticHeap::add_pool(static_pool, sizeof static_pool);
    early = StaticHeap::allocate(128);
    if (early != nullptr) std::memset(early, 0x42, 128);
    grown_early = GrowingHeap::allocate(1000);
  }
  // Runs after main() returns: the heaps are still there.
  ~UsesTheHeapBeforeMain() {
    StaticHeap::deallocate(early);
    GrowingHeap::deallocate(grown_early);
    void* late = GrowingHeap::allocate(64);
    if (late == nullptr) std::abort();
    GrowingHeap::deallocate(late);
    if (!StaticHeap::with_heap([](auto& heap) { return heap.check(); })) std::abort();
  }
  void* early = nullptr;
  void* grown_early = nullptr;
};
UsesTheHeapBeforeMain before_main;

TEST(GlobalHeapTest, WorksDuringStaticInitialization) {
  ASSERT_NE(before_main.early, nullptr);
  EXPECT_TRUE(StaticHeap::owns(before_main.early));
  EXPECT_EQ(static_cast<unsigned char*>(before_main.early)[127], 0x42);
  EXPECT_NE(before_main.grown_early, nullptr);
}

TEST(GlobalHeapTest, EachTagIsItsOwnHeap) {
  ASSERT_GT(OtherHeap::add_pool(other_pool, sizeof other_pool), 0U);
  void* p = OtherHeap::allocate(100);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(OtherHeap::owns(p));
  EXPECT_FALSE(StaticHeap::owns(p));
  EXPECT_EQ(OtherHeap::usable_size(p) >= 100, true);
  OtherHeap::deallocate(p);
  EXPECT_EQ(OtherHeap::with_heap([](auto& heap) { return heap.stats().used_blocks; }), 0U);
}

TEST(GlobalHeapTest, AllocatesAlignsReallocatesAndFrees) {
  void* p = StaticHeap::allocate(100, 256);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 256, 0U);
  std::memset(p, 7, 100);
  void* q = StaticHeap::reallocate(p, 5000);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(static_cast<unsigned char*>(q)[99], 7);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(q) % 256, 0U);
  StaticHeap::deallocate(q);
  StaticHeap::deallocate(nullptr);
  EXPECT_TRUE(StaticHeap::with_heap([](auto& heap) { return heap.check(); }));
}

TEST(GlobalHeapTest, NoLockHeapOverCallerMemory) {
  alignas(16) static std::byte memory[8 * 1024];
  SingleThreadHeap::add_pool(memory, sizeof memory);
  void* p = SingleThreadHeap::allocate(1000);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(SingleThreadHeap::allocate(100000), nullptr);
  SingleThreadHeap::deallocate(p);
}

TEST(GlobalHeapTest, WorksWithTheStdAllocatorAdapter) {
  StaticHeap heap;
  std::vector<int, rtalloc::StdAllocator<int, StaticHeap>> numbers{
      rtalloc::StdAllocator<int, StaticHeap>(heap)};
  for (int i = 0; i < 1000; ++i) numbers.push_back(i);
  EXPECT_TRUE(StaticHeap::owns(numbers.data()));
  EXPECT_EQ(numbers[999], 999);
}

TEST(GlobalHeapTest, ThreadsShareTheGrowingHeap) {
  constexpr int thread_count = 4;
  constexpr int rounds = 20000;
  std::vector<std::thread> threads;
  std::vector<int> failures(thread_count, 0);
  for (int t = 0; t < thread_count; ++t) {
    threads.emplace_back([t, &failures] {
      std::vector<std::pair<unsigned char*, std::size_t>> mine;
      std::uint32_t state = 12345u + static_cast<std::uint32_t>(t);
      for (int i = 0; i < rounds; ++i) {
        state = state * 1664525u + 1013904223u;
        if ((state >> 16) % 3 != 0 || mine.empty()) {
          const std::size_t size = 1 + (state >> 8) % 4000;
          auto* p = static_cast<unsigned char*>(GrowingHeap::allocate(size));
          if (p == nullptr) {
            ++failures[static_cast<std::size_t>(t)];
            continue;
          }
          std::memset(p, t + 1, size);
          mine.emplace_back(p, size);
        } else {
          auto [p, size] = mine.back();
          mine.pop_back();
          if (p[0] != t + 1 || p[size - 1] != t + 1) ++failures[static_cast<std::size_t>(t)];
          GrowingHeap::deallocate(p);
        }
      }
      for (auto [p, size] : mine) GrowingHeap::deallocate(p);
    });
  }
  for (auto& thread : threads) thread.join();
  for (int failed : failures) EXPECT_EQ(failed, 0);
  EXPECT_TRUE(GrowingHeap::with_heap([](auto& heap) { return heap.heap().check(); }));
}

}  // namespace
