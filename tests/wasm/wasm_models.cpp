// SPDX-License-Identifier: MIT OR Apache-2.0
// The portable model runs (tests/target/model_cases.hpp) as a WASI command:
// `wasm_models.wasm ID` runs the case named ID with four seeds of 100,000
// operations each, the same runs the Cortex-M4 makes, and prints one line
// per run and, last, "N passed, N failed". Exit status 0 only if every run
// passed; 2 for an unknown ID. The wasm32 preset builds it at -Oz (the
// compact forms of the heap) and ctest runs it under Node.js.
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "../target/model_cases.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::printf("usage: wasm_models ID (one of:");
    for (const rtalloc::test::ModelCase& model_case : rtalloc::test::model_cases) {
      std::printf(" %s", model_case.id);
    }
    std::printf(")\n");
    return 2;
  }
  constexpr std::uint64_t seeds[] = {0x7D1F5EEDULL, 1, 2, 3};
  constexpr std::size_t operations_per_run = 100000;
  int passed = 0;
  int failed = 0;
  for (const rtalloc::test::ModelCase& model_case : rtalloc::test::model_cases) {
    if (std::strcmp(model_case.id, argv[1]) != 0) continue;
    for (const std::uint64_t seed : seeds) {
      const rtalloc::test::ModelResult result = model_case.run(seed, operations_per_run);
      if (result.passed) {
        ++passed;
        std::printf("passed: %s, seed %#llx\n", model_case.name,
                    static_cast<unsigned long long>(seed));
      } else {
        ++failed;
        std::printf("FAILED: %s, seed %#llx, operation %lu: %s\n", model_case.name,
                    static_cast<unsigned long long>(seed),
                    static_cast<unsigned long>(result.operation), result.what);
      }
    }
  }
  if (passed + failed == 0) {
    std::printf("wasm_models: no case %s\n", argv[1]);
    return 2;
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
