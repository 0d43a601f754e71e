/* Helpers shared by the libFuzzer harnesses (see fuzz_util.h). */
#define _POSIX_C_SOURCE 200809L

#include "fuzz_util.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model.h"

#define FZ_SLOTS 8

/* libFuzzer calls a plain function with no context, so the scratch paths are file-scope: one
 * set per process, made on first use and removed at exit. */
static char *fz_paths[FZ_SLOTS];
static int fz_verbose = -1; /* CLTRAIN_FUZZ_VERBOSE, read once */

static void fz_cleanup(void) {
    for (int i = 0; i < FZ_SLOTS; i++) {
        if (!fz_paths[i]) continue;
        unlink(fz_paths[i]);
        free(fz_paths[i]);
        fz_paths[i] = NULL;
    }
}

void fz_fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

void fz_report(const char *what, ct_status st, const char *msg) {
    if (fz_verbose < 0) {
        const char *v = getenv("CLTRAIN_FUZZ_VERBOSE");
        fz_verbose = v && *v && strcmp(v, "0") != 0;
    }
    if (fz_verbose) fprintf(stderr, "%s: %s\n", what, st == CT_OK ? "OK" : msg);
}

const char *fz_path(int slot, const char *ext) {
    if (slot < 0 || slot >= FZ_SLOTS) fz_fail("scratch slot %d out of range", slot);
    if (fz_paths[slot]) return fz_paths[slot];
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir || access(dir, W_OK) != 0)
        dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    int n = snprintf(NULL, 0, "%s/cltrain-fuzz-%ld-%d%s", dir, (long)getpid(), slot, ext);
    char *p = malloc((size_t)n + 1);
    if (!p) fz_fail("out of memory for a path");
    snprintf(p, (size_t)n + 1, "%s/cltrain-fuzz-%ld-%d%s", dir, (long)getpid(), slot, ext);
    int first = 1;
    for (int i = 0; i < FZ_SLOTS; i++)
        first &= fz_paths[i] == NULL;
    if (first) atexit(fz_cleanup);
    fz_paths[slot] = p;
    return p;
}

void fz_write(const char *path, const uint8_t *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) fz_fail("cannot write %s", path);
    int bad = n > 0 && fwrite(data, 1, n, f) != n;
    if (fclose(f) != 0 || bad) fz_fail("cannot write %s", path);
}

/* Reads every string so that a dangling or unterminated one shows up. */
static void check_names(char *const *names, int n, const char *what) {
    if (n > 0 && !names) fz_fail("%s: %d names but no array", what, n);
    for (int i = 0; i < n; i++) {
        if (!names[i]) fz_fail("%s: name %d is NULL", what, i);
        if (strlen(names[i]) > (1u << 30)) fz_fail("%s: name %d is absurdly long", what, i);
    }
}

void fz_check_dataset(const ct_dataset *d, const ct_data_opts *o) {
    FZ_CHECK(d != NULL);
    FZ_CHECK(d->n >= 1 && d->features >= 1 && d->X != NULL);
    size_t cells = (size_t)d->n * (size_t)d->features;
    for (size_t i = 0; i < cells; i++)
        if (!isfinite(d->X[i])) fz_fail("X[%zu] is not finite", i);
    check_names(d->feature_names, d->features, "feature_names");
    FZ_CHECK(d->task == CT_TASK_CLASSIFICATION || d->task == CT_TASK_REGRESSION);
    FZ_CHECK(memchr(d->source, '\0', sizeof d->source) != NULL);
    FZ_CHECK(memchr(d->label_name, '\0', sizeof d->label_name) != NULL);
    if (d->task == CT_TASK_CLASSIFICATION) {
        FZ_CHECK(d->Y == NULL && d->outputs == 0);
        FZ_CHECK(d->n_classes >= 0);
        check_names(d->class_names, d->n_classes, "class_names");
        if (d->labels) {
            if (o->class_names && o->n_classes > 0)
                FZ_CHECK(d->n_classes == o->n_classes);
            else
                FZ_CHECK(d->n_classes >= 2);
            for (int i = 0; i < d->n; i++)
                if (d->labels[i] < 0 || d->labels[i] >= d->n_classes)
                    fz_fail("label %d is %d, outside [0, %d)", i, (int)d->labels[i], d->n_classes);
        }
    } else {
        FZ_CHECK(d->labels == NULL);
        if (d->Y) {
            FZ_CHECK(d->outputs >= 1);
            size_t ys = (size_t)d->n * (size_t)d->outputs;
            for (size_t i = 0; i < ys; i++)
                if (!isfinite(d->Y[i])) fz_fail("Y[%zu] is not finite", i);
            check_names(d->target_names, d->outputs, "target_names");
        }
    }
}

void fz_data_opts(ct_data_opts *o, unsigned bits) {
    static char *const iris[] = {"setosa", "versicolor", "virginica"};
    static char *const binary[] = {"0", "1"};
    static char *const one[] = {"a"};
    const ct_task tasks[4] = {CT_TASK_AUTO, CT_TASK_CLASSIFICATION, CT_TASK_REGRESSION,
                              CT_TASK_AUTO};
    o->task = tasks[bits & 3];
    switch ((bits >> 2) & 3) {
    case 1: o->class_names = iris, o->n_classes = 3; break;
    case 2: o->class_names = binary, o->n_classes = 2; break;
    case 3: o->class_names = one, o->n_classes = 1; break;
    default: o->class_names = NULL, o->n_classes = 0; break;
    }
}

void fz_load_dataset(const char *path, const ct_data_opts *o) {
    ct_dataset *d = NULL;
    char msg[CT_MSG_LEN];
    ct_status st = ct_data_load(&d, path, o, msg);
    fz_report("ct_data_load", st, msg);
    if (st == CT_OK) {
        fz_check_dataset(d, o);
    } else {
        FZ_CHECK(d == NULL);
        FZ_CHECK(msg[0] != '\0' && memchr(msg, '\0', sizeof msg) != NULL);
    }
    ct_data_destroy(d);
}

static void touch_floats(const float *x, size_t n, const char *what) {
    volatile float sink = 0.0f;
    if (n > 0 && !x) fz_fail("%s: %zu floats but no array", what, n);
    for (size_t i = 0; i < n; i++)
        sink += x[i];
    (void)sink;
}

void fz_check_model(const ct_saved_model *sm) {
    char msg[CT_MSG_LEN];
    if (ct_arch_validate(&sm->arch, msg) != CT_OK)
        fz_fail("a loaded model has an invalid architecture: %s", msg);
    ct_layout lay;
    ct_arch_layout(&sm->arch, &lay);
    FZ_CHECK(lay.n_params > 0);
    touch_floats(sm->params, lay.n_params, "params");
    FZ_CHECK(sm->features == sm->arch.sizes[0]);
    if (sm->feature_names) check_names(sm->feature_names, sm->features, "feature_names");
    if (sm->task == CT_TASK_CLASSIFICATION) {
        FZ_CHECK(sm->n_classes >= 2 && sm->class_names != NULL);
        check_names(sm->class_names, sm->n_classes, "class_names");
    } else {
        FZ_CHECK(sm->task == CT_TASK_REGRESSION);
        FZ_CHECK(sm->outputs == sm->arch.sizes[sm->arch.n_layers]);
        if (sm->target_names) check_names(sm->target_names, sm->outputs, "target_names");
    }
    FZ_CHECK(memchr(sm->label_name, '\0', sizeof sm->label_name) != NULL);
    if (sm->has_scaler) {
        FZ_CHECK(sm->scaler.features == sm->features);
        touch_floats(sm->scaler.mean, (size_t)sm->scaler.features, "scaler.mean");
        touch_floats(sm->scaler.std, (size_t)sm->scaler.features, "scaler.std");
    }
    if (sm->m) touch_floats(sm->m, lay.n_params, "optim.m");
    if (sm->v) touch_floats(sm->v, lay.n_params, "optim.v");
}
