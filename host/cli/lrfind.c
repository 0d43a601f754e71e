/* cltrain lr-find: the learning-rate range test (Leslie Smith's LR range test, as fastai's
 * lr_find). Builds the network `cltrain train` would build for the data, trains it with an
 * exponentially growing learning rate, prints the loss against the rate and suggests one. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "netopts.h"

static void usage(FILE *f) {
    fputs(
        "usage: cltrain [--device SEL] lr-find --data SOURCE [options]\n"
        "\n"
        "The learning-rate range test (L. Smith 2017; fastai's lr_find): trains the network that\n"
        "`cltrain train` would build, from its initial weights, for --steps batches with a\n"
        "learning rate growing exponentially from --start-lr to --end-lr, stops when the loss\n"
        "diverges, and suggests the rate at the steepest descent of the smoothed loss against\n"
        "log(lr). Use it as --lr of `cltrain train` with the same model and optimizer.\n"
        "\n"
        "data:\n"
        "  --data SOURCE        a generator (moons:n=1000,noise=0.2, ...) or a .csv, .npy, .idx\n"
        "                       file\n"
        "  --labels FILE        the labels of an .npy or .idx data file\n"
        "  --label NAME|INDEX   CSV label column (default: the last column)\n"
        "  --task T             classification or regression (default: from the labels)\n"
        "  --standardize        scale each feature to mean 0, std 1\n"
        "\n"
        "model (as cltrain train):\n"
        "  --layers 64,32       hidden layer sizes (default 64,32; 0 for none)\n",
        f);
    cli_usage_model_names(f);
    fputs(
        "  --huber-delta D      (default 1.0)\n"
        "  --init I             weight init (default auto)\n"
        "  --bias-init X        initial bias (default 0)\n"
        "  --dropout P          after every hidden layer, or one per layer (default 0)\n"
        "  --seed N             init, shuffling, dropout (default 42)\n"
        "\n"
        "optimizer (as cltrain train):\n",
        f);
    cli_usage_optimizer(f);
    fputs(
        "  --momentum X --dampening X --beta1 X --beta2 X --rho X --eps X --weight-decay X\n"
        "  --l2 X --clip-norm X\n"
        "  --batch N            (default 32)\n"
        "\n"
        "the test:\n"
        "  --start-lr X         first learning rate (default 1e-7)\n"
        "  --end-lr X           last learning rate (default 10)\n"
        "  --steps N            steps (default: one epoch, at least 2)\n"
        "  --smooth B           EMA factor of the smoothed loss, bias-corrected (default 0.98;\n"
        "                       0: the raw loss)\n"
        "  --diverge F          stop when the smoothed loss exceeds F x its best (default 4)\n"
        "  --backend B          opencl (default) or reference\n"
        "  --exact              force the common bits (no CLBlast product; CLTRAIN_EXACT=1)\n"
        "\n"
        "output:\n"
        "  --log FILE.csv       step,lr,loss,smoothed_loss for every step\n"
        "  --plot FILE.svg      the smoothed loss against the learning rate (log axis), with\n"
        "                       the suggestion marked\n"
        "  --tensorboard DIR    TensorBoard event files in DIR/train: lr_find/loss,\n"
        "                       lr_find/smoothed_loss and lr_find/learning_rate per step,\n"
        "                       lr_find/suggested_lr\n"
        "\n"
        "The suggestion is the rate where the smoothed loss falls fastest against log(lr) on\n"
        "the way down to its minimum (the most negative central difference among the points\n"
        "before the minimum, leaving out the first tenth of the points; as fastai's finder), so\n"
        "it always lies below the rate of the minimum. Exit 1 when no rate can be suggested\n"
        "(the loss never fell, or diverged at once).\n",
        f);
}

typedef struct {
    cli_netopts net; /* data, model, optimizer */
    const char *log, *plot, *tensorboard;
    int reference, steps, exact;
    float start_lr, end_lr, smooth, diverge;
} options;

static int option(int argc, char **argv, int *i, void *opts) {
    options *o = opts;
    const char *a = argv[*i];
    int r;
    if ((r = cli_netopts_option(argc, argv, i, &o->net))) return r;
    if ((r = cli_opt_float(argc, argv, i, "--start-lr", 0, 1e6, 1, &o->start_lr))) return r;
    if ((r = cli_opt_float(argc, argv, i, "--end-lr", 0, 1e6, 1, &o->end_lr))) return r;
    if ((r = cli_opt_int(argc, argv, i, "--steps", 2, 10000000, &o->steps))) return r;
    if ((r = cli_opt_float(argc, argv, i, "--smooth", 0, 0.999999, 0, &o->smooth))) return r;
    if ((r = cli_opt_float(argc, argv, i, "--diverge", 1, 1e30, 1, &o->diverge))) return r;
    if ((r = cli_opt_backend(argc, argv, i, &o->reference))) return r;
    if (cli_flag(a, "--exact", &o->exact)) return 1;
    if ((r = cli_opt(argc, argv, i, "--log", &o->log))) return r;
    if ((r = cli_opt(argc, argv, i, "--plot", &o->plot))) return r;
    if ((r = cli_opt(argc, argv, i, "--tensorboard", &o->tensorboard))) return r;
    if (cli_is(a, "--lr") || cli_is(a, "--epochs") || cli_is(a, "--schedule")) {
        cli_error("lr-find: option '%s' does not apply: the test sweeps the learning rate "
                  "(--start-lr, --end-lr, --steps)",
                  a);
        return -1;
    }
    return 0;
}

/* CLI_RUN, or the exit code after the help or an error. */
static int parse(int argc, char **argv, options *o) {
    memset(o, 0, sizeof *o);
    o->start_lr = 1e-7f;
    o->end_lr = 10.0f;
    o->smooth = 0.98f;
    o->diverge = 4.0f;
    int rc = cli_netopts_parse(argc, argv, "lr-find", usage, option, o, &o->net);
    if (rc != CLI_RUN) return rc;
    if (!(o->end_lr > o->start_lr)) {
        cli_error("lr-find: --end-lr (%g) must be larger than --start-lr (%g)", (double)o->end_lr,
                  (double)o->start_lr);
        return CLI_USAGE;
    }
    return CLI_RUN;
}

int cmd_lrfind(int argc, char **argv, const char *device) {
    options o;
    int rc = parse(argc, argv, &o);
    if (rc != CLI_RUN) return rc;
    char msg[CT_MSG_LEN];
    rc = CLI_FAIL;
    ct_dataset *train = NULL;
    ct_device *dev = NULL;
    ct_model *model = NULL;
    ct_lrfind_result res;
    memset(&res, 0, sizeof res);
    cli_netspec spec;
    memset(&spec, 0, sizeof spec);
    const ct_arch *arch = &spec.arch;

    /* cheap checks before any loading */
    if (cli_netspec_optimizer(&spec, &o.net) != CLI_OK ||
        cli_netspec_model(&spec, &o.net) != CLI_OK)
        return CLI_USAGE;
    ct_optim kind = spec.kind;
    ct_optim_params op = spec.optim;

    /* data and architecture: as cltrain train */
    if (cli_netopts_load(&o.net, o.net.data, NULL, &train, msg) != CT_OK) goto fail_msg;
    cli_describe_data("data", train);
    if (cli_netspec_arch(&spec, &o.net, train, msg) != CT_OK) goto fail_msg;
    int batch;
    if (cli_netopts_batch(&o.net, train, &batch, msg) != CT_OK) goto fail_msg;
    int steps = o.steps > 0 ? o.steps : (ct_data_rows(train) + batch - 1) / batch;
    if (steps < 2) steps = 2;
    char desc[512];
    ct_arch_describe(arch, desc, sizeof desc);
    printf("model: %s, %zu parameters\n", desc, ct_arch_params(arch));

    /* device */
    if (!o.reference) {
        if (cli_open_device(device, &dev) != CLI_OK) goto fail;
        if (o.exact && ct_device_set_exact(dev, 1) != CT_OK) {
            cli_error("--exact: %s", ct_device_error(dev));
            goto fail;
        }
        const ct_device_info *di = ct_device_get_info(dev);
        printf("device: [%d] %s (%s), %s\n", di->index, di->name, di->platform,
               ct_device_common_bits(dev) ? "common bits" : "device's own bits (CLBlast products)");
    } else {
        printf("device: none (--backend reference: the scalar C reference in double precision)\n");
    }
    printf("range test: %s, lr %g to %g over %d steps (batch %d, seed %llu), smoothing %g, "
           "stop at %g x the best loss\n",
           ct_optim_name(kind), (double)o.start_lr, (double)o.end_lr, steps, batch, o.net.seed,
           (double)o.smooth, (double)o.diverge);
    fflush(stdout);
    spec.init.bias_value = o.net.bias_init;
    if (ct_model_create(&model, dev, arch, &spec.init, o.net.seed, msg) != CT_OK) goto fail_msg;

    ct_lrfind_opts lo;
    memset(&lo, 0, sizeof lo);
    lo.start_lr = o.start_lr;
    lo.end_lr = o.end_lr;
    lo.steps = steps;
    lo.batch = batch;
    lo.seed = o.net.seed;
    lo.l2 = o.net.l2;
    lo.smooth = o.smooth;
    lo.diverge = o.diverge;
    lo.optim = op;
    lo.standardize = o.net.standardize;
    if (ct_model_lr_find(model, train, &lo, &res) != CT_OK) {
        snprintf(msg, sizeof msg, "%s", ct_model_error(model));
        goto fail_msg;
    }

    /* the table: about 30 rows, the suggestion and the last point always among them */
    int every = res.n > 30 ? (res.n + 29) / 30 : 1;
    printf("\n%6s  %10s  %10s  %10s\n", "step", "lr", "loss", "smoothed");
    for (int i = 0; i < res.n; i++) {
        if (i % every && i != res.n - 1 && i != res.suggestion && i != res.min_index) continue;
        printf("%6d  %10.3g  %10.4g  %10.4g%s\n", i + 1, res.lr[i], res.loss[i], res.smoothed[i],
               i == res.suggestion  ? "  <- steepest descent"
               : i == res.min_index ? "  <- minimum"
                                    : "");
    }
    printf("\n");
    if (res.stop_reason[0]) printf("%s\n", res.stop_reason);
    if (o.log) {
        if (ct_lrfind_write_csv(o.log, &res, msg) != CT_OK) goto fail_msg;
        printf("wrote the losses to %s\n", o.log);
    }
    if (o.plot) {
        char title[320], panel[640];
        snprintf(title, sizeof title, "cltrain lr-find on %s", ct_data_source(train));
        snprintf(panel, sizeof panel, "%s, %s, batch %d", desc, ct_optim_name(kind), batch);
        if (ct_lrfind_plot_svg(o.plot, title, panel, &res, msg) != CT_OK) goto fail_msg;
        printf("wrote the plot to %s\n", o.plot);
    }
    if (o.tensorboard) {
        if (ct_lrfind_write_tensorboard(o.tensorboard, &res, msg) != CT_OK) goto fail_msg;
        printf("wrote TensorBoard event files to %s/train\n", o.tensorboard);
    }
    if (res.min_index >= 0)
        printf("minimum of the smoothed loss: %.4g at lr %.3g\n", res.smoothed[res.min_index],
               res.lr[res.min_index]);
    if (res.suggestion < 0) {
        snprintf(msg, sizeof msg,
                 "lr-find: no learning rate to suggest: %s over %d recorded steps (try a smaller "
                 "--start-lr or more --steps)",
                 res.n < 3 ? "too few points" : "the smoothed loss never fell", res.n);
        goto fail_msg;
    }
    printf("suggested learning rate: %.3g (steepest descent of the smoothed loss)\n",
           res.suggested_lr);
    rc = CLI_OK;
    goto done;
fail_msg:
    cli_error("%s", msg);
fail:
    rc = CLI_FAIL;
done:
    ct_lrfind_result_free(&res);
    ct_model_destroy(model);
    ct_device_destroy(dev);
    ct_data_destroy(train);
    return rc;
}
