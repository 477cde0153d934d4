// SPDX-License-Identifier: MIT OR Apache-2.0
// The C API against the C++ heap it wraps: the same random operations on a
// C heap (rtalloc_*) and on an rtalloc::Tlsf of the same configuration, each
// in a buffer of its own, must give blocks at the same offsets, the same
// usable sizes and the same statistics after every operation. The C side's
// own semantics (calloc zeroes and checks overflow, realloc(p, 0) frees)
// are mapped to the C++ calls they stand for.
//
// RTALLOC_TEST_SEED=<n> picks another sequence; RTALLOC_TEST_OPS=<n> sets
// the number of operations.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <limits>
#include <memory>
#include <new>
#include <random>
#include <vector>

#include "c_heap.hpp"  // the heap type of this build of the C API

namespace {

using Heap = rtalloc::c_api::Heap;

std::uint64_t environment_number(const char* name, std::uint64_t fallback) {
  const char* text = std::getenv(name);
  return text == nullptr || *text == '\0' ? fallback : std::strtoull(text, nullptr, 0);
}

struct FreeMemory {
  void operator()(std::byte* p) const noexcept { std::free(p); }
};
using Memory = std::unique_ptr<std::byte, FreeMemory>;

Memory page_aligned(std::size_t bytes) {
  return Memory(static_cast<std::byte*>(std::aligned_alloc(4096, bytes)));
}

class CApiModel {
 public:
  CApiModel(std::size_t bytes, std::uint64_t seed)
      : c_memory_(page_aligned(bytes)), cpp_memory_(page_aligned(bytes)), random_(seed) {
    c_heap_ = rtalloc_create_with_pool(c_memory_.get(), bytes);
    cpp_heap_ = ::new (cpp_memory_.get()) Heap;
    cpp_heap_->add_pool(cpp_memory_.get() + sizeof(Heap), bytes - sizeof(Heap));
  }

  ::testing::AssertionResult run(std::size_t operations) {
    if (c_heap_ == nullptr)
      return ::testing::AssertionFailure() << "rtalloc_create_with_pool failed";
    if (auto same = same_state(); !same) return same;
    for (op_ = 0; op_ < operations; ++op_) {
      if (auto result = step(); !result) return result << " (operation " << op_ << ")";
      if (auto same = same_state(); !same) return same << " (after operation " << op_ << ")";
      if (op_ % 1024 == 0) {
        if (auto same = same_walk(); !same) return same << " (after operation " << op_ << ")";
      }
    }
    while (!live_.empty()) {
      if (auto result = free_one(live_.size() - 1); !result) return result;
    }
    if (auto same = same_walk(); !same) return same;
    if (rtalloc_check(c_heap_) != 1 || !cpp_heap_->check()) {
      return ::testing::AssertionFailure() << "check() failed at the end";
    }
    if (allocated_ < operations / 4 || cpp_heap_->stats().failed_allocations == 0) {
      return ::testing::AssertionFailure() << "too few allocations succeeded (" << allocated_
                                           << ") or none failed: the test checks too little";
    }
    return same_state();
  }

 private:
  struct Live {
    std::byte* c;
    std::byte* cpp;
    std::size_t size;
    unsigned char fill;
  };

  std::size_t uniform(std::size_t low, std::size_t high) {
    return std::uniform_int_distribution<std::size_t>(low, high)(random_);
  }

  std::size_t random_size() {
    const std::size_t roll = uniform(0, 99);
    if (roll < 5) return uniform(0, 32);
    if (roll < 7) return std::numeric_limits<std::size_t>::max() - uniform(0, 64);
    return (std::size_t{1} << uniform(0, 14)) + uniform(0, 255);
  }

  std::size_t offset_c(const void* p) const {
    return static_cast<std::size_t>(static_cast<const std::byte*>(p) - c_memory_.get());
  }
  std::size_t offset_cpp(const void* p) const {
    return static_cast<std::size_t>(static_cast<const std::byte*>(p) - cpp_memory_.get());
  }

  // Both results null, or both blocks at the same offset with the same size.
  ::testing::AssertionResult same_block(const void* c, const void* cpp) const {
    if ((c == nullptr) != (cpp == nullptr)) {
      return ::testing::AssertionFailure() << "C gave " << c << ", C++ gave " << cpp;
    }
    if (c == nullptr) return ::testing::AssertionSuccess();
    if (offset_c(c) != offset_cpp(cpp)) {
      return ::testing::AssertionFailure()
             << "C block at offset " << offset_c(c) << ", C++ at " << offset_cpp(cpp);
    }
    if (rtalloc_usable_size(c_heap_, c) != cpp_heap_->usable_size(cpp)) {
      return ::testing::AssertionFailure() << "usable sizes differ";
    }
    return ::testing::AssertionSuccess();
  }

  ::testing::AssertionResult same_state() const {
    rtalloc_stats c;
    rtalloc_get_stats(c_heap_, &c);
    const rtalloc::TlsfStats cpp = cpp_heap_->stats();
    const std::size_t c_fields[] = {c.pool_count,  c.capacity,     c.used,
                                    c.free,        c.largest_free, c.peak_used,
                                    c.used_blocks, c.free_blocks,  c.failed_allocations};
    const std::size_t cpp_fields[] = {cpp.pool_count,  cpp.capacity,     cpp.used,
                                      cpp.free,        cpp.largest_free, cpp.peak_used,
                                      cpp.used_blocks, cpp.free_blocks,  cpp.failed_allocations};
    for (std::size_t i = 0; i < std::size(c_fields); ++i) {
      if (c_fields[i] != cpp_fields[i]) {
        return ::testing::AssertionFailure()
               << "statistic " << i << " differs: C " << c_fields[i] << ", C++ " << cpp_fields[i];
      }
    }
    return ::testing::AssertionSuccess();
  }

  ::testing::AssertionResult same_walk() const {
    struct Block {
      std::size_t offset, size;
      bool used;
      bool operator==(const Block&) const = default;
    };
    struct Context {
      const CApiModel* model;
      std::vector<Block> blocks;
    } c{this, {}};
    rtalloc_walk(
        c_heap_,
        [](void* ptr, size_t size, int used, void* user) {
          auto* context = static_cast<Context*>(user);
          context->blocks.push_back({context->model->offset_c(ptr), size, used != 0});
          return 1;
        },
        &c);
    std::vector<Block> cpp;
    cpp_heap_->walk([&](const rtalloc::BlockInfo& b) {
      cpp.push_back({offset_cpp(b.address), b.size, b.used});
    });
    if (c.blocks != cpp) return ::testing::AssertionFailure() << "walks differ";
    return ::testing::AssertionSuccess();
  }

  ::testing::AssertionResult intact(const Live& block, std::size_t bytes) const {
    for (std::size_t i = 0; i < bytes; ++i) {
      if (static_cast<unsigned char>(block.c[i]) != block.fill) {
        return ::testing::AssertionFailure() << "C block contents changed at byte " << i;
      }
    }
    return ::testing::AssertionSuccess();
  }

  ::testing::AssertionResult keep(void* c, void* cpp, std::size_t size) {
    if (auto same = same_block(c, cpp); !same) return same;
    if (c != nullptr) {
      ++allocated_;
      const auto fill = static_cast<unsigned char>(uniform(1, 255));
      std::memset(c, fill, size);
      live_.push_back({static_cast<std::byte*>(c), static_cast<std::byte*>(cpp), size, fill});
    }
    return ::testing::AssertionSuccess();
  }

  ::testing::AssertionResult free_one(std::size_t index) {
    const Live block = live_[index];
    live_[index] = live_.back();
    live_.pop_back();
    if (auto ok = intact(block, block.size); !ok) return ok;
    rtalloc_free(c_heap_, block.c);
    cpp_heap_->deallocate(block.cpp);
    return ::testing::AssertionSuccess();
  }

  ::testing::AssertionResult step() {
    const std::size_t roll = uniform(0, 99);
    const bool fill_phase = (op_ / 2000) % 2 == 0;
    if (!live_.empty() && roll < (fill_phase ? 30 : 55))
      return free_one(uniform(0, live_.size() - 1));
    if (roll < 60) {
      const std::size_t size = random_size();
      return keep(rtalloc_malloc(c_heap_, size), cpp_heap_->allocate(size), size);
    }
    if (roll < 70) {
      const std::size_t count = uniform(0, 64);
      const std::size_t size = uniform(0, 3) == 0 ? random_size() : uniform(0, 200);
      std::size_t total;
      const bool overflow = __builtin_mul_overflow(count, size, &total);
      void* c = rtalloc_calloc(c_heap_, count, size);
      void* cpp = cpp_heap_->allocate(overflow ? std::numeric_limits<std::size_t>::max() : total);
      if (c != nullptr) {
        for (std::size_t i = 0; i < total; ++i) {
          if (static_cast<unsigned char*>(c)[i] != 0) {
            return ::testing::AssertionFailure() << "calloc left byte " << i << " non-zero";
          }
        }
      }
      return keep(c, cpp, overflow ? 0 : total);
    }
    if (roll < 80) {
      const std::size_t alignment = std::size_t{1} << uniform(0, 12);
      const std::size_t size = random_size();
      return keep(rtalloc_memalign(c_heap_, alignment, size), cpp_heap_->allocate(size, alignment),
                  size);
    }
    // reallocate: a live block, or null (as malloc); size 0 frees.
    const std::size_t size = uniform(0, 9) == 0 ? 0 : random_size();
    if (live_.empty() || uniform(0, 9) == 0) {
      return keep(rtalloc_realloc(c_heap_, nullptr, size), cpp_heap_->reallocate(nullptr, size),
                  size);
    }
    const std::size_t index = uniform(0, live_.size() - 1);
    const Live block = live_[index];
    if (size == 0) {
      live_[index] = live_.back();
      live_.pop_back();
      if (rtalloc_realloc(c_heap_, block.c, 0) != nullptr) {
        return ::testing::AssertionFailure() << "realloc(p, 0) did not return NULL";
      }
      cpp_heap_->deallocate(block.cpp);
      return ::testing::AssertionSuccess();
    }
    void* c = rtalloc_realloc(c_heap_, block.c, size);
    void* cpp = cpp_heap_->reallocate(block.cpp, size);
    if (auto same = same_block(c, cpp); !same) return same;
    if (c == nullptr) return intact(block, block.size);  // the old block is kept
    Live moved{static_cast<std::byte*>(c), static_cast<std::byte*>(cpp), size, block.fill};
    if (auto ok = intact(moved, std::min(size, block.size)); !ok) return ok;
    std::memset(c, block.fill, size);
    live_[index] = moved;
    ++allocated_;
    return ::testing::AssertionSuccess();
  }

  Memory c_memory_;
  Memory cpp_memory_;
  std::mt19937_64 random_;
  rtalloc_heap* c_heap_ = nullptr;
  Heap* cpp_heap_ = nullptr;
  std::vector<Live> live_;
  std::size_t op_ = 0;
  std::size_t allocated_ = 0;  // non-null results of allocations and reallocations
};

std::size_t operations() {
#ifdef NDEBUG
  constexpr std::size_t fallback = 40000;
#else
  constexpr std::size_t fallback = 10000;
#endif
  return static_cast<std::size_t>(environment_number("RTALLOC_TEST_OPS", fallback));
}

TEST(CApiModelTest, HeapSizeIsTheConfiguredTlsf) {
  EXPECT_EQ(rtalloc_heap_size(), sizeof(Heap));
  EXPECT_EQ(rtalloc_heap_alignment(), alignof(Heap));
  EXPECT_EQ(rtalloc_min_pool_size(), Heap::min_pool_size);
  EXPECT_EQ(rtalloc_max_allocation(), Heap::max_allocation);
}

TEST(CApiModelTest, SameResultsAsTheCppHeap) {
  const std::uint64_t seed = environment_number("RTALLOC_TEST_SEED", 0xC0FFEEULL);
  for (const std::size_t bytes : {std::size_t{64} * 1024, std::size_t{1} << 20}) {
    CApiModel model(bytes, seed + bytes);
    EXPECT_TRUE(model.run(operations())) << "seed " << seed << ", " << bytes << "-byte buffer";
  }
}

}  // namespace
