/* cltrain: train multilayer perceptrons on any OpenCL device.
 * The one public header. Everything under host/ besides this file is internal. */
#ifndef CLTRAIN_H
#define CLTRAIN_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CT_VERSION_MAJOR 0
#define CT_VERSION_MINOR 1
#define CT_VERSION_PATCH 0
#define CT_VERSION_STRING "0.1.0"

/* Every library function returns a status; CT_OK is success. On failure the object
 * (or the caller's buffer) holds a message naming what failed and where. */
typedef enum ct_status {
    CT_OK = 0,
    CT_ERR_ARG,         /* a bad argument: shape, size, option value */
    CT_ERR_ALLOC,       /* host memory exhausted */
    CT_ERR_NO_PLATFORM, /* no OpenCL platform installed */
    CT_ERR_NO_DEVICE,   /* no device matches the request */
    CT_ERR_OPENCL,      /* an OpenCL call failed */
    CT_ERR_BUILD,       /* a kernel program failed to build (message holds the build log) */
    CT_ERR_CLBLAST,     /* a CLBlast routine failed */
    CT_ERR_IO,          /* a file could not be read or written */
    CT_ERR_FORMAT,      /* a file or value is malformed */
    CT_ERR_NUMERIC      /* NaN / Inf where a finite number is required */
} ct_status;

/* A short fixed name for a status ("CT_ERR_OPENCL"). */
const char *ct_status_name(ct_status s);

/* ---- devices ---------------------------------------------------------------------------- */

typedef struct ct_device ct_device;

/* Size of a message buffer that is always large enough for a one-line error. */
#define CT_MSG_LEN 4096

/* What `cltrain devices` prints about one device. */
typedef struct ct_device_info {
    int index;          /* global index over all platforms, in enumeration order */
    char platform[128]; /* platform name */
    char name[128];     /* device name */
    char vendor[128];
    char type[16]; /* "gpu", "cpu", "accelerator", "other" */
    unsigned compute_units;
    unsigned long long global_mem; /* bytes */
    unsigned long long local_mem;  /* bytes */
    unsigned long long max_alloc;  /* bytes: the largest single buffer */
    size_t max_work_group;
    char opencl_c_version[64];
    int fp64;               /* 1 when cl_khr_fp64 (or OpenCL C fp64) is supported */
    int clblast;            /* 1 works, 0 fails or not built in, -1 not probed */
    char clblast_note[160]; /* why not, when clblast == 0 */
} ct_device_info;

/* Lists every device of every platform. *out is malloc'ed (free with free()); *count may be 0
 * only when a platform exists without devices. No platform at all: CT_ERR_NO_PLATFORM.
 * probe_clblast: also run a small CLBlast product on each device and fill info.clblast. */
ct_status ct_device_list(ct_device_info **out, int *count, int probe_clblast, char msg[CT_MSG_LEN]);

/* The index the default choice takes among infos: the first GPU, else the first CPU, else 0;
 * -1 when n == 0. */
int ct_device_default(const ct_device_info *infos, int n);

/* Opens a device: context, in-order queue, and every kernel built once.
 * selector: NULL or "" -> $CLTRAIN_DEVICE if set, else the first GPU, else the first CPU;
 * otherwise an index ("0"), "gpu", "cpu", "accelerator", or a case-insensitive substring of the
 * device name. On failure *out is NULL and msg holds one line. */
ct_status ct_device_create(ct_device **out, const char *selector, char msg[CT_MSG_LEN]);
void ct_device_destroy(ct_device *dev); /* accepts NULL */

const ct_device_info *ct_device_get_info(const ct_device *dev);
/* The message of the last failed call on this device ("" when none). */
const char *ct_device_error(const ct_device *dev);

/* Which matrix-product implementation the dense ops use. */
typedef enum ct_gemm_backend {
    CT_GEMM_AUTO =
        0,           /* CLBlast when it is built in and passes its probe on this device, else own */
    CT_GEMM_CLBLAST, /* CLBlast only (error when unavailable) */
    CT_GEMM_OWN,     /* the project's own tiled kernel (local memory; suits GPUs) */
    CT_GEMM_CPU      /* the project's own register-tiled kernel shaped for CPU OpenCL (PoCL) */
} ct_gemm_backend;

/* Forces or resets the GEMM choice. $CLTRAIN_GEMM (auto|clblast|own|cpu) sets the initial value. */
ct_status ct_device_set_gemm(ct_device *dev, ct_gemm_backend b);
/* The backend of a product of this shape: the forced one, else a tuned choice for its shape
 * class (from `cltrain bench --tune`, kept in the tuning file), else the device's default:
 * the CPU-shaped kernel on CPU devices, CLBlast where it works, the tiled kernel otherwise.
 * A pure function of the device, the tuning file and the shape, so runs are reproducible. */
ct_gemm_backend ct_device_gemm_for(ct_device *dev, int M, int N, int K, int transA, int transB);
/* The default (untuned) choice after resolving AUTO (may run the CLBlast probe once). */
ct_gemm_backend ct_device_gemm(ct_device *dev);
const char *ct_gemm_backend_name(ct_gemm_backend b);

/* 1 when CLBlast was compiled in and computes a correct product on this device, else 0 and
 * why in *why (may be NULL). Runs a small probe once per device and remembers the answer. */
int ct_device_clblast_works(ct_device *dev, const char **why);

/* Blocks until every enqueued command finished. */
ct_status ct_device_finish(ct_device *dev);

#ifdef __cplusplus
}
#endif
#endif
