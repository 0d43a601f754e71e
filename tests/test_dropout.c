/* Dropout forward and backward against the reference (the same counter-based mask), the keep
 * rate, p = 0, and masks that change with seed, step and layer but not between runs. */
#include <math.h>
#include <string.h>

#include "device_util.h"
#include "ops.h"

/* Runs dropout forward on n ones; returns the mask (1 kept, 0 dropped) in keep. */
static ct_status mask_of(ct_device *dev, cl_mem x, cl_mem y, float p, uint64_t seed, uint64_t step,
                         unsigned layer, int n, float *out) {
    ct_status st = ct_dropout_forward(dev, ct_at(y, 0), ct_at(x, 0), p, seed, step, layer, n);
    if (!st) st = ct_buffer_read(dev, y, 0, (size_t)n * sizeof(float), out);
    return st;
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
    ct_device_destroy(dev);
    return case_summary("test_dropout", &s);
}
