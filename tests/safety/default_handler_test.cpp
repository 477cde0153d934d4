// SPDX-License-Identifier: MIT OR Apache-2.0
// The default error handler: with no handler installed, a checked build says what went wrong in
// one line on stderr (the code and message, the address, the heap) and then traps; a release
// build ignores the report.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <rtalloc/error.hpp>
#include <rtalloc/tlsf.hpp>
#include <sstream>
#include <string>

// The test frees a block twice on purpose.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic ignored "-Wuse-after-free"
#endif

namespace rtalloc::test {
namespace {

std::string hex(const void* p) {
  std::ostringstream text;
  text << "0x" << std::hex << reinterpret_cast<std::uintptr_t>(p);
  return text.str();
}

std::string line_of(const ErrorInfo& info) {
  const detail::ErrorLine line = detail::format_error_line(info);
  return std::string(line.text, line.length);
}

TEST(DefaultErrorLine, SaysTheCodeTheMessageTheAddressAndTheHeap) {
  int heap = 0;
  int block = 0;
  const ErrorInfo info{ErrorCode::double_free, "deallocate", &heap, &block, 0};
  EXPECT_EQ(line_of(info), "rtalloc: double_free (deallocate) at " + hex(&block) + " in heap " +
                               hex(&heap) + "\n");
}

TEST(DefaultErrorLine, NullAddressesAndNoMessage) {
  const ErrorInfo info{ErrorCode::heap_corrupted, "", nullptr, nullptr, 0};
  EXPECT_EQ(line_of(info), "rtalloc: heap_corrupted at 0x0 in heap 0x0\n");
}

TEST(DefaultErrorLine, ALongMessageIsCutAndTheLineStillEnds) {
  const std::string long_message(500, 'm');
  int heap = 0;
  const ErrorInfo info{ErrorCode::invalid_pointer, long_message.c_str(), &heap, &heap, 0};
  const std::string line = line_of(info);
  EXPECT_LE(line.size(), detail::ErrorLine::capacity);
  EXPECT_EQ(line.back(), '\n');
  EXPECT_NE(line.find(" (" + std::string(64, 'm') + ")"), std::string::npos);
  EXPECT_EQ(line.find(std::string(65, 'm')), std::string::npos);
}

alignas(16) std::byte arena[16 * 1024];

// A double free in a checked build with no handler: the line, then the trap (SIGILL or SIGTRAP).
TEST(DefaultErrorHandlerDeathTest, ACheckedDoubleFreePrintsOneLineAndTraps) {
  if (!checks_enabled) GTEST_SKIP() << "release builds ignore reports (RTALLOC_CHECKS=0)";
  if (!RTALLOC_ERROR_LINE) GTEST_SKIP() << "this platform has no stderr to write to";
  // "fast" (fork): the child has the parent's addresses, which the line must name.
  GTEST_FLAG_SET(death_test_style, "fast");
  static Tlsf<> heap;
  ASSERT_NE(heap.add_pool(arena, sizeof arena), 0U);
  void* p = heap.allocate(48);
  ASSERT_NE(p, nullptr);
  heap.deallocate(p);
  const std::string expected =
      "^rtalloc: double_free \\(deallocate\\) at " + hex(p) + " in heap " + hex(&heap) + "\n$";
  EXPECT_DEATH(
      {
        set_error_handler(nullptr);
        heap.deallocate(p);
      },
      expected);
}

// A release build ignores the report: no line, no trap, the call returns.
TEST(DefaultErrorHandler, AReleaseBuildIgnoresTheReport) {
  if (checks_enabled) GTEST_SKIP() << "checked builds trap (see the death test)";
  static Tlsf<> heap;
  ASSERT_NE(heap.add_pool(arena, sizeof arena), 0U);
  void* p = heap.allocate(48);
  heap.deallocate(p);
  const ErrorHandler previous = set_error_handler(nullptr);
  ::testing::internal::CaptureStderr();
  heap.deallocate(p);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  set_error_handler(previous);
  EXPECT_TRUE(heap.check());
}

}  // namespace
}  // namespace rtalloc::test
