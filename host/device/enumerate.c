/* Platforms and devices: every (platform, device) pair, each device's facts (ct_device_info),
 * the profile each one runs (CLTRAIN_PROFILE) and the list the doctor and `cltrain devices` show.
 */
#include "internal.h"
#include "strutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- enumeration ------------------------------------------------------------------------- */

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

char *dv_device_string(cl_device_id d, cl_device_info what) { return info_string(NULL, d, what); }

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
    set_field(info->name, sizeof info->name, dv_device_string(d, CL_DEVICE_NAME));
    set_field(info->vendor, sizeof info->vendor, dv_device_string(d, CL_DEVICE_VENDOR));
    set_field(info->opencl_c_version, sizeof info->opencl_c_version,
              dv_device_string(d, CL_DEVICE_OPENCL_C_VERSION));
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
    char *ext = dv_device_string(d, CL_DEVICE_EXTENSIONS);
    int has_ext = ext && strstr(ext, "cl_khr_fp64") != NULL;
    free(ext);
    info->fp64 = fp != 0 || has_ext;
    info->clblast = -1;
}

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

/* Every device's refs (optional) and info, in enumeration order; both malloc'ed. */
ct_status dv_list_all(dev_ref **refs_out, ct_device_info **out, int *count, int probe_clblast,
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
                 profile                         ? profile
                 : !strcmp(infos[i].type, "cpu") ? "cpu"
                                                 : "gpu");
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
                dv_clblast_probe(ctx, q, infos[i].clblast_note, sizeof infos[i].clblast_note);
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
    return dv_list_all(NULL, out, count, probe_clblast, msg);
}
