/* The binary readers: MNIST-style IDX and NumPy .npy files, their element types, through zlib. */
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

/* ---- binary files: element types, IDX, NPY -------------------------------------------------- */

typedef struct {
    char kind; /* 'u', 'i', 'f', 'b' */
    int size;  /* bytes */
    int big;   /* big-endian */
} elem_type;

static double elem_value(const unsigned char *p, elem_type t) {
    uint64_t u = 0;
    for (int i = 0; i < t.size; i++)
        u = (u << 8) | p[t.big ? i : t.size - 1 - i];
    if (t.kind == 'f') {
        if (t.size == 4) {
            uint32_t w = (uint32_t)u;
            float f;
            memcpy(&f, &w, sizeof f);
            return f;
        }
        double x;
        memcpy(&x, &u, sizeof x);
        return x;
    }
    if (t.kind == 'i') {
        if (t.size < 8 && ((u >> (8 * t.size - 1)) & 1)) u |= ~(uint64_t)0 << (8 * t.size);
        return (double)(int64_t)u;
    }
    return (double)u;
}

static gzFile open_binary(const char *path, ct_status *st, char *msg) {
    errno = 0;
    gzFile f = gzopen(path, "rb");
    if (!f) *st = ct_fail_msg(msg, CT_ERR_IO, "%s: cannot open: %s", path, dt_errno_text(errno));
    return f;
}

/* Reads exactly n bytes: n, fewer at the end of the file, or -1 on a read error (msg set). */
static long long read_full(gzFile f, void *buf, size_t n, const char *path, char *msg) {
    size_t have = 0;
    while (have < n) {
        size_t ask = n - have;
        if (ask > (1u << 30)) ask = 1u << 30;
        int got = gzread(f, (unsigned char *)buf + have, (unsigned)ask);
        if (got < 0) {
            ct_fail_msg(msg, CT_ERR_IO, "%s: read error: %s", path, dt_gz_text(f));
            return -1;
        }
        if (got == 0) break;
        have += (size_t)got;
    }
    return (long long)have;
}

/* Reads count elements of type t into out_f (as floats times scale, each finite; cols for the
 * message) or out_d (doubles). header: the bytes before the data, for messages. */
static ct_status read_elems(gzFile f, const char *path, size_t count, elem_type t, double scale,
                            int cols, float *out_f, double *out_d, size_t header, char *msg) {
    size_t want = count * (size_t)t.size, done = 0;
    unsigned char *buf = malloc(CHUNK);
    if (!buf) return ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", path);
    ct_status st = CT_OK;
    size_t e = 0;
    while (done < want) {
        size_t ask = want - done < CHUNK ? want - done : CHUNK;
        long long got = read_full(f, buf, ask, path, msg);
        if (got < 0) {
            st = CT_ERR_IO;
            break;
        }
        if ((size_t)got < ask) {
            st = ct_fail_msg(
                msg, CT_ERR_FORMAT,
                "%s: truncated: expected %zu bytes of data after the %zu-byte header, found "
                "%zu%s",
                path, want, header, done + (size_t)got,
                gzdirect(f) ? "" : " (after decompression)");
            break;
        }
        for (size_t b = 0; b < ask; b += (size_t)t.size, e++) {
            double v = elem_value(buf + b, t);
            if (out_d) {
                out_d[e] = v;
                continue;
            }
            out_f[e] = (float)(v * scale);
            if (!isfinite(out_f[e])) {
                st = ct_fail_msg(msg, CT_ERR_NUMERIC,
                                 "%s: row %zu, column %zu: expected a finite number, found %g%s",
                                 path, e / (size_t)cols, e % (size_t)cols + 1, v,
                                 isfinite(v) ? " (out of float range)" : "");
                goto done;
            }
        }
        done += ask;
    }
done:
    free(buf);
    return st;
}

/* Refuses, before anything is allocated for it, an array of count elements that the file
 * cannot hold: a plain file needs header + count * size bytes, and a gzip stream inflates at
 * most 1032 times (deflate's limit). So a 16-byte file cannot make a reader ask for gigabytes;
 * read_elems still checks what actually arrives. */
static ct_status check_room(gzFile f, const char *path, uint64_t count, elem_type t, size_t header,
                            char *msg) {
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size < 0) return CT_OK;
    uint64_t have = (uint64_t)sb.st_size;
    uint64_t need = count > UINT64_MAX / (uint64_t)t.size ? UINT64_MAX : count * (uint64_t)t.size;
    if (gzdirect(f)) {
        if (have >= header && need <= have - header) return CT_OK;
        return ct_fail_msg(msg, CT_ERR_FORMAT,
                           "%s: truncated: expected %llu bytes of data after the %zu-byte header, "
                           "found %llu",
                           path, (unsigned long long)need, header,
                           (unsigned long long)(have > header ? have - header : 0));
    }
    if (have <= UINT64_MAX / 1032 && need <= have * 1032) return CT_OK;
    return ct_fail_msg(msg, CT_ERR_FORMAT,
                       "%s: truncated: expected %llu bytes of data after the %zu-byte header, "
                       "more than a gzip file of %llu bytes can hold",
                       path, (unsigned long long)need, header, (unsigned long long)have);
}

#define MAX_DIMS 8

typedef struct {
    elem_type t;
    int ndim;
    uint64_t dims[MAX_DIMS];
    size_t header; /* bytes before the data */
    char descr[32];
} array_hdr;

static int idx_type(int code, elem_type *t) {
    switch (code) {
    case 0x08: *t = (elem_type){'u', 1, 1}; return 1;
    case 0x09: *t = (elem_type){'i', 1, 1}; return 1;
    case 0x0B: *t = (elem_type){'i', 2, 1}; return 1;
    case 0x0C: *t = (elem_type){'i', 4, 1}; return 1;
    case 0x0D: *t = (elem_type){'f', 4, 1}; return 1;
    case 0x0E: *t = (elem_type){'f', 8, 1}; return 1;
    }
    return 0;
}

/* Reads an IDX header; labels: expects one dimension (0x00000801), else 2+ (0x00000803). */
static ct_status idx_header(gzFile f, const char *path, int labels, array_hdr *h, char *msg) {
    unsigned char m[4];
    const char *expect = labels ? "0x00000801 (uint8 labels: count)"
                                : "0x00000803 (uint8 images: count x rows x columns)";
    long long got = read_full(f, m, 4, path, msg);
    if (got < 0) return CT_ERR_IO;
    if (got < 4)
        return ct_fail_msg(msg, CT_ERR_FORMAT,
                           "%s: truncated IDX header: expected at least 4 bytes, found %lld", path,
                           got);
    uint32_t magic = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
    if (m[0] != 0 || m[1] != 0 || !idx_type(m[2], &h->t) || m[3] < 1 || m[3] > MAX_DIMS)
        return ct_fail_msg(
            msg, CT_ERR_FORMAT,
            "%s: not an IDX file: magic 0x%08X, expected %s (or another IDX type 0x08, "
            "0x09, 0x0B, 0x0C, 0x0D, 0x0E in the third byte)",
            path, magic, expect);
    h->ndim = m[3];
    if (labels ? h->ndim != 1 : h->ndim < 2)
        return ct_fail_msg(msg, CT_ERR_FORMAT,
                           "%s: IDX magic 0x%08X is an array of %d dimension%s; expected %s", path,
                           magic, h->ndim, h->ndim == 1 ? "" : "s", expect);
    unsigned char dm[4 * MAX_DIMS];
    size_t need = 4 * (size_t)h->ndim;
    got = read_full(f, dm, need, path, msg);
    if (got < 0) return CT_ERR_IO;
    if ((size_t)got < need)
        return ct_fail_msg(msg, CT_ERR_FORMAT,
                           "%s: truncated IDX header: expected %zu bytes of dimensions, found %lld",
                           path, need, got);
    for (int i = 0; i < h->ndim; i++) {
        const unsigned char *p = dm + 4 * i;
        h->dims[i] = (uint64_t)p[0] << 24 | (uint64_t)p[1] << 16 | (uint64_t)p[2] << 8 | p[3];
    }
    h->header = 4 + need;
    snprintf(h->descr, sizeof h->descr, "IDX type 0x%02X", m[2]);
    return CT_OK;
}

/* NPY "descr" to an element type; 0 when unsupported. */
static int npy_type(const char *descr, elem_type *t) {
    const char *p = descr;
    uint16_t one = 1;
    unsigned char first;
    memcpy(&first, &one, 1);
    int native_big = first == 0;
    int big = native_big;
    if (*p == '<' || *p == '|')
        big = 0, p++;
    else if (*p == '>')
        big = 1, p++;
    else if (*p == '=')
        p++;
    char kind = *p++;
    char *end = NULL;
    long size = strtol(p, &end, 10);
    if (end == p || *end) return 0;
    int ok = (kind == 'f' && (size == 4 || size == 8)) ||
             ((kind == 'i' || kind == 'u') && (size == 1 || size == 2 || size == 4 || size == 8)) ||
             (kind == 'b' && size == 1);
    if (!ok) return 0;
    *t = (elem_type){kind == 'b' ? 'u' : kind, (int)size, big};
    return 1;
}

/* The text after "'key':" in a Python dict literal, or NULL. */
static const char *dict_value(const char *hdr, const char *key) {
    size_t kl = strlen(key);
    for (const char *p = strstr(hdr, key); p; p = strstr(p + 1, key)) {
        if (p == hdr || (p[-1] != '\'' && p[-1] != '"') || p[kl] != p[-1]) continue;
        const char *q = p + kl + 1;
        while (*q == ' ')
            q++;
        if (*q != ':') continue;
        q++;
        while (*q == ' ')
            q++;
        return q;
    }
    return NULL;
}

/* Reads an NPY header (versions 1.0, 2.0, 3.0). */
static ct_status npy_header(gzFile f, const char *path, array_hdr *h, char *msg) {
    unsigned char m[12];
    long long got = read_full(f, m, 8, path, msg);
    if (got < 0) return CT_ERR_IO;
    if (got < 8 || memcmp(m, "\x93NUMPY", 6) != 0) {
        char found[64] = "";
        size_t len = 0;
        for (long long i = 0; i < got && i < 6; i++)
            len += (size_t)snprintf(found + len, sizeof found - len, "%s%02X", i ? " " : "", m[i]);
        return ct_fail_msg(
            msg, CT_ERR_FORMAT,
            "%s: not an NPY file: expected the magic \\x93NUMPY (93 4E 55 4D 50 59), found "
            "%s",
            path, got ? found : "an empty file");
    }
    int major = m[6], minor = m[7];
    size_t lenbytes = major == 1 ? 2 : (major == 2 || major == 3) ? 4 : 0;
    if (!lenbytes)
        return ct_fail_msg(msg, CT_ERR_FORMAT,
                           "%s: unsupported NPY version %d.%d (expected 1.0, 2.0 or 3.0)", path,
                           major, minor);
    got = read_full(f, m + 8, lenbytes, path, msg);
    if (got < 0) return CT_ERR_IO;
    if ((size_t)got < lenbytes)
        return ct_fail_msg(msg, CT_ERR_FORMAT, "%s: truncated NPY header", path);
    size_t hl = (size_t)m[8] | (size_t)m[9] << 8;
    if (lenbytes == 4) hl |= (size_t)m[10] << 16 | (size_t)m[11] << 24;
    if (hl > (1u << 24))
        return ct_fail_msg(msg, CT_ERR_FORMAT, "%s: NPY header of %zu bytes is too long", path, hl);
    char *hdr = malloc(hl + 1);
    if (!hdr) return ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", path);
    ct_status st = CT_OK;
    got = read_full(f, hdr, hl, path, msg);
    if (got < 0) {
        st = CT_ERR_IO;
        goto done;
    }
    if ((size_t)got < hl) {
        st = ct_fail_msg(msg, CT_ERR_FORMAT,
                         "%s: truncated NPY header: expected %zu bytes, found %lld", path, hl, got);
        goto done;
    }
    hdr[hl] = '\0';
    for (size_t i = hl; i > 0 && (hdr[i - 1] == '\n' || hdr[i - 1] == ' '); i--)
        hdr[i - 1] = '\0';
    h->header = 8 + lenbytes + hl;
    char shdr[48];
    const char *v = dict_value(hdr, "descr");
    if (!v) {
        st = ct_fail_msg(msg, CT_ERR_FORMAT, "%s: bad NPY header (no 'descr'): %s", path,
                         dt_shown(shdr, hdr));
        goto done;
    }
    if (*v != '\'' && *v != '"') {
        st = ct_fail_msg(
            msg, CT_ERR_FORMAT,
            "%s: unsupported dtype (a structured array); expected a plain numeric dtype", path);
        goto done;
    }
    size_t i = 0;
    for (const char *p = v + 1; *p && *p != *v && i + 1 < sizeof h->descr; p++)
        h->descr[i++] = *p;
    h->descr[i] = '\0';
    if (!npy_type(h->descr, &h->t)) {
        st = ct_fail_msg(
            msg, CT_ERR_FORMAT,
            "%s: unsupported dtype '%s' (expected a float type <f4 or <f8, an integer type "
            "such as <i4, <i8 or |u1, or |b1)",
            path, h->descr);
        goto done;
    }
    v = dict_value(hdr, "fortran_order");
    if (!v || (strncmp(v, "True", 4) != 0 && strncmp(v, "False", 5) != 0)) {
        st = ct_fail_msg(msg, CT_ERR_FORMAT, "%s: bad NPY header (no 'fortran_order'): %s", path,
                         dt_shown(shdr, hdr));
        goto done;
    }
    if (v[0] == 'T') {
        st = ct_fail_msg(msg, CT_ERR_FORMAT,
                         "%s: fortran_order True is not supported; save a C-ordered array "
                         "(numpy.ascontiguousarray)",
                         path);
        goto done;
    }
    v = dict_value(hdr, "shape");
    if (!v || *v != '(') {
        st = ct_fail_msg(msg, CT_ERR_FORMAT, "%s: bad NPY header (no 'shape'): %s", path,
                         dt_shown(shdr, hdr));
        goto done;
    }
    h->ndim = 0;
    for (v++;;) {
        while (*v == ' ')
            v++;
        if (*v == ')') break;
        char *end = NULL;
        errno = 0;
        unsigned long long dim = strtoull(v, &end, 10);
        if (end == v || errno == ERANGE || *v == '-' || h->ndim == MAX_DIMS) {
            st = ct_fail_msg(msg, CT_ERR_FORMAT, "%s: bad NPY shape (at most %d dimensions): %s",
                             path, MAX_DIMS, dt_shown(shdr, hdr));
            goto done;
        }
        h->dims[h->ndim++] = dim;
        v = end;
        if (*v == 'L') v++;
        while (*v == ' ')
            v++;
        if (*v == ',') v++;
    }
done:
    free(hdr);
    return st;
}

static void shape_text(char *buf, size_t cap, const array_hdr *h) {
    size_t len = (size_t)snprintf(buf, cap, "(");
    for (int i = 0; i < h->ndim && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%llu", i ? ", " : "",
                                (unsigned long long)h->dims[i]);
    if (len < cap) snprintf(buf + len, cap - len, "%s)", h->ndim == 1 ? "," : "");
}

int dt_is_npy_magic(const unsigned char *b, long long n) {
    return n >= 6 && memcmp(b, "\x93NUMPY", 6) == 0;
}

/* The first bytes of path (decompressed), for choosing a reader. */
ct_status dt_sniff(const char *path, unsigned char *b, long long *n, char *msg) {
    ct_status st = CT_OK;
    gzFile f = open_binary(path, &st, msg);
    if (!f) return st;
    *n = read_full(f, b, 6, path, msg);
    gzclose(f);
    return *n < 0 ? CT_ERR_IO : CT_OK;
}

/* Reads a labels file (IDX with one dimension, or NPY of shape (n,) or (n, 1)) as doubles. */
static ct_status read_label_file(const char *path, double **vals, uint64_t *count, int *is_int,
                                 char *msg) {
    unsigned char b[8];
    long long nb = 0;
    ct_status st = dt_sniff(path, b, &nb, msg);
    if (st != CT_OK) return st;
    gzFile f = open_binary(path, &st, msg);
    if (!f) return st;
    array_hdr h;
    memset(&h, 0, sizeof h);
    int npy = dt_is_npy_magic(b, nb);
    size_t plen = strlen(path);
    if (!npy && plen >= 4 && strcmp(path + plen - 4, ".npy") == 0) npy = 1;
    st = npy ? npy_header(f, path, &h, msg) : idx_header(f, path, 1, &h, msg);
    if (st != CT_OK) goto done;
    char shape[160];
    shape_text(shape, sizeof shape, &h);
    if (npy && !(h.ndim == 1 || (h.ndim == 2 && h.dims[1] == 1))) {
        st = ct_fail_msg(msg, CT_ERR_FORMAT, "%s: labels must have shape (n,) or (n, 1), found %s",
                         path, shape);
        goto done;
    }
    if (h.dims[0] > INT_MAX) {
        st = ct_fail_msg(msg, CT_ERR_FORMAT, "%s: too many labels (%llu)", path,
                         (unsigned long long)h.dims[0]);
        goto done;
    }
    if ((st = check_room(f, path, h.dims[0], h.t, h.header, msg)) != CT_OK) goto done;
    *count = h.dims[0];
    *is_int = h.t.kind != 'f';
    if (!(*vals = malloc((size_t)(*count ? *count : 1) * sizeof(double)))) {
        st = ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", path);
        goto done;
    }
    st = read_elems(f, path, (size_t)*count, h.t, 1.0, 1, NULL, *vals, h.header, msg);
    if (st != CT_OK) {
        free(*vals);
        *vals = NULL;
    }
done:
    gzclose(f);
    return st;
}

/* IDX images or NPY features, with labels from opts->labels_path. */
ct_status dt_load_binary(ct_dataset **out, const char *path, int npy, const ct_data_opts *o,
                         char *msg) {
    ct_status st = CT_OK;
    ct_dataset *d = NULL;
    double *lv = NULL;
    lab_item *items = NULL;
    gzFile f = open_binary(path, &st, msg);
    if (!f) return st;
    array_hdr h;
    memset(&h, 0, sizeof h);
    st = npy ? npy_header(f, path, &h, msg) : idx_header(f, path, 0, &h, msg);
    if (st != CT_OK) goto fail;
    char shape[160];
    shape_text(shape, sizeof shape, &h);
    if (h.ndim < 1) {
        st = ct_fail_msg(msg, CT_ERR_FORMAT, "%s: a scalar array %s; expected (n, features)", path,
                         shape);
        goto fail;
    }
    uint64_t feat = 1;
    for (int i = 1; i < h.ndim; i++) {
        if (h.dims[i] != 0 && feat > (uint64_t)INT_MAX / h.dims[i]) feat = (uint64_t)INT_MAX + 1;
        feat *= h.dims[i];
    }
    if (h.dims[0] == 0 || feat == 0) {
        st = ct_fail_msg(msg, CT_ERR_FORMAT, "%s: an empty array %s; expected rows and features",
                         path, shape);
        goto fail;
    }
    if (h.dims[0] > INT_MAX || feat > INT_MAX) {
        st =
            ct_fail_msg(msg, CT_ERR_FORMAT, "%s: array %s too large (at most %d rows and features)",
                        path, shape, INT_MAX);
        goto fail;
    }
    int n = (int)h.dims[0], nf = (int)feat;
    if ((st = check_room(f, path, (uint64_t)n * feat, h.t, h.header, msg)) != CT_OK) goto fail;
    if (!(d = calloc(1, sizeof *d))) {
        st = ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", path);
        goto fail;
    }
    snprintf(d->source, sizeof d->source, "%s", path);
    d->n = n;
    d->features = nf;
    size_t xb = dt_cells_bytes((size_t)n, (size_t)nf, sizeof(float));
    if (!xb || !(d->X = malloc(xb)) || !(d->feature_names = ct_numbered_names(nf, "x", 0))) {
        st = ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory for an array %s", path, shape);
        goto fail;
    }
    /* uint8 IDX images are pixels: scaled to [0, 1]; every other type is taken as it is. */
    double scale = (!npy && h.t.kind == 'u' && h.t.size == 1) ? 1.0 / 255.0 : 1.0;
    st = read_elems(f, path, (size_t)n * (size_t)nf, h.t, scale, nf, d->X, NULL, h.header, msg);
    if (st != CT_OK) goto fail;

    if (!o->labels_path) {
        if (o->require_labels) {
            st = ct_fail_msg(msg, CT_ERR_ARG,
                             "%s: %s files hold no labels; give the labels file too (--labels)",
                             path, npy ? "NPY feature" : "IDX image");
            goto fail;
        }
        if ((st = dt_no_labels(d, o, path, msg)) != CT_OK) goto fail;
    } else {
        uint64_t count = 0;
        int is_int = 0;
        if ((st = read_label_file(o->labels_path, &lv, &count, &is_int, msg)) != CT_OK) goto fail;
        if (count != (uint64_t)n) {
            st = ct_fail_msg(msg, CT_ERR_FORMAT, "%s: %llu labels for %d rows in %s",
                             o->labels_path, (unsigned long long)count, n, path);
            goto fail;
        }
        if (!(items = malloc((size_t)n * sizeof *items))) {
            st = ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", o->labels_path);
            goto fail;
        }
        for (int i = 0; i < n; i++)
            items[i] = (lab_item){NULL, lv[i], 1, i, 0, 0};
        lab_ctx c = {o->labels_path, 0, 0, NULL, is_int, "y"};
        if ((st = dt_build_labels(d, items, n, &c, o, msg)) != CT_OK) goto fail;
    }
    *out = d;
    d = NULL;
fail:
    ct_data_destroy(d);
    gzclose(f);
    free(lv);
    free(items);
    return st;
}
