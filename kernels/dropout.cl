/* Dropout with a counter-based generator: the same bits as host/rng.h (ct_mix32,
 * ct_dropout_uniform). The host derives the keys k0, k1 from (seed, step, layer); the element
 * index e is e0 + the global id (e0: the place of the first element in the whole batch, for a
 * shard of a batch split across processes). keep(e) = u(e) >= p; kept elements are multiplied by keep_scale =
 * 1 / (1 - p) (computed by the host). */

/* 1 when element e is kept: u = (mix32(mix32(e ^ k0) + k1) >> 8) / 2^24 >= p. */
int ct_dropout_keep(uint k0, uint k1, uint e, float p) {
    uint h = ct_mix32(ct_mix32(e ^ k0) + k1);
    float u = (float)(h >> 8) * (1.0f / 16777216.0f);
    return u >= p;
}

/* Y = X * keep / (1 - p); Y may alias X. CT_EW elements per work-item (CT_EW_FOR: the block's
 * X is read whole before Y is written, so the stores need no overlap test). */
__kernel void dropout_forward(__global float *Y, uint offY, __global const float *X, uint offX,
                              uint k0, uint k1, float p, float keep_scale, uint n, uint e0) {
    const uint i0 = (uint)get_global_id(0) * CT_EW;
    if (i0 >= n) {
        return;
    }
    const uint m = min((uint)CT_EW, n - i0);
    Y += offY + i0;
    X += offX + i0;
    float x[CT_EW];
    CT_EW_FOR(m, x[t] = X[t];)
    CT_EW_FOR(m, Y[t] = ct_dropout_keep(k0, k1, e0 + i0 + t, p) ? x[t] * keep_scale : 0.0f;)
}

/* dX = dY * keep / (1 - p) with the same mask as forward; dX may alias dY. CT_EW elements per
 * work-item, as dropout_forward. */
__kernel void dropout_backward(__global float *dX, uint offdX, __global const float *dY, uint offdY,
                               uint k0, uint k1, float p, float keep_scale, uint n, uint e0) {
    const uint i0 = (uint)get_global_id(0) * CT_EW;
    if (i0 >= n) {
        return;
    }
    const uint m = min((uint)CT_EW, n - i0);
    dX += offdX + i0;
    dY += offdY + i0;
    float g[CT_EW];
    CT_EW_FOR(m, g[t] = dY[t];)
    CT_EW_FOR(m, dX[t] = ct_dropout_keep(k0, k1, e0 + i0 + t, p) ? g[t] * keep_scale : 0.0f;)
}
