// SPDX-License-Identifier: MIT OR Apache-2.0
// rtalloc::HandlePool — fixed-size blocks named by generation-checked
// handles instead of pointers.
//
//   rtalloc::HandlePool<64, 128> pool;             // 128 blocks of 64 bytes inside the object
//   auto [handle, data, error] = pool.allocate(20);
//   pool.free(handle);
//   pool.get(handle).data() == nullptr;            // a freed handle never reaches memory again
//
// A handle packs a slot index and the slot's generation. A slot's
// generation is odd while the slot is allocated and even while it is free;
// allocate and free each advance it by one. So a handle matches its slot
// only during the one allocation that issued it: after the free, and after
// any later reuse of the slot, it is stale. Handle value 0 is never valid.
//
// With G generation bits a slot can be allocated 2^(G-1) times before its
// generation would wrap. By default (RetireOnWrap) the slot is then retired,
// never to be reused, so a stale handle can never become valid again; the
// pool's capacity shrinks by one. Without it the generation wraps and a
// handle kept through 2^(G-1) reuses of its slot would match again.
//
// Every operation is O(1). The pool is not thread-safe: share it between
// threads as rtalloc::Synchronized<HandlePool<...>, Lock>
// (<rtalloc/sync/synchronized.hpp>).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <new>
#include <span>
#include <type_traits>
#include <utility>

#include "rtalloc/config.hpp"
#include "rtalloc/detail/assert.hpp"
#include "rtalloc/detail/bits.hpp"
#include "rtalloc/pools/pool_error.hpp"

namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE {

/// How handles are laid out: IndexBits for the slot index (capacity up to
/// 2^IndexBits - 1), GenerationBits for the generation; together at most 64.
template <unsigned IndexBits = 20, unsigned GenerationBits = 12>
struct HandleLayout {
  static_assert(IndexBits >= 1 && GenerationBits >= 2 && IndexBits + GenerationBits <= 64,
                "HandleLayout: need IndexBits >= 1, GenerationBits >= 2, and at most 64 in all.");
  using Word = std::conditional_t<(IndexBits + GenerationBits <= 32), std::uint32_t, std::uint64_t>;
  static constexpr unsigned index_bits = IndexBits;
  static constexpr unsigned generation_bits = GenerationBits;
};

/// Capacity value meaning "the blocks are in memory given to the constructor".
inline constexpr std::size_t caller_memory = 0;

/// A pool of Capacity blocks of BlockSize bytes, or, with Capacity ==
/// caller_memory, of as many as fit in the memory given to the constructor.
template <std::size_t BlockSize, std::size_t Capacity = caller_memory,
          class Layout = HandleLayout<>, bool RetireOnWrap = true>
class HandlePool {
 public:
  using Word = typename Layout::Word;

  /// A block's name. Value 0 is never valid; compare handles with ==.
  struct Handle {
    Word value = 0;
    friend constexpr bool operator==(Handle, Handle) noexcept = default;
  };

  /// What allocate returns: on success a handle and the block's first
  /// `length` bytes; otherwise an error and no handle.
  struct Allocation {
    Handle handle;
    std::span<std::byte> data;
    PoolError error;
    explicit operator bool() const noexcept { return error == PoolError::none; }
  };

  static constexpr std::size_t block_size = BlockSize;
  /// The most slots a handle can name.
  static constexpr std::size_t max_capacity = (std::size_t{1} << Layout::index_bits) - 1;
  /// Allocations of one slot before its generation would wrap.
  static constexpr std::uint64_t uses_per_slot = std::uint64_t{1} << (Layout::generation_bits - 1);

 private:
  struct Slot {
    Word generation;     // odd: allocated
    std::uint32_t size;  // bytes asked for
    std::uint32_t next;  // next free slot, while free
    alignas(std::max_align_t) std::byte data[BlockSize];
  };
  static constexpr bool internal_storage = Capacity != caller_memory;
  static constexpr std::uint32_t no_slot = std::numeric_limits<std::uint32_t>::max();
  static constexpr Word index_mask = (Word{1} << Layout::index_bits) - 1;
  static constexpr Word generation_mask = (Word{1} << Layout::generation_bits) - 1;

  static_assert(BlockSize >= 1 && BlockSize <= std::numeric_limits<std::uint32_t>::max(),
                "HandlePool: BlockSize must be from 1 to 2^32 - 1 bytes.");
  static_assert(Capacity <= max_capacity && Capacity < no_slot,
                "HandlePool: Capacity needs more index bits (HandleLayout<IndexBits, ...>).");

 public:
  /// Bytes one block costs in caller memory (its data plus 16 or so of
  /// bookkeeping, rounded to the data's alignment).
  static constexpr std::size_t slot_bytes = sizeof(Slot);

  /// A pool with its blocks inside the object (Capacity > 0).
  constexpr HandlePool() noexcept requires internal_storage : slots_(inline_slots_),
                                                              capacity_(Capacity) {
    thread_free_list();
  }

  /// A pool over [memory, memory + bytes) (Capacity == caller_memory): as
  /// many blocks as fit, up to max_capacity. The memory may have any
  /// alignment and must outlive the pool. O(blocks) to thread the free list.
  HandlePool(void* memory, std::size_t bytes) noexcept requires(!internal_storage) {
    if (memory == nullptr) return;
    const auto start = reinterpret_cast<std::uintptr_t>(memory);
    const std::uintptr_t first = detail::align_up(start, alignof(Slot));
    if (first - start >= bytes) return;
    std::size_t count = (bytes - (first - start)) / sizeof(Slot);
    if (count > max_capacity) count = max_capacity;
    slots_ = reinterpret_cast<Slot*>(first);
    capacity_ = count;
    for (std::size_t i = 0; i < count; ++i) new (&slots_[i]) Slot;
    thread_free_list();
  }

  HandlePool(const HandlePool&) = delete;
  HandlePool& operator=(const HandlePool&) = delete;

  /// A block for `length` bytes (at most block_size), or an error:
  /// too_large, or exhausted when every block is in use. O(1).
  Allocation allocate(std::size_t length) noexcept {
    if (length > BlockSize) return {{}, {}, PoolError::too_large};
    if (free_head_ == no_slot) return {{}, {}, PoolError::exhausted};
    const std::uint32_t index = free_head_;
    RTALLOC_ASSERT(index < capacity_, "handle pool: the free list's head names no slot", this,
                   slots_);
    Slot& slot = slots_[index];
    RTALLOC_ASSERT((slot.generation & 1) == 0, "handle pool: an allocated slot on the free list",
                   this, &slot);
    RTALLOC_ASSERT(available_ > 0, "handle pool: a free slot while none is counted", this, &slot);
    free_head_ = slot.next;
    --available_;
    slot.generation = next_generation(slot.generation);  // now odd
    slot.size = static_cast<std::uint32_t>(length);
    return {make_handle(index, slot.generation), {slot.data, length}, PoolError::none};
  }

  /// The block's bytes, or an empty span with data() == nullptr when the
  /// handle is stale. O(1).
  std::span<const std::byte> get(Handle handle) const noexcept {
    const Slot* slot = find(handle);
    return slot == nullptr ? std::span<const std::byte>{}
                           : std::span<const std::byte>{slot->data, slot->size};
  }

  /// As get, writable.
  std::span<std::byte> get_mut(Handle handle) noexcept {
    Slot* slot = const_cast<Slot*>(find(handle));
    return slot == nullptr ? std::span<std::byte>{} : std::span<std::byte>{slot->data, slot->size};
  }

  /// The slot a handle names, and the generation it carries (for logs and
  /// diagnostics; whether it is current is valid()'s question). O(1).
  static constexpr std::size_t slot_of(Handle handle) noexcept { return index_of(handle); }
  static constexpr Word generation_of(Handle handle) noexcept {
    return static_cast<Word>(handle.value >> Layout::index_bits);
  }

  /// Calls f(std::span<std::byte>) with the block's bytes and returns
  /// true, or returns false without calling f if the handle is stale. O(1)
  /// plus f. Through Synchronized<HandlePool, Lock>, f runs under the lock,
  /// so the bytes stay valid while it runs even if another thread frees the
  /// handle at the same moment (the free waits).
  template <class F>
  bool with_block(Handle handle, F&& f) {
    const std::span<std::byte> data = get_mut(handle);
    if (data.data() == nullptr) return false;
    std::forward<F>(f)(data);
    return true;
  }

  /// Is the handle the current allocation of its slot? O(1).
  bool valid(Handle handle) const noexcept { return find(handle) != nullptr; }

  /// Frees the block; the handle (and every copy of it) is stale from now
  /// on. Returns stale_handle, changing nothing, for a stale handle. O(1).
  PoolError free(Handle handle) noexcept {
    Slot* slot = const_cast<Slot*>(find(handle));
    if (slot == nullptr) return PoolError::stale_handle;
    slot->generation = next_generation(slot->generation);  // now even: no handle matches
    if (RetireOnWrap && slot->generation == 0) {
      --capacity_in_use_;  // generations used up: the slot stays off the free list for good
      return PoolError::none;
    }
    slot->next = free_head_;
    free_head_ = index_of(handle);
    ++available_;
    RTALLOC_ASSERT(available_ <= capacity_in_use_, "handle pool: more free slots than slots", this,
                   slot);
    return PoolError::none;
  }

  /// Blocks that can still be allocated over the pool's life (capacity
  /// minus retired slots). O(1).
  std::size_t capacity() const noexcept { return capacity_in_use_; }
  /// Free blocks. O(1).
  std::size_t available() const noexcept { return available_; }

 private:
  static constexpr Word next_generation(Word generation) noexcept {
    return static_cast<Word>((generation + 1) & generation_mask);
  }
  static constexpr Handle make_handle(std::uint32_t index, Word generation) noexcept {
    return {static_cast<Word>((generation << Layout::index_bits) | index)};
  }
  static constexpr std::uint32_t index_of(Handle handle) noexcept {
    return static_cast<std::uint32_t>(handle.value & index_mask);
  }

  // The slot a handle names, if the handle is its slot's current
  // allocation: the slot is allocated (odd generation) and the generations
  // agree. Free and retired slots have even generations, so never match.
  const Slot* find(Handle handle) const noexcept {
    const std::uint32_t index = index_of(handle);
    // Inside the object the bound is a constant: compilers then see that
    // the subscript below stays in the array.
    if (index >= (internal_storage ? Capacity : capacity_)) return nullptr;
    const Slot& slot = slots_[index];
    if ((slot.generation & 1) == 0 || slot.generation != generation_of(handle)) return nullptr;
    return &slot;
  }

  constexpr void thread_free_list() noexcept {
    for (std::size_t i = 0; i < capacity_; ++i) {
      slots_[i].generation = 0;
      slots_[i].size = 0;
      slots_[i].next = i + 1 < capacity_ ? static_cast<std::uint32_t>(i + 1) : no_slot;
    }
    free_head_ = capacity_ > 0 ? 0 : no_slot;
    available_ = capacity_;
    capacity_in_use_ = capacity_;
  }

  struct NoSlots {};
  [[no_unique_address]] std::conditional_t<internal_storage, Slot[internal_storage ? Capacity : 1],
                                           NoSlots>
      inline_slots_{};
  Slot* slots_ = nullptr;
  std::size_t capacity_ = 0;
  std::size_t capacity_in_use_ = 0;
  std::size_t available_ = 0;
  std::uint32_t free_head_ = no_slot;
};

}  // namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE
