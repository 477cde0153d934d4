// SPDX-License-Identifier: MIT OR Apache-2.0
// rtalloc-replay: replays an allocation trace through rtalloc's heaps and other allocators, and
// reports throughput, latency per operation kind, the smallest pool, and memory over time
// (docs/tools.md).
//
//   rtalloc-replay [--allocators rtalloc,glibc,...] [--repeat N] [--min-pool] [--json]
//                  [--plots DIR] TRACE
//
// Each allocator is measured by a copy of this program started with --worker NAME, with the
// allocator's library in LD_PRELOAD when it is a malloc replacement; the copy prints its results as
// JSON, which this process gathers into one report.
#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "backends.hpp"
#include "measure.hpp"
#include "svg_plot.hpp"
#include "trace/trace.hpp"

extern char** environ;

namespace {

using nlohmann::json;
using rtalloc::replay::Backend;

struct Options {
  std::string trace_path;
  std::vector<std::string> allocators{"rtalloc", "glibc"};
  rtalloc::replay::MeasureOptions measure;
  bool json_output = false;
  std::string plots_dir;
  std::string worker;  // internal: measure this one allocator and print JSON
  int trace_fd = -1;   // internal: the worker's trace, shared by the parent
  bool callgrind = false;
  bool no_progress = false;
  std::string command_line;  // how this run was started, for the report
};

// --- The trace, shared with the workers ----------------------------------------------------------
// The workers do not read the trace file themselves: parsing it would leave buffers freed into the
// allocator under test, which some allocators keep and then replay in, hiding part of their
// resident memory. This process parses it once into a memory file that each worker maps read-only,
// with the figures about the whole trace the workers need (its peak of live bytes, its largest
// request).

struct SharedTraceHeader {
  std::uint64_t magic;
  std::uint64_t op_count;
  std::uint32_t max_id;
  rtalloc::replay::TraceFigures figures;
};
constexpr std::uint64_t shared_trace_magic = 0x7274616c6c6f6331;  // "rtalloc1"
constexpr std::size_t shared_trace_ops_offset = 64;
static_assert(sizeof(SharedTraceHeader) <= shared_trace_ops_offset);
constexpr int worker_trace_fd = 3;

int share_trace(const rtalloc::trace::Trace& trace) {
  const int fd = memfd_create("rtalloc-replay-trace", MFD_CLOEXEC);
  if (fd < 0) throw std::runtime_error("memfd_create failed");
  const SharedTraceHeader header{shared_trace_magic, trace.ops.size(), trace.max_id,
                                 rtalloc::replay::trace_figures(trace)};
  const std::size_t op_bytes = trace.ops.size() * sizeof(rtalloc::trace::Op);
  if (ftruncate(fd, static_cast<off_t>(shared_trace_ops_offset + op_bytes)) != 0 ||
      pwrite(fd, &header, sizeof header, 0) != static_cast<ssize_t>(sizeof header)) {
    throw std::runtime_error("cannot write the shared trace");
  }
  const auto* bytes = reinterpret_cast<const char*>(trace.ops.data());
  for (std::size_t done = 0; done < op_bytes;) {
    const ssize_t wrote = pwrite(fd, bytes + done, op_bytes - done,
                                 static_cast<off_t>(shared_trace_ops_offset + done));
    if (wrote <= 0) throw std::runtime_error("cannot write the shared trace");
    done += static_cast<std::size_t>(wrote);
  }
  return fd;
}

struct SharedTrace {
  rtalloc::replay::TraceView view;
  rtalloc::replay::TraceFigures figures;
};

// Maps the trace a parent shared on `fd`; the mapping lives as long as the process.
SharedTrace map_shared_trace(int fd) {
  struct stat info {};
  if (fstat(fd, &info) != 0 || static_cast<std::size_t>(info.st_size) < shared_trace_ops_offset) {
    throw std::runtime_error("no shared trace on the worker's descriptor");
  }
  void* memory = mmap(nullptr, static_cast<std::size_t>(info.st_size), PROT_READ,
                      MAP_PRIVATE | MAP_POPULATE, fd, 0);
  if (memory == MAP_FAILED) throw std::runtime_error("cannot map the shared trace");
  const auto* header = static_cast<const SharedTraceHeader*>(memory);
  if (header->magic != shared_trace_magic) throw std::runtime_error("bad shared trace");
  const auto* ops = reinterpret_cast<const rtalloc::trace::Op*>(static_cast<const char*>(memory) +
                                                                shared_trace_ops_offset);
  return {{{ops, static_cast<std::size_t>(header->op_count)}, header->max_id}, header->figures};
}

// --- Running one allocator in a process of its own ----------------------------------------------

// The environment for `backend`'s worker: LD_PRELOAD names its library, or is removed.
std::vector<std::string> worker_environment(const Backend& backend) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "LD_PRELOAD=", 11) != 0) env.emplace_back(*e);
  }
  if (!backend.preload.empty()) env.push_back("LD_PRELOAD=" + backend.preload);
  return env;
}

// Starts this program as a worker for `backend` and returns its JSON, or throws.
json run_worker(const Backend& backend, const Options& options, int trace_fd) {
  std::vector<std::string> args = {"rtalloc-replay",
                                   "--worker",
                                   backend.name,
                                   "--trace-fd",
                                   std::to_string(worker_trace_fd),
                                   "--repeat",
                                   std::to_string(options.measure.repeat),
                                   "--samples",
                                   std::to_string(options.measure.memory_samples),
                                   "--pool",
                                   std::to_string(options.measure.pool_bytes)};
  if (options.measure.min_pool) args.emplace_back("--min-pool");
  if (!options.measure.progress) args.emplace_back("--no-progress");
  args.push_back(options.trace_path);
  const std::vector<std::string> env = worker_environment(backend);
  std::vector<char*> argv, envp;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const std::string& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, trace_fd, worker_trace_fd);
  pid_t pid = 0;
  const int spawned =
      posix_spawn(&pid, "/proc/self/exe", &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (spawned != 0) {
    close(out[0]);
    throw std::runtime_error(std::string("cannot start a worker: ") + std::strerror(spawned));
  }
  std::string text;
  char chunk[1 << 16];
  for (;;) {
    const ssize_t got = read(out[0], chunk, sizeof chunk);
    if (got > 0) {
      text.append(chunk, static_cast<std::size_t>(got));
    } else if (got == 0 || errno != EINTR) {
      break;
    }
  }
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error("the worker for " + backend.name + " failed (status " +
                             std::to_string(status) + ")");
  }
  return json::parse(text);
}

// --- Reporting ----------------------------------------------------------------------------------

json trace_summary(const rtalloc::trace::Trace& trace, const std::string& path) {
  std::uint64_t counts[3] = {0, 0, 0};
  for (const rtalloc::trace::Op& op : trace.ops) ++counts[static_cast<int>(op.kind)];
  const rtalloc::trace::Peak peak = rtalloc::trace::peak_live(trace);
  return {{"path", path},
          {"program", trace.program},
          {"operations", trace.ops.size()},
          {"allocate", counts[0]},
          {"free", counts[1]},
          {"reallocate", counts[2]},
          {"peak_live_bytes", peak.peak_live_bytes},
          {"blocks_at_peak", peak.blocks_at_peak}};
}

// The time now, in UTC, to the second: "2026-11-21T14:03:59Z".
std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm parts{};
  gmtime_r(&now, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

std::string mib(double bytes) { return fmt::format("{:.1f} MiB", bytes / (1 << 20)); }

std::string number_or_dash(const json& j, const char* key, const char* format = "{:.0f}") {
  if (!j.contains(key) || !j[key].is_number()) return "-";
  return fmt::format(fmt::runtime(format), j[key].get<double>());
}

// True when the allocator's replays ran to the end without a failed allocation: only then are its
// time and memory comparable with the others'.
bool complete(const json& a) {
  return !a.contains("error") && a["failed_allocations"].get<std::uint64_t>() == 0;
}

// What a table says in place of an allocator's figures when they are not comparable.
std::string not_comparable(const json& a) {
  if (a.contains("error")) return "FAILED: " + a["error"].get<std::string>();
  const std::string pool =
      a.contains("pool_bytes") ? " in a pool of " + mib(a["pool_bytes"].get<double>()) : "";
  return fmt::format("FAILED: {} allocations failed{}, so its figures are not comparable",
                     a["failed_allocations"].get<std::uint64_t>(), pool);
}

// Which run produced a report: when, on which trace, how often, and the allocators it compared.
std::vector<std::string> run_description(const json& report) {
  const json& run = report["run"];
  std::string allocators;
  for (const json& name : run["allocators"]) {
    allocators += (allocators.empty() ? "" : ", ") + name.get<std::string>();
  }
  return {fmt::format("run {}: {} ({} operations), --repeat {}", run["date"].get<std::string>(),
                      run["trace"].get<std::string>(),
                      report["trace"]["operations"].get<std::uint64_t>(),
                      run["repeat"].get<unsigned>()),
          "allocators: " + allocators};
}

void print_report(const json& report) {
  for (const std::string& line : run_description(report)) fmt::print("{}\n", line);
  fmt::print("command: {}\n\n", report["run"]["command"].get<std::string>());
  const json& t = report["trace"];
  fmt::print(
      "trace {} ({}): {} operations (allocate {}, free {}, reallocate {}); "
      "peak live {} in {} blocks\n",
      t["path"].get<std::string>(),
      t["program"].get<std::string>().empty() ? "-" : t["program"].get<std::string>(),
      t["operations"].get<std::uint64_t>(), t["allocate"].get<std::uint64_t>(),
      t["free"].get<std::uint64_t>(), t["reallocate"].get<std::uint64_t>(),
      mib(t["peak_live_bytes"].get<double>()), t["blocks_at_peak"].get<std::uint64_t>());

  const json& allocators = report["allocators"];
  fmt::print("\n{:<15} {:>9} {:>8} {:>14} {:>11} {:>9}\n", "allocator", "ns/op", "failed",
             "peak resident", "min pool", "/ peak");
  std::vector<std::string> notes;
  for (const json& a : allocators) {
    const std::string name = a["allocator"].get<std::string>();
    if (a.contains("error")) {
      fmt::print("{:<15} {}\n", name, not_comparable(a));
      continue;
    }
    std::string min_pool = "-", ratio = "-";
    if (a.contains("min_pool") && a["min_pool"].contains("bytes")) {
      min_pool = mib(a["min_pool"]["bytes"].get<double>());
      ratio = fmt::format("{:.3f}", a["min_pool"]["ratio_to_peak_live"].get<double>());
    } else if (a.contains("min_pool")) {
      min_pool = "none";
      notes.push_back(name + ": no smallest pool: " + a["min_pool"]["reason"].get<std::string>());
    }
    const bool ok = complete(a);
    if (!ok) notes.push_back(name + ": " + not_comparable(a));
    fmt::print("{:<15} {:>9} {:>8} {:>14} {:>11} {:>9}\n", name,
               ok ? fmt::format("{:.1f}", a["throughput"]["ns_per_op"].get<double>()) : "FAILED",
               a["failed_allocations"].get<std::uint64_t>(),
               ok ? mib(a["memory"]["peak_resident_bytes"].get<double>()) : "-", min_pool, ratio);
  }
  for (const std::string& note : notes) fmt::print("  {}\n", note);

  fmt::print(
      "\nlatency in ns (each operation: the minimum over {} replays; timer overhead "
      "subtracted)\n",
      report["options"]["repeat"].get<unsigned>());
  fmt::print("{:<15} {:<10} {:>8} {:>8} {:>8} {:>8} {:>9} {:>10}\n", "allocator", "operation",
             "p50", "p99", "p99.9", "p99.99", "max", "max cycles");
  for (const json& a : allocators) {
    if (!complete(a)) {
      fmt::print("{:<15} {}\n", a["allocator"].get<std::string>(), not_comparable(a));
      continue;
    }
    for (const char* kind : {"allocate", "free", "reallocate"}) {
      const json& k = a["latency"][kind];
      if (k["count"].get<std::uint64_t>() == 0) continue;
      const json& ns = k["ns"];
      fmt::print("{:<15} {:<10} {:>8} {:>8} {:>8} {:>8} {:>9} {:>10}\n",
                 a["allocator"].get<std::string>(), kind, number_or_dash(ns, "p50"),
                 number_or_dash(ns, "p99"), number_or_dash(ns, "p99.9"),
                 number_or_dash(ns, "p99.99"), number_or_dash(ns, "max"),
                 number_or_dash(k["cycles"], "max"));
    }
  }

  // Every allocator beside glibc, when glibc was measured and replayed the whole trace.
  const json* glibc = nullptr;
  for (const json& a : allocators) {
    if (a["allocator"] == "glibc" && complete(a)) glibc = &a;
  }
  if (glibc != nullptr && allocators.size() > 1) {
    fmt::print("\nagainst glibc (higher is better)\n");
    fmt::print("{:<15} {:>11} {:>15} {:>11}\n", "allocator", "throughput", "worst allocate",
               "worst free");
    for (const json& a : allocators) {
      if (&a == glibc) continue;
      if (!complete(a)) {
        fmt::print("{:<15} {}\n", a["allocator"].get<std::string>(), not_comparable(a));
        continue;
      }
      const auto worst_ratio = [&](const char* kind) {
        const double mine = a["latency"][kind]["ns"]["max"].get<double>();
        const double theirs = (*glibc)["latency"][kind]["ns"]["max"].get<double>();
        return mine <= 0 ? std::string("-") : fmt::format("{:.1f}x", theirs / mine);
      };
      fmt::print("{:<15} {:>10.2f}x {:>15} {:>11}\n", a["allocator"].get<std::string>(),
                 (*glibc)["throughput"]["ns_per_op"].get<double>() /
                     a["throughput"]["ns_per_op"].get<double>(),
                 worst_ratio("allocate"), worst_ratio("free"));
    }
  }
}

// The lines under a plot: which run produced it, and the allocators left out of it.
std::vector<std::string> run_notes(const json& report) {
  std::vector<std::string> notes = run_description(report);
  std::string left_out;
  for (const json& a : report["allocators"]) {
    if (!complete(a)) {
      left_out += (left_out.empty() ? "" : ", ") + a["allocator"].get<std::string>();
    }
  }
  if (!left_out.empty()) notes.push_back("left out, FAILED (see the report): " + left_out);
  return notes;
}

// The same style for an allocator in every plot: its place in the table of allocators.
rtalloc::replay::SeriesStyle allocator_style(const std::string& name) {
  const std::vector<Backend>& all = rtalloc::replay::all_backends();
  const auto at =
      std::find_if(all.begin(), all.end(), [&](const Backend& b) { return b.name == name; });
  return rtalloc::replay::series_style(static_cast<std::size_t>(at - all.begin()));
}

// Writes latency-allocate.svg, latency-free.svg and memory.svg into `dir`; returns their paths.
// Allocators that failed allocations are left out, and the notes under each plot say so.
std::vector<std::string> write_plots(const json& report, const std::string& dir) {
  namespace fs = std::filesystem;
  using rtalloc::replay::Axis;
  using rtalloc::replay::LineChart;
  using rtalloc::replay::Series;
  std::vector<std::string> written;
  const std::string trace_name = fs::path(report["trace"]["path"].get<std::string>()).filename();
  const std::vector<std::string> notes = run_notes(report);
  for (const char* kind : {"allocate", "free"}) {
    LineChart chart{fmt::format("{} latency, {}", kind, trace_name),
                    notes,
                    {"latency", true, Axis::Unit::nanoseconds},
                    {"fraction of operations at least this slow", true},
                    {}};
    for (const json& a : report["allocators"]) {
      if (!complete(a) || !a["latency"][kind].contains("exceedance")) continue;
      const std::string name = a["allocator"].get<std::string>();
      Series s{name, allocator_style(name), {}};
      for (const json& p : a["latency"][kind]["exceedance"]) {
        s.points.emplace_back(std::max(p[0].get<double>(), 1.0), p[1].get<double>());
      }
      chart.series.push_back(std::move(s));
    }
    const std::string path = (fs::path(dir) / fmt::format("latency-{}.svg", kind)).string();
    rtalloc::replay::write_svg(chart, path);
    written.push_back(path);
  }
  LineChart chart{fmt::format("memory over time, {}", trace_name),
                  notes,
                  {"operations replayed", false, Axis::Unit::count},
                  {"MiB (the most of each interval)", false},
                  {}};
  for (const json& a : report["allocators"]) {
    if (!complete(a)) continue;
    const std::string name = a["allocator"].get<std::string>();
    if (chart.series.empty()) {
      // The trace's live bytes are the same for every allocator: drawn once, from the first.
      Series live{"live bytes (trace)", rtalloc::replay::reference_style(), {}};
      for (const json& p : a["memory"]["samples"]) {
        live.points.emplace_back(p["op"].get<double>(), p["live_bytes"].get<double>() / (1 << 20));
      }
      chart.series.push_back(std::move(live));
    }
    Series resident{name + " resident", allocator_style(name), {}};
    for (const json& p : a["memory"]["samples"]) {
      resident.points.emplace_back(p["op"].get<double>(),
                                   p["resident_bytes"].get<double>() / (1 << 20));
    }
    chart.series.push_back(std::move(resident));
  }
  const std::string path = (fs::path(dir) / "memory.svg").string();
  rtalloc::replay::write_svg(chart, path);
  written.push_back(path);
  return written;
}

// --- Modes --------------------------------------------------------------------------------------

const Backend& backend_named(const std::string& name) {
  const Backend* b = rtalloc::replay::find_backend(name);
  if (b == nullptr) throw CLI::ValidationError("--allocators", "unknown allocator '" + name + "'");
  return *b;
}

// The allocators --allocators names, in its order, "all" standing for every available one.
// Throws CLI::ValidationError on an unknown name, or on one named twice.
std::vector<const Backend*> chosen_backends(const std::vector<std::string>& names) {
  std::vector<const Backend*> chosen;
  const auto add = [&](const Backend& b) {
    if (std::find(chosen.begin(), chosen.end(), &b) != chosen.end()) {
      throw CLI::ValidationError("--allocators", "names " + b.name + " twice");
    }
    chosen.push_back(&b);
  };
  for (const std::string& name : names) {
    if (name == "all") {
      for (const Backend& b : rtalloc::replay::all_backends()) {
        if (b.available) add(b);
      }
      continue;
    }
    const Backend& b = backend_named(name);
    if (!b.available) {
      std::fprintf(stderr,
                   "rtalloc-replay: skipping %s: its library was not found when this tool "
                   "was built\n",
                   b.name.c_str());
      continue;
    }
    add(b);
  }
  if (chosen.empty()) throw CLI::ValidationError("--allocators", "no available allocator named");
  return chosen;
}

// Loads the trace and refuses one that has nothing to replay.
rtalloc::trace::Trace load_trace(const std::string& path) {
  rtalloc::trace::Trace trace = rtalloc::trace::load(path);
  if (trace.ops.empty()) {
    throw std::runtime_error(path + ": no operations to replay (the trace has only its header)");
  }
  return trace;
}

// Makes sure --plots names a folder the plots can be written to, before any replay runs.
void prepare_plots_folder(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (fs::exists(dir, error) && !fs::is_directory(dir, error)) {
    throw CLI::ValidationError("--plots", dir + " is a file, not a folder");
  }
  fs::create_directories(dir, error);
  if (error) throw CLI::ValidationError("--plots", "cannot make " + dir + ": " + error.message());
}

int worker_main(const Options& options) {
  const Backend& backend = backend_named(options.worker);
  if (!backend.pool_heap()) {
    const std::string wrong = rtalloc::replay::check_malloc_source(backend);
    if (!wrong.empty()) throw std::runtime_error(backend.name + ": " + wrong);
  }
  const SharedTrace trace = map_shared_trace(options.trace_fd);
  const json result = rtalloc::replay::measure(backend, trace.view, trace.figures, options.measure);
  std::fputs(result.dump().c_str(), stdout);
  return 0;
}

int callgrind_main(const Options& options) {
  if (options.allocators.size() != 1) {
    throw CLI::ValidationError("--callgrind", "takes exactly one allocator");
  }
  const Backend& backend = backend_named(options.allocators.front());
  if (!backend.pool_heap()) {
    const std::string wrong = rtalloc::replay::check_malloc_source(backend);
    if (!wrong.empty()) {
      throw std::runtime_error(backend.name + ": " + wrong +
                               " (run with LD_PRELOAD=" + backend.preload + ")");
    }
  }
  const rtalloc::trace::Trace trace = load_trace(options.trace_path);
  return rtalloc::replay::replay_for_callgrind(backend, trace, options.measure.pool_bytes);
}

int report_main(const Options& options) {
  // Every check of the input comes before the first replay.
  const std::vector<const Backend*> chosen = chosen_backends(options.allocators);
  const rtalloc::trace::Trace trace = load_trace(options.trace_path);
  if (!options.plots_dir.empty()) prepare_plots_folder(options.plots_dir);
  const int trace_fd = share_trace(trace);
  json report;
  report["run"] = {{"date", utc_now()},
                   {"trace", options.trace_path},
                   {"repeat", options.measure.repeat},
                   {"allocators", json::array()},
                   {"command", options.command_line}};
  for (const Backend* b : chosen) report["run"]["allocators"].push_back(b->name);
  report["trace"] = trace_summary(trace, options.trace_path);
  report["options"] = {{"repeat", options.measure.repeat},
                       {"min_pool", options.measure.min_pool},
                       {"memory_samples", options.measure.memory_samples}};
  report["allocators"] = json::array();
  bool all_ok = true;
  for (const Backend* b : chosen) {
    try {
      report["allocators"].push_back(run_worker(*b, options, trace_fd));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "rtalloc-replay: %s\n", e.what());
      report["allocators"].push_back({{"allocator", b->name}, {"error", e.what()}});
      all_ok = false;
    }
  }
  std::vector<std::string> plots;
  if (!options.plots_dir.empty()) plots = write_plots(report, options.plots_dir);
  if (options.json_output) {
    std::puts(report.dump(2).c_str());
  } else {
    print_report(report);
    if (!plots.empty()) {
      fmt::print("\nplots:\n");
      for (const std::string& p : plots) fmt::print("  {}\n", p);
    }
  }
  return all_ok ? 0 : 1;
}

int list_main() {
  for (const Backend& b : rtalloc::replay::all_backends()) {
    fmt::print("{:<15} {:<11} {}{}\n", b.name, b.available ? "available" : "not found",
               b.description, b.preload.empty() ? "" : " [" + b.preload + "]");
  }
  return 0;
}

// A size like 64M for --pool: decimal digits and an optional k, M or G suffix; 0 asks for the
// default. A pool larger than the machine's memory is refused: the timed replays make every page
// of it resident.
std::uint64_t parse_pool_bytes(const std::string& text) {
  const auto wrong = [&](const std::string& why) {
    return CLI::ValidationError("--pool", "'" + text + "' " + why);
  };
  const std::size_t digits = text.find_first_not_of("0123456789");
  if (digits == 0 || text.empty()) {
    throw wrong("is not a size: a number of bytes with an optional k, M or G suffix");
  }
  const std::string suffix = digits == std::string::npos ? "" : text.substr(digits);
  unsigned shift = 0;
  if (suffix == "k" || suffix == "K") {
    shift = 10;
  } else if (suffix == "M") {
    shift = 20;
  } else if (suffix == "G") {
    shift = 30;
  } else if (!suffix.empty()) {
    throw wrong("has an unknown suffix: use k, M or G");
  }
  const std::string number = text.substr(0, digits);
  const std::uint64_t limit = static_cast<std::uint64_t>(sysconf(_SC_PHYS_PAGES)) *
                              static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
  if (number.size() > 19 || std::stoull(number) > (limit >> shift)) {
    throw wrong(fmt::format("is more than this machine's memory ({:.1f} GiB)",
                            static_cast<double>(limit) / (1 << 30)));
  }
  return std::stoull(number) << shift;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app{
      "Replays an allocation trace through rtalloc's heaps and other allocators, and "
      "reports throughput, latency, the smallest pool and memory over time.",
      "rtalloc-replay"};
  bool list = false;
  std::string pool_text = "0";
  app.add_option("trace", options.trace_path, "the trace (plain, .xz or .zst)");
  app.add_option("-a,--allocators", options.allocators,
                 "allocators to compare, comma-separated, or 'all' (see --list)")
      ->delimiter(',')
      ->allow_extra_args(false)
      ->capture_default_str();
  app.add_option("-r,--repeat", options.measure.repeat,
                 "replays for throughput, and again for latency (each operation's minimum)")
      ->check(CLI::Range(1u, 100u))
      ->capture_default_str();
  app.add_option("--pool", pool_text,
                 "pool bytes for rtalloc heaps (k, M, G suffixes); 0: 2 x peak live + largest "
                 "request")
      ->capture_default_str();
  app.add_flag("--min-pool", options.measure.min_pool,
               "rtalloc heaps: search for the smallest pool that replays the whole trace");
  app.add_option("--samples", options.measure.memory_samples, "points of memory over time")
      ->check(CLI::Range(2u, 100000u))
      ->capture_default_str();
  app.add_flag("--json", options.json_output, "print the report as JSON instead of tables");
  app.add_option("--plots", options.plots_dir,
                 "write latency-allocate.svg, latency-free.svg and memory.svg into this folder");
  app.add_flag("--no-progress", options.no_progress,
               "no progress bar (it is off anyway when "
               "stderr is not a terminal)");
  app.add_flag("--list", list, "list the allocators and whether each is available, then exit");
  app.add_flag("--callgrind", options.callgrind,
               "one replay in this process through the rtalloc_replay_* entry points, for "
               "bench/callgrind_ops.sh (one allocator; malloc replacements need LD_PRELOAD)");
  app.add_option("--worker", options.worker, "internal: measure one allocator, print JSON")
      ->group("");
  app.add_option("--trace-fd", options.trace_fd, "internal: the worker's shared trace")->group("");
  // Every error is one line on stderr.
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return "rtalloc-replay: " + std::string(e.what()) + "\n";
  });
  options.command_line = "rtalloc-replay";
  for (int i = 1; i < argc; ++i) options.command_line += std::string(" ") + argv[i];
  try {
    app.parse(argc, argv);
    options.measure.pool_bytes = parse_pool_bytes(pool_text);
    if (list) return list_main();
    if (options.trace_path.empty()) throw CLI::RequiredError("trace");
    options.measure.progress = !options.no_progress && isatty(STDERR_FILENO) == 1;
    if (!options.worker.empty()) return worker_main(options);
    if (options.callgrind) return callgrind_main(options);
    return report_main(options);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rtalloc-replay: %s\n", e.what());
    return 1;
  }
}
