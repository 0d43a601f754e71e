/* cltrain gradcheck: the analytic gradients of the device and of the reference against central
 * finite differences of the reference loss in double precision, per tensor, for every
 * activation x loss combination asked for. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "rng.h" /* header-only: the generator of the random inputs */

static void usage(FILE *f) {
    fputs("usage: cltrain [--device SEL] gradcheck [options]\n"
          "\n"
          "Compares the gradients of one forward and backward pass, computed on the device and by\n"
          "the reference, with fourth-order central finite differences of the reference loss in "
          "double\n"
          "precision, on random weights and data (seeded). Prints the largest relative error per\n"
          "tensor: the reference's |g - fd| / max(|g|, |fd|, 1e-3 max|fd of the tensor|), the\n"
          "device's |g - fd| / max(|g|, |fd|, max|fd of the tensor|) (float32 rounding is at the\n"
          "scale of the tensor, not of a small component made by cancellation); exits 1 above\n"
          "the tolerance. A parameter whose difference moves with the step (h against h/2: a\n"
          "kink of the loss, such as a ReLU crossing 0, within the step) is tried with h/16 and\n"
          "h/256, then left out and counted.\n"
          "\n"
          "  --activation A   all (default), or a list: relu,tanh\n"
          "  --loss L         all (default), or a list of ce, bce, mse, huber\n"
          "  --norm N         none (default), batch, layer, a list (batch,layer) or all: the\n"
          "                   norm after every hidden layer; its gamma and beta are checked too\n"
          "  --layers 5,4     hidden sizes (default 5,4)\n"
          "  --inputs N       input features (default 3)\n"
          "  --outputs N      classes for ce, targets for mse/huber (default 3; bce: 1)\n"
          "  --batch N        rows (default 4)\n"
          "  --model FILE     check this model instead (safetensors or JSON; random inputs)\n"
          "  --seed N         weights and data (default 1)\n"
          "  --step H         finite-difference step (default 3e-5, times max(1, |p|))\n"
          "  --tol X          the device's tolerance (default 1e-3: float arithmetic)\n"
          "  --ref-tol X      the reference's tolerance (default 1e-6: double arithmetic)\n"
          "  --max-params N   parameters checked per tensor, spread evenly (default 64)\n"
          "  --backend B      both (default), opencl or reference\n",
          f);
}

typedef struct {
    double tol, ref_tol, h;
    int max_params, use_dev, use_ref;
    int failed, checked, skipped;
    double worst_dev, worst_ref;
} gc_opts;

/* The fourth-order central difference of the reference loss in parameter j with the step
 * h max(1, |p_j|): (8 (L(+h) - L(-h)) - (L(+2h) - L(-2h))) / 12h, truncation error O(h^4),
 * so that what is left is rounding. p[j] is restored. */
static double fourth_order(const ct_arch *a, double *p, size_t j, double step, const float *X,
                           const int *labels, const float *T, int B) {
    double keep = p[j], h = step * fmax(1.0, fabs(keep)), l[4];
    for (int k = 0; k < 4; k++) {
        p[j] = keep + (double)(k < 2 ? k + 1 : 1 - k) * h; /* +h +2h -h -2h */
        l[k] = ct_ref_loss_at(a, p, X, labels, T, B);
    }
    p[j] = keep;
    return (8 * (l[0] - l[2]) - (l[1] - l[3])) / (12 * h);
}

/* The difference with the step h, and in *inc how far it lies from the one with h / 2: on a
 * smooth loss both are exact to O(h^4) and differ by rounding; a kink of the loss within 2h
 * of the point makes them differ by the order of the jump in slope. */
static double fd_checked(const ct_arch *a, double *p, size_t j, double step, const float *X,
                         const int *labels, const float *T, int B, double *inc) {
    double d = fourth_order(a, p, j, step, X, labels, T, B);
    *inc = fabs(d - fourth_order(a, p, j, step / 2, X, labels, T, B));
    return d;
}

/* Checks one architecture with given params and data; prints a row per tensor. */
static int check_one(ct_device *dev, const ct_arch *a, const float *params, const float *X,
                     const int *labels, const float *T, int B, const char *title, gc_opts *g) {
    char msg[CT_MSG_LEN];
    ct_pass pd, pr;
    memset(&pd, 0, sizeof pd);
    memset(&pr, 0, sizeof pr);
    if (g->use_ref && ct_pass_run(NULL, a, params, X, labels, T, B, NULL, &pr, msg) != CT_OK)
        return cli_fail(msg);
    if (g->use_dev && dev &&
        ct_pass_run(dev, a, params, X, labels, T, B, NULL, &pd, msg) != CT_OK) {
        ct_pass_free(&pr);
        return cli_fail(msg);
    }
    ct_layout lay;
    ct_arch_layout(a, &lay);
    double *p = malloc(lay.n_params * sizeof(double));
    if (!p) {
        ct_pass_free(&pr);
        ct_pass_free(&pd);
        return cli_fail("out of host memory");
    }
    for (size_t i = 0; i < lay.n_params; i++)
        p[i] = params[i];
    printf("%s\n", title);
    double gscale = 0; /* the largest gradient of the network */
    for (size_t i = 0; i < lay.n_train; i++)
        gscale = fmax(gscale, fabs(g->use_ref ? pr.grad[i] : dev ? pd.grad[i] : 0));
    for (int l = 0; l < a->n_layers; l++)
        for (int kind = 0; kind < 4; kind++) {
            /* the layer's learnable tensors: weight, bias, and a norm's gamma and beta */
            ct_tensor_info x;
            if (!ct_layer_tensor(a, &lay, l, kind, &x)) break;
            size_t off = x.off, n = x.count;
            size_t stride = n > (size_t)g->max_params ? (n + g->max_params - 1) / g->max_params : 1;
            double fdmax = 0, er = 0, ed = 0;
            size_t cnt = 0;
            double *fd = malloc(n * sizeof(double));
            if (!fd) {
                free(p);
                ct_pass_free(&pr);
                ct_pass_free(&pd);
                return cli_fail("out of host memory");
            }
            /* inc[i]: how far the difference moves when its step halves */
            double *inc = malloc(n * sizeof(double));
            if (!inc) {
                free(fd);
                free(p);
                ct_pass_free(&pr);
                ct_pass_free(&pd);
                return cli_fail("out of host memory");
            }
            for (size_t i = 0; i < n; i += stride) {
                fd[i] = fd_checked(a, p, off + i, g->h, X, labels, T, B, &inc[i]);
                fdmax = fmax(fdmax, fabs(fd[i]));
            }
            /* a bias that a batch norm follows has no gradient (the norm subtracts the batch
             * mean), nor has a norm's beta that reaches the next batch norm through the identity
             * and a dense layer: both must be 0 to rounding, against the network's largest */
            int zero = (kind == 1 && l + 1 < a->n_layers && a->norm[l] == CT_NORM_BATCH) ||
                       (kind == 3 && a->act[l] == CT_ACT_IDENTITY && l + 2 < a->n_layers &&
                        a->norm[l + 1] == CT_NORM_BATCH);
            /* A kink of the loss within the step (a ReLU's or leaky ReLU's unit crossing 0,
             * Huber's switch) makes the difference no derivative: it then moves with the step
             * by more than the reference's tolerance allows. Such a point is tried again with
             * steps 16 and 256 times smaller (a kink is a point: a small enough step leaves it
             * outside). One that still moves keeps the difference of the first step (on a
             * smooth loss the most accurate: a smaller step only adds rounding), and where the
             * reference then disagrees with it, the loss is not differentiable at the scale
             * differences in double resolve: that point is left out (counted and printed). */
            size_t skipped = 0;
            for (size_t i = 0; i < n; i += stride) {
                double scale =
                    0.5 * g->ref_tol *
                    (zero ? fmax(gscale, 1e-12) : fmax(fabs(fd[i]), fmax(1e-3 * fdmax, 1e-12)));
                if (inc[i] <= scale) continue;
                double first = fd[i];
                for (int t = 0; t < 2 && !(inc[i] <= scale); t++)
                    fd[i] =
                        fd_checked(a, p, off + i, g->h / (t ? 256 : 16), X, labels, T, B, &inc[i]);
                if (inc[i] <= scale) continue;
                fd[i] = first;
                inc[i] = -1; /* unresolved */
            }
            for (size_t i = 0; i < n; i += stride) {
                double floor_ = zero ? fmax(gscale, 1e-12) : fmax(1e-3 * fdmax, 1e-12);
                if (inc[i] < 0) { /* unresolved: left out where the reference disagrees */
                    double e = zero ? fmax(fabs(fd[i]), fabs(pr.grad[off + i])) / floor_
                                    : fabs(pr.grad[off + i] - fd[i]) /
                                          fmax(fmax(fabs(pr.grad[off + i]), fabs(fd[i])), floor_);
                    if (!g->use_ref || !(e <= g->ref_tol)) {
                        skipped++;
                        continue;
                    }
                }
                if (zero) {
                    double e = fabs(fd[i]);
                    if (g->use_ref) er = fmax(er, fmax(e, fabs(pr.grad[off + i])) / floor_);
                    if (g->use_dev && dev) ed = fmax(ed, fmax(e, fabs(pd.grad[off + i])) / floor_);
                    if (isnan(er) || isnan(ed)) er = ed = INFINITY;
                    cnt++;
                    continue;
                }
                if (g->use_ref) {
                    double gr = pr.grad[off + i];
                    double e = fabs(gr - fd[i]) / fmax(fmax(fabs(gr), fabs(fd[i])), floor_);
                    er = isnan(e) ? INFINITY : fmax(er, e);
                }
                if (g->use_dev && dev) {
                    /* float32: the error of a sum is bounded by the unit roundoff times the
                     * sum of its terms' magnitudes, not times its value. The gradients of a
                     * tensor are sums of terms at the tensor's scale, and a component that
                     * is small against that scale is a cancellation (a norm's backward
                     * g - mean(g) - xhat mean(g xhat), the (z - mean) / sigma before it, a
                     * bias summed over the batch): its float32 error is at the tensor's
                     * scale, not at its own. So the device's error is measured against the
                     * tensor's largest gradient (normwise); the large components keep their
                     * relative measure. */
                    double gd = pd.grad[off + i];
                    double e =
                        fabs(gd - fd[i]) / fmax(fmax(fabs(gd), fabs(fd[i])), fmax(fdmax, 1e-12));
                    ed = isnan(e) ? INFINITY : fmax(ed, e);
                }
                cnt++;
            }
            free(fd);
            free(inc);
            const char *name = x.name;
            int bad_ref = g->use_ref && !(er <= g->ref_tol),
                bad_dev = g->use_dev && dev && !(ed <= g->tol);
            g->checked++;
            if (bad_ref || bad_dev) g->failed++;
            g->worst_ref = fmax(g->worst_ref, er);
            g->worst_dev = fmax(g->worst_dev, ed);
            g->skipped += (int)skipped;
            printf("  %-20s %4zu of %-5zu", name, cnt, n);
            if (g->use_ref) printf("  reference %9.2e%s", er, bad_ref ? " FAIL" : "");
            if (g->use_dev && dev) printf("  device %9.2e%s", ed, bad_dev ? " FAIL" : "");
            printf("%s", zero ? "  (0: a batch norm follows)" : "");
            if (skipped) printf("  (%zu left out: a kink within the step)", skipped);
            printf("\n");
        }
    free(p);
    ct_pass_free(&pr);
    ct_pass_free(&pd);
    return CLI_OK;
}

/* Random inputs and targets for a. */
static int random_data(const ct_arch *a, int B, ct_rng *r, float **X, int **labels, float **T) {
    int in = a->sizes[0], C = a->sizes[a->n_layers];
    *X = malloc((size_t)B * in * sizeof(float));
    *labels = malloc((size_t)B * sizeof(int));
    *T = malloc((size_t)B * C * sizeof(float));
    if (!*X || !*labels || !*T) return 0;
    for (int i = 0; i < B * in; i++)
        (*X)[i] = (float)(2 * ct_rng_uniform(r) - 1);
    for (int i = 0; i < B; i++)
        (*labels)[i] = (int)(ct_rng_next(r) % (uint64_t)C);
    for (int i = 0; i < B * C; i++)
        (*T)[i] = a->loss == CT_LOSS_SIGMOID_BCE ? (float)(ct_rng_next(r) & 1)
                                                 : (float)(2 * ct_rng_uniform(r) - 1);
    return 1;
}

typedef struct {
    const char *acts, *losses, *layers, *model, *norms;
    int inputs, outputs, batch, max_params, use_dev, use_ref;
    unsigned long long seed;
    float tol, ref_tol, h;
} options;

static int option(int argc, char **argv, int *i, void *opts) {
    options *o = opts;
    int r;
    if ((r = cli_opt(argc, argv, i, "--activation", &o->acts))) return r;
    if ((r = cli_opt(argc, argv, i, "--loss", &o->losses))) return r;
    if ((r = cli_opt(argc, argv, i, "--norm", &o->norms))) return r;
    if ((r = cli_opt(argc, argv, i, "--layers", &o->layers))) return r;
    if ((r = cli_opt(argc, argv, i, "--model", &o->model))) return r;
    if ((r = cli_opt_int(argc, argv, i, "--inputs", 1, 100000, &o->inputs))) return r;
    if ((r = cli_opt_int(argc, argv, i, "--outputs", 1, 100000, &o->outputs))) return r;
    if ((r = cli_opt_int(argc, argv, i, "--batch", 1, 100000, &o->batch))) return r;
    if ((r = cli_opt_u64(argc, argv, i, "--seed", &o->seed))) return r;
    if ((r = cli_opt_float(argc, argv, i, "--step", 0, 1, 1, &o->h))) return r;
    if ((r = cli_opt_float(argc, argv, i, "--tol", 0, 1, 1, &o->tol))) return r;
    if ((r = cli_opt_float(argc, argv, i, "--ref-tol", 0, 1, 1, &o->ref_tol))) return r;
    if ((r = cli_opt_int(argc, argv, i, "--max-params", 1, 1 << 30, &o->max_params))) return r;
    return cli_opt_backend_both(argc, argv, i, &o->use_dev, &o->use_ref);
}

int cmd_gradcheck(int argc, char **argv, const char *device) {
    options o;
    memset(&o, 0, sizeof o);
    o.acts = o.losses = "all";
    o.norms = "none";
    o.layers = "5,4";
    o.inputs = o.outputs = 3;
    o.batch = 4;
    o.max_params = 64;
    o.use_dev = o.use_ref = 1;
    o.seed = 1;
    o.tol = 1e-3f;
    o.ref_tol = 1e-6f;
    o.h = 3e-5f;
    int rc = cli_parse(argc, argv, "gradcheck", usage, option, &o);
    if (rc != CLI_RUN) return rc;
    const char *acts_s = o.acts, *losses_s = o.losses, *layers_s = o.layers, *model = o.model;
    int inputs = o.inputs, outputs = o.outputs, B = o.batch;
    unsigned long long seed = o.seed;
    float tol = o.tol, ref_tol = o.ref_tol, h = o.h;
    gc_opts g;
    memset(&g, 0, sizeof g);
    g.max_params = o.max_params;
    g.use_dev = o.use_dev;
    g.use_ref = o.use_ref;
    g.tol = tol;
    g.ref_tol = ref_tol;
    g.h = h;
    /* the combinations */
    ct_act acts[CT_ACT_COUNT];
    ct_loss losses[CT_LOSS_COUNT];
    int na = 0, nl = 0;
    char buf[256], *save = NULL;
    if (!strcmp(acts_s, "all")) {
        for (int k = 0; k < CT_ACT_COUNT; k++)
            acts[na++] = (ct_act)k;
    } else {
        snprintf(buf, sizeof buf, "%s", acts_s);
        for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            if (na == CT_ACT_COUNT || !ct_act_parse(t, &acts[na])) {
                cli_error("option --activation: unknown activation '%s'", t);
                return CLI_USAGE;
            }
            na++;
        }
    }
    if (!strcmp(losses_s, "all")) {
        for (int k = 0; k < CT_LOSS_COUNT; k++)
            losses[nl++] = (ct_loss)k;
    } else {
        snprintf(buf, sizeof buf, "%s", losses_s);
        for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            if (nl == CT_LOSS_COUNT || !ct_loss_parse(t, &losses[nl])) {
                char names[128];
                ct_loss_list_text(names, sizeof names);
                cli_error("option --loss: unknown loss '%s' (%s)", t, names);
                return CLI_USAGE;
            }
            nl++;
        }
    }
    ct_norm norms[CT_NORM_COUNT];
    int nn = 0;
    if (!strcmp(o.norms, "all")) {
        for (int k = 0; k < CT_NORM_COUNT; k++)
            norms[nn++] = (ct_norm)k;
    } else {
        snprintf(buf, sizeof buf, "%s", o.norms);
        for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            if (nn == CT_NORM_COUNT || !ct_norm_parse(t, &norms[nn])) {
                cli_error("option --norm: unknown normalization '%s' (none, batch, layer, all)", t);
                return CLI_USAGE;
            }
            nn++;
        }
    }
    int hidden[CT_MAX_LAYERS],
        nh = cli_int_list("--layers", layers_s, hidden, CT_MAX_LAYERS - 1, 1, 4096);
    if (!nh) return CLI_USAGE;

    ct_device *dev = NULL;
    if (g.use_dev && cli_open_device(device, &dev) != CLI_OK) return CLI_FAIL;
    if (dev) {
        const ct_device_info *di = ct_device_get_info(dev);
        printf("gradcheck on [%d] %s, matrix products: %s; finite differences: central, fourth "
               "order, step %g, "
               "double\n",
               di->index, di->name, ct_gemm_backend_name(ct_device_gemm(dev)), (double)h);
    }
    ct_rng r = {seed};
    rc = CLI_OK;
    if (model) {
        ct_model *sm = NULL;
        char msg[CT_MSG_LEN];
        if (ct_model_load(&sm, NULL, model, msg) != CT_OK) {
            ct_device_destroy(dev);
            return cli_fail(msg);
        }
        const ct_arch *a = ct_model_arch(sm);
        float *X = NULL, *T = NULL, *params = malloc(ct_arch_params(a) * sizeof(float));
        int *labels = NULL;
        if (!params || !random_data(a, B, &r, &X, &labels, &T))
            rc = cli_fail("out of host memory");
        else if (ct_model_get_params(sm, params) != CT_OK)
            rc = cli_fail(ct_model_error(sm));
        else
            rc = check_one(dev, a, params, X, labels, T, B, model, &g);
        free(params);
        free(X);
        free(labels);
        free(T);
        ct_model_destroy(sm);
    } else {
        for (int ic = 0; ic < na * nn && rc == CLI_OK; ic++)
            for (int il = 0; il < nl && rc == CLI_OK; il++) {
                int ia = ic % na;
                ct_arch a;
                memset(&a, 0, sizeof a);
                a.n_layers = nh + 1;
                a.sizes[0] = inputs;
                for (int k = 0; k < nh; k++) {
                    a.sizes[k + 1] = hidden[k];
                    a.act[k] = acts[ia];
                    a.alpha[k] = acts[ia] == CT_ACT_ELU ? 1.0f : 0.1f;
                    a.norm[k] = norms[ic / na];
                    a.norm_eps[k] = CT_NORM_EPS;
                    a.norm_momentum[k] = CT_NORM_MOMENTUM;
                }
                a.loss = losses[il];
                a.huber_delta = 0.5f;
                a.sizes[nh + 1] = a.loss == CT_LOSS_SIGMOID_BCE                 ? 1
                                  : a.loss == CT_LOSS_SOFTMAX_CE && outputs < 2 ? 2
                                                                                : outputs;
                ct_layout lay;
                ct_arch_layout(&a, &lay);
                float *params = malloc(lay.n_params * sizeof(float)), *X = NULL, *T = NULL;
                int *labels = NULL;
                if (!params || !random_data(&a, B, &r, &X, &labels, &T)) {
                    rc = cli_fail("out of host memory");
                } else {
                    ct_init init = {CT_INIT_AUTO, 0, 0};
                    ct_arch_init_params(&a, &init, 0, ct_rng_next(&r), params);
                    /* non-zero biases; gamma near 1, beta near 0 */
                    for (size_t k = lay.n_weights; k < lay.n_train; k++)
                        params[k] = (float)(0.2 * ct_rng_uniform(&r) - 0.1);
                    for (int k = 0; k + 1 < a.n_layers; k++)
                        for (int j = 0; a.norm[k] != CT_NORM_NONE && j < a.sizes[k + 1]; j++)
                            params[lay.g_off[k] + (size_t)j] += 1.0f;
                    char title[160], desc[256];
                    ct_arch_describe(&a, desc, sizeof desc);
                    snprintf(title, sizeof title, "%s x %s: %s, batch %d", ct_act_name(acts[ia]),
                             ct_loss_name(losses[il]), desc, B);
                    rc = check_one(dev, &a, params, X, labels, T, B, title, &g);
                }
                free(params);
                free(X);
                free(labels);
                free(T);
            }
    }
    ct_device_destroy(dev);
    if (rc != CLI_OK) return rc;
    printf("largest relative error:%s", g.use_ref ? "" : "");
    if (g.use_ref) printf(" reference %.2e (tolerance %g)", g.worst_ref, (double)ref_tol);
    if (g.use_dev)
        printf("%s device %.2e (tolerance %g)", g.use_ref ? "," : "", g.worst_dev, (double)tol);
    printf("\ngradcheck: %d passed, %d failed", g.checked - g.failed, g.failed);
    if (g.skipped)
        printf(" (%d parameters left out: the loss has a kink within the difference step)",
               g.skipped);
    printf("\n");
    return g.failed ? CLI_FAIL : CLI_OK;
}
