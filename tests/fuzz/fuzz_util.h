/* Helpers shared by the libFuzzer harnesses (see README.md): a scratch file per process for
 * the readers that take a path, and checks of what the readers promise about what they return.
 * A broken promise aborts, which libFuzzer reports as a crash with the input that caused it. */
#ifndef CT_FUZZ_UTIL_H
#define CT_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "checkpoint.h"
#include "data.h"

/* The path of this process's scratch file number slot (0..7), ending in ext:
 * "<dir>/cltrain-fuzz-<pid>-<slot><ext>", dir = $TMPDIR, else /dev/shm, else /tmp. Built on
 * the first call and reused for every input; the files are removed at exit. */
const char *fz_path(int slot, const char *ext);

/* Writes data[0..n) to path, replacing what was there; aborts when that fails. */
void fz_write(const char *path, const uint8_t *data, size_t n);

/* Abort with a message when a dataset or a model breaks a promise of data.h / checkpoint.h;
 * every array is read in full so that AddressSanitizer sees a short one. */
void fz_check_dataset(const ct_dataset *d, const ct_data_opts *o);
void fz_check_model(const ct_saved_model *sm);

/* Options of ct_data_load from one byte: bits 0-1 the task (auto, classification, regression,
 * auto), bits 2-3 the class names (none, 3 iris species, "0" "1", one name "a"). */
void fz_data_opts(ct_data_opts *o, unsigned bits);

/* Loads a dataset from path with o, checks and frees it. */
void fz_load_dataset(const char *path, const ct_data_opts *o);

/* With CLTRAIN_FUZZ_VERBOSE=1 in the environment, prints "what: OK" or "what: <msg>" to stderr
 * (to see what each input of a corpus does: ./fuzz_csv -runs=0 corpus/fuzz_csv). */
void fz_report(const char *what, ct_status st, const char *msg);

/* Aborts with "fuzz: <what>" on stderr. */
void fz_fail(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2), noreturn))
#endif
    ;

#define FZ_CHECK(cond)                                                                             \
    do {                                                                                           \
        if (!(cond)) fz_fail("%s:%d: check failed: %s", __FILE__, __LINE__, #cond);                \
    } while (0)

#endif
