/* newlib hooks. stdout/stderr go to the console UART. newlib's stdio may
 * allocate its FILE state once at boot; that comes from a small fixed arena
 * which is sealed at the end of board_init, so any later malloc fails. */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include "board.h"

#define BOARD_HEAP_SIZE 1024u   /* newlib stdio boot-time allocations only */

static uint8_t heap[BOARD_HEAP_SIZE] __attribute__((aligned(8)));
static size_t heap_used;
static int heap_sealed;

void *_sbrk(ptrdiff_t incr)
{
    if (heap_sealed || incr < 0 || (size_t)incr > BOARD_HEAP_SIZE - heap_used) {
        errno = ENOMEM;
        return (void *)-1;
    }
    void *p = &heap[heap_used];
    heap_used += (size_t)incr;
    return p;
}

void board_stdio_init(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    setvbuf(stderr, NULL, _IONBF, 0);
    heap_sealed = 1;
}

size_t board_heap_used(void) { return heap_used; }

int _write(int fd, const char *buf, int len)
{
    if (fd != 1 && fd != 2) {
        errno = EBADF;
        return -1;
    }
    board_console_write(buf, (size_t)len);
    return len;
}

int _read(int fd, char *buf, int len)
{
    (void)fd; (void)buf; (void)len;
    return 0;
}

int _close(int fd) { (void)fd; return -1; }
int _fstat(int fd, struct stat *st) { (void)fd; st->st_mode = S_IFCHR; return 0; }
int _isatty(int fd) { (void)fd; return 1; }
int _lseek(int fd, int off, int whence) { (void)fd; (void)off; (void)whence; return 0; }
int _getpid(void) { return 1; }
int _kill(int pid, int sig) { (void)pid; (void)sig; errno = EINVAL; return -1; }
void _exit(int code) { (void)code; board_halt(); }
