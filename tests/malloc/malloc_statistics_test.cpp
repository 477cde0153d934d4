// SPDX-License-Identifier: MIT OR Apache-2.0
// glibc's statistics functions answered from rtalloc's heap: malloc_stats, mallinfo, mallinfo2
// and malloc_info report the heap that rtalloc_malloc_get_info reports (docs/malloc.md has the
// table of fields). Linked with the library, like malloc_contract_test.cpp.
#include <errno.h>
#include <gtest/gtest.h>
#include <malloc.h>
#include <rtalloc/malloc.h>
#include <rtalloc/version.h>
#include <stdio.h>
#include <stdlib.h>

#include <climits>
#include <cstddef>
#include <cstring>
#include <initializer_list>
#include <string>

// The functions are glibc's: the library defines them where the C library is glibc 2.33 or later.
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 33)
namespace {

template <class T>
T opaque(T value) {
  asm volatile("" : "+r"(value));
  return value;
}

// The pieces as one string, appended in turn (GCC 12 at -O3 warns, -Wrestrict, on a chain of +
// that starts with a literal).
std::string joined(std::initializer_list<std::string> pieces) {
  std::string text;
  for (const std::string& piece : pieces) text += piece;
  return text;
}

rtalloc_malloc_info info() {
  rtalloc_malloc_info result{};
  rtalloc_malloc_get_info(&result);
  return result;
}

// The same figures from mallinfo2 and rtalloc_malloc_get_info, with a block allocated in between
// that both must see.
TEST(MallocStatistics, Mallinfo2ReportsTheRtallocHeap) {
  void* p = opaque(malloc(opaque<std::size_t>(1000)));
  const rtalloc_malloc_info expected = info();
  const struct mallinfo2 got = mallinfo2();
  EXPECT_EQ(got.arena, expected.capacity);
  EXPECT_EQ(got.uordblks, expected.used);
  EXPECT_EQ(got.fordblks, expected.capacity - expected.used);
  EXPECT_EQ(got.arena, got.uordblks + got.fordblks);
  EXPECT_EQ(got.ordblks, expected.free_blocks);
  EXPECT_EQ(got.usmblks, expected.peak_used);
  EXPECT_EQ(got.smblks, 0U);
  EXPECT_EQ(got.hblks, 0U);
  EXPECT_EQ(got.hblkhd, 0U);
  EXPECT_EQ(got.fsmblks, 0U);
  EXPECT_GE(got.uordblks, 1000U);
  free(p);
  EXPECT_LT(mallinfo2().uordblks, got.uordblks);
}

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif
TEST(MallocStatistics, MallinfoIsMallinfo2ClampedToInt) {
  const struct mallinfo2 wide = mallinfo2();
  const struct mallinfo narrow = mallinfo();
  const auto clamped = [](std::size_t v) { return v > INT_MAX ? INT_MAX : static_cast<int>(v); };
  EXPECT_EQ(narrow.arena, clamped(wide.arena));
  EXPECT_EQ(narrow.uordblks, clamped(wide.uordblks));
  EXPECT_EQ(narrow.fordblks, clamped(wide.fordblks));
  EXPECT_EQ(narrow.ordblks, clamped(wide.ordblks));
  EXPECT_GT(narrow.arena, 0);
}
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

TEST(MallocStatistics, MallocStatsPrintsTheFiguresOnStderr) {
  void* p = opaque(malloc(opaque<std::size_t>(100)));
  ::testing::internal::CaptureStderr();  // allocates: the figures are read after it
  const rtalloc_malloc_info expected = info();
  malloc_stats();
  const std::string text = ::testing::internal::GetCapturedStderr();
  free(p);
  // One heap per thread that has allocated (earlier tests' threads too).
  const std::string header = "rtalloc malloc statistics (rtalloc " RTALLOC_VERSION "), ";
  ASSERT_EQ(text.rfind(header, 0), 0u) << text;
  const std::string count = text.substr(header.size(), text.find('\n') - header.size());
  EXPECT_TRUE(count == "1 heap" ||
              (count.ends_with(" heaps") && count[0] >= '2' && count[0] <= '9'))
      << text;
  for (const char* row : {"reserved", "in blocks", "used", "free", "largest free", "peak used",
                          "regions", "growths", "discarded"}) {
    EXPECT_NE(text.find(joined({"\n  ", row, " "})), std::string::npos) << row << "\n" << text;
  }
  EXPECT_NE(text.find(joined({" ", std::to_string(expected.footprint), " bytes mapped"})),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(joined({" bytes in ", std::to_string(expected.used_blocks), " blocks"})),
            std::string::npos)
      << text;
}

TEST(MallocStatistics, MallocInfoWritesXmlWithTheHeapsFigures) {
  char* buffer = nullptr;
  std::size_t size = 0;
  FILE* stream = open_memstream(&buffer, &size);
  ASSERT_NE(stream, nullptr);
  const rtalloc_malloc_info expected = info();
  ASSERT_EQ(malloc_info(0, stream), 0);
  fclose(stream);
  const std::string xml(buffer, size);
  free(buffer);
  EXPECT_EQ(xml.rfind("<malloc version=\"1\" allocator=\"rtalloc\"", 0), 0U) << xml;
  EXPECT_NE(xml.find(joined(
                {"<system type=\"current\" size=\"", std::to_string(expected.footprint), "\"/>"})),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<total type=\"rest\" count=\""), std::string::npos) << xml;
  EXPECT_NE(xml.find(" used_blocks=\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("</malloc>\n"), std::string::npos) << xml;
}

TEST(MallocStatistics, MallocInfoRefusesOptions) {
  errno = 0;
  EXPECT_EQ(malloc_info(1, stdout), -1);
  EXPECT_EQ(errno, EINVAL);
}

}  // namespace
#endif  // glibc
