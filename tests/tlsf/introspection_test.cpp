// SPDX-License-Identifier: MIT OR Apache-2.0
// usable_size, owns, stats, walk and check: what the heap says about itself
// must agree with itself, and check() must notice a damaged header.
#include <cstring>

#include "tlsf_test_support.hpp"

namespace rtalloc::test {
namespace {

template <class Heap>
class IntrospectionTest : public HeapTest<Heap> {};
TYPED_TEST_SUITE(IntrospectionTest, HeapConfigurations);

TYPED_TEST(IntrospectionTest, UsableSizeCoversRequest) {
  using Heap = TypeParam;
  this->add_capacity(512 * 1024);
  std::vector<void*> blocks;
  for (std::size_t size = 0; size <= 3000; size += 13) {
    void* p = this->heap->allocate(size);
    ASSERT_NE(p, nullptr);
    const std::size_t usable = this->heap->usable_size(p);
    EXPECT_GE(usable, size);
    EXPECT_LT(usable, std::max(size + Heap::granularity, Heap::min_block_size));
    std::memset(p, 0xCD, usable);  // all of it is ours to write
    blocks.push_back(p);
  }
  EXPECT_TRUE(this->healthy());
  for (void* p : blocks) {
    this->heap->deallocate(p);
  }
  EXPECT_TRUE(this->healthy());
}

TYPED_TEST(IntrospectionTest, OwnsOnlyPoolMemory) {
  const std::byte* pool = this->add_accepted_pool();
  void* p = this->heap->allocate(100);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(this->heap->owns(p));
  int on_stack = 0;
  EXPECT_FALSE(this->heap->owns(&on_stack));
  EXPECT_FALSE(this->heap->owns(nullptr));
  EXPECT_FALSE(this->heap->owns(pool + this->pool_bytes + 4096));
  PoolMemory elsewhere(4096);
  EXPECT_FALSE(this->heap->owns(elsewhere.data()));
  this->heap->deallocate(p);
}

TYPED_TEST(IntrospectionTest, StatsFollowAllocations) {
  using Heap = TypeParam;
  this->add_accepted_pool();
  const TlsfStats empty = this->heap->stats();

  void* a = this->heap->allocate(1000);
  void* b = this->heap->allocate(50);
  ASSERT_TRUE(a && b);
  const std::size_t used =
      this->heap->usable_size(a) + this->heap->usable_size(b) + 2 * Heap::header_size;
  TlsfStats stats = this->heap->stats();
  EXPECT_EQ(stats.pool_count, 1U);
  EXPECT_EQ(stats.capacity, empty.capacity);
  EXPECT_EQ(stats.used, used);
  EXPECT_EQ(stats.free, stats.capacity - used);
  EXPECT_EQ(stats.used_blocks, 2U);
  EXPECT_EQ(stats.free_blocks, 1U);
  EXPECT_EQ(stats.largest_free + Heap::header_size, stats.free);
  EXPECT_EQ(stats.peak_used, counted(used));
  EXPECT_EQ(stats.failed_allocations, 0U);

  const std::size_t a_usable = this->heap->usable_size(a);
  this->heap->deallocate(a);
  stats = this->heap->stats();
  EXPECT_EQ(stats.used, this->heap->usable_size(b) + Heap::header_size);
  EXPECT_EQ(stats.peak_used, counted(used));  // the peak stays
  EXPECT_EQ(stats.used_blocks, 1U);
  EXPECT_EQ(stats.free_blocks, 2U);
  EXPECT_EQ(stats.largest_free + Heap::header_size + a_usable + Heap::header_size, stats.free);

  this->heap->deallocate(b);
  stats = this->heap->stats();
  EXPECT_EQ(stats.used, 0U);
  EXPECT_EQ(stats.peak_used, counted(used));
  EXPECT_EQ(stats.largest_free, empty.largest_free);
  EXPECT_TRUE(this->healthy());
}

// walk() tiles every pool exactly: blocks follow each other without gaps,
// their sizes add up to the capacity, and no two free blocks are adjacent.
TYPED_TEST(IntrospectionTest, WalkTilesTheCapacity) {
  using Heap = TypeParam;
  this->add_accepted_pool(20000, 3);
  this->add_accepted_pool(9000);
  std::vector<void*> blocks;
  for (std::size_t i = 0; i < 40; ++i) {
    void* p =
        i % 5 == 0 ? this->heap->allocate(40 + i * 11, 128) : this->heap->allocate(40 + i * 11);
    if (p != nullptr) {
      blocks.push_back(p);
    }
  }
  for (std::size_t i = 0; i < blocks.size(); i += 3) {
    this->heap->deallocate(blocks[i]);
    blocks[i] = nullptr;
  }

  const WalkSummary walk = summarize(*this->heap);
  const TlsfStats stats = this->heap->stats();
  EXPECT_EQ(walk.total_bytes, stats.capacity);
  EXPECT_EQ(walk.used_bytes, stats.used);
  EXPECT_EQ(walk.used_blocks, stats.used_blocks);
  EXPECT_EQ(walk.free_blocks, stats.free_blocks);
  EXPECT_EQ(walk.largest_free, stats.largest_free);

  std::vector<BlockInfo> sorted = walk.blocks;
  std::sort(sorted.begin(), sorted.end(),
            [](const BlockInfo& x, const BlockInfo& y) { return x.address < y.address; });
  std::size_t runs = 1;  // stretches of contiguous blocks: one per pool
  for (std::size_t i = 1; i < sorted.size(); ++i) {
    const auto* end_of_previous = static_cast<const std::byte*>(sorted[i - 1].address) -
                                  Heap::header_size + sorted[i - 1].block_size;
    const auto* start = static_cast<const std::byte*>(sorted[i].address) - Heap::header_size;
    ASSERT_LE(end_of_previous, start) << "blocks overlap";
    if (end_of_previous == start) {
      EXPECT_FALSE(!sorted[i - 1].used && !sorted[i].used)
          << "two adjacent free blocks at " << sorted[i].address;
    } else {
      ++runs;
    }
  }
  EXPECT_EQ(runs, stats.pool_count);

  std::size_t live = 0;
  for (void* p : blocks) {
    if (p == nullptr) {
      continue;
    }
    ++live;
    const auto found = std::find_if(walk.blocks.begin(), walk.blocks.end(),
                                    [&](const BlockInfo& block) { return block.address == p; });
    ASSERT_NE(found, walk.blocks.end());
    EXPECT_TRUE(found->used);
    EXPECT_EQ(found->size, this->heap->usable_size(p));
  }
  EXPECT_EQ(live, stats.used_blocks);
  EXPECT_TRUE(this->healthy());
}

TYPED_TEST(IntrospectionTest, CheckPassesOnHealthyHeaps) {
  EXPECT_TRUE(this->healthy());  // no pools at all
  this->add_accepted_pool();
  EXPECT_TRUE(this->healthy());
  void* p = this->heap->allocate(10);
  void* q = this->heap->allocate(1000, 256);
  EXPECT_TRUE(this->healthy());
  this->heap->deallocate(p);
  EXPECT_TRUE(this->healthy());
  this->heap->deallocate(q);
  EXPECT_TRUE(this->healthy());
}

// Damages the header word right before an allocated block in several ways;
// check() must fail and report heap_corrupted for each, and recover once the
// word is restored.
TYPED_TEST(IntrospectionTest, CheckDetectsDamagedHeader) {
  using Heap = TypeParam;
  this->add_accepted_pool();
  void* before = this->heap->allocate(200);
  void* victim = this->heap->allocate(200);
  void* after = this->heap->allocate(200);
  ASSERT_TRUE(before && victim && after);
  this->heap->deallocate(before);  // a free neighbour, so flags about it matter too

  auto* header = static_cast<std::byte*>(victim) - sizeof(std::size_t);
  std::size_t original = 0;
  std::memcpy(&original, header, sizeof original);

  const std::size_t damages[] = {0,
                                 ~std::size_t{0},
                                 original ^ 1U,
                                 original ^ 2U,
                                 original + Heap::granularity,
                                 original - Heap::granularity,
                                 original + 4096,
                                 original * 3};
  for (std::size_t damaged : damages) {
    SCOPED_TRACE(::testing::Message()
                 << std::hex << "header 0x" << original << " damaged to 0x" << damaged);
    std::memcpy(header, &damaged, sizeof damaged);
    EXPECT_FALSE(this->heap->check());
    const std::vector<ErrorInfo> reports = this->take_reports();
    ASSERT_FALSE(reports.empty());
    EXPECT_EQ(reports.front().code, ErrorCode::heap_corrupted) << describe(reports);
    EXPECT_EQ(reports.front().heap, this->heap.get());
    std::memcpy(header, &original, sizeof original);
    ASSERT_TRUE(this->healthy());
  }
  this->heap->deallocate(victim);
  this->heap->deallocate(after);
  EXPECT_TRUE(this->healthy());
}

// Damage to a free block's bookkeeping is caught too.
TYPED_TEST(IntrospectionTest, CheckDetectsDamagedFreeBlock) {
  this->add_accepted_pool();
  void* a = this->heap->allocate(200);
  void* guard = this->heap->allocate(200);
  ASSERT_TRUE(a && guard);
  this->heap->deallocate(a);

  // The free block's payload holds its list links; scribble over them.
  std::byte saved[2 * sizeof(void*)];
  std::memcpy(saved, a, sizeof saved);
  std::memset(a, 0x5A, sizeof saved);
  EXPECT_FALSE(this->heap->check());
  const std::vector<ErrorInfo> reports = this->take_reports();
  ASSERT_FALSE(reports.empty());
  EXPECT_EQ(reports.front().code, ErrorCode::heap_corrupted);
  std::memcpy(a, saved, sizeof saved);
  EXPECT_TRUE(this->healthy());
  this->heap->deallocate(guard);
}

// Walk blocks carry both views of their size: usable bytes and the whole block.
TYPED_TEST(IntrospectionTest, WalkReportsBlockSizes) {
  using Heap = TypeParam;
  this->add_accepted_pool();
  void* plain = this->heap->allocate(100);
  void* aligned = this->heap->allocate(100, 256);
  ASSERT_TRUE(plain && aligned);
  for (const BlockInfo& block : summarize(*this->heap).blocks) {
    EXPECT_EQ(block.block_size % Heap::granularity, 0U);
    if (block.address == plain) {
      EXPECT_EQ(block.size, this->heap->usable_size(plain));
      EXPECT_EQ(block.block_size, block.size + Heap::header_size);
    } else if (block.address == aligned) {
      EXPECT_EQ(block.size, this->heap->usable_size(aligned));
      EXPECT_EQ(block.block_size, block.size + 2 * Heap::header_size);
    } else {
      EXPECT_FALSE(block.used);
      EXPECT_EQ(block.block_size, block.size + Heap::header_size);
    }
  }
  this->heap->deallocate(plain);
  this->heap->deallocate(aligned);
}

// A visitor that returns false stops the walk.
TYPED_TEST(IntrospectionTest, WalkStopsWhenVisitorSaysSo) {
  this->add_accepted_pool();
  for (int i = 0; i < 10; ++i) {
    this->heap->allocate(64);
  }
  std::size_t visited = 0;
  this->heap->walk([&](const BlockInfo&) { return ++visited < 3; });
  EXPECT_EQ(visited, 3U);
}

TEST(ErrorHandlerTest, SetReturnsPrevious) {
  const ErrorHandler original = set_error_handler(&record_error);
  EXPECT_EQ(error_handler(), &record_error);
  EXPECT_EQ(set_error_handler(original), &record_error);
  EXPECT_EQ(error_handler(), original);
}

// nullptr stands for the default handler: trap in checked builds, ignore otherwise.
TEST(ErrorHandlerTest, NullRestoresDefault) {
  const ErrorHandler original = set_error_handler(nullptr);
  EXPECT_EQ(error_handler(), nullptr);
  set_error_handler(original);
}

}  // namespace
}  // namespace rtalloc::test
