/* explain's numbers against answers worked out by hand in this file (the chain rule written
 * out per network), on the device and on the reference; and the CLI's --json carrying them.
 * usage: test_explain path/to/cltrain */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "device_util.h"
#include "explain.h"
#include "json.h"
#include "util.h"

static double sig(double z) { return 1 / (1 + exp(-z)); }

/* Expected values of one network, written as flat arrays in the pass's layout. */
typedef struct {
    double loss;
    double z[3][8], a[3][8], delta[3][8];
    double grad[64];
    double params_after[64];
} expected;

static void check_pass(const char *name, const ct_pass *p, const expected *e, int stepped,
                       double tol) {
    const ct_arch *a = &p->arch;
    char what[128];
    EXPECT(fabs(p->loss - e->loss) <= tol * fmax(1, fabs(e->loss)), "%s: loss %.9g, expected %.9g",
           name, p->loss, e->loss);
    for (int l = 0; l < a->n_layers; l++) {
        int n = p->B * a->sizes[l + 1];
        snprintf(what, sizeof what, "%s layer %d z", name, l);
        expect_close(what, p->z[l], e->z[l], (size_t)n, tol, tol);
        snprintf(what, sizeof what, "%s layer %d a", name, l);
        expect_close(what, p->a[l], e->a[l], (size_t)n, tol, tol);
        snprintf(what, sizeof what, "%s layer %d delta", name, l);
        expect_close(what, p->delta[l], e->delta[l], (size_t)n, tol, tol);
    }
    snprintf(what, sizeof what, "%s gradients", name);
    expect_close(what, p->grad, e->grad, p->lay.n_params, tol, tol);
    if (stepped) {
        snprintf(what, sizeof what, "%s parameters after the step", name);
        expect_close(what, p->params, e->params_after, p->lay.n_params, tol, tol);
    }
}

/* Runs the pass on the reference (tight) and the device (float) and checks both. */
static void run_both(ct_device *dev, const char *name, const ct_arch *a, const float *params,
                     const float *X, const int *labels, const float *T, int B,
                     const ct_optim_params *step, const expected *e) {
    char msg[CT_MSG_LEN];
    ct_pass p;
    ct_status st = ct_pass_run(NULL, a, params, X, labels, T, B, step, &p, msg);
    EXPECT(st == CT_OK, "%s reference: %s", name, msg);
    if (st == CT_OK) {
        char n2[96];
        snprintf(n2, sizeof n2, "%s (reference)", name);
        check_pass(n2, &p, e, step != NULL, 1e-12);
        ct_pass_free(&p);
    }
    st = ct_pass_run(dev, a, params, X, labels, T, B, step, &p, msg);
    EXPECT(st == CT_OK, "%s device: %s", name, msg);
    if (st == CT_OK) {
        char n2[96];
        snprintf(n2, sizeof n2, "%s (device)", name);
        check_pass(n2, &p, e, step != NULL, 2e-6);
        ct_pass_free(&p);
    }
    printf("checked %s\n", name);
}

static ct_arch arch2(int in, int hidden, int out, ct_act act, ct_loss loss) {
    ct_arch a;
    memset(&a, 0, sizeof a);
    a.n_layers = 2;
    a.sizes[0] = in;
    a.sizes[1] = hidden;
    a.sizes[2] = out;
    a.act[0] = act;
    a.loss = loss;
    a.huber_delta = 1;
    return a;
}

/* Case 1: 2-2-1, ReLU then sigmoid + BCE, one row. Layout: W1 (2x2), W2 (1x2), b1 (2), b2 (1). */
static void case_221(ct_device *dev) {
    const float P[9] = {0.5f,  -0.3f,          0.2f,  0.8f,         /* W1 */ 0.7f,
                        -0.5f, /* W2 */ 0.15f, -0.1f, /* b1 */ 0.2f};
    const float X[2] = {1, 2};
    const float T[1] = {1};
    ct_arch a = arch2(2, 2, 1, CT_ACT_RELU, CT_LOSS_SIGMOID_BCE);
    expected e;
    memset(&e, 0, sizeof e);
    double w1[4] = {P[0], P[1], P[2], P[3]}, w2[2] = {P[4], P[5]}, b1[2] = {P[6], P[7]}, b2 = P[8];
    /* forward */
    e.z[0][0] = w1[0] * 1 + w1[1] * 2 + b1[0]; /* 0.5 - 0.6 + 0.15 = 0.05 */
    e.z[0][1] = w1[2] * 1 + w1[3] * 2 + b1[1]; /* 0.2 + 1.6 - 0.1 = 1.7 */
    e.a[0][0] = e.z[0][0] > 0 ? e.z[0][0] : 0;
    e.a[0][1] = e.z[0][1] > 0 ? e.z[0][1] : 0;
    e.z[1][0] = w2[0] * e.a[0][0] + w2[1] * e.a[0][1] + b2;
    double p = sig(e.z[1][0]);
    e.a[1][0] = p;
    e.loss = -log(p); /* target 1 */
    /* backward: dL/dz2 = p - t; dL/da1 = dz2 * w2; dz1 = da1 * relu'(z1) */
    e.delta[1][0] = p - 1;
    e.delta[0][0] = e.delta[1][0] * w2[0] * (e.z[0][0] > 0);
    e.delta[0][1] = e.delta[1][0] * w2[1] * (e.z[0][1] > 0);
    e.grad[0] = e.delta[0][0] * X[0];
    e.grad[1] = e.delta[0][0] * X[1];
    e.grad[2] = e.delta[0][1] * X[0];
    e.grad[3] = e.delta[0][1] * X[1];
    e.grad[4] = e.delta[1][0] * e.a[0][0];
    e.grad[5] = e.delta[1][0] * e.a[0][1];
    e.grad[6] = e.delta[0][0];
    e.grad[7] = e.delta[0][1];
    e.grad[8] = e.delta[1][0];
    run_both(dev, "2-2-1 relu/sigmoid bce", &a, P, X, NULL, T, 1, NULL, &e);
}

/* Case 2: 1-1-1, sigmoid then linear + MSE, one SGD step with lr 0.1. */
static void case_111(ct_device *dev) {
    const float P[4] = {0.5f, -0.3f, 0.1f, 0.2f}; /* w1, w2, b1, b2 */
    const float X[1] = {2}, T[1] = {0.5f};
    ct_arch a = arch2(1, 1, 1, CT_ACT_SIGMOID, CT_LOSS_MSE);
    ct_optim_params sgd = ct_optim_defaults(CT_OPT_SGD);
    sgd.lr = 0.1f;
    expected e;
    memset(&e, 0, sizeof e);
    double w1 = P[0], w2 = P[1], b1 = P[2], b2 = P[3], x = X[0], t = T[0];
    e.z[0][0] = w1 * x + b1;
    e.a[0][0] = sig(e.z[0][0]);
    e.z[1][0] = w2 * e.a[0][0] + b2;
    e.a[1][0] = e.z[1][0];
    e.loss = (e.z[1][0] - t) * (e.z[1][0] - t);
    e.delta[1][0] = 2 * (e.z[1][0] - t);
    e.delta[0][0] = e.delta[1][0] * w2 * e.a[0][0] * (1 - e.a[0][0]);
    e.grad[0] = e.delta[0][0] * x;
    e.grad[1] = e.delta[1][0] * e.a[0][0];
    e.grad[2] = e.delta[0][0];
    e.grad[3] = e.delta[1][0];
    for (int i = 0; i < 4; i++)
        e.params_after[i] = (double)P[i] - (double)sgd.lr * e.grad[i];
    run_both(dev, "1-1-1 sigmoid/linear mse + sgd step", &a, P, X, NULL, T, 1, &sgd, &e);
}

/* Case 3: 2-3-1, ReLU then sigmoid + BCE, a batch of two rows (the loss is their mean). */
static void case_231(ct_device *dev) {
    const float W1f[6] = {0.4f, -0.2f, 0.3f, 0.9f, -0.6f, 0.25f}, b1f[3] = {0.05f, -0.1f, 0.2f};
    const float W2f[3] = {0.8f, -0.4f, 0.6f}, b2f[1] = {-0.3f};
    float P[13];
    memcpy(P, W1f, sizeof W1f);
    memcpy(P + 6, W2f, sizeof W2f);
    memcpy(P + 9, b1f, sizeof b1f);
    memcpy(P + 12, b2f, sizeof b2f);
    const float X[4] = {1.0f, 0.5f, -0.5f, 2.0f}, T[2] = {1, 0};
    ct_arch a = arch2(2, 3, 1, CT_ACT_RELU, CT_LOSS_SIGMOID_BCE);
    expected e;
    memset(&e, 0, sizeof e);
    double loss = 0;
    /* the worked answer in double (float * float would round in float) */
    double W1[6], b1[3], W2[3], b2[1];
    for (int k = 0; k < 6; k++)
        W1[k] = W1f[k];
    for (int k = 0; k < 3; k++)
        b1[k] = b1f[k], W2[k] = W2f[k];
    b2[0] = b2f[0];
    for (int r = 0; r < 2; r++) {
        double x0 = X[2 * r], x1 = X[2 * r + 1], t = T[r];
        double z2 = b2[0];
        for (int j = 0; j < 3; j++) {
            double z = W1[2 * j] * x0 + W1[2 * j + 1] * x1 + b1[j];
            e.z[0][3 * r + j] = z;
            e.a[0][3 * r + j] = z > 0 ? z : 0;
            z2 += W2[j] * e.a[0][3 * r + j];
        }
        double p = sig(z2);
        e.z[1][r] = z2;
        e.a[1][r] = p;
        loss += t ? -log(p) : -log(1 - p);
        e.delta[1][r] = (p - t) / 2; /* mean over the 2 rows */
        for (int j = 0; j < 3; j++) {
            double d = e.delta[1][r] * W2[j] * (e.z[0][3 * r + j] > 0);
            e.delta[0][3 * r + j] = d;
            e.grad[2 * j] += d * x0; /* W1 */
            e.grad[2 * j + 1] += d * x1;
            e.grad[9 + j] += d;                                 /* b1 */
            e.grad[6 + j] += e.delta[1][r] * e.a[0][3 * r + j]; /* W2 */
        }
        e.grad[12] += e.delta[1][r]; /* b2 */
    }
    e.loss = loss / 2;
    run_both(dev, "2-3-1 relu/sigmoid bce, batch 2", &a, P, X, NULL, T, 2, NULL, &e);
}

/* Case 4: 2-2-3, tanh then softmax + cross-entropy, label 2, one Adam step. */
static void case_softmax(ct_device *dev) {
    const float W1f[4] = {0.3f, -0.7f, 0.5f, 0.1f}, b1f[2] = {0.1f, -0.2f};
    const float W2f[6] = {0.2f, -0.3f, 0.6f, 0.4f, -0.5f, 0.9f}, b2f[3] = {0.0f, 0.1f, -0.1f};
    float P[15];
    memcpy(P, W1f, sizeof W1f);
    memcpy(P + 4, W2f, sizeof W2f);
    memcpy(P + 10, b1f, sizeof b1f);
    memcpy(P + 12, b2f, sizeof b2f);
    const float Xf[2] = {0.8f, -1.2f};
    double W1[4], b1[2], W2[6], b2[3], X[2] = {Xf[0], Xf[1]};
    for (int k = 0; k < 4; k++)
        W1[k] = W1f[k];
    for (int k = 0; k < 6; k++)
        W2[k] = W2f[k];
    for (int k = 0; k < 2; k++)
        b1[k] = b1f[k];
    for (int k = 0; k < 3; k++)
        b2[k] = b2f[k];
    const int label[1] = {2};
    ct_arch a = arch2(2, 2, 3, CT_ACT_TANH, CT_LOSS_SOFTMAX_CE);
    ct_optim_params adam = ct_optim_defaults(CT_OPT_ADAM);
    adam.lr = 0.01f;
    expected e;
    memset(&e, 0, sizeof e);
    for (int j = 0; j < 2; j++) {
        e.z[0][j] = W1[2 * j] * X[0] + W1[2 * j + 1] * X[1] + b1[j];
        e.a[0][j] = tanh(e.z[0][j]);
    }
    double sum = 0, mx = -1e300;
    for (int k = 0; k < 3; k++) {
        e.z[1][k] = W2[2 * k] * e.a[0][0] + W2[2 * k + 1] * e.a[0][1] + b2[k];
        mx = fmax(mx, e.z[1][k]);
    }
    for (int k = 0; k < 3; k++)
        sum += exp(e.z[1][k] - mx);
    for (int k = 0; k < 3; k++) {
        e.a[1][k] = exp(e.z[1][k] - mx) / sum;
        e.delta[1][k] = e.a[1][k] - (k == label[0]);
    }
    e.loss = -log(e.a[1][label[0]]);
    for (int j = 0; j < 2; j++) {
        double da = 0;
        for (int k = 0; k < 3; k++)
            da += e.delta[1][k] * W2[2 * k + j];
        e.delta[0][j] = da * (1 - e.a[0][j] * e.a[0][j]);
        e.grad[2 * j] = e.delta[0][j] * X[0];
        e.grad[2 * j + 1] = e.delta[0][j] * X[1];
        e.grad[10 + j] = e.delta[0][j];
    }
    for (int k = 0; k < 3; k++) {
        e.grad[4 + 2 * k] = e.delta[1][k] * e.a[0][0];
        e.grad[4 + 2 * k + 1] = e.delta[1][k] * e.a[0][1];
        e.grad[12 + k] = e.delta[1][k];
    }
    /* Adam's first step from zero state: m_hat = g, v_hat = g^2, so p -= lr g / (|g| + eps) */
    for (int i = 0; i < 15; i++) {
        double g = e.grad[i], b1c = 1 - (double)adam.beta1, b2c = 1 - (double)adam.beta2;
        double m = b1c * g, v = b2c * g * g; /* (1 - beta) g and (1 - beta) g^2 */
        e.params_after[i] =
            (double)P[i] - (double)adam.lr * (m / b1c) / (sqrt(v / b2c) + (double)adam.eps);
    }
    run_both(dev, "2-2-3 tanh/softmax ce + adam step", &a, P, Xf, label, NULL, 1, &adam, &e);
}

/* The command's --json carries the same numbers: case 2 through `cltrain explain`. */
static void cli_json(const char *bin) {
    char dir[] = "/tmp/cltrain-explain-XXXXXX";
    if (!mkdtemp(dir)) {
        EXPECT(0, "mkdtemp failed");
        return;
    }
    char model[256], cmd[1024];
    snprintf(model, sizeof model, "%s/m.json", dir);
    FILE *f = fopen(model, "w");
    EXPECT(f != NULL, "cannot write %s", model);
    if (!f) return;
    fputs("{\"layers\": [{\"weight\": [[0.5]], \"bias\": [0.1], \"activation\": \"sigmoid\"},\n"
          "            {\"weight\": [[-0.3]], \"bias\": [0.2], \"activation\": \"linear\"}],\n"
          " \"loss\": \"mse\"}\n",
          f);
    fclose(f);
    snprintf(cmd, sizeof cmd,
             "'%s' explain --model '%s' --input 2 --target 0.5 --step sgd:0.1 --json", bin, model);
    FILE *p = popen(cmd, "r");
    char *out = calloc(1 << 20, 1);
    size_t n = p && out ? fread(out, 1, (1 << 20) - 1, p) : 0;
    int rc = p ? pclose(p) : -1;
    EXPECT(rc == 0 && n > 0, "explain --json exited %d with %zu bytes", rc, n);
    char err[256];
    ct_json *j = n ? ct_json_parse(out, n, err, sizeof err) : NULL;
    EXPECT(j != NULL, "explain --json is not JSON: %s", j ? "" : err);
    if (j) {
        double w1 = 0.5, w2 = -0.3, b1 = 0.1, b2 = 0.2, x = 2, t = 0.5;
        double a1 = sig(w1 * x + b1), z2 = w2 * a1 + b2, d2 = 2 * (z2 - t),
               d1 = d2 * w2 * a1 * (1 - a1);
        const ct_json *loss = ct_json_get(j, "loss"), *layers = ct_json_get(j, "layers");
        EXPECT(loss && fabs(loss->number - (z2 - t) * (z2 - t)) < 1e-6, "--json loss");
        EXPECT(layers && layers->type == CT_JSON_ARRAY && layers->count == 2, "--json layers");
        if (layers && layers->count == 2) {
            const ct_json *l0 = &layers->items[0], *l1 = &layers->items[1];
            const char *keys[] = {"z", "a", "delta", "grad_weight", "grad_bias", "weight", "bias"};
            for (int k = 0; k < 7; k++)
                EXPECT(ct_json_get(l0, keys[k]) && ct_json_get(l1, keys[k]),
                       "--json layer lacks '%s'", keys[k]);
            const ct_json *gw = ct_json_get(l0, "grad_weight"), *w = ct_json_get(l1, "weight");
            EXPECT(gw && gw->count == 1 && gw->items[0].count == 1 &&
                       fabs(gw->items[0].items[0].number - d1 * x) < 1e-6,
                   "--json layer 0 grad_weight");
            EXPECT(w && w->count == 1 &&
                       fabs(w->items[0].items[0].number - (w2 - 0.1 * d2 * a1)) < 1e-6,
                   "--json layer 1 weight after the step");
        }
        EXPECT(ct_json_get(j, "reference") != NULL, "--json lacks the reference's values");
        ct_json_free(j);
    }
    free(out);
    unlink(model);
    rmdir(dir);
}

/* expect_close, not inlined (gcc's bounds warning misreads the inlined float branch here) */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void
close_d(const char *what, const double *got, const double *want, size_t n, double tol,
        double rtol) {
    expect_close(what, got, want, n, tol, rtol);
}

/* Case 5: the batch-norm gradient worked out: 1-1-1 on a batch of 2 rows, x = (1, 3), with a
 * batch norm between the hidden unit's bias and its tanh, then linear + MSE. Training mode: the
 * batch's mean and biased variance, and the chain rule through both (the course's exercise:
 * dL/dz_i = gamma / sigma (g_i - mean(g) - xhat_i mean(g xhat)), g = dL/dy); the running
 * statistics move by the momentum. Evaluation mode: the running statistics, constants.
 * Layout: w1, w2, b1, b2, gamma, beta, running mean, running variance. */
static void case_batchnorm(ct_device *dev) {
    const float P[8] = {0.8f, -1.2f, 0.3f, 0.1f, 1.5f, -0.4f, 0.5f, 2.0f};
    const float X[2] = {1, 3}, T[2] = {0.5f, -0.25f};
    ct_arch a = arch2(1, 1, 1, CT_ACT_TANH, CT_LOSS_MSE);
    a.norm[0] = CT_NORM_BATCH;
    a.norm_eps[0] = 0.01f;
    a.norm_momentum[0] = 0.25f;
    double w1 = P[0], w2 = P[1], b1 = P[2], b2 = P[3], gamma = P[4], beta = P[5], rm = P[6],
           rv = P[7], eps = a.norm_eps[0], mom = a.norm_momentum[0];
    for (int eval = 0; eval < 2; eval++) {
        double z[2], y[2], h[2], o[2], d[2], g[2], xhat[2], dz[2];
        for (int i = 0; i < 2; i++)
            z[i] = w1 * X[i] + b1;                   /* 1.1, 2.7 */
        double mean = eval ? rm : (z[0] + z[1]) / 2; /* 1.9 */
        double var =
            eval ? rv : ((z[0] - mean) * (z[0] - mean) + (z[1] - mean) * (z[1] - mean)) / 2;
        double sd = sqrt(var + eps), loss = 0;
        for (int i = 0; i < 2; i++) {
            xhat[i] = (z[i] - mean) / sd;
            y[i] = gamma * xhat[i] + beta;
            h[i] = tanh(y[i]);
            o[i] = w2 * h[i] + b2;
            loss += (o[i] - T[i]) * (o[i] - T[i]) / 2; /* the mean over 2 rows */
            d[i] = (o[i] - T[i]);                      /* 2 (o - t) / 2 */
            g[i] = d[i] * w2 * (1 - h[i] * h[i]);      /* dL/dy */
        }
        double sg = g[0] + g[1], sgx = g[0] * xhat[0] + g[1] * xhat[1];
        for (int i = 0; i < 2; i++) /* training: through the mean and the variance */
            dz[i] = eval ? gamma / sd * g[i] : gamma / sd * (g[i] - sg / 2 - xhat[i] * sgx / 2);
        double grad[8] = {dz[0] * X[0] + dz[1] * X[1],
                          d[0] * h[0] + d[1] * h[1],
                          dz[0] + dz[1],
                          d[0] + d[1],
                          sgx,
                          sg,
                          0,
                          0};
        char msg[CT_MSG_LEN], name[96];
        for (int k = 0; k < 2; k++) {
            ct_pass p;
            ct_status st =
                ct_pass_run_mode(k ? dev : NULL, &a, P, X, NULL, T, 2, NULL, eval, &p, msg);
            double tol = k ? 2e-6 : 1e-12;
            snprintf(name, sizeof name, "batch norm, %s mode (%s)",
                     eval ? "evaluation" : "training", k ? "device" : "reference");
            if (!EXPECT(st == CT_OK, "%s: %s", name, msg)) continue;
            if (!EXPECT(p.z[0] && p.a[0] && p.delta[0] && p.grad && p.params && p.norm_out[0] &&
                            p.mean[0] && p.var[0],
                        "%s: a tensor of the pass is missing", name)) {
                ct_pass_free(&p);
                continue;
            }
            char what[160];
            snprintf(what, sizeof what, "%s: z", name);
            close_d(what, p.z[0], z, 2, tol, tol);
            snprintf(what, sizeof what, "%s: mean, var", name);
            close_d(what, p.mean[0], &mean, 1, tol, tol);
            close_d(what, p.var[0], &var, 1, tol, tol);
            snprintf(what, sizeof what, "%s: norm_out", name);
            close_d(what, p.norm_out[0], y, 2, tol, tol);
            snprintf(what, sizeof what, "%s: a", name);
            close_d(what, p.a[0], h, 2, tol, tol);
            snprintf(what, sizeof what, "%s: dL/dz", name);
            close_d(what, p.delta[0], dz, 2, tol, tol);
            snprintf(what, sizeof what, "%s: gradients", name);
            close_d(what, p.grad, grad, 8, tol, tol);
            EXPECT(fabs(p.loss - loss) <= tol, "%s: loss %.12g, expected %.12g", name, p.loss,
                   loss);
            /* the running statistics after the pass: moved while training (the unbiased
             * variance, var 2 / (2 - 1)), kept in evaluation */
            double run[2] = {eval ? rm : (1 - mom) * rm + mom * mean,
                             eval ? rv : (1 - mom) * rv + mom * var * 2};
            snprintf(what, sizeof what, "%s: running mean, variance after the pass", name);
            close_d(what, p.params + 6, run, 2, tol, tol);
            /* the bias before a batch norm has no gradient: dz sums to 0 */
            EXPECT(eval || fabs(p.grad[2]) <= tol, "%s: the bias's gradient %.3g, expected 0", name,
                   p.grad[2]);
            ct_pass_free(&p);
        }
        printf("checked the batch-norm gradient by hand, %s mode\n",
               eval ? "evaluation" : "training");
    }
}

int main(int argc, char **argv) {
    ct_device *dev = test_device();
    case_221(dev);
    case_111(dev);
    case_231(dev);
    case_softmax(dev);
    case_batchnorm(dev);
    ct_device_destroy(dev);
    if (argc > 1) cli_json(argv[1]);
    return test_summary("test_explain");
}
