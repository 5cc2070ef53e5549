/* Persistent "flash" for the device: a RAM mirror (section .store, in the
 * code SSRAM that stands in for flash) backed by a file on the host through
 * ARM semihosting (QEMU: -semihosting-config enable=on,target=native). */
#include <string.h>
#include <stdio.h>
#include "device.h"

uint8_t store_mem[STORE_BYTES] __attribute__((section(".store"), aligned(8)));
static int store_fd = -1;

enum { SYS_OPEN = 0x01, SYS_CLOSE = 0x02, SYS_WRITE = 0x05, SYS_READ = 0x06,
       SYS_SEEK = 0x0A, SYS_FLEN = 0x0C };

static int semi(int op, void *arg)
{
    register int r0 __asm__("r0") = op;
    register void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

int store_open(const char *path)
{
    uint32_t a[3] = { (uint32_t)(uintptr_t)path, 3 /* "r+b" */, (uint32_t)strlen(path) };
    memset(store_mem, 0, STORE_BYTES);
    store_fd = semi(SYS_OPEN, a);
    if (store_fd >= 0) {
        uint32_t f[1] = { (uint32_t)store_fd };
        int len = semi(SYS_FLEN, f);
        if (len > 0) {
            uint32_t n = (uint32_t)len < STORE_BYTES ? (uint32_t)len : STORE_BYTES;
            uint32_t r[3] = { (uint32_t)store_fd, (uint32_t)(uintptr_t)store_mem, n };
            if (semi(SYS_READ, r) != 0)
                return -1;
        }
        if (store_id()->magic == STORE_MAGIC)
            return 0;
        printf("store: %s is empty or foreign, formatting\n", path);
    } else {
        a[1] = 7; /* "w+b" */
        store_fd = semi(SYS_OPEN, a);
        if (store_fd < 0)
            return -1;
        printf("store: created %s\n", path);
    }
    memset(store_mem, 0, STORE_BYTES);
    store_id()->magic = STORE_MAGIC;
    store_id()->version = 1;
    return store_flush(0, STORE_BYTES);
}

int store_flush(uint32_t off, uint32_t len)
{
    if (store_fd < 0 || off + len > STORE_BYTES)
        return -1;
    uint32_t s[2] = { (uint32_t)store_fd, off };
    if (semi(SYS_SEEK, s) != 0)
        return -1;
    uint32_t w[3] = { (uint32_t)store_fd, (uint32_t)(uintptr_t)(store_mem + off), len };
    return semi(SYS_WRITE, w) == 0 ? 0 : -1;
}
