/* The counter-based generator shared by the dropout kernels and the reference.
 * kernels/dropout.cl holds the same mix32 and the same per-element formula. */
#ifndef CT_RNG_H
#define CT_RNG_H

#include <stdint.h>

/* A 32-bit integer finaliser (good avalanche, bijective). */
static inline uint32_t ct_mix32(uint32_t x) {
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

/* The two keys of one (seed, step, layer); the element index completes the counter. */
static inline void ct_dropout_keys(uint64_t seed, uint64_t step, uint32_t layer, uint32_t *k0,
                                   uint32_t *k1) {
    uint32_t a = ct_mix32(layer + 0x9E3779B9U);
    a = ct_mix32((uint32_t)(seed >> 32) ^ a);
    *k0 = ct_mix32((uint32_t)seed ^ a);
    uint32_t b = ct_mix32((uint32_t)(step >> 32) ^ *k0);
    *k1 = ct_mix32((uint32_t)step ^ b);
}

/* Uniform in [0, 1) with 24 bits, for element e: u = (mix32(mix32(e ^ k0) + k1) >> 8) / 2^24. */
static inline float ct_dropout_uniform(uint32_t k0, uint32_t k1, uint32_t e) {
    uint32_t h = ct_mix32(ct_mix32(e ^ k0) + k1);
    return (float)(h >> 8) * (1.0f / 16777216.0f);
}

#endif
