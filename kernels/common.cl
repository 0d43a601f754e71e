/* Shared definitions of every kernel file. The program is built from ONE source: this file first,
 * then the other kernels/ files (.cl) in alphabetical order. OpenCL C 1.2, float32 only.
 *
 * Conventions: every buffer argument is a pair (__global float *buf, uint off) and the kernel
 * starts with buf += off. Elementwise kernels take n and return early for i >= n (the host rounds
 * the global size up). Helpers are plain functions (no `inline`/`static`) for portability; every
 * OpenCL compiler inlines them. */

/* No contraction (DESIGN.md principle 6): a * b + c is a product rounded, then a sum rounded, on
 * every implementation; fma only where a kernel writes fma(). PoCL fuses such expressions
 * unless told (measured: all 4093 of 4093 cases where the two differ), rusticl does not. The
 * program is one source with this file first, so this line covers every kernel file. */
#pragma OPENCL FP_CONTRACT OFF

/* Work-group size of the single-group reductions (power of two <= 256). */
#ifndef CT_RED_WG
#define CT_RED_WG 256
#endif
/* Number of partial sums written by sum_squares_partial. */
#ifndef CT_RED_PARTIALS
#define CT_RED_PARTIALS 64
#endif
/* Floats per vector on this device (4, 8 or 16; set by the host from the device's native
 * width): a vector of this width is one register, where a wider one spills and makes PoCL warn
 * that it "changes the ABI". */
#ifndef CT_VW
#define CT_VW 16
#endif
#define CT_CAT_(a, b) a##b
#define CT_CAT(a, b) CT_CAT_(a, b)

/* The denormal rule (DESIGN.md principle 6): implementations disagree about denormals (rusticl's
 * fma flushes them, PoCL keeps them, a GPU may flush every operation), so a product, quotient or
 * sum that can leave the normal range (a moment or a running statistic decaying step after step,
 * the square of a tiny gradient, the product of two small factors) goes through ct_fz, which
 * gives +0 for a result below FLT_MIN in magnitude (a compare and a mask): no stored value is
 * denormal and nothing depends on an implementation's flushing. NaN passes. The zero is +0
 * whatever the sign, which takes one operation less than keeping the sign (copysign) and is the
 * same on a device that flushes in hardware (to -0 or +0) before ct_fz sees the value.
 *
 * A kernel may flush fewer values where it shows that the ones it leaves unflushed cannot change
 * a stored bit, denormal or flushed (adam_step, kernels/optim.cl, and tests/test_optim_bits.c). */
float ct_fz(float r) {
    return fabs(r) < 0x1p-126f ? 0.0f : r;
}
/* a * b and a + b (a - b as ct_fa(a, -b): the same rounding), flushed. */
float ct_fm(float a, float b) { return ct_fz(a * b); }
float ct_fa(float a, float b) { return ct_fz(a + b); }

/* Elements per work-item of the activation kernels: set by the host, 16 on CPU devices (a
 * work-item's loop over them is vectorized there), 1 elsewhere. */
#ifndef CT_EW
#define CT_EW 1
#endif

/* Parameters per work-item of the optimizers: set by the host, 8 CT_EW on CPU devices (one
 * launch over every parameter: a256's 235,146 in 1,838 work-items rather than 14,697, whose
 * per-item overhead was a quarter of adam_step's time), 1 elsewhere. */
#ifndef CT_OEW
#define CT_OEW CT_EW
#endif

/* Runs the statements once per element t = 0..m-1 of a work-item's block of N (m <= N: fewer in
 * the last block); CT_EW_FOR with N = CT_EW, CT_OEW_FOR with CT_OEW. PoCL does not vectorize
 * across work-items once a kernel holds ct_fz's compare and select (measured on adam_step, one
 * element per work-item: scalar, 1.4 GB/s, where the same body without ct_fz ran 8-wide at 52
 * GB/s), but it vectorizes a loop within a work-item. A whole block takes a loop of constant
 * trip count (whole vectors, no remainder, no test per element); only the last block of a
 * launch takes the loop of count m. Each element gets the same operations either way. */
#define CT_BLOCK_FOR(N, m, ...)                                                                    \
    if ((m) == (N)) {                                                                              \
        for (uint t = 0; t < (N); ++t) {                                                           \
            __VA_ARGS__                                                                            \
        }                                                                                          \
    } else {                                                                                       \
        for (uint t = 0; t < (m); ++t) {                                                           \
            __VA_ARGS__                                                                            \
        }                                                                                          \
    }
#define CT_EW_FOR(m, ...) CT_BLOCK_FOR(CT_EW, m, __VA_ARGS__)
#define CT_OEW_FOR(m, ...) CT_BLOCK_FOR(CT_OEW, m, __VA_ARGS__)

/* Activation codes: CT_ACT_<ID>, the numbers of enum ct_act, come with the build options, from
 * the one list (CT_ACT_LIST in host/cltrain.h; host/device.c, program_options). */
#ifndef CT_ACT_IDENTITY
#error "built without the activation codes (-DCT_ACT_<ID>=<code>, see host/device.c)"
#endif

/* sqrt(2 / pi) and the cubic coefficient of the tanh approximation of GELU. */
#define CT_GELU_C 0.7978845608028654f
#define CT_GELU_K 0.044715f

/* A 32-bit integer finaliser (good avalanche, bijective); identical to ct_mix32 in rng.h. */
uint ct_mix32(uint x) {
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

/* The permutation of 0..n-1 used to shuffle an epoch: a 4-round Feistel network over 2h bits
 * (4^h >= n) keyed by (k0, k1), cycle-walked until the value falls below n. Identical to
 * ct_perm_index in host/rng.h. */
uint ct_perm_index(uint i, uint n, uint h, uint k0, uint k1) {
    uint mask = (1U << h) - 1U;
    uint x = i;
    do {
        uint L = x >> h, R = x & mask;
        for (uint r = 0; r < 4; ++r) {
            uint F = ct_mix32(R ^ ct_mix32(k0 + r * 0x9E3779B9U) ^ k1) & mask;
            uint t = R;
            R = L ^ F;
            L = t;
        }
        x = (L << h) | R;
    } while (x >= n);
    return x;
}

/* The elementary functions of kernels/math.cl (the same bits on every implementation). */
float ct_expf(float x);
float ct_expm1f(float x);
float ct_logf(float x);
float ct_log1pf(float x);
float ct_tanhf(float x);
float ct_erff(float x);

/* sigmoid(x) from e = exp(-|x|) (ct_exp_nabs): 1 / (1 + e) for x >= 0, e / (1 + e) below; never
 * overflows: exact 1 at x = +1000 and 0 at x = -1000. */
float ct_sigmoid_e(float x, float e) {
    return x >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
}
/* -|x|: x >= 0 negated, x < 0 (and NaN) as it is */
float ct_nabs(float x) { return x >= 0.0f ? -x : x; }
/* exp(-|x|), the one exponential of sigmoid(x) and its derivative */
float ct_exp_nabs(float x) { return ct_expf(ct_nabs(x)); }
/* The argument of the sigmoid in sigmoid, SiLU (z) and GELU (2u, u = sqrt(2/pi) (z + 0.044715
 * z^3), the tanh form). */
float ct_sigmoid_arg(int act, float z) {
    return act == CT_ACT_GELU ? 2.0f * (CT_GELU_C * (z + CT_GELU_K * z * z * z)) : z;
}
float ct_sigmoid(float z) { return ct_sigmoid_e(z, ct_exp_nabs(z)); }

/* e / (1 + e)^2: sigmoid(x) (1 - sigmoid(x)) from e = exp(-|x|), without cancellation. */
float ct_sigmoid_grad_e(float e) {
    float d = 1.0f + e;
    return e / (d * d);
}

/* f(z) of activation `act` (codes: CT_ACT_LIST); alpha: leaky slope or ELU saturation.
 * GELU (tanh form): 0.5 z (1 + tanh(u)) = z * sigmoid(2u), u = sqrt(2/pi) (z + 0.044715 z^3).
 * One call of each elementary function whatever the activation (sigmoid, GELU and SiLU share
 * theirs): code that runs for a run-time code holds every case, and rusticl's llvmpipe compiles
 * each copy of an inlined function at length. */
float ct_act_f(int act, float alpha, float z) {
    switch (act) {
    case CT_ACT_RELU: return z < 0.0f ? 0.0f : z; /* NaN passes through */
    case CT_ACT_LEAKY_RELU: return z < 0.0f ? alpha * z : z;
    case CT_ACT_ELU: return z > 0.0f ? z : alpha * ct_expm1f(z);
    case CT_ACT_TANH: return ct_tanhf(z);
    case CT_ACT_SIGMOID:
    case CT_ACT_GELU:
    case CT_ACT_SILU: {
        const float s = ct_sigmoid(ct_sigmoid_arg(act, z));
        return act == CT_ACT_SIGMOID ? s : z * s;
    }
    default: return z;
    }
}

/* f'(z); at exactly z == 0 relu gives 0, leaky relu alpha, ELU alpha.
 * GELU: 0.5 (1 + tanh u) + 0.5 z sech^2(u) sqrt(2/pi) (1 + 3 * 0.044715 z^2)
 *     = s + 2 z s (1 - s) u',  s = sigmoid(2u), u' = sqrt(2/pi) (1 + 0.134145 z^2).
 * One exponential whatever the activation (as in ct_act_f). */
float ct_act_df(int act, float alpha, float z) {
    switch (act) {
    case CT_ACT_RELU: return z > 0.0f ? 1.0f : 0.0f;
    case CT_ACT_LEAKY_RELU: return z > 0.0f ? 1.0f : alpha;
    case CT_ACT_ELU:
    case CT_ACT_SIGMOID:
    case CT_ACT_TANH:
    case CT_ACT_GELU:
    case CT_ACT_SILU: break;
    default: return 1.0f;
    }
    const float x = ct_sigmoid_arg(act, z);
    const float e = ct_expf(act == CT_ACT_ELU    ? z
                            : act == CT_ACT_TANH ? -2.0f * fabs(z)
                                                 : ct_nabs(x));
    const float q = ct_sigmoid_grad_e(e); /* s (1 - s), 0 once saturated */
    switch (act) {
    case CT_ACT_ELU: return z > 0.0f ? 1.0f : alpha * e;
    case CT_ACT_SIGMOID: return q;
    case CT_ACT_TANH: { /* 4 e / (1 + e)^2 */
        const float d = 1.0f + e;
        return 4.0f * e / (d * d);
    }
    case CT_ACT_GELU: {
        float d = ct_sigmoid_e(x, e);
        if (q > 0.0f) {
            d += 2.0f * z * q * CT_GELU_C * (1.0f + 3.0f * CT_GELU_K * z * z);
        }
        return d;
    }
    default: /* SiLU: s + z s (1 - s), s = sigmoid(z) */
        return ct_sigmoid_e(x, e) + z * q;
    }
}

/* The reductions sum over CT_RED_LANES logical lanes, always 256, whatever the work-group size
 * (DESIGN.md principle 6: the order is fixed by the data's shape alone). Work-item l of a group of
 * CT_RED_WG (a power of two <= 256) plays lanes l, l + CT_RED_WG, ... */
#define CT_RED_LANES 256

/* Sums sh[0..CT_RED_LANES) in a fixed tree order (sh[j] += sh[j + stride], stride 128, 64, ...,
 * 1); every work-item must call it after writing its lanes. The result is valid in every
 * work-item. */
float ct_lanes_sum(__local float *sh, uint l) {
    for (uint stride = CT_RED_LANES / 2; stride > 0; stride >>= 1) {
        barrier(CLK_LOCAL_MEM_FENCE);
        for (uint j = l; j < stride; j += CT_RED_WG) {
            sh[j] += sh[j + stride];
        }
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    return sh[0];
}
