// SPDX-License-Identifier: MIT OR Apache-2.0
// rtalloc::Synchronized<T, Lock> — any allocator behind a lock: the one
// wrapper that makes a heap or a pool safe to share between threads (or
// between a main loop and interrupt handlers), and the lock that does nothing.
//
//   rtalloc::Synchronized<rtalloc::Tlsf<>, rtalloc::SpinLock> heap(memory, bytes);
//   void* p = heap.allocate(100);                          // under the lock
//   heap.with([](auto& h) { return h.check(); });          // anything else, under the lock
//
//   rtalloc::Tlsf<> existing(memory, bytes);
//   rtalloc::Synchronized<rtalloc::Tlsf<>&, std::mutex> shared(existing);  // by reference
//
// Each forwarding call takes the lock once, for as long as the wrapped call
// runs: the cost of the operation plus the lock's. A lock is any type that
// models rtalloc::lock_policy (<rtalloc/concepts.hpp>). Freestanding.
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>

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

/// A T (a heap, a pool, or a reference to one) whose every use runs under
/// one Lock. The members that T has among allocate, deallocate, reallocate,
/// usable_size, owns (the heap operations, so that Synchronized<Heap>
/// models rtalloc::heap) and free, with_block, valid, capacity, available
/// (the handle pools') are forwarded under the lock; with() runs anything else under it.
/// constexpr-constructible when T and Lock are, so a static Synchronized is
/// constant-initialized.
template <class T, lock_policy Lock>
class Synchronized {
 public:
  using value_type = std::remove_reference_t<T>;

  /// Constructs T from `args` (nothing, memory and bytes, or the object a
  /// reference T refers to).
  template <class... Args>
  constexpr explicit Synchronized(Args&&... args) noexcept(
      std::is_nothrow_constructible_v<T, Args...>)
      : value_(std::forward<Args>(args)...) {}

  Synchronized(const Synchronized&) = delete;
  Synchronized& operator=(const Synchronized&) = delete;

  /// Runs f(value) under the lock and returns what it returns: for
  /// statistics, check(), walk() and everything else T offers. Keep f short:
  /// it holds every other user back.
  template <class F>
  decltype(auto) with(F&& f) {
    detail::LockGuard<Lock> guard(lock_);
    return std::forward<F>(f)(static_cast<value_type&>(value_));
  }
  template <class F>
  decltype(auto) with(F&& f) const {
    detail::LockGuard<Lock> guard(lock_);
    return std::forward<F>(f)(static_cast<const value_type&>(value_));
  }

  /// T::allocate(size) under the lock (a heap's, or a handle pool's
  /// allocate(length)), and T::allocate(size, align).
  decltype(auto) allocate(std::size_t size) noexcept requires requires(value_type& v) {
    v.allocate(size);
  }
  {
    return with([size](value_type& v) -> decltype(auto) { return v.allocate(size); });
  }
  decltype(auto) allocate(std::size_t size, std::size_t align) noexcept requires
      requires(value_type& v) {
    v.allocate(size, align);
  }
  {
    return with([=](value_type& v) -> decltype(auto) { return v.allocate(size, align); });
  }

  /// T::reallocate(p, size) under the lock (the copy, when a block moves,
  /// too).
  void* reallocate(void* p, std::size_t size) noexcept requires requires(value_type& v) {
    v.reallocate(p, size);
  }
  {
    return with([=](value_type& v) { return v.reallocate(p, size); });
  }

  /// T::deallocate(p) under the lock; a null pointer takes no lock.
  void deallocate(void* p) noexcept requires requires(value_type& v) { v.deallocate(p); }
  {
    if (p == nullptr) return;
    with([p](value_type& v) { v.deallocate(p); });
  }

  /// T::usable_size(p) under the lock.
  std::size_t usable_size(const void* p) const noexcept requires requires(const value_type& v) {
    v.usable_size(p);
  }
  {
    return with([p](const value_type& v) { return v.usable_size(p); });
  }

  /// T::owns(p) under the lock.
  bool owns(const void* p) const noexcept requires requires(const value_type& v) { v.owns(p); }
  {
    return with([p](const value_type& v) { return v.owns(p); });
  }

  /// T::free(handle) under the lock (handle pools).
  template <class Handle>
  decltype(auto) free(Handle handle) noexcept requires requires(value_type& v) {
    v.free(handle);
  }
  {
    return with([handle](value_type& v) -> decltype(auto) { return v.free(handle); });
  }

  /// T::with_block(handle, f) under the lock (handle pools): f sees the
  /// block's bytes while no other thread can free it.
  template <class Handle, class F>
  bool with_block(Handle handle, F&& f) requires requires(value_type& v) {
    v.with_block(handle, std::forward<F>(f));
  }
  {
    return with([&](value_type& v) { return v.with_block(handle, std::forward<F>(f)); });
  }

  /// T::valid(handle) under the lock: a snapshot, another thread may free
  /// the handle right after.
  template <class Handle>
  bool valid(Handle handle) const noexcept requires requires(const value_type& v) {
    v.valid(handle);
  }
  {
    return with([handle](const value_type& v) { return v.valid(handle); });
  }

  /// T::capacity() and T::available() under the lock (pools).
  std::size_t capacity() const noexcept requires requires(const value_type& v) { v.capacity(); }
  {
    return with([](const value_type& v) { return v.capacity(); });
  }
  std::size_t available() const noexcept requires requires(const value_type& v) { v.available(); }
  {
    return with([](const value_type& v) { return v.available(); });
  }

  /// The lock itself, for code that must hold it across calls (a fork
  /// handler takes it before fork() and releases it in both processes).
  Lock& lock() const noexcept { return lock_; }

  /// T without the lock, for single-threaded set-up and tests.
  value_type& unlocked() noexcept { return value_; }
  const value_type& unlocked() const noexcept { return value_; }

 private:
  T value_;
  mutable Lock lock_;
};

}  // namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE
