// SPDX-License-Identifier: MIT OR Apache-2.0
// The measurements rtalloc-replay makes of one allocator, in the process that allocator runs in.
#pragma once

#include <nlohmann/json.hpp>
#include <trace/trace.hpp>

#include "backends.hpp"
#include "replay.hpp"

namespace rtalloc::replay {

struct MeasureOptions {
  unsigned repeat = 3;            // replays for throughput, and again for latency
  std::uint64_t pool_bytes = 0;   // pool heaps: 0 = 2 x peak live bytes + the largest request
  bool min_pool = false;          // pool heaps: also search for the smallest pool
  unsigned memory_samples = 200;  // points of the memory-over-time series
  bool progress = false;          // draw a progress bar on stderr
};

// What the measurements need to know about the whole trace. Worked out by the process that read
// the trace and handed to the workers with it, so that a worker allocates nothing for it (memory
// it freed would be left in the allocator under test).
struct TraceFigures {
  std::uint64_t peak_live_bytes = 0;
  std::uint64_t largest_request = 0;  // the largest size an allocation or a resize asks for
};
TraceFigures trace_figures(TraceView trace);

// Measures `backend`, which must be the allocator of this process (malloc replacements: loaded
// by LD_PRELOAD; rtalloc heaps: always). Every replay runs in a child forked from this process, so
// that all of them start from the same state, and the malloc-based allocators first give back
// the memory they hold free. Returns the results as JSON (docs/tools.md lists the fields). Throws
// std::runtime_error when a replay cannot run.
nlohmann::json measure(const Backend& backend, TraceView trace, const TraceFigures& figures,
                       const MeasureOptions& options);

// One replay in this process through the C entry points rtalloc_replay_allocate,
// rtalloc_replay_deallocate and rtalloc_replay_reallocate, for counting instructions with
// `valgrind --tool=callgrind --toggle-collect=...` (bench/callgrind_ops.sh). Prints the operation
// counts. Returns the process exit status.
int replay_for_callgrind(const Backend& backend, TraceView trace, std::uint64_t pool_bytes);

// Returns an empty string when the malloc this process calls belongs to `backend`, otherwise a
// message saying which library it comes from instead (a preload that did not take effect).
std::string check_malloc_source(const Backend& backend);

}  // namespace rtalloc::replay
