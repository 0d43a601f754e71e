/* Small helpers: row gather, accuracy counters, fill, scale. */

/* out[i][:] = src[idx[i]][:] for i < B (one work-item per output element).
 * A negative index writes NaN so that it shows. */
__kernel void gather_rows(__global float *out, uint offOut, __global const float *src, uint offSrc,
                          __global const int *idx, uint offIdx, uint B, uint F) {
    uint i = (uint)get_global_id(0);
    if (i >= B * F) {
        return;
    }
    out += offOut;
    src += offSrc;
    idx += offIdx;
    uint r = i / F, c = i - r * F;
    int s = idx[r];
    out[i] = s >= 0 ? src[(uint)s * F + c] : NAN;
}

/* out[i][:] = src[row(start + i)][:] for i < B, the rows of an epoch in shuffled order:
 * row(j) = ct_perm_index(j, n, h, k0, k1) when shuffle is set, else j. Copies 32-bit words
 * unchanged, so it moves float features and int labels alike. A 2-D range: dimension 1 over the
 * rows, dimension 0 over chunks of CT_GATHER_CHUNK columns, item c taking chunks c, c + size,
 * c + 2 size, ...: the permutation is computed once per item, not per element. GPUs take an
 * item per chunk; CPU devices an item per row (size 1), 2-3x faster there. */
#define CT_GATHER_CHUNK 32
__kernel void gather_perm(__global uint *out, uint offOut, __global const uint *src, uint offSrc,
                          uint B, uint F, uint start, uint n, int shuffle, uint h, uint k0,
                          uint k1) {
    uint r = (uint)get_global_id(1);
    uint c0 = (uint)get_global_id(0) * CT_GATHER_CHUNK;
    if (r >= B || c0 >= F) {
        return;
    }
    out += offOut + r * F;
    uint j = start + r;
    uint s = shuffle ? ct_perm_index(j, n, h, k0, k1) : j;
    src += offSrc + s * F;
    const uint stride = (uint)get_global_size(0) * CT_GATHER_CHUNK;
    for (; c0 + CT_GATHER_CHUNK <= F; c0 += stride) {
        for (uint q = 0; q < CT_GATHER_CHUNK / CT_VW; ++q) {
            CT_CAT(vstore, CT_VW)(CT_CAT(vload, CT_VW)(q, src + c0), q, out + c0);
        }
    }
    for (uint c = c0; c < F; ++c) { /* the last, partial chunk (c0 >= F when there is none) */
        out[c] = src[c];
    }
}

/* y[0..n) += a * x[0..n) */
__kernel void axpy(__global float *y, uint offY, __global const float *x, uint offX, float a,
                   uint n) {
    uint i = (uint)get_global_id(0);
    if (i >= n) {
        return;
    }
    y += offY;
    x += offX;
    y[i] += a * x[i];
}

/* count[0] += number of rows i with argmax(Z[i]) == labels[i]; the first maximum wins. */
__kernel void argmax_correct(__global int *count, uint offCount, __global const float *Z, uint offZ,
                             __global const int *labels, uint offY, uint B, uint C) {
    uint i = (uint)get_global_id(0);
    if (i >= B) {
        return;
    }
    count += offCount;
    Z += offZ;
    labels += offY;
    __global const float *z = Z + i * C;
    float best = z[0];
    int arg = 0;
    for (uint j = 1; j < C; ++j) {
        if (z[j] > best) {
            best = z[j];
            arg = (int)j;
        }
    }
    if (arg == labels[i]) {
        atomic_inc(count);
    }
}

/* count[0] += number of elements with (Z > 0) == (T > 0.5). */
__kernel void binary_correct(__global int *count, uint offCount, __global const float *Z, uint offZ,
                             __global const float *T, uint offT, uint n) {
    uint i = (uint)get_global_id(0);
    if (i >= n) {
        return;
    }
    count += offCount;
    Z += offZ;
    T += offT;
    if ((Z[i] > 0.0f) == (T[i] > 0.5f)) {
        atomic_inc(count);
    }
}

/* x[0..n) = value */
__kernel void fill(__global float *x, uint offX, float value, uint n) {
    uint i = (uint)get_global_id(0);
    if (i >= n) {
        return;
    }
    x += offX;
    x[i] = value;
}

/* x[0..n) *= alpha */
__kernel void scale(__global float *x, uint offX, float alpha, uint n) {
    uint i = (uint)get_global_id(0);
    if (i >= n) {
        return;
    }
    x += offX;
    x[i] *= alpha;
}

/* count[0] += number of columns j < N whose every row i < B has A[i][j] <= 0 (a NaN is not
 * <= 0, so it keeps a column alive). One work-item per column. */
__kernel void dead_units(__global int *count, uint offCount, __global const float *A, uint offA,
                         uint B, uint N) {
    uint j = (uint)get_global_id(0);
    if (j >= N) {
        return;
    }
    count += offCount;
    A += offA;
    for (uint i = 0; i < B; ++i) {
        if (!(A[i * N + j] <= 0.0f)) {
            return;
        }
    }
    atomic_inc(count);
}

/* The ceilings of the benchmark (cltrain bench), measured with the device's own vectors. */
#define ct_vec CT_CAT(float, CT_VW)
#define ct_vload CT_CAT(vload, CT_VW)
#define ct_vstore CT_CAT(vstore, CT_VW)

/* FMA peak: each item runs `iters` rounds of 16 independent fma chains on vectors of CT_VW
 * floats (2 * 16 * CT_VW * iters flops; 16 chains cover the fma latency of two ports even
 * where a vector is one register) and stores their sum, so nothing is optimised away. */
__kernel void peak_fma(__global float *out, uint offOut, float a, float b, int iters) {
    ct_vec x[16], m = (ct_vec)(b);
    for (int j = 0; j < 16; ++j) {
        x[j] = (ct_vec)(a + (float)j);
    }
    for (int i = 0; i < iters; ++i) {
#pragma unroll
        for (int j = 0; j < 16; ++j) {
            x[j] = fma(x[j], m, m);
        }
    }
    ct_vec s = x[0];
    for (int j = 1; j < 16; ++j) {
        s += x[j];
    }
    ct_vstore(s, get_global_id(0), out + offOut);
}

/* Copy bandwidth: out[0..n) = in[0..n), CT_VW floats per item (n a multiple of CT_VW). */
__kernel void copy_vec(__global float *out, uint offOut, __global const float *in, uint offIn,
                       uint nvec) {
    uint i = (uint)get_global_id(0);
    if (i >= nvec) {
        return;
    }
    ct_vstore(ct_vload(i, in + offIn), i, out + offOut);
}
