// SPDX-License-Identifier: MIT OR Apache-2.0
// rtalloc's build switches, every one in this list (docs/configuration.md
// has the same table, with the CMake options and environment variables).
// Define a switch to 0 or 1 before the first rtalloc header, on the compiler's
// command line, and the same way in every translation unit of a program.
//
//   switch                  default                what it selects
//   RTALLOC_CHECKS          1 unless NDEBUG        operations validate their pointer arguments,
//                                                  report misuse through the error handler, and
//                                                  assert invariants where they are maintained
//   RTALLOC_STATS           1                      heaps keep statistics counters; 0: stats()
//                                                  walks the blocks and knows no peak
//   RTALLOC_COMPACT         1 at -Os/-Oz, else 0   the smaller forms of the hot paths (plain
//                                                  unlink, split, insert); same bounds
//   RTALLOC_ASAN_POISONING  1 under Clang's ASan   the heap poisons its own bytes for
//                                                  AddressSanitizer (needs Clang)
//   RTALLOC_VALGRIND        0                      memcheck client requests describe every
//                                                  allocation and free inside pools
//   RTALLOC_SMALL_OBJECTS   1                      the growing heap (FlexTlsf) and the drop-in
//                                                  malloc serve small requests from slabs
//
// Each of the first five changes a type's layout or an operation's behaviour,
// so each is part of the name of the inline namespace that holds every rtalloc type
// and function (RTALLOC_CONFIG_NAMESPACE, for example
// rtalloc::config_checks0_stats1_compact0_asan0_valgrind0). Two translation
// units that disagree on a switch then name different types: a heap made in
// one and used in the other fails to link, instead of running code compiled
// for another layout. What the guard cannot catch is in docs/configuration.md.
// RTALLOC_SMALL_OBJECTS changes only which heap FlexTlsf grows by default,
// and that heap is part of FlexTlsf's type, so it needs no tag.
// Outside the namespace, because a process has one of each whatever the
// switches: the error codes, the error-handler slot and its accessors
// (<rtalloc/error.hpp>).
#pragma once

#if defined(_MSVC_LANG) ? _MSVC_LANG < 202002L : __cplusplus < 202002L
#error "rtalloc needs C++20: compile with -std=c++20 (or /std:c++20) or later."
#include "rtalloc needs C++20"  // stops the compiler here, before any later line fails to parse
#endif

// RTALLOC_VERSION, RTALLOC_VERSION_MAJOR, _MINOR, _PATCH and _NUMBER.
#include "rtalloc/version.h"

#ifndef RTALLOC_CHECKS
#ifdef NDEBUG
#define RTALLOC_CHECKS 0
#else
#define RTALLOC_CHECKS 1
#endif
#endif

#ifndef RTALLOC_STATS
#define RTALLOC_STATS 1
#endif

#ifndef RTALLOC_COMPACT
#if defined(__OPTIMIZE_SIZE__)
#define RTALLOC_COMPACT 1
#else
#define RTALLOC_COMPACT 0
#endif
#endif

#ifndef RTALLOC_ASAN_POISONING
#if defined(__clang__) && defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RTALLOC_ASAN_POISONING 1
#endif
#endif
#endif
#ifndef RTALLOC_ASAN_POISONING
#define RTALLOC_ASAN_POISONING 0
#endif

#ifndef RTALLOC_VALGRIND
#define RTALLOC_VALGRIND 0
#endif

#ifndef RTALLOC_SMALL_OBJECTS
#define RTALLOC_SMALL_OBJECTS 1
#endif

// Each switch as the one digit the namespace's name carries.
#if RTALLOC_CHECKS
#define RTALLOC_CONFIG_CHECKS_ 1
#else
#define RTALLOC_CONFIG_CHECKS_ 0
#endif
#if RTALLOC_STATS
#define RTALLOC_CONFIG_STATS_ 1
#else
#define RTALLOC_CONFIG_STATS_ 0
#endif
#if RTALLOC_COMPACT
#define RTALLOC_CONFIG_COMPACT_ 1
#else
#define RTALLOC_CONFIG_COMPACT_ 0
#endif
#if RTALLOC_ASAN_POISONING
#define RTALLOC_CONFIG_ASAN_ 1
#else
#define RTALLOC_CONFIG_ASAN_ 0
#endif
#if RTALLOC_VALGRIND
#define RTALLOC_CONFIG_VALGRIND_ 1
#else
#define RTALLOC_CONFIG_VALGRIND_ 0
#endif

#define RTALLOC_CONFIG_NAME_(c, s, k, a, v) \
  config_checks##c##_stats##s##_compact##k##_asan##a##_valgrind##v
#define RTALLOC_CONFIG_NAME(c, s, k, a, v) RTALLOC_CONFIG_NAME_(c, s, k, a, v)
/// The inline namespace of this configuration (see the list above).
#define RTALLOC_CONFIG_NAMESPACE                                                              \
  RTALLOC_CONFIG_NAME(RTALLOC_CONFIG_CHECKS_, RTALLOC_CONFIG_STATS_, RTALLOC_CONFIG_COMPACT_, \
                      RTALLOC_CONFIG_ASAN_, RTALLOC_CONFIG_VALGRIND_)

// Internal, derived from the compiler's settings rather than chosen: the
// allocate and free paths are each compiled as one function, their helpers
// forced inline, except when optimizing for size.
#if defined(__OPTIMIZE_SIZE__)
#define RTALLOC_HOT_INLINE inline
#else
#define RTALLOC_HOT_INLINE [[gnu::always_inline]] inline
#endif
// Internal: a helper that the compact build calls from one place (or a
// helper no larger than a call), inlined in every build. Clang at -Oz keeps
// such inline functions out of line, and on wasm32 a call and a function of
// its own cost more than the body.
#define RTALLOC_INLINE_ONCE [[gnu::always_inline]] inline

namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE {

/// True in checked builds (RTALLOC_CHECKS=1).
inline constexpr bool checks_enabled = RTALLOC_CHECKS != 0;
/// True when heaps keep their statistics counters (RTALLOC_STATS=1).
inline constexpr bool stats_enabled = RTALLOC_STATS != 0;
/// True when the hot paths take their compact forms (RTALLOC_COMPACT=1).
inline constexpr bool compact_enabled = RTALLOC_COMPACT != 0;

}  // namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE
