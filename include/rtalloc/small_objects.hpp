// SPDX-License-Identifier: MIT OR Apache-2.0
// rtalloc::SmallObjects — a TLSF heap whose small requests are served from
// size-class slabs, without a header per object; larger requests, and small
// ones when no slab can be had, go to the heap underneath as before.
//
//   alignas(16) static std::byte arena[256 * 1024];
//   rtalloc::SmallObjects<> heap(arena, sizeof arena);   // over rtalloc::Tlsf<>
//   void* p = heap.allocate(24);                          // a 32-byte slot of a slab
//   heap.deallocate(p);                                   // no size needed
//
// It is also the default inner heap of rtalloc::FlexTlsf, and so of the
// drop-in malloc (docs/small-objects.md).
//
// Slabs. A slab is one block of the heap underneath, SlabBytes long, whose
// payload starts at a multiple of SlabBytes, holding the objects of one size
// class (its block's header is the word before it and its alignment word its
// last, so slabs taken one after another tile memory without a gap):
//
//   [Slab header | allocation bits | object | object | ... | object | tail]
//    ^ an address that is a multiple of SlabBytes
//
// So the slab of an object p is p & ~(SlabBytes - 1). What tells an object
// from a block of the heap underneath is the slab map: one bit per
// SlabBytes chunk of one window of addresses, set while the chunk is a
// slab. The window is given by the growing heap that owns this one (the
// whole reservation of its pool source), or else is the first pool added;
// small requests in pools outside it are served by the heap underneath.
//
// Bounds (docs/small-objects.md counts them in operations): allocate and
// deallocate are O(1) in the worst case, whatever the number of objects,
// slabs or pools, including the step that takes a new slab from the heap
// underneath (one allocate of SlabBytes aligned to SlabBytes; a new slab is
// used from its start, with no list to thread) and the step that gives an
// empty slab back (one deallocate). A class keeps a slab that empties if it
// is the class's only slab with a free slot, so a free and an allocate at a
// class boundary never take and give back a slab each time.
//
// Bad input, in every build: a second free of an object is reported as
// double_free (each slab keeps one allocation bit per object). Checked
// builds (RTALLOC_CHECKS=1) also report a pointer into the middle of an
// object or to a slot never handed out as invalid_pointer; release builds
// free the object that contains such a pointer. Pointers outside every slab
// get the heap underneath's answer.
//
// Not thread-safe, as the heap underneath. Freestanding.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>

#include "rtalloc/concepts.hpp"
#include "rtalloc/config.hpp"
#include "rtalloc/detail/assert.hpp"
#include "rtalloc/detail/bits.hpp"
#include "rtalloc/detail/memory_checker.hpp"
#include "rtalloc/detail/size_class.hpp"
#include "rtalloc/error.hpp"
#include "rtalloc/stats.hpp"
#include "rtalloc/tlsf.hpp"

namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE {

/// The small-object layer's configuration. Requests of at most MaxSmall
/// bytes (a multiple of 16 from 16 to 1,024) come from slabs of SlabBytes
/// bytes (a power of two from 512 to 1 MiB). The size classes are 8 bytes
/// and then every multiple of 16 up to 256, and above 256 every multiple of
/// 32: the one two-level mapping (rtalloc/detail/size_class.hpp) with a
/// 16-byte granule and 16 classes a level, plus an 8-byte class.
template <std::size_t MaxSmall, std::size_t SlabBytes>
struct SmallConfig {
  static_assert(MaxSmall >= 16 && MaxSmall <= 1024 && MaxSmall % 16 == 0,
                "SmallConfig: MaxSmall must be a multiple of 16 from 16 to 1024.");
  static_assert(SlabBytes >= 512 && SlabBytes <= (std::size_t{1} << 20) &&
                    (SlabBytes & (SlabBytes - 1)) == 0,
                "SmallConfig: SlabBytes must be a power of two from 512 to 1 MiB.");
  static_assert(SlabBytes >= 8 * MaxSmall,
                "SmallConfig: SlabBytes must hold at least 8 objects of the largest class "
                "(SlabBytes >= 8 * MaxSmall).");
  static constexpr std::size_t max_small = MaxSmall;
  static constexpr std::size_t slab_bytes = SlabBytes;
};

/// Hosts: requests up to 256 bytes, 8 KiB slabs (docs/small-objects.md
/// says why).
using SmallHostConfig = SmallConfig<256, 8 * 1024>;
/// The drop-in malloc's (librtalloc_malloc): requests up to 1 KiB (49
/// classes), 16 KiB slabs, so that the sizes most programs ask for most
/// often never reach the TLSF search (docs/malloc.md has the figures).
using SmallMallocConfig = SmallConfig<1024, 16 * 1024>;
/// Microcontrollers: requests up to 64 bytes (5 classes), 1 KiB slabs.
using SmallMicroConfig = SmallConfig<64, 1024>;
/// The configuration of SmallObjects<> on this target.
using SmallDefaultConfig =
    std::conditional_t<(sizeof(void*) >= 8), SmallHostConfig, SmallMicroConfig>;

/// What SmallObjects::stats_detail() adds to stats(): the slabs themselves.
struct SmallObjectStats {
  std::size_t slabs;          ///< slabs held, empty ones included
  std::size_t empty_slabs;    ///< slabs with no live object, kept for their class
  std::size_t small_objects;  ///< live objects in slabs
  std::size_t small_bytes;    ///< bytes of those objects (their classes' sizes)
  std::size_t slab_bytes;     ///< bytes of the slabs' blocks in the heap underneath
};

// The layer reads and writes slab headers and free slots that it has
// poisoned for AddressSanitizer (rtalloc/detail/memory_checker.hpp).
RTALLOC_HEAP_CODE_BEGIN

namespace detail {

/// The size classes of the small-object layer and, per class, the layout of
/// its slabs, all computed at compile time.
template <class Config>
struct SlabClasses {
  static constexpr std::size_t slab_bytes = Config::slab_bytes;
  /// The bytes of a slab that hold its header and objects: a slab's block
  /// in the heap underneath is exactly slab_bytes, its header one word before
  /// the chunk and its alignment word the last, so that slabs taken one
  /// after another tile the memory with no gap between them.
  static constexpr std::size_t usable_bytes = slab_bytes - 2 * sizeof(std::size_t);
  static constexpr std::size_t max_small = Config::max_small;
  // One mapping: a 16-byte granule and 16 classes a level; class 0 (size 0
  // in that mapping) serves requests of up to 8 bytes.
  using Map = SizeClasses<4, 4, 8>;
  static constexpr std::size_t count = Map::index_at_least(max_small) + 1;
  /// The header every slab starts with, before its allocation bits.
  static constexpr std::size_t header_bytes = sizeof(void*) >= 8 ? 64 : 48;
  /// With a memory checker on, each object is followed by 16 bytes it
  /// keeps poisoned, so that an overflow past an object is seen even when
  /// the next slot is live (as an overflow past a TLSF block hits the next
  /// block's header). 0 otherwise: objects lie back to back.
  static constexpr std::size_t redzone = memory_checker_enabled ? 16 : 0;

  static constexpr std::size_t object_size(std::size_t index) noexcept {
    return index == 0 ? 8 : Map::class_start(index);
  }
  static constexpr std::size_t bitmap_words(std::size_t capacity) noexcept {
    return (capacity + 63) / 64;
  }
  static constexpr std::size_t first_offset(std::size_t capacity) noexcept {
    return align_up(header_bytes + bitmap_words(capacity) * 8, std::size_t{16});
  }
  // The most objects of `index`'s size that fit with their header and bits.
  static constexpr std::size_t compute_capacity(std::size_t index) noexcept {
    const std::size_t size = object_size(index) + redzone;
    std::size_t capacity = usable_bytes / size;
    while (capacity > 0 && first_offset(capacity) + capacity * size > usable_bytes) --capacity;
    return capacity;
  }

  struct Layout {
    std::uint32_t size;        // object bytes
    std::uint32_t capacity;    // objects in a slab
    std::uint32_t first;       // offset of the first object from the slab's start
    std::uint32_t reciprocal;  // ceil(2^32 / stride): index = offset * reciprocal >> 32
    /// The distance between two objects: size, plus the redzone.
    constexpr std::uint32_t stride() const noexcept {
      return size + static_cast<std::uint32_t>(redzone);
    }
  };
  static constexpr Layout layout_of(std::size_t index) noexcept {
    const std::size_t size = object_size(index);
    const std::size_t capacity = compute_capacity(index);
    const std::size_t stride = size + redzone;
    return {static_cast<std::uint32_t>(size), static_cast<std::uint32_t>(capacity),
            static_cast<std::uint32_t>(first_offset(capacity)),
            static_cast<std::uint32_t>(((std::uint64_t{1} << 32) + stride - 1) / stride)};
  }

  struct Tables {
    Layout layout[count];
    std::uint8_t class_of[max_small / 8 + 1];  // indexed by (size + 7) / 8
  };
  static constexpr Tables make_tables() noexcept {
    Tables t{};
    for (std::size_t i = 0; i < count; ++i) t.layout[i] = layout_of(i);
    for (std::size_t step = 0; step <= max_small / 8; ++step) {
      const std::size_t size = step * 8;
      t.class_of[step] =
          static_cast<std::uint8_t>(size <= 8 ? 0 : Map::index_at_least(align_up(size, 16)));
    }
    return t;
  }
  static constexpr Tables tables = make_tables();

  /// The class serving a request of `size` bytes (size <= max_small).
  static constexpr std::size_t class_of(std::size_t size) noexcept {
    return tables.class_of[(size + 7) >> 3];
  }

  static_assert(count <= 64, "SlabClasses: at most 64 classes.");
  // The index of an offset by the reciprocal is exact for every offset a
  // slab has: offset * (ceil(2^32 / size) - 2^32 / size) < 2^32 / size.
  static_assert(slab_bytes <= (std::size_t{1} << 20), "SlabClasses: slabs of at most 1 MiB.");
};

}  // namespace detail

/// A heap (Heap, by default rtalloc::Tlsf<>) with a small-object layer in
/// front of it. See the top of this file.
template <class Heap = Tlsf<>, class Config = SmallDefaultConfig>
class SmallObjects {
  using Classes = detail::SlabClasses<Config>;
  static_assert(Config::slab_bytes <= Heap::max_allocation,
                "SmallObjects: SlabBytes is larger than the heap underneath can allocate.");
  static_assert(Heap::header_size == sizeof(std::size_t),
                "SmallObjects: the heap underneath must be a Tlsf (one-word block headers).");

 public:
  /// Alignment of every pointer allocate(size) returns (8 for requests of
  /// at most 8 bytes, which is all a type of that size can need).
  static constexpr std::size_t alignment = Heap::alignment;
  static constexpr std::size_t granularity = Heap::granularity;
  static constexpr std::size_t max_small = Config::max_small;
  static constexpr std::size_t slab_bytes = Config::slab_bytes;
  static constexpr std::size_t class_count = Classes::count;
  static constexpr std::size_t max_allocation = Heap::max_allocation;
  static constexpr std::size_t max_block_size = Heap::max_block_size;
  static constexpr std::size_t min_pool_size = Heap::min_pool_size;
  static constexpr std::size_t pool_overhead = Heap::pool_overhead;

  /// As Heap::pool_size_for: the pool bytes that guarantee allocate(size,
  /// align) succeeds in them alone (a small request may then come from the
  /// heap underneath rather than a slab). O(1).
  static constexpr std::size_t pool_size_for(std::size_t size,
                                             std::size_t align = alignment) noexcept {
    return Heap::pool_size_for(size, align);
  }

  /// The bytes of `pool_bytes` that add_pool keeps for the slab map when it
  /// makes that pool the window (the first pool, unless a window was set).
  static constexpr std::size_t map_bytes_for(std::size_t pool_bytes) noexcept {
    return align_up_size((pool_bytes / slab_bytes + 1 + 63) / 64 * 8);
  }

  /// An empty heap: add a pool, or let a growing heap set the window.
  constexpr SmallObjects() noexcept = default;
  /// A heap over one pool, which becomes the slab window; see add_pool.
  SmallObjects(void* memory, std::size_t bytes) noexcept { add_pool(memory, bytes); }

  SmallObjects(const SmallObjects&) = delete;
  SmallObjects& operator=(const SmallObjects&) = delete;

  /// Heap::add_pool. The first pool added while there is no window, and
  /// large enough for a slab, becomes the window: add_pool then keeps its
  /// first map_bytes_for(bytes) bytes for the slab map (one bit per
  /// slab_bytes) and gives the rest to the heap underneath. O(1), plus zeroing the map (O(bytes /
  /// slab_bytes / 8)) for the first pool. Returns what Heap::add_pool returns.
  std::size_t add_pool(void* memory, std::size_t bytes) noexcept requires requires(Heap& h) {
    h.add_pool(memory, bytes);
  }
  {
    slab_retry_in_ = 0;  // new memory: the next request that needs a slab tries for one
    if (window_bytes_ != 0 || memory == nullptr) return heap_.add_pool(memory, bytes);
    const auto start = reinterpret_cast<std::uintptr_t>(memory);
    const std::uintptr_t map_at = detail::align_up(start, alignof(std::uint64_t));
    const std::size_t map = map_bytes_for(bytes);
    const std::size_t taken = static_cast<std::size_t>(map_at - start) + map;
    if (bytes <= taken || bytes - taken < Heap::min_pool_size ||
        detail::align_down(start + bytes, slab_bytes) <=
            detail::align_up(start + taken, slab_bytes)) {
      return heap_.add_pool(memory, bytes);  // no room for a slab: not the window
    }
    void* pool = reinterpret_cast<void*>(start + taken);
    const std::size_t added = heap_.add_pool(pool, bytes - taken);
    if (added != 0) {
      std::memset(reinterpret_cast<void*>(map_at), 0, map);
      set_window(pool, bytes - taken, reinterpret_cast<std::uint64_t*>(map_at), map);
      window_pool_ = pool;
      window_memory_ = memory;
    }
    return added;
  }

  /// Heap::extend_pool (`pool_memory` is what was given to add_pool).
  /// Memory beyond the window serves no slabs.
  std::size_t extend_pool(void* pool_memory, void* memory, std::size_t bytes) noexcept requires
      requires(Heap& h) {
    h.extend_pool(pool_memory, memory, bytes);
  }
  {
    slab_retry_in_ = 0;
    return heap_.extend_pool(inner_pool(pool_memory), memory, bytes);
  }

  /// Heap::pool_end (`pool_memory` is what was given to add_pool).
  void* pool_end(void* pool_memory) const noexcept requires requires(const Heap& h) {
    h.pool_end(pool_memory);
  }
  { return heap_.pool_end(inner_pool(pool_memory)); }

  /// Gives back the empty slabs every class keeps, then Heap::remove_pool.
  /// A pool that holds a live object cannot be removed. Removing the pool
  /// whose memory holds the slab map (the first pool) ends the window: no
  /// slabs afterwards until the next add_pool. O(class count) plus
  /// Heap::remove_pool.
  bool remove_pool(void* pool_memory) noexcept requires requires(Heap& h) {
    h.remove_pool(pool_memory);
  }
  {
    detail::HeapCodeScope scope;
    release_empty_slabs();
    if (!heap_.remove_pool(inner_pool(pool_memory))) return false;
    if (pool_memory == window_memory_) clear_window();
    return true;
  }

  /// Frees every block and every object: Heap::reset, and no slabs. The
  /// window stays. O(pools + class count + map words).
  void reset() noexcept requires requires(Heap& h) { h.reset(); }
  {
    detail::HeapCodeScope scope;
    heap_.reset();
    for (auto& list : lists_) list = {};
    slab_retry_in_ = 0;
    if (map_ != nullptr) std::memset(map_, 0, map_words_ * sizeof(std::uint64_t));
    counts_ = {};
  }

  /// Makes [window, window + bytes) the slab window, with `map` (`map_bytes`
  /// bytes of zeroed memory the caller keeps valid while this heap lives)
  /// for its map: one bit per slab_bytes chunk. For a growing heap that
  /// knows where its pools can lie (FlexTlsf over OsPages); call it before
  /// any slab exists. O(1). Returns false, changing nothing, if a window
  /// exists or the map is too small for the window.
  bool set_window(void* window, std::size_t bytes, std::uint64_t* map,
                  std::size_t map_bytes) noexcept {
    if (window_bytes_ != 0 || map == nullptr || window == nullptr) return false;
    const std::uintptr_t base =
        detail::align_up(reinterpret_cast<std::uintptr_t>(window), slab_bytes);
    const std::uintptr_t end =
        detail::align_down(reinterpret_cast<std::uintptr_t>(window) + bytes, slab_bytes);
    if (end <= base) return false;
    const std::size_t chunks = (end - base) / slab_bytes;
    if (map_bytes < (chunks + 63) / 64 * 8) return false;
    window_base_ = base;
    window_bytes_ = end - base;
    map_ = map;
    map_words_ = (chunks + 63) / 64;
    return true;
  }

  /// For a heap that grows (FlexTlsf): allocate(size) for size <=
  /// max_small, except that when the heap underneath has no room for a new
  /// slab the answer is nullptr, not a block of the heap underneath, so the
  /// caller can grow the heap by a slab and ask again. During the pause after
  /// a refused slab (until memory is added) it answers as allocate. O(1).
  void* allocate_object(std::size_t size) noexcept {
    detail::HeapCodeScope scope;
    const std::size_t index = Classes::class_of(size);
    Slab* slab = lists_[index].head;
    if (slab == nullptr) [[unlikely]]
      return object_from_new_slab(index, size);
    return take_slot(slab);
  }

  /// The request a slab makes of the heap underneath: slab_request_bytes
  /// aligned to slab_bytes (so a growing heap knows what one slab needs).
  static constexpr std::size_t slab_request_bytes = Classes::usable_bytes;

  /// Allocates `size` bytes: from its class's slab when size <= max_small
  /// (a slab taken from the heap underneath when the class has no free
  /// slot), else, and when no slab can be had, from the heap underneath.
  /// Aligned to 16 bytes (8 for size <= 8). O(1). nullptr if neither has
  /// room (or size > max_allocation).
  void* allocate(std::size_t size) noexcept {
    detail::HeapCodeScope scope;
    if (size <= max_small) [[likely]] {
      if (void* p = allocate_small(Classes::class_of(size))) [[likely]]
        return p;
    }
    return heap_.allocate(size);
  }

  /// Allocates `size` bytes aligned to `align` (a power of two). Alignments
  /// up to 16 are served as allocate(size); larger ones by the heap
  /// underneath. O(1). nullptr on failure; an alignment that is not a power
  /// of two is reported as invalid_alignment.
  void* allocate(std::size_t size, std::size_t align) noexcept {
    detail::HeapCodeScope scope;
    if (detail::is_power_of_two(align) && align <= 16 && size <= max_small) {
      const std::size_t index = Classes::class_of(size < align ? align : size);
      if (void* p = allocate_small(index)) return p;
      return heap_.allocate(size, align);
    }
    return heap_.allocate(size, align);
  }

  /// Resizes the block at `p`, keeping its contents up to the smaller size
  /// and its alignment. An object whose class still holds `size` stays where
  /// it is; otherwise it moves (allocate, copy, free). A block of the heap
  /// underneath resizes as Heap::reallocate does (in place when it can).
  /// nullptr: allocate(size). O(1) apart from the copy. Returns nullptr on
  /// failure, leaving `p` valid; a bad `p` is reported and gives nullptr.
  void* reallocate(void* p, std::size_t size) noexcept {
    detail::HeapCodeScope scope;
    if (p == nullptr) return allocate(size);
    Slab* slab = slab_of(p);
    if (slab == nullptr) return heap_.reallocate(p, size);
    const std::uint32_t index = live_index(slab, p, "reallocate");
    if (index == no_object) return nullptr;
    if constexpr (!checks_enabled) p = object_at(slab, index);  // a pointer into it: the object
    const std::size_t old_size = layout(slab).size;
    if (size <= old_size) return p;
    void* moved = allocate(size);
    if (moved == nullptr) return nullptr;
    std::memcpy(moved, p, old_size);
    free_object(slab, p, index);
    return moved;
  }

  /// Frees the block at `p`: an object goes back to its slab, any other
  /// block to the heap underneath. nullptr is a no-op. O(1).
  void deallocate(void* p) noexcept {
    detail::HeapCodeScope scope;
    if (p == nullptr) return;
    Slab* slab = slab_of(p);
    if (slab == nullptr) [[unlikely]] {
      heap_.deallocate(p);
      return;
    }
    const std::uint32_t index = live_index(slab, p, "deallocate");
    if (index == no_object) [[unlikely]]
      return;
    // A release build takes a pointer into an object for the object.
    free_object(slab, checks_enabled ? p : object_at(slab, index), index);
  }

  /// What deallocate_object did.
  struct ObjectFree {
    bool done;    ///< p was in a slab, and is freed (or was reported)
    void* block;  ///< a slab that emptied and left: a block for the caller
                  ///< to free into the heap underneath (as deallocate(block)); else nullptr
  };

  /// Frees `p` if it lies in a slab (as deallocate does, reporting a freed
  /// or, in checked builds, foreign slot): {true, ...}; for any other
  /// pointer (nullptr included) does nothing and answers {false, nullptr},
  /// for the caller to hand to the heap underneath. A slab the free empties
  /// and that leaves is not freed here: its block is the answer's `block`,
  /// so that a growing heap frees it as any block of its own (and may give
  /// its pages back). For FlexTlsf, so that a free finds the slab once. O(1).
  ObjectFree deallocate_object(void* p) noexcept {
    detail::HeapCodeScope scope;
    Slab* slab = slab_of(p);
    if (slab == nullptr) return {false, nullptr};
    const std::uint32_t index = live_index(slab, p, "deallocate");
    if (index == no_object) [[unlikely]]
      return {true, nullptr};
    return {true, free_object<true>(slab, checks_enabled ? p : object_at(slab, index), index)};
  }

  /// Bytes usable at `p`: an object's class size, or Heap::usable_size. 0
  /// for nullptr; a freed or (checked builds) foreign pointer is reported
  /// and gives 0. O(1).
  std::size_t usable_size(const void* p) const noexcept {
    detail::HeapCodeScope scope;
    if (p == nullptr) return 0;
    const Slab* slab = slab_of(p);
    if (slab == nullptr) return heap_.usable_size(p);
    if (live_index(slab, p, "usable_size") == no_object) return 0;
    return layout(slab).size;
  }

  /// As usable_size, for a pointer the caller knows is live: no report.
  /// O(1).
  std::size_t block_usable_size(const void* p) const noexcept {
    detail::HeapCodeScope scope;
    if (p == nullptr) return 0;
    const Slab* slab = slab_of(p);
    return slab == nullptr ? heap_.block_usable_size(p) : layout(slab).size;
  }

  /// Frees `p`, a block of the heap underneath that is no object of a slab
  /// (deallocate_object answered {false, ...}, or gave it as a left slab):
  /// Heap::deallocate, without looking for a slab again. O(1).
  void deallocate_block(void* p) noexcept { heap_.deallocate(p); }

  /// Heap::merge_on_free for a block of the heap underneath (not an object
  /// of a slab). O(1).
  static FreeMerge merge_on_free(const void* p) noexcept { return Heap::merge_on_free(p); }

  /// The alignment `p` was allocated with: 16 (8 for the 8-byte class) for
  /// an object, else Heap::block_alignment. O(1).
  std::size_t block_alignment(const void* p) const noexcept {
    detail::HeapCodeScope scope;
    const Slab* slab = slab_of(p);
    if (slab == nullptr) return heap_.block_alignment(p);
    return layout(slab).size == 8 ? 8 : alignment;
  }

  /// True if `p` is a live object or a block the heap underneath handed out
  /// and has not freed, as far as this build can tell (see
  /// Tlsf::is_allocated). Never reports. O(1) (checked builds: O(pools) for
  /// blocks of the heap underneath).
  bool is_allocated(const void* p) const noexcept {
    detail::HeapCodeScope scope;
    if (p == nullptr) return false;
    const Slab* slab = slab_of(p);
    if (slab == nullptr) return heap_.is_allocated(p);
    const std::uint32_t index = object_index(slab, p);
    return index != no_object && is_set(slab, index);
  }

  /// True if `p` lies in a slab: the address of an object (live or not), or
  /// a pointer into one; false for the blocks of the heap underneath. O(1).
  bool is_object(const void* p) const noexcept { return slab_of(p) != nullptr; }

  /// True if `p` points into the heap's memory. O(pools).
  bool owns(const void* p) const noexcept { return heap_.owns(p); }

  /// Allocations that returned nullptr since construction (a slab the heap
  /// underneath could not give, where the request then went on without
  /// one, does not count). O(1).
  std::size_t failed_allocations() const noexcept {
    return heap_.failed_allocations() - slabs_refused();
  }

  /// The heap's statistics, objects and blocks together: a live object
  /// counts as a used block of its class's size, the free room of the slabs
  /// counts as free, and peak_used is the heap underneath's, where a slab is
  /// used whole. O(1) as Heap::stats (O(blocks) without counters).
  TlsfStats stats() const noexcept {
    detail::HeapCodeScope scope;
    TlsfStats s = heap_.stats();
    s.failed_allocations -= slabs_refused();
    const SmallObjectStats d = stats_detail();
    s.used = s.used - d.slab_bytes + d.small_bytes;
    s.free = s.capacity - s.used;
    s.used_blocks = s.used_blocks - d.slabs + d.small_objects;
    return s;
  }

  /// The slabs' own figures. O(1) (O(slabs) without counters).
  SmallObjectStats stats_detail() const noexcept {
    detail::HeapCodeScope scope;
#if RTALLOC_STATS
    SmallObjectStats d = counts_;
    for (std::size_t c = 0; c < class_count; ++c) {
      d.small_objects += lists_[c].live;
      d.small_bytes += lists_[c].live * Classes::tables.layout[c].size;
    }
#else
    SmallObjectStats d{};
    heap_.walk([&](const BlockInfo& block) {
      if (const Slab* slab = slab_at(block); slab != nullptr) {
        ++d.slabs;
        d.slab_bytes += block.block_size;
        d.small_objects += slab->used;
        d.small_bytes += std::size_t{slab->used} * layout(slab).size;
      }
    });
#endif
    // An empty slab is kept only at the head of its class's list.
    for (const List& list : lists_) {
      if (list.head != nullptr && list.head->used == 0) ++d.empty_slabs;
    }
    return d;
  }

  /// Calls visitor(const BlockInfo&) for every block: each live object (as a
  /// used block of its class's size), and every block of the heap
  /// underneath that is not a slab. A visitor that returns bool stops the
  /// walk with false. O(blocks + slab slots). Do not change the heap from
  /// the visitor.
  template <class Visitor>
  void walk(Visitor&& visitor) const {
    bool going = true;
    heap_.walk([&](const BlockInfo& block) {
      const Slab* slab = slab_at(block);
      if (slab == nullptr) {
        going = call(visitor, block);
        return going;
      }
      const Layout& l = layout(slab);
      const std::size_t words = Classes::bitmap_words(slab->bump);
      for (std::size_t w = 0; w < words && going; ++w) {
        for (std::uint64_t bits = slab->bits()[w]; bits != 0 && going; bits &= bits - 1) {
          const auto i = static_cast<std::uint32_t>(w * 64 + detail::lowest_bit(bits));
          going = call(visitor, BlockInfo{object_at(slab, i), l.size, l.size, true});
        }
      }
      return going;
    });
  }

  /// Verifies every invariant: the heap underneath's (Heap::check), and for
  /// every slab: its chunk is marked in the map and its block is the slab
  /// exactly; its class is valid; its bump offset within its capacity; its
  /// count of live objects equals its allocation bits; its free list holds
  /// exactly the slots below the bump offset whose bit is clear, each once,
  /// at object boundaries; it is on its class's list exactly when it has a
  /// free slot; the lists are doubly linked; every marked chunk is a slab;
  /// the counters agree. Reports the first broken one as heap_corrupted and
  /// returns false. O(blocks + slab slots + map words).
  bool check() const noexcept {
    detail::HeapCodeScope scope;
    if (!heap_.check()) return false;
    return check_slabs();
  }

  /// Gives every empty slab back to the heap underneath. O(class count).
  /// Returns the number given back.
  std::size_t release_empty_slabs() noexcept {
    detail::HeapCodeScope scope;
    std::size_t released = 0;
    for (std::size_t c = 0; c < class_count; ++c) {
      for (Slab* slab = lists_[c].head; slab != nullptr;) {
        Slab* next = slab->next;
        if (slab->used == 0) {
          unlist(slab);
          give_back(slab);
          ++released;
        }
        slab = next;
      }
    }
    return released;
  }

  /// The heap underneath, for its own diagnostics. Do not free objects
  /// through it.
  Heap& heap() noexcept { return heap_; }
  const Heap& heap() const noexcept { return heap_; }

  /// The window's extent: slabs lie in [begin, begin + bytes). {nullptr, 0}
  /// while there is none.
  Region window() const noexcept { return {reinterpret_cast<void*>(window_base_), window_bytes_}; }

 private:
  using Layout = typename Classes::Layout;
  static constexpr std::uint32_t no_object = std::numeric_limits<std::uint32_t>::max();
  static constexpr std::uint16_t slab_magic = 0x5AB5;
  // After the heap underneath refused a slab, the requests that needed one
  // go to it directly this many times before one is asked for again: a heap
  // too fragmented for a slab does not pay a failed search per request.
  static constexpr std::uint32_t retry_after = 32;

  // The header every slab starts with; its allocation bits follow.
  struct Slab {
    void* free;  // the first free slot below `bump`; each holds the next
    Slab* next;  // the class's list of slabs with a free slot
    Slab* prev;
    Layout layout;        // its class's layout, kept here: one load less per operation
    std::uint32_t used;   // live objects
    std::uint32_t bump;   // slots handed out at least once, from the start
    std::uint32_t limit;  // bump * layout.stride(): the bytes handed out, from the first slot
    std::uint16_t index;  // the class
    std::uint16_t magic;  // slab_magic, for check()
    std::uint8_t listed;  // on its class's list
    // The allocation bits, one per slot, follow at header_bytes.
    std::uint64_t* bits() noexcept {
      return reinterpret_cast<std::uint64_t*>(reinterpret_cast<std::byte*>(this) +
                                              Classes::header_bytes);
    }
    const std::uint64_t* bits() const noexcept {
      return reinterpret_cast<const std::uint64_t*>(reinterpret_cast<const std::byte*>(this) +
                                                    Classes::header_bytes);
    }
  };
  static_assert(sizeof(Slab) <= Classes::header_bytes, "SmallObjects: slab header too large.");

  // A class's slabs with a free slot: allocations take the head; a full
  // slab that gets a free slot joins at the tail.
  struct List {
    Slab* head = nullptr;
    Slab* tail = nullptr;
    std::size_t live = 0;  // the class's live objects (statistics)
  };

  static constexpr std::size_t align_up_size(std::size_t value) noexcept {
    return detail::align_up(value, std::size_t{16});
  }
  static const Layout& layout(const Slab* slab) noexcept { return slab->layout; }
  static void* object_at(const Slab* slab, std::uint32_t i) noexcept {
    const Layout& l = layout(slab);
    return reinterpret_cast<std::byte*>(const_cast<Slab*>(slab)) + l.first +
           std::size_t{i} * l.stride();
  }
  static bool is_set(const Slab* slab, std::uint32_t i) noexcept {
    return (slab->bits()[i >> 6] >> (i & 63)) & 1;
  }
  static void set_bit(Slab* slab, std::uint32_t i) noexcept {
    slab->bits()[i >> 6] |= std::uint64_t{1} << (i & 63);
  }
  static void clear_bit(Slab* slab, std::uint32_t i) noexcept {
    slab->bits()[i >> 6] &= ~(std::uint64_t{1} << (i & 63));
  }

  // ==== Which slab holds p ==================================================

  // The slab holding p, or nullptr if p is not in a slab (outside the
  // window, or in a chunk that is not one). O(1): a subtraction, a shift, a
  // load and a bit test.
  Slab* slab_of(const void* p) const noexcept {
    const std::uintptr_t offset = reinterpret_cast<std::uintptr_t>(p) - window_base_;
    if (offset >= window_bytes_) return nullptr;
    const std::uintptr_t chunk = offset / slab_bytes;
    if (((map_[chunk >> 6] >> (chunk & 63)) & 1) == 0) return nullptr;
    return reinterpret_cast<Slab*>(window_base_ + chunk * slab_bytes);
  }

  // The slab a block of the heap underneath is, if it is one.
  const Slab* slab_at(const BlockInfo& block) const noexcept {
    if (!block.used) return nullptr;
    const Slab* slab = slab_of(block.address);
    return slab == block.address ? slab : nullptr;
  }

  // The index of the slot at p, or no_object if p is not a slot's start
  // below the bump offset.
  static std::uint32_t object_index(const Slab* slab, const void* p) noexcept {
    const Layout& l = layout(slab);
    const std::uintptr_t offset =
        reinterpret_cast<std::uintptr_t>(p) - reinterpret_cast<std::uintptr_t>(slab) - l.first;
    if (offset >= slab->limit) return no_object;
    const auto index = static_cast<std::uint32_t>((std::uint64_t{offset} * l.reciprocal) >> 32);
    if constexpr (checks_enabled) {
      if (offset != std::uintptr_t{index} * l.stride()) return no_object;
    }
    return index;
  }

  // The index of the live object at p, or no_object after reporting: a
  // freed slot as double_free, a pointer that is no slot (checked builds)
  // as invalid_pointer.
  std::uint32_t live_index(const Slab* slab, const void* p, const char* operation) const noexcept {
    const std::uint32_t index = object_index(slab, p);
    if (index == no_object) [[unlikely]] {
      detail::report(ErrorCode::invalid_pointer, operation, this, p);
      return no_object;
    }
    if (!is_set(slab, index)) [[unlikely]] {
      detail::report(ErrorCode::double_free, operation, this, p);
      return no_object;
    }
    return index;
  }

  // ==== Allocate =============================================================
  // allocate(size) -> class_of -> allocate_small: the head of the class's
  // list, else a new slab (new_slab) -> take_slot -> a full slab leaves the
  // list.

  RTALLOC_HOT_INLINE void* allocate_small(std::size_t index) noexcept {
    Slab* slab = lists_[index].head;
    if (slab == nullptr) [[unlikely]]
      return allocate_from_new_slab(index);
    return take_slot(slab);
  }

  // The class has no slab with a free slot: a new one, unless the heap
  // underneath refused one within the last `retry_after` requests that
  // needed one (then nullptr, and the request goes to the heap underneath).
  [[gnu::noinline]] void* allocate_from_new_slab(std::size_t index) noexcept {
    if (slab_retry_in_ != 0) {
      --slab_retry_in_;
      return nullptr;
    }
    Slab* slab = new_slab(index);
    if (slab == nullptr) return nullptr;
    return take_slot(slab);
  }

  // allocate_object's slow path: a new slab, or nullptr if none fits; within
  // the pause, the heap underneath.
  [[gnu::noinline]] void* object_from_new_slab(std::size_t index, std::size_t size) noexcept {
    if (slab_retry_in_ != 0) {
      --slab_retry_in_;
      return heap_.allocate(size);
    }
    Slab* slab = new_slab(index);
    if (slab != nullptr) return take_slot(slab);
    // Out of memory for a slab: the caller may grow the heap. Room outside
    // the window: growing would not help, so the heap underneath serves it.
    return slab_room_outside_window_ ? heap_.allocate(size) : nullptr;
  }

  // Hands out a slot of `slab`, which has one: a freed slot first, else the
  // next slot never used.
  RTALLOC_HOT_INLINE void* take_slot(Slab* slab) noexcept {
    const Layout& l = layout(slab);
    void* p = slab->free;
    std::uint32_t i;
    if (p != nullptr) {
      std::memcpy(&slab->free, p, sizeof(void*));
      i = static_cast<std::uint32_t>(
          ((std::uint64_t{reinterpret_cast<std::uintptr_t>(p) -
                          reinterpret_cast<std::uintptr_t>(slab) - l.first}) *
           l.reciprocal) >>
          32);
    } else {
      RTALLOC_ASSERT(slab->bump < l.capacity, "slab: listed with no free slot", this, slab);
      i = slab->bump++;
      p = reinterpret_cast<std::byte*>(slab) + l.first + slab->limit;
      slab->limit += l.stride();
    }
    RTALLOC_ASSERT(!is_set(slab, i), "slab: a free slot whose bit says it is allocated", this, p);
    set_bit(slab, i);
    count_object_added(slab->index);
    if (++slab->used == l.capacity) [[unlikely]]
      slab_filled(slab);
    detail::mark_allocated(p, l.size);
    return p;
  }

  // A slab with no free slot leaves its class's list.
  [[gnu::noinline]] void slab_filled(Slab* slab) noexcept { unlist(slab); }

  // A slab for class `index`: one block of the heap underneath, slab_bytes
  // aligned to slab_bytes, inside the window; nullptr if there is none.
  // O(1): one allocate, and the slab is used from its start (the bump
  // offset), so nothing is threaded.
  [[gnu::noinline]] Slab* new_slab(std::size_t index) noexcept {
    slab_room_outside_window_ = false;
    if (window_bytes_ == 0) return nullptr;
    void* memory = heap_.allocate(Classes::usable_bytes, slab_bytes);
    if (memory == nullptr) {
      count_slab_refused();  // not the caller's failure: the request goes on without a slab
      slab_retry_in_ = retry_after;
      return nullptr;
    }
    const std::uintptr_t offset = reinterpret_cast<std::uintptr_t>(memory) - window_base_;
    if (offset >= window_bytes_) {  // a pool outside the window: no slabs there
      heap_.deallocate(memory);
      slab_retry_in_ = retry_after;
      slab_room_outside_window_ = true;
      return nullptr;
    }
    detail::HeapCodeScope scope;
    auto* slab = static_cast<Slab*>(memory);
    const Layout& l = Classes::tables.layout[index];
    slab->free = nullptr;
    slab->layout = l;
    slab->used = 0;
    slab->bump = 0;
    slab->limit = 0;
    slab->index = static_cast<std::uint16_t>(index);
    slab->magic = slab_magic;
    slab->listed = 0;
    // (memset is checked by ASan's interceptor even here: it runs before the
    // slab's bytes become the heap's)
    std::memset(slab->bits(), 0, Classes::bitmap_words(l.capacity) * sizeof(std::uint64_t));
    detail::mark_freed(memory, Classes::usable_bytes);  // the heap's bytes until handed out
    const std::uintptr_t chunk = offset / slab_bytes;
    map_[chunk >> 6] |= std::uint64_t{1} << (chunk & 63);
    list(slab);
    count_slab_added(slab);
    return slab;
  }

  // ==== Free =================================================================
  // deallocate(p) -> slab_of -> live_index -> free_object: the slot goes on
  // its slab's free list; a full slab joins its class's list; an empty slab
  // goes back to the heap underneath unless it is the only slab of its class
  // with a free slot.

  // Frees the object. A slab that empties and leaves is freed into the heap
  // underneath, or with ReturnLeftSlab detached and returned for the caller
  // to free; otherwise the answer is nullptr.
  template <bool ReturnLeftSlab = false>
  RTALLOC_HOT_INLINE void* free_object(Slab* slab, void* p, std::uint32_t index) noexcept {
    const Layout& l = layout(slab);
    detail::mark_freed(p, l.size);
    clear_bit(slab, index);
    std::memcpy(p, &slab->free, sizeof(void*));
    slab->free = p;
    count_object_removed(slab->index);
    const std::uint32_t used = slab->used - 1;
    slab->used = used;
    if (used + 1 == l.capacity || used == 0) [[unlikely]] {
      void* left = slab_changed(slab);
      if constexpr (ReturnLeftSlab) return left;
      if (left != nullptr) heap_.deallocate(left);
    }
    return nullptr;
  }

  // A slab that was full is back on its class's list; an empty slab leaves
  // (detached, its block returned for the heap underneath) if its class has
  // another slab with a free slot, else stays for the class's next objects.
  [[gnu::noinline]] void* slab_changed(Slab* slab) noexcept {
    if (slab->used + 1 == layout(slab).capacity) {
      list(slab);
      if (slab->used != 0) return nullptr;  // (a slab of one object is full and empty at once)
    }
    const List& list = lists_[slab->index];
    if (list.head == slab && list.tail == slab) return nullptr;  // the class's only slab with room
    unlist(slab);
    return detach(slab);
  }

  // Takes a slab out of the map and the counts; returns its block, a block
  // of the heap underneath again, for the caller to free.
  void* detach(Slab* slab) noexcept {
    const std::uintptr_t chunk =
        (reinterpret_cast<std::uintptr_t>(slab) - window_base_) / slab_bytes;
    map_[chunk >> 6] &= ~(std::uint64_t{1} << (chunk & 63));
    count_slab_removed(slab);
    detail::mark_allocated(slab, Classes::usable_bytes);  // as the heap underneath handed it out
    return slab;
  }

  void give_back(Slab* slab) noexcept { heap_.deallocate(detach(slab)); }

  // ==== Class lists ==========================================================

  void list(Slab* slab) noexcept {
    List& l = lists_[slab->index];
    slab->next = nullptr;
    slab->prev = l.tail;
    if (l.tail != nullptr) {
      l.tail->next = slab;
    } else {
      l.head = slab;
    }
    l.tail = slab;
    slab->listed = 1;
  }

  void unlist(Slab* slab) noexcept {
    List& l = lists_[slab->index];
    RTALLOC_ASSERT(slab->listed, "slab: taking off its class's list a slab not on it", this, slab);
    if (slab->prev != nullptr) {
      slab->prev->next = slab->next;
    } else {
      l.head = slab->next;
    }
    if (slab->next != nullptr) {
      slab->next->prev = slab->prev;
    } else {
      l.tail = slab->prev;
    }
    slab->listed = 0;
  }

  void clear_window() noexcept {
    window_base_ = 0;
    window_bytes_ = 0;
    map_ = nullptr;
    map_words_ = 0;
    window_pool_ = nullptr;
    window_memory_ = nullptr;
  }

  // The pool the heap underneath knows for `pool_memory`, the pointer the
  // caller gave add_pool: the window's pool starts after the slab map.
  void* inner_pool(void* pool_memory) const noexcept {
    return pool_memory != nullptr && pool_memory == window_memory_ ? window_pool_ : pool_memory;
  }

  // ==== Counters =============================================================

#if RTALLOC_STATS
  void count_object_added(std::size_t index) noexcept { ++lists_[index].live; }
  void count_object_removed(std::size_t index) noexcept { --lists_[index].live; }
  void count_slab_added(const Slab* slab) noexcept {
    ++counts_.slabs;
    counts_.slab_bytes += slab_block_bytes(slab);
  }
  void count_slab_removed(const Slab* slab) noexcept {
    --counts_.slabs;
    counts_.slab_bytes -= slab_block_bytes(slab);
  }
  void count_slab_refused() noexcept { ++slabs_refused_; }
  std::size_t slabs_refused() const noexcept { return slabs_refused_; }
#else
  static void count_slab_refused() noexcept {}
  static std::size_t slabs_refused() noexcept { return 0; }
  static void count_object_added(std::size_t) noexcept {}
  static void count_object_removed(std::size_t) noexcept {}
  static void count_slab_added(const Slab*) noexcept {}
  static void count_slab_removed(const Slab*) noexcept {}
#endif
  // The bytes a slab's block occupies in the heap underneath: its usable
  // bytes, its header and the word an aligned block keeps its alignment in.
  std::size_t slab_block_bytes(const Slab* slab) const noexcept {
    return heap_.block_usable_size(slab) + 2 * Heap::header_size;
  }

  // ==== Invariant checks =====================================================

  template <class Visitor>
  static bool call(Visitor& visitor, const BlockInfo& info) {
    if constexpr (std::is_same_v<std::invoke_result_t<Visitor&, const BlockInfo&>, bool>) {
      return visitor(info);
    } else {
      visitor(info);
      return true;
    }
  }

  bool corrupted(const char* what, const void* where) const noexcept {
    detail::report(ErrorCode::heap_corrupted, what, this, where);
    return false;
  }

  bool check_slabs() const noexcept {
    SmallObjectStats tally{};
    bool sound = true;
    std::size_t should_list = 0;
    heap_.walk([&](const BlockInfo& block) {
      const Slab* slab = slab_at(block);
      if (slab == nullptr) return true;
      sound = check_slab(slab, block, tally);
      if (sound && slab->used < layout(slab).capacity) ++should_list;
      return sound;
    });
    if (!sound) return false;
    std::size_t marked = 0;
    for (std::size_t w = 0; w < map_words_; ++w)
      marked += static_cast<std::size_t>(std::popcount(map_[w]));
    if (marked != tally.slabs) return corrupted("slab map marks a chunk that is no slab", map_);
    std::size_t listed = 0;
    for (std::size_t c = 0; c < class_count; ++c) {
      const Slab* prev = nullptr;
      for (const Slab* s = lists_[c].head; s != nullptr; prev = s, s = s->next) {
        if (++listed > tally.slabs)
          return corrupted("slab lists hold more slabs than there are", s);
        if (s->index != c) return corrupted("slab on another class's list", s);
        if (s->prev != prev) return corrupted("slab list back link wrong", s);
        if (!s->listed) return corrupted("slab on a list says it is not", s);
      }
      if (lists_[c].tail != prev) return corrupted("slab list tail wrong", &lists_[c]);
    }
    if (listed != should_list)
      return corrupted("slab with a free slot missing from its list", this);
#if RTALLOC_STATS
    const SmallObjectStats counted = stats_detail();
    if (tally.slabs != counted.slabs || tally.small_objects != counted.small_objects ||
        tally.small_bytes != counted.small_bytes || tally.slab_bytes != counted.slab_bytes) {
      return corrupted("slab counters disagree with the slabs", this);
    }
    if (tally.empty_slabs != stats_detail().empty_slabs) {
      return corrupted("an empty slab kept where its class would not use it next", this);
    }
#endif
    return true;
  }

  bool check_slab(const Slab* slab, const BlockInfo& block,
                  SmallObjectStats& tally) const noexcept {
    if (slab->magic != slab_magic) return corrupted("slab header damaged", slab);
    if (slab->index >= class_count) return corrupted("slab of no class", slab);
    if (block.size < Classes::usable_bytes)
      return corrupted("slab block smaller than a slab", slab);
    const Layout& l = layout(slab);
    if (slab->bump > l.capacity) return corrupted("slab bump offset beyond its capacity", slab);
    std::size_t live = 0;
    for (std::size_t w = 0; w < Classes::bitmap_words(l.capacity); ++w) {
      const std::uint64_t bits = slab->bits()[w];
      const std::size_t first = w * 64;
      if (first + 64 > slab->bump) {  // the bits at and beyond the bump offset must be clear
        const std::size_t below = slab->bump > first ? slab->bump - first : 0;
        const std::uint64_t beyond = below >= 64 ? 0 : ~std::uint64_t{0} << below;
        if ((bits & beyond) != 0) return corrupted("slab bit set beyond the bump offset", slab);
      }
      live += static_cast<std::size_t>(std::popcount(bits));
    }
    if (live != slab->used) return corrupted("slab count of live objects wrong", slab);
    std::uint32_t free_slots = 0;
    for (const void* p = slab->free; p != nullptr;) {
      if (++free_slots > slab->bump - slab->used) return corrupted("slab free list too long", slab);
      const std::uint32_t i = slot_index_exact(slab, p);
      if (i == no_object) return corrupted("slab free list points at no slot", p);
      if (is_set(slab, i)) return corrupted("slab free list holds a live object", p);
      std::memcpy(&p, p, sizeof p);
    }
    if (free_slots != slab->bump - slab->used)
      return corrupted("slab free list misses a slot", slab);
    if ((slab->listed != 0) != (slab->used < l.capacity)) {
      return corrupted("slab listed though full, or full though listed", slab);
    }
    ++tally.slabs;
    tally.slab_bytes += block.block_size;
    tally.small_objects += slab->used;
    tally.small_bytes += std::size_t{slab->used} * l.size;
    if (slab->used == 0) ++tally.empty_slabs;
    return true;
  }

  // object_index in every build: no_object unless p is a slot's start.
  static std::uint32_t slot_index_exact(const Slab* slab, const void* p) noexcept {
    const Layout& l = layout(slab);
    const std::uintptr_t offset =
        reinterpret_cast<std::uintptr_t>(p) - reinterpret_cast<std::uintptr_t>(slab) - l.first;
    if (offset >= slab->limit) return no_object;
    const auto index = static_cast<std::uint32_t>((std::uint64_t{offset} * l.reciprocal) >> 32);
    return offset == std::uintptr_t{index} * l.stride() ? index : no_object;
  }

  // ==== Control block ========================================================

  Heap heap_{};
  List lists_[class_count] = {};
  std::uintptr_t window_base_ = 0;
  std::size_t window_bytes_ = 0;
  std::uint64_t* map_ = nullptr;
  std::size_t map_words_ = 0;
  std::uint32_t slab_retry_in_ = 0;        // requests to go without trying for a slab again
  bool slab_room_outside_window_ = false;  // the last slab refused was outside the window
  void* window_pool_ = nullptr;            // the pool add_pool made the window: after the map
  void* window_memory_ = nullptr;          // and the memory the caller gave for it
#if RTALLOC_STATS
  SmallObjectStats counts_{};
  std::size_t slabs_refused_ = 0;  // counted as failures by the heap underneath
#else
  struct NoCounts {};
  [[no_unique_address]] NoCounts counts_{};
#endif
};

RTALLOC_HEAP_CODE_END

}  // namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE
