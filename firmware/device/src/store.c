/* Persistent "flash" for the device: the board's PSRAM, mapped by the launcher from the
 * device's flash file (firmware/scripts/device-qemu.sh), so the firmware reads and writes it
 * as memory and needs no host call. Records are checksummed and range-checked at boot and
 * written in an order that leaves a torn write detectable (device.h). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "device.h"

uint32_t store_crc32(const void *data, size_t n)
{
    const uint8_t *p = data;
    uint32_t c = 0xFFFFFFFFu;
    while (n--) {
        c ^= *p++;
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

/* Stores before the barrier reach the mapped file before any store after it. */
static void barrier(void) { __asm__ volatile("dsb" ::: "memory"); }

int store_flush(uint32_t off, uint32_t len)
{
    (void)off; (void)len;
    barrier();
    return 0;
}

static int blank(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint8_t any = 0;
    while (n--) any |= *b++;
    return any == 0;
}

/* Every record: magic (4 bytes), fields, crc = CRC-32 of the fields between the two. */
#define CRC_OF(rec) store_crc32((const uint8_t *)(rec) + 4, offsetof(__typeof__(*(rec)), crc) - 4)

static const char *identity_problem(const store_identity *id)
{
    if (id->magic != STORE_MAGIC) return "bad magic";
    if (id->version != STORE_VERSION) return "unknown layout version";
    if (id->crc != CRC_OF(id)) return "checksum mismatch";
    if (id->key_len > DEV_KEY_MAX) return "key length out of range";
    if (id->cert_len > DEV_CERT_MAX) return "certificate length out of range";
    if (id->cert_len && !id->key_len) return "certificate without a key";
    return NULL;
}

void store_id_commit(void)
{
    store_identity *id = store_id();
    id->crc = CRC_OF(id);
    barrier();
}

int store_open(void)
{
    store_identity *id = store_id();
    const char *why = identity_problem(id);
    if (!why) return 0;
    if (blank(store_mem, STORE_BYTES))
        printf("store: empty flash, formatting\n");
    else
        printf("store: identity record refused (%s): treated as empty, a new key will be generated\n", why);
    memset(id, 0, sizeof *id);
    id->magic = STORE_MAGIC;
    id->version = STORE_VERSION;
    store_id_commit();
    return 0;
}

/* The packed config is whole "key\0value\0" pairs ending exactly at cfg_len, so a reader
 * that runs strlen over it stays inside. */
static int config_well_formed(const store_slot *r)
{
    uint32_t off = 0;
    while (off < r->cfg_len) {
        for (int part = 0; part < 2; part++) {
            const uint8_t *nul = memchr(r->cfg + off, 0, r->cfg_len - off);
            if (!nul) return 0;
            off = (uint32_t)(nul - r->cfg) + 1;
            if (part == 0 && off >= r->cfg_len) return 0;
        }
    }
    return 1;
}

static const char *slot_problem(const store_slot *r)
{
    if (r->crc != CRC_OF(r)) return "checksum mismatch";
    if (!memchr(r->name, 0, sizeof r->name)) return "name not NUL-terminated";
    if (!r->name[0]) return "empty name";
    if (r->size == 0 || r->size > DEV_MODULE_MAX) return "module size out of range";
    if (r->state != WB_APP_RUNNING && r->state != WB_APP_STOPPED) return "unknown state";
    if (r->cfg_len > DEV_CFG_MAX) return "config length out of range";
    if (!config_well_formed(r)) return "config not whole key/value pairs";
    return NULL;
}

int store_slot_check(unsigned i, const char **why)
{
    store_slot *r = store_slot_rec(i);
    *why = NULL;
    if (r->magic == 0) return 0;
    *why = r->magic != STORE_SLOT_MAGIC ? "bad magic" : slot_problem(r);
    if (!*why) return 1;
    store_slot_erase(i);
    return -1;
}

/* The magic is written last and alone: a header torn before it reads as empty, one torn
 * after it (a stale or partial field) fails its checksum. */
static void seal(store_slot *r)
{
    r->magic = 0;
    barrier();
    r->crc = CRC_OF(r);
    barrier();
    r->magic = STORE_SLOT_MAGIC;
    barrier();
}

void store_slot_commit(unsigned i) { seal(store_slot_rec(i)); }

void store_slot_erase(unsigned i)
{
    store_slot_rec(i)->magic = 0;
    barrier();
}

void store_slot_install(unsigned i, const store_slot *hdr, const uint8_t *module)
{
    store_slot *r = store_slot_rec(i);
    store_slot_erase(i);
    memcpy(store_module(i), module, hdr->size);
    barrier();
    memcpy(r, hdr, sizeof *r);
    seal(r);
}

static store_seed *seed_rec(unsigned k) { return (store_seed *)(void *)(store_mem + STORE_SEED_OFF(k)); }

static int seed_valid(const store_seed *s) { return s->magic == STORE_SEED_MAGIC && s->crc == CRC_OF(s); }

/* The valid copy with the higher generation, or -1. */
static int newest_seed(void)
{
    int a = seed_valid(seed_rec(0)), b = seed_valid(seed_rec(1));
    if (a && b) return (int32_t)(seed_rec(1)->generation - seed_rec(0)->generation) > 0 ? 1 : 0;
    return a ? 0 : b ? 1 : -1;
}

int store_seed_load(uint8_t out[STORE_SEED_BYTES])
{
    int k = newest_seed();
    if (k < 0) {
        if (!blank(seed_rec(0), 2 * 0x80u))
            printf("store: no valid entropy seed record (checksum mismatch)\n");
        return 1;
    }
    memcpy(out, seed_rec((unsigned)k)->seed, STORE_SEED_BYTES);
    return 0;
}

int store_seed_save(const uint8_t seed[STORE_SEED_BYTES])
{
    int k = newest_seed();
    uint32_t gen = k < 0 ? 1 : seed_rec((unsigned)k)->generation + 1;
    store_seed *s = seed_rec(k == 0 ? 1u : 0u);   /* overwrite the older (or invalid) copy */
    s->magic = 0;
    barrier();
    s->generation = gen;
    memcpy(s->seed, seed, STORE_SEED_BYTES);
    s->crc = CRC_OF(s);
    barrier();
    s->magic = STORE_SEED_MAGIC;
    barrier();
    return 0;
}
