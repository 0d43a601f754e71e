/* Losses fused with the output activation. One work-item per row i < B: rowloss[i] is the loss
 * of row i summed over its C outputs; when want_grad is set, dZ = d(mean loss)/dZ, where gscale is
 * 1/B (softmax_ce) or 1/(B*C) (others), computed by the host. The host then reduces rowloss with
 * reduce_sum (scale 1/B or 1/(B*C)). dZ must be a valid buffer even when want_grad is 0 (the host
 * passes a dummy); it is not touched then. softmax_ce and sigmoid_bce also count the correct
 * predictions into count[0] when want_count is set (as argmax_correct and binary_correct do), so
 * a training step needs no launch for its accuracy; count is a dummy otherwise. */

/* rowloss = logsumexp(z) - z[y];  dZ = (softmax(z) - onehot(y)) * gscale.
 * A label outside [0, C) gives rowloss NaN (and dZ = softmax * gscale) so that it shows. */
__kernel void softmax_ce(__global float *rowloss, uint offL, __global float *dZ, uint offdZ,
                         __global const float *Z, uint offZ, __global const int *labels, uint offY,
                         uint B, uint C, float gscale, int want_grad, __global int *count,
                         uint offCount, int want_count) {
    uint i = (uint)get_global_id(0);
    if (i >= B) {
        return;
    }
    rowloss += offL;
    dZ += offdZ;
    Z += offZ;
    labels += offY;
    __global const float *z = Z + i * C;
    int y = labels[i];
    float m = z[0], best = z[0];
    int arg = 0;
    for (uint j = 1; j < C; ++j) {
        m = fmax(m, z[j]);
        if (z[j] > best) { /* argmax_correct's rule: the first maximum, NaN never wins */
            best = z[j];
            arg = (int)j;
        }
    }
    if (want_count && arg == y) {
        atomic_inc(count + offCount);
    }
    float s = 0.0f;
    for (uint j = 0; j < C; ++j) {
        s += ct_expf(z[j] - m);
    }
    float logs = ct_logf(s);
    int valid = y >= 0 && (uint)y < C;
    /* logsumexp(z) - z[y] = (m - z[y]) + log(sum exp(z - m)) */
    rowloss[i] = valid ? (m - z[y]) + logs : NAN;
    if (want_grad) {
        __global float *d = dZ + i * C;
        float inv = 1.0f / s;
        for (uint j = 0; j < C; ++j) {
            float p = ct_expf(z[j] - m) * inv;
            d[j] = (p - ((int)j == y ? 1.0f : 0.0f)) * gscale;
        }
    }
}

/* l = max(z,0) - z t + log1p(exp(-|z|));  dZ = (sigmoid(z) - t) * gscale. */
__kernel void sigmoid_bce(__global float *rowloss, uint offL, __global float *dZ, uint offdZ,
                          __global const float *Z, uint offZ, __global const float *T, uint offT,
                          uint B, uint C, float gscale, int want_grad, __global int *count,
                          uint offCount, int want_count) {
    uint i = (uint)get_global_id(0);
    if (i >= B) {
        return;
    }
    rowloss += offL;
    dZ += offdZ;
    Z += offZ;
    T += offT;
    float s = 0.0f;
    int right = 0;
    for (uint j = 0; j < C; ++j) {
        uint e = i * C + j;
        float z = Z[e], t = T[e];
        s += fmax(z, 0.0f) - z * t + ct_log1pf(ct_expf(-fabs(z)));
        right += (z > 0.0f) == (t > 0.5f);
        if (want_grad) {
            dZ[e] = (ct_sigmoid(z) - t) * gscale;
        }
    }
    rowloss[i] = s;
    if (want_count && right > 0) {
        atomic_add(count + offCount, right);
    }
}

/* l = (z - t)^2;  dZ = 2 (z - t) * gscale. */
__kernel void mse_loss(__global float *rowloss, uint offL, __global float *dZ, uint offdZ,
                       __global const float *Z, uint offZ, __global const float *T, uint offT,
                       uint B, uint C, float gscale, int want_grad) {
    uint i = (uint)get_global_id(0);
    if (i >= B) {
        return;
    }
    rowloss += offL;
    dZ += offdZ;
    Z += offZ;
    T += offT;
    float s = 0.0f;
    for (uint j = 0; j < C; ++j) {
        uint e = i * C + j;
        float d = Z[e] - T[e];
        s += d * d;
        if (want_grad) {
            dZ[e] = 2.0f * d * gscale;
        }
    }
    rowloss[i] = s;
}

/* d = z - t; l = 0.5 d^2 if |d| <= delta else delta (|d| - 0.5 delta);
 * dZ = clamp(d, -delta, delta) * gscale. */
__kernel void huber_loss(__global float *rowloss, uint offL, __global float *dZ, uint offdZ,
                         __global const float *Z, uint offZ, __global const float *T, uint offT,
                         uint B, uint C, float delta, float gscale, int want_grad) {
    uint i = (uint)get_global_id(0);
    if (i >= B) {
        return;
    }
    rowloss += offL;
    dZ += offdZ;
    Z += offZ;
    T += offT;
    float s = 0.0f;
    for (uint j = 0; j < C; ++j) {
        uint e = i * C + j;
        float d = Z[e] - T[e];
        float a = fabs(d);
        s += a <= delta ? 0.5f * d * d : delta * (a - 0.5f * delta);
        if (want_grad) {
            dZ[e] = clamp(d, -delta, delta) * gscale;
        }
    }
    rowloss[i] = s;
}

/* A regression's mean absolute error, beside its loss: rowsum[i] = sum over j < C, in order, of
 * |Z[i][j] - T[i][j]|. The host reduces rowsum with reduce_sum (scale 1/(B*C)). */
__kernel void abs_error(__global float *rowsum, uint offR, __global const float *Z, uint offZ,
                        __global const float *T, uint offT, uint B, uint C) {
    uint i = (uint)get_global_id(0);
    if (i >= B) {
        return;
    }
    rowsum += offR;
    Z += offZ;
    T += offT;
    float s = 0.0f;
    for (uint j = 0; j < C; ++j) {
        uint e = i * C + j;
        s += fabs(Z[e] - T[e]);
    }
    rowsum[i] = s;
}
