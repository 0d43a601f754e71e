/* Launch wrappers, one per op. Every tensor is a float32 device buffer addressed as
 * (cl_mem, element offset), batch-major row layout. Outputs first, then inputs, then sizes.
 * Wrappers only enqueue: nothing waits on the host. On failure they return a status and leave
 * a message (op, call, OpenCL/CLBlast error name) in the device. */
#ifndef CT_OPS_H
#define CT_OPS_H

#include "device.h"

/* A (buffer, element offset) pair. */
typedef struct ct_buf {
    cl_mem mem;
    size_t off;
} ct_buf;

static inline ct_buf ct_at(cl_mem mem, size_t off) {
    ct_buf b = {mem, off};
    return b;
}

/* ---- matrix products ------------------------------------------------------------------ */

/* C = alpha * op(A) . op(B) + beta * C, row-major; op(A) is (M, K), op(B) is (K, N), C (M, N).
 * transA: A stored (K, M); transB: B stored (N, K). lda/ldb/ldc are row strides.
 * Runs on CLBlast or the own kernel, per ct_device_gemm(). beta == 0 ignores C's contents. */
ct_status ct_gemm(ct_device *dev, ct_buf C, int ldc, ct_buf A, int lda, ct_buf B, int ldb, int M,
                  int N, int K, int transA, int transB, float alpha, float beta);

/* The three products of a dense layer with W stored (out, in) as PyTorch's nn.Linear. */
/* Y = X . W^T */
ct_status ct_dense_forward(ct_device *dev, ct_buf Y, // (B, out)
                           ct_buf X,                 // (B, in)
                           ct_buf W,                 // (out, in)
                           int B, int in, int out);
/* A dense layer's forward with its bias and activation: Z = X . W^T + b, A = f(Z); A may be Z
 * (the same buffer and offset) for the identity. The bits of ct_dense_forward then
 * ct_bias_act_forward (Z, Z), which it is where the product is not the CPU-shaped one or f is
 * not relu, leaky relu or the identity; else one launch (and B's pack), the CPU-shaped product
 * storing Z and A itself. */
ct_status ct_dense_forward_bias_act(ct_device *dev, ct_buf A, // (B, out)
                                    ct_buf Z,                 // (B, out)
                                    ct_buf X,                 // (B, in)
                                    ct_buf W,                 // (out, in)
                                    ct_buf b,                 // (out)
                                    ct_act act, float alpha, int B, int in, int out);
/* dW = dY^T . X  (+ beta * dW: beta 1 accumulates; beta 0 ignores dW's contents) */
ct_status ct_dense_backward_weight(ct_device *dev, ct_buf dW, // (out, in)
                                   ct_buf dY,                 // (B, out)
                                   ct_buf X,                  // (B, in)
                                   int B, int in, int out, float beta);
/* dX = dY . W */
ct_status ct_dense_backward_input(ct_device *dev, ct_buf dX, // (B, in)
                                  ct_buf dY,                 // (B, out)
                                  ct_buf W,                  // (out, in)
                                  int B, int in, int out);

/* ---- bias and activations ------------------------------------------------------------- */

/* Z = Y + b (row-broadcast); A = f(Z). Z may be the same buffer and offset as Y. */
ct_status ct_bias_act_forward(ct_device *dev, ct_buf A, // (B, N)
                              ct_buf Z,                 // (B, N)
                              ct_buf Y,                 // (B, N)
                              ct_buf b,                 // (N)
                              ct_act act, float alpha, int B, int N);
/* A = f(Z), n elements */
ct_status ct_act_forward(ct_device *dev, ct_buf A, ct_buf Z, ct_act act, float alpha, int n);
/* dZ = dA * f'(Z), n elements; dZ may alias dA */
ct_status ct_act_backward(ct_device *dev, ct_buf dZ, ct_buf dA, ct_buf Z, ct_act act, float alpha,
                          int n);
/* db[j] = beta * db[j] + sum_i dZ[i][j], rows summed in order i = 0..B-1 (beta 0 ignores db) */
ct_status ct_bias_backward(ct_device *dev, ct_buf db, // (N)
                           ct_buf dZ,                 // (B, N)
                           int B, int N, float beta);
/* A hidden layer's delta and bias gradient in one pass: dZ = dA * f'(Z) (dZ may alias dA) and
 * db = beta * db + column sums of dZ, with the bits of ct_act_backward then ct_bias_backward. */
ct_status ct_act_bias_backward(ct_device *dev, ct_buf dZ, // (B, N)
                               ct_buf db,                 // (N)
                               ct_buf dA, ct_buf Z,       // (B, N)
                               ct_act act, float alpha, int B, int N, float beta);

/* ---- losses (fused with the output activation) ---------------------------------------- */

/* Per row: rowloss[i] = loss of row i (summed over its C outputs) and, when dZ.mem is not NULL,
 * dZ = d(mean loss)/dZ. Then loss[0] = beta * loss[0] + sum_i rowloss[i] / count, reduced on the
 * device in a fixed order; count is B for softmax_ce, B*C otherwise.
 *   softmax_ce:  rowloss = logsumexp(z) - z[y];           dZ = (softmax(z) - onehot(y)) / B
 *   sigmoid_bce: l = max(z,0) - z*t + log1p(exp(-|z|));    dZ = (sigmoid(z) - t) / (B*C)
 *   mse:         l = (z - t)^2;                            dZ = 2 (z - t) / (B*C)
 *   huber:       l = 0.5 d^2 if |d| <= delta else delta (|d| - 0.5 delta), d = z - t;
 *                dZ = clamp(d, -delta, delta) / (B*C)
 * target: int labels (B) for softmax_ce, float (B, C) otherwise. rowloss: scratch (B). */
ct_status ct_loss_forward_backward(ct_device *dev, ct_loss kind, ct_buf loss, // (1)
                                   ct_buf dZ,                                 // (B, C) or NULL mem
                                   ct_buf rowloss,                            // (B) scratch
                                   ct_buf Z,                                  // (B, C) logits
                                   ct_buf target, int B, int C, float delta, float beta);
/* The same for B rows that are part of a batch of B_total rows (a shard of a batch split across
 * processes): count is B_total (B_total * C), so the parts' losses and gradients sum to the
 * whole batch's. B_total >= B. */
ct_status ct_loss_forward_backward_part(ct_device *dev, ct_loss kind, ct_buf loss, ct_buf dZ,
                                        ct_buf rowloss, ct_buf Z, ct_buf target, int B, int C,
                                        float delta, float beta, int B_total);
/* The same, also adding the batch's correct predictions to the int counter count[0] when
 * count.mem is not NULL (softmax_ce: as ct_argmax_correct; sigmoid_bce: as ct_binary_correct;
 * other losses: an error), with no launch of its own. */
ct_status ct_loss_forward_backward_count(ct_device *dev, ct_loss kind, ct_buf loss, ct_buf dZ,
                                         ct_buf rowloss, ct_buf Z, ct_buf target, int B, int C,
                                         float delta, float beta, int B_total, ct_buf count);
/* A regression's metric beside its loss: out[0] = sum over the B rows and C outputs of
 * |Z - T| / (B_total * C), the batch's mean absolute error (the share of B rows of a batch of
 * B_total), rows summed by reduce_sum in its fixed order. rowsum: scratch (B). The kernel is
 * abs_error; the wrapper lives in ops_metrics.c. */
ct_status ct_abs_error(ct_device *dev, ct_buf out, // (1)
                       ct_buf rowsum,              // (B) scratch
                       ct_buf Z,                   // (B, C) outputs
                       ct_buf T,                   // (B, C) targets
                       int B, int C, int B_total);

/* ---- dropout -------------------------------------------------------------------------- */

/* keep(e) = u(seed, step, layer, e) >= p, u uniform in [0,1) from a counter-based hash;
 * Y = X * keep / (1 - p). p == 0 copies. */
ct_status ct_dropout_forward(ct_device *dev, ct_buf Y, ct_buf X, float p, unsigned long long seed,
                             unsigned long long step, unsigned layer, int n);
/* dX = dY * keep / (1 - p), the same mask as forward; dX may alias dY */
ct_status ct_dropout_backward(ct_device *dev, ct_buf dX, ct_buf dY, float p,
                              unsigned long long seed, unsigned long long step, unsigned layer,
                              int n);
/* The same for elements e0 .. e0 + n - 1 of a larger tensor: element i uses keep(e0 + i), so a
 * shard of a batch gets the mask of its rows in the whole batch. */
ct_status ct_dropout_forward_at(ct_device *dev, ct_buf Y, ct_buf X, float p,
                                unsigned long long seed, unsigned long long step, unsigned layer,
                                int n, unsigned e0);
ct_status ct_dropout_backward_at(ct_device *dev, ct_buf dX, ct_buf dY, float p,
                                 unsigned long long seed, unsigned long long step, unsigned layer,
                                 int n, unsigned e0);

/* ---- optimizers (one launch over the flat parameter buffer) --------------------------- */

/* Adam's first moment is stored as 0 below this magnitude (kernels/optim.cl, adam_step: it keeps
 * step_size * m normal without a flush): max(2^-100, 2^-125 / step_size), 2^-100 when
 * step_size <= 0. */
static inline float ct_adam_m_floor(float step_size) {
    if (!(step_size > 0.0f)) return 0x1p-100f;
    float f = 0x1p-125f / step_size;
    return f > 0x1p-100f ? f : 0x1p-100f;
}

/* One step t (1-based) over n parameters P with gradient G:
 *   sgd:      P -= lr g
 *   momentum: m = t==1 ? g : mu m + (1 - dampening) g;   P -= lr m
 *   nesterov: m as momentum;                               P -= lr (g + mu m)
 *   rmsprop:  v = rho v + (1 - rho) g^2;                   P -= lr g / (sqrt(v) + eps)
 *   adam(w):  m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 *             P -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * with g = clip * G (+ wd P unless adamw) and, for adamw, P *= 1 - lr wd first.
 * M: momentum buffer / Adam m; V: RMSprop / Adam v (unused ones may have NULL mem); M and V
 * start at zero before t = 1 (momentum and nesterov ignore M at t = 1).
 * gnorm_sq: the squared global gradient norm on the device (used when clip_norm > 0). */
ct_status ct_optim_step(ct_device *dev, const ct_optim_params *o, ct_buf P, ct_buf M, ct_buf V,
                        ct_buf G, ct_buf gnorm_sq, long long t, int n);

/* out[0] = sum of x^2 over n elements, in a fixed order (partials: CT_RED_PARTIALS scratch). */
ct_status ct_sum_squares(ct_device *dev, ct_buf out, ct_buf partials, ct_buf x, int n);

/* ---- helpers -------------------------------------------------------------------------- */

/* out = beta * out + scale * sum(x[0..n)), one work-group, fixed order */
ct_status ct_reduce_sum(ct_device *dev, ct_buf out, ct_buf x, int n, float scale, float beta);
/* out[i][:] = src[idx[i]][:] for i < B; idx holds int row numbers */
ct_status ct_gather_rows(ct_device *dev, ct_buf out, // (B, F)
                         ct_buf src,                 // (N, F)
                         ct_buf idx,                 // (B) int
                         int B, int F);
/* out[i][:] = src[row(start + i)][:] for i < B, where row is the epoch's permutation of 0..n-1
 * keyed by (seed, epoch) (ct_perm_index in rng.h) when shuffle is set, else the identity.
 * Copies 32-bit words unchanged: float features and int labels alike. start + B <= n. */
ct_status ct_gather_perm(ct_device *dev, ct_buf out, // (B, F)
                         ct_buf src,                 // (n, F)
                         int B, int F, int start, int n, int shuffle, unsigned long long seed,
                         unsigned long long epoch);
/* y[0..n) += a * x[0..n) */
ct_status ct_axpy(ct_device *dev, ct_buf y, ct_buf x, float a, int n);
/* count[0] += number of rows i with argmax(Z[i]) == labels[i] (int counter, first max wins) */
ct_status ct_argmax_correct(ct_device *dev, ct_buf count, // (1) int
                            ct_buf Z,                     // (B, C)
                            ct_buf labels,                // (B) int
                            int B, int C);
/* count[0] += number of elements with (Z > 0) == (T > 0.5) (int counter) */
ct_status ct_binary_correct(ct_device *dev, ct_buf count, ct_buf Z, ct_buf T, int n);
/* x[0..n) = value */
ct_status ct_fill(ct_device *dev, ct_buf x, float value, int n);
/* x[0..n) *= alpha */
ct_status ct_scale(ct_device *dev, ct_buf x, float alpha, int n);
/* out[0..n) = f(x[0..n)) with f the function fn of kernels/math.cl (ct_math_fn, ct_math.h) */
ct_status ct_math_eval(ct_device *dev, ct_buf out, ct_buf x, int fn, int n);

/* count[0] += number of columns j whose every row has A[i][j] <= 0 (dead units; int counter) */
ct_status ct_dead_units(ct_device *dev, ct_buf count, // (1) int
                        ct_buf A,                     // (B, N)
                        int B, int N);


/* ---- normalization (after a hidden dense layer, before its activation) ------------------------
 * Batch norm: statistics per column over the batch; layer norm: per row over the features.
 * xhat = (Z - mean) / sqrt(var + eps), Y = gamma xhat + beta, A = f(Y); the same math as ref.h. */
/* out[j] = scale * sum_i (centered ? (Z[i][j] - mean[j])^2 : Z[i][j]) (mean unused when not
 * centered): a batch's column mean (scale 1/M) and biased variance, or a share of them.
 * Not centered, mean is never read: any buffer, or NULL mem. */
ct_status ct_bn_moment(ct_device *dev, ct_buf out, // (N)
                       ct_buf Z,                   // (B, N)
                       ct_buf mean,                // (N)
                       int B, int N, int centered, float scale);
/* mean[i], biased var[i] of each row of Z (two passes) */
ct_status ct_ln_stats(ct_device *dev, ct_buf mean, ct_buf var, // (B) each
                      ct_buf Z,                                // (B, N)
                      int B, int N);
/* Y = gamma xhat + beta, A = f(Y); mean, var per column (per_row 0, (N)) or per row (1, (B)) */
ct_status ct_norm_apply(ct_device *dev, ct_buf Y, ct_buf A, // (B, N) each
                        ct_buf Z,                           // (B, N)
                        ct_buf mean, ct_buf var, ct_buf gamma, ct_buf beta, float eps,
                        ct_act act, float alpha, int B, int N, int per_row);
/* g = dA f'(Y); dgamma[j] = sum_i g xhat; dbeta[j] = sum_i g */
ct_status ct_norm_param_grads(ct_device *dev, ct_buf dgamma, ct_buf dbeta, // (N) each
                              ct_buf dA, ct_buf Y, ct_buf Z,               // (B, N) each
                              ct_buf mean, ct_buf var, float eps, ct_act act, float alpha, int B,
                              int N, int per_row);
/* M > 0: dZ = gamma rstd (g - dbeta / M - xhat dgamma / M) with the whole batch's dgamma, dbeta;
 * M == 0: dZ = gamma rstd g (constant statistics; dgamma, dbeta never read: any buffers, or
 * NULL mem). M > 0 must be >= B (these B rows are part of the batch). dZ may be dA. */
ct_status ct_bn_backward_input(ct_device *dev, ct_buf dZ, // (B, N)
                               ct_buf dA, ct_buf Y, ct_buf Z, ct_buf mean, ct_buf var,
                               ct_buf gamma, ct_buf dgamma, ct_buf dbeta, float eps, ct_act act,
                               float alpha, int M, int B, int N);
/* per row: h = gamma g, dZ = rstd (h - mean(h) - xhat mean(h xhat)). dZ may be dA. */
ct_status ct_ln_backward_input(ct_device *dev, ct_buf dZ, // (B, N)
                               ct_buf dA, ct_buf Y, ct_buf Z, ct_buf mean, ct_buf var,
                               ct_buf gamma, float eps, ct_act act, float alpha, int B, int N);
/* rm = (1 - m) rm + m mean; rv = (1 - m) rv + m var M / (M - 1) (var when M == 1);
 * momentum m in [0, 1], M >= 1 */
ct_status ct_bn_running(ct_device *dev, ct_buf rm, ct_buf rv, ct_buf mean, ct_buf var,
                        float momentum, int M, int N);


/* The same, fused for a batch that is not shared across ranks (the same numbers as the ops
 * they join, bit for bit):
 * ct_bn_stats = ct_bn_moment (mean, then the biased var; scale 1 / B) + ct_bn_running (M = B) */
ct_status ct_bn_stats(ct_device *dev, ct_buf mean, ct_buf var, // (N) each
                      ct_buf rm, ct_buf rv,                    // (N) each, updated
                      ct_buf Z,                                // (B, N)
                      int B, int N, float momentum);
/* ct_norm_param_grads (per_row 0) + ct_bn_backward_input (M = B) + dbias = 0. dZ may be dA. */
ct_status ct_bn_backward(ct_device *dev, ct_buf dZ, ct_buf dgamma, ct_buf dbeta, ct_buf dbias,
                         ct_buf dA, ct_buf Y, ct_buf Z, ct_buf mean, ct_buf var, ct_buf gamma,
                         float eps, ct_act act, float alpha, int B, int N);
/* ct_ln_stats + ct_norm_apply (per_row 1) */
ct_status ct_ln_forward(ct_device *dev, ct_buf Y, ct_buf A, ct_buf mean, ct_buf var, ct_buf Z,
                        ct_buf gamma, ct_buf beta, float eps, ct_act act, float alpha, int B,
                        int N);

#endif
