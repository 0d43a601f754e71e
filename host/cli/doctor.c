/* The device doctor of `cltrain devices`: when no GPU is found, it looks for the OpenCL drivers
 * of GPU vendors that are installed but not registered with the ICD loader (a container often
 * mounts NVIDIA's library without /etc/OpenCL/vendors/nvidia.icd), and for registered drivers
 * that do not load, and says for each what to do. Nothing is loaded but registered drivers. */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

typedef struct {
    const char *vendor, *file, *icd;
} vendor_lib;

/* The file names the vendors' OpenCL drivers install, and the .icd name that registers them. */
static const vendor_lib libs[] = {
    {"NVIDIA", "libnvidia-opencl.so.1", "nvidia.icd"},
    {"NVIDIA", "libnvidia-opencl.so", "nvidia.icd"},
    {"AMD", "libamdocl64.so", "amdocl64.icd"},
    {"AMD", "libamdocl-orca64.so", "amdocl-orca64.icd"},
    {"Intel", "libigdrcl.so", "intel.icd"},
    {"Intel", "libintelocl.so", "intel-cpu.icd"},
};
#define N_LIBS (sizeof libs / sizeof libs[0])

/* The usual folders of vendor drivers, after those of LD_LIBRARY_PATH. */
static const char *const system_dirs[] = {
    "/usr/local/nvidia/lib64",
    "/usr/local/nvidia/lib",
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/usr/lib64",
    "/usr/lib",
    "/usr/local/lib",
    "/usr/local/cuda/lib64",
    "/opt/rocm/lib",
    "/opt/rocm/opencl/lib",
    "/opt/amdgpu-pro/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu/intel-opencl",
    "/opt/intel/opencl/lib64",
};

#define MAX_REG 64
typedef struct {
    char lib[PATH_MAX];  /* as the .icd names it */
    char icd[PATH_MAX];  /* the .icd file */
    char real[PATH_MAX]; /* its real path when it names a file that exists */
} registration;

typedef struct {
    registration reg[MAX_REG];
    int n_reg;
    char seen[32][PATH_MAX]; /* real paths of the libraries already reported */
    int n_seen;
    int hints;
} doctor;

static void trim(char *s) {
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
}

static void add_registration(doctor *d, const char *icd_path) {
    if (d->n_reg == MAX_REG) return;
    FILE *f = fopen(icd_path, "r");
    if (!f) return;
    registration *r = &d->reg[d->n_reg];
    memset(r, 0, sizeof *r);
    if (fgets(r->lib, sizeof r->lib, f)) {
        trim(r->lib);
        snprintf(r->icd, sizeof r->icd, "%s", icd_path);
        if (!realpath(r->lib, r->real)) r->real[0] = '\0';
        if (r->lib[0]) d->n_reg++;
    }
    fclose(f);
}

/* What the ICD loader reads: OCL_ICD_VENDORS (a folder of .icd files, one .icd file, or a
 * driver library named directly), else /etc/OpenCL/vendors. */
static const char *read_registrations(doctor *d) {
    const char *env = getenv("OCL_ICD_VENDORS");
    const char *dir = env && *env ? env : "/etc/OpenCL/vendors";
    struct stat st;
    if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
        size_t n = strlen(dir);
        if (n > 4 && !strcmp(dir + n - 4, ".icd")) {
            add_registration(d, dir);
        } else if (d->n_reg < MAX_REG) { /* a library named directly */
            registration *r = &d->reg[d->n_reg++];
            memset(r, 0, sizeof *r);
            snprintf(r->lib, sizeof r->lib, "%s", dir);
            snprintf(r->icd, sizeof r->icd, "OCL_ICD_VENDORS");
            if (!realpath(r->lib, r->real)) r->real[0] = '\0';
        }
        return dir;
    }
    DIR *dp = opendir(dir);
    if (!dp) return dir;
    struct dirent *e;
    while ((e = readdir(dp))) {
        size_t n = strlen(e->d_name);
        if (n > 4 && !strcmp(e->d_name + n - 4, ".icd")) {
            char path[PATH_MAX];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            add_registration(d, path);
        }
    }
    closedir(dp);
    return dir;
}

/* 1 when this library (by real path, or by file name for a registration without a path) is
 * registered. */
static int registered(const doctor *d, const char *real, const char *file) {
    for (int i = 0; i < d->n_reg; i++) {
        if (d->reg[i].real[0] && !strcmp(d->reg[i].real, real)) return 1;
        const char *base = strrchr(d->reg[i].lib, '/');
        if (!base && !strcmp(d->reg[i].lib, file)) return 1;
    }
    return 0;
}

static void hint(doctor *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void hint(doctor *d, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("doctor: ", stdout);
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
    d->hints++;
}

static void check_file(doctor *d, const char *dir, const vendor_lib *v) {
    char path[PATH_MAX], real[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, v->file);
    struct stat st;
    if (stat(path, &st) != 0 || S_ISDIR(st.st_mode) || !realpath(path, real)) return;
    for (int i = 0; i < d->n_seen; i++)
        if (!strcmp(d->seen[i], real)) return;
    if (d->n_seen < 32) snprintf(d->seen[d->n_seen++], PATH_MAX, "%s", real);
    if (registered(d, real, v->file)) return;
    hint(d,
         "%s's OpenCL driver is installed but not registered: %s. Run with "
         "OCL_ICD_VENDORS=%s (or register it: echo %s > /etc/OpenCL/vendors/%s)",
         v->vendor, path, path, path, v->icd);
}

/* The library folders of the ldconfig cache that hold one of the vendor libraries. */
static void check_ldconfig(doctor *d) {
    const char *cmds[] = {"/sbin/ldconfig -p 2>/dev/null", "ldconfig -p 2>/dev/null"};
    for (int c = 0; c < 2; c++) {
        FILE *p = popen(cmds[c], "r");
        if (!p) continue;
        char line[PATH_MAX + 128];
        int any = 0;
        while (fgets(line, sizeof line, p)) {
            any = 1;
            trim(line);
            char *arrow = strstr(line, "=> ");
            if (!arrow) continue;
            char *path = arrow + 3, *slash = strrchr(path, '/');
            if (!slash) continue;
            for (size_t i = 0; i < N_LIBS; i++)
                if (!strcmp(slash + 1, libs[i].file)) {
                    *slash = '\0';
                    check_file(d, path, &libs[i]);
                    *slash = '/';
                }
        }
        int rc = pclose(p);
        if (any && rc == 0) return;
    }
}

/* Registered drivers that do not load: the ICD loader skips them without a word. */
static void check_registered(doctor *d) {
    for (int i = 0; i < d->n_reg; i++) {
        const registration *r = &d->reg[i];
        void *h = dlopen(r->lib, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            const char *why = dlerror();
            hint(d, "the driver %s registered in %s does not load: %s", r->lib, r->icd,
                 why ? why : "unknown reason");
            continue;
        }
        /* a loader finds an ICD driver's entry through clGetExtensionFunctionAddress */
        if (!dlsym(h, "clIcdGetPlatformIDsKHR") && !dlsym(h, "clGetExtensionFunctionAddress"))
            hint(d, "the driver %s registered in %s loads but is not an OpenCL driver (it "
                    "exports no clGetExtensionFunctionAddress)",
                 r->lib, r->icd);
        dlclose(h);
    }
}

int cli_doctor(void) {
    doctor *d = calloc(1, sizeof *d);
    if (!d) return 0;
    const char *where = read_registrations(d);
    check_registered(d);
    const char *lp = getenv("LD_LIBRARY_PATH");
    if (lp && *lp) {
        char *copy = strdup(lp);
        for (char *save = NULL, *dir = copy ? strtok_r(copy, ":", &save) : NULL; dir;
             dir = strtok_r(NULL, ":", &save))
            for (size_t i = 0; i < N_LIBS; i++)
                check_file(d, dir, &libs[i]);
        free(copy);
    }
    for (size_t k = 0; k < sizeof system_dirs / sizeof system_dirs[0]; k++)
        for (size_t i = 0; i < N_LIBS; i++)
            check_file(d, system_dirs[k], &libs[i]);
    check_ldconfig(d);
    int hints = d->hints;
    if (!hints)
        printf("doctor: no GPU found; no GPU vendor's OpenCL driver (NVIDIA, AMD, Intel) is "
               "installed in LD_LIBRARY_PATH, the usual folders or the ldconfig cache, and every "
               "driver registered in %s loads\n",
               where);
    free(d);
    return hints;
}
