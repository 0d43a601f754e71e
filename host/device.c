/* Device layer: platform and device choice, context, queue, program build, kernel table,
 * OpenCL and CLBlast error names, kernel argument helpers. */
#define _POSIX_C_SOURCE 200809L
#include "device.h"
#include "fileio.h"
#include "strutil.h"

#include <dirent.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef CT_HAVE_CLBLAST
#include <clblast_c.h>
#endif

/* Generated from the kernels folder by cmake/embed_kernels.cmake; ends with a NULL name. */
extern const struct ct_kernel_source {
    const char *name;
    const char *text;
    size_t len;
} ct_kernel_sources[];

/* ---- names ------------------------------------------------------------------------------- */

const char *ct_status_name(ct_status s) {
    switch (s) {
    case CT_OK: return "CT_OK";
    case CT_ERR_ARG: return "CT_ERR_ARG";
    case CT_ERR_ALLOC: return "CT_ERR_ALLOC";
    case CT_ERR_NO_PLATFORM: return "CT_ERR_NO_PLATFORM";
    case CT_ERR_NO_DEVICE: return "CT_ERR_NO_DEVICE";
    case CT_ERR_OPENCL: return "CT_ERR_OPENCL";
    case CT_ERR_BUILD: return "CT_ERR_BUILD";
    case CT_ERR_CLBLAST: return "CT_ERR_CLBLAST";
    case CT_ERR_IO: return "CT_ERR_IO";
    case CT_ERR_FORMAT: return "CT_ERR_FORMAT";
    case CT_ERR_NUMERIC: return "CT_ERR_NUMERIC";
    }
    return "CT_ERR_UNKNOWN";
}

const char *ct_cl_error_name(cl_int code) {
    switch (code) {
#define N(x)                                                                                       \
    case x: return #x;
        N(CL_SUCCESS)
        N(CL_DEVICE_NOT_FOUND)
        N(CL_DEVICE_NOT_AVAILABLE)
        N(CL_COMPILER_NOT_AVAILABLE)
        N(CL_MEM_OBJECT_ALLOCATION_FAILURE)
        N(CL_OUT_OF_RESOURCES)
        N(CL_OUT_OF_HOST_MEMORY)
        N(CL_PROFILING_INFO_NOT_AVAILABLE)
        N(CL_MEM_COPY_OVERLAP)
        N(CL_IMAGE_FORMAT_MISMATCH)
        N(CL_IMAGE_FORMAT_NOT_SUPPORTED)
        N(CL_BUILD_PROGRAM_FAILURE)
        N(CL_MAP_FAILURE)
        N(CL_MISALIGNED_SUB_BUFFER_OFFSET)
        N(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST)
        N(CL_COMPILE_PROGRAM_FAILURE)
        N(CL_LINKER_NOT_AVAILABLE)
        N(CL_LINK_PROGRAM_FAILURE)
        N(CL_DEVICE_PARTITION_FAILED)
        N(CL_KERNEL_ARG_INFO_NOT_AVAILABLE)
        N(CL_INVALID_VALUE)
        N(CL_INVALID_DEVICE_TYPE)
        N(CL_INVALID_PLATFORM)
        N(CL_INVALID_DEVICE)
        N(CL_INVALID_CONTEXT)
        N(CL_INVALID_QUEUE_PROPERTIES)
        N(CL_INVALID_COMMAND_QUEUE)
        N(CL_INVALID_HOST_PTR)
        N(CL_INVALID_MEM_OBJECT)
        N(CL_INVALID_IMAGE_FORMAT_DESCRIPTOR)
        N(CL_INVALID_IMAGE_SIZE)
        N(CL_INVALID_SAMPLER)
        N(CL_INVALID_BINARY)
        N(CL_INVALID_BUILD_OPTIONS)
        N(CL_INVALID_PROGRAM)
        N(CL_INVALID_PROGRAM_EXECUTABLE)
        N(CL_INVALID_KERNEL_NAME)
        N(CL_INVALID_KERNEL_DEFINITION)
        N(CL_INVALID_KERNEL)
        N(CL_INVALID_ARG_INDEX)
        N(CL_INVALID_ARG_VALUE)
        N(CL_INVALID_ARG_SIZE)
        N(CL_INVALID_KERNEL_ARGS)
        N(CL_INVALID_WORK_DIMENSION)
        N(CL_INVALID_WORK_GROUP_SIZE)
        N(CL_INVALID_WORK_ITEM_SIZE)
        N(CL_INVALID_GLOBAL_OFFSET)
        N(CL_INVALID_EVENT_WAIT_LIST)
        N(CL_INVALID_EVENT)
        N(CL_INVALID_OPERATION)
        N(CL_INVALID_GL_OBJECT)
        N(CL_INVALID_BUFFER_SIZE)
        N(CL_INVALID_MIP_LEVEL)
        N(CL_INVALID_GLOBAL_WORK_SIZE)
        N(CL_INVALID_PROPERTY)
        N(CL_INVALID_IMAGE_DESCRIPTOR)
        N(CL_INVALID_COMPILER_OPTIONS)
        N(CL_INVALID_LINKER_OPTIONS)
        N(CL_INVALID_DEVICE_PARTITION_COUNT)
#undef N
    case -1001: return "CL_PLATFORM_NOT_FOUND_KHR";
    }
    return "unknown OpenCL error";
}

const char *ct_clblast_error_name(int code) {
    switch (code) {
    case -1024: return "CLBlastNotImplemented";
    case -1022: return "CLBlastInvalidMatrixA";
    case -1021: return "CLBlastInvalidMatrixB";
    case -1020: return "CLBlastInvalidMatrixC";
    case -1019: return "CLBlastInvalidVectorX";
    case -1018: return "CLBlastInvalidVectorY";
    case -1017: return "CLBlastInvalidDimension";
    case -1016: return "CLBlastInvalidLeadDimA";
    case -1015: return "CLBlastInvalidLeadDimB";
    case -1014: return "CLBlastInvalidLeadDimC";
    case -1013: return "CLBlastInvalidIncrementX";
    case -1012: return "CLBlastInvalidIncrementY";
    case -1011: return "CLBlastInsufficientMemoryA";
    case -1010: return "CLBlastInsufficientMemoryB";
    case -1009: return "CLBlastInsufficientMemoryC";
    case -1008: return "CLBlastInsufficientMemoryX";
    case -1007: return "CLBlastInsufficientMemoryY";
    case -2050: return "CLBlastInsufficientMemoryTemp";
    case -2049: return "CLBlastInvalidBatchCount";
    case -2048: return "CLBlastInvalidOverrideKernel";
    case -2047: return "CLBlastMissingOverrideParameter";
    case -2046: return "CLBlastInvalidLocalMemUsage";
    case -2045: return "CLBlastNoHalfPrecision";
    case -2044: return "CLBlastNoDoublePrecision";
    case -2043: return "CLBlastInvalidVectorScalar";
    case -2042: return "CLBlastInsufficientMemoryScalar";
    case -2041: return "CLBlastDatabaseError";
    case -2040: return "CLBlastUnknownError";
    case -2039: return "CLBlastUnexpectedError";
    }
    return ct_cl_error_name((cl_int)code); /* the codes it shares with OpenCL */
}

const char *ct_gemm_backend_name(ct_gemm_backend b) {
    switch (b) {
    case CT_GEMM_AUTO: return "auto";
    case CT_GEMM_CLBLAST: return "clblast";
    case CT_GEMM_OWN: return "own";
    case CT_GEMM_CPU: return "cpu";
    }
    return "unknown";
}

/* ---- messages ---------------------------------------------------------------------------- */

static void vformat(char *dst, size_t n, const char *fmt, va_list ap) {
    int k = vsnprintf(dst, n, fmt, ap);
    if (k < 0) snprintf(dst, n, "(message could not be formatted)");
}

ct_status ct_fail(ct_device *dev, ct_status s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (dev) vformat(dev->err, sizeof dev->err, fmt, ap);
    va_end(ap);
    return s;
}

ct_status ct_cl_fail(ct_device *dev, cl_int code, const char *call, const char *where) {
    return ct_fail(dev, CT_ERR_OPENCL, "%s: %s failed: %s (%d)", where, call,
                   ct_cl_error_name(code), (int)code);
}

const char *ct_device_error(const ct_device *dev) { return dev ? dev->err : ""; }
const ct_device_info *ct_device_get_info(const ct_device *dev) { return &dev->info; }

/* ---- enumeration ------------------------------------------------------------------------- */

#define NO_PLATFORM_HINT                                                                           \
    "install an OpenCL driver: for the CPU, apt-get install pocl-opencl-icd (or set "              \
    "OCL_ICD_VENDORS to the folder holding its .icd file)"

typedef struct {
    cl_platform_id platform;
    cl_device_id device;
} dev_ref;

/* Every (platform, device) pair in enumeration order. *out malloc'ed. */
static ct_status enumerate(dev_ref **out, int *count, char *msg) {
    *out = NULL;
    *count = 0;
    cl_uint np = 0;
    cl_int e = clGetPlatformIDs(0, NULL, &np);
    if (e == -1001 /* CL_PLATFORM_NOT_FOUND_KHR */ || (e == CL_SUCCESS && np == 0))
        return ct_fail_msg(msg, CT_ERR_NO_PLATFORM,
                           "no OpenCL platform found (clGetPlatformIDs: %s); %s",
                           e == CL_SUCCESS ? "0 platforms" : ct_cl_error_name(e), NO_PLATFORM_HINT);
    if (e != CL_SUCCESS)
        return ct_fail_msg(msg, CT_ERR_OPENCL,
                           "listing OpenCL platforms: clGetPlatformIDs failed: %s (%d)",
                           ct_cl_error_name(e), (int)e);
    cl_platform_id *plats = calloc(np, sizeof *plats);
    dev_ref *refs = NULL;
    int n = 0;
    ct_status st = CT_OK;
    if (!plats) {
        st = ct_fail_msg(msg, CT_ERR_ALLOC, "listing OpenCL platforms: out of host memory");
        goto fail;
    }
    e = clGetPlatformIDs(np, plats, NULL);
    if (e != CL_SUCCESS) {
        st = ct_fail_msg(msg, CT_ERR_OPENCL,
                         "listing OpenCL platforms: clGetPlatformIDs failed: %s (%d)",
                         ct_cl_error_name(e), (int)e);
        goto fail;
    }
    for (cl_uint p = 0; p < np; p++) {
        cl_uint nd = 0;
        e = clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, 0, NULL, &nd);
        if (e == CL_DEVICE_NOT_FOUND || nd == 0) continue; /* a platform without devices */
        if (e != CL_SUCCESS) {
            st = ct_fail_msg(msg, CT_ERR_OPENCL,
                             "listing devices of platform %u: clGetDeviceIDs failed: %s (%d)", p,
                             ct_cl_error_name(e), (int)e);
            goto fail;
        }
        dev_ref *grown = realloc(refs, (size_t)(n + (int)nd) * sizeof *refs);
        cl_device_id *ids = calloc(nd, sizeof *ids);
        if (!grown || !ids) {
            free(ids);
            if (grown) refs = grown;
            st = ct_fail_msg(msg, CT_ERR_ALLOC, "listing OpenCL devices: out of host memory");
            goto fail;
        }
        refs = grown;
        e = clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, nd, ids, NULL);
        if (e != CL_SUCCESS) {
            free(ids);
            st = ct_fail_msg(msg, CT_ERR_OPENCL,
                             "listing devices of platform %u: clGetDeviceIDs failed: %s (%d)", p,
                             ct_cl_error_name(e), (int)e);
            goto fail;
        }
        for (cl_uint d = 0; d < nd; d++) {
            refs[n].platform = plats[p];
            refs[n].device = ids[d];
            n++;
        }
        free(ids);
    }
    free(plats);
    *out = refs;
    *count = n;
    return CT_OK;
fail:
    free(refs);
    free(plats);
    return st;
}

/* A string property of a platform (p) or else of a device (d) read whole: its size asked
 * first, then a buffer of that size. A malloc'ed string (free it), or NULL when the driver does
 * not answer. */
static cl_int string_info(cl_platform_id p, cl_device_id d, cl_uint what, size_t n, char *dst,
                          size_t *len) {
    return p ? clGetPlatformInfo(p, what, n, dst, len) : clGetDeviceInfo(d, what, n, dst, len);
}

static char *info_string(cl_platform_id p, cl_device_id d, cl_uint what) {
    size_t len = 0;
    if (string_info(p, d, what, 0, NULL, &len) != CL_SUCCESS) return NULL;
    char *s = malloc(len + 1);
    if (s && string_info(p, d, what, len, s, NULL) != CL_SUCCESS) {
        free(s);
        return NULL;
    }
    if (s) s[len] = '\0';
    return s;
}

static char *device_string(cl_device_id d, cl_device_info what) {
    return info_string(NULL, d, what);
}

/* Copies a string read whole into a fixed field: "?" when there is none, and a longer one cut
 * with "..." at its end rather than lost. */
static void set_field(char *dst, size_t n, char *s) {
    if (!s) {
        snprintf(dst, n, "?");
    } else if (strlen(s) < n) {
        snprintf(dst, n, "%s", s);
    } else {
        snprintf(dst, n, "%.*s...", (int)(n - 4), s);
    }
    free(s);
}

static void fill_info(ct_device_info *info, int index, cl_platform_id p, cl_device_id d) {
    memset(info, 0, sizeof *info);
    info->index = index;
    set_field(info->platform, sizeof info->platform, info_string(p, NULL, CL_PLATFORM_NAME));
    set_field(info->name, sizeof info->name, device_string(d, CL_DEVICE_NAME));
    set_field(info->vendor, sizeof info->vendor, device_string(d, CL_DEVICE_VENDOR));
    set_field(info->opencl_c_version, sizeof info->opencl_c_version,
              device_string(d, CL_DEVICE_OPENCL_C_VERSION));
    cl_device_type t = 0;
    clGetDeviceInfo(d, CL_DEVICE_TYPE, sizeof t, &t, NULL);
    snprintf(info->type, sizeof info->type, "%s",
             (t & CL_DEVICE_TYPE_GPU)           ? "gpu"
             : (t & CL_DEVICE_TYPE_CPU)         ? "cpu"
             : (t & CL_DEVICE_TYPE_ACCELERATOR) ? "accelerator"
                                                : "other");
    cl_uint cu = 0;
    clGetDeviceInfo(d, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof cu, &cu, NULL);
    info->compute_units = cu;
    cl_ulong gm = 0, lm = 0;
    clGetDeviceInfo(d, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof gm, &gm, NULL);
    clGetDeviceInfo(d, CL_DEVICE_LOCAL_MEM_SIZE, sizeof lm, &lm, NULL);
    info->global_mem = gm;
    info->local_mem = lm;
    cl_ulong ma = 0;
    clGetDeviceInfo(d, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof ma, &ma, NULL);
    info->max_alloc = ma;
    size_t wg = 0;
    clGetDeviceInfo(d, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof wg, &wg, NULL);
    info->max_work_group = wg;
    cl_device_fp_config fp = 0;
    clGetDeviceInfo(d, CL_DEVICE_DOUBLE_FP_CONFIG, sizeof fp, &fp, NULL);
    char *ext = device_string(d, CL_DEVICE_EXTENSIONS);
    int has_ext = ext && strstr(ext, "cl_khr_fp64") != NULL;
    free(ext);
    info->fp64 = fp != 0 || has_ext;
    info->clblast = -1;
}

/* ---- CLBlast probe ----------------------------------------------------------------------- */

/* Runs one small odd-sized product through CLBlast and checks it on the host. */
static int clblast_probe(cl_context ctx, cl_command_queue q, char *why, size_t n) {
#ifndef CT_HAVE_CLBLAST
    (void)ctx;
    (void)q;
    snprintf(why, n, "not built in (libclblast-dev was not found at configure time)");
    return 0;
#else
    enum { M = 17, N = 13, K = 9 };
    float a[M * K], b[K * N], c[M * N];
    for (int i = 0; i < M * K; i++)
        a[i] = (float)((i * 7 % 11) - 5) * 0.25f;
    for (int i = 0; i < K * N; i++)
        b[i] = (float)((i * 5 % 13) - 6) * 0.125f;
    for (int i = 0; i < M * N; i++)
        c[i] = NAN;
    cl_int e = CL_SUCCESS;
    int ok = 0;
    cl_mem A = clCreateBuffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, sizeof a, a, &e);
    cl_mem B = e == CL_SUCCESS
                   ? clCreateBuffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, sizeof b, b, &e)
                   : NULL;
    cl_mem C = e == CL_SUCCESS
                   ? clCreateBuffer(ctx, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof c, c, &e)
                   : NULL;
    if (e != CL_SUCCESS) {
        snprintf(why, n, "clCreateBuffer failed: %s", ct_cl_error_name(e));
        goto done;
    }
    CLBlastStatusCode s =
        CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeNo, M, N, K, 1.0f,
                     A, 0, K, B, 0, N, 0.0f, C, 0, N, &q, NULL);
    if (s != CLBlastSuccess) {
        snprintf(why, n, "CLBlastSgemm failed: %s", ct_clblast_error_name(s));
        goto done;
    }
    e = clEnqueueReadBuffer(q, C, CL_TRUE, 0, sizeof c, c, 0, NULL, NULL);
    if (e != CL_SUCCESS) {
        snprintf(why, n, "reading the probe result: %s", ct_cl_error_name(e));
        goto done;
    }
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s2 = 0;
            for (int k = 0; k < K; k++)
                s2 += (double)a[i * K + k] * b[k * N + j];
            if (!(fabs(c[i * N + j] - s2) <= 1e-4 * (1 + fabs(s2)))) {
                snprintf(why, n, "CLBlastSgemm gave a wrong product (C[%d][%d] = %g, expected %g)",
                         i, j, (double)c[i * N + j], s2);
                goto done;
            }
        }
    ok = 1;
    why[0] = '\0';
done:
    if (C) clReleaseMemObject(C);
    if (B) clReleaseMemObject(B);
    if (A) clReleaseMemObject(A);
    return ok;
#endif
}

/* Every device's refs (optional) and info, in enumeration order; both malloc'ed. */
/* CLTRAIN_PROFILE: NULL when unset, empty or "auto" (each device by its type), else "cpu" or
 * "gpu"; *bad set when it is something else. */
static const char *profile_env(int *bad) {
    const char *p = getenv("CLTRAIN_PROFILE");
    *bad = 0;
    if (!p || !*p || !strcmp(p, "auto")) return NULL;
    if (!strcmp(p, "cpu") || !strcmp(p, "gpu")) return p;
    *bad = 1;
    return NULL;
}

static ct_status list_all(dev_ref **refs_out, ct_device_info **out, int *count, int probe_clblast,
                          char *msg) {
    dev_ref *refs = NULL;
    int n = 0;
    *out = NULL;
    *count = 0;
    if (refs_out) *refs_out = NULL;
    int bad_profile;
    const char *profile = profile_env(&bad_profile);
    if (bad_profile)
        return ct_fail_msg(msg, CT_ERR_ARG, "CLTRAIN_PROFILE='%s' is not one of auto, cpu, gpu",
                           getenv("CLTRAIN_PROFILE"));
    ct_status st = enumerate(&refs, &n, msg);
    if (st != CT_OK) return st;
    ct_device_info *infos = calloc(n > 0 ? (size_t)n : 1, sizeof *infos);
    if (!infos) {
        free(refs);
        return ct_fail_msg(msg, CT_ERR_ALLOC, "listing OpenCL devices: out of host memory");
    }
    for (int i = 0; i < n; i++) {
        fill_info(&infos[i], i, refs[i].platform, refs[i].device);
        snprintf(infos[i].profile, sizeof infos[i].profile, "%s",
                 profile ? profile : !strcmp(infos[i].type, "cpu") ? "cpu" : "gpu");
        if (!probe_clblast) continue;
        cl_int e = CL_SUCCESS;
        cl_context_properties props[] = {CL_CONTEXT_PLATFORM,
                                         (cl_context_properties)refs[i].platform, 0};
        cl_context ctx = clCreateContext(props, 1, &refs[i].device, NULL, NULL, &e);
        cl_command_queue q =
            e == CL_SUCCESS ? clCreateCommandQueue(ctx, refs[i].device, 0, &e) : NULL;
        if (e != CL_SUCCESS) {
            infos[i].clblast = 0;
            snprintf(infos[i].clblast_note, sizeof infos[i].clblast_note,
                     "could not open the device: %s", ct_cl_error_name(e));
        } else {
            infos[i].clblast =
                clblast_probe(ctx, q, infos[i].clblast_note, sizeof infos[i].clblast_note);
        }
        if (q) clReleaseCommandQueue(q);
        if (ctx) clReleaseContext(ctx);
    }
    if (refs_out)
        *refs_out = refs;
    else
        free(refs);
    *out = infos;
    *count = n;
    return CT_OK;
}

ct_status ct_device_list(ct_device_info **out, int *count, int probe_clblast,
                         char msg[CT_MSG_LEN]) {
    return list_all(NULL, out, count, probe_clblast, msg);
}

/* ---- selection --------------------------------------------------------------------------- */

static int ci_contains(const char *hay, const char *needle) {
    size_t hn = strlen(hay), nn = strlen(needle);
    if (nn == 0) return 0;
    for (size_t i = 0; i + nn <= hn; i++) {
        size_t k = 0;
        while (k < nn && tolower((unsigned char)hay[i + k]) == tolower((unsigned char)needle[k]))
            k++;
        if (k == nn) return 1;
    }
    return 0;
}

static int ci_equal(const char *a, const char *b) {
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return 0;
    return *a == *b;
}

static int all_digits(const char *s) {
    if (!*s) return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s)) return 0;
    return 1;
}

int ct_device_default(const ct_device_info *infos, int n) {
    for (int i = 0; i < n; i++)
        if (!strcmp(infos[i].type, "gpu")) return i;
    for (int i = 0; i < n; i++)
        if (!strcmp(infos[i].type, "cpu")) return i;
    return n > 0 ? 0 : -1;
}

/* A list "0: name (type)" of every device, for error messages. */
static void describe_all(const ct_device_info *infos, int n, char *dst, size_t cap) {
    size_t used = 0;
    dst[0] = '\0';
    for (int i = 0; i < n && used + 1 < cap; i++) {
        int k = snprintf(dst + used, cap - used, "%s%d: %s (%s)", i ? ", " : "", i, infos[i].name,
                         infos[i].type);
        if (k < 0) break;
        used += (size_t)k;
    }
    if (n == 0) snprintf(dst, cap, "none");
}

/* Picks the index of the device for selector (already resolved from the environment). */
static ct_status pick(const ct_device_info *infos, int n, const char *sel, const char *origin,
                      int *chosen, char *msg) {
    char all[1024];
    describe_all(infos, n, all, sizeof all);
    if (n == 0)
        return ct_fail_msg(msg, CT_ERR_NO_DEVICE, "no OpenCL device found on any platform; %s",
                           NO_PLATFORM_HINT);
    if (!sel || !*sel) return *chosen = ct_device_default(infos, n), CT_OK;
    if (all_digits(sel)) {
        errno = 0;
        long v = strtol(sel, NULL, 10);
        if (errno == 0 && v >= 0 && v < n) return *chosen = (int)v, CT_OK;
        return ct_fail_msg(msg, CT_ERR_NO_DEVICE,
                           "no OpenCL device with index %s (%s); there %s %d: %s", sel, origin,
                           n == 1 ? "is" : "are", n, all);
    }
    const char *types[] = {"gpu", "cpu", "accelerator"};
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        if (!ci_equal(sel, types[t])) continue;
        for (int i = 0; i < n; i++)
            if (!strcmp(infos[i].type, types[t])) return *chosen = i, CT_OK;
        return ct_fail_msg(msg, CT_ERR_NO_DEVICE, "no OpenCL %s device (%s); devices: %s%s",
                           types[t], origin, all,
                           t == 1 ? "; for a CPU device, apt-get install pocl-opencl-icd" : "");
    }
    for (int i = 0; i < n; i++)
        if (ci_contains(infos[i].name, sel)) return *chosen = i, CT_OK;
    for (int i = 0; i < n; i++)
        if (ci_contains(infos[i].platform, sel)) return *chosen = i, CT_OK;
    return ct_fail_msg(
        msg, CT_ERR_NO_DEVICE,
        "no OpenCL device matches '%s' (%s: an index, gpu, cpu, accelerator or part of "
        "a device name); devices: %s",
        sel, origin, all);
}

/* ---- program ----------------------------------------------------------------------------- */

/* The parts of the program: the own product (gemm.cl) is the second part; common.cl belongs to
 * both. CPU-profile devices build the first part when opened and the second only when an own
 * product is asked for (benchmarks, tests, a tuning choice): on PoCL each program costs a fixed
 * 0.6-0.7 s (its kernel library read), and the own product's 190 lines another 0.1 s of the
 * cold start that no CPU training step needs. */
enum { SRC_MAIN = 1, SRC_OWN = 2, SRC_ALL = SRC_MAIN | SRC_OWN };

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
static ct_status load_sources(ct_device *dev, int parts, char **out, size_t *len) {
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

static size_t pow2_at_most(size_t v, size_t cap) {
    size_t p = 1;
    while (p * 2 <= v && p * 2 <= cap)
        p *= 2;
    return p;
}

/* Creates the kernels of the given parts from prog. */
static ct_status create_kernels(ct_device *dev, cl_program prog, int parts) {
    for (int k = 0; k < CT_K_COUNT; k++) {
        if (!(kernel_part(k) & parts)) continue;
        cl_int e;
        dev->kernels[k] = clCreateKernel(prog, ct_kernel_name((ct_kernel_id)k), &e);
        if (e != CL_SUCCESS) {
            char where[96];
            snprintf(where, sizeof where, "creating kernel %s", ct_kernel_name((ct_kernel_id)k));
            return ct_cl_fail(dev, e, "clCreateKernel", where);
        }
    }
    return CT_OK;
}

/* The cache folder of this user: $XDG_CACHE_HOME/cltrain, else ~/.cache/cltrain. */
static void cache_dir(char *dst, size_t n) {
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (xdg && *xdg)
        snprintf(dst, n, "%s/cltrain", xdg);
    else
        snprintf(dst, n, "%s/.cache/cltrain", home && *home ? home : "/tmp");
}

/* Creates the folders above path (best effort; the write that follows reports failures). */
static void mkdirs_for(const char *path) {
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
static int info_caches_kernels(const ct_device_info *info) {
    const char *pocl_cache = getenv("POCL_KERNEL_CACHE");
    return strstr(info->platform, "Portable Computing Language") &&
           !(pocl_cache && !strcmp(pocl_cache, "0"));
}

static int driver_caches_kernels(const ct_device *dev) { return info_caches_kernels(&dev->info); }

static unsigned long long fnv1a(unsigned long long h, const void *p, size_t n) {
    for (size_t i = 0; i < n; i++) h = (h ^ ((const unsigned char *)p)[i]) * 0x100000001b3ULL;
    return h;
}

/* FNV-1a of what identifies the device and its compiler: platform, device name and the driver
 * version (read whole, however long), and the profile it runs. */
static unsigned long long device_key(const ct_device *dev) {
    unsigned long long h = 0xcbf29ce484222325ULL;
    h = fnv1a(h, dev->info.platform, strlen(dev->info.platform));
    h = fnv1a(h, dev->info.name, strlen(dev->info.name));
    char *driver = device_string(dev->id, CL_DRIVER_VERSION);
    if (driver) h = fnv1a(h, driver, strlen(driver));
    free(driver);
    /* a tuning file or program of one profile never serves the other */
    return fnv1a(h, dev->info.profile, strlen(dev->info.profile));
}

/* The file of the built program for this device, driver, source and options: programs are
 * built once per device and kept (CLTRAIN_NO_PROGRAM_CACHE=1 turns that off). */
static int program_cache_path(const ct_device *dev, const char *src, size_t len, const char *opts,
                              char *dst, size_t n) {
    const char *off = getenv("CLTRAIN_NO_PROGRAM_CACHE");
    if (off && *off && strcmp(off, "0")) return 0;
    if (driver_caches_kernels(dev)) return 0;
    unsigned long long h = fnv1a(device_key(dev), opts, strlen(opts));
    h = fnv1a(h, src, len);
    char dir[900];
    cache_dir(dir, sizeof dir);
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
    if (clGetProgramInfo(prog, CL_PROGRAM_BINARY_SIZES, sizeof size, &size, NULL) !=
            CL_SUCCESS ||
        size == 0)
        return;
    unsigned char *bin = malloc(size);
    if (!bin) return;
    unsigned char *bins[1] = {bin};
    if (clGetProgramInfo(prog, CL_PROGRAM_BINARIES, sizeof bins, bins, NULL) ==
        CL_SUCCESS) {
        mkdirs_for(path);
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
    dev->red_wg = pow2_at_most(dev->info.max_work_group, CT_RED_WG_MAX);
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
                        "-DCT_VW=%d -DCT_PK_VW=%d -DCT_PK_RM=%d -DCT_PK_NV=%d -DCT_EW=%d",
                        dev->red_wg, CT_RED_PARTIALS, c->ogm, c->ogn, c->ogk, c->ogwm, c->ogwn,
                        c->vw, c->vw, c->rm, c->nv, c->ew);
    /* Correctly rounded division and sqrt where the device can give them (principle 6; the
     * OpenCL default allows 2.5 ulp for a float division, 3 for sqrt). rusticl's llvmpipe does
     * not report it, yet its / and sqrt match the host's IEEE results (test_math, issue 25). */
    cl_device_fp_config fp = 0;
    if (clGetDeviceInfo(dev->id, CL_DEVICE_SINGLE_FP_CONFIG, sizeof fp, &fp, NULL) == CL_SUCCESS &&
        (fp & CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT))
        used += snprintf(opts + used, CT_OPTS_LEN - (size_t)used,
                         " -cl-fp32-correctly-rounded-divide-sqrt");
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
        if (clGetProgramBuildInfo(*prog, dev->id, CL_PROGRAM_BUILD_LOG, 0, NULL,
                                  &log_len) == CL_SUCCESS &&
            (log = malloc(log_len + 1)) != NULL) {
            if (clGetProgramBuildInfo(*prog, dev->id, CL_PROGRAM_BUILD_LOG, log_len, log,
                                      NULL) != CL_SUCCESS)
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

/* Builds the given parts of the program with the device's shape (dev->cfg) into *prog and
 * creates their kernels. */
static ct_status build_program(ct_device *dev, int parts, cl_program *prog) {
    char *src = NULL;
    size_t len = 0;
    ct_status st = load_sources(dev, parts, &src, &len);
    if (st != CT_OK) return st;
    st = build_source(dev, src, len, prog);
    free(src);
    return st == CT_OK ? create_kernels(dev, *prog, parts) : st;
}

ct_status ct_device_need_kernel(ct_device *dev, ct_kernel_id id) {
    if (dev->kernels[id]) return CT_OK;
    if (dev->program_own)
        return ct_fail(dev, CT_ERR_BUILD, "kernel %s is missing from the built program",
                       ct_kernel_name(id));
    return build_program(dev, SRC_OWN, &dev->program_own);
}

const char *ct_kernel_name(int id) {
    static const char *const names[] = {
#define CT_KERNEL(name) #name,
#include "kernels.def"
#undef CT_KERNEL
    };
    return (id >= 0 && id < CT_K_COUNT) ? names[id] : "?";
}

/* ---- kernel shapes ----------------------------------------------------------------------- */

/* Vector registers of a CPU whose native float vector is vw wide: 32 with AVX-512 (16 floats),
 * 16 with AVX/AVX2 (8 floats) and SSE or NEON (4 floats). */
static int cpu_vector_registers(int native_vw) { return native_vw >= 16 ? 32 : 16; }

static int native_float_width(const ct_device *dev) {
    cl_uint w = 0;
    if (clGetDeviceInfo(dev->id, CL_DEVICE_NATIVE_VECTOR_WIDTH_FLOAT, sizeof w, &w, NULL) !=
            CL_SUCCESS ||
        w == 0)
        clGetDeviceInfo(dev->id, CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT, sizeof w, &w, NULL);
    return w >= 16 ? 16 : w >= 8 ? 8 : 4;
}

/* The untuned shape: vectors of the native width (one register each, and no vector wider than
 * the registers, which PoCL warns about and spills), and a register tile of rm x nv
 * accumulators that, with nv vectors of B and one of A, fits the registers with room to spare:
 * 8 x 2 of 32 (AVX-512), 6 x 2 of 16 (AVX2, SSE). */
/* The own product's tiles a tuner tries, the default first (ogm, ogn, ogk, ogwm, ogwn):
 * 64 x 64 tiles 16 deep with 8 x 8 outputs per work-item (64 items, 8.1 KiB of local memory, 4
 * multiply-adds per local load; groups small enough that an MLP's products, 64-256 rows,
 * still spread over many compute units), larger and deeper ones for large products, smaller
 * ones for small devices; the last (one work-item) fits any device. */
static const int og_tiles[][5] = {
    {64, 64, 16, 8, 8}, {128, 128, 16, 8, 8}, {128, 64, 16, 8, 8}, {64, 128, 16, 8, 8},
    {64, 64, 32, 8, 8}, {64, 64, 16, 4, 4},   {32, 32, 16, 4, 4},  {16, 16, 16, 4, 4},
    {8, 8, 8, 8, 8},
};
#define N_OG_TILES ((int)(sizeof og_tiles / sizeof og_tiles[0]))

static void set_og(ct_kernel_config *c, const int *t) {
    c->ogm = t[0], c->ogn = t[1], c->ogk = t[2], c->ogwm = t[3], c->ogwn = t[4];
}

/* Why the own product's tile does not fit this device (work-group size, local memory: 16 KiB
 * when not reported), or NULL. */
static const char *og_unfit(const ct_device *dev, const ct_kernel_config *c, char *why,
                            size_t n) {
    size_t items = (size_t)(c->ogm / c->ogwm) * (size_t)(c->ogn / c->ogwn);
    /* two local tiles, ogk x (ogm + 1) and ogk x (ogn + 1) floats (CT_OG_PAD 1) */
    unsigned long long bytes = (unsigned long long)c->ogk * (unsigned)(c->ogm + c->ogn + 2) * 4;
    unsigned long long local = dev->info.local_mem ? dev->info.local_mem : 16384;
    if (items > dev->info.max_work_group)
        snprintf(why, n, "the own product's tile takes %zu work-items, more than the device's %zu",
                 items, dev->info.max_work_group);
    else if (bytes > local)
        snprintf(why, n, "the own product's tile takes %llu bytes of local memory, more than the "
                         "device's %llu",
                 bytes, local);
    else
        return NULL;
    return why;
}

static ct_kernel_config default_config(const ct_device *dev) {
    ct_kernel_config c;
    c.vw = native_float_width(dev);
    int regs = cpu_vector_registers(c.vw);
    c.rm = regs >= 32 ? 8 : 6;
    c.nv = 2;
    c.block = CT_PK_BLOCK;
    c.ew = dev->cpu ? 16 : 1;
    char why[160];
    int i = 0;
    for (set_og(&c, og_tiles[0]); i < N_OG_TILES - 1; i++) {
        set_og(&c, og_tiles[i]);
        if (!og_unfit(dev, &c, why, sizeof why)) break;
    }
    set_og(&c, og_tiles[i]);
    return c;
}

static const char *config_invalid(const ct_kernel_config *c) {
    if (c->vw != 4 && c->vw != 8 && c->vw != 16) return "vw must be 4, 8 or 16";
    if (c->rm < 1 || c->rm > 16) return "rm must be 1..16";
    if (c->nv < 1 || c->nv > 4) return "nv must be 1..4";
    if (c->block < 1 || c->block > 64) return "block must be 1..64";
    if (c->ew < 1 || c->ew > 32 || (c->ew & (c->ew - 1))) return "ew must be 1, 2, 4, 8, 16 or 32";
    if (c->ogm < 1 || c->ogm > 256 || c->ogn < 1 || c->ogn > 256 || c->ogk < 1 || c->ogk > 64)
        return "ogm and ogn must be 1..256, ogk 1..64";
    if (c->ogwm < 1 || c->ogwn < 1 || c->ogm % c->ogwm || c->ogn % c->ogwn)
        return "ogm and ogn must be multiples of ogwm and ogwn";
    int items = (c->ogm / c->ogwm) * (c->ogn / c->ogwn);
    if ((c->ogm * c->ogk) % items || (c->ogn * c->ogk) % items)
        return "the work-items of an own-product group (ogm/ogwm x ogn/ogwn) must divide its "
               "tiles (ogm x ogk, ogn x ogk) evenly";
    return NULL;
}

void ct_kernel_config_format(const ct_kernel_config *c, char *dst, size_t n) {
    snprintf(dst, n, "vw=%d,rm=%d,nv=%d,block=%d,ew=%d,ogm=%d,ogn=%d,ogk=%d,ogwm=%d,ogwn=%d",
             c->vw, c->rm, c->nv, c->block, c->ew, c->ogm, c->ogn, c->ogk, c->ogwm, c->ogwn);
}

ct_status ct_kernel_config_parse(const char *s, ct_kernel_config *c, char msg[CT_MSG_LEN]) {
    ct_kernel_config t = *c;
    const char *p = s ? s : "";
    while (*p) {
        char key[16];
        int val = 0, used = 0;
        if (sscanf(p, "%15[a-z]=%d%n", key, &val, &used) != 2 || (p[used] && p[used] != ','))
            return ct_fail_msg(msg, CT_ERR_ARG,
                               "kernel shape '%s': expected key=value pairs separated by commas "
                               "(keys vw, rm, nv, block, ew, ogm, ogn, ogk, ogwm, ogwn), at '%s'",
                               s, p);
        int *f = !strcmp(key, "vw")      ? &t.vw
                 : !strcmp(key, "rm")    ? &t.rm
                 : !strcmp(key, "nv")    ? &t.nv
                 : !strcmp(key, "block") ? &t.block
                 : !strcmp(key, "ew")    ? &t.ew
                 : !strcmp(key, "ogm")   ? &t.ogm
                 : !strcmp(key, "ogn")   ? &t.ogn
                 : !strcmp(key, "ogk")   ? &t.ogk
                 : !strcmp(key, "ogwm")  ? &t.ogwm
                 : !strcmp(key, "ogwn")  ? &t.ogwn
                                         : NULL;
        if (!f)
            return ct_fail_msg(msg, CT_ERR_ARG,
                               "kernel shape '%s': unknown key '%s' (vw, rm, nv, block, ew, ogm, "
                               "ogn, ogk, ogwm, ogwn)",
                               s, key);
        *f = val;
        p += used;
        if (*p == ',') p++;
    }
    const char *why = config_invalid(&t);
    if (why) return ct_fail_msg(msg, CT_ERR_ARG, "kernel shape '%s': %s", s, why);
    *c = t;
    return CT_OK;
}

int ct_kernel_config_candidates(const ct_device *dev, ct_kernel_config *out, int max) {
    ct_kernel_config d = dev->cfg_origin && !strcmp(dev->cfg_origin, "default")
                             ? dev->cfg
                             : default_config(dev);
    int n = 0;
    if (n < max) out[n++] = d;
    if (!dev->cpu) { /* the own product's tiles that fit; the CPU product is not used */
        char why[160];
        for (int i = 0; i < N_OG_TILES && n < max; i++) {
            ct_kernel_config c = d;
            set_og(&c, og_tiles[i]);
            if (!memcmp(&c, &d, sizeof c) || og_unfit(dev, &c, why, sizeof why)) continue;
            out[n++] = c;
        }
        return n;
    }
    /* register tiles that fit (rm * nv accumulators, nv vectors of B, one of A) and keep
     * enough independent fmas in flight (at least a quarter of the registers) */
    int regs = cpu_vector_registers(native_float_width(dev));
    static const int rms[] = {2, 4, 6, 8, 12};
    /* nearest the default's register use first, so a tuner stopped by its time budget has
     * tried the likeliest ones (a cold first compile of each costs about a second) */
    int dacc = d.rm * d.nv;
    for (int dist = 0; dist <= regs; dist++)
        for (int nv = 1; nv <= 4; nv++)
            for (int i = 0; i < 5; i++) {
                int rm = rms[i], acc = rm * nv;
                if (acc + nv + 1 > regs || acc < regs / 4 + (regs >= 32 ? 4 : 0)) continue;
                if ((rm == d.rm && nv == d.nv) || abs(acc - dacc) != dist) continue;
                if (n < max) {
                    out[n] = d;
                    out[n].rm = rm;
                    out[n].nv = nv;
                    n++;
                }
            }
    return n;
}

void ct_device_kernel_config(const ct_device *dev, ct_kernel_config *out, const char **origin) {
    *out = dev->cfg;
    if (origin) *origin = dev->cfg_origin;
}

static void release_program(ct_device *dev) {
    for (int k = 0; k < CT_K_COUNT; k++) {
        if (dev->kernels[k]) clReleaseKernel(dev->kernels[k]);
        dev->kernels[k] = NULL;
    }
    if (dev->program) clReleaseProgram(dev->program);
    if (dev->program_own) clReleaseProgram(dev->program_own);
    dev->program = dev->program_own = NULL;
}

static ct_status load_and_build(ct_device *dev) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ct_status st = build_program(dev, first_parts(dev), &dev->program);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    dev->build_seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    return st;
}

ct_status ct_device_set_kernel_config(ct_device *dev, const ct_kernel_config *c) {
    const char *why = config_invalid(c);
    char unfit[160];
    if (!why) why = og_unfit(dev, c, unfit, sizeof unfit);
    if (why) return ct_fail(dev, CT_ERR_ARG, "ct_device_set_kernel_config: %s", why);
    if (!memcmp(c, &dev->cfg, sizeof *c)) return CT_OK;
    ct_status st = ct_device_finish(dev);
    if (st != CT_OK) return st;
    ct_kernel_config old = dev->cfg;
    release_program(dev);
    dev->cfg = *c;
    st = load_and_build(dev);
    if (st != CT_OK) {
        /* keep the device usable with the shape it had */
        char err[CT_MSG_LEN];
        snprintf(err, sizeof err, "%s", dev->err);
        release_program(dev);
        dev->cfg = old;
        if (load_and_build(dev) == CT_OK) snprintf(dev->err, sizeof dev->err, "%s", err);
        return st;
    }
    dev->cfg_origin = "set";
    return CT_OK;
}

/* ---- lifecycle --------------------------------------------------------------------------- */

static void load_tuned(ct_device *dev);
static void prof_clear(ct_device *dev);

/* $CLTRAIN_EXACT: 1 (or any value but 0) forces the common bits. */
static int exact_env(void) {
    const char *e = getenv("CLTRAIN_EXACT");
    return e && *e && strcmp(e, "0") != 0;
}

static int parse_gemm_env(ct_gemm_backend *out) {
    const char *g = getenv("CLTRAIN_GEMM");
    if (!g || !*g || !strcmp(g, "auto")) return *out = CT_GEMM_AUTO, 1;
    if (!strcmp(g, "clblast")) return *out = CT_GEMM_CLBLAST, 1;
    if (!strcmp(g, "own")) return *out = CT_GEMM_OWN, 1;
    if (!strcmp(g, "cpu")) return *out = CT_GEMM_CPU, 1;
    return 0;
}

/* The selector in force: the given one, else $CLTRAIN_DEVICE; returns where it came from. */
static const char *resolve_selector(const char **selector) {
    if (!*selector || !**selector) {
        const char *env = getenv("CLTRAIN_DEVICE");
        if (env && *env) {
            *selector = env;
            return "from CLTRAIN_DEVICE";
        }
    }
    return "the device selector";
}

ct_status ct_device_create(ct_device **out, const char *selector, char msg[CT_MSG_LEN]) {
    *out = NULL;
    const char *origin = resolve_selector(&selector);
    ct_gemm_backend gemm;
    if (!parse_gemm_env(&gemm))
        return ct_fail_msg(msg, CT_ERR_ARG,
                           "CLTRAIN_GEMM='%s' is not one of auto, clblast, own, cpu",
                           getenv("CLTRAIN_GEMM"));
    if (gemm == CT_GEMM_CLBLAST && exact_env())
        return ct_fail_msg(msg, CT_ERR_ARG,
                           "CLTRAIN_GEMM=clblast and CLTRAIN_EXACT=1 (or --exact) contradict: "
                           "CLBlast's products give the device's own bits, not the common ones");

    dev_ref *refs = NULL;
    ct_device_info *infos = NULL;
    int n = 0;
    ct_status st = list_all(&refs, &infos, &n, 0, msg);
    if (st != CT_OK) return st;
    int chosen = -1;
    st = pick(infos, n, selector, origin, &chosen, msg);
    if (st != CT_OK) goto fail;

    ct_device *dev = calloc(1, sizeof *dev);
    if (!dev) {
        st = ct_fail_msg(msg, CT_ERR_ALLOC, "opening a device: out of host memory");
        goto fail;
    }
    dev->platform = refs[chosen].platform;
    dev->id = refs[chosen].device;
    dev->info = infos[chosen];
    /* every choice of code path follows the profile, not the type, so that
     * CLTRAIN_PROFILE=gpu runs a GPU's paths on PoCL (tests of them without a GPU) */
    dev->cpu = !strcmp(dev->info.profile, "cpu");
    /* Oclgrind's uninitialised-memory check does not see the driver's buffer fills: every value
     * so filled would read as uninitialised there */
    dev->fill_by_driver = !strstr(dev->info.platform, "Oclgrind");
    dev->gemm = gemm;
    dev->exact = exact_env();
    free(refs);
    free(infos);
    refs = NULL;
    infos = NULL;

    cl_int e;
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)dev->platform, 0};
    dev->ctx = clCreateContext(props, 1, &dev->id, NULL, NULL, &e);
    if (e != CL_SUCCESS) {
        st = ct_cl_fail(dev, e, "clCreateContext", "opening the device");
        goto fail_dev;
    }
    dev->queue = clCreateCommandQueue(dev->ctx, dev->id, CL_QUEUE_PROFILING_ENABLE, &e);
    if (e != CL_SUCCESS) {
        st = ct_cl_fail(dev, e, "clCreateCommandQueue", "opening the device");
        goto fail_dev;
    }
    if (dev->cpu) {
        dev->wg1_small = pow2_at_most(dev->info.max_work_group, 64);
        dev->wg1_large = pow2_at_most(dev->info.max_work_group, 1024);
        dev->wg1_split =
            (size_t)16 * 1024 * (dev->info.compute_units > 0 ? dev->info.compute_units : 1);
        dev->wg2[0] = dev->wg2[1] = dev->info.max_work_group >= 256 ? 16 : 1;
    }
    /* the shape: defaults, else the tuning file's, else CLTRAIN_KERNEL_CONFIG's */
    char *src = NULL;
    size_t len = 0;
    if ((st = load_sources(dev, SRC_ALL, &src, &len)) != CT_OK) goto fail_dev;
    dev->src_key = fnv1a(device_key(dev), src, len);
    free(src);
    dev->cfg = default_config(dev);
    dev->cfg_origin = "default";
    load_tuned(dev);
    const char *shape = getenv("CLTRAIN_KERNEL_CONFIG");
    if (shape && *shape) {
        char why[CT_MSG_LEN];
        if ((st = ct_kernel_config_parse(shape, &dev->cfg, why)) != CT_OK ||
            og_unfit(dev, &dev->cfg, why, sizeof why)) {
            st = ct_fail(dev, st != CT_OK ? st : CT_ERR_ARG, "CLTRAIN_KERNEL_CONFIG: %s", why);
            goto fail_dev;
        }
        dev->cfg_origin = "CLTRAIN_KERNEL_CONFIG";
    }
    st = load_and_build(dev);
    if (st != CT_OK) goto fail_dev;
    *out = dev;
    return CT_OK;

fail_dev:
    snprintf(msg, CT_MSG_LEN, "%s", dev->err);
    ct_device_destroy(dev);
    return st;
fail:
    free(refs);
    free(infos);
    return st;
}

void ct_device_destroy(ct_device *dev) {
    if (!dev) return;
    if (dev->queue) clFinish(dev->queue);
    ct_device_pace_reset(dev);
#ifdef CT_HAVE_CLBLAST
    /* CLBlast keeps compiled programs per context: drop them while the context still exists */
    if (dev->info.clblast == 1) CLBlastClearCache();
#endif
    if (dev->pack) clReleaseMemObject(dev->pack);
    free(dev->tuned);
    prof_clear(dev);
    free(dev->prof_ev);
    free(dev->prof_kid);
    release_program(dev);
    if (dev->queue) clReleaseCommandQueue(dev->queue);
    if (dev->ctx) clReleaseContext(dev->ctx);
    free(dev);
}

ct_status ct_device_finish(ct_device *dev) {
    cl_int e = clFinish(dev->queue);
    ct_device_pace_reset(dev);
    return e == CL_SUCCESS ? CT_OK : ct_cl_fail(dev, e, "clFinish", "waiting for the device");
}

static double mono_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

void ct_device_pace_reset(ct_device *dev) {
    if (dev->pace_ev) clReleaseEvent(dev->pace_ev);
    dev->pace_ev = NULL;
    dev->pace_count = 0;
    dev->pace_last = 0;
}

ct_status ct_device_pace(ct_device *dev) {
    /* the work one marker interval holds: two intervals queued at most */
    const double target = 0.2;
    if (dev->planning == 1) return CT_OK;
    if (dev->pace_every < 1) dev->pace_every = 1;
    if (++dev->pace_count < dev->pace_every) return CT_OK;
    cl_event ev = NULL;
    cl_int e = clEnqueueMarkerWithWaitList(dev->queue, 0, NULL, &ev);
    if (e != CL_SUCCESS) return ct_cl_fail(dev, e, "clEnqueueMarkerWithWaitList", "pacing");
    if ((e = clFlush(dev->queue)) != CL_SUCCESS) {
        clReleaseEvent(ev);
        return ct_cl_fail(dev, e, "clFlush", "pacing");
    }
    cl_event prev = dev->pace_ev;
    int every = dev->pace_every;
    dev->pace_ev = ev;
    dev->pace_count = 0;
    if (!prev) {
        dev->pace_last = mono_seconds();
        return CT_OK;
    }
    e = clWaitForEvents(1, &prev);
    clReleaseEvent(prev);
    if (e != CL_SUCCESS) return ct_cl_fail(dev, e, "clWaitForEvents", "pacing");
    /* the time between two markers seen complete: the device's time for `every` steps when it
     * is the slower one, else the host's; the next interval holds about target seconds */
    double now = mono_seconds(), per_step = (now - dev->pace_last) / every;
    dev->pace_last = now;
    int next = per_step > 0 ? (int)(target / per_step) : 8192;
    dev->pace_every = next < 1 ? 1 : next > 8192 ? 8192 : next;
    return CT_OK;
}

int ct_device_clblast_works(ct_device *dev, const char **why) {
    if (dev->info.clblast < 0)
        dev->info.clblast = clblast_probe(dev->ctx, dev->queue, dev->info.clblast_note,
                                          sizeof dev->info.clblast_note);
    if (why) *why = dev->info.clblast_note;
    return dev->info.clblast;
}

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
        if (dev->tuned[i].key == key &&
            !(dev->exact && dev->tuned[i].backend == CT_GEMM_CLBLAST))
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
    cache_dir(dir, sizeof dir);
    snprintf(dst, n, "%s/gemm-%016llx.txt", dir, dev->src_key);
}

/* Reads the tuning file if there is one: its kernel shape ("config vw=8,rm=6,...") and, when
 * the backend is automatic, the backend of each shape class. A missing or unreadable file, or
 * a line that does not parse, means no tuning (of that line). */
static void load_tuned(ct_device *dev) {
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
            if (ct_kernel_config_parse(name, &c, why) == CT_OK && !og_unfit(dev, &c, why, 160)) {
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
    mkdirs_for(path);
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

/* ---- kernel launching -------------------------------------------------------------------- */

ct_args ct_args_begin(ct_device *dev, ct_kernel_id id) {
    ct_args a = {dev, dev->kernels[id], id, 0, CL_SUCCESS};
    return a;
}

static void set_arg(ct_args *a, size_t size, const void *v) {
    if (a->err == CL_SUCCESS) {
        cl_int e = clSetKernelArg(a->k, a->i, size, v);
        if (e != CL_SUCCESS) a->err = e;
    }
    a->i++;
}

void ct_arg_mem(ct_args *a, cl_mem m) { set_arg(a, sizeof m, &m); }
void ct_arg_int(ct_args *a, int v) {
    cl_int x = v;
    set_arg(a, sizeof x, &x);
}
void ct_arg_uint(ct_args *a, cl_uint v) { set_arg(a, sizeof v, &v); }
void ct_arg_float(ct_args *a, float v) {
    cl_float x = v;
    set_arg(a, sizeof x, &x);
}

/* Room for one more profiled launch when profiling is on. */
static ct_status prof_reserve(ct_device *dev, const char *where) {
    if (!dev->prof_on || dev->prof_n < dev->prof_cap) return CT_OK;
    size_t cap = dev->prof_cap ? 2 * dev->prof_cap : 1024;
    cl_event *e2 = realloc(dev->prof_ev, cap * sizeof *e2);
    if (e2) dev->prof_ev = e2;
    int *k2 = e2 ? realloc(dev->prof_kid, cap * sizeof *k2) : NULL;
    if (k2) dev->prof_kid = k2;
    if (!e2 || !k2) return ct_fail(dev, CT_ERR_ALLOC, "%s: out of host memory for profiling", where);
    dev->prof_cap = cap;
    return CT_OK;
}

/* Counts an enqueued op and keeps its event when profiling. */
static void launched(ct_device *dev, ct_kernel_id id, cl_event ev) {
    dev->launches++;
    if (dev->prof_on) {
        dev->prof_ev[dev->prof_n] = ev;
        dev->prof_kid[dev->prof_n++] = (int)id;
    }
}

/* ---- planning and the warm-up helper (see ct_device_plan_begin) -------------------------- */

static void plan_record(ct_device *dev, ct_kernel_id id, cl_uint dims, const size_t *local) {
    if (!local || dims > 3) return; /* the driver's choice: not known ahead */
    ct_launch_shape s = {(int)id, dims, {1, 1, 1}};
    for (cl_uint d = 0; d < dims; d++) s.local[d] = local[d];
    for (int i = 0; i < dev->plan_n; i++)
        if (!memcmp(&dev->plan[i], &s, sizeof s)) return;
    if (dev->plan_n < CT_PLAN_MAX) dev->plan[dev->plan_n++] = s;
}

/* One launch of shape s with every argument zero: a buffer where the kernel takes one, else a
 * 4-byte, else an 8-byte 0 (the kernels take no 8-byte scalars). */
static int warm_one(ct_device *dev, cl_mem scratch, const ct_launch_shape *s) {
    cl_int e;
    cl_kernel k = clCreateKernel(dev->program, ct_kernel_name(s->id), &e);
    if (e != CL_SUCCESS) return 0;
    cl_uint nargs = 0;
    int ok = clGetKernelInfo(k, CL_KERNEL_NUM_ARGS, sizeof nargs, &nargs, NULL) == CL_SUCCESS;
    for (cl_uint i = 0; ok && i < nargs; i++) {
        cl_ulong zero = 0;
        ok = clSetKernelArg(k, i, sizeof scratch, &scratch) == CL_SUCCESS ||
             clSetKernelArg(k, i, 4, &zero) == CL_SUCCESS ||
             clSetKernelArg(k, i, 8, &zero) == CL_SUCCESS;
    }
    ok = ok && clEnqueueNDRangeKernel(dev->queue, k, s->dims, NULL, s->local, s->local, 0, NULL,
                                      NULL) == CL_SUCCESS &&
         clFinish(dev->queue) == CL_SUCCESS;
    clReleaseKernel(k);
    return ok;
}

int ct_device_warm(ct_device *dev, const ct_launch_shape *shapes, int n) {
    cl_int e;
    cl_mem scratch = clCreateBuffer(dev->ctx, CL_MEM_READ_WRITE, 1 << 18, NULL, &e);
    if (e != CL_SUCCESS) return 0;
    int done = 0;
    for (int i = 0; i < n; i++)
        if (shapes[i].id >= 0 && shapes[i].id < CT_K_COUNT)
            done += warm_one(dev, scratch, &shapes[i]);
    clReleaseMemObject(scratch);
    return done;
}

static int info_warms_by_launch(const ct_device_info *info) {
    const char *env = getenv("CLTRAIN_PREWARM");
    if (env && !strcmp(env, "0")) return 0;
    return !strcmp(info->profile, "cpu") && info_caches_kernels(info) && info->compute_units >= 2;
}

int ct_device_warms_by_launch(const ct_device *dev) { return info_warms_by_launch(&dev->info); }

/* A plan as text: a line "name dims l0 l1 l2" per shape. */
void ct_plan_format(const ct_launch_shape *s, int n, char *dst, size_t len) {
    size_t used = 0;
    dst[0] = '\0';
    for (int i = 0; i < n && used < len; i++) {
        int w = snprintf(dst + used, len - used, "%s %u %zu %zu %zu\n", ct_kernel_name(s[i].id),
                         s[i].dims, s[i].local[0], s[i].local[1], s[i].local[2]);
        if (w < 0 || (size_t)w >= len - used) {
            dst[used] = '\0'; /* whole lines only */
            break;
        }
        used += (size_t)w;
    }
}

ct_status ct_device_warm_plan(ct_device *dev, const char *plan, int *launched,
                              char msg[CT_MSG_LEN]) {
    ct_launch_shape s[CT_PLAN_MAX];
    int n = 0, line = 0;
    *launched = 0;
    for (const char *p = plan; *p;) {
        const char *end = strchr(p, '\n');
        size_t l = end ? (size_t)(end - p) : strlen(p);
        char buf[160], name[64];
        line++;
        if (l > 0) {
            if (l >= sizeof buf || n == CT_PLAN_MAX)
                return ct_fail_msg(msg, CT_ERR_ARG, "plan line %d: too long, or over %d lines",
                                   line, CT_PLAN_MAX);
            memcpy(buf, p, l);
            buf[l] = '\0';
            unsigned dims;
            size_t a, b, c;
            char extra;
            if (sscanf(buf, "%63s %u %zu %zu %zu %c", name, &dims, &a, &b, &c, &extra) != 5 ||
                dims < 1 || dims > 3 || !a || !b || !c)
                return ct_fail_msg(msg, CT_ERR_FORMAT,
                                   "plan line %d: '%s' is not 'kernel dims l0 l1 l2'", line, buf);
            int id = -1;
            for (int k = 0; k < CT_K_COUNT && id < 0; k++)
                if (!strcmp(ct_kernel_name(k), name)) id = k;
            if (id < 0)
                return ct_fail_msg(msg, CT_ERR_FORMAT, "plan line %d: no kernel named '%s'", line,
                                   name);
            ct_launch_shape sh = {id, dims, {a, b, c}};
            s[n++] = sh;
        }
        p += l + (end != NULL);
    }
    for (int i = 0; i < n / 2; i++) { /* the last first */
        ct_launch_shape t = s[i];
        s[i] = s[n - 1 - i];
        s[n - 1 - i] = t;
    }
    *launched = ct_device_warm(dev, s, n);
    return CT_OK;
}

/* PoCL's kernel cache folder: $POCL_CACHE_DIR, else $XDG_CACHE_HOME/pocl/kcache, else
 * ~/.cache/pocl/kcache. */
static void pocl_cache_dir(char *dst, size_t n) {
    const char *env = getenv("POCL_CACHE_DIR"), *xdg = getenv("XDG_CACHE_HOME"),
               *home = getenv("HOME");
    if (env && *env)
        snprintf(dst, n, "%s", env);
    else if (xdg && *xdg)
        snprintf(dst, n, "%s/pocl/kcache", xdg);
    else
        snprintf(dst, n, "%s/.cache/pocl/kcache", home && *home ? home : "/tmp");
}

int ct_device_warm_early(const char *selector) {
    const char *origin = resolve_selector(&selector);
    char dir[1024];
    pocl_cache_dir(dir, sizeof dir);
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        int empty = 1;
        while (empty && (e = readdir(d)) != NULL)
            empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
        closedir(d);
        if (!empty) return 0;
    }
    char msg[CT_MSG_LEN];
    ct_device_info *infos = NULL;
    int n = 0, chosen = -1;
    if (list_all(NULL, &infos, &n, 0, msg) != CT_OK) return 0;
    int early = pick(infos, n, selector, origin, &chosen, msg) == CT_OK &&
                info_warms_by_launch(&infos[chosen]);
    free(infos);
    return early;
}

int ct_device_warm_wanted(const ct_device *dev) {
    /* a program PoCL had cached builds in a few hundredths of a second, a cold one in about a
     * second: then its kernels are not cached either */
    return ct_device_warms_by_launch(dev) && dev->build_seconds > 0.25;
}

void ct_device_plan_begin(ct_device *dev, int run) {
    dev->planning = run ? 2 : 1;
    dev->plan_n = 0;
}

int ct_device_plan_end(ct_device *dev, ct_launch_shape *out, int max) {
    dev->planning = 0;
    int n = dev->plan_n < max ? dev->plan_n : max;
    if (n > 0) memcpy(out, dev->plan, (size_t)n * sizeof *out);
    return n;
}

static ct_status launch(ct_args *a, cl_uint dims, const size_t *global, const size_t *local) {
    char where[96];
    snprintf(where, sizeof where, "kernel %s", ct_kernel_name(a->id));
    if (a->err != CL_SUCCESS) return ct_cl_fail(a->dev, a->err, "clSetKernelArg", where);
    ct_device *dev = a->dev;
    if (dev->planning) {
        plan_record(dev, a->id, dims, local);
        if (dev->planning == 1) return CT_OK;
    }
    cl_event ev = NULL;
    ct_status st = prof_reserve(dev, where);
    if (st != CT_OK) return st;
    cl_int e = clEnqueueNDRangeKernel(dev->queue, a->k, dims, NULL, global, local, 0, NULL,
                                      dev->prof_on ? &ev : NULL);
    if (e != CL_SUCCESS) return ct_cl_fail(dev, e, "clEnqueueNDRangeKernel", where);
    launched(dev, a->id, ev);
    return CT_OK;
}

ct_status ct_enqueue_fill(ct_device *dev, cl_mem x, size_t off, float value, size_t n) {
    static const char where[] = "ct_fill";
    if (dev->planning == 1) return CT_OK;
    cl_event ev = NULL;
    ct_status st = prof_reserve(dev, where);
    if (st != CT_OK) return st;
    cl_float v = value;
    cl_int e = clEnqueueFillBuffer(dev->queue, x, &v, sizeof v, off * sizeof v,
                                   n * sizeof v, 0, NULL, dev->prof_on ? &ev : NULL);
    if (e != CL_SUCCESS) return ct_cl_fail(dev, e, "clEnqueueFillBuffer", where);
    launched(dev, CT_K_fill, ev);
    return CT_OK;
}

static size_t round_up(size_t v, size_t m) { return v == 0 ? m : (v + m - 1) / m * m; }

ct_status ct_args_launch1(ct_args *a, size_t n) {
    const ct_device *dev = a->dev;
    size_t wg = n < dev->wg1_split ? dev->wg1_small : dev->wg1_large;
    size_t g = round_up(n, wg ? wg : 64);
    return launch(a, 1, &g, wg ? &wg : NULL);
}

ct_status ct_args_launch1_local(ct_args *a, size_t global, size_t local) {
    return launch(a, 1, &global, &local);
}

ct_status ct_args_launch3(ct_args *a, const size_t global[3], const size_t local[3]) {
    return launch(a, 3, global, local);
}

ct_status ct_args_launch2(ct_args *a, const size_t global[2], const size_t *local) {
    const size_t *wg = a->dev->wg2;
    if (local || !wg[0]) return launch(a, 2, global, local);
    size_t g[2] = {round_up(global[0], wg[0]), round_up(global[1], wg[1])};
    return launch(a, 2, g, wg);
}

/* ---- profiling --------------------------------------------------------------------------- */

static void prof_clear(ct_device *dev) {
    for (size_t i = 0; i < dev->prof_n; i++)
        clReleaseEvent(dev->prof_ev[i]);
    dev->prof_n = 0;
}

ct_status ct_device_profile(ct_device *dev, int on) {
    prof_clear(dev);
    dev->prof_on = on;
    return CT_OK;
}

ct_status ct_device_profile_read(ct_device *dev, ct_kernel_prof *out) {
    memset(out, 0, CT_K_COUNT * sizeof *out);
    ct_status st = ct_device_finish(dev);
    for (size_t i = 0; st == CT_OK && i < dev->prof_n; i++) {
        cl_ulong t0 = 0, t1 = 0;
        cl_int e = clGetEventProfilingInfo(dev->prof_ev[i], CL_PROFILING_COMMAND_START, sizeof t0,
                                           &t0, NULL);
        if (e == CL_SUCCESS)
            e = clGetEventProfilingInfo(dev->prof_ev[i], CL_PROFILING_COMMAND_END, sizeof t1, &t1,
                                        NULL);
        if (e != CL_SUCCESS) {
            st = ct_cl_fail(dev, e, "clGetEventProfilingInfo", "reading kernel times");
            break;
        }
        out[dev->prof_kid[i]].launches++;
        out[dev->prof_kid[i]].seconds += 1e-9 * (double)(t1 - t0);
    }
    prof_clear(dev);
    return st;
}

/* ---- buffers ----------------------------------------------------------------------------- */

ct_status ct_buffer_create(ct_device *dev, cl_mem *out, size_t bytes, const char *what) {
    cl_int e;
    *out = clCreateBuffer(dev->ctx, CL_MEM_READ_WRITE, bytes ? bytes : 4, NULL, &e);
    if (e != CL_SUCCESS) {
        *out = NULL;
        return ct_fail(dev, CT_ERR_OPENCL,
                       "allocating %s (%zu bytes) on %s: clCreateBuffer failed: %s (%d)", what,
                       bytes, dev->info.name, ct_cl_error_name(e), (int)e);
    }
    dev->buffers_created++;
    return CT_OK;
}

ct_status ct_buffer_write(ct_device *dev, cl_mem m, size_t byte_off, size_t bytes,
                          const void *src) {
    cl_int e = clEnqueueWriteBuffer(dev->queue, m, CL_TRUE, byte_off, bytes, src, 0, NULL, NULL);
    return e == CL_SUCCESS ? CT_OK
                           : ct_cl_fail(dev, e, "clEnqueueWriteBuffer", "uploading a buffer");
}

ct_status ct_buffer_read(ct_device *dev, cl_mem m, size_t byte_off, size_t bytes, void *dst) {
    cl_int e = clEnqueueReadBuffer(dev->queue, m, CL_TRUE, byte_off, bytes, dst, 0, NULL, NULL);
    return e == CL_SUCCESS ? CT_OK : ct_cl_fail(dev, e, "clEnqueueReadBuffer", "reading a buffer");
}

ct_status ct_buffer_map(ct_device *dev, cl_mem m, size_t byte_off, size_t bytes, void **p) {
    cl_int e = CL_SUCCESS;
    *p = clEnqueueMapBuffer(dev->queue, m, CL_TRUE, CL_MAP_READ | CL_MAP_WRITE, byte_off, bytes, 0,
                            NULL, NULL, &e);
    return e == CL_SUCCESS && *p ? CT_OK
                                 : ct_cl_fail(dev, e, "clEnqueueMapBuffer", "mapping a buffer");
}

ct_status ct_buffer_unmap(ct_device *dev, cl_mem m, void *p) {
    cl_int e = clEnqueueUnmapMemObject(dev->queue, m, p, 0, NULL, NULL);
    return e == CL_SUCCESS ? CT_OK
                           : ct_cl_fail(dev, e, "clEnqueueUnmapMemObject", "unmapping a buffer");
}

int ct_kernel_count(void) { return CT_K_COUNT; }
