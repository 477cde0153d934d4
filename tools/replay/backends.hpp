// SPDX-License-Identifier: MIT OR Apache-2.0
// The allocators rtalloc-replay can replay a trace through.
//
// rtalloc's heaps are compiled in. The other allocators (jemalloc, mimalloc, tcmalloc, and
// rtalloc's own malloc library) each replace malloc when they are loaded, so no two of them can
// live in one process: every allocator is measured in a process of its own, which rtalloc-replay
// starts by re-executing itself with that allocator's library in LD_PRELOAD. The libraries are
// found when the build is configured (replay_config.hpp); an allocator whose library was not found
// is listed as unavailable and skipped.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rtalloc::replay {

struct Backend {
  std::string name;         // what --allocators takes: rtalloc, rtalloc-small, glibc, jemalloc, ...
  std::string description;  // one line for reports
  std::string heap_config;  // rtalloc heaps: the configuration (heap_configs.hpp, or "flex" for
                            // the growing FlexTlsf); else empty
  std::string preload;      // malloc replacements: the library LD_PRELOAD must load; else empty
  bool available = true;    // false: its library was not found when the tool was built

  // An rtalloc heap compiled into the tool (no preload needed).
  bool pool_heap() const { return !heap_config.empty(); }
  // A heap over one pool given up front, whose smallest size --min-pool can search for.
  bool fixed_pool() const { return pool_heap() && heap_config != "flex"; }
};

// Every allocator the tool knows, available or not, in a fixed order.
const std::vector<Backend>& all_backends();

// The allocator called `name`, or nullptr.
const Backend* find_backend(std::string_view name);

}  // namespace rtalloc::replay
