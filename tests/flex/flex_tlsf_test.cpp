// SPDX-License-Identifier: MIT OR Apache-2.0
// FlexTlsf: growing on demand, extending in place, pools from sources that
// cannot grow, running out, giving memory back (release, trim, discard),
// and a random sequence checked against a model.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory_resource>
#include <random>
#include <rtalloc/flex_tlsf.hpp>
#include <rtalloc/hosted/os_pages.hpp>
#include <rtalloc/hosted/pmr.hpp>
#include <rtalloc/small_objects.hpp>
#include <rtalloc/sources/fixed_region.hpp>
#include <utility>
#include <vector>

#include "../tlsf/tlsf_test_support.hpp"

namespace {

using rtalloc::BlockInfo;
using rtalloc::ErrorCode;
using rtalloc::FlexTlsf;
using rtalloc::Region;
using rtalloc::test::fill_pattern;
using rtalloc::test::pattern_intact;

constexpr std::size_t page = 4096;

// A source over one arena, handing out regions in address order, so that
// grow() can extend the newest region; it keeps count of every call and
// fills what it discards with a pattern, so damage to the heap shows.
class ArenaSource {
 public:
  struct Counts {
    std::size_t acquired = 0;
    std::size_t grown = 0;
    std::size_t released = 0;
    std::size_t discard_calls = 0;
    std::size_t outstanding = 0;  // bytes handed out and not released
    std::vector<std::pair<std::byte*, std::size_t>> discarded;
  };

  ArenaSource(std::size_t arena_bytes, std::size_t step, bool can_grow, Counts* counts)
      : arena_(std::make_shared<rtalloc::test::PoolMemory>(arena_bytes, page)),
        step_(step),
        can_grow_(can_grow),
        counts_(counts) {}

  Region acquire(std::size_t min_bytes) noexcept {
    const std::size_t bytes = round(std::max(min_bytes, step_));
    // A gap between regions, so that a source that cannot grow never hands
    // out adjacent regions by accident.
    const std::size_t gap = can_grow_ ? 0 : page;
    if (top_ + gap + bytes > arena_->size()) return {};
    top_ += gap;
    Region region{arena_->data() + top_, bytes};
    top_ += bytes;
    ++counts_->acquired;
    counts_->outstanding += bytes;
    return region;
  }

  std::size_t grow(Region region, std::size_t min_bytes) noexcept {
    if (!can_grow_) return 0;
    if (static_cast<std::byte*>(region.memory) + region.bytes != arena_->data() + top_) return 0;
    const std::size_t bytes = round(std::max(min_bytes, step_));
    if (top_ + bytes > arena_->size()) return 0;
    top_ += bytes;
    ++counts_->grown;
    counts_->outstanding += bytes;
    return bytes;
  }

  void release(Region region) noexcept {
    ++counts_->released;
    counts_->outstanding -= region.bytes;
  }

  std::size_t discard(void* memory, std::size_t bytes) noexcept {
    const auto start = reinterpret_cast<std::uintptr_t>(memory);
    const std::uintptr_t first = (start + page - 1) / page * page;
    const std::uintptr_t last = (start + bytes) / page * page;
    ++counts_->discard_calls;
    if (last <= first) return 0;
    auto* from = reinterpret_cast<std::byte*>(first);
    std::memset(from, 0xD5, last - first);
    counts_->discarded.emplace_back(from, last - first);
    return last - first;
  }

 private:
  static std::size_t round(std::size_t bytes) { return (bytes + page - 1) / page * page; }

  std::shared_ptr<rtalloc::test::PoolMemory> arena_;
  std::size_t top_ = 0;
  std::size_t step_;
  bool can_grow_;
  Counts* counts_;
};

static_assert(rtalloc::growable_pool_source<ArenaSource>);
static_assert(rtalloc::discarding_pool_source<ArenaSource>);
static_assert(rtalloc::pool_source<rtalloc::FixedRegion>);
static_assert(!rtalloc::growable_pool_source<rtalloc::FixedRegion>);
static_assert(rtalloc::growable_pool_source<rtalloc::OsPages>);
static_assert(rtalloc::discarding_pool_source<rtalloc::OsPages>);
static_assert(rtalloc::pool_source<rtalloc::ResourceSource>);

using Heap = FlexTlsf<ArenaSource>;

class FlexTlsfTest : public rtalloc::test::ErrorRecordingTest {
 protected:
  Heap make_heap(std::size_t arena, std::size_t step, bool can_grow) {
    return Heap(ArenaSource(arena, step, can_grow, &counts));
  }

  template <class AnyHeap>
  ::testing::AssertionResult healthy(const AnyHeap& heap) {
    if (!heap.heap().check()) return ::testing::AssertionFailure() << "check() failed";
    return ::testing::AssertionSuccess();
  }

  ArenaSource::Counts counts;
};

TEST_F(FlexTlsfTest, StartsEmptyAndGrowsOnTheFirstAllocation) {
  Heap heap = make_heap(1 << 20, 16 * page, true);
  EXPECT_EQ(heap.stats().held, 0U);
  void* p = heap.allocate(100);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(counts.acquired, 1U);
  EXPECT_EQ(heap.stats().held, 16 * page);
  EXPECT_EQ(heap.stats().region_count, 1U);
  heap.deallocate(p);
  EXPECT_TRUE(healthy(heap));
}

TEST_F(FlexTlsfTest, ReserveAddsMemoryAheadOfNeed) {
  Heap heap = make_heap(1 << 20, page, false);
  ASSERT_TRUE(heap.reserve(100000));
  EXPECT_EQ(counts.acquired, 1U);
  EXPECT_GE(heap.stats().heap.largest_free, 100000U);
  void* p = heap.allocate(90000);  // served from the reserve: no second region
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(counts.acquired, 1U);
  EXPECT_FALSE(heap.reserve(2 << 20));  // more than the arena holds
  EXPECT_FALSE(heap.reserve(SIZE_MAX));
  heap.deallocate(p);
  EXPECT_TRUE(healthy(heap));
}

TEST_F(FlexTlsfTest, ExtendsTheNewestRegionInPlaceSoTheHeapStaysOnePool) {
  Heap heap = make_heap(8 << 20, 4 * page, true);
  std::vector<std::pair<void*, std::size_t>> blocks;
  for (std::size_t i = 0; i < 400; ++i) {
    const std::size_t size = 1 + (i * 7919) % 9000;
    void* p = heap.allocate(size);
    ASSERT_NE(p, nullptr) << "allocation " << i;
    fill_pattern(p, size, i);
    blocks.emplace_back(p, size);
  }
  EXPECT_EQ(counts.acquired, 1U);
  EXPECT_GT(counts.grown, 10U);
  EXPECT_EQ(heap.stats().heap.pool_count, 1U);
  EXPECT_EQ(heap.stats().growths, counts.acquired + counts.grown);
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    EXPECT_TRUE(pattern_intact(blocks[i].first, blocks[i].second, i));
  }
  EXPECT_TRUE(healthy(heap));
}

TEST_F(FlexTlsfTest, AddsOnePoolPerRegionWhenTheSourceCannotGrow) {
  Heap heap = make_heap(8 << 20, 4 * page, false);
  for (std::size_t i = 0; i < 100; ++i) ASSERT_NE(heap.allocate(3000), nullptr);
  EXPECT_GT(counts.acquired, 10U);
  EXPECT_EQ(counts.grown, 0U);
  EXPECT_EQ(heap.stats().heap.pool_count, counts.acquired);
  EXPECT_EQ(heap.stats().region_count, counts.acquired);
  EXPECT_TRUE(healthy(heap));
}

TEST_F(FlexTlsfTest, ServesRequestsLargerThanTheStep) {
  Heap heap = make_heap(16 << 20, page, true);
  void* big = heap.allocate(3 << 20);
  ASSERT_NE(big, nullptr);
  fill_pattern(big, 3 << 20, 1);
  void* aligned = heap.allocate(100000, 1 << 16);
  ASSERT_NE(aligned, nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(aligned) % (1 << 16), 0U);
  EXPECT_TRUE(pattern_intact(big, 3 << 20, 1));
  EXPECT_TRUE(healthy(heap));
}

TEST_F(FlexTlsfTest, ReallocateGrowsTheHeapWhenTheBlockMustMove) {
  Heap heap = make_heap(16 << 20, page, false);
  void* p = heap.allocate(1000);
  ASSERT_NE(p, nullptr);
  fill_pattern(p, 1000, 7);
  void* blocker = heap.allocate(100);  // keeps the block from growing in place
  ASSERT_NE(blocker, nullptr);
  const std::size_t regions = counts.acquired;
  void* moved = heap.reallocate(p, 200000);
  ASSERT_NE(moved, nullptr);
  EXPECT_GT(counts.acquired, regions);
  EXPECT_TRUE(pattern_intact(moved, 1000, 7));
  EXPECT_TRUE(healthy(heap));
}

TEST_F(FlexTlsfTest, ReallocateOfNullAllocatesAndGrowsTheHeap) {
  Heap heap = make_heap(16 << 20, page, false);
  void* p = heap.reallocate(nullptr, 100000);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(counts.acquired, 1U);
  fill_pattern(p, 100000, 5);
  void* q = heap.reallocate(nullptr, 200000);  // does not fit the first region
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(counts.acquired, 2U);
  EXPECT_TRUE(pattern_intact(p, 100000, 5));
  EXPECT_TRUE(healthy(heap));
}

TEST_F(FlexTlsfTest, ReallocateKeepsAnAlignmentWhenItGrowsTheHeap) {
  Heap heap = make_heap(16 << 20, page, false);
  void* p = heap.allocate(500, 4096);
  ASSERT_NE(p, nullptr);
  fill_pattern(p, 500, 3);
  void* moved = heap.reallocate(p, 300000);
  ASSERT_NE(moved, nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(moved) % 4096, 0U);
  EXPECT_TRUE(pattern_intact(moved, 500, 3));
  EXPECT_TRUE(healthy(heap));
}

TEST_F(FlexTlsfTest, ReturnsNullWhenTheSourceRunsOutAndKeepsWorking) {
  Heap heap = make_heap(1 << 20, 16 * page, true);
  std::vector<void*> blocks;
  while (void* p = heap.allocate(10000)) blocks.push_back(p);
  EXPECT_GT(blocks.size(), 80U);
  EXPECT_EQ(heap.allocate(10000), nullptr);
  EXPECT_EQ(heap.reallocate(blocks.front(), 2 << 20), nullptr);  // p stays valid
  EXPECT_EQ(heap.usable_size(blocks.front()) >= 10000, true);
  EXPECT_TRUE(healthy(heap));
  heap.deallocate(blocks.back());
  blocks.pop_back();
  EXPECT_NE(heap.allocate(10000), nullptr);
  EXPECT_TRUE(healthy(heap));
}

TEST_F(FlexTlsfTest, RefusesImpossibleRequestsWithoutAskingTheSource) {
  Heap heap = make_heap(1 << 20, page, true);
  EXPECT_EQ(heap.allocate(SIZE_MAX), nullptr);
  EXPECT_EQ(heap.allocate(SIZE_MAX / 2, 64), nullptr);
  EXPECT_EQ(counts.acquired, 0U);
  EXPECT_EQ(heap.allocate(10, 3), nullptr);
  EXPECT_TRUE(took_report(ErrorCode::invalid_alignment));
  EXPECT_EQ(counts.acquired, 0U);
}

TEST_F(FlexTlsfTest, ABadPointerIsReportedOnceAndDoesNotGrowTheHeap) {
  Heap heap = make_heap(1 << 20, page, true);
  void* p = heap.allocate(100);
  void* keep = heap.allocate(100);
  heap.deallocate(p);
  const std::size_t growths = heap.stats().growths;
  EXPECT_EQ(heap.reallocate(p, 100000), nullptr);
  EXPECT_TRUE(took_report(ErrorCode::double_free));
  EXPECT_EQ(heap.stats().growths, growths);
  heap.deallocate(keep);
  EXPECT_TRUE(healthy(heap));
}

// A pointer the heap never handed out, at the start of a page whose predecessor is not mapped:
// reading the word before it, where a block's header would be, faults. Checked builds must see
// that the pointer is foreign before they read anything there.
TEST_F(FlexTlsfTest, AForeignPointerIsReportedBeforeItsHeaderIsRead) {
  if (!rtalloc::checks_enabled) GTEST_SKIP() << "release builds do not detect foreign pointers";
  const std::size_t page_bytes = rtalloc::OsPages::page_size();
  void* pages =
      mmap(nullptr, 2 * page_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(pages, MAP_FAILED);
  ASSERT_EQ(mprotect(pages, page_bytes, PROT_NONE), 0);
  void* foreign = static_cast<std::byte*>(pages) + page_bytes;
  Heap heap = make_heap(1 << 20, page, true);
  void* keep = heap.allocate(100);
  heap.deallocate(foreign);
  EXPECT_TRUE(took_report(ErrorCode::invalid_pointer));
  EXPECT_EQ(heap.usable_size(foreign), 0U);
  EXPECT_TRUE(took_report(ErrorCode::invalid_pointer));
  EXPECT_EQ(heap.reallocate(foreign, 10), nullptr);
  EXPECT_TRUE(took_report(ErrorCode::invalid_pointer));
  heap.deallocate(keep);
  EXPECT_TRUE(healthy(heap));
  munmap(pages, 2 * page_bytes);
}

TEST_F(FlexTlsfTest, GivesEveryRegionBackWhenDestroyed) {
  {
    Heap heap = make_heap(8 << 20, 4 * page, false);
    for (int i = 0; i < 50; ++i) ASSERT_NE(heap.allocate(5000), nullptr);
    EXPECT_GT(counts.outstanding, 0U);
  }
  EXPECT_EQ(counts.released, counts.acquired);
  EXPECT_EQ(counts.outstanding, 0U);
}

TEST_F(FlexTlsfTest, TrimReleasesFreeRegionsButTheNewest) {
  Heap heap = make_heap(8 << 20, 4 * page, false);
  std::vector<void*> blocks;
  for (int i = 0; i < 40; ++i) blocks.push_back(heap.allocate(12000));
  void* kept = blocks[5];
  const std::size_t regions = heap.stats().region_count;
  ASSERT_GT(regions, 5U);
  for (void* p : blocks) {
    if (p != kept) heap.deallocate(p);
  }
  const std::size_t given_back = heap.trim();
  EXPECT_GT(given_back, 0U);
  EXPECT_EQ(heap.stats().region_count, 2U);  // the newest, and the one holding `kept`
  EXPECT_EQ(counts.released, regions - 2);
  EXPECT_EQ(heap.stats().held, counts.outstanding);
  EXPECT_TRUE(healthy(heap));
  EXPECT_TRUE(heap.owns(kept));
  heap.deallocate(kept);
}

TEST_F(FlexTlsfTest, TrimDiscardsWholePagesInsideFreeBlocksOnly) {
  Heap heap = make_heap(8 << 20, 64 * page, true);
  std::vector<std::pair<void*, std::size_t>> live;
  std::vector<void*> freed;
  for (std::size_t i = 0; i < 60; ++i) {
    const std::size_t size = 100 + i * 1500;
    void* p = heap.allocate(size);
    ASSERT_NE(p, nullptr);
    fill_pattern(p, size, i);
    if (i % 3 == 0) {
      live.emplace_back(p, size);
    } else {
      freed.push_back(p);
    }
  }
  for (void* p : freed) heap.deallocate(p);
  EXPECT_GT(heap.trim(), 0U);
  ASSERT_FALSE(counts.discarded.empty());
  // Every discarded range lies inside a free block's payload.
  for (const auto& range : counts.discarded) {
    const std::byte* start = range.first;
    const std::size_t bytes = range.second;
    bool inside_free_block = false;
    heap.heap().walk([&](const BlockInfo& block) {
      const auto* payload = static_cast<const std::byte*>(block.address);
      if (!block.used && start >= payload && start + bytes <= payload + block.size) {
        inside_free_block = true;
      }
    });
    EXPECT_TRUE(inside_free_block) << static_cast<const void*>(start);
  }
  for (std::size_t i = 0; i < live.size(); ++i) {
    EXPECT_TRUE(pattern_intact(live[i].first, live[i].second, i * 3));
  }
  EXPECT_TRUE(healthy(heap));
  // The discarded memory is used again as usual.
  for (int i = 0; i < 20; ++i) ASSERT_NE(heap.allocate(20000), nullptr);
  EXPECT_TRUE(healthy(heap));
}

TEST_F(FlexTlsfTest, AutoDiscardRunsOnFreesAboveTheThresholdOnly) {
  Heap heap = make_heap(8 << 20, 64 * page, true);
  heap.set_auto_discard(64 * 1024);
  void* small = heap.allocate(1000);
  void* large = heap.allocate(200000);
  void* after = heap.allocate(1000);
  fill_pattern(small, 1000, 1);
  fill_pattern(after, 1000, 2);
  heap.deallocate(small);
  EXPECT_EQ(counts.discard_calls, 0U);
  heap.deallocate(large);
  EXPECT_EQ(counts.discard_calls, 1U);
  ASSERT_EQ(counts.discarded.size(), 1U);
  EXPECT_GE(counts.discarded[0].second, 200000 - 2 * page);
  EXPECT_TRUE(pattern_intact(after, 1000, 2));
  EXPECT_TRUE(healthy(heap));
  // A large free that merges with free neighbours keeps the merged block sound.
  void* a = heap.allocate(150000);
  void* b = heap.allocate(150000);
  void* c = heap.allocate(150000);
  heap.deallocate(a);
  heap.deallocate(c);
  heap.deallocate(b);
  EXPECT_TRUE(healthy(heap));
  EXPECT_TRUE(pattern_intact(after, 1000, 2));
  heap.deallocate(after);
  EXPECT_TRUE(healthy(heap));
}

// The bytes the discarded ranges cover, each byte once.
std::size_t union_bytes(std::vector<std::pair<std::byte*, std::size_t>> ranges) {
  std::sort(ranges.begin(), ranges.end());
  std::size_t total = 0;
  std::byte* covered = nullptr;
  for (const auto& [from, bytes] : ranges) {
    std::byte* begin = covered != nullptr && from < covered ? covered : from;
    if (from + bytes > begin) total += static_cast<std::size_t>(from + bytes - begin);
    if (covered == nullptr || from + bytes > covered) covered = from + bytes;
  }
  return total;
}

// Blocks each below the threshold that add up, free, to a block above it
// give their pages back without trim(); every free makes at most one source
// call, over at most the freed block, the neighbours below the threshold
// and a page each side.
TEST_F(FlexTlsfTest, AutoDiscardGivesBackSmallFreesThatMergeIntoALargeFreeBlock) {
  constexpr std::size_t threshold = 64 * 1024;
  constexpr std::size_t count = 100;
  constexpr std::size_t size = 3000;
  Heap heap = make_heap(8 << 20, 64 * page, true);
  heap.set_auto_discard(threshold);
  std::vector<void*> blocks;
  for (std::size_t i = 0; i < count; ++i) blocks.push_back(heap.allocate(size));
  void* after = heap.allocate(size);  // keeps the freed run from merging with the rest
  for (std::size_t i = 0; i < count; ++i) fill_pattern(blocks[i], size, i + 1);
  fill_pattern(after, size, 1000);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t calls = counts.discard_calls;
    const std::size_t ranges = counts.discarded.size();
    heap.deallocate(blocks[i]);
    ASSERT_LE(counts.discard_calls, calls + 1) << i;
    if (counts.discarded.size() > ranges) {
      EXPECT_LE(counts.discarded.back().second, size + 64 + 2 * threshold + 2 * page) << i;
    }
    for (std::size_t j = i + 1; j < count; ++j) ASSERT_TRUE(pattern_intact(blocks[j], size, j + 1));
    ASSERT_TRUE(healthy(heap)) << i;
  }
  // The run is one free block of about count * size bytes: all of it but
  // its first and last page (and the words the heap keeps) is given back.
  EXPECT_GE(union_bytes(counts.discarded), count * size - 3 * page);
  EXPECT_TRUE(pattern_intact(after, size, 1000));
  // Used again, the memory is sound.
  void* again = heap.allocate(count * size / 2);
  ASSERT_NE(again, nullptr);
  fill_pattern(again, count * size / 2, 7);
  heap.deallocate(again);
  heap.deallocate(after);
  EXPECT_TRUE(healthy(heap));
}

// A free next to a free block that was already given back discards only
// the freed block's pages (and the pages it shares), not the neighbour again.
TEST_F(FlexTlsfTest, AutoDiscardNextToADiscardedFreeBlockCoversOnlyTheFreedBlock) {
  constexpr std::size_t threshold = 64 * 1024;
  Heap heap = make_heap(8 << 20, 64 * page, true);
  heap.set_auto_discard(threshold);
  void* large = heap.allocate(400000);
  void* small = heap.allocate(20000);
  void* after = heap.allocate(1000);
  heap.deallocate(large);  // one free block of 400 kB: given back
  ASSERT_EQ(counts.discarded.size(), 1U);
  EXPECT_GE(counts.discarded[0].second, 400000 - 2 * page);
  heap.deallocate(small);  // merges with it: only its own pages and those it shares
  ASSERT_EQ(counts.discarded.size(), 2U);
  EXPECT_LE(counts.discarded[1].second, 20000 + 2 * page);
  EXPECT_GE(counts.discarded[1].second, 20000 - 2 * page);
  heap.deallocate(after);
  EXPECT_TRUE(healthy(heap));
}

TEST_F(FlexTlsfTest, FixedRegionIsHandedOutOnce) {
  alignas(16) static std::byte memory[64 * 1024];
  FlexTlsf<rtalloc::FixedRegion> heap(rtalloc::FixedRegion(memory, sizeof memory));
  void* p = heap.allocate(1000);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(heap.owns(p));
  EXPECT_EQ(heap.stats().region_count, 1U);
  EXPECT_EQ(heap.allocate(100000), nullptr);
  EXPECT_EQ(heap.stats().region_count, 1U);
  heap.deallocate(p);
}

TEST_F(FlexTlsfTest, ResourceSourceTakesRegionsFromAMemoryResource) {
  std::pmr::unsynchronized_pool_resource upstream;
  FlexTlsf<rtalloc::ResourceSource> heap(rtalloc::ResourceSource(&upstream, 32 * 1024));
  std::vector<void*> blocks;
  for (int i = 0; i < 20; ++i) blocks.push_back(heap.allocate(10000));
  for (void* p : blocks) ASSERT_NE(p, nullptr);
  EXPECT_GT(heap.stats().region_count, 1U);
  EXPECT_TRUE(healthy(heap));
}

TEST_F(FlexTlsfTest, ResourceSourceAnswersBadAllocWithNoMemory) {
  FlexTlsf<rtalloc::ResourceSource> heap(
      rtalloc::ResourceSource(std::pmr::null_memory_resource(), 4096));
  EXPECT_EQ(heap.allocate(10), nullptr);
  EXPECT_EQ(heap.stats().region_count, 0U);
}

// Random allocate / aligned allocate / reallocate / free against a model of
// the live blocks, with contents and check() verified after every step, over
// a source that grows in place and one that cannot.
void run_random_sequence(bool can_grow, std::uint32_t seed) {
  ArenaSource::Counts counts;
  Heap heap(ArenaSource(32 << 20, 2 * page, can_grow, &counts));
  heap.set_auto_discard(32 * 1024);
  std::mt19937 engine(seed);
  auto random = [&engine] { return static_cast<std::uint32_t>(engine()); };
  struct Live {
    std::size_t size;
    std::uint64_t id;
  };
  std::map<void*, Live> live;
  std::uint64_t next_id = 1;
  auto random_size = [&] {
    const std::uint32_t kind = random() % 100;
    if (kind < 70) return std::size_t{1} + random() % 256;
    if (kind < 95) return std::size_t{1} + random() % 8192;
    return std::size_t{1} + random() % 200000;
  };
  for (int step = 0; step < 6000; ++step) {
    const std::uint32_t op = random() % 100;
    if (op < 45 || live.empty()) {
      const std::size_t size = random_size();
      const bool aligned = random() % 10 == 0;
      const std::size_t align = std::size_t{1} << (4 + random() % 9);
      void* p = aligned ? heap.allocate(size, align) : heap.allocate(size);
      ASSERT_NE(p, nullptr) << "step " << step;
      if (aligned) {
        ASSERT_EQ(reinterpret_cast<std::uintptr_t>(p) % align, 0U);
      }
      ASSERT_EQ(live.count(p), 0U);
      fill_pattern(p, size, next_id);
      live[p] = {size, next_id++};
    } else {
      auto it = live.begin();
      std::advance(it, static_cast<long>(random() % live.size()));
      ASSERT_TRUE(pattern_intact(it->first, it->second.size, it->second.id)) << "step " << step;
      if (op < 60) {
        const std::size_t size = random_size();
        void* moved = heap.reallocate(it->first, size);
        ASSERT_NE(moved, nullptr) << "step " << step;
        const Live old = it->second;
        live.erase(it);
        ASSERT_TRUE(pattern_intact(moved, std::min(size, old.size), old.id));
        fill_pattern(moved, size, next_id);
        live[moved] = {size, next_id++};
      } else {
        heap.deallocate(it->first);
        live.erase(it);
      }
    }
    ASSERT_TRUE(heap.heap().check()) << "step " << step;
    if (step % 1000 == 999) heap.trim();
  }
  for (const auto& [p, block] : live) {
    ASSERT_TRUE(pattern_intact(p, block.size, block.id));
    heap.deallocate(p);
  }
  EXPECT_EQ(heap.stats().heap.used_blocks, 0U);
  EXPECT_TRUE(heap.heap().check());
  if (can_grow) {
    EXPECT_EQ(heap.stats().heap.pool_count, 1U);
  }
}

TEST_F(FlexTlsfTest, RandomSequenceWithInPlaceGrowth) { run_random_sequence(true, 1); }
TEST_F(FlexTlsfTest, RandomSequenceWithSeparateRegions) { run_random_sequence(false, 2); }

// OsPages, the real source: regions from mmap, growth in place, discard.
TEST(OsPagesTest, AcquiresGrowsInPlaceDiscardsAndReleases) {
  rtalloc::OsPages pages(64 * 1024);
  const std::size_t page_bytes = rtalloc::OsPages::page_size();
  Region region = pages.acquire(1000);
  ASSERT_NE(region.memory, nullptr);
  EXPECT_EQ(region.bytes, 64U * 1024);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(region.memory) % page_bytes, 0U);
  std::memset(region.memory, 0x5A, region.bytes);
  const std::size_t added = pages.grow(region, 100000);
  ASSERT_GE(added, 100000U);
  EXPECT_EQ(added % page_bytes, 0U);
  region.bytes += added;
  auto* bytes = static_cast<unsigned char*>(region.memory);
  std::memset(bytes + region.bytes - added, 0x6B, added);
  EXPECT_EQ(pages.discard(bytes + 10, 3 * page_bytes), 2 * page_bytes);
  EXPECT_EQ(bytes[9], 0x5A);  // the partial pages at both ends are kept
  EXPECT_EQ(bytes[page_bytes], 0);
  EXPECT_EQ(bytes[3 * page_bytes - 1], 0);
  EXPECT_EQ(bytes[3 * page_bytes + 10], 0x5A);
  pages.release(region);
}

TEST(OsPagesTest, WithoutAReservationRegionsComeFromPlainMappings) {
  rtalloc::OsPages pages(4096, 0);
  Region a = pages.acquire(10000);
  ASSERT_NE(a.memory, nullptr);
  std::memset(a.memory, 1, a.bytes);
  pages.grow(a, 4096);  // may or may not succeed; must not overwrite a mapping
  Region b = pages.acquire(10000);
  ASSERT_NE(b.memory, nullptr);
  std::memset(b.memory, 2, b.bytes);
  EXPECT_EQ(static_cast<unsigned char*>(a.memory)[0], 1);
  pages.release(a);
  pages.release(b);
}

// Under an address-space limit below the default reservation (64 GiB on
// 64-bit hosts), OsPages reserves the largest half, quarter, ... that fits,
// so a FlexTlsf still grows in one contiguous pool with a slab window.
TEST(OsPagesTest, AReservationTheSystemRefusesShrinksUntilItFits) {
  if (sizeof(void*) < 8) GTEST_SKIP() << "the default reservation is small on 32-bit hosts";
  if (const char* preload = std::getenv("LD_PRELOAD");
      preload != nullptr && std::strstr(preload, "vgpreload") != nullptr) {
    GTEST_SKIP() << "under Valgrind, which keeps the address space (and its limit) to itself";
  }
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::size_t pages_now = 0;
    if (FILE* statm = std::fopen("/proc/self/statm", "r")) {
      if (std::fscanf(statm, "%zu", &pages_now) != 1) pages_now = 0;
      std::fclose(statm);
    }
    const rlim_t limit = pages_now * static_cast<rlim_t>(sysconf(_SC_PAGESIZE)) + (rlim_t{8} << 30);
    const rlimit as{limit, limit};
    if (pages_now == 0 || setrlimit(RLIMIT_AS, &as) != 0) _exit(3);
    rtalloc::OsPages pages;
    const Region reservation = pages.reservation();
    if (reservation.memory == nullptr) _exit(1);
    if (reservation.bytes >= rtalloc::OsPages::default_reservation) _exit(2);
    const Region region = pages.acquire(1 << 20);
    const bool inside = region.memory == reservation.memory;
    _exit(inside ? 0 : 4);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: no reservation; 2: the limit was ignored; 3: no "
                                       "limit could be set; 4: a region outside the reservation";
}

TEST(OsPagesTest, FlexTlsfOverOsPagesStaysOnePoolAndTrims) {
  FlexTlsf<rtalloc::OsPages> heap;
  std::vector<void*> blocks;
  for (std::size_t i = 0; i < 300; ++i) {
    void* p = heap.allocate((i % 50) * 4000 + 1);
    ASSERT_NE(p, nullptr);
    std::memset(p, static_cast<int>(i), (i % 50) * 4000 + 1);
    blocks.push_back(p);
  }
  // One pool when the address-space reservation succeeds (under Valgrind it
  // may not, and regions then come from separate mappings).
  EXPECT_EQ(heap.stats().heap.pool_count, heap.stats().region_count);
  for (std::size_t i = 0; i < blocks.size(); i += 2) heap.deallocate(blocks[i]);
  EXPECT_GT(heap.trim(), 0U);
  EXPECT_TRUE(heap.heap().check());
  for (std::size_t i = 1; i < blocks.size(); i += 2) {
    const auto* bytes = static_cast<const unsigned char*>(blocks[i]);
    ASSERT_EQ(bytes[(i % 50) * 4000], static_cast<unsigned char>(i));
    heap.deallocate(blocks[i]);
  }
  EXPECT_EQ(heap.stats().heap.used_blocks, 0U);
}

}  // namespace

namespace {

// With SmallObjects inside (the default), a small request that finds no
// room for a slab grows the heap by a slab rather than taking a block with a
// header: every small object of a growing heap is a slab object.
TEST(FlexTlsfSlabsTest, SmallRequestsGrowTheHeapBySlabsNotHeaderedBlocks) {
  FlexTlsf<rtalloc::OsPages> heap;
  std::vector<void*> objects;
  for (std::size_t i = 0; i < 200'000; ++i) {
    void* p = heap.allocate(8 + (i * 37) % 249);
    ASSERT_NE(p, nullptr);
    objects.push_back(p);
    if (i % 7 == 0) objects.push_back(heap.allocate(300 + i % 4000));  // Tlsf blocks between
  }
  std::size_t headered = 0;
  for (void* p : objects) {
    if (heap.usable_size(p) <= rtalloc::SmallObjects<>::max_small && !heap.heap().is_object(p)) {
      ++headered;
    }
  }
  EXPECT_EQ(headered, 0U);
  EXPECT_TRUE(heap.heap().check());
  for (void* p : objects) heap.deallocate(p);
  EXPECT_EQ(heap.stats().heap.used_blocks, 0U);
}

}  // namespace

namespace {

// A source without a reservation: only the first pool is the slab window and
// later pools lie elsewhere. Small requests there are Tlsf blocks, and a slab
// refused for lying outside the window never makes the heap grow.
TEST(FlexTlsfSlabsTest, PoolsOutsideTheWindowServeSmallRequestsWithoutGrowingTheHeap) {
  FlexTlsf<rtalloc::OsPages> heap(rtalloc::OsPages(std::size_t{1} << 20, 0));
  std::vector<void*> objects;
  std::size_t live = 0;
  for (std::size_t i = 0; i < 100'000; ++i) {
    const std::size_t size = 8 + (i * 37) % 249;
    void* p = heap.allocate(size);
    ASSERT_NE(p, nullptr);
    objects.push_back(p);
    live += size;
  }
  // Headers, granules and the first pool's partly used slabs: well under 2x.
  EXPECT_LT(heap.stats().held, 2 * live);
  EXPECT_TRUE(heap.heap().check());
  for (void* p : objects) heap.deallocate(p);
}

}  // namespace
