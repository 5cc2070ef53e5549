/* Minimal Cortex-M3 start-up for the QEMU device smoke test: vector table,
 * .data/.bss set-up, then main() and a semihosting exit. */
#include <stdint.h>
#include <string.h>

extern uint32_t __etext, __data_start__, __data_end__, __bss_start__, __bss_end__, __StackTop;
extern int main(void);
extern void initialise_monitor_handles(void);
extern void _exit(int);

void Reset_Handler(void)
{
    memcpy(&__data_start__, &__etext, (size_t)((char *)&__data_end__ - (char *)&__data_start__));
    memset(&__bss_start__, 0, (size_t)((char *)&__bss_end__ - (char *)&__bss_start__));
    initialise_monitor_handles();
    _exit(main());
}

static void Fault_Handler(void) { for (;;) { } }

__attribute__((section(".isr_vector"), used))
static const void *const vectors[16] = {
    &__StackTop, (void *)Reset_Handler, (void *)Fault_Handler, (void *)Fault_Handler,
    (void *)Fault_Handler, (void *)Fault_Handler, (void *)Fault_Handler, 0, 0, 0, 0,
    (void *)Fault_Handler, (void *)Fault_Handler, 0, (void *)Fault_Handler, (void *)Fault_Handler
};
