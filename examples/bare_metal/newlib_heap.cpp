// SPDX-License-Identifier: MIT OR Apache-2.0
// newlib_heap: on a bare-metal Cortex-M4, an rtalloc heap in the RAM the
// linker leaves free serves malloc, free, realloc, calloc, memalign and
// C++ new/delete for the whole program, newlib's printf included, and is
// shared with an interrupt handler under rtalloc::InterruptLock: the newlib
// port (ports/libc/newlib.cpp) in a whole program.
//
// The heap is a GlobalHeap: constant-initialized, so usable from the first
// constructor on. The linker script (targets/cortex-m/mps2_an386.ld) names
// the free RAM between .bss and the stack __heap_start .. __heap_end; it
// becomes the heap's pool on the first allocation.
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
#include <rtalloc/tlsf.hpp>

#include "../../ports/libc/libc_heap.hpp"

// malloc, free, realloc, calloc, memalign, aligned_alloc and newlib's
// _malloc_r family come from the newlib port, ports/libc/newlib.cpp (linked
// into this program; see its CMakeLists.txt): a Tlsf<> heap over the
// linker's free RAM, __heap_start .. __heap_end, behind
// rtalloc::InterruptLock, which masks interrupts while it runs.

// C++ allocation on the same heap. Built without exceptions: a failed new
// stops the program.
namespace {
void* allocate_or_trap(std::size_t size, std::size_t align) noexcept {
  void* p = rtalloc::libc::allocate(size, align);
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
  return rtalloc::libc::allocate(size, 0);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return rtalloc::libc::allocate(size, 0);
}
void operator delete(void* p) noexcept { rtalloc::libc::deallocate(p); }
void operator delete[](void* p) noexcept { rtalloc::libc::deallocate(p); }
void operator delete(void* p, std::size_t) noexcept { rtalloc::libc::deallocate(p); }
void operator delete[](void* p, std::size_t) noexcept { rtalloc::libc::deallocate(p); }
void operator delete(void* p, std::align_val_t) noexcept { rtalloc::libc::deallocate(p); }
void operator delete[](void* p, std::align_val_t) noexcept { rtalloc::libc::deallocate(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  rtalloc::libc::deallocate(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  rtalloc::libc::deallocate(p);
}

extern "C" std::byte __heap_start[], __heap_end[];

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

  const rtalloc::TlsfStats stats =
      rtalloc::libc::with_heap([](auto& heap) { return heap.stats(); });
  const bool heap_sound = rtalloc::libc::with_heap([](auto& heap) { return heap.check(); });
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
