// SPDX-License-Identifier: MIT OR Apache-2.0
// newlib_heap: on a bare-metal Cortex-M4, an rtalloc heap in the RAM the
// linker leaves free serves malloc, free, realloc, calloc, memalign and
// C++ new/delete for the whole program, newlib's printf included, and is
// shared with an interrupt handler under rtalloc::InterruptLock.
//
// The heap is a GlobalHeap: constant-initialized, so usable from the first
// constructor on. The linker script (targets/cortex-m/mps2_an386.ld) names
// the free RAM between .bss and the stack __heap_start .. __heap_end; it
// becomes the heap's pool in a constructor that runs before all others.
//
// The SysTick interrupt allocates and frees while the main loop does the
// same: without the lock, an interrupt arriving inside a heap operation
// would corrupt the heap. At the end the program checks the heap's
// invariants and prints its statistics. Runs under QEMU (docs/embedded.md).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <rtalloc/global_heap.hpp>
#include <rtalloc/sync/interrupt_lock.hpp>
#include <rtalloc/tlsf.hpp>

extern "C" std::byte __heap_start[], __heap_end[];

namespace {

// Sized for the board's 4 MiB of RAM: blocks up to 4 MiB, 16 classes per
// level. Every call masks interrupts while it runs.
using Heap =
    rtalloc::GlobalHeap<rtalloc::InterruptLock,
                        rtalloc::Tlsf<rtalloc::tlsf_first_levels(std::size_t{4} << 20, 16), 16>>;

// Priority 101: before every other constructor (and so before any of them allocates).
[[gnu::constructor(101)]] void add_free_ram_to_the_heap() {
  Heap::add_pool(__heap_start, static_cast<std::size_t>(__heap_end - __heap_start));
}

void* heap_allocate(std::size_t size, std::size_t align) noexcept {
  return align <= alignof(std::max_align_t) ? Heap::allocate(size) : Heap::allocate(size, align);
}

void heap_deallocate(void* p) noexcept { Heap::deallocate(p); }

void* heap_reallocate(void* p, std::size_t size) noexcept { return Heap::reallocate(p, size); }

void* heap_zeroed(std::size_t count, std::size_t size) noexcept {
  if (size != 0 && count > SIZE_MAX / size) return nullptr;
  void* p = heap_allocate(count * size, 0);
  if (p != nullptr) std::memset(p, 0, count * size);
  return p;
}

}  // namespace

// The C library's allocator, and newlib's reentrant entry points, which its
// own functions (printf's buffers, for one) call.
extern "C" {
struct _reent;
void* malloc(std::size_t size) noexcept { return heap_allocate(size, 0); }
void free(void* p) noexcept { heap_deallocate(p); }
void* realloc(void* p, std::size_t size) noexcept { return heap_reallocate(p, size); }
void* calloc(std::size_t count, std::size_t size) noexcept { return heap_zeroed(count, size); }
void* memalign(std::size_t align, std::size_t size) noexcept { return heap_allocate(size, align); }
void* aligned_alloc(std::size_t align, std::size_t size) noexcept {
  return heap_allocate(size, align);
}
void* _malloc_r(_reent*, std::size_t size) noexcept { return heap_allocate(size, 0); }
void _free_r(_reent*, void* p) noexcept { heap_deallocate(p); }
void* _realloc_r(_reent*, void* p, std::size_t size) noexcept { return heap_reallocate(p, size); }
void* _calloc_r(_reent*, std::size_t count, std::size_t size) noexcept {
  return heap_zeroed(count, size);
}
void* _memalign_r(_reent*, std::size_t align, std::size_t size) noexcept {
  return heap_allocate(size, align);
}
}

// C++ allocation. Built without exceptions: a failed new stops the program.
namespace {
void* allocate_or_trap(std::size_t size, std::size_t align) noexcept {
  void* p = heap_allocate(size, align);
  if (p == nullptr) __builtin_trap();
  return p;
}
}  // namespace

void* operator new(std::size_t size) { return allocate_or_trap(size, 0); }
void* operator new[](std::size_t size) { return allocate_or_trap(size, 0); }
void* operator new(std::size_t size, std::align_val_t align) {
  return allocate_or_trap(size, static_cast<std::size_t>(align));
}
void* operator new[](std::size_t size, std::align_val_t align) {
  return allocate_or_trap(size, static_cast<std::size_t>(align));
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return heap_allocate(size, 0);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return heap_allocate(size, 0);
}
void operator delete(void* p) noexcept { heap_deallocate(p); }
void operator delete[](void* p) noexcept { heap_deallocate(p); }
void operator delete(void* p, std::size_t) noexcept { heap_deallocate(p); }
void operator delete[](void* p, std::size_t) noexcept { heap_deallocate(p); }
void operator delete(void* p, std::align_val_t) noexcept { heap_deallocate(p); }
void operator delete[](void* p, std::align_val_t) noexcept { heap_deallocate(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { heap_deallocate(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { heap_deallocate(p); }

// ---- The program ------------------------------------------------------------

namespace {

// SysTick: the core's timer, here every 5,000 cycles. Its handler allocates
// a message, fills it and frees the one before: heap use from interrupt
// context, racing the main loop.
struct SysTickRegisters {
  std::uint32_t control, reload, current;
};
volatile SysTickRegisters& systick = *reinterpret_cast<volatile SysTickRegisters*>(0xE000E010);

volatile std::uint32_t ticks = 0;
char* volatile tick_message = nullptr;

struct Sample {
  std::uint32_t id;
  float value;
};

}  // namespace

extern "C" void SysTick_Handler() {
  char* message = static_cast<char*>(std::malloc(48));
  if (message != nullptr) std::snprintf(message, 48, "tick %lu", static_cast<unsigned long>(ticks));
  std::free(tick_message);
  tick_message = message;
  ticks = ticks + 1;
}

int main() {
  std::printf("newlib_heap: heap region %p..%p\n", static_cast<void*>(__heap_start),
              static_cast<void*>(__heap_end));

  systick.reload = 5000 - 1;
  systick.current = 0;
  systick.control = 0x7;  // processor clock, interrupt, enable

  // The main loop: C and C++ allocations of assorted sizes, kept a while.
  void* kept[16] = {};
  std::uint32_t checksum = 0;
  for (std::uint32_t round = 0; round < 20000; ++round) {
    const std::size_t slot = round % 16;
    std::free(kept[slot]);
    kept[slot] = std::malloc(16 + (round * 37) % 700);
    if (kept[slot] == nullptr) return 1;
    auto* samples = new Sample[1 + round % 8];
    samples[0] = {round, 0.5f * static_cast<float>(round)};
    checksum += samples[0].id;
    delete[] samples;
  }
  for (void* p : kept) std::free(p);

  systick.control = 0;
  std::free(tick_message);
  tick_message = nullptr;

  const rtalloc::TlsfStats stats = Heap::with_heap([](auto& heap) { return heap.stats(); });
  const bool heap_sound = Heap::with_heap([](auto& heap) { return heap.check(); });
  std::printf("ticks during the loop: %lu (each allocated and freed in the handler)\n",
              static_cast<unsigned long>(ticks));
  std::printf("heap: capacity %lu bytes, peak use %lu, %lu blocks still live (stdio's buffers)\n",
              static_cast<unsigned long>(stats.capacity),
              static_cast<unsigned long>(stats.peak_used),
              static_cast<unsigned long>(stats.used_blocks));
  const bool ok = heap_sound && ticks > 0 && checksum != 0;
  std::printf("%s\n", ok ? "heap invariants hold" : "FAILED: heap invariants broken");
  return ok ? 0 : 1;
}
