/* Internal structures shared by the stages (parse, compile, exec, env). */
#ifndef WASMBED_WASM_INT_H
#define WASMBED_WASM_INT_H

#include "wasm.h"
#include <string.h>

/* One cell of pre-decoded code: a handler address (computed goto) or op
 * number (switch build), followed by operands. Operands are frame byte
 * offsets, immediates, or absolute code addresses for branch targets. */
typedef uintptr_t wcell;

/* 64-bit immediates take two cells on 32-bit targets. */
#define WCELLS64 ((sizeof(wcell) >= 8) ? 1u : 2u)

/* ---- Byte reader: every read is bounds checked; the first error sticks. */
typedef struct {
    const uint8_t *p, *end, *start;
    const char *err;
} wrd;

int      rd_u8(wrd *r, uint8_t *v);
int      rd_u32(wrd *r, uint32_t *v);
int      rd_s32(wrd *r, int32_t *v);
int      rd_s33(wrd *r, int64_t *v);
int      rd_s64(wrd *r, int64_t *v);
int      rd_bytes(wrd *r, uint32_t n, const uint8_t **out);
int      rd_fail(wrd *r, const char *msg);

/* ---- Module description (all arrays live in the module arena). */
typedef struct {           /* constant expression, already decoded */
    uint8_t  op;           /* 0x41 0x42 0x43 0x44 0xD0 0xD2 0x23 */
    uint8_t  type;
    uint32_t idx;
    wasm_val v;
} wconst;

typedef struct {
    const uint8_t *mod, *name;
    uint32_t mlen, nlen;
    uint8_t  kind;
    uint32_t idx;          /* func: type index; else index in its space */
} wimport;

typedef struct { uint8_t elemtype, has_max; uint32_t min, max; } wtabletype;
typedef struct { uint8_t has_max; uint32_t min, max; } wmemtype;
typedef struct { uint8_t type, mut; wconst init; } wglobaltype;
typedef struct { const uint8_t *name; uint32_t nlen; uint8_t kind; uint32_t idx; } wexport;

enum { SEG_ACTIVE = 0, SEG_PASSIVE = 1, SEG_DECLARATIVE = 2 };
typedef struct {
    uint8_t  mode, type;
    uint32_t table, n;
    wconst   offset;
    wconst  *items;
} welem;
typedef struct {
    uint8_t  mode;
    uint32_t len;
    wconst   offset;
    const uint8_t *data;
} wdata;

typedef struct wasm_code {
    const wcell   *code;
    const uint8_t *body, *body_end;  /* local decls + expression */
    uint32_t nlocals;       /* params + locals */
    uint32_t frame_slots;   /* locals + max operand height */
    uint32_t fuel;          /* charged on entry */
} wcode;

struct wasm_module {
    const uint8_t *bytes;
    size_t len;
    uint32_t ntypes;       wasm_functype *types;
    uint32_t nimports;     wimport *imports;
    uint32_t nfuncs, nfunc_imports;     uint32_t *func_types;
    wcode   *codes;
    uint32_t ntables, ntable_imports;   wtabletype *tables;
    uint32_t nmems, nmem_imports;       wmemtype *mems;
    uint32_t nglobals, nglobal_imports; wglobaltype *globals;
    uint32_t nexports;     wexport *exports;
    uint32_t nelems;       welem *elems;
    uint32_t ndatas;       wdata *datas;
    int      has_datacount;
    uint32_t datacount;
    int64_t  start;        /* -1 if none */
    uint8_t *func_declared; /* bitmap: may appear in ref.func */
};

struct wasm_instance {
    const wasm_module *mod;
    wasm_func   **funcs;
    wasm_table  **tables;
    wasm_memory  *mem;
    wasm_global **globals;
    void       ***elem_refs;   /* evaluated element segments */
    uint32_t     *elem_len;    /* 0 once dropped */
    uint8_t      *data_dropped;
    wasm_exec    *ex;
    int           trap_on_memory_cap;
};

/* ---- Stage entry points */
wasm_status wasm__parse(wasm_module **out, const uint8_t *bytes, size_t len,
                        wasm_arena *a, wasm_error *err);
void       *arena_scratch(wasm_arena *a, size_t n);   /* from the top */
int         wasm__compile_function(wasm_module *m, uint32_t fidx,
                                   wasm_arena *a, wasm_error *err);
const void *const *wasm__labels(void);               /* handler table */
wasm_status wasm__run(wasm_exec *ex, wasm_func *f, wasm_val *sp);
int         wasm__functype_eq(const wasm_functype *a, const wasm_functype *b);
int         wasm__const_eval(wasm_instance *inst, const wconst *c, wasm_val *out);

/* Memory and table operations shared by exec and instantiation. */
wasm_trap   wasm__table_init(wasm_instance *inst, uint32_t t, uint32_t seg,
                             uint32_t d, uint32_t s, uint32_t n);
wasm_trap   wasm__memory_init(wasm_instance *inst, uint32_t seg,
                              uint32_t d, uint32_t s, uint32_t n);

/* ---- Internal operation set (X-macro: name). The numeric ops keep the
 * order of their wasm opcodes (0x45..0xC4) so that compile can map them
 * by arithmetic. */
#define WASM_NUMERIC_OPS(X) \
 X(i32_eqz) X(i32_eq) X(i32_ne) X(i32_lt_s) X(i32_lt_u) X(i32_gt_s) X(i32_gt_u) \
 X(i32_le_s) X(i32_le_u) X(i32_ge_s) X(i32_ge_u) \
 X(i64_eqz) X(i64_eq) X(i64_ne) X(i64_lt_s) X(i64_lt_u) X(i64_gt_s) X(i64_gt_u) \
 X(i64_le_s) X(i64_le_u) X(i64_ge_s) X(i64_ge_u) \
 X(f32_eq) X(f32_ne) X(f32_lt) X(f32_gt) X(f32_le) X(f32_ge) \
 X(f64_eq) X(f64_ne) X(f64_lt) X(f64_gt) X(f64_le) X(f64_ge) \
 X(i32_clz) X(i32_ctz) X(i32_popcnt) X(i32_add) X(i32_sub) X(i32_mul) \
 X(i32_div_s) X(i32_div_u) X(i32_rem_s) X(i32_rem_u) X(i32_and) X(i32_or) \
 X(i32_xor) X(i32_shl) X(i32_shr_s) X(i32_shr_u) X(i32_rotl) X(i32_rotr) \
 X(i64_clz) X(i64_ctz) X(i64_popcnt) X(i64_add) X(i64_sub) X(i64_mul) \
 X(i64_div_s) X(i64_div_u) X(i64_rem_s) X(i64_rem_u) X(i64_and) X(i64_or) \
 X(i64_xor) X(i64_shl) X(i64_shr_s) X(i64_shr_u) X(i64_rotl) X(i64_rotr) \
 X(f32_abs) X(f32_neg) X(f32_ceil) X(f32_floor) X(f32_trunc) X(f32_nearest) \
 X(f32_sqrt) X(f32_add) X(f32_sub) X(f32_mul) X(f32_div) X(f32_min) \
 X(f32_max) X(f32_copysign) \
 X(f64_abs) X(f64_neg) X(f64_ceil) X(f64_floor) X(f64_trunc) X(f64_nearest) \
 X(f64_sqrt) X(f64_add) X(f64_sub) X(f64_mul) X(f64_div) X(f64_min) \
 X(f64_max) X(f64_copysign) \
 X(i32_wrap_i64) X(i32_trunc_f32_s) X(i32_trunc_f32_u) X(i32_trunc_f64_s) \
 X(i32_trunc_f64_u) X(i64_extend_i32_s) X(i64_extend_i32_u) \
 X(i64_trunc_f32_s) X(i64_trunc_f32_u) X(i64_trunc_f64_s) X(i64_trunc_f64_u) \
 X(f32_convert_i32_s) X(f32_convert_i32_u) X(f32_convert_i64_s) \
 X(f32_convert_i64_u) X(f32_demote_f64) X(f64_convert_i32_s) \
 X(f64_convert_i32_u) X(f64_convert_i64_s) X(f64_convert_i64_u) \
 X(f64_promote_f32) X(i32_reinterpret_f32) X(i64_reinterpret_f64) \
 X(f32_reinterpret_i32) X(f64_reinterpret_i64) \
 X(i32_extend8_s) X(i32_extend16_s) X(i64_extend8_s) X(i64_extend16_s) \
 X(i64_extend32_s)

#define WASM_OTHER_OPS(X) \
 X(unreachable) X(br) X(br_if) X(br_ifz) X(br_table) X(fuel) X(ret) \
 X(call) X(call_indirect) X(select) X(mov) X(const32) X(const64) \
 X(global_get) X(global_set) \
 X(i32_load) X(i64_load) X(f32_load) X(f64_load) X(i32_load8_s) \
 X(i32_load8_u) X(i32_load16_s) X(i32_load16_u) X(i64_load8_s) \
 X(i64_load8_u) X(i64_load16_s) X(i64_load16_u) X(i64_load32_s) \
 X(i64_load32_u) X(i32_store) X(i64_store) X(f32_store) X(f64_store) \
 X(i32_store8) X(i32_store16) X(i64_store8) X(i64_store16) X(i64_store32) \
 X(memory_size) X(memory_grow) X(memory_init) X(data_drop) X(memory_copy) \
 X(memory_fill) X(table_get) X(table_set) X(table_size) X(table_grow) \
 X(table_fill) X(table_copy) X(table_init) X(elem_drop) X(ref_is_null) \
 X(ref_func) \
 X(i32_trunc_sat_f32_s) X(i32_trunc_sat_f32_u) X(i32_trunc_sat_f64_s) \
 X(i32_trunc_sat_f64_u) X(i64_trunc_sat_f32_s) X(i64_trunc_sat_f32_u) \
 X(i64_trunc_sat_f64_s) X(i64_trunc_sat_f64_u) \
 X(i32_add_k) X(i32_sub_k) X(i32_mul_k) X(i32_and_k) X(i32_or_k) X(i32_xor_k) \
 X(i32_shl_k) X(i32_shr_s_k) X(i32_shr_u_k) X(i32_eq_k) X(i32_ne_k) \
 X(i32_lt_s_k) X(i32_lt_u_k) X(i32_gt_s_k) X(i32_gt_u_k) X(i32_le_s_k) \
 X(i32_le_u_k) X(i32_ge_s_k) X(i32_ge_u_k) \
 X(i64_add_k) X(i64_sub_k) X(i64_and_k) X(i64_shl_k) X(i64_shr_u_k) \
 X(i64_shr_s_k) X(i64_mul_k) \
 X(bi_eq) X(bi_ne) X(bi_lt_s) X(bi_lt_u) X(bi_gt_s) X(bi_gt_u) X(bi_le_s) \
 X(bi_le_u) X(bi_ge_s) X(bi_ge_u) \
 X(bi_eq_k) X(bi_ne_k) X(bi_lt_s_k) X(bi_lt_u_k) X(bi_gt_s_k) X(bi_gt_u_k) \
 X(bi_le_s_k) X(bi_le_u_k) X(bi_ge_s_k) X(bi_ge_u_k) \
 X(count)

#define WASM_OP_ENUM(n) OP_##n,
enum { WASM_NUMERIC_OPS(WASM_OP_ENUM) WASM_OTHER_OPS(WASM_OP_ENUM) };
#undef WASM_OP_ENUM
#define OP_NUMERIC_FIRST OP_i32_eqz   /* wasm opcode 0x45 */

#endif
