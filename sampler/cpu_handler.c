/*
 * Runs in signal context. The SIGPROF handler: when a session runs, claim
 * a ring slot, unwind the interrupted registers straight into it, stamp
 * the thread, the weight (1 + the timer's overruns: at rates above the
 * kernel tick one signal stands for several periods) and the handler's own
 * cost, and publish. No malloc, no locks, no stdio; the only TLS is
 * initial-exec (hearth_thread); errno is saved around the one call that
 * could set it (tid_slow); a full ring counts a drop. At 100 Hz
 * everything a sample touches is cold in cache and TLB, so the handler
 * starts the loads of what it needs first (the table's pointer and
 * header, the thread's bounds, the ring slot) together at entry instead
 * of one after another. Measured cost: BENCHMARKS.md, "CPU sampler".
 */
#include "cpu_handler.h"

#include <errno.h>
#include <unistd.h>

#include "signal_path.h"
#include "threads.h"
#include "unwind_cfi.h"

/* Aligned so the fields every sample touches (the ring's head, gen,
 * in_handler) share one cache line. */
cpu_shared cpu_g __attribute__((aligned(64)));

/* A thread that has not recorded its tid (created behind our back): ask
 * the kernel. gettid cannot fail, but errno belongs to the interrupted
 * code, so it is kept whatever libc does. */
static pid_t tid_slow(void)
{
    int saved = errno;
    pid_t tid = gettid();
    errno = saved;
    return tid;
}

SIGNAL_PATH void cpu_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    /* The cost a sample reports runs from here to the publish. */
    uint64_t t0 = arch_ticks();
    /* The first lines every sample needs, missed together rather than in
     * turn: the table's pointer and reader count, the thread's bounds, and
     * (by the increment) cpu_g's line. */
    cfi_table_prefetch_current();
    __builtin_prefetch(&hearth_thread);
    atomic_fetch_add(&cpu_g.in_handler, 1);
    uint32_t gen = atomic_load_explicit(&cpu_g.gen, memory_order_acquire);
    if (gen) {
        cfi_table_prefetch();
        cpu_ring_prefetch(&cpu_g.ring);
        uint32_t weight = 1;
        if (si && si->si_code == SI_TIMER && si->si_overrun > 0)
            weight += (uint32_t)si->si_overrun;
        cpu_sample *s = cpu_ring_claim(&cpu_g.ring);
        if (!s) {
            atomic_fetch_add_explicit(&cpu_g.dropped, weight, memory_order_relaxed);
        } else {
            bool truncated;
            s->depth = unwind_from_ucontext(uc, s->pcs, cpu_g.ring.max_depth, &truncated);
            s->truncated = truncated;
            s->gen = gen;
            s->tid = hearth_thread.tid ? hearth_thread.tid : tid_slow();
            s->weight = weight;
            uint64_t cost = arch_ticks() - t0;
            s->cost_ticks = cost < UINT32_MAX ? (uint32_t)cost : UINT32_MAX;
            cpu_ring_publish(&cpu_g.ring, s);
        }
    }
    atomic_fetch_sub(&cpu_g.in_handler, 1);
}
