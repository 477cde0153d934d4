// SPDX-License-Identifier: MIT OR Apache-2.0
// tlsf_bench: microbenchmarks of rtalloc::Tlsf next to the process's malloc, on the same request
// sizes in the same process.
//
//   AllocateFree  one allocate and one free per iteration, sizes random in [min, max], at an
//                 alignment (0: the default)
//   Ring          `live` blocks stay allocated; each iteration frees the oldest and allocates a new
//                 one, sizes random in [min, max], at an alignment (the pattern rlsf publishes:
//                 sizes 1-8 ... 128-255 bytes, alignments 4-32)
//   Worst cases of TLSF, each timed per operation over batches of 1,024:
//   WorstSplitHugeBlock          a small allocation served from one huge free block (it is split)
//   WorstFreeBetweenFreeBlocks   a free whose block has free neighbours on both sides (both merge)
//
// "Malloc" is whatever malloc the process has: glibc's, or the library LD_PRELOAD loads. The
// benchmark context line "malloc" names the library. bench/compare_allocators.sh runs this program
// once per allocator (glibc, jemalloc, mimalloc, tcmalloc, rtalloc's malloc) and prints one table.
//
// Build the release preset and run build/release/bench/tlsf_bench (Google Benchmark flags apply,
// e.g. --benchmark_filter=Ring).
#include <benchmark/benchmark.h>
#include <dlfcn.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "replay/heap_configs.hpp"

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
        heap_(std::make_unique<rtalloc::replay::DefaultHeap>()) {
    if (heap_->add_pool(memory_.get(), pool_bytes) == 0) std::abort();
  }
  void* allocate(std::size_t size, std::size_t align) noexcept {
    return align == 0 ? heap_->allocate(size) : heap_->allocate(size, align);
  }
  void deallocate(void* p) noexcept { heap_->deallocate(p); }

 private:
  static constexpr std::size_t pool_bytes = std::size_t{64} << 20;
  std::unique_ptr<std::byte[]> memory_;
  std::unique_ptr<rtalloc::replay::DefaultHeap> heap_;
};

// An alignment malloc already gives is met by malloc, as a C program would do it.
class MallocAllocator {
 public:
  void* allocate(std::size_t size, std::size_t align) noexcept {
    return align <= alignof(std::max_align_t) ? std::malloc(size) : std::aligned_alloc(align, size);
  }
  void deallocate(void* p) noexcept { std::free(p); }
};

template <class Allocator>
void AllocateFree(benchmark::State& state) {
  const std::vector<std::size_t> sizes = random_sizes(state.range(0), state.range(1));
  const auto align = static_cast<std::size_t>(state.range(2));
  Allocator allocator;
  std::size_t next = 0;
  for (auto _ : state) {
    void* const p = allocator.allocate(sizes[next++ % size_table_length], align);
    benchmark::DoNotOptimize(p);
    allocator.deallocate(p);
  }
  state.SetItemsProcessed(state.iterations());
}

template <class Allocator>
void Ring(benchmark::State& state) {
  const std::vector<std::size_t> sizes = random_sizes(state.range(0), state.range(1));
  const auto live = static_cast<std::size_t>(state.range(2));
  const auto align = static_cast<std::size_t>(state.range(3));
  Allocator allocator;
  std::vector<void*> ring(live);
  std::size_t next = 0;
  for (void*& p : ring) p = allocator.allocate(sizes[next++ % size_table_length], align);
  std::size_t oldest = 0;
  for (auto _ : state) {
    allocator.deallocate(ring[oldest]);
    void* const p = allocator.allocate(sizes[next++ % size_table_length], align);
    benchmark::DoNotOptimize(p);
    ring[oldest] = p;
    if (++oldest == live) oldest = 0;
  }
  for (void* p : ring) allocator.deallocate(p);
  state.SetItemsProcessed(state.iterations());
}

// --- TLSF's worst cases
// ---------------------------------------------------------------------------

constexpr std::size_t batch = 1024;

// Every allocation of the batch splits the one huge free block that fills the rest of the pool.
void WorstSplitHugeBlock(benchmark::State& state) {
  TlsfAllocator heap;
  std::vector<void*> blocks(batch);
  for (auto _ : state) {
    for (void*& p : blocks) {
      p = heap.allocate(32, 0);
      benchmark::DoNotOptimize(static_cast<void* const&>(p));
    }
    state.PauseTiming();
    for (void* p : blocks) heap.deallocate(p);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch));
}

// Triples a, b, c of adjacent blocks, each triple followed by a guard block that stays allocated;
// a and c are freed first, so freeing b merges it with both neighbours.
void WorstFreeBetweenFreeBlocks(benchmark::State& state) {
  TlsfAllocator heap;
  std::vector<void*> middles(batch);
  std::vector<void*> guards(batch);
  for (auto _ : state) {
    state.PauseTiming();
    for (std::size_t i = 0; i < batch; ++i) {
      void* a = heap.allocate(64, 0);
      middles[i] = heap.allocate(64, 0);
      void* c = heap.allocate(64, 0);
      guards[i] = heap.allocate(64, 0);
      heap.deallocate(a);
      heap.deallocate(c);
    }
    state.ResumeTiming();
    for (void* b : middles) heap.deallocate(b);
    state.PauseTiming();
    for (void* g : guards) heap.deallocate(g);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch));
}

// --- Arguments
// ------------------------------------------------------------------------------------

void allocate_free_ranges(benchmark::internal::Benchmark* b) {
  b->ArgNames({"min", "max", "align"});
  for (const auto& [low, high] : {std::pair{16, 64}, {64, 512}, {512, 4096}, {4096, 65536}}) {
    for (const int align : {0, 64}) b->Args({low, high, align});
  }
}

void ring_ranges(benchmark::internal::Benchmark* b) {
  b->ArgNames({"min", "max", "live", "align"});
  for (const auto& [low, high] : {std::pair{1, 8}, {16, 31}, {32, 63}, {64, 127}, {128, 255}}) {
    for (const int align : {4, 8, 16, 32}) b->Args({low, high, 1024, align});
  }
}

BENCHMARK_TEMPLATE(AllocateFree, TlsfAllocator)->Apply(allocate_free_ranges);
BENCHMARK_TEMPLATE(AllocateFree, MallocAllocator)->Apply(allocate_free_ranges);
BENCHMARK_TEMPLATE(Ring, TlsfAllocator)->Apply(ring_ranges);
BENCHMARK_TEMPLATE(Ring, MallocAllocator)->Apply(ring_ranges);
BENCHMARK(WorstSplitHugeBlock);
BENCHMARK(WorstFreeBetweenFreeBlocks);

// The library the process's malloc comes from, for the benchmark context.
std::string malloc_source() {
  Dl_info info{};
  void* const address = dlsym(RTLD_DEFAULT, "malloc");
  if (address == nullptr || dladdr(address, &info) == 0 || info.dli_fname == nullptr) return "?";
  return info.dli_fname;
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::AddCustomContext("malloc", malloc_source());
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
