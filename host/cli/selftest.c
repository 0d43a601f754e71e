/* cltrain selftest: every op on the device against the scalar reference, one table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cltrain_tools.h"

static void usage(FILE *f) {
    fputs("usage: cltrain [--device SEL] selftest [--seed N] [--gemm auto|clblast|own|cpu] "
          "[--quiet]\n"
          "\n"
          "Runs every kernel on fresh random inputs of odd sizes and compares it with the scalar\n"
          "reference in double precision. Prints, per case, the largest absolute and relative\n"
          "error and the worst error as a fraction of its tolerance; exit 1 when any case fails.\n"
          "Matrix products run on every backend that works on the device (CLBlast and own).\n"
          "\n"
          "  --seed N     inputs from this seed (default: from the clock, printed)\n"
          "  --gemm B     run the products on backend B only\n"
          "  --quiet      print only failures and the summary\n",
          f);
}

static int is_product(ct_check_op op) {
    return op == CT_CHECK_GEMM || op == CT_CHECK_DENSE_FORWARD ||
           op == CT_CHECK_DENSE_BACKWARD_WEIGHT || op == CT_CHECK_DENSE_BACKWARD_INPUT;
}

int cmd_selftest(int argc, char **argv, const char *device) {
    unsigned long long seed = (unsigned long long)time(NULL);
    int quiet = 0, only = -1;
    for (int i = 1; i < argc; i++) {
        const char *v;
        int r;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return CLI_OK;
        } else if (!strcmp(argv[i], "--quiet")) {
            quiet = 1;
        } else if ((r = cli_opt(argc, argv, &i, "--seed", &v))) {
            if (r < 0) return CLI_USAGE;
            char *end;
            seed = strtoull(v, &end, 10);
            if (!*v || *end) {
                cli_error("selftest: --seed expects a non-negative integer, got '%s'", v);
                return CLI_USAGE;
            }
        } else if ((r = cli_opt(argc, argv, &i, "--gemm", &v))) {
            if (r < 0) return CLI_USAGE;
            if (!strcmp(v, "auto"))
                only = CT_GEMM_AUTO;
            else if (!strcmp(v, "clblast"))
                only = CT_GEMM_CLBLAST;
            else if (!strcmp(v, "own"))
                only = CT_GEMM_OWN;
            else if (!strcmp(v, "cpu"))
                only = CT_GEMM_CPU;
            else {
                cli_error("selftest: --gemm expects auto, clblast, own or cpu, got '%s'", v);
                return CLI_USAGE;
            }
        } else {
            cli_error("selftest: unknown option '%s' (see cltrain selftest --help)", argv[i]);
            return CLI_USAGE;
        }
    }
    ct_device *dev = NULL;
    if (cli_open_device(device, &dev) != CLI_OK) return CLI_FAIL;
    const ct_device_info *info = ct_device_get_info(dev);
    const char *why = NULL;
    int clblast = ct_device_clblast_works(dev, &why);
    printf("selftest on [%d] %s (%s), seed %llu\n", info->index, info->name, info->platform, seed);
    printf("CLBlast: %s%s\n", clblast ? "works" : "not used: ", clblast ? "" : why);

    ct_gemm_backend backends[3];
    int nb = 0;
    if (only >= 0) {
        backends[nb++] = (ct_gemm_backend)only;
    } else {
        if (clblast) backends[nb++] = CT_GEMM_CLBLAST;
        backends[nb++] = CT_GEMM_OWN;
        backends[nb++] = CT_GEMM_CPU;
    }
    const ct_check_case *cases;
    int ncases = ct_check_selftest_cases(&cases);
    int ran = 0, failed = 0;
    double worst_rel = 0;
    if (!quiet) printf("%-58s %11s %11s %9s  %s\n", "case", "max |diff|", "max rel", "err/tol", "");
    for (int k = 0; k < ncases; k++) {
        for (int b = 0; b < (is_product(cases[k].op) ? nb : 1); b++) {
            ct_check_case c = cases[k];
            if (is_product(c.op)) c.gemm = backends[b];
            ct_check_result r;
            ct_status st = ct_check_run(dev, &c, seed + (unsigned long long)k, &r);
            ran++;
            if (st != CT_OK) {
                failed++;
                printf("%-58s  FAILED TO RUN: %s\n", r.what, ct_device_error(dev));
                continue;
            }
            if (!r.pass) failed++;
            if (r.max_rel > worst_rel) worst_rel = r.max_rel;
            if (!quiet || !r.pass)
                printf("%-58s %11.3g %11.3g %9.3f  %s\n", r.what, r.max_abs, r.max_rel, r.worst,
                       r.pass ? "ok" : "FAIL");
            if (!r.pass)
                printf("    %ld of %ld elements bad; first: %s\n", r.n_bad, r.n_checked,
                       r.first_bad);
        }
    }
    printf("largest relative error over all cases: %.3g\n", worst_rel);
    printf("selftest: %d passed, %d failed\n", ran - failed, failed);
    ct_device_destroy(dev);
    return failed ? CLI_FAIL : CLI_OK;
}
