// SPDX-License-Identifier: MIT OR Apache-2.0
// The invariants asserted where they are maintained (RTALLOC_ASSERT): in checked builds each
// damaged structure below is reported as heap_corrupted by the operation that meets it, before
// check() runs. Release builds do not evaluate the assertions; these tests skip there. They
// write the allocators' own bytes on purpose, so they are left out where a memory checker
// guards those bytes (the fuzz and valgrind presets: their names contain AssertionsCatchDamaged).
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <rtalloc/pools/handle_pool.hpp>
#include <rtalloc/pools/slab_pool.hpp>
#include <rtalloc/tlsf.hpp>
#include <vector>

#include "../tlsf/tlsf_test_support.hpp"

namespace rtalloc::test {
namespace {

class AssertionsCatchDamagedTest : public ErrorRecordingTest {
 protected:
  void SetUp() override {
    if (!checks_enabled) GTEST_SKIP() << "release builds do not evaluate the assertions";
    ErrorRecordingTest::SetUp();
  }

  // The first report is heap_corrupted with `message`; all are consumed.
  static ::testing::AssertionResult reported(const char* message) {
    const std::vector<ErrorInfo> reports = take_reports();
    if (!reports.empty() && reports.front().code == ErrorCode::heap_corrupted &&
        std::strcmp(reports.front().message, message) == 0) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure()
           << "expected heap_corrupted \"" << message << "\", got" << describe(reports);
  }

  alignas(16) std::byte memory_[16 * 1024];
};

TEST_F(AssertionsCatchDamagedTest, FreeingNextToAFreeBlockWhoseSelfPointerIsWrong) {
  Tlsf<> heap(memory_, sizeof memory_);
  void* a = heap.allocate(100);
  void* b = heap.allocate(100);
  void* guard = heap.allocate(100);
  ASSERT_TRUE(a && b && guard);
  heap.deallocate(b);  // free, between two used blocks; its last word points at it
  // b's header, the word before it, holds the block's size (flags in the low bits).
  auto* block = static_cast<std::byte*>(b) - sizeof(std::size_t);
  std::size_t header = 0;
  std::memcpy(&header, block, sizeof header);
  auto* last_word = block + (header & ~(Tlsf<>::granularity - 1)) - sizeof(void*);
  const void* wrong = memory_;
  std::memcpy(last_word, &wrong, sizeof wrong);
  heap.deallocate(a);  // merges with b
  EXPECT_TRUE(reported("merging with a free block whose self pointer disagrees"));
}

TEST_F(AssertionsCatchDamagedTest, UnlinkingAFreeBlockWhoseBackLinkIsWrong) {
  Tlsf<> heap(memory_, sizeof memory_);
  void* a = heap.allocate(100);
  void* b = heap.allocate(100);
  void* guard = heap.allocate(100);
  ASSERT_TRUE(a && b && guard);
  heap.deallocate(b);
  // A free block's payload starts with its next link, then its back link: point that at a
  // word of the test's, which the unlink then writes.
  void* sink = nullptr;
  void** wrong = &sink;
  std::memcpy(static_cast<std::byte*>(b) + sizeof(void*), &wrong, sizeof wrong);
  heap.deallocate(a);  // merges with b, which must come off its list first
  EXPECT_TRUE(reported("free list: unlinking a block its back link does not name"));
}

TEST_F(AssertionsCatchDamagedTest, HandlePoolAllocatingASlotThatIsNotFree) {
  using Pool = HandlePool<32>;
  Pool pool(memory_, 4 * Pool::slot_bytes + 64);
  ASSERT_GE(pool.capacity(), 2U);
  // The pool's first slot is the free list's head; its generation word comes first. Make it odd,
  // as an allocated slot's is.
  const auto start = reinterpret_cast<std::uintptr_t>(memory_);
  auto* first_slot = reinterpret_cast<std::byte*>((start + alignof(std::max_align_t) - 1) &
                                                  ~std::uintptr_t{alignof(std::max_align_t) - 1});
  Pool::Word generation = 1;
  std::memcpy(first_slot, &generation, sizeof generation);
  static_cast<void>(pool.allocate(8));
  EXPECT_TRUE(reported("handle pool: an allocated slot on the free list"));
}

TEST_F(AssertionsCatchDamagedTest, SlabAllocatingFromAHeadThatNamesNoSlot) {
  SlabPool<std::uint64_t> pool(memory_, 1024);
  ASSERT_GT(pool.capacity(), 0U);
  // The control block opens the memory: its first word is the free stack's head (the top slot's
  // index in the low half). Point it past the last slot.
  using Head = detail::SlabHeadWord;
  Head head = 0;
  std::memcpy(&head, memory_, sizeof head);
  head = (head & ~Head{0xffff}) | static_cast<Head>(pool.capacity() + 5);
  std::memcpy(memory_, &head, sizeof head);
  static_cast<void>(pool.allocate());
  EXPECT_TRUE(reported("slab: the free stack's head names no slot"));
}

}  // namespace
}  // namespace rtalloc::test
