/* Helper ops: fixed-order sum, gather rows by index, argmax/binary correct counts, fill, scale. */
#include "device_util.h"

int main(void) {
    unsigned long long seed = test_seed();
    ct_device *dev = test_device();
    case_stats s = {0};
    unsigned long long k = 0;
    const int ns[] = {1, 3, 17, 255, 256, 257, 1000, 100003};
    for (int i = 0; i < 8; i++) {
        ct_check_case r = {.op = CT_CHECK_REDUCE_SUM, .N = ns[i], .beta = (i & 1) ? 1.0f : 0.0f,
                           .alpha = (i % 3 == 0) ? 1.0f / ns[i] : 1.0f};
        run_case(dev, &r, seed + k++, &s);
        ct_check_case f = {.op = CT_CHECK_FILL, .N = ns[i], .alpha = -0.125f * (i + 1)};
        run_case(dev, &f, seed + k++, &s);
        ct_check_case sc = {.op = CT_CHECK_SCALE, .N = ns[i], .alpha = 0.5f + i};
        run_case(dev, &sc, seed + k++, &s);
        ct_check_case b = {.op = CT_CHECK_BINARY_CORRECT, .M = ns[i], .N = 1};
        run_case(dev, &b, seed + k++, &s);
    }
    const int g[][3] = {{1, 1, 1}, {1, 17, 3}, {17, 3, 1}, {64, 784, 1000}, {255, 2, 17}, {1000, 33, 1025}};
    for (int i = 0; i < 6; i++) {
        ct_check_case c = {.op = CT_CHECK_GATHER_ROWS, .M = g[i][0], .N = g[i][1], .K = g[i][2]};
        run_case(dev, &c, seed + k++, &s);
    }
    const int a[][2] = {{1, 2}, {3, 3}, {17, 10}, {255, 2}, {1025, 17}, {7, 1000}};
    for (int i = 0; i < 6; i++) {
        ct_check_case c = {.op = CT_CHECK_ARGMAX_CORRECT, .M = a[i][0], .N = a[i][1]};
        run_case(dev, &c, seed + k++, &s);
    }
    ct_check_case bc = {.op = CT_CHECK_BINARY_CORRECT, .M = 17, .N = 3};
    run_case(dev, &bc, seed + k++, &s);
    ct_device_destroy(dev);
    return case_summary("test_helpers", &s);
}
