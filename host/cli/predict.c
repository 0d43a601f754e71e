/* cltrain predict: a CSV of predictions, one row per input row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h" /* atomic writes, compiled into the command too */
#include "model_io.h"

static void usage(FILE *f) {
    fputs("usage: cltrain [--device SEL] predict --model FILE --data IN.csv [-o OUT.csv]\n"
          "\n"
          "Writes a CSV with a header and one row per input row: for classification a `class`\n"
          "column (the label as named in the training data) and one probability column per class,\n"
          "p_<label>; for regression one `value` column per output. A CSV with a header has its\n"
          "columns matched to the model's features by name, in any order (the label column and\n"
          "other columns are left out, with a note); without a header, by position.\n"
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

typedef struct {
    cli_model_opts m;
    const char *output;
} options;

static int option(int argc, char **argv, int *i, void *opts) {
    options *o = opts;
    int r;
    if ((r = cli_model_option(argc, argv, i, &o->m))) return r;
    if (!strcmp(argv[*i], "-o")) return (o->output = cli_value(argc, argv, i, "-o")) ? 1 : -1;
    return cli_opt(argc, argv, i, "--output", &o->output);
}

int cmd_predict(int argc, char **argv, const char *device) {
    options opt;
    memset(&opt, 0, sizeof opt);
    int rc = cli_model_parse(argc, argv, "predict", usage, option, &opt, &opt.m);
    if (rc != CLI_RUN) return rc;
    const char *output = opt.output;
    cli_model_run m;
    rc = CLI_FAIL;
    char msg[CT_MSG_LEN];
    ct_atomic_file af = {0};
    if (cli_model_open(&m, &opt.m, device, NULL, NULL, 0) != CLI_OK) goto done;
    if (cli_model_predict(&m) != CLI_OK) goto done;
    const float *out = m.out;
    int C = ct_model_predict_columns(m.m), n = ct_data_rows(m.d);
    FILE *f = stdout;
    if (output) {
        if (ct_atomic_begin(&af, output, msg) != CT_OK) {
            cli_fail(msg);
            goto done;
        }
        f = af.f;
    }
    if (ct_model_task(m.m) == CT_TASK_CLASSIFICATION) {
        int K = ct_model_classes(m.m);
        fputs("class", f);
        for (int k = 0; k < K; k++) {
            char name[300];
            snprintf(name, sizeof name, "p_%s", ct_model_class_name(m.m, k));
            fputc(',', f);
            csv_field(f, name);
        }
        fputc('\n', f);
        for (int i = 0; i < n; i++) {
            const float *o = out + (size_t)i * C;
            int best = 0;
            for (int k = 1; k < K; k++)
                if (o[k] > o[best]) best = k;
            csv_field(f, ct_model_class_name(m.m, best));
            for (int k = 0; k < K; k++)
                fprintf(f, ",%.6g", o[k]);
            fputc('\n', f);
        }
    } else {
        for (int j = 0; j < C; j++) {
            if (j) fputc(',', f);
            if (C == 1) {
                fputs("value", f);
            } else {
                char name[300];
                snprintf(name, sizeof name, "value_%s", ct_model_target_name(m.m, j));
                csv_field(f, name);
            }
        }
        fputc('\n', f);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < C; j++)
                fprintf(f, "%s%.9g", j ? "," : "", out[(size_t)i * C + j]);
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
    cli_model_close(&m);
    return rc;
}
