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
    int label_column;     /* 1-based column of a CSV's label (0 when none) */
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

/* What a trained model asks of the columns of data: its features by name, and the column that
 * held the label in its training file. */
typedef struct ct_data_columns {
    int features;
    char *const *names;     /* the model's features names */
    const char *label_name; /* the training file's label column by name ("" when unknown) */
    int label_index;        /* ... and by 0-based index (-1 when unknown) */
    int ignored;            /* out: columns of the file that are not features (nor the label) */
    char note[CT_MSG_LEN];  /* out: which ones, as one line ("" when none) */
} ct_data_columns;

/* Maps a file's columns onto the model's features (host/data/columns.c, the one place that
 * does). header: the column names, or NULL when the file has none; ncol columns. *label_col:
 * the label column when the caller chose it (>= 0), else -1 and the model's label column is
 * looked up here (with require_labels: the last column when the model does not know it).
 * dest (ncol): the model feature that column c feeds, -1 for the label and ignored columns.
 * A header is matched by name (unless the model's names are the defaults x0, x1, ...):
 * a missing feature is an error naming it, an extra column is ignored (c->note); without a
 * header the columns are taken by position and their count must match. */
ct_status ct_data_match_columns(ct_data_columns *c, const char *path, char *const *header, int ncol,
                                int require_labels, int *label_col, int *dest,
                                char msg[CT_MSG_LEN]);
/* ct_data_load for a trained model: a CSV's columns matched by ct_data_match_columns. */
ct_status ct_data_load_columns(ct_dataset **out, const char *source, const ct_data_opts *opts,
                               ct_data_columns *c, char msg[CT_MSG_LEN]);
/* 1 when names are x0, x1, ... (a source without names). */
int ct_default_names(char *const *names, int n);

#endif
