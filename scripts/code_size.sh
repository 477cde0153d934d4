#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# code_size.sh [HEAP]
#
# Reports the code size of rtalloc::Tlsf's core (allocate, deallocate, reallocate, aligned
# allocate, add_pool), per function and in total, for a Cortex-M4 at -Os (arm-none-eabi-g++ 12)
# and for wasm32 at -Oz (clang 14, wasm-ld 14), as a Markdown table. HEAP is the heap type
# measured: rtalloc::TlsfSmall (the default) or another, e.g. 'rtalloc::Tlsf<>'. Each target is
# measured twice: with the heap's statistics counters (the default) and without them
# (RTALLOC_STATS=0, the like-for-like comparison with heaps that keep no statistics).
#
# scripts/code_size_core.cpp compiles the five operations out of line; each target's build is
# linked with --gc-sections from those five functions alone, so the image holds exactly the code
# the core needs. Every function in it is listed once, helpers that several operations share
# included, and counted once in the total. Not counted: memcpy (the C library's; reallocate calls
# it to move a block) and the constants outside the code (the error messages), shown apart. Release
# builds (NDEBUG, RTALLOC_CHECKS=0) without exceptions or RTTI; -Os and -Oz select RTALLOC_COMPACT.
# The wasm32 total is the module's whole code section (the function bodies and their counts),
# linked with --compress-relocations.
#
# Needs gcc-arm-none-eabi, libstdc++-arm-none-eabi-dev (the C++ headers; the wasm32 build uses
# them too: the heap needs only freestanding headers, and newlib's configuration is ILP32 like
# wasm32), wasi-libc, clang-14 and lld-14. Exits non-zero if a build fails.
set -euo pipefail

heap=${1:-rtalloc::TlsfSmall}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source=$root/scripts/code_size_core.cpp
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# The five operations' symbols: Tlsf<...>::allocate (both), reallocate, deallocate, add_pool.
operations='_ZN7rtalloc[0-9]+config_[a-z0-9_]+4TlsfI.*E(8allocate|10reallocate|10deallocate|8add_pool)E'
common=(-std=c++20 -fno-exceptions -fno-rtti -DNDEBUG -DRTALLOC_CHECKS=0 -I"$root/include"
  "-DRTALLOC_CODE_SIZE_HEAP=$heap" -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow
  -Werror)

# --- Cortex-M4, -Os: function sizes from the symbol table (Thumb symbols carry their sizes,
# literal pools included) -------------------------------------------------------------------------
m4_flags=(-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -Os -ffunction-sections
  -fdata-sections)
# measure_m4 NAME [FLAGS...]: $out/NAME.functions ("SIZE<TAB>FUNCTION") and $out/NAME.rodata.
measure_m4() {
  local name=$1 entries link e
  shift
  arm-none-eabi-g++ "${m4_flags[@]}" "${common[@]}" "$@" -c "$source" -o "$out/$name.o"
  mapfile -t entries < <(arm-none-eabi-nm "$out/$name.o" | awk '{ print $NF }' | grep -E "^$operations")
  [ "${#entries[@]}" -eq 5 ] || { echo "$0: expected 5 operations, found ${entries[*]}" >&2; exit 1; }
  link=(-nostdlib -Wl,--gc-sections "-Wl,--entry=${entries[0]}" -Wl,--unresolved-symbols=ignore-all)
  for e in "${entries[@]}"; do link+=("-Wl,--undefined=$e"); done
  arm-none-eabi-gcc "${m4_flags[@]}" "${link[@]}" "$out/$name.o" -o "$out/$name.elf"
  arm-none-eabi-nm -S -C -t d "$out/$name.elf" |
    awk '$3 ~ /^[TtWw]$/ { size = $2 + 0; $1 = $2 = $3 = ""; sub(/^ +/, ""); print size "\t" $0 }' \
      >"$out/$name.functions"
  arm-none-eabi-size -A -d "$out/$name.elf" | awk '$1 == ".rodata" { s = $2 } END { print s + 0 }' \
    >"$out/$name.rodata"
}

# --- wasm32, -Oz: function sizes from where each body starts in the code section ----------------
wasm_flags=(--target=wasm32-wasi -Oz -ffunction-sections -nostdinc++
  -isystem /usr/include/newlib/c++/12.2.1
  -isystem /usr/include/newlib/c++/12.2.1/arm-none-eabi/thumb/v7e-m+fp/hard
  -isystem /usr/include/wasm32-wasi)
hex_awk='function hex(s,   i, n) { n = 0; s = tolower(s)
  for (i = 1; i <= length(s); i++) n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
  return n }'
# measure_wasm NAME [FLAGS...]: $out/NAME.functions, $out/NAME.code (the code section's size) and
# $out/NAME.rodata (the data section's).
measure_wasm() {
  local name=$1 entries link e code
  shift
  clang++-14 "${wasm_flags[@]}" "${common[@]}" "$@" -c "$source" -o "$out/$name.o"
  mapfile -t entries < <(llvm-nm-14 "$out/$name.o" | awk '{ print $NF }' | grep -E "^$operations")
  [ "${#entries[@]}" -eq 5 ] || { echo "$0: expected 5 operations, found ${entries[*]}" >&2; exit 1; }
  link=(--no-entry --gc-sections --allow-undefined --strip-debug --compress-relocations)
  for e in "${entries[@]}"; do link+=("--export=$e"); done
  wasm-ld-14 "${link[@]}" "$out/$name.o" -o "$out/$name.wasm"
  code=$(llvm-objdump-14 -h "$out/$name.wasm" | awk "$hex_awk"' $2 == "CODE" { print hex($3) }')
  echo "$code" >"$out/$name.code"
  llvm-objdump-14 -h "$out/$name.wasm" |
    awk "$hex_awk"' $2 == "DATA" { d = hex($3) } END { print d + 0 }' >"$out/$name.rodata"
  llvm-objdump-14 -d "$out/$name.wasm" | awk -v end="$code" "$hex_awk"'
    /^[0-9a-f]+ <.*>:$/ && !/<CODE>:$/ {
      start = hex($1); name = $0; sub(/^[0-9a-f]+ </, "", name); sub(/>:$/, "", name)
      if (n++) print start - prev_start "\t" prev_name
      prev_start = start; prev_name = name
    }
    END { if (n) print end - prev_start "\t" prev_name }' >"$out/$name.functions"
}

measure_m4 m4
measure_m4 m4-nostats -DRTALLOC_STATS=0
measure_wasm wasm
measure_wasm wasm-nostats -DRTALLOC_STATS=0

# --- The table: one row per function, named alike for both targets ------------------------------
normalize() {
  sed -E 's/rtalloc::config_[a-z0-9_]+::/rtalloc::/g; s/rtalloc::detail::TlsfBlock/Block/g;
    s/rtalloc::detail::FreeLists<.*, rtalloc::detail::SizeClasses<[^>]*>, Block, [0-9]+u?l?>::/FreeLists::/g;
    s/rtalloc::Tlsf<[^>]*>:://g;
    s/rtalloc::detail::SizeClasses<[^>]*>::/SizeClasses::/g; s/rtalloc::detail::/detail::/g;
    s/rtalloc::ErrorCode/ErrorCode/g; s/unsigned long/unsigned int/g; s/ \[clone [^]]*\]//g' "$1"
}
builds=(m4 m4-nostats wasm wasm-nostats)
rows=()
for b in "${builds[@]}"; do
  normalize "$out/$b.functions" >"$out/$b.rows"
  rows+=("$out/$b.rows")
done
total() { awk -F'\t' '{ s += $1 } END { print s }' "$out/$1.rows"; }

echo "Code size of the heap core of $heap: allocate, deallocate, reallocate, aligned allocate"
echo "and add_pool, with every function they pull in (bytes); with the statistics counters (the"
echo "default) and without them (RTALLOC_STATS=0)."
echo
echo "| function | Cortex-M4 \`-Os\` | Cortex-M4 \`-Os\`, no stats | wasm32 \`-Oz\` | wasm32 \`-Oz\`, no stats |"
echo "|---|---:|---:|---:|---:|"
awk -F'\t' -v entries="allocate(unsigned int)|allocate(unsigned int, unsigned int)|reallocate(void*, unsigned int)|deallocate(void*)|add_pool(void*, unsigned int)" '
  FNR == 1 { file++ }
  { size[file, $2] = $1; has[file, $2] = 1; if (!($2 in seen)) { seen[$2] = 1; names[++count] = $2 } }
  END {
    n = split(entries, order, "|")
    for (i = 1; i <= n; i++) { is_entry[order[i]] = 1; row("**" order[i] "**", order[i]) }
    # The helpers, largest first on the Cortex-M4 (with statistics, then without).
    for (i = 1; i <= count; i++) if (!(names[i] in is_entry)) rest[++r] = names[i]
    for (i = 1; i <= r; i++) for (j = i + 1; j <= r; j++)
      if (key(rest[j]) > key(rest[i])) { t = rest[i]; rest[i] = rest[j]; rest[j] = t }
    for (i = 1; i <= r; i++) row(rest[i], rest[i])
  }
  function key(name) { return (size[1, name] + 0) * 100000 + size[2, name] }
  function row(label, name) {
    printf "| %s | %s | %s | %s | %s |\n", label, cell(1, name), cell(2, name), cell(3, name), cell(4, name)
  }
  function cell(f, name) { return has[f, name] ? size[f, name] : "(inlined)" }
' "${rows[@]}"
m4_total=$(total m4)
m4_nostats_total=$(total m4-nostats)
echo "| **total code** | **$m4_total** | **$m4_nostats_total** | **$(cat "$out/wasm.code")** |" \
  "**$(cat "$out/wasm-nostats.code")** |"
echo "| constants: error messages (not counted above) | $(cat "$out/m4.rodata") |" \
  "$(cat "$out/m4-nostats.rodata") | $(cat "$out/wasm.rodata") | $(cat "$out/wasm-nostats.rodata") |"
echo
echo "The statistics counters cost $((m4_total - m4_nostats_total)) bytes on the Cortex-M4 and" \
  "$(($(cat "$out/wasm.code") - $(cat "$out/wasm-nostats.code"))) on wasm32."
echo
echo "For reference: Matthew Conte's tlsf (no statistics), 1,302 bytes for the same functions on"
echo "Cortex-M4 -Os; rlsf, 1,267 bytes (wasm32); o1heap (no reallocate, no aligned allocation), 608"
echo "bytes."
