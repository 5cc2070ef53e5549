/*
 * TLS 1.3 client over caller-provided transport callbacks.
 */
#include "wb_internal.h"

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/ssl.h>
#include <wolfssl/error-ssl.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

#include <string.h>

/* ---- transport glue ---------------------------------------------------------- */
static int io_map(int r)
{
    if (r > 0)
        return r;
    if (r == WB_TLS_WANT_IO)
        return WOLFSSL_CBIO_ERR_WANT_READ;  /* same value for write, see below */
    if (r == WB_TLS_ERR_CLOSED || r == 0)
        return WOLFSSL_CBIO_ERR_CONN_CLOSE;
    return WOLFSSL_CBIO_ERR_GENERAL;
}

static int io_recv(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
    wb_tls *t = (wb_tls *)ctx;
    (void)ssl;
    if (t == NULL || t->io.recv == NULL || sz <= 0)
        return WOLFSSL_CBIO_ERR_GENERAL;
    return io_map(t->io.recv(t->io.ctx, (uint8_t *)buf, (size_t)sz));
}

static int io_send(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
    wb_tls *t = (wb_tls *)ctx;
    int r;
    (void)ssl;
    if (t == NULL || t->io.send == NULL || sz <= 0)
        return WOLFSSL_CBIO_ERR_GENERAL;
    r = t->io.send(t->io.ctx, (const uint8_t *)buf, (size_t)sz);
    if (r == WB_TLS_WANT_IO)
        return WOLFSSL_CBIO_ERR_WANT_WRITE;
    return io_map(r);
}

/* ---- error mapping ------------------------------------------------------------ */
static int map_err(wb_tls *t, int ret)
{
    int e = wolfSSL_get_error((WOLFSSL *)t->ssl, ret);
    if (e == WOLFSSL_ERROR_WANT_READ || e == WOLFSSL_ERROR_WANT_WRITE)
        return WB_TLS_WANT_IO;
    t->last_error = e;
    switch (e) {
    case ASN_NO_SIGNER_E:
    case ASN_SIG_CONFIRM_E:
    case ASN_AFTER_DATE_E:
    case ASN_BEFORE_DATE_E:
    case DOMAIN_NAME_MISMATCH:
    case VERIFY_CERT_ERROR:
    case ASN_PARSE_E:
    case ASN_SIG_KEY_E:
        return WB_TLS_ERR_VERIFY;
    case VERSION_ERROR:
    case UNSUPPORTED_PROTO_VERSION:
        return WB_TLS_ERR_VERSION;
    case SOCKET_PEER_CLOSED_E:
    case SOCKET_ERROR_E:
        return WB_TLS_ERR_CLOSED;
    case MEMORY_E:
        return WB_TLS_ERR_NOMEM;
    case FATAL_ERROR: {                  /* fatal alert from the peer */
        WOLFSSL_ALERT_HISTORY h;
        if (wolfSSL_get_alert_history((WOLFSSL *)t->ssl, &h) == WOLFSSL_SUCCESS &&
            h.last_rx.code == protocol_version)
            return WB_TLS_ERR_VERSION;
        return WB_TLS_ERR;
    }
    default:
        return WB_TLS_ERR;
    }
}

/* ---- API ------------------------------------------------------------------------ */
int wb_tls_client_init(wb_tls *t, const wb_tls_config *cfg)
{
    WOLFSSL_CTX *ctx = NULL;
    WOLFSSL *ssl = NULL;
    int ret;

    if (t == NULL)
        return WB_TLS_ERR_ARG;
    memset(t, 0, sizeof(*t));
    if (cfg == NULL || cfg->ca_der == NULL || cfg->ca_len == 0 ||
        cfg->io.send == NULL || cfg->io.recv == NULL || !wb_lib_ready() ||
        (cfg->cert_der == NULL) != (cfg->key_der == NULL))
        return WB_TLS_ERR_ARG;

    ctx = wolfSSL_CTX_new(wolfTLSv1_3_client_method());
    if (ctx == NULL)
        return WB_TLS_ERR_NOMEM;
    ret = WB_TLS_ERR;
    wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER, NULL);
    /* The trust anchor is built into the device: its own validity dates are
     * not checked at load time (the clock may not be set yet); the server's
     * chain is date-checked during the handshake. */
    if (wolfSSL_CTX_load_verify_buffer_ex(ctx, cfg->ca_der, (long)cfg->ca_len,
            WOLFSSL_FILETYPE_ASN1, 0, WOLFSSL_LOAD_FLAG_DATE_ERR_OKAY)
            != WOLFSSL_SUCCESS) {
        ret = WB_TLS_ERR_ARG;
        goto fail;
    }
    if (cfg->cert_der != NULL) {
        if (wolfSSL_CTX_use_certificate_buffer(ctx, cfg->cert_der,
                (long)cfg->cert_len, WOLFSSL_FILETYPE_ASN1) != WOLFSSL_SUCCESS ||
            wolfSSL_CTX_use_PrivateKey_buffer(ctx, cfg->key_der,
                (long)cfg->key_len, WOLFSSL_FILETYPE_ASN1) != WOLFSSL_SUCCESS ||
            wolfSSL_CTX_check_private_key(ctx) != WOLFSSL_SUCCESS) {
            ret = WB_TLS_ERR_ARG;
            goto fail;
        }
    }
    wolfSSL_SetIORecv(ctx, io_recv);
    wolfSSL_SetIOSend(ctx, io_send);

    ssl = wolfSSL_new(ctx);     /* seeds the RNG: entropy hook runs here */
    if (ssl == NULL) {
        ret = WB_TLS_ERR_ENTROPY;
        goto fail;
    }
    t->io = cfg->io;
    wolfSSL_SetIOReadCtx(ssl, t);
    wolfSSL_SetIOWriteCtx(ssl, t);
    /* One key share, P-256: no HelloRetryRequest round trip. */
    if (wolfSSL_UseKeyShare(ssl, WOLFSSL_ECC_SECP256R1) != WOLFSSL_SUCCESS)
        goto fail;
    if (cfg->server_name != NULL) {
        size_t n = strlen(cfg->server_name);
        if (wolfSSL_UseSNI(ssl, WOLFSSL_SNI_HOST_NAME, cfg->server_name,
                           (unsigned short)n) != WOLFSSL_SUCCESS ||
            wolfSSL_check_domain_name(ssl, cfg->server_name) != WOLFSSL_SUCCESS)
            goto fail;
    }
    t->ctx = ctx;
    t->ssl = ssl;
    return WB_TLS_OK;
fail:
    if (ssl != NULL)
        wolfSSL_free(ssl);
    wolfSSL_CTX_free(ctx);
    memset(t, 0, sizeof(*t));
    return ret;
}

int wb_tls_handshake(wb_tls *t)
{
    int ret;
    if (t == NULL || t->ssl == NULL)
        return WB_TLS_ERR_ARG;
    ret = wolfSSL_connect((WOLFSSL *)t->ssl);
    if (ret == WOLFSSL_SUCCESS)
        return WB_TLS_OK;
    return map_err(t, ret);
}

int wb_tls_write(wb_tls *t, const uint8_t *buf, size_t len)
{
    int ret;
    if (t == NULL || t->ssl == NULL || buf == NULL || len == 0 ||
        len > 0x7fffffffu)
        return WB_TLS_ERR_ARG;
    ret = wolfSSL_write((WOLFSSL *)t->ssl, buf, (int)len);
    if (ret > 0)
        return ret;
    return map_err(t, ret);
}

int wb_tls_read(wb_tls *t, uint8_t *buf, size_t cap)
{
    int ret, e;
    if (t == NULL || t->ssl == NULL || buf == NULL || cap == 0)
        return WB_TLS_ERR_ARG;
    if (cap > 0x7fffffffu)
        cap = 0x7fffffffu;
    ret = wolfSSL_read((WOLFSSL *)t->ssl, buf, (int)cap);
    if (ret > 0)
        return ret;
    e = wolfSSL_get_error((WOLFSSL *)t->ssl, ret);
    if (e == WOLFSSL_ERROR_ZERO_RETURN)
        return 0;                                /* close_notify */
    return map_err(t, ret);
}

void wb_tls_close(wb_tls *t)
{
    if (t == NULL)
        return;
    if (t->ssl != NULL) {
        (void)wolfSSL_shutdown((WOLFSSL *)t->ssl);
        wolfSSL_free((WOLFSSL *)t->ssl);
    }
    if (t->ctx != NULL)
        wolfSSL_CTX_free((WOLFSSL_CTX *)t->ctx);
    memset(t, 0, sizeof(*t));
}

int wb_tls_last_error(const wb_tls *t)
{
    return t != NULL ? t->last_error : 0;
}

const char *wb_tls_cipher(const wb_tls *t)
{
    const char *n;
    if (t == NULL || t->ssl == NULL)
        return "";
    n = wolfSSL_get_cipher((WOLFSSL *)t->ssl);
    return n != NULL ? n : "";
}
