// SPDX-License-Identifier: MIT OR Apache-2.0
// The replay engine of rtalloc-replay: walks a loaded trace through an allocator, and finds the
// smallest pool a pool-based heap needs for a trace.
//
// An allocator is reached through a "calls" object with three members:
//   void* allocate(std::size_t size, std::uint32_t align);  // align 0: the default alignment
//   void  deallocate(void* p);                              // p is never null
//   void* reallocate(void* p, std::size_t size);            // p is never null, size never 0
//
// Replay rules (docs/trace-format.md): a failed allocation is counted and its id holds no block, so
// a later free of it is skipped and a later resize of it allocates afresh; when a reallocate
// fails, the old block is freed, since the trace will not name it again.
//
// Hosted code for the tools; the allocators never include it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <span>
#include <trace/trace.hpp>
#include <vector>

#include "heap_configs.hpp"

namespace rtalloc::replay {

using trace::Op;
using trace::Trace;

// The operations of a loaded trace, wherever they are kept: a Trace's vector, or memory the replay
// tool shares between its processes.
struct TraceView {
  std::span<const Op> ops;
  std::uint32_t max_id = 0;  // ids run 1 .. max_id

  TraceView(std::span<const Op> operations, std::uint32_t largest_id)
      : ops(operations), max_id(largest_id) {}
  // Implicit: wherever a view is wanted, a Trace will do.
  TraceView(const Trace& trace) : ops(trace.ops), max_id(trace.max_id) {}
};

// --- Allocators ---------------------------------------------------------------------------------

// An rtalloc heap, called directly (inlined into the replay loop, as a program would call it).
template <class Heap>
struct HeapCalls {
  Heap& heap;
  void* allocate(std::size_t size, std::uint32_t align) noexcept {
    return align == 0 ? heap.allocate(size) : heap.allocate(size, align);
  }
  void deallocate(void* p) noexcept { heap.deallocate(p); }
  void* reallocate(void* p, std::size_t size) noexcept { return heap.reallocate(p, size); }
};

// Whatever malloc the process has: glibc's, or the one LD_PRELOAD put in front of it. An
// alignment up to malloc's own is met by malloc itself, as a C program would do it.
struct MallocCalls {
  void* allocate(std::size_t size, std::uint32_t align) noexcept {
    return align <= alignof(std::max_align_t) ? std::malloc(size) : std::aligned_alloc(align, size);
  }
  void deallocate(void* p) noexcept { std::free(p); }
  void* reallocate(void* p, std::size_t size) noexcept { return std::realloc(p, size); }
};

// --- One operation ------------------------------------------------------------------------------

// Performs trace operation `op` through `calls`, with the block pointers in `slots` (indexed by
// trace id). Returns false when an allocation failed. O(1) plus the allocator's own cost.
template <class Calls>
inline bool replay_op(const Op& op, Calls& calls, void** slots) noexcept {
  switch (op.kind) {
    case Op::Kind::allocate: {
      void* p = calls.allocate(static_cast<std::size_t>(op.size), op.align);
      slots[op.id] = p;
      return p != nullptr;
    }
    case Op::Kind::free:
      if (slots[op.id] != nullptr) calls.deallocate(slots[op.id]);
      slots[op.id] = nullptr;
      return true;
    case Op::Kind::reallocate: {
      void* old = slots[op.id];
      void* p = old == nullptr ? calls.allocate(static_cast<std::size_t>(op.size), 0)
                               : calls.reallocate(old, static_cast<std::size_t>(op.size));
      if (p == nullptr && old != nullptr) calls.deallocate(old);
      slots[op.id] = nullptr;
      slots[op.new_id] = p;
      return p != nullptr;
    }
  }
  return true;
}

// Frees what the trace left live, so that a heap can be checked or torn down cleanly.
template <class Calls>
void free_remaining(Calls& calls, std::span<void*> slots) noexcept {
  for (void*& p : slots) {
    if (p != nullptr) calls.deallocate(p);
    p = nullptr;
  }
}

// --- Pools --------------------------------------------------------------------------------------

// Adds [memory, memory + bytes) to `heap` as one pool, or as several adjacent ones when the heap's
// largest block is smaller than the memory (TlsfSmall). Returns the capacity added, 0 on refusal.
template <class Heap>
std::size_t add_pools(Heap& heap, std::byte* memory, std::size_t bytes) noexcept {
  constexpr std::size_t largest_pool =
      Heap::max_block_size + Heap::pool_overhead + Heap::granularity;
  std::size_t capacity = 0;
  while (bytes >= Heap::min_pool_size) {
    const std::size_t chunk = bytes < largest_pool ? bytes : largest_pool;
    const std::size_t added = heap.add_pool(memory, chunk);
    if (added == 0) return 0;
    capacity += added;
    memory += chunk;
    bytes -= chunk;
  }
  return capacity;
}

// Result of a search for the smallest pool.
struct MinPool {
  bool found = false;
  std::uint64_t bytes = 0;       // pool bytes plus the control block
  std::uint64_t pool_bytes = 0;  // what was given to add_pool
  std::uint64_t tries = 0;       // replays the search took
  std::uint64_t resolution = 0;  // the answer is exact to this many bytes
};

// Finds the smallest memory (pool plus control block) in which `trace` replays into a fresh `Heap`
// without a failed allocation: doubling from the peak until one fits, then bisecting to 0.01 % of
// the peak (at least 256 bytes). Costs O(log(peak / resolution)) replays. `found` is false when the
// trace asks for more than Heap::max_allocation or nothing up to 1 TiB fits.
template <class Heap>
MinPool find_min_pool(TraceView trace, std::uint64_t peak_live_bytes) {
  MinPool result;
  for (const Op& op : trace.ops) {
    if (op.kind != Op::Kind::free && op.size > Heap::max_allocation) return result;
  }
  struct AlignedDelete {
    void operator()(std::byte* p) const noexcept {
      ::operator delete (p, std::align_val_t{1 << 16});
    }
  };
  using Memory = std::unique_ptr<std::byte, AlignedDelete>;
  // Pool memory on a 64 KiB boundary, so that aligned requests land the same way in every try.
  const auto allocate_memory = [](std::size_t bytes) {
    return Memory(static_cast<std::byte*>(::operator new (bytes, std::align_val_t{1 << 16})));
  };
  std::vector<void*> slots(std::size_t{trace.max_id} + 1);
  const auto heap_storage = std::make_unique<std::byte[]>(sizeof(Heap) + alignof(Heap));
  void* heap_place = heap_storage.get();
  std::size_t heap_space = sizeof(Heap) + alignof(Heap);
  heap_place = std::align(alignof(Heap), sizeof(Heap), heap_place, heap_space);

  const auto fits = [&](std::byte* memory, std::size_t bytes) {
    ++result.tries;
    Heap* heap = new (heap_place) Heap();
    bool ok = add_pools(*heap, memory, bytes) != 0;
    std::fill(slots.begin(), slots.end(), nullptr);
    HeapCalls<Heap> calls{*heap};
    for (std::size_t i = 0; ok && i < trace.ops.size(); ++i) {
      ok = replay_op(trace.ops[i], calls, slots.data());
    }
    heap->~Heap();
    return ok;
  };
  const auto round_to_granule = [](std::uint64_t bytes) {
    return static_cast<std::size_t>((bytes + Heap::granularity - 1) / Heap::granularity *
                                    Heap::granularity);
  };

  // A pool of `peak` bytes cannot fit: the blocks need at least that plus their headers.
  const std::uint64_t peak = peak_live_bytes;
  const std::size_t resolution = round_to_granule(std::max<std::uint64_t>(peak / 10000, 256));
  std::size_t low = round_to_granule(std::max<std::uint64_t>(peak, Heap::min_pool_size));
  std::size_t high = round_to_granule(std::max<std::uint64_t>(2 * peak, 2 * Heap::min_pool_size));
  Memory memory = allocate_memory(high);
  while (!fits(memory.get(), high)) {
    low = high;
    high *= 2;
    if (high > (std::size_t{1} << 40)) return result;
    memory = allocate_memory(high);
  }
  while (high - low > resolution) {
    const std::size_t middle = round_to_granule(low + (high - low) / 2);
    if (middle >= high) break;
    if (fits(memory.get(), middle)) {
      high = middle;
    } else {
      low = middle;
    }
  }
  result.found = true;
  result.pool_bytes = high;
  result.bytes = std::uint64_t{high} + sizeof(Heap);
  result.resolution = resolution;
  return result;
}

}  // namespace rtalloc::replay
