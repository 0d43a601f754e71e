/* Models and checkpoints on disk, in the safetensors layout so PyTorch and NumPy can read them:
 *   layers.<i>.weight (out, in), layers.<i>.bias (out)  float32
 *   scaler.mean, scaler.std (features)                    when the inputs are standardized
 *   optim.m, optim.v (n_params)                           checkpoints only
 * and "__metadata__" strings: "format" = "cltrain-1", "architecture" (JSON: sizes, activations,
 * alpha, dropout, loss, huber_delta), "task", "label" (the CSV's label column), "classes",
 * "features", "targets" (JSON arrays of strings), and for checkpoints "train_state" (JSON). Every
 * write is atomic. */
#ifndef CT_CHECKPOINT_H
#define CT_CHECKPOINT_H

#include "data.h"
#include "model.h"
#include "train.h"

typedef struct ct_saved_model {
    ct_arch arch;
    float *params; /* n_params, in the flat layout of ct_arch_layout */
    ct_task task;
    int n_classes;
    char **class_names; /* n_classes */
    int features;
    char **feature_names; /* features (may be NULL) */
    int outputs;
    char **target_names;  /* outputs, regression (may be NULL) */
    char label_name[128]; /* the training CSV's label column ("" when none) */
    int label_column;     /* ... its 1-based column in that file (0 when unknown) */
    int has_scaler;
    ct_scaler scaler;
    ct_encoding *enc; /* a table's columns and their encoding (owned), or NULL */
    /* checkpoints */
    int has_state;
    ct_train_state state;
    float *m, *v;            /* n_params each, or NULL */
    char state_config[1024]; /* the training options that must agree on resume */
    char *state_note;        /* the caller's note (ct_train_options.checkpoint_note) or NULL;
                              * owned after a load, borrowed by a save */
} ct_saved_model;

/* Fills the names, task and scaler from a dataset and its (optional) scaler. */
ct_status ct_saved_model_describe(ct_saved_model *sm, const ct_dataset *d, const ct_scaler *s,
                                  char msg[CT_MSG_LEN]);

/* Writes sm (params, and m, v, state when has_state) to path atomically. */
ct_status ct_saved_model_save(const char *path, const ct_saved_model *sm, char msg[CT_MSG_LEN]);
/* Reads and validates a model or checkpoint: every tensor's shape must agree with the
 * architecture; messages name the file and the tensor. */
ct_status ct_saved_model_load(const char *path, ct_saved_model *sm, char msg[CT_MSG_LEN]);
void ct_saved_model_free(ct_saved_model *sm); /* the struct itself is the caller's */
struct ct_json;
/* sm->enc from JSON (metadata 'columns', or a JSON model's "columns"); its inputs must be
 * sm->features, and the feature names become the encoding's input names. */
ct_status ct_saved_model_set_encoding(ct_saved_model *sm, const struct ct_json *j,
                                      const char *path, char msg[CT_MSG_LEN]);

#endif
