/* The reduced kernel of issue 25: why the own product (kernels/gemm.cl) was wrong on Mesa's
 * rusticl at K = 1000, and the form it has now, checked on every device it is given.
 *
 * Mesa's llvmpipe (rusticl's CPU driver, RUSTICL_ENABLE=llvmpipe; seen on Mesa 22.3) gives each
 * work-item one budget of 65535 loop iterations, shared by every loop its compiler did not
 * unroll: gallivm's loop limiter (LP_MAX_TGSI_LOOP_ITERATIONS, "shared between every loop",
 * meant to stop endless graphics shaders). When it is spent every loop is left at its next
 * turn, silently: no error, the kernel just stops summing. It does not unroll a #pragma unroll
 * loop nest over a private register tile, so the own product's 8 x 8 tile update, written as
 * two nested loops, cost ~83 counted iterations per k, and every output stopped at k = 786.
 * While building, Mesa also prints "Treating load_kernel_arg in control flow as uniform,
 * results may be incorrect": a kernel argument read inside a branch (gemm's transA); those are
 * uniform, and that message is not this fault.
 *
 * The reduced kernel is that update alone: one work-item, acc[8][8] += x[k][i] * y[k][j] by fma
 * for k = 0..K-1, in two forms:
 * - tile_loops: the form Mesa cut short (two nested #pragma unroll loops; the old gemm.cl).
 *   On llvmpipe it stops after ~790 k. Run and reported, not failed: its fault is Mesa's.
 * - tile_written: the form gemm.cl has now (the inner loop written out by the preprocessor;
 *   the outer one stays a loop on llvmpipe, ~10 iterations per k, so ~6500 k fit). Checked bit
 *   for bit against the host's fmaf chain at K = 1000 and 3000 on every device.
 * And `count`, one loop of n turns, measures the device's budget (reported).
 * Exit 0 pass, 1 fail. */
#include "device_util.h"
#include "device.h"

#include <math.h>

static const char *src =
    "#pragma OPENCL FP_CONTRACT OFF\n"
    "/* the old form: two nested #pragma unroll loops update the register tile */\n"
    "__kernel void tile_loops(__global float *out, __global const float *x,\n"
    "                         __global const float *y, int K) {\n"
    "    float acc[8][8];\n"
    "    for (int i = 0; i < 8; ++i)\n"
    "        for (int j = 0; j < 8; ++j) acc[i][j] = 0.0f;\n"
    "    for (int k = 0; k < K; ++k) {\n"
    "        float a[8], b[8];\n"
    "#pragma unroll\n"
    "        for (int i = 0; i < 8; ++i) a[i] = x[k * 8 + i];\n"
    "#pragma unroll\n"
    "        for (int j = 0; j < 8; ++j) b[j] = y[k * 8 + j];\n"
    "#pragma unroll\n"
    "        for (int i = 0; i < 8; ++i) {\n"
    "#pragma unroll\n"
    "            for (int j = 0; j < 8; ++j) acc[i][j] = fma(a[i], b[j], acc[i][j]);\n"
    "        }\n"
    "    }\n"
    "    for (int i = 0; i < 8; ++i)\n"
    "        for (int j = 0; j < 8; ++j) out[i * 8 + j] = acc[i][j];\n"
    "}\n"
    "/* the form gemm.cl has now: the loop over j written out */\n"
    "#define REP8(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7)\n"
    "__kernel void tile_written(__global float *out, __global const float *x,\n"
    "                           __global const float *y, int K) {\n"
    "    float acc[8][8];\n"
    "    for (int i = 0; i < 8; ++i)\n"
    "        for (int j = 0; j < 8; ++j) acc[i][j] = 0.0f;\n"
    "    for (int k = 0; k < K; ++k) {\n"
    "        float b[8];\n"
    "#define GET_B(j) b[j] = y[k * 8 + j];\n"
    "        REP8(GET_B)\n"
    "#pragma unroll\n"
    "        for (int i = 0; i < 8; ++i) {\n"
    "            const float a = x[k * 8 + i];\n"
    "#define FMA(j) acc[i][j] = fma(a, b[j], acc[i][j]);\n"
    "            REP8(FMA)\n"
    "        }\n"
    "    }\n"
    "    for (int i = 0; i < 8; ++i)\n"
    "        for (int j = 0; j < 8; ++j) out[i * 8 + j] = acc[i][j];\n"
    "}\n"
    "/* one loop of n turns (each reads memory, so no compiler counts it in closed form) */\n"
    "__kernel void count(__global int *out, __global const int *one, int n) {\n"
    "    int c = 0;\n"
    "    for (int i = 0; i < n; ++i) c += one[i & 15];\n"
    "    out[0] = c;\n"
    "}\n";

static float uniform(unsigned long long *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (float)((double)(*s >> 11) * (2.0 / 9007199254740992.0) - 1.0);
}

/* Runs kernel `name` (one work-item) with args (out, in0, in1, n); 0 on success. */
static int run1(ct_device *dev, cl_program prog, const char *name, cl_mem out, cl_mem in0,
                cl_mem in1, int n) {
    cl_int e;
    cl_kernel k = clCreateKernel(prog, name, &e);
    if (e != CL_SUCCESS) {
        printf("FAIL clCreateKernel(%s): %s\n", name, ct_cl_error_name(e));
        return 1;
    }
    size_t one = 1;
    int a = 0;
    e = clSetKernelArg(k, a++, sizeof out, &out);
    if (e == CL_SUCCESS) e = clSetKernelArg(k, a++, sizeof in0, &in0);
    if (e == CL_SUCCESS && in1) e = clSetKernelArg(k, a++, sizeof in1, &in1);
    if (e == CL_SUCCESS) e = clSetKernelArg(k, a++, sizeof n, &n);
    if (e == CL_SUCCESS) e = clEnqueueNDRangeKernel(dev->queue, k, 1, NULL, &one, &one, 0, NULL, NULL);
    if (e == CL_SUCCESS) e = clFinish(dev->queue);
    clReleaseKernel(k);
    if (e != CL_SUCCESS) {
        printf("FAIL running %s: %s\n", name, ct_cl_error_name(e));
        return 1;
    }
    return 0;
}

/* The register tile over K k by `name` on random inputs; into *bad the count of the 64 outputs
 * that are not the bits of the host's fmaf chain. 0 when it ran. */
static int tile_case(ct_device *dev, cl_program prog, const char *name, int K,
                     unsigned long long seed, int *bad) {
    const size_t n = (size_t)K * 8;
    float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y), got[64];
    cl_mem bx = NULL, by = NULL, bo = NULL;
    int rc = 1;
    if (!x || !y) goto done;
    for (size_t i = 0; i < n; i++) {
        x[i] = uniform(&seed);
        y[i] = uniform(&seed);
    }
    if (ct_buffer_create(dev, &bx, n * sizeof *x, "x") != CT_OK ||
        ct_buffer_create(dev, &by, n * sizeof *y, "y") != CT_OK ||
        ct_buffer_create(dev, &bo, sizeof got, "out") != CT_OK ||
        ct_buffer_write(dev, bx, 0, n * sizeof *x, x) != CT_OK ||
        ct_buffer_write(dev, by, 0, n * sizeof *y, y) != CT_OK) {
        printf("FAIL %s K=%d: buffers: %s\n", name, K, ct_device_error(dev));
        goto done;
    }
    if (run1(dev, prog, name, bo, bx, by, K)) goto done;
    if (ct_buffer_read(dev, bo, 0, sizeof got, got) != CT_OK) {
        printf("FAIL %s K=%d: read: %s\n", name, K, ct_device_error(dev));
        goto done;
    }
    *bad = 0;
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 8; j++) {
            float acc = 0.0f;
            for (int k = 0; k < K; k++)
                acc = fmaf(x[k * 8 + i], y[k * 8 + j], acc);
            if (memcmp(&acc, &got[i * 8 + j], sizeof acc)) ++*bad;
        }
    rc = 0;
done:
    if (bx) clReleaseMemObject(bx);
    if (by) clReleaseMemObject(by);
    if (bo) clReleaseMemObject(bo);
    free(x);
    free(y);
    return rc;
}

int main(void) {
    unsigned long long seed = fresh_seed();
    ct_device *dev = test_device();
    int failed = 0, ran = 0;
    cl_int e;
    size_t len = strlen(src);
    cl_program prog = clCreateProgramWithSource(dev->ctx, 1, &src, &len, &e);
    if (e == CL_SUCCESS) e = clBuildProgram(prog, 1, &dev->id, "-cl-std=CL1.2", NULL, NULL);
    if (e != CL_SUCCESS) {
        printf("FAIL building the reduced kernels: %s\n", ct_cl_error_name(e));
        return 1;
    }
    /* the device's loop budget, reported */
    const int n = 70000;
    int ones[16], counted = -1;
    for (int i = 0; i < 16; i++)
        ones[i] = 1;
    cl_mem bo = NULL, b1 = NULL;
    if (ct_buffer_create(dev, &bo, sizeof counted, "out") == CT_OK &&
        ct_buffer_create(dev, &b1, sizeof ones, "ones") == CT_OK &&
        ct_buffer_write(dev, b1, 0, sizeof ones, ones) == CT_OK &&
        !run1(dev, prog, "count", bo, b1, NULL, n) &&
        ct_buffer_read(dev, bo, 0, sizeof counted, &counted) == CT_OK) {
        if (counted == n)
            printf("note: a loop of %d turns ran whole: no loop budget seen\n", n);
        else
            printf("note: a loop of %d turns stopped after %d, silently: this device has a loop "
                   "budget (Mesa's llvmpipe: 65535 per work-item, all loops together)\n",
                   n, counted);
    } else {
        printf("FAIL the loop of %d turns did not run: %s\n", n, ct_device_error(dev));
        failed++;
    }
    ran++;
    if (bo) clReleaseMemObject(bo);
    if (b1) clReleaseMemObject(b1);

    /* the old form, reported */
    int bad = 0;
    if (tile_case(dev, prog, "tile_loops", 1000, seed, &bad) == 0)
        printf("note: the old form (nested #pragma unroll loops) at K=1000: %d of 64 outputs "
               "differ from the host%s\n",
               bad, bad ? " (Mesa's loop budget: see the top of tests/test_loop_budget.c)" : "");
    /* the form gemm.cl has now, checked */
    const int Ks[2] = {1000, 3000};
    for (int i = 0; i < 2; i++) {
        ran++;
        bad = -1;
        if (tile_case(dev, prog, "tile_written", Ks[i], seed + 1 + (unsigned)i, &bad) || bad) {
            failed++;
            if (bad > 0)
                printf("FAIL tile_written K=%d: %d of 64 outputs are not the bits of the host's "
                       "fma chain\n",
                       Ks[i], bad);
        } else {
            printf("ok   tile_written K=%d: 64 of 64 outputs bit-identical to the host's fma "
                   "chain\n",
                   Ks[i]);
        }
    }
    clReleaseProgram(prog);
    ct_device_destroy(dev);
    printf("test_loop_budget: %d passed, %d failed\n", ran - failed, failed);
    return failed ? 1 : 0;
}
