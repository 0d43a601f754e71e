/* Benchmarks (see bench.h). */
#define _POSIX_C_SOURCE 200809L
#include "bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rng.h"
#include "strutil.h"

#ifdef CT_HAVE_CBLAS
#include <cblas.h>
#endif

static const ct_bench_net suite[] = {
    {"a64", 3, {784, 256, 128, 10}, 64, CT_LOSS_SOFTMAX_CE},
    {"a256", 3, {784, 256, 128, 10}, 256, CT_LOSS_SOFTMAX_CE},
    {"b", 2, {100, 50, 10}, 32, CT_LOSS_SOFTMAX_CE},
    {"c", 4, {1000, 500, 200, 100, 10}, 256, CT_LOSS_SOFTMAX_CE},
    {"d", 3, {10000, 5000, 1000, 100}, 1024, CT_LOSS_SOFTMAX_CE},
    {"e", 3, {2, 64, 32, 1}, 64, CT_LOSS_SIGMOID_BCE},
};

int ct_bench_suite(const ct_bench_net **nets) {
    *nets = suite;
    return (int)(sizeof suite / sizeof suite[0]);
}

double ct_bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double ct_bench_median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

ct_status ct_bench_step_time(ct_backend backend, ct_device *dev, const ct_bench_net *n, int steps,
                             int repeats, ct_bench_step *out, ct_kernel_prof *prof,
                             char msg[CT_MSG_LEN]) {
    memset(out, 0, sizeof *out);
    ct_arch a;
    memset(&a, 0, sizeof a);
    a.n_layers = n->n_layers;
    memcpy(a.sizes, n->sizes, sizeof a.sizes);
    for (int l = 0; l + 1 < a.n_layers; l++)
        a.act[l] = CT_ACT_RELU;
    a.loss = n->loss;
    a.huber_delta = 1;
    int C = a.sizes[a.n_layers], F = a.sizes[0], B = n->batch;
    int rows = 4 * B; /* the steps cycle over 4 batches of the data */
    ct_optim_params o = ct_optim_defaults(CT_OPT_ADAM);
    ct_net *net = NULL;
    ct_layout lay;
    ct_arch_layout(&a, &lay);
    float *p = malloc(lay.n_params * sizeof(float)), *X = malloc((size_t)rows * F * sizeof(float));
    int32_t *labels = malloc((size_t)rows * sizeof(int32_t));
    double *times = malloc((size_t)(repeats > 0 ? repeats : 1) * sizeof(double));
    ct_status st = CT_OK;
    if (!p || !X || !labels || !times) {
        st = ct_fail_msg(msg, CT_ERR_ALLOC, "out of host memory");
        goto done;
    }
    ct_init init = {CT_INIT_AUTO, 0, 0};
    ct_arch_init_params(&a, &init, 0, 1, p);
    ct_rng r = {7};
    for (size_t i = 0; i < (size_t)rows * F; i++)
        X[i] = (float)(2 * ct_rng_uniform(&r) - 1);
    for (int i = 0; i < rows; i++)
        labels[i] = (int32_t)(ct_rng_next(&r) % (uint64_t)(C > 1 ? C : 2));
    ct_dataset d;
    memset(&d, 0, sizeof d);
    d.n = rows;
    d.features = F;
    d.X = X;
    d.task = CT_TASK_CLASSIFICATION;
    d.n_classes = C > 1 ? C : 2;
    d.labels = labels;
    snprintf(d.source, sizeof d.source, "random data");
    if ((st = ct_net_create_backend(&net, backend, dev, &a, B, &o, msg)) != CT_OK) goto done;
    if ((st = ct_net_set_params(net, p)) || (st = ct_net_upload(net, CT_SLOT_TRAIN, &d))) {
        snprintf(msg, CT_MSG_LEN, "%s", ct_net_error(net));
        goto done;
    }
    long long t = 0;
    /* warm-up: compiles, packs, allocations */
    for (int s = 0; s < 2 && st == CT_OK; s++)
        st = ct_net_train_step(net, CT_SLOT_TRAIN, (s % 4) * B, B, 1, 1, ++t, 1e-4f, 0, s % 4);
    if (st == CT_OK && dev && backend == CT_BACKEND_OPENCL) st = ct_device_finish(dev);
    unsigned long long l0 = dev ? dev->launches : 0;
    if (st == CT_OK && prof && dev && backend == CT_BACKEND_OPENCL) st = ct_device_profile(dev, 1);
    for (int rep = 0; rep < repeats && st == CT_OK; rep++) {
        double t0 = ct_bench_now();
        for (int s = 0; s < steps && st == CT_OK; s++)
            st = ct_net_train_step(net, CT_SLOT_TRAIN, (s % 4) * B, B, 1, 2, ++t, 1e-4f, 0, s % 4);
        if (st == CT_OK && dev && backend == CT_BACKEND_OPENCL) st = ct_device_finish(dev);
        times[rep] = (ct_bench_now() - t0) / steps;
    }
    if (st != CT_OK) {
        snprintf(msg, CT_MSG_LEN, "%s%s", ct_net_error(net), dev ? ct_device_error(dev) : "");
        goto done;
    }
    if (dev && backend == CT_BACKEND_OPENCL) {
        out->launches = (double)(dev->launches - l0) / ((double)steps * repeats);
        if (prof) {
            if ((st = ct_device_profile_read(dev, prof)) != CT_OK) {
                snprintf(msg, CT_MSG_LEN, "%s", ct_device_error(dev));
                goto done;
            }
            for (int k = 0; k < CT_K_COUNT; k++)
                prof[k].seconds /= (double)steps * repeats;
            ct_device_profile(dev, 0);
        }
    }
    out->repeats = repeats;
    double lo = times[0], hi = times[0];
    for (int i = 1; i < repeats; i++)
        lo = fmin(lo, times[i]), hi = fmax(hi, times[i]);
    out->seconds = ct_bench_median(times, repeats);
    out->spread = out->seconds > 0 ? (hi - lo) / out->seconds : 0;
done:
    ct_net_destroy(net);
    free(p);
    free(X);
    free(labels);
    free(times);
    return st;
}

ct_status ct_bench_gemm(ct_device *dev, ct_gemm_backend b, int M, int N, int K, int transA,
                        int transB, int repeats, double *gflops, char msg[CT_MSG_LEN]) {
    size_t na = (size_t)M * K, nb = (size_t)K * N, nc = (size_t)M * N;
    double flops = 2.0 * M * N * K, *times = malloc((size_t)repeats * sizeof(double));
    float *h = malloc((na > nb ? na : nb) * sizeof(float));
    ct_status st = CT_OK;
    *gflops = NAN;
    if (!times || !h) {
        free(times);
        free(h);
        return ct_fail_msg(msg, CT_ERR_ALLOC, "out of host memory");
    }
    for (size_t i = 0; i < (na > nb ? na : nb); i++)
        h[i] = (float)((i * 7) % 13) * 0.01f;
    int lda = transA ? M : K, ldb = transB ? K : N;
    /* enough calls per timing for about 20 ms of work at 100 GFLOP/s, at least 3 */
    int calls = (int)fmax(3, fmin(200, 2e9 / flops));
    if (!dev) {
#ifdef CT_HAVE_CBLAS
        float *c = malloc(nc * sizeof(float));
        if (!c) {
            st = ct_fail_msg(msg, CT_ERR_ALLOC, "out of host memory");
        } else {
            for (int rep = 0; rep < repeats; rep++) {
                double t0 = ct_bench_now();
                for (int i = 0; i < calls; i++)
                    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans,
                                transB ? CblasTrans : CblasNoTrans, M, N, K, 1.0f, h, lda, h, ldb,
                                0.0f, c, N);
                times[rep] = (ct_bench_now() - t0) / calls;
            }
            *gflops = flops / ct_bench_median(times, repeats) / 1e9;
        }
        free(c);
#endif
        free(times);
        free(h);
        return st;
    }
    cl_mem A = NULL, Bm = NULL, Cm = NULL;
    ct_gemm_backend keep = dev->gemm;
    if ((st = ct_buffer_create(dev, &A, na * sizeof(float), "A")) ||
        (st = ct_buffer_create(dev, &Bm, nb * sizeof(float), "B")) ||
        (st = ct_buffer_create(dev, &Cm, nc * sizeof(float), "C")) ||
        (st = ct_buffer_write(dev, A, 0, na * sizeof(float), h)) ||
        (st = ct_buffer_write(dev, Bm, 0, nb * sizeof(float), h)) ||
        (st = ct_device_set_gemm(dev, b)))
        goto done;
    st = ct_gemm(dev, ct_at(Cm, 0), N, ct_at(A, 0), lda, ct_at(Bm, 0), ldb, M, N, K, transA, transB,
                 1, 0);
    if (st == CT_OK) st = ct_device_finish(dev);
    for (int rep = 0; rep < repeats && st == CT_OK; rep++) {
        double t0 = ct_bench_now();
        for (int i = 0; i < calls && st == CT_OK; i++)
            st = ct_gemm(dev, ct_at(Cm, 0), N, ct_at(A, 0), lda, ct_at(Bm, 0), ldb, M, N, K, transA,
                         transB, 1, 0);
        if (st == CT_OK) st = ct_device_finish(dev);
        times[rep] = (ct_bench_now() - t0) / calls;
    }
    if (st == CT_OK) *gflops = flops / ct_bench_median(times, repeats) / 1e9;
done:
    if (st != CT_OK) snprintf(msg, CT_MSG_LEN, "%s", ct_device_error(dev));
    dev->gemm = keep;
    if (A) clReleaseMemObject(A);
    if (Bm) clReleaseMemObject(Bm);
    if (Cm) clReleaseMemObject(Cm);
    free(times);
    free(h);
    return st;
}

int ct_bench_products(const ct_bench_net *nets, int n_nets, const int *want, ct_bench_product *out,
                      int cap) {
    int n = 0;
    for (int k = 0; k < n_nets; k++) {
        if (want && !want[k]) continue;
        const ct_bench_net *net = &nets[k];
        for (int l = 0; l < net->n_layers; l++) {
            int in = net->sizes[l], out_ = net->sizes[l + 1], B = net->batch;
            /* forward (B, out) = X (B, in) W^T; weight gradient (out, in) = dY^T X; input
             * gradient (B, in) = dY W, none for the first layer */
            int shapes[3][5] = {{B, out_, in, 0, 1}, {out_, in, B, 1, 0}, {B, in, out_, 0, 0}};
            for (int s = 0; s < (l ? 3 : 2); s++) {
                ct_bench_product p = {
                    k, l, s, shapes[s][0], shapes[s][1], shapes[s][2], shapes[s][3], shapes[s][4]};
                int seen = 0;
                for (int i = 0; i < n && i < cap && !seen; i++)
                    seen = out[i].M == p.M && out[i].N == p.N && out[i].K == p.K &&
                           out[i].transA == p.transA && out[i].transB == p.transB;
                if (seen) continue;
                if (n < cap) out[n] = p;
                n++;
            }
        }
    }
    return n;
}

double ct_bench_gemm_floor(const ct_bench_net *n, int repeats) {
    double total = 0;
    char msg[CT_MSG_LEN];
    for (int l = 0; l < n->n_layers; l++) {
        int in = n->sizes[l], out = n->sizes[l + 1], B = n->batch;
        double g[3];
        /* forward (B, out) = X (B, in) W^T; weight gradient (out, in) = dY^T X; input gradient */
        if (ct_bench_gemm(NULL, CT_GEMM_AUTO, B, out, in, 0, 1, repeats, &g[0], msg) != CT_OK ||
            ct_bench_gemm(NULL, CT_GEMM_AUTO, out, in, B, 1, 0, repeats, &g[1], msg) != CT_OK ||
            (l > 0 &&
             ct_bench_gemm(NULL, CT_GEMM_AUTO, B, in, out, 0, 0, repeats, &g[2], msg) != CT_OK))
            return NAN;
        double f = 2.0 * B * in * out;
        total += f / (g[0] * 1e9) + f / (g[1] * 1e9) + (l > 0 ? f / (g[2] * 1e9) : 0);
    }
    return total;
}

ct_status ct_bench_ceilings(ct_device *dev, size_t copy_bytes, ct_bench_ceiling *out,
                            char msg[CT_MSG_LEN]) {
    memset(out, 0, sizeof *out);
    if (!strcmp(dev->info.type, "cpu")) {
        /* the device is this host's CPU: its ceilings are the CPU's own, measured natively */
        int threads = dev->info.compute_units > 0 ? (int)dev->info.compute_units : 1;
        ct_status st = ct_bench_native_peak(threads, out, msg);
        return st == CT_OK ? ct_bench_native_copy(threads, copy_bytes, out, msg) : st;
    }
    out->vector_width = dev->cfg.vw;
    size_t cus = dev->info.compute_units > 0 ? dev->info.compute_units : 1;
    size_t vw = (size_t)dev->cfg.vw, items = cus * 2048, nvec = copy_bytes / 4 / vw;
    if (nvec < 1) nvec = 1;
    int iters = 2048;
    cl_mem out_m = NULL, a = NULL, b = NULL;
    float *h = malloc(nvec * vw * sizeof(float)), *back = malloc(nvec * vw * sizeof(float));
    double t[5];
    ct_status st = h && back ? CT_OK : ct_fail(dev, CT_ERR_ALLOC, "out of host memory");
    if (st == CT_OK) st = ct_buffer_create(dev, &out_m, items * vw * sizeof(float), "peak output");
    if (st == CT_OK) st = ct_buffer_create(dev, &a, nvec * vw * sizeof(float), "copy source");
    if (st == CT_OK) st = ct_buffer_create(dev, &b, nvec * vw * sizeof(float), "copy target");
    for (size_t i = 0; st == CT_OK && i < nvec * vw; i++)
        h[i] = (float)(i % 1009) * 0.5f;
    if (st == CT_OK) st = ct_buffer_write(dev, a, 0, nvec * vw * sizeof(float), h);
    /* FMA peak: a warm-up launch, then the median of 5 */
    for (int rep = -1; rep < 5 && st == CT_OK; rep++) {
        double t0 = ct_bench_now();
        ct_args k = ct_args_begin(dev, CT_K_peak_fma);
        ct_arg_mem(&k, out_m);
        ct_arg_uint(&k, 0);
        ct_arg_float(&k, 0.5f);
        ct_arg_float(&k, 0.999f);
        ct_arg_int(&k, iters);
        st = ct_args_launch1(&k, items);
        if (st == CT_OK) st = ct_device_finish(dev);
        if (rep >= 0) t[rep] = ct_bench_now() - t0;
    }
    if (st == CT_OK)
        out->fma_gflops =
            2.0 * 16 * (double)vw * iters * (double)items / ct_bench_median(t, 5) / 1e9;
    /* copy: read and write counted; the copy is checked */
    int calls = (int)fmax(2, fmin(200, 2e8 / (double)copy_bytes));
    for (int rep = -1; rep < 5 && st == CT_OK; rep++) {
        double t0 = ct_bench_now();
        for (int c = 0; c < (rep < 0 ? 1 : calls) && st == CT_OK; c++) {
            ct_args k = ct_args_begin(dev, CT_K_copy_vec);
            ct_arg_mem(&k, b);
            ct_arg_uint(&k, 0);
            ct_arg_mem(&k, a);
            ct_arg_uint(&k, 0);
            ct_arg_uint(&k, (cl_uint)nvec);
            st = ct_args_launch1(&k, nvec);
        }
        if (st == CT_OK) st = ct_device_finish(dev);
        if (rep >= 0) t[rep] = (ct_bench_now() - t0) / calls;
    }
    if (st == CT_OK) out->copy_gbps = 2.0 * (double)(nvec * vw * 4) / ct_bench_median(t, 5) / 1e9;
    out->copy_bytes = (double)(nvec * vw * 4);
    snprintf(out->fma_method, sizeof out->fma_method,
             "kernel peak_fma, %zu items x 16 chains of float%zu, median of 5", items, vw);
    snprintf(out->copy_method, sizeof out->copy_method,
             "kernel copy_vec, float%zu, 2 arrays of %.0f KiB, median of 5", vw,
             (double)(nvec * vw * 4) / 1024);
    if (st == CT_OK) st = ct_buffer_read(dev, b, 0, nvec * vw * sizeof(float), back);
    if (st == CT_OK && memcmp(h, back, nvec * vw * sizeof(float)))
        st = ct_fail(dev, CT_ERR_OPENCL, "copy_vec: the copy differs from its source");
    if (st != CT_OK) snprintf(msg, CT_MSG_LEN, "%s", ct_device_error(dev));
    if (out_m) clReleaseMemObject(out_m);
    if (a) clReleaseMemObject(a);
    if (b) clReleaseMemObject(b);
    free(h);
    free(back);
    return st;
}
