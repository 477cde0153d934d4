// SPDX-License-Identifier: MIT OR Apache-2.0
// What a heap with a small-object layer promises (rtalloc::SmallObjects,
// alone over a Tlsf or inside a FlexTlsf): the policy of the heap model
// (heap_model.hpp). An object in a slab occupies exactly its class's size,
// with no header, and is aligned to 16 bytes (8 for requests of at most 8
// bytes); every other block is a block of the Tlsf underneath and keeps
// TlsfPolicy's rules. Requests fail only when the Tlsf would fail them too,
// since a small request the slabs cannot serve goes to it; once every
// object is freed and the empty slabs the classes keep are given back, the
// heap is the Tlsf's empty heap: one free block per pool.
#pragma once

#include <cstddef>
#include <cstdint>
#include <rtalloc/small_objects.hpp>

#include "heap_model.hpp"
#include "tlsf_policy.hpp"

namespace rtalloc::test {

/// Small is the SmallObjects the model's heap is or holds; Growth as for
/// TlsfPolicy.
template <class Small, class Growth = NoGrowth>
class SmallObjectsPolicy {
  using Tlsf = std::remove_cvref_t<decltype(std::declval<const Small&>().heap())>;
  using Inner = TlsfPolicy<Tlsf, Growth>;

 public:
  static constexpr std::size_t alignment = Tlsf::alignment;

  /// `small` is the layer under test (the model's heap, or inside it).
  explicit SmallObjectsPolicy(Small& small, Growth growth = {}) noexcept
      : small_(&small), tlsf_(growth) {}

  /// Objects of at most 8 bytes are 8-aligned; everything else as Tlsf.
  static constexpr std::size_t alignment_for(std::size_t size, std::size_t align) noexcept {
    if (size <= 8 && align <= 8) return 8;
    return Inner::alignment_for(size, align);
  }

  /// An object occupies its class's bytes and nothing more; a block of the
  /// Tlsf its header, payload and alignment word.
  Extent extent(const void* p, std::size_t usable, std::size_t align) const noexcept {
    if (small_->is_object(p)) {
      const auto at = reinterpret_cast<std::uintptr_t>(p);
      return {at, at + usable};
    }
    return Inner::extent(p, usable, align);
  }

  template <class Heap>
  const char* verify_allocation(const Heap& heap, const TlsfStats& before, std::size_t size,
                                std::size_t align, const void* p,
                                std::size_t usable) const noexcept {
    if (p != nullptr && small_->is_object(p)) {
      if (size > Small::max_small) return "a request beyond max_small came from a slab";
      if (align > 16) return "a request aligned beyond 16 came from a slab";
      if (usable != class_size(size < align ? align : size)) {
        return "an object's usable size is not its class's size";
      }
      return nullptr;
    }
    return tlsf_.verify_allocation(heap, before, size, align, p, usable);
  }

  template <class Heap>
  const char* verify_reallocation(const Heap& heap, const TlsfStats& before, const LiveBlock& old,
                                  std::size_t size, const void* moved) const noexcept {
    if (small_->is_object(old.data) && moved != nullptr && size <= old.usable &&
        moved != old.data) {
      return "an object whose class holds the new size moved";
    }
    return tlsf_.verify_reallocation(heap, before, old, size, moved);
  }

  /// As the Tlsf: an object's second free is seen in every build (its
  /// allocation bit), a pointer into an object or to no slot in checked
  /// builds.
  MisuseAnswer answer(Misuse misuse) const noexcept { return tlsf_.answer(misuse); }

  /// The statistics against the shadow: live objects count at their class's
  /// size; the failures are the Tlsf's, without the slabs it refused.
  template <class Heap, class Shadow>
  const char* verify_counts(const Heap& heap, const TlsfStats& stats,
                            const Shadow& shadow) const noexcept {
    return tlsf_.verify_counts(heap, stats, shadow);
  }

  /// walk() against stats() and the shadow: objects in address order inside
  /// their slabs, each a live block of its class's size; blocks of the Tlsf
  /// as TlsfPolicy checks them; the free room of the slabs, which walk()
  /// does not show as blocks, is what stats() counts free beyond them.
  template <class Heap, class Shadow>
  const char* verify_blocks(const Heap& heap, const TlsfStats& stats,
                            const Shadow& shadow) const noexcept {
    Tally<Shadow> tally{this, &shadow};
    heap.walk([&tally](const BlockInfo& block) { return tally.visit(block); });
    if (tally.broken != nullptr) return tally.broken;
    if (tally.used_blocks != shadow.live_count()) return "walk() does not show every live block";
    const SmallObjectStats detail = small_->stats_detail();
    if (tally.used != stats.used || tally.used_blocks != stats.used_blocks ||
        tally.free_blocks != stats.free_blocks || tally.largest_free != stats.largest_free) {
      return "walk() disagrees with stats()";
    }
    if (tally.objects != detail.small_objects || tally.object_bytes != detail.small_bytes) {
      return "walk()'s objects disagree with stats_detail()";
    }
    if (tally.total + (detail.slab_bytes - detail.small_bytes) != stats.capacity) {
      return "walk()'s blocks and the slabs' free room are not the capacity";
    }
    return nullptr;
  }

  /// No live block: every slab is empty, at most one for each class; with
  /// them given back, the Tlsf is empty.
  template <class Heap, class Shadow>
  const char* verify_empty(const Heap& heap, const TlsfStats& stats,
                           const Shadow& shadow) const noexcept {
    if (stats.used != 0 || stats.used_blocks != 0) return "bytes in use in an empty heap";
    const SmallObjectStats detail = small_->stats_detail();
    if (detail.small_objects != 0 || detail.slabs != detail.empty_slabs ||
        detail.slabs > Small::class_count) {
      return "an empty heap keeps more than one empty slab a class";
    }
    small_->release_empty_slabs();
    if (small_->stats_detail().slabs != 0) return "release_empty_slabs() kept a slab";
    return tlsf_.verify_empty(heap, heap.stats(), shadow);
  }

  const char* verify_pool_added(const std::byte* memory, std::size_t bytes, std::size_t capacity,
                                const std::byte* end) const noexcept {
    return tlsf_.verify_pool_added(memory, bytes, capacity, end);
  }

  const char* verify_extension(const PoolRecord& pool, std::size_t bytes, std::size_t added,
                               bool refused) const noexcept {
    return tlsf_.verify_extension(pool, bytes, added, refused);
  }

 private:
  static std::size_t class_size(std::size_t size) noexcept {
    if (size <= 8) return 8;
    if (size <= 256) return (size + 15) / 16 * 16;
    return (size + 31) / 32 * 32;
  }

  // What verify_blocks learns from walk(), one block after another.
  template <class Shadow>
  struct Tally {
    const SmallObjectsPolicy* policy;
    const Shadow* shadow;
    std::uintptr_t previous_end = 0;
    bool previous_free = false;
    std::size_t total = 0, used = 0, used_blocks = 0, free_blocks = 0, largest_free = 0;
    std::size_t objects = 0, object_bytes = 0;
    const char* broken = nullptr;

    bool visit(const BlockInfo& block) noexcept {
      const bool object = block.used && policy->small_->is_object(block.address);
      const auto address = reinterpret_cast<std::uintptr_t>(block.address);
      const std::uintptr_t begin = object ? address : address - Tlsf::header_size;
      if (block.used) {
        const std::size_t i = shadow->find(block.address);
        if (i == Shadow::none) {
          broken = "walk() shows a used block that is not live";
        } else if (shadow->live(i).usable != block.size) {
          broken = "walk() and usable_size disagree on a block";
        } else if (object && block.block_size != block.size) {
          broken = "walk() gives an object a block size that is not its class's size";
        } else if (!object &&
                   block.size + Tlsf::header_size +
                           (shadow->live(i).align > Tlsf::granularity ? Tlsf::header_size : 0) !=
                       block.block_size) {
          broken = "walk()'s block size is not the header, payload and alignment word";
        }
        used += block.block_size;
        ++used_blocks;
        if (object) {
          ++objects;
          object_bytes += block.size;
        }
      } else {
        if (begin == previous_end && previous_free) broken = "two free blocks are neighbours";
        ++free_blocks;
        if (block.size > largest_free) largest_free = block.size;
      }
      total += block.block_size;
      previous_end = begin + block.block_size;
      previous_free = !block.used;
      return broken == nullptr;
    }
  };

  Small* small_;
  Inner tlsf_;
};

}  // namespace rtalloc::test
