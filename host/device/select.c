/* Choosing a device: the default (the first GPU, else the first CPU), and a selector (an index,
 * a type, or part of a device or platform name; else $CLTRAIN_DEVICE) matched to one. */
#include "internal.h"
#include "strutil.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- selection --------------------------------------------------------------------------- */

static int ci_contains(const char *hay, const char *needle) {
    size_t hn = strlen(hay), nn = strlen(needle);
    if (nn == 0) return 0;
    for (size_t i = 0; i + nn <= hn; i++) {
        size_t k = 0;
        while (k < nn && tolower((unsigned char)hay[i + k]) == tolower((unsigned char)needle[k]))
            k++;
        if (k == nn) return 1;
    }
    return 0;
}

static int ci_equal(const char *a, const char *b) {
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return 0;
    return *a == *b;
}

static int all_digits(const char *s) {
    if (!*s) return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s)) return 0;
    return 1;
}

int ct_device_default(const ct_device_info *infos, int n) {
    for (int i = 0; i < n; i++)
        if (!strcmp(infos[i].type, "gpu")) return i;
    for (int i = 0; i < n; i++)
        if (!strcmp(infos[i].type, "cpu")) return i;
    return n > 0 ? 0 : -1;
}

/* A list "0: name (type)" of every device, for error messages. */
static void describe_all(const ct_device_info *infos, int n, char *dst, size_t cap) {
    size_t used = 0;
    dst[0] = '\0';
    for (int i = 0; i < n && used + 1 < cap; i++) {
        int k = snprintf(dst + used, cap - used, "%s%d: %s (%s)", i ? ", " : "", i, infos[i].name,
                         infos[i].type);
        if (k < 0) break;
        used += (size_t)k;
    }
    if (n == 0) snprintf(dst, cap, "none");
}

/* Picks the index of the device for selector (already resolved from the environment). */
ct_status dv_pick(const ct_device_info *infos, int n, const char *sel, const char *origin,
                  int *chosen, char *msg) {
    char all[1024];
    describe_all(infos, n, all, sizeof all);
    if (n == 0)
        return ct_fail_msg(msg, CT_ERR_NO_DEVICE, "no OpenCL device found on any platform; %s",
                           NO_PLATFORM_HINT);
    if (!sel || !*sel) return *chosen = ct_device_default(infos, n), CT_OK;
    if (all_digits(sel)) {
        errno = 0;
        long v = strtol(sel, NULL, 10);
        if (errno == 0 && v >= 0 && v < n) return *chosen = (int)v, CT_OK;
        return ct_fail_msg(msg, CT_ERR_NO_DEVICE,
                           "no OpenCL device with index %s (%s); there %s %d: %s", sel, origin,
                           n == 1 ? "is" : "are", n, all);
    }
    const char *types[] = {"gpu", "cpu", "accelerator"};
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        if (!ci_equal(sel, types[t])) continue;
        for (int i = 0; i < n; i++)
            if (!strcmp(infos[i].type, types[t])) return *chosen = i, CT_OK;
        return ct_fail_msg(msg, CT_ERR_NO_DEVICE, "no OpenCL %s device (%s); devices: %s%s",
                           types[t], origin, all,
                           t == 1 ? "; for a CPU device, apt-get install pocl-opencl-icd" : "");
    }
    for (int i = 0; i < n; i++)
        if (ci_contains(infos[i].name, sel)) return *chosen = i, CT_OK;
    for (int i = 0; i < n; i++)
        if (ci_contains(infos[i].platform, sel)) return *chosen = i, CT_OK;
    return ct_fail_msg(
        msg, CT_ERR_NO_DEVICE,
        "no OpenCL device matches '%s' (%s: an index, gpu, cpu, accelerator or part of "
        "a device name); devices: %s",
        sel, origin, all);
}

/* The selector in force: the given one, else $CLTRAIN_DEVICE; returns where it came from. */
const char *dv_resolve_selector(const char **selector) {
    if (!*selector || !**selector) {
        const char *env = getenv("CLTRAIN_DEVICE");
        if (env && *env) {
            *selector = env;
            return "from CLTRAIN_DEVICE";
        }
    }
    return "the device selector";
}
