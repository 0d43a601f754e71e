/* The training loop: epochs of shuffled batches on the device, validation, early stopping,
 * learning-rate schedules, per-epoch metrics read once per epoch, resumable state. */
#ifndef CT_TRAIN_H
#define CT_TRAIN_H

#include <signal.h>

#include "model.h"

/* What a resumed run needs besides parameters and optimizer state. */
typedef struct ct_train_state {
    int epoch;       /* epochs completed */
    long long step;  /* optimizer steps completed */
    double lr_scale; /* plateau's accumulated factor */
    double best_val; /* best validation loss so far (inf) */
    int bad_epochs;  /* epochs without improvement (early stopping) */
    int plateau_bad; /* epochs without improvement (plateau schedule) */
    int has_best;    /* a snapshot of the best parameters exists */
    /* a run stopped within an epoch (ct_train_opts.stop): the batches of epoch `epoch + 1`
     * done, the sum of their losses weighted by their rows (in batch order, as the epoch's
     * mean sums them), the same of their mean absolute errors (a regression's; NaN from a
     * checkpoint that did not keep it) and their correct count; 0 at an epoch's end */
    int batch;
    double batch_loss_sum;
    long long batch_correct;
    double batch_abs_sum;
} ct_train_state;

void ct_train_state_init(ct_train_state *s);

typedef struct ct_train_opts {
    int epochs; /* total epochs (a resumed run continues up to this) */
    int batch;
    uint64_t seed; /* shuffling and dropout */
    float lr;
    float l2; /* penalty 0.5 l2 ||W||^2 added to the loss (weights only) */
    ct_schedule schedule;
    int patience; /* early stopping on the validation loss (0: off) */
    float min_delta;
    int restore_best;   /* restore the best weights at the end when early stopping is on */
    int log_every;      /* > 0: read the losses back every this many steps (on_log) */
    int verify_every;   /* > 0: every this many steps, run the step on verify_ref too and
                         * compare every op's tensors (on_verify); stop above verify_tol */
    ct_net *verify_ref; /* a reference engine of the same architecture with the same training
                         * data uploaded */
    double verify_tol;  /* bound on |device - reference| / max |reference| per tensor (1e-3) */
    ct_verify_fn on_verify;
    ct_log_fn on_log;
    ct_epoch_fn on_epoch;
    ct_batch_fn on_batch;
    ct_plan_fn on_plan;
    void *user;
    /* data-parallel (NULL or size 1: this process alone): each step this rank computes its share
     * of the batch and the gradients are summed over the ranks; metrics and validation are
     * summed too, so every rank sees the same numbers and takes the same decisions. The caller
     * does not combine it with verify_every (ct_model_train_parallel refuses that).
     * exchange_seconds accumulates the time of the gradient sums (after the backward pass). */
    const ct_comm *comm;
    double *exchange_seconds;
    /* NULL, or a flag set asynchronously (a signal handler): read before each step; when it is
     * non-zero the run stops there (state->batch tells where in the epoch). With comm, every
     * rank passes one or none, and the ranks agree each step (one sum of a number). */
    const volatile sig_atomic_t *stop;
    /* NULL, or called at most every progress_seconds and after each epoch's last batch with the
     * epoch's mean loss so far (one read of the batch losses since the last call). With comm,
     * when any rank passes one, every rank reads and sums its losses at the moments rank 0's
     * clock picks (agreed with the stop request in one sum of two numbers per step) */
    ct_progress_fn on_progress;
    double progress_seconds;
} ct_train_opts;

/* The learning rate of step t (1-based) of epoch e (1-based) with n_batches per epoch. */
double ct_schedule_lr(const ct_schedule *s, double lr, double lr_scale, int epoch, int epochs,
                      int batch_in_epoch, int n_batches);

/* Trains from state (updated as epochs complete) until opts->epochs, early stopping or the
 * callback's stop. The training data is in CT_SLOT_TRAIN; validation in CT_SLOT_VAL when
 * has_val. A NaN or Inf loss stops with CT_ERR_NUMERIC naming the epoch and step range. */
ct_status ct_train(ct_net *net, int has_val, const ct_train_opts *o, ct_train_state *state,
                   ct_train_result *res, char msg[CT_MSG_LEN]);

/* Mean loss and accuracy (NaN for regression) of a data slot, in batches of `batch`. */
ct_status ct_evaluate(ct_net *net, int slot, int batch, double *loss, double *acc,
                      char msg[CT_MSG_LEN]);

#endif
