/* Launching kernels: the argument builder, enqueueing (1-, 2- and 3-D, the driver's buffer fill),
 * counting, planning (recording launch shapes), profiling by events, and pacing the host
 * against the device. */
#define _POSIX_C_SOURCE 200809L
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- kernel launching -------------------------------------------------------------------- */

ct_args ct_args_begin(ct_device *dev, ct_kernel_id id) {
    ct_args a = {dev, NULL, id, 0, CL_SUCCESS};
    a.err = dv_kernel(dev, id, &a.k);
    if (dev->denorm) dv_denorm_begin(dev, id);
    return a;
}

static void set_arg(ct_args *a, size_t size, const void *v) {
    if (a->err == CL_SUCCESS) {
        cl_int e = clSetKernelArg(a->k, a->i, size, v);
        if (e != CL_SUCCESS) a->err = e;
    }
    a->i++;
}

void ct_arg_mem(ct_args *a, cl_mem m) {
    if (a->dev->denorm) dv_denorm_mem(a->dev, a->i, m);
    set_arg(a, sizeof m, &m);
}
void ct_arg_int(ct_args *a, int v) {
    cl_int x = v;
    set_arg(a, sizeof x, &x);
}
void ct_arg_uint(ct_args *a, cl_uint v) {
    if (a->dev->denorm) dv_denorm_uint(a->dev, a->i, v);
    set_arg(a, sizeof v, &v);
}
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
    if (!e2 || !k2)
        return ct_fail(dev, CT_ERR_ALLOC, "%s: out of host memory for profiling", where);
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
    for (cl_uint d = 0; d < dims; d++)
        s.local[d] = local[d];
    for (int i = 0; i < dev->plan_n; i++)
        if (!memcmp(&dev->plan[i], &s, sizeof s)) return;
    if (dev->plan_n < CT_PLAN_MAX) dev->plan[dev->plan_n++] = s;
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
    if (a->err != CL_SUCCESS)
        return ct_cl_fail(a->dev, a->err, a->k ? "clSetKernelArg" : "clCreateKernel", where);
    ct_device *dev = a->dev;
    if (dev->planning) {
        plan_record(dev, a->id, dims, local);
        if (dev->planning == 1) return CT_OK;
    }
    cl_event ev = NULL;
    ct_status st = prof_reserve(dev, where);
    if (st != CT_OK) return st;
    if (dev->denorm && (st = dv_denorm_before(dev, a->id, a->k)) != CT_OK) return st;
    cl_int e = clEnqueueNDRangeKernel(dev->queue, a->k, dims, NULL, global, local, 0, NULL,
                                      dev->prof_on ? &ev : NULL);
    if (e != CL_SUCCESS) return ct_cl_fail(dev, e, "clEnqueueNDRangeKernel", where);
    launched(dev, a->id, ev);
    return dev->denorm ? dv_denorm_after(dev, a->id) : CT_OK;
}

ct_status ct_enqueue_fill(ct_device *dev, cl_mem x, size_t off, float value, size_t n) {
    static const char where[] = "ct_fill";
    if (dev->planning == 1) return CT_OK;
    cl_event ev = NULL;
    ct_status st = prof_reserve(dev, where);
    if (st != CT_OK) return st;
    cl_float v = value;
    cl_int e = clEnqueueFillBuffer(dev->queue, x, &v, sizeof v, off * sizeof v, n * sizeof v, 0,
                                   NULL, dev->prof_on ? &ev : NULL);
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

void dv_prof_clear(ct_device *dev) {
    for (size_t i = 0; i < dev->prof_n; i++)
        clReleaseEvent(dev->prof_ev[i]);
    dev->prof_n = 0;
}

ct_status ct_device_profile(ct_device *dev, int on) {
    dv_prof_clear(dev);
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
    dv_prof_clear(dev);
    return st;
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
