// SPDX-License-Identifier: MIT OR Apache-2.0
// One half of the configuration-mismatch test (see CMakeLists.txt): a function that uses a heap
// another translation unit made. This unit is built with RTALLOC_STATS=0 in the mismatched
// programs, with the same settings as the other half in the matched one.
#include "heap_elsewhere.hpp"

#include <rtalloc/tlsf.hpp>

void* allocate_elsewhere(rtalloc::Tlsf<>& heap, std::size_t size) { return heap.allocate(size); }

void deallocate_elsewhere(rtalloc::Tlsf<>& heap, void* p) { heap.deallocate(p); }
