/* The training engine: one step on the device against the same step through the reference,
 * XOR learned to 100%, bit-identical repeat runs, resume equality, both backends agreeing
 * after several epochs, divergence reported. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "device_util.h"
#include "model.h"
#include "rng.h"
#include "train.h"
#include "util.h"

/* A small dataset made in the test: n rows of F features, labels from a fixed rule. */
typedef struct {
    ct_dataset d;
    float *X, *Y;
    int32_t *labels;
} owned;

static void make_data(owned *o, int n, int F, int classes, int regression, uint64_t seed) {
    memset(o, 0, sizeof *o);
    ct_rng r = {seed};
    o->X = malloc((size_t)n * F * sizeof(float));
    o->labels = malloc((size_t)n * sizeof(int32_t));
    o->Y = malloc((size_t)n * sizeof(float));
    for (int i = 0; i < n; i++) {
        double s = 0;
        for (int j = 0; j < F; j++) {
            float v = (float)(2 * ct_rng_uniform(&r) - 1);
            o->X[(size_t)i * F + j] = v;
            s += v * (j + 1);
        }
        int c = (int)floor((s / F + 1) * classes / 2);
        o->labels[i] = c < 0 ? 0 : c >= classes ? classes - 1 : c;
        o->Y[i] = (float)sin(s);
    }
    for (int c = 0; c < classes && c < n; c++)
        o->labels[c] = c; /* every class present */
    o->d.n = n;
    o->d.features = F;
    o->d.X = o->X;
    o->d.task = regression ? CT_TASK_REGRESSION : CT_TASK_CLASSIFICATION;
    o->d.n_classes = classes;
    o->d.labels = o->labels;
    o->d.outputs = 1;
    o->d.Y = o->Y;
    snprintf(o->d.source, sizeof o->d.source, "test data");
}

static void free_data(owned *o) {
    free(o->X);
    free(o->Y);
    free(o->labels);
}

static ct_arch arch_of(int in, int h1, int h2, int out, ct_act act, ct_loss loss, float dropout) {
    ct_arch a;
    memset(&a, 0, sizeof a);
    a.n_layers = h2 ? 3 : 2;
    a.sizes[0] = in;
    a.sizes[1] = h1;
    if (h2) a.sizes[2] = h2;
    a.sizes[a.n_layers] = out;
    a.act[0] = a.act[1] = act;
    a.alpha[0] = a.alpha[1] = act == CT_ACT_ELU ? 1.0f : 0.01f;
    a.dropout[0] = a.dropout[1] = dropout;
    a.loss = loss;
    a.huber_delta = 1.0f;
    for (int l = 0; l < CT_MAX_LAYERS; l++) {
        a.norm_eps[l] = CT_NORM_EPS;
        a.norm_momentum[l] = CT_NORM_MOMENTUM;
    }
    return a;
}

/* Trains `epochs` on a fresh engine; returns the parameters (malloc'ed) or NULL. */
static float *train_run(ct_device *dev, const ct_arch *a, const ct_optim_params *op,
                        const owned *data, int epochs, int batch, float l2, float clip,
                        ct_status *st_out, char *msg) {
    ct_net *net = NULL;
    ct_layout lay;
    ct_arch_layout(a, &lay);
    float *p = malloc(lay.n_params * sizeof(float));
    ct_init init = {CT_INIT_AUTO, 0, 0};
    ct_arch_init_params(a, &init, 0.0f, 7, p);
    ct_optim_params o = *op;
    o.clip_norm = clip;
    ct_status st = ct_net_create(&net, dev, a, batch, &o, msg);
    if (!st && ct_net_set_params(net, p)) st = CT_ERR_OPENCL;
    if (!st && ct_net_upload(net, CT_SLOT_TRAIN, &data->d)) st = CT_ERR_ARG;
    ct_train_opts to;
    memset(&to, 0, sizeof to);
    to.epochs = epochs;
    to.batch = batch;
    to.seed = 11;
    to.lr = o.lr;
    to.l2 = l2;
    ct_train_state state;
    ct_train_state_init(&state);
    ct_train_result res;
    if (!st) st = ct_train(net, 0, &to, &state, &res, msg);
    if (!st && ct_net_get_params(net, p)) st = CT_ERR_OPENCL;
    if (st && net && !msg[0]) snprintf(msg, CT_MSG_LEN, "%s", ct_net_error(net));
    ct_net_destroy(net);
    *st_out = st;
    if (st) {
        free(p);
        return NULL;
    }
    return p;
}

/* The epochs' statistics of a run (on_epoch), and a stop request set after batch stop_batch of
 * epoch stop_epoch (on_batch), as a signal handler would set it. */
typedef struct {
    ct_epoch_stats s[8];
    int n;
    int stop_epoch, stop_batch;
    volatile sig_atomic_t stop;
} epochs_seen;

static int keep_epoch(const ct_epoch_stats *s, void *user) {
    epochs_seen *e = user;
    if (e->n < 8) e->s[e->n++] = *s;
    return 0;
}

static void stop_at(int epoch, int batch, int n_batches, void *user) {
    epochs_seen *e = user;
    (void)n_batches;
    if (epoch == e->stop_epoch && batch == e->stop_batch) e->stop = 1;
}

/* The mean absolute error of a net's outputs for the n rows of d (C outputs), in double. */
static double host_mae(ct_net *net, const ct_dataset *d, int C, ct_status *st) {
    float *out = malloc((size_t)d->n * C * sizeof(float));
    double s = 0;
    *st = out ? ct_net_predict(net, d->X, d->n, out) : CT_ERR_ALLOC;
    for (size_t e = 0; *st == CT_OK && e < (size_t)d->n * C; e++)
        s += fabs((double)out[e] - d->Y[e]);
    free(out);
    return s / ((double)d->n * C);
}

/* Stops a run after epoch 2, as an interrupted run would end. */
static int stop_after_2(const ct_epoch_stats *s, void *user) {
    (void)user;
    return s->epoch >= 2;
}

static double max_rel_diff(const float *a, const float *b, size_t n, double floor_) {
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]) / fmax(fabs((double)b[i]), floor_);
        if (!(d <= m)) m = isnan(d) ? INFINITY : d;
    }
    return m;
}

int main(void) {
    unsigned long long seed = fresh_seed();
    ct_device *dev = test_device();
    char msg[CT_MSG_LEN] = "";
    ct_status st;

    /* 1. every loss and activation: one epoch of a few steps on the device equals the same
     *    steps on the reference (double) within float rounding */
    struct {
        ct_act act;
        ct_loss loss;
        int classes, regression;
        float dropout, l2, clip;
        ct_optim opt;
        ct_norm norm; /* after both hidden layers */
    } cases[] = {
        {CT_ACT_RELU, CT_LOSS_SOFTMAX_CE, 3, 0, 0, 0, 0, CT_OPT_ADAM, CT_NORM_NONE},
        {CT_ACT_TANH, CT_LOSS_SIGMOID_BCE, 2, 0, 0.2f, 0.01f, 0, CT_OPT_MOMENTUM, CT_NORM_NONE},
        {CT_ACT_GELU, CT_LOSS_MSE, 0, 1, 0, 0, 1.0f, CT_OPT_RMSPROP, CT_NORM_NONE},
        {CT_ACT_ELU, CT_LOSS_HUBER, 0, 1, 0.1f, 0, 0, CT_OPT_NESTEROV, CT_NORM_NONE},
        {CT_ACT_LEAKY_RELU, CT_LOSS_SOFTMAX_CE, 5, 0, 0.3f, 0.001f, 0.5f, CT_OPT_ADAMW, CT_NORM_NONE},
        {CT_ACT_SIGMOID, CT_LOSS_SOFTMAX_CE, 4, 0, 0, 0, 0, CT_OPT_SGD, CT_NORM_NONE},
        {CT_ACT_TANH, CT_LOSS_SOFTMAX_CE, 3, 0, 0.2f, 0.001f, 0, CT_OPT_ADAMW, CT_NORM_BATCH},
        {CT_ACT_SILU, CT_LOSS_MSE, 0, 1, 0, 0, 1.0f, CT_OPT_MOMENTUM, CT_NORM_LAYER},
        {CT_ACT_GELU, CT_LOSS_SIGMOID_BCE, 2, 0, 0, 0.01f, 0, CT_OPT_ADAM, CT_NORM_BATCH},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        owned data;
        make_data(&data, 97, 5, cases[k].regression ? 2 : cases[k].classes, cases[k].regression,
                  seed + k);
        int out =
            cases[k].loss == CT_LOSS_SIGMOID_BCE || cases[k].regression ? 1 : cases[k].classes;
        ct_arch a = arch_of(5, 17, 9, out, cases[k].act, cases[k].loss, cases[k].dropout);
        a.norm[0] = a.norm[1] = cases[k].norm;
        ct_optim_params o = ct_optim_defaults(cases[k].opt);
        o.lr = cases[k].opt == CT_OPT_ADAM || cases[k].opt == CT_OPT_ADAMW ? 0.01f : 0.05f;
        /* RMSprop and Adam divide by sqrt(v): with eps 1e-8 a gradient near 0 moves its weight by
         * about lr * sign(g), so float rounding of g could flip a step; eps 1e-3 keeps the update
         * smooth in g and the comparison about the arithmetic */
        o.eps = 1e-3f;
        /* RMSprop's first steps are up to 1 / sqrt(1 - rho) = 10 times lr: keep them moderate */
        if (cases[k].opt == CT_OPT_RMSPROP) o.lr = 0.005f;
        ct_layout lay;
        ct_arch_layout(&a, &lay);
        msg[0] = '\0';
        ct_status s1, s2;
        float *pd = train_run(dev, &a, &o, &data, 2, 16, cases[k].l2, cases[k].clip, &s1, msg);
        float *pr = train_run(NULL, &a, &o, &data, 2, 16, cases[k].l2, cases[k].clip, &s2, msg);
        EXPECT(s1 == CT_OK && s2 == CT_OK, "case %zu: training failed: %s", k, msg);
        if (pd && pr) {
            double d = max_rel_diff(pd, pr, lay.n_params, 1e-2);
            /* 14 steps of float rounding (seen up to 1e-5 over 25 seeds) */
            EXPECT(d < 2e-4,
                   "case %zu (%s, %s, %s): device and reference weights differ by %.3g (rel)", k,
                   ct_act_name(cases[k].act), ct_loss_name(cases[k].loss),
                   ct_optim_name(cases[k].opt), d);
            printf("device vs reference after 14 steps, %s/%s/%s%s%s%s: max rel diff %.3g\n",
                   ct_act_name(cases[k].act), ct_loss_name(cases[k].loss),
                   ct_optim_name(cases[k].opt), cases[k].dropout > 0 ? "/dropout" : "",
                   cases[k].norm ? "/norm " : "", cases[k].norm ? ct_norm_name(cases[k].norm) : "",
                   d);
        }
        free(pd);
        free(pr);
        free_data(&data);
    }

    /* 2. the same seed twice: bit-identical weights */
    {
        owned data;
        make_data(&data, 301, 7, 3, 0, seed);
        ct_arch a = arch_of(7, 33, 17, 3, CT_ACT_RELU, CT_LOSS_SOFTMAX_CE, 0.2f);
        ct_optim_params o = ct_optim_defaults(CT_OPT_ADAM);
        ct_layout lay;
        ct_arch_layout(&a, &lay);
        ct_status s1, s2;
        float *p1 = train_run(dev, &a, &o, &data, 3, 32, 0.001f, 1.0f, &s1, msg);
        float *p2 = train_run(dev, &a, &o, &data, 3, 32, 0.001f, 1.0f, &s2, msg);
        EXPECT(p1 && p2 && !memcmp(p1, p2, lay.n_params * sizeof(float)),
               "two runs with one seed differ");
        free(p1);
        free(p2);
        free_data(&data);
    }

    /* 3. resume: 5 epochs in one run == a run stopped after 2 epochs, then (parameters, m, v,
     *    state) into a fresh engine, then the other 3; bit-identical (cosine schedule, dropout) */
    {
        owned data;
        make_data(&data, 203, 4, 2, 0, seed + 99);
        ct_arch a = arch_of(4, 16, 0, 1, CT_ACT_TANH, CT_LOSS_SIGMOID_BCE, 0.1f);
        ct_optim_params o = ct_optim_defaults(CT_OPT_ADAM);
        o.lr = 0.01f;
        ct_layout lay;
        ct_arch_layout(&a, &lay);
        size_t np = lay.n_params;
        float *p0 = malloc(np * 4), *pa = malloc(np * 4), *pb = malloc(np * 4), *m = malloc(np * 4),
              *v = malloc(np * 4);
        ct_init init = {CT_INIT_AUTO, 0, 0};
        ct_arch_init_params(&a, &init, 0, 3, p0);
        ct_train_opts to;
        memset(&to, 0, sizeof to);
        to.epochs = 5;
        to.batch = 20;
        to.seed = 5;
        to.lr = o.lr;
        to.schedule.kind = CT_SCHED_COSINE;
        ct_train_state s_full, s_half;
        ct_train_state_init(&s_full);
        ct_train_state_init(&s_half);
        ct_train_result res;
        ct_net *n1 = NULL, *n2 = NULL, *n3 = NULL;
        st = ct_net_create(&n1, dev, &a, 20, &o, msg);
        if (!st) st = ct_net_set_params(n1, p0) || ct_net_upload(n1, CT_SLOT_TRAIN, &data.d);
        if (!st) st = ct_train(n1, 0, &to, &s_full, &res, msg);
        if (!st) st = ct_net_get_params(n1, pa);
        to.on_epoch = stop_after_2; /* interrupted after 2 of 5 epochs */
        if (!st) st = ct_net_create(&n2, dev, &a, 20, &o, msg);
        if (!st) st = ct_net_set_params(n2, p0) || ct_net_upload(n2, CT_SLOT_TRAIN, &data.d);
        if (!st) st = ct_train(n2, 0, &to, &s_half, &res, msg);
        if (!st)
            st = ct_net_get_params(n2, pb) || ct_net_get_state(n2, 0, m) ||
                 ct_net_get_state(n2, 1, v);
        to.on_epoch = NULL;
        if (!st) st = ct_net_create(&n3, dev, &a, 20, &o, msg);
        if (!st)
            st = ct_net_set_params(n3, pb) || ct_net_set_state(n3, 0, m) ||
                 ct_net_set_state(n3, 1, v) || ct_net_upload(n3, CT_SLOT_TRAIN, &data.d);
        if (!st) st = ct_train(n3, 0, &to, &s_half, &res, msg);
        if (!st) st = ct_net_get_params(n3, pb);
        EXPECT(st == CT_OK, "resume runs failed: %s", msg);
        EXPECT(st == CT_OK && s_half.step == s_full.step && !memcmp(pa, pb, np * 4),
               "5 epochs and 2 + 3 epochs with a resume differ (steps %lld vs %lld, max rel diff "
               "%.3g)",
               s_full.step, s_half.step, max_rel_diff(pa, pb, np, 1e-6));
        ct_net_destroy(n1);
        ct_net_destroy(n2);
        ct_net_destroy(n3);
        free(p0);
        free(pa);
        free(pb);
        free(m);
        free(v);
        free_data(&data);
    }

    /* 3c. a regression's mean absolute error (2 outputs, MSE, a partial last batch):
     *  - with learning rate 0 the weights stay, so the epoch's training MAE (batch by batch) is
     *    the MAE of the outputs over all training rows: equal to the host's within 1e-5;
     *  - after training, the validation MAE equals the host's from the outputs within 1e-5, and
     *    the reference engine's (double) within 1e-4 of each epoch's training MAE;
     *  - a run stopped within epoch 2 (ct_train_opts.stop after batch 4) and resumed in a fresh
     *    engine gives that epoch the same training loss and MAE, bit for bit;
     *  - a classifier's MAE is NaN. */
    {
        owned tr, va;
        make_data(&tr, 157, 5, 2, 1, seed + 7);
        make_data(&va, 61, 5, 2, 1, seed + 8);
        owned *both[2] = {&tr, &va};
        float *Y2[2];
        for (int k = 0; k < 2; k++) { /* a second target column */
            owned *o = both[k];
            Y2[k] = malloc((size_t)o->d.n * 2 * sizeof(float));
            for (int i = 0; i < o->d.n; i++) {
                Y2[k][2 * i] = o->Y[i];
                Y2[k][2 * i + 1] = o->X[(size_t)i * 5] * 1.5f - o->X[(size_t)i * 5 + 2];
            }
            o->d.outputs = 2;
            o->d.Y = Y2[k];
        }
        ct_arch a = arch_of(5, 12, 0, 2, CT_ACT_TANH, CT_LOSS_MSE, 0);
        ct_optim_params o = ct_optim_defaults(CT_OPT_ADAM);
        o.lr = 0.01f;
        ct_layout lay;
        ct_arch_layout(&a, &lay);
        size_t np = lay.n_params;
        float *p0 = malloc(np * 4), *pb = malloc(np * 4), *m = malloc(np * 4), *v = malloc(np * 4);
        ct_init init = {CT_INIT_AUTO, 0, 0};
        ct_arch_init_params(&a, &init, 0, 4, p0);
        ct_train_opts to;
        memset(&to, 0, sizeof to);
        to.epochs = 3;
        to.batch = 20; /* 157 rows: 7 batches of 20 and one of 17 */
        to.seed = 9;
        to.lr = 0;
        to.on_epoch = keep_epoch;
        epochs_seen still, full, ref, cut, rest;
        memset(&still, 0, sizeof still);
        full = ref = cut = rest = still;
        ct_train_state s0, s1, s2, s3;
        ct_train_result res;
        ct_net *nets[5] = {NULL};
        double mae_still = NAN, mae_val = NAN;
        /* learning rate 0 */
        st = ct_net_create(&nets[0], dev, &a, 20, &o, msg);
        if (!st)
            st = ct_net_set_params(nets[0], p0) || ct_net_upload(nets[0], CT_SLOT_TRAIN, &tr.d);
        to.user = &still;
        ct_train_state_init(&s0);
        if (!st) st = ct_train(nets[0], 0, &to, &s0, &res, msg);
        if (!st) mae_still = host_mae(nets[0], &tr.d, 2, &st);
        /* trained, with validation data: the device and the reference */
        to.lr = o.lr;
        for (int k = 1; k <= 2 && !st; k++) {
            ct_train_state_init(&s1);
            st = ct_net_create(&nets[k], k == 1 ? dev : NULL, &a, 20, &o, msg);
            if (!st)
                st = ct_net_set_params(nets[k], p0) ||
                     ct_net_upload(nets[k], CT_SLOT_TRAIN, &tr.d) ||
                     ct_net_upload(nets[k], CT_SLOT_VAL, &va.d);
            to.user = k == 1 ? &full : &ref;
            if (!st) st = ct_train(nets[k], 1, &to, &s1, &res, msg);
        }
        if (!st) mae_val = host_mae(nets[1], &va.d, 2, &st);
        /* stopped after batch 4 of epoch 2, then resumed in a fresh engine */
        cut.stop_epoch = 2;
        cut.stop_batch = 4;
        to.user = &cut;
        to.on_batch = stop_at;
        to.stop = &cut.stop;
        ct_train_state_init(&s2);
        if (!st) st = ct_net_create(&nets[3], dev, &a, 20, &o, msg);
        if (!st)
            st = ct_net_set_params(nets[3], p0) || ct_net_upload(nets[3], CT_SLOT_TRAIN, &tr.d) ||
                 ct_net_upload(nets[3], CT_SLOT_VAL, &va.d);
        if (!st) st = ct_train(nets[3], 1, &to, &s2, &res, msg);
        EXPECT(st != CT_OK || (res.interrupted && s2.batch == 4 && cut.n == 1),
               "regression: the stop request gave interrupted %d at batch %d after %d epochs",
               res.interrupted, s2.batch, cut.n);
        if (!st)
            st = ct_net_get_params(nets[3], pb) || ct_net_get_state(nets[3], 0, m) ||
                 ct_net_get_state(nets[3], 1, v);
        to.user = &rest;
        to.on_batch = NULL;
        to.stop = NULL;
        s3 = s2;
        if (!st) st = ct_net_create(&nets[4], dev, &a, 20, &o, msg);
        if (!st)
            st = ct_net_set_params(nets[4], pb) || ct_net_set_state(nets[4], 0, m) ||
                 ct_net_set_state(nets[4], 1, v) || ct_net_upload(nets[4], CT_SLOT_TRAIN, &tr.d) ||
                 ct_net_upload(nets[4], CT_SLOT_VAL, &va.d);
        if (!st) st = ct_train(nets[4], 1, &to, &s3, &res, msg);
        EXPECT(st == CT_OK, "regression MAE runs failed: %s", msg);
        if (st == CT_OK) {
            double e = fabs(still.s[2].train_mae - mae_still) / mae_still;
            EXPECT(still.n == 3 && e < 1e-5 && isnan(still.s[2].val_mae),
                   "regression, lr 0: the epoch's MAE %.9g, the outputs' %.9g (rel %.3g)",
                   still.s[2].train_mae, mae_still, e);
            double ev = fabs(full.s[2].val_mae - mae_val) / mae_val;
            EXPECT(full.n == 3 && ev < 1e-5,
                   "regression: validation MAE %.9g, the outputs' %.9g (rel %.3g)",
                   full.s[2].val_mae, mae_val, ev);
            for (int k = 0; k < 3 && k < full.n && k < ref.n; k++) {
                double er = fabs(full.s[k].train_mae - ref.s[k].train_mae) / ref.s[k].train_mae;
                EXPECT(er < 1e-4 && isnan(full.s[k].train_acc),
                       "regression epoch %d: device MAE %.9g, reference %.9g (rel %.3g)", k + 1,
                       full.s[k].train_mae, ref.s[k].train_mae, er);
            }
            EXPECT(rest.n == 2 &&
                       !memcmp(&rest.s[0].train_loss, &full.s[1].train_loss, sizeof(double)) &&
                       !memcmp(&rest.s[0].train_mae, &full.s[1].train_mae, sizeof(double)) &&
                       !memcmp(&rest.s[1].val_mae, &full.s[2].val_mae, sizeof(double)),
                   "regression stopped in epoch 2 and resumed: epoch 2 loss %.9g MAE %.9g, the "
                   "uninterrupted run's %.9g and %.9g",
                   rest.s[0].train_loss, rest.s[0].train_mae, full.s[1].train_loss,
                   full.s[1].train_mae);
            printf("regression MAE: lr 0 %.6g vs outputs %.6g (rel %.2g); validation %.6g vs "
                   "outputs %.6g (rel %.2g); epoch 2 resumed within = uninterrupted\n",
                   still.s[2].train_mae, mae_still, e, full.s[2].val_mae, mae_val, ev);
        }
        for (int k = 0; k < 5; k++)
            ct_net_destroy(nets[k]);
        free(p0);
        free(pb);
        free(m);
        free(v);
        for (int k = 0; k < 2; k++) {
            free(Y2[k]);
            free_data(both[k]);
        }
    }
    /* a classifier has no MAE */
    {
        owned data;
        make_data(&data, 60, 3, 3, 0, seed + 9);
        ct_arch a = arch_of(3, 8, 0, 3, CT_ACT_RELU, CT_LOSS_SOFTMAX_CE, 0);
        ct_optim_params o = ct_optim_defaults(CT_OPT_ADAM);
        ct_layout lay;
        ct_arch_layout(&a, &lay);
        float *p0 = malloc(lay.n_params * 4);
        ct_init init = {CT_INIT_AUTO, 0, 0};
        ct_arch_init_params(&a, &init, 0, 4, p0);
        ct_train_opts to;
        memset(&to, 0, sizeof to);
        to.epochs = 1;
        to.batch = 16;
        to.lr = o.lr;
        to.on_epoch = keep_epoch;
        epochs_seen seen;
        memset(&seen, 0, sizeof seen);
        to.user = &seen;
        ct_train_state s;
        ct_train_state_init(&s);
        ct_train_result res;
        ct_net *n = NULL;
        st = ct_net_create(&n, dev, &a, 16, &o, msg);
        if (!st) st = ct_net_set_params(n, p0) || ct_net_upload(n, CT_SLOT_TRAIN, &data.d);
        if (!st) st = ct_train(n, 0, &to, &s, &res, msg);
        EXPECT(st == CT_OK && seen.n == 1 && isnan(seen.s[0].train_mae) &&
                   !isnan(seen.s[0].train_acc),
               "a classifier: MAE %g, accuracy %g (%s)", seen.s[0].train_mae, seen.s[0].train_acc,
               msg);
        ct_net_destroy(n);
        free(p0);
        free_data(&data);
    }

    /* 3b. the CPU comparator (CBLAS products) computes what the reference computes */
    if (ct_have_cblas()) {
        owned data;
        make_data(&data, 150, 6, 3, 0, seed + 5);
        ct_arch a = arch_of(6, 20, 9, 3, CT_ACT_TANH, CT_LOSS_SOFTMAX_CE, 0.1f);
        ct_optim_params o = ct_optim_defaults(CT_OPT_ADAM);
        ct_layout lay;
        ct_arch_layout(&a, &lay);
        ct_net *nr = NULL, *nc = NULL;
        float *p = malloc(lay.n_params * 4), *pr = malloc(lay.n_params * 4),
              *pc = malloc(lay.n_params * 4);
        ct_init init = {CT_INIT_AUTO, 0, 0};
        ct_arch_init_params(&a, &init, 0, 9, p);
        st = ct_net_create_backend(&nr, CT_BACKEND_REFERENCE, NULL, &a, 32, &o, msg);
        if (!st) st = ct_net_create_backend(&nc, CT_BACKEND_CPU, NULL, &a, 32, &o, msg);
        for (int k = 0; !st && k < 2; k++) {
            ct_net *n = k ? nc : nr;
            st = ct_net_set_params(n, p) || ct_net_upload(n, CT_SLOT_TRAIN, &data.d);
            for (int s = 0; !st && s < 4; s++)
                st = ct_net_train_step(n, CT_SLOT_TRAIN, 32 * s, 32, 3, 1, s + 1, 0.01f, 0, s);
            if (!st) st = ct_net_get_params(n, k ? pc : pr);
        }
        EXPECT(st == CT_OK, "CPU comparator: %s", msg);
        if (!st) {
            double d = max_rel_diff(pc, pr, lay.n_params, 1e-3);
            EXPECT(d < 1e-6, "the CPU comparator and the reference differ by %.3g after 4 steps",
                   d);
            printf("CPU comparator vs reference after 4 steps: max rel diff %.3g\n", d);
        }
        EXPECT(ct_net_backend(nc) == CT_BACKEND_CPU, "backend of the CPU comparator");
        ct_net_destroy(nr);
        ct_net_destroy(nc);
        free(p);
        free(pr);
        free(pc);
        free_data(&data);
    }

    /* 4. XOR with a 2-8-1 network reaches 100% */
    {
        float X[8];
        int32_t L[4];
        ct_dataset d = test_xor_dataset(X, L);
        ct_arch a = arch_of(2, 8, 0, 1, CT_ACT_TANH, CT_LOSS_SIGMOID_BCE, 0);
        ct_optim_params o = ct_optim_defaults(CT_OPT_ADAM);
        o.lr = 0.05f;
        ct_net *net = NULL;
        ct_layout lay;
        ct_arch_layout(&a, &lay);
        float p[64];
        ct_init init = {CT_INIT_AUTO, 0, 0};
        ct_arch_init_params(&a, &init, 0, 1, p);
        ct_train_opts to;
        memset(&to, 0, sizeof to);
        to.epochs = 500;
        to.batch = 4;
        to.seed = 1;
        to.lr = o.lr;
        ct_train_state s;
        ct_train_state_init(&s);
        ct_train_result res;
        double loss = NAN, acc = NAN;
        st = ct_net_create(&net, dev, &a, 4, &o, msg);
        if (!st) st = ct_net_set_params(net, p) || ct_net_upload(net, CT_SLOT_TRAIN, &d);
        if (!st) st = ct_train(net, 0, &to, &s, &res, msg);
        if (!st) st = ct_evaluate(net, CT_SLOT_TRAIN, 4, &loss, &acc, msg);
        EXPECT(st == CT_OK && acc == 1.0, "XOR: accuracy %g, loss %g (%s)", acc, loss, msg);
        printf("XOR 2-8-1 tanh, adam: accuracy %g, loss %.4g after %d epochs\n", acc, loss,
               res.epochs_run);
        ct_net_destroy(net);
    }

    /* 5. divergence: an absurd learning rate stops with CT_ERR_NUMERIC naming the step */
    {
        owned data;
        make_data(&data, 64, 3, 0, 1, seed);
        for (int i = 0; i < 64; i++)
            data.Y[i] *= 1e18f;
        ct_arch a = arch_of(3, 8, 0, 1, CT_ACT_RELU, CT_LOSS_MSE, 0);
        ct_optim_params o = ct_optim_defaults(CT_OPT_SGD);
        o.lr = 1e6f;
        ct_status s1;
        msg[0] = '\0';
        float *p = train_run(dev, &a, &o, &data, 5, 8, 0, 0, &s1, msg);
        EXPECT(s1 == CT_ERR_NUMERIC && strstr(msg, "diverged") && strstr(msg, "step"),
               "divergence: status %s, message '%s'", ct_status_name(s1), msg);
        printf("divergence reported as: %s\n", msg);
        free(p);
        free_data(&data);
    }
    /* 6. the plan of a step (what the kernel warm-up helper compiles) is what the step launches,
     *    and planning runs nothing: dropout, l2 and clipping on, a batch of odd size */
    {
        owned data;
        make_data(&data, 45, 7, 3, 0, seed);
        ct_arch a = arch_of(7, 13, 6, 3, CT_ACT_GELU, CT_LOSS_SOFTMAX_CE, 0.25f);
        ct_optim_params o = ct_optim_defaults(CT_OPT_ADAMW);
        o.clip_norm = 1.0f;
        ct_layout lay;
        ct_arch_layout(&a, &lay);
        float *p0 = malloc(lay.n_params * sizeof(float)), *p1 = malloc(lay.n_params * sizeof(float));
        ct_init init = {CT_INIT_AUTO, 0, 0};
        ct_arch_init_params(&a, &init, 0.0f, 5, p0);
        ct_net *net = NULL;
        ct_launch_shape plan[CT_PLAN_MAX], ran[CT_PLAN_MAX];
        int np = 0, nr = 0;
        st = ct_net_create(&net, dev, &a, 19, &o, msg);
        if (!st) st = ct_net_set_params(net, p0) || ct_net_upload(net, CT_SLOT_TRAIN, &data.d);
        if (!st) {
            np = ct_net_plan_step(net, CT_SLOT_TRAIN, 19, 1e-3f, plan, CT_PLAN_MAX);
            st = ct_net_get_params(net, p1);
        }
        EXPECT(st == CT_OK && np >= (dev->cpu ? 6 : 1) && !memcmp(p0, p1, lay.n_params * sizeof(float)),
               "plan: %d shapes, parameters %s (%s)", np,
               st ? "unread" : memcmp(p0, p1, lay.n_params * sizeof(float)) ? "changed" : "kept",
               msg);
        if (!st) {
            ct_device_plan_begin(dev, 1);
            st = ct_net_train_step(net, CT_SLOT_TRAIN, 0, 19, 3, 1, 1, 1e-3f, 1e-3f, 0);
            nr = ct_device_plan_end(dev, ran, CT_PLAN_MAX);
            if (!st) st = ct_net_get_params(net, p1);
        }
        EXPECT(st == CT_OK && memcmp(p0, p1, lay.n_params * sizeof(float)),
               "plan: the recorded step did not run (%s)", msg);
        EXPECT(nr == np && !memcmp(plan, ran, (size_t)np * sizeof *plan),
               "plan: %d shapes planned, %d launched, or in another order", np, nr);
        for (int i = 0; i < np && i < nr; i++)
            if (memcmp(&plan[i], &ran[i], sizeof *plan))
                printf("  shape %d: planned %s %zux%zux%zu, launched %s %zux%zux%zu\n", i,
                       ct_kernel_name(plan[i].id), plan[i].local[0], plan[i].local[1],
                       plan[i].local[2], ct_kernel_name(ran[i].id), ran[i].local[0],
                       ran[i].local[1], ran[i].local[2]);
        printf("plan of a step: %d kernel shapes, as launched\n", np);
        ct_net_destroy(net);
        free(p0);
        free(p1);
        free_data(&data);
    }
    ct_device_destroy(dev);
    return test_summary("test_train");
}
