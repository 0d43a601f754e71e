/* cltrain eval: loss, accuracy and confusion matrix (classification) or MSE, MAE and R^2
 * (regression) of a saved model on labelled data. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h" /* the JSON writer, compiled into the command too */
#include "model_io.h"

static void usage(FILE *f) {
    fputs("usage: cltrain [--device SEL] eval --model FILE --data SOURCE [options]\n"
          "\n"
          "  --model FILE         a model saved by cltrain train --save (or a checkpoint)\n"
          "  --data SOURCE        labelled data, as for train (file or generator)\n"
          "  --labels FILE        labels of an .npy or .idx data file\n"
          "  --label NAME|INDEX   CSV label column (default: the model's, as trained)\n"
          "  --batch N            rows per launch (default 256)\n"
          "  --backend B          opencl (default) or reference\n"
          "  --json               one JSON object: loss, accuracy, confusion (classification) or\n"
          "                       loss, mse, mae, r2 (regression), and n\n",
          f);
}

typedef struct {
    cli_model_opts m;
    const char *labels, *label;
    int json;
} options;

static int option(int argc, char **argv, int *i, void *opts) {
    options *o = opts;
    int r;
    if (cli_flag(argv[*i], "--json", &o->json)) return 1;
    if ((r = cli_model_option(argc, argv, i, &o->m))) return r;
    if ((r = cli_opt(argc, argv, i, "--labels", &o->labels))) return r;
    return cli_opt(argc, argv, i, "--label", &o->label);
}

int cmd_eval(int argc, char **argv, const char *device) {
    options opt;
    memset(&opt, 0, sizeof opt);
    int rc = cli_model_parse(argc, argv, "eval", usage, option, &opt, &opt.m);
    if (rc != CLI_RUN) return rc;
    const char *model = opt.m.model;
    int json = opt.json, batch = opt.m.batch;
    cli_model_run m;
    long long *conf = NULL;
    rc = CLI_FAIL;
    if (cli_model_open(&m, &opt.m, device, opt.labels, opt.label, 1) != CLI_OK) goto done;
    const ct_dataset *d = m.d;
    int C = ct_model_predict_columns(m.m), n = ct_data_rows(d);
    int K = ct_model_classes(m.m);
    double loss, acc;
    if (ct_model_evaluate(m.m, d, batch, &loss, &acc) != CT_OK) {
        cli_fail(ct_model_error(m.m));
        goto done;
    }
    if (cli_model_predict(&m) != CLI_OK) goto done;
    const float *out = m.out;
    if (ct_model_task(m.m) == CT_TASK_CLASSIFICATION) {
        const int32_t *labels = ct_data_labels(d);
        conf = calloc((size_t)K * K, sizeof *conf);
        if (!conf) {
            cli_fail("out of host memory");
            goto done;
        }
        for (int i = 0; i < n; i++) {
            int pred = 0;
            if (ct_model_arch(m.m)->loss == CT_LOSS_SIGMOID_BCE) {
                pred = out[(size_t)i * C + 1] > 0.5f;
            } else {
                for (int j = 1; j < C; j++)
                    if (out[(size_t)i * C + j] > out[(size_t)i * C + pred]) pred = j;
            }
            conf[(size_t)labels[i] * K + pred]++;
        }
        if (json) {
            printf("{\"loss\": %.9g, \"accuracy\": %.9g, \"n\": %d, \"classes\": [", loss, acc, n);
            for (int k = 0; k < K; k++) {
                if (k) printf(", ");
                ct_json_write_string(stdout, ct_model_class_name(m.m, k));
            }
            printf("], \"confusion\": [");
            for (int r = 0; r < K; r++) {
                printf("%s[", r ? ", " : "");
                for (int c = 0; c < K; c++)
                    printf("%s%lld", c ? ", " : "", conf[(size_t)r * K + c]);
                printf("]");
            }
            printf("]}\n");
        } else {
            printf("%s on %s: %d rows\n", model, ct_data_source(d), n);
            printf("loss      %.6g\naccuracy  %.4f\n\nconfusion matrix (rows: true class, columns: "
                   "predicted)\n",
                   loss, acc);
            int w = 6;
            for (int k = 0; k < K; k++) {
                int l = (int)strlen(ct_model_class_name(m.m, k));
                if (l > w) w = l < 20 ? l : 20;
            }
            printf("%*s", w + 2, "");
            for (int k = 0; k < K; k++)
                printf(" %*.*s", w, w, ct_model_class_name(m.m, k));
            printf("\n");
            for (int r = 0; r < K; r++) {
                printf("%*.*s  ", w, w, ct_model_class_name(m.m, r));
                for (int c = 0; c < K; c++)
                    printf(" %*lld", w, conf[(size_t)r * K + c]);
                printf("\n");
            }
        }
    } else {
        const float *Y = ct_data_targets(d);
        double se = 0, ae = 0, mean = 0, ss = 0;
        size_t m = (size_t)n * C;
        for (size_t i = 0; i < m; i++)
            mean += Y[i];
        mean /= (double)m;
        for (size_t i = 0; i < m; i++) {
            double e = (double)out[i] - Y[i];
            se += e * e;
            ae += fabs(e);
            ss += (Y[i] - mean) * (Y[i] - mean);
        }
        double mse = se / m, mae = ae / m, r2 = ss > 0 ? 1 - se / ss : NAN;
        if (json)
            printf("{\"loss\": %.9g, \"mse\": %.9g, \"mae\": %.9g, \"r2\": %.9g, \"n\": %d}\n",
                   loss, mse, mae, r2, n);
        else
            printf("%s on %s: %d rows\nloss  %.6g\nmse   %.6g\nmae   %.6g\nr2    %.6f\n", model,
                   ct_data_source(d), n, loss, mse, mae, r2);
    }
    rc = CLI_OK;
done:
    free(conf);
    cli_model_close(&m);
    return rc;
}
