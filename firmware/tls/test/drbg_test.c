/*
 * Host tests of wb_drbg (HMAC_DRBG SHA-256): known answers from the Python
 * reference (test/hmac_drbg_ref.py -> test/drbg_vectors.h), reseed, and the
 * refusals a caller relies on. Prints "ok NAME" / "FAIL NAME" lines.
 */
#include "wb_drbg.h"

#include <stdio.h>
#include <string.h>

#include "drbg_vectors.h"

static int failures;

static void result(int ok, const char *what, const char *name)
{
    printf("%s drbg: %s%s%s\n", ok ? "ok" : "FAIL", what, name ? " " : "", name ? name : "");
    if (!ok)
        failures++;
}

static void known_answer(const drbg_case *c)
{
    static uint8_t got[1024];
    size_t at = 0;
    wb_drbg d;
    int ok = wb_drbg_instantiate(&d, (const uint8_t *)c->entropy, c->entropy_len,
                                 (const uint8_t *)c->nonce, c->nonce_len,
                                 (const uint8_t *)c->pers, c->pers_len) == WB_DRBG_OK;
    for (int i = 0; ok && i < c->n_steps; i++) {
        const drbg_step *s = &c->steps[i];
        if (s->op == DRBG_GEN) {
            ok = at + s->n <= sizeof got &&
                 wb_drbg_generate(&d, got + at, s->n, (const uint8_t *)s->add, s->add_len) == WB_DRBG_OK;
            at += s->n;
        } else {
            ok = wb_drbg_reseed(&d, (const uint8_t *)s->in, s->in_len,
                                (const uint8_t *)s->add, s->add_len) == WB_DRBG_OK;
        }
    }
    ok = ok && at == c->expect_len && memcmp(got, c->expect, at) == 0;
    result(ok, "known answer (Python reference from SP 800-90A)", c->name);
}

static void refusals(void)
{
    static const uint8_t e[64] = { 1, 2, 3 };
    uint8_t out[64];
    wb_drbg d;
    memset(&d, 0, sizeof d);
    result(wb_drbg_generate(&d, out, 32, NULL, 0) == WB_DRBG_ERR_STATE, "generate before instantiate refused", NULL);
    result(wb_drbg_instantiate(&d, e, 31, NULL, 0, NULL, 0) == WB_DRBG_ERR_ARG,
           "entropy under 256 bits refused", NULL);
    result(wb_drbg_instantiate(&d, NULL, 32, NULL, 0, NULL, 0) == WB_DRBG_ERR_ARG, "NULL entropy refused", NULL);
    result(wb_drbg_instantiate(&d, e, 32, NULL, 0, NULL, 0) == WB_DRBG_OK, "instantiate with 256 bits", NULL);
    result(wb_drbg_generate(&d, out, WB_DRBG_MAX_REQUEST + 1, NULL, 0) == WB_DRBG_ERR_ARG,
           "request over 2^19 bits refused", NULL);
    result(wb_drbg_reseed(&d, e, 16, NULL, 0) == WB_DRBG_ERR_ARG, "reseed with under 256 bits refused", NULL);

    /* Reseed interval: at the limit generate refuses until a reseed. */
    d.reseed_counter = WB_DRBG_RESEED_INTERVAL + 1;
    result(wb_drbg_generate(&d, out, 32, NULL, 0) == WB_DRBG_ERR_RESEED, "generate past the reseed interval refused", NULL);
    result(wb_drbg_reseed(&d, e, 32, NULL, 0) == WB_DRBG_OK && wb_drbg_generate(&d, out, 32, NULL, 0) == WB_DRBG_OK,
           "generate works again after reseed", NULL);

    /* Same seed, then different reseed entropy: outputs diverge; same reseed: equal. */
    wb_drbg a, b, c;
    uint8_t oa[32], ob[32], oc[32], e2[32];
    memcpy(e2, e, sizeof e2);
    e2[31] ^= 1;
    wb_drbg_instantiate(&a, e, 32, NULL, 0, NULL, 0);
    b = a;
    c = a;
    wb_drbg_reseed(&a, e, 32, NULL, 0);
    wb_drbg_reseed(&b, e2, 32, NULL, 0);
    wb_drbg_reseed(&c, e, 32, NULL, 0);
    wb_drbg_generate(&a, oa, 32, NULL, 0);
    wb_drbg_generate(&b, ob, 32, NULL, 0);
    wb_drbg_generate(&c, oc, 32, NULL, 0);
    result(memcmp(oa, ob, 32) != 0 && memcmp(oa, oc, 32) == 0, "reseed input decides the output (1 bit differs)", NULL);

    wb_drbg_uninstantiate(&a);
    result(wb_drbg_generate(&a, oa, 32, NULL, 0) == WB_DRBG_ERR_STATE, "uninstantiated state refused", NULL);
}

int main(void)
{
    for (size_t i = 0; i < sizeof drbg_cases / sizeof drbg_cases[0]; i++)
        known_answer(&drbg_cases[i]);
    refusals();
    return failures ? 1 : 0;
}
