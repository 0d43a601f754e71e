/* The public API (cltrain.h) as a program uses it: two models on two devices in one process,
 * in one thread and in two at once, give exactly what each gives alone (no global state); the
 * per-epoch callback sees every epoch and can stop; save and load round trips; the reference
 * backend agrees with the device; every failure returns a status and leaves one message;
 * continued runs equal one run, unshuffled epochs, class names. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cltrain.h"
#include "util.h"

typedef struct {
    ct_device *dev;
    const char *source;
    uint64_t seed;
    int epochs;
    float *params; /* out: the trained parameters (malloc'ed) */
    size_t n;
    ct_status st;
    char msg[CT_MSG_LEN];
} job;

/* Loads the data, builds a 2-hidden-layer model, trains it, keeps its parameters. */
static void *run_job(void *arg) {
    job *j = arg;
    ct_dataset *d = NULL;
    ct_model *m = NULL;
    j->params = NULL;
    if ((j->st = ct_data_load(&d, j->source, NULL, j->msg)) != CT_OK) goto done;
    ct_arch a = ct_arch_mlp(2, (const int[]){17, 9}, CT_ACT_TANH);
    if ((j->st = ct_arch_fit_data(&a, d, j->msg)) != CT_OK) goto done;
    if ((j->st = ct_model_create(&m, j->dev, &a, NULL, j->seed, j->msg)) != CT_OK) goto done;
    ct_train_options o;
    ct_train_defaults(&o);
    o.epochs = j->epochs;
    o.batch = 31;
    o.seed = j->seed;
    o.standardize = 1;
    if ((j->st = ct_model_train(m, d, NULL, &o, NULL)) != CT_OK) {
        snprintf(j->msg, sizeof j->msg, "%s", ct_model_error(m));
        goto done;
    }
    j->n = ct_arch_params(&a);
    j->params = malloc(j->n * sizeof(float));
    if (!j->params || (j->st = ct_model_get_params(m, j->params)) != CT_OK) j->st = CT_ERR_ALLOC;
done:
    ct_model_destroy(m);
    ct_data_destroy(d);
    return NULL;
}

static int same_params(const job *a, const job *b) {
    return a->st == CT_OK && b->st == CT_OK && a->n == b->n &&
           memcmp(a->params, b->params, a->n * sizeof(float)) == 0;
}

/* Two models on two devices (two device objects: two contexts and queues), trained in two
 * threads at once, equal the same models trained alone one after the other. */
static void test_two_devices(void) {
    char msg[CT_MSG_LEN];
    ct_device *d1 = NULL, *d2 = NULL;
    if (ct_device_create(&d1, NULL, msg) != CT_OK || ct_device_create(&d2, NULL, msg) != CT_OK) {
        EXPECT(0, "opening two devices: %s", msg);
        ct_device_destroy(d1);
        return;
    }
    job alone[2] = {{d1, "moons:n=600,noise=0.25", 5, 6, NULL, 0, CT_OK, ""},
                    {d2, "blobs:n=500,centers=4", 9, 5, NULL, 0, CT_OK, ""}};
    job both[2] = {alone[0], alone[1]};
    for (int k = 0; k < 2; k++) {
        run_job(&alone[k]);
        EXPECT(alone[k].st == CT_OK, "job %d alone: %s", k, alone[k].msg);
    }
    pthread_t t[2];
    for (int k = 0; k < 2; k++)
        EXPECT(pthread_create(&t[k], NULL, run_job, &both[k]) == 0, "pthread_create %d", k);
    for (int k = 0; k < 2; k++)
        pthread_join(t[k], NULL);
    for (int k = 0; k < 2; k++) {
        EXPECT(both[k].st == CT_OK, "job %d in a thread: %s", k, both[k].msg);
        EXPECT(same_params(&alone[k], &both[k]),
               "model %d trained beside another differs from the same model trained alone", k);
    }
    /* and the two models are not the same model */
    EXPECT(alone[0].n != alone[1].n || memcmp(alone[0].params, alone[1].params, alone[0].n * 4),
           "the two models came out equal");
    for (int k = 0; k < 2; k++) {
        free(alone[k].params);
        free(both[k].params);
    }
    ct_device_destroy(d2);
    ct_device_destroy(d1);
}

typedef struct {
    int calls, stop_at, last_epoch;
    ct_model *other; /* predicted with inside the callback */
    const float *X;
    float *out;
    ct_status other_st;
} cb_state;

static int on_epoch(const ct_epoch_stats *s, void *user) {
    cb_state *c = user;
    c->calls++;
    c->last_epoch = s->epoch;
    if (c->other) c->other_st = ct_model_predict(c->other, c->X, 4, c->out);
    return s->epoch == c->stop_at;
}

/* The callback stops training; a second model on another device is used from inside it; save,
 * load (safetensors and JSON) and the reference give the same predictions. */
static void test_callback_and_files(void) {
    char msg[CT_MSG_LEN];
    ct_device *d1 = NULL, *d2 = NULL;
    ct_dataset *data = NULL;
    ct_model *m = NULL, *other = NULL, *back = NULL, *jback = NULL, *ref = NULL;
    if (ct_device_create(&d1, NULL, msg) != CT_OK || ct_device_create(&d2, NULL, msg) != CT_OK) {
        EXPECT(0, "devices: %s", msg);
        goto done;
    }
    if (ct_data_load(&data, "circles:n=300", NULL, msg) != CT_OK) {
        EXPECT(0, "data: %s", msg);
        goto done;
    }
    ct_arch a = ct_arch_mlp(1, (const int[]){13}, CT_ACT_RELU);
    EXPECT(ct_arch_fit_data(&a, data, msg) == CT_OK, "fit: %s", msg);
    EXPECT(a.sizes[0] == 2 && a.sizes[2] == 1 && a.loss == CT_LOSS_SIGMOID_BCE,
           "fit_data: 2 inputs, 1 output, bce expected; got %d, %d, loss %d", a.sizes[0],
           a.sizes[2], (int)a.loss);
    if (ct_model_create(&m, d1, &a, NULL, 3, msg) != CT_OK ||
        ct_model_create(&other, d2, &a, NULL, 4, msg) != CT_OK) {
        EXPECT(0, "create: %s", msg);
        goto done;
    }
    const float X[8] = {0.1f, 0.2f, -0.9f, 0.3f, 0.5f, -0.5f, 0.0f, 1.0f};
    float before[8], inside[8], after[8];
    EXPECT(ct_model_predict(other, X, 4, before) == CT_OK, "predict: %s", ct_model_error(other));
    cb_state c = {0, 4, 0, other, X, inside, CT_OK};
    ct_train_options o;
    ct_train_defaults(&o);
    o.epochs = 50;
    o.batch = 16;
    o.on_epoch = on_epoch;
    o.user = &c;
    ct_train_result r;
    ct_status st = ct_model_train(m, data, NULL, &o, &r);
    EXPECT(st == CT_OK, "train: %s", ct_model_error(m));
    EXPECT(c.calls == 4 && c.last_epoch == 4 && r.epochs_run == 4 && r.stopped_early,
           "the callback stops at epoch 4: %d calls, last %d, epochs_run %d, stopped %d", c.calls,
           c.last_epoch, r.epochs_run, r.stopped_early);
    EXPECT(r.steps == 4 * ((300 + 15) / 16), "steps %lld, expected %d", r.steps,
           4 * ((300 + 15) / 16));
    EXPECT(c.other_st == CT_OK && !memcmp(before, inside, sizeof before),
           "the other model predicted differently while this one trained");
    EXPECT(ct_model_predict(other, X, 4, after) == CT_OK && !memcmp(before, after, sizeof before),
           "the other model changed");
    for (int i = 0; i < 4; i++)
        EXPECT(fabsf(inside[2 * i] + inside[2 * i + 1] - 1) < 1e-6f && inside[2 * i + 1] >= 0,
               "bce predictions are (1 - p, p): row %d %g %g", i, inside[2 * i], inside[2 * i + 1]);

    /* save and load: the same predictions, on the device and from JSON */
    char st_path[] = "/tmp/ct_api_XXXXXX";
    int fd = mkstemp(st_path);
    if (fd >= 0) close(fd);
    char json_path[64];
    snprintf(json_path, sizeof json_path, "%s.json", st_path);
    float p[8], q[8], pj[8], pr[8];
    EXPECT(ct_model_predict(m, X, 4, p) == CT_OK, "predict: %s", ct_model_error(m));
    EXPECT(ct_model_save(m, st_path) == CT_OK, "save: %s", ct_model_error(m));
    EXPECT(ct_model_save(m, json_path) == CT_OK, "save json: %s", ct_model_error(m));
    if (ct_model_load(&back, d2, st_path, msg) != CT_OK ||
        ct_model_load(&jback, d1, json_path, msg) != CT_OK) {
        EXPECT(0, "load: %s", msg);
        goto cleanup;
    }
    EXPECT(ct_model_predict(back, X, 4, q) == CT_OK && !memcmp(p, q, sizeof p),
           "the loaded model predicts differently");
    EXPECT(ct_model_predict(jback, X, 4, pj) == CT_OK && !memcmp(p, pj, sizeof p),
           "the model loaded from JSON predicts differently");
    EXPECT(ct_model_classes(back) == 2 &&
               !strcmp(ct_model_class_name(back, 1), ct_data_class_name(data, 1)),
           "class names survive the round trip");
    /* the reference backend computes the same up to float rounding */
    if (ct_model_load(&ref, NULL, st_path, msg) == CT_OK) {
        EXPECT(ct_model_predict(ref, X, 4, pr) == CT_OK, "reference predict");
        for (int i = 0; i < 8; i++)
            EXPECT(fabsf(pr[i] - p[i]) <= 1e-5f, "reference %g vs device %g at %d", pr[i], p[i], i);
    } else {
        EXPECT(0, "load on the reference: %s", msg);
    }
    double loss, acc;
    EXPECT(ct_model_evaluate(back, data, 64, &loss, &acc) == CT_OK && loss > 0 && acc > 0.4,
           "evaluate: %s (loss %g, accuracy %g)", ct_model_error(back), loss, acc);
cleanup:
    unlink(st_path);
    unlink(json_path);
done:
    ct_model_destroy(ref);
    ct_model_destroy(jback);
    ct_model_destroy(back);
    ct_model_destroy(other);
    ct_model_destroy(m);
    ct_data_destroy(data);
    ct_device_destroy(d2);
    ct_device_destroy(d1);
}

/* Failures: a status and one message, nothing printed, nothing exits. */
static void test_errors(void) {
    char msg[CT_MSG_LEN];
    ct_dataset *d = NULL;
    float X[4] = {1, 2, NAN, 4};
    int32_t y[2] = {0, 1};
    EXPECT(ct_data_from_arrays(&d, 2, 2, X, y, 2, NULL, 0, "mine", msg) == CT_ERR_NUMERIC && !d &&
               strstr(msg, "mine") && strstr(msg, "row 1") && strstr(msg, "is NaN"),
           "NaN in X: '%s'", msg);
    X[2] = 3;
    y[1] = 2;
    EXPECT(ct_data_from_arrays(&d, 2, 2, X, y, 2, NULL, 0, "mine", msg) == CT_ERR_ARG && !d &&
               strstr(msg, "label of row 1"),
           "label out of range: '%s'", msg);
    y[1] = 1;
    EXPECT(ct_data_from_arrays(&d, 2, 2, X, y, 2, NULL, 0, "mine", msg) == CT_OK && d,
           "good arrays: %s", msg);
    ct_model *m = NULL;
    ct_arch a = ct_arch_mlp(1, (const int[]){3}, CT_ACT_RELU);
    EXPECT(ct_model_create(&m, NULL, &a, NULL, 1, msg) == CT_ERR_ARG && !m &&
               strstr(msg, "CT_LOSS_AUTO"),
           "a loss still AUTO: '%s'", msg);
    EXPECT(ct_model_load(&m, NULL, "/nonexistent/model.safetensors", msg) != CT_OK && !m &&
               strstr(msg, "/nonexistent/model.safetensors"),
           "missing file: '%s'", msg);
    a.sizes[0] = 3; /* the data has 2 features */
    a.sizes[2] = 1;
    a.loss = CT_LOSS_SIGMOID_BCE;
    if (ct_model_create(&m, NULL, &a, NULL, 1, msg) == CT_OK) {
        ct_train_options o;
        ct_train_defaults(&o);
        o.batch = 2;
        o.epochs = 1;
        EXPECT(ct_model_train(m, d, NULL, &o, NULL) == CT_ERR_ARG &&
                   strstr(ct_model_error(m), "3 inputs"),
               "wrong shape: '%s'", ct_model_error(m));
        o.batch = 3;
        EXPECT(ct_model_train(m, d, NULL, &o, NULL) == CT_ERR_ARG &&
                   strstr(ct_model_error(m), "batch"),
               "batch beyond the rows: '%s'", ct_model_error(m));
    } else {
        EXPECT(0, "create: %s", msg);
    }
    ct_device *dev = NULL;
    EXPECT(ct_device_create(&dev, "no-such-device-xyz", msg) == CT_ERR_NO_DEVICE && !dev &&
               strstr(msg, "no-such-device-xyz"),
           "absent device: '%s'", msg);
    EXPECT(!strcmp(ct_version(), CT_VERSION_STRING), "version %s vs %s", ct_version(),
           CT_VERSION_STRING);
    ct_model_destroy(m);
    ct_data_destroy(d);
}

/* Trains a model of `seed` on data for `epochs` epochs of `batch` rows, continuing its last run
 * when asked; 0 on success. */
static int train_more(ct_model *m, const ct_dataset *d, int epochs, int batch, int continue_run,
                      int keep_order, ct_train_result *r) {
    ct_train_options o;
    ct_train_defaults(&o);
    o.epochs = epochs;
    o.batch = batch;
    o.seed = 11;
    o.continue_run = continue_run;
    o.keep_order = keep_order;
    ct_status st = ct_model_train(m, d, NULL, &o, r);
    EXPECT(st == CT_OK, "train (%d epochs, batch %d, continue %d): %s", epochs, batch, continue_run,
           ct_model_error(m));
    return st != CT_OK;
}

/* The trained parameters of a new model (malloc'ed), after `steps` calls of train_more. */
typedef struct {
    int epochs, batch, continue_run, keep_order;
} run_part;

static float *trained(ct_device *dev, const ct_arch *a, const ct_dataset *d, const run_part *parts,
                      int n_parts, int predict_first, ct_train_result *last) {
    char msg[CT_MSG_LEN];
    ct_model *m = NULL;
    float *p = NULL;
    if (ct_model_create(&m, dev, a, NULL, 5, msg) != CT_OK) {
        EXPECT(0, "create: %s", msg);
        return NULL;
    }
    if (predict_first) { /* an engine for 64 rows before training */
        float out[64 * 3];
        EXPECT(ct_model_predict(m, ct_data_x(d), 64, out) == CT_OK, "predict: %s",
               ct_model_error(m));
    }
    for (int i = 0; i < n_parts; i++)
        if (train_more(m, d, parts[i].epochs, parts[i].batch, parts[i].continue_run,
                       parts[i].keep_order, last))
            goto done;
    size_t n = ct_arch_params(a);
    p = malloc(n * sizeof(float));
    if (p && ct_model_get_params(m, p) != CT_OK) {
        free(p);
        p = NULL;
    }
done:
    ct_model_destroy(m);
    return p;
}

/* continue_run: epochs in several calls equal the same epochs in one call, bit for bit, also
 * when a larger batch replaces the engine; keep_order; class names. */
static void test_continue_and_order(void) {
    char msg[CT_MSG_LEN];
    ct_device *dev = NULL;
    ct_dataset *d = NULL;
    ct_model *m = NULL, *back = NULL;
    float *p[8] = {NULL};
    char path[] = "/tmp/ct_api_names_XXXXXX";
    int fd = -1;
    if (ct_device_create(&dev, NULL, msg) != CT_OK ||
        ct_data_load(&d, "blobs:n=200,centers=3", NULL, msg) != CT_OK) {
        EXPECT(0, "device and data: %s", msg);
        goto done;
    }
    ct_arch a = ct_arch_mlp(1, (const int[]){11}, CT_ACT_RELU);
    if (ct_arch_fit_data(&a, d, msg) != CT_OK) {
        EXPECT(0, "fit: %s", msg);
        goto done;
    }
    size_t n = ct_arch_params(&a), bytes = n * sizeof(float);
    ct_train_result r;
    const run_part once[] = {{3, 16, 0, 0}}, parts[] = {{1, 16, 0, 0}, {2, 16, 1, 0}},
                   fresh[] = {{3, 16, 1, 0}}, grow[] = {{1, 8, 0, 0}, {1, 16, 1, 0}},
                   restart[] = {{1, 8, 0, 0}, {1, 16, 0, 0}}, ordered[] = {{3, 16, 0, 1}};
    p[0] = trained(dev, &a, d, once, 1, 0, &r);
    p[1] = trained(dev, &a, d, parts, 2, 0, &r);
    EXPECT(r.epochs_run == 3 && r.steps == 3 * 13, "continued: %d epochs, %lld steps (3, 39)",
           r.epochs_run, r.steps);
    p[2] = trained(dev, &a, d, fresh, 1, 0, &r);
    p[3] = trained(dev, &a, d, grow, 2, 0, &r); /* the engine grows from 8 to 16 rows */
    p[4] = trained(dev, &a, d, grow, 2, 1, &r); /* an engine of 64 rows from the start */
    p[5] = trained(dev, &a, d, restart, 2, 0, &r);
    p[6] = trained(dev, &a, d, ordered, 1, 0, &r);
    p[7] = trained(dev, &a, d, ordered, 1, 0, &r);
    for (int i = 0; i < 8; i++)
        if (!p[i]) goto done;
    EXPECT(!memcmp(p[0], p[1], bytes), "1 + 2 continued epochs differ from 3 epochs in one run");
    EXPECT(!memcmp(p[0], p[2], bytes), "continue_run on a model without a run is not a fresh run");
    EXPECT(!memcmp(p[3], p[4], bytes), "the optimizer state was lost when the engine grew");
    EXPECT(memcmp(p[3], p[5], bytes), "a continued run equals a restarted one");
    EXPECT(!memcmp(p[6], p[7], bytes), "keep_order: two runs differ");
    EXPECT(memcmp(p[6], p[0], bytes), "keep_order gives the shuffled run's weights");

    /* class names: set, refused when they do not fit, saved and loaded */
    if (ct_model_create(&m, dev, &a, NULL, 5, msg) != CT_OK) {
        EXPECT(0, "create: %s", msg);
        goto done;
    }
    const char *names[3] = {"setosa", "versicolor", "virginica"};
    EXPECT(ct_model_set_class_names(m, names, 2) == CT_ERR_ARG &&
               strstr(ct_model_error(m), "2 class names for a model of 3 classes"),
           "2 names for 3 classes: '%s'", ct_model_error(m));
    EXPECT(ct_model_set_class_names(m, names, 3) == CT_OK, "names: %s", ct_model_error(m));
    if ((fd = mkstemp(path)) >= 0) close(fd);
    EXPECT(ct_model_save(m, path) == CT_OK, "save: %s", ct_model_error(m));
    if (ct_model_load(&back, dev, path, msg) == CT_OK)
        EXPECT(ct_model_classes(back) == 3 && !strcmp(ct_model_class_name(back, 2), "virginica"),
               "class names after a round trip: %s", ct_model_class_name(back, 2));
    else
        EXPECT(0, "load: %s", msg);
    unlink(path);
done:
    for (int i = 0; i < 8; i++)
        free(p[i]);
    ct_model_destroy(back);
    ct_model_destroy(m);
    ct_data_destroy(d);
    ct_device_destroy(dev);
}

/* Columns by name through the API: names given to arrays are kept by the model, saved and
 * loaded; ct_model_match_columns maps reordered, extra and missing columns; a CSV with its
 * columns reordered loads into the model's order; default names match by position. */
static void test_columns(void) {
    char msg[CT_MSG_LEN], path[] = "/tmp/ct_api_cols_XXXXXX", csv[64];
    ct_dataset *d = NULL, *f = NULL;
    ct_model *m = NULL, *back = NULL, *plain = NULL;
    enum { N = 40 };
    float X[N * 3], Xr[N * 3], p[N * 2], q[N * 2];
    int32_t y[N];
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < 3; j++)
            X[i * 3 + j] = (float)((i * 7 + j * 13) % 11) / 5.0f - 1.0f;
        y[i] = X[i * 3] + 0.5f * X[i * 3 + 2] > 0;
    }
    int fd = mkstemp(path);
    if (fd >= 0) close(fd);
    snprintf(csv, sizeof csv, "%s.csv", path);
    if (ct_data_from_arrays(&d, N, 3, X, y, 2, NULL, 0, "cols", msg) != CT_OK) {
        EXPECT(0, "arrays: %s", msg);
        goto done;
    }
    const char *names[] = {"a", "b", "c"};
    EXPECT(ct_data_set_feature_names(d, names, 2, msg) == CT_ERR_ARG &&
               strstr(msg, "2 feature names for 3"),
           "a wrong count of names: '%s'", msg);
    EXPECT(ct_data_set_feature_names(d, (const char *[]){"a", "b", "a"}, 3, msg) == CT_ERR_ARG &&
               strstr(msg, "two features are named 'a'"),
           "duplicate names: '%s'", msg);
    EXPECT(ct_data_set_feature_names(d, (const char *[]){"a", "", "c"}, 3, msg) == CT_ERR_ARG &&
               strstr(msg, "feature 1 has an empty name"),
           "an empty name: '%s'", msg);
    EXPECT(ct_data_set_feature_names(d, names, 3, msg) == CT_OK, "names: %s", msg);
    ct_arch a = ct_arch_mlp(1, (const int[]){5}, CT_ACT_TANH);
    EXPECT(ct_arch_fit_data(&a, d, msg) == CT_OK, "fit: %s", msg);
    if (ct_model_create(&m, NULL, &a, NULL, 7, msg) != CT_OK ||
        ct_model_create(&plain, NULL, &a, NULL, 7, msg) != CT_OK) {
        EXPECT(0, "create: %s", msg);
        goto done;
    }
    ct_train_options o;
    ct_train_defaults(&o);
    o.epochs = 3;
    o.batch = 8;
    EXPECT(ct_model_train(m, d, NULL, &o, NULL) == CT_OK, "train: %s", ct_model_error(m));
    EXPECT(ct_model_save(m, path) == CT_OK, "save: %s", ct_model_error(m));
    if (ct_model_load(&back, NULL, path, msg) != CT_OK) {
        EXPECT(0, "load: %s", msg);
        goto done;
    }
    for (int j = 0; j < 3; j++)
        EXPECT(ct_model_feature_name(back, j) && !strcmp(ct_model_feature_name(back, j), names[j]),
               "feature %d named '%s' after a load, expected '%s'", j,
               ct_model_feature_name(back, j) ? ct_model_feature_name(back, j) : "(null)",
               names[j]);
    EXPECT(!ct_model_feature_name(back, 3) && !ct_model_feature_name(back, -1),
           "feature names out of range are NULL");

    /* reordered, with an extra column: the map, the count and the note */
    int map[3] = {-1, -1, -1}, ignored = -1;
    const char *cols[] = {"c", "id", "a", "b"};
    EXPECT(ct_model_match_columns(back, cols, 4, map, &ignored) == CT_OK, "match: %s",
           ct_model_error(back));
    EXPECT(map[0] == 2 && map[1] == 3 && map[2] == 0 && ignored == 1,
           "map %d %d %d ignored %d, expected 2 3 0 and 1", map[0], map[1], map[2], ignored);
    EXPECT(strstr(ct_model_note(back), "column 'id' is not a feature of the model; ignored") !=
               NULL,
           "note '%s'", ct_model_note(back));
    EXPECT(ct_model_match_columns(back, (const char *[]){"c", "a"}, 2, map, NULL) ==
                   CT_ERR_FORMAT &&
               strstr(ct_model_error(back), "no column 'b', a feature of the model"),
           "a missing column: '%s'", ct_model_error(back));
    /* arrays gathered by the map predict as the original */
    int m2[3];
    EXPECT(ct_model_match_columns(back, (const char *[]){"b", "c", "a"}, 3, m2, &ignored) ==
                   CT_OK &&
               ignored == 0 && !ct_model_note(back)[0],
           "match b c a: %s", ct_model_error(back));
    for (int i = 0; i < N; i++)
        for (int j = 0; j < 3; j++)
            Xr[i * 3 + j] = X[i * 3 + (j + 1) % 3]; /* columns b, c, a */
    float Xg[N * 3];
    for (int i = 0; i < N; i++)
        for (int j = 0; j < 3; j++)
            Xg[i * 3 + j] = Xr[i * 3 + m2[j]];
    EXPECT(ct_model_predict(back, X, N, p) == CT_OK && ct_model_predict(back, Xg, N, q) == CT_OK &&
               !memcmp(p, q, sizeof p),
           "predictions of the gathered columns differ");

    /* a CSV with the columns reordered and the label named y: loaded in the model's order */
    FILE *out = fopen(csv, "w");
    if (!out) {
        EXPECT(0, "cannot write %s", csv);
        goto done;
    }
    fputs("b,y,c,a\n", out);
    for (int i = 0; i < N; i++)
        fprintf(out, "%.9g,%d,%.9g,%.9g\n", X[i * 3 + 1], y[i], X[i * 3 + 2], X[i * 3]);
    fclose(out);
    if (ct_model_load_data(back, &f, csv, NULL, "y", 1) != CT_OK) {
        EXPECT(0, "load_data: %s", ct_model_error(back));
    } else {
        EXPECT(ct_data_features(f) == 3 && !memcmp(ct_data_x(f), X, sizeof X) &&
                   !memcmp(ct_data_labels(f), y, sizeof y),
               "the CSV's columns in the model's order and its labels");
        EXPECT(ct_model_note(back)[0] == '\0', "no note: '%s'", ct_model_note(back));
    }
    ct_data_destroy(f);
    f = NULL;
    /* the model's default names (x0, x1, x2): columns by position, their count checked */
    EXPECT(ct_model_match_columns(plain, (const char *[]){"p", "q", "r"}, 3, map, NULL) == CT_OK &&
               map[0] == 0 && map[1] == 1 && map[2] == 2,
           "default names by position: %s", ct_model_error(plain));
    EXPECT(ct_model_match_columns(plain, (const char *[]){"p", "q"}, 2, map, NULL) ==
                   CT_ERR_FORMAT &&
               strstr(ct_model_error(plain), "2 feature columns; the model takes 3"),
           "default names, a wrong count: '%s'", ct_model_error(plain));
done:
    remove(path);
    remove(csv);
    ct_data_destroy(f);
    ct_model_destroy(m);
    ct_model_destroy(back);
    ct_model_destroy(plain);
    ct_data_destroy(d);
}

int main(void) {
    test_two_devices();
    test_callback_and_files();
    test_errors();
    test_continue_and_order();
    test_columns();
    return test_summary("api");
}
