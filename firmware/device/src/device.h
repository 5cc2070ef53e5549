/* Wasmbed device firmware: shared declarations. */
#ifndef WB_DEVICE_H
#define WB_DEVICE_H
#include <stddef.h>
#include <stdint.h>
#include "wasmbed_proto.h"

#define DEV_SLOTS        4u
#define DEV_MODULE_MAX   (16u * 1024u)   /* largest module one slot takes */
#define DEV_CFG_MAX      512u            /* packed "key\0value\0" config per slot */
#define DEV_KEY_MAX      128u
#define DEV_CERT_MAX     2048u

/* ---- persistent store ("flash"): the board's 16 MiB PSRAM, which the launcher
 * (firmware/scripts/device-qemu.sh) maps from the device's flash file, so every store
 * lands in the file with no host call. Fixed layout (README "Flash"); each record ends in
 * a CRC-32 of the bytes before it and is checked field by field at boot: the file is
 * outside the firmware's control (a torn write, a bad disk, an edited file), and a record
 * that fails is treated as empty, never read past its bounds. */
typedef struct {
    uint32_t magic;              /* STORE_SLOT_MAGIC when the slot holds an app */
    char     name[64];           /* NUL-terminated, non-empty */
    uint8_t  sha256[32];         /* of the module; checked before each start */
    uint32_t size;               /* 1..DEV_MODULE_MAX */
    uint32_t state;              /* WB_APP_RUNNING / WB_APP_STOPPED */
    uint32_t mem_bytes, fuel, period_ms, max_restarts;
    uint32_t cfg_len;            /* <= DEV_CFG_MAX, whole "key\0value\0" pairs */
    uint8_t  cfg[DEV_CFG_MAX];
    uint32_t crc;                /* CRC-32 of the fields between magic and crc */
} store_slot;

typedef struct {
    uint32_t magic, version;     /* STORE_MAGIC, STORE_VERSION */
    uint32_t key_len, cert_len;  /* <= DEV_KEY_MAX, <= DEV_CERT_MAX; no certificate without a key */
    uint64_t cert_not_after;
    uint8_t  key[DEV_KEY_MAX];
    uint8_t  cert[DEV_CERT_MAX];
    uint32_t crc;
} store_identity;

/* The DRBG's seed carried across boots, in two copies written alternately (the newer valid
 * generation wins), so a torn write loses at most the seed being written. */
#define STORE_SEED_BYTES 64u
typedef struct {
    uint32_t magic, generation;
    uint8_t  seed[STORE_SEED_BYTES];
    uint32_t crc;
} store_seed;

#define STORE_MAGIC      0x4C465742u  /* "BWFL" */
#define STORE_VERSION    2u           /* 2: memory-mapped flash with checksummed records */
#define STORE_SLOT_MAGIC 0x544F4C53u  /* "SLOT" */
#define STORE_SEED_MAGIC 0x44454553u  /* "SEED" */
#define STORE_ID_OFF     0x0000u
#define STORE_SEED_OFF(k) (0x1000u + (uint32_t)(k) * 0x80u)
#define STORE_SLOT_OFF(i) (0x2000u + (uint32_t)(i) * (1024u + DEV_MODULE_MAX))
#define STORE_MODULE_OFF(i) (STORE_SLOT_OFF(i) + 1024u)
#define STORE_BYTES      STORE_SLOT_OFF(DEV_SLOTS)

extern uint8_t __store_base[];           /* linker: ORIGIN(STORE), the mapped flash */
#define store_mem __store_base
uint32_t store_crc32(const void *p, size_t n);
int  store_open(void);                   /* checks the identity record; 0 ok */
void store_id_commit(void);              /* after changing store_id(): checksum, then a barrier */
/* At boot: 1 = the slot holds a valid record, 0 = empty, -1 = refused (why says so; the
 * slot is erased, so it reads as empty from then on). */
int  store_slot_check(unsigned i, const char **why);
void store_slot_commit(unsigned i);      /* after changing a slot header's fields */
void store_slot_erase(unsigned i);
/* Writes a module and then its header, each behind a barrier, the old header erased first:
 * a write torn anywhere leaves an empty slot or one whose checks fail, never a header that
 * vouches for bytes it does not describe. */
void store_slot_install(unsigned i, const store_slot *hdr, const uint8_t *module);
/* The DRBG seed record (entropy.c): 0 read, 1 none stored yet (or no valid copy), -1 error. */
int  store_seed_load(uint8_t out[STORE_SEED_BYTES]);
int  store_seed_save(const uint8_t seed[STORE_SEED_BYTES]);   /* 0 once in the flash file */
/* The flash is memory: a "flush" is only the barrier that orders the stores before it
 * ahead of the ones after it (the commit order above depends on it). Always 0. */
int  store_flush(uint32_t off, uint32_t len);
static inline store_identity *store_id(void) { return (store_identity *)(void *)(store_mem + STORE_ID_OFF); }
static inline store_slot *store_slot_rec(unsigned i) { return (store_slot *)(void *)(store_mem + STORE_SLOT_OFF(i)); }
static inline uint8_t *store_module(unsigned i) { return store_mem + STORE_MODULE_OFF(i); }

/* ---- protect.c: the vector table and code read-only where the board's MPU allows */
void dev_protect_code(void);

/* ---- session output (main.c) */
int  dev_send(wb_message *m);            /* encodes and writes one frame; 0 ok */
extern wb_message dev_tx;                 /* scratch for outgoing messages */
uint32_t dev_next_id(void);
extern char dev_fault[64];               /* test-only fault hook, "" = none */
int  dev_session_up(void);

/* ---- apps (apps.c) */
void apps_boot(void);                     /* instantiate stored apps */
void apps_tick(void);                     /* periodic activations */
void apps_hello(wb_hello *h);             /* fill hello.apps */
void apps_handle(const wb_message *m);    /* deploy*, app*, command */
uint32_t apps_free_bytes(void);
#endif
