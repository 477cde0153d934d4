// SPDX-License-Identifier: MIT OR Apache-2.0
// The model runs that both harnesses execute: models_test.cpp under
// GoogleTest on the host, target_tests.cpp on a bare-metal Cortex-M4. Each
// case builds its allocator over static memory and runs one model with the
// given seed.
#pragma once

#include <cstddef>
#include <cstdint>

#include "bytes_model.hpp"
#include "handle_model.hpp"
#include "../model/model_support.hpp"
#include "rtalloc/byte_buffer.hpp"
#include "rtalloc/handle_pool.hpp"
#include "rtalloc/tlsf.hpp"
#include "tlsf_model.hpp"

namespace rtalloc::test {

struct ModelCase {
  const char* id;  // a C identifier, for test names
  const char* name;
  ModelResult (*run)(std::uint64_t seed, std::size_t operations);
};

/// TlsfSmall, the microcontroller configuration, over a 48 KiB pool.
inline ModelResult run_tlsf_small(std::uint64_t seed, std::size_t operations) {
  alignas(16) static std::byte memory[48 * 1024];
  TlsfModel<TlsfSmall> model(memory, sizeof memory, seed);
  return model.run(operations);
}

/// Blocks of up to 32 bytes in 64 slots, inside the pool object.
inline ModelResult run_handle_pool(std::uint64_t seed, std::size_t operations) {
  using Pool = HandlePool<32, 64>;
  Pool pool;
  HandleModel<Pool> model(pool, seed);
  return model.run(operations);
}

/// A ByteDeque of 16-byte chunks from a pool of 32 chunks.
inline ModelResult run_byte_deque(std::uint64_t seed, std::size_t operations) {
  using Model = BytesModel<16>;
  using Pool = Model::Pool;
  alignas(16) static std::byte memory[Pool::control_bytes + 32 * (Pool::slot_size + 4) + 64];
  Pool pool(memory, sizeof memory);
  Model model(pool, seed);
  return model.run(operations);
}

inline constexpr ModelCase model_cases[] = {
    {"tlsf_small", "TlsfSmall random model", run_tlsf_small},
    {"handle_pool", "HandlePool random model", run_handle_pool},
    {"byte_deque", "ByteDeque random model", run_byte_deque},
};

}  // namespace rtalloc::test
