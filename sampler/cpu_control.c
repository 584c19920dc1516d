/*
 * CPU profiling sessions (cpu_control.h). One session at a time, under
 * ctl_lock: start installs the SIGPROF handler (once, kept for the life of
 * the process so a late signal never meets the default action, which would
 * kill the service), makes sure the unwind table is current, publishes the
 * session number the handler stamps on samples, arms the timers and starts
 * a drainer thread. The drainer wakes every 20 ms, moves ring samples into
 * the session's aggregate and ends a timed session at its deadline. Stop
 * deletes the timers, waits for handlers in flight, drains the rest and
 * writes the profile through the dump code (same mappings, symbolization
 * and atomic file writing as heap profiles).
 *
 * Lock order: ctl_lock, then the dump lock (writing), then the registry and
 * table locks. The dump thread calls cpu_on_trigger without holding the
 * dump lock, so the order never inverts.
 */
#include "cpu_control.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arch.h"
#include "cfi_table.h"
#include "cpu_handler.h"
#include "cpu_profile.h"
#include "cpu_timers.h"
#include "dump.h"
#include "sampler.h"
#include "timeline.h"
#include "own_thread.h"

#define RING_SLOTS 4096
#define DRAIN_NS 20000000L

/* The session; every field under ctl_lock. */
static pthread_mutex_t ctl_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    bool running;
    uint32_t gen;
    int hz;
    int64_t start_ns, start_mono, deadline_mono; /* deadline 0 = none */
    uint64_t start_ticks;                        /* arch_ticks at start_mono */
    cpu_agg agg;
    char note[320];
} S;
static uint32_t last_gen;
static bool ring_ready, handler_installed;


static int64_t clock_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Waits until no handler is between entry and exit (they take
 * microseconds; bounded anyway). */
static void wait_handlers(void)
{
    for (int i = 0; i < 100000 && atomic_load(&cpu_g.in_handler); i++) {
        struct timespec ts = {0, 10000};
        nanosleep(&ts, NULL);
    }
}

/* Under ctl_lock. The handler times itself in arch_ticks; their rate in
 * ns is measured against CLOCK_MONOTONIC over the session so far (at the
 * first drain, 20 ms: a few parts per million). */
static void drain(void)
{
    int64_t ns = clock_ns(CLOCK_MONOTONIC) - S.start_mono;
    uint64_t ticks = arch_ticks() - S.start_ticks;
    if (ns > 0 && ticks > 0)
        S.agg.ns_per_tick = (double)ns / (double)ticks;
    cpu_sample *s;
    while ((s = cpu_ring_peek(&cpu_g.ring))) {
        if (s->gen == S.gen)
            cpu_agg_add(&S.agg, s);
        cpu_ring_release(&cpu_g.ring, s);
    }
}

typedef struct build_ctx {
    const cpu_profile_info *info;
} build_ctx;

static int build_cb(profile **out, const procmap *maps, size_t n_maps, const char *exe,
                    void *arg)
{
    build_ctx *c = arg;
    return cpu_profile_build(out, &S.agg, c->info, maps, n_maps, exe);
}

/* Ends the session and writes its profile, or hands it to out when out
 * is not NULL; under ctl_lock. */
static int finish(const char *path, profile **out)
{
    char clocks[256];
    cpu_timers_describe(clocks, sizeof clocks);
    cpu_timers_stop();
    atomic_store_explicit(&cpu_g.gen, 0, memory_order_release);
    wait_handlers();
    drain();
    S.running = false;
    cpu_profile_info info = {S.hz, S.start_ns, clock_ns(CLOCK_MONOTONIC) - S.start_mono,
                             atomic_exchange(&cpu_g.dropped, 0), cpu_timers_unarmed(), S.note,
                             clocks, !arch_ticks_constant()};
    build_ctx c = {&info};
    int rc = out ? dump_profile_build(out, "cpu", build_cb, &c)
                 : dump_profile(path, "cpu", build_cb, &c);
    cpu_agg_fini(&S.agg);
    if (rc)
        timeline_event("cpu_stop", "(not written)");
    return rc;
}

static void *drainer(void *arg)
{
    uint32_t gen = (uint32_t)(uintptr_t)arg;
    heap_internal_begin(); /* this thread's allocations are ours */
    own_thread_begin("hearth-cpu");
    for (;;) {
        struct timespec ts = {0, DRAIN_NS};
        nanosleep(&ts, NULL);
        pthread_mutex_lock(&ctl_lock);
        if (!S.running || S.gen != gen) {
            pthread_mutex_unlock(&ctl_lock);
            break;
        }
        drain();
        /* Objects loaded or unloaded since the last look get their rows
         * (a dlopen wrapper could do it sooner, but dlopen resolves
         * RUNPATH and $ORIGIN from its caller's address, which a wrapper
         * would change). One dl_iterate_phdr when nothing changed. */
        cfi_table_update(false);
        if (S.deadline_mono && clock_ns(CLOCK_MONOTONIC) >= S.deadline_mono)
            finish(NULL, NULL);
        pthread_mutex_unlock(&ctl_lock);
    }
    return NULL;
}

static int start_drainer(uint32_t gen)
{
    return own_thread_start(drainer, (void *)(uintptr_t)gen);
}

static int install_handler(void)
{
    if (handler_installed)
        return 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = cpu_handler;
    /* SA_RESTART: a service call interrupted by a sample resumes.
     * SA_ONSTACK: threads with an alternate stack (Go, crash handlers)
     * take the sample there. */
    sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGPROF, &sa, NULL))
        return -1;
    handler_installed = true;
    return 0;
}

static int start_locked(double seconds, const char *who)
{
    char why[160];
    if (S.running) {
        own_say("hearth: %s: a CPU profile is already running; not starting another", who);
        return -1;
    }
    if (cpu_timers_check_free((void *)cpu_handler, why, sizeof why)) {
        own_say("hearth: %s: %s; CPU profiling is off", who, why);
        return -1;
    }
    const config *cfg = &hearth_g.cfg;
    if (!ring_ready) {
        if (cpu_ring_init(&cpu_g.ring, RING_SLOTS, cfg->max_depth)) {
            own_say("hearth: %s: cannot map the CPU sample ring; CPU profiling is off", who);
            return -1;
        }
        ring_ready = true;
    } else {
        /* Late handlers of the last session are done once none is in
         * flight and the session number is 0: the ring starts empty. */
        wait_handlers();
        cpu_ring_reset(&cpu_g.ring);
    }
    if (install_handler()) {
        own_say("hearth: %s: cannot install the SIGPROF handler: %s", who, strerror(errno));
        return -1;
    }
    cfi_table_update(false);
    if (cpu_agg_init(&S.agg, cfg->max_stacks, cfg->max_depth)) {
        own_say("hearth: %s: cannot map the CPU profile's tables; CPU profiling is off", who);
        return -1;
    }
    if (++last_gen == 0)
        last_gen = 1;
    S.gen = last_gen;
    S.hz = (int)cfg->cpu_hz;
    S.start_ns = clock_ns(CLOCK_REALTIME);
    S.start_mono = clock_ns(CLOCK_MONOTONIC);
    S.start_ticks = arch_ticks();
    S.deadline_mono = seconds > 0 ? S.start_mono + (int64_t)(seconds * 1e9) : 0;
    atomic_store(&cpu_g.dropped, 0);
    atomic_store_explicit(&cpu_g.gen, S.gen, memory_order_release);
    if (cpu_timers_start(S.hz, cfg->cpu_timer, S.note, sizeof S.note)) {
        atomic_store_explicit(&cpu_g.gen, 0, memory_order_release);
        cpu_agg_fini(&S.agg);
        own_say("hearth: %s: %s; CPU profiling is off", who, S.note);
        return -1;
    }
    if (S.note[0])
        own_say("%s", S.note);
    S.running = true;
    if (start_drainer(S.gen)) {
        cpu_timers_stop();
        atomic_store_explicit(&cpu_g.gen, 0, memory_order_release);
        S.running = false;
        cpu_agg_fini(&S.agg);
        own_say("hearth: %s: cannot start the CPU drainer thread; CPU profiling is off", who);
        return -1;
    }
    timeline_event("cpu_start", who);
    return 0;
}

int cpu_start(double seconds, const char *who)
{
    uint32_t prev = heap_internal_begin();
    pthread_mutex_lock(&ctl_lock);
    int rc = start_locked(seconds, who);
    pthread_mutex_unlock(&ctl_lock);
    heap_internal_end(prev);
    return rc;
}

int cpu_stop(const char *path)
{
    uint32_t prev = heap_internal_begin();
    pthread_mutex_lock(&ctl_lock);
    int rc = -1;
    if (!S.running)
        own_say("hearth: hearth_cpu_stop: no CPU profile is running");
    else
        rc = finish(path, NULL);
    pthread_mutex_unlock(&ctl_lock);
    heap_internal_end(prev);
    return rc;
}

int cpu_stop_profile(profile **out)
{
    uint32_t prev = heap_internal_begin();
    pthread_mutex_lock(&ctl_lock);
    int rc = S.running ? finish(NULL, out) : -1;
    pthread_mutex_unlock(&ctl_lock);
    heap_internal_end(prev);
    return rc;
}

bool cpu_running(void)
{
    pthread_mutex_lock(&ctl_lock);
    bool running = S.running;
    pthread_mutex_unlock(&ctl_lock);
    return running;
}

void cpu_on_trigger(void)
{
    /* A signal during a session (say, every dump of a HEARTH_CPU=1 run)
     * is refused silently after the first time. */
    static uint32_t refused_gen;
    pthread_mutex_lock(&ctl_lock);
    bool quiet = S.running && refused_gen == S.gen;
    if (S.running)
        refused_gen = S.gen;
    pthread_mutex_unlock(&ctl_lock);
    if (!quiet)
        cpu_start(hearth_g.cfg.cpu_seconds, "dump signal");
}

static void at_exit(void)
{
    uint32_t prev = heap_internal_begin();
    pthread_mutex_lock(&ctl_lock);
    if (S.running)
        finish(NULL, NULL);
    pthread_mutex_unlock(&ctl_lock);
    heap_internal_end(prev);
}

static void fork_prepare(void)
{
    pthread_mutex_lock(&ctl_lock);
    threads_fork_prepare();
    cfi_table_fork_prepare();
}

static void fork_parent(void)
{
    cfi_table_fork_parent();
    threads_fork_parent();
    pthread_mutex_unlock(&ctl_lock);
}

static void fork_child(void)
{
    cfi_table_fork_child();
    threads_fork_child();
    cpu_timers_fork_child();
    /* The session belongs to the parent: the child has no timers and no
     * drainer. Its memory is released; the ring is reset at the next
     * start. */
    if (S.running) {
        S.running = false;
        cpu_agg_fini(&S.agg);
    }
    atomic_store(&cpu_g.gen, 0);
    atomic_store(&cpu_g.in_handler, 0);
    pthread_mutex_init(&ctl_lock, NULL);
}

void cpu_init(void)
{
    threads_self_init();
    pthread_atfork(fork_prepare, fork_parent, fork_child);
    atexit(at_exit);
}
