/* Fused losses (softmax-CE, sigmoid-BCE, MSE, Huber): mean loss reduced on the device and the
 * gradient with respect to the logits, against the reference; extreme logits. */
#include <math.h>
#include <string.h>

#include "device_util.h"
#include "ops.h"

/* Softmax-CE and BCE with logits of +-1000 on the device: finite loss, exact gradient. */
static void extreme_logits(ct_device *dev, case_stats *s) {
    /* softmax-CE, B = 2, C = 3: row 0 logits (1000, -1000, 0) label 0 -> loss 0, grad 0;
     * row 1 logits (-1000, 1000, 0) label 0 -> loss 2000, grad (-1, 1, 0) / B */
    float Z[6] = {1000, -1000, 0, -1000, 1000, 0};
    int32_t labels[2] = {0, 0};
    /* BCE, 4 elements: z = 1000 t 1 -> 0; z = -1000 t 0 -> 0; z = 1000 t 0 -> 1000; z = -1000 t 1
     * -> 1000 */
    float Zb[4] = {1000, -1000, 1000, -1000}, Tb[4] = {1, 0, 0, 1};
    cl_mem z = NULL, lab = NULL, zb = NULL, tb = NULL, loss = NULL, dz = NULL, rl = NULL;
    float out[8], l[2];
    ct_status st = CT_OK;
    if ((st = ct_buffer_create(dev, &z, sizeof Z, "Z")) ||
        (st = ct_buffer_create(dev, &lab, sizeof labels, "labels")) ||
        (st = ct_buffer_create(dev, &zb, sizeof Zb, "Zb")) ||
        (st = ct_buffer_create(dev, &tb, sizeof Tb, "Tb")) ||
        (st = ct_buffer_create(dev, &loss, 2 * sizeof(float), "loss")) ||
        (st = ct_buffer_create(dev, &dz, 8 * sizeof(float), "dZ")) ||
        (st = ct_buffer_create(dev, &rl, 8 * sizeof(float), "rowloss")) ||
        (st = ct_buffer_write(dev, z, 0, sizeof Z, Z)) ||
        (st = ct_buffer_write(dev, lab, 0, sizeof labels, labels)) ||
        (st = ct_buffer_write(dev, zb, 0, sizeof Zb, Zb)) ||
        (st = ct_buffer_write(dev, tb, 0, sizeof Tb, Tb)))
        goto done;
    st = ct_loss_forward_backward(dev, CT_LOSS_SOFTMAX_CE, ct_at(loss, 0), ct_at(dz, 0),
                                  ct_at(rl, 0), ct_at(z, 0), ct_at(lab, 0), 2, 3, 0, 0);
    if (!st) st = ct_buffer_read(dev, dz, 0, 6 * sizeof(float), out);
    if (!st) st = ct_buffer_read(dev, loss, 0, sizeof(float), &l[0]);
    if (st) goto done;
    {
        const float want[6] = {0, 0, 0, -0.5f, 0.5f, 0};
        s->ran++;
        int bad = !(fabsf(l[0] - 1000.0f) <= 1e-3f); /* mean of 0 and 2000 */
        for (int i = 0; i < 6; i++)
            bad |= !(fabsf(out[i] - want[i]) <= 1e-6f);
        if (bad) {
            s->failed++;
            printf("FAIL softmax_ce at +-1000: loss %g (want 1000), dZ %g %g %g %g %g %g (want 0 0 "
                   "0 -0.5 0.5 0)\n",
                   l[0], out[0], out[1], out[2], out[3], out[4], out[5]);
        } else {
            printf("ok   softmax_ce with logits of +-1000: loss %g, gradient exact\n", l[0]);
        }
    }
    st = ct_loss_forward_backward(dev, CT_LOSS_SIGMOID_BCE, ct_at(loss, 1), ct_at(dz, 0),
                                  ct_at(rl, 0), ct_at(zb, 0), ct_at(tb, 0), 4, 1, 0, 0);
    if (!st) st = ct_buffer_read(dev, dz, 0, 4 * sizeof(float), out);
    if (!st) st = ct_buffer_read(dev, loss, sizeof(float), sizeof(float), &l[1]);
    if (st) goto done;
    {
        const float want[4] = {0, 0, 0.25f, -0.25f};
        s->ran++;
        int bad = !(fabsf(l[1] - 500.0f) <= 1e-3f); /* (0 + 0 + 1000 + 1000) / 4 */
        for (int i = 0; i < 4; i++)
            bad |= !(fabsf(out[i] - want[i]) <= 1e-7f);
        if (bad) {
            s->failed++;
            printf("FAIL sigmoid_bce at +-1000: loss %g (want 500), dZ %g %g %g %g (want 0 0 0.25 "
                   "-0.25)\n",
                   l[1], out[0], out[1], out[2], out[3]);
        } else {
            printf("ok   sigmoid_bce with logits of +-1000: loss %g, gradient exact\n", l[1]);
        }
    }
done:
    if (st) {
        s->ran++;
        s->failed++;
        printf("FAIL extreme logits: %s\n", ct_device_error(dev));
    }
    cl_mem all[] = {z, lab, zb, tb, loss, dz, rl};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (all[i]) clReleaseMemObject(all[i]);
}

int main(void) {
    unsigned long long seed = fresh_seed();
    ct_device *dev = test_device();
    case_stats s = {0};
    const int shapes[][2] = {{1, 1},   {1, 3},   {3, 1},     {17, 2},
                             {17, 10}, {255, 3}, {1025, 17}, {3, 1000}};
    unsigned long long k = 0;
    for (int l = 0; l < CT_LOSS_COUNT; l++)
        for (int i = 0; i < (int)(sizeof shapes / sizeof shapes[0]); i++) {
            if (l == CT_LOSS_SOFTMAX_CE && shapes[i][1] == 1)
                continue; /* one class: nothing to learn */
            if (skip_large(&s, (long long)shapes[i][0] * shapes[i][1])) {
                k++;
                continue;
            }
            ct_check_case c = {.op = CT_CHECK_LOSS,
                               .loss = (ct_loss)l,
                               .M = shapes[i][0],
                               .N = shapes[i][1],
                               .delta = 1.0f};
            c.range = (i == 6) ? 30.0f : 3.0f; /* large logits: the stable formulas */
            c.beta = (i == 4) ? 1.0f : 0.0f;   /* accumulate into the loss */
            c.K = (i == 2) ? 1 : 0;            /* loss alone, no gradient */
            if (l == CT_LOSS_HUBER && i == 5) c.delta = 0.25f;
            run_case(dev, &c, seed + k++, &s);
        }
    extreme_logits(dev, &s);
    ct_device_destroy(dev);
    return case_summary("test_loss", &s);
}
