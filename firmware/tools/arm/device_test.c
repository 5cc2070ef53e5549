/* Runs on a Cortex-M3 (QEMU mps2-an385, semihosting output): loads the test
 * modules from flash, checks results and the three limit traps, and loads
 * the next module after each trap. Prints "device: N passed, M failed". */
#include "wasm.h"
#include "test_modules.h"   /* generated: fib, spin, grow, recurse */
#include <stdio.h>
#include <string.h>

#define MODULE_ARENA (16u << 10)
#define INST_ARENA   (3u * WASM_PAGE_SIZE + (8u << 10))
#define STACK_SLOTS  2048u
#define MAX_DEPTH    200u
#define EXEC_ARENA   (STACK_SLOTS * sizeof(wasm_val) + MAX_DEPTH * sizeof(wasm_frame) + 64)

static uint8_t module_buf[MODULE_ARENA], inst_buf[INST_ARENA], exec_buf[EXEC_ARENA];
static int passed, failed;
#define CHECK(c) do { if (c) passed++; else { failed++; printf("FAIL line %d: %s\n", __LINE__, #c); } } while (0)

static wasm_exec ex;
static wasm_instance *inst;

static int open_module(const uint8_t *bytes, size_t len, const wasm_limits *lim)
{
    wasm_arena ma, ia, ea;
    wasm_module *m;
    wasm_error err;
    wasm_arena_init(&ma, module_buf, sizeof module_buf);
    wasm_arena_init(&ia, inst_buf, sizeof inst_buf);
    wasm_arena_init(&ea, exec_buf, sizeof exec_buf);
    if (wasm_exec_init(&ex, &ea, STACK_SLOTS, MAX_DEPTH) != WASM_OK) return 0;
    if (wasm_load(&m, bytes, len, &ma, &err) != WASM_OK) { printf("load: %s\n", err.msg); return 0; }
    if (wasm_instantiate(&inst, m, NULL, NULL, lim, &ia, &ex, &err) != WASM_OK) { printf("inst: %s\n", err.msg); return 0; }
    printf("module %u bytes: arena used %u bytes\n", (unsigned)len, (unsigned)ma.lo);
    return 1;
}

static wasm_status run(const char *name, uint32_t arg, wasm_val *r, int64_t fuel)
{
    wasm_val a[1];
    wasm_func *f = wasm_instance_func(inst, name);
    a[0].i32 = arg;
    return f ? wasm_call(&ex, f, a, f->type->np, r, f->type->nr, fuel) : WASM_ERR_LINK;
}

int main(void)
{
    wasm_val r[1];
    wasm_limits lim;
    int round;
    memset(&lim, 0, sizeof lim);
    for (round = 0; round < 2; round++) {
        CHECK(open_module(fib_wasm, sizeof fib_wasm, NULL));
        CHECK(run("fib", 20, r, -1) == WASM_OK && r[0].i32 == 6765);
        printf("fib(20) = %u\n", (unsigned)r[0].i32);

        CHECK(open_module(spin_wasm, sizeof spin_wasm, NULL));
        CHECK(run("spin", 0, r, 100000) == WASM_ERR_TRAP && ex.trap == WASM_TRAP_OUT_OF_FUEL);
        printf("spin: %s\n", ex.trap_msg ? ex.trap_msg : "no trap");

        lim.max_memory_pages = 3; lim.trap_on_memory_cap = 1;
        CHECK(open_module(grow_wasm, sizeof grow_wasm, &lim));
        CHECK(run("grow_all", 0, r, 100000) == WASM_ERR_TRAP && ex.trap == WASM_TRAP_MEMORY_CAP);
        printf("grow: %s\n", ex.trap_msg ? ex.trap_msg : "no trap");

        CHECK(open_module(recurse_wasm, sizeof recurse_wasm, NULL));
        CHECK(run("rec", 0, r, -1) == WASM_ERR_TRAP && ex.trap == WASM_TRAP_STACK_EXHAUSTED);
        printf("recurse: %s\n", ex.trap_msg ? ex.trap_msg : "no trap");
    }
    printf("device: %d passed, %d failed\n", passed, failed);
    return failed != 0;
}
