/* Deterministic reductions: one fixed summation order for a given n and CT_RED_WG. */

#ifndef CT_RED_WG
#define CT_RED_WG 256
#endif
#ifndef CT_RED_PARTIALS
#define CT_RED_PARTIALS 64
#endif

/* out[0] = beta * out[0] + scale * sum(x[0..n)). Launched as ONE work-group of CT_RED_WG:
 * lane l sums x[l], x[l + WG], ... in order, then a fixed tree in local memory.
 * beta == 0 never reads out. */
__kernel __attribute__((reqd_work_group_size(CT_RED_WG, 1, 1))) void
reduce_sum(__global float *out, uint offOut, __global const float *x, uint offX, uint n,
           float scale, float beta) {
    __local float sh[CT_RED_WG];
    out += offOut;
    x += offX;
    uint l = (uint)get_local_id(0);
    float s = 0.0f;
    for (uint i = l; i < n; i += CT_RED_WG) {
        s += x[i];
    }
    float total = ct_group_sum(sh, l, s);
    if (l == 0) {
        out[0] = beta == 0.0f ? scale * total : beta * out[0] + scale * total;
    }
}

/* partials[g] = sum of x[i]^2 over the contiguous chunk g of ceil(n / CT_RED_PARTIALS) elements.
 * Launched as CT_RED_PARTIALS work-groups of CT_RED_WG; inside a group, lane l sums the chunk's
 * elements l, l + WG, ... in order, then a fixed tree. The host reduces the partials with
 * reduce_sum. */
__kernel __attribute__((reqd_work_group_size(CT_RED_WG, 1, 1))) void
sum_squares_partial(__global float *partials, uint offP, __global const float *x, uint offX,
                    uint n) {
    __local float sh[CT_RED_WG];
    partials += offP;
    x += offX;
    uint g = (uint)get_group_id(0);
    uint l = (uint)get_local_id(0);
    uint chunk = (n + CT_RED_PARTIALS - 1) / CT_RED_PARTIALS;
    uint begin = g * chunk;
    uint end = min(begin + chunk, n);
    float s = 0.0f;
    for (uint i = begin + l; i < end; i += CT_RED_WG) {
        float v = x[i];
        s += v * v;
    }
    float total = ct_group_sum(sh, l, s);
    if (l == 0 && g < CT_RED_PARTIALS) {
        partials[g] = total;
    }
}
