// SPDX-License-Identifier: MIT OR Apache-2.0
// rtalloc::DebugHeap — a Tlsf heap that catches its user's memory bugs:
// guard bytes after every allocation, fill patterns for fresh and freed
// memory, a quarantine that keeps freed blocks out of reach for a while, and
// a validated pointer on every free. What it finds goes to the error handler
// (rtalloc::set_error_handler) with the block's address and size.
//
// It is for finding bugs, not for shipping: every allocation costs 32 bytes
// (or its alignment, if larger) in front of the payload plus at least
// guard_size bytes behind it, and allocate, free and check() touch every byte
// of the blocks they handle. docs/safety.md compares what each build checks
// and what it costs.
//
// Layout of one allocation of n bytes (the heap underneath sees one block):
//
//   [heap header][prefix: size of prefix | align | n | tag][payload: n bytes][guard...]
//                 ^ block start                     ^ what allocate returns
//
// The prefix is max(32, align) bytes; its last two words hold the requested
// size and a tag that mixes the payload's address, the size and the block's
// state (live or freed), so a pointer the heap did not hand out, or one into
// the middle of a block, is recognised without a search. The guard runs from
// the end of the payload to the end of the block, at least guard_size bytes.
// Freed blocks are filled with freed_byte and wait in a quarantine of
// QuarantineSize blocks; when one leaves it, its fill is checked (a write
// after free shows there) and the block goes back to the heap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>

#include "rtalloc/config.hpp"
#include "rtalloc/detail/bits.hpp"
#include "rtalloc/detail/memory_checker.hpp"
#include "rtalloc/error.hpp"
#include "rtalloc/tlsf.hpp"

namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE {

// The debug heap reads its prefixes next to bytes the heap may have poisoned
// for AddressSanitizer (see rtalloc/detail/memory_checker.hpp).
RTALLOC_HEAP_CODE_BEGIN

/// Heap is a Tlsf configuration; QuarantineSize freed blocks (0 for none)
/// are held back before they return to it.
template <class Heap = Tlsf<>, std::size_t QuarantineSize = 8>
class DebugHeap {
 public:
  /// Bytes after each payload, at least, that must keep guard_byte.
  static constexpr std::size_t guard_size = 16;
  /// Fill of a new payload: reading it before writing shows as 0xCD bytes.
  static constexpr unsigned char fresh_byte = 0xCD;
  /// Fill of a freed payload, checked when the block leaves the quarantine.
  static constexpr unsigned char freed_byte = 0xDD;
  /// Fill of the guard bytes, checked on free and by check().
  static constexpr unsigned char guard_byte = 0xFD;
  /// Alignment of every pointer allocate(size) returns.
  static constexpr std::size_t alignment = Heap::alignment;
  static constexpr std::size_t quarantine_size = QuarantineSize;

  constexpr DebugHeap() noexcept = default;
  DebugHeap(const DebugHeap&) = delete;
  DebugHeap& operator=(const DebugHeap&) = delete;

  /// The heap underneath, e.g. for its statistics. Do not allocate from it
  /// directly.
  Heap& heap() noexcept { return heap_; }
  const Heap& heap() const noexcept { return heap_; }

  /// Heap::add_pool.
  std::size_t add_pool(void* memory, std::size_t bytes) noexcept {
    return heap_.add_pool(memory, bytes);
  }

  /// Empties the quarantine, then Heap::remove_pool.
  bool remove_pool(void* pool_memory) noexcept {
    flush_quarantine();
    return heap_.remove_pool(pool_memory);
  }

  /// Allocates `size` bytes filled with fresh_byte, followed by guard bytes.
  /// O(1) + O(size). Returns nullptr when the heap has no room (after
  /// emptying the quarantine and trying once more).
  void* allocate(std::size_t size) noexcept { return allocate_prefixed(size, 0); }

  /// As allocate(size), aligned to `align` (a power of two; otherwise
  /// nullptr and invalid_alignment is reported).
  void* allocate(std::size_t size, std::size_t align) noexcept {
    if (!detail::is_power_of_two(align)) {
      detail::report(ErrorCode::invalid_alignment, "allocate: alignment not a power of two", this,
                     nullptr, align);
      return nullptr;
    }
    return allocate_prefixed(size, align <= alignment ? 0 : align);
  }

  /// Always moves the block: allocates, copies min(old size, size) bytes and
  /// frees the old block, so a stale pointer to the old block is caught.
  /// p == nullptr allocates. Returns nullptr on failure, `p` kept. A bad
  /// `p` is reported as for deallocate and gives nullptr.
  void* reallocate(void* p, std::size_t size) noexcept {
    if (p == nullptr) return allocate(size);
    const Live old = validate(p, "reallocate");
    if (old.prefix == 0) return nullptr;
    void* moved = allocate_prefixed(size, old.align);
    if (moved == nullptr) return nullptr;
    std::memcpy(moved, p, size < old.size ? size : old.size);
    release(p, old);
    return moved;
  }

  /// Frees the block at `p` (nullptr is a no-op). Reports, and ignores, a
  /// pointer the heap did not hand out, one into the middle of a block or a
  /// misaligned one (invalid_pointer), and a block already freed
  /// (double_free, with its size) while its memory has not been reused.
  /// Damaged guard bytes are reported (heap_corrupted, "guard bytes ...")
  /// and the block is freed all the same. O(pools) + O(block size).
  void deallocate(void* p) noexcept {
    if (p == nullptr) return;
    const Live block = validate(p, "deallocate");
    if (block.prefix == 0) return;
    release(p, block);
  }

  /// The size that was requested for `p`; 0 for nullptr or a bad pointer
  /// (reported as for deallocate). O(pools).
  std::size_t usable_size(const void* p) const noexcept {
    if (p == nullptr) return 0;
    return validate(p, "usable_size").size;
  }

  /// True if `p` points into one of the heap's pools. O(pools).
  bool owns(const void* p) const noexcept { return heap_.owns(p); }

  /// The heap's statistics; blocks in the quarantine count as used.
  TlsfStats stats() const noexcept { return heap_.stats(); }

  /// Blocks freed but still held in the quarantine.
  std::size_t quarantined() const noexcept { return quarantined_; }

  /// Returns every quarantined block to the heap, checking its fill.
  /// O(quarantine_size + their bytes).
  void flush_quarantine() noexcept {
    while (quarantined_ > 0) evict_oldest();
  }

  /// Heap::check(), then every block: its prefix, the guard of a live
  /// block and the fill of a quarantined one. Reports the first problem as
  /// heap_corrupted with the payload's address and size, and returns false.
  /// O(blocks + bytes in used blocks).
  bool check() const noexcept {
    detail::HeapCodeScope scope;
    if (!heap_.check()) return false;
    bool sound = true;
    heap_.walk([&](const BlockInfo& block) {
      if (!block.used) return true;
      const auto* start = static_cast<const unsigned char*>(block.address);
      const std::size_t prefix = read_word(start);
      if (prefix < min_prefix || prefix >= block.size || !detail::is_power_of_two(prefix)) {
        sound = corrupted("debug prefix damaged (a write before the block?)", start + 2 * word, 0);
        return false;
      }
      const unsigned char* p = start + prefix;
      const std::size_t size = read_word(p - 2 * word);
      const std::size_t tag = read_word(p - word);
      const std::size_t end = block.size - prefix;  // payload + guard
      if (size > end || (tag != tag_for(p, size, live) && tag != tag_for(p, size, freed))) {
        sound = corrupted("debug prefix damaged (a write before the block?)", p, 0);
        return false;
      }
      if (tag == tag_for(p, size, live)) {
        sound = guard_intact(p, size, end);
      } else if (!filled(p, end, freed_byte)) {
        sound = corrupted("freed block written after free", p, size);
      }
      return sound;
    });
    return sound;
  }

 private:
  static constexpr std::size_t word = sizeof(std::size_t);
  static constexpr std::size_t min_prefix = 32;  // the heap's two link words, then ours
  static_assert(min_prefix >= 4 * word && min_prefix % alignment == 0);
  static constexpr std::size_t live = 0x4C495645;   // "LIVE"
  static constexpr std::size_t freed = 0x46524545;  // "FREE"

  // What validate() learns about a live block; prefix 0 means "not one".
  struct Live {
    std::size_t prefix = 0;
    std::size_t align = 0;  // as asked, 0 for the default
    std::size_t size = 0;
    std::size_t end = 0;  // bytes from the payload to the end of the block
  };

  static std::size_t read_word(const void* at) noexcept {
    std::size_t value;
    std::memcpy(&value, at, word);
    return value;
  }
  static void write_word(void* at, std::size_t value) noexcept { std::memcpy(at, &value, word); }

  static std::size_t tag_for(const void* p, std::size_t size, std::size_t state) noexcept {
    const auto address = static_cast<std::size_t>(reinterpret_cast<std::uintptr_t>(p));
    return (address * static_cast<std::size_t>(0x9E3779B97F4A7C15ULL)) ^
           (size * static_cast<std::size_t>(0xBF58476D1CE4E5B9ULL)) ^ state;
  }

  static bool filled(const unsigned char* p, std::size_t bytes, unsigned char value) noexcept {
    for (std::size_t i = 0; i < bytes; ++i) {
      if (p[i] != value) return false;
    }
    return true;
  }

  bool corrupted(const char* what, const void* p, std::size_t size) const noexcept {
    detail::report(ErrorCode::heap_corrupted, what, this, p, size);
    return false;
  }

  bool guard_intact(const unsigned char* p, std::size_t size, std::size_t end) const noexcept {
    if (filled(p + size, end - size, guard_byte)) return true;
    return corrupted("guard bytes after the block damaged", p, size);
  }

  void* allocate_prefixed(std::size_t size, std::size_t align) noexcept {
    detail::HeapCodeScope scope;
    const std::size_t prefix = align > min_prefix ? align : min_prefix;
    if (size > std::numeric_limits<std::size_t>::max() - prefix - guard_size) {
      return heap_.allocate(std::numeric_limits<std::size_t>::max());  // fails, and is counted
    }
    const std::size_t inner = prefix + size + guard_size;
    void* start = align == 0 ? heap_.allocate(inner) : heap_.allocate(inner, align);
    if (start == nullptr && quarantined_ > 0) {
      flush_quarantine();
      start = align == 0 ? heap_.allocate(inner) : heap_.allocate(inner, align);
    }
    if (start == nullptr) return nullptr;
    auto* p = static_cast<unsigned char*>(start) + prefix;
    write_word(start, prefix);
    write_word(p - 3 * word, align);
    write_word(p - 2 * word, size);
    write_word(p - word, tag_for(p, size, live));
    const std::size_t end = heap_.usable_size(start) - prefix;
    std::memset(p, fresh_byte, size);
    std::memset(p + size, guard_byte, end - size);
    return p;
  }

  // Recognises a live block from its prefix; reports anything else.
  Live validate(const void* p, const char* operation) const noexcept {
    detail::HeapCodeScope scope;
    const auto* bytes = static_cast<const unsigned char*>(p);
    if (reinterpret_cast<std::uintptr_t>(p) % alignment != 0 || !heap_.owns(p) ||
        !heap_.owns(bytes - min_prefix)) {
      detail::report(ErrorCode::invalid_pointer, operation, this, p);
      return {};
    }
    const std::size_t size = read_word(bytes - 2 * word);
    const std::size_t tag = read_word(bytes - word);
    if (tag == tag_for(p, size, freed)) {
      detail::report(ErrorCode::double_free, operation, this, p, size);
      return {};
    }
    if (tag != tag_for(p, size, live)) {
      detail::report(ErrorCode::invalid_pointer, operation, this, p);
      return {};
    }
    Live block;
    block.align = read_word(bytes - 3 * word);
    block.prefix = block.align > min_prefix ? block.align : min_prefix;
    block.size = size;
    block.end = heap_.usable_size(bytes - block.prefix) - block.prefix;
    return block;
  }

  // Checks the guard, fills the block with freed_byte, marks it freed and
  // puts it in the quarantine (or straight back without one).
  void release(void* p, const Live& block) noexcept {
    detail::HeapCodeScope scope;
    auto* bytes = static_cast<unsigned char*>(p);
    guard_intact(bytes, block.size, block.end);
    std::memset(bytes, freed_byte, block.end);
    write_word(bytes - word, tag_for(p, block.size, freed));
    if constexpr (QuarantineSize == 0) {
      heap_.deallocate(bytes - block.prefix);
    } else {
      if (quarantined_ == QuarantineSize) evict_oldest();
      quarantine_[(oldest_ + quarantined_) % QuarantineSize] = bytes;
      ++quarantined_;
    }
  }

  void evict_oldest() noexcept {
    if constexpr (QuarantineSize > 0) {
      unsigned char* p = quarantine_[oldest_];
      oldest_ = (oldest_ + 1) % QuarantineSize;
      --quarantined_;
      const std::size_t size = read_word(p - 2 * word);
      const std::size_t align = read_word(p - 3 * word);
      const std::size_t prefix = align > min_prefix ? align : min_prefix;
      const std::size_t end = heap_.usable_size(p - prefix) - prefix;
      if (!filled(p, end, freed_byte)) corrupted("freed block written after free", p, size);
      heap_.deallocate(p - prefix);
    }
  }

  Heap heap_;
  unsigned char* quarantine_[QuarantineSize > 0 ? QuarantineSize : 1] = {};
  std::size_t oldest_ = 0;
  std::size_t quarantined_ = 0;
};

RTALLOC_HEAP_CODE_END

}  // namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE
