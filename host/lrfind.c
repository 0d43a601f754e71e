/* The learning-rate range test (see lrfind.h). */
#include "lrfind.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "plot.h"

#define READ_EVERY_DEFAULT 16

double ct_lrfind_lr(double start, double end, int i, int steps) {
    if (steps < 2) return start;
    if (i >= steps - 1) return end; /* exact at the end, whatever pow rounds to */
    return start * pow(end / start, (double)i / (double)(steps - 1));
}

void ct_lrfind_smooth(double *out, const double *loss, int n, double beta) {
    double avg = 0, corr = 1;
    for (int i = 0; i < n; i++) {
        avg = beta * avg + (1 - beta) * loss[i];
        corr *= beta;
        out[i] = avg / (1 - corr);
    }
}

int ct_lrfind_suggest(const double *x, const double *y, int n) {
    if (n < 3) return -1;
    /* the smallest y after the skipped start: the descent is looked for on the way down to
     * it, never past it, where a diverging loss that swings back down would look steepest */
    int skip = n / 10 > 1 ? n / 10 : 1, best = -1, lo = -1;
    for (int i = skip; i < n; i++)
        if (isfinite(y[i]) && (lo < 0 || y[i] < y[lo])) lo = i;
    double best_slope = 0;
    for (int i = skip; i + 1 < n && i + 1 <= lo; i++) {
        if (!(x[i - 1] > 0) || !(x[i + 1] > 0)) continue;
        double dx = log(x[i + 1]) - log(x[i - 1]);
        double slope = (y[i + 1] - y[i - 1]) / dx;
        if (!(dx > 0) || !isfinite(slope)) continue;
        if (slope < best_slope) {
            best_slope = slope;
            best = i;
        }
    }
    return best;
}

void ct_lrfind_result_free(ct_lrfind_result *r) {
    if (!r) return;
    free(r->lr);
    free(r->loss);
    free(r->smoothed);
    r->lr = r->loss = r->smoothed = NULL;
    r->n = 0;
}

ct_status ct_lrfind_run(ct_net *net, const ct_lrfind_opts *o, ct_lrfind_result *r,
                        char msg[CT_MSG_LEN]) {
    memset(r, 0, sizeof *r);
    r->suggestion = r->min_index = -1;
    r->suggested_lr = NAN;
    if (!(o->start_lr > 0) || !(o->end_lr > o->start_lr) || !isfinite(o->end_lr)) {
        snprintf(msg, CT_MSG_LEN, "the range test needs 0 < start lr < end lr, got %g and %g",
                 o->start_lr, o->end_lr);
        return CT_ERR_ARG;
    }
    if (o->steps < 2) {
        snprintf(msg, CT_MSG_LEN, "the range test needs at least 2 steps, got %d", o->steps);
        return CT_ERR_ARG;
    }
    if (!(o->smooth >= 0 && o->smooth < 1)) {
        snprintf(msg, CT_MSG_LEN, "the smoothing factor must be in [0, 1), got %g", o->smooth);
        return CT_ERR_ARG;
    }
    if (!(o->diverge == 0 || o->diverge > 1)) {
        snprintf(msg, CT_MSG_LEN, "the divergence factor must be > 1 (or 0: never), got %g",
                 o->diverge);
        return CT_ERR_ARG;
    }
    int rows = ct_net_rows(net, CT_SLOT_TRAIN);
    if (rows < 1) {
        snprintf(msg, CT_MSG_LEN, "the range test needs training data uploaded");
        return CT_ERR_ARG;
    }
    if (o->batch < 1) {
        snprintf(msg, CT_MSG_LEN, "the batch size must be >= 1, got %d", o->batch);
        return CT_ERR_ARG;
    }
    /* the engine has rows + 1 loss slots: a chunk never needs more */
    int chunk = o->read_every > 0 ? o->read_every : READ_EVERY_DEFAULT;
    if (chunk > rows) chunk = rows;
    size_t cap = (size_t)o->steps;
    r->lr = malloc(cap * sizeof(double));
    r->loss = malloc(cap * sizeof(double));
    r->smoothed = malloc(cap * sizeof(double));
    float *buf = malloc((size_t)chunk * sizeof(float));
    ct_status st = CT_OK;
    if (!r->lr || !r->loss || !r->smoothed || !buf) {
        snprintf(msg, CT_MSG_LEN, "out of host memory for %d steps of the range test", o->steps);
        st = CT_ERR_ALLOC;
        goto fail;
    }
    double beta = o->smooth, avg = 0, corr = 1, best = INFINITY;
    int pos = 0, stop = 0;
    uint64_t epoch = 0;
    for (int i0 = 0; i0 < o->steps && !stop; i0 += chunk) {
        int k = o->steps - i0 < chunk ? o->steps - i0 : chunk;
        for (int j = 0; j < k; j++) {
            if (pos >= rows) {
                pos = 0;
                epoch++;
            }
            int bn = rows - pos < o->batch ? rows - pos : o->batch;
            float lr = (float)ct_lrfind_lr(o->start_lr, o->end_lr, i0 + j, o->steps);
            st = ct_net_train_step(net, CT_SLOT_TRAIN, pos, bn, o->seed, epoch,
                                   (long long)(i0 + j) + 1, lr, o->l2, j);
            if (st != CT_OK) {
                snprintf(msg, CT_MSG_LEN, "range test step %d (lr %.3g): %s", i0 + j + 1,
                         (double)lr, ct_net_error(net));
                goto fail;
            }
            pos += bn;
        }
        if ((st = ct_net_read_losses(net, 0, k, buf)) != CT_OK) {
            snprintf(msg, CT_MSG_LEN, "range test: reading the losses: %s", ct_net_error(net));
            goto fail;
        }
        for (int j = 0; j < k && !stop; j++) {
            int i = i0 + j;
            double loss = buf[j];
            if (!isfinite(loss)) {
                snprintf(r->stop_reason, sizeof r->stop_reason,
                         "stopped at step %d: the loss is %s at lr %.3g", i + 1,
                         isnan(loss) ? "NaN" : "infinite",
                         ct_lrfind_lr(o->start_lr, o->end_lr, i, o->steps));
                stop = r->diverged = 1;
                break;
            }
            avg = beta * avg + (1 - beta) * loss;
            corr *= beta;
            double sm = avg / (1 - corr);
            r->lr[r->n] = ct_lrfind_lr(o->start_lr, o->end_lr, i, o->steps);
            r->loss[r->n] = loss;
            r->smoothed[r->n] = sm;
            r->n++;
            if (sm < best) {
                best = sm;
                r->min_index = r->n - 1;
            }
            if (o->diverge > 0 && sm > o->diverge * best) {
                snprintf(r->stop_reason, sizeof r->stop_reason,
                         "stopped at step %d: the smoothed loss %.4g exceeds %g x its best %.4g "
                         "at lr %.3g",
                         i + 1, sm, o->diverge, best, r->lr[r->n - 1]);
                stop = r->diverged = 1;
            }
        }
    }
    r->suggestion = ct_lrfind_suggest(r->lr, r->smoothed, r->n);
    if (r->suggestion >= 0) r->suggested_lr = r->lr[r->suggestion];
    free(buf);
    return CT_OK;
fail:
    free(buf);
    ct_lrfind_result_free(r);
    return st;
}

ct_status ct_lrfind_write_csv(const char *path, const ct_lrfind_result *r, char msg[CT_MSG_LEN]) {
    ct_atomic_file a = {0};
    ct_status st = ct_atomic_begin(&a, path, msg);
    if (st != CT_OK) return st;
    fprintf(a.f, "step,lr,loss,smoothed_loss\n");
    for (int i = 0; i < r->n; i++)
        fprintf(a.f, "%d,%.9g,%.9g,%.9g\n", i + 1, r->lr[i], r->loss[i], r->smoothed[i]);
    return ct_atomic_commit(&a, msg);
}

ct_status ct_lrfind_plot_svg(const char *path, const char *title, const char *panel,
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
