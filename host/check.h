/* Device-versus-reference checks of every op: run the kernel on fresh random inputs, run
 * host/ref.c on the same inputs, compare. Used by the tests (many shapes) and by
 * `cltrain selftest` (one set of shapes). Outputs are poisoned with NaN before each launch so an
 * element the kernel does not write fails. */
#ifndef CT_CHECK_H
#define CT_CHECK_H

#include <stdint.h>

#include "ops.h"

/* The check API is public: see cltrain_tools.h. */

#endif
