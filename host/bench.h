/* Benchmarks: the suite of networks, time per training step on the device, on the CPU
 * comparator (the reference with CBLAS products) and on the scalar reference, the GEMM floor
 * (the step's products at OpenBLAS speed), per-kernel times from OpenCL profiling events, and
 * GFLOP/s of each matrix-product backend on the suite's shapes. */
#ifndef CT_BENCH_H
#define CT_BENCH_H

#include "model.h"

/* The benchmark API is public: see cltrain_tools.h. Shared with the tuner: */
/* seconds on the monotonic clock */
double ct_bench_now(void);
/* the median of v[0..n) (sorts v in place; the mean of the middle two when n is even) */
double ct_bench_median(double *v, int n);

#endif
