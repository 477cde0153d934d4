// SPDX-License-Identifier: MIT OR Apache-2.0
// Long random sequences of heap operations checked against a shadow model
// after every single operation. The model knows every live block (address,
// requested size, alignment, contents) and what the statistics must say.
//
// Every run's seed derives from one base seed and the test's name; a failure
// prints the base, and RTALLOC_TEST_SEED=<base> with --gtest_filter=<test>
// reproduces it. Another base explores other sequences.
// RTALLOC_TEST_OPS=<n> overrides the number of operations of every run.
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>

#include "tlsf_test_support.hpp"

namespace rtalloc::test {
namespace {

using ::testing::AssertionFailure;
using ::testing::AssertionResult;
using ::testing::AssertionSuccess;

std::optional<std::uint64_t> environment_number(const char* name) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') {
    return std::nullopt;
  }
  return std::strtoull(text, nullptr, 0);
}

std::uint64_t base_seed() {
  return environment_number("RTALLOC_TEST_SEED").value_or(0x7D1F5EEDULL);
}

std::uint64_t seed_for(std::uint64_t run) { return base_seed() + run * 0x9E3779B97F4A7C15ULL; }

// Unoptimised builds run a quarter of the operations to keep the suite quick.
std::size_t operations(std::size_t in_release) {
  if (const auto forced = environment_number("RTALLOC_TEST_OPS")) {
    return static_cast<std::size_t>(*forced);
  }
#ifdef NDEBUG
  return in_release;
#else
  return in_release / 4;
#endif
}

struct PoolPlan {
  std::size_t bytes;
  std::size_t misalignment = 0;
};

struct RunOptions {
  std::size_t operations = 0;
  std::vector<PoolPlan> pools;
  bool change_pools = false;  // add, extend and remove pools mid-run
};

template <class Heap>
class ModelRun {
 public:
  ModelRun(std::uint64_t seed, RunOptions options)
      : seed_(seed), options_(std::move(options)), random_(seed) {}

  AssertionResult run() {
    for (const PoolPlan& plan : options_.pools) {
      if (auto result = add_pool(plan.bytes, plan.misalignment, 0); !result) {
        return result << where();
      }
    }
    if (auto result = verify(true); !result) {
      return result << where();
    }
    for (op_ = 0; op_ < options_.operations; ++op_) {
      if (op_ % 3000 == 0) {
        fill_phase_ = !fill_phase_;
      }
      if (auto result = step(); !result) {
        return result << where();
      }
      if (auto result = verify(op_ % 64 == 0); !result) {
        return result << where();
      }
      if (op_ % 4096 == 0) {
        if (auto result = verify_all_contents(); !result) {
          return result << where();
        }
      }
    }
    if (auto result = free_everything(); !result) {
      return result << where();
    }
    return AssertionSuccess();
  }

 private:
  struct Live {
    std::uint64_t id;
    std::size_t size;       // requested
    std::size_t alignment;  // requested, 0 for the default
    std::size_t usable;
    std::size_t slot;  // index in live_order_
  };

  // Bytes a block occupies: its header, its payload, and for alignments
  // beyond the granularity one more word where the heap keeps the alignment.
  static std::size_t block_bytes(std::size_t usable, std::size_t alignment) {
    return usable + Heap::header_size + (alignment > Heap::granularity ? Heap::header_size : 0);
  }

  struct Pool {
    std::unique_ptr<PoolMemory> memory;
    std::byte* start;
    std::size_t given;     // bytes handed over by add_pool and extend_pool
    std::size_t capacity;  // what the heap said it added
    bool active;
  };

  enum class Kind {
    allocate,
    allocate_aligned,
    reallocate,
    deallocate,
    add_pool,
    extend_pool,
    remove_pool,
    reset
  };

  std::string where() const {
    static constexpr const char* names[] = {
        "allocate", "allocate_aligned", "reallocate",  "deallocate",
        "add_pool", "extend_pool",      "remove_pool", "reset"};
    return (::testing::Message() << "\n  seed " << seed_ << ", operation " << op_ << ": "
                                 << names[static_cast<int>(last_.kind)] << " size " << last_.size
                                 << " align " << last_.alignment << " pointer " << last_.pointer
                                 << "; " << live_.size() << " live blocks")
        .GetString();
  }

  // ---- random choices ----

  std::size_t uniform(std::size_t low, std::size_t high) {
    return std::uniform_int_distribution<std::size_t>(low, high)(random_);
  }
  bool chance(double p) { return std::bernoulli_distribution(p)(random_); }

  std::size_t random_size() {
    const std::size_t roll = uniform(0, 99);
    if (roll < 6) {
      return uniform(0, 48);
    }
    if (roll < 8) {  // right at the edge of what is free
      const std::size_t largest = heap_->stats().largest_free;
      return largest - std::min(largest, uniform(0, 24)) + uniform(0, 24);
    }
    if (roll < 9) {  // absurd requests that must fail without wrapping around
      switch (uniform(0, 3)) {
        case 0:
          return Heap::max_allocation + uniform(1, 64);
        case 1:
          return std::numeric_limits<std::size_t>::max() - uniform(0, 64);
        case 2:
          return std::numeric_limits<std::size_t>::max() / 2 + uniform(0, 64);
        default:
          return Heap::max_allocation - uniform(0, 64);
      }
    }
    // Log-uniform up to the largest pool: most requests small, some huge.
    const double top = std::log2(static_cast<double>(largest_pool_capacity() + 2));
    const double exponent = std::uniform_real_distribution<double>(0.0, top)(random_);
    return static_cast<std::size_t>(std::exp2(exponent)) - 1;
  }

  std::size_t random_alignment() {
    if (chance(0.02)) {
      return std::size_t{1} << uniform(13, 16);
    }
    return std::size_t{1} << uniform(0, 12);
  }

  std::size_t largest_pool_capacity() const {
    std::size_t largest = 0;
    for (const Pool& pool : pools_) {
      if (pool.active) {
        largest = std::max(largest, pool.capacity);
      }
    }
    return largest;
  }

  void* random_live() {
    return reinterpret_cast<void*>(live_order_[uniform(0, live_order_.size() - 1)]);
  }

  // ---- one operation ----

  AssertionResult step() {
    if (options_.change_pools) {
      const std::size_t roll = uniform(0, 9999);
      if (roll < 6) {
        return add_random_pool();
      }
      if (roll < 12) {
        return extend_random_pool();
      }
      if (roll < 16) {
        return remove_random_pool();
      }
      if (roll < 17) {
        return reset();
      }
    }
    const double allocate_share = live_.empty() ? 1.0 : fill_phase_ ? 0.62 : 0.38;
    if (chance(allocate_share)) {
      if (chance(0.2)) {
        return allocate(random_size(), random_alignment());
      }
      if (chance(0.01)) {
        return reallocate(nullptr, random_size());
      }
      return allocate(random_size(), 0);
    }
    if (chance(0.3)) {
      void* p = random_live();
      const std::size_t old_size = live_.at(address_of(p)).size;
      std::size_t size = 0;
      switch (uniform(0, 3)) {
        case 0:
          size = old_size / 2;
          break;
        case 1:
          size = old_size + uniform(0, 64);
          break;
        case 2:
          size = old_size * 2 + uniform(0, 100);
          break;
        default:
          size = random_size();
          break;
      }
      return reallocate(p, size);
    }
    if (chance(0.01)) {
      last_ = {Kind::deallocate, 0, 0, nullptr};
      heap_->deallocate(nullptr);
      return AssertionSuccess();
    }
    return deallocate(random_live());
  }

  // Whether a request must succeed given the largest free block, by the
  // guarantee in docs/tlsf.md: n bytes are served whenever a free block of
  // (n + header + granularity) * (1 + 1/SecondLevelCount) bytes exists. An
  // aligned request also needs its alignment word and room for the gap in
  // front of the aligned payload (alignment plus a minimal block).
  static bool must_fit(std::size_t size, std::size_t alignment, std::size_t largest_free) {
    if (size > Heap::max_allocation) {
      return false;
    }
    std::size_t request = size + Heap::header_size + Heap::granularity;
    if (alignment > Heap::granularity) {
      request += Heap::header_size + alignment + Heap::min_block_size;
      if (request > Heap::max_allocation) {
        return false;  // the search itself would be beyond the largest class
      }
    }
    const std::size_t guaranteed =
        request + (request + Heap::second_level_count - 1) / Heap::second_level_count;
    return largest_free + Heap::header_size >= guaranteed;
  }

  AssertionResult allocate(std::size_t size, std::size_t alignment) {
    last_ = {alignment == 0 ? Kind::allocate : Kind::allocate_aligned, size, alignment, nullptr};
    const TlsfStats before = heap_->stats();
    void* p = alignment == 0 ? heap_->allocate(size) : heap_->allocate(size, alignment);
    last_.pointer = p;
    if (p == nullptr) {
      ++failures_;
      if (must_fit(size, alignment, before.largest_free)) {
        return AssertionFailure() << "allocation failed although the largest free block had "
                                  << before.largest_free << " bytes";
      }
      return AssertionSuccess();
    }
    if (size > Heap::max_allocation) {
      return AssertionFailure() << "a request beyond max_allocation succeeded";
    }
    const std::size_t usable = heap_->usable_size(p);
    if (usable > before.largest_free) {
      return AssertionFailure() << "a block of " << usable
                                << " usable bytes came out of a heap whose largest free "
                                << "block had " << before.largest_free;
    }
    return adopt(p, size, alignment);
  }

  AssertionResult reallocate(void* p, std::size_t size) {
    last_ = {Kind::reallocate, size, 0, p};
    if (p == nullptr) {
      const TlsfStats before = heap_->stats();
      void* q = heap_->reallocate(nullptr, size);
      if (q == nullptr) {
        ++failures_;
        if (must_fit(size, 0, before.largest_free)) {
          return AssertionFailure()
                 << "reallocate(nullptr) failed although the largest free block had "
                 << before.largest_free << " bytes";
        }
        return AssertionSuccess();
      }
      return adopt(q, size, 0);
    }

    const Live old = live_.at(address_of(p));
    const TlsfStats before = heap_->stats();
    void* q = heap_->reallocate(p, size);
    last_.pointer = q;
    if (q == nullptr) {
      ++failures_;
      if (size <= old.usable) {
        return AssertionFailure() << "shrinking a block of " << old.usable
                                  << " usable bytes failed";
      }
      if (must_fit(size, old.alignment, before.largest_free)) {
        return AssertionFailure() << "reallocate failed although the largest free block had "
                                  << before.largest_free << " bytes";
      }
      if (heap_->usable_size(p) != old.usable) {
        return AssertionFailure() << "a failed reallocate changed the block's size";
      }
      return pattern_intact(p, old.usable, old.id);
    }
    if (size > Heap::max_allocation) {
      return AssertionFailure() << "a reallocate beyond max_allocation succeeded";
    }
    if (size <= old.usable && q != p) {
      return AssertionFailure() << "shrinking from " << old.usable << " to " << size
                                << " moved the block";
    }
    const std::size_t kept = std::min(old.usable, size);
    if (auto intact = pattern_intact(q, kept, old.id); !intact) {
      return intact << " after reallocate from " << old.usable << " usable bytes to " << size;
    }
    forget(p);
    return adopt(q, size, old.alignment);
  }

  AssertionResult deallocate(void* p) {
    const Live& block = live_.at(address_of(p));
    last_ = {Kind::deallocate, block.size, block.alignment, p};
    if (auto intact = pattern_intact(p, block.usable, block.id); !intact) {
      return intact;
    }
    if (heap_->usable_size(p) != block.usable) {
      return AssertionFailure() << "usable_size changed from " << block.usable << " to "
                                << heap_->usable_size(p);
    }
    forget(p);
    heap_->deallocate(p);
    return AssertionSuccess();
  }

  // Enters a block the heap just returned into the model, after checking
  // where it lies; then fills it with its own pattern.
  AssertionResult adopt(void* p, std::size_t size, std::size_t alignment) {
    const std::size_t usable = heap_->usable_size(p);
    if (usable < size) {
      return AssertionFailure() << "usable_size " << usable << " is below the request " << size;
    }
    if (!is_aligned(p, std::max(alignment, Heap::alignment))) {
      return AssertionFailure() << "block " << p << " is not aligned to "
                                << std::max(alignment, Heap::alignment);
    }
    if (!heap_->owns(p)) {
      return AssertionFailure() << "the heap does not own the block it returned";
    }
    const std::size_t bytes = block_bytes(usable, alignment);
    if (auto inside = inside_a_pool(p, bytes); !inside) {
      return inside;
    }
    const std::uintptr_t address = address_of(p);
    auto next = live_.lower_bound(address);
    if (next != live_.end() && address + bytes > next->first) {
      return AssertionFailure() << "new block " << p << " of " << bytes
                                << " bytes overlaps the live block at "
                                << reinterpret_cast<void*>(next->first);
    }
    if (next != live_.begin()) {
      const auto previous = std::prev(next);
      if (previous->first + block_bytes(previous->second.usable, previous->second.alignment) >
          address) {
        return AssertionFailure() << "new block " << p << " overlaps the live block at "
                                  << reinterpret_cast<void*>(previous->first) << " of "
                                  << previous->second.usable << " bytes";
      }
    }
    const std::uint64_t id = next_id_++;
    live_.emplace_hint(next, address, Live{id, size, alignment, usable, live_order_.size()});
    live_order_.push_back(address);
    used_ += bytes;
    peak_ = std::max(peak_, used_);
    fill_pattern(p, usable, id);
    return AssertionSuccess();
  }

  void forget(void* p) {
    const auto found = live_.find(address_of(p));
    const std::size_t slot = found->second.slot;
    used_ -= block_bytes(found->second.usable, found->second.alignment);
    live_order_[slot] = live_order_.back();
    live_.at(live_order_[slot]).slot = slot;
    live_order_.pop_back();
    live_.erase(found);
  }

  // Whether the block whose payload starts at `p` and which occupies `bytes`
  // (header included) lies inside one of the pools.
  AssertionResult inside_a_pool(const void* p, std::size_t bytes) const {
    const auto* first = static_cast<const std::byte*>(p) - Heap::header_size;
    const auto* last = first + bytes;
    for (const Pool& pool : pools_) {
      if (pool.active && first >= pool.start && last <= pool.start + pool.given) {
        return AssertionSuccess();
      }
    }
    return AssertionFailure() << "block " << p << " of " << bytes
                              << " bytes is not inside any pool";
  }

  // ---- pools ----

  AssertionResult add_pool(std::size_t bytes, std::size_t misalignment, std::size_t reserve) {
    last_ = {Kind::add_pool, bytes, misalignment, nullptr};
    Pool pool{std::make_unique<PoolMemory>(misalignment + bytes + reserve), nullptr, bytes, 0,
              true};
    pool.start = pool.memory->data() + misalignment;
    pool.capacity = heap_->add_pool(pool.start, bytes);
    if (pool.capacity == 0) {
      return AssertionFailure() << "a pool of " << bytes << " bytes was refused";
    }
    if (pool.capacity > std::min(bytes, Heap::max_block_size)) {
      return AssertionFailure() << "a pool of " << bytes << " bytes added " << pool.capacity;
    }
    // A pool beyond the largest block is used only up to it; the rest stays ours.
    const auto* end = static_cast<const std::byte*>(heap_->pool_end(pool.start));
    if (end > pool.start + bytes ||
        (pool.capacity < Heap::max_block_size && end != pool.start + bytes)) {
      return AssertionFailure() << "a pool of " << bytes << " bytes ends " << (end - pool.start)
                                << " bytes in";
    }
    pool.given = static_cast<std::size_t>(end - pool.start);
    capacity_ += pool.capacity;
    pools_.push_back(std::move(pool));
    return AssertionSuccess();
  }

  AssertionResult add_random_pool() {
    if (pools_.size() >= 12) {
      return AssertionSuccess();
    }
    const std::size_t bytes = uniform(Heap::min_pool_size, 96 * 1024);
    return add_pool(bytes, uniform(0, 2 * Heap::alignment), uniform(0, 64 * 1024));
  }

  AssertionResult extend_random_pool() {
    Pool& pool = pools_[uniform(0, pools_.size() - 1)];
    if (!pool.active) {
      return AssertionSuccess();
    }
    const auto room = static_cast<std::size_t>(pool.memory->end() - (pool.start + pool.given));
    if (room == 0) {
      return AssertionSuccess();
    }
    const std::size_t added =
        chance(0.2) ? uniform(1, std::min<std::size_t>(room, 64)) : uniform(1, room);
    std::byte* end = pool.start + pool.given;
    last_ = {Kind::extend_pool, added, 0, end};
    const std::size_t extended = heap_->extend_pool(pool.start, end, added);
    const std::vector<ErrorInfo> reports = ErrorLog::take();
    if (!reports.empty()) {  // refused: the pool must be as it was
      if (reports.size() != 1 || reports[0].code != ErrorCode::invalid_pool || extended != 0) {
        return AssertionFailure() << "extend_pool by " << added << " returned " << extended
                                  << " and reported:" << describe(reports);
      }
      if (pool.capacity + added < Heap::max_block_size &&
          added >= Heap::min_block_size + Heap::granularity) {
        return AssertionFailure() << "extending a pool of " << pool.capacity << " bytes by "
                                  << added << " was refused";
      }
      if (heap_->pool_end(pool.start) != end) {
        return AssertionFailure() << "a refused extend_pool moved the pool's end";
      }
      return AssertionSuccess();
    }
    if (extended > added + Heap::granularity || extended % Heap::granularity != 0) {
      return AssertionFailure() << "extending by " << added << " bytes added " << extended;
    }
    pool.given += added;
    pool.capacity += extended;
    capacity_ += extended;
    if (pool.capacity > Heap::max_block_size) {
      // Freeing the whole pool would merge it into one block no class holds.
      return AssertionFailure() << "extend_pool by " << added << " grew a pool to " << pool.capacity
                                << " bytes, beyond max_block_size " << Heap::max_block_size;
    }
    if (heap_->pool_end(pool.start) != pool.start + pool.given) {
      return AssertionFailure() << "after extend_pool the pool ends at "
                                << heap_->pool_end(pool.start) << ", not "
                                << static_cast<void*>(pool.start + pool.given);
    }
    return AssertionSuccess();
  }

  AssertionResult remove_random_pool() {
    Pool& pool = pools_[uniform(0, pools_.size() - 1)];
    if (!pool.active) {
      return AssertionSuccess();
    }
    last_ = {Kind::remove_pool, pool.given, 0, pool.start};
    const auto first = live_.lower_bound(address_of(pool.start));
    const bool in_use = first != live_.end() && first->first < address_of(pool.start + pool.given);
    const bool removed = heap_->remove_pool(pool.start);
    if (removed == in_use) {
      return AssertionFailure() << "remove_pool returned " << removed << " for a pool "
                                << (in_use ? "with" : "without") << " live blocks";
    }
    if (removed) {
      pool.active = false;
      capacity_ -= pool.capacity;
      pool.memory.reset();  // so any later use of it is a use after free
    }
    return AssertionSuccess();
  }

  AssertionResult reset() {
    last_ = {Kind::reset, 0, 0, nullptr};
    heap_->reset();
    live_.clear();
    live_order_.clear();
    used_ = 0;  // peak_used and failed_allocations are kept
    return AssertionSuccess();
  }

  AssertionResult free_everything() {
    while (!live_.empty()) {
      if (auto result = deallocate(reinterpret_cast<void*>(live_.begin()->first)); !result) {
        return result;
      }
    }
    if (auto result = verify(true); !result) {
      return result;
    }
    const TlsfStats stats = heap_->stats();
    std::size_t active = 0;
    for (const Pool& pool : pools_) {
      active += pool.active ? 1 : 0;
    }
    if (stats.free_blocks != active || stats.used != 0) {
      return AssertionFailure() << "after freeing everything: " << stats.free_blocks
                                << " free blocks in " << active << " pools, " << stats.used
                                << " bytes used";
    }
    return AssertionSuccess();
  }

  // ---- invariants ----

  AssertionResult verify(bool thoroughly) {
    if (!heap_->check()) {
      return AssertionFailure() << "check() failed:" << describe(ErrorLog::take());
    }
    if (ErrorLog::count() != 0) {
      return AssertionFailure() << "unexpected error reports:" << describe(ErrorLog::take());
    }
    const TlsfStats stats = heap_->stats();
    std::size_t active_pools = 0;
    for (const Pool& pool : pools_) {
      active_pools += pool.active ? 1 : 0;
    }
    if (stats.pool_count != active_pools) {
      return AssertionFailure() << "pool_count " << stats.pool_count << ", model " << active_pools;
    }
    if (stats.capacity != capacity_) {
      return AssertionFailure() << "capacity " << stats.capacity << ", model " << capacity_;
    }
    if (stats.used_blocks != live_.size()) {
      return AssertionFailure() << "used_blocks " << stats.used_blocks << ", model "
                                << live_.size();
    }
    if (stats.used != used_) {
      return AssertionFailure() << "used " << stats.used << ", model " << used_;
    }
    if (stats.free != stats.capacity - stats.used) {
      return AssertionFailure() << "free " << stats.free << " is not capacity " << stats.capacity
                                << " - used " << stats.used;
    }
    if (stats.failed_allocations != (stats_enabled ? failures_ : 0)) {
      return AssertionFailure() << "failed_allocations " << stats.failed_allocations << ", model "
                                << failures_;
    }
    if (!stats_enabled ? stats.peak_used != 0
                       : stats.peak_used < peak_ || stats.peak_used < stats.used ||
                             stats.peak_used > stats.capacity + peak_slack()) {
      return AssertionFailure() << "peak_used " << stats.peak_used << ", model at least " << peak_;
    }

    // walk() sums agree with stats.
    std::size_t total = 0, used = 0, used_blocks = 0, free_blocks = 0, largest_free = 0;
    heap_->walk([&](const BlockInfo& block) {
      total += block.block_size;
      if (block.used) {
        used += block.block_size;
        ++used_blocks;
      } else {
        ++free_blocks;
        largest_free = std::max(largest_free, block.size);
      }
    });
    if (total != stats.capacity || used != stats.used || used_blocks != stats.used_blocks ||
        free_blocks != stats.free_blocks || largest_free != stats.largest_free) {
      return AssertionFailure() << "walk() disagrees with stats(): total " << total << "/"
                                << stats.capacity << ", used " << used << "/" << stats.used
                                << ", used blocks " << used_blocks << "/" << stats.used_blocks
                                << ", free blocks " << free_blocks << "/" << stats.free_blocks
                                << ", largest free " << largest_free << "/" << stats.largest_free;
    }
    return thoroughly ? verify_walk_against_model() : AssertionSuccess();
  }

  // Removed pools' capacity may still count toward an old peak.
  std::size_t peak_slack() const {
    std::size_t slack = 0;
    for (const Pool& pool : pools_) {
      slack += pool.active ? 0 : pool.capacity;
    }
    return slack;
  }

  AssertionResult verify_walk_against_model() {
    const WalkSummary walk = summarize(*heap_);
    std::vector<BlockInfo> blocks = walk.blocks;
    std::sort(blocks.begin(), blocks.end(),
              [](const BlockInfo& a, const BlockInfo& b) { return a.address < b.address; });
    for (std::size_t i = 0; i < blocks.size(); ++i) {
      const BlockInfo& block = blocks[i];
      if (auto inside = inside_a_pool(block.address, block.block_size); !inside) {
        return inside << " (walk)";
      }
      if (block.used) {
        const auto found = live_.find(address_of(block.address));
        if (found == live_.end()) {
          return AssertionFailure()
                 << "walk() shows a used block at " << block.address << " the model does not know";
        }
        if (found->second.usable != block.size ||
            block_bytes(found->second.usable, found->second.alignment) != block.block_size) {
          return AssertionFailure()
                 << "walk() says block " << block.address << " has " << block.size << " of "
                 << block.block_size << " bytes, usable_size said " << found->second.usable;
        }
      }
      if (i > 0) {
        const BlockInfo& previous = blocks[i - 1];
        const auto* end = static_cast<const std::byte*>(previous.address) - Heap::header_size +
                          previous.block_size;
        const auto* start = static_cast<const std::byte*>(block.address) - Heap::header_size;
        if (end > start) {
          return AssertionFailure() << "walk() shows overlapping blocks at " << previous.address
                                    << " and " << block.address;
        }
        if (end == start && !previous.used && !block.used) {
          return AssertionFailure()
                 << "adjacent free blocks at " << previous.address << " and " << block.address;
        }
      }
    }
    return AssertionSuccess();
  }

  AssertionResult verify_all_contents() const {
    for (const auto& [address, block] : live_) {
      if (auto intact =
              pattern_intact(reinterpret_cast<const void*>(address), block.usable, block.id);
          !intact) {
        return intact;
      }
    }
    return AssertionSuccess();
  }

  struct LastOperation {
    Kind kind = Kind::allocate;
    std::size_t size = 0;
    std::size_t alignment = 0;
    void* pointer = nullptr;
  };

  std::uint64_t seed_;
  RunOptions options_;
  std::mt19937_64 random_;
  std::unique_ptr<Heap> heap_ = std::make_unique<Heap>();
  std::vector<Pool> pools_;
  std::map<std::uintptr_t, Live> live_;
  std::vector<std::uintptr_t> live_order_;  // live_'s keys, for picking one at random
  std::uint64_t next_id_ = 1;
  std::size_t used_ = 0;
  std::size_t peak_ = 0;
  std::size_t capacity_ = 0;
  std::size_t failures_ = 0;
  std::size_t op_ = 0;
  bool fill_phase_ = false;
  LastOperation last_;
};

template <class Heap>
class RandomModelTest : public ErrorRecordingTest {
 protected:
  // Each run gets its own seed, derived from the test's name so that adding
  // a test does not change the sequences of the others.
  static std::uint64_t seed() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    const std::string name = std::string(info->test_suite_name()) + "." + info->name();
    std::uint64_t hash = 1469598103934665603ULL;
    for (char c : name) {
      hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
    }
    return seed_for(hash);
  }

  static void run(std::uint64_t seed, RunOptions options) {
    SCOPED_TRACE(::testing::Message()
                 << "seed " << seed << "; RTALLOC_TEST_SEED=" << base_seed() << " reproduces it");
    ModelRun<Heap> model(seed, std::move(options));
    ASSERT_TRUE(model.run());
  }
};
TYPED_TEST_SUITE(RandomModelTest, HeapConfigurations);

TYPED_TEST(RandomModelTest, OneLargePool) {
  RunOptions options;
  options.operations = operations(200'000);
  options.pools = {{1024 * 1024, 0}};
  this->run(this->seed(), options);
}

TYPED_TEST(RandomModelTest, MisalignedPool) {
  RunOptions options;
  options.operations = operations(50'000);
  options.pools = {{300'000, 7}};
  this->run(this->seed(), options);
}

// Pools just below, at and just above powers of two, at aligned and odd starts.
TYPED_TEST(RandomModelTest, AwkwardPoolSizes) {
  std::uint64_t seed = this->seed();
  for (std::size_t bytes : {4095U, 4096U, 4097U, 65535U, 65536U, 65537U}) {
    for (std::size_t misalignment : {0U, 1U, 8U}) {
      SCOPED_TRACE(::testing::Message()
                   << "pool of " << bytes << " bytes misaligned by " << misalignment);
      RunOptions options;
      options.operations = operations(10'000);
      options.pools = {{bytes, misalignment}};
      this->run(seed++, options);
      if (this->HasFatalFailure()) {
        return;
      }
    }
  }
}

TYPED_TEST(RandomModelTest, SmallestPool) {
  RunOptions options;
  options.operations = operations(10'000);
  options.pools = {{TypeParam::min_pool_size, 0}};
  this->run(this->seed(), options);
}

// One pool exactly as large as the configuration's largest block, and one
// far beyond it that the heap uses only in part.
TYPED_TEST(RandomModelTest, PoolOfLargestBlock) {
  using Heap = TypeParam;
  if constexpr (Heap::max_block_size > (std::size_t{64} << 20)) {
    GTEST_SKIP() << "largest block is " << Heap::max_block_size << " bytes, too much to back here";
  } else {
    RunOptions options;
    options.operations = operations(50'000);
    options.pools = {{Heap::max_block_size + Heap::pool_overhead + Heap::granularity, 0},
                     {Heap::max_block_size * 2, 4}};
    this->run(this->seed(), options);
  }
}

// Several pools from the start, more added, extended and removed on the way.
TYPED_TEST(RandomModelTest, ChangingPools) {
  RunOptions options;
  options.operations = operations(150'000);
  options.pools = {{16 * 1024, 0}, {40'000, 3}};
  options.change_pools = true;
  this->run(this->seed(), options);
}

}  // namespace
}  // namespace rtalloc::test
