/* Small helpers shared by the host modules: messages, strings, UTF-8. */
#ifndef CT_STRUTIL_H
#define CT_STRUTIL_H

#include <stddef.h>

#include "cltrain.h"

#if defined(__GNUC__)
#define CT_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CT_PRINTF(                                                                                 \
    f,                                                                                             \
    a) /* Writes the lines of a compiler's log into dst (n bytes) so that what matters fits: first \
        * the error diagnostics with their source and caret lines, then the other lines in order,               \
        * each whole or left out, and at the end "(K more lines of the log cut)". Returns K. */
size_t ct_log_digest(char *dst, size_t n, const char *log);

#endif

/* A growing string: start from {0}; s is NUL-terminated once anything was put; after a failed
 * allocation oom is set and further puts do nothing. Free s. */
typedef struct ct_strbuf {
    char *s;
    size_t len, cap;
    int oom;
} ct_strbuf;
/* Appends text[0..n); returns 0 when out of memory (now or before). */
int ct_sb_put(ct_strbuf *b, const char *text, size_t n);
/* Appends the formatted text (up to 511 bytes a call). */
void ct_sb_printf(ct_strbuf *b, const char *fmt, ...) CT_PRINTF(2, 3);

/* Formats into msg (CT_MSG_LEN bytes; nothing when msg is NULL). */
void ct_set_msg(char *msg, const char *fmt, ...) CT_PRINTF(2, 3);
/* The same, returning st: `return ct_fail_msg(msg, CT_ERR_IO, "cannot read %s", path);` */
ct_status ct_fail_msg(char *msg, ct_status st, const char *fmt, ...) CT_PRINTF(3, 4);
/* A malloc'ed copy, or NULL. */
char *ct_strdup(const char *s);
/* Frees n strings and the array (accepts NULL). */
void ct_free_strings(char **v, int n);
/* The length (2..4) of the well-formed UTF-8 sequence at s[0..avail), or 0 when it is not one
 * (overlong forms, surrogates and code points above U+10FFFF are not well-formed). */
size_t ct_utf8_seq(const unsigned char *s, size_t avail);
/* Writes the lines of a compiler's log into dst (n bytes) so that what matters fits: first the
 * error diagnostics with their source and caret lines, then the other lines in order, each whole
 * or left out, and at the end "(K more lines of the log cut)". Returns K. */
size_t ct_log_digest(char *dst, size_t n, const char *log);

#endif
