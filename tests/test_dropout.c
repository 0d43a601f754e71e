/* Dropout forward and backward against the reference (the same counter-based mask), the keep
 * rate, p = 0, and masks that change with seed, step and layer but not between runs. The _at
 * variants (elements e0 .. e0 + n - 1 of a larger tensor, for a shard of a batch): against the
 * reference, equal to the slice of the whole tensor's dropout, and e0 = 0 equal to the plain op. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "device_util.h"
#include "ops.h"
#include "ref.h"
#include "util.h"

/* Runs dropout forward on n ones; returns the mask (1 kept, 0 dropped) in keep. */
static ct_status mask_of(ct_device *dev, cl_mem x, cl_mem y, float p, uint64_t seed, uint64_t step,
                         unsigned layer, int n, float *out) {
    ct_status st = ct_dropout_forward(dev, ct_at(y, 0), ct_at(x, 0), p, seed, step, layer, n);
    if (!st) st = ct_buffer_read(dev, y, 0, (size_t)n * sizeof(float), out);
    return st;
}

/* n values of magnitude 0.25 .. 2 with random signs: never 0, so a dropped element shows. */
static void fill_nonzero(test_rng *r, float *x, int n) {
    for (int i = 0; i < n; i++)
        x[i] = (test_rng_u64(r) & 1 ? -1.0f : 1.0f) * test_rng_uniformf(r, 0.25f, 2.0f);
}

/* Runs forward (o = 0) or backward (o = 1) dropout, plain (e0 < 0) or _at(e0), on the n floats
 * of in (written to a buffer at element offset in_off), reading n floats back from an output
 * buffer at element offset out_off. */
static ct_status run_dropout_op(ct_device *dev, int o, const float *in, float *out, int n, float p,
                                uint64_t seed, uint64_t step, unsigned layer, long long e0,
                                size_t in_off, size_t out_off) {
    cl_mem x = NULL, y = NULL;
    /* the whole input buffer is written (NaN before the part): oclgrind 21.10 marks a write at
     * an offset as initialising the buffer's start instead */
    float *host = test_alloc(in_off + (size_t)n, sizeof(float));
    for (size_t i = 0; i < in_off; i++)
        host[i] = NAN;
    memcpy(host + in_off, in, (size_t)n * sizeof(float));
    ct_status st = ct_buffer_create(dev, &x, (in_off + n) * sizeof(float), "x");
    if (!st) st = ct_buffer_create(dev, &y, (out_off + n) * sizeof(float), "y");
    if (!st) st = ct_buffer_write(dev, x, 0, (in_off + (size_t)n) * sizeof(float), host);
    free(host);
    if (!st) {
        ct_buf Y = ct_at(y, out_off), X = ct_at(x, in_off);
        if (e0 < 0)
            st = o ? ct_dropout_backward(dev, Y, X, p, seed, step, layer, n)
                   : ct_dropout_forward(dev, Y, X, p, seed, step, layer, n);
        else
            st = o ? ct_dropout_backward_at(dev, Y, X, p, seed, step, layer, n, (unsigned)e0)
                   : ct_dropout_forward_at(dev, Y, X, p, seed, step, layer, n, (unsigned)e0);
    }
    if (!st) st = ct_buffer_read(dev, y, out_off * sizeof(float), (size_t)n * sizeof(float), out);
    if (x) clReleaseMemObject(x);
    if (y) clReleaseMemObject(y);
    return st;
}

/* The first index where two float arrays differ in their bits, or -1. */
static long first_diff_f(const float *a, const float *b, int n) {
    for (int i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof(float))) return i;
    return -1;
}

static long first_diff_d(const double *a, const double *b, int n) {
    for (int i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof(double))) return i;
    return -1;
}

/* dropout_forward_at / backward_at over elements [e0, e0 + n) of a tensor of n0 = 3 n + 40
 * elements, e0 random in [1, n0 - n]:
 * - device against ref_dropout_*_at: the same mask, values within 4 float epsilons relative
 *   (one rounding of 1 / (1 - p) and one of the product; a mask difference is off by 100%);
 * - device _at equals elements [e0, e0 + n) of the plain op over all n0 elements, bit for bit (the
 *   same kernel math), with the part in its own buffer at an unrelated element offset, so the
 *   mask follows e0 and not the buffer offset;
 * - the reference likewise, exactly;
 * - e0 = 0 equals the plain op bit for bit (device and reference);
 * - a large e0 (near 2^32) on the device against the reference. */
static void dropout_at_cases(ct_device *dev, unsigned long long seed, case_stats *s) {
    test_rng r = test_rng_make(seed ^ 0xD40F0A7ULL);
    const float ps[] = {0.0f, 0.1f, 0.5f, 0.9f};
    const int ns[] = {1, 3, 17, 255, 1001, 30011};
    for (int c = 0; c < (int)(sizeof ns / sizeof ns[0]); c++)
        for (int o = 0; o < 2; o++) {
            const char *op = o ? "dropout_backward_at" : "dropout_forward_at";
            int n = ns[c];
            float p = ps[(c + o + test_rng_int(&r, 0, 3)) % 4];
            /* the sizes are fixed (PoCL compiles a kernel once per launch shape; in a sanitizer
             * build a compile on a cold cache leaks in LLVM), the place e0 is random */
            int n0 = 3 * n + 40;
            int e0 = test_rng_int(&r, 1, n0 - n);
            uint64_t dseed = test_rng_u64(&r), step = test_rng_u64(&r) >> test_rng_int(&r, 0, 63);
            unsigned layer = (unsigned)test_rng_int(&r, 0, CT_MAX_LAYERS - 1);
            if (skip_large(s, n0)) continue;
            float *X0 = test_alloc((size_t)n0, sizeof(float));
            float *full = test_alloc((size_t)n0, sizeof(float));
            float *part = test_alloc((size_t)n, sizeof(float));
            float *at0 = test_alloc((size_t)n, sizeof(float));
            float *plain = test_alloc((size_t)n, sizeof(float));
            double *Xd = test_alloc((size_t)n0, sizeof(double));
            double *rfull = test_alloc((size_t)n0, sizeof(double));
            double *rpart = test_alloc((size_t)n, sizeof(double));
            double *r0 = test_alloc((size_t)n, sizeof(double));
            fill_nonzero(&r, X0, n0);
            test_to_double(Xd, X0, (size_t)n0);
            size_t in_off = (size_t)test_rng_int(&r, 0, 7),
                   out_off = (size_t)test_rng_int(&r, 0, 7);
            ct_status st = run_dropout_op(dev, o, X0, full, n0, p, dseed, step, layer, -1, 0, 0);
            if (!st)
                st = run_dropout_op(dev, o, X0 + e0, part, n, p, dseed, step, layer, e0, in_off,
                                    out_off);
            if (!st)
                st = run_dropout_op(dev, o, X0, at0, n, p, dseed, step, layer, 0, out_off, in_off);
            if (!st) st = run_dropout_op(dev, o, X0, plain, n, p, dseed, step, layer, -1, 0, 0);
            if (!EXPECT(st == CT_OK, "%s n=%d e0=%d: %s", op, n, e0, ct_device_error(dev)))
                goto next;
            if (o) {
                ref_dropout_backward(rfull, Xd, p, dseed, step, layer, n0);
                ref_dropout_backward_at(rpart, Xd + e0, p, dseed, step, layer, n, (uint32_t)e0);
                ref_dropout_backward_at(r0, Xd, p, dseed, step, layer, n, 0);
            } else {
                ref_dropout_forward(rfull, Xd, p, dseed, step, layer, n0);
                ref_dropout_forward_at(rpart, Xd + e0, p, dseed, step, layer, n, (uint32_t)e0);
                ref_dropout_forward_at(r0, Xd, p, dseed, step, layer, n, 0);
            }
            char name[128];
            snprintf(name, sizeof name, "%s n=%d e0=%d n0=%d p=%g: device vs reference", op, n, e0,
                     n0, (double)p);
            int ok = expect_close_f(name, part, rpart, (size_t)n, 0, 4 * FLT_EPSILON);
            long d = first_diff_f(part, full + e0, n);
            ok &= EXPECT(d < 0,
                         "%s n=%d e0=%d p=%g: element %ld is %.9g, the slice of the %d-element "
                         "tensor has %.9g",
                         op, n, e0, (double)p, d, d < 0 ? 0.0 : part[d], n0,
                         d < 0 ? 0.0 : full[e0 + d]);
            d = first_diff_d(rpart, rfull + e0, n);
            ok &= EXPECT(d < 0, "reference %s n=%d e0=%d: element %ld differs from the slice", op,
                         n, e0, d);
            d = first_diff_f(at0, plain, n);
            ok &= EXPECT(d < 0, "%s n=%d with e0 = 0: element %ld differs from the plain op", op, n,
                         d);
            d = first_diff_d(r0, rfull, n);
            ok &= EXPECT(d < 0,
                         "reference %s n=%d with e0 = 0: element %ld differs from the plain op", op,
                         n, d);
            /* far into the index range: elements near 2^32 */
            unsigned big = 0xFFFFFFFFu - (unsigned)n - (unsigned)test_rng_int(&r, 0, 1 << 20);
            st = run_dropout_op(dev, o, X0, part, n, p, dseed, step, layer, (long long)big, in_off,
                                out_off);
            if (o)
                ref_dropout_backward_at(rpart, Xd, p, dseed, step, layer, n, big);
            else
                ref_dropout_forward_at(rpart, Xd, p, dseed, step, layer, n, big);
            snprintf(name, sizeof name, "%s n=%d e0=%u p=%g: device vs reference", op, n, big,
                     (double)p);
            ok &= EXPECT(st == CT_OK, "%s e0=%u: %s", op, big, ct_device_error(dev)) &&
                  expect_close_f(name, part, rpart, (size_t)n, 0, 4 * FLT_EPSILON);
            if (ok)
                printf(
                    "ok   %s n=%d p=%.1f e0=%d of %d: = reference, = slice (bits), e0=0 = plain; "
                    "e0=%u = reference\n",
                    op, n, (double)p, e0, n0, big);
        next:
            free(X0);
            free(full);
            free(part);
            free(at0);
            free(plain);
            free(Xd);
            free(rfull);
            free(rpart);
            free(r0);
        }
}

int main(void) {
    unsigned long long seed = fresh_seed();
    ct_device *dev = test_device();
    case_stats s = {0};
    const float ps[] = {0.0f, 0.1f, 0.5f, 0.9f};
    const int ns[] = {1, 3, 17, 255, 100003};
    unsigned long long k = 0;
    for (int a = 0; a < 4; a++)
        for (int i = 0; i < 5; i++)
            for (int o = 0; o < 2; o++) {
                if (skip_large(&s, ns[i])) {
                    k++;
                    continue;
                }
                ct_check_case c = {.op = o ? CT_CHECK_DROPOUT_BACKWARD : CT_CHECK_DROPOUT_FORWARD,
                                   .p = ps[a],
                                   .N = ns[i],
                                   .step = 1000003ULL * i + a,
                                   .layer = (uint32_t)i};
                run_case(dev, &c, seed + k++, &s);
            }

    /* statistics of the mask on the device: keep rate within 5 sigma of 1 - p; masks differ
     * between steps and layers, and are identical for the same key (small mode: fewer elements,
     * the same 5-sigma bounds) */
    const int N = test_small() ? 20011 : 200003;
    float *ones = malloc(N * sizeof(float)), *m1 = malloc(N * sizeof(float)),
          *m2 = malloc(N * sizeof(float));
    cl_mem x = NULL, y = NULL;
    ct_status st = ones && m1 && m2 ? CT_OK : CT_ERR_ALLOC;
    if (!st) {
        for (int i = 0; i < N; i++)
            ones[i] = 1.0f;
        st = ct_buffer_create(dev, &x, N * sizeof(float), "x");
    }
    if (!st) st = ct_buffer_create(dev, &y, N * sizeof(float), "y");
    if (!st) st = ct_buffer_write(dev, x, 0, N * sizeof(float), ones);
    const float p = 0.3f;
    if (!st) st = mask_of(dev, x, y, p, seed, 5, 2, N, m1);
    if (!st) {
        long kept = 0;
        int bad_value = 0;
        for (int i = 0; i < N; i++) {
            if (m1[i] != 0) kept++;
            if (m1[i] != 0 && fabsf(m1[i] - 1.0f / (1.0f - p)) > 1e-6f) bad_value = 1;
        }
        double rate = (double)kept / N, sigma = sqrt(p * (1 - p) / N);
        s.ran++;
        if (fabs(rate - (1 - p)) > 5 * sigma || bad_value) {
            s.failed++;
            printf("FAIL keep rate %.5f, expected %.5f +- %.5f (5 sigma); kept values scaled by "
                   "1/(1-p): %s\n",
                   rate, 1 - p, 5 * sigma, bad_value ? "no" : "yes");
        } else {
            printf("ok   keep rate %.5f for p = %.2f over %d elements (expected %.5f)\n", rate, p,
                   N, 1 - p);
        }
    }
    const struct {
        uint64_t seed, step;
        unsigned layer;
        int same;
        const char *what;
    } other[] = {{seed, 5, 2, 1, "the same key again"},
                 {seed, 6, 2, 0, "the next step"},
                 {seed, 5, 3, 0, "the next layer"},
                 {seed + 1, 5, 2, 0, "the next seed"},
                 {seed, 5ULL + (1ULL << 32), 2, 0, "a step 2^32 later"}};
    for (size_t t = 0; !st && t < sizeof other / sizeof other[0]; t++) {
        st = mask_of(dev, x, y, p, other[t].seed, other[t].step, other[t].layer, N, m2);
        if (st) break;
        long differ = 0;
        for (int i = 0; i < N; i++)
            differ += (m1[i] != 0) != (m2[i] != 0);
        /* two independent masks differ in 2 p (1 - p) of the elements */
        double want = other[t].same ? 0 : 2 * p * (1 - p) * N;
        int ok = other[t].same ? differ == 0 : fabs(differ - want) < 0.05 * want;
        s.ran++;
        if (!ok) s.failed++;
        printf("%s dropout mask for %s: %ld of %d elements differ (expected about %.0f)\n",
               ok ? "ok  " : "FAIL", other[t].what, differ, N, want);
    }
    if (st) {
        s.ran++;
        s.failed++;
        printf("FAIL dropout statistics: %s\n", ct_device_error(dev));
    }
    if (x) clReleaseMemObject(x);
    if (y) clReleaseMemObject(y);
    free(ones);
    free(m1);
    free(m2);
    dropout_at_cases(dev, seed, &s);
    ct_device_destroy(dev);
    int rc = case_summary("test_dropout", &s);
    return test_summary("test_dropout (_at variants)") || rc;
}
