/* Optimizer updates over a flat buffer (SGD, momentum, Nesterov, RMSprop, Adam, AdamW) with
 * weight decay and clipping, the squared gradient norm, and Adam's first step size. */
#include <math.h>

#include "device_util.h"
#include "ops.h"

static ct_check_case opt_case(ct_optim kind, int n, long long t, float wd, float clip) {
    ct_check_case c = {.op = CT_CHECK_OPTIM, .N = n, .step = (uint64_t)t};
    c.optim = ct_optim_defaults(kind);
    c.optim.lr = kind == CT_OPT_ADAM || kind == CT_OPT_ADAMW ? 0.003f : 0.05f;
    c.optim.weight_decay = wd;
    c.optim.clip_norm = clip;
    if (kind == CT_OPT_MOMENTUM) c.optim.dampening = 0.1f;
    return c;
}

/* Adam's first step moves every parameter by lr * g / (|g| + eps / 1) ~= lr * sign(g): the
 * bias correction makes m_hat = g and v_hat = g^2 at t = 1. */
static void adam_first_step(ct_device *dev, unsigned long long seed, case_stats *s) {
    enum { N = 1001 };
    float P[N], G[N], P1[N], zero[N];
    unsigned long long z = seed;
    for (int i = 0; i < N; i++) {
        z = z * 6364136223846793005ULL + 1442695040888963407ULL;
        float u = (float)((z >> 40) & 0xFFFF) / 65536.0f;
        P[i] = u - 0.5f;
        G[i] = (i & 1 ? 1.0f : -1.0f) * (0.01f + u); /* never 0 */
        zero[i] = 0.0f;
    }
    ct_optim_params o = ct_optim_defaults(CT_OPT_ADAM);
    o.lr = 0.01f;
    cl_mem p = NULL, g = NULL, m = NULL, v = NULL, gn = NULL;
    ct_status st = CT_OK;
    if ((st = ct_buffer_create(dev, &p, sizeof P, "P")) ||
        (st = ct_buffer_create(dev, &g, sizeof G, "G")) ||
        (st = ct_buffer_create(dev, &m, sizeof P, "m")) ||
        (st = ct_buffer_create(dev, &v, sizeof P, "v")) ||
        (st = ct_buffer_create(dev, &gn, sizeof(float), "gnorm")) ||
        (st = ct_buffer_write(dev, p, 0, sizeof P, P)) ||
        (st = ct_buffer_write(dev, g, 0, sizeof G, G)) ||
        (st = ct_buffer_write(dev, m, 0, sizeof zero, zero)) ||
        (st = ct_buffer_write(dev, v, 0, sizeof zero, zero)) ||
        (st = ct_optim_step(dev, &o, ct_at(p, 0), ct_at(m, 0), ct_at(v, 0), ct_at(g, 0),
                            ct_at(gn, 0), 1, N)) ||
        (st = ct_buffer_read(dev, p, 0, sizeof P1, P1))) {
        s->ran++;
        s->failed++;
        printf("FAIL adam first step: %s\n", ct_device_error(dev));
    } else {
        double worst = 0;
        for (int i = 0; i < N; i++) {
            double step = (double)P[i] - P1[i];
            double want = o.lr * (G[i] > 0 ? 1 : -1) * fabs(G[i]) / (fabs(G[i]) + o.eps);
            worst = fmax(worst, fabs(step - want) / o.lr);
        }
        s->ran++;
        /* float rounding of p - step with |p| < 0.5: up to ~3e-8 absolute, i.e. 3e-6 of lr */
        if (worst > 1e-5) {
            s->failed++;
            printf("FAIL adam first step: |dp - lr sign(g)| / lr up to %.3g (want <= 1e-5)\n",
                   worst);
        } else {
            printf("ok   adam first step moves each parameter by lr * sign(g) (worst %.3g of lr)\n",
                   worst);
        }
    }
    cl_mem all[] = {p, g, m, v, gn};
    for (int i = 0; i < 5; i++)
        if (all[i]) clReleaseMemObject(all[i]);
}

int main(void) {
    unsigned long long seed = fresh_seed();
    ct_device *dev = test_device();
    case_stats s = {0};
    const int ns[] = {1, 3, 17, 1001, 100003};
    unsigned long long k = 0;
    for (int o = 0; o < CT_OPT_COUNT; o++)
        for (int i = 0; i < 5; i++)
            for (long long t = 1; t <= 3; t += 2) {
                if (skip_large(&s, ns[i])) {
                    k++;
                    continue;
                }
                float wd = (i & 1) ? 0.01f : 0.0f;
                float clip =
                    (i == 3) ? 0.5f : (i == 2 ? 100.0f : 0.0f); /* clipping on and not binding */
                ct_check_case c = opt_case((ct_optim)o, ns[i], t, wd, clip);
                run_case(dev, &c, seed + k++, &s);
            }
    /* a late step (bias corrections near 1) and large gradients with clipping */
    ct_check_case late = opt_case(CT_OPT_ADAM, 255, 10000, 0, 0);
    run_case(dev, &late, seed + k++, &s);
    ct_check_case big = opt_case(CT_OPT_ADAMW, 255, 2, 0.1f, 1.0f);
    big.range = 100.0f;
    run_case(dev, &big, seed + k++, &s);
    /* the squared global norm (fixed-order reduction) */
    const int sn[] = {1, 3, 17, 255, 1000, 65, 100003, 1 << 20};
    for (int i = 0; i < (int)(sizeof sn / sizeof sn[0]); i++) {
        if (skip_large(&s, sn[i])) {
            k++;
            continue;
        }
        ct_check_case c = {.op = CT_CHECK_SUM_SQUARES, .N = sn[i]};
        run_case(dev, &c, seed + k++, &s);
    }
    adam_first_step(dev, seed, &s);
    ct_device_destroy(dev);
    return case_summary("test_optim", &s);
}
