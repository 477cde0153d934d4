// SPDX-License-Identifier: MIT OR Apache-2.0
// slab_threads: several threads sharing one rtalloc::SlabPool of messages, with no lock.
//
// The pool lives in one static array and has fewer slots than the threads would like to hold at
// once, so create() sometimes returns nullptr. A real-time thread cannot wait for memory: here it
// counts the refusal, gives back what it holds and carries on. Each thread checks that the
// messages it holds are still the ones it wrote, which would fail if the pool ever gave one slot to
// two threads at once. At the end every slot is free again.
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <rtalloc/pools/slab_pool.hpp>
#include <thread>
#include <vector>

namespace {

struct Message {
  Message(std::uint32_t from, std::uint32_t number) noexcept
      : sender(from), sequence(number), checksum(checksum_of(from, number)) {}
  bool intact(std::uint32_t from, std::uint32_t number) const noexcept {
    return sender == from && sequence == number && checksum == checksum_of(from, number);
  }
  static std::uint32_t checksum_of(std::uint32_t from, std::uint32_t number) noexcept {
    return (from * 2654435761u) ^ number;
  }

  std::uint32_t sender;
  std::uint32_t sequence;
  std::uint32_t checksum;
  std::byte payload[52];
};

using MessagePool = rtalloc::SlabPool<Message>;

constexpr unsigned thread_count = 4;
constexpr std::size_t batch = 8;  // messages a thread holds at once
constexpr std::uint32_t rounds = 20000;

// Room for 12 messages: fewer than two threads' batches, so threads running at the same time
// compete for slots. The pool's own bookkeeping (control_bytes, and 4 bytes per slot) lives in the
// same array, which is aligned for the pool's atomic head word so that no byte goes to padding.
constexpr std::size_t wanted_slots = 12;
alignas(std::max_align_t)
    std::byte memory[MessagePool::control_bytes + wanted_slots * (4 + MessagePool::slot_size)];

struct Tally {
  std::uint64_t created = 0;
  std::uint64_t refused = 0;  // create() returned nullptr: the pool was exhausted
  std::uint64_t damaged = 0;  // a held message no longer held what its thread wrote
};

// One thread: fill a batch, check it, destroy it; `rounds` times.
Tally run_sender(MessagePool& pool, std::uint32_t sender) {
  Tally tally;
  std::array<Message*, batch> held{};
  std::uint32_t sequence = 0;
  for (std::uint32_t round = 0; round < rounds; ++round) {
    std::size_t count = 0;
    for (; count < batch; ++count) {
      held[count] = pool.create(sender, sequence + static_cast<std::uint32_t>(count));
      if (held[count] == nullptr) {
        ++tally.refused;  // no slot now; work with what we have
        break;
      }
      ++tally.created;
    }
    for (std::size_t i = 0; i < count; ++i) {
      if (!held[i]->intact(sender, sequence + static_cast<std::uint32_t>(i))) ++tally.damaged;
      pool.destroy(held[i]);
    }
    sequence += static_cast<std::uint32_t>(batch);
  }
  return tally;
}

}  // namespace

int main() {
  MessagePool pool(memory, sizeof memory);
  std::printf("SlabPool<Message>: %zu-byte slots in a %zu-byte array\n", MessagePool::slot_size,
              sizeof memory);
  std::printf("before: capacity %zu, available %zu\n", pool.capacity(), pool.available());

  std::array<Tally, thread_count> tallies{};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < thread_count; ++t) {
    threads.emplace_back([&pool, &tallies, &go, t] {
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();  // start together
      tallies[t] = run_sender(pool, t);
    });
  }
  go.store(true, std::memory_order_release);
  for (std::thread& thread : threads) thread.join();

  Tally total;
  for (unsigned t = 0; t < thread_count; ++t) {
    std::printf("thread %u: %llu messages created, %llu refusals, %llu damaged\n", t,
                static_cast<unsigned long long>(tallies[t].created),
                static_cast<unsigned long long>(tallies[t].refused),
                static_cast<unsigned long long>(tallies[t].damaged));
    total.created += tallies[t].created;
    total.refused += tallies[t].refused;
    total.damaged += tallies[t].damaged;
  }
  std::printf("after:  capacity %zu, available %zu\n", pool.capacity(), pool.available());

  const bool ok = total.damaged == 0 && pool.available() == pool.capacity() && total.created > 0;
  std::printf("%s\n", ok ? "OK: no message damaged, every slot free again"
                         : "FAILED: a message was damaged or a slot lost");
  return ok ? 0 : 1;
}
