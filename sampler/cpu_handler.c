/*
 * Runs in signal context. The SIGPROF handler: when a session runs, claim
 * a ring slot, unwind the interrupted registers straight into it, stamp
 * the thread, the weight (1 + the timer's overruns: at rates above the
 * kernel tick one signal stands for several periods) and the handler's own
 * cost, and publish. No malloc, no locks, no stdio; the only TLS is
 * initial-exec (hearth_thread); errno is saved and restored; a full ring
 * counts a drop. At 100 Hz everything a sample touches is cold in cache
 * and TLB, so the handler starts the loads of the table's header, the
 * thread's bounds and the ring slot together at entry instead of one after
 * another. Measured cost: BENCHMARKS.md, "CPU sampler".
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

SIGNAL_PATH void cpu_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    /* The cost a sample reports runs from here to the publish. */
    uint64_t t0 = arch_ticks();
    int saved = errno;
    cfi_table_prefetch();
    __builtin_prefetch(&hearth_thread);
    atomic_fetch_add(&cpu_g.in_handler, 1);
    uint32_t gen = atomic_load_explicit(&cpu_g.gen, memory_order_acquire);
    if (gen) {
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
            s->tid = hearth_thread.tid ? hearth_thread.tid : gettid();
            s->weight = weight;
            uint64_t cost = arch_ticks() - t0;
            s->cost_ticks = cost < UINT32_MAX ? (uint32_t)cost : UINT32_MAX;
            cpu_ring_publish(&cpu_g.ring, s);
        }
    }
    atomic_fetch_sub(&cpu_g.in_handler, 1);
    errno = saved;
}
