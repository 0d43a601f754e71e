/* The program: its parts' sources (embedded, or from $CLTRAIN_KERNELS_DIR), the build options of
 * the device's kernel shape, the build and its log, the binary cache, the kernel table. */
#define _POSIX_C_SOURCE 200809L
#include "fileio.h"
#include "internal.h"
#include "strutil.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Generated from the kernels folder by cmake/embed_kernels.cmake; ends with a NULL name. */
extern const struct ct_kernel_source {
    const char *name;
    const char *text;
    size_t len;
} ct_kernel_sources[];

/* ---- program ----------------------------------------------------------------------------- */

static int source_part(const char *file) {
    /* math.cl: the functions common.cl declares (after gemm.cl in the second part, which uses
     * none of them) */
    if (!strcmp(file, "common.cl") || !strcmp(file, "math.cl")) return SRC_ALL;
    return !strcmp(file, "gemm.cl") ? SRC_OWN : SRC_MAIN;
}

/* The part a kernel lives in (the own product's kernel is gemm.cl's only one). */
static int kernel_part(int k) { return k == CT_K_gemm ? SRC_OWN : SRC_MAIN; }

/* The part(s) the device builds when opened. */
static int first_parts(const ct_device *dev) { return dev->cpu ? SRC_MAIN : SRC_ALL; }

/* The program source of the given parts: the embedded kernels, or the same files from
 * $CLTRAIN_KERNELS_DIR. */
ct_status dv_load_sources(ct_device *dev, int parts, char **out, size_t *len) {
    const char *dir = getenv("CLTRAIN_KERNELS_DIR");
    size_t total = 0, cap = 1;
    char *buf = NULL;
    *out = NULL;
    for (int i = 0; ct_kernel_sources[i].name; i++) {
        if (!(source_part(ct_kernel_sources[i].name) & parts)) continue;
        const char *text = ct_kernel_sources[i].text;
        size_t n = ct_kernel_sources[i].len;
        char *disk = NULL;
        if (dir && *dir) {
            char path[1024];
            snprintf(path, sizeof path, "%s/%s", dir, ct_kernel_sources[i].name);
            FILE *f = fopen(path, "rb");
            if (!f) {
                free(buf);
                return ct_fail(dev, CT_ERR_IO,
                               "loading kernels from CLTRAIN_KERNELS_DIR: cannot open %s: %s", path,
                               strerror(errno));
            }
            long sz = -1;
            if (fseek(f, 0, SEEK_END) == 0) sz = ftell(f);
            if (sz < 0 || fseek(f, 0, SEEK_SET) != 0 || !(disk = malloc((size_t)sz + 1)) ||
                fread(disk, 1, (size_t)sz, f) != (size_t)sz) {
                fclose(f);
                free(disk);
                free(buf);
                return ct_fail(dev, CT_ERR_IO, "loading kernels: cannot read %s", path);
            }
            fclose(f);
            text = disk;
            n = (size_t)sz;
        }
        char *grown = realloc(buf, cap + total + n + 64);
        if (!grown) {
            free(disk);
            free(buf);
            return ct_fail(dev, CT_ERR_ALLOC, "loading kernels: out of host memory");
        }
        buf = grown;
        cap += n + 64;
        total += (size_t)snprintf(buf + total, 64, "\n#line 1 \"%s\"\n", ct_kernel_sources[i].name);
        memcpy(buf + total, text, n);
        total += n;
        buf[total] = '\0';
        free(disk);
    }
    *out = buf;
    *len = total;
    return CT_OK;
}

size_t dv_pow2_at_most(size_t v, size_t cap) {
    size_t p = 1;
    while (p * 2 <= v && p * 2 <= cap)
        p *= 2;
    return p;
}

/* The kernel `id`, created at its first launch (ct_args_begin): from the own product's program
 * where one was built apart (ct_device_need_kernel, dv_rebuild_own), else from the program built
 * when the device was opened. Rusticl's llvmpipe compiles a kernel when it is created (6 s for
 * the heaviest, about 30 s for the whole program, where PoCL compiles at the build), so a run
 * compiles only the kernels it launches. */
cl_int dv_kernel(ct_device *dev, ct_kernel_id id, cl_kernel *out) {
    if (!dev->kernels[id]) {
        cl_program p = kernel_part(id) == SRC_OWN && dev->program_own ? dev->program_own
                       : (kernel_part(id) & first_parts(dev))        ? dev->program
                                                                       : NULL;
        if (!p) return CL_INVALID_PROGRAM_EXECUTABLE;
        cl_int e = CL_SUCCESS;
        cl_kernel k = clCreateKernel(p, ct_kernel_name(id), &e);
        if (e != CL_SUCCESS) return e;
        dev->kernels[id] = k;
    }
    *out = dev->kernels[id];
    return CL_SUCCESS;
}

/* The cache folder of this user: $XDG_CACHE_HOME/cltrain, else ~/.cache/cltrain. */
void dv_cache_dir(char *dst, size_t n) {
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (xdg && *xdg)
        snprintf(dst, n, "%s/cltrain", xdg);
    else
        snprintf(dst, n, "%s/.cache/cltrain", home && *home ? home : "/tmp");
}

/* Creates the folders above path (best effort; the write that follows reports failures). */
void dv_mkdirs_for(const char *path) {
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    for (char *p = dir + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(dir, 0777);
            *p = '/';
        }
}

/* PoCL keeps every kernel it compiles in its own cache (per work-group size, in $POCL_CACHE_DIR
 * or ~/.cache/pocl) unless POCL_KERNEL_CACHE=0. There a binary of ours adds nothing, and asking
 * PoCL for one costs the cold start seconds: it compiles every kernel of the program for a
 * generic work-group size first. */
int dv_info_caches_kernels(const ct_device_info *info) {
    const char *pocl_cache = getenv("POCL_KERNEL_CACHE");
    return strstr(info->platform, "Portable Computing Language") &&
           !(pocl_cache && !strcmp(pocl_cache, "0"));
}

static int driver_caches_kernels(const ct_device *dev) {
    return dv_info_caches_kernels(&dev->info);
}

unsigned long long dv_fnv1a(unsigned long long h, const void *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        h = (h ^ ((const unsigned char *)p)[i]) * 0x100000001b3ULL;
    return h;
}

/* FNV-1a of what identifies the device and its compiler: platform, device name and the driver
 * version (read whole, however long), and the profile it runs. */
unsigned long long dv_device_key(const ct_device *dev) {
    unsigned long long h = 0xcbf29ce484222325ULL;
    h = dv_fnv1a(h, dev->info.platform, strlen(dev->info.platform));
    h = dv_fnv1a(h, dev->info.name, strlen(dev->info.name));
    char *driver = dv_device_string(dev->id, CL_DRIVER_VERSION);
    if (driver) h = dv_fnv1a(h, driver, strlen(driver));
    free(driver);
    /* a tuning file or program of one profile never serves the other */
    return dv_fnv1a(h, dev->info.profile, strlen(dev->info.profile));
}

/* The file of the built program for this device, driver, source and options: programs are
 * built once per device and kept (CLTRAIN_NO_PROGRAM_CACHE=1 turns that off). */
static int program_cache_path(const ct_device *dev, const char *src, size_t len, const char *opts,
                              char *dst, size_t n) {
    const char *off = getenv("CLTRAIN_NO_PROGRAM_CACHE");
    if (off && *off && strcmp(off, "0")) return 0;
    if (driver_caches_kernels(dev) || dev->denorm) return 0; /* denorm: argument info, by source */
    unsigned long long h = dv_fnv1a(dv_device_key(dev), opts, strlen(opts));
    h = dv_fnv1a(h, src, len);
    char dir[900];
    dv_cache_dir(dir, sizeof dir);
    snprintf(dst, n, "%s/programs/%016llx.bin", dir, h);
    return 1;
}

/* Builds from the cached binary; 0 (and nothing kept) when there is none or it does not build. */
static int build_from_cache(ct_device *dev, const char *path, const char *opts, cl_program *prog) {
    char *bin = NULL;
    size_t len = 0;
    char msg[CT_MSG_LEN];
    if (ct_read_file(path, &bin, &len, (size_t)1 << 30, msg) != CT_OK || len == 0) {
        free(bin);
        return 0;
    }
    const unsigned char *bins[1] = {(const unsigned char *)bin};
    cl_int status = CL_SUCCESS, e;
    cl_program p = clCreateProgramWithBinary(dev->ctx, 1, &dev->id, &len, bins, &status, &e);
    free(bin);
    if (e != CL_SUCCESS || status != CL_SUCCESS) {
        if (p) clReleaseProgram(p);
        return 0;
    }
    if (clBuildProgram(p, 1, &dev->id, opts, NULL, NULL) != CL_SUCCESS) {
        clReleaseProgram(p);
        return 0;
    }
    *prog = p;
    return 1;
}

/* Keeps the built program's binary (best effort: a cache that cannot be written is no error). */
static void save_to_cache(cl_program prog, const char *path) {
    size_t size = 0;
    if (clGetProgramInfo(prog, CL_PROGRAM_BINARY_SIZES, sizeof size, &size, NULL) != CL_SUCCESS ||
        size == 0)
        return;
    unsigned char *bin = malloc(size);
    if (!bin) return;
    unsigned char *bins[1] = {bin};
    if (clGetProgramInfo(prog, CL_PROGRAM_BINARIES, sizeof bins, bins, NULL) == CL_SUCCESS) {
        dv_mkdirs_for(path);
        ct_atomic_file a = {0};
        char msg[CT_MSG_LEN];
        if (ct_atomic_begin(&a, path, msg) == CT_OK) {
            fwrite(bin, 1, size, a.f);
            ct_atomic_commit(&a, msg);
        }
    }
    free(bin);
}

/* Builds src with the device's shape (dev->cfg) into *prog, from the program cache when it has
 * the binary. */
#define CT_OPTS_LEN 1024

/* The build options of the device's shape (dev->cfg) and the activation codes (CT_ACT_LIST),
 * into opts[CT_OPTS_LEN]. */
static ct_status program_options(ct_device *dev, char *opts) {
    dev->red_wg = dv_pow2_at_most(dev->info.max_work_group, CT_RED_WG_MAX);
    /* Test-only: CLTRAIN_RED_WG=<power of two> builds the reductions for a smaller work-group,
     * as a device with a low limit would; their bits must not change (256 logical lanes). */
    const char *rw = getenv("CLTRAIN_RED_WG");
    if (rw && *rw) {
        char *end = NULL;
        unsigned long v = strtoul(rw, &end, 10);
        if (*end || v < 1 || v > dev->red_wg || (v & (v - 1)))
            return ct_fail(dev, CT_ERR_ARG,
                           "CLTRAIN_RED_WG='%s' is not a power of two from 1 to %zu", rw,
                           dev->red_wg);
        dev->red_wg = (size_t)v;
    }
    const ct_kernel_config *c = &dev->cfg;
    int used = snprintf(opts, CT_OPTS_LEN,
                        "-cl-std=CL1.2 -DCT_RED_WG=%zu -DCT_RED_PARTIALS=%d -DCT_OG_TSM=%d "
                        "-DCT_OG_TSN=%d -DCT_OG_TSK=%d -DCT_OG_WPTM=%d -DCT_OG_WPTN=%d "
                        "-DCT_VW=%d -DCT_PK_VW=%d -DCT_PK_RM=%d -DCT_PK_NV=%d -DCT_EW=%d "
                        "-DCT_OEW=%d",
                        dev->red_wg, CT_RED_PARTIALS, c->ogm, c->ogn, c->ogk, c->ogwm, c->ogwn,
                        c->vw, c->vw, c->rm, c->nv, c->ew, ct_optim_ew(c));
    /* Correctly rounded division and sqrt where the device can give them (principle 6; the
     * OpenCL default allows 2.5 ulp for a float division, 3 for sqrt). rusticl's llvmpipe does
     * not report it, yet its / and sqrt match the host's IEEE results (test_math, issue 25). */
    cl_device_fp_config fp = 0;
    if (clGetDeviceInfo(dev->id, CL_DEVICE_SINGLE_FP_CONFIG, sizeof fp, &fp, NULL) == CL_SUCCESS &&
        (fp & CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT))
        used += snprintf(opts + used, CT_OPTS_LEN - (size_t)used,
                         " -cl-fp32-correctly-rounded-divide-sqrt");
    used += snprintf(opts + used, CT_OPTS_LEN - (size_t)used, "%s", dv_denorm_option(dev));
#define CT_ACT_OPT_(id, name, flags, alpha, ...)                                                   \
    used += snprintf(opts + used, CT_OPTS_LEN - (size_t)used, " -DCT_ACT_" #id "=%d", CT_ACT_##id);
    CT_ACT_LIST(CT_ACT_OPT_, 0)
#undef CT_ACT_OPT_
    /* Test-only faults: CLTRAIN_FAULT=act_backward builds a deliberately wrong kernel, so the
     * tests can show that gradcheck and --verify catch it. */
    const char *fault = getenv("CLTRAIN_FAULT");
    if (fault && *fault) {
        if (strcmp(fault, "act_backward"))
            return ct_fail(dev, CT_ERR_ARG,
                           "CLTRAIN_FAULT='%s' is not a known test fault (act_backward)", fault);
        snprintf(opts + used, CT_OPTS_LEN - (size_t)used, " -DCT_FAULT_ACT_BACKWARD");
    }
    return CT_OK;
}

static ct_status build_source(ct_device *dev, const char *src, size_t len, cl_program *prog) {
    cl_int e;
    char opts[CT_OPTS_LEN];
    ct_status st = program_options(dev, opts);
    if (st != CT_OK) return st;
    char cache[1024];
    int cached = program_cache_path(dev, src, len, opts, cache, sizeof cache);
    if (cached && build_from_cache(dev, cache, opts, prog)) return CT_OK;
    const char *srcs[1] = {src};
    *prog = clCreateProgramWithSource(dev->ctx, 1, srcs, &len, &e);
    if (e != CL_SUCCESS) return ct_cl_fail(dev, e, "clCreateProgramWithSource", "building kernels");
    e = clBuildProgram(*prog, 1, &dev->id, opts, NULL, NULL);
    if (e != CL_SUCCESS) {
        /* the log read whole (its size asked first), then digested to what fits: on some
         * CPUs PoCL prints many warnings before the error */
        size_t log_len = 0;
        char *log = NULL;
        if (clGetProgramBuildInfo(*prog, dev->id, CL_PROGRAM_BUILD_LOG, 0, NULL, &log_len) ==
                CL_SUCCESS &&
            (log = malloc(log_len + 1)) != NULL) {
            if (clGetProgramBuildInfo(*prog, dev->id, CL_PROGRAM_BUILD_LOG, log_len, log, NULL) !=
                CL_SUCCESS)
                log_len = 0;
            log[log_len] = '\0';
        }
        char digest[CT_MSG_LEN - 256];
        ct_log_digest(digest, sizeof digest, log);
        free(log);
        return ct_fail(dev, CT_ERR_BUILD,
                       "building kernels for %s: clBuildProgram failed: %s; build log:\n%s",
                       dev->info.name, ct_cl_error_name(e), digest[0] ? digest : "(empty)");
    }
    if (cached) save_to_cache(*prog, cache);
    return CT_OK;
}

/* Builds the given parts of the program with the device's shape (dev->cfg) into *prog; their
 * kernels are created at their first launch (dv_kernel). */
static ct_status build_program(ct_device *dev, int parts, cl_program *prog) {
    char *src = NULL;
    size_t len = 0;
    ct_status st = dv_load_sources(dev, parts, &src, &len);
    if (st != CT_OK) return st;
    st = build_source(dev, src, len, prog);
    free(src);
    return st;
}

ct_status ct_device_need_kernel(ct_device *dev, ct_kernel_id id) {
    if (dev->kernels[id] || dev->program_own || (kernel_part(id) & first_parts(dev))) return CT_OK;
    return build_program(dev, SRC_OWN, &dev->program_own);
}

void dv_release_program(ct_device *dev) {
    for (int k = 0; k < CT_K_COUNT; k++) {
        if (dev->kernels[k]) clReleaseKernel(dev->kernels[k]);
        dev->kernels[k] = NULL;
    }
    if (dev->program) clReleaseProgram(dev->program);
    if (dev->program_own) clReleaseProgram(dev->program_own);
    dev->program = dev->program_own = NULL;
}

/* A new tile of the own product alone (the shape's og* fields; nothing else changed): the
 * own product's kernel is rebuilt from gemm.cl into its own program, and the rest of the program
 * stays (no other source reads the CT_OG_* options). The tuner and test_shapes sweep those
 * tiles, and each step used to rebuild every kernel. */
ct_status dv_rebuild_own(ct_device *dev) {
    for (int k = 0; k < CT_K_COUNT; k++) {
        if (kernel_part(k) != SRC_OWN || !dev->kernels[k]) continue;
        clReleaseKernel(dev->kernels[k]);
        dev->kernels[k] = NULL;
    }
    if (dev->program_own) clReleaseProgram(dev->program_own);
    dev->program_own = NULL;
    return build_program(dev, SRC_OWN, &dev->program_own);
}

ct_status dv_load_and_build(ct_device *dev) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ct_status st = build_program(dev, first_parts(dev), &dev->program);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    dev->build_seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    return st;
}
