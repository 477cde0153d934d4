#!/usr/bin/env bash
# callgrind_ops.sh TRACE [CONFIG]
#
# Counts the instructions rtalloc::Tlsf executes per trace operation, replaying TRACE with the
# release build of trace_replay under callgrind. CONFIG is default, small, sl16 or sl64.
#
# trace_replay --callgrind sends every heap call through three C functions, rtalloc_bench_allocate,
# rtalloc_bench_deallocate and rtalloc_bench_reallocate; callgrind collects only inside them.
#   run 1: collection toggled on by the three entry points: all of the heap's work, including the
#          memcpy that moves a block in reallocate;
#   run 2: memcpy and memmove toggled as well, so that collection goes off inside them: the heap's
#          own work without copying.
# --toggle-collect flips collection on entry to a function AND back on exit, so in run 2 a memcpy
# outside the heap (the trace reader calls it, liblzma too) switches collection ON for its own
# duration: run 2's total is not the heap's count. The figures below are therefore the inclusive
# costs of the three entry points (callgrind_annotate --inclusive=yes), which count only what runs
# inside them. Two checks guard this: run 1's total must equal the sum of the entry points, and
# run 1 minus run 2 must equal the memcpy/memmove cost run 1 saw.
#
# By default trace_replay is (re)built with the release preset first. Set RTALLOC_BUILD_DIR to use
# the trace_replay of another, already built tree instead, and RTALLOC_CALLGRIND_DIR to keep the
# callgrind output files there for callgrind_annotate.
set -euo pipefail

usage() {
  echo "usage: $0 TRACE [default|small|sl16|sl64]" >&2
  exit 2
}
[ $# -ge 1 ] && [ $# -le 2 ] || usage
trace=$1
config=${2:-default}
case $config in
  default | small | sl16 | sl64) ;;
  *) usage ;;
esac
[ -r "$trace" ] || { echo "$0: cannot read $trace" >&2; exit 1; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
for tool in valgrind callgrind_annotate; do
  command -v "$tool" >/dev/null || { echo "$0: $tool not found (Debian package: valgrind)" >&2; exit 1; }
done
if [ -n "${RTALLOC_BUILD_DIR:-}" ]; then
  replay=$RTALLOC_BUILD_DIR/bench/trace_replay
  [ -x "$replay" ] || { echo "$0: no $replay; build target trace_replay first" >&2; exit 1; }
else
  # Measure what the sources say now: (re)build trace_replay with the release preset.
  replay=$root/build/release/bench/trace_replay
  (
    cd "$root"
    [ -f build/release/CMakeCache.txt ] || cmake --preset release >/dev/null
    cmake --build --preset release --target trace_replay >/dev/null
  )
fi

if [ -n "${RTALLOC_CALLGRIND_DIR:-}" ]; then
  out=$RTALLOC_CALLGRIND_DIR
  mkdir -p "$out"
else
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi

entry_points=(rtalloc_bench_allocate rtalloc_bench_deallocate rtalloc_bench_reallocate)
entry_toggles=()
for f in "${entry_points[@]}"; do entry_toggles+=("--toggle-collect=$f"); done
copy_toggles=('--toggle-collect=*memcpy*' '--toggle-collect=*memmove*')

# run_callgrind NAME [VALGRIND OPTIONS...]: one replay; output files $out/NAME.*
run_callgrind() {
  local name=$1
  shift
  # LD_BIND_NOW: resolve library calls at start-up, not lazily inside the first heap call.
  if ! LD_BIND_NOW=1 valgrind --tool=callgrind --collect-atstart=no \
    --callgrind-out-file="$out/$name.callgrind" "${entry_toggles[@]}" "$@" \
    "$replay" --callgrind --config "$config" "$trace" >"$out/$name.stdout" 2>"$out/$name.log"; then
    echo "$0: run '$name' failed; valgrind said:" >&2
    tail -n 20 "$out/$name.log" >&2
    cat "$out/$name.stdout" >&2
    exit 1
  fi
}

# costs FILE yes|no: "COST<TAB>FUNCTION" for every function, inclusive or self.
costs() {
  callgrind_annotate --inclusive="$2" --threshold=100 --show-percs=no --auto=no "$1" |
    awk '
      match($0, /^ *[0-9][0-9,]* +/) {
        cost = substr($0, 1, RLENGTH); gsub(/[ ,]/, "", cost)
        name = substr($0, RLENGTH + 1); sub(/ \[[^]]*\]$/, "", name)
        colon = index(name, ":"); if (colon > 0) name = substr(name, colon + 1)
        print cost "\t" name
      }'
}

# cost_of COSTS_FILE FUNCTION: the cost, 0 if absent.
cost_of() {
  awk -F'\t' -v fn="$2" '$2 == fn { c = $1 } END { print c + 0 }' "$1"
}

echo "callgrind: replaying $trace with config $config (two runs; this takes a while)..."
run_callgrind all
run_callgrind nocopy "${copy_toggles[@]}"

costs "$out/all.callgrind" yes >"$out/all.inclusive"
costs "$out/all.callgrind" no >"$out/all.self"
costs "$out/nocopy.callgrind" yes >"$out/nocopy.inclusive"

ops_line=$(grep -m1 '^operations' "$out/all.stdout")
read -r n_ops n_alloc n_free n_realloc <<<"$(echo "$ops_line" | tr -cs '0-9' ' ')"
config_line=$(grep -m1 '^config' "$out/all.stdout" | sed 's/^config *//')

declare -A all nocopy
for f in "${entry_points[@]}"; do
  all[$f]=$(cost_of "$out/all.inclusive" "$f")
  nocopy[$f]=$(cost_of "$out/nocopy.inclusive" "$f")
done
all_sum=$((all[rtalloc_bench_allocate] + all[rtalloc_bench_deallocate] + all[rtalloc_bench_reallocate]))
nocopy_sum=$((nocopy[rtalloc_bench_allocate] + nocopy[rtalloc_bench_deallocate] + nocopy[rtalloc_bench_reallocate]))
all_total=$(cost_of "$out/all.inclusive" "PROGRAM TOTALS")
copy_in_run1=$(awk -F'\t' '$2 ~ /memcpy|memmove/ { s += $1 } END { print s + 0 }' "$out/all.self")

per_op() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.1f", a / b }'; }

echo
echo "trace:  $trace ($n_ops operations)"
echo "config: $config_line"
echo
printf '%-12s %10s %18s %18s\n' "operation" "count" "instr/op" "instr/op no copy"
printf '%-12s %10s %18s %18s\n' "allocate" "$n_alloc" \
  "$(per_op "${all[rtalloc_bench_allocate]}" "$n_alloc")" \
  "$(per_op "${nocopy[rtalloc_bench_allocate]}" "$n_alloc")"
printf '%-12s %10s %18s %18s\n' "free" "$n_free" \
  "$(per_op "${all[rtalloc_bench_deallocate]}" "$n_free")" \
  "$(per_op "${nocopy[rtalloc_bench_deallocate]}" "$n_free")"
printf '%-12s %10s %18s %18s\n' "reallocate" "$n_realloc" \
  "$(per_op "${all[rtalloc_bench_reallocate]}" "$n_realloc")" \
  "$(per_op "${nocopy[rtalloc_bench_reallocate]}" "$n_realloc")"
printf '%-12s %10s %18s %18s\n' "all" "$n_ops" "$(per_op "$all_sum" "$n_ops")" \
  "$(per_op "$nocopy_sum" "$n_ops")"
echo
echo "instructions in the heap: $all_sum with copying, $nocopy_sum without ($((all_sum - nocopy_sum)) in memcpy/memmove)"

status=0
if [ "$all_total" -eq "$all_sum" ]; then
  echo "check: run 1 collected only inside the entry points ($all_total instructions): ok"
else
  echo "check FAILED: run 1 collected $all_total instructions, the entry points account for $all_sum"
  status=1
fi
if [ $((all_sum - nocopy_sum)) -eq "$copy_in_run1" ]; then
  echo "check: run 2 removed exactly the memcpy/memmove run 1 counted ($copy_in_run1): ok"
else
  echo "check FAILED: run 2 removed $((all_sum - nocopy_sum)), run 1 counted $copy_in_run1 in memcpy/memmove"
  status=1
fi
[ -n "${RTALLOC_CALLGRIND_DIR:-}" ] && echo "callgrind output kept in $out (all.callgrind, nocopy.callgrind)"
exit $status
