// SPDX-License-Identifier: MIT OR Apache-2.0
// The diagnostics of rtalloc::Tlsf: walking its blocks and verifying every
// invariant it keeps (the list in docs/tlsf.md), apart from the heap's
// allocate and free paths. The heap makes this class its friend; its public
// walk(), walk_pool(), check_pool() and check() call it.
//
// Nothing here follows a block size or a free-list link out of the pools,
// so a check is safe on a heap whose blocks are damaged. Costs: a walk is
// O(blocks); a check O(blocks + pools^2 + class count).
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "rtalloc/config.hpp"
#include "rtalloc/detail/bits.hpp"
#include "rtalloc/detail/memory_checker.hpp"
#include "rtalloc/error.hpp"
#include "rtalloc/stats.hpp"

// This code reads and writes the heap's own bytes, which a memory checker
// sees as poisoned (rtalloc/detail/memory_checker.hpp).
RTALLOC_HEAP_CODE_BEGIN

namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE::detail {

template <class Heap>
struct TlsfInspector {
  using Block = typename Heap::Block;
  using Pool = typename Heap::Pool;

  /// Calls visitor(const BlockInfo&) for each block of `pool`, in address
  /// order; a visitor that returns bool stops the walk with false. Returns
  /// false if the visitor stopped it.
  template <class Visitor>
  static bool walk_pool(const Pool* pool, Visitor& visitor) {
    const Block* sentinel = Heap::sentinel_of(pool);
    for (const Block* b = Heap::first_block(pool); b != sentinel;
         b = Heap::block_at(b, Heap::block_size(b))) {
      const bool used = !Heap::is_free(b);
      const BlockInfo info{Heap::payload(b),
                           used ? Heap::usable_size_of(b) : Heap::block_size(b) - Heap::header_size,
                           Heap::block_size(b), used};
      if constexpr (std::is_same_v<std::invoke_result_t<Visitor&, const BlockInfo&>, bool>) {
        if (!visitor(info)) return false;
      } else {
        visitor(info);
      }
    }
    return true;
  }

  /// What check_pool counts in the pools it checks.
  struct BlockTally {
    std::size_t capacity = 0, used = 0, used_blocks = 0, free_blocks = 0;
  };

  /// Checks the blocks of one pool and adds them up in `tally`: they tile
  /// the pool from its first block to its sentinel, each size a multiple of
  /// the granule, at least the smallest block and inside the pool; each
  /// block's PREV_FREE flag matches the block before it (the sentinel's, the
  /// last block); no two free blocks are neighbours; a free block carries no
  /// other flag and its last word points at it; an aligned used block's last
  /// word is a power of two its payload is aligned to. Reports the first
  /// broken one for `heap` and returns false. O(blocks in the pool).
  static bool check_pool(const Pool* pool, BlockTally& tally, const void* heap) noexcept {
    const auto first = reinterpret_cast<std::uintptr_t>(Heap::first_block(pool));
    const auto sentinel = reinterpret_cast<std::uintptr_t>(Heap::sentinel_of(pool));
    if (sentinel < first || (sentinel + Heap::header_size) % Heap::granularity != 0) {
      return corrupted(heap, "pool end misplaced", pool);
    }
    bool prev_was_free = false;
    std::uintptr_t address = first;
    while (address != sentinel) {
      const auto* b = reinterpret_cast<const Block*>(address);
      const std::size_t size = Heap::block_size(b);
      if (size < Heap::min_block_size || size > sentinel - address) {
        return corrupted(heap, "block size out of range", b);
      }
      if (((b->header & Heap::prev_free_flag) != 0) != prev_was_free) {
        return corrupted(heap, "PREV_FREE flag disagrees with the previous block", b);
      }
      if (Heap::is_free(b)) {
        if (prev_was_free) return corrupted(heap, "two free blocks next to each other", b);
        if ((b->header & ~Heap::size_mask) != Heap::free_flag) {
          return corrupted(heap, "free block with flags", b);
        }
        if (Heap::self_pointer(const_cast<Block*>(b), size) != b) {
          return corrupted(heap, "free block's self pointer is wrong", b);
        }
        ++tally.free_blocks;
      } else {
        if ((b->header & Heap::aligned_flag) &&
            (!is_power_of_two(Heap::alignment_word(b)) ||
             reinterpret_cast<std::uintptr_t>(Heap::payload(b)) % Heap::alignment_word(b) != 0)) {
          return corrupted(heap, "aligned block's alignment word is wrong", b);
        }
        tally.used += size;
        ++tally.used_blocks;
      }
      tally.capacity += size;
      prev_was_free = Heap::is_free(b);
      address += size;
    }
    const auto* end_block = reinterpret_cast<const Block*>(sentinel);
    if (end_block->header != (prev_was_free ? Heap::prev_free_flag : 0)) {
      return corrupted(heap, "pool sentinel header is wrong", end_block);
    }
    return true;
  }

  /// Every invariant of `heap`: the pool list (doubly linked, counted, no
  /// overlap), each pool's blocks (check_pool), the counters against the
  /// blocks, and the free lists (each free block on exactly the list of its
  /// class, the lists and bitmaps consistent). Reports the first broken one
  /// and returns false.
  static bool check(const Heap& heap) noexcept {
    std::size_t free_blocks = 0;
    return check_pools(heap, free_blocks) && check_free_lists(heap, free_blocks);
  }

 private:
  static bool corrupted(const void* heap, const char* what, const void* where) noexcept {
    report(ErrorCode::heap_corrupted, what, heap, where);
    return false;
  }

  // Also sets `free_blocks` to the number of free blocks in the pools.
  static bool check_pools(const Heap& heap, std::size_t& free_blocks) noexcept {
    std::size_t pools = 0;
    BlockTally tally;
    const Pool* prev_pool = nullptr;
    for (const Pool* pool = heap.pools_; pool != nullptr; prev_pool = pool, pool = pool->next) {
      if (pool->prev != prev_pool) return corrupted(&heap, "pool list links disagree", pool);
      if (++pools > heap.pool_count_) {
        return corrupted(&heap, "pool list longer than pool count", pool);
      }
      const auto sentinel = reinterpret_cast<std::uintptr_t>(Heap::sentinel_of(pool));
      for (const Pool* other = heap.pools_; other != pool; other = other->next) {
        if (reinterpret_cast<std::uintptr_t>(other) < sentinel &&
            reinterpret_cast<std::uintptr_t>(pool) < reinterpret_cast<std::uintptr_t>(other->end)) {
          return corrupted(&heap, "pools overlap", pool);
        }
      }
      if (!check_pool(pool, tally, &heap)) return false;
    }
    if (pools != heap.pool_count_) return corrupted(&heap, "pool count wrong", &heap);
#if RTALLOC_STATS
    if (tally.capacity != heap.capacity_) return corrupted(&heap, "capacity counter wrong", &heap);
    if (tally.used != heap.used_) return corrupted(&heap, "used-bytes counter wrong", &heap);
    if (tally.used_blocks != heap.used_blocks_) {
      return corrupted(&heap, "used-block counter wrong", &heap);
    }
    if (tally.free_blocks != heap.free_blocks_) {
      return corrupted(&heap, "free-block counter wrong", &heap);
    }
    if (heap.peak_used_ < heap.used_) return corrupted(&heap, "peak below current use", &heap);
#endif
    free_blocks = tally.free_blocks;
    return true;
  }

  // Runs after check_pools, so every block in a pool is known to be sound
  // and `free_blocks` is the true number of free blocks.
  static bool check_free_lists(const Heap& heap, std::size_t free_blocks) noexcept {
    std::size_t listed = 0;
    const auto& lists = static_cast<const typename Heap::Lists&>(heap);
    const bool sound = lists.check_lists(&heap, free_blocks, listed, [&heap](const Block* b) {
      if (!heap.owns(b)) return corrupted(&heap, "free list points outside the pools", b);
      if (!Heap::is_free(b)) return corrupted(&heap, "used block on a free list", b);
      return true;
    });
    if (!sound) return false;
    if (listed != free_blocks) return corrupted(&heap, "free block missing from the lists", &heap);
    return true;
  }
};

}  // namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE::detail

RTALLOC_HEAP_CODE_END
