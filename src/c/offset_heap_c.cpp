// SPDX-License-Identifier: MIT OR Apache-2.0
// <rtalloc/offset_heap.h>: each function is a thin call into
// rtalloc::OffsetHeap; the contracts are in the header. Compiled without
// exceptions or RTTI, it needs no C++ runtime.
#include <rtalloc/offset_heap.h>

#include <cstddef>
#include <cstdint>
#include <new>
#include <rtalloc/offset_heap.hpp>
#include <type_traits>

namespace {

using Heap = rtalloc::OffsetHeap<rtalloc::caller_records>;
using rtalloc::OffsetError;

static_assert(static_cast<int>(OffsetError::none) == RTALLOC_OFFSET_OK &&
                  static_cast<int>(OffsetError::out_of_space) == RTALLOC_OFFSET_OUT_OF_SPACE &&
                  static_cast<int>(OffsetError::out_of_records) == RTALLOC_OFFSET_OUT_OF_RECORDS &&
                  static_cast<int>(OffsetError::too_large) == RTALLOC_OFFSET_TOO_LARGE &&
                  static_cast<int>(OffsetError::invalid_alignment) ==
                      RTALLOC_OFFSET_INVALID_ALIGNMENT &&
                  static_cast<int>(OffsetError::stale_handle) == RTALLOC_OFFSET_STALE_HANDLE &&
                  static_cast<int>(OffsetError::invalid_range) == RTALLOC_OFFSET_INVALID_RANGE &&
                  static_cast<int>(OffsetError::range_overlap) == RTALLOC_OFFSET_RANGE_OVERLAP &&
                  static_cast<int>(OffsetError::range_in_use) == RTALLOC_OFFSET_RANGE_IN_USE,
              "rtalloc_offset_error must mirror rtalloc::OffsetError value for value.");
constexpr int last_error = RTALLOC_OFFSET_RANGE_IN_USE;

// The records follow the control block, which is a multiple of 8 bytes.
constexpr std::size_t control_bytes = (sizeof(Heap) + 7) / 8 * 8;
constexpr std::size_t smallest_heap = control_bytes + 3 * Heap::record_bytes;

int code(OffsetError error) { return static_cast<int>(error); }

}  // namespace

// The C handle is the heap itself: a pointer to either is the same address,
// the one the heap names in its error reports.
struct rtalloc_offset_heap : Heap {
  using Heap::Heap;
};

static_assert(std::is_standard_layout_v<rtalloc_offset_heap> &&
                  sizeof(rtalloc_offset_heap) == sizeof(Heap),
              "rtalloc_offset_heap must be the OffsetHeap object itself, at the same address.");

extern "C" {

// ---- Sizes ----------------------------------------------------------------------

size_t rtalloc_offset_heap_size(void) { return sizeof(rtalloc_offset_heap); }
size_t rtalloc_offset_heap_alignment(void) { return alignof(rtalloc_offset_heap); }
size_t rtalloc_offset_record_size(void) { return Heap::record_bytes; }
size_t rtalloc_offset_heap_bytes_for(size_t records) {
  return control_bytes + records * Heap::record_bytes;
}
size_t rtalloc_offset_max_records(void) { return Heap::max_records; }
uint64_t rtalloc_offset_max_offset(void) { return Heap::max_offset; }

// ---- Creating a heap -------------------------------------------------------------

rtalloc_offset_heap* rtalloc_offset_heap_create(void* memory, size_t bytes) {
  if (memory == nullptr ||
      reinterpret_cast<std::uintptr_t>(memory) % alignof(rtalloc_offset_heap) != 0 ||
      bytes < smallest_heap) {
    return nullptr;
  }
  return ::new (memory) rtalloc_offset_heap(static_cast<unsigned char*>(memory) + control_bytes,
                                            bytes - control_bytes);
}

// ---- Ranges ---------------------------------------------------------------------

int rtalloc_offset_add_range(rtalloc_offset_heap* heap, uint64_t offset, uint64_t size,
                             rtalloc_offset_range* range) {
  const rtalloc::OffsetRangeResult result = heap->add_range(offset, size);
  *range = result.range.value;
  return code(result.error);
}

int rtalloc_offset_extend_range(rtalloc_offset_heap* heap, rtalloc_offset_range range,
                                uint64_t bytes) {
  return code(heap->extend_range(rtalloc::OffsetRange{range}, bytes));
}

int rtalloc_offset_remove_range(rtalloc_offset_heap* heap, rtalloc_offset_range range) {
  return code(heap->remove_range(rtalloc::OffsetRange{range}));
}

int rtalloc_offset_range_bounds(const rtalloc_offset_heap* heap, rtalloc_offset_range range,
                                uint64_t* begin, uint64_t* end) {
  const auto bounds = heap->range_bounds(rtalloc::OffsetRange{range});
  *begin = bounds.begin;
  *end = bounds.end;
  return bounds.end != 0 ? RTALLOC_OFFSET_OK : RTALLOC_OFFSET_INVALID_RANGE;
}

// ---- Allocation -----------------------------------------------------------------

int rtalloc_offset_allocate(rtalloc_offset_heap* heap, uint64_t size, uint64_t alignment,
                            rtalloc_offset_allocation* out) {
  const rtalloc::OffsetAllocation a = heap->allocate(size, alignment);
  out->offset = a.offset;
  out->handle = a.handle.value;
  return code(a.error);
}

int rtalloc_offset_free(rtalloc_offset_heap* heap, rtalloc_offset_handle handle) {
  return code(heap->free(rtalloc::OffsetHandle{handle}));
}

int rtalloc_offset_resize(rtalloc_offset_heap* heap, rtalloc_offset_handle handle, uint64_t size) {
  return code(heap->resize(rtalloc::OffsetHandle{handle}, size));
}

uint64_t rtalloc_offset_of(const rtalloc_offset_heap* heap, rtalloc_offset_handle handle) {
  return heap->offset_of(rtalloc::OffsetHandle{handle});
}

uint64_t rtalloc_offset_size_of(const rtalloc_offset_heap* heap, rtalloc_offset_handle handle) {
  return heap->size_of(rtalloc::OffsetHandle{handle});
}

int rtalloc_offset_valid(const rtalloc_offset_heap* heap, rtalloc_offset_handle handle) {
  return heap->valid(rtalloc::OffsetHandle{handle}) ? 1 : 0;
}

// ---- Free space and introspection ---------------------------------------------------

uint64_t rtalloc_offset_free_size(const rtalloc_offset_heap* heap) { return heap->free_size(); }

uint64_t rtalloc_offset_largest_allocation(const rtalloc_offset_heap* heap) {
  return heap->largest_allocation();
}

uint64_t rtalloc_offset_largest_free(const rtalloc_offset_heap* heap) {
  return heap->largest_free();
}

void rtalloc_offset_get_stats(const rtalloc_offset_heap* heap, rtalloc_offset_stats* out) {
  const rtalloc::OffsetHeapStats s = heap->stats();
  out->range_count = s.pool_count;
  out->capacity = s.capacity;
  out->used = s.used;
  out->free = s.free;
  out->largest_free = s.largest_free;
  out->peak_used = s.peak_used;
  out->used_blocks = s.used_blocks;
  out->free_blocks = s.free_blocks;
  out->failed_allocations = s.failed_allocations;
  out->record_capacity = s.record_capacity;
  out->records_used = s.records_used;
}

void rtalloc_offset_walk(const rtalloc_offset_heap* heap, rtalloc_offset_walker walker,
                         void* user) {
  if (walker == nullptr) return;
  heap->walk([=](const rtalloc::OffsetBlockInfo& block) {
    return walker(block.offset, block.size, block.used ? 1 : 0, block.handle.value, user) != 0;
  });
}

int rtalloc_offset_check(const rtalloc_offset_heap* heap) { return heap->check() ? 1 : 0; }

const char* rtalloc_offset_error_name(int error) {
  if (error < 0 || error > last_error) return "unknown";
  return rtalloc::to_string(static_cast<OffsetError>(error));
}

}  // extern "C"
