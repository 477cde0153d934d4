// SPDX-License-Identifier: MIT OR Apache-2.0
// The version is written once, in <rtalloc/version.h>: the macros, CMake's project version (passed
// in as RTALLOC_CMAKE_VERSION), the malloc library's soname, the changelog and the README's
// FetchContent snippet must all say the same.
#include <gtest/gtest.h>

#include <fstream>
#include <rtalloc/tlsf.hpp>
#include <sstream>
#include <string>

namespace {

std::string read_document(const std::string& name) {
  std::ifstream in(std::string(RTALLOC_SOURCE_DIR) + "/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

const std::string version = RTALLOC_VERSION;

TEST(Version, TheMacrosAgreeWithEachOther) {
  EXPECT_EQ(version, std::to_string(RTALLOC_VERSION_MAJOR) + "." +
                         std::to_string(RTALLOC_VERSION_MINOR) + "." +
                         std::to_string(RTALLOC_VERSION_PATCH));
  EXPECT_EQ(RTALLOC_VERSION_NUMBER,
            RTALLOC_VERSION_MAJOR * 10000 + RTALLOC_VERSION_MINOR * 100 + RTALLOC_VERSION_PATCH);
  static_assert(RTALLOC_VERSION_MINOR < 100 && RTALLOC_VERSION_PATCH < 100,
                "RTALLOC_VERSION_NUMBER has two digits for the minor and patch versions");
}

TEST(Version, CMakeHasTheHeadersVersion) { EXPECT_EQ(version, RTALLOC_CMAKE_VERSION); }

TEST(Version, TheMallocLibrarysSonameCarriesTheAbiVersion) {
#ifdef RTALLOC_MALLOC_SONAME
  const std::string abi = RTALLOC_VERSION_MAJOR == 0 ? std::to_string(RTALLOC_VERSION_MAJOR) + "." +
                                                           std::to_string(RTALLOC_VERSION_MINOR)
                                                     : std::to_string(RTALLOC_VERSION_MAJOR);
  EXPECT_EQ(std::string(RTALLOC_MALLOC_SONAME), "librtalloc_malloc.so." + abi);
#else
  GTEST_SKIP() << "this build has no librtalloc_malloc.so";
#endif
}

TEST(Version, TheChangelogHasASectionForIt) {
  EXPECT_NE(read_document("CHANGELOG.md").find("\n## [" + version + "] - "), std::string::npos)
      << "CHANGELOG.md has no section \"## [" << version << "] - DATE\"";
}

TEST(Version, TheReadmePinsItsTag) {
  EXPECT_NE(read_document("README.md").find("GIT_TAG v" + version), std::string::npos)
      << "README.md's FetchContent snippet does not pin GIT_TAG v" << version;
}

}  // namespace
