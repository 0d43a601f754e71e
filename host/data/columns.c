/* The columns of a file for a trained model: which column holds each of the model's features
 * (by name when the file has a header, else by position), which one is the label, and which
 * are ignored. The one place that matches columns to features, for the CSV reader (eval,
 * predict) and the API (ct_model_match_columns). Column kinds and encodings will grow here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
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
