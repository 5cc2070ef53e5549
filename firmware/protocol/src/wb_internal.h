/* Internal: the CBOR primitives and the schema tables that drive decode and encode. */
#ifndef WB_INTERNAL_H
#define WB_INTERNAL_H
#include "wasmbed_proto.h"

/* ---- cbor.c ---- */
/* Checks one payload: exactly one well-formed item of the protocol's subset (else
 * WB_ERR_MALFORMED_CBOR), in the canonical encoding (else WB_ERR_NON_CANONICAL_ENCODING). */
wb_err wb_cbor_validate(const uint8_t *p, size_t n);
int wb_utf8_valid(const uint8_t *s, size_t n);

typedef struct { const uint8_t *p; size_t n; size_t pos; } wb_cur;
/* One head: major type, additional info, and its argument (for major 7 ai 27: the float bits).
 * Returns 0, or -1 when the input ends (never after validation). */
int wb_cbor_head(wb_cur *c, uint8_t *major, uint8_t *ai, uint64_t *val);
/* Skips one item whose head was not read yet. */
int wb_cbor_skip(wb_cur *c, unsigned depth);
double wb_f64_from_bits(uint64_t bits);
uint64_t wb_f64_bits(double d);
/* Number.isSafeInteger(d) */
int wb_f64_is_safe_int(double d);
/* Number.isInteger(d), d finite */
int wb_f64_is_integral(double d);

typedef struct { uint8_t *p; size_t cap; size_t len; } wb_out; /* len counts past cap */
void wb_put_head(wb_out *o, uint8_t major, uint64_t v);
void wb_put_raw(wb_out *o, const void *src, size_t n);
void wb_put_f64(wb_out *o, double d);

/* ---- schema (messages.c) ---- */
enum {
  WB_K_U32, WB_K_U64, WB_K_NUM, WB_K_BOOL, WB_K_TEXT, WB_K_BYTES, WB_K_SHA256, WB_K_ENUM,
  WB_K_CONFIG, WB_K_LIST, WB_K_STRUCT
};
enum { WB_PAT_NONE, WB_PAT_NAME, WB_PAT_HOSTFN };

struct wb_sdef;
typedef struct wb_field {
  uint8_t key, kind, optional, pattern;
  uint16_t off;       /* value offset in the parent (text: the wb_textN_t; list: the count) */
  uint16_t items_off; /* list: offset of the items array */
  uint16_t min;       /* text / bytes minimum length */
  uint16_t elem_size; /* list: sizeof one item */
  uint32_t max;       /* uint max (U64: 2^53-1 implied), text/bytes max length, enum count, list max */
  const struct wb_sdef *sub;     /* struct: its fields; list: element def (one field, off 0) */
  const struct wb_field *elem;   /* list: the element */
  const char *name;              /* JSON name, for tests and diagnostics */
  const char *const *enum_names;
} wb_field;

typedef struct wb_sdef {
  const wb_field *fields;
  uint8_t n;
  const char *name;
} wb_sdef;

/* The definition of message type t (1..22), or NULL. Bodies start with `uint32_t present`. */
const wb_sdef *wb_message_def(unsigned t);
/* Offset of the chars in every wb_textN_t */
#define WB_TEXT_CHARS_OFF 2u
#endif
