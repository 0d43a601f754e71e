/* The host CPU's ceilings measured with native code (see cltrain_tools.h): the FMA peak with the
 * widest FMA vectors the CPU has (AVX-512F, else AVX+FMA, else AVX or SSE multiply-add on x86;
 * NEON on 64-bit ARM; the compiler's 4-float vectors elsewhere), one thread per compute unit,
 * independent chains enough to cover the FMA latency; the copy bandwidth with the same vectors
 * and threads, in cache and in DRAM. Each x86 variant is compiled for its instruction set with a
 * target attribute and chosen at run time with __builtin_cpu_supports, so nothing depends on the
 * build machine. A CPU device's figures (PoCL, rusticl's llvmpipe, oclgrind run on this host)
 * are measured against these; a GPU keeps the kernels of bench.c. */
#define _GNU_SOURCE /* sysconf's cache sizes */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"
#include "strutil.h"

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define CT_NATIVE_X86 1
#include <immintrin.h>
#elif defined(__aarch64__)
#define CT_NATIVE_NEON 1
#include <arm_neon.h>
#endif

/* The chains of one measurement, named x0 .. x15 (a macro, so each is its own register). */
#define CT_REP12(OP) OP(0) OP(1) OP(2) OP(3) OP(4) OP(5) OP(6) OP(7) OP(8) OP(9) OP(10) OP(11)
#define CT_REP16(OP) CT_REP12(OP) OP(12) OP(13) OP(14) OP(15)

/* One variant: its name, floats per vector, chains, the FMA loop (iters rounds of `chains`
 * x = x * m + m on vectors; returns the sum of the lanes so nothing is optimised away) and the
 * copy (n floats, n a multiple of 64, 64-byte aligned). */
typedef struct native_isa {
    const char *name, *copy_name;
    int width, chains;
    float (*fma)(long iters, float a, float b);
    void (*copy)(float *dst, const float *src, size_t n);
} native_isa;

#ifdef CT_NATIVE_X86
__attribute__((target("avx512f"))) static float fma_avx512(long iters, float a, float b) {
    __m512 m = _mm512_set1_ps(b);
#define D(j) __m512 x##j = _mm512_set1_ps(a + (float)(j));
    CT_REP16(D)
#undef D
    for (long i = 0; i < iters; i++) {
#define F(j) x##j = _mm512_fmadd_ps(x##j, m, m);
        CT_REP16(F)
#undef F
    }
    __m512 s = _mm512_setzero_ps();
#define S(j) s = _mm512_add_ps(s, x##j);
    CT_REP16(S)
#undef S
    float v[16], t = 0;
    _mm512_storeu_ps(v, s);
    for (int j = 0; j < 16; j++)
        t += v[j];
    return t;
}

__attribute__((target("avx512f"))) static void copy_avx512(float *dst, const float *src, size_t n) {
    for (size_t i = 0; i < n; i += 64) {
        __m512 a = _mm512_load_ps(src + i), b = _mm512_load_ps(src + i + 16),
               c = _mm512_load_ps(src + i + 32), d = _mm512_load_ps(src + i + 48);
        _mm512_store_ps(dst + i, a);
        _mm512_store_ps(dst + i + 16, b);
        _mm512_store_ps(dst + i + 32, c);
        _mm512_store_ps(dst + i + 48, d);
    }
}

/* 12 chains in 12 of the 16 ymm registers: two FMA ports of latency 4 or 5 keep 8 to 10 busy */
__attribute__((target("avx,fma"))) static float fma_avx_fma(long iters, float a, float b) {
    __m256 m = _mm256_set1_ps(b);
#define D(j) __m256 x##j = _mm256_set1_ps(a + (float)(j));
    CT_REP12(D)
#undef D
    for (long i = 0; i < iters; i++) {
#define F(j) x##j = _mm256_fmadd_ps(x##j, m, m);
        CT_REP12(F)
#undef F
    }
    __m256 s = _mm256_setzero_ps();
#define S(j) s = _mm256_add_ps(s, x##j);
    CT_REP12(S)
#undef S
    float v[8], t = 0;
    _mm256_storeu_ps(v, s);
    for (int j = 0; j < 8; j++)
        t += v[j];
    return t;
}

/* AVX without FMA: a multiply and an add, 2 flops as one fma counts */
__attribute__((target("avx"))) static float fma_avx(long iters, float a, float b) {
    __m256 m = _mm256_set1_ps(b);
#define D(j) __m256 x##j = _mm256_set1_ps(a + (float)(j));
    CT_REP12(D)
#undef D
    for (long i = 0; i < iters; i++) {
#define F(j) x##j = _mm256_add_ps(_mm256_mul_ps(x##j, m), m);
        CT_REP12(F)
#undef F
    }
    __m256 s = _mm256_setzero_ps();
#define S(j) s = _mm256_add_ps(s, x##j);
    CT_REP12(S)
#undef S
    float v[8], t = 0;
    _mm256_storeu_ps(v, s);
    for (int j = 0; j < 8; j++)
        t += v[j];
    return t;
}

__attribute__((target("avx"))) static void copy_avx(float *dst, const float *src, size_t n) {
    for (size_t i = 0; i < n; i += 32) {
        __m256 a = _mm256_load_ps(src + i), b = _mm256_load_ps(src + i + 8),
               c = _mm256_load_ps(src + i + 16), d = _mm256_load_ps(src + i + 24);
        _mm256_store_ps(dst + i, a);
        _mm256_store_ps(dst + i + 8, b);
        _mm256_store_ps(dst + i + 16, c);
        _mm256_store_ps(dst + i + 24, d);
    }
}

__attribute__((target("sse2"))) static float fma_sse(long iters, float a, float b) {
    __m128 m = _mm_set1_ps(b);
#define D(j) __m128 x##j = _mm_set1_ps(a + (float)(j));
    CT_REP12(D)
#undef D
    for (long i = 0; i < iters; i++) {
#define F(j) x##j = _mm_add_ps(_mm_mul_ps(x##j, m), m);
        CT_REP12(F)
#undef F
    }
    __m128 s = _mm_setzero_ps();
#define S(j) s = _mm_add_ps(s, x##j);
    CT_REP12(S)
#undef S
    float v[4], t = 0;
    _mm_storeu_ps(v, s);
    for (int j = 0; j < 4; j++)
        t += v[j];
    return t;
}

__attribute__((target("sse2"))) static void copy_sse(float *dst, const float *src, size_t n) {
    for (size_t i = 0; i < n; i += 16) {
        __m128 a = _mm_load_ps(src + i), b = _mm_load_ps(src + i + 4), c = _mm_load_ps(src + i + 8),
               d = _mm_load_ps(src + i + 12);
        _mm_store_ps(dst + i, a);
        _mm_store_ps(dst + i + 4, b);
        _mm_store_ps(dst + i + 8, c);
        _mm_store_ps(dst + i + 12, d);
    }
}
#elif defined(CT_NATIVE_NEON)
static float fma_neon(long iters, float a, float b) {
    float32x4_t m = vdupq_n_f32(b);
#define D(j) float32x4_t x##j = vdupq_n_f32(a + (float)(j));
    CT_REP16(D)
#undef D
    for (long i = 0; i < iters; i++) {
#define F(j) x##j = vfmaq_f32(m, x##j, m);
        CT_REP16(F)
#undef F
    }
    float32x4_t s = vdupq_n_f32(0);
#define S(j) s = vaddq_f32(s, x##j);
    CT_REP16(S)
#undef S
    return vaddvq_f32(s);
}

static void copy_neon(float *dst, const float *src, size_t n) {
    for (size_t i = 0; i < n; i += 16) {
        float32x4_t a = vld1q_f32(src + i), b = vld1q_f32(src + i + 4), c = vld1q_f32(src + i + 8),
                    d = vld1q_f32(src + i + 12);
        vst1q_f32(dst + i, a);
        vst1q_f32(dst + i + 4, b);
        vst1q_f32(dst + i + 8, c);
        vst1q_f32(dst + i + 12, d);
    }
}
#else
/* elsewhere: the compiler's vectors of 4 floats, a multiply and an add (no contraction in C11) */
typedef float v4f __attribute__((vector_size(16)));
static float fma_generic(long iters, float a, float b) {
    v4f m = {b, b, b, b};
#define D(j) v4f x##j = m * 0 + (a + (float)(j));
    CT_REP12(D)
#undef D
    for (long i = 0; i < iters; i++) {
#define F(j) x##j = x##j * m + m;
        CT_REP12(F)
#undef F
    }
    v4f s = m * 0;
#define S(j) s += x##j;
    CT_REP12(S)
#undef S
    return s[0] + s[1] + s[2] + s[3];
}

static void copy_generic(float *dst, const float *src, size_t n) {
    for (size_t i = 0; i < n; i += 16) {
        v4f a, b, c, d;
        memcpy(&a, src + i, 16);
        memcpy(&b, src + i + 4, 16);
        memcpy(&c, src + i + 8, 16);
        memcpy(&d, src + i + 12, 16);
        memcpy(dst + i, &a, 16);
        memcpy(dst + i + 4, &b, 16);
        memcpy(dst + i + 8, &c, 16);
        memcpy(dst + i + 12, &d, 16);
    }
}
#endif

/* The widest variant this CPU runs. */
static native_isa native_pick(void) {
#ifdef CT_NATIVE_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        return (native_isa){"AVX-512F", "AVX-512 loads and stores", 16, 16, fma_avx512,
                            copy_avx512};
    const char *avx_fma = __builtin_cpu_supports("avx2") ? "AVX2+FMA" : "AVX+FMA";
    if (__builtin_cpu_supports("avx") && __builtin_cpu_supports("fma"))
        return (native_isa){avx_fma, "AVX loads and stores", 8, 12, fma_avx_fma, copy_avx};
    if (__builtin_cpu_supports("avx"))
        return (native_isa){"AVX multiply-add", "AVX loads and stores", 8, 12, fma_avx, copy_avx};
    return (native_isa){"SSE multiply-add", "SSE loads and stores", 4, 12, fma_sse, copy_sse};
#elif defined(CT_NATIVE_NEON)
    return (native_isa){"NEON", "NEON loads and stores", 4, 16, fma_neon, copy_neon};
#else
    return (native_isa){
        "4-float vectors, multiply-add", "4-float vector copies", 4, 12, fma_generic, copy_generic};
#endif
}

/* ---- cache sizes ------------------------------------------------------------------------- */

/* Bytes of cpu0's cache of a level (its data or unified cache) from sysfs, else sysconf; 0 when
 * neither says. */
static size_t cache_bytes(int level) {
    for (int idx = 0; idx < 8; idx++) {
        char path[96], type[32] = "";
        unsigned lv = 0;
        size_t kb = 0;
        char unit = 0;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", idx);
        FILE *f = fopen(path, "r");
        if (!f) break;
        int ok = fscanf(f, "%u", &lv) == 1;
        fclose(f);
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", idx);
        if (ok && (f = fopen(path, "r"))) {
            ok = fscanf(f, "%31s", type) == 1;
            fclose(f);
        }
        if (!ok || (int)lv != level || !strcmp(type, "Instruction")) continue;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", idx);
        if ((f = fopen(path, "r"))) {
            ok = fscanf(f, "%zu%c", &kb, &unit) >= 1;
            fclose(f);
            if (ok && kb > 0) return kb * (unit == 'M' ? 1024 * 1024 : unit == 'K' ? 1024 : 1);
        }
    }
    long v = -1;
#if defined(_SC_LEVEL1_DCACHE_SIZE) && defined(_SC_LEVEL2_CACHE_SIZE) &&                           \
    defined(_SC_LEVEL3_CACHE_SIZE)
    v = sysconf(level == 1   ? _SC_LEVEL1_DCACHE_SIZE
                : level == 2 ? _SC_LEVEL2_CACHE_SIZE
                             : _SC_LEVEL3_CACHE_SIZE);
#endif
    return v > 0 ? (size_t)v : 0;
}

void ct_bench_cache_sizes(size_t *l1, size_t *l2, size_t *llc) {
    size_t a = cache_bytes(1), b = cache_bytes(2), c = cache_bytes(3);
    *l1 = a ? a : 32 << 10;
    *l2 = b ? b : 256 << 10;
    *llc = c ? c : b ? b : (size_t)32 << 20;
}

/* An optimizer's pattern in place: dst's three thirds p, m, v updated from the first third of
 * src, g (4 arrays read, 3 written back: 7 counted accesses an element, over n / 3 elements).
 * Its stores go to lines just read (no read for ownership, where a copy's store needs one) and
 * it keeps 4 streams in flight: measured here, with DRAM, 25-29 GB/s where the copies gave
 * 11-20, and adam_step on d's 55M parameters 31-33 GB/s. An in-place kernel moves more counted
 * bytes a second than any copy, so the ceiling takes this pattern too. */
static void update_inplace(float *restrict p, float *restrict m, float *restrict v,
                           const float *restrict g, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float gi = g[i];
        p[i] += gi;
        m[i] += gi;
        v[i] += gi * 0.5f;
    }
}

/* ---- the threads -------------------------------------------------------------------------- */

enum { JOB_FMA, JOB_COPY, JOB_MEMCPY, JOB_UPDATE, JOB_FILL, JOB_QUIT };

typedef struct native_pool {
    pthread_barrier_t start, end;
    pthread_mutex_t lock;
    pthread_cond_t go_cond;
    int go; /* 0 until every thread started, then 1 (run) or -1 (a start failed: leave) */
    int n;
    int job;
    native_isa isa;
    long iters;    /* JOB_FMA: rounds */
    int calls;     /* JOB_COPY, JOB_MEMCPY, JOB_UPDATE: copies per timing */
    size_t floats; /* per thread */
    float **src, **dst;
    float *sink; /* one result per thread */
} native_pool;

typedef struct native_arg {
    native_pool *p;
    int id;
} native_arg;

static void native_job(native_pool *p, int id) {
    switch (p->job) {
    case JOB_FMA: p->sink[id] = p->isa.fma(p->iters, 0.5f + (float)id, 0.999f); break;
    case JOB_COPY:
        for (int c = 0; c < p->calls; c++)
            p->isa.copy(p->dst[id], p->src[id], p->floats);
        break;
    case JOB_MEMCPY:
        for (int c = 0; c < p->calls; c++)
            memcpy(p->dst[id], p->src[id], p->floats * sizeof(float));
        break;
    case JOB_UPDATE: {
        size_t third = p->floats / 3;
        float *d = p->dst[id];
        for (int c = 0; c < p->calls; c++)
            update_inplace(d, d + third, d + 2 * third, p->src[id], third);
        break;
    }
    case JOB_FILL: /* each thread touches its arrays first, so their pages are near it */
        for (size_t i = 0; i < p->floats; i++) {
            p->src[id][i] = (float)((i + (size_t)id * 7) % 1009) * 0.5f;
            p->dst[id][i] = -1.0f;
        }
        break;
    }
}

static void *native_worker(void *arg) {
    native_arg *a = arg;
    native_pool *p = a->p;
    pthread_mutex_lock(&p->lock);
    while (!p->go)
        pthread_cond_wait(&p->go_cond, &p->lock);
    int go = p->go;
    pthread_mutex_unlock(&p->lock);
    while (go > 0) {
        pthread_barrier_wait(&p->start);
        if (p->job == JOB_QUIT) break;
        native_job(p, a->id);
        pthread_barrier_wait(&p->end);
    }
    return NULL;
}

/* Runs the pool's job on every thread at once: wall seconds from all started to all done. */
static double native_run(native_pool *p, int job) {
    p->job = job;
    double t0 = ct_bench_now();
    pthread_barrier_wait(&p->start);
    pthread_barrier_wait(&p->end);
    return ct_bench_now() - t0;
}

/* Starts the pool's p->n threads (its fields set): CT_OK with *started == p->n, or an error
 * after which native_stop ends the ones that started. */
static ct_status native_start(native_pool *p, pthread_t *tid, native_arg *args, int *started,
                              int *inited, char msg[CT_MSG_LEN]) {
    *started = 0;
    *inited = 0;
    if (pthread_mutex_init(&p->lock, NULL)) goto fail;
    if (pthread_cond_init(&p->go_cond, NULL)) goto fail_mutex;
    if (pthread_barrier_init(&p->start, NULL, (unsigned)p->n + 1)) goto fail_cond;
    if (pthread_barrier_init(&p->end, NULL, (unsigned)p->n + 1)) goto fail_start;
    *inited = 1;
    for (int i = 0; i < p->n; i++) {
        args[i] = (native_arg){p, i};
        if (pthread_create(&tid[i], NULL, native_worker, &args[i]))
            return ct_fail_msg(msg, CT_ERR_ALLOC,
                               "native ceilings: could not start thread %d of %d", i + 1, p->n);
        ++*started;
    }
    pthread_mutex_lock(&p->lock);
    p->go = 1;
    pthread_cond_broadcast(&p->go_cond);
    pthread_mutex_unlock(&p->lock);
    return CT_OK;
fail_start:
    pthread_barrier_destroy(&p->start);
fail_cond:
    pthread_cond_destroy(&p->go_cond);
fail_mutex:
    pthread_mutex_destroy(&p->lock);
fail:
    return ct_fail_msg(msg, CT_ERR_ALLOC, "native ceilings: could not set up the threads");
}

/* Ends the threads that started and frees what native_start set up. */
static void native_stop(native_pool *p, pthread_t *tid, int started, int inited) {
    if (!inited) return;
    pthread_mutex_lock(&p->lock);
    int running = p->go > 0;
    if (!running) p->go = -1;
    pthread_cond_broadcast(&p->go_cond);
    pthread_mutex_unlock(&p->lock);
    if (running) {
        p->job = JOB_QUIT;
        pthread_barrier_wait(&p->start);
    }
    for (int i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
    pthread_barrier_destroy(&p->start);
    pthread_barrier_destroy(&p->end);
    pthread_cond_destroy(&p->go_cond);
    pthread_mutex_destroy(&p->lock);
}

/* Timings a measurement takes, short ones; the best counts (the ceiling is what the machine can
 * do, and on a shared machine the slower timings are other work taking turns on the cores). */
#define CT_NATIVE_PEAK_REPEATS 21
#define CT_NATIVE_COPY_REPEATS 11
/* seconds one timing aims at */
#define CT_NATIVE_TARGET 0.01

ct_status ct_bench_native_peak(int threads, ct_bench_ceiling *out, char msg[CT_MSG_LEN]) {
    native_pool p;
    memset(&p, 0, sizeof p);
    p.n = threads > 0 ? threads : 1;
    p.isa = native_pick();
    pthread_t *tid = calloc((size_t)p.n, sizeof *tid);
    native_arg *args = calloc((size_t)p.n, sizeof *args);
    p.sink = calloc((size_t)p.n, sizeof *p.sink);
    int started = 0, inited = 0;
    ct_status st =
        tid && args && p.sink ? CT_OK : ct_fail_msg(msg, CT_ERR_ALLOC, "out of host memory");
    if (st == CT_OK) st = native_start(&p, tid, args, &started, &inited, msg);
    if (st == CT_OK) {
        /* rounds for about CT_NATIVE_TARGET seconds a timing */
        p.iters = 1 << 12;
        double t = native_run(&p, JOB_FMA);
        while (t < 0.004 && p.iters < (1L << 34)) {
            p.iters *= 4;
            t = native_run(&p, JOB_FMA);
        }
        p.iters = (long)fmax(1 << 12, (double)p.iters * CT_NATIVE_TARGET / t);
        double best = INFINITY;
        for (int r = 0; r < CT_NATIVE_PEAK_REPEATS; r++)
            best = fmin(best, native_run(&p, JOB_FMA));
        for (int i = 0; i < p.n; i++)
            if (!isfinite(p.sink[i]))
                st = ct_fail_msg(msg, CT_ERR_NUMERIC, "native FMA peak: thread %d gave %g", i,
                                 (double)p.sink[i]);
        out->fma_gflops = 2.0 * p.isa.chains * p.isa.width * (double)p.iters * p.n / best / 1e9;
        out->vector_width = p.isa.width;
        out->threads = p.n;
        snprintf(out->fma_method, sizeof out->fma_method,
                 "native %s, %d thread%s x %d chains of %d floats, best of %d", p.isa.name, p.n,
                 p.n == 1 ? "" : "s", p.isa.chains, p.isa.width, CT_NATIVE_PEAK_REPEATS);
    }
    native_stop(&p, tid, started, inited);
    free(tid);
    free(args);
    free(p.sink);
    return st;
}

/* An array of the native copy: 64-byte aligned; from 2 MiB on, on 2 MiB boundaries and in huge
 * pages where the kernel gives them (MADV_HUGEPAGE: with 4 KiB pages the DRAM figures came out
 * below what an OpenCL buffer of the driver reaches). */
static float *native_array(size_t bytes) {
    const size_t huge = (size_t)2 << 20;
    if (bytes < huge) return aligned_alloc(64, (bytes + 63) / 64 * 64);
    float *a = aligned_alloc(huge, (bytes + huge - 1) / huge * huge);
#ifdef MADV_HUGEPAGE
    if (a) (void)madvise(a, (bytes + huge - 1) / huge * huge, MADV_HUGEPAGE);
#endif
    return a;
}

ct_status ct_bench_native_copy(int threads, size_t copy_bytes, ct_bench_ceiling *out,
                               char msg[CT_MSG_LEN]) {
    native_pool p;
    memset(&p, 0, sizeof p);
    p.n = threads > 0 ? threads : 1;
    p.isa = native_pick();
    /* each thread copies its share, a multiple of 64 floats (256 bytes, 64-byte aligned) */
    p.floats = copy_bytes / sizeof(float) / (size_t)p.n / 64 * 64;
    if (p.floats < 64) p.floats = 64;
    pthread_t *tid = calloc((size_t)p.n, sizeof *tid);
    native_arg *args = calloc((size_t)p.n, sizeof *args);
    p.src = calloc((size_t)p.n, sizeof *p.src);
    p.dst = calloc((size_t)p.n, sizeof *p.dst);
    int started = 0, inited = 0;
    ct_status st = tid && args && p.src && p.dst ? CT_OK : CT_ERR_ALLOC;
    for (int i = 0; st == CT_OK && i < p.n; i++) {
        p.src[i] = native_array(p.floats * sizeof(float));
        p.dst[i] = native_array(p.floats * sizeof(float));
        if (!p.src[i] || !p.dst[i]) st = CT_ERR_ALLOC;
    }
    if (st != CT_OK)
        st = ct_fail_msg(msg, CT_ERR_ALLOC, "native copy: out of host memory (2 x %zu bytes)",
                         p.floats * sizeof(float) * (size_t)p.n);
    if (st == CT_OK) st = native_start(&p, tid, args, &started, &inited, msg);
    if (st == CT_OK) {
        native_run(&p, JOB_FILL);
        double bytes = 2.0 * (double)(p.floats * sizeof(float)) * p.n, best_gbps = 0;
        /* DRAM's bandwidth on a shared machine drifts by +-15% from one second to the next
         * (24-43 GB/s here): there the in-place update, the fastest in DRAM, takes the best
         * timing of a window of about 1.5 s */
        const int dram = bytes >= (double)((size_t)64 << 20);
        const char *best_name = "";
        int best_repeats = CT_NATIVE_COPY_REPEATS;
        /* the in-place update first: the copies then leave dst equal to src, checked below */
        const int jobs[3] = {JOB_UPDATE, JOB_COPY, JOB_MEMCPY};
        const char *names[3] = {"in-place update (4 arrays read, 3 written)", p.isa.copy_name,
                                "memcpy"};
        for (int j = 0; j < 3; j++) {
            /* the update: 7 accesses over a third of the floats of one array, per thread */
            const double moved =
                jobs[j] == JOB_UPDATE ? 7.0 * (double)(p.floats / 3 * sizeof(float)) * p.n : bytes;
            /* copies for about CT_NATIVE_TARGET seconds a timing (one warms the caches) */
            p.calls = 1;
            double t = native_run(&p, jobs[j]);
            t = native_run(&p, jobs[j]);
            p.calls = (int)fmax(1, fmin(1e6, CT_NATIVE_TARGET / fmax(t, 1e-7)));
            double best = INFINITY;
            const int repeats = dram && jobs[j] == JOB_UPDATE ? 15 * CT_NATIVE_COPY_REPEATS
                                                              : CT_NATIVE_COPY_REPEATS;
            for (int r = 0; r < repeats; r++)
                best = fmin(best, native_run(&p, jobs[j]) / p.calls);
            if (moved / best / 1e9 > best_gbps) {
                best_gbps = moved / best / 1e9;
                best_name = names[j];
                best_repeats = repeats;
            }
        }
        for (int i = 0; i < p.n && st == CT_OK; i++)
            if (memcmp(p.src[i], p.dst[i], p.floats * sizeof(float)))
                st = ct_fail_msg(msg, CT_ERR_NUMERIC,
                                 "native copy: thread %d's copy differs from its source", i);
        out->copy_gbps = best_gbps;
        out->copy_bytes = (double)(p.floats * sizeof(float)) * p.n;
        out->vector_width = p.isa.width;
        out->threads = p.n;
        size_t kib = p.floats * sizeof(float) >> 10;
        snprintf(out->copy_method, sizeof out->copy_method,
                 "native %s, %d thread%s x 2 arrays of %zu %s, best of %d", best_name, p.n,
                 p.n == 1 ? "" : "s", kib >= 1024 ? kib >> 10 : kib, kib >= 1024 ? "MiB" : "KiB",
                 best_repeats);
    }
    native_stop(&p, tid, started, inited);
    for (int i = 0; i < p.n && p.src && p.dst; i++) {
        free(p.src[i]);
        free(p.dst[i]);
    }
    free(tid);
    free(args);
    free(p.src);
    free(p.dst);
    return st;
}
