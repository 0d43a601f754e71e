/* The options that train and lr-find share: the data, the model and the optimizer, and the
 * network they describe for the training data. */
#ifndef CT_CLI_NETOPTS_H
#define CT_CLI_NETOPTS_H

#include "cli.h"

/* The options as given; NAN for a number that takes its default later (the optimizer's, the
 * activation's). */
typedef struct {
    /* data */
    const char *data, *labels, *label;
    ct_task task;
    int standardize;
    /* tables (a CSV): column kinds and missing values, as ct_data_opts */
    const char *categorical, *numeric, *drop, *na_values;
    int max_categories, impute_mean, missing_indicator, drop_missing_labels;
    /* model */
    const char *layers, *activation, *loss, *init, *dropout, *norm;
    float alpha, huber_delta, bias_init, norm_momentum, norm_eps;
    unsigned long long seed;
    /* optimizer */
    const char *optimizer;
    float momentum, dampening, beta1, beta2, rho, eps, weight_decay, l2, clip_norm;
    int batch;
} cli_netopts;

/* Consumes argv[*i] when it is one of these options: as cli_opt, 1 when it was read, 0 when it is
 * another option, -1 after printing an error. */
int cli_netopts_option(int argc, char **argv, int *i, cli_netopts *o);
/* Help lines of the table options (--categorical ... --drop-missing-labels). */
void cli_usage_table(FILE *f);
/* Help lines from the lists of cltrain.h: --activation, --alpha and --loss; --optimizer. */
void cli_usage_model_names(FILE *f);
void cli_usage_optimizer(FILE *f);
/* cli_parse for train and lr-find: o (inside opts) starts with the defaults (as `cltrain train
 * --help` states them), `option` reads the command's options (cli_netopts_option among them),
 * and --data is required. Returns CLI_RUN or the exit code, as cli_parse. */
int cli_netopts_parse(int argc, char **argv, const char *cmd, void (*usage)(FILE *),
                      cli_option_fn *option, void *opts, cli_netopts *o);
/* Loads SOURCE with the options' label column, task and seed; `like` (the training data, or NULL)
 * fixes the task and the class names of validation and test data. */
ct_status cli_netopts_load(const cli_netopts *o, const char *source, const ct_dataset *like,
                           ct_dataset **out, char msg[CT_MSG_LEN]);
/* "data: SOURCE (N rows, F features, K classes)" and the like, on stdout. */
void cli_describe_data(const char *what, const ct_dataset *d);

/* The network the options describe. Start from {0}; cli_netspec_optimizer and cli_netspec_model
 * check the options before any loading, cli_netspec_arch completes it for the training data. */
typedef struct {
    ct_optim kind;
    ct_optim_params optim; /* lr: the optimizer's default */
    ct_init init;
    int hidden[CT_MAX_LAYERS], n_hidden;
    ct_loss loss;
    int loss_given;
    ct_arch arch; /* hidden activations, alphas, dropout; all of it after cli_netspec_arch */
} cli_netspec;

/* --optimizer and its settings; CLI_OK, or CLI_USAGE after printing the error. */
int cli_netspec_optimizer(cli_netspec *n, const cli_netopts *o);
/* --init, --layers, --activation, --alpha, --dropout, --norm, --loss; CLI_OK, or CLI_USAGE after
 * printing the error. */
int cli_netspec_model(cli_netspec *n, const cli_netopts *o);
/* The input size, the output size and the loss from the training data (several classes:
 * softmax + cross-entropy, two: one sigmoid unit + BCE, a regression target: linear + MSE, unless
 * --loss says otherwise), then validates the architecture. */
ct_status cli_netspec_arch(cli_netspec *n, const cli_netopts *o, const ct_dataset *train,
                           char msg[CT_MSG_LEN]);

/* The batch size for the training data: --batch, which must not exceed its rows. */
ct_status cli_netopts_batch(const cli_netopts *o, const ct_dataset *train, int *batch,
                            char msg[CT_MSG_LEN]);

#endif
