/* cltrain: the command line. `cltrain <command> [options]`. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cli_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("cltrain: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
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
    fputs("usage: cltrain [--device SEL] <command> [options]\n"
          "\n"
          "Trains multilayer perceptrons on any OpenCL device (a GPU, or PoCL on the CPU).\n"
          "\n"
          "commands:\n"
          "  devices     list every OpenCL platform and device, and whether CLBlast works on it\n"
          "  selftest    run every kernel on fresh random inputs and compare it with the scalar\n"
          "              reference (host/ref.c); exit 1 when any op is out of tolerance\n"
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
          "  CLTRAIN_GEMM          matrix products: auto (default: CLBlast when it works on the\n"
          "                        device, else the own kernel), clblast, own\n"
          "  CLTRAIN_KERNELS_DIR   load kernels/*.cl from this folder instead of the built-in copy\n",
          f);
}

int main(int argc, char **argv) {
    const char *device = NULL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return CLI_OK;
        } else if (!strcmp(argv[i], "--version")) {
            printf("cltrain %s\n", CT_VERSION_STRING);
            return CLI_OK;
        } else if (!strncmp(argv[i], "--device", 8) && (argv[i][8] == '\0' || argv[i][8] == '=')) {
            if (!(device = cli_value(argc, argv, &i, "--device"))) return CLI_USAGE;
        } else {
            cli_error("unknown option '%s' (see cltrain --help)", argv[i]);
            return CLI_USAGE;
        }
    }
    if (i >= argc) {
        cli_error("no command given (commands: devices, selftest; see cltrain --help)");
        return CLI_USAGE;
    }
    const char *cmd = argv[i];
    int sub_argc = argc - i;
    char **sub_argv = argv + i;
    if (!strcmp(cmd, "devices")) {
        if (device) {
            cli_error("devices lists every device; --device does not apply");
            return CLI_USAGE;
        }
        return cmd_devices(sub_argc, sub_argv);
    }
    if (!strcmp(cmd, "selftest")) return cmd_selftest(sub_argc, sub_argv, device);
    if (!strcmp(cmd, "help")) {
        usage(stdout);
        return CLI_OK;
    }
    cli_error("unknown command '%s' (commands: devices, selftest; see cltrain --help)", cmd);
    return CLI_USAGE;
}
