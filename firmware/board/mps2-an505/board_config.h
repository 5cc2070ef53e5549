/* QEMU mps2-an505 (Cortex-M33, ARMv8-M with TrustZone). QEMU boots it in
 * Secure state with VTOR_S = 0x10000000; everything runs Secure, so code,
 * data and peripherals are used through their Secure aliases (0x1xxxxxxx,
 * 0x3xxxxxxx, 0x5xxxxxxx). The PPCs and MPCs reset to "all Secure".
 * Memory map checked with "info mtree" on QEMU 7.2. */
#ifndef BOARD_CONFIG_H
#define BOARD_CONFIG_H
#define BOARD_NAME        "mps2-an505"
#define BOARD_CPU         "cortex-m33"
#define BOARD_SYSCLK_HZ   20000000u
#define BOARD_UART0_BASE  0x50200000u   /* CMSDK UART0, Secure alias */
#define BOARD_FPGAIO_BASE 0x50302000u   /* FPGAIO, Secure alias */
#define BOARD_ETH_BASE    0x52000000u   /* LAN9118, Secure alias */
#define BOARD_PROV_ADDR   0x381FF000u   /* top 4 KB of SSRAM2 (Secure alias) */
#define BOARD_BOOT_ENTROPY_ADDR 0x381FEFC0u   /* 64 bytes below the provisioning block: per-boot entropy from the launcher */
#define BOARD_NUM_IRQ     96
#endif
