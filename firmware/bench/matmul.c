/* Loop kernel: dense double-precision matrix multiply, repeated. */
#include "common.h"
#ifndef N
#define N 10
#endif
#define DIM 96
static double A[DIM][DIM], B[DIM][DIM], Cm[DIM][DIM];
EXPORT uint32_t run(void)
{
    int i, j, k, r;
    double sum = 0;
    for (i = 0; i < DIM; i++) for (j = 0; j < DIM; j++) { A[i][j] = (i * 3 + j) % 17 * 0.25; B[i][j] = (i + j * 5) % 13 * 0.5; }
    for (r = 0; r < N; r++) {
        for (i = 0; i < DIM; i++)
            for (j = 0; j < DIM; j++) {
                double s = 0;
                for (k = 0; k < DIM; k++) s += A[i][k] * B[k][j];
                Cm[i][j] = s;
            }
        A[r % DIM][r % DIM] += Cm[DIM - 1][DIM - 1] * 1e-9;
    }
    for (i = 0; i < DIM; i++) for (j = 0; j < DIM; j++) sum += Cm[i][j];
    return (uint32_t)(int64_t)sum;
}
