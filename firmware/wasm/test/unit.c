/* Host unit tests for the embedding API and the limits.
 * Usage: unit WASM_DIR   (WASM_DIR holds the .wasm built from test/wat)
 * Prints one line per failed check and "unit: N passed, M failed". */
#include "wasm.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MODULE_ARENA   (1u << 20)
#define INST_PAGES     4u
#define INST_ARENA     (INST_PAGES * WASM_PAGE_SIZE + (256u << 10))
#define STACK_SLOTS    8192u
#define MAX_DEPTH      500u
#define EXEC_ARENA     (STACK_SLOTS * sizeof(wasm_val) + MAX_DEPTH * sizeof(wasm_frame) + 64)

static int passed, failed;
static const char *wasm_dir;

#define CHECK(cond) do { if (cond) passed++; else { failed++; \
    fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); } } while (0)

static uint8_t module_buf[MODULE_ARENA], inst_buf[INST_ARENA], exec_buf[EXEC_ARENA];

typedef struct {
    uint8_t *bytes;
    wasm_module *m;
    wasm_instance *inst;
    wasm_exec ex;
    wasm_error err;
    wasm_status load_status, inst_status;
} env;

static uint8_t *read_wasm(const char *name, size_t *len)
{
    char path[1024];
    FILE *f;
    long n;
    uint8_t *b;
    snprintf(path, sizeof path, "%s/%s.wasm", wasm_dir, name);
    f = fopen(path, "rb");
    if (!f) { fprintf(stderr, "cannot open %s\n", path); return NULL; }
    fseek(f, 0, SEEK_END); n = ftell(f); fseek(f, 0, SEEK_SET);
    b = malloc((size_t)n);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) { free(b); b = NULL; }
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* ---- host functions for basic.wasm */
static int host_calls;
static wasm_trap host_add3(wasm_exec *ex, void *envp, wasm_val *sp)
{
    (void)ex; (void)envp;
    host_calls++;
    sp[0].i32 = sp[0].i32 + sp[1].i32 + sp[2].i32;
    return WASM_TRAP_NONE;
}
static wasm_trap host_fail(wasm_exec *ex, void *envp, wasm_val *sp)
{
    (void)ex; (void)envp; (void)sp;
    return WASM_TRAP_HOST;
}
/* Reads a NUL-terminated string from the caller's memory, bounds checked. */
static wasm_trap host_strlen(wasm_exec *ex, void *envp, wasm_val *sp)
{
    wasm_memory *mem = wasm_exec_memory(ex);
    uint64_t p = sp[0].i32, n = 0;
    (void)envp;
    if (!mem) return WASM_TRAP_HOST;
    while (p + n < mem->bytes && mem->data[p + n]) n++;
    if (p + n >= mem->bytes) return WASM_TRAP_MEMORY_OOB;
    sp[0].i32 = (uint32_t)n;
    return WASM_TRAP_NONE;
}
static wasm_func hf_add3, hf_fail, hf_wrong, hf_strlen;

static int resolve(void *ctx, const char *mod, uint32_t mlen, const char *name, uint32_t nlen, wasm_extern *out)
{
    int wrong = ctx != NULL;
    if (mlen != 3 || memcmp(mod, "env", 3)) return 0;
    out->kind = WASM_EXTERN_FUNC;
    if (nlen == 4 && !memcmp(name, "add3", 4)) { out->u.func = wrong ? &hf_wrong : &hf_add3; return 1; }
    if (nlen == 4 && !memcmp(name, "fail", 4)) { out->u.func = &hf_fail; return 1; }
    if (nlen == 6 && !memcmp(name, "strlen", 6)) { out->u.func = &hf_strlen; return 1; }
    return 0;
}

/* Fresh arenas each time: this is how the app manager recycles a slot. */
static void open_env(env *e, const char *name, const wasm_limits *lim, void *resolve_ctx)
{
    wasm_arena ma, ia, ea;
    size_t len = 0;
    memset(e, 0, sizeof *e);
    wasm_arena_init(&ma, module_buf, sizeof module_buf);
    wasm_arena_init(&ia, inst_buf, sizeof inst_buf);
    wasm_arena_init(&ea, exec_buf, sizeof exec_buf);
    wasm_exec_init(&e->ex, &ea, STACK_SLOTS, MAX_DEPTH);
    e->bytes = read_wasm(name, &len);
    if (!e->bytes) { e->load_status = e->inst_status = WASM_ERR_MALFORMED; return; }
    e->load_status = wasm_load(&e->m, e->bytes, len, &ma, &e->err);
    if (e->load_status != WASM_OK) { e->inst_status = e->load_status; return; }
    e->inst_status = wasm_instantiate(&e->inst, e->m, resolve, resolve_ctx, lim, &ia, &e->ex, &e->err);
}

static void close_env(env *e) { free(e->bytes); e->bytes = NULL; }

static wasm_status call(env *e, const char *name, const wasm_val *args, wasm_val *res, int64_t fuel)
{
    wasm_func *f = e->inst ? wasm_instance_func(e->inst, name) : NULL;
    if (!f) { fprintf(stderr, "no export %s\n", name); return WASM_ERR_LINK; }
    return wasm_call(&e->ex, f, args, f->type->np, res, f->type->nr, fuel);
}

static void test_basic(void)
{
    env e;
    wasm_val a[2], r[2];
    open_env(&e, "basic", NULL, NULL);
    CHECK(e.load_status == WASM_OK);
    CHECK(e.inst_status == WASM_OK);
    if (e.inst_status != WASM_OK) { close_env(&e); return; }
    a[0].i32 = 2; a[1].i32 = 40;
    CHECK(call(&e, "add", a, r, -1) == WASM_OK && r[0].i32 == 42);
    a[0].i32 = 5;
    CHECK(call(&e, "host_sum", a, r, 1000) == WASM_OK && r[0].i32 == 115 && host_calls == 1);
    CHECK(call(&e, "host_fail", a, r, 1000) == WASM_ERR_TRAP && e.ex.trap == WASM_TRAP_HOST);
    a[0].i32 = 7; a[1].i32 = 0;
    CHECK(call(&e, "div", a, r, -1) == WASM_ERR_TRAP && e.ex.trap == WASM_TRAP_DIV_ZERO);
    CHECK(strcmp(e.ex.trap_msg, "integer divide by zero") == 0);
    a[0].i32 = 0x80000000u; a[1].i32 = 0xFFFFFFFFu;
    CHECK(call(&e, "div", a, r, -1) == WASM_ERR_TRAP && e.ex.trap == WASM_TRAP_INT_OVERFLOW);
    a[0].i32 = 65533;
    CHECK(call(&e, "load", a, r, -1) == WASM_ERR_TRAP && e.ex.trap == WASM_TRAP_MEMORY_OOB);
    a[0].i32 = 65532;
    CHECK(call(&e, "load", a, r, -1) == WASM_OK && r[0].i32 == 0);
    CHECK(call(&e, "boom", a, r, -1) == WASM_ERR_TRAP && e.ex.trap == WASM_TRAP_UNREACHABLE);
    a[0].i32 = 0; a[1].i32 = 9;          /* table index, argument */
    CHECK(call(&e, "indirect", a, r, -1) == WASM_OK && r[0].i32 == 81);
    a[0].i32 = 1;
    CHECK(call(&e, "indirect", a, r, -1) == WASM_ERR_TRAP && e.ex.trap == WASM_TRAP_UNINITIALIZED_ELEMENT);
    a[0].i32 = 2;
    CHECK(call(&e, "indirect", a, r, -1) == WASM_ERR_TRAP && e.ex.trap == WASM_TRAP_UNDEFINED_ELEMENT);
    CHECK(call(&e, "bump", a, r, -1) == WASM_OK && r[0].i32 == 1);
    CHECK(call(&e, "bump", a, r, -1) == WASM_OK && r[0].i32 == 2);
    a[0].i64 = 20;
    CHECK(call(&e, "fac64", a, r, -1) == WASM_OK && r[0].i64 == 2432902008176640000ull);
    a[0].i32 = 1; a[1].i32 = 2;
    CHECK(call(&e, "swap", a, r, -1) == WASM_OK && r[0].i32 == 2 && r[1].i32 == 1);
    CHECK(call(&e, "host_strlen", a, r, 1000) == WASM_OK && r[0].i32 == 13);
    {
        wasm_extern x;
        CHECK(wasm_instance_export(e.inst, "mem", 3, &x) && x.kind == WASM_EXTERN_MEMORY && x.u.mem->pages == 1);
    }
    close_env(&e);

    /* a host function with the wrong signature must not link */
    open_env(&e, "basic", NULL, (void *)1);
    CHECK(e.load_status == WASM_OK && e.inst_status == WASM_ERR_LINK);
    close_env(&e);
}

static void test_spin(void)
{
    env e;
    wasm_val a[1], r[1];
    int64_t used_small, used_big;
    open_env(&e, "spin", NULL, NULL);
    CHECK(e.inst_status == WASM_OK);
    if (e.inst_status != WASM_OK) { close_env(&e); return; }
    CHECK(call(&e, "spin", a, r, 1000000) == WASM_ERR_TRAP && e.ex.trap == WASM_TRAP_OUT_OF_FUEL);
    CHECK(strcmp(e.ex.trap_msg, "out of fuel") == 0);
    /* the same instance keeps working after the trap */
    a[0].i32 = 1000;
    CHECK(call(&e, "count", a, r, 1000000) == WASM_OK && r[0].i32 == 1000);
    used_small = 1000000 - e.ex.fuel;
    a[0].i32 = 100000;
    CHECK(call(&e, "count", a, r, 100000000) == WASM_OK && r[0].i32 == 100000);
    used_big = 100000000 - e.ex.fuel;
    /* fuel is proportional to work done (100x iterations ~ 100x fuel) */
    CHECK(used_big > used_small * 90 && used_big < used_small * 110);
    /* and too little fuel stops a finite loop too */
    CHECK(call(&e, "count", a, r, used_big / 2) == WASM_ERR_TRAP && e.ex.trap == WASM_TRAP_OUT_OF_FUEL);
    close_env(&e);
}

static void test_grow(void)
{
    env e;
    wasm_val r[1];
    wasm_limits lim;
    memset(&lim, 0, sizeof lim);
    lim.max_memory_pages = INST_PAGES;
    /* default policy: memory.grow past the cap returns -1 */
    open_env(&e, "grow", &lim, NULL);
    CHECK(e.inst_status == WASM_OK);
    if (e.inst_status == WASM_OK) {
        CHECK(call(&e, "grow_all", NULL, r, 1000000) == WASM_OK && r[0].i32 == INST_PAGES - 1);
        CHECK(wasm_instance_memory(e.inst)->pages == INST_PAGES);
        CHECK(call(&e, "touch_last", NULL, r, 1000) == WASM_OK && r[0].i32 == 77);
    }
    close_env(&e);
    /* trapping policy: growing past the cap traps with its own reason */
    lim.trap_on_memory_cap = 1;
    open_env(&e, "grow", &lim, NULL);
    CHECK(e.inst_status == WASM_OK);
    if (e.inst_status == WASM_OK) {
        CHECK(call(&e, "grow_all", NULL, r, 1000000) == WASM_ERR_TRAP && e.ex.trap == WASM_TRAP_MEMORY_CAP);
        CHECK(wasm_instance_memory(e.inst)->pages == INST_PAGES);
    }
    close_env(&e);
    /* a module whose initial memory exceeds the cap is refused */
    lim.max_memory_pages = 0;   /* default cap: 1 page; grow.wat needs 1 */
    open_env(&e, "grow", &lim, NULL);
    CHECK(e.inst_status == WASM_OK);
    close_env(&e);
}

static void test_recurse(void)
{
    env e;
    wasm_val a[1], r[1];
    open_env(&e, "recurse", NULL, NULL);
    CHECK(e.inst_status == WASM_OK);
    if (e.inst_status != WASM_OK) { close_env(&e); return; }
    CHECK(call(&e, "rec", a, r, -1) == WASM_ERR_TRAP && e.ex.trap == WASM_TRAP_STACK_EXHAUSTED);
    CHECK(strcmp(e.ex.trap_msg, "call stack exhausted") == 0);
    CHECK(e.ex.nframes == 0);
    a[0].i64 = 0;
    CHECK(call(&e, "rec_locals", a, r, -1) == WASM_ERR_TRAP && e.ex.trap == WASM_TRAP_STACK_EXHAUSTED);
    close_env(&e);
}

static void test_next_module_after_traps(void)
{
    /* After each of the three runaway modules, the host loads another
     * module into the same arenas and it works. */
    env e;
    wasm_val a[2], r[1];
    wasm_limits lim;
    memset(&lim, 0, sizeof lim);
    lim.max_memory_pages = INST_PAGES;
    lim.trap_on_memory_cap = 1;
    open_env(&e, "spin", NULL, NULL);
    CHECK(call(&e, "spin", a, r, 50000) == WASM_ERR_TRAP && e.ex.trap == WASM_TRAP_OUT_OF_FUEL);
    close_env(&e);
    open_env(&e, "grow", &lim, NULL);
    CHECK(call(&e, "grow_all", NULL, r, 1000000) == WASM_ERR_TRAP && e.ex.trap == WASM_TRAP_MEMORY_CAP);
    close_env(&e);
    open_env(&e, "recurse", NULL, NULL);
    CHECK(call(&e, "rec", a, r, -1) == WASM_ERR_TRAP && e.ex.trap == WASM_TRAP_STACK_EXHAUSTED);
    close_env(&e);
    open_env(&e, "basic", NULL, NULL);
    a[0].i32 = 20; a[1].i32 = 22;
    CHECK(e.inst_status == WASM_OK && call(&e, "add", a, r, 100) == WASM_OK && r[0].i32 == 42);
    close_env(&e);
}

static void test_errors(void)
{
    static const uint8_t truncated[] = { 0, 'a', 's', 'm', 1, 0, 0, 0, 1, 5, 1, 0x60 };
    static const uint8_t badmagic[] = { 0, 'a', 's', 'x', 1, 0, 0, 0 };
    static const uint8_t empty[] = { 0, 'a', 's', 'm', 1, 0, 0, 0 };
    static uint8_t tiny[256];
    wasm_arena a;
    wasm_module *m;
    wasm_error err;
    env e;

    wasm_arena_init(&a, module_buf, sizeof module_buf);
    CHECK(wasm_load(&m, truncated, sizeof truncated, &a, &err) == WASM_ERR_MALFORMED && err.msg);
    CHECK(wasm_load(&m, badmagic, sizeof badmagic, &a, &err) == WASM_ERR_MALFORMED);
    CHECK(a.lo == 0 && a.hi == 0);       /* failed loads give the arena back */
    CHECK(wasm_load(&m, empty, sizeof empty, &a, &err) == WASM_OK);
    open_env(&e, "invalid", NULL, NULL);
    CHECK(e.load_status == WASM_ERR_INVALID);
    close_env(&e);
    {
        /* an arena too small fails cleanly */
        size_t len;
        uint8_t *b = read_wasm("basic", &len);
        wasm_arena_init(&a, tiny, sizeof tiny);
        CHECK(b && wasm_load(&m, b, len, &a, &err) == WASM_ERR_NOMEM);
        free(b);
    }
}

static void test_deep(void)
{
    env e;
    wasm_val a[1], r[1];
    open_env(&e, "deep", NULL, NULL);
    CHECK(e.load_status == WASM_OK && e.inst_status == WASM_OK);
    if (e.inst_status == WASM_OK) {
        a[0].i32 = 2;
        CHECK(call(&e, "deep", a, r, -1) == WASM_OK && r[0].i32 == 42);
        CHECK(call(&e, "wide", a, r, -1) == WASM_OK && r[0].i32 == 150 * 151 / 2);
    }
    close_env(&e);
}

/* wasm_call never trusts the caller's idea of a function's type: a count that
 * differs from the type, or a NULL array for a non-zero count, is refused
 * before anything runs (the device once called a module's init(...) -> 19 x
 * i64 with results = NULL, and the interpreter wrote them to address 0). */
static void test_call_checks_type(void)
{
    env e;
    wasm_val a[2], r[2];
    wasm_func *add, *swap;
    open_env(&e, "basic", NULL, NULL);
    if (e.inst_status != WASM_OK) { CHECK(0); close_env(&e); return; }
    add = wasm_instance_func(e.inst, "add");
    swap = wasm_instance_func(e.inst, "swap");
    a[0].i32 = 2; a[1].i32 = 40; r[0].i32 = r[1].i32 = 7;
    CHECK(wasm_call(&e.ex, add, a, 2, NULL, 0, -1) == WASM_ERR_INVALID);
    CHECK(wasm_call(&e.ex, add, a, 2, NULL, 1, -1) == WASM_ERR_INVALID);
    CHECK(wasm_call(&e.ex, add, NULL, 2, r, 1, -1) == WASM_ERR_INVALID && r[0].i32 == 7);
    CHECK(wasm_call(&e.ex, add, NULL, 0, r, 1, -1) == WASM_ERR_INVALID && r[0].i32 == 7);
    CHECK(wasm_call(&e.ex, add, a, 1, r, 1, -1) == WASM_ERR_INVALID && r[0].i32 == 7);
    CHECK(wasm_call(&e.ex, swap, a, 2, r, 1, -1) == WASM_ERR_INVALID && r[1].i32 == 7);
    CHECK(e.ex.trap_msg && strstr(e.ex.trap_msg, "type") != NULL);
    CHECK(wasm_call(&e.ex, add, a, 2, r, 1, -1) == WASM_OK && r[0].i32 == 42);
    CHECK(wasm_call(&e.ex, swap, a, 2, r, 2, -1) == WASM_OK && r[0].i32 == 40 && r[1].i32 == 2);
    CHECK(wasm_func_has_sig(add, "ii:i") && !wasm_func_has_sig(add, "ii:") && !wasm_func_has_sig(add, "i:i"));
    CHECK(!wasm_func_has_sig(add, "ii:I") && !wasm_func_has_sig(add, "iii:i") && !wasm_func_has_sig(add, "ii"));
    CHECK(wasm_func_has_sig(swap, "ii:ii") && !wasm_func_has_sig(NULL, ":"));
    CHECK(wasm_functype_is(wasm_module_export_functype(e.m, "fac64"), "I:I"));
    CHECK(wasm_functype_is(wasm_module_export_functype(e.m, "boom"), ":"));
    CHECK(wasm_module_export_functype(e.m, "mem") == NULL && wasm_module_export_functype(e.m, "nope") == NULL);
    close_env(&e);
}

int main(int argc, char **argv)
{
    wasm_dir = argc > 1 ? argv[1] : "build/test-wasm";
    wasm_host_func_init(&hf_add3, "iii:i", host_add3, NULL);
    wasm_host_func_init(&hf_fail, ":", host_fail, NULL);
    wasm_host_func_init(&hf_wrong, "ii:i", host_add3, NULL);
    wasm_host_func_init(&hf_strlen, "i:i", host_strlen, NULL);
    test_basic();
    test_spin();
    test_grow();
    test_recurse();
    test_next_module_after_traps();
    test_errors();
    test_deep();
    test_call_checks_type();
    printf("unit: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
