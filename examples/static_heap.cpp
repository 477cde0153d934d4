// SPDX-License-Identifier: MIT OR Apache-2.0
// static_heap: a TLSF heap over a static array, with no operating-system memory at all.
//
// The heap's control block and its pool are both static, so nothing here calls malloc. The program
// allocates a mix of sizes and one over-aligned block, grows one block, frees some, and prints the
// heap's statistics after each step, then walks the blocks and checks the heap's invariants.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <rtalloc/tlsf.hpp>

namespace {

// The pool: 1 MiB of static storage. The heap keeps its block headers inside it.
alignas(16) std::byte arena[std::size_t{1} << 20];

// The control block (free lists and bitmaps). Its constructor is constexpr, so it is ready before
// main() runs.
rtalloc::Tlsf<> heap;

struct Snapshot {
  const char* name;
  rtalloc::TlsfStats stats;
};

void print_table(const Snapshot* snapshots, std::size_t count) {
  struct Row {
    const char* label;
    std::size_t rtalloc::TlsfStats::*field;
  };
  static constexpr Row rows[] = {
      {"pools", &rtalloc::TlsfStats::pool_count},
      {"capacity (bytes)", &rtalloc::TlsfStats::capacity},
      {"used (bytes)", &rtalloc::TlsfStats::used},
      {"free (bytes)", &rtalloc::TlsfStats::free},
      {"largest free", &rtalloc::TlsfStats::largest_free},
      {"peak used", &rtalloc::TlsfStats::peak_used},
      {"used blocks", &rtalloc::TlsfStats::used_blocks},
      {"free blocks", &rtalloc::TlsfStats::free_blocks},
      {"failed allocations", &rtalloc::TlsfStats::failed_allocations},
  };
  std::printf("%-20s", "");
  for (std::size_t i = 0; i < count; ++i) std::printf(" %13s", snapshots[i].name);
  std::printf("\n");
  for (const Row& row : rows) {
    std::printf("%-20s", row.label);
    for (std::size_t i = 0; i < count; ++i) std::printf(" %13zu", snapshots[i].stats.*row.field);
    std::printf("\n");
  }
}

void print_walk() {
  std::size_t used_blocks = 0, used_bytes = 0, free_blocks = 0, free_bytes = 0, largest_free = 0;
  heap.walk([&](const rtalloc::BlockInfo& block) {
    if (block.used) {
      ++used_blocks;
      used_bytes += block.size;
    } else {
      ++free_blocks;
      free_bytes += block.size;
      if (block.size > largest_free) largest_free = block.size;
    }
  });
  std::printf(
      "walk() after freeing half: %zu used blocks (%zu bytes), %zu free blocks (%zu bytes, largest "
      "%zu)\n",
      used_blocks, used_bytes, free_blocks, free_bytes, largest_free);
}

}  // namespace

int main() {
  std::printf("rtalloc::Tlsf<>: control block %zu bytes, alignment %zu, header %zu bytes\n\n",
              sizeof heap, rtalloc::Tlsf<>::alignment, rtalloc::Tlsf<>::header_size);

  if (heap.add_pool(arena, sizeof arena) == 0) {
    std::fprintf(stderr, "add_pool rejected the arena\n");
    return 1;
  }
  Snapshot snapshots[4] = {{"empty", heap.stats()}, {}, {}, {}};

  // A mix of small and large requests.
  constexpr std::size_t sizes[] = {24, 100, 256, 1000, 4096, 20000, 65536, 7};
  void* blocks[sizeof sizes / sizeof sizes[0]] = {};
  for (std::size_t i = 0; i < sizeof sizes / sizeof sizes[0]; ++i) {
    blocks[i] = heap.allocate(sizes[i]);
    if (blocks[i] == nullptr) {
      std::fprintf(stderr, "allocate(%zu) failed\n", sizes[i]);
      return 1;
    }
  }
  // One block on a 4 KiB boundary, as a DMA buffer might need.
  void* page = heap.allocate(3000, 4096);
  if (page == nullptr || reinterpret_cast<std::uintptr_t>(page) % 4096 != 0) {
    std::fprintf(stderr, "aligned allocation failed\n");
    return 1;
  }
  std::printf("allocate(3000, 4096) -> %p, usable_size %zu\n", page, heap.usable_size(page));

  // Grow one block; on success the old pointer is no longer valid.
  void* grown = heap.reallocate(blocks[1], 5000);
  if (grown == nullptr) {
    std::fprintf(stderr, "reallocate failed\n");
    return 1;
  }
  blocks[1] = grown;
  std::printf("reallocate(100 -> 5000) -> %p, usable_size %zu\n\n", grown, heap.usable_size(grown));
  snapshots[1] = {"allocated", heap.stats()};

  // Free every other block: the heap now has holes between used blocks.
  for (std::size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i += 2) {
    heap.deallocate(blocks[i]);
    blocks[i] = nullptr;
  }
  snapshots[2] = {"half freed", heap.stats()};

  // A request larger than the pool fails with nullptr and is counted.
  if (heap.allocate(sizeof arena) != nullptr) {
    std::fprintf(stderr, "an impossible allocation succeeded\n");
    return 1;
  }
  print_walk();

  for (void* block : blocks) {
    if (block != nullptr) heap.deallocate(block);
  }
  heap.deallocate(page);
  snapshots[3] = {"all freed", heap.stats()};

  std::printf("\n");
  print_table(snapshots, sizeof snapshots / sizeof snapshots[0]);

  const bool ok = heap.check();
  std::printf("\ncheck(): %s\n", ok ? "all invariants hold" : "HEAP CORRUPTED");
  return ok ? 0 : 1;
}
