// SPDX-License-Identifier: MIT OR Apache-2.0
// Replays recorded allocation traces of real programs through Tlsf<> with a
// pool of twice the trace's peak footprint, through the same heap with slabs
// in front of it (SmallObjects), and through the growing heap (FlexTlsf over
// OsPages, slabs included): with that much room, no allocation may fail,
// contents must survive, and the heap must stay sound (check() every 50,000
// operations and at the end).
#include <cstdint>
#include <cstring>
#include <memory>
#include <rtalloc/flex_tlsf.hpp>
#include <rtalloc/hosted/os_pages.hpp>
#include <rtalloc/small_objects.hpp>
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
                        public ::testing::WithParamInterface<const char*> {
 public:
  std::vector<ErrorInfo> reports() { return take_reports(); }
};

// The heaps the traces replay through, each with what it promises.
struct PlainHeap {  // Tlsf<> over one pool
  using Type = Tlsf<>;
  static constexpr bool slabs = false;
  std::unique_ptr<Type> heap = std::make_unique<Type>();
  bool add(PoolMemory& memory) { return heap->add_pool(memory.data(), memory.size()) != 0; }
  bool check() const { return heap->check(); }
  TlsfStats stats() const { return heap->stats(); }
};
struct SlabHeap {  // SmallObjects<Tlsf<>> over one pool
  using Type = SmallObjects<Tlsf<>>;
  static constexpr bool slabs = true;
  std::unique_ptr<Type> heap = std::make_unique<Type>();
  bool add(PoolMemory& memory) { return heap->add_pool(memory.data(), memory.size()) != 0; }
  bool check() const { return heap->check(); }
  TlsfStats stats() const { return heap->stats(); }
};
struct GrowingHeap {  // FlexTlsf<OsPages>: slabs, growing from OS pages
  using Type = FlexTlsf<OsPages>;
  static constexpr bool slabs = true;
  std::unique_ptr<Type> heap = std::make_unique<Type>();
  bool add(PoolMemory&) { return true; }
  bool check() const { return heap->heap().check(); }
  TlsfStats stats() const { return heap->stats().heap; }
};

template <class Setup>
void replay_trace(TraceReplayTest& test, const char* name) {
  const std::string path = std::string(RTALLOC_TEST_DATA_DIR) + "/" + name + ".trace.xz";
  const trace::Trace recorded = trace::load(path);
  ASSERT_FALSE(recorded.ops.empty()) << path;

  const Footprint needed = peak_footprint(recorded);
  const std::size_t peak = needed.peak_bytes;
  const std::size_t pool_bytes = 2 * peak + Heap::pool_overhead + Heap::granularity;
  PoolMemory memory(std::is_same_v<Setup, GrowingHeap> ? 1 : pool_bytes);
  Setup setup;
  auto& heap = setup.heap;
  ASSERT_TRUE(setup.add(memory));

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
                              << " failed with " << setup.stats().largest_free
                              << " bytes in the largest free block";
        // Slabs align objects of at most 8 bytes to 8, all others as Tlsf.
        const std::size_t alignment =
            Setup::slabs && size <= 8 && op.align <= 8 ? 8 : Heap::alignment;
        ASSERT_TRUE(is_aligned(p, std::max<std::size_t>(op.align, alignment))) << "operation " << i;
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
                              << setup.stats().largest_free << " bytes in the largest free block";
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
      ASSERT_TRUE(setup.check()) << "after operation " << i << ":" << describe(test.reports());
    }
  }

  ASSERT_TRUE(setup.check()) << describe(test.reports());
  const TlsfStats stats = setup.stats();
  EXPECT_EQ(stats.used_blocks, live);
  if constexpr (!std::is_same_v<Setup, GrowingHeap>) {  // a search that made it grow counts
    EXPECT_EQ(stats.failed_allocations, 0U);
  }
  if constexpr (!Setup::slabs) {
    // A block is larger than its request's footprint only by a remainder too
    // small to split off.
    EXPECT_LE(stats.peak_used,
              peak + needed.peak_blocks * (Heap::min_block_size - Heap::granularity));
  }
  for (std::uint32_t id = 1; id <= recorded.max_id; ++id) {
    if (block_of[id] != nullptr) {
      ASSERT_TRUE(stamped(block_of[id], size_of[id], id)) << "block " << id << " overwritten";
      heap->deallocate(block_of[id]);
    }
  }
  EXPECT_EQ(setup.stats().used, 0U);
  if constexpr (std::is_same_v<Setup, SlabHeap>) {
    heap->release_empty_slabs();
  }
  if constexpr (!std::is_same_v<Setup, GrowingHeap>) {
    EXPECT_EQ(setup.stats().free_blocks, 1U);
  }
  EXPECT_TRUE(setup.check());
}

TEST_P(TraceReplayTest, ReplaysWithoutFailure) { replay_trace<PlainHeap>(*this, GetParam()); }
TEST_P(TraceReplayTest, ReplaysThroughSlabs) { replay_trace<SlabHeap>(*this, GetParam()); }
TEST_P(TraceReplayTest, ReplaysThroughTheGrowingHeap) {
  replay_trace<GrowingHeap>(*this, GetParam());
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
