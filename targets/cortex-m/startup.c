// SPDX-License-Identifier: MIT OR Apache-2.0
/* Start-up code for Cortex-M4 programs on the MPS2-AN386 board (see mps2_an386.ld): the vector
 * table, Reset_Handler, fault handlers that end the program with a failure status, and the
 * semihosting calls of semihosting.h.
 *
 * Reset_Handler enables the FPU, copies .data, zeroes .bss, runs the static constructors, opens
 * newlib's semihosted stdin/stdout/stderr, calls main() and passes its result to the host as the
 * exit status. A fault prints its name and exits with status 3, so that a crash under QEMU fails
 * the run instead of hanging it. A program may define SysTick_Handler; any other exception or
 * interrupt counts as a fault. */
#include <stdint.h>
#include <stdio.h>

#include "semihosting.h"

int main(void);
void initialise_monitor_handles(void); /* newlib's rdimon: stdin, stdout, stderr on the host */

extern uint32_t __data_start[], __data_end[], __data_load[];
extern uint32_t __bss_start[], __bss_end[];
extern uint32_t __stack_top[];
typedef void (*Handler)(void);
extern Handler __init_array_start[], __init_array_end[];

/* The handle C++ passes to __cxa_atexit when it registers a static object's destructor. crtbegin.o
 * defines it in a hosted link; -nostartfiles leaves that file out. */
void* __dso_handle = &__dso_handle;

enum {
  sys_write0 = 0x04,
  sys_exit_extended = 0x20,
  adp_stopped_application_exit = 0x20026,
  fault_status = 3,
};

/* One semihosting call: operation in r0, argument in r1, result in r0. */
static uint32_t semihosting_call(uint32_t operation, const void* argument) {
  register uint32_t r0 __asm__("r0") = operation;
  register const void* r1 __asm__("r1") = argument;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

void semihosting_write(const char* text) { semihosting_call(sys_write0, text); }

_Noreturn void semihosting_exit(int status) {
  const uint32_t block[2] = {adp_stopped_application_exit, (uint32_t)status};
  for (;;) semihosting_call(sys_exit_extended, block);
}

static _Noreturn void fault(const char* name) {
  semihosting_write("\n*** fault: ");
  semihosting_write(name);
  semihosting_write("\n");
  semihosting_exit(fault_status);
}

static void hard_fault(void) { fault("HardFault"); }
static void mem_manage_fault(void) { fault("MemManage"); }
static void bus_fault(void) { fault("BusFault"); }
static void usage_fault(void) { fault("UsageFault"); }
void rtalloc_unexpected_interrupt(void) { fault("unexpected exception or interrupt"); }
void SysTick_Handler(void) __attribute__((weak, alias("rtalloc_unexpected_interrupt")));

_Noreturn void Reset_Handler(void) {
#if defined(__ARM_FP)
  /* Full access to coprocessors 10 and 11, the FPU, before any code uses it. */
  volatile uint32_t* const cpacr = (volatile uint32_t*)0xE000ED88;
  *cpacr |= 0xFu << 20;
  __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
  for (uint32_t *from = __data_load, *to = __data_start; to < __data_end;) *to++ = *from++;
  for (uint32_t* word = __bss_start; word < __bss_end;) *word++ = 0;
  for (Handler* constructor = __init_array_start; constructor < __init_array_end;) {
    (*constructor++)();
  }
  initialise_monitor_handles();
  const int status = main();
  fflush(stdout);
  fflush(stderr);
  semihosting_exit(status);
}

/* The core's 16 exceptions (entry 0: the initial stack pointer), then the board's 32 interrupts. */
struct VectorTable {
  uint32_t* initial_stack;
  Handler exceptions[15];
  Handler interrupts[32];
};

#define UNEXPECTED rtalloc_unexpected_interrupt
#define UNEXPECTED_4 UNEXPECTED, UNEXPECTED, UNEXPECTED, UNEXPECTED
__attribute__((section(".isr_vector"), used)) static const struct VectorTable vector_table = {
    .initial_stack = __stack_top,
    .exceptions =
        {
            [0] = Reset_Handler, /* exception 1 */
            [1] = UNEXPECTED,    /* NMI */
            [2] = hard_fault,
            [3] = mem_manage_fault,
            [4] = bus_fault,
            [5] = usage_fault,
            [10] = UNEXPECTED, /* SVCall */
            [11] = UNEXPECTED, /* DebugMonitor */
            [13] = UNEXPECTED, /* PendSV */
            [14] = SysTick_Handler,
        },
    .interrupts = {UNEXPECTED_4, UNEXPECTED_4, UNEXPECTED_4, UNEXPECTED_4, UNEXPECTED_4,
                   UNEXPECTED_4, UNEXPECTED_4, UNEXPECTED_4},
};
