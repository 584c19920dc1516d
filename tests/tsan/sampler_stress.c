/*
 * The sampler's concurrent paths under ThreadSanitizer. A preloaded
 * malloc cannot run under TSan (TSan owns malloc), so this driver links the
 * sampler without its allocator entry points and calls the same inline
 * hooks they call (heap_after_alloc, heap_before_free) around TSan's
 * malloc, from 8 threads, while dumps run on the dump thread and from the
 * API, and CPU profiles start and stop (timers, the SIGPROF handler
 * writing the sample ring, the drainer reading it, profile writing). TSan reports any data race; the closing line says how it went.
 * Usage: sampler_stress SECONDS
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../sampler/cfi_table.h"
#include "../../sampler/cpu_control.h"
#include "../../sampler/dump.h"
#include "../../sampler/hearth.h"
#include "../../sampler/sampler.h"

static _Atomic int stop;

static void *worker(void *arg)
{
    uint64_t s = (uint64_t)(uintptr_t)arg * 0x9e3779b97f4a7c15ull + 1;
    void *slots[32] = {0};
    while (!atomic_load(&stop)) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        int k = (int)(s % 32);
        size_t n = 16 + (size_t)(s >> 40) % 8192;
        if (slots[k]) {
            heap_before_free(slots[k]);
            free(slots[k]);
        }
        slots[k] = malloc(n);
        if (slots[k])
            heap_after_alloc(slots[k], n);
    }
    for (int k = 0; k < 32; k++)
        if (slots[k]) {
            heap_before_free(slots[k]);
            free(slots[k]);
        }
    return NULL;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 5;
    /* The sampler's constructor has read HEARTH_* before main: the
     * Makefile sets HEARTH_OUT, HEARTH_ALLOC_RATE and HEARTH_DUMP_AT_EXIT. */
    const char *out = getenv("HEARTH_OUT");
    if (!out || !atomic_load(&hearth_g.heap_on)) {
        fprintf(stderr, "sampler_stress: run with HEARTH_OUT set (see make tsan)\n");
        return 2;
    }
    pthread_t th[8];
    for (int i = 0; i < 8; i++)
        pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)(i + 1));
    /* The first CPU start builds the unwind table: parsing every object's
     * .eh_frame under TSan takes ~10 s, the whole of the default run. Build
     * it here, still beside the workers, so the timed rounds below are
     * rounds of dumps and CPU profiles. Its result is ignored, as
     * hearth_cpu_start ignores it. */
    cfi_table_update(false);
    int dumps = 0, failed = 0, cpu_profiles = 0, refused = 0, round = 0;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    do {
        char path[96];
        snprintf(path, sizeof path, "%s.api.pb.gz", out);
        if (hearth_dump_heap(path) == 0)
            dumps++;
        else
            failed++;
        unlink(path);
        kill(getpid(), SIGUSR2);
        if (round++ % 8 == 0) {
            /* The dump signal starts a CPU profile of its own on the dump
             * thread whenever that thread serves it: before our stop, or
             * between our stop and our start, which is then refused
             * because a profile runs (hearth.h). That refusal is the
             * documented behaviour: stop the signal's profile and start
             * again. Each refusal needs a signal sent before this point
             * and still unserved; the pipe merges them, so at most a
             * drain in progress, one pending drain and one undelivered
             * SIGUSR2 remain: 4 tries always suffice. A refusal with no
             * profile running, or a 5th, is a failure. */
            int rc = -1;
            for (int tries = 0; rc != 0 && tries < 5; tries++) {
                hearth_cpu_stop(NULL);
                rc = hearth_cpu_start();
                if (rc != 0 && !cpu_running())
                    break;
                if (rc != 0)
                    refused++;
            }
            if (rc == 0)
                cpu_profiles++;
            else
                failed++;
        }
        usleep(50000);
        clock_gettime(CLOCK_MONOTONIC, &b);
    } while ((double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9 < seconds);
    hearth_cpu_stop(NULL);
    atomic_store(&stop, 1);
    for (int i = 0; i < 8; i++)
        pthread_join(th[i], NULL);
    printf("%s sampler_stress_under_tsan (%d dumps, %d CPU profiles, %d starts refused "
           "while the signal's ran)\n", failed ? "FAIL" : "PASS", dumps, cpu_profiles, refused);
    printf("%d passed, %d failed\n", failed ? 0 : 1, failed ? 1 : 0);
    /* Signal-triggered dumps wrote numbered files; remove them. */
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -f %s.*", out);
    return system(cmd) == 0 && !failed ? 0 : 1;
}
