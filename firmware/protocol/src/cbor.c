/* A strict reader/writer for the protocol's data model (docs/protocol.md §3, "Encoding"):
 * unsigned and negative integers within +-(2^53 - 1), definite-length byte and UTF-8 text
 * strings, definite-length arrays and maps (keys: unsigned integers or text), false, true and
 * float64. Nothing else is well-formed here: no tags of any number, no null/undefined/simple
 * values, no indefinite lengths, no float16/float32, nesting at most WB_CBOR_MAX_DEPTH. The
 * TypeScript decoder (gateway/src/protocol/cbor.ts) accepts exactly the same model; the golden
 * vectors in test/vectors/protocol hold both to it. */
#include <string.h>
#include "wb_internal.h"

#define SAFE_MAX WB_MAX_SAFE_INT

uint64_t wb_f64_bits(double d) { uint64_t b; memcpy(&b, &d, sizeof b); return b; }
double wb_f64_from_bits(uint64_t b) { double d; memcpy(&d, &b, sizeof d); return d; }

int wb_f64_is_safe_int(double d) {
  if (!(d >= -9007199254740991.0 && d <= 9007199254740991.0)) return 0; /* also NaN */
  return (double)(int64_t)d == d;
}

/* Number.isInteger(d) for finite d */
int wb_f64_is_integral(double d) {
  if (d >= 4503599627370496.0 || d <= -4503599627370496.0) return 1; /* |d| >= 2^52 */
  return (double)(int64_t)d == d;
}

int wb_utf8_valid(const uint8_t *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t b = s[i];
    size_t need;
    uint32_t cp, min;
    if (b < 0x80) { i++; continue; }
    if (b >= 0xC2 && b <= 0xDF) { need = 1; cp = b & 0x1Fu; min = 0x80; }
    else if (b >= 0xE0 && b <= 0xEF) { need = 2; cp = b & 0x0Fu; min = 0x800; }
    else if (b >= 0xF0 && b <= 0xF4) { need = 3; cp = b & 0x07u; min = 0x10000; }
    else return 0;
    if (n - i - 1 < need) return 0;
    for (size_t k = 1; k <= need; k++) {
      uint8_t c = s[i + k];
      if ((c & 0xC0) != 0x80) return 0;
      cp = (cp << 6) | (c & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    i += need + 1;
  }
  return 1;
}

/* ---------------- validation ---------------- */

typedef struct {
  const uint8_t *p;
  size_t n, pos;
  int noncanon;
} vstate;

enum { KEY_NONE, KEY_INT, KEY_TEXT };
typedef struct {
  int cls;
  uint64_t i;
  const uint8_t *t;
  size_t tlen;
} keyinfo;

#define MALF (-1)

static int rd_be(vstate *s, unsigned nbytes, uint64_t *v) {
  uint64_t x = 0;
  if (s->n - s->pos < nbytes) return MALF;
  for (unsigned k = 0; k < nbytes; k++) x = (x << 8) | s->p[s->pos++];
  *v = x;
  return 0;
}

/* Major type 7 holds three items of the data model: false, true and float64. Everything else
 * (null, undefined, simple values, float16/float32, break) is outside it. A float64 is
 * canonical only for a number that is not a safe integer (those travel as integers); NaN and
 * infinities are refused. Floats are never map keys. */
static int v_simple(vstate *s, uint8_t ai, keyinfo *key) {
  uint64_t v;
  double d;
  if (key) return MALF;
  if (ai == 20 || ai == 21) return 0;
  if (ai != 27) return MALF;
  if (rd_be(s, 8, &v)) return MALF;
  if (((v >> 52) & 0x7FF) == 0x7FF) return MALF;
  d = wb_f64_from_bits(v);
  if (wb_f64_is_safe_int(d)) s->noncanon = 1; /* also -0 */
  return 0;
}

static int key_greater(const keyinfo *a, const keyinfo *prev) {
  if (prev->cls == KEY_NONE) return 1;
  if (a->cls == KEY_INT) return prev->cls == KEY_INT && a->i > prev->i;
  if (prev->cls == KEY_INT) return 1;
  if (a->tlen != prev->tlen) return a->tlen > prev->tlen;
  return memcmp(a->t, prev->t, a->tlen) > 0;
}

static int v_item(vstate *s, unsigned depth, keyinfo *key);

static int v_pair(vstate *s, unsigned depth, keyinfo *prev) {
  keyinfo k;
  k.cls = KEY_NONE;
  if (v_item(s, depth, &k)) return MALF;
  if (!key_greater(&k, prev)) s->noncanon = 1;
  *prev = k;
  return v_item(s, depth, NULL);
}

static int v_item(vstate *s, unsigned depth, keyinfo *key) {
  uint8_t ib, major, ai;
  uint64_t v;
  if (depth > WB_CBOR_MAX_DEPTH) return MALF;
  if (s->pos >= s->n) return MALF;
  ib = s->p[s->pos++];
  major = ib >> 5;
  ai = ib & 0x1F;
  if (major == 7) return v_simple(s, ai, key);
  if (ai >= 28) return MALF; /* reserved, or an indefinite length: not in the data model */
  v = ai;
  if (ai >= 24) {
    static const uint64_t shortest[4] = {24u, 0x100u, 0x10000u, 0x100000000ull};
    if (rd_be(s, 1u << (ai - 24), &v)) return MALF;
    if (v < shortest[ai - 24]) s->noncanon = 1;
  }
  switch (major) {
  case 0:
    if (v > SAFE_MAX) return MALF; /* beyond 2^53 - 1: not exact in the TS codec's numbers */
    if (key) { key->cls = KEY_INT; key->i = v; }
    return 0;
  case 1:
    if (key || v > SAFE_MAX - 1) return MALF;
    return 0;
  case 2:
  case 3:
    if (key && major == 2) return MALF;
    /* a declared length is only a claim: checked before pos moves (2^64 - k would wrap) */
    if (v > s->n - s->pos) return MALF;
    if (major == 3) {
      if (!wb_utf8_valid(s->p + s->pos, (size_t)v)) s->noncanon = 1;
      if (key) { key->cls = KEY_TEXT; key->t = s->p + s->pos; key->tlen = (size_t)v; }
    }
    s->pos += (size_t)v;
    return 0;
  case 4:
    if (key || v > s->n - s->pos) return MALF;
    for (uint64_t i = 0; i < v; i++)
      if (v_item(s, depth + 1, NULL)) return MALF;
    return 0;
  case 5: {
    keyinfo prev;
    if (key || v > (s->n - s->pos) / 2) return MALF;
    prev.cls = KEY_NONE;
    for (uint64_t i = 0; i < v; i++)
      if (v_pair(s, depth + 1, &prev)) return MALF;
    return 0;
  }
  default: /* 6: no tag of any number is part of the data model (shared values, records...) */
    return MALF;
  }
}

wb_err wb_cbor_validate(const uint8_t *p, size_t n) {
  vstate s;
  s.p = p; s.n = n; s.pos = 0; s.noncanon = 0;
  if (n == 0 || v_item(&s, 0, NULL) || s.pos != n) return WB_ERR_MALFORMED_CBOR;
  return s.noncanon ? WB_ERR_NON_CANONICAL_ENCODING : WB_OK;
}

/* ---------------- reading validated input ---------------- */

int wb_cbor_head(wb_cur *c, uint8_t *major, uint8_t *ai, uint64_t *val) {
  uint8_t ib;
  uint64_t v;
  if (c->pos >= c->n) return -1;
  ib = c->p[c->pos++];
  *major = ib >> 5;
  *ai = ib & 0x1F;
  v = *ai;
  if (*ai >= 24 && *ai <= 27) {
    unsigned nb = 1u << (*ai - 24);
    if (c->n - c->pos < nb) return -1;
    v = 0;
    for (unsigned k = 0; k < nb; k++) v = (v << 8) | c->p[c->pos++];
  } else if (*ai > 27) {
    return -1;
  }
  *val = v;
  return 0;
}

int wb_cbor_skip(wb_cur *c, unsigned depth) {
  uint8_t major, ai;
  uint64_t v;
  if (depth > WB_CBOR_MAX_DEPTH || wb_cbor_head(c, &major, &ai, &v)) return -1;
  switch (major) {
  case 2:
  case 3:
    if (v > c->n - c->pos) return -1;
    c->pos += (size_t)v;
    return 0;
  case 4:
  case 5:
    if (major == 5) {
      if (v > (c->n - c->pos) / 2) return -1;
      v *= 2;
    } else if (v > c->n - c->pos) {
      return -1;
    }
    for (uint64_t i = 0; i < v; i++)
      if (wb_cbor_skip(c, depth + 1)) return -1;
    return 0;
  case 6:
    return -1;
  default:
    return 0;
  }
}

/* ---------------- writing ---------------- */

void wb_put_raw(wb_out *o, const void *src, size_t n) {
  if (n && o->len <= o->cap && o->cap - o->len >= n) memcpy(o->p + o->len, src, n);
  o->len += n;
}

void wb_put_head(wb_out *o, uint8_t major, uint64_t v) {
  uint8_t b[9];
  size_t n, k;
  uint8_t m = (uint8_t)(major << 5);
  if (v < 24) { b[0] = (uint8_t)(m | v); n = 1; }
  else if (v <= 0xFF) { b[0] = m | 24; n = 2; }
  else if (v <= 0xFFFF) { b[0] = m | 25; n = 3; }
  else if (v <= 0xFFFFFFFFull) { b[0] = m | 26; n = 5; }
  else { b[0] = m | 27; n = 9; }
  for (k = n - 1; k >= 1 && n > 1; k--) { b[k] = (uint8_t)(v & 0xFF); v >>= 8; }
  wb_put_raw(o, b, n);
}

void wb_put_f64(wb_out *o, double d) {
  uint8_t b[9];
  uint64_t bits = wb_f64_bits(d);
  b[0] = 0xFB;
  for (int k = 8; k >= 1; k--) { b[k] = (uint8_t)(bits & 0xFF); bits >>= 8; }
  wb_put_raw(o, b, 9);
}
