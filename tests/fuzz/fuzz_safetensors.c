/* libFuzzer harness: the safetensors reader (ct_st_read) and the model / checkpoint loader on
 * top of it (ct_model_load). The input is the file.
 *
 * Checks beyond "no crash, no leak": every tensor the reader returns has count = the product
 * of its shape and count readable floats; a file that was read and written again with
 * ct_st_write reads back the same (names, shapes, bits, metadata); a loaded model keeps the
 * promises of checkpoint.h (fz_check_model). */
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "safetensors.h"

static void check_file(const ct_st_file *f) {
    FZ_CHECK(f->n_tensors >= 0 && f->n_meta >= 0);
    FZ_CHECK(f->n_tensors == 0 || f->tensors);
    for (int i = 0; i < f->n_tensors; i++) {
        const ct_st_tensor *t = &f->tensors[i];
        FZ_CHECK(t->name != NULL && t->ndim >= 0 && t->ndim <= CT_ST_MAX_DIMS);
        size_t count = 1;
        for (int d = 0; d < t->ndim; d++) {
            FZ_CHECK(t->shape[d] >= 0);
            count *= (size_t)t->shape[d];
        }
        FZ_CHECK(count == t->count);
        FZ_CHECK(t->count == 0 || t->data != NULL);
        volatile float sink = 0.0f;
        for (size_t k = 0; k < t->count; k++)
            sink += t->data[k];
        (void)sink;
        FZ_CHECK(ct_st_find(f, t->name) == t);
    }
    for (int i = 0; i < f->n_meta; i++) {
        FZ_CHECK(f->meta_keys[i] != NULL && f->meta_values[i] != NULL);
        FZ_CHECK(ct_st_meta(f, f->meta_keys[i]) == f->meta_values[i]);
    }
}

static int same_file(const ct_st_file *a, const ct_st_file *b) {
    if (a->n_tensors != b->n_tensors || a->n_meta != b->n_meta) return 0;
    for (int i = 0; i < a->n_tensors; i++) {
        const ct_st_tensor *x = &a->tensors[i], *y = ct_st_find(b, x->name);
        if (!y || x->ndim != y->ndim || x->count != y->count) return 0;
        if (memcmp(x->shape, y->shape, (size_t)x->ndim * sizeof x->shape[0]) != 0) return 0;
        if (x->count && memcmp(x->data, y->data, x->count * sizeof(float)) != 0) return 0;
    }
    for (int i = 0; i < a->n_meta; i++) {
        const char *v = ct_st_meta(b, a->meta_keys[i]);
        if (!v || strcmp(v, a->meta_values[i]) != 0) return 0;
    }
    return 1;
}

/* Writes f again and reads it back: the same content must come back. */
static void round_trip(const ct_st_file *f) {
    const char *path = fz_path(1, ".safetensors");
    char msg[CT_MSG_LEN];
    if (ct_st_write(path, f->tensors, f->n_tensors, f->meta_keys, f->meta_values, f->n_meta, msg) !=
        CT_OK)
        fz_fail("a file that was read cannot be written again: %s", msg);
    ct_st_file *g = NULL;
    if (ct_st_read(path, &g, msg) != CT_OK) fz_fail("a written file does not read back: %s", msg);
    check_file(g);
    if (!same_file(f, g)) fz_fail("a file read, written and read again differs");
    ct_st_free(g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fz_path(0, ".safetensors");
    fz_write(path, data, size);
    char msg[CT_MSG_LEN];
    ct_st_file *f = NULL;
    ct_status st = ct_st_read(path, &f, msg);
    fz_report("ct_st_read", st, msg);
    if (st == CT_OK) {
        FZ_CHECK(f != NULL);
        check_file(f);
        round_trip(f);
    } else {
        FZ_CHECK(f == NULL && msg[0] != '\0');
    }
    ct_st_free(f);

    ct_saved_model sm;
    st = ct_saved_model_load(path, &sm, msg);
    fz_report("ct_model_load", st, msg);
    if (st == CT_OK)
        fz_check_model(&sm);
    else
        FZ_CHECK(msg[0] != '\0');
    ct_saved_model_free(&sm);
    return 0;
}
