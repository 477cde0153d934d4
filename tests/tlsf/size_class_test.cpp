// SPDX-License-Identifier: MIT OR Apache-2.0
// The two-level size-class mapping, checked against a plain reference
// definition for every granule-multiple size in range, on several
// configurations (granule, classes per level, levels, size type).

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <rtalloc/detail/size_class.hpp>

namespace {

template <std::size_t GranuleLog2, std::size_t SecondLevelLog2, std::size_t FirstLevels,
          class Size = std::size_t>
struct Config {
  using Classes = rtalloc::detail::SizeClasses<GranuleLog2, SecondLevelLog2, FirstLevels, Size>;
  using SizeType = Size;
  static constexpr Size granule = Size{1} << GranuleLog2;
  static constexpr Size second_levels = Size{1} << SecondLevelLog2;

  // The definition from the paper, written the slow way: first level 0 holds
  // sizes below SL granules one class each; level f >= 1 holds
  // [SL * 2^(f-1), SL * 2^f) granules in SL equal steps.
  static std::size_t reference_index(Size size) {
    const Size granules = size / granule;
    if (granules < second_levels) return static_cast<std::size_t>(granules);
    std::size_t first = 1;
    while (granules >= (second_levels << first)) ++first;
    const Size step = Size{1} << (first - 1);
    return first * static_cast<std::size_t>(second_levels) +
           static_cast<std::size_t>((granules - (second_levels << (first - 1))) / step);
  }
};

template <class C>
class SizeClassTest : public ::testing::Test {};

// On 32-bit targets the deepest configurations of size_t get fewer levels,
// so that every size fits in size_t. The 64-bit ones are OffsetHeap's: sizes
// in granules of one unit, up to 2^40 and beyond, also on 32-bit hosts.
constexpr bool wide_sizes = sizeof(std::size_t) >= 8;
using Configurations =
    ::testing::Types<Config<4, 5, wide_sizes ? 33 : 23>, Config<3, 4, 10>,
                     Config<4, 0, wide_sizes ? 30 : 24>, Config<4, 6, 20>, Config<3, 5, 24>,
                     Config<4, 4, 9>, Config<0, 5, 37, std::uint64_t>,
                     Config<0, 4, 38, std::uint64_t>>;
TYPED_TEST_SUITE(SizeClassTest, Configurations);

TYPED_TEST(SizeClassTest, IndexMatchesTheReferenceDefinition) {
  using Classes = typename TypeParam::Classes;
  using Size = typename TypeParam::SizeType;
  const Size limit =
      Classes::max_block_size < (Size{1} << 22) ? Classes::max_block_size : (Size{1} << 22);
  for (Size size = TypeParam::granule; size <= limit; size += TypeParam::granule) {
    ASSERT_EQ(Classes::index_of(size), TypeParam::reference_index(size)) << "size " << size;
  }
}

TYPED_TEST(SizeClassTest, ClassStartsBoundTheirClasses) {
  using Classes = typename TypeParam::Classes;
  using Size = typename TypeParam::SizeType;
  const Size limit =
      Classes::max_block_size < (Size{1} << 22) ? Classes::max_block_size : (Size{1} << 22);
  for (Size size = TypeParam::granule; size <= limit; size += TypeParam::granule) {
    const std::size_t index = Classes::index_of(size);
    ASSERT_LE(Classes::class_start(index), size) << "size " << size;
    if (index + 1 < Classes::class_count) {
      ASSERT_GT(Classes::class_start(index + 1), size) << "size " << size;
    }
  }
}

TYPED_TEST(SizeClassTest, RoundedUpClassHoldsOnlyBlocksThatFit) {
  using Classes = typename TypeParam::Classes;
  using Size = typename TypeParam::SizeType;
  const Size limit =
      Classes::last_class_start < (Size{1} << 22) ? Classes::last_class_start : (Size{1} << 22);
  for (Size size = TypeParam::granule; size <= limit; size += TypeParam::granule) {
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
  using Size = typename TypeParam::SizeType;
  const Size granule = TypeParam::granule;
  for (Size size = granule; size <= 64 * 1024 && size <= Classes::max_block_size; size += granule) {
    const auto mapping = Classes::map(size);
    for (Size smaller = size; smaller >= granule && smaller + 64 * granule >= size;
         smaller -= granule) {
      ASSERT_EQ(mapping.holds(smaller), Classes::index_of(smaller) == mapping.index)
          << "size " << size << " smaller " << smaller;
    }
  }
}

// Every class start, and the sizes one granule either side, up to the
// largest block: the sizes beyond 2^22 that the exhaustive tests above do not
// reach, and on 32-bit hosts the 64-bit sizes beyond 2^32.
TYPED_TEST(SizeClassTest, EveryClassBoundaryMatchesTheReferenceDefinition) {
  using Classes = typename TypeParam::Classes;
  for (std::size_t index = 1; index < Classes::class_count; ++index) {
    const auto start = Classes::class_start(index);
    ASSERT_EQ(Classes::index_of(start), index) << "class " << index;
    ASSERT_EQ(TypeParam::reference_index(start), index) << "class " << index;
    ASSERT_EQ(Classes::index_of(start - TypeParam::granule), index - 1) << "class " << index;
    ASSERT_EQ(Classes::index_at_least(start), index) << "class " << index;
    if (const auto below = start - TypeParam::granule; below >= TypeParam::granule) {
      const std::size_t expected = Classes::class_start(index - 1) == below ? index - 1 : index;
      ASSERT_EQ(Classes::index_at_least(below), expected) << "class " << index;
    }
    if (index + 1 < Classes::class_count) {
      ASSERT_EQ(Classes::index_at_least(start + TypeParam::granule), index + 1)
          << "class " << index;
    }
  }
  EXPECT_EQ(TypeParam::reference_index(Classes::max_block_size), Classes::class_count - 1);
}

TYPED_TEST(SizeClassTest, LargestSizesMapToTheLastClass) {
  using Classes = typename TypeParam::Classes;
  EXPECT_EQ(Classes::index_of(Classes::max_block_size), Classes::class_count - 1);
  EXPECT_EQ(Classes::index_of(Classes::last_class_start), Classes::class_count - 1);
  EXPECT_EQ(Classes::index_at_least(Classes::last_class_start), Classes::class_count - 1);
  EXPECT_EQ(Classes::class_start(Classes::class_count - 1), Classes::last_class_start);
}

}  // namespace
