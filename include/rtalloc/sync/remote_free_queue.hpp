// SPDX-License-Identifier: MIT OR Apache-2.0
// rtalloc::RemoteFreeQueue — the queue of blocks other threads freed into a
// heap they do not own: many producers, one consumer (the owner), intrusive
// (a queued block's first word is its link, so the queue never allocates).
// It is BasicRemoteFreeQueue<std::atomic>; a test instantiates the template
// with an atomic that lets it choose the order of every access.
//
// After Dmitry Vyukov's intrusive MPSC queue:
//   push:  node.next = null; previous = tail.exchange(node); previous.next = node
//          one store, one atomic exchange, one store: wait-free, no retry.
//   pop:   owner only; a constant number of steps. It returns null while a
//          producer sits between its exchange and its last store (the block
//          is taken on a later pop), so pop never waits for a producer.
//
// Needs only pointer-sized atomic loads, stores and exchange: 32-bit
// atomics on a 32-bit target (Cortex-M3 and later, x86 -m32). Freestanding.
#pragma once

#include <atomic>
#include <cstddef>
#include <new>

#include "rtalloc/config.hpp"

namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE {

// Atomic: std::atomic, or a test's instrumented atomic with the same
// load/store/exchange members.
template <template <class> class Atomic>
class BasicRemoteFreeQueue {
 public:
  /// The bytes a block must have to be queued: its link.
  static constexpr std::size_t min_block_bytes = sizeof(void*);

  constexpr BasicRemoteFreeQueue() noexcept = default;
  BasicRemoteFreeQueue(const BasicRemoteFreeQueue&) = delete;
  BasicRemoteFreeQueue& operator=(const BasicRemoteFreeQueue&) = delete;

  /// Queues `block` (at least min_block_bytes bytes, suitably aligned for a
  /// pointer, no longer used by anyone). Any thread. Wait-free: one store,
  /// one exchange, one store. Cannot fail.
  void push(void* block) noexcept {
    static_assert(sizeof(Node) <= min_block_bytes, "a queued block holds a Node");
    Node* node = ::new (block) Node{};
    push_node(node);
  }

  /// Takes the oldest queued block, or nullptr if there is none or the
  /// oldest is still being linked by its producer. The owner only (one
  /// consumer at a time). At most 4 atomic loads, a few plain stores and,
  /// when the last block is taken, one push of the stub (a store, an
  /// exchange, a store).
  void* pop() noexcept {
    Node* head = head_;
    Node* next = head->next.load(std::memory_order_acquire);
    if (head == &stub_) {  // skip the stub, which marks "empty"
      if (next == nullptr) return nullptr;
      head_ = next;
      head = next;
      next = next->next.load(std::memory_order_acquire);
    }
    if (next != nullptr) {
      head_ = next;
      return head;
    }
    // head is the last linked node: is a producer behind it mid-push?
    if (tail_.load(std::memory_order_acquire) != head) return nullptr;
    // Put the stub back behind head, so that head can be taken.
    push_node(&stub_);
    next = head->next.load(std::memory_order_acquire);
    if (next != nullptr) {
      head_ = next;
      return head;
    }
    return nullptr;  // a producer got in between; head is taken later
  }

  /// True if nothing is queued or being queued, as the owner sees it now.
  /// One atomic load. The owner only.
  bool empty() const noexcept {
    return head_ == &stub_ && stub_.next.load(std::memory_order_acquire) == nullptr;
  }

 private:
  struct Node {
    Atomic<Node*> next{nullptr};
  };

  void push_node(Node* node) noexcept {
    node->next.store(nullptr, std::memory_order_relaxed);
    Node* previous = tail_.exchange(node, std::memory_order_acq_rel);
    previous->next.store(node, std::memory_order_release);
  }

  // The producers' end and the consumer's end on separate cache lines.
  alignas(64) Atomic<Node*> tail_{&stub_};
  alignas(64) Node* head_ = &stub_;
  Node stub_{};
};

using RemoteFreeQueue = BasicRemoteFreeQueue<std::atomic>;

}  // namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE
