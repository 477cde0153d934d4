// SPDX-License-Identifier: MIT OR Apache-2.0
// DebugHeap: every bug it promises to catch is caught, reported once with the
// block's address and size, and leaves the heap sound.
#include <cstring>
#include <rtalloc/concepts.hpp>
#include <rtalloc/debug_heap.hpp>
#include <rtalloc/small_objects.hpp>
#include <string>

#include "../tlsf/tlsf_test_support.hpp"

namespace rtalloc::test {
namespace {

using Debug = DebugHeap<>;
static_assert(heap<Debug>, "DebugHeap plugs into every adapter");
// The host configuration on every target: its 256-byte limit holds the
// debug heap's prefix and guard around the small requests below.
using DebugSlabs = DebugHeap<SmallObjects<Tlsf<>, SmallHostConfig>>;
static_assert(heap<DebugSlabs>, "over the small-object layer too");

class DebugHeapTest : public ErrorRecordingTest {
 protected:
  void SetUp() override {
    ErrorRecordingTest::SetUp();
    ASSERT_GT(debug->add_pool(memory.data(), memory.size()), 0U);
  }

  // Exactly one report: `code`, from the debug heap, about `p`, with `size`
  // and a message containing `words`.
  ::testing::AssertionResult reported(ErrorCode code, const void* p, std::size_t size,
                                      const char* words = "") {
    const std::vector<ErrorInfo> reports = take_reports();
    if (reports.size() == 1 && reports[0].code == code && reports[0].heap == debug.get() &&
        reports[0].address == p && reports[0].size == size &&
        std::string(reports[0].message).find(words) != std::string::npos) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure()
           << "expected one " << to_string(code) << " about " << p << " size " << size << ", got "
           << reports.size() << ":" << describe(reports);
  }

  ::testing::AssertionResult healthy() {
    if (!debug->check()) {
      return ::testing::AssertionFailure() << "check() failed:" << describe(take_reports());
    }
    return no_reports();
  }

  PoolMemory memory{64 * 1024};
  std::unique_ptr<Debug> debug = std::make_unique<Debug>();
};

TEST_F(DebugHeapTest, FreshMemoryIsFilledAndTheSizeIsExact) {
  auto* p = static_cast<unsigned char*>(debug->allocate(24));
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(is_aligned(p, Debug::alignment));
  EXPECT_EQ(debug->usable_size(p), 24U);
  for (std::size_t i = 0; i < 24; ++i) EXPECT_EQ(p[i], Debug::fresh_byte) << i;
  EXPECT_TRUE(healthy());
  debug->deallocate(p);
  debug->flush_quarantine();
  EXPECT_EQ(debug->stats().used_blocks, 0U);
  EXPECT_TRUE(healthy());
}

TEST_F(DebugHeapTest, OverflowIntoTheGuardIsReportedOnFree) {
  auto* p = static_cast<unsigned char*>(debug->allocate(24));
  ASSERT_NE(p, nullptr);
  p[24] = 0;  // one byte too far
  debug->deallocate(p);
  EXPECT_TRUE(reported(ErrorCode::heap_corrupted, p, 24, "guard"));
  EXPECT_TRUE(healthy());  // the guard took the damage; the block was freed
}

TEST_F(DebugHeapTest, OverflowIntoTheGuardIsReportedByCheck) {
  auto* p = static_cast<unsigned char*>(debug->allocate(100));
  ASSERT_NE(p, nullptr);
  std::memset(p, 1, 100);
  EXPECT_TRUE(healthy());
  p[100 + Debug::guard_size - 1] = 0;  // the last guaranteed guard byte
  EXPECT_FALSE(debug->check());
  EXPECT_TRUE(reported(ErrorCode::heap_corrupted, p, 100, "guard"));
  p[100 + Debug::guard_size - 1] = Debug::guard_byte;
  EXPECT_TRUE(healthy());
  debug->deallocate(p);
}

TEST_F(DebugHeapTest, UnderflowIntoThePrefixIsReported) {
  auto* p = static_cast<unsigned char*>(debug->allocate(40));
  ASSERT_NE(p, nullptr);
  p[-1] ^= 0xFF;  // one byte before the block
  EXPECT_FALSE(debug->check());
  EXPECT_TRUE(reported(ErrorCode::heap_corrupted, p, 0, "prefix"));
  debug->deallocate(p);  // no longer recognisable: refused
  EXPECT_TRUE(reported(ErrorCode::invalid_pointer, p, 0));
  p[-1] ^= 0xFF;
  EXPECT_TRUE(healthy());
  debug->deallocate(p);
}

TEST_F(DebugHeapTest, DoubleFreeIsReportedWithTheSize) {
  void* p = debug->allocate(24);
  void* keep = debug->allocate(24);
  ASSERT_TRUE(p && keep);
  debug->deallocate(p);
  debug->deallocate(p);  // in the quarantine
  EXPECT_TRUE(reported(ErrorCode::double_free, p, 24));
  EXPECT_EQ(debug->reallocate(p, 10), nullptr);
  EXPECT_TRUE(reported(ErrorCode::double_free, p, 24));
  EXPECT_EQ(debug->usable_size(p), 0U);
  EXPECT_TRUE(reported(ErrorCode::double_free, p, 24));
  debug->flush_quarantine();
  debug->deallocate(p);  // back in the heap, memory not reused yet
  EXPECT_TRUE(reported(ErrorCode::double_free, p, 24));
  EXPECT_TRUE(healthy());
  debug->deallocate(keep);
}

TEST_F(DebugHeapTest, ForeignInteriorAndMisalignedPointersAreReported) {
  auto* p = static_cast<unsigned char*>(debug->allocate(256));
  ASSERT_NE(p, nullptr);
  std::memset(p, 0, 256);
  Debug other;
  PoolMemory other_memory(8192);
  ASSERT_GT(other.add_pool(other_memory.data(), other_memory.size()), 0U);
  void* theirs = other.allocate(100);
  ASSERT_NE(theirs, nullptr);
  alignas(64) unsigned char on_stack[64] = {};
  const TlsfStats before = debug->stats();
  for (void* bad : {static_cast<void*>(on_stack + 32), static_cast<void*>(p + 16),
                    static_cast<void*>(p + 128), static_cast<void*>(p + 1), theirs,
                    static_cast<void*>(memory.data() + 8)}) {  // the pool descriptor
    SCOPED_TRACE(::testing::Message() << "pointer " << bad);
    debug->deallocate(bad);
    EXPECT_TRUE(reported(ErrorCode::invalid_pointer, bad, 0));
    EXPECT_EQ(debug->reallocate(bad, 8), nullptr);
    EXPECT_TRUE(reported(ErrorCode::invalid_pointer, bad, 0));
  }
  EXPECT_EQ(debug->stats().used, before.used);
  EXPECT_TRUE(healthy());
  EXPECT_TRUE(other.check());
  debug->deallocate(p);
  other.deallocate(theirs);
}

TEST_F(DebugHeapTest, WriteAfterFreeIsReportedByCheckAndWhenLeavingTheQuarantine) {
  auto* p = static_cast<unsigned char*>(debug->allocate(64));
  ASSERT_NE(p, nullptr);
  debug->deallocate(p);
  EXPECT_EQ(debug->quarantined(), 1U);
  for (std::size_t i = 0; i < 64; ++i) ASSERT_EQ(p[i], Debug::freed_byte) << i;
  p[10] = 42;  // the bug
  EXPECT_FALSE(debug->check());
  EXPECT_TRUE(reported(ErrorCode::heap_corrupted, p, 64, "after free"));
  debug->flush_quarantine();
  EXPECT_TRUE(reported(ErrorCode::heap_corrupted, p, 64, "after free"));
  EXPECT_EQ(debug->quarantined(), 0U);
  EXPECT_TRUE(healthy());
}

TEST_F(DebugHeapTest, QuarantineHoldsTheLastFreedBlocks) {
  std::vector<void*> blocks;
  for (std::size_t i = 0; i < Debug::quarantine_size + 3; ++i)
    blocks.push_back(debug->allocate(48));
  for (void* p : blocks) debug->deallocate(p);
  EXPECT_EQ(debug->quarantined(), Debug::quarantine_size);
  EXPECT_EQ(debug->stats().used_blocks, Debug::quarantine_size);
  EXPECT_TRUE(healthy());
  debug->flush_quarantine();
  EXPECT_EQ(debug->stats().used_blocks, 0U);
}

// The quarantine never makes an allocation fail that would succeed without it.
TEST_F(DebugHeapTest, FullHeapEmptiesTheQuarantine) {
  const std::size_t big = debug->stats().largest_free / 2;
  for (int round = 0; round < 20; ++round) {
    void* p = debug->allocate(big);
    ASSERT_NE(p, nullptr) << "round " << round;
    debug->deallocate(p);
  }
  EXPECT_TRUE(healthy());
}

TEST_F(DebugHeapTest, ReallocateMovesKeepsContentsAndFreesTheOldBlock) {
  auto* p = static_cast<unsigned char*>(debug->allocate(32));
  ASSERT_NE(p, nullptr);
  fill_pattern(p, 32, 7);
  auto* q = static_cast<unsigned char*>(debug->reallocate(p, 20));
  ASSERT_NE(q, nullptr);
  EXPECT_NE(q, p);
  EXPECT_TRUE(pattern_intact(q, 20, 7));
  EXPECT_EQ(debug->usable_size(q), 20U);
  auto* r = static_cast<unsigned char*>(debug->reallocate(q, 1000));
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(pattern_intact(r, 20, 7));
  for (std::size_t i = 20; i < 1000; ++i) ASSERT_EQ(r[i], Debug::fresh_byte) << i;
  debug->deallocate(p);  // stale pointer from before the first reallocate
  EXPECT_TRUE(reported(ErrorCode::double_free, p, 32));
  EXPECT_TRUE(healthy());
  debug->deallocate(r);
}

TEST_F(DebugHeapTest, AlignedBlocksKeepTheirAlignmentAndGuard) {
  for (std::size_t align : {32U, 64U, 256U, 4096U}) {
    SCOPED_TRACE(::testing::Message() << "align " << align);
    auto* p = static_cast<unsigned char*>(debug->allocate(50, align));
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(is_aligned(p, align));
    auto* q = static_cast<unsigned char*>(debug->reallocate(p, 70));
    ASSERT_NE(q, nullptr);
    EXPECT_TRUE(is_aligned(q, align));
    q[70] = 0;
    debug->deallocate(q);
    EXPECT_TRUE(reported(ErrorCode::heap_corrupted, q, 70, "guard"));
  }
  EXPECT_TRUE(healthy());
}

TEST_F(DebugHeapTest, BadRequestsAreAnsweredAsByTheHeap) {
  EXPECT_EQ(debug->allocate(8, 3), nullptr);
  EXPECT_TRUE(reported(ErrorCode::invalid_alignment, nullptr, 3));
  EXPECT_EQ(debug->allocate(8, 0), nullptr);
  EXPECT_TRUE(reported(ErrorCode::invalid_alignment, nullptr, 0));
  EXPECT_EQ(debug->allocate(std::numeric_limits<std::size_t>::max()), nullptr);
  EXPECT_EQ(debug->allocate(std::numeric_limits<std::size_t>::max() - 40), nullptr);
  // An alignment larger than any pool: the highest power of two size_t holds.
  EXPECT_EQ(debug->allocate(100, std::size_t{1} << (std::numeric_limits<std::size_t>::digits - 1)),
            nullptr);
  EXPECT_EQ(debug->usable_size(nullptr), 0U);
  debug->deallocate(nullptr);
  EXPECT_TRUE(healthy());
}

// Over SmallObjects the debug heap's blocks are slab objects (their prefix
// and guard included, small requests stay under the limit), and the same
// bugs are caught in them.
class DebugSlabsTest : public ErrorRecordingTest {
 protected:
  void SetUp() override {
    ErrorRecordingTest::SetUp();
    ASSERT_GT(debug->add_pool(memory.data(), memory.size()), 0U);
  }
  ::testing::AssertionResult one_report(ErrorCode code, const void* p, const char* words) {
    const std::vector<ErrorInfo> reports = take_reports();
    if (reports.size() == 1 && reports[0].code == code && reports[0].address == p &&
        std::string(reports[0].message).find(words) != std::string::npos) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "got " << reports.size() << ":" << describe(reports);
  }

  PoolMemory memory{256 * 1024, SmallHostConfig::slab_bytes};
  std::unique_ptr<DebugSlabs> debug = std::make_unique<DebugSlabs>();
};

TEST_F(DebugSlabsTest, AnOverflowOutOfASlabObjectIsReportedOnFree) {
  auto* p = static_cast<unsigned char*>(debug->allocate(24));
  ASSERT_NE(p, nullptr);
  ASSERT_EQ(debug->heap().stats_detail().small_objects, 1U) << "the block is a slab object";
  p[24] = 0;
  debug->deallocate(p);
  EXPECT_TRUE(one_report(ErrorCode::heap_corrupted, p, "guard"));
  EXPECT_TRUE(debug->check());
}

TEST_F(DebugSlabsTest, AWriteAfterFreeIntoASlabObjectIsReported) {
  auto* p = static_cast<unsigned char*>(debug->allocate(40));
  ASSERT_NE(p, nullptr);
  ASSERT_EQ(debug->heap().stats_detail().small_objects, 1U);
  debug->deallocate(p);
  p[3] = 7;
  EXPECT_FALSE(debug->check());
  EXPECT_TRUE(one_report(ErrorCode::heap_corrupted, p, "after free"));
  debug->flush_quarantine();
  EXPECT_TRUE(one_report(ErrorCode::heap_corrupted, p, "after free"));
  EXPECT_EQ(debug->heap().stats_detail().small_objects, 0U);
  EXPECT_TRUE(debug->check());
}

TEST_F(DebugSlabsTest, ADoubleFreeOfASlabObjectIsReported) {
  void* p = debug->allocate(100);
  ASSERT_NE(p, nullptr);
  debug->deallocate(p);
  debug->deallocate(p);
  const std::vector<ErrorInfo> reports = take_reports();
  ASSERT_EQ(reports.size(), 1U) << describe(reports);
  EXPECT_EQ(reports[0].code, ErrorCode::double_free);
  EXPECT_TRUE(debug->check());
}

}  // namespace
}  // namespace rtalloc::test
