/* The dense layer: its product, bias and (fused in, unless a norm comes between) activation,
 * forward and backward, on the device (ops.h) or on the host: the scalar reference, or CBLAS
 * (OpenBLAS) for the CPU comparator backend. */
#include <math.h>
#include <stdio.h>

#include "../net_internal.h"
#include "../ref.h"
#include "../rng.h"

#ifdef CT_HAVE_CBLAS
#include <cblas.h>
#endif

/* ---- the layer's description: its tensors and their initial values --------------------------- */

void ct_dense_init_params(const ct_arch *a, const ct_layout *lay, int i, const ct_init *init,
                          float bias_value, uint64_t seed, float *params) {
    /* one stream per layer, so a layer's weights do not depend on the sizes before it */
    ct_rng r = {seed ^ (0xA5A5A5A5ULL * (uint64_t)(i + 1))};
    double fan_in = a->sizes[i], fan_out = a->sizes[i + 1];
    ct_init_kind k = init->kind;
    if (k == CT_INIT_AUTO) {
        /* the activation this layer feeds: the next hidden activation, none for the output */
        int relu = i + 1 < a->n_layers && ct_relu_like(a->act[i]);
        k = relu ? CT_INIT_HE_NORMAL : CT_INIT_XAVIER_UNIFORM;
    }
    double std = 0, lim = 0;
    int normal = 0;
    switch (k) {
    case CT_INIT_HE_NORMAL: std = sqrt(2 / fan_in), normal = 1; break;
    case CT_INIT_HE_UNIFORM: lim = sqrt(6 / fan_in); break;
    case CT_INIT_XAVIER_NORMAL: std = sqrt(2 / (fan_in + fan_out)), normal = 1; break;
    case CT_INIT_XAVIER_UNIFORM: lim = sqrt(6 / (fan_in + fan_out)); break;
    case CT_INIT_LECUN_NORMAL: std = sqrt(1 / fan_in), normal = 1; break;
    case CT_INIT_LECUN_UNIFORM: lim = sqrt(3 / fan_in); break;
    case CT_INIT_NORMAL: std = init->param, normal = 1; break;
    case CT_INIT_UNIFORM: lim = init->param; break;
    default: break;
    }
    size_t nw = (size_t)a->sizes[i] * (size_t)a->sizes[i + 1];
    float *w = params + lay->w_off[i];
    for (size_t j = 0; j < nw; j++) {
        if (k == CT_INIT_ZEROS)
            w[j] = 0;
        else if (k == CT_INIT_ONES)
            w[j] = 1;
        else if (normal)
            w[j] = (float)(std * ct_rng_normal(&r));
        else
            w[j] = (float)(lim * (2 * ct_rng_uniform(&r) - 1));
    }
    for (int j = 0; j < a->sizes[i + 1]; j++)
        params[lay->b_off[i] + (size_t)j] = bias_value;
}

int ct_dense_tensor(const ct_arch *a, const ct_layout *lay, int l, int k, ct_tensor_info *out) {
    int in = a->sizes[l], o = a->sizes[l + 1];
    if (k < 0 || k > 1) return 0;
    snprintf(out->name, sizeof out->name, "layers.%d.%s", l, k ? "bias" : "weight");
    out->field = k ? "bias" : "weight";
    out->ndim = k ? 1 : 2;
    out->shape[0] = o;
    out->shape[1] = k ? 0 : in;
    out->off = k ? lay->b_off[l] : lay->w_off[l];
    out->count = k ? (size_t)o : (size_t)o * (size_t)in;
    out->learnable = 1;
    return 1;
}

/* ---- the passes ------------------------------------------------------------------------------ */

int ct_have_cblas(void) {
#ifdef CT_HAVE_CBLAS
    return 1;
#else
    return 0;
#endif
}

/* The three products of a dense layer on the host: the reference, or CBLAS for the CPU
 * comparator. Y = X W^T; dW = dY^T X; dX = dY W. */
void ct_dense_host_forward(const ct_net *net, double *Y, const double *X, const double *W, int B,
                           int in, int out) {
#ifdef CT_HAVE_CBLAS
    if (net->blas) {
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, out, in, 1.0, X, in, W, in, 0.0, Y,
                    out);
        return;
    }
#endif
    (void)net;
    ref_dense_forward(Y, X, W, B, in, out);
}

void ct_dense_host_backward_weight(const ct_net *net, double *dW, const double *dY, const double *X,
                                   int B, int in, int out) {
#ifdef CT_HAVE_CBLAS
    if (net->blas) {
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, B, 1.0, dY, out, X, in, 0.0,
                    dW, in);
        return;
    }
#endif
    (void)net;
    ref_dense_backward_weight(dW, dY, X, B, in, out, 0);
}

void ct_dense_host_backward_input(const ct_net *net, double *dX, const double *dY, const double *W,
                                  int B, int in, int out) {
#ifdef CT_HAVE_CBLAS
    if (net->blas) {
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, in, out, 1.0, dY, out, W, in, 0.0,
                    dX, in);
        return;
    }
#endif
    (void)net;
    ref_dense_backward_input(dX, dY, W, B, in, out);
}

ct_status ct_dense_layer_forward(ct_net *net, int l, cl_mem xmem, size_t xoff, const double *hx,
                                 int Bn, int training) {
    const ct_arch *a = &net->arch;
    int in = a->sizes[l], out = a->sizes[l + 1];
    int last = l + 1 == a->n_layers, normed = ct_norm_of(a, l) != CT_NORM_NONE;
    /* a normalized layer adds its bias alone; its activation follows the norm */
    ct_act act = last || normed ? CT_ACT_IDENTITY : a->act[l];
    float alpha = last || normed ? 0 : a->alpha[l];
    size_t xo = ct_net_input_off(net, l, training);
    if (net->dev) {
        ct_buf x = l == 0 ? B(xmem, xoff) : B(net->acts, xo);
        ct_buf z = B(net->acts, net->off_z[l]), av = B(net->acts, net->off_a[l]);
        DTRY(ct_dense_forward_bias_act(net->dev, last || normed ? z : av, z, x,
                                       B(net->params, net->lay.w_off[l]),
                                       B(net->params, net->lay.b_off[l]), act, alpha, Bn, in, out));
        return CT_OK;
    }
    const double *x = l == 0 ? hx : net->hacts + xo;
    double *z = net->hacts + net->off_z[l], *av = net->hacts + net->off_a[l];
    ct_dense_host_forward(net, z, x, net->hp + net->lay.w_off[l], Bn, in, out);
    ref_bias_act_forward(last || normed ? z : av, z, z, net->hp + net->lay.b_off[l], act, alpha, Bn,
                         out);
    return CT_OK;
}

ct_status ct_dense_layer_backward(ct_net *net, int l, int Bn, size_t dz, size_t dx) {
    const ct_arch *a = &net->arch;
    int in = a->sizes[l], out = a->sizes[l + 1], last = l + 1 == a->n_layers;
    size_t xin = ct_net_input_off(net, l, 1);
    if (net->dev) {
        ct_buf dZ = B(net->deltas, dz), X = B(net->acts, xin);
        DTRY(ct_dense_backward_weight(net->dev, B(net->grads, net->lay.w_off[l]), dZ, X, Bn, in,
                                      out, 0));
        /* the output layer's bias gradient, by the pass that gives a hidden layer's with its
         * activation (identity: the delta stays as it is, bit for bit, and a step needs one
         * kernel less) */
        if (last)
            DTRY(ct_act_bias_backward(net->dev, dZ, B(net->grads, net->lay.b_off[l]), dZ, dZ,
                                      CT_ACT_IDENTITY, 0, Bn, out, 0));
        if (l > 0)
            DTRY(ct_dense_backward_input(net->dev, B(net->deltas, dx), dZ,
                                         B(net->params, net->lay.w_off[l]), Bn, in, out));
        return CT_OK;
    }
    double *dZ = net->hdeltas + dz;
    ct_dense_host_backward_weight(net, net->hg + net->lay.w_off[l], dZ, net->hacts + xin, Bn, in,
                                  out);
    if (last) ref_bias_backward(net->hg + net->lay.b_off[l], dZ, Bn, out, 0);
    if (l > 0)
        ct_dense_host_backward_input(net, net->hdeltas + dx, dZ, net->hp + net->lay.w_off[l], Bn,
                                     in, out);
    return CT_OK;
}

ct_status ct_act_layer_backward(ct_net *net, int l, int Bn, size_t dx) {
    const ct_arch *a = &net->arch;
    int N = a->sizes[l + 1];
    if (net->dev) {
        ct_buf dX = B(net->deltas, dx);
        DTRY(ct_act_bias_backward(net->dev, dX, B(net->grads, net->lay.b_off[l]), dX,
                                  B(net->acts, net->off_z[l]), a->act[l], a->alpha[l], Bn, N, 0));
        return CT_OK;
    }
    double *dX = net->hdeltas + dx;
    ref_act_backward(dX, dX, net->hacts + net->off_z[l], a->act[l], a->alpha[l], Bn * N);
    ref_bias_backward(net->hg + net->lay.b_off[l], dX, Bn, N, 0);
    return CT_OK;
}

/* ---- in the list of layers ---------------------------------------------------------------------
 */

static ct_status dense_forward(ct_net *net, int l, ct_pass_ctx *c) {
    return ct_dense_layer_forward(net, l, c->xmem, c->xoff, c->hx, c->Bn, c->training);
}

/* A hidden layer without a norm first takes its activation and bias back (fused); then its dZ
 * is final (kept for explain), gives dW (and the output layer's db), and dZ W becomes the
 * current delta. */
static ct_status dense_backward(ct_net *net, int l, ct_pass_ctx *c) {
    const ct_arch *a = &net->arch;
    ct_status st;
    if (l + 1 < a->n_layers && ct_norm_of(a, l) == CT_NORM_NONE &&
        (st = ct_act_layer_backward(net, l, c->Bn, c->dz)) != CT_OK)
        return st;
    if ((st = ct_net_keep_delta(net, l, c->Bn, c->dz)) != CT_OK ||
        (st = ct_dense_layer_backward(net, l, c->Bn, c->dz, c->dx)) != CT_OK)
        return st;
    size_t next = c->dx;
    c->dx = c->dz;
    c->dz = next;
    return CT_OK;
}

const ct_layer_ops ct_dense_layer_ops = {"dense", dense_forward, dense_backward};
