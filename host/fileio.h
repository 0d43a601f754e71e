/* Files written atomically, and whole files read with every error named.
 *
 * Every writer of the project goes through ct_atomic_*: the content goes to a temporary file
 * in the same folder, which is flushed, fsync'ed and renamed over the destination only when
 * everything succeeded. A reader therefore sees either the old file or the complete new one,
 * never a half-written one, and a failure (disk full, folder gone) leaves the old file as it was.
 *
 *   ct_atomic_file a = {0};
 *   if (ct_atomic_begin(&a, path, msg) != CT_OK) return CT_ERR_IO;
 *   fprintf(a.f, ...);                      // write freely; errors are caught at commit
 *   if (something_failed) { ct_atomic_abort(&a); return ...; }
 *   return ct_atomic_commit(&a, msg);       // CT_OK or CT_ERR_IO with a message
 */
#ifndef CT_FILEIO_H
#define CT_FILEIO_H

#include <stddef.h>
#include <stdio.h>

#include "cltrain.h"

typedef struct ct_atomic_file {
    FILE *f;    /* the temporary, opened "wb"; write here */
    char *path; /* the destination */
    char *tmp;  /* PATH.tmp-<pid>-<suffix>, in the same folder */
} ct_atomic_file;

/* Creates the temporary PATH.tmp-<pid>-<suffix> (exclusively, so two writers never share
 * one) and opens it for writing. Fails with CT_ERR_IO when the folder does not exist or is not
 * writable, or when PATH is a folder; *a is then zeroed. CT_ERR_ARG for a NULL or empty path. */
ct_status ct_atomic_begin(ct_atomic_file *a, const char *path, char msg[CT_MSG_LEN]);

/* Checks the stream for write errors, flushes, fsyncs and closes the temporary, renames it
 * over PATH and fsyncs the folder (best effort: once the rename is done the new file is in
 * place). On any failure the temporary is removed, PATH is left as it was and msg reads like
 * "cannot write model.safetensors: No space left on device" (CT_ERR_IO). Either way *a is
 * released and zeroed, so a following ct_atomic_abort is harmless. */
ct_status ct_atomic_commit(ct_atomic_file *a, char msg[CT_MSG_LEN]);

/* Closes and removes the temporary; PATH is untouched. Accepts NULL, a zeroed struct and one
 * that was already committed or aborted. */
void ct_atomic_abort(ct_atomic_file *a);

/* Reads a whole file into *data (malloc'ed, with a NUL after the last byte so text can be used
 * as a C string; free with free()) and its length into *len. Errors name the path and the
 * reason (CT_ERR_IO): missing or unreadable ("cannot read x.csv: No such file or directory"),
 * a folder, or larger than max_len bytes ("x.csv is 5000000 bytes, more than the limit of
 * 1000000 bytes"). Out of memory: CT_ERR_ALLOC. On failure *data is NULL and *len is 0. */
ct_status ct_read_file(const char *path, char **data, size_t *len, size_t max_len,
                       char msg[CT_MSG_LEN]);

#endif
