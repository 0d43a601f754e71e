/* Helpers of the device tests: open the device, run device-versus-reference cases. */
#ifndef CT_TEST_DEVICE_UTIL_H
#define CT_TEST_DEVICE_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "cltrain.h"
#include "data.h"

/* A fresh seed per run (printed), or $CLTRAIN_TEST_SEED to repeat a run. */
static inline unsigned long long fresh_seed(void) {
    const char *s = getenv("CLTRAIN_TEST_SEED");
    unsigned long long seed = s && *s ? strtoull(s, NULL, 10) : (unsigned long long)time(NULL);
    printf("seed %llu (set CLTRAIN_TEST_SEED=%llu to repeat)\n", seed, seed);
    return seed;
}

/* $CLTRAIN_TEST_SMALL=1 (scripts/oclgrind.sh): small cases only, for a slow device such as
 * oclgrind's simulator. The odd sizes (1, 3, 17, 255, 1001) stay; a case is skipped, and
 * counted, when it touches more than TEST_SMALL_ELEMS elements or, for a matrix product, has a
 * dimension of TEST_SMALL_DIM or more or does more than TEST_SMALL_MACS multiply-adds (the
 * tiled product pads every dimension to its tile, and simulating a multiply-add costs ~5 us). */
#define TEST_SMALL_ELEMS 20000LL
#define TEST_SMALL_DIM 1000LL
#define TEST_SMALL_MACS 250000LL

static inline int test_small(void) {
    const char *s = getenv("CLTRAIN_TEST_SMALL");
    return s && *s && strcmp(s, "0") != 0;
}

/* A matrix-product case: (M, N, K) = mnk, transposes from t (bit 0: A, bit 1: B), the backend
 * to force, alpha and beta. */
static inline ct_check_case gemm_case(const int mnk[3], int t, ct_gemm_backend be, float alpha,
                                      float beta) {
    ct_check_case c = {.op = CT_CHECK_GEMM,
                       .M = mnk[0],
                       .N = mnk[1],
                       .K = mnk[2],
                       .transA = t & 1,
                       .transB = t >> 1,
                       .gemm = be,
                       .alpha = alpha,
                       .beta = beta};
    return c;
}

/* Opens the default device ($CLTRAIN_DEVICE applies). No device is a failure, not a skip:
 * CI always has PoCL. */
static inline ct_device *test_device(void) {
    char msg[CT_MSG_LEN];
    ct_device *dev = NULL;
    if (ct_device_create(&dev, NULL, msg) != CT_OK) {
        fprintf(stderr, "FAIL: cannot open the OpenCL device: %s\n", msg);
        exit(1);
    }
    const ct_device_info *i = ct_device_get_info(dev);
    printf("device [%d] %s (%s)\n", i->index, i->name, i->platform);
    if (test_small())
        printf("small mode (CLTRAIN_TEST_SMALL=1): skipping cases over %lld elements, and "
               "products with a dimension of %lld or more or over %lld multiply-adds\n",
               TEST_SMALL_ELEMS, TEST_SMALL_DIM, TEST_SMALL_MACS);
    return dev;
}

typedef struct {
    int ran, failed;
    double max_rel, max_abs;
    int skipped; /* by small mode */
} case_stats;

/* In small mode, 1 (the case is counted as skipped) when a case touches more than
 * TEST_SMALL_ELEMS elements (its largest tensor); else 0. */
static inline int skip_large(case_stats *s, long long elems) {
    if (!test_small() || elems <= TEST_SMALL_ELEMS) return 0;
    s->skipped++;
    return 1;
}

/* The same for a product of (M, K) by (K, N): its dimensions, largest matrix and M * N * K. */
static inline int skip_large_product(case_stats *s, long long M, long long N, long long K) {
    long long e = M * K > K * N ? M * K : K * N;
    if (e < M * N) e = M * N;
    if (!test_small() || (M < TEST_SMALL_DIM && N < TEST_SMALL_DIM && K < TEST_SMALL_DIM &&
                          e <= TEST_SMALL_ELEMS && M * N * K <= TEST_SMALL_MACS))
        return 0;
    s->skipped++;
    return 1;
}

/* Runs one case and reports it; returns 1 when it passed. */
static inline int run_case(ct_device *dev, const ct_check_case *c, unsigned long long seed,
                           case_stats *s) {
    ct_check_result r;
    ct_status st = ct_check_run(dev, c, seed, &r);
    s->ran++;
    if (st != CT_OK) {
        s->failed++;
        printf("FAIL %s: the op failed to run: %s\n", r.what, ct_device_error(dev));
        return 0;
    }
    if (r.max_rel > s->max_rel) s->max_rel = r.max_rel;
    if (r.max_abs > s->max_abs) s->max_abs = r.max_abs;
    if (!r.pass) {
        s->failed++;
        printf("FAIL %s: %ld of %ld elements bad; first: %s (max |diff| %.3g, max rel %.3g)\n",
               r.what, r.n_bad, r.n_checked, r.first_bad, r.max_abs, r.max_rel);
        return 0;
    }
    printf("ok   %-64s max|diff| %.3g  max rel %.3g  err/tol %.3f\n", r.what, r.max_abs, r.max_rel,
           r.worst);
    return 1;
}

static inline int case_summary(const char *name, const case_stats *s) {
    printf("%s: %d cases, largest relative error %.3g, largest absolute error %.3g\n", name, s->ran,
           s->max_rel, s->max_abs);
    printf("%s: %d passed, %d failed\n", name, s->ran - s->failed, s->failed);
    if (s->skipped) printf("%s: %d large cases skipped (CLTRAIN_TEST_SMALL=1)\n", name, s->skipped);
    return s->failed ? 1 : 0;
}

/* The XOR truth table as a dataset over the caller's arrays (X: 8 floats, labels: 4). */
static inline ct_dataset test_xor_dataset(float X[8], int32_t labels[4]) {
    const float x[8] = {0, 0, 0, 1, 1, 0, 1, 1};
    const int32_t y[4] = {0, 1, 1, 0};
    ct_dataset d;
    memset(&d, 0, sizeof d);
    memcpy(X, x, sizeof x);
    memcpy(labels, y, sizeof y);
    d.n = 4;
    d.features = 2;
    d.X = X;
    d.task = CT_TASK_CLASSIFICATION;
    d.n_classes = 2;
    d.labels = labels;
    snprintf(d.source, sizeof d.source, "xor");
    return d;
}

#endif
