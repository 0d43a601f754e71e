/* The training engine's insides, shared by net.c and the layers' passes in layers/: not part of
 * the library's interface. */
#ifndef CT_NET_INTERNAL_H
#define CT_NET_INTERNAL_H

#include "model.h"

/* Where a tensor lives: on the device (buffer, offset) or in the reference's host arrays. */
typedef struct {
    cl_mem mem;
    size_t off;
    double *h; /* reference backend */
} tref;

typedef struct {
    int n;     /* rows */
    int tcols; /* target values per row (1 for class labels) */
    int int_labels;
    cl_mem X, T; /* device */
    double *hX;  /* reference: (n, features) */
    double *hT;  /* reference: (n, tcols) float targets */
    int *hL;     /* reference: (n) int labels */
} slot_data;

/* ---- the model as an ordered list of layers ---------------------------------------------------
 * Dense block l of the architecture is the layers [dense l] [norm l] [dropout l] (the last two
 * where the architecture has them); the activation is fused into the dense layer, or into the
 * norm when there is one. The engine runs the list forward, and backward from its end. */
typedef enum { CT_LAYER_DENSE = 0, CT_LAYER_NORM, CT_LAYER_DROPOUT, CT_LAYER_KINDS } ct_layer_kind;

typedef struct {
    ct_layer_kind kind;
    int l; /* its dense block */
} ct_layer;

/* What a pass hands each layer. */
typedef struct {
    int Bn, training;
    uint64_t seed;
    long long t;
    cl_mem xmem; /* the batch (device), or */
    size_t xoff;
    const double *hx; /* (reference) */
    size_t dz, dx;    /* backward: the current delta and the other half of the deltas */
} ct_pass_ctx;

/* A layer kind: its passes on either backend (in layers/<kind>.c). forward reads its block's
 * input and writes its output; backward turns the current delta (dL/d its output) into dL/d its
 * input, with its gradients; a dense layer's backward moves the delta to the other half. */
typedef struct ct_layer_ops {
    const char *name;
    ct_status (*forward)(ct_net *net, int l, ct_pass_ctx *c);
    ct_status (*backward)(ct_net *net, int l, ct_pass_ctx *c);
} ct_layer_ops;

extern const ct_layer_ops ct_dense_layer_ops, ct_norm_layer_ops, ct_dropout_layer_ops;

#define CT_MAX_LIST (3 * CT_MAX_LAYERS)

struct ct_net {
    ct_device *dev; /* NULL: reference */
    int blas;       /* reference path with CBLAS products (CT_BACKEND_CPU) */
    ct_arch arch;
    ct_layout lay;
    ct_optim_params optim;
    int max_batch;
    int width; /* widest layer (inputs included) */
    int outputs;
    size_t n_loss_slots;
    /* device buffers */
    cl_mem params, grads, m, v, best;
    cl_mem acts;    /* Xb | Tb | per layer: Z, A, D */
    cl_mem deltas;  /* two (max_batch, width) */
    cl_mem scratch; /* rowloss (max_batch) | gnorm (1) | partials | wsq (1) | count (1 int) */
    cl_mem losses;  /* loss slots */
    cl_mem maes;    /* a regression's mean absolute error per loss slot (n_loss_slots) */
    size_t off_xb, off_tb, off_z[CT_MAX_LAYERS], off_a[CT_MAX_LAYERS], off_d[CT_MAX_LAYERS];
    /* a normalized layer's output Y (the activation's input) and its statistics (per unit for
     * batch norm, per row for layer norm) */
    size_t off_y[CT_MAX_LAYERS], off_mu[CT_MAX_LAYERS], off_var[CT_MAX_LAYERS];
    size_t off_rowloss, off_gnorm, off_partials, off_wsq, off_count, off_nsum;
    /* reference arrays (same roles) */
    double *hp, *hg, *hm, *hv, *hbest, *hacts, *hdeltas, *hrowloss, *hlosses, *hmaes;
    int *hlabels_b;
    long long hcount;
    int has_best;
    int row0;         /* the training step's first row in its whole batch (dropout's element
                       * offset; 0 unless a batch is split across processes) */
    float *hexchange; /* host copy of the gradient for a cross-process sum (n_params), or NULL */
    /* batch norm across processes: the ranks that share a batch (NULL or size 1: none), the
     * rows of the whole batch, and a host copy of a layer's statistics (2 x width floats) */
    const ct_comm *comm;
    int btotal;
    float *hstat;
    int fwd_training; /* the last forward pass used batch statistics */
    /* every layer's dL/dZ of the last backward pass (ct_net_keep_deltas), or none */
    cl_mem kept;
    double *hkept;
    size_t off_kept[CT_MAX_LAYERS];
    /* the layers, in order (from the architecture, at creation) */
    ct_layer list[CT_MAX_LIST];
    int n_list;
    slot_data slots[CT_SLOT_COUNT];
    char err[CT_MSG_LEN];
    /* ct_net_layer_stats: per layer {mean, sum of squares, dead count (int), grad sum of
     * squares}, allocated on the first call */
    cl_mem stats;
    int keep_order; /* 1: every epoch takes the rows in order (no shuffle) */
};

/* The message of a failure, and the status. */
ct_status ct_net_fail(ct_net *net, ct_status s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* After a failed op on the device: copies the device's message. */
ct_status ct_net_dev_fail(ct_net *net, ct_status s);

#define DTRY(expr)                                                                                 \
    do {                                                                                           \
        ct_status st_ = (expr);                                                                    \
        if (st_ != CT_OK) return ct_net_dev_fail(net, st_);                                        \
    } while (0)

static inline ct_buf B(cl_mem m, size_t off) { return ct_at(m, off); }

/* The input of layer l: the batch, or the previous layer's activation (after dropout). */
static inline size_t ct_net_input_off(const ct_net *net, int l, int training) {
    if (l == 0) return net->off_xb;
    int prev = l - 1;
    return training && net->arch.dropout[prev] > 0 ? net->off_d[prev] : net->off_a[prev];
}

/* Copies layer l's dL/dZ (at dz in the deltas) aside when the engine keeps them (net.c). */
ct_status ct_net_keep_delta(ct_net *net, int l, int Bn, size_t dz);

/* ---- layers/dense.c: a dense layer with its bias, and its activation fused in unless a norm
 * comes between */
/* Z = X W^T + b for layer l, X the batch at (xmem, xoff) / hx for layer 0, else the previous
 * layer's output; A = f(Z) too for a hidden layer without a norm (the output layer's logits
 * stay in Z). */
ct_status ct_dense_layer_forward(ct_net *net, int l, cl_mem xmem, size_t xoff, const double *hx,
                                 int Bn, int training);
/* dZ at dz in the deltas -> dW, the output layer's db; and for l > 0 the input's gradient
 * dZ W into dx. */
ct_status ct_dense_layer_backward(ct_net *net, int l, int Bn, size_t dz, size_t dx);
/* The deltas at dx (dL/dA of hidden layer l) become dL/dZ in place, through the activation,
 * with the bias's gradient (one fused pass on the device). */
ct_status ct_act_layer_backward(ct_net *net, int l, int Bn, size_t dx);

/* ---- layers/dropout.c: after a hidden layer's activation, keyed by (seed, step, layer) and
 * each element's place in the whole batch */
ct_status ct_dropout_layer_forward(ct_net *net, int l, int Bn, uint64_t seed, long long t);
/* the deltas at dx (dL/d(dropout output) of hidden layer l) become dL/dA in place */
ct_status ct_dropout_layer_backward(ct_net *net, int l, int Bn, size_t dx, uint64_t seed,
                                    long long t);

/* ---- layers/dense.c: the three products of a dense layer on the host (the reference, or
 * CBLAS for the CPU comparator). Y = X W^T; dW = dY^T X; dX = dY W. */
void ct_dense_host_forward(const ct_net *net, double *Y, const double *X, const double *W, int B,
                           int in, int out);
void ct_dense_host_backward_weight(const ct_net *net, double *dW, const double *dY, const double *X,
                                   int B, int in, int out);
void ct_dense_host_backward_input(const ct_net *net, double *dX, const double *dY, const double *W,
                                  int B, int in, int out);

/* ---- layers/norm.c: batch norm and layer norm on either backend */
/* Where layer l's statistics are for a pass: the batch's (arena) while training or for layer
 * norm, the running ones (parameters) for batch norm in evaluation. */
void ct_norm_stats_at(const ct_net *net, int l, int training, size_t *mu, size_t *var,
                      int *in_params);
/* Layer l's Z (bias added) -> statistics -> Y = gamma xhat + beta -> A = f(Y); batch norm while
 * training also moves the running statistics (and sums its statistics across the ranks). */
ct_status ct_norm_forward(ct_net *net, int l, int Bn, int training);
/* The deltas at dx (dL/dA of layer l) become dL/dZ in place; the gradients of gamma, beta and
 * the bias. */
ct_status ct_norm_backward(ct_net *net, int l, int Bn, size_t dx);
/* A rank without rows of a shared batch: its part in every exchange of the batch norms. */
ct_status ct_norm_idle(ct_net *net);

#endif
