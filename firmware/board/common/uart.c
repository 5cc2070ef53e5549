/* CMSDK APB UART (console). Polled transmit and receive. */
#include "board.h"
#include "board_config.h"
#include "board_int.h"

#define UART_DATA     (BOARD_UART0_BASE + 0x00u)
#define UART_STATE    (BOARD_UART0_BASE + 0x04u)
#define UART_CTRL     (BOARD_UART0_BASE + 0x08u)
#define UART_BAUDDIV  (BOARD_UART0_BASE + 0x10u)
#define STATE_TX_FULL 0x1u
#define STATE_RX_FULL 0x2u
#define CTRL_TX_EN    0x1u
#define CTRL_RX_EN    0x2u
#define CONSOLE_BAUD  115200u

void board_uart_init(void)
{
    REG32(UART_BAUDDIV) = BOARD_SYSCLK_HZ / CONSOLE_BAUD;
    REG32(UART_CTRL) = CTRL_TX_EN | CTRL_RX_EN;
}

static void uart_putc(char c)
{
    while (REG32(UART_STATE) & STATE_TX_FULL)
        ;
    REG32(UART_DATA) = (uint8_t)c;
}

void board_console_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            uart_putc('\r');
        uart_putc(s[i]);
    }
}

int board_console_getc(void)
{
    if (!(REG32(UART_STATE) & STATE_RX_FULL))
        return -1;
    return (int)(REG32(UART_DATA) & 0xffu);
}

void board_uart_puts_raw(const char *s)
{
    while (*s)
        uart_putc(*s++);
}

void board_uart_puthex_raw(uint32_t v)
{
    static const char hex[] = "0123456789abcdef";
    uart_putc('0');
    uart_putc('x');
    for (int i = 28; i >= 0; i -= 4)
        uart_putc(hex[(v >> i) & 0xfu]);
}
