/* Wasmbed device firmware: the list of gateways a device may use (provisioning `gateway=`). */
#ifndef WB_GATEWAYS_H
#define WB_GATEWAYS_H
#include <stddef.h>
#include <stdint.h>

/* A fleet runs a handful of gateways; a device that knows more gains nothing but a longer
 * round before it backs off. */
#define DEV_GATEWAYS_MAX 4u

typedef struct {
    uint8_t  addr[4];   /* A.B.C.D, in that order */
    uint16_t port;      /* device port; enrollment is port + 1 */
} dev_gateway;

/* Parses "A.B.C.D:PORT[,A.B.C.D:PORT...]" (1..DEV_GATEWAYS_MAX entries, no spaces, decimal
 * octets 0..255 without leading zeros, PORT 1..65534 so that PORT+1 is a port too) into out.
 * Returns the number of entries, or -1 with a reason in why (a static string, and the entry's
 * 1-based number in *bad_entry; 0 when the reason is about the whole list). Nothing is read
 * past the terminating NUL, nothing written past out[DEV_GATEWAYS_MAX - 1]. */
int dev_parse_gateways(const char *text, dev_gateway out[DEV_GATEWAYS_MAX], const char **why,
                       unsigned *bad_entry);

/* "A.B.C.D:PORT" into buf (at least 22 bytes). */
const char *dev_gateway_str(const dev_gateway *g, char *buf, size_t cap);
#endif
