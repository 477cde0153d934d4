// SPDX-License-Identifier: MIT OR Apache-2.0
// libFuzzer target: the input is decoded into a sequence of heap operations
// (add, extend and remove a pool, allocate, aligned allocate, reallocate,
// deallocate, reset, misuses: double frees, foreign, interior and
// misaligned pointers, bad alignments) on one of six configurations (four
// Tlsf ones, and SmallObjects over a Tlsf with two slab configurations), which
// the heap model (tests/model/heap_model.hpp) applies and checks after every
// one; any broken expectation aborts with the model's message. This file
// only decodes.
//
// Input: a configuration byte, the first pool (size word, misalignment
// byte), then operations, each a byte (its value modulo 16 picks it) and its
// arguments; reading past the end gives zeros. tests/fuzz/seed_corpus.py
// writes the seed corpus in this format.
//
// Build: the `fuzz` preset (Clang). Run: build/fuzz/tests/fuzz/tlsf_fuzz
// tests/fuzz/corpus/tlsf -max_total_time=60. A crash input replays with
// `tlsf_fuzz FILE`; tests/fuzz/regressions/ keeps those found so far.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <rtalloc/small_objects.hpp>
#include <rtalloc/tlsf.hpp>
#include <type_traits>

#include "../model/heap_model.hpp"
#include "../model/small_objects_policy.hpp"
#include "../model/tlsf_policy.hpp"
#include "fuzz_support.hpp"

namespace {

using rtalloc::fuzz::Input;
using rtalloc::test::Misuse;
using rtalloc::test::ModelResult;

constexpr std::size_t max_pools = 4;

template <class Heap, class Policy = rtalloc::test::TlsfPolicy<Heap>>
class Fuzzer {
 public:
  explicit Fuzzer(Input& input) : input_(input), model_(heap_, make_policy(heap_)) {}

  void run() {
    add_pool(input_.word(), input_.byte());
    while (!input_.empty()) expect(step());
    expect(model_.free_all());
  }

 private:
  using Model = rtalloc::test::HeapModel<Heap, Policy, 1024, max_pools>;

  // A policy that looks at the heap (SmallObjectsPolicy) is given it.
  static Policy make_policy(Heap& heap) {
    if constexpr (std::is_constructible_v<Policy, Heap&>) {
      return Policy(heap);
    } else {
      return Policy{};
    }
  }

  struct PoolMemory {
    void operator()(std::byte* p) const noexcept { std::free(p); }
  };

  void expect(const ModelResult& result) const {
    if (result.passed) return;
    const auto& last = model_.last();
    std::fprintf(stderr, "fuzz: operation %zu (step %d, size %zu, align %zu): %s\n",
                 result.operation, static_cast<int>(last.step), last.size, last.align, result.what);
    rtalloc::fuzz::fail(result.what, last.pointer, last.size);
  }

  ModelResult step() {
    const std::uint8_t op = input_.byte();
    switch (op % 16) {
      case 0:
      case 1:
      case 2:
      case 3:
        return model_.allocate(input_.size());
      case 4: {
        const std::size_t size = input_.size();
        return model_.allocate(size, std::size_t{1} << (input_.byte() % 17));
      }
      case 5:
      case 6: {
        const std::uint16_t pick = input_.word();
        const std::size_t size = input_.size();
        return pick % 8 == 0 ? model_.reallocate_null(size) : model_.reallocate(pick, size);
      }
      case 7:
      case 8:
      case 9:
        return model_.deallocate(input_.word());
      case 10: {  // kind and variant in one byte, then the block
        const std::uint8_t how = input_.byte();
        return model_.misuse(static_cast<Misuse>(how % 4), input_.word(), how / 4U);
      }
      case 11: {
        const std::uint16_t bytes = input_.word();
        return add_pool(bytes, input_.byte());
      }
      case 12: {
        const std::uint8_t which = input_.byte();
        return model_.extend_pool(which, input_.word() % 4096U);
      }
      case 13: {
        const ModelResult removed = model_.remove_pool(input_.byte());
        release(model_.last_removed_pool());
        return removed;
      }
      case 14: {
        if (input_.byte() < 16) return model_.reset();
        const std::size_t size = input_.size();
        return model_.misuse(Misuse::bad_alignment, size, input_.word());
      }
      default:
        return model_.verify_contents();
    }
  }

  // A pool of min_pool_size + (bytes_choice % 60000) bytes, misaligned by up
  // to 63 bytes, with 16 KiB after it for extensions.
  ModelResult add_pool(std::uint16_t bytes_choice, std::uint8_t misalignment) {
    std::size_t slot = 0;
    while (slot < max_pools && memory_[slot] != nullptr) ++slot;
    if (slot == max_pools) return {};
    const std::size_t bytes = Heap::min_pool_size + bytes_choice % 60000U;
    const std::size_t offset = misalignment % 64U;
    const std::size_t room = bytes + 16384;
    memory_[slot].reset(
        static_cast<std::byte*>(std::aligned_alloc(4096, (offset + room + 4095) / 4096 * 4096)));
    if (memory_[slot] == nullptr) rtalloc::fuzz::fail("out of memory for a pool");
    start_[slot] = memory_[slot].get() + offset;
    return model_.add_pool(start_[slot], bytes, room);
  }

  // A removed pool's memory is freed, so any later use of it is a use after free.
  void release(const void* start) {
    for (std::size_t slot = 0; slot < max_pools; ++slot) {
      if (start != nullptr && start_[slot] == start) memory_[slot].reset();
    }
  }

  Input& input_;
  Heap heap_;
  Model model_;
  std::unique_ptr<std::byte, PoolMemory> memory_[max_pools];
  std::byte* start_[max_pools] = {};
};

template <class Heap, class Policy = rtalloc::test::TlsfPolicy<Heap>>
void fuzz(Input& input) {
  auto fuzzer = std::make_unique<Fuzzer<Heap, Policy>>(input);
  fuzzer->run();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input input(data, size);
  using Slabs = rtalloc::SmallObjects<rtalloc::Tlsf<>>;
  using SmallSlabs = rtalloc::SmallObjects<rtalloc::Tlsf<>, rtalloc::SmallConfig<128, 1024>>;
  switch (input.byte() % 6) {  // the configuration
    case 0:
      fuzz<rtalloc::Tlsf<>>(input);
      break;
    case 1:
      fuzz<rtalloc::TlsfSmall>(input);
      break;
    case 2:
      fuzz<rtalloc::Tlsf<20, 4>>(input);
      break;
    case 3:
      fuzz<rtalloc::Tlsf<24, 64>>(input);
      break;
    case 4:
      fuzz<Slabs, rtalloc::test::SmallObjectsPolicy<Slabs>>(input);
      break;
    default:
      fuzz<SmallSlabs, rtalloc::test::SmallObjectsPolicy<SmallSlabs>>(input);
      break;
  }
  return 0;
}
