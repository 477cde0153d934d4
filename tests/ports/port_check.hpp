// SPDX-License-Identifier: MIT OR Apache-2.0
// The checks of the port tests (tests/ports): plain programs, so that the
// same test runs on the host and on the emulated Cortex-M4. PORT_CHECK
// counts and prints each failed condition; port_check_summary() prints
// "N passed, N failed" and gives the exit status.
#pragma once

#include <cstdio>

namespace rtalloc::test {

inline int port_checks_passed = 0;
inline int port_checks_failed = 0;

inline void port_check(bool condition, const char* text, int line) {
  if (condition) {
    ++port_checks_passed;
  } else {
    ++port_checks_failed;
    std::printf("FAILED (line %d): %s\n", line, text);
  }
}

inline int port_check_summary() {
  std::printf("%d passed, %d failed\n", port_checks_passed, port_checks_failed);
  return port_checks_failed == 0 ? 0 : 1;
}

}  // namespace rtalloc::test

#define PORT_CHECK(condition) ::rtalloc::test::port_check((condition), #condition, __LINE__)
