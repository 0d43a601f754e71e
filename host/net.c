/* The training engine (ct_net, see model.h): buffers, data slots, the forward and backward
 * passes over the layers, the optimizer step, evaluation, prediction, the tensors for explain and
 * --verify, and the per-layer statistics, on the device or on the scalar reference. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net_internal.h"
#include "ref.h"

static void build_list(ct_net *net);

ct_status ct_net_fail(ct_net *net, ct_status s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(net->err, sizeof net->err, fmt, ap);
    va_end(ap);
    return s;
}

/* After a failed op on the device: copy the device's message. */
ct_status ct_net_dev_fail(ct_net *net, ct_status s) {
    snprintf(net->err, sizeof net->err, "%s", ct_device_error(net->dev));
    return s;
}

#define DTRY(expr)                                                                                 \
    do {                                                                                           \
        ct_status st_ = (expr);                                                                    \
        if (st_ != CT_OK) return ct_net_dev_fail(net, st_);                                        \
    } while (0)

/* ---- the engine -------------------------------------------------------------------------- */

const char *ct_net_error(const ct_net *net) { return net ? net->err : ""; }
ct_device *ct_net_device(const ct_net *net) { return net->dev; }

const ct_arch *ct_net_arch(const ct_net *net) { return &net->arch; }
const ct_layout *ct_net_layout(const ct_net *net) { return &net->lay; }
ct_backend ct_net_backend(const ct_net *net) {
    return net->dev ? CT_BACKEND_OPENCL : net->blas ? CT_BACKEND_CPU : CT_BACKEND_REFERENCE;
}

static void slot_free(ct_net *net, slot_data *s) {
    (void)net;
    if (s->X) clReleaseMemObject(s->X);
    if (s->T) clReleaseMemObject(s->T);
    free(s->hX);
    free(s->hT);
    free(s->hL);
    memset(s, 0, sizeof *s);
}

void ct_net_destroy(ct_net *net) {
    if (!net) return;
    for (int i = 0; i < CT_SLOT_COUNT; i++)
        slot_free(net, &net->slots[i]);
    cl_mem mems[] = {net->params, net->grads,  net->m,       net->v,      net->best,
                     net->acts,   net->deltas, net->scratch, net->losses, net->maes};
    for (size_t i = 0; i < sizeof mems / sizeof mems[0]; i++)
        if (mems[i]) clReleaseMemObject(mems[i]);
    if (net->stats) clReleaseMemObject(net->stats);
    if (net->kept) clReleaseMemObject(net->kept);
    free(net->hkept);
    free(net->hexchange);
    free(net->hstat);
    free(net->hp);
    free(net->hg);
    free(net->hm);
    free(net->hv);
    free(net->hbest);
    free(net->hacts);
    free(net->hdeltas);
    free(net->hrowloss);
    free(net->hlosses);
    free(net->hmaes);
    free(net->hlabels_b);
    free(net);
}

static double mib(double bytes) { return bytes / (1024.0 * 1024.0); }

static ct_status alloc_dev(ct_net *net, cl_mem *m, size_t floats, const char *what) {
    const ct_device_info *di = ct_device_get_info(net->dev);
    if (di->max_alloc && floats * sizeof(float) > di->max_alloc)
        return ct_net_fail(
            net, CT_ERR_ALLOC,
            "%s need %.1f MiB in one buffer, but %s allows at most %.1f MiB per buffer (%.1f MiB "
            "of global memory)",
            what, mib((double)floats * sizeof(float)), di->name, mib((double)di->max_alloc),
            mib((double)di->global_mem));
    ct_status st = ct_buffer_create(net->dev, m, floats * sizeof(float), what);
    if (st != CT_OK) {
        const ct_device_info *i = ct_device_get_info(net->dev);
        return ct_net_fail(
            net, st, "allocating %s (%zu bytes) on %s (%llu bytes of global memory): %s", what,
            floats * sizeof(float), i->name, i->global_mem, ct_device_error(net->dev));
    }
    return CT_OK;
}

static double *alloc_host(ct_net *net, size_t n, ct_status *st) {
    double *p = calloc(n ? n : 1, sizeof(double));
    if (!p && *st == CT_OK)
        *st = ct_net_fail(net, CT_ERR_ALLOC, "out of host memory (%zu doubles)", n);
    return p;
}

ct_status ct_net_create(ct_net **out, ct_device *dev, const ct_arch *a, int max_batch,
                        const ct_optim_params *o, char msg[CT_MSG_LEN]) {
    return ct_net_create_backend(out, dev ? CT_BACKEND_OPENCL : CT_BACKEND_REFERENCE, dev, a,
                                 max_batch, o, msg);
}

ct_status ct_net_create_backend(ct_net **out, ct_backend backend, ct_device *dev, const ct_arch *a,
                                int max_batch, const ct_optim_params *o, char msg[CT_MSG_LEN]) {
    *out = NULL;
    if (backend == CT_BACKEND_OPENCL && !dev) {
        snprintf(msg, CT_MSG_LEN, "the OpenCL backend needs a device");
        return CT_ERR_ARG;
    }
    if (backend == CT_BACKEND_CPU && !ct_have_cblas()) {
        snprintf(msg, CT_MSG_LEN,
                 "the CPU comparator needs CBLAS (OpenBLAS), which was not found at build time "
                 "(apt-get install libopenblas-dev)");
        return CT_ERR_ARG;
    }
    if (backend != CT_BACKEND_OPENCL) dev = NULL;
    ct_status st = ct_arch_validate(a, msg);
    if (st != CT_OK) return st;
    if (max_batch < 1) {
        snprintf(msg, CT_MSG_LEN, "batch size must be >= 1, got %d", max_batch);
        return CT_ERR_ARG;
    }
    ct_net *net = calloc(1, sizeof *net);
    if (!net) {
        snprintf(msg, CT_MSG_LEN, "out of host memory");
        return CT_ERR_ALLOC;
    }
    net->dev = dev;
    net->blas = backend == CT_BACKEND_CPU;
    net->arch = *a;
    build_list(net);
    ct_arch_layout(a, &net->lay);
    net->optim = *o;
    net->max_batch = max_batch;
    net->outputs = a->sizes[a->n_layers];
    for (int i = 0; i <= a->n_layers; i++)
        if (a->sizes[i] > net->width) net->width = a->sizes[i];
    /* activation arena layout */
    size_t off = 0, mb = (size_t)max_batch;
    net->off_xb = off;
    off += mb * (size_t)a->sizes[0];
    net->off_tb = off;
    off += mb * (size_t)net->outputs;
    for (int l = 0; l < a->n_layers; l++) {
        size_t w = mb * (size_t)a->sizes[l + 1];
        net->off_z[l] = off;
        off += w;
        net->off_a[l] = off;
        off += w;
        net->off_d[l] = off;
        if (l + 1 < a->n_layers && a->dropout[l] > 0) off += w;
        if (ct_norm_of(a, l) != CT_NORM_NONE) {
            size_t st_n = mb > (size_t)a->sizes[l + 1] ? mb : (size_t)a->sizes[l + 1];
            net->off_y[l] = off;
            off += w;
            net->off_mu[l] = off;
            off += st_n;
            net->off_var[l] = off;
            off += st_n;
        }
    }
    size_t acts_n = off;
    size_t delta_n = 2 * mb * (size_t)net->width;
    net->off_rowloss = 0;
    net->off_gnorm = mb;
    net->off_partials = mb + 1;
    net->off_wsq = mb + 1 + CT_RED_PARTIALS;
    net->off_count = mb + 2 + CT_RED_PARTIALS;
    net->off_nsum = mb + 3 + CT_RED_PARTIALS;
    size_t scratch_n = mb + 3 + CT_RED_PARTIALS + 2 * (size_t)net->width;
    net->n_loss_slots = 1;
    size_t np = net->lay.n_params;
    if (dev) {
        /* everything the engine keeps on the device, checked before the first allocation */
        const ct_device_info *di = ct_device_get_info(dev);
        double need = 4.0 * ((double)np * 4 + (double)acts_n + (double)delta_n + (double)scratch_n);
        if (di->global_mem && need > (double)di->global_mem) {
            st = ct_net_fail(
                net, CT_ERR_ALLOC,
                "the network needs %.1f MiB on %s (%zu parameters with their gradients and "
                "optimizer "
                "state: %.1f MiB; activations for batch %d: %.1f MiB), but the device has %.1f MiB",
                mib(need), di->name, np, mib(16.0 * (double)np), max_batch,
                mib(4.0 * ((double)acts_n + (double)delta_n)), mib((double)di->global_mem));
            goto fail;
        }
        if ((st = alloc_dev(net, &net->params, np, "the parameters")) ||
            (st = alloc_dev(net, &net->grads, np, "the gradients")) ||
            (st = alloc_dev(net, &net->m, np, "the optimizer's first moments")) ||
            (st = alloc_dev(net, &net->v, np, "the optimizer's second moments")) ||
            (st = alloc_dev(net, &net->acts, acts_n, "the activations")) ||
            (st = alloc_dev(net, &net->deltas, delta_n, "the error signals")) ||
            (st = alloc_dev(net, &net->scratch, scratch_n, "scratch space")) ||
            (st = alloc_dev(net, &net->losses, 1, "the loss slots")) ||
            (st = alloc_dev(net, &net->maes, 1, "the error slots")))
            goto fail;
    } else {
        net->hp = alloc_host(net, np, &st);
        net->hg = alloc_host(net, np, &st);
        net->hm = alloc_host(net, np, &st);
        net->hv = alloc_host(net, np, &st);
        net->hacts = alloc_host(net, acts_n, &st);
        net->hdeltas = alloc_host(net, delta_n, &st);
        /* the row losses, and a batch norm's sums across ranks */
        net->hrowloss =
            alloc_host(net, mb > 2 * (size_t)net->width ? mb : 2 * (size_t)net->width, &st);
        net->hlosses = alloc_host(net, 1, &st);
        net->hmaes = alloc_host(net, 1, &st);
        net->hlabels_b = calloc(mb, sizeof(int));
        if (!net->hlabels_b && st == CT_OK)
            st = ct_net_fail(net, CT_ERR_ALLOC, "out of host memory");
        if (st != CT_OK) goto fail;
    }
    if ((st = ct_net_reset_state(net)) != CT_OK) goto fail;
    *out = net;
    return CT_OK;
fail:
    snprintf(msg, CT_MSG_LEN, "%s", net->err);
    ct_net_destroy(net);
    return st;
}

ct_status ct_net_set_optim(ct_net *net, const ct_optim_params *o) {
    net->optim = *o;
    return CT_OK;
}

ct_status ct_net_reset_state(ct_net *net) {
    int n = (int)net->lay.n_params;
    if (net->dev) {
        DTRY(ct_fill(net->dev, B(net->m, 0), 0.0f, n));
        DTRY(ct_fill(net->dev, B(net->v, 0), 0.0f, n));
        DTRY(ct_fill(net->dev, B(net->scratch, net->off_count), 0.0f, 1));
        DTRY(ct_fill(net->dev, B(net->scratch, net->off_gnorm), 0.0f, 1));
        DTRY(ct_fill(net->dev, B(net->grads, 0), 0.0f, n)); /* --stats before any step: 0 */
    } else {
        memset(net->hm, 0, (size_t)n * sizeof(double));
        memset(net->hv, 0, (size_t)n * sizeof(double));
        memset(net->hg, 0, (size_t)n * sizeof(double));
        net->hcount = 0;
    }
    return CT_OK;
}

/* host floats <-> a device buffer or a reference array */
static ct_status put(ct_net *net, cl_mem m, double *h, const float *src, size_t n) {
    if (net->dev) {
        DTRY(ct_buffer_write(net->dev, m, 0, n * sizeof(float), src));
    } else {
        for (size_t i = 0; i < n; i++)
            h[i] = src[i];
    }
    return CT_OK;
}

static ct_status get(ct_net *net, cl_mem m, const double *h, float *dst, size_t n) {
    if (net->dev) {
        DTRY(ct_buffer_read(net->dev, m, 0, n * sizeof(float), dst));
    } else {
        for (size_t i = 0; i < n; i++)
            dst[i] = (float)h[i];
    }
    return CT_OK;
}

ct_status ct_net_set_params(ct_net *net, const float *p) {
    return put(net, net->params, net->hp, p, net->lay.n_params);
}
ct_status ct_net_get_params(ct_net *net, float *p) {
    return get(net, net->params, net->hp, p, net->lay.n_params);
}
ct_status ct_net_set_state(ct_net *net, int which, const float *s) {
    return put(net, which ? net->v : net->m, which ? net->hv : net->hm, s, net->lay.n_params);
}
ct_status ct_net_get_state(ct_net *net, int which, float *s) {
    return get(net, which ? net->v : net->m, which ? net->hv : net->hm, s, net->lay.n_params);
}

/* ---- data slots -------------------------------------------------------------------------- */

/* Uploads n rows: features X (n, inputs); labels (n) for ce and bce (0/1), or float targets
 * T (n, outputs) for the others (bce: also T, 0..1). Checked by the caller. */
static ct_status net_upload_rows(ct_net *net, int slot, int n, const float *X,
                                 const int32_t *labels, const float *T, const char *source) {
    const ct_arch *a = &net->arch;
    int ce = a->loss == CT_LOSS_SOFTMAX_CE, bce = a->loss == CT_LOSS_SIGMOID_BCE;
    slot_data *s = &net->slots[slot];
    slot_free(net, s);
    s->n = n;
    s->int_labels = ce;
    s->tcols = ce || bce ? 1 : net->outputs;
    size_t nx = (size_t)n * a->sizes[0], nt = (size_t)n * s->tcols;
    float *t = malloc(nt * sizeof(float));
    if (!t) return ct_net_fail(net, CT_ERR_ALLOC, "out of host memory uploading %s", source);
    for (size_t i = 0; i < nt; i++) {
        if (ce) {
            int32_t lab = labels[i];
            memcpy(&t[i], &lab, 4); /* int bits, moved unchanged by gather_perm */
        } else if (bce && labels) {
            t[i] = (float)labels[i];
        } else {
            t[i] = T[i];
        }
    }
    ct_status st = CT_OK;
    if (net->dev) {
        if ((st = alloc_dev(net, &s->X, nx, "a dataset's features")) ||
            (st = alloc_dev(net, &s->T, nt, "a dataset's targets")))
            goto done;
        if ((st = ct_buffer_write(net->dev, s->X, 0, nx * sizeof(float), X)) ||
            (st = ct_buffer_write(net->dev, s->T, 0, nt * sizeof(float), t))) {
            st = ct_net_dev_fail(net, st);
            goto done;
        }
    } else {
        s->hX = alloc_host(net, nx, &st);
        s->hT = alloc_host(net, nt, &st);
        s->hL = calloc((size_t)n, sizeof(int));
        if (!s->hL && st == CT_OK) st = ct_net_fail(net, CT_ERR_ALLOC, "out of host memory");
        if (st != CT_OK) goto done;
        for (size_t i = 0; i < nx; i++)
            s->hX[i] = X[i];
        for (size_t i = 0; i < nt; i++)
            s->hT[i] = ce ? 0 : t[i];
        if (ce)
            for (int i = 0; i < n; i++)
                s->hL[i] = labels[i];
    }
    /* enough loss slots for one epoch of this slot at the smallest batch size (1 row) */
    size_t need = (size_t)n + 1;
    if (need > net->n_loss_slots) {
        if (net->dev) {
            cl_mem bigger = NULL, bigger_e = NULL;
            if ((st = alloc_dev(net, &bigger, need, "the loss slots")) != CT_OK) goto done;
            if ((st = alloc_dev(net, &bigger_e, need, "the error slots")) != CT_OK) {
                clReleaseMemObject(bigger);
                goto done;
            }
            clReleaseMemObject(net->losses);
            clReleaseMemObject(net->maes);
            net->losses = bigger;
            net->maes = bigger_e;
        } else {
            double *bigger = realloc(net->hlosses, need * sizeof(double));
            if (bigger) net->hlosses = bigger;
            double *bigger_e = bigger ? realloc(net->hmaes, need * sizeof(double)) : NULL;
            if (bigger_e) net->hmaes = bigger_e;
            if (!bigger || !bigger_e) {
                st = ct_net_fail(net, CT_ERR_ALLOC, "out of host memory");
                goto done;
            }
        }
        net->n_loss_slots = need;
    }
done:
    free(t);
    if (st != CT_OK) slot_free(net, s);
    return st;
}

ct_status ct_net_upload_arrays(ct_net *net, int slot, int n, const float *X, const int32_t *labels,
                               const float *T) {
    const ct_arch *a = &net->arch;
    if (slot < 0 || slot >= CT_SLOT_COUNT)
        return ct_net_fail(net, CT_ERR_ARG, "unknown data slot %d", slot);
    if (n < 1 || !X) return ct_net_fail(net, CT_ERR_ARG, "no rows to upload");
    if (a->loss == CT_LOSS_SOFTMAX_CE) {
        if (!labels) return ct_net_fail(net, CT_ERR_ARG, "softmax cross-entropy needs labels");
        for (int i = 0; i < n; i++)
            if (labels[i] < 0 || labels[i] >= net->outputs)
                return ct_net_fail(net, CT_ERR_ARG, "row %d: class %d is outside 0..%d", i + 1,
                                   labels[i], net->outputs - 1);
    } else if (!T) {
        return ct_net_fail(net, CT_ERR_ARG, "the loss %s needs targets", ct_loss_name(a->loss));
    }
    return net_upload_rows(net, slot, n, X, a->loss == CT_LOSS_SOFTMAX_CE ? labels : NULL, T,
                           "the rows");
}

ct_status ct_net_upload(ct_net *net, int slot, const ct_dataset *d) {
    if (slot < 0 || slot >= CT_SLOT_COUNT)
        return ct_net_fail(net, CT_ERR_ARG, "unknown data slot %d", slot);
    const ct_arch *a = &net->arch;
    if (d->features != a->sizes[0])
        return ct_net_fail(net, CT_ERR_ARG, "%s has %d features but the network takes %d inputs",
                           d->source, d->features, a->sizes[0]);
    if (d->n < 1) return ct_net_fail(net, CT_ERR_ARG, "%s has no rows", d->source);
    int ce = a->loss == CT_LOSS_SOFTMAX_CE, bce = a->loss == CT_LOSS_SIGMOID_BCE;
    int classes = d->task == CT_TASK_CLASSIFICATION;
    if ((ce || bce) && !classes)
        return ct_net_fail(net, CT_ERR_ARG,
                           "%s holds a regression target but the loss %s needs class labels",
                           d->source, ct_loss_name(a->loss));
    if (ce && d->n_classes > net->outputs)
        return ct_net_fail(net, CT_ERR_ARG, "%s has %d classes but the network has %d outputs",
                           d->source, d->n_classes, net->outputs);
    if (bce && net->outputs != 1)
        return ct_net_fail(net, CT_ERR_ARG,
                           "binary cross-entropy with %d outputs needs multi-label targets; "
                           "use 1 output for 2 classes",
                           net->outputs);
    if (bce && d->n_classes > 2)
        return ct_net_fail(net, CT_ERR_ARG, "%s has %d classes; one sigmoid output takes 2",
                           d->source, d->n_classes);
    if (!ce && !bce && classes)
        return ct_net_fail(net, CT_ERR_ARG,
                           "%s holds class labels but the loss %s needs a regression target",
                           d->source, ct_loss_name(a->loss));
    if (!ce && !bce && d->outputs != net->outputs)
        return ct_net_fail(net, CT_ERR_ARG,
                           "%s has %d target columns but the network has %d outputs", d->source,
                           d->outputs, net->outputs);
    return net_upload_rows(net, slot, d->n, d->X, ce || bce ? d->labels : NULL,
                           ce || bce ? NULL : d->Y, d->source);
}

int ct_net_rows(const ct_net *net, int slot) { return net->slots[slot].n; }

/* ---- forward and backward ------------------------------------------------------------------ */

/* The input of layer l: the batch, or the previous layer's activation (after dropout). */

/* Forward over Bn rows whose inputs are at (xmem, xoff) (device) / hx (reference). The logits end
 * in Z of the last layer. training: dropout and batch statistics. */
static const ct_layer_ops *const layer_ops[CT_LAYER_KINDS] = {
    &ct_dense_layer_ops, &ct_norm_layer_ops, &ct_dropout_layer_ops};

/* The ordered list of layers of the architecture (see net_internal.h). */
static void build_list(ct_net *net) {
    const ct_arch *a = &net->arch;
    net->n_list = 0;
    for (int l = 0; l < a->n_layers; l++) {
        net->list[net->n_list++] = (ct_layer){CT_LAYER_DENSE, l};
        if (ct_norm_of(a, l) != CT_NORM_NONE)
            net->list[net->n_list++] = (ct_layer){CT_LAYER_NORM, l};
        if (l + 1 < a->n_layers && a->dropout[l] > 0)
            net->list[net->n_list++] = (ct_layer){CT_LAYER_DROPOUT, l};
    }
}

/* Forward over Bn rows whose inputs are at (xmem, xoff) (device) / hx (reference): every layer
 * of the list in order. The logits end in Z of the last layer. training: dropout and batch
 * statistics. */
static ct_status forward(ct_net *net, cl_mem xmem, size_t xoff, const double *hx, int Bn,
                         int training, uint64_t seed, long long t) {
    ct_pass_ctx c = {Bn, training, seed, t, xmem, xoff, hx, 0, 0};
    net->fwd_training = training;
    for (int k = 0; k < net->n_list; k++) {
        const ct_layer *y = &net->list[k];
        ct_status st = layer_ops[y->kind]->forward(net, y->l, &c);
        if (st != CT_OK) return st;
    }
    return CT_OK;
}

/* The loss of the logits against targets at (tmem, toff) / (hT or hL) into loss slot `at`,
 * with the gradient into delta 0 when grad; accuracy into the counter (a classifier), or the
 * mean absolute error into error slot `at` (a regression). */
static ct_status loss_and_count(ct_net *net, cl_mem tmem, size_t toff, const double *hT,
                                const int *hL, int Bn, int Btotal, int grad, int at) {
    const ct_arch *a = &net->arch;
    int C = net->outputs, L = a->n_layers;
    if (net->dev) {
        ct_buf z = B(net->acts, net->off_z[L - 1]), t = B(tmem, toff);
        /* the accuracy is counted by the loss kernel itself */
        int counts = ct_loss_flags(a->loss) & CT_LOSSF_CLASSES;
        DTRY(ct_loss_forward_backward_count(
            net->dev, a->loss, B(net->losses, (size_t)at), grad ? B(net->deltas, 0) : B(NULL, 0),
            B(net->scratch, net->off_rowloss), z, t, Bn, C, a->huber_delta, 0, Btotal,
            counts ? B(net->scratch, net->off_count) : B(NULL, 0)));
        /* after the loss's reduction has read the row losses (an in-order queue) */
        if (!counts)
            DTRY(ct_abs_error(net->dev, B(net->maes, (size_t)at), B(net->scratch, net->off_rowloss),
                              z, t, Bn, C, Btotal));
    } else {
        const double *z = net->hacts + net->off_z[L - 1];
        net->hlosses[at] = ref_loss_part(a->loss, grad ? net->hdeltas : NULL, net->hrowloss, z, hL,
                                         hT, Bn, C, a->huber_delta, Btotal);
        if (a->loss == CT_LOSS_SOFTMAX_CE)
            net->hcount += ref_argmax_correct(z, hL, Bn, C);
        else if (a->loss == CT_LOSS_SIGMOID_BCE)
            net->hcount += ref_binary_correct(z, hT, Bn * C);
        else
            net->hmaes[at] = ref_abs_error(z, hT, Bn, C, Btotal);
    }
    return CT_OK;
}

/* Copies layer l's dL/dZ (at dz in the deltas) aside when the engine keeps them. */
ct_status ct_net_keep_delta(ct_net *net, int l, int Bn, size_t dz) {
    size_t n = (size_t)Bn * net->arch.sizes[l + 1];
    if (!net->kept && !net->hkept) return CT_OK;
    if (!net->dev) {
        memcpy(net->hkept + net->off_kept[l], net->hdeltas + dz, n * sizeof(double));
        return CT_OK;
    }
    cl_int e =
        clEnqueueCopyBuffer(net->dev->queue, net->deltas, net->kept, dz * sizeof(float),
                            net->off_kept[l] * sizeof(float), n * sizeof(float), 0, NULL, NULL);
    if (e != CL_SUCCESS)
        return ct_net_fail(net, CT_ERR_OPENCL, "keeping a delta: clEnqueueCopyBuffer failed: %s",
                           ct_cl_error_name(e));
    return CT_OK;
}

/* From the loss's dL/dZ of the output layer in delta 0: every layer of the list from the last
 * (each dense layer moves the delta to the other half of the deltas). */
static ct_status backward(ct_net *net, int Bn, uint64_t seed, long long t) {
    ct_pass_ctx c = {Bn, 1, seed, t, NULL, 0, NULL, 0, (size_t)net->max_batch * (size_t)net->width};
    for (int k = net->n_list - 1; k >= 0; k--) {
        const ct_layer *y = &net->list[k];
        ct_status st = layer_ops[y->kind]->backward(net, y->l, &c);
        if (st != CT_OK) return st;
    }
    return CT_OK;
}

static ct_status shard(ct_net *net, int slot, int start, int row0, int Bn, int Btotal,
                       uint64_t seed, uint64_t epoch, long long t, int loss_at, int shuffle,
                       int training, int grad);

ct_status ct_net_shard_grad(ct_net *net, int slot, int start, int row0, int Bn, int Btotal,
                            uint64_t seed, uint64_t epoch, long long t, int loss_at) {
    return shard(net, slot, start, row0, Bn, Btotal, seed, epoch, t, loss_at, !net->keep_order, 1,
                 1);
}

ct_status ct_net_pass(ct_net *net, int slot, int Bn, int training, int grad) {
    if (Bn < 1) return ct_net_fail(net, CT_ERR_ARG, "a pass needs at least one row");
    return shard(net, slot, 0, 0, Bn, Bn, 0, 0, 0, 0, 0, training, grad);
}

ct_status ct_net_keep_deltas(ct_net *net) {
    const ct_arch *a = &net->arch;
    size_t n = 0;
    for (int l = 0; l < a->n_layers; l++) {
        net->off_kept[l] = n;
        n += (size_t)net->max_batch * a->sizes[l + 1];
    }
    if (net->kept || net->hkept) return CT_OK;
    if (net->dev) return alloc_dev(net, &net->kept, n, "the kept deltas");
    ct_status st = CT_OK;
    net->hkept = alloc_host(net, n, &st);
    return st;
}

ct_status ct_net_set_params_f64(ct_net *net, const double *p) {
    if (net->dev) return ct_net_fail(net, CT_ERR_ARG, "double parameters are the reference's");
    memcpy(net->hp, p, net->lay.n_params * sizeof(double));
    return CT_OK;
}

double ct_net_loss_f64(const ct_net *net, int at) {
    return net->dev || at < 0 || (size_t)at >= net->n_loss_slots ? NAN : net->hlosses[at];
}

static ct_status shard(ct_net *net, int slot, int start, int row0, int Bn, int Btotal,
                       uint64_t seed, uint64_t epoch, long long t, int loss_at, int shuffle,
                       int training, int grad) {
    slot_data *s = &net->slots[slot];
    const ct_arch *a = &net->arch;
    int F = a->sizes[0];
    if (!s->n) return ct_net_fail(net, CT_ERR_ARG, "no data uploaded to slot %d", slot);
    if (Btotal < 1 || start < 0 || start + Btotal > s->n || row0 < 0 || Bn < 0 ||
        row0 + Bn > Btotal || Bn > net->max_batch)
        return ct_net_fail(net, CT_ERR_ARG,
                           "rows %d..%d of a batch of %d rows at %d do not fit (max batch %d, %d "
                           "rows)",
                           row0, row0 + Bn - 1, Btotal, start, net->max_batch, s->n);
    if (loss_at < 0 || (size_t)loss_at >= net->n_loss_slots)
        return ct_net_fail(net, CT_ERR_ARG, "loss slot %d out of range", loss_at);
    int np = (int)net->lay.n_params;
    ct_status st;
    net->row0 = row0;
    net->btotal = Btotal;
    if (Bn < Btotal && (!net->comm || net->comm->size <= 1))
        for (int l = 0; l + 1 < a->n_layers; l++)
            if (a->norm[l] == CT_NORM_BATCH)
                return ct_net_fail(
                    net, CT_ERR_ARG,
                    "batch norm over a batch shared by several processes needs their "
                    "communicator (ct_net_set_comm)");
    if (Bn == 0 && (st = ct_norm_idle(net)) != CT_OK) return st;
    if (net->dev) {
        if (Bn == 0) { /* an empty share: no gradient, no loss */
            DTRY(ct_fill(net->dev, B(net->grads, 0), 0.0f, np));
            DTRY(ct_fill(net->dev, B(net->losses, (size_t)loss_at), 0.0f, 1));
            DTRY(ct_fill(net->dev, B(net->maes, (size_t)loss_at), 0.0f, 1));
            return CT_OK;
        }
        /* the shuffled batch: features and targets by the same permutation */
        DTRY(ct_gather_perm(net->dev, B(net->acts, net->off_xb), B(s->X, 0), Bn, F, start + row0,
                            s->n, shuffle, seed, epoch));
        DTRY(ct_gather_perm(net->dev, B(net->acts, net->off_tb), B(s->T, 0), Bn, s->tcols,
                            start + row0, s->n, shuffle, seed, epoch));
        if ((st = forward(net, net->acts, net->off_xb, NULL, Bn, training, seed, t)) != CT_OK)
            return st;
        if ((st = loss_and_count(net, net->acts, net->off_tb, NULL, NULL, Bn, Btotal, grad,
                                 loss_at)) != CT_OK)
            return st;
        return grad ? backward(net, Bn, seed, t) : CT_OK;
    }
    if (Bn == 0) {
        memset(net->hg, 0, (size_t)np * sizeof(double));
        net->hlosses[loss_at] = 0;
        net->hmaes[loss_at] = 0;
        return CT_OK;
    }
    int *rows = net->hlabels_b; /* reused: the batch's source rows, then its labels */
    ref_epoch_rows(rows, Bn, start + row0, s->n, shuffle, seed, epoch);
    double *xb = net->hacts + net->off_xb, *tb = net->hacts + net->off_tb;
    ref_gather_rows(xb, s->hX, rows, Bn, F);
    ref_gather_rows(tb, s->hT, rows, Bn, s->tcols);
    for (int i = 0; i < Bn; i++)
        rows[i] = s->hL ? s->hL[rows[i]] : 0;
    if ((st = forward(net, NULL, 0, xb, Bn, training, seed, t)) != CT_OK) return st;
    if ((st = loss_and_count(net, NULL, 0, tb, rows, Bn, Btotal, grad, loss_at)) != CT_OK)
        return st;
    return grad ? backward(net, Bn, seed, t) : CT_OK;
}

/* The optimizer moves the learnable parameters [0, n_train): the dense layers' with the weight
 * decay, the norms' gamma and beta [n_dense, n_train) without it; the l2 term is the weights'
 * alone. The running statistics after n_train are not the optimizer's. */
ct_status ct_net_apply_grads(ct_net *net, long long t, float lr, float l2) {
    int nd = (int)net->lay.n_dense, nt = (int)net->lay.n_train;
    ct_optim_params o = net->optim, on;
    o.lr = lr;
    on = o;
    on.weight_decay = 0;
    if (net->dev) {
        ct_buf gn = B(net->scratch, net->off_gnorm);
        if (l2 > 0)
            DTRY(ct_axpy(net->dev, B(net->grads, 0), B(net->params, 0), l2,
                         (int)net->lay.n_weights));
        if (o.clip_norm > 0)
            DTRY(ct_sum_squares(net->dev, gn, B(net->scratch, net->off_partials), B(net->grads, 0),
                                nt));
        DTRY(ct_optim_step(net->dev, &o, B(net->params, 0), B(net->m, 0), B(net->v, 0),
                           B(net->grads, 0), gn, t, nd));
        if (nt > nd)
            DTRY(ct_optim_step(net->dev, &on, B(net->params, (size_t)nd), B(net->m, (size_t)nd),
                               B(net->v, (size_t)nd), B(net->grads, (size_t)nd), gn, t, nt - nd));
        return CT_OK;
    }
    if (l2 > 0) ref_axpy(net->hg, net->hp, l2, (int)net->lay.n_weights);
    double gn = o.clip_norm > 0 ? ref_sum_squares(net->hg, nt) : 0;
    ref_optim_step(&o, net->hp, net->hm, net->hv, net->hg, gn, t, nd);
    if (nt > nd)
        ref_optim_step(&on, net->hp + nd, net->hm + nd, net->hv + nd, net->hg + nd, gn, t, nt - nd);
    return CT_OK;
}

void ct_net_set_comm(ct_net *net, const ct_comm *comm) { net->comm = comm; }

ct_status ct_net_train_step(ct_net *net, int slot, int start, int Bn, uint64_t seed, uint64_t epoch,
                            long long t, float lr, float l2, int loss_at) {
    if (Bn < 1)
        return ct_net_fail(net, CT_ERR_ARG, "a batch of %d rows at %d does not fit (max batch %d)",
                           Bn, start, net->max_batch);
    ct_status st = ct_net_shard_grad(net, slot, start, 0, Bn, Bn, seed, epoch, t, loss_at);
    return st != CT_OK ? st : ct_net_apply_grads(net, t, lr, l2);
}

int ct_net_plan_step(ct_net *net, int slot, int Bn, float l2, ct_launch_shape *out, int max) {
    if (!net->dev || Bn < 1) return 0;
    /* the step recorded, not run: it changes nothing then but net->row0 */
    ct_device_plan_begin(net->dev, 0);
    ct_status st = ct_net_train_step(net, slot, 0, Bn, 0, 0, 1, 0.0f, l2, 0);
    int n = ct_device_plan_end(net->dev, out, max);
    if (st != CT_OK) net->err[0] = '\0';
    return st == CT_OK ? n : 0;
}

ct_status ct_net_finish(ct_net *net) {
    if (net->dev) DTRY(ct_device_finish(net->dev));
    return CT_OK;
}

ct_status ct_net_pace(ct_net *net) {
    if (net->dev) DTRY(ct_device_pace(net->dev));
    return CT_OK;
}

ct_status ct_net_sum_grads(ct_net *net, const ct_comm *comm) {
    size_t np = net->lay.n_train;
    if (!comm || comm->size <= 1) return CT_OK;
    int failed;
    if (!net->dev) {
        failed = comm->allreduce_sum_f64(net->hg, np, comm->ctx) != 0;
    } else if (!strcmp(ct_device_get_info(net->dev)->profile, "cpu")) {
        /* a CPU device's buffer is host memory: sum in place, no copies */
        void *g = NULL;
        DTRY(ct_buffer_map(net->dev, net->grads, 0, np * sizeof(float), &g));
        failed = comm->allreduce_sum_f32(g, np, comm->ctx) != 0;
        DTRY(ct_buffer_unmap(net->dev, net->grads, g));
    } else {
        if (!net->hexchange && !(net->hexchange = malloc(np * sizeof(float))))
            return ct_net_fail(net, CT_ERR_ALLOC, "out of host memory (%zu floats)", np);
        DTRY(ct_buffer_read(net->dev, net->grads, 0, np * sizeof(float), net->hexchange));
        failed = comm->allreduce_sum_f32(net->hexchange, np, comm->ctx) != 0;
        if (!failed)
            DTRY(ct_buffer_write(net->dev, net->grads, 0, np * sizeof(float), net->hexchange));
    }
    if (failed)
        return ct_net_fail(net, CT_ERR_IO, "summing the gradient across %d ranks failed",
                           comm->size);
    return CT_OK;
}

ct_status ct_net_eval_batch(ct_net *net, int slot, int start, int Bn, int loss_at) {
    slot_data *s = &net->slots[slot];
    int F = net->arch.sizes[0];
    if (!s->n) return ct_net_fail(net, CT_ERR_ARG, "no data uploaded to slot %d", slot);
    if (Bn < 1 || Bn > net->max_batch || start < 0 || start + Bn > s->n)
        return ct_net_fail(net, CT_ERR_ARG,
                           "batch of %d rows at %d does not fit (max batch %d, %d rows)", Bn, start,
                           net->max_batch, s->n);
    if (loss_at < 0 || (size_t)loss_at >= net->n_loss_slots)
        return ct_net_fail(net, CT_ERR_ARG, "loss slot %d out of range", loss_at);
    ct_status st;
    if (net->dev) {
        if ((st = forward(net, s->X, (size_t)start * F, NULL, Bn, 0, 0, 0)) != CT_OK) return st;
        return loss_and_count(net, s->T, (size_t)start * s->tcols, NULL, NULL, Bn, Bn, 0, loss_at);
    }
    if ((st = forward(net, NULL, 0, s->hX + (size_t)start * F, Bn, 0, 0, 0)) != CT_OK) return st;
    return loss_and_count(net, NULL, 0, s->hT + (size_t)start * s->tcols,
                          s->hL ? s->hL + start : NULL, Bn, Bn, 0, loss_at);
}

ct_status ct_net_read_metrics(ct_net *net, float *losses, int n, long long *correct, double *wsq) {
    if (n < 0 || (size_t)n > net->n_loss_slots)
        return ct_net_fail(net, CT_ERR_ARG, "reading %d loss slots", n);
    if (net->dev) {
        int32_t count = 0;
        float w = 0;
        if (wsq)
            DTRY(ct_sum_squares(net->dev, B(net->scratch, net->off_wsq),
                                B(net->scratch, net->off_partials), B(net->params, 0),
                                (int)net->lay.n_weights));
        if (n > 0)
            DTRY(ct_buffer_read(net->dev, net->losses, 0, (size_t)n * sizeof(float), losses));
        DTRY(ct_buffer_read(net->dev, net->scratch, net->off_count * sizeof(float), sizeof count,
                            &count));
        if (wsq)
            DTRY(
                ct_buffer_read(net->dev, net->scratch, net->off_wsq * sizeof(float), sizeof w, &w));
        DTRY(ct_fill(net->dev, B(net->scratch, net->off_count), 0.0f, 1));
        if (correct) *correct = count;
        if (wsq) *wsq = w;
    } else {
        for (int i = 0; i < n; i++)
            losses[i] = (float)net->hlosses[i];
        if (correct) *correct = net->hcount;
        if (wsq) *wsq = ref_sum_squares(net->hp, (int)net->lay.n_weights);
        net->hcount = 0;
    }
    return CT_OK;
}

ct_status ct_net_read_losses(ct_net *net, int from, int n, float *losses) {
    if (from < 0 || n < 0 || (size_t)from + (size_t)n > net->n_loss_slots)
        return ct_net_fail(net, CT_ERR_ARG, "reading loss slots [%d, %d)", from, from + n);
    if (net->dev) {
        if (n > 0)
            DTRY(ct_buffer_read(net->dev, net->losses, (size_t)from * sizeof(float),
                                (size_t)n * sizeof(float), losses));
    } else {
        for (int i = 0; i < n; i++)
            losses[i] = (float)net->hlosses[from + i];
    }
    return CT_OK;
}

ct_status ct_net_read_abs_errors(ct_net *net, int from, int n, float *maes) {
    if (from < 0 || n < 0 || (size_t)from + (size_t)n > net->n_loss_slots)
        return ct_net_fail(net, CT_ERR_ARG, "reading error slots [%d, %d)", from, from + n);
    if (net->dev) {
        if (n > 0)
            DTRY(ct_buffer_read(net->dev, net->maes, (size_t)from * sizeof(float),
                                (size_t)n * sizeof(float), maes));
    } else {
        for (int i = 0; i < n; i++)
            maes[i] = (float)net->hmaes[from + i];
    }
    return CT_OK;
}

static ct_status read_tensor(ct_net *net, ct_tensor_kind kind, int layer, int Bn, float *out,
                             double *out64, size_t *count);

ct_status ct_net_read_tensor(ct_net *net, ct_tensor_kind kind, int layer, int Bn, float *out,
                             size_t *count) {
    return read_tensor(net, kind, layer, Bn, out, NULL, count);
}

ct_status ct_net_read_tensor_f64(ct_net *net, ct_tensor_kind kind, int layer, int Bn, double *out,
                                 size_t *count) {
    return read_tensor(net, kind, layer, Bn, NULL, out, count);
}

static ct_status read_tensor(ct_net *net, ct_tensor_kind kind, int layer, int Bn, float *out,
                             double *out64, size_t *count) {
    const ct_arch *a = &net->arch;
    if (kind != CT_T_LOSS && kind != CT_T_PARAMS && kind != CT_T_M && kind != CT_T_V &&
        kind != CT_T_GRADS && (layer < 0 || layer >= a->n_layers))
        return ct_net_fail(net, CT_ERR_ARG, "no layer %d", layer);
    if (Bn < 1 || Bn > net->max_batch) return ct_net_fail(net, CT_ERR_ARG, "batch of %d rows", Bn);
    cl_mem m = NULL;
    const double *h = NULL;
    size_t off = 0, n = 0;
    switch (kind) {
    case CT_T_GRAD_NORM:
    case CT_T_NORM_OUT:
    case CT_T_NORM_MEAN:
    case CT_T_NORM_VAR:
        if (ct_norm_of(a, layer) == CT_NORM_NONE)
            return ct_net_fail(net, CT_ERR_ARG, "layer %d has no normalization", layer);
        if (kind == CT_T_GRAD_NORM) {
            m = net->grads, h = net->hg, off = net->lay.g_off[layer];
            n = 2 * (size_t)a->sizes[layer + 1];
        } else if (kind == CT_T_NORM_OUT) {
            m = net->acts, h = net->hacts, off = net->off_y[layer];
            n = (size_t)Bn * a->sizes[layer + 1];
        } else {
            int inp;
            size_t mo, vo;
            ct_norm_stats_at(net, layer, net->fwd_training, &mo, &vo, &inp);
            m = inp ? net->params : net->acts, h = inp ? net->hp : net->hacts;
            off = kind == CT_T_NORM_MEAN ? mo : vo;
            n = a->norm[layer] == CT_NORM_LAYER ? (size_t)Bn : (size_t)a->sizes[layer + 1];
        }
        break;
    case CT_T_Z:
    case CT_T_A:
        if (kind == CT_T_A && layer + 1 == a->n_layers)
            return ct_net_fail(net, CT_ERR_ARG,
                               "the output layer's activation is fused into the loss");
        m = net->acts, h = net->hacts, off = kind == CT_T_Z ? net->off_z[layer] : net->off_a[layer];
        n = (size_t)Bn * a->sizes[layer + 1];
        break;
    case CT_T_LOSS:
        if (layer < 0 || (size_t)layer >= net->n_loss_slots)
            return ct_net_fail(net, CT_ERR_ARG, "no loss slot %d", layer);
        m = net->losses, h = net->hlosses, off = (size_t)layer, n = 1;
        break;
    case CT_T_GRAD_W:
        m = net->grads, h = net->hg, off = net->lay.w_off[layer],
        n = (size_t)a->sizes[layer] * a->sizes[layer + 1];
        break;
    case CT_T_GRAD_B:
        m = net->grads, h = net->hg, off = net->lay.b_off[layer], n = (size_t)a->sizes[layer + 1];
        break;
    case CT_T_PARAMS: m = net->params, h = net->hp, n = net->lay.n_params; break;
    case CT_T_GRADS: m = net->grads, h = net->hg, n = net->lay.n_params; break;
    case CT_T_DELTA:
        if (!net->kept && !net->hkept)
            return ct_net_fail(net, CT_ERR_ARG, "the engine keeps no deltas (ct_net_keep_deltas)");
        m = net->kept, h = net->hkept, off = net->off_kept[layer];
        n = (size_t)Bn * a->sizes[layer + 1];
        break;
    case CT_T_M: m = net->m, h = net->hm, n = net->lay.n_params; break;
    case CT_T_V: m = net->v, h = net->hv, n = net->lay.n_params; break;
    }
    if (net->dev && out) {
        DTRY(ct_buffer_read(net->dev, m, off * sizeof(float), n * sizeof(float), out));
    } else if (net->dev) { /* through the double array's upper half, converted upwards */
        float *f = (float *)(out64 + n) - n;
        DTRY(ct_buffer_read(net->dev, m, off * sizeof(float), n * sizeof(float), f));
        for (size_t i = 0; i < n; i++)
            out64[i] = f[i];
    } else if (out) {
        for (size_t i = 0; i < n; i++)
            out[i] = (float)h[off + i];
    } else {
        memcpy(out64, h + off, n * sizeof(double));
    }
    *count = n;
    return CT_OK;
}

/* softmax / sigmoid of the logits, in place, for predictions */
static void output_activation(const ct_arch *a, float *z, int n) {
    int C = a->sizes[a->n_layers];
    if (a->loss == CT_LOSS_SOFTMAX_CE) {
        for (int i = 0; i < n; i++) {
            float *r = z + (size_t)i * C;
            double mx = r[0], sum = 0;
            for (int j = 1; j < C; j++)
                mx = r[j] > mx ? r[j] : mx;
            for (int j = 0; j < C; j++)
                sum += exp(r[j] - mx);
            for (int j = 0; j < C; j++)
                r[j] = (float)(exp(r[j] - mx) / sum);
        }
    } else if (a->loss == CT_LOSS_SIGMOID_BCE) {
        for (size_t i = 0; i < (size_t)n * C; i++)
            z[i] = (float)(1 / (1 + exp(-(double)z[i])));
    }
}

ct_status ct_net_predict(ct_net *net, const float *X, int n, float *out) {
    const ct_arch *a = &net->arch;
    int F = a->sizes[0], C = net->outputs, L = a->n_layers;
    for (int start = 0; start < n; start += net->max_batch) {
        int Bn = n - start < net->max_batch ? n - start : net->max_batch;
        const float *x = X + (size_t)start * F;
        float *o = out + (size_t)start * C;
        ct_status st;
        if (net->dev) {
            DTRY(ct_buffer_write(net->dev, net->acts, net->off_xb * sizeof(float),
                                 (size_t)Bn * F * sizeof(float), x));
            if ((st = forward(net, net->acts, net->off_xb, NULL, Bn, 0, 0, 0)) != CT_OK) return st;
            DTRY(ct_buffer_read(net->dev, net->acts, net->off_z[L - 1] * sizeof(float),
                                (size_t)Bn * C * sizeof(float), o));
        } else {
            double *xb = net->hacts + net->off_xb;
            for (size_t i = 0; i < (size_t)Bn * F; i++)
                xb[i] = x[i];
            if ((st = forward(net, NULL, 0, xb, Bn, 0, 0, 0)) != CT_OK) return st;
            const double *z = net->hacts + net->off_z[L - 1];
            for (size_t i = 0; i < (size_t)Bn * C; i++)
                o[i] = (float)z[i];
        }
        output_activation(a, o, Bn);
    }
    return CT_OK;
}

ct_status ct_net_snapshot(ct_net *net) {
    size_t n = net->lay.n_params;
    if (net->dev) {
        if (!net->best && alloc_dev(net, &net->best, n, "the best parameters") != CT_OK)
            return CT_ERR_OPENCL;
        cl_int e = clEnqueueCopyBuffer(net->dev->queue, net->params, net->best, 0, 0,
                                       n * sizeof(float), 0, NULL, NULL);
        if (e != CL_SUCCESS)
            return ct_net_fail(net, CT_ERR_OPENCL,
                               "keeping the best parameters: clEnqueueCopyBuffer failed: %s",
                               ct_cl_error_name(e));
    } else {
        ct_status st = CT_OK;
        if (!net->hbest && !(net->hbest = alloc_host(net, n, &st))) return st;
        memcpy(net->hbest, net->hp, n * sizeof(double));
    }
    net->has_best = 1;
    return CT_OK;
}

ct_status ct_net_restore(ct_net *net) {
    if (!net->has_best)
        return ct_net_fail(net, CT_ERR_ARG, "no snapshot of the parameters to restore");
    size_t n = net->lay.n_params;
    if (net->dev) {
        cl_int e = clEnqueueCopyBuffer(net->dev->queue, net->best, net->params, 0, 0,
                                       n * sizeof(float), 0, NULL, NULL);
        if (e != CL_SUCCESS)
            return ct_net_fail(net, CT_ERR_OPENCL,
                               "restoring the best parameters: clEnqueueCopyBuffer failed: %s",
                               ct_cl_error_name(e));
    } else {
        memcpy(net->hp, net->hbest, n * sizeof(double));
    }
    return CT_OK;
}

/* ---- per-layer statistics ------------------------------------------------------------------ */

/* The input of layer l's activation: Z, or Y after a norm. */
static size_t act_input_off(const ct_net *net, int l) {
    return ct_norm_of(&net->arch, l) != CT_NORM_NONE ? net->off_y[l] : net->off_z[l];
}

/* Floats per layer in net->stats: mean, sum of squares, dead count (int bits), grad sum of
 * squares. */
#define STATS_PER_LAYER 4

/* The activations of layer l after a forward pass: A of a hidden layer, the logits Z of the
 * output layer. A unit of a relu-like hidden layer (relu, leaky_relu, elu, gelu) is dead when
 * its pre-activation Z is <= 0 on every row: for these four f(z) <= 0 exactly when z <= 0, and
 * Z does not depend on f's rounding near 0 (gelu of a tiny z can underflow to 0). The standard
 * deviation on the device comes from E[x^2] - mean^2 in float (a summary: it loses digits when
 * |mean| >> std); the reference uses two passes in double. The gradient norm is that of the
 * weights' gradient the optimizer received in the last step (l2 term included, before
 * clipping). */
ct_status ct_net_layer_stats(ct_net *net, int slot, int Bn, ct_layer_stats *out) {
    if (slot < 0 || slot >= CT_SLOT_COUNT)
        return ct_net_fail(net, CT_ERR_ARG, "layer statistics: unknown data slot %d", slot);
    slot_data *s = &net->slots[slot];
    const ct_arch *a = &net->arch;
    int L = a->n_layers;
    if (!s->n)
        return ct_net_fail(net, CT_ERR_ARG, "layer statistics: no data uploaded to slot %d", slot);
    if (Bn < 1 || Bn > net->max_batch || Bn > s->n)
        return ct_net_fail(
            net, CT_ERR_ARG,
            "layer statistics on %d rows: need 1 to %d (the batch size), at most the "
            "slot's %d rows",
            Bn, net->max_batch, s->n);
    ct_status st;
    if (net->dev) {
        if (!net->stats && (st = alloc_dev(net, &net->stats, STATS_PER_LAYER * CT_MAX_LAYERS,
                                           "the layer statistics")) != CT_OK)
            return st;
        if ((st = forward(net, s->X, 0, NULL, Bn, 0, 0, 0)) != CT_OK) return st;
        ct_buf part = B(net->scratch, net->off_partials);
        for (int l = 0; l < L; l++) {
            int N = a->sizes[l + 1], n = Bn * N, last = l + 1 == L;
            size_t act = last ? net->off_z[l] : net->off_a[l], base = (size_t)STATS_PER_LAYER * l;
            DTRY(ct_reduce_sum(net->dev, B(net->stats, base), B(net->acts, act), n, 1.0f / (float)n,
                               0));
            DTRY(ct_sum_squares(net->dev, B(net->stats, base + 1), part, B(net->acts, act), n));
            /* the dead count: int 0 has the bits of 0.0f */
            DTRY(ct_fill(net->dev, B(net->stats, base + 2), 0.0f, 1));
            if (!last && ct_relu_like(a->act[l]))
                DTRY(ct_dead_units(net->dev, B(net->stats, base + 2),
                                   B(net->acts, act_input_off(net, l)), Bn, N));
            DTRY(ct_sum_squares(net->dev, B(net->stats, base + 3), part,
                                B(net->grads, net->lay.w_off[l]), a->sizes[l] * N));
        }
        float h[STATS_PER_LAYER * CT_MAX_LAYERS];
        DTRY(ct_buffer_read(net->dev, net->stats, 0, (size_t)STATS_PER_LAYER * L * sizeof(float),
                            h));
        for (int l = 0; l < L; l++) {
            const float *v = h + STATS_PER_LAYER * l;
            int N = a->sizes[l + 1];
            int32_t dead;
            memcpy(&dead, &v[2], sizeof dead);
            double mean = v[0], var = (double)v[1] / ((double)Bn * N) - mean * mean;
            out[l].act_mean = mean;
            out[l].act_std = var > 0 ? sqrt(var) : 0;
            out[l].dead_frac = (double)dead / N;
            out[l].grad_norm = sqrt((double)v[3]);
        }
        return CT_OK;
    }
    if ((st = forward(net, NULL, 0, s->hX, Bn, 0, 0, 0)) != CT_OK) return st;
    for (int l = 0; l < L; l++) {
        int N = a->sizes[l + 1], n = Bn * N, last = l + 1 == L;
        const double *x = net->hacts + (last ? net->off_z[l] : net->off_a[l]);
        double mean = ref_sum(x, n) / n, var = 0;
        for (int i = 0; i < n; i++)
            var += (x[i] - mean) * (x[i] - mean);
        out[l].act_mean = mean;
        out[l].act_std = sqrt(var / n);
        out[l].dead_frac =
            !last && ct_relu_like(a->act[l])
                ? (double)ref_dead_units(net->hacts + act_input_off(net, l), Bn, N) / N
                : 0;
        out[l].grad_norm = sqrt(ref_sum_squares(net->hg + net->lay.w_off[l], a->sizes[l] * N));
    }
    return CT_OK;
}

void ct_net_set_keep_order(ct_net *net, int keep_order) { net->keep_order = keep_order != 0; }
