// SPDX-License-Identifier: MIT OR Apache-2.0
// rtalloc's extension points, one concept each: what an adapter needs of a
// heap, what a synchronized wrapper needs of a lock, and what a growing heap
// needs of the source of its pools. Every rtalloc type models the concept
// of its kind; a type of your own can model it too.
//
// Freestanding: this header depends on nothing else of rtalloc.
#pragma once

#include <concepts>
#include <cstddef>

#include "rtalloc/config.hpp"

namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE {

/// A heap: allocate(size) returns memory aligned to alignof(std::max_align_t)
/// or nullptr; allocate(size, align) takes any power-of-two alignment;
/// deallocate(p) takes what either returned (nullptr is a no-op); owns(p)
/// says whether p lies in the heap's memory. The adapters (StdAllocator,
/// TlsfResource) accept any heap.
template <class H>
concept heap = requires(H& h, const H& ch, void* p, std::size_t n) {
  { h.allocate(n) } -> std::same_as<void*>;
  { h.allocate(n, n) } -> std::same_as<void*>;
  h.deallocate(p);
  { ch.owns(p) } -> std::same_as<bool>;
};

/// A lock: lock() and unlock() (C++'s BasicLockable): std::mutex,
/// rtalloc::SpinLock, rtalloc::NoLock, rtalloc::InterruptLock, or one of
/// your own that takes an RTOS mutex. GlobalHeap also needs it to be
/// constexpr default-constructible, so that it is ready before main().
template <class L>
concept lock_policy = requires(L& lock) {
  lock.lock();
  lock.unlock();
};

/// A span of memory that a pool source hands out. {nullptr, 0} means none.
struct Region {
  void* memory = nullptr;
  std::size_t bytes = 0;
};

/// A pool source. acquire(min_bytes) returns a region of at least min_bytes
/// bytes, aligned to alignof(std::max_align_t), or {nullptr, 0}; it may
/// return more (its growth step). release(region) takes back a region that
/// acquire returned, with any bytes grow added.
template <class S>
concept pool_source = requires(S& source, Region region, std::size_t bytes) {
  { source.acquire(bytes) } -> std::same_as<Region>;
  source.release(region);
};

/// A source that can extend a region in place: grow(region, min_bytes)
/// makes the memory right after the region's end usable and returns how
/// many bytes it added (at least min_bytes), or 0 if it cannot.
template <class S>
concept growable_pool_source = pool_source<S> &&
    requires(S& source, Region region, std::size_t bytes) {
  { source.grow(region, bytes) } -> std::same_as<std::size_t>;
};

/// A source that can take back the physical memory of pages whose contents
/// no longer matter, keeping their addresses usable (they read as zero
/// afterwards): discard(memory, bytes) works on the whole pages inside the
/// range and returns how many bytes it discarded.
template <class S>
concept discarding_pool_source = pool_source<S> &&
    requires(S& source, void* memory, std::size_t bytes) {
  { source.discard(memory, bytes) } -> std::same_as<std::size_t>;
};

/// A source that can say where every region it will hand out lies
/// (reservation(): one span of addresses, or {nullptr, 0} if it cannot) and
/// give zeroed memory for bookkeeping about that span, outside it
/// (acquire_metadata(bytes), taken back by release_metadata). A heap with a
/// small-object layer keeps its slab map there.
template <class S>
concept metadata_pool_source = pool_source<S> &&
    requires(S& source, Region region, std::size_t bytes) {
  { source.reservation() } -> std::same_as<Region>;
  { source.acquire_metadata(bytes) } -> std::same_as<Region>;
  source.release_metadata(region);
};

}  // namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE
