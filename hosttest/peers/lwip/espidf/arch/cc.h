/* Platform definitions for the lwIP build with ESP-IDF's defaults (hosttest/peers/lwip/espidf),
 * compiled for the host that runs the simulator (x86-64 or arm64 Linux, gcc). */
#ifndef SYNSTACK_LWIP_ARCH_CC_H
#define SYNSTACK_LWIP_ARCH_CC_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>

/* Use the C library's struct timeval, and its errno values. */
#define LWIP_TIMEVAL_PRIVATE 0
#define LWIP_ERRNO_STDINCLUDE 1

/* stdout carries the simulator's protocol: diagnostics go to stderr. */
#define LWIP_PLATFORM_DIAG(x) do { fprintf(stderr, "lwip: "); fprintf x; } while (0)
#define LWIP_PLATFORM_ASSERT(x) do { fprintf(stderr, "lwip assertion \"%s\" failed at line %d in %s\n", x, __LINE__, __FILE__); abort(); } while (0)

/* Deterministic: seeded from the harness's argv (harness.c). ESP-IDF uses esp_random(). */
uint32_t synstack_lwip_rand(void);
#define LWIP_RAND() (synstack_lwip_rand())

#endif
