/* cltrain bench: the benchmark suite on the default device, side by side with the CPU
 * comparator (the reference with OpenBLAS products) and the scalar reference. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cltrain_tools.h"

static void usage(FILE *f) {
    fputs(
        "usage: cltrain [--device SEL] bench [--nets a64,a256,b,c,d,e] [--repeats N] [--tune]\n"
        "\n"
        "Times the suite of networks (a: 784-256-128-10 at batch 64 and 256, b: 100-50-10 b32,\n"
        "c: 1000-500-200-100-10 b256, d: 10000-5000-1000-100 b1024, e: 2-64-32-1 b64): one\n"
        "training step (forward, loss, backward, Adam) on the device, on the CPU comparator (the\n"
        "reference with its products by OpenBLAS, double precision) and on the scalar reference,\n"
        "warm, repeated, medians, with the ratios; the GEMM floor (the step's products at\n"
        "OpenBLAS sgemm speed) and the step as a multiple of it; kernels per step; per-kernel\n"
        "times from OpenCL profiling events; GFLOP/s of every matrix-product backend on the\n"
        "suite's shapes. These machines are shared: read ratios measured in one run.\n"
        "\n"
        "  --nets LIST   a subset of the suite (default: all)\n"
        "  --repeats N   timed repeats per measurement (default 5; medians)\n"
        "  --no-gemm     skip the GEMM table\n"
        "  --tune        first run cltrain tune on the chosen nets (kernel shapes, then the\n"
        "                fastest backend per product shape class, kept in the tuning file)\n",
        f);
}

static int wanted(const char *list, const char *name) {
    if (!list) return 1;
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && !strncmp(p, name, n)) return 1;
        p = e ? e + 1 : p + len;
    }
    return 0;
}

/* Flops of one training step. */
static double step_flops(const ct_bench_net *n) {
    double f = 0;
    for (int l = 0; l < n->n_layers; l++)
        f += 2.0 * n->batch * n->sizes[l] * n->sizes[l + 1] * (l ? 3 : 2);
    return f;
}

/* Bytes the elementwise kernels move per step (for GB/s): kernel -> bytes. */
static double kernel_bytes(const ct_bench_net *n, const char *k) {
    double b = 0, B = n->batch, params = 0;
    for (int l = 0; l < n->n_layers; l++)
        params += (double)n->sizes[l] * n->sizes[l + 1] + n->sizes[l + 1];
    for (int l = 0; l < n->n_layers; l++) {
        double out = n->sizes[l + 1];
        if (!strcmp(k, "bias_act_forward")) b += 3 * B * out * 4;
        if (!strcmp(k, "act_backward") && l + 1 < n->n_layers) b += 3 * B * out * 4;
        if (!strcmp(k, "bias_backward")) b += B * out * 4;
    }
    if (!strcmp(k, "adam_step")) b = 7 * params * 4;
    if (!strcmp(k, "gather_perm")) b = 2 * B * (n->sizes[0] + 1) * 4;
    return b;
}

static void print_ms(double s) {
    if (isnan(s))
        printf(" %10s", "skipped");
    else
        printf(" %10.3f", 1e3 * s);
}

int cmd_bench(int argc, char **argv, const char *device) {
    const char *nets_s = NULL;
    int repeats = 5, tune = 0, gemm_table = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return CLI_OK;
        } else if (!strcmp(a, "--tune")) {
            tune = 1;
        } else if (!strcmp(a, "--no-gemm")) {
            gemm_table = 0;
        } else if (cli_is(a, "--nets")) {
            if (!(nets_s = cli_value(argc, argv, &i, "--nets"))) return CLI_USAGE;
        } else if (cli_is(a, "--repeats")) {
            const char *v = cli_value(argc, argv, &i, "--repeats");
            if (!v || !cli_int("--repeats", v, 1, 1000, &repeats)) return CLI_USAGE;
        } else {
            cli_error("bench: unknown option '%s' (see cltrain bench --help)", a);
            return CLI_USAGE;
        }
    }
    const ct_bench_net *suite;
    int ns = ct_bench_suite(&suite);
    if (nets_s) {
        char copy[256];
        snprintf(copy, sizeof copy, "%s", nets_s);
        for (char *p = copy; *p;) {
            char *e = strchr(p, ',');
            if (e) *e = '\0';
            int found = 0;
            for (int k = 0; k < ns; k++)
                found |= !strcmp(suite[k].name, p);
            if (!found) {
                cli_error("option --nets: unknown net '%s' (a64, a256, b, c, d, e)", p);
                return CLI_USAGE;
            }
            p = e ? e + 1 : p + strlen(p);
        }
    }
    ct_device *dev = NULL;
    if (cli_open_device(device, &dev) != CLI_OK) return CLI_FAIL;
    const ct_device_info *di = ct_device_get_info(dev);
    const char *why = NULL;
    int clblast = ct_device_clblast_works(dev, &why);
    printf("cltrain bench on [%d] %s (%s), %u compute units\n", di->index, di->name, di->platform,
           di->compute_units);
    printf("matrix products: %s by default; CLBlast %s; CPU comparator (OpenBLAS) %s\n",
           ct_gemm_backend_name(ct_device_gemm(dev)), clblast ? "works" : "unavailable",
           ct_have_cblas() ? "built in" : "not built in");
    char msg[CT_MSG_LEN];
    int rc = CLI_OK;
    /* the ceilings every figure is printed beside */
    ct_bench_ceiling peak, bw_big, bw_small;
    if (ct_bench_ceilings(dev, (size_t)64 << 20, &bw_big, msg) != CT_OK ||
        ct_bench_ceilings(dev, (size_t)1 << 20, &bw_small, msg) != CT_OK) {
        rc = cli_fail(msg);
        ct_device_destroy(dev);
        return rc;
    }
    peak = bw_big.fma_gflops > bw_small.fma_gflops ? bw_big : bw_small;
    const char *isa = !strcmp(di->type, "cpu")
                          ? (peak.vector_width >= 16 ? "AVX-512" : peak.vector_width >= 8 ? "AVX/AVX2" : "SSE or NEON")
                          : "GPU";
    printf("ceilings, measured here: FMA peak %.1f GFLOP/s (float%d vectors, %s); copy %.1f GB/s "
           "(arrays of 64 MiB), %.1f GB/s (1 MiB)\n",
           peak.fma_gflops, peak.vector_width, isa, bw_big.copy_gbps, bw_small.copy_gbps);

    if (tune) {
        ct_bench_net chosen[16];
        int n = 0;
        for (int k = 0; k < ns && n < 16; k++)
            if (wanted(nets_s, suite[k].name)) chosen[n++] = suite[k];
        rc = cli_tune_run(dev, chosen, n, 50);
    }
    ct_kernel_config kc;
    const char *origin = NULL;
    ct_device_kernel_config(dev, &kc, &origin);
    char shape[96];
    ct_kernel_config_format(&kc, shape, sizeof shape);
    printf("kernel shape: %s (%s)\n", shape, origin);

    /* ---- GEMM backends on the suite's shapes ---- */
    if (gemm_table && rc == CLI_OK) {
        printf("\nGEMM GFLOP/s (median of %d), C (M, N) = op(A) op(B), K inner\n", repeats);
        printf("%-5s %-22s %8s %8s %8s %8s %9s %8s\n", "net", "product (M x N x K)", "cpu", "own",
               "clblast", "openblas", "best/obl", "of peak");
        /* every product shape of the chosen nets once (a64 and a256 have the same layers at
         * different batches, so different shapes) */
        int want[16] = {0};
        for (int k = 0; k < ns && k < 16; k++)
            want[k] = wanted(nets_s, suite[k].name);
        ct_bench_product prods[16 * 3 * CT_MAX_LAYERS];
        int np = ct_bench_products(suite, ns < 16 ? ns : 16, want, prods,
                                   (int)(sizeof prods / sizeof prods[0]));
        if (np > (int)(sizeof prods / sizeof prods[0])) np = (int)(sizeof prods / sizeof prods[0]);
        const char *what[3] = {"fwd", "dW", "dX"};
        for (int q = 0; q < np && rc == CLI_OK; q++) {
            const ct_bench_net *n = &suite[prods[q].net];
            int l = prods[q].layer, s = prods[q].kind, M = prods[q].M, N = prods[q].N,
                K = prods[q].K, ta = prods[q].transA, tb = prods[q].transB;
            double flops = 2.0 * M * N * K, g[4] = {NAN, NAN, NAN, NAN};
            ct_gemm_backend be[3] = {CT_GEMM_CPU, CT_GEMM_OWN, CT_GEMM_CLBLAST};
            for (int b = 0; b < 3; b++) {
                if (b == 2 && !clblast) continue;
                /* the slow generic kernels only where a call stays short */
                if (b > 0 && !strcmp(di->type, "cpu") && flops > 2e9) continue;
                if (ct_bench_gemm(dev, be[b], M, N, K, ta, tb, repeats, &g[b], msg) != CT_OK) {
                    rc = cli_fail(msg);
                    break;
                }
            }
            if (rc != CLI_OK) break;
            ct_bench_gemm(NULL, CT_GEMM_AUTO, M, N, K, ta, tb, repeats, &g[3], msg);
            int best = 0;
            for (int b = 1; b < 3; b++)
                if (!isnan(g[b]) && (isnan(g[best]) || g[b] > g[best])) best = b;
            char desc[48];
            snprintf(desc, sizeof desc, "%s%d %dx%dx%d %s%s", what[s], l, M, N, K, ta ? "T" : "N",
                     tb ? "T" : "N");
            printf("%-5s %-22s", n->name, desc);
            for (int b = 0; b < 4; b++) {
                if (isnan(g[b]))
                    printf(" %8s", "-");
                else
                    printf(" %8.1f", g[b]);
            }
            if (!isnan(g[3]) && !isnan(g[best]))
                printf(" %8.2fx", g[best] / g[3]);
            else
                printf(" %9s", "-");
            printf(" %7.0f%%\n", 100 * g[best] / peak.fma_gflops);
        }
    }

    /* ---- training steps ---- */
    if (rc == CLI_OK) {
        printf("\ntraining step (forward, loss, backward, Adam), ms, median of %d\n", repeats);
        printf("%-5s %-24s %10s %10s %10s %10s %8s %9s %9s %8s %9s %8s %7s\n", "net", "layers",
               "device", "cpu", "reference", "floor", "x floor", "cpu/dev", "ref/dev", "kernels",
               "samples/s", "GFLOP/s", "of peak");
    }
    ct_kernel_prof prof[256];
    for (int k = 0; k < ns && rc == CLI_OK; k++) {
        const ct_bench_net *n = &suite[k];
        if (!wanted(nets_s, n->name)) continue;
        double flops = step_flops(n);
        int steps = flops > 1e10 ? 1 : flops > 1e8 ? 5 : 40;
        ct_bench_step sd, sc, sr;
        if (ct_bench_step_time(CT_BACKEND_OPENCL, dev, n, steps, repeats, &sd, prof, msg) !=
            CT_OK) {
            rc = cli_fail(msg);
            break;
        }
        sc.seconds = sr.seconds = NAN;
        if (ct_have_cblas() &&
            ct_bench_step_time(CT_BACKEND_CPU, NULL, n, steps, flops > 1e10 ? 2 : repeats, &sc,
                               NULL, msg) != CT_OK) {
            rc = cli_fail(msg);
            break;
        }
        /* the scalar reference runs at about 1 GFLOP/s: only where a step stays short */
        if (flops < 5e8 &&
            ct_bench_step_time(CT_BACKEND_REFERENCE, NULL, n, flops > 1e7 ? 1 : steps,
                               flops > 1e7 ? 2 : repeats, &sr, NULL, msg) != CT_OK) {
            rc = cli_fail(msg);
            break;
        }
        double floor_s = ct_bench_gemm_floor(n, 3);
        char layers[64];
        size_t u = 0;
        for (int l = 0; l <= n->n_layers && u < sizeof layers; l++)
            u += (size_t)snprintf(layers + u, sizeof layers - u, "%s%d", l ? "-" : "", n->sizes[l]);
        snprintf(layers + u, sizeof layers - u, " b%d", n->batch);
        printf("%-5s %-24s", n->name, layers);
        print_ms(sd.seconds);
        print_ms(sc.seconds);
        print_ms(sr.seconds);
        print_ms(floor_s);
        double ratios[3] = {sd.seconds / floor_s, sc.seconds / sd.seconds, sr.seconds / sd.seconds};
        for (int q = 0; q < 3; q++) {
            if (isnan(ratios[q]))
                printf(" %*s", q ? 9 : 8, "-");
            else
                printf(" %*.2fx", q ? 8 : 7, ratios[q]);
        }
        printf(" %8.0f %9.0f %8.1f %6.0f%%\n", sd.launches, n->batch / sd.seconds,
               flops / sd.seconds / 1e9, 100 * flops / sd.seconds / 1e9 / peak.fma_gflops);
        printf("      device kernels per step:");
        int col = 0;
        for (int kk = 0; kk < ct_kernel_count() && kk < 256; kk++) {
            if (!prof[kk].launches) continue;
            double bytes = kernel_bytes(n, ct_kernel_name(kk));
            printf("%s %s %.3f ms", col++ % 4 == 0 ? "\n        " : ",", ct_kernel_name(kk),
                   1e3 * prof[kk].seconds);
            if (bytes > 0 && prof[kk].seconds > 0) {
                /* against the copy bandwidth of a working set of its size */
                double gbps = bytes / prof[kk].seconds / 1e9,
                       ceil = bytes / prof[kk].launches < (8 << 20) ? bw_small.copy_gbps
                                                                    : bw_big.copy_gbps;
                printf(" (%.1f GB/s, %.0f%% of copy)", gbps, 100 * gbps / ceil);
            }
            if (!strcmp(ct_kernel_name(kk), "gemm_cpu") || !strcmp(ct_kernel_name(kk), "gemm")) {
                double gf = flops / prof[kk].seconds / 1e9;
                printf(" (%.1f GFLOP/s by the events, %.0f%% of peak)", gf,
                       100 * gf / peak.fma_gflops);
            }
        }
        printf("\n");
        fflush(stdout);
    }
    if (rc == CLI_OK)
        printf("\ncpu: the reference with OpenBLAS products (double); reference: host/ref.c "
               "(double); floor: the "
               "step's products at OpenBLAS sgemm speed; kernels: launches per step; of peak: the\n"
               "device's step GFLOP/s over its measured FMA peak\n");
    ct_device_destroy(dev);
    return rc;
}
