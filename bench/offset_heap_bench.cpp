// SPDX-License-Identifier: MIT OR Apache-2.0
// offset_heap_bench: rtalloc::OffsetHeap beside rtalloc::Tlsf on the same patterns, and the curve
// of OffsetHeap's time per operation as the number of live allocations grows.
//
//   AllocateFree  64 Ki allocations stay live in a 1 GiB range; each iteration allocates one more
//                 and frees it again (sizes random in [256 B, 16 KiB), alignment 1 or 256)
//   Ring          64 Ki allocations live in a 1 GiB range; each iteration frees the oldest and
//                 allocates a new one (same sizes and alignments). The free space soon becomes one
//                 free range that moves through the offsets as a circular buffer does.
//   Replace       as Ring, but each iteration frees a random live allocation: many free ranges of
//                 every size, the lists of the size classes long
//   Curve         OffsetHeap alone, Replace with 1 Ki to 1 Mi live allocations in a range of 16 KiB
//                 per allocation (16 GiB at 1 Mi): the mean and the slowest batch's time per free +
//                 allocate (see Curve below)
//
// Times are per iteration: one allocate and one free. Tlsf runs over 1 GiB of real memory, made
// resident before the run (MAP_POPULATE), whose block headers it reads and writes; OffsetHeap over
// an offset range alone, its records in 2 x live + 64 records of memory.
// Build the release preset and run build/release/bench/offset_heap_bench (Google Benchmark flags
// apply, e.g. --benchmark_filter=Curve).
#include <benchmark/benchmark.h>
#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <random>
#include <rtalloc/offset_heap.hpp>
#include <rtalloc/tlsf.hpp>
#include <vector>

namespace {

constexpr std::uint64_t GiB = std::uint64_t{1} << 30;
constexpr std::size_t size_table_length = 8192;

// Same sizes for every heap and run: a fixed seed, a table cycled through.
std::vector<std::uint64_t> random_sizes() {
  std::mt19937_64 generator(20240601);
  std::uniform_int_distribution<std::uint64_t> distribution(256, 16 * 1024 - 1);
  std::vector<std::uint64_t> sizes(size_table_length);
  for (std::uint64_t& size : sizes) size = distribution(generator);
  return sizes;
}

// Which live allocation Replace frees: random 32-bit numbers, scaled to the number of live
// allocations by a multiply (a division would cost more than the heap).
constexpr std::size_t pick_table_length = 65536;

std::vector<std::uint32_t> random_picks() {
  std::mt19937 generator(7);
  std::vector<std::uint32_t> picks(pick_table_length);
  for (std::uint32_t& pick : picks) pick = static_cast<std::uint32_t>(generator());
  return picks;
}

std::size_t scaled(std::uint32_t pick, std::size_t count) {
  return static_cast<std::size_t>((std::uint64_t{pick} * count) >> 32);
}

class OffsetAllocator {
 public:
  using Heap = rtalloc::OffsetHeap<rtalloc::caller_records>;
  using Handle = rtalloc::OffsetHandle;

  OffsetAllocator(std::uint64_t range_bytes, std::size_t live)
      : memory_(std::make_unique<std::byte[]>(Heap::bytes_for_records(2 * live + 64))),
        heap_(memory_.get(), Heap::bytes_for_records(2 * live + 64)) {
    if (!heap_.add_range(0, range_bytes)) std::abort();
  }
  Handle allocate(std::uint64_t size, std::uint64_t align) noexcept {
    const rtalloc::OffsetAllocation a = heap_.allocate(size, align);
    if (!a) std::abort();  // the patterns never run out: a refusal would be a bug
    return a.handle;
  }
  void free(Handle handle) noexcept { heap_.free(handle); }
  rtalloc::OffsetHeapStats stats() const noexcept { return heap_.stats(); }

 private:
  std::unique_ptr<std::byte[]> memory_;
  Heap heap_;
};

class TlsfAllocator {
 public:
  using Handle = void*;

  TlsfAllocator(std::uint64_t range_bytes, std::size_t)
      : bytes_(static_cast<std::size_t>(range_bytes)),
        memory_(mmap(nullptr, bytes_, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0)),
        heap_(std::make_unique<rtalloc::Tlsf<>>()) {
    if (memory_ == MAP_FAILED || heap_->add_pool(memory_, bytes_) == 0) std::abort();
  }
  ~TlsfAllocator() { munmap(memory_, bytes_); }
  TlsfAllocator(const TlsfAllocator&) = delete;
  TlsfAllocator& operator=(const TlsfAllocator&) = delete;

  Handle allocate(std::uint64_t size, std::uint64_t align) noexcept {
    void* p = align <= 1 ? heap_->allocate(static_cast<std::size_t>(size))
                         : heap_->allocate(static_cast<std::size_t>(size),
                                           static_cast<std::size_t>(align));
    if (p == nullptr) std::abort();
    return p;
  }
  void free(Handle p) noexcept { heap_->deallocate(p); }

 private:
  std::size_t bytes_;
  void* memory_;
  std::unique_ptr<rtalloc::Tlsf<>> heap_;
};

constexpr std::size_t live_allocations = 64 * 1024;

template <class Allocator>
void AllocateFree(benchmark::State& state) {
  const std::vector<std::uint64_t> sizes = random_sizes();
  const auto align = static_cast<std::uint64_t>(state.range(0));
  Allocator allocator(GiB, live_allocations + 1);
  std::vector<typename Allocator::Handle> live(live_allocations);
  std::size_t next = 0;
  for (auto& handle : live) handle = allocator.allocate(sizes[next++ % size_table_length], align);
  for (auto _ : state) {
    const auto handle = allocator.allocate(sizes[next++ % size_table_length], align);
    benchmark::DoNotOptimize(handle);
    allocator.free(handle);
  }
  for (const auto& handle : live) allocator.free(handle);
  state.SetItemsProcessed(state.iterations());
}

template <class Allocator>
void Ring(benchmark::State& state) {
  const std::vector<std::uint64_t> sizes = random_sizes();
  const auto align = static_cast<std::uint64_t>(state.range(0));
  Allocator allocator(GiB, live_allocations);
  std::vector<typename Allocator::Handle> ring(live_allocations);
  std::size_t next = 0;
  for (auto& handle : ring) handle = allocator.allocate(sizes[next++ % size_table_length], align);
  std::size_t oldest = 0;
  for (auto _ : state) {
    allocator.free(ring[oldest]);
    const auto handle = allocator.allocate(sizes[next++ % size_table_length], align);
    benchmark::DoNotOptimize(handle);
    ring[oldest] = handle;
    if (++oldest == live_allocations) oldest = 0;
  }
  for (const auto& handle : ring) allocator.free(handle);
  state.SetItemsProcessed(state.iterations());
}

template <class Allocator>
void Replace(benchmark::State& state) {
  const std::vector<std::uint64_t> sizes = random_sizes();
  const std::vector<std::uint32_t> picks = random_picks();
  const auto align = static_cast<std::uint64_t>(state.range(0));
  Allocator allocator(GiB, live_allocations);
  std::vector<typename Allocator::Handle> live(live_allocations);
  std::size_t next = 0;
  for (auto& handle : live) handle = allocator.allocate(sizes[next++ % size_table_length], align);
  for (std::size_t i = 0; i < 2 * live_allocations; ++i) {  // to the steady state
    auto& handle = live[scaled(picks[i % pick_table_length], live_allocations)];
    allocator.free(handle);
    handle = allocator.allocate(sizes[next++ % size_table_length], align);
  }
  std::size_t step = 0;
  for (auto _ : state) {
    auto& handle = live[scaled(picks[step++ % pick_table_length], live_allocations)];
    allocator.free(handle);
    handle = allocator.allocate(sizes[next++ % size_table_length], align);
    benchmark::DoNotOptimize(static_cast<const typename Allocator::Handle&>(handle));
  }
  for (const auto& handle : live) allocator.free(handle);
  state.SetItemsProcessed(state.iterations());
}

// Replace on an OffsetHeap with `live` allocations, for Curve.
class ReplaceRun {
 public:
  ReplaceRun(std::size_t live, const std::vector<std::uint64_t>& sizes,
             const std::vector<std::uint32_t>& picks)
      : allocator_(live * 16 * 1024, live), handles_(live), sizes_(sizes), picks_(picks) {
    for (auto& handle : handles_) handle = allocator_.allocate(next_size(), 1);
  }
  ~ReplaceRun() {
    for (const auto& handle : handles_) allocator_.free(handle);
  }
  ReplaceRun(const ReplaceRun&) = delete;
  ReplaceRun& operator=(const ReplaceRun&) = delete;

  void replace() {
    auto& handle = handles_[scaled(picks_[step_++ % pick_table_length], handles_.size())];
    allocator_.free(handle);
    handle = allocator_.allocate(next_size(), 1);
    benchmark::DoNotOptimize(static_cast<const rtalloc::OffsetHandle&>(handle));
  }
  std::uint64_t free_ranges() const { return allocator_.stats().free_blocks; }

 private:
  std::uint64_t next_size() { return sizes_[next_++ % size_table_length]; }

  OffsetAllocator allocator_;
  std::vector<rtalloc::OffsetHandle> handles_;
  const std::vector<std::uint64_t>& sizes_;
  const std::vector<std::uint32_t>& picks_;
  std::size_t next_ = 0;
  std::size_t step_ = 0;
};

// One timed batch of Curve. Out of line so that callgrind can count its instructions alone:
//   valgrind --tool=callgrind --toggle-collect='*timed_batch*' offset_heap_bench
//       --benchmark_filter=Curve/live:1024/
// counts the 5 x 16,384 batches of 16 frees + allocates (and their clock reads).
constexpr int batch = 16;

[[gnu::noinline]] double timed_batch(ReplaceRun& run) {
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < batch; ++i) run.replace();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Replace with `live` allocations, brought to the steady state (2 x live steps untimed), then
// timed in batches of 16 frees + allocates, all of it replayed 5 times from a fresh heap (the same
// sequence each time). A batch's time is its fastest over the replays, so that an interrupt or a
// preemption that hit one replay does not count while a batch slow by the heap's doing is slow in
// all of them; max_ns is the slowest batch so taken, per free + allocate, and mean_ns the fastest
// replay's mean.
void Curve(benchmark::State& state) {
  constexpr int replays = 5;
  constexpr std::size_t batches = 16384;
  const std::vector<std::uint64_t> sizes = random_sizes();
  const std::vector<std::uint32_t> picks = random_picks();
  const auto live = static_cast<std::size_t>(state.range(0));
  std::vector<double> fastest(batches, 1e30);
  double best_total = 1e30;
  std::uint64_t free_ranges = 0;
  for (auto _ : state) {
    for (int replay = 0; replay < replays; ++replay) {
      ReplaceRun run(live, sizes, picks);
      for (std::size_t i = 0; i < 2 * live; ++i) run.replace();
      double total = 0;
      for (std::size_t b = 0; b < batches; ++b) {
        const double seconds = timed_batch(run);
        fastest[b] = std::min(fastest[b], seconds);
        total += seconds;
      }
      best_total = std::min(best_total, total);
      free_ranges = run.free_ranges();
    }
    state.SetIterationTime(best_total);
  }
  const double pairs = static_cast<double>(batches) * batch;
  state.counters["mean_ns"] = best_total * 1e9 / pairs;
  state.counters["max_ns"] = *std::max_element(fastest.begin(), fastest.end()) * 1e9 / batch;
  state.counters["free_ranges"] = static_cast<double>(free_ranges);
}

void alignments(benchmark::internal::Benchmark* b) {
  b->ArgNames({"align"});
  b->Arg(1)->Arg(256);
}

BENCHMARK_TEMPLATE(AllocateFree, OffsetAllocator)->Apply(alignments);
BENCHMARK_TEMPLATE(AllocateFree, TlsfAllocator)->Apply(alignments);
BENCHMARK_TEMPLATE(Ring, OffsetAllocator)->Apply(alignments);
BENCHMARK_TEMPLATE(Ring, TlsfAllocator)->Apply(alignments);
BENCHMARK_TEMPLATE(Replace, OffsetAllocator)->Apply(alignments);
BENCHMARK_TEMPLATE(Replace, TlsfAllocator)->Apply(alignments);
BENCHMARK(Curve)
    ->ArgName("live")
    ->RangeMultiplier(4)
    ->Range(1024, 1024 * 1024)
    ->Iterations(1)
    ->UseManualTime();

}  // namespace

BENCHMARK_MAIN();
