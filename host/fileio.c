/* Atomic file writing (temporary + fsync + rename) and whole-file reading (see fileio.h). */
#define _POSIX_C_SOURCE 200809L

#include "fileio.h"
#include "rng.h"
#include "strutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define TMP_ATTEMPTS 64

/* The folder holding path: "dir/sub" for "dir/sub/x", "/" for "/x", "." for "x". */
static char *dir_of(const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash) return ct_strdup(".");
    size_t n = (size_t)(slash - path);
    if (n == 0) n = 1; /* "/x" */
    char *d = malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, path, n);
    d[n] = '\0';
    return d;
}

/* A 32-bit suffix that differs between calls without any stored counter: the clock in
 * nanoseconds, the address of the caller's struct and the attempt number, mixed. */
static unsigned long tmp_suffix(const void *addr, int attempt) {
    struct timespec ts = {0, 0};
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t z = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    z ^= (uint64_t)(uintptr_t)addr * 0x9E3779B97F4A7C15ULL;
    z += (uint64_t)attempt * 0xBF58476D1CE4E5B9ULL;
    return (unsigned long)(ct_mix64(z) & 0xFFFFFFFFu);
}

static void release(ct_atomic_file *a) {
    free(a->path);
    free(a->tmp);
    a->f = NULL;
    a->path = NULL;
    a->tmp = NULL;
}

ct_status ct_atomic_begin(ct_atomic_file *a, const char *path, char msg[CT_MSG_LEN]) {
    if (!a) {
        ct_set_msg(msg, "ct_atomic_begin: no file struct given");
        return CT_ERR_ARG;
    }
    memset(a, 0, sizeof *a);
    if (!path || !*path) {
        ct_set_msg(msg, "cannot write a file: the path is empty");
        return CT_ERR_ARG;
    }
    size_t plen = strlen(path);
    if (path[plen - 1] == '/') {
        ct_set_msg(msg, "cannot write %s: the path names a folder, not a file", path);
        return CT_ERR_IO;
    }
    struct stat st;
    int exists = stat(path, &st) == 0;
    if (exists && S_ISDIR(st.st_mode)) {
        ct_set_msg(msg, "cannot write %s: it is a folder, not a file", path);
        return CT_ERR_IO;
    }
    if (exists && !S_ISREG(st.st_mode)) {
        ct_set_msg(msg, "cannot write %s: it exists and is not a regular file (a device or pipe?)",
                   path);
        return CT_ERR_IO;
    }
    ct_status st_out = CT_ERR_ALLOC;
    int fd = -1;
    char *dir = NULL;
    a->path = ct_strdup(path);
    size_t cap = plen + 64;
    a->tmp = malloc(cap);
    if (!a->path || !a->tmp) {
        ct_set_msg(msg, "cannot write %s: out of memory", path);
        goto fail;
    }
    int err = 0;
    for (int attempt = 0; attempt < TMP_ATTEMPTS; attempt++) {
        snprintf(a->tmp, cap, "%s.tmp-%ld-%08lx", path, (long)getpid(), tmp_suffix(a, attempt));
        fd = open(a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) break;
        err = errno;
        if (err != EEXIST) break;
    }
    if (fd < 0) {
        st_out = CT_ERR_IO;
        dir = dir_of(path);
        struct stat ds;
        if (err == ENOENT && dir && (stat(dir, &ds) != 0 || !S_ISDIR(ds.st_mode)))
            ct_set_msg(msg, "cannot write %s: the folder %s does not exist", path, dir);
        else if (err == ENOTDIR && dir)
            ct_set_msg(msg, "cannot write %s: %s is not a folder", path, dir);
        else if (err == EEXIST)
            ct_set_msg(msg, "cannot write %s: no unused temporary name after %d attempts", path,
                       TMP_ATTEMPTS);
        else
            ct_set_msg(msg, "cannot write %s: %s", path, strerror(err));
        goto fail;
    }
    /* keep the permissions of the file being replaced (e.g. 0600) */
    if (exists) (void)fchmod(fd, st.st_mode & 07777);
    a->f = fdopen(fd, "wb");
    if (!a->f) {
        err = errno;
        close(fd);
        unlink(a->tmp);
        st_out = err == ENOMEM ? CT_ERR_ALLOC : CT_ERR_IO;
        ct_set_msg(msg, "cannot write %s: %s", path, strerror(err));
        goto fail;
    }
    free(dir);
    errno = 0; /* so that commit can tell a write error's cause from an older errno */
    return CT_OK;
fail:
    free(dir);
    release(a);
    return st_out;
}

/* fsync of the folder so that the rename itself is durable. Best effort: some file systems
 * refuse fsync on folders, and the new file is in place whether or not this succeeds. */
static void sync_dir(const char *path) {
    char *dir = dir_of(path);
    if (!dir) return;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(dir);
}

ct_status ct_atomic_commit(ct_atomic_file *a, char msg[CT_MSG_LEN]) {
    int saved = errno;
    if (!a || !a->f || !a->path || !a->tmp) {
        ct_set_msg(msg, "ct_atomic_commit: no file is open (begin failed or already committed)");
        ct_atomic_abort(a);
        return CT_ERR_ARG;
    }
    int err = 0;
    const char *what = NULL;
    if (ferror(a->f)) {
        err = saved ? saved : EIO;
        what = saved ? NULL : "a write failed";
    } else if (fflush(a->f) != 0) {
        err = errno;
    } else if (fsync(fileno(a->f)) != 0 && errno != EINVAL) {
        err = errno; /* EINVAL: the file system cannot sync; nothing to do about it */
    }
    if (fclose(a->f) != 0 && !err) err = errno;
    a->f = NULL;
    if (!err && rename(a->tmp, a->path) != 0) err = errno;
    if (err) {
        ct_set_msg(msg, "cannot write %s: %s", a->path, what ? what : strerror(err));
        unlink(a->tmp);
        release(a);
        return err == ENOMEM ? CT_ERR_ALLOC : CT_ERR_IO;
    }
    sync_dir(a->path);
    release(a);
    return CT_OK;
}

void ct_atomic_abort(ct_atomic_file *a) {
    if (!a) return;
    if (a->f) fclose(a->f);
    if (a->tmp) unlink(a->tmp);
    release(a);
}

ct_status ct_read_file(const char *path, char **data, size_t *len, size_t max_len,
                       char msg[CT_MSG_LEN]) {
    if (data) *data = NULL;
    if (len) *len = 0;
    if (!path || !*path || !data || !len) {
        ct_set_msg(msg, "ct_read_file: %s", !path || !*path ? "the path is empty" : "no output");
        return CT_ERR_ARG;
    }
    ct_status st = CT_ERR_IO;
    char *buf = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        ct_set_msg(msg, "cannot read %s: %s", path, strerror(errno));
        return CT_ERR_IO;
    }
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0) {
        ct_set_msg(msg, "cannot read %s: %s", path, strerror(errno));
        goto fail;
    }
    if (S_ISDIR(sb.st_mode)) {
        ct_set_msg(msg, "cannot read %s: it is a folder, not a file", path);
        goto fail;
    }
    if (max_len > SIZE_MAX / 2) max_len = SIZE_MAX / 2;
    if (S_ISREG(sb.st_mode) && sb.st_size > 0 && (uintmax_t)sb.st_size > (uintmax_t)max_len) {
        ct_set_msg(msg, "%s is %jd bytes, more than the limit of %zu bytes", path,
                   (intmax_t)sb.st_size, max_len);
        goto fail;
    }
    /* read up to max_len + 1 bytes, so that a file growing past the limit (or a pipe) is seen */
    size_t cap = S_ISREG(sb.st_mode) ? (size_t)sb.st_size + 2 : 4096;
    if (cap > max_len + 2) cap = max_len + 2;
    size_t n = 0;
    buf = malloc(cap);
    if (!buf) goto oom;
    for (;;) {
        if (n + 1 == cap) {
            if (cap == max_len + 2) break; /* holds max_len + 1 bytes: too large */
            size_t ncap = cap > (max_len + 2) / 2 ? max_len + 2 : cap * 2;
            char *nb = realloc(buf, ncap);
            if (!nb) goto oom;
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - 1 - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                ct_set_msg(msg, "cannot read %s: %s", path, strerror(errno));
                goto fail;
            }
            break;
        }
    }
    if (n > max_len) {
        ct_set_msg(msg, "%s is more than the limit of %zu bytes", path, max_len);
        goto fail;
    }
    buf[n] = '\0';
    fclose(f);
    *data = buf;
    *len = n;
    return CT_OK;
oom:
    st = CT_ERR_ALLOC;
    ct_set_msg(msg, "cannot read %s: out of memory", path);
fail:
    free(buf);
    fclose(f);
    return st;
}
