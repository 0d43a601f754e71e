/* Matrix products (own kernel and CLBlast) and the three products of a dense layer against the
 * reference, on odd shapes, every transpose, with alpha and beta; and the bit rule: the own
 * (GPU-shaped) product gives exactly the bits of the CPU-shaped one on the same device. */
#define _POSIX_C_SOURCE 200809L /* setenv */
#include <math.h>
#include <stdarg.h>

#include "cltrain_tools.h"
#include "device_util.h"
#include "ops.h"

/* The shapes around the own product's tiles (dev->cfg.og*): smaller than a tile, exactly one, one
 * more than one, and K not a multiple of the tile depth. (M, N, K) into out; returns the count. */
static int tile_shapes(const ct_device *dev, int out[][3]) {
    const int m = dev->cfg.ogm, n = dev->cfg.ogn, k = dev->cfg.ogk;
    const int s[][3] = {
        {1, 1, 1},
        {3, 5, 7},                 /* smaller than a tile in every dimension */
        {m, n, k},                 /* exactly one tile, one step */
        {m + 1, n + 1, k + 1},     /* one more than a tile, a step of one k */
        {m - 1, n + 3, 3 * k + 5}, /* K not a multiple of the depth */
        {2 * m + 3, n - 5 > 0 ? n - 5 : 1, 2 * k},
        {17, 255, 2 * k - 1},
        {5, 600, 450}, /* the CPU product packs B (K * N > 2^18) */
        /* K about 1000 with a partial last step: past k = 786, where Mesa's llvmpipe left the
         * default tile's loops before issue 25 (kernels/gemm.cl, LOOPS ON MESA) */
        {3, 33, 1000 - 1000 % k + (k + 1) / 2},
    };
    const int count = (int)(sizeof s / sizeof s[0]);
    for (int i = 0; i < count; i++)
        memcpy(out[i], s[i], sizeof s[i]);
    return count;
}

/* A small generator of the bit test's inputs: uniform in [-1, 1). */
static float bits_uniform(unsigned long long *x) {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return (float)((double)(*x >> 11) * (2.0 / 9007199254740992.0) - 1.0);
}

/* One product by the own and by the CPU-shaped kernel on the same inputs, with padded strides
 * and odd offsets; 1 when the whole C buffers (padding included) are the same bytes. */
static int bits_case(ct_device *dev, int M, int N, int K, int ta, int tb, float alpha, float beta,
                     unsigned long long seed, case_stats *s) {
    const int lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 1, ldc = N + 2;
    const size_t offA = 5, offB = 7, offC = 11;
    const size_t na = offA + (size_t)(ta ? K : M) * lda, nb = offB + (size_t)(tb ? N : K) * ldb,
                 nc = offC + (size_t)M * ldc;
    float *hA = malloc(na * sizeof(float)), *hB = malloc(nb * sizeof(float)),
          *hC = malloc(nc * sizeof(float)),
          *got[2] = {malloc(nc * sizeof(float)), malloc(nc * sizeof(float))};
    cl_mem A = NULL, B = NULL, C = NULL;
    const ct_gemm_backend be[2] = {CT_GEMM_OWN, CT_GEMM_CPU};
    unsigned long long x = seed * 2654435761ULL + 88172645463325252ULL;
    char what[160];
    snprintf(what, sizeof what, "bits own == cpu %s%s M=%d N=%d K=%d alpha=%g beta=%g",
             ta ? "T" : "N", tb ? "T" : "N", M, N, K, alpha, beta);
    s->ran++;
    ct_status st = hA && hB && hC && got[0] && got[1] ? CT_OK : CT_ERR_ALLOC;
    if (st == CT_OK) {
        for (size_t i = 0; i < na; i++)
            hA[i] = bits_uniform(&x);
        for (size_t i = 0; i < nb; i++)
            hB[i] = bits_uniform(&x);
        for (size_t i = 0; i < nc; i++)
            hC[i] = bits_uniform(&x);
    }
    if (st == CT_OK) st = ct_buffer_create(dev, &A, na * sizeof(float), "A");
    if (st == CT_OK) st = ct_buffer_create(dev, &B, nb * sizeof(float), "B");
    if (st == CT_OK) st = ct_buffer_create(dev, &C, nc * sizeof(float), "C");
    if (st == CT_OK) st = ct_buffer_write(dev, A, 0, na * sizeof(float), hA);
    if (st == CT_OK) st = ct_buffer_write(dev, B, 0, nb * sizeof(float), hB);
    for (int b = 0; b < 2 && st == CT_OK; b++) {
        st = ct_buffer_write(dev, C, 0, nc * sizeof(float), hC);
        if (st == CT_OK) st = ct_device_set_gemm(dev, be[b]);
        if (st == CT_OK)
            st = ct_gemm(dev, ct_at(C, offC), ldc, ct_at(A, offA), lda, ct_at(B, offB), ldb, M, N,
                         K, ta, tb, alpha, beta);
        if (st == CT_OK) st = ct_buffer_read(dev, C, 0, nc * sizeof(float), got[b]);
    }
    ct_device_set_gemm(dev, CT_GEMM_AUTO);
    int ok = st == CT_OK;
    if (!ok) {
        printf("FAIL %s: did not run: %s\n", what, ct_device_error(dev));
    } else if (memcmp(got[0], got[1], nc * sizeof(float)) != 0) {
        ok = 0;
        size_t i = 0, bad = 0;
        for (size_t j = 0; j < nc; j++)
            if (memcmp(&got[0][j], &got[1][j], sizeof(float)) && !bad++) i = j;
        printf("FAIL %s: %zu of %zu floats differ; first float %zu (C at %zu, ldc %d): own "
               "%.9g, cpu %.9g\n",
               what, bad, nc, i, offC, ldc, got[0][i], got[1][i]);
    } else {
        printf("ok   %-64s bit-identical\n", what);
    }
    if (!ok) s->failed++;
    if (A) clReleaseMemObject(A);
    if (B) clReleaseMemObject(B);
    if (C) clReleaseMemObject(C);
    free(hA);
    free(hB);
    free(hC);
    free(got[0]);
    free(got[1]);
    return ok;
}

/* A dense layer's forward with its epilogue (ct_dense_forward_bias_act) against the product and
 * then bias_act_forward, on the CPU-shaped product, with odd offsets and a sentinel around
 * the outputs: 1 when Z's and A's buffers are the same bytes and, for the cheap activations,
 * the fused kernel ran (one launch of gemm_cpu_np_bias_act; A is Z for the identity). */
static int epilogue_case(ct_device *dev, int B, int in, int out, ct_act act, float alpha,
                         unsigned long long seed, case_stats *s) {
    const size_t offX = 3, offW = 5, offb = 1, offZ = 7, offA = 2;
    const size_t nx = offX + (size_t)B * in, nw = offW + (size_t)out * in, nb = offb + out,
                 nz = offZ + (size_t)B * out + 4, na = offA + (size_t)B * out + 4;
    const int same = act == CT_ACT_IDENTITY; /* A is Z, as for the output layer */
    float *hx = malloc(nx * sizeof(float)), *hw = malloc(nw * sizeof(float)),
          *hb = malloc(nb * sizeof(float)), *got[2][2] = {{0}};
    unsigned long long x = seed * 2654435761ULL + 88172645463325252ULL;
    char what[160];
    snprintf(what, sizeof what, "dense forward + bias + %s fused == separate B=%d in=%d out=%d",
             ct_act_name(act), B, in, out);
    s->ran++;
    ct_status st = hx && hw && hb ? CT_OK : CT_ERR_ALLOC;
    for (int v = 0; v < 2 && st == CT_OK; v++)
        for (int o = 0; o < 2 && st == CT_OK; o++)
            if (!(got[v][o] = malloc((o ? na : nz) * sizeof(float)))) st = CT_ERR_ALLOC;
    if (st == CT_OK) {
        for (size_t i = 0; i < nx; i++)
            hx[i] = bits_uniform(&x);
        for (size_t i = 0; i < nw; i++)
            hw[i] = bits_uniform(&x);
        for (size_t i = 0; i < nb; i++)
            hb[i] = bits_uniform(&x);
        /* a row of zeros against a bias of -0, and a NaN, through both */
        memset(hx + offX, 0, (size_t)in * sizeof(float));
        hb[offb] = -0.0f;
        if (B > 2) hx[offX + (size_t)2 * in] = NAN;
    }
    cl_mem X = NULL, W = NULL, bb = NULL, Z = NULL, A = NULL;
    if (st == CT_OK) st = ct_buffer_create(dev, &X, nx * sizeof(float), "X");
    if (st == CT_OK) st = ct_buffer_create(dev, &W, nw * sizeof(float), "W");
    if (st == CT_OK) st = ct_buffer_create(dev, &bb, nb * sizeof(float), "b");
    if (st == CT_OK) st = ct_buffer_create(dev, &Z, nz * sizeof(float), "Z");
    if (st == CT_OK) st = ct_buffer_create(dev, &A, na * sizeof(float), "A");
    if (st == CT_OK) st = ct_buffer_write(dev, X, 0, nx * sizeof(float), hx);
    if (st == CT_OK) st = ct_buffer_write(dev, W, 0, nw * sizeof(float), hw);
    if (st == CT_OK) st = ct_buffer_write(dev, bb, 0, nb * sizeof(float), hb);
    if (st == CT_OK) st = ct_device_set_gemm(dev, CT_GEMM_CPU);
    unsigned long long fused_launches = 0;
    for (int v = 0; v < 2 && st == CT_OK; v++) {
        /* sentinels by writes: after a clEnqueueFillBuffer, oclgrind 21.10 reported the values
         * that bias_act_forward read from the product's output as uninitialized */
        for (size_t i = 0; i < nz; i++)
            got[v][0][i] = -7.5f;
        for (size_t i = 0; i < na; i++)
            got[v][1][i] = 9.25f;
        st = ct_buffer_write(dev, Z, 0, nz * sizeof(float), got[v][0]);
        if (st == CT_OK) st = ct_buffer_write(dev, A, 0, na * sizeof(float), got[v][1]);
        ct_buf zb = ct_at(Z, offZ), ab = same ? zb : ct_at(A, offA);
        if (st == CT_OK && v == 1) st = ct_device_profile(dev, 1);
        if (st == CT_OK && v == 0) {
            st = ct_dense_forward(dev, zb, ct_at(X, offX), ct_at(W, offW), B, in, out);
            if (st == CT_OK)
                st = ct_bias_act_forward(dev, ab, zb, zb, ct_at(bb, offb), act, alpha, B, out);
        } else if (st == CT_OK) {
            st = ct_dense_forward_bias_act(dev, ab, zb, ct_at(X, offX), ct_at(W, offW),
                                           ct_at(bb, offb), act, alpha, B, in, out);
        }
        if (st == CT_OK && v == 1) {
            ct_kernel_prof *pr = calloc((size_t)ct_kernel_count(), sizeof *pr);
            st = pr ? ct_device_profile_read(dev, pr) : CT_ERR_ALLOC;
            if (st == CT_OK) fused_launches = pr[CT_K_gemm_cpu_np_bias_act].launches;
            free(pr);
            ct_device_profile(dev, 0);
        }
        if (st == CT_OK) st = ct_buffer_read(dev, Z, 0, nz * sizeof(float), got[v][0]);
        if (st == CT_OK) st = ct_buffer_read(dev, A, 0, na * sizeof(float), got[v][1]);
    }
    ct_device_set_gemm(dev, CT_GEMM_AUTO);
    const int cheap = act == CT_ACT_RELU || act == CT_ACT_LEAKY_RELU || act == CT_ACT_IDENTITY;
    int ok = st == CT_OK;
    if (!ok) {
        printf("FAIL %s: did not run: %s\n", what, ct_device_error(dev));
    } else if (cheap && fused_launches != 1) {
        ok = 0;
        printf("FAIL %s: the fused kernel ran %llu times, want once\n", what, fused_launches);
    } else if (!cheap && fused_launches != 0) {
        ok = 0;
        printf("FAIL %s: the fused kernel ran for an activation it does not compute\n", what);
    } else {
        for (int o = 0; o < 2 && ok; o++) {
            size_t n = o ? na : nz, bad = 0, i = 0;
            for (size_t j = 0; j < n; j++)
                if (memcmp(&got[0][o][j], &got[1][o][j], sizeof(float)) && !bad++) i = j;
            if (bad) {
                ok = 0;
                printf("FAIL %s: %zu of %zu floats of %s differ; first float %zu: separate %.9g, "
                       "fused %.9g\n",
                       what, bad, n, o ? "A" : "Z", i, got[0][o][i], got[1][o][i]);
            }
        }
        if (ok) printf("ok   %-64s bit-identical\n", what);
    }
    if (!ok) s->failed++;
    cl_mem bufs[5] = {X, W, bb, Z, A};
    for (int i = 0; i < 5; i++)
        if (bufs[i]) clReleaseMemObject(bufs[i]);
    free(hx);
    free(hw);
    free(hb);
    for (int v = 0; v < 2; v++)
        for (int o = 0; o < 2; o++)
            free(got[v][o]);
    return ok;
}

/* One check of the bench products: counted in s, a FAIL line when it fails. */
static void bench_expect(case_stats *s, int ok, const char *fmt, ...) {
    s->ran++;
    if (ok) return;
    s->failed++;
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL bench products: ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

/* The products of `cltrain bench`'s GEMM table (issue 24: a64 alone printed none, skipped as
 * "same layers as a256" although its batch, in every product, differs): a64 alone has its 8
 * (forward and weight gradient of 3 layers, input gradient of 2), a64 with a256 has 16, none
 * twice, and a net listed twice adds nothing. */
static void bench_products_tests(case_stats *s) {
    const ct_bench_net *suite;
    int ns = ct_bench_suite(&suite), a64 = -1, a256 = -1;
    for (int k = 0; k < ns; k++) {
        if (!strcmp(suite[k].name, "a64")) a64 = k;
        if (!strcmp(suite[k].name, "a256")) a256 = k;
    }
    bench_expect(s, a64 >= 0 && a256 >= 0 && ns <= 16, "suite of %d nets: a64 at %d, a256 at %d",
                 ns, a64, a256);
    if (a64 < 0 || a256 < 0 || ns > 16) return;
    ct_bench_product p[64];
    int want[16] = {0};
    want[a64] = 1;
    int n = ct_bench_products(suite, ns, want, p, 64);
    bench_expect(s, n == 8, "a64 alone: %d products, want 8", n);
    for (int i = 0; i < n && i < 64; i++)
        bench_expect(s, p[i].net == a64 && (p[i].kind == 1 ? p[i].K : p[i].M) == 64,
                     "a64 product %d: net %d, kind %d, %d x %d x %d, want batch 64", i, p[i].net,
                     p[i].kind, p[i].M, p[i].N, p[i].K);
    want[a256] = 1;
    n = ct_bench_products(suite, ns, want, p, 64);
    bench_expect(s, n == 16, "a64 and a256: %d products, want 16", n);
    int dup = 0;
    for (int i = 0; i < n && i < 64; i++)
        for (int j = 0; j < i; j++)
            dup += p[i].M == p[j].M && p[i].N == p[j].N && p[i].K == p[j].K &&
                   p[i].transA == p[j].transA && p[i].transB == p[j].transB;
    bench_expect(s, dup == 0, "a64 and a256: %d repeated shapes", dup);
    /* the same net twice in the list: its shapes once */
    ct_bench_net twice[2] = {suite[a64], suite[a64]};
    n = ct_bench_products(twice, 2, NULL, p, 64);
    bench_expect(s, n == 8 && p[7].net == 0,
                 "a64 twice: %d products (last from net %d), want 8 from 0", n,
                 n > 0 ? p[n < 64 ? n - 1 : 63].net : -1);
    /* every net of the suite has products; the count goes past a small cap */
    n = ct_bench_products(suite, ns, NULL, p, 2);
    bench_expect(s, n > 2, "the whole suite into 2 slots: count %d, want more than 2", n);
}

/* $CLTRAIN_TEST_BACKENDS: the products whose cases run, a comma list of own, cpu and clblast
 * (default: all). The rusticl label runs own,cpu (Mesa's llvmpipe builds CLBlast's kernels for
 * minutes); scripts/oclgrind.sh runs own with the default tile. The cases of the others are
 * counted and said skipped; the bit cases run with own (the CPU-shaped product is their
 * reference). 1 when b runs, 0 when not, -1 (and a message) when the list is bad. */
static int backend_wanted(ct_gemm_backend b) {
    const char *env = getenv("CLTRAIN_TEST_BACKENDS");
    if (!env || !*env) return 1;
    const char *names[3] = {"own", "cpu", "clblast"};
    const ct_gemm_backend ids[3] = {CT_GEMM_OWN, CT_GEMM_CPU, CT_GEMM_CLBLAST};
    int want = 0;
    for (const char *p = env; *p;) {
        size_t n = strcspn(p, ",");
        int known = 0;
        for (int i = 0; i < 3; i++)
            if (n == strlen(names[i]) && !strncmp(p, names[i], n)) {
                known = 1;
                if (ids[i] == b) want = 1;
            }
        if (!known) {
            printf("FAIL CLTRAIN_TEST_BACKENDS='%s': '%.*s' is not own, cpu or clblast\n", env,
                   (int)n, p);
            return -1;
        }
        p += n + (p[n] == ',');
    }
    return want;
}

int main(void) {
    unsigned long long seed = fresh_seed();
    ct_device *dev = test_device();
    case_stats s = {0};
    bench_products_tests(&s);
    const char *why = NULL;
    int clblast = ct_device_clblast_works(dev, &why);
    printf("CLBlast: %s%s\n", clblast ? "works" : "unavailable: ", clblast ? "" : why);
    ct_gemm_backend backends[3] = {CT_GEMM_OWN, CT_GEMM_CPU, CT_GEMM_CLBLAST};
    int nb = clblast ? 3 : 2;
    int wanted[3], not_wanted = 0; /* by CLTRAIN_TEST_BACKENDS; the cases passed over */
    for (int b = 0; b < 3; b++)
        if ((wanted[b] = backend_wanted(backends[b])) < 0) return 1;
    if (!wanted[0] || !wanted[1] || !wanted[2])
        printf("products run (CLTRAIN_TEST_BACKENDS): %s%s%s\n", wanted[0] ? "own " : "",
               wanted[1] ? "cpu " : "", wanted[2] ? "clblast" : "");

    /* $CLTRAIN_TEST_GEMM_ONLY=tiles: the own product's cases around its tiles and their bits
     * only (scripts/oclgrind.sh with the default tile: what the small tile never reaches) */
    const char *only = getenv("CLTRAIN_TEST_GEMM_ONLY");
    const int tiles_only = only && !strcmp(only, "tiles");
    if (only && *only && !tiles_only) {
        printf("FAIL CLTRAIN_TEST_GEMM_ONLY='%s': expected tiles or nothing\n", only);
        return 1;
    }
    if (tiles_only)
        printf("CLTRAIN_TEST_GEMM_ONLY=tiles: the cases around the own product's tiles only\n");

    /* (M, N, K): ones, primes, tile edges plus one, 255 and 1000+; 7 x 601 x 459 is large
     * enough that the CPU kernel packs B even when it is not transposed (K * N > 2^18) */
    const int shapes[][3] = {{1, 1, 1},     {3, 1, 17},     {1, 17, 3},      {17, 13, 9},
                             {16, 16, 16},  {17, 33, 65},   {255, 3, 17},    {3, 255, 1000},
                             {1025, 17, 5}, {64, 100, 129}, {385, 391, 397}, {33, 64, 100},
                             {9, 256, 31},  {7, 601, 459}};
    const int nshapes = (int)(sizeof shapes / sizeof shapes[0]);
    unsigned long long k = 0;
    for (int b = 0; b < (tiles_only ? 0 : nb); b++)
        for (int i = 0; i < nshapes; i++)
            for (int t = 0; t < 4; t++) {
                if (!wanted[b]) {
                    not_wanted++;
                    k++;
                    continue;
                }
                if (skip_large_product(&s, shapes[i][0], shapes[i][1], shapes[i][2])) {
                    k++;
                    continue;
                }
                /* beta 0 must ignore a NaN-poisoned C */
                ct_check_case c = gemm_case(shapes[i], t, backends[b],
                                            (i % 4 == 3) ? -1.5f : 1.0f, (i % 3 == 1) ? 0.5f : 0.0f);
                run_case(dev, &c, seed + k++, &s);
            }
    /* the dense layer: (B, in, out) */
    const int dense[][3] = {{1, 1, 1}, {1, 784, 10}, {17, 3, 255}, {64, 255, 33}, {3, 1000, 17}};
    for (int b = 0; b < (tiles_only ? 0 : nb); b++)
        for (int i = 0; i < (int)(sizeof dense / sizeof dense[0]); i++) {
            ct_check_op ops[3] = {CT_CHECK_DENSE_FORWARD, CT_CHECK_DENSE_BACKWARD_WEIGHT,
                                  CT_CHECK_DENSE_BACKWARD_INPUT};
            for (int o = 0; o < 3; o++) {
                if (!wanted[b]) {
                    not_wanted++;
                    k++;
                    continue;
                }
                if (skip_large_product(&s, dense[i][0], dense[i][2], dense[i][1])) {
                    k++;
                    continue;
                }
                ct_check_case c = {.op = ops[o],
                                   .M = dense[i][0],
                                   .K = dense[i][1],
                                   .N = dense[i][2],
                                   .gemm = backends[b]};
                if (o == 1 && (i & 1)) c.beta = 1.0f; /* accumulate into dW */
                run_case(dev, &c, seed + k++, &s);
            }
        }
    /* the own product around its tiles, every transpose, alpha != 1 and beta != 0 (and 0) */
    printf("own product tiles: %d x %d x %d, %d x %d outputs per work-item\n", dev->cfg.ogm,
           dev->cfg.ogn, dev->cfg.ogk, dev->cfg.ogwm, dev->cfg.ogwn);
    int ts[16][3];
    const int nts = tile_shapes(dev, ts);
    for (int i = 0; i < nts; i++)
        for (int t = 0; t < 4; t++) {
            if (!wanted[0]) {
                not_wanted++;
                k++;
                continue;
            }
            if (skip_large_product(&s, ts[i][0], ts[i][1], ts[i][2])) {
                k++;
                continue;
            }
            ct_check_case c = gemm_case(ts[i], t, CT_GEMM_OWN, (i & 1) ? -1.5f : 0.75f,
                                        (i % 3 == 2) ? 0.0f : 0.5f);
            run_case(dev, &c, seed + k++, &s);
        }
    /* the bit rule: own and CPU-shaped products agree to the bit on the same device */
    const float alphas[3] = {1.0f, -1.5f, 0.75f}, betas[3] = {0.0f, 0.5f, 1.0f};
    for (int i = 0; i < nts; i++)
        for (int t = 0; t < 4; t++) {
            if (!wanted[0]) {
                not_wanted++;
                k++;
                continue;
            }
            if (skip_large_product(&s, ts[i][0], ts[i][1], ts[i][2])) {
                k++;
                continue;
            }
            bits_case(dev, ts[i][0], ts[i][1], ts[i][2], t & 1, t >> 1, alphas[(i + t) % 3],
                      betas[(i + 2 * t) % 3], seed + k++, &s);
        }
    /* a dense layer's forward with its bias and activation in the product's epilogue: the bits
     * of the separate ops, at tile edges, with packs, for each activation it computes (and one
     * it leaves to bias_act_forward) */
    const int ep[][3] = {{1, 1, 1},    {5, 7, 3},      {17, 33, 65}, {64, 100, 129},
                         {7, 601, 459}, {3, 1000, 17}, {256, 784, 256}};
    const ct_act ep_act[4] = {CT_ACT_RELU, CT_ACT_LEAKY_RELU, CT_ACT_IDENTITY, CT_ACT_TANH};
    for (int i = 0; i < (tiles_only ? 0 : (int)(sizeof ep / sizeof ep[0])); i++)
        for (int a = 0; a < 4; a++) {
            if (!wanted[1]) {
                not_wanted++;
                k++;
                continue;
            }
            if (skip_large_product(&s, ep[i][0], ep[i][2], ep[i][1])) {
                k++;
                continue;
            }
            epilogue_case(dev, ep[i][0], ep[i][1], ep[i][2], ep_act[a], 0.125f, seed + k++, &s);
        }
    /* K split into parts that continue one fma chain (CLTRAIN_GEMM_KPART; on Mesa's llvmpipe
     * the host splits every K past its loop budget): the bits of the whole product, parts of
     * 37 k (not whole tile steps), a last part of one k, and one part exactly */
    const int split[][3] = {{3, 33, 75}, {17, 5, 38}, {70, 9, 200}, {5, 7, 37}};
    for (int i = 0; i < (tiles_only ? 0 : 4); i++)
        for (int t = 0; t < 4; t++) {
            if (!wanted[0]) {
                not_wanted++;
                k++;
                continue;
            }
            setenv("CLTRAIN_GEMM_KPART", "37", 1);
            bits_case(dev, split[i][0], split[i][1], split[i][2], t & 1, t >> 1,
                      alphas[(i + t) % 3], betas[(i + 2 * t) % 3], seed + k++, &s);
            unsetenv("CLTRAIN_GEMM_KPART");
        }
    /* a K past what one launch of the own product may run on llvmpipe (6355 with the default
     * tile, kernels/gemm.cl LOOPS ON MESA; the CPU-shaped one stopped early at 5000), against
     * the reference, every transpose */
    const int longk[3] = {3, 17, 9001};
    for (int b = 0; b < (tiles_only ? 0 : 2); b++)
        for (int t = 0; t < 4; t++) {
            if (!wanted[b]) {
                not_wanted++;
                k++;
                continue;
            }
            /* under a simulator (oclgrind) the split cases above check the chained parts */
            if (skip_large_product(&s, longk[0], longk[1], longk[2])) {
                k++;
                continue;
            }
            ct_check_case c = gemm_case(longk, t, backends[b], 1.0f, (t & 1) ? 0.5f : 0.0f);
            run_case(dev, &c, seed + k++, &s);
        }
    /* a bad part is an error that names the variable */
    if (wanted[0] && !tiles_only) {
        setenv("CLTRAIN_GEMM_KPART", "0", 1);
        ct_device_set_gemm(dev, CT_GEMM_OWN);
        cl_mem buf = NULL;
        ct_status st = ct_buffer_create(dev, &buf, 64 * sizeof(float), "C");
        if (st == CT_OK)
            st = ct_gemm(dev, ct_at(buf, 0), 4, ct_at(buf, 16), 4, ct_at(buf, 32), 4, 4, 4, 4, 0,
                         0, 1.0f, 0.0f);
        s.ran++;
        if (st != CT_ERR_ARG || !strstr(ct_device_error(dev), "CLTRAIN_GEMM_KPART")) {
            s.failed++;
            printf("FAIL CLTRAIN_GEMM_KPART=0: %s, '%s'\n", ct_status_name(st),
                   ct_device_error(dev));
        }
        if (buf) clReleaseMemObject(buf);
        unsetenv("CLTRAIN_GEMM_KPART");
        ct_device_set_gemm(dev, CT_GEMM_AUTO);
    }
    /* forcing CLBlast where it does not work is an error with a message, not a crash */
    if (!clblast) {
        ct_status st = ct_device_set_gemm(dev, CT_GEMM_CLBLAST);
        s.ran++;
        if (st != CT_ERR_CLBLAST || !*ct_device_error(dev)) {
            s.failed++;
            printf("FAIL forcing CLBlast where it does not work returned %s\n", ct_status_name(st));
        }
    }
    ct_device_destroy(dev);
    if (not_wanted)
        printf("test_gemm: %d cases of other products not run (CLTRAIN_TEST_BACKENDS=%s)\n",
               not_wanted, getenv("CLTRAIN_TEST_BACKENDS"));
    return case_summary("test_gemm", &s);
}
