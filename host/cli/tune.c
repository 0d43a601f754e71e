/* cltrain tune: measures the device's kernel shapes and matrix-product backends on the products
 * and elementwise sizes a model will use, and keeps the fastest in the device's tuning file,
 * which every later run on this device, driver and kernel source loads. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cltrain_tools.h"

static void usage(FILE *f) {
    fputs("usage: cltrain [--device SEL] tune [--nets a64,a256,b,c,d,e | --layers 784,256,10\n"
          "                                      [--batch 256]] [--budget SECONDS]\n"
          "\n"
          "Measures the kernel shapes this device can take (vector width, rows and vectors per\n"
          "work-item of the CPU product, elements per work-item of the activations) on the\n"
          "matrix products and activation sizes of a training step, keeps the fastest shape,\n"
          "then the fastest matrix-product backend of each product's shape class, and writes\n"
          "both to the device's tuning file (per device, driver and kernel source), which later\n"
          "runs load. Every shape gives the same bits: tuning changes speed only. Products\n"
          "larger than 2048 in a dimension are timed on a proxy clipped to 2048.\n"
          "\n"
          "  --nets LIST       the benchmark suite's nets (default: all of them)\n"
          "  --layers LIST     one model instead: input, hidden and output sizes\n"
          "  --batch N         its batch size (default 256)\n"
          "  --budget SECONDS  stop trying shapes after this long (default 50 for nets, 9 for\n"
          "                    one model: a cold first compile of a shape takes about a second)\n"
          "Environment: CLTRAIN_TUNE_FILE names the tuning file instead of the cache's.\n",
          f);
}

static void print_line(void *user, const char *line) {
    (void)user;
    printf("%s\n", line);
    fflush(stdout);
}

/* Runs the tuner and prints what it chose; shared with bench --tune. */
int cli_tune_run(ct_device *dev, const ct_bench_net *nets, int n, double budget) {
    ct_tune_result r;
    if (ct_tune(dev, nets, n, budget, 1, print_line, NULL, &r) != CT_OK)
        return cli_fail(ct_device_error(dev));
    char before[96], best[96], path[1024];
    ct_kernel_config_format(&r.before, before, sizeof before);
    ct_kernel_config_format(&r.best, best, sizeof best);
    ct_gemm_tune_path(dev, path, sizeof path);
    printf("tune: kernel shape %s (untuned %s): a step's products %.3f ms against %.3f ms "
           "untuned (%.2fx); %d shapes tried, %d product classes, %.1f s\n",
           best, before, r.best_seconds * 1e3, r.default_seconds * 1e3,
           r.best_seconds > 0 ? r.default_seconds / r.best_seconds : NAN, r.tried, r.classes,
           r.seconds);
    printf("tune: kept in %s\n", path);
    return CLI_OK;
}

int cmd_tune(int argc, char **argv, const char *device) {
    const char *nets_s = NULL, *layers_s = NULL;
    int batch = 256;
    float budget = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int r;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return CLI_OK;
        }
        if ((r = cli_opt(argc, argv, &i, "--nets", &nets_s)) ||
            (r = cli_opt(argc, argv, &i, "--layers", &layers_s)) ||
            (r = cli_opt_int(argc, argv, &i, "--batch", 1, 1 << 20, &batch)) ||
            (r = cli_opt_float(argc, argv, &i, "--budget", 0, 3600, 1, &budget))) {
            if (r < 0) return CLI_USAGE;
            continue;
        }
        cli_error("tune: unknown option '%s' (see cltrain tune --help)", a);
        return CLI_USAGE;
    }
    if (nets_s && layers_s) {
        cli_error("tune: --nets and --layers exclude each other");
        return CLI_USAGE;
    }
    const ct_bench_net *suite;
    int ns = ct_bench_suite(&suite);
    ct_bench_net chosen[16];
    int n = 0;
    if (layers_s) {
        ct_bench_net m;
        memset(&m, 0, sizeof m);
        m.name = "model";
        int k = cli_int_list("--layers", layers_s, m.sizes, CT_MAX_LAYERS + 1, 1, 1 << 20);
        if (k == 0) return CLI_USAGE;
        if (k < 2) {
            cli_error("option --layers: give the input, hidden and output sizes (at least 2), "
                      "got '%s'", layers_s);
            return CLI_USAGE;
        }
        m.n_layers = k - 1;
        m.batch = batch;
        m.loss = CT_LOSS_SOFTMAX_CE;
        chosen[n++] = m;
    } else {
        char copy[256];
        snprintf(copy, sizeof copy, "%s", nets_s ? nets_s : "a64,a256,b,c,d,e");
        for (char *p = copy; *p;) {
            char *e = strchr(p, ',');
            if (e) *e = '\0';
            int found = -1;
            for (int k = 0; k < ns; k++)
                if (!strcmp(suite[k].name, p)) found = k;
            if (found < 0) {
                cli_error("option --nets: unknown net '%s' (a64, a256, b, c, d, e)", p);
                return CLI_USAGE;
            }
            if (n < 16) chosen[n++] = suite[found];
            p = e ? e + 1 : p + strlen(p);
        }
    }
    if (budget < 0) budget = layers_s ? 9.0f : 50.0f;
    ct_device *dev = NULL;
    if (cli_open_device(device, &dev) != CLI_OK) return CLI_FAIL;
    const ct_device_info *di = ct_device_get_info(dev);
    printf("cltrain tune on [%d] %s (%s), budget %.0f s\n", di->index, di->name, di->platform,
           (double)budget);
    int rc = cli_tune_run(dev, chosen, n, budget);
    ct_device_destroy(dev);
    return rc;
}
