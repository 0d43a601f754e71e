/* cltrain train: build a network for the data, train it on the device (or the reference),
 * print a line per epoch, and optionally log, plot, checkpoint and save. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "json.h" /* the JSON reader and escaping, compiled into the command too */
#include "netopts.h"
#include "strutil.h"

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
        "  --standardize        scale each numeric input to mean 0, std 1 (fitted on the training\n"
        "                       part; stored in the model; one-hot inputs stay 0/1)\n",
        f);
    cli_usage_table(f);
    fputs("\n"
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
        "  --exact              force the common bits (the same on every OpenCL implementation;\n"
        "                       the default unless the tuning file chose CLBlast for a product;\n"
        "                       also CLTRAIN_EXACT=1)\n"
        "  --verify N           every N steps, run that step through the reference too and print "
        "the\n"
        "                       largest error of every op; stop naming the op above --verify-tol\n"
        "  --verify-tol X       max |device - reference| / max |reference| per tensor (default "
        "1e-3)\n"
        "\n"
        "output:\n"
        "  --save FILE          the trained model (safetensors, readable by PyTorch and NumPy)\n"
        "  --log FILE.csv       one row per epoch: loss, accuracy (classification) or mean\n"
        "                       absolute error (regression), the same on the validation data,\n"
        "                       learning rate, time\n"
        "  --log-every N        also print the mean loss every N steps (default: per epoch only;\n"
        "                       each print reads the losses back from the device once)\n"
        "  --plot FILE.svg      loss and accuracy (or mean absolute error) curves\n"
        "  --tensorboard DIR    TensorBoard event files, as Keras writes them: runs DIR/train and\n"
        "                       DIR/validation, scalars epoch_loss, epoch_accuracy\n"
        "                       (classification) or epoch_mae (regression) and\n"
        "                       epoch_learning_rate per epoch (step = the epoch's 0-based index),\n"
        "                       the --stats figures per layer; flushed every epoch, so\n"
        "                       `tensorboard --logdir DIR` follows the run; a resume adds files\n"
        "  --tensorboard-histograms  also each layer's weight and bias histograms per epoch\n"
        "  --checkpoint DIR     keep DIR/checkpoint.safetensors (weights, optimizer state, step,\n"
        "                       this run's options); a folder that holds another run's checkpoint\n"
        "                       is refused unless --resume or --overwrite\n"
        "  --checkpoint-every N epochs between checkpoints (default 1)\n"
        "  --resume             continue the run in DIR with the options kept in its checkpoint;\n"
        "                       options given beside it must agree, except --epochs (raise it to\n"
        "                       train on), --checkpoint-every, --test-data, --verify, --backend\n"
        "                       and the outputs (--save, --log, --plot, --log-every, --quiet,\n"
        "                       --progress, --tensorboard: give it again to go on with the same\n"
        "                       runs)\n"
        "  --overwrite          replace the checkpoint of another run in DIR\n"
        "                       Ctrl-C (SIGINT) or SIGTERM stops after the current step, writes\n"
        "                       the checkpoint and --save there and says how to resume (exit 130\n"
        "                       or 143); a second one stops at once\n"
        "  --stats              per epoch and layer: mean and std of the activations, the "
        "fraction\n"
        "                       of dead ReLU units (on the first batch of the training data) and\n"
        "                       the weight-gradient norm of the last step, computed on the device\n"
        "  --quiet              no progress line and no epoch lines\n"
        "  --progress           draw the progress line on stderr even when it is not a terminal\n"
        "                       (a file, a pipe), at most 10 times a second. By default it shows\n"
        "                       on a terminal; under mpirun, rank 0 draws it when mpirun's stderr\n"
        "                       is a terminal. It shows batches, samples/s, the epoch's running\n"
        "                       loss, the time so far and the time left\n"
        "  --no-progress        no progress line, the epoch lines as usual\n",
        f);
}

typedef struct {
    cli_netopts net; /* data, model, optimizer */
    const char *val_data, *test_data, *save, *log, *plot, *checkpoint, *schedule, *tensorboard;
    float val, lr, min_delta, verify_tol; /* lr: NAN for the optimizer's default */
    int epochs, warmup, patience, reference, verify, log_every, checkpoint_every, resume, quiet,
        stats, overwrite, tb_histograms, exact, progress, no_progress;
} options;

/* ---- per-epoch output -------------------------------------------------------------------- */

/* Whether this process shows the progress line on stderr: rank 0 alone; --no-progress never,
 * --progress always (into a file or a pipe too, still at most 10 times a second), --quiet not;
 * else when stderr is a terminal, or under mpirun when the launcher's is (rank 0's stderr is
 * then a pipe that the launcher copies to its own). */
static int progress_line(const options *o, int rank, int ranks) {
    if (rank != 0 || o->no_progress) return 0;
    if (o->progress) return 1;
    if (o->quiet) return 0;
    return isatty(fileno(stderr)) || ((ranks > 1 || cli_mpi_launched()) && cli_mpi_launcher_tty(2));
}

typedef struct {
    const options *o;
    ct_model *model;
    int line;  /* the progress line is on stderr (see progress_line) */
    /* under a launcher whose output is a terminal: stdout's lines clear the progress line too
     * (see clear_line) */
    int clear_stdout;
    int batch; /* rows per step, for the progress line's samples/s */
    int classification;
    int announced; /* the "resumed from" line is printed */
    /* history for --log and --plot */
    ct_epoch_stats *hist;
    int n_hist, cap_hist;
    int failed;
    int rank0; /* this process writes the log (rank 0 of an mpirun job, or alone) */
    char ckpt_path[1024];
    const ct_checkpoint_info *from; /* the checkpoint a resume starts from */
    char msg[CT_MSG_LEN];
    cli_warm warm; /* the kernel warm-up helper (host/cli/warm.c) */
} run_ctx;

/* Clears the progress line before a line on stdout. Under a launcher (mpirun) the ranks' stdout
 * and stderr reach the terminal through separate channels, in no fixed order, so the clear on
 * stderr may come after the line on stdout, which then follows the progress line's text: the
 * clear is written at the start of the stdout line as well. */
static void clear_line(const run_ctx *c) {
    if (!c->line) return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
    if (c->clear_stdout) fputs("\r\033[K", stdout);
}

/* Seconds as m:ss, or h:mm:ss from an hour. */
static void clock_text(double s, char *buf, size_t len) {
    long t = s > 0 && s < 1e9 ? (long)(s + 0.5) : 0;
    if (t >= 3600)
        snprintf(buf, len, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, len, "%ld:%02ld", t / 60, t % 60);
}

/* The progress line on a terminal (the library calls at most every 0.1 s):
 * epoch 1/2 [=====>    ] 756/1250  8123 samples/s  loss 0.2154  0:03 eta 0:41
 * samples/s is this epoch's so far; the time left is the whole run's (the batches left at the
 * epoch's rate, validation not counted); the loss is the epoch's running mean. */
static void on_progress(const ct_progress *p, void *user) {
    run_ctx *c = user;
    int width = 30, filled = (int)((double)p->batch / p->n_batches * width);
    char bar[64], took[32], left[32], loss[32] = "";
    for (int i = 0; i < width; i++)
        bar[i] = i < filled ? '=' : (i == filled ? '>' : ' ');
    bar[width] = '\0';
    int from = p->epoch == p->first_epoch ? p->first_batch : 0, done = p->batch - from;
    long long rows = p->rows - (long long)from * c->batch;
    double rate = p->epoch_seconds > 0 ? (double)rows / p->epoch_seconds : 0;
    double per_batch = done > 0 ? p->epoch_seconds / done : 0;
    long long batches_left =
        (long long)(p->n_batches - p->batch) + (long long)(p->epochs - p->epoch) * p->n_batches;
    clock_text(p->seconds, took, sizeof took);
    clock_text(per_batch * (double)batches_left, left, sizeof left);
    if (!isnan(p->loss)) snprintf(loss, sizeof loss, "  loss %.4f", p->loss);
    fprintf(stderr, "\r\033[Kepoch %d/%d [%s] %d/%d  %.0f samples/s%s  %s eta %s", p->epoch,
            p->epochs, bar, p->batch, p->n_batches, rate, loss, took, left);
    fflush(stderr);
}

static void on_log(int epoch, long long step, double mean_loss, double lr, void *user) {
    run_ctx *c = user;
    if (c->o->quiet) return;
    clear_line(c);
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
    clear_line(c);
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

static void announce_resume(run_ctx *c) {
    if (c->announced || !c->o->resume || !c->from) return;
    c->announced = 1;
    if (c->from->batch > 0)
        printf("resumed from %s in epoch %d after batch %d (step %lld)\n", c->ckpt_path,
               c->from->epoch + 1, c->from->batch, c->from->step);
    else
        printf("resumed from %s after epoch %d (step %lld)\n", c->ckpt_path, c->from->epoch,
               c->from->step);
}

/* One epoch's row into the history; 0 when out of memory. */
static int hist_push(run_ctx *c, const ct_epoch_stats *s) {
    if (c->n_hist == c->cap_hist) {
        int cap = c->cap_hist ? 2 * c->cap_hist : 64;
        ct_epoch_stats *h = realloc(c->hist, (size_t)cap * sizeof *h);
        if (!h) return 0;
        c->hist = h;
        c->cap_hist = cap;
    }
    c->hist[c->n_hist++] = *s;
    return 1;
}

/* A resumed run's --log: the rows of the epochs the checkpoint holds, from the log the run wrote
 * before (a file that is not such a log is left to be replaced). */
static void preload_log(run_ctx *c, const char *path, int upto) {
    FILE *f = fopen(path, "r");
    if (!f) return;
    char line[1024];
    if (!fgets(line, sizeof line, f) || strncmp(line, "epoch,step,train_loss,", 22)) {
        fclose(f);
        return;
    }
    /* 11 columns, or 9 in a log written before train_mae and val_mae */
    int cols = strstr(line, ",train_mae,val_mae") ? 11 : 9;
    while (fgets(line, sizeof line, f)) {
        char *fld[11], *p = line;
        int n = 0;
        line[strcspn(line, "\r\n")] = '\0';
        while (n < 11) {
            fld[n++] = p;
            char *comma = strchr(p, ',');
            if (!comma) break;
            *comma = '\0';
            p = comma + 1;
        }
        double v[11] = {0};
        for (int k = 0; k < n; k++)
            v[k] = *fld[k] ? strtod(fld[k], NULL) : NAN;
        if (n != cols || !(v[0] >= 1 && v[0] <= upto)) continue;
        if (cols == 9) v[9] = v[10] = NAN;
        ct_epoch_stats s = {
            (int)v[0], (long long)v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], 0, v[9], v[10]};
        if (!hist_push(c, &s)) break;
    }
    fclose(f);
}

static int on_epoch(const ct_epoch_stats *s, void *user) {
    run_ctx *c = user;
    clear_line(c);
    announce_resume(c);
    if (!hist_push(c, s)) {
        snprintf(c->msg, sizeof c->msg, "out of host memory");
        c->failed = 1;
        return 1;
    }
    if (!c->o->quiet) {
        int w = snprintf(NULL, 0, "%d", c->o->epochs);
        printf("epoch %*d/%d  loss %.4f", w, s->epoch, c->o->epochs, s->train_loss);
        if (!isnan(s->train_acc)) printf("  acc %.4f", s->train_acc);
        if (!isnan(s->train_mae)) printf("  mae %.4f", s->train_mae);
        if (!isnan(s->val_loss)) printf("  val_loss %.4f", s->val_loss);
        if (!isnan(s->val_acc)) printf("  val_acc %.4f", s->val_acc);
        if (!isnan(s->val_mae)) printf("  val_mae %.4f", s->val_mae);
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
        cli_flag(a, "--stats", &o->stats) || cli_flag(a, "--overwrite", &o->overwrite) ||
        cli_flag(a, "--tensorboard-histograms", &o->tb_histograms) ||
        cli_flag(a, "--exact", &o->exact) || cli_flag(a, "--progress", &o->progress) ||
        cli_flag(a, "--no-progress", &o->no_progress))
        return 1;
    if ((r = cli_opt(argc, argv, i, "--tensorboard", &o->tensorboard))) return r;
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
static int parse_args(int argc, char **argv, options *o) {
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
    if (o->resume && o->overwrite) {
        cli_error("train: give either --resume or --overwrite, not both");
        return CLI_USAGE;
    }
    if (o->progress && o->no_progress) {
        cli_error("train: give either --progress or --no-progress, not both");
        return CLI_USAGE;
    }
    return CLI_RUN;
}

/* ---- the run's options in its checkpoint ------------------------------------------------- */

/* The options of a run and where they come from: with --resume, the checkpoint's first. */
typedef struct {
    char **argv; /* [argv0] + the checkpoint's options + the given ones (resume), or NULL */
    int argc;
    char **saved; /* the checkpoint's options (owned) */
    int n_saved;
    char *note;  /* this run's options as a JSON array, kept in its checkpoints */
    int resumed; /* info holds the checkpoint's state */
    ct_checkpoint_info info;
    char path[1024]; /* DIR/checkpoint.safetensors */
} run_args;

static void run_args_free(run_args *r) {
    for (int i = 0; i < r->n_saved; i++)
        free(r->saved[i]);
    free(r->saved);
    free(r->argv);
    free(r->note);
    ct_checkpoint_info_free(&r->info);
}

static int named(const char *arg, const char *const *names) {
    size_t n = strcspn(arg, "=");
    for (; *names; names++)
        if (strlen(*names) == n && !strncmp(arg, *names, n)) return 1;
    return 0;
}

/* Not kept in the checkpoint: where this run writes and how it shows its progress. */
static const char *const not_kept[] = {
    "--resume", "--overwrite", "--checkpoint", "--save",        "--log",
    "--plot",   "--log-every", "--quiet",      "--stats",       "--tensorboard",
    "--tensorboard-histograms", "--progress",  "--no-progress", NULL};
/* Kept, but a resume may change them. */
static const char *const may_change[] = {
    "--epochs", "--checkpoint-every", "--test-data", "--verify", "--verify-tol", "--backend", NULL};

/* The index of the last argument of the option at argv[i] (argv was parsed without error). */
static int option_end(int argc, char **argv, int i) {
    options scratch;
    memset(&scratch, 0, sizeof scratch);
    int j = i;
    return option(argc, argv, &j, &scratch) == 1 ? j : i;
}

/* argv[1..argc) without the options that are not kept, each option once (its last), as a JSON
 * array of strings; NULL when out of memory. */
static char *options_note(int argc, char **argv) {
    ct_strbuf b = {0};
    ct_sb_put(&b, "[", 1);
    int first = 1;
    for (int i = 1; i < argc; i++) {
        int end = option_end(argc, argv, i), later = 0;
        size_t n = strcspn(argv[i], "=");
        for (int k = end + 1; k < argc && !later; k = option_end(argc, argv, k) + 1)
            later = strcspn(argv[k], "=") == n && !strncmp(argv[k], argv[i], n);
        for (int k = i; k <= end && !later && !named(argv[i], not_kept); k++) {
            size_t need = ct_json_escape(NULL, 0, argv[k]);
            char *esc = malloc(need + 1);
            if (!esc) {
                b.oom = 1;
                break;
            }
            ct_json_escape(esc, need + 1, argv[k]);
            if (!first) ct_sb_put(&b, ",", 1);
            ct_sb_put(&b, esc, strlen(esc));
            free(esc);
            first = 0;
        }
        i = end;
    }
    ct_sb_put(&b, "]", 1);
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

/* The checkpoint's options (its note) into r->saved; 0 after printing the error. */
static int read_saved(run_args *r) {
    char err[256];
    const char *text = r->info.note;
    if (!*text) return 1; /* a checkpoint of an older cltrain: the options as given */
    ct_json *j = ct_json_parse(text, strlen(text), err, sizeof err);
    int ok = j && j->type == CT_JSON_ARRAY;
    for (size_t i = 0; ok && i < j->count; i++)
        ok = j->items[i].type == CT_JSON_STRING;
    if (ok && !(r->saved = calloc(j->count + 1, sizeof *r->saved))) ok = 0;
    for (size_t i = 0; ok && i < j->count; i++, r->n_saved++)
        ok = (r->saved[i] = strdup(j->items[i].string)) != NULL;
    ct_json_free(j);
    if (!ok) cli_error("--resume: %s: the options kept in it are not a list of strings", r->path);
    return ok;
}

/* [argv0] + the checkpoint's options + extra[0..n) into a new array (NULL: out of memory). */
static char **joined(const run_args *r, char *argv0, char **extra, int n, int *argc) {
    char **v = calloc((size_t)(1 + r->n_saved + n + 1), sizeof *v);
    if (!v) return NULL;
    v[0] = argv0;
    for (int i = 0; i < r->n_saved; i++)
        v[1 + i] = r->saved[i];
    for (int i = 0; i < n; i++)
        v[1 + r->n_saved + i] = extra[i];
    *argc = 1 + r->n_saved + n;
    return v;
}

static int same_str(const char *a, const char *b) { return a == b || (a && b && !strcmp(a, b)); }
static int same_num(double a, double b) { return a == b || (isnan(a) && isnan(b)); }

/* Whether two parses agree on every option (pointers by their text). */
static int same_options(const options *a, const options *b) {
    const cli_netopts *x = &a->net, *y = &b->net;
    return same_str(x->data, y->data) && same_str(x->labels, y->labels) &&
           same_str(x->label, y->label) && x->task == y->task && x->standardize == y->standardize &&
           same_str(x->layers, y->layers) && same_str(x->activation, y->activation) &&
           same_str(x->loss, y->loss) && same_str(x->init, y->init) &&
           same_str(x->dropout, y->dropout) && same_str(x->norm, y->norm) &&
           same_num(x->alpha, y->alpha) && same_num(x->huber_delta, y->huber_delta) &&
           same_num(x->bias_init, y->bias_init) && same_num(x->norm_momentum, y->norm_momentum) &&
           same_num(x->norm_eps, y->norm_eps) && x->seed == y->seed &&
           same_str(x->optimizer, y->optimizer) && same_num(x->momentum, y->momentum) &&
           same_num(x->dampening, y->dampening) && same_num(x->beta1, y->beta1) &&
           same_num(x->beta2, y->beta2) && same_num(x->rho, y->rho) && same_num(x->eps, y->eps) &&
           same_num(x->weight_decay, y->weight_decay) && same_num(x->l2, y->l2) &&
           same_num(x->clip_norm, y->clip_norm) && x->batch == y->batch &&
           same_str(a->val_data, b->val_data) && same_str(a->schedule, b->schedule) &&
           same_num(a->val, b->val) && same_num(a->lr, b->lr) &&
           same_num(a->min_delta, b->min_delta) && a->warmup == b->warmup &&
           a->patience == b->patience;
}

/* The text of an option (with its value) as given, into buf. */
static void option_text(int argc, char **argv, int i, char *buf, size_t len) {
    int end = option_end(argc, argv, i);
    snprintf(buf, len, "%s%s%s", argv[i], end > i ? " " : "", end > i ? argv[end] : "");
}

/* Each option given beside --resume that the checkpoint's run had otherwise: the first is an
 * error naming it. 1 when they agree, 0 after printing the error. */
static int given_agree(run_args *r, int argc, char **argv) {
    int n0;
    char **v0 = joined(r, argv[0], NULL, 0, &n0);
    options base, with;
    int ok = v0 && parse_args(n0, v0, &base) == CLI_RUN;
    for (int i = 1; ok && i < argc; i++) {
        int end = option_end(argc, argv, i), n1;
        if (named(argv[i], not_kept) || named(argv[i], may_change)) {
            i = end;
            continue;
        }
        char **v1 = joined(r, argv[0], argv + i, end - i + 1, &n1);
        ok = v1 && parse_args(n1, v1, &with) == CLI_RUN;
        if (ok && !same_options(&base, &with)) {
            char given[512], kept[512] = "";
            option_text(argc, argv, i, given, sizeof given);
            size_t n = strcspn(argv[i], "=");
            for (int k = 0; k < r->n_saved; k = option_end(r->n_saved, r->saved, k) + 1)
                if (strcspn(r->saved[k], "=") == n && !strncmp(r->saved[k], argv[i], n))
                    option_text(r->n_saved, r->saved, k, kept, sizeof kept);
            if (kept[0])
                cli_error("%s differs from the checkpoint's %s (%s); drop it to resume that run, "
                          "or start a new run in another folder",
                          given, kept, r->path);
            else
                cli_error("%s differs from the checkpoint's run, which used the default (%s); drop "
                          "it to resume that run, or start a new run in another folder",
                          given, r->path);
            ok = 0;
        }
        free(v1);
        i = end;
    }
    free(v0);
    return ok;
}

/* The options of the run: as given, or with --resume the checkpoint's with the given ones after
 * them (which must agree, see given_agree); r->note gets them for this run's checkpoints. */
static int parse(int argc, char **argv, options *o, run_args *r) {
    memset(r, 0, sizeof *r);
    options scan; /* the given options alone: --help, unknown options, --resume and its folder */
    memset(&scan, 0, sizeof scan);
    int rc = cli_parse(argc, argv, "train", usage, option, &scan);
    if (rc != CLI_RUN) return rc;
    if (!scan.resume || !scan.checkpoint) {
        if ((rc = parse_args(argc, argv, o)) != CLI_RUN) return rc;
        if (!(r->note = options_note(argc, argv))) return cli_error("out of host memory"), CLI_FAIL;
        return CLI_RUN;
    }
    char msg[CT_MSG_LEN];
    snprintf(r->path, sizeof r->path, "%s/checkpoint.safetensors", scan.checkpoint);
    if (access(r->path, F_OK) != 0) {
        cli_error("--resume: no checkpoint in %s (%s: %s); start the run without --resume",
                  scan.checkpoint, r->path, strerror(errno));
        return CLI_FAIL;
    }
    if (ct_checkpoint_read(r->path, &r->info, msg) != CT_OK) {
        cli_error("--resume: %s", msg);
        return CLI_FAIL;
    }
    r->resumed = 1;
    if (!read_saved(r)) return CLI_FAIL;
    if (!(r->argv = joined(r, argv[0], argv + 1, argc - 1, &r->argc)))
        return cli_error("out of host memory"), CLI_FAIL;
    if ((rc = parse_args(r->argc, r->argv, o)) != CLI_RUN) return rc;
    if (!given_agree(r, argc, argv)) return CLI_FAIL;
    if (!(r->note = options_note(r->argc, r->argv)))
        return cli_error("out of host memory"), CLI_FAIL;
    return CLI_RUN;
}

/* ---- before any work: the places the run writes ------------------------------------------ */

/* A file the run writes at its end (--save, --log, --plot): its folder exists and is writable and
 * the path is not a folder. 1 when it is, 0 after printing the error. */
static int writable_file(const char *opt, const char *path) {
    struct stat sb;
    size_t n = strlen(path);
    if (n == 0 || path[n - 1] == '/' || (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))) {
        cli_error("%s %s: that is a folder; give a file name", opt, path);
        return 0;
    }
    char dir[1024];
    const char *slash = strrchr(path, '/');
    if (slash)
        snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    else
        snprintf(dir, sizeof dir, ".");
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        cli_error("%s %s: the folder %s %s", opt, path, dir,
                  stat(dir, &sb) != 0 ? "does not exist" : "is not a folder");
        return 0;
    }
    if (access(dir, W_OK) != 0) {
        cli_error("%s %s: cannot write into the folder %s (%s)", opt, path, dir, strerror(errno));
        return 0;
    }
    return 1;
}

/* The outputs, and a checkpoint folder that holds another run's checkpoint (refused unless
 * --resume or --overwrite). CLI_OK, or the exit code after printing the error. */
static int check_outputs(const options *o) {
    if ((o->save && !writable_file("--save", o->save)) ||
        (o->log && !writable_file("--log", o->log)) ||
        (o->plot && !writable_file("--plot", o->plot)))
        return CLI_FAIL;
    if (!o->checkpoint) return CLI_OK;
    struct stat sb;
    char path[1100];
    snprintf(path, sizeof path, "%s/checkpoint.safetensors", o->checkpoint);
    if (stat(o->checkpoint, &sb) != 0) { /* a new folder: its parent must take it */
        char dir[1024];
        snprintf(dir, sizeof dir, "%s", o->checkpoint);
        for (size_t n = strlen(dir); n > 1 && dir[n - 1] == '/'; n--)
            dir[n - 1] = '\0';
        return writable_file("--checkpoint", dir) ? CLI_OK : CLI_FAIL;
    }
    if (!S_ISDIR(sb.st_mode)) {
        cli_error("--checkpoint %s: that is a file, not a folder", o->checkpoint);
        return CLI_FAIL;
    }
    if (access(o->checkpoint, W_OK) != 0) {
        cli_error("--checkpoint %s: cannot write into the folder (%s)", o->checkpoint,
                  strerror(errno));
        return CLI_FAIL;
    }
    if (o->resume || o->overwrite || access(path, F_OK) != 0) return CLI_OK;
    ct_checkpoint_info info;
    char msg[CT_MSG_LEN], what[160];
    if (ct_checkpoint_read(path, &info, msg) == CT_OK)
        snprintf(what, sizeof what, "after epoch %d, step %lld", info.epoch, info.step);
    else
        snprintf(what, sizeof what, "not readable as a checkpoint");
    ct_checkpoint_info_free(&info);
    cli_error("--checkpoint %s holds the checkpoint of another run (%s, %s); continue it with "
              "--resume, choose another folder, or replace it with --overwrite",
              o->checkpoint, path, what);
    return CLI_FAIL;
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

/* ---- SIGINT and SIGTERM ------------------------------------------------------------------ */

/* The signal that asked the run to stop (0: none), and whether a progress bar is on stderr.
 * File-scope because a signal handler reaches nothing else; only on_signal writes them while
 * a run trains, and the training loop reads stop_signal between steps (ct_train_options.stop). */
static volatile sig_atomic_t stop_signal, stop_tty;

static void on_signal(int sig) {
    static const char first[] =
        "cltrain: stopping after the current step (once more to stop at once)\n";
    static const char again[] = "cltrain: stopped at once; the last checkpoint written is whole "
                                "(files are replaced atomically)\n";
    if (stop_tty && write(2, "\r\033[K", 4) < 0) stop_tty = 0;
    if (stop_signal) {
        if (write(2, again, sizeof again - 1) < 0) _exit(128 + sig);
        _exit(128 + sig);
    }
    stop_signal = sig;
    if (write(2, first, sizeof first - 1) < 0) stop_tty = 0;
}

typedef struct {
    int installed[2];
    struct sigaction old[2]; /* SIGINT, SIGTERM */
} stop_handlers;

/* From here on SIGINT and SIGTERM stop the run after the current step (a signal ignored when
 * the command started, as in a background job of a script, stays ignored). */
static void catch_stops(stop_handlers *h, int tty) {
    const int sigs[2] = {SIGINT, SIGTERM};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    stop_signal = 0;
    stop_tty = tty;
    for (int k = 0; k < 2; k++) {
        struct sigaction cur;
        if (sigaction(sigs[k], NULL, &cur) != 0 || cur.sa_handler == SIG_IGN) continue;
        h->installed[k] = sigaction(sigs[k], &sa, &h->old[k]) == 0;
    }
}

static void release_stops(stop_handlers *h) {
    const int sigs[2] = {SIGINT, SIGTERM};
    for (int k = 0; k < 2; k++)
        if (h->installed[k]) sigaction(sigs[k], &h->old[k], NULL);
    h->installed[0] = h->installed[1] = 0;
}

/* After a run stopped by a signal: --save and --plot with what it reached, and one line saying
 * where it stopped, what the checkpoint holds and how to resume. The exit code 128 + signal. */
static int interrupted(const options *o, run_ctx *c, const ct_train_result *res, ct_model *model,
                       const char *device, int ranks, int rank) {
    int sig = stop_signal ? stop_signal : SIGINT;
    if (rank != 0) return 128 + sig;
    char where[160], ckpt[1200] = "", saved[1100] = "", how[1400] = "", msg[CT_MSG_LEN];
    if (res->stop_batch > 0)
        snprintf(where, sizeof where, "in epoch %d/%d at step %lld (batch %d of %d)",
                 res->epochs_run + 1, o->epochs, res->steps, res->stop_batch, res->batches);
    else
        snprintf(where, sizeof where, "after epoch %d/%d (step %lld)", res->epochs_run, o->epochs,
                 res->steps);
    int trained = res->steps > 0;
    if (o->save && trained) {
        if (ct_model_save(model, o->save) != CT_OK) {
            cli_error("interrupted %s; saving the model failed: %s", where, ct_model_error(model));
            return CLI_FAIL;
        }
        snprintf(saved, sizeof saved, "; saved the model to %s", o->save);
    }
    if (o->plot && c->n_hist > 0) {
        char title[600];
        snprintf(title, sizeof title, "cltrain: interrupted %s", where);
        if (ct_history_plot_svg(o->plot, title, c->hist, c->n_hist, c->classification, msg) !=
            CT_OK) {
            cli_error("%s", msg);
            return CLI_FAIL;
        }
    }
    if (o->checkpoint && trained) {
        char mpi[32] = "", dev[300] = "", keep[1100] = "";
        if (ranks > 1) snprintf(mpi, sizeof mpi, "mpirun -np %d ", ranks);
        if (device) snprintf(dev, sizeof dev, "--device %s ", device);
        if (o->save) snprintf(keep, sizeof keep, " --save %s", o->save);
        snprintf(ckpt, sizeof ckpt, "; %s holds the run up to that step", c->ckpt_path);
        snprintf(how, sizeof how, ". Resume with: %scltrain %strain --checkpoint %s --resume%s",
                 mpi, dev, o->checkpoint, keep);
    } else if (o->checkpoint) {
        snprintf(how, sizeof how, "; nothing trained, nothing written");
    } else {
        snprintf(how, sizeof how, "; without --checkpoint the run cannot be resumed");
    }
    fflush(stdout);
    fprintf(stderr, "cltrain: interrupted (%s) %s%s%s%s\n", sig == SIGTERM ? "SIGTERM" : "SIGINT",
            where, ckpt, saved, how);
    return 128 + sig;
}

/* --resume of a run that has all its epochs: nothing to train; --save still writes the model. */
static int finished(const options *o, const run_args *r) {
    if (cli_mpi_rank() != 0) return CLI_OK;
    if (r->info.epoch > o->epochs)
        printf("%s already holds %d epochs (step %lld), more than --epochs %d; nothing to train "
               "(raise --epochs to continue)\n",
               r->path, r->info.epoch, r->info.step, o->epochs);
    else
        printf("%s already holds all %d epochs (step %lld); nothing to train (raise --epochs to "
               "continue)\n",
               r->path, r->info.epoch, r->info.step);
    if (!o->save) return CLI_OK;
    ct_model *m = NULL;
    char msg[CT_MSG_LEN];
    if (ct_model_load(&m, NULL, r->path, msg) != CT_OK) {
        cli_error("%s", msg);
        return CLI_FAIL;
    }
    int rc = CLI_OK;
    if (ct_model_save(m, o->save) != CT_OK) {
        cli_error("%s", ct_model_error(m));
        rc = CLI_FAIL;
    } else {
        printf("saved the model to %s\n", o->save);
    }
    ct_model_destroy(m);
    return rc;
}

static int train(const options *opts, const run_args *ra, const char *device);

int cmd_train(int argc, char **argv, const char *device) {
    options o;
    run_args ra;
    int rc = parse(argc, argv, &o, &ra);
    if (rc == CLI_RUN) rc = check_outputs(&o) == CLI_OK ? CLI_RUN : CLI_FAIL;
    if (rc == CLI_RUN && ra.resumed && ra.info.batch == 0 && ra.info.epoch >= o.epochs)
        rc = finished(&o, &ra);
    if (rc == CLI_RUN) rc = train(&o, &ra, device);
    run_args_free(&ra);
    return rc;
}

static int train(const options *opts, const run_args *ra, const char *device) {
    options o = *opts;
    int rc;
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
    stop_handlers stops;
    memset(&stops, 0, sizeof stops);
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
        if (o.exact && ct_device_set_exact(dev, 1) != CT_OK) {
            cli_error("--exact: %s", ct_device_error(dev));
            goto fail;
        }
        /* a program PoCL had not cached: a helper process compiles the first step's kernels */
        if (ranks == 1 && ctx.warm.pid < 0 && ct_device_warm_wanted(dev))
            cli_warm_start(&ctx.warm, device);
        const ct_device_info *di = ct_device_get_info(dev);
        ct_kernel_config kc;
        const char *origin = NULL;
        char shape[96];
        ct_device_kernel_config(dev, &kc, &origin);
        ct_kernel_config_format(&kc, shape, sizeof shape);
        printf("device: [%d] %s (%s), matrix products: %s, kernel shape %s (%s), %s\n",
               di->index, di->name, di->platform, ct_gemm_backend_name(ct_device_gemm(dev)), shape,
               origin,
               !ct_device_common_bits(dev) ? "device's own bits (CLBlast products)"
               : ct_device_gives_common_bits(dev, NULL) ? "common bits"
                                                        : "common bits not verified on this device");
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
    to.tensorboard_dir = o.tensorboard;
    to.tensorboard_stats = o.stats;
    to.tensorboard_histograms = o.tb_histograms;
    to.user = &ctx;
    ctx.o = &o;
    ctx.model = model;
    ctx.line = progress_line(&o, rank, ranks);
    ctx.clear_stdout = ctx.line && (ranks > 1 || cli_mpi_launched()) && isatty(fileno(stdout)) &&
                       cli_mpi_launcher_tty(1);
    ctx.rank0 = rank == 0;
    ctx.batch = batch;
    /* the progress line: rank 0's alone, so nothing is read back for it otherwise */
    if (ctx.line) to.on_progress = on_progress;
    ctx.classification = ct_data_task(train) == CT_TASK_CLASSIFICATION;
    ct_train_result res;
    ctx.from = o.resume ? &ra->info : NULL;
    if (ctx.from && o.log && rank == 0) preload_log(&ctx, o.log, ctx.from->epoch);
    to.checkpoint_note = ra->note;
    to.stop = &stop_signal;
    catch_stops(&stops, ctx.line);
    ct_status st = ranks > 1 ? ct_model_train_parallel(model, train, val, &to, &comm, &res)
                             : ct_model_train(model, train, val, &to, &res);
    clear_line(&ctx);
    if (ctx.failed) {
        snprintf(msg, sizeof msg, "%s", ctx.msg);
        goto fail_msg;
    }
    if (st != CT_OK) {
        snprintf(msg, sizeof msg, "%s", ct_model_error(model));
        goto fail_msg;
    }
    announce_resume(&ctx);
    if (res.interrupted) {
        rc = interrupted(&o, &ctx, &res, model, device, ranks, rank);
        goto done;
    }
    release_stops(&stops);
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
    release_stops(&stops);
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
