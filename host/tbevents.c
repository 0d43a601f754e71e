/* TensorBoard event files (see tbevents.h).
 *
 * The protocol buffers are encoded by hand rather than with protobuf-c: the library writes four
 * messages (Event, Summary, Summary.Value, HistogramProto) and only a dozen fields of them, which
 * is about a hundred lines of varint and length-delimited encoding here, against a new build and
 * run-time dependency (protobuf-c, its generated .pb-c.c files from TensorFlow's .proto sources,
 * and protoc-c to regenerate them) for every user of libcltrain. The field numbers are those of
 * tensorflow/core/util/event.proto and tensorflow/core/framework/summary.proto:
 *   Event           wall_time 1 (double), step 2 (int64), file_version 3 (string), summary 5
 *   Summary         value 1 (repeated Summary.Value)
 *   Summary.Value   tag 1 (string), simple_value 2 (float), histo 5 (HistogramProto)
 *   HistogramProto  min 1, max 2, num 3, sum 4, sum_squares 5 (double), bucket_limit 6 and
 *                   bucket 7 (packed repeated double)
 * TensorBoard's event_accumulator reads simple_value as a scalar and histo as a histogram. */
#define _POSIX_C_SOURCE 200809L
#include "tbevents.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HIST_BUCKETS 30

struct ct_tb_writer {
    FILE *f;
    char *path;
    int err;      /* errno of the first failed write since the last flush (0: none) */
    int oom;      /* an encoding buffer could not grow */
    uint8_t *buf; /* the record being encoded */
    size_t cap;
};

/* ---- CRC-32C ------------------------------------------------------------------------------ */

uint32_t ct_crc32c(const void *p, size_t n) {
    const uint8_t *b = p;
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        crc ^= b[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
    }
    return crc ^ 0xFFFFFFFFu;
}

uint32_t ct_crc32c_masked(const void *p, size_t n) {
    uint32_t crc = ct_crc32c(p, n);
    return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

/* ---- protocol buffer encoding ------------------------------------------------------------- */

/* A growing byte buffer; a failed growth sets oom and drops further bytes. */
typedef struct {
    uint8_t *p;
    size_t n, cap;
    int oom;
} pbuf;

static void put(pbuf *b, const void *src, size_t n) {
    if (b->oom) return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n)
            cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}

static void put_varint(pbuf *b, uint64_t v) {
    uint8_t t[10];
    int n = 0;
    do {
        t[n++] = (uint8_t)((v & 0x7F) | (v > 0x7F ? 0x80 : 0));
        v >>= 7;
    } while (v);
    put(b, t, (size_t)n);
}

static void put_le(pbuf *b, uint64_t v, int bytes) {
    uint8_t t[8];
    for (int i = 0; i < bytes; i++)
        t[i] = (uint8_t)(v >> (8 * i));
    put(b, t, (size_t)bytes);
}

static void put_key(pbuf *b, int field, int wire) { put_varint(b, (uint64_t)field << 3 | wire); }

static void put_double(pbuf *b, int field, double v) {
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    put_key(b, field, 1);
    put_le(b, u, 8);
}

static void put_float(pbuf *b, int field, float v) {
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    put_key(b, field, 5);
    put_le(b, u, 4);
}

static void put_bytes(pbuf *b, int field, const void *p, size_t n) {
    put_key(b, field, 2);
    put_varint(b, n);
    put(b, p, n);
}

static void put_packed_doubles(pbuf *b, int field, const double *v, int n) {
    put_key(b, field, 2);
    put_varint(b, (uint64_t)n * 8);
    for (int i = 0; i < n; i++) {
        uint64_t u;
        memcpy(&u, &v[i], sizeof u);
        put_le(b, u, 8);
    }
}

static double wall_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* An Event of wall_time now and step around the already encoded Summary (NULL: none) or
 * file_version, framed as a TFRecord and written. */
static void write_event(ct_tb_writer *w, long long step, const pbuf *summary, const char *version) {
    pbuf ev = {w->buf, 0, w->cap, 0};
    put_double(&ev, 1, wall_now());
    if (step != 0) {
        put_key(&ev, 2, 0);
        put_varint(&ev, (uint64_t)step);
    }
    if (version) put_bytes(&ev, 3, version, strlen(version));
    if (summary) put_bytes(&ev, 5, summary->p, summary->n);
    w->buf = ev.p;
    w->cap = ev.cap;
    if (ev.oom || (summary && summary->oom)) {
        w->oom = 1;
        return;
    }
    uint8_t head[12];
    uint64_t len = ev.n;
    for (int i = 0; i < 8; i++)
        head[i] = (uint8_t)(len >> (8 * i));
    uint32_t lc = ct_crc32c_masked(head, 8), dc = ct_crc32c_masked(ev.p, ev.n);
    for (int i = 0; i < 4; i++) {
        head[8 + i] = (uint8_t)(lc >> (8 * i));
    }
    uint8_t tail[4];
    for (int i = 0; i < 4; i++)
        tail[i] = (uint8_t)(dc >> (8 * i));
    if ((fwrite(head, 1, 12, w->f) != 12 || fwrite(ev.p, 1, ev.n, w->f) != ev.n ||
         fwrite(tail, 1, 4, w->f) != 4) &&
        !w->err)
        w->err = errno ? errno : EIO;
}

/* ---- the writer --------------------------------------------------------------------------- */

static int make_dir(const char *path, char msg[CT_MSG_LEN]) {
    if (mkdir(path, 0777) == 0 || errno == EEXIST) {
        struct stat sb;
        if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) return 1;
        snprintf(msg, CT_MSG_LEN, "--tensorboard: %s exists and is not a folder", path);
        return 0;
    }
    snprintf(msg, CT_MSG_LEN, "--tensorboard: cannot create the folder %s: %s", path,
             strerror(errno));
    return 0;
}

ct_status ct_tb_open(ct_tb_writer **out, const char *dir, const char *run, char msg[CT_MSG_LEN]) {
    *out = NULL;
    if (!dir || !*dir || !run || !*run) {
        snprintf(msg, CT_MSG_LEN, "--tensorboard: no folder given");
        return CT_ERR_ARG;
    }
    ct_tb_writer *w = calloc(1, sizeof *w);
    size_t len = strlen(dir) + strlen(run) + 400;
    char *rundir = malloc(len);
    if (!w || !rundir || !(w->path = malloc(len))) {
        free(rundir);
        ct_tb_close(w);
        snprintf(msg, CT_MSG_LEN, "out of host memory");
        return CT_ERR_ALLOC;
    }
    snprintf(rundir, len, "%s/%s", dir, run);
    if (!make_dir(dir, msg) || !make_dir(rundir, msg)) goto fail;
    char host[128] = "localhost";
    if (gethostname(host, sizeof host) != 0 || !host[0]) snprintf(host, sizeof host, "localhost");
    host[sizeof host - 1] = '\0';
    for (char *h = host; *h; h++) /* a host name is one component of a file name */
        if (*h == '/') *h = '_';
    long long t = (long long)time(NULL);
    int fd = -1;
    for (int k = 0; k < 1000 && fd < 0; k++) {
        snprintf(w->path, len, "%s/events.out.tfevents.%lld.%s.%ld.%d", rundir, t, host,
                 (long)getpid(), k);
        fd = open(w->path, O_WRONLY | O_CREAT | O_EXCL, 0666);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0 || !(w->f = fdopen(fd, "wb"))) {
        snprintf(msg, CT_MSG_LEN, "--tensorboard: cannot create %s: %s", w->path, strerror(errno));
        if (fd >= 0) close(fd);
        goto fail;
    }
    free(rundir);
    write_event(w, 0, NULL, "brain.Event:2");
    ct_status st = ct_tb_flush(w, msg);
    if (st != CT_OK) {
        ct_tb_close(w);
        return st;
    }
    *out = w;
    return CT_OK;
fail:
    free(rundir);
    ct_tb_close(w);
    return CT_ERR_IO;
}

void ct_tb_scalar(ct_tb_writer *w, const char *tag, long long step, double value) {
    pbuf v = {0}, s = {0};
    put_bytes(&v, 1, tag, strlen(tag));
    put_float(&v, 2, (float)value);
    put_bytes(&s, 1, v.p, v.n);
    s.oom |= v.oom;
    write_event(w, step, &s, NULL);
    free(v.p);
    free(s.p);
}

void ct_tb_histogram(ct_tb_writer *w, const char *tag, long long step, const float *x, size_t n) {
    double lo = INFINITY, hi = -INFINITY, sum = 0, sq = 0, num = 0;
    for (size_t i = 0; i < n; i++) {
        double d = x[i];
        if (!isfinite(d)) continue;
        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
        sum += d;
        sq += d * d;
        num++;
    }
    double limit[HIST_BUCKETS], count[HIST_BUCKETS];
    int nb = num > 0 && hi > lo ? HIST_BUCKETS : 1;
    if (num == 0) lo = hi = 0;
    /* bucket i holds (limit[i-1], limit[i]]; the first from lo; the last limit is hi itself */
    for (int i = 0; i < nb; i++) {
        limit[i] = i + 1 == nb ? hi : lo + (hi - lo) * (i + 1) / nb;
        count[i] = 0;
    }
    for (size_t i = 0; i < n; i++) {
        double d = x[i];
        if (!isfinite(d)) continue;
        int k = nb > 1 ? (int)((d - lo) / (hi - lo) * nb) : 0;
        k = k < 0 ? 0 : k >= nb ? nb - 1 : k;
        while (k > 0 && d <= limit[k - 1])
            k--;
        while (k + 1 < nb && d > limit[k])
            k++;
        count[k]++;
    }
    pbuf h = {0}, v = {0}, s = {0};
    put_double(&h, 1, lo);
    put_double(&h, 2, hi);
    put_double(&h, 3, num);
    put_double(&h, 4, sum);
    put_double(&h, 5, sq);
    put_packed_doubles(&h, 6, limit, nb);
    put_packed_doubles(&h, 7, count, nb);
    put_bytes(&v, 1, tag, strlen(tag));
    put_bytes(&v, 5, h.p, h.n);
    put_bytes(&s, 1, v.p, v.n);
    s.oom |= v.oom | h.oom;
    write_event(w, step, &s, NULL);
    free(h.p);
    free(v.p);
    free(s.p);
}

ct_status ct_tb_flush(ct_tb_writer *w, char msg[CT_MSG_LEN]) {
    if (w->oom) {
        w->oom = 0;
        snprintf(msg, CT_MSG_LEN, "out of host memory writing %s", w->path);
        return CT_ERR_ALLOC;
    }
    if (!w->err && fflush(w->f) != 0) w->err = errno ? errno : EIO;
    if (!w->err && fsync(fileno(w->f)) != 0 && errno != EINVAL) w->err = errno;
    if (w->err) {
        snprintf(msg, CT_MSG_LEN, "cannot write %s: %s", w->path, strerror(w->err));
        w->err = 0;
        return CT_ERR_IO;
    }
    return CT_OK;
}

const char *ct_tb_path(const ct_tb_writer *w) { return w ? w->path : ""; }

void ct_tb_close(ct_tb_writer *w) {
    if (!w) return;
    if (w->f) fclose(w->f);
    free(w->path);
    free(w->buf);
    free(w);
}

/* ---- the range test ----------------------------------------------------------------------- */

ct_status ct_lrfind_write_tensorboard(const char *dir, const ct_lrfind_result *r,
                                      char msg[CT_MSG_LEN]) {
    ct_tb_writer *w;
    ct_status st = ct_tb_open(&w, dir, "train", msg);
    if (st != CT_OK) return st;
    for (int i = 0; i < r->n; i++) {
        ct_tb_scalar(w, "lr_find/loss", i, r->loss[i]);
        ct_tb_scalar(w, "lr_find/smoothed_loss", i, r->smoothed[i]);
        ct_tb_scalar(w, "lr_find/learning_rate", i, r->lr[i]);
    }
    if (r->suggestion >= 0) ct_tb_scalar(w, "lr_find/suggested_lr", 0, r->suggested_lr);
    st = ct_tb_flush(w, msg);
    ct_tb_close(w);
    return st;
}
