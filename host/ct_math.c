/* kernels/math.cl compiled for the host (CMakeLists.txt gives this file -ffp-contract=off, so
 * the compiler fuses nothing that the kernel text does not fuse): the same bits as on every
 * OpenCL device. */
#include "ct_math.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

static inline uint32_t ct_m_bits(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static inline float ct_m_float(uint32_t u) {
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

#define CT_M_FN
#define CT_M_U32 uint32_t
#define CT_M_FMA(a, b, c) fmaf(a, b, c)
#define CT_M_RINT(x) rintf(x)
#define CT_M_FABS(x) fabsf(x)
#define CT_M_ISNAN(x) isnan(x)
#define CT_M_BITS(x) ct_m_bits(x)
#define CT_M_FLOAT(u) ct_m_float(u)
#define CT_M_COPYSIGN(x, y) copysignf(x, y)
#define CT_M_CLZ(u) ((u) ? __builtin_clz(u) : 32)

#include "../kernels/math.cl"

float ct_math_host(ct_math_fn fn, float x) {
    switch (fn) {
    case CT_MATH_EXP: return ct_expf(x);
    case CT_MATH_EXPM1: return ct_expm1f(x);
    case CT_MATH_LOG: return ct_logf(x);
    case CT_MATH_LOG1P: return ct_log1pf(x);
    case CT_MATH_TANH: return ct_tanhf(x);
    default: return ct_erff(x);
    }
}

const char *ct_math_name(ct_math_fn fn) {
    static const char *const names[CT_MATH_COUNT] = {"exp", "expm1", "log", "log1p", "tanh", "erf"};
    return fn >= 0 && fn < CT_MATH_COUNT ? names[fn] : "?";
}
