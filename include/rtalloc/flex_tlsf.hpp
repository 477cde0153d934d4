// SPDX-License-Identifier: MIT OR Apache-2.0
// rtalloc::FlexTlsf — a TLSF heap that grows. When an allocation does not
// fit, it asks a *pool source* for memory, adds it to the heap (extending the
// last pool in place when the source can), and retries.
//
//   rtalloc::FlexTlsf<rtalloc::OsPages> heap;   // <rtalloc/hosted/os_pages.hpp>
//   void* p = heap.allocate(100);               // the first call maps memory
//
// Costs: every operation is that of rtalloc::Tlsf (O(1)) when the memory it
// needs is already there. An allocation that must grow adds one call to the
// source and one O(1) add_pool or extend_pool, then a second search. Memory
// goes back to the source when the heap is destroyed, and on request: trim().
//
// This header is freestanding. Sources: FixedRegion
// (<rtalloc/sources/fixed_region.hpp>), OsPages (<rtalloc/hosted/os_pages.hpp>),
// ResourceSource (<rtalloc/hosted/pmr.hpp>), or any type that models
// rtalloc::pool_source (<rtalloc/concepts.hpp>).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <new>
#include <utility>

#include "rtalloc/concepts.hpp"
#include "rtalloc/config.hpp"
#include "rtalloc/detail/bits.hpp"
#include "rtalloc/small_objects.hpp"
#include "rtalloc/tlsf.hpp"

namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE {

/// Statistics of a FlexTlsf: the heap's, plus what it holds from its source.
struct FlexTlsfStats {
  TlsfStats heap;            ///< the heap's statistics (see TlsfStats)
  std::size_t held;          ///< bytes of address space held from the source, bookkeeping
                             ///< included (not resident memory: pages never touched count)
  std::size_t region_count;  ///< regions currently held from the source
  std::size_t growths;       ///< times the heap grew (a new region or an in-place extension)
  std::size_t discarded;     ///< bytes handed back through discard, in total
  std::size_t released;      ///< bytes handed back through release before destruction
};

/// The heap FlexTlsf grows by default: small requests from slabs in front
/// of Tlsf<> (rtalloc/small_objects.hpp), or Tlsf<> alone when built with
/// RTALLOC_SMALL_OBJECTS=0.
#if RTALLOC_SMALL_OBJECTS
using FlexDefaultHeap = SmallObjects<Tlsf<>>;
#else
using FlexDefaultHeap = Tlsf<>;
#endif

/// A TLSF heap (Heap, by default FlexDefaultHeap) that takes its pools from
/// Source. Not thread-safe: see rtalloc::GlobalHeap for a locked one.
///
/// Each region from the source starts with a two-word record (the list of
/// regions, for release) followed by one pool of the heap. When the source
/// can grow a region in place, the heap extends the newest region's pool
/// instead of adding a pool, so it stays one contiguous pool.
///
/// A heap with a small-object layer (SmallObjects) gets its slab window from
/// the source when the source can say where all its regions will lie and
/// give zeroed memory for the slab map (metadata_pool_source: OsPages,
/// FixedRegion); from other sources the first region is the window.
template <pool_source Source, class Heap = FlexDefaultHeap>
class FlexTlsf {
 public:
  /// Discarding after a free is off.
  static constexpr std::size_t no_auto_discard = std::numeric_limits<std::size_t>::max();

  /// A heap with a default-constructed source and no memory yet. constexpr,
  /// so a static FlexTlsf is constant-initialized.
  constexpr FlexTlsf() noexcept = default;
  /// A heap over `source`.
  explicit constexpr FlexTlsf(Source source) noexcept : source_(std::move(source)) {}

  FlexTlsf(const FlexTlsf&) = delete;
  FlexTlsf& operator=(const FlexTlsf&) = delete;

  /// Returns every region to the source; pointers into the heap dangle.
  /// O(regions).
  ~FlexTlsf() { release_all(); }

  /// As Tlsf::allocate, growing the heap if the request does not fit.
  /// O(1) plus, when growing, one call to the source. Returns nullptr if the
  /// source has no memory left (or size is above Heap::max_allocation).
  /// With SmallObjects inside, a small request grows the heap by a slab
  /// when no slab fits, rather than taking a block with a header.
  void* allocate(std::size_t size) noexcept {
    if constexpr (requires { heap_.allocate_object(size); }) {
      if (size <= Heap::max_small) [[likely]]
        return allocate_object(size);
    }
    if (void* p = heap_.allocate(size)) [[likely]]
      return p;
    return allocate_after_growing(size, Heap::alignment);
  }

  /// As Tlsf::allocate(size, align), growing the heap if needed. Returns
  /// nullptr on failure; an alignment that is not a power of two is
  /// reported as invalid_alignment, as by Tlsf.
  void* allocate(std::size_t size, std::size_t align) noexcept {
    if (void* p = heap_.allocate(size, align)) [[likely]]
      return p;
    if (!detail::is_power_of_two(align)) return nullptr;  // reported by the heap
    return allocate_after_growing(size, align);
  }

  /// As Tlsf::reallocate, growing the heap if the block must move and there
  /// is no room. Returns nullptr on failure, leaving `p` valid; a bad `p` is
  /// reported by the heap (once) and gives nullptr.
  void* reallocate(void* p, std::size_t size) noexcept {
    if (p == nullptr) return allocate(size);
    if (void* moved = heap_.reallocate(p, size)) [[likely]]
      return moved;
    // Only an exhausted heap is worth growing; a bad pointer was reported.
    if (!heap_.is_allocated(p)) return nullptr;
    if (!grow(Heap::pool_size_for(size, heap_.block_alignment(p)))) return nullptr;
    return heap_.reallocate(p, size);
  }

  /// As Tlsf::deallocate. With auto-discard on (set_auto_discard), a free
  /// that leaves a free block of at least the threshold (the block merged
  /// with its free neighbours) also discards the whole pages of that block
  /// that are not already given back: one call to the source's discard, on
  /// at most the freed block plus its neighbours below the threshold.
  void deallocate(void* p) noexcept {
    // An object of a slab: freed there. A slab that empties and leaves comes
    // back as a block, freed below as any other (and perhaps given back).
    if constexpr (requires { heap_.deallocate_object(p); }) {
      const auto freed = heap_.deallocate_object(p);
      if (freed.done) [[likely]] {
        if (freed.block == nullptr) [[likely]]
          return;
        p = freed.block;
      }
    }
    if constexpr (checks_enabled) {  // never read the header of a pointer that is not a block
      if (!heap_.is_allocated(p)) {
        heap_.deallocate(p);  // reports it (nullptr is a no-op)
        return;
      }
    }
    if (p == nullptr || auto_discard_threshold_ == no_auto_discard) {
      free_heap_block(p);
      return;
    }
    const FreeMerge merge = heap_.merge_on_free(p);
    if (merge.bytes < auto_discard_threshold_) [[likely]] {
      free_heap_block(p);
      return;
    }
    deallocate_and_discard(p, merge);
  }

  /// As Tlsf::usable_size. O(1).
  std::size_t usable_size(const void* p) const noexcept { return heap_.usable_size(p); }

  /// True if `p` lies in the heap's memory. O(pools).
  bool owns(const void* p) const noexcept { return heap_.owns(p); }

  /// After this, a free that leaves a free block of at least `threshold`
  /// bytes (merged with its free neighbours) hands the whole pages of that
  /// block back to the source (for OsPages, the OS takes back the physical
  /// memory; the addresses stay the heap's). So memory freed in small
  /// blocks goes back once they add up to a large free block, without
  /// trim(). Costs one source call on such frees only, over at most the
  /// freed block, its free neighbours smaller than `threshold` (a larger
  /// one was given back when it became free) and a page each side.
  /// no_auto_discard (the default) turns it off. Only for sources that
  /// model discarding_pool_source.
  void set_auto_discard(std::size_t threshold) noexcept requires discarding_pool_source<Source> {
    auto_discard_threshold_ = threshold;
  }

  /// Gives memory back to the source: releases every region whose pool is
  /// entirely free (except the newest, kept for the next allocations), then,
  /// if the source can discard, discards the whole pages inside every free
  /// block. Returns the bytes released or discarded.
  /// Cost: O(regions + blocks), plus one source call per region released
  /// and per free block spanning a whole page. Not for real-time paths;
  /// bound it by calling it when the program is idle.
  std::size_t trim() noexcept {
    if constexpr (requires { heap_.release_empty_slabs(); }) heap_.release_empty_slabs();
    std::size_t given_back = release_free_regions();
    if constexpr (discarding_pool_source<Source>) {
      heap_.walk([&](const BlockInfo& block) {
        if (!block.used) given_back += discard_inside(block.address, block.size);
      });
    }
    return given_back;
  }

  /// The heap's and the source's statistics. O(1) apart from
  /// Tlsf::stats()'s largest_free.
  FlexTlsfStats stats() const noexcept {
    return {heap_.stats(), held_, region_count_, growths_, discarded_, released_};
  }

  /// The heap, for its diagnostics (walk, check) and for adding pools of
  /// your own. Do not remove the pools FlexTlsf added.
  Heap& heap() noexcept { return heap_; }
  const Heap& heap() const noexcept { return heap_; }
  /// The source.
  Source& source() noexcept { return source_; }

  /// Adds at least `bytes` of free memory ahead of need (for example at
  /// start-up, so that the first allocations do not call the source).
  /// Returns false if the source has none.
  bool reserve(std::size_t bytes) noexcept {
    return grow(bytes > std::numeric_limits<std::size_t>::max() - Heap::min_pool_size
                    ? 0
                    : bytes + Heap::min_pool_size);
  }

 private:
  // The start of every region: the list of regions, newest first.
  struct RegionRecord {
    RegionRecord* next;
    std::size_t bytes;
  };
  static void* pool_memory(RegionRecord* record) noexcept { return record + 1; }

  [[gnu::noinline]] void* allocate_after_growing(std::size_t size, std::size_t align) noexcept {
    if (!grow(Heap::pool_size_for(size, align))) return nullptr;
    return align <= Heap::alignment ? heap_.allocate(size) : heap_.allocate(size, align);
  }

  // A small request: an object of a slab; when no slab fits, the heap grows
  // by one (O(1), one call to the source) and the request asks again; when
  // it cannot grow, any block the heap still has.
  void* allocate_object(std::size_t size) noexcept {
    if (void* p = heap_.allocate_object(size)) [[likely]]
      return p;
    return allocate_object_after_growing(size);
  }
  [[gnu::noinline]] void* allocate_object_after_growing(std::size_t size) noexcept {
    if (grow(Heap::pool_size_for(Heap::slab_request_bytes, Heap::slab_bytes))) {
      if (void* p = heap_.allocate_object(size)) return p;  // (a slab outside the window: paused)
    }
    return heap_.allocate(size);
  }

  // Makes `pool_bytes` bytes (Heap::pool_size_for) available as one pool
  // or as an extension of the newest one. False if the source has none.
  bool grow(std::size_t pool_bytes) noexcept {
    if (pool_bytes == 0) return false;
    if constexpr (metadata_pool_source<Source> && requires { heap_.set_window({}, 0, {}, 0); }) {
      if (regions_ == nullptr && metadata_.memory == nullptr) set_slab_window();
    }
    if constexpr (growable_pool_source<Source>) {
      if (regions_ != nullptr && grow_newest_region(pool_bytes)) return true;
    }
    if (pool_bytes > std::numeric_limits<std::size_t>::max() - sizeof(RegionRecord)) return false;
    const Region region = source_.acquire(pool_bytes + sizeof(RegionRecord));
    if (region.memory == nullptr) return false;
    if (region.bytes < pool_bytes + sizeof(RegionRecord)) {  // a source that broke its contract
      source_.release(region);
      return false;
    }
    // A pool never spans more than the heap's largest block; memory beyond
    // that stays in the region, unused, until it is released.
    auto* record = ::new (region.memory) RegionRecord{regions_, region.bytes};
    if (heap_.add_pool(pool_memory(record), region.bytes - sizeof(RegionRecord)) == 0) {
      source_.release(region);
      return false;
    }
    regions_ = record;
    held_ += region.bytes;
    ++region_count_;
    ++growths_;
    return true;
  }

  // Extends the newest region, and its pool, by at least pool_bytes.
  bool grow_newest_region(std::size_t pool_bytes) noexcept {
    RegionRecord* record = regions_;
    // extend_pool refuses a pool spanning more than the largest block; the
    // region's size bounds the span from above.
    if (record->bytes > Heap::max_block_size || pool_bytes > Heap::max_block_size - record->bytes)
      return false;
    const std::size_t added = source_.grow(Region{record, record->bytes}, pool_bytes);
    if (added == 0) return false;
    record->bytes += added;
    held_ += added;
    if (record->bytes > Heap::max_block_size) return false;  // the source gave more than asked
    void* pool = pool_memory(record);
    if (heap_.extend_pool(pool, heap_.pool_end(pool), added) == 0) return false;
    ++growths_;
    return true;
  }

  // Frees p, a block of the heap underneath that is no object of a slab
  // (deallocate has looked): with SmallObjects inside, without looking again.
  void free_heap_block(void* p) noexcept {
    if constexpr (requires { heap_.deallocate_block(p); }) {
      heap_.deallocate_block(p);
    } else {
      heap_.deallocate(p);
    }
  }

  [[gnu::noinline]] void deallocate_and_discard(void* p, const FreeMerge& merge) noexcept {
    if (!heap_.is_allocated(p)) {  // a double free: the heap reports it; nothing to give back
      free_heap_block(p);
      return;
    }
    free_heap_block(p);
    if constexpr (discarding_pool_source<Source>) discard_merged(merge);
  }

  // Discards the pages of a free block just made by merging (FreeMerge)
  // that may still hold memory: the freed block and the neighbours that
  // merged in while smaller than the threshold (a neighbour of at least the
  // threshold was discarded when it became free), widened to the pages they
  // share with the rest of the free block, sparing the words the heap keeps
  // (the merged block's header and links, and its last word).
  void discard_merged(const FreeMerge& merge) noexcept {
    // The widening step: whole pages of the usual 4 KiB (the source discards
    // whole pages of its own size inside the range it is given).
    constexpr std::uintptr_t page = 4096;
    const auto start = reinterpret_cast<std::uintptr_t>(merge.start);
    // (merge.start is the block's header word; its payload follows)
    const std::uintptr_t keep_front = start + sizeof(std::size_t) + kept_front;
    const std::uintptr_t keep_back = start + merge.bytes - kept_back;
    std::uintptr_t first = start + (merge.before >= auto_discard_threshold_ ? merge.before : 0);
    std::uintptr_t last =
        start + merge.bytes - (merge.after >= auto_discard_threshold_ ? merge.after : 0);
    first &= ~(page - 1);
    last = (last + page - 1) & ~(page - 1);
    if (first < keep_front) first = keep_front;
    if (last > keep_back) last = keep_back;
    if (last <= first) return;
    discard_range(reinterpret_cast<std::byte*>(first), last - first);
  }

  // The words of a free block's payload that the heap keeps whatever the
  // block merges with, and that discarding spares: its two list links at
  // the start and the self pointer at the end.
  static constexpr std::size_t kept_front = 2 * sizeof(void*);
  static constexpr std::size_t kept_back = sizeof(void*);

  // Discards the pages inside a free block's payload [payload, payload +
  // usable), sparing the words the heap keeps there.
  std::size_t discard_inside(void* payload, std::size_t usable) noexcept {
    if (usable <= kept_front + kept_back) return 0;
    return discard_range(static_cast<std::byte*>(payload) + kept_front,
                         usable - kept_front - kept_back);
  }

  // Hands [start, start + length), free memory the heap keeps nothing in,
  // to the source's discard. Returns the bytes it discarded.
  std::size_t discard_range(std::byte* start, std::size_t length) noexcept {
    // Memory checkers: the source may touch these bytes; then they are the
    // heap's again.
    detail::mark_returned(start, length);
    const std::size_t bytes = source_.discard(start, length);
    detail::mark_heap_owned(start, length);
    discarded_ += bytes;
    return bytes;
  }

  // Releases the regions, but the newest, whose pool has no used block.
  std::size_t release_free_regions() noexcept {
    std::size_t bytes = 0;
    if (regions_ == nullptr) return 0;
    for (RegionRecord* previous = regions_; previous->next != nullptr;) {
      RegionRecord* record = previous->next;
      if (heap_.remove_pool(pool_memory(record))) {
        detail::mark_returned(record, record->bytes);
        previous->next = record->next;
        bytes += record->bytes;
        held_ -= record->bytes;
        --region_count_;
        source_.release(Region{record, record->bytes});
      } else {
        previous = record;
      }
    }
    released_ += bytes;
    return bytes;
  }

  void release_all() noexcept {
    if constexpr (detail::memory_checker_enabled) {
      // Blocks still allocated die with the heap: tell the checker, so
      // that it does not see them in the memory once the source reuses it.
      heap_.walk([](const BlockInfo& block) {
        if (block.used) detail::mark_freed(block.address, block.size);
      });
    }
    for (RegionRecord* record = regions_; record != nullptr;) {
      RegionRecord* next = record->next;
      detail::mark_returned(record, record->bytes);
      source_.release(Region{record, record->bytes});
      record = next;
    }
    regions_ = nullptr;
    if constexpr (metadata_pool_source<Source>) {
      if (metadata_.memory != nullptr) source_.release_metadata(metadata_);
      metadata_ = {};
    }
  }

  // Before the first region: the slab window is everything the source can
  // hand out, and its map comes zeroed from the source (for OsPages, pages
  // the system gives only when a bit is first set). Without it the small-
  // object layer makes the first region its window.
  void set_slab_window() noexcept {
    const Region window = source_.reservation();
    if (window.memory == nullptr) return;
    const std::size_t chunks = window.bytes / Heap::slab_bytes + 1;
    const std::size_t map_bytes = (chunks + 63) / 64 * sizeof(std::uint64_t);
    const Region map = source_.acquire_metadata(map_bytes);
    if (map.memory == nullptr) return;
    if (!heap_.set_window(window.memory, window.bytes, static_cast<std::uint64_t*>(map.memory),
                          map.bytes)) {
      source_.release_metadata(map);
      return;
    }
    metadata_ = map;
    held_ += map.bytes;
  }

  Heap heap_{};
  Source source_{};
  RegionRecord* regions_ = nullptr;
  std::size_t auto_discard_threshold_ = no_auto_discard;
  Region metadata_{};  // the slab map's memory, from the source
  std::size_t held_ = 0;
  std::size_t region_count_ = 0;
  std::size_t growths_ = 0;
  std::size_t discarded_ = 0;
  std::size_t released_ = 0;
};

}  // namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE
