// SPDX-License-Identifier: MIT OR Apache-2.0
// libFuzzer target for OffsetHeap: the input chooses one of four
// configurations (granule, classes per level, a small or large record store)
// and a sequence of operations — allocate at any alignment, exact fits into
// free ranges, free, resize, add, extend and remove ranges, and misuse (stale
// handles, values never issued, removed ranges, bad alignments, sizes beyond
// the offset space, overlapping ranges in checked builds) — each checked by
// the model the unit tests use (tests/offset/offset_model.hpp), and the whole
// heap verified against it after every operation: check(), statistics,
// records in use, walk() and every live handle.
//
// Build: the `fuzz` preset (Clang). Run: build/fuzz/tests/fuzz/offset_fuzz
// tests/fuzz/corpus/offset -max_total_time=60. A crash input replays with
// `offset_fuzz FILE`; keep it in tests/fuzz/regressions/offset/.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <rtalloc/offset_heap.hpp>
#include <vector>

#include "../offset/offset_model.hpp"
#include "fuzz_support.hpp"

namespace {

using rtalloc::fuzz::fail;
using rtalloc::fuzz::Input;
using rtalloc::test::OffsetModel;
using rtalloc::test::OffsetReports;

template <class Heap>
class Fuzzer {
 public:
  static constexpr std::uint64_t granule = Heap::granule;
  // Ranges live in eight slots of the offset space, so extensions never reach
  // a neighbour.
  static constexpr std::uint64_t slot = Heap::max_offset / 8 / granule * granule;

  Fuzzer(Input& input, Heap& heap) : input_(input), heap_(heap), model_(heap) {}

  void run() {
    expect(add_range(0));
    while (!input_.empty()) {
      expect(step());
      expect(model_.verify());
    }
    expect(model_.clear());
  }

 private:
  static void expect(const char* problem) {
    if (problem != nullptr) fail(problem);
  }

  std::uint64_t u64() {
    std::uint64_t value = 0;
    for (int i = 0; i < 4; ++i) value = (value << 16) | input_.word();
    return value;
  }

  // Mostly small sizes, some up to the slot, some at the edges of what is
  // free, a few beyond the offset space.
  std::uint64_t size() {
    const std::uint8_t kind = input_.byte();
    const std::uint64_t low = input_.word();
    if (kind < 120) return low % 512 * granule / 8;
    if (kind < 200) return (low + 1) << (kind % 30);
    if (kind < 230) {
      const std::uint64_t edge = kind % 2 == 0 ? heap_.largest_free() : heap_.largest_allocation();
      return edge - (edge < granule ? edge : granule) + (low % 3) * granule;
    }
    if (kind < 245) return std::uint64_t{1} << (32 + kind % 8);
    return kind % 2 == 0 ? Heap::max_allocation + low : ~std::uint64_t{0} - low;
  }

  std::uint64_t alignment() {
    const std::uint8_t kind = input_.byte();
    if (kind < 128) return 1;
    if (kind < 136) return kind % 2 == 0 ? 0 : 3 * granule;  // refused and reported
    return std::uint64_t{1} << (kind % 48);
  }

  // Release builds do not detect overlap (the caller must not), so there an
  // occupied slot is left alone; checked builds also try an overlap.
  const char* add_range(std::size_t slot_index) {
    const std::uint64_t begin = slot_index % 8 * slot;
    const std::uint64_t misalignment = input_.byte() % 4 == 0 ? input_.byte() : 0;
    std::uint64_t bytes = std::uint64_t{input_.word()} + 1;
    bytes <<= input_.byte() % 28;
    if (bytes > slot / 2) bytes = slot / 2;
    for (const auto& range : model_.ranges()) {
      if (range.begin < begin + slot && begin < range.end) {
        if (!rtalloc::checks_enabled) return nullptr;
        return model_.add_range(range.end - granule, bytes);  // overlaps
      }
    }
    return model_.add_range(begin + misalignment, bytes);
  }

  // Exactly a free range's size, at an alignment its offset has.
  const char* exact_fit() {
    const auto gaps = model_.gaps();
    if (gaps.empty()) return nullptr;
    const auto& gap = gaps[input_.word() % gaps.size()];
    std::uint64_t align = std::uint64_t{1} << 24;
    while (align > 1 && gap.offset % align != 0) align >>= 1;
    return model_.allocate(gap.size, align);
  }

  const char* step() {
    const std::uint8_t op = input_.byte();
    switch (op % 16) {
      case 0:
      case 1:
      case 2:
      case 3: {
        const std::uint64_t bytes = size();
        return model_.allocate(bytes, alignment());
      }
      case 4:
        return exact_fit();
      case 5:
      case 6:
      case 7:
        return model_.free(input_.word());
      case 8: {
        const std::size_t pick = input_.word();
        return model_.resize(pick, size());
      }
      case 9:
        return model_.stale_handle(input_.word());
      case 10:
        return model_.any_handle(u64());
      case 11:
        return add_range(input_.byte());
      case 12: {
        const std::size_t which = input_.byte();
        return model_.extend_range(which, std::uint64_t{input_.word()} * granule / 4);
      }
      case 13:
        return model_.remove_range(input_.byte());
      case 14:
        return model_.stale_range(input_.byte());
      default:
        return exact_fit();
    }
  }

  Input& input_;
  Heap& heap_;
  OffsetModel<Heap> model_;
};

template <class Heap>
void fuzz_inline(Input& input) {
  auto heap = std::make_unique<Heap>();
  Fuzzer<Heap>(input, *heap).run();
}

template <class Heap>
void fuzz_caller_memory(Input& input, std::size_t records) {
  std::vector<std::byte> memory(Heap::bytes_for_records(records));
  Heap heap(memory.data() + input.byte() % 8, memory.size() - 8);
  Fuzzer<Heap>(input, heap).run();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  rtalloc::set_error_handler(&OffsetReports::record);
  OffsetReports::count = 0;
  Input input(data, size);
  switch (input.byte() % 4) {
    case 0:  // the default: bytes, 32 classes per level
      fuzz_inline<rtalloc::OffsetHeap<2048>>(input);
      break;
    case 1:  // a small store in caller memory: out_of_records is common
      fuzz_caller_memory<rtalloc::OffsetHeap<rtalloc::caller_records, 256, 16>>(input, 24);
      break;
    case 2:  // one class per power of two
      fuzz_caller_memory<rtalloc::OffsetHeap<rtalloc::caller_records, 4096, 1>>(input, 512);
      break;
    default:  // 64 classes per level
      fuzz_inline<rtalloc::OffsetHeap<300, 16, 64>>(input);
      break;
  }
  return 0;
}
