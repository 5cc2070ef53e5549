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

/* ---- persistent store ("flash"): a RAM mirror in STORE, backed by a host
 * file through ARM semihosting. Fixed layout, see README. */
typedef struct {
    uint32_t magic;              /* STORE_SLOT_MAGIC when the slot holds an app */
    char     name[64];
    uint8_t  sha256[32];
    uint32_t size;
    uint32_t state;              /* WB_APP_RUNNING / WB_APP_STOPPED */
    uint32_t mem_bytes, fuel, period_ms, max_restarts;
    uint32_t cfg_len;
    uint8_t  cfg[DEV_CFG_MAX];
} store_slot;

typedef struct {
    uint32_t magic, version;     /* STORE_MAGIC, 1 */
    uint32_t key_len, cert_len;
    uint64_t cert_not_after;
    uint8_t  key[DEV_KEY_MAX];
    uint8_t  cert[DEV_CERT_MAX];
} store_identity;

#define STORE_MAGIC      0x4C465742u  /* "BWFL" */
#define STORE_SLOT_MAGIC 0x544F4C53u  /* "SLOT" */
#define STORE_ID_OFF     0u
#define STORE_SLOT_OFF(i) (4096u + (uint32_t)(i) * (1024u + DEV_MODULE_MAX))
#define STORE_MODULE_OFF(i) (STORE_SLOT_OFF(i) + 1024u)
#define STORE_BYTES      STORE_SLOT_OFF(DEV_SLOTS)

extern uint8_t store_mem[];
int  store_open(const char *path);       /* 0 ok; loads the file or creates it */
int  store_flush(uint32_t off, uint32_t len);
static inline store_identity *store_id(void) { return (store_identity *)(void *)store_mem; }
static inline store_slot *store_slot_rec(unsigned i) { return (store_slot *)(void *)(store_mem + STORE_SLOT_OFF(i)); }
static inline uint8_t *store_module(unsigned i) { return store_mem + STORE_MODULE_OFF(i); }

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
