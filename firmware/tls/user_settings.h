/*
 * Wasmbed device TLS: wolfSSL configuration (WOLFSSL_USER_SETTINGS).
 *
 * Minimal TLS 1.3 *client* for a Cortex-M3 device: ECDHE/ECDSA on P-256,
 * AES-128-GCM (TLS_AES_128_GCM_SHA256) and ChaCha20-Poly1305
 * (TLS_CHACHA20_POLY1305_SHA256), SHA-256 only, X.509 chain verification,
 * client-certificate authentication, on-device key and CSR generation.
 * No filesystem, no sockets, no threads, no RSA/DH, no TLS <= 1.2, no server.
 *
 * Platform hooks are implemented in src/wb_port.c:
 *   - RNG seed  : CUSTOM_RAND_GENERATE_SEED -> wb_port_generate_seed()
 *   - wall time : TIME_OVERRIDES -> XTIME()/XGMTIME() -> caller's time hook
 *   - I/O       : WOLFSSL_USER_IO, callbacks set per context
 *   - heap      : wolfSSL_SetAllocators() -> bounded arena (src/wb_heap.c)
 */
#ifndef WB_TLS_USER_SETTINGS_H
#define WB_TLS_USER_SETTINGS_H

#ifdef __cplusplus
extern "C" {
#endif

/* ---- platform ---------------------------------------------------------- */
#define SINGLE_THREADED
#define NO_FILESYSTEM
#define NO_WRITEV
#define NO_MAIN_DRIVER
#define NO_DEV_RANDOM
#define WOLFSSL_USER_IO          /* no BSD sockets: I/O callbacks only      */
#define WOLFSSL_NO_SOCK
#define NO_STDIO_FILESYSTEM
#define WOLFSSL_IGNORE_FILE_WARN
#define SIZEOF_LONG_LONG 8
#if defined(__arm__) && !defined(__aarch64__)
    #define SIZEOF_LONG 4
    #define WOLFSSL_GENERAL_ALIGNMENT 4
#endif

/* Small stack: put large temporaries on the (bounded, measured) heap rather
 * than on the device's small task stack. */
#define WOLFSSL_SMALL_STACK

/* ---- protocol ---------------------------------------------------------- */
#define WOLFSSL_TLS13
#define WOLFSSL_NO_TLS12
#define NO_OLD_TLS
#define NO_WOLFSSL_SERVER
#define HAVE_TLS_EXTENSIONS
#define HAVE_SUPPORTED_CURVES
#define HAVE_SNI                 /* servers may route on the host name      */
#define HAVE_HKDF
#define HAVE_AEAD
#define NO_SESSION_CACHE
#define NO_PSK
#define WOLFSSL_NO_DEF_TICKET_ENC_CB
#define WOLFSSL_AEAD_ONLY
#define NO_HANDSHAKE_DONE_CB
/* Record buffers: keep the defaults (a full 16 KiB TLS record must be
 * accepted, since the peer chooses record sizes). Static buffers are off,
 * buffers grow on the heap only as large as needed. */

/* ---- public key: ECC P-256 only ---------------------------------------- */
#define NO_RSA
#define NO_DH
#define NO_DSA
#define HAVE_ECC
#define ECC_USER_CURVES          /* only the default P-256 table           */
#define ECC_SHAMIR
#define ECC_TIMING_RESISTANT
#define HAVE_ECC_SIGN
#define HAVE_ECC_VERIFY
#define HAVE_ECC_DHE
#define HAVE_ECC_KEY_EXPORT
#define HAVE_ECC_KEY_IMPORT
#define WOLFSSL_KEY_GEN          /* wc_ecc_make_key + wc_EccKeyToDer        */

/* Single-precision math restricted to P-256, small code, C only (portable:
 * the same code runs on the host and on a Cortex-M3). */
#define WOLFSSL_SP_MATH
#define WOLFSSL_HAVE_SP_ECC
#define WOLFSSL_SP_SMALL
#define WOLFSSL_SP_NO_MALLOC
#define SP_INT_BITS 256
#define WOLFSSL_SP_NO_DYN_STACK
#if defined(__arm__) && !defined(__aarch64__)
    #define SP_WORD_SIZE 32
#endif

/* ---- symmetric and hashes --------------------------------------------- */
#define HAVE_AESGCM
#define GCM_SMALL                /* table-less GHASH: small RAM, small code */
#define WOLFSSL_AES_128
#define NO_AES_192
#define NO_AES_256
#define WOLFSSL_AES_SMALL_TABLES
#define NO_AES_CBC
#define HAVE_CHACHA
#define HAVE_POLY1305
#define HAVE_ONE_TIME_AUTH
#define NO_SHA                   /* SHA-1 not needed: SHA-256 everywhere   */
#define NO_MD5
#define NO_MD4
#define NO_DES3
#define NO_RC4
#define NO_HC128
#define NO_RABBIT
#define NO_PWDBASED
#define NO_PKCS8
#define NO_PKCS12
#define WOLFSSL_NO_SHAKE256
#define USE_SLOW_SHA256          /* rolled loops: ~3 KiB less code          */

/* ---- RNG: Hash-DRBG seeded from the device's entropy hook ------------- */
#define HAVE_HASHDRBG
#include <stdint.h>
extern int wb_port_generate_seed(unsigned char *output, unsigned int sz);
#define CUSTOM_RAND_GENERATE_SEED wb_port_generate_seed

/* ---- time: certificate validity uses the caller's time hook ----------- */
#define TIME_OVERRIDES
#define HAVE_TIME_T_TYPE
#define HAVE_TM_TYPE
#include <time.h>
#include <stdio.h>   /* XSNPRINTF */
#define XTIME wb_port_time
#define XGMTIME wb_port_gmtime
extern time_t wb_port_time(time_t *t);
extern struct tm *wb_port_gmtime(const time_t *c, struct tm *t);

/* ---- certificates ------------------------------------------------------ */
#define WOLFSSL_CERT_GEN
#define WOLFSSL_CERT_REQ
#define WOLFSSL_CERT_EXT
/* Not WOLFSSL_ASN_TEMPLATE: in 5.5.4 its certificate parser ignores
 * VERIFY_SKIP_DATE, so a trust anchor outside its validity period (device
 * clock not set yet) could not be loaded. The classic parser honours it. */
#define IGNORE_NAME_CONSTRAINTS

/* ---- size trimming ------------------------------------------------------ */
#ifndef WB_TLS_DEBUG
    #define NO_ERROR_STRINGS
#else
    #define DEBUG_WOLFSSL
#endif
#define NO_WOLFSSL_DIR
#define NO_CRYPT_TEST
#define NO_CRYPT_BENCHMARK
#define NO_SIG_WRAPPER

#ifdef __cplusplus
}
#endif
#endif /* WB_TLS_USER_SETTINGS_H */
