/*
 * Start-up, fork and exit of the in-process sampler, and the public API.
 * libhearth starts itself from a constructor (LD_PRELOAD or linked in), so
 * a service needs no code change; its tables are mapped once at start
 * (about 16 MiB of address space at the defaults, touched only as used).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cpu_control.h"
#include "dump.h"
#include "hearth.h"
#include "http.h"
#include "sampler.h"
#include "timeline.h"
#include "timeline_counters.h"
#include "unwind.h"

/* See sampler.h: written by sampler_init before heap_on is published. */
sampler_state hearth_g;

/* Program counters kept for all stacks: 16 per stack on average. */
#define PCS_PER_STACK 16
/* Live sampled blocks tracked at once (16 bytes each). */
#define LIVE_CAPACITY (1u << 18)

static void say(const char *msg)
{
    (void)!write(2, msg, strlen(msg));
}

static void fork_prepare(void)
{
    dump_fork_prepare();
    stacktab_lock(&hearth_g.stacks);
}

static void fork_parent(void)
{
    stacktab_unlock(&hearth_g.stacks);
    dump_fork_parent();
}

static void fork_child(void)
{
    stacktab_reset_lock(&hearth_g.stacks);
    live_set_reset_lock(&hearth_g.live);
    live_set_drop_taken(&hearth_g.live, heap_account_free);
    /* libunwind's locks (its memory pool, taken by a thread's first walk)
     * may have been held by a thread that is not in the child. */
    unwind_libunwind_retire();
    /* The heap counters' registry, first and whether or not the timeline
     * is on (the hooks count either way): a thread the child starts, its
     * dump thread among them, registers a counter slot at its first
     * malloc, and must find the registry's lock free (a parent's thread
     * may have held it at the fork) and the parent's slots folded. */
    tl_counters_fork_child();
    dump_fork_child();
}

static void at_exit(void)
{
    dump_at_exit();
}

int sampler_init(void)
{
    static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
    if (atomic_load(&hearth_g.initialized))
        return 0;
    pthread_mutex_lock(&init_lock);
    if (atomic_load(&hearth_g.initialized)) {
        pthread_mutex_unlock(&init_lock);
        return 0;
    }
    uint32_t prev = heap_internal_begin();
    config_from_env(&hearth_g.cfg);
    unwind_libunwind_open();
    unwind_libgcc_open();
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    hearth_g.start_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    int rc = 0;
    if (hearth_g.cfg.alloc_rate > 0) {
        if (stacktab_init(&hearth_g.stacks, hearth_g.cfg.max_stacks,
                          hearth_g.cfg.max_stacks * PCS_PER_STACK) ||
            live_set_init(&hearth_g.live, LIVE_CAPACITY)) {
            say("hearth: cannot map the sampler's tables; allocation sampling is off\n");
            rc = -1;
        } else {
            atomic_store_explicit(&hearth_g.heap_on, 1, memory_order_release);
        }
    }
    /* The dump thread also serves CPU profiles, so it runs whether or not
     * allocations are sampled. */
    pthread_atfork(fork_prepare, fork_parent, fork_child);
    dump_start();
    atexit(at_exit);
    /* The order of the fork handlers matters: the thread registry's (from
     * cpu_init) and the timeline's (timeline_start: its locks, which the
     * dump thread's events take) must reset their locks in a child before
     * the dump thread is started again there. The timeline then starts
     * before a CPU profile of the whole run, so it records the profile's
     * start. */
    cpu_init();
    timeline_start();
    pthread_atfork(NULL, NULL, dump_fork_child_start);
    if (hearth_g.cfg.cpu)
        cpu_start(0, "HEARTH_CPU");
    http_start();
    atomic_store(&hearth_g.initialized, 1);
    heap_internal_end(prev);
    pthread_mutex_unlock(&init_lock);
    return rc;
}

__attribute__((constructor)) static void hearth_constructor(void)
{
    sampler_init();
}

const char *hearth_version(void)
{
#define STR2(x) #x
#define STR(x) STR2(x)
    return STR(HEARTH_VERSION_MAJOR) "." STR(HEARTH_VERSION_MINOR) "." STR(HEARTH_VERSION_PATCH);
}

int hearth_dump_heap(const char *path)
{
    if (!atomic_load(&hearth_g.heap_on)) {
        say("hearth: hearth_dump_heap: allocation sampling is off (HEARTH_ALLOC_RATE=0 or start-up failed)\n");
        return -1;
    }
    return dump_heap_now(path);
}

int hearth_cpu_start(void)
{
    sampler_init();
    return cpu_start(0, "hearth_cpu_start");
}

int hearth_cpu_stop(const char *path)
{
    return cpu_stop(path);
}
