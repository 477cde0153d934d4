// trace_replay: replays an allocation trace (docs/trace-format.md) into an rtalloc::Tlsf heap.
//
//   trace_replay [--config NAME] [--pool BYTES] [--min-pool] [--callgrind] TRACE
//
//   --config NAME  heap configuration: default, small, sl16 or sl64 (bench/heap_configs.hpp)
//   --pool BYTES   bytes of pool memory to replay into (suffix k, M or G allowed);
//                  default 4 x the trace's peak live bytes
//   --min-pool     instead of one replay, search for the smallest memory (pool bytes plus the
//                  control block) in which the whole trace replays without a failed allocation
//   --callgrind    send every heap call through the C functions rtalloc_bench_allocate,
//                  rtalloc_bench_deallocate and rtalloc_bench_reallocate, so that
//                  `valgrind --tool=callgrind --toggle-collect=...` counts exactly the heap's
//                  instructions (bench/callgrind_ops.sh does that)
//
// Replay: `a ID SIZE ALIGN` is allocate(SIZE), or allocate(SIZE, ALIGN) when ALIGN is not 0;
// `f ID` is deallocate; `r OLD NEW SIZE` is reallocate. A failed allocation is counted and its
// block stays null: a later free of it is skipped and a later resize of it allocates. When a
// reallocate fails, the old block is freed, since the trace no longer names it.
#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "heap_configs.hpp"
#include "trace/trace.hpp"

// --- Entry points for callgrind -----------------------------------------------------------------
// Under --callgrind every heap call goes through these three functions and nothing else does, so
// toggling collection on them counts the heap's own work (plus one indirect jump each). They are
// kept out of line, and on GCC out of interprocedural optimisation too, so that no clone with a
// different name is called instead.
#if defined(__clang__)
#define RTALLOC_BENCH_ENTRY __attribute__((noinline, used))
#else
#define RTALLOC_BENCH_ENTRY __attribute__((noinline, noipa, used))
#endif

namespace {

// The selected configuration's operations, type-erased so that the entry points need no template.
struct HeapCalls {
  void* (*allocate)(void* heap, std::size_t size, std::size_t align) noexcept;
  void (*deallocate)(void* heap, void* p) noexcept;
  void* (*reallocate)(void* heap, void* p, std::size_t size) noexcept;
};

template <class Heap>
constexpr HeapCalls calls_for = {
    [](void* heap, std::size_t size, std::size_t align) noexcept {
      Heap& h = *static_cast<Heap*>(heap);
      return align == 0 ? h.allocate(size) : h.allocate(size, align);
    },
    [](void* heap, void* p) noexcept { static_cast<Heap*>(heap)->deallocate(p); },
    [](void* heap, void* p, std::size_t size) noexcept {
      return static_cast<Heap*>(heap)->reallocate(p, size);
    },
};

HeapCalls selected_calls{};

}  // namespace

extern "C" {
RTALLOC_BENCH_ENTRY void* rtalloc_bench_allocate(void* heap, std::size_t size, std::size_t align) {
  return selected_calls.allocate(heap, size, align);
}
RTALLOC_BENCH_ENTRY void rtalloc_bench_deallocate(void* heap, void* p) {
  selected_calls.deallocate(heap, p);
}
RTALLOC_BENCH_ENTRY void* rtalloc_bench_reallocate(void* heap, void* p, std::size_t size) {
  return selected_calls.reallocate(heap, p, size);
}
}

namespace {

using rtalloc::trace::Op;
using rtalloc::trace::Trace;

// --- Calling the heap ---------------------------------------------------------------------------

// Direct calls, inlined into the replay loop: what a program using the heap would run.
template <class Heap>
struct DirectCalls {
  Heap& heap;
  void* allocate(std::size_t size, std::size_t align) noexcept {
    return align == 0 ? heap.allocate(size) : heap.allocate(size, align);
  }
  void deallocate(void* p) noexcept { heap.deallocate(p); }
  void* reallocate(void* p, std::size_t size) noexcept { return heap.reallocate(p, size); }
};

// Calls through the callgrind entry points.
template <class Heap>
struct EntryPointCalls {
  Heap& heap;
  void* allocate(std::size_t size, std::size_t align) noexcept {
    return rtalloc_bench_allocate(&heap, size, align);
  }
  void deallocate(void* p) noexcept { rtalloc_bench_deallocate(&heap, p); }
  void* reallocate(void* p, std::size_t size) noexcept {
    return rtalloc_bench_reallocate(&heap, p, size);
  }
};

// --- Replaying ----------------------------------------------------------------------------------

struct ReplayResult {
  std::uint64_t failed = 0;    // allocations and reallocations that returned nullptr
  std::uint64_t ops_done = 0;  // operations replayed (all of them unless stopped early)
};

// Replays `trace`; with stop_on_failure, returns at the first failed allocation.
// `slots` is scratch space for the block pointers, indexed by trace id.
template <class Calls>
ReplayResult replay(const Trace& trace, Calls calls, std::vector<void*>& slots,
                    bool stop_on_failure) {
  slots.assign(std::size_t{trace.max_id} + 1, nullptr);
  ReplayResult result;
  for (const Op& op : trace.ops) {
    switch (op.kind) {
      case Op::Kind::allocate: {
        void* p = calls.allocate(static_cast<std::size_t>(op.size), op.align);
        if (p == nullptr) ++result.failed;
        slots[op.id] = p;
        break;
      }
      case Op::Kind::free:
        if (slots[op.id] != nullptr) calls.deallocate(slots[op.id]);
        slots[op.id] = nullptr;
        break;
      case Op::Kind::reallocate: {
        void* old = slots[op.id];
        void* p = calls.reallocate(old, static_cast<std::size_t>(op.size));
        if (p == nullptr) {
          ++result.failed;
          if (old != nullptr) calls.deallocate(old);
        }
        slots[op.id] = nullptr;
        slots[op.new_id] = p;
        break;
      }
    }
    ++result.ops_done;
    if (stop_on_failure && result.failed != 0) break;
  }
  return result;
}

// Frees what the trace left live, so the heap can be checked and torn down cleanly.
template <class Calls>
void free_remaining(Calls calls, std::vector<void*>& slots) {
  for (void*& p : slots) {
    if (p != nullptr) calls.deallocate(p);
    p = nullptr;
  }
}

// --- Pools --------------------------------------------------------------------------------------

// Adds [memory, memory + bytes) to `heap` as one pool, or as several adjacent ones when the heap's
// largest block is smaller than the memory (TlsfSmall). Returns the capacity added, 0 on refusal.
template <class Heap>
std::size_t add_pools(Heap& heap, std::byte* memory, std::size_t bytes) {
  constexpr std::size_t largest_pool =
      Heap::max_block_size + Heap::pool_overhead + Heap::granularity;
  std::size_t capacity = 0;
  while (bytes >= Heap::min_pool_size) {
    const std::size_t chunk = bytes < largest_pool ? bytes : largest_pool;
    const std::size_t added = heap.add_pool(memory, chunk);
    if (added == 0) return 0;
    capacity += added;
    memory += chunk;
    bytes -= chunk;
  }
  return capacity;
}

// Pool memory that is allocated once, never initialised by us, and reused between tries. It starts
// on a 64 KiB boundary so that a replay does the same work wherever the C library puts it: where
// an aligned request lands, and what memcpy costs, depend on the pool's address modulo the
// alignment.
class PoolMemory {
 public:
  static constexpr std::align_val_t alignment{std::size_t{1} << 16};

  explicit PoolMemory(std::size_t bytes)
      : bytes_(bytes), memory_(static_cast<std::byte*>(::operator new(bytes, alignment))) {}
  std::byte* data() const { return memory_.get(); }
  std::size_t size() const { return bytes_; }

 private:
  struct Delete {
    void operator()(std::byte* p) const noexcept { ::operator delete(p, alignment); }
  };
  std::size_t bytes_;
  std::unique_ptr<std::byte, Delete> memory_;
};

// A heap constructed in place, fresh for each try, in storage that outlives it.
template <class Heap>
class FreshHeap {
 public:
  FreshHeap() : heap_(new (storage_) Heap()) {}
  ~FreshHeap() { heap_->~Heap(); }
  FreshHeap(const FreshHeap&) = delete;
  FreshHeap& operator=(const FreshHeap&) = delete;
  Heap& operator*() const { return *heap_; }

 private:
  alignas(Heap) std::byte storage_[sizeof(Heap)];
  Heap* heap_;
};

// --- Options ------------------------------------------------------------------------------------

struct Options {
  std::string config = "default";
  std::uint64_t pool_bytes = 0;  // 0: 4 x peak live bytes
  bool min_pool = false;
  bool callgrind = false;
  std::string trace_path;
};

[[noreturn]] void usage(const char* message) {
  if (message != nullptr) std::fprintf(stderr, "trace_replay: %s\n", message);
  std::fprintf(stderr,
               "usage: trace_replay [--config default|small|sl16|sl64] [--pool BYTES] "
               "[--min-pool] [--callgrind] TRACE\n");
  std::exit(2);
}

std::uint64_t parse_bytes(const char* text) {
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text, &end, 10);
  if (end == text) usage("--pool needs a number of bytes");
  std::uint64_t scale = 1;
  if (*end == 'k' || *end == 'K') scale = std::uint64_t{1} << 10;
  if (*end == 'M') scale = std::uint64_t{1} << 20;
  if (*end == 'G') scale = std::uint64_t{1} << 30;
  if (scale != 1) ++end;
  if (*end != '\0') usage("--pool: bad size (a number with an optional k, M or G suffix)");
  return value * scale;
}

Options parse_options(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--config" || arg == "--pool") {
      if (i + 1 == argc) usage("missing value after an option");
      if (arg == "--config") {
        options.config = argv[++i];
      } else {
        options.pool_bytes = parse_bytes(argv[++i]);
      }
    } else if (arg == "--min-pool") {
      options.min_pool = true;
    } else if (arg == "--callgrind") {
      options.callgrind = true;
    } else if (arg == "-h" || arg == "--help") {
      usage(nullptr);
    } else if (arg.starts_with("-") || !options.trace_path.empty()) {
      usage(("unexpected argument '" + std::string(arg) + "'").c_str());
    } else {
      options.trace_path = arg;
    }
  }
  if (options.trace_path.empty()) usage("no trace given");
  return options;
}

// --- The two modes ------------------------------------------------------------------------------

struct TraceSummary {
  std::uint64_t allocates = 0, frees = 0, reallocates = 0, largest_request = 0;
  rtalloc::trace::Peak peak;
};

TraceSummary summarize(const Trace& trace) {
  TraceSummary s;
  for (const Op& op : trace.ops) {
    if (op.kind == Op::Kind::allocate) ++s.allocates;
    if (op.kind == Op::Kind::free) ++s.frees;
    if (op.kind == Op::Kind::reallocate) ++s.reallocates;
    if (op.kind != Op::Kind::free && op.size > s.largest_request) s.largest_request = op.size;
  }
  s.peak = rtalloc::trace::peak_live(trace);
  return s;
}

double ratio(std::uint64_t a, std::uint64_t b) {
  return b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b);
}

template <class Heap>
int run_replay(const Options& options, const Trace& trace, const TraceSummary& summary) {
  const std::uint64_t wanted =
      options.pool_bytes != 0
          ? options.pool_bytes
          : std::max<std::uint64_t>(4 * summary.peak.peak_live_bytes, std::uint64_t{1} << 16);
  const auto pool_bytes = static_cast<std::size_t>(wanted);
  PoolMemory memory(pool_bytes);
  std::memset(memory.data(), 0, memory.size());  // fault the pages in before timing

  FreshHeap<Heap> heap;
  const std::size_t capacity = add_pools(*heap, memory.data(), memory.size());
  if (capacity == 0) {
    std::fprintf(stderr, "trace_replay: add_pool refused %zu bytes\n", pool_bytes);
    return 1;
  }
  std::vector<void*> slots;
  ReplayResult result;
  const auto start = std::chrono::steady_clock::now();
  if (options.callgrind) {
    result = replay(trace, EntryPointCalls<Heap>{*heap}, slots, false);
  } else {
    result = replay(trace, DirectCalls<Heap>{*heap}, slots, false);
  }
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  const rtalloc::TlsfStats stats = (*heap).stats();
  const bool ok = (*heap).check();

  std::printf("pool         %zu bytes (capacity %zu in %zu pool%s)\n", pool_bytes, capacity,
              stats.pool_count, stats.pool_count == 1 ? "" : "s");
  std::printf("replay       %.3f s, %.1f ns/op%s\n", elapsed.count(),
              1e9 * elapsed.count() / static_cast<double>(trace.ops.size()),
              options.callgrind ? " (through the callgrind entry points)" : "");
  std::printf("failed       %" PRIu64 " allocations\n", result.failed);
  std::printf("peak used    %zu bytes, %.4f x peak live (headers, rounding, alignment)\n",
              stats.peak_used, ratio(stats.peak_used, summary.peak.peak_live_bytes));
  std::printf("at the end   %zu used blocks, %zu free blocks, largest free %zu bytes\n",
              stats.used_blocks, stats.free_blocks, stats.largest_free);

  free_remaining(DirectCalls<Heap>{*heap}, slots);
  const bool empty_again = (*heap).stats().used_blocks == 0 && (*heap).check();
  std::printf("check()      %s after replay, %s after freeing the rest\n", ok ? "ok" : "FAILED",
              empty_again ? "ok" : "FAILED");
  return ok && empty_again ? 0 : 1;
}

template <class Heap>
int run_min_pool(const Trace& trace, const TraceSummary& summary) {
  const std::uint64_t peak = summary.peak.peak_live_bytes;
  if (summary.largest_request > Heap::max_allocation) {
    std::fprintf(stderr,
                 "trace_replay: the trace requests %" PRIu64
                 " bytes, more than this configuration's max_allocation (%zu): no pool is "
                 "large enough\n",
                 summary.largest_request, Heap::max_allocation);
    return 1;
  }
  std::vector<void*> slots;
  std::uint64_t tries = 0;
  const auto fits = [&](PoolMemory& memory, std::size_t bytes) {
    ++tries;
    FreshHeap<Heap> heap;
    if (add_pools(*heap, memory.data(), bytes) == 0) return false;
    return replay(trace, DirectCalls<Heap>{*heap}, slots, true).failed == 0;
  };
  const auto round_to_granule = [](std::uint64_t bytes) {
    return static_cast<std::size_t>((bytes + Heap::granularity - 1) / Heap::granularity *
                                    Heap::granularity);
  };

  // A pool of `peak` bytes cannot fit: the blocks need at least that plus their headers. Find a
  // size that fits by doubling, then halve the gap down to the resolution.
  const std::size_t resolution = round_to_granule(std::max<std::uint64_t>(peak / 10000, 256));
  std::size_t low = round_to_granule(std::max<std::uint64_t>(peak, Heap::min_pool_size));
  std::size_t high = round_to_granule(std::max<std::uint64_t>(2 * peak, 2 * Heap::min_pool_size));
  auto memory = std::make_unique<PoolMemory>(high);
  while (!fits(*memory, high)) {
    low = high;
    high *= 2;
    if (high > (std::size_t{1} << 40)) {
      std::fprintf(stderr, "trace_replay: no pool up to 1 TiB replays the trace\n");
      return 1;
    }
    memory = std::make_unique<PoolMemory>(high);
  }
  while (high - low > resolution) {
    const std::size_t middle = round_to_granule(low + (high - low) / 2);
    if (middle >= high) break;
    if (fits(*memory, middle)) {
      high = middle;
    } else {
      low = middle;
    }
  }
  const std::uint64_t min_pool = std::uint64_t{high} + sizeof(Heap);
  std::printf("peak live    %" PRIu64 " bytes\n", peak);
  std::printf("at peak      %" PRIu64 " blocks\n", summary.peak.blocks_at_peak);
  std::printf("min pool     %" PRIu64 " bytes (%zu for add_pool + %zu control block; %" PRIu64
              " tries, resolution %zu)\n",
              min_pool, high, sizeof(Heap), tries, resolution);
  std::printf("ratio        %.4f (min pool / peak live)\n", ratio(min_pool, peak));
  return 0;
}

template <class Heap>
int run(const Options& options, const Trace& trace) {
  const TraceSummary summary = summarize(trace);
  std::printf("trace        %s (program %s)\n", options.trace_path.c_str(),
              trace.program.empty() ? "-" : trace.program.c_str());
  std::printf("operations   %zu (allocate %" PRIu64 ", free %" PRIu64 ", reallocate %" PRIu64 ")\n",
              trace.ops.size(), summary.allocates, summary.frees, summary.reallocates);
  std::printf("config       %s: Tlsf<%zu, %zu>, control block %zu bytes, max_allocation %zu\n",
              options.config.c_str(), Heap::first_level_count, Heap::second_level_count,
              sizeof(Heap), Heap::max_allocation);
  if (options.min_pool) return run_min_pool<Heap>(trace, summary);
  std::printf("peak live    %" PRIu64 " bytes in %" PRIu64 " blocks\n",
              summary.peak.peak_live_bytes, summary.peak.blocks_at_peak);
  return run_replay<Heap>(options, trace, summary);
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse_options(argc, argv);
  try {
    const Trace trace = rtalloc::trace::load(options.trace_path);
    int status = 0;
    const bool known =
        rtalloc::bench::visit_config(options.config, [&]<class Heap>(std::type_identity<Heap>) {
          selected_calls = calls_for<Heap>;
          status = run<Heap>(options, trace);
        });
    if (!known) usage(("unknown configuration '" + options.config + "'").c_str());
    return status;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "trace_replay: %s\n", e.what());
    return 1;
  }
}
