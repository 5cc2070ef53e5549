/* lwIP netif driver over the board Ethernet API (board_eth_*). */
#ifndef WASMBED_ETHIF_H
#define WASMBED_ETHIF_H
#include "lwip/netif.h"

/* netif_add() init callback. */
err_t ethif_init(struct netif *netif);
/* Move received frames into lwIP; call from the main loop. Returns the
 * number of frames delivered. */
int ethif_poll(struct netif *netif);
#endif
