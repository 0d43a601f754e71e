/* The counter-based generator shared by the dropout kernels and the reference.
 * kernels/dropout.cl holds the same mix32 and the same per-element formula. */
#ifndef CT_RNG_H
#define CT_RNG_H

#include <math.h>
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

/* Shuffling an epoch: keys of (seed, epoch) and the permutation of kernels/common.cl. */
static inline void ct_perm_keys(uint64_t seed, uint64_t epoch, uint32_t *k0, uint32_t *k1) {
    ct_dropout_keys(seed, epoch, 0xFFFFFFFEU, k0, k1);
}

/* Half the bit width of the Feistel domain: the smallest h with 4^h >= n (h >= 1). */
static inline uint32_t ct_perm_bits(uint32_t n) {
    uint32_t h = 1;
    while (h < 16 && ((uint64_t)1 << (2 * h)) < n)
        h++;
    return h;
}

/* The position in 0..n-1 that index i of the shuffled epoch takes (a bijection of 0..n-1). */
static inline uint32_t ct_perm_index(uint32_t i, uint32_t n, uint32_t h, uint32_t k0, uint32_t k1) {
    uint32_t mask = (1U << h) - 1U, x = i;
    do {
        uint32_t L = x >> h, R = x & mask;
        for (uint32_t r = 0; r < 4; r++) {
            uint32_t F = ct_mix32(R ^ ct_mix32(k0 + r * 0x9E3779B9U) ^ k1) & mask;
            uint32_t t = R;
            R = L ^ F;
            L = t;
        }
        x = (L << h) | R;
    } while (x >= n);
    return x;
}

/* splitmix64's 64-bit finaliser (good avalanche, bijective). */
static inline uint64_t ct_mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* splitmix64: the next number of the stream whose state is *s (any seed, 0 included, gives a
 * full-period stream). The one implementation: the host's generators, the seeding of the dataset code's
 * xoshiro256**, the selftest's inputs and the tests' generator all step it. */
static inline uint64_t ct_splitmix64(uint64_t *s) { return ct_mix64(*s += 0x9E3779B97F4A7C15ULL); }

/* A small seeded generator for host-side random choices (initialisation, data). */
typedef struct ct_rng {
    uint64_t s;
} ct_rng;

static inline uint64_t ct_rng_next(ct_rng *r) { return ct_splitmix64(&r->s); }

/* uniform in [0, 1) with 53 bits */
static inline double ct_rng_uniform(ct_rng *r) {
    return (double)(ct_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* standard normal (Box-Muller, one value per call) */
static inline double ct_rng_normal(ct_rng *r) {
    double u1 = ct_rng_uniform(r), u2 = ct_rng_uniform(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

#endif
