/* cltrain train: build a network for the data, train it on the device (or the reference),
 * print a line per epoch, and optionally log, plot, checkpoint and save. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint.h"
#include "cli.h"
#include "data.h"
#include "fileio.h"
#include "netopts.h"
#include "plot.h"
#include "train.h"

static void usage(FILE *f) {
    fputs(
        "usage: cltrain [--device SEL] train --data SOURCE [options]\n"
        "\n"
        "Trains a multilayer perceptron. The output layer and loss follow the data unless given:\n"
        "several classes -> softmax + cross-entropy, two classes -> one sigmoid unit + binary\n"
        "cross-entropy, a regression target -> linear + MSE.\n"
        "\n"
        "data:\n"
        "  --data SOURCE        a generator (xor, moons, circles, blobs, spirals, classification,\n"
        "                       sine; options after a colon: moons:n=1000,noise=0.2,seed=1) or a\n"
        "                       file: .csv, .npy (with --labels), MNIST-style .idx[.gz] (with "
        "--labels)\n"
        "  --labels FILE        the labels of an .npy or .idx data file\n"
        "  --label NAME|INDEX   CSV label column (default: the last column)\n"
        "  --task T             classification or regression (default: from the labels)\n"
        "  --val FRACTION       hold out this part of the data for validation, seeded (default 0;\n"
        "                       0.1 when --patience is set without --val-data)\n"
        "  --val-data SOURCE    validation data instead of --val\n"
        "  --test-data SOURCE   evaluated once at the end\n"
        "  --standardize        scale each feature to mean 0, std 1 (fitted on the training part;\n"
        "                       stored in the model)\n"
        "\n"
        "model:\n"
        "  --layers 64,32       hidden layer sizes (default 64,32; 0 for none)\n"
        "  --activation A       relu, leaky_relu, elu, sigmoid, tanh, gelu, identity, or one per\n"
        "                       hidden layer: relu,tanh (default relu)\n"
        "  --alpha X            leaky_relu slope / elu alpha (default 0.01 / 1.0)\n"
        "  --loss L             ce, bce, mse, huber (default: from the data)\n"
        "  --huber-delta D      (default 1.0)\n"
        "  --init I             auto, he, he_uniform, xavier, xavier_normal, lecun, "
        "lecun_uniform,\n"
        "                       normal:STD, uniform:A, zeros, ones (default auto: he before\n"
        "                       relu-like activations, xavier otherwise)\n"
        "  --bias-init X        initial bias (default 0)\n"
        "  --dropout P          after every hidden layer, or one per layer: 0.2,0.1 (default 0)\n"
        "  --seed N             every random choice: init, split, shuffling, dropout (default 42)\n"
        "\n"
        "optimization:\n"
        "  --optimizer O        sgd, momentum, nesterov, rmsprop, adam, adamw (default adam)\n"
        "  --lr X               learning rate (default 0.001 for adam/adamw, 0.01 otherwise)\n"
        "  --momentum X         momentum, nesterov (default 0.9)\n"
        "  --dampening X        momentum (default 0)\n"
        "  --beta1 X --beta2 X  adam, adamw (default 0.9, 0.999)\n"
        "  --rho X              rmsprop smoothing (default 0.99)\n"
        "  --eps X              rmsprop, adam, adamw (default 1e-8)\n"
        "  --weight-decay X     coupled L2 for the classic optimizers, decoupled for adamw\n"
        "                       (default 0; adamw 0.01)\n"
        "  --l2 X               penalty 0.5 X ||W||^2 added to the loss, weights only (default 0)\n"
        "  --clip-norm X        clip the global gradient norm to X (default off)\n"
        "  --epochs N           (default 20)\n"
        "  --batch N            (default 32; larger than the data: the whole data)\n"
        "  --schedule S         constant, step:size=10,gamma=0.1, cosine:min=0,\n"
        "                       plateau:factor=0.1,patience=5,min=0 (default constant)\n"
        "  --warmup N           linear learning-rate warm-up over the first N epochs (default 0)\n"
        "  --patience N         early stopping after N epochs without a validation loss gain;\n"
        "                       the best weights are restored at the end (default 0: off)\n"
        "  --min-delta D        the gain that counts (default 0)\n"
        "  --backend B          opencl (default) or reference (the scalar C reference, double)\n"
        "  --verify N           every N steps, run that step through the reference too and print "
        "the\n"
        "                       largest error of every op; stop naming the op above --verify-tol\n"
        "  --verify-tol X       max |device - reference| / max |reference| per tensor (default "
        "1e-3)\n"
        "\n"
        "output:\n"
        "  --save FILE          the trained model (safetensors, readable by PyTorch and NumPy)\n"
        "  --log FILE.csv       one row per epoch\n"
        "  --log-every N        also print the mean loss every N steps (default: per epoch only;\n"
        "                       each print reads the losses back from the device once)\n"
        "  --plot FILE.svg      loss and accuracy curves\n"
        "  --checkpoint DIR     keep DIR/checkpoint.safetensors (weights, optimizer state, step)\n"
        "  --checkpoint-every N epochs between checkpoints (default 1)\n"
        "  --resume             continue from DIR/checkpoint.safetensors\n"
        "  --stats              per epoch and layer: mean and std of the activations, the "
        "fraction\n"
        "                       of dead ReLU units (on the first batch of the training data) and\n"
        "                       the weight-gradient norm of the last step, computed on the device\n"
        "  --quiet              no progress bar and no epoch lines\n",
        f);
}

typedef struct {
    cli_netopts net; /* data, model, optimizer */
    const char *val_data, *test_data, *save, *log, *plot, *checkpoint, *schedule;
    float val, lr, min_delta, verify_tol; /* lr: NAN for the optimizer's default */
    int epochs, warmup, patience, reference, verify, log_every, checkpoint_every, resume, quiet,
        stats;
} options;

/* ---- per-epoch output -------------------------------------------------------------------- */

typedef struct {
    const options *o;
    int tty;
    double last_bar;
    int classification;
    /* history for --log and --plot */
    ct_epoch_stats *hist;
    int n_hist, cap_hist;
    /* checkpoints */
    ct_net *net;
    ct_train_state *state;
    ct_saved_model *sm;
    int batch;
    char ckpt_path[1024];
    char config[512];
    int failed;
    char msg[CT_MSG_LEN];
} run_ctx;

static double wall(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void on_batch(int epoch, int batch, int n_batches, void *user) {
    run_ctx *c = user;
    if (!c->tty || c->o->quiet) return;
    double t = wall();
    if (batch != n_batches && t - c->last_bar < 0.1) return;
    c->last_bar = t;
    int width = 30, filled = (int)((double)batch / n_batches * width);
    char bar[64];
    for (int i = 0; i < width; i++)
        bar[i] = i < filled ? '=' : (i == filled ? '>' : ' ');
    bar[width] = '\0';
    fprintf(stderr, "\repoch %d/%d [%s] %d/%d", epoch, c->o->epochs, bar, batch, n_batches);
    fflush(stderr);
}

static void on_log(int epoch, long long step, double mean_loss, double lr, void *user) {
    run_ctx *c = user;
    if (c->o->quiet) return;
    if (c->tty) fprintf(stderr, "\r\033[K");
    printf("  epoch %d step %lld  loss %.4f (mean of the last %d steps)  lr %.3g\n", epoch, step,
           mean_loss, c->o->log_every, lr);
    fflush(stdout);
}

static void on_verify(const ct_verify_report *r, void *user) {
    run_ctx *c = user;
    if (c->tty && !c->o->quiet) fprintf(stderr, "\r\033[K");
    double worst = 0;
    for (int i = 0; i < r->n; i++)
        worst = r->rows[i].scaled > worst ? r->rows[i].scaled : worst;
    printf("verify step %lld against the reference (largest error %.3g of tolerance %g):\n",
           r->step, worst, (double)c->o->verify_tol);
    printf("    %-62s %10s %10s %10s\n", "op", "max|diff|", "max rel", "scaled");
    for (int i = 0; i < r->n; i++)
        printf("    %-62s %10.3g %10.3g %10.3g\n", r->rows[i].op, r->rows[i].max_abs,
               r->rows[i].max_rel, r->rows[i].scaled);
    fflush(stdout);
}

static ct_status write_log(const run_ctx *c, char msg[CT_MSG_LEN]) {
    ct_atomic_file a = {0};
    ct_status st = ct_atomic_begin(&a, c->o->log, msg);
    if (st != CT_OK) return st;
    fprintf(a.f, "epoch,step,train_loss,train_acc,val_loss,val_acc,lr,seconds,samples_per_sec\n");
    for (int i = 0; i < c->n_hist; i++) {
        const ct_epoch_stats *s = &c->hist[i];
        fprintf(a.f, "%d,%lld,%.9g,", s->epoch, s->step, s->train_loss);
        if (isnan(s->train_acc))
            fputs(",", a.f);
        else
            fprintf(a.f, "%.6f,", s->train_acc);
        if (isnan(s->val_loss))
            fputs(",", a.f);
        else
            fprintf(a.f, "%.9g,", s->val_loss);
        if (isnan(s->val_acc))
            fputs(",", a.f);
        else
            fprintf(a.f, "%.6f,", s->val_acc);
        fprintf(a.f, "%.9g,%.4f,%.1f\n", s->lr, s->seconds, s->samples_per_sec);
    }
    return ct_atomic_commit(&a, msg);
}

static ct_status write_plot(const run_ctx *c, const char *title, char msg[CT_MSG_LEN]) {
    int n = c->n_hist;
    double *x = malloc((size_t)(n ? n : 1) * 5 * sizeof(double));
    if (!x) {
        snprintf(msg, CT_MSG_LEN, "out of host memory");
        return CT_ERR_ALLOC;
    }
    double *tl = x + n, *vl = x + 2 * n, *ta = x + 3 * n, *va = x + 4 * n;
    for (int i = 0; i < n; i++) {
        x[i] = c->hist[i].epoch;
        tl[i] = c->hist[i].train_loss;
        vl[i] = c->hist[i].val_loss;
        ta[i] = c->hist[i].train_acc;
        va[i] = c->hist[i].val_acc;
    }
    ct_series loss[2] = {{"train loss", tl, n, 0}, {"validation loss", vl, n, 1}};
    ct_series acc[2] = {{"train accuracy", ta, n, 0}, {"validation accuracy", va, n, 1}};
    ct_plot_panel p[2] = {{"loss", "loss", "epoch", x, n, 0, 0, loss, 2},
                          {"accuracy", "accuracy", "epoch", x, n, 0, 0, acc, 2}};
    ct_status st = ct_plot_svg(c->o->plot, title, p, c->classification ? 2 : 1, msg);
    free(x);
    return st;
}

static ct_status save_checkpoint(run_ctx *c, char msg[CT_MSG_LEN]) {
    const ct_layout *lay = ct_net_layout(c->net);
    ct_saved_model *sm = c->sm;
    ct_status st;
    if (!sm->m) sm->m = malloc(lay->n_params * sizeof(float));
    if (!sm->v) sm->v = malloc(lay->n_params * sizeof(float));
    if (!sm->m || !sm->v) {
        snprintf(msg, CT_MSG_LEN, "out of host memory");
        return CT_ERR_ALLOC;
    }
    if ((st = ct_net_get_params(c->net, sm->params)) || (st = ct_net_get_state(c->net, 0, sm->m)) ||
        (st = ct_net_get_state(c->net, 1, sm->v))) {
        snprintf(msg, CT_MSG_LEN, "reading the state for a checkpoint: %s", ct_net_error(c->net));
        return st;
    }
    sm->has_state = 1;
    sm->state = *c->state;
    snprintf(sm->state_config, sizeof sm->state_config, "%s", c->config);
    return ct_model_save(c->ckpt_path, sm, msg);
}

/* Removes what a killed run's interrupted saves left in the checkpoint folder: temporaries
 * named PREFIX... (a save in progress in another process would lose its temporary and fail
 * cleanly; two runs must not share a checkpoint folder anyway). */
static void remove_stale_temporaries(const char *dir, const char *prefix) {
    DIR *d = opendir(dir);
    if (!d) return;
    size_t n = strlen(prefix);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, prefix, n)) continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
}

/* --stats: one line per layer, computed on the device. */
static ct_status print_stats(run_ctx *c) {
    const ct_arch *a = ct_net_arch(c->net);
    ct_layer_stats st[CT_MAX_LAYERS];
    int rows = ct_net_rows(c->net, CT_SLOT_TRAIN);
    int B = rows < c->batch ? rows : c->batch;
    if (ct_net_layer_stats(c->net, CT_SLOT_TRAIN, B, st) != CT_OK) {
        snprintf(c->msg, sizeof c->msg, "--stats: %s", ct_net_error(c->net));
        return CT_ERR_OPENCL;
    }
    printf("    %-6s %-11s %11s %11s %8s %11s\n", "layer", "activation", "mean", "std", "dead",
           "|dL/dW|");
    for (int l = 0; l < a->n_layers; l++) {
        int last = l + 1 == a->n_layers;
        printf("    %-6d %-11s %11.4g %11.4g %7.1f%% %11.4g\n", l,
               last ? "(logits)" : ct_act_name(a->act[l]), st[l].act_mean, st[l].act_std,
               100 * st[l].dead_frac, st[l].grad_norm);
    }
    return CT_OK;
}

static int on_epoch(const ct_epoch_stats *s, void *user) {
    run_ctx *c = user;
    if (c->tty && !c->o->quiet) fprintf(stderr, "\r\033[K");
    if (c->n_hist == c->cap_hist) {
        int cap = c->cap_hist ? 2 * c->cap_hist : 64;
        ct_epoch_stats *h = realloc(c->hist, (size_t)cap * sizeof *h);
        if (!h) {
            snprintf(c->msg, sizeof c->msg, "out of host memory");
            c->failed = 1;
            return 1;
        }
        c->hist = h;
        c->cap_hist = cap;
    }
    c->hist[c->n_hist++] = *s;
    if (!c->o->quiet) {
        int w = snprintf(NULL, 0, "%d", c->o->epochs);
        printf("epoch %*d/%d  loss %.4f", w, s->epoch, c->o->epochs, s->train_loss);
        if (!isnan(s->train_acc)) printf("  acc %.4f", s->train_acc);
        if (!isnan(s->val_loss)) printf("  val_loss %.4f", s->val_loss);
        if (!isnan(s->val_acc)) printf("  val_acc %.4f", s->val_acc);
        printf("  lr %.3g  %.0f samples/s%s\n", s->lr, s->samples_per_sec,
               s->improved && !isnan(s->val_loss) ? "  *" : "");
        fflush(stdout);
    }
    if (c->o->stats && print_stats(c) != CT_OK) {
        c->failed = 1;
        return 1;
    }
    if (c->o->log && write_log(c, c->msg) != CT_OK) {
        c->failed = 1;
        return 1;
    }
    if (c->o->checkpoint && (s->epoch % c->o->checkpoint_every == 0 || s->epoch == c->o->epochs)) {
        if (save_checkpoint(c, c->msg) != CT_OK) {
            c->failed = 1;
            return 1;
        }
    }
    return 0;
}

/* ---- options ----------------------------------------------------------------------------- */

static int option(int argc, char **argv, int *i, void *opts) {
    options *o = opts;
    const char *a = argv[*i];
    int r;
    if ((r = cli_netopts_option(argc, argv, i, &o->net))) return r;
    if (cli_flag(a, "--resume", &o->resume) || cli_flag(a, "--quiet", &o->quiet) ||
        cli_flag(a, "--stats", &o->stats))
        return 1;
    if ((r = cli_opt_float(argc, argv, i, "--val", 0, 0.9, 0, &o->val))) return r;
    if ((r = cli_opt(argc, argv, i, "--val-data", &o->val_data))) return r;
    if ((r = cli_opt(argc, argv, i, "--test-data", &o->test_data))) return r;
    if ((r = cli_opt_float(argc, argv, i, "--lr", 0, 1e6, 1, &o->lr))) return r;
    if ((r = cli_opt_int(argc, argv, i, "--epochs", 1, 1000000, &o->epochs))) return r;
    if ((r = cli_opt(argc, argv, i, "--schedule", &o->schedule))) return r;
    if ((r = cli_opt_int(argc, argv, i, "--warmup", 0, 1000000, &o->warmup))) return r;
    if ((r = cli_opt_int(argc, argv, i, "--patience", 0, 1000000, &o->patience))) return r;
    if ((r = cli_opt_float(argc, argv, i, "--min-delta", 0, 1e30, 0, &o->min_delta))) return r;
    if ((r = cli_opt_backend(argc, argv, i, &o->reference))) return r;
    if ((r = cli_opt_int(argc, argv, i, "--verify", 1, 1000000000, &o->verify))) return r;
    if ((r = cli_opt_float(argc, argv, i, "--verify-tol", 0, 1, 1, &o->verify_tol))) return r;
    if ((r = cli_opt(argc, argv, i, "--save", &o->save))) return r;
    if ((r = cli_opt(argc, argv, i, "--log", &o->log))) return r;
    if ((r = cli_opt_int(argc, argv, i, "--log-every", 1, 1000000000, &o->log_every))) return r;
    if ((r = cli_opt(argc, argv, i, "--plot", &o->plot))) return r;
    if ((r = cli_opt(argc, argv, i, "--checkpoint", &o->checkpoint))) return r;
    return cli_opt_int(argc, argv, i, "--checkpoint-every", 1, 1000000, &o->checkpoint_every);
}

/* CLI_RUN, or the exit code after the help or an error. */
static int parse(int argc, char **argv, options *o) {
    memset(o, 0, sizeof *o);
    o->epochs = 20;
    o->lr = NAN;
    o->checkpoint_every = 1;
    o->schedule = "constant";
    o->verify_tol = 1e-3f;
    int rc = cli_netopts_parse(argc, argv, "train", usage, option, o, &o->net);
    if (rc != CLI_RUN) return rc;
    if (o->resume && !o->checkpoint) {
        cli_error("train: --resume needs --checkpoint DIR");
        return CLI_USAGE;
    }
    if (o->val > 0 && o->val_data) {
        cli_error("train: give either --val or --val-data, not both");
        return CLI_USAGE;
    }
    return CLI_RUN;
}

int cmd_train(int argc, char **argv, const char *device) {
    options o;
    int rc = parse(argc, argv, &o);
    if (rc != CLI_RUN) return rc;
    char msg[CT_MSG_LEN];
    rc = CLI_FAIL;
    ct_dataset *all = NULL, *train = NULL, *val = NULL, *test = NULL;
    ct_device *dev = NULL;
    ct_net *net = NULL, *vref = NULL;
    ct_scaler scaler = {0};
    ct_saved_model sm, ck;
    memset(&sm, 0, sizeof sm);
    memset(&ck, 0, sizeof ck);
    run_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    cli_netspec spec;
    memset(&spec, 0, sizeof spec);
    const ct_arch *arch = &spec.arch;

    /* optimizer, schedule and model first: cheap checks before any loading */
    if (cli_netspec_optimizer(&spec, &o.net) != CLI_OK) return CLI_USAGE;
    ct_optim kind = spec.kind;
    ct_optim_params op = spec.optim;
    if (!isnan(o.lr)) op.lr = o.lr;
    ct_schedule sched;
    if (ct_schedule_parse(o.schedule, &sched, msg) != CT_OK) {
        cli_error("%s", msg);
        return CLI_USAGE;
    }
    sched.warmup_epochs = o.warmup;
    if (cli_netspec_model(&spec, &o.net) != CLI_OK) return CLI_USAGE;

    /* data */
    if (cli_netopts_load(&o.net, o.net.data, NULL, &all, msg) != CT_OK) goto fail_msg;
    cli_describe_data("data", all);
    float val_frac = o.val;
    if (o.patience > 0 && !o.val_data && val_frac == 0) val_frac = 0.1f;
    if (o.val_data) {
        train = all;
        all = NULL;
        if (cli_netopts_load(&o.net, o.val_data, train, &val, msg) != CT_OK) goto fail_msg;
    } else if (val_frac > 0) {
        if (ct_data_split(all, val_frac, o.net.seed, &train, &val, msg) != CT_OK) goto fail_msg;
    } else {
        train = all;
        all = NULL;
    }
    if (o.test_data && cli_netopts_load(&o.net, o.test_data, train, &test, msg) != CT_OK)
        goto fail_msg;
    if (cli_netopts_standardize(&o.net, &scaler, train, val, test, msg) != CT_OK) goto fail_msg;
    if (val)
        printf("split: %d rows for training, %d for validation%s\n", train->n, val->n,
               o.val_data ? " (--val-data)" : "");

    /* architecture */
    if (cli_netspec_arch(&spec, &o.net, train, msg) != CT_OK) goto fail_msg;
    ct_layout lay;
    ct_arch_layout(arch, &lay);
    int batch;
    if (cli_netopts_batch(&o.net, train, &batch, msg) != CT_OK) goto fail_msg;
    char desc[512], init_s[64];
    ct_arch_describe(arch, desc, sizeof desc);
    ct_init_format(&spec.init, init_s, sizeof init_s);
    printf("model: %s, %zu parameters, init %s\n", desc, lay.n_params, init_s);
    printf("cost: %.3g MFLOP per training step (batch %d)\n",
           ct_arch_train_flops(arch, batch) / 1e6, batch);

    /* device */
    if (!o.reference) {
        if (cli_open_device(device, &dev) != CLI_OK) goto fail;
        const ct_device_info *di = ct_device_get_info(dev);
        printf("device: [%d] %s (%s), matrix products: %s\n", di->index, di->name, di->platform,
               ct_gemm_backend_name(ct_device_gemm(dev)));
    } else {
        printf("device: none (--backend reference: the scalar C reference in double precision)\n");
    }
    printf("optimizer: %s, lr %g%s%s, batch %d, %d epochs, seed %llu\n", ct_optim_name(kind),
           (double)op.lr, sched.kind != CT_SCHED_CONSTANT ? ", schedule " : "",
           sched.kind != CT_SCHED_CONSTANT ? o.schedule : "", batch, o.epochs, o.net.seed);
    fflush(stdout);
    if (ct_net_create(&net, dev, arch, batch, &op, msg) != CT_OK) goto fail_msg;

    /* parameters: fresh or from the checkpoint */
    sm.arch = *arch;
    sm.params = malloc(lay.n_params * sizeof(float));
    if (!sm.params) {
        snprintf(msg, sizeof msg, "out of host memory");
        goto fail_msg;
    }
    if (ct_saved_model_describe(&sm, train, o.net.standardize ? &scaler : NULL, msg) != CT_OK)
        goto fail_msg;
    ct_arch_init_params(arch, &spec.init, o.net.bias_init, o.net.seed, sm.params);
    ct_train_state state;
    ct_train_state_init(&state);
    snprintf(ctx.config, sizeof ctx.config,
             "%s|data=%s|val=%g|val_data=%s|std=%d|optimizer=%s|lr=%g|batch=%d|seed=%llu", desc,
             o.net.data, (double)val_frac, o.val_data ? o.val_data : "", o.net.standardize,
             ct_optim_name(kind), (double)op.lr, batch, o.net.seed);
    if (o.checkpoint) {
        if (mkdir(o.checkpoint, 0777) != 0 && errno != EEXIST) {
            snprintf(msg, sizeof msg, "cannot create the checkpoint folder %s: %s", o.checkpoint,
                     strerror(errno));
            goto fail_msg;
        }
        snprintf(ctx.ckpt_path, sizeof ctx.ckpt_path, "%s/checkpoint.safetensors", o.checkpoint);
        remove_stale_temporaries(o.checkpoint, "checkpoint.safetensors.tmp-");
    }
    if (o.resume) {
        if (access(ctx.ckpt_path, F_OK) != 0) {
            snprintf(msg, sizeof msg, "--resume: no checkpoint at %s", ctx.ckpt_path);
            goto fail_msg;
        }
        if (ct_model_load(ctx.ckpt_path, &ck, msg) != CT_OK) goto fail_msg;
        if (!ck.has_state) {
            snprintf(msg, sizeof msg, "--resume: %s is a model without training state",
                     ctx.ckpt_path);
            goto fail_msg;
        }
        if (strcmp(ck.state_config, ctx.config)) {
            snprintf(msg, sizeof msg,
                     "--resume: %s was made with other settings (%s); this run has (%s)",
                     ctx.ckpt_path, ck.state_config, ctx.config);
            goto fail_msg;
        }
        memcpy(sm.params, ck.params, lay.n_params * sizeof(float));
        state = ck.state;
        state.has_best = 0; /* the best-weights snapshot lives on the device, not in checkpoints */
        if (ct_net_set_state(net, 0, ck.m) != CT_OK || ct_net_set_state(net, 1, ck.v) != CT_OK) {
            snprintf(msg, sizeof msg, "%s", ct_net_error(net));
            goto fail_msg;
        }
        printf("resumed from %s after epoch %d (step %lld)\n", ctx.ckpt_path, state.epoch,
               state.step);
    }
    if (ct_net_set_params(net, sm.params) != CT_OK ||
        ct_net_upload(net, CT_SLOT_TRAIN, train) != CT_OK ||
        (val && ct_net_upload(net, CT_SLOT_VAL, val) != CT_OK) ||
        (test && ct_net_upload(net, CT_SLOT_TEST, test) != CT_OK)) {
        snprintf(msg, sizeof msg, "%s", ct_net_error(net));
        goto fail_msg;
    }

    if (o.verify && !o.reference) {
        if (ct_net_create(&vref, NULL, arch, batch, &op, msg) != CT_OK) goto fail_msg;
        if (ct_net_upload(vref, CT_SLOT_TRAIN, train) != CT_OK) {
            snprintf(msg, sizeof msg, "%s", ct_net_error(vref));
            goto fail_msg;
        }
    }
    ctx.o = &o;
    ctx.tty = isatty(fileno(stderr));
    ctx.classification = train->task == CT_TASK_CLASSIFICATION;
    ctx.net = net;
    ctx.batch = batch;
    ctx.state = &state;
    ctx.sm = &sm;
    ct_train_opts to;
    memset(&to, 0, sizeof to);
    to.epochs = o.epochs;
    to.batch = batch;
    to.seed = o.net.seed;
    to.lr = op.lr;
    to.l2 = o.net.l2;
    to.schedule = sched;
    to.patience = o.patience;
    to.min_delta = o.min_delta;
    to.restore_best = 1;
    to.log_every = o.log_every;
    to.verify_every = vref ? o.verify : 0;
    to.verify_ref = vref;
    to.verify_tol = o.verify_tol;
    to.on_verify = on_verify;
    to.on_log = on_log;
    to.on_epoch = on_epoch;
    to.on_batch = on_batch;
    to.user = &ctx;
    ct_train_result res;
    double t0 = wall();
    ct_status st = ct_train(net, val != NULL, &to, &state, &res, msg);
    if (ctx.tty && !o.quiet) fprintf(stderr, "\r\033[K");
    if (ctx.failed) {
        snprintf(msg, sizeof msg, "%s", ctx.msg);
        goto fail_msg;
    }
    if (st != CT_OK) goto fail_msg;
    double secs = wall() - t0;
    if (res.stop_reason[0]) printf("%s\n", res.stop_reason);
    if (res.stopped_early && state.has_best)
        printf("restored the weights of epoch %d\n", res.best_epoch);
    printf("trained %d epochs (%lld steps) in %.2f s\n",
           res.epochs_run - (o.resume ? ck.state.epoch : 0),
           state.step - (o.resume ? ck.state.step : 0), secs);
    double final_loss = NAN, final_acc = NAN;
    if (val && ct_evaluate(net, CT_SLOT_VAL, batch, &final_loss, &final_acc, msg) == CT_OK) {
        if (isnan(final_acc))
            printf("validation: loss %.6g\n", final_loss);
        else
            printf("validation: loss %.6g, accuracy %.4f\n", final_loss, final_acc);
    }
    if (test) {
        double tl, ta;
        if (ct_evaluate(net, CT_SLOT_TEST, batch, &tl, &ta, msg) != CT_OK) goto fail_msg;
        if (isnan(ta))
            printf("test: loss %.6g (%s)\n", tl, test->source);
        else
            printf("test: loss %.6g, accuracy %.4f (%s)\n", tl, ta, test->source);
    }
    if (o.save) {
        if (ct_net_get_params(net, sm.params) != CT_OK) {
            snprintf(msg, sizeof msg, "%s", ct_net_error(net));
            goto fail_msg;
        }
        sm.has_state = 0;
        if (ct_model_save(o.save, &sm, msg) != CT_OK) goto fail_msg;
        printf("saved the model to %s\n", o.save);
    }
    if (o.log) printf("wrote the training log to %s\n", o.log);
    if (o.plot) {
        char title[600];
        snprintf(title, sizeof title, "cltrain: %s on %s", desc, train->source);
        if (write_plot(&ctx, title, msg) != CT_OK) goto fail_msg;
        printf("wrote the plot to %s\n", o.plot);
    }
    rc = CLI_OK;
    goto done;
fail_msg:
    cli_error("%s", msg);
fail:
    rc = CLI_FAIL;
done:
    free(ctx.hist);
    ct_saved_model_free(&ck);
    ct_saved_model_free(&sm);
    ct_scaler_free(&scaler);
    ct_net_destroy(net);
    ct_net_destroy(vref);
    ct_device_destroy(dev);
    ct_data_destroy(all);
    ct_data_destroy(train);
    ct_data_destroy(val);
    ct_data_destroy(test);
    return rc;
}
