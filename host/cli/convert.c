/* cltrain convert: a JSON model (host/jsonmodel.h) to safetensors, or back. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

static void usage(FILE *f) {
    fputs(
        "usage: cltrain convert IN OUT\n"
        "\n"
        "Converts a model between the JSON format a person can type (IN.json) and safetensors\n"
        "(OUT.safetensors), or back; the extensions give the direction. A checkpoint's optimizer\n"
        "state and dropout rates are not written to JSON.\n"
        "\n"
        "JSON: {\"layers\": [{\"weight\": [[0.5, -0.3], [0.2, 0.8]], \"bias\": [0.1, -0.1],\n"
        "                   \"activation\": \"relu\"},\n"
        "                  {\"weight\": [[0.7, -0.5]], \"bias\": [0.2], \"activation\": "
        "\"sigmoid\"}],\n"
        "       \"loss\": \"bce\"}\n"
        "  weight (out, in) as PyTorch's nn.Linear; bias optional (zeros); loss ce, bce, mse or\n"
        "  huber (\"huber_delta\"); the output layer's activation must match the loss (ce "
        "softmax,\n"
        "  bce sigmoid, mse/huber linear; ce and bce also take linear, as PyTorch's logits);\n"
        "  optional \"alpha\" per layer, \"classes\", \"features\",\n"
        "  \"targets\", \"scaler\": {\"mean\": [...], \"std\": [...]} (see examples/README.md)\n"
        "\n"
        "  -h, --help   this help\n",
        f);
}

/* 1 when path ends in ext, case-insensitively. */
static int has_ext(const char *path, const char *ext) {
    size_t n = strlen(path), k = strlen(ext);
    return n >= k && !strcasecmp(path + n - k, ext);
}

int cmd_convert(int argc, char **argv, const char *device) {
    (void)device; /* no device is needed */
    const char *in = NULL, *out = NULL;
    int positional = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!positional && (!strcmp(a, "-h") || !strcmp(a, "--help"))) {
            usage(stdout);
            return CLI_OK;
        } else if (!positional && !strcmp(a, "--")) {
            positional = 1;
        } else if (!positional && a[0] == '-' && a[1]) {
            cli_error("convert: unknown option '%s' (see cltrain convert --help)", a);
            return CLI_USAGE;
        } else if (!in) {
            in = a;
        } else if (!out) {
            out = a;
        } else {
            cli_error("convert: too many arguments ('%s'); expected IN OUT", a);
            return CLI_USAGE;
        }
    }
    if (!in || !out) {
        cli_error("convert: expected IN OUT, two model files (see cltrain convert --help)");
        return CLI_USAGE;
    }
    int in_json = has_ext(in, ".json"), in_st = has_ext(in, ".safetensors");
    int out_json = has_ext(out, ".json"), out_st = has_ext(out, ".safetensors");
    if (!((in_json && out_st) || (in_st && out_json))) {
        cli_error("convert: converts .json to .safetensors or .safetensors to .json, got '%s' -> "
                  "'%s'",
                  in, out);
        return CLI_USAGE;
    }
    ct_model *m = NULL;
    char msg[CT_MSG_LEN];
    int rc = CLI_FAIL;
    if (ct_model_load(&m, NULL, in, msg) != CT_OK) {
        cli_fail(msg);
        goto done;
    }
    /* JSON holds no optimizer state: the safetensors file is a plain model */
    if (ct_model_save(m, out) != CT_OK) {
        cli_fail(ct_model_error(m));
        goto done;
    }
    const ct_arch *a = ct_model_arch(m);
    printf("wrote %s (%d layer%s, %zu parameters)\n", out, a->n_layers, a->n_layers == 1 ? "" : "s",
           ct_arch_params(a));
    rc = CLI_OK;
done:
    ct_model_destroy(m);
    return rc;
}
