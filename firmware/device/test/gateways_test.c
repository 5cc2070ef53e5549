/* Host test of the provisioning gateway list parser (src/gateways.c), run by
 * firmware/scripts/device-gateways.sh: cc -I../src gateways_test.c ../src/gateways.c.
 * Under ASan+UBSan there, so a read past an entry or a write past the list fails it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gateways.h"

static int pass, fail;

static void expect_ok(const char *text, int n, const char *first, const char *last)
{
    dev_gateway g[DEV_GATEWAYS_MAX];
    const char *why = NULL;
    unsigned bad = 99;
    char a[24], b[24];
    /* A copy on the heap of exactly the string's size: ASan sees any read past its NUL. */
    char *copy = malloc(strlen(text) + 1);
    strcpy(copy, text);
    int r = dev_parse_gateways(copy, g, &why, &bad);
    free(copy);
    if (r == n && strcmp(dev_gateway_str(&g[0], a, sizeof a), first) == 0 &&
        strcmp(dev_gateway_str(&g[r - 1], b, sizeof b), last) == 0) {
        pass++;
    } else {
        fail++;
        printf("FAIL \"%s\": got %d (%s) first %s last %s\n", text, r, r < 0 ? why : "",
               r > 0 ? a : "-", r > 0 ? b : "-");
    }
}

static void expect_bad(const char *text, unsigned entry, const char *reason)
{
    dev_gateway g[DEV_GATEWAYS_MAX];
    const char *why = "";
    unsigned bad = 99;
    char *copy = malloc(strlen(text) + 1);
    strcpy(copy, text);
    int r = dev_parse_gateways(copy, g, &why, &bad);
    free(copy);
    if (r == -1 && bad == entry && strstr(why, reason)) {
        pass++;
    } else {
        fail++;
        printf("FAIL \"%s\": got %d, entry %u, \"%s\"; wanted entry %u, \"%s\"\n", text, r, bad, why,
               entry, reason);
    }
}

int main(void)
{
    expect_ok("10.0.2.2:8443", 1, "10.0.2.2:8443", "10.0.2.2:8443");
    expect_ok("10.0.2.2:9,10.0.2.2:8443", 2, "10.0.2.2:9", "10.0.2.2:8443");
    expect_ok("0.0.0.0:1,255.255.255.255:65534,192.168.1.10:443,10.0.2.2:2", 4, "0.0.0.0:1",
              "10.0.2.2:2");
    expect_bad("", 0, "empty");
    expect_bad("10.0.2.2:1,10.0.2.2:2,10.0.2.2:3,10.0.2.2:4,10.0.2.2:5", 0, "more than 4");
    expect_bad("10.0.2.2:1,10.0.2.2:2,10.0.2.2:3,10.0.2.2:4,", 0, "more than 4");
    const char *form = "not A.B.C.D:PORT";
    expect_bad("gw.example:8443", 1, form);
    expect_bad("10.0.2.2", 1, form);
    expect_bad("10.0.2:8443", 1, form);
    expect_bad("10.0.2.2.1:8443", 1, form);
    expect_bad("10.0.2.256:8443", 1, form);
    expect_bad("010.0.2.2:8443", 1, form);        /* inet_aton's octal */
    expect_bad("10.0.2.2:08443", 1, form);
    expect_bad("10.0.2.2:0", 1, form);
    expect_bad("10.0.2.2:65535", 1, form);        /* enrollment would be port 65536 */
    expect_bad("10.0.2.2:99999999999", 1, form);  /* no overflow into a small port */
    expect_bad("1111.0.2.2:8443", 1, form);
    expect_bad("10.0.2.2:8443 ", 1, form);
    expect_bad(" 10.0.2.2:8443", 1, form);
    expect_bad("10.0.2.2:8443,", 2, form);
    expect_bad("10.0.2.2:8443,,10.0.2.2:9", 2, form);
    expect_bad("10.0.2.2:8443;10.0.2.2:9", 1, form);
    expect_bad("10.0.2.2:9,10.0.2.2:-1", 2, form);
    expect_bad("10.0.2.2:9,10.0.2.2:9", 2, "same gateway twice");
    printf("gateway list parser: %d passed, %d failed\n", pass, fail);
    return fail ? 1 : 0;
}
