/* cltrain bench: the benchmark suite on the default device, side by side with the CPU
 * comparator (the reference with OpenBLAS products) and the scalar reference. */
#define _POSIX_C_SOURCE 200809L /* fork, pipe, waitpid */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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
        "Every speed is printed beside its ceiling (\"of peak\", \"of copy\"): on a CPU device "
        "the\n"
        "CPU's own FMA peak and copy bandwidth, measured natively (its widest FMA vectors, one\n"
        "thread per compute unit); on other devices by small kernels. A figure above its ceiling\n"
        "is marked '!' and, when the ceilings measured again at the end (up to 3 times) do not\n"
        "cover it, fails the command. OpenBLAS and the reference are timed first, in a child\n"
        "process, before any OpenCL runtime starts, so the device's idle threads do not slow\n"
        "them.\n"
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

/* Bytes the elementwise kernels move per step (for GB/s): kernel -> bytes. act_bias_backward:
 * a hidden layer's reads the delta and Z and writes the delta; the output layer's (identity)
 * reads and writes the delta; each writes its bias gradient. */
static double kernel_bytes(const ct_bench_net *n, const char *k) {
    double b = 0, B = n->batch, params = 0;
    for (int l = 0; l < n->n_layers; l++)
        params += (double)n->sizes[l] * n->sizes[l + 1] + n->sizes[l + 1];
    for (int l = 0; l < n->n_layers; l++) {
        double out = n->sizes[l + 1];
        if (!strcmp(k, "bias_act_forward")) b += 3 * B * out * 4;
        if (!strcmp(k, "act_backward") && l + 1 < n->n_layers) b += 3 * B * out * 4;
        if (!strcmp(k, "act_bias_backward"))
            b += (l + 1 < n->n_layers ? 3 : 2) * B * out * 4 + out * 4;
        if (!strcmp(k, "bias_backward")) b += B * out * 4;
    }
    if (!strcmp(k, "adam_step")) b = 7 * params * 4;
    if (!strcmp(k, "gather_perm")) b = 2 * B * (n->sizes[0] + 1) * 4;
    return b;
}

/* The bytes a launch of kernel k keeps in cache, for its copy class, when more than it moves:
 * gather_perm reads B of the bench's 4 B rows (host/bench.c), so all of them and its output
 * are its working set. 0: the bytes it moves. */
static double kernel_working_set(const ct_bench_net *n, const char *k) {
    if (!strcmp(k, "gather_perm")) return 5.0 * n->batch * (n->sizes[0] + 1) * 4;
    return 0;
}

static void print_ms(double s) {
    if (isnan(s))
        printf(" %10s", "skipped");
    else
        printf(" %10.3f", 1e3 * s);
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Steps per timing of a net's training step. */
static int net_steps(double flops) { return flops > 1e10 ? 1 : flops > 1e8 ? 5 : 40; }

enum { MAX_NETS = 16, MAX_PRODUCTS = MAX_NETS * 3 * CT_MAX_LAYERS, MAX_FIGURES = 4096 };

/* What the host engines measured: OpenBLAS GFLOP/s of each product, and per net of the suite
 * the CPU comparator's step, the reference's step and the GEMM floor (seconds; NaN: skipped). */
typedef struct host_figures {
    double openblas[MAX_PRODUCTS];
    double cpu[MAX_NETS], ref[MAX_NETS], floor_s[MAX_NETS];
    double seconds; /* the whole measurement */
    int status;     /* a ct_status */
    char msg[CT_MSG_LEN];
} host_figures;

static void host_measure(host_figures *h, const ct_bench_net *suite, int ns, const char *nets_s,
                         const ct_bench_product *prods, int np, int repeats) {
    double t0 = now_seconds();
    for (int q = 0; q < MAX_PRODUCTS; q++)
        h->openblas[q] = NAN;
    for (int k = 0; k < MAX_NETS; k++)
        h->cpu[k] = h->ref[k] = h->floor_s[k] = NAN;
    h->status = CT_OK;
    for (int q = 0; q < np && h->status == CT_OK; q++)
        h->status =
            ct_bench_gemm(NULL, CT_GEMM_AUTO, prods[q].M, prods[q].N, prods[q].K, prods[q].transA,
                          prods[q].transB, repeats, &h->openblas[q], h->msg);
    for (int k = 0; k < ns && k < MAX_NETS && h->status == CT_OK; k++) {
        const ct_bench_net *n = &suite[k];
        if (!wanted(nets_s, n->name)) continue;
        double flops = step_flops(n);
        int steps = net_steps(flops);
        ct_bench_step sc, sr;
        if (ct_have_cblas()) {
            h->status = ct_bench_step_time(CT_BACKEND_CPU, NULL, n, steps,
                                           flops > 1e10 ? 2 : repeats, &sc, NULL, h->msg);
            if (h->status == CT_OK) h->cpu[k] = sc.seconds;
        }
        /* the scalar reference runs at about 1 GFLOP/s: only where a step stays short */
        if (h->status == CT_OK && flops < 5e8) {
            h->status = ct_bench_step_time(CT_BACKEND_REFERENCE, NULL, n, flops > 1e7 ? 1 : steps,
                                           flops > 1e7 ? 2 : repeats, &sr, NULL, h->msg);
            if (h->status == CT_OK) h->ref[k] = sr.seconds;
        }
        if (h->status == CT_OK) h->floor_s[k] = ct_bench_gemm_floor(n, 3);
    }
    h->seconds = now_seconds() - t0;
}

/* Runs host_measure in a child process and waits for it, so that OpenBLAS and the reference run
 * before this process starts any OpenCL runtime (PoCL's worker threads, idle or not, share the
 * cores with them otherwise) and with nothing else of bench running. */
static int host_measure_apart(host_figures *h, const ct_bench_net *suite, int ns,
                              const char *nets_s, const ct_bench_product *prods, int np,
                              int repeats) {
    int fd[2];
    if (pipe(fd)) {
        cli_error("bench: pipe for the comparator's process: %s", strerror(errno));
        return CLI_FAIL;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        cli_error("bench: fork of the comparator's process: %s", strerror(errno));
        close(fd[0]);
        close(fd[1]);
        return CLI_FAIL;
    }
    if (pid == 0) {
        close(fd[0]);
        host_measure(h, suite, ns, nets_s, prods, np, repeats);
        const char *p = (const char *)h;
        size_t left = sizeof *h;
        while (left > 0) {
            ssize_t w = write(fd[1], p, left);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) _exit(1);
            p += w;
            left -= (size_t)w;
        }
        _exit(0);
    }
    close(fd[1]);
    char *p = (char *)h;
    size_t got = 0;
    while (got < sizeof *h) {
        ssize_t r = read(fd[0], p + got, sizeof *h - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd[0]);
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
    }
    if (WIFSIGNALED(ws)) {
        cli_error("bench: the comparator's process (OpenBLAS, reference) died of signal %d",
                  WTERMSIG(ws));
        return CLI_FAIL;
    }
    if (got != sizeof *h || !WIFEXITED(ws) || WEXITSTATUS(ws)) {
        cli_error("bench: the comparator's process (OpenBLAS, reference) gave %zu of %zu bytes "
                  "and exit status %d",
                  got, sizeof *h, WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
        return CLI_FAIL;
    }
    return h->status == CT_OK ? CLI_OK : cli_fail(h->msg);
}

/* The ceilings every figure is printed beside, and the figures printed, for the check at the
 * end. A copy figure goes against the copy of its working set's class: class 0, launches that
 * move up to limit[0] bytes (a CPU's level-1 caches; none on other devices), class 1 up to
 * limit[1] (a CPU's level-2 caches, or its last-level cache when that is level 2; 8 MiB
 * elsewhere), class 2 up to limit[2] (a CPU's last-level cache beyond its level-2 caches; none
 * elsewhere), class 3 beyond (DRAM). has[i]: class i was measured. */
typedef struct ceilings {
    double peak;    /* GFLOP/s */
    double copy[4]; /* GB/s, read + write counted, per class */
    double limit[3];
    int has[4];
    char peak_how[128], copy_how[4][128];
    int n; /* figures kept */
    double value[MAX_FIGURES];
    int kind[MAX_FIGURES]; /* -1 of peak, else the copy class */
} ceilings;

static const char *copy_class_name[4] = {"copy in L1", "copy in L2", "copy in L3", "copy in DRAM"};

/* Measures the device's ceilings (see ct_bench_ceilings): a CPU device natively, its copies on
 * arrays in half a core's level-1 cache, in half its level-2 cache, in half the last-level cache
 * when that is beyond the level-2 caches (a launch of adam_step on a256's parameters moves
 * 6.6 MB: the level-2 copy, 3-6x faster, is no ceiling for it), and in DRAM (4 x the last
 * level, at least 64 MiB); any other device with kernels on arrays of 1 MiB (in cache) and
 * 64 MiB, the best FMA peak of the two. Test-only: CLTRAIN_BENCH_CEILING_SCALE multiplies them
 * all. */
static ct_status measure_ceilings(ct_device *dev, const ct_device_info *di, ceilings *c,
                                  char msg[CT_MSG_LEN]) {
    int cpu = !strcmp(di->type, "cpu");
    size_t l1, l2, llc, sizes[4];
    ct_bench_cache_sizes(&l1, &l2, &llc);
    size_t th = di->compute_units > 0 ? di->compute_units : 1;
    if (cpu) {
        sizes[0] = th * (l1 / 4); /* each thread: 2 arrays in half its cache */
        sizes[1] = th * (l2 / 4);
        /* the last level, shared: all threads' arrays in half of it */
        sizes[2] = llc > th * l2 ? llc / 4 : 0;
        sizes[3] = 4 * llc < ((size_t)64 << 20) ? (size_t)64 << 20 : 4 * llc;
        if (sizes[3] > ((size_t)1 << 30)) sizes[3] = (size_t)1 << 30;
        c->limit[0] = 2.0 * (double)sizes[0];
        c->limit[1] = sizes[2] ? (double)(th * l2) : (double)llc;
        c->limit[2] = sizes[2] ? (double)llc : c->limit[1];
    } else {
        sizes[0] = 0;
        sizes[1] = (size_t)1 << 20;
        sizes[2] = 0;
        sizes[3] = (size_t)64 << 20;
        c->limit[0] = 0;
        c->limit[1] = c->limit[2] = 8 << 20;
    }
    ct_bench_ceiling r;
    ct_status st;
    memset(c->copy, 0, sizeof c->copy);
    c->peak = 0;
    if (cpu) {
        /* what ct_bench_ceilings does on a CPU device, with the FMA peak measured once */
        if ((st = ct_bench_native_peak((int)th, &r, msg)) != CT_OK) return st;
        c->peak = r.fma_gflops;
        snprintf(c->peak_how, sizeof c->peak_how, "%s", r.fma_method);
    }
    for (int i = 0; i < 4; i++) {
        c->has[i] = sizes[i] != 0;
        if (!sizes[i]) {
            snprintf(c->copy_how[i], sizeof c->copy_how[i], "none: the next class applies");
            continue;
        }
        st = cpu ? ct_bench_native_copy((int)th, sizes[i], &r, msg)
                 : ct_bench_ceilings(dev, sizes[i], &r, msg);
        if (st != CT_OK) return st;
        if (!cpu && r.fma_gflops > c->peak) {
            c->peak = r.fma_gflops;
            snprintf(c->peak_how, sizeof c->peak_how, "%s", r.fma_method);
        }
        c->copy[i] = r.copy_gbps;
        snprintf(c->copy_how[i], sizeof c->copy_how[i], "%s", r.copy_method);
    }
    /* a class not measured takes the next one's figure; a copy in a nearer cache is no slower
     * than one farther out */
    for (int i = 2; i >= 0; i--)
        if (!c->has[i] || c->copy[i + 1] > c->copy[i]) c->copy[i] = c->copy[i + 1];
    const char *scale = getenv("CLTRAIN_BENCH_CEILING_SCALE");
    if (scale && *scale) {
        double f = atof(scale);
        if (f > 0) {
            c->peak *= f;
            for (int i = 0; i < 4; i++)
                c->copy[i] *= f;
        }
    }
    return CT_OK;
}

/* The copy class of a launch that moves `bytes`. */
static int copy_class(const ceilings *c, double bytes) {
    return bytes <= c->limit[0] ? 0 : bytes <= c->limit[1] ? 1 : bytes <= c->limit[2] ? 2 : 3;
}

static double ceiling_of(const ceilings *c, int kind) { return kind < 0 ? c->peak : c->copy[kind]; }

/* value as a percentage of its ceiling ("42%", "108%!" above it) into buf; kept for the check */
static const char *pct(ceilings *c, double value, int kind, char buf[24]) {
    double p = 100 * value / ceiling_of(c, kind);
    if (isnan(value)) {
        snprintf(buf, 24, "-");
        return buf;
    }
    snprintf(buf, 24, "%.0f%%%s", p, p > 100 ? "!" : "");
    if (c->n < MAX_FIGURES) {
        c->value[c->n] = value;
        c->kind[c->n++] = kind;
    }
    return buf;
}

/* Figures above their ceilings. */
static int over_ceilings(const ceilings *c) {
    int over = 0;
    for (int i = 0; i < c->n; i++)
        over += c->value[i] > ceiling_of(c, c->kind[i]);
    return over;
}

/* Figures more than 1.5 times their ceilings: no drift of a shared machine explains them, so
 * measuring the ceilings again would not help. */
static int far_over_ceilings(const ceilings *c) {
    int far = 0;
    for (int i = 0; i < c->n; i++)
        far += c->value[i] > 1.5 * ceiling_of(c, c->kind[i]);
    return far;
}

static void print_ceilings(const ceilings *c) {
    printf("  FMA peak      %7.1f GFLOP/s  %s\n", c->peak, c->peak_how);
    for (int i = 0; i < 4; i++) {
        if (!c->has[i]) continue;
        printf("  %-13s %7.1f GB/s     %s; launches moving ", copy_class_name[i], c->copy[i],
               c->copy_how[i]);
        if (i == 3)
            printf("more\n");
        else if (c->limit[i] >= (1 << 20))
            printf("up to %.0f MiB\n", c->limit[i] / (1 << 20));
        else
            printf("up to %.0f KiB\n", c->limit[i] / 1024);
    }
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
    /* every product shape of the chosen nets once (a64 and a256 have the same layers at
     * different batches, so different shapes) */
    int want[MAX_NETS] = {0};
    for (int k = 0; k < ns && k < MAX_NETS; k++)
        want[k] = wanted(nets_s, suite[k].name);
    ct_bench_product prods[MAX_PRODUCTS];
    int np = gemm_table ? ct_bench_products(suite, ns < MAX_NETS ? ns : MAX_NETS, want, prods,
                                            MAX_PRODUCTS)
                        : 0;
    if (np > MAX_PRODUCTS) np = MAX_PRODUCTS;

    /* OpenBLAS and the reference first, in a process of their own, before any OpenCL runtime */
    host_figures *hf = malloc(sizeof *hf);
    ceilings *ceil = malloc(sizeof *ceil);
    if (!hf || !ceil) {
        free(hf);
        free(ceil);
        cli_error("bench: out of host memory");
        return CLI_FAIL;
    }
    memset(ceil, 0, sizeof *ceil);
    if (host_measure_apart(hf, suite, ns, nets_s, prods, np, repeats) != CLI_OK) {
        free(hf);
        free(ceil);
        return CLI_FAIL;
    }
    ct_device *dev = NULL;
    if (cli_open_device(device, &dev) != CLI_OK) {
        free(hf);
        free(ceil);
        return CLI_FAIL;
    }
    const ct_device_info *di = ct_device_get_info(dev);
    const char *why = NULL;
    int clblast = ct_device_clblast_works(dev, &why);
    printf("cltrain bench on [%d] %s (%s), %u compute units\n", di->index, di->name, di->platform,
           di->compute_units);
    printf("matrix products: %s by default; CLBlast %s; CPU comparator (OpenBLAS) %s\n",
           ct_gemm_backend_name(ct_device_gemm(dev)), clblast ? "works" : "unavailable",
           ct_have_cblas() ? "built in" : "not built in");
    printf(
        "OpenBLAS, the CPU comparator and the reference: timed first, in a child process, before "
        "any OpenCL runtime started (%.1f s)\n",
        hf->seconds);
    char msg[CT_MSG_LEN];
    int rc = CLI_OK;
    /* the ceilings every figure is printed beside */
    if (measure_ceilings(dev, di, ceil, msg) != CT_OK) {
        rc = cli_fail(msg);
        ct_device_destroy(dev);
        free(hf);
        free(ceil);
        return rc;
    }
    printf("ceilings, measured here (a figure above its ceiling is marked '!'):\n");
    print_ceilings(ceil);
    if (getenv("CLTRAIN_BENCH_CEILING_SCALE"))
        printf("  (scaled by CLTRAIN_BENCH_CEILING_SCALE=%s, to test the check)\n",
               getenv("CLTRAIN_BENCH_CEILING_SCALE"));

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
            g[3] = hf->openblas[q];
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
            char pb[24];
            printf(" %8s\n", pct(ceil, g[best], -1, pb));
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
        int steps = net_steps(flops);
        ct_bench_step sd;
        if (ct_bench_step_time(CT_BACKEND_OPENCL, dev, n, steps, repeats, &sd, prof, msg) !=
            CT_OK) {
            rc = cli_fail(msg);
            break;
        }
        double floor_s = hf->floor_s[k];
        ct_bench_step sc = {.seconds = hf->cpu[k]}, sr = {.seconds = hf->ref[k]};
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
        char pb[24];
        printf(" %8.0f %9.0f %8.1f %7s\n", sd.launches, n->batch / sd.seconds,
               flops / sd.seconds / 1e9, pct(ceil, flops / sd.seconds / 1e9, -1, pb));
        printf("      device kernels per step:");
        int col = 0;
        double gemm_s = 0;
        for (int kk = 0; kk < ct_kernel_count() && kk < 256; kk++) {
            if (!prof[kk].launches) continue;
            double bytes = kernel_bytes(n, ct_kernel_name(kk));
            printf("%s %s %.3f ms", col++ % 4 == 0 ? "\n        " : ",", ct_kernel_name(kk),
                   1e3 * prof[kk].seconds);
            if (bytes > 0 && prof[kk].seconds > 0) {
                /* against the copy bandwidth of a working set of its size */
                double gbps = bytes / prof[kk].seconds / 1e9,
                       per_launch = bytes * steps * repeats / (double)prof[kk].launches;
                double ws = kernel_working_set(n, ct_kernel_name(kk));
                int kind = copy_class(ceil, ws > per_launch ? ws : per_launch);
                printf(" (%.1f GB/s, %s of copy, %s)", gbps, pct(ceil, gbps, kind, pb),
                       kind == 0   ? "L1"
                       : kind == 1 ? "L2"
                       : kind == 2 ? "L3"
                                   : "DRAM");
            }
            if (!strncmp(ct_kernel_name(kk), "gemm", 4)) gemm_s += prof[kk].seconds;
        }
        if (gemm_s > 0) {
            /* the products' kernels together (gemm*: every variant of the own product) */
            double gf = flops / gemm_s / 1e9;
            printf(
                "\n        products (gemm kernels) %.3f ms: %.1f GFLOP/s by the events, %s of peak",
                1e3 * gemm_s, gf, pct(ceil, gf, -1, pb));
        }
        printf("\n");
        fflush(stdout);
    }
    if (rc == CLI_OK)
        printf("\ncpu: the reference with OpenBLAS products (double); reference: host/ref.c "
               "(double); floor: the "
               "step's products at OpenBLAS sgemm speed; kernels: launches per step; of peak: the\n"
               "device's step GFLOP/s over its measured FMA peak; of copy: over the copy "
               "bandwidth in cache or in DRAM\n");
    /* No figure can exceed its ceiling. One that did was measured against ceilings taken while
     * the machine was busier (DRAM's bandwidth drifts by +-15% from one second to the next on a
     * shared machine), or the ceiling is wrong: measure them again, up to three times, and keep
     * the highest of each; a figure still above is an error. A figure more than 1.5 times its
     * ceiling fails at once (a ceiling off by a factor stays off). */
    int over = rc == CLI_OK ? over_ceilings(ceil) : 0, tries = 0;
    while (over && tries < 3 && rc == CLI_OK && !far_over_ceilings(ceil)) {
        ceilings again = *ceil;
        if (measure_ceilings(dev, di, &again, msg) != CT_OK) {
            rc = cli_fail(msg);
            break;
        }
        tries++;
        printf("\n%d figure%s above the ceilings (marked '!'); the ceilings measured again (%d of "
               "at most 3):\n",
               over, over == 1 ? "" : "s", tries);
        print_ceilings(&again);
        ceil->peak = fmax(ceil->peak, again.peak);
        for (int i = 0; i < 4; i++)
            ceil->copy[i] = fmax(ceil->copy[i], again.copy[i]);
        over = over_ceilings(ceil);
        if (!over)
            printf("none of the figures exceeds the highest of the %d measurements (the machine "
                   "was busier while the first ran)\n",
                   tries + 1);
    }
    if (over && rc == CLI_OK) {
        char how[64];
        if (tries)
            snprintf(how, sizeof how, "the highest of %d measurements", tries + 1);
        else
            snprintf(how, sizeof how, "%d more than 1.5 times theirs", far_over_ceilings(ceil));
        cli_error("bench: %d of %d figures exceed the device's ceilings (FMA peak %.1f GFLOP/s; "
                  "copy %.1f, %.1f, %.1f and %.1f GB/s in L1, L2, L3 and DRAM; %s): a ceiling is "
                  "wrong",
                  over, ceil->n, ceil->peak, ceil->copy[0], ceil->copy[1], ceil->copy[2],
                  ceil->copy[3], how);
        rc = CLI_FAIL;
    }
    ct_device_destroy(dev);
    free(hf);
    free(ceil);
    return rc;
}
