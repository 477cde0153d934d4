// SPDX-License-Identifier: MIT OR Apache-2.0
// Byte containers built from fixed-size chunks of a lock-free pool:
//
//   rtalloc::ByteBuffer<C>  a growable byte sequence (append, write, copy out,
//                           iterate chunks);
//   rtalloc::ByteDeque<C>   FIFO bytes (push_back, pop_front);
//   rtalloc::ByteQueue<C>   FIFO bytes from one producer, which may be an
//                           interrupt handler, to one consumer (a main loop).
//
// All draw chunks of C bytes from one rtalloc::ByteChunkPool<C> (a SlabPool)
// and give them back as soon as they are empty, so many containers can share
// one pool. A push or append is all or nothing: when the pool cannot supply
// every chunk it needs, it returns PoolError::exhausted and the contents are
// as they were. Freestanding, like the pools.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <span>

#include "rtalloc/config.hpp"
#include "rtalloc/pools/pool_error.hpp"
#include "rtalloc/pools/slab_pool.hpp"

namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE {

/// One chunk: a link, how many bytes it holds, and ChunkBytes of data. The
/// link and count are atomics so that ByteQueue can pass chunks between
/// threads; the single-threaded containers use them like plain fields.
template <std::size_t ChunkBytes>
struct ByteChunk {
  static_assert(ChunkBytes >= 1 && ChunkBytes <= UINT32_MAX,
                "ByteChunk: ChunkBytes must be from 1 to 2^32 - 1.");
  std::atomic<ByteChunk*> next;
  std::atomic<std::uint32_t> end;  // bytes written, from the start of data
  std::byte data[ChunkBytes];
};

/// The pool the byte containers draw from: lock-free, in caller memory.
template <std::size_t ChunkBytes>
using ByteChunkPool = SlabPool<ByteChunk<ChunkBytes>>;

namespace detail {

// A chunk from the pool, constructed (its data left uninitialized), or nullptr.
template <std::size_t ChunkBytes>
ByteChunk<ChunkBytes>* new_chunk(ByteChunkPool<ChunkBytes>& pool) noexcept {
  ByteChunk<ChunkBytes>* storage = pool.allocate();
  return storage == nullptr ? nullptr : new (storage) ByteChunk<ChunkBytes>;
}

// A list of fresh chunks holding `bytes`, linked but not yet in any
// container, or nothing if the pool cannot supply them all.
template <std::size_t ChunkBytes>
ByteChunk<ChunkBytes>* make_chunks(ByteChunkPool<ChunkBytes>& pool,
                                   std::span<const std::byte> bytes,
                                   ByteChunk<ChunkBytes>** last) noexcept {
  using Chunk = ByteChunk<ChunkBytes>;
  Chunk* first = nullptr;
  Chunk* previous = nullptr;
  for (std::size_t offset = 0; offset < bytes.size(); offset += ChunkBytes) {
    Chunk* chunk = new_chunk(pool);
    if (chunk == nullptr) {
      while (first != nullptr) {
        Chunk* next = first->next.load(std::memory_order_relaxed);
        pool.deallocate(first);
        first = next;
      }
      return nullptr;
    }
    const std::size_t part = std::min(ChunkBytes, bytes.size() - offset);
    std::memcpy(chunk->data, bytes.data() + offset, part);
    chunk->end.store(static_cast<std::uint32_t>(part), std::memory_order_relaxed);
    if (previous != nullptr) {
      previous->next.store(chunk, std::memory_order_relaxed);
    } else {
      first = chunk;
    }
    previous = chunk;
  }
  *last = previous;
  return first;
}

// What append_chunks did: the chunks it added (first_added is null when
// the bytes fitted in the tail).
template <std::size_t ChunkBytes>
struct Appended {
  PoolError error;
  ByteChunk<ChunkBytes>* first_added;
  std::size_t chunks_added;
};

// Appends `bytes` after `tail` (null for an empty chain): fills the tail's
// free room, then links chunks taken from the pool, all of them taken before
// anything is written, so that on exhausted nothing changes. `tail` moves to
// the new last chunk. Each chunk's count is published before the link to the
// next chunk, both with release stores: ByteQueue's consumer relies on that
// order; for the single-threaded containers it costs nothing extra on x86.
template <std::size_t ChunkBytes>
Appended<ChunkBytes> append_chunks(ByteChunkPool<ChunkBytes>& pool, ByteChunk<ChunkBytes>*& tail,
                                   std::span<const std::byte> bytes) noexcept {
  using Chunk = ByteChunk<ChunkBytes>;
  const std::uint32_t end = tail != nullptr ? tail->end.load(std::memory_order_relaxed) : 0;
  const std::size_t into_tail =
      tail != nullptr ? std::min<std::size_t>(ChunkBytes - end, bytes.size()) : 0;
  Chunk* last = nullptr;
  Chunk* added = nullptr;
  if (bytes.size() > into_tail) {
    added = make_chunks(pool, bytes.subspan(into_tail), &last);
    if (added == nullptr) return {PoolError::exhausted, nullptr, 0};
  }
  if (into_tail != 0) {
    std::memcpy(tail->data + end, bytes.data(), into_tail);
    tail->end.store(static_cast<std::uint32_t>(end + into_tail), std::memory_order_release);
  }
  if (added == nullptr) return {PoolError::none, nullptr, 0};
  if (tail != nullptr) tail->next.store(added, std::memory_order_release);
  tail = last;
  return {PoolError::none, added, (bytes.size() - into_tail + ChunkBytes - 1) / ChunkBytes};
}

// The chunk chain ByteBuffer and ByteDeque share: chunks from head to tail,
// the first `begin` bytes of the head already consumed.
template <std::size_t ChunkBytes>
class ChunkChain {
 public:
  using Chunk = ByteChunk<ChunkBytes>;
  using Pool = ByteChunkPool<ChunkBytes>;

  explicit ChunkChain(Pool& pool) noexcept : pool_(&pool) {}
  ChunkChain(const ChunkChain&) = delete;
  ChunkChain& operator=(const ChunkChain&) = delete;
  ~ChunkChain() { clear(); }

  PoolError append(std::span<const std::byte> bytes) noexcept {
    const Appended<ChunkBytes> appended = append_chunks(*pool_, tail_, bytes);
    if (appended.error != PoolError::none) return appended.error;
    if (head_ == nullptr) head_ = appended.first_added;
    chunks_ += appended.chunks_added;
    size_ += bytes.size();
    return PoolError::none;
  }

  // Copies out (or, with `overwrite`, writes) bytes [offset, offset + n),
  // n = min(span size, size() - offset); returns n.
  template <class Span, bool Overwrite>
  std::size_t transfer(std::size_t offset, Span span) const noexcept {
    if (offset >= size_) return 0;
    std::size_t n = std::min(span.size(), size_ - offset);
    std::size_t done = 0;
    std::size_t position = begin_ + offset;  // from the start of the head chunk's data
    for (Chunk* chunk = head_; chunk != nullptr && done < n;
         chunk = chunk->next.load(std::memory_order_relaxed)) {
      const std::size_t end = end_of(chunk);
      if (position >= end) {
        position -= end;
        continue;
      }
      const std::size_t part = std::min(end - position, n - done);
      if constexpr (Overwrite) {
        std::memcpy(chunk->data + position, span.data() + done, part);
      } else {
        std::memcpy(span.data() + done, chunk->data + position, part);
      }
      done += part;
      position = 0;
    }
    return done;
  }

  // Removes up to out.size() bytes from the front, copying them into `out`
  // if it has storage; frees chunks as they empty.
  std::size_t pop_front(std::span<std::byte> out, std::size_t count) noexcept {
    std::size_t n = std::min(count, size_);
    std::size_t done = 0;
    while (done < n) {
      const std::size_t part = std::min(end_of(head_) - begin_, n - done);
      if (!out.empty()) std::memcpy(out.data() + done, head_->data + begin_, part);
      begin_ += part;
      done += part;
      if (begin_ == end_of(head_)) drop_head();
    }
    size_ -= n;
    return n;
  }

  template <class F>
  void for_each_chunk(F&& f) const {
    std::size_t begin = begin_;
    for (const Chunk* chunk = head_; chunk != nullptr;
         chunk = chunk->next.load(std::memory_order_relaxed)) {
      f(std::span<const std::byte>(chunk->data + begin, end_of(chunk) - begin));
      begin = 0;
    }
  }

  void clear() noexcept {
    while (head_ != nullptr) drop_head();
    size_ = 0;
  }

  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return chunks_ * ChunkBytes; }

 private:
  static std::size_t end_of(const Chunk* chunk) noexcept {
    return chunk->end.load(std::memory_order_relaxed);
  }
  void drop_head() noexcept {
    Chunk* next = head_->next.load(std::memory_order_relaxed);
    pool_->deallocate(head_);
    --chunks_;
    head_ = next;
    begin_ = 0;
    if (head_ == nullptr) tail_ = nullptr;
  }

  Pool* pool_;
  Chunk* head_ = nullptr;
  Chunk* tail_ = nullptr;
  std::size_t begin_ = 0;
  std::size_t size_ = 0;
  std::size_t chunks_ = 0;
};

/// What ByteBuffer and ByteDeque share: their chain of chunks, and the
/// questions every byte container answers about it.
template <std::size_t ChunkBytes>
class ChunkSequence {
 public:
  using Pool = ByteChunkPool<ChunkBytes>;

  /// Gives every chunk back to the pool. O(chunks).
  void clear() noexcept { chain_.clear(); }
  /// Bytes held. O(1).
  std::size_t size() const noexcept { return chain_.size(); }
  /// True if no byte is held. O(1).
  bool empty() const noexcept { return chain_.size() == 0; }
  /// Bytes the chunks held can hold. O(1).
  std::size_t capacity() const noexcept { return chain_.capacity(); }

 protected:
  explicit ChunkSequence(Pool& pool) noexcept : chain_(pool) {}
  ChunkChain<ChunkBytes> chain_;
};

}  // namespace detail

/// A growable byte sequence stored as a chain of chunks. Not thread-safe.
/// Costs: append O(bytes / ChunkBytes + 1); copy_out and write
/// O(chunks before the offset + bytes); clear O(chunks).
template <std::size_t ChunkBytes>
class ByteBuffer : public detail::ChunkSequence<ChunkBytes> {
  using detail::ChunkSequence<ChunkBytes>::chain_;

 public:
  using Pool = ByteChunkPool<ChunkBytes>;

  explicit ByteBuffer(Pool& pool) noexcept : detail::ChunkSequence<ChunkBytes>(pool) {}

  /// Appends all of `bytes`, or nothing (exhausted, contents unchanged).
  PoolError append(std::span<const std::byte> bytes) noexcept { return chain_.append(bytes); }

  /// Overwrites bytes from `offset` on, within size(); returns how many.
  std::size_t write(std::size_t offset, std::span<const std::byte> bytes) noexcept {
    return chain_.template transfer<std::span<const std::byte>, true>(offset, bytes);
  }

  /// Copies bytes from `offset` into `out`; returns how many (0 past the end).
  std::size_t copy_out(std::size_t offset, std::span<std::byte> out) const noexcept {
    return chain_.template transfer<std::span<std::byte>, false>(offset, out);
  }

  /// Calls f(std::span<const std::byte>) for each chunk's bytes, in order.
  template <class F>
  void for_each_chunk(F&& f) const {
    chain_.for_each_chunk(f);
  }
};

/// FIFO bytes: push at the back, pop from the front, chunks given back as
/// they empty. Not thread-safe (see ByteQueue). Push and pop cost
/// O(bytes / ChunkBytes + 1).
template <std::size_t ChunkBytes>
class ByteDeque : public detail::ChunkSequence<ChunkBytes> {
  using detail::ChunkSequence<ChunkBytes>::chain_;

 public:
  using Pool = ByteChunkPool<ChunkBytes>;

  /// A popped byte, or PoolError::empty.
  struct Popped {
    std::byte value;
    PoolError error;
    explicit operator bool() const noexcept { return error == PoolError::none; }
  };

  explicit ByteDeque(Pool& pool) noexcept : detail::ChunkSequence<ChunkBytes>(pool) {}

  /// Appends all of `bytes`, or nothing (exhausted, contents unchanged).
  PoolError push_back(std::span<const std::byte> bytes) noexcept { return chain_.append(bytes); }
  PoolError push_back(std::byte byte) noexcept { return chain_.append({&byte, 1}); }

  /// Moves up to out.size() bytes from the front into `out`; returns how
  /// many (0 when empty).
  std::size_t pop_front(std::span<std::byte> out) noexcept {
    return chain_.pop_front(out, out.size());
  }
  Popped pop_front() noexcept {
    std::byte byte{};
    return pop_front({&byte, 1}) == 1 ? Popped{byte, PoolError::none}
                                      : Popped{std::byte{}, PoolError::empty};
  }
  /// Drops up to n bytes from the front; returns how many.
  std::size_t discard_front(std::size_t n) noexcept { return chain_.pop_front({}, n); }
};

/// FIFO bytes from exactly one producer to exactly one consumer, which may
/// run at the same time on different threads, or the producer in an
/// interrupt handler that preempts the consumer.
///
/// - Producer side, one thread or handler only: push(). It never blocks and
///   never waits for the consumer: it writes into the last chunk, takes
///   chunks from the lock-free pool, and publishes with release stores.
/// - Consumer side, one thread only: pop(), empty(), readable(). It frees a
///   chunk only after the producer has moved past it.
/// - Either side, while the other is idle: construction and destruction.
///
/// The queue always keeps one chunk (its last), taken from the pool when it
/// is constructed: valid() is false if the pool had none.
template <std::size_t ChunkBytes>
class ByteQueue {
 public:
  using Pool = ByteChunkPool<ChunkBytes>;
  using Chunk = ByteChunk<ChunkBytes>;

  explicit ByteQueue(Pool& pool) noexcept : pool_(&pool) {
    Chunk* chunk = detail::new_chunk(pool);
    if (chunk == nullptr) return;
    head_ = tail_ = chunk;
  }
  ByteQueue(const ByteQueue&) = delete;
  ByteQueue& operator=(const ByteQueue&) = delete;
  ~ByteQueue() {
    while (head_ != nullptr) {
      Chunk* next = head_->next.load(std::memory_order_acquire);
      pool_->deallocate(head_);
      head_ = next;
    }
  }

  /// True if the queue got its first chunk.
  bool valid() const noexcept { return head_ != nullptr; }

  /// Producer: appends all of `bytes`, or nothing when the pool cannot
  /// supply the chunks (exhausted: the queue is as it was). Lock-free; O(bytes
  /// / ChunkBytes + 1) apart from the pool's retries.
  PoolError push(std::span<const std::byte> bytes) noexcept {
    if (tail_ == nullptr) return PoolError::exhausted;  // no first chunk (see valid())
    return detail::append_chunks(*pool_, tail_, bytes).error;
  }
  PoolError push(std::byte byte) noexcept { return push({&byte, 1}); }

  /// Consumer: moves up to out.size() bytes into `out`; returns how many (0
  /// when empty). Gives chunks back to the pool as it leaves them.
  std::size_t pop(std::span<std::byte> out) noexcept {
    if (head_ == nullptr) return 0;
    std::size_t done = 0;
    while (done < out.size()) {
      const std::uint32_t end = head_->end.load(std::memory_order_acquire);
      const std::size_t part = std::min<std::size_t>(end - read_, out.size() - done);
      std::memcpy(out.data() + done, head_->data + read_, part);
      read_ += static_cast<std::uint32_t>(part);
      done += part;
      if (done == out.size() || !advance()) break;
    }
    return done;
  }

  /// Consumer: is there nothing to pop? O(1).
  bool empty() noexcept {
    if (head_ == nullptr) return true;
    return read_ == head_->end.load(std::memory_order_acquire) && !advance();
  }

  /// Consumer: bytes ready to pop. O(chunks in the queue).
  std::size_t readable() const noexcept {
    std::size_t total = 0;
    std::size_t begin = read_;
    for (const Chunk* chunk = head_; chunk != nullptr;
         chunk = chunk->next.load(std::memory_order_acquire)) {
      total += chunk->end.load(std::memory_order_acquire) - begin;
      begin = 0;
    }
    return total;
  }

 private:
  // Consumer, with the head chunk read up to the end it saw: moves to the
  // next chunk if the producer has linked one and the head holds nothing
  // more (the producer may have added bytes to it before linking), freeing
  // the head. Returns whether there may be more to read.
  bool advance() noexcept {
    Chunk* next = head_->next.load(std::memory_order_acquire);
    if (next == nullptr) return false;
    // The acquire above also covers the head's final end.
    if (read_ != head_->end.load(std::memory_order_relaxed)) return true;
    pool_->deallocate(head_);
    head_ = next;
    read_ = 0;
    return true;
  }

  Pool* pool_;
  Chunk* head_ = nullptr;   // consumer's
  std::uint32_t read_ = 0;  // consumer's: bytes of the head already popped
  Chunk* tail_ = nullptr;   // producer's
};

}  // namespace rtalloc::inline RTALLOC_CONFIG_NAMESPACE
