// SPDX-License-Identifier: MIT OR Apache-2.0
/* version.h — rtalloc's version, for C and C++ (every rtalloc header includes
 * it, the C++ ones through <rtalloc/config.hpp>).
 *
 * This file is the one place the version is written: CMake's project(VERSION),
 * the CMake package's version file and rtalloc.pc read it from here, and
 * docs_test checks that CHANGELOG.md has a section for it. Versions follow
 * Semantic Versioning; before 1.0.0 a new minor version may change the API and
 * the ABI. */
#ifndef RTALLOC_VERSION_H
#define RTALLOC_VERSION_H

#define RTALLOC_VERSION_MAJOR 0
#define RTALLOC_VERSION_MINOR 1
#define RTALLOC_VERSION_PATCH 0

/* The version as a string, "MAJOR.MINOR.PATCH", made from the three numbers. */
#define RTALLOC_VERSION                                                           \
  RTALLOC_VERSION_STRING_(RTALLOC_VERSION_MAJOR)                                  \
  "." RTALLOC_VERSION_STRING_(RTALLOC_VERSION_MINOR) "." RTALLOC_VERSION_STRING_( \
      RTALLOC_VERSION_PATCH)
#define RTALLOC_VERSION_STRING_(number) RTALLOC_VERSION_SPELL_(number)
#define RTALLOC_VERSION_SPELL_(number) #number

/* The version as one number that grows with every release, MAJOR * 10000 +
 * MINOR * 100 + PATCH (0.1.0 is 100), for comparisons in #if. */
#define RTALLOC_VERSION_NUMBER \
  (RTALLOC_VERSION_MAJOR * 10000 + RTALLOC_VERSION_MINOR * 100 + RTALLOC_VERSION_PATCH)

#endif /* RTALLOC_VERSION_H */
