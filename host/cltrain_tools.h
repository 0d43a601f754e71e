/* cltrain tools: the benchmark suite, the device self-test and the matrix-product tuning
 * behind `cltrain bench` and `cltrain selftest`, for programs that want to time or check a
 * device the same way. Builds on cltrain.h; installed beside it. */
#ifndef CLTRAIN_TOOLS_H
#define CLTRAIN_TOOLS_H

#include <stdint.h>

#include "cltrain.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- engines and kernels ---------------------------------------------------------------- */

typedef enum ct_backend {
    CT_BACKEND_OPENCL = 0, /* the device */
    CT_BACKEND_REFERENCE,  /* host/ref.c, double precision */
    CT_BACKEND_CPU         /* the reference with its matrix products by CBLAS (OpenBLAS) in
                            * double precision: the CPU comparator of the benchmarks */
} ct_backend;

/* 1 when the CPU comparator (CBLAS) was built in. */
CT_API int ct_have_cblas(void);

/* Kernels of the device program: ids 0 .. ct_kernel_count() - 1 and their names. */
CT_API int ct_kernel_count(void);
CT_API const char *ct_kernel_name(int id);

/* Warming the driver's kernel cache from a second process, so that a cold first training step
 * compiles its kernels on two cores (PoCL compiles one kernel at a time per program in a
 * process; see ct_train_options.on_plan). ct_device_warm_wanted: whether dev is PoCL on a CPU
 * with its kernel cache on and two or more compute units, its program was not in that cache
 * (it took long to build), and CLTRAIN_PREWARM is not 0. ct_device_warm_plan: launches the
 * kernels of a plan (on_plan's text: a line "kernel dims l0 l1 l2" each) from the last line to
 * the first, with every argument zero (each kernel returns at once), so that each is compiled
 * into the cache; *launched tells how many ran. A line that does not parse is an error naming
 * it. */
CT_API int ct_device_warm_wanted(const ct_device *dev);
/* Before the device is opened: whether the device `selector` picks (as ct_device_create does) is
 * such a device and PoCL's kernel cache folder is empty or absent (a first run: a helper started
 * now builds its program beside the caller's). */
CT_API int ct_device_warm_early(const char *selector);
CT_API ct_status ct_device_warm_plan(ct_device *dev, const char *plan, int *launched,
                                     char msg[CT_MSG_LEN]);

/* Kernel profiling from OpenCL events (for benchmarks): on / off, and a report of the launches
 * since it was turned on: per kernel, launches and device time (finishes the queue). */
typedef struct ct_kernel_prof {
    unsigned long long launches;
    double seconds;
} ct_kernel_prof;
CT_API ct_status ct_device_profile(ct_device *dev, int on);
/* out: ct_kernel_count() entries. */
CT_API ct_status ct_device_profile_read(ct_device *dev, ct_kernel_prof *out);

/* ---- kernel shapes ------------------------------------------------------------------------ */
/* The shape of the CPU-shaped product (kernels/gemm_cpu.cl) and of the elementwise kernels,
 * built into a device's program as -D defines. Chosen per device, first found of:
 * CLTRAIN_KERNEL_CONFIG ("vw=8,rm=6,nv=2": any subset of the fields), the tuner's measured
 * winner in the tuning file, and defaults from the device's properties (its native float vector
 * width, the vector registers that implies, CPU or not). Every shape gives the same bits: each
 * product output is the same fma chain over k = 0..K-1 in order. */
typedef struct ct_kernel_config {
    int vw;    /* floats per vector of the product: 4, 8 or 16 */
    int rm;    /* rows of C per work-item of the product: 1..16 */
    int nv;    /* vectors per row: 1..4 (a panel of B is vw * nv columns) */
    int block; /* row tiles per block of the product (a block runs across every panel): 1..64 */
    int ew;    /* elements per work-item of the activation kernels: 1, 2, 4, 8, 16, 32 */
    /* the own (GPU-class) product's tile: ogm x ogn outputs of C per work-group, ogk deep in
     * local memory, ogwm x ogwn outputs per work-item (ogm, ogn multiples of ogwm, ogwn) */
    int ogm, ogn, ogk, ogwm, ogwn;
} ct_kernel_config;
/* The device's shape and where it came from: "default", "tuned" or "CLTRAIN_KERNEL_CONFIG". */
CT_API void ct_device_kernel_config(const ct_device *dev, ct_kernel_config *out,
                                    const char **origin);
/* Rebuilds the device's program with another shape (checked first; CT_ERR_ARG names the field). */
CT_API ct_status ct_device_set_kernel_config(ct_device *dev, const ct_kernel_config *c);
/* The shapes a tuner should try on this device (the default first), at most max; their count. */
CT_API int ct_kernel_config_candidates(const ct_device *dev, ct_kernel_config *out, int max);
/* "vw=8,rm=6,nv=2,block=16,ew=16" */
CT_API void ct_kernel_config_format(const ct_kernel_config *c, char *dst, size_t n);
/* Reads "key=value" pairs separated by commas into c (fields not named keep their value). */
CT_API ct_status ct_kernel_config_parse(const char *s, ct_kernel_config *c, char msg[CT_MSG_LEN]);

/* ---- matrix-product tuning ---------------------------------------------------------------- */

/* Tuning of the matrix-product choice: one entry per shape class of a device. */
typedef struct ct_gemm_tuned {
    unsigned key; /* ct_gemm_class() */
    ct_gemm_backend backend;
} ct_gemm_tuned;

/* The shape class of a product: transposes and the log2 bucket of M, N and K. */
CT_API unsigned ct_gemm_class(int M, int N, int K, int transA, int transB);
/* The tuning file of this device: $CLTRAIN_TUNE_FILE, else ~/.cache/cltrain/gemm-<hash>.txt
 * (hash of platform, device, driver and kernel source). It holds the kernel shape and the
 * backend of each shape class. */
CT_API void ct_gemm_tune_path(const ct_device *dev, char *dst, size_t n);
/* Replaces the tuned table (and, when save, writes the tuning file with it and the device's
 * present kernel shape). */
CT_API ct_status ct_gemm_set_tuned(ct_device *dev, const ct_gemm_tuned *t, int n, int save);

/* ---- benchmarks ------------------------------------------------------------------------- */

typedef struct ct_bench_net {
    const char *name; /* "a64" */
    int n_layers;
    int sizes[CT_MAX_LAYERS + 1];
    int batch;
    ct_loss loss;
} ct_bench_net;

/* The suite: a (784-256-128-10) at batch 64 and 256, b (100-50-10) b32,
 * c (1000-500-200-100-10) b256, d (10000-5000-1000-100) b1024, e (2-64-32-1) b64. */
CT_API int ct_bench_suite(const ct_bench_net **nets);

typedef struct ct_bench_step {
    double seconds; /* median time of one training step (NaN: skipped) */
    double spread;  /* (max - min) / median over the repeats */
    int repeats;
    double launches; /* kernels per step (device) */
} ct_bench_step;

/* Times training steps of net n on a backend (dev for OpenCL): warm-up, then `repeats` timed
 * runs of `steps` steps each, the device finished after each run; median per step. Adam, ReLU
 * hidden layers, random data. prof (CT_K_COUNT entries, may be NULL): kernel times per step. */
CT_API ct_status ct_bench_step_time(ct_backend backend, ct_device *dev, const ct_bench_net *n,
                                    int steps, int repeats, ct_bench_step *out,
                                    struct ct_kernel_prof *prof, char msg[CT_MSG_LEN]);

/* GFLOP/s of C = op(A) op(B) (M, N, K) on one device backend (median of repeats), or with
 * OpenBLAS sgemm when dev is NULL (NaN when CBLAS is not built in). */
CT_API ct_status ct_bench_gemm(ct_device *dev, ct_gemm_backend b, int M, int N, int K, int transA,
                               int transB, int repeats, double *gflops, char msg[CT_MSG_LEN]);

/* One matrix product of a training step of a net of the suite: C (M, N) = op(A) op(B), K
 * inner. kind 0: layer's forward (B, out) = X W^T; 1: weight gradient (out, in) = dY^T X;
 * 2: input gradient (B, in) = dY W (none for the first layer). */
typedef struct ct_bench_product {
    int net; /* index into the nets given */
    int layer, kind;
    int M, N, K, transA, transB;
} ct_bench_product;
/* The products of the nets k with want[k] != 0 (want NULL: all), in order, each distinct
 * shape (M, N, K, transA, transB) once, under the first net that has it (a64 and a256 share
 * their layers, not their shapes: the batch is in every product). Fills out[0 .. cap) and
 * returns the count (which may exceed cap). */
CT_API int ct_bench_products(const ct_bench_net *nets, int n_nets, const int *want,
                             ct_bench_product *out, int cap);

/* Seconds of one step's products (forward, weight and input gradients; no input gradient for
 * the first layer) at OpenBLAS sgemm speed: the floor a step is measured against. NaN without
 * CBLAS. */
CT_API double ct_bench_gemm_floor(const ct_bench_net *n, int repeats);
/* The device's ceilings: the FMA peak and the copy bandwidth (read + write counted) of two
 * arrays of copy_bytes each (the copy is checked). A CPU device runs on this host, so its
 * ceilings are measured with native code (ct_bench_native_peak, ct_bench_native_copy; threads:
 * its compute units); any other device with small kernels of its own vector width (16
 * independent fma chains per work-item; a vector copy). The methods say which. */
typedef struct ct_bench_ceiling {
    double fma_gflops;
    double copy_gbps;
    int vector_width;     /* floats per vector the measurement used */
    int threads;          /* host threads (native), 0 for kernels */
    double copy_bytes;    /* bytes of each array of the copy (all threads together) */
    char fma_method[128]; /* how each was measured: "native AVX2+FMA, 2 threads x 12 chains of
                           * 8 floats, best of 21" or "kernel peak_fma, float8" */
    char copy_method[128];
} ct_bench_ceiling;
CT_API ct_status ct_bench_ceilings(ct_device *dev, size_t copy_bytes, ct_bench_ceiling *out,
                                   char msg[CT_MSG_LEN]);
/* The host CPU's FMA peak measured natively: the widest FMA vectors it has (AVX-512F, else
 * AVX+FMA, else AVX or SSE multiply-add; NEON on 64-bit ARM), chosen at run time, on `threads`
 * threads at once, each running enough independent chains to cover the FMA latency; the best of
 * 21 timings of about 10 ms. Fills fma_gflops, vector_width, threads, fma_method. */
CT_API ct_status ct_bench_native_peak(int threads, ct_bench_ceiling *out, char msg[CT_MSG_LEN]);
/* The host's copy bandwidth measured natively on `threads` threads, each copying its share of
 * two arrays of copy_bytes (vector loads and stores of the same width, and memcpy: the faster
 * counts; the best of 11 timings; the copies are checked). Fills copy_gbps, copy_bytes, threads,
 * copy_method. */
CT_API ct_status ct_bench_native_copy(int threads, size_t copy_bytes, ct_bench_ceiling *out,
                                      char msg[CT_MSG_LEN]);
/* Bytes of the host's caches: a core's level-1 data cache and level-2 cache, and the last level
 * (sysfs, else sysconf; 32 KiB, 256 KiB and 32 MiB when neither says). */
CT_API void ct_bench_cache_sizes(size_t *l1, size_t *l2, size_t *llc);

/* ---- the tuner -------------------------------------------------------------------------- */
typedef struct ct_tune_result {
    ct_kernel_config before, best; /* the untuned shape and the one chosen */
    double default_seconds;        /* a step's products (proxies clipped to 2048) untuned */
    double best_seconds;           /* the same with the fastest product shape */
    int tried;                     /* shapes measured */
    int classes;                   /* product shape classes given a backend */
    double seconds;                /* the whole tuning */
} ct_tune_result;
/* Called with one progress line per measurement. */
typedef void (*ct_tune_progress)(void *user, const char *line);
/* Measures the device's kernel shapes (ct_kernel_config_candidates) on the products and
 * elementwise sizes of a training step of each net, keeps the fastest (products first, then
 * elements per item), then the fastest backend of each product's shape class under it. Stops
 * trying shapes when budget_s is spent. The device keeps the result; with save, the tuning file
 * too (ct_gemm_tune_path), which later devices of this driver and kernel source load. */
CT_API ct_status ct_tune(ct_device *dev, const ct_bench_net *nets, int n_nets, double budget_s,
                         int save, ct_tune_progress progress, void *user, ct_tune_result *out);

/* ---- device-versus-reference checks ------------------------------------------------------ */

/* Run a kernel on fresh random inputs, run the scalar reference on the same inputs, compare.
 * Outputs are poisoned with NaN before each launch so an element the kernel does not write
 * fails. */
typedef enum ct_check_op {
    CT_CHECK_GEMM = 0,
    CT_CHECK_DENSE_FORWARD,
    CT_CHECK_DENSE_BACKWARD_WEIGHT,
    CT_CHECK_DENSE_BACKWARD_INPUT,
    CT_CHECK_BIAS_ACT_FORWARD,
    CT_CHECK_ACT_FORWARD,
    CT_CHECK_ACT_BACKWARD,
    CT_CHECK_BIAS_BACKWARD,
    CT_CHECK_LOSS,
    CT_CHECK_DROPOUT_FORWARD,
    CT_CHECK_DROPOUT_BACKWARD,
    CT_CHECK_OPTIM,
    CT_CHECK_SUM_SQUARES,
    CT_CHECK_REDUCE_SUM,
    CT_CHECK_GATHER_ROWS,
    CT_CHECK_ARGMAX_CORRECT,
    CT_CHECK_BINARY_CORRECT,
    CT_CHECK_FILL,
    CT_CHECK_SCALE,
    CT_CHECK_GATHER_PERM,
    CT_CHECK_AXPY,
    CT_CHECK_DEAD_UNITS, /* B = M, N = N */
    CT_CHECK_ACT_BIAS_BACKWARD, /* B = M, N = N, beta: the fused pass, against the reference
                                 * and bit for bit against act_backward then bias_backward */
    /* normalization (ops.h), B = M, N = N, eps = delta (0: 1e-5); Z has an offset per row and
     * per column, and the statistics given to an op are the reference's of Z */
    CT_CHECK_BN_MOMENT,         /* centered = transA, scale = alpha (0: 1 / B) */
    CT_CHECK_LN_STATS,          /* mean and var of each row */
    CT_CHECK_NORM_APPLY,        /* act, alpha, per_row = transA */
    CT_CHECK_NORM_PARAM_GRADS,  /* act, alpha, per_row = transA */
    CT_CHECK_BN_BACKWARD_INPUT, /* act, alpha, the statistics' batch M = K (0: constant
                                 * statistics), in place (dZ is dA) = transB */
    CT_CHECK_LN_BACKWARD_INPUT, /* act, alpha, in place = transB */
    CT_CHECK_BN_RUNNING,        /* statistics of B rows; M = K (0: B), momentum = beta (0: 0.1) */
    CT_CHECK_COUNT
} ct_check_op;

/* One case. Fields an op does not use are ignored. */
typedef struct ct_check_case {
    ct_check_op op;
    int M, N, K;          /* gemm: sizes; dense: B = M, in = K, out = N; 2-D ops: B = M, N;
                           * 1-D ops: n = N; loss: B = M, C = N, K = 1 for the loss alone;
                           * gather_rows: B = M, F = N, rows = K;
                           * gather_perm: B = M, F = N, n = K, start = step, shuffle = layer */
    int transA, transB;   /* gemm */
    float beta;           /* gemm, dense_backward_weight, bias_backward, loss, reduce_sum */
    ct_gemm_backend gemm; /* products: the backend to force (AUTO: the device's choice) */
    ct_act act;
    float alpha; /* activation parameter; gemm and reduce_sum alpha/scale; fill/scale value */
    ct_loss loss;
    float delta;    /* huber */
    float p;        /* dropout */
    uint64_t step;  /* dropout step; optimizer step t (>= 1) */
    uint32_t layer; /* dropout */
    ct_optim_params optim;
    float range; /* inputs uniform in [-range, range] (0: 1) */
} ct_check_case;

typedef struct ct_check_result {
    char what[160]; /* "relu act_backward n=255" */
    double max_abs; /* largest |device - reference| */
    double max_rel; /* largest |device - reference| / |reference| where |reference| >= 1e-3 of its
                       max */
    double worst;   /* largest error / tolerance (<= 1 passes) */
    long n_checked; /* elements compared */
    long n_bad;     /* elements out of tolerance, NaN or unwritten */
    char first_bad[192]; /* where and what, for the first bad element */
    uint64_t out_hash;   /* FNV-1a of the bits of every device output compared (determinism) */
    int pass;
} ct_check_result;

/* Runs one case with inputs drawn from seed. Returns CT_OK when the check ran (pass or not);
 * another status when the device failed (message in the device). */
CT_API ct_status ct_check_run(ct_device *dev, const ct_check_case *c, uint64_t seed,
                              ct_check_result *r);

CT_API const char *ct_check_op_name(ct_check_op op);

/* The selftest's cases: a few odd shapes per op, every activation, loss and optimizer.
 * Returns the number of cases; fills *cases (static table owned by the library). */
CT_API int ct_check_selftest_cases(const ct_check_case **cases);

#ifdef __cplusplus
}
#endif
#endif
