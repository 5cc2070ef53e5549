/* lwIP configuration for Wasmbed: NO_SYS=1 (raw API, one thread, polled),
 * IPv4 + DHCP + TCP + UDP, every pool sized by a named constant here.
 * Static RAM for lwIP is roughly MEM_SIZE + PBUF pool + the memp pools. */
#ifndef WASMBED_LWIPOPTS_H
#define WASMBED_LWIPOPTS_H

#define NO_SYS                     1
#define SYS_LIGHTWEIGHT_PROT       0   /* lwIP is never called from an IRQ */
#define LWIP_SOCKET                0
#define LWIP_NETCONN               0
#define LWIP_TIMERS                1

/* Memory: no libc malloc, no malloc'd pools; everything is static arrays. */
#define MEM_LIBC_MALLOC            0
#define MEMP_MEM_MALLOC            0
#define MEM_ALIGNMENT              4
#define MEM_SIZE                   (6 * 1024)  /* heap for PBUF_RAM (tx) */
#define PBUF_POOL_SIZE             8           /* rx buffers */
#define PBUF_POOL_BUFSIZE          LWIP_MEM_ALIGN_SIZE(TCP_MSS + 40 + PBUF_LINK_ENCAPSULATION_HLEN + PBUF_LINK_HLEN)
#define MEMP_NUM_PBUF              8           /* PBUF_ROM/REF */
#define MEMP_NUM_UDP_PCB           2           /* DHCP + one spare */
#define MEMP_NUM_TCP_PCB           3
#define MEMP_NUM_TCP_PCB_LISTEN    1
#define MEMP_NUM_TCP_SEG           8
#define MEMP_NUM_REASSDATA         0
#define MEMP_NUM_FRAG_PBUF         0
#define MEMP_NUM_ARP_QUEUE         4
#define ARP_TABLE_SIZE             4
#define ARP_QUEUEING               1

/* Protocols. */
#define LWIP_IPV4                  1
#define LWIP_IPV6                  0
#define LWIP_ARP                   1
#define LWIP_ETHERNET              1
#define LWIP_ICMP                  1
#define LWIP_RAW                   0
#define LWIP_UDP                   1
#define LWIP_TCP                   1
#define LWIP_DHCP                  1
#define LWIP_AUTOIP                0
#define LWIP_IGMP                  0
#define LWIP_DNS                   0
#define IP_REASSEMBLY              0
#define IP_FRAG                    0
#define LWIP_DHCP_DOES_ACD_CHECK   0
#define DHCP_DOES_ARP_CHECK        0

/* TCP sizing. */
#define TCP_MSS                    536
#define TCP_WND                    (2 * TCP_MSS)
#define TCP_SND_BUF                (2 * TCP_MSS)
#define TCP_SND_QUEUELEN           (4 * TCP_SND_BUF / TCP_MSS)
#define LWIP_TCP_KEEPALIVE         1

/* netif. */
#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_NETIF_LINK_CALLBACK   1
#define LWIP_NETIF_HOSTNAME        1
#define LWIP_SINGLE_NETIF          1

/* No statistics, no debug output; keep assertions. */
#define LWIP_STATS                 0
#define LWIP_STATS_DISPLAY         0
#define LWIP_DEBUG                 0
#define LWIP_NOASSERT_ON_ERROR     0

#define LWIP_RAND()                board_rand()
#include "board.h"

#endif
