/* Counting denormals, a measuring aid: with CLTRAIN_COUNT_DENORMALS=FILE every kernel launch
 * reads back, before and after it runs, the buffers the kernel may write (its __global
 * arguments that are not const, known from the driver's argument info: the program is then
 * built with -cl-kernel-arg-info and not taken from the program cache), and counts per kernel
 * and float argument the values that changed and how many of those are denormal (nonzero,
 * below 2^-126 in magnitude). A changed value is given to the argument of its buffer whose
 * offset (the uint after the buffer, the (buffer, offset) convention) is the largest at or
 * below it; values given to an int argument (a count beside the losses) are not counted.
 * ct_device_destroy appends the counts to FILE. Unset, it costs a test of a NULL pointer per
 * argument and per launch. The launches wait, so timings mean nothing then; results do not
 * change. */
#include "internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DN_ARGS 48 /* arguments of a kernel that are followed (every kernel has fewer) */
#define DN_NAME 24

typedef struct {
    unsigned long long changed, denormal;
} dn_count;

struct ct_denormals {
    FILE *out;
    char path[512];
    signed char known[CT_K_COUNT]; /* the kernel's argument info: 0 not read, 1 read */
    /* argument i: 1 a non-const __global float *, 2 another non-const __global pointer */
    unsigned char writes[CT_K_COUNT][DN_ARGS];
    char names[CT_K_COUNT][DN_ARGS][DN_NAME];
    unsigned long long launches[CT_K_COUNT];
    dn_count count[CT_K_COUNT][DN_ARGS];
    /* the launch being built */
    int kid;
    cl_mem mem[DN_ARGS];
    cl_uint off[DN_ARGS];
    unsigned char has_off[DN_ARGS];
    /* its buffers as they were before it ran */
    int nbuf;
    cl_mem buf[DN_ARGS];
    size_t floats[DN_ARGS];
    uint32_t *before[DN_ARGS];
};

const char *dv_denorm_option(const ct_device *dev) {
    return dev->denorm ? " -cl-kernel-arg-info" : "";
}

ct_status dv_denorm_open(ct_device *dev) {
    const char *path = getenv("CLTRAIN_COUNT_DENORMALS");
    if (!path || !*path) return CT_OK;
    struct ct_denormals *d = calloc(1, sizeof *d);
    if (!d) return ct_fail(dev, CT_ERR_ALLOC, "CLTRAIN_COUNT_DENORMALS: out of host memory");
    if (strlen(path) >= sizeof d->path) {
        free(d);
        return ct_fail(dev, CT_ERR_ARG,
                       "CLTRAIN_COUNT_DENORMALS: the path is longer than %zu bytes",
                       sizeof d->path - 1);
    }
    d->out = fopen(path, "a");
    if (!d->out) {
        int e = errno;
        free(d);
        return ct_fail(dev, CT_ERR_IO, "CLTRAIN_COUNT_DENORMALS: cannot open '%s' to append: %s",
                       path, strerror(e));
    }
    snprintf(d->path, sizeof d->path, "%s", path);
    d->kid = -1;
    dev->denorm = d;
    return CT_OK;
}

static void free_snapshots(struct ct_denormals *d) {
    for (int b = 0; b < d->nbuf; b++)
        free(d->before[b]);
    d->nbuf = 0;
}

void dv_denorm_close(ct_device *dev) {
    struct ct_denormals *d = dev->denorm;
    if (!d) return;
    free_snapshots(d);
    int any = 0;
    for (int k = 0; k < CT_K_COUNT; k++)
        any |= d->launches[k] > 0;
    if (any)
        fprintf(
            d->out,
            "# cltrain denormal counts: %s (%s)\n# kernel\targument\tlaunches\tchanged\tdenormal\n",
            dev->info.name, dev->info.platform);
    for (int k = 0; k < CT_K_COUNT && any; k++) {
        if (!d->launches[k]) continue;
        for (int i = 0; i < DN_ARGS; i++)
            if (d->writes[k][i] == 1)
                fprintf(d->out, "%s\t%s\t%llu\t%llu\t%llu\n", ct_kernel_name((ct_kernel_id)k),
                        d->names[k][i], d->launches[k], d->count[k][i].changed,
                        d->count[k][i].denormal);
    }
    fclose(d->out);
    free(d);
    dev->denorm = NULL;
}

void dv_denorm_begin(ct_device *dev, ct_kernel_id id) {
    struct ct_denormals *d = dev->denorm;
    d->kid = (int)id;
    memset(d->mem, 0, sizeof d->mem);
    memset(d->has_off, 0, sizeof d->has_off);
}

void dv_denorm_mem(ct_device *dev, cl_uint i, cl_mem m) {
    if (i < DN_ARGS) dev->denorm->mem[i] = m;
}

void dv_denorm_uint(ct_device *dev, cl_uint i, cl_uint v) {
    struct ct_denormals *d = dev->denorm;
    if (i >= 1 && i - 1 < DN_ARGS && d->mem[i - 1] && !d->has_off[i - 1])
        d->off[i - 1] = v, d->has_off[i - 1] = 1;
}

/* Which arguments of kernel k the kernel may write: its non-const __global pointers. */
static ct_status read_arg_info(ct_device *dev, ct_kernel_id id, cl_kernel k) {
    struct ct_denormals *d = dev->denorm;
    char where[96];
    snprintf(where, sizeof where, "CLTRAIN_COUNT_DENORMALS: kernel %s", ct_kernel_name(id));
    cl_uint n = 0;
    cl_int e = clGetKernelInfo(k, CL_KERNEL_NUM_ARGS, sizeof n, &n, NULL);
    if (e != CL_SUCCESS) return ct_cl_fail(dev, e, "clGetKernelInfo", where);
    for (cl_uint i = 0; i < n && i < DN_ARGS; i++) {
        cl_kernel_arg_address_qualifier aq = 0;
        cl_kernel_arg_type_qualifier tq = 0;
        char type[64] = "";
        e = clGetKernelArgInfo(k, i, CL_KERNEL_ARG_ADDRESS_QUALIFIER, sizeof aq, &aq, NULL);
        if (e == CL_SUCCESS)
            e = clGetKernelArgInfo(k, i, CL_KERNEL_ARG_TYPE_QUALIFIER, sizeof tq, &tq, NULL);
        if (e == CL_SUCCESS)
            e = clGetKernelArgInfo(k, i, CL_KERNEL_ARG_TYPE_NAME, sizeof type - 1, type, NULL);
        if (e == CL_SUCCESS)
            e = clGetKernelArgInfo(k, i, CL_KERNEL_ARG_NAME, DN_NAME - 1, d->names[id][i], NULL);
        if (e != CL_SUCCESS) return ct_cl_fail(dev, e, "clGetKernelArgInfo", where);
        if (aq == CL_KERNEL_ARG_ADDRESS_GLOBAL && !(tq & CL_KERNEL_ARG_TYPE_CONST))
            d->writes[id][i] = !strncmp(type, "float", 5) ? 1 : 2;
    }
    d->known[id] = 1;
    return CT_OK;
}

ct_status dv_denorm_before(ct_device *dev, ct_kernel_id id, cl_kernel k) {
    struct ct_denormals *d = dev->denorm;
    ct_status st = d->known[id] ? CT_OK : read_arg_info(dev, id, k);
    if (st != CT_OK) return st;
    free_snapshots(d);
    for (int i = 0; i < DN_ARGS; i++) {
        if (!d->writes[id][i] || !d->mem[i] || d->kid != (int)id) continue;
        int seen = 0;
        for (int b = 0; b < d->nbuf; b++)
            seen |= d->buf[b] == d->mem[i];
        if (seen) continue;
        size_t bytes = 0;
        cl_int e = clGetMemObjectInfo(d->mem[i], CL_MEM_SIZE, sizeof bytes, &bytes, NULL);
        if (e != CL_SUCCESS)
            return ct_cl_fail(dev, e, "clGetMemObjectInfo", "CLTRAIN_COUNT_DENORMALS");
        uint32_t *p = malloc(bytes ? bytes : 1);
        if (!p) return ct_fail(dev, CT_ERR_ALLOC, "CLTRAIN_COUNT_DENORMALS: out of host memory");
        int b = d->nbuf++;
        d->buf[b] = d->mem[i], d->floats[b] = bytes / 4, d->before[b] = p;
        e = clEnqueueReadBuffer(dev->queue, d->mem[i], CL_TRUE, 0, bytes, p, 0, NULL, NULL);
        if (e != CL_SUCCESS)
            return ct_cl_fail(dev, e, "clEnqueueReadBuffer", "CLTRAIN_COUNT_DENORMALS");
    }
    return CT_OK;
}

ct_status dv_denorm_after(ct_device *dev, ct_kernel_id id) {
    struct ct_denormals *d = dev->denorm;
    d->launches[id]++;
    for (int b = 0; b < d->nbuf; b++) {
        size_t n = d->floats[b];
        uint32_t *now = malloc(n ? 4 * n : 1);
        if (!now) return ct_fail(dev, CT_ERR_ALLOC, "CLTRAIN_COUNT_DENORMALS: out of host memory");
        cl_int e =
            clEnqueueReadBuffer(dev->queue, d->buf[b], CL_TRUE, 0, 4 * n, now, 0, NULL, NULL);
        if (e != CL_SUCCESS) {
            free(now);
            return ct_cl_fail(dev, e, "clEnqueueReadBuffer", "CLTRAIN_COUNT_DENORMALS");
        }
        /* this buffer's arguments, by offset: a changed value belongs to the last one at or
         * below it (the first when it lies below them all) */
        int args[DN_ARGS], na = 0;
        for (int i = 0; i < DN_ARGS; i++)
            if (d->writes[id][i] && d->mem[i] == d->buf[b]) {
                int j = na++;
                cl_uint oi = d->has_off[i] ? d->off[i] : 0;
                while (j > 0 && (d->has_off[args[j - 1]] ? d->off[args[j - 1]] : 0) > oi)
                    args[j] = args[j - 1], j--;
                args[j] = i;
            }
        for (size_t x = 0; x < n; x++) {
            uint32_t v = now[x];
            if (v == d->before[b][x]) continue;
            int a = 0;
            while (a + 1 < na && (d->has_off[args[a + 1]] ? d->off[args[a + 1]] : 0) <= x)
                a++;
            if (d->writes[id][args[a]] != 1) continue;
            dn_count *c = &d->count[id][args[a]];
            c->changed++;
            if ((v & 0x7f800000u) == 0 && (v & 0x007fffffu) != 0) c->denormal++;
        }
        free(now);
    }
    free_snapshots(d);
    return CT_OK;
}
