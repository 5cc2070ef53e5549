/* Internal state of the function compiler, shared by compile.c (opcode
 * decoding and validation) and emit.c (virtual operand stack, control
 * stack and code emission). */
#ifndef WASMBED_COMPILE_INT_H
#define WASMBED_COMPILE_INT_H

#include "wasm_int.h"

enum { K_REAL = 0, K_LOCAL = 1, K_CONST = 2 };
enum { C_BLOCK, C_LOOP, C_IF, C_ELSE, C_FUNC };
#define T_UNKNOWN 0

/* Scratch stacks start small and double on demand, so loading needs memory
 * proportional to the deepest nesting actually used, not to the body size.
 * Scratch is taken from the top of the arena above the code emitted so far;
 * superseded copies are reclaimed when the function is done. */
#define INITIAL_OPERANDS 64u
#define INITIAL_BLOCKS   16u

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
    uint32_t in_loops;     /* instructions inside nested loops (charged there) */
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
    uint32_t func_in_loops;     /* instructions inside the body's loops */
    const char *err;
    wasm_status status;
} wcomp;


static inline int wc_dead(wcomp *c)
{
    ctrl *f = &c->cs[c->csp - 1];
    return f->unreachable || f->dead_at_entry;
}
static inline wcell wc_slot_of(wcomp *c, uint32_t i) { return (wcell)((c->nlocals + i) * sizeof(wasm_val)); }
static inline wcell wc_local_slot(uint32_t x) { return (wcell)(x * sizeof(wasm_val)); }
static inline wcell wc_addr_of(wcomp *c, size_t idx) { return (wcell)(c->code + idx); }
static inline int wc_is_num(uint8_t t) { return t == WASM_I32 || t == WASM_I64 || t == WASM_F32 || t == WASM_F64; }
static inline int wc_is_ref(uint8_t t) { return t == WASM_FUNCREF || t == WASM_EXTERNREF; }

int wc_fail(wcomp *c, const char *msg);
void *wc_grow(wcomp *c, const void *old, size_t oldbytes, size_t newbytes);
int wc_reserve_st(wcomp *c, uint32_t need);
int wc_put(wcomp *c, wcell v);
int wc_put_op(wcomp *c, int op);
int wc_put64(wcomp *c, uint64_t v);
int wc_materialize(wcomp *c, uint32_t i);
int wc_materialize_all(wcomp *c);
wcell wc_src(wcomp *c, uint32_t i);
int wc_push(wcomp *c, uint8_t t);
long wc_pop(wcomp *c, uint8_t want, uint8_t *got);
int wc_pop_types(wcomp *c, uint32_t n, const uint8_t *ts);
int wc_push_types(wcomp *c, uint32_t n, const uint8_t *ts);
int wc_push_ctrl(wcomp *c, uint8_t kind, uint32_t np, const uint8_t *p, uint32_t nr, const uint8_t *r);
uint32_t wc_label_arity(ctrl *f, const uint8_t **ts);
void wc_bind(wcomp *c, size_t head);
int wc_put_target(wcomp *c, ctrl *f);
int wc_move_to_label(wcomp *c, ctrl *f, uint32_t n);
int wc_needs_move(wcomp *c, ctrl *f, uint32_t n);
int wc_cond_jump(wcomp *c, uint32_t ci, int negate, size_t *tcell);
void wc_numeric_sig(uint8_t op, uint8_t *in, uint8_t *out, int *bin);
int wc_imm_form(uint8_t op);
void wc_produced(wcomp *c, size_t dst_cell, uint32_t i);
int wc_unop(wcomp *c, int op, uint8_t in, uint8_t out);
int wc_numeric(wcomp *c, uint8_t opc);
int wc_memarg(wcomp *c, uint32_t natural_log2, uint32_t *offset);
int wc_check_func(wcomp *c, uint32_t x);
int wc_check_table(wcomp *c, uint32_t x);
int wc_emit_popped(wcomp *c, int op, uint32_t n, const uint8_t *types, const wcell *imm, uint32_t nimm);
int wc_peek_types(wcomp *c, uint32_t n, const uint8_t *ts);
int wc_peek_popped(wcomp *c, uint32_t n, const uint8_t *ts);
void wc_set_unreachable(wcomp *c);
int wc_materialize_top(wcomp *c, uint32_t n);
int wc_set_local(wcomp *c, uint32_t x, uint32_t ei, long pdst);

#endif
