// SPDX-License-Identifier: MIT OR Apache-2.0
// What a heap reports about itself: its statistics (stats()) and its blocks
// one by one (walk()). Shared by every rtalloc heap. Freestanding.
#pragma once

#include <cstddef>

#include "rtalloc/config.hpp"

namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE {

/// Heap statistics. Byte counts are of whole blocks, headers included, so
/// that capacity == used + free exactly. Without counters (RTALLOC_STATS=0)
/// peak_used and failed_allocations are not known and are 0.
struct TlsfStats {
  std::size_t pool_count;          ///< pools added and not removed
  std::size_t capacity;            ///< bytes in blocks over all pools
  std::size_t used;                ///< bytes in used blocks
  std::size_t free;                ///< capacity - used
  std::size_t largest_free;        ///< usable bytes of the largest free block
  std::size_t peak_used;           ///< highest `used` seen (since construction)
  std::size_t used_blocks;         ///< live allocations
  std::size_t free_blocks;         ///< free blocks
  std::size_t failed_allocations;  ///< allocations that returned nullptr (since construction)
};

/// One block, as walk() reports it.
struct BlockInfo {
  void* address;           ///< the pointer allocate() returned (or would return)
  std::size_t size;        ///< usable bytes (usable_size() for a used block)
  std::size_t block_size;  ///< bytes the block occupies, header included
  bool used;
};

}  // namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE
