/* Launch wrappers of the metric kernels, as ops.c's (see the math comments in ops.h): the mean
 * absolute error that a regression reports beside its loss. */
#include <limits.h>
#include <stdio.h>

#include "ops.h"

/* A (buffer, offset) kernel argument pair, as ops.c's (offsets checked to fit 32 bits). */
static void arg_buf(ct_args *a, ct_buf b) {
    ct_arg_mem(a, b.mem);
    ct_arg_uint(a, (cl_uint)b.off);
}

ct_status ct_abs_error(ct_device *dev, ct_buf out, ct_buf rowsum, ct_buf Z, ct_buf T, int B, int C,
                       int B_total) {
    static const char op[] = "ct_abs_error";
    if (!dev) return CT_ERR_ARG;
    if (B <= 0 || C <= 0 || B_total < B)
        return ct_fail(dev, CT_ERR_ARG, "%s: B, C must be > 0 and B_total >= B (got %d, %d, %d)",
                       op, B, C, B_total);
    if ((long long)B > (long long)INT_MAX / C)
        return ct_fail(dev, CT_ERR_ARG, "%s: B x C = %d x %d elements is too large (max %d)", op, B,
                       C, INT_MAX);
    const ct_buf *bufs[4] = {&out, &rowsum, &Z, &T};
    static const char *const names[4] = {"out", "rowsum", "Z", "T"};
    for (int k = 0; k < 4; k++) {
        if (!bufs[k]->mem)
            return ct_fail(dev, CT_ERR_ARG, "%s: buffer %s must not be NULL", op, names[k]);
        if (bufs[k]->off > (size_t)UINT_MAX)
            return ct_fail(dev, CT_ERR_ARG, "%s: offset of %s must fit in 32 bits (got %zu)", op,
                           names[k], bufs[k]->off);
    }
    ct_args a = ct_args_begin(dev, CT_K_abs_error);
    arg_buf(&a, rowsum);
    arg_buf(&a, Z);
    arg_buf(&a, T);
    ct_arg_uint(&a, (cl_uint)B);
    ct_arg_uint(&a, (cl_uint)C);
    ct_status st = ct_args_launch1(&a, (size_t)B);
    if (st != CT_OK) return st;
    return ct_reduce_sum(dev, out, rowsum, B, (float)(1.0 / ((double)B_total * C)), 0.0f);
}
