/* cltrain explain: one forward and backward pass (and optionally one optimizer step) of a small
 * model, layer by layer, every number computed on the device and by the reference side by side. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f) {
    fputs(
        "usage: cltrain [--device SEL] explain --model M.json (--input 1,2 | --inputs FILE.csv) "
        "[options]\n"
        "\n"
        "Runs one forward and backward pass and prints, layer by layer, the pre-activation z, the\n"
        "activation a, the output, the loss, the error signal delta = dL/dz, the gradients of\n"
        "weight and bias and, with --step, the weights after one optimizer step (for Adam also m,\n"
        "v and the bias-corrected values). Each number is computed on the device and by the\n"
        "reference, side by side with their difference.\n"
        "\n"
        "  --model FILE       a JSON model (see examples/) or a safetensors model\n"
        "  --input X          one input row: 1,2\n"
        "  --target T         its target: a class index or name (ce, bce), or values (mse, huber)\n"
        "  --inputs FILE.csv  a small batch: the model's features, then the target column\n"
        "  --step OPT:LR      one step of an optimizer (as train's --optimizer) from zero state,\n"
        "                     e.g. sgd:0.1 or adam:0.001\n"
        "  --json             one JSON object (loss, output, layers[z, a, delta, grad_weight,\n"
        "                     grad_bias, weight, bias; a normalized layer also norm_out (after\n"
        "                     the norm and its affine, before the activation), mean, var,\n"
        "                     grad_norm_weight, grad_norm_bias]) with the reference's values\n"
        "                     beside\n"
        "  --eval             evaluation mode: batch norm by its running statistics (default:\n"
        "                     training mode, by the batch's)\n"
        "  --backend B        both (default), opencl, or reference\n",
        f);
}

/* ---- text ---------------------------------------------------------------------------------- */

static double g_maxdiff;

static void row_values(const char *name, const double *d, const double *r, int rows, int cols,
                       int both) {
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) {
            size_t k = (size_t)i * cols + j;
            char label[64];
            if (rows == 1)
                snprintf(label, sizeof label, "%s[%d]", name, j);
            else
                snprintf(label, sizeof label, "%s[%d][%d]", name, i, j);
            const double *main = both ? d : (d ? d : r);
            if (both) {
                double diff = fabs(d[k] - r[k]);
                if (diff > g_maxdiff) g_maxdiff = diff;
                printf("    %-18s %15.8g %15.8g %10.2e\n", label, main[k], r[k], diff);
            } else {
                printf("    %-18s %15.8g\n", label, main[k]);
            }
        }
}

/* ---- JSON ---------------------------------------------------------------------------------- */

/* rows == 0: a vector of cols values; else a (rows, cols) matrix as nested arrays */
static void jarr(const double *v, int rows, int cols) {
    printf("[");
    for (int i = 0; i < (rows ? rows : 1); i++) {
        if (rows) printf("%s[", i ? ", " : "");
        for (int j = 0; j < cols; j++)
            printf("%s%.17g", j ? ", " : "", v[(size_t)i * cols + j]);
        if (rows) printf("]");
    }
    printf("]");
}

/* The members loss, output, layers of one pass (without braces). */
static void jpass(const ct_pass *p, const char *opt) {
    const ct_arch *a = &p->arch;
    int L = a->n_layers, B = p->B;
    printf("\"mode\": \"%s\", \"loss\": %.17g, \"output\": ", p->eval ? "eval" : "train", p->loss);
    jarr(p->a[L - 1], B, a->sizes[L]);
    printf(", \"layers\": [");
    for (int l = 0; l < L; l++) {
        int in = a->sizes[l], out = a->sizes[l + 1];
        printf("%s\n  {\"z\": ", l ? "," : "");
        jarr(p->z[l], B, out);
        printf(", \"a\": ");
        jarr(p->a[l], B, out);
        printf(", \"delta\": ");
        jarr(p->delta[l], B, out);
        printf(", \"grad_weight\": ");
        jarr(p->grad + p->lay.w_off[l], out, in);
        printf(", \"grad_bias\": ");
        jarr(p->grad + p->lay.b_off[l], 0, out);
        if (p->norm_out[l]) {
            int per_row = a->norm[l] == CT_NORM_LAYER;
            printf(", \"norm\": \"%s\", \"norm_out\": ", ct_norm_name(a->norm[l]));
            jarr(p->norm_out[l], B, out);
            printf(", \"mean\": ");
            jarr(p->mean[l], 0, per_row ? B : out);
            printf(", \"var\": ");
            jarr(p->var[l], 0, per_row ? B : out);
            printf(", \"grad_norm_weight\": ");
            jarr(p->grad + p->lay.g_off[l], 0, out);
            printf(", \"grad_norm_bias\": ");
            jarr(p->grad + p->lay.be_off[l], 0, out);
            if (a->norm[l] == CT_NORM_BATCH) { /* after the pass: training moves them */
                printf(", \"running_mean\": ");
                jarr(p->params + p->lay.rm_off[l], 0, out);
                printf(", \"running_var\": ");
                jarr(p->params + p->lay.rv_off[l], 0, out);
            }
            if (p->stepped) {
                printf(", \"norm_weight\": ");
                jarr(p->params + p->lay.g_off[l], 0, out);
                printf(", \"norm_bias\": ");
                jarr(p->params + p->lay.be_off[l], 0, out);
            }
        }
        if (p->stepped) {
            printf(", \"weight\": ");
            jarr(p->params + p->lay.w_off[l], out, in);
            printf(", \"bias\": ");
            jarr(p->params + p->lay.b_off[l], 0, out);
            if (!strcmp(opt, "adam") || !strcmp(opt, "adamw")) {
                const char *nm[2] = {"weight", "bias"};
                for (int k = 0; k < 2; k++) {
                    size_t off = k ? p->lay.b_off[l] : p->lay.w_off[l];
                    int rows = k ? 0 : out, cols = k ? out : in;
                    size_t n = (size_t)(rows ? rows : 1) * cols;
                    double *hat = malloc(n * sizeof(double));
                    if (!hat) continue;
                    printf(", \"m_%s\": ", nm[k]);
                    jarr(p->m + off, rows, cols);
                    printf(", \"v_%s\": ", nm[k]);
                    jarr(p->v + off, rows, cols);
                    for (size_t i = 0; i < n; i++)
                        hat[i] = p->m[off + i] / p->bc1;
                    printf(", \"m_hat_%s\": ", nm[k]);
                    jarr(hat, rows, cols);
                    for (size_t i = 0; i < n; i++)
                        hat[i] = p->v[off + i] / p->bc2;
                    printf(", \"v_hat_%s\": ", nm[k]);
                    jarr(hat, rows, cols);
                    free(hat);
                }
            } else if (!strcmp(opt, "momentum") || !strcmp(opt, "nesterov") ||
                       !strcmp(opt, "rmsprop")) {
                const char *key = !strcmp(opt, "rmsprop") ? "v" : "m";
                const double *st = !strcmp(opt, "rmsprop") ? p->v : p->m;
                printf(", \"%s_weight\": ", key);
                jarr(st + p->lay.w_off[l], out, in);
                printf(", \"%s_bias\": ", key);
                jarr(st + p->lay.b_off[l], 0, out);
            }
        }
        printf("}");
    }
    printf("]");
}

/* ---- inputs -------------------------------------------------------------------------------- */

/* Parses comma-separated numbers into out (room for max); returns how many the text holds
 * (which may exceed max: the caller compares), -1 after printing an error. */
static int parse_floats(const char *name, const char *s, float *out, int max) {
    int n = 0;
    const char *p = s;
    while (*p) {
        char *end;
        double v = strtod(p, &end);
        if (end == p || !isfinite(v) || (*end && *end != ',')) {
            cli_error("option %s expects comma-separated finite numbers, got '%s'", name, s);
            return -1;
        }
        if (n < max) out[n] = (float)v;
        n++;
        p = *end ? end + 1 : end;
    }
    return n;
}

/* The class index of a target given as an index or a class name. */
static int class_of(const ct_model *m, const char *s) {
    int n = ct_model_classes(m);
    for (int k = 0; k < n; k++)
        if (!strcmp(ct_model_class_name(m, k), s)) return k;
    char *end;
    long v = strtol(s, &end, 10);
    if (end != s && !*end && v >= 0 && v < n) return (int)v;
    return -1;
}

typedef struct {
    const char *model, *input, *target, *inputs, *step;
    int json, use_dev, use_ref, eval;
} options;

static int option(int argc, char **argv, int *i, void *opts) {
    options *o = opts;
    int r;
    if (cli_flag(argv[*i], "--json", &o->json)) return 1;
    if (cli_flag(argv[*i], "--eval", &o->eval)) return 1;
    if ((r = cli_opt(argc, argv, i, "--model", &o->model))) return r;
    if ((r = cli_opt(argc, argv, i, "--input", &o->input))) return r;
    if ((r = cli_opt(argc, argv, i, "--target", &o->target))) return r;
    if ((r = cli_opt(argc, argv, i, "--inputs", &o->inputs))) return r;
    if ((r = cli_opt(argc, argv, i, "--step", &o->step))) return r;
    return cli_opt_backend_both(argc, argv, i, &o->use_dev, &o->use_ref);
}

int cmd_explain(int argc, char **argv, const char *device) {
    options o = {.use_dev = 1, .use_ref = 1};
    int rc = cli_parse(argc, argv, "explain", usage, option, &o);
    if (rc != CLI_RUN) return rc;
    const char *model = o.model, *input = o.input, *target = o.target, *inputs = o.inputs;
    const char *step_s = o.step;
    int json = o.json, use_dev = o.use_dev, use_ref = o.use_ref;
    if (!model || (!input && !inputs) || (input && inputs)) {
        cli_error("explain: --model and one of --input or --inputs are required (see cltrain "
                  "explain --help)");
        return CLI_USAGE;
    }
    ct_optim_params op;
    int stepping = 0;
    char opt_name[32] = "";
    if (step_s) {
        const char *colon = strchr(step_s, ':');
        size_t n = colon ? (size_t)(colon - step_s) : strlen(step_s);
        ct_optim kind;
        snprintf(opt_name, sizeof opt_name, "%.*s", (int)(n < 31 ? n : 31), step_s);
        if (!ct_optim_parse(opt_name, &kind)) {
            char names[256];
            ct_optim_list_text(names, sizeof names);
            cli_error("option --step: unknown optimizer '%s' (%s)", opt_name, names);
            return CLI_USAGE;
        }
        op = ct_optim_defaults(kind);
        if (colon && !cli_float("--step", colon + 1, 0, 1e6, 1, &op.lr)) return CLI_USAGE;
        snprintf(opt_name, sizeof opt_name, "%s", ct_optim_name(kind));
        stepping = 1;
    }
    ct_model *sm = NULL;
    char msg[CT_MSG_LEN];
    if (ct_model_load(&sm, NULL, model, msg) != CT_OK) return cli_fail(msg);
    const ct_arch *a = ct_model_arch(sm);
    int in = a->sizes[0], C = a->sizes[a->n_layers], B = 1;
    rc = CLI_FAIL;
    float *X = NULL, *T = NULL;
    int *labels = NULL;
    ct_dataset *d = NULL;
    ct_device *dev = NULL;
    ct_pass pd, pr;
    memset(&pd, 0, sizeof pd);
    memset(&pr, 0, sizeof pr);
    int classes = a->loss == CT_LOSS_SOFTMAX_CE || a->loss == CT_LOSS_SIGMOID_BCE;
    if (input) {
        X = malloc((size_t)in * sizeof(float));
        T = calloc((size_t)C, sizeof(float));
        labels = calloc(1, sizeof(int));
        if (!X || !T || !labels) {
            cli_fail("out of host memory");
            goto done;
        }
        int n = parse_floats("--input", input, X, in);
        if (n < 0) goto usage;
        if (n != in) {
            cli_error("option --input: the model takes %d inputs, got %d ('%s')", in, n, input);
            goto usage;
        }
        if (!target) {
            cli_error(
                "explain: --input needs --target (the class or value the loss compares with)");
            goto usage;
        }
        if (classes) {
            int c = class_of(sm, target);
            if (c < 0) {
                cli_error(
                    "option --target: '%s' is not a class of the model (0..%d or a class name)",
                    target, ct_model_classes(sm) - 1);
                goto usage;
            }
            labels[0] = c;
            T[0] = (float)c;
        } else {
            int m = parse_floats("--target", target, T, C);
            if (m < 0) goto usage;
            if (m != C) {
                cli_error("option --target: the model has %d outputs, got %d values", C, m);
                goto usage;
            }
        }
    } else {
        if (ct_model_load_data(sm, &d, inputs, NULL, NULL, 1) != CT_OK) {
            cli_fail(ct_model_error(sm));
            goto done;
        }
        B = ct_data_rows(d);
        X = (float *)ct_data_x(d);
        labels = (int *)ct_data_labels(d);
        T = malloc((size_t)B * C * sizeof(float));
        if (!T) {
            cli_fail("out of host memory");
            goto done;
        }
        for (int i = 0; i < B * C; i++)
            T[i] = classes ? (float)(labels ? labels[i / C] : 0) : ct_data_targets(d)[i];
    }
    if (use_dev && cli_open_device(device, &dev) != CLI_OK) goto done;
    const ct_optim_params *stp = stepping ? &op : NULL;
    if ((use_dev && ct_model_explain_mode(sm, dev, X, labels, T, B, stp, o.eval, &pd) != CT_OK) ||
        (use_ref && ct_model_explain_mode(sm, NULL, X, labels, T, B, stp, o.eval, &pr) != CT_OK)) {
        cli_fail(ct_model_error(sm));
        goto done;
    }
    const ct_pass *main = use_dev ? &pd : &pr;
    int both = use_dev && use_ref;
    if (json) {
        /* one object: the device's values at the top, the reference's beside */
        printf("{\"backend\": \"%s\", ", use_dev ? "opencl" : "reference");
        jpass(main, opt_name);
        if (both) {
            printf(",\n \"reference\": {");
            jpass(&pr, opt_name);
            printf("}");
        }
        printf("}\n");
    } else {
        char desc[256];
        ct_arch_describe(a, desc, sizeof desc);
        printf("model %s: %s, batch of %d\n", model, desc, B);
        if (use_dev) {
            const ct_device_info *di = ct_device_get_info(dev);
            printf("device [%d] %s beside the reference (double precision)\n", di->index, di->name);
        }
        const char *hdr =
            both ? "                          device       reference     |diff|\n" : "";
        for (int l = 0; l < a->n_layers; l++) {
            int ni = a->sizes[l], no = a->sizes[l + 1], last = l + 1 == a->n_layers;
            const char *act = last ? (a->loss == CT_LOSS_SOFTMAX_CE    ? "softmax"
                                      : a->loss == CT_LOSS_SIGMOID_BCE ? "sigmoid"
                                                                       : "linear")
                                   : ct_act_name(a->act[l]);
            printf("\nlayer %d: %d -> %d, %s\n%s", l, ni, no, act, hdr);
            printf("  z = a_prev . W^T + b\n");
            row_values("z", pd.z[l], pr.z[l], B, no, both);
            if (main->norm_out[l]) {
                int per_row = a->norm[l] == CT_NORM_LAYER, ns = per_row ? B : no;
                printf("  %s norm (%s statistics): mean, var (biased) %s\n",
                       ct_norm_name(a->norm[l]),
                       per_row  ? "the row's"
                       : o.eval ? "running"
                                : "the batch's",
                       per_row ? "of each row" : "of each unit");
                row_values("mean", pd.mean[l], pr.mean[l], 1, ns, both);
                row_values("var", pd.var[l], pr.var[l], 1, ns, both);
                printf("  y = gamma (z - mean) / sqrt(var + %g) + beta\n", (double)a->norm_eps[l]);
                row_values("norm_out", pd.norm_out[l], pr.norm_out[l], B, no, both);
                printf("  a = %s(y)\n", act);
            } else {
                printf("  a = %s(z)%s\n", act, last ? "  (the output)" : "");
            }
            row_values("a", pd.a[l], pr.a[l], B, no, both);
        }
        printf("\nloss (%s, mean over the batch)\n", ct_loss_name(a->loss));
        row_values("loss", use_dev ? &pd.loss : NULL, &pr.loss, 1, 1, both);
        for (int l = a->n_layers - 1; l >= 0; l--) {
            int ni = a->sizes[l], no = a->sizes[l + 1];
            printf("\nlayer %d backward\n%s", l, hdr);
            printf("  delta = dL/dz\n");
            row_values("delta", pd.delta[l], pr.delta[l], B, no, both);
            printf("  dL/dW = delta^T . a_prev\n");
            row_values("grad_weight", use_dev ? pd.grad + pd.lay.w_off[l] : NULL,
                       pr.grad ? pr.grad + pr.lay.w_off[l] : NULL, no, ni, both);
            printf("  dL/db = sum of delta over the batch\n");
            row_values("grad_bias", use_dev ? pd.grad + pd.lay.b_off[l] : NULL,
                       pr.grad ? pr.grad + pr.lay.b_off[l] : NULL, 1, no, both);
            if (main->norm_out[l]) {
                size_t go = main->lay.g_off[l], bo = main->lay.be_off[l];
                printf("  dL/dgamma = sum of dL/dy xhat, dL/dbeta = sum of dL/dy\n");
                row_values("grad_norm_weight", use_dev ? pd.grad + go : NULL,
                           pr.grad ? pr.grad + go : NULL, 1, no, both);
                row_values("grad_norm_bias", use_dev ? pd.grad + bo : NULL,
                           pr.grad ? pr.grad + bo : NULL, 1, no, both);
            }
        }
        if (stepping) {
            printf("\none %s step, lr %g, from zero optimizer state\n", opt_name, (double)op.lr);
            for (int l = 0; l < a->n_layers; l++) {
                int ni = a->sizes[l], no = a->sizes[l + 1];
                const ct_pass *q = main;
                size_t wo = q->lay.w_off[l], bo = q->lay.b_off[l];
                printf("\nlayer %d after the step\n%s", l, hdr);
                row_values("weight", use_dev ? pd.params + wo : NULL,
                           use_ref ? pr.params + wo : NULL, no, ni, both);
                row_values("bias", use_dev ? pd.params + bo : NULL, use_ref ? pr.params + bo : NULL,
                           1, no, both);
                if (!strcmp(opt_name, "adam") || !strcmp(opt_name, "adamw")) {
                    printf("  m = (1 - beta1) g, v = (1 - beta2) g^2; m_hat = m / %.6g, v_hat = v "
                           "/ %.6g\n",
                           q->bc1, q->bc2);
                    row_values("m_weight", use_dev ? pd.m + wo : NULL, use_ref ? pr.m + wo : NULL,
                               no, ni, both);
                    row_values("v_weight", use_dev ? pd.v + wo : NULL, use_ref ? pr.v + wo : NULL,
                               no, ni, both);
                    row_values("m_bias", use_dev ? pd.m + bo : NULL, use_ref ? pr.m + bo : NULL, 1,
                               no, both);
                    row_values("v_bias", use_dev ? pd.v + bo : NULL, use_ref ? pr.v + bo : NULL, 1,
                               no, both);
                    /* the bias-corrected moments that the update divides */
                    size_t nw = (size_t)no * ni, nt = nw + (size_t)no;
                    double *hd = malloc(4 * nt * sizeof(double));
                    if (hd) {
                        double *mh_d = hd, *vh_d = hd + nt, *mh_r = hd + 2 * nt,
                               *vh_r = hd + 3 * nt;
                        for (size_t k = 0; k < nt; k++) {
                            size_t src = k < nw ? wo + k : bo + (k - nw);
                            mh_d[k] = use_dev ? pd.m[src] / pd.bc1 : 0;
                            vh_d[k] = use_dev ? pd.v[src] / pd.bc2 : 0;
                            mh_r[k] = use_ref ? pr.m[src] / pr.bc1 : 0;
                            vh_r[k] = use_ref ? pr.v[src] / pr.bc2 : 0;
                        }
                        row_values("m_hat_weight", use_dev ? mh_d : NULL, use_ref ? mh_r : NULL, no,
                                   ni, both);
                        row_values("v_hat_weight", use_dev ? vh_d : NULL, use_ref ? vh_r : NULL, no,
                                   ni, both);
                        row_values("m_hat_bias", use_dev ? mh_d + nw : NULL,
                                   use_ref ? mh_r + nw : NULL, 1, no, both);
                        row_values("v_hat_bias", use_dev ? vh_d + nw : NULL,
                                   use_ref ? vh_r + nw : NULL, 1, no, both);
                        free(hd);
                    }
                } else if (strcmp(opt_name, "sgd")) {
                    const char *k = !strcmp(opt_name, "rmsprop") ? "v" : "m";
                    const double *sd = !strcmp(opt_name, "rmsprop") ? pd.v : pd.m,
                                 *sr = !strcmp(opt_name, "rmsprop") ? pr.v : pr.m;
                    char nw[16], nb[16];
                    snprintf(nw, sizeof nw, "%s_weight", k);
                    snprintf(nb, sizeof nb, "%s_bias", k);
                    row_values(nw, use_dev ? sd + wo : NULL, use_ref ? sr + wo : NULL, no, ni,
                               both);
                    row_values(nb, use_dev ? sd + bo : NULL, use_ref ? sr + bo : NULL, 1, no, both);
                }
            }
        }
        if (both) printf("\nlargest |device - reference|: %.3g\n", g_maxdiff);
    }
    rc = CLI_OK;
    goto done;
usage:
    rc = CLI_USAGE;
done:
    ct_pass_free(&pd);
    ct_pass_free(&pr);
    ct_device_destroy(dev);
    if (d) {
        ct_data_destroy(d);
        X = NULL;
        labels = NULL;
    }
    free(X);
    free(T);
    free(labels);
    ct_model_destroy(sm);
    return rc;
}
