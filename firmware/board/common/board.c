/* MPS2 board glue: SysTick time base, FPGAIO, provisioning block, idle. */
#include <stdio.h>
#include <string.h>
#include "board.h"
#include "board_config.h"
#include "board_int.h"

#define SYST_CSR 0xE000E010u
#define SYST_RVR 0xE000E014u
#define SYST_CVR 0xE000E018u
#define SYST_CSR_ENABLE  0x1u
#define SYST_CSR_TICKINT 0x2u
#define SYST_CSR_CPUCLK  0x4u
#define TICK_HZ 1000u

#define FPGAIO_LED    (BOARD_FPGAIO_BASE + 0x00u)
#define FPGAIO_BUTTON (BOARD_FPGAIO_BASE + 0x08u)

static volatile uint32_t ticks;
static uint32_t rand_state;

void SysTick_Handler(void)
{
    ticks++;
}

void board_stdio_init(void);

void board_init(void)
{
    board_uart_init();
    REG32(SYST_RVR) = BOARD_SYSCLK_HZ / TICK_HZ - 1u;
    REG32(SYST_CVR) = 0;
    REG32(SYST_CSR) = SYST_CSR_ENABLE | SYST_CSR_TICKINT | SYST_CSR_CPUCLK;
    __asm volatile("cpsie i");
    board_stdio_init();
    rand_state = 0x9E3779B9u;
}

const char *board_name(void) { return BOARD_NAME; }
const char *board_cpu(void) { return BOARD_CPU; }

uint32_t board_millis(void)
{
    return ticks;
}

void board_idle(void)
{
    __asm volatile("wfi");
}

void board_halt(void)
{
    for (;;)
        __asm volatile("wfi");
}

void board_leds_set(uint32_t mask)
{
    REG32(FPGAIO_LED) = mask;
}

uint32_t board_switches_get(void)
{
    return REG32(FPGAIO_BUTTON);
}

const char *board_provisioning(void)
{
    const char *p = (const char *)(uintptr_t)BOARD_PROV_ADDR;
    if (memcmp(p, BOARD_PROV_MAGIC, 4) != 0)
        return NULL;
    /* Require termination inside the block. */
    if (memchr(p + 4, '\0', BOARD_PROV_SIZE - 4) == NULL)
        return NULL;
    return p + 4;
}

int board_prov_get(const char *prov, const char *key, char *out, size_t cap)
{
    size_t klen = strlen(key);
    for (const char *p = prov; p && *p;) {
        const char *eol = strchr(p, '\n');
        size_t n = eol ? (size_t)(eol - p) : strlen(p);
        if (n > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
            size_t vlen = n - klen - 1;
            if (vlen >= cap)
                return -1;
            memcpy(out, p + klen + 1, vlen);
            out[vlen] = '\0';
            return 0;
        }
        p = eol ? eol + 1 : NULL;
    }
    return -1;
}

size_t board_boot_entropy(uint8_t *out)
{
    volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)BOARD_BOOT_ENTROPY_ADDR;
    uint8_t any = 0;
    for (size_t i = 0; i < BOARD_BOOT_ENTROPY_BYTES; i++) {
        out[i] = p[i];
        any |= out[i];
        p[i] = 0;
    }
    return any ? BOARD_BOOT_ENTROPY_BYTES : 0;
}

void board_jitter(uint8_t *out, size_t len)
{
    uint32_t prev = REG32(SYST_CVR);
    for (size_t i = 0; i < len; i++) {
        /* The loop length depends on the last reading, so timing differences compound. */
        for (volatile uint32_t n = (prev & 0x3Fu) + 16u; n; n--)
            ;
        uint32_t now = REG32(SYST_CVR) ^ ticks;
        out[i] = (uint8_t)(now ^ (now >> 8) ^ (prev - now));
        prev = now;
    }
}

/* xorshift32, stirred with the tick count on every call. */
uint32_t board_rand(void)
{
    uint32_t x = rand_state ^ (ticks * 2654435761u) ^ REG32(SYST_CVR);
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rand_state = x ? x : 0x12345678u;
    return rand_state;
}

void board_rand_seed(uint32_t seed)
{
    rand_state ^= seed;
    if (!rand_state)
        rand_state = 1;
}
