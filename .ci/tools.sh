#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# CI stage for the trace tools (rtalloc-trace, rtalloc-replay) and the comparison benchmarks, on a
# fresh Debian 12 machine: installs the comparison allocators and the tools' libraries, builds the
# release preset in build/ci-tools, and checks that
#   - the tools' tests pass (ctest -L tools: capture under threads, fork and exec; replay rules;
#     the smallest-pool search; zstd traces; the JSON report and plots);
#   - every trace in tests/data replays unchanged through every available allocator;
#   - a trace captured from a real program (sort) replays;
#   - bench/callgrind_ops.sh's checks hold for rtalloc and glibc;
#   - tlsf_bench runs (a short pass) and the demo target runs.
# Last line: "N passed, N failed"; exit status non-zero on any failure.
# Run time on a 2-core machine (measured here, shared with other work): about 5 minutes after the
# package installation, of which under 3 are the build.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

source .ci/lib.sh

packages=(
  cmake ninja-build g++ libgtest-dev libbenchmark-dev liblzma-dev xz-utils
  libzstd-dev zstd                                        # .zst traces
  libcli11-dev libfmt-dev nlohmann-json3-dev              # rtalloc-replay, rtalloc-trace
  libjemalloc-dev libmimalloc-dev libgoogle-perftools-dev # the allocators compared
  valgrind                                                # bench/callgrind_ops.sh
  coreutils                                               # sort, for a capture of a real program
)
install_packages "${packages[@]}" || exit 1

build=${RTALLOC_CI_BUILD_DIR:-build/ci-tools}  # the build folder; override to keep several apart
build_tools() {
  cmake --preset release -B "$build" &&
    cmake --build "$build" -j2 --target rtalloc_replay rtalloc_trace_command capture_test \
      replay_test tlsf_bench trace_stats
}
step "build (release preset, tools and benchmarks)" build_tools
replay=$build/tools/replay/rtalloc-replay

step "the tools' tests (ctest -L tools)" ctest --test-dir "$build" -L tools -j2 --output-on-failure

# Every allocator must replay every shared trace without a failed allocation.
replay_trace() {
  local report
  report=$("$replay" --allocators all --repeat 1 --samples 20 --json "$1") || return 1
  echo "$report" | grep -E '"(allocator|failed_allocations)"' | paste - - | sed 's/^ *//'
  ! echo "$report" | grep -qE '"failed_allocations": [1-9]|"error"'
}
for trace in tests/data/*.trace.xz; do
  step "replay $(basename "$trace") through every allocator" replay_trace "$trace"
done

capture_and_replay() {
  local dir
  dir=$(mktemp -d)
  seq 200000 | sed 's/$/ words to sort/' >"$dir/input.txt"
  "$build/tools/capture/rtalloc-trace" -o "$dir/sort.trace.zst" -- sort -R "$dir/input.txt" \
    -o "$dir/sorted.txt" &&
    "$build/tools/trace/trace_stats" "$dir/sort.trace.zst" &&
    "$replay" --allocators rtalloc,glibc --repeat 1 --min-pool "$dir/sort.trace.zst"
  local status=$?
  rm -rf "$dir"
  return $status
}
step "capture sort with rtalloc-trace, replay it" capture_and_replay

step "callgrind instruction counts (awk trace; the script checks its own totals)" \
  env RTALLOC_BUILD_DIR="$build" bash bench/callgrind_ops.sh tests/data/awk.trace.xz rtalloc glibc

step "tlsf_bench, short pass" "$build/bench/tlsf_bench" --benchmark_min_time=0.01

step "the demo target" cmake --build "$build" --target demo

summary
