/* Helper ops: fixed-order sum, gather rows by index, argmax/binary correct counts, fill, scale. */
#include "device_util.h"

#include "ops.h"

/* An epoch of row numbers gathered on the device is a permutation of 0..n-1, and the next
 * epoch is a different one. */
static void epoch_is_permutation(ct_device *dev, unsigned long long seed, case_stats *s) {
    const int ns[] = {1, 2, 3, 17, 1000, 4097};
    for (int t = 0; t < 6; t++) {
        int n = ns[t];
        int32_t *rows = malloc((size_t)n * 4), *got = malloc((size_t)n * 4),
                *got2 = malloc((size_t)n * 4);
        char *seen = calloc((size_t)n, 1);
        cl_mem src = NULL, out = NULL;
        ct_status st = rows && got && got2 && seen ? CT_OK : CT_ERR_ALLOC;
        for (int i = 0; !st && i < n; i++)
            rows[i] = i;
        if (!st) st = ct_buffer_create(dev, &src, (size_t)n * 4, "rows");
        if (!st) st = ct_buffer_create(dev, &out, (size_t)n * 4, "out");
        if (!st) st = ct_buffer_write(dev, src, 0, (size_t)n * 4, rows);
        /* the epoch in batches of 7 (the last one partial) */
        for (int b = 0; !st && b < n; b += 7) {
            int B = n - b < 7 ? n - b : 7;
            st = ct_gather_perm(dev, ct_at(out, (size_t)b), ct_at(src, 0), B, 1, b, n, 1, seed, 3);
        }
        if (!st) st = ct_buffer_read(dev, out, 0, (size_t)n * 4, got);
        if (!st) st = ct_gather_perm(dev, ct_at(out, 0), ct_at(src, 0), n, 1, 0, n, 1, seed, 4);
        if (!st) st = ct_buffer_read(dev, out, 0, (size_t)n * 4, got2);
        s->ran++;
        if (st) {
            s->failed++;
            printf("FAIL epoch permutation n=%d: %s\n", n, ct_device_error(dev));
        } else {
            int bad = 0, moved = 0, differ = 0;
            for (int i = 0; i < n; i++) {
                if (got[i] < 0 || got[i] >= n || seen[got[i]]++) bad = 1;
                moved += got[i] != i;
                differ += got[i] != got2[i];
            }
            /* n >= 17: a real shuffle moves most rows, and two epochs differ */
            int weak = n >= 17 && (moved < n / 2 || differ < n / 2);
            if (bad || weak) {
                s->failed++;
                printf("FAIL epoch permutation n=%d: %s (moved %d, differs from the next epoch in "
                       "%d)\n",
                       n, bad ? "not a permutation" : "barely shuffled", moved, differ);
            } else {
                printf("ok   epoch of %d rows is a permutation (moved %d, differs from the next "
                       "epoch in %d)\n",
                       n, moved, differ);
            }
        }
        if (src) clReleaseMemObject(src);
        if (out) clReleaseMemObject(out);
        free(rows);
        free(got);
        free(got2);
        free(seen);
    }
}

int main(void) {
    unsigned long long seed = fresh_seed();
    ct_device *dev = test_device();
    case_stats s = {0};
    unsigned long long k = 0;
    const int ns[] = {1, 3, 17, 255, 256, 257, 1000, 100003};
    for (int i = 0; i < 8; i++) {
        if (skip_large(&s, ns[i])) {
            k += 4; /* four cases: reduce_sum, fill, scale, binary_correct */
            s.skipped += 3;
            continue;
        }
        ct_check_case r = {.op = CT_CHECK_REDUCE_SUM,
                           .N = ns[i],
                           .beta = (i & 1) ? 1.0f : 0.0f,
                           .alpha = (i % 3 == 0) ? 1.0f / ns[i] : 1.0f};
        run_case(dev, &r, seed + k++, &s);
        ct_check_case f = {.op = CT_CHECK_FILL, .N = ns[i], .alpha = -0.125f * (i + 1)};
        run_case(dev, &f, seed + k++, &s);
        ct_check_case sc = {.op = CT_CHECK_SCALE, .N = ns[i], .alpha = 0.5f + i};
        run_case(dev, &sc, seed + k++, &s);
        ct_check_case b = {.op = CT_CHECK_BINARY_CORRECT, .M = ns[i], .N = 1};
        run_case(dev, &b, seed + k++, &s);
    }
    const int g[][3] = {{1, 1, 1},       {1, 17, 3},   {17, 3, 1},
                        {64, 784, 1000}, {255, 2, 17}, {1000, 33, 1025}};
    for (int i = 0; i < 6; i++) {
        if (skip_large(&s, (long long)g[i][0] * g[i][1])) {
            k++;
            continue;
        }
        ct_check_case c = {.op = CT_CHECK_GATHER_ROWS, .M = g[i][0], .N = g[i][1], .K = g[i][2]};
        run_case(dev, &c, seed + k++, &s);
    }
    const int a[][2] = {{1, 2}, {3, 3}, {17, 10}, {255, 2}, {1025, 17}, {7, 1000}};
    for (int i = 0; i < 6; i++) {
        if (skip_large(&s, (long long)a[i][0] * a[i][1])) {
            k++;
            continue;
        }
        ct_check_case c = {.op = CT_CHECK_ARGMAX_CORRECT, .M = a[i][0], .N = a[i][1]};
        run_case(dev, &c, seed + k++, &s);
    }
    ct_check_case bc = {.op = CT_CHECK_BINARY_CORRECT, .M = 17, .N = 3};
    run_case(dev, &bc, seed + k++, &s);
    /* epoch gathers: (B, F, n, start, shuffle), the last partial batch included */
    const int gp[][5] = {{1, 1, 1, 0, 1},         {3, 2, 3, 0, 1},          {17, 5, 100, 83, 1},
                         {40, 784, 1000, 960, 1}, {255, 1, 60000, 1234, 1}, {17, 3, 100, 50, 0}};
    for (int i = 0; i < 6; i++) {
        if (skip_large(&s, (long long)gp[i][0] * gp[i][1])) {
            k++;
            continue;
        }
        ct_check_case c = {.op = CT_CHECK_GATHER_PERM,
                           .M = gp[i][0],
                           .N = gp[i][1],
                           .K = gp[i][2],
                           .step = (uint64_t)gp[i][3],
                           .layer = (uint32_t)gp[i][4]};
        run_case(dev, &c, seed + k++, &s);
    }
    const int ax[] = {1, 3, 17, 1001, 100003};
    for (int i = 0; i < 5; i++) {
        if (skip_large(&s, ax[i])) {
            k++;
            continue;
        }
        ct_check_case c = {.op = CT_CHECK_AXPY, .N = ax[i], .alpha = 0.5f - i};
        run_case(dev, &c, seed + k++, &s);
    }
    epoch_is_permutation(dev, seed, &s);
    ct_device_destroy(dev);
    return case_summary("test_helpers", &s);
}
