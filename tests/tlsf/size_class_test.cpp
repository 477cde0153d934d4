// SPDX-License-Identifier: MIT OR Apache-2.0
// The two-level size-class mapping, checked against a plain reference
// definition for every granule-multiple size in range, on several
// configurations (granule, classes per level, levels).

#include <gtest/gtest.h>

#include <cstddef>
#include <rtalloc/detail/size_class.hpp>

namespace {

template <std::size_t GranuleLog2, std::size_t SecondLevelLog2, std::size_t FirstLevels>
struct Config {
  using Classes = rtalloc::detail::SizeClasses<GranuleLog2, SecondLevelLog2, FirstLevels>;
  static constexpr std::size_t granule = std::size_t{1} << GranuleLog2;
  static constexpr std::size_t second_levels = std::size_t{1} << SecondLevelLog2;

  // The definition from the paper, written the slow way: first level 0 holds
  // sizes below SL granules one class each; level f >= 1 holds
  // [SL * 2^(f-1), SL * 2^f) granules in SL equal steps.
  static std::size_t reference_index(std::size_t size) {
    const std::size_t granules = size / granule;
    if (granules < second_levels) return granules;
    std::size_t first = 1;
    while (granules >= (second_levels << first)) ++first;
    const std::size_t step = std::size_t{1} << (first - 1);
    return first * second_levels + (granules - (second_levels << (first - 1))) / step;
  }
};

template <class C>
class SizeClassTest : public ::testing::Test {};

// On 32-bit targets the deepest configurations get fewer levels, so that
// every size fits in size_t.
constexpr bool wide_sizes = sizeof(std::size_t) >= 8;
using Configurations = ::testing::Types<Config<4, 5, wide_sizes ? 33 : 23>, Config<3, 4, 10>,
                                        Config<4, 0, wide_sizes ? 30 : 24>, Config<4, 6, 20>,
                                        Config<3, 5, 24>, Config<4, 4, 9>>;
TYPED_TEST_SUITE(SizeClassTest, Configurations);

TYPED_TEST(SizeClassTest, IndexMatchesTheReferenceDefinition) {
  using Classes = typename TypeParam::Classes;
  const std::size_t limit = Classes::max_block_size < (std::size_t{1} << 22)
                                ? Classes::max_block_size
                                : (std::size_t{1} << 22);
  for (std::size_t size = TypeParam::granule; size <= limit; size += TypeParam::granule) {
    ASSERT_EQ(Classes::index_of(size), TypeParam::reference_index(size)) << "size " << size;
  }
}

TYPED_TEST(SizeClassTest, ClassStartsBoundTheirClasses) {
  using Classes = typename TypeParam::Classes;
  const std::size_t limit = Classes::max_block_size < (std::size_t{1} << 22)
                                ? Classes::max_block_size
                                : (std::size_t{1} << 22);
  for (std::size_t size = TypeParam::granule; size <= limit; size += TypeParam::granule) {
    const std::size_t index = Classes::index_of(size);
    ASSERT_LE(Classes::class_start(index), size) << "size " << size;
    if (index + 1 < Classes::class_count) {
      ASSERT_GT(Classes::class_start(index + 1), size) << "size " << size;
    }
  }
}

TYPED_TEST(SizeClassTest, RoundedUpClassHoldsOnlyBlocksThatFit) {
  using Classes = typename TypeParam::Classes;
  const std::size_t limit = Classes::last_class_start < (std::size_t{1} << 22)
                                ? Classes::last_class_start
                                : (std::size_t{1} << 22);
  for (std::size_t size = TypeParam::granule; size <= limit; size += TypeParam::granule) {
    const std::size_t index = Classes::index_at_least(size);
    ASSERT_LT(index, Classes::class_count) << "size " << size;
    ASSERT_GE(Classes::class_start(index), size) << "size " << size;  // every block fits
    if (index > 0) {  // and it is the smallest such class
      ASSERT_LT(Classes::class_start(index - 1), size) << "size " << size;
    }
  }
}

TYPED_TEST(SizeClassTest, HoldsAgreesWithIndex) {
  using Classes = typename TypeParam::Classes;
  const std::size_t granule = TypeParam::granule;
  for (std::size_t size = granule; size <= 64 * 1024 && size <= Classes::max_block_size;
       size += granule) {
    const auto mapping = Classes::map(size);
    for (std::size_t smaller = size; smaller >= granule && smaller + 64 * granule >= size;
         smaller -= granule) {
      ASSERT_EQ(mapping.holds(smaller), Classes::index_of(smaller) == mapping.index)
          << "size " << size << " smaller " << smaller;
    }
  }
}

TYPED_TEST(SizeClassTest, LargestSizesMapToTheLastClass) {
  using Classes = typename TypeParam::Classes;
  EXPECT_EQ(Classes::index_of(Classes::max_block_size), Classes::class_count - 1);
  EXPECT_EQ(Classes::index_of(Classes::last_class_start), Classes::class_count - 1);
  EXPECT_EQ(Classes::index_at_least(Classes::last_class_start), Classes::class_count - 1);
  EXPECT_EQ(Classes::class_start(Classes::class_count - 1), Classes::last_class_start);
}

}  // namespace
