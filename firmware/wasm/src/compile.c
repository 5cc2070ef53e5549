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
#include "wasm_int.h"

enum { K_REAL = 0, K_LOCAL = 1, K_CONST = 2 };
enum { C_BLOCK, C_LOOP, C_IF, C_ELSE, C_FUNC };
#define T_UNKNOWN 0

typedef struct { uint8_t type, kind; uint32_t local; uint64_t k; } vent;

typedef struct {
    uint8_t  kind, unreachable, dead_at_entry;
    uint32_t height;
    uint32_t np, nr;
    const uint8_t *p, *r;
    size_t   loop_pc;      /* code index of a loop's first instruction */
    size_t   patch;        /* 1 + cell index heading the forward-branch list */
    size_t   else_patch;   /* 1 + cell index of the if's jump-to-else target */
    size_t   fuel_cell;    /* 1 + cell index of the loop's fuel amount */
    uint32_t ninstr_at_start;
} ctrl;

typedef struct {
    wasm_module *m;
    wasm_arena *a;
    wrd r;
    const wasm_functype *ft;
    uint8_t *ltypes;
    uint32_t nlocals;
    vent *st; uint32_t sp, scap, maxh;
    ctrl *cs; uint32_t csp, ccap;
    wcell *code; size_t n, cap;
    const void *const *labels;
    long last_dst;              /* cell holding the last result's slot */
    long popped_dst;            /* last_dst of the entry just popped */
    uint32_t last_dst_entry;
    /* last i32 compare/eqz, for compare-and-branch fusion */
    size_t cond_start, cond_end; int cond_op; uint32_t cond_entry;
    wcell cond_a, cond_b; int cond_k;
    uint32_t ninstr;
    const char *err;
    wasm_status status;
} C;

static int fail(C *c, const char *msg)
{
    if (!c->err) c->err = msg;
    return 0;
}

/* Scratch stacks start small and double on demand, so loading needs memory
 * proportional to the deepest nesting actually used, not to the body size.
 * Scratch is taken from the top of the arena above the code emitted so far;
 * superseded copies are reclaimed when the function is done. */
#define INITIAL_OPERANDS 64u
#define INITIAL_BLOCKS   16u

static void *grow(C *c, const void *old, size_t oldbytes, size_t newbytes)
{
    wasm_arena *a = c->a;
    size_t lo = a->lo;
    void *p;
    a->lo += c->n * sizeof(wcell);
    p = arena_scratch(a, newbytes);
    a->lo = lo;
    if (!p) { c->status = WASM_ERR_NOMEM; fail(c, "out of arena memory"); return NULL; }
    if (oldbytes) memcpy(p, old, oldbytes);
    c->cap = (a->size - a->hi - a->lo) / sizeof(wcell);
    return p;
}

/* Ensures room for `need` operand entries (plus one spare for pop()). */
static int reserve_st(C *c, uint32_t need)
{
    uint32_t ncap;
    vent *p;
    if (need < c->scap) return 1;
    if (need >= WASM_MAX_OPERAND_DEPTH) return fail(c, "operand stack too deep");
    ncap = c->scap * 2 > need + 1 ? c->scap * 2 : need + 1;
    if (ncap > WASM_MAX_OPERAND_DEPTH) ncap = WASM_MAX_OPERAND_DEPTH;
    if (!(p = grow(c, c->st, sizeof(vent) * c->scap, sizeof(vent) * ncap))) return 0;
    c->st = p; c->scap = ncap;
    return 1;
}

/* --------------------------------------------------------------- emit */
static int dead(C *c)
{
    ctrl *f = &c->cs[c->csp - 1];
    return f->unreachable || f->dead_at_entry;
}

static int put(C *c, wcell v)
{
    if (c->n >= c->cap) { c->status = WASM_ERR_NOMEM; return fail(c, "out of arena memory"); }
    c->code[c->n++] = v;
    return 1;
}

static int put_op(C *c, int op)
{
    c->last_dst = -1;
    c->cond_end = (size_t)-1;
    return put(c, c->labels ? (wcell)c->labels[op] : (wcell)op);
}

static int put64(C *c, uint64_t v)
{
    if (WCELLS64 == 1) return put(c, (wcell)v);
    return put(c, (wcell)(uint32_t)v) && put(c, (wcell)(uint32_t)(v >> 32));
}

static wcell slot_of(C *c, uint32_t i) { return (wcell)((c->nlocals + i) * sizeof(wasm_val)); }
static wcell local_slot(uint32_t x) { return (wcell)(x * sizeof(wasm_val)); }
static wcell addr_of(C *c, size_t idx) { return (wcell)(c->code + idx); }

/* Put stack entry i in its canonical slot. */
static int materialize(C *c, uint32_t i)
{
    vent *e = &c->st[i];
    int ok = 1;
    if (e->kind == K_REAL) return 1;
    if (!dead(c)) {
        if (e->kind == K_LOCAL)
            ok = put_op(c, OP_mov) && put(c, slot_of(c, i)) && put(c, local_slot(e->local));
        else if (e->type == WASM_I64 || e->type == WASM_F64 || WCELLS64 == 1)
            ok = put_op(c, OP_const64) && put(c, slot_of(c, i)) && put64(c, e->k);
        else
            ok = put_op(c, OP_const32) && put(c, slot_of(c, i)) && put(c, (wcell)(uint32_t)e->k);
    }
    e->kind = K_REAL;
    return ok;
}

static int materialize_all(C *c)
{
    uint32_t i;
    for (i = 0; i < c->sp; i++) if (!materialize(c, i)) return 0;
    return 1;
}

/* Slot an instruction should read entry i from (constants materialized). */
static wcell src(C *c, uint32_t i)
{
    vent *e = &c->st[i];
    if (e->kind == K_LOCAL) return local_slot(e->local);
    if (e->kind == K_CONST) materialize(c, i);
    return slot_of(c, i);
}

/* ---------------------------------------------------- operand stack */
static int push(C *c, uint8_t t)
{
    vent *e;
    if (!reserve_st(c, c->sp + 1)) return 0;
    e = &c->st[c->sp++];
    e->type = t; e->kind = K_REAL; e->local = 0; e->k = 0;
    if (c->sp > c->maxh) c->maxh = c->sp;
    return 1;
}

/* Pops one value of type `want` (0 = any); returns its index or -1. The
 * entry stays readable at c->st[index] until the next push. */
static long pop(C *c, uint8_t want, uint8_t *got)
{
    ctrl *f = &c->cs[c->csp - 1];
    uint8_t t;
    if (c->sp == f->height) {
        if (f->unreachable) { if (!reserve_st(c, c->sp + 1)) return -1;
            c->popped_dst = -1; if (got) *got = want; c->st[c->sp].kind = K_REAL; c->st[c->sp].type = want; return (long)c->sp; }
        fail(c, "type mismatch");
        return -1;
    }
    t = c->st[--c->sp].type;
    c->popped_dst = (c->last_dst >= 0 && c->sp == c->last_dst_entry) ? c->last_dst : -1;
    if (c->sp <= c->last_dst_entry) c->last_dst = -1;
    if (want && t && t != want) { fail(c, "type mismatch"); return -1; }
    if (got) *got = t ? t : want;
    return (long)c->sp;
}

static int pop_types(C *c, uint32_t n, const uint8_t *ts)
{
    while (n--) if (pop(c, ts[n], NULL) < 0) return 0;
    return 1;
}

static int push_types(C *c, uint32_t n, const uint8_t *ts)
{
    uint32_t i;
    for (i = 0; i < n; i++) if (!push(c, ts[i])) return 0;
    return 1;
}

/* ---------------------------------------------------- control stack */
static int push_ctrl(C *c, uint8_t kind, uint32_t np, const uint8_t *p, uint32_t nr, const uint8_t *r)
{
    ctrl *f;
    int d = c->csp ? dead(c) : 0;
    if (c->csp >= c->ccap) {
        ctrl *p;
        uint32_t ncap = c->ccap * 2;
        if (c->ccap >= WASM_MAX_BLOCK_DEPTH) return fail(c, "blocks nested too deeply");
        if (ncap > WASM_MAX_BLOCK_DEPTH) ncap = WASM_MAX_BLOCK_DEPTH;
        if (!(p = grow(c, c->cs, sizeof(ctrl) * c->ccap, sizeof(ctrl) * ncap))) return 0;
        c->cs = p; c->ccap = ncap;
    }
    f = &c->cs[c->csp++];
    memset(f, 0, sizeof *f);
    f->kind = kind; f->np = np; f->p = p; f->nr = nr; f->r = r;
    f->height = c->sp;
    f->dead_at_entry = (uint8_t)d;
    f->ninstr_at_start = c->ninstr;
    c->last_dst = -1; c->cond_end = (size_t)-1;
    return push_types(c, np, p);
}

static uint32_t label_arity(ctrl *f, const uint8_t **ts)
{
    if (f->kind == C_LOOP) { *ts = f->p; return f->np; }
    *ts = f->r; return f->nr;
}

/* Binds a forward-branch list to the current position. */
static void bind(C *c, size_t head)
{
    while (head) {
        size_t at = head - 1;
        head = (size_t)c->code[at];
        c->code[at] = addr_of(c, c->n);
    }
    c->last_dst = -1; c->cond_end = (size_t)-1;
}

/* Emits a branch-target cell for label f (patched later if forward). */
static int put_target(C *c, ctrl *f)
{
    if (f->kind == C_LOOP) return put(c, addr_of(c, f->loop_pc));
    if (!put(c, (wcell)f->patch)) return 0;
    f->patch = c->n;        /* 1 + index of the cell just written */
    return 1;
}

/* Moves the top n values into label f's slots (after they are popped the
 * branch leaves the stack as f expects). Values stay on the stack. */
static int move_to_label(C *c, ctrl *f, uint32_t n)
{
    uint32_t i, base = c->sp - n;
    if (dead(c)) return 1;
    for (i = 0; i < n; i++) {
        vent *e = &c->st[base + i];
        wcell dst = slot_of(c, f->height + i);
        if (e->kind == K_REAL) {
            if (f->height + i == base + i) continue;
            if (!(put_op(c, OP_mov) && put(c, dst) && put(c, slot_of(c, base + i)))) return 0;
        } else if (e->kind == K_LOCAL) {
            if (!(put_op(c, OP_mov) && put(c, dst) && put(c, local_slot(e->local)))) return 0;
        } else {
            if (!(put_op(c, OP_const64) && put(c, dst) && put64(c, e->k))) return 0;
        }
    }
    return 1;
}

static int needs_move(C *c, ctrl *f, uint32_t n)
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

static int cond_jump(C *c, uint32_t ci, int negate, size_t *tcell)
{
    vent *e = &c->st[ci];
    if (e->kind == K_REAL && c->cond_end == c->n && c->cond_entry == ci) {
        int op = c->cond_op;
        wcell a = c->cond_a, b = c->cond_b;
        int k = c->cond_k;
        c->n = c->cond_start;
        if (op < 0) {             /* eqz */
            if (!(put_op(c, negate ? OP_br_if : OP_br_ifz) && put(c, a))) return 0;
        } else {
            if (negate) op = cmp_inverse[op];
            if (!(put_op(c, (k ? OP_bi_eq_k : OP_bi_eq) + op) && put(c, a))) return 0;
            if (k) { if (!put(c, b)) return 0; }
            else if (!put(c, b)) return 0;
        }
    } else {
        wcell s = src(c, ci);
        if (!(put_op(c, negate ? OP_br_ifz : OP_br_if) && put(c, s))) return 0;
    }
    if (!put(c, 0)) return 0;
    *tcell = c->n;   /* 1 + index */
    return 1;
}

/* ------------------------------------------------------------ helpers */
static int rd_blocktype(C *c, uint32_t *np, const uint8_t **p, uint32_t *nr, const uint8_t **r)
{
    int64_t x;
    uint8_t b;
    if (c->r.p >= c->r.end) return fail(c, "unexpected end");
    b = *c->r.p;
    *np = 0; *p = NULL;
    if (b == 0x40) { c->r.p++; *nr = 0; *r = NULL; return 1; }
    if (b == WASM_I32 || b == WASM_I64 || b == WASM_F32 || b == WASM_F64 ||
        b == WASM_FUNCREF || b == WASM_EXTERNREF) {
        *nr = 1; *r = c->r.p; c->r.p++; return 1;
    }
    if (!rd_s33(&c->r, &x)) return fail(c, c->r.err);
    if (x < 0 || (uint64_t)x >= c->m->ntypes) return fail(c, "unknown type");
    *np = c->m->types[x].np; *p = c->m->types[x].p;
    *nr = c->m->types[x].nr; *r = c->m->types[x].r;
    return 1;
}

/* Numeric opcode 0x45..0xC4 -> operand type(s), result type, arity. */
static void numeric_sig(uint8_t op, uint8_t *in, uint8_t *out, int *bin)
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
static int imm_form(uint8_t op)
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
static void produced(C *c, size_t dst_cell, uint32_t i)
{
    c->last_dst = (long)dst_cell;
    c->last_dst_entry = i;
}

static int unop(C *c, int op, uint8_t in, uint8_t out)
{
    long a = pop(c, in, NULL);
    wcell sa;
    if (a < 0) return 0;
    if (dead(c)) return push(c, out);
    sa = src(c, (uint32_t)a);
    if (!(put_op(c, op) && put(c, slot_of(c, (uint32_t)a)) && put(c, sa))) return 0;
    produced(c, c->n - 2, (uint32_t)a);
    return push(c, out);
}

static int numeric(C *c, uint8_t opc)
{
    uint8_t in = 0, out = 0;
    int bin = 0, op = OP_NUMERIC_FIRST + (opc - 0x45);
    long a, b;
    size_t start;
    numeric_sig(opc, &in, &out, &bin);
    if (!bin) {
        if (!unop(c, op, in, out)) return 0;
        if (opc == 0x45 && !dead(c) && c->last_dst >= 0) {
            c->cond_start = c->n - 3; c->cond_end = c->n; c->cond_op = -1;
            c->cond_entry = c->sp - 1; c->cond_a = c->code[c->n - 1]; c->cond_k = 0;
        }
        return 1;
    }
    if ((b = pop(c, in, NULL)) < 0 || (a = pop(c, in, NULL)) < 0) return 0;
    if (dead(c)) return push(c, out);
    start = c->n;
    {
        vent *ea = &c->st[a], *eb = &c->st[b];
        int k = imm_form(opc);
        wcell sa, sb;
        if (k >= 0 && eb->kind == K_CONST && ea->kind != K_CONST) {
            uint64_t kv = eb->k;
            sa = src(c, (uint32_t)a);
            start = c->n;
            if (!(put_op(c, k) && put(c, slot_of(c, (uint32_t)a)) && put(c, sa))) return 0;
            if (in == WASM_I64 ? !put64(c, kv) : !put(c, (wcell)(uint32_t)kv)) return 0;
            produced(c, start + 1, (uint32_t)a);
            if (opc >= 0x46 && opc <= 0x4F) {
                c->cond_start = start; c->cond_end = c->n; c->cond_op = opc - 0x46;
                c->cond_entry = (uint32_t)a; c->cond_a = sa; c->cond_b = (wcell)(uint32_t)kv; c->cond_k = 1;
            }
            return push(c, out);
        }
        sa = src(c, (uint32_t)a);
        sb = src(c, (uint32_t)b);
        start = c->n;
        if (!(put_op(c, op) && put(c, slot_of(c, (uint32_t)a)) && put(c, sa) && put(c, sb))) return 0;
        produced(c, start + 1, (uint32_t)a);
        if (opc >= 0x46 && opc <= 0x4F) {
            c->cond_start = start; c->cond_end = c->n; c->cond_op = opc - 0x46;
            c->cond_entry = (uint32_t)a; c->cond_a = sa; c->cond_b = sb; c->cond_k = 0;
        }
    }
    return push(c, out);
}

static int memarg(C *c, uint32_t natural_log2, uint32_t *offset)
{
    uint32_t align;
    if (!rd_u32(&c->r, &align) || !rd_u32(&c->r, offset)) return fail(c, c->r.err);
    if (c->m->nmems == 0) return fail(c, "unknown memory");
    if (align > natural_log2) return fail(c, "alignment must not be larger than natural");
    return 1;
}

static int check_func(C *c, uint32_t x)
{
    if (x >= c->m->nfuncs) return fail(c, "unknown function");
    return 1;
}
static int check_table(C *c, uint32_t x)
{
    if (x >= c->m->ntables) return fail(c, "unknown table");
    return 1;
}

static int is_num(uint8_t t) { return t == WASM_I32 || t == WASM_I64 || t == WASM_F32 || t == WASM_F64; }
static int is_ref(uint8_t t) { return t == WASM_FUNCREF || t == WASM_EXTERNREF; }

/* Emits op followed by the slots of the top n entries (popped, typed). */
static int emit_popped(C *c, int op, uint32_t n, const uint8_t *types, const wcell *imm, uint32_t nimm)
{
    uint32_t i;
    long idx[3];
    wcell s[3];
    for (i = n; i-- > 0;) if ((idx[i] = pop(c, types[i], NULL)) < 0) return 0;
    if (dead(c)) return 1;
    for (i = 0; i < n; i++) s[i] = src(c, (uint32_t)idx[i]);
    if (!put_op(c, op)) return 0;
    for (i = 0; i < nimm; i++) if (!put(c, imm[i])) return 0;
    for (i = 0; i < n; i++) if (!put(c, s[i])) return 0;
    return 1;
}


/* Validates (without consuming) that the top n values match ts. In an
 * unreachable frame the spec pops and re-pushes the label types. */
static int peek_types(C *c, uint32_t n, const uint8_t *ts)
{
    ctrl *f = &c->cs[c->csp - 1];
    uint32_t sp0 = c->sp;
    if (!pop_types(c, n, ts)) return 0;
    if (!f->unreachable) { c->sp = sp0; return 1; }
    return push_types(c, n, ts);
}

/* br_table flavour: in an unreachable frame the popped values themselves
 * (possibly of unknown type) go back, so labels of different types can
 * still meet the polymorphic stack. */
static int peek_popped(C *c, uint32_t n, const uint8_t *ts)
{
    ctrl *f = &c->cs[c->csp - 1];
    uint32_t sp0 = c->sp, avail = sp0 - f->height, k, i;
    for (i = 0; i < n; i++) {
        uint8_t t;
        if (i >= avail) {
            if (!f->unreachable) return fail(c, "type mismatch");
            break;
        }
        t = c->st[sp0 - 1 - i].type;
        if (t && t != ts[n - 1 - i]) return fail(c, "type mismatch");
    }
    if (n <= avail) return 1;
    k = avail;
    if (!reserve_st(c, f->height + n + 1)) return 0;
    memmove(&c->st[f->height + (n - k)], &c->st[f->height], k * sizeof(vent));
    for (i = 0; i < n - k; i++) {
        vent *e = &c->st[f->height + i];
        e->type = T_UNKNOWN; e->kind = K_REAL; e->local = 0; e->k = 0;
    }
    c->sp = f->height + n;
    if (c->sp > c->maxh) c->maxh = c->sp;
    return 1;
}

static void set_unreachable(C *c)
{
    ctrl *f = &c->cs[c->csp - 1];
    c->sp = f->height;
    f->unreachable = 1;
}

/* Materialize the top n entries that belong to the current frame. */
static int materialize_top(C *c, uint32_t n)
{
    ctrl *f = &c->cs[c->csp - 1];
    uint32_t i = c->sp >= f->height + n ? c->sp - n : f->height;
    for (; i < c->sp; i++) if (!materialize(c, i)) return 0;
    return 1;
}

static int set_local(C *c, uint32_t x, uint32_t ei, long pdst)
{
    uint32_t i;
    size_t n0 = c->n;
    vent *e = &c->st[ei];
    if (dead(c)) return 1;
    for (i = 0; i < c->sp; i++)
        if (c->st[i].kind == K_LOCAL && c->st[i].local == x && !materialize(c, i)) return 0;
    if (e->kind == K_REAL && pdst >= 0 && c->n == n0) {
        c->code[pdst] = local_slot(x);
        c->last_dst = -1; c->cond_end = (size_t)-1;
        return 1;
    }
    if (e->kind == K_LOCAL) {
        if (e->local == x) return 1;
        return put_op(c, OP_mov) && put(c, local_slot(x)) && put(c, local_slot(e->local));
    }
    if (e->kind == K_CONST)
        return put_op(c, OP_const64) && put(c, local_slot(x)) && put64(c, e->k);
    return put_op(c, OP_mov) && put(c, local_slot(x)) && put(c, slot_of(c, ei));
}

static int rd_idx(C *c, uint32_t *x)
{
    if (!rd_u32(&c->r, x)) return fail(c, c->r.err);
    return 1;
}

static int zero_byte(C *c)
{
    uint8_t b;
    if (!rd_u8(&c->r, &b)) return fail(c, c->r.err);
    if (b != 0) return fail(c, "zero byte expected");
    return 1;
}

static const uint8_t T_I32x3[3] = { WASM_I32, WASM_I32, WASM_I32 };

static int op_call(C *c, const wasm_functype *ft, int indirect, uint32_t y, uint32_t x)
{
    long ci = -1;
    wcell sidx = 0;
    if (indirect && (ci = pop(c, WASM_I32, NULL)) < 0) return 0;
    if (!materialize_top(c, ft->np) || !pop_types(c, ft->np, ft->p)) return 0;
    if (!dead(c)) {
        wcell base = slot_of(c, c->sp);
        if (indirect) {
            sidx = src(c, (uint32_t)ci);
            if (!(put_op(c, OP_call_indirect) && put(c, y) && put(c, x) && put(c, sidx) && put(c, base))) return 0;
        } else if (!(put_op(c, OP_call) && put(c, x) && put(c, base))) return 0;
    }
    /* the frame above base must fit the results too */
    return push_types(c, ft->nr, ft->r);
}

static int op_fc(C *c)
{
    uint32_t sub, x, y;
    wasm_module *m = c->m;
    if (!rd_idx(c, &sub)) return 0;
    if (sub <= 7) {
        static const uint8_t in[8] = { WASM_F32, WASM_F32, WASM_F64, WASM_F64, WASM_F32, WASM_F32, WASM_F64, WASM_F64 };
        return unop(c, OP_i32_trunc_sat_f32_s + (int)sub, in[sub], sub < 4 ? WASM_I32 : WASM_I64);
    }
    switch (sub) {
    case 8:
        if (!rd_idx(c, &x) || !zero_byte(c)) return 0;
        if (!m->has_datacount) return fail(c, "data count section required");
        if (m->nmems == 0) return fail(c, "unknown memory");
        if (x >= m->datacount) return fail(c, "unknown data segment");
        return emit_popped(c, OP_memory_init, 3, T_I32x3, (wcell *)&x, 0) &&
               (dead(c) || put(c, x));
    case 9:
        if (!rd_idx(c, &x)) return 0;
        if (!m->has_datacount) return fail(c, "data count section required");
        if (x >= m->datacount) return fail(c, "unknown data segment");
        return dead(c) || (put_op(c, OP_data_drop) && put(c, x));
    case 10:
        if (!zero_byte(c) || !zero_byte(c)) return 0;
        if (m->nmems == 0) return fail(c, "unknown memory");
        return emit_popped(c, OP_memory_copy, 3, T_I32x3, NULL, 0);
    case 11:
        if (!zero_byte(c)) return 0;
        if (m->nmems == 0) return fail(c, "unknown memory");
        return emit_popped(c, OP_memory_fill, 3, T_I32x3, NULL, 0);
    case 12: {
        wcell imm[2];
        if (!rd_idx(c, &y) || !rd_idx(c, &x)) return 0;   /* elem, table */
        if (!check_table(c, x)) return 0;
        if (y >= m->nelems) return fail(c, "unknown elem segment");
        if (m->elems[y].type != m->tables[x].elemtype) return fail(c, "type mismatch");
        imm[0] = x; imm[1] = y;
        return emit_popped(c, OP_table_init, 3, T_I32x3, imm, 2); }
    case 13:
        if (!rd_idx(c, &x)) return 0;
        if (x >= m->nelems) return fail(c, "unknown elem segment");
        return dead(c) || (put_op(c, OP_elem_drop) && put(c, x));
    case 14: {
        wcell imm[2];
        if (!rd_idx(c, &x) || !rd_idx(c, &y)) return 0;   /* dst, src */
        if (!check_table(c, x) || !check_table(c, y)) return 0;
        if (m->tables[x].elemtype != m->tables[y].elemtype) return fail(c, "type mismatch");
        imm[0] = x; imm[1] = y;
        return emit_popped(c, OP_table_copy, 3, T_I32x3, imm, 2); }
    case 15: {
        long a, b;
        if (!rd_idx(c, &x) || !check_table(c, x)) return 0;
        if ((b = pop(c, WASM_I32, NULL)) < 0 || (a = pop(c, m->tables[x].elemtype, NULL)) < 0) return 0;
        if (!dead(c)) {
            wcell sa = src(c, (uint32_t)a), sb = src(c, (uint32_t)b);
            if (!(put_op(c, OP_table_grow) && put(c, slot_of(c, (uint32_t)a)) && put(c, x) && put(c, sa) && put(c, sb))) return 0;
        }
        return push(c, WASM_I32); }
    case 16:
        if (!rd_idx(c, &x) || !check_table(c, x)) return 0;
        if (!dead(c) && !(put_op(c, OP_table_size) && put(c, slot_of(c, c->sp)) && put(c, x))) return 0;
        return push(c, WASM_I32);
    case 17: {
        uint8_t ts[3];
        wcell imm = 0;
        if (!rd_idx(c, &x) || !check_table(c, x)) return 0;
        ts[0] = WASM_I32; ts[1] = m->tables[x].elemtype; ts[2] = WASM_I32;
        imm = x;
        return emit_popped(c, OP_table_fill, 3, ts, &imm, 1); }
    }
    return fail(c, "illegal opcode");
}

static int op_br_table(C *c)
{
    uint32_t n, i, l, arity, m;
    const uint8_t *ts, *dts;
    const uint8_t *labels_at;
    long ci;
    ctrl *f;
    if (!rd_u32(&c->r, &n)) return fail(c, c->r.err);
    if (n > (uint32_t)(c->r.end - c->r.p)) return fail(c, "unexpected end");
    labels_at = c->r.p;
    for (i = 0; i < n; i++) if (!rd_idx(c, &l)) return 0;
    if (!rd_idx(c, &l)) return 0;
    if (l >= c->csp) return fail(c, "unknown label");
    if ((ci = pop(c, WASM_I32, NULL)) < 0) return 0;
    m = label_arity(&c->cs[c->csp - 1 - l], &dts);
    /* validate every target against the operand stack */
    {
        wrd save = c->r;
        c->r.p = labels_at;
        for (i = 0; i <= n; i++) {
            rd_u32(&c->r, &l);
            if (l >= c->csp) return fail(c, "unknown label");
            arity = label_arity(&c->cs[c->csp - 1 - l], &ts);
            if (arity != m) return fail(c, "type mismatch");
            if (!peek_popped(c, arity, ts)) return 0;
        }
        c->r = save;
    }
    if (!dead(c)) {
        wcell sidx;
        wrd save = c->r;
        if (!materialize_top(c, m)) return 0;
        sidx = src(c, (uint32_t)ci);
        if (!(put_op(c, OP_br_table) && put(c, sidx) && put(c, n) && put(c, slot_of(c, c->sp - m)) && put(c, m))) return 0;
        c->r.p = labels_at;
        for (i = 0; i <= n; i++) {
            rd_u32(&c->r, &l);
            f = &c->cs[c->csp - 1 - l];
            if (!put_target(c, f) || !put(c, slot_of(c, f->height))) return 0;
        }
        c->r = save;
    }
    set_unreachable(c);
    return 1;
}

/* Checks the frame's results and puts them in their home slots. */
static int end_results(C *c, ctrl *f)
{
    if (!materialize_top(c, f->nr) || !pop_types(c, f->nr, f->r)) return 0;
    if (c->sp != f->height) return fail(c, "type mismatch");
    return 1;
}

static int body(C *c)
{
    wasm_module *m = c->m;
    for (;;) {
        uint8_t op;
        uint32_t x;
        ctrl *f;
        if (!rd_u8(&c->r, &op)) return fail(c, "unexpected end of section or function");
        c->ninstr++;
        switch (op) {
        case 0x00:
            if (!dead(c) && !put_op(c, OP_unreachable)) return 0;
            set_unreachable(c);
            break;
        case 0x01: break;
        case 0x02: case 0x03: case 0x04: {
            uint32_t np, nr; const uint8_t *p, *r;
            long ci = -1;
            size_t tcell = 0;
            if (!rd_blocktype(c, &np, &p, &nr, &r)) return 0;
            if (op == 0x04 && (ci = pop(c, WASM_I32, NULL)) < 0) return 0;
            if (!materialize_all(c) || !pop_types(c, np, p)) return 0;
            if (op == 0x04 && !dead(c) && !cond_jump(c, (uint32_t)ci, 1, &tcell)) return 0;
            if (!push_ctrl(c, op == 0x02 ? C_BLOCK : op == 0x03 ? C_LOOP : C_IF, np, p, nr, r)) return 0;
            f = &c->cs[c->csp - 1];
            f->else_patch = tcell;
            if (op == 0x03) {
                f->loop_pc = c->n;
                if (!dead(c)) {
                    if (!put_op(c, OP_fuel) || !put(c, 0)) return 0;
                    f->fuel_cell = c->n;
                }
            }
            break; }
        case 0x05:
            f = &c->cs[c->csp - 1];
            if (f->kind != C_IF) return fail(c, "else without if");
            if (!end_results(c, f)) return 0;
            if (!dead(c) && !(put_op(c, OP_br) && put_target(c, f))) return 0;
            if (f->else_patch) bind(c, f->else_patch);
            f->else_patch = 0;
            f->kind = C_ELSE;
            f->unreachable = 0;
            if (!push_types(c, f->np, f->p)) return 0;
            break;
        case 0x0B:
            f = &c->cs[c->csp - 1];
            if (!end_results(c, f)) return 0;
            if (f->kind == C_IF && (f->np != f->nr || (f->np && memcmp(f->p, f->r, f->np))))
                return fail(c, "type mismatch");
            if (f->kind == C_FUNC) {
                int live = !dead(c) || f->patch;
                bind(c, f->patch);
                if (live && !(put_op(c, OP_ret) && put(c, slot_of(c, f->height)) && put(c, f->nr))) return 0;
                c->csp--;
                return 1;
            }
            if (f->fuel_cell) c->code[f->fuel_cell - 1] = (wcell)(c->ninstr - f->ninstr_at_start);
            bind(c, f->patch);
            if (f->else_patch) bind(c, f->else_patch);
            c->csp--;
            if (!push_types(c, f->nr, f->r)) return 0;
            break;
        case 0x0C: case 0x0D: {
            uint32_t n; const uint8_t *ts; long ci = -1;
            if (!rd_idx(c, &x)) return 0;
            if (x >= c->csp) return fail(c, "unknown label");
            if (op == 0x0D && (ci = pop(c, WASM_I32, NULL)) < 0) return 0;
            f = &c->cs[c->csp - 1 - x];
            n = label_arity(f, &ts);
            if (!peek_types(c, n, ts)) return 0;
            if (!dead(c)) {
                if (op == 0x0C) {
                    if (!move_to_label(c, f, n) || !put_op(c, OP_br) || !put_target(c, f)) return 0;
                } else if (!needs_move(c, f, n)) {
                    size_t tc;
                    if (!cond_jump(c, (uint32_t)ci, 0, &tc)) return 0;
                    if (f->kind == C_LOOP) c->code[tc - 1] = addr_of(c, f->loop_pc);
                    else { c->code[tc - 1] = (wcell)f->patch; f->patch = tc; }
                } else {
                    size_t skip;
                    if (!cond_jump(c, (uint32_t)ci, 1, &skip)) return 0;
                    if (!move_to_label(c, f, n) || !put_op(c, OP_br) || !put_target(c, f)) return 0;
                    bind(c, skip);
                }
            }
            if (op == 0x0C) set_unreachable(c);
            break; }
        case 0x0E:
            if (!op_br_table(c)) return 0;
            break;
        case 0x0F:
            f = &c->cs[0];
            if (!peek_types(c, f->nr, f->r)) return 0;
            if (!dead(c)) {
                if (!materialize_top(c, f->nr)) return 0;
                if (!(put_op(c, OP_ret) && put(c, slot_of(c, c->sp - f->nr)) && put(c, f->nr))) return 0;
            }
            set_unreachable(c);
            break;
        case 0x10:
            if (!rd_idx(c, &x) || !check_func(c, x)) return 0;
            if (!op_call(c, &m->types[m->func_types[x]], 0, 0, x)) return 0;
            break;
        case 0x11: {
            uint32_t y;
            if (!rd_idx(c, &y) || !rd_idx(c, &x)) return 0;
            if (!check_table(c, x)) return 0;
            if (y >= m->ntypes) return fail(c, "unknown type");
            if (m->tables[x].elemtype != WASM_FUNCREF) return fail(c, "type mismatch");
            if (!op_call(c, &m->types[y], 1, y, x)) return 0;
            break; }
        case 0x1A:
            if (pop(c, 0, NULL) < 0) return 0;
            break;
        case 0x1B: case 0x1C: {
            long a, b, ci;
            uint8_t t1, t2, want = 0;
            if (op == 0x1C) {
                uint32_t n;
                if (!rd_idx(c, &n)) return 0;
                if (n != 1) return fail(c, "invalid result arity");
                if (!rd_u8(&c->r, &want)) return fail(c, c->r.err);
                if (!is_num(want) && !is_ref(want)) return fail(c, "malformed value type");
            }
            if ((ci = pop(c, WASM_I32, NULL)) < 0 || (b = pop(c, want, &t2)) < 0 || (a = pop(c, want, &t1)) < 0) return 0;
            if (!want) {
                if ((t1 && !is_num(t1)) || (t2 && !is_num(t2))) return fail(c, "type mismatch");
                if (t1 && t2 && t1 != t2) return fail(c, "type mismatch");
                want = t1 ? t1 : t2;
            }
            if (!dead(c)) {
                wcell sa = src(c, (uint32_t)a), sb = src(c, (uint32_t)b), sc = src(c, (uint32_t)ci);
                if (!(put_op(c, OP_select) && put(c, slot_of(c, (uint32_t)a)) && put(c, sa) && put(c, sb) && put(c, sc))) return 0;
                produced(c, c->n - 4, (uint32_t)a);
            }
            if (!push(c, want)) return 0;
            break; }
        case 0x20:
            if (!rd_idx(c, &x)) return 0;
            if (x >= c->nlocals) return fail(c, "unknown local");
            if (!push(c, c->ltypes[x])) return 0;
            if (!dead(c)) { c->st[c->sp - 1].kind = K_LOCAL; c->st[c->sp - 1].local = x; }
            break;
        case 0x21: case 0x22: {
            long e;
            if (!rd_idx(c, &x)) return 0;
            if (x >= c->nlocals) return fail(c, "unknown local");
            if ((e = pop(c, c->ltypes[x], NULL)) < 0) return 0;
            if (!set_local(c, x, (uint32_t)e, c->popped_dst)) return 0;
            if (op == 0x22) {
                if (!push(c, c->ltypes[x])) return 0;
                if (!dead(c)) { c->st[c->sp - 1].kind = K_LOCAL; c->st[c->sp - 1].local = x; }
            }
            break; }
        case 0x23:
            if (!rd_idx(c, &x)) return 0;
            if (x >= m->nglobals) return fail(c, "unknown global");
            if (!dead(c)) {
                if (!(put_op(c, OP_global_get) && put(c, slot_of(c, c->sp)) && put(c, x))) return 0;
                produced(c, c->n - 2, c->sp);
            }
            if (!push(c, m->globals[x].type)) return 0;
            break;
        case 0x24: {
            wcell imm;
            if (!rd_idx(c, &x)) return 0;
            if (x >= m->nglobals) return fail(c, "unknown global");
            if (!m->globals[x].mut) return fail(c, "global is immutable");
            imm = x;
            if (!emit_popped(c, OP_global_set, 1, &m->globals[x].type, &imm, 1)) return 0;
            break; }
        case 0x25: {
            long a;
            if (!rd_idx(c, &x) || !check_table(c, x)) return 0;
            if ((a = pop(c, WASM_I32, NULL)) < 0) return 0;
            if (!dead(c)) {
                wcell sa = src(c, (uint32_t)a);
                if (!(put_op(c, OP_table_get) && put(c, slot_of(c, (uint32_t)a)) && put(c, x) && put(c, sa))) return 0;
            }
            if (!push(c, m->tables[x].elemtype)) return 0;
            break; }
        case 0x26: {
            uint8_t ts[2];
            wcell imm;
            if (!rd_idx(c, &x) || !check_table(c, x)) return 0;
            ts[0] = WASM_I32; ts[1] = m->tables[x].elemtype; imm = x;
            if (!emit_popped(c, OP_table_set, 2, ts, &imm, 1)) return 0;
            break; }
        case 0x28: case 0x29: case 0x2A: case 0x2B: case 0x2C: case 0x2D: case 0x2E:
        case 0x2F: case 0x30: case 0x31: case 0x32: case 0x33: case 0x34: case 0x35: {
            static const uint8_t lg[14] = { 2, 3, 2, 3, 0, 0, 1, 1, 0, 0, 1, 1, 2, 2 };
            static const uint8_t rt[14] = { WASM_I32, WASM_I64, WASM_F32, WASM_F64, WASM_I32, WASM_I32,
                WASM_I32, WASM_I32, WASM_I64, WASM_I64, WASM_I64, WASM_I64, WASM_I64, WASM_I64 };
            uint32_t off; long a;
            if (!memarg(c, lg[op - 0x28], &off)) return 0;
            if ((a = pop(c, WASM_I32, NULL)) < 0) return 0;
            if (!dead(c)) {
                wcell sa = src(c, (uint32_t)a);
                if (!(put_op(c, OP_i32_load + (op - 0x28)) && put(c, slot_of(c, (uint32_t)a)) && put(c, sa) && put(c, off))) return 0;
                produced(c, c->n - 3, (uint32_t)a);
            }
            if (!push(c, rt[op - 0x28])) return 0;
            break; }
        case 0x36: case 0x37: case 0x38: case 0x39: case 0x3A: case 0x3B: case 0x3C:
        case 0x3D: case 0x3E: {
            static const uint8_t lg[9] = { 2, 3, 2, 3, 0, 1, 0, 1, 2 };
            static const uint8_t vt[9] = { WASM_I32, WASM_I64, WASM_F32, WASM_F64, WASM_I32, WASM_I32,
                WASM_I64, WASM_I64, WASM_I64 };
            uint32_t off; long a, v;
            if (!memarg(c, lg[op - 0x36], &off)) return 0;
            if ((v = pop(c, vt[op - 0x36], NULL)) < 0 || (a = pop(c, WASM_I32, NULL)) < 0) return 0;
            if (!dead(c)) {
                wcell sa = src(c, (uint32_t)a), sv = src(c, (uint32_t)v);
                if (!(put_op(c, OP_i32_store + (op - 0x36)) && put(c, sa) && put(c, sv) && put(c, off))) return 0;
            }
            break; }
        case 0x3F:
            if (!zero_byte(c)) return 0;
            if (m->nmems == 0) return fail(c, "unknown memory");
            if (!dead(c) && !(put_op(c, OP_memory_size) && put(c, slot_of(c, c->sp)))) return 0;
            if (!push(c, WASM_I32)) return 0;
            break;
        case 0x40:
            if (!zero_byte(c)) return 0;
            if (m->nmems == 0) return fail(c, "unknown memory");
            if (!unop(c, OP_memory_grow, WASM_I32, WASM_I32)) return 0;
            break;
        case 0x41: case 0x42: case 0x43: case 0x44: {
            uint64_t k = 0; int32_t v32; int64_t v64; const uint8_t *b;
            uint8_t t = op == 0x41 ? WASM_I32 : op == 0x42 ? WASM_I64 : op == 0x43 ? WASM_F32 : WASM_F64;
            if (op == 0x41) { if (!rd_s32(&c->r, &v32)) return fail(c, c->r.err); k = (uint32_t)v32; }
            else if (op == 0x42) { if (!rd_s64(&c->r, &v64)) return fail(c, c->r.err); k = (uint64_t)v64; }
            else if (op == 0x43) { uint32_t w; if (!rd_bytes(&c->r, 4, &b)) return fail(c, c->r.err); memcpy(&w, b, 4); k = w; }
            else { if (!rd_bytes(&c->r, 8, &b)) return fail(c, c->r.err); memcpy(&k, b, 8); }
            if (!push(c, t)) return 0;
            if (!dead(c)) { c->st[c->sp - 1].kind = K_CONST; c->st[c->sp - 1].k = k; }
            break; }
        case 0xD0: {
            uint8_t t;
            if (!rd_u8(&c->r, &t)) return fail(c, c->r.err);
            if (!is_ref(t)) return fail(c, "malformed reference type");
            if (!push(c, t)) return 0;
            if (!dead(c)) { c->st[c->sp - 1].kind = K_CONST; c->st[c->sp - 1].k = 0; }
            break; }
        case 0xD1: {
            uint8_t t;
            long a;
            if ((a = pop(c, 0, &t)) < 0) return 0;
            if (t && !is_ref(t)) return fail(c, "type mismatch");
            if (!dead(c)) {
                wcell sa = src(c, (uint32_t)a);
                if (!(put_op(c, OP_ref_is_null) && put(c, slot_of(c, (uint32_t)a)) && put(c, sa))) return 0;
                produced(c, c->n - 2, (uint32_t)a);
            }
            if (!push(c, WASM_I32)) return 0;
            break; }
        case 0xD2:
            if (!rd_idx(c, &x) || !check_func(c, x)) return 0;
            if (!(m->func_declared[x >> 3] & (1u << (x & 7)))) return fail(c, "undeclared function reference");
            if (!dead(c)) {
                if (!(put_op(c, OP_ref_func) && put(c, slot_of(c, c->sp)) && put(c, x))) return 0;
                produced(c, c->n - 2, c->sp);
            }
            if (!push(c, WASM_FUNCREF)) return 0;
            break;
        case 0xFC:
            if (!op_fc(c)) return 0;
            break;
        default:
            if (op >= 0x45 && op <= 0xC4) { if (!numeric(c, op)) return 0; break; }
            return fail(c, "illegal opcode");
        }
        if (c->err) return 0;
    }
}

int wasm__compile_function(wasm_module *m, uint32_t fidx, wasm_arena *a, wasm_error *err)
{
    C c;
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
        if (!is_num(t) && !is_ref(t)) { c.r.err = "malformed value type"; goto malformed; }
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
    c.st = grow(&c, NULL, 0, sizeof(vent) * INITIAL_OPERANDS);
    c.cs = grow(&c, NULL, 0, sizeof(ctrl) * INITIAL_BLOCKS);
    if (!c.st || !c.cs) { a->hi = hi0; err->msg = "out of arena memory"; return WASM_ERR_NOMEM; }
    c.scap = INITIAL_OPERANDS; c.ccap = INITIAL_BLOCKS;
    if (!push_ctrl(&c, C_FUNC, 0, NULL, ft->nr, ft->r) || !body(&c)) goto invalid;
    if (c.r.p != c.r.end) { c.err = "section size mismatch"; c.status = WASM_ERR_MALFORMED; goto invalid; }
    a->hi = hi0;
    a->lo += (c.n * sizeof(wcell) + 7u) & ~(size_t)7u;
    code->code = c.code;
    code->nlocals = c.nlocals;
    code->frame_slots = c.nlocals + c.maxh + 1;
    code->fuel = c.ninstr;
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
