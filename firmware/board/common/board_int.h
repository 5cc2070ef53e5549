/* Internal helpers shared by the board layer's files. */
#ifndef BOARD_INT_H
#define BOARD_INT_H
#include <stdint.h>

#define REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

void board_uart_init(void);
void board_uart_puts_raw(const char *s);      /* polled, usable from faults */
void board_uart_puthex_raw(uint32_t v);
#endif
