// SPDX-License-Identifier: MIT OR Apache-2.0
// The portable model runs (model_cases.hpp) under GoogleTest on the host:
// the same code the on-target runner executes on a Cortex-M4, so a failure
// seen there can be reproduced and debugged here. Several seeds per model.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "model_cases.hpp"

namespace rtalloc::test {
namespace {

class PortableModel : public ::testing::TestWithParam<ModelCase> {};

TEST_P(PortableModel, RandomSequencesMatchTheModel) {
  for (std::uint64_t seed = 0; seed < 8; ++seed) {
    const ModelResult result = GetParam().run(seed, 20000);
    ASSERT_TRUE(result.passed) << GetParam().name << ", seed " << seed << ", operation "
                               << result.operation << ": " << result.what;
  }
}

INSTANTIATE_TEST_SUITE_P(Models, PortableModel, ::testing::ValuesIn(model_cases),
                         [](const ::testing::TestParamInfo<ModelCase>& param_info) {
                           return std::string(param_info.param.id);
                         });

}  // namespace
}  // namespace rtalloc::test
