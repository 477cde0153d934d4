// SPDX-License-Identifier: MIT OR Apache-2.0
// rtalloc::WasmMemory — a pool source (rtalloc::growable_pool_source) of
// WebAssembly linear memory, for a growing heap (FlexTlsf) that serves a
// wasm module's malloc. Freestanding; wasm32 and wasm64 only.
//
// Linear memory grows only at its end, one 64 KiB page at a time
// (memory.grow), and never shrinks. So every region this source hands out
// is pages it grew itself, and a region that still ends where memory ends
// grows in place: a FlexTlsf over WasmMemory stays one contiguous pool for
// as long as nothing else in the module grows memory. Released regions
// cannot go back to the host; they are kept and handed out again.
//
// The source never touches memory it did not grow: the module's data, its
// stack, and the memory between __heap_base and the initial memory's end
// (which wasi-libc's own malloc may use) stay untouched. A module whose
// malloc is rtalloc's can add that initial tail as a pool of its own
// (examples/wasm/wasm_malloc.cpp does).
#pragma once

#if !defined(__wasm__)
#error "rtalloc/sources/wasm_memory.hpp is for WebAssembly targets (wasm32, wasm64)."
#endif

#include <cstddef>
#include <cstdint>
#include <limits>
#include <new>

#include "rtalloc/concepts.hpp"
#include "rtalloc/config.hpp"
#include "rtalloc/detail/bits.hpp"

namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE {

class WasmMemory {
 public:
  /// The unit linear memory grows by.
  static constexpr std::size_t page_size = 65536;

  /// Grows memory by at least one page per call.
  constexpr WasmMemory() noexcept = default;
  /// Grows memory by at least `step` bytes (rounded up to whole pages) per
  /// call: fewer, larger steps mean fewer calls to the host.
  explicit constexpr WasmMemory(std::size_t step) noexcept : step_(step) {}

  WasmMemory(const WasmMemory&) = delete;
  WasmMemory& operator=(const WasmMemory&) = delete;
  constexpr WasmMemory(WasmMemory&& other) noexcept
      : step_(other.step_), released_(other.released_) {
    other.released_ = nullptr;
  }
  WasmMemory& operator=(WasmMemory&&) = delete;

  /// A region of at least min_bytes: a released one that holds it (the
  /// first found), else new pages at the end of memory (at least the step),
  /// page-aligned. Cost: O(released regions) plus one memory.grow.
  /// {nullptr, 0} if the host refuses to grow memory (its maximum, or the
  /// module's, is reached) or min_bytes is beyond the address space.
  Region acquire(std::size_t min_bytes) noexcept {
    for (Released** link = &released_; *link != nullptr; link = &(*link)->next) {
      Released* region = *link;
      if (region->bytes >= min_bytes) {
        *link = region->next;
        return {region, region->bytes};
      }
    }
    const std::size_t bytes = step_bytes(min_bytes);
    if (bytes == 0) return {};
    const std::size_t old_pages = __builtin_wasm_memory_grow(0, bytes / page_size);
    if (old_pages == std::numeric_limits<std::size_t>::max()) return {};
    return {reinterpret_cast<void*>(old_pages * page_size), bytes};
  }

  /// Grows `region` in place by at least min_bytes (at least the step, in
  /// whole pages) if it ends where linear memory ends. Returns the bytes
  /// added, or 0 if the region is not at the end of memory (something else
  /// grew memory since) or the host refuses. One memory.grow; O(1).
  std::size_t grow(Region region, std::size_t min_bytes) noexcept {
    const auto end = reinterpret_cast<std::uintptr_t>(region.memory) + region.bytes;
    if (end != memory_end()) return 0;
    const std::size_t bytes = step_bytes(min_bytes);
    if (bytes == 0) return 0;
    if (__builtin_wasm_memory_grow(0, bytes / page_size) == std::numeric_limits<std::size_t>::max())
      return 0;
    return bytes;
  }

  /// Takes back a region that acquire returned (with any bytes grow added).
  /// Linear memory cannot shrink, so the region is kept, its first two
  /// words recording it, and acquire hands it out again. O(1).
  void release(Region region) noexcept {
    if (region.memory == nullptr || region.bytes < sizeof(Released)) return;
    released_ = ::new (region.memory) Released{released_, region.bytes};
  }

  /// Where linear memory ends now (its size in bytes). O(1).
  static std::uintptr_t memory_end() noexcept {
    return static_cast<std::uintptr_t>(__builtin_wasm_memory_size(0)) * page_size;
  }

 private:
  struct Released {
    Released* next;
    std::size_t bytes;
  };

  // min_bytes, at least the step, rounded up to whole pages; 0 on overflow.
  std::size_t step_bytes(std::size_t min_bytes) const noexcept {
    std::size_t bytes = min_bytes > step_ ? min_bytes : step_;
    if (bytes == 0) bytes = 1;
    if (bytes > std::numeric_limits<std::size_t>::max() - (page_size - 1)) return 0;
    return detail::align_up(bytes, page_size);
  }

  std::size_t step_ = page_size;
  Released* released_ = nullptr;
};

static_assert(growable_pool_source<WasmMemory>);

}  // namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE
