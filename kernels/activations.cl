/* Bias and activations. Activation codes and f / f' live in common.cl. */

/* Z = Y + b (b broadcast over the B rows); A = f(Z). Z may be the same buffer and offset as Y. */
__kernel void bias_act_forward(__global float *A, uint offA, __global float *Z, uint offZ,
                               __global const float *Y, uint offY, __global const float *b,
                               uint offb, int act, float alpha, uint B, uint N) {
    uint i = (uint)get_global_id(0);
    if (i >= B * N) {
        return;
    }
    A += offA;
    Z += offZ;
    Y += offY;
    b += offb;
    float z = Y[i] + b[i % N];
    Z[i] = z;
    A[i] = ct_act_f(act, alpha, z);
}

/* A = f(Z), n elements (A may alias Z). */
__kernel void act_forward(__global float *A, uint offA, __global const float *Z, uint offZ, int act,
                          float alpha, uint n) {
    uint i = (uint)get_global_id(0);
    if (i >= n) {
        return;
    }
    A += offA;
    Z += offZ;
    A[i] = ct_act_f(act, alpha, Z[i]);
}

/* dZ = dA * f'(Z), n elements; dZ may alias dA. */
__kernel void act_backward(__global float *dZ, uint offdZ, __global const float *dA, uint offdA,
                           __global const float *Z, uint offZ, int act, float alpha, uint n) {
    uint i = (uint)get_global_id(0);
    if (i >= n) {
        return;
    }
    dZ += offdZ;
    dA += offdA;
    Z += offZ;
#ifdef CT_FAULT_ACT_BACKWARD
    /* test-only fault (CLTRAIN_FAULT=act_backward): a wrong derivative for gradcheck to catch */
    dZ[i] = dA[i] * ct_act_df(act, alpha, Z[i]) * 1.01f;
#else
    dZ[i] = dA[i] * ct_act_df(act, alpha, Z[i]);
#endif
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
