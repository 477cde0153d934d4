// SPDX-License-Identifier: MIT OR Apache-2.0
// rtalloc::ConcurrentHeap and rtalloc::RemoteFreeQueue: single-threaded
// contracts, and threads that allocate here and free there, exit with
// blocks live elsewhere, and adopt heaps (label concurrency, run under TSan).
#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <rtalloc/concurrent_heap.hpp>
#include <rtalloc/sync/remote_free_queue.hpp>
#include <thread>
#include <vector>

namespace {

constexpr std::size_t kHeaps = 4;
constexpr std::size_t kBytes = kHeaps * 1024 * 1024;
using Heap = rtalloc::ConcurrentHeap<rtalloc::FixedRegion, kHeaps, 16>;

struct Arena {
  Arena() : memory(new std::max_align_t[kBytes / sizeof(std::max_align_t)]) {
    heap = std::make_unique<Heap>();
    EXPECT_TRUE(heap->init(memory.get(), kBytes));
  }
  std::unique_ptr<std::max_align_t[]> memory;
  std::unique_ptr<Heap> heap;
};

// Drains every heap's queue, then expects each heap empty and sound.
void expect_every_heap_empty(Heap& heap) {
  for (std::size_t i = 0; i < kHeaps; ++i) {
    while (heap.drain(i, 16) != 0) {
    }
    EXPECT_EQ(heap.heap(i).stats().heap.used_blocks, 0u) << i;
    EXPECT_TRUE(heap.heap(i).heap().check());
  }
}

TEST(RemoteFreeQueue, PopsInPushOrderAndEmpties) {
  rtalloc::RemoteFreeQueue queue;
  alignas(void*) unsigned char blocks[8][sizeof(void*)];
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.pop(), nullptr);
  for (int round = 0; round < 3; ++round) {
    for (auto& block : blocks) queue.push(block);
    EXPECT_FALSE(queue.empty());
    for (auto& block : blocks) EXPECT_EQ(queue.pop(), static_cast<void*>(block));
    EXPECT_EQ(queue.pop(), nullptr);
    EXPECT_TRUE(queue.empty());
  }
}

// Every producer's blocks arrive exactly once, whatever the interleaving.
TEST(RemoteFreeQueue, ManyProducersEveryBlockOnce) {
  constexpr std::size_t kProducers = 3;
  constexpr std::size_t kEach = 20000;
  rtalloc::RemoteFreeQueue queue;
  std::vector<std::unique_ptr<void*[]>> blocks;
  for (std::size_t i = 0; i < kProducers; ++i) blocks.emplace_back(new void*[kEach]);
  std::vector<std::thread> producers;
  for (std::size_t t = 0; t < kProducers; ++t) {
    producers.emplace_back([&, t] {
      for (std::size_t i = 0; i < kEach; ++i) queue.push(&blocks[t][i]);
    });
  }
  std::vector<int> seen(kProducers * kEach, 0);
  int received = 0;
  while (static_cast<std::size_t>(received) < kProducers * kEach) {
    void* p = queue.pop();
    if (p == nullptr) {
      std::this_thread::yield();
      continue;
    }
    for (std::size_t t = 0; t < kProducers; ++t) {
      auto* base = &blocks[t][0];
      auto* q = static_cast<void**>(p);
      if (q >= base && q < base + kEach) ++seen[t * kEach + static_cast<std::size_t>(q - base)];
    }
    ++received;
  }
  for (auto& p : producers) p.join();
  EXPECT_EQ(queue.pop(), nullptr);
  for (int count : seen) ASSERT_EQ(count, 1);
}

TEST(ConcurrentHeap, InitRefusesTooLittleMemory) {
  Heap heap;
  alignas(64) static std::byte small[256];
  EXPECT_FALSE(heap.init(small, sizeof small));
  EXPECT_FALSE(heap.init(nullptr, kBytes));
}

TEST(ConcurrentHeap, OwnerIsTheSlice) {
  Arena arena;
  Heap& heap = *arena.heap;
  for (std::size_t i = 0; i < kHeaps; ++i) {
    void* p = heap.allocate(i, 100);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(heap.owner_of(p), i);
    EXPECT_GE(heap.usable_size(p), 100u);
    heap.deallocate(i, p);
  }
  int outside = 0;
  EXPECT_EQ(heap.owner_of(&outside), Heap::no_heap);
  EXPECT_EQ(heap.owner_of(nullptr), Heap::no_heap);
}

// The reports a test provokes: their count and the last one.
std::atomic<int> reports{0};
rtalloc::ErrorInfo last_report{};
void record_report(const rtalloc::ErrorInfo& info) noexcept {
  last_report = info;
  ++reports;
}

// A pointer no slice holds is reported as invalid_pointer in every build,
// by each operation that takes a block, and no heap changes.
TEST(ConcurrentHeap, APointerOutsideEverySliceIsReportedAndChangesNothing) {
  Arena arena;
  Heap& heap = *arena.heap;
  void* live = heap.allocate(1, 300);
  ASSERT_NE(live, nullptr);
  const rtalloc::ErrorHandler previous = rtalloc::set_error_handler(&record_report);
  alignas(16) static unsigned char outside[64];
  reports = 0;
  heap.deallocate(0, outside);
  EXPECT_EQ(reports.load(), 1);
  EXPECT_EQ(last_report.code, rtalloc::ErrorCode::invalid_pointer);
  EXPECT_EQ(last_report.address, static_cast<void*>(outside));
  heap.deallocate(1, outside);
  heap.deallocate_remote(outside);
  EXPECT_EQ(heap.reallocate(2, outside, 10), nullptr);
  EXPECT_EQ(reports.load(), 4);
  rtalloc::set_error_handler(previous);
  for (std::size_t i = 0; i < kHeaps; ++i) EXPECT_TRUE(heap.heap(i).heap().check()) << i;
  EXPECT_EQ(heap.heap(1).stats().heap.used_blocks, 1u);
  heap.deallocate(1, live);
  expect_every_heap_empty(heap);
}

TEST(ConcurrentHeap, ClaimTakesEachIndexOnceAndReleaseGivesItBack) {
  Arena arena;
  Heap& heap = *arena.heap;
  for (std::size_t i = 0; i < kHeaps; ++i) EXPECT_EQ(heap.claim(), i);
  EXPECT_EQ(heap.claim(), Heap::no_heap);
  heap.release(2);
  EXPECT_EQ(heap.claim(), 2u);
}

// A remote free is queued to the owner and reused once the owner drains.
TEST(ConcurrentHeap, RemoteFreeIsDrainedByTheOwner) {
  Arena arena;
  Heap& heap = *arena.heap;
  std::vector<void*> blocks;
  for (int i = 0; i < 100; ++i) blocks.push_back(heap.allocate(0, 64));
  const std::size_t used = heap.heap(0).stats().heap.used_blocks;
  for (void* p : blocks) heap.deallocate(1, p);
  EXPECT_EQ(heap.heap(0).stats().heap.used_blocks, used);  // queued, not yet freed
  // Each operation drains at most drain_limit.
  void* p = heap.allocate(0, 64);
  EXPECT_EQ(heap.heap(0).stats().heap.used_blocks, used - Heap::drain_limit + 1);
  heap.deallocate(0, p);
  while (heap.drain(0, Heap::drain_limit) != 0) {
  }
  EXPECT_EQ(heap.heap(0).stats().heap.used_blocks, 0u);
  EXPECT_TRUE(heap.heap(0).heap().check());
}

TEST(ConcurrentHeap, ReallocateAcrossHeapsMovesAndKeepsContents) {
  Arena arena;
  Heap& heap = *arena.heap;
  auto* p = static_cast<unsigned char*>(heap.allocate(0, 50));
  for (int i = 0; i < 50; ++i) p[i] = static_cast<unsigned char>(i);
  auto* q = static_cast<unsigned char*>(heap.reallocate(1, p, 500));
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(heap.owner_of(q), 1u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(q[i], i);
  heap.deallocate(1, q);
  heap.drain(0, 16);
  EXPECT_EQ(heap.heap(0).stats().heap.used_blocks, 0u);
}

// Random single-heap sequence checked against a shadow of live blocks.
TEST(ConcurrentHeap, RandomSequenceKeepsEveryBlock) {
  Arena arena;
  Heap& heap = *arena.heap;
  std::mt19937 random(16);
  struct Live {
    unsigned char* p;
    std::size_t size;
    unsigned char fill;
  };
  std::vector<Live> live;
  for (int step = 0; step < 20000; ++step) {
    const std::size_t who = random() % kHeaps;
    if (live.empty() || random() % 2 == 0) {
      const std::size_t size = 1 + random() % 2000;
      auto* p = static_cast<unsigned char*>(heap.allocate(who, size));
      if (p == nullptr) continue;
      const auto fill = static_cast<unsigned char>(random());
      std::memset(p, fill, size);
      live.push_back({p, size, fill});
    } else {
      const std::size_t k = random() % live.size();
      for (std::size_t i = 0; i < live[k].size; ++i) ASSERT_EQ(live[k].p[i], live[k].fill);
      heap.deallocate(who, live[k].p);
      live[k] = live.back();
      live.pop_back();
    }
  }
  for (const Live& block : live) heap.deallocate(0, block.p);
  expect_every_heap_empty(heap);
}

// Threads allocate, hand blocks to the next thread, which checks their
// contents and frees them (remote frees); every heap ends empty.
TEST(ConcurrentHeap, AllocateHereFreeThereKeepsContents) {
  Arena arena;
  Heap& heap = *arena.heap;
  constexpr std::size_t kThreads = 3;
  constexpr int kBlocks = 1500;
  struct Mailbox {
    std::atomic<unsigned char*> slot[kBlocks];
  };
  auto boxes = std::make_unique<Mailbox[]>(kThreads);
  for (std::size_t t = 0; t < kThreads; ++t)
    for (auto& s : boxes[t].slot) s.store(nullptr);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::size_t me = heap.claim();
      ASSERT_NE(me, Heap::no_heap);
      Mailbox& out = boxes[(t + 1) % kThreads];
      Mailbox& in = boxes[t];
      int received = 0;
      for (int i = 0; i < kBlocks || received < kBlocks; ++i) {
        if (i < kBlocks) {
          const std::size_t size = 8 + static_cast<std::size_t>(i * 37 % 400);
          auto* p = static_cast<unsigned char*>(heap.allocate(me, size));
          ASSERT_NE(p, nullptr);
          std::memset(p, static_cast<unsigned char>(i), size);
          p[0] = static_cast<unsigned char>(size & 0xff);
          p[1] = static_cast<unsigned char>(size >> 8);
          out.slot[i].store(p, std::memory_order_release);
        }
        while (received < kBlocks) {
          unsigned char* q = in.slot[received].load(std::memory_order_acquire);
          if (q == nullptr) break;
          const std::size_t size = q[0] | static_cast<std::size_t>(q[1]) << 8;
          for (std::size_t b = 2; b < size; ++b)
            ASSERT_EQ(q[b], static_cast<unsigned char>(received));
          heap.deallocate(me, q);
          ++received;
        }
        if (i >= kBlocks) std::this_thread::yield();
      }
      heap.release(me);
    });
  }
  for (auto& thread : threads) thread.join();
  expect_every_heap_empty(heap);
}

// A thread exits with its blocks live elsewhere; they are freed later into
// its released heap, and a new thread adopts the heap and reuses them.
TEST(ConcurrentHeap, ExitWithBlocksLiveElsewhereThenAdoption) {
  Arena arena;
  Heap& heap = *arena.heap;
  std::vector<void*> blocks(1000);
  const std::size_t mine = heap.claim();
  std::size_t first = Heap::no_heap;
  std::thread([&] {
    first = heap.claim();
    for (auto& p : blocks) p = heap.allocate(first, 48);
    heap.release(first);  // exits, its blocks live here
  }).join();
  ASSERT_NE(first, mine);
  const std::size_t used = heap.heap(first).stats().heap.used_blocks;
  EXPECT_GT(used, 0u);
  for (void* p : blocks) heap.deallocate(mine, p);  // queued to the released heap
  EXPECT_EQ(heap.heap(first).stats().heap.used_blocks, used);
  std::thread([&] {
    const std::size_t me = heap.claim();
    EXPECT_EQ(me, first);  // the lowest free index: the old heap, adopted
    for (int i = 0; i < 100; ++i) heap.deallocate(me, heap.allocate(me, 48));
    heap.release(me);  // drains the rest
  }).join();
  EXPECT_EQ(heap.heap(first).stats().heap.used_blocks, 0u);
  EXPECT_TRUE(heap.heap(first).heap().check());
}

}  // namespace
