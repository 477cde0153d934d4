// SPDX-License-Identifier: MIT OR Apache-2.0
// The malloc library's settings (src/malloc/options.cpp), linked in directly: the size and switch
// parsers, and that a value which cannot be parsed is reported once, with the default it falls
// back to.
#include "options.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <limits>
#include <map>
#include <string>

namespace rtalloc::malloc_support {
namespace {

constexpr std::size_t max = std::numeric_limits<std::size_t>::max();

std::size_t size_of(const char* text) {
  std::size_t bytes = 12345;
  EXPECT_TRUE(parse_size(text, bytes)) << text;
  return bytes;
}

bool refused(const char* text) {
  std::size_t bytes = 12345;
  return !parse_size(text, bytes) && bytes == 12345;
}

TEST(MallocOptions, SizesInBytes) {
  EXPECT_EQ(size_of("0"), 0U);
  EXPECT_EQ(size_of("4096"), 4096U);
  EXPECT_EQ(size_of("4096B"), 4096U);
  EXPECT_EQ(size_of("007"), 7U);
  EXPECT_EQ(size_of(std::to_string(max).c_str()), max);
}

TEST(MallocOptions, SizesWithBinarySuffixes) {
  for (const char* text : {"64k", "64K", "64kB", "64KB", "64KiB", "64kib"})
    EXPECT_EQ(size_of(text), 64U << 10) << text;
  for (const char* text : {"2M", "2m", "2MB", "2MiB"}) EXPECT_EQ(size_of(text), 2U << 20) << text;
  for (const char* text : {"1G", "1g", "1GB", "1GiB"}) EXPECT_EQ(size_of(text), 1U << 30) << text;
  if constexpr (sizeof(std::size_t) == 8) {
    EXPECT_EQ(size_of("3T"), std::size_t{3} << 40);
  }
}

TEST(MallocOptions, WhatIsNotASize) {
  for (const char* text : {"", "k", "M", "-1", "+1", " 1", "1 ", "1.5M", "12x", "0x10", "64Ki",
                           "64KK", "64KiBB", "64iB", "1e6", "ten"})
    EXPECT_TRUE(refused(text)) << '"' << text << '"';
}

TEST(MallocOptions, SizesThatDoNotFit) {
  const std::string one_more = std::to_string(max) + "0";
  EXPECT_TRUE(refused(one_more.c_str()));
  EXPECT_TRUE(refused("99999999999999999999"));
  if constexpr (sizeof(std::size_t) == 8) {
    EXPECT_TRUE(refused("16777216T"));                   // 2^64
    EXPECT_EQ(size_of("16777215T"), max - (max >> 24));  // 2^64 - 2^40
  } else {
    EXPECT_TRUE(refused("4G"));  // 2^32
    EXPECT_EQ(size_of("3G"), std::size_t{3} << 30);
  }
}

TEST(MallocOptions, Switches) {
  for (const char* text : {"1", "yes", "YES", "true", "True", "on", "ON"}) {
    bool value = false;
    EXPECT_TRUE(parse_switch(text, value) && value) << text;
  }
  for (const char* text : {"0", "no", "false", "off", "Off"}) {
    bool value = true;
    EXPECT_TRUE(parse_switch(text, value) && !value) << text;
  }
  for (const char* text : {"", "2", "y", "onn", "10", "enabled", " 1"}) {
    bool value = true;
    EXPECT_FALSE(parse_switch(text, value)) << text;
    EXPECT_TRUE(value) << text;
  }
}

// read_options over a table instead of the environment, its reports read back from a pipe.
std::map<std::string, std::string> table;
const char* from_table(const char* name) {
  const auto it = table.find(name);
  return it == table.end() ? nullptr : it->second.c_str();
}

std::string read_with_reports(Options& options) {
  int ends[2];
  EXPECT_EQ(pipe(ends), 0);
  options = read_options(from_table, ends[1]);
  close(ends[1]);
  std::string text;
  char buffer[512];
  for (ssize_t got; (got = read(ends[0], buffer, sizeof buffer)) > 0;)
    text.append(buffer, static_cast<std::size_t>(got));
  close(ends[0]);
  return text;
}

TEST(MallocOptions, UnsetVariablesGiveTheDefaults) {
  table = {};
  Options options;
  EXPECT_EQ(read_with_reports(options), "");
  EXPECT_EQ(options.discard_threshold, default_discard_threshold);
  EXPECT_FALSE(options.check_at_exit);
  EXPECT_FALSE(options.show_stats);
  EXPECT_EQ(options.stats_file, nullptr);
}

TEST(MallocOptions, EveryVariableIsRead) {
  table = {{"RTALLOC_MALLOC_DISCARD_THRESHOLD", "1MiB"},
           {"RTALLOC_MALLOC_CHECK", "1"},
           {"RTALLOC_MALLOC_SHOW_STATS", "yes"},
           {"RTALLOC_MALLOC_STATS_FILE", "/tmp/stats.txt"}};
  Options options;
  EXPECT_EQ(read_with_reports(options), "");
  EXPECT_EQ(options.discard_threshold, 1U << 20);
  EXPECT_TRUE(options.check_at_exit);
  EXPECT_TRUE(options.show_stats);
  ASSERT_NE(options.stats_file, nullptr);
  EXPECT_STREQ(options.stats_file, "/tmp/stats.txt");
}

TEST(MallocOptions, AnEmptyValueIsUnset) {
  table = {{"RTALLOC_MALLOC_DISCARD_THRESHOLD", ""}, {"RTALLOC_MALLOC_CHECK", ""}};
  Options options;
  EXPECT_EQ(read_with_reports(options), "");
  EXPECT_EQ(options.discard_threshold, default_discard_threshold);
}

TEST(MallocOptions, EachBadValueIsReportedWithTheDefault) {
  table = {{"RTALLOC_MALLOC_DISCARD_THRESHOLD", "lots"},
           {"RTALLOC_MALLOC_CHECK", "maybe"},
           {"RTALLOC_MALLOC_SHOW_STATS", "1"}};
  Options options;
  EXPECT_EQ(read_with_reports(options),
            "rtalloc malloc: RTALLOC_MALLOC_DISCARD_THRESHOLD=lots: not a size; using the default "
            "16777216\n"
            "rtalloc malloc: RTALLOC_MALLOC_CHECK=maybe: not 0 or 1; using the default 0\n");
  EXPECT_EQ(options.discard_threshold, default_discard_threshold);
  EXPECT_FALSE(options.check_at_exit);
  EXPECT_TRUE(options.show_stats);
}

TEST(MallocOptions, AVeryLongBadValueIsCut) {
  table = {{"RTALLOC_MALLOC_DISCARD_THRESHOLD", std::string(1000, 'x')}};
  Options options;
  const std::string report = read_with_reports(options);
  EXPECT_NE(report.find("=" + std::string(64, 'x') + ": not a size"), std::string::npos) << report;
}

// options() reads the environment once: the bad value is reported by the first call only.
TEST(MallocOptions, TheProcessWideOptionsReportABadValueOnce) {
  ASSERT_EQ(setenv("RTALLOC_MALLOC_DISCARD_THRESHOLD", "12 MiB", 1), 0);
  ::testing::internal::CaptureStderr();
  const Options& first = options();
  const Options& second = options();
  const std::string report = ::testing::internal::GetCapturedStderr();
  unsetenv("RTALLOC_MALLOC_DISCARD_THRESHOLD");
  EXPECT_EQ(&first, &second);
  EXPECT_EQ(report,
            "rtalloc malloc: RTALLOC_MALLOC_DISCARD_THRESHOLD=12 MiB: not a size; using the "
            "default 16777216\n");
  EXPECT_EQ(first.discard_threshold, default_discard_threshold);
}

}  // namespace
}  // namespace rtalloc::malloc_support
