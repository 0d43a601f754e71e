/* libFuzzer harness: the JSON parser (ct_json_parse) straight from memory. The input is the
 * text; it is handed over without a terminating NUL, so a read past the end is caught.
 *
 * Checks beyond "no crash, no leak": the tree is well formed (objects have keys, strings are
 * NUL-terminated, ct_json_get finds the first of each key), and every string written back
 * with ct_json_escape parses to the same string. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "json.h"

static void check_string(const char *s) {
    size_t need = ct_json_escape(NULL, 0, s);
    char *lit = malloc(need + 1);
    if (!lit) fz_fail("out of memory");
    FZ_CHECK(ct_json_escape(lit, need + 1, s) == need && strlen(lit) == need);
    char err[256];
    ct_json *j = ct_json_parse(lit, need, err, sizeof err);
    if (!j) fz_fail("an escaped string does not parse: %s", err);
    FZ_CHECK(j->type == CT_JSON_STRING && strcmp(j->string, s) == 0);
    ct_json_free(j);
    free(lit);
}

static void walk(const ct_json *j, int depth) {
    FZ_CHECK(depth <= 1000);
    switch (j->type) {
    case CT_JSON_NULL:
    case CT_JSON_BOOL:
    case CT_JSON_NUMBER: break;
    case CT_JSON_STRING:
        FZ_CHECK(j->string != NULL);
        check_string(j->string);
        break;
    case CT_JSON_OBJECT:
        FZ_CHECK(j->count == 0 || j->keys != NULL);
        for (size_t i = 0; i < j->count; i++) {
            FZ_CHECK(j->keys[i] != NULL);
            const ct_json *first = ct_json_get(j, j->keys[i]);
            FZ_CHECK(first != NULL && first <= &j->items[i]);
            check_string(j->keys[i]);
        }
        /* fall through */
    case CT_JSON_ARRAY:
        FZ_CHECK(j->count == 0 || j->items != NULL);
        for (size_t i = 0; i < j->count; i++)
            walk(&j->items[i], depth + 1);
        break;
    default: fz_fail("node of unknown type %d", (int)j->type);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[512];
    err[0] = '\0';
    ct_json *j = ct_json_parse((const char *)data, size, err, sizeof err);
    fz_report("ct_json_parse", j ? CT_OK : CT_ERR_FORMAT, err);
    if (j)
        walk(j, 0);
    else
        FZ_CHECK(err[0] != '\0' && memchr(err, '\0', sizeof err) != NULL);
    ct_json_free(j);
    return 0;
}
