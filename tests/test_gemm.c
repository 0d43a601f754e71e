/* Matrix products (own kernel and CLBlast) and the three products of a dense layer against the
 * reference, on odd shapes, every transpose, with alpha and beta. */
#include "device_util.h"

int main(void) {
    unsigned long long seed = fresh_seed();
    ct_device *dev = test_device();
    case_stats s = {0};
    const char *why = NULL;
    int clblast = ct_device_clblast_works(dev, &why);
    printf("CLBlast: %s%s\n", clblast ? "works" : "unavailable: ", clblast ? "" : why);
    ct_gemm_backend backends[3] = {CT_GEMM_OWN, CT_GEMM_CPU, CT_GEMM_CLBLAST};
    int nb = clblast ? 3 : 2;

    /* (M, N, K): ones, primes, tile edges plus one, 255 and 1000+; 7 x 601 x 459 is large
     * enough that the CPU kernel packs B even when it is not transposed (K * N > 2^18) */
    const int shapes[][3] = {{1, 1, 1},     {3, 1, 17},     {1, 17, 3},      {17, 13, 9},
                             {16, 16, 16},  {17, 33, 65},   {255, 3, 17},    {3, 255, 1000},
                             {1025, 17, 5}, {64, 100, 129}, {385, 391, 397}, {33, 64, 100},
                             {9, 256, 31},  {7, 601, 459}};
    const int nshapes = (int)(sizeof shapes / sizeof shapes[0]);
    unsigned long long k = 0;
    for (int b = 0; b < nb; b++)
        for (int i = 0; i < nshapes; i++)
            for (int t = 0; t < 4; t++) {
                if (skip_large_product(&s, shapes[i][0], shapes[i][1], shapes[i][2])) {
                    k++;
                    continue;
                }
                ct_check_case c = {.op = CT_CHECK_GEMM,
                                   .M = shapes[i][0],
                                   .N = shapes[i][1],
                                   .K = shapes[i][2],
                                   .transA = t & 1,
                                   .transB = t >> 1,
                                   .gemm = backends[b]};
                c.beta = (i % 3 == 1) ? 0.5f : 0.0f; /* beta 0 must ignore a NaN-poisoned C */
                c.alpha = (i % 4 == 3) ? -1.5f : 1.0f;
                run_case(dev, &c, seed + k++, &s);
            }
    /* the dense layer: (B, in, out) */
    const int dense[][3] = {{1, 1, 1}, {1, 784, 10}, {17, 3, 255}, {64, 255, 33}, {3, 1000, 17}};
    for (int b = 0; b < nb; b++)
        for (int i = 0; i < (int)(sizeof dense / sizeof dense[0]); i++) {
            ct_check_op ops[3] = {CT_CHECK_DENSE_FORWARD, CT_CHECK_DENSE_BACKWARD_WEIGHT,
                                  CT_CHECK_DENSE_BACKWARD_INPUT};
            for (int o = 0; o < 3; o++) {
                if (skip_large_product(&s, dense[i][0], dense[i][2], dense[i][1])) {
                    k++;
                    continue;
                }
                ct_check_case c = {.op = ops[o],
                                   .M = dense[i][0],
                                   .K = dense[i][1],
                                   .N = dense[i][2],
                                   .gemm = backends[b]};
                if (o == 1 && (i & 1)) c.beta = 1.0f; /* accumulate into dW */
                run_case(dev, &c, seed + k++, &s);
            }
        }
    /* forcing CLBlast where it does not work is an error with a message, not a crash */
    if (!clblast) {
        ct_status st = ct_device_set_gemm(dev, CT_GEMM_CLBLAST);
        s.ran++;
        if (st != CT_ERR_CLBLAST || !*ct_device_error(dev)) {
            s.failed++;
            printf("FAIL forcing CLBlast where it does not work returned %s\n", ct_status_name(st));
        }
    }
    ct_device_destroy(dev);
    return case_summary("test_gemm", &s);
}
