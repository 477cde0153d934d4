// SPDX-License-Identifier: MIT OR Apache-2.0
// <rtalloc/rtalloc.h>: each function is a thin call into rtalloc::Tlsf; the
// contracts are in the header. Compiled without exceptions or RTTI, it needs
// no C++ runtime.
#include <rtalloc/rtalloc.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <new>
#include <rtalloc/error.hpp>

#include "c_heap.hpp"

using rtalloc::c_api::Heap;

namespace {

// ---- Error handler ----------------------------------------------------------

using rtalloc::ErrorCode;
static_assert(static_cast<int>(ErrorCode::invalid_alignment) == RTALLOC_ERROR_INVALID_ALIGNMENT &&
                  static_cast<int>(ErrorCode::invalid_pool) == RTALLOC_ERROR_INVALID_POOL &&
                  static_cast<int>(ErrorCode::pool_overlap) == RTALLOC_ERROR_POOL_OVERLAP &&
                  static_cast<int>(ErrorCode::invalid_pointer) == RTALLOC_ERROR_INVALID_POINTER &&
                  static_cast<int>(ErrorCode::double_free) == RTALLOC_ERROR_DOUBLE_FREE &&
                  static_cast<int>(ErrorCode::heap_corrupted) == RTALLOC_ERROR_HEAP_CORRUPTED,
              "rtalloc_error_code must mirror rtalloc::ErrorCode value for value.");
constexpr int last_error_code = RTALLOC_ERROR_HEAP_CORRUPTED;

// The C handler. The process-wide C++ handler slot holds forward_to_c_handler
// while a C handler is installed.
std::atomic<rtalloc_error_handler> c_handler{nullptr};

void forward_to_c_handler(const rtalloc::ErrorInfo& info) noexcept {
  if (const rtalloc_error_handler handler = c_handler.load(std::memory_order_acquire)) {
    handler(static_cast<int>(info.code), info.message, info.heap, info.address, info.size);
  } else {
    // The default handler's behaviour, should the slots disagree for a moment.
    rtalloc::detail::default_error_action(info);
  }
}

}  // namespace

extern "C" {

// ---- Sizes --------------------------------------------------------------------

size_t rtalloc_heap_size(void) { return sizeof(rtalloc_heap); }
size_t rtalloc_heap_alignment(void) { return alignof(rtalloc_heap); }
size_t rtalloc_min_pool_size(void) { return Heap::min_pool_size; }
size_t rtalloc_max_allocation(void) { return Heap::max_allocation; }

// ---- Creating a heap ------------------------------------------------------------

rtalloc_heap* rtalloc_create(void* memory, size_t bytes) {
  if (memory == nullptr || reinterpret_cast<std::uintptr_t>(memory) % alignof(rtalloc_heap) != 0 ||
      bytes < sizeof(rtalloc_heap)) {
    return nullptr;
  }
  return ::new (memory) rtalloc_heap;
}

rtalloc_heap* rtalloc_create_with_pool(void* memory, size_t bytes) {
  if (bytes < sizeof(rtalloc_heap) + Heap::min_pool_size) return nullptr;
  rtalloc_heap* heap = rtalloc_create(memory, sizeof(rtalloc_heap));
  if (heap == nullptr) return nullptr;
  if (heap->add_pool(static_cast<unsigned char*>(memory) + sizeof(rtalloc_heap),
                     bytes - sizeof(rtalloc_heap)) == 0) {
    return nullptr;
  }
  return heap;
}

// ---- Pools ----------------------------------------------------------------------

size_t rtalloc_add_pool(rtalloc_heap* heap, void* memory, size_t bytes) {
  return heap->add_pool(memory, bytes);
}

size_t rtalloc_extend_pool(rtalloc_heap* heap, void* pool, void* memory, size_t bytes) {
  return heap->extend_pool(pool, memory, bytes);
}

void* rtalloc_pool_end(const rtalloc_heap* heap, void* pool) { return heap->pool_end(pool); }

int rtalloc_remove_pool(rtalloc_heap* heap, void* pool) { return heap->remove_pool(pool) ? 1 : 0; }

void rtalloc_reset(rtalloc_heap* heap) { heap->reset(); }

int rtalloc_owns(const rtalloc_heap* heap, const void* p) { return heap->owns(p) ? 1 : 0; }

// ---- Allocation -----------------------------------------------------------------

void* rtalloc_malloc(rtalloc_heap* heap, size_t size) { return heap->allocate(size); }

void* rtalloc_calloc(rtalloc_heap* heap, size_t count, size_t size) {
  size_t bytes;
  if (__builtin_mul_overflow(count, size, &bytes)) {
    // A request no heap can satisfy: fails and is counted like any other.
    bytes = std::numeric_limits<size_t>::max();
  }
  void* p = heap->allocate(bytes);
  if (p != nullptr) std::memset(p, 0, bytes);
  return p;
}

void* rtalloc_memalign(rtalloc_heap* heap, size_t alignment, size_t size) {
  return heap->allocate(size, alignment);
}

void* rtalloc_realloc(rtalloc_heap* heap, void* p, size_t size) {
  // Tlsf::reallocate(p, 0) keeps a minimal block; C's realloc frees it.
  if (p != nullptr && size == 0) {
    heap->deallocate(p);
    return nullptr;
  }
  return heap->reallocate(p, size);
}

void rtalloc_free(rtalloc_heap* heap, void* p) { heap->deallocate(p); }

size_t rtalloc_usable_size(const rtalloc_heap* heap, const void* p) { return heap->usable_size(p); }

// ---- Introspection --------------------------------------------------------------

void rtalloc_get_stats(const rtalloc_heap* heap, rtalloc_stats* out) {
  const rtalloc::TlsfStats s = heap->stats();
  out->pool_count = s.pool_count;
  out->capacity = s.capacity;
  out->used = s.used;
  out->free = s.free;
  out->largest_free = s.largest_free;
  out->peak_used = s.peak_used;
  out->used_blocks = s.used_blocks;
  out->free_blocks = s.free_blocks;
  out->failed_allocations = s.failed_allocations;
}

void rtalloc_walk(const rtalloc_heap* heap, rtalloc_walker walker, void* user) {
  if (walker == nullptr) return;
  heap->walk([=](const rtalloc::BlockInfo& block) {
    return walker(block.address, block.size, block.used ? 1 : 0, user) != 0;
  });
}

int rtalloc_check(const rtalloc_heap* heap) { return heap->check() ? 1 : 0; }

// ---- Errors ---------------------------------------------------------------------

rtalloc_error_handler rtalloc_set_error_handler(rtalloc_error_handler handler) {
  const rtalloc_error_handler previous_c = c_handler.exchange(handler, std::memory_order_acq_rel);
  const rtalloc::ErrorHandler previous =
      rtalloc::set_error_handler(handler != nullptr ? forward_to_c_handler : nullptr);
  return previous == forward_to_c_handler ? previous_c : nullptr;
}

const char* rtalloc_error_name(int code) {
  if (code < 0 || code > last_error_code) return "unknown";
  return rtalloc::to_string(static_cast<ErrorCode>(code));
}

}  // extern "C"
