// SPDX-License-Identifier: MIT OR Apache-2.0
// The rtalloc heap configurations the replay tool and the benchmarks compare, defined once.
//
// Each is an rtalloc::Tlsf instantiation derived from the library's default, so that changing the
// default moves every configuration with it, or the default with slabs in front of it.
#pragma once

#include <rtalloc/small_objects.hpp>
#include <rtalloc/tlsf.hpp>
#include <string_view>
#include <type_traits>

namespace rtalloc::replay {

// The library default (32 classes per power of two).
using DefaultHeap = Tlsf<>;
// The microcontroller configuration: small control block, blocks up to 64 KiB.
using SmallHeap = TlsfSmall;
// Coarser classes: 16 per power of two, same first levels as the default.
using Sl16Heap = Tlsf<DefaultHeap::first_level_count, 16>;
// Finer classes: 64 per power of two; one first level fewer keeps the default's largest block.
using Sl64Heap = Tlsf<DefaultHeap::first_level_count - 1, 64>;

// The default with its small requests from size-class slabs (rtalloc/small_objects.hpp).
using SlabsHeap = SmallObjects<DefaultHeap>;

inline constexpr std::string_view config_names[] = {"default", "small", "sl16", "sl64", "slabs"};

// Calls fn(std::type_identity<Heap>{}) with the configuration called `name`.
// Returns false, without calling fn, if there is no such configuration.
template <class Fn>
bool visit_config(std::string_view name, Fn&& fn) {
  if (name == "default") {
    fn(std::type_identity<DefaultHeap>{});
  } else if (name == "small") {
    fn(std::type_identity<SmallHeap>{});
  } else if (name == "sl16") {
    fn(std::type_identity<Sl16Heap>{});
  } else if (name == "sl64") {
    fn(std::type_identity<Sl64Heap>{});
  } else if (name == "slabs") {
    fn(std::type_identity<SlabsHeap>{});
  } else {
    return false;
  }
  return true;
}

}  // namespace rtalloc::replay
