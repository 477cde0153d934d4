// SPDX-License-Identifier: MIT OR Apache-2.0
// Reader for rtalloc allocation traces (format: docs/trace-format.md).
//
// A trace is the sequence of heap operations of one program run. The reader turns a trace file,
// plain or xz-compressed, into a vector of compact operations that a replay loop can walk without
// further parsing. It validates as it reads: what it returns is well-formed, i.e. every free and
// resize names a live block and block ids are dense (1 .. max_id), so a replay may index a vector
// of max_id + 1 slots by id without checks.
//
// This is hosted code (it allocates and throws); it is for tests and measurement tools only.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rtalloc::trace {

// One heap operation.
//   allocate:   block `id` comes into being with `size` bytes (0 is allowed) aligned to `align`
//               (0 = the platform's default malloc alignment, otherwise a power of two).
//   free:       block `id` is given back.
//   reallocate: block `id` is resized to `size` bytes (never 0) and becomes block `new_id`; `id` is
//               no longer live afterwards.
// Fields a kind does not use are 0.
struct Op {
  enum class Kind : std::uint8_t { allocate, free, reallocate };

  Kind kind;
  std::uint32_t id;
  std::uint32_t new_id;
  std::uint64_t size;
  std::uint32_t align;
};

struct Trace {
  // Value of the `program=` word of the header line; empty when the header has none.
  std::string program;
  std::vector<Op> ops;
  // Largest block id used; ids run 1, 2, ..., max_id without gaps.
  std::uint32_t max_id = 0;
};

// Reads the trace at `path`. Compression is recognised by content (xz or zstd magic), not by file
// name; zstd needs a build with libzstd (otherwise such a file is refused with a message).
// Throws std::runtime_error with a "path:line: what" message on an unreadable file or malformed
// input: a missing or unsupported header, an unknown operation, a bad number, an alignment that is
// not a power of two, a free or resize of a block that is not live, an id out of order, or a last
// line without its newline (a trace cut short). A directory is refused as such.
Trace load(const std::string& path);

// Parses trace text already in memory; `source` names it in error messages. Same checks as load().
Trace parse(std::string_view text, std::string_view source = "<memory>");

// The most bytes that were ever requested and live at the same time, measured after each
// operation, and how many blocks were live at that moment (the first time the peak was reached).
struct Peak {
  std::uint64_t peak_live_bytes = 0;
  std::uint64_t blocks_at_peak = 0;
};

// Precondition: `trace` is well-formed (as returned by load or parse); throws std::invalid_argument
// if an id exceeds trace.max_id.
Peak peak_live(const Trace& trace);

// The same for operations held elsewhere (a replay tool's shared memory), ids up to `max_id`.
Peak peak_live(std::span<const Op> ops, std::uint32_t max_id);

}  // namespace rtalloc::trace
