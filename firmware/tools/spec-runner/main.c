/* Host spec runner: executes the commands of one wast2json JSON file.
 *
 *   spec-runner FILE.json [label]
 *
 * Prints "label: P passed, F failed, S skipped" and exits 1 if anything
 * failed. Text-format assert_malformed/assert_invalid cases cannot apply to
 * a binary interpreter and are counted as skipped (never passed). */
#define _POSIX_C_SOURCE 200809L
#include "wasm.h"
#include "json.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#define MAX_NAMED        256
#ifndef MEM_CAP_PAGES
#define MEM_CAP_PAGES    1024u        /* 64 MiB per instance, lazily mapped */
#endif
#define TABLE_CAP        100000u
#define INST_ARENA_EXTRA ((size_t)4 << 20)   /* tables, globals, bookkeeping */
#define STACK_SLOTS      (1u << 21)
#define MAX_DEPTH        20000u
#define MAX_VALUES       64
#define MAX_DIAG         30

typedef struct { char *name; wasm_instance *inst; } named;

static named regs[MAX_NAMED];  static int nregs;      /* registered as */
static named names[MAX_NAMED]; static int nnames;     /* $M names */
static void *arenas[4096];     static int narenas;
static void *bufs[4096];       static int nbufs;
static wasm_instance *current;
static wasm_exec ex;
static int passed, failed, skipped, ndiag;
static const char *dir;
static const char *label;

/* ---------------------------------------------------------------- spectest */
static wasm_func st_print[7];
static wasm_global st_gi32, st_gi64, st_gf32, st_gf64;
static wasm_table st_table;
static void *st_table_elems[10];
static wasm_memory st_mem;
static uint8_t *st_mem_data;

static wasm_trap host_print(wasm_exec *e, void *env, wasm_val *sp) { (void)e; (void)env; (void)sp; return WASM_TRAP_NONE; }

static void spectest_init(void)
{
    static const char *sigs[7] = { "", "i", "I", "f", "F", "if", "FF" };
    int i;
    for (i = 0; i < 7; i++) wasm_host_func_init(&st_print[i], sigs[i], host_print, NULL);
    st_gi32.type = WASM_I32; st_gi32.v.i32 = 666;
    st_gi64.type = WASM_I64; st_gi64.v.i64 = 666;
    st_gf32.type = WASM_F32; st_gf32.v.f32 = 666.6f;
    st_gf64.type = WASM_F64; st_gf64.v.f64 = 666.6;
    st_table.elemtype = WASM_FUNCREF; st_table.size = 10; st_table.max = 20; st_table.has_max = 1;
    st_table.cap = 10; st_table.elems = st_table_elems;
    st_mem_data = calloc(2, 65536);
    st_mem.data = st_mem_data; st_mem.pages = 1; st_mem.max_pages = 2; st_mem.decl_max = 2;
    st_mem.has_max = 1; st_mem.bytes = 65536;
}

static void spectest_reset(void)
{
    memset(st_table_elems, 0, sizeof st_table_elems);
    memset(st_mem_data, 0, 2 * 65536);
    st_mem.pages = 1; st_mem.bytes = 65536;
}

static int eq(const char *a, uint32_t alen, const char *b)
{
    return strlen(b) == alen && !memcmp(a, b, alen);
}

static int resolve(void *ctx, const char *mod, uint32_t mlen, const char *name, uint32_t nlen, wasm_extern *out)
{
    int i;
    (void)ctx;
    if (eq(mod, mlen, "spectest")) {
        static const char *pn[7] = { "print", "print_i32", "print_i64", "print_f32", "print_f64", "print_i32_f32", "print_f64_f64" };
        for (i = 0; i < 7; i++) if (eq(name, nlen, pn[i])) { out->kind = WASM_EXTERN_FUNC; out->u.func = &st_print[i]; return 1; }
        out->kind = WASM_EXTERN_GLOBAL;
        if (eq(name, nlen, "global_i32")) { out->u.global = &st_gi32; return 1; }
        if (eq(name, nlen, "global_i64")) { out->u.global = &st_gi64; return 1; }
        if (eq(name, nlen, "global_f32")) { out->u.global = &st_gf32; return 1; }
        if (eq(name, nlen, "global_f64")) { out->u.global = &st_gf64; return 1; }
        if (eq(name, nlen, "table")) { out->kind = WASM_EXTERN_TABLE; out->u.table = &st_table; return 1; }
        if (eq(name, nlen, "memory")) { out->kind = WASM_EXTERN_MEMORY; out->u.mem = &st_mem; return 1; }
        return 0;
    }
    for (i = nregs - 1; i >= 0; i--)
        if (eq(mod, mlen, regs[i].name)) return wasm_instance_export(regs[i].inst, name, nlen, out);
    return 0;
}

/* ------------------------------------------------------------------- util */
static void diag(int line, const char *fmt, const char *a, const char *b)
{
    if (ndiag++ >= MAX_DIAG) return;
    fprintf(stderr, "  %s:%d: ", label, line);
    fprintf(stderr, fmt, a ? a : "", b ? b : "");
    fputc('\n', stderr);
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *b;
    long n;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END); n = ftell(f); fseek(f, 0, SEEK_SET);
    b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) { free(b); b = NULL; }
    fclose(f);
    if (b) { b[n] = 0; *len = (size_t)n; }
    return b;
}

static wasm_status load_module(const char *file, wasm_module **m, wasm_error *err)
{
    char path[4096];
    size_t len;
    uint8_t *bytes;
    wasm_arena a;
    void *buf;
    snprintf(path, sizeof path, "%s/%s", dir, file);
    bytes = read_file(path, &len);
    if (!bytes) { err->msg = "cannot read module file"; return WASM_ERR_MALFORMED; }
    bufs[nbufs++ % 4096] = bytes;
    buf = malloc(len * 64 + (1u << 20));
    if (!buf) { err->msg = "runner: out of host memory"; return WASM_ERR_NOMEM; }
    arenas[narenas++ % 4096] = buf;
    wasm_arena_init(&a, buf, len * 64 + (1u << 20));
    return wasm_load(m, bytes, len, &a, err);
}

static wasm_status instantiate(wasm_module *m, wasm_instance **inst, wasm_error *err)
{
    wasm_arena a;
    wasm_limits lim;
    uint32_t mn = 0, mx = 0;
    size_t bytes = INST_ARENA_EXTRA;
    void *buf;
    if (wasm_module_memory(m, &mn, &mx)) bytes += (size_t)(mx < MEM_CAP_PAGES ? mx : MEM_CAP_PAGES) * 65536u;
    buf = malloc(bytes);
    if (!buf) { err->msg = "runner: out of host memory"; return WASM_ERR_NOMEM; }
    arenas[narenas++ % 4096] = buf;
    wasm_arena_init(&a, buf, bytes);
    memset(&lim, 0, sizeof lim);
    lim.max_memory_pages = MEM_CAP_PAGES;
    lim.max_table_elems = TABLE_CAP;
    return wasm_instantiate(inst, m, resolve, NULL, &lim, &a, &ex, err);
}

static wasm_instance *find_instance(const char *name)
{
    int i;
    if (!name) return current;
    for (i = nnames - 1; i >= 0; i--) if (!strcmp(names[i].name, name)) return names[i].inst;
    return NULL;
}

static uint64_t parse_u64(const char *s) { return strtoull(s, NULL, 10); }

static int parse_value(const jnode *v, wasm_val *out)
{
    const char *t = json_str(v, "type"), *s = json_str(v, "value");
    out->i64 = 0;
    if (!t) return 0;
    if (!strcmp(t, "i32") || !strcmp(t, "f32")) out->i32 = (uint32_t)parse_u64(s);
    else if (!strcmp(t, "i64") || !strcmp(t, "f64")) out->i64 = parse_u64(s);
    else if (!strcmp(t, "externref")) out->ref = !s || !strcmp(s, "null") ? NULL : (void *)(uintptr_t)(parse_u64(s) + 1);
    else if (!strcmp(t, "funcref")) out->ref = NULL;   /* only null can be written */
    else return 0;
    return 1;
}

/* Does result r match expected e (handles NaN patterns and ref kinds)? */
static int match(const jnode *e, wasm_val r)
{
    const char *t = json_str(e, "type"), *s = json_str(e, "value");
    if (!t) return 0;
    if (!strcmp(t, "i32")) return r.i32 == (uint32_t)parse_u64(s);
    if (!strcmp(t, "i64")) return r.i64 == parse_u64(s);
    if (!strcmp(t, "f32")) {
        if (!strcmp(s, "nan:canonical")) return (r.i32 & 0x7FFFFFFFu) == 0x7FC00000u;
        if (!strcmp(s, "nan:arithmetic")) return (r.i32 & 0x7FC00000u) == 0x7FC00000u;
        return r.i32 == (uint32_t)parse_u64(s);
    }
    if (!strcmp(t, "f64")) {
        if (!strcmp(s, "nan:canonical")) return (r.i64 & 0x7FFFFFFFFFFFFFFFull) == 0x7FF8000000000000ull;
        if (!strcmp(s, "nan:arithmetic")) return (r.i64 & 0x7FF8000000000000ull) == 0x7FF8000000000000ull;
        return r.i64 == parse_u64(s);
    }
    if (!strcmp(t, "externref")) {
        if (!s) return r.ref != NULL;
        if (!strcmp(s, "null")) return r.ref == NULL;
        return r.ref == (void *)(uintptr_t)(parse_u64(s) + 1);
    }
    if (!strcmp(t, "funcref")) {
        if (s && !strcmp(s, "null")) return r.ref == NULL;
        return r.ref != NULL;
    }
    return 0;
}

/* Runs an action; returns WASM_OK / WASM_ERR_TRAP, or -1 if it cannot
 * even be attempted (unknown module/export). */
static int do_action(const jnode *act, wasm_val *res, uint32_t *nres, int line)
{
    const char *type = json_str(act, "type"), *field = json_str(act, "field");
    jnode *fn = json_get(act, "field");
    wasm_instance *inst = find_instance(json_str(act, "module"));
    wasm_extern e;
    if (!inst || !field) { diag(line, "no module for action %s%s", field, ""); return -1; }
    if (!wasm_instance_export(inst, field, (uint32_t)fn->len, &e)) { diag(line, "unknown export %s%s", field, ""); return -1; }
    if (!strcmp(type, "get")) {
        if (e.kind != WASM_EXTERN_GLOBAL) return -1;
        res[0] = e.u.global->v; *nres = 1;
        return WASM_OK;
    }
    if (e.kind != WASM_EXTERN_FUNC) return -1;
    {
        wasm_val args[MAX_VALUES];
        jnode *a = json_get(act, "args");
        uint32_t n = 0;
        for (a = a ? a->kids : NULL; a && n < MAX_VALUES; a = a->next) if (!parse_value(a, &args[n++])) return -1;
        if (n != e.u.func->type->np || e.u.func->type->nr > MAX_VALUES) { diag(line, "arity mismatch for %s%s", field, ""); return -1; }
        *nres = e.u.func->type->nr;
        return wasm_call(&ex, e.u.func, args, n, res, e.u.func->type->nr, -1);
    }
}

static void pass(void) { passed++; }
static void failc(int line, const char *what, const char *detail) { failed++; diag(line, "%s %s", what, detail); }

static void cmd_module(const jnode *c, int line)
{
    wasm_module *m; wasm_instance *inst; wasm_error err;
    const char *name = json_str(c, "name");
    wasm_status st = load_module(json_str(c, "filename"), &m, &err);
    if (st == WASM_OK) st = instantiate(m, &inst, &err);
    if (st != WASM_OK) { current = NULL; failc(line, "module failed:", err.msg); return; }
    current = inst;
    if (name && nnames < MAX_NAMED) { names[nnames].name = strdup(name); names[nnames++].inst = inst; }
    pass();
}

static void run_command(const jnode *c)
{
    const char *type = json_str(c, "type");
    const char *ln = json_str(c, "line");
    int line = ln ? atoi(ln) : 0;
    wasm_val res[MAX_VALUES];
    uint32_t nres = 0, i;
    int st;

    if (!strcmp(type, "module")) { cmd_module(c, line); return; }
    if (!strcmp(type, "register")) {
        wasm_instance *inst = find_instance(json_str(c, "name"));
        if (!inst || nregs >= MAX_NAMED) { failc(line, "register: no module", ""); return; }
        regs[nregs].name = strdup(json_str(c, "as")); regs[nregs++].inst = inst;
        return;
    }
    if (!strcmp(type, "action")) {
        st = do_action(json_get(c, "action"), res, &nres, line);
        if (st == WASM_OK) pass(); else failc(line, "action trapped:", ex.trap_msg);
        return;
    }
    if (!strcmp(type, "assert_return")) {
        jnode *e = json_get(c, "expected");
        st = do_action(json_get(c, "action"), res, &nres, line);
        if (st != WASM_OK) { failc(line, "assert_return trapped:", st == WASM_ERR_TRAP ? ex.trap_msg : "action failed"); return; }
        for (i = 0, e = e ? e->kids : NULL; e; e = e->next, i++)
            if (i >= nres || !match(e, res[i])) { failc(line, "assert_return mismatch", json_str(json_get(c, "action"), "field")); return; }
        if (i != nres) { failc(line, "assert_return result count", ""); return; }
        pass();
        return;
    }
    if (!strcmp(type, "assert_trap") || !strcmp(type, "assert_exhaustion")) {
        const char *text = json_str(c, "text");
        st = do_action(json_get(c, "action"), res, &nres, line);
        if (st != WASM_ERR_TRAP) { failc(line, "expected trap:", text); return; }
        if (strncmp(text, ex.trap_msg, strlen(ex.trap_msg))) { failc(line, "wrong trap:", ex.trap_msg); return; }
        pass();
        return;
    }
    if (!strcmp(type, "assert_malformed") || !strcmp(type, "assert_invalid")) {
        const char *mt = json_str(c, "module_type");
        wasm_module *m; wasm_error err;
        if (mt && strcmp(mt, "binary")) { skipped++; return; }
        st = load_module(json_str(c, "filename"), &m, &err);
        if (st == WASM_OK) failc(line, "module should not load:", json_str(c, "text"));
        else pass();
        return;
    }
    if (!strcmp(type, "assert_unlinkable") || !strcmp(type, "assert_uninstantiable")) {
        int want_trap = !strcmp(type, "assert_uninstantiable");
        wasm_module *m; wasm_instance *inst; wasm_error err;
        st = load_module(json_str(c, "filename"), &m, &err);
        if (st != WASM_OK) { failc(line, "module did not load:", err.msg); return; }
        st = instantiate(m, &inst, &err);
        if (want_trap ? st != WASM_ERR_TRAP : st != WASM_ERR_LINK) { failc(line, "instantiation did not fail as expected:", json_str(c, "text")); return; }
        pass();
        return;
    }
    failc(line, "unknown command", type);
}

int main(int argc, char **argv)
{
    size_t len;
    char *text, *slash;
    const char *err = NULL;
    jnode *root, *cmds, *c;
    static char dirbuf[4096];
    void *exbuf;
    wasm_arena exa;
    size_t exbytes = (size_t)STACK_SLOTS * sizeof(wasm_val) + (size_t)MAX_DEPTH * sizeof(wasm_frame) + 64;

    if (argc < 2) { fprintf(stderr, "usage: %s FILE.json [label]\n", argv[0]); return 2; }
    label = argc > 2 ? argv[2] : argv[1];
    snprintf(dirbuf, sizeof dirbuf, "%s", argv[1]);
    slash = strrchr(dirbuf, '/');
    if (slash) { *slash = 0; dir = dirbuf; } else dir = ".";
    text = (char *)read_file(argv[1], &len);
    if (!text) { printf("%s: 0 passed, 1 failed, 0 skipped (cannot read json)\n", label); return 1; }
    root = json_parse(text, &err);
    if (!root) { printf("%s: 0 passed, 1 failed, 0 skipped (json: %s)\n", label, err); return 1; }
    exbuf = malloc(exbytes);
    wasm_arena_init(&exa, exbuf, exbytes);
    if (wasm_exec_init(&ex, &exa, STACK_SLOTS, MAX_DEPTH) != WASM_OK) return 2;
    spectest_init();
    spectest_reset();
    cmds = json_get(root, "commands");
    for (c = cmds ? cmds->kids : NULL; c; c = c->next) run_command(c);
    printf("%s: %d passed, %d failed, %d skipped\n", label, passed, failed, skipped);
    return failed ? 1 : 0;
}
