/* Boot smoke test: banner over the console UART, a few SysTick ticks. */
#include <stdio.h>
#include "board.h"

int main(void)
{
    board_init();
    printf("wasmbed board %s (%s) booted\n", board_name(), board_cpu());
    uint32_t t0 = board_millis();
    while (board_millis() - t0 < 50u)
        board_idle();
    board_leds_set(0x3u);
    printf("systick ok: %lu ms, switches 0x%lx\n", (unsigned long)(board_millis() - t0),
           (unsigned long)board_switches_get());
    printf("BOOT PASS\n");
    board_halt();
}
