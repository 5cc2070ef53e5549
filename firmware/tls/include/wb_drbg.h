/*
 * wb_drbg: HMAC_DRBG with SHA-256 (NIST SP 800-90A Rev. 1, section 10.1.2),
 * over wolfCrypt's HMAC. Portable C99, no allocation, no board code: the
 * caller gathers entropy and decides where the state is persisted.
 *
 * Security strength 256 bits; no prediction resistance (the boards have no
 * live entropy source to draw from on every request, see the device README).
 */
#ifndef WB_DRBG_H
#define WB_DRBG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WB_DRBG_OUTLEN          32u           /* SHA-256 output, = |K| = |V| */
#define WB_DRBG_MIN_ENTROPY     32u           /* 256-bit strength            */
#define WB_DRBG_MAX_INPUT       4096u         /* per input string, our bound */
#define WB_DRBG_MAX_REQUEST     65536u        /* 2^19 bits per generate      */
#define WB_DRBG_RESEED_INTERVAL 0x1000000u    /* generates before reseed is required */

#define WB_DRBG_OK           0
#define WB_DRBG_ERR_ARG     -1   /* bad argument or a length out of range    */
#define WB_DRBG_ERR_STATE   -2   /* not instantiated                         */
#define WB_DRBG_ERR_RESEED  -3   /* reseed interval reached: reseed first    */
#define WB_DRBG_ERR_HMAC    -4   /* wolfCrypt HMAC failed                    */

typedef struct {
    uint8_t  K[WB_DRBG_OUTLEN];
    uint8_t  V[WB_DRBG_OUTLEN];
    uint32_t reseed_counter;
    int      instantiated;
} wb_drbg;

/* Instantiate: entropy_input (>= WB_DRBG_MIN_ENTROPY bytes), nonce and
 * personalization string (either may be NULL/0). */
int wb_drbg_instantiate(wb_drbg *d, const uint8_t *entropy, size_t entropy_len,
                        const uint8_t *nonce, size_t nonce_len,
                        const uint8_t *pers, size_t pers_len);
/* Reseed with fresh entropy_input (>= WB_DRBG_MIN_ENTROPY bytes) and
 * optional additional input. */
int wb_drbg_reseed(wb_drbg *d, const uint8_t *entropy, size_t entropy_len,
                   const uint8_t *add, size_t add_len);
/* Generate out_len (<= WB_DRBG_MAX_REQUEST) bytes, with optional additional input. */
int wb_drbg_generate(wb_drbg *d, uint8_t *out, size_t out_len,
                     const uint8_t *add, size_t add_len);
/* Zeroise the state. */
void wb_drbg_uninstantiate(wb_drbg *d);

#ifdef __cplusplus
}
#endif
#endif
