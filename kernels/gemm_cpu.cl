/* A matrix product shaped for CPU OpenCL (PoCL): register tiles of vector accumulators, no
 * local memory, no barriers, one work-item per work-group.
 *
 *   C = alpha * op(A) . B' + beta * C, row-major; op(A) is (M, K); C is (M, N).
 *
 * The shape is set by the host per device (host/device/shapes.c): CT_PK_VW floats per
 * vector (4, 8 or 16: the device's native width, so a vector is one register), CT_PK_RM rows
 * and CT_PK_NV vectors per work-item, so CT_PK_RM x CT_PK_NV accumulators fit the registers.
 * Work-item (t, p) computes rows t*CT_PK_RM .. +CT_PK_RM of C and the columns of panel p,
 * CT_PK_W = CT_PK_VW * CT_PK_NV wide. Per k it loads CT_PK_NV vectors of B' and one scalar of A
 * per row, and updates with fma. Whatever the shape, each output is the same fma chain over
 * k = 0..K-1 in order, so every shape gives the same bits.
 * The range is 3-D, (tile in block, panel, block of CT_PK_BLOCK row tiles), and PoCL runs
 * dimension 0 fastest: a block of rows goes across every panel before the next block, so a
 * panel of B stays in cache down the block's tiles and the block's rows of A across the
 * panels. (Panels fastest streamed all of B once per row tile, 0.65-0.8x OpenBLAS at K =
 * 10000; row tiles fastest streamed all of A once per panel, 0.5x for A^T at M = 5000.)
 * B' is read at Bp + p * pstride + k * kstride + c: either B packed into zero-padded panels
 * (pstride = K * W, kstride = W; see pack_b) or B (K, N) itself (pstride = W, kstride = ldb).
 * op(A) is read from A's rows, from A^T in place, or from A^T packed into row tiles (pack_a).
 * Which of these, the variant, is fixed when the kernel is built: one kernel each (PK_KERNEL at
 * the end), so the k loop holds no branch; it runs 4 k per iteration. Edge rows: loads in place
 * clamp the row index; a tile at an edge is stored through private memory, element by element
 * (one small loop instead of an unrolled one per vector halves PoCL's compile of this kernel).
 * The sum over k runs 0..K-1 in order. beta == 0 never reads C. */

#ifndef CT_PK_VW
#define CT_PK_VW CT_VW
#endif
#ifndef CT_PK_RM
#define CT_PK_RM 8
#endif
#ifndef CT_PK_NV
#define CT_PK_NV 2
#endif
#define CT_PK_W (CT_PK_VW * CT_PK_NV)
#define pk_vec CT_CAT(float, CT_PK_VW)
#define pk_load CT_CAT(vload, CT_PK_VW)
#define pk_store CT_CAT(vstore, CT_PK_VW)

/* Bp[p][k][c] = B'(k, p*W + c), zero beyond column N: B' = B (K, N) or, transB, B^T with B
 * stored (N, K). Work-item (kb, cb) packs the 16 k from kb*16 and the CT_PK_VW columns from
 * cb*CT_PK_VW (one vector of a panel), one item per group: each row of the block is read and
 * written as one vector, and with transB the block is transposed in private memory, so both
 * sides run along rows (2-4x the speed of an item per element). */
__kernel __attribute__((reqd_work_group_size(1, 1, 1))) void
pack_b(__global float *Bp, uint offBp, __global const float *B, uint offB, int ldb, int transB,
       int K, int N, int panels) {
    const uint k0 = (uint)get_global_id(0) * 16, col0 = (uint)get_global_id(1) * CT_PK_VW;
    if (k0 >= (uint)K || col0 >= (uint)panels * CT_PK_W) {
        return;
    }
    Bp += offBp;
    B += offB;
    const uint nk = min(16u, (uint)K - k0);
    __global float *out = Bp + ((col0 / CT_PK_W) * (uint)K + k0) * CT_PK_W + col0 % CT_PK_W;
    if (!transB) {
        for (uint kk = 0; kk < nk; ++kk) {
            __global const float *row = B + (k0 + kk) * (uint)ldb + col0;
            pk_vec v;
            if (col0 + CT_PK_VW <= (uint)N) {
                v = pk_load(0, row);
            } else {
                float t[CT_PK_VW];
                for (uint c = 0; c < CT_PK_VW; ++c) {
                    t[c] = col0 + c < (uint)N ? row[c] : 0.0f;
                }
                v = pk_load(0, t);
            }
            pk_store(v, 0, out + kk * CT_PK_W);
        }
    } else {
        float t[CT_PK_VW][16]; /* t[c][kk] = B(col0 + c, k0 + kk) */
        for (uint c = 0; c < CT_PK_VW; ++c) {
            __global const float *src = B + (col0 + c) * (uint)ldb + k0;
            if (col0 + c < (uint)N && nk == 16) {
                for (uint q = 0; q < 16 / CT_PK_VW; ++q) {
                    pk_store(pk_load(q, src), q, t[c]);
                }
            } else {
                for (uint kk = 0; kk < 16; ++kk) {
                    t[c][kk] = col0 + c < (uint)N && kk < nk ? src[kk] : 0.0f;
                }
            }
        }
        for (uint kk = 0; kk < nk; ++kk) {
            float u[CT_PK_VW];
            for (uint c = 0; c < CT_PK_VW; ++c) {
                u[c] = t[c][kk];
            }
            pk_store(pk_load(0, u), 0, out + kk * CT_PK_W);
        }
    }
}

/* Ap[t][k][m] = A(k, t*CT_PK_RM + m), zero beyond row M: A stored (K, M) (op(A) = A^T) cut into
 * the product's row tiles, CT_PK_RM floats per k, so a work-item of the product reads its
 * tile's column of op(A) from consecutive addresses. Work-item (kb, t) packs the 16 k from
 * kb*16 of tile t, one item per group. */
__kernel __attribute__((reqd_work_group_size(1, 1, 1))) void
pack_a(__global float *Ap, uint offAp, __global const float *A, uint offA, int lda, int K, int M) {
    const uint k0 = (uint)get_global_id(0) * 16, t = (uint)get_global_id(1);
    if (k0 >= (uint)K) {
        return;
    }
    Ap += offAp;
    A += offA;
    const uint nk = min(16u, (uint)K - k0), r0 = t * CT_PK_RM;
    __global float *out = Ap + (t * (uint)K + k0) * CT_PK_RM;
    if (r0 + CT_PK_RM <= (uint)M) {
        for (uint kk = 0; kk < nk; ++kk) {
            __global const float *src = A + (k0 + kk) * (uint)lda + r0;
#pragma unroll
            for (uint m = 0; m < CT_PK_RM; ++m) {
                out[kk * CT_PK_RM + m] = src[m];
            }
        }
    } else {
        for (uint kk = 0; kk < nk; ++kk) {
            __global const float *src = A + (k0 + kk) * (uint)lda + r0;
            for (uint m = 0; m < CT_PK_RM; ++m) {
                out[kk * CT_PK_RM + m] = r0 + m < (uint)M ? src[m] : 0.0f;
            }
        }
    }
}

/* The forms of op(A) a variant reads: A stored (M, K), its rows in place (PK_A_ROWS); A stored
 * (K, M) in place (PK_A_T); or A stored (K, M) packed into the row tiles by pack_a
 * (PK_A_TILES: a work-item's CT_PK_RM values of one k at consecutive addresses). */
#define PK_A_ROWS 0
#define PK_A_T 1
#define PK_A_TILES 2

/* One k of the tile: B' row k into b[], then acc[m][v] = fma(op(A)(row m, k), b[v], acc[m][v]).
 * bk: B' at row k; ak: op(A) at k (the A^T forms); k: the k (the rows form). Vector v of B' is
 * read from bk + v * CT_PK_VW (packed) or bk + off[v] (B in place, see pk_gemm). */
#define PK_STEP(k, bk, ak)                                                                       \
    {                                                                                            \
        pk_vec b[CT_PK_NV];                                                                      \
        _Pragma("unroll") for (int v = 0; v < CT_PK_NV; ++v) {                                   \
            b[v] = packed ? pk_load(v, (bk)) : pk_load(0, (bk) + off[v]);                        \
        }                                                                                        \
        _Pragma("unroll") for (int m = 0; m < CT_PK_RM; ++m) {                                   \
            const float a = amode == PK_A_ROWS ? ar[m][k]                                        \
                            : amode == PK_A_T  ? (ak)[row[m]]                                    \
                                               : (ak)[m];                                        \
            _Pragma("unroll") for (int v = 0; v < CT_PK_NV; ++v) {                               \
                acc[m][v] = fma((pk_vec)(a), b[v], acc[m][v]);                                   \
            }                                                                                    \
        }                                                                                        \
    }

/* The product of one work-item for one variant: amode (the form of op(A), above) and packed
 * (B' in zero-padded panels, kstride == CT_PK_W) are constants of each kernel below, so the
 * compiler keeps one k loop per case. An unpacked B (N >= CT_PK_VW, which the host ensures) is
 * read at off[v], v * CT_PK_VW but in the last panel, when it reaches past N, no further than
 * N - CT_PK_VW: a vector that would reach past N is read from the row's last CT_PK_VW columns
 * instead, so its lanes are real columns, some also computed by the vector before it (the same
 * chain, the same bits), and nothing past the row is read. (A second loop for that panel alone,
 * with constant offsets, doubled the compile on Mesa's llvmpipe and gained nothing measurable:
 * B is read in place for small products only.) */
__attribute__((always_inline)) void
pk_gemm(__global float *C, uint offC, int ldc, __global const float *A, uint offA, int lda,
        const int amode, const int packed, __global const float *Bp, uint offBp, uint pstride,
        uint kstride, int M, int N, int K, float alpha, float beta, const int epi,
        __global float *Y, __global const float *bias, int act, float act_alpha) {
    const int p = (int)get_global_id(1);
    const int i0 = (int)(get_global_id(2) * get_global_size(0) + get_global_id(0)) * CT_PK_RM;
    if (i0 >= M) {
        return;
    }
    C += offC;
    A += offA;
    __global const float *bp = Bp + offBp + (uint)p * pstride;
    const int col0 = p * CT_PK_W;

    /* clamped rows for the loads in place (a row past M reads row M - 1; its sums are never
     * stored); the column of the panel where each vector starts */
    int row[CT_PK_RM], off[CT_PK_NV];
    __global const float *ar[CT_PK_RM];
#pragma unroll
    for (int m = 0; m < CT_PK_RM; ++m) {
        row[m] = min(i0 + m, M - 1);
        ar[m] = A + (uint)row[m] * (uint)lda;
    }
#pragma unroll
    for (int v = 0; v < CT_PK_NV; ++v) {
        off[v] = packed ? v * CT_PK_VW : min(v * CT_PK_VW, N - CT_PK_VW - col0);
    }
    pk_vec acc[CT_PK_RM][CT_PK_NV];
#pragma unroll
    for (int m = 0; m < CT_PK_RM; ++m) {
#pragma unroll
        for (int v = 0; v < CT_PK_NV; ++v) {
            acc[m][v] = (pk_vec)(0.0f);
        }
    }
    /* the sum over k = 0..K-1 in order, 4 k per iteration and then the rest one by one, with
     * no branch inside: amode and packed are constants here */
    const uint bs = packed ? (uint)CT_PK_W : kstride,
               as = amode == PK_A_T ? (uint)lda : amode == PK_A_TILES ? CT_PK_RM : 0u;
    __global const float *bk = bp, *ak = amode == PK_A_TILES ? A + (uint)i0 * (uint)K : A;
    int k = 0;
    for (; k + 4 <= K; k += 4) {
        PK_STEP(k, bk, ak)
        bk += bs;
        ak += as;
        PK_STEP(k + 1, bk, ak)
        bk += bs;
        ak += as;
        PK_STEP(k + 2, bk, ak)
        bk += bs;
        ak += as;
        PK_STEP(k + 3, bk, ak)
        bk += bs;
        ak += as;
    }
    for (; k < K; ++k) {
        PK_STEP(k, bk, ak)
        bk += bs;
        ak += as;
    }
    if (epi && i0 + CT_PK_RM <= M && col0 + CT_PK_W <= N) {
        /* an interior tile with the layer's epilogue (gemm_cpu_np_bias_act): z = alpha acc +
         * beta C + b into C, f(z) into Y, whole vectors, the activation a compile-time case
         * (vectorized) */
        pk_vec bv[CT_PK_NV];
#pragma unroll
        for (int v = 0; v < CT_PK_NV; ++v) {
            bv[v] = pk_load(v, bias + col0);
        }
#define PK_EPI_STORE(F)                                                                          \
    _Pragma("unroll") for (int m = 0; m < CT_PK_RM; ++m) {                                       \
        __global float *c = C + (uint)(i0 + m) * (uint)ldc + col0;                               \
        __global float *y = Y + (uint)(i0 + m) * (uint)ldc + col0;                               \
        _Pragma("unroll") for (int v = 0; v < CT_PK_NV; ++v) {                                   \
            pk_vec z = alpha * acc[m][v];                                                        \
            if (beta != 0.0f) {                                                                  \
                z += beta * pk_load(v, c);                                                       \
            }                                                                                    \
            z += bv[v];                                                                          \
            pk_store(z, v, c);                                                                   \
            pk_store(F, v, y);                                                                   \
        }                                                                                        \
    }
        /* ct_act_f's cheap cases, lane by lane the same operations (select keeps a NaN) */
        if (act == CT_ACT_RELU) {
            PK_EPI_STORE(select(z, (pk_vec)(0.0f), z < (pk_vec)(0.0f)))
        } else if (act == CT_ACT_LEAKY_RELU) {
            PK_EPI_STORE(select(z, act_alpha * z, z < (pk_vec)(0.0f)))
        } else {
            PK_EPI_STORE(z)
        }
#undef PK_EPI_STORE
    } else if (i0 + CT_PK_RM <= M && col0 + CT_PK_W <= N) {
        /* an interior tile: whole vectors */
#pragma unroll
        for (int m = 0; m < CT_PK_RM; ++m) {
            __global float *c = C + (uint)(i0 + m) * (uint)ldc + col0;
#pragma unroll
            for (int v = 0; v < CT_PK_NV; ++v) {
                pk_vec r = alpha * acc[m][v];
                if (beta != 0.0f) {
                    r += beta * pk_load(v, c);
                }
                pk_store(r, v, c);
            }
        }
    } else {
        /* a tile at the bottom or right edge: through private memory, element by element;
         * column col0 + j is lane j - off[v] of vector v = j / CT_PK_VW */
        float t[CT_PK_RM * CT_PK_W];
#pragma unroll
        for (int m = 0; m < CT_PK_RM; ++m) {
#pragma unroll
            for (int v = 0; v < CT_PK_NV; ++v) {
                pk_store(alpha * acc[m][v], m * CT_PK_NV + v, t);
            }
        }
        const int rows = min(CT_PK_RM, M - i0), cols = min(CT_PK_W, N - col0);
        for (int m = 0; m < rows; ++m) {
            __global float *c = C + (uint)(i0 + m) * (uint)ldc + col0;
            for (int j = 0; j < cols; ++j) {
                const int v = j / CT_PK_VW;
                const float x = t[m * CT_PK_W + v * CT_PK_VW + j - off[v]];
                const float r = beta != 0.0f ? x + beta * c[j] : x;
                if (epi) {
                    const float z = r + bias[col0 + j];
                    c[j] = z;
                    Y[(uint)(i0 + m) * (uint)ldc + col0 + j] = ct_act_f(act, act_alpha, z);
                } else {
                    c[j] = r;
                }
            }
        }
    }
}

/* The variants, one kernel each (host/kernels.def): gemm_cpu_<a><b>, a = n (PK_A_ROWS), t
 * (PK_A_T) or p (PK_A_TILES), b = p (B' packed by pack_b) or d (B (K, N) read in place). The
 * host reads B in place only where a pack's launch would cost more than it saves, and then A
 * too (host/ops.c); where it packs B it packs A^T too: four variants are used, and a dense
 * layer's forward takes np with its bias and activation (gemm_cpu_np_bias_act, below). */
#define PK_KERNEL(name, amode, packed)                                                           \
    __kernel __attribute__((reqd_work_group_size(1, 1, 1))) void name(                           \
        __global float *C, uint offC, int ldc, __global const float *A, uint offA, int lda,      \
        __global const float *Bp, uint offBp, uint pstride, uint kstride, int M, int N, int K,   \
        float alpha, float beta) {                                                               \
        pk_gemm(C, offC, ldc, A, offA, lda, amode, packed, Bp, offBp, pstride, kstride, M, N,    \
                K, alpha, beta, 0, C, C, 0, 0.0f);                                               \
    }
PK_KERNEL(gemm_cpu_np, PK_A_ROWS, 1)
PK_KERNEL(gemm_cpu_nd, PK_A_ROWS, 0)
PK_KERNEL(gemm_cpu_td, PK_A_T, 0)
PK_KERNEL(gemm_cpu_pp, PK_A_TILES, 1)

/* A dense layer's forward product with its epilogue (host/ops.c ct_dense_forward_bias_act):
 * gemm_cpu_np, then Z = C + b (b broadcast over the rows) stored in C and Y = f(Z) in Y, for
 * the cheap activations (relu, leaky relu, identity; Y may be C for identity). The sums and
 * then the same operations as bias_act_forward, so the same bits (test_gemm compares them). */
__kernel __attribute__((reqd_work_group_size(1, 1, 1))) void
gemm_cpu_np_bias_act(__global float *C, uint offC, int ldc, __global const float *A, uint offA,
                     int lda, __global const float *Bp, uint offBp, uint pstride, uint kstride,
                     int M, int N, int K, float alpha, float beta, __global float *Y, uint offY,
                     __global const float *bias, uint offBias, int act, float act_alpha) {
    pk_gemm(C, offC, ldc, A, offA, lda, PK_A_ROWS, 1, Bp, offBp, pstride, kstride, M, N, K, alpha,
            beta, 1, Y + offY, bias + offBias, act, act_alpha);
}
