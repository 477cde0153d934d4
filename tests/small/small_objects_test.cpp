// SPDX-License-Identifier: MIT OR Apache-2.0
// rtalloc::SmallObjects, one behaviour each: objects without headers, the
// small/large limit, alignment, reallocate across the limit, the answers to
// bad pointers, the slab policy at a class boundary, a refused slab, walk,
// check, stats, reset and the microcontroller configuration. The random
// model tests (tests/tlsf/random_model_test.cpp) drive it with sequences.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <rtalloc/small_objects.hpp>
#include <vector>

#include "../tlsf/tlsf_test_support.hpp"

namespace rtalloc::test {
namespace {

using Small = SmallObjects<Tlsf<>, SmallHostConfig>;
using Micro = SmallObjects<Tlsf<>, SmallMicroConfig>;

// The distance between two objects of one slab: their size, plus the
// redzone builds with a memory checker keep after each.
constexpr std::size_t stride(std::size_t size) {
  return size + (detail::memory_checker_enabled ? 16 : 0);
}

class SmallObjectsTest : public ErrorRecordingTest {
 protected:
  PoolMemory memory_{1024 * 1024, Small::slab_bytes};
  Small heap_{memory_.data(), memory_.size()};
};

TEST_F(SmallObjectsTest, ObjectsOfOneClassLieSideBySideWithNoHeader) {
  void* a = heap_.allocate(24);
  void* b = heap_.allocate(20);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_TRUE(heap_.is_object(a));
  EXPECT_EQ(heap_.usable_size(a), 32u);
  EXPECT_EQ(address_of(b) - address_of(a), stride(32));
  EXPECT_TRUE(is_aligned(a, 16));
  const SmallObjectStats d = heap_.stats_detail();
  EXPECT_EQ(d.slabs, 1u);
  EXPECT_EQ(d.small_objects, 2u);
  EXPECT_EQ(d.small_bytes, 64u);
  heap_.deallocate(a);
  heap_.deallocate(b);
  EXPECT_TRUE(heap_.check());
}

TEST_F(SmallObjectsTest, EightByteRequestsShareTheEightByteClass) {
  void* a = heap_.allocate(1);
  void* b = heap_.allocate(8);
  EXPECT_EQ(heap_.usable_size(a), 8u);
  EXPECT_EQ(address_of(b) - address_of(a), stride(8));
  EXPECT_EQ(heap_.block_alignment(a), 8u);
  heap_.deallocate(a);
  heap_.deallocate(b);
}

TEST_F(SmallObjectsTest, TheLimitSeparatesObjectsFromBlocks) {
  void* at_limit = heap_.allocate(Small::max_small);
  void* above = heap_.allocate(Small::max_small + 1);
  EXPECT_TRUE(heap_.is_object(at_limit));
  EXPECT_EQ(heap_.usable_size(at_limit), Small::max_small);
  EXPECT_FALSE(heap_.is_object(above));
  EXPECT_GE(heap_.usable_size(above), Small::max_small + 1);
  heap_.deallocate(at_limit);
  heap_.deallocate(above);
  EXPECT_TRUE(heap_.check());
}

TEST_F(SmallObjectsTest, AlignmentsUpToSixteenStayInSlabsLargerOnesDoNot) {
  void* sixteen = heap_.allocate(40, 16);
  void* thirty_two = heap_.allocate(40, 32);
  void* page = heap_.allocate(8, 4096);
  EXPECT_TRUE(heap_.is_object(sixteen));
  EXPECT_FALSE(heap_.is_object(thirty_two));
  EXPECT_TRUE(is_aligned(thirty_two, 32));
  EXPECT_FALSE(heap_.is_object(page));
  EXPECT_TRUE(is_aligned(page, 4096));
  for (void* p : {sixteen, thirty_two, page}) heap_.deallocate(p);
  EXPECT_TRUE(heap_.check());
}

TEST_F(SmallObjectsTest, ReallocateCrossesTheLimitBothWaysAndKeepsTheBytes) {
  auto* p = static_cast<unsigned char*>(heap_.allocate(100));
  for (int i = 0; i < 100; ++i) p[i] = static_cast<unsigned char>(i);
  EXPECT_EQ(heap_.reallocate(p, 110), p) << "its class (112 bytes) holds 110";
  auto* large = static_cast<unsigned char*>(heap_.reallocate(p, 5000));
  ASSERT_NE(large, nullptr);
  EXPECT_FALSE(heap_.is_object(large));
  for (int i = 0; i < 100; ++i) ASSERT_EQ(large[i], i);
  auto* small = static_cast<unsigned char*>(heap_.reallocate(large, 50));
  ASSERT_NE(small, nullptr);
  for (int i = 0; i < 50; ++i) ASSERT_EQ(small[i], i);
  heap_.deallocate(small);
  EXPECT_TRUE(heap_.check());
  EXPECT_EQ(heap_.stats().used_blocks, 0u);
}

TEST_F(SmallObjectsTest, ASecondFreeIsReportedInEveryBuild) {
  void* p = heap_.allocate(48);
  void* keep = heap_.allocate(48);
  heap_.deallocate(p);
  heap_.deallocate(p);
  EXPECT_TRUE(took_report(ErrorCode::double_free, &heap_, p));
  EXPECT_EQ(heap_.usable_size(p), 0u);
  EXPECT_TRUE(took_report(ErrorCode::double_free, &heap_, p));
  EXPECT_TRUE(heap_.check()) << "the second free changed nothing";
  heap_.deallocate(keep);
}

TEST_F(SmallObjectsTest, APointerIntoAnObjectIsReportedInCheckedBuilds) {
  auto* p = static_cast<std::byte*>(heap_.allocate(64));
  void* interior = p + 16;
  heap_.deallocate(interior);
  if constexpr (checks_enabled) {
    EXPECT_TRUE(took_report(ErrorCode::invalid_pointer, &heap_, interior));
    EXPECT_TRUE(heap_.is_allocated(p));
    heap_.deallocate(p);
  } else {
    // Documented: a release build frees the object that holds the pointer.
    EXPECT_TRUE(no_reports());
    EXPECT_FALSE(heap_.is_allocated(p));
  }
  EXPECT_TRUE(heap_.check());
}

TEST_F(SmallObjectsTest, ASlotNeverHandedOutIsNoObject) {
  auto* p = static_cast<std::byte*>(heap_.allocate(32));
  void* next_slot = p + stride(32);  // never handed out: beyond the bump offset
  heap_.deallocate(next_slot);
  EXPECT_TRUE(took_report(ErrorCode::invalid_pointer, &heap_, next_slot));
  heap_.deallocate(p);
}

TEST_F(SmallObjectsTest, APointerOutsideTheHeapGetsTheTlsfAnswer) {
  alignas(16) static std::byte elsewhere[64];
  EXPECT_FALSE(heap_.owns(elsewhere));
  EXPECT_FALSE(heap_.is_object(elsewhere));
  if constexpr (checks_enabled) {
    heap_.deallocate(elsewhere + 16);
    EXPECT_TRUE(took_report(ErrorCode::invalid_pointer));
  }
  EXPECT_TRUE(heap_.check());
}

// The policy at a class boundary: a full slab's last object freed and
// allocated again, over and over, neither takes nor gives back a slab.
TEST_F(SmallObjectsTest, AFreeAndAnAllocateAtAClassBoundaryKeepTheSlab) {
  std::vector<void*> objects;
  void* first = heap_.allocate(256);
  objects.push_back(first);
  const std::size_t capacity = [&] {
    std::size_t n = 1;
    while (true) {
      void* p = heap_.allocate(256);
      objects.push_back(p);
      if (heap_.stats_detail().slabs != 1) return n;  // p opened a second slab
      ++n;
    }
  }();
  ASSERT_GT(capacity, 8u);
  void* in_second = objects.back();
  const SmallObjectStats before = heap_.stats_detail();
  for (int i = 0; i < 100; ++i) {
    heap_.deallocate(in_second);  // the second slab empties: the class's only slab with room
    in_second = heap_.allocate(256);
    ASSERT_TRUE(heap_.is_object(in_second));
  }
  objects.back() = in_second;
  EXPECT_EQ(heap_.stats_detail().slabs, before.slabs);
  for (void* p : objects) heap_.deallocate(p);
  // Both slabs empty: the class keeps one, the other went back.
  EXPECT_EQ(heap_.stats_detail().slabs, 1u);
  EXPECT_EQ(heap_.stats_detail().empty_slabs, 1u);
  EXPECT_EQ(heap_.release_empty_slabs(), 1u);
  EXPECT_EQ(heap_.stats_detail().slabs, 0u);
  EXPECT_TRUE(heap_.check());
}

TEST_F(SmallObjectsTest, WalkSeesObjectsAndBlocksButNotSlabs) {
  void* a = heap_.allocate(24);
  void* b = heap_.allocate(200);
  void* c = heap_.allocate(1000);
  std::size_t used = 0, free = 0;
  bool saw[3] = {false, false, false};
  heap_.walk([&](const BlockInfo& block) {
    if (!block.used) {
      ++free;
      return;
    }
    ++used;
    if (block.address == a) saw[0] = block.size == 32;
    if (block.address == b) saw[1] = block.size == 208;
    if (block.address == c) saw[2] = block.size >= 1000;
  });
  EXPECT_EQ(used, 3u);
  EXPECT_GE(free, 1u);
  EXPECT_TRUE(saw[0] && saw[1] && saw[2]);
  EXPECT_EQ(heap_.stats().used_blocks, 3u);
  for (void* p : {a, b, c}) heap_.deallocate(p);
  EXPECT_TRUE(heap_.check());
}

TEST_F(SmallObjectsTest, CheckDetectsDamagedSlabHeader) {
  auto* p = static_cast<std::byte*>(heap_.allocate(24));
  auto* slab = reinterpret_cast<std::byte*>(address_of(p) & ~(Small::slab_bytes - 1));
  std::uint32_t used;
  std::memcpy(&used, slab + 3 * sizeof(void*) + 16, sizeof used);  // Slab::used
  const std::uint32_t wrong = used + 5;
  std::memcpy(slab + 3 * sizeof(void*) + 16, &wrong, sizeof wrong);
  EXPECT_FALSE(heap_.check());
  EXPECT_TRUE(took_report(ErrorCode::heap_corrupted));
  std::memcpy(slab + 3 * sizeof(void*) + 16, &used, sizeof used);
  EXPECT_TRUE(heap_.check());
  heap_.deallocate(p);
}

TEST_F(SmallObjectsTest, ResetFreesObjectsAndSlabs) {
  for (std::size_t i = 0; i < 1000; ++i) ASSERT_NE(heap_.allocate(16 + i % 200), nullptr);
  heap_.reset();
  EXPECT_EQ(heap_.stats().used_blocks, 0u);
  EXPECT_EQ(heap_.stats_detail().slabs, 0u);
  EXPECT_TRUE(heap_.check());
  void* p = heap_.allocate(24);
  EXPECT_TRUE(heap_.is_object(p));
  heap_.deallocate(p);
}

// A heap too full for a slab serves small requests itself; after a refusal
// the next requests do not ask again at once (a bounded number of them), and
// a freed region serves slabs again afterwards.
TEST(SmallObjectsRefusal, ARefusedSlabSendsSmallRequestsToTheTlsfForAWhile) {
  PoolMemory memory(64 * 1024, Small::slab_bytes);
  Small heap(memory.data(), memory.size());
  std::vector<void*> large;
  while (void* p = heap.allocate(4000)) large.push_back(p);
  while (void* p = heap.allocate(300)) large.push_back(p);
  heap.deallocate(large.back());  // 300 bytes free: room for an object, not for a slab
  large.pop_back();
  void* small = heap.allocate(24);
  ASSERT_NE(small, nullptr) << "the Tlsf serves it";
  EXPECT_FALSE(heap.is_object(small));
  EXPECT_EQ(heap.failed_allocations(), counted(2)) << "a refused slab is no failed request";
  for (void* p : large) heap.deallocate(p);
  // Within the pause, small requests go to the Tlsf although a slab would fit.
  void* paused = heap.allocate(24);
  EXPECT_FALSE(heap.is_object(paused));
  std::vector<void*> later;
  for (int i = 0; i < 64; ++i) later.push_back(heap.allocate(24));
  EXPECT_TRUE(heap.is_object(later.back())) << "the pause is bounded";
  heap.deallocate(small);
  heap.deallocate(paused);
  for (void* p : later) heap.deallocate(p);
  EXPECT_TRUE(heap.check());
}

TEST(SmallObjectsMicro, SixtyFourBytesFromOneKibibyteSlabs) {
  static_assert(Micro::max_small == 64 && Micro::slab_bytes == 1024);
  static_assert(Micro::class_count == 5, "8, 16, 32, 48 and 64 bytes");
  PoolMemory memory(16 * 1024, Micro::slab_bytes);
  Micro heap(memory.data(), memory.size());
  void* small = heap.allocate(40);
  void* large = heap.allocate(65);
  EXPECT_TRUE(heap.is_object(small));
  EXPECT_EQ(heap.usable_size(small), 48u);
  EXPECT_FALSE(heap.is_object(large));
  EXPECT_EQ(heap.stats_detail().slab_bytes, 1024u);
  heap.deallocate(small);
  heap.deallocate(large);
  EXPECT_TRUE(heap.check());
}

}  // namespace
}  // namespace rtalloc::test
