// SPDX-License-Identifier: MIT OR Apache-2.0
// The sizes the documents state (tests/documented_sizes.hpp) are the sizes the code has: each
// document states each figure where a reader looks for it, and this build's target has the row
// of figures its documents give.
#include <gtest/gtest.h>

#include <cstddef>
#include <fstream>
#include <rtalloc/tlsf.hpp>
#include <sstream>
#include <string>

#include "../documented_sizes.hpp"

namespace rtalloc::test {
namespace {

std::string read_document(const std::string& name) {
  std::ifstream in(std::string(RTALLOC_SOURCE_DIR) + "/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// 8656 -> "8,656"
std::string with_commas(std::size_t value) {
  const std::string digits = std::to_string(value);
  std::string text;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (digits.size() - i) % 3 == 0) text += ',';
    text += digits[i];
  }
  return text;
}

// The line of `document` that contains `row` also contains `figure`.
::testing::AssertionResult row_states(const std::string& document, const std::string& row,
                                      const std::string& figure) {
  std::istringstream lines(read_document(document));
  for (std::string line; std::getline(lines, line);) {
    if (line.find(row) == std::string::npos) continue;
    if (line.find(figure) != std::string::npos) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << document << ": the line with \"" << row << "\" does not say \"" << figure << "\":\n"
           << line;
  }
  return ::testing::AssertionFailure() << document << " has no line with \"" << row << "\"";
}

TEST(DocumentedSizes, TheDocumentsStateTheFiguresOfEveryTarget) {
  const auto& host = x86_64_sizes;
  const auto& m4 = cortex_m4_sizes;
  EXPECT_TRUE(row_states("docs/tlsf.md", "| `Tlsf<>` (33 × 32) | 64-bit host |",
                         "| " + with_commas(host.tlsf_control) + " B |"));
  EXPECT_TRUE(row_states("docs/tlsf.md", "| `Tlsf<>` (23 × 32) | 32-bit, 8-byte granule",
                         "| " + with_commas(m4.tlsf_control) + " B |"));
  EXPECT_TRUE(row_states("docs/tlsf.md", "| `TlsfSmall` (9 × 16) | 64-bit host |",
                         "| " + with_commas(host.small_control) + " B |"));
  EXPECT_TRUE(row_states("docs/tlsf.md", "| `TlsfSmall` (9 × 16) | 64-bit host |",
                         "| " + with_commas(host.small_largest_block) + " B |"));
  EXPECT_TRUE(row_states("docs/tlsf.md", "| `TlsfSmall` (10 × 16) | 32-bit, 8-byte granule",
                         "| " + with_commas(m4.small_control) + " B |"));
  EXPECT_TRUE(row_states("docs/tlsf.md", "| `TlsfSmall` (10 × 16) | 32-bit, 8-byte granule",
                         "| " + with_commas(m4.small_largest_block) + " B |"));
  EXPECT_TRUE(row_states("docs/tlsf.md", "bytes) they are",
                         with_commas(x86_32_sizes.tlsf_control) + " B for `Tlsf<>`"));
  EXPECT_TRUE(row_states("docs/tlsf.md", "bytes) they are",
                         "and " + with_commas(x86_32_sizes.small_control) + " B for"));
  EXPECT_TRUE(row_states(
      "docs/tlsf.md", "| header per allocation |",
      "| " + std::to_string(host.header) + " bytes | " + std::to_string(m4.header) + " bytes |"));
  EXPECT_TRUE(row_states("docs/tlsf.md", "| smallest block |",
                         "| " + std::to_string(host.smallest_block) + " bytes | " +
                             std::to_string(m4.smallest_block) + " bytes |"));
  EXPECT_TRUE(row_states("docs/tlsf.md", "| pool overhead |",
                         "| " + std::to_string(host.pool_descriptor) + "-byte descriptor + " +
                             std::to_string(host.header) + "-byte sentinel"));
  EXPECT_TRUE(row_states(
      "docs/tlsf.md", "| pool overhead |",
      "| " + std::to_string(m4.pool_descriptor) + " + " + std::to_string(m4.header) + " + "));
  EXPECT_TRUE(row_states("README.md", "| `Tlsf<>` (33 × 32 classes) | 64-bit host |",
                         "| " + with_commas(host.tlsf_control) + " bytes |"));
  EXPECT_TRUE(row_states("README.md", "| `TlsfSmall` (10 × 16) | 32-bit microcontroller |",
                         "| " + with_commas(m4.small_control) + " bytes"));
  EXPECT_TRUE(row_states("docs/guide.md", "| a 64-bit host, any pool size | `rtalloc::Tlsf<>` |",
                         "| " + with_commas(host.tlsf_control) + " B |"));
  EXPECT_TRUE(row_states("docs/guide.md", "| `rtalloc::TlsfSmall` |",
                         "| " + with_commas(m4.small_control) + " B (32-bit) |"));
  EXPECT_TRUE(row_states("docs/c-api.md", "| 33 × 32 (default) |",
                         "| " + with_commas(host.tlsf_control) + " B |"));
  EXPECT_TRUE(row_states("docs/c-api.md", "On a 32-bit microcontroller, 10 × 16 gives a",
                         with_commas(m4.small_control) + "-byte control block"));
}

TEST(DocumentedSizes, ThisTargetHasTheSizesItsDocumentsGive) {
  if (!stats_enabled) GTEST_SKIP() << "the documented control blocks include the counters";
  const DocumentedSizes* expected = nullptr;
  if (sizeof(void*) == 8) expected = &x86_64_sizes;
  if (sizeof(void*) == 4 && alignof(std::max_align_t) == 16) expected = &x86_32_sizes;
  if (expected == nullptr) GTEST_SKIP() << "no documented row for this target";
  EXPECT_EQ(sizeof(Tlsf<>), expected->tlsf_control);
  EXPECT_EQ(sizeof(TlsfSmall), expected->small_control);
  EXPECT_EQ(Tlsf<>::header_size, expected->header);
  EXPECT_EQ(Tlsf<>::min_block_size, expected->smallest_block);
  EXPECT_EQ(Tlsf<>::pool_overhead - Tlsf<>::header_size, expected->pool_descriptor);
  EXPECT_EQ(TlsfSmall::max_block_size, expected->small_largest_block);
}

}  // namespace
}  // namespace rtalloc::test
