/* cltrain eval: loss, accuracy and confusion matrix (classification) or MSE, MAE and R^2
 * (regression) of a saved model on labelled data. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "cli.h"
#include "json.h"
#include "train.h"

static void usage(FILE *f) {
    fputs("usage: cltrain [--device SEL] eval --model FILE --data SOURCE [options]\n"
          "\n"
          "  --model FILE         a model saved by cltrain train --save (or a checkpoint)\n"
          "  --data SOURCE        labelled data, as for train (file or generator)\n"
          "  --labels FILE        labels of an .npy or .idx data file\n"
          "  --label NAME|INDEX   CSV label column (default: the last column)\n"
          "  --batch N            rows per launch (default 256)\n"
          "  --backend B          opencl (default) or reference\n"
          "  --json               one JSON object: loss, accuracy, confusion (classification) or\n"
          "                       loss, mse, mae, r2 (regression), and n\n",
          f);
}

int cmd_eval(int argc, char **argv, const char *device) {
    const char *model = NULL, *data = NULL, *labels = NULL, *label = NULL;
    int json = 0, batch = 256, reference = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return CLI_OK;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (cli_is(a, "--model")) {
            if (!(model = cli_value(argc, argv, &i, "--model"))) return CLI_USAGE;
        } else if (cli_is(a, "--data")) {
            if (!(data = cli_value(argc, argv, &i, "--data"))) return CLI_USAGE;
        } else if (cli_is(a, "--labels")) {
            if (!(labels = cli_value(argc, argv, &i, "--labels"))) return CLI_USAGE;
        } else if (cli_is(a, "--label")) {
            if (!(label = cli_value(argc, argv, &i, "--label"))) return CLI_USAGE;
        } else if (cli_is(a, "--batch")) {
            if (!(v = cli_value(argc, argv, &i, "--batch")) || !cli_int("--batch", v, 1, 1 << 20, &batch))
                return CLI_USAGE;
        } else if (cli_is(a, "--backend")) {
            if (!(v = cli_value(argc, argv, &i, "--backend")) || !cli_backend(v, &reference)) return CLI_USAGE;
        } else {
            cli_error("eval: unknown option '%s' (see cltrain eval --help)", a);
            return CLI_USAGE;
        }
    }
    if (!model || !data) {
        cli_error("eval: --model and --data are required (see cltrain eval --help)");
        return CLI_USAGE;
    }
    ct_saved_model sm;
    memset(&sm, 0, sizeof sm);
    ct_device *dev = NULL;
    ct_net *net = NULL;
    ct_dataset *d = NULL;
    float *out = NULL;
    long long *conf = NULL;
    int rc = CLI_FAIL;
    char msg[CT_MSG_LEN];
    if (cli_model_net(model, device, reference, batch, &sm, &dev, &net) != CLI_OK) goto done;
    if (cli_model_data(data, labels, label, 1, &sm, &d) != CLI_OK) goto done;
    int C = sm.outputs, n = d->n;
    double loss, acc;
    if (ct_net_upload(net, CT_SLOT_TEST, d) != CT_OK) {
        cli_fail(ct_net_error(net));
        goto done;
    }
    if (ct_evaluate(net, CT_SLOT_TEST, batch, &loss, &acc, msg) != CT_OK) {
        cli_fail(msg);
        goto done;
    }
    out = malloc((size_t)n * C * sizeof(float));
    if (!out) {
        cli_fail("out of host memory");
        goto done;
    }
    if (ct_net_predict(net, d->X, n, out) != CT_OK) {
        cli_fail(ct_net_error(net));
        goto done;
    }
    if (sm.task == CT_TASK_CLASSIFICATION) {
        int K = sm.n_classes;
        conf = calloc((size_t)K * K, sizeof *conf);
        if (!conf) {
            cli_fail("out of host memory");
            goto done;
        }
        for (int i = 0; i < n; i++) {
            int pred = 0;
            if (sm.arch.loss == CT_LOSS_SIGMOID_BCE) {
                pred = out[i] > 0.5f;
            } else {
                for (int j = 1; j < C; j++)
                    if (out[(size_t)i * C + j] > out[(size_t)i * C + pred]) pred = j;
            }
            conf[(size_t)d->labels[i] * K + pred]++;
        }
        if (json) {
            printf("{\"loss\": %.9g, \"accuracy\": %.9g, \"n\": %d, \"classes\": [", loss, acc, n);
            for (int k = 0; k < K; k++) {
                if (k) printf(", ");
                ct_json_write_string(stdout, sm.class_names[k]);
            }
            printf("], \"confusion\": [");
            for (int r = 0; r < K; r++) {
                printf("%s[", r ? ", " : "");
                for (int c = 0; c < K; c++) printf("%s%lld", c ? ", " : "", conf[(size_t)r * K + c]);
                printf("]");
            }
            printf("]}\n");
        } else {
            printf("%s on %s: %d rows\n", model, d->source, n);
            printf("loss      %.6g\naccuracy  %.4f\n\nconfusion matrix (rows: true class, columns: predicted)\n",
                   loss, acc);
            int w = 6;
            for (int k = 0; k < K; k++) {
                int l = (int)strlen(sm.class_names[k]);
                if (l > w) w = l < 20 ? l : 20;
            }
            printf("%*s", w + 2, "");
            for (int k = 0; k < K; k++) printf(" %*.*s", w, w, sm.class_names[k]);
            printf("\n");
            for (int r = 0; r < K; r++) {
                printf("%*.*s  ", w, w, sm.class_names[r]);
                for (int c = 0; c < K; c++) printf(" %*lld", w, conf[(size_t)r * K + c]);
                printf("\n");
            }
        }
    } else {
        double se = 0, ae = 0, mean = 0, ss = 0;
        size_t m = (size_t)n * C;
        for (size_t i = 0; i < m; i++) mean += d->Y[i];
        mean /= (double)m;
        for (size_t i = 0; i < m; i++) {
            double e = (double)out[i] - d->Y[i];
            se += e * e;
            ae += fabs(e);
            ss += (d->Y[i] - mean) * (d->Y[i] - mean);
        }
        double mse = se / m, mae = ae / m, r2 = ss > 0 ? 1 - se / ss : NAN;
        if (json)
            printf("{\"loss\": %.9g, \"mse\": %.9g, \"mae\": %.9g, \"r2\": %.9g, \"n\": %d}\n", loss, mse, mae, r2, n);
        else
            printf("%s on %s: %d rows\nloss  %.6g\nmse   %.6g\nmae   %.6g\nr2    %.6f\n", model, d->source, n,
                   loss, mse, mae, r2);
    }
    rc = CLI_OK;
done:
    free(out);
    free(conf);
    ct_data_destroy(d);
    ct_net_destroy(net);
    ct_device_destroy(dev);
    ct_saved_model_free(&sm);
    return rc;
}
