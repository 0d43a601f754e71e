/* Device-versus-reference checks of every op (see check.h). Each device tensor sits at a
 * non-zero offset inside a larger buffer whose guard cells are checked after the launch, so
 * offsets are exercised and a write outside the tensor fails. */
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ref.h"
#include "rng.h"

#define GUARD_BEFORE 3
#define GUARD_AFTER 5
#define GUARD_FLOAT 1234.5f
#define GUARD_INT 0x5A5A5A5A
#define MAX_BUFS 12

const char *ct_check_op_name(ct_check_op op) {
    static const char *const names[CT_CHECK_COUNT] = {"gemm",
                                                      "dense_forward",
                                                      "dense_backward_weight",
                                                      "dense_backward_input",
                                                      "bias_act_forward",
                                                      "act_forward",
                                                      "act_backward",
                                                      "bias_backward",
                                                      "loss",
                                                      "dropout_forward",
                                                      "dropout_backward",
                                                      "optim_step",
                                                      "sum_squares",
                                                      "reduce_sum",
                                                      "gather_rows",
                                                      "argmax_correct",
                                                      "binary_correct",
                                                      "fill",
                                                      "scale",
                                                      "gather_perm",
                                                      "axpy",
                                                      "dead_units",
                                                      "act_bias_backward",
                                                      "bn_moment",
                                                      "ln_stats",
                                                      "norm_apply",
                                                      "norm_param_grads",
                                                      "bn_backward_input",
                                                      "ln_backward_input",
                                                      "bn_running"};
    return (op >= 0 && op < CT_CHECK_COUNT) ? names[op] : "?";
}

/* ---- random inputs ----------------------------------------------------------------------- */

typedef struct {
    uint64_t s;
} rng;

static uint64_t next_u64(rng *r) { return ct_splitmix64(&r->s); }

/* uniform in [-range, range], never exactly 0 */
static float uniform(rng *r, float range) {
    double u = (double)(next_u64(r) >> 11) * (1.0 / 9007199254740992.0);
    float v = (float)((2.0 * u - 1.0) * range);
    return v == 0.0f ? range * 0.5f : v;
}

static int below(rng *r, int n) { return (int)(next_u64(r) % (uint64_t)n); }

/* ---- buffers with guards ----------------------------------------------------------------- */

typedef struct {
    cl_mem mem;
    size_t n;
    int is_int;
} gbuf;

typedef struct {
    ct_device *dev;
    gbuf b[MAX_BUFS];
    int count;
    ct_status st;
    char guard_msg[160];
} pool;

/* A device tensor of n floats (or ints) at offset GUARD_BEFORE, holding src (or NaN / sentinel
 * poison when src is NULL). Returns the index in the pool, or -1 after a failure. */
static int pool_add(pool *p, size_t n, const void *src, int is_int) {
    if (p->st != CT_OK) return -1;
    if (p->count == MAX_BUFS) {
        p->st = ct_fail(p->dev, CT_ERR_ARG, "check: too many buffers");
        return -1;
    }
    size_t total = GUARD_BEFORE + n + GUARD_AFTER;
    float *h = malloc(total * sizeof(float));
    if (!h) {
        p->st = ct_fail(p->dev, CT_ERR_ALLOC, "check: out of host memory");
        return -1;
    }
    for (size_t i = 0; i < total; i++) {
        if (is_int) {
            int32_t g = GUARD_INT;
            memcpy(&h[i], &g, 4);
        } else {
            h[i] = GUARD_FLOAT;
        }
    }
    if (src)
        memcpy(h + GUARD_BEFORE, src, n * 4);
    else
        for (size_t i = 0; i < n; i++)
            h[GUARD_BEFORE + i] = NAN; /* poison */
    gbuf *g = &p->b[p->count];
    p->st = ct_buffer_create(p->dev, &g->mem, total * sizeof(float), "a check tensor");
    if (p->st == CT_OK) p->st = ct_buffer_write(p->dev, g->mem, 0, total * sizeof(float), h);
    free(h);
    if (p->st != CT_OK) return -1;
    g->n = n;
    g->is_int = is_int;
    return p->count++;
}

static ct_buf at(const pool *p, int i) { return ct_at(i >= 0 ? p->b[i].mem : NULL, GUARD_BEFORE); }

/* Reads tensor i into dst (n values) and checks its guards. */
static int pool_read(pool *p, int i, void *dst) {
    if (p->st != CT_OK || i < 0) return 0;
    gbuf *g = &p->b[i];
    size_t total = GUARD_BEFORE + g->n + GUARD_AFTER;
    float *h = malloc(total * sizeof(float));
    if (!h) {
        p->st = ct_fail(p->dev, CT_ERR_ALLOC, "check: out of host memory");
        return 0;
    }
    p->st = ct_buffer_read(p->dev, g->mem, 0, total * sizeof(float), h);
    if (p->st == CT_OK) {
        memcpy(dst, h + GUARD_BEFORE, g->n * 4);
        for (size_t k = 0; k < total; k++) {
            if (k >= GUARD_BEFORE && k < GUARD_BEFORE + g->n) continue;
            int32_t want = GUARD_INT, got;
            memcpy(&got, &h[k], 4);
            int ok = g->is_int ? got == want : h[k] == GUARD_FLOAT;
            if (!ok && !p->guard_msg[0])
                snprintf(p->guard_msg, sizeof p->guard_msg,
                         "tensor %d: guard cell %ld (relative to the tensor start) was overwritten",
                         i, (long)k - GUARD_BEFORE);
        }
    }
    free(h);
    return p->st == CT_OK;
}

static void pool_free(pool *p) {
    for (int i = 0; i < p->count; i++)
        if (p->b[i].mem) clReleaseMemObject(p->b[i].mem);
    p->count = 0;
}

/* ---- comparison -------------------------------------------------------------------------- */

static void hash_bytes(ct_check_result *r, const void *p, size_t n) {
    const unsigned char *b = p;
    if (!r->out_hash) r->out_hash = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        r->out_hash = (r->out_hash ^ b[i]) * 0x100000001b3ULL;
}

/* Compares got (float) with want (double): |got - want| <= atol * unit + rtol * scale, where
 * scale is mag[i] when given (the same computation on absolute values, for sums) else
 * |want[i]|, and unit is unit[i] when given (the factor an op applies to an input whose own
 * tolerance is atol) else 1. */
static void compare_units(ct_check_result *r, const char *name, const float *got,
                          const double *want, size_t n, double atol, const double *unit,
                          double rtol, const double *mag) {
    double wmax = 0;
    hash_bytes(r, got, n * sizeof *got);
    for (size_t i = 0; i < n; i++)
        wmax = fmax(wmax, fabs(want[i]));
    for (size_t i = 0; i < n; i++) {
        double g = got[i], w = want[i];
        double err = fabs(g - w);
        double tol = atol * (unit ? unit[i] : 1.0) + rtol * (mag ? mag[i] : fabs(w));
        int bad = !isfinite(g) || !(err <= tol);
        if (isfinite(g)) {
            r->max_abs = fmax(r->max_abs, err);
            if (fabs(w) >= 1e-3 * wmax && w != 0) r->max_rel = fmax(r->max_rel, err / fabs(w));
            r->worst = fmax(r->worst, err / tol);
        }
        r->n_checked++;
        if (bad) {
            if (!r->n_bad)
                snprintf(r->first_bad, sizeof r->first_bad,
                         "%s[%zu]: device %.9g, reference %.9g (|diff| %.3g > tol %.3g)", name, i,
                         g, w, err, tol);
            r->n_bad++;
        }
    }
}

static void compare(ct_check_result *r, const char *name, const float *got, const double *want,
                    size_t n, double atol, double rtol, const double *mag) {
    compare_units(r, name, got, want, n, atol, NULL, rtol, mag);
}

static void compare_int(ct_check_result *r, const char *name, const int32_t *got,
                        const int32_t *want, size_t n) {
    hash_bytes(r, got, n * sizeof *got);
    for (size_t i = 0; i < n; i++) {
        r->n_checked++;
        double err = fabs((double)got[i] - (double)want[i]);
        r->max_abs = fmax(r->max_abs, err);
        if (want[i]) r->max_rel = fmax(r->max_rel, err / fabs((double)want[i]));
        if (got[i] != want[i]) {
            if (!r->n_bad)
                snprintf(r->first_bad, sizeof r->first_bad, "%s[%zu]: device %d, reference %d",
                         name, i, (int)got[i], (int)want[i]);
            r->n_bad++;
            r->worst = fmax(r->worst, 2.0);
        }
    }
}

/* ---- the checks -------------------------------------------------------------------------- */

/* Host arrays of one check: floats given to the device and doubles given to the reference. */
#define MAX_ARRAYS 24
typedef struct {
    float *f[MAX_ARRAYS];
    double *d[MAX_ARRAYS];
    int n;
    int fail;
} arrays;

static float *fa(arrays *a, size_t n) {
    if (a->n == MAX_ARRAYS) return a->fail = 1, NULL;
    a->f[a->n] = calloc(n ? n : 1, sizeof(float));
    a->d[a->n] = calloc(n ? n : 1, sizeof(double));
    if (!a->f[a->n] || !a->d[a->n]) a->fail = 1;
    return a->f[a->n++];
}
/* The double twin of the last float array handed out for f. */
static double *da(arrays *a, const float *f) {
    for (int i = 0; i < a->n; i++)
        if (a->f[i] == f) return a->d[i];
    return NULL;
}
static void arrays_free(arrays *a) {
    for (int i = 0; i < a->n; i++) {
        free(a->f[i]);
        free(a->d[i]);
    }
}
static void to_double(double *d, const float *f, size_t n) {
    for (size_t i = 0; i < n; i++)
        d[i] = f[i];
}
static float *rand_fill(arrays *a, rng *r, size_t n, float range) {
    float *f = fa(a, n);
    if (!f) return NULL;
    for (size_t i = 0; i < n; i++)
        f[i] = uniform(r, range);
    to_double(da(a, f), f, n);
    return f;
}

#define EPS_F 1.1920929e-07 /* float epsilon */

static void run_gemm_like(pool *p, arrays *a, rng *rg, const ct_check_case *c, ct_check_result *r) {
    ct_device *dev = p->dev;
    int M = c->M, N = c->N, K = c->K, ta = c->transA, tb = c->transB;
    float alpha = 1.0f, beta = c->beta;
    if (c->op == CT_CHECK_DENSE_FORWARD) ta = 0, tb = 1, beta = 0;
    if (c->op == CT_CHECK_DENSE_BACKWARD_WEIGHT) ta = 1, tb = 0;
    if (c->op == CT_CHECK_DENSE_BACKWARD_INPUT) ta = 0, tb = 0, beta = 0;
    if (c->op == CT_CHECK_GEMM && c->alpha != 0) alpha = c->alpha;
    /* For dense ops, map (B, in, out) onto the product they compute. */
    int pm = M, pn = N, pk = K;
    if (c->op == CT_CHECK_DENSE_FORWARD) pm = M, pn = N, pk = K; /* Y(B,out) = X(B,in) W^T */
    if (c->op == CT_CHECK_DENSE_BACKWARD_WEIGHT) pm = N, pn = K, pk = M; /* dW(out,in) = dY^T X */
    if (c->op == CT_CHECK_DENSE_BACKWARD_INPUT) pm = M, pn = K, pk = N;  /* dX(B,in) = dY W */
    size_t na = (size_t)pm * pk, nb = (size_t)pk * pn, nc = (size_t)pm * pn;
    float range = c->range > 0 ? c->range : 1.0f;
    float *A = rand_fill(a, rg, na, range), *B = rand_fill(a, rg, nb, range);
    float *C0 = rand_fill(a, rg, nc, range);
    float *Cg = fa(a, nc);
    if (a->fail) return;
    int lda = ta ? pm : pk, ldb = tb ? pk : pn, ldc = pn;
    int ia = pool_add(p, na, A, 0), ib = pool_add(p, nb, B, 0);
    int ic = pool_add(p, nc, beta != 0 ? C0 : NULL, 0);
    if (p->st != CT_OK) return;
    if (c->gemm != CT_GEMM_AUTO && (p->st = ct_device_set_gemm(dev, c->gemm)) != CT_OK) return;
    switch (c->op) {
    case CT_CHECK_DENSE_FORWARD:
        p->st = ct_dense_forward(dev, at(p, ic), at(p, ia), at(p, ib), M, K, N);
        break;
    case CT_CHECK_DENSE_BACKWARD_WEIGHT:
        p->st = ct_dense_backward_weight(dev, at(p, ic), at(p, ia), at(p, ib), M, K, N, beta);
        break;
    case CT_CHECK_DENSE_BACKWARD_INPUT:
        p->st = ct_dense_backward_input(dev, at(p, ic), at(p, ia), at(p, ib), M, K, N);
        break;
    default:
        p->st = ct_gemm(dev, at(p, ic), ldc, at(p, ia), lda, at(p, ib), ldb, pm, pn, pk, ta, tb,
                        alpha, beta);
    }
    ct_gemm_backend used = ct_device_gemm_for(dev, pm, pn, pk, ta, tb);
    if (c->gemm != CT_GEMM_AUTO) ct_device_set_gemm(dev, CT_GEMM_AUTO);
    snprintf(r->what, sizeof r->what, "%s %s%s M=%d N=%d K=%d beta=%g [%s]",
             ct_check_op_name(c->op), c->op == CT_CHECK_GEMM ? (ta ? "T" : "N") : "",
             c->op == CT_CHECK_GEMM ? (tb ? "T" : "N") : "", pm, pn, pk, beta,
             ct_gemm_backend_name(used));
    if (!pool_read(p, ic, Cg)) return;
    /* reference and magnitude: the same product on absolute values bounds the rounding error */
    double *Cw = da(a, C0), *Am = malloc(na * sizeof(double)), *Bm = malloc(nb * sizeof(double)),
           *Cm = malloc(nc * sizeof(double));
    if (Am && Bm && Cm) {
        for (size_t i = 0; i < na; i++)
            Am[i] = fabs(da(a, A)[i]);
        for (size_t i = 0; i < nb; i++)
            Bm[i] = fabs(da(a, B)[i]);
        for (size_t i = 0; i < nc; i++)
            Cm[i] = fabs(Cw[i]);
        if (c->op == CT_CHECK_DENSE_FORWARD) {
            ref_dense_forward(Cw, da(a, A), da(a, B), M, K, N);
            ref_dense_forward(Cm, Am, Bm, M, K, N);
        } else if (c->op == CT_CHECK_DENSE_BACKWARD_WEIGHT) {
            ref_dense_backward_weight(Cw, da(a, A), da(a, B), M, K, N, beta);
            ref_dense_backward_weight(Cm, Am, Bm, M, K, N, fabs(beta));
        } else if (c->op == CT_CHECK_DENSE_BACKWARD_INPUT) {
            ref_dense_backward_input(Cw, da(a, A), da(a, B), M, K, N);
            ref_dense_backward_input(Cm, Am, Bm, M, K, N);
        } else {
            ref_gemm(Cw, ldc, da(a, A), lda, da(a, B), ldb, pm, pn, pk, ta, tb, alpha, beta);
            ref_gemm(Cm, ldc, Am, lda, Bm, ldb, pm, pn, pk, ta, tb, fabs(alpha), fabs(beta));
        }
        /* float accumulation of pk products: error <= ~pk * eps * sum |a||b| (with headroom 2) */
        compare(r, "C", Cg, Cw, nc, 1e-6, 2.0 * (pk + 2) * EPS_F, Cm);
    } else {
        p->st = ct_fail(dev, CT_ERR_ALLOC, "check: out of host memory");
    }
    free(Am);
    free(Bm);
    free(Cm);
}

static void run_act(pool *p, arrays *a, rng *rg, const ct_check_case *c, ct_check_result *r) {
    ct_device *dev = p->dev;
    int B = c->M, N = c->N;
    size_t n = (size_t)B * N;
    float range = c->range > 0 ? c->range : 4.0f;
    const double atol = 1e-6, rtol = 1e-5;
    if (c->op == CT_CHECK_BIAS_ACT_FORWARD) {
        float *Y = rand_fill(a, rg, n, range), *b = rand_fill(a, rg, (size_t)N, 1.0f);
        float *Ag = fa(a, n), *Zg = fa(a, n), *Aw = fa(a, n), *Zw = fa(a, n);
        if (a->fail) return;
        int iy = pool_add(p, n, Y, 0), ib = pool_add(p, (size_t)N, b, 0);
        int iA = pool_add(p, n, NULL, 0), iZ = pool_add(p, n, NULL, 0);
        if (p->st != CT_OK) return;
        p->st = ct_bias_act_forward(dev, at(p, iA), at(p, iZ), at(p, iy), at(p, ib), c->act,
                                    c->alpha, B, N);
        if (!pool_read(p, iA, Ag) || !pool_read(p, iZ, Zg)) return;
        ref_bias_act_forward(da(a, Aw), da(a, Zw), da(a, Y), da(a, b), c->act, c->alpha, B, N);
        compare(r, "Z", Zg, da(a, Zw), n, atol, rtol, NULL);
        compare(r, "A", Ag, da(a, Aw), n, atol, rtol, NULL);
        snprintf(r->what, sizeof r->what, "bias_act_forward %s B=%d N=%d", ct_act_name(c->act), B,
                 N);
    } else if (c->op == CT_CHECK_ACT_FORWARD) {
        float *Z = rand_fill(a, rg, n, range), *Ag = fa(a, n), *Aw = fa(a, n);
        if (a->fail) return;
        int iz = pool_add(p, n, Z, 0), iA = pool_add(p, n, NULL, 0);
        if (p->st != CT_OK) return;
        p->st = ct_act_forward(dev, at(p, iA), at(p, iz), c->act, c->alpha, (int)n);
        if (!pool_read(p, iA, Ag)) return;
        ref_act_forward(da(a, Aw), da(a, Z), c->act, c->alpha, (int)n);
        compare(r, "A", Ag, da(a, Aw), n, atol, rtol, NULL);
        snprintf(r->what, sizeof r->what, "act_forward %s n=%zu", ct_act_name(c->act), n);
    } else {
        float *Z = rand_fill(a, rg, n, range), *dA = rand_fill(a, rg, n, 1.0f);
        float *dZg = fa(a, n), *dZw = fa(a, n);
        if (a->fail) return;
        /* ReLU-like kinks: put some exact zeros into Z to pin the derivative at 0 */
        for (size_t i = 0; i < n; i += 7)
            Z[i] = 0.0f, da(a, Z)[i] = 0.0;
        int iz = pool_add(p, n, Z, 0), ida = pool_add(p, n, dA, 0), idz = pool_add(p, n, NULL, 0);
        if (p->st != CT_OK) return;
        p->st = ct_act_backward(dev, at(p, idz), at(p, ida), at(p, iz), c->act, c->alpha, (int)n);
        if (!pool_read(p, idz, dZg)) return;
        ref_act_backward(da(a, dZw), da(a, dA), da(a, Z), c->act, c->alpha, (int)n);
        compare(r, "dZ", dZg, da(a, dZw), n, atol, rtol, NULL);
        snprintf(r->what, sizeof r->what, "act_backward %s n=%zu", ct_act_name(c->act), n);
    }
}

/* The fused pass against the reference (dZ as act_backward's check, db as bias_backward's)
 * and against the two kernels it replaces, run on the same inputs: the bits must agree. */
static void run_act_bias_backward(pool *p, arrays *a, rng *rg, const ct_check_case *c,
                                  ct_check_result *r) {
    int B = c->M, N = c->N;
    size_t n = (size_t)B * N;
    float range = c->range > 0 ? c->range : 4.0f;
    float *Z = rand_fill(a, rg, n, range), *dA = rand_fill(a, rg, n, 1.0f);
    float *db0 = rand_fill(a, rg, (size_t)N, 1.0f);
    float *dZg = fa(a, n), *dbg = fa(a, (size_t)N), *dZs = fa(a, n), *dbs = fa(a, (size_t)N);
    float *dZw = fa(a, n);
    double *mag = calloc((size_t)N, sizeof(double));
    if (a->fail || !mag) {
        free(mag);
        return;
    }
    for (size_t i = 0; i < n; i += 7) /* exact kinks, as in act_backward's check */
        Z[i] = 0.0f, da(a, Z)[i] = 0.0;
    const float *db_in = c->beta != 0 ? db0 : NULL;
    int iz = pool_add(p, n, Z, 0), ida = pool_add(p, n, dA, 0), idz = pool_add(p, n, NULL, 0);
    int ib = pool_add(p, (size_t)N, db_in, 0), idzs = pool_add(p, n, NULL, 0);
    int ibs = pool_add(p, (size_t)N, db_in, 0);
    if (p->st == CT_OK)
        p->st = ct_act_bias_backward(p->dev, at(p, idz), at(p, ib), at(p, ida), at(p, iz), c->act,
                                     c->alpha, B, N, c->beta);
    if (p->st == CT_OK)
        p->st = ct_act_backward(p->dev, at(p, idzs), at(p, ida), at(p, iz), c->act, c->alpha,
                                (int)n);
    if (p->st == CT_OK) p->st = ct_bias_backward(p->dev, at(p, ibs), at(p, idzs), B, N, c->beta);
    if (pool_read(p, idz, dZg) && pool_read(p, ib, dbg) && pool_read(p, idzs, dZs) &&
        pool_read(p, ibs, dbs)) {
        ref_act_backward(da(a, dZw), da(a, dA), da(a, Z), c->act, c->alpha, (int)n);
        compare(r, "dZ", dZg, da(a, dZw), n, 1e-6, 1e-5, NULL);
        /* db against the reference's column sums of its own dZ */
        double *dbw = da(a, db0);
        for (int j = 0; j < N; j++)
            mag[j] = fabs(c->beta * dbw[j]);
        for (size_t i = 0; i < n; i++)
            mag[i % (size_t)N] += fabs(da(a, dZw)[i]);
        ref_bias_backward(dbw, da(a, dZw), B, N, c->beta);
        compare(r, "db", dbg, dbw, (size_t)N, 1e-6, 2.0 * (B + 2) * EPS_F + 1e-5, mag);
        /* bit for bit against the two separate kernels */
        for (size_t i = 0; i < n + (size_t)N; i++) {
            const float *x = i < n ? &dZg[i] : &dbg[i - n], *y = i < n ? &dZs[i] : &dbs[i - n];
            r->n_checked++;
            if (memcmp(x, y, sizeof *x)) {
                if (!r->n_bad)
                    snprintf(r->first_bad, sizeof r->first_bad,
                             "%s[%zu] = %.9g fused, %.9g by act_backward + bias_backward",
                             i < n ? "dZ" : "db", i < n ? i : i - n, (double)*x, (double)*y);
                r->n_bad++;
            }
        }
    }
    free(mag);
    snprintf(r->what, sizeof r->what, "act_bias_backward %s B=%d N=%d beta=%g", ct_act_name(c->act),
             B, N, c->beta);
}

static void run_bias_backward(pool *p, arrays *a, rng *rg, const ct_check_case *c,
                              ct_check_result *r) {
    int B = c->M, N = c->N;
    size_t n = (size_t)B * N;
    float *dZ = rand_fill(a, rg, n, 1.0f), *db0 = rand_fill(a, rg, (size_t)N, 1.0f);
    float *dbg = fa(a, (size_t)N);
    double *mag = calloc((size_t)N, sizeof(double));
    if (a->fail || !mag) {
        free(mag);
        return;
    }
    int iz = pool_add(p, n, dZ, 0), ib = pool_add(p, (size_t)N, c->beta != 0 ? db0 : NULL, 0);
    if (p->st == CT_OK) p->st = ct_bias_backward(p->dev, at(p, ib), at(p, iz), B, N, c->beta);
    if (pool_read(p, ib, dbg)) {
        double *dbw = da(a, db0);
        for (int j = 0; j < N; j++)
            mag[j] = fabs(c->beta * dbw[j]);
        for (int i = 0; i < B; i++)
            for (int j = 0; j < N; j++)
                mag[j] += fabs(da(a, dZ)[(size_t)i * N + j]);
        ref_bias_backward(dbw, da(a, dZ), B, N, c->beta);
        compare(r, "db", dbg, dbw, (size_t)N, 1e-6, 2.0 * (B + 2) * EPS_F, mag);
    }
    free(mag);
    snprintf(r->what, sizeof r->what, "bias_backward B=%d N=%d beta=%g", B, N, c->beta);
}

static void run_loss(pool *p, arrays *a, rng *rg, const ct_check_case *c, ct_check_result *r) {
    int B = c->M, C = c->N;
    size_t n = (size_t)B * C;
    float range = c->range > 0 ? c->range : 3.0f;
    float *Z = rand_fill(a, rg, n, range), *T = fa(a, n), *dZg = fa(a, n), *dZw = fa(a, n);
    float *rl = fa(a, (size_t)B), *loss0 = rand_fill(a, rg, 1, 1.0f), *lossg = fa(a, 1);
    int32_t *labels = calloc((size_t)B, sizeof(int32_t));
    if (a->fail || !labels) {
        free(labels);
        return;
    }
    for (int i = 0; i < B; i++) { /* about half of them the row's argmax, so counts vary */
        int best = 0;
        for (int j = 1; j < C; j++)
            if (Z[(size_t)i * C + j] > Z[(size_t)i * C + best]) best = j;
        labels[i] = below(rg, 2) ? best : below(rg, C);
    }
    for (size_t i = 0; i < n; i++)
        T[i] = c->loss == CT_LOSS_SIGMOID_BCE ? (float)below(rg, 2) : uniform(rg, range);
    to_double(da(a, T), T, n);
    int want_grad = c->K == 0; /* K = 1: loss only */
    /* the classification losses also count the correct predictions, from a random start */
    int counts = ct_loss_flags(c->loss) & CT_LOSSF_CLASSES;
    int32_t start = below(rg, 1000), got = 0;
    int iz = pool_add(p, n, Z, 0);
    int it =
        c->loss == CT_LOSS_SOFTMAX_CE ? pool_add(p, (size_t)B, labels, 1) : pool_add(p, n, T, 0);
    int il = pool_add(p, 1, c->beta != 0 ? loss0 : NULL, 0), irl = pool_add(p, (size_t)B, NULL, 0);
    int idz = want_grad ? pool_add(p, n, NULL, 0) : -1;
    int ic = counts ? pool_add(p, 1, &start, 1) : -1;
    if (p->st == CT_OK)
        p->st = ct_loss_forward_backward_count(p->dev, c->loss, at(p, il), at(p, idz),
                                               at(p, irl), at(p, iz), at(p, it), B, C, c->delta,
                                               c->beta, B, at(p, ic));
    if (pool_read(p, il, lossg) && (!want_grad || pool_read(p, idz, dZg)) &&
        (!counts || pool_read(p, ic, &got))) {
        if (counts) {
            int32_t want = start + (c->loss == CT_LOSS_SOFTMAX_CE
                                        ? ref_argmax_correct(da(a, Z), labels, B, C)
                                        : ref_binary_correct(da(a, Z), da(a, T), (int)n));
            compare_int(r, "count", &got, &want, 1);
        }
        double mean = ref_loss(c->loss, want_grad ? da(a, dZw) : NULL, da(a, rl), da(a, Z), labels,
                               da(a, T), B, C, c->delta);
        double want = c->beta * da(a, loss0)[0] + mean;
        /* reduction of B row losses in float, plus the transcendental functions */
        double mag = fabs(c->beta * da(a, loss0)[0]);
        for (int i = 0; i < B; i++)
            mag += fabs(da(a, rl)[i]) / (c->loss == CT_LOSS_SOFTMAX_CE ? B : (double)n);
        compare(r, "loss", lossg, &want, 1, 1e-6, 2.0 * (B + C + 8) * EPS_F, &mag);
        if (want_grad) {
            double count = c->loss == CT_LOSS_SOFTMAX_CE ? B : (double)n;
            compare(r, "dZ", dZg, da(a, dZw), n, 1e-6 / count, 1e-5, NULL);
        }
    }
    free(labels);
    snprintf(r->what, sizeof r->what, "loss %s B=%d C=%d range=%g%s", ct_loss_name(c->loss), B, C,
             range, want_grad ? "" : " (no grad)");
}

static void run_dropout(pool *p, arrays *a, rng *rg, const ct_check_case *c, ct_check_result *r) {
    size_t n = (size_t)c->N;
    uint64_t seed = next_u64(rg);
    float *X = rand_fill(a, rg, n, 1.0f), *Yg = fa(a, n), *Yw = fa(a, n);
    if (a->fail) return;
    int ix = pool_add(p, n, X, 0), iy = pool_add(p, n, NULL, 0);
    if (p->st != CT_OK) return;
    if (c->op == CT_CHECK_DROPOUT_FORWARD) {
        p->st =
            ct_dropout_forward(p->dev, at(p, iy), at(p, ix), c->p, seed, c->step, c->layer, (int)n);
        if (!pool_read(p, iy, Yg)) return;
        ref_dropout_forward(da(a, Yw), da(a, X), c->p, seed, c->step, c->layer, (int)n);
    } else {
        p->st = ct_dropout_backward(p->dev, at(p, iy), at(p, ix), c->p, seed, c->step, c->layer,
                                    (int)n);
        if (!pool_read(p, iy, Yg)) return;
        ref_dropout_backward(da(a, Yw), da(a, X), c->p, seed, c->step, c->layer, (int)n);
    }
    compare(r, c->op == CT_CHECK_DROPOUT_FORWARD ? "Y" : "dX", Yg, da(a, Yw), n, 0, 4 * EPS_F,
            NULL);
    snprintf(r->what, sizeof r->what, "%s p=%g n=%zu step=%llu layer=%u", ct_check_op_name(c->op),
             c->p, n, (unsigned long long)c->step, c->layer);
}

static void run_optim(pool *p, arrays *a, rng *rg, const ct_check_case *c, ct_check_result *r) {
    size_t n = (size_t)c->N;
    const ct_optim_params *o = &c->optim;
    long long t = c->step ? (long long)c->step : 1;
    float *P = rand_fill(a, rg, n, 1.0f), *G = rand_fill(a, rg, n, c->range > 0 ? c->range : 1.0f);
    float *M = rand_fill(a, rg, n, 0.5f), *V = fa(a, n), *gn = fa(a, 1);
    float *Pg = fa(a, n), *Mg = fa(a, n), *Vg = fa(a, n);
    if (a->fail) return;
    for (size_t i = 0; i < n; i++)
        V[i] = fabsf(uniform(rg, 0.5f));
    to_double(da(a, V), V, n);
    gn[0] = (float)ref_sum_squares(da(a, G), (int)n);
    int usesM = ct_optim_flags(o->kind) & CT_OPTF_M, usesV = ct_optim_flags(o->kind) & CT_OPTF_V;
    /* momentum's first step must not read its buffer: poison it */
    int readsM = usesM && !(t == 1 && (o->kind == CT_OPT_MOMENTUM || o->kind == CT_OPT_NESTEROV));
    int ip = pool_add(p, n, P, 0), ig = pool_add(p, n, G, 0);
    int im = usesM ? pool_add(p, n, readsM ? M : NULL, 0) : -1;
    int iv = usesV ? pool_add(p, n, V, 0) : -1;
    int in = pool_add(p, 1, gn, 0);
    if (p->st == CT_OK)
        p->st = ct_optim_step(p->dev, o, at(p, ip), at(p, im), at(p, iv), at(p, ig), at(p, in), t,
                              (int)n);
    if (!pool_read(p, ip, Pg) || (usesM && !pool_read(p, im, Mg)) ||
        (usesV && !pool_read(p, iv, Vg)))
        return;
    ref_optim_step(o, da(a, P), usesM ? da(a, M) : NULL, usesV ? da(a, V) : NULL, da(a, G),
                   (double)gn[0], t, (int)n);
    compare(r, "P", Pg, da(a, P), n, 1e-6, 1e-5, NULL);
    if (usesM) compare(r, "M", Mg, da(a, M), n, 1e-6, 1e-5, NULL);
    if (usesV) compare(r, "V", Vg, da(a, V), n, 1e-7, 1e-5, NULL);
    snprintf(r->what, sizeof r->what, "optim %s n=%zu t=%lld lr=%g wd=%g clip=%g",
             ct_optim_name(o->kind), n, t, o->lr, o->weight_decay, o->clip_norm);
}

static void run_reduce(pool *p, arrays *a, rng *rg, const ct_check_case *c, ct_check_result *r) {
    size_t n = (size_t)c->N;
    float *x = rand_fill(a, rg, n, c->range > 0 ? c->range : 1.0f),
          *out0 = rand_fill(a, rg, 1, 1.0f);
    float *outg = fa(a, 1);
    if (a->fail) return;
    float scale = c->alpha != 0 ? c->alpha : 1.0f;
    int ix = pool_add(p, n, x, 0), io = pool_add(p, 1, c->beta != 0 ? out0 : NULL, 0);
    int ipart = c->op == CT_CHECK_SUM_SQUARES ? pool_add(p, CT_RED_PARTIALS, NULL, 0) : -1;
    if (p->st != CT_OK) return;
    double want, mag = 0;
    if (c->op == CT_CHECK_SUM_SQUARES) {
        p->st = ct_sum_squares(p->dev, at(p, io), at(p, ipart), at(p, ix), (int)n);
        want = ref_sum_squares(da(a, x), (int)n);
        mag = want;
    } else {
        p->st = ct_reduce_sum(p->dev, at(p, io), at(p, ix), (int)n, scale, c->beta);
        want = c->beta * da(a, out0)[0] + scale * ref_sum(da(a, x), (int)n);
        mag = fabs(c->beta * da(a, out0)[0]);
        for (size_t i = 0; i < n; i++)
            mag += fabs(scale * da(a, x)[i]);
    }
    if (!pool_read(p, io, outg)) return;
    compare(r, "sum", outg, &want, 1, 1e-6, 2.0 * ((double)n + 2) * EPS_F, &mag);
    snprintf(r->what, sizeof r->what, "%s n=%zu", ct_check_op_name(c->op), n);
}

/* gather_rows: B rows picked at random from Nrows. */
static void run_gather_rows(pool *p, arrays *a, rng *rg, const ct_check_case *c,
                            ct_check_result *r) {
    ct_device *dev = p->dev;
    int B = c->M, F = c->N, Nrows = c->K;
    float *src = rand_fill(a, rg, (size_t)Nrows * F, 1.0f), *outg = fa(a, (size_t)B * F);
    float *outw = fa(a, (size_t)B * F);
    int32_t *idx = calloc((size_t)B, sizeof(int32_t));
    if (a->fail || !idx) {
        free(idx);
        return;
    }
    for (int i = 0; i < B; i++)
        idx[i] = below(rg, Nrows);
    int is = pool_add(p, (size_t)Nrows * F, src, 0), ii = pool_add(p, (size_t)B, idx, 1);
    int io = pool_add(p, (size_t)B * F, NULL, 0);
    if (p->st == CT_OK) p->st = ct_gather_rows(dev, at(p, io), at(p, is), at(p, ii), B, F);
    if (pool_read(p, io, outg)) {
        ref_gather_rows(da(a, outw), da(a, src), idx, B, F);
        compare(r, "out", outg, da(a, outw), (size_t)B * F, 0, 0, NULL);
    }
    free(idx);
    snprintf(r->what, sizeof r->what, "gather_rows B=%d F=%d from %d rows", B, F, Nrows);
}

/* gather_perm: B rows from `start` of an epoch's order of n rows (shuffled or not). */
static void run_gather_perm(pool *p, arrays *a, rng *rg, const ct_check_case *c,
                            ct_check_result *r) {
    ct_device *dev = p->dev;
    int B = c->M, F = c->N, n = c->K, start = (int)c->step, shuffle = c->layer != 0;
    uint64_t seed = next_u64(rg), epoch = next_u64(rg) % 1000;
    float *src = rand_fill(a, rg, (size_t)n * F, 1.0f), *outg = fa(a, (size_t)B * F);
    float *outw = fa(a, (size_t)B * F);
    int *rows = calloc((size_t)B, sizeof(int));
    if (a->fail || !rows) {
        free(rows);
        return;
    }
    int is = pool_add(p, (size_t)n * F, src, 0), io = pool_add(p, (size_t)B * F, NULL, 0);
    if (p->st == CT_OK)
        p->st = ct_gather_perm(dev, at(p, io), at(p, is), B, F, start, n, shuffle, seed, epoch);
    if (pool_read(p, io, outg)) {
        ref_epoch_rows(rows, B, start, n, shuffle, seed, epoch);
        ref_gather_rows(da(a, outw), da(a, src), rows, B, F);
        compare(r, "out", outg, da(a, outw), (size_t)B * F, 0, 0, NULL);
    }
    free(rows);
    snprintf(r->what, sizeof r->what, "gather_perm B=%d F=%d rows %d.. of %d%s", B, F, start, n,
             shuffle ? " shuffled" : "");
}

/* axpy: y += alpha x. */
static void run_axpy(pool *p, arrays *a, rng *rg, const ct_check_case *c, ct_check_result *r) {
    ct_device *dev = p->dev;
    size_t n = (size_t)c->N;
    float *y = rand_fill(a, rg, n, 1.0f), *x = rand_fill(a, rg, n, 1.0f), *yg = fa(a, n);
    if (a->fail) return;
    int iy = pool_add(p, n, y, 0), ix = pool_add(p, n, x, 0);
    if (p->st == CT_OK) p->st = ct_axpy(dev, at(p, iy), at(p, ix), c->alpha, (int)n);
    if (!pool_read(p, iy, yg)) return;
    double *mag = malloc(n * sizeof(double));
    if (!mag) {
        p->st = ct_fail(dev, CT_ERR_ALLOC, "check: out of host memory");
        return;
    }
    for (size_t i = 0; i < n; i++)
        mag[i] = fabs(da(a, y)[i]) + fabs(c->alpha * da(a, x)[i]);
    ref_axpy(da(a, y), da(a, x), c->alpha, (int)n);
    compare(r, "y", yg, da(a, y), n, 0, 2 * EPS_F, mag);
    free(mag);
    snprintf(r->what, sizeof r->what, "axpy n=%zu a=%g", n, c->alpha);
}

/* argmax_correct and binary_correct: a count added to a random start. */
static void run_correct(pool *p, arrays *a, rng *rg, const ct_check_case *c, ct_check_result *r) {
    ct_device *dev = p->dev;
    int B = c->M, C = c->N;
    size_t n = (size_t)B * C;
    float *Z = rand_fill(a, rg, n, 2.0f), *T = fa(a, n);
    int32_t *labels = calloc((size_t)B, sizeof(int32_t)), start = below(rg, 1000), got = 0, want;
    if (a->fail || !labels) {
        free(labels);
        return;
    }
    if (c->op == CT_CHECK_ARGMAX_CORRECT) {
        for (int i = 0; i < B; i++) {
            int best = 0;
            for (int j = 1; j < C; j++)
                if (Z[(size_t)i * C + j] > Z[(size_t)i * C + best]) best = j;
            labels[i] = below(rg, 2) ? best : below(rg, C); /* about half right */
        }
    } else {
        for (size_t i = 0; i < n; i++)
            T[i] = (float)below(rg, 2);
        to_double(da(a, T), T, n);
    }
    int iz = pool_add(p, n, Z, 0), ic = pool_add(p, 1, &start, 1);
    int il =
        c->op == CT_CHECK_ARGMAX_CORRECT ? pool_add(p, (size_t)B, labels, 1) : pool_add(p, n, T, 0);
    if (p->st == CT_OK)
        p->st = c->op == CT_CHECK_ARGMAX_CORRECT
                    ? ct_argmax_correct(dev, at(p, ic), at(p, iz), at(p, il), B, C)
                    : ct_binary_correct(dev, at(p, ic), at(p, iz), at(p, il), (int)n);
    if (pool_read(p, ic, &got)) {
        want = start + (c->op == CT_CHECK_ARGMAX_CORRECT
                            ? ref_argmax_correct(da(a, Z), labels, B, C)
                            : ref_binary_correct(da(a, Z), da(a, T), (int)n));
        compare_int(r, "count", &got, &want, 1);
    }
    free(labels);
    snprintf(r->what, sizeof r->what, "%s B=%d C=%d", ct_check_op_name(c->op), B, C);
}

/* dead_units on columns of three kinds: dead (<= 0 everywhere, exact zeros included; a third
 * of them all zero as relu leaves them), alive in one row only, and random. */
static void run_dead_units(pool *p, arrays *a, rng *rg, const ct_check_case *c,
                           ct_check_result *r) {
    ct_device *dev = p->dev;
    int B = c->M, N = c->N;
    size_t n = (size_t)B * N;
    float *A = rand_fill(a, rg, n, 1.0f);
    int32_t start = below(rg, 1000), got = 0, want;
    if (a->fail) return;
    for (int j = 0; j < N; j++) {
        int kind = below(rg, 3), row = below(rg, B);
        for (int i = 0; i < B; i++) {
            float *v = &A[(size_t)i * N + j];
            if (kind == 0)
                *v = j % 3 == 0 || below(rg, 4) == 0 ? 0.0f : -fabsf(*v);
            else if (kind == 1)
                *v = i == row ? fabsf(*v) : -fabsf(*v);
        }
    }
    to_double(da(a, A), A, n);
    int ia = pool_add(p, n, A, 0), ic = pool_add(p, 1, &start, 1);
    if (p->st == CT_OK) p->st = ct_dead_units(dev, at(p, ic), at(p, ia), B, N);
    if (pool_read(p, ic, &got)) {
        want = start + ref_dead_units(da(a, A), B, N);
        compare_int(r, "count", &got, &want, 1);
    }
    snprintf(r->what, sizeof r->what, "dead_units B=%d N=%d", B, N);
}

/* fill and scale. */
static void run_fill_scale(pool *p, arrays *a, rng *rg, const ct_check_case *c,
                           ct_check_result *r) {
    ct_device *dev = p->dev;
    size_t n = (size_t)c->N;
    float value = c->alpha != 0 ? c->alpha : 0.75f;
    float *x = rand_fill(a, rg, n, 1.0f), *xg = fa(a, n), *xw = fa(a, n);
    if (a->fail) return;
    int ix = pool_add(p, n, c->op == CT_CHECK_FILL ? NULL : x, 0);
    if (p->st != CT_OK) return;
    p->st = c->op == CT_CHECK_FILL ? ct_fill(dev, at(p, ix), value, (int)n)
                                   : ct_scale(dev, at(p, ix), value, (int)n);
    if (!pool_read(p, ix, xg)) return;
    for (size_t i = 0; i < n; i++)
        da(a, xw)[i] = c->op == CT_CHECK_FILL ? value : value * da(a, x)[i];
    compare(r, "x", xg, da(a, xw), n, 0, EPS_F, NULL);
    snprintf(r->what, sizeof r->what, "%s n=%zu value=%g", ct_check_op_name(c->op), n, value);
}

/* The helpers: gathers, axpy, counts of correct predictions and dead units, fill and scale. */
static void run_helpers(pool *p, arrays *a, rng *rg, const ct_check_case *c, ct_check_result *r) {
    if (c->op == CT_CHECK_GATHER_ROWS)
        run_gather_rows(p, a, rg, c, r);
    else if (c->op == CT_CHECK_GATHER_PERM)
        run_gather_perm(p, a, rg, c, r);
    else if (c->op == CT_CHECK_AXPY)
        run_axpy(p, a, rg, c, r);
    else if (c->op == CT_CHECK_ARGMAX_CORRECT || c->op == CT_CHECK_BINARY_CORRECT)
        run_correct(p, a, rg, c, r);
    else if (c->op == CT_CHECK_DEAD_UNITS)
        run_dead_units(p, a, rg, c, r);
    else
        run_fill_scale(p, a, rg, c, r);
}

/* ---- normalization ----------------------------------------------------------------------- */

/* The double twin of a fresh array of n values (scratch for the reference). */
static double *scratch(arrays *a, size_t n) {
    float *f = fa(a, n);
    return f ? da(a, f) : NULL;
}

/* Rounds x[0..n) to floats in f and puts those floats back into x: an input derived from the
 * reference, as the device gets it. */
static void round_to(float *f, double *x, size_t n) {
    for (size_t i = 0; i < n; i++) {
        f[i] = (float)x[i];
        x[i] = f[i];
    }
}

/* A normalization check's inputs, shared by its ops: sizes, options, the arrays the device gets
 * and their double twins (the reference's). */
typedef struct {
    int B, N, per_row, inplace;
    size_t n, nN, nB, ns; /* B * N, N, B, and the statistics' count (B per row, else N) */
    float eps, alpha;
    ct_act act;
    float *Z, *mean, *var, *gamma, *beta, *dA, *Y;
    double *Zd, *md, *vd, *gd, *bd, *dAd, *Yd;
} norm_case;

/* The inputs every normalization check shares, into t (see run_norm); 0 when out of host
 * memory. */
static int norm_inputs(arrays *a, rng *rg, const ct_check_case *c, norm_case *t) {
    const ct_check_op op = c->op;
    const int B = c->M, N = c->N;
    const size_t n = (size_t)B * N, nN = (size_t)N, nB = (size_t)B;
    const int per_row =
        op == CT_CHECK_LN_STATS || op == CT_CHECK_LN_BACKWARD_INPUT ||
        ((op == CT_CHECK_NORM_APPLY || op == CT_CHECK_NORM_PARAM_GRADS) && c->transA);
    const size_t ns = per_row ? nB : nN;
    const float eps = c->delta > 0 ? c->delta : 1e-5f, range = c->range > 0 ? c->range : 2.0f;
    const ct_act act = c->act;
    const float alpha = c->alpha;
    float *Z = rand_fill(a, rg, n, range), *rsh = rand_fill(a, rg, nB, range);
    float *csh = rand_fill(a, rg, nN, range), *mean = fa(a, ns), *var = fa(a, ns);
    float *gamma = rand_fill(a, rg, nN, 1.5f), *beta = rand_fill(a, rg, nN, 1.0f);
    float *dA = rand_fill(a, rg, n, 1.0f), *Y = fa(a, n);
    if (a->fail) return 0;
    double *Zd = da(a, Z), *md = da(a, mean), *vd = da(a, var), *gd = da(a, gamma);
    double *bd = da(a, beta), *dAd = da(a, dA), *Yd = da(a, Y);
    for (int i = 0; i < B; i++)
        for (int j = 0; j < N; j++)
            Z[(size_t)i * N + j] += rsh[i] + csh[j];
    to_double(Zd, Z, n);
    if (per_row) {
        ref_ln_stats(md, vd, Zd, B, N);
    } else {
        ref_bn_moment(md, Zd, NULL, B, N, 0, 1.0 / B);
        ref_bn_moment(vd, Zd, md, B, N, 1, 1.0 / B);
    }
    round_to(mean, md, ns);
    round_to(var, vd, ns);
    ref_norm_apply(Yd, NULL, Zd, md, vd, gd, bd, eps, act, alpha, B, N, per_row);
    round_to(Y, Yd, n);
    for (size_t k = 0; k < n; k += 7) {
        Y[k] = 0.0f;
        Yd[k] = 0.0;
    }
    t->B = B, t->N = N, t->per_row = per_row, t->inplace = c->transB != 0;
    t->n = n, t->nN = nN, t->nB = nB, t->ns = ns;
    t->eps = eps, t->alpha = alpha, t->act = act;
    t->Z = Z, t->mean = mean, t->var = var, t->gamma = gamma, t->beta = beta, t->dA = dA, t->Y = Y;
    t->Zd = Zd, t->md = md, t->vd = vd, t->gd = gd, t->bd = bd, t->dAd = dAd, t->Yd = Yd;
    return 1;
}

/* The statistic s's 1 / sqrt(var + eps), for the magnitudes. */
static double norm_rstd(const norm_case *t, size_t s) {
    return 1.0 / sqrt(t->vd[s] + (double)t->eps);
}

/* xhat of Z[i][j] under the statistic s, for the magnitudes. */
static double norm_xhat(const norm_case *t, int i, int j, size_t s) {
    return (t->Zd[(size_t)t->N * i + j] - t->md[s]) * norm_rstd(t, s);
}

/* bn_moment: scale times the column sums of Z, or of its squared deviations from the mean. */
static void run_bn_moment(pool *p, arrays *a, const ct_check_case *c, const norm_case *t,
                          ct_check_result *r) {
    ct_device *dev = p->dev;
    const int B = t->B, N = t->N;
    const size_t n = t->n, nN = t->nN;
    float *Z = t->Z, *mean = t->mean;
    double *Zd = t->Zd, *md = t->md;
    const int centered = c->transA != 0;
    const float scale = c->alpha != 0 ? c->alpha : (float)(1.0 / B);
    float *outg = fa(a, nN);
    double *outw = scratch(a, nN), *mag = scratch(a, nN);
    if (a->fail) return;
    int iz = pool_add(p, n, Z, 0), im = centered ? pool_add(p, nN, mean, 0) : -1;
    int io = pool_add(p, nN, NULL, 0);
    /* not centered: no mean at all (NULL mem), which the op accepts */
    if (p->st == CT_OK)
        p->st = ct_bn_moment(dev, at(p, io), at(p, iz), at(p, im), B, N, centered, scale);
    if (pool_read(p, io, outg)) {
        ref_bn_moment(outw, Zd, centered ? md : NULL, B, N, centered, scale);
        for (int j = 0; j < N; j++) {
            mag[j] = 0;
            for (int i = 0; i < B; i++) {
                double z = Zd[(size_t)i * N + j];
                mag[j] += centered ? (z - md[j]) * (z - md[j]) : fabs(z);
            }
            mag[j] *= fabs((double)scale);
        }
        compare(r, "out", outg, outw, nN, 1e-6, 2.0 * (B + 2) * EPS_F, mag);
    }
    snprintf(r->what, sizeof r->what, "bn_moment B=%d N=%d centered=%d scale=%g", B, N, centered,
             scale);
}

/* ln_stats: the mean and the biased variance of each row. */
static void run_ln_stats(pool *p, arrays *a, const norm_case *t, ct_check_result *r) {
    ct_device *dev = p->dev;
    const int B = t->B, N = t->N;
    const size_t n = t->n, nB = t->nB;
    float *Z = t->Z;
    double *Zd = t->Zd;
    float *mg = fa(a, nB), *vg = fa(a, nB);
    double *mw = scratch(a, nB), *vw = scratch(a, nB), *mmag = scratch(a, nB);
    if (a->fail) return;
    int iz = pool_add(p, n, Z, 0), im = pool_add(p, nB, NULL, 0), iv = pool_add(p, nB, NULL, 0);
    if (p->st == CT_OK) p->st = ct_ln_stats(dev, at(p, im), at(p, iv), at(p, iz), B, N);
    if (pool_read(p, im, mg) && pool_read(p, iv, vg)) {
        ref_ln_stats(mw, vw, Zd, B, N);
        for (int i = 0; i < B; i++) {
            mmag[i] = 0;
            for (int j = 0; j < N; j++)
                mmag[i] += fabs(Zd[(size_t)i * N + j]) / N;
        }
        compare(r, "mean", mg, mw, nB, 1e-6, 2.0 * (N + 2) * EPS_F, mmag);
        /* a sum of squares: its terms are its magnitude; the mean's error enters squared */
        compare(r, "var", vg, vw, nB, 1e-6, 2.0 * (N + 4) * EPS_F, NULL);
    }
    snprintf(r->what, sizeof r->what, "ln_stats B=%d N=%d", B, N);
}

/* norm_apply: Y = gamma xhat + beta and A = f(Y), with the statistics per column or per row. */
static void run_norm_apply(pool *p, arrays *a, const norm_case *t, ct_check_result *r) {
    ct_device *dev = p->dev;
    const int B = t->B, N = t->N, per_row = t->per_row;
    const size_t n = t->n, nN = t->nN, ns = t->ns;
    const float eps = t->eps, alpha = t->alpha;
    const ct_act act = t->act;
    float *Z = t->Z, *mean = t->mean, *var = t->var, *gamma = t->gamma, *beta = t->beta;
    double *Zd = t->Zd, *md = t->md, *vd = t->vd, *gd = t->gd, *bd = t->bd;
    float *Yg = fa(a, n), *Ag = fa(a, n);
    double *Yw = scratch(a, n), *Aw = scratch(a, n), *magY = scratch(a, n);
    double *magA = scratch(a, n);
    if (a->fail) return;
    int iz = pool_add(p, n, Z, 0), im = pool_add(p, ns, mean, 0), iv = pool_add(p, ns, var, 0);
    int ig = pool_add(p, nN, gamma, 0), ib = pool_add(p, nN, beta, 0);
    int iy = pool_add(p, n, NULL, 0), ia = pool_add(p, n, NULL, 0);
    if (p->st == CT_OK)
        p->st = ct_norm_apply(dev, at(p, iy), at(p, ia), at(p, iz), at(p, im), at(p, iv), at(p, ig),
                              at(p, ib), eps, act, alpha, B, N, per_row);
    if (pool_read(p, iy, Yg) && pool_read(p, ia, Ag)) {
        ref_norm_apply(Yw, Aw, Zd, md, vd, gd, bd, eps, act, alpha, B, N, per_row);
        for (int i = 0; i < B; i++)
            for (int j = 0; j < N; j++) {
                size_t k = (size_t)i * N + j, s = per_row ? (size_t)i : (size_t)j;
                magY[k] = fabs(gd[j] * norm_xhat(t, i, j, s)) + fabs(bd[j]);
                /* |f'| <= max(1.2, |alpha|): Y's error passes on at most that */
                magA[k] = fabs(Aw[k]) + fmax(1.2, fabs((double)alpha)) * magY[k];
            }
        compare(r, "Y", Yg, Yw, n, 1e-6, 32 * EPS_F, magY);
        compare(r, "A", Ag, Aw, n, 1e-6, 1e-5, magA);
    }
    snprintf(r->what, sizeof r->what, "norm_apply %s B=%d N=%d per_row=%d eps=%g", ct_act_name(act),
             B, N, per_row, eps);
}

/* norm_param_grads: dgamma and dbeta, the column sums of dA f'(Y) (times xhat for dgamma). */
static void run_norm_param_grads(pool *p, arrays *a, const norm_case *t, ct_check_result *r) {
    ct_device *dev = p->dev;
    const int B = t->B, N = t->N, per_row = t->per_row;
    const size_t n = t->n, nN = t->nN, ns = t->ns;
    const float eps = t->eps, alpha = t->alpha;
    const ct_act act = t->act;
    float *Z = t->Z, *mean = t->mean, *var = t->var, *dA = t->dA, *Y = t->Y;
    double *Zd = t->Zd, *md = t->md, *vd = t->vd, *dAd = t->dAd, *Yd = t->Yd;
    float *dgg = fa(a, nN), *dbg = fa(a, nN);
    double *dgw = scratch(a, nN), *dbw = scratch(a, nN), *magg = scratch(a, nN);
    double *magb = scratch(a, nN);
    if (a->fail) return;
    int ida = pool_add(p, n, dA, 0), iy = pool_add(p, n, Y, 0), iz = pool_add(p, n, Z, 0);
    int im = pool_add(p, ns, mean, 0), iv = pool_add(p, ns, var, 0);
    int idg = pool_add(p, nN, NULL, 0), idb = pool_add(p, nN, NULL, 0);
    if (p->st == CT_OK)
        p->st = ct_norm_param_grads(dev, at(p, idg), at(p, idb), at(p, ida), at(p, iy), at(p, iz),
                                    at(p, im), at(p, iv), eps, act, alpha, B, N, per_row);
    if (pool_read(p, idg, dgg) && pool_read(p, idb, dbg)) {
        ref_norm_param_grads(dgw, dbw, dAd, Yd, Zd, md, vd, eps, act, alpha, B, N, per_row);
        for (int j = 0; j < N; j++) {
            magg[j] = magb[j] = 0;
            for (int i = 0; i < B; i++) {
                size_t k = (size_t)i * N + j, s = per_row ? (size_t)i : (size_t)j;
                double g = fabs(dAd[k] * ref_act_grad(act, alpha, Yd[k]));
                magg[j] += g * fabs(norm_xhat(t, i, j, s));
                magb[j] += g;
            }
        }
        double rtol = 2.0 * (B + 2) * EPS_F + 1e-5;
        compare(r, "dgamma", dgg, dgw, nN, 1e-6, rtol, magg);
        compare(r, "dbeta", dbg, dbw, nN, 1e-6, rtol, magb);
    }
    snprintf(r->what, sizeof r->what, "norm_param_grads %s B=%d N=%d per_row=%d", ct_act_name(act),
             B, N, per_row);
}

/* bn_backward_input (with the sums of a batch of M rows, or none when M is 0) and
 * ln_backward_input: dZ, in place or not. */
static void run_norm_backward_input(pool *p, arrays *a, const ct_check_case *c, const norm_case *t,
                                    ct_check_result *r) {
    ct_device *dev = p->dev;
    const ct_check_op op = c->op;
    const int B = t->B, N = t->N, inplace = t->inplace;
    const size_t n = t->n, nN = t->nN, ns = t->ns;
    const float eps = t->eps, alpha = t->alpha;
    const ct_act act = t->act;
    float *Z = t->Z, *mean = t->mean, *var = t->var, *gamma = t->gamma, *dA = t->dA, *Y = t->Y;
    double *Zd = t->Zd, *md = t->md, *vd = t->vd, *gd = t->gd, *dAd = t->dAd, *Yd = t->Yd;
    const int bn = op == CT_CHECK_BN_BACKWARD_INPUT, M = bn ? c->K : 0;
    float *dgamma = fa(a, nN), *dbeta = fa(a, nN), *dZg = fa(a, n);
    double *dZw = scratch(a, n), *unit = scratch(a, n), *mag = scratch(a, n);
    if (a->fail) return;
    double *dgd = da(a, dgamma), *dbd = da(a, dbeta);
    if (M > 0) { /* the sums of these rows, as the op's caller computes them */
        ref_norm_param_grads(dgd, dbd, dAd, Yd, Zd, md, vd, eps, act, alpha, B, N, 0);
        round_to(dgamma, dgd, nN);
        round_to(dbeta, dbd, nN);
    }
    int ida = pool_add(p, n, dA, 0), iy = pool_add(p, n, Y, 0), iz = pool_add(p, n, Z, 0);
    int im = pool_add(p, ns, mean, 0), iv = pool_add(p, ns, var, 0);
    int ig = pool_add(p, nN, gamma, 0);
    /* M == 0: no dgamma, dbeta at all (NULL mem), which the op accepts */
    int idg = M > 0 ? pool_add(p, nN, dgamma, 0) : -1;
    int idb = M > 0 ? pool_add(p, nN, dbeta, 0) : -1;
    int idz = inplace ? ida : pool_add(p, n, NULL, 0);
    if (p->st == CT_OK)
        p->st = bn ? ct_bn_backward_input(dev, at(p, idz), at(p, ida), at(p, iy), at(p, iz),
                                          at(p, im), at(p, iv), at(p, ig), at(p, idg), at(p, idb),
                                          eps, act, alpha, M, B, N)
                   : ct_ln_backward_input(dev, at(p, idz), at(p, ida), at(p, iy), at(p, iz),
                                          at(p, im), at(p, iv), at(p, ig), eps, act, alpha, B, N);
    if (pool_read(p, idz, dZg)) {
        if (bn) {
            ref_bn_backward_input(dZw, dAd, Yd, Zd, md, vd, gd, M > 0 ? dgd : NULL,
                                  M > 0 ? dbd : NULL, eps, act, alpha, M, B, N);
            for (int i = 0; i < B; i++)
                for (int j = 0; j < N; j++) {
                    size_t k = (size_t)i * N + j;
                    double g = fabs(dAd[k] * ref_act_grad(act, alpha, Yd[k]));
                    unit[k] = fabs(gd[j]) * norm_rstd(t, j);
                    mag[k] = g;
                    if (M > 0) mag[k] += (fabs(dbd[j]) + fabs(norm_xhat(t, i, j, j) * dgd[j])) / M;
                    mag[k] *= unit[k];
                }
            compare_units(r, "dZ", dZg, dZw, n, 1e-6, unit, 1e-5 + 16 * EPS_F, mag);
        } else {
            ref_ln_backward_input(dZw, dAd, Yd, Zd, md, vd, gd, eps, act, alpha, B, N);
            for (int i = 0; i < B; i++) {
                double sh = 0, shx = 0, sg = 0, sgx = 0;
                for (int j = 0; j < N; j++) {
                    size_t k = (size_t)i * N + j;
                    double h = fabs(gd[j] * dAd[k] * ref_act_grad(act, alpha, Yd[k]));
                    double x = fabs(norm_xhat(t, i, j, i));
                    sh += h / N, shx += h * x / N, sg += fabs(gd[j]) / N;
                    sgx += fabs(gd[j]) * x / N;
                }
                for (int j = 0; j < N; j++) {
                    size_t k = (size_t)i * N + j;
                    double h = fabs(gd[j] * dAd[k] * ref_act_grad(act, alpha, Yd[k]));
                    double x = fabs(norm_xhat(t, i, j, i));
                    unit[k] = norm_rstd(t, i) * (fabs(gd[j]) + sg + x * sgx);
                    mag[k] = norm_rstd(t, i) * (h + sh + x * shx);
                }
            }
            compare_units(r, "dZ", dZg, dZw, n, 1e-6, unit, 2.0 * (N + 2) * EPS_F + 1e-5, mag);
        }
    }
    if (bn)
        snprintf(r->what, sizeof r->what, "bn_backward_input %s B=%d N=%d M=%d%s", ct_act_name(act),
                 B, N, M, inplace ? " in place" : "");
    else
        snprintf(r->what, sizeof r->what, "ln_backward_input %s B=%d N=%d%s", ct_act_name(act), B,
                 N, inplace ? " in place" : "");
}

/* bn_running: the running mean and the running (unbiased) variance after a batch of M rows. */
static void run_bn_running(pool *p, arrays *a, rng *rg, const ct_check_case *c, const norm_case *t,
                           ct_check_result *r) {
    ct_device *dev = p->dev;
    const int B = t->B, N = t->N;
    const size_t nN = t->nN;
    float *mean = t->mean, *var = t->var;
    double *md = t->md, *vd = t->vd;
    const int M = c->K > 0 ? c->K : B;
    const float mom = c->beta != 0 ? c->beta : 0.1f;
    float *rm = rand_fill(a, rg, nN, 1.0f), *rv = rand_fill(a, rg, nN, 1.0f);
    float *rmg = fa(a, nN), *rvg = fa(a, nN);
    double *magm = scratch(a, nN), *magv = scratch(a, nN);
    if (a->fail) return;
    for (size_t j = 0; j < nN; j++)
        rv[j] = fabsf(rv[j]);
    to_double(da(a, rv), rv, nN);
    double *rmd = da(a, rm), *rvd = da(a, rv), m = mom;
    double unbias = M > 1 ? (double)M / (M - 1) : 1.0;
    int irm = pool_add(p, nN, rm, 0), irv = pool_add(p, nN, rv, 0);
    int im = pool_add(p, nN, mean, 0), iv = pool_add(p, nN, var, 0);
    if (p->st == CT_OK)
        p->st = ct_bn_running(dev, at(p, irm), at(p, irv), at(p, im), at(p, iv), mom, M, N);
    if (pool_read(p, irm, rmg) && pool_read(p, irv, rvg)) {
        for (int j = 0; j < N; j++) {
            magm[j] = fabs((1 - m) * rmd[j]) + fabs(m * md[j]);
            magv[j] = fabs((1 - m) * rvd[j]) + fabs(m * vd[j] * unbias);
        }
        ref_bn_running(rmd, rvd, md, vd, m, M, N);
        compare(r, "running_mean", rmg, rmd, nN, 0, 4 * EPS_F, magm);
        compare(r, "running_var", rvg, rvd, nN, 0, 4 * EPS_F, magv);
    }
    snprintf(r->what, sizeof r->what, "bn_running N=%d M=%d momentum=%g", N, M, mom);
}

/* Batch norm and layer norm. Z is uniform in [-range, range] plus an offset per row and one per
 * column (so that no statistic is near 0 and centring matters); the statistics, the backward
 * ops' Y (every 7th an exact 0, a kink) and batch norm's dgamma, dbeta are the reference's,
 * rounded to float. Tolerances: a relative error of a few float roundings (16 or 32 eps)
 * against the magnitude of the terms (the same expression on absolute values), n + 2 roundings
 * for a sum of n, and the activation's own 1e-5 relative, 1e-6 absolute as in act_backward's
 * check (the absolute part scaled by the factors the op applies to the derivative). */
static void run_norm(pool *p, arrays *a, rng *rg, const ct_check_case *c, ct_check_result *r) {
    const ct_check_op op = c->op;
    norm_case t;
    if (!norm_inputs(a, rg, c, &t)) return;
    if (op == CT_CHECK_BN_MOMENT)
        run_bn_moment(p, a, c, &t, r);
    else if (op == CT_CHECK_LN_STATS)
        run_ln_stats(p, a, &t, r);
    else if (op == CT_CHECK_NORM_APPLY)
        run_norm_apply(p, a, &t, r);
    else if (op == CT_CHECK_NORM_PARAM_GRADS)
        run_norm_param_grads(p, a, &t, r);
    else if (op == CT_CHECK_BN_BACKWARD_INPUT || op == CT_CHECK_LN_BACKWARD_INPUT)
        run_norm_backward_input(p, a, c, &t, r);
    else /* CT_CHECK_BN_RUNNING */
        run_bn_running(p, a, rg, c, &t, r);
}

ct_status ct_check_run(ct_device *dev, const ct_check_case *c, uint64_t seed, ct_check_result *r) {
    memset(r, 0, sizeof *r);
    pool p;
    memset(&p, 0, sizeof p);
    p.dev = dev;
    arrays a;
    memset(&a, 0, sizeof a);
    rng rg = {seed ^ ((uint64_t)c->op << 40)};
    snprintf(r->what, sizeof r->what, "%s", ct_check_op_name(c->op));
    switch (c->op) {
    case CT_CHECK_GEMM:
    case CT_CHECK_DENSE_FORWARD:
    case CT_CHECK_DENSE_BACKWARD_WEIGHT:
    case CT_CHECK_DENSE_BACKWARD_INPUT: run_gemm_like(&p, &a, &rg, c, r); break;
    case CT_CHECK_BIAS_ACT_FORWARD:
    case CT_CHECK_ACT_FORWARD:
    case CT_CHECK_ACT_BACKWARD: run_act(&p, &a, &rg, c, r); break;
    case CT_CHECK_BIAS_BACKWARD: run_bias_backward(&p, &a, &rg, c, r); break;
    case CT_CHECK_ACT_BIAS_BACKWARD: run_act_bias_backward(&p, &a, &rg, c, r); break;
    case CT_CHECK_LOSS: run_loss(&p, &a, &rg, c, r); break;
    case CT_CHECK_DROPOUT_FORWARD:
    case CT_CHECK_DROPOUT_BACKWARD: run_dropout(&p, &a, &rg, c, r); break;
    case CT_CHECK_OPTIM: run_optim(&p, &a, &rg, c, r); break;
    case CT_CHECK_SUM_SQUARES:
    case CT_CHECK_REDUCE_SUM: run_reduce(&p, &a, &rg, c, r); break;
    case CT_CHECK_BN_MOMENT:
    case CT_CHECK_LN_STATS:
    case CT_CHECK_NORM_APPLY:
    case CT_CHECK_NORM_PARAM_GRADS:
    case CT_CHECK_BN_BACKWARD_INPUT:
    case CT_CHECK_LN_BACKWARD_INPUT:
    case CT_CHECK_BN_RUNNING: run_norm(&p, &a, &rg, c, r); break;
    default: run_helpers(&p, &a, &rg, c, r); break;
    }
    if (a.fail && p.st == CT_OK) p.st = ct_fail(dev, CT_ERR_ALLOC, "check: out of host memory");
    if (p.guard_msg[0]) {
        if (!r->n_bad) snprintf(r->first_bad, sizeof r->first_bad, "%s", p.guard_msg);
        r->n_bad++;
    }
    r->pass = p.st == CT_OK && r->n_bad == 0 && r->n_checked > 0;
    pool_free(&p);
    arrays_free(&a);
    return p.st;
}

/* ---- the selftest's cases ---------------------------------------------------------------- */

#define GEMM(m, n, k, ta, tb, be)                                                                  \
    { .op = CT_CHECK_GEMM, .M = m, .N = n, .K = k, .transA = ta, .transB = tb, .beta = be }
#define DENSE(o, b, i, out)                                                                        \
    { .op = o, .M = b, .K = i, .N = out }
#define ACT(o, a, al, b, n)                                                                        \
    { .op = o, .act = a, .alpha = al, .M = b, .N = n }
/* a case of op o for every activation of CT_ACT_LIST, b rows of n */
#define ACT_CASE_(id, name, flags, al, o, b, n) ACT(o, CT_ACT_##id, al, b, n),
#define ACTS(o, b, n) CT_ACT_LIST(ACT_CASE_, o, b, n)
#define LOSS(l, b, c)                                                                              \
    { .op = CT_CHECK_LOSS, .loss = l, .M = b, .N = c, .delta = 1.0f }
#define OPT(k, lr_, wd, clip, t)                                                                   \
    {                                                                                              \
        .op = CT_CHECK_OPTIM, .N = 1001, .step = t, .optim = {                                     \
            .kind = k,                                                                             \
            .lr = lr_,                                                                             \
            .momentum = 0.9f,                                                                      \
            .dampening = 0.1f * (k == CT_OPT_MOMENTUM),                                            \
            .beta1 = 0.9f,                                                                         \
            .beta2 = 0.999f,                                                                       \
            .rho = 0.99f,                                                                          \
            .eps = 1e-8f,                                                                          \
            .weight_decay = wd,                                                                    \
            .clip_norm = clip                                                                      \
        }                                                                                          \
    }

static const ct_check_case selftest_cases[] = {
    GEMM(17, 13, 9, 0, 0, 0),
    GEMM(33, 255, 17, 1, 0, 0.5f),
    GEMM(64, 10, 129, 0, 1, 0),
    GEMM(3, 1, 1000, 1, 1, 0),
    DENSE(CT_CHECK_DENSE_FORWARD, 17, 255, 33),
    DENSE(CT_CHECK_DENSE_BACKWARD_WEIGHT, 17, 255, 33),
    DENSE(CT_CHECK_DENSE_BACKWARD_INPUT, 17, 255, 33),
    ACTS(CT_CHECK_BIAS_ACT_FORWARD, 17, 33)
    ACTS(CT_CHECK_ACT_BACKWARD, 1, 1001)
    ACT(CT_CHECK_ACT_FORWARD, CT_ACT_GELU, 0, 1, 255),
    {.op = CT_CHECK_BIAS_BACKWARD, .M = 255, .N = 17},
    ACTS(CT_CHECK_ACT_BIAS_BACKWARD, 37, 131)
    LOSS(CT_LOSS_SOFTMAX_CE, 255, 10),
    LOSS(CT_LOSS_SIGMOID_BCE, 17, 1),
    LOSS(CT_LOSS_MSE, 33, 3),
    LOSS(CT_LOSS_HUBER, 33, 3),
    {.op = CT_CHECK_DROPOUT_FORWARD, .N = 1001, .p = 0.3f, .step = 7, .layer = 1},
    {.op = CT_CHECK_DROPOUT_BACKWARD, .N = 1001, .p = 0.3f, .step = 7, .layer = 1},
    OPT(CT_OPT_SGD, 0.1f, 0.01f, 0, 1),
    OPT(CT_OPT_MOMENTUM, 0.1f, 0, 0, 1),
    OPT(CT_OPT_MOMENTUM, 0.1f, 0, 0, 2),
    OPT(CT_OPT_NESTEROV, 0.1f, 0.01f, 0, 3),
    OPT(CT_OPT_RMSPROP, 0.01f, 0, 0, 2),
    OPT(CT_OPT_ADAM, 0.001f, 0, 0, 1),
    OPT(CT_OPT_ADAMW, 0.001f, 0.01f, 1.0f, 5),
    OPT(CT_OPT_LION, 0.001f, 0.1f, 0, 3),
    OPT(CT_OPT_LION, 0.0001f, 0, 1.0f, 1),
    {.op = CT_CHECK_SUM_SQUARES, .N = 1001},
    {.op = CT_CHECK_REDUCE_SUM, .N = 1001, .beta = 0},
    {.op = CT_CHECK_GATHER_ROWS, .M = 17, .N = 33, .K = 100},
    {.op = CT_CHECK_ARGMAX_CORRECT, .M = 255, .N = 10},
    {.op = CT_CHECK_BINARY_CORRECT, .M = 255, .N = 1},
    {.op = CT_CHECK_FILL, .N = 1001},
    {.op = CT_CHECK_SCALE, .N = 1001, .alpha = -1.5f},
    {.op = CT_CHECK_GATHER_PERM, .M = 64, .N = 17, .K = 1001, .step = 937, .layer = 1},
    {.op = CT_CHECK_AXPY, .N = 1001, .alpha = -0.01f},
    {.op = CT_CHECK_DEAD_UNITS, .M = 255, .N = 17},
    {.op = CT_CHECK_BN_MOMENT, .M = 67, .N = 33},
    {.op = CT_CHECK_BN_MOMENT, .M = 67, .N = 33, .transA = 1},
    {.op = CT_CHECK_LN_STATS, .M = 17, .N = 130},
    ACTS(CT_CHECK_NORM_APPLY, 17, 33)
    {.op = CT_CHECK_NORM_APPLY, .act = CT_ACT_RELU, .M = 17, .N = 33, .transA = 1},
    {.op = CT_CHECK_NORM_PARAM_GRADS, .act = CT_ACT_GELU, .M = 67, .N = 33},
    {.op = CT_CHECK_NORM_PARAM_GRADS, .act = CT_ACT_TANH, .M = 17, .N = 130, .transA = 1},
    {.op = CT_CHECK_BN_BACKWARD_INPUT, .act = CT_ACT_RELU, .M = 67, .N = 33, .K = 67},
    {.op = CT_CHECK_BN_BACKWARD_INPUT, .act = CT_ACT_SILU, .M = 17, .N = 33, .transB = 1},
    {.op = CT_CHECK_LN_BACKWARD_INPUT, .act = CT_ACT_GELU, .M = 17, .N = 130},
    {.op = CT_CHECK_LN_BACKWARD_INPUT, .act = CT_ACT_SIGMOID, .M = 17, .N = 33, .transB = 1},
    {.op = CT_CHECK_BN_RUNNING, .M = 67, .N = 33},
};

int ct_check_selftest_cases(const ct_check_case **cases) {
    *cases = selftest_cases;
    return (int)(sizeof selftest_cases / sizeof selftest_cases[0]);
}
