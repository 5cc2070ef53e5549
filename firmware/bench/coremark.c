/* CoreMark-style integer workload (our own code, same flavour as EEMBC's):
 * linked-list find/reverse/merge-sort, small integer matrix algebra, a
 * character-class state machine, all folded into a CRC-16. */
#include "common.h"
#ifndef N
#define N 300
#endif
#define LIST 64
#define MDIM 16
typedef struct item { struct item *next; int32_t data, idx; } item;
static item pool[LIST];
static int32_t ma[MDIM * MDIM], mb[MDIM * MDIM], mc[MDIM * MDIM];
static const char *inputs[4] = { "5012,1.23e-4,-987,0x1F,+42,abc,3.14159,,17", "9,88,-0.5e3,1e10,ff,-,7.7.7,12345678",
                                 "0,00,000,-1,+1,1e,e1,0.0,.5", "-42.0e-1,3,,,7,x9,99999,1.5E+2" };

static uint16_t crc16(uint16_t crc, uint32_t v)
{
    int i;
    for (i = 0; i < 32; i++) {
        uint32_t bit = (v ^ crc) & 1;
        v >>= 1; crc >>= 1;
        if (bit) crc ^= 0xA001;
    }
    return crc;
}

static item *list_init(uint32_t seed)
{
    int i;
    for (i = 0; i < LIST; i++) {
        seed = seed * 1664525u + 1013904223u;
        pool[i].data = (int32_t)((seed >> 8) & 0xFFFF) - 0x8000;
        pool[i].idx = i;
        pool[i].next = i + 1 < LIST ? &pool[i + 1] : 0;
    }
    return &pool[0];
}
static item *reverse(item *l)
{
    item *prev = 0;
    while (l) { item *n = l->next; l->next = prev; prev = l; l = n; }
    return prev;
}
static item *find(item *l, int32_t v)
{
    while (l && l->data != v) l = l->next;
    return l;
}
static int cmp(const item *a, const item *b, int by_idx)
{
    return by_idx ? a->idx - b->idx : (a->data > b->data) - (a->data < b->data);
}
/* Bottom-up merge sort on a singly linked list. */
static item *sort(item *list, int by_idx)
{
    int insize = 1;
    for (;;) {
        item *p = list, *tail = 0, *q, *e;
        int merges = 0;
        list = 0;
        while (p) {
            int psize = 0, qsize = insize, i;
            merges++;
            q = p;
            for (i = 0; i < insize && q; i++) { psize++; q = q->next; }
            while (psize > 0 || (qsize > 0 && q)) {
                if (psize == 0) { e = q; q = q->next; qsize--; }
                else if (qsize == 0 || !q) { e = p; p = p->next; psize--; }
                else if (cmp(p, q, by_idx) <= 0) { e = p; p = p->next; psize--; }
                else { e = q; q = q->next; qsize--; }
                if (tail) tail->next = e; else list = e;
                tail = e;
            }
            p = q;
        }
        tail->next = 0;
        if (merges <= 1) return list;
        insize *= 2;
    }
}
static uint16_t bench_list(uint16_t crc, uint32_t seed)
{
    item *l = list_init(seed), *f;
    int i;
    l = sort(l, 0);
    for (i = 0; i < 8; i++) {
        f = find(l, pool[(seed + (uint32_t)i * 7u) % LIST].data);
        crc = crc16(crc, f ? (uint32_t)f->idx : 0xFFFFu);
    }
    l = reverse(l);
    crc = crc16(crc, (uint32_t)l->data);
    l = sort(l, 1);
    for (f = l; f; f = f->next) crc = crc16(crc, (uint32_t)f->data);
    return crc;
}
static uint16_t bench_matrix(uint16_t crc, uint32_t seed)
{
    int i, j, k;
    int32_t acc = 0;
    for (i = 0; i < MDIM * MDIM; i++) { seed = seed * 69069u + 1; ma[i] = (int32_t)(seed >> 20) - 2048; mb[i] = (int32_t)((seed >> 8) & 0xFF) - 128; }
    for (i = 0; i < MDIM * MDIM; i++) ma[i] += 7;                    /* add const */
    for (i = 0; i < MDIM; i++)                                        /* mat * vec */
        for (j = 0, acc = 0; j < MDIM; j++) acc += ma[i * MDIM + j] * mb[j];
    crc = crc16(crc, (uint32_t)acc);
    for (i = 0; i < MDIM; i++)                                        /* mat * mat */
        for (j = 0; j < MDIM; j++) {
            int32_t s = 0;
            for (k = 0; k < MDIM; k++) s += ma[i * MDIM + k] * mb[k * MDIM + j];
            mc[i * MDIM + j] = s;
        }
    for (i = 0, acc = 0; i < MDIM * MDIM; i++) acc += (mc[i] >> 2) & 0xFFF;   /* bit extract */
    return crc16(crc, (uint32_t)acc);
}
enum { S_START, S_INT, S_FRAC, S_EXP, S_EXPSIGN, S_HEX, S_INVALID };
static uint16_t bench_state(uint16_t crc, const char *s)
{
    uint32_t counts[7] = {0};
    int st = S_START;
    for (;; s++) {
        char c = *s;
        if (c == ',' || c == 0) { counts[st]++; st = S_START; if (!c) break; continue; }
        switch (st) {
        case S_START: st = (c >= '0' && c <= '9') || c == '+' || c == '-' ? S_INT : c == '.' ? S_FRAC : S_INVALID; break;
        case S_INT: if (c == '.') st = S_FRAC; else if (c == 'e' || c == 'E') st = S_EXP; else if (c == 'x') st = S_HEX;
                    else if (c < '0' || c > '9') st = S_INVALID; break;
        case S_FRAC: if (c == 'e' || c == 'E') st = S_EXP; else if (c < '0' || c > '9') st = S_INVALID; break;
        case S_EXP: st = c == '+' || c == '-' || (c >= '0' && c <= '9') ? S_EXPSIGN : S_INVALID; break;
        case S_EXPSIGN: if (c < '0' || c > '9') st = S_INVALID; break;
        case S_HEX: if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) st = S_INVALID; break;
        default: break;
        }
    }
    for (st = 0; st < 7; st++) crc = crc16(crc, counts[st]);
    return crc;
}
EXPORT uint32_t run(void)
{
    uint16_t crc = 0;
    uint32_t r;
    for (r = 0; r < N; r++) {
        crc = bench_list(crc, r * 2654435761u);
        crc = bench_matrix(crc, r + 11);
        crc = bench_state(crc, inputs[r & 3]);
    }
    return crc;
}
