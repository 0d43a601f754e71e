/* Dropout after a hidden layer's activation: each element kept with probability 1 - p and
 * scaled by 1 / (1 - p), the decision keyed by (seed, step, layer) and the element's place in
 * the whole batch (so a batch shared by ranks drops what one process drops). */
#include "../net_internal.h"
#include "../ref.h"

ct_status ct_dropout_layer_forward(ct_net *net, int l, int Bn, uint64_t seed, long long t) {
    const ct_arch *a = &net->arch;
    int out = a->sizes[l + 1];
    if (net->dev) {
        DTRY(ct_dropout_forward_at(
            net->dev, B(net->acts, net->off_d[l]), B(net->acts, net->off_a[l]), a->dropout[l], seed,
            (unsigned long long)t, (unsigned)l, Bn * out, (unsigned)net->row0 * (unsigned)out));
        return CT_OK;
    }
    ref_dropout_forward_at(net->hacts + net->off_d[l], net->hacts + net->off_a[l], a->dropout[l],
                           seed, (uint64_t)t, (uint32_t)l, Bn * out,
                           (uint32_t)net->row0 * (uint32_t)out);
    return CT_OK;
}

ct_status ct_dropout_layer_backward(ct_net *net, int l, int Bn, size_t dx, uint64_t seed,
                                    long long t) {
    const ct_arch *a = &net->arch;
    int n = a->sizes[l + 1];
    if (net->dev) {
        ct_buf dX = B(net->deltas, dx);
        DTRY(ct_dropout_backward_at(net->dev, dX, dX, a->dropout[l], seed, (unsigned long long)t,
                                    (unsigned)l, Bn * n, (unsigned)net->row0 * (unsigned)n));
        return CT_OK;
    }
    double *dX = net->hdeltas + dx;
    ref_dropout_backward_at(dX, dX, a->dropout[l], seed, (uint64_t)t, (uint32_t)l, Bn * n,
                            (uint32_t)net->row0 * (uint32_t)n);
    return CT_OK;
}

/* ---- in the list of layers: dropout only in training passes ------------------------------------
 */

static ct_status dropout_layer_forward(ct_net *net, int l, ct_pass_ctx *c) {
    return c->training ? ct_dropout_layer_forward(net, l, c->Bn, c->seed, c->t) : CT_OK;
}

static ct_status dropout_layer_backward(ct_net *net, int l, ct_pass_ctx *c) {
    return net->fwd_training ? ct_dropout_layer_backward(net, l, c->Bn, c->dz, c->seed, c->t)
                             : CT_OK;
}

const ct_layer_ops ct_dropout_layer_ops = {"dropout", dropout_layer_forward,
                                           dropout_layer_backward};
