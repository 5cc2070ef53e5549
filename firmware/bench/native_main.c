/* Native baseline driver: calls run() and prints the result like
 * wasm-interp does ("run() => i32:N"). */
#include <stdio.h>
unsigned int run(void);
int main(void) { printf("run() => i32:%u\n", run()); return 0; }
