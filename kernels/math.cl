/* Elementary functions of our own (DESIGN.md principle 6): exp, expm1, log, log1p, tanh, erf in
 * float32, written from operations that every conforming OpenCL implementation rounds the same:
 * +, -, *, fma, correctly rounded division, rint, comparisons and integer bit operations. The
 * built-in exp, log, tanh... differ between PoCL, rusticl, oclgrind and GPU drivers (their
 * accuracy is only bounded, to 3-4 ulp); these give the same bits everywhere, within 2 ulp of
 * the true function (tests/test_math.c measures both, against the host's double and against the
 * host's copy of this very file, host/ct_math.c, compiled with -ffp-contract=off).
 *
 * Denormals. Implementations disagree about them (rusticl's fma flushes a denormal result or
 * addend, PoCL keeps it), so no floating-point operation in this file takes or gives one:
 *  - a result below FLT_MIN in magnitude is returned as 0 of the right sign (exp of x < -87.34),
 *    decided by a comparison before any operation could make it; erf reads a denormal argument
 *    as ±0 (its result, 1.128 x, is ±0 too);
 *  - where f(x) rounds to x itself (expm1, log1p, tanh of |x| < 2^-25 or 2^-12), the argument
 *    comes back unchanged, denormal or not, without an operation;
 *  - log reads a denormal argument exactly, normalising it with integer operations;
 *  - every intermediate value is 0 or at least 2^-90 or so in magnitude (the reduced arguments
 *    and their squares), far from the denormal range.
 *
 * The same text is compiled by the host (host/ct_math.c), which defines the CT_M_ macros below
 * first; in OpenCL they map to the built-ins. Functions end in f: float versions. */

#ifndef CT_M_FN
#define CT_M_FN
#define CT_M_U32 uint
#define CT_M_FMA(a, b, c) fma(a, b, c)
#define CT_M_RINT(x) rint(x)
#define CT_M_FABS(x) fabs(x)
#define CT_M_ISNAN(x) isnan(x)
#define CT_M_BITS(x) as_uint(x)
#define CT_M_FLOAT(u) as_float(u)
#define CT_M_COPYSIGN(x, y) copysign(x, y)
#define CT_M_CLZ(u) clz(u)
#endif

#define CT_M_LOG2E 0x1.715476p+0f
#define CT_M_LN2_HI 0x1.62e430p-1f  /* ln 2 rounded; k * hi - x is exact in one fma */
#define CT_M_LN2_LO -0x1.05c610p-29f /* ln 2 - hi */
#define CT_M_EXP_MAX 0x1.62e42ep+6f  /* the largest x with a finite exp(x): 88.72283 */
#define CT_M_EXP_MIN -0x1.5d589ep+6f /* the smallest x with exp(x) >= FLT_MIN: -87.33654 */

/* 2^k for -126 <= k <= 127, exact, from its bits. */
CT_M_FN float ct_m_pow2(int k) { return CT_M_FLOAT((CT_M_U32)(k + 127) << 23); }

/* expm1(r) for |r| <= ln2 / 2 + a little: r + r^2 P(r), P the minimax polynomial of Cephes'
 * expf (S. L. Moshier), evaluated with fma. |r| is 0 or >= 2^-40 where it is called. */
CT_M_FN float ct_m_expm1_poly(float r) {
    float p = 1.9875691500E-4f;
    p = CT_M_FMA(p, r, 1.3981999507E-3f);
    p = CT_M_FMA(p, r, 8.3334519073E-3f);
    p = CT_M_FMA(p, r, 4.1665795894E-2f);
    p = CT_M_FMA(p, r, 1.6666665459E-1f);
    p = CT_M_FMA(p, r, 5.0000001201E-1f);
    return CT_M_FMA(p, r * r, r);
}

/* x = k ln2 + r, |r| <= ln2 / 2 (Cody-Waite with fma: the first step is exact); returns r and
 * sets *k. Called for |x| >= 2^-25 up to 88.8, so r is 0 never and |r| >= 2^-40 (ln 2 is far
 * from every ratio of floats of this range). */
CT_M_FN float ct_m_reduce(float x, int *k) {
    const float kf = CT_M_RINT(x * CT_M_LOG2E);
    float r = CT_M_FMA(kf, -CT_M_LN2_HI, x);
    r = CT_M_FMA(kf, -CT_M_LN2_LO, r);
    *k = (int)kf;
    return r;
}

/* e^x. NaN stays; x > 88.72: +Inf; x < -87.34 (a result below FLT_MIN): +0. */
CT_M_FN float ct_expf(float x) {
    if (CT_M_ISNAN(x)) {
        return x;
    }
    if (x > CT_M_EXP_MAX) {
        return CT_M_FLOAT(0x7f800000U);
    }
    if (x < CT_M_EXP_MIN) {
        return 0.0f;
    }
    if (CT_M_FABS(x) < 0x1p-25f) { /* 1 + x rounds to 1; takes ±0 and denormals too */
        return 1.0f;
    }
    int k;
    const float r = ct_m_reduce(x, &k);
    float y = ct_m_expm1_poly(r) + 1.0f;
    if (k > 127) { /* k = 128 for x just below EXP_MAX */
        y *= 2.0f;
        k -= 1;
    }
    y *= ct_m_pow2(k < -126 ? -126 : k); /* k >= -126 for x >= EXP_MIN */
    return y < 0x1p-126f ? 0.0f : y;    /* y < FLT_MIN cannot come from x >= EXP_MIN; kept safe */
}

/* e^x - 1, accurate near 0. NaN stays; |x| < 2^-25: x itself; x > 88.72: +Inf; x < -17.4: -1. */
CT_M_FN float ct_expm1f(float x) {
    if (CT_M_ISNAN(x) || CT_M_FABS(x) < 0x1p-25f) {
        return x;
    }
    if (x > CT_M_EXP_MAX) {
        return CT_M_FLOAT(0x7f800000U);
    }
    if (x < -17.4f) { /* e^x < 2^-25: rounds to -1 */
        return -1.0f;
    }
    int k;
    const float r = ct_m_reduce(x, &k);
    const float p = ct_m_expm1_poly(r);
    if (k == 0) {
        return p;
    }
    if (k > 127) { /* 2^128 (p + 1) - 1 = 2 (2^127 p + 2^127), the 1 far below an ulp */
        return 2.0f * CT_M_FMA(0x1p127f, p, 0x1p127f);
    }
    const float s = ct_m_pow2(k); /* k >= -26 here */
    if (k < -10) {                /* s (p + 1) - 1: the rounding of p + 1 is far below an ulp */
        return CT_M_FMA(s, p + 1.0f, -1.0f);
    }
    return CT_M_FMA(s, p, s - 1.0f); /* s - 1 exact for -10 <= k <= 24, one rounding after */
}

/* log(1 + f) for sqrt(1/2) - 1 <= f < sqrt(2) - 1, plus e ln 2 and c (a small correction
 * added before the last two sums): Cephes' logf polynomial (S. L. Moshier), with fma. */
CT_M_FN float ct_m_log_kernel(float f, int e, float c) {
    const float z = f * f;
    float p = 7.0376836292E-2f;
    p = CT_M_FMA(p, f, -1.1514610310E-1f);
    p = CT_M_FMA(p, f, 1.1676998740E-1f);
    p = CT_M_FMA(p, f, -1.2420140846E-1f);
    p = CT_M_FMA(p, f, 1.4249322787E-1f);
    p = CT_M_FMA(p, f, -1.6668057665E-1f);
    p = CT_M_FMA(p, f, 2.0000714765E-1f);
    p = CT_M_FMA(p, f, -2.4999993993E-1f);
    p = CT_M_FMA(p, f, 3.3333331174E-1f);
    const float fe = (float)e;
    float y = (p * f) * z;
    y = CT_M_FMA(fe, -2.12194440E-4f, y + c); /* ln 2 - 0.693359375 */
    y = CT_M_FMA(z, -0.5f, y);
    return CT_M_FMA(fe, 0.693359375f, f + y); /* e * 0.693359375 is exact (9 bits) */
}

/* m in [sqrt(1/2), sqrt(2)) and e with u = m 2^e, for the bits u of a positive finite float
 * (a denormal normalised with integer operations); returns m - 1 (exact). */
CT_M_FN float ct_m_split(CT_M_U32 u, int *e) {
    int ex = (int)(u >> 23) - 127;
    if (ex == -127) { /* denormal: shift its leading 1 into bit 23 */
        const int sh = (int)CT_M_CLZ(u) - 8;
        u <<= sh;
        ex = -126 - sh;
    }
    u = (u & 0x007fffffU) | 0x3f800000U; /* m in [1, 2) */
    if (u > 0x3fb504f3U) {               /* m > sqrt(2): halve it */
        u -= 0x00800000U;
        ex += 1;
    }
    *e = ex;
    return CT_M_FLOAT(u) - 1.0f;
}

/* ln x. x < 0 or NaN: NaN; ±0: -Inf; +Inf: +Inf; a denormal x is read exactly. */
CT_M_FN float ct_logf(float x) {
    const CT_M_U32 u = CT_M_BITS(x);
    if (CT_M_ISNAN(x) || x < 0.0f) {
        return CT_M_FLOAT(0x7fc00000U);
    }
    if ((u & 0x7fffffffU) == 0U) {
        return CT_M_FLOAT(0xff800000U);
    }
    if (u == 0x7f800000U) {
        return x;
    }
    int e;
    const float f = ct_m_split(u, &e);
    return ct_m_log_kernel(f, e, 0.0f);
}

/* ln(1 + x), accurate near 0. x < -1 or NaN: NaN; -1: -Inf; +Inf: +Inf; |x| < 2^-25: x. */
CT_M_FN float ct_log1pf(float x) {
    if (CT_M_ISNAN(x) || CT_M_FABS(x) < 0x1p-25f) {
        return x;
    }
    if (x < -1.0f) {
        return CT_M_FLOAT(0x7fc00000U);
    }
    if (x == -1.0f) {
        return CT_M_FLOAT(0xff800000U);
    }
    if (x >= -0x1.2bec34p-2f && x < 0x1.a82798p-2f) { /* 1 + x in [sqrt(1/2), sqrt(2)) */
        return ct_m_log_kernel(x, 0, 0.0f);
    }
    const float u = 1.0f + x;
    if (CT_M_BITS(u) == 0x7f800000U) {
        return u;
    }
    /* log(1 + x) = log(u) + (x - (u - 1)) / u; the correction matters below 2^24 only (and
     * stays out of the denormal range there) */
    const float c = x < 0x1p24f ? (x - (u - 1.0f)) / u : 0.0f;
    int e;
    const float f = ct_m_split(CT_M_BITS(u), &e);
    return ct_m_log_kernel(f, e, c);
}

/* tanh x. NaN stays; |x| < 2^-12: x; |x| > 9.1: ±1; below 0.625 Cephes' tanhf polynomial
 * (S. L. Moshier), above t / (t + 2) with t = expm1(2 |x|). */
CT_M_FN float ct_tanhf(float x) {
    const float a = CT_M_FABS(x);
    if (CT_M_ISNAN(x) || a < 0x1p-12f) {
        return x;
    }
    if (a > 9.1f) {
        return CT_M_COPYSIGN(1.0f, x);
    }
    if (a < 0.625f) {
        const float z = x * x;
        float p = -5.70498872745E-3f;
        p = CT_M_FMA(p, z, 2.06390887954E-2f);
        p = CT_M_FMA(p, z, -5.37397155531E-2f);
        p = CT_M_FMA(p, z, 1.33314422036E-1f);
        p = CT_M_FMA(p, z, -3.33332819422E-1f);
        return CT_M_FMA(p * z, x, x);
    }
    const float t = ct_expm1f(2.0f * a);
    return CT_M_COPYSIGN(t / (t + 2.0f), x);
}

/* erf x. NaN stays; |x| < FLT_MIN: ±0 (the denormal rule); |x| < 2^-12: x 2/sqrt(pi);
 * |x| < 1: x + x Q(x^2); |x| < 3.92: 1 - e^-x^2 R(|x|) with x^2 split exactly into hi + lo
 * (e^-x^2 = e^-hi (1 - lo)); beyond: ±1. Q and R: least-squares fits (tests/test_math.c). */
CT_M_FN float ct_erff(float x) {
    const float a = CT_M_FABS(x);
    if (CT_M_ISNAN(x)) {
        return x;
    }
    if (a < 0x1p-126f) {
        return CT_M_COPYSIGN(0.0f, x);
    }
    if (a < 0x1p-12f) {
        return x * 0x1.20dd76p+0f;
    }
    if (a < 1.0f) {
        const float z = x * x;
        float q = -0x1.466db8p-17f;
        q = CT_M_FMA(q, z, 0x1.d97598p-14f);
        q = CT_M_FMA(q, z, -0x1.bcfa24p-11f);
        q = CT_M_FMA(q, z, 0x1.562e3ap-8f);
        q = CT_M_FMA(q, z, -0x1.b82a26p-6f);
        q = CT_M_FMA(q, z, 0x1.ce2f0ep-4f);
        q = CT_M_FMA(q, z, -0x1.812746p-2f);
        q = CT_M_FMA(q, z, 0x1.06eba8p-3f);
        return CT_M_FMA(x, q, x);
    }
    if (a >= 3.92f) {
        return CT_M_COPYSIGN(1.0f, x);
    }
    const float t = a - 2.5f; /* exact */
    float r = 0x1.9bfe2ap-24f;
    r = CT_M_FMA(r, t, -0x1.c706aep-22f);
    r = CT_M_FMA(r, t, 0x1.12be4ap-20f);
    r = CT_M_FMA(r, t, -0x1.f92aa8p-19f);
    r = CT_M_FMA(r, t, 0x1.0c6340p-16f);
    r = CT_M_FMA(r, t, -0x1.f3024cp-15f);
    r = CT_M_FMA(r, t, 0x1.ba9b38p-13f);
    r = CT_M_FMA(r, t, -0x1.8066e2p-11f);
    r = CT_M_FMA(r, t, 0x1.435ab4p-9f);
    r = CT_M_FMA(r, t, -0x1.0632f4p-7f);
    r = CT_M_FMA(r, t, 0x1.989596p-6f);
    r = CT_M_FMA(r, t, -0x1.3086d6p-4f);
    r = CT_M_FMA(r, t, 0x1.afbb40p-3f);
    const float hi = a * a, lo = CT_M_FMA(a, a, -hi); /* lo: 0 or >= 2^-48 */
    const float e = ct_expf(-hi);
    const float c = CT_M_FMA(e, -lo, e) * r; /* e^-x^2 R, >= 2^-26 */
    return CT_M_COPYSIGN(1.0f - c, x);
}

#ifdef __OPENCL_VERSION__
/* The common bits' probe (ct_device_gives_common_bits): for each triple (a, b, c) of in,
 * out[6i..6i+6) = a * b + c as written (no contraction), a / b, sqrt(|a|), fma(a, b, c), a * b,
 * a + c; the host compares them with IEEE results and sees flushed denormals. */
__kernel void bits_probe(__global float *out, uint offOut, __global const float *in, uint offIn,
                         uint n) {
    uint i = (uint)get_global_id(0);
    if (i >= n) {
        return;
    }
    in += offIn + 3 * i;
    out += offOut + 6 * i;
    const float a = in[0], b = in[1], c = in[2];
    out[0] = a * b + c;
    out[1] = a / b;
    out[2] = sqrt(fabs(a));
    out[3] = fma(a, b, c);
    out[4] = a * b;
    out[5] = a + c;
}

/* The test's window on these functions: out[i] = f(x[i]), fn 0..5 = exp, expm1, log, log1p,
 * tanh, erf (enum ct_math_fn in host/ct_math.h). */
__kernel void math_eval(__global float *out, uint offOut, __global const float *x, uint offX,
                        int fn, uint n) {
    uint i = (uint)get_global_id(0);
    if (i >= n) {
        return;
    }
    const float v = x[offX + i];
    float y;
    switch (fn) {
    case 0: y = ct_expf(v); break;
    case 1: y = ct_expm1f(v); break;
    case 2: y = ct_logf(v); break;
    case 3: y = ct_log1pf(v); break;
    case 4: y = ct_tanhf(v); break;
    default: y = ct_erff(v); break;
    }
    out[offOut + i] = y;
}
#endif
