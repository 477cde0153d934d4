#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# memcheck_suite.sh BUILD_DIR
#
# Runs every GoogleTest executable of BUILD_DIR (a build with RTALLOC_VALGRIND=1, e.g. the
# valgrind preset) under Valgrind's memcheck, one valgrind process per executable, two at a time,
# and fails if memcheck reports any error or a test fails. One process per executable, not per
# test: valgrind's start-up would otherwise dominate (500 tests, seconds each).
#
# Left out: tests that damage the heap's own bytes on purpose to show that check() finds the
# damage (memcheck rightly reports those writes, since the heap's bytes are off limits to the
# program; they run in every other build), and the producer/consumer tests that spin between
# threads, which valgrind runs one thread at a time (ThreadSanitizer covers them: the tsan
# preset), and the exhaustive schedules of the remote-free queue (one thread switching between
# coroutines over its own memory: a minute under memcheck for nothing the other builds miss). The
# random model tests run RTALLOC_TEST_OPS operations per case (default here 5000) to
# keep the run to a few minutes.
set -uo pipefail

build=${1:?usage: memcheck_suite.sh BUILD_DIR}
command -v valgrind >/dev/null || { echo "$0: valgrind not found (Debian package valgrind)" >&2; exit 1; }
export RTALLOC_TEST_OPS=${RTALLOC_TEST_OPS:-5000}
left_out='*CheckDetectsDamaged*:*CheckPoolFindsDamageInThatPoolOnly*:*AssertionsCatchDamaged*:*Concurrency*:*RemoteFreeQueueModel*'

executables=()
while IFS= read -r exe; do
  # GoogleTest programs only.
  if grep -qa gtest_list_tests "$exe"; then executables+=("$exe"); fi
done < <(find "$build/tests" -type f -executable -name '*_test' | sort)
if [ "${#executables[@]}" -eq 0 ]; then
  echo "$0: no test executables under $build/tests" >&2
  exit 1
fi

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
run_one() { # run_one EXE LOG: memcheck's verdict in the exit code
  valgrind --tool=memcheck --error-exitcode=99 --leak-check=no -q "$1" --gtest_brief=1 \
    --gtest_filter="-$left_out" >"$2" 2>&1
}
export -f run_one
export left_out

printf '%s\n' "${executables[@]}" |
  xargs -P 2 -I{} bash -c 'log='"$logs"'/$(echo "{}" | tr / _).log; start=$SECONDS;
    if run_one "{}" "$log"; then r=passed; else r="FAILED (exit $?)"; fi;
    printf "%-60s %s %4d s\n" "{}" "$r" $((SECONDS - start)) | tee -a '"$logs"'/results'

failed=$(grep -c FAILED "$logs/results")
if [ "$failed" -ne 0 ]; then
  for log in "$logs"/*.log; do
    if grep -qE '^==[0-9]+== [A-Z]|FAILED' "$log"; then
      echo "---- $log"
      tail -n 60 "$log"
    fi
  done
fi
echo "memcheck: ${#executables[@]} executables, $failed failed"
[ "$failed" -eq 0 ]
