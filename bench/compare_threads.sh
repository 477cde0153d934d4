#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# compare_threads.sh: runs bench/threads_bench under glibc, rtalloc's malloc library, jemalloc,
# mimalloc and tcmalloc (each by LD_PRELOAD, those installed), each case REPEAT times (default
# 3), and prints the median of each figure: operations per second, peak RSS in KiB, and for the
# 2-thread server run with --latency, p99.99 and largest time of one malloc or free in ns.
# RTALLOC_BUILD_DIR: the build holding threads_bench and the library (default build/release).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${RTALLOC_BUILD_DIR:-$root/build/release}
bench=$build/bench/threads_bench
repeat=${REPEAT:-3}
libdir=/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
declare -A preload=(
  [glibc]=""
  [rtalloc]=$build/src/malloc/librtalloc_malloc.so
  [jemalloc]=$libdir/libjemalloc.so.2
  [mimalloc]=$libdir/libmimalloc.so.2
  [tcmalloc]=$libdir/libtcmalloc_minimal.so.4
)
names=(glibc rtalloc jemalloc mimalloc tcmalloc)
cases=("server 1" "server 2" "server 4" "server 8" "prodcons 2" "falseshare 2" "server 2 --latency")

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

printf '%-22s %-9s %14s %10s %9s %9s\n' case malloc ops/s peak-KiB p99.99ns max-ns
for case in "${cases[@]}"; do
  for name in "${names[@]}"; do
    lib=${preload[$name]}
    [ -z "$lib" ] || [ -f "$lib" ] || continue
    runs=$(for _ in $(seq "$repeat"); do env ${lib:+LD_PRELOAD="$lib"} "$bench" $case; done)
    rate=$(echo "$runs" | awk '{ print $3 }' | median)
    rss=$(echo "$runs" | awk '{ print $4 }' | median)
    p=$(echo "$runs" | awk '{ print ($5 == "" ? "-" : $5) }' | median)
    m=$(echo "$runs" | awk '{ print ($6 == "" ? "-" : $6) }' | median)
    printf '%-22s %-9s %14s %10s %9s %9s\n' "$case" "$name" "$rate" "$rss" "$p" "$m"
  done
done
