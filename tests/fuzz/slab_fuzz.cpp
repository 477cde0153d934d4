// SPDX-License-Identifier: MIT OR Apache-2.0
// libFuzzer target for SlabPool: the input chooses a slot type, the pool's
// memory (size and misalignment) and a sequence of allocate, deallocate and
// misuse (double free, foreign, interior and misaligned pointers) operations,
// checked against a model of the live slots.
//
// After every operation: every slot lies in the pool's memory, aligned for
// T, overlapping no other live slot and still holding what was written to
// it; available() equals capacity() minus the live slots; allocate fails
// exactly when none is free; a misuse returns false and changes nothing.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <rtalloc/pools/slab_pool.hpp>

#include "fuzz_support.hpp"

namespace {

using rtalloc::fuzz::fail;
using rtalloc::fuzz::Input;

template <std::size_t Size, std::size_t Align>
struct alignas(Align) Object {
  unsigned char bytes[Size];
};

template <class T>
void fuzz(Input& input) {
  const std::size_t bytes = input.word() % 8192;
  const std::size_t misalignment = input.byte() % 64;
  std::unique_ptr<unsigned char, decltype(&std::free)> memory(
      static_cast<unsigned char*>(std::malloc(bytes + misalignment + 1)), &std::free);
  if (memory == nullptr) fail("out of memory");
  unsigned char* start = memory.get() + misalignment;
  rtalloc::SlabPool<T> pool(start, bytes);
  const std::size_t capacity = pool.capacity();
  std::map<unsigned char*, unsigned char> live;  // slot -> the byte it is filled with
  unsigned char* last_freed = nullptr;
  unsigned char next_fill = 1;

  auto expect_slot = [&](unsigned char* p, unsigned char fill) {
    for (std::size_t i = 0; i < sizeof(T); ++i) {
      if (p[i] != fill) fail("a slot's contents changed", p, i);
    }
  };
  auto refuse = [&](void* p) {  // p is not a live slot: deallocate must refuse it
    if (live.count(static_cast<unsigned char*>(p)) != 0) return;
    const std::size_t before = pool.available();
    if (pool.deallocate(static_cast<T*>(p))) fail("a bad pointer was accepted", p);
    if (pool.available() != before) fail("a refused free changed the pool", p);
  };

  while (!input.empty()) {
    const std::uint8_t op = input.byte();
    switch (op % 6) {
      case 0:
      case 1: {
        auto* p = reinterpret_cast<unsigned char*>(pool.allocate());
        if (p == nullptr) {
          if (live.size() != capacity)
            fail("allocate failed with free slots", nullptr, live.size());
          break;
        }
        if (p < start || p + sizeof(T) > start + bytes) fail("slot outside the memory", p);
        if (reinterpret_cast<std::uintptr_t>(p) % alignof(T) != 0) fail("misaligned slot", p);
        if (!pool.owns(p)) fail("owns() denies a slot", p);
        auto next = live.lower_bound(p);
        if (next != live.end() && p + sizeof(T) > next->first) fail("slots overlap", p);
        if (next != live.begin() && std::prev(next)->first + sizeof(T) > p)
          fail("slots overlap", p);
        std::memset(p, next_fill, sizeof(T));
        live.emplace(p, next_fill);
        next_fill = static_cast<unsigned char>(next_fill % 250 + 1);
        break;
      }
      case 2:
      case 3: {
        if (live.empty()) break;
        auto it = live.begin();
        std::advance(it, input.word() % live.size());
        expect_slot(it->first, it->second);
        if (!pool.deallocate(reinterpret_cast<T*>(it->first))) fail("a live slot was refused");
        last_freed = it->first;
        live.erase(it);
        break;
      }
      case 4: {  // misuse
        const std::uint8_t kind = input.byte();
        if (kind % 4 == 0 && last_freed != nullptr && live.count(last_freed) == 0) {
          refuse(last_freed);  // double free
        } else if (kind % 4 == 1 && !live.empty()) {
          refuse(live.begin()->first + 1 + kind % (sizeof(T) > 1 ? sizeof(T) - 1 : 1));
        } else if (kind % 4 == 2) {
          refuse(start + input.word() % (bytes + 1));  // anywhere in the memory
        } else {
          unsigned char elsewhere[64];
          refuse(elsewhere + kind % 32);
        }
        break;
      }
      default:
        for (const auto& [p, fill] : live) expect_slot(p, fill);
        break;
    }
    if (pool.available() != capacity - live.size())
      fail("available() wrong", nullptr, pool.available());
    if (pool.capacity() != capacity) fail("capacity changed");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input input(data, size);
  switch (input.byte() % 4) {
    case 0:
      fuzz<Object<1, 1>>(input);
      break;
    case 1:
      fuzz<Object<24, 8>>(input);
      break;
    case 2:
      fuzz<Object<64, 64>>(input);
      break;
    default:
      fuzz<Object<200, 16>>(input);
      break;
  }
  return 0;
}
