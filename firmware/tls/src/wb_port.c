/*
 * Platform hooks wired into wolfSSL (see user_settings.h):
 * RNG seed, wall clock, gmtime, and the allocator.
 */
#include "wb_internal.h"

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/memory.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

static wb_entropy g_entropy;
static const wb_entropy *g_override;
static wb_clock g_clock;
static int g_ready;

/* ---- entropy -------------------------------------------------------------- */
void wb_port_push_entropy(const wb_entropy *e) { g_override = e; }
void wb_port_pop_entropy(void) { g_override = NULL; }

int wb_port_generate_seed(unsigned char *output, unsigned int sz)
{
    const wb_entropy *e = g_override != NULL ? g_override : &g_entropy;
    if (e->fill == NULL || output == NULL)
        return -1;                       /* no entropy: refuse to seed */
    return e->fill(e->ctx, output, sz) == 0 ? 0 : -1;
}

void wb_tls_set_entropy(const wb_entropy *entropy)
{
    if (entropy != NULL)
        g_entropy = *entropy;
    else
        memset(&g_entropy, 0, sizeof(g_entropy));
}

/* ---- time ------------------------------------------------------------------ */
void wb_tls_set_clock(const wb_clock *clock)
{
    if (clock != NULL)
        g_clock = *clock;
    else
        memset(&g_clock, 0, sizeof(g_clock));
}

time_t wb_port_time(time_t *t)
{
    /* No clock: time 0 (1970), so every certificate is "not yet valid" and
     * verification fails closed rather than trusting an unknown date. */
    time_t now = 0;
    if (g_clock.now != NULL) {
        int64_t s = g_clock.now(g_clock.ctx);
        now = s > 0 ? (time_t)s : 0;
    }
    if (t != NULL)
        *t = now;
    return now;
}

/* Civil date from days since 1970-01-01 (proleptic Gregorian). */
struct tm *wb_port_gmtime(const time_t *c, struct tm *t)
{
    int64_t s, days, rem, era, doe, yoe, y, doy, mp, d, m;
    if (c == NULL || t == NULL)
        return NULL;
    s = (int64_t)*c;
    days = s / 86400;
    rem = s % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    memset(t, 0, sizeof(*t));
    t->tm_hour = (int)(rem / 3600);
    t->tm_min = (int)((rem % 3600) / 60);
    t->tm_sec = (int)(rem % 60);
    t->tm_wday = (int)(((days % 7) + 11) % 7);   /* 1970-01-01: Thursday */
    days += 719468;                              /* shift epoch to 0000-03-01 */
    era = (days >= 0 ? days : days - 146096) / 146097;
    doe = days - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2)
        y++;
    t->tm_year = (int)(y - 1900);
    t->tm_mon = (int)(m - 1);
    t->tm_mday = (int)d;
    {
        static const int cum[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243,
                                    273, 304, 334};
        int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        t->tm_yday = cum[m - 1] + (int)d - 1 + (leap && m > 2 ? 1 : 0);
    }
    return t;
}

/* ---- allocator ------------------------------------------------------------- */
static void *port_malloc(size_t n)
{
    return wb_heap_active() ? wb_heap_alloc(n) : malloc(n);
}

static void port_free(void *p)
{
    if (p == NULL)
        return;
    if (wb_heap_owns(p))
        wb_heap_free(p);
    else if (!wb_heap_active())
        free(p);
}

static void *port_realloc(void *p, size_t n)
{
    return wb_heap_active() ? wb_heap_realloc(p, n) : realloc(p, n);
}

/* ---- library --------------------------------------------------------------- */
int wb_lib_ready(void) { return g_ready; }

int wb_tls_init(const wb_entropy *entropy, const wb_clock *clock,
                void *heap, size_t heap_size)
{
    if (g_ready) {
        wolfSSL_Cleanup();
        g_ready = 0;
    }
    wb_tls_set_entropy(entropy);
    wb_tls_set_clock(clock);
    if (wb_heap_setup(heap, heap_size) != 0)
        return WB_TLS_ERR_ARG;
    if (wolfSSL_SetAllocators(port_malloc, port_free, port_realloc) != 0)
        return WB_TLS_ERR;
    if (wolfSSL_Init() != WOLFSSL_SUCCESS)
        return WB_TLS_ERR;
    g_ready = 1;
    return WB_TLS_OK;
}
