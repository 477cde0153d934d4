// tlsf_bench: microbenchmarks of rtalloc::Tlsf next to the C library's malloc and free, run on the
// same request sizes in the same process.
//
//   AllocateFree  one allocate and one free per iteration, sizes random in [min, max]
//   Ring          `live` blocks stay allocated; each iteration frees the oldest and allocates a
//                 new one, sizes random in [min, max]
//
// Build the release preset and run build/release/bench/tlsf_bench (Google Benchmark flags apply,
// e.g. --benchmark_filter=Ring).
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <random>
#include <utility>
#include <vector>

#include "heap_configs.hpp"

namespace {

// Results are passed to benchmark::DoNotOptimize as const: with GCC 12, the non-const overload's
// "+m,r" constraint on an element of the ring let the compiler drop the store just before it.

// Same sizes for every allocator and every run: a fixed seed, a table cycled through.
constexpr std::size_t size_table_length = 8192;

std::vector<std::size_t> random_sizes(std::int64_t low, std::int64_t high) {
  std::mt19937_64 generator(20240601);
  std::uniform_int_distribution<std::size_t> distribution(static_cast<std::size_t>(low),
                                                          static_cast<std::size_t>(high));
  std::vector<std::size_t> sizes(size_table_length);
  for (std::size_t& size : sizes) size = distribution(generator);
  return sizes;
}

class TlsfAllocator {
 public:
  TlsfAllocator()
      : memory_(std::make_unique_for_overwrite<std::byte[]>(pool_bytes)),
        heap_(std::make_unique<rtalloc::bench::DefaultHeap>()) {
    if (heap_->add_pool(memory_.get(), pool_bytes) == 0) std::abort();
  }
  void* allocate(std::size_t size) noexcept { return heap_->allocate(size); }
  void deallocate(void* p) noexcept { heap_->deallocate(p); }

 private:
  static constexpr std::size_t pool_bytes = std::size_t{64} << 20;
  std::unique_ptr<std::byte[]> memory_;
  std::unique_ptr<rtalloc::bench::DefaultHeap> heap_;
};

class MallocAllocator {
 public:
  void* allocate(std::size_t size) noexcept { return std::malloc(size); }
  void deallocate(void* p) noexcept { std::free(p); }
};

template <class Allocator>
void AllocateFree(benchmark::State& state) {
  const std::vector<std::size_t> sizes = random_sizes(state.range(0), state.range(1));
  Allocator allocator;
  std::size_t next = 0;
  for (auto _ : state) {
    void* const p = allocator.allocate(sizes[next++ % size_table_length]);
    benchmark::DoNotOptimize(p);
    allocator.deallocate(p);
  }
  state.SetItemsProcessed(state.iterations());
}

template <class Allocator>
void Ring(benchmark::State& state) {
  const std::vector<std::size_t> sizes = random_sizes(state.range(0), state.range(1));
  const auto live = static_cast<std::size_t>(state.range(2));
  Allocator allocator;
  std::vector<void*> ring(live);
  std::size_t next = 0;
  for (void*& p : ring) p = allocator.allocate(sizes[next++ % size_table_length]);
  std::size_t oldest = 0;
  for (auto _ : state) {
    allocator.deallocate(ring[oldest]);
    void* const p = allocator.allocate(sizes[next++ % size_table_length]);
    benchmark::DoNotOptimize(p);
    ring[oldest] = p;
    if (++oldest == live) oldest = 0;
  }
  for (void* p : ring) allocator.deallocate(p);
  state.SetItemsProcessed(state.iterations());
}

void allocate_free_ranges(benchmark::internal::Benchmark* b) {
  b->ArgNames({"min", "max"});
  for (const auto& [low, high] : {std::pair{16, 64}, {64, 512}, {512, 4096}, {4096, 65536}}) {
    b->Args({low, high});
  }
}

void ring_ranges(benchmark::internal::Benchmark* b) {
  b->ArgNames({"min", "max", "live"});
  for (const auto& [low, high] : {std::pair{1, 8}, {16, 31}, {32, 63}, {64, 127}, {128, 255}}) {
    b->Args({low, high, 1024});
  }
}

BENCHMARK_TEMPLATE(AllocateFree, TlsfAllocator)->Apply(allocate_free_ranges);
BENCHMARK_TEMPLATE(AllocateFree, MallocAllocator)->Apply(allocate_free_ranges);
BENCHMARK_TEMPLATE(Ring, TlsfAllocator)->Apply(ring_ranges);
BENCHMARK_TEMPLATE(Ring, MallocAllocator)->Apply(ring_ranges);

}  // namespace

BENCHMARK_MAIN();
