/* The project's own matrix product, shaped for GPUs (used when CLBlast is absent, broken or not
 * chosen; CPU devices use kernels/gemm_cpu.cl).
 *
 *   C = alpha * op(A) . op(B) + beta * C, row-major; op(A) (M, K), op(B) (K, N), C (M, N).
 *   transA: A is stored (K, M); transB: B is stored (N, K). lda/ldb/ldc: row strides.
 *
 * Shape (build defines from the device's kernel shape, ogm ogn ogk ogwm ogwn: host/device.c, og_tiles):
 *   CT_OG_TSM x CT_OG_TSN  the tile of C one work-group computes (rows x columns)
 *   CT_OG_TSK              the depth of one step over k: op(A) TSM x TSK and op(B) TSK x TSN
 *                          are staged in local memory per step
 *   CT_OG_WPTM x CT_OG_WPTN  the outputs of one work-item (its register tile)
 *   CT_OG_PAD              extra floats per row of the local tiles (bank conflicts)
 * Work-group (RTSN, RTSM) = (TSN / WPTN, TSM / WPTM); the host rounds the global size up to
 * whole work-groups: dimension 0 over the columns of C, dimension 1 over the rows.
 *
 * Index mapping: work-group (gx, gy) owns rows row0 = gy * TSM .. +TSM and columns
 * col0 = gx * TSN .. +TSN of C. Work-item (tx, ty) owns the strided outputs
 *   C[row0 + ty + wm * RTSM][col0 + tx + wn * RTSN],  wm < WPTM, wn < WPTN,
 * so neighbouring work-items (tx) write neighbouring elements of C and read neighbouring
 * elements of the local tiles. The NT = RTSM * RTSN items of a group load the tiles together,
 * element l = tid + i * NT of a tile for i = 0.., where the index that runs fastest in l is the
 * contiguous index of the stored matrix (k for A, m for A^T, n for B, k for B^T): neighbouring
 * work-items read neighbouring global addresses whether or not the matrix is transposed. Tile
 * elements outside op(A) or op(B) (m >= M, n >= N, k >= K) are stored as zeros and never
 * enter a sum: the last step runs over its valid k only.
 *
 * LOOPS ON MESA. Mesa's llvmpipe (rusticl's CPU driver; 22.3 here) gives each work-item one
 * budget of 65535 loop iterations, shared by every loop its compiler did not unroll (gallivm's
 * loop limiter, LP_MAX_TGSI_LOOP_ITERATIONS, a guard against endless graphics shaders); when it
 * is spent, every loop is left early, silently. It does not honour #pragma unroll: the
 * register tile's update written as two nested loops over wm and wn stayed loops there, ~83
 * counted iterations per k with 8 x 8 outputs per item, so every output of the default tile
 * stopped at k = 786 (K = 1000: 751 of 765 outputs wrong; tests/test_loop_budget.c keeps the
 * reduced kernel). So the loops over wn are written out (CT_REPN): there a k costs the kk
 * loop's iteration and the wm loop's WPTM + 1 (it stays a loop on llvmpipe), and K up to 6355
 * works with the default tile (measured; beyond it llvmpipe still stops early, as it does for
 * any kernel's long loop, so on llvmpipe the host splits a longer K into parts that continue
 * one chain: `chain` below, host/ops.c gemm_k_part). Writing out the loop over wm too (64 accumulators in one block)
 * made llvmpipe take ~27 s of CPU to build the kernel instead of ~5. The same operations in
 * the same order: the same bits.
 *
 * THE BIT RULE: each output is acc = 0.0f, then acc = fma(a, b, acc) for k = 0..K-1 strictly
 * in order (no partial sums; a K split on the host continues one chain, see `chain`), then stored exactly as gemm_cpu stores it:
 * r = alpha * acc, then r + beta * C_old when beta != 0. So whatever the tile shape, this
 * product gives the same bits as the CPU-shaped one on the same device (tests/test_gemm.c
 * checks it). beta == 0 never reads C. */

#ifndef CT_OG_TSM
#define CT_OG_TSM 64
#endif
#ifndef CT_OG_TSN
#define CT_OG_TSN 64
#endif
#ifndef CT_OG_TSK
#define CT_OG_TSK 16
#endif
#ifndef CT_OG_WPTM
#define CT_OG_WPTM 8
#endif
#ifndef CT_OG_WPTN
#define CT_OG_WPTN 8
#endif
#ifndef CT_OG_PAD
#define CT_OG_PAD 1
#endif
#define CT_OG_RTSM (CT_OG_TSM / CT_OG_WPTM) /* work-items down a tile (local dimension 1) */
#define CT_OG_RTSN (CT_OG_TSN / CT_OG_WPTN) /* work-items across a tile (local dimension 0) */
#define CT_OG_NT (CT_OG_RTSM * CT_OG_RTSN)  /* work-items per group */
#define CT_OG_LDA_TILE (CT_OG_TSM + CT_OG_PAD)
#define CT_OG_LDB_TILE (CT_OG_TSN + CT_OG_PAD)

#if CT_OG_TSM % CT_OG_WPTM != 0 || CT_OG_TSN % CT_OG_WPTN != 0
#error "CT_OG_TSM and CT_OG_TSN must be multiples of CT_OG_WPTM and CT_OG_WPTN"
#endif
#if (CT_OG_TSM * CT_OG_TSK) % CT_OG_NT != 0 || (CT_OG_TSN * CT_OG_TSK) % CT_OG_NT != 0
#error "the work-items of a group must divide the elements of a tile evenly"
#endif
#if CT_OG_WPTN > 511
#error "CT_OG_WPTN must be at most 511"
#endif

/* CT_REPN(n, M): the statements M(0) M(1) ... M(n - 1), in that order, for a constant n < 512,
 * written out where a loop would do (see LOOPS ON MESA). n is split into its binary digits:
 * CT_REP<2^j>(M, b) writes M(b) .. M(b + 2^j - 1), and digit 2^j's block starts after the lower
 * digits' (at n & (2^j - 1)), so the indices ascend. The `if`s are constant: compilers drop the
 * blocks of the zero digits without generating them. */
#define CT_REP1(M, b) M(b)
#define CT_REP2(M, b) CT_REP1(M, b) CT_REP1(M, (b) + 1)
#define CT_REP4(M, b) CT_REP2(M, b) CT_REP2(M, (b) + 2)
#define CT_REP8(M, b) CT_REP4(M, b) CT_REP4(M, (b) + 4)
#define CT_REP16(M, b) CT_REP8(M, b) CT_REP8(M, (b) + 8)
#define CT_REP32(M, b) CT_REP16(M, b) CT_REP16(M, (b) + 16)
#define CT_REP64(M, b) CT_REP32(M, b) CT_REP32(M, (b) + 32)
#define CT_REP128(M, b) CT_REP64(M, b) CT_REP64(M, (b) + 64)
#define CT_REP256(M, b) CT_REP128(M, b) CT_REP128(M, (b) + 128)
#define CT_REPN(n, M)                                                                              \
    if ((n) & 1) { CT_REP1(M, 0) }                                                                 \
    if ((n) & 2) { CT_REP2(M, (n) & 1) }                                                           \
    if ((n) & 4) { CT_REP4(M, (n) & 3) }                                                           \
    if ((n) & 8) { CT_REP8(M, (n) & 7) }                                                           \
    if ((n) & 16) { CT_REP16(M, (n) & 15) }                                                        \
    if ((n) & 32) { CT_REP32(M, (n) & 31) }                                                        \
    if ((n) & 64) { CT_REP64(M, (n) & 63) }                                                        \
    if ((n) & 128) { CT_REP128(M, (n) & 127) }                                                     \
    if ((n) & 256) { CT_REP256(M, (n) & 255) }

/* As[kk][r] = op(A)[row0 + r][k0 + kk], zero outside op(A). The tile index arithmetic is
 * unsigned: with power-of-two tiles its / and % become shifts and masks, where a signed pair
 * made LLVM insert a `freeze` that oclgrind's --uninitialized check cannot run. Any shape that
 * passes the #error checks above is correct. */
void og_load_a(__local float (*As)[CT_OG_LDA_TILE], __global const float *A, int lda, int transA,
               int M, int K, int row0, int k0, uint tid) {
    if (transA) {
        /* A stored (K, M): op(A)(m, k) at A[k * lda + m]; l runs along m */
#pragma unroll
        for (uint i = 0; i < CT_OG_TSM * CT_OG_TSK / CT_OG_NT; ++i) {
            const uint l = tid + i * CT_OG_NT, r = l % CT_OG_TSM, kk = l / CT_OG_TSM;
            const int m = row0 + (int)r, k = k0 + (int)kk;
            As[kk][r] = (m < M && k < K) ? A[(uint)k * (uint)lda + (uint)m] : 0.0f;
        }
    } else {
        /* A stored (M, K): op(A)(m, k) at A[m * lda + k]; l runs along k */
#pragma unroll
        for (uint i = 0; i < CT_OG_TSM * CT_OG_TSK / CT_OG_NT; ++i) {
            const uint l = tid + i * CT_OG_NT, kk = l % CT_OG_TSK, r = l / CT_OG_TSK;
            const int m = row0 + (int)r, k = k0 + (int)kk;
            As[kk][r] = (m < M && k < K) ? A[(uint)m * (uint)lda + (uint)k] : 0.0f;
        }
    }
}

/* Bs[kk][c] = op(B)[k0 + kk][col0 + c], zero outside op(B). */
void og_load_b(__local float (*Bs)[CT_OG_LDB_TILE], __global const float *B, int ldb, int transB,
               int N, int K, int col0, int k0, uint tid) {
    if (transB) {
        /* B stored (N, K): op(B)(k, n) at B[n * ldb + k]; l runs along k */
#pragma unroll
        for (uint i = 0; i < CT_OG_TSN * CT_OG_TSK / CT_OG_NT; ++i) {
            const uint l = tid + i * CT_OG_NT, kk = l % CT_OG_TSK, c = l / CT_OG_TSK;
            const int n = col0 + (int)c, k = k0 + (int)kk;
            Bs[kk][c] = (n < N && k < K) ? B[(uint)n * (uint)ldb + (uint)k] : 0.0f;
        }
    } else {
        /* B stored (K, N): op(B)(k, n) at B[k * ldb + n]; l runs along n */
#pragma unroll
        for (uint i = 0; i < CT_OG_TSN * CT_OG_TSK / CT_OG_NT; ++i) {
            const uint l = tid + i * CT_OG_NT, c = l % CT_OG_TSN, kk = l / CT_OG_TSN;
            const int n = col0 + (int)c, k = k0 + (int)kk;
            Bs[kk][c] = (n < N && k < K) ? B[(uint)k * (uint)ldb + (uint)n] : 0.0f;
        }
    }
}

/* The register tile's update over the first kn k of the staged tiles, k in order. Called with
 * kn = CT_OG_TSK (a constant: the loop unrolls) for a whole step, with the valid count for the
 * last, partial one. The loops over wn are written out (LOOPS ON MESA). */
void og_mac(float (*acc)[CT_OG_WPTN], __local float (*As)[CT_OG_LDA_TILE],
            __local float (*Bs)[CT_OG_LDB_TILE], int tx, int ty, int kn) {
    for (int kk = 0; kk < kn; ++kk) {
        float b[CT_OG_WPTN];
#define CT_OG_GET_B(wn) b[wn] = Bs[kk][tx + (wn) * CT_OG_RTSN];
        CT_REPN(CT_OG_WPTN, CT_OG_GET_B)
#pragma unroll
        for (int wm = 0; wm < CT_OG_WPTM; ++wm) {
            const float a = As[kk][ty + wm * CT_OG_RTSM];
#define CT_OG_FMA(wn) acc[wm][wn] = fma(a, b[wn], acc[wm][wn]);
            CT_REPN(CT_OG_WPTN, CT_OG_FMA)
        }
    }
}

/* chain (a product whose K is split on the host into parts that run one after another, for
 * devices that stop long loops early: see LOOPS ON MESA and host/ops.c): bit 1 starts each
 * accumulator from T[row * N + col] instead of 0, bit 2 stores the accumulator there unscaled
 * instead of storing C. A part continues the previous part's fma chain from its exact float,
 * so the split product has the bits of the whole one. chain == 0: T is not used. */
__kernel __attribute__((reqd_work_group_size(CT_OG_RTSN, CT_OG_RTSM, 1))) void
gemm(__global float *C, uint offC, int ldc, __global const float *A, uint offA, int lda,
     __global const float *B, uint offB, int ldb, int M, int N, int K, int transA, int transB,
     float alpha, float beta, __global float *T, int chain) {
    __local float As[CT_OG_TSK][CT_OG_LDA_TILE];
    __local float Bs[CT_OG_TSK][CT_OG_LDB_TILE];

    C += offC;
    A += offA;
    B += offB;

    const int tx = (int)get_local_id(0);
    const int ty = (int)get_local_id(1);
    const uint tid = (uint)(ty * CT_OG_RTSN + tx);
    const int col0 = (int)get_group_id(0) * CT_OG_TSN;
    const int row0 = (int)get_group_id(1) * CT_OG_TSM;

    float acc[CT_OG_WPTM][CT_OG_WPTN];
#pragma unroll
    for (int wm = 0; wm < CT_OG_WPTM; ++wm) {
#pragma unroll
        for (int wn = 0; wn < CT_OG_WPTN; ++wn) {
            acc[wm][wn] = 0.0f;
        }
    }
    if (chain & 1) {
#pragma unroll
        for (int wm = 0; wm < CT_OG_WPTM; ++wm) {
            const int row = row0 + ty + wm * CT_OG_RTSM;
#pragma unroll
            for (int wn = 0; wn < CT_OG_WPTN; ++wn) {
                const int col = col0 + tx + wn * CT_OG_RTSN;
                if (row < M && col < N) {
                    acc[wm][wn] = T[(uint)row * (uint)N + (uint)col];
                }
            }
        }
    }

    for (int k0 = 0; k0 < K; k0 += CT_OG_TSK) {
        og_load_a(As, A, lda, transA, M, K, row0, k0, tid);
        og_load_b(Bs, B, ldb, transB, N, K, col0, k0, tid);
        barrier(CLK_LOCAL_MEM_FENCE);
        /* the same for every item of the group: the branch is uniform */
        const int kn = min(CT_OG_TSK, K - k0);
        if (kn == CT_OG_TSK) {
            og_mac(acc, As, Bs, tx, ty, CT_OG_TSK);
        } else {
            og_mac(acc, As, Bs, tx, ty, kn);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    /* the store of gemm_cpu, expression for expression (the bit rule) */
#pragma unroll
    for (int wm = 0; wm < CT_OG_WPTM; ++wm) {
        const int row = row0 + ty + wm * CT_OG_RTSM;
#pragma unroll
        for (int wn = 0; wn < CT_OG_WPTN; ++wn) {
            const int col = col0 + tx + wn * CT_OG_RTSN;
            if (row < M && col < N && (chain & 2)) {
                T[(uint)row * (uint)N + (uint)col] = acc[wm][wn];
            } else if (row < M && col < N) {
                __global float *c = C + (uint)row * (uint)ldc + (uint)col;
                float r = alpha * acc[wm][wn];
                if (beta != 0.0f) {
                    r += beta * *c;
                }
                *c = r;
            }
        }
    }
}
