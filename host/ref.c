/* The scalar reference of every op: plain loops in double precision, written to be read.
 * Each function restates its formula; ops.h holds the contract (shapes, conventions). */
#include "ref.h"

#include <math.h>
#include <stddef.h>

#include "rng.h"

/* The kernels' denormal rule (kernels/common.cl, ct_fz): a value they store below FLT_MIN in
 * magnitude is +0. The reference computes in double, where such values are normal, and flushes
 * what it stores the same way, in the ops whose kernels follow the rule. */
static double ref_fz(double x) { return fabs(x) < 0x1p-126 ? 0.0 : x; }

/* ---- matrix products ------------------------------------------------------------------ */

/* C[i][j] = alpha * sum_k op(A)[i][k] * op(B)[k][j] + beta * C[i][j]; beta == 0 ignores C. */
void ref_gemm(double *C, int ldc, const double *A, int lda, const double *B, int ldb, int M, int N,
              int K, int transA, int transB, double alpha, double beta) {
    for (int i = 0; i < M; i++) {
        for (int j = 0; j < N; j++) {
            double sum = 0.0;
            for (int k = 0; k < K; k++) {
                double a = transA ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k];
                double b = transB ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j];
                sum += a * b;
            }
            double *c = &C[(size_t)i * ldc + j];
            *c = alpha * sum + (beta == 0.0 ? 0.0 : beta * *c);
        }
    }
}

/* Y[b][o] = sum_i X[b][i] * W[o][i] */
void ref_dense_forward(double *Y, const double *X, const double *W, int B, int in, int out) {
    for (int b = 0; b < B; b++) {
        for (int o = 0; o < out; o++) {
            double sum = 0.0;
            for (int i = 0; i < in; i++)
                sum += X[(size_t)b * in + i] * W[(size_t)o * in + i];
            Y[(size_t)b * out + o] = sum;
        }
    }
}

/* dW[o][i] = sum_b dY[b][o] * X[b][i] + beta * dW[o][i]; beta == 0 ignores dW. */
void ref_dense_backward_weight(double *dW, const double *dY, const double *X, int B, int in,
                               int out, double beta) {
    for (int o = 0; o < out; o++) {
        for (int i = 0; i < in; i++) {
            double sum = 0.0;
            for (int b = 0; b < B; b++)
                sum += dY[(size_t)b * out + o] * X[(size_t)b * in + i];
            double *w = &dW[(size_t)o * in + i];
            *w = sum + (beta == 0.0 ? 0.0 : beta * *w);
        }
    }
}

/* dX[b][i] = sum_o dY[b][o] * W[o][i] */
void ref_dense_backward_input(double *dX, const double *dY, const double *W, int B, int in,
                              int out) {
    for (int b = 0; b < B; b++) {
        for (int i = 0; i < in; i++) {
            double sum = 0.0;
            for (int o = 0; o < out; o++)
                sum += dY[(size_t)b * out + o] * W[(size_t)o * in + i];
            dX[(size_t)b * in + i] = sum;
        }
    }
}

/* ---- bias and activations ------------------------------------------------------------- */

/* sigmoid(z) = 1 / (1 + exp(-z)), evaluated so that exp never overflows */
static double ref_sigmoid(double z) {
    if (z >= 0.0) return 1.0 / (1.0 + exp(-z));
    double e = exp(z);
    return e / (1.0 + e);
}

/* The constants of the tanh-approximated GELU: sqrt(2/pi) and 0.044715. */
#define REF_GELU_C 0.7978845608028654
#define REF_GELU_K 0.044715

/* identity z; relu max(z,0); leaky z>0 ? z : alpha z; elu z>0 ? z : alpha expm1(z);
 * sigmoid 1/(1+e^-z); tanh; gelu 0.5 z (1 + tanh(c (z + k z^3))); silu z sigmoid(z) */
double ref_act(ct_act act, double alpha, double z) {
    switch (act) {
    case CT_ACT_IDENTITY: return z;
    case CT_ACT_RELU: return z > 0.0 ? z : 0.0;
    case CT_ACT_LEAKY_RELU: return z > 0.0 ? z : alpha * z;
    case CT_ACT_ELU: return z > 0.0 ? z : alpha * expm1(z);
    case CT_ACT_SIGMOID: return ref_sigmoid(z);
    case CT_ACT_TANH: return tanh(z);
    case CT_ACT_GELU: return 0.5 * z * (1.0 + tanh(REF_GELU_C * (z + REF_GELU_K * z * z * z)));
    case CT_ACT_SILU: return z * ref_sigmoid(z);
    case CT_ACT_COUNT: break;
    }
    return NAN;
}

/* identity 1; relu z>0 ? 1 : 0; leaky z>0 ? 1 : alpha; elu z>0 ? 1 : alpha e^z;
 * sigmoid s (1 - s); tanh 1 - t^2;
 * gelu 0.5 (1 + t) + 0.5 z (1 - t^2) c (1 + 3 k z^2), t = tanh(c (z + k z^3));
 * silu s + z s (1 - s), s = sigmoid(z) */
double ref_act_grad(ct_act act, double alpha, double z) {
    switch (act) {
    case CT_ACT_IDENTITY: return 1.0;
    case CT_ACT_RELU: return z > 0.0 ? 1.0 : 0.0;
    case CT_ACT_LEAKY_RELU: return z > 0.0 ? 1.0 : alpha;
    case CT_ACT_ELU: return z > 0.0 ? 1.0 : alpha * exp(z);
    case CT_ACT_SIGMOID: {
        double s = ref_sigmoid(z);
        return s * (1.0 - s);
    }
    case CT_ACT_TANH: {
        double t = tanh(z);
        return 1.0 - t * t;
    }
    case CT_ACT_GELU: {
        double t = tanh(REF_GELU_C * (z + REF_GELU_K * z * z * z));
        return 0.5 * (1.0 + t) +
               0.5 * z * (1.0 - t * t) * REF_GELU_C * (1.0 + 3.0 * REF_GELU_K * z * z);
    }
    case CT_ACT_SILU: {
        double s = ref_sigmoid(z);
        return s + z * s * (1.0 - s);
    }
    case CT_ACT_COUNT: break;
    }
    return NAN;
}

/* Z[b][j] = Y[b][j] + bias[j]; A[b][j] = f(Z[b][j]). Z may be Y. */
void ref_bias_act_forward(double *A, double *Z, const double *Y, const double *b, ct_act act,
                          double alpha, int B, int N) {
    for (int r = 0; r < B; r++) {
        for (int j = 0; j < N; j++) {
            size_t e = (size_t)r * N + j;
            double z = Y[e] + b[j];
            Z[e] = z;
            A[e] = ref_act(act, alpha, z);
        }
    }
}

/* A[e] = f(Z[e]) */
void ref_act_forward(double *A, const double *Z, ct_act act, double alpha, int n) {
    for (int e = 0; e < n; e++)
        A[e] = ref_act(act, alpha, Z[e]);
}

/* dZ[e] = dA[e] * f'(Z[e]); dZ may be dA */
void ref_act_backward(double *dZ, const double *dA, const double *Z, ct_act act, double alpha,
                      int n) {
    for (int e = 0; e < n; e++)
        dZ[e] = dA[e] * ref_act_grad(act, alpha, Z[e]);
}

/* db[j] = beta * db[j] + sum_b dZ[b][j], rows in order; beta == 0 ignores db. */
void ref_bias_backward(double *db, const double *dZ, int B, int N, double beta) {
    for (int j = 0; j < N; j++) {
        double sum = 0.0;
        for (int r = 0; r < B; r++)
            sum += dZ[(size_t)r * N + j];
        db[j] = sum + (beta == 0.0 ? 0.0 : beta * db[j]);
    }
}

/* ---- losses --------------------------------------------------------------------------- */

/* softmax_ce, one row: loss = logsumexp(z) - z[y] with max subtraction;
 * dz = (softmax(z) - onehot(y)) * scale when dz is not NULL. */
static double ref_softmax_ce_row(double *dz, const double *z, int y, int C, double scale) {
    double zmax = z[0];
    for (int c = 1; c < C; c++)
        zmax = z[c] > zmax ? z[c] : zmax;
    double sum = 0.0;
    for (int c = 0; c < C; c++)
        sum += exp(z[c] - zmax);
    double lse = zmax + log(sum);
    if (dz) {
        for (int c = 0; c < C; c++) {
            double p = exp(z[c] - lse);
            dz[c] = (p - (c == y ? 1.0 : 0.0)) * scale;
        }
    }
    return lse - z[y];
}

/* One element of the element-wise losses (d = z - t):
 *   bce:   l = max(z,0) - z t + log1p(exp(-|z|)),  dl/dz = sigmoid(z) - t
 *   mse:   l = d^2,                                 dl/dz = 2 d
 *   huber: l = |d| <= delta ? 0.5 d^2 : delta (|d| - 0.5 delta),
 *                                                   dl/dz = clamp(d, -delta, delta) */
static double ref_elem_loss(ct_loss kind, double *grad, double z, double t, double delta) {
    double d = z - t;
    switch (kind) {
    case CT_LOSS_SIGMOID_BCE:
        *grad = ref_sigmoid(z) - t;
        return (z > 0.0 ? z : 0.0) - z * t + log1p(exp(-fabs(z)));
    case CT_LOSS_MSE: *grad = 2.0 * d; return d * d;
    case CT_LOSS_HUBER:
        *grad = d < -delta ? -delta : (d > delta ? delta : d);
        return fabs(d) <= delta ? 0.5 * d * d : delta * (fabs(d) - 0.5 * delta);
    case CT_LOSS_AUTO:
    case CT_LOSS_SOFTMAX_CE:
    case CT_LOSS_COUNT: break;
    }
    *grad = NAN;
    return NAN;
}

/* mean loss = sum_i rowloss[i] / count (count = B for softmax_ce, B*C otherwise);
 * dZ = d(mean loss)/dZ. Rows are summed in order i = 0..B-1. */
double ref_loss(ct_loss kind, double *dZ, double *rowloss, const double *Z, const int *labels,
                const double *targets, int B, int C, double delta) {
    return ref_loss_part(kind, dZ, rowloss, Z, labels, targets, B, C, delta, B);
}

/* B rows of a batch of B_total: count = B_total (B_total * C), so parts sum to the whole. */
double ref_loss_part(ct_loss kind, double *dZ, double *rowloss, const double *Z, const int *labels,
                     const double *targets, int B, int C, double delta, int B_total) {
    double count = kind == CT_LOSS_SOFTMAX_CE ? (double)B_total : (double)B_total * C;
    double total = 0.0;
    for (int r = 0; r < B; r++) {
        const double *z = Z + (size_t)r * C;
        double *dz = dZ ? dZ + (size_t)r * C : NULL;
        double row = 0.0;
        if (kind == CT_LOSS_SOFTMAX_CE) {
            row = ref_softmax_ce_row(dz, z, labels[r], C, 1.0 / count);
        } else {
            const double *t = targets + (size_t)r * C;
            for (int c = 0; c < C; c++) {
                double g;
                row += ref_elem_loss(kind, &g, z[c], t[c], delta);
                if (dz) dz[c] = g / count;
            }
        }
        if (rowloss) rowloss[r] = row;
        total += row;
    }
    return total / count;
}

/* ---- dropout -------------------------------------------------------------------------- */

/* keep = u(seed, step, layer, e) >= p, compared as floats, u from host/rng.h */
int ref_dropout_keep(float p, uint64_t seed, uint64_t step, uint32_t layer, uint32_t e) {
    uint32_t k0, k1;
    ct_dropout_keys(seed, step, layer, &k0, &k1);
    return ct_dropout_uniform(k0, k1, e) >= p;
}

/* out[e] = keep(e) ? in[e] / (1 - p) : 0. p == 0 keeps every element (u >= 0) and copies. */
static void ref_dropout_apply(double *out, const double *in, float p, uint64_t seed, uint64_t step,
                              uint32_t layer, int n, uint32_t e0) {
    double scale = 1.0 / (1.0 - (double)p);
    for (int e = 0; e < n; e++)
        out[e] = ref_dropout_keep(p, seed, step, layer, e0 + (uint32_t)e) ? in[e] * scale : 0.0;
}

/* Y = X * keep / (1 - p) */
void ref_dropout_forward(double *Y, const double *X, float p, uint64_t seed, uint64_t step,
                         uint32_t layer, int n) {
    ref_dropout_apply(Y, X, p, seed, step, layer, n, 0);
}

/* dX = dY * keep / (1 - p), the same mask as forward */
void ref_dropout_backward(double *dX, const double *dY, float p, uint64_t seed, uint64_t step,
                          uint32_t layer, int n) {
    ref_dropout_apply(dX, dY, p, seed, step, layer, n, 0);
}

void ref_dropout_forward_at(double *Y, const double *X, float p, uint64_t seed, uint64_t step,
                            uint32_t layer, int n, uint32_t e0) {
    ref_dropout_apply(Y, X, p, seed, step, layer, n, e0);
}

void ref_dropout_backward_at(double *dX, const double *dY, float p, uint64_t seed, uint64_t step,
                             uint32_t layer, int n, uint32_t e0) {
    ref_dropout_apply(dX, dY, p, seed, step, layer, n, e0);
}

/* ---- optimizers ----------------------------------------------------------------------- */

/* Per element, g = clip * G[i] (+ wd P[i] unless adamw; adamw first does P *= 1 - lr wd), then
 *   sgd:      P -= lr g
 *   momentum: m = t==1 ? g : mu m + (1 - dampening) g;   P -= lr m
 *   nesterov: m as momentum;                               P -= lr (g + mu m)
 *   rmsprop:  v = rho v + (1 - rho) g^2;                   P -= lr g / (sqrt(v) + eps)
 *   adam(w):  m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 *             P -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * clip = min(1, clip_norm / (sqrt(gnorm_sq) + 1e-6)) when clip_norm > 0, else 1. */
void ref_optim_step(const ct_optim_params *o, double *P, double *M, double *V, const double *G,
                    double gnorm_sq, long long t, int n) {
    double lr = o->lr, mu = o->momentum, damp = o->dampening;
    double b1 = o->beta1, b2 = o->beta2, rho = o->rho, eps = o->eps, wd = o->weight_decay;
    double clip = 1.0;
    if (o->clip_norm > 0.0f) {
        double c = (double)o->clip_norm / (sqrt(gnorm_sq) + 1e-6);
        clip = c < 1.0 ? c : 1.0;
    }
    double bc1 = 1.0 - pow(b1, (double)t); /* Adam's bias corrections */
    double bc2 = 1.0 - pow(b2, (double)t);
    const double m_floor = ct_adam_m_floor((float)(lr / bc1)); /* Adam's, as the host passes it */

    for (int i = 0; i < n; i++) {
        double g = clip * G[i];
        if (ct_optim_flags(o->kind) & CT_OPTF_DECOUPLED)
            P[i] *= 1.0 - lr * wd;
        else
            g += wd * P[i];

        switch (o->kind) {
        case CT_OPT_SGD: P[i] -= lr * g; break;
        case CT_OPT_MOMENTUM:
        case CT_OPT_NESTEROV:
            M[i] = ref_fz(t == 1 ? g : mu * M[i] + (1.0 - damp) * g);
            P[i] -= lr * (o->kind == CT_OPT_NESTEROV ? g + mu * M[i] : M[i]);
            break;
        case CT_OPT_RMSPROP:
            V[i] = ref_fz(rho * V[i] + (1.0 - rho) * g * g);
            P[i] -= lr * g / (sqrt(V[i]) + eps);
            break;
        case CT_OPT_ADAM:
        case CT_OPT_ADAMW: { /* stored as 0 below the kernel's floors (kernels/optim.cl) */
            double m = b1 * M[i] + (1.0 - b1) * g, v = b2 * V[i] + (1.0 - b2) * g * g;
            M[i] = fabs(m) < m_floor ? 0.0 : m;
            V[i] = v < 0x1p-100 ? 0.0 : v;
            P[i] -= lr / bc1 * M[i] / (sqrt(V[i]) / sqrt(bc2) + eps);
            break;
        }
        case CT_OPT_LION: {
            double c = b1 * M[i] + (1.0 - b1) * g;
            P[i] -= lr * (c > 0.0 ? 1.0 : c < 0.0 ? -1.0 : 0.0);
            M[i] = ref_fz(b2 * M[i] + (1.0 - b2) * g);
            break;
        }
        case CT_OPT_COUNT: P[i] = NAN; break;
        }
        P[i] = ref_fz(P[i]);
    }
}

/* ---- helpers -------------------------------------------------------------------------- */

/* sum_i x[i]^2, in order */
double ref_sum_squares(const double *x, int n) {
    double sum = 0.0;
    for (int i = 0; i < n; i++)
        sum += x[i] * x[i];
    return sum;
}

/* sum_i x[i], in order */
double ref_sum(const double *x, int n) {
    double sum = 0.0;
    for (int i = 0; i < n; i++)
        sum += x[i];
    return sum;
}

/* out[i][f] = src[idx[i]][f] */
void ref_gather_rows(double *out, const double *src, const int *idx, int B, int F) {
    for (int i = 0; i < B; i++)
        for (int f = 0; f < F; f++)
            out[(size_t)i * F + f] = src[(size_t)idx[i] * F + f];
}

/* count of rows i with argmax_c Z[i][c] == labels[i]; the first maximum wins ties */
int ref_argmax_correct(const double *Z, const int *labels, int B, int C) {
    int count = 0;
    for (int i = 0; i < B; i++) {
        const double *z = Z + (size_t)i * C;
        int best = 0;
        for (int c = 1; c < C; c++)
            if (z[c] > z[best]) best = c;
        count += best == labels[i];
    }
    return count;
}

/* count of elements with (Z > 0) == (T > 0.5) */
int ref_binary_correct(const double *Z, const double *T, int n) {
    int count = 0;
    for (int i = 0; i < n; i++)
        count += (Z[i] > 0.0) == (T[i] > 0.5);
    return count;
}

double ref_abs_error(const double *Z, const double *T, int B, int C, int B_total) {
    double total = 0.0;
    for (size_t e = 0; e < (size_t)B * C; e++)
        total += fabs(Z[e] - T[e]);
    return total / ((double)B_total * C);
}

/* rows[i] = perm(start + i): the Feistel permutation of rng.h, or the identity */
void ref_epoch_rows(int *rows, int B, int start, int n, int shuffle, uint64_t seed,
                    uint64_t epoch) {
    uint32_t k0, k1;
    ct_perm_keys(seed, epoch, &k0, &k1);
    uint32_t h = ct_perm_bits((uint32_t)n);
    for (int i = 0; i < B; i++) {
        uint32_t j = (uint32_t)(start + i);
        rows[i] = shuffle ? (int)ct_perm_index(j, (uint32_t)n, h, k0, k1) : (int)j;
    }
}

/* y = y + a x */
void ref_axpy(double *y, const double *x, double a, int n) {
    for (int i = 0; i < n; i++)
        y[i] += a * x[i];
}

/* count of columns j with A[i][j] <= 0 for every row i: units that never fire */
int ref_dead_units(const double *A, int B, int N) {
    int count = 0;
    for (int j = 0; j < N; j++) {
        int dead = 1;
        for (int i = 0; i < B && dead; i++)
            dead = A[(size_t)i * N + j] <= 0.0;
        count += dead;
    }
    return count;
}

/* ---- normalization ----------------------------------------------------------------------- */

void ref_bn_moment(double *out, const double *Z, const double *mean, int B, int N, int centered,
                   double scale) {
    for (int j = 0; j < N; j++) {
        double s = 0;
        for (int i = 0; i < B; i++) {
            double z = Z[(size_t)i * N + j];
            s += centered ? (z - mean[j]) * (z - mean[j]) : z;
        }
        out[j] = ref_fz(scale * s);
    }
}

void ref_ln_stats(double *mean, double *var, const double *Z, int B, int N) {
    for (int i = 0; i < B; i++) {
        const double *z = Z + (size_t)i * N;
        double m = 0, v = 0;
        for (int j = 0; j < N; j++)
            m += z[j];
        m /= N;
        for (int j = 0; j < N; j++)
            v += (z[j] - m) * (z[j] - m);
        mean[i] = ref_fz(m);
        var[i] = ref_fz(v / N);
    }
}

/* the statistics' index of element (i, j) */
static int stat_at(int i, int j, int per_row) { return per_row ? i : j; }

void ref_norm_apply(double *Y, double *A, const double *Z, const double *mean, const double *var,
                    const double *gamma, const double *beta, double eps, ct_act act, double alpha,
                    int B, int N, int per_row) {
    for (int i = 0; i < B; i++)
        for (int j = 0; j < N; j++) {
            size_t k = (size_t)i * N + j;
            int s = stat_at(i, j, per_row);
            double xhat = (Z[k] - mean[s]) / sqrt(var[s] + eps);
            Y[k] = ref_fz(gamma[j] * xhat + beta[j]);
            if (A) A[k] = ref_act(act, alpha, Y[k]);
        }
}

void ref_norm_param_grads(double *dgamma, double *dbeta, const double *dA, const double *Y,
                          const double *Z, const double *mean, const double *var, double eps,
                          ct_act act, double alpha, int B, int N, int per_row) {
    for (int j = 0; j < N; j++) {
        double sg = 0, sb = 0;
        for (int i = 0; i < B; i++) {
            size_t k = (size_t)i * N + j;
            int s = stat_at(i, j, per_row);
            double g = dA[k] * ref_act_grad(act, alpha, Y[k]);
            sg += g * (Z[k] - mean[s]) / sqrt(var[s] + eps);
            sb += g;
        }
        dgamma[j] = ref_fz(sg);
        dbeta[j] = ref_fz(sb);
    }
}

void ref_bn_backward_input(double *dZ, const double *dA, const double *Y, const double *Z,
                           const double *mean, const double *var, const double *gamma,
                           const double *dgamma, const double *dbeta, double eps, ct_act act,
                           double alpha, int M, int B, int N) {
    for (int i = 0; i < B; i++)
        for (int j = 0; j < N; j++) {
            size_t k = (size_t)i * N + j;
            double rstd = 1 / sqrt(var[j] + eps), g = dA[k] * ref_act_grad(act, alpha, Y[k]);
            double d = g;
            if (M > 0) d -= (dbeta[j] + (Z[k] - mean[j]) * rstd * dgamma[j]) / M;
            dZ[k] = ref_fz(gamma[j] * rstd * d);
        }
}

void ref_ln_backward_input(double *dZ, const double *dA, const double *Y, const double *Z,
                           const double *mean, const double *var, const double *gamma, double eps,
                           ct_act act, double alpha, int B, int N) {
    for (int i = 0; i < B; i++) {
        size_t r = (size_t)i * N;
        double rstd = 1 / sqrt(var[i] + eps), c1 = 0, c2 = 0;
        for (int j = 0; j < N; j++) {
            double h = gamma[j] * dA[r + j] * ref_act_grad(act, alpha, Y[r + j]);
            c1 += h;
            c2 += h * (Z[r + j] - mean[i]) * rstd;
        }
        c1 /= N;
        c2 /= N;
        for (int j = 0; j < N; j++) {
            double h = gamma[j] * dA[r + j] * ref_act_grad(act, alpha, Y[r + j]);
            dZ[r + j] = ref_fz(rstd * (h - c1 - (Z[r + j] - mean[i]) * rstd * c2));
        }
    }
}

void ref_bn_running(double *rm, double *rv, const double *mean, const double *var,
                    double momentum, int M, int N) {
    double unbias = M > 1 ? (double)M / (M - 1) : 1;
    for (int j = 0; j < N; j++) {
        rm[j] = ref_fz((1 - momentum) * rm[j] + momentum * mean[j]);
        rv[j] = ref_fz((1 - momentum) * rv[j] + momentum * var[j] * unbias);
    }
}
