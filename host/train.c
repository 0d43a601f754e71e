/* The training loop (see train.h). Per step it only enqueues; per epoch it reads the batch
 * losses and the correct count once. */
#define _POSIX_C_SOURCE 200809L
#include "train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void ct_train_state_init(ct_train_state *s) {
    memset(s, 0, sizeof *s);
    s->lr_scale = 1;
    s->best_val = INFINITY;
}

/* ---- schedules --------------------------------------------------------------------------- */

static int parse_kv(const char *src, const char *text, const char *key, double *v, int *seen,
                    char msg[CT_MSG_LEN]) {
    (void)seen;
    char *end;
    *v = strtod(text, &end);
    if (end == text || *end || !isfinite(*v)) {
        snprintf(msg, CT_MSG_LEN, "--schedule %s: option %s expects a number, got '%s'", src, key,
                 text);
        return 0;
    }
    return 1;
}

ct_status ct_schedule_parse(const char *s, ct_schedule *out, char msg[CT_MSG_LEN]) {
    ct_schedule r = {CT_SCHED_CONSTANT, 10, 0.1f, 0.0f, 0.1f, 5, 0};
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s);
    char *colon = strchr(buf, ':');
    if (colon) *colon = '\0';
    if (!strcmp(buf, "constant"))
        r.kind = CT_SCHED_CONSTANT;
    else if (!strcmp(buf, "step"))
        r.kind = CT_SCHED_STEP;
    else if (!strcmp(buf, "cosine"))
        r.kind = CT_SCHED_COSINE;
    else if (!strcmp(buf, "plateau"))
        r.kind = CT_SCHED_PLATEAU;
    else {
        snprintf(msg, CT_MSG_LEN,
                 "--schedule: unknown schedule '%s' (constant, step, cosine, plateau)", buf);
        return CT_ERR_ARG;
    }
    for (char *item = colon ? colon + 1 : NULL; item && *item;) {
        char *next = strchr(item, ',');
        if (next) *next++ = '\0';
        char *eq = strchr(item, '=');
        if (!eq) {
            snprintf(msg, CT_MSG_LEN, "--schedule %s: expected key=value, got '%s'", s, item);
            return CT_ERR_ARG;
        }
        *eq = '\0';
        double v;
        if (!parse_kv(s, eq + 1, item, &v, NULL, msg)) return CT_ERR_ARG;
        int ok = 1;
        if (r.kind == CT_SCHED_STEP && !strcmp(item, "size"))
            ok = v >= 1 && v == floor(v), r.step_size = (int)v;
        else if (r.kind == CT_SCHED_STEP && !strcmp(item, "gamma"))
            ok = v > 0 && v <= 1, r.gamma = (float)v;
        else if ((r.kind == CT_SCHED_COSINE || r.kind == CT_SCHED_PLATEAU) && !strcmp(item, "min"))
            ok = v >= 0, r.min_lr = (float)v;
        else if (r.kind == CT_SCHED_PLATEAU && !strcmp(item, "factor"))
            ok = v > 0 && v < 1, r.factor = (float)v;
        else if (r.kind == CT_SCHED_PLATEAU && !strcmp(item, "patience"))
            ok = v >= 1 && v == floor(v), r.plateau_patience = (int)v;
        else {
            snprintf(msg, CT_MSG_LEN, "--schedule %s: unknown option '%s' for %s", s, item, buf);
            return CT_ERR_ARG;
        }
        if (!ok) {
            snprintf(msg, CT_MSG_LEN, "--schedule %s: value %g out of range for %s", s, v, item);
            return CT_ERR_ARG;
        }
        item = next;
    }
    *out = r;
    return CT_OK;
}

double ct_schedule_lr(const ct_schedule *s, double lr, double lr_scale, int epoch, int epochs,
                      int batch_in_epoch, int n_batches) {
    double base = lr * lr_scale, v = base;
    switch (s->kind) {
    case CT_SCHED_STEP: v = base * pow(s->gamma, (double)((epoch - 1) / s->step_size)); break;
    case CT_SCHED_COSINE: {
        double p = ((epoch - 1) + (double)batch_in_epoch / n_batches) / epochs;
        v = s->min_lr + (base - s->min_lr) * 0.5 * (1 + cos(3.141592653589793 * p));
        break;
    }
    case CT_SCHED_PLATEAU: v = base < s->min_lr ? s->min_lr : base; break;
    default: break;
    }
    if (s->warmup_epochs > 0 && epoch <= s->warmup_epochs) {
        double done = (double)(epoch - 1) * n_batches + batch_in_epoch + 1;
        v *= done / ((double)s->warmup_epochs * n_batches);
    }
    return v;
}

/* ---- live verification ------------------------------------------------------------------- */

/* Copies params, m and v from the device engine into the reference engine. */
static ct_status sync_ref(ct_net *net, ct_net *ref, float *buf, char *msg) {
    ct_status st;
    if ((st = ct_net_get_params(net, buf)) || (st = ct_net_set_params(ref, buf)) ||
        (st = ct_net_get_state(net, 0, buf)) || (st = ct_net_set_state(ref, 0, buf)) ||
        (st = ct_net_get_state(net, 1, buf)) || (st = ct_net_set_state(ref, 1, buf)))
        snprintf(msg, CT_MSG_LEN, "verify: %s%s", ct_net_error(net), ct_net_error(ref));
    return st;
}

/* Compares one tensor of both engines into a report row. */
static ct_status compare_tensor_floor(ct_net *net, ct_net *ref, ct_tensor_kind k, int layer, int B,
                                      float *bd, float *br, ct_verify_report *rep, const char *op,
                                      double floor, double *rmax_out, char *msg);

static ct_status compare_tensor(ct_net *net, ct_net *ref, ct_tensor_kind k, int layer, int B,
                                float *bd, float *br, ct_verify_report *rep, const char *op,
                                char *msg) {
    return compare_tensor_floor(net, ref, k, layer, B, bd, br, rep, op, 0, NULL, msg);
}

/* The same with the tensor's scale at least floor (a tensor that is 0 by construction is
 * measured against a neighbour's scale); *rmax_out gets the reference's largest |value|. */
static ct_status compare_tensor_floor(ct_net *net, ct_net *ref, ct_tensor_kind k, int layer, int B,
                                      float *bd, float *br, ct_verify_report *rep, const char *op,
                                      double floor, double *rmax_out, char *msg) {
    size_t nd = 0, nr = 0;
    ct_status st;
    if ((st = ct_net_read_tensor(net, k, layer, B, bd, &nd)) ||
        (st = ct_net_read_tensor(ref, k, layer, B, br, &nr))) {
        snprintf(msg, CT_MSG_LEN, "verify: %s%s", ct_net_error(net), ct_net_error(ref));
        return st;
    }
    ct_verify_row *r = &rep->rows[rep->n++];
    memset(r, 0, sizeof *r);
    snprintf(r->op, sizeof r->op, "%s", op);
    double rmax = 0;
    for (size_t i = 0; i < nr; i++)
        rmax = fmax(rmax, fabs((double)br[i]));
    for (size_t i = 0; i < nd; i++) {
        double e = fabs((double)bd[i] - br[i]);
        if (isnan(e)) e = INFINITY;
        r->max_abs = fmax(r->max_abs, e);
        if (fabs((double)br[i]) >= 1e-3 * rmax && br[i] != 0)
            r->max_rel = fmax(r->max_rel, e / fabs((double)br[i]));
    }
    if (rmax_out) *rmax_out = rmax;
    rmax = fmax(rmax, floor);
    r->scaled = rmax > 0 ? r->max_abs / rmax : r->max_abs;
    return CT_OK;
}

/* Runs step t on the reference too and compares forward, loss, gradients and the update. */
static ct_status verify_step(ct_net *net, const ct_train_opts *o, int start, int rows, int epoch,
                             long long t, float lr, int b, ct_verify_report *rep, float *bd,
                             float *br, char *msg) {
    ct_net *ref = o->verify_ref;
    const ct_arch *a = ct_net_arch(net);
    ct_status st = ct_net_train_step(ref, CT_SLOT_TRAIN, start, rows, o->seed, (uint64_t)epoch, t,
                                     lr, o->l2, b);
    if (st) {
        snprintf(msg, CT_MSG_LEN, "verify: the reference step failed: %s", ct_net_error(ref));
        return st;
    }
    memset(rep, 0, sizeof *rep);
    rep->step = t;
    char op[96];
    int L = a->n_layers;
    for (int l = 0; l < L && !st; l++) {
        snprintf(op, sizeof op, "layer %d forward: dense + bias (z)", l);
        st = compare_tensor(net, ref, CT_T_Z, l, rows, bd, br, rep, op, msg);
        if (!st && l + 1 < L && a->norm[l] != CT_NORM_NONE) {
            snprintf(op, sizeof op, "layer %d forward: %s norm (y)", l, ct_norm_name(a->norm[l]));
            st = compare_tensor(net, ref, CT_T_NORM_OUT, l, rows, bd, br, rep, op, msg);
        }
        if (!st && l + 1 < L) {
            snprintf(op, sizeof op, "layer %d forward: %s%s (a)", l, ct_act_name(a->act[l]),
                     a->dropout[l] > 0 ? " + dropout" : "");
            st = compare_tensor(net, ref, CT_T_A, l, rows, bd, br, rep, op, msg);
        }
    }
    if (!st) {
        snprintf(op, sizeof op, "loss: %s", ct_loss_name(a->loss));
        st = compare_tensor(net, ref, CT_T_LOSS, b, rows, bd, br, rep, op, msg);
    }
    for (int l = L - 1; l >= 0 && !st; l--) {
        if (l + 1 < L)
            snprintf(op, sizeof op,
                     "layer %d backward: dense input grad + %s backward -> weight grad", l,
                     ct_act_name(a->act[l]));
        else
            snprintf(op, sizeof op, "layer %d backward: %s gradient -> weight grad", l,
                     ct_loss_name(a->loss));
        double wmax = 0;
        st = compare_tensor_floor(net, ref, CT_T_GRAD_W, l, rows, bd, br, rep, op, 0, &wmax, msg);
        /* a bias before a batch norm has no gradient (0 to rounding): its weights' scale */
        int zero = l + 1 < L && a->norm[l] == CT_NORM_BATCH;
        snprintf(op, sizeof op, "layer %d backward: bias grad%s", l,
                 zero ? " (0: a batch norm follows)" : "");
        if (!st)
            st = compare_tensor_floor(net, ref, CT_T_GRAD_B, l, rows, bd, br, rep, op,
                                      zero ? wmax : 0, NULL, msg);
        snprintf(op, sizeof op, "layer %d backward: norm gamma and beta grads", l);
        if (!st && l + 1 < L && a->norm[l] != CT_NORM_NONE)
            st = compare_tensor(net, ref, CT_T_GRAD_NORM, l, rows, bd, br, rep, op, msg);
    }
    if (!st)
        st = compare_tensor(net, ref, CT_T_PARAMS, 0, rows, bd, br, rep,
                            "optimizer step: parameters", msg);
    if (!st)
        st = compare_tensor(net, ref, CT_T_M, 0, rows, bd, br, rep, "optimizer step: state m", msg);
    if (!st)
        st = compare_tensor(net, ref, CT_T_V, 0, rows, bd, br, rep, "optimizer step: state v", msg);
    if (st) return st;
    if (o->on_verify) o->on_verify(rep, o->user);
    for (int i = 0; i < rep->n; i++)
        if (!(rep->rows[i].scaled <= o->verify_tol)) {
            snprintf(msg, CT_MSG_LEN,
                     "verify: step %lld: %s differs from the reference: max |diff| %.3g is %.3g of "
                     "the tensor's "
                     "largest value (tolerance %g)",
                     t, rep->rows[i].op, rep->rows[i].max_abs, rep->rows[i].scaled, o->verify_tol);
            return CT_ERR_NUMERIC;
        }
    return CT_OK;
}

/* ---- loop -------------------------------------------------------------------------------- */

/* sum + the losses of batches [from, to) weighted by their rows, in batch order; *bad gets the
 * first batch whose loss is not finite (or stays as it was). */
static double weighted_sum(const float *losses, int from, int to, int n, int batch, double sum,
                           int *bad) {
    for (int b = from; b < to; b++) {
        int rows = (b + 1) * batch <= n ? batch : n - b * batch;
        if (!isfinite(losses[b]) && *bad < 0) *bad = b;
        sum += (double)losses[b] * rows;
    }
    return sum;
}

static double weighted_mean(const float *losses, int nb, int n, int batch, int *bad) {
    *bad = -1;
    return weighted_sum(losses, 0, nb, n, batch, 0, bad) / n;
}

/* The fraction of n rows classified right (bce: of n * outputs labels); NaN for regression. */
static double accuracy(const ct_arch *a, long long correct, int n) {
    int outs = a->sizes[a->n_layers];
    return a->loss == CT_LOSS_SOFTMAX_CE    ? (double)correct / n
           : a->loss == CT_LOSS_SIGMOID_BCE ? (double)correct / ((double)n * outs)
                                            : NAN;
}

/* Whether the net's loss is a regression's: its batches' mean absolute errors are measured. */
static int is_regression(ct_net *net) {
    return !(ct_loss_flags(ct_net_arch(net)->loss) & CT_LOSSF_CLASSES);
}

/* Sums the epoch's metrics over the ranks: the batch losses and mean absolute errors (maes, or
 * NULL; each rank holds its share of each batch's mean) and the correct count (or NULL).
 * buf: room for 2 nb + 1. */
static ct_status sum_metrics(const ct_comm *comm, float *losses, float *maes, int nb,
                             long long *correct, double *buf, char *msg) {
    if (!comm || comm->size <= 1) return CT_OK;
    size_t k = 0;
    for (int b = 0; b < nb; b++)
        buf[k++] = losses[b];
    for (int b = 0; maes && b < nb; b++)
        buf[k++] = maes[b];
    buf[k++] = correct ? (double)*correct : 0;
    if (comm->allreduce_sum_f64(buf, k, comm->ctx) != 0) {
        snprintf(msg, CT_MSG_LEN, "summing the losses across %d ranks failed", comm->size);
        return CT_ERR_IO;
    }
    for (int b = 0; b < nb; b++)
        losses[b] = (float)buf[b];
    for (int b = 0; maes && b < nb; b++)
        maes[b] = (float)buf[nb + b];
    if (correct) *correct = (long long)buf[k - 1];
    return CT_OK;
}

/* ct_evaluate, with the batches dealt round-robin over comm's ranks and the sums combined; *mae
 * (when not NULL) gets a regression's mean absolute error (NaN for a classifier). */
static ct_status evaluate_shared(ct_net *net, int slot, int batch, const ct_comm *comm,
                                 double *loss, double *acc, double *mae, char msg[CT_MSG_LEN]) {
    int n = ct_net_rows(net, slot);
    if (n < 1) {
        snprintf(msg, CT_MSG_LEN, "no data to evaluate");
        return CT_ERR_ARG;
    }
    int nb = (n + batch - 1) / batch;
    int rank = comm && comm->size > 1 ? comm->rank : 0,
        size = comm && comm->size > 1 ? comm->size : 1;
    int reg = is_regression(net);
    float *losses = malloc((size_t)nb * 2 * sizeof(float)), *maes = reg ? losses + nb : NULL;
    double *buf = malloc((2 * (size_t)nb + 1) * sizeof(double));
    if (!losses || !buf) {
        free(losses);
        free(buf);
        snprintf(msg, CT_MSG_LEN, "out of host memory");
        return CT_ERR_ALLOC;
    }
    ct_status st = CT_OK;
    long long correct = 0;
    for (int b = rank; b < nb && st == CT_OK; b += size) {
        int start = b * batch, rows = n - start < batch ? n - start : batch;
        st = ct_net_eval_batch(net, slot, start, rows, b);
    }
    if (st == CT_OK) st = ct_net_read_metrics(net, losses, nb, &correct, NULL);
    if (st == CT_OK && maes) st = ct_net_read_abs_errors(net, 0, nb, maes);
    if (st != CT_OK) {
        snprintf(msg, CT_MSG_LEN, "%s", ct_net_error(net));
    } else {
        for (int b = 0; b < nb; b++) /* slots of other ranks' batches hold stale values */
            if (b % size != rank) {
                losses[b] = 0;
                if (maes) maes[b] = 0;
            }
        st = sum_metrics(comm, losses, maes, nb, &correct, buf, msg);
    }
    if (st == CT_OK) {
        int bad;
        *loss = weighted_mean(losses, nb, n, batch, &bad);
        *acc = accuracy(ct_net_arch(net), correct, n);
        if (mae) *mae = maes ? weighted_mean(maes, nb, n, batch, &bad) : NAN;
    }
    free(losses);
    free(buf);
    return st;
}

ct_status ct_evaluate(ct_net *net, int slot, int batch, double *loss, double *acc,
                      char msg[CT_MSG_LEN]) {
    return evaluate_shared(net, slot, batch, NULL, loss, acc, NULL, msg);
}

/* One optimizer step on the batch of `rows` rows at start: this rank's share, the sum over the
 * ranks, the update. */
static ct_status shared_step(ct_net *net, const ct_train_opts *o, int start, int rows, int epoch,
                             long long t, float lr, int b) {
    const ct_comm *c = o->comm;
    int base = rows / c->size, extra = rows % c->size;
    int mine = base + (c->rank < extra),
        row0 = c->rank * base + (c->rank < extra ? c->rank : extra);
    ct_net_set_comm(net, c);
    ct_status st = ct_net_shard_grad(net, CT_SLOT_TRAIN, start, row0, mine, rows, o->seed,
                                     (uint64_t)epoch, t, b);
    /* the backward pass finishes first: it is not part of the exchange's time */
    if (st == CT_OK) st = ct_net_finish(net);
    double t0 = now_seconds();
    if (st == CT_OK) st = ct_net_sum_grads(net, c);
    if (o->exchange_seconds) *o->exchange_seconds += now_seconds() - t0;
    if (st == CT_OK) st = ct_net_apply_grads(net, t, lr, o->l2);
    return st;
}

/* The kernels of a step, to on_plan, where a cold first step compiles them (PoCL). */
static void announce_plan(ct_net *net, int batch, const ct_train_opts *o) {
    ct_device *dev = ct_net_device(net);
    if (!dev || !ct_device_warms_by_launch(dev)) return;
    ct_launch_shape shapes[CT_PLAN_MAX];
    int n = ct_net_plan_step(net, CT_SLOT_TRAIN, batch, o->l2, shapes, CT_PLAN_MAX);
    char text[CT_PLAN_MAX * 48];
    ct_plan_format(shapes, n, text, sizeof text);
    if (n > 0) o->on_plan(text, o->user);
}

/* What one run of ct_train works with: the sizes and the host buffers. */
typedef struct {
    int n, batch, nb;
    const ct_comm *comm;
    int regression; /* the batches' mean absolute errors are read too */
    float *losses;  /* (nb) */
    float *maes;    /* (nb), a regression's */
    double *sumbuf; /* (2 nb + 1) */
    float *vd, *vr; /* live verification: room for the largest tensor each */
    ct_verify_report *rep;
    /* on_progress: when the run and the epoch began, the last call, the batches of the epoch
     * whose losses are summed (weighted by rows) in prog_sum, from prog_b0 up to prog_read */
    double t_run, t_epoch, t_prog;
    int first_epoch, prog_b0, prog_read;
    double prog_sum;
    int progress; /* on_progress is called: this rank's, or with comm any rank's (the ranks read
                   * and sum the losses together, when rank 0's clock says) */
} run_ctx;

/* on_progress with `done` batches of epoch done (when progress_seconds have passed, or the epoch
 * ends): one read of the losses of the batches since the last call, summed over the ranks with
 * comm (every rank calls this at the same steps). */
static ct_status progress(ct_net *net, const ct_train_opts *o, const ct_train_state *state,
                          run_ctx *c, int epoch, int done, char *msg) {
    double t = now_seconds();
    c->t_prog = t;
    int cnt = done - c->prog_read;
    if (cnt > 0) {
        float *l = c->losses + c->prog_read;
        ct_status st = ct_net_read_losses(net, c->prog_read, cnt, l);
        if (st != CT_OK) {
            snprintf(msg, CT_MSG_LEN, "epoch %d: %s", epoch, ct_net_error(net));
            return st;
        }
        if ((st = sum_metrics(c->comm, l, NULL, cnt, NULL, c->sumbuf, msg)) != CT_OK) return st;
        int bad = -1;
        c->prog_sum =
            weighted_sum(c->losses, c->prog_read, done, c->n, c->batch, c->prog_sum, &bad);
        c->prog_read = done;
    }
    long long rows_run = (long long)done * c->batch - (long long)c->prog_b0 * c->batch;
    if ((long long)done * c->batch > c->n) rows_run -= (long long)done * c->batch - c->n;
    double loss = rows_run > 0 ? c->prog_sum / (double)rows_run : NAN;
    if (!o->on_progress) return CT_OK; /* another rank's line */
    ct_progress p;
    memset(&p, 0, sizeof p);
    p.epoch = epoch;
    p.epochs = o->epochs;
    p.batch = done;
    p.n_batches = c->nb;
    p.first_batch = c->prog_b0;
    p.first_epoch = c->first_epoch;
    p.rows = (long long)done * c->batch < c->n ? (long long)done * c->batch : c->n;
    p.step = state->step;
    p.loss = loss;
    p.seconds = t - c->t_run;
    p.epoch_seconds = t - c->t_epoch;
    o->on_progress(&p, o->user);
    return CT_OK;
}

/* Before a step: whether the caller asks to stop (o->stop, any rank's) and whether the progress
 * line is due (progress_seconds since the last, by rank 0's clock), agreed by every rank in one
 * sum of two numbers. */
static ct_status step_agree(const ct_train_opts *o, const run_ctx *c, int *stop, int *due,
                            char *msg) {
    *stop = o->stop && *o->stop != 0;
    *due = c->progress && (!c->comm || c->comm->rank == 0) &&
           now_seconds() - c->t_prog >= o->progress_seconds;
    if (!c->comm || (!o->stop && !c->progress)) return CT_OK;
    double v[2] = {*stop, *due};
    if (c->comm->allreduce_sum_f64(v, 2, c->comm->ctx) != 0) {
        snprintf(msg, CT_MSG_LEN, "combining the ranks' stop requests failed");
        return CT_ERR_IO;
    }
    *stop = v[0] > 0;
    *due = v[1] > 0;
    return CT_OK;
}

/* The steps of one epoch from batch b0; *lr gets the last step's learning rate. *stopped gets
 * the batch where o->stop ended it (before that batch), or -1. */
static ct_status epoch_steps(ct_net *net, const ct_train_opts *o, ct_train_state *state, run_ctx *c,
                             int epoch, int b0, double *lr, int *stopped, char *msg) {
    ct_status st;
    *stopped = -1;
    c->t_epoch = c->t_prog = now_seconds();
    c->prog_b0 = c->prog_read = b0;
    c->prog_sum = 0;
    for (int b = b0; b < c->nb; b++) {
        int stop, due;
        if ((st = step_agree(o, c, &stop, &due, msg)) != CT_OK) return st;
        if (due && b > b0 && (st = progress(net, o, state, c, epoch, b, msg)) != CT_OK) return st;
        if (stop) {
            *stopped = b;
            return CT_OK;
        }
        int start = b * c->batch, rows = c->n - start < c->batch ? c->n - start : c->batch;
        *lr = ct_schedule_lr(&o->schedule, o->lr, state->lr_scale, epoch, o->epochs, b, c->nb);
        int verify = o->verify_every > 0 && (state->step + 1) % o->verify_every == 0;
        if (verify && (st = sync_ref(net, o->verify_ref, c->vd, msg)) != CT_OK) return st;
        st = c->comm ? shared_step(net, o, start, rows, epoch, state->step + 1, (float)*lr, b)
                     : ct_net_train_step(net, CT_SLOT_TRAIN, start, rows, o->seed, (uint64_t)epoch,
                                         state->step + 1, (float)*lr, o->l2, b);
        if (st != CT_OK) {
            snprintf(msg, CT_MSG_LEN, "epoch %d, step %lld: %s", epoch, state->step + 1,
                     ct_net_error(net));
            return st;
        }
        if (verify && (st = verify_step(net, o, start, rows, epoch, state->step + 1, (float)*lr, b,
                                        c->rep, c->vd, c->vr, msg)) != CT_OK)
            return st;
        state->step++;
        if ((st = ct_net_pace(net)) != CT_OK) {
            snprintf(msg, CT_MSG_LEN, "epoch %d, step %lld: %s", epoch, state->step,
                     ct_net_error(net));
            return st;
        }
        if (o->on_batch) o->on_batch(epoch, b + 1, c->nb, o->user);
        if (c->progress && b + 1 == c->nb &&
            (st = progress(net, o, state, c, epoch, c->nb, msg)) != CT_OK)
            return st;
        if (o->log_every > 0 && o->on_log && state->step % o->log_every == 0) {
            /* the steps of this interval that belong to this epoch */
            int from = b + 1 - o->log_every < b0 ? b0 : b + 1 - o->log_every, cnt = b + 1 - from;
            if ((st = ct_net_read_losses(net, from, cnt, c->losses)) != CT_OK) {
                snprintf(msg, CT_MSG_LEN, "epoch %d: %s", epoch, ct_net_error(net));
                return st;
            }
            if ((st = sum_metrics(c->comm, c->losses, NULL, cnt, NULL, c->sumbuf, msg)) != CT_OK)
                return st;
            double sum = 0;
            for (int k = 0; k < cnt; k++)
                sum += c->losses[k];
            o->on_log(epoch, state->step, sum / cnt, *lr, o->user);
        }
    }
    return CT_OK;
}

/* The epoch's statistics into s: the mean training loss (an error when it is not finite), the
 * accuracy (a classifier) or the mean absolute error (a regression), and the same of the
 * validation data. */
static ct_status epoch_stats(ct_net *net, int has_val, const ct_train_opts *o,
                             const ct_train_state *state, const run_ctx *c, int epoch, int b0,
                             ct_epoch_stats *s, char *msg) {
    long long correct = 0;
    double wsq = 0;
    int nb = c->nb, bad;
    ct_status st;
    if ((st = ct_net_read_metrics(net, c->losses, nb, &correct, o->l2 > 0 ? &wsq : NULL)) !=
        CT_OK) {
        snprintf(msg, CT_MSG_LEN, "epoch %d: %s", epoch, ct_net_error(net));
        return st;
    }
    if (c->regression && (st = ct_net_read_abs_errors(net, 0, nb, c->maes)) != CT_OK) {
        snprintf(msg, CT_MSG_LEN, "epoch %d: %s", epoch, ct_net_error(net));
        return st;
    }
    if ((st = sum_metrics(c->comm, c->losses, c->regression ? c->maes : NULL, nb, &correct,
                          c->sumbuf, msg)) != CT_OK)
        return st;
    memset(s, 0, sizeof *s);
    s->epoch = epoch;
    s->step = state->step;
    /* an epoch resumed at batch b0: the batches before it come from the checkpoint */
    bad = -1;
    correct += b0 > 0 ? state->batch_correct : 0;
    s->train_loss =
        weighted_sum(c->losses, b0, nb, c->n, c->batch, b0 > 0 ? state->batch_loss_sum : 0, &bad) /
            c->n +
        0.5 * o->l2 * wsq;
    if (bad >= 0 || !isfinite(s->train_loss)) {
        long long first = state->step - nb + 1 + (bad >= 0 ? bad : 0);
        snprintf(msg, CT_MSG_LEN,
                 "training diverged: the loss became %s at epoch %d, step %lld (batch %d of %d); "
                 "try a smaller learning rate (--lr %g now) or --clip-norm",
                 bad >= 0 && isnan(c->losses[bad]) ? "NaN" : "infinite", epoch, first,
                 (bad >= 0 ? bad : 0) + 1, nb, o->lr);
        return CT_ERR_NUMERIC;
    }
    s->train_acc = accuracy(ct_net_arch(net), correct, c->n);
    s->train_mae = NAN;
    if (c->regression) {
        int bad_e = -1; /* a batch's error is not finite only where its loss is not */
        s->train_mae = weighted_sum(c->maes, b0, nb, c->n, c->batch,
                                    b0 > 0 ? state->batch_abs_sum : 0, &bad_e) /
                       c->n;
    }
    s->val_loss = s->val_acc = s->val_mae = NAN;
    if (has_val)
        return evaluate_shared(net, CT_SLOT_VAL, c->batch, c->comm, &s->val_loss, &s->val_acc,
                               &s->val_mae, msg);
    return CT_OK;
}

/* Improvement, early-stopping snapshot and the plateau schedule after an epoch. */
static ct_status epoch_progress(ct_net *net, int has_val, const ct_train_opts *o,
                                ct_train_state *state, ct_train_result *res, ct_epoch_stats *s,
                                char *msg) {
    double watch = has_val ? s->val_loss : s->train_loss;
    s->improved = watch < state->best_val - o->min_delta;
    if (!s->improved) {
        state->bad_epochs++;
        if (o->schedule.kind == CT_SCHED_PLATEAU &&
            ++state->plateau_bad >= o->schedule.plateau_patience) {
            state->lr_scale *= o->schedule.factor;
            state->plateau_bad = 0;
        }
        return CT_OK;
    }
    state->best_val = watch;
    state->bad_epochs = 0;
    state->plateau_bad = 0;
    res->best_epoch = s->epoch;
    if (o->patience > 0 && o->restore_best) {
        ct_status st = ct_net_snapshot(net);
        if (st != CT_OK) {
            snprintf(msg, CT_MSG_LEN, "%s", ct_net_error(net));
            return st;
        }
        state->has_best = 1;
    }
    return CT_OK;
}

/* Whether training stops after this epoch: the caller's request (any rank's), or patience. */
static ct_status epoch_stop(const ct_train_opts *o, const run_ctx *c, int has_val,
                            const ct_train_state *state, ct_train_result *res,
                            const ct_epoch_stats *s, int *stop, char *msg) {
    *stop = o->on_epoch ? o->on_epoch(s, o->user) != 0 : 0;
    if (c->comm) { /* any rank's stop stops all */
        double any = *stop;
        if (c->comm->allreduce_sum_f64(&any, 1, c->comm->ctx) != 0) {
            snprintf(msg, CT_MSG_LEN, "combining the ranks' stop requests failed");
            return CT_ERR_IO;
        }
        *stop = any > 0;
    }
    if (*stop) {
        res->stopped_early = 1;
        snprintf(res->stop_reason, sizeof res->stop_reason, "stopped by the caller after epoch %d",
                 s->epoch);
    } else if (o->patience > 0 && state->bad_epochs >= o->patience) {
        *stop = 1;
        res->stopped_early = 1;
        snprintf(res->stop_reason, sizeof res->stop_reason,
                 "early stopping after epoch %d: no %s loss gain of more than %g for %d epoch%s "
                 "(best %.6g at epoch %d)",
                 s->epoch, has_val ? "validation" : "training", (double)o->min_delta, o->patience,
                 o->patience == 1 ? "" : "s", state->best_val, res->best_epoch);
    }
    return CT_OK;
}

/* A run stopped before batch b of epoch (b0: where this run began it): the losses, errors and
 * correct count of its batches so far into the state, so that a resume completes the epoch's
 * means. */
static ct_status stop_within(ct_net *net, const ct_train_opts *o, ct_train_state *state,
                             const run_ctx *c, int epoch, int b0, int b, ct_train_result *res,
                             char *msg) {
    (void)o;
    res->interrupted = 1;
    res->stop_batch = b;
    snprintf(res->stop_reason, sizeof res->stop_reason, "interrupted in epoch %d before batch %d",
             epoch, b + 1);
    if (b == b0) return CT_OK; /* nothing more of the epoch */
    long long correct = 0;
    ct_status st = ct_net_read_metrics(net, c->losses, b, &correct, NULL);
    if (st == CT_OK && c->regression) st = ct_net_read_abs_errors(net, 0, b, c->maes);
    if (st != CT_OK) {
        snprintf(msg, CT_MSG_LEN, "epoch %d: %s", epoch, ct_net_error(net));
        return st;
    }
    if ((st = sum_metrics(c->comm, c->losses, c->regression ? c->maes : NULL, b, &correct,
                          c->sumbuf, msg)) != CT_OK)
        return st;
    int bad = -1;
    state->batch_loss_sum =
        weighted_sum(c->losses, b0, b, c->n, c->batch, b0 > 0 ? state->batch_loss_sum : 0, &bad);
    state->batch_abs_sum = c->regression ? weighted_sum(c->maes, b0, b, c->n, c->batch,
                                                        b0 > 0 ? state->batch_abs_sum : 0, &bad)
                                         : 0;
    state->batch_correct = (b0 > 0 ? state->batch_correct : 0) + correct;
    state->batch = b;
    return CT_OK;
}

/* The host buffers of a run (verification's when o asks for it). */
static ct_status run_alloc(ct_net *net, const ct_train_opts *o, run_ctx *c, char *msg) {
    const ct_arch *a = ct_net_arch(net);
    c->regression = is_regression(net);
    c->losses = malloc((size_t)c->nb * 2 * sizeof(float));
    c->maes = c->losses ? c->losses + c->nb : NULL;
    c->sumbuf = malloc((2 * (size_t)c->nb + 1) * sizeof(double));
    if (!c->losses || !c->sumbuf) {
        snprintf(msg, CT_MSG_LEN, "out of host memory");
        return CT_ERR_ALLOC;
    }
    if (o->verify_every <= 0) return CT_OK;
    /* live verification: two host buffers as large as the largest tensor, and a report */
    size_t big = ct_net_layout(net)->n_params;
    for (int l = 0; l < a->n_layers; l++)
        if ((size_t)c->batch * a->sizes[l + 1] > big) big = (size_t)c->batch * a->sizes[l + 1];
    c->vd = malloc(big * sizeof(float));
    c->vr = malloc(big * sizeof(float));
    c->rep = malloc(sizeof *c->rep);
    if (!o->verify_ref || !c->vd || !c->vr || !c->rep) {
        snprintf(msg, CT_MSG_LEN,
                 o->verify_ref ? "out of host memory" : "verify: no reference engine");
        return o->verify_ref ? CT_ERR_ALLOC : CT_ERR_ARG;
    }
    return CT_OK;
}

ct_status ct_train(ct_net *net, int has_val, const ct_train_opts *o, ct_train_state *state,
                   ct_train_result *res, char msg[CT_MSG_LEN]) {
    memset(res, 0, sizeof *res);
    res->best_val_loss = state->best_val;
    res->epochs_run = state->epoch;
    int n = ct_net_rows(net, CT_SLOT_TRAIN);
    if (n < 1) {
        snprintf(msg, CT_MSG_LEN, "no training data");
        return CT_ERR_ARG;
    }
    if (o->batch < 1 || o->epochs < 1) {
        snprintf(msg, CT_MSG_LEN, "epochs and batch must be >= 1 (got %d and %d)", o->epochs,
                 o->batch);
        return CT_ERR_ARG;
    }
    run_ctx c;
    memset(&c, 0, sizeof c);
    c.n = n;
    c.comm = o->comm && o->comm->size > 1 ? o->comm : NULL;
    c.batch = o->batch < n ? o->batch : n;
    c.nb = (n + c.batch - 1) / c.batch;
    res->batches = c.nb;
    ct_status st = run_alloc(net, o, &c, msg);
    if (st != CT_OK) goto done;
    if (state->batch < 0 || state->batch >= c.nb) {
        snprintf(msg, CT_MSG_LEN,
                 "the run stopped after batch %d of epoch %d, which has %d batches here",
                 state->batch, state->epoch + 1, c.nb);
        st = CT_ERR_ARG;
        goto done;
    }
    if (o->on_plan && state->epoch < o->epochs) announce_plan(net, c.batch, o);
    c.progress = o->on_progress != NULL;
    if (c.comm) { /* the ranks read the losses for the line together when any rank shows it */
        double any = c.progress;
        if (c.comm->allreduce_sum_f64(&any, 1, c.comm->ctx) != 0) {
            snprintf(msg, CT_MSG_LEN, "combining the ranks' progress requests failed");
            st = CT_ERR_IO;
            goto done;
        }
        c.progress = any > 0;
    }
    c.t_run = now_seconds();
    c.first_epoch = state->epoch + 1;
    for (int epoch = state->epoch + 1; epoch <= o->epochs; epoch++) {
        double t0 = now_seconds(), lr = 0;
        ct_epoch_stats s;
        int stop = 0, b0 = state->batch, stopped;
        if ((st = epoch_steps(net, o, state, &c, epoch, b0, &lr, &stopped, msg)) != CT_OK)
            goto done;
        if (stopped >= 0) { /* the weights as they are: no best-weights restore */
            st = stop_within(net, o, state, &c, epoch, b0, stopped, res, msg);
            goto done;
        }
        if ((st = epoch_stats(net, has_val, o, state, &c, epoch, b0, &s, msg)) != CT_OK ||
            (st = epoch_progress(net, has_val, o, state, res, &s, msg)) != CT_OK)
            goto done;
        state->batch = 0;
        state->batch_loss_sum = 0;
        state->batch_abs_sum = 0;
        state->batch_correct = 0;
        s.lr = lr;
        s.seconds = now_seconds() - t0;
        s.samples_per_sec = s.seconds > 0 ? n / s.seconds : 0;
        state->epoch = epoch;
        res->epochs_run = epoch;
        res->last = s;
        res->best_val_loss = state->best_val;
        if ((st = epoch_stop(o, &c, has_val, state, res, &s, &stop, msg)) != CT_OK) goto done;
        if (stop) break;
    }
    if (o->patience > 0 && o->restore_best && state->has_best) {
        if ((st = ct_net_restore(net)) != CT_OK) snprintf(msg, CT_MSG_LEN, "%s", ct_net_error(net));
    }
done:
    free(c.losses);
    free(c.sumbuf);
    free(c.vd);
    free(c.vr);
    free(c.rep);
    return st;
}
