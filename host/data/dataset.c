/* Datasets on the host (see data.h): the dataset itself, loading by source (a generator or a
 * file, by name or by its first bytes), the split and the scaling, and datasets from arrays.
 * The generators are in generators.c, the labels in labels.c, the readers in csv.c and
 * binary.c (this folder). Every file is read through zlib (gzopen/gzread), which reads plain files as
 * they are and gzip files decompressed, so "x.csv.gz" or "train-images-idx3-ubyte.gz" load like
 * the plain ones. Bad input gives one line naming the file, the line (or element) and the
 * column. */
#define _POSIX_C_SOURCE 200809L

#include "data.h"
#include "rng.h"
#include "strutil.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <zlib.h>

#include "internal.h"

/* ---- messages ------------------------------------------------------------------------- */

/* Writes the message (when msg is not NULL) and returns st. */
/* s for a message: at most 40 bytes, control characters as '?', "..." when cut. */
const char *dt_shown(char out[48], const char *s) {
    size_t i = 0;
    for (; s[i] && i < 40; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = (c < 32 || c == 127) ? '?' : (char)c;
    }
    if (s[i])
        memcpy(out + i, "...", 4);
    else
        out[i] = '\0';
    return out;
}

/* Appends "a, b, c" to buf (of cap bytes), cut with "..." past about 600 bytes. */
void dt_join_names(char *buf, size_t cap, char *const *names, int n) {
    size_t len = strlen(buf);
    for (int i = 0; i < n; i++) {
        char s[48];
        dt_shown(s, names[i] ? names[i] : "");
        if (len > 600 || len + strlen(s) + 8 > cap) {
            snprintf(buf + len, cap - len, "%s...", i ? ", " : "");
            return;
        }
        int w = snprintf(buf + len, cap - len, "%s%s", i ? ", " : "", s);
        if (w > 0) len += (size_t)w;
    }
}

const char *dt_errno_text(int e) { return e ? strerror(e) : "out of memory"; }

/* The last zlib error of f as text. */
const char *dt_gz_text(gzFile f) {
    int err = Z_OK;
    const char *m = gzerror(f, &err);
    if (err == Z_ERRNO) return strerror(errno);
    return m && *m ? m : "read error";
}

/* ---- datasets ------------------------------------------------------------------------- */

void ct_data_destroy(ct_dataset *d) {
    if (!d) return;
    free(d->X);
    free(d->labels);
    free(d->Y);
    ct_free_strings(d->class_names, d->n_classes);
    ct_free_strings(d->feature_names, d->features);
    ct_free_strings(d->target_names, d->outputs);
    ct_encoding_free(d->enc);
    free(d);
}

char **ct_numbered_names(int n, const char *prefix, int single) {
    char **names = calloc((size_t)(n > 0 ? n : 1), sizeof(char *));
    if (!names) return NULL;
    for (int i = 0; i < n; i++) {
        char buf[64];
        if (single && n == 1)
            snprintf(buf, sizeof buf, "%s", prefix);
        else
            snprintf(buf, sizeof buf, "%s%d", prefix, i);
        names[i] = ct_strdup(buf);
        if (!names[i]) {
            ct_free_strings(names, n);
            return NULL;
        }
    }
    return names;
}

char **dt_copy_names(char *const *src, int n) {
    char **names = calloc((size_t)(n > 0 ? n : 1), sizeof(char *));
    if (!names) return NULL;
    for (int i = 0; i < n; i++) {
        names[i] = ct_strdup(src[i] ? src[i] : "");
        if (!names[i]) {
            ct_free_strings(names, n);
            return NULL;
        }
    }
    return names;
}

/* Bytes of n * f elements of size sz, or 0 when that overflows size_t. */
size_t dt_cells_bytes(size_t n, size_t f, size_t sz) {
    if (f != 0 && n > SIZE_MAX / f) return 0;
    size_t c = n * f;
    if (sz != 0 && c > SIZE_MAX / sz) return 0;
    return c * sz;
}

/* A dataset of n rows and f features named x0, x1, ...; classification with k classes named
 * "0", "1", ... when k > 0, else regression with `outputs` targets named y (y0, y1, ...). */
ct_dataset *dt_ds_new(int n, int f, int k, int outputs) {
    ct_dataset *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->n = n;
    d->features = f;
    size_t xb = dt_cells_bytes((size_t)n, (size_t)f, sizeof(float));
    if (xb == 0 || !(d->X = malloc(xb))) goto fail;
    if (!(d->feature_names = ct_numbered_names(f, "x", 0))) goto fail;
    if (k > 0) {
        d->task = CT_TASK_CLASSIFICATION;
        d->n_classes = k;
        if (!(d->labels = malloc((size_t)n * sizeof(int32_t)))) goto fail;
        if (!(d->class_names = ct_numbered_names(k, "", 0))) goto fail;
    } else {
        d->task = CT_TASK_REGRESSION;
        d->outputs = outputs;
        size_t yb = dt_cells_bytes((size_t)n, (size_t)outputs, sizeof(float));
        if (yb == 0 || !(d->Y = malloc(yb))) goto fail;
        if (!(d->target_names = ct_numbered_names(outputs, "y", 1))) goto fail;
    }
    return d;
fail:
    ct_data_destroy(d);
    return NULL;
}

/* ---- loading -------------------------------------------------------------------------------- */

static int ends_with(const char *s, size_t len, const char *suffix) {
    size_t n = strlen(suffix);
    if (len < n) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[len - n + i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != suffix[i]) return 0;
    }
    return 1;
}

enum { F_UNKNOWN, F_CSV, F_IDX, F_NPY };

/* The format by file name: .npy; .idx, .idx1/.idx3 and *-ubyte (IDX); .csv, .tsv, .txt; each
 * optionally with .gz. */
static int format_by_name(const char *path) {
    size_t len = strlen(path);
    if (ends_with(path, len, ".gz")) len -= 3;
    if (ends_with(path, len, ".npy")) return F_NPY;
    if (ends_with(path, len, ".csv") || ends_with(path, len, ".tsv") ||
        ends_with(path, len, ".txt"))
        return F_CSV;
    if (ends_with(path, len, "ubyte") || ends_with(path, len, ".idx") ||
        ends_with(path, len, ".idx1") || ends_with(path, len, ".idx3"))
        return F_IDX;
    return F_UNKNOWN;
}

ct_status ct_data_load(ct_dataset **out, const char *source, const ct_data_opts *opts,
                       char msg[CT_MSG_LEN]) {
    return ct_data_load_columns(out, source, opts, NULL, msg);
}

ct_status ct_data_load_columns(ct_dataset **out, const char *source, const ct_data_opts *opts,
                               ct_data_columns *cols, char msg[CT_MSG_LEN]) {
    if (msg) msg[0] = '\0';
    if (!out) return ct_fail_msg(msg, CT_ERR_ARG, "ct_data_load: out is NULL");
    *out = NULL;
    if (!source || !*source) return ct_fail_msg(msg, CT_ERR_ARG, "no data source given");
    ct_data_opts def;
    memset(&def, 0, sizeof def);
    def.task = CT_TASK_AUTO;
    def.seed = 42;
    def.require_labels = 1;
    const ct_data_opts *o = opts ? opts : &def;
    if (o->task != CT_TASK_AUTO && o->task != CT_TASK_CLASSIFICATION &&
        o->task != CT_TASK_REGRESSION)
        return ct_fail_msg(msg, CT_ERR_ARG, "%s: unknown task %d", source, (int)o->task);
    if (o->n_classes < 0 || (o->n_classes > 0 && !o->class_names))
        return ct_fail_msg(msg, CT_ERR_ARG, "%s: %d class names given without names", source,
                           o->n_classes);
    for (int i = 0; i < o->n_classes; i++)
        if (!o->class_names[i])
            return ct_fail_msg(msg, CT_ERR_ARG, "%s: class name %d is NULL", source, i);

    /* A generator: the name before ':' is one of the generators. */
    size_t nlen = strcspn(source, ":");
    const void *gen = dt_generator(source, nlen);
    if (gen) return dt_load_generator(out, source, gen, o, msg);
    int fmt = format_by_name(source);
    if (fmt == F_UNKNOWN && !strpbrk(source, "/.")) {
        /* no extension and no folder: a generator name unless such a file exists */
        errno = 0;
        FILE *probe = strchr(source, ':') ? NULL : fopen(source, "rb");
        if (!probe) {
            char name[48], list[256];
            dt_generator_names(list, sizeof list);
            char *nm = ct_strdup(source);
            if (!nm) return ct_fail_msg(msg, CT_ERR_ALLOC, "out of memory");
            nm[nlen] = '\0';
            ct_status st = ct_fail_msg(
                msg, CT_ERR_ARG, "%s: unknown generator '%s' and no such file (generators: %s)",
                source, dt_shown(name, nm), list);
            free(nm);
            return st;
        }
        fclose(probe);
    }
    if (fmt == F_UNKNOWN) {
        unsigned char b[8];
        long long n = 0;
        ct_status st = dt_sniff(source, b, &n, msg);
        if (st != CT_OK) return st;
        fmt = dt_is_npy_magic(b, n) ? F_NPY : (n >= 4 && b[0] == 0 && b[1] == 0) ? F_IDX : F_CSV;
    }
    if (fmt == F_CSV) return dt_load_csv(out, source, o, cols, msg);
    return dt_load_binary(out, source, fmt == F_NPY, o, msg);
}

/* ---- split and scaling ---------------------------------------------------------------------- */

/* A dataset with the rows idx[0..m) of d. */
static ct_dataset *ds_rows(const ct_dataset *d, const int *idx, int m) {
    ct_dataset *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    memcpy(s->source, d->source, sizeof s->source);
    memcpy(s->label_name, d->label_name, sizeof s->label_name);
    s->label_column = d->label_column;
    s->n = m;
    s->task = d->task;
    int f = d->features, o = d->outputs;
    s->features = f;
    if (!(s->X = malloc(dt_cells_bytes((size_t)m, (size_t)f, sizeof(float)) + 1))) goto fail;
    if (d->feature_names && !(s->feature_names = dt_copy_names(d->feature_names, f))) goto fail;
    if (d->enc && !(s->enc = ct_encoding_copy(d->enc))) goto fail;
    if (d->class_names) {
        s->n_classes = d->n_classes;
        if (!(s->class_names = dt_copy_names(d->class_names, d->n_classes))) goto fail;
    }
    s->n_classes = d->n_classes;
    if (d->target_names) {
        s->outputs = o;
        if (!(s->target_names = dt_copy_names(d->target_names, o))) goto fail;
    }
    s->outputs = o;
    if (d->labels && !(s->labels = malloc((size_t)m * sizeof(int32_t) + 1))) goto fail;
    if (d->Y && !(s->Y = malloc(dt_cells_bytes((size_t)m, (size_t)o, sizeof(float)) + 1)))
        goto fail;
    for (int i = 0; i < m; i++) {
        size_t r = (size_t)idx[i];
        memcpy(s->X + (size_t)i * f, d->X + r * f, (size_t)f * sizeof(float));
        if (s->labels) s->labels[i] = d->labels[r];
        if (s->Y) memcpy(s->Y + (size_t)i * o, d->Y + r * o, (size_t)o * sizeof(float));
    }
    return s;
fail:
    if (!s->class_names) s->n_classes = 0;
    if (!s->target_names) s->outputs = 0;
    ct_data_destroy(s);
    return NULL;
}

ct_status ct_data_split(const ct_dataset *d, double frac, uint64_t seed, ct_dataset **train,
                        ct_dataset **val, char msg[CT_MSG_LEN]) {
    if (msg) msg[0] = '\0';
    if (!train || !val) return ct_fail_msg(msg, CT_ERR_ARG, "ct_data_split: train or val is NULL");
    *train = *val = NULL;
    if (!d || d->n < 1 || !d->X)
        return ct_fail_msg(msg, CT_ERR_ARG, "ct_data_split: an empty dataset");
    if (!(frac >= 0.0 && frac < 1.0))
        return ct_fail_msg(msg, CT_ERR_ARG, "%s: the validation fraction must be in [0, 1), got %g",
                           d->source, frac);
    int n = d->n;
    long nv = lround(frac * n);
    if (frac > 0.0 && nv < 1) nv = 1;
    if (nv >= n)
        return ct_fail_msg(msg, CT_ERR_ARG,
                           "%s: a validation fraction of %g leaves no rows for training (%d rows)",
                           d->source, frac, n);
    ct_status st = CT_OK;
    int *perm = malloc((size_t)n * sizeof(int));
    int *ti = malloc((size_t)n * sizeof(int));
    unsigned char *in_val = calloc((size_t)n, 1);
    if (!perm || !ti || !in_val) {
        st = ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", d->source);
        goto done;
    }
    rng r;
    rng_seed(&r, seed);
    for (int i = 0; i < n; i++)
        perm[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)rng_below(&r, (uint64_t)i + 1), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (long i = 0; i < nv; i++)
        in_val[perm[i]] = 1;
    /* both parts keep the rows in their original order */
    int nt = 0, k = 0;
    for (int i = 0; i < n; i++) {
        if (in_val[i])
            perm[k++] = i;
        else
            ti[nt++] = i;
    }
    if (!(*train = ds_rows(d, ti, nt)) || (nv > 0 && !(*val = ds_rows(d, perm, (int)nv)))) {
        ct_data_destroy(*train);
        *train = NULL;
        st = ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", d->source);
    }
done:
    free(perm);
    free(ti);
    free(in_val);
    return st;
}

ct_status ct_scaler_fit(ct_scaler *s, const ct_dataset *d, char msg[CT_MSG_LEN]) {
    if (msg) msg[0] = '\0';
    if (!s) return ct_fail_msg(msg, CT_ERR_ARG, "ct_scaler_fit: s is NULL");
    s->features = 0;
    s->mean = s->std = NULL;
    if (!d || d->n < 1 || d->features < 1 || !d->X)
        return ct_fail_msg(msg, CT_ERR_ARG, "ct_scaler_fit: an empty dataset");
    int f = d->features;
    s->mean = malloc((size_t)f * sizeof(float));
    s->std = malloc((size_t)f * sizeof(float));
    double *sum = calloc((size_t)f, sizeof(double)), *sq = calloc((size_t)f, sizeof(double));
    if (!s->mean || !s->std || !sum || !sq) {
        free(sum);
        free(sq);
        ct_scaler_free(s);
        return ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", d->source);
    }
    for (size_t i = 0; i < (size_t)d->n; i++)
        for (int j = 0; j < f; j++)
            sum[j] += d->X[i * f + j];
    for (int j = 0; j < f; j++)
        sum[j] /= d->n;
    for (size_t i = 0; i < (size_t)d->n; i++)
        for (int j = 0; j < f; j++) {
            double t = d->X[i * f + j] - sum[j];
            sq[j] += t * t;
        }
    for (int j = 0; j < f; j++) {
        double sd = sqrt(sq[j] / d->n);
        s->mean[j] = (float)sum[j];
        s->std[j] = (sd > 0.0 && isfinite(sd) && (float)sd > 0.0f) ? (float)sd : 1.0f;
        if (d->enc && !ct_encoding_input_scaled(d->enc, j)) { /* one-hot, indicators: 0/1 */
            s->mean[j] = 0.0f;
            s->std[j] = 1.0f;
        }
    }
    s->features = f;
    free(sum);
    free(sq);
    return CT_OK;
}

ct_status ct_scaler_apply(const ct_scaler *s, ct_dataset *d, char msg[CT_MSG_LEN]) {
    if (msg) msg[0] = '\0';
    if (!s || !s->mean || !s->std || !d)
        return ct_fail_msg(msg, CT_ERR_ARG,
                           "ct_scaler_apply: the scaler or the dataset is missing");
    if (s->features != d->features)
        return ct_fail_msg(msg, CT_ERR_ARG, "%s: the scaler has %d features, the data %d",
                           d->source, s->features, d->features);
    int f = d->features;
    for (size_t i = 0; i < (size_t)d->n; i++)
        for (int j = 0; j < f; j++)
            d->X[i * f + j] = (d->X[i * f + j] - s->mean[j]) / s->std[j];
    return CT_OK;
}

void ct_scaler_free(ct_scaler *s) {
    if (!s) return;
    free(s->mean);
    free(s->std);
    s->mean = s->std = NULL;
    s->features = 0;
}

/* ---- datasets from arrays, and what a program may read of one ----------------------------- */

/* "NaN", "inf" or "-inf" for a value that is not finite. */
static const char *nonfinite_name(float v) { return isnan(v) ? "NaN" : v > 0 ? "inf" : "-inf"; }

ct_status ct_data_from_arrays(ct_dataset **out, int n, int features, const float *X,
                              const int32_t *labels, int n_classes, const float *Y, int outputs,
                              const char *name, char msg[CT_MSG_LEN]) {
    if (msg) msg[0] = '\0';
    if (!out) return ct_fail_msg(msg, CT_ERR_ARG, "ct_data_from_arrays: out is NULL");
    *out = NULL;
    const char *what = name && *name ? name : "arrays";
    if (n < 1 || features < 1 || !X)
        return ct_fail_msg(msg, CT_ERR_ARG, "%s: need at least 1 row and 1 feature (got %d x %d%s)",
                           what, n, features, X ? "" : ", X is NULL");
    if ((labels != NULL) == (Y != NULL))
        return ct_fail_msg(msg, CT_ERR_ARG,
                           "%s: give either class labels (classification) or targets Y "
                           "(regression), not %s",
                           what, labels ? "both" : "neither");
    if (labels && (n_classes < 2 || n_classes > (1 << 20)))
        return ct_fail_msg(msg, CT_ERR_ARG, "%s: classification needs 2 or more classes, got %d",
                           what, n_classes);
    if (Y && (outputs < 1 || outputs > (1 << 20)))
        return ct_fail_msg(msg, CT_ERR_ARG, "%s: regression needs 1 or more outputs, got %d", what,
                           outputs);
    if (dt_cells_bytes((size_t)n, (size_t)features, sizeof(float)) == 0 ||
        (Y && dt_cells_bytes((size_t)n, (size_t)outputs, sizeof(float)) == 0))
        return ct_fail_msg(msg, CT_ERR_ARG, "%s: %d rows x %d columns is too large", what, n,
                           features);
    for (size_t i = 0; i < (size_t)n * features; i++)
        if (!isfinite(X[i]))
            return ct_fail_msg(msg, CT_ERR_NUMERIC, "%s: X row %zu column %zu is %s", what,
                               i / (size_t)features, i % (size_t)features, nonfinite_name(X[i]));
    for (int i = 0; labels && i < n; i++)
        if (labels[i] < 0 || labels[i] >= n_classes)
            return ct_fail_msg(msg, CT_ERR_ARG, "%s: label of row %d is %d, outside [0, %d)", what,
                               i, (int)labels[i], n_classes);
    for (size_t i = 0; Y && i < (size_t)n * outputs; i++)
        if (!isfinite(Y[i]))
            return ct_fail_msg(msg, CT_ERR_NUMERIC, "%s: Y row %zu column %zu is %s", what,
                               i / (size_t)outputs, i % (size_t)outputs, nonfinite_name(Y[i]));
    ct_dataset *d = dt_ds_new(n, features, labels ? n_classes : 0, outputs);
    if (!d) return ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", what);
    memcpy(d->X, X, (size_t)n * features * sizeof(float));
    if (labels)
        memcpy(d->labels, labels, (size_t)n * sizeof(int32_t));
    else
        memcpy(d->Y, Y, (size_t)n * outputs * sizeof(float));
    snprintf(d->source, sizeof d->source, "%s", what);
    *out = d;
    return CT_OK;
}

int ct_data_rows(const ct_dataset *d) { return d ? d->n : 0; }
ct_status ct_data_set_feature_names(ct_dataset *d, const char *const *names, int n,
                                    char msg[CT_MSG_LEN]) {
    if (msg) msg[0] = '\0';
    if (!d) return ct_fail_msg(msg, CT_ERR_ARG, "ct_data_set_feature_names: no dataset");
    if (n != d->features || !names)
        return ct_fail_msg(msg, CT_ERR_ARG, "%s: %d feature names for %d features", d->source, n,
                           d->features);
    char a[48];
    for (int j = 0; j < n; j++) {
        if (!names[j] || !names[j][0])
            return ct_fail_msg(msg, CT_ERR_ARG, "%s: feature %d has an empty name", d->source, j);
        for (int k = 0; k < j; k++)
            if (!strcmp(names[k], names[j]))
                return ct_fail_msg(msg, CT_ERR_ARG,
                                   "%s: two features are named '%s' (columns %d and %d)", d->source,
                                   dt_shown(a, names[j]), k, j);
    }
    char **v = dt_copy_names((char *const *)names, n);
    if (!v) return ct_fail_msg(msg, CT_ERR_ALLOC, "out of memory");
    ct_free_strings(d->feature_names, d->features);
    d->feature_names = v;
    return CT_OK;
}

int ct_data_features(const ct_dataset *d) { return d ? d->features : 0; }
ct_task ct_data_task(const ct_dataset *d) { return d ? d->task : CT_TASK_AUTO; }
int ct_data_classes(const ct_dataset *d) {
    return d && d->task == CT_TASK_CLASSIFICATION ? d->n_classes : 0;
}
int ct_data_outputs(const ct_dataset *d) {
    return d && d->task == CT_TASK_REGRESSION ? d->outputs : 0;
}
const char *ct_data_class_name(const ct_dataset *d, int k) {
    if (!d || d->task != CT_TASK_CLASSIFICATION || k < 0 || k >= d->n_classes || !d->class_names)
        return NULL;
    return d->class_names[k];
}
const char *ct_data_source(const ct_dataset *d) { return d ? d->source : ""; }
const float *ct_data_x(const ct_dataset *d) { return d ? d->X : NULL; }
const int32_t *ct_data_labels(const ct_dataset *d) { return d ? d->labels : NULL; }
const float *ct_data_targets(const ct_dataset *d) { return d ? d->Y : NULL; }
