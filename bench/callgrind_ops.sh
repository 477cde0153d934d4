#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# callgrind_ops.sh TRACE [ALLOCATOR...]
#
# Counts the instructions each allocator executes per allocate, free and reallocate of TRACE,
# replaying it with rtalloc-replay --callgrind under valgrind's callgrind. ALLOCATOR is any name
# `rtalloc-replay --list` shows (rtalloc, rtalloc-small, rtalloc-sl16, rtalloc-sl64, rtalloc-flex,
# rtalloc-malloc, glibc, jemalloc, mimalloc, tcmalloc; default: rtalloc); the old configuration
# names default, small, sl16 and sl64 mean rtalloc's. Instruction counts repeat exactly from run to
# run, so they are the figures to compare change by change.
#
# rtalloc-replay --callgrind sends every allocator call through three C functions,
# rtalloc_replay_allocate, rtalloc_replay_deallocate and rtalloc_replay_reallocate; callgrind
# collects only inside them. A malloc replacement is loaded with LD_PRELOAD, as the tool does.
#   run 1: collection toggled on by the three entry points: all of the allocator's work, including
#          the memcpy that moves a block in reallocate;
#   run 2: memcpy and memmove toggled as well, so that collection goes off inside them: the
#          allocator's own work without copying.
# --toggle-collect flips collection on entry to a function AND back on exit, so in run 2 a memcpy
# outside the allocator (the trace reader calls it, liblzma too) switches collection ON for its own
# duration: run 2's total is not the allocator's count. The figures below are therefore the
# inclusive costs of the three entry points (callgrind_annotate --inclusive=yes), which count only
# what runs inside them. Two checks guard this: run 1's total must equal the sum of the entry
# points, and run 1 minus run 2 must equal the memcpy/memmove cost run 1 saw.
#
# By default rtalloc-replay is (re)built with the release preset first. Set RTALLOC_BUILD_DIR to use
# the rtalloc-replay of another, already built tree instead, and RTALLOC_CALLGRIND_DIR to keep the
# callgrind output files there for callgrind_annotate.
set -euo pipefail

usage() {
  echo "usage: $0 TRACE [ALLOCATOR...]   (allocators: rtalloc-replay --list)" >&2
  exit 2
}
[ $# -ge 1 ] || usage
trace=$1
shift
allocators=("$@")
[ ${#allocators[@]} -gt 0 ] || allocators=(rtalloc)
[ -r "$trace" ] || { echo "$0: cannot read $trace" >&2; exit 1; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
for tool in valgrind callgrind_annotate; do
  command -v "$tool" >/dev/null || { echo "$0: $tool not found (Debian package: valgrind)" >&2; exit 1; }
done
if [ -n "${RTALLOC_BUILD_DIR:-}" ]; then
  replay=$RTALLOC_BUILD_DIR/tools/replay/rtalloc-replay
  [ -x "$replay" ] || { echo "$0: no $replay; build target rtalloc_replay first" >&2; exit 1; }
else
  # Measure what the sources say now: (re)build rtalloc-replay with the release preset.
  replay=$root/build/release/tools/replay/rtalloc-replay
  (
    cd "$root"
    [ -f build/release/CMakeCache.txt ] || cmake --preset release >/dev/null
    cmake --build --preset release --target rtalloc_replay >/dev/null
  )
fi

if [ -n "${RTALLOC_CALLGRIND_DIR:-}" ]; then
  out=$RTALLOC_CALLGRIND_DIR
  mkdir -p "$out"
else
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi

entry_points=(rtalloc_replay_allocate rtalloc_replay_deallocate rtalloc_replay_reallocate)
entry_toggles=()
for f in "${entry_points[@]}"; do entry_toggles+=("--toggle-collect=$f"); done
copy_toggles=('--toggle-collect=*memcpy*' '--toggle-collect=*memmove*')

# run_callgrind ALLOCATOR PRELOAD NAME [VALGRIND OPTIONS...]: one replay; output files $out/NAME.*
run_callgrind() {
  local allocator=$1 preload=$2 name=$3
  shift 3
  # LD_BIND_NOW: resolve library calls at start-up, not lazily inside the first allocator call.
  if ! env ${preload:+LD_PRELOAD="$preload"} LD_BIND_NOW=1 valgrind --tool=callgrind \
    --collect-atstart=no --callgrind-out-file="$out/$name.callgrind" "${entry_toggles[@]}" "$@" \
    "$replay" --callgrind --allocators "$allocator" "$trace" >"$out/$name.stdout" 2>"$out/$name.log"; then
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
  # (printf, not print: awk prints a sum above 2^31 as 2.65e+09, which bash cannot add)
  awk -F'\t' -v fn="$2" '$2 == fn { c = $1 } END { printf "%.0f\n", c + 0 }' "$1"
}

per_op() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.1f", a / b }'; }

status=0
rows=()
for allocator in "${allocators[@]}"; do
  case $allocator in
    default) allocator=rtalloc ;;
    small | sl16 | sl64) allocator=rtalloc-$allocator ;;
  esac
  listing=$("$replay" --list | awk -v a="$allocator" '$1 == a')
  [ -n "$listing" ] || { echo "$0: unknown allocator $allocator" >&2; exit 2; }
  if [ "$(echo "$listing" | awk '{ print $2 }')" != available ]; then
    echo "$0: skipping $allocator: not available in this build" >&2
    continue
  fi
  preload=$(echo "$listing" | sed -n 's/.*\[\(.*\)\]$/\1/p')

  echo "callgrind: replaying $trace through $allocator (two runs; this takes a while)..." >&2
  run_callgrind "$allocator" "$preload" "$allocator.all"
  run_callgrind "$allocator" "$preload" "$allocator.nocopy" "${copy_toggles[@]}"
  costs "$out/$allocator.all.callgrind" yes >"$out/$allocator.all.inclusive"
  costs "$out/$allocator.all.callgrind" no >"$out/$allocator.all.self"
  costs "$out/$allocator.nocopy.callgrind" yes >"$out/$allocator.nocopy.inclusive"

  ops_line=$(grep -m1 '^operations' "$out/$allocator.all.stdout")
  read -r n_ops n_alloc n_free n_realloc <<<"$(echo "$ops_line" | tr -cs '0-9' ' ')"

  declare -A all=() nocopy=()
  for f in "${entry_points[@]}"; do
    all[$f]=$(cost_of "$out/$allocator.all.inclusive" "$f")
    nocopy[$f]=$(cost_of "$out/$allocator.nocopy.inclusive" "$f")
  done
  all_sum=$((all[rtalloc_replay_allocate] + all[rtalloc_replay_deallocate] + all[rtalloc_replay_reallocate]))
  nocopy_sum=$((nocopy[rtalloc_replay_allocate] + nocopy[rtalloc_replay_deallocate] + nocopy[rtalloc_replay_reallocate]))
  all_total=$(cost_of "$out/$allocator.all.inclusive" "PROGRAM TOTALS")
  copy_in_run1=$(awk -F'\t' '$2 ~ /memcpy|memmove/ { s += $1 } END { printf "%.0f\n", s + 0 }' "$out/$allocator.all.self")

  rows+=("$(printf '%-15s %10s %10s %12s %10s %14s' "$allocator" \
    "$(per_op "${nocopy[rtalloc_replay_allocate]}" "$n_alloc")" \
    "$(per_op "${nocopy[rtalloc_replay_deallocate]}" "$n_free")" \
    "$(per_op "${nocopy[rtalloc_replay_reallocate]}" "$n_realloc")" \
    "$(per_op "$nocopy_sum" "$n_ops")" "$(per_op "$all_sum" "$n_ops")")")

  if [ "$all_total" -ne "$all_sum" ]; then
    echo "check FAILED ($allocator): run 1 collected $all_total instructions, the entry points account for $all_sum" >&2
    status=1
  fi
  if [ $((all_sum - nocopy_sum)) -ne "$copy_in_run1" ]; then
    case $allocator in
      rtalloc | rtalloc-small | rtalloc-sl16 | rtalloc-sl64 | rtalloc-flex)
        echo "check FAILED ($allocator): run 2 removed $((all_sum - nocopy_sum)), run 1 counted $copy_in_run1 in memcpy/memmove" >&2
        status=1
        ;;
      *)
        # A malloc library may call one copy function from inside another, which toggles
        # collection back on: its column without copying is then approximate, by this much.
        echo "note ($allocator): copy functions nest inside it; its count without memcpy is off by up to $((copy_in_run1 - (all_sum - nocopy_sum))) instructions in total" >&2
        ;;
    esac
  fi
done

echo
echo "trace: $trace ($n_ops operations: allocate $n_alloc, free $n_free, reallocate $n_realloc)"
echo "instructions per operation inside the allocator, without the memcpy of a moved block"
echo "(last column: all operations, memcpy included); checks: run totals match the entry points"
echo
printf '%-15s %10s %10s %12s %10s %14s\n' allocator allocate free reallocate all "all + memcpy"
for row in "${rows[@]}"; do echo "$row"; done
[ -n "${RTALLOC_CALLGRIND_DIR:-}" ] && echo "callgrind output kept in $out"
exit $status
