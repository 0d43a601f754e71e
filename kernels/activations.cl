/* Bias and activations. Activation codes and f / f' live in common.cl. */

/* Runs the statements with ACT a compile-time activation code for the cheap, common
 * activations, so that each case's loop over the elements vectorizes (a switch per element
 * kept PoCL's loops scalar: 4-5x slower for relu); the others share one loop with the code
 * known at run time, where their math outweighs the switch. */
#define CT_WITH_ACT(act, ...)                                                                   \
    switch (act) {                                                                              \
    case CT_ACT_RELU: {                                                                         \
        const int ACT = CT_ACT_RELU;                                                            \
        __VA_ARGS__                                                                             \
    } break;                                                                                    \
    case CT_ACT_LEAKY_RELU: {                                                                   \
        const int ACT = CT_ACT_LEAKY_RELU;                                                      \
        __VA_ARGS__                                                                             \
    } break;                                                                                    \
    case CT_ACT_IDENTITY: {                                                                     \
        const int ACT = CT_ACT_IDENTITY;                                                        \
        __VA_ARGS__                                                                             \
    } break;                                                                                    \
    default: {                                                                                  \
        const int ACT = act;                                                                    \
        __VA_ARGS__                                                                             \
    } break;                                                                                    \
    }

/* CT_WITH_ACT over the elements t = 0..m-1 of a work-item's block: the cheap activations
 * through CT_EW_FOR (a loop of constant count for a whole block, vectorized), the others in one
 * loop of count m, which their math outweighs: one copy of their code, not two, as rusticl's
 * compile of the program grows with it. */
#define CT_ACT_EW_FOR(act, m, ...)                                                                 \
    switch (act) {                                                                                 \
    case CT_ACT_RELU: {                                                                            \
        const int ACT = CT_ACT_RELU;                                                               \
        CT_EW_FOR(m, __VA_ARGS__)                                                                  \
    } break;                                                                                       \
    case CT_ACT_LEAKY_RELU: {                                                                      \
        const int ACT = CT_ACT_LEAKY_RELU;                                                         \
        CT_EW_FOR(m, __VA_ARGS__)                                                                  \
    } break;                                                                                       \
    case CT_ACT_IDENTITY: {                                                                        \
        const int ACT = CT_ACT_IDENTITY;                                                           \
        CT_EW_FOR(m, __VA_ARGS__)                                                                  \
    } break;                                                                                       \
    default: {                                                                                     \
        const int ACT = act;                                                                       \
        for (uint t = 0; t < (m); ++t) {                                                           \
            __VA_ARGS__                                                                            \
        }                                                                                          \
    } break;                                                                                       \
    }

/* Z = Y + b (b broadcast over the B rows); A = f(Z). Z may be the same buffer and offset as Y.
 * Work-item (c, r) does the CT_EW columns from c * CT_EW of row r. */
__kernel void bias_act_forward(__global float *A, uint offA, __global float *Z, uint offZ,
                               __global const float *Y, uint offY, __global const float *b,
                               uint offb, int act, float alpha, uint B, uint N) {
    const uint c0 = (uint)get_global_id(0) * CT_EW, r = (uint)get_global_id(1);
    /* | rather than ||: one exit, where the short-circuit's two made rusticl's llvmpipe compile
     * the kernel in 23 s instead of 6 */
    if ((c0 >= N) | (r >= B)) {
        return;
    }
    const uint m = min((uint)CT_EW, N - c0);
    A += offA + r * N + c0;
    Z += offZ + r * N + c0;
    Y += offY + r * N + c0;
    b += offb + c0;
    /* Y is read whole before Z is written (Z may alias Y), so the stores need no overlap test */
    float z[CT_EW];
    CT_EW_FOR(m, z[t] = Y[t] + b[t];)
    CT_ACT_EW_FOR(act, m, {
        Z[t] = z[t];
        A[t] = ct_act_f(ACT, alpha, z[t]);
    })
}

/* A = f(Z), n elements (A may alias Z); CT_EW elements per work-item. */
__kernel void act_forward(__global float *A, uint offA, __global const float *Z, uint offZ, int act,
                          float alpha, uint n) {
    const uint i0 = (uint)get_global_id(0) * CT_EW;
    if (i0 >= n) {
        return;
    }
    const uint m = min((uint)CT_EW, n - i0);
    A += offA + i0;
    Z += offZ + i0;
    float z[CT_EW];
    CT_EW_FOR(m, z[t] = Z[t];)
    CT_ACT_EW_FOR(act, m, A[t] = ct_act_f(ACT, alpha, z[t]);)
}

/* dZ = dA * f'(Z), n elements; dZ may alias dA; CT_EW elements per work-item. */
__kernel void act_backward(__global float *dZ, uint offdZ, __global const float *dA, uint offdA,
                           __global const float *Z, uint offZ, int act, float alpha, uint n) {
    const uint i0 = (uint)get_global_id(0) * CT_EW;
    if (i0 >= n) {
        return;
    }
    const uint m = min((uint)CT_EW, n - i0);
    dZ += offdZ + i0;
    dA += offdA + i0;
    Z += offZ + i0;
    float g[CT_EW], z[CT_EW];
    CT_EW_FOR(m, {
        g[t] = dA[t];
        z[t] = Z[t];
    })
#ifdef CT_FAULT_ACT_BACKWARD
    /* test-only fault (CLTRAIN_FAULT=act_backward): a wrong derivative for gradcheck to catch */
    CT_EW_FOR(m, g[t] *= 1.01f;)
#endif
    CT_ACT_EW_FOR(act, m, dZ[t] = g[t] * ct_act_df(ACT, alpha, z[t]);)
}

/* act_backward and bias_backward in one pass, for a hidden layer's (B, N) delta:
 * dZ = dA * f'(Z) and db[j] = beta * db[j] + sum_i dZ[i][j]. Work-item c does the CT_EW columns
 * from c * CT_EW, rows 0..B-1 in order, so dZ and db have the bits of the two kernels run one
 * after the other. dZ may alias dA. */
__kernel void act_bias_backward(__global float *dZ, uint offdZ, __global float *db, uint offdb,
                                __global const float *dA, uint offdA, __global const float *Z,
                                uint offZ, int act, float alpha, uint B, uint N, float beta) {
    const uint c0 = (uint)get_global_id(0) * CT_EW;
    if (c0 >= N) {
        return;
    }
    const uint m = min((uint)CT_EW, N - c0);
    dZ += offdZ + c0;
    dA += offdA + c0;
    Z += offZ + c0;
    db += offdb + c0;
    float s[CT_EW];
    for (uint t = 0; t < CT_EW; ++t) {
        s[t] = 0.0f;
    }
#ifdef CT_FAULT_ACT_BACKWARD
    /* test-only fault, as in act_backward: a wrong derivative (identity, the output layer's
     * bias pass, has none) */
    const float fault = act != CT_ACT_IDENTITY ? 1.01f : 1.0f;
#else
    const float fault = 1.0f;
#endif
    if (m == CT_EW) { /* a whole strip: no test per element, so the strip vectorizes */
        CT_WITH_ACT(act, for (uint i = 0; i < B; ++i) {
            const uint r = i * N;
            float g[CT_EW], z[CT_EW];
            for (uint t = 0; t < CT_EW; ++t) {
                g[t] = dA[r + t];
                z[t] = Z[r + t];
            }
            for (uint t = 0; t < CT_EW; ++t) {
                const float d = (g[t] * fault) * ct_act_df(ACT, alpha, z[t]);
                dZ[r + t] = d;
                s[t] += d;
            }
        })
    } else { /* the last, partial strip: one per launch, not specialised (less to compile) */
        for (uint i = 0; i < B; ++i) {
            const uint r = i * N;
            for (uint t = 0; t < m; ++t) {
                const float d = (dA[r + t] * fault) * ct_act_df(act, alpha, Z[r + t]);
                dZ[r + t] = d;
                s[t] += d;
            }
        }
    }
    for (uint t = 0; t < CT_EW; ++t) {
        if (t < m) {
            db[t] = beta == 0.0f ? s[t] : beta * db[t] + s[t];
        }
    }
}

/* db[j] = beta * db[j] + sum_i dZ[i][j]: one work-item per column, rows 0..B-1 in order.
 * beta == 0 never reads db. */
__kernel void bias_backward(__global float *db, uint offdb, __global const float *dZ, uint offdZ,
                            uint B, uint N, float beta) {
    uint j = (uint)get_global_id(0);
    if (j >= N) {
        return;
    }
    db += offdb;
    dZ += offdZ;
    float s = 0.0f;
    for (uint i = 0; i < B; ++i) {
        s += dZ[i * N + j];
    }
    db[j] = beta == 0.0f ? s : beta * db[j] + s;
}
