/* Statistics shared by the benchmark programs: the median of repeated timings, the
 * figure every benchmark here prints (this VM is too noisy for means). */
#ifndef PSLAB_BENCH_STATS_H
#define PSLAB_BENCH_STATS_H

#include <stdlib.h>

static inline int ps_bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Sorts v in place. */
static inline double ps_bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, ps_bench_cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

#endif
