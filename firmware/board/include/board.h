/* Wasmbed board API: the only interface between portable code and a board.
 * Everything above this header is portable C99; everything below it lives in
 * firmware/board/. Single-threaded: none of these functions may be called
 * from an interrupt handler. */
#ifndef WASMBED_BOARD_H
#define WASMBED_BOARD_H

#include <stddef.h>
#include <stdint.h>

/* Clocks, console, SysTick, stdio. Call first. */
void board_init(void);

/* Board name, e.g. "mps2-an385", and CPU name, e.g. "cortex-m3". */
const char *board_name(void);
const char *board_cpu(void);

/* Milliseconds since board_init (SysTick, 1 ms). Wraps after ~49 days. */
uint32_t board_millis(void);

/* Sleep until the next interrupt (at most 1 ms with SysTick running). */
void board_idle(void);

/* Console (first UART). Blocking write; getc returns -1 when nothing is there. */
void board_console_write(const char *s, size_t n);
int board_console_getc(void);

/* Ethernet MAC (polled). Frames are complete Ethernet II frames without FCS.
 * board_eth_init: reset the controller, fill mac[6], enable rx/tx; 0 on success.
 * board_eth_send: queue one frame (len <= BOARD_ETH_MTU_FRAME); 0 on success.
 * board_eth_recv: copy the next received frame into buf; returns its length,
 *   0 when no frame is pending, -1 when a frame was dropped (error/too big). */
#define BOARD_ETH_MAX_FRAME 1514
int board_eth_init(uint8_t mac[6]);
int board_eth_send(const void *frame, size_t len);
int board_eth_recv(void *buf, size_t cap);
int board_eth_link_up(void);

/* FPGA I/O: user LEDs (bit per LED) and the user push buttons/switches. */
void board_leds_set(uint32_t mask);
uint32_t board_switches_get(void);

/* Provisioning block loaded by the host (e.g. QEMU -device loader) at a fixed
 * per-board address. Format: 4-byte magic "WBP1", then NUL-terminated text of
 * "key=value\n" lines. Returns the text, or NULL if the magic is absent. */
#define BOARD_PROV_MAGIC "WBP1"
#define BOARD_PROV_SIZE 4096u
const char *board_provisioning(void);

/* Copies the value of "key=value" in provisioning text `prov` into out (NUL-terminated; the
 * first line with the key wins). Returns 0, or -1 when the key is absent or the value does not
 * fit in cap bytes. */
int board_prov_get(const char *prov, const char *key, char *out, size_t cap);

/* Per-boot entropy: the launcher writes BOARD_BOOT_ENTROPY_BYTES fresh random bytes from the
 * host at BOARD_BOOT_ENTROPY_ADDR (board_config.h; 64 bytes below the provisioning block).
 * Copies them into out and wipes them from RAM, so nothing after this call (an app that
 * reaches native code, a RAM dump) can read them. Returns BOARD_BOOT_ENTROPY_BYTES, or 0
 * when nothing was injected (the region reads as zeros) or it was already taken. */
#define BOARD_BOOT_ENTROPY_BYTES 32u
size_t board_boot_entropy(uint8_t *out);

/* Timer jitter: fills out with raw SysTick readings taken around variable-length busy loops.
 * Under QEMU without -icount they depend on host scheduling; with -icount they are fully
 * deterministic. Mixed into the DRBG seed, never counted on as entropy. */
void board_jitter(uint8_t *out, size_t len);

/* Pseudo-random 32-bit value for the network stack (ports, DHCP xid, TCP ISN); not for keys.
 * Seed it from the device's DRBG. */
uint32_t board_rand(void);
void board_rand_seed(uint32_t seed);

/* Stop: print nothing, sleep forever. */
void board_halt(void) __attribute__((noreturn));

#endif
