// SPDX-License-Identifier: MIT OR Apache-2.0
#include "measure.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#include "replay.hpp"

#if __has_include(<rtalloc/flex_tlsf.hpp>) && __has_include(<rtalloc/hosted/os_pages.hpp>)
#include <rtalloc/flex_tlsf.hpp>
#include <rtalloc/hosted/os_pages.hpp>
#define RTALLOC_REPLAY_HAVE_FLEX 1
#endif

// --- Entry points for callgrind -----------------------------------------------------------------
// Under --callgrind every allocator call goes through these three functions and nothing else does,
// so toggling collection on them counts the allocator's own work (plus one indirect call each).
// Kept out of line, and on GCC out of interprocedural optimisation too, so that no clone with
// another name is called instead.
#if defined(__clang__)
#define RTALLOC_REPLAY_ENTRY __attribute__((noinline, used))
#else
#define RTALLOC_REPLAY_ENTRY __attribute__((noinline, noipa, used))
#endif

namespace {

struct EntryTable {
  void* (*allocate)(void* target, std::size_t size, std::size_t align) noexcept;
  void (*deallocate)(void* target, void* p) noexcept;
  void* (*reallocate)(void* target, void* p, std::size_t size) noexcept;
};

// `Target` is the allocator object itself (a heap, or the malloc calls), so that a call through an
// entry point costs the same one indirect call whatever the allocator.
template <class Target>
constexpr EntryTable entry_table_for = {
    [](void* target, std::size_t size, std::size_t align) noexcept -> void* {
      Target& t = *static_cast<Target*>(target);
      if constexpr (requires { t.allocate(size); }) {
        return align == 0 ? t.allocate(size) : t.allocate(size, align);
      } else {
        return t.allocate(size, static_cast<std::uint32_t>(align));
      }
    },
    [](void* target, void* p) noexcept { static_cast<Target*>(target)->deallocate(p); },
    [](void* target, void* p, std::size_t size) noexcept {
      return static_cast<Target*>(target)->reallocate(p, size);
    },
};

EntryTable entry_table{};

}  // namespace

extern "C" {
RTALLOC_REPLAY_ENTRY void* rtalloc_replay_allocate(void* target, std::size_t size,
                                                   std::size_t align) {
  return entry_table.allocate(target, size, align);
}
RTALLOC_REPLAY_ENTRY void rtalloc_replay_deallocate(void* target, void* p) {
  entry_table.deallocate(target, p);
}
RTALLOC_REPLAY_ENTRY void* rtalloc_replay_reallocate(void* target, void* p, std::size_t size) {
  return entry_table.reallocate(target, p, size);
}
}

namespace rtalloc::replay {
namespace {

using nlohmann::json;

// --- Clocks -------------------------------------------------------------------------------------

// A cycle counter read around one operation. On x86 the time-stamp counter, fenced so that the
// operation cannot move out of the measured window; elsewhere the steady clock in nanoseconds.
#if defined(__x86_64__) || defined(__i386__)
inline std::uint64_t cycles_start() noexcept {
  _mm_lfence();
  const std::uint64_t t = __rdtsc();
  _mm_lfence();
  return t;
}
inline std::uint64_t cycles_stop() noexcept {
  unsigned aux = 0;
  const std::uint64_t t = __rdtscp(&aux);
  _mm_lfence();
  return t;
}
constexpr bool counter_is_tsc = true;
#else
inline std::uint64_t cycles_start() noexcept {
  return static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
}
inline std::uint64_t cycles_stop() noexcept { return cycles_start(); }
constexpr bool counter_is_tsc = false;
#endif

// Counter ticks per nanosecond, measured against the steady clock over 50 ms.
double ticks_per_ns() {
  if (!counter_is_tsc) return 1.0;
  const auto t0 = std::chrono::steady_clock::now();
  const std::uint64_t c0 = cycles_start();
  while (std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(50)) {
  }
  const std::uint64_t c1 = cycles_stop();
  const std::chrono::duration<double, std::nano> elapsed = std::chrono::steady_clock::now() - t0;
  return static_cast<double>(c1 - c0) / elapsed.count();
}

// The smallest reading of an empty measured window: subtracted from every operation's count.
std::uint64_t timer_overhead() {
  std::uint64_t best = std::numeric_limits<std::uint64_t>::max();
  for (int i = 0; i < 100000; ++i) {
    const std::uint64_t t0 = cycles_start();
    const std::uint64_t t1 = cycles_stop();
    best = std::min(best, t1 - t0);
  }
  return best;
}

// --- Memory shared with, or private to, the replaying child -------------------------------------

// An anonymous mapping. Shared ones carry results from a child back to its parent; private ones,
// made in the child, hold what a replay touches, populated in advance so that no page fault lands
// inside a measured window.
class Mapping {
 public:
  Mapping() = default;
  Mapping(std::size_t bytes, bool shared, bool populate) : bytes_(std::max<std::size_t>(bytes, 1)) {
    const int flags = (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS | MAP_NORESERVE |
                      (populate ? MAP_POPULATE : 0);
    void* p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, flags, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("mmap of " + std::to_string(bytes_) + " failed");
    data_ = static_cast<std::byte*>(p);
  }
  Mapping(Mapping&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), bytes_(other.bytes_) {}
  Mapping& operator=(Mapping&& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(bytes_, other.bytes_);
    return *this;
  }
  ~Mapping() {
    if (data_ != nullptr) munmap(data_, bytes_);
  }
  template <class T>
  T* as() const {
    return reinterpret_cast<T*>(data_);
  }
  std::byte* data() const { return data_; }
  std::size_t size() const { return bytes_; }

 private:
  std::byte* data_ = nullptr;
  std::size_t bytes_ = 0;
};

// Writes every page of [p, p + bytes) so that the child owns it before a measurement starts.
void touch_pages(std::byte* p, std::size_t bytes) {
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  for (std::size_t i = 0; i < bytes; i += page) {
    std::atomic_ref<std::byte>(p[i]).store(std::atomic_ref<std::byte>(p[i]).load());
  }
}

// Makes every page the child shares with its parent its own before a measurement: after fork, the
// first write to a page the parent wrote (the allocator's heap and data) copies it, and the first
// use of a code page maps it again; both would cost microseconds inside some operation in every
// replay and pose as the allocator's worst case, though a program running alone never pays them.
// Pages not resident (reserved, never touched) are left alone. Uses no heap memory.
// Not instrumented by sanitizers: it reads every resident page, the sanitizers' own included.
__attribute__((no_sanitize("address", "thread"))) void own_resident_pages() {
  static char maps[1 << 22];
  const int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  std::size_t length = 0;
  for (ssize_t got = 0; length < sizeof maps - 1; length += static_cast<std::size_t>(got)) {
    got = read(fd, maps + length, sizeof maps - 1 - length);
    if (got <= 0) break;
  }
  close(fd);
  maps[length] = '\0';
  const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  static unsigned char resident[1 << 16];  // mincore's answer for one window of pages
  for (char* line = maps; *line != '\0';) {
    char* end = std::strchr(line, '\n');
    if (end == nullptr) break;  // a line cut off by a full buffer
    *end = '\0';
    char* cursor = line;
    const std::uintptr_t start = std::strtoull(cursor, &cursor, 16);
    const std::uintptr_t stop = std::strtoull(cursor + 1, &cursor, 16);
    const char* perms = cursor + 1;
    const bool readable = perms[0] == 'r', writable = perms[1] == 'w', shared = perms[3] == 's';
    const bool special = std::strstr(line, "[v") != nullptr;  // [vvar], [vdso], [vsyscall]
    const bool sane = start % page == 0 && stop % page == 0 && start < stop;
    if (sane && readable && !shared && !special) {
      for (std::uintptr_t window = start; window < stop; window += page * sizeof resident) {
        const std::uintptr_t window_end = std::min(stop, window + page * sizeof resident);
        if (mincore(reinterpret_cast<void*>(window), window_end - window, resident) != 0) break;
        for (std::uintptr_t p = window; p < window_end; p += page) {
          if ((resident[(p - window) / page] & 1) == 0) continue;
          auto* byte = reinterpret_cast<volatile unsigned char*>(p);
          const unsigned char value = *byte;
          if (writable) *byte = value;
        }
      }
    }
    line = end + 1;
  }
}

// Asks the malloc of this process to give the memory it holds free back to the kernel, so that a
// replay starts as in a fresh program: memory the measuring process used and freed stays resident
// in a malloc's free lists, and a replay in it would neither fault those pages in (faster than a
// program is) nor grow the process (less resident memory than it needs). Each library has a call
// of its own; rtalloc's heaps start in fresh mappings and need none.
void release_free_memory(const Backend& backend) {
  if (backend.pool_heap()) return;
  void* const call =
      dlsym(RTLD_DEFAULT, backend.name == "jemalloc"   ? "mallctl"
                          : backend.name == "mimalloc" ? "mi_collect"
                          : backend.name == "tcmalloc" ? "MallocExtension_ReleaseFreeMemory"
                                                       : "malloc_trim");
  if (call == nullptr) return;
  if (backend.name == "jemalloc") {
    // MALLCTL_ARENAS_ALL (4096): every arena.
    using Mallctl = int (*)(const char*, void*, std::size_t*, void*, std::size_t);
    reinterpret_cast<Mallctl>(call)("arena.4096.purge", nullptr, nullptr, nullptr, 0);
  } else if (backend.name == "mimalloc") {
    reinterpret_cast<void (*)(bool)>(call)(true);
  } else if (backend.name == "tcmalloc") {
    reinterpret_cast<void (*)()>(call)();
  } else {
    reinterpret_cast<int (*)(std::size_t)>(call)(0);  // glibc, rtalloc's malloc library
  }
}

// Reads every page of [p, p + bytes), so that it is mapped before a measurement starts.
void touch_pages_read(const void* p, std::size_t bytes) {
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  const auto* bytes_at = static_cast<const volatile unsigned char*>(p);
  for (std::size_t i = 0; i < bytes; i += page) static_cast<void>(bytes_at[i]);
}

// Resident memory of this process, read from /proc without allocating: what it is now (statm),
// and the most it has been since the last reset_peak() (the kernel's high-water mark VmHWM, which
// writing "5" to /proc/self/clear_refs resets). The mark catches a peak inside one operation, such
// as a block copied to its new place before the old one is unmapped, but the kernel keeps it from
// per-CPU counters that may lag by some pages; statm is exact. Without clear_refs (Linux before
// 4.0, some sandboxes) the mark is not used.
class ResidentMemory {
 public:
  ResidentMemory()
      : statm_(open("/proc/self/statm", O_RDONLY | O_CLOEXEC)),
        status_(open("/proc/self/status", O_RDONLY | O_CLOEXEC)),
        clear_refs_(open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC)) {
    tracks_peak_ = status_ >= 0 && reset_peak();
  }
  ~ResidentMemory() {
    for (const int fd : {statm_, status_, clear_refs_}) {
      if (fd >= 0) close(fd);
    }
  }
  ResidentMemory(const ResidentMemory&) = delete;
  ResidentMemory& operator=(const ResidentMemory&) = delete;

  std::uint64_t now() const {
    char text[128];
    const ssize_t n = statm_ < 0 ? -1 : pread(statm_, text, sizeof text - 1, 0);
    if (n <= 0) return 0;
    text[n] = '\0';
    const char* p = std::strchr(text, ' ');
    if (p == nullptr) return 0;
    return std::strtoull(p + 1, nullptr, 10) * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
  }
  // The kernel's mark: the most resident since the last reset; 0 when it is not used.
  std::uint64_t peak_since_reset() const {
    if (!tracks_peak_) return 0;
    static char text[1 << 14];
    const ssize_t n = pread(status_, text, sizeof text - 1, 0);
    if (n <= 0) return 0;
    text[n] = '\0';
    const char* line = std::strstr(text, "\nVmHWM:");
    return line == nullptr ? 0 : std::strtoull(line + 7, nullptr, 10) * 1024;  // in kB
  }
  bool reset_peak() const { return clear_refs_ >= 0 && write(clear_refs_, "5", 1) == 1; }

 private:
  int statm_;
  int status_;
  int clear_refs_;
  bool tracks_peak_ = false;
};

// What the child reports to its parent, in shared memory.
struct RunReport {
  std::atomic<std::uint64_t> ops_done;
  std::uint64_t elapsed_ns;
  std::uint64_t failed;
  std::uint64_t checked_ok;  // pool heaps: 1 when check() passed after the replay
};

// One point of the memory-over-time series.
struct Sample {
  std::uint64_t op;           // operations replayed so far
  std::uint64_t resident;     // the most resident bytes gained since the replay began, in the
                              // operations since the previous sample
  std::int64_t largest_free;  // pool heaps: largest free block; -1 when unknown
  std::int64_t free_bytes;    // pool heaps: bytes in free blocks; -1 when unknown
  std::uint64_t heap_used;    // pool heaps: bytes in used blocks, headers included; 0 otherwise
};

// --- Allocators, as the child sets them up ------------------------------------------------------

// Per-kind heap state a sample can report; malloc replacements know none of it.
struct Gauge {
  std::int64_t largest_free = -1;
  std::int64_t free_bytes = -1;
  std::uint64_t used = 0;
};

struct MallocSetup {
  using Calls = MallocCalls;
  MallocCalls calls{};
  explicit MallocSetup(std::size_t /*pool_bytes*/, bool /*prefault*/) {}
  Gauge gauge() const { return {}; }
  bool check() const { return true; }
  MallocCalls* entry_target() { return &calls; }  // what the callgrind entry points call
};

template <class Heap>
struct HeapSetup {
  using Calls = HeapCalls<Heap>;
  Mapping control;
  Mapping pool;
  Heap* heap;
  Calls calls;
  std::size_t capacity;

  // `prefault`: the pool's pages are made resident first (timed runs); otherwise they become
  // resident as the heap touches them (the memory run, which measures that).
  HeapSetup(std::size_t pool_bytes, bool prefault)
      : control(sizeof(Heap), false, true),
        pool(pool_bytes, false, prefault),
        heap(new (control.data()) Heap()),
        calls{*heap},
        capacity(add_pools(*heap, pool.data(), pool.size())) {
    if (prefault) touch_pages(pool.data(), pool.size());
  }
  Gauge gauge() const {
    const TlsfStats stats = heap->stats();
    return {static_cast<std::int64_t>(stats.largest_free), static_cast<std::int64_t>(stats.free),
            stats.used};
  }
  bool check() const { return heap->check(); }
  Heap* entry_target() { return heap; }
};

#if RTALLOC_REPLAY_HAVE_FLEX
// A growing heap: memory comes from the OS as the trace needs it, so there is no pool to size.
struct FlexSetup {
  using Heap = FlexTlsf<OsPages>;
  struct Calls {
    Heap* heap;
    void* allocate(std::size_t size, std::uint32_t align) noexcept {
      return align == 0 ? heap->allocate(size) : heap->allocate(size, align);
    }
    void deallocate(void* p) noexcept { heap->deallocate(p); }
    void* reallocate(void* p, std::size_t size) noexcept { return heap->reallocate(p, size); }
  };
  Mapping control;
  Heap* heap;
  Calls calls;

  FlexSetup(std::size_t /*pool_bytes*/, bool /*prefault*/)
      : control(sizeof(Heap), false, true), heap(new (control.data()) Heap()), calls{heap} {}
  Gauge gauge() const {
    const TlsfStats stats = heap->stats().heap;
    return {static_cast<std::int64_t>(stats.largest_free), static_cast<std::int64_t>(stats.free),
            stats.used};
  }
  bool check() const { return heap->heap().check(); }
  Heap* entry_target() { return heap; }
};
#endif

// --- Running replays in children ----------------------------------------------------------------

void draw_progress(const std::string& label, std::uint64_t done, std::uint64_t total) {
  constexpr int bar = 30;
  const double fraction = total == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(total);
  const int filled = static_cast<int>(fraction * bar);
  std::fprintf(stderr, "\r  %-40s [%.*s%*s] %3d%%", label.c_str(), filled,
               "##############################", bar - filled, "",
               static_cast<int>(fraction * 100));
  std::fflush(stderr);
}

// Runs body() in a forked child and waits for it, drawing progress from report->ops_done.
template <class Body>
void run_in_child(const char* what, Body body, RunReport* report, std::uint64_t total,
                  const std::string& label, bool progress) {
  report->ops_done.store(0);
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    body();
    _exit(0);
  }
  int status = 0;
  for (;;) {
    const pid_t done = waitpid(pid, &status, progress ? WNOHANG : 0);
    if (done == pid) break;
    if (done < 0) throw std::runtime_error("waitpid failed");
    draw_progress(label, report->ops_done.load(std::memory_order_relaxed), total);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (progress) draw_progress(label, total, total);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error(std::string(what) + " replay crashed or failed (status " +
                             std::to_string(status) + ")");
  }
}

constexpr std::uint64_t progress_mask = (1u << 16) - 1;

// Child-side slots, one pointer per trace id, resident before the replay starts.
Mapping make_slots(TraceView trace) {
  return Mapping((std::size_t{trace.max_id} + 1) * sizeof(void*), false, true);
}

// A replay timed as a whole: what throughput is.
template <class Setup>
void throughput_run(TraceView trace, std::size_t pool_bytes, RunReport* report) {
  Setup setup(pool_bytes, true);
  Mapping slot_memory = make_slots(trace);
  touch_pages(slot_memory.data(), slot_memory.size());
  own_resident_pages();
  void** slots = slot_memory.as<void*>();
  std::uint64_t failed = 0;
  const std::size_t n = trace.ops.size();
  const Op* ops = trace.ops.data();
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < n; ++i) {
    failed += replay_op(ops[i], setup.calls, slots) ? 0u : 1u;
    if ((i & progress_mask) == 0) report->ops_done.store(i, std::memory_order_relaxed);
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  report->elapsed_ns = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count());
  report->failed = failed;
}

// A replay with every operation timed on its own; each operation's count is folded into `best`
// (the minimum over runs so far).
template <class Setup>
void latency_run(TraceView trace, std::size_t pool_bytes, std::uint32_t* best, RunReport* report) {
  Setup setup(pool_bytes, true);
  Mapping slot_memory = make_slots(trace);
  touch_pages(slot_memory.data(), slot_memory.size());
  touch_pages(reinterpret_cast<std::byte*>(best), trace.ops.size() * sizeof *best);
  own_resident_pages();
  void** slots = slot_memory.as<void*>();
  std::uint64_t failed = 0;
  const std::size_t n = trace.ops.size();
  const Op* ops = trace.ops.data();
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t t0 = cycles_start();
    const bool ok = replay_op(ops[i], setup.calls, slots);
    const std::uint64_t t1 = cycles_stop();
    const std::uint64_t ticks = std::min<std::uint64_t>(t1 - t0, UINT32_MAX);
    best[i] = std::min(best[i], static_cast<std::uint32_t>(ticks));
    failed += ok ? 0u : 1u;
    if ((i & progress_mask) == 0) report->ops_done.store(i, std::memory_order_relaxed);
  }
  report->failed = failed;
}

// A program writes the memory it asks for; an allocator that hands out fresh pages would otherwise
// look as if it needed none. One byte of every page of the block is written.
inline void write_every_page(void* block, std::uint64_t size, std::uint64_t page) {
  if (block == nullptr || size == 0) return;
  auto* bytes = static_cast<volatile unsigned char*>(block);
  for (std::uint64_t at = 0; at < size; at += page) bytes[at] = 1;
  bytes[size - 1] = 1;  // the stride from an unaligned start can stop short of the last page
}

// A replay that samples memory use every `interval` operations (and after the last). A sample
// holds the most resident memory of the operations since the previous one, so that a short peak
// between two samples is not lost.
template <class Setup>
void memory_run(TraceView trace, std::size_t pool_bytes, std::uint64_t interval, Sample* samples,
                std::size_t sample_count, RunReport* report) {
  Mapping slot_memory = make_slots(trace);
  touch_pages(slot_memory.data(), slot_memory.size());
  void** slots = slot_memory.as<void*>();
  // What the child reads and writes besides the allocator's memory is mapped first, so that the
  // gain counts the allocator's pages only: the trace, and the results shared with the parent.
  touch_pages_read(trace.ops.data(), trace.ops.size() * sizeof(Op));
  touch_pages(reinterpret_cast<std::byte*>(samples), sample_count * sizeof(Sample));
  touch_pages(reinterpret_cast<std::byte*>(report), sizeof *report);
  own_resident_pages();
  const ResidentMemory resident;
  static_cast<void>(resident.peak_since_reset());  // maps the pages the reading itself uses
  const std::uint64_t resident_before = resident.now();
  resident.reset_peak();
  const auto page = static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
  Setup setup(pool_bytes, false);
  const std::size_t n = trace.ops.size();
  std::size_t taken = 0;
  std::uint64_t failed = 0;
  std::uint64_t highest = 0;  // the most resident after an operation of this interval
  for (std::size_t i = 0; i < n; ++i) {
    const Op& op = trace.ops[i];
    failed += replay_op(op, setup.calls, slots) ? 0u : 1u;
    if (op.kind != Op::Kind::free) {
      write_every_page(slots[op.kind == Op::Kind::allocate ? op.id : op.new_id], op.size, page);
    }
    // Read after every operation (under a microsecond): exact at each operation's end, where the
    // trace's live bytes are counted too; the kernel's mark adds what happened inside one.
    highest = std::max(highest, resident.now());
    if ((i + 1) % interval == 0 || i + 1 == n) {
      const std::uint64_t top = std::max(highest, resident.peak_since_reset());
      const Gauge gauge = setup.gauge();
      samples[taken++] = {i + 1, top > resident_before ? top - resident_before : 0,
                          gauge.largest_free, gauge.free_bytes, gauge.used};
      highest = 0;
      resident.reset_peak();
    }
    if ((i & progress_mask) == 0) report->ops_done.store(i, std::memory_order_relaxed);
  }
  report->failed = failed;
  report->checked_ok = setup.check() ? 1 : 0;
}

// --- Turning counts into figures ----------------------------------------------------------------

const char* kind_name(Op::Kind kind) {
  switch (kind) {
    case Op::Kind::allocate:
      return "allocate";
    case Op::Kind::free:
      return "free";
    case Op::Kind::reallocate:
      return "reallocate";
  }
  return "?";
}

// Percentiles and a downsampled exceedance curve of one operation kind's latencies.
json latency_figures(std::vector<std::uint32_t>& ticks, double ticks_per_nanosecond) {
  json out;
  out["count"] = ticks.size();
  if (ticks.empty()) return out;
  std::sort(ticks.begin(), ticks.end());
  const auto at = [&](double q) {
    const auto k = static_cast<std::size_t>(std::ceil(q * static_cast<double>(ticks.size()))) - 1;
    return ticks[std::min(k, ticks.size() - 1)];
  };
  const std::pair<const char*, double> points[] = {
      {"p50", 0.5}, {"p99", 0.99}, {"p99.9", 0.999}, {"p99.99", 0.9999}, {"max", 1.0}};
  for (const auto& [name, q] : points) {
    const std::uint32_t t = at(q);
    out["cycles"][name] = t;
    out["ns"][name] = static_cast<double>(t) / ticks_per_nanosecond;
  }
  // (latency in ns, fraction of operations at least that slow), log-spaced in the fraction.
  json curve = json::array();
  const double n = static_cast<double>(ticks.size());
  for (double fraction = 1.0; fraction * n >= 1.0; fraction /= std::pow(10.0, 0.125)) {
    const std::uint32_t t = at(1.0 - fraction + 1.0 / n);
    curve.push_back({static_cast<double>(t) / ticks_per_nanosecond, fraction});
  }
  curve.push_back({static_cast<double>(ticks.back()) / ticks_per_nanosecond, 1.0 / n});
  out["exceedance"] = std::move(curve);
  return out;
}

// Every replay runs first, each in a child forked from this process in the same state, and the
// figures are worked out only afterwards: what this process allocates for them (millions of
// latencies to sort) would otherwise be left free in the allocator under test when the next replay
// starts, for that replay to run in.
template <class Setup>
json measure_with(const Backend& backend, TraceView trace, const MeasureOptions& options,
                  std::size_t pool_bytes) {
  const std::size_t n = trace.ops.size();
  Mapping report_memory(sizeof(RunReport), true, true);
  auto* report = new (report_memory.data()) RunReport{};
  const auto label = [&](const char* what, unsigned run) {
    return backend.name + ": " + what + " " + std::to_string(run) + "/" +
           std::to_string(options.repeat);
  };
  const auto in_child = [&](const char* what, const std::string& progress_label, auto&& replay) {
    run_in_child(
        what,
        [&] {
          release_free_memory(backend);
          replay();
        },
        report, n, progress_label, options.progress);
  };

  // Throughput: the fastest of `repeat` whole replays.
  std::vector<double> ns_per_op;
  ns_per_op.reserve(options.repeat);
  std::uint64_t failed = 0;
  for (unsigned run = 1; run <= options.repeat; ++run) {
    in_child("throughput", label("throughput", run),
             [&] { throughput_run<Setup>(trace, pool_bytes, report); });
    ns_per_op.push_back(static_cast<double>(report->elapsed_ns) / static_cast<double>(n));
    failed = report->failed;
  }

  // Latency: each operation's minimum over `repeat` replays.
  const double tick_rate = ticks_per_ns();
  const std::uint64_t overhead = timer_overhead();
  Mapping best_memory(n * sizeof(std::uint32_t), true, true);
  auto* best = best_memory.as<std::uint32_t>();
  std::fill(best, best + n, UINT32_MAX);
  for (unsigned run = 1; run <= options.repeat; ++run) {
    in_child("latency", label("latency", run),
             [&] { latency_run<Setup>(trace, pool_bytes, best, report); });
  }

  // Memory over time.
  const std::uint64_t samples_wanted = std::max(options.memory_samples, 2u);
  const std::uint64_t interval = std::max<std::uint64_t>(n / samples_wanted, 1);
  const std::size_t sample_count = n / interval + 2;
  Mapping sample_memory(sample_count * sizeof(Sample), true, true);
  auto* samples = sample_memory.as<Sample>();
  in_child("memory", backend.name + ": memory over time",
           [&] { memory_run<Setup>(trace, pool_bytes, interval, samples, sample_count, report); });
  if (options.progress) std::fprintf(stderr, "\r%*s\r", 80, "");

  json out;
  out["throughput"] = {{"ns_per_op", *std::min_element(ns_per_op.begin(), ns_per_op.end())},
                       {"runs_ns_per_op", ns_per_op}};
  out["failed_allocations"] = failed;

  json latency = {{"counter", counter_is_tsc ? "tsc" : "steady_clock"},
                  {"ticks_per_ns", tick_rate},
                  {"timer_overhead_ticks", overhead},
                  {"replays", options.repeat}};
  for (const Op::Kind kind : {Op::Kind::allocate, Op::Kind::free, Op::Kind::reallocate}) {
    std::vector<std::uint32_t> ticks;
    for (std::size_t i = 0; i < n; ++i) {
      if (trace.ops[i].kind == kind) {
        ticks.push_back(static_cast<std::uint32_t>(best[i] > overhead ? best[i] - overhead : 0));
      }
    }
    latency[kind_name(kind)] = latency_figures(ticks, tick_rate);
  }
  out["latency"] = std::move(latency);

  // The live bytes of each sample are, like its resident memory, the most of its interval.
  std::vector<std::uint64_t> size_of(std::size_t{trace.max_id} + 1, 0);
  std::uint64_t live = 0;
  std::uint64_t live_in_interval = 0;
  json series = json::array();
  std::uint64_t peak_resident = 0;
  std::size_t next_sample = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const Op& op = trace.ops[i];
    if (op.kind != Op::Kind::allocate) live -= size_of[op.id];
    if (op.kind == Op::Kind::allocate) size_of[op.id] = op.size;
    if (op.kind == Op::Kind::reallocate) size_of[op.new_id] = op.size;
    if (op.kind != Op::Kind::free) live += op.size;
    live_in_interval = std::max(live_in_interval, live);
    if (samples[next_sample].op == i + 1) {
      const Sample& s = samples[next_sample++];
      peak_resident = std::max(peak_resident, s.resident);
      json point = {{"op", s.op}, {"live_bytes", live_in_interval}, {"resident_bytes", s.resident}};
      live_in_interval = 0;
      if (s.largest_free >= 0) {
        point["largest_free_bytes"] = s.largest_free;
        point["heap_used_bytes"] = s.heap_used;
        // Fragmentation: the share of free memory that is not in the largest free block.
        point["fragmentation"] = s.free_bytes == 0 ? 0.0
                                                   : 1.0 - static_cast<double>(s.largest_free) /
                                                               static_cast<double>(s.free_bytes);
      }
      series.push_back(std::move(point));
    }
  }
  out["memory"] = {{"peak_resident_bytes", peak_resident}, {"samples", std::move(series)}};
  if (backend.pool_heap()) out["check"] = report->checked_ok == 1;
  return out;
}

template <class Heap>
json measure_heap(const Backend& backend, TraceView trace, const MeasureOptions& options,
                  std::uint64_t peak, std::uint64_t largest_request) {
  const std::uint64_t wanted =
      options.pool_bytes != 0 ? options.pool_bytes : 2 * peak + largest_request + (1u << 16);
  const auto pool_bytes = static_cast<std::size_t>(wanted);
  json out = measure_with<HeapSetup<Heap>>(backend, trace, options, pool_bytes);
  out["pool_bytes"] = pool_bytes;
  out["control_block_bytes"] = sizeof(Heap);
  if (options.min_pool) {
    if (options.progress)
      std::fprintf(stderr, "  %s: searching for the smallest pool...", backend.name.c_str());
    const MinPool found = find_min_pool<Heap>(trace, peak);
    if (options.progress) std::fprintf(stderr, "\r%*s\r", 80, "");
    if (found.found) {
      out["min_pool"] = {
          {"bytes", found.bytes},
          {"pool_bytes", found.pool_bytes},
          {"ratio_to_peak_live", static_cast<double>(found.bytes) /
                                     static_cast<double>(std::max<std::uint64_t>(peak, 1))},
          {"tries", found.tries},
          {"resolution_bytes", found.resolution}};
    } else if (largest_request > Heap::max_allocation) {
      out["min_pool"] = {{"reason", fmt::format("a request of {} bytes is larger than the heap's "
                                                "largest block ({} bytes)",
                                                largest_request, Heap::max_allocation)}};
    } else {
      out["min_pool"] = {{"reason", "nothing up to 1 TiB replays the trace"}};
    }
  }
  return out;
}

}  // namespace

std::string check_malloc_source(const Backend& backend) {
  Dl_info info{};
  void* const malloc_address = dlsym(RTLD_DEFAULT, "malloc");
  if (malloc_address == nullptr || dladdr(malloc_address, &info) == 0 ||
      info.dli_fname == nullptr) {
    return "cannot tell which library malloc comes from";
  }
  const std::string source = info.dli_fname;
  std::string wanted = backend.preload.empty() ? "libc.so" : backend.preload;
  wanted = wanted.substr(wanted.find_last_of('/') + 1);
  const std::string stem = wanted.substr(0, wanted.find(".so"));
  if (source.find(stem) == std::string::npos) {
    return "malloc comes from " + source + ", not from " + wanted;
  }
  return {};
}

TraceFigures trace_figures(TraceView trace) {
  TraceFigures figures;
  figures.peak_live_bytes = trace::peak_live(trace.ops, trace.max_id).peak_live_bytes;
  for (const Op& op : trace.ops) {
    if (op.kind != Op::Kind::free)
      figures.largest_request = std::max(figures.largest_request, op.size);
  }
  return figures;
}

json measure(const Backend& backend, TraceView trace, const TraceFigures& figures,
             const MeasureOptions& options) {
  json out;
  if (backend.heap_config == "flex") {
#if RTALLOC_REPLAY_HAVE_FLEX
    out = measure_with<FlexSetup>(backend, trace, options, 0);
#else
    throw std::runtime_error("this build has no rtalloc::FlexTlsf");
#endif
  } else if (backend.pool_heap()) {
    const bool known = visit_config(backend.heap_config, [&]<class Heap>(std::type_identity<Heap>) {
      out = measure_heap<Heap>(backend, trace, options, figures.peak_live_bytes,
                               figures.largest_request);
    });
    if (!known) throw std::runtime_error("unknown heap configuration " + backend.heap_config);
  } else {
    out = measure_with<MallocSetup>(backend, trace, options, 0);
  }
  if (options.min_pool && !backend.fixed_pool()) {
    out["min_pool"] = {{"reason", backend.pool_heap()
                                      ? "it grows by mapping pages, so it has no pool to size"
                                      : "a malloc takes memory from the kernel as it goes, so it "
                                        "has no pool to size"}};
  }
  out["allocator"] = backend.name;
  out["description"] = backend.description;
  return out;
}

int replay_for_callgrind(const Backend& backend, TraceView trace, std::uint64_t pool_bytes) {
  const trace::Peak peak = trace::peak_live(trace.ops, trace.max_id);
  std::uint64_t counts[3] = {0, 0, 0};
  for (const Op& op : trace.ops) ++counts[static_cast<int>(op.kind)];
  const std::size_t bytes = static_cast<std::size_t>(
      pool_bytes != 0 ? pool_bytes
                      : std::max<std::uint64_t>(4 * peak.peak_live_bytes, std::uint64_t{1} << 16));
  std::uint64_t failed = 0;
  const auto run = [&]<class Setup>(Setup& setup) {
    auto* target = setup.entry_target();
    entry_table = entry_table_for<std::remove_pointer_t<decltype(target)>>;
    struct EntryCalls {
      void* target;
      void* allocate(std::size_t size, std::uint32_t align) noexcept {
        return rtalloc_replay_allocate(target, size, align);
      }
      void deallocate(void* p) noexcept { rtalloc_replay_deallocate(target, p); }
      void* reallocate(void* p, std::size_t size) noexcept {
        return rtalloc_replay_reallocate(target, p, size);
      }
    } calls{target};
    std::vector<void*> slots(std::size_t{trace.max_id} + 1, nullptr);
    for (const Op& op : trace.ops) failed += replay_op(op, calls, slots.data()) ? 0u : 1u;
    free_remaining(setup.calls, slots);
  };
  if (backend.heap_config == "flex") {
#if RTALLOC_REPLAY_HAVE_FLEX
    FlexSetup setup(0, false);
    run(setup);
#endif
  } else if (backend.pool_heap()) {
    visit_config(backend.heap_config, [&]<class Heap>(std::type_identity<Heap>) {
      HeapSetup<Heap> setup(bytes, true);
      run(setup);
    });
  } else {
    MallocSetup setup(0, false);
    run(setup);
  }
  std::printf("allocator    %s: %s\n", backend.name.c_str(), backend.description.c_str());
  std::printf("operations   %zu (allocate %llu, free %llu, reallocate %llu)\n", trace.ops.size(),
              static_cast<unsigned long long>(counts[0]),
              static_cast<unsigned long long>(counts[1]),
              static_cast<unsigned long long>(counts[2]));
  std::printf("failed       %llu allocations\n", static_cast<unsigned long long>(failed));
  return failed == 0 ? 0 : 1;
}

}  // namespace rtalloc::replay
