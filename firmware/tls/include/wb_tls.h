/*
 * wb_tls: Wasmbed device TLS 1.3 client and device identity (over wolfSSL).
 *
 * Portable C99. No board or network code here: the caller provides
 *   - an entropy source (wb_entropy)   -> seeds wolfSSL's Hash-DRBG
 *   - a wall clock (wb_clock)          -> certificate validity checks
 *   - transport callbacks (wb_tls_io)  -> lwIP raw TCP, sockets, a pipe...
 *   - a heap arena                     -> every wolfSSL allocation comes
 *                                         from it (bounded, measured)
 * Single-threaded: call everything from one task.
 */
#ifndef WB_TLS_H
#define WB_TLS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- results ------------------------------------------------------------ */
#define WB_TLS_OK            0
#define WB_TLS_WANT_IO      -2    /* non-blocking transport: call again      */
#define WB_TLS_ERR          -1    /* generic failure, see wb_tls_last_error() */
#define WB_TLS_ERR_ARG      -3
#define WB_TLS_ERR_NOMEM    -4
#define WB_TLS_ERR_ENTROPY  -5
#define WB_TLS_ERR_BUFFER   -6    /* output buffer too small                  */
#define WB_TLS_ERR_VERIFY   -7    /* server certificate refused               */
#define WB_TLS_ERR_VERSION  -8    /* peer does not speak TLS 1.3              */
#define WB_TLS_ERR_CLOSED   -9    /* transport closed                         */

/* ---- platform hooks ------------------------------------------------------ */
/* Fill out[0..len) with seed material; return 0 on success, non-zero on
 * failure (the RNG then refuses to start: fail closed). On the device this
 * mixes the provisioning seed with timer jitter. */
typedef struct {
    int (*fill)(void *ctx, uint8_t *out, size_t len);
    void *ctx;
} wb_entropy;

/* Seconds since 1970-01-01 UTC, used to check certificate validity. */
typedef struct {
    int64_t (*now)(void *ctx);
    void *ctx;
} wb_clock;

/* Library-wide setup. heap/heap_size: arena that serves every allocation
 * of the TLS layer (8-byte aligned; NULL keeps the C library's malloc).
 * entropy and clock are copied; both may be replaced later. */
int  wb_tls_init(const wb_entropy *entropy, const wb_clock *clock,
                 void *heap, size_t heap_size);
void wb_tls_set_entropy(const wb_entropy *entropy);
void wb_tls_set_clock(const wb_clock *clock);

typedef struct {
    size_t arena_size;   /* bytes in the arena (0: C library malloc)       */
    size_t in_use;       /* bytes now allocated, block headers included    */
    size_t peak;         /* high-water mark of in_use since last reset     */
    size_t allocs;       /* allocation calls since last reset              */
    size_t failures;     /* allocations refused for lack of space          */
} wb_heap_stats;
void wb_tls_heap_stats(wb_heap_stats *out);
void wb_tls_heap_reset_peak(void);

/* ---- device identity ------------------------------------------------------ */
/* Maximum sizes, for callers that allocate statically. */
#define WB_IDENTITY_KEY_DER_MAX  128   /* SEC1 ECPrivateKey, P-256: 121     */
#define WB_IDENTITY_CSR_DER_MAX  512

/* Make a fresh P-256 key on the device; writes SEC1 "EC PRIVATE KEY" DER
 * (private scalar, curve OID, public point). entropy may be NULL to use
 * the one given to wb_tls_init(). */
int wb_identity_generate(const wb_entropy *entropy,
                         uint8_t *key_der, size_t key_cap, size_t *key_len);

/* PKCS#10 certificate request (DER), subject CN = device_name, signed with
 * ECDSA-SHA256 by the key. */
int wb_identity_csr(const uint8_t *key_der, size_t key_len,
                    const char *device_name,
                    uint8_t *csr_der, size_t csr_cap, size_t *csr_len);

/* WB_TLS_OK when the X.509 certificate (DER) carries the public key of the SEC1 key: a
 * certificate the gateway issued for another key must not be stored as ours.
 * WB_TLS_ERR_VERIFY when it carries another key, WB_TLS_ERR_ARG when either does not parse. */
int wb_identity_cert_matches(const uint8_t *key_der, size_t key_len,
                             const uint8_t *cert_der, size_t cert_len);

/* ---- TLS 1.3 client -------------------------------------------------------- */
/* Transport callbacks. Return the number of bytes moved (> 0),
 * WB_TLS_WANT_IO when nothing can be moved now (non-blocking transport),
 * WB_TLS_ERR_CLOSED when the peer closed, or another negative on error. */
typedef struct {
    int (*send)(void *ctx, const uint8_t *buf, size_t len);
    int (*recv)(void *ctx, uint8_t *buf, size_t len);
    void *ctx;
} wb_tls_io;

typedef struct {
    const uint8_t *ca_der;   size_t ca_len;    /* trust anchor (required)  */
    const uint8_t *cert_der; size_t cert_len;  /* client cert, or NULL     */
    const uint8_t *key_der;  size_t key_len;   /* its SEC1 key, or NULL    */
    const char *server_name; /* SNI + host name check, or NULL for neither */
    wb_tls_io io;
} wb_tls_config;

typedef struct {
    void *ctx;          /* WOLFSSL_CTX* */
    void *ssl;          /* WOLFSSL*     */
    wb_tls_io io;
    int last_error;     /* wolfSSL error code of the last failure           */
} wb_tls;

int wb_tls_client_init(wb_tls *t, const wb_tls_config *cfg);
/* WB_TLS_OK when the handshake is complete (server verified; our cert sent
 * if the server asked), WB_TLS_WANT_IO to call again, or an error. */
int wb_tls_handshake(wb_tls *t);
/* Bytes written / read (> 0), WB_TLS_WANT_IO, 0 from read when the peer sent
 * close_notify, or an error. */
int wb_tls_write(wb_tls *t, const uint8_t *buf, size_t len);
int wb_tls_read(wb_tls *t, uint8_t *buf, size_t cap);
/* Send close_notify (best effort) and free everything. */
void wb_tls_close(wb_tls *t);
int wb_tls_last_error(const wb_tls *t);
/* Negotiated cipher suite name (after the handshake), "" if none. */
const char *wb_tls_cipher(const wb_tls *t);

#ifdef __cplusplus
}
#endif
#endif /* WB_TLS_H */
