/* Data-parallel training (ct_comm, ct_model_train_parallel) through the public API, with N ranks
 * simulated by N threads of one process: each thread opens its own device and model (the same
 * seed) and trains with a communicator built on a barrier (every rank publishes its buffer, waits,
 * sums all ranks' buffers in rank order 0..N-1 into a private temporary, waits, copies back, so
 * every rank gets the same bits). Checks:
 * - 2 and 3 ranks (a batch not divisible by the ranks, a last batch shorter than the ranks): the
 *   weights are bit-identical across ranks and equal to one process with the same batch up to
 *   rounding; with dropout, l2, clip_norm, validation, softmax-CE and an MSE regression;
 * - the same on the reference backend (double precision), much more tightly;
 * - epoch statistics (a regression's mean absolute errors included): the same bits on every
 *   rank, close to the one-process run;
 * - comm->exchanges is the number of optimizer steps (and of gradient sums), exchange_seconds > 0;
 * - on_progress on rank 0 alone: called at every step (progress_seconds 0) with a finite loss, the
 *   epoch's loss at its end (the other ranks read and sum with it);
 * - errors: a batch smaller than the ranks, verify_every, a bad rank or communicator; comm NULL
 *   or of size 1 is ct_model_train bit for bit; a stop asked by one rank stops all;
 * - checkpoint and resume on 2 ranks equal an uninterrupted run bit for bit; the checkpoint
 *   loads and holds the final weights; resuming it on 1 or 3 ranks fails with CT_ERR_ARG. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cltrain.h"
#include "util.h"

#define MAX_RANKS 3
#define MAX_EPOCHS 8
#define MAX_LOGS 64

/* Tolerances of N ranks against one process, as max |w_N - w_1| / max |w_1| after training, and
 * as |loss_N - loss_1| / |loss_1| for the epoch and logged losses. The ranks sum their gradients
 * in another order than one process does: on a device in float, a few ulps per step, which the
 * optimizer carries along. Measured on PoCL over 600 runs (fresh seeds, 2 and 3 ranks):
 * weights typically 1e-7 to 4e-7, the largest 6.1e-6 (Adam, where a gradient that is rounding
 * noise around zero still makes a step of about lr); losses at most 7.6e-7. rmsprop, which
 * forgets faster, reached 2.3e-5 on the near-zero output-bias gradient of a fitted regression,
 * so it is not among the setups. The reference sums in double: its weights agree to float
 * rounding (measured 0), its losses to the float rounding of each batch's loss (at most 2 ulps;
 * measured 1.2e-7). Each run prints what it measured. */
#define TOL_DEVICE 1e-4
#define TOL_REF 1e-6
/* Training accuracy against one process, as a fraction of the rows: rows whose last hidden layer
 * is all zero (relu, dropout) have the biases as logits, which nearly tie after the first Adam
 * steps (lr * g / (|g| + eps) for each class); a rounding difference breaks such a tie the other
 * way for all of those rows at once (measured: at most 3 rows of 187, in epoch 1, in 600 runs). */
#define TOL_ACC 0.05

/* ---- a communicator over threads -------------------------------------------------------- */

typedef enum { OP_F32 = 1, OP_F64, OP_BCAST } op_kind;

/* A barrier that a failing rank can break (pthread_barrier_t cannot be), so that a rank which
 * returns an error, or leaves while others wait in a collective, ends the test instead of
 * hanging it. Each rank publishes what it calls (kind, length, root) with its buffer, so a rank
 * calling another collective than the others is caught. */
typedef struct group {
    int size;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int arrived;
    unsigned long gen;
    int aborted; /* a rank failed */
    int left;    /* ranks whose training returned */
    void *buf[MAX_RANKS];
    size_t len[MAX_RANKS];
    int kind[MAX_RANKS], root[MAX_RANKS];
    char mismatch[256]; /* the first collective that the ranks did not agree on */
} group;

typedef struct rank_ctx {
    group *g;
    int rank;
    long f32_calls, f64_calls, bcast_calls;
} rank_ctx;

static void group_init(group *g, int size) {
    memset(g, 0, sizeof *g);
    g->size = size;
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
}

static void group_destroy(group *g) {
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
}

/* 0 when every rank arrived; -1 when the group was aborted or a rank left meanwhile. */
static int group_wait(group *g) {
    pthread_mutex_lock(&g->mu);
    if (g->aborted || g->left) {
        pthread_mutex_unlock(&g->mu);
        return -1;
    }
    unsigned long gen = g->gen;
    if (++g->arrived == g->size) {
        g->arrived = 0;
        g->gen++;
        pthread_cond_broadcast(&g->cv);
    } else {
        while (gen == g->gen && !g->aborted && !g->left)
            pthread_cond_wait(&g->cv, &g->mu);
    }
    int done = gen != g->gen;
    pthread_mutex_unlock(&g->mu);
    return done ? 0 : -1;
}

static void group_end(group *g, int failed) {
    pthread_mutex_lock(&g->mu);
    if (failed) g->aborted = 1;
    g->left++;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

/* Publishes this rank's call and waits for all; -1 (on every rank alike) when they differ. */
static int publish(rank_ctx *c, void *buf, size_t len, int kind, int root) {
    group *g = c->g;
    g->buf[c->rank] = buf;
    g->len[c->rank] = len;
    g->kind[c->rank] = kind;
    g->root[c->rank] = root;
    if (group_wait(g)) return -1;
    for (int r = 1; r < g->size; r++)
        if (g->kind[r] != g->kind[0] || g->len[r] != g->len[0] || g->root[r] != g->root[0]) {
            if (c->rank == 0)
                snprintf(g->mismatch, sizeof g->mismatch,
                         "rank 0 called collective %d (%zu, root %d), rank %d collective %d (%zu, "
                         "root %d)",
                         g->kind[0], g->len[0], g->root[0], r, g->kind[r], g->len[r], g->root[r]);
            return -1;
        }
    return 0;
}

static int allreduce_f32(float *buf, size_t n, void *ctx) {
    rank_ctx *c = ctx;
    group *g = c->g;
    c->f32_calls++;
    float *tmp = malloc((n ? n : 1) * sizeof(float));
    int rc = publish(c, buf, n, OP_F32, -1);
    if (!rc && tmp) {
        for (size_t i = 0; i < n; i++) {
            float s = ((const float *)g->buf[0])[i];
            for (int r = 1; r < g->size; r++)
                s += ((const float *)g->buf[r])[i];
            tmp[i] = s;
        }
    }
    if (!rc) rc = group_wait(g); /* every rank has read every buffer */
    if (!rc && tmp) memcpy(buf, tmp, n * sizeof(float));
    free(tmp);
    return rc || !tmp ? -1 : 0;
}

static int allreduce_f64(double *buf, size_t n, void *ctx) {
    rank_ctx *c = ctx;
    group *g = c->g;
    c->f64_calls++;
    double *tmp = malloc((n ? n : 1) * sizeof(double));
    int rc = publish(c, buf, n, OP_F64, -1);
    if (!rc && tmp) {
        for (size_t i = 0; i < n; i++) {
            double s = ((const double *)g->buf[0])[i];
            for (int r = 1; r < g->size; r++)
                s += ((const double *)g->buf[r])[i];
            tmp[i] = s;
        }
    }
    if (!rc) rc = group_wait(g);
    if (!rc && tmp) memcpy(buf, tmp, n * sizeof(double));
    free(tmp);
    return rc || !tmp ? -1 : 0;
}

static int broadcast(void *buf, size_t bytes, int root, void *ctx) {
    rank_ctx *c = ctx;
    group *g = c->g;
    c->bcast_calls++;
    if (root < 0 || root >= g->size) return -1;
    int rc = publish(c, buf, bytes, OP_BCAST, root);
    if (!rc && c->rank != root) memcpy(buf, g->buf[root], bytes);
    if (!rc) rc = group_wait(g); /* root's buffer is read by all before it changes */
    return rc;
}

/* ---- one rank's training ----------------------------------------------------------------- */

/* A training problem: data, architecture and options, the same for every rank. */
typedef struct setup {
    const char *name;
    char source[200];
    double val_frac;    /* 0: no validation data */
    ct_arch arch;       /* ends fitted to the data by each rank */
    ct_train_options o; /* callbacks are set per rank */
    uint64_t model_seed;
    int ref; /* 1: the scalar reference (dev NULL), else the default device */
} setup;

typedef struct job {
    const setup *su;
    int size; /* 0: ct_model_train alone; else ct_model_train_parallel as rank `rank` */
    int rank;
    rank_ctx rc;
    ct_comm comm;
    int null_comm; /* ct_model_train_parallel with comm NULL */
    /* overrides of the setup's options */
    const char *checkpoint;
    int epochs, resume, batch, verify_every;
    int stop_at; /* > 0: on_epoch asks to stop after this epoch */
    /* out */
    ct_status st;
    char msg[CT_MSG_LEN];
    float *params;
    size_t np;
    ct_epoch_stats hist[MAX_EPOCHS];
    int n_hist;
    struct {
        long long step;
        double loss, lr;
    } logs[MAX_LOGS]; /* on_log */
    int n_logs;
    ct_train_result res;
    int train_rows;
    /* on_progress (rank 0 alone, at every step): calls, calls without a finite loss, and the
     * loss at each epoch's last batch */
    int n_prog, prog_bad;
    double prog_end[MAX_EPOCHS];
} job;

static void record_progress(const ct_progress *p, void *user) {
    job *j = user;
    j->n_prog++;
    if (!isfinite(p->loss)) j->prog_bad++;
    if (p->batch == p->n_batches && p->epoch >= 1 && p->epoch <= MAX_EPOCHS)
        j->prog_end[p->epoch - 1] = p->loss;
}

static int record_epoch(const ct_epoch_stats *s, void *user) {
    job *j = user;
    if (j->n_hist < MAX_EPOCHS) j->hist[j->n_hist++] = *s;
    return j->stop_at > 0 && s->epoch == j->stop_at;
}

static void record_log(int epoch, long long step, double mean_loss, double lr, void *user) {
    (void)epoch;
    job *j = user;
    if (j->n_logs >= MAX_LOGS) return;
    j->logs[j->n_logs].step = step;
    j->logs[j->n_logs].loss = mean_loss;
    j->logs[j->n_logs++].lr = lr;
}

/* Opens a device (unless the setup is on the reference), loads and splits the data, builds the
 * model and trains it. */
static void *run_job(void *arg) {
    job *j = arg;
    const setup *su = j->su;
    ct_device *dev = NULL;
    ct_dataset *all = NULL, *tr = NULL, *va = NULL;
    ct_model *m = NULL;
    j->params = NULL;
    j->n_hist = 0;
    j->n_logs = 0;
    j->n_prog = j->prog_bad = 0;
    j->msg[0] = '\0';
    memset(&j->res, 0, sizeof j->res);
    if (!su->ref && (j->st = ct_device_create(&dev, NULL, j->msg)) != CT_OK) goto done;
    if ((j->st = ct_data_load(&all, su->source, NULL, j->msg)) != CT_OK) goto done;
    if (su->val_frac > 0) {
        if ((j->st = ct_data_split(all, su->val_frac, su->o.seed + 1, &tr, &va, j->msg)) != CT_OK)
            goto done;
    }
    const ct_dataset *train = tr ? tr : all;
    j->train_rows = ct_data_rows(train);
    ct_arch a = su->arch;
    if ((j->st = ct_arch_fit_data(&a, train, j->msg)) != CT_OK) goto done;
    if ((j->st = ct_model_create(&m, dev, &a, NULL, su->model_seed, j->msg)) != CT_OK) goto done;
    ct_train_options o = su->o;
    o.on_epoch = record_epoch;
    o.on_log = record_log;
    o.user = j;
    if (j->rank == 0) { /* the progress line is rank 0's; the others take part in its sums */
        o.on_progress = record_progress;
        o.progress_seconds = 0;
    }
    if (j->checkpoint) o.checkpoint = j->checkpoint;
    if (j->epochs) o.epochs = j->epochs;
    if (j->batch) o.batch = j->batch;
    o.resume = j->resume;
    o.verify_every = j->verify_every;
    if (j->size > 0 || j->null_comm)
        j->st = ct_model_train_parallel(m, train, va, &o, j->null_comm ? NULL : &j->comm, &j->res);
    else
        j->st = ct_model_train(m, train, va, &o, &j->res);
    if (j->st != CT_OK) {
        snprintf(j->msg, sizeof j->msg, "%s", ct_model_error(m));
        goto done;
    }
    j->np = ct_arch_params(&a);
    j->params = malloc(j->np * sizeof(float));
    if (!j->params)
        j->st = CT_ERR_ALLOC;
    else if ((j->st = ct_model_get_params(m, j->params)) != CT_OK)
        snprintf(j->msg, sizeof j->msg, "%s", ct_model_error(m));
done:
    if (j->size > 1) group_end(j->rc.g, j->st != CT_OK);
    ct_model_destroy(m);
    ct_data_destroy(va);
    ct_data_destroy(tr);
    ct_data_destroy(all);
    ct_device_destroy(dev);
    return NULL;
}

/* A job of the setup: alone (size 0) or rank `rank` of `size` in group g. */
static job make_job(const setup *su, int size, int rank, group *g) {
    job j;
    memset(&j, 0, sizeof j);
    j.su = su;
    j.size = size;
    j.rank = rank;
    j.rc.g = g;
    j.rc.rank = rank;
    j.comm.rank = rank;
    j.comm.size = size;
    j.comm.allreduce_sum_f32 = allreduce_f32;
    j.comm.allreduce_sum_f64 = allreduce_f64;
    j.comm.broadcast = broadcast;
    j.comm.exchange_seconds = -1;
    j.comm.exchanges = -1;
    return j;
}

/* Runs jobs[0..size) as the ranks of one group, one thread each. The jobs come from make_job
 * with this size (their group pointer is set here). */
static void run_group(job *jobs, int size) {
    group g;
    group_init(&g, size);
    pthread_t t[MAX_RANKS];
    int started[MAX_RANKS] = {0};
    for (int r = 0; r < size; r++) {
        jobs[r].rc.g = &g;
        jobs[r].comm.ctx = &jobs[r].rc;
        started[r] = pthread_create(&t[r], NULL, run_job, &jobs[r]) == 0;
        if (!EXPECT(started[r], "starting the thread of rank %d", r)) {
            jobs[r].st = CT_ERR_ALLOC;
            group_end(&g, 1);
        }
    }
    for (int r = 0; r < size; r++)
        if (started[r]) pthread_join(t[r], NULL);
    EXPECT(!g.mismatch[0], "the ranks called different collectives: %s", g.mismatch);
    group_destroy(&g);
}

static void free_jobs(job *jobs, int n) {
    for (int k = 0; k < n; k++) {
        free(jobs[k].params);
        jobs[k].params = NULL;
    }
}

/* max |a - b| / max |b| */
static double rel_diff(const float *a, const float *b, size_t n) {
    double d = 0, w = 0;
    for (size_t i = 0; i < n; i++) {
        d = fmax(d, fabs((double)a[i] - (double)b[i]));
        w = fmax(w, fabs((double)b[i]));
    }
    return w > 0 ? d / w : d;
}

static int same_bits(double a, double b) { return !memcmp(&a, &b, sizeof a); }

/* The fields of an epoch's statistics that every rank computes alike (not the wall times). */
static int same_stats(const ct_epoch_stats *a, const ct_epoch_stats *b) {
    return a->epoch == b->epoch && a->step == b->step && same_bits(a->train_loss, b->train_loss) &&
           same_bits(a->train_acc, b->train_acc) && same_bits(a->val_loss, b->val_loss) &&
           same_bits(a->val_acc, b->val_acc) && same_bits(a->lr, b->lr) &&
           same_bits(a->train_mae, b->train_mae) && same_bits(a->val_mae, b->val_mae) &&
           a->improved == b->improved;
}

static double rel(double a, double b) { return fabs(a - b) / fmax(fabs(b), 1e-30); }

/* ---- the checks -------------------------------------------------------------------------- */

typedef struct measured {
    double dev_w, dev_loss, dev_acc_rows; /* largest differences of N ranks vs 1 (device) */
    double ref_w, ref_loss;               /* the same on the reference */
    double exchange_seconds;
} measured;

/* N ranks against one process on one setup: (a) weights, (c) epoch statistics, (d) exchanges. */
static void ranks_vs_one(const setup *su, int size, const job *one, measured *me) {
    job jobs[MAX_RANKS];
    for (int r = 0; r < size; r++)
        jobs[r] = make_job(su, size, r, NULL);
    run_group(jobs, size);
    int ok = 1;
    for (int r = 0; r < size; r++)
        ok &= EXPECT(jobs[r].st == CT_OK, "%s, %d ranks, rank %d: %s: %s", su->name, size, r,
                     ct_status_name(jobs[r].st), jobs[r].msg);
    if (!ok || one->st != CT_OK) goto done;
    size_t np = one->np;
    int n = one->train_rows, batch = su->o.batch, epochs = su->o.epochs;
    long long steps = (long long)epochs * ((n + batch - 1) / batch);
    double tol = su->ref ? TOL_REF : TOL_DEVICE;
    for (int r = 0; r < size; r++) {
        const job *j = &jobs[r];
        if (r > 0)
            EXPECT(j->np == np && !memcmp(j->params, jobs[0].params, np * sizeof(float)),
                   "%s, %d ranks: rank %d's weights differ from rank 0's (max rel %.3g)", su->name,
                   size, r, rel_diff(j->params, jobs[0].params, np));
        /* (d) one gradient sum per optimizer step */
        EXPECT(j->res.steps == steps && j->res.epochs_run == epochs && !j->res.stopped_early,
               "%s, %d ranks, rank %d: %lld steps in %d epochs, expected %lld in %d", su->name,
               size, r, j->res.steps, j->res.epochs_run, steps, epochs);
        /* a batch norm adds three sums of its statistics per step: mean, variance, and the
         * backward pass's two sums in one */
        int bn = 0;
        for (int l = 0; l + 1 < su->arch.n_layers; l++)
            bn += su->arch.norm[l] == CT_NORM_BATCH;
        EXPECT(j->comm.exchanges == steps &&
                   j->rc.f32_calls == (su->ref ? 0 : steps * (1 + 3 * bn)),
               "%s, %d ranks, rank %d: %lld exchanges and %ld float sums, expected %lld steps",
               su->name, size, r, j->comm.exchanges, j->rc.f32_calls, steps);
        EXPECT(j->comm.exchange_seconds > 0 && j->comm.exchange_seconds < j->res.seconds,
               "%s, %d ranks, rank %d: exchange_seconds %g (training %g s)", su->name, size, r,
               j->comm.exchange_seconds, j->res.seconds);
        if (j->comm.exchange_seconds > me->exchange_seconds)
            me->exchange_seconds = j->comm.exchange_seconds;
        /* the progress: rank 0's at every step, its loss summed over the ranks (at an epoch's
         * end the epoch's loss, bit for bit, when no l2 term is added to it) */
        int prog_ok = r == 0 ? j->n_prog == steps && j->prog_bad == 0 : j->n_prog == 0;
        for (int e = 0; r == 0 && su->o.l2 == 0 && e < j->n_hist; e++)
            prog_ok &= same_bits(j->prog_end[e], j->hist[e].train_loss) &&
                       same_bits(one->prog_end[e], one->hist[e].train_loss);
        EXPECT(prog_ok,
               "%s, %d ranks, rank %d: %d progress calls (%d without a loss), expected %lld; "
               "epoch 1 ends at loss %.9g, the epoch's %.9g",
               su->name, size, r, j->n_prog, j->prog_bad, r == 0 ? steps : 0, j->prog_end[0],
               j->hist[0].train_loss);
        /* (c) the same statistics on every rank, every epoch */
        EXPECT(j->n_hist == epochs, "%s, %d ranks, rank %d: %d epoch callbacks, expected %d",
               su->name, size, r, j->n_hist, epochs);
        for (int e = 0; e < j->n_hist && e < jobs[0].n_hist; e++)
            EXPECT(same_stats(&j->hist[e], &jobs[0].hist[e]),
                   "%s, %d ranks: epoch %d statistics of rank %d differ from rank 0's: loss %.17g "
                   "vs %.17g, acc %.17g vs %.17g, val %.17g vs %.17g",
                   su->name, size, e + 1, r, j->hist[e].train_loss, jobs[0].hist[e].train_loss,
                   j->hist[e].train_acc, jobs[0].hist[e].train_acc, j->hist[e].val_loss,
                   jobs[0].hist[e].val_loss);
    }
    /* on_log: the same steps and mean losses on every rank, close to one process's */
    double dlog = 0;
    int want_logs = su->o.log_every > 0 ? (int)(steps / su->o.log_every) : 0;
    for (int r = 0; r < size; r++) {
        const job *j = &jobs[r];
        int same = j->n_logs == want_logs && one->n_logs == want_logs;
        for (int k = 0; same && k < j->n_logs; k++)
            same = j->logs[k].step == jobs[0].logs[k].step &&
                   j->logs[k].step == one->logs[k].step &&
                   same_bits(j->logs[k].loss, jobs[0].logs[k].loss) &&
                   same_bits(j->logs[k].lr, one->logs[k].lr);
        EXPECT(same,
               "%s, %d ranks, rank %d: %d on_log calls (1 process %d, expected %d), or their "
               "steps or losses differ from rank 0's",
               su->name, size, r, j->n_logs, one->n_logs, want_logs);
    }
    for (int k = 0; k < jobs[0].n_logs && k < one->n_logs; k++)
        dlog = fmax(dlog, rel(jobs[0].logs[k].loss, one->logs[k].loss));
    EXPECT(dlog <= tol, "%s: %d ranks vs 1 process: logged losses differ by %.3g relative",
           su->name, size, dlog);
    /* (a) the weights against one process */
    double dw = rel_diff(jobs[0].params, one->params, np);
    EXPECT(dw <= tol, "%s: %d ranks vs 1 process: weights differ by %.3g of max |w| (tolerance %g)",
           su->name, size, dw, tol);
    /* (c) the statistics against one process */
    double dl = dlog, dacc = 0;
    for (int e = 0; e < jobs[0].n_hist && e < one->n_hist; e++) {
        const ct_epoch_stats *p = &jobs[0].hist[e], *q = &one->hist[e];
        EXPECT(p->epoch == q->epoch && p->step == q->step, "%s: epoch %d step %lld vs %d %lld",
               su->name, p->epoch, p->step, q->epoch, q->step);
        dl = fmax(dl, rel(p->train_loss, q->train_loss));
        if (isfinite(q->val_loss)) dl = fmax(dl, rel(p->val_loss, q->val_loss));
        /* a regression's mean absolute errors, summed over the ranks as the losses are */
        if (isfinite(q->train_mae)) dl = fmax(dl, rel(p->train_mae, q->train_mae));
        if (isfinite(q->val_mae)) dl = fmax(dl, rel(p->val_mae, q->val_mae));
        EXPECT(isnan(q->val_loss) == isnan(p->val_loss) &&
                   isnan(q->train_acc) == isnan(p->train_acc) &&
                   isnan(q->train_mae) == isnan(p->train_mae) &&
                   isnan(q->val_mae) == isnan(p->val_mae) &&
                   isnan(q->train_mae) != isnan(q->train_acc),
               "%s: validation, accuracy or mean absolute error present in one run only, or "
               "both accuracy and error",
               su->name);
        if (isfinite(q->train_acc)) dacc = fmax(dacc, fabs(p->train_acc - q->train_acc) * n);
    }
    EXPECT(dl <= tol,
           "%s: %d ranks vs 1 process: epoch losses differ by %.3g relative (tolerance %g)",
           su->name, size, dl, tol);
    EXPECT(dacc <= TOL_ACC * n,
           "%s: %d ranks vs 1 process: training accuracy differs by %.0f of %d rows (tolerance "
           "%g)",
           su->name, size, dacc, n, TOL_ACC);
    printf("%s %s, %d ranks vs 1: weights %.3g of max |w|, losses %.3g relative, accuracy %.0f "
           "rows; %lld exchanges in %.4f s\n",
           dw <= tol && dl <= tol ? "ok  " : "FAIL", su->name, size, dw, dl, dacc,
           jobs[0].comm.exchanges, jobs[0].comm.exchange_seconds);
    if (su->ref) {
        me->ref_w = fmax(me->ref_w, dw);
        me->ref_loss = fmax(me->ref_loss, dl);
    } else {
        me->dev_w = fmax(me->dev_w, dw);
        me->dev_loss = fmax(me->dev_loss, dl);
        me->dev_acc_rows = fmax(me->dev_acc_rows, dacc);
    }
done:
    free_jobs(jobs, size);
}

/* One process, then 2 and 3 ranks (up to max_ranks). */
static void compare_setup(const setup *su, int max_ranks, measured *me) {
    job one = make_job(su, 0, 0, NULL);
    run_job(&one);
    if (EXPECT(one.st == CT_OK, "%s alone: %s: %s", su->name, ct_status_name(one.st), one.msg)) {
        int n = one.train_rows, b = su->o.batch;
        printf("     %s: %d training rows, batch %d: %d batches, the last of %d rows\n", su->name,
               n, b, (n + b - 1) / b, n % b ? n % b : b);
        for (int size = 2; size <= max_ranks; size++)
            ranks_vs_one(su, size, &one, me);
    }
    free_jobs(&one, 1);
}

/* (e) comm NULL and comm of size 1 are ct_model_train bit for bit; errors are statuses. */
static void errors_and_size_one(const setup *su) {
    long failed_before = test_state_g.failed;
    job one = make_job(su, 0, 0, NULL), nul = make_job(su, 0, 0, NULL);
    nul.null_comm = 1;
    job s1 = make_job(su, 1, 0, NULL); /* its collectives must not be called: no group */
    s1.comm.ctx = &s1.rc;
    run_job(&one);
    run_job(&nul);
    run_job(&s1);
    int ok = EXPECT(one.st == CT_OK && nul.st == CT_OK && s1.st == CT_OK,
                    "%s: alone %s, comm NULL %s (%s), comm of size 1 %s (%s)", su->name,
                    ct_status_name(one.st), ct_status_name(nul.st), nul.msg, ct_status_name(s1.st),
                    s1.msg);
    if (ok) {
        EXPECT(!memcmp(one.params, nul.params, one.np * sizeof(float)),
               "%s: ct_model_train_parallel with comm NULL differs from ct_model_train", su->name);
        EXPECT(!memcmp(one.params, s1.params, one.np * sizeof(float)),
               "%s: ct_model_train_parallel with a comm of size 1 differs from ct_model_train",
               su->name);
        int same = one.n_hist == nul.n_hist && one.n_hist == s1.n_hist;
        for (int e = 0; same && e < one.n_hist; e++)
            same = same_stats(&one.hist[e], &nul.hist[e]) && same_stats(&one.hist[e], &s1.hist[e]);
        same &= one.n_logs == nul.n_logs && one.n_logs == s1.n_logs && one.n_logs > 0 &&
                !memcmp(one.logs, nul.logs, (size_t)one.n_logs * sizeof one.logs[0]) &&
                !memcmp(one.logs, s1.logs, (size_t)one.n_logs * sizeof one.logs[0]);
        EXPECT(same, "%s: epoch statistics or logged losses with comm NULL or of size 1 differ",
               su->name);
        EXPECT(s1.rc.f32_calls + s1.rc.f64_calls + s1.rc.bcast_calls == 0,
               "a communicator of size 1 was called (%ld, %ld, %ld times)", s1.rc.f32_calls,
               s1.rc.f64_calls, s1.rc.bcast_calls);
    }
    free_jobs(&one, 1);
    free_jobs(&nul, 1);
    free_jobs(&s1, 1);

    /* a batch smaller than the ranks: every rank refuses before any collective */
    job jobs[MAX_RANKS];
    for (int r = 0; r < 3; r++) {
        jobs[r] = make_job(su, 3, r, NULL);
        jobs[r].batch = 2;
    }
    run_group(jobs, 3);
    for (int r = 0; r < 3; r++)
        EXPECT(jobs[r].st == CT_ERR_ARG && strstr(jobs[r].msg, "3 ranks"),
               "batch 2 on 3 ranks, rank %d: %s '%s'", r, ct_status_name(jobs[r].st), jobs[r].msg);
    free_jobs(jobs, 3);
    /* live verification is not data-parallel */
    for (int r = 0; r < 2; r++) {
        jobs[r] = make_job(su, 2, r, NULL);
        jobs[r].verify_every = 3;
    }
    run_group(jobs, 2);
    for (int r = 0; r < 2; r++)
        EXPECT(jobs[r].st == CT_ERR_ARG && strstr(jobs[r].msg, "verif"),
               "verify_every on 2 ranks, rank %d: %s '%s'", r, ct_status_name(jobs[r].st),
               jobs[r].msg);
    free_jobs(jobs, 2);
    /* a rank out of range; a communicator without its functions: refused before any call (each
     * in a group of its own that it leaves at the end) */
    group g;
    group_init(&g, 2);
    job bad = make_job(su, 2, 2, &g);
    bad.comm.ctx = &bad.rc;
    run_job(&bad);
    EXPECT(bad.st == CT_ERR_ARG && strstr(bad.msg, "rank 2"), "rank 2 of 2: %s '%s'",
           ct_status_name(bad.st), bad.msg);
    EXPECT(bad.rc.f32_calls + bad.rc.f64_calls + bad.rc.bcast_calls == 0,
           "a rejected communicator was called");
    free_jobs(&bad, 1);
    group_destroy(&g);
    group_init(&g, 2);
    bad = make_job(su, 2, 0, &g);
    bad.comm.ctx = &bad.rc;
    bad.comm.broadcast = NULL;
    run_job(&bad);
    EXPECT(bad.st == CT_ERR_ARG && strstr(bad.msg, "collective"),
           "a communicator without broadcast: %s '%s'", ct_status_name(bad.st), bad.msg);
    free_jobs(&bad, 1);
    group_destroy(&g);

    /* a stop asked by one rank's callback stops every rank after that epoch */
    for (int r = 0; r < 2; r++)
        jobs[r] = make_job(su, 2, r, NULL);
    jobs[1].stop_at = 2;
    run_group(jobs, 2);
    for (int r = 0; r < 2; r++)
        EXPECT(jobs[r].st == CT_OK && jobs[r].res.epochs_run == 2 && jobs[r].res.stopped_early &&
                   jobs[r].n_hist == 2,
               "rank 1 stops after epoch 2: rank %d %s, %d epochs run, stopped %d (%s)", r,
               ct_status_name(jobs[r].st), jobs[r].res.epochs_run, jobs[r].res.stopped_early,
               jobs[r].msg);
    free_jobs(jobs, 2);
    printf(
        "%s comm NULL or of size 1 = ct_model_train bit for bit; a batch smaller than the "
        "ranks, verify_every, a bad rank or communicator: CT_ERR_ARG; one rank's stop stops all\n",
        test_state_g.failed == failed_before ? "ok  " : "FAIL");
}

/* (f) checkpoint and resume on 2 ranks. */
static void checkpoint_resume(const setup *su) {
    long failed_before = test_state_g.failed;
    char dir[] = "/tmp/ct_parallel_XXXXXX";
    if (!EXPECT(mkdtemp(dir) != NULL, "mkdtemp failed")) return;
    char full[128], half[128];
    snprintf(full, sizeof full, "%s/full.safetensors", dir);
    snprintf(half, sizeof half, "%s/half.safetensors", dir);
    job u[2], h[2], r[MAX_RANKS];
    for (int k = 0; k < 2; k++) {
        u[k] = make_job(su, 2, k, NULL);
        u[k].checkpoint = full;
        u[k].epochs = 4;
        h[k] = make_job(su, 2, k, NULL);
        h[k].checkpoint = half;
        h[k].epochs = 2;
        r[k] = make_job(su, 2, k, NULL);
        r[k].checkpoint = half;
        r[k].epochs = 4;
        r[k].resume = 1;
    }
    run_group(u, 2);
    run_group(h, 2);
    int ok = 1;
    for (int k = 0; k < 2; k++)
        ok &= EXPECT(u[k].st == CT_OK && h[k].st == CT_OK,
                     "rank %d: 4 epochs %s (%s), 2 epochs %s (%s)", k, ct_status_name(u[k].st),
                     u[k].msg, ct_status_name(h[k].st), h[k].msg);
    if (!ok) goto done;
    run_group(r, 2); /* fresh models, resumed from rank 0's checkpoint */
    for (int k = 0; k < 2; k++) {
        if (!EXPECT(r[k].st == CT_OK, "resume on rank %d: %s (%s)", k, ct_status_name(r[k].st),
                    r[k].msg))
            continue;
        EXPECT(!memcmp(r[k].params, u[k].params, u[k].np * sizeof(float)),
               "rank %d: 2 epochs + resume to 4 differs from 4 epochs (max rel %.3g)", k,
               rel_diff(r[k].params, u[k].params, u[k].np));
        EXPECT(r[k].res.resumed_epoch == 2 && r[k].res.epochs_run == 4 &&
                   r[k].res.steps == u[k].res.steps && r[k].comm.exchanges == u[k].res.steps / 2,
               "rank %d resumed at epoch %d, ran to %d, %lld steps (%lld exchanges); expected 2, "
               "4, %lld (%lld)",
               k, r[k].res.resumed_epoch, r[k].res.epochs_run, r[k].res.steps, r[k].comm.exchanges,
               u[k].res.steps, u[k].res.steps / 2);
        EXPECT(r[k].n_hist == 2 && u[k].n_hist == 4 && same_stats(&r[k].hist[0], &u[k].hist[2]) &&
                   same_stats(&r[k].hist[1], &u[k].hist[3]),
               "rank %d: the statistics of epochs 3 and 4 after a resume differ", k);
    }
    /* only rank 0 writes: the file is there and holds the final weights */
    char msg[CT_MSG_LEN];
    ct_model *m = NULL;
    if (EXPECT(ct_model_load(&m, NULL, full, msg) == CT_OK, "loading %s: %s", full, msg)) {
        float *p = malloc(u[0].np * sizeof(float));
        EXPECT(p && ct_model_get_params(m, p) == CT_OK &&
                   !memcmp(p, u[0].params, u[0].np * sizeof(float)),
               "the checkpoint does not hold the final weights");
        free(p);
    }
    ct_model_destroy(m);
    /* the 2-rank checkpoint on 1 rank, and on 3 */
    job one = make_job(su, 0, 0, NULL);
    one.checkpoint = half;
    one.epochs = 6;
    one.resume = 1;
    run_job(&one);
    EXPECT(one.st == CT_ERR_ARG && strstr(one.msg, "2 ranks") && strstr(one.msg, "rank"),
           "resuming a 2-rank checkpoint alone: %s '%s'", ct_status_name(one.st), one.msg);
    free_jobs(&one, 1);
    free_jobs(r, 2);
    for (int k = 0; k < 3; k++) {
        r[k] = make_job(su, 3, k, NULL);
        r[k].checkpoint = half;
        r[k].epochs = 6;
        r[k].resume = 1;
    }
    run_group(r, 3);
    for (int k = 0; k < 3; k++)
        EXPECT(r[k].st == CT_ERR_ARG && strstr(r[k].msg, "rank"),
               "resuming a 2-rank checkpoint on 3 ranks, rank %d: %s '%s'", k,
               ct_status_name(r[k].st), r[k].msg);
    free_jobs(r, 3);
    /* nothing but the two checkpoints in the folder (no temporaries) */
    DIR *d = opendir(dir);
    int others = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
            strcmp(e->d_name, "full.safetensors") && strcmp(e->d_name, "half.safetensors")) {
            others++;
            EXPECT(0, "an unexpected file in the checkpoint folder: %s", e->d_name);
        }
    if (d) closedir(d);
    printf("%s checkpoint on 2 ranks: 2 epochs + resume = 4 epochs bit for bit; the checkpoint "
           "loads; 1 or 3 ranks refuse it\n",
           others == 0 && test_state_g.failed == failed_before ? "ok  " : "FAIL");
done:
    free_jobs(u, 2);
    free_jobs(h, 2);
    unlink(full);
    unlink(half);
    rmdir(dir);
}

int main(void) {
    unsigned long long seed = test_seed((unsigned long long)time(NULL));
    printf("seed %llu (set CT_TEST_SEED=%llu to repeat)\n", seed, seed);
    test_rng rg = test_rng_make(seed);
    char msg[CT_MSG_LEN];
    ct_device *dev = NULL;
    if (ct_device_create(&dev, NULL, msg) != CT_OK) {
        fprintf(stderr, "FAIL: no OpenCL device: %s\n", msg);
        return 1;
    }
    printf("device: %s\n", ct_device_get_info(dev)->name);
    ct_device_destroy(dev);

    /* A: softmax-CE on 3 spirals with dropout on both hidden layers, validation data; 187
     * training rows = 6 x 31 + 1: the last batch has one row, so some ranks get none */
    setup A;
    memset(&A, 0, sizeof A);
    A.name = "spirals softmax-ce dropout, adam";
    snprintf(A.source, sizeof A.source, "spirals:n=234,classes=3,seed=%llu",
             (unsigned long long)test_rng_u64(&rg));
    A.val_frac = 0.2; /* 47 of 234 */
    A.arch = ct_arch_mlp(2, (const int[]){13, 7}, CT_ACT_RELU);
    A.arch.dropout[0] = 0.25f;
    A.arch.dropout[1] = 0.1f;
    ct_train_defaults(&A.o);
    A.o.epochs = 4;
    A.o.batch = 31;
    A.o.seed = test_rng_u64(&rg);
    A.o.optim = ct_optim_defaults(CT_OPT_ADAM);
    A.o.optim.lr = 0.01f;
    A.o.log_every = 3; /* on_log every 3 steps: not aligned with the 7 batches of an epoch */
    A.model_seed = test_rng_u64(&rg);

    /* B: softmax-CE on 4 blobs in 5 dimensions with l2, clipping and momentum, standardized;
     * 218 training rows = 7 x 31 + 1 and as many validation rows: the validation batches, dealt
     * round-robin, reuse the loss slot of the last training batch on a rank that has no row of
     * it, so a stale slot would show */
    setup B = A;
    B.name = "blobs softmax-ce l2 clip, momentum";
    snprintf(B.source, sizeof B.source, "blobs:n=436,centers=4,features=5,seed=%llu",
             (unsigned long long)test_rng_u64(&rg));
    B.val_frac = 0.5;
    B.arch = ct_arch_mlp(1, (const int[]){9}, CT_ACT_TANH);
    B.o.optim = ct_optim_defaults(CT_OPT_MOMENTUM);
    B.o.optim.lr = 0.05f;
    B.o.optim.clip_norm = 0.5f;
    B.o.l2 = 1e-3f;
    B.o.standardize = 1;
    B.o.seed = test_rng_u64(&rg);
    B.model_seed = test_rng_u64(&rg);

    /* C: regression of a sine with MSE, no validation; 200 rows, batch 29: 6 x 29 + 26 */
    setup C = A;
    C.name = "sine mse, adam";
    snprintf(C.source, sizeof C.source, "sine:n=200,seed=%llu",
             (unsigned long long)test_rng_u64(&rg));
    C.val_frac = 0;
    C.arch = ct_arch_mlp(2, (const int[]){16, 8}, CT_ACT_TANH);
    C.arch.loss = CT_LOSS_MSE;
    C.o.batch = 29;
    C.o.epochs = 5;
    C.o.seed = test_rng_u64(&rg);
    C.model_seed = test_rng_u64(&rg);

    /* D: sigmoid-BCE on moons (two classes: one output) with dropout, adamw; 203 rows = 6 x 31
     * + 17, no validation */
    setup D = A;
    D.name = "moons sigmoid-bce dropout, adamw";
    snprintf(D.source, sizeof D.source, "moons:n=203,noise=0.2,seed=%llu",
             (unsigned long long)test_rng_u64(&rg));
    D.val_frac = 0;
    D.arch = ct_arch_mlp(1, (const int[]){11}, CT_ACT_GELU);
    D.arch.dropout[0] = 0.3f;
    D.o.optim = ct_optim_defaults(CT_OPT_ADAMW);
    D.o.optim.lr = 0.01f;
    D.o.log_every = 0;
    D.o.seed = test_rng_u64(&rg);
    D.model_seed = test_rng_u64(&rg);

    /* E: the sine with the Huber loss and nesterov, validation data; 171 training rows, batch 29:
     * 5 x 29 + 26 */
    setup E = C;
    E.name = "sine huber, nesterov";
    snprintf(E.source, sizeof E.source, "sine:n=190,noise=0.3,seed=%llu",
             (unsigned long long)test_rng_u64(&rg));
    E.val_frac = 0.1; /* 19 of 190 */
    E.arch.loss = CT_LOSS_HUBER;
    E.arch.huber_delta = 0.5f;
    E.o.optim = ct_optim_defaults(CT_OPT_NESTEROV);
    E.o.optim.lr = 0.02f;
    E.o.seed = test_rng_u64(&rg);
    E.model_seed = test_rng_u64(&rg);

    /* R: A with l2 and clipping on the reference backend (double precision) */
    setup R = A;
    R.name = "reference: spirals softmax-ce dropout l2 clip";
    R.ref = 1;
    R.o.l2 = 1e-3f;
    R.o.optim.clip_norm = 1.0f;

    /* N: A with batch norm after both hidden layers (the statistics summed across the ranks,
     * and a rank without rows of the last batch still takes part), momentum */
    setup N = A;
    N.name = "spirals softmax-ce dropout batch-norm, momentum";
    N.arch.norm[0] = N.arch.norm[1] = CT_NORM_BATCH;
    N.arch.norm_momentum[1] = 0.3f;
    N.o.optim = ct_optim_defaults(CT_OPT_MOMENTUM);
    N.o.optim.lr = 0.05f;
    N.o.seed = test_rng_u64(&rg);
    N.model_seed = test_rng_u64(&rg);

    /* M: the same on the reference, layer norm then batch norm */
    setup M = N;
    M.name = "reference: spirals softmax-ce layer-norm, batch-norm";
    M.ref = 1;
    M.arch.norm[0] = CT_NORM_LAYER;

    measured me;
    memset(&me, 0, sizeof me);
    compare_setup(&A, 3, &me);
    compare_setup(&B, 3, &me);
    compare_setup(&C, 3, &me);
    compare_setup(&D, 3, &me);
    compare_setup(&E, 3, &me);
    compare_setup(&R, 2, &me);
    compare_setup(&N, 3, &me);
    compare_setup(&M, 3, &me);
    printf("measured: N ranks vs 1 process, device: weights %.3g of max |w| (tolerance %g), "
           "epoch losses %.3g, accuracy %.0f rows; reference: weights %.3g (tolerance %g), "
           "losses %.3g\n",
           me.dev_w, TOL_DEVICE, me.dev_loss, me.dev_acc_rows, me.ref_w, TOL_REF, me.ref_loss);
    errors_and_size_one(&A);
    checkpoint_resume(&A);
    return test_summary("parallel");
}
