/* Device entropy: one HMAC_DRBG (firmware/tls wb_drbg.h) for the device key, CSR signatures
 * and every TLS session, seeded at boot from every source the board offers and advanced in
 * flash across boots. Design and limits: firmware/device/README.md, "Entropy". */
#ifndef WB_DEVICE_ENTROPY_H
#define WB_DEVICE_ENTROPY_H
#include <stddef.h>
#include <stdint.h>
#include "device.h"   /* store_seed_load / store_seed_save: the persisted seed record */

#define DEV_PROV_SEED_BYTES 32u   /* provisioning key seed=: exactly 64 hex digits */

/* Which sources went into this boot's seed. */
typedef struct {
    int boot_injected;   /* the launcher's per-boot host randomness was there */
    int persisted;       /* a seed saved by the previous boot was there */
} dev_entropy_report;

/* Seeds the DRBG from the provisioning seed, the per-boot injection, the persisted seed and
 * timer jitter (personalised with board and device name), then stores the next boot's seed
 * before anything else draws from it. 0 ok; -1 (fail closed) when the DRBG cannot be
 * instantiated or the next seed cannot be stored. */
int dev_entropy_start(const uint8_t prov_seed[DEV_PROV_SEED_BYTES], const char *dev_name,
                      dev_entropy_report *report);

/* wb_entropy.fill for the TLS layer: DRBG output, fresh timer jitter as additional input. */
int dev_entropy_fill(void *ctx, uint8_t *out, size_t len);

/* Parses exactly 2 * DEV_PROV_SEED_BYTES hex digits into out; -1 on any other character or length. */
int dev_parse_seed(const char *hex, uint8_t out[DEV_PROV_SEED_BYTES]);
#endif
