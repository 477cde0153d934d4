// SPDX-License-Identifier: MIT OR Apache-2.0
// The sizes the documentation states, one row per target: docs_test.cpp checks that README.md,
// docs/tlsf.md, docs/guide.md and docs/c-api.md state exactly these, and every build checks the
// row of its own target against sizeof (the host tests in docs_test.cpp, the Cortex-M4 build in
// tests/target/target_tests.cpp). A change to a layout or to a document that does not change
// this file as well fails one of them.
#pragma once

#include <cstddef>

namespace rtalloc::test {

struct DocumentedSizes {
  std::size_t tlsf_control;         // sizeof(Tlsf<>)
  std::size_t small_control;        // sizeof(TlsfSmall)
  std::size_t header;               // Tlsf<>::header_size
  std::size_t smallest_block;       // Tlsf<>::min_block_size
  std::size_t pool_descriptor;      // Tlsf<>::pool_overhead - header_size
  std::size_t small_largest_block;  // TlsfSmall::max_block_size
};

inline constexpr DocumentedSizes x86_64_sizes{8656, 1256, 8, 32, 24, 65520};
inline constexpr DocumentedSizes cortex_m4_sizes{3072, 716, 4, 16, 12, 65528};
inline constexpr DocumentedSizes x86_32_sizes{2940, 648, 4, 16, 12, 65520};

}  // namespace rtalloc::test
