/* The learning-rate range test (Leslie Smith, "Cyclical Learning Rates for Training Neural
 * Networks", 2017; fastai's lr_find): train from the current parameters with a learning rate
 * that grows exponentially from start to end, one step per batch, record the loss of every
 * step, smooth it, stop when it diverges, and suggest the rate where the smoothed loss falls
 * fastest against log(lr). The run changes the parameters and the optimizer state: reload them
 * before training for real. */
#ifndef CT_LRFIND_H
#define CT_LRFIND_H

#include <stdint.h>

#include "model.h"

/* lr_i = start * (end / start)^(i / (steps - 1)), i = 0 .. steps - 1. */
double ct_lrfind_lr(double start, double end, int i, int steps);

/* out[i] = avg_i / (1 - beta^(i+1)), avg_i = beta avg_{i-1} + (1 - beta) loss[i], avg_-1 = 0. */
void ct_lrfind_smooth(double *out, const double *loss, int n, double beta);

/* The index of the steepest descent of y against log(x) on the way down to y's minimum (as
 * fastai's finder): the most negative central difference
 * (y[i+1] - y[i-1]) / (log x[i+1] - log x[i-1]) over i in [skip, min - 1], where min is the
 * index of the smallest finite y from skip on and skip = max(1, n / 10) leaves out the first tenth
 * of the points (the start of the EMA is noisy and the loss barely moves at tiny rates). Past the
 * minimum the loss diverges, and a diverging loss that swings back down must not win. -1 when
 * there are fewer than 3 points or no such point has a finite negative slope. */
int ct_lrfind_suggest(const double *x, const double *y, int n);

/* Runs the test on the training data in CT_SLOT_TRAIN (steps t = 1 .. o->steps; the epoch
 * advances and the permutation changes when the rows run out). The losses are read back every
 * read_every steps: the divergence stop comes at the end of such a chunk and the points after
 * the first diverging one are dropped. Fills *r (free with ct_lrfind_result_free, also after a
 * failure). */
ct_status ct_lrfind_run(ct_net *net, const ct_lrfind_opts *o, ct_lrfind_result *r,
                        char msg[CT_MSG_LEN]);

#endif
