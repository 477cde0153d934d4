#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# CI stage: memory safety (docs/safety.md). On a fresh Debian 12 machine:
#   1. the fuzz preset (Clang, ASan + UBSan, pools poisoned, checked heap): the whole test suite,
#      which includes the memory-checker tests, the debug heap, every fuzz target's seed corpus and
#      the inputs kept in tests/fuzz/regressions/ (none yet), and the short soak;
#   2. each libFuzzer target for FUZZ_SECONDS (default 45) from a copy of its seed corpus; a crash
#      input is kept in <build>/fuzz-artifacts/ and fails the stage;
#   3. the valgrind preset (RTALLOC_VALGRIND=1: client requests describe every allocation and free
#      inside pools): the memory-checker tests, then the test suite under Valgrind's memcheck
#      (tests/safety/memcheck_suite.sh).
# Prints "N passed, N failed" (one per step) as its last line; exits non-zero on any failure.
# Measured on a 2-core Debian 12 machine shared with other builds, from empty build trees and with
# FUZZ_SECONDS=60: 16 minutes (fuzz build 3.4, its suite 0.7, fuzzing 3.2, valgrind build 5.5,
# memcheck suite 3.2). The default of 45 seconds per target saves most of a minute.
#
# BUILD_PREFIX (default build/) names where the build trees go: ${BUILD_PREFIX}fuzz and
# ${BUILD_PREFIX}valgrind.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

source .ci/lib.sh

packages=(
  cmake              # 3.25: presets
  ninja-build        # the presets' generator
  g++                # the valgrind preset's compiler
  clang-14           # the fuzz preset's compiler
  libclang-rt-14-dev # libFuzzer and the sanitizer runtimes for Clang
  valgrind           # memcheck and <valgrind/memcheck.h>
  libgtest-dev       # tests
  liblzma-dev        # the trace reader reads .xz traces (the trace tests and the soak)
  xz-utils
)
install_packages "${packages[@]}" || exit 1

prefix=${BUILD_PREFIX:-build/}
fuzz_seconds=${FUZZ_SECONDS:-45}
build() { # build PRESET DIR (-k 0: build all that can be built, so later steps still report)
  cmake --preset "$1" -B "$2" && cmake --build "$2" -j 2 -- -k 0
}

suite() { # suite DIR [CTEST OPTIONS...]
  local dir=$1
  shift
  ctest --test-dir "$dir" -j 2 --output-on-failure --no-tests=error "$@"
}

# fuzz_target DIR TARGET CORPUS_NAME: FUZZ_SECONDS of fuzzing from a copy of the seed corpus.
fuzz_target() {
  local dir=$1 target=$2 corpus=$3
  [ -x "$dir/tests/fuzz/$target" ] || { echo "$target was not built"; return 1; }
  local work
  work=$(mktemp -d)
  cp tests/fuzz/corpus/"$corpus"/* "$work"/
  mkdir -p "$dir/fuzz-artifacts"
  "$dir/tests/fuzz/$target" -max_total_time="$fuzz_seconds" -print_final_stats=1 \
    -artifact_prefix="$dir/fuzz-artifacts/$target-" "$work" 2>&1 | grep -v '^#[0-9]'
  local status=${PIPESTATUS[0]}
  rm -rf "$work"
  if [ "$status" -ne 0 ]; then
    echo "$target found a crash: the input is in $dir/fuzz-artifacts/; add it to" \
      "tests/fuzz/regressions/$corpus/ (make the folder if it is the first), where the" \
      "$target.corpus test replays it, and fix the bug"
  fi
  return "$status"
}

fuzz_dir=${prefix}fuzz
valgrind_dir=${prefix}valgrind

# Tests that write the heap's own bytes on purpose, to show that check() finds the damage: with
# pools poisoned, ASan rightly stops them. They run in every other preset. (memcheck_suite.sh
# leaves out the same GoogleTest cases.)
deliberate_damage='CheckDetectsDamaged|CheckPoolFindsDamageInThatPoolOnly|AssertionsCatchDamaged|^c_api_test$'

step "fuzz preset: build" build fuzz "$fuzz_dir"
step "fuzz preset: test suite" suite "$fuzz_dir" --exclude-regex "$deliberate_damage"
# Every target tests/fuzz/CMakeLists.txt builds; one that was not built fails its step.
for target in tlsf_fuzz slab_fuzz handle_fuzz offset_fuzz; do
  step "$target: ${fuzz_seconds} s" fuzz_target "$fuzz_dir" "$target" "${target%_fuzz}"
done

# The valgrind preset: the memory-checker tests (which start valgrind themselves), then every
# GoogleTest program under memcheck, one valgrind process per program.
step "valgrind preset: build" build valgrind "$valgrind_dir"
step "valgrind preset: checker tests" suite "$valgrind_dir" --label-regex safety
step "valgrind preset: memcheck suite" bash tests/safety/memcheck_suite.sh "$valgrind_dir"

summary
