// SPDX-License-Identifier: MIT OR Apache-2.0
// What a TLSF heap promises beyond any heap: the policy of the heap model
// (heap_model.hpp) for rtalloc::Tlsf, and, with a Growth that knows its
// source, for rtalloc::FlexTlsf. The figures come from docs/tlsf.md: a block
// is a one-word header, the payload and, for alignments above the
// granularity, one more word; an allocation succeeds whenever the search
// guarantee says it must; statistics count whole blocks; an empty heap is
// one free block per pool.
#pragma once

#include <cstddef>
#include <cstdint>
#include <rtalloc/error.hpp>
#include <rtalloc/tlsf.hpp>

#include "heap_model.hpp"

namespace rtalloc::test {

/// The Growth of a heap that cannot grow: every failure is its own, and the
/// heap counts exactly the failures its caller saw.
struct NoGrowth {
  static constexpr bool grows = false;
  bool could_grow(std::size_t /*pool_bytes*/) const noexcept { return false; }
};

/// The expectations of a heap that is, or wraps, `Tlsf` (a configuration of
/// rtalloc::Tlsf). Growth says whether the heap may take more memory on a
/// failed search: `grows`, and could_grow(pool_bytes), whether its source
/// could still give a pool of pool_bytes (Tlsf::pool_size_for).
template <class Tlsf, class Growth = NoGrowth>
class TlsfPolicy {
 public:
  static constexpr std::size_t alignment = Tlsf::alignment;

  /// Every block is aligned to the larger of `align` and alignment.
  static constexpr std::size_t alignment_for(std::size_t /*size*/, std::size_t align) noexcept {
    return align > alignment ? align : alignment;
  }

  constexpr TlsfPolicy() noexcept = default;
  explicit constexpr TlsfPolicy(Growth growth) noexcept : growth_(growth) {}

  /// A block occupies its header, its payload and, when aligned beyond the
  /// granularity, the word after the payload that keeps the alignment.
  static Extent extent(const void* p, std::size_t usable, std::size_t align) noexcept {
    const auto payload = reinterpret_cast<std::uintptr_t>(p);
    const std::size_t alignment_word = align > Tlsf::granularity ? Tlsf::header_size : 0;
    return {payload - Tlsf::header_size, payload + usable + alignment_word};
  }

  /// Whether a request must succeed given the largest free block, by the
  /// guarantee in docs/tlsf.md: n bytes are served whenever a free block of
  /// (n + header + granularity) * (1 + 1/SecondLevelCount) bytes exists. An
  /// aligned request also needs its alignment word and room for the gap in
  /// front of the aligned payload (the alignment plus a smallest block).
  static bool must_fit(std::size_t size, std::size_t align, std::size_t largest_free) noexcept {
    if (size > Tlsf::max_allocation) return false;
    std::size_t request = size + Tlsf::header_size + Tlsf::granularity;
    if (align > Tlsf::granularity) {
      request += Tlsf::header_size + align + Tlsf::min_block_size;
      if (request > Tlsf::max_allocation) return false;  // beyond the largest class
    }
    const std::size_t guaranteed =
        request + (request + Tlsf::second_level_count - 1) / Tlsf::second_level_count;
    return largest_free + Tlsf::header_size >= guaranteed;
  }

  /// allocate(size, align) (align 0: allocate(size)) gave `p` with `usable`
  /// bytes, or nullptr; `before` are the statistics before it.
  template <class Heap>
  const char* verify_allocation(const Heap& heap, const TlsfStats& before, std::size_t size,
                                std::size_t align, const void* p,
                                std::size_t usable) const noexcept {
    if (p == nullptr) return failure_allowed(before, size, align);
    if (size > Tlsf::max_allocation) return "a request beyond max_allocation succeeded";
    // Carved from a free block, unless the heap grew for it.
    if (usable > before.largest_free && heap.stats().capacity == before.capacity) {
      return "a block larger than the largest free block was handed out";
    }
    return nullptr;
  }

  /// reallocate(old, size) gave `moved` (nullptr: failed).
  template <class Heap>
  const char* verify_reallocation(const Heap& /*heap*/, const TlsfStats& before,
                                  const LiveBlock& old, std::size_t size,
                                  const void* moved) const noexcept {
    if (moved == nullptr) {
      if (size <= old.usable) return "shrinking a block failed";
      return failure_allowed(before, size, old.align);
    }
    if (size > Tlsf::max_allocation) return "a reallocate beyond max_allocation succeeded";
    if (size <= old.usable && moved != old.data) return "shrinking moved the block";
    return nullptr;
  }

  /// A freed block's header still says free, so a second free is seen in
  /// every build; a checked build may find the header merged into a
  /// neighbour first (invalid_pointer). Foreign and interior pointers are
  /// found only by checked builds; the fill pattern makes an aligned
  /// interior pointer's "header" implausible (heap_model.hpp).
  MisuseAnswer answer(Misuse misuse) const noexcept {
    switch (misuse) {
      case Misuse::double_free:
        return {true, ErrorCode::double_free,
                checks_enabled ? ErrorCode::invalid_pointer : ErrorCode::double_free};
      case Misuse::foreign_pointer:
      case Misuse::interior_pointer:
        return {checks_enabled, ErrorCode::invalid_pointer, ErrorCode::invalid_pointer};
      case Misuse::misaligned_pointer:
        return {checks_enabled, ErrorCode::invalid_pointer, ErrorCode::invalid_pointer};
      case Misuse::bad_alignment:
        return {true, ErrorCode::invalid_alignment, ErrorCode::invalid_alignment};
    }
    return {false, ErrorCode::invalid_pointer, ErrorCode::invalid_pointer};
  }

  /// The statistics against the shadow, after every operation.
  template <class Heap, class Shadow>
  const char* verify_counts(const Heap& /*heap*/, const TlsfStats& stats,
                            const Shadow& shadow) const noexcept {
    if (shadow.tracks_pools()) {
      if (stats.pool_count != shadow.active_pools()) return "pool_count is not the pools added";
      if (stats.capacity != shadow.capacity()) return "capacity is not what the pools added";
    } else if (stats.capacity > shadow.known_memory_bytes()) {
      return "capacity exceeds the memory the heap could take";
    }
    if (stats.used_blocks != shadow.live_count()) return "used_blocks is not the live blocks";
    if (stats.used != shadow.used_bytes()) return "used is not the live blocks' sizes";
    if (stats.free != stats.capacity - stats.used) return "free is not capacity - used";
    if (!stats_enabled) {
      if (stats.failed_allocations != 0 || stats.peak_used != 0) {
        return "a heap without statistics counted failures or a peak";
      }
      return nullptr;
    }
    // A heap that grows also counts the searches that failed before it grew.
    if (Growth::grows ? stats.failed_allocations < shadow.failures()
                      : stats.failed_allocations != shadow.failures()) {
      return "failed_allocations is not the failures seen";
    }
    // Removed pools' capacity may still count toward an old peak.
    if (stats.peak_used < shadow.peak_bytes() || stats.peak_used < stats.used ||
        stats.peak_used > stats.capacity + shadow.removed_capacity()) {
      return "peak_used is below the use seen or beyond the capacity";
    }
    return nullptr;
  }

  /// walk() against stats() and the shadow: every block inside the heap's
  /// memory, tiling it (no overlap, no two free neighbours), every used
  /// block a live one with the usable and block size the shadow has, and
  /// every live block seen. O(blocks); the common block (the next live one,
  /// in the same pool as the last) costs no call, for unoptimised builds.
  template <class Heap, class Shadow>
  const char* verify_blocks(const Heap& heap, const TlsfStats& stats,
                            const Shadow& shadow) const noexcept {
    BlockCheck<Shadow> tally{shadow};
    heap.walk([&tally](const BlockInfo& block) { return tally.visit(block); });
    if (tally.broken != nullptr) return tally.broken;
    if (tally.used_blocks != shadow.live_count()) return "walk() does not show every live block";
    if (tally.total != stats.capacity || tally.used != stats.used ||
        tally.used_blocks != stats.used_blocks || tally.free_blocks != stats.free_blocks ||
        tally.largest_free != stats.largest_free) {
      return "walk() disagrees with stats()";
    }
    return nullptr;
  }

  /// With no live block, each pool is one free block (every neighbour
  /// merged), the largest pool's.
  template <class Heap, class Shadow>
  const char* verify_empty(const Heap& /*heap*/, const TlsfStats& stats,
                           const Shadow& shadow) const noexcept {
    if (stats.used != 0 || stats.used_blocks != 0) return "bytes in use in an empty heap";
    if (stats.free_blocks != stats.pool_count) return "an empty heap is not one block per pool";
    if (shadow.tracks_pools()) {
      const std::size_t largest = shadow.largest_pool_capacity();
      if (stats.largest_free != (largest == 0 ? 0 : largest - Tlsf::header_size)) {
        return "an empty heap's largest free block is not its largest pool";
      }
    }
    return nullptr;
  }

  /// add_pool(memory, bytes) added `capacity` and ends at `end`: a pool
  /// beyond the largest block is used only up to it.
  const char* verify_pool_added(const std::byte* memory, std::size_t bytes, std::size_t capacity,
                                const std::byte* end) const noexcept {
    const std::size_t most = bytes < Tlsf::max_block_size ? bytes : Tlsf::max_block_size;
    if (capacity > most) return "add_pool added more than the pool holds";
    if (end > memory + bytes) return "a pool ends beyond its memory";
    if (capacity < Tlsf::max_block_size && end != memory + bytes) {
      return "a pool does not end where its memory does";
    }
    return nullptr;
  }

  /// extend_pool(pool, its end, bytes) added `added`, or was refused. A
  /// refusal is allowed only for memory too small to form a block or a
  /// pool that would span more than the largest block.
  const char* verify_extension(const PoolRecord& pool, std::size_t bytes, std::size_t added,
                               bool refused) const noexcept {
    if (refused) {
      if (pool.capacity + bytes < Tlsf::max_block_size &&
          bytes >= Tlsf::min_block_size + Tlsf::granularity) {
        return "extend_pool refused memory that forms a block";
      }
      return nullptr;
    }
    if (added > bytes + Tlsf::granularity || added % Tlsf::granularity != 0) {
      return "extend_pool added a number of bytes the memory does not give";
    }
    if (pool.capacity + added > Tlsf::max_block_size) {
      return "extend_pool grew a pool beyond the largest block";
    }
    return nullptr;
  }

 private:
  // What verify_blocks learns from walk(), one block after another.
  template <class Shadow>
  struct BlockCheck {
    explicit BlockCheck(const Shadow& of) noexcept
        : shadow(of), live(of.live_count() != 0 ? &of.live(0) : nullptr), count(of.live_count()) {}

    // Reads only the BlockInfo and the shadow, never pool memory: nothing
    // for AddressSanitizer to check, and its checks would make this, once
    // per block per operation, the slowest part of a sanitised run.
    [[gnu::no_sanitize_address]] bool visit(const BlockInfo& block) noexcept {
      const std::uintptr_t begin =
          reinterpret_cast<std::uintptr_t>(block.address) - Tlsf::header_size;
      const std::uintptr_t end = begin + block.block_size;
      if (begin < memory.begin || end > memory.end || end < begin) {
        memory = shadow.memory_holding(Extent{begin, end});  // another pool
        if (memory.end == 0) broken = "walk() shows a block outside the heap's memory";
      }
      if (begin < previous_end && begin >= previous_begin) {
        broken = "walk() shows overlapping blocks";
      } else if (begin == previous_end && previous_free && !block.used) {
        broken = "two free blocks are neighbours";
      }
      total += block.block_size;
      if (block.used) {
        used += block.block_size;
        ++used_blocks;
        std::size_t i = next;  // walk() goes in address order within a pool
        if (i >= count || live[i].data != block.address) i = shadow.find(block.address);
        if (i == Shadow::none) {
          broken = "walk() shows a used block that is not live";
        } else if (live[i].usable != block.size) {
          broken = "walk() and usable_size disagree on a block";
        } else if (block.size + Tlsf::header_size +
                       (live[i].align > Tlsf::granularity ? Tlsf::header_size : 0) !=
                   block.block_size) {
          broken = "walk()'s block size is not the header, payload and alignment word";
        }
        next = i + 1;
      } else {
        ++free_blocks;
        if (block.size > largest_free) largest_free = block.size;
      }
      previous_begin = begin;
      previous_end = end;
      previous_free = !block.used;
      return broken == nullptr;
    }

    const Shadow& shadow;
    const LiveBlock* live;
    std::size_t count;
    std::size_t next = 0;
    Extent memory{0, 0};  // the pool of the last block: most blocks share it
    std::uintptr_t previous_begin = 0;
    std::uintptr_t previous_end = 0;
    bool previous_free = false;
    std::size_t total = 0, used = 0, used_blocks = 0, free_blocks = 0, largest_free = 0;
    const char* broken = nullptr;
  };

  // A failed allocation is allowed only beyond the search guarantee and,
  // for a heap that grows, when its source could not give the pool the
  // request needs.
  const char* failure_allowed(const TlsfStats& before, std::size_t size,
                              std::size_t align) const noexcept {
    if (must_fit(size, align, before.largest_free)) {
      return "an allocation failed although a large enough block was free";
    }
    const std::size_t pool_bytes = Tlsf::pool_size_for(size, align > alignment ? align : alignment);
    if (pool_bytes != 0 && growth_.could_grow(pool_bytes)) {
      return "an allocation failed although the source had the memory";
    }
    return nullptr;
  }

  Growth growth_{};
};

}  // namespace rtalloc::test
