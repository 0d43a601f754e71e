/* Opening and closing a device: CLTRAIN_GEMM and CLTRAIN_EXACT, the context and queue, the
 * work-group sizes of CPU devices, the kernel shape in force (default, tuned or
 * CLTRAIN_KERNEL_CONFIG), the first build; destroying and finishing. */
#include "internal.h"
#include "strutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef CT_HAVE_CLBLAST
#include <clblast_c.h>
#endif

/* ---- lifecycle --------------------------------------------------------------------------- */

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

ct_status ct_device_create(ct_device **out, const char *selector, char msg[CT_MSG_LEN]) {
    *out = NULL;
    const char *origin = dv_resolve_selector(&selector);
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
    ct_status st = dv_list_all(&refs, &infos, &n, 0, msg);
    if (st != CT_OK) return st;
    int chosen = -1;
    st = dv_pick(infos, n, selector, origin, &chosen, msg);
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
        dev->wg1_small = dv_pow2_at_most(dev->info.max_work_group, 64);
        dev->wg1_large = dv_pow2_at_most(dev->info.max_work_group, 1024);
        dev->wg1_split =
            (size_t)16 * 1024 * (dev->info.compute_units > 0 ? dev->info.compute_units : 1);
        dev->wg2[0] = dev->wg2[1] = dev->info.max_work_group >= 256 ? 16 : 1;
    }
    if ((st = dv_denorm_open(dev)) != CT_OK) goto fail_dev;
    /* the shape: defaults, else the tuning file's, else CLTRAIN_KERNEL_CONFIG's */
    char *src = NULL;
    size_t len = 0;
    if ((st = dv_load_sources(dev, SRC_ALL, &src, &len)) != CT_OK) goto fail_dev;
    dev->src_key = dv_fnv1a(dv_device_key(dev), src, len);
    free(src);
    dev->cfg = dv_default_config(dev);
    dev->cfg_origin = "default";
    dv_load_tuned(dev);
    const char *shape = getenv("CLTRAIN_KERNEL_CONFIG");
    if (shape && *shape) {
        char why[CT_MSG_LEN];
        if ((st = ct_kernel_config_parse(shape, &dev->cfg, why)) != CT_OK ||
            dv_og_unfit(dev, &dev->cfg, why, sizeof why)) {
            st = ct_fail(dev, st != CT_OK ? st : CT_ERR_ARG, "CLTRAIN_KERNEL_CONFIG: %s", why);
            goto fail_dev;
        }
        dev->cfg_origin = "CLTRAIN_KERNEL_CONFIG";
    }
    st = dv_load_and_build(dev);
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
    dv_denorm_close(dev);
    ct_device_pace_reset(dev);
#ifdef CT_HAVE_CLBLAST
    /* CLBlast keeps compiled programs per context: drop them while the context still exists */
    if (dev->info.clblast == 1) CLBlastClearCache();
#endif
    if (dev->pack) clReleaseMemObject(dev->pack);
    free(dev->tuned);
    dv_prof_clear(dev);
    free(dev->prof_ev);
    free(dev->prof_kid);
    dv_release_program(dev);
    if (dev->queue) clReleaseCommandQueue(dev->queue);
    if (dev->ctx) clReleaseContext(dev->ctx);
    free(dev);
}

ct_status ct_device_finish(ct_device *dev) {
    cl_int e = clFinish(dev->queue);
    ct_device_pace_reset(dev);
    return e == CL_SUCCESS ? CT_OK : ct_cl_fail(dev, e, "clFinish", "waiting for the device");
}
