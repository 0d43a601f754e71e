/* cltrain devices: every platform and device, whether CLBlast works on each, and whether each
 * gives the common bits (DESIGN.md principle 6). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void human_bytes(char *dst, size_t n, unsigned long long b) {
    const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)b;
    int u = 0;
    while (v >= 1024 && u < 4)
        v /= 1024, u++;
    snprintf(dst, n, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

/* Writes s as a JSON string (quotes and escapes). */
static void json_str(const char *s) {
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

/* The common bits' probe of device `index` (it builds the kernels there): -1 when the device
 * cannot be opened (why in msg), else ct_device_gives_common_bits. */
static int bits_probe(int index, ct_bits_facts *f, char msg[CT_MSG_LEN]) {
    char sel[16];
    snprintf(sel, sizeof sel, "%d", index);
    ct_device *dev = NULL;
    memset(f, 0, sizeof *f);
    if (ct_device_create(&dev, sel, msg) != CT_OK) return -1;
    int ok = ct_device_gives_common_bits(dev, f);
    ct_device_destroy(dev);
    return ok;
}

/* "no", or which operations flush denormals to zero. */
static void flushes(const ct_bits_facts *f, char *dst, size_t n) {
    if (!f->mul_flushes && !f->fma_flushes && !f->add_flushes) {
        snprintf(dst, n, "no");
        return;
    }
    snprintf(dst, n, "yes (%s%s%s)", f->mul_flushes ? "* " : "", f->fma_flushes ? "fma " : "",
             f->add_flushes ? "+ " : "");
    size_t l = strlen(dst);
    if (l >= 3 && dst[l - 2] == ' ') dst[l - 2] = ')', dst[l - 1] = '\0';
}

static void usage(FILE *f) {
    fputs("usage: cltrain devices [--json] [--no-clblast] [--no-bits] [--doctor]\n"
          "\n"
          "Lists every OpenCL device: index, platform, name, vendor, type, compute units, global\n"
          "and local memory, max work-group size, OpenCL C version, fp64 support, and whether\n"
          "CLBlast computes a correct product on it. '*' marks the device chosen by default.\n"
          "profile: the code paths cltrain takes there (cpu or gpu; CLTRAIN_PROFILE=gpu runs a\n"
          "GPU's paths on any device). When no GPU is found, the doctor looks for GPU drivers that\n"
          "are installed but not registered, and registered drivers that do not load, and says\n"
          "what setting would load each (e.g. OCL_ICD_VENDORS=/path/libnvidia-opencl.so.1).\n"
          "common bits: whether the device computes what the same bits on every implementation\n"
          "need (no contraction where the kernels write none, correctly rounded / and sqrt; a\n"
          "probe of 4096 cases), and whether it flushes denormals (harmless outside products\n"
          "whose sums become denormal: see the README's \"The same bits on every implementation\").\n"
          "\n"
          "  --json         one JSON object {\"default\": i, \"devices\": [...]}\n"
          "  --no-clblast   skip the CLBlast probe (it compiles CLBlast's kernels on first use)\n"
          "  --no-bits      skip the common bits' probe (it builds cltrain's kernels on each)\n"
          "  --doctor       run the doctor even when a GPU is found\n",
          f);
}

int cmd_devices(int argc, char **argv) {
    int json = 0, probe = 1, doctor = 0, bits = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--no-clblast"))
            probe = 0;
        else if (!strcmp(argv[i], "--no-bits"))
            bits = 0;
        else if (!strcmp(argv[i], "--doctor"))
            doctor = 1;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return CLI_OK;
        } else {
            cli_error("devices: unknown option '%s' (see cltrain devices --help)", argv[i]);
            return CLI_USAGE;
        }
    }
    char msg[CT_MSG_LEN];
    ct_device_info *infos = NULL;
    int n = 0;
    ct_status st = ct_device_list(&infos, &n, probe, msg);
    if (st != CT_OK) {
        cli_error("%s", msg);
        if (!json && st != CT_ERR_ARG) cli_doctor(); /* not for a bad setting */
        return CLI_FAIL;
    }
    int def = ct_device_default(infos, n);

    if (json) {
        printf("{\"default\": %d, \"devices\": [", def);
        for (int i = 0; i < n; i++) {
            const ct_device_info *d = &infos[i];
            printf("%s\n  {\"index\": %d, \"platform\": ", i ? "," : "", d->index);
            json_str(d->platform);
            printf(", \"name\": ");
            json_str(d->name);
            printf(", \"vendor\": ");
            json_str(d->vendor);
            printf(", \"type\": \"%s\", \"compute_units\": %u, \"global_mem\": %llu, "
                   "\"local_mem\": %llu, \"max_work_group\": %zu, \"opencl_c_version\": ",
                   d->type, d->compute_units, d->global_mem, d->local_mem, d->max_work_group);
            json_str(d->opencl_c_version);
            printf(", \"profile\": \"%s\"", d->profile);
            printf(", \"fp64\": %s, \"clblast\": %s", d->fp64 ? "true" : "false",
                   d->clblast < 0 ? "null"
                   : d->clblast   ? "true"
                                  : "false");
            if (d->clblast == 0) {
                printf(", \"clblast_note\": ");
                json_str(d->clblast_note);
            }
            if (bits) {
                ct_bits_facts f;
                char why[CT_MSG_LEN];
                int ok = bits_probe(d->index, &f, why);
                printf(", \"common_bits\": %s", ok < 0 ? "null" : ok ? "true" : "false");
                if (ok < 0) {
                    printf(", \"common_bits_note\": ");
                    json_str(why);
                } else {
                    printf(", \"bits_probe\": {\"probes\": %d, \"contracted\": %d, "
                           "\"divide_sqrt_wrong\": %d, \"correctly_rounded_reported\": %s, "
                           "\"denorm_reported\": %s, \"flushes_mul\": %s, \"flushes_fma\": %s, "
                           "\"flushes_add\": %s}",
                           f.probes, f.contracted, f.divide_sqrt, f.cr_reported ? "true" : "false",
                           f.denorm_reported ? "true" : "false", f.mul_flushes ? "true" : "false",
                           f.fma_flushes ? "true" : "false", f.add_flushes ? "true" : "false");
                }
            }
            printf("}");
        }
        printf("\n]}\n");
    } else {
        if (n == 0) printf("no OpenCL devices (a platform exists but has none)\n");
        for (int i = 0; i < n; i++) {
            const ct_device_info *d = &infos[i];
            char gm[32], lm[32];
            human_bytes(gm, sizeof gm, d->global_mem);
            human_bytes(lm, sizeof lm, d->local_mem);
            printf("%s[%d] %s%s\n", i ? "\n" : "", d->index, d->name, i == def ? "  *default" : "");
            printf("    platform        %s\n", d->platform);
            printf("    vendor          %s\n", d->vendor);
            printf("    type            %s\n", d->type);
            printf("    profile: %s%s\n", d->profile,
                   strcmp(d->profile, !strcmp(d->type, "cpu") ? "cpu" : "gpu")
                       ? "  (CLTRAIN_PROFILE)"
                       : "");
            printf("    compute units   %u\n", d->compute_units);
            printf("    global memory   %s\n", gm);
            printf("    local memory    %s\n", lm);
            printf("    max work-group  %zu\n", d->max_work_group);
            printf("    OpenCL C        %s\n", d->opencl_c_version);
            printf("    fp64            %s\n", d->fp64 ? "yes" : "no");
            if (d->clblast < 0)
                printf("    CLBlast         not probed (--no-clblast)\n");
            else if (d->clblast)
                printf("    CLBlast         works\n");
            else
                printf("    CLBlast         no: %s\n", d->clblast_note);
            if (bits) {
                ct_bits_facts f;
                char why[CT_MSG_LEN], fl[48];
                int ok = bits_probe(d->index, &f, why);
                flushes(&f, fl, sizeof fl);
                if (ok < 0)
                    printf("    common bits     not probed: %s\n", why);
                else if (ok)
                    printf("    common bits     yes (no contraction, / and sqrt correctly rounded%s)\n"
                           "    denormals       flushed: %s\n",
                           f.cr_reported ? "" : ", verified though not reported", fl);
                else
                    printf("    common bits     no: %d of %d a * b + c fused, %d / or sqrt "
                           "not correctly rounded\n"
                           "    denormals       flushed: %s\n",
                           f.contracted, f.probes, f.divide_sqrt, fl);
            }
        }
    }
    int gpus = 0;
    for (int i = 0; i < n; i++)
        gpus += !strcmp(infos[i].type, "gpu");
    if (!json && (!gpus || doctor)) {
        putchar('\n');
        cli_doctor();
    }
    free(infos);
    return CLI_OK;
}
