/* XOR with libcltrain: a complete program that uses only the public API (cltrain.h).
 *
 *   cmake -S examples/xor -B build-xor -DCMAKE_PREFIX_PATH=<cltrain's install prefix>
 *   cmake --build build-xor && ./build-xor/xor [DEVICE]
 *
 * It trains a 2-8-1 network (tanh, then one sigmoid unit with binary cross-entropy) on the
 * four XOR points, stops as soon as it gets all four right, saves the model, loads it again
 * and checks that the loaded model predicts the same. Exit 0 when it learned XOR. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cltrain.h>

/* The per-epoch callback: log every 100th epoch, stop once the accuracy is 1. */
static int on_epoch(const ct_epoch_stats *s, void *user) {
    int *learned_at = user;
    if (s->epoch % 100 == 0)
        printf("epoch %4d  loss %.4f  accuracy %.2f\n", s->epoch, s->train_loss, s->train_acc);
    if (s->train_acc == 1.0 && s->train_loss < 0.1) {
        *learned_at = s->epoch;
        return 1; /* stop */
    }
    return 0;
}

int main(int argc, char **argv) {
    const float X[] = {0, 0, 0, 1, 1, 0, 1, 1};
    const int32_t y[] = {0, 1, 1, 0};
    char msg[CT_MSG_LEN];
    ct_device *dev = NULL;
    ct_dataset *data = NULL;
    ct_model *model = NULL, *loaded = NULL;
    int rc = 1;

    /* a device: argv[1] ("0", "gpu", "cpu", a name), else the first GPU, else the CPU */
    if (ct_device_create(&dev, argc > 1 ? argv[1] : NULL, msg) != CT_OK) goto fail_msg;
    printf("cltrain %s on %s\n", ct_version(), ct_device_get_info(dev)->name);

    /* the data: 4 rows, 2 features, labels of 2 classes */
    if (ct_data_from_arrays(&data, 4, 2, X, y, 2, NULL, 0, "xor", msg) != CT_OK) goto fail_msg;

    /* the model: one hidden layer of 8 tanh units; inputs, output and loss follow the data */
    ct_arch arch = ct_arch_mlp(1, (const int[]){8}, CT_ACT_TANH);
    if (ct_arch_fit_data(&arch, data, msg) != CT_OK) goto fail_msg;
    if (ct_model_create(&model, dev, &arch, NULL, 7, msg) != CT_OK) goto fail_msg;
    char desc[256];
    ct_arch_describe(&arch, desc, sizeof desc);
    printf("model: %s, %zu parameters\n", desc, ct_arch_params(&arch));

    /* training: Adam at 0.05 on the whole batch, up to 2000 epochs, stopped by the callback */
    int learned_at = 0;
    ct_train_options opt;
    ct_train_defaults(&opt);
    opt.epochs = 2000;
    opt.batch = 4;
    opt.optim.lr = 0.05f;
    opt.on_epoch = on_epoch;
    opt.user = &learned_at;
    ct_train_result res;
    if (ct_model_train(model, data, NULL, &opt, &res) != CT_OK) goto fail_model;
    printf("stopped after %d epochs (%lld steps, %.2f s)\n", res.epochs_run, res.steps,
           res.seconds);

    double loss, acc;
    if (ct_model_evaluate(model, data, 4, &loss, &acc) != CT_OK) goto fail_model;
    printf("loss %.4f  accuracy %.3f\n", loss, acc);

    /* predictions: one probability per class for each row */
    float p[4 * 2];
    if (ct_model_predict(model, X, 4, p) != CT_OK) goto fail_model;
    for (int i = 0; i < 4; i++)
        printf("  %g xor %g -> class %s (p = %.3f)\n", X[2 * i], X[2 * i + 1],
               ct_model_class_name(model, p[2 * i + 1] > 0.5f), p[2 * i + 1]);

    /* save, load, and the same predictions again */
    const char *path = "xor.safetensors";
    if (ct_model_save(model, path) != CT_OK) goto fail_model;
    if (ct_model_load(&loaded, dev, path, msg) != CT_OK) goto fail_msg;
    float q[4 * 2];
    if (ct_model_predict(loaded, X, 4, q) != CT_OK) {
        fprintf(stderr, "xor: %s\n", ct_model_error(loaded));
        goto done;
    }
    if (memcmp(p, q, sizeof p) != 0) {
        fprintf(stderr, "xor: the loaded model predicts differently\n");
        goto done;
    }
    printf("saved to %s and loaded back: the same predictions\n", path);
    rc = acc == 1.0 && learned_at > 0 ? 0 : 1;
    if (rc) fprintf(stderr, "xor: not learned (accuracy %.3f)\n", acc);
    goto done;
fail_model:
    fprintf(stderr, "xor: %s\n", ct_model_error(model));
    goto done;
fail_msg:
    fprintf(stderr, "xor: %s\n", msg);
done:
    ct_model_destroy(loaded);
    ct_model_destroy(model);
    ct_data_destroy(data);
    ct_device_destroy(dev);
    return rc;
}
