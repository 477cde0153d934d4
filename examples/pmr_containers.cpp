// SPDX-License-Identifier: MIT OR Apache-2.0
// Standard containers on an rtalloc heap: std::pmr containers through
// rtalloc::TlsfResource, and an ordinary std::vector through
// rtalloc::StdAllocator. Prints how much of the heap they use.
#include <cstddef>
#include <cstdio>
#include <memory_resource>
#include <rtalloc/adapters/std_allocator.hpp>
#include <rtalloc/hosted/pmr.hpp>
#include <rtalloc/tlsf.hpp>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

alignas(16) std::byte arena[256 * 1024];
rtalloc::Tlsf<> heap;

void print_use(const char* when) {
  const rtalloc::TlsfStats s = heap.stats();
  std::printf("%-28s %6zu bytes used in %4zu blocks, %6zu free\n", when, s.used, s.used_blocks,
              s.free);
}

}  // namespace

int main() {
  if (heap.add_pool(arena, sizeof arena) == 0) return 1;
  print_use("empty heap:");

  {
    rtalloc::TlsfResource resource(heap);  // a std::pmr::memory_resource over the heap
    std::pmr::unordered_map<std::pmr::string, int> word_counts(&resource);
    const char* words[] = {"tlsf", "bounded", "time", "tlsf", "heap", "time", "tlsf"};
    for (const char* word : words) ++word_counts[std::pmr::string(word, &resource)];
    std::pmr::vector<double> samples(&resource);
    for (int i = 0; i < 1000; ++i) samples.push_back(i * 0.001);
    std::printf("\"tlsf\" seen %d times; %zu samples\n", word_counts.at("tlsf"), samples.size());
    print_use("with pmr containers:");
  }
  print_use("after they are destroyed:");

  {
    using Allocator = rtalloc::StdAllocator<int, rtalloc::Tlsf<>>;
    std::vector<int, Allocator> squares{Allocator(heap)};
    for (int i = 0; i < 100; ++i) squares.push_back(i * i);
    std::printf("squares[99] = %d\n", squares[99]);
    print_use("with a std::vector:");
  }
  print_use("at the end:");
  return heap.stats().used_blocks == 0 && heap.check() ? 0 : 1;
}
