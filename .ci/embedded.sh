#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# CI stage for bare-metal and 32-bit targets (docs/embedded.md), on a fresh Debian 12 machine:
#   cortex-m4  cross-build for Cortex-M4 (-Os), run the model tests and the bare-metal example on an
#              emulated MPS2-AN386 board under QEMU (cmake --workflow --preset cortex-m4);
#   code-size  the heap core's code size for Cortex-M4 -Os and wasm32 -Oz, with and without the
#              statistics counters (scripts/code_size.sh);
#   compact    the heap's unit, model and portable tests, the growing heap's and the drop-in
#              malloc's, on the host with RTALLOC_COMPACT=1, the code-size variant that -Os
#              selects on the target;
#   nostats    the same with RTALLOC_STATS=0, the heaps without statistics counters;
#   wasm32     the portable model tests and the wasm malloc example as WASI commands under Node.js
#              (cmake --workflow --preset wasm32);
#   ring       instructions per allocate and free of the ring benchmark on the emulated Cortex-M4
#              (scripts/ring_instructions.sh);
#   m32        the whole host test suite as a 32-bit x86 program (cmake --workflow --preset m32).
# Prints "N passed, N failed" (one per step) last; exits non-zero if any step failed.
# Measured on 2 cores, after the packages are installed: m32 about 4.5 minutes, compact about 3.5,
# nostats about 4, cortex-m4, code-size, wasm32 and ring about 2 together: about 14 minutes in all.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
source .ci/lib.sh

packages=(
  cmake ninja-build g++          # the build
  liblzma-dev                    # the trace reader, which the host tests build (compact)
  libgtest-dev                   # host tests (compact)
  gcc-arm-none-eabi              # Cortex-M4 cross compiler
  libnewlib-arm-none-eabi        # its C library, with semihosting (rdimon)
  libstdc++-arm-none-eabi-dev    # the C++ headers for arm-none-eabi (also used for wasm32)
  qemu-system-arm                # the emulated MPS2-AN386 board
  clang-14 lld-14 llvm-14        # wasm32 build, wasm-ld, llvm-objdump (code size)
  wasi-libc                      # C library for wasm32
  libc++-14-dev-wasm32 libc++abi-14-dev-wasm32 libclang-rt-14-dev-wasm32  # wasm32 C++ programs
  nodejs                         # runs the wasm32 programs (node:wasi)
  picolibc-arm-none-eabi         # the picolibc port's build test (cortex-m4)
  g++-multilib                   # -m32
  googletest                     # GoogleTest sources, built with -m32 (/usr/src/googletest)
  xz-utils                       # -m32: the trace reader decompresses .xz traces with the xz command
)
install_packages "${packages[@]}" || {
  echo "installing the packages failed"
  echo "0 passed, 1 failed"
  exit 1
}

# The heap's unit, model and portable tests on the host, built with one extra definition ($2, e.g.
# RTALLOC_COMPACT=1) in the build tree $1.
host_heap_tests() {
  local dir=$1 definition=$2
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DRTALLOC_CHECKS=OFF \
    -DRTALLOC_WERROR=ON "-DCMAKE_CXX_FLAGS=-D$definition" -DRTALLOC_BUILD_BENCH=OFF \
    -DRTALLOC_BUILD_EXAMPLES=OFF -DRTALLOC_BUILD_TOOLS=OFF &&
    cmake --build "$dir" -j2 --target tlsf_test tlsf_random_model_test portable_models_test \
      flex_tlsf_test malloc_contract_test &&
    "$dir/tests/tlsf_test" --gtest_brief=1 &&
    "$dir/tests/tlsf_random_model_test" --gtest_brief=1 &&
    "$dir/tests/portable_models_test" --gtest_brief=1 &&
    "$dir/tests/flex_tlsf_test" --gtest_brief=1 &&
    "$dir/tests/malloc_contract_test" --gtest_brief=1
}

step "cortex-m4: on-target tests under QEMU" cmake --workflow --preset cortex-m4
step "code-size: scripts/code_size.sh" bash scripts/code_size.sh
step "wasm32: model tests under Node.js" cmake --workflow --preset wasm32
step "ring: instructions per operation" bash scripts/ring_instructions.sh
step "compact: host tests, RTALLOC_COMPACT=1" host_heap_tests build/ci-compact RTALLOC_COMPACT=1
step "nostats: host tests, RTALLOC_STATS=0" host_heap_tests build/ci-nostats RTALLOC_STATS=0
step "m32: the host suite as a 32-bit program" cmake --workflow --preset m32
summary
