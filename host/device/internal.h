/* What the parts of the device layer in host/device/ share (enumerate.c, select.c, clblast.c,
 * program.c, shapes.c, tuning.c, open.c, launch.c, denormals.c, warm.c, buffers.c, names.c); not
 * part of the library's interface. */
#ifndef CT_DEVICE_INTERNAL_H
#define CT_DEVICE_INTERNAL_H

#include <stddef.h>

#include "../device.h"

/* ---- enumeration (enumerate.c) ----------------------------------------------------------- */

#define NO_PLATFORM_HINT                                                                           \
    "install an OpenCL driver: for the CPU, apt-get install pocl-opencl-icd (or set "              \
    "OCL_ICD_VENDORS to the folder holding its .icd file)"

typedef struct {
    cl_platform_id platform;
    cl_device_id device;
} dev_ref;

/* Every device's refs (optional) and info, in enumeration order; both malloc'ed. */
ct_status dv_list_all(dev_ref **refs_out, ct_device_info **out, int *count, int probe_clblast,
                      char *msg);
/* A string property of a device read whole: a malloc'ed string (free it), or NULL. */
char *dv_device_string(cl_device_id d, cl_device_info what);

/* ---- selection (select.c) ---------------------------------------------------------------- */

/* Picks the index of the device for selector (already resolved from the environment). */
ct_status dv_pick(const ct_device_info *infos, int n, const char *sel, const char *origin,
                  int *chosen, char *msg);
/* The selector in force: the given one, else $CLTRAIN_DEVICE; returns where it came from. */
const char *dv_resolve_selector(const char **selector);

/* ---- the CLBlast probe (clblast.c) ------------------------------------------------------- */

/* Runs one small odd-sized product through CLBlast and checks it on the host: 1 if it works,
 * else 0 with the reason in why. */
int dv_clblast_probe(cl_context ctx, cl_command_queue q, char *why, size_t n);

/* ---- program (program.c) ----------------------------------------------------------------- */

/* The parts of the program: the own product (gemm.cl) is the second part; common.cl belongs to
 * both. CPU-profile devices build the first part when opened and the second only when an own
 * product is asked for (benchmarks, tests, a tuning choice): on PoCL each program costs a fixed
 * 0.6-0.7 s (its kernel library read), and the own product's 190 lines another 0.1 s of the
 * cold start that no CPU training step needs. */
enum { SRC_MAIN = 1, SRC_OWN = 2, SRC_ALL = SRC_MAIN | SRC_OWN };

/* The program source of the given parts: the embedded kernels, or the same files from
 * $CLTRAIN_KERNELS_DIR. */
ct_status dv_load_sources(ct_device *dev, int parts, char **out, size_t *len);
/* The largest power of two <= v and <= cap (1 at least). */
size_t dv_pow2_at_most(size_t v, size_t cap);
/* The cache folder of this user: $XDG_CACHE_HOME/cltrain, else ~/.cache/cltrain. */
void dv_cache_dir(char *dst, size_t n);
/* Creates the folders above path (best effort; the write that follows reports failures). */
void dv_mkdirs_for(const char *path);
/* Whether the device's driver keeps the kernels it compiles (PoCL, unless POCL_KERNEL_CACHE=0). */
int dv_info_caches_kernels(const ct_device_info *info);
/* FNV-1a of n bytes, continuing from h. */
unsigned long long dv_fnv1a(unsigned long long h, const void *p, size_t n);
/* The hash of what identifies the device and its compiler (platform, device, driver, profile). */
unsigned long long dv_device_key(const ct_device *dev);
/* Releases the kernels and the program's parts. */
void dv_release_program(ct_device *dev);
/* Builds the part(s) the device builds when opened, with its shape (dev->cfg), timed. */
ct_status dv_load_and_build(ct_device *dev);
ct_status dv_rebuild_own(ct_device *dev);
/* The kernel id, created at its first use (CL_SUCCESS, or the OpenCL error). */
cl_int dv_kernel(ct_device *dev, ct_kernel_id id, cl_kernel *out);

/* ---- kernel shapes (shapes.c) ------------------------------------------------------------ */

/* Why the own product's tile does not fit this device, or NULL. */
const char *dv_og_unfit(const ct_device *dev, const ct_kernel_config *c, char *why, size_t n);
/* The untuned shape from the device's properties. */
ct_kernel_config dv_default_config(const ct_device *dev);

/* ---- the tuning file (tuning.c) ---------------------------------------------------------- */

/* Reads the tuning file if there is one (kernel shape, backend per shape class). */
void dv_load_tuned(ct_device *dev);

/* ---- counting denormals (denormals.c; dev->denorm set only with CLTRAIN_COUNT_DENORMALS) -- */

/* Starts counting when CLTRAIN_COUNT_DENORMALS names a file (it must open for appending). */
ct_status dv_denorm_open(ct_device *dev);
/* Appends the counts to the file and stops counting (NULL dev->denorm: nothing). */
void dv_denorm_close(ct_device *dev);
/* The build option counting needs (the kernels' argument info), else "". */
const char *dv_denorm_option(const ct_device *dev);
/* The arguments of a launch being built: its kernel, each buffer, each uint after a buffer. */
void dv_denorm_begin(ct_device *dev, ct_kernel_id id);
void dv_denorm_mem(ct_device *dev, cl_uint i, cl_mem m);
void dv_denorm_uint(ct_device *dev, cl_uint i, cl_uint v);
/* Before the launch is enqueued: reads back the buffers it may write; after: counts. */
ct_status dv_denorm_before(ct_device *dev, ct_kernel_id id, cl_kernel k);
ct_status dv_denorm_after(ct_device *dev, ct_kernel_id id);

/* ---- launching (launch.c) ---------------------------------------------------------------- */

/* Releases the profiling events kept. */
void dv_prof_clear(ct_device *dev);

#endif
