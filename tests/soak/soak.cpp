// SPDX-License-Identifier: MIT OR Apache-2.0
// Endurance: replays recorded traces through one Tlsf<> heap again and again
// for a given time, and checks that nothing drifts.
//
//   rtalloc_soak [--seconds S] [--check-every N] TRACE...
//
// Each round replays every trace in turn; after a trace's replay every block
// still live is freed. Then the heap must be back in the state it started
// in: the same blocks (one free block per pool), statistics equal to those
// of the empty heap (failed_allocations included: no allocation may fail),
// and, since the same operations on the same state must give the same
// results, each replay of a trace must hand out exactly the addresses its
// first replay did (compared as a hash). check() runs every N operations
// (default 100,000) and after every replay; each block carries its id in its
// first bytes, verified when it is freed or moved. At least one round runs
// whatever S is (default 10). Prints one line per round; exits 1 at the
// first drift, with what drifted.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <rtalloc/tlsf.hpp>
#include <string>
#include <trace/trace.hpp>
#include <vector>

namespace {

using Heap = rtalloc::Tlsf<>;

[[noreturn]] void drift(const std::string& trace, std::uint64_t round, const char* what) {
  std::fprintf(stderr, "rtalloc_soak: %s, round %llu: %s\n", trace.c_str(),
               static_cast<unsigned long long>(round), what);
  std::exit(1);
}

void on_error(const rtalloc::ErrorInfo& info) noexcept {
  std::fprintf(stderr, "rtalloc_soak: error report %s: %s at %p\n", rtalloc::to_string(info.code),
               info.message, info.address);
  std::abort();
}

struct Recorded {
  std::string path;
  rtalloc::trace::Trace trace;
  std::uint64_t address_hash = 0;  // of the first replay
};

// The heap's observable state: statistics (but the peak) and every block.
struct State {
  rtalloc::TlsfStats stats{};
  std::vector<rtalloc::BlockInfo> blocks;

  bool operator==(const State& other) const {
    const rtalloc::TlsfStats& a = stats;
    const rtalloc::TlsfStats& b = other.stats;
    if (a.pool_count != b.pool_count || a.capacity != b.capacity || a.used != b.used ||
        a.free != b.free || a.largest_free != b.largest_free || a.used_blocks != b.used_blocks ||
        a.free_blocks != b.free_blocks || a.failed_allocations != b.failed_allocations ||
        blocks.size() != other.blocks.size()) {
      return false;
    }
    for (std::size_t i = 0; i < blocks.size(); ++i) {
      if (blocks[i].address != other.blocks[i].address || blocks[i].size != other.blocks[i].size ||
          blocks[i].used != other.blocks[i].used) {
        return false;
      }
    }
    return true;
  }
};

State state_of(const Heap& heap) {
  State state{heap.stats(), {}};
  heap.walk([&](const rtalloc::BlockInfo& block) { state.blocks.push_back(block); });
  return state;
}

std::uint64_t mix(std::uint64_t hash, std::uint64_t value) {
  return (hash ^ value) * 0x100000001B3ULL;
}

class Replayer {
 public:
  Replayer(Heap& heap, std::size_t check_every, const std::byte* pool)
      : heap_(heap), check_every_(check_every), pool_(pool) {}

  // Replays `recorded` once, frees what it left live, returns the address hash.
  std::uint64_t replay(const Recorded& recorded, std::uint64_t round) {
    const rtalloc::trace::Trace& trace = recorded.trace;
    blocks_.assign(std::size_t{trace.max_id} + 1, nullptr);
    std::uint64_t hash = 0xCBF29CE484222325ULL;
    for (const rtalloc::trace::Op& op : trace.ops) {
      switch (op.kind) {
        case rtalloc::trace::Op::Kind::allocate: {
          const std::size_t size = static_cast<std::size_t>(op.size);
          void* p =
              op.align > Heap::alignment ? heap_.allocate(size, op.align) : heap_.allocate(size);
          if (p == nullptr) drift(recorded.path, round, "an allocation failed");
          stamp(p, op.id);
          blocks_[op.id] = p;
          hash = mix(hash, offset_of(p));
          break;
        }
        case rtalloc::trace::Op::Kind::free:
          expect_stamp(recorded, round, op.id);
          heap_.deallocate(blocks_[op.id]);
          blocks_[op.id] = nullptr;
          break;
        case rtalloc::trace::Op::Kind::reallocate: {
          expect_stamp(recorded, round, op.id);
          void* p = heap_.reallocate(blocks_[op.id], static_cast<std::size_t>(op.size));
          if (p == nullptr) drift(recorded.path, round, "a reallocation failed");
          blocks_[op.id] = nullptr;
          stamp(p, op.new_id);
          blocks_[op.new_id] = p;
          hash = mix(hash, offset_of(p));
          break;
        }
      }
      if (++operations_ % check_every_ == 0 && !heap_.check()) {
        drift(recorded.path, round, "check() failed during the replay");
      }
    }
    for (std::uint32_t id = 1; id <= trace.max_id; ++id) {
      if (blocks_[id] != nullptr) {
        expect_stamp(recorded, round, id);
        heap_.deallocate(blocks_[id]);
      }
    }
    return hash;
  }

  std::uint64_t operations() const { return operations_; }

 private:
  // The block's id in its first four bytes: every block has at least that
  // many usable bytes, whatever was requested.
  static_assert(Heap::min_block_size - Heap::header_size >= sizeof(std::uint32_t));
  static void stamp(void* p, std::uint32_t id) { std::memcpy(p, &id, sizeof id); }
  void expect_stamp(const Recorded& recorded, std::uint64_t round, std::uint32_t id) const {
    std::uint32_t seen = 0;
    std::memcpy(&seen, blocks_[id], sizeof seen);
    if (seen != id) drift(recorded.path, round, "a block's contents changed");
  }
  std::uint64_t offset_of(const void* p) const {
    return static_cast<std::uint64_t>(static_cast<const std::byte*>(p) - pool_);
  }

  Heap& heap_;
  std::size_t check_every_;
  const std::byte* pool_;
  std::vector<void*> blocks_;
  std::uint64_t operations_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  double seconds = 10;
  std::size_t check_every = 100000;
  std::vector<Recorded> traces;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--seconds" && i + 1 < argc) {
      seconds = std::strtod(argv[++i], nullptr);
    } else if (arg == "--check-every" && i + 1 < argc) {
      check_every = static_cast<std::size_t>(std::strtoull(argv[++i], nullptr, 10));
      if (check_every == 0) check_every = 1;
    } else {
      traces.push_back({arg, rtalloc::trace::load(arg), 0});
    }
  }
  if (traces.empty()) {
    std::fprintf(stderr, "usage: rtalloc_soak [--seconds S] [--check-every N] TRACE...\n");
    return 2;
  }

  // Room for the largest trace: four times its peak of live bytes plus a
  // generous allowance per live block, so that no allocation may fail.
  std::size_t pool_bytes = 1 << 20;
  for (const Recorded& recorded : traces) {
    const rtalloc::trace::Peak peak = rtalloc::trace::peak_live(recorded.trace);
    pool_bytes = std::max<std::size_t>(
        pool_bytes, static_cast<std::size_t>(4 * peak.peak_live_bytes + 128 * peak.blocks_at_peak));
  }
  std::unique_ptr<std::byte[]> memory(new std::byte[pool_bytes]);
  rtalloc::set_error_handler(&on_error);
  auto heap = std::make_unique<Heap>();
  if (heap->add_pool(memory.get(), pool_bytes) == 0) return 2;
  const State empty = state_of(*heap);

  Replayer replayer(*heap, check_every, memory.get());
  const auto start = std::chrono::steady_clock::now();
  std::uint64_t round = 0;
  do {
    ++round;
    for (Recorded& recorded : traces) {
      const std::uint64_t hash = replayer.replay(recorded, round);
      if (!heap->check()) drift(recorded.path, round, "check() failed after the replay");
      if (!(state_of(*heap) == empty)) {
        drift(recorded.path, round, "the heap did not return to its empty state");
      }
      if (round == 1) {
        recorded.address_hash = hash;
      } else if (hash != recorded.address_hash) {
        drift(recorded.path, round, "a replay handed out other addresses than the first");
      }
    }
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("round %llu: %llu operations in %.1f s, peak %zu bytes, no drift\n",
                static_cast<unsigned long long>(round),
                static_cast<unsigned long long>(replayer.operations()), elapsed,
                heap->stats().peak_used);
    std::fflush(stdout);
    if (elapsed >= seconds) break;
  } while (true);
  std::printf("soak passed: %llu rounds of %zu traces\n", static_cast<unsigned long long>(round),
              traces.size());
  return 0;
}
