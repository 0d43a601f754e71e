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

/* ---- reference ----------------------------------------------------------------------------- */

static void ref_pass(const ct_arch *a, const ct_layout *lay, const double *P, const double *X,
                     const int *labels, const double *T, const float *Tf, int B, ct_pass *o) {
    const double *in = X;
    int L = a->n_layers;
    for (int l = 0; l < L; l++) {
        int nin = a->sizes[l], nout = a->sizes[l + 1];
        int last = l + 1 == L;
        ref_dense_forward(o->z[l], in, P + lay->w_off[l], B, nin, nout);
        ref_bias_act_forward(o->a[l], o->z[l], o->z[l], P + lay->b_off[l],
                             last ? CT_ACT_IDENTITY : a->act[l], last ? 0 : a->alpha[l], B, nout);
        in = o->a[l];
    }
    o->loss = ref_loss(a->loss, o->delta[L - 1], NULL, o->z[L - 1], labels, T, B, a->sizes[L],
                       a->huber_delta);
    output_from_delta(a, o->z[L - 1], o->delta[L - 1], labels, Tf, B, o->a[L - 1]);
    for (int l = L - 1; l >= 0; l--) {
        int nin = a->sizes[l], nout = a->sizes[l + 1];
        ref_dense_backward_weight(o->grad + lay->w_off[l], o->delta[l], l ? o->a[l - 1] : X, B, nin,
                                  nout, 0);
        ref_bias_backward(o->grad + lay->b_off[l], o->delta[l], B, nout, 0);
        if (l == 0) break;
        ref_dense_backward_input(o->delta[l - 1], o->delta[l], P + lay->w_off[l], B, nin, nout);
        ref_act_backward(o->delta[l - 1], o->delta[l - 1], o->z[l - 1], a->act[l - 1],
                         a->alpha[l - 1], B * nin);
    }
}

double ct_ref_loss_at(const ct_arch *a, const double *params, const float *X, const int *labels,
                      const float *targets, int B) {
    int L = a->n_layers, width = 0;
    for (int l = 0; l <= L; l++)
        width = a->sizes[l] > width ? a->sizes[l] : width;
    ct_layout lay;
    ct_arch_layout(a, &lay);
    size_t nb = (size_t)B * width;
    double *x = malloc((size_t)B * a->sizes[0] * sizeof(double)), *u = malloc(nb * sizeof(double)),
           *w = malloc(nb * sizeof(double)), *t = NULL;
    double loss = NAN;
    size_t nt = (size_t)B * a->sizes[L];
    if (a->loss != CT_LOSS_SOFTMAX_CE) t = malloc(nt * sizeof(double));
    if (!x || !u || !w || (a->loss != CT_LOSS_SOFTMAX_CE && !t)) goto done;
    for (size_t i = 0; i < (size_t)B * a->sizes[0]; i++)
        x[i] = X[i];
    for (size_t i = 0; t && i < nt; i++)
        t[i] = targets[i];
    const double *in = x;
    for (int l = 0; l < L; l++) {
        int last = l + 1 == L;
        double *z = (l & 1) ? w : u;
        ref_dense_forward(z, in, params + lay.w_off[l], B, a->sizes[l], a->sizes[l + 1]);
        ref_bias_act_forward(z, z, z, params + lay.b_off[l], last ? CT_ACT_IDENTITY : a->act[l],
                             last ? 0 : a->alpha[l], B, a->sizes[l + 1]);
        in = z;
    }
    loss = ref_loss(a->loss, NULL, NULL, in, labels, t, B, a->sizes[L], a->huber_delta);
done:
    free(x);
    free(u);
    free(w);
    free(t);
    return loss;
}

/* ---- device -------------------------------------------------------------------------------- */

typedef struct {
    ct_device *dev;
    cl_mem m[4 * CT_MAX_LAYERS + 10];
    int n;
    ct_status st;
} mems;

static cl_mem mk(mems *s, size_t floats, const float *src) {
    if (s->st != CT_OK) return NULL;
    cl_mem m = NULL;
    s->st =
        ct_buffer_create(s->dev, &m, (floats ? floats : 1) * sizeof(float), "an explain tensor");
    if (s->st == CT_OK && src) s->st = ct_buffer_write(s->dev, m, 0, floats * sizeof(float), src);
    if (m) s->m[s->n++] = m;
    return m;
}

static void rd(mems *s, cl_mem m, size_t floats, double *dst) {
    if (s->st != CT_OK) return;
    float *tmp = malloc((floats ? floats : 1) * sizeof(float));
    if (!tmp) {
        s->st = ct_fail(s->dev, CT_ERR_ALLOC, "out of host memory");
        return;
    }
    s->st = ct_buffer_read(s->dev, m, 0, floats * sizeof(float), tmp);
    for (size_t i = 0; s->st == CT_OK && i < floats; i++)
        dst[i] = tmp[i];
    free(tmp);
}

#define ST(expr)                                                                                   \
    do {                                                                                           \
        if (s.st == CT_OK) s.st = (expr);                                                          \
    } while (0)

static ct_status device_pass(ct_device *dev, const ct_arch *a, const ct_layout *lay,
                             const float *params, const float *X, const int *labels, const float *T,
                             int B, const ct_optim_params *step, ct_pass *o, char *msg) {
    mems s;
    memset(&s, 0, sizeof s);
    s.dev = dev;
    int L = a->n_layers, C = a->sizes[L];
    size_t np = lay->n_params;
    cl_mem P = mk(&s, np, params), G = mk(&s, np, NULL), x = mk(&s, (size_t)B * a->sizes[0], X);
    cl_mem t = a->loss == CT_LOSS_SOFTMAX_CE ? mk(&s, (size_t)B, (const float *)labels)
                                             : mk(&s, (size_t)B * C, T);
    cl_mem loss = mk(&s, 1, NULL), rowloss = mk(&s, (size_t)B, NULL);
    cl_mem z[CT_MAX_LAYERS], av[CT_MAX_LAYERS], d[CT_MAX_LAYERS];
    for (int l = 0; l < L; l++) {
        size_t n = (size_t)B * a->sizes[l + 1];
        z[l] = mk(&s, n, NULL);
        av[l] = mk(&s, n, NULL);
        d[l] = mk(&s, n, NULL);
    }
    for (int l = 0; l < L && s.st == CT_OK; l++) {
        int nin = a->sizes[l], nout = a->sizes[l + 1], last = l + 1 == L;
        ct_buf in = ct_at(l ? av[l - 1] : x, 0);
        ST(ct_dense_forward(dev, ct_at(z[l], 0), in, ct_at(P, lay->w_off[l]), B, nin, nout));
        ST(ct_bias_act_forward(dev, ct_at(av[l], 0), ct_at(z[l], 0), ct_at(z[l], 0),
                               ct_at(P, lay->b_off[l]), last ? CT_ACT_IDENTITY : a->act[l],
                               last ? 0 : a->alpha[l], B, nout));
    }
    ST(ct_loss_forward_backward(dev, a->loss, ct_at(loss, 0), ct_at(d[L - 1], 0), ct_at(rowloss, 0),
                                ct_at(z[L - 1], 0), ct_at(t, 0), B, C, a->huber_delta, 0));
    for (int l = L - 1; l >= 0 && s.st == CT_OK; l--) {
        int nin = a->sizes[l], nout = a->sizes[l + 1];
        ct_buf in = ct_at(l ? av[l - 1] : x, 0);
        ST(ct_dense_backward_weight(dev, ct_at(G, lay->w_off[l]), ct_at(d[l], 0), in, B, nin, nout,
                                    0));
        ST(ct_bias_backward(dev, ct_at(G, lay->b_off[l]), ct_at(d[l], 0), B, nout, 0));
        if (l == 0) break;
        ST(ct_dense_backward_input(dev, ct_at(d[l - 1], 0), ct_at(d[l], 0), ct_at(P, lay->w_off[l]),
                                   B, nin, nout));
        ST(ct_act_backward(dev, ct_at(d[l - 1], 0), ct_at(d[l - 1], 0), ct_at(z[l - 1], 0),
                           a->act[l - 1], a->alpha[l - 1], B * nin));
    }
    for (int l = 0; l < L; l++) {
        size_t n = (size_t)B * a->sizes[l + 1];
        rd(&s, z[l], n, o->z[l]);
        rd(&s, av[l], n, o->a[l]);
        rd(&s, d[l], n, o->delta[l]);
    }
    rd(&s, G, np, o->grad);
    double lossd = 0;
    rd(&s, loss, 1, &lossd);
    o->loss = lossd;
    if (s.st == CT_OK)
        output_from_delta(a, o->z[L - 1], o->delta[L - 1], labels, T, B, o->a[L - 1]);
    if (step && s.st == CT_OK) {
        cl_mem M = mk(&s, np, NULL), V = mk(&s, np, NULL), gn = mk(&s, 1, NULL);
        ST(ct_fill(dev, ct_at(M, 0), 0, (int)np));
        ST(ct_fill(dev, ct_at(V, 0), 0, (int)np));
        if (step->clip_norm > 0) {
            cl_mem part = mk(&s, CT_RED_PARTIALS, NULL);
            ST(ct_sum_squares(dev, ct_at(gn, 0), ct_at(part, 0), ct_at(G, 0), (int)np));
        }
        ST(ct_optim_step(dev, step, ct_at(P, 0), ct_at(M, 0), ct_at(V, 0), ct_at(G, 0),
                         ct_at(gn, 0), 1, (int)np));
        rd(&s, P, np, o->params);
        rd(&s, M, np, o->m);
        rd(&s, V, np, o->v);
    }
    if (s.st != CT_OK) snprintf(msg, CT_MSG_LEN, "%s", ct_device_error(dev));
    for (int i = 0; i < s.n; i++)
        clReleaseMemObject(s.m[i]);
    return s.st;
}

/* ---- both ---------------------------------------------------------------------------------- */

ct_status ct_pass_run(ct_device *dev, const ct_arch *a, const float *params, const float *X,
                      const int *labels, const float *targets, int B, const ct_optim_params *step,
                      ct_pass *o, char msg[CT_MSG_LEN]) {
    memset(o, 0, sizeof *o);
    ct_status st = ct_arch_validate(a, msg);
    if (st != CT_OK) return st;
    if (B < 1) return ct_fail_msg(msg, CT_ERR_ARG, "the batch needs at least one row");
    int L = a->n_layers, C = a->sizes[L];
    for (int i = 0; a->loss == CT_LOSS_SOFTMAX_CE && i < B; i++)
        if (labels[i] < 0 || labels[i] >= C)
            return ct_fail_msg(msg, CT_ERR_ARG, "row %d: class %d is outside 0..%d", i + 1,
                               labels[i], C - 1);
    o->arch = *a;
    o->B = B;
    ct_arch_layout(a, &o->lay);
    size_t np = o->lay.n_params;
    int ok = 1;
    for (int l = 0; l < L; l++) {
        size_t n = (size_t)B * a->sizes[l + 1];
        ok &= (o->z[l] = calloc(n, sizeof(double))) && (o->a[l] = calloc(n, sizeof(double))) &&
              (o->delta[l] = calloc(n, sizeof(double)));
    }
    ok &= (o->grad = calloc(np, sizeof(double))) && (o->params = calloc(np, sizeof(double))) &&
          (o->m = calloc(np, sizeof(double))) && (o->v = calloc(np, sizeof(double)));
    if (!ok) {
        ct_pass_free(o);
        return ct_fail_msg(msg, CT_ERR_ALLOC, "out of host memory");
    }
    for (size_t i = 0; i < np; i++)
        o->params[i] = params[i];
    if (step) {
        o->stepped = 1;
        o->bc1 = 1 - (double)step->beta1;
        o->bc2 = 1 - (double)step->beta2;
    }
    if (dev) {
        st = device_pass(dev, a, &o->lay, params, X, labels, targets, B, step, o, msg);
    } else {
        size_t nx = (size_t)B * a->sizes[0], nt = (size_t)B * C;
        double *x = malloc(nx * sizeof(double)), *t = calloc(nt, sizeof(double));
        if (!x || !t) {
            free(x);
            free(t);
            ct_pass_free(o);
            return ct_fail_msg(msg, CT_ERR_ALLOC, "out of host memory");
        }
        for (size_t i = 0; i < nx; i++)
            x[i] = X[i];
        for (size_t i = 0; targets && i < nt; i++)
            t[i] = targets[i];
        ref_pass(a, &o->lay, o->params, x, labels, t, targets, B, o);
        if (step) {
            double gn = step->clip_norm > 0 ? ref_sum_squares(o->grad, (int)np) : 0;
            ref_optim_step(step, o->params, o->m, o->v, o->grad, gn, 1, (int)np);
        }
        free(x);
        free(t);
    }
    if (st != CT_OK) ct_pass_free(o);
    return st;
}
