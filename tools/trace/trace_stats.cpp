// SPDX-License-Identifier: MIT OR Apache-2.0
// trace_stats: prints what is in allocation traces (operation counts, peak live bytes, request
// sizes) and how long reading them took.
//
//   trace_stats TRACE...
//   trace_stats --help
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string_view>
#include <vector>

#include "trace/trace.hpp"

namespace {

using rtalloc::trace::Op;

void print_stats(const char* path) {
  const auto start = std::chrono::steady_clock::now();
  const rtalloc::trace::Trace trace = rtalloc::trace::load(path);
  const std::chrono::duration<double> load_time = std::chrono::steady_clock::now() - start;

  std::uint64_t allocates = 0, frees = 0, reallocates = 0, aligned = 0;
  std::vector<std::uint64_t> sizes;
  sizes.reserve(trace.ops.size());
  for (const Op& op : trace.ops) {
    switch (op.kind) {
      case Op::Kind::allocate:
        ++allocates;
        if (op.align != 0) ++aligned;
        sizes.push_back(op.size);
        break;
      case Op::Kind::free:
        ++frees;
        break;
      case Op::Kind::reallocate:
        ++reallocates;
        sizes.push_back(op.size);
        break;
    }
  }
  const rtalloc::trace::Peak peak = rtalloc::trace::peak_live(trace);
  const auto percentile = [&](double p) -> unsigned long long {
    if (sizes.empty()) return 0;
    const auto k = static_cast<std::size_t>(p * static_cast<double>(sizes.size() - 1));
    std::nth_element(sizes.begin(), sizes.begin() + static_cast<std::ptrdiff_t>(k), sizes.end());
    return sizes[k];
  };

  std::printf("%s\n", path);
  std::printf("  program        %s\n", trace.program.empty() ? "-" : trace.program.c_str());
  std::printf("  operations     %zu (allocate %llu, free %llu, reallocate %llu)\n",
              trace.ops.size(), static_cast<unsigned long long>(allocates),
              static_cast<unsigned long long>(frees), static_cast<unsigned long long>(reallocates));
  std::printf("  aligned        %llu allocations\n", static_cast<unsigned long long>(aligned));
  std::printf("  blocks         %u ids, %llu live at the end\n", trace.max_id,
              static_cast<unsigned long long>(allocates - frees));
  std::printf("  peak live      %llu bytes in %llu blocks\n",
              static_cast<unsigned long long>(peak.peak_live_bytes),
              static_cast<unsigned long long>(peak.blocks_at_peak));
  if (sizes.empty()) {
    std::printf("  request bytes  - (no requests)\n");
  } else {
    std::printf("  request bytes  median %llu, p90 %llu, p99 %llu, max %llu\n", percentile(0.5),
                percentile(0.9), percentile(0.99), percentile(1.0));
  }
  std::printf("  load time      %.2f s\n", load_time.count());
}

constexpr const char* usage =
    "usage: trace_stats TRACE...\n"
    "Prints what is in each allocation trace (plain, .xz or .zst): operation counts, peak live\n"
    "bytes, request sizes, and how long reading it took.\n";

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(usage, stdout);
      return 0;
    }
    if (arg.starts_with("-")) {
      std::fprintf(stderr, "trace_stats: unknown option %s (usage: trace_stats TRACE...)\n",
                   argv[i]);
      return 2;
    }
  }
  if (argc < 2) {
    std::fputs(usage, stderr);
    return 2;
  }
  try {
    for (int i = 1; i < argc; ++i) print_stats(argv[i]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "trace_stats: %s\n", e.what());
    return 1;
  }
  return 0;
}
