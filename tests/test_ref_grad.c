/* The scalar reference (host/ref.c) checked on its own:
 *  - every backward against central finite differences of its forward, in double;
 *  - loss values against naive formulas, and stability for logits of +-1000;
 *  - ref_gemm against a naive triple loop (all transposes), ref_dense_* against ref_gemm;
 *  - optimizer steps t = 1, 2 against hand computations written differently from ref.c;
 *  - batch norm and layer norm: dZ, dgamma, dbeta against FD through the statistics (and with
 *    the statistics held fixed), a batch split in parts, the running statistics by hand;
 *  - dropout masks: keep fraction, independence across (seed, step, layer), determinism;
 *  - a whole 2-layer network: parameter gradients from the ref ops against FD of the loss.
 * Needs no device. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "ref.h"
#include "rng.h"
#include "util.h"

/* ---- finite differences --------------------------------------------------------------- */

#define FD_STEP 1e-6 /* relative step: h = FD_STEP * max(1, |x|) */
#define FD_RTOL 1e-5
#define FD_ATOL 1e-6 /* times the largest |gradient| of the check (plus 1e-10) */

/* The largest FD error of each group of checks, printed at the end. */
enum { G_ACT, G_LOSS, G_DENSE, G_BIAS, G_DROPOUT, G_CHAIN, G_NORM, G_COUNT };
static const char *const group_name[G_COUNT] = {
    "activations", "losses", "dense", "bias", "dropout", "2-layer chain", "normalization"};
static double group_err[G_COUNT];

typedef double (*scalar_fn)(void *ctx);

/* grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2 h); x is perturbed in place and restored. */
static void fd_gradient(double *grad, double *x, int n, scalar_fn f, void *ctx) {
    for (int i = 0; i < n; i++) {
        double x0 = x[i];
        double h = FD_STEP * fmax(1.0, fabs(x0));
        double xp = x0 + h, xm = x0 - h;
        x[i] = xp;
        double fp = f(ctx);
        x[i] = xm;
        double fm = f(ctx);
        x[i] = x0;
        grad[i] = (fp - fm) / (xp - xm);
    }
}

/* Analytic against FD with atol = FD_ATOL * max|fd| + 1e-10 and rtol = FD_RTOL. The error kept
 * for the report is |a - fd| / max(|fd|, 0.01 max|fd|): relative, with tiny entries measured
 * against 1 % of the largest one. */
static int check_grad(int group, const char *name, const double *analytic, const double *fd,
                      int n) {
    double scale = 0.0;
    for (int i = 0; i < n; i++)
        scale = fmax(scale, fabs(fd[i]));
    for (int i = 0; i < n; i++) {
        double err = fabs(analytic[i] - fd[i]) / fmax(fmax(fabs(fd[i]), 0.01 * scale), 1e-300);
        if (scale > 0.0 && err > group_err[group]) group_err[group] = err;
    }
    return expect_close(name, analytic, fd, (size_t)n, FD_ATOL * scale + 1e-10, FD_RTOL);
}

static double sum_prod(const double *a, const double *b, int n) {
    double s = 0.0;
    for (int i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

static double *dalloc(size_t n) { return test_alloc(n, sizeof(double)); }

static void fill_nan(double *x, int n) {
    for (int i = 0; i < n; i++)
        x[i] = NAN;
}

/* ---- activations ---------------------------------------------------------------------- */

typedef struct act_ctx {
    ct_act act;
    double alpha;
    double *Z, *R, *A;
    int n;
} act_ctx;

/* sum(f(Z) .* R) through ref_act_forward */
static double act_loss(void *p) {
    act_ctx *c = p;
    ref_act_forward(c->A, c->Z, c->act, c->alpha, c->n);
    return sum_prod(c->A, c->R, c->n);
}

static int has_kink(ct_act a) {
    return a == CT_ACT_RELU || a == CT_ACT_LEAKY_RELU || a == CT_ACT_ELU;
}

/* Values from formulas written independently of ref.c. */
static double naive_act(ct_act a, double alpha, double z) {
    switch (a) {
    case CT_ACT_IDENTITY: return z;
    case CT_ACT_RELU: return z < 0.0 ? 0.0 : z;
    case CT_ACT_LEAKY_RELU: return z < 0.0 ? z * alpha : z;
    case CT_ACT_ELU: return z < 0.0 ? alpha * (exp(z) - 1.0) : z;
    case CT_ACT_SIGMOID: return 1.0 / (1.0 + exp(-z));
    case CT_ACT_TANH: return (exp(2.0 * z) - 1.0) / (exp(2.0 * z) + 1.0);
    case CT_ACT_GELU: return 0.5 * z * (1.0 + erf(z / sqrt(2.0))); /* exact GELU */
    case CT_ACT_SILU: return z / (1.0 + exp(-z));
    default: return NAN;
    }
}

static void test_activations(test_rng *r) {
    char name[96];
    enum { N = 257 };
    double *Z = dalloc(N), *R = dalloc(N), *A = dalloc(N), *dZ = dalloc(N), *fd = dalloc(N);
    double *dA = dalloc(N);

    for (int a = 0; a < CT_ACT_COUNT; a++) {
        ct_act act = (ct_act)a;
        /* leaky/elu with two slopes; the rest get an alpha they must ignore */
        double alphas[2] = {0.1, 0.7};
        if (act == CT_ACT_ELU) alphas[0] = 1.0;
        for (int ai = 0; ai < 2; ai++) {
            double alpha = alphas[ai];
            for (int i = 0; i < N; i++) {
                do
                    Z[i] = test_rng_uniform(r, -5.0, 5.0);
                while (has_kink(act) && fabs(Z[i]) < 1e-3);
            }
            test_fill(r, R, N, -1.0, 1.0);

            /* element-wise: ref_act_grad against FD of ref_act */
            double *g = dalloc(N), *gfd = dalloc(N);
            for (int i = 0; i < N; i++) {
                double z = Z[i], h = FD_STEP * fmax(1.0, fabs(z));
                g[i] = ref_act_grad(act, alpha, z);
                gfd[i] =
                    (ref_act(act, alpha, z + h) - ref_act(act, alpha, z - h)) / ((z + h) - (z - h));
            }
            snprintf(name, sizeof name, "act_grad %s alpha %.1f vs FD", ct_act_name(act), alpha);
            check_grad(G_ACT, name, g, gfd, N);
            free(g);
            free(gfd);

            /* arrays: ref_act_backward against FD of sum(ref_act_forward(Z) .* R) */
            act_ctx c = {act, alpha, Z, R, A, N};
            fd_gradient(fd, Z, N, act_loss, &c);
            ref_act_backward(dZ, R, Z, act, alpha, N);
            snprintf(name, sizeof name, "act_backward %s alpha %.1f vs FD", ct_act_name(act), alpha);
            check_grad(G_ACT, name, dZ, fd, N);

            /* dZ may alias dA */
            memcpy(dA, R, N * sizeof *dA);
            ref_act_backward(dA, dA, Z, act, alpha, N);
            snprintf(name, sizeof name, "act_backward %s in place", ct_act_name(act));
            expect_close(name, dA, dZ, N, 0.0, 0.0);

            /* forward values against formulas written here (GELU: the exact erf form, which
             * the tanh approximation follows within 4.8e-4) */
            double *want = dalloc(N);
            for (int i = 0; i < N; i++)
                want[i] = naive_act(act, alpha, Z[i]);
            ref_act_forward(A, Z, act, alpha, N);
            snprintf(name, sizeof name, "act_forward %s values", ct_act_name(act));
            expect_close(name, A, want, N, act == CT_ACT_GELU ? 5e-4 : 1e-14, 1e-13);
            free(want);
        }

        /* extremes stay finite and saturate */
        for (int s = -1; s <= 1; s += 2) {
            double z = 1000.0 * s, alpha = 0.7;
            double f = ref_act(act, alpha, z), fp = ref_act_grad(act, alpha, z);
            EXPECT(isfinite(f) && isfinite(fp), "%s(%g) = %g, f' = %g: not finite", ct_act_name(act), z, f,
                   fp);
            double want = naive_act(act, alpha, z);
            if (act == CT_ACT_SIGMOID) want = s > 0 ? 1.0 : 0.0;
            if (act == CT_ACT_TANH) want = s;
            if (act == CT_ACT_GELU) want = s > 0 ? z : 0.0;
            EXPECT(fabs(f - want) <= 1e-12 * fabs(want) + 1e-300, "%s(%g) = %.17g, want %.17g",
                   ct_act_name(act), z, f, want);
        }
    }

    /* the kinks, by definition: relu'(0) = 0, leaky'(0) = alpha, elu'(0) = alpha; each is the
     * left derivative, which a one-sided difference from below reproduces */
    struct {
        ct_act act;
        double alpha, want;
    } kinks[] = {{CT_ACT_RELU, 0.3, 0.0},
                 {CT_ACT_LEAKY_RELU, 0.01, 0.01},
                 {CT_ACT_LEAKY_RELU, 0.2, 0.2},
                 {CT_ACT_ELU, 0.5, 0.5}};
    for (size_t k = 0; k < sizeof kinks / sizeof kinks[0]; k++) {
        double got = ref_act_grad(kinks[k].act, kinks[k].alpha, 0.0);
        EXPECT(got == kinks[k].want, "%s'(0) with alpha %g = %.17g, want %g", ct_act_name(kinks[k].act),
               kinks[k].alpha, got, kinks[k].want);
        double h = 1e-7;
        double left = (ref_act(kinks[k].act, kinks[k].alpha, 0.0) -
                       ref_act(kinks[k].act, kinks[k].alpha, -h)) /
                      h;
        EXPECT(fabs(left - got) <= 1e-6, "%s: left difference at 0 %.17g, f'(0) %.17g",
               ct_act_name(kinks[k].act), left, got);
        EXPECT(ref_act(kinks[k].act, kinks[k].alpha, 0.0) == 0.0, "%s(0) != 0",
               ct_act_name(kinks[k].act));
    }
    EXPECT(ref_act(CT_ACT_GELU, 0.0, 0.0) == 0.0, "gelu(0) = %g", ref_act(CT_ACT_GELU, 0, 0));
    EXPECT(fabs(ref_act_grad(CT_ACT_GELU, 0.0, 0.0) - 0.5) < 1e-15, "gelu'(0) = %.17g, want 0.5",
           ref_act_grad(CT_ACT_GELU, 0.0, 0.0));
    EXPECT(ref_act_grad(CT_ACT_SIGMOID, 0.0, 0.0) == 0.25, "sigmoid'(0) = %.17g, want 0.25",
           ref_act_grad(CT_ACT_SIGMOID, 0.0, 0.0));

    free(Z), free(R), free(A), free(dZ), free(fd), free(dA);
}

/* ---- losses --------------------------------------------------------------------------- */

typedef struct loss_ctx {
    ct_loss kind;
    double *Z;
    const int *labels;
    const double *T;
    int B, C;
    double delta;
} loss_ctx;

static double mean_loss(void *p) {
    loss_ctx *c = p;
    return ref_loss(c->kind, NULL, NULL, c->Z, c->labels, c->T, c->B, c->C, c->delta);
}

/* Row loss from textbook formulas: -log(softmax), -t log s - (1-t) log(1-s), d^2, Huber. */
static double naive_rowloss(ct_loss kind, const double *z, int y, const double *t, int C,
                            double delta) {
    double l = 0.0;
    if (kind == CT_LOSS_SOFTMAX_CE) {
        double s = 0.0;
        for (int c = 0; c < C; c++)
            s += exp(z[c]);
        return -log(exp(z[y]) / s);
    }
    for (int c = 0; c < C; c++) {
        double d = z[c] - t[c];
        if (kind == CT_LOSS_SIGMOID_BCE) {
            double s = 1.0 / (1.0 + exp(-z[c]));
            l += -(t[c] * log(s) + (1.0 - t[c]) * log(1.0 - s));
        } else if (kind == CT_LOSS_MSE) {
            l += d * d;
        } else {
            double a = fabs(d);
            l += a <= delta ? d * d / 2.0 : delta * a - delta * delta / 2.0;
        }
    }
    return l;
}


static void test_losses(test_rng *r) {
    static const int shapes[][2] = {{1, 1}, {1, 3}, {4, 1}, {3, 3}, {2, 17}, {17, 3}, {6, 17}};
    char name[128];
    for (int k = 0; k < CT_LOSS_COUNT; k++) {
        ct_loss kind = (ct_loss)k;
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            int B = shapes[s][0], C = shapes[s][1], n = B * C;
            double delta = s % 2 ? 1.0 : 0.5;
            double *Z = dalloc(n), *T = dalloc(n), *dZ = dalloc(n), *fd = dalloc(n);
            double *rowloss = dalloc(B);
            int *labels = test_alloc((size_t)B, sizeof(int));
            test_fill(r, Z, n, -3.0, 3.0);
            test_fill_int(r, labels, B, 0, C - 1);
            for (int i = 0; i < n; i++) {
                if (kind == CT_LOSS_SIGMOID_BCE) {
                    T[i] = (s == 3) ? test_rng_uniform(r, 0.0, 1.0) /* soft targets once */
                                    : (double)test_rng_int(r, 0, 1);
                } else {
                    T[i] = test_rng_uniform(r, -2.0, 2.0);
                    /* keep the Huber residual away from its switch at |d| = delta */
                    while (kind == CT_LOSS_HUBER && fabs(fabs(Z[i] - T[i]) - delta) < 1e-3)
                        T[i] = test_rng_uniform(r, -2.0, 2.0);
                }
            }

            fill_nan(dZ, n);
            fill_nan(rowloss, B);
            double mean = ref_loss(kind, dZ, rowloss, Z, labels, T, B, C, delta);
            loss_ctx c = {kind, Z, labels, T, B, C, delta};
            fd_gradient(fd, Z, n, mean_loss, &c);
            snprintf(name, sizeof name, "loss %s B=%d C=%d dZ vs FD", ct_loss_name((ct_loss)k), B, C);
            check_grad(G_LOSS, name, dZ, fd, n);

            /* mean = sum(rowloss) / count; rowloss against naive formulas */
            double count = kind == CT_LOSS_SOFTMAX_CE ? B : (double)B * C;
            double sum = 0.0, *want = dalloc(B);
            for (int i = 0; i < B; i++) {
                sum += rowloss[i];
                want[i] =
                    naive_rowloss(kind, Z + (size_t)i * C, labels[i], T + (size_t)i * C, C, delta);
            }
            snprintf(name, sizeof name, "loss %s B=%d C=%d mean", ct_loss_name((ct_loss)k), B, C);
            expect_near(name, mean, sum / count, 0.0, 1e-14);
            snprintf(name, sizeof name, "loss %s B=%d C=%d rowloss", ct_loss_name((ct_loss)k), B, C);
            expect_close(name, rowloss, want, B, 1e-13, 1e-12);
            /* NULL outputs give the same mean */
            double mean2 = ref_loss(kind, NULL, NULL, Z, labels, T, B, C, delta);
            EXPECT(mean2 == mean, "%s: mean without outputs %.17g, with %.17g", ct_loss_name((ct_loss)k),
                   mean2, mean);

            free(Z), free(T), free(dZ), free(fd), free(rowloss), free(labels), free(want);
        }
    }

    /* softmax_ce with logits of +-1000: finite, with answers derived by hand.
     * row 0: z = (1000, -1000, 0),  y = 1: loss = 2000,          p = (1, 0, 0)
     * row 1: z = (1000, 1000, -1000), y = 2: loss = 2000 + ln 2, p = (1/2, 1/2, 0)
     * row 2: z = (-1000, -1001, -1000.5), y = 0: with e = exp(-1/2),
     *        p = (1, e^2, e) / (1 + e + e^2), loss = log(1 + e + e^2)
     * row 3: z = (1000, -1000, 0), y = 0: loss = 0 (exp(-1000) underflows), p = (1, 0, 0) */
    {
        enum { B = 4, C = 3 };
        double Z[B * C] = {1000,  -1000, 0,       1000, 1000,  -1000,
                           -1000, -1001, -1000.5, 1000, -1000, 0};
        int y[B] = {1, 2, 0, 0};
        double e = exp(-0.5), s = 1.0 + e + e * e;
        double P[B * C] = {1, 0, 0, 0.5, 0.5, 0, 1 / s, e * e / s, e / s, 1, 0, 0};
        double want_row[B] = {2000.0, 2000.0 + log(2.0), log(s), 0.0};
        double want_dZ[B * C], dZ[B * C], row[B];
        for (int i = 0; i < B; i++)
            for (int j = 0; j < C; j++)
                want_dZ[i * C + j] = (P[i * C + j] - (j == y[i] ? 1.0 : 0.0)) / B;
        double mean = ref_loss(CT_LOSS_SOFTMAX_CE, dZ, row, Z, y, NULL, B, C, 1.0);
        double want_mean = (want_row[0] + want_row[1] + want_row[2] + want_row[3]) / B;
        /* logsumexp - z[y] cancels at |z| = 1000, where one ulp is 1.1e-13 */
        expect_near("softmax_ce +-1000 mean", mean, want_mean, 1e-12, 1e-14);
        expect_close("softmax_ce +-1000 rowloss", row, want_row, B, 1e-12, 1e-14);
        expect_close("softmax_ce +-1000 dZ", dZ, want_dZ, B * C, 1e-15, 1e-13);
    }
    /* softmax is shift-invariant: adding 1000 to every logit changes nothing */
    {
        enum { B = 5, C = 17 };
        double Z[B * C], Zs[B * C], dZ[B * C], dZs[B * C];
        int y[B];
        test_fill(r, Z, B * C, -4.0, 4.0);
        test_fill_int(r, y, B, 0, C - 1);
        for (int i = 0; i < B * C; i++)
            Zs[i] = Z[i] + 1000.0;
        double l = ref_loss(CT_LOSS_SOFTMAX_CE, dZ, NULL, Z, y, NULL, B, C, 1.0);
        double ls = ref_loss(CT_LOSS_SOFTMAX_CE, dZs, NULL, Zs, y, NULL, B, C, 1.0);
        expect_near("softmax_ce shift by 1000: loss", ls, l, 0.0, 1e-10);
        expect_close("softmax_ce shift by 1000: dZ", dZs, dZ, B * C, 1e-12, 1e-9);
    }
    /* sigmoid_bce with logits of +-1000: loss max(z,0) - z t exactly (log1p(e^-1000) = 0),
     * dZ = (step(z) - t) / (B*C) */
    {
        enum { B = 2, C = 3 };
        double Z[B * C] = {1000, 1000, -1000, -1000, 1000, -1000};
        double T[B * C] = {1, 0, 1, 0, 0.3, 0.25};
        double want_row[B], want_dZ[B * C], dZ[B * C], row[B];
        for (int i = 0; i < B; i++) {
            want_row[i] = 0.0;
            for (int j = 0; j < C; j++) {
                double z = Z[i * C + j], t = T[i * C + j], sig = z > 0 ? 1.0 : 0.0;
                want_row[i] += (z > 0 ? z : 0.0) - z * t;
                want_dZ[i * C + j] = (sig - t) / (B * C);
            }
        }
        double mean = ref_loss(CT_LOSS_SIGMOID_BCE, dZ, row, Z, NULL, T, B, C, 1.0);
        expect_near("sigmoid_bce +-1000 mean", mean, (want_row[0] + want_row[1]) / (B * C), 0.0,
                    1e-14);
        expect_close("sigmoid_bce +-1000 rowloss", row, want_row, B, 1e-12, 1e-14);
        expect_close("sigmoid_bce +-1000 dZ", dZ, want_dZ, B * C, 1e-15, 1e-14);
    }
    /* sigmoid_bce keeps its tail: l = log1p(exp(-40)) = exp(-40) (1 - exp(-40) / 2 ...), which
     * log(1 + exp(-40)) would round to 0 */
    {
        double Z[2] = {-40.0, 40.0}, T[2] = {0.0, 1.0}, row[1];
        double want = 2.0 * (exp(-40.0) - 0.5 * exp(-80.0));
        ref_loss(CT_LOSS_SIGMOID_BCE, NULL, row, Z, NULL, T, 1, 2, 1.0);
        expect_near("sigmoid_bce tail at |z| = 40", row[0], want, 0.0, 1e-12);
    }
}

/* ---- matrix products ------------------------------------------------------------------ */

/* op(A)[i][k] and op(B)[k][j] spelled out for the naive product. */
static double at_a(const double *A, int lda, int ta, int i, int k) {
    return ta ? A[k * lda + i] : A[i * lda + k];
}
static double at_b(const double *B, int ldb, int tb, int k, int j) {
    return tb ? B[j * ldb + k] : B[k * ldb + j];
}

static void test_gemm(test_rng *r) {
    static const int dims[][3] = {{1, 1, 1}, {3, 5, 7}, {17, 3, 2}, {4, 1, 9}, {2, 16, 33}};
    char name[128];
    for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++) {
        int M = dims[d][0], N = dims[d][1], K = dims[d][2];
        for (int ta = 0; ta <= 1; ta++) {
            for (int tb = 0; tb <= 1; tb++) {
                /* row strides with padding; the padding of C must stay untouched */
                int lda = (ta ? M : K) + 2, ldb = (tb ? K : N) + 1, ldc = N + 3;
                int rowsA = ta ? K : M, rowsB = tb ? N : K;
                double *A = dalloc((size_t)rowsA * lda), *Bm = dalloc((size_t)rowsB * ldb);
                double *C = dalloc((size_t)M * ldc), *want = dalloc((size_t)M * ldc);
                test_fill(r, A, (size_t)rowsA * lda, -1.0, 1.0);
                test_fill(r, Bm, (size_t)rowsB * ldb, -1.0, 1.0);
                test_fill(r, C, (size_t)M * ldc, -1.0, 1.0);
                double alpha = 0.75, beta = -1.25;
                for (int i = 0; i < M; i++) {
                    for (int j = 0; j < ldc; j++) {
                        double c = C[i * ldc + j];
                        if (j >= N) {
                            want[i * ldc + j] = c;
                            continue;
                        }
                        double s = 0.0;
                        for (int k = 0; k < K; k++)
                            s += at_a(A, lda, ta, i, k) * at_b(Bm, ldb, tb, k, j);
                        want[i * ldc + j] = alpha * s + beta * c;
                    }
                }
                ref_gemm(C, ldc, A, lda, Bm, ldb, M, N, K, ta, tb, alpha, beta);
                snprintf(name, sizeof name, "gemm M=%d N=%d K=%d tA=%d tB=%d", M, N, K, ta, tb);
                expect_close(name, C, want, (size_t)M * ldc, 1e-14, 1e-13);

                /* beta == 0 ignores C: NaN there must not come through */
                for (int i = 0; i < M; i++) {
                    for (int j = 0; j < N; j++) {
                        C[i * ldc + j] = NAN;
                        double s = 0.0;
                        for (int k = 0; k < K; k++)
                            s += at_a(A, lda, ta, i, k) * at_b(Bm, ldb, tb, k, j);
                        want[i * ldc + j] = 2.0 * s;
                    }
                }
                ref_gemm(C, ldc, A, lda, Bm, ldb, M, N, K, ta, tb, 2.0, 0.0);
                snprintf(name, sizeof name, "gemm beta=0 over NaN M=%d N=%d K=%d tA=%d tB=%d", M, N,
                         K, ta, tb);
                expect_close(name, C, want, (size_t)M * ldc, 1e-14, 1e-13);
                free(A), free(Bm), free(C), free(want);
            }
        }
    }
}

/* ---- dense layer ---------------------------------------------------------------------- */

typedef struct dense_ctx {
    double *X, *W, *Y;
    const double *R;
    int B, in, out;
} dense_ctx;

/* L = sum(Y .* R), Y = X W^T */
static double dense_loss(void *p) {
    dense_ctx *c = p;
    ref_dense_forward(c->Y, c->X, c->W, c->B, c->in, c->out);
    return sum_prod(c->Y, c->R, c->B * c->out);
}

static void test_dense(test_rng *r) {
    static const int dims[][3] = {{3, 5, 7}, {1, 1, 1}, {17, 3, 2}, {4, 9, 1}, {1, 6, 4}};
    char name[128];
    for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++) {
        int B = dims[d][0], in = dims[d][1], out = dims[d][2];
        int nx = B * in, nw = out * in, ny = B * out;
        double *X = dalloc(nx), *W = dalloc(nw), *Y = dalloc(ny), *R = dalloc(ny);
        double *dX = dalloc(nx), *dW = dalloc(nw), *fdX = dalloc(nx), *fdW = dalloc(nw);
        double *acc = dalloc(nw), *want = dalloc(nw), *G = dalloc((size_t)nx + ny + nw);
        test_fill(r, X, nx, -1.0, 1.0);
        test_fill(r, W, nw, -1.0, 1.0);
        test_fill(r, R, ny, -1.0, 1.0);
        dense_ctx c = {X, W, Y, R, B, in, out};

        fill_nan(dW, nw); /* beta = 0 must ignore it */
        ref_dense_backward_weight(dW, R, X, B, in, out, 0.0);
        ref_dense_backward_input(dX, R, W, B, in, out);
        fd_gradient(fdW, W, nw, dense_loss, &c);
        fd_gradient(fdX, X, nx, dense_loss, &c);
        snprintf(name, sizeof name, "dense %dx%dx%d dW vs FD", B, in, out);
        check_grad(G_DENSE, name, dW, fdW, nw);
        snprintf(name, sizeof name, "dense %dx%dx%d dX vs FD", B, in, out);
        check_grad(G_DENSE, name, dX, fdX, nx);

        /* beta = 1 accumulates */
        test_fill(r, acc, nw, -1.0, 1.0);
        for (int i = 0; i < nw; i++)
            want[i] = acc[i] + dW[i];
        ref_dense_backward_weight(acc, R, X, B, in, out, 1.0);
        snprintf(name, sizeof name, "dense %dx%dx%d dW beta=1", B, in, out);
        expect_close(name, acc, want, nw, 1e-15, 1e-14);

        /* the three products equal ref_gemm with the matching transposes */
        ref_dense_forward(Y, X, W, B, in, out);
        ref_gemm(G, out, X, in, W, in, B, out, in, 0, 1, 1.0, 0.0);
        snprintf(name, sizeof name, "dense %dx%dx%d forward = gemm(X, W^T)", B, in, out);
        expect_close(name, Y, G, ny, 1e-15, 1e-14);
        ref_gemm(G, in, R, out, X, in, out, in, B, 1, 0, 1.0, 0.0);
        snprintf(name, sizeof name, "dense %dx%dx%d backward_weight = gemm(dY^T, X)", B, in, out);
        expect_close(name, dW, G, nw, 1e-15, 1e-14);
        ref_gemm(G, in, R, out, W, in, B, in, out, 0, 0, 1.0, 0.0);
        snprintf(name, sizeof name, "dense %dx%dx%d backward_input = gemm(dY, W)", B, in, out);
        expect_close(name, dX, G, nx, 1e-15, 1e-14);

        free(X), free(W), free(Y), free(R), free(dX), free(dW), free(fdX), free(fdW);
        free(acc), free(want), free(G);
    }
}

/* ---- bias ----------------------------------------------------------------------------- */

typedef struct bias_ctx {
    const double *Y, *R;
    double *b, *Z, *A;
    ct_act act;
    int B, N;
} bias_ctx;

/* L = sum(f(Y + b) .* R) */
static double bias_loss(void *p) {
    bias_ctx *c = p;
    ref_bias_act_forward(c->A, c->Z, c->Y, c->b, c->act, 0.2, c->B, c->N);
    return sum_prod(c->A, c->R, c->B * c->N);
}

static void test_bias(test_rng *r) {
    static const int dims[][2] = {{1, 1}, {3, 5}, {17, 2}, {2, 17}};
    char name[128];
    for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++) {
        int B = dims[d][0], N = dims[d][1], n = B * N;
        double *Y = dalloc(n), *R = dalloc(n), *Z = dalloc(n), *A = dalloc(n), *dZ = dalloc(n);
        double *b = dalloc(N), *db = dalloc(N), *fd = dalloc(N), *want = dalloc(N);
        test_fill(r, Y, n, -2.0, 2.0);
        test_fill(r, R, n, -1.0, 1.0);
        test_fill(r, b, N, -1.0, 1.0);

        /* identity: db = column sums of R */
        bias_ctx c = {Y, R, b, Z, A, CT_ACT_IDENTITY, B, N};
        fill_nan(db, N);
        ref_bias_backward(db, R, B, N, 0.0);
        fd_gradient(fd, b, N, bias_loss, &c);
        snprintf(name, sizeof name, "bias_backward B=%d N=%d vs FD", B, N);
        check_grad(G_BIAS, name, db, fd, N);

        /* through tanh: db = column sums of R .* f'(Z) */
        c.act = CT_ACT_TANH;
        bias_loss(&c);
        ref_act_backward(dZ, R, Z, CT_ACT_TANH, 0.2, n);
        ref_bias_backward(db, dZ, B, N, 0.0);
        fd_gradient(fd, b, N, bias_loss, &c);
        snprintf(name, sizeof name, "bias+tanh backward B=%d N=%d vs FD", B, N);
        check_grad(G_BIAS, name, db, fd, N);

        /* beta = 1 accumulates */
        double *acc = dalloc(N);
        test_fill(r, acc, N, -1.0, 1.0);
        for (int j = 0; j < N; j++)
            want[j] = acc[j] + db[j];
        ref_bias_backward(acc, dZ, B, N, 1.0);
        snprintf(name, sizeof name, "bias_backward B=%d N=%d beta=1", B, N);
        expect_close(name, acc, want, N, 1e-15, 1e-14);

        /* forward values; Z may be Y itself */
        ref_bias_act_forward(A, Z, Y, b, CT_ACT_SIGMOID, 0.0, B, N);
        double *YZ = dalloc(n), *A2 = dalloc(n), *wantZ = dalloc(n), *wantA = dalloc(n);
        for (int i = 0; i < B; i++)
            for (int j = 0; j < N; j++) {
                wantZ[i * N + j] = Y[i * N + j] + b[j];
                wantA[i * N + j] = 1.0 / (1.0 + exp(-wantZ[i * N + j]));
            }
        memcpy(YZ, Y, n * sizeof *YZ);
        ref_bias_act_forward(A2, YZ, YZ, b, CT_ACT_SIGMOID, 0.0, B, N);
        snprintf(name, sizeof name, "bias_act_forward B=%d N=%d Z", B, N);
        expect_close(name, Z, wantZ, n, 0.0, 0.0);
        snprintf(name, sizeof name, "bias_act_forward B=%d N=%d A", B, N);
        expect_close(name, A, wantA, n, 1e-15, 1e-14);
        snprintf(name, sizeof name, "bias_act_forward B=%d N=%d Z aliasing Y", B, N);
        expect_close(name, YZ, wantZ, n, 0.0, 0.0);
        expect_close(name, A2, wantA, n, 1e-15, 1e-14);

        free(Y), free(R), free(Z), free(A), free(dZ), free(b), free(db), free(fd), free(want);
        free(acc), free(YZ), free(A2), free(wantZ), free(wantA);
    }
}

/* ---- normalization -------------------------------------------------------------------- */

typedef struct norm_ctx {
    int B, N, per_row;
    int batch_stats; /* 1: mean and var from Z (batch or layer statistics); 0: held fixed */
    ct_act act;
    double alpha, eps;
    double *Z, *gamma, *beta; /* the variables */
    const double *R;
    double *mean, *var, *Y, *A;
} norm_ctx;

static void norm_stats(norm_ctx *c) {
    if (c->per_row) {
        ref_ln_stats(c->mean, c->var, c->Z, c->B, c->N);
    } else {
        ref_bn_moment(c->mean, c->Z, NULL, c->B, c->N, 0, 1.0 / c->B);
        ref_bn_moment(c->var, c->Z, c->mean, c->B, c->N, 1, 1.0 / c->B);
    }
}

/* L = sum(f(gamma xhat + beta) .* R), the statistics of Z recomputed unless held fixed */
static double norm_loss(void *p) {
    norm_ctx *c = p;
    if (c->batch_stats) norm_stats(c);
    ref_norm_apply(c->Y, c->A, c->Z, c->mean, c->var, c->gamma, c->beta, c->eps, c->act, c->alpha,
                   c->B, c->N, c->per_row);
    return sum_prod(c->A, c->R, c->B * c->N);
}

static void test_norm(test_rng *r) {
    static const int dims[][2] = {{3, 5}, {7, 4}, {1, 5}, {4, 1}, {2, 3}};
    char name[160];
    for (int a = 0; a < CT_ACT_COUNT; a++) {
        ct_act act = (ct_act)a;
        double alpha = ct_act_default_alpha(act);
        for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++)
            for (int mode = 0; mode < 3; mode++) { /* batch norm, layer norm, fixed statistics */
                int B = dims[d][0], N = dims[d][1], n = B * N;
                int per_row = mode == 1, fixed = mode == 2;
                if (fixed) per_row = (int)(d % 2); /* both indexings of fixed statistics */
                int ns = per_row ? B : N;
                /* a large eps shows where it goes; a batch norm of 2 rows takes the large one:
                 * with a small eps its xhat is +-1 whatever Z is, and dZ (about eps) is at the
                 * differences' noise */
                double eps = (a + (int)d) % 2 && !(B == 2 && mode == 0) ? 1e-5 : 0.5;
                double *Z = dalloc(n), *R = dalloc(n), *Y = dalloc(n), *A = dalloc(n);
                double *gamma = dalloc(N), *beta = dalloc(N), *mean = dalloc(ns), *var = dalloc(ns);
                double *dgamma = dalloc(N), *dbeta = dalloc(N), *dZ = dalloc(n), *dA = dalloc(n);
                double *fdZ = dalloc(n), *fdg = dalloc(N), *fdb = dalloc(N);
                test_fill(r, R, n, -1.0, 1.0);
                norm_ctx c = {B,     N,    per_row, !fixed, act, alpha, eps, Z,
                              gamma, beta, R,       mean,   var, Y,     A};
                /* inputs away from the activation's kink: FD across it measures neither side */
                for (int tries = 0;; tries++) {
                    test_fill(r, Z, n, -2.0, 2.0);
                    test_fill(r, gamma, N, 0.5, 1.5);
                    test_fill(r, beta, N, -0.5, 0.5);
                    if (fixed) {
                        test_fill(r, mean, ns, -1.0, 1.0);
                        test_fill(r, var, ns, 0.2, 2.0);
                    }
                    norm_loss(&c);
                    int near = 0;
                    for (int k = 0; k < n; k++)
                        near |= has_kink(act) && fabs(Y[k]) < 1e-3;
                    if (!near || tries == 100) break;
                }
                /* the analytic gradients at the base point (norm_loss left its statistics) */
                fill_nan(dgamma, N);
                fill_nan(dbeta, N);
                fill_nan(dZ, n);
                ref_norm_param_grads(dgamma, dbeta, R, Y, Z, mean, var, eps, act, alpha, B, N,
                                     per_row);
                if (!per_row)
                    ref_bn_backward_input(dZ, R, Y, Z, mean, var, gamma, dgamma, dbeta, eps, act,
                                          alpha, fixed ? 0 : B, B, N);
                else if (!fixed)
                    ref_ln_backward_input(dZ, R, Y, Z, mean, var, gamma, eps, act, alpha, B, N);
                const char *kind =
                    fixed ? (per_row ? "fixed row stats" : "bn M=0") : (per_row ? "ln" : "bn");
                fd_gradient(fdg, gamma, N, norm_loss, &c);
                snprintf(name, sizeof name, "%s %s B=%d N=%d eps=%g dgamma vs FD", kind,
                         ct_act_name(act), B, N, eps);
                check_grad(G_NORM, name, dgamma, fdg, N);
                fd_gradient(fdb, beta, N, norm_loss, &c);
                snprintf(name, sizeof name, "%s %s B=%d N=%d eps=%g dbeta vs FD", kind,
                         ct_act_name(act), B, N, eps);
                check_grad(G_NORM, name, dbeta, fdb, N);
                if (!(fixed && per_row)) { /* layer norm has no constant-statistics op */
                    fd_gradient(fdZ, Z, n, norm_loss, &c);
                    snprintf(name, sizeof name, "%s %s B=%d N=%d eps=%g dZ vs FD", kind,
                             ct_act_name(act), B, N, eps);
                    check_grad(G_NORM, name, dZ, fdZ, n);
                    /* dZ may be dA */
                    norm_loss(&c);
                    memcpy(dA, R, (size_t)n * sizeof *dA);
                    if (per_row)
                        ref_ln_backward_input(dA, dA, Y, Z, mean, var, gamma, eps, act, alpha, B,
                                              N);
                    else
                        ref_bn_backward_input(dA, dA, Y, Z, mean, var, gamma, dgamma, dbeta, eps,
                                              act, alpha, fixed ? 0 : B, B, N);
                    snprintf(name, sizeof name, "%s %s B=%d N=%d in place", kind, ct_act_name(act),
                             B, N);
                    expect_close(name, dA, dZ, n, 0.0, 0.0);
                }
                free(Z), free(R), free(Y), free(A), free(gamma), free(beta), free(mean);
                free(var), free(dgamma), free(dbeta), free(dZ), free(dA), free(fdZ), free(fdg);
                free(fdb);
            }
    }

    /* a batch split in two parts (as across processes): each part's dZ from the whole batch's
     * statistics, dgamma and dbeta (the sums of the parts') and M = B is the whole batch's */
    {
        enum { B = 9, B1 = 4, N = 6, n = B * N };
        double Z[n], R[n], Y[n], mean[N], var[N], gamma[N], dg[N], db[N], dg1[N], db1[N];
        double dZ[n], dZp[n];
        test_fill(r, Z, n, -2.0, 2.0);
        test_fill(r, R, n, -1.0, 1.0);
        test_fill(r, gamma, N, 0.5, 1.5);
        ref_bn_moment(mean, Z, NULL, B, N, 0, 1.0 / B);
        ref_bn_moment(var, Z, mean, B, N, 1, 1.0 / B);
        ref_norm_apply(Y, NULL, Z, mean, var, gamma, gamma, 1e-5, CT_ACT_TANH, 0, B, N, 0);
        ref_norm_param_grads(dg, db, R, Y, Z, mean, var, 1e-5, CT_ACT_TANH, 0, B, N, 0);
        ref_bn_backward_input(dZ, R, Y, Z, mean, var, gamma, dg, db, 1e-5, CT_ACT_TANH, 0, B, B, N);
        /* the parts' moments with scale 1/B sum to the whole batch's */
        double m1[N], m2[N], v1[N], v2[N], msum[N], vsum[N];
        size_t o = (size_t)B1 * N;
        ref_bn_moment(m1, Z, NULL, B1, N, 0, 1.0 / B);
        ref_bn_moment(m2, Z + o, NULL, B - B1, N, 0, 1.0 / B);
        ref_bn_moment(v1, Z, mean, B1, N, 1, 1.0 / B);
        ref_bn_moment(v2, Z + o, mean, B - B1, N, 1, 1.0 / B);
        double d1[N], d2[N], b2[N];
        ref_norm_param_grads(dg1, db1, R, Y, Z, mean, var, 1e-5, CT_ACT_TANH, 0, B1, N, 0);
        ref_norm_param_grads(d2, b2, R + o, Y + o, Z + o, mean, var, 1e-5, CT_ACT_TANH, 0, B - B1,
                             N, 0);
        for (int j = 0; j < N; j++) {
            msum[j] = m1[j] + m2[j];
            vsum[j] = v1[j] + v2[j];
            d1[j] = dg1[j] + d2[j];
            b2[j] = db1[j] + b2[j];
        }
        expect_close("bn moments of two parts: mean", msum, mean, N, 1e-15, 1e-13);
        expect_close("bn moments of two parts: var", vsum, var, N, 1e-15, 1e-13);
        expect_close("norm_param_grads of two parts: dgamma", d1, dg, N, 1e-15, 1e-13);
        expect_close("norm_param_grads of two parts: dbeta", b2, db, N, 1e-15, 1e-13);
        ref_bn_backward_input(dZp, R, Y, Z, mean, var, gamma, dg, db, 1e-5, CT_ACT_TANH, 0, B, B1,
                              N);
        ref_bn_backward_input(dZp + o, R + o, Y + o, Z + o, mean, var, gamma, dg, db, 1e-5,
                              CT_ACT_TANH, 0, B, B - B1, N);
        expect_close("bn_backward_input of two parts with M = B", dZp, dZ, n, 0.0, 0.0);
    }

    /* layer statistics are batch statistics of the transpose */
    {
        enum { B = 5, N = 7 };
        double Z[B * N], Zt[N * B], m[B], v[B], mt[B], vt[B];
        test_fill(r, Z, B * N, -3.0, 3.0);
        for (int i = 0; i < B; i++)
            for (int j = 0; j < N; j++)
                Zt[j * B + i] = Z[i * N + j];
        ref_ln_stats(m, v, Z, B, N);
        ref_bn_moment(mt, Zt, NULL, N, B, 0, 1.0 / N);
        ref_bn_moment(vt, Zt, mt, N, B, 1, 1.0 / N);
        expect_close("ln_stats mean = bn mean of the transpose", m, mt, B, 1e-15, 1e-14);
        expect_close("ln_stats var = bn var of the transpose", v, vt, B, 1e-15, 1e-13);
    }

    /* running statistics, by hand: the unbiased variance, M = 1 without correction */
    {
        double rm[2] = {0.5, -1.0}, rv[2] = {2.0, 0.25}, mean[2] = {1.5, 2.0}, var[2] = {0.8, 3.0};
        ref_bn_running(rm, rv, mean, var, 0.1, 5, 2);
        double wm[2] = {0.9 * 0.5 + 0.1 * 1.5, 0.9 * -1.0 + 0.1 * 2.0};
        double wv[2] = {0.9 * 2.0 + 0.1 * 0.8 * 5.0 / 4.0, 0.9 * 0.25 + 0.1 * 3.0 * 1.25};
        expect_close("bn_running mean M=5", rm, wm, 2, 1e-15, 1e-14);
        expect_close("bn_running var M=5 (unbiased)", rv, wv, 2, 1e-15, 1e-14);
        ref_bn_running(rm, rv, mean, var, 1.0, 1, 2);
        expect_close("bn_running momentum 1 M=1: mean", rm, mean, 2, 0.0, 0.0);
        expect_close("bn_running momentum 1 M=1: var (no correction)", rv, var, 2, 0.0, 0.0);
    }
}

/* ---- dropout -------------------------------------------------------------------------- */

typedef struct drop_ctx {
    double *X, *Y;
    const double *R;
    float p;
    uint64_t seed, step;
    uint32_t layer;
    int n;
} drop_ctx;

static double drop_loss(void *pv) {
    drop_ctx *c = pv;
    ref_dropout_forward(c->Y, c->X, c->p, c->seed, c->step, c->layer, c->n);
    return sum_prod(c->Y, c->R, c->n);
}

static long count_keep(float p, uint64_t seed, uint64_t step, uint32_t layer, int n) {
    long k = 0;
    for (int e = 0; e < n; e++)
        k += ref_dropout_keep(p, seed, step, layer, (uint32_t)e);
    return k;
}

/* Fraction of elements on which two masks agree; independent masks agree with probability
 * p^2 + (1-p)^2. Returns the number of agreements. */
static long count_agree(float p, uint64_t s0, uint64_t t0, uint32_t l0, uint64_t s1, uint64_t t1,
                        uint32_t l1, int n) {
    long a = 0;
    for (int e = 0; e < n; e++)
        a += ref_dropout_keep(p, s0, t0, l0, (uint32_t)e) ==
             ref_dropout_keep(p, s1, t1, l1, (uint32_t)e);
    return a;
}

static void test_dropout(test_rng *r) {
    char name[128];
    /* backward against FD of the (linear) forward */
    {
        enum { N = 301 };
        double X[N], Y[N], R[N], dX[N], fd[N];
        test_fill(r, X, N, -2.0, 2.0);
        test_fill(r, R, N, -1.0, 1.0);
        const float ps[] = {0.0f, 0.3f, 0.5f, 0.9f};
        for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
            drop_ctx c = {X, Y, R, ps[i], 42, 7, 3, N};
            ref_dropout_backward(dX, R, ps[i], 42, 7, 3, N);
            fd_gradient(fd, X, N, drop_loss, &c);
            snprintf(name, sizeof name, "dropout_backward p=%.1f vs FD", ps[i]);
            check_grad(G_DROPOUT, name, dX, fd, N);

            /* forward: Y = keep ? X / (1 - p) : 0 */
            double want[N];
            ref_dropout_forward(Y, X, ps[i], 42, 7, 3, N);
            for (int e = 0; e < N; e++)
                want[e] = ref_dropout_keep(ps[i], 42, 7, 3, (uint32_t)e)
                              ? X[e] / (1.0 - (double)ps[i])
                              : 0.0;
            snprintf(name, sizeof name, "dropout_forward p=%.1f", ps[i]);
            expect_close(name, Y, want, N, 0.0, 1e-15);
        }
        ref_dropout_forward(Y, X, 0.0f, 1, 2, 3, N);
        EXPECT(memcmp(Y, X, sizeof X) == 0, "dropout p=0 does not copy");
        /* dX may alias dY */
        memcpy(dX, R, sizeof R);
        ref_dropout_backward(dX, dX, 0.4f, 5, 6, 7, N);
        ref_dropout_backward(fd, R, 0.4f, 5, 6, 7, N);
        expect_close("dropout_backward in place", dX, fd, N, 0.0, 0.0);
    }

    /* the keep decision is the shared generator's u >= p, compared as floats */
    {
        uint32_t k0, k1;
        int same = 1;
        ct_dropout_keys(0x123456789abcdefULL, 99, 4, &k0, &k1);
        for (uint32_t e = 0; e < 1000; e++)
            same &= ref_dropout_keep(0.37f, 0x123456789abcdefULL, 99, 4, e) ==
                    (ct_dropout_uniform(k0, k1, e) >= 0.37f);
        EXPECT(same, "ref_dropout_keep differs from host/rng.h's u >= p");
    }

    /* keep fraction within 4 sigma of 1 - p over 100000 elements */
    {
        const int n = 100000;
        const float ps[] = {0.1f, 0.5f, 0.9f};
        for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
            double p = ps[i];
            long k = count_keep(ps[i], 2024, 11, 1, n);
            double mean = n * (1.0 - p), sigma = sqrt(n * p * (1.0 - p));
            EXPECT(fabs((double)k - mean) <= 4.0 * sigma,
                   "p=%.1f: kept %ld of %d, want %.0f +- %.0f (4 sigma)", p, k, n, mean,
                   4.0 * sigma);
        }
        EXPECT(count_keep(0.0f, 9, 9, 9, n) == n, "p=0 drops elements");
        EXPECT(count_keep(1.0f, 9, 9, 9, n) == 0, "p=1 keeps elements");
    }

    /* a different seed, step or layer (low or high 32 bits) gives an independent mask; the
     * same triple the same mask */
    {
        const int n = 100000;
        const float p = 0.5f;
        const uint64_t s = 77, t = 1000;
        const uint32_t l = 2;
        struct {
            const char *what;
            uint64_t s, t;
            uint32_t l;
        } other[] = {{"seed+1", s + 1, t, l},  {"seed+2^32", s + (1ULL << 32), t, l},
                     {"step+1", s, t + 1, l},  {"step+2^32", s, t + (1ULL << 32), l},
                     {"layer+1", s, t, l + 1}, {"seed<->step", t, s, l}};
        double q = (double)p * p + (1.0 - p) * (1.0 - p);
        double sigma = sqrt(n * q * (1.0 - q));
        for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
            long a = count_agree(p, s, t, l, other[i].s, other[i].t, other[i].l, n);
            EXPECT(fabs((double)a - n * q) <= 4.0 * sigma,
                   "mask vs %s: %ld of %d agree, want %.0f +- %.0f (independent masks)",
                   other[i].what, a, n, n * q, 4.0 * sigma);
        }
        long same = count_agree(p, s, t, l, s, t, l, n);
        EXPECT(same == n, "the same (seed, step, layer) twice: %ld of %d agree", same, n);
    }
}

/* ---- the engine's whole pass ------------------------------------------------------------ */

/* The training engine on the reference backend, the pass that training, explain and gradcheck
 * run (no copy of it here): X (B, in) -> dense -> +b1 -> [norm] -> act -> dropout -> dense
 * -> +b2 -> loss. Its gradient against central differences of its own loss. */
typedef struct {
    struct {
        ct_net *net;
        int B;
    } e;
    double *P; /* the parameters, perturbed in place by fd_gradient */
} engine_fd;

static double engine_fd_loss(void *p) {
    engine_fd *f = p;
    if (ct_net_set_params_f64(f->e.net, f->P) != CT_OK ||
        ct_net_pass(f->e.net, CT_SLOT_TRAIN, f->e.B, 1, 0) != CT_OK)
        return NAN;
    return ct_net_loss_f64(f->e.net, 0);
}

static void test_chain(test_rng *r) {
    struct {
        ct_loss loss;
        ct_act act;
        double alpha;
        float p;
        int B, in, H, C;
        ct_norm norm;
    } cfg[] = {{CT_LOSS_SOFTMAX_CE, CT_ACT_TANH, 0.0, 0.0f, 5, 4, 6, 3, CT_NORM_NONE},
               {CT_LOSS_SOFTMAX_CE, CT_ACT_RELU, 0.0, 0.25f, 7, 3, 9, 17, CT_NORM_NONE},
               {CT_LOSS_SIGMOID_BCE, CT_ACT_GELU, 0.0, 0.3f, 4, 5, 7, 1, CT_NORM_NONE},
               {CT_LOSS_MSE, CT_ACT_SIGMOID, 0.0, 0.0f, 1, 3, 5, 1, CT_NORM_NONE},
               {CT_LOSS_HUBER, CT_ACT_ELU, 0.8, 0.0f, 6, 2, 4, 3, CT_NORM_NONE},
               {CT_LOSS_MSE, CT_ACT_LEAKY_RELU, 0.05, 0.5f, 3, 17, 3, 2, CT_NORM_NONE},
               {CT_LOSS_SOFTMAX_CE, CT_ACT_SILU, 0.0, 0.2f, 9, 4, 6, 3, CT_NORM_BATCH},
               {CT_LOSS_MSE, CT_ACT_TANH, 0.0, 0.0f, 6, 3, 5, 2, CT_NORM_LAYER},
               {CT_LOSS_SIGMOID_BCE, CT_ACT_RELU, 0.0, 0.0f, 8, 5, 7, 1, CT_NORM_BATCH}};
    char name[160], msg[CT_MSG_LEN];
    for (size_t k = 0; k < sizeof cfg / sizeof cfg[0]; k++) {
        int B = cfg[k].B, H = cfg[k].H, C = cfg[k].C, in = cfg[k].in;
        ct_arch a = ct_arch_mlp(1, &H, cfg[k].act);
        a.sizes[0] = in;
        a.sizes[2] = C;
        a.alpha[0] = (float)cfg[k].alpha;
        a.dropout[0] = cfg[k].p;
        a.norm[0] = cfg[k].norm;
        a.loss = cfg[k].loss;
        a.huber_delta = 0.5f;
        ct_layout lay;
        ct_arch_layout(&a, &lay);
        int np = (int)lay.n_train, nt = (int)lay.n_params; /* running statistics: no gradient */
        float *X = test_alloc((size_t)B * in, sizeof(float)), *T = test_alloc((size_t)B * C, 4);
        int32_t *labels = test_alloc((size_t)B, sizeof(int32_t));
        double *P = dalloc(nt), *grad = dalloc(nt), *fd = dalloc(nt), *act_in = dalloc(B * H);
        for (int i = 0; i < B; i++)
            labels[i] = test_rng_int(r, 0, C - 1);
        for (int i = 0; i < B * C; i++)
            T[i] = a.loss == CT_LOSS_SIGMOID_BCE ? (float)test_rng_int(r, 0, 1)
                                                  : (float)test_rng_uniform(r, -1.0, 1.0);
        engine_fd f = {{NULL, B}, P};
        ct_status st = ct_net_create(&f.e.net, NULL, &a, B, &(ct_optim_params){0}, msg);
        if (!EXPECT(st == CT_OK, "2-layer case %zu: %s", k, msg)) continue;
        /* draw until no activation input sits on a kink (relu, leaky, elu at 0) */
        int tries = 0, on_kink;
        size_t got;
        do {
            for (int i = 0; i < B * in; i++)
                X[i] = (float)test_rng_uniform(r, -1.0, 1.0);
            test_fill(r, P, nt, -0.8, 0.8);
            for (size_t j = 0; cfg[k].norm && j < (size_t)H; j++) {
                P[lay.g_off[0] + j] += 1.0; /* gamma near 1 */
                if (cfg[k].norm == CT_NORM_BATCH) P[lay.rv_off[0] + j] = 1.0;
            }
            st = ct_net_upload_arrays(f.e.net, CT_SLOT_TRAIN, B, X, labels, T);
            engine_fd_loss(&f);
            st = st ? st
                    : ct_net_read_tensor_f64(f.e.net, cfg[k].norm ? CT_T_NORM_OUT : CT_T_Z, 0,
                                             B, act_in, &got);
            on_kink = 0;
            for (int i = 0; i < B * H; i++)
                on_kink |= fabs(act_in[i]) < 1e-3;
        } while (st == CT_OK && on_kink && has_kink(a.act[0]) && ++tries < 100);
        if (st == CT_OK && (st = ct_net_set_params_f64(f.e.net, P)) == CT_OK &&
            (st = ct_net_pass(f.e.net, CT_SLOT_TRAIN, B, 1, 1)) == CT_OK)
            st = ct_net_read_tensor_f64(f.e.net, CT_T_GRADS, 0, B, grad, &got);
        if (!EXPECT(st == CT_OK, "2-layer case %zu: %s", k, ct_net_error(f.e.net))) {
            ct_net_destroy(f.e.net);
            continue;
        }
        fd_gradient(fd, P, np, engine_fd_loss, &f);
        snprintf(name, sizeof name, "2-layer engine %s/%s%s%s p=%.2f B=%d %d-%d-%d",
                 ct_loss_name(a.loss), ct_act_name(a.act[0]), cfg[k].norm ? "/norm " : "",
                 cfg[k].norm ? ct_norm_name(cfg[k].norm) : "", a.dropout[0], B, in, H, C);
        check_grad(G_CHAIN, name, grad, fd, np);
        /* and per tensor, so that a failure says which; each must carry a gradient, but the
         * bias before a batch norm, which has none */
        const char *blk[6] = {"W1", "W2", "b1", "b2", "gamma", "beta"};
        size_t off[6] = {lay.w_off[0], lay.w_off[1], lay.b_off[0],
                         lay.b_off[1], lay.g_off[0], lay.be_off[0]};
        size_t len[6] = {(size_t)H * in, (size_t)C * H, (size_t)H, (size_t)C, (size_t)H,
                         (size_t)H};
        for (int b = 0; b < (cfg[k].norm ? 6 : 4); b++) {
            double gmax = 0.0;
            for (size_t i = off[b]; i < off[b] + len[b]; i++)
                gmax = fmax(gmax, fabs(grad[i]));
            int zero = b == 2 && cfg[k].norm == CT_NORM_BATCH;
            EXPECT(zero ? gmax == 0.0 : gmax > 0.0, "2-layer case %zu: d%s is %s", k, blk[b],
                   zero ? "not 0 (a batch norm follows)" : "all zero");
        }
        ct_net_destroy(f.e.net);
        free(X), free(T), free(labels), free(P), free(grad), free(fd), free(act_in);
    }
}

/* ---- optimizers ----------------------------------------------------------------------- */

static ct_optim_params params(ct_optim kind, float lr) {
    ct_optim_params o;
    memset(&o, 0, sizeof o);
    o.kind = kind;
    o.lr = lr;
    o.momentum = 0.9f;
    o.beta1 = 0.9f;
    o.beta2 = 0.999f;
    o.rho = 0.99f;
    o.eps = 1e-8f;
    return o;
}

enum { NO = 9 };

/* Runs two ref steps from P0 with G1, G2 (M, V zero, or NaN where t = 1 must ignore them). */
static void run_two(const ct_optim_params *o, const double *P0, const double *G1, const double *G2,
                    double *P1, double *P2, int nan_m) {
    double P[NO], M[NO], V[NO];
    memcpy(P, P0, sizeof P);
    for (int i = 0; i < NO; i++)
        M[i] = nan_m ? NAN : 0.0, V[i] = 0.0;
    ref_optim_step(o, P, M, V, G1, ref_sum_squares(G1, NO), 1, NO);
    memcpy(P1, P, sizeof P);
    ref_optim_step(o, P, M, V, G2, ref_sum_squares(G2, NO), 2, NO);
    memcpy(P2, P, sizeof P);
}

static void check_two(const char *what, const double *P1, const double *P2, const double *W1,
                      const double *W2) {
    char name[128];
    snprintf(name, sizeof name, "%s t=1", what);
    expect_close(name, P1, W1, NO, 1e-15, 1e-12);
    snprintf(name, sizeof name, "%s t=2", what);
    expect_close(name, P2, W2, NO, 1e-15, 1e-12);
}

static void test_optim(test_rng *r) {
    double P0[NO], G1[NO], G2[NO], P1[NO], P2[NO], W1[NO], W2[NO];
    test_fill(r, P0, NO, -1.0, 1.0);
    /* |g| in [0.1, 1] with random signs, so that eps is negligible next to |g| */
    for (int i = 0; i < NO; i++) {
        G1[i] = test_rng_uniform(r, 0.1, 1.0) * (test_rng_int(r, 0, 1) ? 1 : -1);
        G2[i] = test_rng_uniform(r, 0.1, 1.0) * (test_rng_int(r, 0, 1) ? 1 : -1);
    }

    /* sgd, with and without coupled weight decay */
    for (int wdi = 0; wdi < 2; wdi++) {
        ct_optim_params o = params(CT_OPT_SGD, 0.1f);
        o.weight_decay = wdi ? 0.01f : 0.0f;
        double lr = o.lr, wd = o.weight_decay;
        run_two(&o, P0, G1, G2, P1, P2, 0);
        for (int i = 0; i < NO; i++) {
            W1[i] = P0[i] - lr * G1[i] - lr * wd * P0[i];
            W2[i] = W1[i] - lr * G2[i] - lr * wd * W1[i];
        }
        check_two(wdi ? "sgd wd" : "sgd", P1, P2, W1, W2);
    }

    /* momentum with dampening: the first buffer is g itself (PyTorch), not (1 - damp) g;
     * M's old contents are ignored at t = 1 (NaN there) */
    {
        ct_optim_params o = params(CT_OPT_MOMENTUM, 0.05f);
        o.dampening = 0.25f;
        double lr = o.lr, mu = o.momentum, damp = o.dampening;
        run_two(&o, P0, G1, G2, P1, P2, 1);
        for (int i = 0; i < NO; i++) {
            double buf1 = G1[i];
            W1[i] = P0[i] - lr * buf1;
            double buf2 = buf1 * mu + G2[i] * (1.0 - damp);
            W2[i] = W1[i] - lr * buf2;
        }
        check_two("momentum dampening 0.25", P1, P2, W1, W2);
        double dmax = 0.0;
        for (int i = 0; i < NO; i++)
            dmax = fmax(dmax, fabs((P0[i] - P1[i]) - lr * G1[i]));
        EXPECT(dmax < 1e-15, "momentum first step is not P -= lr g (off by %g)", dmax);
    }

    /* nesterov: P -= lr (g + mu buf) with the updated buf */
    {
        ct_optim_params o = params(CT_OPT_NESTEROV, 0.05f);
        double lr = o.lr, mu = o.momentum;
        run_two(&o, P0, G1, G2, P1, P2, 1);
        for (int i = 0; i < NO; i++) {
            W1[i] = P0[i] - lr * (1.0 + mu) * G1[i];
            double buf2 = mu * G1[i] + G2[i];
            W2[i] = W1[i] - lr * (G2[i] + mu * buf2);
        }
        check_two("nesterov", P1, P2, W1, W2);
    }

    /* rmsprop from v = 0 */
    {
        ct_optim_params o = params(CT_OPT_RMSPROP, 0.01f);
        o.rho = 0.9f;
        double lr = o.lr, rho = o.rho, eps = o.eps;
        run_two(&o, P0, G1, G2, P1, P2, 0);
        for (int i = 0; i < NO; i++) {
            double v1 = (1.0 - rho) * G1[i] * G1[i];
            W1[i] = P0[i] - lr * G1[i] / (sqrt(v1) + eps);
            double v2 = rho * v1 + (1.0 - rho) * G2[i] * G2[i];
            W2[i] = W1[i] - lr * G2[i] / (sqrt(v2) + eps);
        }
        check_two("rmsprop", P1, P2, W1, W2);
    }

    /* adam, adam with coupled wd, adamw: written with bias-corrected m_hat and v_hat */
    for (int variant = 0; variant < 3; variant++) {
        ct_optim_params o = params(variant == 2 ? CT_OPT_ADAMW : CT_OPT_ADAM, 0.001f);
        o.weight_decay = variant ? 0.1f : 0.0f;
        double lr = o.lr, b1 = o.beta1, b2 = o.beta2, eps = o.eps, wd = o.weight_decay;
        int decoupled = variant == 2;
        run_two(&o, P0, G1, G2, P1, P2, 0);
        for (int i = 0; i < NO; i++) {
            double p = P0[i];
            double g = G1[i] + (decoupled ? 0.0 : wd * p);
            if (decoupled) p -= lr * wd * p;
            double m = (1.0 - b1) * g, v = (1.0 - b2) * g * g;
            double mhat = m / (1.0 - b1), vhat = v / (1.0 - b2);
            W1[i] = p - lr * mhat / (sqrt(vhat) + eps);
            p = W1[i];
            g = G2[i] + (decoupled ? 0.0 : wd * p);
            if (decoupled) p -= lr * wd * p;
            m = b1 * m + (1.0 - b1) * g;
            v = b2 * v + (1.0 - b2) * g * g;
            mhat = m / (1.0 - b1 * b1), vhat = v / (1.0 - b2 * b2);
            W2[i] = p - lr * mhat / (sqrt(vhat) + eps);
        }
        check_two(variant == 0   ? "adam"
                  : variant == 1 ? "adam coupled wd"
                                 : "adamw",
                  P1, P2, W1, W2);
    }

    /* Adam's first step moves each parameter by lr against the sign of g */
    {
        ct_optim_params o = params(CT_OPT_ADAM, 0.003f);
        double lr = o.lr, worst = 0.0;
        int sign_ok = 1;
        run_two(&o, P0, G1, G2, P1, P2, 0);
        for (int i = 0; i < NO; i++) {
            double dp = P1[i] - P0[i];
            worst = fmax(worst, fabs(fabs(dp) - lr) / lr);
            sign_ok &= (dp < 0) == (G1[i] > 0);
        }
        EXPECT(worst <= 1e-6, "adam t=1: |dp| deviates from lr by %.3g relative", worst);
        EXPECT(sign_ok, "adam t=1 moved a parameter along its gradient");
    }

    /* clipping: g = G * min(1, c / (||G|| + 1e-6)); the decay term is added after clipping */
    {
        double norm = sqrt(ref_sum_squares(G1, NO));
        for (int ci = 0; ci < 3; ci++) {
            ct_optim_params o = params(CT_OPT_SGD, 0.1f);
            o.clip_norm = (float)(ci == 1 ? 2.0 * norm : 0.5 * norm);
            o.weight_decay = ci == 2 ? 0.05f : 0.0f;
            double lr = o.lr, wd = o.weight_decay;
            double s = ci == 1 ? 1.0 : (double)o.clip_norm / (norm + 1e-6);
            double P[NO], M[NO], V[NO];
            memcpy(P, P0, sizeof P);
            ref_optim_step(&o, P, M, V, G1, norm * norm, 1, NO);
            for (int i = 0; i < NO; i++)
                W1[i] = P0[i] - lr * (s * G1[i] + wd * P0[i]);
            expect_close(ci == 0   ? "clip active"
                         : ci == 1 ? "clip inactive (norm below clip_norm)"
                                   : "clip active, then coupled wd",
                         P, W1, NO, 1e-15, 1e-12);
        }
        /* adamw with clip: after the decay, the t = 1 step is lr * g / (|g| + eps) with the
         * clipped g = s G (m_hat = g, v_hat = g^2) */
        ct_optim_params o = params(CT_OPT_ADAMW, 0.01f);
        o.clip_norm = (float)(0.1 * norm);
        o.weight_decay = 0.5f;
        double P[NO], M[NO] = {0}, V[NO] = {0};
        memcpy(P, P0, sizeof P);
        ref_optim_step(&o, P, M, V, G1, norm * norm, 1, NO);
        double s = (double)o.clip_norm / (norm + 1e-6);
        for (int i = 0; i < NO; i++) {
            double lr = o.lr, decayed = P0[i] * (1.0 - lr * (double)o.weight_decay);
            double g = s * G1[i];
            W1[i] = decayed - lr * g / (fabs(g) + (double)o.eps);
        }
        expect_close("adamw clipped first step", P, W1, NO, 1e-15, 1e-12);
    }
}

/* ---- small helpers -------------------------------------------------------------------- */

static void test_helpers(test_rng *r) {
    enum { B = 6, F = 5, N = 11 };
    double x[N];
    test_fill(r, x, N, -2.0, 2.0);
    double s = 0.0, s2 = 0.0;
    for (int i = N - 1; i >= 0; i--)
        s += x[i], s2 += x[i] * x[i];
    expect_near("ref_sum", ref_sum(x, N), s, 1e-14, 1e-14);
    expect_near("ref_sum_squares", ref_sum_squares(x, N), s2, 1e-14, 1e-14);

    double src[N * F], out[B * F], want[B * F];
    int idx[B] = {10, 0, 3, 3, 7, 1};
    test_fill(r, src, N * F, -1.0, 1.0);
    for (int i = 0; i < B; i++)
        for (int f = 0; f < F; f++)
            want[i * F + f] = src[idx[i] * F + f];
    ref_gather_rows(out, src, idx, B, F);
    expect_close("ref_gather_rows", out, want, B * F, 0.0, 0.0);

    /* argmax: first maximum wins ties */
    double Z[4 * 3] = {0.1, 0.5, 0.2, 1.0, 1.0, 0.0, -3, -2, -1, 2, 2, 2};
    int lab_ok[4] = {1, 0, 2, 0}, lab_bad[4] = {0, 1, 1, 2};
    EXPECT(ref_argmax_correct(Z, lab_ok, 4, 3) == 4, "argmax_correct = %d, want 4",
           ref_argmax_correct(Z, lab_ok, 4, 3));
    EXPECT(ref_argmax_correct(Z, lab_bad, 4, 3) == 0, "argmax_correct = %d, want 0",
           ref_argmax_correct(Z, lab_bad, 4, 3));

    double Zb[6] = {0.5, -0.5, 0.0, 2.0, -1e-9, 1e-9}, Tb[6] = {1, 0, 0, 0, 1, 0.6};
    /* agree: yes, yes, yes (0 is not > 0; 0 not > 0.5), no, no, yes */
    EXPECT(ref_binary_correct(Zb, Tb, 6) == 4, "binary_correct = %d, want 4",
           ref_binary_correct(Zb, Tb, 6));
}

int main(void) {
    test_rng r = test_rng_make(test_seed(20240601));
    test_activations(&r);
    test_losses(&r);
    test_gemm(&r);
    test_dense(&r);
    test_bias(&r);
    test_norm(&r);
    test_dropout(&r);
    test_chain(&r);
    test_optim(&r);
    test_helpers(&r);
    printf("largest FD error (relative; entries under 1%% of the largest measured against 1%%):\n");
    for (int g = 0; g < G_COUNT; g++)
        printf("  %-14s %.2e\n", group_name[g], group_err[g]);
    return test_summary("test_ref_grad");
}
