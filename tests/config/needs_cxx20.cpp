// SPDX-License-Identifier: MIT OR Apache-2.0
// Compiled as C++17 by the needs_cxx20 test: every public header must stop at rtalloc's one-line
// message instead of failing deep inside itself.
#include <rtalloc/flex_tlsf.hpp>
#include <rtalloc/global_heap.hpp>
#include <rtalloc/pools/byte_buffer.hpp>
#include <rtalloc/tlsf.hpp>

int main() { return 0; }
