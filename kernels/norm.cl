/* Normalization after a hidden dense layer, before its activation (host/ops.h, host/ref.c):
 * xhat = (Z - mean) rstd with rstd = 1 / sqrt(var + eps), Y = gamma xhat + beta, A = f(Y).
 * Batch norm keeps its statistics per column (over the batch), layer norm per row (over the
 * features; per_row 1); gamma and beta are per column. Every sum runs over its index in order
 * inside one work-item, so no result depends on the launch shape.
 *
 * Denormals (kernels/common.cl): every product, quotient and signed sum here goes through ct_fm,
 * ct_fa or ct_fz, so no statistic, running statistic, output or gradient is denormal on any
 * implementation: a running statistic whose batch value is exactly 0 (a constant column) decays
 * by (1 - momentum) a step and becomes +0 where it would go below FLT_MIN, and a tiny gradient
 * times a tiny derivative is +-0. Sums of squares add values >= 0 and need no flush. */

/* 1 / sqrt(var + eps), the same expression in every kernel of this file. */
float ct_norm_rstd(float var, float eps) { return 1.0f / sqrt(var + eps); }

/* out[j] = scale * sum_i (centered ? (Z[i][j] - mean[j])^2 : Z[i][j]): one work-item per
 * column, rows 0..B-1 in order. mean is not read when centered == 0. */
__kernel void bn_moment(__global float *out, uint offout, __global const float *Z, uint offZ,
                        __global const float *mean, uint offmean, uint B, uint N, int centered,
                        float scale) {
    const uint j = (uint)get_global_id(0);
    if (j >= N) {
        return;
    }
    Z += offZ + j;
    float s = 0.0f;
    if (centered) {
        const float m = mean[offmean + j];
        for (uint i = 0; i < B; ++i) {
            const float d = ct_fa(Z[i * N], -m);
            s += ct_fm(d, d);
        }
    } else {
        for (uint i = 0; i < B; ++i) {
            s = ct_fa(s, Z[i * N]);
        }
    }
    out[offout + j] = ct_fm(scale, s);
}

/* The mean and the biased variance of x[0..n), two passes in order. */
void ct_row_moments(__global const float *x, uint n, float *mean, float *var) {
    float s = 0.0f;
    for (uint j = 0; j < n; ++j) {
        s = ct_fa(s, x[j]);
    }
    const float m = ct_fz(s / (float)n);
    float v = 0.0f;
    for (uint j = 0; j < n; ++j) {
        const float d = ct_fa(x[j], -m);
        v += ct_fm(d, d);
    }
    *mean = m;
    *var = ct_fz(v / (float)n);
}

/* mean[i] and the biased var[i] of each row of Z (B, N): one work-item per row, two passes
 * over its columns in order. */
__kernel void ln_stats(__global float *mean, uint offmean, __global float *var, uint offvar,
                       __global const float *Z, uint offZ, uint B, uint N) {
    const uint i = (uint)get_global_id(0);
    if (i >= B) {
        return;
    }
    float m, v;
    ct_row_moments(Z + offZ + i * N, N, &m, &v);
    mean[offmean + i] = m;
    var[offvar + i] = v;
}

/* Y = gamma xhat + beta and A = f(Y), elementwise: work-item (j, i) does element (i, j). The
 * statistics are those of column j (per_row 0) or of row i (per_row 1). */
__kernel void norm_apply(__global float *Y, uint offY, __global float *A, uint offA,
                         __global const float *Z, uint offZ, __global const float *mean,
                         uint offmean, __global const float *var, uint offvar,
                         __global const float *gamma, uint offgamma, __global const float *beta,
                         uint offbeta, float eps, int act, float alpha, uint B, uint N,
                         int per_row) {
    const uint j = (uint)get_global_id(0), i = (uint)get_global_id(1);
    if (j >= N || i >= B) {
        return;
    }
    const uint k = i * N + j, s = per_row ? i : j;
    const float rstd = ct_norm_rstd(var[offvar + s], eps);
    const float xhat = ct_fm(ct_fa(Z[offZ + k], -mean[offmean + s]), rstd);
    const float y = ct_fa(ct_fm(gamma[offgamma + j], xhat), beta[offbeta + j]);
    Y[offY + k] = y;
    A[offA + k] = ct_act_f(act, alpha, y);
}

/* Column j's sums of g = dA f'(Y): *sg = sum_i g xhat, *sb = sum_i g, rows 0..B-1 in order, with
 * the statistics of the column (per_row 0) or of each row (1). The pointers start at column j of
 * row 0 (dA, Y, Z) and at element 0 (mean, var). */
void ct_norm_col_sums(__global const float *dA, __global const float *Y, __global const float *Z,
                      __global const float *mean, __global const float *var, float eps, int act,
                      float alpha, uint B, uint N, uint j, int per_row, float *sg, float *sb) {
    float m = 0.0f, rstd = 0.0f;
    if (!per_row) {
        m = mean[j];
        rstd = ct_norm_rstd(var[j], eps);
    }
    float a = 0.0f, b = 0.0f;
    for (uint i = 0; i < B; ++i) {
        if (per_row) {
            m = mean[i];
            rstd = ct_norm_rstd(var[i], eps);
        }
        const uint k = i * N;
        const float g = ct_fm(dA[k], ct_act_df(act, alpha, Y[k]));
        a = ct_fa(a, ct_fm(g, ct_fm(ct_fa(Z[k], -m), rstd)));
        b = ct_fa(b, g);
    }
    *sg = a;
    *sb = b;
}

/* g = dA f'(Y); dgamma[j] = sum_i g xhat, dbeta[j] = sum_i g: one work-item per column, rows
 * 0..B-1 in order. */
__kernel void norm_param_grads(__global float *dgamma, uint offdgamma, __global float *dbeta,
                               uint offdbeta, __global const float *dA, uint offdA,
                               __global const float *Y, uint offY, __global const float *Z,
                               uint offZ, __global const float *mean, uint offmean,
                               __global const float *var, uint offvar, float eps, int act,
                               float alpha, uint B, uint N, int per_row) {
    const uint j = (uint)get_global_id(0);
    if (j >= N) {
        return;
    }
    float sg, sb;
    ct_norm_col_sums(dA + offdA + j, Y + offY + j, Z + offZ + j, mean + offmean, var + offvar, eps,
                     act, alpha, B, N, j, per_row, &sg, &sb);
    dgamma[offdgamma + j] = sg;
    dbeta[offdbeta + j] = sb;
}

/* Batch norm's input gradient, elementwise (work-item (j, i) does element (i, j)):
 * g = dA f'(Y), dZ = gamma rstd (g - (dbeta + xhat dgamma) / M) with the statistics of a batch
 * of M rows; M == 0: dZ = gamma rstd g (constant statistics; dgamma, dbeta not read).
 * dZ may alias dA: each work-item reads its element before it writes it. */
__kernel void bn_backward_input(__global float *dZ, uint offdZ, __global const float *dA,
                                uint offdA, __global const float *Y, uint offY,
                                __global const float *Z, uint offZ, __global const float *mean,
                                uint offmean, __global const float *var, uint offvar,
                                __global const float *gamma, uint offgamma,
                                __global const float *dgamma, uint offdgamma,
                                __global const float *dbeta, uint offdbeta, float eps, int act,
                                float alpha, uint M, uint B, uint N) {
    const uint j = (uint)get_global_id(0), i = (uint)get_global_id(1);
    if (j >= N || i >= B) {
        return;
    }
    const uint k = i * N + j;
    const float rstd = ct_norm_rstd(var[offvar + j], eps);
    float d = ct_fm(dA[offdA + k], ct_act_df(act, alpha, Y[offY + k]));
    if (M > 0) {
        const float xhat = ct_fm(ct_fa(Z[offZ + k], -mean[offmean + j]), rstd);
        d = ct_fa(d, -ct_fz(ct_fa(dbeta[offdbeta + j], ct_fm(xhat, dgamma[offdgamma + j])) /
                            (float)M));
    }
    dZ[offdZ + k] = ct_fm(ct_fm(gamma[offgamma + j], rstd), d);
}

/* Layer norm's input gradient: one work-item per row i. h = gamma g (g = dA f'(Y)); a first
 * pass over the columns in order sums h and h xhat, a second writes
 * dZ = rstd (h - mean(h) - xhat mean(h xhat)). dZ may alias dA: the second pass reads each
 * element of dA before it writes that element of dZ. */
__kernel void ln_backward_input(__global float *dZ, uint offdZ, __global const float *dA,
                                uint offdA, __global const float *Y, uint offY,
                                __global const float *Z, uint offZ, __global const float *mean,
                                uint offmean, __global const float *var, uint offvar,
                                __global const float *gamma, uint offgamma, float eps, int act,
                                float alpha, uint B, uint N) {
    const uint i = (uint)get_global_id(0);
    if (i >= B) {
        return;
    }
    const uint r = i * N;
    dZ += offdZ + r;
    dA += offdA + r;
    Y += offY + r;
    Z += offZ + r;
    gamma += offgamma;
    const float m = mean[offmean + i], rstd = ct_norm_rstd(var[offvar + i], eps);
    float c1 = 0.0f, c2 = 0.0f;
    for (uint j = 0; j < N; ++j) {
        const float h = ct_fm(gamma[j], ct_fm(dA[j], ct_act_df(act, alpha, Y[j])));
        c1 = ct_fa(c1, h);
        c2 = ct_fa(c2, ct_fm(h, ct_fm(ct_fa(Z[j], -m), rstd)));
    }
    c1 = ct_fz(c1 / (float)N);
    c2 = ct_fz(c2 / (float)N);
    for (uint j = 0; j < N; ++j) {
        const float h = ct_fm(gamma[j], ct_fm(dA[j], ct_act_df(act, alpha, Y[j])));
        const float xhat = ct_fm(ct_fa(Z[j], -m), rstd);
        dZ[j] = ct_fm(rstd, ct_fa(ct_fa(h, -c1), -ct_fm(xhat, c2)));
    }
}

/* Running statistics of batch norm, one work-item per column:
 * rm = (1 - momentum) rm + momentum mean; rv = (1 - momentum) rv + momentum var unbias, where
 * the host passes unbias = M / (M - 1) (1 when M == 1). */
__kernel void bn_running(__global float *rm, uint offrm, __global float *rv, uint offrv,
                         __global const float *mean, uint offmean, __global const float *var,
                         uint offvar, float momentum, float unbias, uint N) {
    const uint j = (uint)get_global_id(0);
    if (j >= N) {
        return;
    }
    rm += offrm;
    rv += offrv;
    rm[j] = ct_fa(ct_fm(1.0f - momentum, rm[j]), ct_fm(momentum, mean[offmean + j]));
    rv[j] = ct_fa(ct_fm(1.0f - momentum, rv[j]), ct_fm(ct_fm(momentum, var[offvar + j]), unbias));
}

/* ---- fused forms for one process (no exchange of statistics between ranks) ----------------- */

/* Batch norm's statistics and running statistics in one pass per column: the mean and the
 * biased variance of bn_moment (scale = 1 / M), then the update of bn_running, with the same
 * arithmetic in the same order as those two kernels. */
__kernel void bn_stats(__global float *mean, uint offmean, __global float *var, uint offvar,
                       __global float *rm, uint offrm, __global float *rv, uint offrv,
                       __global const float *Z, uint offZ, uint B, uint N, float scale,
                       float momentum, float unbias) {
    const uint j = (uint)get_global_id(0);
    if (j >= N) {
        return;
    }
    Z += offZ + j;
    float s = 0.0f;
    for (uint i = 0; i < B; ++i) {
        s = ct_fa(s, Z[i * N]);
    }
    const float m = ct_fm(scale, s);
    float v = 0.0f;
    for (uint i = 0; i < B; ++i) {
        const float d = ct_fa(Z[i * N], -m);
        v += ct_fm(d, d);
    }
    const float va = ct_fm(scale, v);
    mean[offmean + j] = m;
    var[offvar + j] = va;
    rm += offrm;
    rv += offrv;
    rm[j] = ct_fa(ct_fm(1.0f - momentum, rm[j]), ct_fm(momentum, m));
    rv[j] = ct_fa(ct_fm(1.0f - momentum, rv[j]), ct_fm(ct_fm(momentum, va), unbias));
}

/* Batch norm's backward pass of a whole batch of M = B rows in one pass per column: dgamma and
 * dbeta as norm_param_grads, then dZ as bn_backward_input with M = B, and the bias's gradient,
 * which is 0 (the norm subtracts the batch mean). dZ may alias dA: a column is read and written
 * by its own work-item, each element read before it is written. */
__kernel void bn_backward(__global float *dZ, uint offdZ, __global float *dgamma, uint offdgamma,
                          __global float *dbeta, uint offdbeta, __global float *dbias,
                          uint offdbias, __global const float *dA, uint offdA,
                          __global const float *Y, uint offY, __global const float *Z, uint offZ,
                          __global const float *mean, uint offmean, __global const float *var,
                          uint offvar, __global const float *gamma, uint offgamma, float eps,
                          int act, float alpha, uint B, uint N) {
    const uint j = (uint)get_global_id(0);
    if (j >= N) {
        return;
    }
    dZ += offdZ + j;
    dA += offdA + j;
    Y += offY + j;
    Z += offZ + j;
    const float m = mean[offmean + j], rstd = ct_norm_rstd(var[offvar + j], eps);
    float sg, sb;
    ct_norm_col_sums(dA, Y, Z, mean + offmean, var + offvar, eps, act, alpha, B, N, j, 0, &sg,
                     &sb);
    dgamma[offdgamma + j] = sg;
    dbeta[offdbeta + j] = sb;
    dbias[offdbias + j] = 0.0f;
    const float ga = gamma[offgamma + j];
    for (uint i = 0; i < B; ++i) {
        const uint k = i * N;
        float d = ct_fm(dA[k], ct_act_df(act, alpha, Y[k]));
        const float xhat = ct_fm(ct_fa(Z[k], -m), rstd);
        d = ct_fa(d, -ct_fz(ct_fa(sb, ct_fm(xhat, sg)) / (float)B));
        dZ[k] = ct_fm(ct_fm(ga, rstd), d);
    }
}

/* Layer norm's forward pass in one work-item per row: the statistics of ln_stats, then Y and A
 * of norm_apply (per_row 1), with the same arithmetic in the same order. */
__kernel void ln_forward(__global float *Y, uint offY, __global float *A, uint offA,
                         __global float *mean, uint offmean, __global float *var, uint offvar,
                         __global const float *Z, uint offZ, __global const float *gamma,
                         uint offgamma, __global const float *beta, uint offbeta, float eps,
                         int act, float alpha, uint B, uint N) {
    const uint i = (uint)get_global_id(0);
    if (i >= B) {
        return;
    }
    const uint r = i * N;
    Z += offZ + r;
    Y += offY + r;
    A += offA + r;
    gamma += offgamma;
    beta += offbeta;
    float m, va;
    ct_row_moments(Z, N, &m, &va);
    mean[offmean + i] = m;
    var[offvar + i] = va;
    const float rstd = ct_norm_rstd(va, eps);
    for (uint j = 0; j < N; ++j) {
        const float xhat = ct_fm(ct_fa(Z[j], -m), rstd);
        const float y = ct_fa(ct_fm(gamma[j], xhat), beta[j]);
        Y[j] = y;
        A[j] = ct_act_f(act, alpha, y);
    }
}
