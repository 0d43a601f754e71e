/* A small JSON reader (DOM) and writer helpers, for safetensors headers, model files and
 * metadata. Numbers are doubles. Parse errors name the line and column. */
#ifndef CT_JSON_H
#define CT_JSON_H

#include <stddef.h>
#include <stdio.h>

typedef enum {
    CT_JSON_NULL,
    CT_JSON_BOOL,
    CT_JSON_NUMBER,
    CT_JSON_STRING,
    CT_JSON_ARRAY,
    CT_JSON_OBJECT
} ct_json_type;

typedef struct ct_json {
    ct_json_type type;
    int boolean;
    double number;
    char *string;          /* STRING: value (NUL-terminated, unescaped) */
    size_t count;          /* ARRAY / OBJECT: number of items */
    struct ct_json *items; /* ARRAY / OBJECT: items */
    char **keys;           /* OBJECT: keys, parallel to items */
} ct_json;

/* Parses text[0..len). On failure returns NULL and writes "line L, column C: what" to err. */
ct_json *ct_json_parse(const char *text, size_t len, char *err, size_t errlen);
void ct_json_free(ct_json *j); /* accepts NULL */
/* The member of an object by key, or NULL. */
const ct_json *ct_json_get(const ct_json *obj, const char *key);

/* Writes s as a JSON string literal with escapes. */
void ct_json_write_string(FILE *f, const char *s);
/* Same, into a buffer; returns the length that was needed (as snprintf). */
size_t ct_json_escape(char *dst, size_t cap, const char *s);

#endif
