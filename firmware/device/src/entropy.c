/* Device entropy (see entropy.h and the README's "Entropy" section).
 *
 * The MPS2 boards under QEMU have no TRNG. What the device can draw on:
 *   - the provisioning seed (secret, but stored beside the token: never enough alone);
 *   - 32 bytes of host randomness the launcher injects for this boot only (never on disk);
 *   - the seed the previous boot drew from this DRBG and stored in flash;
 *   - SysTick jitter (host scheduling without -icount; deterministic with it).
 * All go into one HMAC_DRBG instantiation; its first output becomes the next boot's seed. */
#include <stdio.h>
#include <string.h>
#include "board.h"
#include "wb_drbg.h"
#include "device.h"
#include "entropy.h"

#define JITTER_BYTES 64u
#define FILL_JITTER_BYTES 16u

static wb_drbg drbg;

static void wipe(void *p, size_t n)
{
    volatile uint8_t *b = (volatile uint8_t *)p;
    while (n--)
        *b++ = 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int dev_parse_seed(const char *hex, uint8_t out[DEV_PROV_SEED_BYTES])
{
    if (strlen(hex) != 2u * DEV_PROV_SEED_BYTES)
        return -1;
    for (size_t i = 0; i < DEV_PROV_SEED_BYTES; i++) {
        int hi = hexval((unsigned char)hex[2 * i]), lo = hexval((unsigned char)hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            wipe(out, DEV_PROV_SEED_BYTES);
            return -1;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

int dev_entropy_start(const uint8_t prov_seed[DEV_PROV_SEED_BYTES], const char *dev_name,
                      dev_entropy_report *report)
{
    /* entropy_input = provisioning seed || boot injection || persisted seed || jitter */
    static uint8_t in[DEV_PROV_SEED_BYTES + BOARD_BOOT_ENTROPY_BYTES + STORE_SEED_BYTES + JITTER_BYTES];
    size_t n = 0;
    memcpy(in, prov_seed, DEV_PROV_SEED_BYTES);
    n += DEV_PROV_SEED_BYTES;
    report->boot_injected = board_boot_entropy(in + n) == BOARD_BOOT_ENTROPY_BYTES;
    n += BOARD_BOOT_ENTROPY_BYTES;
    int st = store_seed_load(in + n);
    if (st < 0) {
        printf("entropy: persisted seed unreadable\n");
        wipe(in, sizeof in);
        return -1;
    }
    report->persisted = st == 0;
    n += STORE_SEED_BYTES;
    board_jitter(in + n, JITTER_BYTES);
    n += JITTER_BYTES;

    uint32_t nonce[2] = { board_millis(), *(volatile uint32_t *)0xE000E018u /* SysTick VAL */ };
    /* Personalisation: two devices given the same inputs (a cloned flash file and provisioning
     * seed, the same injection) still draw different streams. */
    char pers[160];
    int pl = snprintf(pers, sizeof pers, "wasmbed-device-drbg/1 %s %s", board_name(), dev_name);
    if (pl < 0 || (size_t)pl >= sizeof pers)
        pl = (int)sizeof pers - 1;
    int r = wb_drbg_instantiate(&drbg, in, n, (const uint8_t *)nonce, sizeof nonce, (const uint8_t *)pers, (size_t)pl);
    wipe(in, sizeof in);
    if (r != WB_DRBG_OK) {
        printf("entropy: DRBG instantiate failed %d\n", r);
        return -1;
    }
    /* The next boot's seed is drawn and stored before anything else uses the DRBG: a boot that
     * dies after using it still leaves the next one a different seed. */
    uint8_t next[STORE_SEED_BYTES];
    r = wb_drbg_generate(&drbg, next, sizeof next, NULL, 0);
    if (r == WB_DRBG_OK && store_seed_save(next) != 0)
        r = -1;
    wipe(next, sizeof next);
    if (r != WB_DRBG_OK) {
        printf("entropy: could not store the next boot's seed\n");
        wb_drbg_uninstantiate(&drbg);
        return -1;
    }
    printf("entropy: HMAC_DRBG seeded: provisioning seed, boot entropy %s, persisted seed %s, timer jitter; next boot's seed stored\n",
           report->boot_injected ? "yes" : "NONE", report->persisted ? "yes" : "none (first boot)");
    return 0;
}

int dev_entropy_fill(void *ctx, uint8_t *out, size_t len)
{
    (void)ctx;
    uint8_t jitter[FILL_JITTER_BYTES];
    board_jitter(jitter, sizeof jitter);
    while (len) {
        size_t n = len < WB_DRBG_MAX_REQUEST ? len : WB_DRBG_MAX_REQUEST;
        if (wb_drbg_generate(&drbg, out, n, jitter, sizeof jitter) != WB_DRBG_OK)
            return -1;   /* not instantiated, or failed: the TLS layer fails closed */
        out += n;
        len -= n;
    }
    return 0;
}
