// SPDX-License-Identifier: MIT OR Apache-2.0
// rtalloc::ConcurrentHeap — Heaps growing heaps (FlexTlsf) side by side, one
// per thread or per core, over one span of memory cut into equal slices.
//
//   alignas(64) static std::byte ram[4 * 256 * 1024];
//   static rtalloc::ConcurrentHeap<> heap;          // 4 heaps over FixedRegion slices
//   heap.init(ram, sizeof ram);                     // once, before any thread uses it
//   std::size_t me = heap.claim();                  // or a core id: "which heap am I"
//   void* p = heap.allocate(me, 100);
//   heap.deallocate(other, p);                      // from any heap: queued to me
//
// The caller says which heap it is (an index below Heaps) and guarantees
// that one thread at a time uses an index. Then:
// - allocate, and free of a block the calling heap owns, take no lock and
//   no atomic read-modify-write on memory another thread writes: the cost
//   of FlexTlsf plus draining at most DrainLimit remote frees (below);
// - free of a block another heap owns pushes it on that heap's
//   RemoteFreeQueue: wait-free, one store, one exchange, one store;
// - every allocate and deallocate first takes at most DrainLimit blocks
//   from the calling heap's queue and frees them into its heap, so every
//   operation is O(DrainLimit) heap operations;
// - the owner of a pointer is (p - base) / slice: O(1), no search.
//
// Heap i's memory is the slice [base + i * slice, base + (i + 1) * slice);
// a heap never takes memory from another's slice, so blocks handed to
// different heaps never share a cache line (slices are 64-byte aligned).
//
// Lifetimes: release(i) gives up index i (a thread exiting); its heap and
// its blocks stay, remote frees into it keep being queued, and the next
// claim() that takes i adopts them all. Freestanding.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "rtalloc/config.hpp"
#include "rtalloc/error.hpp"
#include "rtalloc/flex_tlsf.hpp"
#include "rtalloc/sources/fixed_region.hpp"
#include "rtalloc/sync/remote_free_queue.hpp"

namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE {

/// Heaps heaps of type FlexTlsf<Source, Heap>, each over one slice of the
/// memory given to init. Source must be constructible from (void*,
/// std::size_t), as FixedRegion is.
template <class Source = FixedRegion, std::size_t Heaps = 4, std::size_t DrainLimit = 16,
          class Heap = FlexDefaultHeap>
class ConcurrentHeap {
  static_assert(Heaps >= 1, "ConcurrentHeap needs at least one heap");
  static_assert(DrainLimit >= 1, "DrainLimit must be at least 1, or remote frees pile up");

 public:
  using SliceHeap = FlexTlsf<Source, Heap>;
  static constexpr std::size_t heap_count = Heaps;
  static constexpr std::size_t drain_limit = DrainLimit;
  /// What owner_of answers for a pointer outside every slice.
  static constexpr std::size_t no_heap = Heaps;
  /// Slices start on this boundary, so that two heaps never share a line.
  static constexpr std::size_t slice_alignment = 64;

  constexpr ConcurrentHeap() noexcept = default;
  ConcurrentHeap(const ConcurrentHeap&) = delete;
  ConcurrentHeap& operator=(const ConcurrentHeap&) = delete;

  /// Cuts [memory, memory + bytes) into Heaps equal slices, one per heap.
  /// Call once, before any other member, from one thread. O(Heaps).
  /// Returns false (and changes nothing) if a slice would be smaller than
  /// the heap's smallest pool.
  bool init(void* memory, std::size_t bytes) noexcept {
    const auto start = reinterpret_cast<std::uintptr_t>(memory);
    const std::uintptr_t base = (start + slice_alignment - 1) & ~(slice_alignment - 1);
    if (memory == nullptr || base - start >= bytes) return false;
    const std::size_t slice = ((bytes - (base - start)) / Heaps) & ~(slice_alignment - 1);
    if (slice < 2 * Heap::min_pool_size) return false;
    base_ = base;
    slice_ = slice;
    slice_shift_ = std::has_single_bit(slice) ? std::countr_zero(slice) : 0;
    for (std::size_t i = 0; i < Heaps; ++i) {
      storage_.slots[i].heap.source() = Source(reinterpret_cast<void*>(base + i * slice), slice);
    }
    return true;
  }

  /// Takes the lowest free index, adopting its heap (blocks still live
  /// elsewhere, and its queued remote frees). O(Heaps) compare-exchanges,
  /// for a thread's start, not for each operation. no_heap if every index
  /// is taken.
  std::size_t claim() noexcept {
    for (std::size_t i = 0; i < Heaps; ++i) {
      if (try_claim(i)) return i;
    }
    return no_heap;
  }

  /// Takes index i if it is free. One compare-exchange. False if taken.
  bool try_claim(std::size_t i) noexcept {
    std::uint32_t expected = 0;
    return storage_.slots[i].claimed.compare_exchange_strong(expected, 1, std::memory_order_acquire,
                                                             std::memory_order_relaxed);
  }

  /// Gives index i back (its thread exits), first freeing the remote frees
  /// queued to it at this moment (O(queued), once per thread). Its heap
  /// keeps its blocks for the next claim.
  void release(std::size_t i) noexcept {
    while (drain(i, DrainLimit) == DrainLimit) {
    }
    storage_.slots[i].claimed.store(0, std::memory_order_release);
  }

  /// Heap i allocates `size` bytes, after taking at most DrainLimit remote
  /// frees. O(DrainLimit) heap operations, plus the source when the heap
  /// grows. nullptr if heap i's slice has no room.
  void* allocate(std::size_t i, std::size_t size) noexcept {
    if (!storage_.slots[i].queue.empty()) [[unlikely]]
      return drain_then_allocate(i, size);
    return storage_.slots[i].heap.allocate(size);
  }

  /// As allocate, aligned to `align` (a power of two). nullptr on failure.
  void* allocate(std::size_t i, std::size_t size, std::size_t align) noexcept {
    drain(i, DrainLimit);
    return storage_.slots[i].heap.allocate(size, align);
  }

  /// Heap i frees p: into its own heap if it owns p, else onto the owner's
  /// queue (wait-free). O(DrainLimit) heap operations. nullptr is a no-op;
  /// a pointer outside every slice is reported as invalid_pointer in every
  /// build (O(1): the owner test every free makes) and changes nothing.
  void deallocate(std::size_t i, void* p) noexcept {
    if (p == nullptr) return;
    if (!storage_.slots[i].queue.empty()) [[unlikely]]
      return drain_then_deallocate(i, p);
    deallocate_drained(i, p);
  }

  /// Frees p from a thread that holds no index: onto its owner's queue.
  /// Wait-free. nullptr is a no-op; a pointer outside every slice is
  /// reported as invalid_pointer and changes nothing.
  void deallocate_remote(void* p) noexcept {
    if (p == nullptr) return;
    const std::size_t owner = owner_of(p);
    if (owner == no_heap) [[unlikely]]
      return report_foreign(p, "deallocate");
    storage_.slots[owner].queue.push(p);
  }

  /// Heap i resizes p: in place when heap i owns p, else by moving it into
  /// heap i (and queueing the old block to its owner). nullptr on failure,
  /// p still valid. O(DrainLimit) plus the copy. A pointer outside every
  /// slice is reported as invalid_pointer and gives nullptr.
  void* reallocate(std::size_t i, void* p, std::size_t size) noexcept {
    if (p == nullptr) return allocate(i, size);
    drain(i, DrainLimit);
    const std::size_t owner = owner_of(p);
    if (owner == no_heap) [[unlikely]] {
      report_foreign(p, "reallocate");
      return nullptr;
    }
    if (owner == i) return storage_.slots[i].heap.reallocate(p, size);
    void* moved = storage_.slots[i].heap.allocate(size);
    if (moved == nullptr) return nullptr;
    const std::size_t old = usable_size(p);
    std::memcpy(moved, p, old < size ? old : size);
    storage_.slots[owner].queue.push(p);
    return moved;
  }

  /// The usable bytes of p (a live block of any heap). O(1). 0 for nullptr.
  std::size_t usable_size(const void* p) const noexcept {
    const std::size_t owner = owner_of(p);
    return owner == no_heap ? 0 : storage_.slots[owner].heap.usable_size(p);
  }

  /// The heap whose slice holds p, or no_heap. O(1): one subtraction and
  /// one shift (slices of a power of two bytes) or division.
  std::size_t owner_of(const void* p) const noexcept {
    const auto address = reinterpret_cast<std::uintptr_t>(p);
    if (address < base_ || slice_ == 0) return no_heap;
    const std::uintptr_t offset = address - base_;
    const std::size_t index =
        static_cast<std::size_t>(slice_shift_ != 0 ? offset >> slice_shift_ : offset / slice_);
    return index < Heaps ? index : no_heap;
  }

  /// Heap i frees at most `limit` blocks from its queue. Returns how many.
  /// O(limit) heap operations. The holder of index i only.
  std::size_t drain(std::size_t i, std::size_t limit) noexcept {
    if (storage_.slots[i].queue.empty()) [[likely]]
      return 0;
    return drain_queue(storage_.slots[i], limit);
  }

  /// Heap i itself, for its statistics, check() and trim(). Only the
  /// holder of index i (or anyone, while no thread uses the heap).
  SliceHeap& heap(std::size_t i) noexcept { return storage_.slots[i].heap; }
  const SliceHeap& heap(std::size_t i) const noexcept { return storage_.slots[i].heap; }

  /// The bytes of each slice (0 before init).
  std::size_t slice_bytes() const noexcept { return slice_; }

 private:
  // One heap, its queue and its claim flag, on lines of their own.
  struct alignas(64) Slot {
    SliceHeap heap;
    RemoteFreeQueue queue;
    std::atomic<std::uint32_t> claimed{0};
  };
  // A union member is neither constructed nor destroyed implicitly: the
  // constexpr constructor keeps a static ConcurrentHeap constant-initialized
  // and the empty destructor leaves the heaps alive through static
  // destruction (the memory is the caller's).
  union Storage {
    constexpr Storage() noexcept : slots() {}
    ~Storage() {}
    Slot slots[Heaps];
  };

  // The operations with remote frees waiting: drain, then operate. Apart,
  // so that the common case (an empty queue) makes no call before the heap's.
  [[gnu::noinline]] void* drain_then_allocate(std::size_t i, std::size_t size) noexcept {
    drain_queue(storage_.slots[i], DrainLimit);
    return storage_.slots[i].heap.allocate(size);
  }
  [[gnu::noinline]] void drain_then_deallocate(std::size_t i, void* p) noexcept {
    drain_queue(storage_.slots[i], DrainLimit);
    deallocate_drained(i, p);
  }
  void deallocate_drained(std::size_t i, void* p) noexcept {
    const std::size_t owner = owner_of(p);
    if (owner == i) [[likely]] {
      storage_.slots[i].heap.deallocate(p);
      return;
    }
    if (owner == no_heap) [[unlikely]]
      return report_foreign(p, "deallocate");
    storage_.slots[owner].queue.push(p);
  }

  // A pointer no slice holds: never read, reported.
  [[gnu::cold, gnu::noinline]] void report_foreign(const void* p,
                                                   const char* operation) const noexcept {
    detail::report(ErrorCode::invalid_pointer, operation, this, p);
  }

  // drain's loop, apart from its test, so that every operation's common
  // case (an empty queue) is one load and a branch, not a call.
  [[gnu::noinline]] static std::size_t drain_queue(Slot& slot, std::size_t limit) noexcept {
    std::size_t taken = 0;
    while (taken < limit) {
      void* block = slot.queue.pop();
      if (block == nullptr) break;
      slot.heap.deallocate(block);
      ++taken;
    }
    return taken;
  }

  Storage storage_{};
  std::uintptr_t base_ = 0;
  std::size_t slice_ = 0;
  int slice_shift_ = 0;  // log2(slice_) when slice_ is a power of two, else 0
};

}  // namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE
