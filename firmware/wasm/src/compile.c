/* Stage 3: validate each function body with the spec's algorithm (operand
 * and control stacks, polymorphic stack after unconditional branches) and,
 * in the same pass, pre-decode it into threaded code.
 *
 * The generated code is slot addressed: the operand stack height is known
 * at every instruction, so each operand lives at a fixed frame offset and
 * instructions name their inputs and output directly. Three tricks keep
 * the instruction count low:
 *   - local.get and constants push "virtual" entries (an alias of a local,
 *     or a pending constant) and emit nothing; consumers read the local's
 *     slot directly or use an immediate form;
 *   - local.set/tee retarget the previous instruction's output when it
 *     produced the value being stored;
 *   - an i32 compare or eqz feeding br_if/if becomes one compare-and-branch.
 * Virtual entries are written to their canonical slot ("materialized")
 * whenever a value must sit in its home slot: block boundaries, branches,
 * calls, or before the local they alias is overwritten. */
#include "compile_int.h"

static int rd_blocktype(wcomp *c, uint32_t *np, const uint8_t **p, uint32_t *nr, const uint8_t **r)
{
    int64_t x;
    uint8_t b;
    if (c->r.p >= c->r.end) return wc_fail(c, "unexpected end");
    b = *c->r.p;
    *np = 0; *p = NULL;
    if (b == 0x40) { c->r.p++; *nr = 0; *r = NULL; return 1; }
    if (b == WASM_I32 || b == WASM_I64 || b == WASM_F32 || b == WASM_F64 ||
        b == WASM_FUNCREF || b == WASM_EXTERNREF) {
        *nr = 1; *r = c->r.p; c->r.p++; return 1;
    }
    if (!rd_s33(&c->r, &x)) return wc_fail(c, c->r.err);
    if (x < 0 || (uint64_t)x >= c->m->ntypes) return wc_fail(c, "unknown type");
    *np = c->m->types[x].np; *p = c->m->types[x].p;
    *nr = c->m->types[x].nr; *r = c->m->types[x].r;
    return 1;
}

/* Numeric opcode 0x45..0xC4 -> operand type(s), result type, arity. */
static int rd_idx(wcomp *c, uint32_t *x)
{
    if (!rd_u32(&c->r, x)) return wc_fail(c, c->r.err);
    return 1;
}

static int zero_byte(wcomp *c)
{
    uint8_t b;
    if (!rd_u8(&c->r, &b)) return wc_fail(c, c->r.err);
    if (b != 0) return wc_fail(c, "zero byte expected");
    return 1;
}

static const uint8_t T_I32x3[3] = { WASM_I32, WASM_I32, WASM_I32 };

static int op_call(wcomp *c, const wasm_functype *ft, int indirect, uint32_t y, uint32_t x)
{
    long ci = -1;
    wcell sidx = 0;
    if (indirect && (ci = wc_pop(c, WASM_I32, NULL)) < 0) return 0;
    if (!wc_materialize_top(c, ft->np) || !wc_pop_types(c, ft->np, ft->p)) return 0;
    if (!wc_dead(c)) {
        wcell base = wc_slot_of(c, c->sp);
        if (indirect) {
            sidx = wc_src(c, (uint32_t)ci);
            if (!(wc_put_op(c, OP_call_indirect) && wc_put(c, y) && wc_put(c, x) && wc_put(c, sidx) && wc_put(c, base))) return 0;
        } else if (!(wc_put_op(c, OP_call) && wc_put(c, x) && wc_put(c, base))) return 0;
    }
    /* the frame above base must fit the results too */
    return wc_push_types(c, ft->nr, ft->r);
}

static int op_fc(wcomp *c)
{
    uint32_t sub, x, y;
    wasm_module *m = c->m;
    if (!rd_idx(c, &sub)) return 0;
    if (sub <= 7) {
        static const uint8_t in[8] = { WASM_F32, WASM_F32, WASM_F64, WASM_F64, WASM_F32, WASM_F32, WASM_F64, WASM_F64 };
        return wc_unop(c, OP_i32_trunc_sat_f32_s + (int)sub, in[sub], sub < 4 ? WASM_I32 : WASM_I64);
    }
    switch (sub) {
    case 8:
        if (!rd_idx(c, &x) || !zero_byte(c)) return 0;
        if (!m->has_datacount) return wc_fail(c, "data count section required");
        if (m->nmems == 0) return wc_fail(c, "unknown memory");
        if (x >= m->datacount) return wc_fail(c, "unknown data segment");
        return wc_emit_popped(c, OP_memory_init, 3, T_I32x3, NULL, 0) &&
               (wc_dead(c) || wc_put(c, x));
    case 9:
        if (!rd_idx(c, &x)) return 0;
        if (!m->has_datacount) return wc_fail(c, "data count section required");
        if (x >= m->datacount) return wc_fail(c, "unknown data segment");
        return wc_dead(c) || (wc_put_op(c, OP_data_drop) && wc_put(c, x));
    case 10:
        if (!zero_byte(c) || !zero_byte(c)) return 0;
        if (m->nmems == 0) return wc_fail(c, "unknown memory");
        return wc_emit_popped(c, OP_memory_copy, 3, T_I32x3, NULL, 0);
    case 11:
        if (!zero_byte(c)) return 0;
        if (m->nmems == 0) return wc_fail(c, "unknown memory");
        return wc_emit_popped(c, OP_memory_fill, 3, T_I32x3, NULL, 0);
    case 12: {
        wcell imm[2];
        if (!rd_idx(c, &y) || !rd_idx(c, &x)) return 0;   /* elem, table */
        if (!wc_check_table(c, x)) return 0;
        if (y >= m->nelems) return wc_fail(c, "unknown elem segment");
        if (m->elems[y].type != m->tables[x].elemtype) return wc_fail(c, "type mismatch");
        imm[0] = x; imm[1] = y;
        return wc_emit_popped(c, OP_table_init, 3, T_I32x3, imm, 2); }
    case 13:
        if (!rd_idx(c, &x)) return 0;
        if (x >= m->nelems) return wc_fail(c, "unknown elem segment");
        return wc_dead(c) || (wc_put_op(c, OP_elem_drop) && wc_put(c, x));
    case 14: {
        wcell imm[2];
        if (!rd_idx(c, &x) || !rd_idx(c, &y)) return 0;   /* dst, src */
        if (!wc_check_table(c, x) || !wc_check_table(c, y)) return 0;
        if (m->tables[x].elemtype != m->tables[y].elemtype) return wc_fail(c, "type mismatch");
        imm[0] = x; imm[1] = y;
        return wc_emit_popped(c, OP_table_copy, 3, T_I32x3, imm, 2); }
    case 15: {
        long a, b;
        if (!rd_idx(c, &x) || !wc_check_table(c, x)) return 0;
        if ((b = wc_pop(c, WASM_I32, NULL)) < 0 || (a = wc_pop(c, m->tables[x].elemtype, NULL)) < 0) return 0;
        if (!wc_dead(c)) {
            wcell sa = wc_src(c, (uint32_t)a), sb = wc_src(c, (uint32_t)b);
            if (!(wc_put_op(c, OP_table_grow) && wc_put(c, wc_slot_of(c, (uint32_t)a)) && wc_put(c, x) && wc_put(c, sa) && wc_put(c, sb))) return 0;
        }
        return wc_push(c, WASM_I32); }
    case 16:
        if (!rd_idx(c, &x) || !wc_check_table(c, x)) return 0;
        if (!wc_dead(c) && !(wc_put_op(c, OP_table_size) && wc_put(c, wc_slot_of(c, c->sp)) && wc_put(c, x))) return 0;
        return wc_push(c, WASM_I32);
    case 17: {
        uint8_t ts[3];
        wcell imm = 0;
        if (!rd_idx(c, &x) || !wc_check_table(c, x)) return 0;
        ts[0] = WASM_I32; ts[1] = m->tables[x].elemtype; ts[2] = WASM_I32;
        imm = x;
        return wc_emit_popped(c, OP_table_fill, 3, ts, &imm, 1); }
    }
    return wc_fail(c, "illegal opcode");
}

static int op_br_table(wcomp *c)
{
    uint32_t n, i, l, arity, m;
    const uint8_t *ts, *dts;
    const uint8_t *labels_at;
    long ci;
    ctrl *f;
    if (!rd_u32(&c->r, &n)) return wc_fail(c, c->r.err);
    if (n > (uint32_t)(c->r.end - c->r.p)) return wc_fail(c, "unexpected end");
    labels_at = c->r.p;
    for (i = 0; i < n; i++) if (!rd_idx(c, &l)) return 0;
    if (!rd_idx(c, &l)) return 0;
    if (l >= c->csp) return wc_fail(c, "unknown label");
    if ((ci = wc_pop(c, WASM_I32, NULL)) < 0) return 0;
    m = wc_label_arity(&c->cs[c->csp - 1 - l], &dts);
    /* validate every target against the operand stack */
    {
        wrd save = c->r;
        c->r.p = labels_at;
        for (i = 0; i <= n; i++) {
            rd_u32(&c->r, &l);
            if (l >= c->csp) return wc_fail(c, "unknown label");
            arity = wc_label_arity(&c->cs[c->csp - 1 - l], &ts);
            if (arity != m) return wc_fail(c, "type mismatch");
            if (!wc_peek_popped(c, arity, ts)) return 0;
        }
        c->r = save;
    }
    if (!wc_dead(c)) {
        wcell sidx;
        wrd save = c->r;
        if (!wc_materialize_top(c, m)) return 0;
        sidx = wc_src(c, (uint32_t)ci);
        if (!(wc_put_op(c, OP_br_table) && wc_put(c, sidx) && wc_put(c, n) && wc_put(c, wc_slot_of(c, c->sp - m)) && wc_put(c, m))) return 0;
        c->r.p = labels_at;
        for (i = 0; i <= n; i++) {
            rd_u32(&c->r, &l);
            f = &c->cs[c->csp - 1 - l];
            if (!wc_put_target(c, f) || !wc_put(c, wc_slot_of(c, f->height))) return 0;
        }
        c->r = save;
    }
    wc_set_unreachable(c);
    return 1;
}

/* Checks the frame's results and puts them in their home slots. */
static int end_results(wcomp *c, ctrl *f)
{
    if (!wc_materialize_top(c, f->nr) || !wc_pop_types(c, f->nr, f->r)) return 0;
    if (c->sp != f->height) return wc_fail(c, "type mismatch");
    return 1;
}

static int body(wcomp *c)
{
    wasm_module *m = c->m;
    for (;;) {
        uint8_t op;
        uint32_t x;
        ctrl *f;
        if (!rd_u8(&c->r, &op)) return wc_fail(c, "unexpected end of section or function");
        c->ninstr++;
        switch (op) {
        case 0x00:
            if (!wc_dead(c) && !wc_put_op(c, OP_unreachable)) return 0;
            wc_set_unreachable(c);
            break;
        case 0x01: break;
        case 0x02: case 0x03: case 0x04: {
            uint32_t np = 0, nr = 0; const uint8_t *p = NULL, *r = NULL;
            long ci = -1;
            size_t tcell = 0;
            if (!rd_blocktype(c, &np, &p, &nr, &r)) return 0;
            if (op == 0x04 && (ci = wc_pop(c, WASM_I32, NULL)) < 0) return 0;
            if (!wc_materialize_all(c) || !wc_pop_types(c, np, p)) return 0;
            if (op == 0x04 && !wc_dead(c) && !wc_cond_jump(c, (uint32_t)ci, 1, &tcell)) return 0;
            if (!wc_push_ctrl(c, op == 0x02 ? C_BLOCK : op == 0x03 ? C_LOOP : C_IF, np, p, nr, r)) return 0;
            f = &c->cs[c->csp - 1];
            f->else_patch = tcell;
            if (op == 0x03) {
                f->loop_pc = c->n;
                if (!wc_dead(c)) {
                    if (!wc_put_op(c, OP_fuel) || !wc_put(c, 0)) return 0;
                    f->fuel_cell = c->n;
                }
            }
            break; }
        case 0x05:
            f = &c->cs[c->csp - 1];
            if (f->kind != C_IF) return wc_fail(c, "else without if");
            if (!end_results(c, f)) return 0;
            if (!wc_dead(c) && !(wc_put_op(c, OP_br) && wc_put_target(c, f))) return 0;
            if (f->else_patch) wc_bind(c, f->else_patch);
            f->else_patch = 0;
            f->kind = C_ELSE;
            f->unreachable = 0;
            if (!wc_push_types(c, f->np, f->p)) return 0;
            break;
        case 0x0B:
            f = &c->cs[c->csp - 1];
            if (!end_results(c, f)) return 0;
            if (f->kind == C_IF && (f->np != f->nr || (f->np && memcmp(f->p, f->r, f->np))))
                return wc_fail(c, "type mismatch");
            if (f->kind == C_FUNC) {
                int live = !wc_dead(c) || f->patch;
                wc_bind(c, f->patch);
                if (live && !(wc_put_op(c, OP_ret) && wc_put(c, wc_slot_of(c, f->height)) && wc_put(c, f->nr))) return 0;
                c->func_in_loops = f->in_loops;
                c->csp--;
                return 1;
            }
            if (f->kind == C_LOOP) {
                /* A loop charges its own instructions on every iteration;
                 * nested loops charge theirs, so exclude them here and
                 * hand the whole loop to the enclosing loop or function. */
                uint32_t total = c->ninstr - f->ninstr_at_start, k = c->csp - 1;
                if (f->fuel_cell) c->code[f->fuel_cell - 1] = (wcell)(total - f->in_loops);
                while (k-- > 0)
                    if (c->cs[k].kind == C_LOOP || c->cs[k].kind == C_FUNC) { c->cs[k].in_loops += total; break; }
            }
            wc_bind(c, f->patch);
            if (f->else_patch) wc_bind(c, f->else_patch);
            c->csp--;
            if (!wc_push_types(c, f->nr, f->r)) return 0;
            break;
        case 0x0C: case 0x0D: {
            uint32_t n; const uint8_t *ts; long ci = -1;
            if (!rd_idx(c, &x)) return 0;
            if (x >= c->csp) return wc_fail(c, "unknown label");
            if (op == 0x0D && (ci = wc_pop(c, WASM_I32, NULL)) < 0) return 0;
            f = &c->cs[c->csp - 1 - x];
            n = wc_label_arity(f, &ts);
            if (!wc_peek_types(c, n, ts)) return 0;
            if (!wc_dead(c)) {
                if (op == 0x0C) {
                    if (!wc_move_to_label(c, f, n) || !wc_put_op(c, OP_br) || !wc_put_target(c, f)) return 0;
                } else if (!wc_needs_move(c, f, n)) {
                    size_t tc;
                    if (!wc_cond_jump(c, (uint32_t)ci, 0, &tc)) return 0;
                    if (f->kind == C_LOOP) c->code[tc - 1] = wc_addr_of(c, f->loop_pc);
                    else { c->code[tc - 1] = (wcell)f->patch; f->patch = tc; }
                } else {
                    size_t skip;
                    if (!wc_cond_jump(c, (uint32_t)ci, 1, &skip)) return 0;
                    if (!wc_move_to_label(c, f, n) || !wc_put_op(c, OP_br) || !wc_put_target(c, f)) return 0;
                    wc_bind(c, skip);
                }
            }
            if (op == 0x0C) wc_set_unreachable(c);
            break; }
        case 0x0E:
            if (!op_br_table(c)) return 0;
            break;
        case 0x0F:
            f = &c->cs[0];
            if (!wc_peek_types(c, f->nr, f->r)) return 0;
            if (!wc_dead(c)) {
                if (!wc_materialize_top(c, f->nr)) return 0;
                if (!(wc_put_op(c, OP_ret) && wc_put(c, wc_slot_of(c, c->sp - f->nr)) && wc_put(c, f->nr))) return 0;
            }
            wc_set_unreachable(c);
            break;
        case 0x10:
            if (!rd_idx(c, &x) || !wc_check_func(c, x)) return 0;
            if (!op_call(c, &m->types[m->func_types[x]], 0, 0, x)) return 0;
            break;
        case 0x11: {
            uint32_t y;
            if (!rd_idx(c, &y) || !rd_idx(c, &x)) return 0;
            if (!wc_check_table(c, x)) return 0;
            if (y >= m->ntypes) return wc_fail(c, "unknown type");
            if (m->tables[x].elemtype != WASM_FUNCREF) return wc_fail(c, "type mismatch");
            if (!op_call(c, &m->types[y], 1, y, x)) return 0;
            break; }
        case 0x1A:
            if (wc_pop(c, 0, NULL) < 0) return 0;
            break;
        case 0x1B: case 0x1C: {
            long a, b, ci;
            uint8_t t1, t2, want = 0;
            if (op == 0x1C) {
                uint32_t n;
                if (!rd_idx(c, &n)) return 0;
                if (n != 1) return wc_fail(c, "invalid result arity");
                if (!rd_u8(&c->r, &want)) return wc_fail(c, c->r.err);
                if (!wc_is_num(want) && !wc_is_ref(want)) return wc_fail(c, "malformed value type");
            }
            if ((ci = wc_pop(c, WASM_I32, NULL)) < 0 || (b = wc_pop(c, want, &t2)) < 0 || (a = wc_pop(c, want, &t1)) < 0) return 0;
            if (!want) {
                if ((t1 && !wc_is_num(t1)) || (t2 && !wc_is_num(t2))) return wc_fail(c, "type mismatch");
                if (t1 && t2 && t1 != t2) return wc_fail(c, "type mismatch");
                want = t1 ? t1 : t2;
            }
            if (!wc_dead(c)) {
                wcell sa = wc_src(c, (uint32_t)a), sb = wc_src(c, (uint32_t)b), sc = wc_src(c, (uint32_t)ci);
                if (!(wc_put_op(c, OP_select) && wc_put(c, wc_slot_of(c, (uint32_t)a)) && wc_put(c, sa) && wc_put(c, sb) && wc_put(c, sc))) return 0;
                wc_produced(c, c->n - 4, (uint32_t)a);
            }
            if (!wc_push(c, want)) return 0;
            break; }
        case 0x20:
            if (!rd_idx(c, &x)) return 0;
            if (x >= c->nlocals) return wc_fail(c, "unknown local");
            if (!wc_push(c, c->ltypes[x])) return 0;
            if (!wc_dead(c)) { c->st[c->sp - 1].kind = K_LOCAL; c->st[c->sp - 1].local = x; }
            break;
        case 0x21: case 0x22: {
            long e;
            if (!rd_idx(c, &x)) return 0;
            if (x >= c->nlocals) return wc_fail(c, "unknown local");
            if ((e = wc_pop(c, c->ltypes[x], NULL)) < 0) return 0;
            if (!wc_set_local(c, x, (uint32_t)e, c->popped_dst)) return 0;
            if (op == 0x22) {
                if (!wc_push(c, c->ltypes[x])) return 0;
                if (!wc_dead(c)) { c->st[c->sp - 1].kind = K_LOCAL; c->st[c->sp - 1].local = x; }
            }
            break; }
        case 0x23:
            if (!rd_idx(c, &x)) return 0;
            if (x >= m->nglobals) return wc_fail(c, "unknown global");
            if (!wc_dead(c)) {
                if (!(wc_put_op(c, OP_global_get) && wc_put(c, wc_slot_of(c, c->sp)) && wc_put(c, x))) return 0;
                wc_produced(c, c->n - 2, c->sp);
            }
            if (!wc_push(c, m->globals[x].type)) return 0;
            break;
        case 0x24: {
            wcell imm;
            if (!rd_idx(c, &x)) return 0;
            if (x >= m->nglobals) return wc_fail(c, "unknown global");
            if (!m->globals[x].mut) return wc_fail(c, "global is immutable");
            imm = x;
            if (!wc_emit_popped(c, OP_global_set, 1, &m->globals[x].type, &imm, 1)) return 0;
            break; }
        case 0x25: {
            long a;
            if (!rd_idx(c, &x) || !wc_check_table(c, x)) return 0;
            if ((a = wc_pop(c, WASM_I32, NULL)) < 0) return 0;
            if (!wc_dead(c)) {
                wcell sa = wc_src(c, (uint32_t)a);
                if (!(wc_put_op(c, OP_table_get) && wc_put(c, wc_slot_of(c, (uint32_t)a)) && wc_put(c, x) && wc_put(c, sa))) return 0;
            }
            if (!wc_push(c, m->tables[x].elemtype)) return 0;
            break; }
        case 0x26: {
            uint8_t ts[2];
            wcell imm;
            if (!rd_idx(c, &x) || !wc_check_table(c, x)) return 0;
            ts[0] = WASM_I32; ts[1] = m->tables[x].elemtype; imm = x;
            if (!wc_emit_popped(c, OP_table_set, 2, ts, &imm, 1)) return 0;
            break; }
        case 0x28: case 0x29: case 0x2A: case 0x2B: case 0x2C: case 0x2D: case 0x2E:
        case 0x2F: case 0x30: case 0x31: case 0x32: case 0x33: case 0x34: case 0x35: {
            static const uint8_t lg[14] = { 2, 3, 2, 3, 0, 0, 1, 1, 0, 0, 1, 1, 2, 2 };
            static const uint8_t rt[14] = { WASM_I32, WASM_I64, WASM_F32, WASM_F64, WASM_I32, WASM_I32,
                WASM_I32, WASM_I32, WASM_I64, WASM_I64, WASM_I64, WASM_I64, WASM_I64, WASM_I64 };
            uint32_t off; long a;
            if (!wc_memarg(c, lg[op - 0x28], &off)) return 0;
            if ((a = wc_pop(c, WASM_I32, NULL)) < 0) return 0;
            if (!wc_dead(c)) {
                wcell sa = wc_src(c, (uint32_t)a);
                if (!(wc_put_op(c, OP_i32_load + (op - 0x28)) && wc_put(c, wc_slot_of(c, (uint32_t)a)) && wc_put(c, sa) && wc_put(c, off))) return 0;
                wc_produced(c, c->n - 3, (uint32_t)a);
            }
            if (!wc_push(c, rt[op - 0x28])) return 0;
            break; }
        case 0x36: case 0x37: case 0x38: case 0x39: case 0x3A: case 0x3B: case 0x3C:
        case 0x3D: case 0x3E: {
            static const uint8_t lg[9] = { 2, 3, 2, 3, 0, 1, 0, 1, 2 };
            static const uint8_t vt[9] = { WASM_I32, WASM_I64, WASM_F32, WASM_F64, WASM_I32, WASM_I32,
                WASM_I64, WASM_I64, WASM_I64 };
            uint32_t off; long a, v;
            if (!wc_memarg(c, lg[op - 0x36], &off)) return 0;
            if ((v = wc_pop(c, vt[op - 0x36], NULL)) < 0 || (a = wc_pop(c, WASM_I32, NULL)) < 0) return 0;
            if (!wc_dead(c)) {
                wcell sa = wc_src(c, (uint32_t)a), sv = wc_src(c, (uint32_t)v);
                if (!(wc_put_op(c, OP_i32_store + (op - 0x36)) && wc_put(c, sa) && wc_put(c, sv) && wc_put(c, off))) return 0;
            }
            break; }
        case 0x3F:
            if (!zero_byte(c)) return 0;
            if (m->nmems == 0) return wc_fail(c, "unknown memory");
            if (!wc_dead(c) && !(wc_put_op(c, OP_memory_size) && wc_put(c, wc_slot_of(c, c->sp)))) return 0;
            if (!wc_push(c, WASM_I32)) return 0;
            break;
        case 0x40:
            if (!zero_byte(c)) return 0;
            if (m->nmems == 0) return wc_fail(c, "unknown memory");
            if (!wc_unop(c, OP_memory_grow, WASM_I32, WASM_I32)) return 0;
            break;
        case 0x41: case 0x42: case 0x43: case 0x44: {
            uint64_t k = 0; int32_t v32; int64_t v64; const uint8_t *b;
            uint8_t t = op == 0x41 ? WASM_I32 : op == 0x42 ? WASM_I64 : op == 0x43 ? WASM_F32 : WASM_F64;
            if (op == 0x41) { if (!rd_s32(&c->r, &v32)) return wc_fail(c, c->r.err); k = (uint32_t)v32; }
            else if (op == 0x42) { if (!rd_s64(&c->r, &v64)) return wc_fail(c, c->r.err); k = (uint64_t)v64; }
            else if (op == 0x43) { uint32_t w; if (!rd_bytes(&c->r, 4, &b)) return wc_fail(c, c->r.err); memcpy(&w, b, 4); k = w; }
            else { if (!rd_bytes(&c->r, 8, &b)) return wc_fail(c, c->r.err); memcpy(&k, b, 8); }
            if (!wc_push(c, t)) return 0;
            if (!wc_dead(c)) { c->st[c->sp - 1].kind = K_CONST; c->st[c->sp - 1].k = k; }
            break; }
        case 0xD0: {
            uint8_t t;
            if (!rd_u8(&c->r, &t)) return wc_fail(c, c->r.err);
            if (!wc_is_ref(t)) return wc_fail(c, "malformed reference type");
            if (!wc_push(c, t)) return 0;
            if (!wc_dead(c)) { c->st[c->sp - 1].kind = K_CONST; c->st[c->sp - 1].k = 0; }
            break; }
        case 0xD1: {
            uint8_t t;
            long a;
            if ((a = wc_pop(c, 0, &t)) < 0) return 0;
            if (t && !wc_is_ref(t)) return wc_fail(c, "type mismatch");
            if (!wc_dead(c)) {
                wcell sa = wc_src(c, (uint32_t)a);
                if (!(wc_put_op(c, OP_ref_is_null) && wc_put(c, wc_slot_of(c, (uint32_t)a)) && wc_put(c, sa))) return 0;
                wc_produced(c, c->n - 2, (uint32_t)a);
            }
            if (!wc_push(c, WASM_I32)) return 0;
            break; }
        case 0xD2:
            if (!rd_idx(c, &x) || !wc_check_func(c, x)) return 0;
            if (!(m->func_declared[x >> 3] & (1u << (x & 7)))) return wc_fail(c, "undeclared function reference");
            if (!wc_dead(c)) {
                if (!(wc_put_op(c, OP_ref_func) && wc_put(c, wc_slot_of(c, c->sp)) && wc_put(c, x))) return 0;
                wc_produced(c, c->n - 2, c->sp);
            }
            if (!wc_push(c, WASM_FUNCREF)) return 0;
            break;
        case 0xFC:
            if (!op_fc(c)) return 0;
            break;
        default:
            if (op >= 0x45 && op <= 0xC4) { if (!wc_numeric(c, op)) return 0; break; }
            return wc_fail(c, "illegal opcode");
        }
        if (c->err) return 0;
    }
}

int wasm__compile_function(wasm_module *m, uint32_t fidx, wasm_arena *a, wasm_error *err)
{
    wcomp c;
    wcode *code = &m->codes[fidx - m->nfunc_imports];
    const wasm_functype *ft;
    uint32_t ngroups, i, n;
    uint64_t total;
    size_t hi0 = a->hi;
    const uint8_t *decls;

    memset(&c, 0, sizeof c);
    c.m = m; c.a = a;
    c.last_dst = -1; c.popped_dst = -1; c.cond_end = (size_t)-1;
    c.status = WASM_ERR_INVALID;
    c.labels = wasm__labels();
    if (m->func_types[fidx] >= m->ntypes) { err->msg = "unknown type"; return WASM_ERR_INVALID; }
    ft = &m->types[m->func_types[fidx]];
    c.ft = ft;
    c.r.start = m->bytes; c.r.p = code->body; c.r.end = code->body_end; c.r.err = NULL;

    /* Local declarations: count first (bounded), then fill types. */
    if (!rd_u32(&c.r, &ngroups)) goto malformed;
    decls = c.r.p;
    total = ft->np;
    for (i = 0; i < ngroups; i++) {
        uint8_t t;
        if (!rd_u32(&c.r, &n) || !rd_u8(&c.r, &t)) goto malformed;
        if (!wc_is_num(t) && !wc_is_ref(t)) { c.r.err = "malformed value type"; goto malformed; }
        total += n;
        if (total > WASM_MAX_LOCALS) { c.r.err = "too many locals"; goto malformed; }
    }
    c.nlocals = (uint32_t)total;
    c.ltypes = arena_scratch(a, c.nlocals + 1);
    if (!c.ltypes) { a->hi = hi0; err->msg = "out of arena memory"; return WASM_ERR_NOMEM; }
    memcpy(c.ltypes, ft->p, ft->np);
    {
        wrd d = c.r; uint32_t at = ft->np;
        d.p = decls;
        for (i = 0; i < ngroups; i++) {
            uint8_t t;
            rd_u32(&d, &n); rd_u8(&d, &t);
            memset(c.ltypes + at, t, n);
            at += n;
        }
    }
    c.code = (wcell *)(void *)(a->base + a->lo);
    c.st = wc_grow(&c, NULL, 0, sizeof(vent) * INITIAL_OPERANDS);
    c.cs = wc_grow(&c, NULL, 0, sizeof(ctrl) * INITIAL_BLOCKS);
    if (!c.st || !c.cs) { a->hi = hi0; err->msg = "out of arena memory"; return WASM_ERR_NOMEM; }
    c.scap = INITIAL_OPERANDS; c.ccap = INITIAL_BLOCKS;
    if (!wc_push_ctrl(&c, C_FUNC, 0, NULL, ft->nr, ft->r) || !body(&c)) goto invalid;
    if (c.r.p != c.r.end) { c.err = "section size mismatch"; c.status = WASM_ERR_MALFORMED; goto invalid; }
    a->hi = hi0;
    a->lo += (c.n * sizeof(wcell) + 7u) & ~(size_t)7u;
    code->code = c.code;
    code->nlocals = c.nlocals;
    code->frame_slots = c.nlocals + c.maxh + 1;
    /* Entry charge: the body's instructions outside loops (an upper bound
     * for one pass through them); loop bodies are charged per iteration. */
    code->fuel = c.ninstr > c.func_in_loops ? c.ninstr - c.func_in_loops : 1;
    return WASM_OK;
malformed:
    a->hi = hi0;
    err->msg = c.r.err ? c.r.err : "malformed";
    return WASM_ERR_MALFORMED;
invalid:
    a->hi = hi0;
    err->msg = c.err ? c.err : (c.r.err ? c.r.err : "invalid");
    return c.status;
}
