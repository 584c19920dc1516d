/*
 * Allocation stacks before the CFI table exists, through libunwind's
 * unw_backtrace. Its x86-64 "fast trace" keeps, per thread, a cache from a
 * pc to how that frame's caller is found (CFA from sp or fp, where fp was
 * saved), filled from .eh_frame the first time the pc is seen; later walks
 * through known pcs cost a hash lookup per frame. Allocation sites repeat,
 * so nearly every walk is such a walk: ~0.22 us for a 12-frame stack
 * against ~2.3 us through libgcc's _Unwind_Backtrace, which finds and
 * decodes each frame's FDE every time (BENCHMARKS.md, "libunwind before
 * the table"). Not async-signal-safe, which is fine: allocation
 * stacks are never taken in our signal handlers.
 *
 * libunwind is opened with dlopen(RTLD_LOCAL) at start, not linked: it
 * also defines _Unwind_RaiseException and the rest of the C++ exception
 * ABI, and backtrace(), and linked in it would offer them to the service
 * and to every library loaded later, ahead of libgcc_s's and glibc's.
 * Where it is missing, libgcc's unwinder does every walk.
 *
 * Its first walk in a thread allocates: its thread-local cache pointer
 * lives in a dlopen'd library's TLS, which glibc allocates on first use,
 * and the cache itself is mmap'd. unwind_libunwind_prepare_thread makes
 * that walk where the sampler can count the allocation as its own, before
 * the thread's first recording walk with libunwind.
 *
 * Its cache is keyed by pc alone and cannot be emptied from outside, so
 * after the service's first dlclose (a later library may be mapped where
 * the closed one was, and a stale rule would walk its frames by the wrong
 * layout) libgcc's unwinder takes over until the table exists. So it does
 * in a forked child, where a lock of libunwind's may have been held by a
 * thread that the child does not have.
 *
 * unw_backtrace reports return addresses; each is stepped back by one
 * into its call, as pprof wants for callers (a frame interrupted by a
 * signal, which only a service's own handler that allocates can show, is
 * then one byte early, still inside its function). When the fast trace
 * meets a frame it cannot follow, unw_backtrace starts again with plain
 * unw_step, whose walk may start elsewhere; a walk is used only if its
 * first address is in this function, as the fast trace's is, and
 * otherwise libgcc's unwinder takes the sample, so that every walk starts
 * at the same frame (the unwind check compares both pc for pc).
 */
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "unwind.h"

/* Frames beyond this are not walked (MAX_DEPTH_LIMIT is 1024). */
#define WALK_MAX 1040
/* This function's code is shorter than this. */
#define OWN_CODE_BYTES 1024

typedef int (*backtrace_fn)(void **, int);
static _Atomic(backtrace_fn) unw_bt;
static _Atomic bool retired;
static _Atomic uint64_t served;

void unwind_libunwind_open(void)
{
#ifdef __SANITIZE_THREAD__
    /* Under ThreadSanitizer (make tsan) libunwind's thread-exit destructor
     * locks a mutex through TSan's interceptor after TSan has let go of
     * the thread, and the process crashes; that build walks with libgcc. */
    return;
#endif
    if (atomic_load_explicit(&unw_bt, memory_order_acquire))
        return;
    void *h = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
    if (!h)
        return;
    backtrace_fn f = (backtrace_fn)dlsym(h, "unw_backtrace");
    if (f)
        atomic_store_explicit(&unw_bt, f, memory_order_release);
}

void unwind_libunwind_retire(void)
{
    atomic_store_explicit(&retired, true, memory_order_release);
}

__attribute__((noinline)) uint32_t unwind_libunwind_current(uintptr_t *pcs, uint32_t max,
                                                            uint32_t skip, bool *served_out)
{
    if (served_out)
        *served_out = false;
    backtrace_fn bt = atomic_load_explicit(&unw_bt, memory_order_acquire);
    if (!bt || atomic_load_explicit(&retired, memory_order_acquire))
        return unwind_libgcc_current(pcs, max, skip + 1);
    /* buf[0] is this function's own frame. Sized by the request (~1 KiB
     * at the default depth): this runs on the service's stack, inside
     * malloc. */
    uint64_t want = (uint64_t)max + skip + 1;
    int size = want < WALK_MAX ? (int)want : WALK_MAX;
    void *buf[size];
    int n = bt(buf, size);
    uintptr_t own = (uintptr_t)&unwind_libunwind_current;
    if (n <= (int)skip + 1 || (uintptr_t)buf[0] - own >= OWN_CODE_BYTES)
        return unwind_libgcc_current(pcs, max, skip + 1);
    uint32_t out = 0;
    for (int i = (int)skip + 1; i < n && out < max; i++)
        pcs[out++] = (uintptr_t)buf[i] - 1;
    atomic_fetch_add_explicit(&served, 1, memory_order_relaxed);
    if (served_out)
        *served_out = true;
    return out;
}

void unwind_libunwind_prepare_thread(void)
{
    backtrace_fn bt = atomic_load_explicit(&unw_bt, memory_order_acquire);
    /* Not once retired: in a forked child this walk would take the lock
     * that retiring avoids. */
    if (bt && !atomic_load_explicit(&retired, memory_order_acquire)) {
        void *buf[2];
        bt(buf, 2);
    }
}

uint64_t unwind_libunwind_served(void)
{
    return atomic_load_explicit(&served, memory_order_relaxed);
}
