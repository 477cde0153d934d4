// SPDX-License-Identifier: MIT OR Apache-2.0
// libFuzzer target for HandlePool: the input chooses the pool's memory (size
// and misalignment), a handle layout with few generation bits (so slots wrap
// and retire within one run) and a sequence of allocate, free, get and
// misuse operations (stale handles, handles from nowhere), checked against a
// model of the live handles.
//
// After every operation: a live handle reaches its own block with the size
// asked for and the bytes written to it; a freed handle never reaches memory
// again, even after its slot is reused; allocate fails exactly when the
// model says every usable slot is taken (or the request is too large);
// available() and capacity() agree with the model.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <rtalloc/pools/handle_pool.hpp>
#include <vector>

#include "fuzz_support.hpp"

namespace {

using rtalloc::PoolError;
using rtalloc::fuzz::fail;
using rtalloc::fuzz::Input;

template <class Pool>
void fuzz(Input& input) {
  using Handle = typename Pool::Handle;
  const std::size_t bytes = input.word() % 16384;
  const std::size_t misalignment = input.byte() % 64;
  std::unique_ptr<unsigned char, decltype(&std::free)> memory(
      static_cast<unsigned char*>(std::malloc(bytes + misalignment + 1)), &std::free);
  if (memory == nullptr) fail("out of memory");
  Pool pool(memory.get() + misalignment, bytes);
  const std::size_t slots = pool.capacity();
  std::size_t retired = 0;

  struct Live {
    std::size_t length;
    unsigned char fill;
  };
  std::map<decltype(Handle{}.value), Live> live;
  std::vector<Handle> stale;
  std::map<std::size_t, std::uint64_t> uses;  // allocations per slot
  unsigned char next_fill = 1;

  auto expect_block = [&](Handle handle, const Live& block) {
    const auto data = pool.get(handle);
    if (data.data() == nullptr || data.size() != block.length) fail("a live handle lost its block");
    for (std::size_t i = 0; i < block.length; ++i) {
      if (static_cast<unsigned char>(data[i]) != block.fill) fail("a block's contents changed");
    }
  };
  auto expect_stale = [&](Handle handle) {
    if (live.count(handle.value) != 0) return;
    if (pool.valid(handle) || pool.get(handle).data() != nullptr) fail("a stale handle is valid");
    const std::size_t before = pool.available();
    if (pool.free(handle) != PoolError::stale_handle) fail("a stale handle was freed");
    if (pool.available() != before) fail("freeing a stale handle changed the pool");
  };

  while (!input.empty()) {
    const std::uint8_t op = input.byte();
    switch (op % 6) {
      case 0:
      case 1: {
        const std::size_t length = input.word() % (Pool::block_size + 8);
        auto allocation = pool.allocate(length);
        if (length > Pool::block_size) {
          if (allocation.error != PoolError::too_large)
            fail("an oversized request was not refused");
          break;
        }
        if (!allocation) {
          if (allocation.error != PoolError::exhausted || live.size() + retired != slots) {
            fail("allocate failed with usable slots", nullptr, live.size());
          }
          break;
        }
        if (allocation.data.size() != length) fail("the block has the wrong size");
        if (live.count(allocation.handle.value) != 0) fail("a live handle was issued twice");
        std::memset(allocation.data.data(), next_fill, length);
        live.emplace(allocation.handle.value, Live{length, next_fill});
        ++uses[Pool::slot_of(allocation.handle)];
        next_fill = static_cast<unsigned char>(next_fill % 250 + 1);
        break;
      }
      case 2:
      case 3: {
        if (live.empty()) break;
        auto it = live.begin();
        std::advance(it, input.word() % live.size());
        const Handle handle{it->first};
        expect_block(handle, it->second);
        if (pool.free(handle) != PoolError::none) fail("a live handle was refused");
        if (uses[Pool::slot_of(handle)] == Pool::uses_per_slot) ++retired;
        live.erase(it);
        stale.push_back(handle);
        expect_stale(handle);
        break;
      }
      case 4: {  // misuse: an old handle, or any value at all
        if (!stale.empty() && input.byte() % 2 == 0) {
          expect_stale(stale[input.word() % stale.size()]);
        } else {
          Handle handle{};
          handle.value = static_cast<decltype(handle.value)>(input.word() |
                                                             (std::uint32_t{input.word()} << 16));
          expect_stale(handle);
        }
        break;
      }
      default:
        for (const auto& [value, block] : live) expect_block(Handle{value}, block);
        break;
    }
    if (pool.capacity() != slots - retired) fail("capacity() wrong", nullptr, pool.capacity());
    if (pool.available() != slots - retired - live.size()) fail("available() wrong");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input input(data, size);
  switch (input.byte() % 3) {
    case 0:  // 4 generation bits: a slot retires after 8 uses
      fuzz<rtalloc::HandlePool<48, rtalloc::caller_memory, rtalloc::HandleLayout<12, 4>>>(input);
      break;
    case 1:  // the default layout
      fuzz<rtalloc::HandlePool<16>>(input);
      break;
    default:  // large blocks, few of them
      fuzz<rtalloc::HandlePool<100, rtalloc::caller_memory, rtalloc::HandleLayout<20, 12>>>(input);
      break;
  }
  return 0;
}
