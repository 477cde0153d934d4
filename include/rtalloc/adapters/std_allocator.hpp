// SPDX-License-Identifier: MIT OR Apache-2.0
// rtalloc::StdAllocator — a standard Allocator over an rtalloc heap, for
// std::vector, std::map, std::list, std::allocate_shared and the rest.
//
// Freestanding like the heaps: without exceptions (-fno-exceptions), a
// failed allocation traps instead of throwing std::bad_alloc.
#pragma once

#include <cstddef>
#include <limits>
#include <new>
#include <type_traits>

#include "rtalloc/concepts.hpp"
#include "rtalloc/config.hpp"

namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE {

/// Allocates T objects from a heap it refers to (it does not own the heap).
///
/// Two allocators are equal when they refer to the same heap. Copy, move and
/// swap of a container carry its allocator along (the propagate_on_container_*
/// traits are true), so a container never needs to copy elements one by one
/// because its allocator stayed behind, and memory always returns to the heap
/// it came from. The heap must outlive every container using it; the heap is
/// not thread-safe unless the heap type says so.
template <class T, heap Heap>
class StdAllocator {
 public:
  using value_type = T;
  using propagate_on_container_copy_assignment = std::true_type;
  using propagate_on_container_move_assignment = std::true_type;
  using propagate_on_container_swap = std::true_type;
  using is_always_equal = std::false_type;

  template <class U>
  struct rebind {
    using other = StdAllocator<U, Heap>;
  };

  constexpr explicit StdAllocator(Heap& heap) noexcept : heap_(&heap) {}
  template <class U>
  constexpr StdAllocator(const StdAllocator<U, Heap>& other) noexcept : heap_(&other.heap()) {}

  /// Storage for n objects, aligned for T. O(1) (the heap's allocate).
  /// Throws std::bad_alloc when the heap has no room or n * sizeof(T)
  /// overflows (traps when built without exceptions).
  [[nodiscard]] T* allocate(std::size_t n) {
    if (n > std::numeric_limits<std::size_t>::max() / sizeof(T)) out_of_memory();
    void* p = alignof(T) > alignof(std::max_align_t) ? heap_->allocate(n * sizeof(T), alignof(T))
                                                     : heap_->allocate(n * sizeof(T));
    if (p == nullptr) out_of_memory();
    return static_cast<T*>(p);
  }

  /// Returns storage from allocate(n) to the heap. O(1).
  void deallocate(T* p, std::size_t) noexcept { heap_->deallocate(p); }

  /// The heap this allocator draws from.
  Heap& heap() const noexcept { return *heap_; }

  template <class U>
  friend bool operator==(const StdAllocator& a, const StdAllocator<U, Heap>& b) noexcept {
    return &a.heap() == &b.heap();
  }

 private:
  [[noreturn]] static void out_of_memory() {
#if defined(__cpp_exceptions)
    throw std::bad_alloc();
#else
    __builtin_trap();
#endif
  }

  Heap* heap_;
};

}  // namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE
