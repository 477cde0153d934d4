// SPDX-License-Identifier: MIT OR Apache-2.0
// <rtalloc/tlsf.h>: the tlsf.h API over the same heap as <rtalloc/rtalloc.h>.
// Where the two APIs mean the same, the functions here call the native ones;
// docs/c-api.md lists how the results differ from the original library's.
#include <rtalloc/rtalloc.h>
#include <rtalloc/tlsf.h>

#include <cstddef>

#include "c_heap.hpp"

using rtalloc::c_api::Heap;

namespace {

rtalloc_heap* heap_of(tlsf_t tlsf) { return static_cast<rtalloc_heap*>(tlsf); }

// Memory aligned to tlsf_align_size() must be accepted by tlsf_create.
static_assert(alignof(rtalloc_heap) <= Heap::granularity);

}  // namespace

extern "C" {

tlsf_t tlsf_create(void* mem) { return rtalloc_create(mem, sizeof(rtalloc_heap)); }

tlsf_t tlsf_create_with_pool(void* mem, size_t bytes) {
  return rtalloc_create_with_pool(mem, bytes);
}

void tlsf_destroy(tlsf_t) {}

pool_t tlsf_get_pool(tlsf_t tlsf) {
  return static_cast<unsigned char*>(tlsf) + sizeof(rtalloc_heap);
}

pool_t tlsf_add_pool(tlsf_t tlsf, void* mem, size_t bytes) {
  return rtalloc_add_pool(heap_of(tlsf), mem, bytes) != 0 ? mem : nullptr;
}

void tlsf_remove_pool(tlsf_t tlsf, pool_t pool) { rtalloc_remove_pool(heap_of(tlsf), pool); }

void* tlsf_malloc(tlsf_t tlsf, size_t bytes) { return rtalloc_malloc(heap_of(tlsf), bytes); }

void* tlsf_memalign(tlsf_t tlsf, size_t align, size_t bytes) {
  return rtalloc_memalign(heap_of(tlsf), align, bytes);
}

void* tlsf_realloc(tlsf_t tlsf, void* ptr, size_t size) {
  return rtalloc_realloc(heap_of(tlsf), ptr, size);
}

void tlsf_free(tlsf_t tlsf, void* ptr) { rtalloc_free(heap_of(tlsf), ptr); }

size_t tlsf_block_size(void* ptr) { return Heap::block_usable_size(ptr); }

size_t tlsf_size(void) { return sizeof(rtalloc_heap); }
size_t tlsf_align_size(void) { return Heap::granularity; }
size_t tlsf_block_size_min(void) { return Heap::min_block_size - Heap::header_size; }
size_t tlsf_block_size_max(void) { return Heap::max_block_size; }
size_t tlsf_pool_overhead(void) { return Heap::pool_overhead; }
size_t tlsf_alloc_overhead(void) { return Heap::header_size; }

void tlsf_walk_pool(pool_t pool, tlsf_walker walker, void* user) {
  if (walker == nullptr) return;
  Heap::walk_pool(pool, [=](const rtalloc::BlockInfo& block) {
    walker(block.address, block.size, block.used ? 1 : 0, user);
  });
}

int tlsf_check(tlsf_t tlsf) { return rtalloc_check(heap_of(tlsf)) ? 0 : -1; }

int tlsf_check_pool(pool_t pool) { return Heap::check_pool(pool) ? 0 : -1; }

}  // extern "C"
