/* Instruction handlers, included into the body of wasm__run (exec.c).
 * Operand layout per op is fixed by compile.c; pc[0] is the handler. */

#define BIN(n, fi, ti, fo, expr) OPCASE(n) { ti a = (ti)R(2).fi; ti b = (ti)R(3).fi; R(1).fo = (expr); pc += 4; NEXT(); }
#define UN(n, fi, ti, fo, expr)  OPCASE(n) { ti a = (ti)R(2).fi; R(1).fo = (expr); pc += 3; NEXT(); }
#define K32(n, ti, expr) OPCASE(n) { ti a = (ti)R(2).i32; ti b = (ti)(uint32_t)pc[3]; R(1).i32 = (uint32_t)(expr); pc += 4; NEXT(); }
#define K64(n, expr) OPCASE(n) { uint64_t a = R(2).i64; uint64_t b = IMM64(3); R(1).i64 = (expr); pc += 3 + WCELLS64; NEXT(); }
#define BRC(n, ti, cmp) OPCASE(n) { ti a = (ti)R(1).i32, b = (ti)R(2).i32; \
    if (a cmp b) pc = (const wcell *)pc[3]; else pc += 4; NEXT(); }
#define BRK(n, ti, cmp) OPCASE(n) { ti a = (ti)R(1).i32, b = (ti)(uint32_t)pc[2]; \
    if (a cmp b) pc = (const wcell *)pc[3]; else pc += 4; NEXT(); }
#define LOAD(n, T, N, fo, conv) OPCASE(n) { uint64_t ea = (uint64_t)R(2).i32 + (uint64_t)pc[3]; T v; \
    if (ea + N > memsz) { TRAP(WASM_TRAP_MEMORY_OOB); } \
    memcpy(&v, mem + ea, N); R(1).fo = conv; pc += 4; NEXT(); }
#define STORE(n, T, N, fi) OPCASE(n) { uint64_t ea = (uint64_t)R(1).i32 + (uint64_t)pc[3]; T v = (T)R(2).fi; \
    if (ea + N > memsz) { TRAP(WASM_TRAP_MEMORY_OOB); } \
    memcpy(mem + ea, &v, N); pc += 4; NEXT(); }

typedef int32_t  s32;
typedef uint32_t u32;
typedef int64_t  s64;
typedef uint64_t u64;

/* ---- control */
OPCASE(unreachable) TRAP(WASM_TRAP_UNREACHABLE);
OPCASE(br)    { pc = (const wcell *)pc[1]; NEXT(); }
OPCASE(br_if)  { if (R(1).i32) pc = (const wcell *)pc[2]; else pc += 3; NEXT(); }
OPCASE(br_ifz) { if (!R(1).i32) pc = (const wcell *)pc[2]; else pc += 3; NEXT(); }
OPCASE(fuel)  { fuel -= (int64_t)pc[1]; if (fuel < 0) TRAP(WASM_TRAP_OUT_OF_FUEL); pc += 2; NEXT(); }
OPCASE(br_table) {
    uint32_t i = R(1).i32, n = (uint32_t)pc[2], m = (uint32_t)pc[4];
    const wcell *e;
    if (i > n) i = n;
    e = pc + 5 + 2 * (size_t)i;
    if (m) {
        wasm_val *s = RP(3), *d = (wasm_val *)(void *)((char *)fp + e[1]);
        if (s != d) { uint32_t k; for (k = 0; k < m; k++) d[k] = s[k]; }
    }
    pc = (const wcell *)e[0];
    NEXT();
}
OPCASE(ret) {
    uint32_t n = (uint32_t)pc[2];
    wasm_val *s = RP(1);
    wasm_frame *fr;
    if (s != fp) { uint32_t k; for (k = 0; k < n; k++) fp[k] = s[k]; }
    fr = &ex->frames[--ex->nframes];
    if (!fr->pc) { ex->fuel = fuel; return WASM_OK; }
    pc = (const wcell *)fr->pc; fp = fr->fp;
    if (fr->inst != inst) { inst = fr->inst; LOAD_MEM(); }
    NEXT();
}
OPCASE(call) { fn = inst->funcs[pc[1]]; nfp = RP(2); retpc = pc + 3; goto do_call; }
OPCASE(call_indirect) {
    wasm_table *t = inst->tables[pc[2]];
    uint32_t i = R(3).i32;
    if (i >= t->size) TRAP(WASM_TRAP_UNDEFINED_ELEMENT);
    fn = (wasm_func *)t->elems[i];
    if (!fn) TRAP(WASM_TRAP_UNINITIALIZED_ELEMENT);
    if (!wasm__functype_eq(fn->type, &inst->mod->types[pc[1]])) TRAP(WASM_TRAP_INDIRECT_TYPE);
    nfp = RP(4); retpc = pc + 5;
    goto do_call;
}
OPCASE(select) { wasm_val v = R(4).i32 ? R(2) : R(3); R(1) = v; pc += 5; NEXT(); }
OPCASE(mov)     { R(1) = R(2); pc += 3; NEXT(); }
OPCASE(const32) { R(1).i32 = (uint32_t)pc[2]; pc += 3; NEXT(); }
OPCASE(const64) { R(1).i64 = IMM64(2); pc += 2 + WCELLS64; NEXT(); }
OPCASE(global_get) { R(1) = inst->globals[pc[2]]->v; pc += 3; NEXT(); }
OPCASE(global_set) { inst->globals[pc[1]]->v = R(2); pc += 3; NEXT(); }

/* ---- memory */
LOAD(i32_load, u32, 4, i32, v)
LOAD(i64_load, u64, 8, i64, v)
LOAD(f32_load, u32, 4, i32, v)
LOAD(f64_load, u64, 8, i64, v)
LOAD(i32_load8_s, int8_t, 1, i32, (u32)(s32)v)
LOAD(i32_load8_u, uint8_t, 1, i32, v)
LOAD(i32_load16_s, int16_t, 2, i32, (u32)(s32)v)
LOAD(i32_load16_u, uint16_t, 2, i32, v)
LOAD(i64_load8_s, int8_t, 1, i64, (u64)(s64)v)
LOAD(i64_load8_u, uint8_t, 1, i64, v)
LOAD(i64_load16_s, int16_t, 2, i64, (u64)(s64)v)
LOAD(i64_load16_u, uint16_t, 2, i64, v)
LOAD(i64_load32_s, int32_t, 4, i64, (u64)(s64)v)
LOAD(i64_load32_u, uint32_t, 4, i64, v)
STORE(i32_store, u32, 4, i32)
STORE(i64_store, u64, 8, i64)
STORE(f32_store, u32, 4, i32)
STORE(f64_store, u64, 8, i64)
STORE(i32_store8, uint8_t, 1, i32)
STORE(i32_store16, uint16_t, 2, i32)
STORE(i64_store8, uint8_t, 1, i64)
STORE(i64_store16, uint16_t, 2, i64)
STORE(i64_store32, uint32_t, 4, i64)
OPCASE(memory_size) { R(1).i32 = inst->mem->pages; pc += 2; NEXT(); }
OPCASE(memory_grow) {
    wasm_trap t = WASM_TRAP_NONE;
    uint32_t r = memory_grow(inst, R(2).i32, &t);
    if (t != WASM_TRAP_NONE) TRAP(t);
    R(1).i32 = r;
    LOAD_MEM();
    pc += 3; NEXT();
}
OPCASE(memory_init) {
    wasm_trap t = wasm__memory_init(inst, (uint32_t)pc[4], R(1).i32, R(2).i32, R(3).i32);
    if (t != WASM_TRAP_NONE) TRAP(t);
    pc += 5; NEXT();
}
OPCASE(data_drop) { inst->data_dropped[pc[1]] = 1; pc += 2; NEXT(); }
OPCASE(memory_copy) {
    uint32_t d = R(1).i32, s = R(2).i32, n = R(3).i32;
    if ((uint64_t)d + n > memsz || (uint64_t)s + n > memsz) TRAP(WASM_TRAP_MEMORY_OOB);
    memmove(mem + d, mem + s, n);
    pc += 4; NEXT();
}
OPCASE(memory_fill) {
    uint32_t d = R(1).i32, n = R(3).i32;
    if ((uint64_t)d + n > memsz) TRAP(WASM_TRAP_MEMORY_OOB);
    memset(mem + d, (int)(R(2).i32 & 0xFF), n);
    pc += 4; NEXT();
}

/* ---- tables and references */
OPCASE(table_get) {
    wasm_table *t = inst->tables[pc[2]];
    uint32_t i = R(3).i32;
    if (i >= t->size) TRAP(WASM_TRAP_TABLE_OOB);
    R(1).i64 = 0; R(1).ref = t->elems[i];
    pc += 4; NEXT();
}
OPCASE(table_set) {
    wasm_table *t = inst->tables[pc[1]];
    uint32_t i = R(2).i32;
    if (i >= t->size) TRAP(WASM_TRAP_TABLE_OOB);
    t->elems[i] = R(3).ref;
    pc += 4; NEXT();
}
OPCASE(table_size) { R(1).i32 = inst->tables[pc[2]]->size; pc += 3; NEXT(); }
OPCASE(table_grow) {
    void *init = R(3).ref;
    uint32_t r = table_grow(inst->tables[pc[2]], init, R(4).i32);
    R(1).i32 = r;
    pc += 5; NEXT();
}
OPCASE(table_fill) {
    wasm_table *t = inst->tables[pc[1]];
    uint32_t i = R(2).i32, n = R(4).i32, k;
    void *v = R(3).ref;
    if ((uint64_t)i + n > t->size) TRAP(WASM_TRAP_TABLE_OOB);
    for (k = 0; k < n; k++) t->elems[i + k] = v;
    pc += 5; NEXT();
}
OPCASE(table_copy) {
    wasm_table *td = inst->tables[pc[1]], *ts = inst->tables[pc[2]];
    uint32_t d = R(3).i32, s = R(4).i32, n = R(5).i32;
    if ((uint64_t)d + n > td->size || (uint64_t)s + n > ts->size) TRAP(WASM_TRAP_TABLE_OOB);
    memmove(td->elems + d, ts->elems + s, (size_t)n * sizeof(void *));
    pc += 6; NEXT();
}
OPCASE(table_init) {
    wasm_trap t = wasm__table_init(inst, (uint32_t)pc[1], (uint32_t)pc[2], R(3).i32, R(4).i32, R(5).i32);
    if (t != WASM_TRAP_NONE) TRAP(t);
    pc += 6; NEXT();
}
OPCASE(elem_drop) { inst->elem_len[pc[1]] = 0; pc += 2; NEXT(); }
OPCASE(ref_is_null) { R(1).i32 = R(2).ref == NULL; pc += 3; NEXT(); }
OPCASE(ref_func) { R(1).i64 = 0; R(1).ref = inst->funcs[pc[2]]; pc += 3; NEXT(); }

/* ---- i32 */
UN(i32_eqz, i32, u32, i32, a == 0)
BIN(i32_eq, i32, u32, i32, a == b)
BIN(i32_ne, i32, u32, i32, a != b)
BIN(i32_lt_s, i32, s32, i32, a < b)
BIN(i32_lt_u, i32, u32, i32, a < b)
BIN(i32_gt_s, i32, s32, i32, a > b)
BIN(i32_gt_u, i32, u32, i32, a > b)
BIN(i32_le_s, i32, s32, i32, a <= b)
BIN(i32_le_u, i32, u32, i32, a <= b)
BIN(i32_ge_s, i32, s32, i32, a >= b)
BIN(i32_ge_u, i32, u32, i32, a >= b)
UN(i32_clz, i32, u32, i32, clz32(a))
UN(i32_ctz, i32, u32, i32, ctz32(a))
UN(i32_popcnt, i32, u32, i32, pop32(a))
BIN(i32_add, i32, u32, i32, a + b)
BIN(i32_sub, i32, u32, i32, a - b)
BIN(i32_mul, i32, u32, i32, a * b)
OPCASE(i32_div_s) { s32 a = (s32)R(2).i32, b = (s32)R(3).i32;
    if (b == 0) TRAP(WASM_TRAP_DIV_ZERO);
    if (a == INT32_MIN && b == -1) TRAP(WASM_TRAP_INT_OVERFLOW);
    R(1).i32 = (u32)(a / b); pc += 4; NEXT(); }
OPCASE(i32_div_u) { u32 a = R(2).i32, b = R(3).i32;
    if (b == 0) TRAP(WASM_TRAP_DIV_ZERO);
    R(1).i32 = a / b; pc += 4; NEXT(); }
OPCASE(i32_rem_s) { s32 a = (s32)R(2).i32, b = (s32)R(3).i32;
    if (b == 0) TRAP(WASM_TRAP_DIV_ZERO);
    R(1).i32 = b == -1 ? 0 : (u32)(a % b); pc += 4; NEXT(); }
OPCASE(i32_rem_u) { u32 a = R(2).i32, b = R(3).i32;
    if (b == 0) TRAP(WASM_TRAP_DIV_ZERO);
    R(1).i32 = a % b; pc += 4; NEXT(); }
BIN(i32_and, i32, u32, i32, a & b)
BIN(i32_or, i32, u32, i32, a | b)
BIN(i32_xor, i32, u32, i32, a ^ b)
BIN(i32_shl, i32, u32, i32, a << (b & 31))
BIN(i32_shr_s, i32, u32, i32, (u32)((s32)a >> (b & 31)))
BIN(i32_shr_u, i32, u32, i32, a >> (b & 31))
BIN(i32_rotl, i32, u32, i32, (a << (b & 31)) | (a >> ((32 - b) & 31)))
BIN(i32_rotr, i32, u32, i32, (a >> (b & 31)) | (a << ((32 - b) & 31)))

/* ---- i64 */
UN(i64_eqz, i64, u64, i32, a == 0)
BIN(i64_eq, i64, u64, i32, a == b)
BIN(i64_ne, i64, u64, i32, a != b)
BIN(i64_lt_s, i64, s64, i32, a < b)
BIN(i64_lt_u, i64, u64, i32, a < b)
BIN(i64_gt_s, i64, s64, i32, a > b)
BIN(i64_gt_u, i64, u64, i32, a > b)
BIN(i64_le_s, i64, s64, i32, a <= b)
BIN(i64_le_u, i64, u64, i32, a <= b)
BIN(i64_ge_s, i64, s64, i32, a >= b)
BIN(i64_ge_u, i64, u64, i32, a >= b)
UN(i64_clz, i64, u64, i64, clz64(a))
UN(i64_ctz, i64, u64, i64, ctz64(a))
UN(i64_popcnt, i64, u64, i64, pop64(a))
BIN(i64_add, i64, u64, i64, a + b)
BIN(i64_sub, i64, u64, i64, a - b)
BIN(i64_mul, i64, u64, i64, a * b)
OPCASE(i64_div_s) { s64 a = (s64)R(2).i64, b = (s64)R(3).i64;
    if (b == 0) TRAP(WASM_TRAP_DIV_ZERO);
    if (a == INT64_MIN && b == -1) TRAP(WASM_TRAP_INT_OVERFLOW);
    R(1).i64 = (u64)(a / b); pc += 4; NEXT(); }
OPCASE(i64_div_u) { u64 a = R(2).i64, b = R(3).i64;
    if (b == 0) TRAP(WASM_TRAP_DIV_ZERO);
    R(1).i64 = a / b; pc += 4; NEXT(); }
OPCASE(i64_rem_s) { s64 a = (s64)R(2).i64, b = (s64)R(3).i64;
    if (b == 0) TRAP(WASM_TRAP_DIV_ZERO);
    R(1).i64 = b == -1 ? 0 : (u64)(a % b); pc += 4; NEXT(); }
OPCASE(i64_rem_u) { u64 a = R(2).i64, b = R(3).i64;
    if (b == 0) TRAP(WASM_TRAP_DIV_ZERO);
    R(1).i64 = a % b; pc += 4; NEXT(); }
BIN(i64_and, i64, u64, i64, a & b)
BIN(i64_or, i64, u64, i64, a | b)
BIN(i64_xor, i64, u64, i64, a ^ b)
BIN(i64_shl, i64, u64, i64, a << (b & 63))
BIN(i64_shr_s, i64, u64, i64, (u64)((s64)a >> (b & 63)))
BIN(i64_shr_u, i64, u64, i64, a >> (b & 63))
BIN(i64_rotl, i64, u64, i64, (a << (b & 63)) | (a >> ((64 - b) & 63)))
BIN(i64_rotr, i64, u64, i64, (a >> (b & 63)) | (a << ((64 - b) & 63)))

/* ---- immediate forms and fused compare-and-branch */
K32(i32_add_k, u32, a + b)
K32(i32_sub_k, u32, a - b)
K32(i32_mul_k, u32, a * b)
K32(i32_and_k, u32, a & b)
K32(i32_or_k, u32, a | b)
K32(i32_xor_k, u32, a ^ b)
K32(i32_shl_k, u32, a << (b & 31))
K32(i32_shr_s_k, u32, (u32)((s32)a >> (b & 31)))
K32(i32_shr_u_k, u32, a >> (b & 31))
K32(i32_eq_k, u32, a == b)
K32(i32_ne_k, u32, a != b)
K32(i32_lt_s_k, s32, a < b)
K32(i32_lt_u_k, u32, a < b)
K32(i32_gt_s_k, s32, a > b)
K32(i32_gt_u_k, u32, a > b)
K32(i32_le_s_k, s32, a <= b)
K32(i32_le_u_k, u32, a <= b)
K32(i32_ge_s_k, s32, a >= b)
K32(i32_ge_u_k, u32, a >= b)
K64(i64_add_k, a + b)
K64(i64_sub_k, a - b)
K64(i64_mul_k, a * b)
K64(i64_and_k, a & b)
K64(i64_shl_k, a << (b & 63))
K64(i64_shr_s_k, (u64)((s64)a >> (b & 63)))
K64(i64_shr_u_k, a >> (b & 63))
BRC(bi_eq, u32, ==)
BRC(bi_ne, u32, !=)
BRC(bi_lt_s, s32, <)
BRC(bi_lt_u, u32, <)
BRC(bi_gt_s, s32, >)
BRC(bi_gt_u, u32, >)
BRC(bi_le_s, s32, <=)
BRC(bi_le_u, u32, <=)
BRC(bi_ge_s, s32, >=)
BRC(bi_ge_u, u32, >=)
BRK(bi_eq_k, u32, ==)
BRK(bi_ne_k, u32, !=)
BRK(bi_lt_s_k, s32, <)
BRK(bi_lt_u_k, u32, <)
BRK(bi_gt_s_k, s32, >)
BRK(bi_gt_u_k, u32, >)
BRK(bi_le_s_k, s32, <=)
BRK(bi_le_u_k, u32, <=)
BRK(bi_ge_s_k, s32, >=)
BRK(bi_ge_u_k, u32, >=)

/* ---- f32 / f64 */
BIN(f32_eq, f32, float, i32, a == b)
BIN(f32_ne, f32, float, i32, a != b)
BIN(f32_lt, f32, float, i32, a < b)
BIN(f32_gt, f32, float, i32, a > b)
BIN(f32_le, f32, float, i32, a <= b)
BIN(f32_ge, f32, float, i32, a >= b)
BIN(f64_eq, f64, double, i32, a == b)
BIN(f64_ne, f64, double, i32, a != b)
BIN(f64_lt, f64, double, i32, a < b)
BIN(f64_gt, f64, double, i32, a > b)
BIN(f64_le, f64, double, i32, a <= b)
BIN(f64_ge, f64, double, i32, a >= b)
UN(f32_abs, i32, u32, i32, a & 0x7FFFFFFFu)
UN(f32_neg, i32, u32, i32, a ^ 0x80000000u)
UN(f32_ceil, f32, float, f32, a != a ? a + a : ceilf(a))
UN(f32_floor, f32, float, f32, a != a ? a + a : floorf(a))
UN(f32_trunc, f32, float, f32, a != a ? a + a : truncf(a))
UN(f32_nearest, f32, float, f32, a != a ? a + a : nearbyintf(a))
UN(f32_sqrt, f32, float, f32, sqrtf(a))
BIN(f32_add, f32, float, f32, a + b)
BIN(f32_sub, f32, float, f32, a - b)
BIN(f32_mul, f32, float, f32, a * b)
BIN(f32_div, f32, float, f32, a / b)
BIN(f32_min, f32, float, f32, fmin32(a, b))
BIN(f32_max, f32, float, f32, fmax32(a, b))
BIN(f32_copysign, i32, u32, i32, (a & 0x7FFFFFFFu) | (b & 0x80000000u))
UN(f64_abs, i64, u64, i64, a & ~((u64)1 << 63))
UN(f64_neg, i64, u64, i64, a ^ ((u64)1 << 63))
UN(f64_ceil, f64, double, f64, a != a ? a + a : ceil(a))
UN(f64_floor, f64, double, f64, a != a ? a + a : floor(a))
UN(f64_trunc, f64, double, f64, a != a ? a + a : trunc(a))
UN(f64_nearest, f64, double, f64, a != a ? a + a : nearbyint(a))
UN(f64_sqrt, f64, double, f64, sqrt(a))
BIN(f64_add, f64, double, f64, a + b)
BIN(f64_sub, f64, double, f64, a - b)
BIN(f64_mul, f64, double, f64, a * b)
BIN(f64_div, f64, double, f64, a / b)
BIN(f64_min, f64, double, f64, fmin64(a, b))
BIN(f64_max, f64, double, f64, fmax64(a, b))
BIN(f64_copysign, i64, u64, i64, (a & ~((u64)1 << 63)) | (b & ((u64)1 << 63)))

/* ---- conversions */
UN(i32_wrap_i64, i64, u64, i32, (u32)a)
#define TRUNC(n, fi, ti, fo, lo_ok, hi_ok, conv) OPCASE(n) { ti a = R(2).fi; \
    if (a != a) TRAP(WASM_TRAP_INVALID_CONVERSION); \
    if (!(lo_ok) || !(hi_ok)) TRAP(WASM_TRAP_INT_OVERFLOW); \
    R(1).fo = conv; pc += 3; NEXT(); }
TRUNC(i32_trunc_f32_s, f32, float, i32, a >= -2147483648.0f, a < 2147483648.0f, (u32)(s32)a)
TRUNC(i32_trunc_f32_u, f32, float, i32, a > -1.0f, a < 4294967296.0f, (u32)a)
TRUNC(i32_trunc_f64_s, f64, double, i32, a > -2147483649.0, a < 2147483648.0, (u32)(s32)a)
TRUNC(i32_trunc_f64_u, f64, double, i32, a > -1.0, a < 4294967296.0, (u32)a)
TRUNC(i64_trunc_f32_s, f32, float, i64, a >= -9223372036854775808.0f, a < 9223372036854775808.0f, (u64)(s64)a)
TRUNC(i64_trunc_f32_u, f32, float, i64, a > -1.0f, a < 18446744073709551616.0f, (u64)a)
TRUNC(i64_trunc_f64_s, f64, double, i64, a >= -9223372036854775808.0, a < 9223372036854775808.0, (u64)(s64)a)
TRUNC(i64_trunc_f64_u, f64, double, i64, a > -1.0, a < 18446744073709551616.0, (u64)a)
UN(i64_extend_i32_s, i32, u32, i64, (u64)(s64)(s32)a)
UN(i64_extend_i32_u, i32, u32, i64, (u64)a)
UN(f32_convert_i32_s, i32, u32, f32, (float)(s32)a)
UN(f32_convert_i32_u, i32, u32, f32, (float)a)
UN(f32_convert_i64_s, i64, u64, f32, (float)(s64)a)
UN(f32_convert_i64_u, i64, u64, f32, (float)a)
UN(f32_demote_f64, f64, double, f32, (float)a)
UN(f64_convert_i32_s, i32, u32, f64, (double)(s32)a)
UN(f64_convert_i32_u, i32, u32, f64, (double)a)
UN(f64_convert_i64_s, i64, u64, f64, (double)(s64)a)
UN(f64_convert_i64_u, i64, u64, f64, (double)a)
UN(f64_promote_f32, f32, float, f64, (double)a)
UN(i32_reinterpret_f32, i32, u32, i32, a)
UN(i64_reinterpret_f64, i64, u64, i64, a)
UN(f32_reinterpret_i32, i32, u32, i32, a)
UN(f64_reinterpret_i64, i64, u64, i64, a)
UN(i32_extend8_s, i32, u32, i32, (u32)(s32)(int8_t)a)
UN(i32_extend16_s, i32, u32, i32, (u32)(s32)(int16_t)a)
UN(i64_extend8_s, i64, u64, i64, (u64)(s64)(int8_t)a)
UN(i64_extend16_s, i64, u64, i64, (u64)(s64)(int16_t)a)
UN(i64_extend32_s, i64, u64, i64, (u64)(s64)(int32_t)a)
UN(i32_trunc_sat_f32_s, f32, float, i32, sat_i32s(a))
UN(i32_trunc_sat_f32_u, f32, float, i32, sat_i32u(a))
UN(i32_trunc_sat_f64_s, f64, double, i32, sat_i32s(a))
UN(i32_trunc_sat_f64_u, f64, double, i32, sat_i32u(a))
UN(i64_trunc_sat_f32_s, f32, float, i64, sat_i64s(a))
UN(i64_trunc_sat_f32_u, f32, float, i64, sat_i64u(a))
UN(i64_trunc_sat_f64_s, f64, double, i64, sat_i64s(a))
UN(i64_trunc_sat_f64_u, f64, double, i64, sat_i64u(a))
OPCASE(count) TRAP(WASM_TRAP_UNREACHABLE);

#undef BIN
#undef UN
#undef K32
#undef K64
#undef BRC
#undef BRK
#undef LOAD
#undef STORE
#undef TRUNC
