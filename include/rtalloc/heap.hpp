// SPDX-License-Identifier: MIT OR Apache-2.0
// What the adapters (StdAllocator, TlsfResource) need from a heap.
//
// Any rtalloc heap models rtalloc::heap, so every adapter works with every
// heap; a heap of your own can model it too.
#pragma once

#include <concepts>
#include <cstddef>

namespace rtalloc {

/// A heap: allocate(size) returns memory aligned to alignof(std::max_align_t)
/// or nullptr; allocate(size, align) takes any power-of-two alignment;
/// deallocate(p) takes what either returned (nullptr is a no-op); owns(p)
/// says whether p lies in the heap's memory.
template <class H>
concept heap = requires(H& h, const H& ch, void* p, std::size_t n) {
  { h.allocate(n) } -> std::same_as<void*>;
  { h.allocate(n, n) } -> std::same_as<void*>;
  h.deallocate(p);
  { ch.owns(p) } -> std::same_as<bool>;
};

}  // namespace rtalloc
