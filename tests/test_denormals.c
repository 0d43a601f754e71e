/* CLTRAIN_COUNT_DENORMALS (host/device/denormals.c): the counts a device appends to the file
 * when it is destroyed, against the same counts made here from the buffers read back.
 *  - scale (x *= 2^-30 over 1001 values at offset 5 of a poisoned buffer): a third of the
 *    values become denormal, a third stay normal, a third are 0 and do not change;
 *  - bias_act_forward (relu) with A and Z in one buffer (A at 0, Z at B): each changed value
 *    goes to the argument whose region holds it; inputs +-2^-140 (denormal) plus a bias of 0
 *    give Z denormal in two rows of three and A = relu(Z) denormal in one;
 *  - ln_stats follows the denormal rule of the norm kernels (kernels/norm.cl): rows (a, -a)
 *    with a = 2^-70 have the variance 2^-140, below FLT_MIN, stored as +0 on every device;
 *  - sigmoid_bce's int count of right predictions, just after its row losses in one buffer, is
 *    not counted as a float (its bits read as a denormal);
 *  - a file that cannot be opened stops the device from opening, naming the variable and file.
 * Where the device's * keeps denormals (PoCL, rusticl), the exact numbers are also checked.
 * Exit 0 pass, 1 fail. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "device_util.h"
#include "ops.h"

static int failures;

#define EXPECT(cond, ...)                                                                          \
    do {                                                                                           \
        if (cond) {                                                                                \
            printf("ok   ");                                                                       \
        } else {                                                                                   \
            printf("FAIL ");                                                                       \
            failures++;                                                                            \
        }                                                                                          \
        printf(__VA_ARGS__);                                                                       \
        printf("\n");                                                                              \
    } while (0)

static int is_denormal(float v) {
    uint32_t b;
    memcpy(&b, &v, 4);
    return (b & 0x7f800000u) == 0 && (b & 0x007fffffu) != 0;
}

/* Changed and denormal values of now[lo..hi) against before. */
static void recount(const float *before, const float *now, size_t lo, size_t hi,
                    unsigned long long *changed, unsigned long long *denormal) {
    *changed = *denormal = 0;
    for (size_t i = lo; i < hi; i++)
        if (memcmp(&before[i], &now[i], 4)) {
            ++*changed;
            *denormal += (unsigned long long)is_denormal(now[i]);
        }
}

/* The counts of kernel.arg in the file: launches, changed, denormal; 0 when absent. */
static int file_counts(const char *path, const char *kernel, const char *arg,
                       unsigned long long c[3]) {
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char line[512], k[128], a[128];
    unsigned long long v[3];
    int found = 0;
    while (fgets(line, sizeof line, f))
        if (line[0] != '#' &&
            sscanf(line, "%127s %127s %llu %llu %llu", k, a, &v[0], &v[1], &v[2]) == 5 &&
            !strcmp(k, kernel) && !strcmp(a, arg))
            found = 1, memcpy(c, v, sizeof v);
    fclose(f);
    return found;
}

static void check_counts(const char *path, const char *kernel, const char *arg,
                         unsigned long long launches, unsigned long long changed,
                         unsigned long long denormal) {
    unsigned long long c[3] = {0, 0, 0};
    int found = file_counts(path, kernel, arg, c);
    EXPECT(found && c[0] == launches && c[1] == changed && c[2] == denormal,
           "%s.%s: file says %s%llu launches, %llu changed, %llu denormal; recounted here %llu, "
           "%llu, %llu",
           kernel, arg, found ? "" : "(no line) ", c[0], c[1], c[2], launches, changed, denormal);
}

int main(void) {
    char path[64];
    snprintf(path, sizeof path, "/tmp/cltrain-denormals-%ld.tsv", (long)getpid());
    remove(path);
    setenv("CLTRAIN_COUNT_DENORMALS", path, 1);
    ct_device *dev = test_device();
    ct_bits_facts facts;
    ct_device_gives_common_bits(dev, &facts);
    const int keeps = !facts.mul_flushes && !facts.add_flushes;
    printf("this device's * and + %s denormals\n", keeps ? "keep" : "flush");

    enum { OFF = 5, N = 1001, B = 17, C = 2 };
    const size_t total = OFF + N + 8;
    float *h = malloc(total * sizeof *h), *back = malloc(total * sizeof *back);
    float *z = malloc((size_t)B * C * sizeof *z);
    cl_mem x = NULL, st = NULL, zb = NULL, cnt = NULL;
    if (!h || !back || !z) return fprintf(stderr, "FAIL: out of memory\n"), 1;

    /* scale: values 1.5 * 2^-100 (-> denormal), 1 (-> 2^-30), 0 (unchanged), poison around */
    unsigned long long want_den = 0, want_changed = 0;
    for (size_t i = 0; i < total; i++)
        h[i] = 7.0f;
    for (int i = 0; i < N; i++) {
        h[OFF + i] = i % 3 == 0   ? ldexpf(1.5f, -100) * (i % 2 ? -1.0f : 1.0f)
                     : i % 3 == 1 ? 1.0f
                                  : 0.0f;
        want_den += i % 3 == 0;
        want_changed += i % 3 != 2;
    }
    if (ct_buffer_create(dev, &x, total * sizeof *h, "x") ||
        ct_buffer_write(dev, x, 0, total * sizeof *h, h) ||
        ct_scale(dev, (ct_buf){x, OFF}, ldexpf(1.0f, -30), N) ||
        ct_buffer_read(dev, x, 0, total * sizeof *back, back))
        return fprintf(stderr, "FAIL: scale: %s\n", ct_device_error(dev)), 1;
    unsigned long long sc_changed, sc_den;
    recount(h, back, 0, total, &sc_changed, &sc_den);
    if (keeps)
        EXPECT(sc_changed == want_changed && sc_den == want_den,
               "scale: %llu changed, %llu denormal read back (%llu, %llu expected)", sc_changed,
               sc_den, want_changed, want_den);

    /* bias_act_forward, relu, B rows of one column: A at 0, Z at B of one buffer; inputs
     * 2^-140, -2^-140 and i in turn, a bias of 0 */
    float *sh = malloc(2 * B * sizeof *sh), *sback = malloc(2 * B * sizeof *sback);
    if (!sh || !sback) return fprintf(stderr, "FAIL: out of memory\n"), 1;
    unsigned long long want_a_den = 0, want_z_den = 0;
    for (int i = 0; i < B; i++) {
        z[i] = i % 3 == 0 ? ldexpf(1.0f, -140) : i % 3 == 1 ? -ldexpf(1.0f, -140) : (float)i;
        want_a_den += i % 3 == 0;
        want_z_den += i % 3 != 2;
    }
    z[B] = 0.0f; /* the bias */
    for (int i = 0; i < 2 * B; i++)
        sh[i] = -3.25f; /* no output's value */
    int one = 0;
    if (ct_buffer_create(dev, &st, 2 * B * sizeof *sh, "A+Z") ||
        ct_buffer_write(dev, st, 0, 2 * B * sizeof *sh, sh) ||
        ct_buffer_create(dev, &zb, (size_t)B * C * sizeof *z, "Y+b") ||
        ct_buffer_write(dev, zb, 0, (size_t)B * C * sizeof *z, z) ||
        ct_bias_act_forward(dev, (ct_buf){st, 0}, (ct_buf){st, B}, (ct_buf){zb, 0},
                            (ct_buf){zb, B}, CT_ACT_RELU, 0.0f, B, 1) ||
        ct_buffer_read(dev, st, 0, 2 * B * sizeof *sback, sback))
        return fprintf(stderr, "FAIL: bias_act_forward: %s\n", ct_device_error(dev)), 1;
    unsigned long long a_changed, a_den, z_changed, z_den;
    recount(sh, sback, 0, B, &a_changed, &a_den);
    recount(sh, sback, B, 2 * B, &z_changed, &z_den);
    if (keeps)
        EXPECT(a_changed == B && a_den == want_a_den && z_changed == B && z_den == want_z_den,
               "bias_act_forward: A %llu changed, %llu denormal; Z %llu changed, %llu denormal "
               "(%d, %llu, %d, %llu expected)",
               a_changed, a_den, z_changed, z_den, B, want_a_den, B, want_z_den);

    /* ln_stats: rows (a, -a) with a = 2^-70 every third row, else (i, i): every variance is +0
     * (2^-140 flushed), every mean exact, on every device */
    float *lnh = malloc(2 * B * sizeof *lnh), *lnb = malloc(2 * B * sizeof *lnb);
    cl_mem ls = NULL;
    if (!lnh || !lnb) return fprintf(stderr, "FAIL: out of memory\n"), 1;
    for (int i = 0; i < B; i++) {
        float a = ldexpf(1.0f, -70);
        z[i * C] = i % 3 ? (float)i : a;
        z[i * C + 1] = i % 3 ? (float)i : -a;
    }
    for (int i = 0; i < 2 * B; i++)
        lnh[i] = -3.25f;
    if (ct_buffer_create(dev, &ls, 2 * B * sizeof *lnh, "mean+var") ||
        ct_buffer_write(dev, ls, 0, 2 * B * sizeof *lnh, lnh) ||
        ct_buffer_write(dev, zb, 0, (size_t)B * C * sizeof *z, z) ||
        ct_ln_stats(dev, (ct_buf){ls, 0}, (ct_buf){ls, B}, (ct_buf){zb, 0}, B, C) ||
        ct_buffer_read(dev, ls, 0, 2 * B * sizeof *lnb, lnb))
        return fprintf(stderr, "FAIL: ln_stats: %s\n", ct_device_error(dev)), 1;
    int ln_bad = -1;
    uint32_t vbits = 0;
    for (int i = 0; i < B && ln_bad < 0; i++) {
        memcpy(&vbits, &lnb[B + i], 4);
        if (vbits != 0 || lnb[i] != (i % 3 ? (float)i : 0.0f)) ln_bad = i;
    }
    EXPECT(ln_bad < 0,
           "ln_stats: every variance +0 (2^-140 of the rows (2^-70, -2^-70) flushed), every mean "
           "exact (first row otherwise: %d, mean %g, var %g, bits %08x)",
           ln_bad, ln_bad < 0 ? 0.0 : (double)lnb[ln_bad], ln_bad < 0 ? 0.0 : (double)lnb[B + ln_bad],
           ln_bad < 0 ? 0u : (unsigned)vbits);
    unsigned long long m_changed, m_den, v_changed, v_den;
    recount(lnh, lnb, 0, B, &m_changed, &m_den);
    recount(lnh, lnb, B, 2 * B, &v_changed, &v_den);

    /* sigmoid_bce: rowloss (4 floats) and the int count of right predictions after it in one
     * buffer; the count's bits (3) would read as a denormal float */
    float zt[4] = {1.0f, -1.0f, 2.0f, 3.0f}, tt[4] = {1.0f, 0.0f, 1.0f, 0.0f},
          lh[5] = {7, 7, 7, 7, 0};
    float lback[5], dz[4];
    cl_mem zt_b = NULL, tt_b = NULL, loss_b = NULL, dz_b = NULL;
    if (ct_buffer_create(dev, &cnt, sizeof lh, "rowloss+count") ||
        ct_buffer_write(dev, cnt, 0, sizeof lh, lh) ||
        ct_buffer_create(dev, &zt_b, sizeof zt, "z") ||
        ct_buffer_write(dev, zt_b, 0, sizeof zt, zt) ||
        ct_buffer_create(dev, &tt_b, sizeof tt, "t") ||
        ct_buffer_write(dev, tt_b, 0, sizeof tt, tt) ||
        ct_buffer_create(dev, &loss_b, sizeof(float), "loss") ||
        ct_buffer_create(dev, &dz_b, sizeof dz, "dZ") ||
        ct_loss_forward_backward_count(dev, CT_LOSS_SIGMOID_BCE, (ct_buf){loss_b, 0},
                                       (ct_buf){dz_b, 0}, (ct_buf){cnt, 0}, (ct_buf){zt_b, 0},
                                       (ct_buf){tt_b, 0}, 4, 1, 1.0f, 0.0f, 4, (ct_buf){cnt, 4}) ||
        ct_buffer_read(dev, cnt, 0, sizeof lback, lback))
        return fprintf(stderr, "FAIL: sigmoid_bce: %s\n", ct_device_error(dev)), 1;
    memcpy(&one, &lback[4], sizeof one);
    unsigned long long rl_changed, rl_den, cnt_changed, cnt_den;
    recount(lh, lback, 0, 4, &rl_changed, &rl_den);
    recount(lh, lback, 4, 5, &cnt_changed, &cnt_den);
    EXPECT(one == 3 && cnt_den == 1 && rl_changed == 4,
           "sigmoid_bce: count %d (3 expected, its bits a denormal float: %llu), %llu row losses "
           "changed (4 expected)",
           one, cnt_den, rl_changed);

    ct_device_finish(dev);
    clReleaseMemObject(x);
    clReleaseMemObject(st);
    clReleaseMemObject(zb);
    clReleaseMemObject(ls);
    clReleaseMemObject(cnt);
    clReleaseMemObject(zt_b);
    clReleaseMemObject(tt_b);
    clReleaseMemObject(loss_b);
    clReleaseMemObject(dz_b);
    ct_device_destroy(dev); /* appends the counts */

    check_counts(path, "scale", "x", 1, sc_changed, sc_den);
    check_counts(path, "bias_act_forward", "A", 1, a_changed, a_den);
    check_counts(path, "bias_act_forward", "Z", 1, z_changed, z_den);
    check_counts(path, "ln_stats", "mean", 1, m_changed, m_den);
    check_counts(path, "ln_stats", "var", 1, v_changed, v_den);
    check_counts(path, "sigmoid_bce", "rowloss", 1, rl_changed, rl_den); /* not the count */
    remove(path);

    /* a file that cannot be opened: the device does not open, and says why */
    setenv("CLTRAIN_COUNT_DENORMALS", "/nonexistent-folder/counts.tsv", 1);
    char msg[CT_MSG_LEN] = "";
    ct_device *bad = NULL;
    ct_status s = ct_device_create(&bad, NULL, msg);
    EXPECT(s != CT_OK && strstr(msg, "CLTRAIN_COUNT_DENORMALS") &&
               strstr(msg, "/nonexistent-folder/counts.tsv"),
           "an unwritable file: status %d, '%s'", (int)s, msg);
    ct_device_destroy(bad);
    free(h), free(back), free(z), free(sh), free(sback), free(lnh), free(lnb);
    printf("test_denormals: %s\n", failures ? "FAILED" : "passed");
    return failures ? 1 : 0;
}
