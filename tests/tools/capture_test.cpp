// SPDX-License-Identifier: MIT OR Apache-2.0
// Runs capture_workload under rtalloc-trace and reads back what was recorded: every file must
// load with the trace reader (which rejects a free of a block that is not live, so a wrong global
// order or a lost inherited block fails here), and the marker operations must be where they
// belong.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <trace/trace.hpp>
#include <vector>

#ifndef RTALLOC_TRACE_COMMAND
#error "RTALLOC_TRACE_COMMAND must name the rtalloc-trace program"
#endif

namespace {

namespace fs = std::filesystem;
using rtalloc::trace::Op;
using rtalloc::trace::Trace;

// One run of rtalloc-trace on capture_workload: its exit status and what it said on stderr.
struct CommandRun {
  int status = -1;
  std::string err;
};

CommandRun run_capture(const fs::path& output, const std::string& options,
                       const std::string& mode) {
  const fs::path err = output.parent_path() / "stderr.txt";
  const std::string command = std::string(RTALLOC_TRACE_COMMAND) + " " + options + " -o " +
                              output.string() + " -- " + RTALLOC_CAPTURE_WORKLOAD + " " + mode +
                              " 2>" + err.string();
  CommandRun run;
  const int status = std::system(command.c_str());
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(err);
  run.err.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  fs::remove(err);
  return run;
}

// The files in `dir`, sorted by name.
std::vector<std::string> files_in(const fs::path& dir) {
  std::vector<std::string> files;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// A folder of its own for one test, removed when the test ends.
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name)
      : path(fs::temp_directory_path() / (name + "_" + std::to_string(::getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

struct Capture {
  int status = -1;
  std::string err;            // what rtalloc-trace said
  std::vector<Trace> traces;  // the root process's first, then the others by file name
  std::vector<std::string> files;
  std::vector<std::string> headers;  // each file's first line (plain traces only)
};

Capture capture(const std::string& mode, const std::string& suffix = "",
                const std::string& options = "") {
  const TempDir dir("rtalloc_capture_test_" + mode);
  const CommandRun run = run_capture(dir.path / ("run.trace" + suffix), options, mode);
  Capture result;
  result.status = run.status;
  result.err = run.err;
  result.files = files_in(dir.path);
  for (const std::string& f : result.files) {
    result.traces.push_back(rtalloc::trace::load(f));
    std::ifstream in(f);
    std::string header;
    std::getline(in, header);
    result.headers.push_back(header);
  }
  return result;
}

// Operations whose size is `size`: allocations and resizes.
std::vector<Op> with_size(const Trace& t, std::uint64_t size) {
  std::vector<Op> found;
  for (const Op& op : t.ops) {
    if (op.kind != Op::Kind::free && op.size == size) found.push_back(op);
  }
  return found;
}

bool freed(const Trace& t, std::uint32_t id) {
  return std::any_of(t.ops.begin(), t.ops.end(),
                     [&](const Op& op) { return op.kind == Op::Kind::free && op.id == id; });
}

TEST(Capture, ThreadsShareOneValidOrder) {
  const Capture c = capture("threads");
  ASSERT_EQ(c.status, 0);
  ASSERT_EQ(c.traces.size(), 1u);
  std::size_t frees = 0, reallocates = 0;
  for (const Op& op : c.traces[0].ops) {
    frees += op.kind == Op::Kind::free ? 1 : 0;
    reallocates += op.kind == Op::Kind::reallocate ? 1 : 0;
  }
  // Each of 4 threads: 20,000 steps, of which 6,667 frees, 2,667 resizes and 10,666 allocations,
  // then 4,000 more frees of what is left.
  EXPECT_GE(c.traces[0].ops.size(), 4u * 24000u);
  EXPECT_GE(frees, 4u * 10666u);
  EXPECT_GE(reallocates, 4u * 2666u);
}

TEST(Capture, ForkedChildWritesItsOwnCompleteTrace) {
  const Capture c = capture("fork");
  ASSERT_EQ(c.status, 0);
  ASSERT_EQ(c.traces.size(), 2u) << "one file per process";
  const Trace& parent = c.traces[0];
  const Trace& child = c.traces[1];
  EXPECT_EQ(c.files[1], c.files[0] + "." + c.files[1].substr(c.files[0].size() + 1));
  // The parent allocated and freed its 100 blocks; the child only knows them as inherited.
  const std::vector<Op> parent_blocks = with_size(parent, 7000001);
  ASSERT_EQ(parent_blocks.size(), 100u);
  for (const Op& op : parent_blocks) EXPECT_TRUE(freed(parent, op.id));
  EXPECT_TRUE(with_size(parent, 7000002).empty());
  const std::vector<Op> inherited = with_size(child, 7000001);
  ASSERT_EQ(inherited.size(), 100u);
  const auto freed_in_child = std::count_if(inherited.begin(), inherited.end(),
                                            [&](const Op& op) { return freed(child, op.id); });
  EXPECT_EQ(freed_in_child, 50);
  EXPECT_EQ(with_size(child, 7000002).size(), 1u);
}

TEST(Capture, ExecKeepsBothImagesOperations) {
  const Capture c = capture("exec");
  ASSERT_EQ(c.status, 0);
  ASSERT_EQ(c.traces.size(), 2u);
  EXPECT_EQ(with_size(c.traces[0], 7000003).size(), 1u) << "written before the exec";
  EXPECT_EQ(with_size(c.traces[1], 7000004).size(), 1u) << "written by the new image";
}

TEST(Capture, RecordsEveryAllocationFunctionCompressed) {
  for (const std::string suffix : {".xz", ".zst"}) {
    const Capture c = capture("functions", suffix);
    ASSERT_EQ(c.status, 0);
    ASSERT_EQ(c.traces.size(), 1u);
    ASSERT_TRUE(c.files[0].ends_with(suffix)) << c.files[0];
    const Trace& t = c.traces[0];
    EXPECT_EQ(t.program, "capture_workload");
    const auto one = [&](std::uint64_t size) {
      const std::vector<Op> ops = with_size(t, size);
      EXPECT_EQ(ops.size(), 1u) << "size " << size;
      return ops.empty() ? Op{} : ops[0];
    };
    EXPECT_EQ(one(7000005).align, 64u);   // posix_memalign
    EXPECT_EQ(one(7000006).align, 128u);  // aligned_alloc
    EXPECT_EQ(one(7000007).align, 256u);  // memalign
    EXPECT_EQ(one(7000007).kind, Op::Kind::allocate);
    EXPECT_EQ(one(7000008).kind, Op::Kind::allocate);  // realloc(NULL, n)
    const Op resized = one(7000009);
    EXPECT_EQ(resized.kind, Op::Kind::reallocate);
    EXPECT_TRUE(freed(t, resized.new_id)) << "realloc(p, 0) is a free";
    EXPECT_EQ(one(7000010).align, static_cast<std::uint32_t>(sysconf(_SC_PAGESIZE)));  // valloc
    EXPECT_EQ(one(7001001).align, 0u);  // calloc(7, 1000143)
  }
}

TEST(CaptureCommand, RefusesAProgramWithoutTheDashes) {
  const TempDir dir("rtalloc_capture_dashes");
  const fs::path touched = dir.path / "touched";
  const fs::path err = dir.path / "stderr";
  // Without --, touch must not run: the tool stops before starting anything.
  const std::string command = std::string(RTALLOC_TRACE_COMMAND) + " -o " +
                              (dir.path / "run.trace").string() + " touch " + touched.string() +
                              " 2>" + err.string();
  const int status = std::system(command.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0);
  EXPECT_FALSE(fs::exists(touched));
  EXPECT_FALSE(fs::exists(dir.path / "run.trace"));
  std::ifstream in(err);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
  EXPECT_NE(text.find("put -- before the program"), std::string::npos) << text;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A second run into the same name is refused and leaves the first run's files as they were;
// with --force it removes all of them (the child's too) before it starts, so that the folder
// holds one run's files only.
TEST(CaptureCommand, NeverOverwritesOrMixesTwoRuns) {
  const TempDir dir("rtalloc_capture_two_runs");
  const fs::path output = dir.path / "run.trace.xz";
  ASSERT_EQ(run_capture(output, "", "fork").status, 0);
  const std::vector<std::string> first = files_in(dir.path);
  ASSERT_EQ(first.size(), 2u);
  std::vector<std::string> contents;
  for (const std::string& f : first) contents.push_back(read_text(f));

  const CommandRun refused = run_capture(output, "", "functions");
  EXPECT_NE(refused.status, 0);
  EXPECT_EQ(std::count(refused.err.begin(), refused.err.end(), '\n'), 1) << refused.err;
  EXPECT_NE(refused.err.find(output.string() + " is there"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("--force"), std::string::npos) << refused.err;
  ASSERT_EQ(files_in(dir.path), first);
  for (std::size_t i = 0; i < first.size(); ++i) EXPECT_EQ(read_text(first[i]), contents[i]);

  const CommandRun forced = run_capture(output, "--force", "functions");
  EXPECT_EQ(forced.status, 0) << forced.err;
  const std::vector<std::string> now = files_in(dir.path);
  ASSERT_EQ(now.size(), 1u);
  EXPECT_EQ(now[0], output.string());
  EXPECT_EQ(with_size(rtalloc::trace::load(now[0]), 7000005).size(), 1u) << "the second run's";
}

// rtalloc-trace lists every file it wrote with the program, the process id and the number of
// operations in it; every file carries the same run name in its header.
TEST(CaptureCommand, ListsWhatItWrote) {
  const Capture c = capture("fork");
  ASSERT_EQ(c.status, 0);
  ASSERT_EQ(c.files.size(), 2u);
  EXPECT_NE(c.err.find("wrote 2 traces"), std::string::npos) << c.err;
  std::string run_word;
  for (std::size_t i = 0; i < c.files.size(); ++i) {
    SCOPED_TRACE(c.headers[i]);
    const std::string& h = c.headers[i];
    const std::size_t pid_at = h.find(" pid="), run_at = h.find(" run=");
    ASSERT_NE(pid_at, std::string::npos);
    ASSERT_NE(run_at, std::string::npos);
    const std::string pid = h.substr(pid_at + 5, h.find(' ', pid_at + 1) - pid_at - 5);
    const std::string run = h.substr(run_at + 5, h.find(' ', run_at + 1) - run_at - 5);
    if (i == 0) run_word = run;
    EXPECT_EQ(run, run_word) << "one run, one name";
    const std::string line = "  " + c.files[i] + ": program capture_workload, pid " + pid + ", " +
                             std::to_string(c.traces[i].ops.size()) + " operations\n";
    EXPECT_NE(c.err.find(line), std::string::npos) << line << "in:\n" << c.err;
  }
  EXPECT_NE(c.headers[0], c.headers[1]) << "two processes, two ids";
}

// --no-children: the forked child records nothing; the parent's trace is as without the option.
TEST(CaptureCommand, NoChildrenRecordsTheFirstProcessOnly) {
  const Capture c = capture("fork", "", "--no-children");
  ASSERT_EQ(c.status, 0);
  ASSERT_EQ(c.traces.size(), 1u) << c.err;
  EXPECT_EQ(with_size(c.traces[0], 7000001).size(), 100u);
  EXPECT_TRUE(with_size(c.traces[0], 7000002).empty()) << "the child's allocation";
  // A program the first process execs is still that process: both images are recorded.
  const Capture e = capture("exec", "", "--no-children");
  ASSERT_EQ(e.status, 0);
  EXPECT_EQ(e.traces.size(), 2u) << e.err;
}

}  // namespace
