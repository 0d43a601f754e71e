/* One optimizer step, two copies of the kernels, in one process, in turns: what a kernel change
 * costs or saves, without the round-to-round drift of a shared machine that separate processes
 * see (bench/exact_cost.sh runs it after the steps).
 *
 *   optim_ab DIR_A DIR_B [PARAMS] [LAUNCHES] [OPTIMIZER]
 *
 * DIR: a folder with the kernels' .cl files (as CLTRAIN_KERNELS_DIR), or "-" for the built-in
 * copy. Each copy gets a device of its own, opened with $CLTRAIN_DEVICE (default: the default
 * device), with the same build options and launch shape as a training run. PARAMS (default
 * 235146, a64's and a256's parameters) values per buffer; LAUNCHES (default 300) steps of each
 * copy, alternately, after 10 of each to warm up; OPTIMIZER (default adam). Prints the median
 * and the 10th percentile of each copy's step, and their ratio. Exit 0, or 2 on bad arguments or
 * a device that does not open. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cltrain.h"
#include "ops.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct {
    ct_device *dev;
    cl_mem P, M, V, G, gn;
} side;

static int open_side(side *s, const char *dir, const float *init, const float *grad, int n) {
    char msg[CT_MSG_LEN];
    if (strcmp(dir, "-") == 0)
        unsetenv("CLTRAIN_KERNELS_DIR");
    else
        setenv("CLTRAIN_KERNELS_DIR", dir, 1);
    if (ct_device_create(&s->dev, NULL, msg) != CT_OK) {
        fprintf(stderr, "optim_ab: kernels %s: %s\n", dir, msg);
        return 0;
    }
    size_t bytes = (size_t)n * sizeof(float);
    float one = 1.0f;
    if (ct_buffer_create(s->dev, &s->P, bytes, "P") ||
        ct_buffer_create(s->dev, &s->M, bytes, "M") ||
        ct_buffer_create(s->dev, &s->V, bytes, "V") ||
        ct_buffer_create(s->dev, &s->G, bytes, "G") ||
        ct_buffer_create(s->dev, &s->gn, sizeof one, "gnorm") ||
        ct_buffer_write(s->dev, s->P, 0, bytes, init) ||
        ct_buffer_write(s->dev, s->M, 0, bytes, grad) ||
        ct_buffer_write(s->dev, s->V, 0, bytes, init) ||
        ct_buffer_write(s->dev, s->G, 0, bytes, grad) ||
        ct_buffer_write(s->dev, s->gn, 0, sizeof one, &one)) {
        fprintf(stderr, "optim_ab: kernels %s: %s\n", dir, ct_device_error(s->dev));
        return 0;
    }
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 3 || argc > 6) {
        fprintf(stderr, "usage: optim_ab DIR_A DIR_B [PARAMS] [LAUNCHES] [OPTIMIZER]\n");
        return 2;
    }
    int n = argc > 3 ? atoi(argv[3]) : 235146;
    int launches = argc > 4 ? atoi(argv[4]) : 300;
    ct_optim kind = CT_OPT_ADAM;
    if (argc > 5 && !ct_optim_parse(argv[5], &kind)) {
        fprintf(stderr, "optim_ab: unknown optimizer '%s'\n", argv[5]);
        return 2;
    }
    if (n < 1 || launches < 1) {
        fprintf(stderr, "optim_ab: PARAMS and LAUNCHES must be positive integers\n");
        return 2;
    }
    float *init = malloc((size_t)n * sizeof(float)), *grad = malloc((size_t)n * sizeof(float));
    double *t[2] = {malloc((size_t)launches * sizeof(double)),
                    malloc((size_t)launches * sizeof(double))};
    if (!init || !grad || !t[0] || !t[1]) {
        fprintf(stderr, "optim_ab: out of memory\n");
        return 2;
    }
    /* weights and squared moments in [0, 0.25], gradients and first moments in [-0.5, 0.5] */
    for (int i = 0; i < n; i++) {
        float u = (float)(((unsigned)i * 2654435761u) % 1000u) / 1000.0f - 0.5f;
        grad[i] = u;
        init[i] = u * u;
    }
    side s[2] = {{0}, {0}};
    if (!open_side(&s[0], argv[1], init, grad, n) || !open_side(&s[1], argv[2], init, grad, n))
        return 2;
    ct_optim_params o = ct_optim_defaults(kind);
    for (int r = 0; r < launches + 10; r++)
        for (int k = 0; k < 2; k++) {
            double t0 = now();
            if (ct_optim_step(s[k].dev, &o, ct_at(s[k].P, 0), ct_at(s[k].M, 0), ct_at(s[k].V, 0),
                              ct_at(s[k].G, 0), ct_at(s[k].gn, 0), 2 + r, n) != CT_OK ||
                ct_device_finish(s[k].dev) != CT_OK) {
                fprintf(stderr, "optim_ab: kernels %s: %s\n", argv[1 + k],
                        ct_device_error(s[k].dev));
                return 2;
            }
            if (r >= 10) t[k][r - 10] = now() - t0;
        }
    double med[2];
    for (int k = 0; k < 2; k++) {
        qsort(t[k], (size_t)launches, sizeof(double), cmp_double);
        med[k] = t[k][launches / 2];
        printf("%s step, %d parameters, kernels %s: median %.3f ms, 10th percentile %.3f ms\n",
               ct_optim_name(kind), n, argv[1 + k], med[k] * 1e3, t[k][launches / 10] * 1e3);
    }
    printf("A / B: %.3f (A - B: %+.3f ms)\n", med[0] / med[1], (med[0] - med[1]) * 1e3);
    for (int k = 0; k < 2; k++) {
        cl_mem all[] = {s[k].P, s[k].M, s[k].V, s[k].G, s[k].gn};
        for (int i = 0; i < 5; i++)
            clReleaseMemObject(all[i]);
        ct_device_destroy(s[k].dev);
    }
    free(init);
    free(grad);
    free(t[0]);
    free(t[1]);
    return 0;
}
