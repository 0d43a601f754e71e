/* Batch norm and layer norm in the engine: between a hidden layer's bias and its activation,
 * on the device (ops.h) or on the reference (ref.h), in training and evaluation mode, with
 * batch norm's statistics summed across the ranks that share a batch. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../net_internal.h"
#include "../ref.h"

/* ---- the layer's description: names, tensors, checks, initial values ------------------------- */

static const char *const norm_names[CT_NORM_COUNT] = {"none", "batch", "layer"};

const char *ct_norm_name(ct_norm n) {
    return (int)n >= 0 && n < CT_NORM_COUNT ? norm_names[n] : "?";
}

int ct_norm_parse(const char *s, ct_norm *out) {
    for (int k = 0; k < CT_NORM_COUNT; k++)
        if (!strcmp(s, norm_names[k])) return *out = (ct_norm)k, 1;
    return 0;
}

const char *ct_norm_tensor_name(int k) {
    static const char *const names[4] = {"weight", "bias", "running_mean", "running_var"};
    return k >= 0 && k < 4 ? names[k] : "?";
}

size_t ct_norm_tensor(const ct_arch *a, const ct_layout *lay, int l, int k) {
    ct_norm n = ct_norm_of(a, l);
    if (n == CT_NORM_NONE || (k >= 2 && n != CT_NORM_BATCH)) return 0;
    size_t offs[4] = {lay->g_off[l], lay->be_off[l], lay->rm_off[l], lay->rv_off[l]};
    return k >= 0 && k < 4 ? offs[k] : 0;
}

int ct_norm_tensor_info(const ct_arch *a, const ct_layout *lay, int l, int k, ct_tensor_info *out) {
    static const char *const fields[4] = {"norm_weight", "norm_bias", "running_mean",
                                          "running_var"};
    size_t off = k >= 0 && k < 4 ? ct_norm_tensor(a, lay, l, k) : 0;
    if (!off) return 0;
    snprintf(out->name, sizeof out->name, "layers.%d.norm.%s", l, ct_norm_tensor_name(k));
    out->field = fields[k];
    out->ndim = 1;
    out->shape[0] = a->sizes[l + 1];
    out->shape[1] = 0;
    out->off = off;
    out->count = (size_t)a->sizes[l + 1];
    out->learnable = k < 2;
    return 1;
}

ct_status ct_norm_validate(const ct_arch *a, int i, char msg[CT_MSG_LEN]) {
    if ((int)a->norm[i] < 0 || a->norm[i] >= CT_NORM_COUNT) {
        snprintf(msg, CT_MSG_LEN, "hidden layer %d: unknown normalization %d", i + 1,
                 (int)a->norm[i]);
        return CT_ERR_ARG;
    }
    if (a->norm[i] != CT_NORM_NONE && !(a->norm_eps[i] > 0 && isfinite(a->norm_eps[i]))) {
        snprintf(msg, CT_MSG_LEN, "hidden layer %d: the %s norm's eps must be > 0, got %g", i + 1,
                 ct_norm_name(a->norm[i]), (double)a->norm_eps[i]);
        return CT_ERR_ARG;
    }
    if (a->norm[i] == CT_NORM_BATCH && !(a->norm_momentum[i] >= 0 && a->norm_momentum[i] <= 1)) {
        snprintf(msg, CT_MSG_LEN,
                 "hidden layer %d: the batch norm's momentum must be in [0, 1], got %g", i + 1,
                 (double)a->norm_momentum[i]);
        return CT_ERR_ARG;
    }
    return CT_OK;
}

void ct_norm_init_params(const ct_arch *a, const ct_layout *lay, int i, float *params) {
    /* a norm starts as the identity: gamma 1, beta 0; running mean 0, variance 1 */
    for (int j = 0; ct_norm_of(a, i) != CT_NORM_NONE && j < a->sizes[i + 1]; j++) {
        params[lay->g_off[i] + (size_t)j] = 1;
        params[lay->be_off[i] + (size_t)j] = 0;
        if (ct_norm_of(a, i) == CT_NORM_BATCH) {
            params[lay->rm_off[i] + (size_t)j] = 0;
            params[lay->rv_off[i] + (size_t)j] = 1;
        }
    }
}

/* ---- the passes ------------------------------------------------------------------------------ */

/* Whether the batch is shared by several ranks (batch norm then sums its statistics). */
static int shared(const ct_net *net) { return net->comm && net->comm->size > 1; }

/* Sums a layer's statistics over the ranks that share the batch (batch norm only). */
static ct_status exchange_stats(ct_net *net, ct_buf x, double *hx, int n) {
    const ct_comm *c = net->comm;
    if (!c || c->size <= 1) return CT_OK;
    int failed;
    if (!net->dev) {
        failed = c->allreduce_sum_f64(hx, (size_t)n, c->ctx) != 0;
    } else {
        if (!net->hstat && !(net->hstat = malloc(2 * (size_t)net->width * sizeof(float))))
            return ct_net_fail(net, CT_ERR_ALLOC, "out of host memory");
        DTRY(ct_buffer_read(net->dev, x.mem, x.off * sizeof(float), (size_t)n * sizeof(float),
                            net->hstat));
        failed = c->allreduce_sum_f32(net->hstat, (size_t)n, c->ctx) != 0;
        if (!failed)
            DTRY(ct_buffer_write(net->dev, x.mem, x.off * sizeof(float), (size_t)n * sizeof(float),
                                 net->hstat));
    }
    if (failed)
        return ct_net_fail(net, CT_ERR_IO, "summing batch-norm statistics across %d ranks failed",
                           c->size);
    return CT_OK;
}

/* Where layer l's normalization statistics are for this pass: the batch's (arena) while
 * training or for layer norm, the running ones (parameters) for batch norm in evaluation. */
void ct_norm_stats_at(const ct_net *net, int l, int training, size_t *mu, size_t *var,
                      int *in_params) {
    int running = net->arch.norm[l] == CT_NORM_BATCH && !training;
    *in_params = running;
    *mu = running ? net->lay.rm_off[l] : net->off_mu[l];
    *var = running ? net->lay.rv_off[l] : net->off_var[l];
}

/* Layer l's Z (bias added) -> statistics -> Y = gamma xhat + beta -> A = f(Y); batch norm while
 * training also moves the running statistics. */
ct_status ct_norm_forward(ct_net *net, int l, int Bn, int training) {
    const ct_arch *a = &net->arch;
    const ct_layout *y = &net->lay;
    int N = a->sizes[l + 1], M = net->btotal, ln = a->norm[l] == CT_NORM_LAYER;
    size_t mo, vo;
    int inp;
    ct_norm_stats_at(net, l, training, &mo, &vo, &inp);
    if (net->dev) {
        ct_device *d = net->dev;
        ct_buf z = B(net->acts, net->off_z[l]), mu = B(inp ? net->params : net->acts, mo),
               var = B(inp ? net->params : net->acts, vo);
        if (ln) { /* statistics and output in one pass */
            DTRY(ct_ln_forward(d, B(net->acts, net->off_y[l]), B(net->acts, net->off_a[l]), mu, var,
                               z, B(net->params, y->g_off[l]), B(net->params, y->be_off[l]),
                               a->norm_eps[l], a->act[l], a->alpha[l], Bn, N));
            return CT_OK;
        }
        if (training && !shared(net)) { /* the batch's statistics and the running ones at once */
            DTRY(ct_bn_stats(d, mu, var, B(net->params, y->rm_off[l]), B(net->params, y->rv_off[l]),
                             z, Bn, N, a->norm_momentum[l]));
        } else if (training) {
            ct_status st;
            DTRY(ct_bn_moment(d, mu, z, z, Bn, N, 0, 1.0f / (float)M));
            if ((st = exchange_stats(net, mu, NULL, N)) != CT_OK) return st;
            DTRY(ct_bn_moment(d, var, z, mu, Bn, N, 1, 1.0f / (float)M));
            if ((st = exchange_stats(net, var, NULL, N)) != CT_OK) return st;
            DTRY(ct_bn_running(d, B(net->params, y->rm_off[l]), B(net->params, y->rv_off[l]), mu,
                               var, a->norm_momentum[l], M, N));
        }
        DTRY(ct_norm_apply(d, B(net->acts, net->off_y[l]), B(net->acts, net->off_a[l]), z, mu, var,
                           B(net->params, y->g_off[l]), B(net->params, y->be_off[l]),
                           a->norm_eps[l], a->act[l], a->alpha[l], Bn, N, ln));
        return CT_OK;
    }
    double *z = net->hacts + net->off_z[l], *mu = (inp ? net->hp : net->hacts) + mo,
           *var = (inp ? net->hp : net->hacts) + vo;
    if (ln) {
        ref_ln_stats(mu, var, z, Bn, N);
    } else if (training) {
        ct_status st;
        ref_bn_moment(mu, z, NULL, Bn, N, 0, 1.0 / M);
        if ((st = exchange_stats(net, B(NULL, 0), mu, N)) != CT_OK) return st;
        ref_bn_moment(var, z, mu, Bn, N, 1, 1.0 / M);
        if ((st = exchange_stats(net, B(NULL, 0), var, N)) != CT_OK) return st;
        ref_bn_running(net->hp + y->rm_off[l], net->hp + y->rv_off[l], mu, var, a->norm_momentum[l],
                       M, N);
    }
    ref_norm_apply(net->hacts + net->off_y[l], net->hacts + net->off_a[l], z, mu, var,
                   net->hp + y->g_off[l], net->hp + y->be_off[l], a->norm_eps[l], a->act[l],
                   a->alpha[l], Bn, N, ln);
    return CT_OK;
}

/* dX (dL/dA of layer l, in place) -> dL/dZ; the gradients of gamma, beta and the bias. */
ct_status ct_norm_backward(ct_net *net, int l, int Bn, size_t dx) {
    const ct_arch *a = &net->arch;
    const ct_layout *y = &net->lay;
    int N = a->sizes[l + 1], ln = a->norm[l] == CT_NORM_LAYER;
    int M = net->fwd_training ? net->btotal : 0;
    size_t mo, vo;
    int inp;
    ct_status st;
    ct_norm_stats_at(net, l, net->fwd_training, &mo, &vo, &inp);
    if (net->dev) {
        ct_device *d = net->dev;
        ct_buf dX = B(net->deltas, dx), z = B(net->acts, net->off_z[l]),
               yv = B(net->acts, net->off_y[l]), mu = B(inp ? net->params : net->acts, mo),
               var = B(inp ? net->params : net->acts, vo), gamma = B(net->params, y->g_off[l]);
        ct_buf dg = B(net->grads, y->g_off[l]), db = B(net->grads, y->be_off[l]);
        if (!ln && M && !shared(net)) { /* gamma, beta, the input and the bias at once */
            DTRY(ct_bn_backward(d, dX, dg, db, B(net->grads, y->b_off[l]), dX, yv, z, mu, var,
                                gamma, a->norm_eps[l], a->act[l], a->alpha[l], Bn, N));
            return CT_OK;
        }
        DTRY(ct_norm_param_grads(d, dg, db, dX, yv, z, mu, var, a->norm_eps[l], a->act[l],
                                 a->alpha[l], Bn, N, ln));
        if (ln) {
            DTRY(ct_ln_backward_input(d, dX, dX, yv, z, mu, var, gamma, a->norm_eps[l], a->act[l],
                                      a->alpha[l], Bn, N));
        } else {
            if (M && net->comm && net->comm->size > 1) {
                /* the whole batch's sums; the gradient keeps this rank's share */
                ct_buf sum = B(net->scratch, net->off_nsum);
                cl_int e = clEnqueueCopyBuffer(d->queue, net->grads, net->scratch,
                                               dg.off * sizeof(float), sum.off * sizeof(float),
                                               2 * (size_t)N * sizeof(float), 0, NULL, NULL);
                if (e != CL_SUCCESS)
                    return ct_net_fail(net, CT_ERR_OPENCL,
                                       "batch norm: clEnqueueCopyBuffer failed: %s",
                                       ct_cl_error_name(e));
                if ((st = exchange_stats(net, sum, NULL, 2 * N)) != CT_OK) return st;
                dg = sum;
                db = B(net->scratch, net->off_nsum + (size_t)N);
            }
            DTRY(ct_bn_backward_input(d, dX, dX, yv, z, mu, var, gamma, dg, db, a->norm_eps[l],
                                      a->act[l], a->alpha[l], M, Bn, N));
        }
        /* the bias before a batch norm of the batch's statistics has no gradient: dL/dZ sums
         * to 0 over the batch, exactly (float would leave noise for Adam to follow) */
        if (M && !ln)
            DTRY(ct_fill(d, B(net->grads, y->b_off[l]), 0.0f, N));
        else
            DTRY(ct_bias_backward(d, B(net->grads, y->b_off[l]), dX, Bn, N, 0));
        return CT_OK;
    }
    double *dX = net->hdeltas + dx, *z = net->hacts + net->off_z[l],
           *yv = net->hacts + net->off_y[l], *mu = (inp ? net->hp : net->hacts) + mo,
           *var = (inp ? net->hp : net->hacts) + vo, *gamma = net->hp + y->g_off[l];
    double *dg = net->hg + y->g_off[l], *db = net->hg + y->be_off[l];
    ref_norm_param_grads(dg, db, dX, yv, z, mu, var, a->norm_eps[l], a->act[l], a->alpha[l], Bn, N,
                         ln);
    if (ln) {
        ref_ln_backward_input(dX, dX, yv, z, mu, var, gamma, a->norm_eps[l], a->act[l], a->alpha[l],
                              Bn, N);
    } else {
        if (M && net->comm && net->comm->size > 1) {
            double *sum = net->hrowloss; /* room for 2 N: see ct_net_create */
            memcpy(sum, dg, 2 * (size_t)N * sizeof(double));
            if ((st = exchange_stats(net, B(NULL, 0), sum, 2 * N)) != CT_OK) return st;
            dg = sum;
            db = sum + N;
        }
        ref_bn_backward_input(dX, dX, yv, z, mu, var, gamma, dg, db, a->norm_eps[l], a->act[l],
                              a->alpha[l], M, Bn, N);
    }
    if (M && !ln) /* as on the device */
        memset(net->hg + y->b_off[l], 0, (size_t)N * sizeof(double));
    else
        ref_bias_backward(net->hg + y->b_off[l], dX, Bn, N, 0);
    return CT_OK;
}

/* A rank without rows in a shared batch still takes part in every exchange of the batch norms,
 * in the same order, and moves its running statistics with the others. */
ct_status ct_norm_idle(ct_net *net) {
    const ct_arch *a = &net->arch;
    ct_status st;
    if (!net->comm || net->comm->size <= 1) return CT_OK;
    for (int pass = 0; pass < 2; pass++)
        for (int k = 0; k + 1 < a->n_layers; k++) {
            int l = pass ? a->n_layers - 2 - k : k, N = a->sizes[l + 1];
            if (a->norm[l] != CT_NORM_BATCH) continue;
            for (int part = 0; part < (pass ? 1 : 2); part++) {
                int n = pass ? 2 * N : N;
                size_t off = pass ? net->off_nsum : part ? net->off_var[l] : net->off_mu[l];
                ct_buf x = B(pass ? net->scratch : net->acts, off);
                double *hx = pass ? net->hrowloss : net->hacts + off;
                if (net->dev)
                    DTRY(ct_fill(net->dev, x, 0.0f, n));
                else
                    memset(hx, 0, (size_t)n * sizeof(double));
                if ((st = exchange_stats(net, x, hx, n)) != CT_OK) return st;
            }
            if (pass) continue;
            if (net->dev)
                DTRY(ct_bn_running(net->dev, B(net->params, net->lay.rm_off[l]),
                                   B(net->params, net->lay.rv_off[l]), B(net->acts, net->off_mu[l]),
                                   B(net->acts, net->off_var[l]), a->norm_momentum[l], net->btotal,
                                   N));
            else
                ref_bn_running(net->hp + net->lay.rm_off[l], net->hp + net->lay.rv_off[l],
                               net->hacts + net->off_mu[l], net->hacts + net->off_var[l],
                               a->norm_momentum[l], net->btotal, N);
        }
    return CT_OK;
}

/* ---- in the list of layers ---------------------------------------------------------------------
 */

static ct_status norm_layer_forward(ct_net *net, int l, ct_pass_ctx *c) {
    return ct_norm_forward(net, l, c->Bn, c->training);
}

static ct_status norm_layer_backward(ct_net *net, int l, ct_pass_ctx *c) {
    return ct_norm_backward(net, l, c->Bn, c->dz);
}

const ct_layer_ops ct_norm_layer_ops = {"norm", norm_layer_forward, norm_layer_backward};
