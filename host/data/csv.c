/* The CSV reader: separators, quoting, a header or none, the label column, numbers that must
 * be finite; one line naming the file, line and column for anything else. */
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

/* ---- CSV ----------------------------------------------------------------------------------- */

/* The longest record the reader holds: 64 MiB of text, several million numbers, far past any
 * table a network's first layer takes. A longer one (or a binary file read as CSV) is an error
 * at that point, not gigabytes of memory first. */
#define CSV_MAX_RECORD ((size_t)64 << 20)

typedef struct {
    char *buf; /* the fields, each ended by '\0' */
    size_t len, cap;
    size_t *off; /* offset of each field in buf */
    int nf, fcap;
    long line; /* the line the record starts on */
} csv_rec;

typedef struct {
    gzFile f;
    const char *path;
    int sep;
    long line; /* the current line, 1-based */
    /* cells in memory in place of a file (ct_data_from_cells): a record of the names, then n
     * rows of ncol cells (NULL: an empty cell); "line" is then the 0-based row (-1: names) */
    const char *const *cells, *const *names;
    int n, ncol;
} csv_in;

static void rec_free(csv_rec *r) {
    free(r->buf);
    free(r->off);
}

static const char *rec_field(const csv_rec *r, int j) { return r->buf + r->off[j]; }

static int rec_putc(csv_rec *r, char ch) {
    if (r->len + 1 >= r->cap) {
        if (r->cap > SIZE_MAX / 2) return -1;
        size_t nc = r->cap ? r->cap * 2 : 256;
        char *nb = realloc(r->buf, nc);
        if (!nb) return -1;
        r->buf = nb;
        r->cap = nc;
    }
    r->buf[r->len++] = ch;
    return 0;
}

/* Ends the field that started at *start (trailing blanks removed when unquoted). */
static int rec_end_field(csv_rec *r, size_t *start, int trim, int sep) {
    if (trim)
        while (r->len > *start && (r->buf[r->len - 1] == ' ' || r->buf[r->len - 1] == '\r' ||
                                   (r->buf[r->len - 1] == '\t' && sep != '\t')))
            r->len--;
    if (r->nf == r->fcap) {
        if (r->fcap > INT_MAX / 2) return -1;
        int nc = r->fcap ? r->fcap * 2 : 16;
        size_t *no = realloc(r->off, (size_t)nc * sizeof(size_t));
        if (!no) return -1;
        r->off = no;
        r->fcap = nc;
    }
    if (rec_putc(r, '\0')) return -1;
    r->off[r->nf++] = *start;
    *start = r->len;
    return 0;
}

enum { S_START, S_UNQ, S_Q, S_QQ, S_AFTER };

/* csv_read for cells in memory: the next row as a record, blanks trimmed at both ends of each
 * cell as the reader trims an unquoted field. */
static int cells_read(csv_in *in, csv_rec *r, ct_status *st, char *msg) {
    r->len = 0;
    r->nf = 0;
    r->line = in->line;
    if (in->line >= in->n) return 0;
    for (int j = 0; j < in->ncol; j++) {
        const char *c = in->line < 0 ? in->names[j] : in->cells[(size_t)in->line * in->ncol + j];
        size_t start = r->len;
        if (!c) c = "";
        while (*c == ' ' || *c == '\t' || *c == '\r')
            c++;
        for (; *c; c++)
            if (rec_putc(r, *c)) goto oom;
        if (rec_end_field(r, &start, 1, ',')) goto oom;
    }
    in->line++;
    return 1;
oom:
    *st = ct_fail_msg(msg, CT_ERR_ALLOC, "%s: row %ld: out of memory", in->path, r->line);
    return -1;
}

/* Reads one record: 1 when one was read, 0 at the end of the file, -1 on an error (*st and msg
 * set). Blank lines are skipped. Quoted fields may hold separators, newlines and "" for ". */
static int csv_read(csv_in *in, csv_rec *r, ct_status *st, char *msg) {
    if (in->names) return cells_read(in, r, st, msg);
    int state = S_START, sep = in->sep;
    size_t start = 0;
    long qline = 0;
    r->len = 0;
    r->nf = 0;
    r->line = in->line;
    for (;;) {
        int ch = gzgetc(in->f);
        if (ch == -1) {
            int err = Z_OK;
            gzerror(in->f, &err);
            if (err != Z_OK) {
                *st = ct_fail_msg(msg, CT_ERR_IO, "%s:%ld: read error: %s", in->path, in->line,
                                  dt_gz_text(in->f));
                return -1;
            }
            if (state == S_Q) {
                *st = ct_fail_msg(
                    msg, CT_ERR_FORMAT,
                    "%s:%ld, column %d: unterminated quoted field (no closing '\"' before "
                    "the end of the file)",
                    in->path, qline, r->nf + 1);
                return -1;
            }
            if (state == S_START && r->nf == 0) return 0;
            if (rec_end_field(r, &start, state == S_UNQ, sep)) goto oom;
            return 1;
        }
        char c = (char)ch;
        if (c == '\0') {
            *st = ct_fail_msg(msg, CT_ERR_FORMAT,
                              "%s:%ld, column %d: a NUL byte: binary data, not CSV text", in->path,
                              in->line, r->nf + 1);
            return -1;
        }
        if (r->len >= CSV_MAX_RECORD) {
            *st = ct_fail_msg(msg, CT_ERR_FORMAT,
                              "%s:%ld: a record longer than %zu MiB (the reader's limit): not a "
                              "table's row",
                              in->path, r->line, CSV_MAX_RECORD >> 20);
            return -1;
        }
        int blank = c == ' ' || c == '\r' || (c == '\t' && sep != '\t');
        switch (state) {
        case S_START:
            if (c == sep) {
                if (rec_end_field(r, &start, 0, sep)) goto oom;
            } else if (c == '\n') {
                in->line++;
                if (r->nf == 0) { /* a blank line */
                    r->line = in->line;
                    continue;
                }
                if (rec_end_field(r, &start, 0, sep)) goto oom;
                return 1;
            } else if (c == '"') {
                state = S_Q;
                qline = in->line;
            } else if (!blank) {
                if (rec_putc(r, c)) goto oom;
                state = S_UNQ;
            }
            break;
        case S_UNQ:
            if (c == sep || c == '\n') {
                if (rec_end_field(r, &start, 1, sep)) goto oom;
                state = S_START;
                if (c == '\n') {
                    in->line++;
                    return 1;
                }
            } else if (rec_putc(r, c)) {
                goto oom;
            }
            break;
        case S_Q:
            if (c == '"') {
                state = S_QQ;
            } else {
                if (c == '\n') in->line++;
                if (rec_putc(r, c)) goto oom;
            }
            break;
        case S_QQ:
            if (c == '"') {
                if (rec_putc(r, '"')) goto oom;
                state = S_Q;
                break;
            }
            state = S_AFTER;
            /* fall through */
        case S_AFTER:
            if (c == sep || c == '\n') {
                if (rec_end_field(r, &start, 0, sep)) goto oom;
                state = S_START;
                if (c == '\n') {
                    in->line++;
                    return 1;
                }
            } else if (!blank) {
                char s[2] = {c, '\0'}, t[48];
                *st = ct_fail_msg(
                    msg, CT_ERR_FORMAT,
                    "%s:%ld, column %d: unexpected character '%s' after a closing quote "
                    "(expected a separator or the end of the line)",
                    in->path, in->line, r->nf + 1, dt_shown(t, s));
                return -1;
            }
            break;
        }
    }
oom:
    *st = ct_fail_msg(msg, CT_ERR_ALLOC, "%s:%ld: out of memory reading a record of %zu bytes",
                      in->path, r->line, r->len);
    return -1;
}

typedef struct {
    const char *path;
    int ncol, label_col, f;
    const csv_rec *hdr; /* the header record, or NULL */
    const int *dest;    /* (ncol): the feature each column feeds, -1 skipped; NULL: in order */
    float *X;
    size_t rows_cap;
    int n;
    lab_item *items;
    size_t items_cap;
    char *lab; /* label arena */
    size_t lab_len, lab_cap;
    /* a table (table = 1): columns numeric or categorical, missing cells; else numbers only */
    int table;
    const ct_data_opts *o;
    const ct_encoding *nae;  /* the spellings of a missing cell */
    const ct_encoding *enc;  /* the model's encoding (its columns are s->f), or NULL */
    int *keep;               /* (f) 1: keep the text of every cell (categorical) */
    char ***text;            /* (f) NULL, or (rows_cap) cells as text */
    long *n_text, *n_num;    /* (f) cells that are not numbers, that are */
    long *first_line;        /* (f) the line of the first cell that is not a number */
    char **first_text;       /* (f) ... that cell */
    long dropped, missing_labels;
} csv_state;

static const char *csv_col_name(const csv_state *s, int j) {
    return s->hdr ? rec_field(s->hdr, j) : NULL;
}

/* "path:line, column j ('name')" for messages */
static void cell_where(const csv_state *s, long line, int j, char *where, size_t cap) {
    char name[48];
    const char *cn = csv_col_name(s, j);
    if (cn)
        snprintf(where, cap, "%s:%ld, column %d ('%s')", s->path, line, j + 1, dt_shown(name, cn));
    else
        snprintf(where, cap, "%s:%ld, column %d", s->path, line, j + 1);
}

/* Keeps the text of cell in column `at` of the current row. */
static ct_status keep_text(csv_state *s, int at, const char *cell, long line, char *msg) {
    if (!s->text[at] && !(s->text[at] = calloc(s->rows_cap, sizeof(char *))))
        return ct_fail_msg(msg, CT_ERR_ALLOC, "%s:%ld: out of memory", s->path, line);
    if (!(s->text[at][s->n] = ct_strdup(cell)))
        return ct_fail_msg(msg, CT_ERR_ALLOC, "%s:%ld: out of memory", s->path, line);
    return CT_OK;
}

/* A cell of a table: missing (NaN), a number, or text (categorical). */
static ct_status table_cell(csv_state *s, const csv_rec *r, int j, int at, const char *cell,
                            int ok, double v, float *x, char *msg) {
    char where[600], val[48];
    x[at] = NAN;
    if (ct_encoding_missing(s->nae, cell)) return CT_OK;
    if (ok && isfinite((float)v)) {
        x[at] = (float)v;
        s->n_num[at]++;
        return s->keep[at] ? keep_text(s, at, cell, r->line, msg) : CT_OK;
    }
    if (s->keep[at]) return keep_text(s, at, cell, r->line, msg);
    cell_where(s, r->line, j, where, sizeof where);
    if (ok)
        return ct_fail_msg(msg, CT_ERR_NUMERIC, "%s: expected a finite number, found '%s'%s",
                           where, dt_shown(val, cell), isfinite(v) ? " (out of float range)" : "");
    if (s->enc)
        return ct_fail_msg(msg, CT_ERR_FORMAT,
                           "%s: expected a number (the column was numeric in training), found "
                           "'%s'",
                           where, dt_shown(val, cell));
    if (!s->n_text[at]++) {
        s->first_line[at] = r->line;
        if (!(s->first_text[at] = ct_strdup(cell)))
            return ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", s->path);
    }
    return keep_text(s, at, cell, r->line, msg);
}

/* Adds one data record: features parsed, the label kept as text. */
static ct_status csv_row(csv_state *s, const csv_rec *r, char *msg) {
    char val[48], name[48];
    if (r->nf != s->ncol)
        return ct_fail_msg(msg, CT_ERR_FORMAT, "%s:%ld: expected %d fields, found %d", s->path,
                           r->line, s->ncol, r->nf);
    if (s->n == INT_MAX)
        return ct_fail_msg(msg, CT_ERR_FORMAT, "%s:%ld: too many rows (at most %d)", s->path,
                           r->line, INT_MAX);
    if (s->label_col >= 0 && s->nae && ct_encoding_missing(s->nae, rec_field(r, s->label_col))) {
        if (s->o->drop_missing_labels) {
            s->dropped++;
            return CT_OK;
        }
        if (s->o->require_labels) {
            const char *cn = csv_col_name(s, s->label_col);
            return ct_fail_msg(msg, CT_ERR_FORMAT,
                               "%s:%ld, column %d%s%s%s: the label is missing ('%s'); leave such "
                               "rows out with --drop-missing-labels",
                               s->path, r->line, s->label_col + 1, cn ? " ('" : "",
                               cn ? dt_shown(name, cn) : "", cn ? "')" : "",
                               dt_shown(val, rec_field(r, s->label_col)));
        }
        s->missing_labels++;
    }
    if ((size_t)s->n == s->rows_cap) {
        size_t nc = s->rows_cap ? s->rows_cap * 2 : 256;
        size_t bytes = dt_cells_bytes(nc, (size_t)s->f, sizeof(float));
        float *nx = bytes ? realloc(s->X, bytes) : NULL;
        if (!nx)
            return ct_fail_msg(msg, CT_ERR_ALLOC,
                               "%s:%ld: out of memory for %zu rows of %d features", s->path,
                               r->line, nc, s->f);
        s->X = nx;
        for (int c = 0; s->text && c < s->f; c++) {
            if (!s->text[c]) continue;
            char **nt = realloc(s->text[c], nc * sizeof(char *));
            if (!nt) return ct_fail_msg(msg, CT_ERR_ALLOC, "%s:%ld: out of memory", s->path, r->line);
            memset(nt + s->rows_cap, 0, (nc - s->rows_cap) * sizeof(char *));
            s->text[c] = nt;
        }
        s->rows_cap = nc;
    }
    float *x = s->X + (size_t)s->n * s->f;
    int k = 0;
    for (int j = 0; j < s->ncol; j++) {
        const char *cell = rec_field(r, j);
        if (j == s->label_col) continue;
        int at = s->dest ? s->dest[j] : k;
        if (at < 0) continue; /* not a feature of the model: not read */
        double v;
        int ok = dt_parse_number(cell, &v);
        if (s->table) {
            ct_status st = table_cell(s, r, j, at, cell, ok, v, x, msg);
            if (st != CT_OK) return st;
            continue;
        }
        x[at] = (float)v;
        if (!ok || !isfinite(x[at])) {
            const char *cn = csv_col_name(s, j);
            char where[600];
            if (cn)
                snprintf(where, sizeof where, "%s:%ld, column %d ('%s')", s->path, r->line, j + 1,
                         dt_shown(name, cn));
            else
                snprintf(where, sizeof where, "%s:%ld, column %d", s->path, r->line, j + 1);
            if (!ok && !*cell)
                return ct_fail_msg(msg, CT_ERR_FORMAT,
                                   "%s: expected a number, found an empty field", where);
            if (!ok)
                return ct_fail_msg(msg, CT_ERR_FORMAT, "%s: expected a number, found '%s'", where,
                                   dt_shown(val, cell));
            return ct_fail_msg(msg, CT_ERR_NUMERIC, "%s: expected a finite number, found '%s'%s",
                               where, dt_shown(val, cell),
                               isfinite(v) ? " (out of float range)" : "");
        }
        k++;
    }
    if (s->label_col >= 0) {
        if ((size_t)s->n == s->items_cap) {
            size_t nc = s->items_cap ? s->items_cap * 2 : 256;
            lab_item *ni = realloc(s->items, nc * sizeof *ni);
            if (!ni)
                return ct_fail_msg(msg, CT_ERR_ALLOC, "%s:%ld: out of memory", s->path, r->line);
            s->items = ni;
            s->items_cap = nc;
        }
        const char *cell = rec_field(r, s->label_col);
        size_t len = strlen(cell) + 1;
        if (s->lab_len + len > s->lab_cap) {
            size_t nc = s->lab_cap ? s->lab_cap : 4096;
            while (nc < s->lab_len + len) {
                if (nc > SIZE_MAX / 2)
                    return ct_fail_msg(msg, CT_ERR_ALLOC, "%s:%ld: out of memory", s->path,
                                       r->line);
                nc *= 2;
            }
            char *nl = realloc(s->lab, nc);
            if (!nl)
                return ct_fail_msg(msg, CT_ERR_ALLOC, "%s:%ld: out of memory", s->path, r->line);
            s->lab = nl;
            s->lab_cap = nc;
        }
        memcpy(s->lab + s->lab_len, cell, len);
        lab_item *it = &s->items[s->n];
        it->off = s->lab_len;
        it->s = NULL;
        it->num = dt_parse_number(cell, &it->v);
        it->where = r->line;
        it->cls = 0;
        s->lab_len += len;
    }
    s->n++;
    return CT_OK;
}

static int all_digits(const char *s) {
    if (!*s) return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9') return 0;
    return 1;
}

/* Header rule: the first record is a header when one of its cells is not a number (nor a
 * missing cell, for tables) while the second record's cell in that column is a number (with a
 * single record: when one of its cells is not a number). */
static int csv_is_header(const csv_rec *r1, const csv_rec *r2, const ct_encoding *na) {
    for (int j = 0; j < r1->nf; j++) {
        double v;
        if (dt_parse_number(rec_field(r1, j), &v)) continue;
        if (na && ct_encoding_missing(na, rec_field(r1, j))) continue; /* a missing cell */
        if (!r2) return 1;
        if (j < r2->nf && dt_parse_number(rec_field(r2, j), &v)) return 1;
    }
    return 0;
}

/* The separator: ',' unless the first line has none, then ';' or a tab when it has one. Reads
 * the first line, rewinds and skips a UTF-8 byte order mark. */
static ct_status csv_sniff(csv_in *in, char *msg) {
    if (in->names) { /* cells: from the names again */
        in->line = -1;
        return CT_OK;
    }
    int has[3] = {0, 0, 0}, bom = 0, ch;
    long pos = 0;
    unsigned char head[3] = {0, 0, 0};
    while ((ch = gzgetc(in->f)) != -1 && ch != '\n') {
        if (pos < 3) head[pos] = (unsigned char)ch;
        pos++;
        has[0] |= ch == ',';
        has[1] |= ch == ';';
        has[2] |= ch == '\t';
    }
    {
        int err = Z_OK;
        gzerror(in->f, &err);
        if (ch == -1 && err != Z_OK)
            return ct_fail_msg(msg, CT_ERR_IO, "%s: read error: %s", in->path, dt_gz_text(in->f));
    }
    in->sep = has[0] ? ',' : has[1] ? ';' : has[2] ? '\t' : ',';
    bom = pos >= 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF;
    if (gzrewind(in->f) != 0)
        return ct_fail_msg(msg, CT_ERR_IO, "%s: cannot rewind: %s", in->path, dt_gz_text(in->f));
    if (bom)
        for (int i = 0; i < 3; i++)
            gzgetc(in->f);
    return CT_OK;
}

/* The label column into s->label_col: by header name, else by 0-based index, else the last
 * column. r1 is the first record, the header when `header`. */
static ct_status csv_label_col(csv_state *s, const csv_rec *r1, int header, const ct_data_opts *o,
                               char *msg) {
    const char *path = s->path;
    if (!o->label) {
        if (o->require_labels) s->label_col = s->ncol - 1;
        return CT_OK;
    }
    for (int j = 0; header && j < s->ncol && s->label_col < 0; j++)
        if (strcmp(rec_field(r1, j), o->label) == 0) s->label_col = j;
    if (s->label_col < 0 && all_digits(o->label)) {
        errno = 0;
        long idx = strtol(o->label, NULL, 10);
        if (errno == 0 && idx < s->ncol) {
            s->label_col = (int)idx;
        } else if (o->require_labels) {
            return ct_fail_msg(msg, CT_ERR_FORMAT,
                               "%s: label column index %s is out of range (the file has %d "
                               "columns, 0..%d)",
                               path, o->label, s->ncol, s->ncol - 1);
        }
    } else if (s->label_col < 0 && o->require_labels) {
        char list[1024] = "";
        char lab[48];
        if (!header)
            return ct_fail_msg(msg, CT_ERR_FORMAT,
                               "%s: no column named '%s' (the file has no header row; give the "
                               "label column by its 0-based index, 0..%d)",
                               path, dt_shown(lab, o->label), s->ncol - 1);
        char **names = malloc((size_t)s->ncol * sizeof(char *));
        if (!names) return ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", path);
        for (int j = 0; j < s->ncol; j++)
            names[j] = (char *)rec_field(r1, j);
        dt_join_names(list, sizeof list, names, s->ncol);
        free(names);
        return ct_fail_msg(msg, CT_ERR_FORMAT, "%s: no column named '%s' (columns: %s)", path,
                           dt_shown(lab, o->label), list);
    }
    return CT_OK;
}

/* Moves the rows read (s) into the new dataset d: features, their names (the header's, else
 * x0, x1, ...) and the labels or their absence. r1 is the first record. */
static ct_status csv_fill(ct_dataset *d, csv_state *s, const csv_rec *r1, int header,
                          const ct_data_opts *o, char *msg) {
    const char *path = s->path;
    snprintf(d->source, sizeof d->source, "%s", path);
    d->n = s->n;
    d->X = s->X;
    s->X = NULL;
    d->features = s->f;
    if (!(d->feature_names = calloc((size_t)s->f, sizeof(char *))))
        return ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", path);
    for (int j = 0, k = 0; j < s->ncol; j++) {
        if (j == s->label_col) continue;
        int at = s->dest ? s->dest[j] : k++;
        if (at < 0) continue;
        char buf[32];
        snprintf(buf, sizeof buf, "x%d", at);
        const char *nm = header && *rec_field(r1, j) ? rec_field(r1, j) : buf;
        if (!(d->feature_names[at] = ct_strdup(nm)))
            return ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", path);
    }
    if (s->label_col < 0 || (!o->require_labels && s->missing_labels))
        return dt_no_labels(d, o, path, msg);
    d->label_column = s->label_col + 1;
    for (int i = 0; i < s->n; i++)
        s->items[i].s = s->lab + s->items[i].off;
    const char *cn = csv_col_name(s, s->label_col);
    if (header) snprintf(d->label_name, sizeof d->label_name, "%s", rec_field(r1, s->label_col));
    lab_ctx c = {path, 1, s->label_col + 1, cn, 0, cn && *cn ? cn : "y"};
    return dt_build_labels(d, s->items, s->n, &c, o, msg);
}

/* The columns for a trained model (cols): the label column (the one asked for, else the
 * model's) and the feature each column feeds, into s. r1 is the first record. */
static ct_status csv_model_columns(csv_state *s, const csv_rec *r1, int header,
                                   const ct_data_opts *o, ct_data_columns *cols, int **dest,
                                   char *msg) {
    ct_status st;
    if (o->label && (st = csv_label_col(s, r1, header, o, msg)) != CT_OK) return st;
    char **names = header ? malloc((size_t)s->ncol * sizeof(char *)) : NULL;
    *dest = malloc((size_t)s->ncol * sizeof(int));
    if (!*dest || (header && !names)) {
        free(names);
        return ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", s->path);
    }
    for (int j = 0; header && j < s->ncol; j++)
        names[j] = (char *)rec_field(r1, j);
    st = ct_data_match_columns(cols, s->path, names, s->ncol, o->require_labels, &s->label_col,
                               *dest, msg);
    free(names);
    s->dest = *dest;
    s->f = cols->features;
    return st;
}

/* Marks (mark[j] = 1) the file columns that the list spec (names or 0-based indices, comma
 * separated) of option opt names; *names_out ("a, b") when wanted. */
static ct_status mark_columns(const csv_state *s, const csv_rec *r1, int header, const char *opt,
                              const char *spec, int *mark, char *msg) {
    char item[256], a[48], list[1024] = "";
    for (const char *p = spec; p && *p;) {
        size_t len = strcspn(p, ",");
        if (len >= sizeof item) len = sizeof item - 1;
        memcpy(item, p, len);
        item[len] = '\0';
        p += len + (p[len] == ',');
        if (!len) continue;
        int at = -1;
        for (int j = 0; header && j < s->ncol && at < 0; j++)
            if (!strcmp(rec_field(r1, j), item)) at = j;
        if (at < 0 && all_digits(item)) {
            long idx = strtol(item, NULL, 10);
            if (idx < s->ncol) at = (int)idx;
        }
        if (at < 0) {
            for (int j = 0; header && j < s->ncol; j++) {
                size_t l = strlen(list);
                snprintf(list + l, sizeof list - l, "%s%s", j ? ", " : "", rec_field(r1, j));
            }
            return ct_fail_msg(msg, CT_ERR_ARG, "%s: %s names no column '%s' (%s%s%s)", s->path,
                               opt, dt_shown(a, item), header ? "columns: " : "indices 0..",
                               header ? list : "", header ? "" : "the last");
        }
        if (at == s->label_col)
            return ct_fail_msg(msg, CT_ERR_ARG, "%s: %s names the label column '%s'", s->path,
                               opt, dt_shown(a, item));
        mark[at] = 1;
    }
    return CT_OK;
}

/* The arrays of a table read into s (f columns). */
static ct_status table_alloc(csv_state *s, char *msg) {
    size_t f = (size_t)(s->f > 0 ? s->f : 1);
    s->table = 1;
    s->keep = calloc(f, sizeof(int));
    s->text = calloc(f, sizeof(char **));
    s->n_text = calloc(f, sizeof(long));
    s->n_num = calloc(f, sizeof(long));
    s->first_line = calloc(f, sizeof(long));
    s->first_text = calloc(f, sizeof(char *));
    if (!s->keep || !s->text || !s->n_text || !s->n_num || !s->first_line || !s->first_text)
        return ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", s->path);
    return CT_OK;
}

static void table_free(csv_state *s) {
    for (int c = 0; c < s->f; c++) {
        if (s->text && s->text[c]) {
            /* row n too: a row that failed after keeping some of its cells (the slots past the
             * rows read are zeroed, so this frees nothing else) */
            for (size_t i = 0; i <= (size_t)s->n && i < s->rows_cap; i++)
                free(s->text[c][i]);
            free(s->text[c]);
        }
        if (s->first_text) free(s->first_text[c]);
    }
    free(s->keep);
    free(s->text);
    free(s->n_text);
    free(s->n_num);
    free(s->first_line);
    free(s->first_text);
}

/* Training from a table: the columns left out (--drop), the label's, and the kinds asked for
 * (--categorical into s->keep; --numeric into *numeric); dest maps file columns to the table's. */
static ct_status table_columns(csv_state *s, const csv_rec *r1, int header, const ct_data_opts *o,
                               int **dest, int **numeric, ct_encoding *e, char *msg) {
    ct_status st;
    int n = s->ncol;
    int *drop = calloc((size_t)n, sizeof(int)), *cat = calloc((size_t)n, sizeof(int));
    int *num = calloc((size_t)n, sizeof(int));
    *dest = malloc((size_t)n * sizeof(int));
    *numeric = NULL;
    if (!drop || !cat || !num || !*dest) {
        st = ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", s->path);
        goto done;
    }
    if ((st = mark_columns(s, r1, header, "--drop", o->drop, drop, msg)) != CT_OK ||
        (st = mark_columns(s, r1, header, "--categorical", o->categorical, cat, msg)) != CT_OK ||
        (st = mark_columns(s, r1, header, "--numeric", o->numeric, num, msg)) != CT_OK)
        goto done;
    char a[48];
    for (int j = 0; j < n; j++)
        if (cat[j] && num[j]) {
            st = ct_fail_msg(msg, CT_ERR_ARG,
                             "%s: column %d ('%s') is given to both --categorical and --numeric",
                             s->path, j + 1, header ? dt_shown(a, rec_field(r1, j)) : "");
            goto done;
        }
    ct_strbuf dropped = {0};
    s->f = 0;
    for (int j = 0; j < n; j++) {
        if (j == s->label_col || drop[j]) {
            (*dest)[j] = -1;
            if (drop[j]) {
                char buf[32];
                snprintf(buf, sizeof buf, "x%d", j);
                const char *nm = header ? rec_field(r1, j) : buf;
                if (dropped.len) ct_sb_put(&dropped, ", ", 2);
                ct_sb_put(&dropped, nm, strlen(nm));
            }
            continue;
        }
        (*dest)[j] = s->f++;
    }
    if (dropped.oom) {
        free(dropped.s);
        st = ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", s->path);
        goto done;
    }
    e->dropped = dropped.s;
    if ((st = table_alloc(s, msg)) != CT_OK) goto done;
    if (!(*numeric = calloc((size_t)(s->f > 0 ? s->f : 1), sizeof(int)))) {
        st = ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", s->path);
        goto done;
    }
    for (int j = 0; j < n; j++)
        if ((*dest)[j] >= 0) {
            s->keep[(*dest)[j]] = cat[j];
            (*numeric)[(*dest)[j]] = num[j];
        }
done:
    free(drop);
    free(cat);
    free(num);
    return st;
}

/* The kind of each column of a table read for training: categorical when asked for, or when a
 * cell is not a number (unless --numeric, then an error); into cat. Columns that turned
 * categorical after number cells need a second reading (*again). */
static ct_status table_kinds(csv_state *s, const int *numeric, int *cat, int *again, char *msg) {
    char a[48], b[48];
    *again = 0;
    for (int c = 0; c < s->f; c++) {
        cat[c] = s->keep[c] || (s->n_text[c] > 0 && !numeric[c]);
        if (numeric[c] && s->n_text[c]) {
            int j = 0;
            while (s->dest[j] != c)
                j++;
            const char *cn = csv_col_name(s, j);
            return ct_fail_msg(msg, CT_ERR_FORMAT,
                               "%s:%ld, column %d%s%s%s: expected a number (--numeric), found '%s'", s->path,
                               s->first_line[c], j + 1, cn ? " ('" : "", cn ? dt_shown(a, cn) : "",
                               cn ? "')" : "", dt_shown(b, s->first_text[c]));
        }
        if (cat[c] && !s->keep[c] && s->n_num[c] > 0) *again = 1;
    }
    return CT_OK;
}

/* The second reading: the text of the number cells of columns that turned categorical. */
static ct_status table_reread(csv_state *s, csv_in *in, int header, const int *cat, char *msg) {
    ct_status st = CT_OK;
    csv_rec r = {0};
    in->line = 1;
    if ((st = csv_sniff(in, msg)) != CT_OK) return st;
    int k, first = 1, i = 0;
    while ((k = csv_read(in, &r, &st, msg)) > 0) {
        if (first && header) {
            first = 0;
            continue;
        }
        first = 0;
        if (r.nf != s->ncol || i >= s->n) break;
        if (s->label_col >= 0 && s->o->drop_missing_labels &&
            ct_encoding_missing(s->nae, rec_field(&r, s->label_col)))
            continue;
        for (int j = 0; j < s->ncol; j++) {
            int c = s->dest[j];
            if (c < 0 || !cat[c] || s->keep[c] || (s->text[c] && s->text[c][i])) continue;
            const char *cell = rec_field(&r, j);
            if (ct_encoding_missing(s->nae, cell)) continue;
            int n = s->n;
            s->n = i; /* keep_text writes row s->n */
            st = keep_text(s, c, cell, r.line, msg);
            s->n = n;
            if (st != CT_OK) goto done;
        }
        i++;
    }
    if (k < 0) goto done;
    if (i != s->n)
        st = ct_fail_msg(msg, CT_ERR_IO, "%s: the file changed while it was read", s->path);
done:
    rec_free(&r);
    return st;
}

/* The table's columns encoded into d: fitted to its rows (training: e), or the model's. */
static ct_status table_encode(ct_dataset *d, csv_state *s, const int *cat, ct_encoding **fit,
                              int *file_col, char *msg) {
    ct_status st;
    dt_table t = {s->path, d->n, s->f, d->feature_names, file_col, d->X, s->text, cat};
    for (int j = 0; j < s->ncol; j++)
        if (s->dest[j] >= 0) file_col[s->dest[j]] = j + 1;
    for (int c = 0; c < s->f; c++)
        if (cat[c] && !s->text[c] && !(s->text[c] = calloc(s->rows_cap + 1, sizeof(char *))))
            return ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", s->path);
    if (*fit && (st = dt_encoding_fit(*fit, &t, s->o, msg)) != CT_OK) return st;
    const ct_encoding *e = *fit ? *fit : s->enc;
    int K = ct_encoding_inputs(e);
    size_t bytes = dt_cells_bytes((size_t)d->n, (size_t)K, sizeof(float));
    float *X = bytes ? malloc(bytes) : NULL;
    char **names = ct_encoding_input_names(e);
    if (!X || !names) {
        free(X);
        if (names) ct_free_strings(names, K);
        return ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory for %d rows of %d inputs",
                           s->path, d->n, K);
    }
    dt_encoding_apply(e, &t, X, &d->unknown, d->enc_note, sizeof d->enc_note, msg);
    free(d->X);
    d->X = X;
    ct_free_strings(d->feature_names, d->features);
    d->feature_names = names;
    d->features = K;
    if (*fit) {
        d->enc = *fit;
        *fit = NULL;
    }
    return CT_OK;
}

/* The records of in (a file or cells) as a dataset: a table's columns, kinds and encoding
 * (fitted when cols is NULL, else the model's), the label column, the labels. */
static ct_status load_records(ct_dataset **out, csv_in *in, const ct_data_opts *o,
                              ct_data_columns *cols, char *msg) {
    ct_status st = CT_OK;
    const char *path = in->path;
    int *dest = NULL, *numeric = NULL, *cat = NULL, *file_col = NULL;
    ct_encoding *fit = NULL;
    csv_rec r1 = {0}, r2 = {0}, cur = {0};
    csv_state s;
    memset(&s, 0, sizeof s);
    s.path = path;
    s.label_col = -1;
    s.o = o;
    ct_dataset *d = NULL;
    if ((st = csv_sniff(in, msg)) != CT_OK) goto fail;

    int k1 = csv_read(in, &r1, &st, msg);
    if (k1 < 0) goto fail;
    if (k1 == 0) {
        st = ct_fail_msg(msg, CT_ERR_FORMAT, "%s: empty file (expected a header or data rows)",
                         path);
        goto fail;
    }
    int k2 = csv_read(in, &r2, &st, msg);
    if (k2 < 0) goto fail;
    /* a table: training (the encoding fitted here), or a model that has an encoding */
    if (!cols && (st = dt_encoding_start(&fit, o, msg)) != CT_OK) goto fail;
    s.enc = cols ? cols->enc : NULL;
    s.nae = fit ? fit : s.enc;
    int header = in->names ? 1 : csv_is_header(&r1, k2 ? &r2 : NULL, s.nae);
    s.ncol = r1.nf;
    s.hdr = header ? &r1 : NULL;
    if (cols) {
        if ((st = csv_model_columns(&s, &r1, header, o, cols, &dest, msg)) != CT_OK) goto fail;
        if (s.enc) {
            if ((st = table_alloc(&s, msg)) != CT_OK) goto fail;
            for (int c = 0; c < s.f; c++)
                s.keep[c] = s.enc->cat[c];
        }
    } else {
        if ((st = csv_label_col(&s, &r1, header, o, msg)) != CT_OK) goto fail;
        if ((st = table_columns(&s, &r1, header, o, &dest, &numeric, fit, msg)) != CT_OK)
            goto fail;
        s.dest = dest;
    }
    if (s.f < 1) {
        st = ct_fail_msg(msg, CT_ERR_FORMAT,
                         "%s:%ld: only one column, the labels; expected feature columns before it",
                         path, r1.line);
        goto fail;
    }

    if (!header && (st = csv_row(&s, &r1, msg)) != CT_OK) goto fail;
    if (k2) {
        if ((st = csv_row(&s, &r2, msg)) != CT_OK) goto fail;
        int k;
        while ((k = csv_read(in, &cur, &st, msg)) > 0)
            if ((st = csv_row(&s, &cur, msg)) != CT_OK) goto fail;
        if (k < 0) goto fail;
    }
    if (s.n == 0) {
        st = ct_fail_msg(msg, CT_ERR_FORMAT, "%s:%ld: %s", path, r1.line,
                         s.dropped ? "no data rows with a label" : "a header only, no data rows");
        goto fail;
    }
    if (s.table) {
        size_t f = (size_t)(s.f > 0 ? s.f : 1);
        if (!(cat = calloc(f, sizeof(int))) || !(file_col = calloc(f, sizeof(int)))) {
            st = ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", path);
            goto fail;
        }
        int again = 0;
        if (fit) {
            if ((st = table_kinds(&s, numeric, cat, &again, msg)) != CT_OK) goto fail;
        } else {
            memcpy(cat, s.enc->cat, (size_t)s.f * sizeof(int));
        }
        if (again && (st = table_reread(&s, in, header, cat, msg)) != CT_OK) goto fail;
    }

    if (!(d = calloc(1, sizeof *d))) {
        st = ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", path);
        goto fail;
    }
    if ((st = csv_fill(d, &s, &r1, header, o, msg)) != CT_OK) goto fail;
    if (fit) fit->unlabeled = s.dropped;
    if (s.table && (st = table_encode(d, &s, cat, &fit, file_col, msg)) != CT_OK) goto fail;
    *out = d;
    d = NULL;
fail:
    ct_data_destroy(d);
    rec_free(&r1);
    rec_free(&r2);
    rec_free(&cur);
    free(s.X);
    free(s.items);
    free(s.lab);
    free(dest);
    table_free(&s);
    free(numeric);
    free(cat);
    free(file_col);
    ct_encoding_free(fit);
    return st;
}

ct_status dt_load_csv(ct_dataset **out, const char *path, const ct_data_opts *o,
                      ct_data_columns *cols, char *msg) {
    csv_in in;
    memset(&in, 0, sizeof in);
    in.path = path;
    in.sep = ',';
    in.line = 1;
    errno = 0;
    in.f = gzopen(path, "rb");
    if (!in.f)
        return ct_fail_msg(msg, CT_ERR_IO, "%s: cannot open: %s", path, dt_errno_text(errno));
    gzbuffer(in.f, 1u << 17);
    ct_status st = load_records(out, &in, o, cols, msg);
    gzclose(in.f);
    return st;
}

ct_status dt_load_cells(ct_dataset **out, const char *name, int n, int ncol,
                        const char *const *cells, const char *const *names, const ct_data_opts *o,
                        ct_data_columns *cols, char *msg) {
    csv_in in;
    memset(&in, 0, sizeof in);
    in.path = name;
    in.sep = ',';
    in.line = -1;
    in.cells = cells;
    in.names = names;
    in.n = n;
    in.ncol = ncol;
    return load_records(out, &in, o, cols, msg);
}
