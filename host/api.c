/* The public model API of cltrain.h: a model is a saved model (architecture, parameters,
 * names, scaler) plus the engine (ct_net) that trains and runs it on a device or on the
 * reference. The engine is made when first needed, for the largest batch asked of it. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint.h"
#include "cltrain.h"
#include "jsonmodel.h"
#include "lrfind.h"
#include "strutil.h"
#include "tbevents.h"
#include "train.h"

struct ct_model {
    ct_device *dev;    /* not owned; NULL: the reference backend */
    ct_saved_model sm; /* architecture, parameters (host copy), names, scaler */
    ct_net *net;       /* NULL until needed */
    int net_batch;     /* the engine's largest batch */
    int params_on_net; /* the engine holds newer parameters than sm.params */
    int stats_batch;   /* rows of the training slot that ct_model_layer_stats uses */
    char err[CT_MSG_LEN];
    char note[CT_MSG_LEN];     /* the columns the last data for the model left out */
    int has_run;               /* the engine holds the optimizer state of the last run */
    ct_train_state last_state; /* that run's epochs, steps and early-stopping state */
    ct_train_state *running;   /* the state of the run in progress (ct_model_set_lr), or NULL */
    float running_lr;          /* that run's base learning rate (its optim.lr) */
};

const char *ct_version(void) { return CT_VERSION_STRING; }

/* ---- architecture helpers ----------------------------------------------------------------- */

ct_arch ct_arch_mlp(int n_hidden, const int *hidden, ct_act act) {
    ct_arch a;
    memset(&a, 0, sizeof a);
    if (n_hidden < 0) n_hidden = 0;
    if (n_hidden > CT_MAX_LAYERS - 1) n_hidden = CT_MAX_LAYERS - 1;
    a.n_layers = n_hidden + 1;
    for (int i = 0; i < n_hidden; i++) {
        a.sizes[i + 1] = hidden ? hidden[i] : 0;
        a.act[i] = act;
        a.alpha[i] = ct_act_default_alpha(act);
    }
    for (int i = 0; i < CT_MAX_LAYERS; i++) {
        a.norm_eps[i] = CT_NORM_EPS;
        a.norm_momentum[i] = CT_NORM_MOMENTUM;
    }
    a.loss = CT_LOSS_AUTO;
    a.huber_delta = 1.0f;
    return a;
}

ct_status ct_arch_fit_data(ct_arch *a, const ct_dataset *d, char msg[CT_MSG_LEN]) {
    if (msg) msg[0] = '\0';
    if (!a || !d) return ct_fail_msg(msg, CT_ERR_ARG, "ct_arch_fit_data: a or d is NULL");
    if (a->n_layers < 1 || a->n_layers > CT_MAX_LAYERS)
        return ct_fail_msg(msg, CT_ERR_ARG, "the network needs 1 to %d layers, got %d",
                           CT_MAX_LAYERS, a->n_layers);
    int L = a->n_layers;
    ct_loss loss = a->loss;
    a->sizes[0] = ct_data_features(d);
    if (ct_data_task(d) == CT_TASK_CLASSIFICATION) {
        int k = ct_data_classes(d);
        if (loss == CT_LOSS_AUTO) loss = k == 2 ? CT_LOSS_SIGMOID_BCE : CT_LOSS_SOFTMAX_CE;
        if (loss == CT_LOSS_SIGMOID_BCE && k != 2)
            return ct_fail_msg(msg, CT_ERR_ARG,
                               "--loss bce needs 2 classes; the data has %d (use --loss ce)", k);
        if (loss == CT_LOSS_MSE || loss == CT_LOSS_HUBER)
            return ct_fail_msg(msg, CT_ERR_ARG,
                               "--loss %s needs a regression target; the data has class labels "
                               "(use --task regression for numeric labels)",
                               ct_loss_name(loss));
        a->sizes[L] = loss == CT_LOSS_SIGMOID_BCE ? 1 : k;
    } else {
        if (loss == CT_LOSS_AUTO) loss = CT_LOSS_MSE;
        if (ct_loss_flags(loss) & CT_LOSSF_CLASSES)
            return ct_fail_msg(msg, CT_ERR_ARG,
                               "--loss %s needs class labels; the data has a regression target",
                               ct_loss_name(loss));
        a->sizes[L] = ct_data_outputs(d);
    }
    a->loss = loss;
    return ct_arch_validate(a, msg);
}

size_t ct_arch_params(const ct_arch *a) {
    ct_layout l;
    ct_arch_layout(a, &l);
    return l.n_params;
}

void ct_train_defaults(ct_train_options *o) {
    memset(o, 0, sizeof *o);
    o->epochs = 20;
    o->batch = 32;
    o->seed = 42;
    o->optim = ct_optim_defaults(CT_OPT_ADAM);
    o->schedule.kind = CT_SCHED_CONSTANT;
    o->schedule.step_size = 10;
    o->schedule.gamma = 0.1f;
    o->schedule.factor = 0.1f;
    o->schedule.plateau_patience = 5;
    o->restore_best = 1;
    o->verify_tol = 1e-3;
    o->checkpoint_every = 1;
    o->progress_seconds = 0.1;
}

/* ---- the model ---------------------------------------------------------------------------- */

static ct_status fail(ct_model *m, ct_status st, const char *fmt, ...) CT_PRINTF(3, 4);
static ct_status fail(ct_model *m, ct_status st, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->err, sizeof m->err, fmt, ap);
    va_end(ap);
    return st;
}

/* Fails with the engine's message. */
static ct_status net_fail(ct_model *m, ct_status st) {
    snprintf(m->err, sizeof m->err, "%s", ct_net_error(m->net));
    return st ? st : CT_ERR_OPENCL;
}

/* Frees the names of sm (not the parameters or scaler) and zeroes their counts. */
static void drop_names(ct_saved_model *sm) {
    ct_free_strings(sm->class_names, sm->n_classes);
    ct_free_strings(sm->feature_names, sm->features);
    ct_free_strings(sm->target_names, sm->outputs);
    sm->class_names = sm->feature_names = sm->target_names = NULL;
    sm->n_classes = sm->outputs = 0;
}

ct_status ct_model_create(ct_model **out, ct_device *dev, const ct_arch *a, const ct_init *init,
                          uint64_t seed, char msg[CT_MSG_LEN]) {
    if (msg) msg[0] = '\0';
    if (!out) return ct_fail_msg(msg, CT_ERR_ARG, "ct_model_create: out is NULL");
    *out = NULL;
    if (!a) return ct_fail_msg(msg, CT_ERR_ARG, "ct_model_create: no architecture");
    if (a->loss == CT_LOSS_AUTO)
        return ct_fail_msg(msg, CT_ERR_ARG,
                           "ct_model_create: the loss is CT_LOSS_AUTO; fit the architecture to "
                           "the data first (ct_arch_fit_data) or choose a loss");
    ct_status st = ct_arch_validate(a, msg);
    if (st != CT_OK) return st;
    ct_model *m = calloc(1, sizeof *m);
    if (!m) return ct_fail_msg(msg, CT_ERR_ALLOC, "out of host memory");
    m->dev = dev;
    ct_saved_model *sm = &m->sm;
    sm->arch = *a;
    size_t np = ct_arch_params(a);
    int in = a->sizes[0], outs = a->sizes[a->n_layers];
    sm->params = malloc(np * sizeof(float));
    sm->features = in;
    sm->feature_names = ct_numbered_names(in, "x", 0);
    if (ct_loss_flags(a->loss) & CT_LOSSF_CLASSES) {
        sm->task = CT_TASK_CLASSIFICATION;
        sm->n_classes = a->loss == CT_LOSS_SIGMOID_BCE ? 2 : outs;
        sm->class_names = ct_numbered_names(sm->n_classes, "", 0);
    } else {
        sm->task = CT_TASK_REGRESSION;
        sm->outputs = outs;
        sm->target_names = ct_numbered_names(outs, "y", 1);
    }
    if (!sm->params || !sm->feature_names || (!sm->class_names && !sm->target_names)) {
        ct_model_destroy(m);
        return ct_fail_msg(msg, CT_ERR_ALLOC, "out of host memory");
    }
    ct_init def = {CT_INIT_AUTO, 0, 0};
    const ct_init *i = init ? init : &def;
    ct_arch_init_params(a, i, i->bias_value, seed, sm->params);
    *out = m;
    return CT_OK;
}

ct_status ct_model_load(ct_model **out, ct_device *dev, const char *path, char msg[CT_MSG_LEN]) {
    if (msg) msg[0] = '\0';
    if (!out) return ct_fail_msg(msg, CT_ERR_ARG, "ct_model_load: out is NULL");
    *out = NULL;
    if (!path || !*path) return ct_fail_msg(msg, CT_ERR_ARG, "ct_model_load: no path");
    ct_model *m = calloc(1, sizeof *m);
    if (!m) return ct_fail_msg(msg, CT_ERR_ALLOC, "out of host memory");
    m->dev = dev;
    ct_status st = ct_saved_model_load_any(path, &m->sm, msg);
    if (st != CT_OK) {
        ct_model_destroy(m);
        return st;
    }
    /* names the file did not hold */
    ct_saved_model *sm = &m->sm;
    int outs = ct_model_outputs(m);
    if (!sm->feature_names) {
        sm->features = ct_model_inputs(m);
        sm->feature_names = ct_numbered_names(sm->features, "x", 0);
    }
    if (sm->task == CT_TASK_REGRESSION && !sm->target_names) {
        sm->outputs = outs;
        sm->target_names = ct_numbered_names(outs, "y", 1);
    }
    if (sm->task == CT_TASK_CLASSIFICATION && !sm->class_names) {
        sm->n_classes = sm->arch.loss == CT_LOSS_SIGMOID_BCE ? 2 : outs;
        sm->class_names = ct_numbered_names(sm->n_classes, "", 0);
    }
    if (!sm->feature_names || (sm->task == CT_TASK_REGRESSION && !sm->target_names) ||
        (sm->task == CT_TASK_CLASSIFICATION && !sm->class_names)) {
        ct_model_destroy(m);
        return ct_fail_msg(msg, CT_ERR_ALLOC, "out of host memory");
    }
    /* the optimizer state of a checkpoint is read again on resume */
    free(m->sm.m);
    free(m->sm.v);
    free(m->sm.state_note);
    m->sm.m = m->sm.v = NULL;
    m->sm.state_note = NULL;
    m->sm.has_state = 0;
    *out = m;
    return CT_OK;
}

void ct_model_destroy(ct_model *m) {
    if (!m) return;
    ct_net_destroy(m->net);
    ct_saved_model_free(&m->sm);
    free(m);
}

const char *ct_model_error(const ct_model *m) { return m ? m->err : "no model"; }
const ct_arch *ct_model_arch(const ct_model *m) { return &m->sm.arch; }
ct_device *ct_model_device(const ct_model *m) { return m->dev; }
ct_task ct_model_task(const ct_model *m) { return m->sm.task; }
int ct_model_inputs(const ct_model *m) { return m->sm.arch.sizes[0]; }
int ct_model_outputs(const ct_model *m) { return m->sm.arch.sizes[m->sm.arch.n_layers]; }
int ct_model_classes(const ct_model *m) {
    return m->sm.task == CT_TASK_CLASSIFICATION ? m->sm.n_classes : 0;
}
const char *ct_model_class_name(const ct_model *m, int k) {
    if (m->sm.task != CT_TASK_CLASSIFICATION || k < 0 || k >= m->sm.n_classes || !m->sm.class_names)
        return NULL;
    return m->sm.class_names[k];
}
const char *ct_model_target_name(const ct_model *m, int j) {
    if (m->sm.task != CT_TASK_REGRESSION || j < 0 || j >= ct_model_outputs(m)) return NULL;
    return m->sm.target_names && j < m->sm.outputs ? m->sm.target_names[j] : "";
}
const char *ct_model_label_name(const ct_model *m) { return m->sm.label_name; }
const char *ct_model_feature_name(const ct_model *m, int j) {
    if (j < 0 || j >= ct_model_inputs(m) || !m->sm.feature_names) return NULL;
    return m->sm.feature_names[j];
}
const char *ct_model_note(const ct_model *m) { return m ? m->note : ""; }
int ct_model_predict_columns(const ct_model *m) {
    return m->sm.arch.loss == CT_LOSS_SIGMOID_BCE ? 2 : ct_model_outputs(m);
}

/* Brings sm.params up to date with the engine. */
static ct_status pull_params(ct_model *m) {
    if (!m->params_on_net) return CT_OK;
    ct_status st = ct_net_get_params(m->net, m->sm.params);
    if (st != CT_OK) return net_fail(m, st);
    m->params_on_net = 0;
    return CT_OK;
}

/* An engine for batches up to `batch` rows with optimizer o (NULL: keep the engine's or SGD);
 * a smaller engine is replaced, keeping the parameters. */
static ct_status ensure_net(ct_model *m, int batch, const ct_optim_params *o) {
    ct_status st;
    if (m->net && m->net_batch >= batch) {
        if (o) ct_net_set_optim(m->net, o);
        return CT_OK;
    }
    if ((st = pull_params(m)) != CT_OK) return st;
    ct_net_destroy(m->net);
    m->net = NULL;
    m->net_batch = 0;
    m->stats_batch = 0;
    ct_optim_params def = ct_optim_defaults(CT_OPT_SGD);
    if ((st = ct_net_create(&m->net, m->dev, &m->sm.arch, batch, o ? o : &def, m->err)) != CT_OK)
        return st;
    m->net_batch = batch;
    if ((st = ct_net_set_params(m->net, m->sm.params)) != CT_OK) return net_fail(m, st);
    return CT_OK;
}

ct_status ct_model_get_params(ct_model *m, float *params) {
    ct_status st = pull_params(m);
    if (st != CT_OK) return st;
    memcpy(params, m->sm.params, ct_arch_params(&m->sm.arch) * sizeof(float));
    return CT_OK;
}

ct_status ct_model_set_params(ct_model *m, const float *params) {
    size_t np = ct_arch_params(&m->sm.arch);
    for (size_t i = 0; i < np; i++)
        if (!isfinite(params[i]))
            return fail(m, CT_ERR_NUMERIC, "ct_model_set_params: parameter %zu is %g", i,
                        (double)params[i]);
    memcpy(m->sm.params, params, np * sizeof(float));
    m->params_on_net = 0;
    if (m->net) {
        ct_status st = ct_net_set_params(m->net, m->sm.params);
        if (st != CT_OK) return net_fail(m, st);
    }
    return CT_OK;
}

ct_status ct_model_save(ct_model *m, const char *path) {
    ct_status st = pull_params(m);
    if (st != CT_OK) return st;
    if (!path || !*path) return fail(m, CT_ERR_ARG, "ct_model_save: no path");
    m->sm.has_state = 0;
    if (ct_path_has_ext(path, ".json")) return ct_json_model_save(path, &m->sm, m->err);
    return ct_saved_model_save(path, &m->sm, m->err);
}

/* ---- data for the model ------------------------------------------------------------------- */

/* What the model asks of the columns of data (ct_data_match_columns). */
static ct_data_columns model_columns(const ct_model *m) {
    ct_data_columns c;
    memset(&c, 0, sizeof c);
    c.features = ct_model_inputs(m);
    c.names = m->sm.feature_names;
    c.label_name = m->sm.label_name;
    c.label_index = m->sm.label_column - 1;
    return c;
}

/* The columns of a model trained on a table: its encoding's columns. */
static ct_data_columns model_table_columns(const ct_model *m) {
    ct_data_columns c = model_columns(m);
    if (m->sm.enc) {
        c.enc = m->sm.enc;
        c.features = m->sm.enc->n;
        c.names = m->sm.enc->names;
    }
    return c;
}

ct_status ct_model_load_data(ct_model *m, ct_dataset **out, const char *source,
                             const char *labels_path, const char *label, int require_labels) {
    const ct_saved_model *sm = &m->sm;
    ct_data_opts o;
    memset(&o, 0, sizeof o);
    o.label = label; /* else the model's label column (ct_data_match_columns) */
    o.labels_path = labels_path;
    o.task = sm->task;
    o.seed = 42;
    o.require_labels = require_labels;
    o.class_names = sm->class_names;
    o.n_classes = sm->task == CT_TASK_CLASSIFICATION ? sm->n_classes : 0;
    ct_data_columns cols = model_table_columns(m);
    m->note[0] = '\0';
    ct_status st = ct_data_load_columns(out, source, &o, &cols, m->err);
    if (st != CT_OK) return st;
    ct_dataset *d = *out;
    snprintf(m->note, sizeof m->note, "%s%s%s", cols.note, *cols.note && *d->enc_note ? "; " : "",
             d->enc_note);
    if (d->features != ct_model_inputs(m)) { /* files without names: .npy, .idx, generators */
        fail(m, CT_ERR_ARG, "%s has %d feature columns; the model takes %d", d->source, d->features,
             ct_model_inputs(m));
        ct_data_destroy(d);
        *out = NULL;
        return CT_ERR_ARG;
    }
    return CT_OK;
}

ct_status ct_model_match_columns(ct_model *m, const char *const *names, int cols, int *map,
                                 int *ignored) {
    if (ignored) *ignored = 0;
    m->note[0] = '\0';
    if (cols < 1 || !names || !map)
        return fail(m, CT_ERR_ARG, "ct_model_match_columns: bad arguments (%d columns)", cols);
    int *dest = malloc((size_t)cols * sizeof(int));
    if (!dest) return fail(m, CT_ERR_ALLOC, "out of host memory");
    ct_data_columns c = model_columns(m);
    int label_col = -1;
    ct_status st = ct_data_match_columns(&c, "the data", (char *const *)names, cols, 0, &label_col,
                                         dest, m->err);
    if (st == CT_OK) {
        for (int j = 0; j < cols; j++)
            if (dest[j] >= 0) map[dest[j]] = j;
        if (ignored) *ignored = c.ignored;
        snprintf(m->note, sizeof m->note, "%s", c.note);
    }
    free(dest);
    return st;
}

ct_status ct_model_data_from_cells(ct_model *m, ct_dataset **out, int n, int ncol,
                                   const char *const *cells, const char *const *names,
                                   const int32_t *labels, const float *Y) {
    const ct_saved_model *sm = &m->sm;
    ct_data_opts o;
    memset(&o, 0, sizeof o);
    o.task = sm->task;
    o.seed = 42;
    o.class_names = sm->class_names;
    o.n_classes = sm->task == CT_TASK_CLASSIFICATION ? sm->n_classes : 0;
    ct_data_columns cols = model_table_columns(m);
    if (labels || Y) { /* every column is a feature */
        cols.label_name = NULL;
        cols.label_index = -1;
    }
    m->note[0] = '\0';
    ct_status st = ct_data_cells_columns(out, "X", n, ncol, cells, names, &o, &cols, m->err);
    if (st != CT_OK) return st;
    ct_dataset *d = *out;
    snprintf(m->note, sizeof m->note, "%s%s%s", cols.note, *cols.note && *d->enc_note ? "; " : "",
             d->enc_note);
    if (d->features != ct_model_inputs(m))
        st = fail(m, CT_ERR_ARG, "X has %d feature columns; the model takes %d", d->features,
                  ct_model_inputs(m));
    else if (labels || Y)
        st = ct_data_set_targets(d, labels, o.n_classes, Y, sm->outputs, m->err);
    /* the data is in the model's encoding: training on it (warm start) keeps it */
    if (st == CT_OK && sm->enc && !d->enc && !(d->enc = ct_encoding_copy(sm->enc)))
        st = fail(m, CT_ERR_ALLOC, "out of host memory");
    if (st != CT_OK) {
        ct_data_destroy(d);
        *out = NULL;
    }
    return st;
}

int ct_model_columns(const ct_model *m) { return m && m->sm.enc ? m->sm.enc->n : 0; }

const char *ct_model_column_name(const ct_model *m, int j) {
    return j >= 0 && j < ct_model_columns(m) ? m->sm.enc->names[j] : NULL;
}

int ct_model_column_categorical(const ct_model *m, int j) {
    return j >= 0 && j < ct_model_columns(m) && m->sm.enc->cat[j];
}

/* A copy of n rows X scaled by the model's scaler (malloc'ed; NULL when memory runs out). */
static float *scaled_rows(const ct_model *m, const float *X, int n) {
    size_t F = (size_t)ct_model_inputs(m), cells = (size_t)n * F;
    float *x = malloc((cells ? cells : 1) * sizeof(float));
    if (!x) return NULL;
    for (size_t i = 0; i < cells; i++) {
        size_t j = i % F;
        x[i] = (X[i] - m->sm.scaler.mean[j]) / m->sm.scaler.std[j];
    }
    return x;
}

/* The data as the engine must see it: d itself, or a copy of it with the model's scaler
 * applied (*copy_x then holds the copy's X, freed by the caller). */
static ct_status scaled(ct_model *m, const ct_dataset *d, ct_dataset *view, float **copy_x) {
    *view = *d;
    *copy_x = NULL;
    if (d->features != ct_model_inputs(m))
        return fail(m, CT_ERR_ARG, "%s has %d features; the model takes %d inputs", d->source,
                    d->features, ct_model_inputs(m));
    if (!m->sm.has_scaler) return CT_OK;
    size_t n = (size_t)d->n * d->features;
    float *x = malloc((n ? n : 1) * sizeof(float));
    if (!x) return fail(m, CT_ERR_ALLOC, "out of host memory (%zu floats)", n);
    memcpy(x, d->X, n * sizeof(float));
    view->X = x;
    *copy_x = x;
    return ct_scaler_apply(&m->sm.scaler, view, m->err);
}

/* Uploads d (scaled) into a slot of the engine. */
static ct_status upload(ct_model *m, int slot, const ct_dataset *d) {
    ct_dataset view;
    float *x;
    ct_status st = scaled(m, d, &view, &x);
    if (st == CT_OK && (st = ct_net_upload(m->net, slot, &view)) != CT_OK) net_fail(m, st);
    free(x);
    return st;
}

/* ---- training ----------------------------------------------------------------------------- */

typedef struct {
    ct_model *m;
    const ct_train_options *o;
    ct_train_state *state;
    char config[1024];
    int failed;
    int rank0;              /* this process writes the checkpoint */
    ct_tb_writer *tb_train; /* o->tensorboard_dir's runs (rank 0), or NULL */
    ct_tb_writer *tb_val;
} train_ctx;

/* The epoch's points in the TensorBoard runs (step = the 0-based epoch index), flushed. */
static ct_status write_tensorboard(train_ctx *c, const ct_epoch_stats *s) {
    ct_model *m = c->m;
    const ct_train_options *o = c->o;
    const ct_arch *a = &m->sm.arch;
    long long step = s->epoch - 1;
    ct_tb_writer *w = c->tb_train;
    ct_tb_scalar(w, "epoch_loss", step, s->train_loss);
    if (!isnan(s->train_acc)) ct_tb_scalar(w, "epoch_accuracy", step, s->train_acc);
    if (!isnan(s->train_mae)) ct_tb_scalar(w, "epoch_mae", step, s->train_mae);
    ct_tb_scalar(w, "epoch_learning_rate", step, s->lr);
    char tag[96];
    if (o->tensorboard_stats) {
        ct_layer_stats ls[CT_MAX_LAYERS];
        ct_status st = ct_model_layer_stats(m, ls);
        if (st != CT_OK) return st;
        for (int l = 0; l < a->n_layers; l++) {
            snprintf(tag, sizeof tag, "layer_%d/activation_mean", l);
            ct_tb_scalar(w, tag, step, ls[l].act_mean);
            snprintf(tag, sizeof tag, "layer_%d/activation_std", l);
            ct_tb_scalar(w, tag, step, ls[l].act_std);
            if (l + 1 < a->n_layers && (ct_act_flags(a->act[l]) & CT_ACTF_RELU_LIKE)) {
                snprintf(tag, sizeof tag, "layer_%d/dead_fraction", l);
                ct_tb_scalar(w, tag, step, ls[l].dead_frac);
            }
            snprintf(tag, sizeof tag, "layer_%d/weight_gradient_norm", l);
            ct_tb_scalar(w, tag, step, ls[l].grad_norm);
        }
    }
    if (o->tensorboard_histograms) {
        size_t np = ct_arch_params(a);
        float *p = malloc(np * sizeof(float));
        if (!p) return fail(m, CT_ERR_ALLOC, "out of host memory");
        ct_status st = ct_net_get_params(m->net, p);
        if (st != CT_OK) {
            free(p);
            return net_fail(m, st);
        }
        ct_layout lay;
        ct_arch_layout(a, &lay);
        for (int l = 0; l < a->n_layers; l++) {
            ct_tensor_info ti;
            for (int k = 0; k < 2 && ct_layer_tensor(a, &lay, l, k, &ti); k++) {
                snprintf(tag, sizeof tag, "layer_%d/%s", l, k == 0 ? "weight" : "bias");
                ct_tb_histogram(w, tag, step, p + ti.off, ti.count);
            }
        }
        free(p);
    }
    ct_status st = ct_tb_flush(w, m->err);
    if (st == CT_OK && c->tb_val && !isnan(s->val_loss)) {
        ct_tb_scalar(c->tb_val, "epoch_loss", step, s->val_loss);
        if (!isnan(s->val_acc)) ct_tb_scalar(c->tb_val, "epoch_accuracy", step, s->val_acc);
        if (!isnan(s->val_mae)) ct_tb_scalar(c->tb_val, "epoch_mae", step, s->val_mae);
        st = ct_tb_flush(c->tb_val, m->err);
    }
    return st;
}

static ct_status write_checkpoint(train_ctx *c) {
    ct_model *m = c->m;
    ct_saved_model *sm = &m->sm;
    size_t np = ct_arch_params(&sm->arch);
    ct_status st;
    if (!sm->m) sm->m = malloc(np * sizeof(float));
    if (!sm->v) sm->v = malloc(np * sizeof(float));
    if (!sm->m || !sm->v) return fail(m, CT_ERR_ALLOC, "out of host memory");
    if ((st = ct_net_get_params(m->net, sm->params)) || (st = ct_net_get_state(m->net, 0, sm->m)) ||
        (st = ct_net_get_state(m->net, 1, sm->v))) {
        snprintf(m->err, sizeof m->err, "reading the state for a checkpoint: %s",
                 ct_net_error(m->net));
        return st;
    }
    sm->has_state = 1;
    sm->state = *c->state;
    snprintf(sm->state_config, sizeof sm->state_config, "%s", c->config);
    sm->state_note = (char *)c->o->checkpoint_note; /* borrowed for the save */
    st = ct_saved_model_save(c->o->checkpoint, sm, m->err);
    sm->state_note = NULL;
    sm->has_state = 0;
    return st;
}

static void on_batch(int epoch, int batch, int n_batches, void *user) {
    train_ctx *c = user;
    c->o->on_batch(epoch, batch, n_batches, c->o->user);
}

static void on_plan(const char *plan, void *user) {
    train_ctx *c = user;
    c->o->on_plan(plan, c->o->user);
}

static void on_log(int epoch, long long step, double mean_loss, double lr, void *user) {
    train_ctx *c = user;
    c->o->on_log(epoch, step, mean_loss, lr, c->o->user);
}

static void on_verify(const ct_verify_report *r, void *user) {
    train_ctx *c = user;
    if (c->o->on_verify) c->o->on_verify(r, c->o->user);
}

static int on_epoch(const ct_epoch_stats *s, void *user) {
    train_ctx *c = user;
    const ct_train_options *o = c->o;
    if (o->checkpoint && c->rank0 &&
        (s->epoch % o->checkpoint_every == 0 || s->epoch == o->epochs)) {
        if (write_checkpoint(c) != CT_OK) {
            c->failed = 1;
            return 1;
        }
    }
    if (c->tb_train && write_tensorboard(c, s) != CT_OK) {
        c->failed = 1;
        return 1;
    }
    return o->on_epoch ? o->on_epoch(s, o->user) : 0;
}

static void on_progress(const ct_progress *p, void *user) {
    train_ctx *c = user;
    c->o->on_progress(p, c->o->user);
}

/* Removes what killed saves left beside the checkpoint: PATH.tmp-* (a save in progress in
 * another process would lose its temporary and fail cleanly; two runs must not share a
 * checkpoint anyway). */
static void remove_stale_temporaries(const char *path) {
    const char *slash = strrchr(path, '/');
    char dir[2048];
    if (slash)
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path) ? (int)(slash - path) : 1, path);
    else
        snprintf(dir, sizeof dir, ".");
    char prefix[1024];
    snprintf(prefix, sizeof prefix, "%s.tmp-", slash ? slash + 1 : path);
    DIR *d = opendir(dir);
    if (!d) return;
    size_t n = strlen(prefix);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, prefix, n)) continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
}

static double wall(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Takes the data's task, classes and feature names. */
static ct_status describe(ct_model *m, const ct_dataset *d) {
    ct_saved_model *sm = &m->sm;
    if (d->task != sm->task)
        return fail(m, CT_ERR_ARG, "%s is %s data; the model (loss %s) does %s", d->source,
                    d->task == CT_TASK_CLASSIFICATION ? "classification" : "regression",
                    ct_loss_name(sm->arch.loss),
                    sm->task == CT_TASK_CLASSIFICATION ? "classification" : "regression");
    drop_names(sm);
    return ct_saved_model_describe(sm, d, NULL, m->err);
}

/* Broadcasts rank 0's bytes (a no-op alone). */
static ct_status bcast(ct_model *m, const ct_comm *comm, void *buf, size_t bytes,
                       const char *what) {
    if (!comm || comm->size <= 1) return CT_OK;
    if (comm->broadcast(buf, bytes, 0, comm->ctx) != 0)
        return fail(m, CT_ERR_IO, "broadcasting %s from rank 0 failed", what);
    return CT_OK;
}

/* The number in "|ranks=N" of a run's settings (1 when absent). */
static int config_ranks(const char *config) {
    const char *p = strstr(config, "|ranks=");
    return p ? atoi(p + 7) : 1;
}

/* Rank 0's checkpoint to every rank: its status first, then the weights, optimizer state and
 * training state. */
static ct_status share_resume(ct_model *m, const ct_comm *comm, ct_status st0, ct_saved_model *ck,
                              const char *path) {
    int code = (int)st0;
    ct_status st = bcast(m, comm, &code, sizeof code, "the resume status");
    if (st != CT_OK) return st;
    if (code != CT_OK) {
        if (comm->rank != 0)
            return fail(m, (ct_status)code,
                        "rank 0 could not resume from %s (its message says why)", path);
        return (ct_status)code;
    }
    size_t np = ct_arch_params(&m->sm.arch);
    if (comm->rank != 0) {
        ck->params = malloc(np * sizeof(float));
        ck->m = malloc(np * sizeof(float));
        ck->v = malloc(np * sizeof(float));
        if (!ck->params || !ck->m || !ck->v) return fail(m, CT_ERR_ALLOC, "out of host memory");
    }
    if ((st = bcast(m, comm, ck->params, np * sizeof(float), "the checkpoint's weights")) ||
        (st = bcast(m, comm, ck->m, np * sizeof(float), "the optimizer state")) ||
        (st = bcast(m, comm, ck->v, np * sizeof(float), "the optimizer state")) ||
        (st = bcast(m, comm, &ck->state, sizeof ck->state, "the training state")))
        return st;
    return CT_OK;
}

/* FNV-1a over the bytes of the weights. */
static uint64_t hash_floats(const float *p, size_t n) {
    const unsigned char *b = (const unsigned char *)p;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n * sizeof(float); i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

/* After data-parallel training: every rank's weights must equal rank 0's, bit for bit. */
static ct_status check_same_weights(ct_model *m, const ct_comm *comm) {
    size_t np = ct_arch_params(&m->sm.arch);
    float *p = malloc(np * sizeof(float));
    if (!p) return fail(m, CT_ERR_ALLOC, "out of host memory");
    ct_status st = ct_net_get_params(m->net, p);
    uint64_t mine = hash_floats(p, np), h0 = mine;
    free(p);
    if (st != CT_OK) return net_fail(m, st);
    if ((st = bcast(m, comm, &h0, sizeof h0, "a checksum of the weights")) != CT_OK) return st;
    double differ = mine != h0;
    if (comm->allreduce_sum_f64(&differ, 1, comm->ctx) != 0)
        return fail(m, CT_ERR_IO, "comparing the ranks' weights failed");
    if (differ > 0)
        return fail(m, CT_ERR_NUMERIC,
                    "after training, the weights of %.0f of %d ranks differ from rank 0's%s",
                    differ, comm->size, mine != h0 ? " (this rank's among them)" : "");
    return CT_OK;
}

static ct_status train_run(ct_model *m, const ct_dataset *train, const ct_dataset *val,
                           const ct_train_options *opts, ct_comm *comm, ct_train_result *res_out);

/* Copies the engine's optimizer state (m, v) into two new host arrays, before the engine is
 * replaced by a larger one. */
static ct_status save_state(ct_model *m, float *keep[2]) {
    size_t np = ct_arch_params(&m->sm.arch);
    ct_status st;
    for (int k = 0; k < 2; k++) {
        if (!(keep[k] = malloc(np * sizeof(float)))) {
            st = fail(m, CT_ERR_ALLOC, "out of host memory");
            goto fail;
        }
        if ((st = ct_net_get_state(m->net, k, keep[k])) != CT_OK) {
            net_fail(m, st);
            goto fail;
        }
    }
    return CT_OK;
fail:
    free(keep[0]);
    free(keep[1]);
    keep[0] = keep[1] = NULL;
    return st;
}

/* Reads the checkpoint to resume from and checks that it was made with this run's settings. */
static ct_status read_resume(ct_model *m, const ct_train_options *o, const char *config,
                             const ct_comm *comm, ct_saved_model *ck) {
    ct_status st;
    if (access(o->checkpoint, F_OK) != 0)
        return fail(m, CT_ERR_IO, "--resume: no checkpoint at %s", o->checkpoint);
    if ((st = ct_saved_model_load(o->checkpoint, ck, m->err)) != CT_OK) return st;
    if (!ck->has_state)
        return fail(m, CT_ERR_FORMAT, "--resume: %s is a model without training state",
                    o->checkpoint);
    int k = config_ranks(ck->state_config), n = comm ? comm->size : 1;
    if (k != n)
        return fail(m, CT_ERR_ARG,
                    "--resume: %s was written by a run on %d rank%s; this run has %d: resume with "
                    "the same number (%s%d)",
                    o->checkpoint, k, k == 1 ? "" : "s", n,
                    k == 1 ? "without mpirun, or mpirun -np " : "mpirun -np ", k);
    if (strcmp(ck->state_config, config)) {
        /* the first of the '|'-separated settings that differs, then both strings */
        const char *a = ck->state_config, *b = config;
        while (*a && *a == *b)
            a++, b++;
        while (a > ck->state_config && a[-1] != '|')
            a--, b--;
        int na = (int)strcspn(a, "|"), nb = (int)strcspn(b, "|");
        return fail(m, CT_ERR_ARG,
                    "--resume: %s was made with other settings: its '%.*s', this run's '%.*s' "
                    "(all of its settings: %s; this run's: %s)",
                    o->checkpoint, na, a, nb, b, ck->state_config, config);
    }
    return CT_OK;
}

ct_status ct_checkpoint_read(const char *path, ct_checkpoint_info *info, char msg[CT_MSG_LEN]) {
    memset(info, 0, sizeof *info);
    ct_saved_model ck;
    ct_status st = ct_saved_model_load(path, &ck, msg);
    if (st != CT_OK) return st;
    if (!ck.has_state) {
        snprintf(msg, CT_MSG_LEN, "%s is a model without training state, not a checkpoint", path);
        st = CT_ERR_FORMAT;
    } else {
        const char *note = ck.state_note ? ck.state_note : "";
        info->epoch = ck.state.epoch;
        info->step = ck.state.step;
        info->batch = ck.state.batch;
        if ((info->note = malloc(strlen(note) + 1)) != NULL)
            strcpy(info->note, note);
        else {
            snprintf(msg, CT_MSG_LEN, "out of host memory");
            st = CT_ERR_ALLOC;
        }
    }
    ct_saved_model_free(&ck);
    return st;
}

void ct_checkpoint_info_free(ct_checkpoint_info *info) {
    if (!info) return;
    free(info->note);
    info->note = NULL;
}

ct_status ct_model_train(ct_model *m, const ct_dataset *train, const ct_dataset *val,
                         const ct_train_options *opts, ct_train_result *res_out) {
    return train_run(m, train, val, opts, NULL, res_out);
}

ct_status ct_model_train_parallel(ct_model *m, const ct_dataset *train, const ct_dataset *val,
                                  const ct_train_options *opts, ct_comm *comm,
                                  ct_train_result *res_out) {
    if (comm) {
        comm->exchange_seconds = 0;
        comm->exchanges = 0;
    }
    if (comm && comm->size > 1) {
        if (comm->rank < 0 || comm->rank >= comm->size)
            return fail(m, CT_ERR_ARG, "rank %d of %d ranks", comm->rank, comm->size);
        if (!comm->allreduce_sum_f32 || !comm->allreduce_sum_f64 || !comm->broadcast)
            return fail(m, CT_ERR_ARG, "the communicator lacks a collective function");
    } else {
        comm = NULL;
    }
    return train_run(m, train, val, opts, comm, res_out);
}

/* The options of a run against the data and the ranks; one message. */
static ct_status check_run(ct_model *m, const ct_dataset *train, const ct_train_options *o,
                           const ct_comm *comm) {
    if (!train || train->n < 1) return fail(m, CT_ERR_ARG, "ct_model_train: no training data");
    if (o->epochs < 1) return fail(m, CT_ERR_ARG, "epochs must be >= 1, got %d", o->epochs);
    if (o->batch < 1 || o->batch > train->n)
        return fail(m, CT_ERR_ARG, "the batch must be 1 to the %d training rows of %s, got %d",
                    train->n, train->source, o->batch);
    if (o->checkpoint_every < 1)
        return fail(m, CT_ERR_ARG, "checkpoint_every must be >= 1, got %d", o->checkpoint_every);
    if (o->resume && !o->checkpoint) return fail(m, CT_ERR_ARG, "resume needs a checkpoint path");
    if (comm && o->verify_every > 0)
        return fail(m, CT_ERR_ARG, "live verification does not run data-parallel (%d ranks)",
                    comm->size);
    if (comm && o->batch < comm->size)
        return fail(m, CT_ERR_ARG, "a batch of %d row%s cannot be shared by %d ranks", o->batch,
                    o->batch == 1 ? "" : "s", comm->size);
    if (!(o->optim.lr > 0) || !isfinite(o->optim.lr))
        return fail(m, CT_ERR_ARG, "the learning rate must be positive and finite, got %g",
                    (double)o->optim.lr);
    return CT_OK;
}

/* The engine for a run: a larger one when the batch grew (the optimizer state kept when the
 * run continues the last), fresh state otherwise, and the data uploaded. */
static ct_status prepare_engine(ct_model *m, const ct_dataset *train, const ct_dataset *val,
                                const ct_train_options *o, int cont) {
    ct_status st;
    m->has_run = 0;
    float *keep[2] = {NULL, NULL};
    if (cont && m->net_batch < o->batch && (st = save_state(m, keep)) != CT_OK) return st;
    st = ensure_net(m, o->batch, &o->optim);
    if (st == CT_OK) st = pull_params(m);
    if (st == CT_OK && !cont && (st = ct_net_reset_state(m->net)) != CT_OK) net_fail(m, st);
    if (st == CT_OK && keep[0] &&
        ((st = ct_net_set_state(m->net, 0, keep[0])) ||
         (st = ct_net_set_state(m->net, 1, keep[1]))))
        net_fail(m, st);
    free(keep[0]);
    free(keep[1]);
    if (st != CT_OK) return st;
    ct_net_set_keep_order(m->net, o->keep_order);
    if ((st = upload(m, CT_SLOT_TRAIN, train)) != CT_OK) return st;
    if (val && (st = upload(m, CT_SLOT_VAL, val)) != CT_OK) return st;
    m->stats_batch = o->batch;

    return CT_OK;
}

/* The settings a resumed run must share with its checkpoint, as one string. */
static void run_config(const ct_model *m, const ct_train_options *o, const ct_comm *comm,
                       const char *desc, char *config, size_t cap) {
    snprintf(config, cap, "%s|%s|std=%d|optimizer=%s|lr=%g|batch=%d|seed=%llu", desc,
             o->resume_tag ? o->resume_tag : "", m->sm.has_scaler, ct_optim_name(o->optim.kind),
             (double)o->optim.lr, o->batch, (unsigned long long)o->seed);
    if (comm) {
        size_t len = strlen(config);
        snprintf(config + len, cap - len, "|ranks=%d", comm->size);
    }
    if (o->keep_order) {
        size_t len = strlen(config);
        snprintf(config + len, cap - len, "|keep_order");
    }
}

/* The training loop's options from the caller's; every callback wrapped to pass ctx. */
static void fill_opts(ct_train_opts *to_out, const ct_train_options *o, ct_net *vref,
                      train_ctx *ctx, ct_comm *comm, int epochs) {
    ct_train_opts to;
    memset(&to, 0, sizeof to);
    to.epochs = epochs;
    to.batch = o->batch;
    to.seed = o->seed;
    to.lr = o->optim.lr;
    to.l2 = o->l2;
    to.schedule = o->schedule;
    to.patience = o->patience;
    to.min_delta = o->min_delta;
    to.restore_best = o->restore_best;
    to.log_every = o->log_every;
    to.verify_every = vref ? o->verify_every : 0;
    to.verify_ref = vref;
    to.verify_tol = o->verify_tol > 0 ? o->verify_tol : 1e-3;
    /* train.c passes to.user to every callback: each is wrapped to pass the caller's */
    to.on_verify = on_verify;
    to.on_log = o->on_log ? on_log : NULL;
    to.on_epoch = on_epoch;
    to.on_batch = o->on_batch ? on_batch : NULL;
    to.on_plan = o->on_plan ? on_plan : NULL;
    to.on_progress = o->on_progress ? on_progress : NULL;
    to.progress_seconds = o->progress_seconds;
    to.user = ctx;
    to.comm = comm;
    *to_out = to;
}

static ct_status train_run(ct_model *m, const ct_dataset *train, const ct_dataset *val,
                           const ct_train_options *opts, ct_comm *comm, ct_train_result *res_out) {
    ct_train_options defaults;
    ct_train_defaults(&defaults);
    const ct_train_options *o = opts ? opts : &defaults;
    ct_train_result res_local, *res = res_out ? res_out : &res_local;
    memset(res, 0, sizeof *res);
    m->err[0] = '\0';
    ct_status st;
    ct_saved_model ck;
    memset(&ck, 0, sizeof ck);
    ct_net *vref = NULL;
    if ((st = check_run(m, train, o, comm)) != CT_OK) return st;
    int rank0 = !comm || comm->rank == 0;
    if (val && val->n < 1) val = NULL;

    /* the model takes the data's names and, when asked, a scaler fitted on it */
    if ((st = describe(m, train)) != CT_OK) return st;
    if (o->standardize && !m->sm.has_scaler) {
        if ((st = ct_scaler_fit(&m->sm.scaler, train, m->err)) != CT_OK) return st;
        m->sm.has_scaler = 1;
    }
    char desc[512];
    ct_arch_describe(&m->sm.arch, desc, sizeof desc);

    /* the engine, fresh optimizer state, the data */
    int cont = o->continue_run && !o->resume && m->has_run && m->net;
    if ((st = prepare_engine(m, train, val, o, cont)) != CT_OK) return st;

    ct_train_state state;
    ct_train_state_init(&state);
    if (cont) {
        state = m->last_state;
        state.has_best = 0; /* a run's best-weights snapshot is its own */
        state.batch = 0;    /* an interrupted epoch starts again, on this call's data */
        state.batch_loss_sum = 0;
        state.batch_abs_sum = 0;
        state.batch_correct = 0;
    }
    train_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.m = m;
    ctx.o = o;
    ctx.state = &state;
    run_config(m, o, comm, desc, ctx.config, sizeof ctx.config);
    ctx.rank0 = rank0;
    if (o->checkpoint && rank0) remove_stale_temporaries(o->checkpoint);
    if (o->resume) {
        st = rank0 ? read_resume(m, o, ctx.config, comm, &ck) : CT_OK;
        if (comm) st = share_resume(m, comm, st, &ck, o->checkpoint);
        if (st != CT_OK) goto done;
        state = ck.state;
        state.has_best = 0; /* the best-weights snapshot lives on the device, not in checkpoints */
        if ((st = ct_net_set_params(m->net, ck.params)) != CT_OK ||
            (st = ct_net_set_state(m->net, 0, ck.m)) != CT_OK ||
            (st = ct_net_set_state(m->net, 1, ck.v)) != CT_OK) {
            net_fail(m, st);
            goto done;
        }
        m->params_on_net = 1;
    } else {
        /* every rank starts from rank 0's weights */
        if ((st = bcast(m, comm, m->sm.params, ct_arch_params(&m->sm.arch) * sizeof(float),
                        "the initial weights")) != CT_OK)
            goto done;
        if ((st = ct_net_set_params(m->net, m->sm.params)) != CT_OK) {
            net_fail(m, st);
            goto done;
        }
    }

    if (o->verify_every > 0 && m->dev) {
        if ((st = ct_net_create(&vref, NULL, &m->sm.arch, o->batch, &o->optim, m->err)) != CT_OK)
            goto done;
        ct_dataset view;
        float *x;
        ct_net_set_keep_order(vref, o->keep_order);
        if ((st = scaled(m, train, &view, &x)) == CT_OK &&
            (st = ct_net_upload(vref, CT_SLOT_TRAIN, &view)) != CT_OK)
            snprintf(m->err, sizeof m->err, "%s", ct_net_error(vref));
        free(x);
        if (st != CT_OK) goto done;
    }

    if (o->tensorboard_dir && rank0 &&
        ((st = ct_tb_open(&ctx.tb_train, o->tensorboard_dir, "train", m->err)) != CT_OK ||
         (val &&
          (st = ct_tb_open(&ctx.tb_val, o->tensorboard_dir, "validation", m->err)) != CT_OK)))
        goto done;

    ct_train_opts to;
    fill_opts(&to, o, vref, &ctx, comm, (cont ? state.epoch : 0) + o->epochs);
    double exchange = 0;
    to.exchange_seconds = &exchange;
    to.stop = o->stop;
    double t0 = wall();
    m->params_on_net = 1;
    m->running = &state;
    m->running_lr = o->optim.lr;
    st = ct_train(m->net, val != NULL, &to, &state, res, m->err);
    m->running = NULL;
    res->seconds = wall() - t0;
    m->last_state = state;
    m->has_run = st == CT_OK;
    res->steps = state.step;
    res->resumed_epoch = o->resume ? ck.state.epoch : 0;
    res->resumed_step = o->resume ? ck.state.step : 0;
    res->restored_best = o->patience > 0 && o->restore_best && state.has_best;
    if (ctx.failed && st == CT_OK) st = CT_ERR_IO;
    /* interrupted: the checkpoint at the step where it stopped, which a resume continues */
    if (st == CT_OK && res->interrupted && o->checkpoint && rank0 && state.step > 0)
        st = write_checkpoint(&ctx);
    if (comm) {
        comm->exchange_seconds = exchange;
        comm->exchanges = state.step - res->resumed_step;
        if (st == CT_OK) st = check_same_weights(m, comm);
    }
done:
    ct_tb_close(ctx.tb_train);
    ct_tb_close(ctx.tb_val);
    ct_net_destroy(vref);
    ct_saved_model_free(&ck);
    return st;
}

ct_status ct_model_set_lr(ct_model *m, double lr) {
    if (!m->running)
        return fail(m, CT_ERR_ARG, "ct_model_set_lr: no training run in progress (call it from "
                                   "the on_epoch callback)");
    if (!(lr > 0) || !isfinite(lr))
        return fail(m, CT_ERR_ARG, "ct_model_set_lr: the learning rate must be positive and "
                                   "finite, got %g", lr);
    m->running->lr_scale = lr / m->running_lr;
    return CT_OK;
}

ct_status ct_model_evaluate(ct_model *m, const ct_dataset *d, int batch, double *loss,
                            double *accuracy) {
    if (!d || d->n < 1) return fail(m, CT_ERR_ARG, "ct_model_evaluate: no data");
    if (batch <= 0) batch = 256;
    if (batch > d->n) batch = d->n;
    if (m->net && batch > m->net_batch) batch = m->net_batch;
    ct_status st = ensure_net(m, batch, NULL);
    if (st == CT_OK) st = upload(m, CT_SLOT_TEST, d);
    if (st == CT_OK) st = ct_evaluate(m->net, CT_SLOT_TEST, batch, loss, accuracy, m->err);
    return st;
}

ct_status ct_model_predict(ct_model *m, const float *X, int n, float *out) {
    if (n < 0 || (n > 0 && (!X || !out)))
        return fail(m, CT_ERR_ARG, "ct_model_predict: bad arguments (n %d)", n);
    if (n == 0) return CT_OK;
    int F = ct_model_inputs(m), C = ct_model_outputs(m);
    int bce = m->sm.arch.loss == CT_LOSS_SIGMOID_BCE;
    ct_status st = ensure_net(m, m->net ? m->net_batch : (n < 256 ? n : 256), NULL);
    if (st != CT_OK) return st;
    float *x = NULL, *raw = NULL;
    const float *in = X;
    for (size_t i = 0; i < (size_t)n * F; i++)
        if (!isfinite(X[i]))
            return fail(m, CT_ERR_NUMERIC, "ct_model_predict: row %zu column %zu is %s",
                        i / (size_t)F, i % (size_t)F,
                        isnan(X[i]) ? "NaN"
                        : X[i] > 0  ? "inf"
                                    : "-inf");
    if (m->sm.has_scaler) {
        if (!(x = scaled_rows(m, X, n))) return fail(m, CT_ERR_ALLOC, "out of host memory");
        in = x;
    }
    if (bce && !(raw = malloc((size_t)n * C * sizeof(float)))) {
        free(x);
        return fail(m, CT_ERR_ALLOC, "out of host memory");
    }
    st = ct_net_predict(m->net, in, n, bce ? raw : out);
    if (st != CT_OK) {
        net_fail(m, st);
    } else if (bce) {
        for (int i = 0; i < n; i++) {
            out[2 * (size_t)i] = 1.0f - raw[i];
            out[2 * (size_t)i + 1] = raw[i];
        }
    }
    free(x);
    free(raw);
    return st;
}

ct_status ct_model_layer_stats(ct_model *m, ct_layer_stats *out) {
    if (!m->net || m->stats_batch < 1 || ct_net_rows(m->net, CT_SLOT_TRAIN) < 1)
        return fail(m, CT_ERR_ARG, "layer statistics need training data: call ct_model_train");
    int rows = ct_net_rows(m->net, CT_SLOT_TRAIN);
    int B = rows < m->stats_batch ? rows : m->stats_batch;
    ct_status st = ct_net_layer_stats(m->net, CT_SLOT_TRAIN, B, out);
    if (st != CT_OK) return net_fail(m, st);
    return CT_OK;
}

ct_status ct_model_lr_find(ct_model *m, const ct_dataset *train, const ct_lrfind_opts *o,
                           ct_lrfind_result *r) {
    memset(r, 0, sizeof *r);
    if (!train || train->n < 1) return fail(m, CT_ERR_ARG, "lr-find: no training data");
    if (o->batch < 1 || o->batch > train->n)
        return fail(m, CT_ERR_ARG, "the batch must be 1 to the %d training rows of %s, got %d",
                    train->n, train->source, o->batch);
    ct_status st;
    if ((st = describe(m, train)) != CT_OK) return st;
    if (o->standardize && !m->sm.has_scaler) {
        if ((st = ct_scaler_fit(&m->sm.scaler, train, m->err)) != CT_OK) return st;
        m->sm.has_scaler = 1;
    }
    m->has_run = 0; /* the range test takes the engine's optimizer state */
    ct_optim_params op = o->optim;
    op.lr = (float)o->start_lr;
    if ((st = ensure_net(m, o->batch, &op)) != CT_OK) return st;
    if ((st = pull_params(m)) != CT_OK) return st;
    if ((st = ct_net_reset_state(m->net)) != CT_OK) return net_fail(m, st);
    if ((st = upload(m, CT_SLOT_TRAIN, train)) != CT_OK) return st;
    m->stats_batch = o->batch;
    st = ct_lrfind_run(m->net, o, r, m->err);
    /* the weights as they were */
    ct_status st2 = ct_net_set_params(m->net, m->sm.params);
    if (st == CT_OK && st2 != CT_OK) st = net_fail(m, st2);
    if (st == CT_OK) st = ct_net_reset_state(m->net);
    return st;
}

ct_status ct_model_explain(ct_model *m, ct_device *dev, const float *X, const int *labels,
                           const float *targets, int B, const ct_optim_params *step, ct_pass *out) {
    return ct_model_explain_mode(m, dev, X, labels, targets, B, step, 0, out);
}

ct_status ct_model_explain_mode(ct_model *m, ct_device *dev, const float *X, const int *labels,
                                const float *targets, int B, const ct_optim_params *step, int eval,
                                ct_pass *out) {
    memset(out, 0, sizeof *out);
    if (B < 1 || !X) return fail(m, CT_ERR_ARG, "explain: no input rows");
    ct_status st = pull_params(m);
    if (st != CT_OK) return st;
    float *x = NULL;
    if (m->sm.has_scaler && !(x = scaled_rows(m, X, B)))
        return fail(m, CT_ERR_ALLOC, "out of host memory");
    st = ct_pass_run_mode(dev, &m->sm.arch, m->sm.params, x ? x : X, labels, targets, B, step, eval,
                          out, m->err);
    free(x);
    return st;
}

ct_status ct_model_set_class_names(ct_model *m, const char *const *names, int k) {
    ct_saved_model *sm = &m->sm;
    if (sm->task != CT_TASK_CLASSIFICATION)
        return fail(m, CT_ERR_ARG, "class names for a regression model");
    if (k != sm->n_classes || !names)
        return fail(m, CT_ERR_ARG, "%d class names for a model of %d classes", k, sm->n_classes);
    char **v = calloc((size_t)k, sizeof *v);
    if (!v) return fail(m, CT_ERR_ALLOC, "out of host memory");
    for (int i = 0; i < k; i++) {
        if (!names[i] || !names[i][0]) {
            ct_free_strings(v, k);
            return fail(m, CT_ERR_ARG, "class %d has an empty name", i);
        }
        if (!(v[i] = ct_strdup(names[i]))) {
            ct_free_strings(v, k);
            return fail(m, CT_ERR_ALLOC, "out of host memory");
        }
    }
    ct_free_strings(sm->class_names, sm->n_classes);
    sm->class_names = v;
    return CT_OK;
}
