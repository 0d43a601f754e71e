/* Datasets on the host: generators, CSV / IDX / NPY readers, splits and scaling.
 * Every reader reports bad input as one line naming the file, line and column (or the byte
 * offset / field) and what was expected. Nothing here touches OpenCL. */
#ifndef CT_DATA_H
#define CT_DATA_H

#include <stdint.h>

#include "cltrain.h"

typedef struct ct_dataset {
    int n;        /* rows */
    int features; /* columns of X */
    float *X;     /* (n, features), row-major */
    ct_task task;
    /* classification */
    int n_classes;      /* >= 2 */
    int32_t *labels;    /* (n), each in [0, n_classes) */
    char **class_names; /* n_classes strings: the labels as written in the source */
    /* regression */
    int outputs;          /* target columns (>= 1) */
    float *Y;             /* (n, outputs) */
    char **feature_names; /* features strings (header names, or "x0", "x1", ...) */
    char **target_names;  /* outputs strings, regression only (header name or "y") */
    char source[256];     /* what it was loaded from, for messages */
    char label_name[128]; /* header name of a CSV's label column ("" when none) */
} ct_dataset;

/* Per-feature mean and standard deviation (population; a constant feature gets std 1). */
typedef struct ct_scaler {
    int features;
    float *mean;
    float *std;
} ct_scaler;

ct_status ct_scaler_fit(ct_scaler *s, const ct_dataset *d, char msg[CT_MSG_LEN]);
/* X = (X - mean) / std, in place; the feature counts must agree. */
ct_status ct_scaler_apply(const ct_scaler *s, ct_dataset *d, char msg[CT_MSG_LEN]);
void ct_scaler_free(ct_scaler *s);

/* n names prefix0, prefix1, ... ("prefix" alone when n == 1 and single is set); NULL when
 * memory runs out. Free with ct_free_strings(names, n). */
char **ct_numbered_names(int n, const char *prefix, int single);

#endif
