/* Launch wrappers, one per op (see the math comments in ops.h). Each wrapper checks its
 * arguments (message "ct_<op>: <what> (got <value>)"), sets the kernel arguments in the order of
 * the kernel's signature in the kernels/ folder, and enqueues; nothing waits on the host. */
#include "ops.h"

#include <ctype.h>
#include <stdio.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

#ifdef CT_HAVE_CLBLAST
#include <clblast_c.h>
#endif

#define TRY(expr)                                                                                  \
    do {                                                                                           \
        ct_status try_st_ = (expr);                                                                \
        if (try_st_ != CT_OK) return try_st_;                                                      \
    } while (0)

/* ---- names ------------------------------------------------------------------------------ */

#define CT_ACT_NAME_(id, name, flags, alpha, ...) #name,
#define CT_ACT_FLAGS_(id, name, flags, alpha, ...) flags,
#define CT_ACT_ALPHA_(id, name, flags, alpha, ...) alpha,
static const char *const act_names[CT_ACT_COUNT] = {CT_ACT_LIST(CT_ACT_NAME_, 0)};
static const int act_flags[CT_ACT_COUNT] = {CT_ACT_LIST(CT_ACT_FLAGS_, 0)};
static const float act_alpha[CT_ACT_COUNT] = {CT_ACT_LIST(CT_ACT_ALPHA_, 0)};
#undef CT_ACT_NAME_
#undef CT_ACT_FLAGS_
#undef CT_ACT_ALPHA_
#define CT_LOSS_NAME_(id, name, short_, out, kernel, flags, ...) #name,
#define CT_LOSS_SHORT_(id, name, short_, out, kernel, flags, ...) #short_,
#define CT_LOSS_OUT_(id, name, short_, out, kernel, flags, ...) #out,
#define CT_LOSS_FLAGS_(id, name, short_, out, kernel, flags, ...) flags,
static const char *const loss_names[CT_LOSS_COUNT] = {CT_LOSS_LIST(CT_LOSS_NAME_, 0)};
static const char *const loss_short[CT_LOSS_COUNT] = {CT_LOSS_LIST(CT_LOSS_SHORT_, 0)};
static const char *const loss_out[CT_LOSS_COUNT] = {CT_LOSS_LIST(CT_LOSS_OUT_, 0)};
static const int loss_flags[CT_LOSS_COUNT] = {CT_LOSS_LIST(CT_LOSS_FLAGS_, 0)};
#undef CT_LOSS_NAME_
#undef CT_LOSS_SHORT_
#undef CT_LOSS_OUT_
#undef CT_LOSS_FLAGS_
#define CT_OPTIM_NAME_(id, name, flags, lr, wd, b2, ...) #name,
#define CT_OPTIM_FLAGS_(id, name, flags, lr, wd, b2, ...) flags,
#define CT_OPTIM_LR_(id, name, flags, lr, wd, b2, ...) lr,
#define CT_OPTIM_WD_(id, name, flags, lr, wd, b2, ...) wd,
#define CT_OPTIM_B2_(id, name, flags, lr, wd, b2, ...) b2,
static const char *const optim_names[CT_OPT_COUNT] = {CT_OPTIM_LIST(CT_OPTIM_NAME_, 0)};
static const int optim_flags[CT_OPT_COUNT] = {CT_OPTIM_LIST(CT_OPTIM_FLAGS_, 0)};
static const float optim_lr[CT_OPT_COUNT] = {CT_OPTIM_LIST(CT_OPTIM_LR_, 0)};
static const float optim_wd[CT_OPT_COUNT] = {CT_OPTIM_LIST(CT_OPTIM_WD_, 0)};
static const float optim_b2[CT_OPT_COUNT] = {CT_OPTIM_LIST(CT_OPTIM_B2_, 0)};
#undef CT_OPTIM_NAME_
#undef CT_OPTIM_FLAGS_
#undef CT_OPTIM_LR_
#undef CT_OPTIM_WD_
#undef CT_OPTIM_B2_

/* Case-insensitive equality of two NUL-terminated strings. */
static int name_eq(const char *a, const char *b) {
    for (; *a && *b; a++, b++) {
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return 0;
    }
    return *a == *b;
}

const char *ct_act_name(ct_act a) {
    return (a >= 0 && a < CT_ACT_COUNT) ? act_names[a] : "unknown";
}

int ct_act_flags(ct_act a) { return (a >= 0 && a < CT_ACT_COUNT) ? act_flags[a] : 0; }

float ct_act_default_alpha(ct_act a) {
    return (a >= 0 && a < CT_ACT_COUNT) ? act_alpha[a] : 0.0f;
}

/* names[0..k) joined for a message: "a, b or c" (as much as fits in dst). */
static void join_names(char *dst, size_t n, const char *const *names, int k) {
    size_t used = 0;
    if (n) dst[0] = '\0';
    for (int i = 0; i < k && used < n; i++) {
        int w = snprintf(dst + used, n - used, "%s%s", i == 0 ? "" : i + 1 == k ? " or " : ", ",
                         names[i]);
        if (w < 0) break;
        used += (size_t)w;
    }
}

void ct_act_list_text(char *dst, size_t n, ct_act from, const char *identity) {
    const char *names[CT_ACT_COUNT];
    int k = 0;
    for (int a = from; a < CT_ACT_COUNT; a++)
        if (a != CT_ACT_IDENTITY) names[k++] = act_names[a];
    if (identity && from <= CT_ACT_IDENTITY) names[k++] = identity;
    join_names(dst, n, names, k);
}

const char *ct_loss_short_name(ct_loss l) {
    return (l >= 0 && l < CT_LOSS_COUNT) ? loss_short[l] : "unknown";
}

const char *ct_loss_output_act(ct_loss l) {
    return (l >= 0 && l < CT_LOSS_COUNT) ? loss_out[l] : "unknown";
}

int ct_loss_flags(ct_loss l) { return (l >= 0 && l < CT_LOSS_COUNT) ? loss_flags[l] : 0; }

void ct_loss_list_text(char *dst, size_t n) { join_names(dst, n, loss_short, CT_LOSS_COUNT); }

int ct_optim_flags(ct_optim o) { return (o >= 0 && o < CT_OPT_COUNT) ? optim_flags[o] : 0; }

void ct_optim_list_text(char *dst, size_t n) { join_names(dst, n, optim_names, CT_OPT_COUNT); }

const char *ct_loss_name(ct_loss l) {
    return (l >= 0 && l < CT_LOSS_COUNT) ? loss_names[l] : "unknown";
}

const char *ct_optim_name(ct_optim o) {
    return (o >= 0 && o < CT_OPT_COUNT) ? optim_names[o] : "unknown";
}

int ct_act_parse(const char *s, ct_act *out) {
    static const struct {
        const char *name;
        ct_act act;
    } aliases[] = {{"linear", CT_ACT_IDENTITY},
                   {"none", CT_ACT_IDENTITY},
                   {"leaky", CT_ACT_LEAKY_RELU},
                   {"leakyrelu", CT_ACT_LEAKY_RELU},
                   {"lrelu", CT_ACT_LEAKY_RELU},
                   {"swish", CT_ACT_SILU}};
    if (!s || !out) return 0;
    for (int i = 0; i < CT_ACT_COUNT; i++) {
        if (name_eq(s, act_names[i])) {
            *out = (ct_act)i;
            return 1;
        }
    }
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
        if (name_eq(s, aliases[i].name)) {
            *out = aliases[i].act;
            return 1;
        }
    }
    return 0;
}

int ct_loss_parse(const char *s, ct_loss *out) {
    static const struct {
        const char *name;
        ct_loss loss;
    } aliases[] = {{"cross_entropy", CT_LOSS_SOFTMAX_CE}};
    if (!s || !out) return 0;
    for (int i = 0; i < CT_LOSS_COUNT; i++) {
        if (name_eq(s, loss_names[i]) || name_eq(s, loss_short[i])) {
            *out = (ct_loss)i;
            return 1;
        }
    }
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
        if (name_eq(s, aliases[i].name)) {
            *out = aliases[i].loss;
            return 1;
        }
    }
    return 0;
}

int ct_optim_parse(const char *s, ct_optim *out) {
    if (!s || !out) return 0;
    for (int i = 0; i < CT_OPT_COUNT; i++) {
        if (name_eq(s, optim_names[i])) {
            *out = (ct_optim)i;
            return 1;
        }
    }
    return 0;
}

ct_optim_params ct_optim_defaults(ct_optim kind) {
    ct_optim_params o;
    o.kind = kind;
    int k = (int)kind >= 0 && kind < CT_OPT_COUNT ? (int)kind : CT_OPT_ADAM;
    o.lr = optim_lr[k];
    o.momentum = 0.9f;
    o.dampening = 0.0f;
    o.beta1 = 0.9f;
    o.beta2 = optim_b2[k];
    o.rho = 0.99f;
    o.eps = 1e-8f;
    o.weight_decay = optim_wd[k];
    o.clip_norm = 0.0f;
    return o;
}

/* ---- argument checks -------------------------------------------------------------------- */

/* A buffer that must exist, with an offset that fits the kernels' uint. */
static ct_status need_buf(ct_device *dev, const char *op, const char *name, ct_buf b) {
    if (!b.mem) return ct_fail(dev, CT_ERR_ARG, "%s: buffer %s must not be NULL", op, name);
    if (b.off > (size_t)UINT_MAX)
        return ct_fail(dev, CT_ERR_ARG, "%s: offset of %s must fit in 32 bits (got %zu)", op, name,
                       b.off);
    return CT_OK;
}

/* A buffer that may be absent (NULL mem). */
static ct_status opt_buf(ct_device *dev, const char *op, const char *name, ct_buf b) {
    return b.mem ? need_buf(dev, op, name, b) : CT_OK;
}

static ct_status need_pos(ct_device *dev, const char *op, const char *name, long long v) {
    if (v <= 0) return ct_fail(dev, CT_ERR_ARG, "%s: %s must be > 0 (got %lld)", op, name, v);
    return CT_OK;
}

/* a * b elements must be addressable with the kernels' 32-bit indices (kept below INT_MAX). */
static ct_status need_fits(ct_device *dev, const char *op, const char *what, long long a,
                           long long b) {
    if (a > 0 && b > 0 && a > (long long)INT_MAX / b)
        return ct_fail(dev, CT_ERR_ARG, "%s: %s = %lld x %lld elements is too large (max %d)", op,
                       what, a, b, INT_MAX);
    return CT_OK;
}

static ct_status need_act(ct_device *dev, const char *op, ct_act act) {
    if ((int)act < 0 || act >= CT_ACT_COUNT)
        return ct_fail(dev, CT_ERR_ARG, "%s: unknown activation %d (valid 0..%d)", op, (int)act,
                       CT_ACT_COUNT - 1);
    return CT_OK;
}

static cl_uint u32(size_t v) { return (cl_uint)v; }

/* A (buffer, offset) kernel argument pair: the kernels take (__global T *x, uint off). */
static void ct_arg_buf(ct_args *a, ct_buf b) {
    ct_arg_mem(a, b.mem);
    ct_arg_uint(a, u32(b.off));
}

/* ---- matrix products -------------------------------------------------------------------- */

/* Checks one stored operand: rows x cols with row stride ld >= cols, indexable in 32 bits. */
static ct_status need_matrix(ct_device *dev, const char *op, const char *name, ct_buf m, int rows,
                             int cols, int ld) {
    TRY(need_buf(dev, op, name, m));
    if (ld < cols)
        return ct_fail(dev, CT_ERR_ARG, "%s: leading dimension of %s must be >= %d (got %d)", op,
                       name, cols, ld);
    if ((long long)(rows - 1) * ld + cols > (long long)INT_MAX)
        return ct_fail(dev, CT_ERR_ARG, "%s: %s (%d x %d, ld %d) is too large", op, name, rows,
                       cols, ld);
    return CT_OK;
}

/* Work-items of a launch over n values, per of them per work-item, the last one partial. */
static size_t block_items(size_t n, size_t per) { return (n + per - 1) / per; }
/* ... of an elementwise launch: cfg.ew values per work-item (CT_EW in the kernels). */
static size_t ew_items(const ct_device *dev, size_t n) {
    return block_items(n, (size_t)dev->cfg.ew);
}

/* When the CPU-shaped product reads B in place (not transposed, N >= vw): up to this many
 * multiply-adds, or up to CT_PK_IN_PLACE_TILES row tiles (B read that many times). There a
 * pack's launch cost more than it saved (PoCL, AVX2: 64x32x64 ran 0.9x packed, 64x100x32 and
 * 256x100x10 1.3x; 10x128x256 TN 1.7x in place, 32x500x256 1.8x packed). */
#define CT_PK_IN_PLACE_MACS (1 << 17)
#define CT_PK_IN_PLACE_TILES 4

/* A dense layer's epilogue for gemm_cpu: C = C + bias and Y = f(C) after the product
 * (gemm_cpu_np_bias_act); a NULL one: none. */
typedef struct {
    ct_buf Y, bias;
    ct_act act;
    float alpha;
} pk_epilogue;

/* The CPU-shaped product (kernels/gemm_cpu.cl): B packed into zero-padded panels (pack_b) and
 * then A^T, when transposed, into row tiles (pack_a), unless B can be read in place (above:
 * then A is too, one launch); then one work-item per (row tile, panel), in blocks of
 * cfg.block row tiles that each run across every panel, by the kernel of that variant. The
 * tile and vector shape are the device's (dev->cfg, built into the program). */
static ct_status gemm_cpu(ct_device *dev, ct_buf C, int ldc, ct_buf A, int lda, ct_buf B, int ldb,
                          int M, int N, int K, int transA, int transB, float alpha, float beta,
                          const pk_epilogue *epi) {
    const size_t W = (size_t)dev->cfg.vw * (size_t)dev->cfg.nv, RM = (size_t)dev->cfg.rm;
    size_t panels = ((size_t)N + W - 1) / W, tiles = ((size_t)M + RM - 1) / RM;
    /* B in place: whole vectors of a row only (N >= vw; see the kernel's last panel) */
    int direct = !transB && N >= dev->cfg.vw &&
                 ((double)M * N * K <= CT_PK_IN_PLACE_MACS || tiles <= CT_PK_IN_PLACE_TILES);
    int pack_a = transA && !direct;
    /* one buffer, grown once per larger shape and never per step: B's panels, then A's tiles */
    size_t b_need = direct ? 0 : panels * W * (size_t)K, a_need = pack_a ? tiles * RM * (size_t)K : 0;
    if (b_need + a_need > (size_t)UINT_MAX)
        return ct_fail(dev, CT_ERR_ARG, "ct_gemm: the operands (%d x %d x %d) are too large to pack",
                       M, N, K);
    if (b_need + a_need > dev->pack_floats) {
        if (dev->pack) clReleaseMemObject(dev->pack);
        dev->pack = NULL;
        dev->pack_floats = 0;
        TRY(ct_buffer_create(dev, &dev->pack, (b_need + a_need) * sizeof(float),
                             "the packed operands of a product"));
        dev->pack_floats = b_need + a_need;
    }
    cl_mem bp = B.mem;
    size_t bp_off = B.off, pstride = W, kstride = (size_t)ldb;
    if (!direct) {
        ct_args p = ct_args_begin(dev, CT_K_pack_b);
        ct_arg_mem(&p, dev->pack);
        ct_arg_uint(&p, 0);
        ct_arg_buf(&p, B);
        ct_arg_int(&p, ldb);
        ct_arg_int(&p, transB);
        ct_arg_int(&p, K);
        ct_arg_int(&p, N);
        ct_arg_int(&p, (int)panels);
        /* an item per block of 16 k x vw columns (see pack_b) */
        size_t pg[2] = {((size_t)K + 15) / 16, panels * W / (size_t)dev->cfg.vw}, one[2] = {1, 1};
        TRY(ct_args_launch2(&p, pg, one));
        bp = dev->pack;
        bp_off = 0;
        pstride = (size_t)K * W;
        kstride = W;
    }
    if (pack_a) {
        ct_args p = ct_args_begin(dev, CT_K_pack_a);
        ct_arg_mem(&p, dev->pack);
        ct_arg_uint(&p, u32(b_need));
        ct_arg_buf(&p, A);
        ct_arg_int(&p, lda);
        ct_arg_int(&p, K);
        ct_arg_int(&p, M);
        /* an item per block of 16 k of a row tile (see pack_a) */
        size_t pg[2] = {((size_t)K + 15) / 16, tiles}, one[2] = {1, 1};
        TRY(ct_args_launch2(&p, pg, one));
        A = ct_at(dev->pack, b_need);
    }
    size_t want = (size_t)dev->cfg.block, block = tiles < want ? tiles : want;
    size_t global[3] = {block, panels, (tiles + block - 1) / block};
    size_t local[3] = {1, 1, 1};
    /* the variant (kernels/gemm_cpu.cl): A's rows, A^T in place or packed; B packed or not */
    const ct_kernel_id variant = pack_a   ? CT_K_gemm_cpu_pp
                                 : direct ? (transA ? CT_K_gemm_cpu_td : CT_K_gemm_cpu_nd)
                                          : CT_K_gemm_cpu_np;
    /* the epilogue's kernel is gemm_cpu_np's (the caller ensures that variant) */
    if (epi && variant != CT_K_gemm_cpu_np)
        return ct_fail(dev, CT_ERR_ARG, "ct_gemm: no fused epilogue for a %dx%dx%d %c%c product", M,
                       N, K, transA ? 'T' : 'N', transB ? 'T' : 'N');
    ct_args a = ct_args_begin(dev, epi ? CT_K_gemm_cpu_np_bias_act : variant);
    ct_arg_buf(&a, C);
    ct_arg_int(&a, ldc);
    ct_arg_buf(&a, A);
    ct_arg_int(&a, lda);
    ct_arg_mem(&a, bp);
    ct_arg_uint(&a, u32(bp_off));
    ct_arg_uint(&a, u32(pstride));
    ct_arg_uint(&a, u32(kstride));
    ct_arg_int(&a, M);
    ct_arg_int(&a, N);
    ct_arg_int(&a, K);
    ct_arg_float(&a, alpha);
    ct_arg_float(&a, beta);
    if (epi) {
        ct_arg_buf(&a, epi->Y);
        ct_arg_buf(&a, epi->bias);
        ct_arg_int(&a, (int)epi->act);
        ct_arg_float(&a, epi->alpha);
    }
    return ct_args_launch3(&a, global, local);
}

/* The own product (kernels/gemm.cl) in one launch: a work-group of (TSN / WPTN, TSM / WPTM)
 * items per TSM x TSN tile of C, as many groups as tiles cover C. T and chain: a part of a
 * product split over K (see gemm.cl); NULL and 0 for a whole one. */
static ct_status gemm_own(ct_device *dev, ct_buf C, int ldc, ct_buf A, int lda, ct_buf B, int ldb,
                          int M, int N, int K, int transA, int transB, float alpha, float beta,
                          cl_mem T, int chain) {
    size_t tsm = (size_t)dev->cfg.ogm, tsn = (size_t)dev->cfg.ogn;
    size_t local[2] = {tsn / (size_t)dev->cfg.ogwn, tsm / (size_t)dev->cfg.ogwm};
    size_t global[2] = {((size_t)N + tsn - 1) / tsn * local[0],
                        ((size_t)M + tsm - 1) / tsm * local[1]};
    ct_args a = ct_args_begin(dev, CT_K_gemm);
    ct_arg_buf(&a, C);
    ct_arg_int(&a, ldc);
    ct_arg_buf(&a, A);
    ct_arg_int(&a, lda);
    ct_arg_buf(&a, B);
    ct_arg_int(&a, ldb);
    ct_arg_int(&a, M);
    ct_arg_int(&a, N);
    ct_arg_int(&a, K);
    ct_arg_int(&a, transA);
    ct_arg_int(&a, transB);
    ct_arg_float(&a, alpha);
    ct_arg_float(&a, beta);
    ct_arg_mem(&a, T ? T : C.mem); /* unread when chain == 0 */
    ct_arg_int(&a, chain);
    return ct_args_launch2(&a, global, local);
}

/* The longest K one launch of the own product runs, 0 for no limit. Mesa's llvmpipe leaves
 * every loop of a work-item early, silently, once it has run 65535 iterations in all (see LOOPS
 * ON MESA in kernels/gemm.cl: a k costs the own product WPTM + 2 of them), so there a longer K is
 * split into parts of half what that allows, in whole steps of TSK (*budget = 1: the device's
 * limit). CLTRAIN_GEMM_KPART=n sets the part of the own product on any device (the tests split
 * on PoCL with it and compare the bits with the CPU-shaped product's). */
static ct_status gemm_k_part(ct_device *dev, int *part, int *budget) {
    const char *env = getenv("CLTRAIN_GEMM_KPART");
    *part = 0;
    *budget = 0;
    if (env && *env) {
        char *end = NULL;
        long v = strtol(env, &end, 10);
        if (*end != '\0' || v < 1 || v > INT_MAX)
            return ct_fail(dev, CT_ERR_ARG,
                           "CLTRAIN_GEMM_KPART='%s': expected a positive whole number of k", env);
        *part = (int)v;
        return CT_OK;
    }
    if (strstr(dev->info.name, "llvmpipe")) {
        int per_k = dev->cfg.ogwm + 2, step = dev->cfg.ogk > 0 ? dev->cfg.ogk : 1;
        int p = 65535 / (2 * per_k) / step * step;
        *part = p > step ? p : step;
        *budget = 1;
    }
    return CT_OK;
}

/* Whether ct_gemm runs a product of depth K on the CPU-shaped kernel: its backend is, unless
 * the device has a loop budget (gemm_k_part) that K passes: the CPU-shaped kernel's loops would
 * stop early there too, so the own product takes it, split (the bit rule makes the two
 * products' results the same bits). */
static int gemm_on_cpu_kernel(ct_gemm_backend backend, int K, int part, int budget) {
    return backend == CT_GEMM_CPU && !(budget && K > part);
}

ct_status ct_gemm(ct_device *dev, ct_buf C, int ldc, ct_buf A, int lda, ct_buf B, int ldb, int M,
                  int N, int K, int transA, int transB, float alpha, float beta) {
    static const char op[] = "ct_gemm";
    if (!dev) return CT_ERR_ARG;
    TRY(need_pos(dev, op, "M", M));
    TRY(need_pos(dev, op, "N", N));
    TRY(need_pos(dev, op, "K", K));
    if (transA != 0 && transA != 1)
        return ct_fail(dev, CT_ERR_ARG, "%s: transA must be 0 or 1 (got %d)", op, transA);
    if (transB != 0 && transB != 1)
        return ct_fail(dev, CT_ERR_ARG, "%s: transB must be 0 or 1 (got %d)", op, transB);
    TRY(need_matrix(dev, op, "A", A, transA ? K : M, transA ? M : K, lda));
    TRY(need_matrix(dev, op, "B", B, transB ? N : K, transB ? K : N, ldb));
    TRY(need_matrix(dev, op, "C", C, M, N, ldc));

    ct_gemm_backend backend = ct_device_gemm_for(dev, M, N, K, transA, transB);
    if (backend == CT_GEMM_CLBLAST) {
#ifdef CT_HAVE_CLBLAST
        CLBlastStatusCode s =
            CLBlastSgemm(CLBlastLayoutRowMajor, transA ? CLBlastTransposeYes : CLBlastTransposeNo,
                         transB ? CLBlastTransposeYes : CLBlastTransposeNo, (size_t)M, (size_t)N,
                         (size_t)K, alpha, A.mem, A.off, (size_t)lda, B.mem, B.off, (size_t)ldb,
                         beta, C.mem, C.off, (size_t)ldc, &dev->queue, NULL);
        if (s != CLBlastSuccess)
            return ct_fail(dev, CT_ERR_CLBLAST, "ct_gemm: CLBlastSgemm(%dx%dx%d) failed: %s", M, N,
                           K, ct_clblast_error_name((int)s));
        return CT_OK;
#else
        return ct_fail(dev, CT_ERR_CLBLAST, "ct_gemm: CLBlast was not built into this cltrain");
#endif
    }

    int part, budget;
    TRY(gemm_k_part(dev, &part, &budget));
    if (gemm_on_cpu_kernel(backend, K, part, budget))
        return gemm_cpu(dev, C, ldc, A, lda, B, ldb, M, N, K, transA, transB, alpha, beta, NULL);

    TRY(ct_device_need_kernel(dev, CT_K_gemm));
    if (part == 0 || K <= part)
        return gemm_own(dev, C, ldc, A, lda, B, ldb, M, N, K, transA, transB, alpha, beta, NULL, 0);
    /* K in parts that continue one fma chain through T (M x N running sums): the bits of the
     * whole product. Released once the launches are queued (OpenCL keeps it until they ran). */
    cl_mem T = NULL;
    TRY(ct_buffer_create(dev, &T, (size_t)M * (size_t)N * sizeof(float),
                         "the running sums of a product split over K"));
    ct_status st = CT_OK;
    for (int k0 = 0; k0 < K && st == CT_OK; k0 += part) {
        int kn = K - k0 < part ? K - k0 : part;
        int chain = (k0 > 0 ? 1 : 0) | (k0 + kn < K ? 2 : 0);
        ct_buf Ak = A, Bk = B;
        Ak.off += transA ? (size_t)k0 * (size_t)lda : (size_t)k0;
        Bk.off += transB ? (size_t)k0 : (size_t)k0 * (size_t)ldb;
        st = gemm_own(dev, C, ldc, Ak, lda, Bk, ldb, M, N, kn, transA, transB, alpha, beta, T,
                      chain);
    }
    clReleaseMemObject(T);
    return st;
}

/* Checks the sizes of a dense layer product with the op's own name. */
static ct_status need_dense(ct_device *dev, const char *op, int B, int in, int out) {
    TRY(need_pos(dev, op, "B", B));
    TRY(need_pos(dev, op, "in", in));
    TRY(need_pos(dev, op, "out", out));
    return CT_OK;
}

ct_status ct_dense_forward(ct_device *dev, ct_buf Y, ct_buf X, ct_buf W, int B, int in, int out) {
    if (!dev) return CT_ERR_ARG;
    TRY(need_dense(dev, "ct_dense_forward", B, in, out));
    /* Y (B, out) = X (B, in) . W^T, W stored (out, in): NT */
    return ct_gemm(dev, Y, out, X, in, W, in, B, out, in, 0, 1, 1.0f, 0.0f);
}

ct_status ct_dense_forward_bias_act(ct_device *dev, ct_buf A, ct_buf Z, ct_buf X, ct_buf W,
                                    ct_buf b, ct_act act, float alpha, int B, int in, int out) {
    static const char op[] = "ct_dense_forward_bias_act";
    if (!dev) return CT_ERR_ARG;
    TRY(need_dense(dev, op, B, in, out));
    TRY(need_act(dev, op, act));
    TRY(need_buf(dev, op, "A", A));
    TRY(need_buf(dev, op, "b", b));
    /* fused where ct_gemm would run the CPU-shaped product with B packed (transposed: always)
     * and f is one the epilogue computes lane by lane */
    int fuse = act == CT_ACT_RELU || act == CT_ACT_LEAKY_RELU || act == CT_ACT_IDENTITY;
    if (fuse) {
        int part, budget;
        TRY(gemm_k_part(dev, &part, &budget));
        fuse = gemm_on_cpu_kernel(ct_device_gemm_for(dev, B, out, in, 0, 1), in, part, budget);
    }
    if (!fuse) {
        TRY(ct_dense_forward(dev, Z, X, W, B, in, out));
        return ct_bias_act_forward(dev, A, Z, Z, b, act, alpha, B, out);
    }
    TRY(need_matrix(dev, op, "X", X, B, in, in));
    TRY(need_matrix(dev, op, "W", W, out, in, in));
    TRY(need_matrix(dev, op, "Z", Z, B, out, out));
    TRY(need_matrix(dev, op, "A", A, B, out, out));
    const pk_epilogue e = {A, b, act, alpha};
    return gemm_cpu(dev, Z, out, X, in, W, in, B, out, in, 0, 1, 1.0f, 0.0f, &e);
}

ct_status ct_dense_backward_weight(ct_device *dev, ct_buf dW, ct_buf dY, ct_buf X, int B, int in,
                                   int out, float beta) {
    if (!dev) return CT_ERR_ARG;
    TRY(need_dense(dev, "ct_dense_backward_weight", B, in, out));
    /* dW (out, in) = dY^T . X, dY stored (B, out), X (B, in): TN */
    return ct_gemm(dev, dW, in, dY, out, X, in, out, in, B, 1, 0, 1.0f, beta);
}

ct_status ct_dense_backward_input(ct_device *dev, ct_buf dX, ct_buf dY, ct_buf W, int B, int in,
                                  int out) {
    if (!dev) return CT_ERR_ARG;
    TRY(need_dense(dev, "ct_dense_backward_input", B, in, out));
    /* dX (B, in) = dY (B, out) . W (out, in): NN */
    return ct_gemm(dev, dX, in, dY, out, W, in, B, in, out, 0, 0, 1.0f, 0.0f);
}

/* ---- bias and activations --------------------------------------------------------------- */

ct_status ct_bias_act_forward(ct_device *dev, ct_buf A, ct_buf Z, ct_buf Y, ct_buf b, ct_act act,
                              float alpha, int B, int N) {
    static const char op[] = "ct_bias_act_forward";
    if (!dev) return CT_ERR_ARG;
    TRY(need_act(dev, op, act));
    TRY(need_pos(dev, op, "B", B));
    TRY(need_pos(dev, op, "N", N));
    TRY(need_fits(dev, op, "B x N", B, N));
    TRY(need_buf(dev, op, "A", A));
    TRY(need_buf(dev, op, "Z", Z));
    TRY(need_buf(dev, op, "Y", Y));
    TRY(need_buf(dev, op, "b", b));
    ct_args a = ct_args_begin(dev, CT_K_bias_act_forward);
    ct_arg_buf(&a, A);
    ct_arg_buf(&a, Z);
    ct_arg_buf(&a, Y);
    ct_arg_buf(&a, b);
    ct_arg_int(&a, (int)act);
    ct_arg_float(&a, alpha);
    ct_arg_uint(&a, (cl_uint)B);
    ct_arg_uint(&a, (cl_uint)N);
    size_t global[2] = {ew_items(dev, (size_t)N), (size_t)B};
    /* CPU devices: a work-group of whole rows, every block of a row and rows enough for about
     * wg1_small work-items, so that no work-item lies past column N. The default 16 x 16 groups
     * padded a narrow layer with idle work-items (N = 10: 15 of the 16 in each row), which cost
     * more than the layer's work: alone on PoCL (B = 256, relu) N = 10 took 2-5x and N = 128-500
     * 1.25-1.4x the time of these groups. */
    if (dev->cpu && global[0] <= dev->info.max_work_group) {
        size_t rows = 1;
        while (global[0] * rows * 2 <= dev->wg1_small && rows < (size_t)B)
            rows *= 2;
        size_t local[2] = {global[0], rows};
        global[1] = ((size_t)B + rows - 1) / rows * rows;
        return ct_args_launch2(&a, global, local);
    }
    return ct_args_launch2(&a, global, NULL);
}

ct_status ct_act_forward(ct_device *dev, ct_buf A, ct_buf Z, ct_act act, float alpha, int n) {
    static const char op[] = "ct_act_forward";
    if (!dev) return CT_ERR_ARG;
    TRY(need_act(dev, op, act));
    TRY(need_pos(dev, op, "n", n));
    TRY(need_buf(dev, op, "A", A));
    TRY(need_buf(dev, op, "Z", Z));
    ct_args a = ct_args_begin(dev, CT_K_act_forward);
    ct_arg_buf(&a, A);
    ct_arg_buf(&a, Z);
    ct_arg_int(&a, (int)act);
    ct_arg_float(&a, alpha);
    ct_arg_uint(&a, (cl_uint)n);
    return ct_args_launch1(&a, ew_items(dev, (size_t)n));
}

ct_status ct_act_backward(ct_device *dev, ct_buf dZ, ct_buf dA, ct_buf Z, ct_act act, float alpha,
                          int n) {
    static const char op[] = "ct_act_backward";
    if (!dev) return CT_ERR_ARG;
    TRY(need_act(dev, op, act));
    TRY(need_pos(dev, op, "n", n));
    TRY(need_buf(dev, op, "dZ", dZ));
    TRY(need_buf(dev, op, "dA", dA));
    TRY(need_buf(dev, op, "Z", Z));
    ct_args a = ct_args_begin(dev, CT_K_act_backward);
    ct_arg_buf(&a, dZ);
    ct_arg_buf(&a, dA);
    ct_arg_buf(&a, Z);
    ct_arg_int(&a, (int)act);
    ct_arg_float(&a, alpha);
    ct_arg_uint(&a, (cl_uint)n);
    return ct_args_launch1(&a, ew_items(dev, (size_t)n));
}

ct_status ct_bias_backward(ct_device *dev, ct_buf db, ct_buf dZ, int B, int N, float beta) {
    static const char op[] = "ct_bias_backward";
    if (!dev) return CT_ERR_ARG;
    TRY(need_pos(dev, op, "B", B));
    TRY(need_pos(dev, op, "N", N));
    TRY(need_fits(dev, op, "B x N", B, N));
    TRY(need_buf(dev, op, "db", db));
    TRY(need_buf(dev, op, "dZ", dZ));
    ct_args a = ct_args_begin(dev, CT_K_bias_backward);
    ct_arg_buf(&a, db);
    ct_arg_buf(&a, dZ);
    ct_arg_uint(&a, (cl_uint)B);
    ct_arg_uint(&a, (cl_uint)N);
    ct_arg_float(&a, beta);
    return ct_args_launch1(&a, (size_t)N);
}

ct_status ct_act_bias_backward(ct_device *dev, ct_buf dZ, ct_buf db, ct_buf dA, ct_buf Z, ct_act act,
                               float alpha, int B, int N, float beta) {
    static const char op[] = "ct_act_bias_backward";
    if (!dev) return CT_ERR_ARG;
    TRY(need_act(dev, op, act));
    TRY(need_pos(dev, op, "B", B));
    TRY(need_pos(dev, op, "N", N));
    TRY(need_fits(dev, op, "B x N", B, N));
    TRY(need_buf(dev, op, "dZ", dZ));
    TRY(need_buf(dev, op, "db", db));
    TRY(need_buf(dev, op, "dA", dA));
    TRY(need_buf(dev, op, "Z", Z));
    ct_args a = ct_args_begin(dev, CT_K_act_bias_backward);
    ct_arg_buf(&a, dZ);
    ct_arg_buf(&a, db);
    ct_arg_buf(&a, dA);
    ct_arg_buf(&a, Z);
    ct_arg_int(&a, (int)act);
    ct_arg_float(&a, alpha);
    ct_arg_uint(&a, (cl_uint)B);
    ct_arg_uint(&a, (cl_uint)N);
    ct_arg_float(&a, beta);
    size_t items = ew_items(dev, (size_t)N);
    /* few items, each a column strip down every row: on CPU devices a work-group of one item,
     * so that the strips spread over the cores (groups of 64 put them all on one) */
    if (dev->cpu) return ct_args_launch1_local(&a, items, 1);
    return ct_args_launch1(&a, items);
}

/* ---- reductions ------------------------------------------------------------------------- */

ct_status ct_reduce_sum(ct_device *dev, ct_buf out, ct_buf x, int n, float scale, float beta) {
    static const char op[] = "ct_reduce_sum";
    if (!dev) return CT_ERR_ARG;
    TRY(need_pos(dev, op, "n", n));
    TRY(need_buf(dev, op, "out", out));
    TRY(need_buf(dev, op, "x", x));
    ct_args a = ct_args_begin(dev, CT_K_reduce_sum);
    ct_arg_buf(&a, out);
    ct_arg_buf(&a, x);
    ct_arg_uint(&a, (cl_uint)n);
    ct_arg_float(&a, scale);
    ct_arg_float(&a, beta);
    return ct_args_launch1_local(&a, dev->red_wg, dev->red_wg);
}

ct_status ct_sum_squares(ct_device *dev, ct_buf out, ct_buf partials, ct_buf x, int n) {
    static const char op[] = "ct_sum_squares";
    if (!dev) return CT_ERR_ARG;
    TRY(need_pos(dev, op, "n", n));
    TRY(need_buf(dev, op, "out", out));
    TRY(need_buf(dev, op, "partials", partials));
    TRY(need_buf(dev, op, "x", x));
    ct_args a = ct_args_begin(dev, CT_K_sum_squares_partial);
    ct_arg_buf(&a, partials);
    ct_arg_buf(&a, x);
    ct_arg_uint(&a, (cl_uint)n);
    TRY(ct_args_launch1_local(&a, (size_t)CT_RED_PARTIALS * dev->red_wg, dev->red_wg));
    return ct_reduce_sum(dev, out, partials, CT_RED_PARTIALS, 1.0f, 0.0f);
}

/* ---- losses ----------------------------------------------------------------------------- */

ct_status ct_loss_forward_backward(ct_device *dev, ct_loss kind, ct_buf loss, ct_buf dZ,
                                   ct_buf rowloss, ct_buf Z, ct_buf target, int B, int C,
                                   float delta, float beta) {
    return ct_loss_forward_backward_part(dev, kind, loss, dZ, rowloss, Z, target, B, C, delta, beta,
                                         B);
}

ct_status ct_loss_forward_backward_part(ct_device *dev, ct_loss kind, ct_buf loss, ct_buf dZ,
                                        ct_buf rowloss, ct_buf Z, ct_buf target, int B, int C,
                                        float delta, float beta, int B_total) {
    return ct_loss_forward_backward_count(dev, kind, loss, dZ, rowloss, Z, target, B, C, delta,
                                          beta, B_total, ct_at(NULL, 0));
}

ct_status ct_loss_forward_backward_count(ct_device *dev, ct_loss kind, ct_buf loss, ct_buf dZ,
                                         ct_buf rowloss, ct_buf Z, ct_buf target, int B, int C,
                                         float delta, float beta, int B_total, ct_buf count) {
    static const char op[] = "ct_loss_forward_backward";
    if (!dev) return CT_ERR_ARG;
    if ((int)kind < 0 || kind >= CT_LOSS_COUNT)
        return ct_fail(dev, CT_ERR_ARG, "%s: unknown loss %d (valid 0..%d)", op, (int)kind,
                       CT_LOSS_COUNT - 1);
    TRY(need_pos(dev, op, "B", B));
    TRY(need_pos(dev, op, "C", C));
    TRY(need_fits(dev, op, "B x C", B, C));
    if (B_total < B)
        return ct_fail(dev, CT_ERR_ARG,
                       "%s: the whole batch (%d rows) is smaller than its part (%d)", op, B_total,
                       B);
    if (kind == CT_LOSS_HUBER && !(delta > 0.0f && isfinite(delta)))
        return ct_fail(dev, CT_ERR_ARG, "%s: huber delta must be a finite number > 0 (got %g)", op,
                       (double)delta);
    TRY(need_buf(dev, op, "loss", loss));
    TRY(opt_buf(dev, op, "dZ", dZ));
    TRY(need_buf(dev, op, "rowloss", rowloss));
    TRY(need_buf(dev, op, "Z", Z));
    TRY(need_buf(dev, op, kind == CT_LOSS_SOFTMAX_CE ? "labels" : "target", target));
    int want_count = count.mem != NULL;
    if (want_count && !(loss_flags[kind] & CT_LOSSF_CLASSES))
        return ct_fail(dev, CT_ERR_ARG, "%s: loss %s counts no correct predictions", op,
                       ct_loss_name(kind));

    double n_terms = kind == CT_LOSS_SOFTMAX_CE ? (double)B_total : (double)B_total * (double)C;
    float inv = (float)(1.0 / n_terms);
    int want_grad = dZ.mem != NULL;
    /* Without dZ the kernel gets a dummy buffer it never touches. */
    ct_buf d = want_grad ? dZ : rowloss;
#define CT_LOSS_KERNEL_(id, name, short_, out, kernel, flags, ...) CT_K_##kernel,
    static const ct_kernel_id ids[CT_LOSS_COUNT] = {CT_LOSS_LIST(CT_LOSS_KERNEL_, 0)};
#undef CT_LOSS_KERNEL_
    ct_args a = ct_args_begin(dev, ids[kind]);
    ct_arg_buf(&a, rowloss);
    ct_arg_buf(&a, d);
    ct_arg_buf(&a, Z);
    ct_arg_buf(&a, target);
    ct_arg_uint(&a, (cl_uint)B);
    ct_arg_uint(&a, (cl_uint)C);
    if (kind == CT_LOSS_HUBER) ct_arg_float(&a, delta);
    ct_arg_float(&a, inv);
    ct_arg_int(&a, want_grad);
    if (loss_flags[kind] & CT_LOSSF_CLASSES) {
        ct_arg_buf(&a, want_count ? count : rowloss); /* rowloss: a dummy never touched */
        ct_arg_int(&a, want_count);
    }
    TRY(ct_args_launch1(&a, (size_t)B));
    return ct_reduce_sum(dev, loss, rowloss, B, inv, beta);
}

/* ---- dropout ---------------------------------------------------------------------------- */

static ct_status dropout(ct_device *dev, const char *op, ct_kernel_id id, ct_buf out, ct_buf in,
                         float p, unsigned long long seed, unsigned long long step, unsigned layer,
                         int n, unsigned e0) {
    if (!dev) return CT_ERR_ARG;
    if (!(p >= 0.0f && p < 1.0f))
        return ct_fail(dev, CT_ERR_ARG, "%s: p must be in [0, 1) (got %g)", op, (double)p);
    TRY(need_pos(dev, op, "n", n));
    TRY(need_buf(dev, op, id == CT_K_dropout_forward ? "Y" : "dX", out));
    TRY(need_buf(dev, op, id == CT_K_dropout_forward ? "X" : "dY", in));
    uint32_t k0, k1;
    ct_dropout_keys((uint64_t)seed, (uint64_t)step, (uint32_t)layer, &k0, &k1);
    float keep_scale = (float)(1.0 / (1.0 - (double)p));
    ct_args a = ct_args_begin(dev, id);
    ct_arg_buf(&a, out);
    ct_arg_buf(&a, in);
    ct_arg_uint(&a, k0);
    ct_arg_uint(&a, k1);
    ct_arg_float(&a, p);
    ct_arg_float(&a, keep_scale);
    ct_arg_uint(&a, (cl_uint)n);
    ct_arg_uint(&a, (cl_uint)e0);
    /* CT_EW elements per work-item (kernels/dropout.cl) */
    return ct_args_launch1(&a, ew_items(dev, (size_t)n));
}

ct_status ct_dropout_forward_at(ct_device *dev, ct_buf Y, ct_buf X, float p,
                                unsigned long long seed, unsigned long long step, unsigned layer,
                                int n, unsigned e0) {
    return dropout(dev, "ct_dropout_forward", CT_K_dropout_forward, Y, X, p, seed, step, layer, n,
                   e0);
}

ct_status ct_dropout_backward_at(ct_device *dev, ct_buf dX, ct_buf dY, float p,
                                 unsigned long long seed, unsigned long long step, unsigned layer,
                                 int n, unsigned e0) {
    return dropout(dev, "ct_dropout_backward", CT_K_dropout_backward, dX, dY, p, seed, step, layer,
                   n, e0);
}

ct_status ct_dropout_forward(ct_device *dev, ct_buf Y, ct_buf X, float p, unsigned long long seed,
                             unsigned long long step, unsigned layer, int n) {
    return ct_dropout_forward_at(dev, Y, X, p, seed, step, layer, n, 0);
}

ct_status ct_dropout_backward(ct_device *dev, ct_buf dX, ct_buf dY, float p,
                              unsigned long long seed, unsigned long long step, unsigned layer,
                              int n) {
    return ct_dropout_backward_at(dev, dX, dY, p, seed, step, layer, n, 0);
}

/* ---- optimizers ------------------------------------------------------------------------- */

/* A hyper-parameter must lie in [lo, hi] (hi_open: [lo, hi)); NaN always fails. */
static ct_status need_range(ct_device *dev, const char *name, float v, double lo, double hi,
                            int hi_open) {
    double x = (double)v;
    int ok = x >= lo && (hi_open ? x < hi : x <= hi);
    if (!ok)
        return ct_fail(dev, CT_ERR_ARG, "ct_optim_step: %s must be in [%g, %g%s (got %g)", name, lo,
                       hi, hi_open ? ")" : "]", x);
    return CT_OK;
}

ct_status ct_optim_step(ct_device *dev, const ct_optim_params *o, ct_buf P, ct_buf M, ct_buf V,
                        ct_buf G, ct_buf gnorm_sq, long long t, int n) {
    static const char op[] = "ct_optim_step";
    if (!dev) return CT_ERR_ARG;
    if (!o) return ct_fail(dev, CT_ERR_ARG, "%s: optimizer parameters must not be NULL", op);
    ct_optim kind = o->kind;
    if ((int)kind < 0 || kind >= CT_OPT_COUNT)
        return ct_fail(dev, CT_ERR_ARG, "%s: unknown optimizer %d (valid 0..%d)", op, (int)kind,
                       CT_OPT_COUNT - 1);
    TRY(need_pos(dev, op, "n", n));
    TRY(need_pos(dev, op, "step t", t));
    if (!isfinite(o->lr))
        return ct_fail(dev, CT_ERR_ARG, "%s: lr must be finite (got %g)", op, (double)o->lr);
    TRY(need_range(dev, "weight_decay", o->weight_decay, 0.0, HUGE_VAL, 0));
    if (isnan(o->clip_norm)) return ct_fail(dev, CT_ERR_ARG, "%s: clip_norm must not be NaN", op);
    int uses_m = ct_optim_flags(kind) & CT_OPTF_M, uses_v = ct_optim_flags(kind) & CT_OPTF_V;
    int clip = o->clip_norm > 0.0f;
    TRY(need_buf(dev, op, "P", P));
    TRY(need_buf(dev, op, "G", G));
    if (uses_m)
        TRY(need_buf(dev, op,
                     kind == CT_OPT_ADAM || kind == CT_OPT_ADAMW ? "M (Adam m)"
                     : kind == CT_OPT_LION                       ? "M (Lion m)"
                                                                 : "M (momentum)",
                     M));
    if (uses_v) TRY(need_buf(dev, op, "V", V));
    if (clip) TRY(need_buf(dev, op, "gnorm_sq (clip_norm > 0)", gnorm_sq));
    /* Without clipping the kernel gets a dummy buffer it never reads. */
    ct_buf gn = clip ? gnorm_sq : ct_at(P.mem, 0);

    ct_args a;
    switch (kind) {
    case CT_OPT_SGD:
        a = ct_args_begin(dev, CT_K_sgd_step);
        ct_arg_buf(&a, P);
        break;
    case CT_OPT_MOMENTUM:
    case CT_OPT_NESTEROV:
        TRY(need_range(dev, "momentum", o->momentum, 0.0, HUGE_VAL, 0));
        TRY(need_range(dev, "dampening", o->dampening, 0.0, 1.0, 0));
        if (kind == CT_OPT_NESTEROV && !(o->momentum > 0.0f && o->dampening == 0.0f))
            return ct_fail(dev, CT_ERR_ARG,
                           "%s: nesterov needs momentum > 0 and dampening 0 (got %g and %g)", op,
                           (double)o->momentum, (double)o->dampening);
        a = ct_args_begin(dev, CT_K_momentum_step);
        ct_arg_buf(&a, P);
        ct_arg_buf(&a, M);
        break;
    case CT_OPT_RMSPROP:
        TRY(need_range(dev, "rho", o->rho, 0.0, 1.0, 1));
        TRY(need_range(dev, "eps", o->eps, 0.0, HUGE_VAL, 0));
        a = ct_args_begin(dev, CT_K_rmsprop_step);
        ct_arg_buf(&a, P);
        ct_arg_buf(&a, V);
        break;
    case CT_OPT_LION:
        TRY(need_range(dev, "beta1", o->beta1, 0.0, 1.0, 1));
        TRY(need_range(dev, "beta2", o->beta2, 0.0, 1.0, 1));
        a = ct_args_begin(dev, CT_K_lion_step);
        ct_arg_buf(&a, P);
        ct_arg_buf(&a, M);
        break;
    default: /* CT_OPT_ADAM, CT_OPT_ADAMW */
        TRY(need_range(dev, "beta1", o->beta1, 0.0, 1.0, 1));
        TRY(need_range(dev, "beta2", o->beta2, 0.0, 1.0, 1));
        TRY(need_range(dev, "eps", o->eps, 0.0, HUGE_VAL, 0));
        a = ct_args_begin(dev, CT_K_adam_step);
        ct_arg_buf(&a, P);
        ct_arg_buf(&a, M);
        ct_arg_buf(&a, V);
        break;
    }
    ct_arg_buf(&a, G);
    ct_arg_buf(&a, gn);
    ct_arg_uint(&a, (cl_uint)n);
    ct_arg_float(&a, o->lr);
    switch (kind) {
    case CT_OPT_SGD:
        ct_arg_float(&a, o->weight_decay);
        ct_arg_float(&a, o->clip_norm);
        break;
    case CT_OPT_MOMENTUM:
    case CT_OPT_NESTEROV:
        ct_arg_float(&a, o->momentum);
        ct_arg_float(&a, o->dampening);
        ct_arg_float(&a, o->weight_decay);
        ct_arg_float(&a, o->clip_norm);
        ct_arg_int(&a, t == 1);
        ct_arg_int(&a, kind == CT_OPT_NESTEROV);
        break;
    case CT_OPT_RMSPROP:
        ct_arg_float(&a, o->rho);
        ct_arg_float(&a, o->eps);
        ct_arg_float(&a, o->weight_decay);
        ct_arg_float(&a, o->clip_norm);
        break;
    case CT_OPT_LION:
        ct_arg_float(&a, o->beta1);
        ct_arg_float(&a, o->beta2);
        ct_arg_float(&a, o->weight_decay);
        ct_arg_float(&a, o->clip_norm);
        break;
    default: {
        /* Bias corrections in double: step_size = lr / (1 - b1^t), 1 / sqrt(1 - b2^t). */
        double bc1 = 1.0 - pow((double)o->beta1, (double)t);
        double bc2 = 1.0 - pow((double)o->beta2, (double)t);
        ct_arg_float(&a, o->beta1);
        ct_arg_float(&a, o->beta2);
        ct_arg_float(&a, o->eps);
        ct_arg_float(&a, o->weight_decay);
        ct_arg_float(&a, o->clip_norm);
        const float step_size = (float)((double)o->lr / bc1);
        ct_arg_float(&a, step_size);
        ct_arg_float(&a, (float)(1.0 / sqrt(bc2)));
        ct_arg_float(&a, ct_adam_m_floor(step_size));
        ct_arg_int(&a, kind == CT_OPT_ADAMW);
        break;
    }
    }
    /* CT_OEW parameters per work-item (kernels/optim.cl) */
    return ct_args_launch1(&a, block_items((size_t)n, (size_t)ct_optim_ew(&dev->cfg)));
}

/* ---- helpers ---------------------------------------------------------------------------- */

ct_status ct_gather_rows(ct_device *dev, ct_buf out, ct_buf src, ct_buf idx, int B, int F) {
    static const char op[] = "ct_gather_rows";
    if (!dev) return CT_ERR_ARG;
    TRY(need_pos(dev, op, "B", B));
    TRY(need_pos(dev, op, "F", F));
    TRY(need_fits(dev, op, "B x F", B, F));
    TRY(need_buf(dev, op, "out", out));
    TRY(need_buf(dev, op, "src", src));
    TRY(need_buf(dev, op, "idx", idx));
    ct_args a = ct_args_begin(dev, CT_K_gather_rows);
    ct_arg_buf(&a, out);
    ct_arg_buf(&a, src);
    ct_arg_buf(&a, idx);
    ct_arg_uint(&a, (cl_uint)B);
    ct_arg_uint(&a, (cl_uint)F);
    return ct_args_launch1(&a, (size_t)B * (size_t)F);
}

ct_status ct_gather_perm(ct_device *dev, ct_buf out, ct_buf src, int B, int F, int start, int n,
                         int shuffle, unsigned long long seed, unsigned long long epoch) {
    static const char op[] = "ct_gather_perm";
    if (!dev) return CT_ERR_ARG;
    TRY(need_pos(dev, op, "B", B));
    TRY(need_pos(dev, op, "F", F));
    TRY(need_pos(dev, op, "n", n));
    TRY(need_fits(dev, op, "B x F", B, F));
    TRY(need_fits(dev, op, "n x F", n, F));
    if (start < 0 || (long long)start + B > n)
        return ct_fail(dev, CT_ERR_ARG, "%s: rows [%d, %lld) do not fit in the %d rows of an epoch",
                       op, start, (long long)start + B, n);
    TRY(need_buf(dev, op, "out", out));
    TRY(need_buf(dev, op, "src", src));
    uint32_t k0, k1;
    ct_perm_keys(seed, epoch, &k0, &k1);
    ct_args a = ct_args_begin(dev, CT_K_gather_perm);
    ct_arg_buf(&a, out);
    ct_arg_buf(&a, src);
    ct_arg_uint(&a, (cl_uint)B);
    ct_arg_uint(&a, (cl_uint)F);
    ct_arg_uint(&a, (cl_uint)start);
    ct_arg_uint(&a, (cl_uint)n);
    ct_arg_int(&a, shuffle ? 1 : 0);
    ct_arg_uint(&a, ct_perm_bits((uint32_t)n));
    ct_arg_uint(&a, k0);
    ct_arg_uint(&a, k1);
    if (dev->cpu) { /* an item per row (see gather_perm) */
        size_t rows = dev->wg1_small;
        size_t global[2] = {1, ((size_t)B + rows - 1) / rows * rows}, local[2] = {1, rows};
        return ct_args_launch2(&a, global, local);
    }
    size_t global[2] = {((size_t)F + 31) / 32, (size_t)B}; /* CT_GATHER_CHUNK columns per item */
    return ct_args_launch2(&a, global, NULL);
}

ct_status ct_axpy(ct_device *dev, ct_buf y, ct_buf x, float a_, int n) {
    static const char op[] = "ct_axpy";
    if (!dev) return CT_ERR_ARG;
    TRY(need_pos(dev, op, "n", n));
    TRY(need_buf(dev, op, "y", y));
    TRY(need_buf(dev, op, "x", x));
    ct_args a = ct_args_begin(dev, CT_K_axpy);
    ct_arg_buf(&a, y);
    ct_arg_buf(&a, x);
    ct_arg_float(&a, a_);
    ct_arg_uint(&a, (cl_uint)n);
    return ct_args_launch1(&a, (size_t)n);
}

ct_status ct_argmax_correct(ct_device *dev, ct_buf count, ct_buf Z, ct_buf labels, int B, int C) {
    static const char op[] = "ct_argmax_correct";
    if (!dev) return CT_ERR_ARG;
    TRY(need_pos(dev, op, "B", B));
    TRY(need_pos(dev, op, "C", C));
    TRY(need_fits(dev, op, "B x C", B, C));
    TRY(need_buf(dev, op, "count", count));
    TRY(need_buf(dev, op, "Z", Z));
    TRY(need_buf(dev, op, "labels", labels));
    ct_args a = ct_args_begin(dev, CT_K_argmax_correct);
    ct_arg_buf(&a, count);
    ct_arg_buf(&a, Z);
    ct_arg_buf(&a, labels);
    ct_arg_uint(&a, (cl_uint)B);
    ct_arg_uint(&a, (cl_uint)C);
    return ct_args_launch1(&a, (size_t)B);
}

ct_status ct_binary_correct(ct_device *dev, ct_buf count, ct_buf Z, ct_buf T, int n) {
    static const char op[] = "ct_binary_correct";
    if (!dev) return CT_ERR_ARG;
    TRY(need_pos(dev, op, "n", n));
    TRY(need_buf(dev, op, "count", count));
    TRY(need_buf(dev, op, "Z", Z));
    TRY(need_buf(dev, op, "T", T));
    ct_args a = ct_args_begin(dev, CT_K_binary_correct);
    ct_arg_buf(&a, count);
    ct_arg_buf(&a, Z);
    ct_arg_buf(&a, T);
    ct_arg_uint(&a, (cl_uint)n);
    return ct_args_launch1(&a, (size_t)n);
}

ct_status ct_fill(ct_device *dev, ct_buf x, float value, int n) {
    static const char op[] = "ct_fill";
    if (!dev) return CT_ERR_ARG;
    TRY(need_pos(dev, op, "n", n));
    TRY(need_buf(dev, op, "x", x));
    /* the driver's fill: no kernel to compile (on PoCL 0.06 s of a cold start); the kernel where
     * the driver's fill cannot be checked (Oclgrind) */
    if (dev->fill_by_driver) return ct_enqueue_fill(dev, x.mem, x.off, value, (size_t)n);
    ct_args a = ct_args_begin(dev, CT_K_fill);
    ct_arg_buf(&a, x);
    ct_arg_float(&a, value);
    ct_arg_uint(&a, (cl_uint)n);
    return ct_args_launch1(&a, (size_t)n);
}

ct_status ct_scale(ct_device *dev, ct_buf x, float alpha, int n) {
    static const char op[] = "ct_scale";
    if (!dev) return CT_ERR_ARG;
    TRY(need_pos(dev, op, "n", n));
    TRY(need_buf(dev, op, "x", x));
    ct_args a = ct_args_begin(dev, CT_K_scale);
    ct_arg_buf(&a, x);
    ct_arg_float(&a, alpha);
    ct_arg_uint(&a, (cl_uint)n);
    return ct_args_launch1(&a, (size_t)n);
}

ct_status ct_math_eval(ct_device *dev, ct_buf out, ct_buf x, int fn, int n) {
    static const char op[] = "ct_math_eval";
    if (!dev) return CT_ERR_ARG;
    TRY(need_pos(dev, op, "n", n));
    TRY(need_buf(dev, op, "out", out));
    TRY(need_buf(dev, op, "x", x));
    ct_args a = ct_args_begin(dev, CT_K_math_eval);
    ct_arg_buf(&a, out);
    ct_arg_buf(&a, x);
    ct_arg_int(&a, fn);
    ct_arg_uint(&a, (cl_uint)n);
    return ct_args_launch1(&a, (size_t)n);
}

ct_status ct_dead_units(ct_device *dev, ct_buf count, ct_buf A, int B, int N) {
    static const char op[] = "ct_dead_units";
    if (!dev) return CT_ERR_ARG;
    TRY(need_pos(dev, op, "B", B));
    TRY(need_pos(dev, op, "N", N));
    TRY(need_fits(dev, op, "B x N", B, N));
    TRY(need_buf(dev, op, "count", count));
    TRY(need_buf(dev, op, "A", A));
    ct_args a = ct_args_begin(dev, CT_K_dead_units);
    ct_arg_buf(&a, count);
    ct_arg_buf(&a, A);
    ct_arg_uint(&a, (cl_uint)B);
    ct_arg_uint(&a, (cl_uint)N);
    return ct_args_launch1(&a, (size_t)N);
}

/* ---- normalization ---------------------------------------------------------------------- */

/* eps must be a finite number >= 0 (NaN fails). */
static ct_status need_eps(ct_device *dev, const char *op, float eps) {
    if (!(eps >= 0.0f && isfinite(eps)))
        return ct_fail(dev, CT_ERR_ARG, "%s: eps must be a finite number >= 0 (got %g)", op,
                       (double)eps);
    return CT_OK;
}

/* The sizes of a (B, N) normalization op. */
static ct_status need_bn(ct_device *dev, const char *op, int B, int N) {
    TRY(need_pos(dev, op, "B", B));
    TRY(need_pos(dev, op, "N", N));
    return need_fits(dev, op, "B x N", B, N);
}

static ct_status need_per_row(ct_device *dev, const char *op, int per_row) {
    if (per_row != 0 && per_row != 1)
        return ct_fail(dev, CT_ERR_ARG, "%s: per_row must be 0 or 1 (got %d)", op, per_row);
    return CT_OK;
}

/* momentum in [0, 1] (NaN fails) */
static ct_status need_momentum(ct_device *dev, const char *op, float momentum) {
    if (!(momentum >= 0.0f && momentum <= 1.0f))
        return ct_fail(dev, CT_ERR_ARG, "%s: momentum must be in [0, 1] (got %g)", op,
                       (double)momentum);
    return CT_OK;
}

ct_status ct_bn_moment(ct_device *dev, ct_buf out, ct_buf Z, ct_buf mean, int B, int N,
                       int centered, float scale) {
    static const char op[] = "ct_bn_moment";
    if (!dev) return CT_ERR_ARG;
    TRY(need_bn(dev, op, B, N));
    if (centered != 0 && centered != 1)
        return ct_fail(dev, CT_ERR_ARG, "%s: centered must be 0 or 1 (got %d)", op, centered);
    TRY(need_buf(dev, op, "out", out));
    TRY(need_buf(dev, op, "Z", Z));
    if (centered)
        TRY(need_buf(dev, op, "mean (centered)", mean));
    else
        TRY(opt_buf(dev, op, "mean", mean));
    /* not centered: the kernel never reads mean; Z stands in when it is absent */
    ct_buf m = mean.mem ? mean : Z;
    ct_args a = ct_args_begin(dev, CT_K_bn_moment);
    ct_arg_buf(&a, out);
    ct_arg_buf(&a, Z);
    ct_arg_buf(&a, m);
    ct_arg_uint(&a, (cl_uint)B);
    ct_arg_uint(&a, (cl_uint)N);
    ct_arg_int(&a, centered);
    ct_arg_float(&a, scale);
    return ct_args_launch1(&a, (size_t)N);
}

ct_status ct_ln_stats(ct_device *dev, ct_buf mean, ct_buf var, ct_buf Z, int B, int N) {
    static const char op[] = "ct_ln_stats";
    if (!dev) return CT_ERR_ARG;
    TRY(need_bn(dev, op, B, N));
    TRY(need_buf(dev, op, "mean", mean));
    TRY(need_buf(dev, op, "var", var));
    TRY(need_buf(dev, op, "Z", Z));
    ct_args a = ct_args_begin(dev, CT_K_ln_stats);
    ct_arg_buf(&a, mean);
    ct_arg_buf(&a, var);
    ct_arg_buf(&a, Z);
    ct_arg_uint(&a, (cl_uint)B);
    ct_arg_uint(&a, (cl_uint)N);
    /* a row per item, each a loop over the row: on CPU devices a work-group of one item, so
     * that the rows spread over the cores */
    if (dev->cpu) return ct_args_launch1_local(&a, (size_t)B, 1);
    return ct_args_launch1(&a, (size_t)B);
}

ct_status ct_norm_apply(ct_device *dev, ct_buf Y, ct_buf A, ct_buf Z, ct_buf mean, ct_buf var,
                        ct_buf gamma, ct_buf beta, float eps, ct_act act, float alpha, int B, int N,
                        int per_row) {
    static const char op[] = "ct_norm_apply";
    if (!dev) return CT_ERR_ARG;
    TRY(need_act(dev, op, act));
    TRY(need_bn(dev, op, B, N));
    TRY(need_per_row(dev, op, per_row));
    TRY(need_eps(dev, op, eps));
    TRY(need_buf(dev, op, "Y", Y));
    TRY(need_buf(dev, op, "A", A));
    TRY(need_buf(dev, op, "Z", Z));
    TRY(need_buf(dev, op, "mean", mean));
    TRY(need_buf(dev, op, "var", var));
    TRY(need_buf(dev, op, "gamma", gamma));
    TRY(need_buf(dev, op, "beta", beta));
    ct_args a = ct_args_begin(dev, CT_K_norm_apply);
    ct_arg_buf(&a, Y);
    ct_arg_buf(&a, A);
    ct_arg_buf(&a, Z);
    ct_arg_buf(&a, mean);
    ct_arg_buf(&a, var);
    ct_arg_buf(&a, gamma);
    ct_arg_buf(&a, beta);
    ct_arg_float(&a, eps);
    ct_arg_int(&a, (int)act);
    ct_arg_float(&a, alpha);
    ct_arg_uint(&a, (cl_uint)B);
    ct_arg_uint(&a, (cl_uint)N);
    ct_arg_int(&a, per_row);
    size_t global[2] = {(size_t)N, (size_t)B};
    return ct_args_launch2(&a, global, NULL);
}

ct_status ct_norm_param_grads(ct_device *dev, ct_buf dgamma, ct_buf dbeta, ct_buf dA, ct_buf Y,
                              ct_buf Z, ct_buf mean, ct_buf var, float eps, ct_act act, float alpha,
                              int B, int N, int per_row) {
    static const char op[] = "ct_norm_param_grads";
    if (!dev) return CT_ERR_ARG;
    TRY(need_act(dev, op, act));
    TRY(need_bn(dev, op, B, N));
    TRY(need_per_row(dev, op, per_row));
    TRY(need_eps(dev, op, eps));
    TRY(need_buf(dev, op, "dgamma", dgamma));
    TRY(need_buf(dev, op, "dbeta", dbeta));
    TRY(need_buf(dev, op, "dA", dA));
    TRY(need_buf(dev, op, "Y", Y));
    TRY(need_buf(dev, op, "Z", Z));
    TRY(need_buf(dev, op, "mean", mean));
    TRY(need_buf(dev, op, "var", var));
    ct_args a = ct_args_begin(dev, CT_K_norm_param_grads);
    ct_arg_buf(&a, dgamma);
    ct_arg_buf(&a, dbeta);
    ct_arg_buf(&a, dA);
    ct_arg_buf(&a, Y);
    ct_arg_buf(&a, Z);
    ct_arg_buf(&a, mean);
    ct_arg_buf(&a, var);
    ct_arg_float(&a, eps);
    ct_arg_int(&a, (int)act);
    ct_arg_float(&a, alpha);
    ct_arg_uint(&a, (cl_uint)B);
    ct_arg_uint(&a, (cl_uint)N);
    ct_arg_int(&a, per_row);
    return ct_args_launch1(&a, (size_t)N);
}

ct_status ct_bn_backward_input(ct_device *dev, ct_buf dZ, ct_buf dA, ct_buf Y, ct_buf Z,
                               ct_buf mean, ct_buf var, ct_buf gamma, ct_buf dgamma, ct_buf dbeta,
                               float eps, ct_act act, float alpha, int M, int B, int N) {
    static const char op[] = "ct_bn_backward_input";
    if (!dev) return CT_ERR_ARG;
    TRY(need_act(dev, op, act));
    TRY(need_bn(dev, op, B, N));
    if (M != 0 && M < B)
        return ct_fail(dev, CT_ERR_ARG,
                       "%s: M (the rows of the batch's statistics) must be 0 or >= B = %d (got %d)",
                       op, B, M);
    TRY(need_eps(dev, op, eps));
    TRY(need_buf(dev, op, "dZ", dZ));
    TRY(need_buf(dev, op, "dA", dA));
    TRY(need_buf(dev, op, "Y", Y));
    TRY(need_buf(dev, op, "Z", Z));
    TRY(need_buf(dev, op, "mean", mean));
    TRY(need_buf(dev, op, "var", var));
    TRY(need_buf(dev, op, "gamma", gamma));
    if (M > 0) {
        TRY(need_buf(dev, op, "dgamma (M > 0)", dgamma));
        TRY(need_buf(dev, op, "dbeta (M > 0)", dbeta));
    } else {
        TRY(opt_buf(dev, op, "dgamma", dgamma));
        TRY(opt_buf(dev, op, "dbeta", dbeta));
    }
    /* M == 0: the kernel never reads dgamma and dbeta; gamma stands in for an absent one */
    ct_buf dg = dgamma.mem ? dgamma : gamma, db = dbeta.mem ? dbeta : gamma;
    ct_args a = ct_args_begin(dev, CT_K_bn_backward_input);
    ct_arg_buf(&a, dZ);
    ct_arg_buf(&a, dA);
    ct_arg_buf(&a, Y);
    ct_arg_buf(&a, Z);
    ct_arg_buf(&a, mean);
    ct_arg_buf(&a, var);
    ct_arg_buf(&a, gamma);
    ct_arg_buf(&a, dg);
    ct_arg_buf(&a, db);
    ct_arg_float(&a, eps);
    ct_arg_int(&a, (int)act);
    ct_arg_float(&a, alpha);
    ct_arg_uint(&a, (cl_uint)M);
    ct_arg_uint(&a, (cl_uint)B);
    ct_arg_uint(&a, (cl_uint)N);
    size_t global[2] = {(size_t)N, (size_t)B};
    return ct_args_launch2(&a, global, NULL);
}

ct_status ct_ln_backward_input(ct_device *dev, ct_buf dZ, ct_buf dA, ct_buf Y, ct_buf Z,
                               ct_buf mean, ct_buf var, ct_buf gamma, float eps, ct_act act,
                               float alpha, int B, int N) {
    static const char op[] = "ct_ln_backward_input";
    if (!dev) return CT_ERR_ARG;
    TRY(need_act(dev, op, act));
    TRY(need_bn(dev, op, B, N));
    TRY(need_eps(dev, op, eps));
    TRY(need_buf(dev, op, "dZ", dZ));
    TRY(need_buf(dev, op, "dA", dA));
    TRY(need_buf(dev, op, "Y", Y));
    TRY(need_buf(dev, op, "Z", Z));
    TRY(need_buf(dev, op, "mean", mean));
    TRY(need_buf(dev, op, "var", var));
    TRY(need_buf(dev, op, "gamma", gamma));
    ct_args a = ct_args_begin(dev, CT_K_ln_backward_input);
    ct_arg_buf(&a, dZ);
    ct_arg_buf(&a, dA);
    ct_arg_buf(&a, Y);
    ct_arg_buf(&a, Z);
    ct_arg_buf(&a, mean);
    ct_arg_buf(&a, var);
    ct_arg_buf(&a, gamma);
    ct_arg_float(&a, eps);
    ct_arg_int(&a, (int)act);
    ct_arg_float(&a, alpha);
    ct_arg_uint(&a, (cl_uint)B);
    ct_arg_uint(&a, (cl_uint)N);
    /* a row per item, each a loop over the row: on CPU devices a work-group of one item, so
     * that the rows spread over the cores */
    if (dev->cpu) return ct_args_launch1_local(&a, (size_t)B, 1);
    return ct_args_launch1(&a, (size_t)B);
}

ct_status ct_bn_running(ct_device *dev, ct_buf rm, ct_buf rv, ct_buf mean, ct_buf var,
                        float momentum, int M, int N) {
    static const char op[] = "ct_bn_running";
    if (!dev) return CT_ERR_ARG;
    TRY(need_pos(dev, op, "M", M));
    TRY(need_pos(dev, op, "N", N));
    TRY(need_momentum(dev, op, momentum));
    TRY(need_buf(dev, op, "rm", rm));
    TRY(need_buf(dev, op, "rv", rv));
    TRY(need_buf(dev, op, "mean", mean));
    TRY(need_buf(dev, op, "var", var));
    /* Bessel's correction in double, rounded once */
    float unbias = M > 1 ? (float)((double)M / (double)(M - 1)) : 1.0f;
    ct_args a = ct_args_begin(dev, CT_K_bn_running);
    ct_arg_buf(&a, rm);
    ct_arg_buf(&a, rv);
    ct_arg_buf(&a, mean);
    ct_arg_buf(&a, var);
    ct_arg_float(&a, momentum);
    ct_arg_float(&a, unbias);
    ct_arg_uint(&a, (cl_uint)N);
    return ct_args_launch1(&a, (size_t)N);
}

/* ---- normalization, fused for one process --------------------------------------------------- */

ct_status ct_bn_stats(ct_device *dev, ct_buf mean, ct_buf var, ct_buf rm, ct_buf rv, ct_buf Z,
                      int B, int N, float momentum) {
    static const char op[] = "ct_bn_stats";
    if (!dev) return CT_ERR_ARG;
    TRY(need_bn(dev, op, B, N));
    TRY(need_momentum(dev, op, momentum));
    TRY(need_buf(dev, op, "mean", mean));
    TRY(need_buf(dev, op, "var", var));
    TRY(need_buf(dev, op, "rm", rm));
    TRY(need_buf(dev, op, "rv", rv));
    TRY(need_buf(dev, op, "Z", Z));
    /* the numbers of ct_bn_moment (scale 1 / B) and ct_bn_running (M = B) */
    float unbias = B > 1 ? (float)((double)B / (double)(B - 1)) : 1.0f;
    ct_args a = ct_args_begin(dev, CT_K_bn_stats);
    ct_arg_buf(&a, mean);
    ct_arg_buf(&a, var);
    ct_arg_buf(&a, rm);
    ct_arg_buf(&a, rv);
    ct_arg_buf(&a, Z);
    ct_arg_uint(&a, (cl_uint)B);
    ct_arg_uint(&a, (cl_uint)N);
    ct_arg_float(&a, 1.0f / (float)B);
    ct_arg_float(&a, momentum);
    ct_arg_float(&a, unbias);
    return ct_args_launch1(&a, (size_t)N);
}

ct_status ct_bn_backward(ct_device *dev, ct_buf dZ, ct_buf dgamma, ct_buf dbeta, ct_buf dbias,
                         ct_buf dA, ct_buf Y, ct_buf Z, ct_buf mean, ct_buf var, ct_buf gamma,
                         float eps, ct_act act, float alpha, int B, int N) {
    static const char op[] = "ct_bn_backward";
    if (!dev) return CT_ERR_ARG;
    TRY(need_act(dev, op, act));
    TRY(need_bn(dev, op, B, N));
    TRY(need_eps(dev, op, eps));
    TRY(need_buf(dev, op, "dZ", dZ));
    TRY(need_buf(dev, op, "dgamma", dgamma));
    TRY(need_buf(dev, op, "dbeta", dbeta));
    TRY(need_buf(dev, op, "dbias", dbias));
    TRY(need_buf(dev, op, "dA", dA));
    TRY(need_buf(dev, op, "Y", Y));
    TRY(need_buf(dev, op, "Z", Z));
    TRY(need_buf(dev, op, "mean", mean));
    TRY(need_buf(dev, op, "var", var));
    TRY(need_buf(dev, op, "gamma", gamma));
    ct_args a = ct_args_begin(dev, CT_K_bn_backward);
    ct_arg_buf(&a, dZ);
    ct_arg_buf(&a, dgamma);
    ct_arg_buf(&a, dbeta);
    ct_arg_buf(&a, dbias);
    ct_arg_buf(&a, dA);
    ct_arg_buf(&a, Y);
    ct_arg_buf(&a, Z);
    ct_arg_buf(&a, mean);
    ct_arg_buf(&a, var);
    ct_arg_buf(&a, gamma);
    ct_arg_float(&a, eps);
    ct_arg_int(&a, (int)act);
    ct_arg_float(&a, alpha);
    ct_arg_uint(&a, (cl_uint)B);
    ct_arg_uint(&a, (cl_uint)N);
    return ct_args_launch1(&a, (size_t)N);
}

ct_status ct_ln_forward(ct_device *dev, ct_buf Y, ct_buf A, ct_buf mean, ct_buf var, ct_buf Z,
                        ct_buf gamma, ct_buf beta, float eps, ct_act act, float alpha, int B,
                        int N) {
    static const char op[] = "ct_ln_forward";
    if (!dev) return CT_ERR_ARG;
    TRY(need_act(dev, op, act));
    TRY(need_bn(dev, op, B, N));
    TRY(need_eps(dev, op, eps));
    TRY(need_buf(dev, op, "Y", Y));
    TRY(need_buf(dev, op, "A", A));
    TRY(need_buf(dev, op, "mean", mean));
    TRY(need_buf(dev, op, "var", var));
    TRY(need_buf(dev, op, "Z", Z));
    TRY(need_buf(dev, op, "gamma", gamma));
    TRY(need_buf(dev, op, "beta", beta));
    ct_args a = ct_args_begin(dev, CT_K_ln_forward);
    ct_arg_buf(&a, Y);
    ct_arg_buf(&a, A);
    ct_arg_buf(&a, mean);
    ct_arg_buf(&a, var);
    ct_arg_buf(&a, Z);
    ct_arg_buf(&a, gamma);
    ct_arg_buf(&a, beta);
    ct_arg_float(&a, eps);
    ct_arg_int(&a, (int)act);
    ct_arg_float(&a, alpha);
    ct_arg_uint(&a, (cl_uint)B);
    ct_arg_uint(&a, (cl_uint)N);
    /* a row per item, each a loop over the row: on CPU devices a work-group of one item, so
     * that the rows spread over the cores */
    if (dev->cpu) return ct_args_launch1_local(&a, (size_t)B, 1);
    return ct_args_launch1(&a, (size_t)B);
}

/* ---- the common bits' probe ------------------------------------------------------------- */

#define CT_PROBE_N 4096
#define CT_PROBE_DENORM 3 /* the last triples: denormal results and operands */

int ct_device_gives_common_bits(ct_device *dev, ct_bits_facts *facts) {
    ct_bits_facts f;
    memset(&f, 0, sizeof f);
    cl_device_fp_config fp = 0;
    if (clGetDeviceInfo(dev->id, CL_DEVICE_SINGLE_FP_CONFIG, sizeof fp, &fp, NULL) == CL_SUCCESS) {
        f.cr_reported = (fp & CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT) != 0;
        f.denorm_reported = (fp & CL_FP_DENORM) != 0;
    }
    float *in = malloc(sizeof(float) * 3 * CT_PROBE_N), *out = malloc(sizeof(float) * 6 * CT_PROBE_N);
    cl_mem bin = NULL, bout = NULL;
    int ok = 0;
    if (!in || !out) goto done;
    ct_rng r = {0x5eedb175ULL};
    int nn = CT_PROBE_N - CT_PROBE_DENORM;
    for (int i = 0; i < nn; i++) {
        float a = (float)ldexp(1.0 + ct_rng_uniform(&r), (int)(ct_rng_next(&r) % 21) - 10);
        float b = (float)ldexp(1.0 + ct_rng_uniform(&r), (int)(ct_rng_next(&r) % 21) - 10);
        if (ct_rng_next(&r) & 1) a = -a;
        volatile float p = a * b;
        in[3 * i] = a, in[3 * i + 1] = b, in[3 * i + 2] = -p; /* fused: p's rounding error */
    }
    /* denormals: a * b and fma(a, b, 0) below FLT_MIN; a denormal operand of *, + and fma */
    const float d[CT_PROBE_DENORM][3] = {{0x1.8p-70f, 0x1.4p-70f, 0.0f},
                                         {0x1.8p-130f, 1.0f, 0x1p-126f},
                                         {0x1.8p-140f, 0x1p20f, -0x1.8p-140f}};
    for (int i = 0; i < CT_PROBE_DENORM; i++)
        memcpy(in + 3 * (nn + i), d[i], sizeof d[i]);
    f.probes = nn;
    if (ct_buffer_create(dev, &bin, sizeof(float) * 3 * CT_PROBE_N, "the bits probe") != CT_OK ||
        ct_buffer_create(dev, &bout, sizeof(float) * 6 * CT_PROBE_N, "the bits probe") != CT_OK ||
        ct_buffer_write(dev, bin, 0, sizeof(float) * 3 * CT_PROBE_N, in) != CT_OK)
        goto done;
    ct_args a = ct_args_begin(dev, CT_K_bits_probe);
    ct_arg_buf(&a, ct_at(bout, 0));
    ct_arg_buf(&a, ct_at(bin, 0));
    ct_arg_uint(&a, (cl_uint)CT_PROBE_N);
    if (ct_args_launch1(&a, CT_PROBE_N) != CT_OK ||
        ct_buffer_read(dev, bout, 0, sizeof(float) * 6 * CT_PROBE_N, out) != CT_OK)
        goto done;
    for (int i = 0; i < CT_PROBE_N; i++) {
        const float x = in[3 * i], y = in[3 * i + 1], z = in[3 * i + 2];
        const float *o = out + 6 * i;
        volatile float p = x * y;
        float unfused = p + z, q = x / y, s = sqrtf(fabsf(x)), fm = fmaf(x, y, z), sum = x + z;
        if (i < nn) {
            f.contracted += memcmp(&o[0], &unfused, 4) != 0;
            f.divide_sqrt += memcmp(&o[1], &q, 4) != 0 || memcmp(&o[2], &s, 4) != 0;
        } else {
            float pp = p;
            f.mul_flushes += memcmp(&o[4], &pp, 4) != 0;
            f.fma_flushes += memcmp(&o[3], &fm, 4) != 0;
            f.add_flushes += memcmp(&o[5], &sum, 4) != 0;
        }
    }
    ok = f.contracted == 0 && f.divide_sqrt == 0;
done:
    if (bin) clReleaseMemObject(bin);
    if (bout) clReleaseMemObject(bout);
    free(in);
    free(out);
    if (facts) *facts = f;
    return ok;
}
