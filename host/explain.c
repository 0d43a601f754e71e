/* One pass with every tensor kept, on the device or the reference (see explain.h). */
#include "explain.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ref.h"
#include "strutil.h"

void ct_pass_free(ct_pass *p) {
    if (!p) return;
    for (int l = 0; l < CT_MAX_LAYERS; l++) {
        free(p->z[l]);
        free(p->a[l]);
        free(p->delta[l]);
        free(p->norm_out[l]);
        free(p->mean[l]);
        free(p->var[l]);
    }
    free(p->grad);
    free(p->params);
    free(p->m);
    free(p->v);
    memset(p, 0, sizeof *p);
}

/* rows of the loss: B for ce, B * outputs otherwise */
static double loss_count(const ct_arch *a, int B) {
    return a->loss == CT_LOSS_SOFTMAX_CE ? B : (double)B * a->sizes[a->n_layers];
}

/* The output activation from the logits gradient the loss kernel gives:
 * ce: p = dZ B + onehot; bce: p = dZ B C + t; mse, huber: the logits themselves. */
static void output_from_delta(const ct_arch *a, const double *z, const double *dz,
                              const int *labels, const float *T, int B, double *out) {
    int C = a->sizes[a->n_layers];
    double count = loss_count(a, B);
    for (int i = 0; i < B; i++)
        for (int j = 0; j < C; j++) {
            size_t k = (size_t)i * C + j;
            if (a->loss == CT_LOSS_SOFTMAX_CE)
                out[k] = dz[k] * count + (labels[i] == j);
            else if (a->loss == CT_LOSS_SIGMOID_BCE)
                out[k] = dz[k] * count + T[k];
            else
                out[k] = z[k];
        }
}

/* ---- one pass of the engine --------------------------------------------------------------- */

/* The B rows of one pass on a fresh engine (dropout off), forward and backward: the engine's
 * own pass, the one training runs, on a device or on the reference. */
static ct_status pass_net(ct_net **out, ct_device *dev, const ct_arch *a, const float *X,
                          const int *labels, const float *T, int B, const ct_optim_params *step,
                          char *msg) {
    ct_arch na = *a;
    for (int l = 0; l < CT_MAX_LAYERS; l++)
        na.dropout[l] = 0;
    ct_optim_params def = ct_optim_defaults(CT_OPT_SGD);
    ct_status st = ct_net_create(out, dev, &na, B, step ? step : &def, msg);
    if (st != CT_OK) return st;
    st = ct_net_upload_arrays(*out, CT_SLOT_TRAIN, B, X, (const int32_t *)labels, T);
    if (st != CT_OK) {
        snprintf(msg, CT_MSG_LEN, "%s", ct_net_error(*out));
        ct_net_destroy(*out);
        *out = NULL;
    }
    return st;
}

/* Reads one tensor of the engine into a new double array (n values). */
static double *take(ct_net *net, ct_tensor_kind kind, int layer, int B, size_t n, ct_status *st) {
    double *d = malloc((n ? n : 1) * sizeof(double));
    size_t got = 0;
    if (*st == CT_OK && !d) *st = CT_ERR_ALLOC;
    if (*st == CT_OK) *st = ct_net_read_tensor_f64(net, kind, layer, B, d, &got);
    if (*st == CT_OK && got != n) *st = CT_ERR_ARG;
    if (*st != CT_OK) {
        free(d);
        return NULL;
    }
    return d;
}

static ct_status engine_pass(ct_device *dev, const ct_arch *a, const float *params, const float *X,
                             const int *labels, const float *T, int B, const ct_optim_params *step,
                             int eval, ct_pass *o, char *msg) {
    ct_net *net = NULL;
    ct_status st = pass_net(&net, dev, a, X, labels, T, B, step, msg);
    if (st != CT_OK) return st;
    int L = a->n_layers;
    size_t np = o->lay.n_params;
    if ((st = ct_net_set_params(net, params)) != CT_OK || (st = ct_net_keep_deltas(net)) != CT_OK ||
        (st = ct_net_pass(net, CT_SLOT_TRAIN, B, !eval, 1)) != CT_OK)
        goto done;
    for (int l = 0; l < L && st == CT_OK; l++) {
        size_t n = (size_t)B * a->sizes[l + 1];
        o->z[l] = take(net, CT_T_Z, l, B, n, &st);
        o->a[l] = l + 1 < L ? take(net, CT_T_A, l, B, n, &st) : calloc(n, sizeof(double));
        o->delta[l] = take(net, CT_T_DELTA, l, B, n, &st);
        if (l + 1 < L && a->norm[l] != CT_NORM_NONE) {
            size_t ns = a->norm[l] == CT_NORM_LAYER ? (size_t)B : (size_t)a->sizes[l + 1];
            o->norm_out[l] = take(net, CT_T_NORM_OUT, l, B, n, &st);
            o->mean[l] = take(net, CT_T_NORM_MEAN, l, B, ns, &st);
            o->var[l] = take(net, CT_T_NORM_VAR, l, B, ns, &st);
        }
    }
    if (st == CT_OK && !o->a[L - 1]) st = CT_ERR_ALLOC;
    o->grad = take(net, CT_T_GRADS, 0, B, np, &st);
    float loss = 0;
    if (st == CT_OK) st = ct_net_read_losses(net, 0, 1, &loss);
    o->loss = dev ? loss : ct_net_loss_f64(net, 0);
    if (st == CT_OK) output_from_delta(a, o->z[L - 1], o->delta[L - 1], labels, T, B, o->a[L - 1]);
    if (st == CT_OK && step) {
        /* a fresh engine's optimizer state is zero */
        if ((st = ct_net_apply_grads(net, 1, step->lr, 0)) != CT_OK) goto done;
        free(o->params);
        o->params = take(net, CT_T_PARAMS, 0, B, np, &st);
        o->m = take(net, CT_T_M, 0, B, np, &st);
        o->v = take(net, CT_T_V, 0, B, np, &st);
    } else if (st == CT_OK) { /* the running statistics moved while training */
        free(o->params);
        o->params = take(net, CT_T_PARAMS, 0, B, np, &st);
        o->m = calloc(np ? np : 1, sizeof(double));
        o->v = calloc(np ? np : 1, sizeof(double));
        if (!o->m || !o->v) st = CT_ERR_ALLOC;
    }
done:
    if (st != CT_OK) {
        const char *e = ct_net_error(net);
        snprintf(msg, CT_MSG_LEN, "%s", *e ? e : "out of host memory");
    }
    ct_net_destroy(net);
    return st;
}

double ct_ref_loss_at(const ct_arch *a, const double *params, const float *X, const int *labels,
                      const float *targets, int B) {
    ct_net *net = NULL;
    char msg[CT_MSG_LEN];
    double loss = NAN;
    if (pass_net(&net, NULL, a, X, labels, targets, B, NULL, msg) != CT_OK) return NAN;
    if (ct_net_set_params_f64(net, params) == CT_OK &&
        ct_net_pass(net, CT_SLOT_TRAIN, B, 1, 0) == CT_OK)
        loss = ct_net_loss_f64(net, 0);
    ct_net_destroy(net);
    return loss;
}

/* ---- both ---------------------------------------------------------------------------------- */

ct_status ct_pass_run(ct_device *dev, const ct_arch *a, const float *params, const float *X,
                      const int *labels, const float *targets, int B, const ct_optim_params *step,
                      ct_pass *o, char msg[CT_MSG_LEN]) {
    return ct_pass_run_mode(dev, a, params, X, labels, targets, B, step, 0, o, msg);
}

ct_status ct_pass_run_mode(ct_device *dev, const ct_arch *a, const float *params, const float *X,
                           const int *labels, const float *targets, int B,
                           const ct_optim_params *step, int eval, ct_pass *o,
                           char msg[CT_MSG_LEN]) {
    memset(o, 0, sizeof *o);
    ct_status st = ct_arch_validate(a, msg);
    if (st != CT_OK) return st;
    if (B < 1) return ct_fail_msg(msg, CT_ERR_ARG, "the batch needs at least one row");
    int C = a->sizes[a->n_layers];
    for (int i = 0; a->loss == CT_LOSS_SOFTMAX_CE && i < B; i++)
        if (labels[i] < 0 || labels[i] >= C)
            return ct_fail_msg(msg, CT_ERR_ARG, "row %d: class %d is outside 0..%d", i + 1,
                               labels[i], C - 1);
    o->arch = *a;
    o->B = B;
    o->eval = eval != 0;
    ct_arch_layout(a, &o->lay);
    if (step) {
        o->stepped = 1;
        o->bc1 = 1 - (double)step->beta1;
        o->bc2 = 1 - (double)step->beta2;
    }
    st = engine_pass(dev, a, params, X, labels, targets, B, step, eval, o, msg);
    if (st != CT_OK) ct_pass_free(o);
    return st;
}
