/*
 * Bounded first-fit heap for the TLS layer.
 *
 * The arena is a sequence of blocks, each starting with a header that holds
 * the block size (header included) and a "used" flag. Free neighbours are
 * merged on free (forwards) and while searching (forwards), so the arena
 * never fragments into runs of adjacent free blocks for long.
 */
#include "wb_internal.h"

#include <string.h>

#define WB_ALIGN 8u

typedef struct {
    size_t size;   /* whole block, header included; multiple of WB_ALIGN */
    size_t used;   /* 0 free, 1 used */
} wb_blk;

#define HDR ((sizeof(wb_blk) + WB_ALIGN - 1u) & ~(size_t)(WB_ALIGN - 1u))

static unsigned char *g_base;
static size_t g_size;
static wb_heap_stats g_stats;

static wb_blk *blk_at(size_t off) { return (wb_blk *)(void *)(g_base + off); }

int wb_heap_setup(void *arena, size_t size)
{
    size_t pad;
    memset(&g_stats, 0, sizeof(g_stats));
    g_base = NULL;
    g_size = 0;
    if (arena == NULL || size == 0)
        return 0;
    pad = (WB_ALIGN - ((uintptr_t)arena & (WB_ALIGN - 1u))) & (WB_ALIGN - 1u);
    if (size < pad + 2u * HDR)
        return -1;
    g_base = (unsigned char *)arena + pad;
    g_size = (size - pad) & ~(size_t)(WB_ALIGN - 1u);
    blk_at(0)->size = g_size;
    blk_at(0)->used = 0;
    g_stats.arena_size = g_size;
    return 0;
}

int wb_heap_active(void) { return g_base != NULL; }

static void merge_forward(size_t off)
{
    wb_blk *b = blk_at(off);
    while (off + b->size < g_size) {
        wb_blk *n = blk_at(off + b->size);
        if (n->used)
            break;
        b->size += n->size;
    }
}

void *wb_heap_alloc(size_t n)
{
    size_t need, off = 0;
    if (g_base == NULL)
        return NULL;
    g_stats.allocs++;
    if (n == 0)
        n = 1;
    if (n > g_size)
        goto fail;
    need = HDR + ((n + WB_ALIGN - 1u) & ~(size_t)(WB_ALIGN - 1u));
    while (off < g_size) {
        wb_blk *b = blk_at(off);
        if (!b->used) {
            merge_forward(off);
            if (b->size >= need) {
                if (b->size - need >= 2u * HDR) {   /* split */
                    wb_blk *r = blk_at(off + need);
                    r->size = b->size - need;
                    r->used = 0;
                    b->size = need;
                }
                b->used = 1;
                g_stats.in_use += b->size;
                if (g_stats.in_use > g_stats.peak)
                    g_stats.peak = g_stats.in_use;
                return (unsigned char *)b + HDR;
            }
        }
        off += b->size;
    }
fail:
    g_stats.failures++;
    return NULL;
}

static wb_blk *hdr_of(void *p)
{
    return (wb_blk *)(void *)((unsigned char *)p - HDR);
}

int wb_heap_owns(const void *p)
{
    const unsigned char *c = (const unsigned char *)p;
    return g_base != NULL && c >= g_base + HDR && c < g_base + g_size;
}

void wb_heap_free(void *p)
{
    wb_blk *b;
    if (p == NULL || !wb_heap_owns(p))
        return;
    b = hdr_of(p);
    if (!b->used)
        return;                       /* double free: ignore */
    b->used = 0;
    g_stats.in_use -= b->size;
    merge_forward((size_t)((unsigned char *)b - g_base));
}

void *wb_heap_realloc(void *p, size_t n)
{
    void *q;
    size_t old;
    if (p == NULL)
        return wb_heap_alloc(n);
    if (n == 0) {
        wb_heap_free(p);
        return NULL;
    }
    old = hdr_of(p)->size - HDR;
    if (old >= n)
        return p;
    q = wb_heap_alloc(n);
    if (q == NULL)
        return NULL;
    memcpy(q, p, old);
    wb_heap_free(p);
    return q;
}

void wb_tls_heap_stats(wb_heap_stats *out)
{
    if (out != NULL)
        *out = g_stats;
}

void wb_tls_heap_reset_peak(void)
{
    g_stats.peak = g_stats.in_use;
    g_stats.allocs = 0;
    g_stats.failures = 0;
}
