// SPDX-License-Identifier: MIT OR Apache-2.0
// The one model of a heap that every test needing one drives: the random
// model test on the host (tests/tlsf/random_model_test.cpp), the portable
// runs on the host and on a Cortex-M4 (tests/target/model_cases.hpp) and the
// fuzz target (tests/fuzz/tlsf_fuzz.cpp). A driver only chooses operations;
// HeapModel applies each to the heap and to its shadow of the heap (every
// live block's address, request, alignment, usable size and contents; every
// pool; the counters) and checks everything after it. Freestanding: no
// exceptions, RTTI, allocation, iostream or GoogleTest, so the same code runs
// on the target.
//
// The heap. Any type with the operations of modelled_heap below: allocate
// (size) and (size, align), reallocate, deallocate, usable_size, owns,
// stats() (a TlsfStats), walk(visitor) and check(); pool operations
// (add_pool, extend_pool, remove_pool, pool_end, reset) only if it has pools
// (pooled_heap). A heap that spells these differently (FlexTlsf keeps walk
// and check on its inner heap) is driven through a small adapter.
//
// The policy. What a heap of one design promises beyond that lives in one
// replaceable class (TlsfPolicy in tlsf_policy.hpp, for Tlsf and FlexTlsf;
// a composed heap brings its own). It provides:
//   alignment                      what allocate(size) aligns to at least
//   alignment_for(size, align)     what a block of `size` bytes is aligned to
//   extent(p, usable, align)       the memory a live block occupies, for the
//                                  no-overlap, in-pool and byte counts
//   verify_allocation(heap, before, size, align, p, usable)
//                                  may this allocation fail, or give this block?
//   verify_reallocation(heap, before, old, size, q)   same for a reallocate
//   answer(Misuse)                 whether and how the heap reports a misuse
//   verify_counts(heap, stats, shadow)   statistics against the shadow
//   verify_blocks(heap, stats, shadow)   walk() against stats and the shadow
//   verify_empty(heap, stats, shadow)    the heap with no live block
//   verify_pool_added(...), verify_extension(...)   pooled heaps only
// Each verify_* returns nullptr when all holds, else a static description.
//
// What is checked: every property that the host, target and fuzz models
// this one replaces checked, in one place; [P] marks the policy's part, the
// rest holds for any heap. How often the costlier ones run is a ModelOptions
// (host driver / target / fuzz target):
//  - after every operation: no error report the operation did not ask for;
//    check() (every `check_every` operations: 1 / 8 / 1); [P] the
//    statistics against the shadow: pool count, capacity, used blocks, used
//    bytes (the block sizes the heap counts), free = capacity - used, failed
//    allocations (exactly; at least, for a heap that grows; 0 without
//    counters), peak use (at least the shadow's and the current use, at most
//    the capacity ever held; 0 without counters);
//  - every `walk_every` operations (1 / 64 / 1), and whenever the heap
//    should be empty: [P] walk() against stats() (total, used bytes, used
//    and free blocks, largest free) and against the shadow: every used block
//    live, with the shadow's usable and block size, every live block seen,
//    blocks inside the pools, tiling them, no two free neighbours;
//  - every `contents_every` operations (4096 / 64 / when the input asks),
//    and whenever a block is reallocated or freed: its contents, a pattern of
//    its own over every usable byte;
//  - a new block: usable_size >= request, aligned to max(align, alignment),
//    owned (owns), inside a pool (or memory the heap took from its source),
//    overlapping no live block (by the extents the policy gives); [P] none
//    beyond the largest allocation; none larger than the largest free block
//    (unless the heap grew for it);
//  - a failed allocation: [P] allowed only by the documented search
//    guarantee, aligned requests included (for a heap that grows: also only
//    when its source could not give the pool); reallocate(nullptr, n) is
//    held to the same rule;
//  - reallocate: the block's contents before it, then the contents kept up
//    to the smaller size and the alignment kept; a failed reallocate leaves
//    the block as it was (usable size and contents); [P] shrinking never
//    fails and never moves;
//  - deallocate: usable_size unchanged since the block was handed out;
//    deallocate(nullptr) changes nothing;
//  - pools: add_pool accepts the memory without a report, [P] adds at most
//    the bytes given and the largest block, and ends where the memory does
//    (or at the largest block); extend_pool appends exactly at pool_end; a
//    refusal is one invalid_pool report, adds nothing and leaves pool_end,
//    and [P] is allowed only for memory too small to form a block or a pool
//    beyond the largest block; [P] an extension adds a multiple of the
//    granularity, at most a granule more than the bytes given, and never
//    makes a pool span more than the largest block; remove_pool succeeds
//    exactly when no live block is in the pool, whose memory is then
//    scribbled over (and freed by the drivers, for AddressSanitizer);
//    reset() frees every block and keeps the peak and failure counts;
//  - misuse, each reported exactly once with the right code, giving nullptr
//    or 0, and changing nothing (counters and every live block's contents):
//    [P] a double free, reallocate or usable_size of a freed block; [P] a
//    foreign pointer (also: not owned), an interior or a misaligned pointer
//    (checked builds); an alignment that is not a power of two;
//  - after free_all() and reset(): [P] each pool is one free block again
//    (every neighbour merged), the largest one the largest pool, no byte in
//    use.
//
// A model keeps at most MaxLive blocks and MaxPools pools: an allocation
// beyond that, or a pool operation without a pool, is skipped (a passed
// result, no operation counted). The model installs its own error handler
// for its lifetime (ReportLog): one model at a time.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <rtalloc/error.hpp>
#include <rtalloc/tlsf.hpp>

#include "model_support.hpp"

namespace rtalloc::test {

/// The operations the model drives on every heap.
template <class H>
concept modelled_heap = requires(H& heap, const H& view, void* p, const void* c, std::size_t n) {
  { heap.allocate(n) } -> std::same_as<void*>;
  { heap.allocate(n, n) } -> std::same_as<void*>;
  { heap.reallocate(p, n) } -> std::same_as<void*>;
  heap.deallocate(p);
  { view.usable_size(c) } -> std::same_as<std::size_t>;
  { view.owns(c) } -> std::same_as<bool>;
  { view.stats() } -> std::convertible_to<TlsfStats>;
  { view.check() } -> std::same_as<bool>;
  view.walk([](const BlockInfo&) {});
};

/// A heap over pools its user adds: the model then adds, extends, removes
/// and resets them too.
template <class H>
concept pooled_heap = modelled_heap<H> && requires(H& heap, void* p, std::size_t n) {
  { heap.add_pool(p, n) } -> std::same_as<std::size_t>;
  { heap.extend_pool(p, p, n) } -> std::same_as<std::size_t>;
  { heap.remove_pool(p) } -> std::same_as<bool>;
  { heap.pool_end(p) } -> std::same_as<void*>;
  heap.reset();
};

/// [begin, end) in addresses.
struct Extent {
  std::uintptr_t begin;
  std::uintptr_t end;
  std::size_t bytes() const noexcept { return static_cast<std::size_t>(end - begin); }
};

/// A live block as the shadow knows it.
struct LiveBlock {
  std::byte* data;
  std::size_t size;    // requested
  std::size_t align;   // requested; 0 for allocate(size)
  std::size_t usable;  // usable_size when the heap handed it out
  std::uint32_t id;    // names its fill pattern
};

/// A pool the model added; `room` bytes from `start` are the driver's, of
/// which the first `given` are the heap's.
struct PoolRecord {
  std::byte* start;
  std::size_t given;
  std::size_t room;
  std::size_t capacity;  // what add_pool and extend_pool said they added
  bool active;
};

/// Wrong uses of a heap the model tries. All but bad_alignment (allocate
/// with an alignment that is not a power of two) hand a pointer the heap
/// did not give, or no longer owns, to deallocate, reallocate or usable_size:
/// a freed block's, one into memory no heap owns, one a granule into a live
/// block, one a few bytes into it.
enum class Misuse : std::uint8_t {
  double_free,
  foreign_pointer,
  interior_pointer,
  misaligned_pointer,
  bad_alignment
};

/// How a heap answers a misuse: reported with `code` (or `also`), or not
/// detected at all, in which case the model does not try it.
struct MisuseAnswer {
  bool detected;
  ErrorCode code;
  ErrorCode also;
};

/// The reports made while a model runs: a count and the latest.
class ReportLog {
 public:
  static void record(const ErrorInfo& info) noexcept {
    ++count_;
    last_ = info;
  }
  static std::size_t count() noexcept { return count_; }
  static const ErrorInfo& last() noexcept { return last_; }
  static void clear() noexcept { count_ = 0; }

 private:
  static inline std::size_t count_ = 0;
  static inline ErrorInfo last_{};
};

/// The words a model writes into the block it numbers `id`, one after
/// another: distinct for distinct blocks at the same place, one addition
/// and a few bit operations each. Every word has its top bit set and its
/// low three clear, so that no word of a block reads as a plausible block
/// header (a size beyond any pool, no flags): an interior pointer is then
/// always one the heap can recognise.
class FillPattern {
 public:
  explicit FillPattern(std::uint32_t id) noexcept : base_(std::uintptr_t{id} * odd) {}
  [[gnu::always_inline]] std::uintptr_t next() noexcept {
    offset_ += other;
    std::uintptr_t z = base_ ^ offset_;
    z ^= z >> 15;
    return (z | top) & ~std::uintptr_t{7};
  }

 private:
  static constexpr bool wide = sizeof(std::uintptr_t) >= 8;
  static constexpr auto odd =
      static_cast<std::uintptr_t>(wide ? 0x9E3779B97F4A7C15ULL : 0x9E3779B9U);
  static constexpr auto other =
      static_cast<std::uintptr_t>(wide ? 0xBF58476D1CE4E5B9ULL : 0x85EBCA6BU);
  static constexpr std::uintptr_t top = std::uintptr_t{1} << (8 * sizeof(std::uintptr_t) - 1);
  std::uintptr_t base_;
  std::uintptr_t offset_ = 0;
};

/// Writes block `id`'s pattern over [p, p + bytes).
inline void fill_block(std::byte* p, std::size_t bytes, std::uint32_t id) noexcept {
  constexpr std::size_t w = sizeof(std::uintptr_t);
  FillPattern pattern(id);
  std::size_t i = 0;
  for (; i + w <= bytes; i += w) {
    const std::uintptr_t word = pattern.next();
    std::memcpy(p + i, &word, w);
  }
  if (i < bytes) {
    const std::uintptr_t word = pattern.next();
    std::memcpy(p + i, &word, bytes - i);
  }
}

/// Whether [p, p + bytes) still holds block `id`'s pattern (a prefix of a
/// longer fill holds it too).
inline bool holds_fill(const std::byte* p, std::size_t bytes, std::uint32_t id) noexcept {
  constexpr std::size_t w = sizeof(std::uintptr_t);
  FillPattern pattern(id);
  std::size_t i = 0;
  for (; i + w <= bytes; i += w) {
    std::uintptr_t word;
    std::memcpy(&word, p + i, w);
    if (word != pattern.next()) return false;
  }
  if (i == bytes) return true;
  const std::uintptr_t word = pattern.next();
  return std::memcmp(p + i, &word, bytes - i) == 0;
}

/// What the model knows of the heap: the live blocks in address order, the
/// pools, and the counters the statistics must match. Policies read it.
template <std::size_t MaxLive, std::size_t MaxPools>
class HeapShadow {
 public:
  static constexpr std::size_t none = ~std::size_t{0};

  std::size_t live_count() const noexcept { return live_count_; }
  bool full() const noexcept { return live_count_ == MaxLive; }
  /// The i-th live block in address order, i < live_count().
  const LiveBlock& live(std::size_t i) const noexcept { return live_[i]; }

  /// The first live block at or above `address`. O(log live blocks).
  std::size_t lower_bound(std::uintptr_t address) const noexcept {
    std::size_t low = 0;
    std::size_t high = live_count_;
    while (low < high) {
      const std::size_t middle = low + (high - low) / 2;
      if (address_of(live_[middle].data) < address) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    return low;
  }
  /// The live block at `p`, or none.
  std::size_t find(const void* p) const noexcept {
    const std::size_t i = lower_bound(address_of(p));
    return i < live_count_ && live_[i].data == p ? i : none;
  }

  /// Pools the model added: whether it did at all (pooled heaps), and each.
  bool tracks_pools() const noexcept { return tracks_pools_; }
  std::size_t pool_slots() const noexcept { return pool_slots_; }
  const PoolRecord& pool(std::size_t slot) const noexcept { return pools_[slot]; }
  std::size_t active_pools() const noexcept {
    std::size_t active = 0;
    for (std::size_t i = 0; i < pool_slots_; ++i) active += pools_[i].active ? 1 : 0;
    return active;
  }
  std::size_t largest_pool_capacity() const noexcept {
    std::size_t largest = 0;
    for (std::size_t i = 0; i < pool_slots_; ++i) {
      if (pools_[i].active && pools_[i].capacity > largest) largest = pools_[i].capacity;
    }
    return largest;
  }
  /// The active pool, or memory the heap took, that holds all of [extent);
  /// {0, 0} if none does. O(pools).
  Extent memory_holding(Extent extent) const noexcept {
    for (std::size_t i = 0; i < pool_slots_; ++i) {
      const PoolRecord& pool = pools_[i];
      const Extent memory{address_of(pool.start), address_of(pool.start + pool.given)};
      if (pool.active && extent.begin >= memory.begin && extent.end <= memory.end) return memory;
    }
    for (std::size_t i = 0; i < area_count_; ++i) {
      if (extent.begin >= areas_[i].begin && extent.end <= areas_[i].end) return areas_[i];
    }
    return {0, 0};
  }
  bool inside_heap_memory(Extent extent) const noexcept { return memory_holding(extent).end != 0; }
  std::size_t known_memory_bytes() const noexcept {
    std::size_t bytes = 0;
    for (std::size_t i = 0; i < area_count_; ++i) bytes += areas_[i].bytes();
    return bytes;
  }

  std::size_t used_bytes() const noexcept { return used_bytes_; }     // sum of live extents
  std::size_t peak_bytes() const noexcept { return peak_bytes_; }     // highest used_bytes seen
  std::size_t capacity() const noexcept { return capacity_; }         // of the active pools
  std::size_t removed_capacity() const noexcept { return removed_; }  // of removed pools
  std::size_t failures() const noexcept { return failures_; }         // allocations that failed

 private:
  template <modelled_heap, class, std::size_t, std::size_t>
  friend class HeapModel;

  static std::uintptr_t address_of(const void* p) noexcept {
    return reinterpret_cast<std::uintptr_t>(p);
  }

  void insert(std::size_t at, const LiveBlock& block, std::size_t bytes) noexcept {
    std::memmove(&live_[at + 1], &live_[at], (live_count_ - at) * sizeof(LiveBlock));
    live_[at] = block;
    ++live_count_;
    used_bytes_ += bytes;
    if (used_bytes_ > peak_bytes_) peak_bytes_ = used_bytes_;
  }
  void erase(std::size_t at, std::size_t bytes) noexcept {
    --live_count_;
    std::memmove(&live_[at], &live_[at + 1], (live_count_ - at) * sizeof(LiveBlock));
    used_bytes_ -= bytes;
  }
  void forget_all_blocks() noexcept {
    live_count_ = 0;
    used_bytes_ = 0;
  }

  LiveBlock live_[MaxLive];
  std::size_t live_count_ = 0;
  PoolRecord pools_[MaxPools];
  std::size_t pool_slots_ = 0;
  Extent areas_[MaxPools];
  std::size_t area_count_ = 0;
  bool tracks_pools_ = false;
  std::size_t used_bytes_ = 0;
  std::size_t peak_bytes_ = 0;
  std::size_t capacity_ = 0;
  std::size_t removed_ = 0;
  std::size_t failures_ = 0;
};

/// How often the model runs its costlier checks (0: never); see above.
struct ModelOptions {
  std::size_t check_every = 1;
  std::size_t walk_every = 1;
  std::size_t contents_every = 4096;
};

/// The model of `Heap` under `Policy`: see the top of this file.
template <modelled_heap Heap, class Policy, std::size_t MaxLive, std::size_t MaxPools = 1>
class HeapModel {
 public:
  using Shadow = HeapShadow<MaxLive, MaxPools>;

  /// What the last operation was, for a driver's failure message.
  enum class Step : std::uint8_t {
    allocate,
    reallocate,
    deallocate,
    misuse,
    verify_contents,
    add_pool,
    extend_pool,
    remove_pool,
    reset
  };
  struct LastStep {
    Step step;
    std::size_t size;
    std::size_t align;
    const void* pointer;
  };

  /// A model of `heap`, which must outlive it and start empty.
  explicit HeapModel(Heap& heap, Policy policy = Policy{}, ModelOptions options = {}) noexcept
      : heap_(heap), policy_(policy), options_(options) {
    previous_handler_ = set_error_handler(&ReportLog::record);
    ReportLog::clear();
    shadow_.tracks_pools_ = pooled_heap<Heap>;
  }
  ~HeapModel() { set_error_handler(previous_handler_); }
  HeapModel(const HeapModel&) = delete;
  HeapModel& operator=(const HeapModel&) = delete;

  Heap& heap() noexcept { return heap_; }
  const Shadow& shadow() const noexcept { return shadow_; }
  std::size_t operations() const noexcept { return operation_; }
  const LastStep& last() const noexcept { return last_; }
  /// The start of the pool the last remove_pool removed, else nullptr: its
  /// memory is the driver's again.
  const void* last_removed_pool() const noexcept { return last_removed_; }

  /// Tells the model that [memory, memory + bytes) may hold blocks: memory a
  /// heap that grows takes from its source.
  void add_known_memory(const void* memory, std::size_t bytes) noexcept {
    if (shadow_.area_count_ == MaxPools) return;
    const auto begin = reinterpret_cast<std::uintptr_t>(memory);
    shadow_.areas_[shadow_.area_count_++] = Extent{begin, begin + bytes};
  }

  // ---- Operations: each applied to the heap and the shadow, then checked ----

  ModelResult allocate(std::size_t size) noexcept { return allocate_block(size, 0, false); }
  /// allocate(size, align) with a power-of-two `align` (bad ones: misuse).
  ModelResult allocate(std::size_t size, std::size_t align) noexcept {
    return allocate_block(size, align, false);
  }
  /// reallocate(nullptr, size), which allocates.
  ModelResult reallocate_null(std::size_t size) noexcept { return allocate_block(size, 0, true); }

  /// Resizes live block `pick` (modulo the count; with none live, as
  /// reallocate_null).
  ModelResult reallocate(std::size_t pick, std::size_t size) noexcept {
    if (shadow_.live_count() == 0) return reallocate_null(size);
    const LiveBlock old = shadow_.live(pick % shadow_.live_count());
    begin(Step::reallocate, size, old.align, old.data);
    RTALLOC_MODEL_CHECK(holds_fill(old.data, old.usable, old.id));
    const TlsfStats before = heap_.stats();
    // Its extent now: once it moved, its slab may be gone, and with it what
    // the policy would say about the old address.
    const std::size_t old_bytes = extent_of(old).bytes();
    void* moved = heap_.reallocate(old.data, size);
    last_.pointer = moved;
    RTALLOC_MODEL_CHECK(ReportLog::count() == 0);
    if (const char* broken = policy_.verify_reallocation(heap_, before, old, size, moved)) {
      return fail(broken);
    }
    if (moved == nullptr) {
      ++shadow_.failures_;
      RTALLOC_MODEL_CHECK(heap_.usable_size(old.data) == old.usable);  // failed: left alone
      RTALLOC_MODEL_CHECK(holds_fill(old.data, old.usable, old.id));
      return after();
    }
    const auto* q = static_cast<const std::byte*>(moved);
    RTALLOC_MODEL_CHECK(holds_fill(q, size < old.usable ? size : old.usable, old.id));
    shadow_.erase(shadow_.find(old.data), old_bytes);
    if (const ModelResult adopted = adopt(moved, size, old.align); !adopted.passed) return adopted;
    return after();
  }

  /// Frees live block `pick` (modulo the count); with none live, nothing.
  ModelResult deallocate(std::size_t pick) noexcept {
    if (shadow_.live_count() == 0) return {};
    return free_block(pick % shadow_.live_count());
  }
  /// deallocate(nullptr): changes nothing.
  ModelResult deallocate_null() noexcept {
    begin(Step::deallocate, 0, 0, nullptr);
    heap_.deallocate(nullptr);
    return after();
  }

  /// One misuse (see Misuse), made in the way `variant` picks, on live block
  /// `pick` where one is needed. Skipped where the heap cannot detect it.
  ModelResult misuse(Misuse kind, std::size_t pick, std::size_t variant) noexcept {
    const MisuseAnswer answer = policy_.answer(kind);
    if (!answer.detected) return {};
    void* bad = nullptr;
    if (kind == Misuse::bad_alignment) {
      const std::size_t align =
          (variant & (variant - 1)) == 0 && variant != 0 ? variant | 3 : variant;
      begin(Step::misuse, pick, align, nullptr);
      const TlsfStats before = heap_.stats();
      RTALLOC_MODEL_CHECK(heap_.allocate(pick % 4096, align) == nullptr);
      return after_misuse(answer, before);
    }
    if (kind == Misuse::foreign_pointer) {
      bad = &foreign_[sizeof foreign_ / 2];
      RTALLOC_MODEL_CHECK(!heap_.owns(bad));
    } else {
      if (shadow_.live_count() == 0) return {};
      const std::size_t i = pick % shadow_.live_count();
      if (kind == Misuse::double_free) {
        bad = shadow_.live(i).data;
        if (const ModelResult freed = free_block(i); !freed.passed) return freed;
      } else if (kind == Misuse::interior_pointer) {
        if (shadow_.live(i).usable < 2 * Policy::alignment) return {};
        bad = shadow_.live(i).data + Policy::alignment;
      } else {
        // Within the block's first alignment granule and its own bytes: an
        // 8-byte object's neighbour starts 8 bytes on, a valid pointer.
        const std::size_t granule = std::min(shadow_.live(i).usable, Policy::alignment);
        if (granule < 2) return {};
        bad = shadow_.live(i).data + 1 + (variant / 3) % (granule - 1);
      }
    }
    begin(Step::misuse, static_cast<std::size_t>(kind), variant % 3, bad);
    const TlsfStats before = heap_.stats();
    switch (variant % 3) {
      case 0:
        heap_.deallocate(bad);
        break;
      case 1:
        RTALLOC_MODEL_CHECK(heap_.reallocate(bad, pick % 256) == nullptr);
        break;
      default:
        RTALLOC_MODEL_CHECK(heap_.usable_size(bad) == 0);
        break;
    }
    return after_misuse(answer, before);
  }

  /// Checks every live block's contents.
  ModelResult verify_contents() noexcept {
    begin(Step::verify_contents, 0, 0, nullptr);
    if (const ModelResult intact = all_contents_intact(); !intact.passed) return intact;
    return after();
  }

  /// Frees every live block, then checks that the heap is empty.
  ModelResult free_all() noexcept {
    while (shadow_.live_count() != 0) {
      if (const ModelResult freed = free_block(shadow_.live_count() - 1); !freed.passed) {
        return freed;
      }
    }
    return verify_empty();
  }

  // ---- Pooled heaps ----

  /// add_pool(memory, bytes), bytes >= the heap's smallest pool, with `room`
  /// >= bytes of memory at `memory` for later extensions.
  ModelResult add_pool(std::byte* memory, std::size_t bytes,
                       std::size_t room) noexcept requires pooled_heap<Heap> {
    std::size_t slot = 0;
    while (slot < shadow_.pool_slots_ && shadow_.pools_[slot].active) ++slot;
    if (slot == MaxPools) return {};
    begin(Step::add_pool, bytes, room, memory);
    const std::size_t capacity = heap_.add_pool(memory, bytes);
    RTALLOC_MODEL_CHECK(ReportLog::count() == 0);
    RTALLOC_MODEL_CHECK(capacity != 0);
    auto* end = static_cast<std::byte*>(heap_.pool_end(memory));
    if (const char* broken = policy_.verify_pool_added(memory, bytes, capacity, end)) {
      return fail(broken);
    }
    if (slot == shadow_.pool_slots_) ++shadow_.pool_slots_;
    shadow_.pools_[slot] =
        PoolRecord{memory, static_cast<std::size_t>(end - memory), room, capacity, true};
    shadow_.capacity_ += capacity;
    last_removed_ = nullptr;
    return after();
  }

  /// extend_pool by up to `bytes` (as much room as the pool has left) on
  /// active pool `pick` (modulo their count).
  ModelResult extend_pool(std::size_t pick, std::size_t bytes) noexcept requires pooled_heap<Heap> {
    PoolRecord* pool = active_pool(pick);
    if (pool == nullptr) return {};
    if (bytes > pool->room - pool->given) bytes = pool->room - pool->given;
    std::byte* end = pool->start + pool->given;
    begin(Step::extend_pool, bytes, 0, end);
    RTALLOC_MODEL_CHECK(heap_.pool_end(pool->start) == end);
    const std::size_t added = heap_.extend_pool(pool->start, end, bytes);
    const bool refused = ReportLog::count() != 0;
    if (refused) {
      RTALLOC_MODEL_CHECK(ReportLog::count() == 1 &&
                          ReportLog::last().code == ErrorCode::invalid_pool);
      ReportLog::clear();
      RTALLOC_MODEL_CHECK(added == 0);
      RTALLOC_MODEL_CHECK(heap_.pool_end(pool->start) == end);  // refused: nothing changed
    }
    if (const char* broken = policy_.verify_extension(*pool, bytes, added, refused)) {
      return fail(broken);
    }
    if (!refused) {
      pool->given += bytes;
      pool->capacity += added;
      shadow_.capacity_ += added;
      RTALLOC_MODEL_CHECK(heap_.pool_end(pool->start) == pool->start + pool->given);
    }
    return after();
  }

  /// remove_pool on active pool `pick` (modulo their count): must succeed
  /// exactly when no live block is in it. Its memory is then scribbled over,
  /// and last_removed_pool() names it.
  ModelResult remove_pool(std::size_t pick) noexcept requires pooled_heap<Heap> {
    last_removed_ = nullptr;
    PoolRecord* pool = active_pool(pick);
    if (pool == nullptr) return {};
    begin(Step::remove_pool, pool->given, 0, pool->start);
    const std::size_t first = shadow_.lower_bound(reinterpret_cast<std::uintptr_t>(pool->start));
    const bool in_use =
        first < shadow_.live_count() && shadow_.live(first).data < pool->start + pool->given;
    const bool removed = heap_.remove_pool(pool->start);
    RTALLOC_MODEL_CHECK(ReportLog::count() == 0);
    RTALLOC_MODEL_CHECK(removed != in_use);
    if (removed) {
      std::memset(pool->start, 0xA5, pool->given);  // the heap must not look at it again
      pool->active = false;
      shadow_.capacity_ -= pool->capacity;
      shadow_.removed_ += pool->capacity;
      last_removed_ = pool->start;
    }
    return after();
  }

  /// reset(): every block freed at once; then the heap must be empty.
  ModelResult reset() noexcept requires pooled_heap<Heap> {
    begin(Step::reset, 0, 0, nullptr);
    heap_.reset();
    shadow_.forget_all_blocks();
    if (const ModelResult result = after(); !result.passed) return result;
    return verify_empty();
  }

 private:
  ModelResult fail(const char* what) const noexcept { return {false, what, operation_}; }

  void begin(Step step, std::size_t size, std::size_t align, const void* pointer) noexcept {
    last_ = LastStep{step, size, align, pointer};
  }

  Extent extent_of(const LiveBlock& block) const noexcept {
    return policy_.extent(block.data, block.usable, block.align);
  }

  PoolRecord* active_pool(std::size_t pick) noexcept {
    const std::size_t active = shadow_.active_pools();
    if (active == 0) return nullptr;
    std::size_t n = pick % active;
    for (std::size_t i = 0; i < shadow_.pool_slots_; ++i) {
      if (shadow_.pools_[i].active && n-- == 0) return &shadow_.pools_[i];
    }
    return nullptr;
  }

  ModelResult allocate_block(std::size_t size, std::size_t align, bool by_reallocate) noexcept {
    if (shadow_.full()) return {};
    begin(by_reallocate ? Step::reallocate : Step::allocate, size, align, nullptr);
    const TlsfStats before = heap_.stats();
    void* p = by_reallocate ? heap_.reallocate(nullptr, size)
              : align == 0  ? heap_.allocate(size)
                            : heap_.allocate(size, align);
    last_.pointer = p;
    RTALLOC_MODEL_CHECK(ReportLog::count() == 0);
    const std::size_t usable = p == nullptr ? 0 : heap_.usable_size(p);
    RTALLOC_MODEL_CHECK(ReportLog::count() == 0);
    if (const char* broken = policy_.verify_allocation(heap_, before, size, align, p, usable)) {
      return fail(broken);
    }
    if (p == nullptr) {
      ++shadow_.failures_;
      return after();
    }
    if (const ModelResult adopted = adopt(p, size, align); !adopted.passed) return adopted;
    return after();
  }

  // Enters a block the heap just handed out into the shadow, after checking
  // where it lies, and fills it with a pattern of its own.
  ModelResult adopt(void* p, std::size_t size, std::size_t align) noexcept {
    const std::size_t usable = heap_.usable_size(p);
    RTALLOC_MODEL_CHECK(usable >= size);
    RTALLOC_MODEL_CHECK(reinterpret_cast<std::uintptr_t>(p) % policy_.alignment_for(size, align) ==
                        0);
    RTALLOC_MODEL_CHECK(heap_.owns(p));
    const LiveBlock block{static_cast<std::byte*>(p), size, align, usable, ++next_id_};
    const Extent extent = extent_of(block);
    RTALLOC_MODEL_CHECK(shadow_.inside_heap_memory(extent));
    const std::size_t at = shadow_.lower_bound(extent.begin);
    RTALLOC_MODEL_CHECK(at == shadow_.live_count() ||
                        extent.end <= extent_of(shadow_.live(at)).begin);
    RTALLOC_MODEL_CHECK(at == 0 || extent_of(shadow_.live(at - 1)).end <= extent.begin);
    shadow_.insert(at, block, extent.bytes());
    fill_block(block.data, usable, block.id);
    return {};
  }

  ModelResult free_block(std::size_t i) noexcept {
    const LiveBlock block = shadow_.live(i);
    begin(Step::deallocate, block.size, block.align, block.data);
    RTALLOC_MODEL_CHECK(holds_fill(block.data, block.usable, block.id));
    RTALLOC_MODEL_CHECK(heap_.usable_size(block.data) == block.usable);
    shadow_.erase(i, extent_of(block).bytes());
    heap_.deallocate(block.data);
    return after();
  }

  ModelResult all_contents_intact() const noexcept {
    for (std::size_t i = 0; i < shadow_.live_count(); ++i) {
      const LiveBlock& block = shadow_.live(i);
      RTALLOC_MODEL_CHECK(holds_fill(block.data, block.usable, block.id));
    }
    return {};
  }

  // A misuse gave exactly one report with the code its answer names, and
  // changed nothing.
  ModelResult after_misuse(const MisuseAnswer& answer, const TlsfStats& before) noexcept {
    RTALLOC_MODEL_CHECK(ReportLog::count() == 1);
    RTALLOC_MODEL_CHECK(ReportLog::last().code == answer.code ||
                        ReportLog::last().code == answer.also);
    ReportLog::clear();
    const TlsfStats now = heap_.stats();
    RTALLOC_MODEL_CHECK(now.capacity == before.capacity && now.used == before.used &&
                        now.used_blocks == before.used_blocks &&
                        now.free_blocks == before.free_blocks);
    if (const ModelResult intact = all_contents_intact(); !intact.passed) return intact;
    return after();
  }

  // The checks after every operation.
  ModelResult after() noexcept {
    ++operation_;
    RTALLOC_MODEL_CHECK(ReportLog::count() == 0);
    if (options_.check_every != 0 && operation_ % options_.check_every == 0) {
      RTALLOC_MODEL_CHECK(heap_.check());
    }
    const TlsfStats stats = heap_.stats();
    if (const char* broken = policy_.verify_counts(heap_, stats, shadow_)) return fail(broken);
    if (options_.walk_every != 0 && operation_ % options_.walk_every == 0) {
      if (const char* broken = policy_.verify_blocks(heap_, stats, shadow_)) return fail(broken);
    }
    if (options_.contents_every != 0 && operation_ % options_.contents_every == 0) {
      return all_contents_intact();
    }
    return {};
  }

  ModelResult verify_empty() noexcept {
    RTALLOC_MODEL_CHECK(heap_.check());
    const TlsfStats stats = heap_.stats();
    if (const char* broken = policy_.verify_blocks(heap_, stats, shadow_)) return fail(broken);
    if (const char* broken = policy_.verify_empty(heap_, stats, shadow_)) return fail(broken);
    return {};
  }

  Heap& heap_;
  Policy policy_;
  ModelOptions options_;
  Shadow shadow_;
  ErrorHandler previous_handler_ = nullptr;
  std::size_t operation_ = 0;
  std::uint32_t next_id_ = 0;
  LastStep last_{};
  const void* last_removed_ = nullptr;
  // Memory no heap owns, for foreign pointers.
  alignas(64) std::byte foreign_[128] = {};
};

}  // namespace rtalloc::test
