/* cltrain warm: compiles the kernels of a plan into the driver's cache; and the helper process
 * that `cltrain train` starts with it for a faster cold start.
 *
 * PoCL compiles a kernel on its first launch (0.05-0.4 s each) and keeps it in its disk cache;
 * within one process it compiles one kernel of a program at a time. A cold first training step
 * therefore waits for its 8-10 kernels one after the other. `cltrain train` on such a device
 * starts `cltrain warm` beside itself: before opening the device when PoCL's cache is empty (a
 * first run: both build the program at once, on two cores; ct_device_warm_early), else after
 * opening it when its program was not cached (ct_device_warm_wanted: the helper then finds the
 * program in the cache). When the model is ready, train hands the helper the step's plan
 * (on_plan) on its standard input, and the helper compiles the step's kernels from the last
 * while train compiles them from the first and finds the rest in the cache. The helper
 * computes nothing train uses; train waits for it before it exits. A warm start (everything
 * cached) starts no helper. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "cltrain_tools.h"

extern char **environ;

static void usage(FILE *f) {
    fputs("usage: cltrain [--device SEL] warm [--plan FILE]\n"
          "\n"
          "Compiles the kernels of a plan into the OpenCL driver's kernel cache, from the last\n"
          "line to the first: a line 'kernel dims l0 l1 l2' each (a kernel and its work-group\n"
          "shape), read from FILE or the standard input. Each kernel is launched once with\n"
          "every size 0, so it returns at once. cltrain train starts this by itself on PoCL\n"
          "with two or more cores (CLTRAIN_PREWARM=0 turns that off), handing it the kernels\n"
          "of its first step, so that a cold start compiles them on two cores.\n",
          f);
}

/* The whole of f (up to 64 KiB), or NULL. */
static char *read_all(FILE *f) {
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - 1 - n, f);
        if (n < cap - 1 || cap >= 65536) break;
        char *grown = realloc(buf, cap * 2);
        if (!grown) {
            free(buf);
            return NULL;
        }
        buf = grown;
        cap *= 2;
    }
    if (buf) buf[n] = '\0';
    return buf;
}

static int option(int argc, char **argv, int *i, void *opts) {
    return cli_opt(argc, argv, i, "--plan", (const char **)opts);
}

int cmd_warm(int argc, char **argv, const char *device) {
    const char *plan_path = NULL;
    int rc = cli_parse(argc, argv, "warm", usage, option, &plan_path);
    if (rc != CLI_RUN) return rc;
    FILE *f = stdin;
    if (plan_path && strcmp(plan_path, "-") && !(f = fopen(plan_path, "r"))) {
        cli_error("warm: cannot open %s: %s", plan_path, strerror(errno));
        return CLI_FAIL;
    }
    /* the helper's PoCL threads unpinned: pinned, they would share the first cores with the
     * pinned threads of the process it helps */
    setenv("POCL_AFFINITY", "0", 1);
    /* the device first: its program builds while the plan's writer gets its model ready */
    ct_device *dev = NULL;
    if (cli_open_device(device, &dev) != CLI_OK) {
        if (f != stdin) fclose(f);
        return CLI_FAIL;
    }
    char *plan = read_all(f);
    if (f != stdin) fclose(f);
    int launched = 0;
    rc = CLI_FAIL;
    char msg[CT_MSG_LEN];
    if (!plan)
        cli_error("warm: cannot read the plan from %s", plan_path ? plan_path : "stdin");
    else if (ct_device_warm_plan(dev, plan, &launched, msg) != CT_OK)
        cli_error("warm: %s", msg);
    else {
        printf("warm: %d kernels launched (compiled into the driver's cache where it keeps one)\n",
               launched);
        rc = CLI_OK;
    }
    free(plan);
    ct_device_destroy(dev);
    return rc;
}

void cli_warm_start(cli_warm *w, const char *device) {
    w->pid = -1;
    w->fd = -1;
    int fds[2];
    if (pipe(fds) != 0) return;
    /* the writing end stays with this process only */
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    /* its output: nowhere, or appended to $CLTRAIN_WARM_LOG (for the tests) */
    const char *log = getenv("CLTRAIN_WARM_LOG");
    const char *out = log && *log ? log : "/dev/null";
    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    char *args[6];
    int n = 0;
    args[n++] = "cltrain";
    if (device && *device) {
        args[n++] = "--device";
        args[n++] = (char *)device;
    }
    args[n++] = "warm";
    args[n] = NULL;
    pid_t pid;
    int e = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, args, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[0]);
    if (e != 0) {
        close(fds[1]);
        return;
    }
    w->pid = pid;
    w->fd = fds[1];
}

void cli_warm_plan(cli_warm *w, const char *plan) {
    if (w->fd < 0) return;
    /* a helper that ended early must not end this process with SIGPIPE */
    struct sigaction ign, old;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ign, &old);
    size_t len = strlen(plan), done = 0;
    while (done < len) {
        ssize_t k = write(w->fd, plan + done, len - done);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        done += (size_t)k;
    }
    sigaction(SIGPIPE, &old, NULL);
    close(w->fd);
    w->fd = -1;
}

void cli_warm_end(cli_warm *w) {
    if (w->fd >= 0) close(w->fd); /* no plan: the helper reads an empty one and ends */
    w->fd = -1;
    if (w->pid > 0) {
        int status;
        while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR) {
        }
    }
    w->pid = -1;
}
