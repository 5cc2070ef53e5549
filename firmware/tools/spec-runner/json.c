/* Minimal recursive-descent JSON reader; enough for wast2json output. */
#include "json.h"
#include <stdlib.h>
#include <string.h>

typedef struct { const char *p; const char *err; int depth; } jp;

#define MAX_DEPTH 64

static void ws(jp *s) { while (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t') s->p++; }

static jnode *node(int type)
{
    jnode *n = calloc(1, sizeof *n);
    if (n) n->type = type;
    return n;
}

static void put_utf8(char **o, unsigned cp)
{
    char *q = *o;
    if (cp < 0x80) *q++ = (char)cp;
    else if (cp < 0x800) { *q++ = (char)(0xC0 | (cp >> 6)); *q++ = (char)(0x80 | (cp & 0x3F)); }
    else if (cp < 0x10000) { *q++ = (char)(0xE0 | (cp >> 12)); *q++ = (char)(0x80 | ((cp >> 6) & 0x3F)); *q++ = (char)(0x80 | (cp & 0x3F)); }
    else { *q++ = (char)(0xF0 | (cp >> 18)); *q++ = (char)(0x80 | ((cp >> 12) & 0x3F));
           *q++ = (char)(0x80 | ((cp >> 6) & 0x3F)); *q++ = (char)(0x80 | (cp & 0x3F)); }
    *o = q;
}

static char *string(jp *s, unsigned long *outlen)
{
    const char *start;
    char *out, *o;
    size_t n = 0;
    if (*s->p != '"') { s->err = "expected string"; return NULL; }
    start = ++s->p;
    while (*s->p && *s->p != '"') { if (*s->p == '\\' && s->p[1]) s->p++; s->p++; n++; }
    if (*s->p != '"') { s->err = "unterminated string"; return NULL; }
    out = o = malloc((size_t)(s->p - start) * 4 + 1);
    if (!out) { s->err = "out of memory"; return NULL; }
    for (s->p = start; *s->p != '"'; s->p++) {
        char c = *s->p;
        if (c != '\\') { *o++ = c; continue; }
        c = *++s->p;
        switch (c) {
        case 'n': *o++ = '\n'; break; case 't': *o++ = '\t'; break;
        case 'r': *o++ = '\r'; break; case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'u': {
            unsigned cp = 0; int i;
            for (i = 0; i < 4 && s->p[1]; i++) {
                char h = *++s->p;
                cp = cp * 16 + (unsigned)(h >= 'a' ? h - 'a' + 10 : h >= 'A' ? h - 'A' + 10 : h - '0');
            }
            if (cp >= 0xD800 && cp < 0xDC00 && s->p[1] == '\\' && s->p[2] == 'u') {
                unsigned lo = 0;
                s->p += 2;
                for (i = 0; i < 4 && s->p[1]; i++) {
                    char h = *++s->p;
                    lo = lo * 16 + (unsigned)(h >= 'a' ? h - 'a' + 10 : h >= 'A' ? h - 'A' + 10 : h - '0');
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            put_utf8(&o, cp);
            break; }
        default: *o++ = c; break;
        }
    }
    *o = 0;
    if (outlen) *outlen = (unsigned long)(o - out);
    s->p++;
    (void)n;
    return out;
}

static jnode *value(jp *s)
{
    jnode *n = NULL, **tail;
    ws(s);
    if (++s->depth > MAX_DEPTH) { s->err = "nested too deeply"; return NULL; }
    switch (*s->p) {
    case '{':
        n = node(J_OBJ); s->p++; tail = &n->kids; ws(s);
        if (*s->p == '}') { s->p++; break; }
        for (;;) {
            char *k; jnode *v;
            ws(s);
            if (!(k = string(s, NULL))) goto bad;
            ws(s);
            if (*s->p != ':') { free(k); s->err = "expected ':'"; goto bad; }
            s->p++;
            if (!(v = value(s))) { free(k); goto bad; }
            v->key = k; *tail = v; tail = &v->next;
            ws(s);
            if (*s->p == ',') { s->p++; continue; }
            if (*s->p == '}') { s->p++; break; }
            s->err = "expected ',' or '}'"; goto bad;
        }
        break;
    case '[':
        n = node(J_ARR); s->p++; tail = &n->kids; ws(s);
        if (*s->p == ']') { s->p++; break; }
        for (;;) {
            jnode *v = value(s);
            if (!v) goto bad;
            *tail = v; tail = &v->next;
            ws(s);
            if (*s->p == ',') { s->p++; continue; }
            if (*s->p == ']') { s->p++; break; }
            s->err = "expected ',' or ']'"; goto bad;
        }
        break;
    case '"':
        n = node(J_STR);
        if (!(n->str = string(s, &n->len))) goto bad;
        break;
    case 't': case 'f': case 'n': {
        const char *w = *s->p == 't' ? "true" : *s->p == 'f' ? "false" : "null";
        if (strncmp(s->p, w, strlen(w))) { s->err = "bad literal"; return NULL; }
        n = node(*s->p == 'n' ? J_NULL : J_BOOL);
        n->str = malloc(2); n->str[0] = *s->p; n->str[1] = 0;
        s->p += strlen(w);
        break; }
    default: {
        const char *b = s->p;
        while ((*s->p >= '0' && *s->p <= '9') || *s->p == '-' || *s->p == '+' || *s->p == '.' || *s->p == 'e' || *s->p == 'E') s->p++;
        if (s->p == b) { s->err = "unexpected character"; return NULL; }
        n = node(J_NUM);
        n->str = malloc((size_t)(s->p - b) + 1);
        memcpy(n->str, b, (size_t)(s->p - b)); n->str[s->p - b] = 0;
        break; }
    }
    s->depth--;
    return n;
bad:
    json_free(n);
    return NULL;
}

jnode *json_parse(const char *text, const char **err)
{
    jp s;
    jnode *n;
    s.p = text; s.err = NULL; s.depth = 0;
    n = value(&s);
    if (n) { ws(&s); if (*s.p) { s.err = "trailing characters"; json_free(n); n = NULL; } }
    if (!n && err) *err = s.err ? s.err : "parse error";
    return n;
}

void json_free(jnode *n)
{
    while (n) {
        jnode *next = n->next;
        json_free(n->kids);
        free(n->str); free(n->key); free(n);
        n = next;
    }
}

jnode *json_get(const jnode *obj, const char *key)
{
    jnode *k;
    if (!obj || obj->type != J_OBJ) return NULL;
    for (k = obj->kids; k; k = k->next) if (k->key && !strcmp(k->key, key)) return k;
    return NULL;
}

const char *json_str(const jnode *obj, const char *key)
{
    jnode *n = json_get(obj, key);
    return n && (n->type == J_STR || n->type == J_NUM) ? n->str : NULL;
}
