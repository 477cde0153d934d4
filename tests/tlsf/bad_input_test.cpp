// SPDX-License-Identifier: MIT OR Apache-2.0
// Misuse the heap must survive: double frees, foreign pointers, overlapping
// pools. Checked builds report and refuse; the heap stays sound either way.
#include <cstring>

#include "tlsf_test_support.hpp"

namespace rtalloc::test {
namespace {

template <class Heap>
class BadInputTest : public HeapTest<Heap> {
 protected:
  void SetUp() override {
    HeapTest<Heap>::SetUp();
    pool = this->add_accepted_pool();
  }

  // Everything observable about the heap, to show a refused call changed nothing.
  struct Snapshot {
    TlsfStats stats;
    std::vector<BlockInfo> blocks;
  };
  Snapshot snapshot() const { return {this->heap->stats(), summarize(*this->heap).blocks}; }

  static ::testing::AssertionResult unchanged(const Snapshot& before, const Snapshot& after) {
    const TlsfStats& x = before.stats;
    const TlsfStats& y = after.stats;
    if (x.used != y.used || x.used_blocks != y.used_blocks || x.free_blocks != y.free_blocks ||
        x.capacity != y.capacity || x.largest_free != y.largest_free ||
        before.blocks.size() != after.blocks.size()) {
      return ::testing::AssertionFailure() << "stats changed";
    }
    for (std::size_t i = 0; i < before.blocks.size(); ++i) {
      const BlockInfo& a = before.blocks[i];
      const BlockInfo& b = after.blocks[i];
      if (a.address != b.address || a.size != b.size || a.used != b.used) {
        return ::testing::AssertionFailure() << "block " << i << " changed";
      }
    }
    return ::testing::AssertionSuccess();
  }

  std::byte* pool = nullptr;
};
TYPED_TEST_SUITE(BadInputTest, HeapConfigurations);

TYPED_TEST(BadInputTest, DoubleFreeIsReported) {
  void* a = this->heap->allocate(100);
  void* guard = this->heap->allocate(100);
  ASSERT_TRUE(a && guard);
  this->heap->deallocate(a);
  const auto before = this->snapshot();
  this->heap->deallocate(a);
  EXPECT_TRUE(this->took_report(ErrorCode::double_free, this->heap.get(), a));
  EXPECT_TRUE(this->unchanged(before, this->snapshot()));
  EXPECT_TRUE(this->healthy());
  this->heap->deallocate(guard);
  EXPECT_EQ(this->heap->stats().free_blocks, 1U);
}

// The freed block has since merged with its free predecessor; its old
// header now sits inside a larger free block.
TYPED_TEST(BadInputTest, DoubleFreeAfterMergeIsReported) {
  void* a = this->heap->allocate(100);
  void* b = this->heap->allocate(100);
  void* guard = this->heap->allocate(100);
  ASSERT_TRUE(a && b && guard);
  this->heap->deallocate(a);
  this->heap->deallocate(b);
  const auto before = this->snapshot();
  this->heap->deallocate(b);
  const std::vector<ErrorInfo> reports = this->take_reports();
  ASSERT_EQ(reports.size(), 1U) << describe(reports);
  EXPECT_TRUE(reports[0].code == ErrorCode::double_free ||
              reports[0].code == ErrorCode::invalid_pointer)
      << describe(reports);
  EXPECT_TRUE(this->unchanged(before, this->snapshot()));
  EXPECT_TRUE(this->healthy());
  this->heap->deallocate(guard);
}

TYPED_TEST(BadInputTest, DoubleFreeOfReusedNeighbourIsReported) {
  void* a = this->heap->allocate(100);
  ASSERT_NE(a, nullptr);
  this->heap->deallocate(a);  // merges into the free tail
  const auto before = this->snapshot();
  this->heap->deallocate(a);
  const std::vector<ErrorInfo> reports = this->take_reports();
  ASSERT_EQ(reports.size(), 1U) << describe(reports);
  EXPECT_TRUE(reports[0].code == ErrorCode::double_free ||
              reports[0].code == ErrorCode::invalid_pointer)
      << describe(reports);
  EXPECT_TRUE(this->unchanged(before, this->snapshot()));
  EXPECT_TRUE(this->healthy());
}

TYPED_TEST(BadInputTest, ForeignPointersAreReportedInCheckedBuilds) {
  if constexpr (!checks_enabled) {
    GTEST_SKIP() << "freeing a pointer the heap never gave out is undefined without checks";
  } else {
    void* a = this->heap->allocate(256);
    void* guard = this->heap->allocate(16);
    ASSERT_TRUE(a && guard);
    std::memset(a, 0, 256);
    alignas(64) std::byte on_stack[64] = {};
    PoolMemory elsewhere(4096);
    std::memset(elsewhere.data(), 0, 4096);
    const std::vector<void*> foreign = {
        on_stack + 16,                     // the stack
        elsewhere.data() + 64,             // memory no pool covers
        static_cast<std::byte*>(a) + 16,   // the middle of a used block (zeros before it)
        static_cast<std::byte*>(a) + 128,  //
        static_cast<std::byte*>(a) + 1,    // misaligned
        this->pool + 3,                    // the pool's first bytes
    };
    for (void* p : foreign) {
      SCOPED_TRACE(::testing::Message() << "pointer " << p);
      const auto before = this->snapshot();
      this->heap->deallocate(p);
      EXPECT_TRUE(this->took_report(ErrorCode::invalid_pointer, this->heap.get(), p));
      EXPECT_TRUE(this->unchanged(before, this->snapshot()));
      ASSERT_TRUE(this->healthy());
    }
    this->heap->deallocate(a);
    this->heap->deallocate(guard);
    EXPECT_EQ(this->heap->stats().free_blocks, 1U);
  }
}

// A pointer into the middle of a block whose preceding word looks like a
// used block's header, while the word where that block's successor would
// start says "previous block free", which a used block's successor never
// does: an implausible header. (A forged header that agrees with its
// neighbours is beyond what the checked build promises to catch.)
TYPED_TEST(BadInputTest, PointerIntoBlockWithInconsistentHeaderIsReported) {
  using Heap = TypeParam;
  if constexpr (!checks_enabled) {
    GTEST_SKIP() << "undefined without checks";
  } else {
    void* a = this->heap->allocate(512);
    void* guard = this->heap->allocate(16);
    ASSERT_TRUE(a && guard);
    std::memset(a, 0, 512);
    const std::size_t fake_header = Heap::min_block_size;
    const std::size_t fake_successor = 4 * Heap::granularity | 2;  // a size with PREV_FREE set
    auto* inside = static_cast<std::byte*>(a) + 256;
    std::memcpy(inside - Heap::header_size, &fake_header, sizeof fake_header);
    std::memcpy(inside - Heap::header_size + fake_header, &fake_successor, sizeof fake_successor);
    const auto before = this->snapshot();
    this->heap->deallocate(inside);
    EXPECT_TRUE(this->took_report(ErrorCode::invalid_pointer, this->heap.get(), inside));
    EXPECT_TRUE(this->unchanged(before, this->snapshot()));
    EXPECT_TRUE(this->healthy());
    this->heap->deallocate(a);
    this->heap->deallocate(guard);
  }
}

TYPED_TEST(BadInputTest, PointerFromAnotherHeapIsReported) {
  if constexpr (!checks_enabled) {
    GTEST_SKIP() << "undefined without checks";
  } else {
    auto other = std::make_unique<TypeParam>();
    PoolMemory memory(8192);
    ASSERT_GT(other->add_pool(memory.data(), memory.size()), 0U);
    void* theirs = other->allocate(100);
    ASSERT_NE(theirs, nullptr);
    const auto before = this->snapshot();
    this->heap->deallocate(theirs);
    EXPECT_TRUE(this->took_report(ErrorCode::invalid_pointer));
    EXPECT_TRUE(this->unchanged(before, this->snapshot()));
    EXPECT_EQ(this->heap->reallocate(theirs, 200), nullptr);
    EXPECT_TRUE(this->took_report(ErrorCode::invalid_pointer));
    EXPECT_TRUE(this->unchanged(before, this->snapshot()));
    EXPECT_TRUE(this->healthy());
    EXPECT_TRUE(other->check());
    other->deallocate(theirs);
    EXPECT_TRUE(other->check());
  }
}

// Freed blocks are recognised in every build, by every operation that takes one.
TYPED_TEST(BadInputTest, UseOfFreedBlockIsReported) {
  void* a = this->heap->allocate(100);
  void* guard = this->heap->allocate(100);
  ASSERT_TRUE(a && guard);
  this->heap->deallocate(a);
  const auto before = this->snapshot();
  EXPECT_EQ(this->heap->reallocate(a, 50), nullptr);
  EXPECT_TRUE(this->took_report(ErrorCode::double_free));
  EXPECT_EQ(this->heap->reallocate(a, 5000), nullptr);
  EXPECT_TRUE(this->took_report(ErrorCode::double_free));
  EXPECT_EQ(this->heap->usable_size(a), 0U);
  EXPECT_TRUE(this->took_report(ErrorCode::double_free));
  EXPECT_TRUE(this->unchanged(before, this->snapshot()));
  EXPECT_EQ(this->heap->stats().failed_allocations, 0U);
  EXPECT_TRUE(this->healthy());
  this->heap->deallocate(guard);
}

TYPED_TEST(BadInputTest, OverlappingPoolsAreRefusedInCheckedBuilds) {
  if constexpr (!checks_enabled) {
    GTEST_SKIP() << "overlap detection is a checked-build feature";
  } else {
    PoolMemory memory(32768);
    ASSERT_GT(this->heap->add_pool(memory.data() + 8192, 8192), 0U);
    const auto before = this->snapshot();
    struct Case {
      std::size_t offset;
      std::size_t bytes;
    };
    const Case cases[] = {
        {8192, 8192},   // the same pool again
        {4096, 8192},   // overlaps its start
        {12288, 8192},  // overlaps its end
        {9000, 1024},   // inside it
        {0, 32768},     // around it
    };
    for (const Case& c : cases) {
      SCOPED_TRACE(::testing::Message() << "pool at +" << c.offset << " of " << c.bytes);
      EXPECT_EQ(this->heap->add_pool(memory.data() + c.offset, c.bytes), 0U);
      EXPECT_TRUE(this->took_report(ErrorCode::pool_overlap));
      EXPECT_TRUE(this->unchanged(before, this->snapshot()));
    }
    // The first pool overlaps too.
    EXPECT_EQ(this->heap->add_pool(this->pool + 100, 4096), 0U);
    EXPECT_TRUE(this->took_report(ErrorCode::pool_overlap));
    // Touching is not overlapping.
    EXPECT_GT(this->heap->add_pool(memory.data() + 16384, 8192), 0U);
    EXPECT_GT(this->heap->add_pool(memory.data(), 8192), 0U);
    EXPECT_EQ(this->heap->stats().pool_count, 4U);
    EXPECT_TRUE(this->healthy());
  }
}

// Extending a pool over another one is refused just the same.
TYPED_TEST(BadInputTest, ExtendingIntoAnotherPoolIsRefusedInCheckedBuilds) {
  if constexpr (!checks_enabled) {
    GTEST_SKIP() << "overlap detection is a checked-build feature";
  } else {
    PoolMemory memory(16384);
    ASSERT_GT(this->heap->add_pool(memory.data(), 4096), 0U);
    ASSERT_GT(this->heap->add_pool(memory.data() + 8192, 4096), 0U);
    const auto before = this->snapshot();
    EXPECT_EQ(this->heap->extend_pool(memory.data(), memory.data() + 4096, 8192), 0U);
    EXPECT_TRUE(this->took_report(ErrorCode::pool_overlap));
    EXPECT_TRUE(this->unchanged(before, this->snapshot()));
    EXPECT_EQ(this->heap->pool_end(memory.data()), memory.data() + 4096);
    EXPECT_EQ(this->heap->extend_pool(memory.data(), memory.data() + 4096, 4096), 4096U);
    EXPECT_TRUE(this->healthy());
  }
}

// Without a recording handler, a checked build stops at the first misuse.
TYPED_TEST(BadInputTest, DefaultHandlerTrapsInCheckedBuilds) {
  void* a = this->heap->allocate(100);
  void* guard = this->heap->allocate(100);
  ASSERT_TRUE(a && guard);
  this->heap->deallocate(a);
  const ErrorHandler library_default = this->default_handler();
  if constexpr (checks_enabled) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_DEATH(
        {
          set_error_handler(library_default);
          this->heap->deallocate(a);
        },
        "");
  } else {
    set_error_handler(library_default);
    this->heap->deallocate(a);  // ignored
    set_error_handler(&record_error);
    EXPECT_TRUE(this->heap->check());
  }
  this->heap->deallocate(guard);
  EXPECT_TRUE(this->healthy());
}

}  // namespace
}  // namespace rtalloc::test
