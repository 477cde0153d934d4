// SPDX-License-Identifier: MIT OR Apache-2.0
// Lock policies for the synchronized allocators (SynchronizedHandlePool,
// SynchronizedTlsfResource, GlobalHeap).
//
// A lock policy is any type with lock() and unlock() (C++'s BasicLockable):
// std::mutex, rtalloc::SpinLock, rtalloc::NoLock, or one of your own that
// takes an RTOS mutex or masks interrupts. The global heap also needs it to
// be constexpr default-constructible, so that it is ready before main().
#pragma once

#include <concepts>

namespace rtalloc {

/// lock() and unlock(): what every synchronized allocator needs of a lock.
template <class L>
concept lock_policy = requires(L& lock) {
  lock.lock();
  lock.unlock();
};

/// The lock of a program with one thread and no interrupt handler that
/// allocates: both calls do nothing.
struct NoLock {
  constexpr void lock() noexcept {}
  constexpr void unlock() noexcept {}
};

namespace detail {
/// std::lock_guard without <mutex>, for the freestanding headers.
template <lock_policy Lock>
class LockGuard {
 public:
  explicit LockGuard(Lock& lock) noexcept : lock_(lock) { lock_.lock(); }
  ~LockGuard() { lock_.unlock(); }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;

 private:
  Lock& lock_;
};
}  // namespace detail
}  // namespace rtalloc
