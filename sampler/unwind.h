/*
 * Capturing the current thread's call stack as return addresses. One
 * interface, three backends: the CFI table walker (unwind_cfi.c, also
 * signal-safe, used whenever the table has been built), libunwind's cached
 * unw_backtrace (unwind_libunwind.c) before that, and libgcc's
 * _Unwind_Backtrace (unwind_libgcc.c) for a thread's first allocation
 * stacks (heap_sampler.c) and pthread_create's walks (threads_create.c)
 * in threads that have not set libunwind up, where libunwind cannot start
 * a walk, and as the reference the tests compare the others with.
 */
#ifndef HEARTH_SAMPLER_UNWIND_H
#define HEARTH_SAMPLER_UNWIND_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Writes up to max program counters of the calling thread, innermost first,
 * after skipping the innermost `skip` frames (the caller of unwind_current
 * is frame 0), and returns how many. Each is a return address minus one
 * (inside the call instruction), as pprof expects for callers. Correct
 * through code without frame pointers. Through the CFI table once it
 * exists; before, through libunwind if libunwind_ready says the calling
 * thread has its cache set up (unwind_libunwind_prepare_thread), else
 * through libgcc's unwinder, since setting the cache up for one walk
 * costs more than the walk. Not async-signal-safe before the table.
 */
uint32_t unwind_current(uintptr_t *pcs, uint32_t max, uint32_t skip, bool libunwind_ready);

/* The same through libgcc's unwinder: not async-signal-safe, and about
 * 93 ns per frame (BENCHMARKS.md). */
uint32_t unwind_libgcc_current(uintptr_t *pcs, uint32_t max, uint32_t skip);

/* Finds the code of the shared object libgcc's unwinder runs from; at
 * start, outside the allocation hooks. */
void unwind_libgcc_open(void);

/* Whether pc is in that code: a malloc called from there may run under
 * libgcc's own lock, and a walk with libgcc's unwinder would wait for it
 * forever (unwind_libgcc.c). */
bool unwind_libgcc_owns(uintptr_t pc);

/* The same through libunwind, whose per-thread cache of frame rules makes
 * a walk through pcs it has seen a lookup per frame; through libgcc where
 * libunwind is missing or retired, or cannot follow the stack. *served
 * (if not NULL) says which. Not async-signal-safe. */
uint32_t unwind_libunwind_current(uintptr_t *pcs, uint32_t max, uint32_t skip, bool *served);

/* Opens libunwind (RTLD_LOCAL) for unwind_libunwind_current; at start,
 * outside the allocation hooks. Without it, libgcc's unwinder serves. */
void unwind_libunwind_open(void);

/* After a dlclose (libunwind's caches may describe code that is gone) and
 * in a forked child (its locks may be held by a thread that is not
 * there): from now on libgcc's unwinder serves instead. */
void unwind_libunwind_retire(void);

/* Makes the calling thread's first libunwind walk, which allocates its
 * thread-local state, so that later walks do not. */
void unwind_libunwind_prepare_thread(void);

/* Walks libunwind has served (the tests check it is in use). */
uint64_t unwind_libunwind_served(void);

#endif
