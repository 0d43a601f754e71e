/* Shared by eval and predict: a saved model on a device, and data shaped for it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_io.h"

int cli_model_option(int argc, char **argv, int *i, cli_model_opts *o) {
    int r;
    if ((r = cli_opt(argc, argv, i, "--model", &o->model))) return r;
    if ((r = cli_opt(argc, argv, i, "--data", &o->data))) return r;
    if ((r = cli_opt_int(argc, argv, i, "--batch", 1, 1 << 20, &o->batch))) return r;
    return cli_opt_backend(argc, argv, i, &o->reference);
}

int cli_model_parse(int argc, char **argv, const char *cmd, void (*usage)(FILE *),
                    cli_option_fn *option, void *opts, cli_model_opts *m) {
    memset(m, 0, sizeof *m);
    m->batch = 256;
    int rc = cli_parse(argc, argv, cmd, usage, option, opts);
    if (rc == CLI_RUN && !(m->model && m->data)) {
        cli_error("%s: --model and --data are required (see cltrain %s --help)", cmd, cmd);
        return CLI_USAGE;
    }
    return rc;
}

int cli_model_open(cli_model_run *r, const cli_model_opts *o, const char *device,
                   const char *labels, const char *label, int require_labels) {
    char msg[CT_MSG_LEN];
    memset(r, 0, sizeof *r);
    r->batch = o->batch;
    if (!o->reference && cli_open_device(device, &r->dev) != CLI_OK) return CLI_FAIL;
    if (ct_model_load(&r->m, r->dev, o->model, msg) != CT_OK) return cli_fail(msg);
    if (ct_model_load_data(r->m, &r->d, o->data, labels, label, require_labels) != CT_OK)
        return cli_fail(ct_model_error(r->m));
    if (*ct_model_note(r->m)) fprintf(stderr, "cltrain: note: %s\n", ct_model_note(r->m));
    return CLI_OK;
}

int cli_model_predict(cli_model_run *r) {
    int n = ct_data_rows(r->d);
    r->out = malloc((size_t)(n ? n : 1) * ct_model_predict_columns(r->m) * sizeof(float));
    if (!r->out) return cli_fail("out of host memory");
    if (ct_model_predict(r->m, ct_data_x(r->d), n, r->out) != CT_OK)
        return cli_fail(ct_model_error(r->m));
    return CLI_OK;
}

void cli_model_close(cli_model_run *r) {
    free(r->out);
    ct_data_destroy(r->d);
    ct_model_destroy(r->m);
    ct_device_destroy(r->dev);
}
