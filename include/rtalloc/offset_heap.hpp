// SPDX-License-Identifier: MIT OR Apache-2.0
// rtalloc::OffsetHeap — a TLSF heap of offsets whose bookkeeping lives
// entirely outside the memory it manages.
//
// It hands out ranges of an abstract offset space: a GPU heap sub-allocated
// by offset (a Vulkan VkDeviceMemory, a D3D12 heap), a shared-memory segment
// that processes map at different addresses, a memory-mapped file, device
// memory, address space reserved but not committed. It never reads or writes
// that memory and never needs to know where, or whether, it is mapped.
//
//   rtalloc::OffsetHeap<4096> heap;                     // 4,096 records in the object
//   heap.add_range(0, std::uint64_t{48} << 30);         // offsets [0, 48 GiB)
//   const auto a = heap.allocate(1 << 20, 256);         // a.offset, a.handle, a.error
//   heap.free(a.handle);                                // every copy of the handle is stale now
//
// Every operation that changes the heap is O(1): allocate (aligned or not),
// free, resize, add_range, extend_range and remove_range run in a bounded
// number of steps whatever the number of allocations, free ranges or ranges
// (checked builds add an O(ranges) overlap test to add_range and
// extend_range). stats(), largest_free(), walk() and check() are diagnostics
// and say what they cost. docs/offset-heap.md gives the bounds, the
// fragmentation guarantee and the invariants.
//
// The heap is not thread-safe: guard it with a lock if several threads use it.
//
// Bookkeeping. Offsets and sizes are counted in granules of `Granule` bytes.
// Every block — an allocation or a free range — has one 16-byte record in a
// store of fixed capacity (inside the object, or memory the caller gives);
// each range has two more, one at each end. The list heads and bitmaps of the
// size classes are in the object. A record is two words:
//
//   place: [ offset : 40 ][ next : 22 ][ state : 2 ]     (low bits first)
//   links: [ a : 22 ][ b : 42 ]
//
//   state       | next              | a                        | b
//   free        | following block   | previous on its list     | next on its list
//   used        | following block   | preceding block if free  | serial of the allocation
//   range start | the range's end   | previous range           | next range, range serial
//   range end   | the range's first | preceding block if free  | the range's start
//   unused      | —                 | next unused record       | —
//
// The blocks of a range form a chain from its first block through `next` to
// its end record, whose offset is where the range ends; a block's size is
// the distance to the offset of the record after it. The only link back is
// `a`, kept where it is needed: an allocation (or range end) names the block in
// front of it while that block is free, so that a free can merge with it. No
// two free blocks are neighbours: frees merge at once.
//
// A handle is a record index and the serial of the allocation, a 42-bit
// count of allocations made: it matches its record only while that one
// allocation lives, so a freed handle stays refused even after its record is
// reused — until 2^42 further allocations have been made.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "rtalloc/config.hpp"
#include "rtalloc/detail/bits.hpp"
#include "rtalloc/detail/size_class.hpp"
#include "rtalloc/error.hpp"

namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE {

/// Why an operation of an OffsetHeap did not do what was asked. Errors are
/// values; the ones that are a caller's bug are also reported through the
/// error handler (see each function).
enum class OffsetError : std::uint8_t {
  none,               ///< success
  out_of_space,       ///< no free range large enough (nothing was changed)
  out_of_records,     ///< the record store is full (nothing was changed)
  too_large,          ///< the size exceeds max_allocation (nothing was changed)
  invalid_alignment,  ///< alignment 0 or not a power of two
  stale_handle,       ///< the handle was freed, never issued, or is from another heap
  invalid_range,      ///< a range empty, beyond max_offset, or not a range of this heap
  range_overlap,      ///< the range overlaps one of the heap (checked builds)
  range_in_use,       ///< remove_range of a range that holds allocations
};

/// A short name, e.g. "out_of_records".
constexpr const char* to_string(OffsetError error) noexcept {
  switch (error) {
    case OffsetError::none:
      return "none";
    case OffsetError::out_of_space:
      return "out_of_space";
    case OffsetError::out_of_records:
      return "out_of_records";
    case OffsetError::too_large:
      return "too_large";
    case OffsetError::invalid_alignment:
      return "invalid_alignment";
    case OffsetError::stale_handle:
      return "stale_handle";
    case OffsetError::invalid_range:
      return "invalid_range";
    case OffsetError::range_overlap:
      return "range_overlap";
    case OffsetError::range_in_use:
      return "range_in_use";
  }
  return "unknown";
}

/// Names one allocation. Value 0 is never valid; compare handles with ==.
struct OffsetHandle {
  std::uint64_t value = 0;
  friend constexpr bool operator==(OffsetHandle, OffsetHandle) noexcept = default;
};

/// Names one range of a heap. Value 0 is never valid.
struct OffsetRange {
  std::uint64_t value = 0;
  friend constexpr bool operator==(OffsetRange, OffsetRange) noexcept = default;
};

/// What allocate returns: on success the allocation's first offset and its
/// handle; otherwise an error, offset 0 and no handle.
struct OffsetAllocation {
  std::uint64_t offset;
  OffsetHandle handle;
  OffsetError error;
  explicit operator bool() const noexcept { return error == OffsetError::none; }
};

/// What add_range returns: the range, or an error and no range.
struct OffsetRangeResult {
  OffsetRange range;
  OffsetError error;
  explicit operator bool() const noexcept { return error == OffsetError::none; }
};

/// The heap's statistics: the fields of TlsfStats, in bytes of the offset
/// space, as 64-bit numbers (TlsfStats has std::size_t, too narrow for a
/// 48 GiB GPU heap on a 32-bit host), and the record store's use.
/// capacity == used + free exactly.
struct OffsetHeapStats {
  std::uint64_t pool_count;          ///< ranges added and not removed
  std::uint64_t capacity;            ///< bytes in all ranges
  std::uint64_t used;                ///< bytes in allocations
  std::uint64_t free;                ///< capacity - used
  std::uint64_t largest_free;        ///< bytes of the largest free range
  std::uint64_t peak_used;           ///< highest `used` seen (since construction)
  std::uint64_t used_blocks;         ///< live allocations
  std::uint64_t free_blocks;         ///< free ranges
  std::uint64_t failed_allocations;  ///< allocations refused for space or records
  std::uint64_t record_capacity;     ///< records in the store
  std::uint64_t records_used;        ///< records held by blocks and ranges
};

/// One block, as walk() reports it.
struct OffsetBlockInfo {
  std::uint64_t offset;
  std::uint64_t size;   ///< bytes, a multiple of the granule
  bool used;            ///< an allocation (else a free range)
  OffsetHandle handle;  ///< the allocation's handle; 0 for a free range
};

/// RecordCapacity value meaning "the records are in memory given to the
/// constructor".
inline constexpr std::size_t caller_records = 0;

/// A TLSF heap over offsets.
///
/// RecordCapacity records live inside the object, or with caller_records as
/// many as fit in the memory given to the constructor (up to max_records).
/// Granule (a power of two) is the unit of offsets and sizes: every size is
/// rounded up to it, every offset is a multiple of it, and the offset space
/// ends at max_offset = (2^40 - 1) granules. SecondLevelCount (a power of two
/// from 1 to 64) is the number of size classes each power of two is split
/// into: a search may pass over free ranges up to 1/SecondLevelCount larger
/// than the request.
template <std::size_t RecordCapacity = caller_records, std::uint64_t Granule = 1,
          std::size_t SecondLevelCount = 32>
class OffsetHeap {
  static constexpr unsigned offset_bits = 40;
  static constexpr unsigned index_bits = 22;

 public:
  /// The most records a heap can address (index 0 means "no record").
  static constexpr std::size_t max_records = (std::size_t{1} << index_bits) - 1;

 private:
  static_assert(std::has_single_bit(Granule) && Granule <= (std::uint64_t{1} << 24),
                "OffsetHeap: Granule must be a power of two from 1 to 2^24 bytes.");
  static_assert(SecondLevelCount >= 1 && SecondLevelCount <= 64 &&
                    std::has_single_bit(SecondLevelCount),
                "OffsetHeap: SecondLevelCount must be a power of two from 1 to 64.");
  static_assert(RecordCapacity == caller_records ||
                    (RecordCapacity >= 3 && RecordCapacity <= max_records),
                "OffsetHeap: RecordCapacity must be caller_records (0), or from 3 (one range "
                "takes three records) to max_records (2^22 - 1).");

  static constexpr bool inline_records = RecordCapacity != caller_records;
  static constexpr unsigned granule_log2 = static_cast<unsigned>(std::countr_zero(Granule));
  static constexpr std::uint64_t max_granules = (std::uint64_t{1} << offset_bits) - 1;

  // The fewest first levels whose rounded-up search reaches every block size,
  // so that any request up to the whole offset space can be searched for.
  static constexpr std::size_t first_levels() noexcept {
    std::size_t levels = 3;
    while (((std::uint64_t{2 * SecondLevelCount} - 1) << (levels - 2)) < max_granules) ++levels;
    return levels;
  }
  static constexpr std::size_t sl_shift =
      static_cast<std::size_t>(std::countr_zero(SecondLevelCount));
  using Classes = detail::SizeClasses<0, sl_shift, first_levels(), std::uint64_t>;
  static_assert(Classes::last_class_start >= max_granules,
                "OffsetHeap: the size classes must reach every size of the offset space.");

 public:
  static constexpr std::uint64_t granule = Granule;
  static constexpr std::size_t second_level_count = SecondLevelCount;
  static constexpr std::size_t first_level_count = first_levels();
  /// Bytes of one record: what each allocation and each free range costs.
  static constexpr std::size_t record_bytes = 16;
  /// Offsets and range ends are at most this many bytes.
  static constexpr std::uint64_t max_offset = max_granules << granule_log2;
  /// The largest size allocate accepts (a range of that size is needed).
  static constexpr std::uint64_t max_allocation = max_offset;
  /// Records a range holds besides its blocks (its start and end).
  static constexpr std::size_t records_per_range = 2;

  /// The bytes of caller memory that hold `records` records, at any alignment.
  /// O(1); never fails.
  static constexpr std::size_t bytes_for_records(std::size_t records) noexcept {
    return records * record_bytes + alignof(std::uint64_t) - 1;
  }

  /// A heap with its records inside the object (RecordCapacity > 0) and no
  /// range: every allocation fails until one is added. O(1); constexpr, so a
  /// static heap is constant-initialized.
  constexpr OffsetHeap() noexcept requires inline_records : capacity_(RecordCapacity) {}

  /// A heap whose records are in [memory, memory + bytes) (RecordCapacity ==
  /// caller_records): as many as fit, up to max_records. The memory may have
  /// any alignment, must outlive the heap and is the heap's alone; it is never
  /// part of the offset space. O(1): records are prepared as they are first
  /// used. Null memory, or too little for a record, gives a heap of capacity 0.
  OffsetHeap(void* memory, std::size_t bytes) noexcept requires(!inline_records) {
    if (memory == nullptr) return;
    const auto start = reinterpret_cast<std::uintptr_t>(memory);
    const std::uintptr_t first =
        (start + alignof(Record) - 1) & ~(std::uintptr_t{alignof(Record)} - 1);
    if (first - start >= bytes) return;
    std::size_t count = (bytes - (first - start)) / sizeof(Record);
    if (count > max_records) count = max_records;
    caller_records_ = reinterpret_cast<Record*>(first);
    capacity_ = static_cast<Index>(count);
  }

  OffsetHeap(const OffsetHeap&) = delete;
  OffsetHeap& operator=(const OffsetHeap&) = delete;
  ~OffsetHeap() = default;

  // ---- Ranges ---------------------------------------------------------------

  /// Adds the offsets [offset, offset + size) as a new range, rounded inwards
  /// to whole granules. Takes three records (the range's two ends and its free
  /// block). O(1) (O(ranges) in checked builds, which refuse a range that
  /// overlaps one of the heap: range_overlap, reported as pool_overlap).
  /// Returns the range, or invalid_range (reported as invalid_pool) when it
  /// holds no whole granule or ends beyond max_offset, or out_of_records.
  OffsetRangeResult add_range(std::uint64_t offset, std::uint64_t size) noexcept {
    if (size > std::numeric_limits<std::uint64_t>::max() - offset) {
      return {{}, range_refused("add_range: the range wraps around 2^64", offset)};
    }
    const std::uint64_t begin = (offset + (Granule - 1)) >> granule_log2;
    const std::uint64_t end = (offset + size) >> granule_log2;
    if (offset + size > max_offset || begin >= end) {
      return {{}, range_refused("add_range: empty or beyond max_offset", offset)};
    }
    if constexpr (checks_enabled) {
      if (overlaps_a_range(begin, end)) return {{}, OffsetError::range_overlap};
    }
    if (records_available() < 3) return {{}, OffsetError::out_of_records};
    const Index start = take_record();
    const Index finish = take_record();
    const Index block = take_record();
    const std::uint64_t serial = next_range_serial();
    set_place(start, begin, finish, state_boundary);
    set_links(start, no_record, ranges_ | (serial << index_bits));
    if (ranges_ != no_record) set_a(ranges_, start);
    ranges_ = start;
    ++range_count_;
    set_place(finish, end, block, state_boundary);
    set_links(finish, block, start);
    set_place(block, begin, finish, state_free);
    insert_free(block, Classes::index_of(end - begin));
    ++free_blocks_;
    capacity_granules_ += end - begin;
    return {OffsetRange{start | (serial << index_bits)}, OffsetError::none};
  }

  /// Appends the offsets [end, end + bytes) to `range`, where end is where the
  /// range ends now; bytes short of a whole granule are not added. The new
  /// offsets join the range's last block if it is free, and else become a
  /// free block (one record more). O(1) (O(ranges) in checked builds, which
  /// refuse overlap with another range: range_overlap).
  /// Returns none (also when nothing was added), invalid_range for a range
  /// that is not one of the heap (reported in checked builds) or that would
  /// end beyond max_offset (reported as invalid_pool), or out_of_records.
  OffsetError extend_range(OffsetRange range, std::uint64_t bytes) noexcept {
    const Index start = range_start_of(range, "extend_range: not a range of this heap");
    if (start == no_record) return OffsetError::invalid_range;
    const Index finish = next(start);
    const std::uint64_t old_end = offset(finish);
    if (bytes > max_offset - (old_end << granule_log2)) {
      return range_refused("extend_range: the range would end beyond max_offset", bytes);
    }
    const std::uint64_t new_end = ((old_end << granule_log2) + bytes) >> granule_log2;
    if (new_end == old_end) return OffsetError::none;
    if constexpr (checks_enabled) {
      if (overlaps_a_range(old_end, new_end)) return OffsetError::range_overlap;
    }
    if (const Index last = link_a(finish); last != no_record) {
      // [ used ][ last ][end] => [ used ][ last ........ ][end]
      const std::uint64_t old_size = old_end - offset(last);
      set_offset(finish, new_end);
      move_to_class(last, Classes::index_of(old_size), Classes::map(new_end - offset(last)));
    } else {
      // [ used ][end] => [ used ][ block ][new end]: the old end record becomes
      // the free block, so the block in front of it (which names it) needs no
      // change.
      if (records_available() < 1) return OffsetError::out_of_records;
      const Index new_finish = take_record();
      set_place(new_finish, new_end, next(finish), state_boundary);
      set_links(new_finish, finish, start);
      set_next(start, new_finish);
      set_place(finish, old_end, new_finish, state_free);
      insert_free(finish, Classes::index_of(new_end - old_end));
      ++free_blocks_;
    }
    capacity_granules_ += new_end - old_end;
    return OffsetError::none;
  }

  /// Removes `range` if it holds no allocation; its offsets are no longer
  /// the heap's and its three records are free again. O(1).
  /// Returns none, range_in_use (nothing changed), or invalid_range for a
  /// range that is not one of the heap (reported in checked builds).
  OffsetError remove_range(OffsetRange range) noexcept {
    const Index start = range_start_of(range, "remove_range: not a range of this heap");
    if (start == no_record) return OffsetError::invalid_range;
    const Index finish = next(start);
    const Index block = link_a(finish);
    if (block == no_record || offset(block) != offset(start)) return OffsetError::range_in_use;
    const std::uint64_t size = offset(finish) - offset(block);
    unlink_free(block, Classes::index_of(size));
    --free_blocks_;
    capacity_granules_ -= size;
    const Index previous = link_a(start);
    const Index following = link_b(start);
    if (previous != no_record) {
      set_b_link(previous, following);
    } else {
      ranges_ = following;
    }
    if (following != no_record) set_a(following, previous);
    --range_count_;
    release_record(block);
    release_record(finish);
    release_record(start);
    return OffsetError::none;
  }

  /// Where `range` begins and ends now (end as extend_range appends at), in
  /// bytes; {0, 0} for a range that is not one of the heap (reported in
  /// checked builds). O(1).
  struct Bounds {
    std::uint64_t begin;
    std::uint64_t end;
  };
  Bounds range_bounds(OffsetRange range) const noexcept {
    const Index start = range_start_of(range, "range_bounds: not a range of this heap");
    if (start == no_record) return {0, 0};
    return {offset(start) << granule_log2, offset(next(start)) << granule_log2};
  }

  // ---- Allocation -----------------------------------------------------------

  /// Allocates `size` bytes (rounded up to the granule; size 0 takes one
  /// granule) at an offset that is a multiple of `align`, any power of two.
  /// The padding an alignment needs in front of the allocation stays a free
  /// range. Takes up to two records: one for the free rest of the range it
  /// splits, one for the padding. O(1): at most three list heads looked at and
  /// two bitmap searches, whatever the alignment.
  /// Returns the offset and a handle, or an error, changing nothing:
  /// out_of_space (no free range the search can use: docs/offset-heap.md says
  /// exactly when one that fits is passed over), out_of_records, too_large
  /// (size above max_allocation), or invalid_alignment (also reported). Only
  /// out_of_space and out_of_records count as failed allocations.
  OffsetAllocation allocate(std::uint64_t size, std::uint64_t align = 1) noexcept {
    if (!detail::is_power_of_two(align)) [[unlikely]] {
      detail::report(ErrorCode::invalid_alignment,
                     "OffsetHeap::allocate: alignment not a power of two", this, nullptr,
                     static_cast<std::size_t>(align));
      return {0, {}, OffsetError::invalid_alignment};
    }
    if (size > max_allocation) [[unlikely]]
      return {0, {}, OffsetError::too_large};
    const std::uint64_t granules = size == 0 ? 1 : (size + (Granule - 1)) >> granule_log2;
    if (align <= Granule) return allocate_granules(granules);
    return allocate_aligned(granules, align >> granule_log2);
  }

  /// Frees the allocation `handle` names, merging its offsets with free
  /// neighbours; the handle, and every copy of it, is stale from then on.
  /// O(1): at most two merges, one list insertion, two records released.
  /// Returns none, or stale_handle for a handle freed before, never issued or
  /// from another heap, changing nothing (checked builds report it:
  /// double_free, or invalid_pointer for a value no record can have).
  OffsetError free(OffsetHandle handle) noexcept {
    const Index block = live_record(handle, "OffsetHeap::free: stale handle");
    if (block == no_record) return OffsetError::stale_handle;
    free_block(block);
    return OffsetError::none;
  }

  /// Changes the size of an allocation in place to `size` bytes (rounded up
  /// to the granule; 0 takes one granule), keeping its offset. Shrinking
  /// gives the tail back as free space (one record when the next block is an
  /// allocation); growing takes offsets from a free range right after it.
  /// O(1). Returns none, or changing nothing: out_of_space (the next block is
  /// not free, or too small), out_of_records, too_large, stale_handle
  /// (reported in checked builds, as for free).
  OffsetError resize(OffsetHandle handle, std::uint64_t size) noexcept {
    const Index block = live_record(handle, "OffsetHeap::resize: stale handle");
    if (block == no_record) return OffsetError::stale_handle;
    if (size > max_allocation) return OffsetError::too_large;
    const std::uint64_t wanted = size == 0 ? 1 : (size + (Granule - 1)) >> granule_log2;
    const Index following = next(block);
    const std::uint64_t current = offset(following) - offset(block);
    if (wanted < current) return shrink(block, following, wanted, current);
    if (wanted > current) return grow(block, following, wanted, current);
    return OffsetError::none;
  }

  /// The first offset of the allocation, or invalid_offset for a stale handle
  /// (reported in checked builds). O(1).
  static constexpr std::uint64_t invalid_offset = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t offset_of(OffsetHandle handle) const noexcept {
    const Index block = live_record(handle, "OffsetHeap::offset_of: stale handle");
    return block == no_record ? invalid_offset : offset(block) << granule_log2;
  }

  /// The bytes the allocation holds (its size rounded up to the granule), or
  /// 0 for a stale handle (reported in checked builds). O(1).
  std::uint64_t size_of(OffsetHandle handle) const noexcept {
    const Index block = live_record(handle, "OffsetHeap::size_of: stale handle");
    return block == no_record ? 0 : block_size(block) << granule_log2;
  }

  /// Is the handle a live allocation of this heap? Never reports. O(1).
  bool valid(OffsetHandle handle) const noexcept { return find_live(handle) != no_record; }

  // ---- Free space -------------------------------------------------------------

  /// Bytes in free ranges. O(1).
  std::uint64_t free_size() const noexcept {
    return (capacity_granules_ - used_granules_) << granule_log2;
  }

  /// The largest size allocate(size) (alignment up to the granule) serves
  /// now: every size up to it succeeds (records permitting), every larger one
  /// fails. At most 1/SecondLevelCount below largest_free(). O(1).
  std::uint64_t largest_allocation() const noexcept {
    if (fl_bitmap_ == 0) return 0;
    return block_size(heads_[top_class()]) << granule_log2;
  }

  /// Bytes of the largest free range. O(free ranges in the highest non-empty
  /// size class): the one question here that looks along a list.
  std::uint64_t largest_free() const noexcept {
    if (fl_bitmap_ == 0) return 0;
    std::uint64_t largest = 0;
    for (Index b = heads_[top_class()]; b != no_record; b = link_b(b)) {
      if (block_size(b) > largest) largest = block_size(b);
    }
    return largest << granule_log2;
  }

  /// Records not held by a block or a range. O(1).
  std::size_t records_available() const noexcept { return capacity_ - records_used_; }

  /// The heap's statistics. O(1), except largest_free (see largest_free()).
  OffsetHeapStats stats() const noexcept {
    OffsetHeapStats s{};
    s.pool_count = range_count_;
    s.capacity = capacity_granules_ << granule_log2;
    s.used = used_granules_ << granule_log2;
    s.free = s.capacity - s.used;
    s.largest_free = largest_free();
    s.peak_used = peak_used_granules_ << granule_log2;
    s.used_blocks = used_blocks_;
    s.free_blocks = free_blocks_;
    s.failed_allocations = failed_allocations_;
    s.record_capacity = capacity_;
    s.records_used = records_used_;
    return s;
  }

  /// Calls visitor(const OffsetBlockInfo&) for every block of every range,
  /// in offset order within a range, ranges most recently added first. A
  /// visitor that returns bool stops the walk by returning false. O(blocks +
  /// ranges). Do not change the heap from the visitor.
  template <class Visitor>
  void walk(Visitor&& visitor) const {
    std::size_t budget = records_used_;  // a damaged chain cannot loop for ever
    for (Index start = ranges_; start != no_record; start = link_b(start)) {
      const Index finish = next(start);
      for (Index b = next(finish); b != finish && budget-- != 0; b = next(b)) {
        const bool used = state(b) == state_used;
        const OffsetBlockInfo info{
            offset(b) << granule_log2, block_size(b) << granule_log2, used,
            used ? OffsetHandle{b | (word_b(b) << index_bits)} : OffsetHandle{}};
        if constexpr (std::is_same_v<std::invoke_result_t<Visitor&, const OffsetBlockInfo&>,
                                     bool>) {
          if (!visitor(info)) return;
        } else {
          visitor(info);
        }
      }
    }
  }

  /// Verifies every invariant of the heap (docs/offset-heap.md lists them):
  /// the record store, the range list, the chain of blocks of each range, the
  /// links back to free blocks, merging, the free lists and bitmaps, and the
  /// counters. Reports the first broken one as heap_corrupted (with a message,
  /// the record's address and its index) and returns false. O(records used
  /// + records ever taken + ranges^2 + size classes). Never follows an index
  /// outside the store, so it is safe on a damaged heap.
  bool check() const noexcept { return check_store() && check_ranges() && check_free_lists(); }

 private:
  // ---- Records ----------------------------------------------------------------

  // Records are numbered from 1; 0 is "no record", so that a zeroed heap is
  // an empty one (a static heap lives in .bss) and handle 0 names nothing.
  using Index = std::uint32_t;
  static constexpr Index no_record = 0;
  static constexpr std::uint64_t offset_mask = (std::uint64_t{1} << offset_bits) - 1;
  static constexpr std::uint64_t index_mask = (std::uint64_t{1} << index_bits) - 1;
  static constexpr unsigned next_shift = offset_bits;
  static constexpr unsigned state_shift = offset_bits + index_bits;
  static constexpr unsigned serial_bits = 64 - index_bits;
  static constexpr std::uint64_t serial_mask = (std::uint64_t{1} << serial_bits) - 1;
  static constexpr unsigned range_serial_bits = serial_bits - index_bits;
  static constexpr std::uint64_t range_serial_mask = (std::uint64_t{1} << range_serial_bits) - 1;

  struct Record {
    std::uint64_t place;  // offset, next, state
    std::uint64_t links;  // a, b
  };
  static_assert(sizeof(Record) == record_bytes,
                "OffsetHeap: a record must stay 16 bytes, the memory per allocation "
                "docs/offset-heap.md promises.");
  static_assert(state_shift + 2 == 64);

  using State = std::uint64_t;
  static constexpr State state_unused = 0;
  static constexpr State state_free = 1;
  static constexpr State state_used = 2;
  static constexpr State state_boundary = 3;

  Record* records() noexcept {
    if constexpr (inline_records) {
      return inline_records_;
    } else {
      return caller_records_;
    }
  }
  const Record* records() const noexcept { return const_cast<OffsetHeap*>(this)->records(); }
  Record& record(Index i) noexcept { return records()[i - 1]; }
  const Record& record(Index i) const noexcept { return records()[i - 1]; }

  std::uint64_t offset(Index i) const noexcept { return record(i).place & offset_mask; }
  Index next(Index i) const noexcept {
    return static_cast<Index>((record(i).place >> next_shift) & index_mask);
  }
  State state(Index i) const noexcept { return record(i).place >> state_shift; }
  Index link_a(Index i) const noexcept { return static_cast<Index>(record(i).links & index_mask); }
  std::uint64_t word_b(Index i) const noexcept { return record(i).links >> index_bits; }
  Index link_b(Index i) const noexcept { return static_cast<Index>(word_b(i) & index_mask); }

  void set_place(Index i, std::uint64_t offset, Index next, State state) noexcept {
    record(i).place = offset | (std::uint64_t{next} << next_shift) | (state << state_shift);
  }
  void set_offset(Index i, std::uint64_t offset) noexcept {
    record(i).place = (record(i).place & ~offset_mask) | offset;
  }
  void set_next(Index i, Index next) noexcept {
    record(i).place =
        (record(i).place & ~(index_mask << next_shift)) | (std::uint64_t{next} << next_shift);
  }
  void set_state(Index i, State state) noexcept {
    record(i).place = (record(i).place & ~(State{3} << state_shift)) | (state << state_shift);
  }
  void set_links(Index i, Index a, std::uint64_t b) noexcept {
    record(i).links = std::uint64_t{a} | (b << index_bits);
  }
  void set_a(Index i, Index a) noexcept { record(i).links = (record(i).links & ~index_mask) | a; }
  void set_b_link(Index i, Index b) noexcept {  // the low bits of b; a range start's serial stays
    record(i).links =
        (record(i).links & ~(index_mask << index_bits)) | (std::uint64_t{b} << index_bits);
  }

  // Granules from block `i` to the record after it.
  std::uint64_t block_size(Index i) const noexcept { return offset(next(i)) - offset(i); }

  // Whether record `i` has ever been taken (and so holds something defined).
  bool is_taken(Index i) const noexcept { return i != no_record && i < fresh_; }

  Index take_record() noexcept {  // records_available() > 0
    ++records_used_;
    if (unused_ != no_record) {
      const Index taken = unused_;
      unused_ = link_a(taken);
      return taken;
    }
    return fresh_++;
  }

  void release_record(Index i) noexcept {
    set_place(i, 0, 0, state_unused);
    set_links(i, unused_, 0);
    unused_ = i;
    --records_used_;
  }

  // ---- Handles ------------------------------------------------------------------

  // The record of a live allocation, or no_record; never reports.
  Index find_live(OffsetHandle handle) const noexcept {
    const auto index = static_cast<Index>(handle.value & index_mask);
    if (!is_taken(index)) return no_record;
    if (state(index) != state_used || word_b(index) != handle.value >> index_bits) {
      return no_record;
    }
    return index;
  }

  // find_live, reporting a stale handle in checked builds.
  Index live_record(OffsetHandle handle, const char* what) const noexcept {
    const Index index = find_live(handle);
    if constexpr (checks_enabled) {
      if (index == no_record) {
        const bool could_be_ours = is_taken(static_cast<Index>(handle.value & index_mask));
        detail::report(could_be_ours ? ErrorCode::double_free : ErrorCode::invalid_pointer, what,
                       this, nullptr, static_cast<std::size_t>(handle.value & index_mask));
      }
    }
    return index;
  }

  std::uint64_t next_serial() noexcept {  // 1, 2, ... 2^42 - 1, 1, ...
    const std::uint64_t serial = serial_;
    serial_ = serial == serial_mask ? 1 : serial + 1;
    return serial;
  }

  std::uint64_t next_range_serial() noexcept {
    const std::uint64_t serial = range_serial_;
    range_serial_ = serial == range_serial_mask ? 1 : serial + 1;
    return serial;
  }

  // The start record of a live range, or no_record (reported in checked builds).
  Index range_start_of(OffsetRange range, const char* what) const noexcept {
    const auto index = static_cast<Index>(range.value & index_mask);
    const std::uint64_t serial = range.value >> index_bits;
    if (is_taken(index) && state(index) == state_boundary && serial != 0 &&
        word_b(index) >> index_bits == serial) {
      return index;  // an end record's b is its start's index alone: serial 0
    }
    if constexpr (checks_enabled) {
      detail::report(ErrorCode::invalid_pool, what, this, nullptr, static_cast<std::size_t>(index));
    }
    return no_record;
  }

  OffsetError range_refused(const char* what, std::uint64_t value) const noexcept {
    detail::report(ErrorCode::invalid_pool, what, this, nullptr, static_cast<std::size_t>(value));
    return OffsetError::invalid_range;
  }

  // Checked builds: does [begin, end) (granules) overlap a range? Reports
  // pool_overlap. O(ranges).
  bool overlaps_a_range(std::uint64_t begin, std::uint64_t end) const noexcept {
    for (Index start = ranges_; start != no_record; start = link_b(start)) {
      if (begin < offset(next(start)) && offset(start) < end) {
        detail::report(ErrorCode::pool_overlap, "OffsetHeap: range overlaps a range of the heap",
                       this, nullptr, static_cast<std::size_t>(begin << granule_log2));
        return true;
      }
    }
    return false;
  }

  // ---- Free lists and bitmaps ---------------------------------------------------

  using FirstBitmap = std::uint64_t;
  using SecondBitmap = std::conditional_t<(SecondLevelCount <= 32), std::uint32_t, std::uint64_t>;

  std::size_t top_class() const noexcept {  // fl_bitmap_ != 0
    const std::size_t first = detail::highest_bit(fl_bitmap_);
    return (first << sl_shift) + detail::highest_bit(sl_bitmaps_[first]);
  }

  void mark_class_used(std::size_t index) noexcept {
    sl_bitmaps_[index >> sl_shift] |= SecondBitmap{1} << (index & (SecondLevelCount - 1));
    fl_bitmap_ |= FirstBitmap{1} << (index >> sl_shift);
  }

  void mark_class_empty(std::size_t index) noexcept {
    const std::size_t first = index >> sl_shift;
    sl_bitmaps_[first] &= ~(SecondBitmap{1} << (index & (SecondLevelCount - 1)));
    if (sl_bitmaps_[first] == 0) fl_bitmap_ &= ~(FirstBitmap{1} << first);
  }

  // Puts free block `b` at the head of class `index`'s list.
  void insert_free(Index b, std::size_t index) noexcept {
    const Index head = heads_[index];
    set_links(b, no_record, head);
    if (head != no_record) {
      set_a(head, b);
    } else {
      mark_class_used(index);
    }
    heads_[index] = b;
  }

  // Takes free block `b` off the list of class `index`, wherever it is.
  void unlink_free(Index b, std::size_t index) noexcept {
    const Index previous = link_a(b);
    const Index following = link_b(b);
    if (previous != no_record) {
      set_b_link(previous, following);
    } else {
      heads_[index] = following;
    }
    if (following != no_record) {
      set_a(following, previous);
    } else if (previous == no_record) {
      mark_class_empty(index);
    }
  }

  // Puts `replacement` where `b` is on the list of class `index`: for a
  // block that takes over b's offsets and stays in b's class.
  void replace_free(Index b, Index replacement, std::size_t index) noexcept {
    const Index previous = link_a(b);
    const Index following = link_b(b);
    set_links(replacement, previous, following);
    if (previous != no_record) {
      set_b_link(previous, replacement);
    } else {
      heads_[index] = replacement;
    }
    if (following != no_record) set_a(following, replacement);
  }

  // Free block `b`, on the list of class `from`, has changed size: moves it to
  // the list of its new class unless that is still `from`.
  void move_to_class(Index b, std::size_t from, typename Classes::Mapping to) noexcept {
    if (to.index == from) return;
    unlink_free(b, from);
    insert_free(b, to.index);
  }

  // The head of the first non-empty class from `from` on, and its class;
  // no_record if there is none.
  Index first_listed_from(std::size_t from, std::size_t& index) const noexcept {
    std::size_t first = from >> sl_shift;
    SecondBitmap second =
        sl_bitmaps_[first] & (~SecondBitmap{0} << (from & (SecondLevelCount - 1)));
    if (second == 0) {
      const FirstBitmap firsts = fl_bitmap_ & (~FirstBitmap{0} << (first + 1));
      if (firsts == 0) return no_record;
      first = detail::lowest_bit(firsts);
      second = sl_bitmaps_[first];
    }
    index = (first << sl_shift) + detail::lowest_bit(second);
    return heads_[index];
  }

  // ---- Allocate -------------------------------------------------------------------

  // A free block of at least `granules`, and its class. Is the head of the
  // request's own class large enough? (Then a range freed and asked for again
  // at the same size is found again, and a class's only block is never passed
  // over.) Else: the first non-empty class whose every block is large enough.
  Index find_free(std::uint64_t granules, std::size_t& index) const noexcept {
    const auto mapping = Classes::map(granules);
    index = mapping.index;
    const Index head = heads_[index];
    if (head != no_record && block_size(head) >= granules) return head;
    return first_listed_from(Classes::index_at_least(mapping, granules), index);
  }

  OffsetAllocation allocate_granules(std::uint64_t granules) noexcept {
    std::size_t index;
    const Index block = find_free(granules, index);
    if (block == no_record) return allocation_failed(OffsetError::out_of_space);
    return allocate_from_head(block, index, granules);
  }

  // Does free block `b` hold `granules` at an offset aligned to `align`?
  bool fits_aligned(Index b, std::uint64_t granules, std::uint64_t align) const noexcept {
    const std::uint64_t start = offset(b);
    const std::uint64_t padding = ((start + align - 1) & ~(align - 1)) - start;
    return block_size(b) >= padding + granules;
  }

  // allocate for an alignment above the granule (`align` granules, >= 2).
  // Three places may hold the allocation; each is one look at a list head:
  //   1. the head of the request's own class;
  //   2. the head of the first non-empty class whose blocks all hold the size
  //      (it fits if its padding is small enough);
  //   3. the head of the first non-empty class whose blocks all hold the size
  //      plus the largest padding, align - 1: it always fits.
  OffsetAllocation allocate_aligned(std::uint64_t granules, std::uint64_t align) noexcept {
    const auto mapping = Classes::map(granules);
    std::size_t index = mapping.index;
    Index block = heads_[index];
    if (block == no_record || !fits_aligned(block, granules, align)) {
      block = first_listed_from(Classes::index_at_least(mapping, granules), index);
      if (block != no_record && !fits_aligned(block, granules, align)) {
        block = no_record;
        if (align - 1 <= Classes::last_class_start - granules) {
          block = first_listed_from(Classes::index_at_least(granules + align - 1), index);
        }
      }
    }
    if (block == no_record) return allocation_failed(OffsetError::out_of_space);

    const std::uint64_t start = offset(block);
    const std::uint64_t padding = ((start + align - 1) & ~(align - 1)) - start;
    if (padding == 0) return allocate_from_head(block, index, granules);
    const Index following = next(block);
    const std::uint64_t rest = offset(following) - start - padding - granules;
    if (records_available() < (rest != 0 ? 2u : 1u)) {
      return allocation_failed(OffsetError::out_of_records);
    }
    // [ block ...................... ] => [ block ][ used ][ rest ]
    // The padding keeps the block's record: the block in front names it.
    const Index used = take_record();
    set_next(block, used);
    move_to_class(block, index, Classes::map(padding));
    Index after_used = following;
    if (rest != 0) {
      after_used = take_record();
      set_place(after_used, start + padding + granules, following, state_free);
      set_a(following, after_used);
      insert_free(after_used, Classes::index_of(rest));
      ++free_blocks_;
    } else {
      set_a(following, no_record);
    }
    set_place(used, start + padding, after_used, state_used);
    return use_block(used, block, granules);
  }

  // Allocates `granules` at the start of free block `block`, the head of
  // class `index`.
  OffsetAllocation allocate_from_head(Index block, std::size_t index,
                                      std::uint64_t granules) noexcept {
    const Index following = next(block);
    const std::uint64_t start = offset(block);
    const std::uint64_t rest = offset(following) - start - granules;
    Index after = following;
    if (rest != 0) {
      // [ block .............. ] => [ used ][ rest ]
      if (records_available() == 0) return allocation_failed(OffsetError::out_of_records);
      after = take_record();
      set_place(after, start + granules, following, state_free);
      set_a(following, after);
      // Still in the block's class? Then the rest keeps the block's place.
      if (const std::size_t rest_index = Classes::index_of(rest); rest_index == index) {
        replace_free(block, after, index);
      } else {
        unlink_free(block, index);
        insert_free(after, rest_index);
      }
    } else {
      // [ block ] => [ used ]: the block after it loses its free predecessor.
      unlink_free(block, index);
      set_a(following, no_record);
      --free_blocks_;
    }
    // A free block's predecessor is never free: the allocation's back link is none.
    set_place(block, start, after, state_used);
    return use_block(block, no_record, granules);
  }

  // Makes block `b` (its place written, off the lists) a live allocation of
  // `granules` whose back link is `previous_free`, and makes its handle.
  OffsetAllocation use_block(Index b, Index previous_free, std::uint64_t granules) noexcept {
    const std::uint64_t serial = next_serial();
    set_links(b, previous_free, serial);
    ++used_blocks_;
    used_granules_ += granules;
    if (used_granules_ > peak_used_granules_) peak_used_granules_ = used_granules_;
    return {offset(b) << granule_log2, OffsetHandle{b | (serial << index_bits)}, OffsetError::none};
  }

  [[gnu::noinline]] OffsetAllocation allocation_failed(OffsetError error) noexcept {
    ++failed_allocations_;
    return {0, {}, error};
  }

  // ---- Free -------------------------------------------------------------------------

  // Frees used block `b`, merging it with free neighbours. Whoever absorbs
  // a neighbour keeps its own record; a merged block that stays in the class
  // of the free block it absorbs takes that block's place on its list.
  void free_block(Index b) noexcept {
    const Index following = next(b);
    const std::uint64_t size = offset(following) - offset(b);
    --used_blocks_;
    used_granules_ -= size;
    const Index previous = link_a(b);
    const bool following_free = state(following) == state_free;
    if (previous != no_record) {
      // [ previous ][ b ][ following? ] => [ previous ..................... ]
      const std::uint64_t previous_size = offset(b) - offset(previous);
      Index after = following;
      std::uint64_t merged = previous_size + size;
      if (following_free) {
        const std::uint64_t following_size = block_size(following);
        after = next(following);
        unlink_free(following, Classes::index_of(following_size));
        merged += following_size;
        release_record(following);
        --free_blocks_;
      }
      release_record(b);
      set_next(previous, after);
      set_a(after, previous);
      move_to_class(previous, Classes::index_of(previous_size), Classes::map(merged));
    } else if (following_free) {
      // [ b ][ following ] => [ b ............ ]
      const std::uint64_t following_size = block_size(following);
      const Index after = next(following);
      const std::size_t following_index = Classes::index_of(following_size);
      const auto mapping = Classes::map(size + following_size);
      set_place(b, offset(b), after, state_free);
      set_a(after, b);
      if (mapping.index == following_index) {
        replace_free(following, b, following_index);
      } else {
        unlink_free(following, following_index);
        insert_free(b, mapping.index);
      }
      release_record(following);
    } else {
      // [ used ][ b ][ used ] => [ used ][ b ][ used ]
      set_state(b, state_free);
      set_a(following, b);
      insert_free(b, Classes::index_of(size));
      ++free_blocks_;
    }
  }

  // ---- Resize -----------------------------------------------------------------------

  OffsetError shrink(Index b, Index following, std::uint64_t wanted,
                     std::uint64_t current) noexcept {
    const std::uint64_t tail = current - wanted;
    if (state(following) == state_free) {
      // [ b ......... ][ following ] => [ b ][ following ........ ]
      const std::uint64_t following_size = block_size(following);
      set_offset(following, offset(following) - tail);
      move_to_class(following, Classes::index_of(following_size),
                    Classes::map(following_size + tail));
    } else {
      // [ b ......... ][ used ] => [ b ][ tail ][ used ]
      if (records_available() == 0) return OffsetError::out_of_records;
      const Index free_tail = take_record();
      set_place(free_tail, offset(b) + wanted, following, state_free);
      set_next(b, free_tail);
      set_a(following, free_tail);
      insert_free(free_tail, Classes::index_of(tail));
      ++free_blocks_;
    }
    used_granules_ -= tail;
    return OffsetError::none;
  }

  OffsetError grow(Index b, Index following, std::uint64_t wanted, std::uint64_t current) noexcept {
    if (state(following) != state_free) return OffsetError::out_of_space;
    const std::uint64_t following_size = block_size(following);
    const std::uint64_t taken = wanted - current;
    if (taken > following_size) return OffsetError::out_of_space;
    const std::size_t following_index = Classes::index_of(following_size);
    if (taken == following_size) {
      // [ b ][ following ] => [ b ............ ]
      const Index after = next(following);
      unlink_free(following, following_index);
      set_next(b, after);
      set_a(after, no_record);
      release_record(following);
      --free_blocks_;
    } else {
      // [ b ][ following ....... ] => [ b ....... ][ following ]
      set_offset(following, offset(following) + taken);
      move_to_class(following, following_index, Classes::map(following_size - taken));
    }
    used_granules_ += taken;
    if (used_granules_ > peak_used_granules_) peak_used_granules_ = used_granules_;
    return OffsetError::none;
  }

  // ---- Invariant checks --------------------------------------------------------------

  bool corrupted(const char* what, Index where) const noexcept {
    const void* address = is_taken(where) ? static_cast<const void*>(&record(where)) : nullptr;
    detail::report(ErrorCode::heap_corrupted, what, this, address, where);
    return false;
  }

  // Invariant 1: every record ever taken is in one state; the unused ones
  // are exactly those on the unused list; the counters agree with the states.
  bool check_store() const noexcept {
    if (fresh_ == 0 || fresh_ - 1u > capacity_ || records_used_ > fresh_ - 1u) {
      return corrupted("record store counters out of range", no_record);
    }
    const std::size_t released = fresh_ - 1u - records_used_;
    std::size_t unused = 0;
    for (Index i = unused_; i != no_record; i = link_a(i)) {
      if (!is_taken(i)) return corrupted("unused list points outside the store", i);
      if (state(i) != state_unused) return corrupted("record on the unused list is in use", i);
      if (++unused > released) return corrupted("unused list too long", i);
    }
    std::size_t in_state[4] = {};
    for (Index i = 1; i < fresh_; ++i) ++in_state[state(i)];
    if (unused != released || in_state[state_unused] != released) {
      return corrupted("unused records not all on the unused list", no_record);
    }
    if (in_state[state_used] != used_blocks_)
      return corrupted("used-block counter wrong", no_record);
    if (in_state[state_free] != free_blocks_)
      return corrupted("free-block counter wrong", no_record);
    if (in_state[state_boundary] != records_per_range * range_count_) {
      return corrupted("range counter disagrees with the range records", no_record);
    }
    return true;
  }

  // Invariants 2 to 5: the range list, and the blocks of each range.
  bool check_ranges() const noexcept {
    std::size_t ranges = 0;
    std::uint64_t capacity = 0;
    std::uint64_t used = 0;
    std::size_t blocks = 0;
    Index previous_start = no_record;
    for (Index start = ranges_; start != no_record; previous_start = start, start = link_b(start)) {
      if (!is_taken(start) || state(start) != state_boundary) {
        return corrupted("range list names a record that is not a range", start);
      }
      if (link_a(start) != previous_start) return corrupted("range list links disagree", start);
      if (++ranges > range_count_) return corrupted("range list longer than range count", start);
      if ((word_b(start) >> index_bits) == 0) return corrupted("range without a serial", start);
      const Index finish = next(start);
      if (!is_taken(finish) || state(finish) != state_boundary || word_b(finish) != start) {
        return corrupted("range start and end records disagree", start);
      }
      if (offset(start) >= offset(finish)) return corrupted("range ends before it begins", start);
      for (Index other = ranges_; other != start; other = link_b(other)) {
        if (offset(start) < offset(next(other)) && offset(other) < offset(finish)) {
          return corrupted("ranges overlap", start);
        }
      }
      capacity += offset(finish) - offset(start);
      if (!check_blocks(start, finish, used, blocks)) return false;
    }
    if (ranges != range_count_) return corrupted("range count wrong", no_record);
    if (blocks != used_blocks_ + free_blocks_) {
      return corrupted("blocks outside every range", no_record);
    }
    if (capacity != capacity_granules_) return corrupted("capacity counter wrong", no_record);
    if (used != used_granules_) return corrupted("used-bytes counter wrong", no_record);
    if (peak_used_granules_ < used_granules_) return corrupted("peak below current use", no_record);
    return true;
  }

  // Invariants 3 to 5 for one range: its chain of blocks tiles it from its
  // start to its end record; the back link of each allocation and of the end
  // names the block in front exactly when that block is free; no two free
  // blocks are neighbours; each allocation has a serial.
  bool check_blocks(Index start, Index finish, std::uint64_t& used,
                    std::size_t& blocks) const noexcept {
    Index previous = no_record;
    bool previous_free = false;
    std::uint64_t at = offset(start);
    for (Index b = next(finish); b != finish;) {
      if (!is_taken(b)) return corrupted("block chain leaves the store", b);
      if (++blocks > used_blocks_ + free_blocks_) return corrupted("block chain too long", b);
      const State s = state(b);
      if (s != state_free && s != state_used) return corrupted("block chain holds a non-block", b);
      if (offset(b) != at) return corrupted("blocks do not tile the range", b);
      const Index following = next(b);
      if (!is_taken(following) || offset(following) <= offset(b)) {
        return corrupted("block size out of range", b);
      }
      if (s == state_free) {
        if (previous_free) return corrupted("two free blocks next to each other", b);
      } else {
        if (link_a(b) != (previous_free ? previous : no_record)) {
          return corrupted("back link to the free block in front is wrong", b);
        }
        if (word_b(b) == 0) return corrupted("allocation without a serial", b);
        used += offset(following) - offset(b);
      }
      at = offset(following);
      previous = b;
      previous_free = s == state_free;
      b = following;
    }
    if (previous == no_record) return corrupted("range without a block", start);
    if (link_a(finish) != (previous_free ? previous : no_record)) {
      return corrupted("range end's back link to its last block is wrong", finish);
    }
    return true;
  }

  // Invariant 6: every free block is on exactly the list of its class, the
  // lists are doubly linked, and the bitmaps say which are non-empty. Runs
  // after check_ranges(), so every free block is known to be in a range.
  bool check_free_lists() const noexcept {
    std::size_t listed = 0;
    for (std::size_t first = 0; first < first_level_count; ++first) {
      const bool any = sl_bitmaps_[first] != 0;
      if (any != (((fl_bitmap_ >> first) & 1) != 0)) {
        return corrupted("first-level bitmap disagrees with second level", no_record);
      }
      for (std::size_t second = 0; second < SecondLevelCount; ++second) {
        const std::size_t index = (first << sl_shift) + second;
        const Index head = heads_[index];
        if ((head != no_record) != (((sl_bitmaps_[first] >> second) & 1) != 0)) {
          return corrupted("second-level bitmap disagrees with free list", head);
        }
        Index previous = no_record;
        for (Index b = head; b != no_record; previous = b, b = link_b(b)) {
          if (!is_taken(b)) return corrupted("free list points outside the store", b);
          if (++listed > free_blocks_) return corrupted("free lists hold too many blocks", b);
          if (state(b) != state_free) return corrupted("non-free record on a free list", b);
          if (!is_taken(next(b))) return corrupted("free block's next is outside the store", b);
          if (link_a(b) != previous) return corrupted("free list back link wrong", b);
          if (Classes::index_of(block_size(b)) != index) {
            return corrupted("free block on the wrong list", b);
          }
        }
      }
    }
    if (listed != free_blocks_) return corrupted("free block missing from the lists", no_record);
    return true;
  }

  // ---- State ------------------------------------------------------------------------

  struct NoRecords {};
  [[no_unique_address]] std::conditional_t<inline_records,
                                           Record[inline_records ? RecordCapacity : 1], NoRecords>
      inline_records_{};
  Record* caller_records_ = nullptr;  // unused with inline records
  Index capacity_ = 0;
  Index fresh_ = 1;           // records [fresh_, capacity_] were never taken
  Index unused_ = no_record;  // released records, linked through `a`
  Index ranges_ = no_record;  // range start records, linked through `b` (back through `a`)
  std::size_t records_used_ = 0;
  std::size_t range_count_ = 0;
  std::uint64_t serial_ = 1;  // the next allocation's
  std::uint64_t range_serial_ = 1;
  std::uint64_t capacity_granules_ = 0;
  std::uint64_t used_granules_ = 0;
  std::uint64_t peak_used_granules_ = 0;
  std::uint64_t used_blocks_ = 0;
  std::uint64_t free_blocks_ = 0;
  std::uint64_t failed_allocations_ = 0;
  FirstBitmap fl_bitmap_ = 0;
  SecondBitmap sl_bitmaps_[first_level_count] = {};
  Index heads_[Classes::class_count] = {};
};

}  // namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE
