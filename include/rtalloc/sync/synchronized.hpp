// SPDX-License-Identifier: MIT OR Apache-2.0
// Locking for the synchronized allocators (SynchronizedHandlePool,
// SynchronizedTlsfResource, GlobalHeap): the lock that does nothing and the
// guard they share. A lock is any type that models rtalloc::lock_policy
// (<rtalloc/concepts.hpp>). Freestanding.
#pragma once

#include "rtalloc/concepts.hpp"
#include "rtalloc/config.hpp"

namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE {

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
}  // namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE
