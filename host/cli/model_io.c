/* Shared by eval and predict: a saved model on a device, and data shaped for it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonmodel.h"
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

static int model_net(const char *path, const char *device, int reference, int batch,
                     ct_saved_model *sm, ct_device **dev, ct_net **net) {
    char msg[CT_MSG_LEN];
    *dev = NULL;
    *net = NULL;
    if (ct_saved_model_load_any(path, sm, msg) != CT_OK) return cli_fail(msg);
    if (!reference && cli_open_device(device, dev) != CLI_OK) return CLI_FAIL;
    ct_optim_params o = ct_optim_defaults(CT_OPT_SGD);
    if (ct_net_create(net, *dev, &sm->arch, batch, &o, msg) != CT_OK) return cli_fail(msg);
    if (ct_net_set_params(*net, sm->params) != CT_OK) return cli_fail(ct_net_error(*net));
    return CLI_OK;
}

int cli_model_open(cli_model_run *r, const cli_model_opts *o, const char *device,
                   const char *labels, const char *label, int require_labels) {
    memset(r, 0, sizeof *r);
    if (model_net(o->model, device, o->reference, o->batch, &r->sm, &r->dev, &r->net) != CLI_OK)
        return CLI_FAIL;
    return cli_model_data(o->data, labels, label, require_labels, &r->sm, &r->d);
}

int cli_model_predict(cli_model_run *r) {
    r->out = malloc((size_t)r->d->n * r->sm.outputs * sizeof(float));
    if (!r->out) return cli_fail("out of host memory");
    if (ct_net_predict(r->net, r->d->X, r->d->n, r->out) != CT_OK)
        return cli_fail(ct_net_error(r->net));
    return CLI_OK;
}

void cli_model_close(cli_model_run *r) {
    free(r->out);
    ct_data_destroy(r->d);
    ct_net_destroy(r->net);
    ct_device_destroy(r->dev);
    ct_saved_model_free(&r->sm);
}

/* Removes column c of d's features. */
static int drop_column(ct_dataset *d, int c) {
    int F = d->features;
    for (int i = 0; i < d->n; i++)
        for (int j = 0, k = 0; j < F; j++)
            if (j != c) d->X[(size_t)i * (F - 1) + k++] = d->X[(size_t)i * F + j];
    if (d->feature_names) {
        free(d->feature_names[c]);
        memmove(d->feature_names + c, d->feature_names + c + 1,
                (size_t)(F - 1 - c) * sizeof(char *));
    }
    d->features = F - 1;
    return 1;
}

int cli_model_data(const char *source, const char *labels, const char *label, int require_labels,
                   const ct_saved_model *sm, ct_dataset **out) {
    char msg[CT_MSG_LEN];
    ct_data_opts o;
    memset(&o, 0, sizeof o);
    /* predictions: drop the training label column by its name when the file has it */
    o.label = label ? label : (!require_labels && sm->label_name[0] ? sm->label_name : NULL);
    o.labels_path = labels;
    o.task = sm->task;
    o.require_labels = require_labels;
    o.class_names = sm->class_names;
    o.n_classes = sm->task == CT_TASK_CLASSIFICATION ? sm->n_classes : 0;
    if (ct_data_load(out, source, &o, msg) != CT_OK) return cli_fail(msg);
    ct_dataset *d = *out;
    if (!require_labels && !label && d->features == sm->features + 1) {
        /* a label column is present: drop the column whose name is not a feature of the model,
         * else the last one */
        int drop = d->features - 1;
        if (d->feature_names && sm->feature_names)
            for (int j = 0; j < d->features; j++) {
                int known = 0;
                for (int k = 0; k < sm->features && !known; k++)
                    known = !strcmp(d->feature_names[j], sm->feature_names[k]);
                if (!known) {
                    drop = j;
                    break;
                }
            }
        drop_column(d, drop);
    }
    if (d->features != sm->features) {
        snprintf(msg, sizeof msg, "%s has %d feature columns; the model takes %d%s", d->source,
                 d->features, sm->features, require_labels ? " (plus the label column)" : "");
        return cli_fail(msg);
    }
    if (sm->has_scaler && ct_scaler_apply(&sm->scaler, d, msg) != CT_OK) return cli_fail(msg);
    return CLI_OK;
}
