/* QEMU mps2-an500 (cortex-m7), memory map checked with "info mtree" on QEMU 7.2. */
#ifndef BOARD_CONFIG_H
#define BOARD_CONFIG_H
#define BOARD_NAME        "mps2-an500"
#define BOARD_CPU         "cortex-m7"
#define BOARD_SYSCLK_HZ   25000000u
#define BOARD_UART0_BASE  0x40004000u   /* CMSDK APB UART0 */
#define BOARD_FPGAIO_BASE 0x40028000u   /* FPGAIO: LEDs, buttons */
#define BOARD_ETH_BASE    0xA0000000u   /* SMSC LAN9118 */
#define BOARD_PROV_ADDR   0x203FF000u   /* top 4 KB of SSRAM2/3, outside the linker's RAM */
#define BOARD_BOOT_ENTROPY_ADDR 0x203FEFC0u   /* 64 bytes below the provisioning block: per-boot entropy from the launcher */
#define BOARD_NUM_IRQ     32
#endif
