/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* A stand-in for FreeRTOS's task.h (see FreeRTOS.h here): the scheduler suspension and the
 * malloc-failed hook the heap port calls. */
#ifndef RTALLOC_TEST_TASK_H
#define RTALLOC_TEST_TASK_H

void vTaskSuspendAll(void);
BaseType_t xTaskResumeAll(void);
void vApplicationMallocFailedHook(void);

#endif
