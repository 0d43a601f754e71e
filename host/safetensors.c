/* safetensors writer and validating reader (see safetensors.h).
 *
 * Layout: 8 bytes little-endian u64 N, then N bytes of JSON header (padded with spaces so
 * that the data section starts at a multiple of 8), then the data section. Each tensor entry
 * is {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]} with offsets relative to the
 * start of the data section; "__metadata__" maps strings to strings.
 *
 * Byte order: tensor data is little-endian. This code reads and writes floats with memcpy /
 * fwrite of the in-memory representation, which is little-endian on every machine cltrain
 * targets (x86-64, ARM64); a big-endian build stops at compile time below rather than writing
 * wrong files. The header length is assembled byte by byte and is portable.
 *
 * The reader trusts nothing: every size is checked against the file before anything is
 * allocated or read, and every failure is CT_ERR_FORMAT with "<path>: tensor '<name>': ...". */
#define _POSIX_C_SOURCE 200809L

#include "safetensors.h"
#include "strutil.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "fileio.h"
#include "json.h"

#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) &&                                 \
    __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors.c assumes a little-endian machine (tensor data is written as in memory)"
#endif

#define ST_MAX_HEADER (100u * 1024u * 1024u) /* 100 MB: larger headers are refused */
#define ST_MAX_INT 9007199254740992.0        /* 2^53: integers exact in a double */
#define ST_NAME_SHOW 80                      /* tensor names in messages are cut to this */

/* A name as it may appear in a message: control characters become '?', long names are cut
 * (at a character boundary) and end in "...". */
static void show_name(const char *s, char out[ST_NAME_SHOW + 4]) {
    size_t n = 0;
    for (; s[n] && n < ST_NAME_SHOW; n++) {
        unsigned char c = (unsigned char)s[n];
        out[n] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (s[n]) {
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--; /* cut between chars */
        memcpy(out + n, "...", 4);
    } else {
        out[n] = '\0';
    }
}

/* "(10, 20)"; "()" for a scalar. */
static void show_shape(const int64_t *shape, int ndim, char out[128]) {
    size_t n = 0;
    out[n++] = '(';
    for (int d = 0; d < ndim && n < 100; d++)
        n += (size_t)snprintf(out + n, 128 - n, "%s%lld", d ? ", " : "", (long long)shape[d]);
    snprintf(out + n, 128 - n, ")");
}

/* ---- writing ---------------------------------------------------------------------------- */

static void sb_str(ct_strbuf *sb, const char *s) { ct_sb_put(sb, s, strlen(s)); }

/* s as a JSON string literal */
static void sb_json(ct_strbuf *sb, const char *s) {
    size_t need = ct_json_escape(NULL, 0, s);
    char small[256];
    char *tmp = need < sizeof small ? small : malloc(need + 1);
    if (!tmp) {
        sb->oom = 1;
        return;
    }
    ct_json_escape(tmp, need + 1, s);
    ct_sb_put(sb, tmp, need);
    if (tmp != small) free(tmp);
}

static void sb_u64(ct_strbuf *sb, unsigned long long v) {
    char t[32];
    int n = snprintf(t, sizeof t, "%llu", v);
    ct_sb_put(sb, t, (size_t)n);
}

/* Checks the tensors and metadata handed to the writer. */
static ct_status check_write_args(const char *path, const ct_st_tensor *tensors, int n_tensors,
                                  char *const *meta_keys, char *const *meta_values, int n_meta,
                                  char *msg) {
    char nm[ST_NAME_SHOW + 4];
    if (n_tensors < 0 || n_meta < 0 || (n_tensors > 0 && !tensors) ||
        (n_meta > 0 && (!meta_keys || !meta_values))) {
        ct_set_msg(msg, "%s: bad arguments (%d tensors, %d metadata entries)", path, n_tensors,
                   n_meta);
        return CT_ERR_ARG;
    }
    for (int i = 0; i < n_tensors; i++) {
        const ct_st_tensor *t = &tensors[i];
        if (!t->name) {
            ct_set_msg(msg, "%s: tensor %d has no name", path, i);
            return CT_ERR_ARG;
        }
        show_name(t->name, nm);
        if (strcmp(t->name, "__metadata__") == 0) {
            ct_set_msg(msg, "%s: a tensor may not be called '__metadata__'", path);
            return CT_ERR_ARG;
        }
        for (int j = 0; j < i; j++)
            if (strcmp(tensors[j].name, t->name) == 0) {
                ct_set_msg(msg, "%s: tensor '%s' is given twice", path, nm);
                return CT_ERR_ARG;
            }
        if (t->ndim < 0 || t->ndim > CT_ST_MAX_DIMS) {
            ct_set_msg(msg, "%s: tensor '%s' has %d dimensions, expected 0 to %d", path, nm,
                       t->ndim, CT_ST_MAX_DIMS);
            return CT_ERR_ARG;
        }
        size_t count = 1;
        for (int d = 0; d < t->ndim; d++) {
            size_t dim = t->shape[d] > 0 ? (size_t)t->shape[d] : 1;
            if (t->shape[d] < 0 || count > SIZE_MAX / 8 / dim) {
                ct_set_msg(msg, "%s: tensor '%s' has a bad shape: dimension %d is %lld", path, nm,
                           d, (long long)t->shape[d]);
                return CT_ERR_ARG;
            }
            count *= (size_t)t->shape[d];
        }
        if (count != t->count) {
            char sh[128];
            show_shape(t->shape, t->ndim, sh);
            ct_set_msg(msg, "%s: tensor '%s' has count %zu but its shape %s holds %zu", path, nm,
                       t->count, sh, count);
            return CT_ERR_ARG;
        }
        if (count > 0 && !t->data) {
            ct_set_msg(msg, "%s: tensor '%s' has no data", path, nm);
            return CT_ERR_ARG;
        }
    }
    for (int i = 0; i < n_meta; i++) {
        if (!meta_keys[i] || !meta_values[i]) {
            ct_set_msg(msg, "%s: metadata entry %d has no %s", path, i,
                       meta_keys[i] ? "value" : "key");
            return CT_ERR_ARG;
        }
        for (int j = 0; j < i; j++)
            if (strcmp(meta_keys[j], meta_keys[i]) == 0) {
                show_name(meta_keys[i], nm);
                ct_set_msg(msg, "%s: metadata key '%s' is given twice", path, nm);
                return CT_ERR_ARG;
            }
    }
    return CT_OK;
}

ct_status ct_st_write(const char *path, const ct_st_tensor *tensors, int n_tensors,
                      char *const *meta_keys, char *const *meta_values, int n_meta,
                      char msg[CT_MSG_LEN]) {
    if (!path || !*path) {
        ct_set_msg(msg, "ct_st_write: the path is empty");
        return CT_ERR_ARG;
    }
    ct_status st = check_write_args(path, tensors, n_tensors, meta_keys, meta_values, n_meta, msg);
    if (st != CT_OK) return st;

    /* the header */
    ct_strbuf h = {NULL, 0, 0, 0};
    ct_atomic_file a = {NULL, NULL, NULL};
    sb_str(&h, "{");
    if (n_meta > 0) {
        sb_str(&h, "\"__metadata__\":{");
        for (int i = 0; i < n_meta; i++) {
            if (i) sb_str(&h, ",");
            sb_json(&h, meta_keys[i]);
            sb_str(&h, ":");
            sb_json(&h, meta_values[i]);
        }
        sb_str(&h, "}");
    }
    unsigned long long offset = 0;
    for (int i = 0; i < n_tensors; i++) {
        const ct_st_tensor *t = &tensors[i];
        if (i || n_meta > 0) sb_str(&h, ",");
        sb_json(&h, t->name);
        sb_str(&h, ":{\"dtype\":\"F32\",\"shape\":[");
        for (int d = 0; d < t->ndim; d++) {
            if (d) sb_str(&h, ",");
            sb_u64(&h, (unsigned long long)t->shape[d]);
        }
        sb_str(&h, "],\"data_offsets\":[");
        sb_u64(&h, offset);
        sb_str(&h, ",");
        offset += (unsigned long long)t->count * sizeof(float);
        sb_u64(&h, offset);
        sb_str(&h, "]}");
    }
    sb_str(&h, "}");
    while (!h.oom && h.len % 8 != 0)
        sb_str(&h, " "); /* data starts at a multiple of 8 */
    if (h.oom) {
        ct_set_msg(msg, "cannot write %s: out of memory for the header", path);
        st = CT_ERR_ALLOC;
        goto fail;
    }

    st = ct_atomic_begin(&a, path, msg);
    if (st != CT_OK) goto fail;
    unsigned char len8[8];
    for (int k = 0; k < 8; k++)
        len8[k] = (unsigned char)((unsigned long long)h.len >> (8 * k));
    if (fwrite(len8, 1, 8, a.f) != 8 || fwrite(h.s, 1, h.len, a.f) != h.len) goto write_error;
    for (int i = 0; i < n_tensors; i++) {
        const ct_st_tensor *t = &tensors[i];
        if (t->count > 0 && fwrite(t->data, sizeof(float), t->count, a.f) != t->count)
            goto write_error;
    }
    free(h.s);
    return ct_atomic_commit(&a, msg);
write_error:
    ct_set_msg(msg, "cannot write %s: %s", path, errno ? strerror(errno) : "a write failed");
    st = CT_ERR_IO;
fail:
    ct_atomic_abort(&a);
    free(h.s);
    return st;
}

/* ---- reading ---------------------------------------------------------------------------- */

void ct_st_free(ct_st_file *f) {
    if (!f) return;
    if (f->tensors) {
        for (int i = 0; i < f->n_tensors; i++) {
            free(f->tensors[i].name);
            free(f->tensors[i].data);
        }
        free(f->tensors);
    }
    for (int i = 0; i < f->n_meta; i++) {
        if (f->meta_keys) free(f->meta_keys[i]);
        if (f->meta_values) free(f->meta_values[i]);
    }
    free(f->meta_keys);
    free(f->meta_values);
    free(f);
}

const ct_st_tensor *ct_st_find(const ct_st_file *f, const char *name) {
    if (!f || !name) return NULL;
    for (int i = 0; i < f->n_tensors; i++)
        if (strcmp(f->tensors[i].name, name) == 0) return &f->tensors[i];
    return NULL;
}

const char *ct_st_meta(const ct_st_file *f, const char *key) {
    if (!f || !key) return NULL;
    for (int i = 0; i < f->n_meta; i++)
        if (strcmp(f->meta_keys[i], key) == 0) return f->meta_values[i];
    return NULL;
}

static const char *type_name(const ct_json *j) {
    switch (j->type) {
    case CT_JSON_NULL: return "null";
    case CT_JSON_BOOL: return "a boolean";
    case CT_JSON_NUMBER: return "a number";
    case CT_JSON_STRING: return "a string";
    case CT_JSON_ARRAY: return "an array";
    case CT_JSON_OBJECT: return "an object";
    }
    return "?";
}

/* A whole number in [0, 2^53] */
static int is_count(const ct_json *j) {
    return j && j->type == CT_JSON_NUMBER && j->number >= 0.0 && j->number <= ST_MAX_INT &&
           floor(j->number) == j->number;
}

/* What one validated tensor entry says: element size, range in the data section. */
typedef struct entry {
    const char *key;
    int elem; /* 4 (F32) or 8 (F64) */
    int ndim;
    int64_t shape[CT_ST_MAX_DIMS];
    size_t count;
    unsigned long long begin, end;
} entry;

/* Validates the header entry `val` of tensor `key` against a data section of data_size bytes. */
static ct_status check_entry(const char *path, const char *key, const ct_json *val,
                             unsigned long long data_size, entry *e, char *msg) {
    char nm[ST_NAME_SHOW + 4];
    show_name(key, nm);
    e->key = key;
    if (val->type != CT_JSON_OBJECT) {
        ct_set_msg(msg,
                   "%s: tensor '%s': expected an object with dtype, shape and data_offsets, "
                   "found %s",
                   path, nm, type_name(val));
        return CT_ERR_FORMAT;
    }
    const ct_json *dtype = ct_json_get(val, "dtype");
    const ct_json *shape = ct_json_get(val, "shape");
    const ct_json *offs = ct_json_get(val, "data_offsets");
    const char *missing = !dtype ? "dtype" : !shape ? "shape" : !offs ? "data_offsets" : NULL;
    if (missing) {
        ct_set_msg(msg, "%s: tensor '%s': the entry has no \"%s\"", path, nm, missing);
        return CT_ERR_FORMAT;
    }
    if (dtype->type != CT_JSON_STRING) {
        ct_set_msg(msg, "%s: tensor '%s': dtype is %s, expected a string such as \"F32\"", path, nm,
                   type_name(dtype));
        return CT_ERR_FORMAT;
    }
    if (strcmp(dtype->string, "F32") == 0) {
        e->elem = 4;
    } else if (strcmp(dtype->string, "F64") == 0) {
        e->elem = 8;
    } else {
        char dt[ST_NAME_SHOW + 4];
        show_name(dtype->string, dt);
        ct_set_msg(msg, "%s: tensor '%s': dtype '%s' is not supported (F32 and F64 are)", path, nm,
                   dt);
        return CT_ERR_FORMAT;
    }
    if (shape->type != CT_JSON_ARRAY) {
        ct_set_msg(msg, "%s: tensor '%s': shape is %s, expected an array of sizes", path, nm,
                   type_name(shape));
        return CT_ERR_FORMAT;
    }
    if (shape->count > CT_ST_MAX_DIMS) {
        ct_set_msg(msg, "%s: tensor '%s': shape has %zu dimensions, at most %d are supported", path,
                   nm, shape->count, CT_ST_MAX_DIMS);
        return CT_ERR_FORMAT;
    }
    e->ndim = (int)shape->count;
    unsigned long long count = 1;
    int overflow = 0;
    for (int d = 0; d < e->ndim; d++) {
        const ct_json *s = &shape->items[d];
        if (!is_count(s)) {
            if (s->type == CT_JSON_NUMBER)
                ct_set_msg(msg, "%s: tensor '%s': shape[%d] is %.17g, expected a whole number >= 0",
                           path, nm, d, s->number);
            else
                ct_set_msg(msg, "%s: tensor '%s': shape[%d] is %s, expected a whole number >= 0",
                           path, nm, d, type_name(s));
            return CT_ERR_FORMAT;
        }
        e->shape[d] = (int64_t)s->number;
        unsigned long long v = (unsigned long long)s->number;
        if (v != 0 && count > (unsigned long long)SIZE_MAX / 8 / v)
            overflow = 1;
        else
            count *= v;
    }
    char sh[128];
    show_shape(e->shape, e->ndim, sh);
    if (overflow) {
        ct_set_msg(msg, "%s: tensor '%s': shape %s has more elements than memory can hold", path,
                   nm, sh);
        return CT_ERR_FORMAT;
    }
    e->count = (size_t)count;
    if (offs->type != CT_JSON_ARRAY || offs->count != 2 || !is_count(&offs->items[0]) ||
        !is_count(&offs->items[1])) {
        ct_set_msg(msg,
                   "%s: tensor '%s': data_offsets must be [begin, end] with whole numbers >= 0",
                   path, nm);
        return CT_ERR_FORMAT;
    }
    e->begin = (unsigned long long)offs->items[0].number;
    e->end = (unsigned long long)offs->items[1].number;
    if (e->begin > e->end) {
        ct_set_msg(msg, "%s: tensor '%s': data_offsets [%llu, %llu] are reversed (begin after end)",
                   path, nm, e->begin, e->end);
        return CT_ERR_FORMAT;
    }
    if (e->end > data_size) {
        ct_set_msg(msg,
                   "%s: tensor '%s': data_offsets [%llu, %llu] reach past the end of the data "
                   "section (%llu bytes); the file is truncated or the header is wrong",
                   path, nm, e->begin, e->end, data_size);
        return CT_ERR_FORMAT;
    }
    unsigned long long need = count * (unsigned long long)e->elem;
    if (e->end - e->begin != need) {
        ct_set_msg(msg,
                   "%s: tensor '%s': data_offsets [%llu, %llu] need %llu bytes but the shape %s of "
                   "%s needs %llu",
                   path, nm, e->begin, e->end, e->end - e->begin, sh, dtype->string, need);
        return CT_ERR_FORMAT;
    }
    return CT_OK;
}

static int cmp_key(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Reads one validated tensor's bytes (at data_start + begin) into t->data as floats. */
static ct_status read_data(FILE *f, const char *path, off_t data_start, const entry *e,
                           ct_st_tensor *t, char *msg) {
    char nm[ST_NAME_SHOW + 4];
    show_name(e->key, nm);
    t->data = malloc(e->count ? e->count * sizeof(float) : sizeof(float));
    if (!t->data) {
        ct_set_msg(msg, "%s: tensor '%s': out of memory for %zu floats", path, nm, e->count);
        return CT_ERR_ALLOC;
    }
    if (e->count == 0) return CT_OK;
    if (fseeko(f, data_start + (off_t)e->begin, SEEK_SET) != 0) {
        ct_set_msg(msg, "cannot read %s: %s", path, strerror(errno));
        return CT_ERR_IO;
    }
    if (e->elem == 4) {
        if (fread(t->data, sizeof(float), e->count, f) != e->count) goto short_read;
        return CT_OK;
    }
    /* F64: convert in chunks (values beyond the float range become +-inf) */
    double chunk[1024];
    for (size_t done = 0; done < e->count;) {
        size_t n = e->count - done < 1024 ? e->count - done : 1024;
        if (fread(chunk, sizeof(double), n, f) != n) goto short_read;
        for (size_t k = 0; k < n; k++)
            t->data[done + k] = (float)chunk[k];
        done += n;
    }
    return CT_OK;
short_read:
    if (ferror(f))
        ct_set_msg(msg, "cannot read %s: %s", path, strerror(errno));
    else
        ct_set_msg(msg, "%s: tensor '%s': the file ended while reading its data (did it change?)",
                   path, nm);
    return ferror(f) ? CT_ERR_IO : CT_ERR_FORMAT;
}

/* The message and status of a failed allocation while reading. */
static ct_status st_oom(const char *path, char *msg) {
    ct_set_msg(msg, "%s: out of memory", path);
    return CT_ERR_ALLOC;
}

/* Checks that the open file is a regular file of at least 8 bytes; its size in *size. */
static ct_status check_file(FILE *f, const char *path, unsigned long long *size, char *msg) {
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0) {
        ct_set_msg(msg, "cannot read %s: %s", path, strerror(errno));
        return CT_ERR_IO;
    }
    if (S_ISDIR(sb.st_mode) || !S_ISREG(sb.st_mode)) {
        ct_set_msg(msg, "cannot read %s: it is %s, not a regular file", path,
                   S_ISDIR(sb.st_mode) ? "a folder" : "a device or pipe");
        return CT_ERR_IO;
    }
    *size = (unsigned long long)sb.st_size;
    if (*size < 8) {
        ct_set_msg(
            msg,
            "%s: the file is %llu bytes, too short for a safetensors file (it starts with an "
            "8-byte header length)",
            path, *size);
        return CT_ERR_FORMAT;
    }
    return CT_OK;
}

/* Reads the header length and the header of a file of `size` bytes into *header (allocated,
 * one byte more; the caller frees it, also on failure) and *hlen. */
static ct_status read_header(FILE *f, const char *path, unsigned long long size, char **header,
                             unsigned long long *hlen, char *msg) {
    unsigned char len8[8];
    if (fread(len8, 1, 8, f) != 8) {
        ct_set_msg(msg, "cannot read %s: %s", path, ferror(f) ? strerror(errno) : "file ended");
        return CT_ERR_IO;
    }
    unsigned long long n = 0;
    for (int k = 7; k >= 0; k--)
        n = (n << 8) | len8[k];
    if (n > ST_MAX_HEADER) {
        ct_set_msg(msg,
                   "%s: the header length %llu is absurd (more than 100 MB); is this a safetensors "
                   "file?",
                   path, n);
        return CT_ERR_FORMAT;
    }
    if (n > size - 8) {
        ct_set_msg(msg,
                   "%s: the header length %llu is larger than the rest of the file (%llu bytes); "
                   "the file is truncated or not a safetensors file",
                   path, n, size - 8);
        return CT_ERR_FORMAT;
    }
    *hlen = n;
    *header = malloc((size_t)n + 1);
    if (!*header) {
        ct_set_msg(msg, "%s: out of memory for a header of %llu bytes", path, n);
        return CT_ERR_ALLOC;
    }
    if (fread(*header, 1, (size_t)n, f) != (size_t)n) {
        ct_set_msg(msg, "cannot read %s: %s", path, ferror(f) ? strerror(errno) : "file ended");
        return CT_ERR_IO;
    }
    return CT_OK;
}

/* Refuses n keys (n > 0) that name one twice, by a sorted copy: O(n log n) even for a hostile
 * header. `what` names the list in the message: "the header" or "__metadata__". */
static ct_status check_unique(char *const *names, size_t n, const char *path, const char *what,
                              char *msg) {
    const char **keys = malloc(n * sizeof *keys);
    if (!keys) return st_oom(path, msg);
    for (size_t i = 0; i < n; i++)
        keys[i] = names[i];
    qsort(keys, n, sizeof *keys, cmp_key);
    char nm[ST_NAME_SHOW + 4];
    int twice = 0;
    for (size_t i = 1; i < n && !twice; i++)
        if (strcmp(keys[i - 1], keys[i]) == 0) {
            twice = 1;
            show_name(keys[i], nm);
        }
    free(keys);
    if (twice) {
        ct_set_msg(msg, "%s: %s names '%s' twice", path, what, nm);
        return CT_ERR_FORMAT;
    }
    return CT_OK;
}

/* Copies the header's "__metadata__" object `meta` of n_meta entries into file (every value a
 * string, every key once: a reader keeping the first and one keeping the last would see two
 * different models). */
static ct_status read_meta(const ct_json *meta, size_t n_meta, const char *path, ct_st_file *file,
                           char *msg) {
    char nm[ST_NAME_SHOW + 4];
    if (meta->type != CT_JSON_OBJECT) {
        ct_set_msg(msg, "%s: __metadata__ is %s, expected an object of strings", path,
                   type_name(meta));
        return CT_ERR_FORMAT;
    }
    file->meta_keys = calloc(n_meta ? n_meta : 1, sizeof(char *));
    file->meta_values = calloc(n_meta ? n_meta : 1, sizeof(char *));
    if (!file->meta_keys || !file->meta_values) return st_oom(path, msg);
    for (size_t i = 0; i < n_meta; i++) {
        if (meta->items[i].type != CT_JSON_STRING) {
            show_name(meta->keys[i], nm);
            ct_set_msg(msg, "%s: __metadata__ '%s' is %s, expected a string", path, nm,
                       type_name(&meta->items[i]));
            return CT_ERR_FORMAT;
        }
        file->meta_keys[i] = ct_strdup(meta->keys[i]);
        file->meta_values[i] = ct_strdup(meta->items[i].string);
        file->n_meta = (int)i + 1;
        if (!file->meta_keys[i] || !file->meta_values[i]) return st_oom(path, msg);
    }
    if (n_meta > 1) return check_unique(file->meta_keys, n_meta, path, "__metadata__", msg);
    return CT_OK;
}

/* Validates every tensor entry of the header `root` (all but "__metadata__") into entries,
 * before any data is read, against a data section of data_size bytes. */
static ct_status check_entries(const ct_json *root, unsigned long long data_size, const char *path,
                               entry *entries, char *msg) {
    unsigned long long total = 0;
    size_t k = 0;
    for (size_t i = 0; i < root->count; i++) {
        if (strcmp(root->keys[i], "__metadata__") == 0) continue;
        ct_status st =
            check_entry(path, root->keys[i], &root->items[i], data_size, &entries[k], msg);
        if (st != CT_OK) return st;
        total += entries[k].end - entries[k].begin;
        k++;
    }
    /* Overlapping ranges are allowed, but a header that maps the same bytes into very many
     * tensors could make a small file ask for terabytes. */
    if (total > 4 * data_size + (1ull << 20)) {
        ct_set_msg(msg,
                   "%s: the tensors overlap so much that they need %llu bytes from a data section "
                   "of %llu; refusing",
                   path, total, data_size);
        return CT_ERR_FORMAT;
    }
    return CT_OK;
}

/* Reads the n_tensors validated entries' names, shapes and data (the data section starts at
 * data_start) into file->tensors. */
static ct_status read_tensors(FILE *f, const char *path, off_t data_start, const entry *entries,
                              size_t n_tensors, ct_st_file *file, char *msg) {
    file->tensors = calloc(n_tensors ? n_tensors : 1, sizeof *file->tensors);
    if (!file->tensors) return st_oom(path, msg);
    for (size_t i = 0; i < n_tensors; i++) {
        const entry *e = &entries[i];
        ct_st_tensor *t = &file->tensors[i];
        file->n_tensors = (int)i + 1;
        t->name = ct_strdup(e->key);
        if (!t->name) return st_oom(path, msg);
        t->ndim = e->ndim;
        memcpy(t->shape, e->shape, sizeof t->shape);
        t->count = e->count;
        ct_status st = read_data(f, path, data_start, e, t, msg);
        if (st != CT_OK) return st;
    }
    return CT_OK;
}

ct_status ct_st_read(const char *path, ct_st_file **out, char msg[CT_MSG_LEN]) {
    if (out) *out = NULL;
    if (!path || !*path || !out) {
        ct_set_msg(msg, "ct_st_read: %s", !out ? "no output" : "the path is empty");
        return CT_ERR_ARG;
    }
    ct_status st = CT_ERR_FORMAT;
    char *header = NULL;
    ct_json *root = NULL;
    entry *entries = NULL;
    ct_st_file *file = NULL;

    FILE *f = fopen(path, "rb");
    if (!f) {
        ct_set_msg(msg, "cannot read %s: %s", path, strerror(errno));
        return CT_ERR_IO;
    }
    unsigned long long size = 0, hlen = 0;
    if ((st = check_file(f, path, &size, msg)) != CT_OK) goto fail;
    if ((st = read_header(f, path, size, &header, &hlen, msg)) != CT_OK) goto fail;
    char jerr[512];
    root = ct_json_parse(header, (size_t)hlen, jerr, sizeof jerr);
    if (!root) {
        ct_set_msg(msg, "%s: the header is not valid JSON: %s", path, jerr);
        st = CT_ERR_FORMAT;
        goto fail;
    }
    if (root->type != CT_JSON_OBJECT) {
        ct_set_msg(msg, "%s: the header is %s, expected a JSON object", path, type_name(root));
        st = CT_ERR_FORMAT;
        goto fail;
    }
    unsigned long long data_size = size - 8 - hlen;

    /* every key once */
    if (root->count > 0 &&
        (st = check_unique(root->keys, root->count, path, "the header", msg)) != CT_OK)
        goto fail;

    const ct_json *meta = ct_json_get(root, "__metadata__");
    size_t n_meta = meta ? meta->count : 0;
    size_t n_tensors = root->count - (meta ? 1 : 0);
    if (n_tensors > 1000000000u || n_meta > 1000000000u) {
        ct_set_msg(msg, "%s: the header lists too many entries", path);
        st = CT_ERR_FORMAT;
        goto fail;
    }
    file = calloc(1, sizeof *file);
    if (!file) goto oom;
    if (meta && (st = read_meta(meta, n_meta, path, file, msg)) != CT_OK) goto fail;

    /* validate every entry before reading any data */
    entries = calloc(n_tensors ? n_tensors : 1, sizeof *entries);
    if (!entries) goto oom;
    if ((st = check_entries(root, data_size, path, entries, msg)) != CT_OK) goto fail;
    st = read_tensors(f, path, (off_t)(8 + hlen), entries, n_tensors, file, msg);
    if (st != CT_OK) goto fail;
    free(entries);
    ct_json_free(root);
    free(header);
    fclose(f);
    *out = file;
    return CT_OK;
oom:
    st = st_oom(path, msg);
fail:
    ct_st_free(file);
    free(entries);
    ct_json_free(root);
    free(header);
    fclose(f);
    return st;
}
