// SPDX-License-Identifier: MIT OR Apache-2.0
// rtalloc::GlobalHeap — one process-wide heap behind a lock.
//
//   using Heap = rtalloc::GlobalHeap<rtalloc::SpinLock>;          // over rtalloc::Tlsf<>
//   alignas(16) static std::byte ram[64 * 1024];
//   Heap::add_pool(ram, sizeof ram);
//   void* p = Heap::allocate(100);
//
//   using Grows = rtalloc::GlobalHeap<std::mutex, rtalloc::FlexTlsf<rtalloc::OsPages>>;
//
// The heap and its lock live in static storage that is constant-initialized
// (in .bss or .data, before any code runs) and never destroyed, so the heap
// works in static constructors, before main(), and in static destructors and
// atexit handlers after main() returns: there is no initialization-order or
// destruction-order problem. Each <Lock, Heap, Tag> is a distinct heap; use
// Tag to have two heaps of the same types.
//
// Lock is the hook for your platform: any type with lock() and unlock() that
// is constexpr default-constructible (std::mutex, rtalloc::SpinLock,
// rtalloc::NoLock, rtalloc::InterruptLock on Cortex-M, or a wrapper around
// an RTOS mutex; see docs/growing.md). Every call takes the lock once.
// Freestanding.
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>

#include "rtalloc/config.hpp"
#include "rtalloc/sync/synchronized.hpp"
#include "rtalloc/tlsf.hpp"

namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE {

template <lock_policy Lock, class Heap = Tlsf<>, class Tag = void>
class GlobalHeap {
 public:
  /// The one heap and its lock, shared by every handle.
  using Shared = Synchronized<Heap, Lock>;

  /// An empty handle to the one heap: every member is static, so any handle
  /// reaches the same heap. It lets GlobalHeap model rtalloc::heap for the
  /// adapters (StdAllocator, TlsfResource).
  constexpr GlobalHeap() noexcept = default;

  /// As Heap::add_pool (for heaps over caller-provided memory), under the
  /// lock.
  static std::size_t add_pool(void* memory, std::size_t bytes) noexcept {
    return shared().with([=](Heap& heap) { return heap.add_pool(memory, bytes); });
  }

  /// As Heap::allocate(size), under the lock. O(1) plus the lock (and, for a
  /// growing heap, its source when it grows). nullptr on failure.
  static void* allocate(std::size_t size) noexcept { return shared().allocate(size); }

  /// As Heap::allocate(size, align), under the lock. nullptr on failure.
  static void* allocate(std::size_t size, std::size_t align) noexcept {
    return shared().allocate(size, align);
  }

  /// As Heap::reallocate, under the lock (the copy, when the block moves,
  /// too). nullptr on failure, leaving `p` valid.
  static void* reallocate(void* p, std::size_t size) noexcept {
    return shared().reallocate(p, size);
  }

  /// As Heap::deallocate, under the lock. nullptr is a no-op (no lock).
  static void deallocate(void* p) noexcept { shared().deallocate(p); }

  /// As Heap::usable_size, under the lock.
  static std::size_t usable_size(const void* p) noexcept { return shared().usable_size(p); }

  /// As Heap::owns, under the lock.
  static bool owns(const void* p) noexcept { return shared().owns(p); }

  /// Runs f(heap) under the lock and returns what it returns: for
  /// statistics, check(), walk(), trim() and anything else the heap offers.
  template <class F>
  static decltype(auto) with_heap(F&& f) {
    return shared().with(std::forward<F>(f));
  }

  /// The lock itself, for code that must hold it across calls (a fork
  /// handler takes it before fork() and releases it in both processes).
  static Lock& lock() noexcept { return shared().lock(); }

  /// The heap without the lock, for single-threaded set-up and tests.
  static Heap& unlocked_heap() noexcept { return shared().unlocked(); }

  /// The heap and its lock.
  static Shared& shared() noexcept { return storage_.shared; }

 private:
  // A union member is neither constructed nor destroyed implicitly: the
  // constexpr constructor makes the storage constant-initialized, and the
  // empty destructor leaves the heap alive through static destruction.
  union Storage {
    constexpr Storage() noexcept : shared() {}
    ~Storage() {}
    Shared shared;
  };

  static constinit inline Storage storage_{};
};

}  // namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE
