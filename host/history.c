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
    fprintf(a.f, "epoch,step,train_loss,train_acc,val_loss,val_acc,lr,seconds,samples_per_sec\n");
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
        fprintf(a.f, "%.9g,%.4f,%.1f\n", s->lr, s->seconds, s->samples_per_sec);
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
    for (int i = 0; i < n; i++) {
        x[i] = h[i].epoch;
        tl[i] = h[i].train_loss;
        vl[i] = h[i].val_loss;
        ta[i] = h[i].train_acc;
        va[i] = h[i].val_acc;
    }
    ct_series loss[2] = {{"train loss", tl, n, 0}, {"validation loss", vl, n, 1}};
    ct_series acc[2] = {{"train accuracy", ta, n, 0}, {"validation accuracy", va, n, 1}};
    ct_plot_panel p[2] = {{"loss", "loss", "epoch", x, n, 0, 0, loss, 2},
                          {"accuracy", "accuracy", "epoch", x, n, 0, 0, acc, 2}};
    ct_status st = ct_plot_svg(path, title, p, with_accuracy ? 2 : 1, msg);
    free(x);
    return st;
}
