// SPDX-License-Identifier: MIT OR Apache-2.0
// What heap_elsewhere.cpp offers the program that links it.
#pragma once

#include <cstddef>
#include <rtalloc/tlsf.hpp>

void* allocate_elsewhere(rtalloc::Tlsf<>& heap, std::size_t size);
void deallocate_elsewhere(rtalloc::Tlsf<>& heap, void* p);
