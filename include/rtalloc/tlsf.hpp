// SPDX-License-Identifier: MIT OR Apache-2.0
// rtalloc::Tlsf — a Two-Level Segregated Fit heap over memory the caller
// provides (static arrays, linker regions, blocks from another allocator).
//
// Every operation is O(1): allocate, aligned allocate, reallocate (apart from
// copying the contents when a block must move), deallocate, add_pool,
// extend_pool and remove_pool run in a bounded number of steps, whatever the
// number of blocks or pools. reset() is O(pools + class count); stats(),
// walk(), owns() and check() are diagnostics and say what they cost.
//
// The heap is not thread-safe: guard it with a lock if several threads use it.
//
// Memory layout (64-bit hosts; on 32-bit targets read 4 for 8 where it is
// the word size, and 8 for 16 where alignof(std::max_align_t) is 8):
//
//   pool:   [Pool descriptor][block][block]...[block][sentinel header]
//   block:  [header: size | flags][payload ...                        ]
//   free:   [header][next_free][prev_next] ...unused... [self pointer ]
//
// A block's header is one word: its size in bytes (header included, a
// multiple of the 16-byte granule) with three flags in the low bits. A used
// block spends only that word: the link to the previous physical block that
// merging needs is kept in the last word of a *free* block (its "self
// pointer"), and the block after a free block carries a PREV_FREE flag saying
// that the word before its header is valid. Headers sit 8 bytes below a
// 16-byte boundary so that payloads are 16-byte aligned.
//
// Free blocks are kept in one doubly linked list per size class, found in
// O(1) through a two-level bitmap (rtalloc/detail/free_lists.hpp).
// Neighbouring free blocks are always merged, so a free block's physical
// neighbours are both used. The diagnostics, walk() and check(), live in
// rtalloc/detail/tlsf_inspector.hpp.
//
// Reading the code: the public operations come first; below them, the
// private helpers in the order the operations call them: allocate, free,
// resize in place, the aligned slow path, then the one place that picks the
// fast or the compact form of each step (RTALLOC_COMPACT), the block layout,
// the counters, validation and the pool list.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "rtalloc/config.hpp"
#include "rtalloc/detail/assert.hpp"
#include "rtalloc/detail/bits.hpp"
#include "rtalloc/detail/free_lists.hpp"
#include "rtalloc/detail/memory_checker.hpp"
#include "rtalloc/detail/size_class.hpp"
#include "rtalloc/detail/tlsf_inspector.hpp"
#include "rtalloc/error.hpp"
#include "rtalloc/stats.hpp"

namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE {

namespace detail {

/// The granule of every Tlsf on this target: block sizes are multiples of
/// it and payloads aligned to it (16 bytes on 64-bit hosts).
inline constexpr std::size_t tlsf_granularity = alignof(std::max_align_t) > 2 * sizeof(std::size_t)
                                                    ? alignof(std::max_align_t)
                                                    : 2 * sizeof(std::size_t);

/// A TLSF block: its header, and while it is free its list links.
struct TlsfBlock {
  std::size_t header;     // size | flags
  TlsfBlock* next_free;   // free blocks only
  TlsfBlock** prev_next;  // free blocks only: the pointer that points at this block, either
                          // the previous block's next_free or the list's head slot
};

}  // namespace detail

/// The free block a deallocate would leave: the block merged with its free
/// neighbours (Tlsf::merge_on_free). Addresses are of blocks, header
/// included: the merged block is [start, start + bytes); the freed block
/// itself [start + before, start + bytes - after).
struct FreeMerge {
  std::byte* start;    ///< the merged block's first byte (its header)
  std::size_t bytes;   ///< the merged block's bytes
  std::size_t before;  ///< bytes of the free block before it that merge in (0: none)
  std::size_t after;   ///< bytes of the free block after it that merge in (0: none)
};

namespace detail {

/// The size classes of Tlsf<FirstLevelCount, SecondLevelCount>.
template <std::size_t FirstLevelCount, std::size_t SecondLevelCount>
using TlsfClasses =
    SizeClasses<static_cast<std::size_t>(std::countr_zero(tlsf_granularity)),
                static_cast<std::size_t>(std::countr_zero(SecondLevelCount)), FirstLevelCount>;

/// The free-list index of Tlsf<FirstLevelCount, SecondLevelCount>.
template <class Heap, std::size_t FirstLevelCount, std::size_t SecondLevelCount>
using TlsfFreeLists = FreeLists<Heap, TlsfClasses<FirstLevelCount, SecondLevelCount>, TlsfBlock,
                                ~(tlsf_granularity - 1)>;

}  // namespace detail

/// The number of first-level classes a heap needs so that its largest block
/// is at least `max_block` bytes, for `second_level_count` classes per level.
constexpr std::size_t tlsf_first_levels(std::size_t max_block,
                                        std::size_t second_level_count) noexcept {
  std::size_t levels = 2;
  while (((second_level_count << (levels - 1)) - 1) * detail::tlsf_granularity < max_block) {
    ++levels;
  }
  return levels;
}

/// The default configuration: blocks up to 2^41 bytes on 64-bit hosts and
/// 2^30 on 32-bit ones, 32 classes per level (worst-case internal
/// fragmentation of a search 1/32 = 3.1%).
inline constexpr std::size_t tlsf_default_second_levels = 32;
inline constexpr std::size_t tlsf_default_first_levels = tlsf_first_levels(
    sizeof(void*) >= 8 ? (std::size_t{1} << 41) - 64 : (std::size_t{1} << 30) - 64,
    tlsf_default_second_levels);

// Under AddressSanitizer the heap poisons its own bytes, so its code is not
// instrumented (see rtalloc/detail/memory_checker.hpp).
RTALLOC_HEAP_CODE_BEGIN

/// A TLSF heap.
///
/// FirstLevelCount bounds the largest block (see max_block_size) and, with
/// SecondLevelCount, the control block: sizeof(Tlsf) is about
/// FirstLevelCount * SecondLevelCount pointers. SecondLevelCount (a power of
/// two from 1 to 64) is the number of classes each power of two is divided
/// into: a search may skip blocks up to 1/SecondLevelCount larger than the
/// request, so more classes mean less fragmentation and a larger control
/// block.
template <std::size_t FirstLevelCount = tlsf_default_first_levels,
          std::size_t SecondLevelCount = tlsf_default_second_levels>
class Tlsf : private detail::TlsfFreeLists<Tlsf<FirstLevelCount, SecondLevelCount>, FirstLevelCount,
                                           SecondLevelCount> {
  static_assert(SecondLevelCount >= 1 && SecondLevelCount <= 64 &&
                    std::has_single_bit(SecondLevelCount),
                "Tlsf: SecondLevelCount must be a power of two from 1 to 64.");
  static_assert(FirstLevelCount >= 3,
                "Tlsf: FirstLevelCount must be at least 3 (the first two levels only hold "
                "blocks smaller than 2 * SecondLevelCount granules).");
  static_assert(FirstLevelCount < 64, "Tlsf: FirstLevelCount must be below 64.");
  static_assert(sizeof(std::size_t) == sizeof(void*),
                "Tlsf: needs size_t and pointers of the same width.");

 public:
  /// Bytes of overhead per allocation: the one-word block header.
  static constexpr std::size_t header_size = sizeof(std::size_t);
  /// Block sizes are multiples of this; payloads are aligned to it.
  static constexpr std::size_t granularity = detail::tlsf_granularity;
  /// Alignment of every pointer allocate(size) returns.
  static constexpr std::size_t alignment = alignof(std::max_align_t);
  /// Smallest block: a header, two free-list links and the self pointer.
  static constexpr std::size_t min_block_size =
      (4 * header_size + granularity - 1) / granularity * granularity;
  static constexpr std::size_t first_level_count = FirstLevelCount;
  static constexpr std::size_t second_level_count = SecondLevelCount;

 private:
  using Classes = detail::TlsfClasses<FirstLevelCount, SecondLevelCount>;

  static_assert(Classes::max_block_size / 2 >= min_block_size,
                "Tlsf: FirstLevelCount is too small for any block to fit.");
  static_assert(Classes::max_block_size <= std::numeric_limits<std::size_t>::max() / 4,
                "Tlsf: FirstLevelCount is too large for this target's address space.");

 public:
  /// Largest block a pool can hold; a larger pool is used up to this size.
  static constexpr std::size_t max_block_size = Classes::max_block_size;
  /// Largest request allocate(size) can ever satisfy. It is below
  /// max_block_size: the search needs the request's rounded-up class to
  /// exist, so a free block larger than this can still refuse a request of
  /// its own size.
  static constexpr std::size_t max_allocation = Classes::last_class_start - header_size;

 private:
  // Flags in the low bits of a block header.
  static constexpr std::size_t free_flag = 1;       // this block is free
  static constexpr std::size_t prev_free_flag = 2;  // the previous physical block is free
  static constexpr std::size_t aligned_flag = 4;    // last word holds the requested alignment
  static constexpr std::size_t size_mask = ~(granularity - 1);
  static_assert(granularity >= 8, "Tlsf: three header flags need a granule of 8 bytes or more.");

  using Block = detail::TlsfBlock;

  // Each pool starts with this descriptor; pools form a doubly linked list.
  struct Pool {
    Pool* next;
    Pool* prev;
    std::byte* end;  // one past the pool's memory (see sentinel_of)
  };

 public:
  /// Bytes a pool loses to its descriptor and sentinel (besides alignment).
  static constexpr std::size_t pool_overhead = sizeof(Pool) + header_size;
  /// add_pool accepts any memory of at least this many bytes, however aligned.
  static constexpr std::size_t min_pool_size =
      alignof(Pool) - 1 + sizeof(Pool) + 2 * granularity + header_size + min_block_size;

  /// The pool bytes (as passed to add_pool or extend_pool, at any
  /// alignment) that guarantee allocate(size, align) succeeds in them alone:
  /// what a heap that grows asks its source for. O(1). Returns 0 if no pool
  /// can serve the request (size above max_allocation, or align not a power
  /// of two or too large).
  static constexpr std::size_t pool_size_for(std::size_t size,
                                             std::size_t align = alignment) noexcept {
    if (size > max_allocation || !detail::is_power_of_two(align) || align > max_block_size)
      return 0;
    std::size_t search = block_size_for(size);
    if (align > granularity) {  // as allocate_aligned searches
      if (size > max_allocation - header_size) return 0;
      search = block_size_for(size + header_size) + min_block_size + align - granularity;
    }
    if (search > Classes::last_class_start) return 0;
    // A block at the start of the request's rounded-up class always serves it.
    return min_pool_size - min_block_size + Classes::class_start(Classes::index_at_least(search));
  }

  /// An empty heap: every allocation fails until a pool is added.
  /// constexpr, so a static Tlsf is constant-initialized (zero, in .bss).
  constexpr Tlsf() noexcept = default;

  /// A heap with one pool; see add_pool.
  Tlsf(void* memory, std::size_t bytes) noexcept { add_pool(memory, bytes); }

  Tlsf(const Tlsf&) = delete;
  Tlsf& operator=(const Tlsf&) = delete;
  ~Tlsf() = default;

  /// Adds [memory, memory + bytes) as a new pool. The memory may have any
  /// alignment; it must stay valid and untouched by others while the pool is
  /// in the heap. Pools larger than max_block_size + pool overhead are used
  /// only up to that size. O(1) (O(pools) in checked builds, which also
  /// reject overlap with an existing pool).
  /// Returns the bytes added to capacity (a free block, header included), or
  /// 0 if the memory is null, smaller than min_pool_size, or overlapping
  /// (reported as invalid_pool or pool_overlap).
  std::size_t add_pool(void* memory, std::size_t bytes) noexcept {
    detail::HeapCodeScope scope;  // memory checkers: the heap touches its own bytes
    const auto start = reinterpret_cast<std::uintptr_t>(memory);
    if (memory == nullptr || bytes < min_pool_size ||
        bytes > std::numeric_limits<std::uintptr_t>::max() - start) {
      detail::report(ErrorCode::invalid_pool, "add_pool: memory null or too small", this, memory,
                     bytes);
      return 0;
    }
    if constexpr (checks_enabled) {
      if (overlaps_a_pool(start, start + bytes)) return 0;
    }
    Pool* pool = pool_at(memory);
    Block* first = first_block(pool);
    const std::uintptr_t first_address = reinterpret_cast<std::uintptr_t>(first);
    std::uintptr_t sentinel_address = detail::align_down(start + bytes, granularity) - header_size;
    std::uintptr_t end = start + bytes;
    if (sentinel_address - first_address > max_block_size) {  // use only what one block holds
      sentinel_address = first_address + max_block_size;
      end = sentinel_address + header_size;
    }
    const std::size_t size = sentinel_address - first_address;
    pool->end = reinterpret_cast<std::byte*>(end);
    link_pool(pool);
    make_free_block(first, size);
    set_sentinel(block_at(first, size), prev_free_flag);
    count_capacity_added(size);
    detail::mark_heap_owned(memory, end - start);
    return size;
  }

  /// Appends [memory, memory + bytes) to the end of `pool` (the pointer given
  /// to add_pool); `memory` must be where that pool's memory ends
  /// (pool_end(pool)). The new bytes merge with the pool's last block if it
  /// is free, and otherwise become a new free block. O(1) (O(pools) in
  /// checked builds, which check that `pool` is one of the heap's pools and
  /// that the memory overlaps no other pool).
  /// Returns the bytes added to capacity, or 0 if the memory is not adjacent,
  /// too small to form a block after a used last block, or would make the
  /// pool's blocks span more than max_block_size (reported as invalid_pool).
  std::size_t extend_pool(void* pool_memory, void* memory, std::size_t bytes) noexcept {
    detail::HeapCodeScope scope;
    Pool* pool = pool_at(pool_memory);
    if (!is_known_pool(pool_memory, "extend_pool: not a pool of this heap")) return 0;
    const auto start = reinterpret_cast<std::uintptr_t>(memory);
    if (memory != pool->end || bytes > std::numeric_limits<std::uintptr_t>::max() - start) {
      detail::report(ErrorCode::invalid_pool, "extend_pool: memory not adjacent to the pool", this,
                     memory, bytes);
      return 0;
    }
    if constexpr (checks_enabled) {
      if (overlaps_a_pool(start, start + bytes)) return 0;
    }
    Block* sentinel = sentinel_of(pool);
    const std::size_t added = detail::align_down(start + bytes, granularity) - header_size -
                              reinterpret_cast<std::uintptr_t>(sentinel);
    // A free last block absorbs the new bytes; after a used one they must
    // form a block of their own.
    Block* last = (sentinel->header & prev_free_flag) ? previous_block(sentinel) : nullptr;
    // A pool never spans more than max_block_size, so no merge can make a
    // block larger than that.
    const std::size_t span = distance(first_block(pool), sentinel) + added;
    if ((last == nullptr && added < min_block_size) || span > max_block_size) {
      detail::report(ErrorCode::invalid_pool, "extend_pool: memory cannot form a block", this,
                     memory, bytes);
      return 0;
    }
    pool->end = reinterpret_cast<std::byte*>(start + bytes);
    detail::mark_heap_owned(memory, bytes);
    if (added == 0) return 0;
    if (last != nullptr) {
      unlist_free_block(last);
      make_free_block(last, block_size(last) + added);
    } else {
      make_free_block(sentinel, added);  // the old sentinel becomes the new block's header
    }
    set_sentinel(block_at(sentinel, added), prev_free_flag);
    count_capacity_added(added);
    return added;
  }

  /// Removes `pool` (the pointer given to add_pool) if none of its memory is
  /// allocated; the memory then belongs to the caller again. O(1) (O(pools)
  /// in checked builds, which check that `pool` belongs to the heap).
  /// Returns false, and changes nothing, if the pool has a used block (or is
  /// not one of the heap's pools: reported as invalid_pool).
  bool remove_pool(void* pool_memory) noexcept {
    detail::HeapCodeScope scope;
    Pool* pool = pool_at(pool_memory);
    if (!is_known_pool(pool_memory, "remove_pool: not a pool of this heap")) return false;
    Block* first = first_block(pool);
    if (!is_free(first) || block_at(first, block_size(first)) != sentinel_of(pool)) return false;
    unlist_free_block(first);
    count_capacity_removed(block_size(first));
    unlink_pool(pool);
    detail::mark_returned(
        pool_memory, static_cast<std::size_t>(pool->end - static_cast<std::byte*>(pool_memory)));
    return true;
  }

  /// Where the memory of `pool` (the pointer given to add_pool) ends: the
  /// address extend_pool expects. O(1).
  void* pool_end(void* pool_memory) const noexcept {
    detail::HeapCodeScope scope;
    return pool_at(pool_memory)->end;
  }

  /// Frees every block: each pool becomes one free block again. Pools stay;
  /// peak_used and failed_allocations are kept. O(pools + class count).
  void reset() noexcept {
    detail::HeapCodeScope scope;
    if constexpr (detail::memory_checker_enabled) {  // every payload is freed
      walk([](const BlockInfo& b) {
        if (b.used) detail::mark_freed(b.address, b.size);
      });
    }
    clear_lists();
    count_all_blocks_free();
    for (Pool* pool = pools_; pool != nullptr; pool = pool->next) {
      Block* first = first_block(pool);
      Block* sentinel = sentinel_of(pool);
      const std::size_t size = distance(first, sentinel);
      make_free_block(first, size);
      set_sentinel(sentinel, prev_free_flag);
    }
  }

  /// Allocates `size` bytes aligned to `alignment`. size 0 gives a unique
  /// minimal block. O(1). Returns nullptr if no free block is large enough
  /// (or size > max_allocation); that is not reported as an error.
  void* allocate(std::size_t size) noexcept {
    detail::HeapCodeScope scope;
    return allocate_at(size, granularity);
  }

  /// Allocates `size` bytes aligned to `align`, any power of two. Alignments
  /// above `granularity` cost one extra word, which lets reallocate keep the
  /// alignment, and search for size + align bytes. O(1).
  /// Returns nullptr on failure; alignment 0 or not a power of two is also
  /// reported as invalid_alignment.
  void* allocate(std::size_t size, std::size_t align) noexcept {
    detail::HeapCodeScope scope;
    if (!detail::is_power_of_two(align)) [[unlikely]] {
      detail::report(ErrorCode::invalid_alignment, "allocate: alignment not a power of two", this,
                     nullptr, align);
      return nullptr;
    }
    return allocate_at(size, align);
  }

  /// Resizes the block at `p` to `size` bytes, keeping its contents up to
  /// the smaller size and its alignment. Grows or shrinks in place when the
  /// block or its free successor allows, else moves: allocate, copy, free.
  /// p == nullptr behaves as allocate(size); size 0 shrinks to a minimal
  /// block (it does not free). O(1) apart from the copy.
  /// Returns nullptr on failure and leaves `p` valid and unchanged. A freed
  /// or foreign `p` is reported (double_free / invalid_pointer) and gives
  /// nullptr.
  void* reallocate(void* p, std::size_t size) noexcept {
    detail::HeapCodeScope scope;
    if (p == nullptr) return allocate_at(size, granularity);
    Block* block = block_of(p);
    if (!is_valid_used_block(block, "reallocate")) [[unlikely]]
      return nullptr;
    if (size > max_allocation) [[unlikely]]
      return allocation_failed();
    const std::size_t header = block->header;
    const bool aligned = (header & aligned_flag) != 0;
    const std::size_t needed = block_size_for(size + (aligned ? header_size : 0));
    if (resize_in_place(block, needed)) {
      detail::mark_resized(p, (header & size_mask) - header_size - (aligned ? header_size : 0),
                           usable_size_of(block));
      return p;
    }
    void* moved = allocate_at(size, aligned ? alignment_word(block) : granularity);
    if (moved == nullptr) return nullptr;
    const std::size_t old_usable = usable_size_of(block);
    std::memcpy(moved, p, size < old_usable ? size : old_usable);
    detail::mark_freed(p, old_usable);
    free_block(block);
    return moved;
  }

  /// Frees the block at `p`, merging it with free neighbours. nullptr is a
  /// no-op. O(1) (plus O(pools) in checked builds).
  /// A block that is already free is reported as double_free and left
  /// alone. Checked builds also report as invalid_pointer, and ignore, a
  /// pointer outside every pool, misaligned, or whose header does not agree
  /// with its neighbours; that catches stray and interior pointers in
  /// practice but is not a proof (see docs/tlsf.md). Release builds do not
  /// detect foreign or interior pointers.
  void deallocate(void* p) noexcept {
    detail::HeapCodeScope scope;
    if (p == nullptr) return;
    Block* block = block_of(p);
    if (!is_valid_used_block(block, "deallocate")) [[unlikely]]
      return;
    detail::mark_freed(p, usable_size_of(block));
    free_block(block);
  }

  /// Bytes usable at `p` (at least what was requested). O(1).
  /// Returns 0 for nullptr; a freed or (in checked builds) foreign pointer
  /// is reported and gives 0.
  std::size_t usable_size(const void* p) const noexcept {
    detail::HeapCodeScope scope;
    if (p == nullptr) return 0;
    const Block* block = block_of(const_cast<void*>(p));
    if (!is_valid_used_block(block, "usable_size")) return 0;
    return usable_size_of(block);
  }

  /// True if `p` is a block the heap handed out and has not freed, as far
  /// as this build can tell: release builds read the block's header and see
  /// that it is not free (`p` must point into a pool); checked builds also
  /// check alignment, ownership and the header's plausibility, as deallocate
  /// does. Never reports. O(1) (checked builds: O(pools)).
  bool is_allocated(const void* p) const noexcept {
    detail::HeapCodeScope scope;
    if (p == nullptr) return false;
    const Block* block = block_of(const_cast<void*>(p));
    if constexpr (checks_enabled) {
      if (!is_plausible_used_block(block)) return false;
    }
    return !is_free(block);
  }

  /// True if `p` points into one of the heap's pools. O(pools).
  bool owns(const void* p) const noexcept {
    detail::HeapCodeScope scope;
    const auto address = reinterpret_cast<std::uintptr_t>(p);
    for (const Pool* pool = pools_; pool != nullptr; pool = pool->next) {
      if (address >= reinterpret_cast<std::uintptr_t>(first_block(pool)) &&
          address < reinterpret_cast<std::uintptr_t>(sentinel_of(pool))) {
        return true;
      }
    }
    return false;
  }

  /// Allocations that returned nullptr since construction (stats() has it
  /// too). O(1). Always 0 when the heap keeps no statistics
  /// (RTALLOC_STATS=0).
  std::size_t failed_allocations() const noexcept {
#if RTALLOC_STATS
    return failed_allocations_;
#else
    return 0;
#endif
  }

  /// The heap's statistics. O(1), except largest_free, which looks at the
  /// blocks of the highest non-empty class: O(length of that one list).
  /// With RTALLOC_STATS=0 the counts come from a walk of every block,
  /// O(blocks), and peak_used and failed_allocations are 0 (not known).
  TlsfStats stats() const noexcept {
    detail::HeapCodeScope scope;
    TlsfStats s{};
    s.pool_count = pool_count_;
#if RTALLOC_STATS
    s.capacity = capacity_;
    s.used = used_;
    s.free = capacity_ - used_;
    s.peak_used = peak_used_;
    s.used_blocks = used_blocks_;
    s.free_blocks = free_blocks_;
    s.failed_allocations = failed_allocations_;
#else
    walk([&s](const BlockInfo& b) {
      s.capacity += b.block_size;
      if (b.used) {
        s.used += b.block_size;
        ++s.used_blocks;
      } else {
        ++s.free_blocks;
      }
    });
    s.free = s.capacity - s.used;
#endif
    if (const std::size_t index = highest_listed_class(); index != Lists::class_count) {
      std::size_t largest = 0;
      for (const Block* b = list_head(index); b != nullptr; b = b->next_free) {
        if (block_size(b) > largest) largest = block_size(b);
      }
      s.largest_free = largest - header_size;
    }
    return s;
  }

  /// Calls visitor(const BlockInfo&) for every block of every pool, in
  /// address order within a pool. A visitor that returns bool stops the walk
  /// by returning false. O(blocks). Do not change the heap from the visitor.
  template <class Visitor>
  void walk(Visitor&& visitor) const {
    detail::HeapCodeScope scope;
    for (const Pool* pool = pools_; pool != nullptr; pool = pool->next) {
      if (!Inspector::walk_pool(pool, visitor)) return;
    }
  }

  /// walk() over one pool (`pool` = the pointer given to add_pool), without
  /// the heap: for interfaces that name only the pool. O(blocks in the pool).
  template <class Visitor>
  static void walk_pool(const void* pool_memory, Visitor&& visitor) {
    detail::HeapCodeScope scope;
    Inspector::walk_pool(pool_at(pool_memory), visitor);
  }

  /// The invariants of one pool's blocks (they tile the pool, their flags
  /// agree, free blocks are merged and point at themselves, alignment words
  /// are sound), without the heap's lists and counters; reports the first
  /// broken one as heap_corrupted and returns false. O(blocks in the pool).
  static bool check_pool(const void* pool_memory) noexcept {
    detail::HeapCodeScope scope;
    typename Inspector::BlockTally tally;
    return Inspector::check_pool(pool_at(pool_memory), tally, nullptr);
  }

  /// The free block deallocate(p) would make, p's block merged with its
  /// free neighbours, without freeing anything: for a growing heap deciding
  /// which pages to give back (FlexTlsf). `p` must be a live block of this
  /// heap (nothing is validated). Reads three headers; O(1).
  static FreeMerge merge_on_free(const void* p) noexcept {
    detail::HeapCodeScope scope;
    const Block* b = block_of(const_cast<void*>(p));
    const std::size_t size = block_size(b);
    const Block* next = block_at(b, size);
    FreeMerge merge{reinterpret_cast<std::byte*>(const_cast<Block*>(b)), size, 0, 0};
    if (is_free(next)) merge.after = block_size(next);
    if (b->header & prev_free_flag) {
      const Block* prev = previous_block(b);
      merge.before = block_size(prev);
      merge.start = reinterpret_cast<std::byte*>(const_cast<Block*>(prev));
    }
    merge.bytes = merge.before + size + merge.after;
    return merge;
  }

  /// usable_size(p) read from the block's header alone, with no heap and no
  /// validation: `p` must be a live block of a heap of this type. For
  /// interfaces that pass no heap. O(1); 0 for nullptr.
  static std::size_t block_usable_size(const void* p) noexcept {
    detail::HeapCodeScope scope;
    return p == nullptr ? 0 : usable_size_of(block_of(const_cast<void*>(p)));
  }

  /// The alignment `p` was allocated with: the one given to allocate(size,
  /// align) if above granularity, else `alignment`. Read from the block
  /// alone, with no validation: `p` must be a live block of a heap of this
  /// type. O(1).
  static std::size_t block_alignment(const void* p) noexcept {
    detail::HeapCodeScope scope;
    const Block* block = block_of(const_cast<void*>(p));
    return (block->header & aligned_flag) ? alignment_word(block) : alignment;
  }

  /// Verifies every invariant of the heap (listed in docs/tlsf.md): pool
  /// list, block tiling of each pool, flags, merging, free lists, bitmaps and
  /// counters. Reports the first broken one as heap_corrupted, with a message
  /// and the address concerned, and returns false. O(blocks + pools^2 +
  /// class count). It never follows a block size or free-list link out of
  /// the pools, so it is safe to call on a heap whose blocks are damaged.
  bool check() const noexcept {
    detail::HeapCodeScope scope;
    return Inspector::check(*this);
  }

 private:
  using Lists = detail::TlsfFreeLists<Tlsf, FirstLevelCount, SecondLevelCount>;
  friend Lists;
  friend struct detail::TlsfInspector<Tlsf>;
  using Inspector = detail::TlsfInspector<Tlsf>;
  // The free lists' operations (rtalloc/detail/free_lists.hpp).
  using Lists::clear_lists;
  using Lists::find_free_block;
  using Lists::highest_listed_class;
  using Lists::insert_free_block;
  using Lists::list_head;
  using Lists::pop_list_head;
  using Lists::replace_free_block;
  using Lists::unlink_free_block;
  static constexpr bool compact = compact_enabled;  // RTALLOC_COMPACT (rtalloc/config.hpp)

  // ==== Allocate ===========================================================
  // allocate(size): allocate_at -> allocate_granule_aligned: block_size_for
  // -> find_free_block (the class's head, else the bitmaps) ->
  // take_listed_block -> split the block or use it whole -> mark_used.
  // Failure: allocation_failed. The aligned form is a slow path
  // (allocate_aligned, below), which compact builds take for every
  // allocation (see "Fast or compact").

  // Fast form of allocate(size).
  RTALLOC_HOT_INLINE void* allocate_granule_aligned(std::size_t size) noexcept {
    if (size > max_allocation) [[unlikely]]
      return allocation_failed();
    const std::size_t needed = block_size_for(size);
    std::size_t index;
    Block* block = find_free_block(needed, index);
    if (block == nullptr) [[unlikely]]
      return allocation_failed();
    block = take_listed_block(block, index, needed);
    detail::mark_allocated(payload(block), usable_size_of(block));
    return payload(block);
  }

  // Block size serving a request of `size` bytes (size <= max_allocation).
  static constexpr std::size_t block_size_for(std::size_t size) noexcept {
    const std::size_t rounded = (size + header_size + granularity - 1) & size_mask;
    return rounded < min_block_size ? min_block_size : rounded;
  }

  // Fast form of take_listed_block: turns the free block `b`, head of class
  // `index`, into a used block of `size` bytes. A remainder large enough
  // for a block stays free and takes b's place on its list when it is still
  // in b's class.
  RTALLOC_HOT_INLINE Block* take_listed_block_fast(Block* b, std::size_t index,
                                                   std::size_t size) noexcept {
    const std::size_t available = block_size(b);
    RTALLOC_ASSERT(is_free(b), "allocating a block that is not free", this, b);
    RTALLOC_ASSERT(available >= size, "a listed block is smaller than its class", this, b);
    const std::size_t rest = available - size;
    if (rest >= min_block_size) {
      // [ ------- b ------- ] => [ b: used ][ remainder: free ]
      Block* remainder = block_at(b, size);
      write_free_block(remainder, rest);  // the next block's PREV_FREE stays set
      const std::size_t rest_index = Classes::index_of(rest);
      if (rest_index == index) {
        replace_free_block(b, remainder);
      } else {
        pop_list_head(index, b);
        insert_free_block(remainder, rest_index);
      }
      return mark_used(b, size, 0);
    }
    // Too little left for a block: b is used whole.
    pop_list_head(index, b);
    block_at(b, available)->header &= ~prev_free_flag;
    count_free_block_removed();
    return mark_used(b, available, 0);
  }

  // Marks `b` used with `size` bytes and counts it.
  RTALLOC_HOT_INLINE Block* mark_used(Block* b, std::size_t size, std::size_t prev_flag) noexcept {
    b->header = size | prev_flag;
    count_block_used(size);
    count_peak();
    return b;
  }

  // Fast form of take_unlisted_block: as take_listed_block, for a free block
  // already off the lists whose PREV_FREE flag is `prev_flag`.
  Block* take_unlisted_block_fast(Block* b, std::size_t size, std::size_t prev_flag) noexcept {
    const std::size_t available = block_size(b);
    const std::size_t rest = available - size;
    if (rest >= min_block_size) {
      make_free_block(block_at(b, size), rest);
      return mark_used(b, size, prev_flag);
    }
    block_at(b, available)->header &= ~prev_free_flag;
    return mark_used(b, available, prev_flag);
  }

  // ==== Free ===============================================================
  // deallocate(p): is_valid_used_block -> free_block, which merges the block
  // with whichever neighbours are free (at most two merges; a free block's
  // neighbours are always used, so no merge cascades) and lists the result.
  //
  //   previous  next   result
  //   used      used   [ this ]                 => [ this: free ]
  //   used      free   [ this ][ next ]         => [ ---- this ---- ]
  //   free      used   [ prev ][ this ]         => [ ---- prev ---- ]
  //   free      free   [ prev ][ this ][ next ] => [ ------ prev ------ ]
  //
  // A merged block that stays in the class of the free neighbour it absorbs
  // takes that neighbour's place on its list, with no bitmap change.

  // Fast form of free_block.
  RTALLOC_HOT_INLINE void free_block_fast(Block* b) noexcept {
    const std::size_t header = b->header;
    std::size_t size = header & size_mask;
    count_block_freed(size);
    Block* next = block_at(b, size);
    const std::size_t next_header = next->header;
    if (header & prev_free_flag) {
      Block* prev = previous_block(b);
      RTALLOC_ASSERT(is_free(prev) && block_at(prev, block_size(prev)) == b,
                     "merging with a previous block that is not free or does not end here", this,
                     b);
      b->header = header | free_flag;  // a second free of `b` is still seen as one
      if (next_header & free_flag) {
        // [ prev ][ this ][ next ] => [ ------ prev ------ ]
        unlink_free_block(next);
        size += next_header & size_mask;
        count_free_block_removed();
      }
      // [ prev ][ this ] => [ ---- prev ---- ]
      const std::size_t prev_size = block_size(prev);
      const std::size_t merged = prev_size + size;
      write_free_block(prev, merged);
      block_at(prev, merged)->header |= prev_free_flag;
      const auto mapping = Classes::map(merged);
      if (!mapping.holds(prev_size)) {
        unlink_free_block(prev);
        insert_free_block(prev, mapping.index);
      }
    } else if (next_header & free_flag) {
      // [ this ][ next ] => [ ---- this ---- ]
      RTALLOC_ASSERT(self_pointer(next, next_header & size_mask) == next,
                     "merging with a free block whose self pointer disagrees", this, next);
      const std::size_t next_size = next_header & size_mask;
      const std::size_t merged = size + next_size;
      write_free_block(b, merged);
      const auto mapping = Classes::map(merged);
      if (mapping.holds(next_size)) {
        replace_free_block(next, b);
      } else {
        unlink_free_block(next);
        insert_free_block(b, mapping.index);
      }
    } else {
      // [ this ] => [ this: free ]
      RTALLOC_ASSERT((next_header & prev_free_flag) == 0,
                     "the block after a used block says its predecessor is free", this, next);
      write_free_block(b, size);
      next->header = next_header | prev_free_flag;
      insert_free_block(b, Classes::index_of(size));
      count_free_block_added();
    }
  }

  // ==== Resize in place (reallocate) =======================================
  // reallocate(p, size): is_valid_used_block -> resize_in_place (shrink_block,
  // or grow into a free successor) -> else allocate, copy, free_block.

  // Fast form of resize_in_place: resizes used block `b` to `size` bytes
  // without moving it, if the block or its free successor is large enough.
  // Returns false if it cannot.
  bool resize_in_place_fast(Block* b, std::size_t size) noexcept {
    const std::size_t current = block_size(b);
    if (size <= current) {
      shrink_block(b, size);
      return true;
    }
    Block* next = block_at(b, current);
    if (!is_free(next) || current + block_size(next) < size) return false;
    // [ b ][ next: free ] => [ b: grown ][ rest of next: free ]
    const std::size_t combined = current + block_size(next);
    unlink_free_block(next);
    if (combined - size >= min_block_size) {
      // The rest of `next` stays free (the block after it keeps PREV_FREE).
      set_used_size(b, size);
      list_free_block(block_at(b, size), combined - size);
    } else {
      size = combined;
      set_used_size(b, size);
      block_at(b, size)->header &= ~prev_free_flag;
      count_free_block_removed();
    }
    count_used_grown(size - current);
    count_peak();
    return true;
  }

  // Gives the tail of used block `b` beyond `size` bytes back to the free
  // lists, merging it with a free successor:
  //   [ b ][ next: used ] => [ b ][ tail: free ][ next ]  (if the tail is a block)
  //   [ b ][ next: free ] => [ b ][ -- tail + next: free -- ]
  void shrink_block(Block* b, std::size_t size) noexcept {
    const std::size_t current = block_size(b);
    RTALLOC_ASSERT(size <= current, "shrinking a block to more than its size", this, b);
    if (size == current) return;
    Block* next = block_at(b, current);
    std::size_t rest = current - size;
    if (is_free(next)) {
      unlist_free_block(next);
      rest += block_size(next);
    } else if (rest < min_block_size) {
      return;
    } else {
      next->header |= prev_free_flag;
    }
    set_used_size(b, size);
    make_free_block(block_at(b, size), rest);
    count_used_shrunk(current - size);
  }

  // Sets used block b's size, keeping its flags and, for an aligned block,
  // its alignment word (moved to the new end). Call it before anything is
  // written over b's old last word.
  static void set_used_size(Block* b, std::size_t size) noexcept {
    const std::size_t flags = b->header & ~size_mask;
    if (flags & aligned_flag) {
      const std::size_t align = alignment_word(b);
      b->header = size | flags;
      alignment_word(b) = align;
    } else {
      b->header = size | flags;
    }
  }

  // ==== Aligned allocation (slow path) =====================================

  // allocate(size, align) for align > granularity (and, in compact builds,
  // for every alignment): search for a block large enough to hold
  // the request at any alignment, then give the free space in front of the
  // aligned payload back as a block of its own:
  //   [ ------- found ------- ] => [ gap: free ][ block: used ][ rest: free ]
  // At the granule's alignment the gap is always 0 and the block needs no
  // alignment word: this is allocate(size).
  [[gnu::noinline]] void* allocate_aligned(std::size_t size, std::size_t align) noexcept {
    const bool over = align > granularity;  // needs the alignment word and a gap
    if (size > max_allocation) return allocation_failed();
    const std::size_t needed = block_size_for(size + (over ? header_size : 0));
    // The gap in front of the payload is 0 or at least min_block_size (it
    // must form a free block), so at most min_block_size + align - granularity.
    // No sum overflows: align is a power of two, at most half the address
    // space, and needed at most a quarter of it (max_block_size).
    const std::size_t search = needed + (over ? min_block_size + align - granularity : 0);
    if (search > Classes::last_class_start) return allocation_failed();
    std::size_t index;
    Block* block = find_free_block(search, index);
    if (block == nullptr) return allocation_failed();
    pop_head(index, block);
    const auto address = reinterpret_cast<std::uintptr_t>(payload(block));
    std::size_t gap = detail::align_up(address, align) - address;
    std::size_t prev_flag = 0;
    if (gap != 0) {
      if (gap < min_block_size) gap += align;
      const std::size_t available = block_size(block);
      make_free_block(block, gap);
      block = block_at(block, gap);
      block->header = available - gap;
      prev_flag = prev_free_flag;
    }
    take_unlisted_block(block, needed, prev_flag);
    if (over) {
      block->header |= aligned_flag;
      alignment_word(block) = align;
    }
    detail::mark_allocated(payload(block), usable_size_of(block));
    return payload(block);
  }

  // ==== Fast or compact: the one place that picks ===========================
  // Each step below has a fast form (above), which keeps a block's place on
  // its list where it can, and a compact form (here), which takes the plain
  // unlink-split-insert route: less code, the same bounds, contracts and
  // invariants; a free block may sit at another place on its list.
  // RTALLOC_COMPACT chooses, and these six functions are the only ones that
  // look at it.

  // An allocation at `align`, a power of two (every payload is aligned to
  // the granule, so any alignment up to it is the granule's): the compact
  // form has one path for every alignment, the fast one a path of its own
  // for the granule's.
  RTALLOC_HOT_INLINE void* allocate_at(std::size_t size, std::size_t align) noexcept {
    if constexpr (compact) {
      return allocate_aligned(size, align);
    } else {
      if (align > granularity) return allocate_aligned(size, align);
      return allocate_granule_aligned(size);
    }
  }

  RTALLOC_HOT_INLINE Block* take_listed_block(Block* b, std::size_t index,
                                              std::size_t size) noexcept {
    if constexpr (compact) {
      pop_head(index, b);
      return take_unlisted_block(b, size, 0);
    } else {
      return take_listed_block_fast(b, index, size);
    }
  }

  RTALLOC_INLINE_ONCE Block* take_unlisted_block(Block* b, std::size_t size,
                                                 std::size_t prev_flag) noexcept {
    if constexpr (compact) {  // take all of b, then give back the tail as a shrink does
      const std::size_t available = block_size(b);
      b->header = available | prev_flag;
      count_block_used(available);
      block_at(b, available)->header &= ~prev_free_flag;
      shrink_block(b, size);
      count_peak();
      return b;
    } else {
      return take_unlisted_block_fast(b, size, prev_flag);
    }
  }

  RTALLOC_HOT_INLINE void pop_head(std::size_t index, Block* b) noexcept {
    if constexpr (compact) {
      unlist_free_block(b);  // the general unlink, shared with the other paths
    } else {
      pop_list_head(index, b);
      count_free_block_removed();
    }
  }

  RTALLOC_HOT_INLINE void free_block(Block* b) noexcept {
    if constexpr (compact) {
      free_block_compact(b);
    } else {
      free_block_fast(b);
    }
  }

  RTALLOC_INLINE_ONCE bool resize_in_place(Block* b, std::size_t size) noexcept {
    if constexpr (compact) {  // to grow, take all of the free successor, then give back the rest
      const std::size_t current = block_size(b);
      if (size > current) {
        Block* next = block_at(b, current);
        if (!is_free(next) || current + block_size(next) < size) return false;
        const std::size_t combined = current + block_size(next);
        unlist_free_block(next);
        set_used_size(b, combined);
        block_at(b, combined)->header &= ~prev_free_flag;
        count_used_grown(combined - current);
      }
      shrink_block(b, size);
      count_peak();
      return true;
    } else {
      return resize_in_place_fast(b, size);
    }
  }

  // Compact form of free_block: unlink the free neighbours, list the merged
  // block.
  void free_block_compact(Block* b) noexcept {
    const std::size_t header = b->header;
    std::size_t size = header & size_mask;
    count_block_freed(size);
    b->header = header | free_flag;  // a second free of `b` is still seen as one
    if (Block* next = block_at(b, size); is_free(next)) {  // [ this ][ next ]
      unlist_free_block(next);
      size += block_size(next);
    }
    if (header & prev_free_flag) {  // [ prev ][ this ... ]
      b = previous_block(b);
      RTALLOC_ASSERT(is_free(b), "merging with a previous block that is not free", this, b);
      unlist_free_block(b);
      size += block_size(b);
    }
    make_free_block(b, size);
    block_at(b, size)->header |= prev_free_flag;
  }

  // ==== Block layout ========================================================

  static std::size_t block_size(const Block* b) noexcept { return b->header & size_mask; }
  static bool is_free(const Block* b) noexcept { return (b->header & free_flag) != 0; }

  template <class B>
  static B* block_at(B* b, std::size_t offset) noexcept {
    return reinterpret_cast<B*>(reinterpret_cast<std::uintptr_t>(b) + offset);
  }
  static std::size_t distance(const Block* from, const Block* to) noexcept {
    return reinterpret_cast<std::uintptr_t>(to) - reinterpret_cast<std::uintptr_t>(from);
  }
  static void* payload(const Block* b) noexcept {
    return reinterpret_cast<void*>(reinterpret_cast<std::uintptr_t>(b) + header_size);
  }
  static Block* block_of(void* p) noexcept {
    return reinterpret_cast<Block*>(reinterpret_cast<std::uintptr_t>(p) - header_size);
  }

  // The last word of a free block points at the block itself, so that the
  // next block can find it ("previous physical block").
  static Block*& self_pointer(Block* b, std::size_t size) noexcept {
    return *reinterpret_cast<Block**>(reinterpret_cast<std::uintptr_t>(b) + size - header_size);
  }
  static Block* previous_block(const Block* b) noexcept {
    return *reinterpret_cast<Block* const*>(reinterpret_cast<std::uintptr_t>(b) - header_size);
  }

  // An aligned block keeps its alignment in its last word.
  static std::size_t& alignment_word(const Block* b) noexcept {
    return *reinterpret_cast<std::size_t*>(reinterpret_cast<std::uintptr_t>(b) + block_size(b) -
                                           header_size);
  }

  static std::size_t usable_size_of(const Block* b) noexcept {
    return block_size(b) - header_size - ((b->header & aligned_flag) ? header_size : 0);
  }

  // Writes a free block's header and self pointer (not its list links).
  static void write_free_block(Block* b, std::size_t size) noexcept {
    b->header = size | free_flag;
    self_pointer(b, size) = b;
  }

  // Writes a free block and puts it on its list (list_free_block), and
  // counts it (make_free_block); unlist_free_block takes one off its list
  // and out of the count. The fast forms move blocks between lists with the
  // uncounted operations, where the count does not change.
  RTALLOC_INLINE_ONCE void list_free_block(Block* b, std::size_t size) noexcept {
    write_free_block(b, size);
    insert_free_block(b, Classes::index_of(size));
  }
  void make_free_block(Block* b, std::size_t size) noexcept {
    list_free_block(b, size);
    count_free_block_added();
  }
  void unlist_free_block(Block* b) noexcept {
    unlink_free_block(b);
    count_free_block_removed();
  }

  static Pool* pool_at(const void* memory) noexcept {
    return reinterpret_cast<Pool*>(
        detail::align_up(reinterpret_cast<std::uintptr_t>(memory), alignof(Pool)));
  }
  static Block* first_block(const Pool* pool) noexcept {
    const auto after = reinterpret_cast<std::uintptr_t>(pool) + sizeof(Pool);
    return reinterpret_cast<Block*>(detail::align_up(after + header_size, granularity) -
                                    header_size);
  }
  // The sentinel: a used, zero-size header closing the pool's last block.
  static Block* sentinel_of(const Pool* pool) noexcept {
    return reinterpret_cast<Block*>(
        detail::align_down(reinterpret_cast<std::uintptr_t>(pool->end), granularity) - header_size);
  }
  static void set_sentinel(Block* sentinel, std::size_t flags) noexcept {
    sentinel->header = flags;
  }

  // ==== Statistics counters ===============================================

  // One helper per update of the counters that stats() reports in O(1); with
  // RTALLOC_STATS=0 the heap has no counters and each compiles to nothing.
#if RTALLOC_STATS
  void count_block_used(std::size_t size) noexcept {
    ++used_blocks_;
    used_ += size;
  }
  void count_block_freed(std::size_t size) noexcept {
    used_ -= size;
    --used_blocks_;
  }
  void count_used_grown(std::size_t bytes) noexcept { used_ += bytes; }
  void count_used_shrunk(std::size_t bytes) noexcept { used_ -= bytes; }
  void count_peak() noexcept {
    if (used_ > peak_used_) peak_used_ = used_;
  }
  void count_free_block_added() noexcept { ++free_blocks_; }
  void count_free_block_removed() noexcept { --free_blocks_; }
  void count_capacity_added(std::size_t bytes) noexcept { capacity_ += bytes; }
  void count_capacity_removed(std::size_t bytes) noexcept { capacity_ -= bytes; }
  void count_all_blocks_free() noexcept {  // reset(): before each pool's block is counted
    used_ = 0;
    used_blocks_ = 0;
    free_blocks_ = 0;
  }
  // What a failed allocation returns, counted: out of line, off the hot paths.
  [[gnu::noinline]] void* allocation_failed() noexcept {
    ++failed_allocations_;
    return nullptr;
  }
#else
  static void count_block_used(std::size_t) noexcept {}
  static void count_block_freed(std::size_t) noexcept {}
  static void count_used_grown(std::size_t) noexcept {}
  static void count_used_shrunk(std::size_t) noexcept {}
  static void count_peak() noexcept {}
  static void count_free_block_added() noexcept {}
  static void count_free_block_removed() noexcept {}
  static void count_capacity_added(std::size_t) noexcept {}
  static void count_capacity_removed(std::size_t) noexcept {}
  static void count_all_blocks_free() noexcept {}
  static void* allocation_failed() noexcept { return nullptr; }  // inline: smaller than a call
#endif

  // ==== Validation ========================================================

  // Validates a pointer passed to deallocate / reallocate / usable_size,
  // and reports a bad one as `operation` (is_allocated asks the same
  // questions without reporting). Release builds check only that the block
  // is not already free; checked builds also check alignment, ownership and
  // the header's plausibility.
  RTALLOC_INLINE_ONCE bool is_valid_used_block(const Block* b,
                                               const char* operation) const noexcept {
    if constexpr (checks_enabled) {
      if (!is_plausible_used_block(b)) {
        detail::report(ErrorCode::invalid_pointer, operation, this, payload(b));
        return false;
      }
    }
    if (is_free(b)) [[unlikely]] {
      detail::report(ErrorCode::double_free, operation, this, payload(b));
      return false;
    }
    return true;
  }

  // Checked builds: is `b` aligned, inside a pool, with a header that fits
  // the pool and agrees with its neighbours? O(pools).
  bool is_plausible_used_block(const Block* b) const noexcept {
    const auto address = reinterpret_cast<std::uintptr_t>(b);
    if ((address + header_size) % granularity != 0) return false;
    for (const Pool* pool = pools_; pool != nullptr; pool = pool->next) {
      const auto first = reinterpret_cast<std::uintptr_t>(first_block(pool));
      const auto sentinel = reinterpret_cast<std::uintptr_t>(sentinel_of(pool));
      if (address < first || address >= sentinel) continue;
      if (is_free(b)) return true;  // reported as a double free
      const std::size_t size = block_size(b);
      if (size < min_block_size || size > sentinel - address) return false;
      const Block* next = block_at(b, size);
      if ((next->header & prev_free_flag) != 0) return false;
      if (b->header & prev_free_flag) {
        const auto prev = reinterpret_cast<std::uintptr_t>(previous_block(b));
        if (prev < first || prev >= address || prev % granularity != granularity - header_size) {
          return false;
        }
        const Block* prev_block = previous_block(b);
        if (!is_free(prev_block) || block_at(prev_block, block_size(prev_block)) != b) return false;
      }
      return true;
    }
    return false;
  }

  // ==== Pool list =========================================================

  RTALLOC_INLINE_ONCE void link_pool(Pool* pool) noexcept {
    pool->prev = nullptr;
    pool->next = pools_;
    if (pools_ != nullptr) pools_->prev = pool;
    pools_ = pool;
    ++pool_count_;
  }

  void unlink_pool(Pool* pool) noexcept {
    if (pool->prev != nullptr) {
      pool->prev->next = pool->next;
    } else {
      pools_ = pool->next;
    }
    if (pool->next != nullptr) pool->next->prev = pool->prev;
    --pool_count_;
  }

  // Checked builds: is `pool_memory` (the pointer given to add_pool) one of
  // the heap's pools? Reports invalid_pool with `message` if not. O(pools);
  // release builds trust the caller, O(1).
  bool is_known_pool(const void* pool_memory, const char* message) const noexcept {
    if constexpr (checks_enabled) {
      for (const Pool* p = pools_; p != nullptr; p = p->next) {
        if (p == pool_at(pool_memory)) return true;
      }
      detail::report(ErrorCode::invalid_pool, message, this, pool_memory);
      return false;
    }
    return true;
  }

  // Checked builds: does [begin, end) overlap a pool? Reports pool_overlap.
  bool overlaps_a_pool(std::uintptr_t begin, std::uintptr_t end) const noexcept {
    for (const Pool* p = pools_; p != nullptr; p = p->next) {
      const auto pool_begin = reinterpret_cast<std::uintptr_t>(p);
      const auto pool_end = reinterpret_cast<std::uintptr_t>(p->end);
      if (begin < pool_end && pool_begin < end) {
        detail::report(ErrorCode::pool_overlap, "pool overlaps an existing pool", this,
                       reinterpret_cast<const void*>(begin), end - begin);
        return true;
      }
    }
    return false;
  }

  // ==== Control block =====================================================

  // The counters come first: small offsets from `this` give shorter
  // instructions on targets such as Thumb-2.
  Pool* pools_ = nullptr;
  std::size_t pool_count_ = 0;  // part of the pool list: check() bounds its walk with it
#if RTALLOC_STATS
  std::size_t capacity_ = 0;
  std::size_t used_ = 0;
  std::size_t peak_used_ = 0;
  std::size_t used_blocks_ = 0;
  std::size_t free_blocks_ = 0;
  std::size_t failed_allocations_ = 0;
#endif
  typename Lists::State lists_{};  // the free lists and their bitmaps, last: the largest part
};

RTALLOC_HEAP_CODE_END

/// A configuration for microcontrollers: blocks up to 64 KiB, 16 classes per
/// level. On a 32-bit target its control block is under 1 KiB (see
/// docs/tlsf.md for the figures).
using TlsfSmall = Tlsf<tlsf_first_levels(std::size_t{64} * 1024 - 64, 16), 16>;

}  // namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE
