/* JSON models (host/jsonmodel.h): the documented example loads with the right sizes,
 * activations, loss and flat parameters; JSON -> safetensors -> JSON keeps every float
 * bit-identical; every malformed input gives CT_ERR_FORMAT with a message naming the file and
 * the layer or field. Files live in a mkdtemp folder under /tmp, removed at the end.
 * usage: test_jsonmodel [EXAMPLES_DIR]   (the examples/ folder: its models are checked too) */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint.h"
#include "fileio.h"
#include "jsonmodel.h"
#include "strutil.h"
#include "util.h"

static char g_dir[64];

static void path_in(char *dst, size_t n, const char *name) {
    snprintf(dst, n, "%s/%s", g_dir, name);
}

static int write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    size_t n = strlen(text);
    int ok = fwrite(text, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

static char *read_text(const char *path) {
    char *data = NULL;
    size_t len = 0;
    char msg[CT_MSG_LEN];
    if (ct_read_file(path, &data, &len, 1 << 26, msg) != CT_OK) return NULL;
    return data;
}

static int same_bits(const float *a, const float *b, size_t n, size_t *at) {
    for (size_t i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof(float)) != 0) {
            *at = i;
            return 0;
        }
    return 1;
}

#define EXAMPLE                                                                                    \
    "{\"layers\": [{\"weight\": [[0.5, -0.3], [0.2, 0.8]], \"bias\": [0.1, -0.1], "                \
    "\"activation\": \"relu\"},\n"                                                                 \
    "            {\"weight\": [[0.7, -0.5]], \"bias\": [0.2], \"activation\": \"sigmoid\"}],\n"    \
    " \"loss\": \"bce\"}\n"

/* The example of the brief: sizes, activations, loss, defaults and flat positions. */
static void test_example(void) {
    char path[128], msg[CT_MSG_LEN];
    path_in(path, sizeof path, "example.json");
    if (!EXPECT(write_text(path, EXAMPLE), "cannot write %s", path)) return;
    ct_saved_model sm;
    ct_status st = ct_json_model_load(path, &sm, msg);
    if (!EXPECT(st == CT_OK, "load example: %s", msg)) return;
    const ct_arch *a = &sm.arch;
    EXPECT(a->n_layers == 2, "n_layers %d, want 2", a->n_layers);
    EXPECT(a->sizes[0] == 2 && a->sizes[1] == 2 && a->sizes[2] == 1, "sizes %d-%d-%d, want 2-2-1",
           a->sizes[0], a->sizes[1], a->sizes[2]);
    EXPECT(a->act[0] == CT_ACT_RELU, "act[0] %s, want relu", ct_act_name(a->act[0]));
    EXPECT(a->loss == CT_LOSS_SIGMOID_BCE, "loss %s, want sigmoid_bce", ct_loss_name(a->loss));
    EXPECT(a->huber_delta == 1.0f, "huber_delta %g, want 1", (double)a->huber_delta);
    EXPECT(a->alpha[0] == 0.01f, "alpha[0] %g, want the default 0.01", (double)a->alpha[0]);
    EXPECT(a->dropout[0] == 0.0f, "dropout[0] %g, want 0", (double)a->dropout[0]);
    EXPECT(sm.task == CT_TASK_CLASSIFICATION, "task %d, want classification", (int)sm.task);
    EXPECT(sm.features == 2 && sm.outputs == 1, "features %d outputs %d, want 2 and 1", sm.features,
           sm.outputs);
    EXPECT(sm.n_classes == 2 && sm.class_names && !strcmp(sm.class_names[0], "0") &&
               !strcmp(sm.class_names[1], "1"),
           "classes: %d, want the default \"0\", \"1\"", sm.n_classes);
    EXPECT(sm.feature_names && !strcmp(sm.feature_names[0], "x0") &&
               !strcmp(sm.feature_names[1], "x1"),
           "feature names: want the default x0, x1");
    EXPECT(!sm.has_scaler && !sm.has_state, "no scaler, no state");
    ct_layout lay;
    ct_arch_layout(a, &lay);
    EXPECT(lay.n_params == 9, "n_params %zu, want 9", lay.n_params);
    /* weight (out, in) row-major at w_off, bias at b_off */
    struct {
        size_t at;
        float want;
        const char *what;
    } c[] = {{lay.w_off[0] + 0 * 2 + 0, 0.5f, "W0[0][0]"},
             {lay.w_off[0] + 0 * 2 + 1, -0.3f, "W0[0][1]"},
             {lay.w_off[0] + 1 * 2 + 0, 0.2f, "W0[1][0]"},
             {lay.w_off[0] + 1 * 2 + 1, 0.8f, "W0[1][1]"},
             {lay.w_off[1] + 0, 0.7f, "W1[0][0]"},
             {lay.w_off[1] + 1, -0.5f, "W1[0][1]"},
             {lay.b_off[0] + 0, 0.1f, "b0[0]"},
             {lay.b_off[0] + 1, -0.1f, "b0[1]"},
             {lay.b_off[1] + 0, 0.2f, "b1[0]"}};
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
        EXPECT(sm.params[c[i].at] == c[i].want, "%s at flat %zu: got %.9g, want %.9g", c[i].what,
               c[i].at, (double)sm.params[c[i].at], (double)c[i].want);
    EXPECT(lay.w_off[1] + 2 == lay.n_weights && lay.b_off[0] == lay.n_weights,
           "weights first, then biases");
    ct_saved_model_free(&sm);

    /* a missing bias is zeros; "softmax" on a ce output, absent output activation */
    path_in(path, sizeof path, "nobias.json");
    write_text(path, "{\"layers\": [{\"weight\": [[1, 2, 3], [4, 5, 6]], \"activation\": \"tanh\"},"
                     "{\"weight\": [[1, 1], [2, 2], [3, 3]], \"activation\": \"softmax\"}],"
                     "\"loss\": \"ce\", \"classes\": [\"a\", \"b\", \"c\"]}");
    st = ct_json_model_load(path, &sm, msg);
    if (EXPECT(st == CT_OK, "load nobias: %s", msg)) {
        ct_arch_layout(&sm.arch, &lay);
        int zeros = 1;
        for (size_t i = lay.n_weights; i < lay.n_params; i++)
            zeros &= sm.params[i] == 0.0f;
        EXPECT(zeros, "missing biases are zeros");
        EXPECT(sm.params[lay.w_off[0] + 1 * 3 + 2] == 6.0f, "W0[1][2] %g, want 6",
               (double)sm.params[lay.w_off[0] + 5]);
        EXPECT(sm.arch.loss == CT_LOSS_SOFTMAX_CE && sm.arch.act[0] == CT_ACT_TANH, "ce, tanh");
        EXPECT(sm.n_classes == 3 && !strcmp(sm.class_names[2], "c"), "classes a, b, c");
        ct_saved_model_free(&sm);
    }
    /* a PyTorch model's output layer: linear (or identity) before ce or bce, the logits, is the
     * same model as softmax / sigmoid there */
    static const struct {
        const char *loss, *fused, *out;
    } logits[] = {{"ce", "softmax", "linear"},
                  {"ce", "softmax", "identity"},
                  {"bce", "sigmoid", "linear"},
                  {"bce", "sigmoid", "Identity"}};
    for (size_t k = 0; k < sizeof logits / sizeof logits[0]; k++) {
        char text[2][512];
        ct_saved_model m[2];
        int ok[2] = {0, 0};
        for (int v = 0; v < 2; v++) {
            int ce = !strcmp(logits[k].loss, "ce");
            snprintf(text[v], sizeof text[v],
                     "{\"layers\": [{\"weight\": [[1, -2], [0.5, 3]], \"activation\": \"relu\"},"
                     "{\"weight\": %s, \"bias\": %s, \"activation\": \"%s\"}], \"loss\": \"%s\"}",
                     ce ? "[[1, 2], [3, -4], [0.25, 1]]" : "[[1, 2]]", ce ? "[1, 0, -1]" : "[0.5]",
                     v ? logits[k].out : logits[k].fused, logits[k].loss);
            path_in(path, sizeof path, v ? "logits.json" : "fused.json");
            write_text(path, text[v]);
            st = ct_json_model_load(path, &m[v], msg);
            ok[v] = EXPECT(st == CT_OK, "%s output with %s: %s",
                           v ? logits[k].out : logits[k].fused, logits[k].loss, msg);
        }
        if (ok[0] && ok[1]) {
            ct_arch_layout(&m[0].arch, &lay);
            EXPECT(!memcmp(&m[0].arch, &m[1].arch, sizeof m[0].arch) &&
                       !memcmp(m[0].params, m[1].params, lay.n_params * sizeof(float)),
                   "%s output with %s: not the same model as %s", logits[k].out, logits[k].loss,
                   logits[k].fused);
        }
        for (int v = 0; v < 2; v++)
            if (ok[v]) ct_saved_model_free(&m[v]);
    }

    path_in(path, sizeof path, "regress.json");
    write_text(path,
               "{\"layers\": [{\"weight\": [[1], [2]], \"activation\": \"elu\", \"alpha\": 0.5},"
               "{\"weight\": [[1, -1]]}], \"loss\": \"huber\", \"huber_delta\": 0.25}");
    st = ct_json_model_load(path, &sm, msg);
    if (EXPECT(st == CT_OK, "load regress: %s", msg)) {
        EXPECT(sm.task == CT_TASK_REGRESSION && sm.n_classes == 0 && !sm.class_names,
               "regression without classes");
        EXPECT(sm.arch.loss == CT_LOSS_HUBER && sm.arch.huber_delta == 0.25f, "huber 0.25, got %g",
               (double)sm.arch.huber_delta);
        EXPECT(sm.arch.act[0] == CT_ACT_ELU && sm.arch.alpha[0] == 0.5f, "elu alpha 0.5, got %g",
               (double)sm.arch.alpha[0]);
        ct_saved_model_free(&sm);
    }
}

/* A model with awkward floats, names, a scaler: JSON save/load, and the path through
 * safetensors, are bit-identical; a second JSON write is text-identical. */
static void fill_model(ct_saved_model *sm, ct_loss loss, test_rng *r) {
    memset(sm, 0, sizeof *sm);
    ct_arch *a = &sm->arch;
    int sizes[] = {5, 7, 1, 3};
    a->n_layers = 3;
    for (int i = 0; i <= 3; i++)
        a->sizes[i] = sizes[i];
    a->sizes[3] = loss == CT_LOSS_SIGMOID_BCE ? 1 : 3;
    a->act[0] = CT_ACT_LEAKY_RELU;
    a->alpha[0] = 0.2f;
    a->act[1] = CT_ACT_GELU;
    a->alpha[1] = 0.01f;
    a->loss = loss;
    a->huber_delta = loss == CT_LOSS_HUBER ? 0.7f : 1.0f;
    ct_layout lay;
    ct_arch_layout(a, &lay);
    sm->params = test_alloc(lay.n_params, sizeof(float));
    test_fillf(r, sm->params, lay.n_params, -3.0f, 3.0f);
    const float special[] = {-0.0f, FLT_MIN / 3, -FLT_MIN,    FLT_MAX, -FLT_MAX, 1e-38f,
                             0.1f,  1.0f / 3,    16777217.0f, 1e30f,   0.0f,     123456.789f};
    for (size_t i = 0; i < sizeof special / sizeof special[0] && i < lay.n_params; i++)
        sm->params[(i * 7) % lay.n_params] = special[i];
    sm->features = 5;
    sm->outputs = a->sizes[3];
    sm->feature_names = test_alloc(5, sizeof(char *));
    const char *fn[] = {"alpha", "b\"quoted\"", "tab\there", "\xc3\xa9t\xc3\xa9", ""};
    for (int i = 0; i < 5; i++)
        sm->feature_names[i] = ct_strdup(fn[i]);
    if (loss == CT_LOSS_SOFTMAX_CE || loss == CT_LOSS_SIGMOID_BCE) {
        sm->task = CT_TASK_CLASSIFICATION;
        sm->n_classes = loss == CT_LOSS_SIGMOID_BCE ? 2 : 3;
        sm->class_names = test_alloc((size_t)sm->n_classes, sizeof(char *));
        const char *cn[] = {"setosa", "versi\\color", "virginica"};
        for (int i = 0; i < sm->n_classes; i++)
            sm->class_names[i] = ct_strdup(cn[i]);
    } else {
        sm->task = CT_TASK_REGRESSION;
        sm->target_names = test_alloc(3, sizeof(char *));
        const char *tn[] = {"u", "v", "w"};
        for (int i = 0; i < 3; i++)
            sm->target_names[i] = ct_strdup(tn[i]);
    }
    sm->has_scaler = 1;
    sm->scaler.features = 5;
    sm->scaler.mean = test_alloc(5, sizeof(float));
    sm->scaler.std = test_alloc(5, sizeof(float));
    test_fillf(r, sm->scaler.mean, 5, -10.0f, 10.0f);
    test_fillf(r, sm->scaler.std, 5, 0.1f, 5.0f);
}

static void expect_same_model(const char *what, const ct_saved_model *x, const ct_saved_model *y) {
    const ct_arch *a = &x->arch, *b = &y->arch;
    int sizes = a->n_layers == b->n_layers;
    for (int i = 0; sizes && i <= a->n_layers; i++)
        sizes = a->sizes[i] == b->sizes[i];
    EXPECT(sizes, "%s: sizes differ", what);
    if (!sizes) return;
    for (int i = 0; i + 1 < a->n_layers; i++) {
        EXPECT(a->act[i] == b->act[i], "%s: act[%d] %s vs %s", what, i, ct_act_name(a->act[i]),
               ct_act_name(b->act[i]));
        EXPECT(a->alpha[i] == b->alpha[i], "%s: alpha[%d] %g vs %g", what, i, (double)a->alpha[i],
               (double)b->alpha[i]);
    }
    EXPECT(a->loss == b->loss && a->huber_delta == b->huber_delta, "%s: loss %s/%g vs %s/%g", what,
           ct_loss_name(a->loss), (double)a->huber_delta, ct_loss_name(b->loss),
           (double)b->huber_delta);
    ct_layout lay;
    ct_arch_layout(a, &lay);
    size_t at = 0;
    EXPECT(same_bits(x->params, y->params, lay.n_params, &at),
           "%s: parameter %zu differs: %.9g vs %.9g", what, at, (double)x->params[at],
           (double)y->params[at]);
    EXPECT(x->task == y->task && x->n_classes == y->n_classes, "%s: task %d/%d classes vs %d/%d",
           what, (int)x->task, x->n_classes, (int)y->task, y->n_classes);
    for (int i = 0; i < x->n_classes && i < y->n_classes; i++)
        EXPECT(!strcmp(x->class_names[i], y->class_names[i]), "%s: class %d '%s' vs '%s'", what, i,
               x->class_names[i], y->class_names[i]);
    for (int i = 0; i < x->features && x->feature_names && y->feature_names; i++)
        EXPECT(!strcmp(x->feature_names[i], y->feature_names[i]), "%s: feature %d '%s' vs '%s'",
               what, i, x->feature_names[i], y->feature_names[i]);
    EXPECT(!x->target_names == !y->target_names, "%s: target names present in one only", what);
    for (int i = 0; i < x->outputs && x->target_names && y->target_names; i++)
        EXPECT(!strcmp(x->target_names[i], y->target_names[i]), "%s: target %d '%s' vs '%s'", what,
               i, x->target_names[i], y->target_names[i]);
    EXPECT(x->has_scaler == y->has_scaler, "%s: scaler %d vs %d", what, x->has_scaler,
           y->has_scaler);
    if (x->has_scaler && y->has_scaler) {
        EXPECT(same_bits(x->scaler.mean, y->scaler.mean, (size_t)x->features, &at),
               "%s: scaler mean %zu differs", what, at);
        EXPECT(same_bits(x->scaler.std, y->scaler.std, (size_t)x->features, &at),
               "%s: scaler std %zu differs", what, at);
    }
}

static void test_round_trip(void) {
    test_rng r = test_rng_make(test_seed(20240607));
    const ct_loss losses[] = {CT_LOSS_SOFTMAX_CE, CT_LOSS_SIGMOID_BCE, CT_LOSS_MSE, CT_LOSS_HUBER};
    for (size_t k = 0; k < 4; k++) {
        char j1[128], st1[128], j2[128], what[64], msg[CT_MSG_LEN];
        snprintf(what, sizeof what, "round trip %s", ct_loss_name(losses[k]));
        path_in(j1, sizeof j1, "rt1.json");
        path_in(st1, sizeof st1, "rt.safetensors");
        path_in(j2, sizeof j2, "rt2.json");
        ct_saved_model orig, a, b, c;
        memset(&a, 0, sizeof a);
        memset(&b, 0, sizeof b);
        memset(&c, 0, sizeof c);
        fill_model(&orig, losses[k], &r);
        ct_status st = ct_json_model_save(j1, &orig, msg);
        if (!EXPECT(st == CT_OK, "%s: save JSON: %s", what, msg)) goto next;
        st = ct_json_model_load(j1, &a, msg);
        if (!EXPECT(st == CT_OK, "%s: load JSON: %s", what, msg)) goto next;
        expect_same_model(what, &orig, &a);
        /* JSON -> safetensors -> JSON -> load */
        st = ct_saved_model_save(st1, &a, msg);
        if (!EXPECT(st == CT_OK, "%s: save safetensors: %s", what, msg)) goto next;
        st = ct_saved_model_load(st1, &b, msg);
        if (!EXPECT(st == CT_OK, "%s: load safetensors: %s", what, msg)) goto next;
        expect_same_model(what, &a, &b);
        st = ct_json_model_save(j2, &b, msg);
        if (!EXPECT(st == CT_OK, "%s: save JSON again: %s", what, msg)) goto next;
        st = ct_json_model_load(j2, &c, msg);
        if (!EXPECT(st == CT_OK, "%s: load JSON again: %s", what, msg)) goto next;
        expect_same_model(what, &a, &c);
        char *t1 = read_text(j1), *t2 = read_text(j2);
        EXPECT(t1 && t2 && !strcmp(t1, t2), "%s: the second JSON text differs from the first",
               what);
        /* one layer per line: "{" "layers" 3 layers "]" loss ... */
        int lines = 0;
        for (const char *p = t1 ? t1 : ""; *p; p++)
            lines += *p == '\n';
        EXPECT(t1 && strstr(t1, "\n    {\"weight\": [[") && lines >= 7 && lines <= 12,
               "%s: pretty-printed one layer per line (%d lines)", what, lines);
        free(t1);
        free(t2);
        /* either loader */
        ct_saved_model_free(&c);
        st = ct_saved_model_load_any(st1, &c, msg);
        EXPECT(st == CT_OK, "%s: load_any safetensors: %s", what, msg);
        expect_same_model("load_any safetensors", &a, &c);
        ct_saved_model_free(&c);
    next:
        ct_saved_model_free(&orig);
        ct_saved_model_free(&a);
        ct_saved_model_free(&b);
        ct_saved_model_free(&c);
    }
}

/* ct_model_load_any picks the format by extension, else by content. */
static void test_load_any(void) {
    char json[128], st_path[128], bin1[128], bin2[128], msg[CT_MSG_LEN];
    path_in(json, sizeof json, "any.json");
    path_in(st_path, sizeof st_path, "any.safetensors");
    path_in(bin1, sizeof bin1, "any_json.model");
    path_in(bin2, sizeof bin2, "any_st.model");
    write_text(json, EXAMPLE);
    write_text(bin1, "\n  " EXAMPLE);
    ct_saved_model a, b;
    if (!EXPECT(ct_saved_model_load_any(json, &a, msg) == CT_OK, "load_any .json: %s", msg)) return;
    EXPECT(ct_saved_model_save(st_path, &a, msg) == CT_OK, "save: %s", msg);
    EXPECT(ct_saved_model_save(bin2, &a, msg) == CT_OK, "save: %s", msg);
    if (EXPECT(ct_saved_model_load_any(bin1, &b, msg) == CT_OK, "load_any sniffs JSON: %s", msg)) {
        expect_same_model("load_any sniffed JSON", &a, &b);
        ct_saved_model_free(&b);
    }
    if (EXPECT(ct_saved_model_load_any(bin2, &b, msg) == CT_OK, "load_any sniffs safetensors: %s", msg)) {
        expect_same_model("load_any sniffed safetensors", &a, &b);
        ct_saved_model_free(&b);
    }
    /* a .json name is read as JSON even when it is not */
    char wrong[128];
    path_in(wrong, sizeof wrong, "really_safetensors.json");
    ct_saved_model_save(wrong, &a, msg);
    ct_status st = ct_saved_model_load_any(wrong, &b, msg);
    EXPECT(st == CT_ERR_FORMAT && strstr(msg, "really_safetensors.json: line 1"),
           "safetensors named .json: %d %s", (int)st, msg);
    ct_saved_model_free(&a);
    char missing[128];
    path_in(missing, sizeof missing, "missing.json");
    st = ct_json_model_load(missing, &b, msg);
    EXPECT(st == CT_ERR_IO && strstr(msg, "missing.json"), "missing file: %d %s", (int)st, msg);
}

/* Writing refuses what it cannot represent. */
static void test_save_errors(void) {
    test_rng r = test_rng_make(7);
    ct_saved_model sm;
    fill_model(&sm, CT_LOSS_MSE, &r);
    char path[128], msg[CT_MSG_LEN];
    path_in(path, sizeof path, "nan.json");
    ct_layout lay;
    ct_arch_layout(&sm.arch, &lay);
    sm.params[lay.b_off[2] + 1] = NAN;
    ct_status st = ct_json_model_save(path, &sm, msg);
    EXPECT(st == CT_ERR_NUMERIC && strstr(msg, "layer 2: the bias") && access(path, F_OK) != 0,
           "NaN bias: %d %s", (int)st, msg);
    sm.params[lay.b_off[2] + 1] = 0;
    sm.params[lay.w_off[1] + 3] = INFINITY;
    st = ct_json_model_save(path, &sm, msg);
    EXPECT(st == CT_ERR_NUMERIC && strstr(msg, "layer 1: the weight"), "Inf weight: %d %s", (int)st,
           msg);
    ct_saved_model_free(&sm);
}

typedef struct bad_case {
    const char *name;
    const char *text;
    const char *want; /* a part of the message after "PATH: " */
} bad_case;

#define L0 "{\"weight\": [[1, 2], [3, 4]], \"activation\": \"relu\"}"
#define OUT1 "{\"weight\": [[1, 2]]}"
#define MODEL(layers, rest) "{\"layers\": [" layers "], \"loss\": \"bce\"" rest "}"

static const bad_case bad_cases[] = {
    {"not JSON", "{\"layers\": [", "line 1, column 13"},
    {"empty file", "", "line 1, column 1"},
    {"trailing comma", "{\"layers\": [" L0 "," OUT1 ",], \"loss\": \"bce\"}", "line 1"},
    {"root is an array", "[1, 2]", "the model is an array, expected an object"},
    {"unknown key", MODEL(L0 "," OUT1, ", \"lossy\": 1"), "unknown key 'lossy'"},
    {"repeated key", MODEL(L0 "," OUT1, ", \"loss\": \"mse\""), "key 'loss' appears twice"},
    {"layers missing", "{\"loss\": \"bce\"}", "'layers' is missing"},
    {"layers not an array", "{\"layers\": {}, \"loss\": \"bce\"}", "'layers' is an object"},
    {"layers empty", "{\"layers\": [], \"loss\": \"bce\"}", "'layers' is empty"},
    {"loss missing", "{\"layers\": [" OUT1 "]}", "'loss' is missing"},
    {"loss unknown", "{\"layers\": [" OUT1 "], \"loss\": \"xent\"}",
     "unknown loss 'xent' (expected ce, bce, mse or huber)"},
    {"loss not a string", "{\"layers\": [" OUT1 "], \"loss\": 3}", "'loss' is a number"},
    {"layer not an object", MODEL("7," OUT1, ""), "layer 0 is a number, expected an object"},
    {"layer unknown key", MODEL("{\"weights\": [[1, 2]], \"activation\": \"relu\"}," OUT1, ""),
     "layer 0: unknown key 'weights'"},
    {"layer repeated key",
     MODEL("{\"weight\": [[1, 2]], \"activation\": \"relu\", \"activation\": \"tanh\"}," OUT1, ""),
     "layer 0: key 'activation' appears twice"},
    {"weight missing", MODEL(L0 ",{\"bias\": [1]}", ""), "layer 1: 'weight' is missing"},
    {"weight not an array", MODEL("{\"weight\": \"eye\", \"activation\": \"relu\"}," OUT1, ""),
     "layer 0: weight is a string, expected an array of rows"},
    {"weight empty", MODEL("{\"weight\": [], \"activation\": \"relu\"}," OUT1, ""),
     "layer 0: weight is empty"},
    {"weight row not an array", MODEL("{\"weight\": [1, 2], \"activation\": \"relu\"}," OUT1, ""),
     "layer 0: weight row 0 is a number, expected an array of numbers"},
    {"weight row empty", MODEL("{\"weight\": [[]], \"activation\": \"relu\"}," OUT1, ""),
     "layer 0: weight row 0 is empty"},
    {"weight ragged",
     MODEL("{\"weight\": [[1, 2], [3, 4, 5]], \"activation\": \"relu\"}," OUT1, ""),
     "layer 0: weight row 1 has 3 numbers but row 0 has 2 (the weight must be rectangular)"},
    {"weight holds a string",
     MODEL("{\"weight\": [[1, 2], [\"3\", 4]], \"activation\": \"relu\"}," OUT1, ""),
     "layer 0: weight[1][0] is a string, expected a number"},
    {"weight holds null", MODEL(L0 ",{\"weight\": [[1, null]]}", ""),
     "layer 1: weight[0][1] is null, expected a number"},
    {"weight holds true", MODEL(L0 ",{\"weight\": [[true, 1]]}", ""),
     "layer 1: weight[0][0] is true, expected a number"},
    {"weight beyond float",
     MODEL("{\"weight\": [[1, 1e39], [3, 4]], \"activation\": \"relu\"}," OUT1, ""),
     "layer 0: weight[0][1] is 1e+39, outside the range of a float"},
    {"weight beyond double",
     MODEL("{\"weight\": [[1, 1e400], [3, 4]], \"activation\": \"relu\"}," OUT1, ""), "line 1"},
    {"sizes do not chain", MODEL(L0 ",{\"weight\": [[1, 2, 3]]}", ""),
     "layer 1: weight has 3 columns but layer 0 has 2 outputs"},
    {"bias length",
     MODEL("{\"weight\": [[1, 2], [3, 4]], \"bias\": [1, 2, 3], \"activation\": \"relu\"}," OUT1,
           ""),
     "layer 0: bias has 3 numbers but the weight has 2 rows (outputs)"},
    {"bias not an array", MODEL(L0 ",{\"weight\": [[1, 2]], \"bias\": {}}", ""),
     "layer 1: bias is an object, expected an array of 1 numbers"},
    {"bias holds null",
     MODEL("{\"weight\": [[1, 2], [3, 4]], \"bias\": [1, null], \"activation\": \"relu\"}," OUT1,
           ""),
     "layer 0: bias[1] is null, expected a number"},
    {"bias beyond float", MODEL(L0 ",{\"weight\": [[1, 2]], \"bias\": [-3.5e38]}", ""),
     "layer 1: bias[0] is -3.5e+38, outside the range of a float"},
    {"activation unknown", MODEL("{\"weight\": [[1, 2]], \"activation\": \"softsign\"}," OUT1, ""),
     "layer 0: unknown activation 'softsign' (expected relu, leaky_relu, elu, sigmoid, tanh, gelu, silu "
     "or linear)"},
    {"activation missing", MODEL("{\"weight\": [[1, 2], [3, 4]]}," OUT1, ""),
     "layer 0: 'activation' is missing"},
    {"activation not a string", MODEL("{\"weight\": [[1, 2]], \"activation\": 1}," OUT1, ""),
     "layer 0: activation is a number, expected a name"},
    {"softmax on a hidden layer",
     MODEL("{\"weight\": [[1, 2]], \"activation\": \"softmax\"}," OUT1, ""),
     "layer 0: activation 'softmax' is only possible on the output layer"},
    {"output relu with mse",
     "{\"layers\": [" L0 "," L0
     ",{\"weight\": [[1, 2]], \"activation\": \"relu\"}], \"loss\": \"mse\"}",
     "model.json: layer 2: activation 'relu' on the output layer does not go with loss 'mse' (use "
     "linear)"},
    {"output softmax with bce",
     MODEL(L0 ",{\"weight\": [[1, 2]], \"activation\": \"softmax\"}", ""),
     "layer 1: activation 'softmax' on the output layer does not go with loss 'bce' (use sigmoid or "
     "linear: the logits)"},
    {"output sigmoid with ce",
     "{\"layers\": [{\"weight\": [[1, 2], [3, 4]], \"activation\": \"sigmoid\"}], \"loss\": "
     "\"ce\"}",
     "layer 0: activation 'sigmoid' on the output layer does not go with loss 'ce' (use softmax or "
     "linear: the logits)"},
    {"output tanh with huber",
     "{\"layers\": [{\"weight\": [[1, 2]], \"activation\": \"tanh\"}], \"loss\": \"huber\"}",
     "layer 0: activation 'tanh' on the output layer does not go with loss 'huber' (use linear)"},
    {"ce with one output", "{\"layers\": [{\"weight\": [[1, 2]]}], \"loss\": \"ce\"}",
     "layer 0: weight has 1 row, but loss 'ce' needs at least 2 outputs (use bce for one output)"},
    {"control bytes in a name",
     MODEL("{\"weight\": [[1, 2]], \"activation\": \"re\\nlu\"}," OUT1, ""),
     "layer 0: unknown activation 're?lu'"},
    {"control bytes in a key", MODEL(L0 "," OUT1, ", \"a\\tb\": 1"), "unknown key 'a?b'"},
    {"huber_delta a string",
     "{\"layers\": [" OUT1 "], \"loss\": \"huber\", \"huber_delta\": \"1\"}",
     "huber_delta is a string, expected a number > 0"},
    {"alpha on relu",
     MODEL("{\"weight\": [[1, 2]], \"activation\": \"relu\", \"alpha\": 0.1}," OUT1, ""),
     "layer 0: 'alpha' applies only to leaky_relu and elu, not relu"},
    {"alpha negative",
     MODEL("{\"weight\": [[1, 2]], \"activation\": \"elu\", \"alpha\": -1}," OUT1, ""),
     "layer 0: alpha is -1, expected a number from 0 to 1e+06"},
    {"alpha a string",
     MODEL("{\"weight\": [[1, 2]], \"activation\": \"leaky_relu\", \"alpha\": \"x\"}," OUT1, ""),
     "layer 0: alpha is a string"},
    {"alpha on the output layer", MODEL(L0 ",{\"weight\": [[1, 2]], \"alpha\": 0.1}", ""),
     "layer 1: 'alpha' does not apply to the output layer"},
    {"huber_delta with bce", MODEL(L0 "," OUT1, ", \"huber_delta\": 2"),
     "'huber_delta' applies only to loss 'huber', not 'bce'"},
    {"huber_delta zero", "{\"layers\": [" OUT1 "], \"loss\": \"huber\", \"huber_delta\": 0}",
     "huber_delta is 0, expected a number > 0"},
    {"classes count", MODEL(L0 "," OUT1, ", \"classes\": [\"a\", \"b\", \"c\"]"),
     "'classes' has 3 names, but loss 'bce' has 2 classes"},
    {"classes item", MODEL(L0 "," OUT1, ", \"classes\": [\"a\", 2]"),
     "classes[1] is a number, expected a string"},
    {"classes not an array", MODEL(L0 "," OUT1, ", \"classes\": \"ab\""),
     "'classes' is a string, expected an array of strings"},
    {"classes with mse", "{\"layers\": [" OUT1 "], \"loss\": \"mse\", \"classes\": [\"a\", \"b\"]}",
     "'classes' applies only to loss 'ce' or 'bce', not 'mse'"},
    {"targets with bce", MODEL(L0 "," OUT1, ", \"targets\": [\"y\"]"),
     "'targets' names regression outputs; loss 'bce' classifies"},
    {"targets count", "{\"layers\": [" OUT1 "], \"loss\": \"mse\", \"targets\": [\"a\", \"b\"]}",
     "'targets' has 2 names, but the output layer has 1 outputs"},
    {"features count", MODEL(L0 "," OUT1, ", \"features\": [\"a\", \"b\", \"c\"]"),
     "'features' has 3 names, but layer 0 has 2 inputs"},
    {"scaler not an object", MODEL(L0 "," OUT1, ", \"scaler\": [1]"),
     "'scaler' is an array, expected an object"},
    {"scaler unknown key", MODEL(L0 "," OUT1, ", \"scaler\": {\"mean\": [0, 0], \"var\": [1, 1]}"),
     "scaler: unknown key 'var'"},
    {"scaler std missing", MODEL(L0 "," OUT1, ", \"scaler\": {\"mean\": [0, 0]}"),
     "scaler: 'std' is missing"},
    {"scaler length", MODEL(L0 "," OUT1, ", \"scaler\": {\"mean\": [0, 0, 0], \"std\": [1, 1]}"),
     "scaler: mean has 3 numbers but layer 0 has 2 inputs"},
    {"scaler std zero", MODEL(L0 "," OUT1, ", \"scaler\": {\"mean\": [0, 0], \"std\": [1, 0]}"),
     "scaler: std[1] is 0, expected a number > 0"},
};

#define L17                                                                                        \
    L0 "," L0 "," L0 "," L0 "," L0 "," L0 "," L0 "," L0 "," L0 "," L0 "," L0 "," L0 "," L0 "," L0  \
       "," L0 "," L0 "," OUT1

static void expect_bad(const char *name, const char *text, const char *want) {
    char path[128], msg[CT_MSG_LEN];
    path_in(path, sizeof path, "model.json");
    if (!EXPECT(write_text(path, text), "%s: cannot write %s", name, path)) return;
    ct_saved_model sm;
    memset(&sm, 0x5a, sizeof sm);
    msg[0] = '\0';
    ct_status st = ct_json_model_load(path, &sm, msg);
    size_t n = strlen(path);
    if (test_verbose()) printf("%-28s %s\n", name, msg + (strncmp(msg, path, n) ? 0 : n + 2));
    EXPECT(st == CT_ERR_FORMAT, "%s: status %s, want CT_ERR_FORMAT (%s)", name, ct_status_name(st),
           msg);
    EXPECT(!strncmp(msg, path, n) && !strncmp(msg + n, ": ", 2),
           "%s: message does not start "
           "with the file: %s",
           name, msg);
    EXPECT(strstr(msg, want) != NULL, "%s: message\n      %s\n    lacks\n      %s", name, msg,
           want);
    EXPECT(!strchr(msg, '\n'), "%s: message has more than one line: %s", name, msg);
    EXPECT(sm.params == NULL && sm.class_names == NULL && sm.feature_names == NULL,
           "%s: a failed load leaves the struct empty", name);
    if (st == CT_OK) ct_saved_model_free(&sm);
}

static void test_bad(void) {
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++)
        expect_bad(bad_cases[i].name, bad_cases[i].text, bad_cases[i].want);
    expect_bad("17 layers", "{\"layers\": [" L17 "], \"loss\": \"bce\"}",
               "'layers' has 17 layers; at most 16 are supported");
    /* a long name is cut in the message */
    char text[1024], name[301];
    memset(name, 'q', 300);
    name[300] = '\0';
    snprintf(text, sizeof text, MODEL("{\"weight\": [[1, 2]], \"activation\": \"%s\"}," OUT1, ""),
             name);
    expect_bad("long activation name", text, "unknown activation 'qqqqqqqqqq");
    {
        char p[128], m[CT_MSG_LEN];
        ct_saved_model sm;
        path_in(p, sizeof p, "model.json");
        ct_json_model_load(p, &sm, m);
        EXPECT(strstr(m, "qqq...'") && !strstr(m, name), "long name cut: %s", m);
    }
    /* the brief's exact message, file name first */
    char path[128], msg[CT_MSG_LEN], want[256];
    path_in(path, sizeof path, "model.json");
    write_text(path,
               "{\"layers\": [" L0 "," L0 ",{\"weight\": [[1, 2]], \"activation\": \"relu\"}],"
               " \"loss\": \"mse\"}");
    ct_saved_model sm;
    ct_json_model_load(path, &sm, msg);
    snprintf(want, sizeof want,
             "%s: layer 2: activation 'relu' on the output layer does not go "
             "with loss 'mse' (use linear)",
             path);
    EXPECT(!strcmp(msg, want), "message '%s', want '%s'", msg, want);
}

/* The examples: xor.json computes XOR of the xor generator's clusters at (+-1, +-1). */
static void test_examples(const char *dir) {
    char path[1024], msg[CT_MSG_LEN];
    snprintf(path, sizeof path, "%s/xor.json", dir);
    ct_saved_model sm;
    if (!EXPECT(ct_json_model_load(path, &sm, msg) == CT_OK, "examples: %s", msg)) return;
    ct_layout lay;
    ct_arch_layout(&sm.arch, &lay);
    EXPECT(sm.arch.n_layers == 2 && sm.arch.sizes[0] == 2 && sm.arch.sizes[1] == 2 &&
               sm.arch.sizes[2] == 1 && sm.arch.act[0] == CT_ACT_RELU &&
               sm.arch.loss == CT_LOSS_SIGMOID_BCE,
           "xor.json is a 2-2-1 relu net with bce");
    const float *p = sm.params;
    for (int c = 0; c < 4; c++) {
        double x[2] = {c >> 1 ? 1.0 : -1.0, c & 1 ? 1.0 : -1.0}, z = p[lay.b_off[1]];
        for (int j = 0; j < 2; j++) {
            double h = p[lay.b_off[0] + j] + p[lay.w_off[0] + j * 2] * x[0] +
                       p[lay.w_off[0] + j * 2 + 1] * x[1];
            z += p[lay.w_off[1] + j] * (h > 0 ? h : 0);
        }
        double out = 1 / (1 + exp(-z));
        int label = (c >> 1) ^ (c & 1);
        EXPECT(label ? out > 0.999 : out < 0.001, "xor(%g, %g) = %g, want %d", x[0], x[1], out,
               label);
    }
    ct_saved_model_free(&sm);
    snprintf(path, sizeof path, "%s/tiny_mse.json", dir);
    if (EXPECT(ct_json_model_load(path, &sm, msg) == CT_OK, "examples: %s", msg)) {
        EXPECT(sm.task == CT_TASK_REGRESSION && sm.target_names && sm.arch.alpha[0] == 0.1f,
               "tiny_mse.json: regression with targets and alpha 0.1");
        ct_saved_model_free(&sm);
    }
}

static void cleanup(void) {
    const char *names[] = {"example.json",
                           "nobias.json",
                           "fused.json",
                           "logits.json",
                           "regress.json",
                           "rt1.json",
                           "rt.safetensors",
                           "rt2.json",
                           "any.json",
                           "any.safetensors",
                           "any_json.model",
                           "any_st.model",
                           "really_safetensors.json",
                           "model.json",
                           "nan.json"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char p[128];
        path_in(p, sizeof p, names[i]);
        remove(p);
    }
    if (rmdir(g_dir) != 0)
        fprintf(stderr, "test_jsonmodel: %s left behind: %s\n", g_dir, strerror(errno));
}

int main(int argc, char **argv) {
    snprintf(g_dir, sizeof g_dir, "/tmp/ct_test_jsonmodel_XXXXXX");
    if (!mkdtemp(g_dir)) {
        fprintf(stderr, "test_jsonmodel: cannot create a folder under /tmp: %s\n", strerror(errno));
        return 1;
    }
    test_example();
    test_round_trip();
    test_load_any();
    test_save_errors();
    test_bad();
    if (argc > 1) test_examples(argv[1]);
    cleanup();
    return test_summary("test_jsonmodel");
}
