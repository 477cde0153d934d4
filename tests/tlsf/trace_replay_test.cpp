// SPDX-License-Identifier: MIT OR Apache-2.0
// Replays recorded allocation traces of real programs through Tlsf<> with a
// pool of twice the trace's peak footprint: with that much room, no
// allocation may fail, contents must survive, and the heap must stay sound.
#include <cstdint>
#include <cstring>
#include <string>
#include <trace/trace.hpp>

#include "tlsf_test_support.hpp"

#ifndef RTALLOC_TEST_DATA_DIR
#error "RTALLOC_TEST_DATA_DIR must name the directory holding the test traces"
#endif

namespace rtalloc::test {
namespace {

using Heap = Tlsf<>;

// Bytes a block for `size` bytes at `align` occupies in Heap, counting the
// whole alignment as if the gap in front could never be reused.
std::size_t footprint(std::uint64_t size, std::uint32_t align) {
  const bool aligned = align > Heap::alignment;
  std::size_t bytes =
      static_cast<std::size_t>(size) + Heap::header_size + (aligned ? Heap::header_size : 0);
  bytes = std::max((bytes + Heap::granularity - 1) / Heap::granularity * Heap::granularity,
                   Heap::min_block_size);
  return bytes + (aligned ? align : 0);
}

struct Footprint {
  std::size_t peak_bytes = 0;   // the most heap the trace needs at once, in Heap's blocks
  std::size_t peak_blocks = 0;  // the most blocks live at once
};

Footprint peak_footprint(const trace::Trace& recorded) {
  std::vector<std::size_t> bytes_of(std::size_t{recorded.max_id} + 1, 0);
  std::vector<std::uint32_t> align_of(std::size_t{recorded.max_id} + 1, 0);
  std::size_t live_bytes = 0;
  std::size_t live_blocks = 0;
  Footprint peak;
  for (const trace::Op& op : recorded.ops) {
    switch (op.kind) {
      case trace::Op::Kind::allocate:
        bytes_of[op.id] = footprint(op.size, op.align);
        align_of[op.id] = op.align;
        live_bytes += bytes_of[op.id];
        ++live_blocks;
        break;
      case trace::Op::Kind::free:
        live_bytes -= bytes_of[op.id];
        --live_blocks;
        break;
      case trace::Op::Kind::reallocate:
        // A block keeps its alignment, and the old one stays while the new one is found.
        align_of[op.new_id] = align_of[op.id];
        bytes_of[op.new_id] = footprint(op.size, align_of[op.id]);
        live_bytes += bytes_of[op.new_id];
        peak.peak_bytes = std::max(peak.peak_bytes, live_bytes);
        peak.peak_blocks = std::max(peak.peak_blocks, live_blocks + 1);
        live_bytes -= bytes_of[op.id];
        break;
    }
    peak.peak_bytes = std::max(peak.peak_bytes, live_bytes);
    peak.peak_blocks = std::max(peak.peak_blocks, live_blocks);
  }
  return peak;
}

// Each block starts with its id, where it is large enough to hold one.
void stamp(void* p, std::uint64_t size, std::uint64_t id) {
  if (size >= sizeof id) {
    std::memcpy(p, &id, sizeof id);
  }
}

bool stamped(const void* p, std::uint64_t size, std::uint64_t id) {
  if (size < sizeof id) {
    return true;
  }
  std::uint64_t found = 0;
  std::memcpy(&found, p, sizeof found);
  return found == id;
}

class TraceReplayTest : public ErrorRecordingTest,
                        public ::testing::WithParamInterface<const char*> {};

TEST_P(TraceReplayTest, ReplaysWithoutFailure) {
  const std::string path = std::string(RTALLOC_TEST_DATA_DIR) + "/" + GetParam() + ".trace.xz";
  const trace::Trace recorded = trace::load(path);
  ASSERT_FALSE(recorded.ops.empty()) << path;

  const Footprint needed = peak_footprint(recorded);
  const std::size_t peak = needed.peak_bytes;
  const std::size_t pool_bytes = 2 * peak + Heap::pool_overhead + Heap::granularity;
  RecordProperty("peak_live_bytes", std::to_string(trace::peak_live(recorded).peak_live_bytes));
  RecordProperty("peak_footprint", std::to_string(peak));
  PoolMemory memory(pool_bytes);
  auto heap = std::make_unique<Heap>();
  ASSERT_GT(heap->add_pool(memory.data(), memory.size()), 2 * peak);

  std::vector<void*> block_of(std::size_t{recorded.max_id} + 1, nullptr);
  std::vector<std::uint64_t> size_of(std::size_t{recorded.max_id} + 1, 0);
  std::size_t live = 0;
  for (std::size_t i = 0; i < recorded.ops.size(); ++i) {
    const trace::Op& op = recorded.ops[i];
    const auto size = static_cast<std::size_t>(op.size);
    switch (op.kind) {
      case trace::Op::Kind::allocate: {
        void* p = op.align == 0 ? heap->allocate(size) : heap->allocate(size, op.align);
        ASSERT_NE(p, nullptr) << "operation " << i << ": allocate " << size << " align " << op.align
                              << " failed with " << heap->stats().largest_free
                              << " bytes in the largest free block";
        ASSERT_TRUE(is_aligned(p, std::max<std::size_t>(op.align, Heap::alignment)))
            << "operation " << i;
        stamp(p, op.size, op.id);
        block_of[op.id] = p;
        size_of[op.id] = op.size;
        ++live;
        break;
      }
      case trace::Op::Kind::free: {
        void* p = block_of[op.id];
        ASSERT_TRUE(stamped(p, size_of[op.id], op.id))
            << "operation " << i << ": block " << op.id << " overwritten";
        heap->deallocate(p);
        block_of[op.id] = nullptr;
        --live;
        break;
      }
      case trace::Op::Kind::reallocate: {
        void* p = block_of[op.id];
        ASSERT_TRUE(stamped(p, size_of[op.id], op.id))
            << "operation " << i << ": block " << op.id << " overwritten";
        void* q = heap->reallocate(p, size);
        ASSERT_NE(q, nullptr) << "operation " << i << ": reallocate to " << size << " failed with "
                              << heap->stats().largest_free << " bytes in the largest free block";
        ASSERT_TRUE(stamped(q, std::min(op.size, size_of[op.id]), op.id))
            << "operation " << i << ": reallocate lost the contents of block " << op.id;
        stamp(q, op.size, op.new_id);
        block_of[op.id] = nullptr;
        block_of[op.new_id] = q;
        size_of[op.new_id] = op.size;
        break;
      }
    }
    if (i % 50'000 == 0) {
      ASSERT_TRUE(heap->check()) << "after operation " << i << ":" << describe(take_reports());
    }
  }

  ASSERT_TRUE(heap->check()) << describe(take_reports());
  const TlsfStats stats = heap->stats();
  EXPECT_EQ(stats.used_blocks, live);
  EXPECT_EQ(stats.failed_allocations, 0U);
  // A block is larger than its request's footprint only by a remainder too
  // small to split off.
  EXPECT_LE(stats.peak_used,
            peak + needed.peak_blocks * (Heap::min_block_size - Heap::granularity));
  RecordProperty("peak_used", std::to_string(stats.peak_used));
  for (std::uint32_t id = 1; id <= recorded.max_id; ++id) {
    if (block_of[id] != nullptr) {
      ASSERT_TRUE(stamped(block_of[id], size_of[id], id)) << "block " << id << " overwritten";
      heap->deallocate(block_of[id]);
    }
  }
  EXPECT_EQ(heap->stats().used, 0U);
  EXPECT_EQ(heap->stats().free_blocks, 1U);
  EXPECT_TRUE(heap->check());
}

INSTANTIATE_TEST_SUITE_P(Traces, TraceReplayTest,
                         ::testing::Values("awk", "clang-format", "cppcheck", "synthetic-1m"),
                         [](const ::testing::TestParamInfo<const char*>& param_info) {
                           std::string name = param_info.param;
                           for (char& c : name) {
                             c = (c == '-') ? '_' : c;
                           }
                           return name;
                         });

}  // namespace
}  // namespace rtalloc::test
