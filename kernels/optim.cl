/* Optimizer steps: one launch over the flat parameter buffer, one work-item per parameter.
 * Common to all: when clip_norm > 0, g = clip * G with clip = min(1, clip_norm / (||G|| + 1e-6)),
 * ||G|| = sqrt(gnorm_sq[0]) (computed on the device beforehand); else g = G. Coupled weight decay
 * (every optimizer but AdamW) then adds wd * P to g. Buffers the optimizer does not use are not
 * read (gnorm_sq when clip_norm <= 0).
 *
 * Denormals (the common bits, DESIGN.md principle 6): every product and sum that can leave the
 * normal range (g * g of a tiny gradient, moments decaying over many steps, lr times a tiny
 * step) goes through ct_fm / ct_fa / ct_fz (kernels/common.cl), which give +-0 for a result
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
    uint i = (uint)get_global_id(0);
    if (i >= n) {
        return;
    }
    P += offP;
    G += offG;
    gnorm_sq += offN;
    float p = P[i];
    float g = ct_grad(ct_clip_factor(gnorm_sq, clip_norm), G[i], wd, p);
    P[i] = ct_fa(p, -ct_fm(lr, g));
}

/* m = first ? g : mu m + (1 - dampening) g;  P -= lr m, or P -= lr (g + mu m) when nesterov. */
__kernel void momentum_step(__global float *P, uint offP, __global float *M, uint offM,
                            __global const float *G, uint offG, __global const float *gnorm_sq,
                            uint offN, uint n, float lr, float mu, float dampening, float wd,
                            float clip_norm, int first, int nesterov) {
    uint i = (uint)get_global_id(0);
    if (i >= n) {
        return;
    }
    P += offP;
    M += offM;
    G += offG;
    gnorm_sq += offN;
    float p = P[i];
    float g = ct_grad(ct_clip_factor(gnorm_sq, clip_norm), G[i], wd, p);
    float m = first ? g : ct_fa(ct_fm(mu, M[i]), ct_fm(1.0f - dampening, g));
    M[i] = m;
    P[i] = ct_fa(p, -ct_fm(lr, nesterov ? ct_fa(g, ct_fm(mu, m)) : m));
}

/* v = rho v + (1 - rho) g^2;  P -= lr g / (sqrt(v) + eps) */
__kernel void rmsprop_step(__global float *P, uint offP, __global float *V, uint offV,
                           __global const float *G, uint offG, __global const float *gnorm_sq,
                           uint offN, uint n, float lr, float rho, float eps, float wd,
                           float clip_norm) {
    uint i = (uint)get_global_id(0);
    if (i >= n) {
        return;
    }
    P += offP;
    V += offV;
    G += offG;
    gnorm_sq += offN;
    float p = P[i];
    float g = ct_grad(ct_clip_factor(gnorm_sq, clip_norm), G[i], wd, p);
    float v = ct_fa(ct_fm(rho, V[i]), ct_fm(1.0f - rho, ct_fm(g, g)));
    V[i] = v;
    float d = ct_fm(lr, g) / (sqrt(v) + eps);
    P[i] = ct_fa(p, -ct_fz(d));
}

/* m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * P -= step_size * m / (sqrt(v) * inv_sqrt_bc2 + eps), step_size = lr / (1 - b1^t),
 * inv_sqrt_bc2 = 1 / sqrt(1 - b2^t) (both from the host, computed in double).
 * decoupled (AdamW): P -= lr wd P first and g gets no wd term. */
__kernel void adam_step(__global float *P, uint offP, __global float *M, uint offM,
                        __global float *V, uint offV, __global const float *G, uint offG,
                        __global const float *gnorm_sq, uint offN, uint n, float lr, float b1,
                        float b2, float eps, float wd, float clip_norm, float step_size,
                        float inv_sqrt_bc2, int decoupled) {
    uint i = (uint)get_global_id(0);
    if (i >= n) {
        return;
    }
    P += offP;
    M += offM;
    V += offV;
    G += offG;
    gnorm_sq += offN;
    float p = P[i];
    float g = ct_fm(ct_clip_factor(gnorm_sq, clip_norm), G[i]);
    if (decoupled) {
        p = ct_fa(p, -ct_fm(ct_fm(lr, wd), p));
    } else {
        g = ct_fa(g, ct_fm(wd, p));
    }
    float m = ct_fa(ct_fm(b1, M[i]), ct_fm(1.0f - b1, g));
    float v = ct_fa(ct_fm(b2, V[i]), ct_fm(1.0f - b2, ct_fm(g, g)));
    M[i] = m;
    V[i] = v;
    float d = ct_fm(step_size, m) / (sqrt(v) * inv_sqrt_bc2 + eps);
    P[i] = ct_fa(p, -ct_fz(d));
}

/* Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"): decoupled weight
 * decay p -= lr wd p, then c = b1 m + (1 - b1) g, p -= lr sign(c) (sign 0 at 0 and NaN), and
 * m = b2 m + (1 - b2) g. */
__kernel void lion_step(__global float *P, uint offP, __global float *M, uint offM,
                        __global const float *G, uint offG, __global const float *gnorm_sq,
                        uint offN, uint n, float lr, float b1, float b2, float wd,
                        float clip_norm) {
    uint i = (uint)get_global_id(0);
    if (i >= n) {
        return;
    }
    P += offP;
    M += offM;
    G += offG;
    gnorm_sq += offN;
    float p = P[i];
    float g = ct_fm(ct_clip_factor(gnorm_sq, clip_norm), G[i]);
    float m = M[i];
    p = ct_fa(p, -ct_fm(ct_fm(lr, wd), p));
    float c = ct_fa(ct_fm(b1, m), ct_fm(1.0f - b1, g));
    P[i] = ct_fa(p, -ct_fm(lr, sign(c)));
    M[i] = ct_fa(ct_fm(b2, m), ct_fm(1.0f - b2, g));
}
