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
    struct ct_encoding *enc; /* a table's columns and their encoding (owned), or NULL */
    long unknown;            /* cells that held a category the encoding had not seen */
    char enc_note[CT_MSG_LEN]; /* ... which columns, as one line ("" when none) */
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

/* ---- tables: column kinds, categories, missing values (host/data/columns.c) ---------------- */

#define CT_MISSING_NAME "<missing>" /* the category of missing cells, last of its column */
#define CT_MAX_CATEGORIES_DEFAULT 100

/* How the columns of a table become the model's inputs. Each column in order gives: numeric,
 * one input (a missing cell takes `fill`), then with `indicator` a 0/1 input "name=<missing>";
 * categorical, one 0/1 input "name=category" per category (sorted by bytes, as Python sorts
 * str), then "name=<missing>" when training had missing cells. */
typedef struct ct_encoding {
    int n;          /* columns */
    char **names;   /* (n) */
    int *cat;       /* (n) 1: categorical */
    float *fill;    /* (n) numeric: the training median (or mean) */
    int *indicator; /* (n) numeric: a missing-indicator input follows */
    long *missing;  /* (n) training cells that were missing (categorical: > 0 adds <missing>) */
    int *n_cats;    /* (n) categorical: categories seen (without <missing>) */
    char ***cats;   /* (n) categorical: the categories, sorted */
    int n_na;       /* the spellings of a missing cell besides the empty one */
    char **na;
    int mean;     /* 1: fills are means, 0: medians */
    char *dropped; /* "id, x" (the columns --drop left out), or NULL */
    long unlabeled; /* rows left out for a missing label (--drop-missing-labels); not stored */
} ct_encoding;

void ct_encoding_free(ct_encoding *e);
ct_encoding *ct_encoding_copy(const ct_encoding *e); /* NULL when memory runs out */
int ct_encoding_inputs(const ct_encoding *e);
/* The input names, (ct_encoding_inputs) strings; free with ct_free_strings. */
char **ct_encoding_input_names(const ct_encoding *e);
/* 1 when input k is a numeric column's value (the scaler's), 0 for one-hot and indicators */
int ct_encoding_input_scaled(const ct_encoding *e, int k);
/* 1 when cell spells a missing value (empty, or one of e's spellings) */
int ct_encoding_missing(const ct_encoding *e, const char *cell);
/* The encoding as JSON text (malloc'ed), and back; `where` names the source in messages. */
char *ct_encoding_to_json(const ct_encoding *e);
struct ct_json;
ct_status ct_encoding_from_json(ct_encoding **out, const struct ct_json *j, const char *where,
                                char msg[CT_MSG_LEN]);
/* "4 numeric (2 with missing cells, filled with medians), 4 categorical (31 categories) -> 39
 * inputs" */
void ct_encoding_describe(const ct_encoding *e, char *buf, size_t cap);

/* What a trained model asks of the columns of data: its features by name, and the column that
 * held the label in its training file. */
typedef struct ct_data_columns {
    int features;
    char *const *names;     /* the model's features names */
    const char *label_name; /* the training file's label column by name ("" when unknown) */
    int label_index;        /* ... and by 0-based index (-1 when unknown) */
    const ct_encoding *enc; /* the columns' encoding (names: enc->names), or NULL */
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
/* ct_data_from_cells's reading, for a trained model's columns (c) or, c NULL, fitting them. */
ct_status ct_data_cells_columns(ct_dataset **out, const char *name, int n, int ncol,
                                const char *const *cells, const char *const *names,
                                const ct_data_opts *opts, ct_data_columns *c,
                                char msg[CT_MSG_LEN]);
/* Replaces d's labels or targets with arrays, as ct_data_from_arrays takes them. */
ct_status ct_data_set_targets(ct_dataset *d, const int32_t *labels, int n_classes, const float *Y,
                              int outputs, char msg[CT_MSG_LEN]);
/* 1 when names are x0, x1, ... (a source without names). */
int ct_default_names(char *const *names, int n);

#endif
