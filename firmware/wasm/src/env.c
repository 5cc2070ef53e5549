/* Stage 5: the environment -- instantiation (import binding, allocation of
 * globals/tables/memory from the instance arena, segment initialisation,
 * start function), exports, host functions and the call entry point. */
#include "wasm_int.h"

#define DEFAULT_MEMORY_PAGES  1u
#define DEFAULT_TABLE_ELEMS   1024u

static const char *const trap_text[WASM_TRAP_COUNT] = {
    "no trap", "unreachable", "out of bounds memory access",
    "out of bounds table access", "integer divide by zero", "integer overflow",
    "invalid conversion to integer", "indirect call type mismatch",
    "undefined element", "uninitialized element", "out of fuel",
    "call stack exhausted", "memory cap exceeded", "host error"
};

const char *wasm_trap_message(wasm_trap t)
{
    return (unsigned)t < WASM_TRAP_COUNT ? trap_text[t] : "unknown trap";
}

/* Linear memory is reserved up front (so the data pointer never moves) but
 * only the initial pages are zeroed; memory.grow zeroes what it adds. */
static void *arena_alloc_raw(wasm_arena *a, uint64_t n)
{
    void *p;
    n = (n + 7u) & ~(uint64_t)7u;
    if (n > (uint64_t)(a->size - a->lo - a->hi)) return NULL;
    p = a->base + a->lo;
    a->lo += (size_t)n;
    return p;
}

wasm_status wasm_exec_init(wasm_exec *ex, wasm_arena *arena, uint32_t stack_slots, uint32_t max_depth)
{
    memset(ex, 0, sizeof *ex);
    ex->stack = wasm_arena_alloc(arena, (size_t)stack_slots * sizeof(wasm_val));
    ex->frames = wasm_arena_alloc(arena, (size_t)max_depth * sizeof(wasm_frame));
    if (!ex->stack || !ex->frames) return WASM_ERR_NOMEM;
    ex->stack_end = ex->stack + stack_slots;
    ex->max_frames = max_depth;
    return WASM_OK;
}

wasm_status wasm_host_func_init(wasm_func *f, const char *sig, wasm_host_fn fn, void *env)
{
    uint32_t n = 0, np = 0;
    int results = 0;
    memset(f, 0, sizeof *f);
    for (; *sig; sig++) {
        uint8_t t;
        switch (*sig) {
        case 'i': t = WASM_I32; break;  case 'I': t = WASM_I64; break;
        case 'f': t = WASM_F32; break;  case 'F': t = WASM_F64; break;
        case 'r': t = WASM_FUNCREF; break; case 'e': t = WASM_EXTERNREF; break;
        case ':': if (results) return WASM_ERR_INVALID; results = 1; np = n; continue;
        default: return WASM_ERR_INVALID;
        }
        if (n >= WASM_HOST_MAX_SIG) return WASM_ERR_INVALID;
        f->hsig[n++] = t;
    }
    if (!results) np = n;
    f->htype.np = np; f->htype.p = f->hsig;
    f->htype.nr = n - np; f->htype.r = f->hsig + np;
    f->type = &f->htype;
    f->host = fn;
    f->env = env;
    return WASM_OK;
}

int wasm__const_eval(wasm_instance *inst, const wconst *c, wasm_val *out)
{
    out->i64 = 0;
    switch (c->op) {
    case 0xD0: out->ref = NULL; break;
    case 0xD2: out->ref = inst->funcs[c->idx]; break;
    case 0x23: *out = inst->globals[c->idx]->v; break;
    default: *out = c->v; break;
    }
    return 1;
}

wasm_trap wasm__table_init(wasm_instance *inst, uint32_t t, uint32_t seg, uint32_t d, uint32_t s, uint32_t n)
{
    wasm_table *tab = inst->tables[t];
    uint32_t len = inst->elem_len[seg];
    if ((uint64_t)s + n > len || (uint64_t)d + n > tab->size) return WASM_TRAP_TABLE_OOB;
    if (n) memcpy(tab->elems + d, inst->elem_refs[seg] + s, (size_t)n * sizeof(void *));
    return WASM_TRAP_NONE;
}

wasm_trap wasm__memory_init(wasm_instance *inst, uint32_t seg, uint32_t d, uint32_t s, uint32_t n)
{
    const wdata *ds = &inst->mod->datas[seg];
    uint32_t len = inst->data_dropped[seg] ? 0 : ds->len;
    if ((uint64_t)s + n > len || (uint64_t)d + n > inst->mem->bytes) return WASM_TRAP_MEMORY_OOB;
    if (n) memcpy(inst->mem->data + d, ds->data + s, n);
    return WASM_TRAP_NONE;
}

static int link_fail(wasm_error *err, const char *msg) { err->msg = msg; return 0; }

/* Import subtyping of limits: the provided object must be at least as big
 * and at most as growable as the import asks. */
static int limits_match(uint32_t size, int has_max, uint32_t max, uint32_t want_min, int want_has_max, uint32_t want_max)
{
    if (size < want_min) return 0;
    if (want_has_max && (!has_max || max > want_max)) return 0;
    return 1;
}

static int bind_imports(wasm_instance *inst, wasm_resolve_fn resolve, void *ctx, wasm_error *err)
{
    const wasm_module *m = inst->mod;
    uint32_t i, fi = 0;
    for (i = 0; i < m->nimports; i++) {
        const wimport *im = &m->imports[i];
        wasm_extern e;
        memset(&e, 0, sizeof e);
        if (!resolve || !resolve(ctx, (const char *)im->mod, im->mlen, (const char *)im->name, im->nlen, &e))
            return link_fail(err, "unknown import");
        if (e.kind != im->kind) return link_fail(err, "incompatible import type");
        switch (im->kind) {
        case WASM_EXTERN_FUNC:
            if (!wasm__functype_eq(e.u.func->type, &m->types[im->idx])) return link_fail(err, "incompatible import type");
            inst->funcs[fi++] = e.u.func;
            break;
        case WASM_EXTERN_TABLE: {
            const wtabletype *t = &m->tables[im->idx];
            if (e.u.table->elemtype != t->elemtype ||
                !limits_match(e.u.table->size, e.u.table->has_max, e.u.table->max, t->min, t->has_max, t->max))
                return link_fail(err, "incompatible import type");
            inst->tables[im->idx] = e.u.table;
            break; }
        case WASM_EXTERN_MEMORY: {
            const wmemtype *t = &m->mems[im->idx];
            if (!limits_match(e.u.mem->pages, e.u.mem->has_max, e.u.mem->decl_max, t->min, t->has_max, t->max))
                return link_fail(err, "incompatible import type");
            inst->mem = e.u.mem;
            break; }
        case WASM_EXTERN_GLOBAL: {
            const wglobaltype *g = &m->globals[im->idx];
            if (e.u.global->type != g->type || e.u.global->mut != g->mut) return link_fail(err, "incompatible import type");
            inst->globals[im->idx] = e.u.global;
            break; }
        }
    }
    return 1;
}

#define NEW(ptr, n) do { if ((n) && !((ptr) = wasm_arena_alloc(a, sizeof(*(ptr)) * (size_t)(n)))) goto nomem; } while (0)

wasm_status wasm_instantiate(wasm_instance **out, const wasm_module *m,
                             wasm_resolve_fn resolve, void *resolve_ctx,
                             const wasm_limits *limits, wasm_arena *a,
                             wasm_exec *ex, wasm_error *err)
{
    wasm_instance *inst;
    wasm_func *fs = NULL;
    uint32_t i, j, max_pages = DEFAULT_MEMORY_PAGES, max_elems = DEFAULT_TABLE_ELEMS;
    size_t lo0 = a->lo;

    err->msg = NULL; err->offset = 0;
    *out = NULL;
    if (limits && limits->max_memory_pages) max_pages = limits->max_memory_pages;
    if (limits && limits->max_table_elems) max_elems = limits->max_table_elems;
    NEW(inst, 1);
    inst->mod = m;
    inst->ex = ex;
    inst->trap_on_memory_cap = limits ? limits->trap_on_memory_cap : 0;
    NEW(inst->funcs, m->nfuncs);
    NEW(inst->tables, m->ntables);
    NEW(inst->globals, m->nglobals);
    NEW(inst->elem_refs, m->nelems);
    NEW(inst->elem_len, m->nelems);
    NEW(inst->data_dropped, m->ndatas);
    if (!bind_imports(inst, resolve, resolve_ctx, err)) { a->lo = lo0; return WASM_ERR_LINK; }

    NEW(fs, m->nfuncs - m->nfunc_imports);
    for (i = m->nfunc_imports; i < m->nfuncs; i++) {
        wasm_func *f = &fs[i - m->nfunc_imports];
        f->type = &m->types[m->func_types[i]];
        f->inst = inst;
        f->code = &m->codes[i - m->nfunc_imports];
        inst->funcs[i] = f;
    }
    for (i = m->ntable_imports; i < m->ntables; i++) {
        const wtabletype *tt = &m->tables[i];
        wasm_table *t;
        uint32_t cap = tt->has_max && tt->max < max_elems ? tt->max : max_elems;
        if (tt->min > cap) { err->msg = "table exceeds embedder limit"; goto fail_nomem; }
        NEW(t, 1);
        NEW(t->elems, cap ? cap : 1);
        t->elemtype = tt->elemtype; t->has_max = tt->has_max;
        t->size = tt->min; t->max = tt->max; t->cap = cap;
        inst->tables[i] = t;
    }
    if (m->nmems > m->nmem_imports) {
        const wmemtype *mt = &m->mems[0];
        wasm_memory *mem;
        uint32_t decl = mt->has_max ? mt->max : WASM_MAX_PAGES;
        uint32_t cap = decl < max_pages ? decl : max_pages;
        if (mt->min > cap) { err->msg = "memory exceeds embedder cap"; goto fail_nomem; }
        NEW(mem, 1);
        mem->data = arena_alloc_raw(a, (uint64_t)cap * WASM_PAGE_SIZE + 8);
        if (!mem->data) goto nomem;
        memset(mem->data, 0, (size_t)mt->min * WASM_PAGE_SIZE);
        mem->pages = mt->min; mem->max_pages = cap; mem->decl_max = decl; mem->has_max = mt->has_max;
        mem->bytes = (uint64_t)mt->min * WASM_PAGE_SIZE;
        inst->mem = mem;
    }
    {
        wasm_global *gs = NULL;
        NEW(gs, m->nglobals - m->nglobal_imports);
        for (i = m->nglobal_imports; i < m->nglobals; i++) {
            wasm_global *g = &gs[i - m->nglobal_imports];
            g->type = m->globals[i].type; g->mut = m->globals[i].mut;
            wasm__const_eval(inst, &m->globals[i].init, &g->v);
            inst->globals[i] = g;
        }
    }
    for (i = 0; i < m->nelems; i++) {
        const welem *s = &m->elems[i];
        NEW(inst->elem_refs[i], s->n);
        for (j = 0; j < s->n; j++) {
            wasm_val v;
            wasm__const_eval(inst, &s->items[j], &v);
            inst->elem_refs[i][j] = v.ref;
        }
        inst->elem_len[i] = s->mode == SEG_DECLARATIVE ? 0 : s->n;
    }
    *out = inst;

    /* From here on failures are traps: effects on imported tables and
     * memories stay visible, as the spec requires. */
    for (i = 0; i < m->nelems; i++) {
        const welem *s = &m->elems[i];
        wasm_val off;
        wasm_trap t;
        if (s->mode != SEG_ACTIVE) continue;
        wasm__const_eval(inst, &s->offset, &off);
        t = wasm__table_init(inst, s->table, i, off.i32, 0, s->n);
        inst->elem_len[i] = 0;
        if (t != WASM_TRAP_NONE) { ex->trap = t; ex->trap_msg = wasm_trap_message(t); err->msg = ex->trap_msg; return WASM_ERR_TRAP; }
    }
    for (i = 0; i < m->ndatas; i++) {
        const wdata *d = &m->datas[i];
        wasm_val off;
        wasm_trap t;
        if (d->mode != SEG_ACTIVE) continue;
        wasm__const_eval(inst, &d->offset, &off);
        t = wasm__memory_init(inst, i, off.i32, 0, d->len);
        inst->data_dropped[i] = 1;
        if (t != WASM_TRAP_NONE) { ex->trap = t; ex->trap_msg = wasm_trap_message(t); err->msg = ex->trap_msg; return WASM_ERR_TRAP; }
    }
    if (m->start >= 0) {
        wasm_status st = wasm_call(ex, inst->funcs[m->start], NULL, 0, NULL, 0,
                                   limits && limits->start_fuel > 0 ? limits->start_fuel : -1);
        if (st != WASM_OK) { err->msg = ex->trap_msg; return st; }
    }
    return WASM_OK;

nomem:
    err->msg = "out of arena memory";
fail_nomem:
    a->lo = lo0;
    *out = NULL;
    return WASM_ERR_NOMEM;
}

int wasm_instance_export(wasm_instance *inst, const char *name, uint32_t nlen, wasm_extern *out)
{
    const wasm_module *m = inst->mod;
    uint32_t i;
    for (i = 0; i < m->nexports; i++) {
        const wexport *x = &m->exports[i];
        if (x->nlen != nlen || memcmp(x->name, name, nlen)) continue;
        out->kind = x->kind;
        switch (x->kind) {
        case WASM_EXTERN_FUNC: out->u.func = inst->funcs[x->idx]; break;
        case WASM_EXTERN_TABLE: out->u.table = inst->tables[x->idx]; break;
        case WASM_EXTERN_MEMORY: out->u.mem = inst->mem; break;
        default: out->u.global = inst->globals[x->idx]; break;
        }
        return 1;
    }
    return 0;
}

wasm_func *wasm_instance_func(wasm_instance *inst, const char *name)
{
    wasm_extern e;
    if (!wasm_instance_export(inst, name, (uint32_t)strlen(name), &e) || e.kind != WASM_EXTERN_FUNC) return NULL;
    return e.u.func;
}

wasm_memory *wasm_instance_memory(wasm_instance *inst) { return inst->mem; }

wasm_memory *wasm_exec_memory(wasm_exec *ex) { return ex->caller ? ex->caller->mem : NULL; }

static int sig_letter(uint8_t t)
{
    switch (t) {
    case WASM_I32: return 'i'; case WASM_I64: return 'I';
    case WASM_F32: return 'f'; case WASM_F64: return 'F';
    case WASM_FUNCREF: return 'r'; case WASM_EXTERNREF: return 'e';
    default: return '?';
    }
}

int wasm_func_has_sig(const wasm_func *f, const char *sig)
{
    return f ? wasm_functype_is(f->type, sig) : 0;
}

const wasm_functype *wasm_module_export_functype(const wasm_module *m, const char *name)
{
    size_t n = strlen(name);
    uint32_t i;
    for (i = 0; i < m->nexports; i++) {
        const wexport *x = &m->exports[i];
        if (x->kind == WASM_EXTERN_FUNC && x->nlen == n && memcmp(x->name, name, n) == 0)
            return &m->types[m->func_types[x->idx]];
    }
    return NULL;
}

int wasm_functype_is(const wasm_functype *t, const char *sig)
{
    const char *colon = sig ? strchr(sig, ':') : NULL;
    uint32_t i;
    if (!t || !colon || (size_t)(colon - sig) != t->np || strlen(colon + 1) != t->nr) return 0;
    for (i = 0; i < t->np; i++) if (sig[i] != sig_letter(t->p[i])) return 0;
    for (i = 0; i < t->nr; i++) if (colon[1 + i] != sig_letter(t->r[i])) return 0;
    return 1;
}

wasm_status wasm_call(wasm_exec *ex, wasm_func *f, const wasm_val *args, uint32_t nargs,
                      wasm_val *results, uint32_t nresults, int64_t fuel)
{
    const wasm_functype *t = f->type;
    uint32_t need = t->np > t->nr ? t->np : t->nr, i;
    wasm_status st;
    ex->trap = WASM_TRAP_NONE;
    ex->trap_msg = NULL;
    /* The module, not the caller, chose this type: a caller that guessed
     * wrong would have the interpreter read args from, or write results
     * through, memory the caller never offered. */
    if (nargs != t->np || nresults != t->nr || (t->np && !args) || (t->nr && !results)) {
        ex->trap_msg = "call does not match the function type";
        return WASM_ERR_INVALID;
    }
    /* Re-entry from a host function is not supported: the stack below
     * belongs to the suspended caller. */
    if (ex->nframes != 0 || need > (size_t)(ex->stack_end - ex->stack)) {
        ex->trap = WASM_TRAP_STACK_EXHAUSTED;
        ex->trap_msg = wasm_trap_message(ex->trap);
        return WASM_ERR_TRAP;
    }
    for (i = 0; i < t->np; i++) ex->stack[i] = args[i];
    ex->fuel = fuel < 0 ? INT64_MAX : fuel;
    ex->fuel_enabled = fuel >= 0;
    st = wasm__run(ex, f, ex->stack);
    if (st == WASM_OK)
        for (i = 0; i < t->nr; i++) results[i] = ex->stack[i];
    return st;
}
