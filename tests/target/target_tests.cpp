// SPDX-License-Identifier: MIT OR Apache-2.0
// The on-target test runner: runs every portable model (model_cases.hpp) on
// the Cortex-M4, several seeds each, then a ByteQueue fed from the SysTick
// interrupt (queue_from_interrupt.hpp), and prints one line per run and,
// last, "N passed, N failed". main's result is the program's exit status (see
// targets/cortex-m/startup.c): 0 when every run passed.
//
// The models avoid the heap and the C++ runtime; printf comes from newlib,
// semihosted.
#include <cstdint>
#include <cstdio>

#include "../documented_sizes.hpp"
#include "model_cases.hpp"
#include "queue_from_interrupt.hpp"

namespace {

// The Cortex-M4 figures the documents state (tests/documented_sizes.hpp; tests/docs checks the
// documents against them on the host).
constexpr auto documented = rtalloc::test::cortex_m4_sizes;
static_assert(sizeof(rtalloc::Tlsf<>) == documented.tlsf_control, "docs: sizeof(Tlsf<>) changed");
static_assert(sizeof(rtalloc::TlsfSmall) == documented.small_control,
              "docs: sizeof(TlsfSmall) changed");
static_assert(rtalloc::Tlsf<>::header_size == documented.header, "docs: the header changed");
static_assert(rtalloc::Tlsf<>::min_block_size == documented.smallest_block,
              "docs: the smallest block changed");
static_assert(rtalloc::Tlsf<>::pool_overhead - rtalloc::Tlsf<>::header_size ==
                  documented.pool_descriptor,
              "docs: the pool descriptor changed");
static_assert(rtalloc::TlsfSmall::max_block_size == documented.small_largest_block,
              "docs: TlsfSmall's largest block changed");

constexpr std::uint64_t seeds[] = {0x7D1F5EEDULL, 1, 2, 3};
constexpr std::size_t operations_per_run = 100000;

// The interrupt-fed queue: 8 chunks of 16 bytes, 50,000 bytes in all, SysTick every 2,000 cycles.
using Queued = rtalloc::test::QueueFromInterrupt;
alignas(16) std::byte
    queue_memory[Queued::Pool::control_bytes + 8 * (Queued::Pool::slot_size + 4) + 64];
Queued* volatile queue_test = nullptr;

struct SysTickRegisters {
  std::uint32_t control, reload, current;
};
volatile SysTickRegisters& systick = *reinterpret_cast<volatile SysTickRegisters*>(0xE000E010);

rtalloc::test::ModelResult run_queue_from_interrupt() {
  Queued::Pool pool(queue_memory, sizeof queue_memory);
  Queued::Queue queue(pool);
  if (!queue.valid()) return {false, "failed: no first chunk", 0};
  Queued test(queue, 50000);
  queue_test = &test;
  systick.reload = 2000 - 1;
  systick.current = 0;
  systick.control = 0x7;  // processor clock, interrupt, enable
  const rtalloc::test::ModelResult result = test.consume(50000000);
  systick.control = 0;
  queue_test = nullptr;
  std::printf("  (%lu pushes refused for want of chunks, retried)\n",
              static_cast<unsigned long>(test.refused()));
  return result;
}

}  // namespace

extern "C" void SysTick_Handler() {
  if (Queued* test = queue_test) test->produce();
}

int main() {
  int passed = 0;
  int failed = 0;
  for (const rtalloc::test::ModelCase& model_case : rtalloc::test::model_cases) {
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
  const rtalloc::test::ModelResult queued = run_queue_from_interrupt();
  if (queued.passed) {
    ++passed;
    std::printf("passed: ByteQueue fed from SysTick\n");
  } else {
    ++failed;
    std::printf("FAILED: ByteQueue fed from SysTick, byte %lu: %s\n",
                static_cast<unsigned long>(queued.operation), queued.what);
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
