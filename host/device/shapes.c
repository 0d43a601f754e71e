/* Kernel shapes: the untuned shape from the device's properties, the own product's tiles and
 * whether they fit, parsing and printing a shape, the tuner's candidates, changing the shape of an
 * open device. */
#include "internal.h"
#include "strutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    {64, 64, 16, 8, 8},  {128, 128, 16, 8, 8}, {128, 64, 16, 8, 8},
    {64, 128, 16, 8, 8}, {64, 64, 32, 8, 8},   {64, 64, 16, 4, 4},
    {32, 32, 16, 4, 4},  {16, 16, 16, 4, 4},   {8, 8, 8, 8, 8},
};
#define N_OG_TILES ((int)(sizeof og_tiles / sizeof og_tiles[0]))

static void set_og(ct_kernel_config *c, const int *t) {
    c->ogm = t[0], c->ogn = t[1], c->ogk = t[2], c->ogwm = t[3], c->ogwn = t[4];
}

/* Why the own product's tile does not fit this device (work-group size, local memory: 16 KiB
 * when not reported), or NULL. */
const char *dv_og_unfit(const ct_device *dev, const ct_kernel_config *c, char *why, size_t n) {
    size_t items = (size_t)(c->ogm / c->ogwm) * (size_t)(c->ogn / c->ogwn);
    /* two local tiles, ogk x (ogm + 1) and ogk x (ogn + 1) floats (CT_OG_PAD 1) */
    unsigned long long bytes = (unsigned long long)c->ogk * (unsigned)(c->ogm + c->ogn + 2) * 4;
    unsigned long long local = dev->info.local_mem ? dev->info.local_mem : 16384;
    if (items > dev->info.max_work_group)
        snprintf(why, n, "the own product's tile takes %zu work-items, more than the device's %zu",
                 items, dev->info.max_work_group);
    else if (bytes > local)
        snprintf(why, n,
                 "the own product's tile takes %llu bytes of local memory, more than the "
                 "device's %llu",
                 bytes, local);
    else
        return NULL;
    return why;
}

ct_kernel_config dv_default_config(const ct_device *dev) {
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
        if (!dv_og_unfit(dev, &c, why, sizeof why)) break;
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
    snprintf(dst, n, "vw=%d,rm=%d,nv=%d,block=%d,ew=%d,ogm=%d,ogn=%d,ogk=%d,ogwm=%d,ogwn=%d", c->vw,
             c->rm, c->nv, c->block, c->ew, c->ogm, c->ogn, c->ogk, c->ogwm, c->ogwn);
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
    ct_kernel_config d =
        dev->cfg_origin && !strcmp(dev->cfg_origin, "default") ? dev->cfg : dv_default_config(dev);
    int n = 0;
    if (n < max) out[n++] = d;
    if (!dev->cpu) { /* the own product's tiles that fit; the CPU product is not used */
        char why[160];
        for (int i = 0; i < N_OG_TILES && n < max; i++) {
            ct_kernel_config c = d;
            set_og(&c, og_tiles[i]);
            if (!memcmp(&c, &d, sizeof c) || dv_og_unfit(dev, &c, why, sizeof why)) continue;
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

/* Rebuilds the program for the device's shape (dev->cfg): the own product's kernel alone when
 * only its tile changed, else every part. */
static ct_status rebuild(ct_device *dev, int own_only) {
    if (own_only) return dv_rebuild_own(dev);
    dv_release_program(dev);
    return dv_load_and_build(dev);
}

ct_status ct_device_set_kernel_config(ct_device *dev, const ct_kernel_config *c) {
    const char *why = config_invalid(c);
    char unfit[160];
    if (!why) why = dv_og_unfit(dev, c, unfit, sizeof unfit);
    if (why) return ct_fail(dev, CT_ERR_ARG, "ct_device_set_kernel_config: %s", why);
    if (!memcmp(c, &dev->cfg, sizeof *c)) return CT_OK;
    ct_status st = ct_device_finish(dev);
    if (st != CT_OK) return st;
    ct_kernel_config old = dev->cfg;
    /* only the own product's tile changes: its kernel alone is rebuilt (dv_rebuild_own) */
    const int own_only = c->vw == old.vw && c->rm == old.rm && c->nv == old.nv &&
                         c->block == old.block && c->ew == old.ew;
    dev->cfg = *c;
    st = rebuild(dev, own_only);
    if (st != CT_OK) {
        /* keep the device usable with the shape it had */
        char err[CT_MSG_LEN];
        snprintf(err, sizeof err, "%s", dev->err);
        dev->cfg = old;
        if (rebuild(dev, own_only) == CT_OK) snprintf(dev->err, sizeof dev->err, "%s", err);
        return st;
    }
    dev->cfg_origin = "set";
    return CT_OK;
}
