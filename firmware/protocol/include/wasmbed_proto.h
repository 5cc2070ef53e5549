/*
 * Wasmbed device protocol v1 codec (docs/protocol.md), portable C99, no malloc.
 *
 * Frames are a u32 big-endian length followed by one canonical CBOR map. wb_decode_frame()
 * refuses anything the TypeScript reference codec (gateway/src/protocol) refuses, with the same
 * error name; wb_encode() produces the one canonical encoding.
 *
 * Memory: text fields are copied into fixed, NUL-terminated buffers (size = the doc's bound + 1,
 * with an explicit length, since UTF-8 text may contain U+0000). The SHA-256 fields are copied
 * into uint8_t[32]. The variable byte strings (enroll/renew csr, enrolled certificate,
 * deployChunk data, command payload, commandResult result) are ZERO-COPY: wb_bytes_t points
 * into the frame buffer passed to wb_decode_frame(), which must outlive the use of the message.
 */
#ifndef WASMBED_PROTO_H
#define WASMBED_PROTO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Limits (docs/protocol.md §2, §6, §10) ---- */
#define WB_PROTOCOL_VERSION 1u
#define WB_FRAME_HEADER_BYTES 4u
#define WB_MAX_FRAME_BYTES 4096u                 /* payload bytes of one frame */
#define WB_FRAME_BUFFER_BYTES (WB_FRAME_HEADER_BYTES + WB_MAX_FRAME_BYTES)
#define WB_MAX_CHUNK_BYTES 2048u                 /* deployChunk.data, deployBegin.chunkSize */
#define WB_FIRST_EXTENSION_KEY 32u               /* keys >= this are ignored */
#define WB_MAX_ID 0xFFFFFFFFul                   /* envelope id */
#define WB_MAX_SAFE_INT 0x1FFFFFFFFFFFFFull      /* 2^53 - 1 */
#define WB_U32_MAX 0xFFFFFFFFul
#define WB_U16_MAX 0xFFFFul
#define WB_NAME_MAX 63u                          /* device / app names, RFC 1123, 1..63 */
#define WB_SHA256_BYTES 32u
#define WB_CSR_MAX 1024u                         /* enroll.csr, renew.csr: 1..1024 */
#define WB_TOKEN_MAX 128u                        /* enroll.token: 1..128 */
#define WB_CERTIFICATE_MAX 2048u                 /* enrolled.certificate: 1..2048 */
#define WB_FIRMWARE_VERSION_MAX 32u              /* hello.firmwareVersion: 1..32 */
#define WB_BOARD_MAX 32u                         /* hello.board: 1..32 */
#define WB_MAX_APP_SLOTS_VALUE 255u              /* capabilities.maxApps */
#define WB_MAX_HOST_FUNCTIONS 64u                /* capabilities.hostFunctions items */
#define WB_HOST_FUNCTION_MAX 64u                 /* one host function signature: 1..64 */
#define WB_MAX_APPS 16u                          /* hello.apps items */
#define WB_ERROR_TEXT_MAX 256u                   /* app error / deployResult.message / log.message / error.message */
#define WB_HEARTBEAT_INTERVAL_MAX 3600u
#define WB_CONFIG_MAX_ENTRIES 16u
#define WB_CONFIG_KEY_MAX 32u                    /* 1..32 bytes */
#define WB_CONFIG_VALUE_MAX 128u                 /* 0..128 bytes */
#define WB_MAX_RESTARTS_MAX 1000u                /* limits.maxRestarts */
#define WB_TOPIC_MAX 64u                         /* telemetry.topic: 1..64 */
#define WB_COMMAND_NAME_MAX 32u                  /* command.name: 1..32 */
#define WB_PAYLOAD_MAX 1024u                     /* command.payload, commandResult.result: 0..1024 */
#define WB_CBOR_MAX_DEPTH 16u                    /* nesting accepted by the decoder (see README) */

/* ---- Errors: the names are the TypeScript codec's (wb_error_name) ---- */
typedef enum {
  WB_OK = 0,
  WB_ERR_TRUNCATED_FRAME,
  WB_ERR_FRAME_TOO_LARGE,
  WB_ERR_MALFORMED_CBOR,
  WB_ERR_NON_CANONICAL_ENCODING,
  WB_ERR_NOT_A_MAP,
  WB_ERR_UNKNOWN_MESSAGE_TYPE,
  WB_ERR_UNKNOWN_FIELD,
  WB_ERR_MISSING_FIELD,
  WB_ERR_INVALID_FIELD,
  WB_ERR_BUFFER_TOO_SMALL /* encode only: output capacity below the frame size */
} wb_err;

const char *wb_error_name(wb_err e);

/* ---- Message types (docs §10) ---- */
typedef enum {
  WB_MSG_ENROLL = 1, WB_MSG_ENROLLED, WB_MSG_HELLO, WB_MSG_WELCOME, WB_MSG_HEARTBEAT,
  WB_MSG_HEARTBEAT_ACK, WB_MSG_DEPLOY_BEGIN, WB_MSG_DEPLOY_READY, WB_MSG_DEPLOY_CHUNK,
  WB_MSG_DEPLOY_CHUNK_ACK, WB_MSG_DEPLOY_COMMIT, WB_MSG_DEPLOY_RESULT, WB_MSG_APP_START,
  WB_MSG_APP_STOP, WB_MSG_APP_REMOVE, WB_MSG_APP_STATUS, WB_MSG_TELEMETRY, WB_MSG_LOG,
  WB_MSG_COMMAND, WB_MSG_COMMAND_RESULT, WB_MSG_RENEW, WB_MSG_ERROR
} wb_msg_type;
#define WB_MSG_TYPE_MIN 1u
#define WB_MSG_TYPE_MAX 22u

/* ---- Enumerations: the wire value is the index ---- */
enum { WB_APP_DEPLOYING, WB_APP_RUNNING, WB_APP_STOPPED, WB_APP_FAILED, WB_APP_REMOVED };
#define WB_HELLO_APP_STATES 4u   /* hello.apps[].state: deploying..failed */
#define WB_APP_STATUS_STATES 5u  /* appStatus.state: also removed */
enum { WB_LOG_DEBUG, WB_LOG_INFO, WB_LOG_WARN, WB_LOG_ERROR };
#define WB_LOG_LEVELS 4u
enum { WB_CHUNK_OK, WB_CHUNK_CHECKSUM_MISMATCH, WB_CHUNK_OUT_OF_ORDER };
#define WB_CHUNK_STATUSES 3u
enum { WB_DEPLOY_HASH_MISMATCH, WB_DEPLOY_INVALID_MODULE, WB_DEPLOY_TOO_LARGE, WB_DEPLOY_NO_SLOT,
       WB_DEPLOY_IMPORT_MISSING, WB_DEPLOY_STORAGE_FAILED, WB_DEPLOY_UNKNOWN_APP };
#define WB_DEPLOY_ERRORS 7u
enum { WB_E_BAD_FRAME, WB_E_BAD_MESSAGE, WB_E_UNSUPPORTED_VERSION, WB_E_UNKNOWN_TYPE,
       WB_E_NOT_ENROLLED, WB_E_UNAUTHORIZED, WB_E_TOKEN_INVALID, WB_E_TOKEN_EXPIRED,
       WB_E_TOKEN_USED, WB_E_RATE_LIMITED, WB_E_BUSY, WB_E_INTERNAL };
#define WB_ERROR_CODES 12u

/* ---- Field storage ---- */
/* Text: len bytes of UTF-8 in s, NUL-terminated (s may contain NUL; trust len). */
#define WB_TEXT_TYPE(tname, max) typedef struct { uint16_t len; char s[(max) + 1]; } tname
WB_TEXT_TYPE(wb_name_t, WB_NAME_MAX);
WB_TEXT_TYPE(wb_text32_t, 32);
WB_TEXT_TYPE(wb_text64_t, 64);
WB_TEXT_TYPE(wb_text128_t, 128);
WB_TEXT_TYPE(wb_text256_t, 256);

/* Zero-copy byte string: points into the decoded frame (or the caller's data when encoding). */
typedef struct { const uint8_t *p; uint16_t len; } wb_bytes_t;

/* Optional fields: bit (1 << key) of `present`. The decoder sets the bit of every field it
 * read; the encoder looks at it for optional fields only (required fields are always sent). */
#define WB_HAS(s, key) ((((s).present) >> (key)) & 1u)
#define WB_SET(s, key) ((s).present |= (uint32_t)1u << (key))

/* CBOR keys of the optional fields */
#define WB_K_ENROLL_TOKEN 4
#define WB_K_APP_RESTARTS 3
#define WB_K_APP_ERROR 4
#define WB_K_HEARTBEAT_FREE_BYTES 3
#define WB_K_DEPLOY_BEGIN_CONFIG 6
#define WB_K_DEPLOY_BEGIN_LIMITS 7
#define WB_K_LIMITS_PERIOD_MS 2
#define WB_K_LIMITS_MAX_RESTARTS 3
#define WB_K_DEPLOY_RESULT_ERROR 4
#define WB_K_DEPLOY_RESULT_MESSAGE 5
#define WB_K_APP_STATUS_SHA256 4
#define WB_K_APP_STATUS_RESTARTS 5
#define WB_K_APP_STATUS_ERROR 6
#define WB_K_LOG_APP 4
#define WB_K_LOG_TIME_MS 5
#define WB_K_COMMAND_PAYLOAD 4
#define WB_K_COMMAND_RESULT_RESULT 4

/* Enumerations and bools are stored in uint8_t. */
typedef struct { uint32_t present; wb_name_t device; wb_bytes_t csr; wb_text128_t token; } wb_enroll;
typedef struct { uint32_t present; wb_bytes_t certificate; uint64_t not_after; } wb_enrolled;
typedef struct {
  uint32_t present;
  uint32_t host_api_version, memory_bytes, max_module_bytes, max_apps;
  uint8_t n_host_functions;
  wb_text64_t host_functions[WB_MAX_HOST_FUNCTIONS];
} wb_capabilities;
typedef struct {
  uint32_t present;
  wb_name_t name;
  uint8_t sha256[WB_SHA256_BYTES];
  uint8_t state;
  uint32_t restarts;
  wb_text256_t error;
} wb_app_state;
typedef struct {
  uint32_t present;
  uint32_t protocol_version;
  wb_text32_t firmware_version, board;
  wb_capabilities capabilities;
  uint8_t n_apps;
  wb_app_state apps[WB_MAX_APPS];
} wb_hello;
typedef struct { uint32_t present; uint32_t heartbeat_interval_s; uint64_t server_time_ms; } wb_welcome;
typedef struct { uint32_t present; uint64_t uptime_ms; uint32_t free_bytes; } wb_heartbeat;
typedef struct { uint32_t present; uint64_t server_time_ms; } wb_heartbeat_ack;
typedef struct {
  uint8_t count;
  struct { wb_text32_t key; wb_text128_t value; } entries[WB_CONFIG_MAX_ENTRIES];
} wb_config;
typedef struct {
  uint32_t present;
  uint32_t memory_bytes, fuel_per_activation, period_ms, max_restarts;
} wb_limits;
typedef struct {
  uint32_t present;
  wb_name_t app;
  uint8_t sha256[WB_SHA256_BYTES];
  uint32_t size, chunk_size;
  wb_config config; /* any entry order when encoding: the encoder sorts */
  wb_limits limits;
} wb_deploy_begin;
typedef struct { uint32_t present; wb_name_t app; uint32_t offset; } wb_deploy_ready;
typedef struct { uint32_t present; wb_name_t app; uint32_t offset; wb_bytes_t data; uint32_t crc32; } wb_deploy_chunk;
typedef struct { uint32_t present; wb_name_t app; uint32_t offset; uint8_t status; } wb_deploy_chunk_ack;
typedef struct { uint32_t present; wb_name_t app; uint8_t sha256[WB_SHA256_BYTES]; } wb_deploy_commit;
typedef struct { uint32_t present; wb_name_t app; uint8_t ok; uint8_t error; wb_text256_t message; } wb_deploy_result;
typedef struct { uint32_t present; wb_name_t app; } wb_app_ref; /* appStart, appStop, appRemove */
typedef struct {
  uint32_t present;
  wb_name_t app;
  uint8_t state;
  uint8_t sha256[WB_SHA256_BYTES];
  uint32_t restarts;
  wb_text256_t error;
} wb_app_status;
typedef struct { uint32_t present; wb_name_t app; wb_text64_t topic; double value; uint64_t time_ms; } wb_telemetry;
typedef struct { uint32_t present; uint8_t level; wb_text256_t message; wb_name_t app; uint64_t time_ms; } wb_log;
typedef struct { uint32_t present; wb_name_t app; wb_text32_t name; wb_bytes_t payload; } wb_command;
typedef struct { uint32_t present; wb_name_t app; uint8_t ok; wb_bytes_t result; } wb_command_result;
typedef struct { uint32_t present; wb_bytes_t csr; } wb_renew;
typedef struct { uint32_t present; uint8_t code; wb_text256_t message; } wb_error_msg;

typedef struct {
  uint8_t type; /* wb_msg_type */
  uint32_t id;
  union {
    wb_enroll enroll;
    wb_enrolled enrolled;
    wb_hello hello;
    wb_welcome welcome;
    wb_heartbeat heartbeat;
    wb_heartbeat_ack heartbeat_ack;
    wb_deploy_begin deploy_begin;
    wb_deploy_ready deploy_ready;
    wb_deploy_chunk deploy_chunk;
    wb_deploy_chunk_ack deploy_chunk_ack;
    wb_deploy_commit deploy_commit;
    wb_deploy_result deploy_result;
    wb_app_ref app_start, app_stop, app_remove;
    wb_app_status app_status;
    wb_telemetry telemetry;
    wb_log log;
    wb_command command;
    wb_command_result command_result;
    wb_renew renew;
    wb_error_msg error;
  } u;
} wb_message;

/* Decodes exactly one whole frame (length prefix + payload). On error *m is zeroed or partial. */
wb_err wb_decode_frame(const uint8_t *frame, size_t len, wb_message *m);
/* Decodes a payload (the frame without its length prefix). */
wb_err wb_decode_payload(const uint8_t *payload, size_t len, wb_message *m);
/* Encodes a whole frame into out[0..cap); *len gets its size. Refuses invalid fields
 * (WB_ERR_INVALID_FIELD), an unknown type, a payload over WB_MAX_FRAME_BYTES
 * (WB_ERR_FRAME_TOO_LARGE) and a short buffer (WB_ERR_BUFFER_TOO_SMALL). */
wb_err wb_encode(const wb_message *m, uint8_t *out, size_t cap, size_t *len);

/* ---- Streaming frame reader over a caller buffer (WB_FRAME_BUFFER_BYTES recommended) ---- */
typedef enum {
  WB_FR_NEED_MORE = 0, /* all input consumed, no complete frame yet */
  WB_FR_FRAME,         /* buf[0..frame_len) holds one whole frame; decode it before pushing again */
  WB_FR_TOO_LARGE      /* the header declared a length over the limit: the stream is broken */
} wb_fr_status;

typedef struct {
  uint8_t *buf;
  size_t cap;
  size_t have;      /* bytes of the current frame in buf */
  size_t frame_len; /* when WB_FR_FRAME: header + payload */
  uint8_t state;    /* internal */
} wb_frame_reader;

void wb_frame_reader_init(wb_frame_reader *r, uint8_t *buf, size_t cap);
/* Takes up to n bytes; *consumed gets how many were used. Returns WB_FR_FRAME as soon as a
 * frame completes (the rest of the input is left for the next call), WB_FR_TOO_LARGE as soon as
 * the 4 header bytes declare more than min(WB_MAX_FRAME_BYTES, cap - 4) (sticky until init). */
wb_fr_status wb_frame_reader_push(wb_frame_reader *r, const uint8_t *data, size_t n, size_t *consumed);

#ifdef __cplusplus
}
#endif
#endif
