/* cltrain predict: a CSV of predictions, one row per input row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "cli.h"
#include "fileio.h"

static void usage(FILE *f) {
    fputs("usage: cltrain [--device SEL] predict --model FILE --data IN.csv [-o OUT.csv]\n"
          "\n"
          "Writes a CSV with a header and one row per input row: for classification a `class`\n"
          "column (the label as named in the training data) and one probability column per class,\n"
          "p_<label>; for regression one `value` column per output. Input columns are matched to\n"
          "the model's features by position; one extra column (the label) is dropped by name.\n"
          "\n"
          "  --model FILE     a model saved by cltrain train --save\n"
          "  --data SOURCE    the inputs (CSV, .npy, .idx, or a generator)\n"
          "  -o, --output F   the output CSV (default: standard output), written atomically\n"
          "  --batch N        rows per launch (default 256)\n"
          "  --backend B      opencl (default) or reference\n",
          f);
}

/* A CSV field: quoted when it holds a comma, a quote or a line break. */
static void csv_field(FILE *f, const char *s) {
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

int cmd_predict(int argc, char **argv, const char *device) {
    const char *model = NULL, *data = NULL, *output = NULL;
    int batch = 256, reference = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return CLI_OK;
        } else if (cli_is(a, "--model")) {
            if (!(model = cli_value(argc, argv, &i, "--model"))) return CLI_USAGE;
        } else if (cli_is(a, "--data")) {
            if (!(data = cli_value(argc, argv, &i, "--data"))) return CLI_USAGE;
        } else if (!strcmp(a, "-o") || cli_is(a, "--output")) {
            if (!(output = cli_value(argc, argv, &i, a[1] == 'o' ? "-o" : "--output"))) return CLI_USAGE;
        } else if (cli_is(a, "--batch")) {
            if (!(v = cli_value(argc, argv, &i, "--batch")) || !cli_int("--batch", v, 1, 1 << 20, &batch))
                return CLI_USAGE;
        } else if (cli_is(a, "--backend")) {
            if (!(v = cli_value(argc, argv, &i, "--backend")) || !cli_backend(v, &reference)) return CLI_USAGE;
        } else {
            cli_error("predict: unknown option '%s' (see cltrain predict --help)", a);
            return CLI_USAGE;
        }
    }
    if (!model || !data) {
        cli_error("predict: --model and --data are required (see cltrain predict --help)");
        return CLI_USAGE;
    }
    ct_saved_model sm;
    memset(&sm, 0, sizeof sm);
    ct_device *dev = NULL;
    ct_net *net = NULL;
    ct_dataset *d = NULL;
    float *out = NULL;
    int rc = CLI_FAIL;
    char msg[CT_MSG_LEN];
    ct_atomic_file af = {0};
    if (cli_model_net(model, device, reference, batch, &sm, &dev, &net) != CLI_OK) goto done;
    if (cli_model_data(data, NULL, NULL, 0, &sm, &d) != CLI_OK) goto done;
    int C = sm.outputs, n = d->n;
    out = malloc((size_t)n * C * sizeof(float));
    if (!out) {
        cli_fail("out of host memory");
        goto done;
    }
    if (ct_net_predict(net, d->X, n, out) != CT_OK) {
        cli_fail(ct_net_error(net));
        goto done;
    }
    FILE *f = stdout;
    if (output) {
        if (ct_atomic_begin(&af, output, msg) != CT_OK) {
            cli_fail(msg);
            goto done;
        }
        f = af.f;
    }
    if (sm.task == CT_TASK_CLASSIFICATION) {
        int K = sm.n_classes, bce = sm.arch.loss == CT_LOSS_SIGMOID_BCE;
        fputs("class", f);
        for (int k = 0; k < K; k++) {
            char name[300];
            snprintf(name, sizeof name, "p_%s", sm.class_names[k]);
            fputc(',', f);
            csv_field(f, name);
        }
        fputc('\n', f);
        for (int i = 0; i < n; i++) {
            const float *o = out + (size_t)i * C;
            float p2[2];
            if (bce) p2[0] = 1 - o[0], p2[1] = o[0], o = p2;
            int best = 0;
            for (int k = 1; k < K; k++)
                if (o[k] > o[best]) best = k;
            csv_field(f, sm.class_names[best]);
            for (int k = 0; k < K; k++) fprintf(f, ",%.6g", o[k]);
            fputc('\n', f);
        }
    } else {
        for (int j = 0; j < C; j++) {
            if (j) fputc(',', f);
            if (C == 1 || !sm.target_names) {
                fprintf(f, C == 1 ? "value" : "value_%d", j);
            } else {
                char name[300];
                snprintf(name, sizeof name, "value_%s", sm.target_names[j]);
                csv_field(f, name);
            }
        }
        fputc('\n', f);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < C; j++) fprintf(f, "%s%.9g", j ? "," : "", out[(size_t)i * C + j]);
            fputc('\n', f);
        }
    }
    if (output) {
        if (ct_atomic_commit(&af, msg) != CT_OK) {
            cli_fail(msg);
            goto done;
        }
        fprintf(stderr, "wrote %d predictions to %s\n", n, output);
    }
    rc = CLI_OK;
done:
    ct_atomic_abort(&af);
    free(out);
    ct_data_destroy(d);
    ct_net_destroy(net);
    ct_device_destroy(dev);
    ct_saved_model_free(&sm);
    return rc;
}
