/* The message catalogue (docs/protocol.md §10) as tables, and the decoder/encoder they drive. */
#include <string.h>
#include "wb_internal.h"

#ifdef WB_PROTO_NO_NAMES
#define NM(s) NULL
#else
#define NM(s) s
#endif

#define OFF(T, m) ((uint16_t)offsetof(T, m))
#define F_U32(T, k, m, mx, opt, nm) \
  { .key = k, .kind = WB_K_U32, .optional = opt, .off = OFF(T, m), .max = mx, .name = NM(nm) }
#define F_U64(T, k, m, opt, nm) \
  { .key = k, .kind = WB_K_U64, .optional = opt, .off = OFF(T, m), .name = NM(nm) }
#define F_TEXT(T, k, m, mn, mx, pat, opt, nm) \
  { .key = k, .kind = WB_K_TEXT, .optional = opt, .pattern = pat, .off = OFF(T, m), .min = mn, \
    .max = mx, .name = NM(nm) }
#define F_NAME(T, k, m, opt, nm) F_TEXT(T, k, m, 1, WB_NAME_MAX, WB_PAT_NAME, opt, nm)
#define F_BYTES(T, k, m, mn, mx, opt, nm) \
  { .key = k, .kind = WB_K_BYTES, .optional = opt, .off = OFF(T, m), .min = mn, .max = mx, \
    .name = NM(nm) }
#define F_SHA(T, k, m, opt, nm) \
  { .key = k, .kind = WB_K_SHA256, .optional = opt, .off = OFF(T, m), .name = NM(nm) }
#define F_ENUM(T, k, m, count, names, opt, nm) \
  { .key = k, .kind = WB_K_ENUM, .optional = opt, .off = OFF(T, m), .max = count, \
    .name = NM(nm), .enum_names = NM(names) }
#define F_BOOL(T, k, m, nm) { .key = k, .kind = WB_K_BOOL, .off = OFF(T, m), .name = NM(nm) }
#define F_STRUCT(T, k, m, def, opt, nm) \
  { .key = k, .kind = WB_K_STRUCT, .optional = opt, .off = OFF(T, m), .sub = &def, .name = NM(nm) }
#define F_LIST(T, k, cnt, items, mx, el, nm) \
  { .key = k, .kind = WB_K_LIST, .off = OFF(T, cnt), .items_off = OFF(T, items), \
    .elem_size = (uint16_t)sizeof(((T *)0)->items[0]), .max = mx, .elem = &el, .name = NM(nm) }
#define DEF(arr, nm) { arr, (uint8_t)(sizeof(arr) / sizeof(arr[0])), NM(nm) }

#ifndef WB_PROTO_NO_NAMES
static const char *const APP_STATE_NAMES[] = {"deploying", "running", "stopped", "failed", "removed"};
static const char *const LOG_LEVEL_NAMES[] = {"debug", "info", "warn", "error"};
static const char *const CHUNK_STATUS_NAMES[] = {"ok", "checksumMismatch", "outOfOrder"};
static const char *const DEPLOY_ERROR_NAMES[] = {"hashMismatch", "invalidModule", "tooLarge",
  "noSlot", "importMissing", "storageFailed", "unknownApp"};
static const char *const ERROR_CODE_NAMES[] = {"badFrame", "badMessage", "unsupportedVersion",
  "unknownType", "notEnrolled", "unauthorized", "tokenInvalid", "tokenExpired", "tokenUsed",
  "rateLimited", "busy", "internal"};
#endif

/* nested structs */
static const wb_field APP_STATE_F[] = {
  F_NAME(wb_app_state, 0, name, 0, "name"),
  F_SHA(wb_app_state, 1, sha256, 0, "sha256"),
  F_ENUM(wb_app_state, 2, state, WB_HELLO_APP_STATES, APP_STATE_NAMES, 0, "state"),
  F_U32(wb_app_state, 3, restarts, WB_U32_MAX, 1, "restarts"),
  F_TEXT(wb_app_state, 4, error, 0, WB_ERROR_TEXT_MAX, WB_PAT_NONE, 1, "error"),
};
static const wb_sdef APP_STATE_DEF = DEF(APP_STATE_F, "appState");
static const wb_field APP_STATE_ELEM = {
  .kind = WB_K_STRUCT, .sub = &APP_STATE_DEF, .name = NM("apps[]")};
static const wb_field HOST_FN_ELEM = {.kind = WB_K_TEXT, .pattern = WB_PAT_HOSTFN, .min = 1,
  .max = WB_HOST_FUNCTION_MAX, .name = NM("hostFunctions[]")};

static const wb_field CAPS_F[] = {
  F_U32(wb_capabilities, 0, host_api_version, WB_U16_MAX, 0, "hostApiVersion"),
  F_U32(wb_capabilities, 1, memory_bytes, WB_U32_MAX, 0, "memoryBytes"),
  F_U32(wb_capabilities, 2, max_module_bytes, WB_U32_MAX, 0, "maxModuleBytes"),
  F_U32(wb_capabilities, 3, max_apps, WB_MAX_APP_SLOTS_VALUE, 0, "maxApps"),
  { .key = 4, .kind = WB_K_LIST, .off = OFF(wb_capabilities, n_host_functions),
    .items_off = OFF(wb_capabilities, host_functions), .elem_size = sizeof(wb_text64_t),
    .max = WB_MAX_HOST_FUNCTIONS, .elem = &HOST_FN_ELEM, .name = NM("hostFunctions") },
};
static const wb_sdef CAPS_DEF = DEF(CAPS_F, "capabilities");

static const wb_field LIMITS_F[] = {
  F_U32(wb_limits, 0, memory_bytes, WB_U32_MAX, 0, "memoryBytes"),
  F_U32(wb_limits, 1, fuel_per_activation, WB_U32_MAX, 0, "fuelPerActivation"),
  F_U32(wb_limits, 2, period_ms, WB_U32_MAX, 1, "periodMs"),
  F_U32(wb_limits, 3, max_restarts, WB_MAX_RESTARTS_MAX, 1, "maxRestarts"),
};
static const wb_sdef LIMITS_DEF = DEF(LIMITS_F, "limits");

/* messages */
static const wb_field ENROLL_F[] = {
  F_NAME(wb_enroll, 2, device, 0, "device"),
  F_BYTES(wb_enroll, 3, csr, 1, WB_CSR_MAX, 0, "csr"),
  F_TEXT(wb_enroll, 4, token, 1, WB_TOKEN_MAX, WB_PAT_NONE, 1, "token"),
};
static const wb_field ENROLLED_F[] = {
  F_BYTES(wb_enrolled, 2, certificate, 1, WB_CERTIFICATE_MAX, 0, "certificate"),
  F_U64(wb_enrolled, 3, not_after, 0, "notAfter"),
};
static const wb_field HELLO_F[] = {
  F_U32(wb_hello, 2, protocol_version, WB_U16_MAX, 0, "protocolVersion"),
  F_TEXT(wb_hello, 3, firmware_version, 1, WB_FIRMWARE_VERSION_MAX, WB_PAT_NONE, 0, "firmwareVersion"),
  F_TEXT(wb_hello, 4, board, 1, WB_BOARD_MAX, WB_PAT_NONE, 0, "board"),
  F_STRUCT(wb_hello, 5, capabilities, CAPS_DEF, 0, "capabilities"),
  { .key = 6, .kind = WB_K_LIST, .off = OFF(wb_hello, n_apps), .items_off = OFF(wb_hello, apps),
    .elem_size = sizeof(wb_app_state), .max = WB_MAX_APPS, .elem = &APP_STATE_ELEM,
    .name = NM("apps") },
};
static const wb_field WELCOME_F[] = {
  F_U32(wb_welcome, 2, heartbeat_interval_s, WB_HEARTBEAT_INTERVAL_MAX, 0, "heartbeatIntervalS"),
  F_U64(wb_welcome, 3, server_time_ms, 0, "serverTimeMs"),
};
static const wb_field HEARTBEAT_F[] = {
  F_U64(wb_heartbeat, 2, uptime_ms, 0, "uptimeMs"),
  F_U32(wb_heartbeat, 3, free_bytes, WB_U32_MAX, 1, "freeBytes"),
};
static const wb_field HEARTBEAT_ACK_F[] = {
  F_U64(wb_heartbeat_ack, 2, server_time_ms, 0, "serverTimeMs"),
};
static const wb_field DEPLOY_BEGIN_F[] = {
  F_NAME(wb_deploy_begin, 2, app, 0, "app"),
  F_SHA(wb_deploy_begin, 3, sha256, 0, "sha256"),
  F_U32(wb_deploy_begin, 4, size, WB_U32_MAX, 0, "size"),
  F_U32(wb_deploy_begin, 5, chunk_size, WB_MAX_CHUNK_BYTES, 0, "chunkSize"),
  { .key = 6, .kind = WB_K_CONFIG, .optional = 1, .off = OFF(wb_deploy_begin, config),
    .max = WB_CONFIG_MAX_ENTRIES, .name = NM("config") },
  F_STRUCT(wb_deploy_begin, 7, limits, LIMITS_DEF, 1, "limits"),
};
static const wb_field DEPLOY_READY_F[] = {
  F_NAME(wb_deploy_ready, 2, app, 0, "app"),
  F_U32(wb_deploy_ready, 3, offset, WB_U32_MAX, 0, "offset"),
};
static const wb_field DEPLOY_CHUNK_F[] = {
  F_NAME(wb_deploy_chunk, 2, app, 0, "app"),
  F_U32(wb_deploy_chunk, 3, offset, WB_U32_MAX, 0, "offset"),
  F_BYTES(wb_deploy_chunk, 4, data, 1, WB_MAX_CHUNK_BYTES, 0, "data"),
  F_U32(wb_deploy_chunk, 5, crc32, WB_U32_MAX, 0, "crc32"),
};
static const wb_field DEPLOY_CHUNK_ACK_F[] = {
  F_NAME(wb_deploy_chunk_ack, 2, app, 0, "app"),
  F_U32(wb_deploy_chunk_ack, 3, offset, WB_U32_MAX, 0, "offset"),
  F_ENUM(wb_deploy_chunk_ack, 4, status, WB_CHUNK_STATUSES, CHUNK_STATUS_NAMES, 0, "status"),
};
static const wb_field DEPLOY_COMMIT_F[] = {
  F_NAME(wb_deploy_commit, 2, app, 0, "app"),
  F_SHA(wb_deploy_commit, 3, sha256, 0, "sha256"),
};
static const wb_field DEPLOY_RESULT_F[] = {
  F_NAME(wb_deploy_result, 2, app, 0, "app"),
  F_BOOL(wb_deploy_result, 3, ok, "ok"),
  F_ENUM(wb_deploy_result, 4, error, WB_DEPLOY_ERRORS, DEPLOY_ERROR_NAMES, 1, "error"),
  F_TEXT(wb_deploy_result, 5, message, 0, WB_ERROR_TEXT_MAX, WB_PAT_NONE, 1, "message"),
};
static const wb_field APP_REF_F[] = {
  F_NAME(wb_app_ref, 2, app, 0, "app"),
};
static const wb_field APP_STATUS_F[] = {
  F_NAME(wb_app_status, 2, app, 0, "app"),
  F_ENUM(wb_app_status, 3, state, WB_APP_STATUS_STATES, APP_STATE_NAMES, 0, "state"),
  F_SHA(wb_app_status, 4, sha256, 1, "sha256"),
  F_U32(wb_app_status, 5, restarts, WB_U32_MAX, 1, "restarts"),
  F_TEXT(wb_app_status, 6, error, 0, WB_ERROR_TEXT_MAX, WB_PAT_NONE, 1, "error"),
};
static const wb_field TELEMETRY_F[] = {
  F_NAME(wb_telemetry, 2, app, 0, "app"),
  F_TEXT(wb_telemetry, 3, topic, 1, WB_TOPIC_MAX, WB_PAT_NONE, 0, "topic"),
  { .key = 4, .kind = WB_K_NUM, .off = OFF(wb_telemetry, value), .name = NM("value") },
  F_U64(wb_telemetry, 5, time_ms, 0, "timeMs"),
};
static const wb_field LOG_F[] = {
  F_ENUM(wb_log, 2, level, WB_LOG_LEVELS, LOG_LEVEL_NAMES, 0, "level"),
  F_TEXT(wb_log, 3, message, 0, WB_ERROR_TEXT_MAX, WB_PAT_NONE, 0, "message"),
  F_NAME(wb_log, 4, app, 1, "app"),
  F_U64(wb_log, 5, time_ms, 1, "timeMs"),
};
static const wb_field COMMAND_F[] = {
  F_NAME(wb_command, 2, app, 0, "app"),
  F_TEXT(wb_command, 3, name, 1, WB_COMMAND_NAME_MAX, WB_PAT_NONE, 0, "name"),
  F_BYTES(wb_command, 4, payload, 0, WB_PAYLOAD_MAX, 1, "payload"),
};
static const wb_field COMMAND_RESULT_F[] = {
  F_NAME(wb_command_result, 2, app, 0, "app"),
  F_BOOL(wb_command_result, 3, ok, "ok"),
  F_BYTES(wb_command_result, 4, result, 0, WB_PAYLOAD_MAX, 1, "result"),
};
static const wb_field RENEW_F[] = {
  F_BYTES(wb_renew, 2, csr, 1, WB_CSR_MAX, 0, "csr"),
};
static const wb_field ERROR_F[] = {
  F_ENUM(wb_error_msg, 2, code, WB_ERROR_CODES, ERROR_CODE_NAMES, 0, "code"),
  F_TEXT(wb_error_msg, 3, message, 0, WB_ERROR_TEXT_MAX, WB_PAT_NONE, 0, "message"),
};

static const wb_sdef MESSAGES[WB_MSG_TYPE_MAX] = {
  DEF(ENROLL_F, "enroll"), DEF(ENROLLED_F, "enrolled"), DEF(HELLO_F, "hello"),
  DEF(WELCOME_F, "welcome"), DEF(HEARTBEAT_F, "heartbeat"), DEF(HEARTBEAT_ACK_F, "heartbeatAck"),
  DEF(DEPLOY_BEGIN_F, "deployBegin"), DEF(DEPLOY_READY_F, "deployReady"),
  DEF(DEPLOY_CHUNK_F, "deployChunk"), DEF(DEPLOY_CHUNK_ACK_F, "deployChunkAck"),
  DEF(DEPLOY_COMMIT_F, "deployCommit"), DEF(DEPLOY_RESULT_F, "deployResult"),
  DEF(APP_REF_F, "appStart"), DEF(APP_REF_F, "appStop"), DEF(APP_REF_F, "appRemove"),
  DEF(APP_STATUS_F, "appStatus"), DEF(TELEMETRY_F, "telemetry"), DEF(LOG_F, "log"),
  DEF(COMMAND_F, "command"), DEF(COMMAND_RESULT_F, "commandResult"), DEF(RENEW_F, "renew"),
  DEF(ERROR_F, "error"),
};

const wb_sdef *wb_message_def(unsigned t) {
  return (t >= WB_MSG_TYPE_MIN && t <= WB_MSG_TYPE_MAX) ? &MESSAGES[t - 1] : NULL;
}

const char *wb_error_name(wb_err e) {
  static const char *const names[] = {"OK", "TruncatedFrame", "FrameTooLarge", "MalformedCbor",
    "NonCanonicalEncoding", "NotAMap", "UnknownMessageType", "UnknownField", "MissingField",
    "InvalidField", "BufferTooSmall"};
  return ((unsigned)e < sizeof(names) / sizeof(names[0])) ? names[e] : "?";
}

/* ---------------- patterns ---------------- */

static int is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
static int is_word(char c) {
  return is_lower_alnum(c) || (c >= 'A' && c <= 'Z') || c == '_';
}
static int is_ijfd(char c) { return c == 'i' || c == 'j' || c == 'f' || c == 'd'; }

/* ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$ */
static int match_name(const char *s, size_t n) {
  size_t start = 0;
  for (size_t i = 0; i <= n; i++) {
    if (i == n || s[i] == '.') {
      if (i == start || !is_lower_alnum(s[start]) || !is_lower_alnum(s[i - 1])) return 0;
      start = i + 1;
    } else if (!is_lower_alnum(s[i]) && s[i] != '-') {
      return 0;
    }
  }
  return 1;
}

/* ^[A-Za-z0-9_]+\/[A-Za-z0-9_]+:\([ijfd]*\)[ijfd]*$ */
static int match_hostfn(const char *s, size_t n) {
  size_t i = 0, k;
  for (k = 0; i < n && is_word(s[i]); i++) k++;
  if (!k || i >= n || s[i++] != '/') return 0;
  for (k = 0; i < n && is_word(s[i]); i++) k++;
  if (!k || i >= n || s[i++] != ':') return 0;
  if (i >= n || s[i++] != '(') return 0;
  while (i < n && is_ijfd(s[i])) i++;
  if (i >= n || s[i++] != ')') return 0;
  while (i < n && is_ijfd(s[i])) i++;
  return i == n;
}

static int text_ok(const wb_field *f, const char *s, size_t n) {
  if (n < f->min || n > f->max) return 0;
  if (f->pattern == WB_PAT_NAME) return match_name(s, n);
  if (f->pattern == WB_PAT_HOSTFN) return match_hostfn(s, n);
  return 1;
}

/* ---------------- decoding ---------------- */

#define NONE ((size_t)-1)

typedef struct {
  const uint8_t *p;
  size_t n;
} src_t;

static wb_err read_struct(src_t *s, size_t pos, const wb_sdef *d, uint8_t *base, unsigned depth);

/* Reads a head at pos; on success *pos is past it. */
static int head_at(const src_t *s, size_t *pos, uint8_t *major, uint8_t *ai, uint64_t *v) {
  wb_cur c;
  c.p = s->p; c.n = s->n; c.pos = *pos;
  if (wb_cbor_head(&c, major, ai, v)) return -1;
  *pos = c.pos;
  return 0;
}

/* A string item at pos: major must be `want`. *sp and *sn get the contents. */
static int string_at(const src_t *s, size_t pos, uint8_t want, const uint8_t **sp, size_t *sn) {
  uint8_t major, ai;
  uint64_t v;
  if (head_at(s, &pos, &major, &ai, &v) || major != want || v > s->n - pos) return 0;
  *sp = s->p + pos;
  *sn = (size_t)v;
  return 1;
}

static void copy_text(uint8_t *dst, const uint8_t *src, size_t n) {
  uint16_t len = (uint16_t)n;
  memcpy(dst, &len, sizeof len);
  memcpy(dst + WB_TEXT_CHARS_OFF, src, n);
  dst[WB_TEXT_CHARS_OFF + n] = 0;
}

static wb_err read_config(src_t *s, size_t pos, wb_config *cfg) {
  uint8_t major, ai;
  uint64_t v;
  wb_cur c;
  if (head_at(s, &pos, &major, &ai, &v) || major != 5) return WB_ERR_INVALID_FIELD;
  if (v > WB_CONFIG_MAX_ENTRIES) return WB_ERR_INVALID_FIELD;
  c.p = s->p; c.n = s->n; c.pos = pos;
  for (uint64_t i = 0; i < v; i++) {
    const uint8_t *kp, *vp;
    size_t kn, vn;
    if (!string_at(s, c.pos, 3, &kp, &kn) || wb_cbor_skip(&c, 0)) return WB_ERR_INVALID_FIELD;
    if (!string_at(s, c.pos, 3, &vp, &vn) || wb_cbor_skip(&c, 0)) return WB_ERR_INVALID_FIELD;
    if (kn < 1 || kn > WB_CONFIG_KEY_MAX || vn > WB_CONFIG_VALUE_MAX) return WB_ERR_INVALID_FIELD;
    copy_text((uint8_t *)&cfg->entries[i].key, kp, kn);
    copy_text((uint8_t *)&cfg->entries[i].value, vp, vn);
  }
  cfg->count = (uint8_t)v;
  return WB_OK;
}

static wb_err read_value(src_t *s, size_t pos, const wb_field *f, uint8_t *base, unsigned depth) {
  uint8_t major, ai;
  uint64_t v;
  uint8_t *dst = base + f->off;
  const uint8_t *sp;
  size_t sn;
  switch (f->kind) {
  case WB_K_U32:
  case WB_K_U64:
    if (head_at(s, &pos, &major, &ai, &v) || major != 0) return WB_ERR_INVALID_FIELD;
    if (v > (f->kind == WB_K_U64 ? WB_MAX_SAFE_INT : (uint64_t)f->max)) return WB_ERR_INVALID_FIELD;
    if (f->kind == WB_K_U64) memcpy(dst, &v, sizeof v);
    else { uint32_t u = (uint32_t)v; memcpy(dst, &u, sizeof u); }
    return WB_OK;
  case WB_K_NUM: {
    double d;
    if (head_at(s, &pos, &major, &ai, &v)) return WB_ERR_INVALID_FIELD;
    if (major == 0) d = (double)v;
    else if (major == 1) d = -1.0 - (double)v;
    else if (major == 7 && ai == 27) d = wb_f64_from_bits(v);
    else return WB_ERR_INVALID_FIELD;
    memcpy(dst, &d, sizeof d);
    return WB_OK;
  }
  case WB_K_BOOL:
    if (head_at(s, &pos, &major, &ai, &v) || major != 7 || (ai != 20 && ai != 21))
      return WB_ERR_INVALID_FIELD;
    *dst = (uint8_t)(ai == 21);
    return WB_OK;
  case WB_K_ENUM:
    if (head_at(s, &pos, &major, &ai, &v) || major != 0 || v >= f->max) return WB_ERR_INVALID_FIELD;
    *dst = (uint8_t)v;
    return WB_OK;
  case WB_K_TEXT:
    if (!string_at(s, pos, 3, &sp, &sn) || !text_ok(f, (const char *)sp, sn))
      return WB_ERR_INVALID_FIELD;
    copy_text(dst, sp, sn);
    return WB_OK;
  case WB_K_BYTES: {
    wb_bytes_t b;
    if (!string_at(s, pos, 2, &sp, &sn) || sn < f->min || sn > f->max) return WB_ERR_INVALID_FIELD;
    b.p = sp;
    b.len = (uint16_t)sn;
    memcpy(dst, &b, sizeof b);
    return WB_OK;
  }
  case WB_K_SHA256:
    if (!string_at(s, pos, 2, &sp, &sn) || sn != WB_SHA256_BYTES) return WB_ERR_INVALID_FIELD;
    memcpy(dst, sp, WB_SHA256_BYTES);
    return WB_OK;
  case WB_K_CONFIG:
    return read_config(s, pos, (wb_config *)(void *)dst);
  case WB_K_LIST: {
    wb_cur c;
    if (head_at(s, &pos, &major, &ai, &v) || major != 4 || v > f->max) return WB_ERR_INVALID_FIELD;
    c.p = s->p; c.n = s->n; c.pos = pos;
    for (uint64_t i = 0; i < v; i++) {
      wb_err e = read_value(s, c.pos, f->elem, base + f->items_off + (size_t)i * f->elem_size,
                            depth + 1);
      if (e) return e;
      if (wb_cbor_skip(&c, depth + 1)) return WB_ERR_MALFORMED_CBOR;
    }
    *dst = (uint8_t)v;
    return WB_OK;
  }
  case WB_K_STRUCT:
    return read_struct(s, pos, f->sub, dst, depth + 1);
  default:
    return WB_ERR_INVALID_FIELD;
  }
}

static const wb_field *field_for(const wb_sdef *d, uint64_t key) {
  for (unsigned i = 0; i < d->n; i++)
    if (d->fields[i].key == key) return &d->fields[i];
  return NULL;
}

/* Walks a map: records where the values of keys 0..31 start, and the first key error in map
 * order (an undefined key below 32: UnknownField; a non-integer key: InvalidField). */
static wb_err scan_map(src_t *s, size_t pos, const wb_sdef *d, int envelope, size_t at[32],
                       wb_err *key_err) {
  uint8_t major, ai;
  uint64_t v, count;
  wb_cur c;
  for (unsigned k = 0; k < 32; k++) at[k] = NONE;
  *key_err = WB_OK;
  if (head_at(s, &pos, &major, &ai, &count) || major != 5) return WB_ERR_INVALID_FIELD;
  c.p = s->p; c.n = s->n; c.pos = pos;
  for (uint64_t i = 0; i < count; i++) {
    size_t kpos = c.pos;
    if (head_at(s, &kpos, &major, &ai, &v)) return WB_ERR_MALFORMED_CBOR;
    if (major != 0) {
      if (!*key_err) *key_err = WB_ERR_INVALID_FIELD;
    } else if (v < WB_FIRST_EXTENSION_KEY) {
      at[v] = NONE; /* filled below once the key is skipped */
      if (!(envelope && v < 2) && !field_for(d, v) && !*key_err) *key_err = WB_ERR_UNKNOWN_FIELD;
    }
    if (wb_cbor_skip(&c, 1)) return WB_ERR_MALFORMED_CBOR;
    if (major == 0 && v < WB_FIRST_EXTENSION_KEY) at[v] = c.pos;
    if (wb_cbor_skip(&c, 1)) return WB_ERR_MALFORMED_CBOR;
  }
  return WB_OK;
}

static wb_err read_fields(src_t *s, const wb_sdef *d, uint8_t *base, const size_t at[32],
                          unsigned depth) {
  uint32_t present = 0;
  for (unsigned i = 0; i < d->n; i++) {
    const wb_field *f = &d->fields[i];
    wb_err e;
    if (at[f->key] == NONE) {
      if (!f->optional) return WB_ERR_MISSING_FIELD;
      continue;
    }
    e = read_value(s, at[f->key], f, base, depth);
    if (e) return e;
    present |= (uint32_t)1u << f->key;
  }
  memcpy(base, &present, sizeof present); /* every body and nested struct starts with it */
  return WB_OK;
}

static wb_err read_struct(src_t *s, size_t pos, const wb_sdef *d, uint8_t *base, unsigned depth) {
  size_t at[32];
  wb_err key_err, e;
  if (depth > WB_CBOR_MAX_DEPTH) return WB_ERR_MALFORMED_CBOR;
  e = scan_map(s, pos, d, 0, at, &key_err);
  if (e) return e;
  if (key_err) return key_err;
  return read_fields(s, d, base, at, depth);
}

wb_err wb_decode_payload(const uint8_t *payload, size_t len, wb_message *m) {
  src_t s;
  size_t at[32], pos;
  uint8_t major, ai;
  uint64_t v;
  wb_err e, key_err;
  const wb_sdef *d;
  memset(m, 0, sizeof *m);
  if (len == 0) return WB_ERR_MALFORMED_CBOR;
  if (len > WB_MAX_FRAME_BYTES) return WB_ERR_FRAME_TOO_LARGE;
  e = wb_cbor_validate(payload, len);
  if (e) return e;
  s.p = payload;
  s.n = len;
  if ((payload[0] >> 5) != 5) return WB_ERR_NOT_A_MAP;
  /* Key errors are reported after the type and id checks, as the reference codec does. */
  e = scan_map(&s, 0, MESSAGES, 1, at, &key_err);
  if (e) return e;
  /* type (key 0) */
  pos = at[0];
  if (pos == NONE || head_at(&s, &pos, &major, &ai, &v)) return WB_ERR_MISSING_FIELD;
  if (major == 7 && ai == 27) { /* a float that passed validation is never a safe integer */
    double t = wb_f64_from_bits(v);
    return (t >= 0 && wb_f64_is_integral(t)) ? WB_ERR_UNKNOWN_MESSAGE_TYPE : WB_ERR_MISSING_FIELD;
  }
  if (major != 0) return WB_ERR_MISSING_FIELD;
  d = wb_message_def((v <= WB_MSG_TYPE_MAX) ? (unsigned)v : 0u);
  if (!d) return WB_ERR_UNKNOWN_MESSAGE_TYPE;
  m->type = (uint8_t)v;
  /* id (key 1) */
  pos = at[1];
  if (pos == NONE) return WB_ERR_MISSING_FIELD;
  if (head_at(&s, &pos, &major, &ai, &v) || major != 0 || v > WB_MAX_ID) return WB_ERR_INVALID_FIELD;
  m->id = (uint32_t)v;
  /* the unknown-key check used the enroll table above; redo it for the real type */
  e = scan_map(&s, 0, d, 1, at, &key_err);
  if (e) return e;
  if (key_err) return key_err;
  return read_fields(&s, d, (uint8_t *)&m->u, at, 0);
}

wb_err wb_decode_frame(const uint8_t *frame, size_t len, wb_message *m) {
  uint32_t n;
  memset(m, 0, sizeof *m);
  if (len < WB_FRAME_HEADER_BYTES) return WB_ERR_TRUNCATED_FRAME;
  n = ((uint32_t)frame[0] << 24) | ((uint32_t)frame[1] << 16) | ((uint32_t)frame[2] << 8) | frame[3];
  if (n > WB_MAX_FRAME_BYTES) return WB_ERR_FRAME_TOO_LARGE;
  if (len - WB_FRAME_HEADER_BYTES < n) return WB_ERR_TRUNCATED_FRAME;
  if (len - WB_FRAME_HEADER_BYTES > n) return WB_ERR_MALFORMED_CBOR;
  return wb_decode_payload(frame + WB_FRAME_HEADER_BYTES, n, m);
}

/* ---------------- encoding ---------------- */

static wb_err write_struct(wb_out *o, const wb_sdef *d, const uint8_t *base, const wb_message *env,
                           unsigned depth);

static int text_fits(const uint8_t *t, uint32_t cap_max, const char **s, size_t *n) {
  uint16_t len;
  memcpy(&len, t, sizeof len);
  if (len > cap_max) return 0;
  *s = (const char *)t + WB_TEXT_CHARS_OFF;
  *n = len;
  return wb_utf8_valid((const uint8_t *)*s, len);
}

static int key_less(const char *a, size_t an, const char *b, size_t bn) {
  if (an != bn) return an < bn;
  return memcmp(a, b, an) < 0;
}

static wb_err write_config(wb_out *o, const wb_config *cfg) {
  const char *last = NULL;
  size_t last_n = 0;
  if (cfg->count > WB_CONFIG_MAX_ENTRIES) return WB_ERR_INVALID_FIELD;
  for (unsigned i = 0; i < cfg->count; i++) {
    const char *ks, *vs;
    size_t kn, vn;
    if (!text_fits((const uint8_t *)&cfg->entries[i].key, WB_CONFIG_KEY_MAX, &ks, &kn) || kn < 1 ||
        !text_fits((const uint8_t *)&cfg->entries[i].value, WB_CONFIG_VALUE_MAX, &vs, &vn))
      return WB_ERR_INVALID_FIELD;
  }
  wb_put_head(o, 5, cfg->count);
  /* canonical order: by encoded key (shorter first, then bytewise); duplicates refused */
  for (unsigned emitted = 0; emitted < cfg->count; emitted++) {
    int best = -1;
    const char *bs = NULL;
    size_t bn = 0;
    for (unsigned i = 0; i < cfg->count; i++) {
      const char *ks = cfg->entries[i].key.s;
      size_t kn = cfg->entries[i].key.len;
      if (last && !key_less(last, last_n, ks, kn)) continue;
      if (best < 0 || key_less(ks, kn, bs, bn)) { best = (int)i; bs = ks; bn = kn; }
    }
    if (best < 0) return WB_ERR_INVALID_FIELD; /* a duplicate key */
    wb_put_head(o, 3, bn);
    wb_put_raw(o, bs, bn);
    wb_put_head(o, 3, cfg->entries[best].value.len);
    wb_put_raw(o, cfg->entries[best].value.s, cfg->entries[best].value.len);
    last = bs;
    last_n = bn;
  }
  return WB_OK;
}

static wb_err write_value(wb_out *o, const wb_field *f, const uint8_t *base, unsigned depth) {
  const uint8_t *src = base + f->off;
  switch (f->kind) {
  case WB_K_U32: {
    uint32_t u;
    memcpy(&u, src, sizeof u);
    if (u > f->max) return WB_ERR_INVALID_FIELD;
    wb_put_head(o, 0, u);
    return WB_OK;
  }
  case WB_K_U64: {
    uint64_t u;
    memcpy(&u, src, sizeof u);
    if (u > WB_MAX_SAFE_INT) return WB_ERR_INVALID_FIELD;
    wb_put_head(o, 0, u);
    return WB_OK;
  }
  case WB_K_NUM: {
    double d;
    memcpy(&d, src, sizeof d);
    if (d != d || d - d != 0.0) return WB_ERR_INVALID_FIELD;
    if (wb_f64_is_safe_int(d)) {
      if (d >= 0) wb_put_head(o, 0, (uint64_t)d);
      else wb_put_head(o, 1, (uint64_t)(-1 - (int64_t)d));
    } else {
      wb_put_f64(o, d);
    }
    return WB_OK;
  }
  case WB_K_BOOL:
    if (*src > 1) return WB_ERR_INVALID_FIELD;
    wb_put_head(o, 7, *src ? 21u : 20u);
    return WB_OK;
  case WB_K_ENUM:
    if (*src >= f->max) return WB_ERR_INVALID_FIELD;
    wb_put_head(o, 0, *src);
    return WB_OK;
  case WB_K_TEXT: {
    const char *s;
    size_t n;
    if (!text_fits(src, f->max, &s, &n) || !text_ok(f, s, n)) return WB_ERR_INVALID_FIELD;
    wb_put_head(o, 3, n);
    wb_put_raw(o, s, n);
    return WB_OK;
  }
  case WB_K_BYTES: {
    wb_bytes_t b;
    memcpy(&b, src, sizeof b);
    if (b.len < f->min || b.len > f->max || (b.len && !b.p)) return WB_ERR_INVALID_FIELD;
    wb_put_head(o, 2, b.len);
    wb_put_raw(o, b.p, b.len);
    return WB_OK;
  }
  case WB_K_SHA256:
    wb_put_head(o, 2, WB_SHA256_BYTES);
    wb_put_raw(o, src, WB_SHA256_BYTES);
    return WB_OK;
  case WB_K_CONFIG:
    return write_config(o, (const wb_config *)(const void *)src);
  case WB_K_LIST: {
    uint8_t n = *src;
    if (n > f->max) return WB_ERR_INVALID_FIELD;
    wb_put_head(o, 4, n);
    for (unsigned i = 0; i < n; i++) {
      wb_err e = write_value(o, f->elem, base + f->items_off + (size_t)i * f->elem_size, depth + 1);
      if (e) return e;
    }
    return WB_OK;
  }
  case WB_K_STRUCT:
    return write_struct(o, f->sub, src, NULL, depth + 1);
  default:
    return WB_ERR_INVALID_FIELD;
  }
}

static wb_err write_struct(wb_out *o, const wb_sdef *d, const uint8_t *base, const wb_message *env,
                           unsigned depth) {
  uint32_t present;
  unsigned count = env ? 2u : 0u;
  if (depth > WB_CBOR_MAX_DEPTH) return WB_ERR_INVALID_FIELD;
  memcpy(&present, base, sizeof present);
  for (unsigned i = 0; i < d->n; i++)
    if (!d->fields[i].optional || ((present >> d->fields[i].key) & 1u)) count++;
  wb_put_head(o, 5, count);
  if (env) {
    wb_put_head(o, 0, 0);
    wb_put_head(o, 0, env->type);
    wb_put_head(o, 0, 1);
    wb_put_head(o, 0, env->id);
  }
  for (unsigned i = 0; i < d->n; i++) {
    const wb_field *f = &d->fields[i];
    wb_err e;
    if (f->optional && !((present >> f->key) & 1u)) continue;
    wb_put_head(o, 0, f->key);
    e = write_value(o, f, base, depth);
    if (e) return e;
  }
  return WB_OK;
}

wb_err wb_encode(const wb_message *m, uint8_t *out, size_t cap, size_t *len) {
  const wb_sdef *d = wb_message_def(m->type);
  wb_out o;
  wb_err e;
  size_t payload;
  *len = 0;
  if (!d) return WB_ERR_UNKNOWN_MESSAGE_TYPE;
  o.p = out;
  o.cap = cap;
  o.len = WB_FRAME_HEADER_BYTES;
  e = write_struct(&o, d, (const uint8_t *)&m->u, m, 0);
  if (e) return e;
  payload = o.len - WB_FRAME_HEADER_BYTES;
  if (payload > WB_MAX_FRAME_BYTES) return WB_ERR_FRAME_TOO_LARGE;
  if (o.len > cap) return WB_ERR_BUFFER_TOO_SMALL;
  out[0] = (uint8_t)(payload >> 24);
  out[1] = (uint8_t)(payload >> 16);
  out[2] = (uint8_t)(payload >> 8);
  out[3] = (uint8_t)payload;
  *len = o.len;
  return WB_OK;
}

/* ---------------- streaming frame reader ---------------- */

enum { FR_HEADER, FR_PAYLOAD, FR_DONE, FR_BROKEN };

void wb_frame_reader_init(wb_frame_reader *r, uint8_t *buf, size_t cap) {
  r->buf = buf;
  r->cap = cap;
  r->have = 0;
  r->frame_len = 0;
  r->state = FR_HEADER;
}

wb_fr_status wb_frame_reader_push(wb_frame_reader *r, const uint8_t *data, size_t n,
                                  size_t *consumed) {
  size_t used = 0;
  *consumed = 0;
  if (r->state == FR_BROKEN) return WB_FR_TOO_LARGE;
  if (r->state == FR_DONE) { /* the previous frame was handed out: start the next one */
    r->have = 0;
    r->frame_len = 0;
    r->state = FR_HEADER;
  }
  if (r->cap < WB_FRAME_HEADER_BYTES) { r->state = FR_BROKEN; return WB_FR_TOO_LARGE; }
  while (used < n || (r->state == FR_PAYLOAD && r->have == r->frame_len)) {
    if (r->state == FR_HEADER) {
      r->buf[r->have++] = data[used++];
      if (r->have == WB_FRAME_HEADER_BYTES) {
        uint32_t len = ((uint32_t)r->buf[0] << 24) | ((uint32_t)r->buf[1] << 16) |
                       ((uint32_t)r->buf[2] << 8) | r->buf[3];
        if (len > WB_MAX_FRAME_BYTES || len > r->cap - WB_FRAME_HEADER_BYTES) {
          r->state = FR_BROKEN;
          *consumed = used;
          return WB_FR_TOO_LARGE;
        }
        r->frame_len = WB_FRAME_HEADER_BYTES + len;
        r->state = FR_PAYLOAD;
      }
    } else {
      size_t want = r->frame_len - r->have, take = n - used;
      if (take > want) take = want;
      if (take) memcpy(r->buf + r->have, data + used, take);
      r->have += take;
      used += take;
      if (r->have == r->frame_len) {
        r->state = FR_DONE;
        *consumed = used;
        return WB_FR_FRAME;
      }
    }
  }
  *consumed = used;
  return WB_FR_NEED_MORE;
}
