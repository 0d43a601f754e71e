/* The CLBlast probe: one small odd-sized product through CLBlast, checked on the host, run once
 * per device (when listing devices with the probe, or on the first question of an open one). */
#include "internal.h"

#include <math.h>
#include <stdio.h>

#ifdef CT_HAVE_CLBLAST
#include <clblast_c.h>
#endif

/* ---- CLBlast probe ----------------------------------------------------------------------- */

/* Runs one small odd-sized product through CLBlast and checks it on the host. */
int dv_clblast_probe(cl_context ctx, cl_command_queue q, char *why, size_t n) {
#ifndef CT_HAVE_CLBLAST
    (void)ctx;
    (void)q;
    snprintf(why, n, "not built in (libclblast-dev was not found at configure time)");
    return 0;
#else
    enum { M = 17, N = 13, K = 9 };
    float a[M * K], b[K * N], c[M * N];
    for (int i = 0; i < M * K; i++)
        a[i] = (float)((i * 7 % 11) - 5) * 0.25f;
    for (int i = 0; i < K * N; i++)
        b[i] = (float)((i * 5 % 13) - 6) * 0.125f;
    for (int i = 0; i < M * N; i++)
        c[i] = NAN;
    cl_int e = CL_SUCCESS;
    int ok = 0;
    cl_mem A = clCreateBuffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, sizeof a, a, &e);
    cl_mem B = e == CL_SUCCESS
                   ? clCreateBuffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, sizeof b, b, &e)
                   : NULL;
    cl_mem C = e == CL_SUCCESS
                   ? clCreateBuffer(ctx, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof c, c, &e)
                   : NULL;
    if (e != CL_SUCCESS) {
        snprintf(why, n, "clCreateBuffer failed: %s", ct_cl_error_name(e));
        goto done;
    }
    CLBlastStatusCode s =
        CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeNo, M, N, K, 1.0f,
                     A, 0, K, B, 0, N, 0.0f, C, 0, N, &q, NULL);
    if (s != CLBlastSuccess) {
        snprintf(why, n, "CLBlastSgemm failed: %s", ct_clblast_error_name(s));
        goto done;
    }
    e = clEnqueueReadBuffer(q, C, CL_TRUE, 0, sizeof c, c, 0, NULL, NULL);
    if (e != CL_SUCCESS) {
        snprintf(why, n, "reading the probe result: %s", ct_cl_error_name(e));
        goto done;
    }
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s2 = 0;
            for (int k = 0; k < K; k++)
                s2 += (double)a[i * K + k] * b[k * N + j];
            if (!(fabs(c[i * N + j] - s2) <= 1e-4 * (1 + fabs(s2)))) {
                snprintf(why, n, "CLBlastSgemm gave a wrong product (C[%d][%d] = %g, expected %g)",
                         i, j, (double)c[i * N + j], s2);
                goto done;
            }
        }
    ok = 1;
    why[0] = '\0';
done:
    if (C) clReleaseMemObject(C);
    if (B) clReleaseMemObject(B);
    if (A) clReleaseMemObject(A);
    return ok;
#endif
}

int ct_device_clblast_works(ct_device *dev, const char **why) {
    if (dev->info.clblast < 0)
        dev->info.clblast = dv_clblast_probe(dev->ctx, dev->queue, dev->info.clblast_note,
                                             sizeof dev->info.clblast_note);
    if (why) *why = dev->info.clblast_note;
    return dev->info.clblast;
}
