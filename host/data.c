/* Datasets on the host (see data.h): generators, CSV / IDX / NPY readers, split and scaling.
 * Every file is read through zlib (gzopen/gzread), which reads plain files as they are and
 * gzip files decompressed, so "x.csv.gz" or "train-images-idx3-ubyte.gz" load like the plain
 * ones. Bad input gives one line naming the file, the line (or element) and the column. */
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

#define PI 3.14159265358979323846
#define CHUNK (1u << 20) /* bytes read at a time from binary files */

/* ---- messages ------------------------------------------------------------------------- */

/* Writes the message (when msg is not NULL) and returns st. */
/* s for a message: at most 40 bytes, control characters as '?', "..." when cut. */
static const char *shown(char out[48], const char *s) {
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
static void join_names(char *buf, size_t cap, char *const *names, int n) {
    size_t len = strlen(buf);
    for (int i = 0; i < n; i++) {
        char s[48];
        shown(s, names[i] ? names[i] : "");
        if (len > 600 || len + strlen(s) + 8 > cap) {
            snprintf(buf + len, cap - len, "%s...", i ? ", " : "");
            return;
        }
        int w = snprintf(buf + len, cap - len, "%s%s", i ? ", " : "", s);
        if (w > 0) len += (size_t)w;
    }
}

static const char *errno_text(int e) { return e ? strerror(e) : "out of memory"; }

/* The last zlib error of f as text. */
static const char *gz_text(gzFile f) {
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

static char **copy_names(char *const *src, int n) {
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
static size_t cells_bytes(size_t n, size_t f, size_t sz) {
    if (f != 0 && n > SIZE_MAX / f) return 0;
    size_t c = n * f;
    if (sz != 0 && c > SIZE_MAX / sz) return 0;
    return c * sz;
}

/* A dataset of n rows and f features named x0, x1, ...; classification with k classes named
 * "0", "1", ... when k > 0, else regression with `outputs` targets named y (y0, y1, ...). */
static ct_dataset *ds_new(int n, int f, int k, int outputs) {
    ct_dataset *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->n = n;
    d->features = f;
    size_t xb = cells_bytes((size_t)n, (size_t)f, sizeof(float));
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
        size_t yb = cells_bytes((size_t)n, (size_t)outputs, sizeof(float));
        if (yb == 0 || !(d->Y = malloc(yb))) goto fail;
        if (!(d->target_names = ct_numbered_names(outputs, "y", 1))) goto fail;
    }
    return d;
fail:
    ct_data_destroy(d);
    return NULL;
}

/* ---- random numbers: xoshiro256** seeded by splitmix64, Box-Muller normals ------------- */

typedef struct {
    uint64_t s[4];
    int has_spare;
    double spare;
} rng;

static void rng_seed(rng *r, uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = ct_splitmix64(&x);
    r->has_spare = 0;
    r->spare = 0.0;
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rng_next(rng *r) {
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Uniform in [0, 1) with 53 bits. */
static double rng_unit(rng *r) { return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0); }

static double rng_uniform(rng *r, double lo, double hi) { return lo + (hi - lo) * rng_unit(r); }

/* Uniform integer in [0, n), n >= 1, without modulo bias. */
static uint64_t rng_below(rng *r, uint64_t n) {
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do
        x = rng_next(r);
    while (x >= limit);
    return x % n;
}

/* Standard normal by Box-Muller; the second value of each pair is kept for the next call. */
static double rng_normal(rng *r) {
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u1 = ((double)(rng_next(r) >> 11) + 0.5) * (1.0 / 9007199254740992.0); /* (0, 1) */
    double u2 = rng_unit(r);
    double rad = sqrt(-2.0 * log(u1));
    r->spare = rad * sin(2.0 * PI * u2);
    r->has_spare = 1;
    return rad * cos(2.0 * PI * u2);
}

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
                             src, shown(sk, item));
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
                    src, shown(sv, val));
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
                                src, shown(sk, key), g->name, list);
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
                                 g->opts[i].key, kind_text(g->opts[i].kind), shown(sv, val));
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
    double *c = malloc(cells_bytes((size_t)centers, (size_t)f, sizeof(double)) + 1);
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
    double *W = malloc(cells_bytes((size_t)n, (size_t)f, sizeof(double)) + 1);
    double *A =
        malloc(cells_bytes((size_t)inf, (size_t)(inf > red ? inf : red), sizeof(double)) + 1);
    double *tmp = malloc((size_t)inf * sizeof(double));
    unsigned char *cube = malloc(cells_bytes((size_t)nc, (size_t)inf, 1) + 1);
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

static ct_status load_generator(ct_dataset **out, const char *src, const gen_spec *g,
                                const ct_data_opts *o, char *msg) {
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
    ct_dataset *d = ds_new(n, f, k, outputs);
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

/* ---- labels: classes or regression targets ------------------------------------------------ */

typedef struct {
    const char *s; /* the label as written (CSV), or NULL (binary files: v only) */
    double v;      /* its value when num */
    int num;       /* 1: a number (finite or not) */
    long where;    /* CSV: the line; binary files: the 0-based index */
    int cls;
    size_t off; /* CSV: offset of s in the label arena while reading */
} lab_item;

typedef struct {
    const char *file;
    int csv;             /* where is a line (CSV) or an index (binary) */
    int col;             /* CSV: 1-based column of the labels */
    const char *colname; /* CSV header name, or NULL */
    int int_dtype;       /* binary integer labels: classes unless regression is asked for */
    const char *target;  /* regression target name */
} lab_ctx;

static void lab_where(char *buf, size_t cap, const lab_ctx *c, const lab_item *it) {
    char name[48];
    if (c->csv && c->colname)
        snprintf(buf, cap, "%s:%ld, column %d ('%s')", c->file, it->where, c->col,
                 shown(name, c->colname));
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
    if (it->s) return shown(out, it->s);
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
static int parse_number(const char *s, double *v) {
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
        nnum[j] = parse_number(o->class_names[j], &nv[j]) && isfinite(nv[j]);
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
            join_names(list, sizeof list, o->class_names, k);
            st = ct_fail_msg(msg, CT_ERR_FORMAT, "%s: unknown label '%s' (the classes are: %s)",
                             where, lab_text(txt, &it[i]), list);
            goto done;
        }
        d->labels[i] = cls;
    }
    d->n_classes = k;
    if (!(d->class_names = copy_names(o->class_names, k))) {
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
static ct_status build_labels(ct_dataset *d, lab_item *it, int n, const lab_ctx *c,
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
        if (!(d->target_names = copy_names(one, 1))) {
            st = ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", c->file);
            goto done;
        }
        d->outputs = 1;
        goto done;
    }
    if (k < 2) {
        char col[600] = "";
        if (c->csv && c->colname)
            snprintf(col, sizeof col, " in column %d ('%s')", c->col, shown(txt, c->colname));
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
static ct_status no_labels(ct_dataset *d, const ct_data_opts *o, const char *file, char *msg) {
    d->task = o->task == CT_TASK_REGRESSION ? CT_TASK_REGRESSION : CT_TASK_CLASSIFICATION;
    if (d->task == CT_TASK_CLASSIFICATION && o->class_names && o->n_classes > 0) {
        if (!(d->class_names = copy_names(o->class_names, o->n_classes)))
            return ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", file);
        d->n_classes = o->n_classes;
    }
    return CT_OK;
}

/* ---- CSV ----------------------------------------------------------------------------------- */

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

/* Reads one record: 1 when one was read, 0 at the end of the file, -1 on an error (*st and msg
 * set). Blank lines are skipped. Quoted fields may hold separators, newlines and "" for ". */
static int csv_read(csv_in *in, csv_rec *r, ct_status *st, char *msg) {
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
                                  gz_text(in->f));
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
                    in->path, in->line, r->nf + 1, shown(t, s));
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
    float *X;
    size_t rows_cap;
    int n;
    lab_item *items;
    size_t items_cap;
    char *lab; /* label arena */
    size_t lab_len, lab_cap;
} csv_state;

static const char *csv_col_name(const csv_state *s, int j) {
    return s->hdr ? rec_field(s->hdr, j) : NULL;
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
    if ((size_t)s->n == s->rows_cap) {
        size_t nc = s->rows_cap ? s->rows_cap * 2 : 256;
        size_t bytes = cells_bytes(nc, (size_t)s->f, sizeof(float));
        float *nx = bytes ? realloc(s->X, bytes) : NULL;
        if (!nx)
            return ct_fail_msg(msg, CT_ERR_ALLOC,
                               "%s:%ld: out of memory for %zu rows of %d features", s->path,
                               r->line, nc, s->f);
        s->X = nx;
        s->rows_cap = nc;
    }
    float *x = s->X + (size_t)s->n * s->f;
    int k = 0;
    for (int j = 0; j < s->ncol; j++) {
        const char *cell = rec_field(r, j);
        if (j == s->label_col) continue;
        double v;
        int ok = parse_number(cell, &v);
        x[k] = (float)v;
        if (!ok || !isfinite(x[k])) {
            const char *cn = csv_col_name(s, j);
            char where[600];
            if (cn)
                snprintf(where, sizeof where, "%s:%ld, column %d ('%s')", s->path, r->line, j + 1,
                         shown(name, cn));
            else
                snprintf(where, sizeof where, "%s:%ld, column %d", s->path, r->line, j + 1);
            if (!ok && !*cell)
                return ct_fail_msg(msg, CT_ERR_FORMAT,
                                   "%s: expected a number, found an empty field", where);
            if (!ok)
                return ct_fail_msg(msg, CT_ERR_FORMAT, "%s: expected a number, found '%s'", where,
                                   shown(val, cell));
            return ct_fail_msg(msg, CT_ERR_NUMERIC, "%s: expected a finite number, found '%s'%s",
                               where, shown(val, cell), isfinite(v) ? " (out of float range)" : "");
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
        it->num = parse_number(cell, &it->v);
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

/* Header rule: the first record is a header when one of its cells is not a number while the
 * second record's cell in that column is a number (with a single record: when one of its cells
 * is not a number). */
static int csv_is_header(const csv_rec *r1, const csv_rec *r2) {
    for (int j = 0; j < r1->nf; j++) {
        double v;
        if (parse_number(rec_field(r1, j), &v)) continue;
        if (!r2) return 1;
        if (j < r2->nf && parse_number(rec_field(r2, j), &v)) return 1;
    }
    return 0;
}

static ct_status load_csv(ct_dataset **out, const char *path, const ct_data_opts *o, char *msg) {
    ct_status st = CT_OK;
    csv_rec r1 = {0}, r2 = {0}, cur = {0};
    csv_state s;
    memset(&s, 0, sizeof s);
    s.path = path;
    s.label_col = -1;
    ct_dataset *d = NULL;
    csv_in in = {NULL, path, ',', 1};
    errno = 0;
    in.f = gzopen(path, "rb");
    if (!in.f) return ct_fail_msg(msg, CT_ERR_IO, "%s: cannot open: %s", path, errno_text(errno));
    gzbuffer(in.f, 1u << 17);

    /* The separator: ',' unless the first line has none, then ';' or a tab when it has one. */
    int has[3] = {0, 0, 0}, bom = 0, ch;
    long pos = 0;
    unsigned char head[3] = {0, 0, 0};
    while ((ch = gzgetc(in.f)) != -1 && ch != '\n') {
        if (pos < 3) head[pos] = (unsigned char)ch;
        pos++;
        has[0] |= ch == ',';
        has[1] |= ch == ';';
        has[2] |= ch == '\t';
    }
    {
        int err = Z_OK;
        gzerror(in.f, &err);
        if (ch == -1 && err != Z_OK) {
            st = ct_fail_msg(msg, CT_ERR_IO, "%s: read error: %s", path, gz_text(in.f));
            goto fail;
        }
    }
    in.sep = has[0] ? ',' : has[1] ? ';' : has[2] ? '\t' : ',';
    bom = pos >= 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF;
    if (gzrewind(in.f) != 0) {
        st = ct_fail_msg(msg, CT_ERR_IO, "%s: cannot rewind: %s", path, gz_text(in.f));
        goto fail;
    }
    if (bom)
        for (int i = 0; i < 3; i++)
            gzgetc(in.f);

    int k1 = csv_read(&in, &r1, &st, msg);
    if (k1 < 0) goto fail;
    if (k1 == 0) {
        st = ct_fail_msg(msg, CT_ERR_FORMAT, "%s: empty file (expected a header or data rows)",
                         path);
        goto fail;
    }
    int k2 = csv_read(&in, &r2, &st, msg);
    if (k2 < 0) goto fail;
    int header = csv_is_header(&r1, k2 ? &r2 : NULL);
    s.ncol = r1.nf;
    s.hdr = header ? &r1 : NULL;

    /* The label column: by header name, else by 0-based index, else the last column. */
    if (o->label) {
        for (int j = 0; header && j < s.ncol && s.label_col < 0; j++)
            if (strcmp(rec_field(&r1, j), o->label) == 0) s.label_col = j;
        if (s.label_col < 0 && all_digits(o->label)) {
            errno = 0;
            long idx = strtol(o->label, NULL, 10);
            if (errno == 0 && idx < s.ncol) {
                s.label_col = (int)idx;
            } else if (o->require_labels) {
                st = ct_fail_msg(
                    msg, CT_ERR_FORMAT,
                    "%s: label column index %s is out of range (the file has %d columns, "
                    "0..%d)",
                    path, o->label, s.ncol, s.ncol - 1);
                goto fail;
            }
        } else if (s.label_col < 0 && o->require_labels) {
            char list[1024] = "";
            char lab[48];
            if (header) {
                char **names = malloc((size_t)s.ncol * sizeof(char *));
                if (!names) {
                    st = ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", path);
                    goto fail;
                }
                for (int j = 0; j < s.ncol; j++)
                    names[j] = (char *)rec_field(&r1, j);
                join_names(list, sizeof list, names, s.ncol);
                free(names);
                st = ct_fail_msg(msg, CT_ERR_FORMAT, "%s: no column named '%s' (columns: %s)", path,
                                 shown(lab, o->label), list);
            } else {
                st = ct_fail_msg(
                    msg, CT_ERR_FORMAT,
                    "%s: no column named '%s' (the file has no header row; give the label "
                    "column by its 0-based index, 0..%d)",
                    path, shown(lab, o->label), s.ncol - 1);
            }
            goto fail;
        }
    } else if (o->require_labels) {
        s.label_col = s.ncol - 1;
    }
    s.f = s.ncol - (s.label_col >= 0);
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
        while ((k = csv_read(&in, &cur, &st, msg)) > 0)
            if ((st = csv_row(&s, &cur, msg)) != CT_OK) goto fail;
        if (k < 0) goto fail;
    }
    if (s.n == 0) {
        st = ct_fail_msg(msg, CT_ERR_FORMAT, "%s:%ld: a header only, no data rows", path, r1.line);
        goto fail;
    }

    if (!(d = calloc(1, sizeof *d))) {
        st = ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", path);
        goto fail;
    }
    snprintf(d->source, sizeof d->source, "%s", path);
    d->n = s.n;
    d->X = s.X;
    s.X = NULL;
    d->features = s.f;
    if (!(d->feature_names = calloc((size_t)s.f, sizeof(char *)))) {
        st = ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", path);
        goto fail;
    }
    for (int j = 0, k = 0; j < s.ncol; j++) {
        if (j == s.label_col) continue;
        char buf[32];
        snprintf(buf, sizeof buf, "x%d", k);
        const char *nm = header && *rec_field(&r1, j) ? rec_field(&r1, j) : buf;
        if (!(d->feature_names[k++] = ct_strdup(nm))) {
            st = ct_fail_msg(msg, CT_ERR_ALLOC, "%s: out of memory", path);
            goto fail;
        }
    }
    if (s.label_col >= 0) {
        for (int i = 0; i < s.n; i++)
            s.items[i].s = s.lab + s.items[i].off;
        const char *cn = csv_col_name(&s, s.label_col);
        if (header)
            snprintf(d->label_name, sizeof d->label_name, "%s", rec_field(&r1, s.label_col));
        lab_ctx c = {path, 1, s.label_col + 1, cn, 0, cn && *cn ? cn : "y"};
        if ((st = build_labels(d, s.items, s.n, &c, o, msg)) != CT_OK) goto fail;
    } else if ((st = no_labels(d, o, path, msg)) != CT_OK) {
        goto fail;
    }
    *out = d;
    d = NULL;
fail:
    ct_data_destroy(d);
    gzclose(in.f);
    rec_free(&r1);
    rec_free(&r2);
    rec_free(&cur);
    free(s.X);
    free(s.items);
    free(s.lab);
    return st;
}

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
    if (!f) *st = ct_fail_msg(msg, CT_ERR_IO, "%s: cannot open: %s", path, errno_text(errno));
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
            ct_fail_msg(msg, CT_ERR_IO, "%s: read error: %s", path, gz_text(f));
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
                         shown(shdr, hdr));
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
                         shown(shdr, hdr));
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
                         shown(shdr, hdr));
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
                             path, MAX_DIMS, shown(shdr, hdr));
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

static int is_npy_magic(const unsigned char *b, long long n) {
    return n >= 6 && memcmp(b, "\x93NUMPY", 6) == 0;
}

/* The first bytes of path (decompressed), for choosing a reader. */
static ct_status sniff(const char *path, unsigned char *b, long long *n, char *msg) {
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
    ct_status st = sniff(path, b, &nb, msg);
    if (st != CT_OK) return st;
    gzFile f = open_binary(path, &st, msg);
    if (!f) return st;
    array_hdr h;
    memset(&h, 0, sizeof h);
    int npy = is_npy_magic(b, nb);
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
static ct_status load_binary(ct_dataset **out, const char *path, int npy, const ct_data_opts *o,
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
    size_t xb = cells_bytes((size_t)n, (size_t)nf, sizeof(float));
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
        if ((st = no_labels(d, o, path, msg)) != CT_OK) goto fail;
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
        if ((st = build_labels(d, items, n, &c, o, msg)) != CT_OK) goto fail;
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
    if (msg) msg[0] = '\0';
    if (!out) return ct_fail_msg(msg, CT_ERR_ARG, "ct_data_load: out is NULL");
    *out = NULL;
    if (!source || !*source) return ct_fail_msg(msg, CT_ERR_ARG, "no data source given");
    ct_data_opts def = {NULL, NULL, CT_TASK_AUTO, 42, NULL, 0, 1};
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
    for (int i = 0; i < N_GENS; i++)
        if (strlen(gens[i].name) == nlen && strncmp(source, gens[i].name, nlen) == 0)
            return load_generator(out, source, &gens[i], o, msg);
    int fmt = format_by_name(source);
    if (fmt == F_UNKNOWN && !strpbrk(source, "/.")) {
        /* no extension and no folder: a generator name unless such a file exists */
        errno = 0;
        FILE *probe = strchr(source, ':') ? NULL : fopen(source, "rb");
        if (!probe) {
            char name[48], list[256] = "";
            size_t len = 0;
            for (int i = 0; i < N_GENS; i++)
                len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "",
                                        gens[i].name);
            char *nm = ct_strdup(source);
            if (!nm) return ct_fail_msg(msg, CT_ERR_ALLOC, "out of memory");
            nm[nlen] = '\0';
            ct_status st = ct_fail_msg(
                msg, CT_ERR_ARG, "%s: unknown generator '%s' and no such file (generators: %s)",
                source, shown(name, nm), list);
            free(nm);
            return st;
        }
        fclose(probe);
    }
    if (fmt == F_UNKNOWN) {
        unsigned char b[8];
        long long n = 0;
        ct_status st = sniff(source, b, &n, msg);
        if (st != CT_OK) return st;
        fmt = is_npy_magic(b, n) ? F_NPY : (n >= 4 && b[0] == 0 && b[1] == 0) ? F_IDX : F_CSV;
    }
    if (fmt == F_CSV) return load_csv(out, source, o, msg);
    return load_binary(out, source, fmt == F_NPY, o, msg);
}

/* ---- split and scaling ---------------------------------------------------------------------- */

/* A dataset with the rows idx[0..m) of d. */
static ct_dataset *ds_rows(const ct_dataset *d, const int *idx, int m) {
    ct_dataset *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    memcpy(s->source, d->source, sizeof s->source);
    s->n = m;
    s->task = d->task;
    int f = d->features, o = d->outputs;
    s->features = f;
    if (!(s->X = malloc(cells_bytes((size_t)m, (size_t)f, sizeof(float)) + 1))) goto fail;
    if (d->feature_names && !(s->feature_names = copy_names(d->feature_names, f))) goto fail;
    if (d->class_names) {
        s->n_classes = d->n_classes;
        if (!(s->class_names = copy_names(d->class_names, d->n_classes))) goto fail;
    }
    s->n_classes = d->n_classes;
    if (d->target_names) {
        s->outputs = o;
        if (!(s->target_names = copy_names(d->target_names, o))) goto fail;
    }
    s->outputs = o;
    if (d->labels && !(s->labels = malloc((size_t)m * sizeof(int32_t) + 1))) goto fail;
    if (d->Y && !(s->Y = malloc(cells_bytes((size_t)m, (size_t)o, sizeof(float)) + 1))) goto fail;
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
    if (cells_bytes((size_t)n, (size_t)features, sizeof(float)) == 0 ||
        (Y && cells_bytes((size_t)n, (size_t)outputs, sizeof(float)) == 0))
        return ct_fail_msg(msg, CT_ERR_ARG, "%s: %d rows x %d columns is too large", what, n,
                           features);
    for (size_t i = 0; i < (size_t)n * features; i++)
        if (!isfinite(X[i]))
            return ct_fail_msg(msg, CT_ERR_NUMERIC, "%s: X row %zu column %zu is %g", what,
                               i / (size_t)features, i % (size_t)features, (double)X[i]);
    for (int i = 0; labels && i < n; i++)
        if (labels[i] < 0 || labels[i] >= n_classes)
            return ct_fail_msg(msg, CT_ERR_ARG, "%s: label of row %d is %d, outside [0, %d)", what,
                               i, (int)labels[i], n_classes);
    for (size_t i = 0; Y && i < (size_t)n * outputs; i++)
        if (!isfinite(Y[i]))
            return ct_fail_msg(msg, CT_ERR_NUMERIC, "%s: Y row %zu column %zu is %g", what,
                               i / (size_t)outputs, i % (size_t)outputs, (double)Y[i]);
    ct_dataset *d = ds_new(n, features, labels ? n_classes : 0, outputs);
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
