// SPDX-License-Identifier: MIT OR Apache-2.0
// Every public operation of OffsetHeap, its contract and its answer to bad
// input, one test per promise: the memory per allocation, handles that stay
// stale, alignment, resizing in place, ranges, the free-space questions,
// walk(), and check() on a damaged heap.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <ostream>
#include <random>
#include <rtalloc/offset_heap.hpp>
#include <type_traits>
#include <vector>

namespace rtalloc {

inline void PrintTo(OffsetError error, std::ostream* out) { *out << to_string(error); }
inline void PrintTo(ErrorCode code, std::ostream* out) { *out << to_string(code); }

}  // namespace rtalloc

namespace rtalloc::test {
namespace {

constexpr std::uint64_t GiB = std::uint64_t{1} << 30;

// Constant-initialized: usable before any constructor runs.
constinit OffsetHeap<64> static_heap;

static_assert(OffsetHeap<>::record_bytes == 16, "the memory per allocation documented");
static_assert(std::is_nothrow_default_constructible_v<OffsetHeap<8>>);
static_assert(!std::is_copy_constructible_v<OffsetHeap<8>> &&
              !std::is_move_constructible_v<OffsetHeap<8>>);
static_assert(OffsetHeap<8>::max_offset == (std::uint64_t{1} << 40) - 1);
static_assert(OffsetHeap<8, 4096>::max_offset == ((std::uint64_t{1} << 40) - 1) * 4096);
// The offset space is the same on 32-bit hosts: offsets and sizes are 64-bit.
static_assert(sizeof(OffsetAllocation::offset) == 8 && sizeof(OffsetHeapStats::capacity) == 8);

// Every report made while a test runs.
struct Reports {
  static inline std::vector<ErrorInfo> seen;
  static void record(const ErrorInfo& info) noexcept { seen.push_back(info); }
};

class OffsetHeapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Reports::seen.clear();
    previous_ = set_error_handler(&Reports::record);
  }
  void TearDown() override { set_error_handler(previous_); }

  static std::size_t reports() { return Reports::seen.size(); }
  static ErrorCode last_report() { return Reports::seen.back().code; }

 private:
  ErrorHandler previous_ = nullptr;
};

// ---- Memory per allocation -------------------------------------------------------

TEST_F(OffsetHeapTest, EachAllocationCostsOneRecordOfSixteenBytes) {
  OffsetHeap<1024> heap;
  ASSERT_TRUE(heap.add_range(0, 1000));
  EXPECT_EQ(heap.stats().records_used, 3U);  // the range's two ends, one free range
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(heap.allocate(1)) << i;
  // Packed allocations leave no free range: one record each, two for the range.
  EXPECT_EQ(heap.stats().records_used, 1000U + OffsetHeap<1024>::records_per_range);
  EXPECT_EQ(heap.free_size(), 0U);
  // The records are all the heap keeps per allocation.
  EXPECT_LT(sizeof(heap), 1024 * OffsetHeap<1024>::record_bytes + 8192);
}

TEST_F(OffsetHeapTest, CallerMemoryHoldsTheRecordsItHasRoomFor) {
  std::vector<std::byte> memory(OffsetHeap<>::bytes_for_records(100) + 1);
  for (const std::size_t misalignment : {std::size_t{0}, std::size_t{1}, std::size_t{7}}) {
    OffsetHeap<> heap(memory.data() + misalignment, OffsetHeap<>::bytes_for_records(100));
    EXPECT_EQ(heap.stats().record_capacity, 100U) << misalignment;
  }
  OffsetHeap<> none(nullptr, 4096);
  EXPECT_EQ(none.stats().record_capacity, 0U);
  EXPECT_EQ(none.add_range(0, 100).error, OffsetError::out_of_records);
  OffsetHeap<> tiny(memory.data() + 1, 15);
  EXPECT_EQ(tiny.stats().record_capacity, 0U);
  std::vector<std::byte> huge(OffsetHeap<>::bytes_for_records(OffsetHeap<>::max_records + 5));
  OffsetHeap<> capped(huge.data(), huge.size());
  EXPECT_EQ(capped.stats().record_capacity, OffsetHeap<>::max_records);
}

TEST_F(OffsetHeapTest, StaticHeapIsEmptyAndUsable) {
  EXPECT_EQ(static_heap.stats().record_capacity, 64U);
  EXPECT_EQ(static_heap.allocate(10).error, OffsetError::out_of_space);
  const auto range = static_heap.add_range(4096, 4096);
  ASSERT_TRUE(range);
  const auto a = static_heap.allocate(10);
  ASSERT_TRUE(a);
  EXPECT_EQ(a.offset, 4096U);
  EXPECT_EQ(static_heap.free(a.handle), OffsetError::none);
  EXPECT_EQ(static_heap.remove_range(range.range), OffsetError::none);
  EXPECT_TRUE(static_heap.check());
}

// ---- Handles ------------------------------------------------------------------------

TEST_F(OffsetHeapTest, FreedHandleStaysStaleWhenItsRecordAndOffsetAreReused) {
  OffsetHeap<16> heap;
  ASSERT_TRUE(heap.add_range(0, 1 << 20));
  const auto first = heap.allocate(100);
  ASSERT_TRUE(first);
  EXPECT_EQ(heap.free(first.handle), OffsetError::none);
  const auto second = heap.allocate(100);  // the same place, the same record
  ASSERT_TRUE(second);
  EXPECT_EQ(second.offset, first.offset);
  EXPECT_NE(second.handle, first.handle);
  EXPECT_FALSE(heap.valid(first.handle));
  EXPECT_EQ(heap.free(first.handle), OffsetError::stale_handle);
  EXPECT_EQ(heap.resize(first.handle, 10), OffsetError::stale_handle);
  EXPECT_EQ(heap.size_of(first.handle), 0U);
  EXPECT_EQ(heap.offset_of(first.handle), OffsetHeap<16>::invalid_offset);
  EXPECT_TRUE(heap.valid(second.handle));
  EXPECT_EQ(heap.size_of(second.handle), 100U);
  // Checked builds report each refusal; release builds refuse silently.
  if constexpr (checks_enabled) {
    EXPECT_EQ(reports(), 4U);
    EXPECT_EQ(last_report(), ErrorCode::double_free);
  } else {
    EXPECT_EQ(reports(), 0U);
  }
  EXPECT_TRUE(heap.check());
}

TEST_F(OffsetHeapTest, HandlesNeverIssuedAreRefused) {
  OffsetHeap<16> heap;
  ASSERT_TRUE(heap.add_range(0, 1 << 20));
  const auto live = heap.allocate(64);
  for (const std::uint64_t value :
       {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{15}, live.handle.value + 1,
        live.handle.value ^ (std::uint64_t{1} << 40), std::numeric_limits<std::uint64_t>::max()}) {
    EXPECT_FALSE(heap.valid(OffsetHandle{value})) << value;
    EXPECT_EQ(heap.free(OffsetHandle{value}), OffsetError::stale_handle) << value;
  }
  EXPECT_TRUE(heap.valid(live.handle));
  if constexpr (checks_enabled) {
    EXPECT_EQ(reports(), 6U);
    EXPECT_EQ(Reports::seen[0].code, ErrorCode::invalid_pointer);  // handle 0: no record
  }
  EXPECT_EQ(heap.stats().used_blocks, 1U);
}

// ---- Allocation -----------------------------------------------------------------------

TEST_F(OffsetHeapTest, BadAlignmentIsRefusedAndReported) {
  OffsetHeap<16> heap;
  ASSERT_TRUE(heap.add_range(0, 4096));
  for (const std::uint64_t align : {std::uint64_t{0}, std::uint64_t{3}, std::uint64_t{96}}) {
    EXPECT_EQ(heap.allocate(10, align).error, OffsetError::invalid_alignment) << align;
    EXPECT_EQ(last_report(), ErrorCode::invalid_alignment);
  }
  EXPECT_EQ(reports(), 3U);
  EXPECT_EQ(heap.stats().failed_allocations, 0U);
}

TEST_F(OffsetHeapTest, SizeAboveMaxAllocationIsTooLarge) {
  OffsetHeap<16> heap;
  ASSERT_TRUE(heap.add_range(0, OffsetHeap<16>::max_offset));
  EXPECT_EQ(heap.allocate(OffsetHeap<16>::max_allocation + 1).error, OffsetError::too_large);
  EXPECT_EQ(heap.allocate(std::numeric_limits<std::uint64_t>::max(), 64).error,
            OffsetError::too_large);
  EXPECT_EQ(heap.stats().failed_allocations, 0U);
  EXPECT_EQ(reports(), 0U);
  const auto whole = heap.allocate(OffsetHeap<16>::max_allocation);  // the whole offset space
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole.offset, 0U);
}

TEST_F(OffsetHeapTest, SizesRoundUpToTheGranuleAndZeroTakesOne) {
  OffsetHeap<16, 256> heap;
  ASSERT_TRUE(heap.add_range(0, 1 << 20));
  const auto zero = heap.allocate(0);
  const auto odd = heap.allocate(257);
  ASSERT_TRUE(zero && odd);
  EXPECT_EQ(heap.size_of(zero.handle), 256U);
  EXPECT_EQ(heap.size_of(odd.handle), 512U);
  EXPECT_EQ(odd.offset, 256U);
  EXPECT_NE(zero.offset, odd.offset);
}

TEST_F(OffsetHeapTest, AlignmentIsMetAndItsPaddingStaysFree) {
  OffsetHeap<16> heap;
  ASSERT_TRUE(heap.add_range(100, 1 << 20));
  const auto a = heap.allocate(10, 4096);
  ASSERT_TRUE(a);
  EXPECT_EQ(a.offset, 4096U);
  EXPECT_EQ(heap.stats().free_blocks, 2U);  // [100, 4096) and after
  EXPECT_EQ(heap.free_size(), (1u << 20) - 10);
  const auto padding = heap.allocate(4096 - 100);  // exactly the padding
  ASSERT_TRUE(padding);
  EXPECT_EQ(padding.offset, 100U);
}

TEST_F(OffsetHeapTest, AlignmentLargerThanAnyOffsetFitsOnlyAtZero) {
  OffsetHeap<16> heap;
  const auto far = heap.add_range(GiB, GiB);
  ASSERT_TRUE(far);
  const std::uint64_t top = std::uint64_t{1} << 63;
  EXPECT_EQ(heap.allocate(1, top).error, OffsetError::out_of_space);
  ASSERT_TRUE(heap.add_range(0, 4096));
  const auto at_zero = heap.allocate(1, top);
  ASSERT_TRUE(at_zero);
  EXPECT_EQ(at_zero.offset, 0U);
  EXPECT_TRUE(heap.check());
}

// ---- Resize in place ---------------------------------------------------------------------

TEST_F(OffsetHeapTest, ResizeGrowsIntoTheFreeRangeAfterAndShrinksInPlace) {
  OffsetHeap<16> heap;
  ASSERT_TRUE(heap.add_range(0, 1000));
  const auto a = heap.allocate(100);
  const auto b = heap.allocate(100);
  ASSERT_TRUE(a && b);
  // a cannot grow: b is right after it.
  EXPECT_EQ(heap.resize(a.handle, 101), OffsetError::out_of_space);
  // b grows into the free rest, up to all of it, and not beyond.
  EXPECT_EQ(heap.resize(b.handle, 500), OffsetError::none);
  EXPECT_EQ(heap.size_of(b.handle), 500U);
  EXPECT_EQ(heap.resize(b.handle, 901), OffsetError::out_of_space);
  EXPECT_EQ(heap.resize(b.handle, 900), OffsetError::none);
  EXPECT_EQ(heap.free_size(), 0U);
  EXPECT_EQ(heap.stats().free_blocks, 0U);
  // Shrinking a gives a free range between a and b (a record); shrinking b
  // gives a free range at the end.
  EXPECT_EQ(heap.resize(a.handle, 40), OffsetError::none);
  EXPECT_EQ(heap.resize(b.handle, 0), OffsetError::none);
  EXPECT_EQ(heap.size_of(b.handle), 1U);
  EXPECT_EQ(heap.offset_of(b.handle), 100U);
  EXPECT_EQ(heap.stats().free_blocks, 2U);
  EXPECT_EQ(heap.free_size(), 60U + 899U);
  // Shrinking next to a free range makes it larger, with no record.
  EXPECT_EQ(heap.resize(a.handle, 10), OffsetError::none);
  EXPECT_EQ(heap.stats().free_blocks, 2U);
  EXPECT_EQ(heap.stats().peak_used, 1000U);
  EXPECT_TRUE(heap.check());
}

TEST_F(OffsetHeapTest, ShrinkBeforeAnAllocationNeedsARecord) {
  OffsetHeap<4> heap;  // the range's three, and one more
  ASSERT_TRUE(heap.add_range(0, 200));
  const auto a = heap.allocate(100);
  const auto b = heap.allocate(100);  // takes the whole rest: no record needed
  ASSERT_TRUE(a && b);
  EXPECT_EQ(heap.records_available(), 0U);
  EXPECT_EQ(heap.resize(a.handle, 50), OffsetError::out_of_records);
  EXPECT_EQ(heap.size_of(a.handle), 100U);
  EXPECT_EQ(heap.free(b.handle), OffsetError::none);
  EXPECT_EQ(heap.resize(a.handle, 50), OffsetError::none);  // next to a free range now
  EXPECT_TRUE(heap.check());
}

// ---- Ranges --------------------------------------------------------------------------------

TEST_F(OffsetHeapTest, AddRangeRoundsInwardsAndRefusesEmptyOrOutOfSpaceRanges) {
  OffsetHeap<16, 256> heap;
  const auto rounded = heap.add_range(1, 1024);  // [256, 1024): 3 granules
  ASSERT_TRUE(rounded);
  EXPECT_EQ(heap.range_bounds(rounded.range).begin, 256U);
  EXPECT_EQ(heap.range_bounds(rounded.range).end, 1024U);
  EXPECT_EQ(heap.stats().capacity, 768U);
  EXPECT_EQ(heap.add_range(4097, 300).error, OffsetError::invalid_range);  // no whole granule
  EXPECT_EQ(heap.add_range(8192, 0).error, OffsetError::invalid_range);
  EXPECT_EQ(heap.add_range(std::numeric_limits<std::uint64_t>::max() - 10, 20).error,
            OffsetError::invalid_range);  // wraps
  EXPECT_EQ(heap.add_range(OffsetHeap<16, 256>::max_offset - 255, 512).error,
            OffsetError::invalid_range);  // beyond max_offset
  EXPECT_EQ(reports(), 4U);
  for (const ErrorInfo& info : Reports::seen) EXPECT_EQ(info.code, ErrorCode::invalid_pool);
  EXPECT_EQ(heap.stats().pool_count, 1U);
  EXPECT_TRUE(heap.check());
}

TEST_F(OffsetHeapTest, AllocationsNeverSpanTwoRanges) {
  OffsetHeap<16> heap;
  ASSERT_TRUE(heap.add_range(0, 100));
  ASSERT_TRUE(heap.add_range(100, 100));  // adjacent, not overlapping
  EXPECT_EQ(heap.allocate(150).error, OffsetError::out_of_space);
  EXPECT_EQ(heap.largest_free(), 100U);
  EXPECT_TRUE(heap.allocate(100));
  EXPECT_TRUE(heap.allocate(100));
  EXPECT_TRUE(heap.check());
}

TEST_F(OffsetHeapTest, OverlappingRangesAreRefusedInCheckedBuilds) {
  if constexpr (!checks_enabled) GTEST_SKIP() << "release builds do not look (docs/offset-heap.md)";
  OffsetHeap<16> heap;
  ASSERT_TRUE(heap.add_range(1000, 1000));
  EXPECT_EQ(heap.add_range(1999, 10).error, OffsetError::range_overlap);
  EXPECT_EQ(heap.add_range(0, 1001).error, OffsetError::range_overlap);
  EXPECT_EQ(heap.add_range(1200, 10).error, OffsetError::range_overlap);
  const auto below = heap.add_range(0, 1000);
  ASSERT_TRUE(below);
  EXPECT_EQ(heap.extend_range(below.range, 1), OffsetError::range_overlap);
  EXPECT_EQ(reports(), 4U);
  for (const ErrorInfo& info : Reports::seen) EXPECT_EQ(info.code, ErrorCode::pool_overlap);
  EXPECT_EQ(heap.stats().capacity, 2000U);
}

TEST_F(OffsetHeapTest, ExtendRangeGrowsTheLastFreeRangeOrAddsOne) {
  OffsetHeap<4> heap;
  const auto range = heap.add_range(0, 100);
  ASSERT_TRUE(range);
  // The last block is free: it grows, with no record.
  EXPECT_EQ(heap.extend_range(range.range, 100), OffsetError::none);
  EXPECT_EQ(heap.range_bounds(range.range).end, 200U);
  EXPECT_EQ(heap.stats().records_used, 3U);
  EXPECT_EQ(heap.largest_free(), 200U);
  // The last block is an allocation: the new offsets are a new free range.
  const auto all = heap.allocate(200);
  ASSERT_TRUE(all);
  EXPECT_EQ(heap.extend_range(range.range, 50), OffsetError::none);
  EXPECT_EQ(heap.stats().records_used, 4U);
  EXPECT_EQ(heap.free_size(), 50U);
  const auto tail = heap.allocate(50);
  ASSERT_TRUE(tail);
  EXPECT_EQ(tail.offset, 200U);
  // No record left for another new free range.
  EXPECT_EQ(heap.extend_range(range.range, 50), OffsetError::out_of_records);
  EXPECT_EQ(heap.range_bounds(range.range).end, 250U);
  EXPECT_EQ(heap.extend_range(range.range, 0), OffsetError::none);  // nothing to add
  EXPECT_TRUE(heap.check());
  EXPECT_EQ(heap.free(all.handle), OffsetError::none);
  EXPECT_EQ(heap.free(tail.handle), OffsetError::none);
  EXPECT_EQ(heap.stats().free_blocks, 1U);
  EXPECT_EQ(heap.largest_free(), 250U);
}

TEST_F(OffsetHeapTest, ExtendRangeBeyondMaxOffsetIsRefused) {
  OffsetHeap<8> heap;
  const auto range = heap.add_range(OffsetHeap<8>::max_offset - 100, 50);
  ASSERT_TRUE(range);
  EXPECT_EQ(heap.extend_range(range.range, 51), OffsetError::invalid_range);
  EXPECT_EQ(last_report(), ErrorCode::invalid_pool);
  EXPECT_EQ(heap.extend_range(range.range, 50), OffsetError::none);
  EXPECT_EQ(heap.range_bounds(range.range).end, OffsetHeap<8>::max_offset);
}

TEST_F(OffsetHeapTest, RemoveRangeOnlyWhenNothingIsAllocatedInIt) {
  OffsetHeap<16> heap;
  const auto first = heap.add_range(0, 1000);
  const auto second = heap.add_range(5000, 1000);
  ASSERT_TRUE(first && second);
  const auto a = heap.allocate(1000);  // fills one of them
  ASSERT_TRUE(a);
  const OffsetRange used = a.offset == 0 ? first.range : second.range;
  const OffsetRange unused = a.offset == 0 ? second.range : first.range;
  EXPECT_EQ(heap.remove_range(used), OffsetError::range_in_use);
  EXPECT_EQ(heap.remove_range(unused), OffsetError::none);
  EXPECT_EQ(heap.stats().pool_count, 1U);
  EXPECT_EQ(heap.stats().records_used, 3U);  // the allocation and the used range's two
  EXPECT_EQ(reports(), 0U);
  // The removed range is gone for good.
  EXPECT_EQ(heap.remove_range(unused), OffsetError::invalid_range);
  EXPECT_EQ(heap.extend_range(unused, 10), OffsetError::invalid_range);
  EXPECT_EQ(heap.range_bounds(unused).end, 0U);
  EXPECT_EQ(reports(), checks_enabled ? 3U : 0U);
  EXPECT_EQ(heap.free(a.handle), OffsetError::none);
  EXPECT_EQ(heap.remove_range(used), OffsetError::none);
  EXPECT_EQ(heap.stats().records_used, 0U);
  EXPECT_EQ(heap.stats().capacity, 0U);
  EXPECT_TRUE(heap.check());
}

// ---- Free space -----------------------------------------------------------------------------

// Three free ranges in one size class, the smallest at the head of its list:
// largest_allocation() is that one, and a request one byte larger is refused
// although two larger free ranges fit it (the case docs/offset-heap.md
// describes).
TEST_F(OffsetHeapTest, LargestAllocationIsExactlyWhatAllocateServes) {
  OffsetHeap<64> heap;
  ASSERT_TRUE(heap.add_range(0, 1 << 20));
  std::vector<OffsetAllocation> holes;
  OffsetAllocation last{};
  for (const std::uint64_t hole : {1020U, 1012U, 1008U}) {  // one class: [1008, 1024)
    holes.push_back(heap.allocate(hole));
    last = heap.allocate(8);
    ASSERT_TRUE(holes.back() && last);
  }
  ASSERT_EQ(heap.resize(last.handle, (1 << 20) - last.offset), OffsetError::none);
  for (const OffsetAllocation& hole : holes) ASSERT_EQ(heap.free(hole.handle), OffsetError::none);
  EXPECT_EQ(heap.largest_free(), 1020U);
  EXPECT_EQ(heap.largest_allocation(), 1008U);  // freed last, so at the head
  EXPECT_EQ(heap.allocate(1009).error, OffsetError::out_of_space);
  const auto served = heap.allocate(1008);
  ASSERT_TRUE(served);
  EXPECT_EQ(served.offset, holes[2].offset);
  EXPECT_EQ(heap.largest_allocation(), 1012U);
  EXPECT_TRUE(heap.allocate(1009));  // now the head fits
  EXPECT_EQ(heap.free_size(), 1020U + 3);
}

TEST_F(OffsetHeapTest, StatisticsCountBytesOfTheOffsetSpace) {
  OffsetHeap<32, 16> heap;
  ASSERT_TRUE(heap.add_range(0, 10 * GiB));
  ASSERT_TRUE(heap.add_range(64 * GiB, 6 * GiB));
  const auto a = heap.allocate(5 * GiB + 1);
  const auto b = heap.allocate(3 * GiB);
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(heap.allocate(9 * GiB));
  const OffsetHeapStats s = heap.stats();
  EXPECT_EQ(s.pool_count, 2U);
  EXPECT_EQ(s.capacity, 16 * GiB);
  EXPECT_EQ(s.used, 8 * GiB + 16);
  EXPECT_EQ(s.free, s.capacity - s.used);
  EXPECT_EQ(s.used_blocks, 2U);
  EXPECT_EQ(s.failed_allocations, 1U);
  EXPECT_EQ(s.peak_used, s.used);
  EXPECT_EQ(s.record_capacity, 32U);
  EXPECT_EQ(s.records_used, 4U + s.used_blocks + s.free_blocks);
  EXPECT_EQ(heap.free(a.handle), OffsetError::none);
  EXPECT_EQ(heap.stats().peak_used, 8 * GiB + 16);
}

TEST_F(OffsetHeapTest, WalkReportsEveryBlockInOffsetOrderAndCanStop) {
  OffsetHeap<16> heap;
  ASSERT_TRUE(heap.add_range(0, 1000));
  const auto a = heap.allocate(100);
  const auto b = heap.allocate(200);
  ASSERT_TRUE(a && b);
  ASSERT_EQ(heap.free(a.handle), OffsetError::none);
  std::vector<OffsetBlockInfo> blocks;
  heap.walk([&](const OffsetBlockInfo& info) { blocks.push_back(info); });
  ASSERT_EQ(blocks.size(), 3U);
  EXPECT_EQ(blocks[0].offset, 0U);
  EXPECT_FALSE(blocks[0].used);
  EXPECT_EQ(blocks[0].handle, OffsetHandle{});
  EXPECT_EQ(blocks[1].offset, 100U);
  EXPECT_EQ(blocks[1].size, 200U);
  EXPECT_EQ(blocks[1].handle, b.handle);
  EXPECT_EQ(blocks[2].size, 700U);
  std::size_t visited = 0;
  heap.walk([&](const OffsetBlockInfo&) { return ++visited < 2; });
  EXPECT_EQ(visited, 2U);
}

// ---- check() --------------------------------------------------------------------------------

// A heap whose records are in memory the test can damage.
class DamagedHeapTest : public OffsetHeapTest {
 protected:
  using Heap = OffsetHeap<caller_records>;
  static constexpr std::size_t records = 64;

  void build(std::uint64_t seed) {
    Reports::seen.clear();
    std::memset(memory_, 0, sizeof memory_);
    heap_ = std::make_unique<Heap>(memory_, sizeof memory_);
    std::mt19937_64 random(seed);
    ASSERT_TRUE(heap_->add_range(0, 1 << 20));
    ASSERT_TRUE(heap_->add_range(1 << 24, 1 << 16));
    std::vector<OffsetHandle> live;
    for (int i = 0; i < 40; ++i) {
      if (live.empty() || random() % 3 != 0) {
        const auto a = heap_->allocate(random() % 5000 + 1, random() % 4 == 0 ? 256 : 1);
        if (a) live.push_back(a.handle);
      } else {
        const auto pick = static_cast<std::size_t>(random() % live.size());
        ASSERT_EQ(heap_->free(live[pick]), OffsetError::none);
        live.erase(live.begin() + static_cast<std::ptrdiff_t>(pick));
      }
    }
    ASSERT_TRUE(heap_->check());
    ASSERT_EQ(reports(), 0U);
  }

  // The memory is 8-aligned, so record i (from 1) is at byte 16 * (i - 1).
  std::uint64_t& word(std::size_t record, std::size_t which) {
    return reinterpret_cast<std::uint64_t*>(memory_)[2 * (record - 1) + which];
  }

  alignas(8) unsigned char memory_[records * 16];
  std::unique_ptr<Heap> heap_;
};

TEST_F(DamagedHeapTest, CheckFindsEachKindOfDamage) {
  struct Damage {
    const char* what;
    std::size_t record;
    std::size_t word;
    std::uint64_t flip;
  };
  // Records 1 to 3 are the first range's start, end and first block.
  const Damage damages[] = {
      {"a block's offset", 3, 0, std::uint64_t{1} << 5},
      {"a block's next", 3, 0, std::uint64_t{1} << 41},
      {"a block's state", 3, 0, std::uint64_t{1} << 62},
      {"a block's back link or list link", 3, 1, 1},
      {"a range end's offset", 2, 0, std::uint64_t{1} << 3},
      {"a range end's first block", 2, 0, std::uint64_t{1} << 40},
      {"a range end's link to its start", 2, 1, std::uint64_t{1} << 22},
      {"a range start's link", 1, 1, std::uint64_t{1} << 22},
  };
  for (const Damage& damage : damages) {
    build(7);
    word(damage.record, damage.word) ^= damage.flip;
    EXPECT_FALSE(heap_->check()) << damage.what;
    ASSERT_EQ(reports(), 1U) << damage.what;
    EXPECT_EQ(last_report(), ErrorCode::heap_corrupted) << damage.what;
    EXPECT_NE(Reports::seen[0].message, nullptr);
    word(damage.record, damage.word) ^= damage.flip;
    Reports::seen.clear();
    EXPECT_TRUE(heap_->check()) << damage.what;
  }
}

// check() never leaves the store or loops, whatever is damaged; it reports
// at most once.
TEST_F(DamagedHeapTest, CheckIsSafeOnRandomDamage) {
  std::mt19937_64 random(11);
  for (int trial = 0; trial < 300; ++trial) {
    build(static_cast<std::uint64_t>(trial));
    const std::size_t used = static_cast<std::size_t>(heap_->stats().records_used);
    word(static_cast<std::size_t>(random() % used) + 1, static_cast<std::size_t>(random() % 2)) ^=
        std::uint64_t{1} << (random() % 64);
    const bool intact = heap_->check();
    EXPECT_EQ(reports(), intact ? 0U : 1U) << "trial " << trial;
  }
}

}  // namespace
}  // namespace rtalloc::test
