#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# ring_instructions.sh [BUILD_DIR]
#
# Counts the instructions each allocate and free executes inside the heap in the ring benchmark
# (bench/cortex-m/ring_ops.cpp: TlsfSmall, -Os, a ring of 128 live blocks, 1,000 steps per size
# range, each step freeing the oldest block and allocating a new one) on the emulated Cortex-M4,
# and prints a Markdown table: per size range and operation the median, the worst and the best
# count, and the worst divided by the median.
#
# How: QEMU (qemu-system-arm, mps2-an386) runs the program with -singlestep, so that every
# translation block is one instruction, and -d exec,nochain, which logs every block executed with
# the name of its function. An operation's count is the number of logged instructions inside
# rtalloc's functions between the mark before it (ring_mark_allocate or ring_mark_free) and
# ring_mark_done: the call instruction and the argument set-up in the caller are not counted,
# everything the heap runs is. (Debian's QEMU ships no TCG plugins, such as libinsn.so, so the log
# is the counter.) These are instruction counts, not cycles: on a real Cortex-M4 a load takes 2
# cycles, a taken branch 2 to 4, flash wait states add more; a board is needed for cycles.
#
# BUILD_DIR is a cortex-m4 preset build (default build/cortex-m4; built first if the target is
# missing). Needs qemu-system-arm and the arm-none-eabi toolchain. About a minute.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build/cortex-m4}
if [ ! -f "$build/CMakeCache.txt" ]; then
  (cd "$root" && cmake --preset cortex-m4 >/dev/null)
fi
cmake --build "$build" --target ring_ops >/dev/null
elf=$build/bench/cortex-m/ring_ops.elf

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
mkfifo "$out/log"

# The log goes through a pipe: it is about 350 MB of text.
awk -v ranges="1-8,16-31,32-63,64-127,128-255" '
  { fn = $NF }
  fn == "ring_mark_range" { if (!in_range) { run++ }; in_range = 1; next }
  { in_range = 0 }
  fn == "ring_mark_allocate" { kind = "allocate"; n = 0; next }
  fn == "ring_mark_free" { kind = "free"; n = 0; next }
  fn == "ring_mark_done" {
    if (kind != "") {
      key = run SUBSEP kind
      hist[key, n]++; total[key]++
      if (!(key in worst) || n > worst[key]) worst[key] = n
      if (!(key in best) || n < best[key]) best[key] = n
      all = "all" SUBSEP kind
      hist[all, n]++; total[all]++
      if (!(all in worst) || n > worst[all]) worst[all] = n
      if (!(all in best) || n < best[all]) best[all] = n
      kind = ""
    }
    next
  }
  kind != "" && fn ~ /rtalloc/ { n++ }
  function median(key,   seen, i) {
    seen = 0
    for (i = best[key]; i <= worst[key]; i++) {
      seen += hist[key, i]
      if (2 * seen >= total[key]) return i
    }
  }
  function row(label, key,   m) {
    m = median(key)
    printf "| %s | %d | %d | %d | %d | %.2f |\n", label, total[key], m, worst[key], best[key], worst[key] / m
  }
  END {
    split(ranges, names, ",")
    if (run != 5) { print "ring_instructions.sh: expected 5 runs, saw " run > "/dev/stderr"; exit 1 }
    print "| sizes (bytes) | operations | median | worst | best | worst / median |"
    print "|---|---:|---:|---:|---:|---:|"
    for (k = 1; k <= 2; k++) {
      kind_name = k == 1 ? "allocate" : "free"
      for (r = 1; r <= run; r++) row(names[r] ", " kind_name, r SUBSEP kind_name)
      row("**all, " kind_name "**", "all" SUBSEP kind_name)
    }
  }' <"$out/log" >"$out/table" &
parser=$!

timeout 600 qemu-system-arm -M mps2-an386 -cpu cortex-m4 -nographic -monitor none \
  -semihosting-config enable=on,target=native -singlestep -d exec,nochain -D "$out/log" \
  -kernel "$elf" >"$out/program"
wait "$parser"
grep -q '^5 passed, 0 failed$' "$out/program" || { cat "$out/program" >&2; exit 1; }

echo "Instructions per operation inside the heap, ring benchmark on the emulated Cortex-M4"
echo "(TlsfSmall, arm-none-eabi-g++ $(arm-none-eabi-g++ -dumpversion) -Os; QEMU $(qemu-system-arm --version | awk 'NR == 1 { print $4 }')):"
echo
cat "$out/table"
