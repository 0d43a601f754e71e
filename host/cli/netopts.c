/* The options that train and lr-find share, and the network they describe. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "netopts.h"

static void defaults(cli_netopts *o) {
    memset(o, 0, sizeof *o);
    o->task = CT_TASK_AUTO;
    o->layers = "64,32";
    o->activation = "relu";
    o->init = "auto";
    o->alpha = NAN;
    o->huber_delta = 1.0f;
    o->norm = "none";
    o->norm_momentum = CT_NORM_MOMENTUM;
    o->norm_eps = CT_NORM_EPS;
    o->seed = 42;
    o->optimizer = "adam";
    o->momentum = o->dampening = o->beta1 = o->beta2 = o->rho = o->eps = o->weight_decay = NAN;
    o->batch = 32;
}

static int task_option(int argc, char **argv, int *i, ct_task *task) {
    const char *v;
    int r = cli_opt(argc, argv, i, "--task", &v);
    if (r <= 0) return r;
    if (!strcmp(v, "classification"))
        *task = CT_TASK_CLASSIFICATION;
    else if (!strcmp(v, "regression"))
        *task = CT_TASK_REGRESSION;
    else
        return cli_error("option --task expects classification or regression, got '%s'", v), -1;
    return 1;
}

void cli_usage_table(FILE *f) {
    fputs("tables (CSV): a column whose non-missing cells are all numbers is numeric, any other\n"
          "categorical (one-hot, categories sorted, stored in the model; a category not seen in\n"
          "training encodes as all zeros). COLS: comma-separated names or 0-based indices.\n"
          "  --categorical COLS   take these columns as categorical\n"
          "  --numeric COLS       take these columns as numeric (a cell that is not a number is\n"
          "                       an error)\n"
          "  --drop COLS          leave these columns out (an id column, say)\n"
          "  --max-categories N   a categorical column with more distinct values is an error\n"
          "                       (default 100)\n"
          "  --na-values LIST     the spellings of a missing cell besides an empty one\n"
          "                       (default NA,N/A,NaN,nan,null,?)\n"
          "  --impute median|mean a numeric column's missing cells take its training median\n"
          "                       (default) or mean; a categorical column's get a category of\n"
          "                       their own, <missing>\n"
          "  --missing-indicator  add a 0/1 input per numeric column that had missing cells\n"
          "  --drop-missing-labels  leave out rows whose label is missing (else an error)\n",
          f);
}

static int impute_option(int argc, char **argv, int *i, int *mean) {
    const char *v;
    int r = cli_opt(argc, argv, i, "--impute", &v);
    if (r <= 0) return r;
    if (!strcmp(v, "median") || !strcmp(v, "mean")) {
        *mean = !strcmp(v, "mean");
        return 1;
    }
    return cli_error("option --impute expects median or mean, got '%s'", v), -1;
}

static int table_option(int argc, char **argv, int *i, cli_netopts *o) {
    int r;
    if (cli_flag(argv[*i], "--missing-indicator", &o->missing_indicator)) return 1;
    if (cli_flag(argv[*i], "--drop-missing-labels", &o->drop_missing_labels)) return 1;
    if ((r = cli_opt(argc, argv, i, "--categorical", &o->categorical))) return r;
    if ((r = cli_opt(argc, argv, i, "--numeric", &o->numeric))) return r;
    if ((r = cli_opt(argc, argv, i, "--drop", &o->drop))) return r;
    if ((r = cli_opt(argc, argv, i, "--na-values", &o->na_values))) return r;
    if ((r = cli_opt_int(argc, argv, i, "--max-categories", 1, 1 << 24, &o->max_categories)))
        return r;
    return impute_option(argc, argv, i, &o->impute_mean);
}

int cli_netopts_option(int argc, char **argv, int *i, cli_netopts *o) {
    int r;
    if (cli_flag(argv[*i], "--standardize", &o->standardize)) return 1;
    if ((r = table_option(argc, argv, i, o))) return r;
    /* data */
    if ((r = cli_opt(argc, argv, i, "--data", &o->data))) return r;
    if ((r = cli_opt(argc, argv, i, "--labels", &o->labels))) return r;
    if ((r = cli_opt(argc, argv, i, "--label", &o->label))) return r;
    if ((r = task_option(argc, argv, i, &o->task))) return r;
    /* model */
    if ((r = cli_opt(argc, argv, i, "--layers", &o->layers))) return r;
    if ((r = cli_opt(argc, argv, i, "--activation", &o->activation))) return r;
    if ((r = cli_opt_float(argc, argv, i, "--alpha", 0, 1e6, 0, &o->alpha))) return r;
    if ((r = cli_opt(argc, argv, i, "--loss", &o->loss))) return r;
    if ((r = cli_opt_float(argc, argv, i, "--huber-delta", 0, 1e30, 1, &o->huber_delta))) return r;
    if ((r = cli_opt(argc, argv, i, "--init", &o->init))) return r;
    if ((r = cli_opt_float(argc, argv, i, "--bias-init", -1e6, 1e6, 0, &o->bias_init))) return r;
    if ((r = cli_opt(argc, argv, i, "--dropout", &o->dropout))) return r;
    if ((r = cli_opt(argc, argv, i, "--norm", &o->norm))) return r;
    if ((r = cli_opt_float(argc, argv, i, "--norm-momentum", 0, 1, 0, &o->norm_momentum))) return r;
    if ((r = cli_opt_float(argc, argv, i, "--norm-eps", 0, 1, 1, &o->norm_eps))) return r;
    if ((r = cli_opt_u64(argc, argv, i, "--seed", &o->seed))) return r;
    /* optimizer */
    if ((r = cli_opt(argc, argv, i, "--optimizer", &o->optimizer))) return r;
    if ((r = cli_opt_float(argc, argv, i, "--momentum", 0, 1, 0, &o->momentum))) return r;
    if ((r = cli_opt_float(argc, argv, i, "--dampening", 0, 1, 0, &o->dampening))) return r;
    if ((r = cli_opt_float(argc, argv, i, "--beta1", 0, 0.999999, 0, &o->beta1))) return r;
    if ((r = cli_opt_float(argc, argv, i, "--beta2", 0, 0.99999999, 0, &o->beta2))) return r;
    if ((r = cli_opt_float(argc, argv, i, "--rho", 0, 0.999999, 0, &o->rho))) return r;
    if ((r = cli_opt_float(argc, argv, i, "--eps", 0, 1, 1, &o->eps))) return r;
    if ((r = cli_opt_float(argc, argv, i, "--weight-decay", 0, 1e3, 0, &o->weight_decay))) return r;
    if ((r = cli_opt_float(argc, argv, i, "--l2", 0, 1e3, 0, &o->l2))) return r;
    if ((r = cli_opt_float(argc, argv, i, "--clip-norm", 0, 1e30, 1, &o->clip_norm))) return r;
    return cli_opt_int(argc, argv, i, "--batch", 1, 1 << 20, &o->batch);
}

int cli_netopts_parse(int argc, char **argv, const char *cmd, void (*usage)(FILE *),
                      cli_option_fn *option, void *opts, cli_netopts *o) {
    defaults(o);
    int rc = cli_parse(argc, argv, cmd, usage, option, opts);
    if (rc == CLI_RUN && !o->data) {
        cli_error("%s: --data is required (a generator such as moons, or a file; see cltrain %s "
                  "--help)",
                  cmd, cmd);
        return CLI_USAGE;
    }
    return rc;
}

ct_status cli_netopts_load(const cli_netopts *o, const char *source, const ct_dataset *like,
                           ct_dataset **out, char msg[CT_MSG_LEN]) {
    ct_data_opts d;
    memset(&d, 0, sizeof d);
    d.label = o->label;
    d.labels_path = source == o->data ? o->labels : NULL;
    d.task = like ? ct_data_task(like) : o->task;
    d.seed = o->seed;
    d.require_labels = 1;
    d.categorical = o->categorical;
    d.numeric = o->numeric;
    d.drop = o->drop;
    d.na_values = o->na_values;
    d.max_categories = o->max_categories;
    d.impute_mean = o->impute_mean;
    d.missing_indicator = o->missing_indicator;
    d.drop_missing_labels = o->drop_missing_labels;
    char *names[4096];
    int k = like ? ct_data_classes(like) : 0;
    if (k > 0 && k <= (int)(sizeof names / sizeof names[0])) {
        for (int i = 0; i < k; i++)
            names[i] = (char *)ct_data_class_name(like, i);
        d.class_names = names;
        d.n_classes = k;
    }
    if (!like) return ct_data_load(out, source, &d, msg);
    /* validation and test data: the training data's columns and their encoding */
    ct_status st = ct_data_load_like(out, source, &d, like, msg);
    if (st == CT_OK && *ct_data_note(*out)) printf("note: %s\n", ct_data_note(*out));
    return st;
}

void cli_describe_data(const char *what, const ct_dataset *d) {
    int rows = ct_data_rows(d), features = ct_data_features(d);
    printf("%s: %s (%d row%s, %d feature%s, ", what, ct_data_source(d), rows, rows == 1 ? "" : "s",
           features, features == 1 ? "" : "s");
    if (ct_data_task(d) == CT_TASK_CLASSIFICATION)
        printf("%d classes)\n", ct_data_classes(d));
    else
        printf("regression, %d target%s)\n", ct_data_outputs(d),
               ct_data_outputs(d) == 1 ? "" : "s");
    char line[1024];
    if (ct_data_describe_columns(d, line, sizeof line)) printf("columns: %s\n", line);
}

int cli_netspec_optimizer(cli_netspec *n, const cli_netopts *o) {
    if (!ct_optim_parse(o->optimizer, &n->kind)) {
        char names[256];
        ct_optim_list_text(names, sizeof names);
        cli_error("option --optimizer expects %s, got '%s'", names, o->optimizer);
        return CLI_USAGE;
    }
    ct_optim_params *op = &n->optim;
    *op = ct_optim_defaults(n->kind);
    if (!isnan(o->momentum)) op->momentum = o->momentum;
    if (!isnan(o->dampening)) op->dampening = o->dampening;
    if (!isnan(o->beta1)) op->beta1 = o->beta1;
    if (!isnan(o->beta2)) op->beta2 = o->beta2;
    if (!isnan(o->rho)) op->rho = o->rho;
    if (!isnan(o->eps)) op->eps = o->eps;
    if (!isnan(o->weight_decay)) op->weight_decay = o->weight_decay;
    op->clip_norm = o->clip_norm;
    if (n->kind == CT_OPT_NESTEROV && op->dampening != 0) {
        cli_error("option --dampening must be 0 with nesterov (got %g)", (double)op->dampening);
        return CLI_USAGE;
    }
    return CLI_OK;
}

/* --activation and --dropout lists: "relu" for every hidden layer, or one per layer
 * "relu,tanh"; -1 after an error. */
static int per_layer(const char *name, const char *list, int hidden, char out[][32]) {
    int n = 0;
    const char *p = list;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == 0 || len >= 32 || n == CT_MAX_LAYERS)
            return cli_error("option %s: cannot read '%s' (one value, or one per hidden layer)",
                             name, list),
                   -1;
        memcpy(out[n], p, len);
        out[n][len] = '\0';
        n++;
        p = comma ? comma + 1 : p + len;
        if (comma && !*p) return cli_error("option %s: trailing comma in '%s'", name, list), -1;
    }
    if (n == 1)
        for (int i = 1; i < hidden; i++)
            memcpy(out[i], out[0], 32);
    else if (n != hidden)
        return cli_error("option %s: %d values for %d hidden layers ('%s'); give one or %d", name,
                         n, hidden, list, hidden),
               -1;
    return hidden;
}

int cli_netspec_model(cli_netspec *n, const cli_netopts *o) {
    if (!ct_init_parse(o->init, &n->init)) {
        cli_error("option --init expects auto, he, he_uniform, xavier, xavier_normal, lecun, "
                  "lecun_uniform, normal:STD, uniform:A, zeros or ones, got '%s'",
                  o->init);
        return CLI_USAGE;
    }
    n->n_hidden = 0;
    if (strcmp(o->layers, "0") && strcmp(o->layers, "")) {
        n->n_hidden = cli_int_list("--layers", o->layers, n->hidden, CT_MAX_LAYERS - 1, 1, 1 << 20);
        if (!n->n_hidden) return CLI_USAGE;
    }
    int nh = n->n_hidden;
    ct_arch *a = &n->arch;
    char acts[CT_MAX_LAYERS][32], drops[CT_MAX_LAYERS][32], norms[CT_MAX_LAYERS][32];
    if (nh > 0 && per_layer("--activation", o->activation, nh, acts) < 0) return CLI_USAGE;
    for (int i = 0; i < nh; i++) {
        if (!ct_act_parse(acts[i], &a->act[i])) {
            char names[256];
            ct_act_list_text(names, sizeof names, CT_ACT_IDENTITY, "identity");
            cli_error("option --activation: unknown activation '%s' (%s)", acts[i], names);
            return CLI_USAGE;
        }
        a->alpha[i] = !isnan(o->alpha) ? o->alpha : ct_act_default_alpha(a->act[i]);
    }
    if (o->dropout && nh > 0) {
        if (per_layer("--dropout", o->dropout, nh, drops) < 0) return CLI_USAGE;
        for (int i = 0; i < nh; i++)
            if (!cli_float("--dropout", drops[i], 0, 0.99, 0, &a->dropout[i])) return CLI_USAGE;
    } else if (o->dropout) {
        float p;
        if (!cli_float("--dropout", o->dropout, 0, 0.99, 0, &p)) return CLI_USAGE;
    }
    if (nh > 0 && per_layer("--norm", o->norm, nh, norms) < 0) return CLI_USAGE;
    for (int i = 0; i < (nh > 0 ? nh : 1); i++) {
        const char *v = nh > 0 ? norms[i] : o->norm;
        ct_norm k = CT_NORM_NONE;
        if (!ct_norm_parse(v, &k)) {
            cli_error("option --norm expects batch, layer or none (or one per hidden layer), got "
                      "'%s'",
                      v);
            return CLI_USAGE;
        }
        if (nh == 0) break;
        a->norm[i] = k;
        a->norm_momentum[i] = o->norm_momentum;
        a->norm_eps[i] = o->norm_eps;
    }
    n->loss_given = 0;
    n->loss = CT_LOSS_SOFTMAX_CE;
    if (o->loss) {
        if (!ct_loss_parse(o->loss, &n->loss)) {
            char names[128];
            ct_loss_list_text(names, sizeof names);
            cli_error("option --loss expects %s, got '%s'", names, o->loss);
            return CLI_USAGE;
        }
        n->loss_given = 1;
    }
    return CLI_OK;
}

ct_status cli_netspec_arch(cli_netspec *n, const cli_netopts *o, const ct_dataset *train,
                           char msg[CT_MSG_LEN]) {
    ct_arch *a = &n->arch;
    int nh = n->n_hidden;
    a->n_layers = nh + 1;
    for (int i = 0; i < nh; i++)
        a->sizes[i + 1] = n->hidden[i];
    a->huber_delta = o->huber_delta;
    a->loss = n->loss_given ? n->loss : CT_LOSS_AUTO;
    return ct_arch_fit_data(a, train, msg);
}

ct_status cli_netopts_batch(const cli_netopts *o, const ct_dataset *train, int *batch,
                            char msg[CT_MSG_LEN]) {
    int n = ct_data_rows(train);
    if (o->batch > n) {
        snprintf(msg, CT_MSG_LEN,
                 "--batch %d is larger than the %d training rows of %s (use --batch %d for the "
                 "whole data in each step)",
                 o->batch, n, ct_data_source(train), n);
        return CT_ERR_ARG;
    }
    *batch = o->batch;
    return CT_OK;
}

void cli_usage_model_names(FILE *f) {
    char acts[256], losses[128];
    ct_act_list_text(acts, sizeof acts, CT_ACT_IDENTITY, "identity");
    ct_loss_list_text(losses, sizeof losses);
    fprintf(f,
            "  --activation A       %s,\n"
            "                       or one per hidden layer: relu,tanh (default relu)\n"
            "  --alpha X            leaky_relu slope / elu alpha (default 0.01 / 1.0)\n"
            "  --loss L             %s (default: from the data)\n"
            "  --norm N             batch, layer or none: a normalization after every hidden\n"
            "                       dense layer, before its activation (or one per layer:\n"
            "                       batch,none); learnable gamma/beta, which --l2 and\n"
            "                       --weight-decay leave alone (default none)\n"
            "  --norm-momentum M    batch norm: running = (1 - M) running + M batch, the\n"
            "                       variance unbiased; evaluation and prediction use the\n"
            "                       running statistics (default 0.1, as PyTorch)\n"
            "  --norm-eps E         added to the variance (default 1e-5)\n",
            acts, losses);
}

void cli_usage_optimizer(FILE *f) {
    char opts[256];
    ct_optim_list_text(opts, sizeof opts);
    fprintf(f, "  --optimizer O        %s\n                       (default adam)\n", opts);
}
