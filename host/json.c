/* A strict JSON reader (RFC 8259) building a small DOM, and string-literal writers.
 *
 * Strict means: no comments, no trailing commas, no single quotes, no leading zeros, no NaN or
 * Infinity, no unescaped control characters, text and strings must be valid UTF-8, and nothing
 * but whitespace may follow the value. Escapes (\uXXXX with surrogate pairs too) become UTF-8.
 * \u0000 is refused because strings are handed out NUL-terminated. Numbers are checked against
 * the grammar first and then converted with strtod; a number too large for a double is an error.
 * Nesting deeper than CT_JSON_MAX_DEPTH is refused, so hostile input cannot exhaust the stack.
 * Duplicate keys are kept in document order; ct_json_get returns the first. */
#include "json.h"
#include "strutil.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define CT_JSON_MAX_DEPTH 256

typedef struct parser {
    const char *s;
    size_t len;
    size_t pos;
    int depth;
    int failed;
    char *err;
    size_t errlen;
} parser;

/* ---- errors ----------------------------------------------------------------------------- */

/* What sits at byte `at`, for messages: 'x', "end of input" or "byte 0xNN". */
static void describe_at(const parser *p, size_t at, char out[32]) {
    if (at >= p->len) {
        snprintf(out, 32, "end of input");
        return;
    }
    unsigned char c = (unsigned char)p->s[at];
    if (c >= 0x21 && c < 0x7f)
        snprintf(out, 32, "'%c'", (char)c);
    else if (c == ' ')
        snprintf(out, 32, "a space");
    else
        snprintf(out, 32, "byte 0x%02X", (unsigned)c);
}

static void fail_at(parser *p, size_t at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Records the first failure as "line L, column C: what". Lines count '\n'; columns count
 * characters (UTF-8 lead bytes) from 1. */
static void fail_at(parser *p, size_t at, const char *fmt, ...) {
    if (p->failed) return;
    p->failed = 1;
    if (!p->err || p->errlen == 0) return;
    if (at > p->len) at = p->len;
    size_t line = 1, col = 1;
    for (size_t i = 0; i < at; i++) {
        unsigned char c = (unsigned char)p->s[i];
        if (c == '\n') {
            line++;
            col = 1;
        } else if ((c & 0xC0) != 0x80) {
            col++;
        }
    }
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(p->err, p->errlen, "line %zu, column %zu: %s", line, col, what);
}

static void fail_found(parser *p, size_t at, const char *expected) {
    char f[32];
    describe_at(p, at, f);
    fail_at(p, at, "expected %s, found %s", expected, f);
}

/* ---- small helpers ---------------------------------------------------------------------- */

static void skip_ws(parser *p) {
    while (p->pos < p->len) {
        char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->pos++;
    }
}

static int peek(const parser *p) { return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1; }

static int is_digit(int c) { return c >= '0' && c <= '9'; }

static size_t utf8_encode(unsigned long cp, char out[4]) {
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Frees what a node owns (not the node itself). */
static void json_clear(ct_json *j) {
    if (!j) return;
    free(j->string);
    for (size_t i = 0; i < j->count; i++) {
        json_clear(&j->items[i]);
        if (j->keys) free(j->keys[i]);
    }
    free(j->items);
    free(j->keys);
    memset(j, 0, sizeof *j);
}

/* ---- strings ---------------------------------------------------------------------------- */

/* Four hex digits at s[at..at+4) into *v; 0 when they are not four hex digits. */
static int hex4(const parser *p, size_t at, unsigned long *v) {
    if (at > p->len || p->len - at < 4) return 0;
    unsigned long r = 0;
    for (size_t i = 0; i < 4; i++) {
        char c = p->s[at + i];
        int d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return 0;
        r = r * 16 + (unsigned long)d;
    }
    *v = r;
    return 1;
}

/* Parses the string literal at p->pos (which holds '"') into a malloc'ed, NUL-terminated
 * UTF-8 string. */
static int parse_string(parser *p, char **out) {
    size_t start = p->pos;
    ct_strbuf sb = {NULL, 0, 0, 0};
    p->pos++; /* the opening quote */
    for (;;) {
        if (p->pos >= p->len) {
            fail_at(p, start, "unterminated string (no closing '\"' before the end of input)");
            goto fail;
        }
        /* the run of plain characters up to the next quote, backslash, control or non-ASCII */
        size_t run = p->pos;
        while (run < p->len) {
            unsigned char c = (unsigned char)p->s[run];
            if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
            run++;
        }
        if (run > p->pos) {
            if (!ct_sb_put(&sb, p->s + p->pos, run - p->pos)) goto oom;
            p->pos = run;
            continue;
        }
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c == '"') {
            p->pos++;
            break;
        }
        if (c < 0x20) {
            if (c == '\n')
                fail_at(p, start,
                        "unterminated string (a line break before the closing '\"'; "
                        "write \\n inside strings)");
            else
                fail_at(p, p->pos, "control character 0x%02X in a string must be escaped",
                        (unsigned)c);
            goto fail;
        }
        if (c >= 0x80) {
            size_t n = ct_utf8_seq((const unsigned char *)p->s + p->pos, p->len - p->pos);
            if (n == 0) {
                fail_at(p, p->pos, "invalid UTF-8 byte 0x%02X in a string", (unsigned)c);
                goto fail;
            }
            if (!ct_sb_put(&sb, p->s + p->pos, n)) goto oom;
            p->pos += n;
            continue;
        }
        /* a backslash escape */
        size_t esc = p->pos;
        if (esc + 1 >= p->len) {
            fail_at(p, start, "unterminated string (input ends inside an escape)");
            goto fail;
        }
        char e = p->s[esc + 1];
        char ch;
        switch (e) {
        case '"': ch = '"'; break;
        case '\\': ch = '\\'; break;
        case '/': ch = '/'; break;
        case 'b': ch = '\b'; break;
        case 'f': ch = '\f'; break;
        case 'n': ch = '\n'; break;
        case 'r': ch = '\r'; break;
        case 't': ch = '\t'; break;
        case 'u': ch = 0; break;
        default: {
            char f[32];
            describe_at(p, esc + 1, f);
            fail_at(p, esc,
                    "invalid escape: expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX "
                    "after the backslash, found %s",
                    f);
            goto fail;
        }
        }
        if (e != 'u') {
            if (!ct_sb_put(&sb, &ch, 1)) goto oom;
            p->pos = esc + 2;
            continue;
        }
        unsigned long cp;
        if (!hex4(p, esc + 2, &cp)) {
            fail_at(p, esc, "invalid \\u escape: expected four hex digits after \\u");
            goto fail;
        }
        p->pos = esc + 6;
        if (cp >= 0xDC00 && cp <= 0xDFFF) {
            fail_at(p, esc, "unpaired low surrogate \\u%04lX (it must follow a high surrogate)",
                    cp);
            goto fail;
        }
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            unsigned long lo;
            if (p->pos + 1 >= p->len || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u' ||
                !hex4(p, p->pos + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
                fail_at(p, esc,
                        "unpaired high surrogate \\u%04lX (expected a low surrogate "
                        "\\uDC00-\\uDFFF right after it)",
                        cp);
                goto fail;
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            p->pos += 6;
        }
        if (cp == 0) {
            fail_at(p, esc, "\\u0000 (a NUL character) is not supported in strings");
            goto fail;
        }
        char u[4];
        size_t un = utf8_encode(cp, u);
        if (!ct_sb_put(&sb, u, un)) goto oom;
    }
    if (!sb.s && !ct_sb_put(&sb, "", 0)) goto oom;
    *out = sb.s;
    return 1;
oom:
    fail_at(p, start, "out of memory");
fail:
    free(sb.s);
    return 0;
}

/* ---- numbers ---------------------------------------------------------------------------- */

static int parse_number(parser *p, ct_json *out) {
    size_t start = p->pos;
    if (peek(p) == '-') p->pos++;
    if (!is_digit(peek(p))) {
        fail_found(p, p->pos, "a digit after '-'");
        return 0;
    }
    if (peek(p) == '0') {
        p->pos++;
        if (is_digit(peek(p))) {
            fail_at(p, start, "leading zeros are not allowed in numbers");
            return 0;
        }
    } else {
        while (is_digit(peek(p)))
            p->pos++;
    }
    if (peek(p) == '.') {
        p->pos++;
        if (!is_digit(peek(p))) {
            fail_found(p, p->pos, "a digit after the decimal point");
            return 0;
        }
        while (is_digit(peek(p)))
            p->pos++;
    }
    if (peek(p) == 'e' || peek(p) == 'E') {
        p->pos++;
        if (peek(p) == '+' || peek(p) == '-') p->pos++;
        if (!is_digit(peek(p))) {
            fail_found(p, p->pos, "a digit in the exponent");
            return 0;
        }
        while (is_digit(peek(p)))
            p->pos++;
    }
    /* strtod needs a NUL-terminated copy, with the locale's decimal point */
    size_t n = p->pos - start;
    char small[64];
    char *buf = n < sizeof small ? small : malloc(n + 1);
    if (!buf) {
        fail_at(p, start, "out of memory");
        return 0;
    }
    memcpy(buf, p->s + start, n);
    buf[n] = '\0';
    const struct lconv *lc = localeconv();
    char dp = lc && lc->decimal_point && lc->decimal_point[0] ? lc->decimal_point[0] : '.';
    if (dp != '.') {
        char *d = memchr(buf, '.', n);
        if (d) *d = dp;
    }
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    int whole = end == buf + n;
    if (buf != small) free(buf);
    if (!whole) {
        fail_at(p, start, "cannot convert the number");
        return 0;
    }
    if (isinf(v)) {
        fail_at(p, start, "number out of range (too large for a double)");
        return 0;
    }
    out->type = CT_JSON_NUMBER;
    out->number = v;
    return 1;
}

/* ---- values ----------------------------------------------------------------------------- */

static int parse_value(parser *p, ct_json *out);

static int enter(parser *p) {
    if (p->depth >= CT_JSON_MAX_DEPTH) {
        fail_at(p, p->pos, "nesting deeper than %d levels", CT_JSON_MAX_DEPTH);
        return 0;
    }
    p->depth++;
    return 1;
}

/* Room for one more item (and key) in a container. */
static int grow(parser *p, ct_json *c, size_t *cap, int with_keys) {
    if (c->count < *cap) return 1;
    size_t ncap = *cap ? *cap * 2 : 4;
    ct_json *items = realloc(c->items, ncap * sizeof *items);
    if (!items) goto oom;
    c->items = items;
    if (with_keys) {
        char **keys = realloc(c->keys, ncap * sizeof *keys);
        if (!keys) goto oom;
        c->keys = keys;
    }
    *cap = ncap;
    return 1;
oom:
    fail_at(p, p->pos, "out of memory");
    return 0;
}

static int parse_array(parser *p, ct_json *out) {
    size_t cap = 0;
    out->type = CT_JSON_ARRAY;
    if (!enter(p)) return 0;
    p->pos++; /* '[' */
    skip_ws(p);
    if (peek(p) == ']') {
        p->pos++;
        p->depth--;
        return 1;
    }
    for (;;) {
        if (!grow(p, out, &cap, 0)) return 0;
        ct_json *item = &out->items[out->count];
        memset(item, 0, sizeof *item);
        if (!parse_value(p, item)) {
            json_clear(item);
            return 0;
        }
        out->count++;
        skip_ws(p);
        int c = peek(p);
        if (c == ']') {
            p->pos++;
            break;
        }
        if (c != ',') {
            fail_found(p, p->pos, "',' or ']' after an array item");
            return 0;
        }
        p->pos++;
        skip_ws(p);
        if (peek(p) == ']') {
            fail_at(p, p->pos, "expected a value after ',', found ']' (a trailing comma)");
            return 0;
        }
    }
    p->depth--;
    return 1;
}

static int parse_object(parser *p, ct_json *out) {
    size_t cap = 0;
    out->type = CT_JSON_OBJECT;
    if (!enter(p)) return 0;
    p->pos++; /* '{' */
    skip_ws(p);
    if (peek(p) == '}') {
        p->pos++;
        p->depth--;
        return 1;
    }
    for (;;) {
        int c = peek(p);
        if (c != '"') {
            if (c == '}' && out->count > 0)
                fail_at(p, p->pos,
                        "expected a string key after ',', found '}' "
                        "(a trailing comma)");
            else
                fail_found(p, p->pos, "a string key in double quotes");
            return 0;
        }
        if (!grow(p, out, &cap, 1)) return 0;
        char *key = NULL;
        if (!parse_string(p, &key)) return 0;
        skip_ws(p);
        if (peek(p) != ':') {
            fail_found(p, p->pos, "':' after the object key");
            free(key);
            return 0;
        }
        p->pos++;
        ct_json *item = &out->items[out->count];
        memset(item, 0, sizeof *item);
        if (!parse_value(p, item)) {
            json_clear(item);
            free(key);
            return 0;
        }
        out->keys[out->count] = key;
        out->count++;
        skip_ws(p);
        c = peek(p);
        if (c == '}') {
            p->pos++;
            break;
        }
        if (c != ',') {
            fail_found(p, p->pos, "',' or '}' after an object member");
            return 0;
        }
        p->pos++;
        skip_ws(p);
    }
    p->depth--;
    return 1;
}

/* true, false or null, spelled exactly */
static int parse_literal(parser *p, const char *word) {
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0) {
        fail_at(p, p->pos, "expected a value; '%s' is misspelled or cut off", word);
        return 0;
    }
    p->pos += n;
    return 1;
}

static int parse_value(parser *p, ct_json *out) {
    skip_ws(p);
    int c = peek(p);
    switch (c) {
    case '{': return parse_object(p, out);
    case '[': return parse_array(p, out);
    case '"': out->type = CT_JSON_STRING; return parse_string(p, &out->string);
    case 't':
        out->type = CT_JSON_BOOL;
        out->boolean = 1;
        return parse_literal(p, "true");
    case 'f':
        out->type = CT_JSON_BOOL;
        out->boolean = 0;
        return parse_literal(p, "false");
    case 'n': out->type = CT_JSON_NULL; return parse_literal(p, "null");
    default:
        if (c == '-' || is_digit(c)) return parse_number(p, out);
        fail_found(p, p->pos, "a value (object, array, string, number, true, false or null)");
        return 0;
    }
}

ct_json *ct_json_parse(const char *text, size_t len, char *err, size_t errlen) {
    parser p = {text, len, 0, 0, 0, err, errlen};
    if (err && errlen) err[0] = '\0';
    if (!text) {
        p.s = "";
        p.len = 0;
    }
    ct_json *root = calloc(1, sizeof *root);
    if (!root) {
        fail_at(&p, 0, "out of memory");
        return NULL;
    }
    if (!parse_value(&p, root)) goto fail;
    skip_ws(&p);
    if (p.pos < p.len) {
        fail_found(&p, p.pos, "the end of input after the value");
        goto fail;
    }
    return root;
fail:
    json_clear(root);
    free(root);
    return NULL;
}

void ct_json_free(ct_json *j) {
    if (!j) return;
    json_clear(j);
    free(j);
}

const ct_json *ct_json_get(const ct_json *obj, const char *key) {
    if (!obj || !key || obj->type != CT_JSON_OBJECT) return NULL;
    for (size_t i = 0; i < obj->count; i++)
        if (strcmp(obj->keys[i], key) == 0) return &obj->items[i];
    return NULL;
}

/* ---- writing ---------------------------------------------------------------------------- */

/* The escaped form of one byte into out (NUL-terminated); returns its length. Bytes >= 0x80
 * pass through, so UTF-8 stays UTF-8. */
static size_t escape_byte(unsigned char c, char out[8]) {
    switch (c) {
    case '"': memcpy(out, "\\\"", 3); return 2;
    case '\\': memcpy(out, "\\\\", 3); return 2;
    case '\b': memcpy(out, "\\b", 3); return 2;
    case '\f': memcpy(out, "\\f", 3); return 2;
    case '\n': memcpy(out, "\\n", 3); return 2;
    case '\r': memcpy(out, "\\r", 3); return 2;
    case '\t': memcpy(out, "\\t", 3); return 2;
    default: break;
    }
    if (c < 0x20 || c == 0x7f) {
        snprintf(out, 8, "\\u%04x", (unsigned)c);
        return 6;
    }
    out[0] = (char)c;
    out[1] = '\0';
    return 1;
}

void ct_json_write_string(FILE *f, const char *s) {
    char e[8];
    fputc('"', f);
    for (const unsigned char *q = (const unsigned char *)(s ? s : ""); *q; q++) {
        escape_byte(*q, e);
        fputs(e, f);
    }
    fputc('"', f);
}

/* Appends src[0..n) at dst[*pos..], keeping room for the NUL; *pos counts what was needed. */
static void put_capped(char *dst, size_t cap, size_t *pos, const char *src, size_t n) {
    for (size_t k = 0; k < n; k++, (*pos)++)
        if (dst && *pos + 1 < cap) dst[*pos] = src[k];
}

size_t ct_json_escape(char *dst, size_t cap, const char *s) {
    size_t n = 0;
    char e[8];
    put_capped(dst, cap, &n, "\"", 1);
    for (const unsigned char *q = (const unsigned char *)(s ? s : ""); *q; q++) {
        size_t k = escape_byte(*q, e);
        put_capped(dst, cap, &n, e, k);
    }
    put_capped(dst, cap, &n, "\"", 1);
    if (dst && cap > 0) dst[n < cap ? n : cap - 1] = '\0';
    return n;
}
