/*
 * Capturing the current thread's call stack as return addresses. One
 * interface, two backends: the CFI table walker (unwind_cfi.c, also
 * signal-safe, used whenever the table has been built) and libgcc's
 * _Unwind_Backtrace (unwind_libgcc.c) before that.
 */
#ifndef HEARTH_SAMPLER_UNWIND_H
#define HEARTH_SAMPLER_UNWIND_H

#include <stdint.h>

/*
 * Writes up to max program counters of the calling thread, innermost first,
 * after skipping the innermost `skip` frames (the caller of unwind_current
 * is frame 0), and returns how many. Each is a return address minus one
 * (inside the call instruction), as pprof expects for callers. Correct
 * through code without frame pointers. Never calls malloc.
 */
uint32_t unwind_current(uintptr_t *pcs, uint32_t max, uint32_t skip);

/* The same through libgcc's unwinder: not async-signal-safe, and about
 * 93 ns per frame (BENCHMARKS.md). */
uint32_t unwind_libgcc_current(uintptr_t *pcs, uint32_t max, uint32_t skip);

#endif
