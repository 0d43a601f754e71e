/* Datasets on the host: generators, CSV / IDX / NPY readers, splits and scaling.
 * Every reader reports bad input as one line naming the file, line and column (or the byte
 * offset / field) and what was expected. Nothing here touches OpenCL. */
#ifndef CT_DATA_H
#define CT_DATA_H

#include <stdint.h>

#include "cltrain.h"

typedef enum ct_task {
    CT_TASK_AUTO = -1, /* decide from the labels (only as a request) */
    CT_TASK_CLASSIFICATION = 0,
    CT_TASK_REGRESSION = 1
} ct_task;

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

typedef struct ct_data_opts {
    const char *label;       /* CSV: label column by NAME or 0-based INDEX; NULL = last column */
    const char *labels_path; /* IDX / NPY: the labels file (--labels) */
    ct_task task;            /* CT_TASK_AUTO: numeric labels with many distinct values (> 20
                              * and > 5% of rows) or non-integers make a regression */
    uint64_t seed;           /* generators: the default seed when SOURCE has no seed= */
    /* When given (eval/predict on a trained model): map labels onto these classes; a label not
     * among them is an error naming it. */
    char *const *class_names;
    int n_classes;
    int require_labels; /* 0: a CSV may lack the label column (predict) */
} ct_data_opts;

/* SOURCE is a generator "name[:key=value,...]" or a file path (.csv, .idx/.idx*-ubyte[.gz],
 * .npy). Generators: xor, moons, circles, blobs, spirals, classification, sine (see
 * ct_data_generators_help). On failure *out is NULL and msg holds one line. */
ct_status ct_data_load(ct_dataset **out, const char *source, const ct_data_opts *opts,
                       char msg[CT_MSG_LEN]);
void ct_data_destroy(ct_dataset *d); /* accepts NULL and half-built datasets */

/* One paragraph per generator with its options and defaults (for --help). */
const char *ct_data_generators_help(void);

/* Splits d into rows for training and validation by a seeded shuffle: the validation part gets
 * round(frac * n) rows (at least 1 when frac > 0). d is left as it was. */
ct_status ct_data_split(const ct_dataset *d, double frac, uint64_t seed, ct_dataset **train,
                        ct_dataset **val, char msg[CT_MSG_LEN]);

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

#endif
