/* The training loop: epochs of shuffled batches on the device, validation, early stopping,
 * learning-rate schedules, per-epoch metrics read once per epoch, resumable state. */
#ifndef CT_TRAIN_H
#define CT_TRAIN_H

#include "model.h"

typedef enum ct_sched_kind {
    CT_SCHED_CONSTANT = 0,
    CT_SCHED_STEP,   /* lr * gamma^(epoch / step_size) */
    CT_SCHED_COSINE, /* min_lr + (lr - min_lr) (1 + cos(pi e / epochs)) / 2, per step */
    CT_SCHED_PLATEAU /* lr * factor after `plateau_patience` epochs without validation gain */
} ct_sched_kind;

typedef struct ct_schedule {
    ct_sched_kind kind;
    int step_size;        /* step: epochs between decays (default 10) */
    float gamma;          /* step: factor (default 0.1) */
    float min_lr;         /* cosine: final value (default 0); plateau: lower bound */
    float factor;         /* plateau: factor (default 0.1) */
    int plateau_patience; /* plateau: epochs (default 5) */
    int warmup_epochs;    /* linear warm-up from lr / (steps) to lr over these epochs (0: none) */
} ct_schedule;

/* "constant", "step:size=10,gamma=0.5", "cosine:min=1e-5", "plateau:factor=0.5,patience=3";
 * warm-up is separate (--warmup N). One-line error in msg. */
ct_status ct_schedule_parse(const char *s, ct_schedule *out, char msg[CT_MSG_LEN]);

typedef struct ct_epoch_stats {
    int epoch;         /* 1-based */
    long long step;    /* optimizer steps so far */
    double train_loss; /* mean over the epoch's rows (+ 0.5 l2 ||W||^2 at the end of the epoch) */
    double train_acc;  /* NaN for regression */
    double val_loss;   /* NaN without validation data */
    double val_acc;
    double lr;      /* at the end of the epoch */
    double seconds; /* wall time of the epoch (training + validation) */
    double samples_per_sec;
    int improved; /* validation loss improved by more than min_delta */
} ct_epoch_stats;

/* Called after each epoch; return non-zero to stop training. */
typedef int (*ct_epoch_fn)(const ct_epoch_stats *s, void *user);
/* Called after each batch is enqueued (no device read): for a progress bar. */
typedef void (*ct_batch_fn)(int epoch, int batch, int n_batches, void *user);

/* Called every log_every steps with the mean training loss of those steps (one read). */
typedef void (*ct_log_fn)(int epoch, long long step, double mean_loss, double lr, void *user);

/* Live verification: one op's comparison at a verified step. */
typedef struct ct_verify_row {
    char op[96];    /* "layer 1 forward: dense + bias (z)" */
    double max_abs; /* largest |device - reference| */
    double max_rel; /* largest relative error over elements >= 1e-3 of the tensor's largest */
    double scaled;  /* largest |device - reference| / max |reference| (what the tolerance bounds) */
} ct_verify_row;

typedef struct ct_verify_report {
    long long step;
    int n;
    ct_verify_row rows[4 * CT_MAX_LAYERS + 4];
} ct_verify_report;

typedef void (*ct_verify_fn)(const ct_verify_report *r, void *user);

/* What a resumed run needs besides parameters and optimizer state. */
typedef struct ct_train_state {
    int epoch;       /* epochs completed */
    long long step;  /* optimizer steps completed */
    double lr_scale; /* plateau's accumulated factor */
    double best_val; /* best validation loss so far (inf) */
    int bad_epochs;  /* epochs without improvement (early stopping) */
    int plateau_bad; /* epochs without improvement (plateau schedule) */
    int has_best;    /* a snapshot of the best parameters exists */
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
    void *user;
} ct_train_opts;

typedef struct ct_train_result {
    int epochs_run; /* epochs completed in total */
    int stopped_early;
    int best_epoch; /* epoch of the best validation loss (0 without validation) */
    double best_val_loss;
    ct_epoch_stats last;
    char stop_reason[160];
} ct_train_result;

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
