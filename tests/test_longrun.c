/* A long run of small steps does not grow: 10^5 training steps of a tiny network; the host
 * memory (VmRSS, and the bytes malloc has handed out) and the device buffers created compared
 * between step 10^4 and step 10^5. CTest runs it with MALLOC_ARENA_MAX=1: with glibc's default
 * per-thread arenas, the driver's worker threads make RSS drift by fragmentation (seen: 0.1 to
 * 17 MB over the run with the bytes in use flat), which would hide a real leak or fake one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device_util.h"
#include "model.h"
#include "util.h"

#include <malloc.h>

#if defined(__SANITIZE_ADDRESS__)
/* from the sanitizer runtime's allocator interface (gcc does not ship the header) */
size_t __sanitizer_get_current_allocated_bytes(void);
#define UNDER_ASAN 1
#else
#define UNDER_ASAN 0
#endif

/* Bytes the allocator has handed out and not got back: malloc's count, or AddressSanitizer's
 * (whose quarantine also holds freed memory, so its RSS grows by design). */
static size_t heap_in_use(void) {
#if UNDER_ASAN
    return __sanitizer_get_current_allocated_bytes();
#else
    return mallinfo2().uordblks;
#endif
}

/* Resident memory of this process in KiB, from /proc/self/status (-1 when unknown). */
static long rss_kib(void) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long v = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6)) v = strtol(line + 6, NULL, 10);
    fclose(f);
    return v;
}

int main(void) {
    ct_device *dev = test_device();
    char msg[CT_MSG_LEN];
    ct_arch a;
    memset(&a, 0, sizeof a);
    a.n_layers = 2;
    a.sizes[0] = 2;
    a.sizes[1] = 8;
    a.sizes[2] = 1;
    a.act[0] = CT_ACT_TANH;
    a.dropout[0] = 0.1f;
    a.loss = CT_LOSS_SIGMOID_BCE;
    ct_optim_params o = ct_optim_defaults(CT_OPT_ADAM);
    o.clip_norm = 1.0f;
    ct_net *net = NULL;
    ct_status st = ct_net_create(&net, dev, &a, 4, &o, msg);
    EXPECT(st == CT_OK, "ct_net_create: %s", msg);
    if (st) return test_summary("test_longrun");
    float X[8], p[64];
    int32_t L[4];
    ct_dataset d = test_xor_dataset(X, L);
    ct_init init = {CT_INIT_AUTO, 0, 0};
    ct_arch_init_params(&a, &init, 0, 1, p);
    st = ct_net_set_params(net, p) || ct_net_upload(net, CT_SLOT_TRAIN, &d);
    EXPECT(st == CT_OK, "setup: %s", ct_net_error(net));
    const long steps = 100000, mark = 10000;
    long rss_mark = 0, rss_end = 0;
    size_t heap_mark = 0;
    unsigned long long buf_mark = 0;
    float losses[4];
    for (long t = 1; t <= steps && st == CT_OK; t++) {
        st = ct_net_train_step(net, CT_SLOT_TRAIN, 0, 4, 1, (uint64_t)(t / 1000), t, 0.01f, 0.001f,
                               (int)(t % 4));
        if (t % 1000 == 0 && st == CT_OK)
            st = ct_net_read_metrics(net, losses, 4, NULL, NULL); /* a log interval */
        if (t % 10000 == 0) {
            printf("step %ld: VmRSS %ld KiB, heap in use %zu KiB\n", t, rss_kib(),
                   heap_in_use() / 1024);
        }
        if (t == mark) {
            heap_mark = heap_in_use();
            rss_mark = rss_kib();
            buf_mark = dev->buffers_created;
        }
    }
    EXPECT(st == CT_OK, "the run failed: %s", ct_net_error(net));
    rss_end = rss_kib();
    size_t heap_end = heap_in_use();
    printf("after %ld steps: VmRSS %ld KiB; after %ld steps: %ld KiB; device buffers created %llu "
           "then %llu; "
           "kernel launches %llu\n",
           mark, rss_mark, steps, rss_end, buf_mark, dev->buffers_created, dev->launches);
    EXPECT(dev->buffers_created == buf_mark,
           "device buffers were created during the run (%llu -> %llu)", buf_mark,
           dev->buffers_created);
    if (UNDER_ASAN)
        printf("built with AddressSanitizer: its quarantine keeps freed memory, so VmRSS is not "
               "compared; the "
               "heap in use is\n");
    else
        /* the heap check above is the leak check; RSS also moves with the driver's own mappings
         * (seen: 0.1 to 2.5 MB over the run, not growing with the step count) */
        EXPECT(rss_mark > 0 && rss_end - rss_mark < 8192,
               "host memory grew by %ld KiB over %ld steps", rss_end - rss_mark, steps - mark);
    EXPECT(heap_end < heap_mark + 64 * 1024, "malloc'ed bytes grew from %zu to %zu over %ld steps",
           heap_mark, heap_end, steps - mark);
    ct_net_destroy(net);
    ct_device_destroy(dev);
    return test_summary("test_longrun");
}
