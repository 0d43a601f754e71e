/* cltrain under mpirun: the ranks of the job, MPI's collectives as the library's ct_comm, and the
 * end of a process (finalize, or abort the whole job after a failure). Without MPI at build time
 * the command refuses to run as several ranks rather than train N independent copies. */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#ifdef CLTRAIN_HAVE_MPI
#include <mpi.h>
#endif

/* The process's place in the job, read from the launcher's environment before MPI starts. One
 * per process, as MPI's own state is. */
static struct {
    int rank, size, local_rank;
    int launched;              /* a launcher's environment was found (mpirun -np 1 too) */
    int started;               /* MPI_Init was called */
    char deferred[CT_MSG_LEN]; /* a rank other than 0 keeps its error for the end */
} job = {0, 1, 0, 0, 0, {0}};

static int env_int(const char *const *names, int fallback) {
    for (int i = 0; names[i]; i++) {
        const char *v = getenv(names[i]);
        if (v && *v) return atoi(v);
    }
    return fallback;
}

void cli_mpi_detect(void) {
    /* Open MPI, then PMIx and MPICH's Hydra, then Slurm's srun */
    static const char *const size_vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_NTASKS",
                                            NULL};
    static const char *const rank_vars[] = {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK",
                                            "SLURM_PROCID", NULL};
    static const char *const local_vars[] = {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID",
                                             "SLURM_LOCALID", NULL};
    job.size = env_int(size_vars, 1);
    job.launched = env_int(size_vars, 0) > 0;
    if (job.size < 1) job.size = 1;
    job.rank = env_int(rank_vars, 0);
    if (job.rank < 0 || job.rank >= job.size) job.rank = 0;
    job.local_rank = env_int(local_vars, job.rank);
    if (job.local_rank < 0) job.local_rank = 0;
}

int cli_mpi_rank(void) { return job.rank; }
int cli_mpi_size(void) { return job.size; }
int cli_mpi_local_rank(void) { return job.local_rank; }

int cli_mpi_launched(void) { return job.launched; }

int cli_mpi_launcher_tty(int fd_no) {
#ifdef __linux__
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/fd/%d", (long)getppid(), fd_no);
    struct stat st; /* a character device at all, before opening it (never a pipe or a file) */
    if (stat(path, &st) != 0 || !S_ISCHR(st.st_mode)) return 0;
    int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) return 0;
    int tty = isatty(fd);
    close(fd);
    return tty;
#else
    (void)fd_no;
    return 0;
#endif
}

int cli_mpi_defer(const char *line) {
    if (job.size <= 1 || job.rank == 0) return 0;
    snprintf(job.deferred, sizeof job.deferred, "%s", line);
    return 1;
}

#ifdef CLTRAIN_HAVE_MPI

/* MPI counts are ints: large buffers go in pieces. */
#define PIECE ((size_t)1 << 28)

/* In-place sum over the ranks of n values of `size` bytes each. */
static int sum_pieces(void *buf, size_t n, size_t size, MPI_Datatype type) {
    for (size_t i = 0; i < n; i += PIECE) {
        int cnt = (int)(n - i < PIECE ? n - i : PIECE);
        if (MPI_Allreduce(MPI_IN_PLACE, (char *)buf + i * size, cnt, type, MPI_SUM,
                          MPI_COMM_WORLD) != MPI_SUCCESS)
            return 1;
    }
    return 0;
}

static int sum_f32(float *buf, size_t n, void *ctx) {
    (void)ctx;
    return sum_pieces(buf, n, sizeof *buf, MPI_FLOAT);
}

static int sum_f64(double *buf, size_t n, void *ctx) {
    (void)ctx;
    return sum_pieces(buf, n, sizeof *buf, MPI_DOUBLE);
}

static int bcast(void *buf, size_t bytes, int root, void *ctx) {
    (void)ctx;
    for (size_t i = 0; i < bytes; i += PIECE) {
        int cnt = (int)(bytes - i < PIECE ? bytes - i : PIECE);
        if (MPI_Bcast((char *)buf + i, cnt, MPI_BYTE, root, MPI_COMM_WORLD) != MPI_SUCCESS)
            return 1;
    }
    return 0;
}

int cli_mpi_start(ct_comm *comm) {
    memset(comm, 0, sizeof *comm);
    if (MPI_Init(NULL, NULL) != MPI_SUCCESS) {
        cli_error("MPI_Init failed (rank %d of %d)", job.rank, job.size);
        return CLI_FAIL;
    }
    job.started = 1;
    int r = 0, n = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    job.rank = r;
    job.size = n;
    comm->rank = r;
    comm->size = n;
    comm->allreduce_sum_f32 = sum_f32;
    comm->allreduce_sum_f64 = sum_f64;
    comm->broadcast = bcast;
    return CLI_OK;
}

int cli_mpi_gather(const char *mine, size_t each, char *all) {
    if (!job.started) {
        snprintf(all, each, "%s", mine);
        return CLI_OK;
    }
    char *line = calloc(1, each);
    if (!line) return CLI_FAIL;
    snprintf(line, each, "%s", mine);
    int rc = MPI_Gather(line, (int)each, MPI_CHAR, all, (int)each, MPI_CHAR, 0, MPI_COMM_WORLD);
    free(line);
    return rc == MPI_SUCCESS ? CLI_OK : CLI_FAIL;
}

int cli_mpi_finish(int rc) {
    if (!job.started) return rc;
    /* success, or a run stopped by SIGINT / SIGTERM (128 + the signal), at the same step on every
     * rank (the ranks agree on the stop), its checkpoint written by rank 0: an orderly end */
    if (rc == CLI_OK || rc == 128 + SIGINT || rc == 128 + SIGTERM) {
        MPI_Finalize();
        return rc;
    }
    /* A failure on any rank ends the job: the others may be waiting in a collective, and a
     * finalize would wait with them. Rank 0 has printed its error; another rank waits a moment
     * first, so that when rank 0 fails too (the same error everywhere) one line is printed. */
    if (job.rank != 0) {
        sleep(2);
        fprintf(stderr, "cltrain: error: rank %d of %d: %s\n", job.rank, job.size,
                job.deferred[0] ? job.deferred : "failed");
    }
    fflush(stdout);
    fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, rc);
    return rc;
}

#else

int cli_mpi_start(ct_comm *comm) {
    memset(comm, 0, sizeof *comm);
    if (job.rank == 0)
        fprintf(stderr,
                "cltrain: error: started as %d processes (mpirun), but this cltrain was built "
                "without MPI, so they would train %d separate models into the same files; "
                "install MPI (Debian: libopenmpi-dev openmpi-bin) and rebuild, or run one "
                "process\n",
                job.size, job.size);
    return CLI_FAIL;
}

int cli_mpi_gather(const char *mine, size_t each, char *all) {
    snprintf(all, each, "%s", mine);
    return CLI_OK;
}

int cli_mpi_finish(int rc) { return rc; }

#endif
