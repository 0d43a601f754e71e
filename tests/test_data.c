/* Datasets: generators (shape, balance, seeds, geometry), CSV / IDX / NPY readers with every bad
 * input they must name, split, scaling, and the shipped iris.csv / digits.csv.
 * Usage: test_data [DATA_DIR] (the repository's data/ folder; default "data"). Files are written
 * into a fresh mkdtemp folder and removed at the end. */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "data.h"
#include "util.h"

#define MAX_FILES 128

typedef struct {
    char dir[64];
    char *files[MAX_FILES];
    int count;
} tmp_dir;

static tmp_dir tmp_g; /* the test's scratch folder (test-only state) */

/* The path of name inside the scratch folder (remembered for removal). */
static const char *tpath(const char *name) {
    char buf[512];
    snprintf(buf, sizeof buf, "%s/%s", tmp_g.dir, name);
    for (int i = 0; i < tmp_g.count; i++)
        if (strcmp(tmp_g.files[i], buf) == 0) return tmp_g.files[i];
    if (tmp_g.count == MAX_FILES) {
        fprintf(stderr, "test: too many scratch files\n");
        exit(1);
    }
    char *p = test_alloc(strlen(buf) + 1, 1);
    memcpy(p, buf, strlen(buf) + 1);
    tmp_g.files[tmp_g.count++] = p;
    return p;
}

static const char *write_bytes(const char *name, const void *data, size_t n) {
    const char *p = tpath(name);
    FILE *f = fopen(p, "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "test: cannot write %s\n", p);
        exit(1);
    }
    return p;
}

static const char *write_text(const char *name, const char *text) {
    return write_bytes(name, text, strlen(text));
}

static const char *write_gz(const char *name, const void *data, size_t n) {
    const char *p = tpath(name);
    gzFile f = gzopen(p, "wb");
    if (!f || gzwrite(f, data, (unsigned)n) != (int)n || gzclose(f) != Z_OK) {
        fprintf(stderr, "test: cannot write %s\n", p);
        exit(1);
    }
    return p;
}

static void cleanup(void) {
    for (int i = 0; i < tmp_g.count; i++) {
        unlink(tmp_g.files[i]);
        free(tmp_g.files[i]);
    }
    rmdir(tmp_g.dir);
}

static ct_data_opts opts_default(void) {
    ct_data_opts o;
    memset(&o, 0, sizeof o);
    o.task = CT_TASK_AUTO;
    o.seed = 42;
    o.require_labels = 1;
    return o;
}

/* Loads src; a failure counts as a failed check and returns NULL. */
static ct_dataset *load_ok(const char *src, const ct_data_opts *o) {
    char msg[CT_MSG_LEN];
    ct_dataset *d = NULL;
    ct_data_opts def = opts_default();
    ct_status st = ct_data_load(&d, src, o ? o : &def, msg);
    EXPECT(st == CT_OK && d, "load %s: status %d, message: %s", src, (int)st, msg);
    return st == CT_OK ? d : NULL;
}

/* Loading src must fail with status want and a message holding each of the (NULL-ended)
 * substrings. */
static void load_bad(const char *src, const ct_data_opts *o, ct_status want, ...) {
    char msg[CT_MSG_LEN];
    ct_dataset *d = (ct_dataset *)&msg; /* must become NULL */
    ct_data_opts def = opts_default();
    ct_status st = ct_data_load(&d, src, o ? o : &def, msg);
    EXPECT(st == want, "load %s: status %d, want %d; message: %s", src, (int)st, (int)want,
           st == CT_OK ? "(none)" : msg);
    EXPECT(d == NULL, "load %s: *out not NULL after a failure", src);
    if (st == CT_OK) {
        ct_data_destroy(d);
        return;
    }
    EXPECT(strchr(msg, '\n') == NULL, "load %s: message is not one line: %s", src, msg);
    va_list ap;
    va_start(ap, want);
    for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *))
        EXPECT(strstr(msg, s) != NULL, "load %s: message lacks '%s': %s", src, s, msg);
    va_end(ap);
}

static int count_class(const ct_dataset *d, int k) {
    int c = 0;
    for (int i = 0; i < d->n; i++)
        c += d->labels[i] == k;
    return c;
}

static int labels_in_range(const ct_dataset *d) {
    for (int i = 0; i < d->n; i++)
        if (d->labels[i] < 0 || d->labels[i] >= d->n_classes) return 0;
    return 1;
}

static int all_finite(const ct_dataset *d) {
    for (size_t i = 0; i < (size_t)d->n * d->features; i++)
        if (!isfinite(d->X[i])) return 0;
    return 1;
}

/* ---- generators ----------------------------------------------------------------------------- */

static void check_shape(const char *src, int n, int f, int k) {
    ct_dataset *d = load_ok(src, NULL);
    if (!d) return;
    EXPECT(d->n == n && d->features == f, "%s: shape (%d, %d), want (%d, %d)", src, d->n,
           d->features, n, f);
    EXPECT(all_finite(d), "%s: non-finite features", src);
    EXPECT(strcmp(d->source, src) == 0, "%s: source '%s'", src, d->source);
    EXPECT(d->feature_names && strcmp(d->feature_names[0], k ? "x0" : "x") == 0,
           "%s: feature name '%s'", src, d->feature_names ? d->feature_names[0] : "(null)");
    if (k > 0) {
        EXPECT(d->task == CT_TASK_CLASSIFICATION && d->n_classes == k && d->labels && !d->Y,
               "%s: task %d classes %d, want classification with %d", src, (int)d->task,
               d->n_classes, k);
        EXPECT(labels_in_range(d), "%s: a label out of range", src);
        for (int c = 0; c < d->n_classes; c++) {
            char want[16];
            snprintf(want, sizeof want, "%d", c);
            EXPECT(strcmp(d->class_names[c], want) == 0, "%s: class %d named '%s'", src, c,
                   d->class_names[c]);
        }
    }
    ct_data_destroy(d);
}

/* Same seed: identical bytes; another seed: different; the default seed is opts->seed. */
static void check_seeds(const char *name) {
    char a[64], b[64];
    snprintf(a, sizeof a, "%s:seed=7", name);
    snprintf(b, sizeof b, "%s:seed=8", name);
    ct_dataset *d1 = load_ok(a, NULL), *d2 = load_ok(a, NULL), *d3 = load_ok(b, NULL);
    ct_data_opts o = opts_default();
    o.seed = 7;
    ct_dataset *d4 = load_ok(name, &o);
    if (d1 && d2 && d3 && d4) {
        size_t xb = (size_t)d1->n * d1->features * sizeof(float);
        EXPECT(memcmp(d1->X, d2->X, xb) == 0, "%s: same seed, different X", name);
        EXPECT(memcmp(d1->X, d4->X, xb) == 0, "%s: opts->seed 7 differs from seed=7", name);
        EXPECT(memcmp(d1->X, d3->X, xb) != 0, "%s: seeds 7 and 8 give the same X", name);
        if (d1->labels)
            EXPECT(memcmp(d1->labels, d2->labels, (size_t)d1->n * sizeof(int32_t)) == 0,
                   "%s: same seed, different labels", name);
        if (d1->Y)
            EXPECT(memcmp(d1->Y, d2->Y, (size_t)d1->n * sizeof(float)) == 0,
                   "%s: same seed, different Y", name);
    }
    ct_data_destroy(d1);
    ct_data_destroy(d2);
    ct_data_destroy(d3);
    ct_data_destroy(d4);
}

/* Rank of the (f x f) covariance of X by Gaussian elimination with full pivoting. */
static int covariance_rank(const ct_dataset *d) {
    int f = d->features, n = d->n;
    double *mean = test_alloc((size_t)f, sizeof(double));
    double *C = test_alloc((size_t)f * f, sizeof(double));
    for (int i = 0; i < n; i++)
        for (int j = 0; j < f; j++)
            mean[j] += d->X[(size_t)i * f + j] / n;
    for (int i = 0; i < n; i++)
        for (int a = 0; a < f; a++)
            for (int b = 0; b < f; b++)
                C[a * f + b] +=
                    (d->X[(size_t)i * f + a] - mean[a]) * (d->X[(size_t)i * f + b] - mean[b]) / n;
    int rank = 0;
    double first = 0.0;
    for (int step = 0; step < f; step++) {
        int pr = step, pc = step;
        for (int r = step; r < f; r++)
            for (int c = step; c < f; c++)
                if (fabs(C[r * f + c]) > fabs(C[pr * f + pc])) pr = r, pc = c;
        double p = fabs(C[pr * f + pc]);
        if (step == 0) first = p;
        if (p <= 1e-7 * first) break;
        rank++;
        for (int c = 0; c < f; c++) { /* rows */
            double t = C[step * f + c];
            C[step * f + c] = C[pr * f + c];
            C[pr * f + c] = t;
        }
        for (int r = 0; r < f; r++) { /* columns */
            double t = C[r * f + step];
            C[r * f + step] = C[r * f + pc];
            C[r * f + pc] = t;
        }
        for (int r = step + 1; r < f; r++) {
            double m = C[r * f + step] / C[step * f + step];
            for (int c = step; c < f; c++)
                C[r * f + c] -= m * C[step * f + c];
        }
    }
    free(mean);
    free(C);
    return rank;
}

static void test_generators(void) {
    check_shape("xor", 200, 2, 2);
    check_shape("moons", 1000, 2, 2);
    check_shape("circles", 1000, 2, 2);
    check_shape("blobs", 500, 2, 3);
    check_shape("blobs:n=101,centers=4,features=5", 101, 5, 4);
    check_shape("spirals", 600, 2, 3);
    check_shape("spirals:n=1001,classes=5,turns=2.5", 1001, 2, 5);
    check_shape("classification", 2000, 20, 2);
    check_shape("classification:n=300,features=8,informative=3,redundant=2,repeated=2,classes=4,"
                "clusters_per_class=1",
                300, 8, 4);
    check_shape("classification:n=50,features=40,informative=35,redundant=0,classes=3", 50, 40, 3);
    check_shape("sine", 1000, 1, 0);
    const char *names[] = {"xor", "moons", "circles", "blobs", "spirals", "classification", "sine"};
    for (int i = 0; i < 7; i++)
        check_seeds(names[i]);
    const char *help = ct_data_generators_help();
    for (int i = 0; i < 7; i++)
        EXPECT(strstr(help, names[i]) != NULL, "help lacks %s", names[i]);

    /* class balance */
    ct_dataset *d = load_ok("xor", NULL);
    if (d) {
        EXPECT(count_class(d, 0) == 100 && count_class(d, 1) == 100, "xor: %d / %d per class",
               count_class(d, 0), count_class(d, 1));
        int bad = 0; /* label = XOR of the signs (noise 0.1 never crosses an axis here) */
        for (int i = 0; i < d->n; i++)
            bad += d->labels[i] != ((d->X[2 * i] > 0) ^ (d->X[2 * i + 1] > 0));
        EXPECT(bad == 0, "xor: %d labels differ from the XOR of the signs", bad);
        ct_data_destroy(d);
    }
    d = load_ok("xor:n=4", NULL);
    if (d) {
        const float want[8] = {0, 0, 0, 1, 1, 0, 1, 1};
        const int32_t wl[4] = {0, 1, 1, 0};
        EXPECT(d->n == 4 && memcmp(d->X, want, sizeof want) == 0 &&
                   memcmp(d->labels, wl, sizeof wl) == 0,
               "xor:n=4 is not the truth table");
        ct_data_destroy(d);
    }
    d = load_ok("xor:n=8,noise=0", NULL);
    if (d) {
        int bad = 0;
        for (int i = 0; i < 16; i++)
            bad += fabsf(d->X[i]) != 1.0f;
        EXPECT(bad == 0, "xor noise=0: %d coordinates not at +-1", bad);
        ct_data_destroy(d);
    }
    d = load_ok("moons:n=1001,noise=0", NULL);
    if (d) {
        EXPECT(count_class(d, 0) == 500 && count_class(d, 1) == 501, "moons: %d / %d per class",
               count_class(d, 0), count_class(d, 1));
        double worst = 0.0;
        int side = 0;
        for (int i = 0; i < d->n; i++) {
            double x = d->X[2 * i], y = d->X[2 * i + 1];
            double r = d->labels[i] == 0 ? hypot(x, y) : hypot(x - 1.0, y - 0.5);
            worst = fmax(worst, fabs(r - 1.0));
            side += d->labels[i] == 0 ? y < -1e-6 : y > 0.5 + 1e-6;
        }
        EXPECT(worst < 1e-5 && side == 0, "moons: radius off by %g, %d points on the wrong side",
               worst, side);
        ct_data_destroy(d);
    }
    d = load_ok("circles:noise=0,factor=0.3", NULL);
    if (d) {
        EXPECT(count_class(d, 0) == 500 && count_class(d, 1) == 500, "circles: %d / %d per class",
               count_class(d, 0), count_class(d, 1));
        double worst = 0.0;
        for (int i = 0; i < d->n; i++) {
            double r = hypot(d->X[2 * i], d->X[2 * i + 1]);
            worst = fmax(worst, fabs(r - (d->labels[i] == 0 ? 1.0 : 0.3)));
        }
        EXPECT(worst < 1e-5, "circles: radius off by %g", worst);
        ct_data_destroy(d);
    }
    d = load_ok("circles", NULL); /* noise 0.05: mean radii near 1 and 0.5 */
    if (d) {
        double r0 = 0, r1 = 0;
        for (int i = 0; i < d->n; i++) {
            double r = hypot(d->X[2 * i], d->X[2 * i + 1]);
            if (d->labels[i])
                r1 += r / 500;
            else
                r0 += r / 500;
        }
        EXPECT(fabs(r0 - 1.0) < 0.02 && fabs(r1 - 0.5) < 0.02, "circles: mean radii %g, %g", r0,
               r1);
        ct_data_destroy(d);
    }
    d = load_ok("blobs:n=400,centers=4,std=0.01,box=5", NULL);
    if (d) {
        int bal = 1, far = 0;
        for (int k = 0; k < 4; k++)
            bal &= count_class(d, k) == 100;
        EXPECT(bal, "blobs: unbalanced");
        /* every point lies within 0.1 of its class mean, inside the box */
        double mean[8] = {0};
        for (int i = 0; i < d->n; i++)
            for (int j = 0; j < 2; j++)
                mean[d->labels[i] * 2 + j] += d->X[2 * i + j] / 100.0;
        for (int i = 0; i < d->n; i++) {
            double dx = d->X[2 * i] - mean[d->labels[i] * 2];
            double dy = d->X[2 * i + 1] - mean[d->labels[i] * 2 + 1];
            far += hypot(dx, dy) > 0.1 || fabs(d->X[2 * i]) > 5.1 || fabs(d->X[2 * i + 1]) > 5.1;
        }
        EXPECT(far == 0, "blobs: %d points away from their center or outside the box", far);
        ct_data_destroy(d);
    }
    d = load_ok("spirals", NULL);
    if (d) {
        int bal = 1, out = 0;
        for (int k = 0; k < 3; k++)
            bal &= count_class(d, k) == 200;
        for (int i = 0; i < d->n; i++)
            out += hypot(d->X[2 * i], d->X[2 * i + 1]) > 1.0 + 1e-6;
        EXPECT(bal && out == 0, "spirals: balanced %d, %d points beyond radius 1", bal, out);
        ct_data_destroy(d);
    }
    d = load_ok("sine", NULL);
    if (d) {
        int bad = 0;
        double se = 0.0;
        for (int i = 0; i < d->n; i++) {
            bad += d->X[i] < -3.1416f || d->X[i] > 3.1416f;
            double e = d->Y[i] - sin(d->X[i]);
            se += e * e / d->n;
        }
        EXPECT(d->task == CT_TASK_REGRESSION && d->outputs == 1 && d->Y && !d->labels &&
                   d->n_classes == 0 && strcmp(d->target_names[0], "y") == 0,
               "sine: not a regression with target y");
        EXPECT(bad == 0 && fabs(sqrt(se) - 0.1) < 0.01, "sine: %d x out of range, noise std %g",
               bad, sqrt(se));
        ct_data_destroy(d);
    }
    d = load_ok("sine:noise=0,n=50", NULL);
    if (d) {
        double worst = 0.0;
        for (int i = 0; i < d->n; i++)
            worst = fmax(worst, fabs(d->Y[i] - sin(d->X[i])));
        EXPECT(worst < 1e-6, "sine noise=0: |y - sin x| up to %g", worst);
        ct_data_destroy(d);
    }
    /* make_classification: redundant features are combinations of informative ones, so the
     * covariance has rank informative + repeated-free useless features = 20 - 5. */
    d = load_ok("classification", NULL);
    if (d) {
        int r = covariance_rank(d);
        EXPECT(r == 15, "classification: covariance rank %d, want 15 (10 informative + 5 noise)",
               r);
        int c0 = count_class(d, 0);
        EXPECT(c0 > 950 && c0 < 1050, "classification: %d of 2000 in class 0", c0);
        ct_data_destroy(d);
    }
    d = load_ok("classification:repeated=3,redundant=2", NULL);
    if (d) {
        int r = covariance_rank(d);
        EXPECT(r == 15, "classification repeated=3 redundant=2: rank %d, want 15", r);
        ct_data_destroy(d);
    }
    /* flip_y: with shuffle=0 the features do not depend on flip_y; labels differ in about
     * flip_y * (1 - 1/classes) of the rows. */
    ct_dataset *a = load_ok("classification:n=4000,flip_y=0,shuffle=0,seed=3", NULL);
    ct_dataset *b = load_ok("classification:n=4000,flip_y=0.3,shuffle=0,seed=3", NULL);
    if (a && b) {
        EXPECT(memcmp(a->X, b->X, (size_t)a->n * a->features * sizeof(float)) == 0,
               "classification: X depends on flip_y");
        int diff = 0;
        for (int i = 0; i < a->n; i++)
            diff += a->labels[i] != b->labels[i];
        EXPECT(fabs(diff / 4000.0 - 0.15) < 0.025, "classification: %d of 4000 labels flipped",
               diff);
        /* with shuffle=0 each cluster is a block of rows: class k % 2 */
        int bad = 0;
        for (int i = 0; i < a->n; i++)
            bad += a->labels[i] != (i / 1000) % 2;
        EXPECT(bad == 0, "classification shuffle=0: %d rows out of their cluster block", bad);
        /* clusters sit at hypercube vertices: informative column means are +-class_sep-ish */
    }
    ct_data_destroy(a);
    ct_data_destroy(b);
    /* class_sep separates the clusters: 2 informative features, one cluster per class, no
     * noise: class means are 2*class_sep apart in at least one coordinate. */
    d = load_ok("classification:n=2000,features=2,informative=2,redundant=0,clusters_per_class=1,"
                "flip_y=0,class_sep=4",
                NULL);
    if (d) {
        double m[2][2] = {{0, 0}, {0, 0}};
        for (int i = 0; i < d->n; i++)
            for (int j = 0; j < 2; j++)
                m[d->labels[i]][j] += d->X[2 * i + j] / 1000.0;
        double gap = fmax(fabs(m[0][0] - m[1][0]), fabs(m[0][1] - m[1][1]));
        EXPECT(fabs(gap - 8.0) < 0.3, "classification class_sep=4: class means %g apart", gap);
        ct_data_destroy(d);
    }

    /* bad sources and options */
    load_bad("moons:n=abc", NULL, CT_ERR_ARG,
             "moons:n=abc: option n expects a positive integer, got 'abc'", (char *)NULL);
    load_bad("moons:n=0", NULL, CT_ERR_ARG, "moons:n=0", "option n", "positive integer", "'0'",
             (char *)NULL);
    load_bad("moons:noise=-1", NULL, CT_ERR_ARG, "moons:noise=-1", "option noise",
             "non-negative number", (char *)NULL);
    load_bad("xor:n=1", NULL, CT_ERR_ARG, "xor:n=1", "at least 2", (char *)NULL);
    load_bad("moons:foo=1", NULL, CT_ERR_ARG, "moons:foo=1", "unknown option 'foo'", "noise",
             (char *)NULL);
    load_bad("moons:n", NULL, CT_ERR_ARG, "moons:n", "key=value", (char *)NULL);
    load_bad("moons:n=5,n=6", NULL, CT_ERR_ARG, "given twice", (char *)NULL);
    load_bad("moons:n=5,", NULL, CT_ERR_ARG, "empty option", (char *)NULL);
    load_bad("moons:seed=abc", NULL, CT_ERR_ARG, "option seed", "'abc'", (char *)NULL);
    load_bad("circles:factor=1", NULL, CT_ERR_ARG, "option factor", "[0, 1)", (char *)NULL);
    load_bad("classification:informative=15,redundant=10", NULL, CT_ERR_ARG,
             "classification:informative=15,redundant=10", "must not exceed features",
             (char *)NULL);
    load_bad("classification:classes=5,informative=2,redundant=0", NULL, CT_ERR_ARG,
             "2^informative", (char *)NULL);
    load_bad("classification:flip_y=2", NULL, CT_ERR_ARG, "option flip_y", "[0, 1]", (char *)NULL);
    load_bad("spirals:classes=1", NULL, CT_ERR_ARG, "spirals:classes=1", "option classes",
             "at least 2", (char *)NULL);
    load_bad("blobs:centers=1", NULL, CT_ERR_ARG, "option centers", (char *)NULL);
    load_bad("blobs:n=2,centers=3", NULL, CT_ERR_ARG, "option n", "at least 3", (char *)NULL);
    load_bad("foo:n=3", NULL, CT_ERR_ARG, "foo:n=3", "unknown generator 'foo'", "moons",
             (char *)NULL);
    load_bad("nosuchthing", NULL, CT_ERR_ARG, "unknown generator 'nosuchthing'", (char *)NULL);
}

/* ---- CSV ------------------------------------------------------------------------------------ */

static void test_csv(void) {
    ct_data_opts o = opts_default();
    /* header, string labels: classes sorted by name */
    const char *p = write_text("h.csv", "a,b,kind\n1,2,zebra\n3,4,ant\n5,6,zebra\n7,8,mole\n");
    ct_dataset *d = load_ok(p, NULL);
    if (d) {
        EXPECT(d->n == 4 && d->features == 2 && d->n_classes == 3, "h.csv: n %d f %d k %d", d->n,
               d->features, d->n_classes);
        EXPECT(strcmp(d->class_names[0], "ant") == 0 && strcmp(d->class_names[1], "mole") == 0 &&
                   strcmp(d->class_names[2], "zebra") == 0,
               "h.csv: class order");
        EXPECT(d->labels[0] == 2 && d->labels[1] == 0 && d->labels[2] == 2 && d->labels[3] == 1,
               "h.csv: labels");
        EXPECT(strcmp(d->feature_names[0], "a") == 0 && strcmp(d->feature_names[1], "b") == 0,
               "h.csv: feature names");
        EXPECT(d->X[0] == 1 && d->X[7] == 8, "h.csv: X");
        ct_data_destroy(d);
    }
    /* no header, string labels in the first two rows: not a header */
    p = write_text("nh.csv", "1,2,b\n3,4,a\n");
    d = load_ok(p, NULL);
    if (d) {
        EXPECT(d->n == 2 && strcmp(d->feature_names[0], "x0") == 0 && d->labels[0] == 1,
               "nh.csv: n %d", d->n);
        ct_data_destroy(d);
    }
    /* numeric labels sorted numerically; quoted fields; CRLF; no final newline */
    p = write_text("q.csv", "\"x, one\",\"y \"\"two\"\"\",label\r\n\"1.5\",2,10\r\n3,\"4\",2\r\n"
                            "5,6,1\r\n7,8,2");
    d = load_ok(p, NULL);
    if (d) {
        EXPECT(d->n == 4 && d->n_classes == 3, "q.csv: n %d k %d", d->n, d->n_classes);
        EXPECT(strcmp(d->feature_names[0], "x, one") == 0 &&
                   strcmp(d->feature_names[1], "y \"two\"") == 0,
               "q.csv: names '%s' '%s'", d->feature_names[0], d->feature_names[1]);
        EXPECT(strcmp(d->class_names[0], "1") == 0 && strcmp(d->class_names[1], "2") == 0 &&
                   strcmp(d->class_names[2], "10") == 0,
               "q.csv: numeric class order");
        EXPECT(d->labels[0] == 2 && d->labels[1] == 1 && d->labels[2] == 0, "q.csv: labels");
        EXPECT(d->X[0] == 1.5f && d->X[3] == 4.0f, "q.csv: X");
        ct_data_destroy(d);
    }
    /* quoted field with a newline inside; blank lines at the end; ';' separator */
    p = write_text("semi.csv", "a;b;c\n1;2;\"x\ny\"\n3;4;z\n\n\n");
    d = load_ok(p, NULL);
    if (d) {
        EXPECT(d->n == 2 && d->features == 2 && strcmp(d->class_names[0], "x\ny") == 0,
               "semi.csv: n %d", d->n);
        ct_data_destroy(d);
    }
    p = write_text("tab.tsv", "a\tb\tc\n1\t2\t0\n3\t4\t1\n");
    d = load_ok(p, NULL);
    if (d) {
        EXPECT(d->n == 2 && d->features == 2 && d->n_classes == 2, "tab.tsv: n %d f %d", d->n,
               d->features);
        ct_data_destroy(d);
    }
    /* label by name and by index */
    p = write_text("lab.csv", "species,a,b\ncat,1,2\ndog,3,4\ncat,5,6\n");
    o.label = "species";
    d = load_ok(p, &o);
    if (d) {
        EXPECT(d->features == 2 && d->n_classes == 2 && d->X[0] == 1 && d->labels[1] == 1 &&
                   strcmp(d->feature_names[0], "a") == 0,
               "lab.csv by name");
        ct_data_destroy(d);
    }
    o.label = "0";
    d = load_ok(p, &o);
    if (d) {
        EXPECT(d->features == 2 && d->n_classes == 2 && d->X[5] == 6, "lab.csv by index");
        ct_data_destroy(d);
    }
    o.label = "1";
    d = load_ok(write_text("lab1.csv", "1,2,3\n4,5,6\n7,2,9\n"), &o); /* no header: 2, 5, 2 */
    if (d) {
        EXPECT(d->n_classes == 2 && d->task == CT_TASK_CLASSIFICATION && d->labels[1] == 1 &&
                   d->X[1] == 3.0f && strcmp(d->feature_names[1], "x1") == 0,
               "lab1.csv: label index 1 without a header");
        ct_data_destroy(d);
    }
    o.label = NULL;
    /* regression auto-detection */
    p = write_text("reg.csv", "x,y\n1,0.5\n2,1.5\n3,2\n");
    d = load_ok(p, NULL);
    if (d) {
        EXPECT(d->task == CT_TASK_REGRESSION && d->Y && d->Y[0] == 0.5f && d->outputs == 1 &&
                   strcmp(d->target_names[0], "y") == 0 && !d->labels,
               "reg.csv: non-integer labels are a regression");
        ct_data_destroy(d);
    }
    {
        char buf[4096] = "x,t\n";
        for (int i = 0; i < 100; i++) /* 50 distinct integers in 100 rows */
            snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%d,%d\n", i, i / 2);
        p = write_text("reg2.csv", buf);
        d = load_ok(p, NULL);
        if (d) {
            EXPECT(d->task == CT_TASK_REGRESSION && strcmp(d->target_names[0], "t") == 0,
                   "reg2.csv: 50 distinct integers in 100 rows are a regression");
            ct_data_destroy(d);
        }
        o.task = CT_TASK_CLASSIFICATION;
        d = load_ok(p, &o);
        if (d) {
            EXPECT(d->task == CT_TASK_CLASSIFICATION && d->n_classes == 50,
                   "reg2.csv as classification: %d classes", d->n_classes);
            ct_data_destroy(d);
        }
        o.task = CT_TASK_AUTO;
    }
    {
        /* 21 distinct of 1000 rows (2.1%): classification */
        size_t cap = 16000;
        char *buf = test_alloc(cap, 1);
        for (int i = 0; i < 1000; i++)
            snprintf(buf + strlen(buf), cap - strlen(buf), "%d,%d\n", i % 7, i % 21);
        p = write_text("cls21.csv", buf);
        free(buf);
        d = load_ok(p, NULL);
        if (d) {
            EXPECT(d->task == CT_TASK_CLASSIFICATION && d->n_classes == 21 && d->n == 1000,
                   "cls21.csv: task %d classes %d", (int)d->task, d->n_classes);
            ct_data_destroy(d);
        }
    }
    o.task = CT_TASK_REGRESSION;
    p = write_text("forced.csv", "x,y\n1,0\n2,1\n3,0\n");
    d = load_ok(p, &o);
    if (d) {
        EXPECT(d->task == CT_TASK_REGRESSION && d->Y[1] == 1.0f, "forced regression");
        ct_data_destroy(d);
    }
    load_bad(write_text("forced_bad.csv", "x,y\n1,0\n2,b\n"), &o, CT_ERR_FORMAT,
             "forced_bad.csv:3, column 2 ('y')", "'b'", (char *)NULL);
    o.task = CT_TASK_AUTO;
    /* class_names given: mapped onto them, unknown labels named */
    char *names[] = {"virginica", "setosa", "versicolor"};
    o.class_names = names;
    o.n_classes = 3;
    p = write_text("map.csv", "a,s\n1,setosa\n2,virginica\n");
    d = load_ok(p, &o);
    if (d) {
        EXPECT(d->n_classes == 3 && d->labels[0] == 1 && d->labels[1] == 0 &&
                   strcmp(d->class_names[2], "versicolor") == 0,
               "map.csv: mapped labels");
        ct_data_destroy(d);
    }
    load_bad(write_text("map_bad.csv", "a,s\n1,setosa\n2,rose\n"), &o, CT_ERR_FORMAT,
             "map_bad.csv:3, column 2 ('s')", "unknown label 'rose'", "virginica", (char *)NULL);
    char *num_names[] = {"0", "1"};
    o.class_names = num_names;
    o.n_classes = 2;
    d = load_ok(write_text("map_num.csv", "a,s\n1,1.0\n2,0\n"), &o); /* 1.0 -> "1" by value */
    if (d) {
        EXPECT(d->labels[0] == 1 && d->labels[1] == 0, "map_num.csv: numeric mapping");
        ct_data_destroy(d);
    }
    o.class_names = NULL;
    o.n_classes = 0;
    /* predict: no label column */
    o.require_labels = 0;
    d = load_ok(write_text("pred.csv", "a,b,c\n1,2,3\n4,5,6\n"), &o);
    if (d) {
        EXPECT(d->features == 3 && d->n == 2 && !d->labels && !d->Y, "pred.csv: all features");
        ct_data_destroy(d);
    }
    o.label = "c";
    d = load_ok(write_text("pred.csv", "a,b,c\n1,2,3\n4,5,6\n"), &o);
    if (d) {
        EXPECT(d->features == 2 && d->n == 2, "pred.csv with label c: %d features", d->features);
        ct_data_destroy(d);
    }
    o.label = "missing";
    d = load_ok(write_text("pred.csv", "a,b,c\n1,2,3\n4,5,6\n"), &o);
    if (d) {
        EXPECT(d->features == 3 && !d->labels, "pred.csv: an absent label column is fine");
        ct_data_destroy(d);
    }
    o.label = NULL;
    o.require_labels = 1;
    /* gzip CSV */
    const char *gz = "a,b\n1,x\n2,y\n";
    d = load_ok(write_gz("z.csv.gz", gz, strlen(gz)), NULL);
    if (d) {
        EXPECT(d->n == 2 && d->n_classes == 2, "z.csv.gz");
        ct_data_destroy(d);
    }
    /* a long line (4 MB label) grows the buffer */
    {
        size_t big = 4u << 20;
        char *buf = test_alloc(big + 64, 1);
        strcpy(buf, "a,b\n1,");
        size_t len = strlen(buf);
        memset(buf + len, 'q', big);
        strcpy(buf + len + big, "\n2,short\n");
        d = load_ok(write_text("long.csv", buf), NULL);
        free(buf);
        if (d) {
            EXPECT(d->n == 2 && d->n_classes == 2 && strlen(d->class_names[0]) == big,
                   "long.csv: a 4 MB label");
            ct_data_destroy(d);
        }
    }

    /* bad inputs: each names the file, line and column */
    load_bad(tpath("missing.csv"), NULL, CT_ERR_IO, "missing.csv", "No such file", (char *)NULL);
    load_bad(write_text("empty.csv", ""), NULL, CT_ERR_FORMAT, "empty.csv", "empty", (char *)NULL);
    load_bad(write_text("blank.csv", "\n\n"), NULL, CT_ERR_FORMAT, "blank.csv", "empty",
             (char *)NULL);
    load_bad(write_text("hdr.csv", "a,b,c\n"), NULL, CT_ERR_FORMAT, "hdr.csv:1", "header only",
             (char *)NULL);
    load_bad(write_text("ragged.csv", "a,b,c,d,e\n1,2,3,4,0\n1,2,3,4,1\n1,2,3,4,0\n1,2,3,4,1\n"
                                      "1,2,3,4,0\n1,2,3,0\n"),
             NULL, CT_ERR_FORMAT, "ragged.csv:7: expected 5 fields, found 4", (char *)NULL);
    /* tables (issue 27): text makes a column categorical unless --numeric; empty cells and
     * NA, nan, ... are missing unless --na-values leaves them out */
    ct_data_opts q = opts_default();
    q.numeric = "petal_width";
    load_bad(write_text("nonnum.csv", "a,b,petal_width,c\n1,2,3,x\n1,2,abc,y\n"), &q,
             CT_ERR_FORMAT,
             "nonnum.csv:3, column 3 ('petal_width'): expected a number (--numeric), found 'abc'",
             (char *)NULL);
    {
        ct_dataset *d = load_ok(write_text("nonnum2.csv", "1,2,x\n1,,y\n3,4,x\n"), NULL);
        EXPECT(d && ct_data_features(d) == 2 && ct_data_x(d)[3] == 3.0f,
               "nonnum2.csv: the empty cell takes the median of 2 and 4 (3), got %g",
               d ? (double)ct_data_x(d)[3] : -1.0);
        char line[256];
        EXPECT(d && ct_data_describe_columns(d, line, sizeof line) &&
                   !strcmp(line, "2 numeric (1 with missing cells, filled with medians) -> 2 "
                                 "inputs"),
               "nonnum2.csv: columns line '%s'", line);
        ct_data_destroy(d);
        d = load_ok(write_text("cat.csv", "a,b,c\n1,x,p\n2,,q\n3,w,p\n4,x,q\n"), NULL);
        static const float want[] = {1, 0, 1, 0, 2, 0, 0, 1, 3, 1, 0, 0, 4, 0, 1, 0};
        int same = d && ct_data_features(d) == 4;
        for (int i = 0; same && i < 16; i++)
            same = ct_data_x(d)[i] == want[i];
        EXPECT(same, "cat.csv: b one-hot as w, x, <missing> (features %d)",
               d ? ct_data_features(d) : -1);
        ct_data_destroy(d);
    }
    q = opts_default();
    q.na_values = "";
    load_bad(write_text("nan.csv", "a,b,c\n1,2,x\n1,nan,y\n"), &q, CT_ERR_NUMERIC,
             "nan.csv:3, column 2 ('b')", "finite number", "'nan'", (char *)NULL);
    load_bad(write_text("inf.csv", "a,b,c\n1,2,x\n1,2,y\n-inf,2,y\n"), NULL, CT_ERR_NUMERIC,
             "inf.csv:4, column 1 ('a')", "finite", (char *)NULL);
    load_bad(write_text("big.csv", "a,b,c\n1,2,x\n1,1e300,y\n"), NULL, CT_ERR_NUMERIC,
             "big.csv:3, column 2", "float range", (char *)NULL);
    load_bad(write_text("nanlab.csv", "a,b\n1,0.5\n2,nan\n"), NULL, CT_ERR_FORMAT,
             "nanlab.csv:3, column 2 ('b')", "the label is missing", (char *)NULL);
    o.label = "target";
    load_bad(write_text("nolab.csv", "a,b,c\n1,2,3\n4,5,6\n"), &o, CT_ERR_FORMAT,
             "nolab.csv: no column named 'target' (columns: a, b, c)", (char *)NULL);
    load_bad(write_text("nolab2.csv", "1,2,3\n4,5,6\n"), &o, CT_ERR_FORMAT, "nolab2.csv",
             "no column named 'target'", "no header", (char *)NULL);
    o.label = "7";
    load_bad(write_text("nolab3.csv", "a,b,c\n1,2,3\n4,5,6\n"), &o, CT_ERR_FORMAT, "nolab3.csv",
             "index 7", "out of range", (char *)NULL);
    o.label = NULL;
    load_bad(write_text("one.csv", "a,b,c\n1,2,x\n1,3,x\n"), NULL, CT_ERR_FORMAT, "one.csv",
             "only one class ('x')", "column 3 ('c')", (char *)NULL);
    load_bad(write_text("onecol.csv", "a\n1\n2\n"), NULL, CT_ERR_FORMAT, "onecol.csv",
             "only one column", (char *)NULL);
    load_bad(write_text("quote.csv", "a,b\n1,x\n2,\"open\n3,y\n"), NULL, CT_ERR_FORMAT,
             "quote.csv:3, column 2", "unterminated", (char *)NULL);
    load_bad(write_text("quote2.csv", "a,b\n1,\"x\"z\n"), NULL, CT_ERR_FORMAT,
             "quote2.csv:2, column 2", "after a closing quote", (char *)NULL);
    /* a gzip file cut short */
    {
        const char *txt = "a,b\n1,x\n2,y\n3,x\n4,y\n";
        const char *full = write_gz("cut.csv.gz", txt, strlen(txt));
        FILE *f = fopen(full, "rb");
        unsigned char buf[256];
        size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
        if (f) fclose(f);
        load_bad(write_bytes("cut.csv.gz", buf, n > 12 ? n - 12 : n), NULL, CT_ERR_IO, "cut.csv.gz",
                 (char *)NULL);
    }
}

/* Random tables written with a random separator, quoting, line ending and header, read back
 * exactly (%.9g round-trips a float). */
static void test_csv_random(void) {
    test_rng r = test_rng_make(test_seed(2024));
    for (int trial = 0; trial < 12; trial++) {
        int k = test_rng_int(&r, 2, 5), rows = test_rng_int(&r, k, 300);
        int cols = test_rng_int(&r, 1, 17), header = test_rng_int(&r, 0, 1);
        const char seps[3] = {',', ';', '\t'};
        char sep = seps[test_rng_int(&r, 0, 2)];
        const char *eol = test_rng_int(&r, 0, 1) ? "\r\n" : "\n";
        float *x = test_alloc((size_t)rows * cols, sizeof(float));
        int *lab = test_alloc((size_t)rows, sizeof(int));
        test_fillf(&r, x, (size_t)rows * cols, -1000.0f, 1000.0f);
        test_fill_int(&r, lab, (size_t)rows, 0, k - 1);
        for (int c = 0; c < k; c++)
            lab[c] = c; /* every class present */
        size_t cap = (size_t)rows * (cols + 1) * 24 + 4096, len = 0;
        char *buf = test_alloc(cap, 1);
        if (header) {
            for (int j = 0; j < cols; j++)
                len += (size_t)snprintf(buf + len, cap - len, "f%d%c", j, sep);
            len += (size_t)snprintf(buf + len, cap - len, "label%s", eol);
        }
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                const char *q = test_rng_int(&r, 0, 3) == 0 ? "\"" : "";
                len += (size_t)snprintf(buf + len, cap - len, "%s%.9g%s%c", q,
                                        (double)x[(size_t)i * cols + j], q, sep);
            }
            len += (size_t)snprintf(buf + len, cap - len, "%d%s", lab[i],
                                    i + 1 < rows || test_rng_int(&r, 0, 1) ? eol : "");
        }
        char name[32];
        snprintf(name, sizeof name, "rand%d.csv", trial);
        ct_dataset *d = load_ok(write_text(name, buf), NULL);
        if (d) {
            EXPECT(d->n == rows && d->features == cols && d->n_classes == k,
                   "%s: (%d, %d) with %d classes, want (%d, %d) with %d", name, d->n, d->features,
                   d->n_classes, rows, cols, k);
            if (d->n == rows && d->features == cols && d->n_classes == k) {
                int bad = 0;
                for (size_t i = 0; i < (size_t)rows * cols; i++)
                    bad += d->X[i] != x[i];
                for (int i = 0; i < rows; i++)
                    bad += d->labels[i] != lab[i];
                EXPECT(bad == 0, "%s: %d values differ (sep '%c', header %d)", name, bad, sep,
                       header);
                EXPECT(strcmp(d->feature_names[0], header ? "f0" : "x0") == 0,
                       "%s: feature name '%s'", name, d->feature_names[0]);
            }
            ct_data_destroy(d);
        }
        free(x);
        free(lab);
        free(buf);
    }
}

/* ---- IDX ------------------------------------------------------------------------------------ */

static size_t idx_bytes(unsigned char *out, uint32_t magic, const uint32_t *dims, int ndim,
                        const unsigned char *data, size_t n) {
    size_t k = 0;
    for (int s = 24; s >= 0; s -= 8)
        out[k++] = (unsigned char)(magic >> s);
    for (int i = 0; i < ndim; i++)
        for (int s = 24; s >= 0; s -= 8)
            out[k++] = (unsigned char)(dims[i] >> s);
    memcpy(out + k, data, n);
    return k + n;
}

static void test_idx(void) {
    enum { N = 5, R = 3, C = 2 };
    unsigned char pix[N * R * C], lab[N] = {3, 1, 3, 7, 1};
    for (int i = 0; i < N * R * C; i++)
        pix[i] = (unsigned char)(i * 37 % 256);
    unsigned char img[256], lbl[64];
    uint32_t idims[3] = {N, R, C}, ldims[1] = {N};
    size_t ni = idx_bytes(img, 0x803, idims, 3, pix, sizeof pix);
    size_t nl = idx_bytes(lbl, 0x801, ldims, 1, lab, sizeof lab);
    ct_data_opts o = opts_default();
    for (int gz = 0; gz < 2; gz++) {
        const char *ip =
            gz ? write_gz("img-idx3-ubyte.gz", img, ni) : write_bytes("img-idx3-ubyte", img, ni);
        const char *lp =
            gz ? write_gz("lab-idx1-ubyte.gz", lbl, nl) : write_bytes("lab-idx1-ubyte", lbl, nl);
        o.labels_path = lp;
        ct_dataset *d = load_ok(ip, &o);
        if (!d) continue;
        EXPECT(d->n == N && d->features == R * C && d->n_classes == 3, "idx%s: n %d f %d k %d",
               gz ? ".gz" : "", d->n, d->features, d->n_classes);
        int bad = 0;
        for (int i = 0; i < N * R * C; i++)
            bad += d->X[i] != (float)(pix[i] * (1.0 / 255.0));
        EXPECT(bad == 0, "idx%s: %d pixels not scaled to [0, 1]", gz ? ".gz" : "", bad);
        EXPECT(strcmp(d->class_names[0], "1") == 0 && strcmp(d->class_names[2], "7") == 0 &&
                   d->labels[0] == 1 && d->labels[1] == 0 && d->labels[3] == 2,
               "idx%s: classes", gz ? ".gz" : "");
        ct_data_destroy(d);
    }
    /* float images (0x0D) with no extension: detected by content, values as they are */
    {
        unsigned char fb[N * 2 * 4];
        for (int i = 0; i < N * 2; i++) {
            float v = (float)i - 2.5f;
            uint32_t w;
            memcpy(&w, &v, 4);
            for (int s = 0; s < 4; s++)
                fb[i * 4 + s] = (unsigned char)(w >> (24 - 8 * s));
        }
        uint32_t fd[2] = {N, 2};
        unsigned char buf[128];
        size_t nb = idx_bytes(buf, 0xD02, fd, 2, fb, sizeof fb);
        o.labels_path = tpath("lab-idx1-ubyte");
        ct_dataset *d = load_ok(write_bytes("floatimages", buf, nb), &o);
        if (d) {
            EXPECT(d->features == 2 && d->X[0] == -2.5f && d->X[9] == 6.5f, "float idx values");
            ct_data_destroy(d);
        }
    }
    o.labels_path = tpath("lab-idx1-ubyte");
    /* errors */
    unsigned char bad[256];
    memcpy(bad, img, ni);
    bad[2] = 0x04;
    load_bad(write_bytes("magic-idx3-ubyte", bad, ni), &o, CT_ERR_FORMAT, "magic-idx3-ubyte",
             "0x00000403", "0x00000803", (char *)NULL);
    load_bad(tpath("lab-idx1-ubyte"), &o, CT_ERR_FORMAT, "lab-idx1-ubyte", "0x00000801",
             "expected 0x00000803", (char *)NULL);
    load_bad(write_bytes("trunc-idx3-ubyte", img, ni - 7), &o, CT_ERR_FORMAT, "trunc-idx3-ubyte",
             "truncated", "expected 30 bytes", "found 23", (char *)NULL);
    load_bad(write_gz("trunc-idx3-ubyte.gz", img, ni - 7), &o, CT_ERR_FORMAT, "trunc-idx3-ubyte.gz",
             "expected 30 bytes", "found 23", (char *)NULL);
    load_bad(write_bytes("hdr-idx3-ubyte", img, 10), &o, CT_ERR_FORMAT, "hdr-idx3-ubyte",
             "truncated IDX header", (char *)NULL);
    {
        uint32_t d4[1] = {4};
        unsigned char l4[64];
        size_t n4 = idx_bytes(l4, 0x801, d4, 1, lab, 4);
        o.labels_path = write_bytes("lab4-idx1-ubyte", l4, n4);
        load_bad(tpath("img-idx3-ubyte"), &o, CT_ERR_FORMAT, "lab4-idx1-ubyte",
                 "4 labels for 5 rows", "img-idx3-ubyte", (char *)NULL);
    }
    o.labels_path = tpath("img-idx3-ubyte"); /* images given as labels */
    load_bad(tpath("img-idx3-ubyte"), &o, CT_ERR_FORMAT, "0x00000803", "expected 0x00000801",
             (char *)NULL);
    o.labels_path = tpath("nolabels-idx1-ubyte");
    load_bad(tpath("img-idx3-ubyte"), &o, CT_ERR_IO, "nolabels-idx1-ubyte", "No such file",
             (char *)NULL);
    o.labels_path = NULL;
    load_bad(tpath("img-idx3-ubyte"), &o, CT_ERR_ARG, "img-idx3-ubyte", "--labels", (char *)NULL);
    o.require_labels = 0;
    ct_dataset *d = load_ok(tpath("img-idx3-ubyte"), &o);
    if (d) {
        EXPECT(d->n == N && !d->labels, "idx without labels for predict");
        ct_data_destroy(d);
    }
}

/* ---- NPY ------------------------------------------------------------------------------------ */

/* An NPY file (version major) of descr and shape with the data bytes. */
static const char *npy_file(const char *name, int major, const char *descr, const char *fortran,
                            const char *shape, const void *data, size_t n) {
    char dict[256];
    int len = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }",
                       descr, fortran, shape);
    size_t pre = major == 1 ? 10 : 12;
    size_t total = pre + (size_t)len + 1;
    size_t pad = (64 - total % 64) % 64;
    size_t hl = (size_t)len + pad + 1;
    unsigned char *buf = test_alloc(pre + hl + n, 1);
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (unsigned char)major;
    buf[7] = 0;
    buf[8] = (unsigned char)(hl & 255);
    buf[9] = (unsigned char)(hl >> 8);
    if (major != 1) buf[10] = buf[11] = 0;
    memcpy(buf + pre, dict, (size_t)len);
    memset(buf + pre + len, ' ', pad);
    buf[pre + hl - 1] = '\n';
    memcpy(buf + pre + hl, data, n);
    const char *p = write_bytes(name, buf, pre + hl + n);
    free(buf);
    return p;
}

static void test_npy(void) {
    enum { N = 6, F = 3 };
    float xf[N * F];
    double xd[N * F];
    for (int i = 0; i < N * F; i++)
        xd[i] = xf[i] = (float)(i * 0.25 - 1.0);
    int32_t l4[N] = {0, 2, 1, 0, 2, 1};
    int64_t l8[N] = {5, 5, 9, 9, 5, 9};
    uint8_t l1[N] = {1, 0, 1, 0, 1, 0};
    double lf[N] = {1, 0, 1, 0, 1, 0}, lr[N] = {0.5, 1.25, 2, 3, 4, 5};
    ct_data_opts o = opts_default();
    const char *x4 = npy_file("x4.npy", 1, "<f4", "False", "(6, 3)", xf, sizeof xf);
    const char *x8 = npy_file("x8.npy", 2, "<f8", "False", "(6, 3)", xd, sizeof xd);
    struct {
        const char *name, *descr;
        const void *data;
        size_t n;
        int k;
    } labs[] = {{"l4.npy", "<i4", l4, sizeof l4, 3},
                {"l8.npy", "<i8", l8, sizeof l8, 2},
                {"l1.npy", "|u1", l1, sizeof l1, 2},
                {"lf.npy", "<f8", lf, sizeof lf, 2}};
    for (int x = 0; x < 2; x++)
        for (int i = 0; i < 4; i++) {
            o.labels_path =
                npy_file(labs[i].name, 1, labs[i].descr, "False", "(6,)", labs[i].data, labs[i].n);
            ct_dataset *d = load_ok(x ? x8 : x4, &o);
            if (!d) continue;
            EXPECT(d->n == N && d->features == F && d->task == CT_TASK_CLASSIFICATION &&
                       d->n_classes == labs[i].k,
                   "npy %s + %s: n %d f %d k %d", x ? "f8" : "f4", labs[i].descr, d->n, d->features,
                   d->n_classes);
            int bad = 0;
            for (int j = 0; j < N * F; j++)
                bad += d->X[j] != xf[j];
            EXPECT(bad == 0, "npy %s: %d values differ", x ? "f8" : "f4", bad);
            ct_data_destroy(d);
        }
    o.labels_path = tpath("l8.npy");
    ct_dataset *d = load_ok(x4, &o);
    if (d) {
        EXPECT(strcmp(d->class_names[0], "5") == 0 && strcmp(d->class_names[1], "9") == 0 &&
                   d->labels[2] == 1,
               "npy i8 class names");
        ct_data_destroy(d);
    }
    o.labels_path = npy_file("lr.npy", 1, "<f8", "False", "(6, 1)", lr, sizeof lr);
    d = load_ok(x4, &o);
    if (d) {
        EXPECT(d->task == CT_TASK_REGRESSION && d->Y && d->Y[1] == 1.25f,
               "npy float labels with fractions: regression");
        ct_data_destroy(d);
    }
    o.labels_path = tpath("l1.npy");
    d = load_ok(npy_file("x1d.npy", 3, "<f4", "False", "(6,)", xf, N * sizeof(float)), &o);
    if (d) {
        EXPECT(d->n == N && d->features == 1 && d->X[5] == xf[5], "npy 1-D: one feature");
        ct_data_destroy(d);
    }
    /* errors */
    load_bad(npy_file("c8.npy", 1, "<c8", "False", "(6, 3)", xf, sizeof xf), &o, CT_ERR_FORMAT,
             "c8.npy", "unsupported dtype '<c8'", (char *)NULL);
    load_bad(npy_file("fort.npy", 1, "<f4", "True", "(6, 3)", xf, sizeof xf), &o, CT_ERR_FORMAT,
             "fort.npy", "fortran_order", (char *)NULL);
    load_bad(npy_file("trunc.npy", 1, "<f4", "False", "(6, 3)", xf, sizeof xf - 8), &o,
             CT_ERR_FORMAT, "trunc.npy", "truncated", "expected 72 bytes", "found 64",
             (char *)NULL);
    load_bad(write_bytes("magic.npy", "\x93NUMPX\x01\x00", 8), &o, CT_ERR_FORMAT, "magic.npy",
             "not an NPY file", (char *)NULL);
    o.labels_path = npy_file("l2d.npy", 1, "<i4", "False", "(3, 2)", l4, sizeof l4);
    load_bad(x4, &o, CT_ERR_FORMAT, "l2d.npy", "shape (n,)", "(3, 2)", (char *)NULL);
    o.labels_path = npy_file("l5.npy", 1, "<i4", "False", "(5,)", l4, 5 * sizeof(int32_t));
    load_bad(x4, &o, CT_ERR_FORMAT, "l5.npy", "5 labels for 6 rows", "x4.npy", (char *)NULL);
    o.labels_path = npy_file("ltr.npy", 1, "<i4", "False", "(6,)", l4, 5 * sizeof(int32_t));
    load_bad(x4, &o, CT_ERR_FORMAT, "ltr.npy", "truncated", "expected 24 bytes", (char *)NULL);
    o.labels_path =
        npy_file("lone.npy", 1, "<i4", "False", "(6,)", (int32_t[N]){4, 4, 4, 4, 4, 4}, sizeof l4);
    load_bad(x4, &o, CT_ERR_FORMAT, "lone.npy", "only one class", (char *)NULL);
    {
        float xn[N * F];
        memcpy(xn, xf, sizeof xf);
        xn[7] = NAN;
        o.labels_path = tpath("l4.npy");
        load_bad(npy_file("xnan.npy", 1, "<f4", "False", "(6, 3)", xn, sizeof xn), &o,
                 CT_ERR_NUMERIC, "xnan.npy", "row 2, column 2", "finite", (char *)NULL);
    }
    o.labels_path = NULL;
    load_bad(x4, &o, CT_ERR_ARG, "x4.npy", "--labels", (char *)NULL);
}

/* ---- split and scaling ---------------------------------------------------------------------- */

static ct_dataset *numbered_dataset(int n) {
    ct_dataset *d = test_alloc(1, sizeof *d);
    d->n = n;
    d->features = 2;
    d->X = test_alloc((size_t)n * 2, sizeof(float));
    d->labels = test_alloc((size_t)n, sizeof(int32_t));
    d->n_classes = 3;
    d->class_names = test_alloc(3, sizeof(char *));
    d->feature_names = test_alloc(2, sizeof(char *));
    for (int c = 0; c < 3; c++) {
        d->class_names[c] = test_alloc(16, 1);
        snprintf(d->class_names[c], 16, "c%d", c);
    }
    for (int j = 0; j < 2; j++) {
        d->feature_names[j] = test_alloc(16, 1);
        snprintf(d->feature_names[j], 16, "f%d", j);
    }
    for (int i = 0; i < n; i++) {
        d->X[2 * i] = (float)i;
        d->X[2 * i + 1] = (float)(i * i % 17);
        d->labels[i] = i % 3;
    }
    snprintf(d->source, sizeof d->source, "numbered");
    return d;
}

static void test_split_scale(void) {
    char msg[CT_MSG_LEN];
    ct_dataset *d = numbered_dataset(1000), *tr = NULL, *va = NULL, *tr2 = NULL, *va2 = NULL;
    ct_status st = ct_data_split(d, 0.2, 11, &tr, &va, msg);
    EXPECT(st == CT_OK && tr && va, "split: %s", msg);
    if (tr && va) {
        EXPECT(tr->n == 800 && va->n == 200, "split sizes %d / %d", tr->n, va->n);
        char *seen = test_alloc(1000, 1);
        int dup = 0, badlab = 0;
        const ct_dataset *parts[2] = {tr, va};
        for (int p = 0; p < 2; p++)
            for (int i = 0; i < parts[p]->n; i++) {
                int r = (int)parts[p]->X[2 * i];
                dup += seen[r]++;
                badlab += parts[p]->labels[i] != r % 3 || parts[p]->X[2 * i + 1] != r * r % 17;
            }
        EXPECT(dup == 0 && badlab == 0, "split: %d rows twice, %d rows torn", dup, badlab);
        free(seen);
        EXPECT(tr->n_classes == 3 && strcmp(va->class_names[2], "c2") == 0 &&
                   strcmp(tr->feature_names[1], "f1") == 0,
               "split keeps the names");
        ct_data_split(d, 0.2, 11, &tr2, &va2, msg);
        if (va2)
            EXPECT(memcmp(va->X, va2->X, 400 * sizeof(float)) == 0, "split: same seed differs");
        ct_data_destroy(tr2);
        ct_data_destroy(va2);
        ct_data_split(d, 0.2, 12, &tr2, &va2, msg);
        if (va2)
            EXPECT(memcmp(va->X, va2->X, 400 * sizeof(float)) != 0,
                   "split: seeds 11 and 12 give the same rows");
        ct_data_destroy(tr2);
        ct_data_destroy(va2);
    }
    ct_data_destroy(tr);
    ct_data_destroy(va);
    st = ct_data_split(d, 0.0001, 1, &tr, &va, msg);
    EXPECT(st == CT_OK && va && va->n == 1 && tr->n == 999, "split: a tiny fraction gives 1 row");
    ct_data_destroy(tr);
    ct_data_destroy(va);
    st = ct_data_split(d, 0.0, 1, &tr, &va, msg);
    EXPECT(st == CT_OK && !va && tr && tr->n == 1000, "split 0: no validation part");
    ct_data_destroy(tr);
    st = ct_data_split(d, 1.0, 1, &tr, &va, msg);
    EXPECT(st == CT_ERR_ARG && !tr && !va && strstr(msg, "[0, 1)"), "split 1.0: %s", msg);
    ct_data_destroy(d);

    /* scaler: fit on the training part, mean 0 and std 1 there */
    d = load_ok("blobs:n=1000,features=3,box=20,std=3", NULL);
    ct_scaler s = {0, NULL, NULL};
    if (d && ct_data_split(d, 0.25, 5, &tr, &va, msg) == CT_OK) {
        st = ct_scaler_fit(&s, tr, msg);
        EXPECT(st == CT_OK && s.features == 3, "scaler fit: %s", msg);
        EXPECT(ct_scaler_apply(&s, tr, msg) == CT_OK && ct_scaler_apply(&s, va, msg) == CT_OK,
               "scaler apply: %s", msg);
        for (int j = 0; j < 3; j++) {
            double m = 0, v = 0;
            for (int i = 0; i < tr->n; i++)
                m += tr->X[i * 3 + j] / tr->n;
            for (int i = 0; i < tr->n; i++)
                v += pow(tr->X[i * 3 + j] - m, 2) / tr->n;
            expect_near("scaled mean", m, 0.0, 1e-5, 0.0);
            expect_near("scaled std", sqrt(v), 1.0, 1e-5, 1e-5);
        }
        ct_scaler_free(&s);
        ct_data_destroy(tr);
        ct_data_destroy(va);
    }
    ct_data_destroy(d);
    d = numbered_dataset(10);
    for (int i = 0; i < 10; i++)
        d->X[2 * i + 1] = 4.0f; /* a constant feature */
    EXPECT(ct_scaler_fit(&s, d, msg) == CT_OK && s.std[1] == 1.0f && s.mean[1] == 4.0f,
           "scaler: a constant feature gets std 1");
    ct_dataset *three = load_ok("blobs:features=3", NULL);
    if (three)
        EXPECT(ct_scaler_apply(&s, three, msg) == CT_ERR_ARG && strstr(msg, "3"),
               "scaler: feature counts must agree: %s", msg);
    ct_data_destroy(three);
    ct_scaler_free(&s);
    ct_scaler_free(NULL);
    ct_data_destroy(d);
    ct_data_destroy(NULL);
}

/* ---- shipped datasets ----------------------------------------------------------------------- */

static void test_shipped(const char *dir) {
    char path[1024];
    snprintf(path, sizeof path, "%s/iris.csv", dir);
    ct_dataset *d = load_ok(path, NULL);
    if (d) {
        EXPECT(d->n == 150 && d->features == 4 && d->n_classes == 3, "iris: n %d f %d k %d", d->n,
               d->features, d->n_classes);
        const char *cls[3] = {"setosa", "versicolor", "virginica"};
        const char *feat[4] = {"sepal_length", "sepal_width", "petal_length", "petal_width"};
        for (int k = 0; k < 3 && k < d->n_classes; k++)
            EXPECT(strcmp(d->class_names[k], cls[k]) == 0 && count_class(d, k) == 50,
                   "iris: class %d '%s' with %d rows", k, d->class_names[k], count_class(d, k));
        for (int j = 0; j < 4 && j < d->features; j++)
            EXPECT(strcmp(d->feature_names[j], feat[j]) == 0, "iris: feature %d '%s'", j,
                   d->feature_names[j]);
        EXPECT(d->X[0] == 5.1f && d->X[3] == 0.2f, "iris: first row");
        ct_data_destroy(d);
    }
    snprintf(path, sizeof path, "%s/digits.csv", dir);
    d = load_ok(path, NULL);
    if (d) {
        EXPECT(d->n == 1797 && d->features == 64 && d->n_classes == 10, "digits: n %d f %d k %d",
               d->n, d->features, d->n_classes);
        int bad = 0;
        for (size_t i = 0; i < (size_t)d->n * d->features; i++)
            bad += d->X[i] < 0 || d->X[i] > 16 || d->X[i] != floorf(d->X[i]);
        EXPECT(bad == 0, "digits: %d pixels outside the integers 0..16", bad);
        for (int k = 0; k < 10 && k < d->n_classes; k++) {
            char want[16];
            snprintf(want, sizeof want, "%d", k);
            EXPECT(strcmp(d->class_names[k], want) == 0 && count_class(d, k) > 170,
                   "digits: class %d '%s' with %d rows", k, d->class_names[k], count_class(d, k));
        }
        ct_data_destroy(d);
    }
}

int main(int argc, char **argv) {
    const char *data_dir = argc > 1 ? argv[1] : "data";
    snprintf(tmp_g.dir, sizeof tmp_g.dir, "/tmp/ct_test_data_XXXXXX");
    if (!mkdtemp(tmp_g.dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_generators();
    test_csv();
    test_csv_random();
    test_idx();
    test_npy();
    test_split_scale();
    test_shipped(data_dir);
    cleanup();
    return test_summary("test_data");
}
