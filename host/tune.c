/* The tuner (see cltrain_tools.h, ct_tune): measures the kernel shapes a device can take on the
 * products and elementwise sizes of the given networks, keeps the fastest shape, then the
 * fastest matrix-product backend per shape class under it, and writes them to the tuning file.
 * Every shape gives the same bits (test_shapes), so tuning changes speed only. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "device.h"
#include "ops.h"
#include "strutil.h"

#define TUNE_MAX_SHAPES 64
#define TUNE_MAX_DIM 2048 /* larger products are timed on a proxy clipped to this size */

typedef struct tune_gemm {
    int M, N, K, tA, tB;
} tune_gemm;


static int clip(int v) { return v < TUNE_MAX_DIM ? v : TUNE_MAX_DIM; }

/* The products of a training step of each net (forward, weight and input gradients; the first
 * layer has no input gradient), each shape once. */
static int step_products(const ct_bench_net *nets, int n_nets, tune_gemm *out) {
    int n = 0;
    for (int i = 0; i < n_nets; i++)
        for (int l = 0; l < nets[i].n_layers; l++) {
            int in = clip(nets[i].sizes[l]), o = clip(nets[i].sizes[l + 1]), B = clip(nets[i].batch);
            tune_gemm g[3] = {{B, o, in, 0, 1}, {o, in, B, 1, 0}, {B, in, o, 0, 0}};
            for (int k = 0; k < (l > 0 ? 3 : 2); k++) {
                int seen = 0;
                for (int j = 0; j < n; j++)
                    seen |= !memcmp(&out[j], &g[k], sizeof g[k]);
                if (!seen && n < TUNE_MAX_SHAPES) out[n++] = g[k];
            }
        }
    return n;
}

typedef struct tune_bufs {
    cl_mem A, B, C;
    size_t floats;
} tune_bufs;

static void bufs_free(tune_bufs *b) {
    if (b->A) clReleaseMemObject(b->A);
    if (b->B) clReleaseMemObject(b->B);
    if (b->C) clReleaseMemObject(b->C);
    memset(b, 0, sizeof *b);
}

/* Three buffers of `floats` floats, filled with small values (never all zeros). */
static ct_status bufs_make(ct_device *dev, tune_bufs *b, size_t floats) {
    float *h = malloc(floats * sizeof(float));
    if (!h) return ct_fail(dev, CT_ERR_ALLOC, "tune: out of host memory");
    for (size_t i = 0; i < floats; i++)
        h[i] = (float)((i * 7) % 13) * 0.01f - 0.05f;
    ct_status st = CT_OK;
    cl_mem *m[3] = {&b->A, &b->B, &b->C};
    for (int i = 0; i < 3 && st == CT_OK; i++) {
        st = ct_buffer_create(dev, m[i], floats * sizeof(float), "a tuning operand");
        if (st == CT_OK) st = ct_buffer_write(dev, *m[i], 0, floats * sizeof(float), h);
    }
    free(h);
    b->floats = floats;
    return st;
}


/* Seconds of one call of a product (median of 3 timings of enough calls for about 4 ms at
 * 100 GFLOP/s; a first call compiles and is not timed). */
static ct_status time_gemm(ct_device *dev, const tune_bufs *b, const tune_gemm *g,
                           ct_gemm_backend be, double *sec) {
    ct_gemm_backend keep = dev->gemm;
    dev->gemm = be;
    double flops = 2.0 * g->M * g->N * g->K, t[3];
    int calls = (int)fmax(1, fmin(100, 4e8 / flops));
    int lda = g->tA ? g->M : g->K, ldb = g->tB ? g->K : g->N;
    ct_status st = CT_OK;
    for (int rep = -1; rep < 3 && st == CT_OK; rep++) {
        double t0 = ct_bench_now();
        for (int i = 0; i < (rep < 0 ? 1 : calls) && st == CT_OK; i++)
            st = ct_gemm(dev, ct_at(b->C, 0), g->N, ct_at(b->A, 0), lda, ct_at(b->B, 0), ldb, g->M,
                         g->N, g->K, g->tA, g->tB, 1.0f, 0.0f);
        if (st == CT_OK) st = ct_device_finish(dev);
        if (rep >= 0) t[rep] = (ct_bench_now() - t0) / calls;
    }
    dev->gemm = keep;
    *sec = ct_bench_median(t, 3);
    return st;
}

/* Seconds of one call of each of the ng products, summed: a step's products under a shape. */
static ct_status time_products(ct_device *dev, const tune_bufs *b, const tune_gemm *g, int ng,
                               ct_gemm_backend be, double *sec) {
    ct_status st = CT_OK;
    *sec = 0;
    for (int i = 0; i < ng && st == CT_OK; i++) {
        double s = 0;
        st = time_gemm(dev, b, &g[i], be, &s);
        *sec += s;
    }
    return st;
}

/* Seconds of the elementwise passes of a step's hidden layers (bias + activation forward and
 * the activation's derivative), at each net's (batch, width): medians of 3. */
static ct_status time_elementwise(ct_device *dev, const tune_bufs *b, const ct_bench_net *nets,
                                  int n_nets, double *sec) {
    *sec = 0;
    ct_status st = CT_OK;
    for (int i = 0; i < n_nets && st == CT_OK; i++)
        for (int l = 1; l < nets[i].n_layers && st == CT_OK; l++) {
            int B = clip(nets[i].batch), N = clip(nets[i].sizes[l]);
            double t[3];
            int calls = (int)fmax(2, fmin(200, 2e7 / ((double)B * N)));
            for (int rep = -1; rep < 3 && st == CT_OK; rep++) {
                double t0 = ct_bench_now();
                for (int c = 0; c < (rep < 0 ? 1 : calls) && st == CT_OK; c++) {
                    st = ct_bias_act_forward(dev, ct_at(b->C, 0), ct_at(b->A, 0), ct_at(b->C, 0),
                                             ct_at(b->B, 0), CT_ACT_RELU, 0, B, N);
                    if (st == CT_OK)
                        st = ct_act_backward(dev, ct_at(b->B, 0), ct_at(b->C, 0), ct_at(b->A, 0),
                                             CT_ACT_RELU, 0, B * N);
                }
                if (st == CT_OK) st = ct_device_finish(dev);
                if (rep >= 0) t[rep] = (ct_bench_now() - t0) / calls;
            }
            *sec += ct_bench_median(t, 3);
        }
    return st;
}

static void say(ct_tune_progress cb, void *user, const char *fmt, ...) CT_PRINTF(3, 4);
static void say(ct_tune_progress cb, void *user, const char *fmt, ...) {
    if (!cb) return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    cb(user, line);
}

/* What every step of a tuning run reads: the device, the nets and their products, the operand
 * buffers, the clock and budget, and where progress goes. */
typedef struct tune_run {
    ct_device *dev;
    const ct_bench_net *nets;
    int n_nets;
    tune_gemm g[TUNE_MAX_SHAPES];
    int ng;
    tune_bufs b;
    double t_start, budget_s;
    ct_tune_progress progress;
    void *user;
} tune_run;

/* Floats in each operand buffer: the largest operand of any product, and the largest
 * (batch, width) of an elementwise pass. */
static size_t operand_floats(const tune_run *r) {
    size_t floats = 1;
    for (int i = 0; i < r->ng; i++) {
        const tune_gemm *g = &r->g[i];
        size_t a = (size_t)g->M * g->K, b = (size_t)g->K * g->N, c = (size_t)g->M * g->N;
        size_t m = a > b ? a : b;
        m = m > c ? m : c;
        if (m > floats) floats = m;
    }
    for (int i = 0; i < r->n_nets; i++)
        for (int l = 1; l < r->nets[i].n_layers; l++) {
            size_t e = (size_t)clip(r->nets[i].batch) * (size_t)clip(r->nets[i].sizes[l]);
            if (e > floats) floats = e;
        }
    return floats;
}

/* 1. the product's shape: each of the nc candidates timed once on the step's products (until
 * 60% of the budget), into swept[]; out->tried and out->best_seconds follow. */
static ct_status sweep_shapes(tune_run *r, const ct_kernel_config *cand, int nc,
                              ct_gemm_backend shape_be, double *swept, ct_tune_result *out) {
    ct_status st = CT_OK;
    for (int c = 0; c < nc; c++) {
        if (c > 0 && ct_bench_now() - r->t_start > r->budget_s * 0.6) {
            say(r->progress, r->user, "tune: time budget reached after %d of %d shapes", c, nc);
            break;
        }
        char name[128];
        ct_kernel_config_format(&cand[c], name, sizeof name);
        if ((st = ct_device_set_kernel_config(r->dev, &cand[c])) != CT_OK) return st;
        if ((st = time_products(r->dev, &r->b, r->g, r->ng, shape_be, &swept[c])) != CT_OK)
            return st;
        out->tried++;
        int better = swept[c] < out->best_seconds;
        if (better) out->best_seconds = swept[c];
        say(r->progress, r->user, "tune: shape %d/%d %-34s products %8.3f ms%s", c + 1, nc, name,
            swept[c] * 1e3, better ? "  (fastest so far)" : "");
    }
    return st;
}

/* 1b. One timing per shape is at the mercy of a shared machine (and the first shape also
 * pays for a cold start), so the untuned shape and the sweep's three fastest others are
 * timed again in turns, 3 rounds: the fastest median wins, and the figures reported are
 * these medians. Sets out->best, best_seconds and default_seconds. */
static ct_status confirm_shapes(tune_run *r, const ct_kernel_config *cand, ct_gemm_backend shape_be,
                                const double *swept, ct_tune_result *out) {
    ct_status st = CT_OK;
    int fin[4] = {0}, nf = 1;
    for (int k = 0; k < 3; k++) {
        int pick = -1;
        for (int c = 1; c < out->tried; c++) {
            int taken = 0;
            for (int f = 1; f < nf; f++)
                taken |= fin[f] == c;
            if (!taken && (pick < 0 || swept[c] < swept[pick])) pick = c;
        }
        if (pick > 0) fin[nf++] = pick;
    }
    double rounds[4][3];
    int nr = 0;
    for (; nr < 3 && nf > 1 && ct_bench_now() - r->t_start < r->budget_s * 0.85; nr++)
        for (int f = 0; f < nf; f++) {
            if ((st = ct_device_set_kernel_config(r->dev, &cand[fin[f]])) != CT_OK) return st;
            if ((st = time_products(r->dev, &r->b, r->g, r->ng, shape_be, &rounds[f][nr])) != CT_OK)
                return st;
        }
    int win = 0;
    double med[4];
    for (int f = 0; f < nf; f++) {
        if (nr == 0) {
            med[f] = swept[fin[f]];
        } else {
            med[f] = ct_bench_median(rounds[f], nr);
        }
        if (med[f] < med[win]) win = f;
    }
    if (nr > 0) {
        char line[512];
        int at = snprintf(line, sizeof line, "tune: in turns (medians of %d): untuned %.3f ms", nr,
                          med[0] * 1e3);
        for (int f = 1; f < nf && at < (int)sizeof line; f++) {
            const ct_kernel_config *c = &cand[fin[f]];
            at += r->dev->cpu ? snprintf(line + at, sizeof line - (size_t)at,
                                         ", rm=%d,nv=%d %.3f ms", c->rm, c->nv, med[f] * 1e3)
                              : snprintf(line + at, sizeof line - (size_t)at,
                                         ", ogm=%d,ogn=%d,ogk=%d,ogwm=%d,ogwn=%d %.3f ms", c->ogm,
                                         c->ogn, c->ogk, c->ogwm, c->ogwn, med[f] * 1e3);
        }
        say(r->progress, r->user, "%s", line);
    }
    out->best = cand[fin[win]];
    out->best_seconds = med[win];
    out->default_seconds = med[0];
    return st;
}

/* 2. elements per work-item of the activations, under the fastest product shape: the
 * default and twice as many (CPU devices only); the faster into out->best. */
static ct_status tune_elementwise(tune_run *r, ct_tune_result *out) {
    ct_status st = CT_OK;
    const int ews[] = {out->best.ew, 2 * out->best.ew};
    double best_ew = INFINITY;
    ct_kernel_config win = out->best;
    for (int e = 0; e < 2 && ct_bench_now() - r->t_start < r->budget_s * 0.9; e++) {
        ct_kernel_config c = out->best;
        c.ew = ews[e];
        if ((st = ct_device_set_kernel_config(r->dev, &c)) != CT_OK) return st;
        double s = 0;
        if ((st = time_elementwise(r->dev, &r->b, r->nets, r->n_nets, &s)) != CT_OK) return st;
        if (s < best_ew) best_ew = s, win = c;
        say(r->progress, r->user, "tune: activations, %2d elements per item: %8.3f ms", c.ew,
            s * 1e3);
    }
    out->best = win;
    return st;
}

/* 3. the backend of each product's shape class, under the chosen shape, set on the device
 * (and saved to the tuning file when `save`); out->classes counts the classes. */
static ct_status tune_backends(tune_run *r, int save, ct_tune_result *out) {
    ct_device *dev = r->dev;
    const tune_gemm *g = r->g;
    ct_status st = CT_OK;
    ct_gemm_backend be[3];
    int nbe = 0;
    /* On CPU devices the CPU-shaped product is the only one measured: the generic own product
     * (one output per item) ran 10-50x slower there and CLBlast 3-20x slower on every product
     * of the suite (bench/RESULTS.md), and timing CLBlast first compiles its kernels, seconds
     * of a tune's budget. Other devices choose between the own product and CLBlast. */
    if (dev->cpu) {
        be[nbe++] = CT_GEMM_CPU;
    } else {
        be[nbe++] = CT_GEMM_OWN;
        if (ct_device_clblast_works(dev, NULL)) be[nbe++] = CT_GEMM_CLBLAST;
    }
    ct_gemm_tuned tuned[TUNE_MAX_SHAPES];
    int nt = 0;
    for (int i = 0; i < r->ng; i++) {
        unsigned key = ct_gemm_class(g[i].M, g[i].N, g[i].K, g[i].tA, g[i].tB);
        int seen = 0;
        for (int t = 0; t < nt; t++)
            seen |= tuned[t].key == key;
        if (seen) continue;
        double best = INFINITY;
        ct_gemm_backend win = be[0];
        if (nbe == 1) { /* nothing to choose: recorded without a measurement */
            tuned[nt].key = key;
            tuned[nt++].backend = win;
            continue;
        }
        char line[256];
        int at = snprintf(line, sizeof line, "tune: %5d x %5d x %5d %s%s:", g[i].M, g[i].N, g[i].K,
                          g[i].tA ? "T" : "N", g[i].tB ? "T" : "N");
        for (int k = 0; k < nbe; k++) {
            if (k > 0 && ct_bench_now() - r->t_start > r->budget_s)
                break; /* the first backend only */
            double s = 0;
            if ((st = time_gemm(dev, &r->b, &g[i], be[k], &s)) != CT_OK) return st;
            if (at < (int)sizeof line)
                at +=
                    snprintf(line + at, sizeof line - (size_t)at, " %s %.1f GFLOP/s",
                             ct_gemm_backend_name(be[k]), 2.0 * g[i].M * g[i].N * g[i].K / s / 1e9);
            /* CLBlast's bits are the device's own: it wins only where it is more than 5%
             * faster than the own product, which gives the common bits (issue 25) */
            if (be[k] == CT_GEMM_CLBLAST ? s * 1.05 < best : s < best) best = s, win = be[k];
        }
        tuned[nt].key = key;
        tuned[nt].backend = win;
        nt++;
        say(r->progress, r->user, "%s -> %s", line, ct_gemm_backend_name(win));
    }
    out->classes = nt;
    if ((st = ct_gemm_set_tuned(dev, tuned, nt, save)) != CT_OK) return st;
    if (save) dev->cfg_origin = "tuned";
    return st;
}

ct_status ct_tune(ct_device *dev, const ct_bench_net *nets, int n_nets, double budget_s, int save,
                  ct_tune_progress progress, void *user, ct_tune_result *out) {
    memset(out, 0, sizeof *out);
    tune_run r;
    memset(&r, 0, sizeof r);
    r.dev = dev;
    r.nets = nets;
    r.n_nets = n_nets;
    r.t_start = ct_bench_now();
    r.budget_s = budget_s;
    r.progress = progress;
    r.user = user;
    r.ng = step_products(nets, n_nets, r.g);
    ct_status st = bufs_make(dev, &r.b, operand_floats(&r));
    if (st != CT_OK) goto done;
    ct_kernel_config cand[32];
    int nc = ct_kernel_config_candidates(dev, cand, 32);
    out->before = cand[0];
    out->best = cand[0];
    out->best_seconds = INFINITY;
    /* 1. the product's shape: the CPU product's on CPU devices, the own product's tiles on
     * others (measured before it is set against CLBlast in 3.) */
    ct_gemm_backend shape_be = dev->cpu ? CT_GEMM_CPU : CT_GEMM_OWN;
    double swept[32];
    if ((st = sweep_shapes(&r, cand, nc, shape_be, swept, out)) != CT_OK) goto done;
    if ((st = confirm_shapes(&r, cand, shape_be, swept, out)) != CT_OK) goto done;
    if (dev->cpu && (st = tune_elementwise(&r, out)) != CT_OK) goto done;
    if ((st = ct_device_set_kernel_config(dev, &out->best)) != CT_OK) goto done;
    st = tune_backends(&r, save, out);
done:
    bufs_free(&r.b);
    out->seconds = ct_bench_now() - r.t_start;
    return st;
}
