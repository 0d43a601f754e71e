/* The network's architecture: initialisers, names, the flat parameter layout, validation and
 * initialisation. The engine that trains it is in net.c, its layers' passes in layers/. */
#include "model.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ref.h"
#include "rng.h"

/* ---- initialisers ------------------------------------------------------------------------ */

static const char *const init_names[CT_INIT_COUNT] = {
    "auto",           "he_normal",    "he_uniform",    "xavier_normal",
    "xavier_uniform", "lecun_normal", "lecun_uniform", "normal",
    "uniform",        "zeros",        "ones"};

int ct_init_parse(const char *s, ct_init *out) {
    ct_init r = {CT_INIT_AUTO, 0, 0};
    const char *colon = strchr(s, ':');
    size_t n = colon ? (size_t)(colon - s) : strlen(s);
    struct {
        const char *name;
        ct_init_kind kind;
    } alias[] = {{"he", CT_INIT_HE_NORMAL},
                 {"kaiming", CT_INIT_HE_NORMAL},
                 {"xavier", CT_INIT_XAVIER_UNIFORM},
                 {"glorot", CT_INIT_XAVIER_UNIFORM},
                 {"glorot_uniform", CT_INIT_XAVIER_UNIFORM},
                 {"glorot_normal", CT_INIT_XAVIER_NORMAL},
                 {"lecun", CT_INIT_LECUN_NORMAL}};
    int found = 0;
    for (int k = 0; k < CT_INIT_COUNT && !found; k++)
        if (strlen(init_names[k]) == n && !strncmp(s, init_names[k], n)) r.kind = k, found = 1;
    for (size_t k = 0; k < sizeof alias / sizeof alias[0] && !found; k++)
        if (strlen(alias[k].name) == n && !strncmp(s, alias[k].name, n))
            r.kind = alias[k].kind, found = 1;
    if (!found) return 0;
    if (r.kind == CT_INIT_NORMAL || r.kind == CT_INIT_UNIFORM) {
        if (!colon) return 0;
        char *end;
        double v = strtod(colon + 1, &end);
        if (end == colon + 1 || *end || !(v > 0) || !isfinite(v)) return 0;
        r.param = (float)v;
    } else if (colon) {
        return 0;
    }
    *out = r;
    return 1;
}

void ct_init_format(const ct_init *i, char *dst, size_t n) {
    if (i->kind == CT_INIT_NORMAL || i->kind == CT_INIT_UNIFORM)
        snprintf(dst, n, "%s:%g", init_names[i->kind], (double)i->param);
    else
        snprintf(dst, n, "%s", i->kind >= 0 && i->kind < CT_INIT_COUNT ? init_names[i->kind] : "?");
}

/* ---- architecture ------------------------------------------------------------------------ */

void ct_arch_layout(const ct_arch *a, ct_layout *l) {
    memset(l, 0, sizeof *l);
    size_t off = 0;
    for (int i = 0; i < a->n_layers; i++) {
        l->w_off[i] = off;
        off += (size_t)a->sizes[i] * (size_t)a->sizes[i + 1];
    }
    l->n_weights = off;
    for (int i = 0; i < a->n_layers; i++) {
        l->b_off[i] = off;
        off += (size_t)a->sizes[i + 1];
    }
    l->n_dense = off;
    for (int i = 0; i < a->n_layers; i++)
        if (ct_norm_of(a, i) != CT_NORM_NONE) {
            l->g_off[i] = off;
            l->be_off[i] = off + (size_t)a->sizes[i + 1];
            off += 2 * (size_t)a->sizes[i + 1];
        }
    l->n_train = off;
    for (int i = 0; i < a->n_layers; i++)
        if (ct_norm_of(a, i) == CT_NORM_BATCH) {
            l->rm_off[i] = off;
            l->rv_off[i] = off + (size_t)a->sizes[i + 1];
            off += 2 * (size_t)a->sizes[i + 1];
        }
    l->n_params = off;
}

double ct_arch_train_flops(const ct_arch *a, int B) {
    double macs = 0;
    for (int i = 0; i < a->n_layers; i++) {
        double w = (double)a->sizes[i] * a->sizes[i + 1] * B;
        macs +=
            w * (i == 0 ? 2 : 3); /* forward, weight gradient, input gradient (not for layer 0) */
    }
    return 2 * macs;
}

static const char *output_name(ct_loss l) {
    switch (l) {
    case CT_LOSS_SOFTMAX_CE: return "softmax+cross-entropy";
    case CT_LOSS_SIGMOID_BCE: return "sigmoid+binary-cross-entropy";
    case CT_LOSS_MSE: return "linear+mse";
    case CT_LOSS_HUBER: return "linear+huber";
    default: return "?";
    }
}

void ct_arch_describe(const ct_arch *a, char *dst, size_t n) {
    size_t u = 0;
    for (int i = 0; i <= a->n_layers && u < n; i++)
        u += (size_t)snprintf(dst + u, n - u, "%s%d", i ? "-" : "", a->sizes[i]);
    for (int i = 0; i + 1 < a->n_layers && u < n; i++) {
        /* in the order they run: the norm, the activation, dropout ("batchnorm+relu") */
        u += (size_t)snprintf(dst + u, n - u, "%s", i ? "," : " ");
        if (a->norm[i] != CT_NORM_NONE && u < n)
            u += (size_t)snprintf(dst + u, n - u, "%snorm+", ct_norm_name(a->norm[i]));
        if (u < n) u += (size_t)snprintf(dst + u, n - u, "%s", ct_act_name(a->act[i]));
        if (a->dropout[i] > 0 && u < n)
            u += (size_t)snprintf(dst + u, n - u, "+dropout(%g)", (double)a->dropout[i]);
    }
    if (u < n) snprintf(dst + u, n - u, " %s", output_name(a->loss));
}

ct_status ct_arch_validate(const ct_arch *a, char msg[CT_MSG_LEN]) {
    if (a->n_layers < 1 || a->n_layers > CT_MAX_LAYERS) {
        snprintf(msg, CT_MSG_LEN, "the network needs 1 to %d layers, got %d", CT_MAX_LAYERS,
                 a->n_layers);
        return CT_ERR_ARG;
    }
    for (int i = 0; i <= a->n_layers; i++)
        if (a->sizes[i] < 1 || a->sizes[i] > (1 << 24)) {
            snprintf(msg, CT_MSG_LEN, "layer size %d is %d; sizes must be between 1 and %d", i,
                     a->sizes[i], 1 << 24);
            return CT_ERR_ARG;
        }
    for (int i = 0; i + 1 < a->n_layers; i++) {
        if ((int)a->act[i] < 0 || a->act[i] >= CT_ACT_COUNT) {
            snprintf(msg, CT_MSG_LEN, "hidden layer %d: unknown activation %d", i + 1,
                     (int)a->act[i]);
            return CT_ERR_ARG;
        }
        if (!(a->dropout[i] >= 0 && a->dropout[i] < 1)) {
            snprintf(msg, CT_MSG_LEN, "hidden layer %d: dropout must be in [0, 1), got %g", i + 1,
                     (double)a->dropout[i]);
            return CT_ERR_ARG;
        }
        ct_status st = ct_norm_validate(a, i, msg);
        if (st != CT_OK) return st;
    }
    if (a->n_layers >= 1 && a->norm[a->n_layers - 1] != CT_NORM_NONE) {
        snprintf(msg, CT_MSG_LEN,
                 "the output layer cannot be normalized (a norm follows hidden layers only)");
        return CT_ERR_ARG;
    }
    if ((int)a->loss < 0 || a->loss >= CT_LOSS_COUNT) {
        snprintf(msg, CT_MSG_LEN, "unknown loss %d", (int)a->loss);
        return CT_ERR_ARG;
    }
    if (a->loss == CT_LOSS_SOFTMAX_CE && a->sizes[a->n_layers] < 2) {
        snprintf(msg, CT_MSG_LEN, "softmax cross-entropy needs at least 2 outputs, got %d",
                 a->sizes[a->n_layers]);
        return CT_ERR_ARG;
    }
    if (a->loss == CT_LOSS_HUBER && !(a->huber_delta > 0)) {
        snprintf(msg, CT_MSG_LEN, "huber delta must be > 0, got %g", (double)a->huber_delta);
        return CT_ERR_ARG;
    }
    ct_layout l;
    ct_arch_layout(a, &l);
    if (l.n_params > (size_t)0x7fffffff) {
        snprintf(msg, CT_MSG_LEN, "the network has %zu parameters; at most %d are supported",
                 l.n_params, 0x7fffffff);
        return CT_ERR_ARG;
    }
    return CT_OK;
}

void ct_arch_init_params(const ct_arch *a, const ct_init *init, float bias_value, uint64_t seed,
                         float *params) {
    ct_layout l;
    ct_arch_layout(a, &l);
    for (int i = 0; i < a->n_layers; i++) {
        ct_dense_init_params(a, &l, i, init, bias_value, seed, params);
        ct_norm_init_params(a, &l, i, params);
    }
}

int ct_layer_tensor(const ct_arch *a, const ct_layout *lay, int l, int k, ct_tensor_info *out) {
    if (l < 0 || l >= a->n_layers || k < 0) return 0;
    return k < 2 ? ct_dense_tensor(a, lay, l, k, out) : ct_norm_tensor_info(a, lay, l, k - 2, out);
}
