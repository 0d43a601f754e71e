/* Device-versus-reference checks of every op: run the kernel on fresh random inputs, run
 * host/ref.c on the same inputs, compare. Used by the tests (many shapes) and by
 * `cltrain selftest` (one set of shapes). Outputs are poisoned with NaN before each launch so an
 * element the kernel does not write fails. */
#ifndef CT_CHECK_H
#define CT_CHECK_H

#include <stdint.h>

#include "ops.h"

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
ct_status ct_check_run(ct_device *dev, const ct_check_case *c, uint64_t seed, ct_check_result *r);

const char *ct_check_op_name(ct_check_op op);

/* The selftest's cases: a few odd shapes per op, every activation, loss and optimizer.
 * Returns the number of cases; fills *cases (static table owned by the library). */
int ct_check_selftest_cases(const ct_check_case **cases);

#endif
