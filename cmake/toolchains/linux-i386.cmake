# SPDX-License-Identifier: MIT OR Apache-2.0
# Builds 32-bit x86 programs on an x86-64 Debian host (gcc -m32; Debian: g++-multilib), so that the
# host test suite also runs with 4-byte pointers and size_t. Used by the m32 preset. Libraries are
# looked up in /usr/lib/i386-linux-gnu: the trace tools need liblzma-dev:i386 (after
# `dpkg --add-architecture i386`). There is no 32-bit GoogleTest package; the preset builds it
# from /usr/src/googletest (RTALLOC_GTEST_SOURCE_DIR).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR i686)
set(CMAKE_C_COMPILER gcc)
set(CMAKE_CXX_COMPILER g++)
set(CMAKE_C_FLAGS_INIT "-m32")
set(CMAKE_CXX_FLAGS_INIT "-m32")
set(CMAKE_LIBRARY_ARCHITECTURE i386-linux-gnu)
