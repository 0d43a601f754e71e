/* Warming a driver's kernel cache: launching planned shapes with zero arguments, plans as text,
 * and whether a device (or a selector, before opening it) wants warming. */
#include "internal.h"
#include "strutil.h"

#include <dirent.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    ok = ok &&
         clEnqueueNDRangeKernel(dev->queue, k, s->dims, NULL, s->local, s->local, 0, NULL, NULL) ==
             CL_SUCCESS &&
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
    return !strcmp(info->profile, "cpu") && dv_info_caches_kernels(info) &&
           info->compute_units >= 2;
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
    const char *origin = dv_resolve_selector(&selector);
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
    if (dv_list_all(NULL, &infos, &n, 0, msg) != CT_OK) return 0;
    int early = dv_pick(infos, n, selector, origin, &chosen, msg) == CT_OK &&
                info_warms_by_launch(&infos[chosen]);
    free(infos);
    return early;
}

int ct_device_warm_wanted(const ct_device *dev) {
    /* a program PoCL had cached builds in a few hundredths of a second, a cold one in about a
     * second: then its kernels are not cached either */
    return ct_device_warms_by_launch(dev) && dev->build_seconds > 0.25;
}
