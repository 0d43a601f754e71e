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

/* columns j with A[i][j] <= 0 on every row i (a NaN keeps a column alive) */
int ref_dead_units(const double *A, int B, int N);

#endif
