/*
 * Allocation sampling. Each thread counts down bytes to its next sample,
 * drawn from an exponential distribution with mean HEARTH_ALLOC_RATE, so an
 * allocation of s bytes is sampled with probability 1 - exp(-s/rate) whatever
 * came before it (the scheme of tcmalloc and Go, whose unsampling formula
 * the heap profile applies). Only a sampled allocation reaches this file:
 * at the default rate, one per 512 KiB allocated.
 */
#include <errno.h>
#include <math.h>
#include <time.h>
#include <unistd.h>

#include "arch.h"
#include "cfi_table.h"
#include "dump.h"
#include "sampler.h"
#include "threads.h"
#include "unwind.h"
#include "unwind_cfi.h"

__thread heap_thread hearth_tls __attribute__((tls_model("initial-exec")));

#define MAX_DEPTH_LIMIT 1024

/*
 * Allocation stacks use the CFI table once it exists. Until then a thread
 * walks its first HEAP_LIBUNWIND_AFTER stacks with libgcc's unwinder and
 * the rest with libunwind's cached walk (unwind_libunwind.c), or all with
 * libgcc's where libunwind is missing or retired (after a dlclose, in a
 * forked child). Per 12-frame walk: libgcc ~1.3-3 us (it finds and
 * decodes each frame's FDE every time), the table ~0.3-1 us, libunwind
 * ~0.2 us once its per-thread cache knows the pcs. But that cache costs
 * ~100-150 us to set up: libunwind's first walk in a thread maps 256 KiB
 * and writes all of it, and the thread's exit unmaps it, a TLB shootdown
 * on every CPU. With it set up at each thread's first allocation, 2,000
 * rounds of two short-lived threads that took a sample or two each ran
 * three times slower than without libhearth (tests/bench/bench_threads;
 * BENCHMARKS.md, "Short-lived threads and the unwinders"). Waiting for
 * HEAP_LIBUNWIND_AFTER walks means a short-lived thread never pays for the
 * cache, and a long-lived one pays at most about twice what the better
 * choice would have cost it.
 *
 * The table costs 15-21 ms on the dump thread and ~3.5 MiB for perl's or
 * sqlite3's 10-12 objects (~90,000 rows), is shared by every thread and
 * needs nothing set up per thread. Where libunwind serves one thread it
 * bought nothing: perl's text job four times over (~10,000 samples) ran
 * 1.4% faster without it. So it is asked for once HEAP_CFI_FIRST walks
 * have been libgcc's: libunwind is missing or retired, or hundreds of
 * threads made their first walks (256 threads of 32 samples each, or
 * thousands of short-lived ones). A CPU profile builds it at once,
 * and allocation sampling uses it from then on, asking again every
 * HEAP_CFI_EVERY walks through it, which costs a dl_iterate_phdr when
 * nothing changed and gives objects loaded later their rows.
 */
#define HEAP_CFI_FIRST (1u << 13)
#define HEAP_CFI_EVERY 1024
#define HEAP_LIBUNWIND_AFTER 32

static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dull;
}

static int64_t next_countdown(heap_thread *t, uint64_t rate)
{
    if (rate <= 1)
        return 0;
    /* 53 random bits in (0, 1]; -log(u) is Exp(1). */
    double u = ((double)(xorshift(&t->rng) >> 11) + 1.0) / 9007199254740992.0;
    double v = -log(u) * (double)rate;
    return v > 9e18 ? INT64_MAX : (int64_t)v;
}

static void seed(heap_thread *t)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t s = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^
                 ((uint64_t)(uintptr_t)t * 0x9e3779b97f4a7c15ull) ^ (uint64_t)gettid();
    t->rng = s ? s : 0x853c49e6748fea9bull;
}

/*
 * Size classes: four per power of two. Go keeps one record per stack and
 * exact size so its unsampling (which uses a record's mean block size) is
 * exact; classes keep that within a few percent while bounding the records
 * a stack of varying sizes can take.
 */
static uint32_t size_class(size_t size)
{
    if (size < 8)
        return (uint32_t)size;
    unsigned log = 63u - (unsigned)__builtin_clzll((unsigned long long)size);
    return 8 + (log - 3) * 4 + (uint32_t)((size >> (log - 2)) & 3);
}

/* Which unwinder took a sample's stack. */
typedef enum walker { BY_TABLE, BY_LIBUNWIND, BY_LIBGCC, BY_NONE } walker;

/*
 * The sampled allocation's stack, walked from this frame: the walk skips
 * only heap_sample_slow (always_inline puts this code there), so malloc,
 * calloc or operator new's malloc is the leaf, as in gperftools. This is
 * unwind_current() (unwind_cfi.c) without its own frame, which it would
 * walk and throw away on every sample: one table lookup with the CFI
 * table, or a frame of libunwind's walk. An allocation by libgcc's
 * unwinder itself may run under its lock (unwind_libgcc.c): without the
 * table, its stack is its caller alone, since libgcc's walk would wait for
 * that lock and libunwind's falls back to libgcc's.
 */
static inline __attribute__((always_inline)) uint32_t sample_stack(const heap_thread *ht,
                                                                   uintptr_t *pcs,
                                                                   uint32_t max,
                                                                   const void *caller,
                                                                   walker *by)
{
    const cfi_table *t = cfi_table_enter();
    uint32_t n;
    if (t) {
        arch_regs r;
        ARCH_REGS_HERE(r);
        bool truncated;
        n = unwind_cfi_walk(t, r, hearth_thread.stack_lo, hearth_thread.stack_hi, pcs, max, 1,
                            &truncated);
        *by = BY_TABLE;
    } else if (unlikely(unwind_libgcc_owns((uintptr_t)caller))) {
        n = 0;
        if (max)
            pcs[n++] = (uintptr_t)caller - 1;
        *by = BY_NONE;
    } else if (ht->libunwind) {
        bool served;
        n = unwind_libunwind_current(pcs, max, 1, &served);
        *by = served ? BY_LIBUNWIND : BY_LIBGCC;
    } else {
        n = unwind_libgcc_current(pcs, max, 1);
        *by = BY_LIBGCC;
    }
    cfi_table_leave();
    return n;
}

static inline __attribute__((always_inline)) void record(heap_thread *t, void *p, size_t size,
                                                          const void *caller)
{
    uintptr_t pcs[MAX_DEPTH_LIMIT];
    walker by;
    uint32_t depth = sample_stack(t, pcs, hearth_g.cfg.max_depth, caller, &by);
    /* Every walk counts, kept or dropped. The table is asked for once
     * HEAP_CFI_FIRST walks were libgcc's (libunwind missing or retired, or
     * many threads' first walks), and again every HEAP_CFI_EVERY walks
     * through it. */
    if (by == BY_LIBUNWIND) {
        atomic_fetch_add_explicit(&hearth_g.walks_by_libunwind, 1, memory_order_relaxed);
    } else if (by != BY_NONE) {
        _Atomic uint64_t *c = by == BY_TABLE ? &hearth_g.walks_by_table : &hearth_g.walks_by_libgcc;
        uint64_t n = atomic_fetch_add_explicit(c, 1, memory_order_relaxed) + 1;
        if (unlikely(n % HEAP_CFI_EVERY == 0) && (by == BY_TABLE || n >= HEAP_CFI_FIRST))
            dump_request_unwind_table();
        if (by == BY_LIBGCC && t->walks < HEAP_LIBUNWIND_AFTER)
            t->walks++;
    }
    uint32_t id = stacktab_intern(&hearth_g.stacks, pcs, depth, size_class(size));
    if (id == STACKTAB_FULL)
        return;
    /* Accounted as the live set keeps it (exact below 2 GiB), so a block's
     * free takes out exactly what its allocation put in. */
    size = live_size_kept(size);
    if (!live_set_insert(&hearth_g.live, (uintptr_t)p, id, size))
        return;
    stack_counts *c = stacktab_counts(&hearth_g.stacks, id);
    atomic_fetch_add_explicit(&c->alloc_objects, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&c->alloc_bytes, size, memory_order_relaxed);
}

/* Inlined into heap_sample_slow: the stack walk skips exactly one frame
 * of ours. */
static inline __attribute__((always_inline)) void sample_slow(heap_thread *t, void *p,
                                                               size_t size, const void *caller)
{
    if (t->busy) {
        /* An allocation made by the sampler itself (or by the unwinder
         * while we record): never sampled, and we never recurse. The
         * unwinder is not supposed to allocate; count it if it does. */
        if (t->busy & HEAP_RECORDING)
            atomic_fetch_add_explicit(&hearth_g.unwind_reentered, 1, memory_order_relaxed);
        t->countdown = INT64_MAX / 2;
        return;
    }
    if (!atomic_load_explicit(&hearth_g.heap_on, memory_order_acquire)) {
        /* Not started yet (or off): look again after a while. */
        t->countdown = 1 << 20;
        return;
    }
    uint64_t rate = hearth_g.cfg.alloc_rate;
    t->busy = HEAP_RECORDING;
    if (t->rng == 0) {
        /* A thread's first visit: draw its first countdown and charge this
         * allocation to it, so no thread's first allocation is favoured. */
        seed(t);
        t->countdown = next_countdown(t, rate) - (int64_t)size;
        if (t->countdown >= 0 && rate > 1) {
            t->busy = 0;
            return;
        }
    }
    if (unlikely(!t->libunwind) && t->walks >= HEAP_LIBUNWIND_AFTER) {
        /* libunwind's per-thread state is allocated on its first walk in a
         * thread; that allocation is ours, made here, not inside a
         * recording walk (the unwinder must not allocate while it
         * records). */
        t->busy = 1;
        unwind_libunwind_prepare_thread();
        t->libunwind = true;
        t->busy = HEAP_RECORDING;
    }
    if (p)
        record(t, p, size, caller);
    t->countdown = next_countdown(t, rate);
    t->busy = 0;
}

/* The service's errno comes back as it was: a successful malloc leaves it
 * alone in glibc, and code that tests errno after a call that allocates
 * inside must not see ours (a full pipe, a failed mincore in the
 * unwinder). */
__attribute__((noinline)) void heap_sample_slow(void *p, size_t size, const void *caller)
{
    int saved = errno;
    sample_slow(&hearth_tls, p, size, caller);
    errno = saved;
}

void heap_account_free(uint32_t stack, uint64_t size)
{
    stack_counts *c = stacktab_counts(&hearth_g.stacks, stack);
    atomic_fetch_add_explicit(&c->free_objects, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&c->free_bytes, size, memory_order_relaxed);
}
