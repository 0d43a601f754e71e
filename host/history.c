/* The training history as files: a CSV row per epoch and an SVG of the curves (cltrain.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cltrain.h"
#include "fileio.h"
#include "plot.h"

ct_status ct_history_write_csv(const char *path, const ct_epoch_stats *h, int n,
                               char msg[CT_MSG_LEN]) {
    ct_atomic_file a = {0};
    ct_status st = ct_atomic_begin(&a, path, msg);
    if (st != CT_OK) return st;
    fprintf(a.f, "epoch,step,train_loss,train_acc,val_loss,val_acc,lr,seconds,samples_per_sec,"
                 "train_mae,val_mae\n");
    for (int i = 0; i < n; i++) {
        const ct_epoch_stats *s = &h[i];
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
        fprintf(a.f, "%.9g,%.4f,%.1f", s->lr, s->seconds, s->samples_per_sec);
        const double mae[2] = {s->train_mae, s->val_mae};
        for (int k = 0; k < 2; k++)
            if (isnan(mae[k]))
                fputs(",", a.f);
            else
                fprintf(a.f, ",%.9g", mae[k]);
        fputs("\n", a.f);
    }
    return ct_atomic_commit(&a, msg);
}

ct_status ct_history_plot_svg(const char *path, const char *title, const ct_epoch_stats *h, int n,
                              int with_accuracy, char msg[CT_MSG_LEN]) {
    if (n < 0) n = 0;
    double *x = malloc((size_t)(n ? n : 1) * 5 * sizeof(double));
    if (!x) {
        snprintf(msg, CT_MSG_LEN, "out of host memory");
        return CT_ERR_ALLOC;
    }
    double *tl = x + n, *vl = x + 2 * n, *ta = x + 3 * n, *va = x + 4 * n;
    int has_mae = 0; /* a regression's history: its mean absolute error in the second panel */
    for (int i = 0; i < n; i++)
        has_mae |= !isnan(h[i].train_mae);
    has_mae &= !with_accuracy;
    for (int i = 0; i < n; i++) {
        x[i] = h[i].epoch;
        tl[i] = h[i].train_loss;
        vl[i] = h[i].val_loss;
        ta[i] = has_mae ? h[i].train_mae : h[i].train_acc;
        va[i] = has_mae ? h[i].val_mae : h[i].val_acc;
    }
    ct_series loss[2] = {{"train loss", tl, n, 0}, {"validation loss", vl, n, 1}};
    ct_series acc[2] = {{"train accuracy", ta, n, 0}, {"validation accuracy", va, n, 1}};
    ct_series mae[2] = {{"train MAE", ta, n, 0}, {"validation MAE", va, n, 1}};
    ct_plot_panel p[2] = {{"loss", "loss", "epoch", x, n, 0, 0, loss, 2},
                          {"accuracy", "accuracy", "epoch", x, n, 0, 0, acc, 2}};
    if (has_mae) p[1] = (ct_plot_panel){"mean absolute error", "MAE", "epoch", x, n, 0, 0, mae, 2};
    ct_status st = ct_plot_svg(path, title, p, with_accuracy || has_mae ? 2 : 1, msg);
    free(x);
    return st;
}
