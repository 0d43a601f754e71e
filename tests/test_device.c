/* The device layer: enumeration, selection (index, type, name, environment), clear errors for
 * requests that match nothing, errors by name, build failures that carry the build log. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "device.h"
#include "ops.h"
#include "strutil.h"
#include "util.h"

static int contains(const char *hay, const char *needle) { return strstr(hay, needle) != NULL; }

/* Opens with selector; expects status want and, on failure, a message containing every needle. */
static ct_device *open_expect(const char *sel, ct_status want, const char *n1, const char *n2) {
    char msg[CT_MSG_LEN] = "";
    ct_device *dev = NULL;
    ct_status st = ct_device_create(&dev, sel, msg);
    EXPECT(st == want, "ct_device_create(\"%s\"): got %s, expected %s (%s)", sel ? sel : "NULL",
           ct_status_name(st), ct_status_name(want), msg);
    if (st != CT_OK) {
        EXPECT(dev == NULL, "a failed ct_device_create left a device");
        EXPECT(!n1 || contains(msg, n1), "message for \"%s\" lacks \"%s\": %s", sel, n1, msg);
        EXPECT(!n2 || contains(msg, n2), "message for \"%s\" lacks \"%s\": %s", sel, n2, msg);
        EXPECT(!strchr(msg, '\n'), "message for \"%s\" is not one line: %s", sel, msg);
        printf("error as expected: %s\n", msg);
    }
    return dev;
}

/* Copies the kernels into dir, appending text to one file. */
static int copy_kernels(const char *dir, const char *broken, const char *append) {
    extern const struct ct_kernel_source {
        const char *name;
        const char *text;
        size_t len;
    } ct_kernel_sources[];
    if (mkdir(dir, 0700) != 0) return 0;
    for (int i = 0; ct_kernel_sources[i].name; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, ct_kernel_sources[i].name);
        FILE *f = fopen(path, "wb");
        if (!f) return 0;
        fwrite(ct_kernel_sources[i].text, 1, ct_kernel_sources[i].len, f);
        if (broken && !strcmp(broken, ct_kernel_sources[i].name)) fputs(append, f);
        fclose(f);
    }
    return 1;
}

static void remove_kernels(const char *dir) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "warning: could not remove %s\n", dir);
}

int main(void) {
    unsetenv("CLTRAIN_DEVICE");
    unsetenv("CLTRAIN_GEMM");
    unsetenv("CLTRAIN_KERNELS_DIR");
    char msg[CT_MSG_LEN];
    ct_device_info *infos = NULL;
    int n = 0;
    ct_status st = ct_device_list(&infos, &n, 1, msg);
    EXPECT(st == CT_OK, "ct_device_list: %s %s", ct_status_name(st), msg);
    EXPECT(n >= 1, "no OpenCL device listed (CI has PoCL)");
    if (st != CT_OK || n < 1) return test_summary("test_device");
    for (int i = 0; i < n; i++) {
        const ct_device_info *d = &infos[i];
        printf("[%d] %s | %s | %s | %s | %u CUs | %llu B global | %llu B local | wg %zu | %s | "
               "fp64 %d | CLBlast %d %s\n",
               d->index, d->platform, d->name, d->vendor, d->type, d->compute_units, d->global_mem,
               d->local_mem, d->max_work_group, d->opencl_c_version, d->fp64, d->clblast,
               d->clblast_note);
        EXPECT(d->index == i, "device %d has index %d", i, d->index);
        EXPECT(d->name[0] && d->platform[0], "device %d has no name or platform", i);
        EXPECT(d->compute_units > 0 && d->global_mem > 0 && d->local_mem > 0 &&
                   d->max_work_group > 0,
               "device %d: implausible limits", i);
        EXPECT(!strncmp(d->opencl_c_version, "OpenCL C ", 9), "device %d: OpenCL C version '%s'", i,
               d->opencl_c_version);
        EXPECT(d->clblast == 0 || d->clblast == 1, "device %d: CLBlast not probed", i);
        EXPECT(d->clblast == 1 || d->clblast_note[0], "device %d: CLBlast fails without a reason",
               i);
    }
    int def = ct_device_default(infos, n);
    EXPECT(def >= 0 && def < n, "default index %d", def);

    /* the default, by index, by type, by part of the name (any case) */
    ct_device *dev = open_expect(NULL, CT_OK, NULL, NULL);
    if (dev) {
        EXPECT(ct_device_get_info(dev)->index == def, "default opened %d, expected %d",
               ct_device_get_info(dev)->index, def);
        ct_device_destroy(dev);
    }
    char idx[16];
    snprintf(idx, sizeof idx, "%d", n - 1);
    dev = open_expect(idx, CT_OK, NULL, NULL);
    if (dev) {
        EXPECT(ct_device_get_info(dev)->index == n - 1, "index %s opened %d", idx,
               ct_device_get_info(dev)->index);
        ct_device_destroy(dev);
    }
    const char *type = infos[def].type;
    dev = open_expect(type, CT_OK, NULL, NULL);
    if (dev) {
        EXPECT(!strcmp(ct_device_get_info(dev)->type, type), "'%s' opened a %s", type,
               ct_device_get_info(dev)->type);
        ct_device_destroy(dev);
    }
    char part[8] = "";
    size_t len = strlen(infos[0].name);
    if (len >= 4) {
        /* four characters from the middle of the name, with their case swapped */
        for (int k = 0; k < 4; k++) {
            char ch = infos[0].name[len / 2 - 2 + k];
            part[k] = (ch >= 'a' && ch <= 'z')   ? (char)(ch - 32)
                      : (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32)
                                                 : ch;
        }
        dev = open_expect(part, CT_OK, NULL, NULL);
        if (dev) ct_device_destroy(dev);
    }

    /* requests that match nothing: one line naming the request and the devices there are */
    char big[16];
    snprintf(big, sizeof big, "%d", n + 98);
    ct_device_destroy(open_expect(big, CT_ERR_NO_DEVICE, big, infos[0].name));
    ct_device_destroy(
        open_expect("no-such-device-xyz", CT_ERR_NO_DEVICE, "no-such-device-xyz", infos[0].name));
    int has_acc = 0;
    for (int i = 0; i < n; i++)
        has_acc |= !strcmp(infos[i].type, "accelerator");
    if (!has_acc)
        ct_device_destroy(open_expect("accelerator", CT_ERR_NO_DEVICE, "accelerator", NULL));

    /* the environment: CLTRAIN_DEVICE when no selector, an explicit selector wins */
    setenv("CLTRAIN_DEVICE", big, 1);
    ct_device_destroy(open_expect(NULL, CT_ERR_NO_DEVICE, "CLTRAIN_DEVICE", big));
    dev = open_expect("0", CT_OK, NULL, NULL);
    ct_device_destroy(dev);
    unsetenv("CLTRAIN_DEVICE");
    setenv("CLTRAIN_GEMM", "fastest", 1);
    ct_device_destroy(open_expect(NULL, CT_ERR_ARG, "CLTRAIN_GEMM", "fastest"));
    setenv("CLTRAIN_GEMM", "own", 1);
    dev = open_expect(NULL, CT_OK, NULL, NULL);
    if (dev) {
        EXPECT(ct_device_gemm(dev) == CT_GEMM_OWN, "CLTRAIN_GEMM=own gave %s",
               ct_gemm_backend_name(ct_device_gemm(dev)));
        ct_device_destroy(dev);
    }
    unsetenv("CLTRAIN_GEMM");

    /* errors by name */
    EXPECT(!strcmp(ct_cl_error_name(CL_OUT_OF_RESOURCES), "CL_OUT_OF_RESOURCES"), "name of -5");
    EXPECT(!strcmp(ct_cl_error_name(CL_INVALID_WORK_GROUP_SIZE), "CL_INVALID_WORK_GROUP_SIZE"),
           "name of -54");
    EXPECT(!strcmp(ct_cl_error_name(-1001), "CL_PLATFORM_NOT_FOUND_KHR"), "name of -1001");
    EXPECT(!strcmp(ct_cl_error_name(-12345), "unknown OpenCL error"), "unknown code");
    EXPECT(!strcmp(ct_clblast_error_name(-2046), "CLBlastInvalidLocalMemUsage"), "CLBlast -2046");
    EXPECT(!strcmp(ct_clblast_error_name(-4), "CL_MEM_OBJECT_ALLOCATION_FAILURE"), "CLBlast -4");
    EXPECT(!strcmp(ct_status_name(CT_ERR_BUILD), "CT_ERR_BUILD"), "status name");

    dev = open_expect(NULL, CT_OK, NULL, NULL);
    if (dev) {
        /* an OpenCL failure names the call and the error */
        cl_mem m = NULL;
        st = ct_buffer_create(dev, &m, (size_t)1 << 62, "a tensor far too large");
        EXPECT(st == CT_ERR_OPENCL && m == NULL, "a 2^62-byte buffer: %s", ct_status_name(st));
        EXPECT(contains(ct_device_error(dev), "clCreateBuffer") &&
                   contains(ct_device_error(dev), "CL_"),
               "message lacks the call or the error name: %s", ct_device_error(dev));
        printf("error as expected: %s\n", ct_device_error(dev));
        /* a bad argument to an op names the op */
        st = ct_fill(dev, ct_at(NULL, 0), 1.0f, 0);
        EXPECT(st == CT_ERR_ARG && contains(ct_device_error(dev), "ct_fill"),
               "ct_fill(n = 0): %s: %s", ct_status_name(st), ct_device_error(dev));
        printf("error as expected: %s\n", ct_device_error(dev));
        ct_device_destroy(dev);
    }

    /* a compiler log digested to a message: errors first, whole lines, the cut counted */
    {
        char log[20000], out[600];
        size_t at = 0;
        for (int i = 0; i < 100; i++)
            at += (size_t)snprintf(log + at, sizeof log - at,
                                   "<source>:%d:5: warning: equality comparison result unused\n"
                                   "    x[%d] == 1.0f;\n    ~~~~~^~~~~~\n",
                                   i + 2, i);
        snprintf(log + at, sizeof log - at,
                 "<source>:102:12: error: use of undeclared identifier 'undefined_name'\n"
                 "    x[0] = undefined_name;\n           ^\n300 warnings and 1 error generated.");
        size_t cut = ct_log_digest(out, sizeof out, log);
        EXPECT(!strncmp(out, "<source>:102:12: error: use of undeclared identifier", 52) &&
                   contains(out, "x[0] = undefined_name;\n           ^\n<source>:2:5: warning"),
               "the digest does not open with the error and its source line: %s", out);
        EXPECT(strlen(out) < sizeof out && cut > 250 && cut < 303,
               "the digest of 304 lines cut %zu (length %zu): %s", cut, strlen(out), out);
        char note[64];
        snprintf(note, sizeof note, "\n(%zu more lines of the log cut)", cut);
        EXPECT(contains(out, note), "the digest does not end with '%s': %s", note, out);
        EXPECT(ct_log_digest(out, sizeof out, "one line\ntwo") == 0 &&
                   !strcmp(out, "one line\ntwo"),
               "a short log is kept as it is: '%s'", out);
        EXPECT(ct_log_digest(out, sizeof out, "") == 0 && out[0] == '\0', "an empty log");
    }

    /* kernels from a folder: a missing folder, and a kernel that does not compile */
    setenv("CLTRAIN_KERNELS_DIR", "/nonexistent/cltrain-kernels", 1);
    ct_device_destroy(
        open_expect(NULL, CT_ERR_IO, "/nonexistent/cltrain-kernels", "CLTRAIN_KERNELS_DIR"));
    char dir[256];
    snprintf(dir, sizeof dir, "/tmp/cltrain-test-kernels-%d", (int)getpid());
    remove_kernels(dir);
    /* 60 statements that compilers warn about ("equality comparison result unused") before the
     * error: the log is then far longer than a message, and the error must still be in it */
    char broken[8192];
    size_t at = (size_t)snprintf(broken, sizeof broken,
                                 "\n__kernel void broken_kernel(__global float *x) {\n");
    for (int i = 0; i < 60; i++)
        at += (size_t)snprintf(broken + at, sizeof broken - at, "    x[%d] == 1.0f;\n", i);
    snprintf(broken + at, sizeof broken - at, "    x[0] = undefined_name;\n}\n");
    EXPECT(copy_kernels(dir, "util.cl", broken), "copying kernels to %s", dir);
    setenv("CLTRAIN_KERNELS_DIR", dir, 1);
    {
        char m2[CT_MSG_LEN] = "";
        ct_device *d2 = NULL;
        st = ct_device_create(&d2, NULL, m2);
        EXPECT(st == CT_ERR_BUILD && d2 == NULL, "a broken kernel: %s", ct_status_name(st));
        EXPECT(contains(m2, "build log") && contains(m2, "undefined_name"),
               "the build error lacks the build log's error: %s", m2);
        printf("error as expected (first 400 chars): %.400s\n", m2);
        ct_device_destroy(d2);
    }
    unsetenv("CLTRAIN_KERNELS_DIR");
    remove_kernels(dir);
    free(infos);
    return test_summary("test_device");
}
