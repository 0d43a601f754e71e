/* kernels/math.cl on the device: exp, expm1, log, log1p, tanh and erf over a sweep of the whole
 * float range (a stride through every bit pattern), a dense sweep of each function's working
 * range and the edges (±0, denormals, FLT_MIN, the overflow and underflow thresholds and their
 * neighbours, ±Inf, NaN). Each result must have
 *  - the bits of the host's copy of the same algorithm (host/ct_math.c), so every OpenCL
 *    implementation that rounds +, -, *, fma and / correctly gives the same bits;
 *  - at most 2 ulp of error against the host's double function rounded to float, with the
 *    denormal rule of math.cl: a result below FLT_MIN is ±0, f(x) = x passes x unchanged.
 * Prints each function's largest error in ulp. CLTRAIN_TEST_SMALL=1 (oclgrind): a sparser
 * sweep. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "ct_math.h"
#include "device_util.h"
#include "ops.h"
#include "util.h"

static float from_bits(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static uint32_t to_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static double ref_fn(ct_math_fn fn, double x) {
    switch (fn) {
    case CT_MATH_EXP: return exp(x);
    case CT_MATH_EXPM1: return expm1(x);
    case CT_MATH_LOG: return log(x);
    case CT_MATH_LOG1P: return log1p(x);
    case CT_MATH_TANH: return tanh(x);
    default: return erf(x);
    }
}

/* Error of got against the double value want, in ulp of want rounded to float (ulp of the
 * float binade, FLT_MIN's for smaller values); -1 when acceptable specials differ (0 where
 * both are the same special), 1e30 for a wrong special. The denormal rule: want below FLT_MIN
 * in magnitude expects ±0 (or x itself when x is a denormal passed through); erf (erf_fn) of a
 * denormal is ±0. */
static double ulp_error(float x, float got, double want, int erf_fn) {
    if (isnan(want)) return isnan(got) ? 0.0 : 1e30;
    if (isnan(got)) return 1e30;
    float wf = (float)want;
    if (isinf(wf)) return got == wf ? 0.0 : 1e30;
    if (isinf(got)) return 1e30;
    double aw = fabs(want);
    if (got == 0.0f && fabsf(x) < FLT_MIN && erf_fn) return 0.0; /* erf reads x as ±0 */
    if (aw < FLT_MIN) {
        if (got == 0.0f) return 0.0; /* flushed, the rule */
        if (fabsf(x) < FLT_MIN && to_bits(got) == to_bits(x)) return 0.0; /* passed through */
        return 1e30;
    }
    if (got == 0.0f && aw < FLT_MIN * (1.0 + 0x1p-21)) return 0.0; /* at the flush threshold */
    int e;
    frexp((double)fabsf(wf) > 0 ? (double)fabsf(wf) : aw, &e); /* |wf| in [2^(e-1), 2^e) */
    double ulp = ldexp(1.0, e - 24);
    if (ulp < 0x1p-149) ulp = 0x1p-149;
    return fabs((double)got - want) / ulp;
}

/* The inputs of one function: the whole-range stride, its dense range, the edges. */
static size_t make_inputs(ct_math_fn fn, float *x, size_t cap, int small) {
    size_t n = 0;
    const uint32_t stride = small ? (1U << 20) : (1U << 11);
    test_rng r = test_rng_make(1234 + (unsigned)fn);
    for (uint64_t u = 0; u < (1ULL << 32) && n < cap; u += stride)
        x[n++] = from_bits((uint32_t)u + (uint32_t)(test_rng_u64(&r) % stride));
    static const float lo[CT_MATH_COUNT] = {-90.0f, -20.0f, 0.0f, -1.0f, -10.0f, -4.5f};
    static const float hi[CT_MATH_COUNT] = {90.0f, 90.0f, 4.0f, 4.0f, 10.0f, 4.5f};
    const size_t dense = small ? 4000 : (1U << 20);
    for (size_t i = 0; i < dense && n < cap; i++)
        x[n++] = lo[fn] + (hi[fn] - lo[fn]) * (float)((double)i / (double)dense);
    /* the edges and the branch points of math.cl, each with 8 neighbours either side */
    static const float edges[] = {0.0f,          FLT_MIN,       FLT_MAX,        0x1p-149f,
                                  0x1p-140f,     0x1p-127f,     0x1p-126f,      0x1p-25f,
                                  0x1p-24f,      0x1p-12f,      0.625f,         1.0f,
                                  2.5f,          3.92f,         9.1f,           17.4f,
                                  0x1.62e42ep+6f, 0x1.5d589ep+6f, 0x1.2bec34p-2f, 0x1.a82798p-2f,
                                  0x1.6a09e6p+0f, 0x1.6a09e6p-1f, 0x1p24f,        0x1p127f,
                                  0.34657359f,   1.0397208f,    7.2f,           6.9f};
    for (size_t k = 0; k < sizeof edges / sizeof edges[0]; k++)
        for (int s = -1; s <= 1; s += 2)
            for (int d = -8; d <= 8; d++) {
                uint32_t b = to_bits(edges[k]);
                if (d < 0 && b < (uint32_t)-d) continue;
                float v = from_bits((uint32_t)((int64_t)b + d));
                if (n < cap) x[n++] = s < 0 ? -v : v;
            }
    const float specials[] = {INFINITY, -INFINITY, NAN, -NAN, -1.0f};
    for (size_t k = 0; k < sizeof specials / sizeof specials[0] && n < cap; k++)
        x[n++] = specials[k];
    return n;
}

int main(void) {
    ct_device *dev = test_device();
    const int small = test_small();
    const size_t cap = (1U << 22) + (1U << 20) + 4096;
    float *x = test_alloc(cap, sizeof(float)), *got = test_alloc(cap, sizeof(float));
    cl_mem bx = NULL, by = NULL;
    ct_status st = ct_buffer_create(dev, &bx, cap * sizeof(float), "x");
    if (!st) st = ct_buffer_create(dev, &by, cap * sizeof(float), "y");
    EXPECT(st == CT_OK, "buffers: %s", ct_device_error(dev));
    int failed = st != CT_OK;
    for (int f = 0; f < CT_MATH_COUNT && !failed; f++) {
        const ct_math_fn fn = (ct_math_fn)f;
        const size_t n = make_inputs(fn, x, cap, small);
        st = ct_buffer_write(dev, bx, 0, n * sizeof(float), x);
        if (!st) st = ct_math_eval(dev, ct_at(by, 0), ct_at(bx, 0), f, (int)n);
        if (!st) st = ct_buffer_read(dev, by, 0, n * sizeof(float), got);
        if (!EXPECT(st == CT_OK, "%s: %s", ct_math_name(fn), ct_device_error(dev))) break;
        size_t diff = 0, first = 0, bad = 0, worst_i = 0;
        double worst = 0.0;
        for (size_t i = 0; i < n; i++) {
            const float host = ct_math_host(fn, x[i]);
            if (to_bits(host) != to_bits(got[i]) && !diff++) first = i;
            const double e = ulp_error(x[i], host, ref_fn(fn, (double)x[i]), fn == CT_MATH_ERF);
            if (e > worst) worst = e, worst_i = i;
            if (e > 2.0 && bad++ < 5)
                printf("  %s(%a) = %a, want %a: %.3g ulp\n", ct_math_name(fn), (double)x[i],
                       (double)host, ref_fn(fn, (double)x[i]), e);
        }
        printf("%-6s %8zu inputs: %zu differ from the host's bits; largest error %.3f ulp at "
               "x = %a\n",
               ct_math_name(fn), n, diff, worst, (double)x[worst_i]);
        EXPECT(diff == 0, "%s: %zu results differ from the host's copy; first x = %a: device %a "
               "(0x%08x), host %a (0x%08x)",
               ct_math_name(fn), diff, (double)x[first], (double)got[first],
               (unsigned)to_bits(got[first]), (double)ct_math_host(fn, x[first]),
               (unsigned)to_bits(ct_math_host(fn, x[first])));
        EXPECT(worst <= 2.0, "%s: largest error %.3f ulp > 2 (%zu inputs over 2 ulp)",
               ct_math_name(fn), worst, bad);
    }
    if (bx) clReleaseMemObject(bx);
    if (by) clReleaseMemObject(by);
    free(x);
    free(got);
    ct_device_destroy(dev);
    return test_summary("test_math");
}
