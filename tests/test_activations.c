/* Bias + activation forward, activation forward and backward, bias gradient, and the fused
 * activation + bias gradient pass: every activation, odd shapes, against the reference (the
 * fused pass also bit for bit against the two kernels it replaces). */
#include "device_util.h"

int main(void) {
    unsigned long long seed = fresh_seed();
    ct_device *dev = test_device();
    case_stats s = {0};
    const int shapes[][2] = {{1, 1}, {1, 3}, {17, 1}, {3, 17}, {255, 17}, {17, 1001}};
    unsigned long long k = 0;
    for (int a = 0; a < CT_ACT_COUNT; a++)
        for (int i = 0; i < (int)(sizeof shapes / sizeof shapes[0]); i++) {
            ct_check_op ops[4] = {CT_CHECK_BIAS_ACT_FORWARD, CT_CHECK_ACT_FORWARD,
                                  CT_CHECK_ACT_BACKWARD, CT_CHECK_ACT_BIAS_BACKWARD};
            for (int o = 0; o < 4; o++) {
                if (skip_large(&s, (long long)shapes[i][0] * shapes[i][1])) {
                    k++;
                    continue;
                }
                ct_check_case c = {.op = ops[o],
                                   .act = (ct_act)a,
                                   .alpha = ct_act_default_alpha((ct_act)a),
                                   .M = shapes[i][0],
                                   .N = shapes[i][1]};
                c.range = (i == 5) ? 20.0f : 4.0f;  /* wide inputs reach saturation */
                c.beta = (i + a) % 2 ? 1.0f : 0.0f; /* the fused pass: accumulate or not */
                run_case(dev, &c, seed + k++, &s);
            }
        }
    /* other parameters of leaky_relu and elu */
    ct_check_case extra[] = {
        {.op = CT_CHECK_ACT_BACKWARD, .act = CT_ACT_LEAKY_RELU, .alpha = 0.3f, .M = 1, .N = 255},
        {.op = CT_CHECK_ACT_BACKWARD, .act = CT_ACT_ELU, .alpha = 0.5f, .M = 1, .N = 255},
        {.op = CT_CHECK_BIAS_ACT_FORWARD, .act = CT_ACT_ELU, .alpha = 2.0f, .M = 3, .N = 17},
    };
    for (int i = 0; i < (int)(sizeof extra / sizeof extra[0]); i++)
        run_case(dev, &extra[i], seed + k++, &s);
    /* bias gradient: column sums, with and without accumulation */
    const int bshapes[][2] = {{1, 1}, {1, 17}, {17, 1}, {255, 3}, {1025, 33}, {64, 1000}};
    for (int i = 0; i < (int)(sizeof bshapes / sizeof bshapes[0]); i++) {
        if (skip_large(&s, (long long)bshapes[i][0] * bshapes[i][1])) {
            k++;
            continue;
        }
        ct_check_case c = {.op = CT_CHECK_BIAS_BACKWARD,
                           .M = bshapes[i][0],
                           .N = bshapes[i][1],
                           .beta = (i & 1) ? 1.0f : 0.0f};
        run_case(dev, &c, seed + k++, &s);
    }
    ct_device_destroy(dev);
    return case_summary("test_activations", &s);
}
