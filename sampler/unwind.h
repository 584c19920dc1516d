/*
 * Capturing the current thread's call stack as return addresses. One
 * interface, backends in sibling files (unwind_libgcc.c today; a
 * signal-safe DWARF CFI walker for the CPU sampler joins it).
 */
#ifndef HEARTH_SAMPLER_UNWIND_H
#define HEARTH_SAMPLER_UNWIND_H

#include <stdint.h>

/*
 * Writes up to max program counters of the calling thread, innermost first,
 * after skipping the innermost `skip` frames, and returns how many. Each is
 * a return address minus one (inside the call instruction), as pprof
 * expects for callers. Correct through code without frame pointers. Not
 * async-signal-safe; never calls malloc.
 */
uint32_t unwind_current(uintptr_t *pcs, uint32_t max, uint32_t skip);

#endif
