/* wasm-run: load a module, call one export with no arguments and print the
 * result in wasm-interp's format, e.g. "run() => i32:42". Used by the
 * benchmark script. Usage: wasm-run FILE.wasm [EXPORT] [FUEL] */
#include "wasm.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUN_MODULE_ARENA  (16u << 20)
#define RUN_MEM_PAGES     1024u
#define RUN_INST_ARENA    ((size_t)RUN_MEM_PAGES * WASM_PAGE_SIZE + (4u << 20))
#define RUN_STACK_SLOTS   (1u << 20)
#define RUN_MAX_DEPTH     100000u

int main(int argc, char **argv)
{
    const char *exp = argc > 2 ? argv[2] : "run";
    int64_t fuel = argc > 3 ? strtoll(argv[3], NULL, 10) : -1;
    FILE *f;
    long n;
    uint8_t *bytes;
    wasm_arena ma, ia, ea;
    wasm_module *m;
    wasm_instance *inst;
    wasm_exec ex;
    wasm_error err;
    wasm_limits lim;
    wasm_func *fn;
    wasm_val res[16];
    wasm_status st;
    size_t exbytes = (size_t)RUN_STACK_SLOTS * sizeof(wasm_val) + (size_t)RUN_MAX_DEPTH * sizeof(wasm_frame) + 64;

    if (argc < 2) { fprintf(stderr, "usage: %s FILE.wasm [EXPORT] [FUEL]\n", argv[0]); return 2; }
    f = fopen(argv[1], "rb");
    if (!f) { perror(argv[1]); return 2; }
    fseek(f, 0, SEEK_END); n = ftell(f); fseek(f, 0, SEEK_SET);
    bytes = malloc((size_t)n);
    if (!bytes || fread(bytes, 1, (size_t)n, f) != (size_t)n) { fprintf(stderr, "read error\n"); return 2; }
    fclose(f);
    {
        /* WASM_RUN_MODULE_ARENA=bytes lets scripts find the smallest arena
         * a module loads in (peak = kept data + compile scratch). */
        const char *ms = getenv("WASM_RUN_MODULE_ARENA");
        size_t mbytes = ms ? (size_t)strtoull(ms, NULL, 10) : RUN_MODULE_ARENA;
        wasm_arena_init(&ma, malloc(mbytes), mbytes);
    }
    wasm_arena_init(&ia, malloc(RUN_INST_ARENA), RUN_INST_ARENA);
    wasm_arena_init(&ea, malloc(exbytes), exbytes);
    if (wasm_exec_init(&ex, &ea, RUN_STACK_SLOTS, RUN_MAX_DEPTH) != WASM_OK) return 2;
    if ((st = wasm_load(&m, bytes, (size_t)n, &ma, &err)) != WASM_OK) { fprintf(stderr, "load failed: %s\n", err.msg); return 1; }
    memset(&lim, 0, sizeof lim);
    lim.max_memory_pages = RUN_MEM_PAGES;
    lim.max_table_elems = 65536;
    if ((st = wasm_instantiate(&inst, m, NULL, NULL, &lim, &ia, &ex, &err)) != WASM_OK) { fprintf(stderr, "instantiate failed: %s\n", err.msg); return 1; }
    if (getenv("WASM_RUN_STATS"))
        fprintf(stderr, "module %ld bytes: module arena %zu bytes kept, instance arena %zu bytes\n",
                n, ma.lo, ia.lo);
    if (!strcmp(exp, "--all")) {
        /* Like wasm-interp --run-all-exports: every export without params,
         * in order; used for differential testing. */
        uint32_t i, k, len;
        uint8_t kind;
        for (i = 0; i < wasm_module_export_count(m); i++) {
            const char *name = wasm_module_export_name(m, i, &len, &kind);
            wasm_extern e;
            if (kind != WASM_EXTERN_FUNC || !wasm_instance_export(inst, name, len, &e)) continue;
            if (e.u.func->type->np != 0 || e.u.func->type->nr > 16) continue;
            printf("%.*s() =>", (int)len, name);
            if (wasm_call(&ex, e.u.func, NULL, 0, res, e.u.func->type->nr, fuel) != WASM_OK) { printf(" error: %s\n", ex.trap_msg); continue; }
            for (k = 0; k < e.u.func->type->nr; k++) {
                uint8_t t = e.u.func->type->r[k];
                if (t == WASM_I32) printf("%s i32:%u", k ? "," : "", res[k].i32);
                else if (t == WASM_I64) printf("%s i64:%llu", k ? "," : "", (unsigned long long)res[k].i64);
                else printf("%s other", k ? "," : "");
            }
            printf("\n");
        }
        return 0;
    }
    fn = wasm_instance_func(inst, exp);
    if (!fn || fn->type->np != 0 || fn->type->nr > 16) { fprintf(stderr, "no export %s() with no params\n", exp); return 1; }
    st = wasm_call(&ex, fn, NULL, 0, res, fn->type->nr, fuel);
    if (st != WASM_OK) { printf("%s() => error: %s\n", exp, ex.trap_msg); return 1; }
    printf("%s() =>", exp);
    if (fn->type->nr) {
        uint8_t t = fn->type->r[0];
        if (t == WASM_I32) printf(" i32:%u", res[0].i32);
        else if (t == WASM_I64) printf(" i64:%llu", (unsigned long long)res[0].i64);
        else if (t == WASM_F32) printf(" f32:%g", (double)res[0].f32);
        else if (t == WASM_F64) printf(" f64:%g", res[0].f64);
    }
    printf("\n");
    return 0;
}
