/* Fused losses (softmax-CE, sigmoid-BCE, MSE, Huber): mean loss reduced on the device and the
 * gradient with respect to the logits, against the reference; extreme logits. A batch in two
 * parts (ct_loss_forward_backward_part, ref_loss_part): the parts' losses sum to the whole's, their
 * dZ rows are the whole's, and a whole batch smaller than its part is refused. A regression's
 * mean absolute error (ct_abs_error) against ref_abs_error, whole and in parts. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "device_util.h"
#include "ops.h"
#include "ref.h"
#include "util.h"

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

/* The largest |a - b| / scale over n floats. */
static double max_diff_f(const float *a, const float *b, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs((double)a[i] - (double)b[i]));
    return m;
}

/* One batch of B rows (C outputs) split into rows [0, B1) and [B1, B) (0 < B1 < B): on the device,
 * the whole batch through ct_loss_forward_backward and each part through
 * ct_loss_forward_backward_part with B_total = B, each part's rows at their offsets in the same Z,
 * target and dZ buffers.
 * - dZ of the parts equals the whole batch's dZ bit for bit (one work-item per row computes a
 *   row's gradient from that row alone and the same gscale 1 / B_total);
 * - l1 + l2 equals the whole loss within 1e-7 + 16 float epsilons of sum |rowloss| / count (each
 *   of the three losses is a fixed-order float reduction of its rows; the measured difference is
 *   printed);
 * - each part against ref_loss_part: the loss within 1e-6 + 2 (B + C + 8) float epsilons of its
 *   magnitude, dZ within 1e-6 / count + 1e-5 relative (the tolerances of the whole-batch check);
 * - the reference parts sum to ref_loss within 1e-12 relative and their dZ rows are the whole's
 *   exactly;
 * - B_total = B equals the plain op bit for bit; B_total < B is CT_ERR_ARG. */
static void part_case(ct_device *dev, test_rng *r, ct_loss kind, int B, int C, int B1, float delta,
                      double *worst_sum) {
    size_t n = (size_t)B * C;
    int B2 = B - B1;
    int ce = kind == CT_LOSS_SOFTMAX_CE;
    size_t tn = ce ? (size_t)B : n;               /* target elements */
    size_t t1 = ce ? (size_t)B1 : (size_t)B1 * C; /* where part 2's targets start */
    double count = ce ? (double)B : (double)n;
    float *Z = test_alloc(n, sizeof(float)), *T = test_alloc(n, sizeof(float));
    float *dZw = test_alloc(n, sizeof(float)), *dZp = test_alloc(n, sizeof(float));
    float *dZe = test_alloc(n, sizeof(float));
    int32_t *labels = test_alloc((size_t)B, sizeof(int32_t));
    int *ilabels = test_alloc((size_t)B, sizeof(int));
    double *Zd = test_alloc(n, sizeof(double)), *Td = test_alloc(n, sizeof(double));
    double *rdw = test_alloc(n, sizeof(double)), *rdp = test_alloc(n, sizeof(double));
    double *rl = test_alloc((size_t)B, sizeof(double));
    test_fillf(r, Z, n, -4.0f, 4.0f);
    for (size_t i = 0; i < n; i++)
        T[i] = kind == CT_LOSS_SIGMOID_BCE ? (float)test_rng_int(r, 0, 1)
                                           : test_rng_uniformf(r, -3.0f, 3.0f);
    for (int i = 0; i < B; i++)
        ilabels[i] = labels[i] = test_rng_int(r, 0, C - 1);
    test_to_double(Zd, Z, n);
    test_to_double(Td, T, n);
    cl_mem z = NULL, t = NULL, loss = NULL, dz = NULL, dzp = NULL, dze = NULL, rowl = NULL;
    float l[5] = {0};
    ct_status st;
    if ((st = ct_buffer_create(dev, &z, n * sizeof(float), "Z")) ||
        (st = ct_buffer_create(dev, &t, n * sizeof(float), "target")) ||
        (st = ct_buffer_create(dev, &loss, 5 * sizeof(float), "loss")) ||
        (st = ct_buffer_create(dev, &dz, n * sizeof(float), "dZ")) ||
        (st = ct_buffer_create(dev, &dzp, n * sizeof(float), "dZ parts")) ||
        (st = ct_buffer_create(dev, &dze, n * sizeof(float), "dZ B_total = B")) ||
        (st = ct_buffer_create(dev, &rowl, (size_t)B * sizeof(float), "rowloss")) ||
        (st = ct_buffer_write(dev, z, 0, n * sizeof(float), Z)) ||
        (st = ct_buffer_write(dev, t, 0, tn * sizeof(float), ce ? (const void *)labels : T)) ||
        (st = ct_loss_forward_backward(dev, kind, ct_at(loss, 0), ct_at(dz, 0), ct_at(rowl, 0),
                                       ct_at(z, 0), ct_at(t, 0), B, C, delta, 0)) ||
        (st =
             ct_loss_forward_backward_part(dev, kind, ct_at(loss, 1), ct_at(dzp, 0), ct_at(rowl, 0),
                                           ct_at(z, 0), ct_at(t, 0), B1, C, delta, 0, B)) ||
        (st = ct_loss_forward_backward_part(dev, kind, ct_at(loss, 2), ct_at(dzp, (size_t)B1 * C),
                                            ct_at(rowl, 0), ct_at(z, (size_t)B1 * C), ct_at(t, t1),
                                            B2, C, delta, 0, B)) ||
        (st =
             ct_loss_forward_backward_part(dev, kind, ct_at(loss, 3), ct_at(dze, 0), ct_at(rowl, 0),
                                           ct_at(z, 0), ct_at(t, 0), B, C, delta, 0, B)) ||
        (st = ct_buffer_read(dev, loss, 0, 4 * sizeof(float), l)) ||
        (st = ct_buffer_read(dev, dz, 0, n * sizeof(float), dZw)) ||
        (st = ct_buffer_read(dev, dzp, 0, n * sizeof(float), dZp)) ||
        (st = ct_buffer_read(dev, dze, 0, n * sizeof(float), dZe))) {
        EXPECT(0, "%s B=%d C=%d: %s", ct_loss_name(kind), B, C, ct_device_error(dev));
        goto done;
    }
    const char *name = ct_loss_name(kind);
    /* the device: parts against the whole */
    EXPECT(!memcmp(dZp, dZw, n * sizeof(float)),
           "%s B=%d (%d + %d) C=%d: the parts' dZ differs from the whole batch's (max |diff| "
           "%.3g)",
           name, B, B1, B2, C, max_diff_f(dZp, dZw, n));
    double whole_ref = ref_loss(kind, rdw, rl, Zd, ilabels, Td, B, C, delta), mag = 0;
    for (int i = 0; i < B; i++)
        mag += fabs(rl[i]) / count;
    double sum_tol = 1e-7 + 16 * FLT_EPSILON * mag, sum_err = fabs((double)l[1] + l[2] - l[0]);
    if (sum_err / mag > *worst_sum) *worst_sum = sum_err / mag;
    EXPECT(sum_err <= sum_tol,
           "%s B=%d (%d + %d) C=%d: the parts' losses %.9g + %.9g = %.9g, the whole batch's %.9g "
           "(|diff| %.3g > %.3g)",
           name, B, B1, B2, C, l[1], l[2], (double)l[1] + l[2], l[0], sum_err, sum_tol);
    EXPECT(!memcmp(&l[3], &l[0], sizeof(float)) && !memcmp(dZe, dZw, n * sizeof(float)),
           "%s B=%d C=%d: B_total = B gives loss %.9g (plain %.9g) or another dZ", name, B, C, l[3],
           l[0]);
    /* the device parts against the reference parts */
    double rp[2];
    for (int k = 0; k < 2; k++) {
        int r0 = k ? B1 : 0, Bk = k ? B2 : B1;
        size_t zo = (size_t)r0 * C, to = k ? t1 : 0;
        rp[k] = ref_loss_part(kind, rdp + zo, rl, Zd + zo, ilabels + r0, Td + to, Bk, C, delta, B);
        double magk = 0;
        for (int i = 0; i < Bk; i++)
            magk += fabs(rl[i]) / count;
        char what[128];
        snprintf(what, sizeof what, "%s part %d (rows %d..%d of %d, C=%d) loss", name, k + 1, r0,
                 r0 + Bk - 1, B, C);
        EXPECT(fabs(l[1 + k] - rp[k]) <= 1e-6 + 2.0 * (B + C + 8) * FLT_EPSILON * magk,
               "%s: device %.9g, reference %.9g", what, l[1 + k], rp[k]);
        snprintf(what, sizeof what, "%s part %d (rows %d..%d of %d, C=%d) dZ", name, k + 1, r0,
                 r0 + Bk - 1, B, C);
        expect_close_f(what, dZp + zo, rdp + zo, (size_t)Bk * C, 1e-6 / count, 1e-5);
    }
    /* the reference: parts against the whole */
    EXPECT(fabs(rp[0] + rp[1] - whole_ref) <= 1e-12 * fmax(mag, 1e-300),
           "reference %s B=%d (%d + %d): parts %.17g + %.17g, whole %.17g", name, B, B1, B2, rp[0],
           rp[1], whole_ref);
    EXPECT(!memcmp(rdp, rdw, n * sizeof(double)),
           "reference %s B=%d (%d + %d) C=%d: the parts' dZ differs from the whole batch's", name,
           B, B1, B2, C);
    /* a whole batch smaller than its part */
    st = ct_loss_forward_backward_part(dev, kind, ct_at(loss, 4), ct_at(dzp, 0), ct_at(rowl, 0),
                                       ct_at(z, 0), ct_at(t, 0), B, C, delta, 0, B - 1);
    EXPECT(st == CT_ERR_ARG && strstr(ct_device_error(dev), "smaller"),
           "%s: B_total %d < B %d gave %s ('%s')", name, B - 1, B, ct_status_name(st),
           ct_device_error(dev));
    if (test_verbose())
        printf("ok   %s B=%d = %d + %d C=%d: |l1 + l2 - l| %.3g (tolerance %.3g)\n", name, B, B1,
               B2, C, sum_err, sum_tol);
done:;
    cl_mem all[] = {z, t, loss, dz, dzp, dze, rowl};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (all[i]) clReleaseMemObject(all[i]);
    free(Z);
    free(T);
    free(dZw);
    free(dZp);
    free(dZe);
    free(labels);
    free(ilabels);
    free(Zd);
    free(Td);
    free(rdw);
    free(rdp);
    free(rl);
}

/* Every loss on batches of odd sizes, each split after its first row, in the middle and before
 * its last row (fixed shapes with fresh random values: PoCL compiles a kernel once per launch
 * shape, and in a sanitizer build a compile on a cold cache leaks in LLVM). */
static void part_cases(ct_device *dev, unsigned long long seed, case_stats *s) {
    test_rng r = test_rng_make(seed ^ 0x9A27ULL);
    const int shapes[][2] = {{2, 3}, {3, 1}, {17, 2}, {31, 5}, {255, 10}, {1001, 3}, {3, 1000}};
    long before = test_state_g.failed;
    double worst = 0;
    int cases = 0;
    for (int l = 0; l < CT_LOSS_COUNT; l++)
        for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
            int B = shapes[i][0], C = shapes[i][1];
            if (l == CT_LOSS_SOFTMAX_CE && C == 1) C = 2;
            if (skip_large(s, (long long)B * C)) continue;
            const int splits[] = {1, B / 2, B - 1};
            for (int k = 0; k < 3; k++) {
                if (splits[k] < 1 || (k > 0 && splits[k] == splits[k - 1])) continue;
                float delta = l == CT_LOSS_HUBER ? test_rng_uniformf(&r, 0.25f, 2.0f) : 1.0f;
                part_case(dev, &r, (ct_loss)l, B, C, splits[k], delta, &worst);
                cases++;
            }
        }
    printf("%s loss in two parts: %d batches, all four losses; the parts' losses sum to the "
           "whole's within %.3g x sum|rowloss|/count (tolerance 16 eps = %.3g), dZ equal\n",
           test_state_g.failed == before ? "ok  " : "FAIL", cases, worst, 16 * FLT_EPSILON);
}

/* ct_abs_error on batches of odd sizes, against ref_abs_error:
 * - the whole batch within 1e-7 + 2 (B + C + 8) float epsilons of the value (every term is
 *   >= 0, so the value is its own magnitude);
 * - two parts (rows [0, B1) and [B1, B) with B_total = B, at their offsets in Z, T and the
 *   output), each against the reference part with the same tolerance; the parts sum to the
 *   whole within 16 epsilons of it;
 * - run twice, the same bits; Z = T gives exactly 0; B_total < B is CT_ERR_ARG. */
static void abs_error_cases(ct_device *dev, unsigned long long seed, case_stats *s) {
    test_rng r = test_rng_make(seed ^ 0xAB5ULL);
    const int shapes[][2] = {{1, 1}, {3, 1}, {17, 2}, {31, 5}, {255, 10}, {1001, 3}, {3, 1000}};
    long before = test_state_g.failed;
    int cases = 0;
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        int B = shapes[i][0], C = shapes[i][1], B1 = B > 1 ? B / 2 : 1, B2 = B - B1;
        size_t n = (size_t)B * C;
        if (skip_large(s, (long long)n)) continue;
        float *Z = test_alloc(n, sizeof(float)), *T = test_alloc(n, sizeof(float));
        double *Zd = test_alloc(n, sizeof(double)), *Td = test_alloc(n, sizeof(double));
        test_fillf(&r, Z, n, -4.0f, 4.0f);
        test_fillf(&r, T, n, -3.0f, 3.0f);
        test_to_double(Zd, Z, n);
        test_to_double(Td, T, n);
        cl_mem z = NULL, t = NULL, out = NULL, rows = NULL;
        float o[6] = {0};
        const float poison = -12345.0f;
        for (int k = 0; k < 6; k++)
            o[k] = poison;
        ct_status st;
        if ((st = ct_buffer_create(dev, &z, n * sizeof(float), "Z")) ||
            (st = ct_buffer_create(dev, &t, n * sizeof(float), "T")) ||
            (st = ct_buffer_create(dev, &out, 6 * sizeof(float), "out")) ||
            (st = ct_buffer_create(dev, &rows, (size_t)B * sizeof(float), "rowsum")) ||
            (st = ct_buffer_write(dev, z, 0, n * sizeof(float), Z)) ||
            (st = ct_buffer_write(dev, t, 0, n * sizeof(float), T)) ||
            (st = ct_buffer_write(dev, out, 0, 6 * sizeof(float), o)) ||
            (st = ct_abs_error(dev, ct_at(out, 0), ct_at(rows, 0), ct_at(z, 0), ct_at(t, 0), B, C,
                               B)) ||
            (st = ct_abs_error(dev, ct_at(out, 4), ct_at(rows, 0), ct_at(z, 0), ct_at(t, 0), B, C,
                               B)) ||
            (st = ct_abs_error(dev, ct_at(out, 5), ct_at(rows, 0), ct_at(z, 0), ct_at(z, 0), B, C,
                               B)) ||
            (B2 > 0 &&
             ((st = ct_abs_error(dev, ct_at(out, 1), ct_at(rows, 0), ct_at(z, 0), ct_at(t, 0), B1,
                                 C, B)) ||
              (st = ct_abs_error(dev, ct_at(out, 2), ct_at(rows, 0), ct_at(z, (size_t)B1 * C),
                                 ct_at(t, (size_t)B1 * C), B2, C, B)))) ||
            (st = ct_buffer_read(dev, out, 0, 6 * sizeof(float), o))) {
            EXPECT(0, "abs_error B=%d C=%d: %s", B, C, ct_device_error(dev));
        } else {
            double want = ref_abs_error(Zd, Td, B, C, B);
            double tol = 1e-7 + 2.0 * (B + C + 8) * FLT_EPSILON * want;
            EXPECT(fabs(o[0] - want) <= tol,
                   "abs_error B=%d C=%d: device %.9g, reference %.9g (|diff| %.3g > %.3g)", B, C,
                   o[0], want, fabs(o[0] - want), tol);
            EXPECT(!memcmp(&o[4], &o[0], sizeof(float)),
                   "abs_error B=%d C=%d: a second run gave %.9g, the first %.9g", B, C, o[4], o[0]);
            EXPECT(o[5] == 0.0f, "abs_error B=%d C=%d: Z against itself gave %.9g, not 0", B, C,
                   o[5]);
            if (B2 > 0) {
                double p1 = ref_abs_error(Zd, Td, B1, C, B),
                       p2 = ref_abs_error(Zd + (size_t)B1 * C, Td + (size_t)B1 * C, B2, C, B);
                EXPECT(fabs(o[1] - p1) <= tol && fabs(o[2] - p2) <= tol,
                       "abs_error B=%d = %d + %d C=%d: parts %.9g and %.9g, reference %.9g and "
                       "%.9g",
                       B, B1, B2, C, o[1], o[2], p1, p2);
                EXPECT(fabs((double)o[1] + o[2] - o[0]) <= 16 * FLT_EPSILON * want,
                       "abs_error B=%d = %d + %d C=%d: the parts sum to %.9g, the whole is %.9g", B,
                       B1, B2, C, (double)o[1] + o[2], o[0]);
            }
            st = ct_abs_error(dev, ct_at(out, 3), ct_at(rows, 0), ct_at(z, 0), ct_at(t, 0), B, C,
                              B - 1);
            EXPECT(st == CT_ERR_ARG && strstr(ct_device_error(dev), "B_total"),
                   "abs_error: B_total %d < B %d gave %s ('%s')", B - 1, B, ct_status_name(st),
                   ct_device_error(dev));
            if (test_verbose())
                printf("ok   abs_error B=%d C=%d: %.9g, reference %.9g\n", B, C, o[0], want);
            cases++;
        }
        cl_mem all[] = {z, t, out, rows};
        for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
            if (all[k]) clReleaseMemObject(all[k]);
        free(Z);
        free(T);
        free(Zd);
        free(Td);
    }
    printf("%s mean absolute error: %d batches against the reference, whole and in two parts\n",
           test_state_g.failed == before ? "ok  " : "FAIL", cases);
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
    part_cases(dev, seed, &s);
    abs_error_cases(dev, seed, &s);
    ct_device_destroy(dev);
    int rc = case_summary("test_loss", &s);
    return test_summary("test_loss (parts of a batch)") || rc;
}
