// SPDX-License-Identifier: MIT OR Apache-2.0
// Long random sequences of heap operations through the heap model
// (tests/model/heap_model.hpp), which checks everything after every one:
// four Tlsf configurations over one large pool, awkward pools, pools added,
// extended and removed on the way, and FlexTlsf growing from a test source.
// This file only chooses the operations.
//
// Every run's seed derives from one base seed and the test's name; a failure
// prints the base, and RTALLOC_TEST_SEED=<base> with --gtest_filter=<test>
// reproduces it. Another base explores other sequences.
// RTALLOC_TEST_OPS=<n> overrides the number of operations of every run.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <rtalloc/flex_tlsf.hpp>
#include <rtalloc/small_objects.hpp>
#include <string>
#include <utility>
#include <vector>

#include "../model/heap_model.hpp"
#include "../model/small_objects_policy.hpp"
#include "../model/tlsf_policy.hpp"
#include "tlsf_test_support.hpp"

namespace rtalloc::test {
namespace {

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

// The most blocks and pools a host run keeps; an allocation beyond that is
// skipped (see heap_model.hpp).
constexpr std::size_t max_live = 4096;
constexpr std::size_t max_pools = 12;

struct PoolPlan {
  std::size_t bytes;
  std::size_t misalignment = 0;
};

struct RunOptions {
  std::size_t operations = 0;
  std::vector<PoolPlan> pools;
  bool change_pools = false;        // add, extend and remove pools mid-run
  std::size_t largest_request = 0;  // 0: the largest pool's capacity
};

const char* step_name(std::uint8_t step) {
  static constexpr const char* names[] = {"allocate",    "reallocate",  "deallocate",
                                          "misuse",      "contents",    "add_pool",
                                          "extend_pool", "remove_pool", "reset"};
  return step < std::size(names) ? names[step] : "?";
}

// Chooses the operations of one run: sizes mostly small and log-uniform up
// to the largest pool, some at the edge of what is free, a few absurd; fill
// and drain phases of 3,000 operations; rare misuses and pool changes.
// `Tlsf` is the configuration whose limits the sizes probe.
template <class Tlsf, class Model>
class RandomRun {
 public:
  RandomRun(Model& model, std::uint64_t seed) : model_(model), random_(seed) {}

  ::testing::AssertionResult run(const RunOptions& options) {
    if constexpr (pooled_heap<std::remove_reference_t<decltype(model_.heap())>>) {
      for (const PoolPlan& plan : options.pools) {
        if (const ModelResult added = add_pool(plan.bytes, plan.misalignment, 0); !added.passed) {
          return failure(added);
        }
      }
    }
    largest_request_ = options.largest_request;
    for (std::size_t op = 0; op < options.operations; ++op) {
      if (op % 3000 == 0) {
        fill_phase_ = !fill_phase_;
      }
      if (const ModelResult result = step(options.change_pools); !result.passed) {
        return failure(result);
      }
    }
    if (const ModelResult result = model_.free_all(); !result.passed) {
      return failure(result);
    }
    return ::testing::AssertionSuccess();
  }

 private:
  ::testing::AssertionResult failure(const ModelResult& result) const {
    const auto& last = model_.last();
    auto failed = ::testing::AssertionFailure();
    failed << result.what << "\n  at operation " << result.operation << ": "
           << step_name(static_cast<std::uint8_t>(last.step)) << " size " << last.size << " align "
           << last.align << " pointer " << last.pointer << "; " << model_.shadow().live_count()
           << " live blocks";
    if (ReportLog::count() != 0) {
      const ErrorInfo& report = ReportLog::last();
      failed << "; last report " << to_string(report.code) << ": "
             << (report.message != nullptr ? report.message : "");
    }
    return failed;
  }

  std::size_t uniform(std::size_t low, std::size_t high) {
    return std::uniform_int_distribution<std::size_t>(low, high)(random_);
  }
  bool chance(double p) { return std::bernoulli_distribution(p)(random_); }
  std::size_t pick() { return uniform(0, std::numeric_limits<std::uint32_t>::max()); }

  std::size_t random_size() {
    const std::size_t roll = uniform(0, 99);
    if (roll < 6) {
      return uniform(0, 48);
    }
    if (roll < 8) {  // right at the edge of what is free
      const std::size_t largest = model_.heap().stats().largest_free;
      return largest - std::min(largest, uniform(0, 24)) + uniform(0, 24);
    }
    if (roll < 9) {  // absurd requests that must fail without wrapping around
      switch (uniform(0, 3)) {
        case 0:
          return Tlsf::max_allocation + uniform(1, 64);
        case 1:
          return std::numeric_limits<std::size_t>::max() - uniform(0, 64);
        case 2:
          return std::numeric_limits<std::size_t>::max() / 2 + uniform(0, 64);
        default:
          return Tlsf::max_allocation - uniform(0, 64);
      }
    }
    // Log-uniform up to the largest pool: most requests small, some huge.
    const std::size_t largest =
        largest_request_ != 0 ? largest_request_ : model_.shadow().largest_pool_capacity();
    const double top = std::log2(static_cast<double>(largest + 2));
    const double exponent = std::uniform_real_distribution<double>(0.0, top)(random_);
    return static_cast<std::size_t>(std::exp2(exponent)) - 1;
  }

  std::size_t random_alignment() {
    if (chance(0.02)) {
      return std::size_t{1} << uniform(13, 16);
    }
    return std::size_t{1} << uniform(0, 12);
  }

  ModelResult step(bool change_pools) {
    if constexpr (pooled_heap<std::remove_reference_t<decltype(model_.heap())>>) {
      if (change_pools) {
        const std::size_t roll = uniform(0, 9999);
        if (roll < 6) {
          if (memory_.size() >= max_pools) {
            return {};  // as many pools as a run adds, removed ones included
          }
          return add_pool(uniform(Tlsf::min_pool_size, 96 * 1024), uniform(0, 2 * Tlsf::alignment),
                          uniform(0, 64 * 1024));
        }
        if (roll < 12) {
          return model_.extend_pool(pick(), chance(0.2) ? uniform(1, 64) : pick());
        }
        if (roll < 16) {
          const ModelResult removed = model_.remove_pool(pick());
          if (const void* start = model_.last_removed_pool()) {
            release_memory(start);  // so any later use of it is a use after free
          }
          return removed;
        }
        if (roll < 17) {
          return model_.reset();
        }
      }
    }
    const std::size_t live = model_.shadow().live_count();
    const double allocate_share = live == 0 ? 1.0 : fill_phase_ ? 0.62 : 0.38;
    if (chance(allocate_share)) {
      if (chance(0.2)) {
        return model_.allocate(random_size(), random_alignment());
      }
      if (chance(0.01)) {
        return model_.reallocate_null(random_size());
      }
      return model_.allocate(random_size());
    }
    const std::size_t which = uniform(0, live - 1);
    if (chance(0.3)) {
      const std::size_t old_size = model_.shadow().live(which).size;
      switch (uniform(0, 3)) {
        case 0:
          return model_.reallocate(which, old_size / 2);
        case 1:
          return model_.reallocate(which, old_size + uniform(0, 64));
        case 2:
          return model_.reallocate(which, old_size * 2 + uniform(0, 100));
        default:
          return model_.reallocate(which, random_size());
      }
    }
    if (chance(0.01)) {
      return model_.deallocate_null();
    }
    if (chance(0.004)) {
      return model_.misuse(static_cast<Misuse>(uniform(0, 4)), which, pick());
    }
    return model_.deallocate(which);
  }

  // A pool of `bytes` starting `misalignment` bytes past a page, with
  // `reserve` bytes after it for extensions.
  ModelResult add_pool(std::size_t bytes, std::size_t misalignment, std::size_t reserve) {
    auto memory = std::make_unique<PoolMemory>(misalignment + bytes + reserve);
    std::byte* start = memory->data() + misalignment;
    const ModelResult added = model_.add_pool(start, bytes, bytes + reserve);
    memory_.emplace_back(start, std::move(memory));
    return added;
  }

  void release_memory(const void* start) {
    for (auto& [pool_start, memory] : memory_) {
      if (pool_start == start) {
        memory.reset();
      }
    }
  }

  Model& model_;
  std::mt19937_64 random_;
  std::vector<std::pair<const void*, std::unique_ptr<PoolMemory>>> memory_;
  std::size_t largest_request_ = 0;
  bool fill_phase_ = false;
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

  static void run(std::uint64_t seed, const RunOptions& options) {
    SCOPED_TRACE(::testing::Message()
                 << "seed " << seed << "; RTALLOC_TEST_SEED=" << base_seed() << " reproduces it");
    using Model = HeapModel<Heap, TlsfPolicy<Heap>, max_live, max_pools>;
    auto heap = std::make_unique<Heap>();
    auto model = std::make_unique<Model>(*heap);
    RandomRun<Heap, Model> run(*model, seed);
    ASSERT_TRUE(run.run(options));
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

// ---- SmallObjects over Tlsf: objects in slabs, the rest as above ---------------

template <class Small>
void run_small(std::uint64_t seed, const RunOptions& options) {
  SCOPED_TRACE(::testing::Message()
               << "seed " << seed << "; RTALLOC_TEST_SEED=" << base_seed() << " reproduces it");
  using Policy = SmallObjectsPolicy<Small>;
  using Model = HeapModel<Small, Policy, max_live, max_pools>;
  auto heap = std::make_unique<Small>();
  auto model = std::make_unique<Model>(*heap, Policy(*heap));
  RandomRun<Tlsf<>, Model> run(*model, seed);
  ASSERT_TRUE(run.run(options));
}

class SmallObjectsRandomModelTest : public RandomModelTest<Tlsf<>> {};

TEST_F(SmallObjectsRandomModelTest, OneLargePool) {
  RunOptions options;
  options.operations = operations(60'000);
  options.pools = {{1024 * 1024, 0}};
  options.largest_request = 4096;  // mostly small requests, crossing the limit both ways
  run_small<SmallObjects<Tlsf<>>>(seed(), options);
}

TEST_F(SmallObjectsRandomModelTest, SmallSlabsAndManyPools) {
  RunOptions options;
  options.operations = operations(80'000);
  options.pools = {{64 * 1024, 5}, {40'000, 3}};
  options.change_pools = true;
  options.largest_request = 2048;
  run_small<SmallObjects<Tlsf<>, SmallConfig<128, 1024>>>(seed(), options);
}

TEST_F(SmallObjectsRandomModelTest, MicrocontrollerConfiguration) {
  RunOptions options;
  options.operations = operations(100'000);
  options.pools = {{48 * 1024, 0}};
  options.largest_request = 512;
  run_small<SmallObjects<TlsfSmall, SmallMicroConfig>>(seed(), options);
}

// ---- FlexTlsf: the same model, with a policy that knows the heap grows ----

// A pool source over one buffer, handing out slices in address order, each
// at least `step` bytes: with grow() the newest slice extends in place (one
// pool that FlexTlsf extends), without it every growth is a new pool.
template <bool Growable>
class SliceSource {
 public:
  SliceSource(std::byte* memory, std::size_t bytes, std::size_t step)
      : memory_(memory), bytes_(bytes), step_(step) {}

  Region acquire(std::size_t min_bytes) noexcept {
    const std::size_t bytes = slice_for(min_bytes);
    if (bytes == 0) return {};
    Region region{memory_ + top_, bytes};
    top_ += bytes;
    return region;
  }
  std::size_t grow(Region region, std::size_t min_bytes) noexcept requires Growable {
    if (static_cast<std::byte*>(region.memory) + region.bytes != memory_ + top_) return 0;
    const std::size_t bytes = slice_for(min_bytes);
    top_ += bytes;
    return bytes;
  }
  void release(Region) noexcept {}

  /// Whether a slice of at least `bytes` is left; whether any was given.
  bool could_give(std::size_t bytes) const noexcept { return round(bytes) <= bytes_ - top_; }
  bool gave_any() const noexcept { return top_ != 0; }

 private:
  static constexpr std::size_t granule = 64;
  static std::size_t round(std::size_t bytes) noexcept {
    return bytes > std::numeric_limits<std::size_t>::max() - granule
               ? std::numeric_limits<std::size_t>::max()
               : (bytes + granule - 1) / granule * granule;
  }
  // A whole step if it is left, else just enough, else 0.
  std::size_t slice_for(std::size_t min_bytes) const noexcept {
    const std::size_t left = bytes_ - top_;
    const std::size_t wanted = round(std::max(min_bytes, step_));
    if (wanted <= left) return wanted;
    return round(min_bytes) <= left ? round(min_bytes) : 0;
  }

  std::byte* memory_;
  std::size_t bytes_;
  std::size_t step_;
  std::size_t top_ = 0;
};

// FlexTlsf may fail only when its source could not give the pool the
// request needs: a new region holds FlexTlsf's two-word record before the
// pool, an extension of the newest region the pool bytes alone.
template <class Source, bool Growable>
struct SourceGrowth {
  static constexpr bool grows = true;
  const Source* source = nullptr;
  bool could_grow(std::size_t pool_bytes) const noexcept {
    return source->could_give(pool_bytes + 2 * sizeof(void*)) ||
           (Growable && source->gave_any() && source->could_give(pool_bytes));
  }
};

// FlexTlsf as the model's heap: its walk, check and stats are its inner
// heap's (stats() adds what it holds from the source).
template <class Flex>
class FlexUnderTest {
 public:
  explicit FlexUnderTest(Flex& flex) : flex_(flex) {}
  void* allocate(std::size_t size) noexcept { return flex_.allocate(size); }
  void* allocate(std::size_t size, std::size_t align) noexcept {
    return flex_.allocate(size, align);
  }
  void* reallocate(void* p, std::size_t size) noexcept { return flex_.reallocate(p, size); }
  void deallocate(void* p) noexcept { flex_.deallocate(p); }
  std::size_t usable_size(const void* p) const noexcept { return flex_.usable_size(p); }
  bool owns(const void* p) const noexcept { return flex_.owns(p); }
  TlsfStats stats() const noexcept { return flex_.stats().heap; }
  bool check() const noexcept { return flex_.heap().check(); }
  template <class Visitor>
  void walk(Visitor&& visitor) const {
    flex_.heap().walk(std::forward<Visitor>(visitor));
  }

 private:
  Flex& flex_;
};

// InnerHeap is FlexTlsf's heap: Tlsf<>, or the default with slabs.
template <bool Growable, class InnerHeap>
void run_flex(std::uint64_t seed, std::size_t operation_count) {
  SCOPED_TRACE(::testing::Message()
               << "seed " << seed << "; RTALLOC_TEST_SEED=" << base_seed() << " reproduces it");
  using Source = SliceSource<Growable>;
  using Flex = FlexTlsf<Source, InnerHeap>;
  using Heap = FlexUnderTest<Flex>;
  using Growth = SourceGrowth<Source, Growable>;
  constexpr bool slabs = !std::is_same_v<InnerHeap, Tlsf<>>;
  using Policy =
      std::conditional_t<slabs, SmallObjectsPolicy<InnerHeap, Growth>, TlsfPolicy<Tlsf<>, Growth>>;
  using Model = HeapModel<Heap, Policy, max_live, max_pools>;
  constexpr std::size_t bytes = 1 << 20;
  PoolMemory memory(bytes);
  auto flex = std::make_unique<Flex>(Source(memory.data(), bytes, 32 * 1024));
  Heap heap(*flex);
  const Growth growth{&flex->source()};
  auto model = [&] {
    if constexpr (slabs) {
      return std::make_unique<Model>(heap, Policy(flex->heap(), growth));
    } else {
      return std::make_unique<Model>(heap, Policy(growth));
    }
  }();
  model->add_known_memory(memory.data(), bytes);
  RunOptions options;
  options.operations = operation_count;
  options.largest_request = 64 * 1024;
  RandomRun<Tlsf<>, Model> run(*model, seed);
  ASSERT_TRUE(run.run(options));
  if (Growable) {
    EXPECT_EQ(flex->stats().heap.pool_count, 1U) << "the source grows: one pool, extended";
  } else {
    EXPECT_GT(flex->stats().heap.pool_count, 1U) << "the source cannot grow: a pool per growth";
  }
}

class FlexTlsfRandomModelTest : public RandomModelTest<Tlsf<>> {};

// Every growth a new pool, until the source runs out.
TEST_F(FlexTlsfRandomModelTest, SourceOfSlices) {
  run_flex<false, Tlsf<>>(seed(), operations(30'000));
}

// One pool, extended in place at every growth.
TEST_F(FlexTlsfRandomModelTest, SourceThatGrows) {
  run_flex<true, Tlsf<>>(seed(), operations(30'000));
}

// The same with FlexTlsf's default heap: small requests from slabs, in the
// first region (the source cannot say where its regions lie).
TEST_F(FlexTlsfRandomModelTest, SlabsWithASourceOfSlices) {
  run_flex<false, SmallObjects<Tlsf<>>>(seed(), operations(30'000));
}
TEST_F(FlexTlsfRandomModelTest, SlabsWithASourceThatGrows) {
  run_flex<true, SmallObjects<Tlsf<>>>(seed(), operations(30'000));
}

}  // namespace
}  // namespace rtalloc::test
