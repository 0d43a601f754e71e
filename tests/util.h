/* Helpers for the CTest executables: a seeded generator, random fills, expectations that print
 * what was expected, what came and where, and a summary that becomes the exit code.
 * Header-only; include it in the one .c file of a test. Exit codes: 0 pass, 1 fail, 77 skip.
 *
 *   int main(void) {
 *       test_rng r = test_rng_make(test_seed(1234));
 *       double want[3], got[3];
 *       test_fill(&r, want, 3, -1.0, 1.0);
 *       ...
 *       expect_close("relu_forward", got, want, 3, 1e-6, 1e-5);
 *       EXPECT(count == 3, "count %d, want 3", count);
 *       return test_summary("test_ops");
 *   }
 *
 * Environment: CT_TEST_SEED overrides the seed passed to test_seed(); CT_TEST_VERBOSE=1 prints
 * one line per passing expect_close too (its max abs and max rel error). */
#ifndef CT_TEST_UTIL_H
#define CT_TEST_UTIL_H

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "rng.h"

#define TEST_SKIP 77 /* CTest's SKIP_RETURN_CODE */

/* The counters of one test executable (one translation unit). */
typedef struct test_state {
    long checks;             /* expectations evaluated */
    long failed;             /* expectations that failed */
    int verbose;             /* -1 not read yet, else CT_TEST_VERBOSE != 0 */
    unsigned long long seed; /* the seed test_seed() returned last (printed on failure) */
    int seed_set;
    double last_max_abs; /* of the last expect_close */
    double last_max_rel; /* of the last expect_close (elements with want != 0) */
} test_state;

static test_state test_state_g = {0, 0, -1, 0, 0, 0.0, 0.0};

static inline int test_verbose(void) {
    if (test_state_g.verbose < 0) {
        const char *v = getenv("CT_TEST_VERBOSE");
        test_state_g.verbose = v && *v && *v != '0';
    }
    return test_state_g.verbose;
}

/* ---- random numbers ------------------------------------------------------------------- */

/* splitmix64 (ct_splitmix64 in host/rng.h): any seed, 0 included, gives a full-period stream. */
typedef struct test_rng {
    uint64_t s;
} test_rng;

/* The seed to use: $CT_TEST_SEED when set (decimal or 0x hex), else def. Remembered so that a
 * failure can print it. */
static inline unsigned long long test_seed(unsigned long long def) {
    const char *e = getenv("CT_TEST_SEED");
    unsigned long long s = def;
    if (e && *e) s = strtoull(e, NULL, 0);
    test_state_g.seed = s;
    test_state_g.seed_set = 1;
    return s;
}

static inline test_rng test_rng_make(unsigned long long seed) {
    test_rng r;
    r.s = (uint64_t)seed;
    return r;
}

static inline uint64_t test_rng_u64(test_rng *r) { return ct_splitmix64(&r->s); }

/* Uniform in the open interval (0, 1): (k + 0.5) / 2^53, never 0 or 1. */
static inline double test_rng_unit(test_rng *r) {
    return ((double)(test_rng_u64(r) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

/* Uniform in (lo, hi). */
static inline double test_rng_uniform(test_rng *r, double lo, double hi) {
    return lo + (hi - lo) * test_rng_unit(r);
}

static inline float test_rng_uniformf(test_rng *r, float lo, float hi) {
    return (float)test_rng_uniform(r, lo, hi);
}

/* Uniform integer in [lo, hi] (inclusive; lo <= hi). */
static inline int test_rng_int(test_rng *r, int lo, int hi) {
    uint64_t span = (uint64_t)((int64_t)hi - (int64_t)lo) + 1u;
    return (int)((int64_t)lo + (int64_t)(test_rng_u64(r) % span));
}

/* Standard normal (Box-Muller). */
static inline double test_rng_normal(test_rng *r) {
    double u1 = test_rng_unit(r), u2 = test_rng_unit(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* x[0..n) uniform in (lo, hi). Never all zeros: with n > 0 and lo < hi at least one element is
 * nonzero (an all-zero draw, possible only for tiny ranges, is replaced by hi). */
static inline void test_fill(test_rng *r, double *x, size_t n, double lo, double hi) {
    int nonzero = 0;
    for (size_t i = 0; i < n; i++) {
        x[i] = test_rng_uniform(r, lo, hi);
        nonzero |= x[i] != 0.0;
    }
    if (n > 0 && !nonzero) x[0] = hi != 0.0 ? hi : lo;
}

static inline void test_fillf(test_rng *r, float *x, size_t n, float lo, float hi) {
    int nonzero = 0;
    for (size_t i = 0; i < n; i++) {
        x[i] = test_rng_uniformf(r, lo, hi);
        nonzero |= x[i] != 0.0f;
    }
    if (n > 0 && !nonzero) x[0] = hi != 0.0f ? hi : lo;
}

/* x[0..n) integers uniform in [lo, hi] (labels, indices). */
static inline void test_fill_int(test_rng *r, int *x, size_t n, int lo, int hi) {
    for (size_t i = 0; i < n; i++)
        x[i] = test_rng_int(r, lo, hi);
}

/* Conversions between the float arrays of a device and the double arrays of the reference. */
static inline void test_to_double(double *out, const float *in, size_t n) {
    for (size_t i = 0; i < n; i++)
        out[i] = (double)in[i];
}

static inline void test_to_float(float *out, const double *in, size_t n) {
    for (size_t i = 0; i < n; i++)
        out[i] = (float)in[i];
}

/* calloc that ends the test (exit 1) when memory is exhausted; n == 0 allocates one element. */
static inline void *test_alloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size);
    if (!p) {
        fprintf(stderr, "test: out of memory (%zu x %zu bytes)\n", n, size);
        exit(1);
    }
    return p;
}

/* ---- expectations --------------------------------------------------------------------- */

static inline void test_print_seed(void) {
    if (test_state_g.seed_set)
        fprintf(stderr, "    (seed %llu; rerun with CT_TEST_SEED=%llu)\n", test_state_g.seed,
                test_state_g.seed);
}

/* Counts one check; on failure prints "file:line: FAIL: <message>" and returns 0. */
static inline int test_expect_at(const char *file, int line, int ok, const char *cond,
                                 const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;
static inline int test_expect_at(const char *file, int line, int ok, const char *cond,
                                 const char *fmt, ...) {
    test_state_g.checks++;
    if (ok) return 1;
    test_state_g.failed++;
    fprintf(stderr, "%s:%d: FAIL: (%s) ", file, line, cond);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    test_print_seed();
    return 0;
}

/* EXPECT(cond, "printf format", args...): counts a check; prints file:line, the condition and
 * the message when cond is false. Evaluates to 1 when it passed. */
#define EXPECT(cond, ...) test_expect_at(__FILE__, __LINE__, (cond) ? 1 : 0, #cond, __VA_ARGS__)

/* The shared body of expect_close / expect_close_f: exactly one of gd, gf is not NULL. */
static inline int test_close_impl(const char *name, const double *gd, const float *gf,
                                  const double *want, size_t n, double atol, double rtol) {
    size_t bad = 0, first = 0;
    double max_abs = 0.0, max_rel = 0.0;
    size_t at_abs = 0;
    for (size_t i = 0; i < n; i++) {
        double g = gd ? gd[i] : (double)gf[i];
        double w = want[i];
        double d = fabs(g - w);
        int ok = isfinite(g) && d <= atol + rtol * fabs(w);
        if (isfinite(g) && isfinite(w)) {
            if (d > max_abs) {
                max_abs = d;
                at_abs = i;
            }
            if (w != 0.0 && d / fabs(w) > max_rel) max_rel = d / fabs(w);
        }
        if (!ok) {
            if (bad == 0) first = i;
            bad++;
        }
    }
    test_state_g.checks++;
    test_state_g.last_max_abs = max_abs;
    test_state_g.last_max_rel = max_rel;
    if (bad == 0) {
        if (test_verbose())
            printf("ok   %-40s n=%-7zu max abs %.3e (at %zu)  max rel %.3e\n", name, n, max_abs,
                   at_abs, max_rel);
        return 1;
    }
    test_state_g.failed++;
    double g = gd ? gd[first] : (double)gf[first];
    double w = want[first];
    fprintf(stderr,
            "FAIL %s: %zu of %zu elements off; first at [%zu]: expected %.17g, got %.17g "
            "(|diff| %.3e > atol %.1e + rtol %.1e * |want|)\n"
            "    max abs %.3e (at [%zu]), max rel %.3e\n",
            name, bad, n, first, w, g, fabs(g - w), atol, rtol, max_abs, at_abs, max_rel);
    test_print_seed();
    return 0;
}

/* Passes when every |got[i] - want[i]| <= atol + rtol * |want[i]| and got[i] is finite (NaN or
 * Inf in got fails). Prints the first bad index, expected and got values on failure; always
 * records max abs / max rel error (test_state_g.last_max_abs / last_max_rel). Returns 1 on pass. */
static inline int expect_close(const char *name, const double *got, const double *want, size_t n,
                               double atol, double rtol) {
    return test_close_impl(name, got, NULL, want, n, atol, rtol);
}

/* The same for a float result (a device buffer read back) against a double reference. */
static inline int expect_close_f(const char *name, const float *got, const double *want, size_t n,
                                 double atol, double rtol) {
    return test_close_impl(name, NULL, got, want, n, atol, rtol);
}

/* One scalar. */
static inline int expect_near(const char *name, double got, double want, double atol, double rtol) {
    return test_close_impl(name, &got, NULL, &want, 1, atol, rtol);
}

/* Prints "name: N checks, M failed" and returns the exit code: 0 when nothing failed, else 1.
 * A test without a single check fails too (it asserted nothing). */
static inline int test_summary(const char *name) {
    printf("%s: %ld checks, %ld failed\n", name, test_state_g.checks, test_state_g.failed);
    fflush(stdout);
    return test_state_g.failed == 0 && test_state_g.checks > 0 ? 0 : 1;
}

/* Prints why the test is skipped and returns TEST_SKIP: `return test_skip("no OpenCL device");` */
static inline int test_skip(const char *why) {
    printf("SKIP: %s\n", why);
    fflush(stdout);
    return TEST_SKIP;
}

#endif
