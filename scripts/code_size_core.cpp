// SPDX-License-Identifier: MIT OR Apache-2.0
// The heap's core, as scripts/code_size.sh measures it: allocate, aligned
// allocate, reallocate, deallocate and add_pool of one heap type, compiled
// out of line here so that the linker can keep exactly these and what they
// call. RTALLOC_CODE_SIZE_HEAP picks the type (TlsfSmall by default).
#include <rtalloc/tlsf.hpp>
#include <type_traits>

#ifndef RTALLOC_CODE_SIZE_HEAP
#define RTALLOC_CODE_SIZE_HEAP rtalloc::TlsfSmall
#endif

using Heap = RTALLOC_CODE_SIZE_HEAP;
// An explicit instantiation must name the class by its template arguments.
#define RTALLOC_CORE rtalloc::Tlsf<Heap::first_level_count, Heap::second_level_count>
static_assert(std::is_same_v<RTALLOC_CORE, Heap>, "RTALLOC_CODE_SIZE_HEAP must be a Tlsf");

template void* RTALLOC_CORE::allocate(std::size_t) noexcept;
template void* RTALLOC_CORE::allocate(std::size_t, std::size_t) noexcept;
template void* RTALLOC_CORE::reallocate(void*, std::size_t) noexcept;
template void RTALLOC_CORE::deallocate(void*) noexcept;
template std::size_t RTALLOC_CORE::add_pool(void*, std::size_t) noexcept;
