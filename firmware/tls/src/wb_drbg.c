/*
 * HMAC_DRBG (SP 800-90A Rev. 1, 10.1.2) with HMAC-SHA-256 from wolfCrypt.
 * The seed material of instantiate/reseed is a concatenation of up to three
 * strings; it is fed to HMAC piece by piece instead of being copied into one
 * buffer, which gives the same result without a stack buffer of the sum.
 */
#include "wb_drbg.h"

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/hmac.h>

#include <string.h>

typedef struct {
    const uint8_t *p;
    size_t n;
} piece;

static void wipe(void *p, size_t n)
{
    volatile uint8_t *b = (volatile uint8_t *)p;
    while (n--)
        *b++ = 0;
}

/* out = HMAC(key, V || [sep] || pieces...); sep < 0 means none. */
static int hmac(const uint8_t key[WB_DRBG_OUTLEN], const uint8_t V[WB_DRBG_OUTLEN],
                int sep, const piece *pieces, int n_pieces, uint8_t out[WB_DRBG_OUTLEN])
{
    Hmac h;
    int ok = wc_HmacInit(&h, NULL, INVALID_DEVID) == 0;
    ok = ok && wc_HmacSetKey(&h, WC_SHA256, key, WB_DRBG_OUTLEN) == 0;
    ok = ok && wc_HmacUpdate(&h, V, WB_DRBG_OUTLEN) == 0;
    if (ok && sep >= 0) {
        uint8_t s = (uint8_t)sep;
        ok = wc_HmacUpdate(&h, &s, 1) == 0;
    }
    for (int i = 0; ok && i < n_pieces; i++)
        if (pieces[i].n)
            ok = wc_HmacUpdate(&h, pieces[i].p, (word32)pieces[i].n) == 0;
    ok = ok && wc_HmacFinal(&h, out) == 0;
    wc_HmacFree(&h);
    wipe(&h, sizeof h);
    return ok ? WB_DRBG_OK : WB_DRBG_ERR_HMAC;
}

/* HMAC_DRBG_Update (10.1.2.2). */
static int update(wb_drbg *d, const piece *pieces, int n_pieces)
{
    size_t provided = 0;
    for (int i = 0; i < n_pieces; i++)
        provided += pieces[i].n;
    int r = hmac(d->K, d->V, 0x00, pieces, n_pieces, d->K);
    if (r == WB_DRBG_OK)
        r = hmac(d->K, d->V, -1, NULL, 0, d->V);
    if (r != WB_DRBG_OK || provided == 0)
        return r;
    r = hmac(d->K, d->V, 0x01, pieces, n_pieces, d->K);
    if (r == WB_DRBG_OK)
        r = hmac(d->K, d->V, -1, NULL, 0, d->V);
    return r;
}

static int input_ok(const uint8_t *p, size_t n)
{
    return (p != NULL || n == 0) && n <= WB_DRBG_MAX_INPUT;
}

int wb_drbg_instantiate(wb_drbg *d, const uint8_t *entropy, size_t entropy_len,
                        const uint8_t *nonce, size_t nonce_len,
                        const uint8_t *pers, size_t pers_len)
{
    if (d == NULL || entropy == NULL || entropy_len < WB_DRBG_MIN_ENTROPY ||
        !input_ok(entropy, entropy_len) || !input_ok(nonce, nonce_len) || !input_ok(pers, pers_len))
        return WB_DRBG_ERR_ARG;
    memset(d->K, 0x00, sizeof d->K);
    memset(d->V, 0x01, sizeof d->V);
    piece seed[3] = { { entropy, entropy_len }, { nonce, nonce_len }, { pers, pers_len } };
    int r = update(d, seed, 3);
    if (r != WB_DRBG_OK) {
        wb_drbg_uninstantiate(d);
        return r;
    }
    d->reseed_counter = 1;
    d->instantiated = 1;
    return WB_DRBG_OK;
}

int wb_drbg_reseed(wb_drbg *d, const uint8_t *entropy, size_t entropy_len,
                   const uint8_t *add, size_t add_len)
{
    if (d == NULL || entropy == NULL || entropy_len < WB_DRBG_MIN_ENTROPY ||
        !input_ok(entropy, entropy_len) || !input_ok(add, add_len))
        return WB_DRBG_ERR_ARG;
    if (!d->instantiated)
        return WB_DRBG_ERR_STATE;
    piece seed[2] = { { entropy, entropy_len }, { add, add_len } };
    int r = update(d, seed, 2);
    if (r != WB_DRBG_OK) {
        wb_drbg_uninstantiate(d);
        return r;
    }
    d->reseed_counter = 1;
    return WB_DRBG_OK;
}

int wb_drbg_generate(wb_drbg *d, uint8_t *out, size_t out_len,
                     const uint8_t *add, size_t add_len)
{
    if (d == NULL || (out == NULL && out_len) || out_len > WB_DRBG_MAX_REQUEST || !input_ok(add, add_len))
        return WB_DRBG_ERR_ARG;
    if (!d->instantiated)
        return WB_DRBG_ERR_STATE;
    if (d->reseed_counter > WB_DRBG_RESEED_INTERVAL)
        return WB_DRBG_ERR_RESEED;
    piece extra[1] = { { add, add_len } };
    int r = WB_DRBG_OK;
    if (add_len)
        r = update(d, extra, 1);
    while (r == WB_DRBG_OK && out_len) {
        r = hmac(d->K, d->V, -1, NULL, 0, d->V);
        size_t n = out_len < WB_DRBG_OUTLEN ? out_len : WB_DRBG_OUTLEN;
        memcpy(out, d->V, n);
        out += n;
        out_len -= n;
    }
    if (r == WB_DRBG_OK)
        r = update(d, extra, 1);
    if (r != WB_DRBG_OK) {
        /* A half-updated state must not produce output again. */
        wb_drbg_uninstantiate(d);
        return r;
    }
    d->reseed_counter++;
    return WB_DRBG_OK;
}

void wb_drbg_uninstantiate(wb_drbg *d)
{
    if (d != NULL)
        wipe(d, sizeof *d);
}
