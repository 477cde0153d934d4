// SPDX-License-Identifier: MIT OR Apache-2.0
// The heap type behind the C API, shared by rtalloc_c.cpp and tlsf_compat.cpp.
//
// Its configuration is chosen when the library is built: the macros
// RTALLOC_C_FIRST_LEVELS and RTALLOC_C_SECOND_LEVELS (CMake cache variables
// of the same names) give Tlsf's two template arguments; an undefined one
// means the library's default. A bad pair fails to compile with Tlsf's own
// message.
#pragma once

#include <rtalloc/rtalloc.h>

#include <cstddef>
#include <rtalloc/tlsf.hpp>
#include <type_traits>

#ifndef RTALLOC_C_FIRST_LEVELS
#define RTALLOC_C_FIRST_LEVELS ::rtalloc::tlsf_default_first_levels
#endif
#ifndef RTALLOC_C_SECOND_LEVELS
#define RTALLOC_C_SECOND_LEVELS ::rtalloc::tlsf_default_second_levels
#endif

namespace rtalloc::c_api {

using Heap = Tlsf<RTALLOC_C_FIRST_LEVELS, RTALLOC_C_SECOND_LEVELS>;

}  // namespace rtalloc::c_api

// The C handle is the heap itself, with nothing added: a pointer to either is
// the same address, the one the heap names in its error reports.
struct rtalloc_heap : rtalloc::c_api::Heap {};

static_assert(std::is_standard_layout_v<rtalloc_heap> &&
                  sizeof(rtalloc_heap) == sizeof(rtalloc::c_api::Heap),
              "rtalloc_heap must be the Tlsf object itself, at the same address.");
