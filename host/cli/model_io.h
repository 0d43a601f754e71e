/* A saved model run on data: what eval and predict share. */
#ifndef CT_CLI_MODEL_IO_H
#define CT_CLI_MODEL_IO_H

#include "checkpoint.h"
#include "cli.h"

/* The options --model, --data, --batch and --backend. */
typedef struct {
    const char *model, *data;
    int batch, reference;
} cli_model_opts;

/* The defaults: batch 256, the OpenCL device. */
void cli_model_opts_init(cli_model_opts *o);
/* One of those options at argv[*i], as cli_opt. */
int cli_model_option(int argc, char **argv, int *i, cli_model_opts *o);
/* "CMD: --model and --data are required" unless both are given; 0 after that error. */
int cli_model_opts_check(const char *cmd, const cli_model_opts *o);

/* The saved model on the device (or the reference) with batches of up to --batch rows, and the
 * data shaped for it (as cli_model_data); out: the (n, outputs) predictions. */
typedef struct {
    ct_saved_model sm;
    ct_device *dev;
    ct_net *net;
    ct_dataset *d;
    float *out;
} cli_model_run;

/* Loads the model and the data into r (which it clears first); CLI_OK, or CLI_FAIL after
 * printing the error. Call cli_model_close in either case. */
int cli_model_open(cli_model_run *r, const cli_model_opts *o, const char *device,
                   const char *labels, const char *label, int require_labels);
/* Predicts every row of the data into r->out; CLI_OK, or CLI_FAIL after printing the error. */
int cli_model_predict(cli_model_run *r);
void cli_model_close(cli_model_run *r);

#endif
