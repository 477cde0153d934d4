/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* A stand-in for NuttX's <nuttx/irq.h> (see ../malloc.h): the critical section the port uses. */
#ifndef RTALLOC_TEST_NUTTX_IRQ_H
#define RTALLOC_TEST_NUTTX_IRQ_H

#include <stdint.h>

typedef uint32_t irqstate_t;
irqstate_t enter_critical_section(void);
void leave_critical_section(irqstate_t flags);

#endif
