/* Shared by the benchmark programs. Built freestanding for wasm32 (no libc)
 * and hosted for the native gcc baseline. Each benchmark defines
 * `uint32_t run(void)` returning a checksum; N (the workload size) is set
 * on the command line so the same source scales for every engine. */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H
typedef unsigned int uint32_t;
typedef int int32_t;
typedef unsigned long long uint64_t;
typedef long long int64_t;
typedef unsigned char uint8_t;
typedef unsigned short uint16_t;
typedef __SIZE_TYPE__ size_t;

#ifdef __wasm__
#define EXPORT __attribute__((export_name("run")))
/* clang may lower loops/struct copies to these; provide them. */
void *memset(void *d, int c, size_t n) { uint8_t *p = d; while (n--) *p++ = (uint8_t)c; return d; }
void *memcpy(void *d, const void *s, size_t n) { uint8_t *p = d; const uint8_t *q = s; while (n--) *p++ = *q++; return d; }
static inline double bench_sqrt(double x) { return __builtin_sqrt(x); }
#else
#define EXPORT
double sqrt(double);
static inline double bench_sqrt(double x) { return sqrt(x); }
#endif
#endif
