/* The cltrain command: shared helpers of the subcommands. */
#ifndef CT_CLI_H
#define CT_CLI_H

#include <stdio.h>

#include "cltrain.h"
#include "cltrain_tools.h"

/* Exit codes: 0 success, 1 a failure while running, 2 a usage error. CLI_RUN is none: cli_parse's
 * answer when the command should go on. */
enum { CLI_RUN = -1, CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

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

/* Options with a value (--name VALUE or --name=VALUE), read at argv[*i]: each returns 1 when
 * argv[*i] is option `name` and its value was read (and checked), 0 when it is another option,
 * and -1 after printing the error (a missing or bad value; the caller returns CLI_USAGE). */
int cli_opt(int argc, char **argv, int *i, const char *name, const char **value);
int cli_opt_int(int argc, char **argv, int *i, const char *name, long long lo, long long hi,
                int *out);
int cli_opt_u64(int argc, char **argv, int *i, const char *name, unsigned long long *out);
int cli_opt_float(int argc, char **argv, int *i, const char *name, double lo, double hi,
                  int lo_open, float *out);
/* --backend opencl|reference: *reference = 0 or 1. */
int cli_opt_backend(int argc, char **argv, int *i, int *reference);
/* --backend both|opencl|reference: which of the device and the reference run. */
int cli_opt_backend_both(int argc, char **argv, int *i, int *use_dev, int *use_ref);
/* A flag without a value: 1 (and *out = 1) when arg is exactly `name`, else 0. */
int cli_flag(const char *arg, const char *name, int *out);

/* One option of a command at argv[*i], as cli_opt: 1 read, 0 not an option of the command, -1
 * after printing an error. */
typedef int cli_option_fn(int argc, char **argv, int *i, void *opts);
/* Reads a command's options argv[1..] with `option`; -h or --help prints usage on stdout, any other
 * argument is "CMD: unknown option". Returns CLI_RUN when the command should go on, else its exit
 * code: CLI_OK after the help, CLI_USAGE after an error (printed). */
int cli_parse(int argc, char **argv, const char *cmd, void (*usage)(FILE *), cli_option_fn *option,
              void *opts);
/* Prints the one-line error of a library status with its message. */
int cli_fail(const char *msg);
/* The device doctor (cltrain devices, when no GPU is found): prints a line per GPU driver that
 * is installed but not registered and per registered driver that does not load, each with
 * what to do; one line saying so when there is nothing. Returns the number of findings. */
int cli_doctor(void);

struct ct_saved_model;
struct ct_dataset;
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
int cmd_warm(int argc, char **argv, const char *device);

/* The kernel warm-up helper of train (host/cli/warm.c): cli_warm_start starts `cltrain --device
 * <device> warm` beside this process (when ct_device_warm_early or ct_device_warm_wanted says so);
 * cli_warm_plan hands it the plan (on_plan); cli_warm_end waits for it. Each does nothing when
 * there is no helper. */
typedef struct cli_warm {
    int pid; /* -1: none */
    int fd;  /* the writing end of its standard input, -1 once closed */
} cli_warm;
void cli_warm_start(cli_warm *w, const char *device);
void cli_warm_plan(cli_warm *w, const char *plan);
void cli_warm_end(cli_warm *w);

/* ---- under mpirun (host/cli/mpi.c) ---------------------------------------------------------- */

/* Reads the process's rank, the job's size and the rank on this host from the launcher's
 * environment (Open MPI, PMIx, MPICH Hydra, Slurm); without one: rank 0 of 1. */
void cli_mpi_detect(void);
int cli_mpi_rank(void);
int cli_mpi_size(void);
int cli_mpi_local_rank(void);
/* Whether the process was started by an MPI launcher (its environment names a job size). */
int cli_mpi_launched(void);
/* Whether the launcher that started this process writes to a terminal: its descriptor fd_no (2:
 * standard error, 1: output; the parent process's, on Linux) is one. Under mpirun a rank's stderr is a pipe that the launcher
 * copies to its own, and Open MPI gives every rank a pseudo-terminal for stdout whatever its
 * own output is, so neither of the rank's own tells. 0 where it cannot be seen. */
int cli_mpi_launcher_tty(int fd_no);
/* On a rank other than 0 of a job: keeps the error line for the end of the process (printed
 * there, when the rank fails) and returns 1; else 0 (print it now). */
int cli_mpi_defer(const char *line);
/* MPI_Init and the library's communicator over MPI_COMM_WORLD. Without MPI: the error. */
int cli_mpi_start(ct_comm *comm);
/* Rank 0 gets every rank's line (`each` bytes apiece, in rank order) in all. */
int cli_mpi_gather(const char *mine, size_t each, char *all);
/* The process's exit code: MPI_Finalize after success; after a failure, the rank's error and
 * MPI_Abort of the whole job (the other ranks may be waiting in a collective). */
int cli_mpi_finish(int rc);
int cmd_bench(int argc, char **argv, const char *device);
int cmd_tune(int argc, char **argv, const char *device);
/* Runs ct_tune on nets, printing its progress and what it chose (cltrain tune, bench --tune). */
int cli_tune_run(ct_device *dev, const ct_bench_net *nets, int n, double budget);

#endif
