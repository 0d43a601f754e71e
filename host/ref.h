/* The scalar reference of every op, in double precision, written to be read.
 * Same shapes and meaning as ops.h (see the math comments there); arrays are plain host arrays,
 * row-major, batch-major. Outputs first, then inputs, then sizes. */
#ifndef CT_REF_H
#define CT_REF_H

#include <stdint.h>

#include "ops.h"

/* C = alpha * op(A) . op(B) + beta * C  (transA: A is (K, M); transB: B is (N, K)) */
void ref_gemm(double *C, int ldc, const double *A, int lda, const double *B, int ldb, int M, int N,
              int K, int transA, int transB, double alpha, double beta);
/* Y = X . W^T;  X (B, in), W (out, in), Y (B, out) */
void ref_dense_forward(double *Y, const double *X, const double *W, int B, int in, int out);
/* dW = dY^T . X + beta * dW */
void ref_dense_backward_weight(double *dW, const double *dY, const double *X, int B, int in,
                               int out, double beta);
/* dX = dY . W */
void ref_dense_backward_input(double *dX, const double *dY, const double *W, int B, int in,
                              int out);

/* f(z) and f'(z) of one activation */
double ref_act(ct_act act, double alpha, double z);
double ref_act_grad(ct_act act, double alpha, double z);
/* Z = Y + b; A = f(Z) */
void ref_bias_act_forward(double *A, double *Z, const double *Y, const double *b, ct_act act,
                          double alpha, int B, int N);
/* A = f(Z) */
void ref_act_forward(double *A, const double *Z, ct_act act, double alpha, int n);
/* dZ = dA * f'(Z) */
void ref_act_backward(double *dZ, const double *dA, const double *Z, ct_act act, double alpha,
                      int n);
/* db = beta * db + column sums of dZ */
void ref_bias_backward(double *db, const double *dZ, int B, int N, double beta);

/* Returns the mean loss; writes rowloss (B, may be NULL) and dZ (B, C, may be NULL).
 * labels: int class labels for softmax_ce (targets unused), else targets (B, C). */
double ref_loss(ct_loss kind, double *dZ, double *rowloss, const double *Z, const int *labels,
                const double *targets, int B, int C, double delta);
/* The same for B rows that are part of a batch of B_total rows: the loss and dZ are divided by
 * B_total (B_total * C), so the parts sum to the whole batch's. */
double ref_loss_part(ct_loss kind, double *dZ, double *rowloss, const double *Z, const int *labels,
                     const double *targets, int B, int C, double delta, int B_total);

/* The keep decision of element e: the same bits as the kernel. */
int ref_dropout_keep(float p, uint64_t seed, uint64_t step, uint32_t layer, uint32_t e);
/* Y = X * keep / (1 - p) */
void ref_dropout_forward(double *Y, const double *X, float p, uint64_t seed, uint64_t step,
                         uint32_t layer, int n);
/* dX = dY * keep / (1 - p) */
void ref_dropout_backward(double *dX, const double *dY, float p, uint64_t seed, uint64_t step,
                          uint32_t layer, int n);
/* The same for elements e0 .. e0 + n - 1 of a larger tensor (keep(e0 + i)). */
void ref_dropout_forward_at(double *Y, const double *X, float p, uint64_t seed, uint64_t step,
                            uint32_t layer, int n, uint32_t e0);
void ref_dropout_backward_at(double *dX, const double *dY, float p, uint64_t seed, uint64_t step,
                             uint32_t layer, int n, uint32_t e0);

/* One optimizer step (see ct_optim_step); M, V may be NULL when the optimizer does not use them.
 * gnorm_sq is the squared global gradient norm (used when o->clip_norm > 0). */
void ref_optim_step(const ct_optim_params *o, double *P, double *M, double *V, const double *G,
                    double gnorm_sq, long long t, int n);
/* sum of x^2 */
double ref_sum_squares(const double *x, int n);
/* sum of x */
double ref_sum(const double *x, int n);
/* out[i][:] = src[idx[i]][:] */
void ref_gather_rows(double *out, const double *src, const int *idx, int B, int F);
/* rows[i] = the source row of position start + i of the epoch (see ct_gather_perm) */
void ref_epoch_rows(int *rows, int B, int start, int n, int shuffle, uint64_t seed, uint64_t epoch);
/* y += a x */
void ref_axpy(double *y, const double *x, double a, int n);
/* rows whose argmax (first max) equals the label */
int ref_argmax_correct(const double *Z, const int *labels, int B, int C);
/* elements with (Z > 0) == (T > 0.5) */
int ref_binary_correct(const double *Z, const double *T, int n);
/* sum over B rows and C outputs of |Z - T| / (B_total * C) (see ct_abs_error) */
double ref_abs_error(const double *Z, const double *T, int B, int C, int B_total);

/* ---- normalization (batch norm, layer norm; see ops.h) ---- */
/* out[j] = scale * sum_i (centered ? (Z[i][j] - mean[j])^2 : Z[i][j]); mean unused (may be NULL)
 * when not centered. Batch norm's mean (centered 0, scale 1/M) and biased variance (centered 1,
 * scale 1/M) over a batch of M rows, of which these are B. */
void ref_bn_moment(double *out, const double *Z, const double *mean, int B, int N, int centered,
                   double scale);
/* Layer norm's statistics of each row of Z (B, N): mean[i], biased var[i] (two passes). */
void ref_ln_stats(double *mean, double *var, const double *Z, int B, int N);
/* xhat = (Z - mean) / sqrt(var + eps) with mean, var per column (per_row 0: batch norm) or per
 * row (per_row 1: layer norm); Y = gamma xhat + beta (per column); A = f(Y) (A may be NULL). */
void ref_norm_apply(double *Y, double *A, const double *Z, const double *mean, const double *var,
                    const double *gamma, const double *beta, double eps, ct_act act, double alpha,
                    int B, int N, int per_row);
/* g = dA * f'(Y); dgamma[j] = sum_i g[i][j] xhat[i][j]; dbeta[j] = sum_i g[i][j] */
void ref_norm_param_grads(double *dgamma, double *dbeta, const double *dA, const double *Y,
                          const double *Z, const double *mean, const double *var, double eps,
                          ct_act act, double alpha, int B, int N, int per_row);
/* Batch norm's input gradient, g as above, rstd = 1 / sqrt(var + eps): with statistics of a batch
 * of M rows (M > 0), dZ = gamma rstd (g - dbeta / M - xhat dgamma / M), dgamma and dbeta the
 * sums over the whole batch; M == 0: the statistics are constants (evaluation), dZ = gamma rstd g.
 * dZ may be dA. */
void ref_bn_backward_input(double *dZ, const double *dA, const double *Y, const double *Z,
                           const double *mean, const double *var, const double *gamma,
                           const double *dgamma, const double *dbeta, double eps, ct_act act,
                           double alpha, int M, int B, int N);
/* Layer norm's input gradient, per row i: h = gamma g, dZ = rstd (h - mean_k h - xhat mean_k(h
 * xhat)). dZ may be dA. */
void ref_ln_backward_input(double *dZ, const double *dA, const double *Y, const double *Z,
                           const double *mean, const double *var, const double *gamma, double eps,
                           ct_act act, double alpha, int B, int N);
/* running_mean = (1 - m) running_mean + m mean; running_var = (1 - m) running_var + m var M /
 * (M - 1) (the unbiased variance; var itself when M == 1) */
void ref_bn_running(double *rm, double *rv, const double *mean, const double *var,
                    double momentum, int M, int N);

/* columns j with A[i][j] <= 0 on every row i (a NaN keeps a column alive) */
int ref_dead_units(const double *A, int B, int N);

#endif
