/* The same op twice on the same inputs gives bit-identical output: every selftest case, on
 * every matrix-product backend, plus larger reductions where a varying order would show; the
 * reductions give the same bits whatever their work-group size. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "device_util.h"

static int run_twice(ct_device *dev, const ct_check_case *c, unsigned long long seed,
                     case_stats *s) {
    ct_check_result a, b;
    ct_status sa = ct_check_run(dev, c, seed, &a);
    ct_status sb = ct_check_run(dev, c, seed, &b);
    s->ran++;
    if (sa != CT_OK || sb != CT_OK || !a.pass || !b.pass) {
        s->failed++;
        printf("FAIL %s: did not run or not correct: %s %s\n", a.what, ct_device_error(dev),
               a.first_bad);
        return 0;
    }
    if (a.out_hash != b.out_hash || a.out_hash == 0) {
        s->failed++;
        printf("FAIL %s: two runs differ (output hash %016llx vs %016llx)\n", a.what,
               (unsigned long long)a.out_hash, (unsigned long long)b.out_hash);
        return 0;
    }
    printf("ok   %-64s bit-identical twice (%016llx)\n", a.what, (unsigned long long)a.out_hash);
    return 1;
}

int main(void) {
    unsigned long long seed = fresh_seed();
    ct_device *dev = test_device();
    case_stats s = {0};
    const ct_check_case *cases;
    int n = ct_check_selftest_cases(&cases);
    int clblast = ct_device_clblast_works(dev, NULL);
    for (int i = 0; i < n; i++) {
        ct_check_case c = cases[i];
        int product = c.op == CT_CHECK_GEMM || c.op == CT_CHECK_DENSE_FORWARD ||
                      c.op == CT_CHECK_DENSE_BACKWARD_WEIGHT ||
                      c.op == CT_CHECK_DENSE_BACKWARD_INPUT;
        if (product && skip_large_product(&s, c.M, c.N, c.K)) continue;
        if (product) {
            c.gemm = CT_GEMM_OWN;
            run_twice(dev, &c, seed + (unsigned long long)i, &s);
            c.gemm = CT_GEMM_CPU;
            run_twice(dev, &c, seed + (unsigned long long)i, &s);
            if (!clblast) continue;
            c.gemm = CT_GEMM_CLBLAST;
        }
        run_twice(dev, &c, seed + (unsigned long long)i, &s);
    }
    ct_check_case big[] = {
        {.op = CT_CHECK_SUM_SQUARES, .N = 1 << 20},
        {.op = CT_CHECK_REDUCE_SUM, .N = 100003},
        {.op = CT_CHECK_BIAS_BACKWARD, .M = 4099, .N = 3},
        {.op = CT_CHECK_LOSS, .loss = CT_LOSS_SOFTMAX_CE, .M = 4099, .N = 10},
        {.op = CT_CHECK_ARGMAX_CORRECT, .M = 4099, .N = 10},
    };
    for (int i = 0; i < (int)(sizeof big / sizeof big[0]); i++) {
        long long rows = big[i].M ? big[i].M : 1;
        if (!skip_large(&s, rows * big[i].N)) run_twice(dev, &big[i], seed + 1000 + i, &s);
    }
    /* The reductions' bits do not depend on the work-group size: the same cases on a device
     * built for groups of 4 and of 32 (CLTRAIN_RED_WG, as a device with a low limit would). */
    ct_check_case red[] = {
        {.op = CT_CHECK_SUM_SQUARES, .N = 100003},
        {.op = CT_CHECK_SUM_SQUARES, .N = 3},
        {.op = CT_CHECK_REDUCE_SUM, .N = 100003},
        {.op = CT_CHECK_REDUCE_SUM, .N = 255},
        {.op = CT_CHECK_LOSS, .loss = CT_LOSS_SOFTMAX_CE, .M = 1001, .N = 10},
        {.op = CT_CHECK_LOSS, .loss = CT_LOSS_MSE, .M = 517, .N = 3},
    };
    int nred = (int)(sizeof red / sizeof red[0]);
    unsigned long long want[sizeof red / sizeof red[0]];
    for (int i = 0; i < nred; i++) {
        ct_check_result r;
        want[i] = 0;
        if (ct_check_run(dev, &red[i], seed + 2000 + i, &r) == CT_OK && r.pass)
            want[i] = r.out_hash;
    }
    ct_device_destroy(dev);
    static const char *const wgs[] = {"4", "32"};
    for (int w = 0; w < 2; w++) {
        setenv("CLTRAIN_RED_WG", wgs[w], 1);
        ct_device *small = test_device();
        unsetenv("CLTRAIN_RED_WG");
        for (int i = 0; i < nred; i++) {
            ct_check_result r;
            ct_status st = ct_check_run(small, &red[i], seed + 2000 + i, &r);
            s.ran++;
            if (st != CT_OK || !r.pass || want[i] == 0 || r.out_hash != want[i]) {
                s.failed++;
                printf("FAIL %s: work-group %s gives %016llx, 256 gave %016llx (%s)\n", r.what,
                       wgs[w], (unsigned long long)r.out_hash, (unsigned long long)want[i],
                       st != CT_OK ? ct_device_error(small) : r.first_bad);
                continue;
            }
            printf("ok   %-64s same bits with work-groups of %s (%016llx)\n", r.what, wgs[w],
                   (unsigned long long)r.out_hash);
        }
        ct_device_destroy(small);
    }
    return case_summary("test_determinism", &s);
}
