// SPDX-License-Identifier: MIT OR Apache-2.0
// rtalloc::InterruptLock — a lock for Arm Cortex-M (M-profile) programs
// that share a heap or pool between the main loop and interrupt handlers:
// lock() masks interrupts, unlock() restores the mask lock() found.
//
// Only for M-profile targets (Cortex-M0 to M85); there is no portable way to
// mask interrupts, so other targets get a compile error.
#pragma once

#if !defined(__ARM_ARCH_PROFILE) || __ARM_ARCH_PROFILE != 'M'
#error "rtalloc/sync/interrupt_lock.hpp is for Arm M-profile (Cortex-M) targets only."
#endif

#include <cstdint>

#include "rtalloc/config.hpp"

namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE {

/// Masks every configurable-priority interrupt (PRIMASK) while held. Models
/// rtalloc::lock_policy and is constexpr-constructible, so it suits
/// GlobalHeap and the Synchronized pools.
///
/// lock() saves PRIMASK and sets it; unlock() writes the saved value back,
/// so a lock taken where interrupts were already masked (in a handler, or
/// inside another critical section) leaves them masked on unlock. Not
/// reentrant on one object: do not lock the same lock twice. Each call is a
/// few instructions; the time interrupts stay masked is the time the lock is
/// held, which for rtalloc's heaps and pools is bounded (O(1) operations).
/// NMI and HardFault are never masked: they must not use a locked heap.
/// Single-core only: masking interrupts excludes nothing on another core.
class InterruptLock {
 public:
  constexpr InterruptLock() noexcept = default;
  InterruptLock(const InterruptLock&) = delete;
  InterruptLock& operator=(const InterruptLock&) = delete;

  void lock() noexcept {
    std::uint32_t primask;
    asm volatile("mrs %0, primask" : "=r"(primask));
    asm volatile("cpsid i" ::: "memory");
    saved_primask_ = primask;
  }

  void unlock() noexcept {
    const std::uint32_t primask = saved_primask_;
    asm volatile("msr primask, %0" ::"r"(primask) : "memory");
  }

 private:
  std::uint32_t saved_primask_ = 0;
};

}  // namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE
