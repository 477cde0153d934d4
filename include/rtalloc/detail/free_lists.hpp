// SPDX-License-Identifier: MIT OR Apache-2.0
// The free-list index of a TLSF heap: one doubly linked list of free blocks
// per size class, and the two-level bitmap that says which lists are not
// empty, so that the smallest non-empty class at or above any class is
// found with two count-trailing-zeros instructions. Every operation is O(1);
// clear() and check() say what they cost.
//
// Invariants, stated on the fields that keep them:
//   - bit s of sl_bitmaps_[f] is set iff the list of class f * SL + s is not
//     empty (heads_[f * SL + s] != nullptr);
//   - bit f of fl_bitmap_ is set iff sl_bitmaps_[f] != 0;
//   - every listed block's prev_next points at the link that points at it:
//     its list's head slot for the first block, the previous block's
//     next_free for the others.
//
// The index knows a block only by its links and its size; which blocks are
// free, and in which class a size belongs, is the heap's business (Classes
// maps sizes to classes).
//
// The heap derives from FreeLists<Heap, ...> (an empty base) and holds its
// State as a member named lists_: the index's code then runs with the
// heap's own `this`, so that a function of it kept out of line (when
// optimizing for size) is called exactly as one of the heap's would be.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "rtalloc/config.hpp"
#include "rtalloc/detail/assert.hpp"
#include "rtalloc/detail/bits.hpp"
#include "rtalloc/detail/memory_checker.hpp"
#include "rtalloc/error.hpp"

// This code reads and writes the heap's own bytes, which a memory checker
// sees as poisoned (rtalloc/detail/memory_checker.hpp).
RTALLOC_HEAP_CODE_BEGIN

namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE::detail {

/// The index over blocks of type Block, which have `header` (the size in
/// the bits of SizeMask), `next_free` and `prev_next` members, for the heap
/// Heap (see above).
template <class Heap, class Classes, class Block, std::size_t SizeMask>
class FreeLists {
  static constexpr std::size_t first_levels = Classes::first_level_count;
  static constexpr std::size_t second_levels = Classes::second_level_count;
  static constexpr std::size_t sl_shift = std::countr_zero(second_levels);

 public:
  using FirstBitmap = std::conditional_t<(first_levels < 32), std::uint32_t, std::uint64_t>;
  using SecondBitmap = std::conditional_t<(second_levels <= 32), std::uint32_t, std::uint64_t>;
  static constexpr std::size_t class_count = Classes::class_count;

  /// What the heap holds for the index: every list empty at first, so a
  /// static heap is constant-initialized.
  struct State {
    FirstBitmap fl_bitmap = 0;
    SecondBitmap sl_bitmaps[first_levels] = {};
    Block* heads[class_count] = {};
  };

  /// Finds a free block of at least `size` bytes (a multiple of the
  /// granule, at most Classes::last_class_start) and sets `index` to its
  /// class, leaving it on its list; nullptr if there is none. O(1): the
  /// head of the request's own class first (it often fits, and a block just
  /// freed is found again where it was), else the first block of the
  /// smallest non-empty class above it, where every block fits.
  RTALLOC_INLINE_ONCE Block* find_free_block(std::size_t size, std::size_t& index) const noexcept {
    index = Classes::index_of(size);
    Block* head = state().heads[index];
    if (head != nullptr && (head->header & SizeMask) >= size) return head;
    // Class `index` is empty, or its head is too small, and then `size` is
    // not where the class starts: every block of a class above fits, and no
    // class between holds one. ~1 << s keeps the bits above s (none for the
    // last bit), so the search never leaves the level it starts in.
    std::size_t first = index >> sl_shift;
    SecondBitmap second =
        state().sl_bitmaps[first] & (~SecondBitmap{1} << (index & (second_levels - 1)));
    if (second == 0) {  // nothing above it in this level: try the levels above
      const FirstBitmap firsts = state().fl_bitmap & (~FirstBitmap{0} << (first + 1));
      if (firsts == 0) return nullptr;
      first = lowest_bit(firsts);
      second = state().sl_bitmaps[first];
    }
    index = (first << sl_shift) + lowest_bit(second);
    Block* found = state().heads[index];
    if (found == nullptr) __builtin_unreachable();  // a class's bit is set only if it has blocks
    return found;
  }

  /// Puts `b` at the head of class `index`'s list. O(1).
  RTALLOC_INLINE_ONCE void insert_free_block(Block* b, std::size_t index) noexcept {
    Block* head = state().heads[index];
    b->next_free = head;
    b->prev_next = &state().heads[index];
    state().heads[index] = b;
    if (head != nullptr) {
      head->prev_next = &b->next_free;
    } else {
      state().sl_bitmaps[index >> sl_shift] |= SecondBitmap{1} << (index & (second_levels - 1));
      state().fl_bitmap |= FirstBitmap{1} << (index >> sl_shift);
    }
  }

  /// Takes `b` off its list, wherever it is on it. O(1).
  RTALLOC_HOT_INLINE void unlink_free_block(Block* b) noexcept {
    Block* next = b->next_free;
    Block** prev_next = b->prev_next;
    RTALLOC_ASSERT(*prev_next == b, "free list: unlinking a block its back link does not name",
                   this, b);
    *prev_next = next;
    if (next != nullptr) {
      next->prev_next = prev_next;
    } else if (const std::size_t index = head_slot_index(prev_next); index < class_count) {
      mark_class_empty(index);  // b was the list's only block
    }
  }

  /// Takes `b`, the head of class `index`, off its list: unlink_free_block
  /// without asking where b is. O(1).
  RTALLOC_HOT_INLINE void pop_list_head(std::size_t index, Block* b) noexcept {
    RTALLOC_ASSERT(state().heads[index] == b, "free list: popping a block that is not the head",
                   this, b);
    Block* next = b->next_free;
    state().heads[index] = next;
    if (next != nullptr) {
      next->prev_next = &state().heads[index];
    } else {
      mark_class_empty(index);
    }
  }

  /// Puts `replacement` where `b` is on its list, for a block that takes
  /// over b's memory and stays in b's class. No bitmap changes. O(1).
  RTALLOC_HOT_INLINE static void replace_free_block(Block* b, Block* replacement) noexcept {
    Block* next = b->next_free;
    Block** prev_next = b->prev_next;
    replacement->next_free = next;
    replacement->prev_next = prev_next;
    *prev_next = replacement;
    if (next != nullptr) next->prev_next = &replacement->next_free;
  }

  /// Empties every list. O(class count).
  void clear_lists() noexcept {
    state().fl_bitmap = 0;
    for (auto& bitmap : state().sl_bitmaps) bitmap = 0;
    for (auto& head : state().heads) head = nullptr;
  }

  /// The head of class `index`'s list, or nullptr. O(1).
  Block* list_head(std::size_t index) const noexcept { return state().heads[index]; }

  /// The highest class whose list is not empty, or class_count if every list
  /// is. O(1).
  std::size_t highest_listed_class() const noexcept {
    if (state().fl_bitmap == 0) return class_count;
    const std::size_t first = highest_bit(state().fl_bitmap);
    return (first << sl_shift) + highest_bit(state().sl_bitmaps[first]);
  }

  /// Checks the invariants above, and that each block is on the list of
  /// its size's class, for every listed block in list order, after
  /// visit(block) (the heap's own checks: that the block is in a pool and
  /// free; false stops the walk) said it may be read. Walks at most `limit`
  /// blocks in all (more is reported: it catches a cycle), and reports the
  /// first broken invariant as heap_corrupted for `heap`, returning false.
  /// Sets `listed` to the number of blocks on the lists. O(listed blocks +
  /// class count).
  template <class Visit>
  bool check_lists(const void* heap, std::size_t limit, std::size_t& listed,
                   Visit&& visit) const noexcept {
    listed = 0;
    for (std::size_t first = 0; first < first_levels; ++first) {
      const bool any = state().sl_bitmaps[first] != 0;
      if (any != (((state().fl_bitmap >> first) & 1) != 0)) {
        return corrupted(heap, "first-level bitmap disagrees with second level",
                         &state().sl_bitmaps[first]);
      }
      for (std::size_t second = 0; second < second_levels; ++second) {
        const std::size_t index = (first << sl_shift) + second;
        const Block* head = state().heads[index];
        if ((head != nullptr) != (((state().sl_bitmaps[first] >> second) & 1) != 0)) {
          return corrupted(heap, "second-level bitmap disagrees with free list",
                           &state().heads[index]);
        }
        Block* const* expected_link = &state().heads[index];
        for (const Block* b = head; b != nullptr; expected_link = &b->next_free, b = b->next_free) {
          if (++listed > limit) return corrupted(heap, "free lists hold too many blocks", b);
          if (!visit(b)) return false;
          if (b->prev_next != expected_link) return corrupted(heap, "free list back link wrong", b);
          if (Classes::index_of(b->header & SizeMask) != index) {
            return corrupted(heap, "free block on the wrong list", b);
          }
        }
      }
    }
    return true;
  }

 private:
  static bool corrupted(const void* heap, const char* what, const void* where) noexcept {
    report(ErrorCode::heap_corrupted, what, heap, where);
    return false;
  }

  // The class whose head slot `link` is, or class_count or more if it is a
  // block's next_free field.
  std::size_t head_slot_index(Block* const* link) const noexcept {
    return (reinterpret_cast<std::uintptr_t>(link) -
            reinterpret_cast<std::uintptr_t>(state().heads)) /
           sizeof(Block*);
  }

  RTALLOC_INLINE_ONCE void mark_class_empty(std::size_t index) noexcept {
    const std::size_t first = index >> sl_shift;
    state().sl_bitmaps[first] &= ~(SecondBitmap{1} << (index & (second_levels - 1)));
    if (state().sl_bitmaps[first] == 0) state().fl_bitmap &= ~(FirstBitmap{1} << first);
  }

  State& state() noexcept { return static_cast<Heap*>(this)->lists_; }
  const State& state() const noexcept { return static_cast<const Heap*>(this)->lists_; }
};

}  // namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE::detail

RTALLOC_HEAP_CODE_END
