/* cltrain train: build a network for the data, train it on the device (or the reference),
 * print a line per epoch, and optionally log, plot, checkpoint and save. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "netopts.h"

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
        "  --layers 64,32       hidden layer sizes (default 64,32; 0 for none)\n",
        f);
    cli_usage_model_names(f);
    fputs(
        "  --huber-delta D      (default 1.0)\n"
        "  --init I             auto, he, he_uniform, xavier, xavier_normal, lecun, "
        "lecun_uniform,\n"
        "                       normal:STD, uniform:A, zeros, ones (default auto: he before\n"
        "                       relu-like activations, xavier otherwise)\n"
        "  --bias-init X        initial bias (default 0)\n"
        "  --dropout P          after every hidden layer, or one per layer: 0.2,0.1 (default 0)\n"
        "  --seed N             every random choice: init, split, shuffling, dropout (default 42)\n"
        "\n"
        "optimization:\n",
        f);
    cli_usage_optimizer(f);
    fputs(
        "  --lr X               learning rate (default 0.001 for adam/adamw, 0.0001 for lion,\n"
        "                       0.01 otherwise)\n"
        "  --momentum X         momentum, nesterov (default 0.9)\n"
        "  --dampening X        momentum (default 0)\n"
        "  --beta1 X --beta2 X  adam, adamw, lion (default 0.9, 0.999; lion 0.9, 0.99)\n"
        "  --rho X              rmsprop smoothing (default 0.99)\n"
        "  --eps X              rmsprop, adam, adamw (default 1e-8)\n"
        "  --weight-decay X     coupled L2 for the classic optimizers, decoupled for adamw and\n"
        "                       lion; dense weights and biases, never a norm's gamma/beta\n"
        "                       (default 0; adamw 0.01)\n"
        "  --l2 X               penalty 0.5 X ||W||^2 added to the loss, dense weights only, as\n"
        "                       scikit-learn's alpha (default 0)\n"
        "  --clip-norm X        clip the global gradient norm to X (default off)\n"
        "  --epochs N           (default 20)\n"
        "  --batch N            rows per step (default 32); at most the training rows (a\n"
        "                       larger batch is an error: --batch ROWS takes the whole data)\n"
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
    ct_model *model;
    int tty;
    double last_bar;
    int classification;
    int announced; /* the "resumed from" line is printed */
    /* history for --log and --plot */
    ct_epoch_stats *hist;
    int n_hist, cap_hist;
    int failed;
    int rank0; /* this process writes the log (rank 0 of an mpirun job, or alone) */
    char ckpt_path[1024];
    char msg[CT_MSG_LEN];
    cli_warm warm; /* the kernel warm-up helper (host/cli/warm.c) */
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

static void on_plan(const char *plan, void *user) {
    run_ctx *c = user;
    cli_warm_plan(&c->warm, plan);
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

/* --stats: one line per layer, computed on the device. */
static ct_status print_stats(run_ctx *c) {
    const ct_arch *a = ct_model_arch(c->model);
    ct_layer_stats st[CT_MAX_LAYERS];
    if (ct_model_layer_stats(c->model, st) != CT_OK) {
        snprintf(c->msg, sizeof c->msg, "--stats: %s", ct_model_error(c->model));
        return CT_ERR_OPENCL;
    }
    printf("    %-6s %-11s %11s %11s %8s %11s\n", "layer", "activation", "mean", "std", "dead",
           "|dL/dW|");
    for (int l = 0; l < a->n_layers; l++) {
        int last = l + 1 == a->n_layers;
        /* dead units (zero on every row) only exist for relu-like activations: "-" elsewhere */
        char dead[16] = "-";
        if (!last && (ct_act_flags(a->act[l]) & CT_ACTF_RELU_LIKE))
            snprintf(dead, sizeof dead, "%.1f%%", 100 * st[l].dead_frac);
        printf("    %-6d %-11s %11.4g %11.4g %8s %11.4g\n", l,
               last ? "(logits)" : ct_act_name(a->act[l]), st[l].act_mean, st[l].act_std, dead,
               st[l].grad_norm);
    }
    return CT_OK;
}

static void announce_resume(run_ctx *c, int epoch, long long step) {
    if (c->announced || !c->o->resume) return;
    c->announced = 1;
    printf("resumed from %s after epoch %d (step %lld)\n", c->ckpt_path, epoch, step);
}

static int on_epoch(const ct_epoch_stats *s, void *user) {
    run_ctx *c = user;
    if (c->tty && !c->o->quiet) fprintf(stderr, "\r\033[K");
    if (!c->announced && c->o->resume) {
        /* the checkpoint's epoch is the one before the first epoch of this run */
        long long steps_per_epoch = s->epoch > 0 ? s->step / s->epoch : 0;
        announce_resume(c, s->epoch - 1, s->step - steps_per_epoch);
    }
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
    if (!c->rank0) return 0;
    if (c->o->stats && print_stats(c) != CT_OK) {
        c->failed = 1;
        return 1;
    }
    if (c->o->log && ct_history_write_csv(c->o->log, c->hist, c->n_hist, c->msg) != CT_OK) {
        c->failed = 1;
        return 1;
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

/* The device of this rank of an mpirun job: from a list "--device 0,1" the entry of its rank on
 * this host (modulo the list); without --device, its rank on this host modulo the host's GPUs
 * (no GPU: the default device, shared). A single selector applies to every rank. */
static const char *rank_device(const char *device, char *buf, size_t len) {
    int local = cli_mpi_local_rank();
    if (device && strchr(device, ',')) {
        int n = 1;
        for (const char *p = device; *p; p++)
            n += *p == ',';
        const char *p = device;
        for (int k = local % n; k > 0; k--)
            p = strchr(p, ',') + 1;
        size_t w = strcspn(p, ",");
        snprintf(buf, len, "%.*s", (int)w, p);
        return buf;
    }
    if (device) return device;
    ct_device_info *infos = NULL;
    int count = 0, gpus = 0;
    char msg[CT_MSG_LEN];
    if (ct_device_list(&infos, &count, 0, msg) != CT_OK) return NULL;
    for (int i = 0; i < count; i++)
        gpus += !strcmp(infos[i].type, "gpu");
    const char *out = NULL;
    for (int i = 0, g = 0; i < count && gpus > 0; i++)
        if (!strcmp(infos[i].type, "gpu") && g++ == local % gpus) {
            snprintf(buf, len, "%d", infos[i].index);
            out = buf;
            break;
        }
    free(infos);
    return out;
}

int cmd_train(int argc, char **argv, const char *device) {
    options o;
    int rc = parse(argc, argv, &o);
    if (rc != CLI_RUN) return rc;
    /* under mpirun: one model, data-parallel over the ranks */
    ct_comm comm;
    memset(&comm, 0, sizeof comm);
    int ranks = cli_mpi_size(), rank = 0;
    char rank_sel[64];
    if (ranks > 1) {
        if (o.verify) {
            cli_error("train: --verify does not run data-parallel (%d processes)", ranks);
            return CLI_USAGE;
        }
        if (cli_mpi_start(&comm) != CLI_OK) return CLI_FAIL;
        rank = comm.rank;
        ranks = comm.size;
        device = rank_device(device, rank_sel, sizeof rank_sel);
    }
    char msg[CT_MSG_LEN];
    rc = CLI_FAIL;
    ct_dataset *all = NULL, *train = NULL, *val = NULL, *test = NULL;
    ct_device *dev = NULL;
    ct_model *model = NULL;
    run_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.warm.pid = ctx.warm.fd = -1;
    cli_netspec spec;
    memset(&spec, 0, sizeof spec);
    const ct_arch *arch = &spec.arch;

    /* optimizer, schedule and model first: cheap checks before any loading */
    if (cli_netspec_optimizer(&spec, &o.net) != CLI_OK) return CLI_USAGE;
    ct_train_options to;
    ct_train_defaults(&to);
    to.optim = spec.optim;
    if (!isnan(o.lr)) to.optim.lr = o.lr;
    if (ct_schedule_parse(o.schedule, &to.schedule, msg) != CT_OK) {
        cli_error("%s", msg);
        return CLI_USAGE;
    }
    to.schedule.warmup_epochs = o.warmup;
    if (cli_netspec_model(&spec, &o.net) != CLI_OK) return CLI_USAGE;

    /* a first run on PoCL: the kernel warm-up helper builds its program beside ours */
    if (!o.reference && ranks == 1 && ct_device_warm_early(device))
        cli_warm_start(&ctx.warm, device);

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
    if (val)
        printf("split: %d rows for training, %d for validation%s\n", ct_data_rows(train),
               ct_data_rows(val), o.val_data ? " (--val-data)" : "");

    /* architecture */
    if (cli_netspec_arch(&spec, &o.net, train, msg) != CT_OK) goto fail_msg;
    int batch;
    if (cli_netopts_batch(&o.net, train, &batch, msg) != CT_OK) goto fail_msg;
    char desc[512], init_s[64];
    ct_arch_describe(arch, desc, sizeof desc);
    ct_init_format(&spec.init, init_s, sizeof init_s);
    printf("model: %s, %zu parameters, init %s\n", desc, ct_arch_params(arch), init_s);
    printf("cost: %.3g MFLOP per training step (batch %d)\n",
           ct_arch_train_flops(arch, batch) / 1e6, batch);

    /* device */
    char mine[256];
    if (!o.reference) {
        if (cli_open_device(device, &dev) != CLI_OK) goto fail;
        /* a program PoCL had not cached: a helper process compiles the first step's kernels */
        if (ranks == 1 && ctx.warm.pid < 0 && ct_device_warm_wanted(dev))
            cli_warm_start(&ctx.warm, device);
        const ct_device_info *di = ct_device_get_info(dev);
        ct_kernel_config kc;
        const char *origin = NULL;
        char shape[96];
        ct_device_kernel_config(dev, &kc, &origin);
        ct_kernel_config_format(&kc, shape, sizeof shape);
        printf("device: [%d] %s (%s), matrix products: %s, kernel shape %s (%s)\n", di->index,
               di->name, di->platform, ct_gemm_backend_name(ct_device_gemm(dev)), shape, origin);
        snprintf(mine, sizeof mine, "[%d] %s", di->index, di->name);
    } else {
        printf("device: none (--backend reference: the scalar C reference in double precision)\n");
        snprintf(mine, sizeof mine, "the reference");
    }
    if (ranks > 1) {
        char *all = calloc((size_t)ranks, sizeof mine);
        if (!all || cli_mpi_gather(mine, sizeof mine, all) != CLI_OK) {
            free(all);
            snprintf(msg, sizeof msg, "gathering the ranks' devices failed");
            goto fail_msg;
        }
        printf("data-parallel: %d ranks, each step's batch of %d rows shared (%d%s per rank), "
               "gradients summed with MPI_Allreduce\n",
               ranks, batch, batch / ranks, batch % ranks ? "-" : "");
        for (int r = 0; r < ranks && rank == 0; r++)
            printf("  rank %d: %s\n", r, all + (size_t)r * sizeof mine);
        free(all);
    }
    printf("optimizer: %s, lr %g%s%s, batch %d, %d epoch%s, seed %llu\n",
           ct_optim_name(to.optim.kind), (double)to.optim.lr,
           to.schedule.kind != CT_SCHED_CONSTANT ? ", schedule " : "",
           to.schedule.kind != CT_SCHED_CONSTANT ? o.schedule : "", batch, o.epochs,
           o.epochs == 1 ? "" : "s", o.net.seed);
    fflush(stdout);
    spec.init.bias_value = o.net.bias_init;
    if (ct_model_create(&model, dev, arch, &spec.init, o.net.seed, msg) != CT_OK) goto fail_msg;

    /* the run */
    char tag[1200];
    snprintf(tag, sizeof tag, "data=%s|val=%g|val_data=%s", o.net.data, (double)val_frac,
             o.val_data ? o.val_data : "");
    if (o.checkpoint) {
        if (rank == 0 && mkdir(o.checkpoint, 0777) != 0 && errno != EEXIST) {
            snprintf(msg, sizeof msg, "cannot create the checkpoint folder %s: %s", o.checkpoint,
                     strerror(errno));
            goto fail_msg;
        }
        snprintf(ctx.ckpt_path, sizeof ctx.ckpt_path, "%s/checkpoint.safetensors", o.checkpoint);
        to.checkpoint = ctx.ckpt_path;
        to.checkpoint_every = o.checkpoint_every;
        to.resume = o.resume;
        to.resume_tag = tag;
    }
    to.epochs = o.epochs;
    to.batch = batch;
    to.seed = o.net.seed;
    to.l2 = o.net.l2;
    to.patience = o.patience;
    to.min_delta = o.min_delta;
    to.restore_best = 1;
    to.standardize = o.net.standardize;
    to.log_every = o.log_every;
    to.verify_every = o.reference ? 0 : o.verify;
    to.verify_tol = o.verify_tol;
    to.on_verify = on_verify;
    to.on_plan = on_plan;
    to.on_log = on_log;
    to.on_epoch = on_epoch;
    to.on_batch = on_batch;
    to.user = &ctx;
    ctx.o = &o;
    ctx.model = model;
    ctx.tty = rank == 0 && isatty(fileno(stderr));
    ctx.rank0 = rank == 0;
    ctx.classification = ct_data_task(train) == CT_TASK_CLASSIFICATION;
    ct_train_result res;
    ct_status st = ranks > 1 ? ct_model_train_parallel(model, train, val, &to, &comm, &res)
                             : ct_model_train(model, train, val, &to, &res);
    if (ctx.tty && !o.quiet) fprintf(stderr, "\r\033[K");
    if (ctx.failed) {
        snprintf(msg, sizeof msg, "%s", ctx.msg);
        goto fail_msg;
    }
    if (st != CT_OK) {
        snprintf(msg, sizeof msg, "%s", ct_model_error(model));
        goto fail_msg;
    }
    announce_resume(&ctx, res.resumed_epoch, res.resumed_step);
    if (res.stop_reason[0]) printf("%s\n", res.stop_reason);
    if (res.restored_best && res.stopped_early && !ctx.failed)
        printf("restored the weights of epoch %d\n", res.best_epoch);
    int epochs_done = res.epochs_run - res.resumed_epoch;
    long long steps_done = res.steps - res.resumed_step;
    printf("trained %d epoch%s (%lld step%s) in %.2f s\n", epochs_done, epochs_done == 1 ? "" : "s",
           steps_done, steps_done == 1 ? "" : "s", res.seconds);
    if (ranks > 1) {
        long long steps = res.steps - res.resumed_step;
        double per = steps > 0 ? res.seconds / steps : 0;
        double ex = comm.exchanges > 0 ? comm.exchange_seconds / comm.exchanges : 0;
        printf("data-parallel: %d ranks, %.3f ms per step, of which %.3f ms (%.1f%%) in the "
               "gradient allreduce (rank 0); weights identical on every rank\n",
               ranks, 1e3 * per, 1e3 * ex, per > 0 ? 100 * ex / per : 0);
        if (rank != 0) { /* rank 0 evaluates, saves and plots */
            rc = CLI_OK;
            goto done;
        }
    }
    double final_loss = NAN, final_acc = NAN;
    if (val && ct_model_evaluate(model, val, batch, &final_loss, &final_acc) == CT_OK) {
        if (isnan(final_acc))
            printf("validation: loss %.6g\n", final_loss);
        else
            printf("validation: loss %.6g, accuracy %.4f\n", final_loss, final_acc);
    }
    if (test) {
        double tl, ta;
        if (ct_model_evaluate(model, test, batch, &tl, &ta) != CT_OK) goto fail_model;
        if (isnan(ta))
            printf("test: loss %.6g (%s)\n", tl, ct_data_source(test));
        else
            printf("test: loss %.6g, accuracy %.4f (%s)\n", tl, ta, ct_data_source(test));
    }
    if (o.save) {
        if (ct_model_save(model, o.save) != CT_OK) goto fail_model;
        printf("saved the model to %s\n", o.save);
    }
    if (o.log) printf("wrote the training log to %s\n", o.log);
    if (o.plot) {
        char title[600];
        snprintf(title, sizeof title, "cltrain: %s on %s", desc, ct_data_source(train));
        if (ct_history_plot_svg(o.plot, title, ctx.hist, ctx.n_hist, ctx.classification, msg) !=
            CT_OK)
            goto fail_msg;
        printf("wrote the plot to %s\n", o.plot);
    }
    rc = CLI_OK;
    goto done;
fail_model:
    snprintf(msg, sizeof msg, "%s", ct_model_error(model));
fail_msg:
    cli_error("%s", msg);
fail:
    rc = CLI_FAIL;
done:
    cli_warm_end(&ctx.warm);
    free(ctx.hist);
    ct_model_destroy(model);
    ct_device_destroy(dev);
    ct_data_destroy(all);
    ct_data_destroy(train);
    ct_data_destroy(val);
    ct_data_destroy(test);
    return rc;
}
