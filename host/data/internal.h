/* What the parts of the dataset code in host/data/ share (dataset.c, generators.c, labels.c,
 * csv.c, binary.c); not part of the library's interface. */
#ifndef CT_DATA_INTERNAL_H
#define CT_DATA_INTERNAL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include <zlib.h>

#include "data.h"
#include "rng.h"

#define PI 3.14159265358979323846
#define CHUNK (1u << 20) /* bytes read at a time from binary files */

/* ---- random numbers: xoshiro256** seeded by splitmix64, Box-Muller normals ------------- */

typedef struct {
    uint64_t s[4];
    int has_spare;
    double spare;
} rng;

static inline void rng_seed(rng *r, uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = ct_splitmix64(&x);
    r->has_spare = 0;
    r->spare = 0.0;
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t rng_next(rng *r) {
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Uniform in [0, 1) with 53 bits. */
static inline double rng_unit(rng *r) {
    return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

static inline double rng_uniform(rng *r, double lo, double hi) {
    return lo + (hi - lo) * rng_unit(r);
}

/* Uniform integer in [0, n), n >= 1, without modulo bias. */
static inline uint64_t rng_below(rng *r, uint64_t n) {
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do
        x = rng_next(r);
    while (x >= limit);
    return x % n;
}

/* Standard normal by Box-Muller; the second value of each pair is kept for the next call. */
static inline double rng_normal(rng *r) {
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u1 = ((double)(rng_next(r) >> 11) + 0.5) * (1.0 / 9007199254740992.0); /* (0, 1) */
    double u2 = rng_unit(r);
    double rad = sqrt(-2.0 * log(u1));
    r->spare = rad * sin(2.0 * PI * u2);
    r->has_spare = 1;
    return rad * cos(2.0 * PI * u2);
}

/* ---- labels ---- */

typedef struct {
    const char *s; /* the label as written (CSV), or NULL (binary files: v only) */
    double v;      /* its value when num */
    int num;       /* 1: a number (finite or not) */
    long where;    /* CSV: the line; binary files: the 0-based index */
    int cls;
    size_t off; /* CSV: offset of s in the label arena while reading */
} lab_item;

typedef struct {
    const char *file;
    int csv;             /* where is a line (CSV) or an index (binary) */
    int col;             /* CSV: 1-based column of the labels */
    const char *colname; /* CSV header name, or NULL */
    int int_dtype;       /* binary integer labels: classes unless regression is asked for */
    const char *target;  /* regression target name */
} lab_ctx;

/* ---- messages and datasets (dataset.c) ---- */

/* s for a message: at most 40 bytes, control characters as '?', "..." when cut. */
const char *dt_shown(char out[48], const char *s);
/* "a, b, c" of n names into buf */
void dt_join_names(char *buf, size_t cap, char *const *names, int n);
const char *dt_errno_text(int e);
const char *dt_gz_text(gzFile f);
char **dt_copy_names(char *const *src, int n);
/* n * f * sz bytes, or 0 when that overflows */
size_t dt_cells_bytes(size_t n, size_t f, size_t sz);
/* A dataset of n rows, f features, k classes (0: regression with `outputs` targets). */
ct_dataset *dt_ds_new(int n, int f, int k, int outputs);

/* ---- the readers and the generators ---- */

/* cols: NULL, or a trained model's columns (ct_data_match_columns) */
ct_status dt_load_csv(ct_dataset **out, const char *path, const ct_data_opts *o,
                      ct_data_columns *cols, char *msg);
/* The same reading of n rows of ncol cells in memory (row-major; NULL: an empty cell) under
 * the column names `names` (a header that is always there); messages name `name` and the
 * 0-based row where a file's give its line. */
ct_status dt_load_cells(ct_dataset **out, const char *name, int n, int ncol,
                        const char *const *cells, const char *const *names, const ct_data_opts *o,
                        ct_data_columns *cols, char *msg);
ct_status dt_load_binary(ct_dataset **out, const char *path, int npy, const ct_data_opts *o,
                         char *msg);
/* The generator named by the first nlen bytes of source, or NULL; dt_load_generator runs it. */
const void *dt_generator(const char *source, size_t nlen);
ct_status dt_load_generator(ct_dataset **out, const char *src, const void *g, const ct_data_opts *o,
                            char *msg);
/* "xor, moons, ..." */
void dt_generator_names(char *buf, size_t cap);
/* the first bytes of a file (up to 8) for its format */
ct_status dt_sniff(const char *path, unsigned char *b, long long *n, char *msg);
int dt_is_npy_magic(const unsigned char *b, long long n);

/* ---- tables (columns.c) ---- */

/* The cells of a table's columns as read, before their encoding. */
typedef struct dt_table {
    const char *path;
    int n, ncol;
    char *const *names;  /* (ncol) */
    const int *file_col; /* (ncol) 1-based column in the file, for messages; or NULL */
    const float *num;    /* (n, ncol): the number, NaN when missing or not a number */
    char ***text;        /* (ncol): categorical columns: (n) cells (NULL: missing) */
    const int *cat;      /* (ncol) 1: categorical */
} dt_table;

/* An encoding with no columns yet: the spellings of missing cells and the fill rule of o. */
ct_status dt_encoding_start(ct_encoding **out, const ct_data_opts *o, char *msg);
/* Fits e's columns (kinds t->cat) to the rows of t: fills, categories, the category limit. */
ct_status dt_encoding_fit(ct_encoding *e, const dt_table *t, const ct_data_opts *o, char *msg);
/* X (n, ct_encoding_inputs) from t, whose columns are e's; *unknown: cells with an unseen
 * category (note: which columns, one line). */
ct_status dt_encoding_apply(const ct_encoding *e, const dt_table *t, float *X, long *unknown,
                            char *note, size_t cap, char *msg);

/* ---- labels (labels.c) ---- */

ct_status dt_build_labels(ct_dataset *d, lab_item *it, int n, const lab_ctx *c,
                          const ct_data_opts *o, char *msg);
ct_status dt_no_labels(ct_dataset *d, const ct_data_opts *o, const char *file, char *msg);
int dt_parse_number(const char *s, double *v);

#endif
