// SPDX-License-Identifier: MIT OR Apache-2.0
// std::pmr adapters: an rtalloc heap as a std::pmr::memory_resource.
//
//   rtalloc::Tlsf<> heap(memory, bytes);
//   rtalloc::TlsfResource resource(heap);
//   std::pmr::vector<int> numbers(&resource);
//
// Unlike the heaps, this header is hosted: std::pmr reports failure by
// throwing std::bad_alloc.
#pragma once

#include <cstddef>
#include <memory_resource>
#include <new>

#include "rtalloc/concepts.hpp"
#include "rtalloc/config.hpp"

namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE {

/// A std::pmr::memory_resource that allocates from an rtalloc heap (which it
/// refers to and does not own). Not thread-safe unless the heap is: for a
/// heap shared between threads, give it a Synchronized<Heap&, Lock>
/// (<rtalloc/sync/synchronized.hpp>), which models rtalloc::heap too.
///
/// - allocate(bytes, alignment) honours any power-of-two alignment. It is
///   O(1) while the heap has room; when it has none, it falls back to the
///   upstream resource if one was given, and otherwise throws std::bad_alloc.
/// - deallocate costs O(1), plus O(pools) when an upstream is given (to tell
///   the heap's blocks from the upstream's).
/// - Two TlsfResources are equal when they use the same heap and the same
///   upstream: each can free what the other allocated.
template <heap Heap>
class TlsfResource : public std::pmr::memory_resource {
 public:
  /// `upstream`, if not null, serves the requests the heap cannot.
  explicit TlsfResource(Heap& heap, std::pmr::memory_resource* upstream = nullptr) noexcept
      : heap_(&heap), upstream_(upstream) {}

  TlsfResource(const TlsfResource&) = delete;
  TlsfResource& operator=(const TlsfResource&) = delete;

  Heap& heap() const noexcept { return *heap_; }
  std::pmr::memory_resource* upstream() const noexcept { return upstream_; }

 protected:
  void* do_allocate(std::size_t bytes, std::size_t alignment) override {
    void* p = alignment <= alignof(std::max_align_t) ? heap_->allocate(bytes)
                                                     : heap_->allocate(bytes, alignment);
    if (p != nullptr) return p;
    if (upstream_ != nullptr) return upstream_->allocate(bytes, alignment);
    throw std::bad_alloc();
  }

  void do_deallocate(void* p, std::size_t bytes, std::size_t alignment) override {
    if (upstream_ != nullptr && !heap_->owns(p)) {
      upstream_->deallocate(p, bytes, alignment);
    } else {
      heap_->deallocate(p);
    }
  }

  bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
    if (this == &other) return true;
#if defined(__cpp_rtti) || defined(__GXX_RTTI)
    const auto* same_kind = dynamic_cast<const TlsfResource*>(&other);
    return same_kind != nullptr && heap_ == same_kind->heap_ && upstream_ == same_kind->upstream_;
#else
    return false;  // without RTTI, only the resource itself is known to be equal
#endif
  }

 private:
  Heap* heap_;
  std::pmr::memory_resource* upstream_;
};

/// A pool source for FlexTlsf (see <rtalloc/flex_tlsf.hpp>) that takes its
/// regions from a std::pmr::memory_resource, at least `step` bytes at a time.
/// Costs what the resource's allocate and deallocate cost.
class ResourceSource {
 public:
  static constexpr std::size_t default_step = std::size_t{64} << 10;

  /// Regions from `upstream` (by default the program's default resource).
  explicit ResourceSource(std::pmr::memory_resource* upstream = std::pmr::get_default_resource(),
                          std::size_t step = default_step) noexcept
      : upstream_(upstream), step_(step) {}

  /// max(min_bytes, step) bytes from the resource, or {nullptr, 0} if it
  /// throws std::bad_alloc.
  Region acquire(std::size_t min_bytes) noexcept {
    const std::size_t bytes = min_bytes > step_ ? min_bytes : step_;
    try {
      return {upstream_->allocate(bytes, alignof(std::max_align_t)), bytes};
    } catch (const std::bad_alloc&) {
      return {};
    }
  }

  /// Returns `region` to the resource.
  void release(Region region) noexcept {
    upstream_->deallocate(region.memory, region.bytes, alignof(std::max_align_t));
  }

  std::pmr::memory_resource* upstream() const noexcept { return upstream_; }

 private:
  std::pmr::memory_resource* upstream_;
  std::size_t step_;
};

}  // namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE
