/* Models as JSON (see jsonmodel.h): a strict reader that names the file, the layer and the
 * field of every problem, and a writer whose numbers read back bit-identically. */
#include "jsonmodel.h"

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "json.h"
#include "strutil.h"

/* The largest JSON model read: its DOM takes a few times the text. */
#define JM_MAX_FILE ((size_t)256 << 20)
/* Sizes beyond this are refused as absurd (as ct_arch_validate does). */
#define JM_MAX_SIZE (1 << 24)
#define JM_MAX_ALPHA 1e6

/* ---- messages ---------------------------------------------------------------------------- */

static ct_status fail(char *msg, const char *path, const char *fmt, ...) CT_PRINTF(3, 4);

/* "path: <what>", CT_ERR_FORMAT */
static ct_status fail(char *msg, const char *path, const char *fmt, ...) {
    char what[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    ct_set_msg(msg, "%.1024s: %s", path, what);
    return CT_ERR_FORMAT;
}

static ct_status oom(char *msg) { return ct_fail_msg(msg, CT_ERR_ALLOC, "out of host memory"); }

/* What a JSON value is, for "expected ..." messages. */
static const char *kind(const ct_json *j) {
    switch (j->type) {
    case CT_JSON_NULL: return "null";
    case CT_JSON_BOOL: return j->boolean ? "true" : "false";
    case CT_JSON_NUMBER: return "a number";
    case CT_JSON_STRING: return "a string";
    case CT_JSON_ARRAY: return "an array";
    case CT_JSON_OBJECT: return "an object";
    }
    return "a value";
}

/* A name from the file fit for a one-line message: control bytes become '?', and a long one is
 * cut at a character boundary after about 100 bytes. */
static const char *shown(const char *s, char out[128]) {
    size_t n = 0;
    for (; s[n] && n < 100; n++)
        out[n] = (unsigned char)s[n] < 0x20 || s[n] == 0x7f ? '?' : s[n];
    if (s[n])
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--; /* s[n] starts a character */
    out[n] = '\0';
    if (s[n] && n + 3 < 128) strcpy(out + n, "...");
    return out;
}

/* Rejects keys of obj outside allowed (NULL-terminated), and repeated keys. where: "" or
 * "layer 2: " or "scaler: ". */
static ct_status check_keys(const ct_json *obj, const char *const *allowed, const char *where,
                            const char *path, char *msg) {
    for (size_t i = 0; i < obj->count; i++) {
        const char *k = obj->keys[i];
        int known = 0;
        for (const char *const *a = allowed; *a && !known; a++)
            known = !strcmp(k, *a);
        if (!known) {
            char list[256] = "";
            size_t u = 0;
            for (const char *const *a = allowed; *a && u < sizeof list; a++)
                u += (size_t)snprintf(list + u, sizeof list - u, "%s'%s'", a == allowed ? "" : ", ",
                                      *a);
            char b[128];
            return fail(msg, path, "%sunknown key '%s' (expected %s)", where, shown(k, b), list);
        }
        for (size_t j = 0; j < i; j++)
            if (!strcmp(k, obj->keys[j])) {
                char b[128];
                return fail(msg, path, "%skey '%s' appears twice", where, shown(k, b));
            }
    }
    return CT_OK;
}

/* A number that fits a float: 1, else 0 (not a number) or -1 (outside the float range). */
static int get_float(const ct_json *j, float *out) {
    if (j->type != CT_JSON_NUMBER) return 0;
    double d = j->number;
    if (!isfinite(d)) return -1;
    /* values up to half an ulp above FLT_MAX still round to FLT_MAX */
    double lim = (double)FLT_MAX + ldexp(1.0, 103);
    if (!(fabs(d) < lim)) return -1;
    *out = fabs(d) <= FLT_MAX ? (float)d : d > 0 ? FLT_MAX : -FLT_MAX;
    return 1;
}

/* ---- names ------------------------------------------------------------------------------- */

/* Default names prefix0, prefix1, ... (n > 0), or NULL when out of memory. */
static char **default_names(const char *prefix, int n) {
    char **v = calloc((size_t)n, sizeof *v);
    if (!v) return NULL;
    for (int i = 0; i < n; i++) {
        char buf[64];
        snprintf(buf, sizeof buf, "%s%d", prefix, i);
        if (!(v[i] = ct_strdup(buf))) {
            ct_free_strings(v, i);
            return NULL;
        }
    }
    return v;
}

/* Reads the optional array of strings `key` of root into *out (count in *n); its length must
 * lie in [lo, hi], described by `need` in the message ("layer 0 has 2 inputs"). */
static ct_status get_names(const ct_json *root, const char *key, int lo, int hi, const char *need,
                           const char *path, char ***out, int *n, char *msg) {
    *out = NULL;
    *n = 0;
    const ct_json *j = ct_json_get(root, key);
    if (!j) return CT_OK;
    if (j->type != CT_JSON_ARRAY)
        return fail(msg, path, "'%s' is %s, expected an array of strings", key, kind(j));
    for (size_t i = 0; i < j->count; i++)
        if (j->items[i].type != CT_JSON_STRING)
            return fail(msg, path, "%s[%zu] is %s, expected a string", key, i, kind(&j->items[i]));
    if (j->count < (size_t)lo || j->count > (size_t)hi)
        return fail(msg, path, "'%s' has %zu names, but %s", key, j->count, need);
    char **v = calloc(j->count, sizeof *v);
    if (!v) return oom(msg);
    for (size_t i = 0; i < j->count; i++)
        if (!(v[i] = ct_strdup(j->items[i].string))) {
            ct_free_strings(v, (int)i);
            return oom(msg);
        }
    *out = v;
    *n = (int)j->count;
    return CT_OK;
}

/* ---- load -------------------------------------------------------------------------------- */

/* The loss names of the file format (ct_loss_short_name) and the output activation each loss
 * implies (ct_loss_output_act) come from CT_LOSS_LIST. */

static int name_ieq(const char *a, const char *b) {
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return 0;
    return *a == *b;
}

/* Whether the output layer's activation name agrees with the loss. A linear output (identity,
 * linear, none) goes with every loss: with ce and bce it is a PyTorch model's nn.Linear before
 * CrossEntropyLoss / BCEWithLogitsLoss, whose logits are what the loss takes, as here. */
static int output_act_ok(const char *s, ct_loss loss) {
    ct_act a;
    if (ct_act_parse(s, &a) && a == CT_ACT_IDENTITY) return 1;
    switch (loss) {
    case CT_LOSS_SOFTMAX_CE: return name_ieq(s, "softmax");
    case CT_LOSS_SIGMOID_BCE: return name_ieq(s, "sigmoid");
    default: return 0;
    }
}

static int uses_alpha(ct_act a) { return ct_act_flags(a) & CT_ACTF_ALPHA; }

/* A layer's "norm" and its fields: kind, eps, momentum, and the lengths of its arrays. */
static ct_status check_norm(const ct_json *L, int l, int output, size_t rows, ct_arch *a,
                            const char *path, char *msg) {
    static const char *const arrays[] = {"norm_weight", "norm_bias", "running_mean", "running_var"};
    const ct_json *n = ct_json_get(L, "norm"), *eps = ct_json_get(L, "norm_eps"),
                  *mom = ct_json_get(L, "norm_momentum");
    char nb[128];
    a->norm[l] = CT_NORM_NONE;
    a->norm_eps[l] = CT_NORM_EPS;
    a->norm_momentum[l] = CT_NORM_MOMENTUM;
    if (n && output)
        return fail(msg, path, "layer %d: 'norm' applies to hidden layers, not the output layer",
                    l);
    if (n && (n->type != CT_JSON_STRING || !ct_norm_parse(n->string, &a->norm[l])))
        return fail(msg, path,
                    "layer %d: norm is %s%s%s, expected \"batch\", \"layer\" or \"none\"", l,
                    n->type == CT_JSON_STRING ? "'" : kind(n),
                    n->type == CT_JSON_STRING ? shown(n->string, nb) : "",
                    n->type == CT_JSON_STRING ? "'" : "");
    ct_norm k = a->norm[l];
    for (int i = 0; i < 4; i++) {
        const ct_json *v = ct_json_get(L, arrays[i]);
        if (!v) continue;
        if (k == CT_NORM_NONE || (i >= 2 && k != CT_NORM_BATCH))
            return fail(msg, path, "layer %d: '%s' applies only with \"norm\": \"%s\"", l,
                        arrays[i], i >= 2 ? "batch" : "batch\" or \"layer");
        if (v->type != CT_JSON_ARRAY || v->count != rows)
            return fail(msg, path, "layer %d: %s is %s of %zu, expected an array of %zu numbers", l,
                        arrays[i], kind(v), v->type == CT_JSON_ARRAY ? v->count : 0, rows);
    }
    if ((eps || mom) && k == CT_NORM_NONE)
        return fail(msg, path, "layer %d: '%s' applies only with a 'norm'", l,
                    eps ? "norm_eps" : "norm_momentum");
    if (mom && k != CT_NORM_BATCH)
        return fail(msg, path, "layer %d: 'norm_momentum' applies only to \"norm\": \"batch\"", l);
    if (eps && (get_float(eps, &a->norm_eps[l]) != 1 || !(a->norm_eps[l] > 0)))
        return fail(msg, path, "layer %d: norm_eps is %s, expected a number > 0", l,
                    eps->type == CT_JSON_NUMBER ? "out of range" : kind(eps));
    if (mom && (get_float(mom, &a->norm_momentum[l]) != 1 ||
                !(a->norm_momentum[l] >= 0 && a->norm_momentum[l] <= 1)))
        return fail(msg, path, "layer %d: norm_momentum is %s, expected a number from 0 to 1", l,
                    mom->type == CT_JSON_NUMBER ? "out of range" : kind(mom));
    return CT_OK;
}

/* The weight's rows: an array of equally long arrays; *cols gets their length. */
static ct_status check_weight_rows(const ct_json *w, int l, size_t *cols, const char *path,
                                   char *msg) {
    if (!w) return fail(msg, path, "layer %d: 'weight' is missing", l);
    if (w->type != CT_JSON_ARRAY)
        return fail(msg, path,
                    "layer %d: weight is %s, expected an array of rows (arrays of "
                    "numbers, one row per output)",
                    l, kind(w));
    if (w->count == 0)
        return fail(msg, path, "layer %d: weight is empty (it needs one row per output)", l);
    for (size_t r = 0; r < w->count; r++) {
        const ct_json *row = &w->items[r];
        if (row->type != CT_JSON_ARRAY)
            return fail(msg, path, "layer %d: weight row %zu is %s, expected an array of numbers",
                        l, r, kind(row));
        if (row->count == 0)
            return fail(msg, path,
                        "layer %d: weight row %zu is empty (it needs one number per "
                        "input)",
                        l, r);
        if (r == 0)
            *cols = row->count;
        else if (row->count != *cols)
            return fail(msg, path,
                        "layer %d: weight row %zu has %zu numbers but row 0 has %zu "
                        "(the weight must be rectangular)",
                        l, r, row->count, *cols);
    }
    return CT_OK;
}

/* One layer's shape, activation and alpha; the numbers come later (fill_layer). */
static ct_status check_layer(const ct_json *L, int l, int n_layers, const char *loss_text,
                             ct_arch *a, const char *path, char *msg) {
    static const char *const keys[] = {
        "weight",    "bias",         "activation",  "alpha",    "norm",          "norm_weight",
        "norm_bias", "running_mean", "running_var", "norm_eps", "norm_momentum", NULL};
    char where[32];
    snprintf(where, sizeof where, "layer %d: ", l);
    if (L->type != CT_JSON_OBJECT)
        return fail(msg, path,
                    "layer %d is %s, expected an object with 'weight', 'bias' and "
                    "'activation'",
                    l, kind(L));
    ct_status st = check_keys(L, keys, where, path, msg);
    if (st != CT_OK) return st;
    const ct_json *w = ct_json_get(L, "weight"), *b = ct_json_get(L, "bias");
    const ct_json *act = ct_json_get(L, "activation"), *alpha = ct_json_get(L, "alpha");
    size_t cols = 0;
    if ((st = check_weight_rows(w, l, &cols, path, msg)) != CT_OK) return st;
    size_t rows = w->count;
    if (rows > JM_MAX_SIZE || cols > JM_MAX_SIZE)
        return fail(msg, path,
                    "layer %d: weight is %zu x %zu; at most %d rows and columns are "
                    "supported",
                    l, rows, cols, JM_MAX_SIZE);
    if (l == 0)
        a->sizes[0] = (int)cols;
    else if ((int)cols != a->sizes[l])
        return fail(msg, path, "layer %d: weight has %zu columns but layer %d has %d outputs", l,
                    cols, l - 1, a->sizes[l]);
    a->sizes[l + 1] = (int)rows;
    if (b) {
        if (b->type != CT_JSON_ARRAY)
            return fail(msg, path, "layer %d: bias is %s, expected an array of %zu numbers", l,
                        kind(b), rows);
        if (b->count != rows)
            return fail(msg, path,
                        "layer %d: bias has %zu numbers but the weight has %zu rows "
                        "(outputs)",
                        l, b->count, rows);
    }
    int output = l == n_layers - 1;
    if ((st = check_norm(L, l, output, rows, a, path, msg)) != CT_OK) return st;
    if (output && a->loss == CT_LOSS_SOFTMAX_CE && rows < 2)
        return fail(msg, path,
                    "layer %d: weight has 1 row, but loss 'ce' needs at least 2 "
                    "outputs (use bce for one output)",
                    l);
    char nb[128];
    if (act && act->type != CT_JSON_STRING)
        return fail(msg, path, "layer %d: activation is %s, expected a name", l, kind(act));
    if (output) {
        if (act && !output_act_ok(act->string, a->loss))
            return fail(msg, path,
                        "layer %d: activation '%s' on the output layer does not go "
                        "with loss '%s' (use %s%s)",
                        l, shown(act->string, nb), loss_text, ct_loss_output_act(a->loss),
                        a->loss <= CT_LOSS_SIGMOID_BCE ? " or linear: the logits" : "");
        if (alpha)
            return fail(msg, path,
                        "layer %d: 'alpha' does not apply to the output layer (its "
                        "activation is %s, fused into the loss)",
                        l, ct_loss_output_act(a->loss));
        return CT_OK;
    }
    if (!act) {
        char names[256];
        ct_act_list_text(names, sizeof names, CT_ACT_IDENTITY, "linear");
        return fail(msg, path, "layer %d: 'activation' is missing (a hidden layer needs one: %s)",
                    l, names);
    }
    if (name_ieq(act->string, "softmax"))
        return fail(msg, path,
                    "layer %d: activation 'softmax' is only possible on the output "
                    "layer, with loss 'ce'",
                    l);
    char names[256];
    ct_act_list_text(names, sizeof names, CT_ACT_IDENTITY, "linear");
    if (!ct_act_parse(act->string, &a->act[l]))
        return fail(msg, path, "layer %d: unknown activation '%s' (expected %s)", l,
                    shown(act->string, nb), names);
    a->alpha[l] = ct_act_default_alpha(a->act[l]);
    if (alpha) {
        if (!uses_alpha(a->act[l]))
            return fail(msg, path, "layer %d: 'alpha' applies only to leaky_relu and elu, not %s",
                        l, ct_act_name(a->act[l]));
        float v = 0;
        int r = get_float(alpha, &v);
        if (r == 0)
            return fail(msg, path, "layer %d: alpha is %s, expected a number from 0 to %g", l,
                        kind(alpha), JM_MAX_ALPHA);
        if (r < 0 || !(v >= 0 && v <= JM_MAX_ALPHA))
            return fail(msg, path, "layer %d: alpha is %g, expected a number from 0 to %g", l,
                        alpha->number, JM_MAX_ALPHA);
        a->alpha[l] = v;
    }
    return CT_OK;
}

/* Copies n numbers of arr into dst; field names the array in messages ("weight[2]"). */
static ct_status fill_numbers(const ct_json *arr, float *dst, int l, const char *field,
                              const char *path, char *msg) {
    for (size_t i = 0; i < arr->count; i++) {
        int r = get_float(&arr->items[i], &dst[i]);
        if (r == 0)
            return fail(msg, path, "layer %d: %s[%zu] is %s, expected a number", l, field, i,
                        kind(&arr->items[i]));
        if (r < 0)
            return fail(msg, path, "layer %d: %s[%zu] is %g, outside the range of a float", l,
                        field, i, arr->items[i].number);
    }
    return CT_OK;
}

static ct_status fill_layer(const ct_json *L, int l, const ct_arch *a, const ct_layout *lay,
                            float *params, const char *path, char *msg) {
    ct_tensor_info x; /* a norm's tensors; absent: PyTorch's initial values */
    ct_norm_init_params(a, lay, l, params);
    for (int k = 2; ct_layer_tensor(a, lay, l, k, &x); k++) {
        const ct_json *v = ct_json_get(L, x.field);
        ct_status st = v ? fill_numbers(v, params + x.off, l, x.field, path, msg) : CT_OK;
        if (st != CT_OK) return st;
        for (size_t j = 0; !strcmp(x.field, "running_var") && j < x.count; j++)
            if (!(params[x.off + j] >= 0))
                return fail(msg, path, "layer %d: running_var[%zu] is %g, expected a number >= 0",
                            l, j, (double)params[x.off + j]);
    }
    const ct_json *w = ct_json_get(L, "weight"), *b = ct_json_get(L, "bias");
    size_t cols = w->items[0].count;
    for (size_t r = 0; r < w->count; r++) {
        char field[48];
        snprintf(field, sizeof field, "weight[%zu]", r);
        ct_status st =
            fill_numbers(&w->items[r], params + lay->w_off[l] + r * cols, l, field, path, msg);
        if (st != CT_OK) return st;
    }
    if (b) return fill_numbers(b, params + lay->b_off[l], l, "bias", path, msg);
    return CT_OK; /* the buffer is zeroed: a missing bias is zeros */
}

static ct_status load_scaler(const ct_json *root, ct_saved_model *sm, const char *path, char *msg) {
    static const char *const keys[] = {"mean", "std", NULL};
    const ct_json *s = ct_json_get(root, "scaler");
    if (!s) return CT_OK;
    if (s->type != CT_JSON_OBJECT)
        return fail(msg, path, "'scaler' is %s, expected an object with 'mean' and 'std'", kind(s));
    ct_status st = check_keys(s, keys, "scaler: ", path, msg);
    if (st != CT_OK) return st;
    int F = sm->features;
    sm->scaler.features = F;
    sm->scaler.mean = calloc((size_t)F, sizeof(float));
    sm->scaler.std = calloc((size_t)F, sizeof(float));
    sm->has_scaler = 1;
    if (!sm->scaler.mean || !sm->scaler.std) return oom(msg);
    for (int k = 0; k < 2; k++) {
        const char *key = keys[k];
        const ct_json *v = ct_json_get(s, key);
        float *dst = k ? sm->scaler.std : sm->scaler.mean;
        if (!v) return fail(msg, path, "scaler: '%s' is missing", key);
        if (v->type != CT_JSON_ARRAY)
            return fail(msg, path,
                        "scaler: %s is %s, expected an array of %d numbers (one per "
                        "input)",
                        key, kind(v), F);
        if (v->count != (size_t)F)
            return fail(msg, path, "scaler: %s has %zu numbers but layer 0 has %d inputs", key,
                        v->count, F);
        for (size_t i = 0; i < v->count; i++) {
            int r = get_float(&v->items[i], &dst[i]);
            if (r != 1)
                return fail(msg, path, "scaler: %s[%zu] is %s, expected a %snumber", key, i,
                            kind(&v->items[i]), r < 0 ? "float-sized " : "");
            if (k == 1 && !(dst[i] > 0))
                return fail(msg, path, "scaler: std[%zu] is %g, expected a number > 0", i,
                            (double)dst[i]);
        }
    }
    return CT_OK;
}

/* Parses the DOM into sm (zeroed by the caller); sm may be half-filled on failure. */
static ct_status load_dom(const ct_json *root, ct_saved_model *sm, const char *path, char *msg) {
    static const char *const keys[] = {"layers",      "loss",    "huber_delta", "classes",
                                       "features",    "targets", "scaler",      "label",
                                       "label_index", "columns",     NULL};
    ct_arch *a = &sm->arch;
    if (root->type != CT_JSON_OBJECT)
        return fail(msg, path, "the model is %s, expected an object with 'layers' and 'loss'",
                    kind(root));
    ct_status st = check_keys(root, keys, "", path, msg);
    if (st != CT_OK) return st;
    const ct_json *layers = ct_json_get(root, "layers"), *loss = ct_json_get(root, "loss");
    const ct_json *delta = ct_json_get(root, "huber_delta");
    if (!layers) return fail(msg, path, "'layers' is missing (an array of layers)");
    if (layers->type != CT_JSON_ARRAY)
        return fail(msg, path, "'layers' is %s, expected an array of layers", kind(layers));
    if (layers->count == 0)
        return fail(msg, path, "'layers' is empty; at least one layer is needed");
    if (layers->count > CT_MAX_LAYERS)
        return fail(msg, path, "'layers' has %zu layers; at most %d are supported", layers->count,
                    CT_MAX_LAYERS);
    char losses[128];
    ct_loss_list_text(losses, sizeof losses);
    if (!loss) return fail(msg, path, "'loss' is missing (%s)", losses);
    if (loss->type != CT_JSON_STRING)
        return fail(msg, path, "'loss' is %s, expected %s", kind(loss), losses);
    char b[128];
    if (!ct_loss_parse(loss->string, &a->loss))
        return fail(msg, path, "unknown loss '%s' (expected %s)", shown(loss->string, b), losses);
    a->huber_delta = 1.0f;
    if (delta) {
        if (a->loss != CT_LOSS_HUBER)
            return fail(msg, path, "'huber_delta' applies only to loss 'huber', not '%.100s'",
                        loss->string);
        if (delta->type != CT_JSON_NUMBER)
            return fail(msg, path, "huber_delta is %s, expected a number > 0", kind(delta));
        if (get_float(delta, &a->huber_delta) != 1 || !(a->huber_delta > 0))
            return fail(msg, path, "huber_delta is %g, expected a number > 0", delta->number);
    }
    a->n_layers = (int)layers->count;
    for (int l = 0; l < a->n_layers; l++)
        if ((st = check_layer(&layers->items[l], l, a->n_layers, loss->string, a, path, msg)) !=
            CT_OK)
            return st;
    char inner[CT_MSG_LEN];
    if (ct_arch_validate(a, inner) != CT_OK) return fail(msg, path, "%.2000s", inner);

    ct_layout lay;
    ct_arch_layout(a, &lay);
    sm->params = calloc(lay.n_params, sizeof(float));
    if (!sm->params) return oom(msg);
    for (int l = 0; l < a->n_layers; l++)
        if ((st = fill_layer(&layers->items[l], l, a, &lay, sm->params, path, msg)) != CT_OK)
            return st;

    int F = a->sizes[0], C = a->sizes[a->n_layers];
    sm->features = F;
    sm->outputs = C;
    char need[160];
    snprintf(need, sizeof need, "layer 0 has %d inputs (weight columns)", F);
    int nf = 0;
    if ((st = get_names(root, "features", F, F, need, path, &sm->feature_names, &nf, msg)) != CT_OK)
        return st;
    if (!sm->feature_names && !(sm->feature_names = default_names("x", F))) return oom(msg);
    /* the training file's label column: by name, and its 0-based index */
    const ct_json *label = ct_json_get(root, "label"),
                  *label_index = ct_json_get(root, "label_index");
    if (label && label->type != CT_JSON_STRING)
        return fail(msg, path, "'label' is %s, expected the label column's name (a string)",
                    kind(label));
    if (label && strlen(label->string) >= sizeof sm->label_name)
        return fail(msg, path, "'label' is longer than %zu bytes", sizeof sm->label_name - 1);
    if (label) snprintf(sm->label_name, sizeof sm->label_name, "%s", label->string);
    if (label_index) {
        double k = label_index->type == CT_JSON_NUMBER ? label_index->number : -1;
        if (!(k >= 0 && k <= 1 << 24 && k == (int)k))
            return fail(msg, path, "'label_index' is %s, expected a column index (0, 1, ...)",
                        kind(label_index));
        sm->label_column = (int)k + 1;
    }
    int classify = ct_loss_flags(a->loss) & CT_LOSSF_CLASSES;
    sm->task = classify ? CT_TASK_CLASSIFICATION : CT_TASK_REGRESSION;
    if (classify) {
        if (ct_json_get(root, "targets"))
            return fail(msg, path,
                        "'targets' names regression outputs; loss '%.100s' classifies "
                        "(use 'classes')",
                        loss->string);
        int hi = a->loss == CT_LOSS_SIGMOID_BCE ? 2 : C;
        if (a->loss == CT_LOSS_SIGMOID_BCE)
            snprintf(need, sizeof need, "loss 'bce' has 2 classes");
        else
            snprintf(need, sizeof need, "loss 'ce' with %d outputs needs 2 to %d classes", C, C);
        if ((st = get_names(root, "classes", 2, hi, need, path, &sm->class_names, &sm->n_classes,
                            msg)) != CT_OK)
            return st;
        if (!sm->class_names) {
            if (!(sm->class_names = default_names("", hi))) return oom(msg);
            sm->n_classes = hi;
        }
    } else {
        if (ct_json_get(root, "classes"))
            return fail(msg, path, "'classes' applies only to loss 'ce' or 'bce', not '%.100s'",
                        loss->string);
        snprintf(need, sizeof need, "the output layer has %d outputs", C);
        int nt = 0;
        if ((st = get_names(root, "targets", C, C, need, path, &sm->target_names, &nt, msg)) !=
            CT_OK)
            return st;
    }
    if ((st = load_scaler(root, sm, path, msg)) != CT_OK) return st;
    const ct_json *columns = ct_json_get(root, "columns");
    return columns ? ct_saved_model_set_encoding(sm, columns, path, msg) : CT_OK;
}

ct_status ct_json_model_load(const char *path, ct_saved_model *sm, char msg[CT_MSG_LEN]) {
    memset(sm, 0, sizeof *sm);
    char *text = NULL;
    size_t len = 0;
    ct_json *root = NULL;
    ct_status st = ct_read_file(path, &text, &len, JM_MAX_FILE, msg);
    if (st != CT_OK) return st;
    char err[512];
    root = ct_json_parse(text, len, err, sizeof err);
    if (!root) {
        st = fail(msg, path, "%s", err);
        goto fail;
    }
    if ((st = load_dom(root, sm, path, msg)) != CT_OK) goto fail;
    ct_json_free(root);
    free(text);
    return CT_OK;
fail:
    ct_json_free(root);
    free(text);
    ct_saved_model_free(sm);
    return st;
}

/* ---- save -------------------------------------------------------------------------------- */

/* The fewest digits (6 to 9) that read back as the same float, with '.' as decimal point. */
static void put_float(FILE *f, float v) {
    char buf[48];
    for (int p = 6; p <= 9; p++) {
        snprintf(buf, sizeof buf, "%.*g", p, (double)v);
        float back = strtof(buf, NULL);
        if (memcmp(&back, &v, sizeof v) == 0) break;
    }
    for (char *c = buf; *c; c++)
        if (*c == ',') *c = '.'; /* a locale's decimal comma */
    fputs(buf, f);
}

static void put_floats(FILE *f, const float *x, size_t n) {
    fputc('[', f);
    for (size_t i = 0; i < n; i++) {
        if (i) fputs(", ", f);
        put_float(f, x[i]);
    }
    fputc(']', f);
}

static void put_names(FILE *f, const char *key, char *const *names, int n) {
    fprintf(f, ",\n  \"%s\": [", key);
    for (int i = 0; i < n; i++) {
        if (i) fputs(", ", f);
        ct_json_write_string(f, names[i] ? names[i] : "");
    }
    fputc(']', f);
}

static const char *act_file_name(ct_act a) {
    return a == CT_ACT_IDENTITY ? "linear" : ct_act_name(a);
}

ct_status ct_json_model_save(const char *path, const ct_saved_model *sm, char msg[CT_MSG_LEN]) {
    const ct_arch *a = &sm->arch;
    char inner[CT_MSG_LEN];
    if (ct_arch_validate(a, inner) != CT_OK)
        return ct_fail_msg(msg, CT_ERR_ARG, "cannot write %.1024s: %.2000s", path, inner);
    if (!sm->params)
        return ct_fail_msg(msg, CT_ERR_ARG, "cannot write %.1024s: no parameters", path);
    ct_layout lay;
    ct_arch_layout(a, &lay);
    ct_tensor_info x;
    for (int l = 0; l < a->n_layers; l++)
        for (int k = 0; ct_layer_tensor(a, &lay, l, k, &x); k++)
            for (size_t i = 0; i < x.count; i++)
                if (!isfinite(sm->params[x.off + i]))
                    return ct_fail_msg(msg, CT_ERR_NUMERIC,
                                       "cannot write %.1024s: layer %d: the %s holds a "
                                       "non-finite value",
                                       path, l, x.field);
    ct_atomic_file af = {0};
    ct_status st = ct_atomic_begin(&af, path, msg);
    if (st != CT_OK) return st;
    FILE *f = af.f;
    fputs("{\n  \"layers\": [\n", f);
    for (int l = 0; l < a->n_layers; l++) {
        int in = a->sizes[l], out = a->sizes[l + 1];
        fputs("    {\"weight\": [", f);
        for (int r = 0; r < out; r++) {
            if (r) fputs(", ", f);
            put_floats(f, sm->params + lay.w_off[l] + (size_t)r * in, (size_t)in);
        }
        fputs("], \"bias\": ", f);
        put_floats(f, sm->params + lay.b_off[l], (size_t)out);
        int output = l == a->n_layers - 1;
        fprintf(f, ", \"activation\": \"%s\"",
                output ? ct_loss_output_act(a->loss) : act_file_name(a->act[l]));
        if (!output && uses_alpha(a->act[l])) {
            fputs(", \"alpha\": ", f);
            put_float(f, a->alpha[l]);
        }
        if (!output && a->norm[l] != CT_NORM_NONE) {
            fprintf(f, ",\n     \"norm\": \"%s\", \"norm_eps\": ", ct_norm_name(a->norm[l]));
            put_float(f, a->norm_eps[l]);
            if (a->norm[l] == CT_NORM_BATCH) {
                fputs(", \"norm_momentum\": ", f);
                put_float(f, a->norm_momentum[l]);
            }
            ct_tensor_info x; /* the norm's tensors follow the dense layer's two */
            for (int k = 2; ct_layer_tensor(a, &lay, l, k, &x); k++) {
                fprintf(f, ",\n     \"%s\": ", x.field);
                put_floats(f, sm->params + x.off, x.count);
            }
        }
        fprintf(f, "}%s\n", output ? "" : ",");
    }
    fprintf(f, "  ],\n  \"loss\": \"%s\"", ct_loss_short_name(a->loss));
    if (a->loss == CT_LOSS_HUBER) {
        fputs(",\n  \"huber_delta\": ", f);
        put_float(f, a->huber_delta);
    }
    int classify = ct_loss_flags(a->loss) & CT_LOSSF_CLASSES;
    if (classify && sm->task == CT_TASK_CLASSIFICATION && sm->class_names && sm->n_classes > 0)
        put_names(f, "classes", sm->class_names, sm->n_classes);
    if (sm->feature_names && sm->features == a->sizes[0])
        put_names(f, "features", sm->feature_names, sm->features);
    if (sm->label_name[0]) {
        fputs(",\n  \"label\": ", f);
        ct_json_write_string(f, sm->label_name);
    }
    if (sm->label_column > 0) fprintf(f, ",\n  \"label_index\": %d", sm->label_column - 1);
    if (!classify && sm->target_names && sm->outputs == a->sizes[a->n_layers])
        put_names(f, "targets", sm->target_names, sm->outputs);
    if (sm->has_scaler && sm->scaler.mean && sm->scaler.std && sm->scaler.features == a->sizes[0]) {
        fputs(",\n  \"scaler\": {\"mean\": ", f);
        put_floats(f, sm->scaler.mean, (size_t)sm->scaler.features);
        fputs(", \"std\": ", f);
        put_floats(f, sm->scaler.std, (size_t)sm->scaler.features);
        fputc('}', f);
    }
    if (sm->enc) {
        char *enc = ct_encoding_to_json(sm->enc);
        if (!enc) {
            ct_atomic_abort(&af);
            snprintf(msg, CT_MSG_LEN, "out of host memory");
            return CT_ERR_ALLOC;
        }
        fputs(",\n  \"columns\": ", f);
        fputs(enc, f);
        free(enc);
    }
    fputs("\n}\n", f);
    return ct_atomic_commit(&af, msg);
}

/* ---- either format ----------------------------------------------------------------------- */

int ct_path_has_ext(const char *path, const char *ext) {
    size_t n = strlen(path), e = strlen(ext);
    return n > e && name_ieq(path + n - e, ext);
}

ct_status ct_saved_model_load_any(const char *path, ct_saved_model *sm, char msg[CT_MSG_LEN]) {
    if (ct_path_has_ext(path, ".json")) return ct_json_model_load(path, sm, msg);
    if (ct_path_has_ext(path, ".safetensors")) return ct_saved_model_load(path, sm, msg);
    int json = 0;
    FILE *f = fopen(path, "rb");
    if (f) {
        unsigned char head[64];
        size_t n = fread(head, 1, sizeof head, f);
        fclose(f);
        int nul = 0;
        for (size_t i = 0; i < n && i < 8; i++)
            nul |= head[i] == 0;
        size_t i = 0;
        while (i < n && (head[i] == ' ' || head[i] == '\t' || head[i] == '\n' || head[i] == '\r'))
            i++;
        json = !nul && i < n && head[i] == '{';
    }
    /* an unreadable file gets its message from the safetensors reader */
    return json ? ct_json_model_load(path, sm, msg) : ct_saved_model_load(path, sm, msg);
}
