// SPDX-License-Identifier: MIT OR Apache-2.0
// libFuzzer target: the input is decoded into a sequence of heap operations
// (add, extend and remove a pool, allocate, aligned allocate, reallocate,
// deallocate, reset, and a few misuses) on one of four configurations, and
// every result is compared against a model that knows each live block.
//
// After every operation: no two live blocks overlap, every block lies in a
// pool and is aligned as asked, every block still holds the bytes last
// written to it, the statistics match the model, and check() holds. Misuses
// (an immediate double free, an alignment that is not a power of two) must
// be reported exactly once and change nothing. A failed allocation must be
// one the documented guarantee allows. Any violation aborts with a message.
//
// Build: the `fuzz` preset (Clang). Run: build/fuzz/tests/fuzz/tlsf_fuzz
// tests/fuzz/corpus/tlsf -max_total_time=60. A crash input replays with
// `tlsf_fuzz FILE`; tests/fuzz/regressions/ keeps those found so far.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <rtalloc/tlsf.hpp>
#include <vector>

#include "fuzz_support.hpp"

namespace {

using rtalloc::ErrorCode;
using rtalloc::ErrorInfo;
using rtalloc::fuzz::fail;
using rtalloc::fuzz::Input;

// Reports the heap makes; a correct run makes none unless a misuse asked for it.
struct Reports {
  static inline std::size_t count = 0;
  static inline ErrorCode last_code{};
  static void record(const ErrorInfo& info) noexcept {
    ++count;
    last_code = info.code;
  }
};

std::uint8_t fill_byte(std::uint64_t id, std::size_t offset) {
  return static_cast<std::uint8_t>((id * 131 + offset * 7) ^ (offset >> 8));
}

template <class Heap>
class Fuzzer {
 public:
  explicit Fuzzer(Input& input) : input_(input) {}

  void run() {
    add_pool(input_.word(), input_.byte());
    while (!input_.empty()) {
      step();
      verify();
    }
    for (auto it = live_.begin(); it != live_.end(); it = live_.erase(it)) {
      expect_contents(it->first, it->second);
      heap_.deallocate(it->first);
    }
    verify();
    if (heap_.stats().used != 0 || heap_.stats().free_blocks != active_pools()) {
      fail("an empty heap is not one free block per pool");
    }
  }

 private:
  struct Live {
    std::size_t requested;
    std::size_t align;  // as asked, 0 for the default
    std::size_t usable;
    std::uint64_t id;
  };

  struct Pool {
    std::unique_ptr<std::byte, decltype(&std::free)> memory{nullptr, &std::free};
    std::byte* start = nullptr;  // as given to add_pool
    std::size_t given = 0;       // bytes given by add_pool and extend_pool
    std::size_t reserve = 0;     // bytes after start that may be given
    std::size_t capacity = 0;
    bool active = false;
  };

  static constexpr std::size_t max_pools = 4;

  void step() {
    const std::uint8_t op = input_.byte();
    switch (op % 16) {
      case 0:
      case 1:
      case 2:
      case 3:
        allocate(input_.size(), 0);
        break;
      case 4:
        allocate(input_.size(), std::size_t{1} << (input_.byte() % 17));
        break;
      case 5:
      case 6:
        reallocate(input_.word(), input_.size());
        break;
      case 7:
      case 8:
      case 9:
        deallocate(input_.word(), false);
        break;
      case 10:
        deallocate(input_.word(), true);
        break;
      case 11:
        add_pool(input_.word(), input_.byte());
        break;
      case 12:
        extend_pool(input_.byte(), input_.word());
        break;
      case 13:
        remove_pool(input_.byte());
        break;
      case 14:
        if (input_.byte() < 16) {
          reset();
        } else {
          bad_alignment(input_.size(), input_.word());
        }
        break;
      default:
        for (const auto& [p, block] : live_) expect_contents(p, block);
        break;
    }
  }

  // ---- operations ----

  void allocate(std::size_t size, std::size_t align) {
    void* p = align == 0 ? heap_.allocate(size) : heap_.allocate(size, align);
    expect_no_report();
    if (p == nullptr) {
      expect_allowed_failure(size, align);
      return;
    }
    adopt(p, size, align);
  }

  void reallocate(std::uint16_t pick, std::size_t size) {
    if (live_.empty() || pick % 8 == 0) {  // reallocate(nullptr, size) allocates
      void* p = heap_.reallocate(nullptr, size);
      expect_no_report();
      if (p == nullptr) {
        expect_allowed_failure(size, 0);
      } else {
        adopt(p, size, 0);
      }
      return;
    }
    auto it = pick_live(pick);
    void* old = it->first;
    const Live block = it->second;
    void* p = heap_.reallocate(old, size);
    expect_no_report();
    if (p == nullptr) {
      expect_contents(old, block);  // the old block is untouched
      expect_allowed_failure(size, block.align);
      return;
    }
    live_.erase(it);
    Live moved = block;
    moved.requested = std::min(block.requested, size);  // the bytes that must have survived
    expect_contents(p, moved);
    adopt(p, size, block.align);
  }

  void deallocate(std::uint16_t pick, bool twice) {
    if (live_.empty()) return;
    auto it = pick_live(pick);
    void* p = it->first;
    expect_contents(p, it->second);
    live_.erase(it);
    heap_.deallocate(p);
    expect_no_report();
    if (!twice) return;
    verify();
    const rtalloc::TlsfStats before = heap_.stats();
    heap_.deallocate(p);  // the header still says free: reported, nothing changes
    if (Reports::count != 1 || (Reports::last_code != ErrorCode::double_free &&
                                Reports::last_code != ErrorCode::invalid_pointer)) {
      fail("a double free was not reported once", p, Reports::count);
    }
    Reports::count = 0;
    const rtalloc::TlsfStats after = heap_.stats();
    if (before.used != after.used || before.free_blocks != after.free_blocks) {
      fail("a double free changed the heap", p);
    }
  }

  void bad_alignment(std::size_t size, std::uint16_t align) {
    if (align == 0 || (align & (align - 1)) != 0) {
      if (heap_.allocate(size, align) != nullptr)
        fail("a bad alignment gave a block", nullptr, align);
      if (Reports::count != 1 || Reports::last_code != ErrorCode::invalid_alignment) {
        fail("a bad alignment was not reported once", nullptr, align);
      }
      Reports::count = 0;
    }
  }

  void add_pool(std::uint16_t bytes_choice, std::uint8_t misalignment) {
    Pool* slot = nullptr;
    for (Pool& pool : pools_) {
      if (!pool.active) slot = &pool;
    }
    if (slot == nullptr && pools_.size() < max_pools) slot = &pools_.emplace_back();
    if (slot == nullptr) return;
    const std::size_t bytes = Heap::min_pool_size + bytes_choice % 60000;
    const std::size_t offset = misalignment % 64;
    slot->reserve = bytes + 16384;
    slot->memory.reset(static_cast<std::byte*>(
        std::aligned_alloc(4096, (offset + slot->reserve + 4095) / 4096 * 4096)));
    if (slot->memory == nullptr) fail("out of memory for a pool");
    slot->start = slot->memory.get() + offset;
    slot->capacity = heap_.add_pool(slot->start, bytes);
    expect_no_report();
    if (slot->capacity == 0) fail("a valid pool was refused", slot->start, bytes);
    if (slot->capacity > Heap::max_block_size) fail("a pool larger than the largest block");
    slot->given = bytes;
    slot->active = true;
    capacity_ += slot->capacity;
  }

  void extend_pool(std::uint8_t which, std::uint16_t bytes) {
    Pool* pool = active_pool(which);
    if (pool == nullptr) return;
    const std::size_t room = pool->reserve - pool->given;
    const std::size_t add = std::min<std::size_t>(bytes % 4096, room);
    std::byte* end = pool->start + pool->given;
    if (heap_.pool_end(pool->start) != end) fail("pool_end disagrees", end);
    const std::size_t added = heap_.extend_pool(pool->start, end, add);
    if (Reports::count > 0) {  // refused: too small after a used last block, or too large
      Reports::count = 0;
      if (added != 0) fail("a refused extension added bytes");
      return;
    }
    pool->given += add;
    pool->capacity += added;
    capacity_ += added;
  }

  void remove_pool(std::uint8_t which) {
    Pool* pool = active_pool(which);
    if (pool == nullptr) return;
    bool has_blocks = false;
    for (const auto& [p, block] : live_) {
      const auto* b = static_cast<const std::byte*>(p);
      if (b >= pool->start && b < pool->start + pool->given) has_blocks = true;
    }
    const bool removed = heap_.remove_pool(pool->start);
    expect_no_report();
    if (removed == has_blocks) fail("remove_pool disagrees with the live blocks", pool->start);
    if (!removed) return;
    // The memory is the caller's again: scribble over it.
    std::memset(pool->start, 0xA5, pool->given);
    pool->active = false;
    capacity_ -= pool->capacity;
  }

  void reset() {
    heap_.reset();
    expect_no_report();
    live_.clear();
  }

  // ---- model ----

  void adopt(void* p, std::size_t size, std::size_t align) {
    const std::size_t want = align > Heap::alignment ? align : Heap::alignment;
    if (reinterpret_cast<std::uintptr_t>(p) % want != 0) fail("misaligned block", p, align);
    const std::size_t usable = heap_.usable_size(p);
    expect_no_report();
    if (usable < size) fail("usable size below the request", p, usable);
    auto* b = static_cast<std::byte*>(p);
    bool in_pool = false;
    for (const Pool& pool : pools_) {
      if (pool.active && b >= pool.start && b + usable <= pool.start + pool.given) in_pool = true;
    }
    if (!in_pool) fail("block outside every pool", p, usable);
    auto next = live_.lower_bound(p);
    if (next != live_.end() && b + usable > static_cast<std::byte*>(next->first)) {
      fail("block overlaps the next live block", p, usable);
    }
    if (next != live_.begin()) {
      auto prev = std::prev(next);
      if (static_cast<std::byte*>(prev->first) + prev->second.usable > b) {
        fail("block overlaps the previous live block", p, usable);
      }
    }
    Live block{size, align, usable, ++next_id_};
    // Fill all of it: the program may use every usable byte.
    for (std::size_t i = 0; i < usable; ++i) b[i] = static_cast<std::byte>(fill_byte(block.id, i));
    block.requested = usable;
    live_.emplace(p, block);
  }

  void expect_contents(void* p, const Live& block) const {
    const auto* b = static_cast<const std::byte*>(p);
    for (std::size_t i = 0; i < block.requested; ++i) {
      if (b[i] != static_cast<std::byte>(fill_byte(block.id, i))) fail("contents changed", p, i);
    }
  }

  // A failure must be out of range or beyond the documented guarantee: an
  // allocation of n bytes succeeds when a free block of
  // (n + header + granularity) * (1 + 1/SecondLevelCount) bytes exists.
  void expect_allowed_failure(std::size_t size, std::size_t align) {
    if (size > Heap::max_allocation) return;
    const rtalloc::TlsfStats stats = heap_.stats();
    if (stats.free_blocks == 0) return;
    const std::size_t extra = align > Heap::granularity ? align + 2 * Heap::min_block_size : 0;
    const std::size_t need = size + Heap::header_size + Heap::granularity + extra;
    if (need > Heap::max_block_size / 2) return;
    const std::size_t sl = Heap::second_level_count;
    const std::size_t guaranteed = (need * (sl + 1) + sl - 1) / sl;
    if (stats.largest_free + Heap::header_size >= guaranteed) {
      fail("an allocation failed although a large enough block is free", nullptr, size);
    }
  }

  void expect_no_report() const {
    if (Reports::count != 0) fail("unexpected error report", nullptr, Reports::count);
  }

  void verify() {
    if (!heap_.check()) fail("check() failed");
    expect_no_report();
    const rtalloc::TlsfStats stats = heap_.stats();
    std::size_t used = 0;
    for (const auto& [p, block] : live_) {
      used += block.usable + Heap::header_size +
              (block.align > Heap::granularity ? Heap::header_size : 0);
    }
    if (stats.used_blocks != live_.size()) fail("used_blocks wrong", nullptr, stats.used_blocks);
    if (stats.used != used) fail("used bytes wrong", nullptr, stats.used);
    if (stats.capacity != capacity_) fail("capacity wrong", nullptr, stats.capacity);
    if (stats.free != stats.capacity - stats.used) fail("free bytes wrong");
    if (stats.peak_used < stats.used) fail("peak below use");
    if (stats.pool_count != active_pools()) fail("pool count wrong");
  }

  std::size_t active_pools() const {
    return static_cast<std::size_t>(
        std::count_if(pools_.begin(), pools_.end(), [](const Pool& p) { return p.active; }));
  }

  Pool* active_pool(std::uint8_t which) {
    std::vector<Pool*> active;
    for (Pool& pool : pools_) {
      if (pool.active) active.push_back(&pool);
    }
    return active.empty() ? nullptr : active[which % active.size()];
  }

  typename std::map<void*, Live>::iterator pick_live(std::uint16_t pick) {
    auto it = live_.begin();
    std::advance(it, pick % live_.size());
    return it;
  }

  Input& input_;
  Heap heap_;
  std::vector<Pool> pools_;
  std::map<void*, Live> live_;
  std::size_t capacity_ = 0;
  std::uint64_t next_id_ = 0;
};

template <class Heap>
void fuzz(Input& input) {
  auto fuzzer = std::make_unique<Fuzzer<Heap>>(input);
  fuzzer->run();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  rtalloc::set_error_handler(&Reports::record);
  Reports::count = 0;
  Input input(data, size);
  switch (input.byte() % 4) {  // the configuration
    case 0:
      fuzz<rtalloc::Tlsf<>>(input);
      break;
    case 1:
      fuzz<rtalloc::TlsfSmall>(input);
      break;
    case 2:
      fuzz<rtalloc::Tlsf<20, 4>>(input);
      break;
    default:
      fuzz<rtalloc::Tlsf<24, 64>>(input);
      break;
  }
  return 0;
}
