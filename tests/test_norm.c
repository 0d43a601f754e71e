/* Batch norm and layer norm on the device against the reference (host/ref.c), through the
 * checks of host/check.c: fresh random inputs, odd shapes, every activation of CT_ACT_LIST,
 * statistics per column and per row, the batch's statistics (M > 0, M = B or a larger batch)
 * and constant ones (M == 0), dZ in place of dA. Then the arguments: the buffers an op never
 * reads are really not read, and bad values fail with the op's name. */
#include <math.h>

#include "device_util.h"
#include "ops.h"
#include "util.h"

/* Runs c for every shape of B x N in shapes; counts skipped large ones in small mode. */
static void run_shapes(ct_device *dev, ct_check_case c, unsigned long long seed,
                       unsigned long long *k, case_stats *s) {
    static const int Bs[] = {1, 3, 17, 67}, Ns[] = {1, 5, 33, 130};
    for (int bi = 0; bi < 4; bi++)
        for (int ni = 0; ni < 4; ni++) {
            c.M = Bs[bi];
            c.N = Ns[ni];
            if (skip_large(s, (long long)c.M * c.N)) {
                (*k)++;
                continue;
            }
            ct_check_case d = c;
            /* bn_backward_input: M = 0 stays, else the batch is these rows or 2 B + 3 rows */
            if (d.op == CT_CHECK_BN_BACKWARD_INPUT && d.K != 0) d.K = d.K == 1 ? d.M : 2 * d.M + 3;
            run_case(dev, &d, seed + (*k)++, s);
        }
}

/* ---- device against reference ------------------------------------------------------------ */

static void device_cases(ct_device *dev, unsigned long long seed, case_stats *s) {
    unsigned long long k = 0;
    /* the statistics */
    for (int centered = 0; centered < 2; centered++) {
        ct_check_case c = {.op = CT_CHECK_BN_MOMENT, .transA = centered};
        run_shapes(dev, c, seed, &k, s);
        c.alpha = 0.25f; /* a share of a larger batch's moment */
        c.range = 20.0f;
        run_shapes(dev, c, seed, &k, s);
    }
    ct_check_case ln = {.op = CT_CHECK_LN_STATS};
    run_shapes(dev, ln, seed, &k, s);
    ln.range = 20.0f;
    run_shapes(dev, ln, seed, &k, s);

    /* every activation: forward and parameter gradients for both kinds, the input gradients */
    for (int a = 0; a < CT_ACT_COUNT; a++) {
        ct_act act = (ct_act)a;
        ct_check_case c = {.act = act, .alpha = ct_act_default_alpha(act)};
        for (int per_row = 0; per_row < 2; per_row++) {
            c.transA = per_row;
            c.op = CT_CHECK_NORM_APPLY;
            run_shapes(dev, c, seed, &k, s);
            c.op = CT_CHECK_NORM_PARAM_GRADS;
            run_shapes(dev, c, seed, &k, s);
        }
        c.transA = 0;
        for (int inplace = 0; inplace < 2; inplace++) {
            c.transB = inplace;
            c.op = CT_CHECK_BN_BACKWARD_INPUT;
            for (int m = 0; m < 3; m++) { /* M = 0, B, 2 B + 3 (see run_shapes) */
                c.K = m;
                run_shapes(dev, c, seed, &k, s);
            }
            c.K = 0;
            c.op = CT_CHECK_LN_BACKWARD_INPUT;
            run_shapes(dev, c, seed, &k, s);
        }
    }

    /* other parameters: alpha of leaky_relu and elu, eps, wide inputs that saturate */
    ct_check_case extra[] = {
        {.op = CT_CHECK_NORM_APPLY, .act = CT_ACT_ELU, .alpha = 0.5f, .M = 17, .N = 33},
        {.op = CT_CHECK_NORM_APPLY,
         .act = CT_ACT_LEAKY_RELU,
         .alpha = 0.3f,
         .M = 3,
         .N = 130,
         .transA = 1},
        {.op = CT_CHECK_NORM_APPLY, .act = CT_ACT_TANH, .M = 67, .N = 5, .delta = 1e-2f},
        {.op = CT_CHECK_NORM_PARAM_GRADS, .act = CT_ACT_ELU, .alpha = 0.5f, .M = 67, .N = 33},
        {.op = CT_CHECK_NORM_PARAM_GRADS,
         .act = CT_ACT_SIGMOID,
         .M = 17,
         .N = 130,
         .transA = 1,
         .range = 20.0f},
        {.op = CT_CHECK_BN_BACKWARD_INPUT,
         .act = CT_ACT_LEAKY_RELU,
         .alpha = 0.3f,
         .M = 67,
         .N = 33,
         .K = 67},
        {.op = CT_CHECK_BN_BACKWARD_INPUT,
         .act = CT_ACT_GELU,
         .M = 17,
         .N = 130,
         .K = 17,
         .delta = 1e-2f,
         .transB = 1},
        {.op = CT_CHECK_LN_BACKWARD_INPUT, .act = CT_ACT_ELU, .alpha = 0.5f, .M = 67, .N = 33},
        {.op = CT_CHECK_LN_BACKWARD_INPUT,
         .act = CT_ACT_SILU,
         .M = 3,
         .N = 130,
         .delta = 1e-2f,
         .range = 20.0f},
    };
    for (int i = 0; i < (int)(sizeof extra / sizeof extra[0]); i++)
        if (!skip_large(s, (long long)extra[i].M * extra[i].N))
            run_case(dev, &extra[i], seed + k++, s);

    /* running statistics: M = 1 (no correction), 2, a batch, a large one; momenta */
    const int Ms[] = {1, 2, 67, 1000};
    const float moms[] = {0.1f, 0.01f, 1.0f};
    for (int mi = 0; mi < 4; mi++)
        for (int pi = 0; pi < 3; pi++) {
            ct_check_case c = {.op = CT_CHECK_BN_RUNNING,
                               .M = 17,
                               .N = mi == 3 ? 1 : 130,
                               .K = Ms[mi],
                               .beta = moms[pi]};
            run_case(dev, &c, seed + k++, s);
        }
}

/* ---- arguments --------------------------------------------------------------------------- */

static int contains(const char *hay, const char *needle) { return strstr(hay, needle) != NULL; }

/* A status that must be CT_ERR_ARG with a message naming the op and the thing. */
static void expect_arg(ct_device *dev, ct_status st, const char *op, const char *what) {
    const char *msg = ct_device_error(dev);
    EXPECT(st == CT_ERR_ARG && contains(msg, op) && contains(msg, what),
           "%s with a bad %s: got %s, message \"%s\"", op, what, ct_status_name(st), msg);
}

typedef struct {
    cl_mem m[32];
    int n;
} bufs;

/* A device buffer holding x[0..n) (NULL: NaN everywhere). */
static ct_buf upload(ct_device *dev, bufs *b, const float *x, size_t n) {
    float *h = test_alloc(n, sizeof(float));
    for (size_t i = 0; i < n; i++)
        h[i] = x ? x[i] : NAN;
    cl_mem m = NULL;
    ct_status st = ct_buffer_create(dev, &m, n * sizeof(float), "a test tensor");
    if (st == CT_OK) st = ct_buffer_write(dev, m, 0, n * sizeof(float), h);
    free(h);
    if (st != CT_OK) {
        fprintf(stderr, "FAIL: cannot make a device buffer: %s\n", ct_device_error(dev));
        exit(1);
    }
    b->m[b->n++] = m;
    return ct_at(m, 0);
}

static void download(ct_device *dev, ct_buf x, float *dst, size_t n) {
    if (ct_buffer_read(dev, x.mem, 0, n * sizeof(float), dst) != CT_OK) {
        fprintf(stderr, "FAIL: cannot read a device buffer: %s\n", ct_device_error(dev));
        exit(1);
    }
}

static void argument_checks(ct_device *dev, unsigned long long seed) {
    enum { B = 5, N = 7 };
    const size_t n = (size_t)B * N;
    test_rng r = test_rng_make(seed);
    float Z[B * N], dA[B * N], Y[B * N], g[N], st[N], sv[N], got1[B * N], got2[B * N];
    test_fillf(&r, Z, n, -2.0f, 2.0f);
    test_fillf(&r, dA, n, -1.0f, 1.0f);
    test_fillf(&r, Y, n, -2.0f, 2.0f);
    test_fillf(&r, g, N, 0.5f, 1.5f);
    test_fillf(&r, st, N, -1.0f, 1.0f);
    test_fillf(&r, sv, N, 0.5f, 2.0f);
    bufs b = {{0}, 0};
    ct_buf bZ = upload(dev, &b, Z, n), bdA = upload(dev, &b, dA, n), bY = upload(dev, &b, Y, n);
    ct_buf bg = upload(dev, &b, g, N), bm = upload(dev, &b, st, N), bv = upload(dev, &b, sv, N);
    ct_buf nan_n = upload(dev, &b, NULL, N), out1 = upload(dev, &b, NULL, n);
    ct_buf out2 = upload(dev, &b, NULL, n), none = ct_at(NULL, 0);
    const ct_act relu = CT_ACT_RELU;

    /* not centered, mean is not read: NULL mem, or a buffer of NaN, give the same bits */
    EXPECT(ct_bn_moment(dev, out1, bZ, none, B, N, 0, 0.2f) == CT_OK, "bn_moment, no mean: %s",
           ct_device_error(dev));
    EXPECT(ct_bn_moment(dev, out2, bZ, nan_n, B, N, 0, 0.2f) == CT_OK,
           "bn_moment, an unread mean: %s", ct_device_error(dev));
    download(dev, out1, got1, N);
    download(dev, out2, got2, N);
    EXPECT(memcmp(got1, got2, N * sizeof(float)) == 0 && isfinite(got1[0]),
           "bn_moment not centered read its mean (%g with none, %g with NaN)", got1[0], got2[0]);
    /* M == 0: dgamma and dbeta are not read */
    EXPECT(ct_bn_backward_input(dev, out1, bdA, bY, bZ, bm, bv, bg, none, none, 1e-5f, relu, 0, 0,
                                B, N) == CT_OK,
           "bn_backward_input M = 0 without dgamma: %s", ct_device_error(dev));
    EXPECT(ct_bn_backward_input(dev, out2, bdA, bY, bZ, bm, bv, bg, nan_n, nan_n, 1e-5f, relu, 0, 0,
                                B, N) == CT_OK,
           "bn_backward_input M = 0, unread dgamma: %s", ct_device_error(dev));
    download(dev, out1, got1, n);
    download(dev, out2, got2, n);
    int finite = 1;
    for (size_t i = 0; i < n; i++)
        finite &= isfinite(got1[i]) != 0;
    EXPECT(memcmp(got1, got2, n * sizeof(float)) == 0 && finite,
           "bn_backward_input with M = 0 read dgamma or dbeta");

    /* bad arguments fail, naming the op and the argument */
    expect_arg(dev, ct_bn_moment(dev, out1, bZ, none, B, N, 1, 0.2f), "ct_bn_moment", "mean");
    expect_arg(dev, ct_bn_moment(dev, out1, bZ, bm, B, N, 2, 0.2f), "ct_bn_moment", "centered");
    expect_arg(dev, ct_bn_moment(dev, out1, bZ, bm, 0, N, 0, 0.2f), "ct_bn_moment", "B");
    expect_arg(dev, ct_ln_stats(dev, out1, none, bZ, B, N), "ct_ln_stats", "var");
    expect_arg(dev, ct_ln_stats(dev, out1, out2, bZ, B, -1), "ct_ln_stats", "N");
    expect_arg(dev, ct_norm_apply(dev, out1, out2, bZ, bm, bv, bg, bg, 1e-5f, relu, 0, B, N, 2),
               "ct_norm_apply", "per_row");
    expect_arg(dev, ct_norm_apply(dev, out1, out2, bZ, bm, bv, bg, bg, NAN, relu, 0, B, N, 0),
               "ct_norm_apply", "eps");
    expect_arg(dev, ct_norm_apply(dev, out1, out2, bZ, bm, bv, bg, bg, -1e-5f, relu, 0, B, N, 0),
               "ct_norm_apply", "eps");
    expect_arg(
        dev,
        ct_norm_apply(dev, out1, out2, bZ, bm, bv, bg, bg, 1e-5f, (ct_act)CT_ACT_COUNT, 0, B, N, 0),
        "ct_norm_apply", "activation");
    expect_arg(dev, ct_norm_apply(dev, out1, none, bZ, bm, bv, bg, bg, 1e-5f, relu, 0, B, N, 0),
               "ct_norm_apply", "A");
    expect_arg(dev,
               ct_norm_param_grads(dev, out1, none, bdA, bY, bZ, bm, bv, 1e-5f, relu, 0, B, N, 0),
               "ct_norm_param_grads", "dbeta");
    expect_arg(
        dev,
        ct_bn_backward_input(dev, out1, bdA, bY, bZ, bm, bv, bg, none, bm, 1e-5f, relu, 0, B, B, N),
        "ct_bn_backward_input", "dgamma");
    expect_arg(dev,
               ct_bn_backward_input(dev, out1, bdA, bY, bZ, bm, bv, bg, bm, bm, 1e-5f, relu, 0,
                                    B - 1, B, N),
               "ct_bn_backward_input", "M");
    expect_arg(
        dev,
        ct_bn_backward_input(dev, out1, bdA, bY, bZ, bm, bv, bg, bm, bm, 1e-5f, relu, 0, -1, B, N),
        "ct_bn_backward_input", "M");
    expect_arg(dev,
               ct_ln_backward_input(dev, out1, bdA, bY, bZ, bm, bv, none, 1e-5f, relu, 0, B, N),
               "ct_ln_backward_input", "gamma");
    expect_arg(dev, ct_bn_running(dev, out1, out2, bm, bv, 1.5f, B, N), "ct_bn_running",
               "momentum");
    expect_arg(dev, ct_bn_running(dev, out1, out2, bm, bv, NAN, B, N), "ct_bn_running", "momentum");
    expect_arg(dev, ct_bn_running(dev, out1, out2, bm, bv, 0.1f, 0, N), "ct_bn_running", "M");
    for (int i = 0; i < b.n; i++)
        clReleaseMemObject(b.m[i]);
}

/* ---- the fused ops: the same bits as the ops they join ------------------------------------- */

static void bufs_free(bufs *b) {
    for (int i = 0; i < b->n; i++)
        clReleaseMemObject(b->m[i]);
    b->n = 0;
}

/* Reads n floats of x and y and requires the same bits. */
static void same_bits(ct_device *dev, const char *what, ct_buf x, ct_buf y, size_t n, int B,
                      int N) {
    float *u = test_alloc(n, sizeof(float)), *v = test_alloc(n, sizeof(float));
    download(dev, x, u, n);
    download(dev, y, v, n);
    size_t at = n;
    for (size_t i = 0; i < n && at == n; i++)
        if (memcmp(&u[i], &v[i], sizeof(float)) || !isfinite(u[i])) at = i;
    EXPECT(at == n, "%s B=%d N=%d: fused and separate ops differ at [%zu]: %.9g vs %.9g", what, B,
           N, at, at < n ? u[at] : 0.0, at < n ? v[at] : 0.0);
    free(u);
    free(v);
}

static void fused_checks(ct_device *dev, unsigned long long seed) {
    static const int dims[][2] = {{1, 5}, {2, 3}, {17, 33}, {67, 130}, {64, 256}};
    test_rng r = test_rng_make(seed ^ 0xF05EDULL);
    int checked = 0;
    for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++)
        for (int k = 0; k < CT_ACT_COUNT; k++) {
            int B = dims[d][0], N = dims[d][1];
            size_t n = (size_t)B * N;
            ct_act act = (ct_act)k;
            float alpha = ct_act_default_alpha(act), eps = k % 2 ? 1e-5f : 0.3f, mom = 0.25f;
            float *Z = test_alloc(n, 4), *dA = test_alloc(n, 4), *g = test_alloc(N, 4);
            float *be = test_alloc(N, 4), *rm = test_alloc(N, 4), *rv = test_alloc(N, 4);
            test_fillf(&r, Z, n, -2.0f, 2.0f);
            test_fillf(&r, dA, n, -1.0f, 1.0f);
            test_fillf(&r, g, N, 0.5f, 1.5f);
            test_fillf(&r, be, N, -0.5f, 0.5f);
            test_fillf(&r, rm, N, -1.0f, 1.0f);
            test_fillf(&r, rv, N, 0.5f, 2.0f);
            bufs b = {{0}, 0};
            ct_buf bZ = upload(dev, &b, Z, n), bg = upload(dev, &b, g, N);
            ct_buf bbe = upload(dev, &b, be, N);
            /* forward: statistics (and running ones), then Y and A */
            ct_buf m1 = upload(dev, &b, NULL, N), v1 = upload(dev, &b, NULL, N);
            ct_buf rm1 = upload(dev, &b, rm, N), rv1 = upload(dev, &b, rv, N);
            ct_buf m2 = upload(dev, &b, NULL, N), v2 = upload(dev, &b, NULL, N);
            ct_buf rm2 = upload(dev, &b, rm, N), rv2 = upload(dev, &b, rv, N);
            ct_status st = ct_bn_moment(dev, m1, bZ, bZ, B, N, 0, 1.0f / (float)B);
            if (!st) st = ct_bn_moment(dev, v1, bZ, m1, B, N, 1, 1.0f / (float)B);
            if (!st) st = ct_bn_running(dev, rm1, rv1, m1, v1, mom, B, N);
            if (!st) st = ct_bn_stats(dev, m2, v2, rm2, rv2, bZ, B, N, mom);
            if (!EXPECT(st == CT_OK, "bn_stats: %s", ct_device_error(dev))) goto next;
            same_bits(dev, "bn_stats: mean", m1, m2, N, B, N);
            same_bits(dev, "bn_stats: var", v1, v2, N, B, N);
            same_bits(dev, "bn_stats: running mean", rm1, rm2, N, B, N);
            same_bits(dev, "bn_stats: running var", rv1, rv2, N, B, N);
            /* backward of the batch's statistics, in place as the engine runs it */
            ct_buf Y = upload(dev, &b, NULL, n), A = upload(dev, &b, NULL, n);
            st = ct_norm_apply(dev, Y, A, bZ, m1, v1, bg, bbe, eps, act, alpha, B, N, 0);
            ct_buf d1 = upload(dev, &b, dA, n), d2 = upload(dev, &b, dA, n);
            ct_buf dg1 = upload(dev, &b, NULL, N), db1 = upload(dev, &b, NULL, N);
            ct_buf dg2 = upload(dev, &b, NULL, N), db2 = upload(dev, &b, NULL, N);
            ct_buf bias = upload(dev, &b, NULL, N);
            if (!st)
                st =
                    ct_norm_param_grads(dev, dg1, db1, d1, Y, bZ, m1, v1, eps, act, alpha, B, N, 0);
            if (!st)
                st = ct_bn_backward_input(dev, d1, d1, Y, bZ, m1, v1, bg, dg1, db1, eps, act, alpha,
                                          B, B, N);
            if (!st)
                st = ct_bn_backward(dev, d2, dg2, db2, bias, d2, Y, bZ, m1, v1, bg, eps, act, alpha,
                                    B, N);
            if (!EXPECT(st == CT_OK, "bn_backward: %s", ct_device_error(dev))) goto next;
            same_bits(dev, "bn_backward: dgamma", dg1, dg2, N, B, N);
            same_bits(dev, "bn_backward: dbeta", db1, db2, N, B, N);
            same_bits(dev, "bn_backward: dZ", d1, d2, n, B, N);
            float *zb = test_alloc(N, 4);
            download(dev, bias, zb, N);
            int zero = 1;
            for (int j = 0; j < N; j++)
                zero &= zb[j] == 0.0f;
            EXPECT(zero, "bn_backward B=%d N=%d: the bias's gradient is not 0", B, N);
            free(zb);
            /* layer norm's forward */
            ct_buf lm1 = upload(dev, &b, NULL, B), lv1 = upload(dev, &b, NULL, B);
            ct_buf lm2 = upload(dev, &b, NULL, B), lv2 = upload(dev, &b, NULL, B);
            ct_buf Y2 = upload(dev, &b, NULL, n), A2 = upload(dev, &b, NULL, n);
            st = ct_ln_stats(dev, lm1, lv1, bZ, B, N);
            if (!st) st = ct_norm_apply(dev, Y, A, bZ, lm1, lv1, bg, bbe, eps, act, alpha, B, N, 1);
            if (!st) st = ct_ln_forward(dev, Y2, A2, lm2, lv2, bZ, bg, bbe, eps, act, alpha, B, N);
            if (!EXPECT(st == CT_OK, "ln_forward: %s", ct_device_error(dev))) goto next;
            same_bits(dev, "ln_forward: mean", lm1, lm2, B, B, N);
            same_bits(dev, "ln_forward: var", lv1, lv2, B, B, N);
            same_bits(dev, "ln_forward: Y", Y, Y2, n, B, N);
            same_bits(dev, "ln_forward: A", A, A2, n, B, N);
            checked++;
        next:
            bufs_free(&b);
            free(Z), free(dA), free(g), free(be), free(rm), free(rv);
        }
    /* their arguments */
    bufs b = {{0}, 0};
    ct_buf x = upload(dev, &b, NULL, 12), none = ct_at(NULL, 0);
    expect_arg(dev, ct_bn_stats(dev, x, x, x, x, x, 3, 4, 1.5f), "ct_bn_stats", "momentum");
    expect_arg(dev, ct_bn_stats(dev, x, x, none, x, x, 3, 4, 0.1f), "ct_bn_stats", "rm");
    expect_arg(dev,
               ct_bn_backward(dev, x, x, x, none, x, x, x, x, x, x, 1e-5f, CT_ACT_RELU, 0, 3, 4),
               "ct_bn_backward", "dbias");
    expect_arg(dev, ct_ln_forward(dev, x, x, x, x, x, x, x, NAN, CT_ACT_RELU, 0, 3, 4),
               "ct_ln_forward", "eps");
    expect_arg(dev, ct_ln_forward(dev, x, x, x, x, x, x, x, 1e-5f, CT_ACT_RELU, 0, 0, 4),
               "ct_ln_forward", "B");
    bufs_free(&b);
    printf("fused norm ops: %d shapes x activations, the same bits as the separate ops\n", checked);
}

int main(void) {
    unsigned long long seed = fresh_seed();
    ct_device *dev = test_device();
    case_stats s = {0};
    device_cases(dev, seed, &s);
    argument_checks(dev, seed);
    fused_checks(dev, seed);
    ct_device_destroy(dev);
    int rc = case_summary("test_norm", &s);
    return test_summary("test_norm arguments") || rc;
}
