/* The host's copy of kernels/math.cl: the same float operations in the same order, so the host
 * computes the bits every OpenCL device gives (tests/test_math.c checks it). */
#ifndef CT_MATH_H
#define CT_MATH_H

/* The function codes of the math_eval kernel. */
typedef enum {
    CT_MATH_EXP,
    CT_MATH_EXPM1,
    CT_MATH_LOG,
    CT_MATH_LOG1P,
    CT_MATH_TANH,
    CT_MATH_ERF,
    CT_MATH_COUNT
} ct_math_fn;

float ct_expf(float x);   /* e^x */
float ct_expm1f(float x); /* e^x - 1 */
float ct_logf(float x);   /* ln x */
float ct_log1pf(float x); /* ln(1 + x) */
float ct_tanhf(float x);  /* tanh x */
float ct_erff(float x);   /* erf x */

/* f(x) for the code fn on the host (ct_math_eval in ops.h runs it on the device); the name of fn ("exp", ...). */
float ct_math_host(ct_math_fn fn, float x);
const char *ct_math_name(ct_math_fn fn);

#endif
