// SPDX-License-Identifier: MIT OR Apache-2.0
// rtalloc::OsPages — a pool source (see <rtalloc/flex_tlsf.hpp>) of memory
// pages from the operating system. Hosted: POSIX (Linux, the BSDs, macOS).
//
// On its first use OsPages reserves a range of address space (no memory:
// PROT_NONE) and then hands out regions from it in order, making them usable
// with mprotect. So grow() can always extend the newest region in place, and
// a FlexTlsf over OsPages stays one contiguous pool. A system that refuses
// the whole reservation gets the largest half, quarter, ... it accepts. When
// the reservation is used up, or cannot be made at all, regions come from plain
// anonymous mappings and growing in place is tried at the address after the
// region, without replacing anything there.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "rtalloc/concepts.hpp"
#include "rtalloc/config.hpp"
#include "rtalloc/detail/bits.hpp"

namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE {

class OsPages {
 public:
  /// Bytes a region grows by at least: fewer, larger steps mean fewer
  /// system calls; smaller steps a smaller footprint.
  static constexpr std::size_t default_step = std::size_t{1} << 20;
  /// Address space reserved up front (no memory is committed by reserving).
  static constexpr std::size_t default_reservation =
      sizeof(void*) >= 8 ? std::size_t{1} << 36 : std::size_t{1} << 28;

  /// Steps of default_step in a reservation of default_reservation.
  constexpr OsPages() noexcept = default;
  /// Regions and extensions of at least `step` bytes (rounded up to whole
  /// pages) in a reservation of `reservation` bytes (0: no reservation).
  constexpr explicit OsPages(std::size_t step,
                             std::size_t reservation = default_reservation) noexcept
      : step_(step), reservation_(reservation) {}

  OsPages(const OsPages&) = delete;
  OsPages& operator=(const OsPages&) = delete;
  constexpr OsPages(OsPages&& other) noexcept
      : step_(other.step_),
        reservation_(other.reservation_),
        reserved_(other.reserved_),
        committed_(other.committed_),
        reservation_failed_(other.reservation_failed_) {
    other.reserved_ = nullptr;
    other.committed_ = 0;
  }
  OsPages& operator=(OsPages&&) = delete;

  /// Unmaps the part of the reservation never handed out. (Regions are
  /// returned with release.)
  ~OsPages() {
    if (reserved_ != nullptr && committed_ < reservation_) {
      ::munmap(reserved_ + committed_, reservation_ - committed_);
    }
  }

  /// A region of at least min_bytes (and at least the step), in whole
  /// pages, page-aligned. One or two system calls. {nullptr, 0} if the
  /// system refuses.
  Region acquire(std::size_t min_bytes) noexcept {
    const std::size_t bytes = step_bytes(min_bytes);
    if (bytes == 0) return {};
    if (reserved_ == nullptr && reservation_ != 0 && !reservation_failed_) reserve();
    if (reserved_ != nullptr && bytes <= reservation_ - committed_) {
      std::byte* start = reserved_ + committed_;
      if (::mprotect(start, bytes, PROT_READ | PROT_WRITE) == 0) {
        committed_ += bytes;
        return {start, bytes};
      }
    }
    void* memory =
        ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) return {};
    return {memory, bytes};
  }

  /// Makes at least min_bytes (and at least the step) after `region`'s end
  /// usable, if that address range is free. One or two system calls.
  /// Returns the bytes added, or 0.
  std::size_t grow(Region region, std::size_t min_bytes) noexcept {
    const std::size_t bytes = step_bytes(min_bytes);
    if (bytes == 0) return 0;
    std::byte* end = static_cast<std::byte*>(region.memory) + region.bytes;
    if (reserved_ != nullptr && end == reserved_ + committed_) {
      if (bytes > reservation_ - committed_ ||
          ::mprotect(end, bytes, PROT_READ | PROT_WRITE) != 0) {
        return 0;
      }
      committed_ += bytes;
      return bytes;
    }
    if (in_reservation(end)) return 0;  // the next bytes belong to another region
    int flags = MAP_PRIVATE | MAP_ANONYMOUS;
#ifdef MAP_FIXED_NOREPLACE
    flags |= MAP_FIXED_NOREPLACE;
#endif
    void* memory = ::mmap(end, bytes, PROT_READ | PROT_WRITE, flags, -1, 0);
    if (memory == MAP_FAILED) return 0;
    if (memory != end) {  // taken as a hint only, and placed elsewhere
      ::munmap(memory, bytes);
      return 0;
    }
    return bytes;
  }

  /// Unmaps `region`. One system call.
  void release(Region region) noexcept { ::munmap(region.memory, region.bytes); }

  /// The span every region comes from while the reservation lasts: the
  /// reservation, made now if it was not yet. {nullptr, 0} without one (the
  /// system refused it, or the source was made with reservation 0). Regions
  /// from plain mappings, once the reservation is used up, lie outside it.
  /// One system call the first time, O(1) after.
  Region reservation() noexcept {
    if (reserved_ == nullptr && reservation_ != 0 && !reservation_failed_) reserve();
    return reserved_ == nullptr ? Region{} : Region{reserved_, reservation_};
  }

  /// Zeroed memory of at least `bytes`, outside the reservation, for
  /// bookkeeping: a mapping of its own, whose pages the system provides only
  /// when they are first written. One system call. {nullptr, 0} if refused.
  Region acquire_metadata(std::size_t bytes) noexcept {
    const std::size_t rounded = step_bytes_exact(bytes);
    if (rounded == 0) return {};
    void* memory = ::mmap(nullptr, rounded, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (memory == MAP_FAILED) return {};
    return {memory, rounded};
  }

  /// Unmaps memory from acquire_metadata. One system call.
  void release_metadata(Region region) noexcept { ::munmap(region.memory, region.bytes); }

  /// Gives the physical memory of the whole pages inside [memory, memory +
  /// bytes) back to the system (madvise MADV_DONTNEED: they read as zero
  /// afterwards and cost memory again only once written). One system call,
  /// whose cost grows with the pages that were resident. Returns the bytes
  /// of those pages.
  std::size_t discard(void* memory, std::size_t bytes) noexcept {
    const std::size_t page = page_size();
    const auto start = reinterpret_cast<std::uintptr_t>(memory);
    const std::uintptr_t first = detail::align_up(start, page);
    const std::uintptr_t last = detail::align_down(start + bytes, page);
    if (last <= first) return 0;
    if (::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED) != 0) return 0;
    return last - first;
  }

  /// The system's page size. O(1) after the first call.
  static std::size_t page_size() noexcept {
    static std::atomic<std::size_t> cached{0};
    std::size_t page = cached.load(std::memory_order_relaxed);
    if (page == 0) {
      const long reported = ::sysconf(_SC_PAGESIZE);
      page = reported > 0 ? static_cast<std::size_t>(reported) : 4096;
      cached.store(page, std::memory_order_relaxed);
    }
    return page;
  }

 private:
  // `bytes` rounded up to whole pages; 0 for 0 or on overflow.
  static std::size_t step_bytes_exact(std::size_t bytes) noexcept {
    const std::size_t page = page_size();
    if (bytes == 0 || bytes > std::numeric_limits<std::size_t>::max() - page) return 0;
    return detail::align_up(bytes, page);
  }

  // max(min_bytes, step) rounded up to whole pages; 0 on overflow.
  std::size_t step_bytes(std::size_t min_bytes) const noexcept {
    const std::size_t page = page_size();
    const std::size_t wanted = min_bytes > step_ ? min_bytes : step_;
    if (wanted > std::numeric_limits<std::size_t>::max() - page) return 0;
    return detail::align_up(wanted, page);
  }

  // A system that refuses the whole reservation (an address-space limit,
  // ulimit -v, or a tool such as Valgrind that caps mappings) gets the
  // largest half, quarter, ... of it that it accepts, down to 16 steps: at
  // most about 20 system calls, once.
  void reserve() noexcept {
    const std::size_t page = page_size();
    const std::size_t asked = detail::align_down(reservation_, page);
    const std::size_t smallest = asked < 16 * step_bytes(0) ? asked : 16 * step_bytes(0);
    for (std::size_t bytes = asked; bytes >= smallest && bytes != 0;
         bytes = detail::align_down(bytes / 2, page)) {
      void* memory =
          ::mmap(nullptr, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      if (memory != MAP_FAILED) {
        reserved_ = static_cast<std::byte*>(memory);
        reservation_ = bytes;
        return;
      }
    }
    reservation_failed_ = true;
  }

  bool in_reservation(const std::byte* address) const noexcept {
    return reserved_ != nullptr && address >= reserved_ && address < reserved_ + reservation_;
  }

  std::size_t step_ = default_step;
  std::size_t reservation_ = default_reservation;
  std::byte* reserved_ = nullptr;
  std::size_t committed_ = 0;
  bool reservation_failed_ = false;
};

}  // namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE
