/* Labels: a column of class names or numbers becomes classes (sorted, named as written) or a
 * regression target; the task is inferred or checked. */
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

/* ---- labels: classes or regression targets ------------------------------------------------ */

static void lab_where(char *buf, size_t cap, const lab_ctx *c, const lab_item *it) {
    char name[48];
    if (c->csv && c->colname)
        snprintf(buf, cap, "%s:%ld, column %d ('%s')", c->file, it->where, c->col,
                 dt_shown(name, c->colname));
    else if (c->csv)
        snprintf(buf, cap, "%s:%ld, column %d", c->file, it->where, c->col);
    else
        snprintf(buf, cap, "%s: label %ld", c->file, it->where);
}

/* A numeric label as a name: integers without a decimal point. */
static void num_name(char *buf, size_t cap, double v) {
    if (v == floor(v) && fabs(v) < 1e15)
        snprintf(buf, cap, "%.0f", v);
    else
        snprintf(buf, cap, "%.9g", v);
}

static const char *lab_text(char out[48], const lab_item *it) {
    if (it->s) return dt_shown(out, it->s);
    num_name(out, 48, it->v);
    return out;
}

static int cmp_num(const void *a, const void *b) {
    const lab_item *x = *(const lab_item *const *)a, *y = *(const lab_item *const *)b;
    if (x->v != y->v) return x->v < y->v ? -1 : 1;
    return (x->where > y->where) - (x->where < y->where);
}

static int cmp_str(const void *a, const void *b) {
    const lab_item *x = *(const lab_item *const *)a, *y = *(const lab_item *const *)b;
    int c = strcmp(x->s, y->s);
    if (c) return c;
    return (x->where > y->where) - (x->where < y->where);
}

typedef struct {
    const char *s;
    int idx;
} name_idx;

static int cmp_name_idx(const void *a, const void *b) {
    return strcmp(((const name_idx *)a)->s, ((const name_idx *)b)->s);
}

/* Parses s as a number: 1 when it is one (trailing blanks allowed), finite or not. */
int dt_parse_number(const char *s, double *v) {
    char *end = NULL;
    *v = strtod(s, &end);
    if (end == s) return 0;
    while (*end == ' ' || *end == '\t' || *end == '\r')
        end++;
    return *end == '\0';
}

/* Maps the labels onto opts->class_names. */
static ct_status map_labels(ct_dataset *d, lab_item *it, int n, const lab_ctx *c,
                            const ct_data_opts *o, char *msg) {
    int k = o->n_classes;
    ct_status st = CT_OK;
    name_idx *ord = malloc((size_t)k * sizeof *ord);
    double *nv = malloc((size_t)k * sizeof(double));
    int *nnum = malloc((size_t)k * sizeof(int));
    if (!ord || !nv || !nnum) {
        st = ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", c->file);
        goto done;
    }
    for (int j = 0; j < k; j++) {
        ord[j].s = o->class_names[j];
        ord[j].idx = j;
        nnum[j] = dt_parse_number(o->class_names[j], &nv[j]) && isfinite(nv[j]);
    }
    qsort(ord, (size_t)k, sizeof *ord, cmp_name_idx);
    for (int i = 0; i < n; i++) {
        char buf[48];
        name_idx key = {it[i].s ? it[i].s : buf, 0};
        if (!it[i].s) num_name(buf, sizeof buf, it[i].v);
        const name_idx *hit = bsearch(&key, ord, (size_t)k, sizeof *ord, cmp_name_idx);
        int cls = hit ? hit->idx : -1;
        if (cls < 0 && it[i].num && isfinite(it[i].v))
            for (int j = 0; j < k && cls < 0; j++)
                if (nnum[j] && nv[j] == it[i].v) cls = j;
        if (cls < 0) {
            char where[640], txt[48], list[1024] = "";
            lab_where(where, sizeof where, c, &it[i]);
            dt_join_names(list, sizeof list, o->class_names, k);
            st = ct_fail_msg(msg, CT_ERR_FORMAT, "%s: unknown label '%s' (the classes are: %s)",
                             where, lab_text(txt, &it[i]), list);
            goto done;
        }
        d->labels[i] = cls;
    }
    d->n_classes = k;
    if (!(d->class_names = dt_copy_names(o->class_names, k))) {
        d->n_classes = 0;
        st = ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", c->file);
    }
done:
    free(ord);
    free(nv);
    free(nnum);
    return st;
}

/* Turns the n label items into d's classes (labels, class_names) or regression target (Y).
 * Task rule: opts->class_names given -> those classes; CT_TASK_AUTO -> regression when every
 * label is a number and (one is not an integer, or there are more than 20 distinct values and
 * more than 5% of the rows are distinct), except integer binary dtypes (always classes). */
ct_status dt_build_labels(ct_dataset *d, lab_item *it, int n, const lab_ctx *c,
                          const ct_data_opts *o, char *msg) {
    char where[640], txt[48];
    const lab_item *nonnum = NULL, *nonfinite = NULL;
    int nonint = 0;
    for (int i = 0; i < n; i++) {
        if (!it[i].num) {
            if (!nonnum) nonnum = &it[i];
        } else if (!isfinite(it[i].v)) {
            if (!nonfinite) nonfinite = &it[i];
        } else if (it[i].v != floor(it[i].v)) {
            nonint = 1;
        }
    }
    int mapped = o->class_names && o->n_classes > 0 && o->task != CT_TASK_REGRESSION;
    /* Non-finite numbers are errors unless they are plain strings of a classification. */
    if (nonfinite && (!c->csv || (!mapped && o->task != CT_TASK_CLASSIFICATION && !nonnum))) {
        lab_where(where, sizeof where, c, nonfinite);
        return ct_fail_msg(msg, CT_ERR_NUMERIC, "%s: expected a finite number, found '%s'", where,
                           lab_text(txt, nonfinite));
    }
    if (o->task == CT_TASK_REGRESSION && nonnum) {
        lab_where(where, sizeof where, c, nonnum);
        return ct_fail_msg(msg, CT_ERR_FORMAT,
                           "%s: expected a number (a regression target), found '%s'", where,
                           lab_text(txt, nonnum));
    }
    if (mapped) {
        d->task = CT_TASK_CLASSIFICATION;
        if (!(d->labels = malloc((size_t)n * sizeof(int32_t))))
            return ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", c->file);
        return map_labels(d, it, n, c, o, msg);
    }
    int by_value = !nonnum && !nonfinite;
    ct_status st = CT_OK;
    lab_item **ptr = malloc((size_t)n * sizeof *ptr);
    if (!ptr) return ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", c->file);
    for (int i = 0; i < n; i++)
        ptr[i] = &it[i];
    qsort(ptr, (size_t)n, sizeof *ptr, by_value ? cmp_num : cmp_str);
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (i == 0 ||
            (by_value ? ptr[i]->v != ptr[i - 1]->v : strcmp(ptr[i]->s, ptr[i - 1]->s) != 0))
            k++;
        ptr[i]->cls = k - 1;
    }
    ct_task task = o->task;
    if (task == CT_TASK_AUTO) {
        if (!by_value || c->int_dtype)
            task = CT_TASK_CLASSIFICATION;
        else
            task =
                (nonint || (k > 20 && k > 0.05 * n)) ? CT_TASK_REGRESSION : CT_TASK_CLASSIFICATION;
    }
    d->task = task;
    if (task == CT_TASK_REGRESSION) {
        if (!(d->Y = malloc((size_t)n * sizeof(float)))) {
            st = ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", c->file);
            goto done;
        }
        for (int i = 0; i < n; i++) {
            d->Y[i] = (float)it[i].v;
            if (!isfinite(d->Y[i])) {
                lab_where(where, sizeof where, c, &it[i]);
                st = ct_fail_msg(msg, CT_ERR_NUMERIC,
                                 "%s: expected a finite number, found '%s' (out of float range)",
                                 where, lab_text(txt, &it[i]));
                goto done;
            }
        }
        char *one[1] = {(char *)(c->target ? c->target : "y")};
        if (!(d->target_names = dt_copy_names(one, 1))) {
            st = ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", c->file);
            goto done;
        }
        d->outputs = 1;
        goto done;
    }
    if (k < 2) {
        char col[600] = "";
        if (c->csv && c->colname)
            snprintf(col, sizeof col, " in column %d ('%s')", c->col, dt_shown(txt, c->colname));
        else if (c->csv)
            snprintf(col, sizeof col, " in column %d", c->col);
        st = ct_fail_msg(
            msg, CT_ERR_FORMAT,
            "%s: only one class ('%s')%s among %d rows; classification needs at least 2", c->file,
            lab_text(where, ptr[0]), col, n);
        goto done;
    }
    if (!(d->labels = malloc((size_t)n * sizeof(int32_t))) ||
        !(d->class_names = calloc((size_t)k, sizeof(char *)))) {
        st = ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", c->file);
        goto done;
    }
    d->n_classes = k;
    for (int i = 0; i < n; i++) {
        if (i == 0 || ptr[i]->cls != ptr[i - 1]->cls) {
            char buf[48];
            if (!ptr[i]->s) num_name(buf, sizeof buf, ptr[i]->v);
            if (!(d->class_names[ptr[i]->cls] = ct_strdup(ptr[i]->s ? ptr[i]->s : buf))) {
                st = ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", c->file);
                goto done;
            }
        }
    }
    for (int i = 0; i < n; i++)
        d->labels[i] = it[i].cls;
done:
    free(ptr);
    return st;
}

/* Labels absent (predict): the classes of opts when given. */
ct_status dt_no_labels(ct_dataset *d, const ct_data_opts *o, const char *file, char *msg) {
    d->task = o->task == CT_TASK_REGRESSION ? CT_TASK_REGRESSION : CT_TASK_CLASSIFICATION;
    if (d->task == CT_TASK_CLASSIFICATION && o->class_names && o->n_classes > 0) {
        if (!(d->class_names = dt_copy_names(o->class_names, o->n_classes)))
            return ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", file);
        d->n_classes = o->n_classes;
    }
    return CT_OK;
}
