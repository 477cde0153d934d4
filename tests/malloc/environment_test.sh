#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# The malloc library's environment variables, in a real process (docs/malloc.md has the table):
#   bad-value    an unparsable RTALLOC_MALLOC_DISCARD_THRESHOLD is reported exactly once on stderr
#   check        RTALLOC_MALLOC_CHECK=1 checks the heap at exit and says so
# Usage: environment_test.sh PROGRAM CASE   (PROGRAM: tests/malloc/environment_program.c, linked
# with librtalloc_malloc)
set -euo pipefail

program=$1
case_name=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/rtalloc-environment.XXXXXX")
trap 'rm -rf "$work"' EXIT

fail() {
  echo "FAILED: $*"
  echo "--- stderr:"
  cat "$work/stderr"
  exit 1
}

# Runs the program with a clean rtalloc environment plus the given variables; stderr to a file.
run() {
  env -u RTALLOC_MALLOC_DISCARD_THRESHOLD -u RTALLOC_MALLOC_CHECK "$@" 2>"$work/stderr"
}

case $case_name in
  bad-value)
    run RTALLOC_MALLOC_DISCARD_THRESHOLD=lots "$program"
    expected='rtalloc malloc: RTALLOC_MALLOC_DISCARD_THRESHOLD=lots: not a size; using the default 33554432'
    count=$(grep -cxF "$expected" "$work/stderr" || true)
    [ "$count" = 1 ] || fail "the report appeared $count times, not once"
    [ "$(wc -l <"$work/stderr")" = 1 ] || fail "stderr has more than the report"
    run RTALLOC_MALLOC_DISCARD_THRESHOLD=4MiB "$program"
    [ ! -s "$work/stderr" ] || fail "a good value was reported"
    ;;
  check)
    run RTALLOC_MALLOC_CHECK=1 "$program"
    grep -qxE 'rtalloc malloc: heap sound at exit: [1-9][0-9]* blocks in use, peak [0-9]+ bytes' \
      "$work/stderr" || fail "no heap check at exit"
    ;;
  *)
    echo "unknown case $case_name"
    exit 2
    ;;
esac
echo "$case_name: passed"
