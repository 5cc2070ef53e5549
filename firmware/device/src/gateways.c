/* The provisioning block's gateway list, parsed strictly: the block is written by a tool, so
 * anything that is not exactly the documented form is a provisioning error the device reports
 * at boot, rather than an address it guesses at (lwIP's inet_aton would take "010" as octal
 * and "10.2" as 10.0.0.2). No libc parsing: every byte is looked at once, bounds checked. */
#include <stdio.h>
#include "gateways.h"

/* Decimal number of 1..max_digits digits, no leading zero unless it is "0". Advances *p. */
static int decimal(const char **p, unsigned max_digits, uint32_t max, uint32_t *out)
{
    const char *s = *p;
    uint32_t v = 0;
    unsigned n = 0;
    while (*s >= '0' && *s <= '9') {
        if (++n > max_digits) return -1;
        v = v * 10u + (uint32_t)(*s - '0');
        s++;
    }
    if (n == 0 || (n > 1 && **p == '0') || v > max) return -1;
    *p = s;
    *out = v;
    return 0;
}

static int one_gateway(const char **p, dev_gateway *g)
{
    uint32_t v;
    for (int i = 0; i < 4; i++) {
        if (decimal(p, 3, 255, &v)) return -1;
        g->addr[i] = (uint8_t)v;
        if (**p != (i < 3 ? '.' : ':')) return -1;
        (*p)++;
    }
    if (decimal(p, 5, 65534, &v) || v == 0) return -1;
    g->port = (uint16_t)v;
    return 0;
}

int dev_parse_gateways(const char *text, dev_gateway out[DEV_GATEWAYS_MAX], const char **why,
                       unsigned *bad_entry)
{
    const char *p = text;
    unsigned n = 0;
    *bad_entry = 0;
    if (!*p) { *why = "the list is empty"; return -1; }
    for (;;) {
        if (n == DEV_GATEWAYS_MAX) {
            *why = "more than 4 gateways";
            return -1;
        }
        dev_gateway g;
        if (one_gateway(&p, &g) || (*p != ',' && *p != '\0')) {
            *why = "not A.B.C.D:PORT (decimal octets 0-255, PORT 1-65534)";
            *bad_entry = n + 1;
            return -1;
        }
        for (unsigned i = 0; i < n; i++) {
            if (out[i].port == g.port && out[i].addr[0] == g.addr[0] && out[i].addr[1] == g.addr[1] &&
                out[i].addr[2] == g.addr[2] && out[i].addr[3] == g.addr[3]) {
                *why = "the same gateway twice";
                *bad_entry = n + 1;
                return -1;
            }
        }
        out[n++] = g;
        if (*p == '\0') return (int)n;
        p++;   /* ',' */
    }
}

const char *dev_gateway_str(const dev_gateway *g, char *buf, size_t cap)
{
    snprintf(buf, cap, "%u.%u.%u.%u:%u", g->addr[0], g->addr[1], g->addr[2], g->addr[3], g->port);
    return buf;
}
