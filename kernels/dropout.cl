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

/* Y = X * keep / (1 - p); Y may alias X. */
__kernel void dropout_forward(__global float *Y, uint offY, __global const float *X, uint offX,
                              uint k0, uint k1, float p, float keep_scale, uint n, uint e0) {
    uint i = (uint)get_global_id(0);
    if (i >= n) {
        return;
    }
    Y += offY;
    X += offX;
    Y[i] = ct_dropout_keep(k0, k1, e0 + i, p) ? X[i] * keep_scale : 0.0f;
}

/* dX = dY * keep / (1 - p) with the same mask as forward; dX may alias dY. */
__kernel void dropout_backward(__global float *dX, uint offdX, __global const float *dY, uint offdY,
                               uint k0, uint k1, float p, float keep_scale, uint n, uint e0) {
    uint i = (uint)get_global_id(0);
    if (i >= n) {
        return;
    }
    dX += offdX;
    dY += offdY;
    dX[i] = ct_dropout_keep(k0, k1, e0 + i, p) ? dY[i] * keep_scale : 0.0f;
}
