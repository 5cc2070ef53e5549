/* Wasmbed device firmware: boot, DHCP, provisioning, identity, enrollment,
 * certified session (hello/welcome/heartbeats) and the message loop.
 * lwIP raw TCP feeds a fixed ring that wolfSSL reads through wb_tls_io. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "board.h"
#include "board_config.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/dhcp.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "lwip/ip4_addr.h"
#include "netif/ethernet.h"
#include "ethif.h"
#include "wb_tls.h"
#include <wolfssl/wolfcrypt/sha256.h>
#include "device.h"
#include "entropy.h"
#include "gateways.h"

#define TLS_ARENA_BYTES (30u * 1024u)
#define RING_BYTES      4096u
#define HB_DEFAULT_S    30u
/* Renew the certificate over the certified session once it is this close to its notAfter. */
#define RENEW_WINDOW_S  (30 * 86400)

static struct netif nif;
static uint8_t tls_arena[TLS_ARENA_BYTES] __attribute__((aligned(8)));
static uint8_t ca_der[1024];
static size_t ca_len;
static char dev_name[64], token[WB_TOKEN_MAX + 1], store_path[96];
static char server_name[64];   /* the name the gateway's certificate must carry */
char dev_fault[64];   /* test-only fault hook (provisioning key "fault"), see README */
/* The gateways this device may use (provisioning `gateway=`, 1..DEV_GATEWAYS_MAX), and the
 * one it talks to now: gw_ip/gw_port are always gateways[gw_cur]. */
static dev_gateway gateways[DEV_GATEWAYS_MAX];
static unsigned n_gateways, gw_cur;
static ip4_addr_t gw_ip;
static uint16_t gw_port;
static uint8_t prov_seed[DEV_PROV_SEED_BYTES];
static int64_t clock_base_s;   /* Unix seconds at board_millis() == 0 */
static int64_t clock_offset_s; /* test-only fault hook clock-offset:N, see README */

static uint8_t rx_frame[WB_FRAME_BUFFER_BYTES];
static uint8_t tx_frame[2048];
static wb_message rx_msg;
wb_message dev_tx;
static uint32_t next_id = 1;
static wb_tls tls;
static int session_up;

uint32_t dev_next_id(void) { return next_id++; }
int dev_session_up(void) { return session_up; }

/* ---------------- provisioning ---------------- */
static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Base64 (PEM body, whitespace and '=' ignored) -> DER. */
static int b64_decode(const char *s, uint8_t *out, size_t cap, size_t *len)
{
    uint32_t acc = 0; int bits = 0; size_t n = 0;
    for (; *s && *s != '\n'; s++) {
        int v = b64val((unsigned char)*s);
        if (v < 0) continue;
        acc = acc << 6 | (uint32_t)v; bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n >= cap) return -1;
            out[n++] = (uint8_t)(acc >> bits);
        }
    }
    *len = n;
    return n ? 0 : -1;
}

static void use_gateway(unsigned i)
{
    gw_cur = i;
    IP4_ADDR(&gw_ip, gateways[i].addr[0], gateways[i].addr[1], gateways[i].addr[2], gateways[i].addr[3]);
    gw_port = gateways[i].port;
}

static int load_provisioning(void)
{
    static char v[1400];
    const char *prov = board_provisioning();
    if (!prov) { printf("provisioning: no block\n"); return -1; }
    if (board_prov_get(prov, "gateway", v, sizeof v)) { printf("provisioning: no gateway\n"); return -1; }
    const char *why;
    unsigned bad;
    int n = dev_parse_gateways(v, gateways, &why, &bad);
    if (n < 0) {
        if (bad) printf("provisioning: gateway entry %u: %s\n", bad, why);
        else printf("provisioning: gateway: %s\n", why);
        return -1;
    }
    n_gateways = (unsigned)n;
    use_gateway(0);
    if (board_prov_get(prov, "device", dev_name, sizeof dev_name)) { printf("provisioning: no device\n"); return -1; }
    token[0] = 0;
    if (board_prov_get(prov, "token", v, sizeof v) == 0) {
        /* The enroll message carries at most WB_TOKEN_MAX bytes: a longer token is a
         * provisioning error, not something to cut short. */
        if (strlen(v) > WB_TOKEN_MAX) {
            printf("provisioning: token is %u characters, at most %u\n", (unsigned)strlen(v), (unsigned)WB_TOKEN_MAX);
            return -1;
        }
        strcpy(token, v);
    }
    if (board_prov_get(prov, "server_name", server_name, sizeof server_name)) {
        server_name[0] = 0;
        printf("provisioning: no server_name: the gateway's certificate is checked against the CA only\n");
    }
    if (board_prov_get(prov, "flash", store_path, sizeof store_path)) strcpy(store_path, "wasmbed-flash.bin");
    if (board_prov_get(prov, "fault", dev_fault, sizeof dev_fault)) dev_fault[0] = 0;
    else printf("provisioning: TEST FAULT HOOK enabled: fault=%s\n", dev_fault);
    if (board_prov_get(prov, "ca", v, sizeof v) || b64_decode(v, ca_der, sizeof ca_der, &ca_len)) {
        printf("provisioning: no CA\n"); return -1;
    }
    if (board_prov_get(prov, "seed", v, sizeof v) || dev_parse_seed(v, prov_seed)) {
        printf("provisioning: seed must be %u hex digits\n", 2u * DEV_PROV_SEED_BYTES);
        return -1;
    }
    if (strncmp(dev_fault, "clock-offset:", 13) == 0)
        clock_offset_s = (int64_t)strtoll(dev_fault + 13, NULL, 10);
    if (board_prov_get(prov, "time", v, sizeof v) == 0)
        clock_base_s = (int64_t)strtoll(v, NULL, 10);
    return 0;
}

/* ---------------- clock ---------------- */
static int64_t clock_now(void *ctx) { (void)ctx; return clock_base_s + clock_offset_s + board_millis() / 1000; }

/* ---------------- network ---------------- */
static struct {
    struct tcp_pcb *pcb;
    uint8_t ring[RING_BYTES];
    uint32_t head, tail;       /* head: write, tail: read (free-running) */
    int connected, closed;
} conn;

static int net_poll(void)
{
    int busy = ethif_poll(&nif);
    sys_check_timeouts();
    return busy;
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    (void)arg;
    if (p == NULL || err != ERR_OK) {
        if (p) pbuf_free(p);
        conn.closed = 1;
        return ERR_OK;
    }
    uint32_t room = RING_BYTES - (conn.head - conn.tail);
    if (p->tot_len > room)
        return ERR_MEM;        /* lwIP keeps it and offers it again */
    uint32_t at = conn.head % RING_BYTES, first = RING_BYTES - at;
    if (first > p->tot_len) first = p->tot_len;
    pbuf_copy_partial(p, conn.ring + at, (u16_t)first, 0);
    if (first < p->tot_len)
        pbuf_copy_partial(p, conn.ring, (u16_t)(p->tot_len - first), (u16_t)first);
    conn.head += p->tot_len;
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    return ERR_OK;
}

static void on_err(void *arg, err_t err)
{
    (void)arg;
    printf("tcp: error %d\n", (int)err);
    conn.pcb = NULL;
    conn.closed = 1;
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
    (void)arg; (void)pcb;
    if (err == ERR_OK) conn.connected = 1; else conn.closed = 1;
    return ERR_OK;
}

static void tcp_close_conn(void)
{
    if (conn.pcb) {
        tcp_arg(conn.pcb, NULL); tcp_recv(conn.pcb, NULL); tcp_err(conn.pcb, NULL);
        if (tcp_close(conn.pcb) != ERR_OK) tcp_abort(conn.pcb);
        conn.pcb = NULL;
    }
    conn.connected = 0;
}

static int tcp_open_conn(uint16_t port)
{
    memset(&conn, 0, sizeof conn);
    conn.pcb = tcp_new();
    if (!conn.pcb) return -1;
    tcp_err(conn.pcb, on_err);
    tcp_recv(conn.pcb, on_recv);
    if (tcp_connect(conn.pcb, &gw_ip, port, on_connected) != ERR_OK) { tcp_close_conn(); return -1; }
    uint32_t t0 = board_millis();
    while (!conn.connected && !conn.closed && board_millis() - t0 < 10000u)
        if (!net_poll()) board_idle();
    if (!conn.connected) { tcp_close_conn(); return -1; }
    return 0;
}

static int io_send(void *ctx, const uint8_t *buf, size_t len)
{
    (void)ctx;
    if (conn.closed || !conn.pcb) return WB_TLS_ERR_CLOSED;
    size_t n = tcp_sndbuf(conn.pcb);
    if (n > len) n = len;
    if (n == 0) { tcp_output(conn.pcb); return WB_TLS_WANT_IO; }
    if (tcp_write(conn.pcb, buf, (u16_t)n, TCP_WRITE_FLAG_COPY) != ERR_OK) {
        tcp_output(conn.pcb); return WB_TLS_WANT_IO;
    }
    tcp_output(conn.pcb);
    return (int)n;
}

static int io_recv(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    uint32_t have = conn.head - conn.tail;
    if (have == 0) return conn.closed ? WB_TLS_ERR_CLOSED : WB_TLS_WANT_IO;
    size_t n = len < have ? len : have;
    for (size_t i = 0; i < n; i++) buf[i] = conn.ring[(conn.tail + i) % RING_BYTES];
    conn.tail += n;
    return (int)n;
}

/* ---------------- TLS helpers ---------------- */
static int tls_open(uint16_t port, int certified)
{
    if (tcp_open_conn(port)) { printf("tcp: connect to port %u failed\n", port); return -1; }
    store_identity *id = store_id();
    wb_tls_config cfg = { ca_der, ca_len,
        certified ? id->cert : NULL, certified ? id->cert_len : 0,
        certified ? id->key : NULL, certified ? id->key_len : 0,
        server_name[0] ? server_name : NULL, { io_send, io_recv, NULL } };
    int r = wb_tls_client_init(&tls, &cfg);
    if (r) { printf("tls: init failed %d\n", r); tcp_close_conn(); return -1; }
    uint32_t t0 = board_millis();
    while ((r = wb_tls_handshake(&tls)) == WB_TLS_WANT_IO && board_millis() - t0 < 20000u)
        if (!net_poll()) board_idle();
    if (r != WB_TLS_OK) {
        printf("tls: handshake failed %d (wolfSSL %d)\n", r, wb_tls_last_error(&tls));
        wb_tls_close(&tls); tcp_close_conn(); return -1;
    }
    wb_heap_stats hs; wb_tls_heap_stats(&hs);
    printf("tls: TLS 1.3 %s to port %u (%s), heap peak %u/%u\n", wb_tls_cipher(&tls), port,
           certified ? "mutual" : "server auth", (unsigned)hs.peak, (unsigned)hs.arena_size);
    return 0;
}

static void tls_shut(void)
{
    wb_tls_close(&tls);
    for (int i = 0; i < 20; i++) net_poll();
    tcp_close_conn();
    session_up = 0;
}

int dev_send(wb_message *m)
{
    size_t len;
    wb_err e = wb_encode(m, tx_frame, sizeof tx_frame, &len);
    if (e != WB_OK) { printf("encode type %u: %s\n", m->type, wb_error_name(e)); return -1; }
    size_t off = 0;
    uint32_t t0 = board_millis();
    while (off < len) {
        int r = wb_tls_write(&tls, tx_frame + off, len - off);
        if (r > 0) { off += (size_t)r; continue; }
        if (r != WB_TLS_WANT_IO || board_millis() - t0 > 10000u) return -1;
        if (!net_poll()) board_idle();
    }
    return 0;
}

/* Reads until one frame is decoded into rx_msg: 1 = message, 0 = nothing yet, -1 = closed/error. */
static wb_frame_reader reader;
static uint8_t rd_buf[512];
static size_t rd_len, rd_off;
static int poll_message(void)
{
    for (;;) {
        if (rd_off == rd_len) {
            int r = wb_tls_read(&tls, rd_buf, sizeof rd_buf);
            if (r == WB_TLS_WANT_IO) return 0;
            if (r <= 0) return -1;
            rd_len = (size_t)r; rd_off = 0;
        }
        size_t used;
        wb_fr_status st = wb_frame_reader_push(&reader, rd_buf + rd_off, rd_len - rd_off, &used);
        rd_off += used;
        if (st == WB_FR_TOO_LARGE) return -1;
        if (st == WB_FR_FRAME) {
            wb_err e = wb_decode_frame(reader.buf, reader.frame_len, &rx_msg);
            size_t flen = reader.frame_len;
            (void)flen;
            wb_frame_reader_init(&reader, rx_frame, sizeof rx_frame);
            if (e == WB_ERR_UNKNOWN_MESSAGE_TYPE) continue;
            if (e != WB_OK) { printf("decode: %s\n", wb_error_name(e)); return -1; }
            return 1;
        }
    }
}

static void reader_reset(void)
{
    wb_frame_reader_init(&reader, rx_frame, sizeof rx_frame);
    rd_len = rd_off = 0;
}

/* ---------------- enrollment ---------------- */
static uint8_t csr[WB_IDENTITY_CSR_DER_MAX];

/* CSR for the device key. Test-only fault hook csr-foreign-key: for a throwaway key instead,
 * so that a real gateway issues a certificate that is not for this device's key. */
static int make_csr(size_t *csr_len)
{
    store_identity *id = store_id();
    if (strcmp(dev_fault, "csr-foreign-key") == 0) {
        static uint8_t other[WB_IDENTITY_KEY_DER_MAX];
        size_t other_len;
        if (wb_identity_generate(NULL, other, sizeof other, &other_len)) return -1;
        return wb_identity_csr(other, other_len, dev_name, csr, sizeof csr, csr_len);
    }
    return wb_identity_csr(id->key, id->key_len, dev_name, csr, sizeof csr, csr_len);
}

/* Stores a certificate from enrolled{} only if it carries this device's public key. */
static int store_certificate(const wb_enrolled *e, const char *what)
{
    store_identity *id = store_id();
    if (e->certificate.len == 0 || e->certificate.len > DEV_CERT_MAX) {
        printf("%s: REFUSED a certificate of %u bytes\n", what, (unsigned)e->certificate.len);
        return -1;
    }
    int m = wb_identity_cert_matches(id->key, id->key_len, e->certificate.p, e->certificate.len);
    if (m != WB_TLS_OK) {
        printf("%s: REFUSED the certificate: %s\n", what,
               m == WB_TLS_ERR_VERIFY ? "its public key is not this device's" : "it does not parse");
        return -1;
    }
    uint64_t before = id->cert_not_after;
    memcpy(id->cert, e->certificate.p, e->certificate.len);
    id->cert_len = e->certificate.len;
    id->cert_not_after = e->not_after;
    store_id_commit();
    printf("%s: certificate %u bytes DER, notAfter %lu (was %lu), stored in flash\n", what,
           (unsigned)e->certificate.len, (unsigned long)e->not_after, (unsigned long)before);
    return 0;
}

static int enroll(void)
{
    size_t csr_len;
    int r = make_csr(&csr_len);
    if (r) { printf("enroll: CSR failed %d\n", r); return -1; }
    if (!token[0]) { printf("enroll: no token\n"); return -1; }
    if (tls_open((uint16_t)(gw_port + 1), 0)) return -1;
    reader_reset();
    memset(&dev_tx, 0, sizeof dev_tx);
    dev_tx.type = WB_MSG_ENROLL; dev_tx.id = dev_next_id();
    dev_tx.u.enroll.device.len = (uint16_t)strlen(dev_name);
    strcpy(dev_tx.u.enroll.device.s, dev_name);
    dev_tx.u.enroll.csr.p = csr; dev_tx.u.enroll.csr.len = (uint16_t)csr_len;
    dev_tx.u.enroll.token.len = (uint16_t)strlen(token);
    strcpy(dev_tx.u.enroll.token.s, token);
    WB_SET(dev_tx.u.enroll, WB_K_ENROLL_TOKEN);
    printf("enroll: sending enroll{device %s, csr %u bytes, token}\n", dev_name, (unsigned)csr_len);
    if (dev_send(&dev_tx)) { tls_shut(); return -1; }
    uint32_t t0 = board_millis();
    int got;
    while ((got = poll_message()) == 0 && board_millis() - t0 < 15000u)
        if (!net_poll()) board_idle();
    int ok = -1;
    if (got == 1 && rx_msg.type == WB_MSG_ENROLLED) {
        printf("enroll: ENROLLED\n");
        ok = store_certificate(&rx_msg.u.enrolled, "enroll");
    } else if (got == 1 && rx_msg.type == WB_MSG_ERROR) {
        printf("enroll: refused, error code %u: %s\n", rx_msg.u.error.code, rx_msg.u.error.message.s);
    } else {
        printf("enroll: no answer (%d)\n", got);
    }
    tls_shut();
    return ok;
}

/* ---------------- certified session ---------------- */
static const char *const host_functions[] = {
    "wasmbed/log:(iii)", "wasmbed/time_ms:()j", "wasmbed/publish:(iid)i",
    "wasmbed/config_get:(iiii)i", "wasmbed/led_set:(ii)", "wasmbed/switches:()i",
};

static int send_hello(void)
{
    wb_message *m = &dev_tx;
    memset(m, 0, sizeof *m);
    m->type = WB_MSG_HELLO; m->id = dev_next_id();
    wb_hello *h = &m->u.hello;
    h->protocol_version = WB_PROTOCOL_VERSION;
    h->firmware_version.len = (uint16_t)strlen(WB_FW_VERSION); strcpy(h->firmware_version.s, WB_FW_VERSION);
    h->board.len = (uint16_t)strlen(board_name()); strcpy(h->board.s, board_name());
    h->capabilities.host_api_version = 1;
    h->capabilities.memory_bytes = DEV_SLOTS * 65536u;
    h->capabilities.max_module_bytes = DEV_MODULE_MAX;
    h->capabilities.max_apps = DEV_SLOTS;
    h->capabilities.n_host_functions = 6;
    for (int i = 0; i < 6; i++) {
        h->capabilities.host_functions[i].len = (uint16_t)strlen(host_functions[i]);
        strcpy(h->capabilities.host_functions[i].s, host_functions[i]);
    }
    apps_hello(h);
    printf("session: hello{v1, fw %s, board %s, %u host functions, %u apps}\n",
           WB_FW_VERSION, board_name(), 6u, h->n_apps);
    return dev_send(m);
}

static void send_heartbeat(void)
{
    memset(&dev_tx, 0, sizeof dev_tx);
    dev_tx.type = WB_MSG_HEARTBEAT; dev_tx.id = dev_next_id();
    dev_tx.u.heartbeat.uptime_ms = board_millis();
    dev_tx.u.heartbeat.free_bytes = apps_free_bytes();
    WB_SET(dev_tx.u.heartbeat, WB_K_HEARTBEAT_FREE_BYTES);
    dev_send(&dev_tx);
}

/* The renewal CSR is made before the session opens: signing needs most of the TLS arena,
 * which an open session holds. */
static size_t renew_csr_len;

/* renew{csr} over the certified session; the answer (enrolled or error) comes with the same id. */
static uint32_t send_renew(void)
{
    size_t csr_len = renew_csr_len;
    renew_csr_len = 0;
    memset(&dev_tx, 0, sizeof dev_tx);
    dev_tx.type = WB_MSG_RENEW; dev_tx.id = dev_next_id();
    dev_tx.u.renew.csr.p = csr; dev_tx.u.renew.csr.len = (uint16_t)csr_len;
    printf("renew: certificate notAfter %lu, device time %ld: sending renew{csr %u bytes}\n",
           (unsigned long)store_id()->cert_not_after, (long)clock_now(NULL), (unsigned)csr_len);
    return dev_send(&dev_tx) == 0 ? dev_tx.id : 0;
}

static int renewal_due(void)
{
    const store_identity *id = store_id();
    return id->cert_len && clock_now(NULL) + RENEW_WINDOW_S >= (int64_t)id->cert_not_after;
}

/* One certified session, until it ends. Returns 1 when the gateway welcomed it. */
static int session(void)
{
    renew_csr_len = 0;
    if (renewal_due() && make_csr(&renew_csr_len)) { printf("renew: CSR failed\n"); renew_csr_len = 0; }
    if (tls_open(gw_port, 1)) return 0;
    reader_reset();
    session_up = 1;
    if (send_hello()) { tls_shut(); return 0; }
    uint32_t hb_s = HB_DEFAULT_S, last_hb = board_millis(), last_ack = board_millis();
    int welcomed = 0, hb_count = 0, acks = 0, renew_sent = 0;
    uint32_t renew_id = 0;
    for (;;) {
        int busy = net_poll();
        int r = poll_message();
        if (r < 0) { printf("session: closed by the gateway\n"); break; }
        if (r == 1) {
            busy = 1;
            switch (rx_msg.type) {
            case WB_MSG_WELCOME:
                hb_s = rx_msg.u.welcome.heartbeat_interval_s ? rx_msg.u.welcome.heartbeat_interval_s : 1;
                clock_base_s = (int64_t)(rx_msg.u.welcome.server_time_ms / 1000u) - board_millis() / 1000;
                welcomed = 1; last_ack = board_millis();
                printf("session: WELCOME heartbeat %lus\n", (unsigned long)hb_s);
                break;
            case WB_MSG_HEARTBEAT_ACK:
                last_ack = board_millis();
                if (++acks <= 3) printf("session: heartbeatAck %d\n", acks);
                break;
            case WB_MSG_ENROLLED:
                if (renew_id && rx_msg.id == renew_id) {
                    renew_id = 0;
                    store_certificate(&rx_msg.u.enrolled, "renew");
                }
                break;
            case WB_MSG_ERROR:
                printf("session: gateway error %u: %s\n", rx_msg.u.error.code, rx_msg.u.error.message.s);
                if (renew_id && rx_msg.id == renew_id) {
                    renew_id = 0;
                    printf("renew: refused; the certificate stays until notAfter, then the device re-enrolls\n");
                }
                break;
            default:
                apps_handle(&rx_msg);
                break;
            }
        }
        /* Once per session: the welcome has set the clock, and a refused renewal is not
         * retried in a loop. */
        if (welcomed && !renew_sent && renew_csr_len && renewal_due()) {
            renew_sent = 1;
            renew_id = send_renew();
        }
        uint32_t now = board_millis();
        if (welcomed && now - last_hb >= hb_s * 1000u) {
            last_hb = now;
            send_heartbeat();
            if (++hb_count <= 3) printf("session: heartbeat %d (uptime %lu ms)\n", hb_count, (unsigned long)now);
        }
        if (welcomed && now - last_ack > 3u * hb_s * 1000u + 5000u) { printf("session: no heartbeatAck, reconnecting\n"); break; }
        if (welcomed) apps_tick();
        if (!busy) board_idle();
    }
    tls_shut();
    return welcomed;
}

int main(void)
{
    board_init();
    printf("\nwasmbed device %s on %s (%s)\n", WB_FW_VERSION, board_name(), board_cpu());
    if (load_provisioning()) { printf("DEVICE FAIL: provisioning\n"); board_halt(); }
    printf("provisioning: device %s, gateway %s:%u (enroll %u), CA %u bytes, flash %s\n", dev_name,
           ip4addr_ntoa(&gw_ip), gw_port, gw_port + 1, (unsigned)ca_len, store_path);
    if (n_gateways > 1) {
        char a[24];
        printf("provisioning: %u gateways:", n_gateways);
        for (unsigned i = 0; i < n_gateways; i++) printf(" %s", dev_gateway_str(&gateways[i], a, sizeof a));
        printf(" (tried in turn)\n");
    }
    if (store_open()) { printf("DEVICE FAIL: flash store\n"); board_halt(); }
    wb_entropy ent = { dev_entropy_fill, NULL };
    wb_clock clk = { clock_now, NULL };
    if (wb_tls_init(&ent, &clk, tls_arena, sizeof tls_arena)) { printf("DEVICE FAIL: tls init\n"); board_halt(); }
    /* After wb_tls_init: the DRBG's HMAC runs on wolfCrypt with the TLS arena as its heap. */
    dev_entropy_report er;
    if (dev_entropy_start(prov_seed, dev_name, &er)) { printf("DEVICE FAIL: entropy\n"); board_halt(); }
    memset(prov_seed, 0, sizeof prov_seed);

    store_identity *id = store_id();
    if (id->key_len == 0) {
        /* Without this boot's host randomness the key would be a function of what is stored
         * beside the token (provisioning seed, flash) and of timer readings: refuse. */
        if (!er.boot_injected) {
            printf("DEVICE FAIL: no boot entropy at 0x%08lx: refusing to generate the device key\n",
                   (unsigned long)BOARD_BOOT_ENTROPY_ADDR);
            board_halt();
        }
        size_t kl;
        uint32_t t0 = board_millis();
        if (wb_identity_generate(NULL, id->key, sizeof id->key, &kl)) { printf("DEVICE FAIL: keygen\n"); board_halt(); }
        id->key_len = (uint32_t)kl; id->cert_len = 0;
        store_id_commit();
        printf("identity: generated P-256 key (%u bytes DER, %lu ms), stored in flash\n", (unsigned)kl,
               (unsigned long)(board_millis() - t0));
    } else {
        printf("identity: P-256 key from flash, certificate %s (%u bytes)\n",
               id->cert_len ? "from flash" : "missing", (unsigned)id->cert_len);
    }

    lwip_init();
    if (netif_add(&nif, IP4_ADDR_ANY4, IP4_ADDR_ANY4, IP4_ADDR_ANY4, NULL, ethif_init, ethernet_input) == NULL) {
        printf("DEVICE FAIL: no Ethernet\n"); board_halt();
    }
    uint32_t r32;
    if (dev_entropy_fill(NULL, (uint8_t *)&r32, sizeof r32)) { printf("DEVICE FAIL: entropy\n"); board_halt(); }
    board_rand_seed(r32);
    netif_set_default(&nif); netif_set_up(&nif); netif_set_link_up(&nif);
    dhcp_start(&nif);
    uint32_t t0 = board_millis();
    while (!dhcp_supplied_address(&nif)) {
        if (!net_poll()) board_idle();
        if (board_millis() - t0 > 30000u) { printf("DEVICE FAIL: DHCP timeout\n"); board_halt(); }
    }
    printf("dhcp: ip %s (%lu ms)\n", ip4addr_ntoa(netif_ip4_addr(&nif)), (unsigned long)(board_millis() - t0));

    apps_boot();
    /* Gateways are tried in turn (round robin): when enrollment or a session fails, or a
     * welcomed session ends, the next one is used. Within a round of the list the next gateway
     * is tried at once; when a whole round failed the device waits, backing off 1 s, 2 s, ...
     * 16 s, and starts again from 1 s after a session a gateway welcomed: a fleet that lost
     * its gateways does not hammer them when they return, a device that had a good session
     * comes back quickly, and one dead gateway costs a device one connect, not a back-off.
     * With a single gateway every failure ends a round: 1 s, 2 s, 4 s ... as before. */
    uint32_t backoff = 1000;
    int reenroll_tried = 0;
    unsigned round_start = gw_cur;
    for (;;) {
        int welcomed = 0;
        /* Expired by the device's clock: enroll again. A spent token is refused (tokenUsed);
         * the old certificate is then still offered: the gateway decides whether it is valid
         * (the device clock may be wrong), and a welcomed session renews it. */
        /* Test-only fault hook cert-expired: as if notAfter had passed (the device clock cannot
         * be moved past it in a test without also outdating the gateway's own certificate). */
        if (id->cert_len && !reenroll_tried &&
            (clock_now(NULL) >= (int64_t)id->cert_not_after || strcmp(dev_fault, "cert-expired") == 0)) {
            reenroll_tried = 1;
            printf("identity: certificate expired (notAfter %lu, device time %ld): enrolling again\n",
                   (unsigned long)id->cert_not_after, (long)clock_now(NULL));
            if (enroll() != 0)
                printf("enroll: re-enrollment failed: keeping the expired certificate; a new token is needed if the gateway refuses it\n");
        }
        int enrolled = 1;
        if (id->cert_len == 0) enrolled = enroll() == 0;
        if (enrolled) welcomed = session();
        if (welcomed) backoff = 1000;
        if (n_gateways > 1) {
            char a[24];
            use_gateway((gw_cur + 1) % n_gateways);
            printf("session: gateway %s\n", dev_gateway_str(&gateways[gw_cur], a, sizeof a));
            if (welcomed) round_start = gw_cur;
            else if (gw_cur != round_start) continue;   /* the rest of this round: at once */
        }
        if (!enrolled) printf("enroll: failed, retry in %lu ms\n", (unsigned long)backoff);
        else printf("session: reconnecting in %lu ms\n", (unsigned long)backoff);
        t0 = board_millis();
        while (board_millis() - t0 < backoff) { if (!net_poll()) board_idle(); apps_tick(); }
        if (backoff < 16000) backoff *= 2;
    }
}
