/* One forward and backward pass of a small batch with every intermediate tensor kept, computed
 * on the device (dev != NULL) or by the scalar reference (dev == NULL), and optionally one
 * optimizer step. The material of `cltrain explain` and `cltrain gradcheck`. */
#ifndef CT_EXPLAIN_H
#define CT_EXPLAIN_H

#include "model.h"

/* ct_pass, ct_pass_run, ct_pass_free and ct_ref_loss_at are public: see cltrain.h. */

#endif
