// SPDX-License-Identifier: MIT OR Apache-2.0
// The model of an OffsetHeap that every test needing one uses (the random
// model test, the scenario tests and the fuzz target): the ranges, the live
// allocations and the stale handles, kept in plain containers, and what the
// heap must answer for each operation.
//
// Each operation runs on the heap and on the model and returns nullptr, or a
// sentence saying how the heap disagreed. What the model checks:
//   - an allocation lies in a range, in offsets no live allocation holds, at
//     the alignment asked for, with the size rounded up to the granule;
//   - a refused allocation is one the documented search may refuse
//     (docs/offset-heap.md, "Which requests may be refused"): out_of_space
//     only when no free range that fits is one the search looks at,
//     out_of_records only when a record it would need is missing;
//   - resize, add, extend and remove of a range succeed or fail exactly as
//     the free offsets and records say;
//   - a stale handle is refused by every operation, changes nothing, and is
//     reported once in checked builds and never in release builds;
//   - verify(): check() holds, the statistics, the records in use (one per
//     allocation and per free range, two per range), walk() and every live
//     handle agree with the model, and free ranges are merged.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <map>
#include <rtalloc/detail/size_class.hpp>
#include <rtalloc/error.hpp>
#include <rtalloc/offset_heap.hpp>
#include <vector>

namespace rtalloc::test {

// Counts the reports the heap makes; the test installs record() as the error
// handler for the model's lifetime.
struct OffsetReports {
  static inline std::size_t count = 0;
  static inline ErrorCode last{};
  static void record(const ErrorInfo& info) noexcept {
    ++count;
    last = info.code;
  }
};

template <class Heap>
class OffsetModel {
 public:
  using Classes =
      detail::SizeClasses<0, static_cast<std::size_t>(std::countr_zero(Heap::second_level_count)),
                          Heap::first_level_count, std::uint64_t>;
  static constexpr std::uint64_t granule = Heap::granule;

  struct Live {
    std::uint64_t size;  // bytes held
    OffsetHandle handle;
  };
  struct Range {
    OffsetRange id;
    std::uint64_t begin;  // bytes
    std::uint64_t end;
  };
  struct Gap {
    std::uint64_t offset;
    std::uint64_t size;
  };

  explicit OffsetModel(Heap& heap) : heap_(heap) {}

  std::size_t live_count() const { return live_.size(); }
  std::size_t range_count() const { return ranges_.size(); }
  const std::vector<Range>& ranges() const { return ranges_; }
  const std::map<std::uint64_t, Live>& live() const { return live_; }
  std::uint64_t failed_allocations() const { return failed_; }
  Heap& heap() const { return heap_; }
  /// The error of the last allocate (none if it succeeded).
  OffsetError last_error() const { return last_error_; }

  // The `pick`-th live allocation (modulo their number); the map's end when
  // there is none.
  typename std::map<std::uint64_t, Live>::const_iterator pick_live(std::size_t pick) const {
    if (live_.empty()) return live_.end();
    return std::next(live_.begin(), static_cast<std::ptrdiff_t>(pick % live_.size()));
  }

  // ---- Ranges ---------------------------------------------------------------

  const char* add_range(std::uint64_t offset, std::uint64_t size) {
    const std::uint64_t begin = round_up(offset);
    const std::uint64_t end = (offset + size) / granule * granule;
    const bool empty =
        size > UINT64_MAX - offset || offset + size > Heap::max_offset || begin >= end;
    const bool overlaps = !empty && overlaps_a_range(begin, end);
    const std::size_t reports = OffsetReports::count;
    const OffsetRangeResult result = heap_.add_range(offset, size);
    if (empty) {
      if (result.error != OffsetError::invalid_range) return "an empty range was not refused";
      if (OffsetReports::count != reports + 1) return "an empty range was not reported";
      return nullptr;
    }
    if (overlaps) {  // the caller asks only in checked builds
      if (result.error != OffsetError::range_overlap) return "an overlapping range was accepted";
      if (OffsetReports::count != reports + 1) return "an overlapping range was not reported";
      return nullptr;
    }
    if (records_available() < 3) {
      if (result.error != OffsetError::out_of_records) return "add_range without records";
      return nullptr;
    }
    if (!result) return "add_range refused a valid range";
    if (OffsetReports::count != reports) return "a valid range was reported";
    ranges_.push_back({result.range, begin, end});
    return nullptr;
  }

  // Grows range `which` by `bytes`; the caller keeps it clear of the others.
  const char* extend_range(std::size_t which, std::uint64_t bytes) {
    if (ranges_.empty()) return nullptr;
    Range& range = ranges_[which % ranges_.size()];
    const bool too_far = bytes > Heap::max_offset - range.end;
    const std::uint64_t added = too_far ? 0 : bytes / granule * granule;
    const bool needs_record = added != 0 && !last_gap_of(range);
    const OffsetError error = heap_.extend_range(range.id, bytes);
    if (too_far) {
      return error == OffsetError::invalid_range ? nullptr : "an extension beyond max_offset";
    }
    if (needs_record && records_available() == 0) {
      return error == OffsetError::out_of_records ? nullptr : "extend_range without records";
    }
    if (error != OffsetError::none) return "extend_range refused";
    range.end += added;
    return nullptr;
  }

  const char* remove_range(std::size_t which) {
    if (ranges_.empty()) return nullptr;
    const std::size_t index = which % ranges_.size();
    const Range range = ranges_[index];
    const bool in_use = live_in(range.begin, range.end);
    const OffsetError error = heap_.remove_range(range.id);
    if (in_use) return error == OffsetError::range_in_use ? nullptr : "removed a range in use";
    if (error != OffsetError::none) return "remove_range refused a free range";
    ranges_.erase(ranges_.begin() + static_cast<std::ptrdiff_t>(index));
    stale_ranges_.push_back(range.id);
    return stale_range(stale_ranges_.size() - 1);
  }

  // A removed range is refused by every range operation and changes nothing.
  const char* stale_range(std::size_t which) {
    if (stale_ranges_.empty()) return nullptr;
    const OffsetRange id = stale_ranges_[which % stale_ranges_.size()];
    const std::size_t reports = OffsetReports::count;
    if (heap_.extend_range(id, granule * 4) != OffsetError::invalid_range ||
        heap_.remove_range(id) != OffsetError::invalid_range || heap_.range_bounds(id).end != 0) {
      return "a removed range was accepted";
    }
    if (OffsetReports::count != reports + (checks_enabled ? 3 : 0)) {
      return "a removed range was not reported as the build promises";
    }
    return nullptr;
  }

  // ---- Allocations ----------------------------------------------------------

  const char* allocate(std::uint64_t size, std::uint64_t align) {
    const std::size_t reports = OffsetReports::count;
    const OffsetAllocation a = heap_.allocate(size, align);
    last_error_ = a.error;
    if (!std::has_single_bit(align)) {
      if (a.error != OffsetError::invalid_alignment) return "a bad alignment was accepted";
      return OffsetReports::count == reports + 1 ? nullptr : "a bad alignment was not reported";
    }
    if (OffsetReports::count != reports) return "allocate reported an error";
    if (size > Heap::max_allocation) {
      return a.error == OffsetError::too_large ? nullptr : "a request beyond max_allocation";
    }
    const std::uint64_t held = size == 0 ? granule : round_up(size);
    if (!a) return refusal_allowed(held, align, a.error);
    if (a.offset % align != 0 || a.offset % granule != 0) return "allocation misaligned";
    if (heap_.size_of(a.handle) != held || heap_.offset_of(a.handle) != a.offset) {
      return "size_of or offset_of disagrees with the allocation";
    }
    bool in_gap = false;
    for (const Gap& gap : gaps()) {
      if (a.offset >= gap.offset && a.offset - gap.offset <= gap.size &&
          held <= gap.size - (a.offset - gap.offset)) {
        in_gap = true;
      }
    }
    if (!in_gap) return "allocation outside the free offsets (overlap, or outside every range)";
    live_.emplace(a.offset, Live{held, a.handle});
    used_ += held;
    peak_ = std::max(peak_, used_);
    return nullptr;
  }

  const char* free(std::size_t pick) {
    const auto it = pick_live(pick);
    if (it == live_.end()) return nullptr;
    const OffsetHandle handle = it->second.handle;
    if (heap_.free(handle) != OffsetError::none) return "a live handle was refused";
    used_ -= it->second.size;
    live_.erase(it);
    remember_stale(handle);
    return stale_handle(stale_.size() - 1);
  }

  const char* resize(std::size_t pick, std::uint64_t size) {
    if (live_.empty()) return nullptr;
    const auto it = std::next(live_.begin(), static_cast<std::ptrdiff_t>(pick % live_.size()));
    const std::uint64_t offset = it->first;
    const std::uint64_t current = it->second.size;
    const OffsetError error = heap_.resize(it->second.handle, size);
    if (size > Heap::max_allocation) {
      return error == OffsetError::too_large ? nullptr : "resize beyond max_allocation";
    }
    const std::uint64_t wanted = size == 0 ? granule : round_up(size);
    const std::uint64_t after = gap_after(offset + current);
    if (wanted > current && wanted - current > after) {
      return error == OffsetError::out_of_space ? nullptr : "grew into offsets that are not free";
    }
    if (wanted < current && after == 0 && records_available() == 0) {
      return error == OffsetError::out_of_records ? nullptr : "shrank without a record";
    }
    if (error != OffsetError::none) return "resize refused";
    it->second.size = wanted;
    used_ = used_ - current + wanted;
    peak_ = std::max(peak_, used_);
    if (heap_.size_of(it->second.handle) != wanted ||
        heap_.offset_of(it->second.handle) != offset) {
      return "resize moved the allocation or got its size wrong";
    }
    return nullptr;
  }

  // A stale handle is refused by every operation, changes nothing, and is
  // reported (once per call) only in checked builds.
  const char* stale_handle(std::size_t which) {
    if (stale_.empty()) return nullptr;
    return expect_refused(stale_[which % stale_.size()]);
  }

  // Any value at all: refused unless it is a live handle.
  const char* any_handle(std::uint64_t value) {
    for (const auto& [offset, block] : live_) {
      if (block.handle.value == value) return nullptr;
    }
    return expect_refused(OffsetHandle{value});
  }

  // ---- The whole heap -------------------------------------------------------

  const char* verify() const {
    if (!heap_.check()) return "check() failed";
    const OffsetHeapStats s = heap_.stats();
    const std::vector<Gap> free_gaps = gaps();
    std::uint64_t capacity = 0;
    for (const Range& range : ranges_) capacity += range.end - range.begin;
    std::uint64_t largest = 0;
    for (const Gap& gap : free_gaps) largest = std::max(largest, gap.size);
    if (s.pool_count != ranges_.size()) return "range count wrong";
    if (s.capacity != capacity || s.used != used_ || s.free != capacity - used_) {
      return "capacity, used or free wrong";
    }
    if (heap_.free_size() != capacity - used_) return "free_size() wrong";
    if (s.used_blocks != live_.size()) return "live allocation count wrong";
    if (s.free_blocks != free_gaps.size()) return "free ranges not merged (or lost)";
    if (s.largest_free != largest || heap_.largest_free() != largest) return "largest_free wrong";
    if (s.peak_used != peak_) return "peak_used wrong";
    if (s.failed_allocations != failed_) return "failed_allocations wrong";
    if (s.records_used != expected_records(free_gaps.size())) {
      return "records in use are not one per block";
    }
    if (heap_.records_available() != s.record_capacity - s.records_used) {
      return "records_available() wrong";
    }
    if (const char* problem = verify_largest_allocation(free_gaps)) return problem;
    for (const auto& [offset, block] : live_) {
      if (!heap_.valid(block.handle) || heap_.offset_of(block.handle) != offset ||
          heap_.size_of(block.handle) != block.size) {
        return "a live handle lost its allocation";
      }
    }
    for (const Range& range : ranges_) {
      const auto bounds = heap_.range_bounds(range.id);
      if (bounds.begin != range.begin || bounds.end != range.end) return "range bounds wrong";
    }
    return verify_walk(free_gaps);
  }

  // Frees everything and removes every range; the heap must be empty again.
  const char* clear() {
    while (!live_.empty()) {
      if (const char* problem = free(0)) return problem;
    }
    while (!ranges_.empty()) {
      if (const char* problem = remove_range(0)) return problem;
    }
    if (const char* problem = verify()) return problem;
    return heap_.stats().records_used == 0 ? nullptr : "records held by an empty heap";
  }

  // Free offsets, merged: the offsets of every range that no live allocation
  // holds, as maximal gaps, in offset order.
  std::vector<Gap> gaps() const {
    std::vector<Gap> result;
    for (const Range& range : ranges_) {
      std::uint64_t at = range.begin;
      for (auto it = live_.lower_bound(range.begin); it != live_.end() && it->first < range.end;
           ++it) {
        if (it->first > at) result.push_back({at, it->first - at});
        at = it->first + it->second.size;
      }
      if (range.end > at) result.push_back({at, range.end - at});
    }
    std::sort(result.begin(), result.end(),
              [](const Gap& x, const Gap& y) { return x.offset < y.offset; });
    return result;
  }

  std::size_t records_available() const {
    return static_cast<std::size_t>(heap_.stats().record_capacity) -
           expected_records(gaps().size());
  }

 private:
  static std::uint64_t round_up(std::uint64_t bytes) {
    return (bytes + granule - 1) / granule * granule;
  }

  std::size_t expected_records(std::size_t gap_count) const {
    return live_.size() + gap_count + Heap::records_per_range * ranges_.size();
  }

  bool overlaps_a_range(std::uint64_t begin, std::uint64_t end) const {
    for (const Range& range : ranges_) {
      if (begin < range.end && range.begin < end) return true;
    }
    return false;
  }

  bool live_in(std::uint64_t begin, std::uint64_t end) const {
    const auto it = live_.lower_bound(begin);
    return it != live_.end() && it->first < end;
  }

  // Does the range end in free offsets?
  bool last_gap_of(const Range& range) const {
    for (const Gap& gap : gaps()) {
      if (gap.offset + gap.size == range.end) return true;
    }
    return false;
  }

  // Free bytes right after `offset` (0 when an allocation or a range end is there).
  std::uint64_t gap_after(std::uint64_t offset) const {
    for (const Gap& gap : gaps()) {
      if (gap.offset == offset) return gap.size;
    }
    return 0;
  }

  void remember_stale(OffsetHandle handle) {
    if (stale_.size() == 64) stale_.erase(stale_.begin());
    stale_.push_back(handle);
  }

  const char* expect_refused(OffsetHandle handle) const {
    const OffsetHeapStats before = heap_.stats();
    const std::size_t reports = OffsetReports::count;
    if (heap_.valid(handle)) return "a stale handle is valid";
    if (heap_.free(handle) != OffsetError::stale_handle) return "a stale handle was freed";
    if (heap_.resize(handle, granule) != OffsetError::stale_handle) {
      return "a stale handle was resized";
    }
    if (heap_.size_of(handle) != 0 || heap_.offset_of(handle) != Heap::invalid_offset) {
      return "a stale handle has a size or an offset";
    }
    if (OffsetReports::count != reports + (checks_enabled ? 4 : 0)) {
      return "a stale handle was not reported as the build promises";
    }
    const OffsetHeapStats after = heap_.stats();
    if (after.used != before.used || after.used_blocks != before.used_blocks ||
        after.free_blocks != before.free_blocks || after.records_used != before.records_used) {
      return "a stale handle changed the heap";
    }
    return nullptr;
  }

  // Whether the search of docs/offset-heap.md may refuse (held, align) with
  // `error`, given the free ranges the model knows.
  const char* refusal_allowed(std::uint64_t held, std::uint64_t align, OffsetError error) {
    ++failed_;
    const std::uint64_t n = held / granule;
    const std::uint64_t a = align > granule ? align / granule : 1;
    struct Candidate {
      std::size_t index;  // its size class
      bool fits;
    };
    std::vector<Candidate> candidates;
    bool any_fits = false;
    for (const Gap& gap : gaps()) {
      const std::uint64_t start = gap.offset / granule;
      const std::uint64_t padding = (start + a - 1) / a * a - start;
      const bool fits = gap.size / granule >= padding + n;
      candidates.push_back({Classes::index_of(gap.size / granule), fits});
      any_fits = any_fits || fits;
    }
    if (!any_fits) {
      return error == OffsetError::out_of_space ? nullptr : "refused with the wrong reason";
    }
    // Rule 1: a free range in a class whose every range holds the request
    // with the largest padding, a - 1.
    bool must_find = false;
    if (a - 1 <= Classes::last_class_start - n) {
      const std::size_t sure = Classes::index_at_least(n + a - 1);
      for (const Candidate& c : candidates) must_find = must_find || c.index >= sure;
    }
    // Rules 2 and 3: the only range of the request's own class, or of the
    // first non-empty class whose every range holds the size, if it fits.
    auto only_one_and_fits = [&](std::size_t index) {
      std::size_t count = 0;
      bool fits = false;
      for (const Candidate& c : candidates) {
        if (c.index == index) {
          ++count;
          fits = c.fits;
        }
      }
      return count == 1 && fits;
    };
    must_find = must_find || only_one_and_fits(Classes::index_of(n));
    std::size_t lowest = Classes::class_count;
    for (const Candidate& c : candidates) {
      if (c.index >= Classes::index_at_least(n)) lowest = std::min(lowest, c.index);
    }
    if (lowest != Classes::class_count) must_find = must_find || only_one_and_fits(lowest);
    if (error == OffsetError::out_of_records) {
      // It found a range and needs one record for the rest, two with padding.
      return records_available() < (a > 1 ? 2u : 1u) ? nullptr : "out_of_records with records free";
    }
    if (error != OffsetError::out_of_space) return "refused with the wrong reason";
    return must_find ? "refused although the search must find a free range that fits" : nullptr;
  }

  // largest_allocation() is the size of one free range of the highest
  // non-empty class (the one at its head), so at least that class's start.
  const char* verify_largest_allocation(const std::vector<Gap>& free_gaps) const {
    const std::uint64_t claimed = heap_.largest_allocation();
    if (free_gaps.empty()) return claimed == 0 ? nullptr : "largest_allocation of a full heap";
    std::size_t top = 0;
    for (const Gap& gap : free_gaps) top = std::max(top, Classes::index_of(gap.size / granule));
    for (const Gap& gap : free_gaps) {
      if (Classes::index_of(gap.size / granule) == top && gap.size == claimed) return nullptr;
    }
    return "largest_allocation is not a free range of the highest class";
  }

  const char* verify_walk(const std::vector<Gap>& free_gaps) const {
    std::map<std::uint64_t, OffsetBlockInfo> walked;
    bool duplicate = false;
    heap_.walk([&](const OffsetBlockInfo& info) {
      duplicate = duplicate || !walked.emplace(info.offset, info).second;
    });
    if (duplicate) return "walk reported an offset twice";
    if (walked.size() != live_.size() + free_gaps.size()) return "walk missed blocks";
    for (const auto& [offset, block] : live_) {
      const auto it = walked.find(offset);
      if (it == walked.end() || !it->second.used || it->second.size != block.size ||
          it->second.handle != block.handle) {
        return "walk disagrees about an allocation";
      }
    }
    for (const Gap& gap : free_gaps) {
      const auto it = walked.find(gap.offset);
      if (it == walked.end() || it->second.used || it->second.size != gap.size ||
          it->second.handle != OffsetHandle{}) {
        return "walk disagrees about a free range";
      }
    }
    return nullptr;
  }

  Heap& heap_;
  std::vector<Range> ranges_;
  std::vector<OffsetRange> stale_ranges_;
  std::map<std::uint64_t, Live> live_;
  std::vector<OffsetHandle> stale_;
  std::uint64_t used_ = 0;
  std::uint64_t peak_ = 0;
  std::uint64_t failed_ = 0;
  OffsetError last_error_ = OffsetError::none;
};

}  // namespace rtalloc::test
