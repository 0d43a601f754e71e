/* The columns of a file for a trained model: which column holds each of the model's features
 * (by name when the file has a header, else by position), which one is the label, and which
 * are ignored. The one place that matches columns to features, for the CSV reader (eval,
 * predict) and the API (ct_model_match_columns). Column kinds and encodings will grow here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "json.h"
#include "strutil.h"

int ct_default_names(char *const *names, int n) {
    if (!names) return 1;
    for (int j = 0; j < n; j++) {
        char buf[32];
        snprintf(buf, sizeof buf, "x%d", j);
        if (!names[j] || strcmp(names[j], buf)) return 0;
    }
    return 1;
}

/* The column named name among header[0..ncol) other than skip, or -1; *twice set when two are. */
static int find_column(char *const *header, int ncol, const char *name, int skip, int *twice) {
    int at = -1;
    *twice = 0;
    for (int j = 0; j < ncol; j++)
        if (j != skip && header[j] && !strcmp(header[j], name)) {
            if (at >= 0) *twice = 1;
            if (at < 0) at = j;
        }
    return at;
}

/* The label column from the model's record of it (c->label_name, c->label_index). */
static int stored_label(const ct_data_columns *c, char *const *header, int ncol, int require_labels,
                        int by_name) {
    int twice;
    if (header && c->label_name && c->label_name[0]) {
        int j = find_column(header, ncol, c->label_name, -1, &twice);
        if (j >= 0 || by_name) return j; /* by name: a file without the label has none */
    }
    int F = c->features;
    if (c->label_index >= 0 && c->label_index < ncol && (require_labels || ncol == F + 1))
        return c->label_index;
    /* a model that does not know its label column: the last one, as before */
    if (require_labels || (!by_name && ncol == F + 1)) return ncol - 1;
    return -1;
}

ct_status ct_data_match_columns(ct_data_columns *c, const char *path, char *const *header, int ncol,
                                int require_labels, int *label_col, int *dest,
                                char msg[CT_MSG_LEN]) {
    int F = c->features;
    int by_name = header && !ct_default_names(c->names, F);
    char a[48], b[48], list[1024] = "";
    c->ignored = 0;
    c->note[0] = '\0';
    if (*label_col < 0) *label_col = stored_label(c, header, ncol, require_labels, by_name);
    int lab = *label_col;
    if (require_labels && lab < 0) {
        if (header) dt_join_names(list, sizeof list, header, ncol);
        return ct_fail_msg(msg, CT_ERR_FORMAT,
                           "%s: no label column '%s', the model's (columns: %s)", path,
                           dt_shown(a, c->label_name), list);
    }
    for (int j = 0; j < ncol; j++)
        dest[j] = -1;
    if (!by_name) {
        int have = ncol - (lab >= 0);
        if (have != F)
            return ct_fail_msg(msg, CT_ERR_FORMAT,
                               "%s has %d feature columns; the model takes %d%s%s", path, have, F,
                               lab >= 0 ? " (plus the label column)" : "",
                               header ? "" : " (the file has no header: columns by position)");
        for (int j = 0, k = 0; j < ncol; j++)
            if (j != lab) dest[j] = k++;
        return CT_OK;
    }
    for (int k = 0; k < F; k++) {
        int twice, j = find_column(header, ncol, c->names[k], lab, &twice);
        if (j < 0) {
            dt_join_names(list, sizeof list, header, ncol);
            return ct_fail_msg(msg, CT_ERR_FORMAT,
                               "%s: no column '%s', a feature of the model (columns: "
                               "%s)",
                               path, dt_shown(a, c->names[k]), list);
        }
        if (twice)
            return ct_fail_msg(msg, CT_ERR_FORMAT,
                               "%s: two columns are named '%s'; the model's feature is one", path,
                               dt_shown(a, c->names[k]));
        dest[j] = k;
    }
    /* the rest are ignored: named in the note */
    size_t len = 0;
    for (int j = 0; j < ncol; j++) {
        if (j == lab || dest[j] >= 0) continue;
        c->ignored++;
        snprintf(b, sizeof b, "'%s'", dt_shown(a, header[j] ? header[j] : ""));
        if (len < 400) {
            int w = snprintf(list + len, sizeof list - len, "%s%s", len ? ", " : "", b);
            if (w > 0) len += (size_t)w;
        } else if (len < 410) {
            len += (size_t)snprintf(list + len, sizeof list - len, ", ...");
        }
    }
    if (c->ignored)
        snprintf(c->note, sizeof c->note, "%s: %s %s %s of the model; ignored", path,
                 c->ignored == 1 ? "column" : "columns", list,
                 c->ignored == 1 ? "is not a feature" : "are not features");
    return CT_OK;
}

/* ---- the encoding of a table's columns ------------------------------------------------------ */

static const char *const default_na[] = {"NA", "N/A", "NaN", "nan", "null", "?"};

void ct_encoding_free(ct_encoding *e) {
    if (!e) return;
    for (int j = 0; j < e->n; j++)
        if (e->cats) ct_free_strings(e->cats[j], e->n_cats ? e->n_cats[j] : 0);
    ct_free_strings(e->names, e->n);
    free(e->cat);
    free(e->fill);
    free(e->indicator);
    free(e->missing);
    free(e->n_cats);
    free(e->cats);
    ct_free_strings(e->na, e->n_na);
    free(e->dropped);
    free(e);
}

/* An encoding of n columns (all numeric, names "") with no spellings of missing cells. */
static ct_encoding *enc_new(int n) {
    ct_encoding *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    size_t m = (size_t)(n > 0 ? n : 1);
    e->n = n;
    e->names = calloc(m, sizeof(char *));
    e->cat = calloc(m, sizeof(int));
    e->fill = calloc(m, sizeof(float));
    e->indicator = calloc(m, sizeof(int));
    e->missing = calloc(m, sizeof(long));
    e->n_cats = calloc(m, sizeof(int));
    e->cats = calloc(m, sizeof(char **));
    if (!e->names || !e->cat || !e->fill || !e->indicator || !e->missing || !e->n_cats ||
        !e->cats) {
        ct_encoding_free(e);
        return NULL;
    }
    return e;
}

ct_encoding *ct_encoding_copy(const ct_encoding *s) {
    if (!s) return NULL;
    ct_encoding *e = enc_new(s->n);
    if (!e) return NULL;
    size_t m = (size_t)s->n;
    memcpy(e->cat, s->cat, m * sizeof(int));
    memcpy(e->fill, s->fill, m * sizeof(float));
    memcpy(e->indicator, s->indicator, m * sizeof(int));
    memcpy(e->missing, s->missing, m * sizeof(long));
    e->mean = s->mean;
    for (int j = 0; j < s->n; j++) {
        if (!(e->names[j] = ct_strdup(s->names[j]))) goto fail;
        if (s->cat[j] && s->n_cats[j] > 0) {
            if (!(e->cats[j] = dt_copy_names(s->cats[j], s->n_cats[j]))) goto fail;
            e->n_cats[j] = s->n_cats[j];
        }
    }
    if (s->n_na > 0) {
        if (!(e->na = dt_copy_names(s->na, s->n_na))) goto fail;
        e->n_na = s->n_na;
    }
    if (s->dropped && !(e->dropped = ct_strdup(s->dropped))) goto fail;
    return e;
fail:
    ct_encoding_free(e);
    return NULL;
}

static int col_inputs(const ct_encoding *e, int j) {
    return e->cat[j] ? e->n_cats[j] + (e->missing[j] > 0) : 1 + e->indicator[j];
}

int ct_encoding_inputs(const ct_encoding *e) {
    int k = 0;
    for (int j = 0; j < e->n; j++)
        k += col_inputs(e, j);
    return k;
}

char **ct_encoding_input_names(const ct_encoding *e) {
    int K = ct_encoding_inputs(e), k = 0;
    char **v = calloc((size_t)(K > 0 ? K : 1), sizeof(char *));
    if (!v) return NULL;
    for (int j = 0; j < e->n; j++) {
        ct_strbuf b;
        int m = col_inputs(e, j);
        for (int i = 0; i < m; i++) {
            memset(&b, 0, sizeof b);
            const char *what = !e->cat[j] ? (i ? CT_MISSING_NAME : NULL)
                               : i < e->n_cats[j] ? e->cats[j][i]
                                                  : CT_MISSING_NAME;
            ct_sb_put(&b, e->names[j], strlen(e->names[j]));
            if (what) {
                ct_sb_put(&b, "=", 1);
                ct_sb_put(&b, what, strlen(what));
            }
            if (b.oom || !b.s) {
                free(b.s);
                ct_free_strings(v, K);
                return NULL;
            }
            v[k++] = b.s;
        }
    }
    return v;
}

int ct_encoding_input_scaled(const ct_encoding *e, int k) {
    for (int j = 0; j < e->n; j++) {
        int m = col_inputs(e, j);
        if (k < m) return !e->cat[j] && k == 0;
        k -= m;
    }
    return 0;
}

int ct_encoding_missing(const ct_encoding *e, const char *cell) {
    if (!cell || !*cell) return 1;
    for (int i = 0; i < e->n_na; i++)
        if (!strcmp(cell, e->na[i])) return 1;
    return 0;
}

static void sb_jstr(ct_strbuf *b, const char *s) {
    size_t need = ct_json_escape(NULL, 0, s);
    char *t = malloc(need + 1);
    if (!t) {
        b->oom = 1;
        return;
    }
    ct_json_escape(t, need + 1, s);
    ct_sb_put(b, t, strlen(t));
    free(t);
}

static void sb_jstrs(ct_strbuf *b, char *const *v, int n) {
    ct_sb_put(b, "[", 1);
    for (int i = 0; i < n; i++) {
        if (i) ct_sb_put(b, ",", 1);
        sb_jstr(b, v[i]);
    }
    ct_sb_put(b, "]", 1);
}

char *ct_encoding_to_json(const ct_encoding *e) {
    ct_strbuf b = {0};
    ct_sb_printf(&b, "{\"impute\":\"%s\",\"na_values\":", e->mean ? "mean" : "median");
    sb_jstrs(&b, e->na, e->n_na);
    if (e->dropped) {
        ct_sb_put(&b, ",\"dropped\":", 11);
        sb_jstr(&b, e->dropped);
    }
    ct_sb_put(&b, ",\"columns\":[", 12);
    for (int j = 0; j < e->n; j++) {
        ct_sb_put(&b, j ? ",{\"name\":" : "{\"name\":", j ? 9 : 8);
        sb_jstr(&b, e->names[j]);
        if (e->cat[j]) {
            ct_sb_printf(&b, ",\"kind\":\"categorical\",\"missing\":%ld,\"categories\":",
                         e->missing[j]);
            sb_jstrs(&b, e->cats[j], e->n_cats[j]);
        } else {
            ct_sb_printf(&b, ",\"kind\":\"numeric\",\"missing\":%ld,\"fill\":%.9g,\"indicator\":%s",
                         e->missing[j], (double)e->fill[j], e->indicator[j] ? "true" : "false");
        }
        ct_sb_put(&b, "}", 1);
    }
    ct_sb_put(&b, "]}", 2);
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

static ct_status enc_bad(char *msg, const char *where, const char *what, int col) {
    if (col >= 0)
        return ct_fail_msg(msg, CT_ERR_FORMAT, "%s: 'columns' item %d: %s", where, col, what);
    return ct_fail_msg(msg, CT_ERR_FORMAT, "%s: 'columns': %s", where, what);
}

/* The strings of a JSON array into *v (n); 0 when j is not an array of strings. */
static int json_strings(const ct_json *j, char ***v, int *n) {
    *v = NULL;
    *n = 0;
    if (!j || j->type != CT_JSON_ARRAY || j->count > 1000000) return 0;
    *v = calloc(j->count ? j->count : 1, sizeof(char *));
    if (!*v) return 0;
    for (size_t i = 0; i < j->count; i++) {
        if (j->items[i].type != CT_JSON_STRING || !((*v)[i] = ct_strdup(j->items[i].string))) {
            ct_free_strings(*v, (int)i);
            *v = NULL;
            return 0;
        }
        *n = (int)i + 1;
    }
    return 1;
}

ct_status ct_encoding_from_json(ct_encoding **out, const ct_json *j, const char *where,
                                char msg[CT_MSG_LEN]) {
    *out = NULL;
    const ct_json *cols = j && j->type == CT_JSON_OBJECT ? ct_json_get(j, "columns") : NULL;
    if (!cols || cols->type != CT_JSON_ARRAY || cols->count < 1 || cols->count > 1000000)
        return enc_bad(msg, where, "expected an object with a non-empty array 'columns'", -1);
    ct_encoding *e = enc_new((int)cols->count);
    if (!e) return ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", where);
    ct_status st = CT_OK;
    const ct_json *imp = ct_json_get(j, "impute"), *na = ct_json_get(j, "na_values"),
                  *dr = ct_json_get(j, "dropped");
    e->mean = imp && imp->type == CT_JSON_STRING && !strcmp(imp->string, "mean");
    if (na && !json_strings(na, &e->na, &e->n_na)) {
        st = enc_bad(msg, where, "'na_values' is not an array of strings", -1);
        goto fail;
    }
    if (dr && dr->type == CT_JSON_STRING && !(e->dropped = ct_strdup(dr->string))) goto oom;
    for (int c = 0; c < e->n; c++) {
        const ct_json *o = &cols->items[c];
        const ct_json *nm = ct_json_get(o, "name"), *kind = ct_json_get(o, "kind"),
                      *miss = ct_json_get(o, "missing");
        if (o->type != CT_JSON_OBJECT || !nm || nm->type != CT_JSON_STRING || !kind ||
            kind->type != CT_JSON_STRING) {
            st = enc_bad(msg, where, "expected an object with a 'name' and a 'kind'", c);
            goto fail;
        }
        if (!(e->names[c] = ct_strdup(nm->string))) goto oom;
        if (miss && (miss->type != CT_JSON_NUMBER || !(miss->number >= 0))) {
            st = enc_bad(msg, where, "'missing' is not a count", c);
            goto fail;
        }
        e->missing[c] = miss ? (long)miss->number : 0;
        if (!strcmp(kind->string, "categorical")) {
            e->cat[c] = 1;
            if (!json_strings(ct_json_get(o, "categories"), &e->cats[c], &e->n_cats[c])) {
                st = enc_bad(msg, where, "'categories' is not an array of strings", c);
                goto fail;
            }
            for (int i = 1; i < e->n_cats[c]; i++)
                if (strcmp(e->cats[c][i - 1], e->cats[c][i]) >= 0) {
                    st = enc_bad(msg, where, "'categories' are not sorted and distinct", c);
                    goto fail;
                }
        } else if (!strcmp(kind->string, "numeric")) {
            const ct_json *f = ct_json_get(o, "fill"), *ind = ct_json_get(o, "indicator");
            if (!f || f->type != CT_JSON_NUMBER || !isfinite((float)f->number)) {
                st = enc_bad(msg, where, "'fill' is not a finite number", c);
                goto fail;
            }
            e->fill[c] = (float)f->number;
            e->indicator[c] = ind && ind->type == CT_JSON_BOOL && ind->boolean;
        } else {
            st = enc_bad(msg, where, "'kind' is neither 'numeric' nor 'categorical'", c);
            goto fail;
        }
    }
    *out = e;
    return CT_OK;
oom:
    st = ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", where);
fail:
    ct_encoding_free(e);
    return st;
}

void ct_encoding_describe(const ct_encoding *e, char *buf, size_t cap) {
    int num = 0, cat = 0, num_miss = 0, cats = 0, ind = 0;
    for (int j = 0; j < e->n; j++) {
        if (e->cat[j]) {
            cat++;
            cats += e->n_cats[j] + (e->missing[j] > 0);
        } else {
            num++;
            num_miss += e->missing[j] > 0;
            ind += e->indicator[j];
        }
    }
    char a[160] = "", b[96] = "", c[64] = "", d[320] = "";
    if (num_miss)
        snprintf(a, sizeof a, " (%d with missing cells, filled with %s%s)", num_miss,
                 e->mean ? "means" : "medians", ind ? ", and missing indicators" : "");
    if (cat) snprintf(b, sizeof b, ", %d categorical (%d categories)", cat, cats);
    if (e->dropped) snprintf(d, sizeof d, ", dropped: %.200s", e->dropped);
    if (e->unlabeled) {
        size_t l = strlen(d);
        snprintf(d + l, sizeof d - l, "; %ld row%s without a label left out", e->unlabeled,
                 e->unlabeled == 1 ? "" : "s");
    }
    snprintf(c, sizeof c, " -> %d inputs", ct_encoding_inputs(e));
    snprintf(buf, cap, "%d numeric%s%s%s%s", num, a, b, c, d);
}

/* ---- fitting and applying it to a table ----------------------------------------------------- */

ct_status dt_encoding_start(ct_encoding **out, const ct_data_opts *o, char *msg) {
    ct_encoding *e = enc_new(0);
    if (!e) return ct_fail_msg(msg, CT_ERR_ALLOC, "out of memory");
    e->mean = o && o->impute_mean;
    const char *spec = o ? o->na_values : NULL;
    int n = 0;
    if (!spec) {
        n = (int)(sizeof default_na / sizeof default_na[0]);
        if (!(e->na = dt_copy_names((char *const *)default_na, n))) goto oom;
    } else {
        int cap = 1;
        for (const char *p = spec; *p; p++)
            cap += *p == ',';
        if (!(e->na = calloc((size_t)cap, sizeof(char *)))) goto oom;
        for (const char *p = spec;;) {
            size_t len = strcspn(p, ",");
            if (len) {
                char *s = malloc(len + 1);
                if (!s) goto oom;
                memcpy(s, p, len);
                s[len] = '\0';
                e->na[n++] = s;
                e->n_na = n;
            }
            if (!p[len]) break;
            p += len + 1;
        }
    }
    e->n_na = n;
    *out = e;
    return CT_OK;
oom:
    ct_encoding_free(e);
    return ct_fail_msg(msg, CT_ERR_ALLOC, "out of memory");
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

ct_status dt_encoding_fit(ct_encoding *e, const dt_table *t, const ct_data_opts *o, char *msg) {
    ct_encoding *g = enc_new(t->ncol);
    if (!g) return ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", t->path);
    int maxc = o && o->max_categories > 0 ? o->max_categories : CT_MAX_CATEGORIES_DEFAULT;
    size_t n = (size_t)t->n;
    double *v = malloc((n ? n : 1) * sizeof(double));
    char **s = malloc((n ? n : 1) * sizeof(char *));
    ct_status st = CT_OK;
    char a[48];
    if (!v || !s) goto oom;
    for (int j = 0; j < t->ncol; j++) {
        if (!(g->names[j] = ct_strdup(t->names[j]))) goto oom;
        g->cat[j] = t->cat[j];
        size_t m = 0;
        if (!t->cat[j]) {
            for (size_t i = 0; i < n; i++) {
                float x = t->num[i * t->ncol + j];
                if (x == x) v[m++] = x;
            }
            g->missing[j] = (long)(n - m);
            double f = 0;
            if (m && e->mean) {
                for (size_t i = 0; i < m; i++)
                    f += v[i];
                f /= (double)m;
            } else if (m) {
                qsort(v, m, sizeof *v, cmp_double);
                f = m % 2 ? v[m / 2] : 0.5 * (v[m / 2 - 1] + v[m / 2]);
            }
            g->fill[j] = (float)f;
            g->indicator[j] = o && o->missing_indicator && g->missing[j] > 0;
            continue;
        }
        for (size_t i = 0; i < n; i++)
            if (t->text[j][i]) s[m++] = t->text[j][i];
        g->missing[j] = (long)(n - m);
        qsort(s, m, sizeof *s, cmp_str);
        size_t u = 0;
        for (size_t i = 0; i < m; i++)
            if (!u || strcmp(s[u - 1], s[i])) s[u++] = s[i];
        if ((long)u + (g->missing[j] > 0) > maxc) {
            st = ct_fail_msg(msg, CT_ERR_FORMAT,
                             "%s: column %d ('%s') has %zu distinct values%s, more than "
                             "--max-categories %d allows; leave it out with --drop '%s', or "
                             "raise --max-categories",
                             t->path, t->file_col ? t->file_col[j] : j + 1,
                             dt_shown(a, t->names[j]), u + (g->missing[j] > 0),
                             g->missing[j] > 0 ? " (with missing)" : "", maxc,
                             dt_shown(a, t->names[j]));
            goto fail;
        }
        if (!(g->cats[j] = dt_copy_names(s, (int)u))) goto oom;
        g->n_cats[j] = (int)u;
    }
    /* move the columns into e */
    {
        ct_encoding tmp = *e;
        g->n_na = tmp.n_na;
        g->na = tmp.na;
        g->mean = tmp.mean;
        g->dropped = tmp.dropped;
        g->unlabeled = tmp.unlabeled;
        tmp.n_na = 0;
        tmp.na = NULL;
        tmp.dropped = NULL;
        *e = *g;
        *g = tmp;
    }
    goto fail;
oom:
    st = ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", t->path);
fail:
    ct_encoding_free(g);
    free(v);
    free(s);
    return st;
}

ct_status dt_encoding_apply(const ct_encoding *e, const dt_table *t, float *X, long *unknown,
                            char *note, size_t cap, char *msg) {
    size_t n = (size_t)t->n;
    int K = ct_encoding_inputs(e);
    long total = 0;
    char a[48];
    if (note && cap) note[0] = '\0';
    size_t len = 0;
    for (int j = 0, k0 = 0; j < e->n; k0 += col_inputs(e, j), j++) {
        long unk = 0;
        for (size_t i = 0; i < n; i++) {
            float *x = X + i * (size_t)K + k0;
            if (!e->cat[j]) {
                float v = t->num[i * t->ncol + j];
                int miss = v != v;
                x[0] = miss ? e->fill[j] : v;
                if (e->indicator[j]) x[1] = (float)miss;
                continue;
            }
            int m = e->n_cats[j] + (e->missing[j] > 0);
            for (int c = 0; c < m; c++)
                x[c] = 0.0f;
            const char *cell = t->text[j][i];
            if (!cell) {
                if (e->missing[j] > 0)
                    x[e->n_cats[j]] = 1.0f;
                else
                    unk++;
                continue;
            }
            char **hit = e->n_cats[j] ? bsearch(&cell, e->cats[j], (size_t)e->n_cats[j],
                                                sizeof(char *), cmp_str)
                                      : NULL;
            if (hit)
                x[hit - e->cats[j]] = 1.0f;
            else
                unk++;
        }
        if (unk && note && len < cap) {
            int w = snprintf(note + len, cap - len, "%s%s: %ld", len ? ", " : "",
                             dt_shown(a, e->names[j]), unk);
            if (w > 0) len += (size_t)w;
        }
        total += unk;
    }
    (void)msg;
    if (unknown) *unknown = total;
    if (total && note && cap) {
        char *cols = ct_strdup(note);
        if (cols) {
            snprintf(note, cap,
                     "%s: %ld cell%s held a category not seen in training (%s); encoded as all "
                     "zeros",
                     t->path, total, total == 1 ? "" : "s", cols);
            free(cols);
        }
    }
    return CT_OK;
}

/* ---- the public face ------------------------------------------------------------------------ */

ct_status ct_data_load_like(ct_dataset **out, const char *source, const ct_data_opts *opts,
                            const ct_dataset *like, char msg[CT_MSG_LEN]) {
    if (!like || !like->enc) return ct_data_load(out, source, opts, msg);
    ct_data_columns c;
    memset(&c, 0, sizeof c);
    c.enc = like->enc;
    c.features = like->enc->n;
    c.names = like->enc->names;
    c.label_name = like->label_name;
    c.label_index = like->label_column - 1;
    ct_status st = ct_data_load_columns(out, source, opts, &c, msg);
    if (st == CT_OK && *c.note) {
        ct_dataset *d = *out;
        char both[CT_MSG_LEN];
        snprintf(both, sizeof both, "%.500s%s%.500s", c.note, *d->enc_note ? "; " : "",
                 d->enc_note);
        memcpy(d->enc_note, both, sizeof both);
    }
    return st;
}

int ct_data_describe_columns(const ct_dataset *d, char *buf, size_t cap) {
    if (buf && cap) buf[0] = '\0';
    if (!d || !d->enc || !buf) return 0;
    ct_encoding_describe(d->enc, buf, cap);
    return 1;
}

const char *ct_data_note(const ct_dataset *d) { return d ? d->enc_note : ""; }

/* ---- tables from cells in memory (the Python package's DataFrames) ---------------------- */

ct_status ct_data_cells_columns(ct_dataset **out, const char *name, int n, int ncol,
                                const char *const *cells, const char *const *names,
                                const ct_data_opts *opts, ct_data_columns *c,
                                char msg[CT_MSG_LEN]) {
    if (msg) msg[0] = '\0';
    if (!out) return ct_fail_msg(msg, CT_ERR_ARG, "ct_data_from_cells: out is NULL");
    *out = NULL;
    const char *what = name && *name ? name : "cells";
    if (n < 1 || ncol < 1 || !cells || !names)
        return ct_fail_msg(msg, CT_ERR_ARG, "%s: need at least 1 row and 1 column (got %d x %d%s)",
                           what, n, ncol, cells && names ? "" : ", no cells or names");
    if (dt_cells_bytes((size_t)n, (size_t)ncol, sizeof(char *)) == 0)
        return ct_fail_msg(msg, CT_ERR_ARG, "%s: %d rows x %d columns is too large", what, n, ncol);
    char a[48];
    for (int j = 0; j < ncol; j++) {
        if (!names[j] || !names[j][0])
            return ct_fail_msg(msg, CT_ERR_ARG, "%s: column %d has no name", what, j);
        for (int k = 0; k < j; k++)
            if (!strcmp(names[k], names[j]))
                return ct_fail_msg(msg, CT_ERR_ARG, "%s: two columns are named '%s' (%d and %d)",
                                   what, dt_shown(a, names[j]), k, j);
    }
    ct_data_opts def;
    memset(&def, 0, sizeof def);
    def.task = CT_TASK_AUTO;
    def.seed = 42;
    def.require_labels = 1;
    return dt_load_cells(out, what, n, ncol, cells, names, opts ? opts : &def, c, msg);
}

ct_status ct_data_set_targets(ct_dataset *d, const int32_t *labels, int n_classes, const float *Y,
                              int outputs, char msg[CT_MSG_LEN]) {
    float *zero = calloc((size_t)(d->n > 0 ? d->n : 1), sizeof(float));
    if (!zero) return ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", d->source);
    ct_dataset *t = NULL;
    ct_status st =
        ct_data_from_arrays(&t, d->n, 1, zero, labels, n_classes, Y, outputs, d->source, msg);
    free(zero);
    if (st != CT_OK) return st;
    ct_free_strings(d->class_names, d->n_classes);
    ct_free_strings(d->target_names, d->outputs);
    free(d->labels);
    free(d->Y);
    d->task = t->task;
    d->n_classes = t->n_classes;
    d->labels = t->labels;
    d->class_names = t->class_names;
    d->outputs = t->outputs;
    d->Y = t->Y;
    d->target_names = t->target_names;
    t->labels = NULL;
    t->class_names = NULL;
    t->Y = NULL;
    t->target_names = NULL;
    t->n_classes = t->outputs = 0;
    ct_data_destroy(t);
    return CT_OK;
}

ct_status ct_data_from_cells(ct_dataset **out, int n, int ncol, const char *const *cells,
                             const char *const *names, const int32_t *labels, int n_classes,
                             const float *Y, int outputs, const ct_data_opts *opts,
                             const char *name, char msg[CT_MSG_LEN]) {
    ct_data_opts o;
    memset(&o, 0, sizeof o);
    if (opts) {
        o = *opts;
    } else {
        o.task = CT_TASK_AUTO;
        o.seed = 42;
        o.require_labels = 1;
    }
    if (labels || Y) { /* the targets come as arrays: every column is a feature */
        o.label = NULL;
        o.require_labels = 0;
        o.drop_missing_labels = 0;
    }
    ct_status st = ct_data_cells_columns(out, name, n, ncol, cells, names, &o, NULL, msg);
    if (st != CT_OK || !(labels || Y)) return st;
    if ((st = ct_data_set_targets(*out, labels, n_classes, Y, outputs, msg)) != CT_OK) {
        ct_data_destroy(*out);
        *out = NULL;
    }
    return st;
}
