/* cltrain lr-find: the learning-rate range test (Leslie Smith's LR range test, as fastai's
 * lr_find). Builds the network `cltrain train` would build for the data, trains it with an
 * exponentially growing learning rate, prints the loss against the rate and suggests one. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "data.h"
#include "fileio.h"
#include "lrfind.h"
#include "plot.h"

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
        "  --layers 64,32       hidden layer sizes (default 64,32; 0 for none)\n"
        "  --activation A       relu, leaky_relu, elu, sigmoid, tanh, gelu, identity, or one per\n"
        "                       hidden layer (default relu)\n"
        "  --alpha X            leaky_relu slope / elu alpha (default 0.01 / 1.0)\n"
        "  --loss L             ce, bce, mse, huber (default: from the data)\n"
        "  --huber-delta D      (default 1.0)\n"
        "  --init I             weight init (default auto)\n"
        "  --bias-init X        initial bias (default 0)\n"
        "  --dropout P          after every hidden layer, or one per layer (default 0)\n"
        "  --seed N             init, shuffling, dropout (default 42)\n"
        "\n"
        "optimizer (as cltrain train):\n"
        "  --optimizer O        sgd, momentum, nesterov, rmsprop, adam, adamw (default adam)\n"
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
        "\n"
        "output:\n"
        "  --log FILE.csv       step,lr,loss,smoothed_loss for every step\n"
        "  --plot FILE.svg      the smoothed loss against the learning rate (log axis), with\n"
        "                       the suggestion marked\n"
        "\n"
        "The suggestion is the rate where the smoothed loss falls fastest against log(lr) (the\n"
        "most negative central difference, leaving out the first tenth of the points). Exit 1\n"
        "when no rate can be suggested (the loss never fell, or diverged at once).\n",
        f);
}

typedef struct {
    const char *data, *labels, *label, *log, *plot;
    const char *activation, *init_s, *loss_s, *optimizer_s, *dropout_s, *layers_s;
    ct_task task;
    int standardize, reference, batch, steps, alpha_set;
    unsigned long long seed;
    float alpha, huber_delta, bias_init, l2, clip_norm, start_lr, end_lr, smooth, diverge;
    float momentum, dampening, beta1, beta2, rho, eps, weight_decay;
    int momentum_set, dampening_set, beta1_set, beta2_set, rho_set, eps_set, wd_set;
} options;

static int parse(int argc, char **argv, options *o) {
    memset(o, 0, sizeof *o);
    o->task = CT_TASK_AUTO;
    o->batch = 32;
    o->seed = 42;
    o->huber_delta = 1.0f;
    o->layers_s = "64,32";
    o->activation = "relu";
    o->optimizer_s = "adam";
    o->init_s = "auto";
    o->start_lr = 1e-7f;
    o->end_lr = 10.0f;
    o->smooth = 0.98f;
    o->diverge = 4.0f;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
#define VAL(name) (cli_is(a, name) && (v = cli_value(argc, argv, &i, name)) != NULL)
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            exit(CLI_OK);
        } else if (!strcmp(a, "--standardize")) {
            o->standardize = 1;
        } else if (VAL("--data")) {
            o->data = v;
        } else if (VAL("--labels")) {
            o->labels = v;
        } else if (VAL("--label")) {
            o->label = v;
        } else if (VAL("--task")) {
            if (!strcmp(v, "classification"))
                o->task = CT_TASK_CLASSIFICATION;
            else if (!strcmp(v, "regression"))
                o->task = CT_TASK_REGRESSION;
            else
                return cli_error("option --task expects classification or regression, got '%s'", v),
                       0;
        } else if (VAL("--layers")) {
            o->layers_s = v;
        } else if (VAL("--activation")) {
            o->activation = v;
        } else if (VAL("--alpha")) {
            if (!cli_float("--alpha", v, 0, 1e3, 0, &o->alpha)) return 0;
            o->alpha_set = 1;
        } else if (VAL("--loss")) {
            o->loss_s = v;
        } else if (VAL("--huber-delta")) {
            if (!cli_float("--huber-delta", v, 0, 1e30, 1, &o->huber_delta)) return 0;
        } else if (VAL("--init")) {
            o->init_s = v;
        } else if (VAL("--bias-init")) {
            if (!cli_float("--bias-init", v, -1e6, 1e6, 0, &o->bias_init)) return 0;
        } else if (VAL("--dropout")) {
            o->dropout_s = v;
        } else if (VAL("--seed")) {
            if (!cli_u64("--seed", v, &o->seed)) return 0;
        } else if (VAL("--optimizer")) {
            o->optimizer_s = v;
        } else if (VAL("--momentum")) {
            if (!cli_float("--momentum", v, 0, 1, 0, &o->momentum)) return 0;
            o->momentum_set = 1;
        } else if (VAL("--dampening")) {
            if (!cli_float("--dampening", v, 0, 1, 0, &o->dampening)) return 0;
            o->dampening_set = 1;
        } else if (VAL("--beta1")) {
            if (!cli_float("--beta1", v, 0, 0.999999, 0, &o->beta1)) return 0;
            o->beta1_set = 1;
        } else if (VAL("--beta2")) {
            if (!cli_float("--beta2", v, 0, 0.99999999, 0, &o->beta2)) return 0;
            o->beta2_set = 1;
        } else if (VAL("--rho")) {
            if (!cli_float("--rho", v, 0, 0.999999, 0, &o->rho)) return 0;
            o->rho_set = 1;
        } else if (VAL("--eps")) {
            if (!cli_float("--eps", v, 0, 1, 1, &o->eps)) return 0;
            o->eps_set = 1;
        } else if (VAL("--weight-decay")) {
            if (!cli_float("--weight-decay", v, 0, 1e3, 0, &o->weight_decay)) return 0;
            o->wd_set = 1;
        } else if (VAL("--l2")) {
            if (!cli_float("--l2", v, 0, 1e3, 0, &o->l2)) return 0;
        } else if (VAL("--clip-norm")) {
            if (!cli_float("--clip-norm", v, 0, 1e30, 1, &o->clip_norm)) return 0;
        } else if (VAL("--batch")) {
            if (!cli_int("--batch", v, 1, 1 << 20, &o->batch)) return 0;
        } else if (VAL("--start-lr")) {
            if (!cli_float("--start-lr", v, 0, 1e6, 1, &o->start_lr)) return 0;
        } else if (VAL("--end-lr")) {
            if (!cli_float("--end-lr", v, 0, 1e6, 1, &o->end_lr)) return 0;
        } else if (VAL("--steps")) {
            if (!cli_int("--steps", v, 2, 10000000, &o->steps)) return 0;
        } else if (VAL("--smooth")) {
            if (!cli_float("--smooth", v, 0, 0.999999, 0, &o->smooth)) return 0;
        } else if (VAL("--diverge")) {
            if (!cli_float("--diverge", v, 1, 1e30, 1, &o->diverge)) return 0;
        } else if (VAL("--backend")) {
            if (!cli_backend(v, &o->reference)) return 0;
        } else if (VAL("--log")) {
            o->log = v;
        } else if (VAL("--plot")) {
            o->plot = v;
        } else {
            static const char *const known[] = {
                "--data",         "--labels",  "--label",     "--task",        "--layers",
                "--activation",   "--alpha",   "--loss",      "--huber-delta", "--init",
                "--bias-init",    "--dropout", "--seed",      "--optimizer",   "--momentum",
                "--dampening",    "--beta1",   "--beta2",     "--rho",         "--eps",
                "--weight-decay", "--l2",      "--clip-norm", "--batch",       "--start-lr",
                "--end-lr",       "--steps",   "--smooth",    "--diverge",     "--backend",
                "--log",          "--plot"};
            for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
                if (cli_is(a, known[k])) return 0; /* cli_value printed the missing value */
            if (cli_is(a, "--lr") || cli_is(a, "--epochs") || cli_is(a, "--schedule"))
                cli_error("lr-find: option '%s' does not apply: the test sweeps the learning rate "
                          "(--start-lr, --end-lr, --steps)",
                          a);
            else
                cli_error("lr-find: unknown option '%s' (see cltrain lr-find --help)", a);
            return 0;
        }
#undef VAL
    }
    if (!o->data) {
        cli_error("lr-find: --data is required (a generator such as moons, or a file; see "
                  "cltrain lr-find --help)");
        return 0;
    }
    if (!(o->end_lr > o->start_lr)) {
        cli_error("lr-find: --end-lr (%g) must be larger than --start-lr (%g)", (double)o->end_lr,
                  (double)o->start_lr);
        return 0;
    }
    return 1;
}

/* "relu" for every hidden layer, or one per layer "relu,tanh"; -1 after an error. */
static int per_layer(const char *name, const char *list, int hidden, char out[][32]) {
    int n = 0;
    const char *p = list;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == 0 || len >= 32 || n == CT_MAX_LAYERS)
            return cli_error("option %s: cannot read '%s' (one value, or one per hidden layer)",
                             name, list),
                   -1;
        memcpy(out[n], p, len);
        out[n][len] = '\0';
        n++;
        p = comma ? comma + 1 : p + len;
        if (comma && !*p) return cli_error("option %s: trailing comma in '%s'", name, list), -1;
    }
    if (n == 1)
        for (int i = 1; i < hidden; i++)
            memcpy(out[i], out[0], 32);
    else if (n != hidden)
        return cli_error("option %s: %d values for %d hidden layers ('%s'); give one or %d", name,
                         n, hidden, list, hidden),
               -1;
    return hidden;
}

static ct_status write_log(const char *path, const ct_lrfind_result *r, char msg[CT_MSG_LEN]) {
    ct_atomic_file a = {0};
    ct_status st = ct_atomic_begin(&a, path, msg);
    if (st != CT_OK) return st;
    fprintf(a.f, "step,lr,loss,smoothed_loss\n");
    for (int i = 0; i < r->n; i++)
        fprintf(a.f, "%d,%.9g,%.9g,%.9g\n", i + 1, r->lr[i], r->loss[i], r->smoothed[i]);
    return ct_atomic_commit(&a, msg);
}

static ct_status write_plot(const char *path, const char *title, const char *panel,
                            const ct_lrfind_result *r, char msg[CT_MSG_LEN]) {
    double *mark = malloc((size_t)(r->n ? r->n : 1) * sizeof(double));
    if (!mark) {
        snprintf(msg, CT_MSG_LEN, "out of host memory");
        return CT_ERR_ALLOC;
    }
    for (int i = 0; i < r->n; i++)
        mark[i] = i == r->suggestion ? r->smoothed[i] : NAN;
    char sug[64];
    snprintf(sug, sizeof sug, "suggested lr %.3g", r->suggested_lr);
    ct_series s[2] = {{"smoothed loss", r->smoothed, r->n, 0},
                      {r->suggestion >= 0 ? sug : "no suggestion", mark, r->n, 0}};
    /* both axes logarithmic: the divergence at the end would flatten the rest on a linear one */
    ct_plot_panel p = {
        panel, "smoothed loss (log scale)", "learning rate (log scale)", r->lr, r->n, 1, 1, s, 2};
    ct_status st = ct_plot_svg(path, title, &p, 1, msg);
    free(mark);
    return st;
}

int cmd_lrfind(int argc, char **argv, const char *device) {
    options o;
    if (!parse(argc, argv, &o)) return CLI_USAGE;
    char msg[CT_MSG_LEN];
    int rc = CLI_FAIL;
    ct_dataset *train = NULL;
    ct_device *dev = NULL;
    ct_net *net = NULL;
    ct_scaler scaler = {0};
    float *params = NULL;
    ct_lrfind_result res;
    memset(&res, 0, sizeof res);
    ct_arch arch;
    memset(&arch, 0, sizeof arch);

    /* cheap checks before any loading */
    ct_optim kind;
    if (!ct_optim_parse(o.optimizer_s, &kind)) {
        cli_error("option --optimizer expects sgd, momentum, nesterov, rmsprop, adam or adamw, "
                  "got '%s'",
                  o.optimizer_s);
        return CLI_USAGE;
    }
    ct_optim_params op = ct_optim_defaults(kind);
    if (o.momentum_set) op.momentum = o.momentum;
    if (o.dampening_set) op.dampening = o.dampening;
    if (o.beta1_set) op.beta1 = o.beta1;
    if (o.beta2_set) op.beta2 = o.beta2;
    if (o.rho_set) op.rho = o.rho;
    if (o.eps_set) op.eps = o.eps;
    if (o.wd_set) op.weight_decay = o.weight_decay;
    op.clip_norm = o.clip_norm;
    if (kind == CT_OPT_NESTEROV && op.dampening != 0) {
        cli_error("option --dampening must be 0 with nesterov (got %g)", (double)op.dampening);
        return CLI_USAGE;
    }
    ct_init init;
    if (!ct_init_parse(o.init_s, &init)) {
        cli_error("option --init expects auto, he, he_uniform, xavier, xavier_normal, lecun, "
                  "lecun_uniform, normal:STD, uniform:A, zeros or ones, got '%s'",
                  o.init_s);
        return CLI_USAGE;
    }
    int hidden[CT_MAX_LAYERS], n_hidden = 0;
    if (strcmp(o.layers_s, "0") && strcmp(o.layers_s, "")) {
        n_hidden = cli_int_list("--layers", o.layers_s, hidden, CT_MAX_LAYERS - 1, 1, 1 << 20);
        if (!n_hidden) return CLI_USAGE;
    }
    char acts[CT_MAX_LAYERS][32], drops[CT_MAX_LAYERS][32];
    if (n_hidden > 0 && per_layer("--activation", o.activation, n_hidden, acts) < 0)
        return CLI_USAGE;
    for (int i = 0; i < n_hidden; i++) {
        if (!ct_act_parse(acts[i], &arch.act[i])) {
            cli_error("option --activation: unknown activation '%s' (relu, leaky_relu, elu, "
                      "sigmoid, tanh, gelu, identity)",
                      acts[i]);
            return CLI_USAGE;
        }
        arch.alpha[i] = o.alpha_set ? o.alpha : arch.act[i] == CT_ACT_ELU ? 1.0f : 0.01f;
    }
    if (o.dropout_s) {
        if (n_hidden > 0 && per_layer("--dropout", o.dropout_s, n_hidden, drops) < 0)
            return CLI_USAGE;
        for (int i = 0; i < n_hidden; i++)
            if (!cli_float("--dropout", drops[i], 0, 0.99, 0, &arch.dropout[i])) return CLI_USAGE;
    }
    int loss_given = 0;
    ct_loss loss = CT_LOSS_SOFTMAX_CE;
    if (o.loss_s) {
        if (!ct_loss_parse(o.loss_s, &loss)) {
            cli_error("option --loss expects ce, bce, mse or huber, got '%s'", o.loss_s);
            return CLI_USAGE;
        }
        loss_given = 1;
    }

    /* data */
    ct_data_opts d;
    memset(&d, 0, sizeof d);
    d.label = o.label;
    d.labels_path = o.labels;
    d.task = o.task;
    d.seed = o.seed;
    d.require_labels = 1;
    if (ct_data_load(&train, o.data, &d, msg) != CT_OK) goto fail_msg;
    printf("data: %s (%d rows, %d features, ", train->source, train->n, train->features);
    if (train->task == CT_TASK_CLASSIFICATION)
        printf("%d classes)\n", train->n_classes);
    else
        printf("regression, %d target%s)\n", train->outputs, train->outputs == 1 ? "" : "s");
    if (o.standardize && (ct_scaler_fit(&scaler, train, msg) != CT_OK ||
                          ct_scaler_apply(&scaler, train, msg) != CT_OK))
        goto fail_msg;

    /* architecture: as cltrain train */
    arch.n_layers = n_hidden + 1;
    arch.sizes[0] = train->features;
    for (int i = 0; i < n_hidden; i++)
        arch.sizes[i + 1] = hidden[i];
    arch.huber_delta = o.huber_delta;
    if (train->task == CT_TASK_CLASSIFICATION) {
        if (!loss_given) loss = train->n_classes == 2 ? CT_LOSS_SIGMOID_BCE : CT_LOSS_SOFTMAX_CE;
        if (loss == CT_LOSS_SIGMOID_BCE && train->n_classes != 2) {
            snprintf(msg, sizeof msg, "--loss bce needs 2 classes; the data has %d (use --loss ce)",
                     train->n_classes);
            goto fail_msg;
        }
        if (loss == CT_LOSS_MSE || loss == CT_LOSS_HUBER) {
            snprintf(msg, sizeof msg,
                     "--loss %s needs a regression target; the data has class "
                     "labels (use --task regression for numeric labels)",
                     ct_loss_name(loss));
            goto fail_msg;
        }
        arch.sizes[n_hidden + 1] = loss == CT_LOSS_SIGMOID_BCE ? 1 : train->n_classes;
    } else {
        if (!loss_given) loss = CT_LOSS_MSE;
        if (loss == CT_LOSS_SOFTMAX_CE || loss == CT_LOSS_SIGMOID_BCE) {
            snprintf(msg, sizeof msg,
                     "--loss %s needs class labels; the data has a regression "
                     "target",
                     ct_loss_name(loss));
            goto fail_msg;
        }
        arch.sizes[n_hidden + 1] = train->outputs;
    }
    arch.loss = loss;
    if (ct_arch_validate(&arch, msg) != CT_OK) goto fail_msg;
    ct_layout lay;
    ct_arch_layout(&arch, &lay);
    int batch = o.batch < train->n ? o.batch : train->n;
    int steps = o.steps > 0 ? o.steps : (train->n + batch - 1) / batch;
    if (steps < 2) steps = 2;
    char desc[512];
    ct_arch_describe(&arch, desc, sizeof desc);
    printf("model: %s, %zu parameters\n", desc, lay.n_params);

    /* device */
    if (!o.reference) {
        if (cli_open_device(device, &dev) != CLI_OK) goto fail;
        const ct_device_info *di = ct_device_get_info(dev);
        printf("device: [%d] %s (%s)\n", di->index, di->name, di->platform);
    } else {
        printf("device: none (--backend reference: the scalar C reference in double precision)\n");
    }
    printf("range test: %s, lr %g to %g over %d steps (batch %d, seed %llu), smoothing %g, "
           "stop at %g x the best loss\n",
           ct_optim_name(kind), (double)o.start_lr, (double)o.end_lr, steps, batch, o.seed,
           (double)o.smooth, (double)o.diverge);
    fflush(stdout);
    op.lr = o.start_lr;
    if (ct_net_create(&net, dev, &arch, batch, &op, msg) != CT_OK) goto fail_msg;
    params = malloc(lay.n_params * sizeof(float));
    if (!params) {
        snprintf(msg, sizeof msg, "out of host memory for %zu parameters", lay.n_params);
        goto fail_msg;
    }
    ct_arch_init_params(&arch, &init, o.bias_init, o.seed, params);
    if (ct_net_set_params(net, params) != CT_OK ||
        ct_net_upload(net, CT_SLOT_TRAIN, train) != CT_OK) {
        snprintf(msg, sizeof msg, "%s", ct_net_error(net));
        goto fail_msg;
    }

    ct_lrfind_opts lo;
    memset(&lo, 0, sizeof lo);
    lo.start_lr = o.start_lr;
    lo.end_lr = o.end_lr;
    lo.steps = steps;
    lo.batch = batch;
    lo.seed = o.seed;
    lo.l2 = o.l2;
    lo.smooth = o.smooth;
    lo.diverge = o.diverge;
    if (ct_lrfind_run(net, &lo, &res, msg) != CT_OK) goto fail_msg;

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
        if (write_log(o.log, &res, msg) != CT_OK) goto fail_msg;
        printf("wrote the losses to %s\n", o.log);
    }
    if (o.plot) {
        char title[320], panel[640];
        snprintf(title, sizeof title, "cltrain lr-find on %s", train->source);
        snprintf(panel, sizeof panel, "%s, %s, batch %d", desc, ct_optim_name(kind), batch);
        if (write_plot(o.plot, title, panel, &res, msg) != CT_OK) goto fail_msg;
        printf("wrote the plot to %s\n", o.plot);
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
    free(params);
    ct_scaler_free(&scaler);
    ct_net_destroy(net);
    ct_device_destroy(dev);
    ct_data_destroy(train);
    return rc;
}
