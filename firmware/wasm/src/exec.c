/* Stage 4: execution of pre-decoded code.
 *
 * Direct threading with computed goto when the compiler supports it (GCC,
 * clang), otherwise a portable switch. Every instruction addresses its
 * operands as byte offsets from the frame pointer, so the interpreter keeps
 * no operand stack pointer and no label stack: branch targets and value
 * moves were resolved by compile.c. Fuel is charged on function entry and
 * at loop headers (the instruction count of the body), which keeps the
 * check off straight-line code while still bounding every execution. */
#include "wasm_int.h"
#include <math.h>

#if defined(__GNUC__) && !defined(WASM_NO_COMPUTED_GOTO)
#define USE_GOTO 1
#endif

#define R(k)    (*(wasm_val *)(void *)((char *)fp + pc[k]))
#define RP(k)   ((wasm_val *)(void *)((char *)fp + pc[k]))
#define IMM64(k) (WCELLS64 == 1 ? (uint64_t)pc[k] : ((uint64_t)pc[k] | ((uint64_t)pc[(k) + (WCELLS64 - 1)] << 32)))

#ifdef USE_GOTO
static const void *const *g_labels;
#endif

const void *const *wasm__labels(void)
{
#ifdef USE_GOTO
    if (!g_labels) wasm__run(NULL, NULL, NULL);
    return g_labels;
#else
    return NULL;
#endif
}

/* ------------------------------------------------------ numeric helpers */
static uint32_t clz32(uint32_t x)
{
#if defined(__GNUC__)
    return x ? (uint32_t)__builtin_clz(x) : 32;
#else
    uint32_t n = 0; if (!x) return 32; while (!(x & 0x80000000u)) { x <<= 1; n++; } return n;
#endif
}
static uint32_t ctz32(uint32_t x)
{
#if defined(__GNUC__)
    return x ? (uint32_t)__builtin_ctz(x) : 32;
#else
    uint32_t n = 0; if (!x) return 32; while (!(x & 1)) { x >>= 1; n++; } return n;
#endif
}
static uint32_t pop32(uint32_t x)
{
    x = x - ((x >> 1) & 0x55555555u);
    x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
    return (((x + (x >> 4)) & 0x0F0F0F0Fu) * 0x01010101u) >> 24;
}
static uint64_t clz64(uint64_t x)
{
    return (x >> 32) ? clz32((uint32_t)(x >> 32)) : 32 + clz32((uint32_t)x);
}
static uint64_t ctz64(uint64_t x)
{
    return (uint32_t)x ? ctz32((uint32_t)x) : 32 + ctz32((uint32_t)(x >> 32));
}
static uint64_t pop64(uint64_t x) { return pop32((uint32_t)x) + pop32((uint32_t)(x >> 32)); }

/* min/max per spec: NaN in -> NaN out; -0 < +0. */
static float fmin32(float a, float b)
{
    if (a != a || b != b) return a + b;
    if (a == b) { uint32_t x, y; memcpy(&x, &a, 4); memcpy(&y, &b, 4); x |= y; memcpy(&a, &x, 4); return a; }
    return a < b ? a : b;
}
static float fmax32(float a, float b)
{
    if (a != a || b != b) return a + b;
    if (a == b) { uint32_t x, y; memcpy(&x, &a, 4); memcpy(&y, &b, 4); x &= y; memcpy(&a, &x, 4); return a; }
    return a > b ? a : b;
}
static double fmin64(double a, double b)
{
    if (a != a || b != b) return a + b;
    if (a == b) { uint64_t x, y; memcpy(&x, &a, 8); memcpy(&y, &b, 8); x |= y; memcpy(&a, &x, 8); return a; }
    return a < b ? a : b;
}
static double fmax64(double a, double b)
{
    if (a != a || b != b) return a + b;
    if (a == b) { uint64_t x, y; memcpy(&x, &a, 8); memcpy(&y, &b, 8); x &= y; memcpy(&a, &x, 8); return a; }
    return a > b ? a : b;
}

/* Saturating truncations (also the range checks of the trapping ones). */
static uint32_t sat_i32s(double x)
{
    if (x != x) return 0;
    if (x <= -2147483649.0) return 0x80000000u;
    if (x >= 2147483648.0) return 0x7FFFFFFFu;
    return (uint32_t)(int32_t)x;
}
static uint32_t sat_i32u(double x)
{
    if (x != x || x <= -1.0) return 0;
    if (x >= 4294967296.0) return 0xFFFFFFFFu;
    return (uint32_t)x;
}
static uint64_t sat_i64s(double x)
{
    if (x != x) return 0;
    if (x < -9223372036854775808.0) return (uint64_t)1 << 63;
    if (x >= 9223372036854775808.0) return ~((uint64_t)1 << 63);
    return (uint64_t)(int64_t)x;
}
static uint64_t sat_i64u(double x)
{
    if (x != x || x <= -1.0) return 0;
    if (x >= 18446744073709551616.0) return ~(uint64_t)0;
    return (uint64_t)x;
}

static uint32_t memory_grow(wasm_instance *inst, uint32_t delta, wasm_trap *trap)
{
    wasm_memory *m = inst->mem;
    uint32_t old = m->pages;
    uint64_t want = (uint64_t)old + delta;
    if (want > m->max_pages) {
        if (inst->trap_on_memory_cap && want <= m->decl_max) *trap = WASM_TRAP_MEMORY_CAP;
        return 0xFFFFFFFFu;
    }
    memset(m->data + (size_t)old * WASM_PAGE_SIZE, 0, (size_t)delta * WASM_PAGE_SIZE);
    m->pages = (uint32_t)want;
    m->bytes = want * WASM_PAGE_SIZE;
    return old;
}

static uint32_t table_grow(wasm_table *t, void *init, uint32_t n)
{
    uint32_t old = t->size, i;
    if ((uint64_t)old + n > t->cap) return 0xFFFFFFFFu;
    for (i = 0; i < n; i++) t->elems[old + i] = init;
    t->size = old + n;
    return old;
}

/* ------------------------------------------------------------ the loop */
wasm_status wasm__run(wasm_exec *ex, wasm_func *f0, wasm_val *sp)
{
#ifdef USE_GOTO
#define WASM_OP_LABEL(n) &&L_##n,
    static const void *const labels[] = {
        WASM_NUMERIC_OPS(WASM_OP_LABEL) WASM_OTHER_OPS(WASM_OP_LABEL)
    };
#undef WASM_OP_LABEL
#define OPCASE(n) L_##n:
#define NEXT() goto *(const void *)pc[0]
#else
#define OPCASE(n) case OP_##n:
#define NEXT() continue
#endif
    const wcell *pc;
    wasm_val *fp;
    wasm_instance *inst;
    uint8_t *mem;
    uint64_t memsz;
    int64_t fuel;
    wasm_val *stack_end;
    uint32_t base_frames;
    wasm_trap trap;
    wasm_func *fn;
    wasm_val *nfp;
    const wcell *retpc;

#ifdef USE_GOTO
    if (!ex) { g_labels = labels; return WASM_OK; }
#else
    if (!ex) return WASM_OK;
#endif
    stack_end = ex->stack_end;
    base_frames = ex->nframes;
    fuel = ex->fuel;
    fp = NULL; inst = NULL; mem = NULL; memsz = 0;
    fn = f0; nfp = sp; retpc = NULL;
    pc = NULL;

#define LOAD_MEM() do { if (inst->mem) { mem = inst->mem->data; memsz = inst->mem->bytes; } \
                        else { mem = NULL; memsz = 0; } } while (0)
#define TRAP(t) do { trap = (t); goto do_trap; } while (0)

do_call:
    /* fn, nfp (callee frame base) and retpc are set by the caller. */
    if (fn->host) {
        wasm_trap t;
        ex->fuel = fuel;
        ex->caller = inst;
        t = fn->host(ex, fn->env, nfp);
        fuel = ex->fuel;
        if (t != WASM_TRAP_NONE) TRAP(t);
        if (!retpc) return WASM_OK;
        LOAD_MEM();     /* the host may have grown memory */
        pc = retpc;
    } else {
        const wcode *code = (const wcode *)fn->code;
        wasm_frame *fr;
        if (ex->nframes >= ex->max_frames) TRAP(WASM_TRAP_STACK_EXHAUSTED);
        if (code->frame_slots > (size_t)(stack_end - nfp)) TRAP(WASM_TRAP_STACK_EXHAUSTED);
        fuel -= code->fuel;
        if (fuel < 0) TRAP(WASM_TRAP_OUT_OF_FUEL);
        fr = &ex->frames[ex->nframes++];
        fr->pc = retpc; fr->fp = fp; fr->inst = inst;
        if (code->nlocals > fn->type->np)
            memset(nfp + fn->type->np, 0, (code->nlocals - fn->type->np) * sizeof(wasm_val));
        fp = nfp;
        pc = code->code;
        if (fn->inst != inst) { inst = fn->inst; LOAD_MEM(); }
    }

#ifdef USE_GOTO
    NEXT();
#else
    for (;;) switch (pc[0]) {
#endif
#include "exec_ops.h"
#ifndef USE_GOTO
    default: TRAP(WASM_TRAP_UNREACHABLE);
    }
#endif

do_trap:
    ex->trap = trap;
    ex->trap_msg = wasm_trap_message(trap);
    ex->nframes = base_frames;
    ex->fuel = fuel;
    return WASM_ERR_TRAP;
}
