// SPDX-License-Identifier: MIT OR Apache-2.0
// RTALLOC_ASSERT(condition, "message", heap, address): an invariant checked
// at the line that maintains it. In checked builds (RTALLOC_CHECKS=1) a false
// condition is reported through the error handler as heap_corrupted, with
// the message, the heap and the address concerned, and the operation goes
// on (a handler that returns accepts what follows); in release builds the
// condition is not even evaluated, so the macro costs nothing.
//
// check() remains the one function that verifies every invariant of a heap
// at once; these assertions catch a broken one where it breaks, long before
// check() would next run.
#pragma once

#include "rtalloc/config.hpp"
#include "rtalloc/error.hpp"

#if RTALLOC_CHECKS
#define RTALLOC_ASSERT(condition, message, heap, address)                                      \
  do {                                                                                         \
    if (!(condition)) [[unlikely]] {                                                           \
      ::rtalloc::detail::report(::rtalloc::ErrorCode::heap_corrupted, message, heap, address); \
    }                                                                                          \
  } while (false)
#else
#define RTALLOC_ASSERT(condition, message, heap, address) \
  do {                                                    \
  } while (false)
#endif
