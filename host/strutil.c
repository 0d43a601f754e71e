/* Small helpers shared by the host modules (see strutil.h). */
#include "strutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ct_set_msg(char *msg, const char *fmt, ...) {
    if (!msg) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, CT_MSG_LEN, fmt, ap);
    va_end(ap);
}

ct_status ct_fail_msg(char *msg, ct_status st, const char *fmt, ...) {
    if (msg) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, CT_MSG_LEN, fmt, ap);
        va_end(ap);
    }
    return st;
}

char *ct_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

void ct_free_strings(char **v, int n) {
    if (!v) return;
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

size_t ct_utf8_seq(const unsigned char *s, size_t avail) {
    unsigned char c = s[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (avail < n) return 0;
    if (s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    return n;
}

/* A diagnostic begins at a line that says "error:", "warning:" or "note:" (as compilers print
 * them: "<file>:3:5: error: ..." or "error: <file>:3:5: ..."); the lines after it (the source
 * line, the caret) belong to it, up to the closing count ("2 warnings and 1 error generated."). */
static int diag_kind(const char *line, size_t len) {
    static const char closing[] = " generated.";
    if (len >= sizeof closing - 1 &&
        !strncmp(line + len - (sizeof closing - 1), closing, sizeof closing - 1))
        return 4;
    static const char *const kinds[] = {"error:", "warning:", "note:"};
    for (int k = 0; k < 3; k++) {
        size_t kl = strlen(kinds[k]);
        for (size_t i = 0; i + kl <= len; i++)
            if (!strncmp(line + i, kinds[k], kl) && (i == 0 || line[i - 1] == ' ')) return k + 1;
    }
    return 0;
}

size_t ct_log_digest(char *dst, size_t n, const char *log) {
    if (n == 0) return 0;
    dst[0] = '\0';
    if (!log) return 0;
    /* Two passes over the lines: the error diagnostics (with their source and caret lines),
     * then everything else, each line kept whole or not at all. */
    size_t used = 0, total = 0, kept = 0;
    const char *note_fmt = "\n(%zu more lines of the log cut)";
    size_t reserve = 48; /* room for that note */
    for (int pass = 0; pass < 2; pass++) {
        int in_error = 0;
        for (const char *p = log; *p;) {
            const char *end = strchr(p, '\n');
            size_t len = end ? (size_t)(end - p) : strlen(p);
            int kind = diag_kind(p, len);
            if (kind) in_error = kind == 1;
            if (pass == 0) total++;
            if ((pass == 0) == (in_error != 0)) {
                if (used + len + 1 + reserve < n) {
                    memcpy(dst + used, p, len);
                    used += len;
                    dst[used++] = '\n';
                    dst[used] = '\0';
                    kept++;
                } else if (used == 0 && n > reserve + 4) {
                    /* a first line longer than the whole budget: its start, marked */
                    size_t part = n - reserve - 4;
                    memcpy(dst, p, part);
                    memcpy(dst + part, "...\n", 5);
                    used = part + 4;
                    kept++;
                }
            }
            p = end ? end + 1 : p + len;
        }
    }
    if (used && dst[used - 1] == '\n') dst[--used] = '\0';
    if (kept < total) snprintf(dst + used, n - used, note_fmt, total - kept);
    return total - kept;
}

int ct_sb_put(ct_strbuf *b, const char *text, size_t n) {
    if (b->oom) return 0;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->oom = 1;
            return 0;
        }
        b->s = s;
        b->cap = cap;
    }
    memcpy(b->s + b->len, text, n);
    b->len += n;
    b->s[b->len] = '\0';
    return 1;
}

void ct_sb_printf(ct_strbuf *b, const char *fmt, ...) {
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    ct_sb_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}
