/* Kernel shapes do not change bits: on this device every shape the tuner can pick (and vectors
 * of 4, 8 and 16 floats with several register tiles) gives products bit-identical to the
 * default shape's, on odd shapes, every transpose, with alpha and beta, each also checked
 * against the reference; and the activation kernels with other elements per work-item too. */
#include <string.h>

#include "device_util.h"

typedef struct sweep_case {
    ct_check_case c;
    unsigned long long hash; /* under the default shape */
} sweep_case;

int main(void) {
    unsigned long long seed = fresh_seed();
    ct_device *dev = test_device();
    case_stats s = {0};

    /* the shapes: the tuner's candidates, then vectors of every width with small, odd and
     * wide tiles, and other elements per work-item for the activations */
    ct_kernel_config cfgs[48];
    int n = ct_kernel_config_candidates(dev, cfgs, 24);
    /* (vw, rm, nv, block, ew): vectors narrower than the device's, tiles of one row and one
     * vector, odd tiles, blocks of one and of odd sizes, other elements per work-item */
    const int extra[][5] = {{4, 1, 1, 1, 4}, {4, 5, 2, 7, 32}, {8, 3, 3, 4, 8}, {8, 6, 2, 16, 1}};
    /* (ogm, ogn, ogk, ogwm, ogwn) of the own product: one item, odd tiles, a tile deeper than
     * wide, unequal outputs per item */
    const int extra_og[][5] = {{8, 8, 8, 8, 8}, {12, 20, 8, 3, 5}, {16, 8, 32, 4, 2},
                               {48, 16, 6, 6, 4}};
    /* CLTRAIN_TEST_SHAPES=own: the own product's tiles alone, the rest of the shape the
     * default's (each change rebuilds gemm.cl's kernel only): the default and the four tiles
     * above. For rusticl, whose build of the whole program takes minutes (ctest -L rusticl). */
    const char *only = getenv("CLTRAIN_TEST_SHAPES");
    const int own_only = only && !strcmp(only, "own");
    if (only && *only && !own_only) {
        fprintf(stderr, "test_shapes: CLTRAIN_TEST_SHAPES='%s': only 'own' is known\n", only);
        return 2;
    }
    if (own_only) n = 1;
    for (int e = 0; e < 4; e++) {
        ct_kernel_config c = cfgs[0];
        if (!own_only) {
            c.vw = extra[e][0], c.rm = extra[e][1], c.nv = extra[e][2], c.block = extra[e][3];
            c.ew = extra[e][4];
        }
        c.ogm = extra_og[e][0], c.ogn = extra_og[e][1], c.ogk = extra_og[e][2];
        c.ogwm = extra_og[e][3], c.ogwn = extra_og[e][4];
        cfgs[n++] = c;
    }
    /* the product whose shapes are swept: the CPU one, or the own one under the gpu profile or
     * with CLTRAIN_TEST_SHAPES=own */
    const ct_gemm_backend be =
        !own_only && strcmp(ct_device_get_info(dev)->profile, "gpu") ? CT_GEMM_CPU : CT_GEMM_OWN;

    /* (M, N, K) as in test_gemm: ones, primes, edges, a B large enough to be packed */
    const int shapes[][3] = {{1, 1, 1},    {3, 1, 17},   {17, 33, 65},  {255, 3, 17},
                             {1025, 17, 5}, {33, 64, 100}, {9, 256, 31}, {7, 601, 459}};
    const int nshapes = (int)(sizeof shapes / sizeof shapes[0]);
    sweep_case cases[4 * 8 + 10];
    int nc = 0;
    for (int i = 0; i < nshapes; i++)
        for (int t = 0; t < 4; t++) {
            cases[nc++].c = gemm_case(shapes[i], t, be, (i + t) % 4 == 3 ? -1.5f : 1.0f,
                                      (i + t) % 3 == 1 ? 0.5f : 0.0f);
        }
    /* a dense layer's three products and the activation kernels */
    const ct_check_case more[] = {
        {.op = CT_CHECK_DENSE_FORWARD, .M = 17, .K = 255, .N = 33, .gemm = be},
        {.op = CT_CHECK_DENSE_BACKWARD_WEIGHT, .M = 64, .K = 31, .N = 17, .beta = 1.0f,
         .gemm = be},
        {.op = CT_CHECK_DENSE_BACKWARD_INPUT, .M = 3, .K = 1000, .N = 17, .gemm = be},
        {.op = CT_CHECK_BIAS_ACT_FORWARD, .M = 37, .N = 131, .act = CT_ACT_RELU},
        {.op = CT_CHECK_BIAS_ACT_FORWARD, .M = 5, .N = 257, .act = CT_ACT_GELU},
        {.op = CT_CHECK_ACT_BACKWARD, .M = 37, .N = 131, .act = CT_ACT_LEAKY_RELU, .alpha = 0.1f},
        {.op = CT_CHECK_ACT_BIAS_BACKWARD, .M = 37, .N = 131, .act = CT_ACT_RELU, .beta = 1.0f},
        {.op = CT_CHECK_ACT_BIAS_BACKWARD, .M = 5, .N = 33, .act = CT_ACT_TANH},
        {.op = CT_CHECK_ACT_FORWARD, .M = 1, .N = 1001, .act = CT_ACT_TANH},
        {.op = CT_CHECK_GATHER_PERM, .M = 17, .N = 67, .K = 1000, .step = 3, .layer = 1},
    };
    for (int i = 0; i < (int)(sizeof more / sizeof more[0]); i++)
        cases[nc++].c = more[i];

    for (int k = 0; k < n; k++) {
        char name[96];
        ct_kernel_config_format(&cfgs[k], name, sizeof name);
        ct_status st = ct_device_set_kernel_config(dev, &cfgs[k]);
        s.ran++;
        if (st != CT_OK) {
            s.failed++;
            printf("FAIL shape %s: %s\n", name, ct_device_error(dev));
            continue;
        }
        int bad = 0;
        for (int i = 0; i < nc; i++) {
            if (skip_large_product(&s, cases[i].c.M, cases[i].c.N, cases[i].c.K)) continue;
            ct_check_result r;
            st = ct_check_run(dev, &cases[i].c, seed + (unsigned long long)i, &r);
            s.ran++;
            if (st == CT_OK && r.max_rel > s.max_rel) s.max_rel = r.max_rel;
            if (st == CT_OK && r.max_abs > s.max_abs) s.max_abs = r.max_abs;
            if (st != CT_OK || !r.pass) {
                s.failed++;
                bad++;
                printf("FAIL shape %s, %s: %s %s\n", name, r.what,
                       st != CT_OK ? ct_device_error(dev) : "against the reference:",
                       st != CT_OK ? "" : r.first_bad);
            } else if (k == 0) {
                cases[i].hash = r.out_hash;
            } else if (r.out_hash != cases[i].hash) {
                s.failed++;
                bad++;
                printf("FAIL shape %s, %s: bits differ from the default shape's (%016llx vs "
                       "%016llx)\n",
                       name, r.what, (unsigned long long)r.out_hash,
                       (unsigned long long)cases[i].hash);
            }
        }
        printf("%s shape %-36s %d cases%s\n", bad ? "FAIL" : "ok  ", name, nc,
               k == 0 ? " (the default: the bits every other shape must give)"
                      : ", bit-identical to the default shape");
    }
    ct_device_destroy(dev);
    return case_summary("test_shapes", &s);
}
