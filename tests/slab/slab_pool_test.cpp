// SPDX-License-Identifier: MIT OR Apache-2.0
// rtalloc::SlabPool: layout, a single-threaded model test, exhaustion and
// refill, typed create/destroy, and a multi-threaded stress test in which
// every thread checks the contents of the slots it holds.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <rtalloc/pools/slab_pool.hpp>
#include <set>
#include <thread>
#include <vector>

namespace {

struct Message {
  std::uint64_t sequence;
  std::uint32_t words[5];
};

template <class Pool>
class SlabPoolTest : public ::testing::Test {};

using Pools =
    ::testing::Types<rtalloc::SlabPool<Message>, rtalloc::SlabPool<Message, std::uint32_t>,
                     rtalloc::SlabPool<std::uint8_t>, rtalloc::SlabPool<long double>>;
TYPED_TEST_SUITE(SlabPoolTest, Pools);

template <class Pool>
std::size_t expected_capacity(std::size_t usable) {
  return std::min(usable / (Pool::slot_size + 4), Pool::max_capacity);
}

TYPED_TEST(SlabPoolTest, CapacityFillsTheBlock) {
  using Pool = TypeParam;
  using T = typename Pool::value_type;
  auto memory = std::make_unique<std::byte[]>(8192 + 64);
  for (std::size_t offset : {0U, 1U, 3U, 8U, 13U}) {
    for (std::size_t bytes : {0U, 7U, 64U, 100U, 1000U, 4096U, 8191U}) {
      Pool pool(memory.get() + offset, bytes);
      const std::size_t capacity = pool.capacity();
      EXPECT_EQ(pool.available(), capacity);
      EXPECT_LE(capacity, expected_capacity<Pool>(bytes)) << offset << " " << bytes;
      // Alignment padding costs at most two slots' worth.
      if (bytes > Pool::control_bytes + 64) {
        EXPECT_GE(capacity + 2, expected_capacity<Pool>(bytes - Pool::control_bytes))
            << offset << " " << bytes;
      }
      std::vector<T*> slots;
      while (T* p = pool.allocate()) {
        ASSERT_EQ(reinterpret_cast<std::uintptr_t>(p) % alignof(T), 0U);
        ASSERT_GE(reinterpret_cast<std::byte*>(p), memory.get() + offset);
        ASSERT_LE(reinterpret_cast<std::byte*>(p) + sizeof(T), memory.get() + offset + bytes);
        slots.push_back(p);
      }
      EXPECT_EQ(slots.size(), capacity);
      EXPECT_EQ(pool.available(), 0U);
    }
  }
}

TYPED_TEST(SlabPoolTest, RandomSequenceMatchesModel) {
  using Pool = TypeParam;
  using T = typename Pool::value_type;
  auto memory = std::make_unique<std::byte[]>(4096);
  Pool pool(memory.get(), 4096);
  ASSERT_GT(pool.capacity(), 10U);
  std::set<T*> live;
  std::vector<T*> order;
  std::mt19937 random(7);
  for (int step = 0; step < 100000; ++step) {
    if (random() % 2 == 0) {
      T* p = pool.allocate();
      if (live.size() == pool.capacity()) {
        ASSERT_EQ(p, nullptr);  // exhausted
        continue;
      }
      ASSERT_NE(p, nullptr);
      ASSERT_TRUE(pool.owns(p));
      ASSERT_TRUE(live.insert(p).second) << "slot handed out twice";
      std::memset(static_cast<void*>(p), static_cast<int>(order.size() & 0xff), sizeof(T));
      order.push_back(p);
    } else if (!order.empty()) {
      const std::size_t victim = random() % order.size();
      T* p = order[victim];
      order[victim] = order.back();
      order.pop_back();
      live.erase(p);
      pool.deallocate(p);
    }
    ASSERT_EQ(pool.available(), pool.capacity() - live.size());
  }
}

TYPED_TEST(SlabPoolTest, ForeignPointersAreIgnored) {
  using Pool = TypeParam;
  using T = typename Pool::value_type;
  auto memory = std::make_unique<std::byte[]>(1024);
  Pool pool(memory.get(), 1024);
  T* p = pool.allocate();
  ASSERT_NE(p, nullptr);
  const std::size_t available = pool.available();
  T outside{};
  EXPECT_FALSE(pool.deallocate(&outside));
  EXPECT_FALSE(pool.deallocate(nullptr));
  if (Pool::slot_size > 1) {
    EXPECT_FALSE(pool.deallocate(reinterpret_cast<T*>(reinterpret_cast<std::byte*>(p) + 1)));
  }
  T* never_allocated = pool.allocate();
  ASSERT_NE(never_allocated, nullptr);
  ASSERT_TRUE(pool.deallocate(never_allocated));
  EXPECT_FALSE(pool.deallocate(never_allocated));  // double free: refused
  EXPECT_EQ(pool.available(), available);
  EXPECT_FALSE(pool.owns(&outside));
  EXPECT_TRUE(pool.deallocate(p));
  EXPECT_FALSE(pool.deallocate(p));
  EXPECT_EQ(pool.available(), available + 1);
  // The free list holds every slot once: no slot is handed out twice.
  std::set<T*> all;
  while (T* q = pool.allocate()) ASSERT_TRUE(all.insert(q).second);
  EXPECT_EQ(all.size(), pool.capacity());
}

TEST(SlabPool, DoubleFreeFromTwoThreadsSucceedsOnce) {
  alignas(Message) std::byte memory[4096];
  rtalloc::SlabPool<Message> pool(memory, sizeof memory);
  for (int round = 0; round < 500; ++round) {
    Message* m = pool.allocate();
    ASSERT_NE(m, nullptr);
    std::atomic<int> successes{0};
    std::atomic<bool> go{false};
    auto free_it = [&] {
      while (!go.load()) {
      }
      if (pool.deallocate(m)) successes.fetch_add(1);
    };
    std::thread a(free_it), b(free_it);
    go.store(true);
    a.join();
    b.join();
    ASSERT_EQ(successes.load(), 1) << "round " << round;
    ASSERT_EQ(pool.available(), pool.capacity());
  }
}

TEST(SlabPool, EmptyPoolsRefuse) {
  rtalloc::SlabPool<Message> none;
  EXPECT_EQ(none.capacity(), 0U);
  EXPECT_EQ(none.allocate(), nullptr);
  rtalloc::SlabPool<Message> null_memory(nullptr, 4096);
  EXPECT_EQ(null_memory.allocate(), nullptr);
  std::byte tiny[8];
  rtalloc::SlabPool<Message> too_small(tiny, sizeof tiny);
  EXPECT_EQ(too_small.capacity(), 0U);
  EXPECT_EQ(too_small.allocate(), nullptr);
}

TEST(SlabPool, CreateConstructsAndDestroyDestructs) {
  struct Counted {
    explicit Counted(int* counter, int value) : counter_(counter), value_(value) { ++*counter_; }
    ~Counted() { --*counter_; }
    int* counter_;
    int value_;
  };
  alignas(Counted) std::byte memory[512];
  rtalloc::SlabPool<Counted> pool(memory, sizeof memory);
  int alive = 0;
  std::vector<Counted*> objects;
  while (Counted* c = pool.create(&alive, static_cast<int>(objects.size()))) objects.push_back(c);
  EXPECT_EQ(static_cast<std::size_t>(alive), pool.capacity());
  EXPECT_EQ(objects.back()->value_, static_cast<int>(objects.size()) - 1);
  for (Counted* c : objects) EXPECT_TRUE(pool.destroy(c));
  EXPECT_EQ(alive, 0);
  EXPECT_FALSE(pool.destroy(objects.front()));  // destroyed twice: refused, no destructor run
  EXPECT_EQ(alive, 0);
  EXPECT_EQ(pool.available(), pool.capacity());
}

// Every thread keeps a window of slots, writes its id and a sequence number
// into each, and checks them before giving the slot back: a slot handed to
// two threads at once, or a lost write, shows up as a wrong pattern.
template <class Pool>
void stress(int thread_count, int operations_per_thread) {
  constexpr std::size_t slots = 256;
  auto memory = std::make_unique<std::byte[]>(Pool::control_bytes + slots * (Pool::slot_size + 4) +
                                              2 * alignof(Message));
  Pool pool(memory.get(),
            Pool::control_bytes + slots * (Pool::slot_size + 4) + 2 * alignof(Message));
  ASSERT_GE(pool.capacity(), slots);
  std::atomic<int> errors{0};
  std::atomic<bool> start{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < thread_count; ++t) {
    threads.emplace_back([&, t] {
      while (!start.load()) {
      }
      std::vector<Message*> held;
      std::mt19937 random(static_cast<unsigned>(t) + 1);
      std::uint64_t sequence = 0;
      for (int op = 0; op < operations_per_thread; ++op) {
        if (held.size() < 16 && (held.empty() || random() % 2 == 0)) {
          Message* m = pool.allocate();
          if (m == nullptr) continue;  // the others hold every slot right now
          m->sequence = (static_cast<std::uint64_t>(t) << 48) | ++sequence;
          for (std::uint32_t& word : m->words) word = static_cast<std::uint32_t>(m->sequence);
          held.push_back(m);
        } else {
          const std::size_t victim = random() % held.size();
          Message* m = held[victim];
          if ((m->sequence >> 48) != static_cast<std::uint64_t>(t)) ++errors;
          for (std::uint32_t word : m->words) {
            if (word != static_cast<std::uint32_t>(m->sequence)) ++errors;
          }
          held[victim] = held.back();
          held.pop_back();
          pool.deallocate(m);
        }
      }
      for (Message* m : held) pool.deallocate(m);
    });
  }
  start.store(true);
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(pool.available(), pool.capacity());
  // Every slot is on the free list exactly once.
  std::set<Message*> all;
  while (Message* m = pool.allocate()) ASSERT_TRUE(all.insert(m).second);
  EXPECT_EQ(all.size(), pool.capacity());
}

int stress_threads() { return static_cast<int>(std::max(4U, std::thread::hardware_concurrency())); }

TEST(SlabPoolStress, ThreadsNeverShareASlot) {
  stress<rtalloc::SlabPool<Message>>(stress_threads(), 500000);
}

TEST(SlabPoolStress, ThreadsNeverShareASlotWith32BitHead) {
  stress<rtalloc::SlabPool<Message, std::uint32_t>>(stress_threads(), 500000);
}

}  // namespace
