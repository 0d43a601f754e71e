/* Training curves as an SVG picture: loss (train and validation) and accuracy (or another
 * metric) per epoch, two panels side by side, axes with ticks, a legend. Written atomically. */
#ifndef CT_PLOT_H
#define CT_PLOT_H

#include "cltrain.h"

typedef struct ct_series {
    const char *name; /* legend text, e.g. "train loss" */
    const double *y;  /* n values; NaN = no point (e.g. no validation) */
    int n;
    int dashed; /* draw dashed (validation) */
} ct_series;

typedef struct ct_plot_panel {
    const char *title; /* "loss" */
    const char *ylabel;
    const char *xlabel; /* "epoch" */
    const double *x;    /* n x values shared by the series (epochs, or learning rates) */
    int n;
    int log_x, log_y; /* logarithmic axes */
    const ct_series *series;
    int n_series;
} ct_plot_panel;

/* Writes 1 or 2 panels side by side with a title line at the top. */
ct_status ct_plot_svg(const char *path, const char *title, const ct_plot_panel *panels,
                      int n_panels, char msg[CT_MSG_LEN]);

#endif
