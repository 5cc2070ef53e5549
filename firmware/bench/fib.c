/* Call-heavy: naive recursive Fibonacci. */
#include "common.h"
#ifndef N
#define N 30
#endif
static uint32_t fib(uint32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
/* volatile keeps the optimizer from folding the call away */
static volatile uint32_t arg = N;
EXPORT uint32_t run(void) { return fib(arg); }
