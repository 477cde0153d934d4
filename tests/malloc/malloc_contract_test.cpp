// SPDX-License-Identifier: MIT OR Apache-2.0
// librtalloc_malloc against glibc's contracts. This program is linked with
// the library, so its malloc, free, ... and operator new/delete are
// rtalloc's (the first test proves it).
#include <errno.h>
#include <gtest/gtest.h>
#include <malloc.h>
#include <rtalloc/malloc.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <new>
#include <thread>
#include <vector>

// The tests keep using a pointer after a realloc that failed (it stays valid)
// and free one twice on purpose; GCC cannot tell.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic ignored "-Wuse-after-free"
#endif

namespace {

// Keeps the compiler from eliding or merging the allocation calls under test.
template <class T>
T opaque(T value) {
  asm volatile("" : "+r"(value));
  return value;
}

constexpr std::size_t huge = std::numeric_limits<std::size_t>::max() / 2;

rtalloc_malloc_info info() {
  rtalloc_malloc_info result{};
  rtalloc_malloc_get_info(&result);
  return result;
}

bool aligned_to(const void* p, std::size_t align) {
  return reinterpret_cast<std::uintptr_t>(p) % align == 0;
}

TEST(MallocContract, TheProgramsAllocationsGoToTheRtallocHeap) {
  const std::size_t before = info().used_blocks;
  void* p = opaque(malloc(opaque<std::size_t>(100)));
  auto* q = opaque(new int[10]);
  EXPECT_EQ(info().used_blocks, before + 2);
  EXPECT_GT(info().footprint, 0U);
  delete[] q;
  free(p);
  EXPECT_EQ(info().used_blocks, before);
  EXPECT_EQ(rtalloc_malloc_check(), 1);
}

TEST(MallocContract, MallocZeroGivesAUniquePointer) {
  void* a = malloc(opaque<std::size_t>(0));
  void* b = malloc(opaque<std::size_t>(0));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a, b);
  free(a);
  free(b);
  free(nullptr);
}

TEST(MallocContract, FailureSetsEnomem) {
  errno = 0;
  EXPECT_EQ(malloc(opaque(huge)), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  errno = 0;
  EXPECT_EQ(malloc(opaque(std::numeric_limits<std::size_t>::max())), nullptr);
  EXPECT_EQ(errno, ENOMEM);
}

TEST(MallocContract, CallocZeroesAndRefusesOverflow) {
  // Dirty a block, free it, and calloc the same size: it must read as zero.
  auto* dirty = static_cast<unsigned char*>(malloc(opaque<std::size_t>(4000)));
  std::memset(dirty, 0xAB, 4000);
  free(dirty);
  auto* zeroed = static_cast<unsigned char*>(calloc(opaque<std::size_t>(1000), 4));
  ASSERT_NE(zeroed, nullptr);
  for (std::size_t i = 0; i < 4000; ++i) ASSERT_EQ(zeroed[i], 0) << i;
  free(zeroed);
  errno = 0;
  EXPECT_EQ(calloc(opaque(huge), 4), nullptr);
  EXPECT_EQ(errno, ENOMEM);
}

TEST(MallocContract, ReallocFollowsGlibc) {
  auto* p = static_cast<char*>(realloc(nullptr, opaque<std::size_t>(10)));  // as malloc
  ASSERT_NE(p, nullptr);
  std::memcpy(p, "rtalloc!!", 10);
  p = static_cast<char*>(realloc(p, opaque<std::size_t>(100000)));
  ASSERT_NE(p, nullptr);
  EXPECT_STREQ(p, "rtalloc!!");
  errno = 0;
  EXPECT_EQ(realloc(p, opaque(huge)), nullptr);  // fails, p stays valid
  EXPECT_EQ(errno, ENOMEM);
  EXPECT_STREQ(p, "rtalloc!!");
  const std::size_t blocks = info().used_blocks;
  EXPECT_EQ(realloc(p, opaque<std::size_t>(0)), nullptr);  // frees p, as glibc does
  EXPECT_EQ(info().used_blocks, blocks - 1);
}

TEST(MallocContract, ReallocarrayRefusesOverflow) {
  void* p = reallocarray(nullptr, opaque<std::size_t>(10), 10);
  ASSERT_NE(p, nullptr);
  errno = 0;
  EXPECT_EQ(reallocarray(p, opaque(huge), 4), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  free(p);
}

TEST(MallocContract, PosixMemalignChecksTheAlignment) {
  void* p = reinterpret_cast<void*>(0x1);
  EXPECT_EQ(posix_memalign(&p, opaque<std::size_t>(0), 16), EINVAL);
  EXPECT_EQ(posix_memalign(&p, opaque<std::size_t>(24), 16), EINVAL);
  EXPECT_EQ(posix_memalign(&p, opaque<std::size_t>(sizeof(void*) / 2), 16), EINVAL);
  EXPECT_EQ(p, reinterpret_cast<void*>(0x1));  // untouched on failure
  EXPECT_EQ(posix_memalign(&p, 64, opaque(huge)), ENOMEM);
  for (std::size_t align :
       {sizeof(void*), std::size_t{64}, std::size_t{4096}, std::size_t{1} << 20}) {
    ASSERT_EQ(posix_memalign(&p, align, 100), 0) << align;
    EXPECT_TRUE(aligned_to(p, align)) << align;
    free(p);
  }
}

TEST(MallocContract, AlignedAllocMemalignVallocPvalloc) {
  errno = 0;
  EXPECT_EQ(aligned_alloc(opaque<std::size_t>(3), 16), nullptr);
  EXPECT_EQ(errno, EINVAL);
  void* a = aligned_alloc(opaque<std::size_t>(256), 100);  // size need not be a multiple
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(aligned_to(a, 256));
  void* m = memalign(opaque<std::size_t>(48), 100);  // rounded up to 64, as glibc
  ASSERT_NE(m, nullptr);
  EXPECT_TRUE(aligned_to(m, 64));
  const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  void* v = valloc(opaque<std::size_t>(10));
  ASSERT_NE(v, nullptr);
  EXPECT_TRUE(aligned_to(v, page));
  void* pv = pvalloc(opaque<std::size_t>(0));
  ASSERT_NE(pv, nullptr);
  EXPECT_TRUE(aligned_to(pv, page));
  EXPECT_GE(malloc_usable_size(pv), page);
  void* pv2 = pvalloc(opaque<std::size_t>(page + 1));
  EXPECT_GE(malloc_usable_size(pv2), 2 * page);
  for (void* p : {a, m, v, pv, pv2}) free(p);
}

TEST(MallocContract, UsableSizeCoversTheRequest) {
  EXPECT_EQ(malloc_usable_size(nullptr), 0U);
  for (std::size_t size : {1U, 24U, 100U, 4096U, 100000U}) {
    void* p = malloc(opaque(size));
    EXPECT_GE(malloc_usable_size(p), size);
    std::memset(p, 1, malloc_usable_size(p));  // all of it is writable
    free(p);
  }
}

TEST(MallocContract, MallocTrimGivesFreePagesBack) {
  void* big = opaque(malloc(opaque<std::size_t>(8 << 20)));
  std::memset(big, 1, 8 << 20);
  free(big);
  malloc_trim(0);
  EXPECT_GT(info().discarded, 0U);
  EXPECT_EQ(rtalloc_malloc_check(), 1);
}

// A free that leaves a free block of at least the threshold (16 MiB) gives
// its pages back at once, also when smaller frees add up to it. (That a
// free leaving a smaller free block keeps its pages depends on where the
// heap placed its neighbours: FlexTlsfTest.AutoDiscard* pin it down.)
TEST(MallocContract, FreesThatLeaveAVeryLargeFreeBlockGiveItsPagesBackAtOnce) {
  if (getenv("RTALLOC_MALLOC_DISCARD_THRESHOLD") != nullptr) GTEST_SKIP() << "threshold set";
  constexpr std::size_t mib = std::size_t{1} << 20;
  const std::size_t before = info().discarded;
  void* guard = opaque(malloc(opaque<std::size_t>(64 * 1024)));
  std::vector<void*> run;
  for (int i = 0; i < 6; ++i) {
    run.push_back(opaque(malloc(opaque<std::size_t>(4 * mib))));
    std::memset(run.back(), 2, 4 * mib);
  }
  void* last_guard = opaque(malloc(opaque<std::size_t>(64 * 1024)));
  for (void* block : run) free(block);  // 24 MiB of free blocks side by side
  EXPECT_GE(info().discarded, before + 16 * mib);
  void* huge_block = opaque(malloc(opaque<std::size_t>(64 * mib)));  // one free of 64 MiB
  std::memset(huge_block, 1, 64 * mib);
  const std::size_t before_huge = info().discarded;
  free(huge_block);
  EXPECT_GE(info().discarded, before_huge + 60 * mib);
  free(guard);
  free(last_guard);
  EXPECT_EQ(rtalloc_malloc_check(), 1);
}

TEST(MallocContract, NewThrowsBadAllocAndNothrowNewGivesNull) {
  EXPECT_THROW((void)::operator new(opaque(huge)), std::bad_alloc);
  EXPECT_THROW((void)::operator new[](opaque(huge)), std::bad_alloc);
  EXPECT_THROW((void)::operator new (opaque(huge), std::align_val_t{64}), std::bad_alloc);
  EXPECT_EQ(::operator new(opaque(huge), std::nothrow), nullptr);
  EXPECT_EQ(::operator new[](opaque(huge), std::nothrow), nullptr);
  EXPECT_EQ(::operator new (opaque(huge), std::align_val_t{64}, std::nothrow), nullptr);
}

std::atomic<int> handler_calls{0};
void handler_that_gives_up() {
  handler_calls.fetch_add(1);
  std::set_new_handler(nullptr);  // the next failure throws
}

TEST(MallocContract, NewCallsTheNewHandlerBeforeThrowing) {
  handler_calls = 0;
  std::set_new_handler(handler_that_gives_up);
  EXPECT_THROW((void)::operator new(opaque(huge)), std::bad_alloc);
  EXPECT_EQ(handler_calls.load(), 1);
}

struct alignas(256) OverAligned {
  unsigned char bytes[256];
};

TEST(MallocContract, EveryFormOfNewAndDelete) {
  const std::size_t before = info().used_blocks;
  auto* one = new OverAligned;
  auto* many = new OverAligned[3];
  EXPECT_TRUE(aligned_to(one, 256));
  EXPECT_TRUE(aligned_to(many, 256));
  delete one;
  delete[] many;
  auto* n = new (std::nothrow) int(5);
  auto* ns = new (std::nothrow) int[5];
  ::operator delete(n, std::nothrow);
  ::operator delete[](ns, std::nothrow);
  void* sized = ::operator new(100);
  ::operator delete(sized, 100);
  void* sized_array = ::operator new[](100);
  ::operator delete[](sized_array, 100);
  void* al = ::operator new (100, std::align_val_t{128});
  EXPECT_TRUE(aligned_to(al, 128));
  ::operator delete (al, 100, std::align_val_t{128});
  void* al_array = ::operator new[](100, std::align_val_t{128});
  ::operator delete[](al_array, std::align_val_t{128});
  void* al_nothrow = ::operator new (100, std::align_val_t{64}, std::nothrow);
  ::operator delete (al_nothrow, std::align_val_t{64}, std::nothrow);
  EXPECT_EQ(info().used_blocks, before);
}

TEST(MallocContract, ManyThreadsAllocateAndFreeAtOnce) {
  std::vector<std::thread> threads;
  std::atomic<int> errors{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &errors] {
      std::vector<std::pair<unsigned char*, std::size_t>> mine;
      for (int i = 0; i < 20000; ++i) {
        const std::size_t size = 1 + static_cast<std::size_t>((i * 37 + t * 11) % 3000);
        auto* p = static_cast<unsigned char*>(malloc(size));
        std::memset(p, t, size);
        mine.emplace_back(p, size);
        if (i % 3 != 0) {
          auto [q, length] = mine[mine.size() / 2];
          if (q[0] != t || q[length - 1] != t) errors.fetch_add(1);
          free(q);
          mine.erase(mine.begin() + static_cast<long>(mine.size() / 2));
        }
      }
      for (auto [q, length] : mine) free(q);
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(rtalloc_malloc_check(), 1);
}

// fork() while other threads hold or wait for the heap's lock: the child
// must be able to allocate (the fork handlers hand it a sound, unlocked heap).
TEST(MallocContract, ForkWhileOtherThreadsAllocate) {
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&stop] {
      while (!stop.load(std::memory_order_relaxed)) {
        void* p = malloc(64);
        void* q = malloc(5000);
        free(p);
        free(q);
      }
    });
  }
  int failures = 0;
  for (int round = 0; round < 50; ++round) {
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      void* blocks[100];
      for (void*& block : blocks) block = malloc(100);
      for (void* block : blocks) free(block);
      _exit(rtalloc_malloc_check() == 1 ? 0 : 1);
    }
    int status = 0;
    waitpid(child, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failures;
  }
  stop = true;
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures, 0);
}

TEST(MallocContractDeathTest, DoubleFreeAbortsWithAMessage) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        void* p = malloc(opaque<std::size_t>(100));
        free(p);
        free(opaque(p));
      },
      "rtalloc malloc: double_free");
}

// free() of memory the library never handed out: glibc aborts with
// "free(): invalid pointer"; so does rtalloc, in every build, saying what and
// where, for memory outside its heaps (the stack, a static, a mapping of the
// program's own) and for a pointer inside them that no block can start at.
TEST(MallocContractDeathTest, FreeOfAPointerOnTheStackAbortsWithAMessage) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        alignas(16) char local[64];
        free(opaque(static_cast<void*>(local)));
      },
      "rtalloc malloc: invalid_pointer");
}

TEST(MallocContractDeathTest, FreeOfAStaticAbortsWithAMessage) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  alignas(16) static char global[64];
  EXPECT_DEATH(free(opaque(static_cast<void*>(global))), "rtalloc malloc: invalid_pointer");
}

TEST(MallocContractDeathTest, FreeOfAMappingOfTheProgramsOwnAbortsWithAMessage) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  void* mapping =
      mmap(nullptr, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(mapping, MAP_FAILED);
  EXPECT_DEATH(free(opaque(static_cast<char*>(mapping) + 4096)), "rtalloc malloc: invalid_pointer");
  munmap(mapping, 1 << 16);
}

TEST(MallocContractDeathTest, FreeOfAMisalignedPointerIntoABlockAbortsWithAMessage) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        char* p = static_cast<char*>(malloc(opaque<std::size_t>(5000)));
        free(opaque(static_cast<void*>(p + 3)));
      },
      "rtalloc malloc: invalid_pointer");
}

TEST(MallocContractDeathTest, ReallocOfAForeignPointerAbortsWithAMessage) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        alignas(16) char local[64];
        void* moved = realloc(opaque(static_cast<void*>(local)), 100);
        free(moved);
      },
      "rtalloc malloc: invalid_pointer");
}

}  // namespace
