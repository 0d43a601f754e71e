/* Models as JSON, a format a person can type (and read), beside the safetensors one:
 *
 *   {"layers": [{"weight": [[0.5, -0.3], [0.2, 0.8]], "bias": [0.1, -0.1], "activation": "relu"},
 *               {"weight": [[0.7, -0.5]], "bias": [0.2], "activation": "sigmoid"}],
 *    "loss": "bce"}
 *
 * Top level: "layers" (required, 1 to CT_MAX_LAYERS dense layers), "loss" (required: ce, bce,
 * mse, huber), "huber_delta" (huber only, default 1), "classes" (ce/bce: class names, 2 for
 * bce, 2 to outputs for ce; default "0".."k-1"), "features" (input names, one per input;
 * default x0, x1, ...), "targets" (mse/huber: output names), "scaler" ({"mean": [...],
 * "std": [...]}, one per input: the standardization the model expects).
 * Per layer: "weight" (out rows of in numbers, as PyTorch's nn.Linear), "bias" (out numbers;
 * default zeros), "activation", "alpha" (leaky_relu slope / elu alpha; default 0.01 / 1).
 * Hidden layers need an activation (a name of CT_ACT_LIST in cltrain.h, or linear /
 * identity); the output layer's is fused into the loss and must agree with it, or be absent:
 * bce "sigmoid", ce "softmax", mse and huber "linear" / "identity"; "linear" / "identity" also
 * goes with ce and bce (a PyTorch model's logits: nn.Linear + CrossEntropyLoss or
 * BCEWithLogitsLoss), meaning the same as softmax / sigmoid there.
 * Every number must fit a float; unknown or repeated keys are errors. Messages name the file,
 * the layer and the field: "model.json: layer 1: weight has 3 columns but layer 0 has 2
 * outputs". Layers are numbered from 0 as the safetensors tensors layers.<i>. */
#ifndef CT_JSONMODEL_H
#define CT_JSONMODEL_H

#include "checkpoint.h"

/* Reads a JSON model into *sm (zeroed first; free with ct_saved_model_free). The task is
 * classification for ce/bce, regression for mse/huber. Malformed input: CT_ERR_FORMAT. */
ct_status ct_json_model_load(const char *path, ct_saved_model *sm, char msg[CT_MSG_LEN]);

/* Writes sm as a JSON model, atomically: one layer per line, every number in the fewest digits
 * (at most 9, %.9g) that read back as the same float, so a load gives bit-identical
 * parameters. Class, feature and target names and the scaler are written when present;
 * the optimizer state of a checkpoint and dropout rates are not (they do not change what the
 * model computes). */
ct_status ct_json_model_save(const char *path, const ct_saved_model *sm, char msg[CT_MSG_LEN]);

/* Loads a model of either format: JSON when the path ends in ".json", safetensors when it ends
 * in ".safetensors", else JSON when the file's first non-space byte is '{' (and its first 8
 * bytes hold no NUL, which a safetensors header length always has). */
ct_status ct_saved_model_load_any(const char *path, ct_saved_model *sm, char msg[CT_MSG_LEN]);

/* 1 when path ends in ext (".json"), case-insensitively. */
int ct_path_has_ext(const char *path, const char *ext);

#endif
