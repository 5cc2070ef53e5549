/* Stage 2: module-level validation (everything outside function bodies),
 * then hands each body to compile.c. wasm_load() drives parse -> validate
 * -> compile and leaves only long-lived data in the arena. */
#include "wasm_int.h"

int wasm__functype_eq(const wasm_functype *a, const wasm_functype *b)
{
    if (a == b) return 1;
    return a->np == b->np && a->nr == b->nr &&
           (!a->np || !memcmp(a->p, b->p, a->np)) &&
           (!a->nr || !memcmp(a->r, b->r, a->nr));
}

static const char *check_limits(uint32_t min, uint32_t max, int has_max, uint32_t bound, const char *what)
{
    if (min > bound || (has_max && max > bound)) return what;
    if (has_max && min > max) return "size minimum must not be greater than maximum";
    return NULL;
}

static void declare(wasm_module *m, uint32_t f)
{
    if (f < m->nfuncs) m->func_declared[f >> 3] |= (uint8_t)(1u << (f & 7));
}

/* A constant expression must produce `want`; global.get may only name an
 * imported immutable global (WebAssembly 2.0 rule, also for segment
 * offsets in the suite this interpreter targets). */
static const char *check_const(wasm_module *m, const wconst *c, uint8_t want, uint32_t nglobals)
{
    uint8_t t = c->type;
    if (c->op == 0x23) {
        if (c->idx >= nglobals) return "unknown global";
        if (m->globals[c->idx].mut) return "constant expression required";
        t = m->globals[c->idx].type;
    } else if (c->op == 0xD2) {
        if (c->idx >= m->nfuncs) return "unknown function";
        declare(m, c->idx);
    }
    if (t != want) return "type mismatch";
    return NULL;
}

static wasm_status validate_module(wasm_module *m, wasm_arena *a, wasm_error *err)
{
    uint32_t i, j;
    const char *e = NULL;

    m->func_declared = wasm_arena_alloc(a, (m->nfuncs + 8) / 8);
    if (!m->func_declared) { err->msg = "out of arena memory"; return WASM_ERR_NOMEM; }
    for (i = 0; i < m->nfuncs && !e; i++)
        if (m->func_types[i] >= m->ntypes) e = "unknown type";
    for (i = 0; i < m->ntables && !e; i++)
        e = check_limits(m->tables[i].min, m->tables[i].max, m->tables[i].has_max, 0xFFFFFFFFu, "table size");
    if (!e && m->nmems > 1) e = "multiple memories";
    for (i = 0; i < m->nmems && !e; i++)
        e = check_limits(m->mems[i].min, m->mems[i].max, m->mems[i].has_max, WASM_MAX_PAGES,
                         "memory size must be at most 65536 pages (4GiB)");
    for (i = m->nglobal_imports; i < m->nglobals && !e; i++) {
        const wconst *c = &m->globals[i].init;
        /* A global initializer may only read globals defined before it; in
         * 2.0 that means imports, which check_const enforces. */
        e = check_const(m, c, m->globals[i].type, m->nglobal_imports);
    }
    for (i = 0; i < m->nexports && !e; i++) {
        const wexport *x = &m->exports[i];
        uint32_t lim = x->kind == 0 ? m->nfuncs : x->kind == 1 ? m->ntables : x->kind == 2 ? m->nmems : m->nglobals;
        if (x->idx >= lim) e = x->kind == 0 ? "unknown function" : x->kind == 1 ? "unknown table" :
                               x->kind == 2 ? "unknown memory" : "unknown global";
        if (x->kind == 0) declare(m, x->idx);
        for (j = 0; j < i && !e; j++)
            if (m->exports[j].nlen == x->nlen && !memcmp(m->exports[j].name, x->name, x->nlen))
                e = "duplicate export name";
    }
    if (!e && m->start >= 0) {
        if ((uint64_t)m->start >= m->nfuncs) e = "unknown function";
        else {
            const wasm_functype *t = &m->types[m->func_types[m->start]];
            if (t->np || t->nr) e = "start function";
        }
    }
    for (i = 0; i < m->nelems && !e; i++) {
        welem *s = &m->elems[i];
        if (s->mode == SEG_ACTIVE) {
            if (s->table >= m->ntables) { e = "unknown table"; break; }
            if (m->tables[s->table].elemtype != s->type) { e = "type mismatch"; break; }
            e = check_const(m, &s->offset, WASM_I32, m->nglobal_imports);
        }
        for (j = 0; j < s->n && !e; j++) {
            if (s->items[j].op == 0xD2 && s->items[j].idx >= m->nfuncs) e = "unknown function";
            else e = check_const(m, &s->items[j], s->type, m->nglobal_imports);
        }
    }
    for (i = 0; i < m->ndatas && !e; i++) {
        if (m->datas[i].mode != SEG_ACTIVE) continue;
        if (m->nmems == 0) e = "unknown memory";
        else e = check_const(m, &m->datas[i].offset, WASM_I32, m->nglobal_imports);
    }
    if (e) { err->msg = e; return WASM_ERR_INVALID; }
    return WASM_OK;
}

wasm_status wasm_load(wasm_module **out, const uint8_t *bytes, size_t len,
                      wasm_arena *a, wasm_error *err)
{
    wasm_module *m;
    size_t lo0 = a->lo, hi0 = a->hi;
    uint32_t i;
    wasm_status st = wasm__parse(&m, bytes, len, a, err);
    if (st == WASM_OK) st = validate_module(m, a, err);
    for (i = m && st == WASM_OK ? m->nfunc_imports : 0; st == WASM_OK && i < m->nfuncs; i++)
        st = (wasm_status)wasm__compile_function(m, i, a, err);
    if (st != WASM_OK) { a->lo = lo0; a->hi = hi0; *out = NULL; return st; }
    *out = m;
    return WASM_OK;
}

uint32_t wasm_module_export_count(const wasm_module *m) { return m->nexports; }

const char *wasm_module_export_name(const wasm_module *m, uint32_t i, uint32_t *len, uint8_t *kind)
{
    if (i >= m->nexports) return NULL;
    *len = m->exports[i].nlen;
    *kind = m->exports[i].kind;
    return (const char *)m->exports[i].name;
}

int wasm_module_memory(const wasm_module *m, uint32_t *min_pages, uint32_t *max_pages)
{
    if (m->nmems <= m->nmem_imports) return 0;
    *min_pages = m->mems[0].min;
    *max_pages = m->mems[0].has_max ? m->mems[0].max : WASM_MAX_PAGES;
    return 1;
}
