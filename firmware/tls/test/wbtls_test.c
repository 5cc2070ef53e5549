/*
 * Host test driver for the wb_tls layer.
 *
 *   wbtls_test unit
 *   wbtls_test keygen KEY.der CSR.der DEVICE_NAME
 *   wbtls_test connect PORT CA.der [--cert C.der --key K.der] [--time EPOCH]
 *                      [--sni NAME] [--msg TEXT] [--heap BYTES]
 *
 * Exit status 0 on success. Output lines are parsed by scripts/tls-test.sh.
 */
#define _POSIX_C_SOURCE 200809L
#include "wb_tls.h"

int wolfSSL_Debugging_ON(void);

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* Defined in src/wb_port.c; tested directly against the C library. */
struct tm *wb_port_gmtime(const time_t *c, struct tm *t);

static unsigned char g_arena[256 * 1024] __attribute__((aligned(8)));

/* ---- hooks ------------------------------------------------------------------ */
static int urandom_fill(void *ctx, uint8_t *out, size_t len)
{
    FILE *f = fopen("/dev/urandom", "rb");
    size_t n;
    (void)ctx;
    if (f == NULL)
        return -1;
    n = fread(out, 1, len, f);
    fclose(f);
    return n == len ? 0 : -1;
}

static int failing_fill(void *ctx, uint8_t *out, size_t len)
{
    (void)ctx; (void)out; (void)len;
    return -1;
}

static int64_t fixed_now(void *ctx) { return *(const int64_t *)ctx; }
static int64_t system_now(void *ctx) { (void)ctx; return (int64_t)time(NULL); }

/* ---- files ---------------------------------------------------------------------- */
static int read_file(const char *path, uint8_t **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    long n;
    if (f == NULL) { perror(path); return -1; }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    *buf = (uint8_t *)malloc(n > 0 ? (size_t)n : 1);
    if (*buf == NULL || fread(*buf, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        return -1;
    }
    fclose(f);
    *len = (size_t)n;
    return 0;
}

static int write_file(const char *path, const uint8_t *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(buf, 1, len, f) != len) {
        perror(path);
        if (f) fclose(f);
        return -1;
    }
    return fclose(f);
}

/* ---- socket transport ------------------------------------------------------------ */
static int sock_send(void *ctx, const uint8_t *buf, size_t len)
{
    ssize_t n = send(*(int *)ctx, buf, len, MSG_NOSIGNAL);
    if (n > 0) return (int)n;
    if (n == 0) return WB_TLS_ERR_CLOSED;
    return errno == EPIPE || errno == ECONNRESET ? WB_TLS_ERR_CLOSED : WB_TLS_ERR;
}

static int sock_recv(void *ctx, uint8_t *buf, size_t len)
{
    ssize_t n = recv(*(int *)ctx, buf, len, 0);
    if (n > 0) return (int)n;
    if (n == 0 || errno == ECONNRESET) return WB_TLS_ERR_CLOSED;
    return WB_TLS_ERR;    /* includes the 10 s receive timeout */
}

static int tcp_connect(int port)
{
    struct sockaddr_in a;
    struct timeval tv = {10, 0};
    int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* ---- unit tests --------------------------------------------------------------------- */
static int g_fail, g_pass;
#define CHECK(name, cond) do { if (cond) { g_pass++; printf("ok   %s\n", name); } \
    else { g_fail++; printf("FAIL %s (line %d)\n", name, __LINE__); } } while (0)

int wb_heap_setup(void *arena, size_t size);
void *wb_heap_alloc(size_t n);
void wb_heap_free(void *p);

static void unit_heap(void)
{
    static unsigned char arena[4096] __attribute__((aligned(8)));
    void *p[8];
    wb_heap_stats st;
    int i, ok = 1;

    wb_heap_setup(arena, sizeof(arena));
    for (i = 0; i < 8; i++) {
        p[i] = wb_heap_alloc(400);
        if (p[i] == NULL) ok = 0;
        else memset(p[i], i, 400);
    }
    CHECK("heap: 8 x 400 B fit in 4 KiB", ok);
    CHECK("heap: 9th 400 B block refused", wb_heap_alloc(1200) == NULL);
    for (i = 0; i < 8 && ok; i++) {
        int j;
        for (j = 0; j < 400; j++)
            if (((unsigned char *)p[i])[j] != (unsigned char)i) ok = 0;
        if (((uintptr_t)p[i] & 7u) != 0) ok = 0;
    }
    CHECK("heap: blocks aligned and distinct", ok);
    for (i = 0; i < 8; i += 2) wb_heap_free(p[i]);
    CHECK("heap: fragmented arena refuses 1000 B", wb_heap_alloc(1000) == NULL);
    for (i = 1; i < 8; i += 2) wb_heap_free(p[i]);
    wb_tls_heap_stats(&st);
    CHECK("heap: all freed", st.in_use == 0);
    CHECK("heap: peak recorded", st.peak >= 8 * 400 && st.peak <= sizeof(arena));
    p[0] = wb_heap_alloc(3500);
    CHECK("heap: coalesced after free", p[0] != NULL);
    wb_heap_free(p[0]);
    wb_heap_setup(NULL, 0);
}

static void unit_gmtime(void)
{
    static const int64_t fixed[] = {0, 86399, 951782400 /* 2000-02-29 */,
        4107542399LL /* 2100-02-28 23:59:59 */, 1700000000, 2147483647,
        253402300799LL /* 9999-12-31 */};
    /* 32-bit time_t (i386 host): stay below 2038 */
    const uint64_t span = sizeof(time_t) >= 8 ? 253402300800ULL : 2147483648ULL;
    unsigned i, bad = 0;
    uint64_t x = 88172645463325252ULL;
    for (i = 0; i < 20000 + sizeof(fixed) / sizeof(fixed[0]); i++) {
        time_t t;
        struct tm a, b;
        if (i < sizeof(fixed) / sizeof(fixed[0])) {
            if ((uint64_t)fixed[i] >= span)
                continue;
            t = (time_t)fixed[i];
        } else {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            t = (time_t)(x % span);
        }
        gmtime_r(&t, &a);
        wb_port_gmtime(&t, &b);
        if (a.tm_year != b.tm_year || a.tm_mon != b.tm_mon ||
            a.tm_mday != b.tm_mday || a.tm_hour != b.tm_hour ||
            a.tm_min != b.tm_min || a.tm_sec != b.tm_sec ||
            a.tm_wday != b.tm_wday || a.tm_yday != b.tm_yday) {
            if (bad++ < 3)
                printf("  gmtime mismatch at %lld\n", (long long)t);
        }
    }
    CHECK("time: gmtime hook matches libc on 20007 dates", bad == 0);
}

static void unit_identity(void)
{
    wb_entropy ent = {urandom_fill, NULL}, none = {failing_fill, NULL};
    uint8_t k1[WB_IDENTITY_KEY_DER_MAX], k2[WB_IDENTITY_KEY_DER_MAX];
    uint8_t csr[WB_IDENTITY_CSR_DER_MAX];
    size_t l1 = 0, l2 = 0, lc = 0;
    int r;

    r = wb_tls_init(&none, NULL, g_arena, sizeof(g_arena));
    CHECK("init", r == WB_TLS_OK);
    r = wb_identity_generate(NULL, k1, sizeof(k1), &l1);
    CHECK("identity: failing entropy source refuses key generation",
          r == WB_TLS_ERR_ENTROPY && l1 == 0);
    r = wb_identity_generate(&ent, k1, sizeof(k1), &l1);
    CHECK("identity: key generated with explicit entropy", r == WB_TLS_OK && l1 > 100);
    r = wb_identity_csr(k1, l1, "dev-1", csr, sizeof(csr), &lc);
    CHECK("identity: CSR refused while the RNG has no entropy", r == WB_TLS_ERR_ENTROPY);
    wb_tls_set_entropy(&ent);
    r = wb_identity_generate(NULL, k2, sizeof(k2), &l2);
    CHECK("identity: two keys differ", r == WB_TLS_OK && (l1 != l2 || memcmp(k1, k2, l1) != 0));
    r = wb_identity_generate(NULL, k2, 40, &l2);
    CHECK("identity: small key buffer -> ERR_BUFFER", r == WB_TLS_ERR_BUFFER);
    r = wb_identity_csr(k1, l1, "dev-1", csr, 64, &lc);
    CHECK("identity: small CSR buffer -> error", r != WB_TLS_OK);
    r = wb_identity_csr(k1, l1, "", csr, sizeof(csr), &lc);
    CHECK("identity: empty device name refused", r == WB_TLS_ERR_ARG);
    k1[10] ^= 0xff; /* corrupt the private scalar -> public key mismatch */
    r = wb_identity_csr(k1, l1, "dev-1", csr, sizeof(csr), &lc);
    CHECK("identity: corrupted key refused", r != WB_TLS_OK);
    {
        wb_heap_stats st;
        wb_tls_heap_stats(&st);
        CHECK("identity: no heap leak", st.in_use == 0 || st.arena_size == 0);
    }
}

static void unit_args(void)
{
    wb_tls t;
    wb_tls_config c;
    memset(&c, 0, sizeof(c));
    CHECK("client: missing CA refused", wb_tls_client_init(&t, &c) == WB_TLS_ERR_ARG);
    CHECK("client: handshake on empty object refused", wb_tls_handshake(&t) == WB_TLS_ERR_ARG);
}

static int cmd_unit(void)
{
    unit_heap();
    unit_gmtime();
    unit_identity();
    unit_args();
    printf("unit: %d passed, %d failed\n", g_pass, g_fail);
    return g_fail ? 1 : 0;
}

/* ---- keygen ---------------------------------------------------------------------------- */
static int cmd_keygen(const char *key_path, const char *csr_path, const char *name)
{
    wb_entropy ent = {urandom_fill, NULL};
    uint8_t key[WB_IDENTITY_KEY_DER_MAX], csr[WB_IDENTITY_CSR_DER_MAX];
    size_t kl, cl;
    wb_heap_stats st;
    int r;
    if (wb_tls_init(&ent, NULL, g_arena, sizeof(g_arena)) != WB_TLS_OK)
        return 1;
    wb_tls_heap_reset_peak();
    r = wb_identity_generate(NULL, key, sizeof(key), &kl);
    if (r != WB_TLS_OK) { printf("keygen failed %d\n", r); return 1; }
    r = wb_identity_csr(key, kl, name, csr, sizeof(csr), &cl);
    if (r != WB_TLS_OK) { printf("csr failed %d\n", r); return 1; }
    wb_tls_heap_stats(&st);
    printf("key %zu bytes, csr %zu bytes, heap peak %zu bytes\n", kl, cl, st.peak);
    return write_file(key_path, key, kl) || write_file(csr_path, csr, cl);
}

/* ---- connect ------------------------------------------------------------------------------ */
static int cmd_connect(int argc, char **argv)
{
    wb_entropy ent = {urandom_fill, NULL};
    int64_t fixed = 0;
    wb_clock clk = {system_now, NULL};
    wb_tls_config cfg;
    wb_tls t;
    wb_heap_stats st;
    const char *msg = "hello from device\n";
    uint8_t *ca = NULL, *cert = NULL, *key = NULL;
    size_t ca_len = 0, cert_len = 0, key_len = 0, heap = sizeof(g_arena);
    int port, fd, r, i;
    char reply[512];
    size_t got = 0;

    if (argc < 2) return 64;
    port = atoi(argv[0]);
    if (read_file(argv[1], &ca, &ca_len)) return 64;
    memset(&cfg, 0, sizeof(cfg));
    for (i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--cert")) { if (read_file(argv[i + 1], &cert, &cert_len)) return 64; }
        else if (!strcmp(argv[i], "--key")) { if (read_file(argv[i + 1], &key, &key_len)) return 64; }
        else if (!strcmp(argv[i], "--time")) { fixed = atoll(argv[i + 1]); clk.now = fixed_now; clk.ctx = &fixed; }
        else if (!strcmp(argv[i], "--sni")) cfg.server_name = argv[i + 1];
        else if (!strcmp(argv[i], "--msg")) msg = argv[i + 1];
        else if (!strcmp(argv[i], "--heap")) heap = (size_t)atol(argv[i + 1]);
        else return 64;
    }
    if (heap > sizeof(g_arena)) heap = sizeof(g_arena);
    if (wb_tls_init(&ent, &clk, g_arena, heap) != WB_TLS_OK) return 1;
    fd = tcp_connect(port);
    if (fd < 0) { printf("connect: tcp failed\n"); return 3; }
    cfg.ca_der = ca; cfg.ca_len = ca_len;
    cfg.cert_der = cert; cfg.cert_len = cert_len;
    cfg.key_der = key; cfg.key_len = key_len;
    cfg.io.send = sock_send; cfg.io.recv = sock_recv; cfg.io.ctx = &fd;
    wb_tls_heap_reset_peak();
    r = wb_tls_client_init(&t, &cfg);
    if (r != WB_TLS_OK) { printf("client_init failed %d\n", r); close(fd); return 1; }
    r = wb_tls_handshake(&t);
    wb_tls_heap_stats(&st);
    if (r != WB_TLS_OK) {
        printf("handshake failed rc=%d wolfssl=%d heap_peak=%zu\n", r,
               wb_tls_last_error(&t), st.peak);
        wb_tls_close(&t);
        close(fd);
        return 2;
    }
    printf("handshake ok cipher=%s heap_peak=%zu heap_allocs=%zu\n",
           wb_tls_cipher(&t), st.peak, st.allocs);
    r = wb_tls_write(&t, (const uint8_t *)msg, strlen(msg));
    if (r != (int)strlen(msg)) { printf("write failed %d\n", r); wb_tls_close(&t); close(fd); return 4; }
    while (got < strlen(msg) && got < sizeof(reply) - 1) {
        r = wb_tls_read(&t, (uint8_t *)reply + got, sizeof(reply) - 1 - got);
        if (r <= 0) break;
        got += (size_t)r;
    }
    reply[got] = 0;
    wb_tls_heap_stats(&st);
    printf("reply: %s", reply);
    if (got == 0 || reply[got - 1] != '\n') printf("\n");
    printf("session heap_peak=%zu\n", st.peak);
    wb_tls_close(&t);
    close(fd);
    wb_tls_heap_stats(&st);
    printf("after close heap_in_use=%zu\n", st.in_use);
    free(ca); free(cert); free(key);
    return got > 0 ? 0 : 5;
}

/* certmatch KEY.der CERT.der: exit 0 when the certificate carries the key's public key,
 * 1 when another key, 2 when either does not parse. */
static int cmd_certmatch(const char *key_path, const char *cert_path)
{
    uint8_t *key, *cert;
    size_t key_len, cert_len;
    if (read_file(key_path, &key, &key_len) || read_file(cert_path, &cert, &cert_len))
        return 64;
    if (wb_tls_init(NULL, NULL, NULL, 0) != WB_TLS_OK)
        return 2;
    int r = wb_identity_cert_matches(key, key_len, cert, cert_len);
    printf("wb_identity_cert_matches: %d\n", r);
    return r == WB_TLS_OK ? 0 : r == WB_TLS_ERR_VERIFY ? 1 : 2;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (getenv("WB_TLS_DEBUG") != NULL)
        (void)wolfSSL_Debugging_ON();   /* effective in -DWB_TLS_DEBUG builds */
    if (argc >= 2 && !strcmp(argv[1], "unit")) return cmd_unit();
    if (argc == 5 && !strcmp(argv[1], "keygen")) return cmd_keygen(argv[2], argv[3], argv[4]);
    if (argc == 4 && !strcmp(argv[1], "certmatch")) return cmd_certmatch(argv[2], argv[3]);
    if (argc >= 4 && !strcmp(argv[1], "connect")) return cmd_connect(argc - 2, argv + 2);
    fprintf(stderr, "usage: see source\n");
    return 64;
}
