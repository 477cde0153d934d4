// SPDX-License-Identifier: MIT OR Apache-2.0
// Runs capture_workload under rtalloc-trace and reads back what was recorded: every file must
// load with the trace reader (which rejects a free of a block that is not live, so a wrong global
// order or a lost inherited block fails here), and the marker operations must be where they
// belong.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
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

struct Capture {
  int status = -1;
  std::vector<Trace> traces;  // the root process's first, then the others by file name
  std::vector<std::string> files;
};

Capture capture(const std::string& mode, const std::string& suffix = "") {
  const fs::path dir = fs::temp_directory_path() /
                       ("rtalloc_capture_test_" + mode + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path output = dir / ("run.trace" + suffix);
  const std::string command = std::string(RTALLOC_TRACE_COMMAND) + " -o " + output.string() +
                              " -- " + RTALLOC_CAPTURE_WORKLOAD + " " + mode + " 2>/dev/null";
  Capture result;
  const int status = std::system(command.c_str());
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    result.files.push_back(e.path().string());
  }
  std::sort(result.files.begin(), result.files.end());
  for (const std::string& f : result.files) result.traces.push_back(rtalloc::trace::load(f));
  fs::remove_all(dir);
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
  const fs::path dir =
      fs::temp_directory_path() / ("rtalloc_capture_dashes_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path touched = dir / "touched";
  const fs::path err = dir / "stderr";
  // Without --, touch must not run: the tool stops before starting anything.
  const std::string command = std::string(RTALLOC_TRACE_COMMAND) + " -o " +
                              (dir / "run.trace").string() + " touch " + touched.string() + " 2>" +
                              err.string();
  const int status = std::system(command.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0);
  EXPECT_FALSE(fs::exists(touched));
  EXPECT_FALSE(fs::exists(dir / "run.trace"));
  std::ifstream in(err);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
  EXPECT_NE(text.find("put -- before the program"), std::string::npos) << text;
  fs::remove_all(dir);
}

}  // namespace
