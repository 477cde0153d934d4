// SPDX-License-Identifier: MIT OR Apache-2.0
// The NuttX glue (ports/nuttx/mm_rtalloc.cpp), compiled against stand-in
// NuttX headers (nuttx_include/), driven as NuttX's malloc drives its
// memory manager, with a stub critical section that counts and checks its
// nesting.
#include <cstdint>
#include <cstring>

#include "port_check.hpp"

extern "C" {
#include <malloc.h>
#include <nuttx/irq.h>
#include <nuttx/mm/mm.h>
}

namespace {
int critical_depth = 0;
int critical_sections = 0;
int deepest = 0;
alignas(16) unsigned char region_a[32768];
alignas(16) unsigned char region_b[8192];
}  // namespace

extern "C" irqstate_t enter_critical_section(void) {
  ++critical_sections;
  if (++critical_depth > deepest) deepest = critical_depth;
  return 0x5A;
}
extern "C" void leave_critical_section(irqstate_t flags) {
  PORT_CHECK(flags == 0x5A && critical_depth > 0);
  --critical_depth;
}

int main() {
  PORT_CHECK(mm_initialize("tiny", region_b, 16) == nullptr);
  mm_heap_s* heap = mm_initialize("test", region_a + 1, sizeof region_a - 1);
  PORT_CHECK(heap != nullptr);
  struct mallinfo info = mm_mallinfo(heap);
  // The region less the control block (about 700 bytes on 32-bit targets, 8.5 KiB on 64-bit hosts).
  PORT_CHECK(info.arena > 32768 - 9000 && info.arena < 32768);
  PORT_CHECK(info.ordblks == 1 && info.aordblks == 0 && info.uordblks == 0);

  const int sections_before = critical_sections;
  void* p = mm_malloc(heap, 1000);
  PORT_CHECK(p != nullptr && critical_sections == sections_before + 1 && critical_depth == 0);
  PORT_CHECK(mm_malloc_size(heap, p) >= 1000);
  PORT_CHECK(mm_heapmember(heap, p) && !mm_heapmember(heap, region_b));
  std::memset(p, 0x33, 1000);
  auto* q = static_cast<unsigned char*>(mm_realloc(heap, p, 5000));
  PORT_CHECK(q != nullptr && q[999] == 0x33);
  void* aligned = mm_memalign(heap, 256, 100);
  PORT_CHECK(aligned != nullptr && reinterpret_cast<std::uintptr_t>(aligned) % 256 == 0);
  auto* zeroed = static_cast<unsigned char*>(mm_calloc(heap, 100, 10));
  bool zeros = zeroed != nullptr;
  for (int i = 0; zeros && i < 1000; ++i) zeros = zeroed[i] == 0;
  PORT_CHECK(zeros);
  PORT_CHECK(mm_calloc(heap, SIZE_MAX / 2, 4) == nullptr);
  PORT_CHECK(mm_malloc(heap, 30000) == nullptr);  // beyond the first region

  mm_addregion(heap, region_b, sizeof region_b);
  PORT_CHECK(mm_heapmember(heap, region_b + 100));
  void* in_b = mm_malloc(heap, 7000);
  PORT_CHECK(in_b != nullptr && mm_heapmember(heap, in_b));
  info = mm_mallinfo(heap);
  PORT_CHECK(info.aordblks == 4);
  PORT_CHECK(info.uordblks + info.fordblks == info.arena);

  mm_free(heap, q);
  mm_free(heap, aligned);
  mm_free(heap, zeroed);
  mm_free(heap, in_b);
  mm_free(heap, nullptr);
  info = mm_mallinfo(heap);
  PORT_CHECK(info.aordblks == 0 && info.ordblks == 2 && info.uordblks == 0);
  mm_checkcorruption(heap);
  mm_uninitialize(heap);

  PORT_CHECK(deepest == 1 && critical_depth == 0);
  return rtalloc::test::port_check_summary();
}
