/* Models and checkpoints in the safetensors layout (see checkpoint.h). */
#include "checkpoint.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "safetensors.h"
#include "strutil.h"

/* ---- a growing string -------------------------------------------------------------------- */

static void sb_string(ct_strbuf *b, const char *s) {
    size_t need = ct_json_escape(NULL, 0, s);
    char *tmp = malloc(need + 1);
    if (!tmp) {
        b->oom = 1;
        return;
    }
    ct_json_escape(tmp, need + 1, s);
    ct_sb_put(b, tmp, strlen(tmp));
    free(tmp);
}

static void sb_string_array(ct_strbuf *b, char *const *names, int n) {
    ct_sb_put(b, "[", 1);
    for (int i = 0; i < n; i++) {
        if (i) ct_sb_put(b, ",", 1);
        sb_string(b, names && names[i] ? names[i] : "");
    }
    ct_sb_put(b, "]", 1);
}

/* shortest decimal that reads back as the same float */
static void sb_float(ct_strbuf *b, double v) {
    if (!isfinite(v)) {
        ct_sb_printf(b, "%s", isnan(v) ? "null" : v > 0 ? "1e308" : "-1e308");
        return;
    }
    ct_sb_printf(b, "%.9g", v);
}

/* ---- names ------------------------------------------------------------------------------- */

static char **dup_names(char *const *src, int n) {
    if (!src || n <= 0) return NULL;
    char **d = calloc((size_t)n, sizeof *d);
    if (!d) return NULL;
    for (int i = 0; i < n; i++) {
        const char *s = src[i] ? src[i] : "";
        d[i] = malloc(strlen(s) + 1);
        if (!d[i]) {
            for (int k = 0; k < i; k++)
                free(d[k]);
            free(d);
            return NULL;
        }
        strcpy(d[i], s);
    }
    return d;
}

void ct_saved_model_free(ct_saved_model *sm) {
    if (!sm) return;
    free(sm->params);
    free(sm->m);
    free(sm->v);
    free(sm->state_note);
    ct_free_strings(sm->class_names, sm->n_classes);
    ct_free_strings(sm->feature_names, sm->features);
    ct_free_strings(sm->target_names, sm->outputs);
    ct_scaler_free(&sm->scaler);
    ct_encoding_free(sm->enc);
    memset(sm, 0, sizeof *sm);
}

ct_status ct_saved_model_describe(ct_saved_model *sm, const ct_dataset *d, const ct_scaler *s,
                                  char msg[CT_MSG_LEN]) {
    sm->task = d->task;
    sm->features = d->features;
    snprintf(sm->label_name, sizeof sm->label_name, "%s", d->label_name);
    sm->label_column = d->label_column;
    sm->feature_names = dup_names(d->feature_names, d->features);
    ct_encoding_free(sm->enc);
    sm->enc = NULL;
    if (d->enc && !(sm->enc = ct_encoding_copy(d->enc))) {
        snprintf(msg, CT_MSG_LEN, "out of host memory");
        return CT_ERR_ALLOC;
    }
    if (d->task == CT_TASK_CLASSIFICATION) {
        sm->n_classes = d->n_classes;
        sm->class_names = dup_names(d->class_names, d->n_classes);
    } else {
        sm->outputs = d->outputs;
        sm->target_names = dup_names(d->target_names, d->outputs);
    }
    if (s && s->mean) {
        sm->has_scaler = 1;
        sm->scaler.features = s->features;
        sm->scaler.mean = malloc((size_t)s->features * sizeof(float));
        sm->scaler.std = malloc((size_t)s->features * sizeof(float));
        if (!sm->scaler.mean || !sm->scaler.std) {
            snprintf(msg, CT_MSG_LEN, "out of host memory");
            return CT_ERR_ALLOC;
        }
        memcpy(sm->scaler.mean, s->mean, (size_t)s->features * sizeof(float));
        memcpy(sm->scaler.std, s->std, (size_t)s->features * sizeof(float));
    }
    if ((d->feature_names && !sm->feature_names) ||
        (d->task == CT_TASK_CLASSIFICATION && d->class_names && !sm->class_names)) {
        snprintf(msg, CT_MSG_LEN, "out of host memory");
        return CT_ERR_ALLOC;
    }
    return CT_OK;
}

/* ---- save -------------------------------------------------------------------------------- */

static char *architecture_json(const ct_arch *a) {
    ct_strbuf b = {0};
    ct_sb_put(&b, "{\"sizes\":[", 10);
    for (int i = 0; i <= a->n_layers; i++)
        ct_sb_printf(&b, "%s%d", i ? "," : "", a->sizes[i]);
    ct_sb_put(&b, "],\"activations\":[", 17);
    for (int i = 0; i + 1 < a->n_layers; i++)
        ct_sb_printf(&b, "%s\"%s\"", i ? "," : "", ct_act_name(a->act[i]));
    ct_sb_put(&b, "],\"alpha\":[", 11);
    for (int i = 0; i + 1 < a->n_layers; i++) {
        if (i) ct_sb_put(&b, ",", 1);
        sb_float(&b, a->alpha[i]);
    }
    ct_sb_put(&b, "],\"dropout\":[", 13);
    for (int i = 0; i + 1 < a->n_layers; i++) {
        if (i) ct_sb_put(&b, ",", 1);
        sb_float(&b, a->dropout[i]);
    }
    ct_sb_put(&b, "]", 1);
    int normed = 0;
    for (int i = 0; i + 1 < a->n_layers; i++)
        normed |= a->norm[i] != CT_NORM_NONE;
    if (normed) { /* written only where a layer has one: older files stay as they were */
        ct_sb_put(&b, ",\"norm\":[", 9);
        for (int i = 0; i + 1 < a->n_layers; i++)
            ct_sb_printf(&b, "%s\"%s\"", i ? "," : "", ct_norm_name(a->norm[i]));
        ct_sb_put(&b, "],\"norm_eps\":[", 14);
        for (int i = 0; i + 1 < a->n_layers; i++) {
            if (i) ct_sb_put(&b, ",", 1);
            sb_float(&b, a->norm_eps[i]);
        }
        ct_sb_put(&b, "],\"norm_momentum\":[", 19);
        for (int i = 0; i + 1 < a->n_layers; i++) {
            if (i) ct_sb_put(&b, ",", 1);
            sb_float(&b, a->norm_momentum[i]);
        }
        ct_sb_put(&b, "]", 1);
    }
    ct_sb_printf(&b, ",\"loss\":\"%s\",\"huber_delta\":", ct_loss_name(a->loss));
    sb_float(&b, a->huber_delta);
    ct_sb_put(&b, "}", 1);
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

static char *state_json(const ct_train_state *s, const char *config, const char *note) {
    ct_strbuf b = {0};
    ct_sb_printf(&b, "{\"epoch\":%d,\"step\":%lld,\"lr_scale\":", s->epoch, s->step);
    sb_float(&b, s->lr_scale);
    ct_sb_put(&b, ",\"best_val\":", 12);
    if (isinf(s->best_val))
        ct_sb_put(&b, "null", 4);
    else
        ct_sb_printf(&b, "%.17g", s->best_val);
    ct_sb_printf(&b, ",\"bad_epochs\":%d,\"plateau_bad\":%d,\"config\":", s->bad_epochs,
                 s->plateau_bad);
    sb_string(&b, config ? config : "");
    if (s->batch > 0) { /* a run stopped within an epoch; written only then, as the note */
        ct_sb_printf(&b, ",\"batch\":%d,\"batch_loss_sum\":", s->batch);
        if (isfinite(s->batch_loss_sum)) /* (a diverged one: null, read back as NaN) */
            ct_sb_printf(&b, "%.17g", s->batch_loss_sum);
        else
            ct_sb_put(&b, "null", 4);
        ct_sb_printf(&b, ",\"batch_correct\":%lld", s->batch_correct);
        if (isfinite(s->batch_abs_sum)) /* a regression's errors (NaN: not kept) */
            ct_sb_printf(&b, ",\"batch_abs_sum\":%.17g", s->batch_abs_sum);
    }
    if (note && *note) {
        ct_sb_put(&b, ",\"note\":", 8);
        sb_string(&b, note);
    }
    ct_sb_put(&b, "}", 1);
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

ct_status ct_saved_model_save(const char *path, const ct_saved_model *sm, char msg[CT_MSG_LEN]) {
    const ct_arch *a = &sm->arch;
    ct_layout lay;
    ct_arch_layout(a, &lay);
    ct_st_tensor t[CT_NORM_TENSORS * CT_MAX_LAYERS + 4];
    ct_tensor_info info[CT_NORM_TENSORS * CT_MAX_LAYERS];
    int nt = 0;
    for (int i = 0; i < a->n_layers; i++) /* each layer kind's tensors, under their names */
        for (int k = 0; ct_layer_tensor(a, &lay, i, k, &info[nt]); k++, nt++) {
            ct_tensor_info *x = &info[nt];
            t[nt] = (ct_st_tensor){
                x->name, x->ndim, {x->shape[0], x->shape[1]}, x->count, sm->params + x->off};
        }
    if (sm->has_scaler) {
        t[nt++] = (ct_st_tensor){
            "scaler.mean", 1, {sm->scaler.features}, (size_t)sm->scaler.features, sm->scaler.mean};
        t[nt++] = (ct_st_tensor){
            "scaler.std", 1, {sm->scaler.features}, (size_t)sm->scaler.features, sm->scaler.std};
    }
    if (sm->has_state && sm->m && sm->v) {
        t[nt++] = (ct_st_tensor){"optim.m", 1, {(int64_t)lay.n_params}, lay.n_params, sm->m};
        t[nt++] = (ct_st_tensor){"optim.v", 1, {(int64_t)lay.n_params}, lay.n_params, sm->v};
    }
    char *arch = architecture_json(a);
    ct_strbuf cls = {0}, feat = {0}, targ = {0};
    sb_string_array(&cls, sm->class_names, sm->task == CT_TASK_CLASSIFICATION ? sm->n_classes : 0);
    sb_string_array(&feat, sm->feature_names, sm->feature_names ? sm->features : 0);
    sb_string_array(&targ, sm->target_names, sm->target_names ? sm->outputs : 0);
    char *state = sm->has_state ? state_json(&sm->state, sm->state_config, sm->state_note) : NULL;
    char *enc = sm->enc ? ct_encoding_to_json(sm->enc) : NULL;
    ct_status st = CT_OK;
    if (!arch || cls.oom || feat.oom || targ.oom || (sm->has_state && !state) ||
        (sm->enc && !enc)) {
        snprintf(msg, CT_MSG_LEN, "out of host memory");
        st = CT_ERR_ALLOC;
    } else {
        char label_index[16] = ""; /* 0-based, as --label INDEX takes it; "" when unknown */
        if (sm->label_column > 0)
            snprintf(label_index, sizeof label_index, "%d", sm->label_column - 1);
        char *keys[] = {"format",  "architecture", "task",    "label",       "label_index",
                        "classes", "features",     "targets", "train_state", "columns"};
        char *vals[] = {"cltrain-1",
                        arch,
                        sm->task == CT_TASK_CLASSIFICATION ? "classification" : "regression",
                        (char *)sm->label_name,
                        label_index,
                        cls.s,
                        feat.s,
                        targ.s,
                        state,
                        enc};
        int nk = 8;
        if (sm->has_state) nk++;
        if (enc) { /* "columns" in the place of an absent train_state */
            keys[nk] = keys[9];
            vals[nk++] = enc;
        }
        st = ct_st_write(path, t, nt, keys, vals, nk, msg);
    }
    free(enc);
    free(arch);
    free(cls.s);
    free(feat.s);
    free(targ.s);
    free(state);
    return st;
}

/* ---- load -------------------------------------------------------------------------------- */

static ct_status bad(char *msg, const char *path, const char *what) {
    snprintf(msg, CT_MSG_LEN, "%s: %s", path, what);
    return CT_ERR_FORMAT;
}

static int json_int(const ct_json *j, int *out) {
    if (!j || j->type != CT_JSON_NUMBER || j->number != floor(j->number) || fabs(j->number) > 1e9)
        return 0;
    *out = (int)j->number;
    return 1;
}

static ct_status parse_names(const char *path, const ct_st_file *f, const char *key, char ***out,
                             int *count, char *msg) {
    *out = NULL;
    *count = 0;
    const char *text = ct_st_meta(f, key);
    if (!text) return CT_OK;
    char err[256];
    ct_json *j = ct_json_parse(text, strlen(text), err, sizeof err);
    if (!j || j->type != CT_JSON_ARRAY) {
        ct_json_free(j);
        snprintf(msg, CT_MSG_LEN, "%s: metadata '%s' is not a JSON array of strings", path, key);
        return CT_ERR_FORMAT;
    }
    char **names = calloc(j->count ? j->count : 1, sizeof *names);
    if (!names) {
        ct_json_free(j);
        snprintf(msg, CT_MSG_LEN, "out of host memory");
        return CT_ERR_ALLOC;
    }
    for (size_t i = 0; i < j->count; i++) {
        if (j->items[i].type != CT_JSON_STRING ||
            !(names[i] = malloc(strlen(j->items[i].string) + 1))) {
            ct_free_strings(names, (int)i);
            ct_json_free(j);
            snprintf(msg, CT_MSG_LEN, "%s: metadata '%s' item %zu is not a string", path, key, i);
            return CT_ERR_FORMAT;
        }
        strcpy(names[i], j->items[i].string);
    }
    *out = names;
    *count = (int)j->count;
    ct_json_free(j);
    return CT_OK;
}

static ct_status parse_arch(const char *path, const char *text, ct_arch *a, char *msg) {
    char err[256];
    ct_json *j = ct_json_parse(text, strlen(text), err, sizeof err);
    ct_status st = CT_ERR_FORMAT;
    memset(a, 0, sizeof *a);
    if (!j || j->type != CT_JSON_OBJECT) {
        snprintf(msg, CT_MSG_LEN, "%s: metadata 'architecture' is not a JSON object%s%s", path,
                 j ? "" : ": ", j ? "" : err);
        goto done;
    }
    const ct_json *sizes = ct_json_get(j, "sizes"), *acts = ct_json_get(j, "activations");
    const ct_json *alpha = ct_json_get(j, "alpha"), *drop = ct_json_get(j, "dropout");
    const ct_json *loss = ct_json_get(j, "loss"), *delta = ct_json_get(j, "huber_delta");
    if (!sizes || sizes->type != CT_JSON_ARRAY || sizes->count < 2 ||
        sizes->count > CT_MAX_LAYERS + 1) {
        snprintf(msg, CT_MSG_LEN, "%s: architecture 'sizes' must list 2 to %d layer sizes", path,
                 CT_MAX_LAYERS + 1);
        goto done;
    }
    a->n_layers = (int)sizes->count - 1;
    for (int i = 0; i <= a->n_layers; i++)
        if (!json_int(&sizes->items[i], &a->sizes[i]) || a->sizes[i] < 1) {
            snprintf(msg, CT_MSG_LEN, "%s: architecture size %d is not a positive integer", path,
                     i);
            goto done;
        }
    size_t hidden = (size_t)a->n_layers - 1;
    if (!acts || acts->type != CT_JSON_ARRAY || acts->count != hidden) {
        snprintf(msg, CT_MSG_LEN, "%s: architecture 'activations' must list %zu names", path,
                 hidden);
        goto done;
    }
    for (size_t i = 0; i < hidden; i++) {
        if (acts->items[i].type != CT_JSON_STRING ||
            !ct_act_parse(acts->items[i].string, &a->act[i])) {
            snprintf(msg, CT_MSG_LEN, "%s: architecture activation %zu is not a known activation",
                     path, i);
            goto done;
        }
        if (alpha && alpha->type == CT_JSON_ARRAY && i < alpha->count &&
            alpha->items[i].type == CT_JSON_NUMBER)
            a->alpha[i] = (float)alpha->items[i].number;
        if (drop && drop->type == CT_JSON_ARRAY && i < drop->count &&
            drop->items[i].type == CT_JSON_NUMBER)
            a->dropout[i] = (float)drop->items[i].number;
    }
    if (!loss || loss->type != CT_JSON_STRING || !ct_loss_parse(loss->string, &a->loss)) {
        snprintf(msg, CT_MSG_LEN, "%s: architecture 'loss' is missing or unknown", path);
        goto done;
    }
    a->huber_delta = delta && delta->type == CT_JSON_NUMBER ? (float)delta->number : 1.0f;
    const ct_json *norm = ct_json_get(j, "norm"), *neps = ct_json_get(j, "norm_eps"),
                  *nmom = ct_json_get(j, "norm_momentum");
    if (norm && (norm->type != CT_JSON_ARRAY || norm->count != hidden)) {
        snprintf(msg, CT_MSG_LEN, "%s: architecture 'norm' must list %zu names", path, hidden);
        goto done;
    }
    for (size_t i = 0; i < hidden; i++) {
        a->norm_eps[i] = CT_NORM_EPS;
        a->norm_momentum[i] = CT_NORM_MOMENTUM;
        if (norm && (norm->items[i].type != CT_JSON_STRING ||
                     !ct_norm_parse(norm->items[i].string, &a->norm[i]))) {
            snprintf(msg, CT_MSG_LEN, "%s: architecture norm %zu is not batch, layer or none", path,
                     i);
            goto done;
        }
        if (neps && neps->type == CT_JSON_ARRAY && i < neps->count &&
            neps->items[i].type == CT_JSON_NUMBER)
            a->norm_eps[i] = (float)neps->items[i].number;
        if (nmom && nmom->type == CT_JSON_ARRAY && i < nmom->count &&
            nmom->items[i].type == CT_JSON_NUMBER)
            a->norm_momentum[i] = (float)nmom->items[i].number;
    }
    st = ct_arch_validate(a, msg);
    if (st != CT_OK) {
        char inner[CT_MSG_LEN];
        snprintf(inner, sizeof inner, "%s", msg);
        snprintf(msg, CT_MSG_LEN, "%.512s: %.3000s", path, inner);
    }
done:
    ct_json_free(j);
    return st;
}

static ct_status parse_state(const char *path, const char *text, ct_saved_model *sm, char *msg) {
    char err[256];
    ct_json *j = ct_json_parse(text, strlen(text), err, sizeof err);
    ct_train_state *s = &sm->state;
    ct_train_state_init(s);
    const ct_json *e = j ? ct_json_get(j, "epoch") : NULL, *st = j ? ct_json_get(j, "step") : NULL;
    const ct_json *lr = j ? ct_json_get(j, "lr_scale") : NULL,
                  *bv = j ? ct_json_get(j, "best_val") : NULL;
    const ct_json *be = j ? ct_json_get(j, "bad_epochs") : NULL,
                  *pb = j ? ct_json_get(j, "plateau_bad") : NULL;
    const ct_json *cf = j ? ct_json_get(j, "config") : NULL;
    const ct_json *ba = j ? ct_json_get(j, "batch") : NULL,
                  *bl = j ? ct_json_get(j, "batch_loss_sum") : NULL,
                  *bc = j ? ct_json_get(j, "batch_correct") : NULL,
                  *ba_abs = j ? ct_json_get(j, "batch_abs_sum") : NULL,
                  *nt = j ? ct_json_get(j, "note") : NULL;
    if (!j || !json_int(e, &s->epoch) || !st || st->type != CT_JSON_NUMBER || !lr ||
        lr->type != CT_JSON_NUMBER) {
        ct_json_free(j);
        return bad(msg, path, "metadata 'train_state' is not a valid training state");
    }
    s->step = (long long)st->number;
    s->lr_scale = lr->number;
    s->best_val = bv && bv->type == CT_JSON_NUMBER ? bv->number : INFINITY;
    if (be) json_int(be, &s->bad_epochs);
    if (pb) json_int(pb, &s->plateau_bad);
    if (cf && cf->type == CT_JSON_STRING)
        snprintf(sm->state_config, sizeof sm->state_config, "%s", cf->string);
    if (ba && (!json_int(ba, &s->batch) || s->batch < 0 || !bl ||
               (bl->type != CT_JSON_NUMBER && bl->type != CT_JSON_NULL) || !bc ||
               bc->type != CT_JSON_NUMBER || bc->number < 0)) {
        ct_json_free(j);
        return bad(msg, path,
                   "metadata 'train_state' has a bad 'batch' (a run stopped in an epoch)");
    }
    if (ba) {
        s->batch_loss_sum = bl->type == CT_JSON_NUMBER ? bl->number : NAN;
        s->batch_correct = (long long)bc->number;
        /* a checkpoint written before the errors were kept: the epoch's MAE is not known */
        s->batch_abs_sum = ba_abs && ba_abs->type == CT_JSON_NUMBER ? ba_abs->number : NAN;
    }
    if (nt && nt->type == CT_JSON_STRING) {
        if (!(sm->state_note = malloc(strlen(nt->string) + 1))) {
            ct_json_free(j);
            snprintf(msg, CT_MSG_LEN, "out of host memory");
            return CT_ERR_ALLOC;
        }
        strcpy(sm->state_note, nt->string);
    }
    ct_json_free(j);
    return CT_OK;
}

static void shape_str(char *dst, size_t n, int ndim, const int64_t *shape) {
    size_t u = (size_t)snprintf(dst, n, "(");
    for (int i = 0; i < ndim && u < n; i++)
        u += (size_t)snprintf(dst + u, n - u, "%s%lld", i ? ", " : "", (long long)shape[i]);
    if (u < n) snprintf(dst + u, n - u, ")");
}

/* Copies tensor `name` of the expected shape into dst. */
static ct_status take(const char *path, const ct_st_file *f, const char *name, int ndim,
                      const int64_t *shape, float *dst, char *msg) {
    const ct_st_tensor *t = ct_st_find(f, name);
    if (!t) {
        snprintf(msg, CT_MSG_LEN, "%s: tensor '%s' is missing", path, name);
        return CT_ERR_FORMAT;
    }
    int same = t->ndim == ndim;
    for (int i = 0; same && i < ndim; i++)
        same = t->shape[i] == shape[i];
    if (!same) {
        char got[96], want[96];
        shape_str(got, sizeof got, t->ndim, t->shape);
        shape_str(want, sizeof want, ndim, shape);
        snprintf(msg, CT_MSG_LEN, "%s: tensor '%s' has shape %s, the architecture needs %s", path,
                 name, got, want);
        return CT_ERR_FORMAT;
    }
    for (size_t i = 0; i < t->count; i++)
        if (!isfinite(t->data[i])) {
            snprintf(msg, CT_MSG_LEN, "%s: tensor '%s' holds a non-finite value at element %zu",
                     path, name, i);
            return CT_ERR_FORMAT;
        }
    memcpy(dst, t->data, t->count * sizeof(float));
    return CT_OK;
}

/* Every layer's tensors into sm->params: weight, bias, and a norm's. */
static ct_status take_layers(const char *path, const ct_st_file *f, ct_saved_model *sm,
                             const ct_layout *lay, char *msg) {
    ct_tensor_info x;
    ct_status st;
    for (int i = 0; i < sm->arch.n_layers; i++)
        for (int k = 0; ct_layer_tensor(&sm->arch, lay, i, k, &x); k++) {
            float *dst = sm->params + x.off;
            if ((st = take(path, f, x.name, x.ndim, x.shape, dst, msg)) != CT_OK) return st;
            for (size_t j = 0; !strcmp(x.field, "running_var") && j < x.count; j++)
                if (!(dst[j] >= 0)) {
                    char w[96];
                    snprintf(w, sizeof w, "tensor '%s' holds a negative variance", x.name);
                    return bad(msg, path, w);
                }
        }
    return CT_OK;
}

ct_status ct_saved_model_set_encoding(ct_saved_model *sm, const ct_json *j, const char *path,
                                      char msg[CT_MSG_LEN]) {
    char where[300];
    snprintf(where, sizeof where, "%s: metadata 'columns'", path);
    ct_status st = ct_encoding_from_json(&sm->enc, j, where, msg);
    if (st != CT_OK) return st;
    int K = ct_encoding_inputs(sm->enc);
    if (K != sm->features)
        return ct_fail_msg(msg, CT_ERR_FORMAT,
                           "%s: the columns' encoding gives %d inputs; layer 0 takes %d", where, K,
                           sm->features);
    /* the input names follow from the encoding */
    char **names = ct_encoding_input_names(sm->enc);
    if (!names) return ct_fail_msg(msg, CT_ERR_ALLOC, "out of host memory");
    if (sm->feature_names) ct_free_strings(sm->feature_names, sm->features);
    sm->feature_names = names;
    return CT_OK;
}

static ct_status ct_saved_model_columns(ct_saved_model *sm, const char *text, const char *path,
                                        char msg[CT_MSG_LEN]) {
    char err[160];
    ct_json *j = ct_json_parse(text, strlen(text), err, sizeof err);
    if (!j) return ct_fail_msg(msg, CT_ERR_FORMAT, "%s: metadata 'columns': %s", path, err);
    ct_status st = ct_saved_model_set_encoding(sm, j, path, msg);
    ct_json_free(j);
    return st;
}

ct_status ct_saved_model_load(const char *path, ct_saved_model *sm, char msg[CT_MSG_LEN]) {
    memset(sm, 0, sizeof *sm);
    ct_st_file *f = NULL;
    ct_status st = ct_st_read(path, &f, msg);
    if (st != CT_OK) return st;
    const char *fmt = ct_st_meta(f, "format"), *arch = ct_st_meta(f, "architecture");
    if (!fmt || strcmp(fmt, "cltrain-1") || !arch) {
        st = bad(
            msg, path,
            "not a cltrain model (metadata 'format' = 'cltrain-1' and 'architecture' expected)");
        goto fail;
    }
    if ((st = parse_arch(path, arch, &sm->arch, msg)) != CT_OK) goto fail;
    const char *task = ct_st_meta(f, "task"), *label = ct_st_meta(f, "label");
    if (label) snprintf(sm->label_name, sizeof sm->label_name, "%s", label);
    const char *label_index = ct_st_meta(f, "label_index");
    if (label_index && *label_index) {
        char *end;
        long k = strtol(label_index, &end, 10);
        if (*end || k < 0 || k > 1 << 24) {
            st = bad(msg, path, "metadata 'label_index' is not a column index");
            goto fail;
        }
        sm->label_column = (int)k + 1;
    }
    sm->task = task && !strcmp(task, "regression") ? CT_TASK_REGRESSION : CT_TASK_CLASSIFICATION;
    int nf = 0, nt = 0, nc = 0;
    if ((st = parse_names(path, f, "classes", &sm->class_names, &nc, msg)) != CT_OK) goto fail;
    sm->n_classes = nc;
    if ((st = parse_names(path, f, "features", &sm->feature_names, &nf, msg)) != CT_OK) goto fail;
    sm->features = nf; /* until the architecture's count below, so that a failure frees them */
    if ((st = parse_names(path, f, "targets", &sm->target_names, &nt, msg)) != CT_OK) goto fail;
    sm->features = sm->arch.sizes[0];
    sm->outputs = sm->arch.sizes[sm->arch.n_layers];
    /* name lists must match their counts (ct_saved_model_free relies on it) */
    if (nf != sm->features) {
        ct_free_strings(sm->feature_names, nf);
        sm->feature_names = NULL;
    }
    if (nt != sm->outputs) {
        ct_free_strings(sm->target_names, nt);
        sm->target_names = NULL;
    }
    if (sm->task == CT_TASK_CLASSIFICATION) {
        int need = sm->arch.loss == CT_LOSS_SIGMOID_BCE ? 2 : sm->outputs;
        if (nc < 2 || nc > need) {
            char w[160];
            snprintf(w, sizeof w,
                     "metadata 'classes' names %d classes; the output layer needs 2 to %d", nc,
                     need);
            st = bad(msg, path, w);
            goto fail;
        }
    } else {
        ct_free_strings(sm->class_names, nc);
        sm->class_names = NULL;
        sm->n_classes = 0;
    }
    ct_layout lay;
    ct_arch_layout(&sm->arch, &lay);
    sm->params = malloc(lay.n_params * sizeof(float));
    if (!sm->params) {
        snprintf(msg, CT_MSG_LEN, "out of host memory");
        st = CT_ERR_ALLOC;
        goto fail;
    }
    if ((st = take_layers(path, f, sm, &lay, msg)) != CT_OK) goto fail;
    const char *columns = ct_st_meta(f, "columns");
    if (columns && (st = ct_saved_model_columns(sm, columns, path, msg)) != CT_OK) goto fail;
    if (ct_st_find(f, "scaler.mean")) {
        int64_t fs[1] = {sm->features};
        sm->has_scaler = 1;
        sm->scaler.features = sm->features;
        sm->scaler.mean = malloc((size_t)sm->features * sizeof(float));
        sm->scaler.std = malloc((size_t)sm->features * sizeof(float));
        if (!sm->scaler.mean || !sm->scaler.std) {
            snprintf(msg, CT_MSG_LEN, "out of host memory");
            st = CT_ERR_ALLOC;
            goto fail;
        }
        if ((st = take(path, f, "scaler.mean", 1, fs, sm->scaler.mean, msg)) != CT_OK ||
            (st = take(path, f, "scaler.std", 1, fs, sm->scaler.std, msg)) != CT_OK)
            goto fail;
        for (int i = 0; i < sm->features; i++)
            if (!(sm->scaler.std[i] > 0)) {
                st = bad(msg, path, "tensor 'scaler.std' holds a value that is not > 0");
                goto fail;
            }
    }
    const char *state = ct_st_meta(f, "train_state");
    if (state) {
        if ((st = parse_state(path, state, sm, msg)) != CT_OK) goto fail;
        int64_t ps[1] = {(int64_t)lay.n_params};
        sm->m = malloc(lay.n_params * sizeof(float));
        sm->v = malloc(lay.n_params * sizeof(float));
        if (!sm->m || !sm->v) {
            snprintf(msg, CT_MSG_LEN, "out of host memory");
            st = CT_ERR_ALLOC;
            goto fail;
        }
        if ((st = take(path, f, "optim.m", 1, ps, sm->m, msg)) != CT_OK ||
            (st = take(path, f, "optim.v", 1, ps, sm->v, msg)) != CT_OK)
            goto fail;
        sm->has_state = 1;
    }
    ct_st_free(f);
    return CT_OK;
fail:
    ct_st_free(f);
    ct_saved_model_free(sm);
    return st;
}
