#!/usr/bin/env bash
# code_size.sh [HEAP]
#
# Reports the code size of rtalloc::Tlsf's core (allocate, deallocate, reallocate, aligned
# allocate, add_pool), per function and in total, for a Cortex-M4 at -Os (arm-none-eabi-g++ 12)
# and for wasm32 at -Oz (clang 14, wasm-ld 14), as a Markdown table. HEAP is the heap type
# measured: rtalloc::TlsfSmall (the default) or another, e.g. 'rtalloc::Tlsf<>'.
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
operations='_ZN7rtalloc4TlsfI.*E(8allocate|10reallocate|10deallocate|8add_pool)E'
common=(-std=c++20 -fno-exceptions -fno-rtti -DNDEBUG -DRTALLOC_CHECKS=0 -I"$root/include"
  "-DRTALLOC_CODE_SIZE_HEAP=$heap" -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow
  -Werror)

# --- Cortex-M4, -Os: function sizes from the symbol table (Thumb symbols carry their sizes,
# literal pools included) -------------------------------------------------------------------------
m4_flags=(-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -Os -ffunction-sections
  -fdata-sections)
arm-none-eabi-g++ "${m4_flags[@]}" "${common[@]}" -c "$source" -o "$out/m4.o"
mapfile -t m4_entries < <(arm-none-eabi-nm "$out/m4.o" | awk '{ print $NF }' | grep -E "^$operations")
[ "${#m4_entries[@]}" -eq 5 ] || { echo "$0: expected 5 operations, found ${m4_entries[*]}" >&2; exit 1; }
m4_link=(-nostdlib -Wl,--gc-sections "-Wl,--entry=${m4_entries[0]}"
  -Wl,--unresolved-symbols=ignore-all)
for e in "${m4_entries[@]}"; do m4_link+=("-Wl,--undefined=$e"); done
arm-none-eabi-gcc "${m4_flags[@]}" "${m4_link[@]}" "$out/m4.o" -o "$out/m4.elf"
arm-none-eabi-nm -S -C -t d "$out/m4.elf" |
  awk '$3 ~ /^[TtWw]$/ { size = $2 + 0; $1 = $2 = $3 = ""; sub(/^ +/, ""); print size "\t" $0 }' \
    >"$out/m4.functions"
m4_rodata=$(arm-none-eabi-size -A -d "$out/m4.elf" | awk '$1 == ".rodata" { s = $2 } END { print s + 0 }')

# --- wasm32, -Oz: function sizes from where each body starts in the code section ----------------
wasm_flags=(--target=wasm32-wasi -Oz -ffunction-sections -nostdinc++
  -isystem /usr/include/newlib/c++/12.2.1
  -isystem /usr/include/newlib/c++/12.2.1/arm-none-eabi/thumb/v7e-m+fp/hard
  -isystem /usr/include/wasm32-wasi)
clang++-14 "${wasm_flags[@]}" "${common[@]}" -c "$source" -o "$out/wasm.o"
mapfile -t wasm_entries < <(llvm-nm-14 "$out/wasm.o" | awk '{ print $NF }' | grep -E "^$operations")
[ "${#wasm_entries[@]}" -eq 5 ] || { echo "$0: expected 5 operations, found ${wasm_entries[*]}" >&2; exit 1; }
wasm_link=(--no-entry --gc-sections --allow-undefined --strip-debug --compress-relocations)
for e in "${wasm_entries[@]}"; do wasm_link+=("--export=$e"); done
wasm-ld-14 "${wasm_link[@]}" "$out/wasm.o" -o "$out/core.wasm"
hex_awk='function hex(s,   i, n) { n = 0; s = tolower(s)
  for (i = 1; i <= length(s); i++) n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
  return n }'
wasm_code=$(llvm-objdump-14 -h "$out/core.wasm" | awk "$hex_awk"' $2 == "CODE" { print hex($3) }')
wasm_data=$(llvm-objdump-14 -h "$out/core.wasm" | awk "$hex_awk"' $2 == "DATA" { d = hex($3) } END { print d + 0 }')
llvm-objdump-14 -d "$out/core.wasm" | awk -v end="$wasm_code" "$hex_awk"'
  /^[0-9a-f]+ <.*>:$/ && !/<CODE>:$/ {
    start = hex($1); name = $0; sub(/^[0-9a-f]+ </, "", name); sub(/>:$/, "", name)
    if (n++) print start - prev_start "\t" prev_name
    prev_start = start; prev_name = name
  }
  END { if (n) print end - prev_start "\t" prev_name }' >"$out/wasm.functions"

# --- The table: one row per function, named alike for both targets ------------------------------
normalize() {
  sed -E 's/rtalloc::Tlsf<[^>]*>::Block/Block/g; s/rtalloc::Tlsf<[^>]*>:://g;
    s/rtalloc::detail::SizeClasses<[^>]*>::/SizeClasses::/g; s/rtalloc::detail::/detail::/g;
    s/rtalloc::ErrorCode/ErrorCode/g; s/unsigned long/unsigned int/g' "$1"
}
normalize "$out/m4.functions" >"$out/m4.rows"
normalize "$out/wasm.functions" >"$out/wasm.rows"

echo "Code size of the heap core of $heap: allocate, deallocate, reallocate, aligned allocate"
echo "and add_pool, with every function they pull in (bytes)."
echo
echo "| function | Cortex-M4 \`-Os\` | wasm32 \`-Oz\` |"
echo "|---|---:|---:|"
awk -F'\t' -v entries="allocate(unsigned int)|allocate(unsigned int, unsigned int)|reallocate(void*, unsigned int)|deallocate(void*)|add_pool(void*, unsigned int)" '
  FNR == 1 { file++ }
  { size[file, $2] = $1; has[file, $2] = 1; if (!($2 in seen)) { seen[$2] = 1; names[++count] = $2 } }
  END {
    n = split(entries, order, "|")
    for (i = 1; i <= n; i++) { is_entry[order[i]] = 1; row("**" order[i] "**", order[i]) }
    # The helpers, largest first on the Cortex-M4.
    for (i = 1; i <= count; i++) if (!(names[i] in is_entry)) rest[++r] = names[i]
    for (i = 1; i <= r; i++) for (j = i + 1; j <= r; j++)
      if (size[1, rest[j]] + 0 > size[1, rest[i]] + 0) { t = rest[i]; rest[i] = rest[j]; rest[j] = t }
    for (i = 1; i <= r; i++) row(rest[i], rest[i])
  }
  function row(label, name) {
    printf "| %s | %s | %s |\n", label, cell(1, name), cell(2, name)
  }
  function cell(f, name) { return has[f, name] ? size[f, name] : "(inlined)" }
' "$out/m4.rows" "$out/wasm.rows"
m4_total=$(awk -F'\t' '{ s += $1 } END { print s }' "$out/m4.rows")
echo "| **total code** | **$m4_total** | **$wasm_code** |"
echo "| constants: error messages (not counted above) | $m4_rodata | $wasm_data |"
echo
echo "For reference: Matthew Conte's tlsf, 1,302 bytes for the same functions on Cortex-M4 -Os;"
echo "rlsf, 1,267 bytes (wasm32); o1heap (no reallocate, no aligned allocation), 608 bytes."
