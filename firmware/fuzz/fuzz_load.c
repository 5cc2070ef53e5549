/* Fuzz target: parse + validate + compile + instantiate, then call every
 * exported function with zero arguments under a small fuel budget so the
 * pre-decoded code is executed too. All memory comes from static arenas,
 * exactly as on the device. */
#include "wasm.h"
#include <string.h>

#define FUZZ_MODULE_ARENA   (4u << 20)
#define FUZZ_INST_PAGES     4u
#define FUZZ_INST_ARENA     ((FUZZ_INST_PAGES * WASM_PAGE_SIZE) + (1u << 20))
#define FUZZ_STACK_SLOTS    16384u
#define FUZZ_MAX_DEPTH      256u
#define FUZZ_FUEL           20000
#define FUZZ_MAX_CALLS      16u
#define FUZZ_MAX_VALUES     64u

static uint8_t module_arena[FUZZ_MODULE_ARENA];
static uint8_t inst_arena[FUZZ_INST_ARENA];
static uint8_t exec_arena[FUZZ_STACK_SLOTS * sizeof(wasm_val) + FUZZ_MAX_DEPTH * sizeof(wasm_frame) + 64];

static wasm_func host_funcs[4];
static wasm_global host_global;

static wasm_trap host_nop(wasm_exec *ex, void *env, wasm_val *sp)
{
    (void)ex; (void)env; sp[0].i64 = 0;
    return WASM_TRAP_NONE;
}

/* Offers a few fixed imports so modules that import them can link. */
static int resolve(void *ctx, const char *mod, uint32_t mlen, const char *name, uint32_t nlen, wasm_extern *out)
{
    (void)ctx; (void)mod; (void)mlen;
    if (nlen == 1 && name[0] == 'f') { out->kind = WASM_EXTERN_FUNC; out->u.func = &host_funcs[0]; return 1; }
    if (nlen == 1 && name[0] == 'g') { out->kind = WASM_EXTERN_FUNC; out->u.func = &host_funcs[1]; return 1; }
    if (nlen == 1 && name[0] == 'h') { out->kind = WASM_EXTERN_GLOBAL; out->u.global = &host_global; return 1; }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wasm_arena ma, ia, ea;
    wasm_module *m;
    wasm_instance *inst;
    wasm_error err;
    wasm_exec ex;
    wasm_limits lim;
    uint32_t i, n, calls = 0;
    static int init;

    if (!init) {
        wasm_host_func_init(&host_funcs[0], "i:i", host_nop, NULL);
        wasm_host_func_init(&host_funcs[1], ":", host_nop, NULL);
        host_global.type = WASM_I32;
        init = 1;
    }
    wasm_arena_init(&ma, module_arena, sizeof module_arena);
    wasm_arena_init(&ia, inst_arena, sizeof inst_arena);
    wasm_arena_init(&ea, exec_arena, sizeof exec_arena);
    if (wasm_exec_init(&ex, &ea, FUZZ_STACK_SLOTS, FUZZ_MAX_DEPTH) != WASM_OK) return 0;
    if (wasm_load(&m, data, size, &ma, &err) != WASM_OK) return 0;
    memset(&lim, 0, sizeof lim);
    lim.max_memory_pages = FUZZ_INST_PAGES;
    lim.max_table_elems = 1000;
    lim.start_fuel = FUZZ_FUEL;
    if (wasm_instantiate(&inst, m, resolve, NULL, &lim, &ia, &ex, &err) != WASM_OK) return 0;
    n = wasm_module_export_count(m);
    for (i = 0; i < n && calls < FUZZ_MAX_CALLS; i++) {
        uint32_t len;
        uint8_t kind;
        const char *name = wasm_module_export_name(m, i, &len, &kind);
        wasm_extern e;
        wasm_val args[FUZZ_MAX_VALUES], res[FUZZ_MAX_VALUES];
        if (kind != WASM_EXTERN_FUNC || !wasm_instance_export(inst, name, len, &e)) continue;
        if (e.u.func->type->np > FUZZ_MAX_VALUES || e.u.func->type->nr > FUZZ_MAX_VALUES) continue;
        memset(args, 0, sizeof args);
        wasm_call(&ex, e.u.func, args, e.u.func->type->np, res, e.u.func->type->nr, FUZZ_FUEL);
        calls++;
    }
    return 0;
}
