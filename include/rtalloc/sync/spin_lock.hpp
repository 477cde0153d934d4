// SPDX-License-Identifier: MIT OR Apache-2.0
// rtalloc::SpinLock — a minimal BasicLockable for the synchronized pools,
// freestanding (one atomic flag; no operating system).
#pragma once

#include <atomic>

#include "rtalloc/config.hpp"

namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE {

/// A test-and-test-and-set spin lock. Waiters spin; use it where critical
/// sections are a few dozen instructions (as in rtalloc's pools) and the
/// lock holder cannot be preempted by a waiter of higher priority that
/// never yields (on an RTOS, prefer its mutex or masking interrupts).
class SpinLock {
 public:
  constexpr SpinLock() noexcept = default;
  SpinLock(const SpinLock&) = delete;
  SpinLock& operator=(const SpinLock&) = delete;

  void lock() noexcept {
    while (locked_.exchange(true, std::memory_order_acquire)) {
      while (locked_.load(std::memory_order_relaxed)) {
      }
    }
  }
  bool try_lock() noexcept { return !locked_.exchange(true, std::memory_order_acquire); }
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> locked_{false};
};

}  // namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE
