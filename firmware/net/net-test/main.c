/* net-test: boot, bring up the NIC, DHCP, TCP echo round trip with the host.
 * The echo server's port (and optionally address) comes from the
 * provisioning block (board_provisioning(): "echo_port=N", "echo_host=A.B.C.D");
 * without one, the build-time NET_TEST_PORT is used if defined.
 * Prints "NET-TEST PASS" or "NET-TEST FAIL: <reason>". Portable C99. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "board.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/dhcp.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "lwip/ip4_addr.h"
#include "netif/ethernet.h"
#include "ethif.h"

#define NET_TEST_TIMEOUT_MS 30000u
#define NET_TEST_DEFAULT_HOST "10.0.2.2"   /* QEMU user networking: the host */
#define ECHO_BUF_SIZE 128u

enum state { ST_DHCP, ST_CONNECTING, ST_WAIT_ECHO, ST_PASS, ST_FAIL };

static struct netif nif;
static enum state state = ST_DHCP;
static const char *fail_reason = "";
static char line[ECHO_BUF_SIZE];
static char echo[ECHO_BUF_SIZE];
static size_t echo_len;

static void fail(const char *why)
{
    if (state != ST_PASS && state != ST_FAIL) {
        fail_reason = why;
        state = ST_FAIL;
    }
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    (void)arg;
    if (p == NULL || err != ERR_OK) {
        if (p)
            pbuf_free(p);
        if (state == ST_WAIT_ECHO)
            fail("connection closed before the echo");
        tcp_close(pcb);
        return ERR_OK;
    }
    u16_t room = (u16_t)(sizeof echo - 1 - echo_len);
    u16_t n = pbuf_copy_partial(p, echo + echo_len, p->tot_len < room ? p->tot_len : room, 0);
    echo_len += n;
    echo[echo_len] = '\0';
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    if (strchr(echo, '\n') || echo_len == sizeof echo - 1) {
        printf("echo: %s", echo);
        if (echo[echo_len - 1] != '\n')
            printf("\n");
        if (strcmp(echo, line) == 0)
            state = ST_PASS;
        else
            fail("echo differs from the line sent");
        tcp_arg(pcb, NULL);
        tcp_recv(pcb, NULL);
        tcp_err(pcb, NULL);
        if (tcp_close(pcb) != ERR_OK)
            tcp_abort(pcb);
        return state == ST_PASS ? ERR_OK : ERR_ABRT;
    }
    return ERR_OK;
}

static void on_err(void *arg, err_t err)
{
    (void)arg;
    printf("tcp error %d\n", (int)err);
    fail("tcp error");
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
    (void)arg;
    if (err != ERR_OK) {
        fail("connect failed");
        return err;
    }
    printf("tcp connected\n");
    size_t n = strlen(line);
    if (tcp_write(pcb, line, (u16_t)n, TCP_WRITE_FLAG_COPY) != ERR_OK || tcp_output(pcb) != ERR_OK) {
        fail("tcp_write failed");
        return ERR_OK;
    }
    printf("sent: %s", line);
    state = ST_WAIT_ECHO;
    return ERR_OK;
}

int main(void)
{
    board_init();
    printf("\nwasmbed net-test on %s (%s), lwIP %s\n", board_name(), board_cpu(), LWIP_VERSION_STRING);

    char host_s[20] = NET_TEST_DEFAULT_HOST, port_s[8] = "";
    const char *prov = board_provisioning();
    if (prov) {
        board_prov_get(prov, "echo_host", host_s, sizeof host_s);
        board_prov_get(prov, "echo_port", port_s, sizeof port_s);
        printf("provisioning block found\n");
    }
#ifdef NET_TEST_PORT
    if (port_s[0] == '\0')
        snprintf(port_s, sizeof port_s, "%u", (unsigned)NET_TEST_PORT);
#endif
    ip4_addr_t host;
    long port = strtol(port_s, NULL, 10);
    if (port <= 0 || port > 65535 || !ip4addr_aton(host_s, &host)) {
        printf("NET-TEST FAIL: no echo server address (provisioning block missing?)\n");
        board_halt();
    }
    printf("echo server %s:%ld\n", host_s, port);
    snprintf(line, sizeof line, "hello from %s\n", board_name());

    lwip_init();
    if (netif_add(&nif, IP4_ADDR_ANY4, IP4_ADDR_ANY4, IP4_ADDR_ANY4, NULL, ethif_init,
                  ethernet_input) == NULL) {
        printf("NET-TEST FAIL: Ethernet controller not found\n");
        board_halt();
    }
    board_rand_seed((uint32_t)nif.hwaddr[5] << 8 | nif.hwaddr[4]);
    netif_set_hostname(&nif, "wasmbed");
    netif_set_default(&nif);
    netif_set_up(&nif);
    netif_set_link_up(&nif);
    printf("eth: mac %02x:%02x:%02x:%02x:%02x:%02x, link %s\n", nif.hwaddr[0], nif.hwaddr[1],
           nif.hwaddr[2], nif.hwaddr[3], nif.hwaddr[4], nif.hwaddr[5],
           board_eth_link_up() ? "up" : "down");
    dhcp_start(&nif);

    uint32_t t0 = board_millis();
    while (state != ST_PASS && state != ST_FAIL) {
        int busy = ethif_poll(&nif);
        sys_check_timeouts();
        if (state == ST_DHCP && dhcp_supplied_address(&nif)) {
            printf("dhcp: ip %s", ip4addr_ntoa(netif_ip4_addr(&nif)));
            printf(" mask %s", ip4addr_ntoa(netif_ip4_netmask(&nif)));
            printf(" gw %s (%lu ms)\n", ip4addr_ntoa(netif_ip4_gw(&nif)),
                   (unsigned long)(board_millis() - t0));
            struct tcp_pcb *pcb = tcp_new();
            if (pcb == NULL) {
                fail("tcp_new");
                break;
            }
            tcp_err(pcb, on_err);
            tcp_recv(pcb, on_recv);
            state = ST_CONNECTING;
            if (tcp_connect(pcb, &host, (u16_t)port, on_connected) != ERR_OK)
                fail("tcp_connect");
        }
        if (board_millis() - t0 > NET_TEST_TIMEOUT_MS)
            fail(state == ST_DHCP ? "timeout waiting for DHCP" : "timeout waiting for the echo");
        if (!busy)
            board_idle();
    }
    /* Let the FIN go out. */
    uint32_t t1 = board_millis();
    while (board_millis() - t1 < 100u) {
        ethif_poll(&nif);
        sys_check_timeouts();
        board_idle();
    }
    if (state == ST_PASS)
        printf("NET-TEST PASS (%lu ms)\n", (unsigned long)(board_millis() - t0));
    else
        printf("NET-TEST FAIL: %s\n", fail_reason);
    board_halt();
}
