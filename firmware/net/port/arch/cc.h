/* lwIP architecture glue for arm-none-eabi-gcc + newlib (little-endian). */
#ifndef WASMBED_ARCH_CC_H
#define WASMBED_ARCH_CC_H

#include <stdio.h>
#include <stdlib.h>

#define BYTE_ORDER LITTLE_ENDIAN
#define LWIP_ERRNO_STDINCLUDE 1

void net_port_assert(const char *msg, const char *file, int line) __attribute__((noreturn));

#define LWIP_PLATFORM_DIAG(x) do { printf x; } while (0)
#define LWIP_PLATFORM_ASSERT(x) net_port_assert((x), __FILE__, __LINE__)

#endif
