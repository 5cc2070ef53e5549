/* SMSC LAN9118 Ethernet controller, polled, PIO through the FIFOs.
 * Written from the register description in the LAN9118 datasheet. */
#include <string.h>
#include "board.h"
#include "board_config.h"
#include "board_int.h"

#define ETH(off) REG32(BOARD_ETH_BASE + (off))

/* Directly addressed registers. */
#define RX_DATA_FIFO   0x00u
#define TX_DATA_FIFO   0x20u
#define RX_STATUS_FIFO 0x40u
#define ID_REV         0x50u
#define IRQ_CFG        0x54u
#define INT_STS        0x58u
#define INT_EN         0x5Cu
#define BYTE_TEST      0x64u
#define RX_CFG         0x6Cu
#define TX_CFG         0x70u
#define HW_CFG         0x74u
#define RX_DP_CTRL     0x78u
#define RX_FIFO_INF    0x7Cu
#define TX_FIFO_INF    0x80u
#define PMT_CTRL       0x84u
#define MAC_CSR_CMD    0xA4u
#define MAC_CSR_DATA   0xA8u
#define AFC_CFG        0xACu

#define BYTE_TEST_VALUE   0x87654321u
#define HW_CFG_SRST       (1u << 0)
#define HW_CFG_MBO        (1u << 20)
#define PMT_CTRL_READY    (1u << 0)
#define TX_CFG_TX_ON      (1u << 1)
#define TX_CFG_TXSAO      (1u << 2)   /* TX status may overrun: we never read it */
#define RX_DP_FFWD        (1u << 31)
#define CSR_BUSY          (1u << 31)
#define CSR_READ          (1u << 30)

/* MAC CSRs, reached through MAC_CSR_CMD/DATA. */
#define MAC_CR   1u
#define ADDRH    2u
#define ADDRL    3u
#define MII_ACC  6u
#define MII_DATA 7u
#define MAC_CR_RXEN (1u << 2)
#define MAC_CR_TXEN (1u << 3)
#define MII_BUSY    (1u << 0)
#define MII_WRITE   (1u << 1)
#define PHY_ADDR    1u
#define PHY_BMCR    0u
#define PHY_BMSR    1u
#define BMSR_LINK   (1u << 2)

/* TX command words. */
#define TXA_FIRST_SEG (1u << 13)
#define TXA_LAST_SEG  (1u << 12)

/* RX status word. */
#define RXS_LEN_SHIFT 16
#define RXS_LEN_MASK  0x3FFFu
#define RXS_ERROR     (1u << 15)

#define SPIN_LIMIT 100000u

static int mac_wait(void)
{
    for (uint32_t i = 0; i < SPIN_LIMIT; i++)
        if (!(ETH(MAC_CSR_CMD) & CSR_BUSY))
            return 0;
    return -1;
}

static uint32_t mac_read(uint32_t reg)
{
    mac_wait();
    ETH(MAC_CSR_CMD) = CSR_BUSY | CSR_READ | (reg & 0xffu);
    mac_wait();
    return ETH(MAC_CSR_DATA);
}

static void mac_write(uint32_t reg, uint32_t val)
{
    mac_wait();
    ETH(MAC_CSR_DATA) = val;
    ETH(MAC_CSR_CMD) = CSR_BUSY | (reg & 0xffu);
    mac_wait();
}

static uint32_t phy_read(uint32_t reg)
{
    for (uint32_t i = 0; i < SPIN_LIMIT && (mac_read(MII_ACC) & MII_BUSY); i++)
        ;
    mac_write(MII_ACC, (PHY_ADDR << 11) | (reg << 6) | MII_BUSY);
    for (uint32_t i = 0; i < SPIN_LIMIT && (mac_read(MII_ACC) & MII_BUSY); i++)
        ;
    return mac_read(MII_DATA) & 0xffffu;
}

int board_eth_init(uint8_t mac[6])
{
    if (ETH(BYTE_TEST) != BYTE_TEST_VALUE)
        return -1;
    ETH(HW_CFG) = HW_CFG_SRST;
    uint32_t i;
    for (i = 0; i < SPIN_LIMIT && (ETH(HW_CFG) & HW_CFG_SRST); i++)
        ;
    for (i = 0; i < SPIN_LIMIT && !(ETH(PMT_CTRL) & PMT_CTRL_READY); i++)
        ;
    if (i == SPIN_LIMIT)
        return -1;
    ETH(HW_CFG) = HW_CFG_MBO | (5u << 16);   /* default 5 KB TX FIFO */
    ETH(INT_EN) = 0;
    ETH(INT_STS) = 0xFFFFFFFFu;
    ETH(IRQ_CFG) = 0;

    /* The MAC address comes from the board (QEMU: -nic ...,mac=). */
    uint32_t lo = mac_read(ADDRL), hi = mac_read(ADDRH);
    if ((lo == 0 && (hi & 0xffffu) == 0) || (lo == 0xFFFFFFFFu && (hi & 0xffffu) == 0xffffu)) {
        lo = 0x12005402u;     /* 02:54:00:12:xx: locally administered */
        hi = 0x5634u;
        mac_write(ADDRL, lo);
        mac_write(ADDRH, hi);
    }
    mac[0] = (uint8_t)lo; mac[1] = (uint8_t)(lo >> 8);
    mac[2] = (uint8_t)(lo >> 16); mac[3] = (uint8_t)(lo >> 24);
    mac[4] = (uint8_t)hi; mac[5] = (uint8_t)(hi >> 8);

    (void)phy_read(PHY_BMCR);
    ETH(RX_CFG) = 0;                       /* no offset, 4-byte end alignment */
    ETH(TX_CFG) = TX_CFG_TX_ON | TX_CFG_TXSAO;
    mac_write(MAC_CR, MAC_CR_TXEN | MAC_CR_RXEN);
    return 0;
}

int board_eth_link_up(void)
{
    return (phy_read(PHY_BMSR) & BMSR_LINK) != 0;
}

int board_eth_send(const void *frame, size_t len)
{
    const uint8_t *p = frame;
    if (len == 0 || len > BOARD_ETH_MAX_FRAME)
        return -1;
    uint32_t words = ((uint32_t)len + 3u) / 4u;
    /* Wait for room: 2 command words plus the data. */
    uint32_t i;
    for (i = 0; i < SPIN_LIMIT && (ETH(TX_FIFO_INF) & 0xffffu) < words * 4u + 8u; i++)
        ;
    if (i == SPIN_LIMIT)
        return -1;
    ETH(TX_DATA_FIFO) = TXA_FIRST_SEG | TXA_LAST_SEG | (uint32_t)len;
    ETH(TX_DATA_FIFO) = ((uint32_t)len << 16) | (uint32_t)len;  /* tag = length */
    for (uint32_t w = 0; w < words; w++) {
        uint32_t v = 0;
        size_t n = len - w * 4u < 4u ? len - w * 4u : 4u;
        memcpy(&v, p + w * 4u, n);
        ETH(TX_DATA_FIFO) = v;
    }
    return 0;
}

int board_eth_recv(void *buf, size_t cap)
{
    if (((ETH(RX_FIFO_INF) >> 16) & 0xffu) == 0)
        return 0;
    uint32_t st = ETH(RX_STATUS_FIFO);
    uint32_t len = (st >> RXS_LEN_SHIFT) & RXS_LEN_MASK;   /* includes 4-byte FCS */
    uint32_t words = (len + 3u) / 4u;
    int bad = (st & RXS_ERROR) || len < 4u || len - 4u > cap;
    uint8_t *p = buf;
    for (uint32_t w = 0; w < words; w++) {
        uint32_t v = ETH(RX_DATA_FIFO);
        if (!bad) {
            uint32_t off = w * 4u;
            uint32_t n = len - 4u > off ? len - 4u - off : 0u;
            if (n > 4u)
                n = 4u;
            memcpy(p + off, &v, n);
        }
    }
    return bad ? -1 : (int)(len - 4u);
}
