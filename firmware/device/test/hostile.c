/* Test-only hostile firmware (firmware/scripts/device-sandbox.sh): what a guest that has
 * gained native code execution would try against the host running QEMU. Launched with the
 * device's own command line (device-qemu.sh), it:
 *   1. writes a marker into its flash (the one host file it may reach);
 *   2. asks semihosting SYS_SYSTEM to run "touch MARKER" on the host;
 *   3. asks semihosting SYS_OPEN + SYS_READ for the host file SENTINEL and prints what it read;
 *   4. asks SYS_OPEN to create the host file MARKER.open.
 * MARKER and SENTINEL come from the provisioning block (keys marker=, sentinel=). Each
 * semihosting call that faults is caught, reported and skipped, so one run tries all. Builds
 * on the board headers only: no lwIP, no interpreter, its own vectors and UART output. */
#include <stdint.h>
#include <string.h>
#include "board_config.h"

extern uint32_t __stack_top[];
extern uint8_t __store_base[];
void Reset_Handler(void);
void hostile_fault(uint32_t *frame);

#define UART_DATA  (*(volatile uint32_t *)(BOARD_UART0_BASE + 0x00))
#define UART_STATE (*(volatile uint32_t *)(BOARD_UART0_BASE + 0x04))
#define UART_CTRL  (*(volatile uint32_t *)(BOARD_UART0_BASE + 0x08))
#define UART_BAUD  (*(volatile uint32_t *)(BOARD_UART0_BASE + 0x10))

static void put(const char *s)
{
    for (; *s; s++) {
        while (UART_STATE & 1u) {}
        UART_DATA = (uint8_t)*s;
    }
}

static void put_hex(uint32_t v)
{
    char b[11] = "0x";
    for (int i = 0; i < 8; i++) b[2 + i] = "0123456789abcdef"[(v >> (28 - 4 * i)) & 15u];
    b[10] = 0;
    put(b);
}

static volatile uint32_t faults;

/* HardFault (a BKPT 0xAB that QEMU does not service is a debug event escalated to one): when
 * it is the semihosting breakpoint, skip it with r0 = -1 as if the call had failed. */
__attribute__((naked)) static void fault_entry(void)
{
    __asm volatile("tst lr, #4\n ite eq\n mrseq r0, msp\n mrsne r0, psp\n b hostile_fault\n");
}

void hostile_fault(uint32_t *frame)
{
    uint16_t insn = *(const uint16_t *)(uintptr_t)frame[6];
    if (insn == 0xBEABu) {
        faults++;
        put("hostile: semihosting call faulted (HFSR ");
        put_hex(*(volatile uint32_t *)0xE000ED2Cu);
        put("), skipped\n");
        *(volatile uint32_t *)0xE000ED2Cu = 0x80000000u;   /* clear DEBUGEVT */
        frame[6] += 2;
        frame[0] = 0xFFFFFFFFu;
        return;
    }
    put("hostile: unexpected fault at ");
    put_hex(frame[6]);
    put("\n");
    for (;;) __asm volatile("wfi");
}

__attribute__((section(".vectors"), used)) static const void *const vectors[16] = {
    __stack_top, (const void *)Reset_Handler, 0, (const void *)fault_entry,
    (const void *)fault_entry, (const void *)fault_entry, (const void *)fault_entry, (const void *)fault_entry,
};

static int semihost(uint32_t op, const void *arg)
{
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return (int)r0;
}

/* The value of "key=" in the provisioning block ("WBP1" then key=value lines, NUL-ended). */
static int prov_value(const char *key, char *out, size_t cap)
{
    const char *p = (const char *)BOARD_PROV_ADDR;
    size_t kl = strlen(key);
    if (memcmp(p, "WBP1", 4) != 0) return -1;
    for (p += 4; *p; ) {
        const char *end = p;
        while (*end && *end != '\n') end++;
        if ((size_t)(end - p) > kl && memcmp(p, key, kl) == 0 && p[kl] == '=') {
            size_t n = (size_t)(end - p) - kl - 1;
            if (n >= cap) return -1;
            memcpy(out, p + kl + 1, n);
            out[n] = 0;
            return 0;
        }
        p = *end ? end + 1 : end;
    }
    return -1;
}

void Reset_Handler(void)
{
    static char marker[128], sentinel[128], cmd[160], opened[160], got[65];
    UART_BAUD = 16;
    UART_CTRL = 1;   /* TX enable */
    *(volatile uint32_t *)0xE000ED08u = (uint32_t)(uintptr_t)vectors;
    put("\nhostile: start on " BOARD_NAME "\n");
    if (prov_value("marker", marker, sizeof marker) || prov_value("sentinel", sentinel, sizeof sentinel)) {
        put("hostile: no marker/sentinel in the provisioning block\n");
        for (;;) __asm volatile("wfi");
    }
    memcpy(__store_base, "HOSTILE-WROTE-ITS-FLASH", 23);
    __asm volatile("dsb");
    put("hostile: wrote its flash\n");

    strcpy(cmd, "touch ");
    strcat(cmd, marker);
    uint32_t sys[2] = { (uint32_t)(uintptr_t)cmd, (uint32_t)strlen(cmd) };
    int r = semihost(0x12 /* SYS_SYSTEM */, sys);
    put("hostile: SYS_SYSTEM returned ");
    put_hex((uint32_t)r);
    put("\n");

    uint32_t op[3] = { (uint32_t)(uintptr_t)sentinel, 0 /* "r" */, (uint32_t)strlen(sentinel) };
    int fd = semihost(0x01 /* SYS_OPEN */, op);
    put("hostile: SYS_OPEN sentinel returned ");
    put_hex((uint32_t)fd);
    put("\n");
    if (fd >= 0) {
        uint32_t rd[3] = { (uint32_t)fd, (uint32_t)(uintptr_t)got, 64 };
        int left = semihost(0x06 /* SYS_READ */, rd);
        if (left >= 0 && left <= 64) got[64 - left] = 0;
        put("hostile: read from the host: ");
        put(got);
        put("\n");
    }

    strcpy(opened, marker);
    strcat(opened, ".open");
    uint32_t ow[3] = { (uint32_t)(uintptr_t)opened, 4 /* "w" */, (uint32_t)strlen(opened) };
    fd = semihost(0x01, ow);
    put("hostile: SYS_OPEN for writing returned ");
    put_hex((uint32_t)fd);
    put("\n");
    put("hostile: done, ");
    put_hex(faults);
    put(" faults\n");
    for (;;) __asm volatile("wfi");
}
