#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# compare_allocators.sh [GOOGLE BENCHMARK FLAGS...]
#
# Runs tlsf_bench's AllocateFree and Ring benchmarks for rtalloc::Tlsf and for every malloc that
# rtalloc-replay can load (glibc, jemalloc, mimalloc, tcmalloc, rtalloc's malloc library), one
# process per malloc replacement since each replaces malloc, and prints one table: nanoseconds per
# operation (allocate + free), CPU time. Replacements not found when the tools were built are left
# out. Extra arguments go to every tlsf_bench run (e.g. --benchmark_filter=Ring, which replaces the
# script's own filter; each column still shows only its own allocator).
#
# By default the release preset is (re)built first; set RTALLOC_BUILD_DIR to use another build.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ -n "${RTALLOC_BUILD_DIR:-}" ]; then
  build=$RTALLOC_BUILD_DIR
else
  build=$root/build/release
  (
    cd "$root"
    [ -f build/release/CMakeCache.txt ] || cmake --preset release >/dev/null
    cmake --build --preset release --target tlsf_bench rtalloc_replay >/dev/null
  )
fi
bench=$build/bench/tlsf_bench
replay=$build/tools/replay/rtalloc-replay
for program in "$bench" "$replay"; do
  [ -x "$program" ] || { echo "$0: no $program; build it first" >&2; exit 1; }
done

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
filter='--benchmark_filter=^(AllocateFree|Ring)<'

# run NAME PRELOAD FILTER: one tlsf_bench process; CSV in $out/NAME.csv
run() {
  echo "running tlsf_bench for $1..." >&2
  env ${2:+LD_PRELOAD="$2"} "$bench" "$3" --benchmark_format=csv "${@:4}" >"$out/$1.csv" 2>/dev/null
}

run rtalloc "" "${filter}Tlsf" "$@"
names=(rtalloc)
while read -r name state rest; do
  [ "$state" = available ] || continue
  preload=$(echo "$rest" | sed -n 's/.*\[\(.*\)\]$/\1/p')
  case $name in
    glibc) preload="" ;;
    jemalloc | mimalloc | tcmalloc | rtalloc-malloc) ;;
    *) continue ;;
  esac
  run "$name" "$preload" "${filter}Malloc" "$@"
  names+=("$name")
done < <("$replay" --list)

# One row per benchmark (the allocator's name taken out), one column per allocator.
awk -F, -v names="${names[*]}" '
  BEGIN { n = split(names, order, " ") }
  FNR == 1 { file = FILENAME; sub(/.*\//, "", file); sub(/\.csv$/, "", file) }
  $1 ~ /^"(AllocateFree|Ring)</ {
    if ((file == "rtalloc") != ($1 ~ /<TlsfAllocator>/)) next
    bench = $1; gsub(/"/, "", bench); sub(/<[A-Za-z]+>/, "", bench)
    if (!(bench in seen)) { seen[bench] = 1; rows[++count] = bench }
    ns[bench, file] = $4   # cpu_time, in ns
  }
  END {
    printf "%-40s", "ns per allocate + free (CPU time)"
    for (i = 1; i <= n; i++) printf " %14s", order[i]
    printf "\n"
    for (r = 1; r <= count; r++) {
      printf "%-40s", rows[r]
      for (i = 1; i <= n; i++) {
        v = ns[rows[r], order[i]]
        if (v == "") printf " %14s", "-"; else printf " %14.1f", v
      }
      printf "\n"
    }
  }' $(for name in "${names[@]}"; do echo "$out/$name.csv"; done)
