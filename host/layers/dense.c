/* The dense layer's products on the host: the scalar reference, or CBLAS (OpenBLAS) for the
 * CPU comparator backend. On the device they are ct_dense_forward and its two backward products
 * (ops.h). */
#include "../net_internal.h"
#include "../ref.h"

#ifdef CT_HAVE_CBLAS
#include <cblas.h>
#endif

int ct_have_cblas(void) {
#ifdef CT_HAVE_CBLAS
    return 1;
#else
    return 0;
#endif
}

/* The three products of a dense layer on the host: the reference, or CBLAS for the CPU
 * comparator. Y = X W^T; dW = dY^T X; dX = dY W. */
void ct_dense_host_forward(const ct_net *net, double *Y, const double *X, const double *W, int B,
                           int in, int out) {
#ifdef CT_HAVE_CBLAS
    if (net->blas) {
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, out, in, 1.0, X, in, W, in, 0.0, Y,
                    out);
        return;
    }
#endif
    (void)net;
    ref_dense_forward(Y, X, W, B, in, out);
}

void ct_dense_host_backward_weight(const ct_net *net, double *dW, const double *dY, const double *X,
                                   int B, int in, int out) {
#ifdef CT_HAVE_CBLAS
    if (net->blas) {
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, B, 1.0, dY, out, X, in, 0.0,
                    dW, in);
        return;
    }
#endif
    (void)net;
    ref_dense_backward_weight(dW, dY, X, B, in, out, 0);
}

void ct_dense_host_backward_input(const ct_net *net, double *dX, const double *dY, const double *W,
                                  int B, int in, int out) {
#ifdef CT_HAVE_CBLAS
    if (net->blas) {
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, in, out, 1.0, dY, out, W, in, 0.0,
                    dX, in);
        return;
    }
#endif
    (void)net;
    ref_dense_backward_input(dX, dY, W, B, in, out);
}
