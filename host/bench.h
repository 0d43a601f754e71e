/* Benchmarks: the suite of networks, time per training step on the device, on the CPU
 * comparator (the reference with CBLAS products) and on the scalar reference, the GEMM floor
 * (the step's products at OpenBLAS speed), per-kernel times from OpenCL profiling events, and
 * GFLOP/s of each matrix-product backend on the suite's shapes. */
#ifndef CT_BENCH_H
#define CT_BENCH_H

#include "model.h"

typedef struct ct_bench_net {
    const char *name; /* "a64" */
    int n_layers;
    int sizes[CT_MAX_LAYERS + 1];
    int batch;
    ct_loss loss;
} ct_bench_net;

/* The suite: a (784-256-128-10) at batch 64 and 256, b (100-50-10) b32,
 * c (1000-500-200-100-10) b256, d (10000-5000-1000-100) b1024, e (2-64-32-1) b64. */
int ct_bench_suite(const ct_bench_net **nets);

typedef struct ct_bench_step {
    double seconds; /* median time of one training step (NaN: skipped) */
    double spread;  /* (max - min) / median over the repeats */
    int repeats;
    double launches; /* kernels per step (device) */
} ct_bench_step;

/* Times training steps of net n on a backend (dev for OpenCL): warm-up, then `repeats` timed
 * runs of `steps` steps each, the device finished after each run; median per step. Adam, ReLU
 * hidden layers, random data. prof (CT_K_COUNT entries, may be NULL): kernel times per step. */
ct_status ct_bench_step_time(ct_backend backend, ct_device *dev, const ct_bench_net *n, int steps,
                             int repeats, ct_bench_step *out, struct ct_kernel_prof *prof,
                             char msg[CT_MSG_LEN]);

/* GFLOP/s of C = op(A) op(B) (M, N, K) on one device backend (median of repeats), or with
 * OpenBLAS sgemm when dev is NULL (NaN when CBLAS is not built in). */
ct_status ct_bench_gemm(ct_device *dev, ct_gemm_backend b, int M, int N, int K, int transA,
                        int transB, int repeats, double *gflops, char msg[CT_MSG_LEN]);

/* Seconds of one step's products (forward, weight and input gradients; no input gradient for
 * the first layer) at OpenBLAS sgemm speed: the floor a step is measured against. NaN without
 * CBLAS. */
double ct_bench_gemm_floor(const ct_bench_net *n, int repeats);

#endif
