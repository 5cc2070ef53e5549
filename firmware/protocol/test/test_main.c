/* Host tests: every golden vector (test/vectors/protocol) plus unit tests of edge cases.
 * usage: test_main <vectors-dir>   (the directory holding valid/ and malformed/) */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "wasmbed_proto.h"
#include "msg_equal.h"
#include "../src/wb_internal.h"

static int passed, failed;
#define CHECK(cond, ...)                                                                  \
  do {                                                                                    \
    if (cond) passed++;                                                                   \
    else { failed++; printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } \
  } while (0)

/* ---------------- a small JSON reader (DOM in a static pool) ---------------- */
enum { J_NULL, J_FALSE, J_TRUE, J_NUM, J_STR, J_ARR, J_OBJ };
typedef struct {
  int t;
  const char *key; size_t keylen; /* member name, if in an object */
  const char *s; size_t slen;     /* string (decoded) or number (raw text) */
  int child, next;                /* first child, next sibling: indexes, -1 = none */
} jnode;
#define JPOOL 8192
static jnode jn[JPOOL];
static int njn;
static char jstr[1 << 18];
static size_t njstr;
static const char *jp, *jend;
static int jerr;

static void jws(void) { while (jp < jend && (*jp == ' ' || *jp == '\n' || *jp == '\r' || *jp == '\t')) jp++; }
static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
static void jput(char c) { if (njstr < sizeof jstr) jstr[njstr++] = c; else jerr = 1; }
static void jput_utf8(unsigned long cp) {
  if (cp < 0x80) jput((char)cp);
  else if (cp < 0x800) { jput((char)(0xC0 | (cp >> 6))); jput((char)(0x80 | (cp & 0x3F))); }
  else if (cp < 0x10000) { jput((char)(0xE0 | (cp >> 12))); jput((char)(0x80 | ((cp >> 6) & 0x3F))); jput((char)(0x80 | (cp & 0x3F))); }
  else { jput((char)(0xF0 | (cp >> 18))); jput((char)(0x80 | ((cp >> 12) & 0x3F))); jput((char)(0x80 | ((cp >> 6) & 0x3F))); jput((char)(0x80 | (cp & 0x3F))); }
}
static unsigned long j4hex(void) {
  unsigned long v = 0;
  for (int i = 0; i < 4; i++) {
    int h = (jp < jend) ? hexval(*jp++) : -1;
    if (h < 0) { jerr = 1; return 0; }
    v = v * 16 + (unsigned long)h;
  }
  return v;
}
static int jstring(const char **out, size_t *len) {
  size_t start = njstr;
  if (jp >= jend || *jp != '"') return -1;
  jp++;
  while (jp < jend && *jp != '"') {
    char c = *jp++;
    if (c != '\\') { jput(c); continue; }
    if (jp >= jend) return -1;
    c = *jp++;
    switch (c) {
    case 'n': jput('\n'); break; case 't': jput('\t'); break; case 'r': jput('\r'); break;
    case 'b': jput('\b'); break; case 'f': jput('\f'); break;
    case 'u': {
      unsigned long cp = j4hex();
      if (cp >= 0xD800 && cp <= 0xDBFF && jend - jp >= 6 && jp[0] == '\\' && jp[1] == 'u') {
        unsigned long lo;
        jp += 2;
        lo = j4hex();
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
      }
      jput_utf8(cp);
      break;
    }
    default: jput(c);
    }
  }
  if (jp >= jend) return -1;
  jp++;
  *out = jstr + start;
  *len = njstr - start;
  return jerr ? -1 : 0;
}
static int jvalue(void) {
  int me;
  jws();
  if (jp >= jend || njn >= JPOOL) return -1;
  me = njn++;
  memset(&jn[me], 0, sizeof jn[me]);
  jn[me].child = jn[me].next = -1;
  if (*jp == '{' || *jp == '[') {
    int obj = *jp == '{', last = -1;
    jn[me].t = obj ? J_OBJ : J_ARR;
    jp++;
    jws();
    if (jp < jend && *jp == (obj ? '}' : ']')) { jp++; return me; }
    for (;;) {
      const char *k = NULL;
      size_t kl = 0;
      int c;
      jws();
      if (obj) {
        if (jstring(&k, &kl)) return -1;
        jws();
        if (jp >= jend || *jp++ != ':') return -1;
      }
      c = jvalue();
      if (c < 0) return -1;
      jn[c].key = k;
      jn[c].keylen = kl;
      if (last < 0) jn[me].child = c; else jn[last].next = c;
      last = c;
      jws();
      if (jp < jend && *jp == ',') { jp++; continue; }
      if (jp < jend && *jp == (obj ? '}' : ']')) { jp++; return me; }
      return -1;
    }
  }
  if (*jp == '"') { jn[me].t = J_STR; return jstring(&jn[me].s, &jn[me].slen) ? -1 : me; }
  if (jend - jp >= 4 && !strncmp(jp, "true", 4)) { jn[me].t = J_TRUE; jp += 4; return me; }
  if (jend - jp >= 5 && !strncmp(jp, "false", 5)) { jn[me].t = J_FALSE; jp += 5; return me; }
  if (jend - jp >= 4 && !strncmp(jp, "null", 4)) { jn[me].t = J_NULL; jp += 4; return me; }
  jn[me].t = J_NUM;
  jn[me].s = jp;
  while (jp < jend && strchr("+-0123456789.eE", *jp)) jp++;
  jn[me].slen = (size_t)(jp - jn[me].s);
  return jn[me].slen ? me : -1;
}
static int json_parse(const char *text, size_t n) {
  int root;
  njn = 0; njstr = 0; jerr = 0;
  jp = text; jend = text + n;
  root = jvalue();
  jws();
  return (root >= 0 && jp == jend) ? root : -1;
}
static int jget(int obj, const char *key) {
  for (int c = jn[obj].child; c >= 0; c = jn[c].next)
    if (jn[c].keylen == strlen(key) && !memcmp(jn[c].key, key, jn[c].keylen)) return c;
  return -1;
}
static int jeq(int node, const char *s) {
  return node >= 0 && jn[node].t == J_STR && jn[node].slen == strlen(s) && !memcmp(jn[node].s, s, jn[node].slen);
}
static int hex_decode(const char *h, size_t hn, uint8_t *out, size_t cap, size_t *n) {
  if (hn % 2 || hn / 2 > cap) return -1;
  for (size_t i = 0; i < hn / 2; i++) {
    int a = hexval(h[2 * i]), b = hexval(h[2 * i + 1]);
    if (a < 0 || b < 0) return -1;
    out[i] = (uint8_t)(a * 16 + b);
  }
  *n = hn / 2;
  return 0;
}

/* ---------------- JSON message vs decoded struct ---------------- */
static char why[256];
static int jfail(const char *name, const char *what) {
  snprintf(why, sizeof why, "%s: %s", name ? name : "?", what);
  return 0;
}
static int json_struct_equal(int obj, const wb_sdef *d, const uint8_t *base, int envelope);

static int json_bytes_equal(int node, const uint8_t *p, size_t n) {
  static uint8_t buf[8192];
  size_t bn;
  int hex = node >= 0 && jn[node].t == J_OBJ ? jget(node, "$bytes") : -1;
  if (hex < 0 || jn[hex].t != J_STR || hex_decode(jn[hex].s, jn[hex].slen, buf, sizeof buf, &bn)) return 0;
  return bn == n && (n == 0 || !memcmp(buf, p, n));
}
static int json_text_equal(int node, const uint8_t *t) {
  uint16_t len;
  memcpy(&len, t, 2);
  return node >= 0 && jn[node].t == J_STR && jn[node].slen == len && !memcmp(jn[node].s, t + WB_TEXT_CHARS_OFF, len);
}

static int json_value_equal(int v, const wb_field *f, const uint8_t *base) {
  const uint8_t *p = base + f->off;
  switch (f->kind) {
  case WB_K_U32:
  case WB_K_U64: {
    uint64_t got, want;
    char tmp[32];
    if (jn[v].t != J_NUM || jn[v].slen >= sizeof tmp) return jfail(f->name, "not a number");
    memcpy(tmp, jn[v].s, jn[v].slen);
    tmp[jn[v].slen] = 0;
    if (strspn(tmp, "0123456789") != jn[v].slen) return jfail(f->name, "not an unsigned integer");
    want = strtoull(tmp, NULL, 10);
    if (f->kind == WB_K_U32) { uint32_t u; memcpy(&u, p, 4); got = u; } else memcpy(&got, p, 8);
    return got == want || jfail(f->name, "uint value");
  }
  case WB_K_NUM: {
    double got;
    char tmp[64];
    if (jn[v].t != J_NUM || jn[v].slen >= sizeof tmp) return jfail(f->name, "not a number");
    memcpy(tmp, jn[v].s, jn[v].slen);
    tmp[jn[v].slen] = 0;
    memcpy(&got, p, 8);
    return got == strtod(tmp, NULL) || jfail(f->name, "number value");
  }
  case WB_K_BOOL:
    if (jn[v].t != J_TRUE && jn[v].t != J_FALSE) return jfail(f->name, "not a bool");
    return *p == (jn[v].t == J_TRUE) || jfail(f->name, "bool value");
  case WB_K_ENUM:
    return (*p < f->max && jeq(v, f->enum_names[*p])) || jfail(f->name, "enum value");
  case WB_K_TEXT:
    return json_text_equal(v, p) || jfail(f->name, "text value");
  case WB_K_BYTES: {
    wb_bytes_t b;
    memcpy(&b, p, sizeof b);
    return json_bytes_equal(v, b.p, b.len) || jfail(f->name, "bytes value");
  }
  case WB_K_SHA256:
    return json_bytes_equal(v, p, WB_SHA256_BYTES) || jfail(f->name, "sha256 value");
  case WB_K_CONFIG: {
    const wb_config *cfg = (const wb_config *)(const void *)p;
    unsigned n = 0;
    if (jn[v].t != J_OBJ) return jfail(f->name, "not an object");
    for (int c = jn[v].child; c >= 0; c = jn[c].next) {
      unsigned i;
      n++;
      for (i = 0; i < cfg->count; i++)
        if (cfg->entries[i].key.len == jn[c].keylen && !memcmp(cfg->entries[i].key.s, jn[c].key, jn[c].keylen)) break;
      if (i == cfg->count) return jfail(f->name, "config key missing");
      if (!json_text_equal(c, (const uint8_t *)&cfg->entries[i].value)) return jfail(f->name, "config value");
    }
    return n == cfg->count || jfail(f->name, "config entry count");
  }
  case WB_K_LIST: {
    unsigned n = 0;
    if (jn[v].t != J_ARR) return jfail(f->name, "not an array");
    for (int c = jn[v].child; c >= 0; c = jn[c].next, n++) {
      if (n >= *p) return jfail(f->name, "more items in JSON");
      if (!json_value_equal(c, f->elem, base + f->items_off + (size_t)n * f->elem_size)) return 0;
    }
    return n == *p || jfail(f->name, "fewer items in JSON");
  }
  case WB_K_STRUCT:
    if (jn[v].t != J_OBJ) return jfail(f->name, "not an object");
    return json_struct_equal(v, f->sub, p, 0);
  default:
    return jfail(f->name, "kind");
  }
}

static int json_struct_equal(int obj, const wb_sdef *d, const uint8_t *base, int envelope) {
  uint32_t present;
  memcpy(&present, base, 4);
  /* every JSON member is a field of the definition */
  for (int c = jn[obj].child; c >= 0; c = jn[c].next) {
    unsigned i;
    if (envelope && ((jn[c].keylen == 4 && !memcmp(jn[c].key, "type", 4)) || (jn[c].keylen == 2 && !memcmp(jn[c].key, "id", 2)))) continue;
    for (i = 0; i < d->n; i++)
      if (strlen(d->fields[i].name) == jn[c].keylen && !memcmp(d->fields[i].name, jn[c].key, jn[c].keylen)) break;
    if (i == d->n) return jfail(d->name, "JSON member not in the schema");
  }
  for (unsigned i = 0; i < d->n; i++) {
    const wb_field *f = &d->fields[i];
    int v = jget(obj, f->name);
    int has = (int)((present >> f->key) & 1u);
    if (v < 0) {
      if (!f->optional) return jfail(f->name, "required field absent from JSON");
      if (has) return jfail(f->name, "decoded but absent from JSON");
      continue;
    }
    if (!has) return jfail(f->name, "in JSON but not decoded");
    if (!json_value_equal(v, f, base)) return 0;
  }
  return 1;
}

/* ---------------- vectors ---------------- */
static char *read_file(const char *path, size_t *n) {
  FILE *fp = fopen(path, "rb");
  char *buf;
  long sz;
  if (!fp) return NULL;
  fseek(fp, 0, SEEK_END);
  sz = ftell(fp);
  fseek(fp, 0, SEEK_SET);
  buf = malloc((size_t)sz + 1);
  if (buf && fread(buf, 1, (size_t)sz, fp) != (size_t)sz) { free(buf); buf = NULL; }
  fclose(fp);
  if (buf) { buf[sz] = 0; *n = (size_t)sz; }
  return buf;
}

static int cmpstr(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static uint8_t frame[WB_FRAME_BUFFER_BYTES + 64], out[WB_FRAME_BUFFER_BYTES + 64];
static wb_message msg, msg2;
static int vec_valid, vec_malformed;
/* all valid frames back to back, for the frame-reader test */
static uint8_t stream[64 * 1024];
static size_t stream_len;
static int stream_frames;

static void run_vector(const char *path, int valid) {
  size_t tn, fn, on;
  char *text = read_file(path, &tn);
  int root, fr, m;
  wb_err e;
  CHECK(text != NULL, "%s: cannot read", path);
  if (!text) return;
  root = json_parse(text, tn);
  CHECK(root >= 0, "%s: bad JSON", path);
  if (root < 0) { free(text); return; }
  fr = jget(root, "frame");
  CHECK(fr >= 0 && jn[fr].t == J_STR && !hex_decode(jn[fr].s, jn[fr].slen, frame, sizeof frame, &fn),
        "%s: bad frame hex", path);
  if (fr < 0 || jn[fr].t != J_STR) { free(text); return; }
  e = wb_decode_frame(frame, fn, &msg);
  if (valid) {
    int rt = jget(root, "roundTrip");
    int round_trip = !(rt >= 0 && jn[rt].t == J_FALSE);
    const wb_sdef *d;
    vec_valid++;
    m = jget(root, "message");
    CHECK(e == WB_OK, "%s: decode failed with %s", path, wb_error_name(e));
    if (e != WB_OK || m < 0) { free(text); return; }
    d = wb_message_def(msg.type);
    CHECK(jeq(jget(m, "type"), d->name), "%s: type %s", path, d->name);
    {
      int idn = jget(m, "id");
      CHECK(idn >= 0 && jn[idn].t == J_NUM && strtoul(jn[idn].s, NULL, 10) == msg.id, "%s: id", path);
    }
    why[0] = 0;
    CHECK(json_struct_equal(m, d, (const uint8_t *)&msg.u, 1), "%s: fields: %s", path, why);
    e = wb_encode(&msg, out, sizeof out, &on);
    CHECK(e == WB_OK, "%s: encode failed with %s", path, wb_error_name(e));
    if (round_trip)
      CHECK(e == WB_OK && on == fn && !memcmp(out, frame, fn), "%s: re-encoding differs", path);
    else
      CHECK(e == WB_OK && on < fn, "%s: re-encoding should drop the extension key", path);
    e = wb_decode_frame(out, on, &msg2);
    CHECK(e == WB_OK && wb_msg_equal(&msg, &msg2, why, sizeof why), "%s: decode(encode) differs: %s", path, why);
    if (stream_len + fn <= sizeof stream) { memcpy(stream + stream_len, frame, fn); stream_len += fn; stream_frames++; }
  } else {
    int er = jget(root, "error");
    vec_malformed++;
    CHECK(er >= 0 && jeq(er, wb_error_name(e)), "%s: got %s, want %.*s", path, wb_error_name(e),
          er >= 0 ? (int)jn[er].slen : 0, er >= 0 ? jn[er].s : "");
  }
  free(text);
}

static void run_dir(const char *dir, const char *sub, int valid) {
  char path[1024], *names[512];
  int n = 0;
  DIR *dp;
  struct dirent *de;
  snprintf(path, sizeof path, "%s/%s", dir, sub);
  dp = opendir(path);
  CHECK(dp != NULL, "cannot open %s", path);
  if (!dp) return;
  while ((de = readdir(dp)) && n < 512) {
    size_t l = strlen(de->d_name);
    if (l > 5 && !strcmp(de->d_name + l - 5, ".json")) names[n++] = strdup(de->d_name);
  }
  closedir(dp);
  qsort(names, (size_t)n, sizeof names[0], cmpstr);
  CHECK(n > 0, "no vectors in %s", path);
  for (int i = 0; i < n; i++) {
    snprintf(path, sizeof path, "%s/%s/%s", dir, sub, names[i]);
    run_vector(path, valid);
    free(names[i]);
  }
}

/* ---------------- unit tests ---------------- */
static uint8_t rbuf[WB_FRAME_BUFFER_BYTES];

static void test_reader_bytewise(void) {
  wb_frame_reader r;
  size_t i = 0, used, direct_len = 0;
  int frames = 0, ok = 1;
  wb_frame_reader_init(&r, rbuf, sizeof rbuf);
  while (i < stream_len) {
    wb_fr_status st = wb_frame_reader_push(&r, stream + i, 1, &used);
    i += used;
    if (used != 1) { ok = 0; break; }
    if (st == WB_FR_FRAME) {
      wb_err e = wb_decode_frame(r.buf, r.frame_len, &msg);
      wb_err e2 = wb_decode_frame(stream + direct_len, r.frame_len, &msg2);
      if (e || e2 || memcmp(r.buf, stream + direct_len, r.frame_len) || !wb_msg_equal(&msg, &msg2, why, sizeof why)) ok = 0;
      direct_len += r.frame_len;
      frames++;
    } else if (st != WB_FR_NEED_MORE) {
      ok = 0;
      break;
    }
  }
  CHECK(ok && frames == stream_frames && direct_len == stream_len,
        "frame reader byte by byte: %d of %d frames", frames, stream_frames);
  /* the same stream in one push per call: a frame per call, the rest left over */
  wb_frame_reader_init(&r, rbuf, sizeof rbuf);
  frames = 0;
  for (i = 0; i < stream_len;) {
    wb_fr_status st = wb_frame_reader_push(&r, stream + i, stream_len - i, &used);
    i += used;
    if (st == WB_FR_FRAME && wb_decode_frame(r.buf, r.frame_len, &msg) == WB_OK) frames++;
    else if (st != WB_FR_NEED_MORE || used == 0) break;
  }
  CHECK(frames == stream_frames, "frame reader in big pieces: %d of %d", frames, stream_frames);
}

static void test_reader_oversized(void) {
  wb_frame_reader r;
  uint8_t hdr[8] = {0x00, 0x00, 0x10, 0x01, 0xa0, 0xa0, 0xa0, 0xa0}; /* 4097 */
  uint8_t ok_hdr[4] = {0x00, 0x00, 0x10, 0x00};                      /* 4096 */
  size_t used = 0;
  wb_fr_status st = WB_FR_NEED_MORE;
  wb_frame_reader_init(&r, rbuf, sizeof rbuf);
  for (int k = 0; k < 3; k++) { st = wb_frame_reader_push(&r, hdr + k, 1, &used); }
  CHECK(st == WB_FR_NEED_MORE, "three header bytes: need more");
  st = wb_frame_reader_push(&r, hdr + 3, 5, &used);
  CHECK(st == WB_FR_TOO_LARGE && used == 1, "oversized length refused from the header alone (used %zu)", used);
  st = wb_frame_reader_push(&r, ok_hdr, 4, &used);
  CHECK(st == WB_FR_TOO_LARGE && used == 0, "broken reader stays broken");
  wb_frame_reader_init(&r, rbuf, sizeof rbuf);
  st = wb_frame_reader_push(&r, ok_hdr, 4, &used);
  CHECK(st == WB_FR_NEED_MORE && used == 4, "4096 is accepted");
  /* a smaller caller buffer lowers the limit */
  wb_frame_reader_init(&r, rbuf, 100);
  st = wb_frame_reader_push(&r, (const uint8_t[]){0, 0, 0, 97}, 4, &used);
  CHECK(st == WB_FR_TOO_LARGE, "length over the caller buffer refused");
  /* zero length: a frame at once (which then decodes as MalformedCbor) */
  wb_frame_reader_init(&r, rbuf, sizeof rbuf);
  st = wb_frame_reader_push(&r, (const uint8_t[]){0, 0, 0, 0}, 4, &used);
  CHECK(st == WB_FR_FRAME && r.frame_len == 4 && wb_decode_frame(r.buf, r.frame_len, &msg) == WB_ERR_MALFORMED_CBOR,
        "zero-length frame");
}

static uint8_t chunk[WB_MAX_CHUNK_BYTES + 1];

static void test_max_chunk(void) {
  size_t n;
  wb_err e;
  for (size_t i = 0; i < sizeof chunk; i++) chunk[i] = (uint8_t)(i * 7 + 3);
  memset(&msg, 0, sizeof msg);
  msg.type = WB_MSG_DEPLOY_CHUNK;
  msg.id = 0xFFFFFFFFu;
  strcpy(msg.u.deploy_chunk.app.s, "a-b.c9");
  msg.u.deploy_chunk.app.len = 6;
  msg.u.deploy_chunk.offset = 0xFFFFFFFFu;
  msg.u.deploy_chunk.crc32 = 0x12345678u;
  msg.u.deploy_chunk.data.p = chunk;
  msg.u.deploy_chunk.data.len = WB_MAX_CHUNK_BYTES;
  e = wb_encode(&msg, out, sizeof out, &n);
  CHECK(e == WB_OK, "max chunk encodes: %s", wb_error_name(e));
  e = wb_decode_frame(out, n, &msg2);
  CHECK(e == WB_OK && wb_msg_equal(&msg, &msg2, why, sizeof why) && msg2.u.deploy_chunk.data.p == out + n - 6 - WB_MAX_CHUNK_BYTES,
        "max chunk decodes zero-copy: %s", wb_error_name(e));
  e = wb_encode(&msg, out, n - 1, &n);
  CHECK(e == WB_ERR_BUFFER_TOO_SMALL, "short output buffer: %s", wb_error_name(e));
  msg.u.deploy_chunk.data.len = WB_MAX_CHUNK_BYTES + 1;
  e = wb_encode(&msg, out, sizeof out, &n);
  CHECK(e == WB_ERR_INVALID_FIELD, "2049-byte chunk refused on encode: %s", wb_error_name(e));
  msg.u.deploy_chunk.data.len = 0;
  CHECK(wb_encode(&msg, out, sizeof out, &n) == WB_ERR_INVALID_FIELD, "empty chunk refused on encode");
}

/* A heartbeat padded with an extension key to an exact payload size. */
static size_t padded_heartbeat(uint8_t *f, size_t payload) {
  size_t pad = payload - 12; /* map 1, type 2, id 2, key 2 + value 2, key 32: 2, bytes head 3 */
  uint8_t *p = f + 4;
  f[0] = (uint8_t)(payload >> 24); f[1] = (uint8_t)(payload >> 16); f[2] = (uint8_t)(payload >> 8); f[3] = (uint8_t)payload;
  *p++ = 0xa4; *p++ = 0x00; *p++ = 0x05; *p++ = 0x01; *p++ = 0x01; *p++ = 0x02; *p++ = 0x01;
  *p++ = 0x18; *p++ = 0x20; *p++ = 0x59; *p++ = (uint8_t)(pad >> 8); *p++ = (uint8_t)pad;
  memset(p, 0xab, pad);
  return 4 + payload;
}

static void test_limits(void) {
  static uint8_t f[WB_FRAME_BUFFER_BYTES + 8];
  size_t n = padded_heartbeat(f, WB_MAX_FRAME_BYTES);
  wb_err e = wb_decode_frame(f, n, &msg);
  CHECK(e == WB_OK && msg.type == WB_MSG_HEARTBEAT && msg.u.heartbeat.uptime_ms == 1, "4096-byte payload: %s", wb_error_name(e));
  n = padded_heartbeat(f, WB_MAX_FRAME_BYTES + 1);
  CHECK(wb_decode_frame(f, n, &msg) == WB_ERR_FRAME_TOO_LARGE, "4097-byte payload refused");
  CHECK(wb_decode_payload(f + 4, n - 4, &msg) == WB_ERR_FRAME_TOO_LARGE, "4097-byte payload refused (payload API)");
}

static wb_err dec_hex(const char *hex) {
  static uint8_t b[512];
  size_t n;
  if (hex_decode(hex, strlen(hex), b, sizeof b, &n)) return (wb_err)-1;
  return wb_decode_payload(b, n, &msg);
}

static void test_cbor_edges(void) {
  /* heartbeat {0:5, 1:1, 2:X} with various X */
  CHECK(dec_hex("a3000501010200") == WB_OK, "uptime 0");
  CHECK(dec_hex("a300050101021b001fffffffffffff") == WB_OK && msg.u.heartbeat.uptime_ms == WB_MAX_SAFE_INT, "uptime 2^53-1");
  CHECK(dec_hex("a300050101021b0020000000000000") == WB_ERR_MALFORMED_CBOR, "2^53 malformed");
  CHECK(dec_hex("a300050101021b00000000ffffffff") == WB_ERR_NON_CANONICAL_ENCODING, "8-byte head for 32-bit value");
  CHECK(dec_hex("a30005010102f93c00") == WB_ERR_MALFORMED_CBOR, "float16 (outside the data model)");
  CHECK(dec_hex("a30005010102f97c00") == WB_ERR_MALFORMED_CBOR, "float16 inf");
  CHECK(dec_hex("a30005010102fa3fc00000") == WB_ERR_MALFORMED_CBOR, "float32 1.5 (outside the data model)");
  CHECK(dec_hex("a30005010102fb7ff0000000000000") == WB_ERR_MALFORMED_CBOR, "float64 inf");
  CHECK(dec_hex("a30005010102fb8000000000000000") == WB_ERR_NON_CANONICAL_ENCODING, "float64 -0");
  CHECK(dec_hex("a30005010102fb4415af1d78b58c40") == WB_ERR_INVALID_FIELD, "1e20 as uptime (canonical float, not a uint)");
  CHECK(dec_hex("a30005010102f7") == WB_ERR_MALFORMED_CBOR, "undefined");
  CHECK(dec_hex("a30005010102f0") == WB_ERR_MALFORMED_CBOR, "simple 16");
  CHECK(dec_hex("a30005010102f814") == WB_ERR_MALFORMED_CBOR, "two-byte false (simple value form)");
  CHECK(dec_hex("a30005010102ff") == WB_ERR_MALFORMED_CBOR, "stray break");
  CHECK(dec_hex("a300050101025f41004100ff") == WB_ERR_MALFORMED_CBOR, "indefinite byte string");
  CHECK(dec_hex("a300050101029f00ff") == WB_ERR_MALFORMED_CBOR, "indefinite array");
  CHECK(dec_hex("a30005010102bf0000ff") == WB_ERR_MALFORMED_CBOR, "indefinite map");
  CHECK(dec_hex("a300050101027f6161ff") == WB_ERR_MALFORMED_CBOR, "indefinite text string");
  CHECK(dec_hex("a3000501010280") == WB_ERR_INVALID_FIELD, "array as uptime");
  CHECK(dec_hex("a3000501010200" "00") == WB_ERR_MALFORMED_CBOR, "trailing byte in payload");
  CHECK(dec_hex("a300050120021903e8") == WB_ERR_INVALID_FIELD, "negative id");
  CHECK(dec_hex("a300050102") == WB_ERR_MALFORMED_CBOR, "map cut short");
  CHECK(dec_hex("a2000501016178") == WB_ERR_MALFORMED_CBOR, "text cut short");
  CHECK(dec_hex("a300050101026561626364") == WB_ERR_MALFORMED_CBOR, "text longer than the payload");
  CHECK(dec_hex("a3000501011b0000000100000000") == WB_ERR_MALFORMED_CBOR, "8-byte head cut short");
  CHECK(dec_hex("a3200005010102") == WB_ERR_MALFORMED_CBOR, "negative map key");
  CHECK(dec_hex("a3f93c000000050201") == WB_ERR_MALFORMED_CBOR, "half-float key 1.0 malformed");
  CHECK(dec_hex("a1fb3ff000000000000000") == WB_ERR_MALFORMED_CBOR, "float64 key malformed");
  CHECK(dec_hex("a1f93e0000") == WB_ERR_MALFORMED_CBOR, "half-float key 1.5 malformed");
  CHECK(dec_hex("a11b000000000000000100") == WB_ERR_NON_CANONICAL_ENCODING, "8-byte head for key 1: non-canonical");
  CHECK(dec_hex("a11b002000000000000000") == WB_ERR_MALFORMED_CBOR, "key 2^53 malformed");
  CHECK(dec_hex("a14100f5") == WB_ERR_MALFORMED_CBOR, "byte-string key malformed");
  CHECK(dec_hex("a30005010102a2617a00616100") == WB_ERR_NON_CANONICAL_ENCODING, "text keys out of order");
  CHECK(dec_hex("a30005010102a261610062616100") == WB_ERR_INVALID_FIELD, "sorted text-keyed map: canonical, but not a uint");
  CHECK(dec_hex("a30005010102a262616100616100") == WB_ERR_NON_CANONICAL_ENCODING, "longer text key first");
  CHECK(dec_hex("a3000501010200" ) == WB_OK, "baseline");
  CHECK(dec_hex("a4000501010200616b00") == WB_ERR_INVALID_FIELD, "text key in a message: InvalidField");
  CHECK(dec_hex("a4000501010200186300") == WB_OK, "extension key 99 ignored");
  CHECK(dec_hex("a4000501010200181f00") == WB_ERR_UNKNOWN_FIELD, "key 31 unknown");
  CHECK(dec_hex("a4000501010200182081818181818181818181818181818181818100") == WB_ERR_MALFORMED_CBOR, "nesting over the depth limit");
  CHECK(dec_hex("a4000501010200182081818100") == WB_OK, "nested extension value");
  CHECK(dec_hex("a2000501fb3ff8000000000000") == WB_ERR_INVALID_FIELD, "fractional id");
  CHECK(dec_hex("a200fb3ff80000000000000101") == WB_ERR_MISSING_FIELD, "fractional type");
  CHECK(dec_hex("a200fb4415af1d78b58c400101") == WB_ERR_UNKNOWN_MESSAGE_TYPE, "type 1e20");
  CHECK(dec_hex("a200170101") == WB_ERR_UNKNOWN_MESSAGE_TYPE, "type 23");
  CHECK(dec_hex("a200000101") == WB_ERR_UNKNOWN_MESSAGE_TYPE, "type 0");
  CHECK(dec_hex("a3000501010262c328") == WB_ERR_NON_CANONICAL_ENCODING, "invalid UTF-8 beats InvalidField");
  CHECK(dec_hex("a30005010102f6") == WB_ERR_MALFORMED_CBOR, "null");
  /* every tag shape is outside the data model, whatever it wraps and however it is written */
  CHECK(dec_hex("d81c81d81d00") == WB_ERR_MALFORMED_CBOR, "G1: shared value 28 holding reference 29");
  CHECK(dec_hex("a30005010102d81d00") == WB_ERR_MALFORMED_CBOR, "tag 29 on a field");
  CHECK(dec_hex("a30005010102c06161") == WB_ERR_MALFORMED_CBOR, "tag 0 wrapping text");
  CHECK(dec_hex("a30005010102d7a0") == WB_ERR_MALFORMED_CBOR, "tag 23 wrapping a map");
  CHECK(dec_hex("a30005010102d81800") == WB_ERR_MALFORMED_CBOR, "tag in a 1-byte argument");
  CHECK(dec_hex("a30005010102d9d9f700") == WB_ERR_MALFORMED_CBOR, "tag 55799 in a 2-byte argument");
  CHECK(dec_hex("a30005010102da0001000000") == WB_ERR_MALFORMED_CBOR, "tag in a 4-byte argument");
  CHECK(dec_hex("a30005010102dbffffffffffffffff00") == WB_ERR_MALFORMED_CBOR, "tag in an 8-byte argument");
  CHECK(dec_hex("a30005010102dc00") == WB_ERR_MALFORMED_CBOR, "tag with reserved additional information");
  CHECK(dec_hex("a30005010102f97e00") == WB_ERR_MALFORMED_CBOR, "float16 NaN");
  CHECK(dec_hex("a30005010102f8ff") == WB_ERR_MALFORMED_CBOR, "simple value 255");
  CHECK(dec_hex("a300050101025bfffffffffffffff400") == WB_ERR_MALFORMED_CBOR, "byte string of 2^64 - 12 bytes");
  CHECK(dec_hex("a300050101023b001fffffffffffff") == WB_ERR_MALFORMED_CBOR, "-(2^53) malformed");
  CHECK(dec_hex("a300050101023b001ffffffffffffe") == WB_ERR_INVALID_FIELD, "-(2^53 - 1) is in the model (not a uint)");
  CHECK(dec_hex("a3000501010263e08080") == WB_ERR_NON_CANONICAL_ENCODING, "overlong UTF-8");
  CHECK(dec_hex("a3000501010263eda080") == WB_ERR_NON_CANONICAL_ENCODING, "UTF-8 surrogate");
  CHECK(dec_hex("a3000501010264f4908080") == WB_ERR_NON_CANONICAL_ENCODING, "UTF-8 above U+10FFFF");
  CHECK(dec_hex("a3000501010264f09f9880") == WB_ERR_INVALID_FIELD, "valid 4-byte UTF-8 (then not a uint)");
  CHECK(dec_hex("80") == WB_ERR_NOT_A_MAP, "array root");
  CHECK(dec_hex("a0") == WB_ERR_MISSING_FIELD, "empty map");
}

static void set_text(void *t, const char *s) {
  uint16_t len = (uint16_t)strlen(s);
  memcpy(t, &len, 2);
  memcpy((char *)t + WB_TEXT_CHARS_OFF, s, len + 1u);
}

static void test_encode_rules(void) {
  size_t n;
  wb_deploy_begin *b = &msg.u.deploy_begin;
  /* config entries given in any order are sent sorted (shorter key first) */
  memset(&msg, 0, sizeof msg);
  msg.type = WB_MSG_DEPLOY_BEGIN;
  msg.id = 20;
  set_text(&b->app, "blinky");
  b->size = 1;
  b->chunk_size = 1;
  WB_SET(*b, WB_K_DEPLOY_BEGIN_CONFIG);
  b->config.count = 3;
  set_text(&b->config.entries[0].key, "period");
  set_text(&b->config.entries[0].value, "500");
  set_text(&b->config.entries[1].key, "zz");
  set_text(&b->config.entries[1].value, "");
  set_text(&b->config.entries[2].key, "aa");
  set_text(&b->config.entries[2].value, "x");
  CHECK(wb_encode(&msg, out, sizeof out, &n) == WB_OK && wb_decode_frame(out, n, &msg2) == WB_OK &&
        wb_msg_equal(&msg, &msg2, why, sizeof why), "config sorted on encode");
  set_text(&b->config.entries[2].key, "zz");
  CHECK(wb_encode(&msg, out, sizeof out, &n) == WB_ERR_INVALID_FIELD, "duplicate config key refused");
  set_text(&b->config.entries[2].key, "");
  CHECK(wb_encode(&msg, out, sizeof out, &n) == WB_ERR_INVALID_FIELD, "empty config key refused");
  b->config.count = 0;
  set_text(&b->app, "Bad_Name");
  CHECK(wb_encode(&msg, out, sizeof out, &n) == WB_ERR_INVALID_FIELD, "bad app name refused");
  set_text(&b->app, "a.-b");
  CHECK(wb_encode(&msg, out, sizeof out, &n) == WB_ERR_INVALID_FIELD, "label starting with '-' refused");
  set_text(&b->app, "a..b");
  CHECK(wb_encode(&msg, out, sizeof out, &n) == WB_ERR_INVALID_FIELD, "empty label refused");
  set_text(&b->app, "a.b-c.d");
  CHECK(wb_encode(&msg, out, sizeof out, &n) == WB_OK, "dotted name accepted");
  b->chunk_size = WB_MAX_CHUNK_BYTES + 1;
  CHECK(wb_encode(&msg, out, sizeof out, &n) == WB_ERR_INVALID_FIELD, "chunkSize over 2048 refused");
  /* telemetry numbers */
  memset(&msg, 0, sizeof msg);
  msg.type = WB_MSG_TELEMETRY;
  set_text(&msg.u.telemetry.app, "t");
  set_text(&msg.u.telemetry.topic, "x");
  msg.u.telemetry.value = -0.0;
  CHECK(wb_encode(&msg, out, sizeof out, &n) == WB_OK && out[n - 3] == 0x00, "-0 sent as integer 0");
  msg.u.telemetry.value = -9007199254740991.0;
  CHECK(wb_encode(&msg, out, sizeof out, &n) == WB_OK && wb_decode_frame(out, n, &msg2) == WB_OK &&
        msg2.u.telemetry.value == -9007199254740991.0, "most negative safe integer round-trips");
  msg.u.telemetry.value = 1e300;
  CHECK(wb_encode(&msg, out, sizeof out, &n) == WB_OK && wb_decode_frame(out, n, &msg2) == WB_OK &&
        msg2.u.telemetry.value == 1e300, "1e300 travels as float64");
  msg.u.telemetry.value = 0.0 / 0.0;
  CHECK(wb_encode(&msg, out, sizeof out, &n) == WB_ERR_INVALID_FIELD, "NaN refused on encode");
  msg.u.telemetry.value = 1.0;
  set_text(&msg.u.telemetry.topic, "\xc3(");
  CHECK(wb_encode(&msg, out, sizeof out, &n) == WB_ERR_INVALID_FIELD, "invalid UTF-8 refused on encode");
  msg.type = 23;
  CHECK(wb_encode(&msg, out, sizeof out, &n) == WB_ERR_UNKNOWN_MESSAGE_TYPE, "unknown type on encode");
  /* hello host function pattern */
  memset(&msg, 0, sizeof msg);
  msg.type = WB_MSG_HELLO;
  set_text(&msg.u.hello.firmware_version, "1");
  set_text(&msg.u.hello.board, "b");
  msg.u.hello.capabilities.n_host_functions = 1;
  set_text(&msg.u.hello.capabilities.host_functions[0], "wasmbed/log:(iii)");
  CHECK(wb_encode(&msg, out, sizeof out, &n) == WB_OK, "host function ok");
  set_text(&msg.u.hello.capabilities.host_functions[0], "wasmbed/log:(iix)");
  CHECK(wb_encode(&msg, out, sizeof out, &n) == WB_ERR_INVALID_FIELD, "host function bad type letter");
  set_text(&msg.u.hello.capabilities.host_functions[0], "wasmbed/:()");
  CHECK(wb_encode(&msg, out, sizeof out, &n) == WB_ERR_INVALID_FIELD, "host function empty name");
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "test/vectors/protocol";
  int before;
  run_dir(dir, "valid", 1);
  run_dir(dir, "malformed", 0);
  printf("vectors: %d valid, %d malformed, %d checks failed\n", vec_valid, vec_malformed, failed);
  before = failed;
  test_reader_bytewise();
  test_reader_oversized();
  test_max_chunk();
  test_limits();
  test_cbor_edges();
  test_encode_rules();
  printf("unit: %d checks failed\n", failed - before);
  printf("RESULT %d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
