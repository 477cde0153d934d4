// SPDX-License-Identifier: MIT OR Apache-2.0
/* Arm semihosting for the Cortex-M start-up code and programs: the debugger or emulator (QEMU's
 * -semihosting) serves these calls. Only what newlib's rdimon does not give: output that needs no
 * C library (for fault handlers), and an exit that passes the status to the host. */
#ifndef RTALLOC_TARGETS_CORTEX_M_SEMIHOSTING_H
#define RTALLOC_TARGETS_CORTEX_M_SEMIHOSTING_H

#ifdef __cplusplus
extern "C" {
#endif

/* Writes a NUL-terminated string to the host's console (SYS_WRITE0). No C library, no heap. */
void semihosting_write(const char* text);

/* Ends the program with `status` as the exit status of the emulator or debugger session
 * (SYS_EXIT_EXTENDED). Does not return. */
_Noreturn void semihosting_exit(int status);

#ifdef __cplusplus
}
#endif

#endif
