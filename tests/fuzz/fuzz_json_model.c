/* libFuzzer harness: JSON models (ct_json_model_load). The input is the file.
 *
 * Checks beyond "no crash, no leak": a loaded model keeps the promises of checkpoint.h
 * (fz_check_model), and ct_json_model_save writes it so that a load gives the same
 * architecture, bit-identical parameters and scaler, and the same names (jsonmodel.h). */
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "jsonmodel.h"
#include "model.h"

static int same_names(char *const *a, char *const *b, int n) {
    if (!a || !b) return a == b;
    for (int i = 0; i < n; i++)
        if (strcmp(a[i], b[i]) != 0) return 0;
    return 1;
}

static void round_trip(const ct_saved_model *sm) {
    const char *path = fz_path(1, ".json");
    char msg[CT_MSG_LEN];
    if (ct_json_model_save(path, sm, msg) != CT_OK)
        fz_fail("a model that was loaded cannot be saved: %s", msg);
    ct_saved_model back;
    if (ct_json_model_load(path, &back, msg) != CT_OK)
        fz_fail("a saved model does not load: %s", msg);
    fz_check_model(&back);
    const ct_arch *a = &sm->arch, *b = &back.arch;
    ct_layout lay;
    ct_arch_layout(a, &lay);
    FZ_CHECK(a->n_layers == b->n_layers && a->loss == b->loss);
    FZ_CHECK(memcmp(a->sizes, b->sizes, (size_t)(a->n_layers + 1) * sizeof a->sizes[0]) == 0);
    for (int l = 0; l + 1 < a->n_layers; l++) {
        FZ_CHECK(a->act[l] == b->act[l]);
        FZ_CHECK(memcmp(&a->alpha[l], &b->alpha[l], sizeof a->alpha[l]) == 0);
    }
    if (a->loss == CT_LOSS_HUBER) FZ_CHECK(memcmp(&a->huber_delta, &b->huber_delta, 4) == 0);
    FZ_CHECK(memcmp(sm->params, back.params, lay.n_params * sizeof(float)) == 0);
    FZ_CHECK(sm->task == back.task && sm->n_classes == back.n_classes);
    FZ_CHECK(same_names(sm->class_names, back.class_names, sm->n_classes));
    FZ_CHECK(same_names(sm->feature_names, back.feature_names, sm->features));
    FZ_CHECK(sm->outputs == back.outputs);
    FZ_CHECK(same_names(sm->target_names, back.target_names, sm->outputs));
    FZ_CHECK(sm->has_scaler == back.has_scaler);
    if (sm->has_scaler) {
        size_t bytes = (size_t)sm->features * sizeof(float);
        FZ_CHECK(memcmp(sm->scaler.mean, back.scaler.mean, bytes) == 0);
        FZ_CHECK(memcmp(sm->scaler.std, back.scaler.std, bytes) == 0);
    }
    ct_saved_model_free(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fz_path(0, ".json");
    fz_write(path, data, size);
    char msg[CT_MSG_LEN];
    ct_saved_model sm;
    ct_status st = ct_json_model_load(path, &sm, msg);
    fz_report("ct_json_model_load", st, msg);
    if (st == CT_OK) {
        fz_check_model(&sm);
        round_trip(&sm);
    } else {
        FZ_CHECK(msg[0] != '\0');
    }
    ct_saved_model_free(&sm);
    return 0;
}
