/* Optimizer steps: one launch over the flat parameter buffer, CT_OEW consecutive parameters per
 * work-item (CT_OEW_FOR, kernels/common.cl; the host launches ceil(n / CT_OEW) work-items).
 * Common to all: when clip_norm > 0, g = clip * G with clip = min(1, clip_norm / (||G|| + 1e-6)),
 * ||G|| = sqrt(gnorm_sq[0]) (computed on the device beforehand); else g = G. Coupled weight decay
 * (every optimizer but AdamW) then adds wd * P to g. Buffers the optimizer does not use are not
 * read (gnorm_sq when clip_norm <= 0).
 *
 * Denormals (the common bits, DESIGN.md principle 6): every product and sum that can leave the
 * normal range (g * g of a tiny gradient, moments decaying over many steps, lr times a tiny
 * step) goes through ct_fm / ct_fa / ct_fz (kernels/common.cl), which give +0 for a result
 * below FLT_MIN, so no state or weight ever holds a denormal and no result depends on whether an
 * implementation flushes them (rusticl flushes fma's, PoCL keeps them; a GPU may flush every
 * operation). */

/* The gradient with clipping and coupled weight decay: clip * G + wd * p, flushed. */
float ct_grad(float clip, float G, float wd, float p) {
    return ct_fa(ct_fm(clip, G), ct_fm(wd, p));
}

/* The clip factor, 1 when clipping is off. */
float ct_clip_factor(__global const float *gnorm_sq, float clip_norm) {
    if (clip_norm > 0.0f) {
        return fmin(1.0f, clip_norm / (sqrt(gnorm_sq[0]) + 1e-6f));
    }
    return 1.0f;
}

/* P -= lr g */
__kernel void sgd_step(__global float *P, uint offP, __global const float *G, uint offG,
                       __global const float *gnorm_sq, uint offN, uint n, float lr, float wd,
                       float clip_norm) {
    const uint i0 = (uint)get_global_id(0) * CT_OEW;
    if (i0 >= n) {
        return;
    }
    const uint m = min((uint)CT_OEW, n - i0);
    P += offP + i0;
    G += offG + i0;
    const float clip = ct_clip_factor(gnorm_sq + offN, clip_norm);
    CT_OEW_FOR(m, {
        float p = P[t];
        float g = ct_grad(clip, G[t], wd, p);
        P[t] = ct_fa(p, -ct_fm(lr, g));
    })
}

/* m = first ? g : mu m + (1 - dampening) g;  P -= lr m, or P -= lr (g + mu m) when nesterov.
 * The two flags are the same for every element: one loop per case, branch-free. */
__kernel void momentum_step(__global float *P, uint offP, __global float *M, uint offM,
                            __global const float *G, uint offG, __global const float *gnorm_sq,
                            uint offN, uint n, float lr, float mu, float dampening, float wd,
                            float clip_norm, int first, int nesterov) {
    const uint i0 = (uint)get_global_id(0) * CT_OEW;
    if (i0 >= n) {
        return;
    }
    const uint m = min((uint)CT_OEW, n - i0);
    P += offP + i0;
    M += offM + i0;
    G += offG + i0;
    const float clip = ct_clip_factor(gnorm_sq + offN, clip_norm);
    if (first && nesterov) {
        CT_OEW_FOR(m, {
            float p = P[t];
            float g = ct_grad(clip, G[t], wd, p);
            M[t] = g;
            P[t] = ct_fa(p, -ct_fm(lr, ct_fa(g, ct_fm(mu, g))));
        })
    } else if (first) {
        CT_OEW_FOR(m, {
            float p = P[t];
            float g = ct_grad(clip, G[t], wd, p);
            M[t] = g;
            P[t] = ct_fa(p, -ct_fm(lr, g));
        })
    } else if (nesterov) {
        CT_OEW_FOR(m, {
            float p = P[t];
            float g = ct_grad(clip, G[t], wd, p);
            float v = ct_fa(ct_fm(mu, M[t]), ct_fm(1.0f - dampening, g));
            M[t] = v;
            P[t] = ct_fa(p, -ct_fm(lr, ct_fa(g, ct_fm(mu, v))));
        })
    } else {
        CT_OEW_FOR(m, {
            float p = P[t];
            float g = ct_grad(clip, G[t], wd, p);
            float v = ct_fa(ct_fm(mu, M[t]), ct_fm(1.0f - dampening, g));
            M[t] = v;
            P[t] = ct_fa(p, -ct_fm(lr, v));
        })
    }
}

/* v = rho v + (1 - rho) g^2;  P -= lr g / (sqrt(v) + eps) */
__kernel void rmsprop_step(__global float *P, uint offP, __global float *V, uint offV,
                           __global const float *G, uint offG, __global const float *gnorm_sq,
                           uint offN, uint n, float lr, float rho, float eps, float wd,
                           float clip_norm) {
    const uint i0 = (uint)get_global_id(0) * CT_OEW;
    if (i0 >= n) {
        return;
    }
    const uint m = min((uint)CT_OEW, n - i0);
    P += offP + i0;
    V += offV + i0;
    G += offG + i0;
    const float clip = ct_clip_factor(gnorm_sq + offN, clip_norm);
    CT_OEW_FOR(m, {
        float p = P[t];
        float g = ct_grad(clip, G[t], wd, p);
        float v = ct_fa(ct_fm(rho, V[t]), ct_fm(1.0f - rho, ct_fm(g, g)));
        V[t] = v;
        float d = ct_fm(lr, g) / (sqrt(v) + eps);
        P[t] = ct_fa(p, -ct_fz(d));
    })
}

/* m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * P -= step_size * m / (sqrt(v) * inv_sqrt_bc2 + eps), step_size = lr / (1 - b1^t),
 * inv_sqrt_bc2 = 1 / sqrt(1 - b2^t) (both from the host, computed in double).
 * decoupled (AdamW): P -= lr wd P first and g gets no wd term.
 *
 * Flushes (kernels/common.cl, the denormal rule), four an element where the rule's plain form
 * took fourteen (they were a third of the kernel's time): m is stored as 0 below m_floor in
 * magnitude and v below 2^-100, P and the step d below 2^-126; the products and sums before them
 * are not flushed. That gives the same bits with denormals kept or flushed, because
 *  - every term of m's and v's sums is a product of one stored value or of g (g itself a
 *    product of the gradient, or a sum of two flushed products) by a factor of magnitude <= 1
 *    (the host keeps b1, b2 in [0, 1); clip <= 1), or the square of g: such a term is the same
 *    on every device or it is below 2^-126, denormal where denormals are kept and +-0 where
 *    they are flushed;
 *  - a sum x + y with |y| < 2^-126 rounds to x when |x| >= 2^-101 (y is below a quarter of x's
 *    ulp), and is below 2^-100, so stored as 0, when |x| < 2^-101;
 *  - m_floor = max(2^-100, 2^-125 / step_size) (ct_adam_m_floor, from the host) keeps
 *    step_size m normal.
 * With weight decay, g = clip G + wd p flushes both products (a sum's operands must be the same
 * everywhere for it to be). tests/test_optim_bits.c checks this against a model of the kernel
 * run with and without the CPU's flush-to-zero, on inputs drawn to make denormals everywhere. */
#define CT_ADAM_MOMENTS(p, g)                                                                      \
    float mt = b1 * M[t] + (1.0f - b1) * g;                                                        \
    mt = fabs(mt) < m_floor ? 0.0f : mt;                                                           \
    float vt = (1.0f - b2) * (g * g) + b2 * V[t];                                                  \
    vt = vt < 0x1p-100f ? 0.0f : vt;                                                               \
    M[t] = mt;                                                                                     \
    V[t] = vt;                                                                                     \
    float d = step_size * mt / (sqrt(vt) * inv_sqrt_bc2 + eps);                                    \
    P[t] = ct_fa(p, -ct_fz(d));
__kernel void adam_step(__global float *P, uint offP, __global float *M, uint offM,
                        __global float *V, uint offV, __global const float *G, uint offG,
                        __global const float *gnorm_sq, uint offN, uint n, float lr, float b1,
                        float b2, float eps, float wd, float clip_norm, float step_size,
                        float inv_sqrt_bc2, float m_floor, int decoupled) {
    const uint i0 = (uint)get_global_id(0) * CT_OEW;
    if (i0 >= n) {
        return;
    }
    const uint m = min((uint)CT_OEW, n - i0);
    P += offP + i0;
    M += offM + i0;
    V += offV + i0;
    G += offG + i0;
    const float clip = ct_clip_factor(gnorm_sq + offN, clip_norm);
    if (decoupled) {
        const float lrwd = ct_fm(lr, wd);
        CT_OEW_FOR(m, {
            float g = clip * G[t];
            float p = P[t];
            p = ct_fa(p, -ct_fm(lrwd, p));
            CT_ADAM_MOMENTS(p, g)
        })
    } else if (wd == 0.0f) {
        CT_OEW_FOR(m, {
            float g = clip * G[t];
            float p = P[t];
            CT_ADAM_MOMENTS(p, g)
        })
    } else {
        CT_OEW_FOR(m, {
            float p = P[t];
            float g = ct_fm(clip, G[t]) + ct_fm(wd, p);
            CT_ADAM_MOMENTS(p, g)
        })
    }
}
#undef CT_ADAM_MOMENTS

/* Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"): decoupled weight
 * decay p -= lr wd p, then c = b1 m + (1 - b1) g, p -= lr sign(c) (sign 0 at 0 and NaN), and
 * m = b2 m + (1 - b2) g. */
__kernel void lion_step(__global float *P, uint offP, __global float *M, uint offM,
                        __global const float *G, uint offG, __global const float *gnorm_sq,
                        uint offN, uint n, float lr, float b1, float b2, float wd,
                        float clip_norm) {
    const uint i0 = (uint)get_global_id(0) * CT_OEW;
    if (i0 >= n) {
        return;
    }
    const uint m = min((uint)CT_OEW, n - i0);
    P += offP + i0;
    M += offM + i0;
    G += offG + i0;
    const float clip = ct_clip_factor(gnorm_sq + offN, clip_norm);
    CT_OEW_FOR(m, {
        float p = P[t];
        float g = ct_fm(clip, G[t]);
        float mt = M[t];
        p = ct_fa(p, -ct_fm(ct_fm(lr, wd), p));
        float c = ct_fa(ct_fm(b1, mt), ct_fm(1.0f - b1, g));
        P[t] = ct_fa(p, -ct_fm(lr, sign(c)));
        M[t] = ct_fa(ct_fm(b2, mt), ct_fm(1.0f - b2, g));
    })
}
