/* Deterministic reductions: one fixed summation order for a given n, the same for every
 * work-group size CT_RED_WG (256 logical lanes, ct_lanes_sum in common.cl). */

#ifndef CT_RED_WG
#define CT_RED_WG 256
#endif
#ifndef CT_RED_PARTIALS
#define CT_RED_PARTIALS 64
#endif

/* out[0] = beta * out[0] + scale * sum(x[0..n)). Launched as ONE work-group of CT_RED_WG:
 * lane j (of 256) sums x[j], x[j + 256], ... in order, then a fixed tree in local memory.
 * beta == 0 never reads out. */
__kernel __attribute__((reqd_work_group_size(CT_RED_WG, 1, 1))) void
reduce_sum(__global float *out, uint offOut, __global const float *x, uint offX, uint n,
           float scale, float beta) {
    __local float sh[CT_RED_LANES];
    out += offOut;
    x += offX;
    uint l = (uint)get_local_id(0);
    for (uint j = l; j < CT_RED_LANES; j += CT_RED_WG) {
        float s = 0.0f;
        for (uint i = j; i < n; i += CT_RED_LANES) {
            s += x[i];
        }
        sh[j] = s;
    }
    float total = ct_lanes_sum(sh, l);
    if (l == 0) {
        out[0] = beta == 0.0f ? scale * total : beta * out[0] + scale * total;
    }
}

/* partials[g] = sum of x[i]^2 over the contiguous chunk g of ceil(n / CT_RED_PARTIALS) elements.
 * Launched as CT_RED_PARTIALS work-groups of CT_RED_WG; inside a group, lane j (of 256) sums
 * the chunk's elements j, j + 256, ... in order, then a fixed tree. The host reduces the
 * partials with reduce_sum. */
__kernel __attribute__((reqd_work_group_size(CT_RED_WG, 1, 1))) void
sum_squares_partial(__global float *partials, uint offP, __global const float *x, uint offX,
                    uint n) {
    __local float sh[CT_RED_LANES];
    partials += offP;
    x += offX;
    uint g = (uint)get_group_id(0);
    uint l = (uint)get_local_id(0);
    uint chunk = (n + CT_RED_PARTIALS - 1) / CT_RED_PARTIALS;
    uint begin = g * chunk;
    uint end = min(begin + chunk, n);
    for (uint j = l; j < CT_RED_LANES; j += CT_RED_WG) {
        float s = 0.0f;
        for (uint i = begin + j; i < end; i += CT_RED_LANES) {
            float v = x[i];
            s += v * v;
        }
        sh[j] = s;
    }
    float total = ct_lanes_sum(sh, l);
    if (l == 0 && g < CT_RED_PARTIALS) {
        partials[g] = total;
    }
}
