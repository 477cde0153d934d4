// SPDX-License-Identifier: MIT OR Apache-2.0
// offset_heap_shm: a shared-memory segment (memfd) that two processes map at
// different addresses, sub-allocated by rtalloc::OffsetHeap. They exchange
// offsets, never pointers.
//
// The heap lives in the parent's own memory: the segment holds nothing but
// the messages, which no allocator that keeps headers in its memory could
// offer. The parent allocates a message and a reply slot in the segment,
// writes the message, and sends the two offsets down a pipe; the child, which
// mapped the segment again at another address, reads the message at its own
// address plus the offset and writes its answer into the reply slot. The
// parent checks each answer, wipes and frees the blocks, and at the end checks
// that every byte of the segment holds the wipe pattern again: nothing but the
// messages was ever written there.
//
// Linux only (memfd_create). Exit status 0 and "OK" on success.
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <rtalloc/offset_heap.hpp>
#include <vector>

namespace {

constexpr std::size_t segment_size = 1 << 20;
constexpr unsigned char wiped = 0xEE;
constexpr int exchanges = 200;

// What the parent sends: where the message is and where to answer. A size of
// 0 ends the exchange.
struct Request {
  std::uint64_t message_offset;
  std::uint64_t message_size;
  std::uint64_t reply_offset;
  std::uint64_t reply_size;
};

// What the child sends back once it has answered.
struct Done {
  std::uint64_t child_base;  // where the child mapped the segment
  std::uint64_t checksum;    // of the message, as the child read it
};

bool read_all(int fd, void* data, std::size_t size) {
  auto* bytes = static_cast<unsigned char*>(data);
  while (size != 0) {
    const ssize_t n = read(fd, bytes, size);
    if (n <= 0) return false;
    bytes += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

bool write_all(int fd, const void* data, std::size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  while (size != 0) {
    const ssize_t n = write(fd, bytes, size);
    if (n <= 0) return false;
    bytes += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

std::uint64_t checksum(const unsigned char* data, std::size_t size) {
  std::uint64_t sum = 1469598103934665603ULL;  // FNV-1a
  for (std::size_t i = 0; i < size; ++i) sum = (sum ^ data[i]) * 1099511628211ULL;
  return sum;
}

void* map_segment(int fd) {
  void* base = mmap(nullptr, segment_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  return base == MAP_FAILED ? nullptr : base;
}

// The child: maps the segment a second time (the inherited mapping still
// holds its address, so the new one is elsewhere), drops the inherited one,
// and answers requests through its own mapping only.
int child(int fd, void* inherited, int requests, int replies) {
  unsigned char* base = static_cast<unsigned char*>(map_segment(fd));
  if (base == nullptr || munmap(inherited, segment_size) != 0) return 10;
  Request request{};
  while (read_all(requests, &request, sizeof request) && request.message_size != 0) {
    if (request.message_offset + request.message_size > segment_size ||
        request.reply_offset + request.reply_size > segment_size) {
      return 11;
    }
    const unsigned char* message = base + request.message_offset;
    const std::uint64_t sum = checksum(message, static_cast<std::size_t>(request.message_size));
    char answer[64];
    const int length = std::snprintf(answer, sizeof answer, "%llu bytes, checksum %016llx",
                                     static_cast<unsigned long long>(request.message_size),
                                     static_cast<unsigned long long>(sum));
    if (length < 0 || static_cast<std::uint64_t>(length) >= request.reply_size) return 12;
    std::memcpy(base + request.reply_offset, answer, static_cast<std::size_t>(length) + 1);
    const Done done{reinterpret_cast<std::uintptr_t>(base), sum};
    if (!write_all(replies, &done, sizeof done)) return 13;
  }
  return 0;
}

// The heap reports misuse (here: the deliberate second free of each message)
// to the error handler in checked builds; the default handler would trap.
std::size_t reports = 0;
void count_report(const rtalloc::ErrorInfo&) noexcept { ++reports; }

struct Live {
  rtalloc::OffsetHandle handle;
  std::uint64_t offset;
  std::uint64_t size;
};

}  // namespace

int main() {
  const int fd = memfd_create("rtalloc-offset-heap", MFD_CLOEXEC);
  if (fd < 0 || ftruncate(fd, segment_size) != 0) {
    std::perror("memfd_create");
    return 1;
  }
  auto* base = static_cast<unsigned char*>(map_segment(fd));
  if (base == nullptr) {
    std::perror("mmap");
    return 1;
  }
  std::memset(base, wiped, segment_size);
  rtalloc::set_error_handler(&count_report);

  // The segment's bookkeeping: here, in the parent, and nowhere else.
  static rtalloc::OffsetHeap<512> heap;
  if (!heap.add_range(0, segment_size)) return 1;

  int to_child[2];
  int to_parent[2];
  if (pipe(to_child) != 0 || pipe(to_parent) != 0) {
    std::perror("pipe");
    return 1;
  }
  const pid_t pid = fork();
  if (pid < 0) {
    std::perror("fork");
    return 1;
  }
  if (pid == 0) {
    close(to_child[1]);
    close(to_parent[0]);
    _exit(child(fd, base, to_child[0], to_parent[1]));
  }
  close(to_child[0]);
  close(to_parent[1]);

  int failures = 0;
  auto expect = [&failures](bool condition, const char* what) {
    if (!condition) {
      std::printf("  UNEXPECTED: %s\n", what);
      ++failures;
    }
  };

  // Messages of many sizes and alignments; some are kept for a while, so
  // the segment fragments and the heap reuses the holes.
  std::vector<Live> kept;
  std::size_t second_frees = 0;
  std::uint64_t child_base = 0;
  std::uint64_t seed = 12345;
  auto random = [&seed](std::uint64_t bound) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return (seed >> 33) % bound;
  };
  for (int i = 0; i < exchanges && failures == 0; ++i) {
    const std::uint64_t size = 1 + random(i % 10 == 0 ? 60000 : 3000);
    const std::uint64_t align = std::uint64_t{1} << random(13);
    const rtalloc::OffsetAllocation message = heap.allocate(size, align);
    const rtalloc::OffsetAllocation reply = heap.allocate(64, 64);
    if (!message || !reply) {
      std::printf("  allocation %d refused: %s\n", i,
                  rtalloc::to_string(message ? reply.error : message.error));
      ++failures;
      break;
    }
    expect(message.offset % align == 0 && reply.offset % 64 == 0, "misaligned offset");
    for (std::uint64_t b = 0; b < size; ++b) {
      base[message.offset + b] =
          static_cast<unsigned char>(static_cast<std::uint64_t>(i) * 31 + b * 7);
    }
    const Request request{message.offset, size, reply.offset, 64};
    Done done{};
    if (!write_all(to_child[1], &request, sizeof request) ||
        !read_all(to_parent[0], &done, sizeof done)) {
      std::printf("  the child stopped answering\n");
      ++failures;
      break;
    }
    child_base = done.child_base;
    const std::uint64_t sum = checksum(base + message.offset, static_cast<std::size_t>(size));
    char expected[64];
    std::snprintf(expected, sizeof expected, "%llu bytes, checksum %016llx",
                  static_cast<unsigned long long>(size), static_cast<unsigned long long>(sum));
    expect(done.checksum == sum, "the child read other bytes than the parent wrote");
    expect(std::strcmp(reinterpret_cast<const char*>(base + reply.offset), expected) == 0,
           "the child's answer is not where the parent looks");
    if (i < 3) {
      std::printf("message %d: %llu bytes at offset %llu (align %llu): \"%s\"\n", i,
                  static_cast<unsigned long long>(size),
                  static_cast<unsigned long long>(message.offset),
                  static_cast<unsigned long long>(align),
                  reinterpret_cast<const char*>(base + reply.offset));
    }
    // Wipe and free the reply; keep one message in four for a while.
    std::memset(base + reply.offset, wiped, 64);
    expect(heap.free(reply.handle) == rtalloc::OffsetError::none, "free(reply) refused");
    kept.push_back({message.handle, message.offset, size});
    if (kept.size() > 8 || random(4) != 0) {
      const auto pick = static_cast<std::size_t>(random(kept.size()));
      const Live old = kept[pick];
      std::memset(base + old.offset, wiped, static_cast<std::size_t>(old.size));
      expect(heap.free(old.handle) == rtalloc::OffsetError::none, "free(message) refused");
      expect(heap.free(old.handle) == rtalloc::OffsetError::stale_handle,
             "a freed handle was accepted");
      ++second_frees;
      kept.erase(kept.begin() + static_cast<std::ptrdiff_t>(pick));
    }
    expect(heap.check(), "heap.check() failed");
  }
  const rtalloc::OffsetHeapStats busiest = heap.stats();
  for (const Live& old : kept) {
    std::memset(base + old.offset, wiped, static_cast<std::size_t>(old.size));
    expect(heap.free(old.handle) == rtalloc::OffsetError::none, "free(message) refused");
  }

  const Request stop{0, 0, 0, 0};
  write_all(to_child[1], &stop, sizeof stop);
  int status = 0;
  waitpid(pid, &status, 0);
  expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child failed");

  std::printf("parent mapped the segment at %p, the child at %p\n", static_cast<void*>(base),
              reinterpret_cast<void*>(static_cast<std::uintptr_t>(child_base)));
  expect(child_base != 0 && child_base != reinterpret_cast<std::uintptr_t>(base),
         "the two mappings are at the same address");
  std::printf(
      "%d exchanges; before the last frees %llu allocations were live, with %llu free "
      "ranges between them: %llu of %llu records in use\n",
      exchanges, static_cast<unsigned long long>(busiest.used_blocks),
      static_cast<unsigned long long>(busiest.free_blocks),
      static_cast<unsigned long long>(busiest.records_used),
      static_cast<unsigned long long>(busiest.record_capacity));
  std::printf("bookkeeping: %zu bytes in the parent, 0 in the segment\n", sizeof heap);

  // Everything is free and wiped: if the heap had kept anything in the
  // segment, some byte would differ from the pattern.
  std::size_t touched = 0;
  for (std::size_t b = 0; b < segment_size; ++b) touched += base[b] != wiped;
  expect(touched == 0, "bytes of the segment were written by something else");
  const rtalloc::OffsetHeapStats end = heap.stats();
  expect(end.used_blocks == 0 && end.free_blocks == 1 && end.largest_free == segment_size,
         "the segment is not one free range again");
  expect(heap.check(), "heap.check() failed");
  expect(reports == (rtalloc::checks_enabled ? second_frees : 0),
         "second frees were not reported as the build promises");

  munmap(base, segment_size);
  close(fd);
  std::printf("%s\n", failures == 0 ? "OK" : "FAILED");
  return failures == 0 ? 0 : 1;
}
