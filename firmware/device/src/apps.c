/* App slots: deploy (chunks, CRC-32, SHA-256), install into the flash store,
 * instantiate with the interpreter, host API v1, periodic activations. */
#include <stdio.h>
#include <string.h>
#include "board.h"
#include "wasm.h"
#include <wolfssl/wolfcrypt/sha256.h>
#include "device.h"

#define MOD_ARENA   (48u * 1024u)
#define INST_ARENA  (WASM_PAGE_SIZE + 8u * 1024u)
#define EXEC_ARENA  (12u * 1024u)
/* What one call into an app (init, activate, command) may send: each log line and sample is a
 * frame the device loop must write before it runs again, so a flood would starve heartbeats.
 * Beyond these the output is dropped and counted, and one line after the call says how much. */
#define TEL_PER_ACTIVATION 8
#define LOG_LINES_PER_ACTIVATION 8
#define LOG_BYTES_PER_ACTIVATION 1024u
/* And over time, all apps together: the gateway closes a session that sends more than its
 * message rate (50/s, burst 200 by default), so app output stays under it whatever the
 * periods, with room left for drop reports (1/s per app), heartbeats and deploy answers. */
#define APP_FRAMES_PER_S 40u
#define APP_FRAMES_BURST 80u
/* Fuel per call when a deploy gives no limits: the Application resource's default. Apps built
 * with AssemblyScript's garbage collector need a few hundred thousand for a collection step. */
#define DEFAULT_FUEL 1000000u

typedef struct {
    wasm_arena ma, ia;
    wasm_module *mod;
    wasm_instance *inst;
    wasm_func *activate;
    wasm_func host[6];
    uint32_t next_ms, restarts;
    uint32_t restart_at;      /* when a trapped app is started again */
    uint8_t restart_pending;
    uint8_t state;            /* WB_APP_* (runtime) */
    int published;
    uint32_t log_lines, log_bytes;             /* this call's output */
    uint32_t log_dropped, log_dropped_bytes, tel_dropped;
    uint32_t unrep_lines, unrep_bytes, unrep_samples, reported_ms;   /* drops not yet sent */
    char error[120];
} slot_rt;

static uint8_t mod_mem[DEV_SLOTS][MOD_ARENA] __attribute__((section(".appram"), aligned(8)));
static uint8_t inst_mem[DEV_SLOTS][INST_ARENA] __attribute__((section(".appram"), aligned(8)));
static uint8_t exec_mem[EXEC_ARENA] __attribute__((section(".appram"), aligned(8)));
static uint8_t staging[DEV_MODULE_MAX] __attribute__((section(".appram"), aligned(8)));
static slot_rt rt[DEV_SLOTS];
static wasm_exec ex;
static int ex_ready;

static struct {
    int active, slot;
    char app[64];
    uint8_t sha[32];
    uint32_t size, have;
    store_slot rec;          /* header to install at commit */
} dep;

static uint32_t out_tokens = APP_FRAMES_BURST, out_at_ms;

/* One frame of app output from the shared budget: 1 when it may be sent. */
static int out_take(void)
{
    uint32_t now = board_millis(), add = (now - out_at_ms) * APP_FRAMES_PER_S / 1000u;
    if (add) {
        out_tokens = out_tokens + add > APP_FRAMES_BURST ? APP_FRAMES_BURST : out_tokens + add;
        out_at_ms = now;
    }
    if (!out_tokens) return 0;
    out_tokens--;
    return 1;
}

static int find_slot(const char *name)
{
    for (unsigned i = 0; i < DEV_SLOTS; i++)
        if (store_slot_rec(i)->magic == STORE_SLOT_MAGIC && strcmp(store_slot_rec(i)->name, name) == 0)
            return (int)i;
    return -1;
}

/* ---------------- messages ---------------- */
static void set_name(wb_name_t *t, const char *s) { t->len = (uint16_t)strlen(s); strcpy(t->s, s); }

static void send_failure_log(unsigned i);

static void send_status(unsigned i, uint32_t id)
{
    if (!dev_session_up()) return;
    store_slot *r = store_slot_rec(i);
    wb_message *m = &dev_tx;
    memset(m, 0, sizeof *m);
    m->type = WB_MSG_APP_STATUS; m->id = id ? id : dev_next_id();
    set_name(&m->u.app_status.app, r->name);
    m->u.app_status.state = rt[i].state;
    memcpy(m->u.app_status.sha256, r->sha256, 32); WB_SET(m->u.app_status, WB_K_APP_STATUS_SHA256);
    m->u.app_status.restarts = rt[i].restarts; WB_SET(m->u.app_status, WB_K_APP_STATUS_RESTARTS);
    if (rt[i].state == WB_APP_FAILED) {
        m->u.app_status.error.len = (uint16_t)strlen(rt[i].error);
        strcpy(m->u.app_status.error.s, rt[i].error);
        WB_SET(m->u.app_status, WB_K_APP_STATUS_ERROR);
    }
    dev_send(m);
    if (rt[i].state == WB_APP_FAILED && !id) send_failure_log(i);
}

/* A failed app is also reported as an error log line tagged with the app, so that the
 * gateway's log of the device shows the reason next to the app's own lines. */
static void send_failure_log(unsigned i)
{
    if (!dev_session_up()) return;
    wb_message *m = &dev_tx;
    memset(m, 0, sizeof *m);
    m->type = WB_MSG_LOG; m->id = dev_next_id();
    m->u.log.level = 3;
    int n = snprintf(m->u.log.message.s, WB_ERROR_TEXT_MAX, "app failed: %s", rt[i].error);
    m->u.log.message.len = (uint16_t)(n < (int)WB_ERROR_TEXT_MAX ? n : (int)WB_ERROR_TEXT_MAX - 1);
    set_name(&m->u.log.app, store_slot_rec(i)->name); WB_SET(m->u.log, WB_K_LOG_APP);
    m->u.log.time_ms = board_millis(); WB_SET(m->u.log, WB_K_LOG_TIME_MS);
    dev_send(m);
}

/* ---------------- host API v1 ---------------- */
static int mem_range(wasm_exec *e, uint32_t p, uint32_t n, uint8_t **out)
{
    wasm_memory *m = wasm_exec_memory(e);
    if (!m || (uint64_t)p + n > m->bytes) return -1;
    *out = m->data + p;
    return 0;
}

static wasm_trap h_log(wasm_exec *e, void *env, wasm_val *sp)
{
    unsigned i = (unsigned)(uintptr_t)env;
    uint8_t *s;
    uint32_t len = sp[2].i32;
    if (mem_range(e, sp[1].i32, len, &s)) return WASM_TRAP_MEMORY_OOB;
    if (len > WB_ERROR_TEXT_MAX) len = WB_ERROR_TEXT_MAX;
    slot_rt *o = &rt[i];
    if (o->log_lines >= LOG_LINES_PER_ACTIVATION || o->log_bytes + len > LOG_BYTES_PER_ACTIVATION ||
        (dev_session_up() && !out_take())) {
        o->log_dropped++;
        o->log_dropped_bytes += len;
        return WASM_TRAP_NONE;
    }
    o->log_lines++;
    o->log_bytes += len;
    printf("app %s: log: %.*s\n", store_slot_rec(i)->name, (int)len, (const char *)s);
    if (!dev_session_up()) return WASM_TRAP_NONE;
    wb_message *m = &dev_tx;
    memset(m, 0, sizeof *m);
    m->type = WB_MSG_LOG; m->id = dev_next_id();
    m->u.log.level = (uint8_t)(sp[0].i32 > 3 ? 3 : sp[0].i32);
    m->u.log.message.len = (uint16_t)len; memcpy(m->u.log.message.s, s, len);
    set_name(&m->u.log.app, store_slot_rec(i)->name); WB_SET(m->u.log, WB_K_LOG_APP);
    m->u.log.time_ms = board_millis(); WB_SET(m->u.log, WB_K_LOG_TIME_MS);
    dev_send(m);   /* an invalid UTF-8 line is refused by the encoder and dropped */
    return WASM_TRAP_NONE;
}

static wasm_trap h_time_ms(wasm_exec *e, void *env, wasm_val *sp)
{
    (void)e; (void)env;
    sp[0].i64 = board_millis();
    return WASM_TRAP_NONE;
}

static wasm_trap h_publish(wasm_exec *e, void *env, wasm_val *sp)
{
    unsigned i = (unsigned)(uintptr_t)env;
    uint8_t *s;
    uint32_t len = sp[1].i32;
    double v = sp[2].f64;
    if (mem_range(e, sp[0].i32, len, &s)) return WASM_TRAP_MEMORY_OOB;
    if (len == 0 || len > WB_TOPIC_MAX || v != v || v - v != 0) { sp[0].i32 = (uint32_t)-1; return WASM_TRAP_NONE; }
    if (!dev_session_up()) { sp[0].i32 = (uint32_t)-2; return WASM_TRAP_NONE; }
    if (rt[i].published >= TEL_PER_ACTIVATION || !out_take()) { rt[i].tel_dropped++; sp[0].i32 = (uint32_t)-2; return WASM_TRAP_NONE; }
    wb_message *m = &dev_tx;
    memset(m, 0, sizeof *m);
    m->type = WB_MSG_TELEMETRY; m->id = dev_next_id();
    set_name(&m->u.telemetry.app, store_slot_rec(i)->name);
    m->u.telemetry.topic.len = (uint16_t)len; memcpy(m->u.telemetry.topic.s, s, len);
    m->u.telemetry.value = v;
    m->u.telemetry.time_ms = board_millis();
    rt[i].published++;
    sp[0].i32 = dev_send(m) == 0 ? 0 : (uint32_t)-1;
    return WASM_TRAP_NONE;
}

static wasm_trap h_config_get(wasm_exec *e, void *env, wasm_val *sp)
{
    store_slot *r = store_slot_rec((unsigned)(uintptr_t)env);
    uint8_t *k, *buf;
    uint32_t klen = sp[1].i32, cap = sp[3].i32;
    if (mem_range(e, sp[0].i32, klen, &k) || mem_range(e, sp[2].i32, cap, &buf)) return WASM_TRAP_MEMORY_OOB;
    for (uint32_t off = 0; off < r->cfg_len;) {
        const char *key = (const char *)r->cfg + off;
        size_t kl = strlen(key);
        const char *val = key + kl + 1;
        size_t vl = strlen(val);
        if (kl == klen && memcmp(key, k, klen) == 0) {
            memcpy(buf, val, vl < cap ? vl : cap);
            sp[0].i32 = (uint32_t)vl;
            return WASM_TRAP_NONE;
        }
        off += (uint32_t)(kl + vl + 2);
    }
    sp[0].i32 = (uint32_t)-1;
    return WASM_TRAP_NONE;
}

static uint32_t leds;
static wasm_trap h_led_set(wasm_exec *e, void *env, wasm_val *sp)
{
    (void)e; (void)env;
    if (sp[0].i32 < 2) {
        if (sp[1].i32) leds |= 1u << sp[0].i32; else leds &= ~(1u << sp[0].i32);
        board_leds_set(leds);
    }
    return WASM_TRAP_NONE;
}

static wasm_trap h_switches(wasm_exec *e, void *env, wasm_val *sp)
{
    (void)e; (void)env;
    sp[0].i32 = board_switches_get() & 3u;
    return WASM_TRAP_NONE;
}

static const struct { const char *name, *sig; wasm_host_fn fn; } host_api[6] = {
    { "log", "iii:", h_log }, { "time_ms", ":I", h_time_ms }, { "publish", "iiF:i", h_publish },
    { "config_get", "iiii:i", h_config_get }, { "led_set", "ii:", h_led_set }, { "switches", ":i", h_switches },
};

static int resolve(void *ctx, const char *module, uint32_t mlen, const char *name, uint32_t nlen, wasm_extern *out)
{
    slot_rt *s = ctx;
    if (mlen != 7 || memcmp(module, "wasmbed", 7) != 0) return 0;
    for (int k = 0; k < 6; k++)
        if (strlen(host_api[k].name) == nlen && memcmp(host_api[k].name, name, nlen) == 0) {
            out->kind = WASM_EXTERN_FUNC;
            out->u.func = &s->host[k];
            return 1;
        }
    return 0;
}

/* ---------------- lifecycle ---------------- */
static void fail_app(unsigned i, const char *why)
{
    rt[i].state = WB_APP_FAILED;
    snprintf(rt[i].error, sizeof rt[i].error, "%s", why);
    rt[i].inst = NULL;
    printf("app %s: FAILED: %s\n", store_slot_rec(i)->name, why);
}

/* A trap in activate or command: the app fails, and is started again after a back-off
 * (1 s, doubling, at most 32 s) while it has restarts left (limits.maxRestarts). */
static void app_trapped(unsigned i, const char *why)
{
    fail_app(i, why);
    uint32_t max = store_slot_rec(i)->max_restarts;
    if (rt[i].restarts < max) {
        uint32_t n = rt[i].restarts < 5 ? rt[i].restarts : 5;
        rt[i].restart_at = board_millis() + (1000u << n);
        rt[i].restart_pending = 1;
        printf("app %s: restart %lu of %lu in %lu ms\n", store_slot_rec(i)->name,
               (unsigned long)rt[i].restarts + 1, (unsigned long)max, (unsigned long)(1000u << n));
    }
    send_status(i, 0);
}

/* The exports the device calls, with the exact types docs/host-api.md gives them. The
 * interpreter refuses a call whose counts differ from the type, and this check refuses the
 * module before any of its code runs: a module chooses its export types, and one whose init
 * returned 19 x i64 once had them written over the vector table at address 0. */
static const struct { const char *name, *sig, *text; } app_exports[4] = {
    { "init", ":", "()" }, { "activate", ":", "()" },
    { "command", "iiii:i", "(iiii)i" }, { "command_buffer", "i:i", "(i)i" },
};

static char type_letter(uint8_t v)
{
    return v == WASM_I32 ? 'i' : v == WASM_I64 ? 'I' : v == WASM_F32 ? 'f' : v == WASM_F64 ? 'F' : 'r';
}

/* A type in the notation of docs/host-api.md, "(params)results" with the letters of
 * wasm_functype_is; a long one ends in "..". cap >= 8. */
static void describe_type(const wasm_functype *t, char *out, size_t cap)
{
    size_t n = 0, room = cap - 4;   /* keeps ")", "..", NUL */
    out[n++] = '(';
    for (uint32_t k = 0; k < t->np && n < room; k++) out[n++] = type_letter(t->p[k]);
    out[n++] = ')';
    for (uint32_t k = 0; k < t->nr && n < room; k++) out[n++] = type_letter(t->r[k]);
    if (n >= room) { out[n++] = '.'; out[n++] = '.'; }
    out[n] = 0;
}

/* 0 when every export the device calls has its host API type, else -1 with the reason. */
static int check_exports(const wasm_module *m, char *msg, size_t mcap)
{
    for (unsigned k = 0; k < 4; k++) {
        const wasm_functype *t = wasm_module_export_functype(m, app_exports[k].name);
        if (t && !wasm_functype_is(t, app_exports[k].sig)) {
            char have[40];
            describe_type(t, have, sizeof have);
            snprintf(msg, mcap, "export %s has type %s, the host API calls it as %s",
                     app_exports[k].name, have, app_exports[k].text);
            return -1;
        }
    }
    if (!wasm_module_export_functype(m, "command") != !wasm_module_export_functype(m, "command_buffer")) {
        snprintf(msg, mcap, "exports command and command_buffer go together, the module has one");
        return -1;
    }
    return 0;
}

/* One call into app i with this call's output caps; afterwards, one line (console and, in a
 * session, a warning log to the gateway) says what the caps dropped. */
static int app_call(unsigned i, wasm_func *f, wasm_val *args, uint32_t nargs, wasm_val *res, uint32_t nres,
                    uint32_t fuel)
{
    slot_rt *o = &rt[i];
    o->published = 0;
    o->log_lines = o->log_bytes = 0;
    o->log_dropped = o->log_dropped_bytes = o->tel_dropped = 0;
    int st = wasm_call(&ex, f, args, nargs, res, nres, fuel);
    if (!o->log_dropped && !o->tel_dropped && !o->unrep_lines && !o->unrep_samples) return st;
    const char *name = store_slot_rec(i)->name;
    if (o->log_dropped || o->tel_dropped)
        printf("app %s: %lu log lines (%lu bytes) and %lu telemetry samples dropped\n", name,
               (unsigned long)o->log_dropped, (unsigned long)o->log_dropped_bytes, (unsigned long)o->tel_dropped);
    o->unrep_lines += o->log_dropped; o->unrep_bytes += o->log_dropped_bytes; o->unrep_samples += o->tel_dropped;
    /* To the gateway at most once a second per app, outside the output budget (which the
     * flood itself drains), summing the calls since the last report. */
    uint32_t now = board_millis();
    if (!dev_session_up() || now - o->reported_ms < 1000u) return st;
    o->reported_ms = now;
    wb_message *m = &dev_tx;
    memset(m, 0, sizeof *m);
    int n = snprintf(m->u.log.message.s, sizeof m->u.log.message.s,
                     "%lu log lines (%lu bytes) and %lu telemetry samples dropped: over %u lines, %u bytes, "
                     "%u samples per activation or %u frames/s",
                     (unsigned long)o->unrep_lines, (unsigned long)o->unrep_bytes, (unsigned long)o->unrep_samples,
                     LOG_LINES_PER_ACTIVATION, (unsigned)LOG_BYTES_PER_ACTIVATION, TEL_PER_ACTIVATION,
                     (unsigned)APP_FRAMES_PER_S);
    o->unrep_lines = o->unrep_bytes = o->unrep_samples = 0;
    m->type = WB_MSG_LOG; m->id = dev_next_id();
    m->u.log.level = 2;   /* warn */
    m->u.log.message.len = (uint16_t)(n < 0 ? 0 : (size_t)n < sizeof m->u.log.message.s ? (size_t)n : sizeof m->u.log.message.s - 1);
    set_name(&m->u.log.app, name); WB_SET(m->u.log, WB_K_LOG_APP);
    m->u.log.time_ms = now; WB_SET(m->u.log, WB_K_LOG_TIME_MS);
    dev_send(m);
    return st;
}

/* Loads, instantiates and runs init. Returns 0, or a WB_DEPLOY_* error + 1. */
static int start_app(unsigned i, char *msg, size_t mcap)
{
    store_slot *r = store_slot_rec(i);
    slot_rt *s = &rt[i];
    wasm_error err = { 0, 0 };
    if (!ex_ready) {
        static wasm_arena ea;
        wasm_arena_init(&ea, exec_mem, sizeof exec_mem);
        if (wasm_exec_init(&ex, &ea, 1024, 64) != WASM_OK) { snprintf(msg, mcap, "exec arena"); return 1 + WB_DEPLOY_STORAGE_FAILED; }
        ex_ready = 1;
    }
    memset(s, 0, sizeof *s);
    wasm_arena_init(&s->ma, mod_mem[i], MOD_ARENA);
    wasm_arena_init(&s->ia, inst_mem[i], INST_ARENA);
    /* The flash file can change under the firmware (a torn write, a bad disk): the module
     * runs only if it is still the one the deploy's SHA-256 named. */
    uint8_t d[32];
    wc_Sha256 h;
    if (wc_InitSha256(&h) || wc_Sha256Update(&h, store_module(i), r->size) || wc_Sha256Final(&h, d) ||
        memcmp(d, r->sha256, 32) != 0) {
        snprintf(msg, mcap, "module in flash does not match its SHA-256");
        fail_app(i, msg);
        return 1 + WB_DEPLOY_STORAGE_FAILED;
    }
    wasm_status st = wasm_load(&s->mod, store_module(i), r->size, &s->ma, &err);
    if (st != WASM_OK) {
        snprintf(msg, mcap, "invalid module: %s at %lu", err.msg ? err.msg : "?", (unsigned long)err.offset);
        fail_app(i, msg);
        return 1 + (st == WASM_ERR_NOMEM ? WB_DEPLOY_TOO_LARGE : WB_DEPLOY_INVALID_MODULE);
    }
    if (check_exports(s->mod, msg, mcap)) {
        fail_app(i, msg);
        return 1 + WB_DEPLOY_INVALID_MODULE;
    }
    uint32_t minp, maxp;
    if (wasm_module_memory(s->mod, &minp, &maxp) && minp > 1) {
        snprintf(msg, mcap, "module needs %lu pages, slot has 1", (unsigned long)minp);
        fail_app(i, msg);
        return 1 + WB_DEPLOY_TOO_LARGE;
    }
    for (int k = 0; k < 6; k++) wasm_host_func_init(&s->host[k], host_api[k].sig, host_api[k].fn, (void *)(uintptr_t)i);
    wasm_limits lim = { 1, 64, 1, r->fuel ? r->fuel : DEFAULT_FUEL };
    st = wasm_instantiate(&s->inst, s->mod, resolve, s, &lim, &s->ia, &ex, &err);
    if (st != WASM_OK) {
        snprintf(msg, mcap, "instantiate: %s", err.msg ? err.msg : (st == WASM_ERR_TRAP ? wasm_trap_message(ex.trap) : "failed"));
        fail_app(i, msg);
        return 1 + (st == WASM_ERR_LINK ? WB_DEPLOY_IMPORT_MISSING : st == WASM_ERR_NOMEM ? WB_DEPLOY_TOO_LARGE : WB_DEPLOY_INVALID_MODULE);
    }
    s->activate = wasm_instance_func(s->inst, "activate");
    wasm_func *init = wasm_instance_func(s->inst, "init");
    s->state = WB_APP_RUNNING;
    printf("app %s: instantiated (module %lu bytes, code arena %lu), running init\n", r->name,
           (unsigned long)r->size, (unsigned long)s->ma.lo);
    if (init) {
        if (app_call(i, init, NULL, 0, NULL, 0, r->fuel ? r->fuel : DEFAULT_FUEL) != WASM_OK) {
            snprintf(msg, mcap, "init: %s", ex.trap_msg ? ex.trap_msg : wasm_trap_message(ex.trap));
            fail_app(i, msg);
            return 0;   /* installed; the failure is reported by appStatus */
        }
    }
    s->next_ms = board_millis() + (r->period_ms ? r->period_ms : 1000);
    return 0;
}

void apps_boot(void)
{
    char msg[120];
    dev_protect_code();
    if (strcmp(dev_fault, "write-vectors") == 0) {
        /* Test-only (device-sandbox.sh): what D1's module did, from native code. */
        printf("fault: write-vectors: writing the SysTick vector at address 0x3c\n");
        volatile uintptr_t at = 0x3Cu;   /* opaque to the compiler: a real store to address 0x3c */
        *(volatile uint32_t *)at = 0xFFFFFFFFu;
        printf("fault: write-vectors: the write went through\n");
    }
    for (unsigned i = 0; i < DEV_SLOTS; i++) {
        store_slot *r = store_slot_rec(i);
        const char *why;
        int st = store_slot_check(i, &why);
        if (st < 0) printf("store: flash slot %u refused (%s): treated as empty\n", i, why);
        if (st <= 0) continue;
        printf("app %s: found in flash slot %u (%lu bytes)\n", r->name, i, (unsigned long)r->size);
        if (r->state == WB_APP_RUNNING) start_app(i, msg, sizeof msg);
        else rt[i].state = WB_APP_STOPPED;
    }
}

void apps_tick(void)
{
    uint32_t now = board_millis();
    for (unsigned i = 0; i < DEV_SLOTS; i++) {
        slot_rt *s = &rt[i];
        store_slot *r = store_slot_rec(i);
        if (r->magic == STORE_SLOT_MAGIC && s->state == WB_APP_FAILED && s->restart_pending &&
            (int32_t)(now - s->restart_at) >= 0) {
            char msg[120];
            uint32_t restarts = s->restarts + 1;
            start_app(i, msg, sizeof msg);   /* clears the runtime state, count included */
            s->restarts = restarts;
            printf("app %s: restarted (%lu of %lu)\n", r->name, (unsigned long)restarts,
                   (unsigned long)r->max_restarts);
            if (s->state == WB_APP_FAILED) {  /* init trapped: counts as a restart used */
                snprintf(msg, sizeof msg, "%s", s->error);
                app_trapped(i, msg);
            } else {
                send_status(i, 0);
            }
            continue;
        }
        if (r->magic != STORE_SLOT_MAGIC || s->state != WB_APP_RUNNING || !s->activate) continue;
        if ((int32_t)(now - s->next_ms) < 0) continue;
        s->next_ms = now + (r->period_ms ? r->period_ms : 1000);
        if (app_call(i, s->activate, NULL, 0, NULL, 0, r->fuel ? r->fuel : DEFAULT_FUEL) != WASM_OK)
            app_trapped(i, ex.trap_msg ? ex.trap_msg : wasm_trap_message(ex.trap));
    }
}

void apps_hello(wb_hello *h)
{
    h->n_apps = 0;
    for (unsigned i = 0; i < DEV_SLOTS; i++) {
        store_slot *r = store_slot_rec(i);
        if (r->magic != STORE_SLOT_MAGIC) continue;
        wb_app_state *a = &h->apps[h->n_apps++];
        set_name(&a->name, r->name);
        memcpy(a->sha256, r->sha256, 32);
        a->state = rt[i].state;
        a->restarts = rt[i].restarts; WB_SET(*a, WB_K_APP_RESTARTS);
        if (rt[i].state == WB_APP_FAILED) {
            a->error.len = (uint16_t)strlen(rt[i].error); strcpy(a->error.s, rt[i].error);
            WB_SET(*a, WB_K_APP_ERROR);
        }
    }
}

uint32_t apps_free_bytes(void)
{
    uint32_t f = 0;
    for (unsigned i = 0; i < DEV_SLOTS; i++)
        if (store_slot_rec(i)->magic != STORE_SLOT_MAGIC) f += INST_ARENA;
    return f;
}

static void deploy_result(uint32_t id, const char *app, int err, const char *msg)
{
    wb_message *m = &dev_tx;
    memset(m, 0, sizeof *m);
    m->type = WB_MSG_DEPLOY_RESULT; m->id = id;
    set_name(&m->u.deploy_result.app, app);
    m->u.deploy_result.ok = err == 0;
    if (err) {
        m->u.deploy_result.error = (uint8_t)(err - 1); WB_SET(m->u.deploy_result, WB_K_DEPLOY_RESULT_ERROR);
        m->u.deploy_result.message.len = (uint16_t)strlen(msg); strcpy(m->u.deploy_result.message.s, msg);
        WB_SET(m->u.deploy_result, WB_K_DEPLOY_RESULT_MESSAGE);
    }
    printf("deploy %s: result %s %s\n", app, err ? "FAILED" : "ok", err ? msg : "");
    dev_send(m);
}

/* Packs the config as "key\0value\0" pairs, the form config_get walks. A key or value with a
 * U+0000 would split its pair and shift every pair after it, and a config that does not fit
 * would lose entries: both refuse the deploy (no invalidConfig code in protocol v1: the
 * message says which). Returns 0 or a WB_DEPLOY_* error + 1. */
static int pack_config(const wb_config *c, store_slot *r, char *why, size_t cap)
{
    r->cfg_len = 0;
    for (unsigned k = 0; k < c->count; k++) {
        const char *key = c->entries[k].key.s, *val = c->entries[k].value.s;
        size_t kl = c->entries[k].key.len, vl = c->entries[k].value.len;
        if (memchr(key, 0, kl) || memchr(val, 0, vl)) {
            snprintf(why, cap, "config: entry %u has a U+0000 in its key or value", k);
            return 1 + WB_DEPLOY_INVALID_MODULE;
        }
        if (r->cfg_len + kl + vl + 2 > DEV_CFG_MAX) {
            snprintf(why, cap, "config larger than %u bytes packed", (unsigned)DEV_CFG_MAX);
            return 1 + WB_DEPLOY_TOO_LARGE;
        }
        memcpy(r->cfg + r->cfg_len, key, kl); r->cfg_len += (uint32_t)kl; r->cfg[r->cfg_len++] = 0;
        memcpy(r->cfg + r->cfg_len, val, vl); r->cfg_len += (uint32_t)vl; r->cfg[r->cfg_len++] = 0;
    }
    return 0;
}

static void on_begin(const wb_message *in)
{
    const wb_deploy_begin *b = &in->u.deploy_begin;
    uint32_t id = in->id;
    int resume = dep.active && strcmp(dep.app, b->app.s) == 0 && memcmp(dep.sha, b->sha256, 32) == 0;
    if (!resume) {
        memset(&dep, 0, sizeof dep);
        strcpy(dep.app, b->app.s);
        memcpy(dep.sha, b->sha256, 32);
        dep.size = b->size;
        dep.active = 1;
        store_slot *r = &dep.rec;
        strcpy(r->name, b->app.s);
        memcpy(r->sha256, b->sha256, 32);
        r->size = b->size;
        r->mem_bytes = 65536; r->fuel = DEFAULT_FUEL; r->period_ms = 1000;
        if (WB_HAS(*b, WB_K_DEPLOY_BEGIN_LIMITS)) {
            r->mem_bytes = b->limits.memory_bytes;
            r->fuel = b->limits.fuel_per_activation;
            if (WB_HAS(b->limits, WB_K_LIMITS_PERIOD_MS)) r->period_ms = b->limits.period_ms;
            if (WB_HAS(b->limits, WB_K_LIMITS_MAX_RESTARTS)) r->max_restarts = b->limits.max_restarts;
        }
        char why[96];
        int cfg_err = WB_HAS(*b, WB_K_DEPLOY_BEGIN_CONFIG) ? pack_config(&b->config, r, why, sizeof why) : 0;
        if (cfg_err) {
            char app[64]; strcpy(app, dep.app); dep.active = 0;
            deploy_result(id, app, cfg_err, why);
            return;
        }
    }
    printf("deploy %s: begin, %lu bytes, sha256 %02x%02x%02x%02x..., period %lu ms, fuel %lu, offset %lu\n",
           dep.app, (unsigned long)dep.size, dep.sha[0], dep.sha[1], dep.sha[2], dep.sha[3],
           (unsigned long)dep.rec.period_ms, (unsigned long)dep.rec.fuel, (unsigned long)dep.have);
    if (dep.size > DEV_MODULE_MAX) {
        char app[64]; strcpy(app, dep.app); dep.active = 0;
        deploy_result(id, app, 1 + WB_DEPLOY_TOO_LARGE, "module larger than the slot");
        return;
    }
    wb_message *m = &dev_tx;
    memset(m, 0, sizeof *m);
    m->type = WB_MSG_DEPLOY_READY; m->id = id;
    set_name(&m->u.deploy_ready.app, dep.app);
    m->u.deploy_ready.offset = dep.have;
    dev_send(m);
}

static void on_chunk(const wb_message *in)
{
    const wb_deploy_chunk *c = &in->u.deploy_chunk;
    uint8_t status = WB_CHUNK_OK;
    char app[64]; strcpy(app, c->app.s);
    if (!dep.active || strcmp(dep.app, app) != 0 || c->offset != dep.have) status = WB_CHUNK_OUT_OF_ORDER;
    else if (store_crc32(c->data.p, c->data.len) != c->crc32) status = WB_CHUNK_CHECKSUM_MISMATCH;
    else if (dep.have + c->data.len > dep.size) status = WB_CHUNK_OUT_OF_ORDER;
    else { memcpy(staging + dep.have, c->data.p, c->data.len); dep.have += c->data.len; }
    if (status != WB_CHUNK_OK) printf("deploy %s: chunk at %lu status %u\n", app, (unsigned long)c->offset, status);
    uint32_t id = in->id;
    wb_message *m = &dev_tx;
    memset(m, 0, sizeof *m);
    m->type = WB_MSG_DEPLOY_CHUNK_ACK; m->id = id;
    set_name(&m->u.deploy_chunk_ack.app, app);
    m->u.deploy_chunk_ack.offset = dep.active ? dep.have : 0;
    m->u.deploy_chunk_ack.status = status;
    dev_send(m);
}

/* fault=KIND (every app) or fault=KIND:APP (one app). */
static int fault_applies(const char *kind, const char *app)
{
    size_t n = strlen(kind);
    if (strncmp(dev_fault, kind, n) != 0) return 0;
    return dev_fault[n] == 0 || (dev_fault[n] == ':' && strcmp(dev_fault + n + 1, app) == 0);
}

static void on_commit(const wb_message *in)
{
    uint32_t id = in->id;
    char app[64], msg[120];
    strcpy(app, in->u.deploy_commit.app.s);
    if (!dep.active || strcmp(dep.app, app) != 0) { deploy_result(id, app, 1 + WB_DEPLOY_UNKNOWN_APP, "commit without begin"); return; }
    uint8_t d[32];
    wc_Sha256 h;
    if (fault_applies("corrupt-module", app) && dep.have) {
        /* Test-only: as a failing flash write would, flip one bit of the module after the
         * CRC-checked chunks were stored, so that the SHA-256 check at commit must catch it. */
        staging[dep.have / 2] ^= 0x01u;
        printf("fault: corrupt-module: flipped a bit at offset %lu of %s\n", (unsigned long)(dep.have / 2), app);
    }
    wc_InitSha256(&h); wc_Sha256Update(&h, staging, dep.have); wc_Sha256Final(&h, d);
    if (dep.have != dep.size || memcmp(d, dep.sha, 32) != 0 || memcmp(in->u.deploy_commit.sha256, dep.sha, 32) != 0) {
        dep.active = 0;
        deploy_result(id, app, 1 + WB_DEPLOY_HASH_MISMATCH, "SHA-256 of the received module differs");
        return;
    }
    int i = find_slot(app);
    if (i < 0)
        for (unsigned k = 0; k < DEV_SLOTS; k++)
            if (store_slot_rec(k)->magic != STORE_SLOT_MAGIC) { i = (int)k; break; }
    if (i < 0) { dep.active = 0; deploy_result(id, app, 1 + WB_DEPLOY_NO_SLOT, "all slots in use"); return; }
    rt[i].state = WB_APP_STOPPED; rt[i].inst = NULL;
    dep.rec.state = WB_APP_RUNNING;
    store_slot_install((unsigned)i, &dep.rec, staging);
    dep.active = 0;
    printf("deploy %s: sha256 ok, stored in flash slot %d\n", app, i);
    int e = start_app((unsigned)i, msg, sizeof msg);
    if (e) {
        store_slot_erase((unsigned)i);
        rt[i].state = WB_APP_STOPPED;
    }
    deploy_result(id, app, e, msg);
    if (!e && rt[i].state == WB_APP_FAILED) send_status((unsigned)i, 0);
}

static void on_app_ref(const wb_message *in)
{
    uint32_t id = in->id;
    char app[64], msg[120];
    strcpy(app, in->u.app_start.app.s);
    int i = find_slot(app);
    if (i < 0) {
        wb_message *m = &dev_tx;
        memset(m, 0, sizeof *m);
        m->type = WB_MSG_APP_STATUS; m->id = id;
        set_name(&m->u.app_status.app, app);
        m->u.app_status.state = WB_APP_REMOVED;
        dev_send(m);
        return;
    }
    store_slot *r = store_slot_rec((unsigned)i);
    printf("app %s: %s by the gateway\n", app,
           in->type == WB_MSG_APP_START ? "started" : in->type == WB_MSG_APP_STOP ? "stopped" : "removed");
    if (in->type == WB_MSG_APP_START) {
        r->state = WB_APP_RUNNING; store_slot_commit((unsigned)i);
        if (rt[i].state != WB_APP_RUNNING) start_app((unsigned)i, msg, sizeof msg);
    } else if (in->type == WB_MSG_APP_STOP) {
        r->state = WB_APP_STOPPED; store_slot_commit((unsigned)i);
        rt[i].state = WB_APP_STOPPED; rt[i].inst = NULL;
    } else {
        rt[i].state = WB_APP_REMOVED; rt[i].inst = NULL;
        send_status((unsigned)i, id);
        store_slot_erase((unsigned)i);
        rt[i].state = WB_APP_STOPPED;
        return;
    }
    send_status((unsigned)i, id);
}

/* Delivers a command to the app (docs/host-api.md): command_buffer(n) says where the name and
 * payload go in the app's memory, command(name, name_len, payload, payload_len) handles it; a
 * non-zero result is ok. The payload points into the frame reader's buffer, which nothing
 * refills until this returns. A trap fails the app as a trap in activate does. */
static void on_command(const wb_message *in)
{
    static char why[120];
    const wb_command *c = &in->u.command;
    uint32_t id = in->id, nlen = c->name.len, plen = c->payload.len, fuel;
    char app[64];
    snprintf(app, sizeof app, "%s", c->app.s);
    int ok = 0, i = find_slot(app);
    why[0] = 0;
    slot_rt *s = i < 0 ? NULL : &rt[i];
    wasm_func *cmd = s && s->inst ? wasm_instance_func(s->inst, "command") : NULL;
    wasm_func *buf = s && s->inst ? wasm_instance_func(s->inst, "command_buffer") : NULL;
    if (!s) snprintf(why, sizeof why, "no app %s on this device", app);
    else if (s->state != WB_APP_RUNNING) snprintf(why, sizeof why, "app %s is not running", app);
    else if (!cmd || !buf || !wasm_func_has_sig(cmd, "iiii:i") || !wasm_func_has_sig(buf, "i:i"))
        snprintf(why, sizeof why, "app %s exports no command(iiii)i and command_buffer(i)i", app);
    else {
        fuel = store_slot_rec(i)->fuel ? store_slot_rec(i)->fuel : DEFAULT_FUEL;
        wasm_val a[4], r[1];
        a[0].i32 = nlen + plen;
        int trapped = app_call((unsigned)i, buf, a, 1, r, 1, fuel) != WASM_OK;
        if (!trapped) {
            wasm_memory *mem = wasm_instance_memory(s->inst);
            uint32_t at = r[0].i32;
            if (!mem || (uint64_t)at + nlen + plen > mem->bytes) {
                snprintf(why, sizeof why, "command_buffer(%lu) returned %lu, outside memory",
                         (unsigned long)(nlen + plen), (unsigned long)at);
            } else {
                memcpy(mem->data + at, c->name.s, nlen);
                if (plen) memcpy(mem->data + at + nlen, c->payload.p, plen);
                a[0].i32 = at; a[1].i32 = nlen; a[2].i32 = at + nlen; a[3].i32 = plen;
                trapped = app_call((unsigned)i, cmd, a, 4, r, 1, fuel) != WASM_OK;
                if (!trapped) ok = r[0].i32 != 0;
            }
        }
        if (trapped) {
            app_trapped((unsigned)i, ex.trap_msg ? ex.trap_msg : wasm_trap_message(ex.trap));
            snprintf(why, sizeof why, "%s", rt[i].error);
        }
    }
    printf("command %.32s to %s: %s%s%s\n", c->name.s, app, ok ? "ok" : "not ok",
           why[0] ? ": " : "", why);
    wb_message *o = &dev_tx;
    memset(o, 0, sizeof *o);
    o->type = WB_MSG_COMMAND_RESULT; o->id = id;
    set_name(&o->u.command_result.app, app);
    o->u.command_result.ok = (uint8_t)ok;
    if (why[0]) {
        o->u.command_result.result.p = (const uint8_t *)why;
        o->u.command_result.result.len = (uint16_t)strlen(why);
        WB_SET(o->u.command_result, WB_K_COMMAND_RESULT_RESULT);
    }
    dev_send(o);
}

void apps_handle(const wb_message *m)
{
    switch (m->type) {
    case WB_MSG_DEPLOY_BEGIN: on_begin(m); break;
    case WB_MSG_DEPLOY_CHUNK: on_chunk(m); break;
    case WB_MSG_DEPLOY_COMMIT: on_commit(m); break;
    case WB_MSG_APP_START: case WB_MSG_APP_STOP: case WB_MSG_APP_REMOVE: on_app_ref(m); break;
    case WB_MSG_COMMAND: on_command(m); break;
    default: {
        uint32_t id = m->id;
        wb_message *o = &dev_tx;
        memset(o, 0, sizeof *o);
        o->type = WB_MSG_ERROR; o->id = id; o->u.error.code = WB_E_BAD_MESSAGE;
        strcpy(o->u.error.message.s, "not handled by this device"); o->u.error.message.len = 26;
        dev_send(o);
    }
    }
}
