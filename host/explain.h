/* One forward and backward pass of a small batch with every intermediate tensor kept, computed
 * on the device (dev != NULL) or by the scalar reference (dev == NULL), and optionally one
 * optimizer step. The material of `cltrain explain` and `cltrain gradcheck`. */
#ifndef CT_EXPLAIN_H
#define CT_EXPLAIN_H

#include "model.h"

typedef struct ct_pass {
    ct_arch arch;
    ct_layout lay;
    int B;
    double *z[CT_MAX_LAYERS]; /* (B, out_l) pre-activation */
    double *a[CT_MAX_LAYERS]; /* (B, out_l) activation; output layer: probabilities (ce: softmax,
                               * bce: sigmoid) or values (mse, huber) */
    double *delta[CT_MAX_LAYERS]; /* (B, out_l) dL/dz_l */
    double *grad;                 /* (n_params) dL/dparams in the flat layout */
    double loss;                  /* mean loss of the batch */
    int stepped;
    double *params;  /* (n_params) after the step */
    double *m, *v;   /* (n_params) optimizer state after the step (zero before it) */
    double bc1, bc2; /* Adam's bias corrections 1 - b1^t, 1 - b2^t (t = 1) */
} ct_pass;

/* params: n_params floats; X: (B, in); labels (B) for ce, targets (B, outputs) otherwise.
 * step: NULL for no optimizer step, else one step t = 1 from zero state. */
ct_status ct_pass_run(ct_device *dev, const ct_arch *a, const float *params, const float *X,
                      const int *labels, const float *targets, int B, const ct_optim_params *step,
                      ct_pass *out, char msg[CT_MSG_LEN]);
void ct_pass_free(ct_pass *p);

/* The mean loss of the batch by the reference with double parameters (for finite
 * differences); X, labels, targets as above. */
double ct_ref_loss_at(const ct_arch *a, const double *params, const float *X, const int *labels,
                      const float *targets, int B);

#endif
