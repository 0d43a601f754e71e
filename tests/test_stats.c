/* Training diagnostics: the dead_units kernel against its reference on odd shapes, the
 * per-layer statistics of the engine (device against the reference backend, and against a
 * direct host forward pass; a net with every hidden unit dead), and the learning-rate range
 * test (its exponential schedule, the smoothing, the steepest-descent suggestion on synthetic
 * curves, and a run on both backends). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "device_util.h"
#include "lrfind.h"
#include "model.h"
#include "rng.h"
#include "util.h"

/* ---- data -------------------------------------------------------------------------------- */

typedef struct {
    ct_dataset d;
    float *X;
    int32_t *labels;
} owned;

/* n rows of F features in [-1, 1]; labels from a fixed rule, every class present. */
static void make_data(owned *o, int n, int F, int classes, uint64_t seed) {
    memset(o, 0, sizeof *o);
    ct_rng r = {seed};
    o->X = test_alloc((size_t)n * F, sizeof(float));
    o->labels = test_alloc((size_t)n, sizeof(int32_t));
    for (int i = 0; i < n; i++) {
        double s = 0;
        for (int j = 0; j < F; j++) {
            float v = (float)(2 * ct_rng_uniform(&r) - 1);
            o->X[(size_t)i * F + j] = v;
            s += v * (j + 1);
        }
        int c = (int)floor((s / F + 1) * classes / 2);
        o->labels[i] = c < 0 ? 0 : c >= classes ? classes - 1 : c;
    }
    for (int c = 0; c < classes && c < n; c++)
        o->labels[c] = c;
    o->d.n = n;
    o->d.features = F;
    o->d.X = o->X;
    o->d.task = CT_TASK_CLASSIFICATION;
    o->d.n_classes = classes;
    o->d.labels = o->labels;
    o->d.outputs = 1;
    snprintf(o->d.source, sizeof o->d.source, "test data");
}

static void free_data(owned *o) {
    free(o->X);
    free(o->labels);
}

static ct_arch arch3(int in, int h1, int h2, int out, ct_act a0, ct_act a1, ct_loss loss) {
    ct_arch a;
    memset(&a, 0, sizeof a);
    a.n_layers = 3;
    a.sizes[0] = in;
    a.sizes[1] = h1;
    a.sizes[2] = h2;
    a.sizes[3] = out;
    a.act[0] = a0;
    a.act[1] = a1;
    a.alpha[0] = a0 == CT_ACT_ELU ? 1.0f : 0.01f;
    a.alpha[1] = a1 == CT_ACT_ELU ? 1.0f : 0.01f;
    a.loss = loss;
    a.huber_delta = 1.0f;
    return a;
}

/* An engine with the given parameters and data in the training slot; NULL after a failure
 * (reported). */
static ct_net *make_net(ct_device *dev, const ct_arch *a, int batch, const ct_optim_params *op,
                        const float *params, const owned *data) {
    char msg[CT_MSG_LEN] = "";
    ct_net *net = NULL;
    if (!EXPECT(ct_net_create(&net, dev, a, batch, op, msg) == CT_OK, "ct_net_create (%s): %s",
                dev ? "device" : "reference", msg))
        return NULL;
    if (!EXPECT(ct_net_set_params(net, params) == CT_OK &&
                    ct_net_upload(net, CT_SLOT_TRAIN, &data->d) == CT_OK,
                "setting up the %s engine: %s", dev ? "device" : "reference", ct_net_error(net))) {
        ct_net_destroy(net);
        return NULL;
    }
    return net;
}

/* ---- 1. dead_units against its reference --------------------------------------------------- */

static void dead_units_cases(ct_device *dev, unsigned long long seed, case_stats *s) {
    const int Bs[] = {1, 3, 17, 255, 1000, 1025};
    const int Ns[] = {1, 3, 17, 255, 1001};
    unsigned long long k = 0;
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 5; j++) {
            if ((size_t)Bs[i] * Ns[j] > 300000) continue;
            if (skip_large(s, (long long)Bs[i] * Ns[j])) continue;
            ct_check_case c = {.op = CT_CHECK_DEAD_UNITS, .M = Bs[i], .N = Ns[j]};
            EXPECT(run_case(dev, &c, seed + k++, s), "dead_units B=%d N=%d", Bs[i], Ns[j]);
        }
}

/* ---- 2. layer statistics ------------------------------------------------------------------- */

/* mean and population std of the activations of every layer by a direct forward pass in
 * double (relu hidden layers, the logits last), rows [0, B) of data. */
static void host_forward_stats(const ct_arch *a, const float *p, const owned *data, int B,
                               double *mean, double *std, double *dead) {
    ct_layout lay;
    ct_arch_layout(a, &lay);
    int width = 0;
    for (int l = 0; l <= a->n_layers; l++)
        width = a->sizes[l] > width ? a->sizes[l] : width;
    double *in = test_alloc((size_t)B * width, sizeof(double));
    double *out = test_alloc((size_t)B * width, sizeof(double));
    int *alive = test_alloc((size_t)width, sizeof(int));
    for (int i = 0; i < B * a->sizes[0]; i++)
        in[i] = data->X[i];
    for (int l = 0; l < a->n_layers; l++) {
        int I = a->sizes[l], O = a->sizes[l + 1], last = l + 1 == a->n_layers;
        double sum = 0, sq = 0;
        memset(alive, 0, (size_t)width * sizeof(int));
        for (int r = 0; r < B; r++)
            for (int o = 0; o < O; o++) {
                double z = p[lay.b_off[l] + (size_t)o];
                for (int k = 0; k < I; k++)
                    z += (double)p[lay.w_off[l] + (size_t)o * I + k] * in[(size_t)r * I + k];
                alive[o] |= z > 0;
                double v = last ? z : (z > 0 ? z : 0);
                out[(size_t)r * O + o] = v;
                sum += v;
            }
        double n = (double)B * O, m = sum / n;
        for (int i = 0; i < B * O; i++)
            sq += (out[i] - m) * (out[i] - m);
        mean[l] = m;
        std[l] = sqrt(sq / n);
        int d = 0;
        for (int o = 0; o < O; o++)
            d += !alive[o];
        dead[l] = last ? 0 : (double)d / O;
        double *t = in;
        in = out;
        out = t;
    }
    free(in);
    free(out);
    free(alive);
}

static void layer_stats_tests(ct_device *dev, unsigned long long seed) {
    struct {
        ct_act a0, a1;
        ct_loss loss;
        int out;
        float bias;
    } cases[] = {
        {CT_ACT_RELU, CT_ACT_RELU, CT_LOSS_SOFTMAX_CE, 3, 0.0f},
        {CT_ACT_LEAKY_RELU, CT_ACT_ELU, CT_LOSS_SIGMOID_BCE, 1, -0.3f},
        {CT_ACT_GELU, CT_ACT_TANH, CT_LOSS_SOFTMAX_CE, 4, 0.1f},
        {CT_ACT_RELU, CT_ACT_RELU, CT_LOSS_SOFTMAX_CE, 3, -100.0f}, /* every hidden unit dead */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int F = 5, n = 301, batch = 64, B = 61;
        int classes = cases[c].loss == CT_LOSS_SIGMOID_BCE ? 2 : cases[c].out;
        ct_arch a = arch3(F, 17, 33, cases[c].out, cases[c].a0, cases[c].a1, cases[c].loss);
        ct_layout lay;
        ct_arch_layout(&a, &lay);
        owned data;
        make_data(&data, n, F, classes, seed + c);
        float *p = test_alloc(lay.n_params, sizeof(float));
        ct_init init = {CT_INIT_AUTO, 0, 0};
        ct_arch_init_params(&a, &init, cases[c].bias, seed + 100 + c, p);
        ct_optim_params op = ct_optim_defaults(CT_OPT_SGD);
        ct_net *nd = make_net(dev, &a, batch, &op, p, &data);
        ct_net *nr = make_net(NULL, &a, batch, &op, p, &data);
        ct_layer_stats sd[CT_MAX_LAYERS], sr[CT_MAX_LAYERS];
        char what[96];
        snprintf(what, sizeof what, "%s,%s bias %g", ct_act_name(cases[c].a0),
                 ct_act_name(cases[c].a1), (double)cases[c].bias);
        /* before any step, against a direct host forward pass of the same (float) parameters;
         * the reference's gradients are still zero */
        int ok = nd && nr;
        if (ok)
            ok = EXPECT(ct_net_layer_stats(nd, CT_SLOT_TRAIN, B, sd) == CT_OK &&
                            ct_net_layer_stats(nr, CT_SLOT_TRAIN, B, sr) == CT_OK,
                        "%s: ct_net_layer_stats failed: %s %s", what, ct_net_error(nd),
                        ct_net_error(nr));
        if (ok) {
            for (int l = 0; l < 3; l++)
                EXPECT(sr[l].grad_norm == 0, "%s: layer %d grad norm %g before any step", what, l,
                       sr[l].grad_norm);
            if (cases[c].a0 == CT_ACT_RELU && cases[c].a1 == CT_ACT_RELU) {
                double mean[3], std[3], dead[3];
                host_forward_stats(&a, p, &data, B, mean, std, dead);
                for (int l = 0; l < 3; l++) {
                    double scale = fabs(mean[l]) + std[l];
                    EXPECT(fabs(sd[l].act_mean - mean[l]) <= 1e-5 + 1e-4 * scale &&
                               fabs(sr[l].act_mean - mean[l]) <= 1e-9 * (1 + scale),
                           "%s layer %d: mean device %.9g, reference %.9g, host %.9g", what, l,
                           sd[l].act_mean, sr[l].act_mean, mean[l]);
                    EXPECT(fabs(sd[l].act_std - std[l]) <= 1e-4 + 1e-3 * scale &&
                               fabs(sr[l].act_std - std[l]) <= 1e-9 * (1 + scale),
                           "%s layer %d: std device %.9g, reference %.9g, host %.9g", what, l,
                           sd[l].act_std, sr[l].act_std, std[l]);
                    EXPECT(fabs(sr[l].dead_frac - dead[l]) < 1e-12 &&
                               fabs(sd[l].dead_frac - dead[l]) <= 1.0 / a.sizes[l + 1] + 1e-12,
                           "%s layer %d: dead fraction device %g, reference %g, host %g", what, l,
                           sd[l].dead_frac, sr[l].dead_frac, dead[l]);
                }
            }
            if (cases[c].bias < -10) {
                for (int l = 0; l < 2; l++)
                    EXPECT(sd[l].dead_frac == 1 && sr[l].dead_frac == 1 && sd[l].act_mean == 0 &&
                               sd[l].act_std == 0,
                           "%s layer %d: every unit dead: dead %g/%g mean %g std %g", what, l,
                           sd[l].dead_frac, sr[l].dead_frac, sd[l].act_mean, sd[l].act_std);
                /* the logits are the output bias on every row */
                EXPECT(fabs(sd[2].act_mean + 100) < 1e-3 && sr[2].act_mean == -100 &&
                           sr[2].act_std == 0,
                       "%s: logits mean %g (reference %g, std %g); want -100 and std 0", what,
                       sd[2].act_mean, sr[2].act_mean, sr[2].act_std);
            }
        }
        /* one step with a small lr on both, then the statistics of the new parameters and the
         * gradient norms of the step */
        if (ok)
            ok = EXPECT(
                ct_net_train_step(nd, CT_SLOT_TRAIN, 0, batch, 9, 0, 1, 0.01f, 0, 0) == CT_OK &&
                    ct_net_train_step(nr, CT_SLOT_TRAIN, 0, batch, 9, 0, 1, 0.01f, 0, 0) == CT_OK,
                "%s: a training step failed: %s %s", what, ct_net_error(nd), ct_net_error(nr));
        if (ok)
            ok = EXPECT(ct_net_layer_stats(nd, CT_SLOT_TRAIN, B, sd) == CT_OK &&
                            ct_net_layer_stats(nr, CT_SLOT_TRAIN, B, sr) == CT_OK,
                        "%s: ct_net_layer_stats failed: %s %s", what, ct_net_error(nd),
                        ct_net_error(nr));
        if (ok) {
            for (int l = 0; l < 3; l++) {
                double scale = fabs(sr[l].act_mean) + sr[l].act_std;
                printf("     %s layer %d: mean %.6g/%.6g std %.6g/%.6g dead %.4f/%.4f grad "
                       "%.6g/%.6g (device/reference)\n",
                       what, l, sd[l].act_mean, sr[l].act_mean, sd[l].act_std, sr[l].act_std,
                       sd[l].dead_frac, sr[l].dead_frac, sd[l].grad_norm, sr[l].grad_norm);
                EXPECT(fabs(sd[l].act_mean - sr[l].act_mean) <= 1e-5 + 1e-4 * scale,
                       "%s layer %d: mean device %.9g, reference %.9g", what, l, sd[l].act_mean,
                       sr[l].act_mean);
                /* the device's std is E[x^2] - mean^2 in float: at |mean| = 100 it keeps
                 * about 1e-3 * |mean| */
                EXPECT(fabs(sd[l].act_std - sr[l].act_std) <= 1e-4 + 1e-3 * scale,
                       "%s layer %d: std device %.9g, reference %.9g", what, l, sd[l].act_std,
                       sr[l].act_std);
                /* a unit whose largest Z is within rounding of 0 may go either way */
                EXPECT(fabs(sd[l].dead_frac - sr[l].dead_frac) <= 1.0 / a.sizes[l + 1] + 1e-12,
                       "%s layer %d: dead fraction device %g, reference %g", what, l,
                       sd[l].dead_frac, sr[l].dead_frac);
                EXPECT(fabs(sd[l].grad_norm - sr[l].grad_norm) <= 1e-6 + 1e-3 * sr[l].grad_norm,
                       "%s layer %d: grad norm device %.9g, reference %.9g", what, l,
                       sd[l].grad_norm, sr[l].grad_norm);
            }
            EXPECT(sd[2].dead_frac == 0 && sr[2].dead_frac == 0,
                   "%s: the output layer has no dead fraction (device %g, reference %g)", what,
                   sd[2].dead_frac, sr[2].dead_frac);
            if (cases[c].bias < -10) {
                /* dead units pass no gradient, and zero activations give the output weights none */
                for (int l = 0; l < 3; l++)
                    EXPECT(sd[l].grad_norm == 0 && sr[l].grad_norm == 0,
                           "%s layer %d: grad norm %g/%g with every hidden unit dead", what, l,
                           sd[l].grad_norm, sr[l].grad_norm);
                EXPECT(sd[0].dead_frac == 1 && sd[1].dead_frac == 1,
                       "%s: still dead after a step: %g %g", what, sd[0].dead_frac,
                       sd[1].dead_frac);
            }
        }
        /* errors: more rows than the batch, an empty slot */
        if (nd) {
            EXPECT(ct_net_layer_stats(nd, CT_SLOT_TRAIN, batch + 1, sd) == CT_ERR_ARG,
                   "%s: %d rows with batch %d should fail", what, batch + 1, batch);
            EXPECT(ct_net_layer_stats(nd, CT_SLOT_VAL, B, sd) == CT_ERR_ARG &&
                       strstr(ct_net_error(nd), "no data"),
                   "%s: an empty slot should fail naming it, got '%s'", what, ct_net_error(nd));
        }
        ct_net_destroy(nd);
        ct_net_destroy(nr);
        free(p);
        free_data(&data);
    }
}

/* ---- 3. the range test ------------------------------------------------------------------- */

static void lrfind_schedule_tests(void) {
    const int steps[] = {2, 3, 17, 100, 1001};
    for (int t = 0; t < 5; t++) {
        int n = steps[t];
        double start = 1e-7, end = 10, ratio = pow(end / start, 1.0 / (n - 1)), worst = 0;
        EXPECT(ct_lrfind_lr(start, end, 0, n) == start && ct_lrfind_lr(start, end, n - 1, n) == end,
               "steps %d: first %g, last %g; want %g and %g", n, ct_lrfind_lr(start, end, 0, n),
               ct_lrfind_lr(start, end, n - 1, n), start, end);
        for (int i = 0; i + 1 < n; i++) {
            double r = ct_lrfind_lr(start, end, i + 1, n) / ct_lrfind_lr(start, end, i, n);
            worst = fmax(worst, fabs(r / ratio - 1));
            double want = exp(log(start) + (log(end) - log(start)) * i / (n - 1));
            EXPECT(fabs(ct_lrfind_lr(start, end, i, n) / want - 1) < 1e-12,
                   "steps %d: lr %d is %.17g, want %.17g", n, i, ct_lrfind_lr(start, end, i, n),
                   want);
        }
        EXPECT(worst < 1e-12, "steps %d: the ratio of successive rates varies by %g", n, worst);
    }

    /* smoothing: beta 0 is the identity; a constant stays constant (bias correction) */
    double loss[50], sm[50];
    for (int i = 0; i < 50; i++)
        loss[i] = 0.5 + 0.01 * sin(i);
    ct_lrfind_smooth(sm, loss, 50, 0.0);
    EXPECT(!memcmp(sm, loss, sizeof loss), "smooth with beta 0 changes the values");
    for (int i = 0; i < 50; i++)
        loss[i] = 0.7;
    ct_lrfind_smooth(sm, loss, 50, 0.98);
    double d = 0;
    for (int i = 0; i < 50; i++)
        d = fmax(d, fabs(sm[i] - 0.7));
    EXPECT(d < 1e-12, "a constant loss of 0.7 smooths to values %g away", d);
    loss[0] = 1;
    loss[1] = 3;
    ct_lrfind_smooth(sm, loss, 2, 0.5); /* avg 0.5, 1.75; corrections 0.5, 0.75 */
    EXPECT(fabs(sm[0] - 1) < 1e-15 && fabs(sm[1] - 1.75 / 0.75) < 1e-15,
           "smooth(1, 3; 0.5) = %g, %g; want 1, %g", sm[0], sm[1], 1.75 / 0.75);

    /* a synthetic curve: flat, a sigmoid-shaped fall centred on lr 1e-3, then a rise; the
     * steepest point is the one nearest 1e-3. An early plunge within the first tenth is noise
     * and must be skipped. */
    int n = 200;
    double *x = test_alloc((size_t)n, sizeof(double)), *y = test_alloc((size_t)n, sizeof(double));
    int nearest = 0;
    for (int i = 0; i < n; i++) {
        x[i] = ct_lrfind_lr(1e-7, 10, i, n);
        double u = log10(x[i]) + 3;
        y[i] = 1 - 0.8 * tanh(2 * u) + (u > 2 ? (u - 2) * (u - 2) : 0);
        if (fabs(log(x[i] / 1e-3)) < fabs(log(x[nearest] / 1e-3))) nearest = i;
    }
    y[3] = -5; /* a plunge at i = 3 (within the skipped first 20 points) */
    int got = ct_lrfind_suggest(x, y, n);
    EXPECT(got == nearest,
           "the steepest point of the synthetic curve: index %d (lr %g), want %d "
           "(lr %g)",
           got, got >= 0 ? x[got] : NAN, nearest, x[nearest]);
    /* without the skip the plunge would win: the same curve shorter than 10 points has no skip
     * beyond the first point */
    double xs[5] = {1e-4, 1e-3, 1e-2, 1e-1, 1}, ys[5] = {1, 0.9, 0.5, 0.45, 2};
    EXPECT(ct_lrfind_suggest(xs, ys, 5) == 1 || ct_lrfind_suggest(xs, ys, 5) == 2,
           "5 points: suggestion %d, want 1 or 2", ct_lrfind_suggest(xs, ys, 5));
    double yc[5] = {1, 0.9, 0.5, 0.45, 2};
    /* central differences: i=1: (0.5-1)/2, i=2: (0.45-0.9)/2, i=3: (2-0.5)/2 -> index 1 */
    EXPECT(ct_lrfind_suggest(xs, yc, 5) == 1, "5 points: suggestion %d, want 1",
           ct_lrfind_suggest(xs, yc, 5));
    /* no fall, too few points, NaN */
    double up[5] = {1, 2, 3, 4, 5}, nan5[5] = {1, NAN, NAN, NAN, 2};
    EXPECT(ct_lrfind_suggest(xs, up, 5) == -1, "a rising curve gives %d, want -1",
           ct_lrfind_suggest(xs, up, 5));
    EXPECT(ct_lrfind_suggest(xs, ys, 2) == -1, "2 points give %d, want -1",
           ct_lrfind_suggest(xs, ys, 2));
    EXPECT(ct_lrfind_suggest(xs, nan5, 5) == -1, "NaN slopes give %d, want -1",
           ct_lrfind_suggest(xs, nan5, 5));
    /* the shape of issue 24 (digits, adam): a gentle fall to the minimum at i = 10, then the
     * divergence, whose loss swings back down more steeply (i = 14..16) than it ever fell on
     * the way down; the suggestion must lie before the minimum, at the steepest of the fall
     * (i = 9: the central difference (0.95 - 1.6) / 2 steps) */
    double xd[20], yd[20] = {2.5,  2.5, 2.5, 2.45, 2.4, 2.3, 2.1, 1.8, 1.6, 1.2,
                             0.95, 1.3, 3,   6,    8,   5,   3,   2.8, 2.7, 2.7};
    int dmin = 0;
    for (int i = 0; i < 20; i++) {
        xd[i] = ct_lrfind_lr(1e-4, 10, i, 20);
        if (yd[i] < yd[dmin]) dmin = i;
    }
    int dgot = ct_lrfind_suggest(xd, yd, 20);
    EXPECT(dgot == 9 && dgot < dmin,
           "a divergence that swings back down: suggestion %d (lr %g), want 9 (lr %g), before "
           "the minimum at %d (lr %g)",
           dgot, dgot >= 0 ? xd[dgot] : NAN, xd[9], dmin, xd[dmin]);
    free(x);
    free(y);
}

static void lrfind_run_tests(ct_device *dev, unsigned long long seed) {
    int F = 4, n = 203, batch = 16;
    ct_arch a = arch3(F, 16, 8, 3, CT_ACT_RELU, CT_ACT_TANH, CT_LOSS_SOFTMAX_CE);
    ct_layout lay;
    ct_arch_layout(&a, &lay);
    owned data;
    make_data(&data, n, F, 3, seed);
    float *p = test_alloc(lay.n_params, sizeof(float));
    ct_init init = {CT_INIT_AUTO, 0, 0};
    ct_arch_init_params(&a, &init, 0, seed, p);
    ct_optim_params op = ct_optim_defaults(CT_OPT_ADAM);
    ct_lrfind_result r[2];
    memset(r, 0, sizeof r);
    /* 40 steps of 16 rows over 203 rows: three epochs, each ending in a batch of 11 */
    ct_lrfind_opts o = {.start_lr = 1e-6,
                        .end_lr = 1e3,
                        .steps = 40,
                        .batch = batch,
                        .seed = 5,
                        .smooth = 0.9,
                        .diverge = 4,
                        .read_every = 7};
    for (int b = 0; b < 2; b++) {
        char msg[CT_MSG_LEN] = "";
        ct_net *net = make_net(b ? NULL : dev, &a, batch, &op, p, &data);
        if (!net) continue;
        ct_status st = ct_lrfind_run(net, &o, &r[b], msg);
        const char *name = b ? "reference" : "device";
        if (EXPECT(st == CT_OK, "lr-find run (%s): %s", name, msg)) {
            printf("     lr-find %s: %d points, suggestion %d (lr %g), %s\n", name, r[b].n,
                   r[b].suggestion, r[b].suggested_lr, r[b].stop_reason);
            EXPECT(r[b].n >= 3 && r[b].n <= o.steps, "%s: %d points of %d steps", name, r[b].n,
                   o.steps);
            EXPECT(r[b].n == o.steps || r[b].diverged, "%s: %d points, no divergence", name,
                   r[b].n);
            for (int i = 0; i < r[b].n; i++)
                EXPECT(r[b].lr[i] == ct_lrfind_lr(o.start_lr, o.end_lr, i, o.steps) &&
                           isfinite(r[b].loss[i]),
                       "%s: point %d lr %g loss %g", name, i, r[b].lr[i], r[b].loss[i]);
            double *sm = test_alloc((size_t)r[b].n, sizeof(double));
            ct_lrfind_smooth(sm, r[b].loss, r[b].n, o.smooth);
            double d = 0;
            for (int i = 0; i < r[b].n; i++)
                d = fmax(d, fabs(sm[i] - r[b].smoothed[i]));
            EXPECT(d < 1e-12, "%s: the smoothed losses differ from ct_lrfind_smooth by %g", name,
                   d);
            free(sm);
            /* a rate of 1e3 with adam diverges */
            EXPECT(r[b].diverged, "%s: no divergence up to lr %g", name, o.end_lr);
            EXPECT(r[b].suggestion == ct_lrfind_suggest(r[b].lr, r[b].smoothed, r[b].n),
                   "%s: suggestion %d", name, r[b].suggestion);
        }
        ct_net_destroy(net);
    }
    /* the two backends agree while the rate is small (float vs double rounding only) */
    if (r[0].n >= 10 && r[1].n >= 10) {
        double d = 0;
        for (int i = 0; i < 10; i++)
            d = fmax(d, fabs(r[0].loss[i] - r[1].loss[i]));
        EXPECT(d < 1e-4, "the first 10 losses of the device and the reference differ by %g", d);
    }
    /* bad options */
    char msg[CT_MSG_LEN] = "";
    ct_lrfind_result bad;
    ct_net *net = make_net(NULL, &a, batch, &op, p, &data);
    if (net) {
        ct_lrfind_opts ob = o;
        ob.end_lr = ob.start_lr;
        EXPECT(ct_lrfind_run(net, &ob, &bad, msg) == CT_ERR_ARG && strstr(msg, "start lr"),
               "end == start: '%s'", msg);
        ob = o;
        ob.steps = 1;
        EXPECT(ct_lrfind_run(net, &ob, &bad, msg) == CT_ERR_ARG && strstr(msg, "steps"),
               "1 step: '%s'", msg);
        ob = o;
        ob.smooth = 1;
        EXPECT(ct_lrfind_run(net, &ob, &bad, msg) == CT_ERR_ARG, "smooth 1: '%s'", msg);
        ct_lrfind_result_free(&bad);
    }
    ct_net_destroy(net);
    ct_lrfind_result_free(&r[0]);
    ct_lrfind_result_free(&r[1]);
    free(p);
    free_data(&data);
}

int main(void) {
    unsigned long long seed = fresh_seed();
    ct_device *dev = test_device();
    case_stats s = {0};
    dead_units_cases(dev, seed, &s);
    case_summary("dead_units", &s);
    layer_stats_tests(dev, seed);
    lrfind_schedule_tests();
    lrfind_run_tests(dev, seed);
    ct_device_destroy(dev);
    return test_summary("test_stats");
}
