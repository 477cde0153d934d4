// SPDX-License-Identifier: MIT OR Apache-2.0
// wasm_malloc: a WebAssembly module whose malloc, free, calloc, realloc,
// aligned_alloc, posix_memalign and malloc_usable_size — and so C++'s new
// and delete, and wasi-libc's own stdio — are an rtalloc heap that grows
// linear memory with memory.grow (rtalloc::WasmMemory), in place of
// wasi-libc's allocator.
//
// The heap is a GlobalHeap over a FlexTlsf: constant-initialized, so ready
// before any constructor runs. A constructor that runs before all others
// adds the memory between the linker's __heap_base and the initial memory's
// end as a pool; every later growth extends memory at its end, and the
// heap's newest pool with it.
//
// The program then checks what a user relies on: allocations grow memory
// and stay intact, frees let memory be reused, an impossible request fails
// cleanly (the module is linked with a maximum memory) and the heap still
// works after it. It prints "N passed, N failed"; ctest runs it under
// Node.js (docs/embedded.md).
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <rtalloc/flex_tlsf.hpp>
#include <rtalloc/global_heap.hpp>
#include <rtalloc/sources/wasm_memory.hpp>
#include <rtalloc/sync/synchronized.hpp>

extern "C" unsigned char __heap_base;  // wasm-ld: the first byte after the data and the stack

namespace {

// One module, one thread: no lock. (A module built with threads would use
// rtalloc::SpinLock.)
using Heap = rtalloc::GlobalHeap<rtalloc::NoLock, rtalloc::FlexTlsf<rtalloc::WasmMemory>>;

[[gnu::constructor(101)]] void add_initial_memory_to_the_heap() {
  const auto start = reinterpret_cast<std::uintptr_t>(&__heap_base);
  const std::uintptr_t end = rtalloc::WasmMemory::memory_end();
  if (end > start) {
    Heap::unlocked_heap().heap().add_pool(reinterpret_cast<void*>(start), end - start);
  }
}

void* allocate(std::size_t size, std::size_t align) noexcept {
  void* p = align <= alignof(std::max_align_t) ? Heap::allocate(size) : Heap::allocate(size, align);
  if (p == nullptr) errno = ENOMEM;
  return p;
}

bool is_alignment(std::size_t align) noexcept { return align != 0 && (align & (align - 1)) == 0; }

}  // namespace

// The C library's allocator. Every name wasi-libc's allocator defines is
// defined here, so the linker takes none of it.
extern "C" {
void* malloc(std::size_t size) { return allocate(size, 0); }
void free(void* p) { Heap::deallocate(p); }
void* calloc(std::size_t count, std::size_t size) {
  if (size != 0 && count > SIZE_MAX / size) {
    errno = ENOMEM;
    return nullptr;
  }
  void* p = allocate(count * size, 0);
  if (p != nullptr) std::memset(p, 0, count * size);
  return p;
}
void* realloc(void* p, std::size_t size) {
  void* q = Heap::reallocate(p, size);
  if (q == nullptr && size != 0) errno = ENOMEM;
  return q;
}
void* aligned_alloc(std::size_t align, std::size_t size) {
  if (!is_alignment(align)) {
    errno = EINVAL;
    return nullptr;
  }
  return allocate(size, align);
}
int posix_memalign(void** out, std::size_t align, std::size_t size) {
  if (!is_alignment(align) || align % sizeof(void*) != 0) return EINVAL;
  void* p = allocate(size, align);
  if (p == nullptr) return ENOMEM;
  *out = p;
  return 0;
}
void* memalign(std::size_t align, std::size_t size) { return aligned_alloc(align, size); }
std::size_t malloc_usable_size(void* p) { return Heap::usable_size(p); }
}

// ---- The program ------------------------------------------------------------

namespace {

int passed = 0;
int failed = 0;

void expect(bool condition, const char* what) {
  if (condition) {
    ++passed;
    std::printf("passed: %s\n", what);
  } else {
    ++failed;
    std::printf("FAILED: %s\n", what);
  }
}

std::byte pattern(std::size_t block, std::size_t offset) {
  return static_cast<std::byte>((block * 131 + offset * 7) & 0xFF);
}

}  // namespace

int main() {
  const std::uintptr_t memory_at_start = rtalloc::WasmMemory::memory_end();

  // 64 blocks of 16 KiB to 1 MiB: more than the initial memory, so memory grows.
  constexpr std::size_t count = 64;
  std::byte* blocks[count] = {};
  std::size_t sizes[count] = {};
  bool all_allocated = true;
  for (std::size_t i = 0; i < count; ++i) {
    sizes[i] = (std::size_t{16} << 10) << (i % 7);
    blocks[i] = static_cast<std::byte*>(std::malloc(sizes[i]));
    if (blocks[i] == nullptr) {
      all_allocated = false;
      break;
    }
    for (std::size_t j = 0; j < sizes[i]; j += 61) blocks[i][j] = pattern(i, j);
  }
  expect(all_allocated, "64 blocks of 16 KiB to 1 MiB allocated");
  const std::uintptr_t memory_after_growth = rtalloc::WasmMemory::memory_end();
  expect(memory_after_growth > memory_at_start + (std::size_t{8} << 20),
         "linear memory grew to hold them");
  const rtalloc::FlexTlsfStats grown = Heap::with_heap([](auto& heap) { return heap.stats(); });
  expect(grown.growths > 0 && grown.heap.pool_count <= 2,
         "the heap grew its newest pool in place (one pool beside the initial memory's)");

  bool intact = true;
  for (std::size_t i = 0; i < count && blocks[i] != nullptr; ++i) {
    for (std::size_t j = 0; j < sizes[i]; j += 61) intact = intact && blocks[i][j] == pattern(i, j);
  }
  expect(intact, "every block's contents intact");

  void* aligned = nullptr;
  expect(posix_memalign(&aligned, 4096, 1000) == 0 &&
             reinterpret_cast<std::uintptr_t>(aligned) % 4096 == 0,
         "posix_memalign gives a 4096-byte aligned block");
  std::free(aligned);
  auto* zeros = static_cast<unsigned char*>(std::calloc(1000, 8));
  bool zeroed = zeros != nullptr;
  for (std::size_t i = 0; zeroed && i < 8000; ++i) zeroed = zeros[i] == 0;
  expect(zeroed, "calloc gives zeroed memory");
  auto* longer = static_cast<unsigned char*>(std::realloc(zeros, 100000));
  expect(longer != nullptr && longer[7999] == 0, "realloc keeps the contents");
  std::free(longer);

  for (std::byte* block : blocks) std::free(block);
  const rtalloc::FlexTlsfStats freed = Heap::with_heap([](auto& heap) { return heap.stats(); });
  expect(freed.heap.used_blocks <= 2, "every block freed (stdio's buffer may stay)");

  // Freed memory is reused: the same allocations again need no more memory.
  bool reused = true;
  for (std::size_t i = 0; i < count; ++i) {
    blocks[i] = static_cast<std::byte*>(std::malloc(sizes[i]));
    reused = reused && blocks[i] != nullptr;
  }
  expect(reused && rtalloc::WasmMemory::memory_end() == memory_after_growth,
         "freed memory is reused without growing again");
  for (std::byte* block : blocks) std::free(block);

  // The module's maximum memory (see CMakeLists.txt) refuses this one.
  // (volatile: a compiler may assume that an allocation it can elide
  // succeeds.)
  errno = 0;
  void* volatile too_large = std::malloc(std::size_t{200} << 20);
  expect(too_large == nullptr && errno == ENOMEM, "a request beyond the maximum memory fails");
  void* after = std::malloc(1000);
  expect(after != nullptr, "the heap serves requests after a failed growth");
  std::free(after);

  auto* numbers = new int[1000];
  for (int i = 0; i < 1000; ++i) numbers[i] = i;
  expect(numbers[999] == 999, "operator new and delete use the heap");
  delete[] numbers;

  expect(Heap::with_heap([](auto& heap) { return heap.heap().check(); }), "heap invariants hold");
  std::printf("memory: %lu KiB at start, %lu KiB after growing; %lu growths\n",
              static_cast<unsigned long>(memory_at_start >> 10),
              static_cast<unsigned long>(memory_after_growth >> 10),
              static_cast<unsigned long>(grown.growths));
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
