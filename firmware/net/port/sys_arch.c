/* lwIP NO_SYS port: time base and assertion hook over the board API. */
#include <stdio.h>
#include "lwip/sys.h"
#include "board.h"

u32_t sys_now(void)
{
    return board_millis();
}

void net_port_assert(const char *msg, const char *file, int line)
{
    printf("lwIP assertion \"%s\" failed at %s:%d\n", msg, file, line);
    board_halt();
}
