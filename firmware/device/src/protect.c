/* Defence in depth behind the export-type checks: the vector table lives in the code SSRAM,
 * which QEMU maps writable: at address 0 (and again at 0x00400000) on the ARMv7-M boards
 * (an385 Cortex-M3, an386 M4, an500 M7); on an505 (Cortex-M33) the Secure image runs from
 * 0x10000000, the same SSRAM the Non-secure alias at 0 reaches. A write there redirected
 * exceptions to code of an attacker's choosing once (D1). The MPU makes the code SSRAM and
 * its aliases read-only, so such a write is a MemManage fault instead. */
#include <stdio.h>
#include <stdint.h>
#include "device.h"

#define MPU_TYPE  (*(volatile uint32_t *)0xE000ED90u)
#define MPU_CTRL  (*(volatile uint32_t *)0xE000ED94u)
#define MPU_RNR   (*(volatile uint32_t *)0xE000ED98u)
#define MPU_RBAR  (*(volatile uint32_t *)0xE000ED9Cu)
#define MPU_RASR  (*(volatile uint32_t *)0xE000EDA0u)
#define MPU_RLAR  (*(volatile uint32_t *)0xE000EDA0u)   /* ARMv8-M: same address as RASR */
#define MPU_MAIR0 (*(volatile uint32_t *)0xE000EDC0u)
#define SCB_SHCSR (*(volatile uint32_t *)0xE000ED24u)

void dev_protect_code(void)
{
#if defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__)
    if (((MPU_TYPE >> 8) & 0xFFu) == 0) { printf("protect: no MPU, code stays writable\n"); return; }
    MPU_RNR = 0;
    MPU_RBAR = 0x00000000u;
    /* 8 MiB (SIZE 22: 2^(22+1)) from 0: SSRAM1 and its alias; AP 0b110 read-only for all,
     * executable; normal memory (C). */
    MPU_RASR = (6u << 24) | (1u << 17) | (22u << 1) | 1u;
    SCB_SHCSR |= 1u << 16;                     /* MemManage faults get their own handler */
    MPU_CTRL = (1u << 2) | 1u;                 /* PRIVDEFENA: the default map elsewhere */
    __asm volatile("dsb\n isb" ::: "memory");
    printf("protect: vector table and code read-only (MPU region 0..8 MiB)\n");
#elif defined(__ARM_ARCH_8M_MAIN__)
    if (((MPU_TYPE >> 8) & 0xFFu) < 2) { printf("protect: no MPU, code stays writable\n"); return; }
    MPU_MAIR0 = 0xFFu;                         /* attribute 0: normal memory, write-back */
    /* Regions: RBAR = base | AP 0b11 (read-only, any privilege), executable; RLAR = limit | EN. */
    MPU_RNR = 0;
    MPU_RBAR = 0x00000000u | (3u << 1);
    MPU_RLAR = (0x007FFFFFu & ~0x1Fu) | 1u;    /* Non-secure alias of the code SSRAM */
    MPU_RNR = 1;
    MPU_RBAR = 0x10000000u | (3u << 1);
    MPU_RLAR = (0x107FFFFFu & ~0x1Fu) | 1u;    /* Secure alias: this image and its vectors */
    SCB_SHCSR |= 1u << 16;
    MPU_CTRL = (1u << 2) | 1u;
    __asm volatile("dsb\n isb" ::: "memory");
    printf("protect: vector table and code read-only (MPU regions 0..8 MiB, 0x10000000..+8 MiB)\n");
#else
    printf("protect: no MPU support for this CPU, code stays writable\n");
#endif
}
