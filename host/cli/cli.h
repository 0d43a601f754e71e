/* The cltrain command: shared helpers of the subcommands. */
#ifndef CT_CLI_H
#define CT_CLI_H

#include "cltrain.h"

/* Exit codes: 0 success, 1 a failure while running, 2 a usage error. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* Prints "cltrain: error: <message>" on stderr (one line unless the message has a build log). */
void cli_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* Reads the value of option argv[*i] (--name VALUE or --name=VALUE). NULL after an error. */
const char *cli_value(int argc, char **argv, int *i, const char *name);
/* Opens the device (selector may be NULL), printing the error on failure. */
int cli_open_device(const char *selector, ct_device **dev);

/* 1 when argv[*i] is option `name` (as "--name" or "--name=value"). */
int cli_is(const char *arg, const char *name);
/* Values with checks; each prints "option NAME expects ..., got 'X'" and returns 0 on error. */
int cli_int(const char *name, const char *v, long long lo, long long hi, int *out);
int cli_u64(const char *name, const char *v, unsigned long long *out);
int cli_float(const char *name, const char *v, double lo, double hi, int lo_open, float *out);
/* "64,32" -> up to max ints in [lo, hi]; returns the count, 0 after an error. */
int cli_int_list(const char *name, const char *v, int *out, int max, int lo, int hi);

/* --backend opencl|reference: *reference = 0 or 1; 0 after printing an error. */
int cli_backend(const char *v, int *reference);
/* Prints the one-line error of a library status with its message. */
int cli_fail(const char *msg);

/* A saved model on a device (or the reference when reference is set), ready for predictions:
 * *net uses batches of up to `batch` rows. On failure prints the error. */
struct ct_saved_model;
struct ct_net;
struct ct_dataset;
int cli_model_net(const char *path, const char *device, int reference, int batch,
                  struct ct_saved_model *sm, ct_device **dev, struct ct_net **net);
/* Loads SOURCE for a saved model: its classes, its task; drops one extra column of a CSV
 * (the label) when labels are not required; applies the model's scaler. */
int cli_model_data(const char *source, const char *labels, const char *label, int require_labels,
                   const struct ct_saved_model *sm, struct ct_dataset **out);

int cmd_devices(int argc, char **argv);
int cmd_explain(int argc, char **argv, const char *device);
int cmd_gradcheck(int argc, char **argv, const char *device);
int cmd_selftest(int argc, char **argv, const char *device);
int cmd_train(int argc, char **argv, const char *device);
int cmd_eval(int argc, char **argv, const char *device);
int cmd_predict(int argc, char **argv, const char *device);
int cmd_convert(int argc, char **argv, const char *device);

int cmd_lrfind(int argc, char **argv, const char *device);

#endif
