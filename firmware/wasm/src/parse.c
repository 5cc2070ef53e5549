/* Stage 1: binary decoding. Turns the module bytes into the tables of
 * struct wasm_module; names, type vectors and data stay in the input bytes
 * (which may be in flash). Function bodies are only delimited here; compile.c
 * validates and pre-decodes them once every section is known. */
#include "wasm_int.h"

/* ---------------------------------------------------------------- arena */
void wasm_arena_init(wasm_arena *a, void *buf, size_t size)
{
    /* Align the usable window so every allocation is 8-aligned. */
    uintptr_t b = (uintptr_t)buf, ab = (b + 7u) & ~(uintptr_t)7u;
    size_t skip = (size_t)(ab - b);
    a->base = (uint8_t *)ab;
    a->size = size > skip ? (size - skip) & ~(size_t)7u : 0;
    a->lo = a->hi = 0;
}

void *wasm_arena_alloc(wasm_arena *a, size_t n)
{
    void *p;
    n = (n + 7u) & ~(size_t)7u;
    if (n > a->size - a->lo - a->hi) return NULL;
    p = a->base + a->lo;
    a->lo += n;
    memset(p, 0, n);
    return p;
}

void *arena_scratch(wasm_arena *a, size_t n)
{
    n = (n + 7u) & ~(size_t)7u;
    if (n > a->size - a->lo - a->hi) return NULL;
    a->hi += n;
    return a->base + a->size - a->hi;
}

/* --------------------------------------------------------------- reader */
int rd_fail(wrd *r, const char *msg)
{
    if (!r->err) r->err = msg;
    r->p = r->end;
    return 0;
}

int rd_u8(wrd *r, uint8_t *v)
{
    if (r->p >= r->end) return rd_fail(r, "unexpected end");
    *v = *r->p++;
    return 1;
}

int rd_bytes(wrd *r, uint32_t n, const uint8_t **out)
{
    if ((size_t)(r->end - r->p) < n) return rd_fail(r, "unexpected end");
    *out = r->p;
    r->p += n;
    return 1;
}

/* LEB128 with the spec's limits: at most ceil(N/7) bytes and the unused
 * bits of the last byte must be zero (unsigned) or a sign extension. */
static int rd_leb(wrd *r, unsigned bits, int sign, uint64_t *out)
{
    uint64_t v = 0;
    unsigned shift = 0, maxb = (bits + 6) / 7, i;
    uint8_t b = 0;
    for (i = 0; i < maxb; i++) {
        if (r->p >= r->end) return rd_fail(r, "unexpected end");
        b = *r->p++;
        v |= (uint64_t)(b & 0x7F) << shift;
        shift += 7;
        if (!(b & 0x80)) break;
    }
    if (i == maxb) return rd_fail(r, "integer representation too long");
    if (shift > bits) {
        /* Last byte carries bits beyond the type: they must be padding. */
        unsigned used = bits - (shift - 7);           /* bits of b that count */
        uint8_t extra = (uint8_t)((b & 0x7F) >> used);
        uint8_t full = (uint8_t)(0x7F >> used);
        if (!sign) {
            if (extra) return rd_fail(r, "integer too large");
        } else {
            int neg = (b >> (used - 1)) & 1;
            if (extra != (neg ? full : 0)) return rd_fail(r, "integer too large");
        }
    }
    if (sign && shift < 64 && (b & 0x40)) v |= ~(uint64_t)0 << shift;
    *out = v;
    return 1;
}

int rd_u32(wrd *r, uint32_t *v)
{
    uint64_t x;
    if (!rd_leb(r, 32, 0, &x)) return 0;
    *v = (uint32_t)x;
    return 1;
}
int rd_s32(wrd *r, int32_t *v)
{
    uint64_t x;
    if (!rd_leb(r, 32, 1, &x)) return 0;
    *v = (int32_t)(uint32_t)x;
    return 1;
}
int rd_s33(wrd *r, int64_t *v)
{
    uint64_t x;
    if (!rd_leb(r, 33, 1, &x)) return 0;
    *v = (int64_t)x;
    return 1;
}
int rd_s64(wrd *r, int64_t *v)
{
    uint64_t x;
    if (!rd_leb(r, 64, 1, &x)) return 0;
    *v = (int64_t)x;
    return 1;
}

/* ---------------------------------------------------------------- utils */
static int utf8_ok(const uint8_t *s, uint32_t n)
{
    uint32_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        uint32_t need, cp, k;
        if (c < 0x80) { i++; continue; }
        if (c >= 0xC2 && c <= 0xDF) { need = 1; cp = c & 0x1F; }
        else if (c >= 0xE0 && c <= 0xEF) { need = 2; cp = c & 0x0F; }
        else if (c >= 0xF0 && c <= 0xF4) { need = 3; cp = c & 0x07; }
        else return 0;
        if (n - i <= need) return 0;
        for (k = 1; k <= need; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return 0;
        if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
        i += need + 1;
    }
    return 1;
}

static int rd_name(wrd *r, const uint8_t **s, uint32_t *n)
{
    if (!rd_u32(r, n) || !rd_bytes(r, *n, s)) return 0;
    if (!utf8_ok(*s, *n)) return rd_fail(r, "malformed UTF-8 encoding");
    return 1;
}

static int is_valtype(uint8_t t)
{
    return t == WASM_I32 || t == WASM_I64 || t == WASM_F32 || t == WASM_F64 ||
           t == WASM_FUNCREF || t == WASM_EXTERNREF;
}

static int rd_valtype(wrd *r, uint8_t *t)
{
    if (!rd_u8(r, t)) return 0;
    if (!is_valtype(*t)) return rd_fail(r, "malformed value type");
    return 1;
}

static int rd_reftype(wrd *r, uint8_t *t)
{
    if (!rd_u8(r, t)) return 0;
    if (*t != WASM_FUNCREF && *t != WASM_EXTERNREF)
        return rd_fail(r, "malformed reference type");
    return 1;
}

static int rd_limits(wrd *r, uint32_t *min, uint32_t *max, uint8_t *has_max)
{
    uint8_t flag;
    if (!rd_u8(r, &flag)) return 0;
    if (flag > 1) return rd_fail(r, "integer too large");
    if (!rd_u32(r, min)) return 0;
    *has_max = flag;
    *max = 0xFFFFFFFFu;
    if (flag && !rd_u32(r, max)) return 0;
    return 1;
}

/* A counted vector: check the count against the bytes left so a hostile
 * count cannot make us allocate more than the input could describe. */
static int rd_count(wrd *r, uint32_t *n, uint32_t min_elem_size)
{
    if (!rd_u32(r, n)) return 0;
    if (min_elem_size && *n > (uint32_t)((size_t)(r->end - r->p) / min_elem_size))
        return rd_fail(r, "unexpected end");
    return 1;
}

#define ALLOC(ptr, n) do { \
    if ((n) && !((ptr) = wasm_arena_alloc(a, sizeof(*(ptr)) * (size_t)(n)))) \
        { st = WASM_ERR_NOMEM; goto fail; } } while (0)

/* Constant expressions: a single constant instruction then `end`. Type is
 * checked later (validate needs the global types). */
static int rd_const(wrd *r, wconst *c)
{
    uint8_t op, endop;
    int32_t i32; int64_t i64; const uint8_t *b;
    memset(c, 0, sizeof *c);
    if (!rd_u8(r, &op)) return 0;
    c->op = op;
    switch (op) {
    case 0x41: if (!rd_s32(r, &i32)) return 0; c->type = WASM_I32; c->v.i32 = (uint32_t)i32; break;
    case 0x42: if (!rd_s64(r, &i64)) return 0; c->type = WASM_I64; c->v.i64 = (uint64_t)i64; break;
    case 0x43: if (!rd_bytes(r, 4, &b)) return 0; c->type = WASM_F32; memcpy(&c->v.i32, b, 4); break;
    case 0x44: if (!rd_bytes(r, 8, &b)) return 0; c->type = WASM_F64; memcpy(&c->v.i64, b, 8); break;
    case 0xD0: if (!rd_reftype(r, &c->type)) return 0; break;
    case 0xD2: if (!rd_u32(r, &c->idx)) return 0; c->type = WASM_FUNCREF; break;
    case 0x23: if (!rd_u32(r, &c->idx)) return 0; break;
    default:
        /* Distinguish "not constant" (invalid) from garbage is not needed by
         * the binary suite: both reject the module. */
        r->err = "constant expression required";
        return 0;
    }
    if (!rd_u8(r, &endop)) return 0;
    if (endop != 0x0B) { r->err = "constant expression required"; return 0; }
    return 1;
}

/* ------------------------------------------------------------- sections */
static const uint8_t section_order[13] = {
    /* id -> position in the required order; custom (0) is free */
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10
};

wasm_status wasm__parse(wasm_module **out, const uint8_t *bytes, size_t len,
                      wasm_arena *a, wasm_error *err)
{
    wasm_module *m;
    wrd r, s;
    wasm_status st = WASM_ERR_MALFORMED;
    uint32_t i, j, last_order = 0, nfuncdecl = 0, ncode = 0;
    int seen_func = 0, seen_code = 0;
    size_t mark_lo = a->lo;
    const uint8_t *b;

    err->msg = NULL; err->offset = 0;
    r.start = r.p = bytes; r.end = bytes + len; r.err = NULL;
    s = r;
    m = wasm_arena_alloc(a, sizeof *m);
    if (!m) { st = WASM_ERR_NOMEM; goto fail; }
    m->bytes = bytes; m->len = len; m->start = -1;

    if (!rd_bytes(&r, 4, &b) || memcmp(b, "\0asm", 4)) { rd_fail(&r, "magic header not detected"); goto fail; }
    if (!rd_bytes(&r, 4, &b) || memcmp(b, "\1\0\0\0", 4)) { rd_fail(&r, "unknown binary version"); goto fail; }

    while (r.p < r.end) {
        uint8_t id; uint32_t size, n;
        if (!rd_u8(&r, &id) || !rd_u32(&r, &size)) goto fail;
        if (size > (size_t)(r.end - r.p)) { rd_fail(&r, "section size mismatch"); goto fail; }
        s.p = r.p; s.end = r.p + size; s.err = NULL;
        r.p += size;
        if (id > 12) { rd_fail(&s, "malformed section id"); goto fail_s; }
        if (id != 0) {
            if (section_order[id] <= last_order) { rd_fail(&s, "unexpected content after last section"); goto fail_s; }
            last_order = section_order[id];
        }
        switch (id) {
        case 0: { const uint8_t *nm; uint32_t nl;
            if (!rd_name(&s, &nm, &nl)) goto fail_s;
            s.p = s.end;
            break; }
        case 1:
            if (!rd_count(&s, &n, 3)) goto fail_s;
            m->ntypes = n; ALLOC(m->types, n);
            for (i = 0; i < n; i++) {
                uint8_t form; uint32_t np, nr; const uint8_t *p;
                if (!rd_u8(&s, &form)) goto fail_s;
                if (form != 0x60) { rd_fail(&s, "integer representation too long"); goto fail_s; }
                if (!rd_u32(&s, &np) || !rd_bytes(&s, np, &p)) goto fail_s;
                for (j = 0; j < np; j++) if (!is_valtype(p[j])) { rd_fail(&s, "malformed value type"); goto fail_s; }
                m->types[i].np = np; m->types[i].p = p;
                if (!rd_u32(&s, &nr) || !rd_bytes(&s, nr, &p)) goto fail_s;
                for (j = 0; j < nr; j++) if (!is_valtype(p[j])) { rd_fail(&s, "malformed value type"); goto fail_s; }
                m->types[i].nr = nr; m->types[i].r = p;
                if (np > WASM_MAX_PARAMS || nr > WASM_MAX_PARAMS) { rd_fail(&s, "too many params"); goto fail_s; }
            }
            break;
        case 2:
            if (!rd_count(&s, &n, 4)) goto fail_s;
            m->nimports = n; ALLOC(m->imports, n);
            for (i = 0; i < n; i++) {
                wimport *im = &m->imports[i];
                if (!rd_name(&s, &im->mod, &im->mlen) || !rd_name(&s, &im->name, &im->nlen)) goto fail_s;
                if (!rd_u8(&s, &im->kind)) goto fail_s;
                switch (im->kind) {
                case 0: if (!rd_u32(&s, &im->idx)) goto fail_s; m->nfunc_imports++; break;
                case 1: { uint8_t t, hm; uint32_t mn, mx;
                    if (!rd_reftype(&s, &t) || !rd_limits(&s, &mn, &mx, &hm)) goto fail_s;
                    m->ntable_imports++; break; }
                case 2: { uint8_t hm; uint32_t mn, mx;
                    if (!rd_limits(&s, &mn, &mx, &hm)) goto fail_s;
                    m->nmem_imports++; break; }
                case 3: { uint8_t t, mut;
                    if (!rd_valtype(&s, &t) || !rd_u8(&s, &mut)) goto fail_s;
                    if (mut > 1) { rd_fail(&s, "malformed mutability"); goto fail_s; }
                    m->nglobal_imports++; break; }
                default: rd_fail(&s, "malformed import kind"); goto fail_s;
                }
            }
            break;
        case 3:
            if (!rd_count(&s, &n, 1)) goto fail_s;
            nfuncdecl = n; seen_func = 1;
            m->nfuncs = m->nfunc_imports + n;
            ALLOC(m->func_types, m->nfuncs);
            for (i = 0; i < n; i++)
                if (!rd_u32(&s, &m->func_types[m->nfunc_imports + i])) goto fail_s;
            break;
        case 4:
            if (!rd_count(&s, &n, 2)) goto fail_s;
            m->ntables = n; /* defined only for now; imports prepended below */
            ALLOC(m->tables, m->ntable_imports + n);
            for (i = 0; i < n; i++) {
                wtabletype *t = &m->tables[m->ntable_imports + i];
                if (!rd_reftype(&s, &t->elemtype) || !rd_limits(&s, &t->min, &t->max, &t->has_max)) goto fail_s;
            }
            break;
        case 5:
            if (!rd_count(&s, &n, 2)) goto fail_s;
            m->nmems = n;
            ALLOC(m->mems, m->nmem_imports + n);
            for (i = 0; i < n; i++) {
                wmemtype *t = &m->mems[m->nmem_imports + i];
                if (!rd_limits(&s, &t->min, &t->max, &t->has_max)) goto fail_s;
            }
            break;
        case 6:
            if (!rd_count(&s, &n, 4)) goto fail_s;
            m->nglobals = n;
            ALLOC(m->globals, m->nglobal_imports + n);
            for (i = 0; i < n; i++) {
                wglobaltype *g = &m->globals[m->nglobal_imports + i];
                if (!rd_valtype(&s, &g->type) || !rd_u8(&s, &g->mut)) goto fail_s;
                if (g->mut > 1) { rd_fail(&s, "malformed mutability"); goto fail_s; }
                if (!rd_const(&s, &g->init)) goto fail_s;
            }
            break;
        case 7:
            if (!rd_count(&s, &n, 3)) goto fail_s;
            m->nexports = n; ALLOC(m->exports, n);
            for (i = 0; i < n; i++) {
                wexport *e = &m->exports[i];
                if (!rd_name(&s, &e->name, &e->nlen) || !rd_u8(&s, &e->kind) || !rd_u32(&s, &e->idx)) goto fail_s;
                if (e->kind > 3) { rd_fail(&s, "malformed export kind"); goto fail_s; }
            }
            break;
        case 8: { uint32_t x;
            if (!rd_u32(&s, &x)) goto fail_s;
            m->start = x; break; }
        case 9:
            if (!rd_count(&s, &n, 1)) goto fail_s;
            m->nelems = n; ALLOC(m->elems, n);
            for (i = 0; i < n; i++) {
                welem *e = &m->elems[i];
                uint32_t flags, cnt; int exprs;
                if (!rd_u32(&s, &flags)) goto fail_s;
                if (flags > 7) { rd_fail(&s, "malformed elements segment kind"); goto fail_s; }
                e->mode = (flags & 1) ? ((flags & 2) ? SEG_DECLARATIVE : SEG_PASSIVE) : SEG_ACTIVE;
                exprs = (flags & 4) != 0;
                e->type = WASM_FUNCREF;
                if (!(flags & 1)) {
                    if ((flags & 2) && !rd_u32(&s, &e->table)) goto fail_s;
                    if (!rd_const(&s, &e->offset)) goto fail_s;
                }
                if (flags & 3) {
                    /* explicit elemkind (0x00) or reftype */
                    if (exprs) { if (!rd_reftype(&s, &e->type)) goto fail_s; }
                    else { uint8_t k; if (!rd_u8(&s, &k)) goto fail_s;
                        if (k != 0) { rd_fail(&s, "malformed element kind"); goto fail_s; } }
                }
                if (!rd_count(&s, &cnt, 1)) goto fail_s;
                e->n = cnt; ALLOC(e->items, cnt);
                for (j = 0; j < cnt; j++) {
                    if (exprs) { if (!rd_const(&s, &e->items[j])) goto fail_s; }
                    else { e->items[j].op = 0xD2; e->items[j].type = WASM_FUNCREF;
                        if (!rd_u32(&s, &e->items[j].idx)) goto fail_s; }
                }
            }
            break;
        case 12:
            if (!rd_u32(&s, &m->datacount)) goto fail_s;
            m->has_datacount = 1;
            break;
        case 10:
            if (!rd_count(&s, &n, 2)) goto fail_s;
            ncode = n; seen_code = 1;
            if (n != nfuncdecl) { rd_fail(&s, "function and code section have inconsistent lengths"); goto fail_s; }
            ALLOC(m->codes, n);
            for (i = 0; i < n; i++) {
                uint32_t sz; const uint8_t *body;
                if (!rd_u32(&s, &sz) || !rd_bytes(&s, sz, &body)) goto fail_s;
                m->codes[i].body = body; m->codes[i].body_end = body + sz;
            }
            break;
        case 11:
            if (!rd_count(&s, &n, 1)) goto fail_s;
            if (m->has_datacount && n != m->datacount) { rd_fail(&s, "data count and data section have inconsistent lengths"); goto fail_s; }
            m->ndatas = n; ALLOC(m->datas, n);
            for (i = 0; i < n; i++) {
                wdata *d = &m->datas[i];
                uint32_t flags, memidx = 0;
                if (!rd_u32(&s, &flags)) goto fail_s;
                if (flags > 2) { rd_fail(&s, "malformed data segment kind"); goto fail_s; }
                d->mode = flags == 1 ? SEG_PASSIVE : SEG_ACTIVE;
                if (flags == 2 && !rd_u32(&s, &memidx)) goto fail_s;
                if (memidx != 0) { rd_fail(&s, "unknown memory"); st = WASM_ERR_INVALID; goto fail_s; }
                if (flags != 1 && !rd_const(&s, &d->offset)) goto fail_s;
                if (!rd_u32(&s, &d->len) || !rd_bytes(&s, d->len, &d->data)) goto fail_s;
            }
            break;
        }
        if (s.p != s.end) { rd_fail(&s, "section size mismatch"); goto fail_s; }
    }
    if (seen_func && !seen_code && nfuncdecl) { rd_fail(&r, "function and code section have inconsistent lengths"); goto fail; }
    if (seen_code && ncode != nfuncdecl) { rd_fail(&r, "function and code section have inconsistent lengths"); goto fail; }
    if (m->has_datacount && m->datacount != m->ndatas) { rd_fail(&r, "data count and data section have inconsistent lengths"); goto fail; }

    /* Second pass over the import section fills the index spaces, which
     * are laid out imports first. */
    if (!m->func_types) {
        m->nfuncs = m->nfunc_imports;
        ALLOC(m->func_types, m->nfuncs);
    }
    m->ntables += m->ntable_imports;
    m->nmems += m->nmem_imports;
    m->nglobals += m->nglobal_imports;
    if (!m->tables) ALLOC(m->tables, m->ntables);
    if (!m->mems) ALLOC(m->mems, m->nmems);
    if (!m->globals) ALLOC(m->globals, m->nglobals);
    {
        uint32_t fi = 0, ti = 0, mi = 0, gi = 0;
        for (i = 0; i < m->nimports; i++) {
            wimport *im = &m->imports[i];
            /* Re-read the descriptor: cheap, and avoids storing it twice. */
            wrd d; d.p = im->name + im->nlen + 1; d.end = bytes + len; d.err = NULL; d.start = bytes;
            switch (im->kind) {
            case 0: m->func_types[fi++] = im->idx; break;
            case 1: { wtabletype *t = &m->tables[ti]; im->idx = ti++;
                rd_reftype(&d, &t->elemtype); rd_limits(&d, &t->min, &t->max, &t->has_max); break; }
            case 2: { wmemtype *t = &m->mems[mi]; im->idx = mi++;
                rd_limits(&d, &t->min, &t->max, &t->has_max); break; }
            case 3: { wglobaltype *g = &m->globals[gi]; im->idx = gi++;
                rd_valtype(&d, &g->type); rd_u8(&d, &g->mut); break; }
            }
        }
    }
    *out = m;
    return WASM_OK;

fail_s:
    r.err = s.err;
    r.p = s.p;
fail:
    err->msg = r.err ? r.err : (st == WASM_ERR_NOMEM ? "out of arena memory" : "malformed");
    err->offset = (uint32_t)(r.p - bytes);
    a->lo = mark_lo;
    *out = NULL;
    return st == WASM_OK ? WASM_ERR_MALFORMED : st;
}
