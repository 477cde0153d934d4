// SPDX-License-Identifier: MIT OR Apache-2.0
// threads_bench: multi-threaded malloc workloads, for any malloc (run it with
// a replacement in LD_PRELOAD; bench/compare_threads.sh runs them all).
//
//   threads_bench server THREADS [--latency]  each thread keeps a window of
//       live objects (8-1000 B), replaces a random one per step, and every
//       so often hands its whole window to the next thread, which frees it
//   threads_bench prodcons                    one thread allocates, another
//       frees, through a queue
//   threads_bench falseshare THREADS          each thread allocates small
//       objects and writes to them; objects of different threads on one
//       cache line slow every write
//
// Prints one line: mode, threads, operations per second (wall time), peak
// RSS in KiB, and with --latency the p99.99 and largest time of one malloc
// or free in nanoseconds.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Rng {
  std::uint64_t state;
  std::uint64_t next() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  }
};

// Per-operation latency, 1 ns buckets up to 1 ms, and the largest.
struct Latency {
  std::vector<std::uint64_t> buckets = std::vector<std::uint64_t>(1000000, 0);
  std::uint64_t largest = 0;
  std::uint64_t count = 0;
  void add(std::uint64_t ns) {
    ++buckets[std::min<std::uint64_t>(ns, buckets.size() - 1)];
    largest = std::max(largest, ns);
    ++count;
  }
  void merge(const Latency& other) {
    for (std::size_t i = 0; i < buckets.size(); ++i) buckets[i] += other.buckets[i];
    largest = std::max(largest, other.largest);
    count += other.count;
  }
  std::uint64_t percentile(double fraction) const {
    const auto target = static_cast<std::uint64_t>(static_cast<double>(count) * fraction);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < buckets.size(); ++i) {
      seen += buckets[i];
      if (seen > target) return i;
    }
    return largest;
  }
};

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
          .count());
}

// One mailbox per thread: windows handed to it, to be freed by it.
struct Mailbox {
  std::mutex mutex;
  std::vector<std::vector<void*>> windows;
};

constexpr std::size_t kWindow = 1000;
constexpr std::size_t kServerSteps = 10000000;  // per thread
constexpr std::size_t kHandEvery = 20000;

void server_thread(std::size_t me, std::size_t threads, std::vector<Mailbox>& boxes,
                   std::atomic<std::size_t>& finished, bool timed, Latency& latency) {
  Rng rng{0x9e3779b97f4a7c15ull * (me + 1)};
  std::vector<void*> window(kWindow);
  auto timed_malloc = [&](std::size_t size) {
    if (!timed) return std::malloc(size);
    const std::uint64_t start = now_ns();
    void* p = std::malloc(size);
    latency.add(now_ns() - start);
    return p;
  };
  auto timed_free = [&](void* p) {
    if (!timed) return std::free(p);
    const std::uint64_t start = now_ns();
    std::free(p);
    latency.add(now_ns() - start);
  };
  auto fill = [&] {
    for (void*& p : window) {
      const std::size_t size = 8 + rng.next() % 993;
      p = timed_malloc(size);
      static_cast<char*>(p)[0] = 1;
    }
  };
  auto take_mail = [&] {
    std::vector<std::vector<void*>> mail;
    {
      std::lock_guard<std::mutex> lock(boxes[me].mutex);
      mail.swap(boxes[me].windows);
    }
    for (auto& w : mail)
      for (void* p : w) timed_free(p);
  };
  fill();
  for (std::size_t step = 1; step <= kServerSteps; ++step) {
    const std::size_t k = rng.next() % kWindow;
    timed_free(window[k]);
    const std::size_t size = 8 + rng.next() % 993;
    window[k] = timed_malloc(size);
    static_cast<char*>(window[k])[0] = 1;
    if (step % kHandEvery == 0) {
      if (threads > 1) {
        std::lock_guard<std::mutex> lock(boxes[(me + 1) % threads].mutex);
        boxes[(me + 1) % threads].windows.push_back(window);
      } else {
        for (void* p : window) timed_free(p);
      }
      fill();
      take_mail();
    }
  }
  finished.fetch_add(1);
  while (finished.load() < threads) {
    take_mail();
    std::this_thread::yield();
  }
  take_mail();
  for (void* p : window) std::free(p);
}

double server(std::size_t threads, bool timed, Latency& latency) {
  std::vector<Mailbox> boxes(threads);
  std::vector<Latency> latencies(timed ? threads : 0);
  std::atomic<std::size_t> finished{0};
  Latency unused;
  unused.buckets.clear();
  const auto start = Clock::now();
  std::vector<std::thread> pool;
  for (std::size_t t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      server_thread(t, threads, boxes, finished, timed, timed ? latencies[t] : unused);
    });
  }
  for (auto& thread : pool) thread.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  for (auto& l : latencies) latency.merge(l);
  // Each step is one malloc and one free.
  return 2.0 * static_cast<double>(kServerSteps * threads) / seconds;
}

double prodcons() {
  constexpr std::size_t kItems = 4000000;
  constexpr std::size_t kRing = 4096;
  std::vector<std::atomic<void*>> ring(kRing);
  for (auto& slot : ring) slot.store(nullptr);
  const auto start = Clock::now();
  std::thread consumer([&] {
    Rng rng{7};
    (void)rng;
    for (std::size_t i = 0; i < kItems; ++i) {
      auto& slot = ring[i % kRing];
      void* p;
      while ((p = slot.load(std::memory_order_acquire)) == nullptr) std::this_thread::yield();
      slot.store(nullptr, std::memory_order_relaxed);
      std::free(p);
    }
  });
  Rng rng{3};
  for (std::size_t i = 0; i < kItems; ++i) {
    void* p = std::malloc(8 + rng.next() % 993);
    static_cast<char*>(p)[0] = 1;
    auto& slot = ring[i % kRing];
    while (slot.load(std::memory_order_acquire) != nullptr) std::this_thread::yield();
    slot.store(p, std::memory_order_release);
  }
  consumer.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return 2.0 * static_cast<double>(kItems) / seconds;
}

double falseshare(std::size_t threads) {
  constexpr std::size_t kRounds = 20000;
  constexpr std::size_t kWrites = 500;
  const auto start = Clock::now();
  std::vector<std::thread> pool;
  for (std::size_t t = 0; t < threads; ++t) {
    pool.emplace_back([] {
      for (std::size_t r = 0; r < kRounds; ++r) {
        auto* p = static_cast<volatile char*>(std::malloc(8));
        for (std::size_t w = 0; w < kWrites; ++w) p[w % 8] = static_cast<char>(p[w % 8] + 1);
        std::free(const_cast<char*>(p));
      }
    });
  }
  for (auto& thread : pool) thread.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return static_cast<double>(kRounds * threads * kWrites) / seconds;  // writes per second
}

long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: threads_bench server|prodcons|falseshare [THREADS] [--latency]\n");
    return 2;
  }
  const char* mode = argv[1];
  const std::size_t threads = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 2;
  const bool timed = argc > 3 && std::strcmp(argv[3], "--latency") == 0;
  Latency latency;
  double rate = 0;
  if (std::strcmp(mode, "server") == 0) {
    rate = server(threads, timed, latency);
  } else if (std::strcmp(mode, "prodcons") == 0) {
    rate = prodcons();
  } else if (std::strcmp(mode, "falseshare") == 0) {
    rate = falseshare(threads);
  } else {
    std::fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
  }
  std::printf("%s %zu %.0f %ld", mode, threads, rate, peak_rss_kib());
  if (timed) {
    std::printf(" %llu %llu", static_cast<unsigned long long>(latency.percentile(0.9999)),
                static_cast<unsigned long long>(latency.largest));
  }
  std::printf("\n");
  return 0;
}
