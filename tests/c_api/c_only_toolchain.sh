#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# The C API for a C project on a bare-metal toolchain (docs/c-api.md, "From a C-only toolchain"),
# with the commands that page gives: librtalloc_c.a is compiled once with arm-none-eabi-g++, then
# tests/c_api/c_api_test.c is compiled with arm-none-eabi-gcc as C99 and linked by the C driver
# with the library and no C++ runtime (an undefined C++ runtime symbol would fail the link), and
# run on an emulated Cortex-M4 (MPS2-AN386 under QEMU, start-up code from targets/cortex-m).
# Passes when the program prints "N passed, 0 failed" and exits with 0.
#
# Usage: c_only_toolchain.sh SOURCE_DIR WORK_DIR   (run by ctest in the cortex-m4 preset)
set -euo pipefail

source_dir=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
cd "$work"
include=$source_dir/include

# 1. The library, once, with the C++ compiler of the same toolchain (its C++ headers only:
#    Debian's libstdc++-arm-none-eabi-dev; no C++ library is linked later).
FLAGS="-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -Os -ffunction-sections -fdata-sections"
for part in rtalloc_c tlsf_compat offset_heap_c; do
  arm-none-eabi-g++ -std=c++20 $FLAGS -fno-exceptions -fno-rtti -DNDEBUG -I"$include" \
    -c "$source_dir/src/c/$part.cpp" -o "$part.o"
done
arm-none-eabi-ar rcs librtalloc_c.a rtalloc_c.o tlsf_compat.o offset_heap_c.o

# 2. The C program, compiled and linked with the C compiler alone.
arm-none-eabi-gcc -std=c99 $FLAGS -I"$include" -c "$source_dir/tests/c_api/c_api_test.c" \
  -o app.o
# This board's start-up code and linker script; a real project has its own.
arm-none-eabi-gcc -std=c11 $FLAGS -c "$source_dir/targets/cortex-m/startup.c" -o startup.o
arm-none-eabi-gcc $FLAGS -Wl,--gc-sections app.o startup.o librtalloc_c.a \
  -T "$source_dir/targets/cortex-m/mps2_an386.ld" --specs=rdimon.specs -nostartfiles -o app.elf

# The link named no C++ library, and the program holds no C++ runtime code.
if arm-none-eabi-nm app.elf | grep -E ' (__cxa_|__gxx_personality|_Znw|_Zdl|_ZSt)'; then
  echo "FAILED: C++ runtime symbols in the program"
  exit 1
fi

output=$(timeout --kill-after=5 120 qemu-system-arm -M mps2-an386 -cpu cortex-m4 -nographic \
  -monitor none -semihosting-config enable=on,target=native -kernel app.elf)
echo "$output"
grep -qE '^[0-9]+ passed, 0 failed' <<<"$output"
