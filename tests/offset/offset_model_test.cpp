// SPDX-License-Identifier: MIT OR Apache-2.0
// OffsetHeap against its model (offset_model.hpp), verified after every
// operation: random sequences on several configurations, then the cases known
// to break offset allocators — an exact fit into the only free range, a large
// alignment whose padding must be returned, many frees that must merge back
// into one range, a full record store, every size-class boundary, sizes
// beyond 4 GiB — and exhaustion followed by recovery.
//
// Each random run's seed derives from one base seed and the run; a failure
// prints the seed, and RTALLOC_TEST_SEED=<base> reproduces it.
// RTALLOC_TEST_OPS=<n> overrides the number of operations of every run.
#include "offset_model.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <numeric>
#include <optional>
#include <ostream>
#include <random>
#include <vector>

namespace rtalloc {

// Lets GoogleTest print errors by name in failure messages.
inline void PrintTo(OffsetError error, std::ostream* out) { *out << to_string(error); }

}  // namespace rtalloc

namespace rtalloc::test {
namespace {

std::optional<std::uint64_t> environment_number(const char* name) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return std::nullopt;
  return std::strtoull(text, nullptr, 0);
}

std::uint64_t seed_for(std::uint64_t run) {
  return environment_number("RTALLOC_TEST_SEED").value_or(0x0FF5E7ULL) +
         run * 0x9E3779B97F4A7C15ULL;
}

// Unoptimised builds run a quarter of the operations to keep the suite quick.
std::size_t operations(std::size_t in_release) {
  if (const auto forced = environment_number("RTALLOC_TEST_OPS")) {
    return static_cast<std::size_t>(*forced);
  }
#ifdef NDEBUG
  return in_release;
#else
  return in_release / 4;
#endif
}

// A heap type, and how many records of caller memory it gets (0: its own).
template <class HeapType, std::size_t CallerRecords = 0>
struct Config {
  using Heap = HeapType;
  static constexpr std::size_t records = CallerRecords;
};

template <class C>
class HeapBox {
 public:
  using Heap = typename C::Heap;
  HeapBox() {
    if constexpr (C::records != 0) {
      memory_.resize(Heap::bytes_for_records(C::records));
      heap_ = std::make_unique<Heap>(memory_.data(), memory_.size());
    } else {
      heap_ = std::make_unique<Heap>();
    }
  }
  Heap& operator*() { return *heap_; }
  Heap* operator->() { return heap_.get(); }

 private:
  std::vector<std::byte> memory_;
  std::unique_ptr<Heap> heap_;
};

using Configurations = ::testing::Types<
    Config<OffsetHeap<4096>>,                           // the default: bytes, 32 classes per level
    Config<OffsetHeap<caller_records, 256, 16>, 160>,   // a small store of caller memory
    Config<OffsetHeap<caller_records, 4096, 1>, 1000>,  // one class per power of two
    Config<OffsetHeap<600, 16, 64>>>;                   // 64 classes per level

template <class C>
class OffsetModelTest : public ::testing::Test {
 protected:
  using Heap = typename C::Heap;
  using Model = OffsetModel<Heap>;
  static constexpr std::uint64_t granule = Heap::granule;

  void SetUp() override {
    previous_ = set_error_handler(&OffsetReports::record);
    OffsetReports::count = 0;
  }
  void TearDown() override { set_error_handler(previous_); }

  HeapBox<C> heap_;
  Model model_{*heap_};

 private:
  ErrorHandler previous_ = nullptr;
};
TYPED_TEST_SUITE(OffsetModelTest, Configurations);

// Asserts that a model operation found no disagreement, and that the whole
// heap still agrees with the model.
#define EXPECT_AGREES(operation)                                      \
  do {                                                                \
    const char* problem_ = (operation);                               \
    if (problem_ == nullptr) problem_ = this->model_.verify();        \
    ASSERT_EQ(problem_, nullptr) << problem_ << " after " #operation; \
  } while (false)

// ---- Random sequences -----------------------------------------------------------

template <class C>
class RandomRun {
 public:
  using Heap = typename C::Heap;
  static constexpr std::uint64_t granule = Heap::granule;
  // Ranges live in eight slots of the offset space, so extensions never reach
  // a neighbour.
  static constexpr std::uint64_t slot = Heap::max_offset / 8 / granule * granule;

  RandomRun(OffsetModel<Heap>& model, std::uint64_t seed) : model_(model), random_(seed) {}

  // nullptr, or what went wrong and at which operation.
  const char* run(std::size_t count, bool change_ranges) {
    for (std::size_t slot_index = 0; slot_index < 2; ++slot_index) {
      if (const char* problem = add_range_in(slot_index)) return problem;
    }
    for (op_ = 0; op_ < count; ++op_) {
      if (op_ % 2000 == 0) filling_ = !filling_;
      if (const char* problem = step(change_ranges)) return problem;
      if (const char* problem = model_.verify()) return problem;
    }
    return model_.clear();
  }

  std::size_t operation() const { return op_; }

 private:
  std::uint64_t uniform(std::uint64_t low, std::uint64_t high) {
    return std::uniform_int_distribution<std::uint64_t>(low, high)(random_);
  }
  std::size_t pick(std::size_t count) {  // one of 0 .. count - 1
    return static_cast<std::size_t>(uniform(0, count - 1));
  }
  bool chance(double p) { return std::bernoulli_distribution(p)(random_); }

  // A range size: mostly around 2^20 granules, sometimes a few granules,
  // sometimes beyond 2^32 bytes.
  std::uint64_t range_size() {
    const double top = chance(0.2) ? 36.0 : 24.0;
    const double exponent = std::uniform_real_distribution<double>(3.0, top)(random_);
    return std::min<std::uint64_t>(static_cast<std::uint64_t>(std::exp2(exponent)) * granule,
                                   slot / 2);
  }

  // Adds a range in a slot. Release builds do not detect overlap (the
  // caller must not), so there a slot that holds a range is left alone.
  const char* add_range_in(std::size_t slot_index) {
    const std::uint64_t begin = slot_index * slot;
    const auto& ranges = model_.ranges();
    const bool taken = std::any_of(ranges.begin(), ranges.end(), [&](const auto& range) {
      return range.begin < begin + slot && begin < range.end;
    });
    if (taken && !checks_enabled) return nullptr;
    const std::uint64_t misalignment = chance(0.3) ? uniform(0, granule - 1 + 3) : 0;
    return model_.add_range(begin + misalignment, range_size());
  }

  std::uint64_t largest_range() const {
    std::uint64_t largest = granule;
    for (const auto& range : model_.ranges()) largest = std::max(largest, range.end - range.begin);
    return largest;
  }

  // Log-uniform up to the largest range, with edges: 0, the largest free and
  // allocatable sizes and one granule either side, absurd sizes.
  std::uint64_t request_size() {
    const std::uint64_t roll = uniform(0, 99);
    if (roll < 3) return uniform(0, 3 * granule);
    if (roll < 6) {
      const std::uint64_t edge =
          chance(0.5) ? model_.heap().largest_free() : model_.heap().largest_allocation();
      return edge - std::min(edge, granule) + uniform(0, 2) * granule;
    }
    if (roll < 7) return chance(0.5) ? Heap::max_allocation + uniform(1, 9) : UINT64_MAX;
    const double top = std::log2(static_cast<double>(largest_range()));
    return static_cast<std::uint64_t>(
        std::exp2(std::uniform_real_distribution<double>(0.0, top)(random_)));
  }

  std::uint64_t alignment() {
    const std::uint64_t roll = uniform(0, 99);
    if (roll < 60) return 1;
    if (roll < 62) return chance(0.5) ? 0 : 3 * granule;  // refused, and reported
    if (roll < 64) return std::uint64_t{1} << uniform(30, 39);
    return std::uint64_t{1} << uniform(0, 20);
  }

  // Exactly the size of a free range, at an alignment its offset has.
  const char* exact_fit() {
    const auto gaps = model_.gaps();
    if (gaps.empty()) return model_.allocate(granule, 1);
    const auto& gap = gaps[pick(gaps.size())];
    const std::uint64_t offset_alignment =
        gap.offset == 0 ? std::uint64_t{1} << 30 : std::uint64_t{1} << std::countr_zero(gap.offset);
    return model_.allocate(gap.size, std::min(offset_alignment, std::uint64_t{1} << 24));
  }

  const char* step(bool change_ranges) {
    if (change_ranges) {
      const std::uint64_t roll = uniform(0, 999);
      if (roll < 5) return add_range_in(pick(8));
      if (roll < 10) return model_.extend_range(pick(8), uniform(0, 64) * granule + 3);
      if (roll < 14) return model_.remove_range(pick(8));
      if (roll < 16) return model_.stale_range(pick(64));
      if (roll < 17 && checks_enabled && !model_.ranges().empty()) {  // overlap: checked builds
        const auto& range = model_.ranges()[pick(model_.ranges().size())];
        return model_.add_range(range.end - granule, 2 * granule);
      }
    }
    const double allocate_share = model_.live_count() == 0 ? 1.0 : filling_ ? 0.6 : 0.4;
    if (chance(allocate_share)) {
      if (chance(0.08)) return exact_fit();
      return model_.allocate(request_size(), alignment());
    }
    const std::uint64_t roll = uniform(0, 99);
    if (roll < 12) return model_.resize(pick(1u << 20), request_size() / 2);
    if (roll < 15) return model_.stale_handle(pick(64));
    if (roll < 16) return model_.any_handle(uniform(0, UINT64_MAX));
    return model_.free(pick(1u << 20));
  }

  OffsetModel<Heap>& model_;
  std::mt19937_64 random_;
  std::size_t op_ = 0;
  bool filling_ = false;
};

TYPED_TEST(OffsetModelTest, RandomOperationsMatchTheModel) {
  for (std::uint64_t run = 0; run < 2; ++run) {
    HeapBox<TypeParam> heap;
    OffsetModel<typename TypeParam::Heap> model(*heap);
    RandomRun<TypeParam> random_run(model, seed_for(run));
    const char* problem = random_run.run(operations(6000), false);
    ASSERT_EQ(problem, nullptr) << problem << " (seed " << seed_for(run) << ", operation "
                                << random_run.operation() << ")";
  }
}

TYPED_TEST(OffsetModelTest, RandomOperationsWithRangeChangesMatchTheModel) {
  for (std::uint64_t run = 10; run < 12; ++run) {
    HeapBox<TypeParam> heap;
    OffsetModel<typename TypeParam::Heap> model(*heap);
    RandomRun<TypeParam> random_run(model, seed_for(run));
    const char* problem = random_run.run(operations(6000), true);
    ASSERT_EQ(problem, nullptr) << problem << " (seed " << seed_for(run) << ", operation "
                                << random_run.operation() << ")";
  }
}

// ---- The cases that break offset allocators ---------------------------------------

// Only one free range is left, at several sizes and places: a request of
// exactly its size (at an alignment its offset has) must be served.
TYPED_TEST(OffsetModelTest, RequestThatFitsExactlyIntoTheOnlyFreeRangeSucceeds) {
  const std::uint64_t g = this->granule;
  for (const std::uint64_t hole : {g, 7 * g, 31 * g, 32 * g, 33 * g, 1000 * g, 65537 * g}) {
    for (const std::uint64_t before : {std::uint64_t{0}, 3 * g, 4096 * g}) {
      HeapBox<TypeParam> heap;
      OffsetModel<typename TypeParam::Heap> model(*heap);
      const char* problem = model.add_range(0, before + hole + 5 * g);
      if (problem == nullptr && before != 0) problem = model.allocate(before, 1);
      if (problem == nullptr) problem = model.allocate(hole, 1);
      if (problem == nullptr) problem = model.allocate(5 * g, 1);
      // Now free the middle one: it is the only free range.
      if (problem == nullptr) problem = model.free(before != 0 ? 1 : 0);
      ASSERT_EQ(problem, nullptr) << problem;
      ASSERT_EQ(heap->stats().free_blocks, 1U);
      const std::uint64_t failed = heap->stats().failed_allocations;
      // An alignment the hole's offset has.
      const std::uint64_t align =
          before == 0 ? std::uint64_t{1} << 20 : std::uint64_t{1} << std::countr_zero(before);
      ASSERT_EQ(model.allocate(hole, std::max(align, g)), nullptr) << "hole " << hole;
      EXPECT_EQ(heap->stats().failed_allocations, failed) << "hole " << hole;
      EXPECT_EQ(heap->free_size(), 0U);
      EXPECT_EQ(model.verify(), nullptr);
    }
  }
}

// An alignment far above the granule: the padding in front stays free, can
// be allocated, and merges back when the aligned allocation is freed.
TYPED_TEST(OffsetModelTest, PaddingOfALargeAlignmentIsReturned) {
  const std::uint64_t g = this->granule;
  const std::uint64_t align = std::uint64_t{1} << 30;
  EXPECT_AGREES(this->model_.add_range(3 * g, (std::uint64_t{3} << 30)));
  EXPECT_AGREES(this->model_.allocate(100 * g, align));
  const auto aligned = this->model_.pick_live(0);
  EXPECT_EQ(aligned->first, align);
  // The padding [3g, 1 GiB) is one free range, and all of it can be had.
  EXPECT_EQ(this->heap_->stats().free_blocks, 2U);
  EXPECT_EQ(this->heap_->free_size(), (std::uint64_t{3} << 30) - 100 * g);
  EXPECT_AGREES(this->model_.allocate(align - 3 * g, 1));
  EXPECT_EQ(this->model_.pick_live(0)->first, 3 * g);
  EXPECT_AGREES(this->model_.free(0));  // the padding's allocation
  EXPECT_AGREES(this->model_.free(0));  // the aligned one: one free range again
  EXPECT_EQ(this->heap_->stats().free_blocks, 1U);
  EXPECT_EQ(this->heap_->largest_free(), std::uint64_t{3} << 30);
}

// Many allocations freed in random order merge back into one free range per
// range, whatever the order.
TYPED_TEST(OffsetModelTest, ManyFreesMergeBackIntoOneRange) {
  std::mt19937_64 random(seed_for(20));
  const std::uint64_t g = this->granule;
  EXPECT_AGREES(this->model_.add_range(0, 1u << 26));
  EXPECT_AGREES(this->model_.add_range(std::uint64_t{1} << 36, 1u << 24));
  while (this->model_.records_available() >= 2 && this->model_.live_count() < 300) {
    const std::uint64_t size = (random() % 64 + 1) * g;
    const OffsetHeapStats before = this->heap_->stats();
    EXPECT_AGREES(this->model_.allocate(size, random() % 4 == 0 ? 64 * g : 1));
    if (this->heap_->stats().used_blocks == before.used_blocks) break;  // full
  }
  ASSERT_GT(this->model_.live_count(), 50U);
  EXPECT_GT(this->heap_->stats().free_blocks, 10U);  // alignment padding left gaps
  while (this->model_.live_count() != 0)
    EXPECT_AGREES(this->model_.free(static_cast<std::size_t>(random())));
  EXPECT_EQ(this->heap_->stats().free_blocks, 2U);
  EXPECT_EQ(this->heap_->stats().records_used, 6U);
}

// The record store full: allocations that need a record fail with
// out_of_records and change nothing; one that needs none (an exact fit) still
// succeeds; a free gives records back.
TYPED_TEST(OffsetModelTest, FullRecordStoreFailsClearlyAndLosesNothing) {
  const std::uint64_t g = this->granule;
  const std::size_t records = static_cast<std::size_t>(this->heap_->stats().record_capacity);
  EXPECT_AGREES(this->model_.add_range(0, g * 2 * records));
  // Each one-granule allocation splits the free rest of the range: one
  // record more each, until none is left.
  while (this->model_.records_available() > 0) ASSERT_EQ(this->model_.allocate(g, 1), nullptr);
  ASSERT_EQ(this->model_.verify(), nullptr);
  ASSERT_EQ(this->heap_->records_available(), 0U);
  ASSERT_EQ(this->model_.live_count(), records - 3);
  const OffsetHeapStats before = this->heap_->stats();
  EXPECT_AGREES(this->model_.allocate(g, 1));  // would split the rest of the range
  EXPECT_EQ(this->model_.last_error(), OffsetError::out_of_records);
  EXPECT_AGREES(this->model_.allocate(g, 8 * g));  // padding too, or the rest
  EXPECT_EQ(this->model_.last_error(), OffsetError::out_of_records);
  EXPECT_AGREES(this->model_.resize(3, 2 * g));  // the next block is used: no room
  EXPECT_EQ(this->model_.live_count(), records - 3);
  const OffsetHeapStats after = this->heap_->stats();
  EXPECT_EQ(after.failed_allocations, before.failed_allocations + 2);
  EXPECT_EQ(after.used, before.used);
  EXPECT_EQ(after.free_blocks, before.free_blocks);
  // A freed allocation between two others leaves a one-granule hole: its
  // record becomes the free range, and a one-granule request fits it
  // exactly, needing no record.
  EXPECT_AGREES(this->model_.free(5));
  EXPECT_EQ(this->heap_->records_available(), 0U);
  EXPECT_AGREES(this->model_.allocate(g, 1));
  EXPECT_EQ(this->model_.last_error(), OffsetError::none);
  EXPECT_EQ(this->model_.live_count(), records - 3);
  // Freeing next to a free range merges it and gives its record back.
  EXPECT_AGREES(this->model_.free(this->model_.live_count() - 1));
  EXPECT_EQ(this->heap_->records_available(), 1U);
  EXPECT_AGREES(this->model_.allocate(g, 1));
  EXPECT_EQ(this->model_.last_error(), OffsetError::none);
}

// Every size class boundary: the first size of each class and one granule
// either side, in a range that holds exactly the guaranteed size, so each
// request must be served — and must be refused by a range one granule short
// of the request.
TYPED_TEST(OffsetModelTest, EverySizeClassBoundary) {
  using Classes = typename TestFixture::Model::Classes;
  using TestedHeap = typename TypeParam::Heap;
  const std::uint64_t g = this->granule;
  for (std::size_t index = 1; index < Classes::class_count; ++index) {
    const std::uint64_t start = Classes::class_start(index);
    for (const std::uint64_t granules : {start - 1, start, start + 1}) {
      if (granules == 0 || granules * g > TestedHeap::max_allocation) continue;
      HeapBox<TypeParam> heap;
      OffsetModel<TestedHeap> model(*heap);
      const char* problem = model.add_range(0, granules * g);
      if (problem == nullptr) problem = model.allocate(granules * g, 1);
      if (problem == nullptr) problem = model.verify();
      ASSERT_EQ(problem, nullptr) << problem << " (" << granules << " granules)";
      ASSERT_EQ(model.live_count(), 1U) << granules << " granules";
      if (granules > 1) {
        problem = model.free(0);
        if (problem == nullptr) problem = model.allocate((granules - 1) * g + 1, 1);
        if (problem == nullptr) problem = model.free(0);
        if (problem == nullptr) problem = model.allocate((granules + 1) * g, 1);
        ASSERT_EQ(problem, nullptr) << problem << " (" << granules << " granules)";
        EXPECT_EQ(model.live_count(), 0U) << "a request larger than the range was served";
      }
    }
  }
}

// Sizes and offsets beyond 2^32 bytes, also on 32-bit hosts.
TYPED_TEST(OffsetModelTest, SizesBeyondFourGibibytes) {
  const std::uint64_t gib = std::uint64_t{1} << 30;
  EXPECT_AGREES(this->model_.add_range(48 * gib, 200 * gib));
  EXPECT_AGREES(this->model_.allocate(5 * gib + 1, 1));
  EXPECT_AGREES(this->model_.allocate(33 * gib, 16 * gib));
  EXPECT_AGREES(this->model_.allocate((std::uint64_t{1} << 36) + this->granule, 1));
  EXPECT_AGREES(this->model_.allocate(4 * gib, 1));
  ASSERT_EQ(this->model_.live_count(), 4U);
  for (const auto& [offset, live] : this->model_.live()) EXPECT_GE(offset, 48 * gib);
  EXPECT_AGREES(this->model_.resize(0, 7 * gib));
  EXPECT_AGREES(this->model_.extend_range(0, 100 * gib));
  EXPECT_EQ(this->heap_->stats().capacity, 300 * gib);
  EXPECT_AGREES(this->model_.allocate(120 * gib, gib));
  EXPECT_AGREES(this->model_.clear());
}

// Fill the heap to the last granule, free everything in random order: each
// range is one free range again, holding all of it.
TYPED_TEST(OffsetModelTest, ExhaustionAndRecovery) {
  std::mt19937_64 random(seed_for(30));
  const std::uint64_t g = this->granule;
  const std::uint64_t size = 2048 * g;
  EXPECT_AGREES(this->model_.add_range(0, size));
  EXPECT_AGREES(this->model_.add_range(std::uint64_t{1} << 37, size / 2));
  // Random sizes until the heap refuses, then whatever the largest request
  // allocate serves, until nothing is free.
  for (int attempt = 0; attempt < 400 && this->model_.records_available() > 2; ++attempt) {
    EXPECT_AGREES(this->model_.allocate((random() % 50 + 1) * g, random() % 3 == 0 ? 8 * g : 1));
  }
  // Each of these takes a whole free range, so needs no record.
  while (this->heap_->free_size() != 0) {
    const std::uint64_t largest = this->heap_->largest_allocation();
    ASSERT_GT(largest, 0U);
    EXPECT_AGREES(this->model_.allocate(largest, 1));
  }
  EXPECT_EQ(this->heap_->largest_free(), 0U);
  EXPECT_AGREES(this->model_.allocate(g, 1));
  EXPECT_EQ(this->model_.last_error(), OffsetError::out_of_space);
  while (this->model_.live_count() != 0)
    EXPECT_AGREES(this->model_.free(static_cast<std::size_t>(random())));
  const OffsetHeapStats s = this->heap_->stats();
  EXPECT_EQ(s.free_blocks, 2U);
  EXPECT_EQ(s.largest_free, size);
  EXPECT_EQ(s.free, size + size / 2);
  EXPECT_AGREES(this->model_.allocate(size, 1));
}

}  // namespace
}  // namespace rtalloc::test
