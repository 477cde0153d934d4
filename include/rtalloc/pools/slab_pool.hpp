// SPDX-License-Identifier: MIT OR Apache-2.0
// rtalloc::SlabPool — a lock-free pool of fixed-size slots for one type,
// inside a block of memory the caller provides.
//
// Any number of threads (or cores, or interrupt handlers) may allocate and
// deallocate at once without locks:
//
//   alignas(Message) static std::byte memory[16 * 1024];
//   rtalloc::SlabPool<Message> pool(memory, sizeof memory);
//   Message* m = pool.create(42);   // nullptr when the pool is exhausted
//   pool.destroy(m);
//
// Layout of the caller's block:
//
//   [Control: head, available count][next index per slot][slot][slot]...
//
// Free slots form a stack (a Treiber stack). Its links are kept in their own
// array of atomic indices, not inside the slots, so no thread ever reads a
// slot another thread is writing. The head holds the top slot's index and a
// tag that changes on every push and pop, so a thread that read the head,
// was delayed, and then compares it again cannot mistake a head that was
// popped and pushed back in the meantime for an unchanged one (the ABA
// problem).
//
// Progress and ordering: allocate and deallocate are lock-free (a thread
// retries only when another thread's operation succeeded) and take O(1)
// steps apart from those retries; deallocate releases and allocate acquires
// the head, so what a thread wrote into a slot before freeing it is visible
// to the thread that allocates it next.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <new>
#include <type_traits>
#include <utility>

#include "rtalloc/config.hpp"
#include "rtalloc/detail/assert.hpp"
#include "rtalloc/detail/bits.hpp"

namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE {

namespace detail {

// The tagged head word: the widest unsigned type whose atomic is lock-free.
// With 64 bits, the index and the tag take 32 bits each; with 32 bits (for
// example on Cortex-M, which has 32-bit compare-and-swap only), 16 each.
using SlabHeadWord = std::conditional_t<std::atomic<std::uint64_t>::is_always_lock_free,
                                        std::uint64_t, std::uint32_t>;

}  // namespace detail

/// A lock-free pool of slots for T in caller-provided memory.
///
/// Capacity: (bytes - control_bytes, after alignment) / (slot_size + 4),
/// at most max_capacity. The bookkeeping inside the block is control_bytes
/// plus 4 bytes per slot.
///
/// With a 32-bit head word the tag has 16 bits: a thread delayed between
/// reading and swapping the head for exactly a multiple of 65,536 other pool
/// operations could be fooled. With 64-bit atomics the tag has 32 bits.
template <class T, class HeadWord = detail::SlabHeadWord>
class SlabPool {
  static_assert(std::is_unsigned_v<HeadWord> && (sizeof(HeadWord) == 4 || sizeof(HeadWord) == 8),
                "SlabPool: HeadWord must be a 32- or 64-bit unsigned integer.");
  static_assert(std::atomic<HeadWord>::is_always_lock_free,
                "SlabPool: the head word's atomic must be lock-free on this target.");

  static constexpr unsigned index_bits = sizeof(HeadWord) * 4;  // half the word
  static constexpr HeadWord index_mask = (HeadWord{1} << index_bits) - 1;
  static constexpr std::uint32_t no_slot = static_cast<std::uint32_t>(index_mask);
  // An allocated slot's link holds this instead of a next index.
  static constexpr std::uint32_t in_use = no_slot - 1;

  struct Control {
    std::atomic<HeadWord> head;
    std::atomic<std::uint32_t> available;
  };

 public:
  using value_type = T;

  /// Bytes of one slot: T's size rounded up to its alignment.
  static constexpr std::size_t slot_size = detail::align_up(sizeof(T), alignof(T));
  /// Bytes of bookkeeping at the start of the block, besides 4 per slot.
  static constexpr std::size_t control_bytes = sizeof(Control);
  /// The largest number of slots the head word can index (two index values
  /// are reserved: end of list, and in use).
  static constexpr std::size_t max_capacity = static_cast<std::size_t>(index_mask) - 2;

  /// An empty pool with no memory: every allocate returns nullptr.
  constexpr SlabPool() noexcept = default;

  /// Lays the pool out in [memory, memory + bytes): any alignment; the
  /// memory must stay valid while the pool is used. O(capacity) to thread
  /// the free list; not thread-safe (construct before sharing). A block too
  /// small for one slot gives a pool of capacity 0.
  SlabPool(void* memory, std::size_t bytes) noexcept {
    const auto start = reinterpret_cast<std::uintptr_t>(memory);
    if (memory == nullptr || bytes > std::numeric_limits<std::uintptr_t>::max() - start) return;
    const std::uintptr_t end = start + bytes;
    const std::uintptr_t control = detail::align_up(start, alignof(Control));
    const std::uintptr_t links = detail::align_up(control + sizeof(Control), alignof(Link));
    if (links > end) return;
    // capacity * (4 + slot_size) plus the alignment of the slot array must fit.
    const std::size_t room = end - links;
    std::size_t capacity = room / (sizeof(Link) + slot_size);
    if (capacity > max_capacity) capacity = max_capacity;
    std::uintptr_t slots = 0;
    while (capacity > 0) {
      slots = detail::align_up(links + capacity * sizeof(Link), alignof(T));
      if (slots + capacity * slot_size <= end) break;
      --capacity;
    }
    if (capacity == 0) return;

    control_ = reinterpret_cast<Control*>(control);
    links_ = reinterpret_cast<Link*>(links);
    slots_ = reinterpret_cast<std::byte*>(slots);
    capacity_ = static_cast<std::uint32_t>(capacity);
    for (std::uint32_t i = 0; i < capacity_; ++i) {
      new (&links_[i]) Link(i + 1 < capacity_ ? i + 1 : no_slot);
    }
    new (control_) Control{{pack(0, 0)}, {capacity_}};
  }

  SlabPool(const SlabPool&) = delete;
  SlabPool& operator=(const SlabPool&) = delete;

  /// Storage for one T (uninitialized), or nullptr when every slot is in
  /// use. Lock-free; O(1) apart from retries caused by other threads.
  [[nodiscard]] T* allocate() noexcept {
    if (control_ == nullptr) return nullptr;
    HeadWord head = control_->head.load(std::memory_order_acquire);
    for (;;) {
      const std::uint32_t index = index_of(head);
      if (index == no_slot) return nullptr;
      RTALLOC_ASSERT(index < capacity_, "slab: the free stack's head names no slot", this, slots_);
      const std::uint32_t next = links_[index].load(std::memory_order_relaxed);
      if (control_->head.compare_exchange_weak(head, pack(next, tag_of(head) + 1),
                                               std::memory_order_acquire,
                                               std::memory_order_acquire)) {
        links_[index].store(in_use, std::memory_order_relaxed);
        control_->available.fetch_sub(1, std::memory_order_relaxed);
        return reinterpret_cast<T*>(slots_ + std::size_t{index} * slot_size);
      }
    }
  }

  /// Returns the slot at `p` to the pool and returns true. Lock-free; O(1)
  /// apart from retries caused by other threads. Returns false, changing
  /// nothing, for nullptr and for any pointer that is not a slot of this
  /// pool allocated now: a double free (also from two threads at once), a
  /// slot never allocated, a foreign or interior pointer.
  bool deallocate(T* p) noexcept {
    if (!claim(p)) return false;
    push(slot_index(p));
    return true;
  }

  /// allocate() and construct a T from `args`; nullptr when exhausted.
  template <class... Args>
  [[nodiscard]] T* create(Args&&... args) noexcept(std::is_nothrow_constructible_v<T, Args...>) {
    T* p = allocate();
    return p == nullptr ? nullptr : new (p) T(std::forward<Args>(args)...);
  }

  /// Destroys *p and deallocate()s it. Returns false, destroying nothing,
  /// where deallocate() would (nullptr, a double destroy, a foreign pointer).
  bool destroy(T* p) noexcept {
    if (!claim(p)) return false;
    p->~T();
    push(slot_index(p));
    return true;
  }

  /// Number of slots. O(1).
  std::size_t capacity() const noexcept { return capacity_; }

  /// Free slots: exact when no other thread is using the pool, a recent
  /// value otherwise. O(1).
  std::size_t available() const noexcept {
    return control_ == nullptr ? 0 : control_->available.load(std::memory_order_relaxed);
  }

  /// True if `p` is the start of one of this pool's slots. O(1).
  bool owns(const void* p) const noexcept {
    const auto address = reinterpret_cast<std::uintptr_t>(p);
    const auto first = reinterpret_cast<std::uintptr_t>(slots_);
    return slots_ != nullptr && address >= first &&
           address < first + std::size_t{capacity_} * slot_size &&
           (address - first) % slot_size == 0;
  }

 private:
  using Link = std::atomic<std::uint32_t>;
  static_assert(Link::is_always_lock_free, "SlabPool: needs lock-free 32-bit atomics.");

  std::uint32_t slot_index(const T* p) const noexcept {
    return static_cast<std::uint32_t>(
        (reinterpret_cast<std::uintptr_t>(p) - reinterpret_cast<std::uintptr_t>(slots_)) /
        slot_size);
  }

  // Takes an allocated slot out of use: only one claim of an allocation can
  // succeed, so a second free of it (from any thread) is refused.
  bool claim(const T* p) noexcept {
    if (p == nullptr || !owns(p)) return false;
    std::uint32_t expected = in_use;
    return links_[slot_index(p)].compare_exchange_strong(expected, no_slot,
                                                         std::memory_order_relaxed);
  }

  // Pushes a claimed slot onto the free stack.
  void push(std::uint32_t index) noexcept {
    RTALLOC_ASSERT(links_[index].load(std::memory_order_relaxed) == no_slot,
                   "slab: pushing a slot that was not claimed", this,
                   slots_ + std::size_t{index} * slot_size);
    HeadWord head = control_->head.load(std::memory_order_relaxed);
    for (;;) {
      links_[index].store(index_of(head), std::memory_order_relaxed);
      if (control_->head.compare_exchange_weak(head, pack(index, tag_of(head) + 1),
                                               std::memory_order_release,
                                               std::memory_order_relaxed)) {
        control_->available.fetch_add(1, std::memory_order_relaxed);
        return;
      }
    }
  }

  static constexpr HeadWord pack(std::uint32_t index, HeadWord tag) noexcept {
    return static_cast<HeadWord>((tag << index_bits) | (HeadWord{index} & index_mask));
  }
  static constexpr std::uint32_t index_of(HeadWord head) noexcept {
    return static_cast<std::uint32_t>(head & index_mask);
  }
  static constexpr HeadWord tag_of(HeadWord head) noexcept { return head >> index_bits; }

  Control* control_ = nullptr;
  Link* links_ = nullptr;
  std::byte* slots_ = nullptr;
  std::uint32_t capacity_ = 0;
};

}  // namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE
