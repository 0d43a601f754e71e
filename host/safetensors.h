/* safetensors files: an 8-byte little-endian header length, a JSON header naming each tensor's
 * dtype, shape and byte range (plus "__metadata__": string -> string), then the raw data.
 * Only F32 tensors are written; reading accepts F32 (and F64, converted) and validates every
 * offset, shape and size against the file. */
#ifndef CT_SAFETENSORS_H
#define CT_SAFETENSORS_H

#include <stdint.h>

#include "cltrain.h"

#define CT_ST_MAX_DIMS 4

typedef struct ct_st_tensor {
    char *name;
    int ndim;
    int64_t shape[CT_ST_MAX_DIMS];
    size_t count; /* product of shape */
    float *data;  /* count floats (owned by the file object when read) */
} ct_st_tensor;

typedef struct ct_st_file {
    int n_tensors;
    ct_st_tensor *tensors;
    int n_meta;
    char **meta_keys;
    char **meta_values;
} ct_st_file;

/* Writes atomically: PATH.tmp-<pid> is written, flushed and fsync'ed, then renamed over PATH
 * (and the folder fsync'ed); on any failure PATH is untouched and the temporary is removed.
 * Tensors are written in the order given. */
ct_status ct_st_write(const char *path, const ct_st_tensor *tensors, int n_tensors,
                      char *const *meta_keys, char *const *meta_values, int n_meta,
                      char msg[CT_MSG_LEN]);
ct_status ct_st_read(const char *path, ct_st_file **out, char msg[CT_MSG_LEN]);
void ct_st_free(ct_st_file *f); /* accepts NULL */
const ct_st_tensor *ct_st_find(const ct_st_file *f, const char *name);
const char *ct_st_meta(const ct_st_file *f, const char *key); /* NULL when absent */

#endif
