#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# The malloc library's environment variables, in a real process (docs/malloc.md has the table):
#   bad-value    an unparsable RTALLOC_MALLOC_DISCARD_THRESHOLD is reported exactly once on stderr
#   show-stats   RTALLOC_MALLOC_SHOW_STATS=1 prints the statistics on stderr at exit
#   closed       ... and still on the original stderr when the program closed it, never into the
#                file that took descriptor 2 afterwards
#   closed-all   ... and never into a file the program opened under the number of the library's
#                duplicate of stderr after closing it (they go to /dev/tty, or nowhere)
#   stats-file   RTALLOC_MALLOC_STATS_FILE=PATH appends them to PATH instead
#   check        RTALLOC_MALLOC_CHECK=1 checks the heap at exit and says so
#   give-back    200 MB freed in 1,000-byte blocks leave the process's resident memory (no
#                malloc_trim); with RTALLOC_MALLOC_DISCARD_THRESHOLD=0 they stay
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
  env -u RTALLOC_MALLOC_DISCARD_THRESHOLD -u RTALLOC_MALLOC_CHECK -u RTALLOC_MALLOC_SHOW_STATS \
    -u RTALLOC_MALLOC_STATS_FILE "$@" 2>"$work/stderr"
}

statistics_header='^rtalloc malloc statistics \(rtalloc [0-9.]+\), 1 heap$'

case $case_name in
  give-back)
    read -r _ before after < <(run "$program" small-frees)
    echo "default: resident $before KiB before the frees, $after KiB after"
    [ "$before" -gt 190000 ] || fail "the blocks were not resident ($before KiB)"
    [ "$after" -lt 32768 ] || fail "the freed memory stayed resident ($after KiB of $before KiB)"
    read -r _ before after < <(run RTALLOC_MALLOC_DISCARD_THRESHOLD=0 "$program" small-frees)
    echo "threshold 0: resident $before KiB before the frees, $after KiB after"
    [ "$after" -gt 190000 ] || fail "memory went back with giving back turned off ($after KiB)"
    ;;
  bad-value)
    run RTALLOC_MALLOC_DISCARD_THRESHOLD=lots "$program"
    expected='rtalloc malloc: RTALLOC_MALLOC_DISCARD_THRESHOLD=lots: not a size; using the default 16777216'
    count=$(grep -cxF "$expected" "$work/stderr" || true)
    [ "$count" = 1 ] || fail "the report appeared $count times, not once"
    [ "$(wc -l <"$work/stderr")" = 1 ] || fail "stderr has more than the report"
    run RTALLOC_MALLOC_DISCARD_THRESHOLD=4MiB "$program"
    [ ! -s "$work/stderr" ] || fail "a good value was reported"
    ;;
  show-stats)
    run RTALLOC_MALLOC_SHOW_STATS=1 "$program"
    grep -qE "$statistics_header" "$work/stderr" || fail "no statistics at exit"
    # The program keeps one block; the C++ runtime the library links keeps its own.
    grep -qE '^  used +[0-9]+ bytes in [1-9][0-9]* blocks$' "$work/stderr" || fail "no block in use"
    run RTALLOC_MALLOC_SHOW_STATS=0 "$program"
    [ ! -s "$work/stderr" ] || fail "statistics printed with RTALLOC_MALLOC_SHOW_STATS=0"
    ;;
  closed)
    run RTALLOC_MALLOC_SHOW_STATS=1 "$program" close-stderr "$work/data"
    grep -qE "$statistics_header" "$work/stderr" || fail "no statistics once stderr was closed"
    [ ! -s "$work/data" ] || fail "the statistics went into the file that took descriptor 2"
    ;;
  closed-all)
    # No terminal: setsid detaches the program from any, so /dev/tty cannot be opened.
    run RTALLOC_MALLOC_SHOW_STATS=1 setsid "$program" close-all "$work/data" </dev/null
    [ ! -s "$work/data" ] || fail "the statistics went into a file of the program's"
    ;;
  stats-file)
    run RTALLOC_MALLOC_SHOW_STATS=1 RTALLOC_MALLOC_STATS_FILE="$work/stats.txt" "$program"
    run RTALLOC_MALLOC_SHOW_STATS=1 RTALLOC_MALLOC_STATS_FILE="$work/stats.txt" "$program"
    [ "$(grep -cE "$statistics_header" "$work/stats.txt")" = 2 ] ||
      fail "the file does not hold both runs' statistics"
    [ ! -s "$work/stderr" ] || fail "the statistics went to stderr too"
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
