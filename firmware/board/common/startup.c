/* Cortex-M startup shared by all MPS2 boards (ARMv7-M and ARMv8-M Mainline):
 * vector table, .data copy, .bss clear, fault reporting. */
#include <stdint.h>
#include "board.h"
#include "board_config.h"
#include "board_int.h"

extern uint32_t __data_start[], __data_end[], __data_load[];
extern uint32_t __bss_start[], __bss_end[], __stack_top[];
extern int main(void);

void Reset_Handler(void);
void SysTick_Handler(void);
static void Default_Handler(void);
static void Fault_Handler(void);

typedef void (*vector_fn)(void);

/* 16 system exceptions, then the board's external interrupts (all unused:
 * the drivers poll, SysTick is the only interrupt enabled). */
__attribute__((section(".vectors"), used))
const vector_fn board_vectors[16 + BOARD_NUM_IRQ] = {
    [0] = (vector_fn)(uintptr_t)__stack_top,
    [1] = Reset_Handler,
    [2] = Default_Handler,   /* NMI */
    [3] = Fault_Handler,     /* HardFault */
    [4] = Fault_Handler,     /* MemManage */
    [5] = Fault_Handler,     /* BusFault */
    [6] = Fault_Handler,     /* UsageFault */
    [7] = Fault_Handler,     /* SecureFault (ARMv8-M) */
    [11] = Default_Handler,  /* SVCall */
    [12] = Default_Handler,  /* DebugMon */
    [14] = Default_Handler,  /* PendSV */
    [15] = SysTick_Handler,
};

void Reset_Handler(void)
{
    uint32_t *src = __data_load, *dst = __data_start;
    while (dst < __data_end)
        *dst++ = *src++;
    for (dst = __bss_start; dst < __bss_end; dst++)
        *dst = 0;
    /* The vector table is linked at the start of FLASH; point VTOR there. */
    *(volatile uint32_t *)0xE000ED08u = (uint32_t)(uintptr_t)board_vectors;
    __asm volatile("dsb\n isb");
    main();
    board_halt();
}

static void Default_Handler(void)
{
    board_uart_puts_raw("\r\n*** unexpected exception\r\n");
    for (;;)
        __asm volatile("wfi");
}

static void Fault_Handler(void)
{
    uint32_t ipsr;
    __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
    board_uart_puts_raw("\r\n*** fault, exception ");
    board_uart_puthex_raw(ipsr & 0x1ffu);
    board_uart_puts_raw(" CFSR ");
    board_uart_puthex_raw(*(volatile uint32_t *)0xE000ED28u);
    board_uart_puts_raw(" HFSR ");
    board_uart_puthex_raw(*(volatile uint32_t *)0xE000ED2Cu);
    board_uart_puts_raw("\r\n");
    for (;;)
        __asm volatile("wfi");
}
