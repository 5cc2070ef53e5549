#include <stdio.h>
#include <string.h>
#include "msg_equal.h"
#include "../src/wb_internal.h"

static int fail(char *why, size_t n, const char *what, const wb_field *f) {
  snprintf(why, n, "%s differs (%s)", f && f->name ? f->name : "?", what);
  return 0;
}

static int struct_equal(const wb_sdef *d, const uint8_t *a, const uint8_t *b, char *why, size_t n);

static int value_equal(const wb_field *f, const uint8_t *a, const uint8_t *b, char *why, size_t n) {
  const uint8_t *pa = a + f->off, *pb = b + f->off;
  switch (f->kind) {
  case WB_K_U32: return memcmp(pa, pb, 4) == 0 || fail(why, n, "u32", f);
  case WB_K_U64: return memcmp(pa, pb, 8) == 0 || fail(why, n, "u64", f);
  case WB_K_NUM: {
    double x, y;
    memcpy(&x, pa, 8);
    memcpy(&y, pb, 8);
    return x == y || fail(why, n, "number", f);
  }
  case WB_K_BOOL:
  case WB_K_ENUM: return *pa == *pb || fail(why, n, "enum/bool", f);
  case WB_K_TEXT: {
    uint16_t la, lb;
    memcpy(&la, pa, 2);
    memcpy(&lb, pb, 2);
    return (la == lb && memcmp(pa + WB_TEXT_CHARS_OFF, pb + WB_TEXT_CHARS_OFF, la) == 0 &&
            pa[WB_TEXT_CHARS_OFF + la] == 0 && pb[WB_TEXT_CHARS_OFF + lb] == 0) ||
           fail(why, n, "text", f);
  }
  case WB_K_BYTES: {
    wb_bytes_t x, y;
    memcpy(&x, pa, sizeof x);
    memcpy(&y, pb, sizeof y);
    return (x.len == y.len && (x.len == 0 || memcmp(x.p, y.p, x.len) == 0)) ||
           fail(why, n, "bytes", f);
  }
  case WB_K_SHA256: return memcmp(pa, pb, WB_SHA256_BYTES) == 0 || fail(why, n, "sha256", f);
  case WB_K_CONFIG: {
    const wb_config *x = (const wb_config *)(const void *)pa, *y = (const wb_config *)(const void *)pb;
    if (x->count != y->count) return fail(why, n, "config count", f);
    for (unsigned i = 0; i < x->count; i++) { /* as sets: order of entries is free */
      unsigned j;
      for (j = 0; j < y->count; j++)
        if (x->entries[i].key.len == y->entries[j].key.len &&
            memcmp(x->entries[i].key.s, y->entries[j].key.s, x->entries[i].key.len) == 0)
          break;
      if (j == y->count) return fail(why, n, "config key", f);
      if (x->entries[i].value.len != y->entries[j].value.len ||
          memcmp(x->entries[i].value.s, y->entries[j].value.s, x->entries[i].value.len) != 0)
        return fail(why, n, "config value", f);
    }
    return 1;
  }
  case WB_K_LIST:
    if (*pa != *pb) return fail(why, n, "list length", f);
    for (unsigned i = 0; i < *pa; i++) {
      size_t at = f->items_off + (size_t)i * f->elem_size;
      if (!value_equal(f->elem, a + at, b + at, why, n)) return 0;
    }
    return 1;
  case WB_K_STRUCT: return struct_equal(f->sub, pa, pb, why, n);
  default: return fail(why, n, "kind", f);
  }
}

static int struct_equal(const wb_sdef *d, const uint8_t *a, const uint8_t *b, char *why, size_t n) {
  uint32_t pa, pb;
  memcpy(&pa, a, 4);
  memcpy(&pb, b, 4);
  for (unsigned i = 0; i < d->n; i++) {
    const wb_field *f = &d->fields[i];
    int ha = f->optional ? (int)((pa >> f->key) & 1u) : 1;
    int hb = f->optional ? (int)((pb >> f->key) & 1u) : 1;
    if (ha != hb) return fail(why, n, "presence", f);
    if (ha && !value_equal(f, a, b, why, n)) return 0;
  }
  return 1;
}

int wb_msg_equal(const wb_message *a, const wb_message *b, char *why, size_t n) {
  const wb_sdef *d;
  if (a->type != b->type) { snprintf(why, n, "type differs"); return 0; }
  if (a->id != b->id) { snprintf(why, n, "id differs"); return 0; }
  d = wb_message_def(a->type);
  if (!d) { snprintf(why, n, "unknown type"); return 0; }
  return struct_equal(d, (const uint8_t *)&a->u, (const uint8_t *)&b->u, why, n);
}
