/* The product's backend: the one asked for, the common bits (--exact), the choice per shape
 * class; the tuning file, which keeps the tuned kernel shape and those choices per device,
 * driver and kernel source. */
#include "fileio.h"
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ct_status ct_device_set_gemm(ct_device *dev, ct_gemm_backend b) {
    if (b != CT_GEMM_AUTO && b != CT_GEMM_CLBLAST && b != CT_GEMM_OWN && b != CT_GEMM_CPU)
        return ct_fail(dev, CT_ERR_ARG, "ct_device_set_gemm: unknown backend %d", (int)b);
    const char *why = NULL;
    if (b == CT_GEMM_CLBLAST && dev->exact)
        return ct_fail(dev, CT_ERR_ARG,
                       "CLBlast's products give the device's own bits: not with the common bits "
                       "forced (--exact, CLTRAIN_EXACT=1)");
    if (b == CT_GEMM_CLBLAST && !ct_device_clblast_works(dev, &why))
        return ct_fail(dev, CT_ERR_CLBLAST, "CLBlast cannot be used on %s: %s", dev->info.name,
                       why);
    dev->gemm = b;
    return CT_OK;
}

/* The default is a product of the common bits on every device (issue 25: the own product
 * costs nothing on PoCL's gpu profile, where it ran 1.5-3x faster than CLBlast on the bench
 * suite's larger products); CLBlast comes only when asked for, or per shape class where the
 * tuner measured it more than 5% faster. */
ct_gemm_backend ct_device_gemm(ct_device *dev) {
    if (dev->gemm != CT_GEMM_AUTO) return dev->gemm;
    return dev->cpu ? CT_GEMM_CPU : CT_GEMM_OWN;
}

ct_status ct_device_set_exact(ct_device *dev, int exact) {
    if (exact && dev->gemm == CT_GEMM_CLBLAST)
        return ct_fail(dev, CT_ERR_ARG,
                       "the common bits cannot be forced while CLBlast is (CLTRAIN_GEMM=clblast)");
    dev->exact = exact != 0;
    return CT_OK;
}

int ct_device_common_bits(ct_device *dev) {
    if (dev->gemm == CT_GEMM_CLBLAST) return 0;
    if (dev->exact || dev->gemm != CT_GEMM_AUTO) return 1;
    for (int i = 0; i < dev->n_tuned; i++)
        if (dev->tuned[i].backend == CT_GEMM_CLBLAST) return 0;
    return 1;
}

static unsigned log2_bucket(int v) {
    unsigned b = 0;
    while (b < 31 && (1 << (b + 1)) <= v)
        b++;
    return b;
}

unsigned ct_gemm_class(int M, int N, int K, int transA, int transB) {
    return (unsigned)transA << 17 | (unsigned)transB << 16 | log2_bucket(M) << 10 |
           log2_bucket(N) << 5 | log2_bucket(K);
}

ct_gemm_backend ct_device_gemm_for(ct_device *dev, int M, int N, int K, int transA, int transB) {
    if (dev->gemm != CT_GEMM_AUTO) return dev->gemm;
    unsigned key = ct_gemm_class(M, N, K, transA, transB);
    for (int i = 0; i < dev->n_tuned; i++)
        if (dev->tuned[i].key == key && !(dev->exact && dev->tuned[i].backend == CT_GEMM_CLBLAST))
            return dev->tuned[i].backend;
    return ct_device_gemm(dev);
}

void ct_gemm_tune_path(const ct_device *dev, char *dst, size_t n) {
    const char *env = getenv("CLTRAIN_TUNE_FILE");
    if (env && *env) {
        snprintf(dst, n, "%s", env);
        return;
    }
    char dir[900];
    dv_cache_dir(dir, sizeof dir);
    snprintf(dst, n, "%s/gemm-%016llx.txt", dir, dev->src_key);
}

/* Reads the tuning file if there is one: its kernel shape ("config vw=8,rm=6,...") and, when
 * the backend is automatic, the backend of each shape class. A missing or unreadable file, or
 * a line that does not parse, means no tuning (of that line). */
void dv_load_tuned(ct_device *dev) {
    char path[1024];
    ct_gemm_tune_path(dev, path, sizeof path);
    FILE *f = fopen(path, "r");
    if (!f) return;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        unsigned key;
        char name[200];
        if (sscanf(line, "config %199s", name) == 1) {
            char why[CT_MSG_LEN];
            ct_kernel_config c = dev->cfg;
            if (ct_kernel_config_parse(name, &c, why) == CT_OK && !dv_og_unfit(dev, &c, why, 160)) {
                dev->cfg = c;
                dev->cfg_origin = "tuned";
            }
            continue;
        }
        if (dev->gemm != CT_GEMM_AUTO || sscanf(line, "%x %31s", &key, name) != 2) continue;
        ct_gemm_backend b;
        if (!strcmp(name, "clblast"))
            b = CT_GEMM_CLBLAST;
        else if (!strcmp(name, "own"))
            b = CT_GEMM_OWN;
        else if (!strcmp(name, "cpu"))
            b = CT_GEMM_CPU;
        else
            continue;
        if (b == CT_GEMM_CLBLAST && !ct_device_clblast_works(dev, NULL)) continue;
        ct_gemm_tuned *grown = realloc(dev->tuned, (size_t)(dev->n_tuned + 1) * sizeof *grown);
        if (!grown) break;
        dev->tuned = grown;
        dev->tuned[dev->n_tuned].key = key;
        dev->tuned[dev->n_tuned].backend = b;
        dev->n_tuned++;
    }
    fclose(f);
}

ct_status ct_gemm_set_tuned(ct_device *dev, const ct_gemm_tuned *t, int n, int save) {
    ct_gemm_tuned *copy = n > 0 ? malloc((size_t)n * sizeof *copy) : NULL;
    if (n > 0 && !copy) return ct_fail(dev, CT_ERR_ALLOC, "out of host memory");
    if (n > 0) memcpy(copy, t, (size_t)n * sizeof *copy);
    free(dev->tuned);
    dev->tuned = copy;
    dev->n_tuned = n;
    if (!save) return CT_OK;
    char path[1024];
    ct_gemm_tune_path(dev, path, sizeof path);
    dv_mkdirs_for(path);
    ct_atomic_file a = {0};
    char msg[CT_MSG_LEN];
    if (ct_atomic_begin(&a, path, msg) != CT_OK) return ct_fail(dev, CT_ERR_IO, "%s", msg);
    char shape[96];
    ct_kernel_config_format(&dev->cfg, shape, sizeof shape);
    fprintf(a.f, "# cltrain kernel shape and matrix-product choices for %s (%s), by shape class\n",
            dev->info.name, dev->info.platform);
    fprintf(a.f, "config %s\n", shape);
    for (int i = 0; i < n; i++)
        fprintf(a.f, "%05x %s\n", t[i].key, ct_gemm_backend_name(t[i].backend));
    if (ct_atomic_commit(&a, msg) != CT_OK) return ct_fail(dev, CT_ERR_IO, "%s", msg);
    return CT_OK;
}
