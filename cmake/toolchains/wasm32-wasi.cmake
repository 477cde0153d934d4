# SPDX-License-Identifier: MIT OR Apache-2.0
# Cross-compiles for WebAssembly (wasm32) with WASI as the system interface: clang 14, wasm-ld 14 and
# wasi-libc with LLVM's libc++ (Debian: clang-14 lld-14 wasi-libc libc++-14-dev-wasm32
# libc++abi-14-dev-wasm32 libclang-rt-14-dev-wasm32). Used by the wasm32 preset:
#
#   cmake --preset wasm32 && cmake --build --preset wasm32 && ctest --preset wasm32
#
# Programs are WASI commands (a _start that calls main), compiled without exceptions or RTTI, at
# -Oz for MinSizeRel (the preset's build type, which selects RTALLOC_COMPACT as on the Cortex-M4).
# ctest runs each one under Node.js's WASI module (targets/wasm/run_wasi.mjs; Debian: nodejs).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR wasm32)

set(CMAKE_C_COMPILER clang-14)
set(CMAKE_CXX_COMPILER clang++-14)
set(CMAKE_C_COMPILER_TARGET wasm32-wasi)
set(CMAKE_CXX_COMPILER_TARGET wasm32-wasi)

set(CMAKE_CXX_FLAGS_INIT "-fno-exceptions -fno-rtti")
set(CMAKE_C_FLAGS_MINSIZEREL_INIT "-Oz -DNDEBUG")
set(CMAKE_CXX_FLAGS_MINSIZEREL_INIT "-Oz -DNDEBUG")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,--gc-sections")

# ctest runs each program with Node.js's WASI: its exit status is the program's.
find_program(RTALLOC_NODE node REQUIRED)
set(CMAKE_CROSSCOMPILING_EMULATOR
    ${RTALLOC_NODE};--no-warnings;${CMAKE_CURRENT_LIST_DIR}/../../targets/wasm/run_wasi.mjs)

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
