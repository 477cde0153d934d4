// SPDX-License-Identifier: MIT OR Apache-2.0
// pools_bench: the fixed-size pool rtalloc::SlabPool<T> beside the TLSF heap and the C library's
// malloc, for objects of one size (64 and 256 bytes), in the same process.
//
//   Pair    one allocate and one free per iteration, one thread
//   Window  each thread keeps 64 objects live; each iteration frees its oldest object and
//           allocates a new one. Run with 1, 2 and 4 threads, all sharing ONE allocator. The times
//           are wall-clock (UseRealTime) divided by the pairs of all threads together: the inverse
//           of the total throughput, so an allocator that scales perfectly halves its time from 1
//           to 2 threads on 2 free cores.
//
// The allocators, each giving storage for one T:
//
//   Slab<T>             rtalloc::SlabPool<T>: lock-free, shared between threads as it is
//   Tlsf<T>             rtalloc::Tlsf<>, allocate(sizeof(T)): not thread-safe, so one thread only
//   TlsfMutex<T>        the same heap with every call under a std::mutex (LOCKED)
//   TlsfPmrMutex<T>     rtalloc::TlsfResource over a Synchronized heap: a std::mutex and a
//                       virtual call per operation (LOCKED)
//   Malloc<T>           std::malloc and std::free, thread-safe as they are
//
// The locked variants also carry the label "locked: std::mutex" in the output.
//
// Build the release preset and run build/release/bench/pools_bench (Google Benchmark flags apply,
// e.g. --benchmark_filter=Window --benchmark_min_time=0.2).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <rtalloc/hosted/pmr.hpp>
#include <rtalloc/pools/slab_pool.hpp>
#include <rtalloc/sync/synchronized.hpp>
#include <rtalloc/tlsf.hpp>

namespace {

// Results are passed to benchmark::DoNotOptimize as const values, for the reason tlsf_bench.cpp
// gives: with GCC 12 the non-const overload can let the compiler drop a store next to it.

// Objects of 64 and 256 bytes with a word's alignment, like a struct of integers and pointers.
struct alignas(8) Object64 {
  std::byte bytes[64];
};
struct alignas(8) Object256 {
  std::byte bytes[256];
};

// Objects each thread keeps live in Window.
constexpr std::size_t window_size = 64;
// Room for every window at the highest thread count, with a wide margin.
constexpr std::size_t max_live_objects = 1024;

template <class T>
class Slab {
 public:
  using value_type = T;
  static constexpr const char* label = "";

  Slab()
      : memory_(std::make_unique_for_overwrite<std::byte[]>(memory_bytes)),
        pool_(memory_.get(), memory_bytes) {
    if (pool_.capacity() < max_live_objects) std::abort();
  }
  T* allocate() noexcept { return pool_.allocate(); }
  void deallocate(T* p) noexcept { pool_.deallocate(p); }

 private:
  static constexpr std::size_t memory_bytes =
      rtalloc::SlabPool<T>::control_bytes +
      max_live_objects * (sizeof(std::uint32_t) + rtalloc::SlabPool<T>::slot_size) + alignof(T) +
      alignof(std::max_align_t);
  std::unique_ptr<std::byte[]> memory_;
  rtalloc::SlabPool<T> pool_;
};

// A default TLSF heap over memory of its own, for the three TLSF variants.
class HeapWithPool {
 public:
  HeapWithPool()
      : memory_(std::make_unique_for_overwrite<std::byte[]>(pool_bytes)),
        heap_(std::make_unique<rtalloc::Tlsf<>>()) {
    if (heap_->add_pool(memory_.get(), pool_bytes) == 0) std::abort();
  }
  rtalloc::Tlsf<>& heap() noexcept { return *heap_; }

 private:
  static constexpr std::size_t pool_bytes = std::size_t{4} << 20;
  std::unique_ptr<std::byte[]> memory_;
  std::unique_ptr<rtalloc::Tlsf<>> heap_;
};

template <class T>
class Tlsf {
 public:
  using value_type = T;
  static constexpr const char* label = "";

  T* allocate() noexcept { return static_cast<T*>(heap_.heap().allocate(sizeof(T))); }
  void deallocate(T* p) noexcept { heap_.heap().deallocate(p); }

 private:
  HeapWithPool heap_;
};

template <class T>
class TlsfMutex {
 public:
  using value_type = T;
  static constexpr const char* label = "locked: std::mutex";

  T* allocate() noexcept {
    const std::lock_guard<std::mutex> guard(mutex_);
    return static_cast<T*>(heap_.heap().allocate(sizeof(T)));
  }
  void deallocate(T* p) noexcept {
    const std::lock_guard<std::mutex> guard(mutex_);
    heap_.heap().deallocate(p);
  }

 private:
  HeapWithPool heap_;
  std::mutex mutex_;
};

template <class T>
class TlsfPmrMutex {
 public:
  using value_type = T;
  static constexpr const char* label = "locked: std::mutex";

  // The pool holds every window with room to spare, so the resource never throws.
  T* allocate() { return static_cast<T*>(resource_.allocate(sizeof(T), alignof(T))); }
  void deallocate(T* p) { resource_.deallocate(p, sizeof(T), alignof(T)); }

 private:
  HeapWithPool heap_;
  rtalloc::Synchronized<rtalloc::Tlsf<>&, std::mutex> shared_{heap_.heap()};
  rtalloc::TlsfResource<rtalloc::Synchronized<rtalloc::Tlsf<>&, std::mutex>> resource_{shared_};
};

template <class T>
class Malloc {
 public:
  using value_type = T;
  static constexpr const char* label = "";

  T* allocate() noexcept { return static_cast<T*>(std::malloc(sizeof(T))); }
  void deallocate(T* p) noexcept { std::free(p); }
};

// One allocator of each kind for the whole run, shared by all threads of a benchmark. Every
// benchmark frees what it allocated, so each starts from an empty allocator.
template <class Allocator>
Allocator& shared_allocator() {
  static Allocator allocator;
  return allocator;
}

template <class Allocator>
void Pair(benchmark::State& state) {
  using T = typename Allocator::value_type;
  Allocator& allocator = shared_allocator<Allocator>();
  state.SetLabel(Allocator::label);
  for (auto _ : state) {
    T* const p = allocator.allocate();
    benchmark::DoNotOptimize(p);
    allocator.deallocate(p);
  }
  state.SetItemsProcessed(state.iterations());
}

template <class Allocator>
void Window(benchmark::State& state) {
  using T = typename Allocator::value_type;
  Allocator& allocator = shared_allocator<Allocator>();
  state.SetLabel(Allocator::label);
  std::array<T*, window_size> live{};
  for (T*& p : live) p = allocator.allocate();
  std::size_t oldest = 0;
  for (auto _ : state) {
    allocator.deallocate(live[oldest]);
    T* const p = allocator.allocate();
    benchmark::DoNotOptimize(p);
    live[oldest] = p;
    if (++oldest == window_size) oldest = 0;
  }
  const bool every_allocation_succeeded =
      std::none_of(live.begin(), live.end(), [](const T* p) { return p == nullptr; });
  for (T* p : live) allocator.deallocate(p);
  if (!every_allocation_succeeded) state.SkipWithError("an allocation returned nullptr");
  state.SetItemsProcessed(state.iterations());
}

// Window on one thread, and on 2 and 4 threads sharing the allocator.
void shared_threads(benchmark::internal::Benchmark* b) {
  b->Threads(1)->Threads(2)->Threads(4)->UseRealTime();
}

BENCHMARK_TEMPLATE(Pair, Slab<Object64>);
BENCHMARK_TEMPLATE(Pair, Tlsf<Object64>);
BENCHMARK_TEMPLATE(Pair, TlsfMutex<Object64>);
BENCHMARK_TEMPLATE(Pair, Malloc<Object64>);
BENCHMARK_TEMPLATE(Pair, Slab<Object256>);
BENCHMARK_TEMPLATE(Pair, Tlsf<Object256>);
BENCHMARK_TEMPLATE(Pair, TlsfMutex<Object256>);
BENCHMARK_TEMPLATE(Pair, Malloc<Object256>);

BENCHMARK_TEMPLATE(Window, Slab<Object64>)->Apply(shared_threads);
BENCHMARK_TEMPLATE(Window, Tlsf<Object64>)->Threads(1)->UseRealTime();
BENCHMARK_TEMPLATE(Window, TlsfMutex<Object64>)->Apply(shared_threads);
BENCHMARK_TEMPLATE(Window, TlsfPmrMutex<Object64>)->Apply(shared_threads);
BENCHMARK_TEMPLATE(Window, Malloc<Object64>)->Apply(shared_threads);
BENCHMARK_TEMPLATE(Window, Slab<Object256>)->Apply(shared_threads);
BENCHMARK_TEMPLATE(Window, Tlsf<Object256>)->Threads(1)->UseRealTime();
BENCHMARK_TEMPLATE(Window, TlsfMutex<Object256>)->Apply(shared_threads);
BENCHMARK_TEMPLATE(Window, TlsfPmrMutex<Object256>)->Apply(shared_threads);
BENCHMARK_TEMPLATE(Window, Malloc<Object256>)->Apply(shared_threads);

}  // namespace

BENCHMARK_MAIN();
