/* Code emission for the function compiler: the virtual operand stack
 * (real slots, local aliases, pending constants), the control stack with
 * forward-branch patch lists, materialization, and the generic emitters
 * for numeric ops with their immediate and compare-and-branch forms.
 * See compile.c for the overall scheme. */
#include "compile_int.h"

int wc_fail(wcomp *c, const char *msg)
{
    if (!c->err) c->err = msg;
    return 0;
}

void *wc_grow(wcomp *c, const void *old, size_t oldbytes, size_t newbytes)
{
    wasm_arena *a = c->a;
    size_t lo = a->lo;
    void *p;
    a->lo += c->n * sizeof(wcell);
    p = arena_scratch(a, newbytes);
    a->lo = lo;
    if (!p) { c->status = WASM_ERR_NOMEM; wc_fail(c, "out of arena memory"); return NULL; }
    if (oldbytes) memcpy(p, old, oldbytes);
    c->cap = (a->size - a->hi - a->lo) / sizeof(wcell);
    return p;
}

/* Ensures room for `need` operand entries (plus one spare for wc_pop()). */
int wc_reserve_st(wcomp *c, uint32_t need)
{
    uint32_t ncap;
    vent *p;
    if (need < c->scap) return 1;
    if (need >= WASM_MAX_OPERAND_DEPTH) return wc_fail(c, "operand stack too deep");
    ncap = c->scap * 2 > need + 1 ? c->scap * 2 : need + 1;
    if (ncap > WASM_MAX_OPERAND_DEPTH) ncap = WASM_MAX_OPERAND_DEPTH;
    if (!(p = wc_grow(c, c->st, sizeof(vent) * c->scap, sizeof(vent) * ncap))) return 0;
    c->st = p; c->scap = ncap;
    return 1;
}

/* --------------------------------------------------------------- emit */

int wc_put(wcomp *c, wcell v)
{
    if (c->n >= c->cap) { c->status = WASM_ERR_NOMEM; return wc_fail(c, "out of arena memory"); }
    c->code[c->n++] = v;
    return 1;
}

int wc_put_op(wcomp *c, int op)
{
    c->last_dst = -1;
    c->cond_end = (size_t)-1;
    return wc_put(c, c->labels ? (wcell)c->labels[op] : (wcell)op);
}

int wc_put64(wcomp *c, uint64_t v)
{
    if (WCELLS64 == 1) return wc_put(c, (wcell)v);
    return wc_put(c, (wcell)(uint32_t)v) && wc_put(c, (wcell)(uint32_t)(v >> 32));
}


/* Put stack entry i in its canonical slot. */
int wc_materialize(wcomp *c, uint32_t i)
{
    vent *e = &c->st[i];
    int ok = 1;
    if (e->kind == K_REAL) return 1;
    if (!wc_dead(c)) {
        if (e->kind == K_LOCAL)
            ok = wc_put_op(c, OP_mov) && wc_put(c, wc_slot_of(c, i)) && wc_put(c, wc_local_slot(e->local));
        else if (e->type == WASM_I64 || e->type == WASM_F64 || WCELLS64 == 1)
            ok = wc_put_op(c, OP_const64) && wc_put(c, wc_slot_of(c, i)) && wc_put64(c, e->k);
        else
            ok = wc_put_op(c, OP_const32) && wc_put(c, wc_slot_of(c, i)) && wc_put(c, (wcell)(uint32_t)e->k);
    }
    e->kind = K_REAL;
    return ok;
}

int wc_materialize_all(wcomp *c)
{
    uint32_t i;
    for (i = 0; i < c->sp; i++) if (!wc_materialize(c, i)) return 0;
    return 1;
}

/* Slot an instruction should read entry i from (constants materialized). */
wcell wc_src(wcomp *c, uint32_t i)
{
    vent *e = &c->st[i];
    if (e->kind == K_LOCAL) return wc_local_slot(e->local);
    if (e->kind == K_CONST) wc_materialize(c, i);
    return wc_slot_of(c, i);
}

/* ---------------------------------------------------- operand stack */
int wc_push(wcomp *c, uint8_t t)
{
    vent *e;
    if (!wc_reserve_st(c, c->sp + 1)) return 0;
    e = &c->st[c->sp++];
    e->type = t; e->kind = K_REAL; e->local = 0; e->k = 0;
    if (c->sp > c->maxh) c->maxh = c->sp;
    return 1;
}

/* Pops one value of type `want` (0 = any); returns its index or -1. The
 * entry stays readable at c->st[index] until the next push. */
long wc_pop(wcomp *c, uint8_t want, uint8_t *got)
{
    ctrl *f = &c->cs[c->csp - 1];
    uint8_t t;
    if (c->sp == f->height) {
        if (f->unreachable) { if (!wc_reserve_st(c, c->sp + 1)) return -1;
            c->popped_dst = -1; if (got) *got = want; c->st[c->sp].kind = K_REAL; c->st[c->sp].type = want; return (long)c->sp; }
        wc_fail(c, "type mismatch");
        return -1;
    }
    t = c->st[--c->sp].type;
    c->popped_dst = (c->last_dst >= 0 && c->sp == c->last_dst_entry) ? c->last_dst : -1;
    if (c->sp <= c->last_dst_entry) c->last_dst = -1;
    if (want && t && t != want) { wc_fail(c, "type mismatch"); return -1; }
    if (got) *got = t ? t : want;
    return (long)c->sp;
}

int wc_pop_types(wcomp *c, uint32_t n, const uint8_t *ts)
{
    while (n--) if (wc_pop(c, ts[n], NULL) < 0) return 0;
    return 1;
}

int wc_push_types(wcomp *c, uint32_t n, const uint8_t *ts)
{
    uint32_t i;
    for (i = 0; i < n; i++) if (!wc_push(c, ts[i])) return 0;
    return 1;
}

/* ---------------------------------------------------- control stack */
int wc_push_ctrl(wcomp *c, uint8_t kind, uint32_t np, const uint8_t *p, uint32_t nr, const uint8_t *r)
{
    ctrl *f;
    int d = c->csp ? wc_dead(c) : 0;
    if (c->csp >= c->ccap) {
        ctrl *ncs;
        uint32_t ncap = c->ccap * 2;
        if (c->ccap >= WASM_MAX_BLOCK_DEPTH) return wc_fail(c, "blocks nested too deeply");
        if (ncap > WASM_MAX_BLOCK_DEPTH) ncap = WASM_MAX_BLOCK_DEPTH;
        if (!(ncs = wc_grow(c, c->cs, sizeof(ctrl) * c->ccap, sizeof(ctrl) * ncap))) return 0;
        c->cs = ncs; c->ccap = ncap;
    }
    f = &c->cs[c->csp++];
    memset(f, 0, sizeof *f);
    f->kind = kind; f->np = np; f->p = p; f->nr = nr; f->r = r;
    f->height = c->sp;
    f->dead_at_entry = (uint8_t)d;
    f->ninstr_at_start = c->ninstr;
    c->last_dst = -1; c->cond_end = (size_t)-1;
    return wc_push_types(c, np, p);
}

uint32_t wc_label_arity(ctrl *f, const uint8_t **ts)
{
    if (f->kind == C_LOOP) { *ts = f->p; return f->np; }
    *ts = f->r; return f->nr;
}

/* Binds a forward-branch list to the current position. */
void wc_bind(wcomp *c, size_t head)
{
    while (head) {
        size_t at = head - 1;
        head = (size_t)c->code[at];
        c->code[at] = wc_addr_of(c, c->n);
    }
    c->last_dst = -1; c->cond_end = (size_t)-1;
}

/* Emits a branch-target cell for label f (patched later if forward). */
int wc_put_target(wcomp *c, ctrl *f)
{
    if (f->kind == C_LOOP) return wc_put(c, wc_addr_of(c, f->loop_pc));
    if (!wc_put(c, (wcell)f->patch)) return 0;
    f->patch = c->n;        /* 1 + index of the cell just written */
    return 1;
}

/* Moves the top n values into label f's slots (after they are popped the
 * branch leaves the stack as f expects). Values stay on the stack. */
int wc_move_to_label(wcomp *c, ctrl *f, uint32_t n)
{
    uint32_t i, base = c->sp - n;
    if (wc_dead(c)) return 1;
    for (i = 0; i < n; i++) {
        vent *e = &c->st[base + i];
        wcell dst = wc_slot_of(c, f->height + i);
        if (e->kind == K_REAL) {
            if (f->height + i == base + i) continue;
            if (!(wc_put_op(c, OP_mov) && wc_put(c, dst) && wc_put(c, wc_slot_of(c, base + i)))) return 0;
        } else if (e->kind == K_LOCAL) {
            if (!(wc_put_op(c, OP_mov) && wc_put(c, dst) && wc_put(c, wc_local_slot(e->local)))) return 0;
        } else {
            if (!(wc_put_op(c, OP_const64) && wc_put(c, dst) && wc_put64(c, e->k))) return 0;
        }
    }
    return 1;
}

int wc_needs_move(wcomp *c, ctrl *f, uint32_t n)
{
    uint32_t i, base = c->sp - n;
    for (i = 0; i < n; i++)
        if (c->st[base + i].kind != K_REAL || f->height != base) return 1;
    return 0;
}

/* Conditional jump to `target list` when cond (entry ci) is true, or
 * false if negate. Fuses a just-emitted i32 compare/eqz. Returns the cell
 * index of the target operand + 1 via *tcell. */
static const int cmp_inverse[10] = { 1, 0, 8, 9, 6, 7, 4, 5, 2, 3 };

int wc_cond_jump(wcomp *c, uint32_t ci, int negate, size_t *tcell)
{
    vent *e = &c->st[ci];
    if (e->kind == K_REAL && c->cond_end == c->n && c->cond_entry == ci) {
        int op = c->cond_op;
        wcell a = c->cond_a, b = c->cond_b;
        int k = c->cond_k;
        c->n = c->cond_start;
        if (op < 0) {             /* eqz */
            if (!(wc_put_op(c, negate ? OP_br_if : OP_br_ifz) && wc_put(c, a))) return 0;
        } else {
            if (negate) op = cmp_inverse[op];
            if (!(wc_put_op(c, (k ? OP_bi_eq_k : OP_bi_eq) + op) && wc_put(c, a))) return 0;
            if (k) { if (!wc_put(c, b)) return 0; }
            else if (!wc_put(c, b)) return 0;
        }
    } else {
        wcell s = wc_src(c, ci);
        if (!(wc_put_op(c, negate ? OP_br_ifz : OP_br_if) && wc_put(c, s))) return 0;
    }
    if (!wc_put(c, 0)) return 0;
    *tcell = c->n;   /* 1 + index */
    return 1;
}

/* ------------------------------------------------------------ helpers */
void wc_numeric_sig(uint8_t op, uint8_t *in, uint8_t *out, int *bin)
{
    static const struct { uint8_t lo, hi, in, out, bin; } t[] = {
        {0x45,0x45,WASM_I32,WASM_I32,0},{0x46,0x4F,WASM_I32,WASM_I32,1},
        {0x50,0x50,WASM_I64,WASM_I32,0},{0x51,0x5A,WASM_I64,WASM_I32,1},
        {0x5B,0x60,WASM_F32,WASM_I32,1},{0x61,0x66,WASM_F64,WASM_I32,1},
        {0x67,0x69,WASM_I32,WASM_I32,0},{0x6A,0x78,WASM_I32,WASM_I32,1},
        {0x79,0x7B,WASM_I64,WASM_I64,0},{0x7C,0x8A,WASM_I64,WASM_I64,1},
        {0x8B,0x91,WASM_F32,WASM_F32,0},{0x92,0x98,WASM_F32,WASM_F32,1},
        {0x99,0x9F,WASM_F64,WASM_F64,0},{0xA0,0xA6,WASM_F64,WASM_F64,1},
        {0xA7,0xA7,WASM_I64,WASM_I32,0},{0xA8,0xA9,WASM_F32,WASM_I32,0},
        {0xAA,0xAB,WASM_F64,WASM_I32,0},{0xAC,0xAD,WASM_I32,WASM_I64,0},
        {0xAE,0xAF,WASM_F32,WASM_I64,0},{0xB0,0xB1,WASM_F64,WASM_I64,0},
        {0xB2,0xB3,WASM_I32,WASM_F32,0},{0xB4,0xB5,WASM_I64,WASM_F32,0},
        {0xB6,0xB6,WASM_F64,WASM_F32,0},{0xB7,0xB8,WASM_I32,WASM_F64,0},
        {0xB9,0xBA,WASM_I64,WASM_F64,0},{0xBB,0xBB,WASM_F32,WASM_F64,0},
        {0xBC,0xBC,WASM_F32,WASM_I32,0},{0xBD,0xBD,WASM_F64,WASM_I64,0},
        {0xBE,0xBE,WASM_I32,WASM_F32,0},{0xBF,0xBF,WASM_I64,WASM_F64,0},
        {0xC0,0xC1,WASM_I32,WASM_I32,0},{0xC2,0xC4,WASM_I64,WASM_I64,0},
    };
    unsigned i;
    for (i = 0; i < sizeof t / sizeof t[0]; i++)
        if (op >= t[i].lo && op <= t[i].hi) { *in = t[i].in; *out = t[i].out; *bin = t[i].bin; return; }
}

/* Immediate form of an i32/i64 binop, or -1. */
int wc_imm_form(uint8_t op)
{
    if (op >= 0x46 && op <= 0x4F) return OP_i32_eq_k + (op - 0x46);
    switch (op) {
    case 0x6A: return OP_i32_add_k; case 0x6B: return OP_i32_sub_k;
    case 0x6C: return OP_i32_mul_k; case 0x71: return OP_i32_and_k;
    case 0x72: return OP_i32_or_k;  case 0x73: return OP_i32_xor_k;
    case 0x74: return OP_i32_shl_k; case 0x75: return OP_i32_shr_s_k;
    case 0x76: return OP_i32_shr_u_k;
    case 0x7C: return OP_i64_add_k; case 0x7D: return OP_i64_sub_k;
    case 0x7E: return OP_i64_mul_k; case 0x83: return OP_i64_and_k;
    case 0x86: return OP_i64_shl_k; case 0x87: return OP_i64_shr_s_k;
    case 0x88: return OP_i64_shr_u_k;
    }
    return -1;
}

/* Records that the last instruction wrote entry i through cell dst_cell. */
void wc_produced(wcomp *c, size_t dst_cell, uint32_t i)
{
    c->last_dst = (long)dst_cell;
    c->last_dst_entry = i;
}

int wc_unop(wcomp *c, int op, uint8_t in, uint8_t out)
{
    long a = wc_pop(c, in, NULL);
    wcell sa;
    if (a < 0) return 0;
    if (wc_dead(c)) return wc_push(c, out);
    sa = wc_src(c, (uint32_t)a);
    if (!(wc_put_op(c, op) && wc_put(c, wc_slot_of(c, (uint32_t)a)) && wc_put(c, sa))) return 0;
    wc_produced(c, c->n - 2, (uint32_t)a);
    return wc_push(c, out);
}

int wc_numeric(wcomp *c, uint8_t opc)
{
    uint8_t in = 0, out = 0;
    int bin = 0, op = OP_NUMERIC_FIRST + (opc - 0x45);
    long a, b;
    size_t start;
    wc_numeric_sig(opc, &in, &out, &bin);
    if (!bin) {
        if (!wc_unop(c, op, in, out)) return 0;
        if (opc == 0x45 && !wc_dead(c) && c->last_dst >= 0) {
            c->cond_start = c->n - 3; c->cond_end = c->n; c->cond_op = -1;
            c->cond_entry = c->sp - 1; c->cond_a = c->code[c->n - 1]; c->cond_k = 0;
        }
        return 1;
    }
    if ((b = wc_pop(c, in, NULL)) < 0 || (a = wc_pop(c, in, NULL)) < 0) return 0;
    if (wc_dead(c)) return wc_push(c, out);
    start = c->n;
    {
        vent *ea = &c->st[a], *eb = &c->st[b];
        int k = wc_imm_form(opc);
        wcell sa, sb;
        if (k >= 0 && eb->kind == K_CONST && ea->kind != K_CONST) {
            uint64_t kv = eb->k;
            sa = wc_src(c, (uint32_t)a);
            start = c->n;
            if (!(wc_put_op(c, k) && wc_put(c, wc_slot_of(c, (uint32_t)a)) && wc_put(c, sa))) return 0;
            if (in == WASM_I64 ? !wc_put64(c, kv) : !wc_put(c, (wcell)(uint32_t)kv)) return 0;
            wc_produced(c, start + 1, (uint32_t)a);
            if (opc >= 0x46 && opc <= 0x4F) {
                c->cond_start = start; c->cond_end = c->n; c->cond_op = opc - 0x46;
                c->cond_entry = (uint32_t)a; c->cond_a = sa; c->cond_b = (wcell)(uint32_t)kv; c->cond_k = 1;
            }
            return wc_push(c, out);
        }
        sa = wc_src(c, (uint32_t)a);
        sb = wc_src(c, (uint32_t)b);
        start = c->n;
        if (!(wc_put_op(c, op) && wc_put(c, wc_slot_of(c, (uint32_t)a)) && wc_put(c, sa) && wc_put(c, sb))) return 0;
        wc_produced(c, start + 1, (uint32_t)a);
        if (opc >= 0x46 && opc <= 0x4F) {
            c->cond_start = start; c->cond_end = c->n; c->cond_op = opc - 0x46;
            c->cond_entry = (uint32_t)a; c->cond_a = sa; c->cond_b = sb; c->cond_k = 0;
        }
    }
    return wc_push(c, out);
}

int wc_memarg(wcomp *c, uint32_t natural_log2, uint32_t *offset)
{
    uint32_t align;
    if (!rd_u32(&c->r, &align) || !rd_u32(&c->r, offset)) return wc_fail(c, c->r.err);
    if (c->m->nmems == 0) return wc_fail(c, "unknown memory");
    if (align > natural_log2) return wc_fail(c, "alignment must not be larger than natural");
    return 1;
}

int wc_check_func(wcomp *c, uint32_t x)
{
    if (x >= c->m->nfuncs) return wc_fail(c, "unknown function");
    return 1;
}
int wc_check_table(wcomp *c, uint32_t x)
{
    if (x >= c->m->ntables) return wc_fail(c, "unknown table");
    return 1;
}


/* Emits op followed by the slots of the top n entries (popped, typed). */
int wc_emit_popped(wcomp *c, int op, uint32_t n, const uint8_t *types, const wcell *imm, uint32_t nimm)
{
    uint32_t i;
    long idx[3];
    wcell s[3];
    for (i = n; i-- > 0;) if ((idx[i] = wc_pop(c, types[i], NULL)) < 0) return 0;
    if (wc_dead(c)) return 1;
    for (i = 0; i < n; i++) s[i] = wc_src(c, (uint32_t)idx[i]);
    if (!wc_put_op(c, op)) return 0;
    for (i = 0; i < nimm; i++) if (!wc_put(c, imm[i])) return 0;
    for (i = 0; i < n; i++) if (!wc_put(c, s[i])) return 0;
    return 1;
}


/* Validates (without consuming) that the top n values match ts. In an
 * unreachable frame the spec pops and re-pushes the label types. */
int wc_peek_types(wcomp *c, uint32_t n, const uint8_t *ts)
{
    ctrl *f = &c->cs[c->csp - 1];
    uint32_t sp0 = c->sp;
    if (!wc_pop_types(c, n, ts)) return 0;
    if (!f->unreachable) { c->sp = sp0; return 1; }
    return wc_push_types(c, n, ts);
}

/* br_table flavour: in an unreachable frame the popped values themselves
 * (possibly of unknown type) go back, so labels of different types can
 * still meet the polymorphic stack. */
int wc_peek_popped(wcomp *c, uint32_t n, const uint8_t *ts)
{
    ctrl *f = &c->cs[c->csp - 1];
    uint32_t sp0 = c->sp, avail = sp0 - f->height, k, i;
    for (i = 0; i < n; i++) {
        uint8_t t;
        if (i >= avail) {
            if (!f->unreachable) return wc_fail(c, "type mismatch");
            break;
        }
        t = c->st[sp0 - 1 - i].type;
        if (t && t != ts[n - 1 - i]) return wc_fail(c, "type mismatch");
    }
    if (n <= avail) return 1;
    k = avail;
    if (!wc_reserve_st(c, f->height + n + 1)) return 0;
    memmove(&c->st[f->height + (n - k)], &c->st[f->height], k * sizeof(vent));
    for (i = 0; i < n - k; i++) {
        vent *e = &c->st[f->height + i];
        e->type = T_UNKNOWN; e->kind = K_REAL; e->local = 0; e->k = 0;
    }
    c->sp = f->height + n;
    if (c->sp > c->maxh) c->maxh = c->sp;
    return 1;
}

void wc_set_unreachable(wcomp *c)
{
    ctrl *f = &c->cs[c->csp - 1];
    c->sp = f->height;
    f->unreachable = 1;
}

/* Materialize the top n entries that belong to the current frame. */
int wc_materialize_top(wcomp *c, uint32_t n)
{
    ctrl *f = &c->cs[c->csp - 1];
    uint32_t i = c->sp >= f->height + n ? c->sp - n : f->height;
    for (; i < c->sp; i++) if (!wc_materialize(c, i)) return 0;
    return 1;
}

int wc_set_local(wcomp *c, uint32_t x, uint32_t ei, long pdst)
{
    uint32_t i;
    size_t n0 = c->n;
    vent *e = &c->st[ei];
    if (wc_dead(c)) return 1;
    for (i = 0; i < c->sp; i++)
        if (c->st[i].kind == K_LOCAL && c->st[i].local == x && !wc_materialize(c, i)) return 0;
    if (e->kind == K_REAL && pdst >= 0 && c->n == n0) {
        c->code[pdst] = wc_local_slot(x);
        c->last_dst = -1; c->cond_end = (size_t)-1;
        return 1;
    }
    if (e->kind == K_LOCAL) {
        if (e->local == x) return 1;
        return wc_put_op(c, OP_mov) && wc_put(c, wc_local_slot(x)) && wc_put(c, wc_local_slot(e->local));
    }
    if (e->kind == K_CONST)
        return wc_put_op(c, OP_const64) && wc_put(c, wc_local_slot(x)) && wc_put64(c, e->k);
    return wc_put_op(c, OP_mov) && wc_put(c, wc_local_slot(x)) && wc_put(c, wc_slot_of(c, ei));
}

