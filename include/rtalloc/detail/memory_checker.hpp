// SPDX-License-Identifier: MIT OR Apache-2.0
// Hooks that tell a memory checker (AddressSanitizer or Valgrind's memcheck)
// which bytes of a pool a program may touch, so that an overflow or a use
// after free inside a pool is reported as it would be with malloc.
//
// A pool's bytes are either a used block's payload (usable_size bytes, open
// to the program) or the heap's own: block headers, free blocks, the pool
// descriptor and sentinel. The heap calls the hooks below whenever a payload
// appears, changes size or disappears. Every hook compiles to nothing unless
// a checker is enabled, so release builds are unchanged.
//
// The switches (defaults in rtalloc/config.hpp):
// RTALLOC_ASAN_POISONING (0 or 1): poison the heap's bytes with the public
//   ASan interface (<sanitizer/asan_interface.h>). Defaults to 1 when Clang
//   compiles with -fsanitize=address. It needs Clang: the heap's own code,
//   which reads and writes its headers, is then left uninstrumented
//   (RTALLOC_HEAP_CODE_BEGIN / END), and only Clang can say that for a whole
//   class. GCC's ASan builds check the heap's code and the program's accesses
//   outside pools, not accesses inside them.
// RTALLOC_VALGRIND (0 or 1): describe allocations and frees to memcheck with
//   client requests (<valgrind/memcheck.h>, Debian package valgrind) and mark
//   the heap's bytes inaccessible; memcheck's reports are switched off while
//   the heap's own code runs (HeapCodeScope). Defaults to 0; the requests cost
//   a few instructions each when the program does not run under Valgrind.
//
// Define both the same way in every translation unit of a program.
#pragma once

#include <cstddef>

#include "rtalloc/config.hpp"

#if RTALLOC_ASAN_POISONING
#ifndef __clang__
#error "RTALLOC_ASAN_POISONING=1 needs Clang, which can leave the heap's own code uninstrumented."
#endif
#include <sanitizer/asan_interface.h>
// The heap reads and writes headers and free blocks that it has poisoned:
// its own code is not instrumented. The program's code still is.
// clang-format off
#define RTALLOC_HEAP_CODE_BEGIN \
  _Pragma("clang attribute push(__attribute__((no_sanitize(\"address\"))), apply_to = function)")
// clang-format on
#define RTALLOC_HEAP_CODE_END _Pragma("clang attribute pop")
#else
#define RTALLOC_HEAP_CODE_BEGIN
#define RTALLOC_HEAP_CODE_END
#endif

#if RTALLOC_VALGRIND
#include <valgrind/memcheck.h>
#endif

namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE::detail {

/// True when the heap reports its pools' contents to a memory checker.
inline constexpr bool memory_checker_enabled = RTALLOC_ASAN_POISONING || RTALLOC_VALGRIND;

/// [p, p + bytes) is the heap's own: headers, free space, pool metadata.
inline void mark_heap_owned([[maybe_unused]] const void* p,
                            [[maybe_unused]] std::size_t bytes) noexcept {
#if RTALLOC_ASAN_POISONING
  __asan_poison_memory_region(p, bytes);
#endif
#if RTALLOC_VALGRIND
  VALGRIND_MAKE_MEM_NOACCESS(p, bytes);
#endif
}

/// [p, p + bytes) was just handed out as a payload; its contents are undefined.
inline void mark_allocated([[maybe_unused]] const void* p,
                           [[maybe_unused]] std::size_t bytes) noexcept {
#if RTALLOC_ASAN_POISONING
  __asan_unpoison_memory_region(p, bytes);
#endif
#if RTALLOC_VALGRIND
  VALGRIND_MALLOCLIKE_BLOCK(p, bytes, 0, 0);
#endif
}

/// The payload at p, `bytes` long, is being freed: it becomes the heap's.
inline void mark_freed([[maybe_unused]] const void* p,
                       [[maybe_unused]] std::size_t bytes) noexcept {
#if RTALLOC_ASAN_POISONING
  __asan_poison_memory_region(p, bytes);
#endif
#if RTALLOC_VALGRIND
  VALGRIND_FREELIKE_BLOCK(p, 0);
  VALGRIND_MAKE_MEM_NOACCESS(p, bytes);
#endif
}

/// The payload at p grew or shrank in place from old_bytes to new_bytes; the
/// first min(old_bytes, new_bytes) bytes keep their contents.
inline void mark_resized([[maybe_unused]] const void* p, [[maybe_unused]] std::size_t old_bytes,
                         [[maybe_unused]] std::size_t new_bytes) noexcept {
#if RTALLOC_ASAN_POISONING
  if (new_bytes < old_bytes) {
    __asan_poison_memory_region(static_cast<const char*>(p) + new_bytes, old_bytes - new_bytes);
  } else {
    __asan_unpoison_memory_region(p, new_bytes);
  }
#endif
#if RTALLOC_VALGRIND
  VALGRIND_RESIZEINPLACE_BLOCK(p, old_bytes, new_bytes, 0);
#endif
}

/// [p, p + bytes), a pool with no payloads left, goes back to its owner.
inline void mark_returned([[maybe_unused]] const void* p,
                          [[maybe_unused]] std::size_t bytes) noexcept {
#if RTALLOC_ASAN_POISONING
  __asan_unpoison_memory_region(p, bytes);
#endif
#if RTALLOC_VALGRIND
  VALGRIND_MAKE_MEM_DEFINED(p, bytes);
#endif
}

/// Declared at the top of each public heap operation: while it lives, memcheck
/// does not report the heap's own accesses to the bytes it marked as its own.
/// Empty (and free) unless RTALLOC_VALGRIND is 1.
class HeapCodeScope {
 public:
#if RTALLOC_VALGRIND
  HeapCodeScope() noexcept { VALGRIND_DISABLE_ERROR_REPORTING; }
  ~HeapCodeScope() { VALGRIND_ENABLE_ERROR_REPORTING; }
#else
  HeapCodeScope() noexcept {}  // user-provided: a scope that is never named is not "unused"
#endif
  HeapCodeScope(const HeapCodeScope&) = delete;
  HeapCodeScope& operator=(const HeapCodeScope&) = delete;
};

}  // namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE::detail
