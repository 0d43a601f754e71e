/* cltrain: the command line. `cltrain <command> [options]`. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cli_error(const char *fmt, ...) {
    char line[CT_MSG_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (cli_mpi_defer(line)) return; /* rank 1.. of a job: printed if this rank fails */
    fprintf(stderr, "cltrain: error: %s\n", line);
}

const char *cli_value(int argc, char **argv, int *i, const char *name) {
    const char *arg = argv[*i];
    size_t n = strlen(name);
    if (!strncmp(arg, name, n) && arg[n] == '=') return arg + n + 1;
    if (*i + 1 >= argc) {
        cli_error("option %s needs a value", name);
        return NULL;
    }
    return argv[++*i];
}

int cli_is(const char *arg, const char *name) {
    size_t n = strlen(name);
    return !strncmp(arg, name, n) && (arg[n] == '\0' || arg[n] == '=');
}

int cli_int(const char *name, const char *v, long long lo, long long hi, int *out) {
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (!*v || *end || errno || x < lo || x > hi) {
        cli_error("option %s expects an integer from %lld to %lld, got '%s'", name, lo, hi, v);
        return 0;
    }
    *out = (int)x;
    return 1;
}

int cli_u64(const char *name, const char *v, unsigned long long *out) {
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (!*v || *end || errno || v[0] == '-') {
        cli_error("option %s expects a non-negative integer, got '%s'", name, v);
        return 0;
    }
    *out = x;
    return 1;
}

int cli_float(const char *name, const char *v, double lo, double hi, int lo_open, float *out) {
    char *end;
    double x = strtod(v, &end);
    if (!*v || *end || !isfinite(x) || (lo_open ? !(x > lo) : !(x >= lo)) || !(x <= hi)) {
        cli_error("option %s expects a number in %s%g, %g], got '%s'", name, lo_open ? "(" : "[",
                  lo, hi, v);
        return 0;
    }
    *out = (float)x;
    return 1;
}

int cli_int_list(const char *name, const char *v, int *out, int max, int lo, int hi) {
    int n = 0;
    const char *p = v;
    while (*p) {
        char *end;
        errno = 0;
        long x = strtol(p, &end, 10);
        if (end == p || errno || x < lo || x > hi || (*end && *end != ',') || n == max) {
            cli_error("option %s expects up to %d comma-separated integers from %d to %d, got '%s'",
                      name, max, lo, hi, v);
            return 0;
        }
        out[n++] = (int)x;
        p = *end ? end + 1 : end;
        if (*end == ',' && !*p) {
            cli_error("option %s: trailing comma in '%s'", name, v);
            return 0;
        }
    }
    if (!n) cli_error("option %s expects a list of integers, got '%s'", name, v);
    return n;
}

int cli_opt(int argc, char **argv, int *i, const char *name, const char **value) {
    if (!cli_is(argv[*i], name)) return 0;
    return (*value = cli_value(argc, argv, i, name)) ? 1 : -1;
}

int cli_opt_int(int argc, char **argv, int *i, const char *name, long long lo, long long hi,
                int *out) {
    const char *v;
    int r = cli_opt(argc, argv, i, name, &v);
    return r <= 0 ? r : cli_int(name, v, lo, hi, out) ? 1 : -1;
}

int cli_opt_u64(int argc, char **argv, int *i, const char *name, unsigned long long *out) {
    const char *v;
    int r = cli_opt(argc, argv, i, name, &v);
    return r <= 0 ? r : cli_u64(name, v, out) ? 1 : -1;
}

int cli_opt_float(int argc, char **argv, int *i, const char *name, double lo, double hi,
                  int lo_open, float *out) {
    const char *v;
    int r = cli_opt(argc, argv, i, name, &v);
    return r <= 0 ? r : cli_float(name, v, lo, hi, lo_open, out) ? 1 : -1;
}

/* opencl or reference: *reference = 0 or 1; 0 after printing the error. */
static int backend(const char *v, int *reference) {
    if (strcmp(v, "opencl") && strcmp(v, "reference")) {
        cli_error("option --backend expects opencl or reference, got '%s'", v);
        return 0;
    }
    *reference = !strcmp(v, "reference");
    return 1;
}

int cli_opt_backend(int argc, char **argv, int *i, int *reference) {
    const char *v;
    int r = cli_opt(argc, argv, i, "--backend", &v);
    return r <= 0 ? r : backend(v, reference) ? 1 : -1;
}

int cli_opt_backend_both(int argc, char **argv, int *i, int *use_dev, int *use_ref) {
    const char *v;
    int r = cli_opt(argc, argv, i, "--backend", &v), ref;
    if (r <= 0) return r;
    if (!strcmp(v, "both")) {
        *use_dev = *use_ref = 1;
        return 1;
    }
    if (!backend(v, &ref)) return -1;
    *use_dev = !ref;
    *use_ref = ref;
    return 1;
}

int cli_flag(const char *arg, const char *name, int *out) {
    if (strcmp(arg, name)) return 0;
    *out = 1;
    return 1;
}

int cli_parse(int argc, char **argv, const char *cmd, void (*usage)(FILE *), cli_option_fn *option,
              void *opts) {
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return CLI_OK;
        }
        int r = option(argc, argv, &i, opts);
        if (r < 0) return CLI_USAGE;
        if (r == 0) {
            cli_error("%s: unknown option '%s' (see cltrain %s --help)", cmd, argv[i], cmd);
            return CLI_USAGE;
        }
    }
    return CLI_RUN;
}

int cli_fail(const char *msg) {
    cli_error("%s", msg);
    return CLI_FAIL;
}

int cli_open_device(const char *selector, ct_device **dev) {
    char msg[CT_MSG_LEN];
    ct_status st = ct_device_create(dev, selector, msg);
    if (st != CT_OK) {
        cli_error("%s", msg);
        return CLI_FAIL;
    }
    return CLI_OK;
}

static void usage(FILE *f) {
    fputs(
        "usage: cltrain [--device SEL] <command> [options]\n"
        "\n"
        "Trains multilayer perceptrons on any OpenCL device (a GPU, or PoCL on the CPU).\n"
        "\n"
        "commands:\n"
        "  train       train a network (cltrain train --help for every option)\n"
        "  eval        loss, accuracy and confusion matrix (or MSE, MAE, R^2) of a saved model\n"
        "  predict     write a CSV of predictions of a saved model\n"
        "  lr-find     the learning-rate range test: suggests a --lr for train\n"
        "  convert     a JSON model (typed by hand) to safetensors, or back\n"
        "  bench       the benchmark suite: step times on the device, the CPU comparator and the\n"
        "              reference, GEMM GFLOP/s per backend, each beside the device's ceiling\n"
        "  tune        measure the device's kernel shapes and product backends on a model's\n"
        "              sizes and keep the fastest (bit-identical results, only faster)\n"
        "  explain     one forward and backward pass of a small model, layer by layer, device\n"
        "              and reference side by side\n"
        "  gradcheck   gradients of the device and the reference against finite differences\n"
        "  devices     list every OpenCL platform and device, and whether CLBlast works on it\n"
        "  selftest    run every kernel on fresh random inputs and compare it with the scalar\n"
        "              reference (host/ref.c); exit 1 when any op is out of tolerance\n"
        "  warm        compile a plan's kernels into the driver's cache (train starts it beside\n"
        "              itself on PoCL when its kernels are not cached)\n"
        "\n"
        "options:\n"
        "  --device SEL   the device: an index from `cltrain devices`, gpu, cpu, accelerator, or\n"
        "                 part of a device name (default: $CLTRAIN_DEVICE, else the first GPU,\n"
        "                 else the first CPU device)\n"
        "  -h, --help     this help (`cltrain <command> --help` for a command's options)\n"
        "  --version      the version\n"
        "\n"
        "environment:\n"
        "  CLTRAIN_DEVICE        default device selector (as --device)\n"
        "  CLTRAIN_GEMM          matrix products: auto, clblast, own, cpu. auto (default): the\n"
        "                        own kernel (CPU-shaped on CPU devices), CLBlast only for the\n"
        "                        shape classes where `cltrain tune` measured it > 5% faster;\n"
        "                        clblast: the device's own bits; cpu: the own kernel shaped\n"
        "                        for CPU OpenCL\n"
        "  CLTRAIN_EXACT=1       force the common bits, the same on every OpenCL implementation\n"
        "                        (as train --exact): no product by CLBlast\n"
        "  CLTRAIN_KERNELS_DIR   load kernels/*.cl from this folder instead of the built-in copy\n"
        "  CLTRAIN_PREWARM=0     train starts no kernel warm-up helper (cltrain warm --help)\n",
        f);
}

static int run(int argc, char **argv);

int main(int argc, char **argv) {
    /* under mpirun: only rank 0 prints results; the others keep their errors for the end */
    cli_mpi_detect();
    /* PoCL: pin its worker threads unless the user chose otherwise (measured 10-50% faster
     * on medium products, and a shorter synchronous call); other drivers ignore it. Not under
     * mpirun: every rank's PoCL would pin its threads to the same first cores. */
    if (!getenv("POCL_AFFINITY") && cli_mpi_size() == 1) setenv("POCL_AFFINITY", "1", 0);
    if (cli_mpi_size() > 1 && cli_mpi_rank() != 0 && !freopen("/dev/null", "w", stdout))
        return CLI_FAIL;
    return cli_mpi_finish(run(argc, argv));
}

#define COMMANDS                                                                              \
    "train, eval, predict, explain, gradcheck, lr-find, convert, bench, tune, devices, selftest, " \
    "warm"

static int run(int argc, char **argv) {
    const char *device = NULL;
    int i = 1, r;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return CLI_OK;
        } else if (!strcmp(argv[i], "--version")) {
            printf("cltrain %s\n", CT_VERSION_STRING);
            return CLI_OK;
        } else if ((r = cli_opt(argc, argv, &i, "--device", &device))) {
            if (r < 0) return CLI_USAGE;
        } else {
            cli_error("unknown option '%s' (see cltrain --help)", argv[i]);
            return CLI_USAGE;
        }
    }
    if (i >= argc) {
        cli_error("no command given (commands: %s; see cltrain --help)", COMMANDS);
        return CLI_USAGE;
    }
    const char *cmd = argv[i];
    int sub_argc = argc - i;
    char **sub_argv = argv + i;
    /* --device may also follow the command (cltrain train --device 1 ...): take it out here */
    for (int k = 1; k < sub_argc; k++) {
        const char *v = NULL;
        int at = k;
        if ((r = cli_opt(sub_argc, sub_argv, &k, "--device", &v)) == 0) continue;
        if (r < 0) return CLI_USAGE;
        if (device && strcmp(device, v)) {
            cli_error("--device is given twice ('%s' and '%s')", device, v);
            return CLI_USAGE;
        }
        device = v;
        int used = k - at + 1; /* "--device X" or "--device=X" */
        for (int m = at; m + used < sub_argc; m++)
            sub_argv[m] = sub_argv[m + used];
        sub_argc -= used;
        k = at - 1;
    }
    if (cli_mpi_size() > 1 && strcmp(cmd, "train")) {
        cli_error("%s does not run as %d processes (mpirun): only train is data-parallel", cmd,
                  cli_mpi_size());
        return CLI_USAGE;
    }
    if (!strcmp(cmd, "devices")) {
        if (device) {
            cli_error("devices lists every device; --device does not apply");
            return CLI_USAGE;
        }
        return cmd_devices(sub_argc, sub_argv);
    }
    if (!strcmp(cmd, "selftest")) return cmd_selftest(sub_argc, sub_argv, device);
    if (!strcmp(cmd, "train")) return cmd_train(sub_argc, sub_argv, device);
    if (!strcmp(cmd, "eval")) return cmd_eval(sub_argc, sub_argv, device);
    if (!strcmp(cmd, "predict")) return cmd_predict(sub_argc, sub_argv, device);
    if (!strcmp(cmd, "lr-find")) return cmd_lrfind(sub_argc, sub_argv, device);
    if (!strcmp(cmd, "convert")) return cmd_convert(sub_argc, sub_argv, device);
    if (!strcmp(cmd, "explain")) return cmd_explain(sub_argc, sub_argv, device);
    if (!strcmp(cmd, "gradcheck")) return cmd_gradcheck(sub_argc, sub_argv, device);
    if (!strcmp(cmd, "bench")) return cmd_bench(sub_argc, sub_argv, device);
    if (!strcmp(cmd, "tune")) return cmd_tune(sub_argc, sub_argv, device);
    if (!strcmp(cmd, "warm")) return cmd_warm(sub_argc, sub_argv, device);
    if (!strcmp(cmd, "help")) {
        usage(stdout);
        return CLI_OK;
    }
    cli_error("unknown command '%s' (commands: %s; see cltrain --help)", cmd, COMMANDS);
    return CLI_USAGE;
}
