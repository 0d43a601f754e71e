/* Internal device layer: the ct_device struct, error helpers and kernel launching. */
#ifndef CT_DEVICE_H
#define CT_DEVICE_H

#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>

#include "cltrain.h"
#include "cltrain_tools.h"

typedef enum ct_kernel_id {
#define CT_KERNEL(name) CT_K_##name,
#include "kernels.def"
#undef CT_KERNEL
    CT_K_COUNT
} ct_kernel_id;

/* Work-group size of the single-group reductions (reduce_sum, sum_squares_partial); also the
 * CT_RED_WG define the kernels are built with. A power of two <= the device's limit. */
#define CT_RED_WG_MAX 256
/* Number of partial sums of sum_squares_partial (fixed, so the sum order is fixed). */
#define CT_RED_PARTIALS 64

/* Row tiles per block of the CPU product by default: a block runs across every panel before
 * the next. */
#define CT_PK_BLOCK 16

/* A kernel and work-group shape, as launched (recorded while planning: ct_device_plan_begin). */
typedef struct ct_launch_shape {
    int id; /* ct_kernel_id */
    cl_uint dims;
    size_t local[3];
} ct_launch_shape;
#define CT_PLAN_MAX 64

struct ct_device {
    cl_platform_id platform;
    cl_device_id id;
    cl_context ctx;
    cl_command_queue queue;
    cl_program program;     /* the kernels built when the device is opened */
    cl_program program_own; /* the own product's, when built apart (see ct_device_need_kernel) */
    cl_kernel kernels[CT_K_COUNT]; /* each created at its first launch (ct_args_begin) */
    ct_device_info info;
    int cpu;              /* a CPU device (info.type "cpu"): the settings below for PoCL apply */
    int fill_by_driver;   /* ct_fill by clEnqueueFillBuffer, else by the fill kernel */
    size_t red_wg;        /* CT_RED_WG the program was built with */
    ct_kernel_config cfg; /* the shape the program was built with (CT_PK_*, CT_VW, CT_EW, CT_OG_*) */
    const char *cfg_origin;      /* "default", "tuned" or "CLTRAIN_KERNEL_CONFIG" */
    unsigned long long src_key;  /* hash of device, driver and kernel source: the tuning file */
    ct_gemm_backend gemm; /* requested backend (AUTO until resolved by ct_device_gemm) */
    int exact; /* the common bits forced (--exact, CLTRAIN_EXACT=1): no product by CLBlast */
                          /* info.clblast / info.clblast_note: the CLBlast probe, run once */
    struct ct_gemm_tuned *tuned; /* tuned choices per shape class (see ct_device_gemm_for) */
    int n_tuned;
    cl_mem pack;                 /* scratch of the CPU GEMM's packed B panels (grown on demand) */
    unsigned long long launches; /* kernels enqueued since the device was opened */
    unsigned long long buffers_created; /* ct_buffer_create calls that succeeded */
    int prof_on;                        /* keep an event per launch (ct_device_profile) */
    cl_event *prof_ev;
    int *prof_kid;
    size_t prof_n, prof_cap;
    size_t pack_floats;
    /* Work-group sizes of the launches that leave the choice to the driver elsewhere. On CPU
     * devices fixed, since PoCL compiles a kernel once per work-group size and would pick the
     * size from the global size: 1-D launches of fewer than wg1_split items take wg1_small
     * (enough groups to share the cores when each item is a row's work), larger ones
     * wg1_large; 2-D launches take wg2. Elsewhere 0: the driver chooses. */
    size_t wg1_small, wg1_large, wg1_split, wg2[2];
    double build_seconds; /* how long the program took to build when the device was opened */
    /* ct_device_pace: a marker after every pace_every steps; the host waits for the one before
     * the newest, so the queue holds about two intervals of 0.2 s of work */
    cl_event pace_ev;
    int pace_every, pace_count;
    double pace_last; /* when the host last saw a marker complete (monotonic seconds) */
    struct ct_denormals *denorm; /* CLTRAIN_COUNT_DENORMALS: the counts (device/denormals.c) */
    int planning; /* 1: launches are recorded into plan, not enqueued; 2: recorded and enqueued */
    int plan_n;
    ct_launch_shape plan[CT_PLAN_MAX];
    char err[CT_MSG_LEN];
};

/* Paces the host against the device: called after each training step, it keeps the host at
 * most about 0.4 s of device work ahead (a marker every few steps, chosen from the measured step
 * time; the host waits for the previous marker, never the newest one, so the device always has
 * work queued). So a stop request, a progress line and a rate see the device's progress, not
 * the host's enqueueing. Changes no result. */
ct_status ct_device_pace(ct_device *dev);
/* Forgets the pacing marker (after a clFinish, or before the device closes). */
void ct_device_pace_reset(ct_device *dev);

/* Name of an OpenCL error code ("CL_OUT_OF_RESOURCES"); "CL_UNKNOWN_ERROR(-n)" style is never
 * returned: unknown codes give "unknown OpenCL error". */
const char *ct_cl_error_name(cl_int code);
/* Parameters per work-item of the optimizer kernels (CT_OEW, kernels/common.cl): 8 times the
 * activations' ew where that is above 1 (CPU devices), else 1. */
static inline int ct_optim_ew(const ct_kernel_config *c) { return c->ew > 1 ? 8 * c->ew : 1; }

/* Name of a CLBlast status code (covers the OpenCL codes it shares). */
const char *ct_clblast_error_name(int code);

/* Stores a formatted message in dev->err and returns s. */
ct_status ct_fail(ct_device *dev, ct_status s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* On an OpenCL error: message "where: call failed: CL_NAME" and CT_ERR_OPENCL. */
ct_status ct_cl_fail(ct_device *dev, cl_int code, const char *call, const char *where);

/* Kernel argument builder: collects the first error, launch reports it with the kernel's name.
 *   ct_args a = ct_args_begin(dev, CT_K_fill);
 *   ct_arg_mem(&a, buf); ct_arg_uint(&a, off); ct_arg_int(&a, n); ct_arg_float(&a, v);
 *   return ct_args_launch1(&a, n);
 */
typedef struct ct_args {
    ct_device *dev;
    cl_kernel k;
    ct_kernel_id id;
    cl_uint i;
    cl_int err;
} ct_args;

ct_args ct_args_begin(ct_device *dev, ct_kernel_id id);
/* Builds the part of the program that holds kernel id when it has not been built yet (on CPU
 * devices the own product, kernels/gemm.cl, is built on first use). */
ct_status ct_device_need_kernel(ct_device *dev, ct_kernel_id id);
/* Planning a step ahead of running it. Between ct_device_plan_begin and ct_device_plan_end each
 * distinct kernel and work-group shape launched is recorded (up to CT_PLAN_MAX); with run 0 the
 * launches (and fills) are not enqueued, with run 1 they are (to compare a plan with the step).
 * ct_device_plan_end copies up to max shapes to out, in the order of their first launch, and
 * returns how many. */
void ct_device_plan_begin(ct_device *dev, int run);
int ct_device_plan_end(ct_device *dev, ct_launch_shape *out, int max);

/* Warming a driver's kernel cache: PoCL compiles each kernel on its first launch, per work-group
 * shape (0.05-0.4 s each, one at a time per program in a process), and keeps it in its disk
 * cache, where any process finds it. ct_device_warm launches each of the n shapes in order with
 * every argument zero (all sizes 0: each kernel returns at its range check; buffers are a scratch
 * buffer of its own), so that they are compiled and cached. Returns the number launched. It
 * changes nothing a later computation gives.
 * ct_device_warms_by_launch: whether the device is such a driver with two or more compute units
 * (a second process can compile beside the first) and CLTRAIN_PREWARM is not 0. */
int ct_device_warm(ct_device *dev, const ct_launch_shape *shapes, int n);
int ct_device_warms_by_launch(const ct_device *dev);
/* A plan as text, a line "kernel dims l0 l1 l2" per shape (whole lines, as many as fit). */
void ct_plan_format(const ct_launch_shape *s, int n, char *dst, size_t len);

/* Sets the floats off..off+n of x to value with the driver's buffer fill, counted and profiled as
 * the fill kernel. */
ct_status ct_enqueue_fill(ct_device *dev, cl_mem x, size_t off, float value, size_t n);
void ct_arg_mem(ct_args *a, cl_mem m);
void ct_arg_int(ct_args *a, int v);
void ct_arg_uint(ct_args *a, cl_uint v);
void ct_arg_float(ct_args *a, float v);
/* 1-D launch over n items (global rounded up to a multiple of the work-group size, 64 where
 * the driver chooses it; the kernel guards). */
ct_status ct_args_launch1(ct_args *a, size_t n);
/* 1-D launch with an explicit global and local size (global must be a multiple of local). */
ct_status ct_args_launch1_local(ct_args *a, size_t global, size_t local);
/* 2-D launch with explicit global and local sizes. local NULL: the driver chooses, or on CPU
 * devices dev->wg2, with global rounded up to a multiple of it (the kernel guards). */
ct_status ct_args_launch2(ct_args *a, const size_t global[2], const size_t *local);
/* 3-D launch with explicit global and local sizes. */
ct_status ct_args_launch3(ct_args *a, const size_t global[3], const size_t local[3]);

/* Buffer helpers for tests and tools (blocking). */
ct_status ct_buffer_create(ct_device *dev, cl_mem *out, size_t bytes, const char *what);
ct_status ct_buffer_write(ct_device *dev, cl_mem m, size_t byte_off, size_t bytes, const void *src);
ct_status ct_buffer_read(ct_device *dev, cl_mem m, size_t byte_off, size_t bytes, void *dst);
/* Maps bytes of m for reading and writing on the host (blocking; on CPU devices usually the
 * buffer's own memory, no copy) / unmaps it (enqueued: later commands see the host's writes). */
ct_status ct_buffer_map(ct_device *dev, cl_mem m, size_t byte_off, size_t bytes, void **p);
ct_status ct_buffer_unmap(ct_device *dev, cl_mem m, void *p);

#endif
