// SPDX-License-Identifier: MIT OR Apache-2.0
// rtalloc-replay: the replay rules, the smallest-pool search, zstd traces, the report the command
// prints (tables, --json, plots) and the bad input it refuses; trace_stats' options.
#include <gtest/gtest.h>
#if RTALLOC_TEST_HAVE_ZSTD
#include <zstd.h>
#endif

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <replay/replay.hpp>
#include <set>
#include <sstream>
#include <string>
#include <trace/trace.hpp>
#include <vector>

#ifndef RTALLOC_REPLAY_COMMAND
#error "RTALLOC_REPLAY_COMMAND must name the rtalloc-replay program"
#endif
#ifndef RTALLOC_TRACE_STATS_COMMAND
#error "RTALLOC_TRACE_STATS_COMMAND must name the trace_stats program"
#endif

namespace {

namespace fs = std::filesystem;
using namespace rtalloc::replay;
using rtalloc::Tlsf;
using rtalloc::TlsfSmall;

// A random trace: up to `live` blocks, sizes 1..2000, some aligned, some resized.
std::string random_trace_text(std::size_t ops, std::size_t live, unsigned seed) {
  std::mt19937 random(seed);  // 32-bit results, cast where stored
  std::string text = "# rtalloc-trace v1 program=random\n";
  std::vector<std::uint32_t> ids;
  std::uint32_t next = 1;
  for (std::size_t i = 0; i < ops; ++i) {
    const auto choice = static_cast<std::uint32_t>(random() % 10);
    const auto size = static_cast<std::uint32_t>(1 + random() % 2000);
    if (!ids.empty() && (choice < 4 || ids.size() >= live)) {
      const std::size_t k = random() % ids.size();
      text += "f " + std::to_string(ids[k]) + "\n";
      ids[k] = ids.back();
      ids.pop_back();
    } else if (!ids.empty() && choice == 4) {
      const std::size_t k = random() % ids.size();
      text += "r " + std::to_string(ids[k]) + " " + std::to_string(next) + " " +
              std::to_string(size) + "\n";
      ids[k] = next++;
    } else {
      const std::uint32_t align = choice == 5 ? 64u << (random() % 3) : 0;
      text += "a " + std::to_string(next) + " " + std::to_string(size) + " " +
              std::to_string(align) + "\n";
      ids.push_back(next++);
    }
  }
  return text;
}

// The trace line that allocates block `id` of `size` bytes at the default alignment.
std::string allocate_line(std::uint64_t id, std::uint64_t size) {
  return "a " + std::to_string(id) + " " + std::to_string(size) + " 0\n";
}

// Replays `trace` into a fresh heap over `bytes` of pool; true when nothing failed.
template <class Heap>
bool replays_in(const Trace& trace, std::size_t bytes) {
  std::vector<std::byte> memory(bytes + (1 << 16));  // 64 KiB-aligned, as find_min_pool does
  auto* start = reinterpret_cast<std::byte*>(
      (reinterpret_cast<std::uintptr_t>(memory.data()) + 0xFFFF) & ~std::uintptr_t{0xFFFF});
  auto heap = std::make_unique<Heap>();
  if (add_pools(*heap, start, bytes) == 0) return false;
  HeapCalls<Heap> calls{*heap};
  std::vector<void*> slots(std::size_t{trace.max_id} + 1);
  bool ok = true;
  for (const Op& op : trace.ops) ok = replay_op(op, calls, slots.data()) && ok;
  free_remaining(calls, slots);
  return ok && heap->check() && heap->stats().used_blocks == 0;
}

TEST(Replay, FailedAllocationLeavesAnEmptySlotThatLaterOperationsRespect) {
  const Trace trace =
      rtalloc::trace::parse("# rtalloc-trace v1\na 1 100000 0\nf 1\na 2 100000 0\nr 2 3 64\nf 3\n");
  alignas(16) static std::byte memory[4096];
  Tlsf<> heap;
  ASSERT_NE(heap.add_pool(memory, sizeof memory), 0u);
  HeapCalls<Tlsf<>> calls{heap};
  std::vector<void*> slots(trace.max_id + 1);
  EXPECT_FALSE(replay_op(trace.ops[0], calls, slots.data()));
  EXPECT_TRUE(replay_op(trace.ops[1], calls, slots.data()));  // free of a failed block: skipped
  EXPECT_FALSE(replay_op(trace.ops[2], calls, slots.data()));
  EXPECT_TRUE(replay_op(trace.ops[3], calls, slots.data()));  // resize of it: a new allocation
  EXPECT_NE(slots[3], nullptr);
  EXPECT_EQ(heap.stats().used_blocks, 1u);
  EXPECT_TRUE(replay_op(trace.ops[4], calls, slots.data()));
  EXPECT_EQ(heap.stats().used_blocks, 0u);
  EXPECT_TRUE(heap.check());
}

TEST(Replay, MinPoolIsTheSmallestThatFitsToItsResolution) {
  for (const unsigned seed : {1u, 2u, 3u}) {
    const Trace trace = rtalloc::trace::parse(random_trace_text(20000, 300, seed));
    const std::uint64_t peak = rtalloc::trace::peak_live(trace).peak_live_bytes;
    const MinPool found = find_min_pool<Tlsf<>>(trace, peak);
    ASSERT_TRUE(found.found);
    EXPECT_EQ(found.bytes, found.pool_bytes + sizeof(Tlsf<>));
    EXPECT_GT(found.pool_bytes, peak);
    EXPECT_TRUE(replays_in<Tlsf<>>(trace, found.pool_bytes)) << "seed " << seed;
    EXPECT_FALSE(replays_in<Tlsf<>>(trace, found.pool_bytes - found.resolution)) << "seed " << seed;
  }
}

TEST(Replay, MinPoolRefusesARequestLargerThanTheHeapsLargestBlock) {
  const Trace trace = rtalloc::trace::parse("# rtalloc-trace v1\na 1 1000000 0\n");
  EXPECT_FALSE(find_min_pool<TlsfSmall>(trace, 1000000).found);
}

#if RTALLOC_TEST_HAVE_ZSTD
TEST(TraceReader, ReadsZstdTracesAndRejectsTruncatedOnes) {
  const std::string text = random_trace_text(5000, 100, 7);
  std::string packed(ZSTD_compressBound(text.size()), '\0');
  packed.resize(ZSTD_compress(packed.data(), packed.size(), text.data(), text.size(), 3));
  const fs::path path = fs::temp_directory_path() / "rtalloc_replay_test.trace.zst";
  std::ofstream(path, std::ios::binary) << packed;
  const Trace from_zstd = rtalloc::trace::load(path.string());
  const Trace from_text = rtalloc::trace::parse(text);
  ASSERT_EQ(from_zstd.ops.size(), from_text.ops.size());
  EXPECT_EQ(from_zstd.max_id, from_text.max_id);
  EXPECT_EQ(from_zstd.program, "random");
  std::ofstream(path, std::ios::binary | std::ios::trunc) << packed.substr(0, packed.size() / 2);
  EXPECT_THROW(rtalloc::trace::load(path.string()), std::runtime_error);
  fs::remove(path);
}
#endif

// What a run of rtalloc-replay printed, and how it ended.
struct CommandResult {
  int status = -1;  // the exit status; -1 when it did not exit normally
  std::string out;  // standard output
  std::string err;  // standard error
};

// Runs `program` with `arguments` (shell words) and collects its output.
CommandResult run_command(const std::string& program, const std::string& arguments) {
  const fs::path err_path =
      fs::temp_directory_path() / ("rtalloc_replay_stderr_" + std::to_string(getpid()));
  const std::string command = program + " " + arguments + " 2>" + err_path.string();
  CommandResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char chunk[4096];
  while (const std::size_t got = fread(chunk, 1, sizeof chunk, pipe)) result.out.append(chunk, got);
  const int status = pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream err(err_path);
  result.err.assign(std::istreambuf_iterator<char>(err), std::istreambuf_iterator<char>());
  fs::remove(err_path);
  return result;
}

CommandResult run_replay(const std::string& arguments) {
  return run_command(RTALLOC_REPLAY_COMMAND, arguments);
}

// A folder of its own for one test, removed when the test ends.
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name)
      : path(fs::temp_directory_path() / (name + "_" + std::to_string(getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

// One legend entry of a plot: the series' name and colour.
struct LegendEntry {
  std::string name;
  std::string colour;
};

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The legend of a plot written by rtalloc-replay: each entry is a line sample followed by a label.
std::vector<LegendEntry> legend_of(const std::string& svg) {
  static const std::regex entry(
      "<line [^>]*stroke=\"(#[0-9a-f]{6})\"[^>]*/>(?:<[a-z]+ [^>]*/>)?<text [^>]*>([^<]*)</text>");
  std::vector<LegendEntry> found;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), entry); it != std::sregex_iterator();
       ++it) {
    found.push_back({(*it)[2].str(), (*it)[1].str()});
  }
  return found;
}

// What every plot of a report must do: say which run made it; give each allocator one colour in
// all plots, never the colour of the trace's live bytes; keep every line inside the frame, off
// its edges; and label latencies with their unit.
void check_plots(const fs::path& dir, const nlohmann::json& report) {
  std::map<std::string, std::string> colour_of;  // allocator -> colour, across the plots
  std::string live_colour;
  for (const char* plot : {"latency-allocate.svg", "latency-free.svg", "memory.svg"}) {
    SCOPED_TRACE(plot);
    const std::string svg = read_text(dir / plot);
    ASSERT_GT(svg.size(), 500u);
    EXPECT_NE(svg.find(report["run"]["date"].get<std::string>()), std::string::npos);
    EXPECT_NE(svg.find(report["trace"]["path"].get<std::string>()), std::string::npos);
    EXPECT_NE(svg.find("--repeat " + report["run"]["repeat"].dump()), std::string::npos);
    for (const nlohmann::json& name : report["run"]["allocators"]) {
      EXPECT_NE(svg.find(name.get<std::string>()), std::string::npos) << name;
    }
    std::set<std::string> colours_here;
    for (const LegendEntry& e : legend_of(svg)) {
      std::string name = e.name;
      if (name == "live bytes (trace)") {
        live_colour = e.colour;
        continue;
      }
      if (name.ends_with(" resident")) name.resize(name.size() - std::string(" resident").size());
      EXPECT_TRUE(colours_here.insert(e.colour).second) << name << " shares its colour";
      const auto [at, added] = colour_of.emplace(name, e.colour);
      EXPECT_EQ(at->second, e.colour) << name << " changes colour between plots";
    }
    EXPECT_EQ(colours_here.size(), report["allocators"].size());
    if (std::string(plot).starts_with("latency")) {
      EXPECT_TRUE(svg.find(" ns</text>") != std::string::npos ||
                  svg.find(" \u00b5s</text>") != std::string::npos);
    }
    // Every point of every line lies inside the frame, at least a pixel off its edges.
    static const std::regex frame_pattern(
        "<rect x=\"([0-9.]+)\" y=\"([0-9.]+)\" width=\"([0-9.]+)\" height=\"([0-9.]+)\" "
        "fill=\"none\"");
    std::smatch frame;
    ASSERT_TRUE(std::regex_search(svg, frame, frame_pattern));
    const double x0 = std::stod(frame[1]), y0 = std::stod(frame[2]);
    const double x1 = x0 + std::stod(frame[3]), y1 = y0 + std::stod(frame[4]);
    static const std::regex points_pattern("<polyline [^>]*points=\"([^\"]*)\"");
    std::size_t lines = 0;
    for (auto it = std::sregex_iterator(svg.begin(), svg.end(), points_pattern);
         it != std::sregex_iterator(); ++it) {
      ++lines;
      std::istringstream points((*it)[1].str());
      double x = 0, y = 0;
      char comma = 0;
      while (points >> x >> comma >> y) {
        EXPECT_TRUE(x > x0 + 1 && x < x1 - 1 && y > y0 + 1 && y < y1 - 1) << x << "," << y;
      }
    }
    EXPECT_EQ(lines, colours_here.size() + (live_colour.empty() ? 0 : 1));
  }
  EXPECT_FALSE(live_colour.empty()) << "the memory plot shows the live bytes";
  for (const auto& [name, colour] : colour_of) EXPECT_NE(colour, live_colour) << name;
}

// The allocators a report compares: under a sanitizer malloc is the sanitizer's, so rtalloc alone.
#if RTALLOC_TEST_SANITIZED
const std::string report_allocators = "rtalloc";
#else
const std::string report_allocators = "rtalloc,glibc";
#endif

TEST(ReplayCommand, JsonReportHasEveryFigure) {
  const TempDir temp("rtalloc_replay_cli");
  const fs::path& dir = temp.path;
  const fs::path trace_path = dir / "random.trace";
  const std::string text = random_trace_text(30000, 500, 11);
  std::ofstream(trace_path) << text;
  const std::string& allocators = report_allocators;
  const CommandResult run =
      run_replay("--json --repeat 2 --min-pool --samples 50 -a " + allocators + " --plots " +
                 (dir / "plots").string() + " " + trace_path.string());
  ASSERT_EQ(run.status, 0) << run.err;
  const nlohmann::json report = nlohmann::json::parse(run.out);

  const Trace trace = rtalloc::trace::parse(text);
  EXPECT_EQ(report["trace"]["operations"], trace.ops.size());
  EXPECT_EQ(report["trace"]["peak_live_bytes"], rtalloc::trace::peak_live(trace).peak_live_bytes);
  ASSERT_EQ(report["allocators"].size(), allocators == "rtalloc" ? 1u : 2u);
  for (const nlohmann::json& a : report["allocators"]) {
    SCOPED_TRACE(a.dump().substr(0, 200));
    ASSERT_FALSE(a.contains("error"));
    EXPECT_GT(a["throughput"]["ns_per_op"].get<double>(), 0.0);
    EXPECT_EQ(a["throughput"]["runs_ns_per_op"].size(), 2u);
    EXPECT_EQ(a["failed_allocations"], 0);
    std::size_t counted = 0;
    for (const char* kind : {"allocate", "free", "reallocate"}) {
      const nlohmann::json& k = a["latency"][kind];
      counted += k["count"].get<std::size_t>();
      EXPECT_LE(k["cycles"]["p50"].get<double>(), k["cycles"]["p99"].get<double>());
      EXPECT_LE(k["cycles"]["p99.99"].get<double>(), k["cycles"]["max"].get<double>());
    }
    EXPECT_EQ(counted, trace.ops.size());
    const nlohmann::json& samples = a["memory"]["samples"];
    ASSERT_GE(samples.size(), 50u);
    EXPECT_EQ(samples.back()["op"], trace.ops.size());
  }
  const nlohmann::json& rtalloc = report["allocators"][0];
  EXPECT_EQ(rtalloc["allocator"], "rtalloc");
  EXPECT_TRUE(rtalloc["check"].get<bool>());
  EXPECT_GE(rtalloc["min_pool"]["ratio_to_peak_live"].get<double>(), 1.0);
  EXPECT_TRUE(rtalloc["memory"]["samples"][0].contains("largest_free_bytes"));
  if (report["allocators"].size() > 1) {
    const nlohmann::json& glibc_pool = report["allocators"][1]["min_pool"];
    EXPECT_FALSE(glibc_pool.contains("bytes"));
    EXPECT_NE(glibc_pool["reason"].get<std::string>().find("no pool"), std::string::npos)
        << "glibc has no pool";
  }
  // Which run produced the report, and so the plots.
  const nlohmann::json& run_info = report["run"];
  EXPECT_EQ(run_info["date"].get<std::string>().size(), std::string("2026-11-21T14:03:59Z").size());
  EXPECT_NE(run_info["command"].get<std::string>().find("--repeat 2"), std::string::npos);
  EXPECT_EQ(run_info["trace"], trace_path.string());
  EXPECT_EQ(run_info["repeat"], 2);
  EXPECT_EQ(run_info["allocators"].size(), report["allocators"].size());
  check_plots(dir / "plots", report);
}

// No allocator keeps live data in less memory than the data itself: at every sample, the resident
// memory an allocator gained must be at least the bytes live at that moment. The trace has many
// operations and few live bytes, so that memory the measuring process used for itself and freed
// before the replay (and that a malloc keeps) would outweigh what the replay needs.
TEST(ReplayCommand, ResidentMemoryIsNeverBelowTheLiveBytes) {
  const TempDir temp("rtalloc_replay_resident");
  const fs::path trace_path = temp.path / "random.trace";
  const std::string text = random_trace_text(400000, 1500, 5);
  std::ofstream(trace_path) << text;
  const CommandResult run = run_replay("--json --repeat 1 --samples 100 -a " + report_allocators +
                                       " " + trace_path.string());
  ASSERT_EQ(run.status, 0) << run.err;
  const nlohmann::json report = nlohmann::json::parse(run.out);
  const std::uint64_t peak_live = report["trace"]["peak_live_bytes"];
  for (const nlohmann::json& a : report["allocators"]) {
    const std::string name = a["allocator"];
    ASSERT_FALSE(a.contains("error")) << name;
    const nlohmann::json& samples = a["memory"]["samples"];
    ASSERT_GE(samples.size(), 100u) << name;
    std::size_t below = 0;
    for (const nlohmann::json& s : samples) {
      if (s["resident_bytes"].get<std::uint64_t>() < s["live_bytes"].get<std::uint64_t>()) {
        ++below;
      }
    }
    EXPECT_EQ(below, 0u) << name << ": samples below the live bytes, of " << samples.size();
    EXPECT_GE(a["memory"]["peak_resident_bytes"].get<std::uint64_t>(), peak_live) << name;
  }
}

// A peak between two samples is kept: each sample holds the most of its interval, for the live
// bytes and the resident memory alike. The trace's one large block lives for two operations in
// the middle of an interval of 500.
TEST(ReplayCommand, SamplesKeepAShortPeakBetweenThem) {
  const TempDir temp("rtalloc_replay_spike");
  const fs::path trace_path = temp.path / "spike.trace";
  constexpr std::uint64_t small = 100, smalls = 1000, large = 8 << 20;
  std::string text = "# rtalloc-trace v1 program=spike\n";
  for (std::uint64_t id = 1; id <= smalls; ++id) text += allocate_line(id, small);
  text += allocate_line(smalls + 1, large) + "f " + std::to_string(smalls + 1) + "\n";
  for (std::uint64_t id = 1; id <= smalls; ++id) text += "f " + std::to_string(id) + "\n";
  std::ofstream(trace_path) << text;
  const CommandResult run = run_replay("--json --repeat 1 --samples 4 -a " + report_allocators +
                                       " " + trace_path.string());
  ASSERT_EQ(run.status, 0) << run.err;
  const nlohmann::json report = nlohmann::json::parse(run.out);
  const std::uint64_t peak_live = report["trace"]["peak_live_bytes"];
  ASSERT_EQ(peak_live, smalls * small + large);
  for (const nlohmann::json& a : report["allocators"]) {
    const std::string name = a["allocator"];
    ASSERT_FALSE(a.contains("error")) << name;
    std::uint64_t most_live = 0;
    for (const nlohmann::json& s : a["memory"]["samples"]) {
      SCOPED_TRACE(name + " " + s.dump());
      const auto op = s["op"].get<std::uint64_t>();
      most_live = std::max(most_live, s["live_bytes"].get<std::uint64_t>());
      if (op > smalls && op - 500 < smalls + 1) {  // the interval holding the large block
        EXPECT_EQ(s["live_bytes"].get<std::uint64_t>(), peak_live);
        EXPECT_GE(s["resident_bytes"].get<std::uint64_t>(), peak_live);
      } else {
        EXPECT_LT(s["live_bytes"].get<std::uint64_t>(), large);
      }
    }
    EXPECT_EQ(most_live, peak_live) << name;
    EXPECT_GE(a["memory"]["peak_resident_bytes"].get<std::uint64_t>(), peak_live) << name;
  }
}

// The report's text, cut into its tables (blocks of lines between empty lines).
std::vector<std::vector<std::string>> tables_of(const std::string& text) {
  std::vector<std::vector<std::string>> tables(1);
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) {
      if (!tables.back().empty()) tables.emplace_back();
    } else {
      tables.back().push_back(line);
    }
  }
  return tables;
}

// A pool too small for the trace: rtalloc fails allocations, and each table says so in place of
// its figures (which would otherwise rank it faster, having done less work). --min-pool still finds
// the smallest pool, and says why glibc has none.
TEST(ReplayCommand, AnAllocatorWithFailedAllocationsIsMarkedInEveryTable) {
  const TempDir temp("rtalloc_replay_failed");
  const fs::path trace_path = temp.path / "random.trace";
  std::ofstream(trace_path) << random_trace_text(20000, 500, 3);
  const CommandResult run = run_replay("--repeat 1 --samples 10 --min-pool --pool 64k -a " +
                                       report_allocators + " " + trace_path.string());
  ASSERT_EQ(run.status, 0) << run.err;
  // The report opens with the run that produced it: date, trace, --repeat, allocators.
  EXPECT_TRUE(run.out.starts_with("run 20")) << run.out;
  EXPECT_NE(run.out.find(": " + trace_path.string() + " (20000 operations), --repeat 1\n"),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("\nallocators: rtalloc"), std::string::npos) << run.out;
  std::size_t tables_with_rtalloc = 0;
  bool min_pool_found = false, glibc_reason_given = false;
  for (const std::vector<std::string>& table : tables_of(run.out)) {
    bool has_rtalloc = false;
    for (const std::string& line : table) {
      SCOPED_TRACE(line);
      if (line.starts_with("rtalloc ")) {
        has_rtalloc = true;
        EXPECT_NE(line.find("FAILED"), std::string::npos);
        EXPECT_EQ(line.find("x "), std::string::npos) << "no ratio to glibc";
        min_pool_found = min_pool_found || line.find(" MiB ") != std::string::npos;
      }
      if (line.starts_with("  glibc: no smallest pool: ")) glibc_reason_given = true;
    }
    tables_with_rtalloc += has_rtalloc ? 1 : 0;
  }
  EXPECT_TRUE(min_pool_found) << run.out;
  if (report_allocators.find("glibc") != std::string::npos) {
    EXPECT_EQ(tables_with_rtalloc, 3u) << "allocators, latency, against glibc:\n" << run.out;
    EXPECT_TRUE(glibc_reason_given) << run.out;
  } else {
    EXPECT_EQ(tables_with_rtalloc, 2u) << "allocators, latency:\n" << run.out;
  }
}

TEST(TraceReader, RefusesALastLineWithoutItsNewline) {
  try {
    // "a 2 4096 16" cut after its "1": what is left reads as an alignment of 1.
    rtalloc::trace::parse("# rtalloc-trace v1\na 1 10 0\na 2 4096 1", "cut.trace");
    FAIL() << "a trace cut short was read";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cut.trace:3: "), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("cut short"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(rtalloc::trace::parse("# rtalloc-trace v1\na 1 10 0\na 2 4096 1\n"));
}

TEST(TraceReader, RefusesADirectory) {
  const TempDir temp("rtalloc_trace_directory");
  try {
    rtalloc::trace::load(temp.path.string());
    FAIL() << "a directory was read as a trace";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("is a directory"), std::string::npos) << e.what();
  }
}

// Each bad input is refused before any replay: a non-zero exit, nothing on stdout, and one line on
// stderr that says what is wrong.
TEST(ReplayCommand, RefusesBadInputWithOneLine) {
  const TempDir temp("rtalloc_replay_bad_input");
  const fs::path good = temp.path / "good.trace";
  std::ofstream(good) << random_trace_text(2000, 100, 9);
  const fs::path header_only = temp.path / "header.trace";
  std::ofstream(header_only) << "# rtalloc-trace v1 program=nothing\n";
  const fs::path cut = temp.path / "cut.trace";
  const std::string whole = random_trace_text(2000, 100, 9);
  std::ofstream(cut) << whole.substr(0, whole.size() - 1);  // the last line reads well without '\n'

  const fs::path file = temp.path / "a-file";
  std::ofstream(file) << "not a folder\n";
  const std::string trace = " " + good.string();
  const struct {
    std::string arguments;
    std::string says;
  } cases[] = {
      {header_only.string(), "no operations to replay"},
      {"--pool -5" + trace, "'-5' is not a size"},
      {"--pool 100000G" + trace, "more than this machine's memory"},
      {"--pool 12X" + trace, "unknown suffix"},
      {"--plots " + file.string() + trace, "is a file, not a folder"},
      {temp.path.string(), "is a directory, not a trace"},
      {"-a rtalloc,rtalloc" + trace, "names rtalloc twice"},
      {"-a all,rtalloc" + trace, "names rtalloc twice"},
      {cut.string(), "cut short"},
      {"-a nothing" + trace, "unknown allocator 'nothing'"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.arguments);
    const CommandResult run = run_replay("--repeat 1 --samples 10 " + c.arguments);
    EXPECT_NE(run.status, 0);
    EXPECT_EQ(run.out, "");
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
    EXPECT_TRUE(run.err.starts_with("rtalloc-replay: ")) << run.err;
    EXPECT_NE(run.err.find(c.says), std::string::npos) << run.err;
  }
  EXPECT_EQ(fs::file_size(file), std::string("not a folder\n").size());
}

TEST(TraceStatsCommand, HelpAndBadInput) {
  const CommandResult help = run_command(RTALLOC_TRACE_STATS_COMMAND, "--help");
  EXPECT_EQ(help.status, 0) << help.err;
  EXPECT_TRUE(help.out.starts_with("usage: trace_stats TRACE")) << help.out;
  const TempDir temp("rtalloc_trace_stats");
  const fs::path cut = temp.path / "cut.trace";
  std::ofstream(cut) << "# rtalloc-trace v1\na 1 10 0\na 2 1";
  for (const std::string& arguments :
       {std::string("--frobnicate"), temp.path.string(), cut.string()}) {
    const CommandResult run = run_command(RTALLOC_TRACE_STATS_COMMAND, arguments);
    EXPECT_NE(run.status, 0) << arguments;
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << arguments << ": " << run.err;
  }
}

}  // namespace
