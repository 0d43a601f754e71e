/* The network: architecture, the flat parameter layout, initialisation, and the training
 * engine (ct_net) that runs forward, backward and the optimizer step on the device, or the same
 * computation through the scalar reference (host/ref.c) in double precision. */
#ifndef CT_MODEL_H
#define CT_MODEL_H

#include <stdint.h>

#include "data.h"
#include "ops.h"

/* The normalization of hidden layer l (none for the output layer). */
static inline ct_norm ct_norm_of(const ct_arch *a, int l) {
    return l + 1 < a->n_layers ? a->norm[l] : CT_NORM_NONE;
}
/* relu, leaky_relu, elu, gelu: He initialisation, and units that can die */
static inline int ct_relu_like(ct_act a) { return (ct_act_flags(a) & CT_ACTF_RELU_LIKE) != 0; }

/* layers/dense.c: layer i's initial weights (init, one random stream per layer from seed) and
 * biases (bias_value); its tensors k = 0, 1 (ct_layer_tensor) */
void ct_dense_init_params(const ct_arch *a, const ct_layout *lay, int i, const ct_init *init,
                          float bias_value, uint64_t seed, float *params);
int ct_dense_tensor(const ct_arch *a, const ct_layout *lay, int l, int k, ct_tensor_info *out);
/* layers/norm.c: a norm's tensors k = 0..3 (ct_layer_tensor from k = 2) */
int ct_norm_tensor_info(const ct_arch *a, const ct_layout *lay, int l, int k, ct_tensor_info *out);
/* layers/norm.c: hidden layer i's norm fields checked (one message), and its initial gamma 1,
 * beta 0, running mean 0 and variance 1 */
ct_status ct_norm_validate(const ct_arch *a, int i, char msg[CT_MSG_LEN]);
void ct_norm_init_params(const ct_arch *a, const ct_layout *lay, int i, float *params);

#define CT_NORM_TENSORS 6 /* tensors per layer at most: dense weight, bias; 4 of a norm */

/* ---- the training engine ----------------------------------------------------------------- */

typedef struct ct_net ct_net;

/* Data slots on the engine: the training, validation and test sets live on the device. */
enum { CT_SLOT_TRAIN = 0, CT_SLOT_VAL, CT_SLOT_TEST, CT_SLOT_COUNT };

/* dev NULL: the reference backend. max_batch: the largest batch any call will use. */
ct_status ct_net_create(ct_net **out, ct_device *dev, const ct_arch *a, int max_batch,
                        const ct_optim_params *o, char msg[CT_MSG_LEN]);
/* The same with an explicit backend (CT_BACKEND_CPU needs CBLAS; dev is used for OPENCL only). */
ct_status ct_net_create_backend(ct_net **out, ct_backend backend, ct_device *dev, const ct_arch *a,
                                int max_batch, const ct_optim_params *o, char msg[CT_MSG_LEN]);
void ct_net_destroy(ct_net *net);
const char *ct_net_error(const ct_net *net);
const ct_arch *ct_net_arch(const ct_net *net);
ct_device *ct_net_device(const ct_net *net); /* NULL: the reference engine */
const ct_layout *ct_net_layout(const ct_net *net);
ct_backend ct_net_backend(const ct_net *net);

/* Parameters and optimizer state to and from the host (n_params floats each). */
ct_status ct_net_set_params(ct_net *net, const float *params);
ct_status ct_net_get_params(ct_net *net, float *params);
/* which: 0 = first moment / momentum (m), 1 = second moment (v) */
ct_status ct_net_set_state(ct_net *net, int which, const float *state);
ct_status ct_net_get_state(ct_net *net, int which, float *state);
/* Zeroes the optimizer state. */
ct_status ct_net_reset_state(ct_net *net);
ct_status ct_net_set_optim(ct_net *net, const ct_optim_params *o);

/* Uploads a dataset into a slot (replacing what was there). Its features and targets must fit
 * the architecture (classification: labels < outputs, or 2 classes for one sigmoid output;
 * regression: outputs columns). */
ct_status ct_net_upload(ct_net *net, int slot, const ct_dataset *d);
int ct_net_rows(const ct_net *net, int slot);

/* One training step on rows [start, start + B) of the slot's epoch permutation (seed, epoch):
 * forward with dropout (keyed by seed, t, layer), the loss into loss slot `loss_at`, accuracy
 * into the counter, backward, + l2 * W, clipping, the optimizer step t with learning rate lr. */
ct_status ct_net_train_step(ct_net *net, int slot, int start, int B, uint64_t seed, uint64_t epoch,
                            long long t, float lr, float l2, int loss_at);
/* The same step split in two, for a batch shared by several processes (data-parallel):
 * ct_net_shard_grad computes the gradient of rows [start + row0, start + row0 + Bn) of the epoch
 * permutation, a share of the batch of Btotal rows at start: its loss (into loss slot loss_at)
 * and gradient are divided by Btotal, so the shares sum to the whole batch's; dropout masks
 * follow each row's place in the whole batch. Bn may be 0 (zero gradient and loss). Then
 * ct_net_sum_grads sums the gradient over comm's ranks (in place on a CPU device, else through
 * one host copy allocated once), and
 * ct_net_apply_grads adds l2 * W, clips, and takes optimizer step t. */
ct_status ct_net_shard_grad(ct_net *net, int slot, int start, int row0, int Bn, int Btotal,
                            uint64_t seed, uint64_t epoch, long long t, int loss_at);
ct_status ct_net_sum_grads(ct_net *net, const ct_comm *comm);
/* The ranks that share each batch, for batch norm's statistics (summed across them while
 * training, so that N ranks compute what one process computes); NULL: none. */
void ct_net_set_comm(ct_net *net, const ct_comm *comm);
/* The kernel shapes a training step of B rows (l2 as given) launches, in the order of their
 * first launch, recorded without running it (see ct_device_plan_begin): up to max into out.
 * Returns how many (0 for the reference engine). */
int ct_net_plan_step(ct_net *net, int slot, int B, float l2, ct_launch_shape *out, int max);
/* One pass over rows [0, Bn) of the slot in order, without dropout: forward (training: batch
 * norm by the batch's statistics, which also moves the running ones; else by the running
 * ones), the loss into loss slot 0, and with grad the backward pass. For explain and gradient
 * checks; the tensors are read with ct_net_read_tensor. */
ct_status ct_net_pass(ct_net *net, int slot, int Bn, int training, int grad);
/* From now on the backward pass keeps every layer's dL/dZ (CT_T_DELTA). */
ct_status ct_net_keep_deltas(ct_net *net);
/* Uploads n rows from arrays: labels (n) for ce, else targets T (n, outputs) (bce: 0..1). */
ct_status ct_net_upload_arrays(ct_net *net, int slot, int n, const float *X, const int32_t *labels,
                               const float *T);
/* The reference engine's parameters in double (finite differences), and a loss slot in double
 * (NAN on a device). */
ct_status ct_net_set_params_f64(ct_net *net, const double *params);
double ct_net_loss_f64(const ct_net *net, int at);
/* Waits until the device has done everything enqueued (nothing for the reference). */
ct_status ct_net_finish(ct_net *net);
/* After a training step: keeps the host about 0.4 s of device work ahead at most
 * (ct_device_pace), so a stop request lands within that. Nothing on the reference backend. */
ct_status ct_net_pace(ct_net *net);
ct_status ct_net_apply_grads(ct_net *net, long long t, float lr, float l2);
/* The loss of rows [start, start + B) in order, no dropout, into loss slot `loss_at`; accuracy
 * into the counter. */
ct_status ct_net_eval_batch(ct_net *net, int slot, int start, int B, int loss_at);
/* Reads n loss slots and the correct count, then zeroes the counter. Also returns the sum of
 * squared weights (for the l2 penalty) when wsq is not NULL. The one read of an epoch. */
ct_status ct_net_read_metrics(ct_net *net, float *losses, int n, long long *correct, double *wsq);
/* Reads loss slots [from, from + n) without touching the counter (for logs within an epoch). */
ct_status ct_net_read_losses(ct_net *net, int from, int n, float *losses);
/* Reads the mean absolute errors of a regression's loss slots [from, from + n): each the share
 * of its batch as the loss slot's (a classifier's slots hold nothing meaningful). */
ct_status ct_net_read_abs_errors(ct_net *net, int from, int n, float *maes);
/* Outputs (probabilities for ce/bce, values for mse/huber) of n host rows: (n, outputs). */
ct_status ct_net_predict(ct_net *net, const float *X, int n, float *out);
/* The internal tensors of the last step, for live verification: read as floats. */
typedef enum ct_tensor_kind {
    CT_T_Z = 0,     /* layer's pre-activation (B, out) */
    CT_T_A,         /* hidden layer's activation (B, out) */
    CT_T_LOSS,      /* the loss slot `layer` (1) */
    CT_T_GRAD_W,    /* layer's weight gradient (out, in) */
    CT_T_GRAD_B,    /* layer's bias gradient (out) */
    CT_T_PARAMS,    /* every parameter (n_params) */
    CT_T_M,         /* optimizer state m (n_params) */
    CT_T_V,         /* optimizer state v (n_params) */
    CT_T_GRADS,     /* every gradient (n_params) */
    CT_T_GRAD_NORM, /* a normalized layer's gradients of gamma then beta (2 out) */
    CT_T_DELTA,     /* layer's dL/dZ (B, out), kept (ct_net_keep_deltas) */
    CT_T_NORM_OUT,  /* a normalized hidden layer's Y = gamma xhat + beta (B, out) */
    CT_T_NORM_MEAN, /* its statistics of the last forward pass: batch norm (out), the batch's or */
    CT_T_NORM_VAR   /* the running ones; layer norm (B), per row. The variance is biased. */
} ct_tensor_kind;

/* Reads one tensor into out (room for its count); *count gets the number of floats. */
ct_status ct_net_read_tensor(ct_net *net, ct_tensor_kind kind, int layer, int B, float *out,
                             size_t *count);
/* The same in double: the reference's own values, a device's converted. */
ct_status ct_net_read_tensor_f64(ct_net *net, ct_tensor_kind kind, int layer, int B, double *out,
                                 size_t *count);

/* Per-layer statistics for --stats: activations of the current parameters on rows [0, B) of a
 * slot (no dropout; the output layer's logits for the last layer), and the norm of the weight
 * gradient of the last training step. Computed on the device; one read. */
ct_status ct_net_layer_stats(ct_net *net, int slot, int B, ct_layer_stats *out /* n_layers */);

/* Keeps a copy of the parameters on the device (for early stopping) / restores it. */
ct_status ct_net_snapshot(ct_net *net);
ct_status ct_net_restore(ct_net *net);

/* 1: the training steps take the rows of a slot in order instead of the epoch's permutation. */
void ct_net_set_keep_order(ct_net *net, int keep_order);

#endif
