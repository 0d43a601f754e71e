/* The data generators (see data.h): xor, moons, circles, blobs, spirals, classification and
 * sine, their options, and the seeded random numbers they draw (xoshiro256**). */
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

/* ---- random numbers: xoshiro256** seeded by splitmix64, Box-Muller normals ------------- */

/* Shuffles the rows of d (X with labels or Y) by Fisher-Yates. */
static void shuffle_rows(ct_dataset *d, rng *r) {
    int f = d->features, o = d->outputs;
    for (int i = d->n - 1; i > 0; i--) {
        int j = (int)rng_below(r, (uint64_t)i + 1);
        if (j == i) continue;
        float *a = d->X + (size_t)i * f, *b = d->X + (size_t)j * f;
        for (int c = 0; c < f; c++) {
            float t = a[c];
            a[c] = b[c];
            b[c] = t;
        }
        if (d->labels) {
            int32_t t = d->labels[i];
            d->labels[i] = d->labels[j];
            d->labels[j] = t;
        }
        if (d->Y) {
            float *ya = d->Y + (size_t)i * o, *yb = d->Y + (size_t)j * o;
            for (int c = 0; c < o; c++) {
                float t = ya[c];
                ya[c] = yb[c];
                yb[c] = t;
            }
        }
    }
}

/* ---- generators: options ------------------------------------------------------------------ */

typedef enum {
    K_POSINT, /* integer >= 1 */
    K_INT0,   /* integer >= 0 */
    K_INT2,   /* integer >= 2 (classes, centers) */
    K_NUM0,   /* number >= 0 */
    K_POSNUM, /* number > 0 */
    K_PROB,   /* number in [0, 1] */
    K_FACTOR, /* number in [0, 1) */
    K_BOOL    /* 0 or 1 */
} opt_kind;

typedef struct {
    const char *key;
    opt_kind kind;
    double def;
} opt_spec;

#define MAX_OPTS 12

typedef enum { G_XOR, G_MOONS, G_CIRCLES, G_BLOBS, G_SPIRALS, G_CLASSIFICATION, G_SINE } gen_id;

typedef struct {
    const char *name;
    gen_id id;
    opt_spec opts[MAX_OPTS]; /* ends with a NULL key; "seed" is accepted by every generator */
} gen_spec;

static const gen_spec gens[] = {
    {"xor", G_XOR, {{"n", K_POSINT, 200}, {"noise", K_NUM0, 0.1}, {NULL, K_POSINT, 0}}},
    {"moons", G_MOONS, {{"n", K_POSINT, 1000}, {"noise", K_NUM0, 0.1}, {NULL, K_POSINT, 0}}},
    {"circles",
     G_CIRCLES,
     {{"n", K_POSINT, 1000},
      {"noise", K_NUM0, 0.05},
      {"factor", K_FACTOR, 0.5},
      {NULL, K_POSINT, 0}}},
    {"blobs",
     G_BLOBS,
     {{"n", K_POSINT, 500},
      {"centers", K_INT2, 3},
      {"features", K_POSINT, 2},
      {"std", K_NUM0, 1.0},
      {"box", K_NUM0, 10.0},
      {NULL, K_POSINT, 0}}},
    {"spirals",
     G_SPIRALS,
     {{"n", K_POSINT, 600},
      {"classes", K_INT2, 3},
      {"noise", K_NUM0, 0.2},
      {"turns", K_POSNUM, 1.0},
      {NULL, K_POSINT, 0}}},
    {"classification",
     G_CLASSIFICATION,
     {{"n", K_POSINT, 2000},
      {"features", K_POSINT, 20},
      {"informative", K_POSINT, 10},
      {"redundant", K_INT0, 5},
      {"repeated", K_INT0, 0},
      {"classes", K_INT2, 2},
      {"clusters_per_class", K_POSINT, 2},
      {"flip_y", K_PROB, 0.01},
      {"class_sep", K_NUM0, 1.0},
      {"shuffle", K_BOOL, 1},
      {NULL, K_POSINT, 0}}},
    {"sine", G_SINE, {{"n", K_POSINT, 1000}, {"noise", K_NUM0, 0.1}, {NULL, K_POSINT, 0}}},
};
#define N_GENS ((int)(sizeof gens / sizeof gens[0]))

const char *ct_data_generators_help(void) {
    return "Generators: SOURCE is name[:key=value,...]; every generator takes seed= (default: the\n"
           "--seed value) and n= (rows). Rows are shuffled. Class names are \"0\", \"1\", ...\n"
           "  xor             n=200 noise=0.1: 4 Gaussian clusters at (+-1, +-1), label = XOR of "
           "the\n"
           "                  signs. n=4 gives exactly the truth table (0,0)->0 (0,1)->1 (1,0)->1\n"
           "                  (1,1)->0 in that order (noise and seed unused).\n"
           "  moons           n=1000 noise=0.1: two interleaving half circles (scikit-learn\n"
           "                  make_moons); class 0 the upper moon, 1 the lower.\n"
           "  circles         n=1000 noise=0.05 factor=0.5: two concentric circles of radius 1 "
           "(class\n"
           "                  0) and factor (class 1), as make_circles.\n"
           "  blobs           n=500 centers=3 features=2 std=1.0 box=10: Gaussian blobs around\n"
           "                  centers drawn uniformly in [-box, box]^features, as make_blobs.\n"
           "  spirals         n=600 classes=3 noise=0.2 turns=1: interleaved spiral arms; radius "
           "0..1,\n"
           "                  angle 2*pi*(turns*radius + class/classes) + noise*N(0,1).\n"
           "  classification  n=2000 features=20 informative=10 redundant=5 repeated=0 classes=2\n"
           "                  clusters_per_class=2 flip_y=0.01 class_sep=1.0 shuffle=1: "
           "scikit-learn\n"
           "                  make_classification (hypercube clusters; shuffle=1 also permutes "
           "the\n"
           "                  columns).\n"
           "  sine            n=1000 noise=0.1: regression, x uniform in [-pi, pi],\n"
           "                  y = sin(x) + noise*N(0,1); feature \"x\", target \"y\".\n";
}

static const char *kind_text(opt_kind k) {
    switch (k) {
    case K_POSINT: return "a positive integer";
    case K_INT0: return "a non-negative integer";
    case K_INT2: return "an integer of at least 2";
    case K_NUM0: return "a non-negative number";
    case K_POSNUM: return "a positive number";
    case K_PROB: return "a number in [0, 1]";
    case K_FACTOR: return "a number in [0, 1)";
    case K_BOOL: return "0 or 1";
    }
    return "a value";
}

/* Parses one value of kind k; 1 when it is valid. */
static int parse_opt_value(const char *s, opt_kind k, double *out) {
    if (!*s) return 0;
    char *end = NULL;
    errno = 0;
    if (k == K_POSINT || k == K_INT0 || k == K_INT2 || k == K_BOOL) {
        long v = strtol(s, &end, 10);
        if (*end || errno == ERANGE || v > INT_MAX) return 0;
        long lo = k == K_POSINT ? 1 : k == K_INT2 ? 2 : 0;
        if (v < lo || (k == K_BOOL && v > 1)) return 0;
        *out = (double)v;
        return 1;
    }
    double v = strtod(s, &end);
    if (*end || !isfinite(v)) return 0;
    if ((k == K_NUM0 && v < 0) || (k == K_POSNUM && v <= 0) || (k == K_PROB && (v < 0 || v > 1)) ||
        (k == K_FACTOR && (v < 0 || v >= 1)))
        return 0;
    *out = v;
    return 1;
}

/* Fills vals (in the order of g->opts) from the options of src, defaults elsewhere. */
static ct_status parse_gen_opts(const char *src, const gen_spec *g, double *vals, uint64_t *seed,
                                char *msg) {
    int nopts = 0, seen[MAX_OPTS] = {0}, seed_seen = 0;
    for (; g->opts[nopts].key; nopts++)
        vals[nopts] = g->opts[nopts].def;
    const char *p = src + strlen(g->name);
    if (*p == '\0') return CT_OK;
    char *copy = ct_strdup(p + 1);
    if (!copy) return ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", src);
    ct_status st = CT_OK;
    char *item = copy;
    for (;;) {
        char *comma = strchr(item, ',');
        if (comma) *comma = '\0';
        char *eq = strchr(item, '=');
        char sk[48], sv[48];
        if (!*item) {
            st = ct_fail_msg(msg, CT_ERR_ARG, "%s: empty option (expected key=value after '%s:')",
                             src, g->name);
            goto done;
        }
        if (!eq) {
            st = ct_fail_msg(msg, CT_ERR_ARG, "%s: option '%s' has no value (expected key=value)",
                             src, dt_shown(sk, item));
            goto done;
        }
        *eq = '\0';
        const char *key = item, *val = eq + 1;
        if (strcmp(key, "seed") == 0) {
            char *end = NULL;
            errno = 0;
            unsigned long long v = strtoull(val, &end, 0);
            if (!*val || *end || errno == ERANGE || val[0] == '-' || val[0] == '+') {
                st = ct_fail_msg(
                    msg, CT_ERR_ARG,
                    "%s: option seed expects a non-negative integer (decimal or 0x hex), "
                    "got '%s'",
                    src, dt_shown(sv, val));
                goto done;
            }
            if (seed_seen) {
                st = ct_fail_msg(msg, CT_ERR_ARG, "%s: option seed is given twice", src);
                goto done;
            }
            seed_seen = 1;
            *seed = (uint64_t)v;
        } else {
            int i = 0;
            while (i < nopts && strcmp(g->opts[i].key, key) != 0)
                i++;
            if (i == nopts) {
                char list[512] = "";
                size_t len = 0;
                for (int j = 0; j < nopts; j++)
                    len += (size_t)snprintf(list + len, sizeof list - len, "%s, ", g->opts[j].key);
                st =
                    ct_fail_msg(msg, CT_ERR_ARG, "%s: unknown option '%s' for %s (options: %sseed)",
                                src, dt_shown(sk, key), g->name, list);
                goto done;
            }
            if (seen[i]) {
                st = ct_fail_msg(msg, CT_ERR_ARG, "%s: option %s is given twice", src,
                                 g->opts[i].key);
                goto done;
            }
            seen[i] = 1;
            if (!parse_opt_value(val, g->opts[i].kind, &vals[i])) {
                st = ct_fail_msg(msg, CT_ERR_ARG, "%s: option %s expects %s, got '%s'", src,
                                 g->opts[i].key, kind_text(g->opts[i].kind), dt_shown(sv, val));
                goto done;
            }
        }
        if (!comma) break;
        item = comma + 1;
    }
done:
    free(copy);
    return st;
}

/* ---- generators ------------------------------------------------------------------------- */

/* xor: clusters c = 0..3 at (2*(c>>1)-1, 2*(c&1)-1) + noise*N(0,1), label (c>>1) ^ (c&1); with
 * n == 4 the plain truth table in {0,1}^2. */
static void gen_xor(ct_dataset *d, rng *r, double noise) {
    int n = d->n;
    for (int i = 0; i < n; i++) {
        int c = i % 4, a = c >> 1, b = c & 1;
        d->labels[i] = a ^ b;
        if (n == 4) {
            d->X[2 * i] = (float)a;
            d->X[2 * i + 1] = (float)b;
        } else {
            d->X[2 * i] = (float)(2 * a - 1 + noise * rng_normal(r));
            d->X[2 * i + 1] = (float)(2 * b - 1 + noise * rng_normal(r));
        }
    }
    if (n != 4) shuffle_rows(d, r);
}

/* As scikit-learn make_moons: the upper half circle (class 0) and the lower one shifted to
 * (1, 0.5), linspace angles in [0, pi]; shuffled, then noise*N(0,1) added. */
static void gen_moons(ct_dataset *d, rng *r, double noise) {
    int n = d->n, nout = n / 2, nin = n - nout;
    for (int i = 0; i < nout; i++) {
        double t = nout > 1 ? PI * i / (nout - 1) : 0.0;
        d->X[2 * i] = (float)cos(t);
        d->X[2 * i + 1] = (float)sin(t);
        d->labels[i] = 0;
    }
    for (int i = 0; i < nin; i++) {
        double t = nin > 1 ? PI * i / (nin - 1) : 0.0;
        size_t row = (size_t)(nout + i);
        d->X[2 * row] = (float)(1.0 - cos(t));
        d->X[2 * row + 1] = (float)(1.0 - sin(t) - 0.5);
        d->labels[row] = 1;
    }
    shuffle_rows(d, r);
    for (size_t i = 0; i < (size_t)n * 2; i++)
        d->X[i] = (float)(d->X[i] + noise * rng_normal(r));
}

/* As make_circles: n/2 points on the unit circle (class 0), the rest on radius factor
 * (class 1), angles 2*pi*i/m without the endpoint; shuffled, then noise*N(0,1) added. */
static void gen_circles(ct_dataset *d, rng *r, double noise, double factor) {
    int n = d->n, nout = n / 2, nin = n - nout;
    for (int i = 0; i < n; i++) {
        int inner = i >= nout, m = inner ? nin : nout, k = inner ? i - nout : i;
        double t = 2.0 * PI * k / m, rad = inner ? factor : 1.0;
        d->X[2 * i] = (float)(rad * cos(t));
        d->X[2 * i + 1] = (float)(rad * sin(t));
        d->labels[i] = inner;
    }
    shuffle_rows(d, r);
    for (size_t i = 0; i < (size_t)n * 2; i++)
        d->X[i] = (float)(d->X[i] + noise * rng_normal(r));
}

/* As make_blobs: centers uniform in [-box, box]^f; n/centers rows each (the first n % centers
 * get one more) at center + std*N(0,1); shuffled. */
static ct_status gen_blobs(ct_dataset *d, rng *r, int centers, double std, double box,
                           const char *src, char *msg) {
    int f = d->features;
    double *c = malloc(dt_cells_bytes((size_t)centers, (size_t)f, sizeof(double)) + 1);
    if (!c) return ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", src);
    for (size_t i = 0; i < (size_t)centers * f; i++)
        c[i] = rng_uniform(r, -box, box);
    int row = 0;
    for (int k = 0; k < centers; k++) {
        int m = d->n / centers + (k < d->n % centers);
        for (int i = 0; i < m; i++, row++) {
            for (int j = 0; j < f; j++)
                d->X[(size_t)row * f + j] = (float)(c[(size_t)k * f + j] + std * rng_normal(r));
            d->labels[row] = k;
        }
    }
    free(c);
    shuffle_rows(d, r);
    return CT_OK;
}

/* Arms k = 0..K-1 with m = n/K points (the first n % K arms one more): radius i/(m-1),
 * angle 2*pi*(turns*radius + k/K) + noise*N(0,1); shuffled. */
static void gen_spirals(ct_dataset *d, rng *r, int classes, double noise, double turns) {
    int row = 0;
    for (int k = 0; k < classes; k++) {
        int m = d->n / classes + (k < d->n % classes);
        for (int i = 0; i < m; i++, row++) {
            double rad = m > 1 ? (double)i / (m - 1) : 1.0;
            double t = 2.0 * PI * (turns * rad + (double)k / classes) + noise * rng_normal(r);
            d->X[2 * row] = (float)(rad * cos(t));
            d->X[2 * row + 1] = (float)(rad * sin(t));
            d->labels[row] = k;
        }
    }
    shuffle_rows(d, r);
}

/* y = sin(x) + noise*N(0,1), x uniform in [-pi, pi]. */
static void gen_sine(ct_dataset *d, rng *r, double noise) {
    for (int i = 0; i < d->n; i++) {
        double x = rng_uniform(r, -PI, PI);
        d->X[i] = (float)x;
        d->Y[i] = (float)(sin(x) + noise * rng_normal(r));
    }
}

/* k distinct vertices of the dim-cube as 0/1 rows of bits (k, dim), as scikit-learn's
 * _generate_hypercube: beyond 30 dimensions the leading ones are free random bits and the last
 * 30 are distinct. Needs k <= 2^min(dim, 30). 0 on success, -1 when memory runs out. */
static int hypercube(unsigned char *bits, int k, int dim, rng *r) {
    int free_dims = dim > 30 ? dim - 30 : 0, d30 = dim - free_dims;
    uint64_t space = (uint64_t)1 << d30;
    uint64_t *v = malloc((size_t)k * sizeof(uint64_t));
    if (!v) return -1;
    if (space <= 4 * (uint64_t)k) { /* partial Fisher-Yates over the whole (small) range */
        uint64_t *all = malloc((size_t)space * sizeof(uint64_t));
        if (!all) {
            free(v);
            return -1;
        }
        for (uint64_t i = 0; i < space; i++)
            all[i] = i;
        for (int i = 0; i < k; i++) {
            uint64_t j = (uint64_t)i + rng_below(r, space - (uint64_t)i), t = all[i];
            all[i] = all[j];
            all[j] = t;
            v[i] = all[i];
        }
        free(all);
    } else { /* rejection: the range is at least 4 times larger than k */
        for (int i = 0; i < k; i++) {
            int dup;
            do {
                v[i] = rng_below(r, space);
                dup = 0;
                for (int j = 0; j < i && !dup; j++)
                    dup = v[j] == v[i];
            } while (dup);
        }
    }
    for (int i = 0; i < k; i++) {
        unsigned char *row = bits + (size_t)i * dim;
        for (int j = 0; j < free_dims; j++)
            row[j] = (unsigned char)rng_below(r, 2);
        for (int j = 0; j < d30; j++)
            row[free_dims + j] = (unsigned char)((v[i] >> (d30 - 1 - j)) & 1);
    }
    free(v);
    return 0;
}

typedef struct {
    int informative, redundant, repeated, classes, clusters, shuffle;
    double flip_y, class_sep;
} cls_params;

/* scikit-learn make_classification (shift 0, scale 1, equal weights): clusters at hypercube
 * vertices * 2*class_sep - class_sep, informative features N(0,1) times a random matrix A
 * (uniform in [-1, 1]) per cluster plus its centroid, redundant = informative times B (uniform in
 * [-1, 1]), repeated = copies of random earlier columns, the rest N(0,1) noise; a fraction flip_y
 * of labels replaced by random classes; rows shuffled, then columns. */
static ct_status gen_classification(ct_dataset *d, rng *r, const cls_params *p, const char *src,
                                    char *msg) {
    int n = d->n, f = d->features, inf = p->informative, red = p->redundant;
    int rep = p->repeated, useless = f - inf - red - rep, nc = p->classes * p->clusters;
    ct_status st = CT_OK;
    double *W = malloc(dt_cells_bytes((size_t)n, (size_t)f, sizeof(double)) + 1);
    double *A =
        malloc(dt_cells_bytes((size_t)inf, (size_t)(inf > red ? inf : red), sizeof(double)) + 1);
    double *tmp = malloc((size_t)inf * sizeof(double));
    unsigned char *cube = malloc(dt_cells_bytes((size_t)nc, (size_t)inf, 1) + 1);
    int *count = malloc((size_t)nc * sizeof(int));
    int *perm = malloc((size_t)f * sizeof(int));
    float *rowbuf = malloc((size_t)f * sizeof(float));
    if (!W || !A || !tmp || !cube || !count || !perm || !rowbuf || hypercube(cube, nc, inf, r)) {
        st = ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", src);
        goto done;
    }
    long total = 0;
    for (int k = 0; k < nc; k++) {
        count[k] = (int)((double)n * (1.0 / p->classes) / p->clusters);
        total += count[k];
    }
    for (long i = 0; i < n - total; i++)
        count[i % nc]++;
    for (size_t i = 0; i < (size_t)n; i++)
        for (int j = 0; j < inf; j++)
            W[i * f + j] = rng_normal(r);
    size_t start = 0;
    for (int k = 0; k < nc; k++) {
        for (int a = 0; a < inf * inf; a++)
            A[a] = 2.0 * rng_unit(r) - 1.0;
        for (size_t i = start; i < start + (size_t)count[k]; i++) {
            double *x = W + i * f;
            for (int j = 0; j < inf; j++) {
                double s = 0.0;
                for (int a = 0; a < inf; a++)
                    s += x[a] * A[(size_t)a * inf + j];
                tmp[j] = s;
            }
            for (int j = 0; j < inf; j++)
                x[j] = tmp[j] + (2.0 * p->class_sep * cube[(size_t)k * inf + j] - p->class_sep);
            d->labels[i] = k % p->classes;
        }
        start += (size_t)count[k];
    }
    if (red > 0) { /* B (inf, red) */
        for (size_t a = 0; a < (size_t)inf * red; a++)
            A[a] = 2.0 * rng_unit(r) - 1.0;
        for (size_t i = 0; i < (size_t)n; i++) {
            double *x = W + i * f;
            for (int j = 0; j < red; j++) {
                double s = 0.0;
                for (int a = 0; a < inf; a++)
                    s += x[a] * A[(size_t)a * red + j];
                x[inf + j] = s;
            }
        }
    }
    for (int j = 0; j < rep; j++) {
        int src_col = (int)((inf + red - 1) * rng_unit(r) + 0.5);
        for (size_t i = 0; i < (size_t)n; i++)
            W[i * f + inf + red + j] = W[i * f + src_col];
    }
    for (size_t i = 0; i < (size_t)n; i++)
        for (int j = f - useless; j < f; j++)
            W[i * f + j] = rng_normal(r);
    unsigned char *flip = cube; /* reuse when large enough, else allocate */
    unsigned char *flip_mem = NULL;
    if ((size_t)nc * inf < (size_t)n) {
        flip = flip_mem = malloc((size_t)n);
        if (!flip) {
            st = ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", src);
            goto done;
        }
    }
    for (int i = 0; i < n; i++)
        flip[i] = rng_unit(r) < p->flip_y;
    for (int i = 0; i < n; i++)
        if (flip[i]) d->labels[i] = (int32_t)rng_below(r, (uint64_t)p->classes);
    free(flip_mem);
    for (size_t i = 0; i < (size_t)n * f; i++)
        d->X[i] = (float)W[i];
    if (p->shuffle) {
        shuffle_rows(d, r);
        for (int j = 0; j < f; j++)
            perm[j] = j;
        for (int j = f - 1; j > 0; j--) {
            int k = (int)rng_below(r, (uint64_t)j + 1), t = perm[j];
            perm[j] = perm[k];
            perm[k] = t;
        }
        for (size_t i = 0; i < (size_t)n; i++) {
            float *x = d->X + i * f;
            for (int j = 0; j < f; j++)
                rowbuf[j] = x[perm[j]];
            memcpy(x, rowbuf, (size_t)f * sizeof(float));
        }
    }
done:
    free(W);
    free(A);
    free(tmp);
    free(cube);
    free(count);
    free(perm);
    free(rowbuf);
    return st;
}

const void *dt_generator(const char *source, size_t nlen) {
    for (int i = 0; i < N_GENS; i++)
        if (strlen(gens[i].name) == nlen && strncmp(source, gens[i].name, nlen) == 0)
            return &gens[i];
    return NULL;
}

void dt_generator_names(char *buf, size_t cap) {
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < N_GENS && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? ", " : "", gens[i].name);
}

ct_status dt_load_generator(ct_dataset **out, const char *src, const void *gv,
                            const ct_data_opts *o, char *msg) {
    const gen_spec *g = gv;
    double v[MAX_OPTS];
    uint64_t seed = o->seed;
    ct_status st = parse_gen_opts(src, g, v, &seed, msg);
    if (st != CT_OK) return st;
    int n = (int)v[0]; /* n is the first option of every generator */
    int f = 2, k = 2, outputs = 0;
    cls_params cp = {0, 0, 0, 0, 0, 0, 0.0, 0.0};
    switch (g->id) {
    case G_XOR:
    case G_MOONS:
    case G_CIRCLES:
        if (n < 2)
            return ct_fail_msg(msg, CT_ERR_ARG,
                               "%s: option n expects at least 2 (one row per class), got %d", src,
                               n);
        break;
    case G_BLOBS:
        k = (int)v[1];
        f = (int)v[2];
        break;
    case G_SPIRALS: k = (int)v[1]; break;
    case G_CLASSIFICATION:
        f = (int)v[1];
        cp.informative = (int)v[2];
        cp.redundant = (int)v[3];
        cp.repeated = (int)v[4];
        cp.classes = k = (int)v[5];
        cp.clusters = (int)v[6];
        cp.flip_y = v[7];
        cp.class_sep = v[8];
        cp.shuffle = (int)v[9];
        if ((long long)cp.informative + cp.redundant + cp.repeated > f)
            return ct_fail_msg(
                msg, CT_ERR_ARG,
                "%s: informative + redundant + repeated (%lld) must not exceed features "
                "(%d)",
                src, (long long)cp.informative + cp.redundant + cp.repeated, f);
        if (cp.informative < 31 && (long long)cp.classes * cp.clusters > (1LL << cp.informative))
            return ct_fail_msg(
                msg, CT_ERR_ARG,
                "%s: classes * clusters_per_class (%lld) must not exceed 2^informative "
                "(%lld)",
                src, (long long)cp.classes * cp.clusters, 1LL << cp.informative);
        if ((long long)cp.classes * cp.clusters > 1000000)
            return ct_fail_msg(msg, CT_ERR_ARG,
                               "%s: classes * clusters_per_class (%lld) must be at most 1000000",
                               src, (long long)cp.classes * cp.clusters);
        break;
    case G_SINE:
        f = 1;
        k = 0;
        outputs = 1;
        break;
    }
    if (k > 0 && n < k)
        return ct_fail_msg(msg, CT_ERR_ARG,
                           "%s: option n expects at least %d (one row per class), got %d", src, k,
                           n);
    ct_dataset *d = dt_ds_new(n, f, k, outputs);
    if (!d)
        return ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory for %d rows of %d features", src,
                           n, f);
    snprintf(d->source, sizeof d->source, "%s", src);
    rng r;
    rng_seed(&r, seed);
    st = CT_OK;
    switch (g->id) {
    case G_XOR: gen_xor(d, &r, v[1]); break;
    case G_MOONS: gen_moons(d, &r, v[1]); break;
    case G_CIRCLES: gen_circles(d, &r, v[1], v[2]); break;
    case G_BLOBS: st = gen_blobs(d, &r, k, v[3], v[4], src, msg); break;
    case G_SPIRALS: gen_spirals(d, &r, k, v[2], v[3]); break;
    case G_CLASSIFICATION: st = gen_classification(d, &r, &cp, src, msg); break;
    case G_SINE:
        gen_sine(d, &r, v[1]);
        free(d->feature_names[0]);
        if (!(d->feature_names[0] = ct_strdup("x")))
            st = ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", src);
        break;
    }
    if (st != CT_OK) {
        ct_data_destroy(d);
        return st;
    }
    *out = d;
    return CT_OK;
}
