/*
 * Device identity: P-256 key generation and PKCS#10 CSR, on the device.
 */
#include "wb_internal.h"

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/asn.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/memory.h>

#include <string.h>

/* Large wolfSSL objects live on the TLS heap, not on the caller's stack. */
typedef struct {
    WC_RNG rng;
    ecc_key key;
    Cert req;
} wb_id_work;

static wb_id_work *work_new(void)
{
    wb_id_work *w = (wb_id_work *)XMALLOC(sizeof(*w), NULL,
                                          DYNAMIC_TYPE_TMP_BUFFER);
    if (w != NULL)
        memset(w, 0, sizeof(*w));
    return w;
}

static void wipe(void *p, size_t n)
{
    volatile unsigned char *v = (volatile unsigned char *)p;
    while (n--)
        *v++ = 0;
}

static void work_free(wb_id_work *w)
{
    if (w == NULL)
        return;
    wipe(w, sizeof(*w));
    XFREE(w, NULL, DYNAMIC_TYPE_TMP_BUFFER);
}

int wb_identity_generate(const wb_entropy *entropy,
                         uint8_t *key_der, size_t key_cap, size_t *key_len)
{
    wb_id_work *w;
    int ret, rng_ok = 0, key_ok = 0;

    if (key_der == NULL || key_len == NULL || !wb_lib_ready())
        return WB_TLS_ERR_ARG;
    *key_len = 0;
    if ((w = work_new()) == NULL)
        return WB_TLS_ERR_NOMEM;

    wb_port_push_entropy(entropy);
    ret = wc_InitRng(&w->rng);
    wb_port_pop_entropy();
    if (ret != 0) {
        ret = WB_TLS_ERR_ENTROPY;
        goto out;
    }
    rng_ok = 1;
    if (wc_ecc_init(&w->key) != 0) {
        ret = WB_TLS_ERR;
        goto out;
    }
    key_ok = 1;
    if (wc_ecc_make_key_ex(&w->rng, 32, &w->key, ECC_SECP256R1) != 0 ||
        wc_ecc_check_key(&w->key) != 0) {
        ret = WB_TLS_ERR;
        goto out;
    }
    ret = wc_EccKeyDerSize(&w->key, 1);
    if (ret <= 0 || (size_t)ret > key_cap) {
        ret = ret <= 0 ? WB_TLS_ERR : WB_TLS_ERR_BUFFER;
        goto out;
    }
    ret = wc_EccKeyToDer(&w->key, key_der, (word32)key_cap);
    if (ret <= 0) {
        ret = (ret == BUFFER_E) ? WB_TLS_ERR_BUFFER : WB_TLS_ERR;
        goto out;
    }
    *key_len = (size_t)ret;
    ret = WB_TLS_OK;
out:
    if (key_ok)
        wc_ecc_free(&w->key);
    if (rng_ok)
        wc_FreeRng(&w->rng);
    work_free(w);
    return ret;
}

int wb_identity_csr(const uint8_t *key_der, size_t key_len,
                    const char *device_name,
                    uint8_t *csr_der, size_t csr_cap, size_t *csr_len)
{
    wb_id_work *w;
    word32 idx = 0;
    size_t name_len;
    int ret, rng_ok = 0, key_ok = 0;

    if (key_der == NULL || device_name == NULL || csr_der == NULL ||
        csr_len == NULL || !wb_lib_ready())
        return WB_TLS_ERR_ARG;
    *csr_len = 0;
    name_len = strlen(device_name);
    if (name_len == 0 || name_len >= CTC_NAME_SIZE)
        return WB_TLS_ERR_ARG;
    if ((w = work_new()) == NULL)
        return WB_TLS_ERR_NOMEM;

    /* ECDSA signing needs fresh randomness for k. */
    if (wc_InitRng(&w->rng) != 0) {
        ret = WB_TLS_ERR_ENTROPY;
        goto out;
    }
    rng_ok = 1;
    if (wc_ecc_init(&w->key) != 0) {
        ret = WB_TLS_ERR;
        goto out;
    }
    key_ok = 1;
    if (wc_EccPrivateKeyDecode(key_der, &idx, &w->key, (word32)key_len) != 0 ||
        wc_ecc_get_curve_id(w->key.idx) != ECC_SECP256R1 ||
        wc_ecc_check_key(&w->key) != 0) {
        ret = WB_TLS_ERR_ARG;
        goto out;
    }
    if (wc_InitCert(&w->req) != 0) {
        ret = WB_TLS_ERR;
        goto out;
    }
    w->req.version = 0;                  /* PKCS#10 v1 */
    w->req.sigType = CTC_SHA256wECDSA;
    memcpy(w->req.subject.commonName, device_name, name_len + 1);
    ret = wc_MakeCertReq_ex(&w->req, csr_der, (word32)csr_cap, ECC_TYPE,
                            &w->key);
    if (ret <= 0) {
        ret = (ret == BUFFER_E) ? WB_TLS_ERR_BUFFER : WB_TLS_ERR;
        goto out;
    }
    ret = wc_SignCert_ex(w->req.bodySz, w->req.sigType, csr_der,
                         (word32)csr_cap, ECC_TYPE, &w->key, &w->rng);
    if (ret <= 0) {
        ret = (ret == BUFFER_E) ? WB_TLS_ERR_BUFFER : WB_TLS_ERR;
        goto out;
    }
    *csr_len = (size_t)ret;
    ret = WB_TLS_OK;
out:
    if (key_ok)
        wc_ecc_free(&w->key);
    if (rng_ok)
        wc_FreeRng(&w->rng);
    work_free(w);
    return ret;
}

/* Compares SubjectPublicKeyInfo DER: the certificate's (as wolfSSL's parser stores it) with
 * the one encoded from our key; both are DER of an uncompressed P-256 point, so equal keys
 * give equal bytes. */
int wb_identity_cert_matches(const uint8_t *key_der, size_t key_len,
                             const uint8_t *cert_der, size_t cert_len)
{
    typedef struct { ecc_key key; DecodedCert cert; uint8_t spki[128]; } match_work;
    match_work *w;
    word32 idx = 0;
    int ret, spki_len, key_ok = 0, cert_ok = 0;

    if (key_der == NULL || cert_der == NULL || cert_len == 0 || cert_len > 0xFFFFu || !wb_lib_ready())
        return WB_TLS_ERR_ARG;
    w = (match_work *)XMALLOC(sizeof(*w), NULL, DYNAMIC_TYPE_TMP_BUFFER);
    if (w == NULL)
        return WB_TLS_ERR_NOMEM;
    memset(w, 0, sizeof(*w));
    ret = WB_TLS_ERR_ARG;
    if (wc_ecc_init(&w->key) != 0)
        goto out;
    key_ok = 1;
    if (wc_EccPrivateKeyDecode(key_der, &idx, &w->key, (word32)key_len) != 0)
        goto out;
    spki_len = wc_EccPublicKeyToDer(&w->key, w->spki, sizeof(w->spki), 1);
    if (spki_len <= 0)
        goto out;
    wc_InitDecodedCert(&w->cert, cert_der, (word32)cert_len, NULL);
    cert_ok = 1;
    if (wc_ParseCert(&w->cert, CERT_TYPE, NO_VERIFY, NULL) != 0 || w->cert.publicKey == NULL)
        goto out;
    ret = (w->cert.keyOID == ECDSAk && w->cert.pubKeySize == (word32)spki_len &&
           memcmp(w->cert.publicKey, w->spki, (size_t)spki_len) == 0) ? WB_TLS_OK : WB_TLS_ERR_VERIFY;
out:
    if (cert_ok)
        wc_FreeDecodedCert(&w->cert);
    if (key_ok)
        wc_ecc_free(&w->key);
    wipe(w, sizeof(*w));
    XFREE(w, NULL, DYNAMIC_TYPE_TMP_BUFFER);
    return ret;
}
