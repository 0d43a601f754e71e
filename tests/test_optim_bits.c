/* Adam's and AdamW's bits where denormals arise (kernels/optim.cl, adam_step; the denormal rule
 * in kernels/common.cl). The kernel flushes four values an element, not every product and sum,
 * and stores m below a floor as 0: its comment shows why no unflushed value can change a stored
 * bit. This test checks that claim, bit for bit, on inputs drawn to make denormals at every
 * step of the update: magnitudes log-uniform from 2^-149 to 2^0, zeros, and a quarter of the
 * parameters set next to their step so that p - d falls below 2^-126.
 *  - model(): the kernel's operations, in the same order, in float on the host (this file is
 *    built with -ffp-contract=off);
 *  - run once as IEEE arithmetic (denormals kept, as PoCL and rusticl's * and +) and, on x86,
 *    once with the CPU's flush-to-zero and denormals-are-zero (every operation flushes, as a
 *    GPU may): the two must give the same bytes, or a left-out flush matters;
 *  - the device's bytes must equal them.
 * Three paths of the kernel: coupled weight decay 0 and not 0, and decoupled (AdamW); with and
 * without a binding clip. n is odd, so the last work-item's block is partial. Exit 0 pass. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64)
#include <xmmintrin.h>
#define CT_HAVE_FTZ 1
#endif

#include "device_util.h"
#include "ops.h"

enum { N = 4099 };

static float fz(float r) { return fabsf(r) < 0x1p-126f ? 0.0f : r; }
static float fm(float a, float b) { return fz(a * b); }
static float fa(float a, float b) { return fz(a + b); }

/* adam_step of kernels/optim.cl, element by element. The arguments arrive through volatile so
 * that no operation is folded at build time, outside the flush-to-zero mode. */
static void model(float *P, float *M, float *V, const float *G, float gnorm_sq,
                  const ct_optim_params *o, long long t, int decoupled, float *D) {
    volatile float vb1 = o->beta1, vb2 = o->beta2, veps = o->eps, vwd = o->weight_decay;
    volatile float vlr = o->lr, vcn = o->clip_norm, vgn = gnorm_sq;
    volatile float vss = (float)((double)o->lr / (1.0 - pow((double)o->beta1, (double)t)));
    volatile float vib = (float)(1.0 / sqrt(1.0 - pow((double)o->beta2, (double)t)));
    const float b1 = vb1, b2 = vb2, eps = veps, wd = vwd, lr = vlr, clip_norm = vcn;
    const float step_size = vss, inv_sqrt_bc2 = vib, gn = vgn;
    const float clip = clip_norm > 0.0f ? fminf(1.0f, clip_norm / (sqrtf(gn) + 1e-6f)) : 1.0f;
    const float lrwd = fm(lr, wd);
    const float m_floor = ct_adam_m_floor(step_size);
    for (int i = 0; i < N; i++) {
        float p = P[i], g;
        if (decoupled) {
            g = clip * G[i];
            p = fa(p, -fm(lrwd, p));
        } else if (wd == 0.0f) {
            g = clip * G[i];
        } else {
            g = fm(clip, G[i]) + fm(wd, p);
        }
        float mt = b1 * M[i] + (1.0f - b1) * g;
        mt = fabsf(mt) < m_floor ? 0.0f : mt;
        float vt = (1.0f - b2) * (g * g) + b2 * V[i];
        vt = vt < 0x1p-100f ? 0.0f : vt;
        M[i] = mt;
        V[i] = vt;
        float d = step_size * mt / (sqrtf(vt) * inv_sqrt_bc2 + eps);
        P[i] = fa(p, -fz(d));
        if (D) D[i] = d;
    }
}

static uint64_t rng_state;
static uint32_t rnd(void) {
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng_state >> 32);
}
/* 0 one time in 8; else a sign, a magnitude 2^-e (1 + u) with e uniform in [lo, hi]; below
 * 2^-126 the value is denormal (or 0). */
static float draw(int lo, int hi, int sign) {
    uint32_t r = rnd();
    if ((r & 7) == 0) return 0.0f;
    int e = lo + (int)(rnd() % (uint32_t)(hi - lo + 1));
    float v = ldexpf(1.0f + (float)(rnd() >> 8) * 0x1p-24f, -e);
    return sign && (r & 8) ? -v : v;
}
static float stored(float v) {
    return fabsf(v) < 0x1p-126f ? 0.0f : v;
} /* state is never denormal */

static int denormal(float v) { return v != 0.0f && fabsf(v) < 0x1p-126f; }

static int failures, checks;

/* want_pd: the case must reach p - d below 2^-126 (not where m's floor keeps the step large) */
static void run(ct_device *dev, const char *name, ct_optim kind, float wd, float clip_norm,
                float lr, float eps, long long t, int want_pd) {
    static float P0[N], M0[N], V0[N], G[N], P[2][N], M[2][N], V[2][N], Pd[N], Md[N], Vd[N];
    for (int i = 0; i < N; i++) {
        /* state: stored values, tiny to ordinary; the gradient may be denormal itself */
        P0[i] = stored(draw(0, 130, 1));
        M0[i] = stored(draw(0, 130, 1));
        V0[i] = stored(draw(0, 140, 0));
        G[i] = draw(0, 149, 1);
        if (i % 4 == 1) { /* a tiny step d: m small, v about 1, no gradient */
            G[i] = 0.0f;
            M0[i] = draw(95, 99, 1);
            V0[i] = 1.0f + (float)(rnd() >> 8) * 0x1p-24f;
        }
    }
    float gnorm_sq = 0.0f;
    if (clip_norm > 0.0f) gnorm_sq = 4.0f * clip_norm * clip_norm; /* clip = 1/2 */
    ct_optim_params o = ct_optim_defaults(kind);
    o.lr = lr;
    o.eps = eps;
    o.weight_decay = wd;
    o.clip_norm = clip_norm;
    int decoupled = kind == CT_OPT_ADAMW;
    int modes = 1;
    for (int m = 0; m < 2; m++) {
        memcpy(P[m], P0, sizeof P0);
        memcpy(M[m], M0, sizeof M0);
        memcpy(V[m], V0, sizeof V0);
    }
    /* those with a tiny step: p set next to d, so that p - d falls below 2^-126 (exactly
     * where p plays no part in d: weight decay 0) */
    static float D[N];
    model(P[0], M[0], V[0], G, gnorm_sq, &o, t, decoupled, D);
    int near = 0;
    for (int i = 1; i < N; i += 4)
        if (fabsf(D[i]) >= 0x1p-126f && fabsf(D[i]) < 0x1p-100f) {
            float ulp = nextafterf(fabsf(D[i]), INFINITY) - fabsf(D[i]);
            P0[i] = stored(D[i] + (float)((int)(rnd() % 64) - 32) * ulp);
            near++;
        }
    for (int m = 0; m < 2; m++) {
        memcpy(P[m], P0, sizeof P0);
        memcpy(M[m], M0, sizeof M0);
        memcpy(V[m], V0, sizeof V0);
    }
    model(P[0], M[0], V[0], G, gnorm_sq, &o, t, decoupled, NULL);
#ifdef CT_HAVE_FTZ
    unsigned csr = _mm_getcsr();
    _mm_setcsr(csr | 0x8040u); /* flush-to-zero and denormals-are-zero */
    model(P[1], M[1], V[1], G, gnorm_sq, &o, t, decoupled, NULL);
    _mm_setcsr(csr);
    modes = 2;
#endif
    cl_mem b[5] = {0};
    const char *bn[5] = {"P", "M", "V", "G", "gnorm"};
    const float *init[5] = {P0, M0, V0, G, &gnorm_sq};
    ct_status st = CT_OK;
    for (int i = 0; i < 5 && st == CT_OK; i++) {
        size_t bytes = i == 4 ? sizeof(float) : sizeof P0;
        st = ct_buffer_create(dev, &b[i], bytes, bn[i]);
        if (st == CT_OK) st = ct_buffer_write(dev, b[i], 0, bytes, init[i]);
    }
    if (st == CT_OK)
        st = ct_optim_step(dev, &o, ct_at(b[0], 0), ct_at(b[1], 0), ct_at(b[2], 0), ct_at(b[3], 0),
                           ct_at(b[4], 0), t, N);
    if (st == CT_OK) st = ct_buffer_read(dev, b[0], 0, sizeof Pd, Pd);
    if (st == CT_OK) st = ct_buffer_read(dev, b[1], 0, sizeof Md, Md);
    if (st == CT_OK) st = ct_buffer_read(dev, b[2], 0, sizeof Vd, Vd);
    for (int i = 0; i < 5; i++)
        if (b[i]) clReleaseMemObject(b[i]);
    checks++;
    if (st != CT_OK) {
        failures++;
        printf("FAIL %s: %s\n", name, ct_device_error(dev));
        return;
    }
    /* how many inputs and products were denormal: the case must reach them */
    int den_in = 0, den_g2 = 0, den_p = 0;
    for (int i = 0; i < N; i++) {
        den_p += denormal(P0[i] - D[i]);
        den_in += denormal(G[i]);
        float g = G[i];
        den_g2 += denormal(g * g) || denormal((1.0f - o.beta1) * g);
    }
    const float *want[3][2] = {{P[0], P[1]}, {M[0], M[1]}, {V[0], V[1]}};
    const float *got[3] = {Pd, Md, Vd};
    const char *what[3] = {"P", "M", "V"};
    int bad = 0;
    for (int k = 0; k < 3 && !bad; k++)
        for (int i = 0; i < N && !bad; i++) {
            if (modes == 2 && memcmp(&want[k][0][i], &want[k][1][i], 4)) {
                printf("FAIL %s: %s[%d]: the model gives %a with denormals, %a flushing them "
                       "(a left-out flush matters)\n",
                       name, what[k], i, want[k][0][i], want[k][1][i]);
                bad = 1;
            } else if (memcmp(&want[k][0][i], &got[k][i], 4)) {
                printf("FAIL %s: %s[%d]: device %a, model %a\n", name, what[k], i, got[k][i],
                       want[k][0][i]);
                bad = 1;
            } else if (denormal(got[k][i])) {
                printf("FAIL %s: %s[%d] = %a is stored denormal\n", name, what[k], i, got[k][i]);
                bad = 1;
            }
        }
    if (bad) {
        failures++;
        return;
    }
    if (den_in < N / 20 || den_g2 < N / 20 || (want_pd && den_p < 10)) {
        failures++;
        printf("FAIL %s: the inputs reach too few denormals (%d gradients, %d products, %d p - d "
               "of %d tried)\n",
               name, den_in, den_g2, den_p, near);
        return;
    }
    printf("ok   %s: P, M, V the same bytes on the device and in the model%s (denormal: %d "
           "gradients, %d products of g, %d p - d)\n",
           name, modes == 2 ? " with and without flush-to-zero" : " (no flush-to-zero here)",
           den_in, den_g2, den_p);
}

int main(void) {
    unsigned long long seed = fresh_seed();
    ct_device *dev = test_device();
#ifndef CT_HAVE_FTZ
    printf("note: not an x86 CPU: the model runs without flush-to-zero only\n");
#endif
    static const struct {
        const char *name;
        ct_optim kind;
        float wd, clip, lr, eps;
        long long t;
        int want_pd;
    } cases[] = {
        {"adam wd 0", CT_OPT_ADAM, 0.0f, 0.0f, 1e-3f, 1e-8f, 1, 1},
        {"adam wd 0, step 7", CT_OPT_ADAM, 0.0f, 0.0f, 1e-3f, 1e-8f, 7, 1},
        {"adam wd 0, eps 1 (tiny steps)", CT_OPT_ADAM, 0.0f, 0.0f, 1e-3f, 1.0f, 3, 1},
        {"adam wd 0.01, clip", CT_OPT_ADAM, 0.01f, 1.0f, 1e-3f, 1e-8f, 2, 1},
        {"adam wd 1e-30, eps 1", CT_OPT_ADAM, 1e-30f, 0.0f, 1e-2f, 1.0f, 5, 1},
        {"adam lr 1e-33 (m's floor above 2^-100)", CT_OPT_ADAM, 0.0f, 0.0f, 1e-33f, 1e-8f, 2, 0},
        {"adamw wd 0.01", CT_OPT_ADAMW, 0.01f, 0.0f, 1e-3f, 1e-8f, 2, 1},
        {"adamw wd 0.5, clip, eps 1", CT_OPT_ADAMW, 0.5f, 1.0f, 1e-2f, 1.0f, 9, 1},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        for (int r = 0; r < 3; r++) {
            rng_state = seed * 2654435761ULL + c * 1000 + (unsigned long long)r;
            char name[128];
            snprintf(name, sizeof name, "%s [draw %d]", cases[c].name, r);
            run(dev, name, cases[c].kind, cases[c].wd, cases[c].clip, cases[c].lr, cases[c].eps,
                cases[c].t, cases[c].want_pd);
        }
    ct_device_destroy(dev);
    printf("test_optim_bits: %d passed, %d failed\n", checks - failures, failures);
    return failures ? 1 : 0;
}
