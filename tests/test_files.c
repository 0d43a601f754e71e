/* Files: the JSON reader and writers, safetensors (round trip, F64, hostile files), atomic
 * writes (commit, abort, failures, no temporaries left) and the SVG plot (well-formed, points,
 * log axes, NaN-only and one-point series). Everything happens in a mkdtemp folder under /tmp
 * that is removed at the end. No device needed. */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "fileio.h"
#include "json.h"
#include "plot.h"
#include "safetensors.h"
#include "tbevents.h"
#include "util.h"

/* ---- helpers ---------------------------------------------------------------------------- */

static char g_dir[256]; /* the test folder (set once in main) */

static const char *in_dir(char *buf, size_t cap, const char *name) {
    snprintf(buf, cap, "%s/%s", g_dir, name);
    return buf;
}

static int write_bytes(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    size_t w = n ? fwrite(data, 1, n, f) : 0;
    return fclose(f) == 0 && w == n;
}

/* The whole file as a NUL-terminated string (NULL when unreadable); *n its length. */
static char *slurp(const char *path, size_t *n) {
    char *data = NULL;
    size_t len = 0;
    char msg[CT_MSG_LEN];
    if (ct_read_file(path, &data, &len, (size_t)1 << 28, msg) != CT_OK) return NULL;
    if (n) *n = len;
    return data;
}

static int file_is(const char *path, const char *want) {
    char *s = slurp(path, NULL);
    int ok = s && strcmp(s, want) == 0;
    free(s);
    return ok;
}

/* How many entries of a folder have ".tmp-" in their name. */
static int count_temporaries(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strstr(e->d_name, ".tmp-")) n++;
    closedir(d);
    return n;
}

static void rm_rf(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        chmod(path, 0700);
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d)) != NULL) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
                char sub[1024];
                snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
                rm_rf(sub);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

static int contains(const char *hay, const char *needle) {
    return hay && needle && strstr(hay, needle) != NULL;
}

/* ---- JSON ------------------------------------------------------------------------------- */

static ct_json *parse(const char *s, char *err, size_t errlen) {
    return ct_json_parse(s, strlen(s), err, errlen);
}

static void test_json_valid(void) {
    char err[512];
    const char *doc =
        " {\"a\": 1, \"b\" :[true,false,null] ,\r\n\t\"c\":{\"d\":\"e\"},\"f\":-0.5e2,"
        "\"g\":[], \"h\":{}}  \n";
    ct_json *j = parse(doc, err, sizeof err);
    if (!EXPECT(j != NULL, "valid document refused: %s", err)) return;
    EXPECT(j->type == CT_JSON_OBJECT && j->count == 6, "object of 6, got type %d count %zu",
           (int)j->type, j->count);
    const ct_json *a = ct_json_get(j, "a"), *b = ct_json_get(j, "b"), *c = ct_json_get(j, "c");
    const ct_json *fv = ct_json_get(j, "f"), *g = ct_json_get(j, "g"), *h = ct_json_get(j, "h");
    EXPECT(a && a->type == CT_JSON_NUMBER && a->number == 1.0, "a = 1");
    EXPECT(b && b->type == CT_JSON_ARRAY && b->count == 3 && b->items[0].type == CT_JSON_BOOL &&
               b->items[0].boolean == 1 && b->items[1].boolean == 0 &&
               b->items[2].type == CT_JSON_NULL,
           "b = [true,false,null]");
    const ct_json *d = ct_json_get(c, "d");
    EXPECT(d && d->type == CT_JSON_STRING && !strcmp(d->string, "e"), "c.d = \"e\"");
    EXPECT(fv && fv->number == -50.0, "f = -50, got %g", fv ? fv->number : 0.0);
    EXPECT(g && g->type == CT_JSON_ARRAY && g->count == 0, "g = []");
    EXPECT(h && h->type == CT_JSON_OBJECT && h->count == 0, "h = {}");
    EXPECT(ct_json_get(j, "zz") == NULL && ct_json_get(a, "x") == NULL &&
               ct_json_get(NULL, "a") == NULL,
           "absent keys and non-objects give NULL");
    EXPECT(!strcmp(j->keys[0], "a") && !strcmp(j->keys[5], "h"), "keys keep document order");
    ct_json_free(j);

    /* top-level scalars */
    struct {
        const char *text;
        ct_json_type type;
    } tops[] = {{"\"x\"", CT_JSON_STRING}, {"42", CT_JSON_NUMBER},   {"true", CT_JSON_BOOL},
                {"null", CT_JSON_NULL},    {" [ ] ", CT_JSON_ARRAY}, {"{}", CT_JSON_OBJECT}};
    for (size_t i = 0; i < sizeof tops / sizeof tops[0]; i++) {
        j = parse(tops[i].text, err, sizeof err);
        EXPECT(j && j->type == tops[i].type, "'%s' parses as type %d (%s)", tops[i].text,
               (int)tops[i].type, j ? "" : err);
        ct_json_free(j);
    }

    /* escapes and unicode */
    j = parse("[\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\", \"\\u00e9\\u20AC\\uD83D\\uDE00\", "
              "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\", \"\\u0041\\u007f\", \"\"]",
              err, sizeof err);
    if (EXPECT(j && j->count == 5, "escape array parses: %s", j ? "" : err)) {
        EXPECT(!strcmp(j->items[0].string, "a\"b\\c/d\b\f\n\r\t"), "simple escapes, got '%s'",
               j->items[0].string);
        const char *want = "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"; /* e-acute, euro, emoji */
        EXPECT(!strcmp(j->items[1].string, want), "\\u escapes and a surrogate pair to UTF-8");
        EXPECT(!strcmp(j->items[2].string, want), "raw UTF-8 passes through");
        EXPECT(!strcmp(j->items[3].string, "A\x7f"), "\\u0041\\u007f");
        EXPECT(j->items[4].string && j->items[4].string[0] == '\0', "empty string");
    }
    ct_json_free(j);

    /* numbers */
    struct {
        const char *text;
        double want;
    } nums[] = {{"0", 0.0},
                {"-0", -0.0},
                {"1.5", 1.5},
                {"-2.25e-3", -2.25e-3},
                {"1E+2", 100.0},
                {"1e-2", 0.01},
                {"123456789012", 123456789012.0},
                {"0.1", 0.1},
                {"-0.0e0", -0.0},
                {"1e-400", 0.0},
                {"2.5E3", 2500.0},
                {"9007199254740993", 9007199254740992.0}};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        j = parse(nums[i].text, err, sizeof err);
        int ok = j && j->type == CT_JSON_NUMBER && j->number == nums[i].want &&
                 signbit(j->number) == signbit(nums[i].want);
        EXPECT(ok, "number %s: want %.17g, got %.17g (%s)", nums[i].text, nums[i].want,
               j ? j->number : NAN, j ? "" : err);
        ct_json_free(j);
    }

    /* duplicate keys: kept, the first wins */
    j = parse("{\"a\":1,\"a\":2}", err, sizeof err);
    EXPECT(j && j->count == 2 && ct_json_get(j, "a")->number == 1.0,
           "duplicate keys allowed, first wins");
    ct_json_free(j);

    /* exactly the depth limit is fine */
    char deep[2 * 256 + 1];
    for (int i = 0; i < 256; i++)
        deep[i] = '[', deep[256 + i] = ']';
    deep[512] = '\0';
    j = parse(deep, err, sizeof err);
    EXPECT(j != NULL, "256 nested arrays parse: %s", j ? "" : err);
    ct_json_free(j);

    /* not NUL-terminated: only len bytes count */
    j = ct_json_parse("[1]garbage", 3, err, sizeof err);
    EXPECT(j && j->count == 1, "parse respects len");
    ct_json_free(j);
    ct_json_free(NULL);
}

static void test_json_errors(void) {
    struct {
        const char *text;
        int line, col;
        const char *what;
    } bad[] = {
        {"[1,2,]", 1, 6, "trailing comma"},
        {"{\"a\":1,}", 1, 8, "trailing comma"},
        {"\"abc", 1, 1, "unterminated string"},
        {"[\"ab\ncd\"]", 1, 2, "unterminated string"},
        {"\"a\\qb\"", 1, 3, "invalid escape"},
        {"01", 1, 1, "leading zeros"},
        {"[-012]", 1, 2, "leading zeros"},
        {"-", 1, 2, "digit after '-'"},
        {"-a", 1, 2, "digit after '-'"},
        {"1.", 1, 3, "decimal point"},
        {".5", 1, 1, "expected a value"},
        {"1e", 1, 3, "exponent"},
        {"1e+", 1, 4, "exponent"},
        {"+1", 1, 1, "expected a value"},
        {"[1 2]", 1, 4, "',' or ']'"},
        {"{\"a\" 1}", 1, 6, "':'"},
        {"{a:1}", 1, 2, "string key"},
        {"{\"a\":1 \"b\":2}", 1, 8, "',' or '}'"},
        {"[", 1, 2, "end of input"},
        {"[1,2", 1, 5, "end of input"},
        {"{\"a\":", 1, 6, "expected a value"},
        {"{\"a\":1", 1, 7, "end of input"},
        {"", 1, 1, "end of input"},
        {"   \n  ", 2, 3, "end of input"},
        {"tru", 1, 1, "true"},
        {"nul", 1, 1, "null"},
        {"True", 1, 1, "expected a value"},
        {"[1]x", 1, 4, "end of input after the value"},
        {"1 2", 1, 3, "end of input after the value"},
        {"\n\n  [1,\n   ]", 4, 4, "trailing comma"},
        {"\"\\uD83D\"", 1, 2, "unpaired high surrogate"},
        {"\"\\uD83D\\u0041\"", 1, 2, "unpaired high surrogate"},
        {"\"\\uDE00\"", 1, 2, "unpaired low surrogate"},
        {"\"\\u12G4\"", 1, 2, "four hex digits"},
        {"\"\\u12\"", 1, 2, "four hex digits"},
        {"\"a\tb\"", 1, 3, "control character"},
        {"\"\\u0000\"", 1, 2, "NUL"},
        {"\"\xff\"", 1, 2, "UTF-8"},
        {"\"\xc0\xaf\"", 1, 2, "UTF-8"},     /* overlong '/' */
        {"\"\xed\xa0\x80\"", 1, 2, "UTF-8"}, /* an encoded surrogate */
        {"\"\xe2\x82\"", 1, 2, "UTF-8"},     /* cut sequence */
        {"NaN", 1, 1, "expected a value"},
        {"-Infinity", 1, 2, "digit after '-'"},
        {"'a'", 1, 1, "expected a value"},
        {"1e999", 1, 1, "out of range"},
        {"-1e999", 1, 1, "out of range"},
        {"{\"a\":1 // c\n}", 1, 8, "',' or '}'"},
        {"[\"\xc3\xa9\" x]", 1, 6, "',' or ']'"}, /* columns count characters */
        {"\"abc\\", 1, 1, "unterminated string"},
        {"[1,,2]", 1, 4, "expected a value"},
        {"{,}", 1, 2, "string key"},
        {"{\"a\":1,,}", 1, 8, "string key"},
        {"\xef\xbb\xbf{}", 1, 1, "expected a value"}, /* a byte order mark */
    };
    char err[512], prefix[64];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ct_json *j = parse(bad[i].text, err, sizeof err);
        snprintf(prefix, sizeof prefix, "line %d, column %d: ", bad[i].line, bad[i].col);
        EXPECT(j == NULL && !strncmp(err, prefix, strlen(prefix)) && contains(err, bad[i].what),
               "case %zu: want \"%s...%s\", got \"%s\"", i, prefix, bad[i].what,
               j ? "(parsed)" : err);
        ct_json_free(j);
    }

    /* a text with a NUL byte inside */
    ct_json *j = ct_json_parse("[1]\0", 4, err, sizeof err);
    EXPECT(!j && contains(err, "byte 0x00"), "NUL after the value, got '%s'", err);
    ct_json_free(j);

    /* depth bombs: arrays, objects, mixed */
    size_t n = 100000;
    char *bomb = malloc(n + 1);
    if (!bomb) return;
    memset(bomb, '[', n);
    bomb[n] = '\0';
    j = parse(bomb, err, sizeof err);
    EXPECT(!j && !strncmp(err, "line 1, column 257: ", 20) && contains(err, "nesting deeper"),
           "array bomb: got '%s'", err);
    ct_json_free(j);
    for (size_t i = 0; i + 5 <= n; i += 5)
        memcpy(bomb + i, "{\"a\":", 5);
    j = parse(bomb, err, sizeof err);
    EXPECT(!j && contains(err, "nesting deeper"), "object bomb: got '%s'", err);
    ct_json_free(j);
    free(bomb);

    /* err may be NULL or tiny */
    EXPECT(ct_json_parse("[", 1, NULL, 0) == NULL, "NULL err is accepted");
    char tiny[8];
    EXPECT(ct_json_parse("[", 1, tiny, sizeof tiny) == NULL && strlen(tiny) == 7,
           "err is cut to its size");
}

static void test_json_write(void) {
    char buf[128];
    const char *s = "a\"b\\\n\x01\x1f\t\xc3\xa9/";
    const char *want = "\"a\\\"b\\\\\\n\\u0001\\u001f\\t\xc3\xa9/\"";
    size_t need = ct_json_escape(buf, sizeof buf, s);
    EXPECT(need == strlen(want) && !strcmp(buf, want), "escape: want %s, got %s (%zu)", want, buf,
           need);
    EXPECT(ct_json_escape(NULL, 0, s) == strlen(want), "escape length without a buffer");
    memset(buf, 'Z', sizeof buf);
    need = ct_json_escape(buf, 4, "abcdef");
    EXPECT(need == 8 && !strcmp(buf, "\"ab"), "escape cut like snprintf: got '%s' %zu", buf, need);
    EXPECT(ct_json_escape(buf, sizeof buf, "") == 2 && !strcmp(buf, "\"\""), "empty string");

    /* round trip through the parser, for the buffer and the FILE writer */
    const char *samples[] = {
        "plain",         "quote \" backslash \\ slash /", "ctl \x01\x02\x7f end",
        "tab\tnl\ncr\r", "\xf0\x9f\x98\x80 \xe2\x82\xac", ""};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        char err[256];
        char *lit = NULL;
        size_t litlen = 0;
        FILE *mf = open_memstream(&lit, &litlen);
        if (!mf) continue;
        ct_json_write_string(mf, samples[i]);
        fclose(mf);
        size_t n = ct_json_escape(NULL, 0, samples[i]);
        char *b = malloc(n + 1);
        if (b) ct_json_escape(b, n + 1, samples[i]);
        EXPECT(b && litlen == n && !strcmp(b, lit), "FILE and buffer writers agree on '%s'",
               samples[i]);
        ct_json *j = ct_json_parse(lit, litlen, err, sizeof err);
        EXPECT(j && j->type == CT_JSON_STRING && !strcmp(j->string, samples[i]),
               "round trip of sample %zu (%s)", i, j ? "" : err);
        ct_json_free(j);
        free(b);
        free(lit);
    }
}

/* Random damage to valid documents: the parser must answer (accept or refuse) and never
 * crash, leak or read out of bounds (the sanitizers watch). */
static void test_json_fuzz(void) {
    test_rng r = test_rng_make(test_seed(20240611));
    const char *base = "{\"__metadata__\":{\"k\":\"v\\u00e9\"},\"w\":{\"dtype\":\"F32\","
                       "\"shape\":[2,3],\"data_offsets\":[0,24]},\"x\":[1.5e-3,-0,true,null]}";
    size_t n = strlen(base);
    char buf[256];
    long accepted = 0;
    const char alphabet[] = "{}[]\",:\\u0123456789eE+-.tfn \n\xc3\xa9\xff";
    for (int it = 0; it < 20000; it++) {
        memcpy(buf, base, n);
        size_t len = n;
        int edits = test_rng_int(&r, 1, 4);
        for (int e = 0; e < edits; e++) {
            size_t at = (size_t)test_rng_int(&r, 0, (int)len - 1);
            int kind = test_rng_int(&r, 0, 2);
            if (kind == 0)
                buf[at] = alphabet[test_rng_int(&r, 0, (int)sizeof alphabet - 2)];
            else if (kind == 1 && len > 1)
                memmove(buf + at, buf + at + 1, --len - at);
            else
                len = at + 1; /* truncate */
        }
        char err[256];
        ct_json *j = ct_json_parse(buf, len, err, sizeof err);
        if (j)
            accepted++;
        else if (strncmp(err, "line ", 5) != 0)
            EXPECT(0, "fuzz: error without a position: '%s'", err);
        ct_json_free(j);
    }
    EXPECT(accepted > 0 && accepted < 20000, "fuzz: some mutants accepted (%ld), most refused",
           accepted);
}

/* ---- atomic files ----------------------------------------------------------------------- */

static void test_atomic(void) {
    char path[512], msg[CT_MSG_LEN];
    in_dir(path, sizeof path, "atomic.txt");
    EXPECT(write_bytes(path, "old", 3), "setup");

    /* commit replaces */
    ct_atomic_file a = {0};
    ct_status st = ct_atomic_begin(&a, path, msg);
    if (EXPECT(st == CT_OK && a.f && a.tmp, "begin: %s", msg)) {
        EXPECT(contains(a.tmp, ".tmp-") && !strncmp(a.tmp, path, strlen(path)),
               "temporary next to the file: %s", a.tmp);
        EXPECT(count_temporaries(g_dir) == 1, "the temporary exists while writing");
        fputs("new content", a.f);
        EXPECT(file_is(path, "old"), "the old file is untouched before commit");
        st = ct_atomic_commit(&a, msg);
        EXPECT(st == CT_OK, "commit: %s", msg);
        EXPECT(a.f == NULL && a.tmp == NULL && a.path == NULL, "commit releases the struct");
    }
    EXPECT(file_is(path, "new content"), "commit replaced the file");
    EXPECT(count_temporaries(g_dir) == 0, "no temporary after commit");

    /* abort keeps the old file */
    st = ct_atomic_begin(&a, path, msg);
    if (EXPECT(st == CT_OK, "begin: %s", msg)) {
        fputs("half a fi", a.f);
        ct_atomic_abort(&a);
    }
    EXPECT(file_is(path, "new content"), "abort left the old file");
    EXPECT(count_temporaries(g_dir) == 0, "no temporary after abort");
    ct_atomic_abort(&a); /* twice */
    ct_atomic_file z = {0};
    ct_atomic_abort(&z);
    ct_atomic_abort(NULL);
    EXPECT(ct_atomic_commit(&z, msg) == CT_ERR_ARG, "commit without begin is an argument error");

    /* two writers at once get different temporaries */
    ct_atomic_file a1 = {0}, a2 = {0};
    if (EXPECT(ct_atomic_begin(&a1, path, msg) == CT_OK && ct_atomic_begin(&a2, path, msg) == CT_OK,
               "two begins: %s", msg)) {
        EXPECT(strcmp(a1.tmp, a2.tmp) != 0, "distinct temporaries %s %s", a1.tmp, a2.tmp);
        fputs("one", a1.f);
        fputs("two", a2.f);
        EXPECT(ct_atomic_commit(&a1, msg) == CT_OK && ct_atomic_commit(&a2, msg) == CT_OK,
               "both commit");
        EXPECT(file_is(path, "two"), "the last commit wins");
    }
    ct_atomic_abort(&a1);
    ct_atomic_abort(&a2);

    /* the mode of the replaced file is kept */
    chmod(path, 0640);
    if (ct_atomic_begin(&a, path, msg) == CT_OK) {
        fputs("mode", a.f);
        EXPECT(ct_atomic_commit(&a, msg) == CT_OK, "commit: %s", msg);
    }
    struct stat sb;
    EXPECT(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0640, "mode 0640 kept, got %o",
           (unsigned)(sb.st_mode & 0777));

    /* a folder that does not exist */
    char nodir[512];
    in_dir(nodir, sizeof nodir, "no/such/folder/model.safetensors");
    st = ct_atomic_begin(&a, nodir, msg);
    EXPECT(st == CT_ERR_IO && contains(msg, nodir) && contains(msg, "does not exist") &&
               a.f == NULL && a.tmp == NULL,
           "missing folder: got %d '%s'", (int)st, msg);

    /* the path is a folder */
    char sub[512];
    in_dir(sub, sizeof sub, "subfolder");
    mkdir(sub, 0700);
    st = ct_atomic_begin(&a, sub, msg);
    EXPECT(st == CT_ERR_IO && contains(msg, sub) && contains(msg, "folder"),
           "path is a folder: got '%s'", msg);
    char slash[520];
    snprintf(slash, sizeof slash, "%s/", path);
    EXPECT(ct_atomic_begin(&a, slash, msg) == CT_ERR_IO && contains(msg, "folder"),
           "path ending in '/': got '%s'", msg);
    EXPECT(ct_atomic_begin(&a, "", msg) == CT_ERR_ARG, "empty path");

    /* the rename fails at commit (the destination became a folder meanwhile) */
    char later[512];
    in_dir(later, sizeof later, "becomes_folder");
    if (EXPECT(ct_atomic_begin(&a, later, msg) == CT_OK, "begin: %s", msg)) {
        fputs("data", a.f);
        mkdir(later, 0700);
        st = ct_atomic_commit(&a, msg);
        EXPECT(st == CT_ERR_IO && contains(msg, "cannot write") && contains(msg, later),
               "rename over a folder fails with a message: %d '%s'", (int)st, msg);
        EXPECT(stat(later, &sb) == 0 && S_ISDIR(sb.st_mode), "the folder is still there");
        EXPECT(count_temporaries(g_dir) == 0, "no temporary after a failed commit");
        EXPECT(a.f == NULL && a.tmp == NULL, "failed commit releases the struct");
    }

    /* a read-only folder: only meaningful when the permission is enforced (not for root) */
    char ro[512], ro_file[600];
    in_dir(ro, sizeof ro, "readonly");
    snprintf(ro_file, sizeof ro_file, "%s/model.safetensors", ro);
    mkdir(ro, 0700);
    write_bytes(ro_file, "old model", 9);
    chmod(ro, 0500);
    char probe[640];
    snprintf(probe, sizeof probe, "%s/probe", ro);
    int fd = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd >= 0) {
        close(fd);
        unlink(probe);
        printf("atomic: a chmod 0500 folder is writable here (root?); the failure cases were "
               "tested with a missing folder and with a path that is a folder instead\n");
    } else {
        printf("atomic: testing a write into a read-only (chmod 0500) folder\n");
        st = ct_atomic_begin(&a, ro_file, msg);
        EXPECT(st == CT_ERR_IO && contains(msg, ro_file) && contains(msg, "ermission"),
               "read-only folder: got %d '%s'", (int)st, msg);
        EXPECT(file_is(ro_file, "old model"), "the old file survived");
        EXPECT(count_temporaries(ro) == 0, "no temporary in the read-only folder");
    }
    chmod(ro, 0700);
    EXPECT(count_temporaries(g_dir) == 0 && count_temporaries(ro) == 0,
           "no temporaries left anywhere");
}

static void test_read_file(void) {
    char path[512], msg[CT_MSG_LEN];
    char *data = (char *)1;
    size_t len = 99;
    in_dir(path, sizeof path, "missing.txt");
    ct_status st = ct_read_file(path, &data, &len, 100, msg);
    EXPECT(st == CT_ERR_IO && data == NULL && len == 0 && contains(msg, path) &&
               contains(msg, "No such file"),
           "missing file: '%s'", msg);
    st = ct_read_file(g_dir, &data, &len, 100, msg);
    EXPECT(st == CT_ERR_IO && contains(msg, "folder") && contains(msg, g_dir), "folder: '%s'", msg);
    in_dir(path, sizeof path, "ten.txt");
    write_bytes(path, "0123456789", 10);
    st = ct_read_file(path, &data, &len, 9, msg);
    EXPECT(st == CT_ERR_IO && contains(msg, path) && contains(msg, "more than the limit of 9"),
           "too large: '%s'", msg);
    st = ct_read_file(path, &data, &len, 10, msg);
    EXPECT(st == CT_OK && len == 10 && data && !strcmp(data, "0123456789"),
           "exactly the limit reads");
    free(data);
    in_dir(path, sizeof path, "empty.txt");
    write_bytes(path, "", 0);
    st = ct_read_file(path, &data, &len, 10, msg);
    EXPECT(st == CT_OK && len == 0 && data && data[0] == '\0', "empty file reads as \"\"");
    free(data);
    /* a big one, to cross the growth steps */
    size_t big = 300000;
    char *content = malloc(big);
    if (content) {
        for (size_t i = 0; i < big; i++)
            content[i] = (char)('a' + i % 26);
        in_dir(path, sizeof path, "big.txt");
        write_bytes(path, content, big);
        st = ct_read_file(path, &data, &len, big, msg);
        EXPECT(st == CT_OK && len == big && !memcmp(data, content, big), "300 kB file");
        free(data);
        free(content);
    }
    /* unreadable, when permissions are enforced */
    in_dir(path, sizeof path, "secret.txt");
    write_bytes(path, "x", 1);
    chmod(path, 0000);
    FILE *probe = fopen(path, "rb");
    if (probe) {
        fclose(probe);
    } else {
        st = ct_read_file(path, &data, &len, 10, msg);
        EXPECT(st == CT_ERR_IO && contains(msg, "ermission"), "unreadable: '%s'", msg);
    }
    chmod(path, 0600);
}

/* ---- safetensors ------------------------------------------------------------------------ */

/* Writes an 8-byte length (hlen, or the header's length when hlen is ~0), the header, and
 * data_len bytes of data (from data, or a ramp when NULL). */
static int write_st(const char *path, const char *header, uint64_t hlen, const void *data,
                    size_t data_len) {
    size_t h = strlen(header);
    if (hlen == UINT64_MAX) hlen = h;
    size_t total = 8 + h + data_len;
    unsigned char *b = malloc(total);
    if (!b) return 0;
    for (int k = 0; k < 8; k++)
        b[k] = (unsigned char)(hlen >> (8 * k));
    memcpy(b + 8, header, h);
    for (size_t i = 0; i < data_len; i++)
        b[8 + h + i] = data ? ((const unsigned char *)data)[i] : (unsigned char)(i * 7);
    int ok = write_bytes(path, b, total);
    free(b);
    return ok;
}

static void test_st_roundtrip(void) {
    char path[512], msg[CT_MSG_LEN];
    in_dir(path, sizeof path, "model.safetensors");
    test_rng r = test_rng_make(test_seed(77));
    float w[15], b[5], s[1] = {-0.0f}, t4[12];
    test_fillf(&r, w, 15, -2.0f, 2.0f);
    test_fillf(&r, b, 5, -1.0f, 1.0f);
    test_fillf(&r, t4, 12, -100.0f, 100.0f);
    w[0] = INFINITY;
    w[1] = -INFINITY;
    w[2] = 1e-45f; /* a denormal */
    w[3] = -0.0f;
    uint32_t nan_bits = 0x7fc12345u; /* a NaN with a payload: bits must survive */
    memcpy(&w[4], &nan_bits, 4);
    ct_st_tensor ts[5] = {
        {"layers.0.weight", 2, {3, 5, 0, 0}, 15, w},
        {"layers.0.bias", 1, {5, 0, 0, 0}, 5, b},
        {"scalar", 0, {0, 0, 0, 0}, 1, s},
        {"empty", 2, {0, 4, 0, 0}, 0, NULL},
        {"four.d \"quoted\" \xc3\xa9", 4, {2, 1, 3, 2}, 12, t4},
    };
    char *keys[3] = {"format", "note", "empty"};
    char *vals[3] = {"cltrain-mlp-1", "quote \" backslash \\ newline \n e-acute \xc3\xa9", ""};
    ct_status st = ct_st_write(path, ts, 5, keys, vals, 3, msg);
    if (!EXPECT(st == CT_OK, "write: %s", msg)) return;
    EXPECT(count_temporaries(g_dir) == 0, "no temporary after ct_st_write");

    size_t n = 0;
    char *raw = slurp(path, &n);
    if (EXPECT(raw && n >= 8, "file readable")) {
        uint64_t hlen = 0;
        for (int k = 7; k >= 0; k--)
            hlen = (hlen << 8) | (unsigned char)raw[k];
        EXPECT((8 + hlen) % 8 == 0 && hlen <= n - 8, "data section aligned to 8 (hlen %llu)",
               (unsigned long long)hlen);
        EXPECT(raw[8] == '{' && (raw[8 + hlen - 1] == '}' || raw[8 + hlen - 1] == ' '),
               "header is an object padded with spaces");
        EXPECT(n == 8 + hlen + (15 + 5 + 1 + 0 + 12) * 4, "file size %zu", n);
        char err[256];
        ct_json *j = ct_json_parse(raw + 8, (size_t)hlen, err, sizeof err);
        const ct_json *e = ct_json_get(j, "layers.0.bias");
        const ct_json *o = ct_json_get(e, "data_offsets");
        EXPECT(o && o->count == 2 && o->items[0].number == 60 && o->items[1].number == 80,
               "bias at [60, 80) of the data section");
        EXPECT(ct_json_get(e, "dtype") && !strcmp(ct_json_get(e, "dtype")->string, "F32"),
               "dtype F32");
        ct_json_free(j);
    }
    free(raw);

    ct_st_file *f = NULL;
    st = ct_st_read(path, &f, msg);
    if (!EXPECT(st == CT_OK && f, "read back: %s", msg)) return;
    EXPECT(f->n_tensors == 5 && f->n_meta == 3, "5 tensors and 3 metadata, got %d and %d",
           f->n_tensors, f->n_meta);
    for (int i = 0; i < 5 && i < f->n_tensors; i++) {
        const ct_st_tensor *g = &f->tensors[i];
        EXPECT(!strcmp(g->name, ts[i].name), "order kept: %s", g->name);
        EXPECT(g->ndim == ts[i].ndim && g->count == ts[i].count &&
                   !memcmp(g->shape, ts[i].shape, sizeof(int64_t) * (size_t)g->ndim),
               "shape of %s", g->name);
        EXPECT(g->data != NULL, "data pointer of %s is set", g->name);
        EXPECT(ts[i].count == 0 || !memcmp(g->data, ts[i].data, ts[i].count * sizeof(float)),
               "%s bit-exact", g->name);
    }
    EXPECT(ct_st_find(f, "layers.0.bias") == &f->tensors[1] && !ct_st_find(f, "nope"),
           "ct_st_find");
    for (int i = 0; i < 3; i++)
        EXPECT(ct_st_meta(f, keys[i]) && !strcmp(ct_st_meta(f, keys[i]), vals[i]), "metadata %s",
               keys[i]);
    EXPECT(ct_st_meta(f, "absent") == NULL && ct_st_meta(NULL, "x") == NULL, "absent metadata");
    ct_st_free(f);
    ct_st_free(NULL);

    /* no tensors, no metadata */
    st = ct_st_write(path, NULL, 0, NULL, NULL, 0, msg);
    f = NULL;
    EXPECT(st == CT_OK && ct_st_read(path, &f, msg) == CT_OK && f && f->n_tensors == 0 &&
               f->n_meta == 0,
           "an empty file round-trips: %s", msg);
    ct_st_free(f);

    /* writer argument errors leave the previous file alone */
    ct_st_tensor dup[2] = {{"a", 1, {1}, 1, b}, {"a", 1, {1}, 1, b}};
    st = ct_st_write(path, dup, 2, NULL, NULL, 0, msg);
    EXPECT(st == CT_ERR_ARG && contains(msg, "'a'") && contains(msg, "twice"),
           "duplicate names refused: '%s'", msg);
    ct_st_tensor wrong = {"w", 2, {3, 5}, 14, w};
    st = ct_st_write(path, &wrong, 1, NULL, NULL, 0, msg);
    EXPECT(st == CT_ERR_ARG && contains(msg, "'w'") && contains(msg, "(3, 5)"),
           "count not matching the shape refused: '%s'", msg);
    ct_st_tensor meta_name = {"__metadata__", 1, {1}, 1, b};
    EXPECT(ct_st_write(path, &meta_name, 1, NULL, NULL, 0, msg) == CT_ERR_ARG,
           "a tensor called __metadata__ refused");
    char *dk[2] = {"k", "k"}, *dv[2] = {"1", "2"};
    EXPECT(ct_st_write(path, NULL, 0, dk, dv, 2, msg) == CT_ERR_ARG, "duplicate metadata keys");
    f = NULL;
    EXPECT(ct_st_read(path, &f, msg) == CT_OK && f && f->n_tensors == 0,
           "failed writes left the file as it was");
    ct_st_free(f);

    /* into a missing folder */
    char nodir[512];
    in_dir(nodir, sizeof nodir, "nowhere/model.safetensors");
    st = ct_st_write(nodir, ts, 2, NULL, NULL, 0, msg);
    EXPECT(st == CT_ERR_IO && contains(msg, nodir), "missing folder: '%s'", msg);
}

static void test_st_f64(void) {
    char path[512], msg[CT_MSG_LEN];
    in_dir(path, sizeof path, "f64.safetensors");
    double d[5] = {1.5, -2.25, 1e-3, 3.0e38, 0.1};
    float g[2] = {7.0f, -8.0f};
    unsigned char data[48];
    memcpy(data, d, 40);
    memcpy(data + 40, g, 8);
    const char *h = "{\"x\":{\"dtype\":\"F64\",\"shape\":[5],\"data_offsets\":[0,40]},"
                    "\"y\":{\"data_offsets\":[40,48],\"shape\":[1,2],\"dtype\":\"F32\"},"
                    "\"__metadata__\":{\"m\":\"v\"}}";
    write_st(path, h, UINT64_MAX, data, 48);
    ct_st_file *f = NULL;
    ct_status st = ct_st_read(path, &f, msg);
    if (EXPECT(st == CT_OK && f && f->n_tensors == 2, "F64 file reads: %s", msg)) {
        const ct_st_tensor *x = ct_st_find(f, "x");
        int ok = x && x->count == 5;
        for (int i = 0; ok && i < 5; i++)
            ok = x->data[i] == (float)d[i];
        EXPECT(ok, "F64 values converted to float");
        const ct_st_tensor *y = ct_st_find(f, "y");
        EXPECT(y && y->ndim == 2 && y->data[0] == 7.0f && y->data[1] == -8.0f,
               "F32 beside F64, metadata first or last, keys in any order");
        EXPECT(ct_st_meta(f, "m") && !strcmp(ct_st_meta(f, "m"), "v"), "metadata after tensors");
    }
    ct_st_free(f);

    /* overlapping ranges are allowed */
    const char *ov = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                     "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
    write_st(path, ov, UINT64_MAX, g, 8);
    f = NULL;
    st = ct_st_read(path, &f, msg);
    EXPECT(st == CT_OK && f && ct_st_find(f, "b") && ct_st_find(f, "b")->data[0] == -8.0f,
           "overlapping tensors read: %s", msg);
    ct_st_free(f);
}

typedef struct hostile {
    const char *header; /* NULL: raw bytes below */
    size_t data_len;
    const char *want[3]; /* substrings the message must hold (besides the path) */
} hostile;

static void expect_format_error(const char *path, const char *label, const char *const *want) {
    char msg[CT_MSG_LEN];
    ct_st_file *f = (ct_st_file *)1;
    ct_status st = ct_st_read(path, &f, msg);
    int ok = st == CT_ERR_FORMAT && f == NULL && contains(msg, path);
    for (int k = 0; k < 3 && want[k]; k++)
        ok = ok && contains(msg, want[k]);
    EXPECT(ok, "%s: want CT_ERR_FORMAT naming '%s'%s%s%s%s, got %d '%s'", label, path,
           want[0] ? " and '" : "", want[0] ? want[0] : "", want[0] ? "'" : "",
           want[1] ? " ..." : "", (int)st, st == CT_OK ? "(read)" : msg);
    if (st == CT_OK && f != (ct_st_file *)1) ct_st_free(f);
}

static void test_st_hostile(void) {
    char path[512];
    in_dir(path, sizeof path, "hostile.safetensors");
    static const hostile cases[] = {
        {"not json at all", 0, {"not valid JSON", "line 1, column 1"}},
        {"[1,2]", 0, {"expected a JSON object"}},
        {"{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8, {"tensor 'w'", "dtype"}},
        {"{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8, {"tensor 'w'", "shape"}},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, {"tensor 'w'", "data_offsets"}},
        {"{\"w\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}",
         4,
         {"tensor 'w'", "'BF16'", "not supported"}},
        {"{\"w\":{\"dtype\":32,\"shape\":[2],\"data_offsets\":[0,8]}}", 8, {"tensor 'w'", "dtype"}},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,8]}}",
         8,
         {"tensor 'w'", "shape[0]", "-1"}},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[2,1.5],\"data_offsets\":[0,8]}}",
         8,
         {"tensor 'w'", "shape[1]", "whole number"}},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}",
         8,
         {"tensor 'w'", "shape[0] is a string"}},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1e300],\"data_offsets\":[0,8]}}",
         8,
         {"tensor 'w'", "shape[0]"}},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],"
         "\"data_offsets\":[0,8]}}",
         8,
         {"tensor 'w'", "more elements"}},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1],\"data_offsets\":[0,4]}}",
         4,
         {"tensor 'w'", "5 dimensions"}},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}}",
         8,
         {"tensor 'w'", "shape is a number"}},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}",
         8,
         {"tensor 'w'", "[8, 0]", "reversed"}},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[200],\"data_offsets\":[0,800]}}",
         8,
         {"tensor 'w'", "[0, 800]", "past the end"}},
        {"{\"layers.0.weight\":{\"dtype\":\"F32\",\"shape\":[10,20],\"data_offsets\":[0,400]}}",
         400,
         {"tensor 'layers.0.weight': data_offsets [0, 400] need 400 bytes but the shape "
          "(10, 20) of F32 needs 800"}},
        {"{\"w\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,8]}}",
         8,
         {"tensor 'w'", "shape (2) of F64 needs 16"}},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}",
         8,
         {"tensor 'w'", "data_offsets must be"}},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}",
         8,
         {"tensor 'w'", "data_offsets must be"}},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":\"0-8\"}}",
         8,
         {"tensor 'w'", "data_offsets must be"}},
        {"{\"w\":5}", 0, {"tensor 'w'", "found a number"}},
        {"{\"w\":[]}", 0, {"tensor 'w'", "found an array"}},
        {"{\"__metadata__\":{\"a\":1}}", 0, {"__metadata__ 'a'", "a number", "expected a string"}},
        {"{\"__metadata__\":{\"a\":\"x\",\"b\":null}}", 0, {"__metadata__ 'b'", "null"}},
        {"{\"__metadata__\":[\"a\"]}", 0, {"__metadata__ is an array"}},
        {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
         "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
         4,
         {"'w' twice"}},
        {"{\"bad\\u0001name\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[0,1]}}",
         1,
         {"tensor 'bad?name'", "'I8'"}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char label[64];
        snprintf(label, sizeof label, "hostile case %zu", i);
        /* pad the header to 8 like a writer would; hostile or not, alignment is not required */
        write_st(path, cases[i].header, UINT64_MAX, NULL, cases[i].data_len);
        expect_format_error(path, label, cases[i].want);
    }

    /* raw byte cases */
    write_bytes(path, "\x10\0\0\0\0", 5);
    const char *w_short[3] = {"5 bytes", "too short", NULL};
    expect_format_error(path, "5-byte file", w_short);
    write_bytes(path, "", 0);
    expect_format_error(path, "empty file", w_short + 1);
    write_st(path, "{}", (uint64_t)1 << 40, NULL, 0);
    const char *w_absurd[3] = {"absurd", "1099511627776", NULL};
    expect_format_error(path, "absurd header length", w_absurd);
    write_st(path, "{}", UINT64_MAX - 1, NULL, 0);
    const char *w_absurd2[3] = {"absurd", "18446744073709551614", NULL};
    expect_format_error(path, "header length near 2^64", w_absurd2);
    write_st(path, "{\"a\":1}", 200, NULL, 10);
    const char *w_long[3] = {"header length 200", "larger than the rest of the file", NULL};
    expect_format_error(path, "header longer than the file", w_long);
    write_st(path, "", 0, NULL, 0);
    const char *w_empty[3] = {"not valid JSON", "end of input", NULL};
    expect_format_error(path, "empty header", w_empty);
    write_st(path, "{}  \n\t  ", UINT64_MAX, NULL, 0);
    ct_st_file *f = NULL;
    char msg[CT_MSG_LEN];
    EXPECT(ct_st_read(path, &f, msg) == CT_OK && f && f->n_tensors == 0,
           "an empty object with padding reads: %s", msg);
    ct_st_free(f);

    /* an overlap bomb: many tensors over the same bytes */
    size_t nt = 200, cap = nt * 80 + 16;
    char *hb = malloc(cap);
    if (hb) {
        size_t k = 0;
        k += (size_t)snprintf(hb + k, cap - k, "{");
        for (size_t i = 0; i < nt; i++)
            k += (size_t)snprintf(hb + k, cap - k,
                                  "%s\"t%zu\":{\"dtype\":\"F32\",\"shape\":[2048],"
                                  "\"data_offsets\":[0,8192]}",
                                  i ? "," : "", i);
        snprintf(hb + k, cap - k, "}");
        write_st(path, hb, UINT64_MAX, NULL, 8192);
        const char *w_bomb[3] = {"overlap", NULL, NULL};
        expect_format_error(path, "overlap bomb", w_bomb);
        free(hb);
    }

    /* missing file and a folder are I/O errors */
    char missing[512];
    in_dir(missing, sizeof missing, "absent.safetensors");
    f = NULL;
    ct_status st = ct_st_read(missing, &f, msg);
    EXPECT(st == CT_ERR_IO && f == NULL && contains(msg, missing) && contains(msg, "No such file"),
           "missing file: '%s'", msg);
    st = ct_st_read(g_dir, &f, msg);
    EXPECT(st == CT_ERR_IO && contains(msg, "folder"), "folder: '%s'", msg);
}

/* Truncations and byte damage of a valid file: every outcome is OK or an error with a
 * message, never a crash (sanitizers) or a leak. */
static void test_st_fuzz(void) {
    char path[512], dam[512], msg[CT_MSG_LEN];
    in_dir(path, sizeof path, "fuzz.safetensors");
    in_dir(dam, sizeof dam, "damaged.safetensors");
    float w[6] = {1, 2, 3, 4, 5, 6}, b[3] = {7, 8, 9};
    ct_st_tensor ts[2] = {{"w", 2, {2, 3}, 6, w}, {"b", 1, {3}, 3, b}};
    char *k[1] = {"format"}, *v[1] = {"x"};
    if (ct_st_write(path, ts, 2, k, v, 1, msg) != CT_OK) {
        EXPECT(0, "fuzz setup: %s", msg);
        return;
    }
    size_t n = 0;
    char *raw = slurp(path, &n);
    if (!raw) return;
    long ok = 0, refused = 0;
    for (size_t len = 0; len < n; len++) { /* every truncation */
        write_bytes(dam, raw, len);
        ct_st_file *f = NULL;
        ct_status st = ct_st_read(dam, &f, msg);
        if (st == CT_OK)
            ok++;
        else
            refused++;
        ct_st_free(f);
    }
    EXPECT(ok == 0 && refused == (long)n, "every truncation refused (%ld of %zu)", refused, n);
    test_rng r = test_rng_make(test_seed(4242));
    char *buf = malloc(n);
    if (!buf) {
        free(raw);
        return;
    }
    const char alphabet[] = "0123456789-.e[]{}\",: F";
    for (int it = 0; it < 3000; it++) {
        memcpy(buf, raw, n);
        int edits = test_rng_int(&r, 1, 3);
        for (int e = 0; e < edits; e++) {
            size_t at = (size_t)test_rng_int(&r, 0, (int)n - 1);
            if (at < 8 && test_rng_int(&r, 0, 3))
                at = 8 + (size_t)test_rng_int(&r, 0, (int)n - 9); /* mostly the header */
            buf[at] = test_rng_int(&r, 0, 1) ? (char)test_rng_int(&r, 0, 255)
                                             : alphabet[test_rng_int(&r, 0, 21)];
        }
        write_bytes(dam, buf, n);
        ct_st_file *f = NULL;
        ct_status st = ct_st_read(dam, &f, msg);
        if (st == CT_OK) {
            ok++;
            for (int t = 0; t < f->n_tensors; t++) /* touch every value */
                for (size_t i = 0; i < f->tensors[t].count; i++)
                    (void)f->tensors[t].data[i];
        } else {
            refused++;
            if (!contains(msg, dam)) EXPECT(0, "fuzz: message without the path: '%s'", msg);
        }
        ct_st_free(f);
    }
    EXPECT(refused > 0, "fuzz: %ld damaged files read, %ld refused", ok, refused);
    free(buf);
    free(raw);
}

/* ---- the plot --------------------------------------------------------------------------- */

/* A small XML checker: tags balance, attributes are quoted, '&' starts a known entity. */
static int xml_well_formed(const char *s, char *why, size_t whylen) {
    char stack[64][32];
    int depth = 0, seen_root = 0;
    const char *p = s;
    while (*p) {
        if (*p == '&') {
            static const char *const ents[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
            int ok = 0;
            for (int e = 0; e < 5; e++)
                ok |= !strncmp(p, ents[e], strlen(ents[e]));
            if (!ok) {
                snprintf(why, whylen, "bad entity near '%.20s'", p);
                return 0;
            }
            p++;
            continue;
        }
        if (*p == '>') {
            snprintf(why, whylen, "stray '>' near '%.20s'", p);
            return 0;
        }
        if (*p != '<') {
            if (depth == 0 && seen_root && !strchr(" \t\r\n", *p)) {
                snprintf(why, whylen, "text after the root element");
                return 0;
            }
            p++;
            continue;
        }
        if (!strncmp(p, "<?", 2) || !strncmp(p, "<!--", 4)) {
            const char *end = strstr(p, p[1] == '?' ? "?>" : "-->");
            if (!end) {
                snprintf(why, whylen, "unterminated declaration");
                return 0;
            }
            p = end + 2;
            continue;
        }
        int closing = p[1] == '/';
        const char *name = p + 1 + closing;
        size_t nl =
            strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-_");
        if (nl == 0 || nl >= 32) {
            snprintf(why, whylen, "bad tag name near '%.20s'", p);
            return 0;
        }
        const char *q = name + nl;
        char quote = 0;
        while (*q && (quote || *q != '>')) {
            if (quote) {
                if (*q == quote)
                    quote = 0;
                else if (*q == '<') {
                    snprintf(why, whylen, "'<' inside an attribute near '%.20s'", q);
                    return 0;
                } else if (*q == '&') {
                    if (strncmp(q, "&amp;", 5) && strncmp(q, "&lt;", 4) && strncmp(q, "&gt;", 4) &&
                        strncmp(q, "&quot;", 6) && strncmp(q, "&apos;", 6)) {
                        snprintf(why, whylen, "bad entity in an attribute");
                        return 0;
                    }
                }
            } else if (*q == '"' || *q == '\'') {
                quote = *q;
            } else if (*q == '=' && q[1] != '"' && q[1] != '\'') {
                snprintf(why, whylen, "unquoted attribute near '%.20s'", q);
                return 0;
            }
            q++;
        }
        if (!*q) {
            snprintf(why, whylen, "unterminated tag");
            return 0;
        }
        int self = q[-1] == '/';
        if (closing) {
            if (depth == 0 || strncmp(stack[depth - 1], name, nl) || stack[depth - 1][nl]) {
                snprintf(why, whylen, "</%.*s> does not close <%s>", (int)nl, name,
                         depth ? stack[depth - 1] : "(nothing)");
                return 0;
            }
            depth--;
        } else if (!self) {
            if (depth == 0 && seen_root) {
                snprintf(why, whylen, "a second root element");
                return 0;
            }
            if (depth == 64) {
                snprintf(why, whylen, "nesting too deep");
                return 0;
            }
            memcpy(stack[depth], name, nl);
            stack[depth][nl] = '\0';
            depth++;
            seen_root = 1;
        }
        p = q + 1;
    }
    if (depth != 0) {
        snprintf(why, whylen, "<%s> is not closed", stack[depth - 1]);
        return 0;
    }
    return 1;
}

typedef struct poly {
    int points;
    char stroke[16];
    int dashed;
} poly;

/* The polylines of an SVG in document order: points, stroke colour, dashed or not. */
static int polylines(const char *svg, poly *out, int cap) {
    int n = 0;
    for (const char *p = strstr(svg, "<polyline"); p && n < cap; p = strstr(p + 1, "<polyline")) {
        const char *end = strchr(p, '>');
        const char *pts = strstr(p, "points=\"");
        const char *stroke = strstr(p, "stroke=\"");
        if (!end || !pts || pts > end) break;
        pts += 8;
        int count = 0, in_tok = 0;
        for (const char *c = pts; *c && *c != '"'; c++) {
            if (*c != ' ' && !in_tok) count++;
            in_tok = *c != ' ';
        }
        out[n].points = count;
        out[n].stroke[0] = '\0';
        if (stroke && stroke < end) sscanf(stroke + 8, "%15[^\"]", out[n].stroke);
        const char *dash = strstr(p, "stroke-dasharray");
        out[n].dashed = dash && dash < end;
        n++;
    }
    return n;
}

static int count_of(const char *s, const char *needle) {
    int n = 0;
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static int has_nan_text(const char *svg) {
    for (const char *p = svg; *p; p++) {
        char a = (char)(p[0] | 0x20), b = p[1] ? (char)(p[1] | 0x20) : 0,
             c = p[1] && p[2] ? (char)(p[2] | 0x20) : 0;
        if ((a == 'n' && b == 'a' && c == 'n') || (a == 'i' && b == 'n' && c == 'f')) return 1;
    }
    return 0;
}

/* Reads an SVG back and checks the common things; returns the text (free it) or NULL. */
static char *check_svg(const char *path, const char *label) {
    size_t n = 0;
    char *svg = slurp(path, &n);
    if (!EXPECT(svg != NULL, "%s: SVG written", label)) return NULL;
    while (n > 0 && (svg[n - 1] == '\n' || svg[n - 1] == ' '))
        svg[--n] = '\0';
    EXPECT(!strncmp(svg, "<svg", 4), "%s: starts with <svg", label);
    EXPECT(n >= 6 && !strcmp(svg + n - 6, "</svg>"), "%s: ends with </svg>", label);
    char why[128] = "";
    EXPECT(xml_well_formed(svg, why, sizeof why), "%s: well-formed XML: %s", label, why);
    EXPECT(!has_nan_text(svg), "%s: no 'nan' or 'inf' in the text", label);
    EXPECT(count_temporaries(g_dir) == 0, "%s: no temporary left", label);
    return svg;
}

static void test_plot(void) {
    char path[512], msg[CT_MSG_LEN];
    in_dir(path, sizeof path, "curves.svg");
    enum { E = 12 };
    double epochs[E], tl[E], vl[E], ta[E], va[E];
    for (int i = 0; i < E; i++) {
        epochs[i] = i + 1;
        tl[i] = 1.2 * exp(-0.3 * i) + 0.05;
        vl[i] = 1.3 * exp(-0.25 * i) + 0.12;
        ta[i] = 1.0 - 0.6 * exp(-0.4 * i);
        va[i] = 0.95 - 0.6 * exp(-0.35 * i);
    }
    vl[0] = NAN;      /* no validation in the first epoch */
    va[5] = NAN;      /* a gap */
    va[0] = INFINITY; /* never drawn */
    ct_series loss[2] = {{"train loss", tl, E, 0}, {"val loss", vl, E, 1}};
    ct_series acc[2] = {{"train accuracy", ta, E, 0}, {"val accuracy", va, E, 1}};
    ct_plot_panel panels[2] = {
        {"loss", "cross-entropy", "epoch", epochs, E, 0, 0, loss, 2},
        {"accuracy", "accuracy", "epoch", epochs, E, 0, 0, acc, 2},
    };
    ct_status st = ct_plot_svg(path, "moons: 2-16-16-1 MLP, Adam & <dropout>", panels, 2, msg);
    if (!EXPECT(st == CT_OK, "plot: %s", msg)) return;
    char *svg = check_svg(path, "two panels");
    if (svg) {
        EXPECT(contains(svg, "width=\"1000\"") && contains(svg, "height=\"420\""), "1000 x 420");
        static const char *const names[] = {"train loss",   "val loss", "train accuracy",
                                            "val accuracy", "epoch",    "cross-entropy"};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            EXPECT(contains(svg, names[i]), "names series or label %zu", i);
        EXPECT(contains(svg, "Adam &amp; &lt;dropout&gt;") && !contains(svg, "<dropout>"),
               "the title is escaped");
        poly pl[16];
        int np = polylines(svg, pl, 16);
        /* train loss 12, val loss 11 (NaN first), train acc 12, val acc 4 + 6 (inf, gap) */
        int want[5] = {12, 11, 12, 4, 6};
        int ok = np == 5;
        for (int i = 0; ok && i < 5; i++)
            ok = pl[i].points == want[i];
        EXPECT(ok, "polylines 12 11 12 4 6, got %d: %d %d %d %d %d", np, np > 0 ? pl[0].points : -1,
               np > 1 ? pl[1].points : -1, np > 2 ? pl[2].points : -1, np > 3 ? pl[3].points : -1,
               np > 4 ? pl[4].points : -1);
        if (np == 5) {
            EXPECT(!strcmp(pl[0].stroke, pl[1].stroke) && !pl[0].dashed && pl[1].dashed,
                   "train and val loss share a colour, val dashed");
            EXPECT(!strcmp(pl[2].stroke, pl[3].stroke) && !strcmp(pl[3].stroke, pl[4].stroke) &&
                       strcmp(pl[0].stroke, pl[2].stroke) != 0,
                   "accuracy pair has its own colour");
        }
        EXPECT(contains(svg, ">0.2<") || contains(svg, ">0.4<"), "nice y ticks");
        EXPECT(contains(svg, ">10<") && !contains(svg, ">2.5<"), "whole-number epoch ticks");
        free(svg);
    }

    /* log x (an LR finder) and log y with a non-positive value */
    enum { L = 50 };
    double lr[L], lossv[L];
    for (int i = 0; i < L; i++) {
        lr[i] = 1e-5 * pow(10.0, 5.0 * i / (L - 1));
        lossv[i] = 2.0 - 1.5 * exp(-pow(log10(lr[i]) + 2.5, 2)) + (i > 44 ? (i - 44) * 0.8 : 0.0);
    }
    ct_series lf = {"loss", lossv, L, 0};
    ct_plot_panel lp = {"learning-rate range test", "loss", "learning rate", lr, L, 1, 0, &lf, 1};
    in_dir(path, sizeof path, "lr.svg");
    st = ct_plot_svg(path, "LR finder", &lp, 1, msg);
    EXPECT(st == CT_OK, "log-x plot: %s", msg);
    svg = check_svg(path, "log x");
    if (svg) {
        poly pl[4];
        EXPECT(polylines(svg, pl, 4) == 1 && pl[0].points == L, "one line of 50 points");
        EXPECT(contains(svg, ">1e-5<") && contains(svg, ">0.001<") && contains(svg, ">1<"),
               "decade ticks labelled");
        free(svg);
    }
    double ly[6] = {10.0, 1.0, 0.0, 0.1, -1.0, 0.01}, lx[6] = {1, 2, 3, 4, 5, 6};
    ct_series ls = {"loss", ly, 6, 0};
    ct_plot_panel lyp = {"log y", "loss", "epoch", lx, 6, 0, 1, &ls, 1};
    in_dir(path, sizeof path, "logy.svg");
    st = ct_plot_svg(path, "log y", &lyp, 1, msg);
    EXPECT(st == CT_OK, "log-y plot: %s", msg);
    svg = check_svg(path, "log y");
    if (svg) {
        poly pl[4];
        int np = polylines(svg, pl, 4);
        EXPECT(np == 1 && pl[0].points == 2 && count_of(svg, "<circle") == 2,
               "0 and -1 skipped on a log axis: a line of 2 and two dots (got %d lines)", np);
        EXPECT(contains(svg, ">0.01<") && contains(svg, ">10<"), "log y decades");
        free(svg);
    }

    /* a NaN-only series, and a panel with nothing at all */
    double nan3[3] = {NAN, NAN, NAN}, x3[3] = {1, 2, 3}, y3[3] = {0.5, 0.4, 0.3};
    ct_series mixed[2] = {{"train loss", y3, 3, 0}, {"val loss", nan3, 3, 1}};
    ct_series only[1] = {{"val accuracy", nan3, 3, 1}};
    ct_plot_panel np2[2] = {{"loss", "loss", "epoch", x3, 3, 0, 0, mixed, 2},
                            {"accuracy", "accuracy", "epoch", x3, 3, 0, 0, only, 1}};
    in_dir(path, sizeof path, "nan.svg");
    st = ct_plot_svg(path, "no validation", np2, 2, msg);
    EXPECT(st == CT_OK, "NaN series plot: %s", msg);
    svg = check_svg(path, "NaN-only series");
    if (svg) {
        poly pl[4];
        EXPECT(polylines(svg, pl, 4) == 1 && pl[0].points == 3, "only the train line is drawn");
        EXPECT(contains(svg, "val loss") && contains(svg, "val accuracy"),
               "NaN-only series still in the legend");
        EXPECT(contains(svg, "no data"), "an empty panel says so");
        free(svg);
    }

    /* one point: a dot; extreme values stay finite */
    double one[1] = {0.7}, x1[1] = {1};
    ct_series s1 = {"train loss", one, 1, 0};
    ct_plot_panel p1 = {"loss", "loss", "epoch", x1, 1, 0, 0, &s1, 1};
    in_dir(path, sizeof path, "one.svg");
    st = ct_plot_svg(path, "one epoch", &p1, 1, msg);
    EXPECT(st == CT_OK, "1-point plot: %s", msg);
    svg = check_svg(path, "one point");
    if (svg) {
        EXPECT(count_of(svg, "<polyline") == 0 && count_of(svg, "<circle") == 1,
               "a single point is a dot");
        free(svg);
    }
    double ext[4] = {1e308, -1e308, 1e-300, DBL_MAX}, x4[4] = {-1e308, 0, 1e308, 2};
    ct_series se = {"extreme", ext, 4, 0};
    ct_plot_panel pe = {"extreme", NULL, NULL, x4, 4, 0, 0, &se, 1};
    in_dir(path, sizeof path, "extreme.svg");
    st = ct_plot_svg(path, NULL, &pe, 1, msg);
    EXPECT(st == CT_OK, "extreme plot: %s", msg);
    svg = check_svg(path, "extreme values");
    free(svg);
    ct_plot_panel pel = {"extreme log", "y", "x", x4, 4, 1, 1, &se, 1};
    st = ct_plot_svg(path, "log extreme", &pel, 1, msg);
    svg = st == CT_OK ? check_svg(path, "extreme log values") : NULL;
    EXPECT(st == CT_OK, "extreme log plot: %s", msg);
    free(svg);

    /* argument errors and an unwritable path */
    ct_series longer = {"too long", tl, E, 0};
    ct_plot_panel bad = {"loss", "loss", "epoch", epochs, 3, 0, 0, &longer, 1};
    st = ct_plot_svg(path, "x", &bad, 1, msg);
    EXPECT(st == CT_ERR_ARG && contains(msg, "too long"), "series longer than x: '%s'", msg);
    EXPECT(ct_plot_svg(path, "x", panels, 3, msg) == CT_ERR_ARG, "3 panels refused");
    char nodir[512];
    in_dir(nodir, sizeof nodir, "missing/curves.svg");
    st = ct_plot_svg(nodir, "x", panels, 2, msg);
    EXPECT(st == CT_ERR_IO && contains(msg, nodir), "missing folder: '%s'", msg);
}

/* TensorBoard event files: CRC-32C's check values, and a file that starts with the framed
 * file_version record (the readers are in tests/tensorboard_check.py). */
static void test_tbevents(void) {
    EXPECT(ct_crc32c("123456789", 9) == 0xE3069283u,
           "CRC-32C(\"123456789\") = 0x%08X, want 0xE3069283", ct_crc32c("123456789", 9));
    EXPECT(ct_crc32c("", 0) == 0u, "CRC-32C of nothing = 0x%08X", ct_crc32c("", 0));
    uint8_t zeros[32] = {0};
    EXPECT(ct_crc32c(zeros, 32) == 0x8A9136AAu, "CRC-32C of 32 zeros = 0x%08X, want 0x8A9136AA",
           ct_crc32c(zeros, 32));
    uint32_t c = ct_crc32c("123456789", 9);
    EXPECT(ct_crc32c_masked("123456789", 9) == ((c >> 15) | (c << 17)) + 0xa282ead8u,
           "the masked CRC-32C");
    char dir[1100], msg[CT_MSG_LEN];
    snprintf(dir, sizeof dir, "%s/tb", g_dir);
    ct_tb_writer *w = NULL;
    EXPECT(ct_tb_open(&w, dir, "train", msg) == CT_OK, "ct_tb_open: %s", msg);
    if (!w) return;
    ct_tb_scalar(w, "epoch_loss", 3, 0.5);
    float v[5] = {1, 2, 2, 3, NAN};
    ct_tb_histogram(w, "layer_0/weight", 3, v, 5);
    EXPECT(ct_tb_flush(w, msg) == CT_OK, "ct_tb_flush: %s", msg);
    FILE *f = fopen(ct_tb_path(w), "rb");
    uint8_t head[12] = {0};
    EXPECT(f && fread(head, 1, 12, f) == 12, "reading %s", ct_tb_path(w));
    if (f) fclose(f);
    uint64_t len = 0;
    for (int i = 0; i < 8; i++)
        len |= (uint64_t)head[i] << (8 * i);
    uint32_t lc = (uint32_t)head[8] | (uint32_t)head[9] << 8 | (uint32_t)head[10] << 16 |
                  (uint32_t)head[11] << 24;
    EXPECT(len > 13 && len < 64 && lc == ct_crc32c_masked(head, 8),
           "the first record's length %llu and its checksum", (unsigned long long)len);
    ct_tb_close(w);
    ct_tb_writer *bad = NULL;
    snprintf(dir, sizeof dir, "%s/tb/train/%s", g_dir, "no/such/deeper");
    EXPECT(ct_tb_open(&bad, dir, "train", msg) == CT_ERR_IO && strstr(msg, "no/such"),
           "ct_tb_open in a folder that cannot be made: %s", msg);
    ct_tb_close(bad);
}

int main(void) {
    snprintf(g_dir, sizeof g_dir, "/tmp/ct_test_files_XXXXXX");
    if (!mkdtemp(g_dir)) {
        fprintf(stderr, "test_files: cannot create a folder under /tmp: %s\n", strerror(errno));
        return 1;
    }
    test_json_valid();
    test_json_errors();
    test_json_write();
    test_json_fuzz();
    test_atomic();
    test_read_file();
    test_st_roundtrip();
    test_st_f64();
    test_st_hostile();
    test_st_fuzz();
    test_plot();
    test_tbevents();
    EXPECT(count_temporaries(g_dir) == 0, "no temporaries at the end");
    if (getenv("CT_TEST_KEEP"))
        printf("test_files: kept %s\n", g_dir);
    else
        rm_rf(g_dir);
    return test_summary("test_files");
}
