/*
 * Cortex-M3 size probe: a bare program that uses the whole wb_tls API, so
 * the linker (--gc-sections) keeps exactly what a device image would keep.
 * Built a second time with WB_PROBE_BASELINE (no TLS calls) to subtract the
 * C runtime. Never run; only linked and measured.
 */
#include "wb_tls.h"

static int dev_fill(void *ctx, uint8_t *out, size_t len)
{
    volatile uint32_t *jitter = (volatile uint32_t *)ctx;
    while (len--)
        *out++ = (uint8_t)*jitter;
    return 0;
}
static int64_t dev_now(void *ctx) { return (int64_t)*(volatile uint32_t *)ctx; }
static int dev_send(void *ctx, const uint8_t *b, size_t n)
{
    (void)ctx; (void)b;
    return (int)n;
}
static int dev_recv(void *ctx, uint8_t *b, size_t n)
{
    (void)ctx; (void)b; (void)n;
    return WB_TLS_WANT_IO;
}

#ifndef WB_PROBE_BASELINE
static unsigned char heap[48 * 1024] __attribute__((aligned(8)));
static uint8_t key[WB_IDENTITY_KEY_DER_MAX], csr[WB_IDENTITY_CSR_DER_MAX];
static wb_tls tls;
#endif
static volatile uint32_t timer_reg;

int main(void)
{
    wb_entropy e = {dev_fill, (void *)&timer_reg};
    wb_clock c = {dev_now, (void *)&timer_reg};
    wb_tls_io io = {dev_send, dev_recv, 0};
#ifndef WB_PROBE_BASELINE
    size_t kl, cl;
    wb_tls_config cfg = {csr, 1, csr, 1, key, 1, "gw", {0, 0, 0}};
    uint8_t buf[64];
    cfg.io = io;
    wb_tls_init(&e, &c, heap, sizeof(heap));
    wb_identity_generate(0, key, sizeof(key), &kl);
    wb_identity_csr(key, kl, "dev", csr, sizeof(csr), &cl);
    if (wb_tls_client_init(&tls, &cfg) == WB_TLS_OK &&
        wb_tls_handshake(&tls) == WB_TLS_OK) {
        wb_tls_write(&tls, buf, wb_tls_read(&tls, buf, sizeof(buf)) > 0 ? 1 : 2);
        timer_reg = (uint32_t)wb_tls_last_error(&tls) + (uint32_t)*wb_tls_cipher(&tls);
    }
    wb_tls_close(&tls);
    {
        wb_heap_stats st;
        wb_tls_heap_stats(&st);
        timer_reg = (uint32_t)st.peak;
    }
#else
    timer_reg = (uint32_t)(e.fill != 0) + (uint32_t)(c.now != 0) + (uint32_t)(io.send != 0);
    timer_reg += (uint32_t)dev_now((void *)&timer_reg) + (uint32_t)dev_fill(0, 0, 0) +
                 (uint32_t)dev_send(0, 0, 0) + (uint32_t)dev_recv(0, 0, 0);
#endif
    return 0;
}
