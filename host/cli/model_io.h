/* A saved model run on data: what eval and predict share. */
#ifndef CT_CLI_MODEL_IO_H
#define CT_CLI_MODEL_IO_H

#include "cli.h"

/* The options --model, --data, --batch and --backend. */
typedef struct {
    const char *model, *data;
    int batch, reference;
} cli_model_opts;

/* One of those options at argv[*i], as cli_opt. */
int cli_model_option(int argc, char **argv, int *i, cli_model_opts *o);
/* cli_parse for eval and predict: m (inside opts) starts with the defaults (batch 256, the OpenCL
 * device), `option` reads the command's options (cli_model_option among them), and --model and
 * --data are required. Returns CLI_RUN or the exit code, as cli_parse. */
int cli_model_parse(int argc, char **argv, const char *cmd, void (*usage)(FILE *),
                    cli_option_fn *option, void *opts, cli_model_opts *m);

/* The saved model on the device (or the reference) with batches of up to --batch rows, and the
 * data shaped for it (as cli_model_data); out: the (n, outputs) predictions. */
typedef struct {
    ct_device *dev;
    ct_model *m;
    ct_dataset *d;
    float *out; /* (rows, ct_model_predict_columns) */
    int batch;
} cli_model_run;

/* Loads the model and the data into r (which it clears first); CLI_OK, or CLI_FAIL after
 * printing the error. Call cli_model_close in either case. */
int cli_model_open(cli_model_run *r, const cli_model_opts *o, const char *device,
                   const char *labels, const char *label, int require_labels);
/* Predicts every row of the data into r->out; CLI_OK, or CLI_FAIL after printing the error. */
int cli_model_predict(cli_model_run *r);
void cli_model_close(cli_model_run *r);

#endif
