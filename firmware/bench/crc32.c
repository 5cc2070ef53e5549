/* Loop kernel: table-driven CRC-32 (IEEE) over a pseudo-random buffer. */
#include "common.h"
#ifndef N
#define N 200
#endif
#define LEN 65536
static uint32_t table[256];
static uint8_t buf[LEN];
EXPORT uint32_t run(void)
{
    uint32_t i, k, r, x = 12345, crc = 0;
    for (i = 0; i < 256; i++) {
        uint32_t c = i;
        for (k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    for (i = 0; i < LEN; i++) { x = x * 1103515245u + 12345u; buf[i] = (uint8_t)(x >> 16); }
    for (r = 0; r < N; r++) {
        uint32_t c = 0xFFFFFFFFu ^ crc;
        for (i = 0; i < LEN; i++) c = table[(c ^ buf[i]) & 0xFF] ^ (c >> 8);
        crc = c ^ 0xFFFFFFFFu;
    }
    return crc;
}
