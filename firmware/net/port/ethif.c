/* lwIP netif on top of board_eth_*: one static frame buffer each way;
 * pbufs are copied in and out (the board API takes flat frames). */
#include <string.h>
#include "lwip/opt.h"
#include "lwip/pbuf.h"
#include "lwip/etharp.h"
#include "netif/ethernet.h"
#include "board.h"
#include "ethif.h"

#define ETHIF_MTU 1500u
#define ETHIF_MAX_RX_PER_POLL 8   /* bound the work done per main-loop pass */

static uint8_t tx_frame[BOARD_ETH_MAX_FRAME] __attribute__((aligned(4)));
static uint8_t rx_frame[BOARD_ETH_MAX_FRAME] __attribute__((aligned(4)));

static err_t ethif_output(struct netif *netif, struct pbuf *p)
{
    (void)netif;
    if (p->tot_len > sizeof tx_frame)
        return ERR_BUF;
    u16_t n = pbuf_copy_partial(p, tx_frame, p->tot_len, 0);
    return board_eth_send(tx_frame, n) == 0 ? ERR_OK : ERR_IF;
}

err_t ethif_init(struct netif *netif)
{
    uint8_t mac[6];
    if (board_eth_init(mac) != 0)
        return ERR_IF;
    memcpy(netif->hwaddr, mac, sizeof mac);
    netif->hwaddr_len = ETH_HWADDR_LEN;
    netif->mtu = ETHIF_MTU;
    netif->name[0] = 'e';
    netif->name[1] = 'n';
    netif->output = etharp_output;
    netif->linkoutput = ethif_output;
    netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
    return ERR_OK;
}

int ethif_poll(struct netif *netif)
{
    int delivered = 0;
    for (int i = 0; i < ETHIF_MAX_RX_PER_POLL; i++) {
        int len = board_eth_recv(rx_frame, sizeof rx_frame);
        if (len == 0)
            break;
        if (len < 0)
            continue;
        struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);
        if (p == NULL)
            continue;   /* out of rx buffers: drop */
        pbuf_take(p, rx_frame, (u16_t)len);
        if (netif->input(p, netif) != ERR_OK)
            pbuf_free(p);
        delivered++;
    }
    return delivered;
}
