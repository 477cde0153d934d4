// SPDX-License-Identifier: MIT OR Apache-2.0
// The free-list index (rtalloc/detail/free_lists.hpp) on its own, without a heap: blocks are
// plain records whose header is their size, and a model keeps one list per class. After every
// operation the index's lists equal the model's, its self-check passes, and find_free_block
// answers as the documented search does: the head of the request's class if it fits, else the
// first block of the smallest non-empty class whose every size fits.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <random>
#include <rtalloc/detail/free_lists.hpp>
#include <rtalloc/detail/size_class.hpp>
#include <vector>

#include "tlsf_test_support.hpp"

namespace rtalloc::test {
namespace {

struct Block {
  std::size_t header;
  Block* next_free;
  Block** prev_next;
};

constexpr std::size_t granule_log2 = 4;
constexpr std::size_t granule = std::size_t{1} << granule_log2;
using Classes = detail::SizeClasses<granule_log2, 3, 12>;  // 8 classes a level, 12 levels

struct Index : detail::FreeLists<Index, Classes, Block, ~(granule - 1)> {
  using Lists = detail::FreeLists<Index, Classes, Block, ~(granule - 1)>;
  typename Lists::State lists_{};
};

class FreeListsTest : public ErrorRecordingTest {
 protected:
  // The index's lists equal the model's, head first.
  ::testing::AssertionResult agrees() const {
    for (std::size_t c = 0; c < Classes::class_count; ++c) {
      std::size_t at = 0;
      for (const Block* b = index.list_head(c); b != nullptr; b = b->next_free, ++at) {
        if (at >= model[c].size() || model[c][at] != b) {
          return ::testing::AssertionFailure() << "class " << c << " differs at position " << at;
        }
      }
      if (at != model[c].size()) return ::testing::AssertionFailure() << "class " << c << " short";
    }
    std::size_t listed = 0;
    const std::size_t total = live_count();
    if (!index.check_lists(&index, total, listed, [](const Block*) { return true; })) {
      return ::testing::AssertionFailure() << "check_lists failed";
    }
    if (listed != total) return ::testing::AssertionFailure() << "listed " << listed;
    return ::testing::AssertionSuccess();
  }

  std::size_t live_count() const {
    std::size_t n = 0;
    for (const auto& list : model) n += list.size();
    return n;
  }

  // What the documented search must find for `size`, or nullptr.
  const Block* expected_find(std::size_t size) const {
    const std::size_t own = Classes::index_of(size);
    if (!model[own].empty() && (model[own].front()->header & ~(granule - 1)) >= size) {
      return model[own].front();
    }
    for (std::size_t c = Classes::index_at_least(size); c < Classes::class_count; ++c) {
      if (!model[c].empty()) return model[c].front();
    }
    return nullptr;
  }

  Index index;
  std::vector<std::deque<Block*>> model{Classes::class_count};
};

TEST_F(FreeListsTest, RandomOperationsAgreeWithOneListPerClass) {
  std::vector<Block> blocks(600);
  std::vector<bool> listed(blocks.size(), false);
  std::mt19937_64 random(20261202);
  const std::size_t largest = Classes::last_class_start / granule;
  auto random_size = [&] {
    const std::size_t granules = std::size_t{1} << (random() % 16);  // 1 .. 32768 granules
    return std::min(largest, granules + static_cast<std::size_t>(random() % granules)) * granule;
  };
  for (int step = 0; step < 20000; ++step) {
    const std::size_t i = static_cast<std::size_t>(random() % blocks.size());
    Block& b = blocks[i];
    const unsigned choice = static_cast<unsigned>(random() % 4);
    if (!listed[i]) {  // insert at the head of its class
      b.header = random_size();
      const std::size_t c = Classes::index_of(b.header);
      index.insert_free_block(&b, c);
      model[c].push_front(&b);
      listed[i] = true;
    } else if (choice == 0) {  // unlink from anywhere
      auto& list = model[Classes::index_of(b.header)];
      list.erase(std::find(list.begin(), list.end(), &b));
      index.unlink_free_block(&b);
      listed[i] = false;
    } else if (choice == 1) {  // replace by a block not listed, in the same class
      const auto spare = std::find(listed.begin(), listed.end(), false) - listed.begin();
      if (static_cast<std::size_t>(spare) == blocks.size()) continue;
      Block& r = blocks[static_cast<std::size_t>(spare)];
      r.header = b.header;
      auto& list = model[Classes::index_of(b.header)];
      *std::find(list.begin(), list.end(), &b) = &r;
      Index::replace_free_block(&b, &r);
      listed[i] = false;
      listed[static_cast<std::size_t>(spare)] = true;
    } else {  // find, and pop what was found
      const std::size_t size = random_size();
      std::size_t found_class = 0;
      Block* found = index.find_free_block(size, found_class);
      ASSERT_EQ(found, expected_find(size)) << "size " << size;
      if (found == nullptr) continue;
      ASSERT_EQ(found_class, Classes::index_of(found->header));
      model[found_class].pop_front();
      index.pop_list_head(found_class, found);
      listed[static_cast<std::size_t>(found - blocks.data())] = false;
    }
    ASSERT_TRUE(agrees()) << "after step " << step;
    std::size_t highest = Classes::class_count;
    for (std::size_t c = 0; c < Classes::class_count; ++c) {
      if (!model[c].empty()) highest = c;
    }
    ASSERT_EQ(index.highest_listed_class(), highest);
  }
  index.clear_lists();
  for (auto& list : model) list.clear();
  EXPECT_TRUE(agrees());
}

TEST_F(FreeListsTest, CheckReportsABlockOnTheWrongList) {
  Block a{Classes::class_start(10), nullptr, nullptr};
  index.insert_free_block(&a, 11);  // listed one class too high
  std::size_t listed = 0;
  EXPECT_FALSE(index.check_lists(&index, 1, listed, [](const Block*) { return true; }));
  EXPECT_TRUE(took_report(ErrorCode::heap_corrupted));
}

TEST_F(FreeListsTest, CheckStopsAtACycle) {
  Block a{Classes::class_start(5), nullptr, nullptr};
  index.insert_free_block(&a, 5);
  a.next_free = &a;  // a list that never ends
  std::size_t listed = 0;
  EXPECT_FALSE(index.check_lists(&index, 1, listed, [](const Block*) { return true; }));
  EXPECT_TRUE(took_report(ErrorCode::heap_corrupted));
}

}  // namespace
}  // namespace rtalloc::test
