/*
 * The signal-safe unwinder: from a set of registers (a signal's ucontext_t,
 * or the current ones) to return addresses, through the CFI table and,
 * where no CFI covers a pc, frame pointers.
 */
#ifndef HEARTH_SAMPLER_UNWIND_CFI_H
#define HEARTH_SAMPLER_UNWIND_CFI_H

#include <stdbool.h>
#include <stdint.h>

#include "arch.h"
#include "cfi_table.h"

/*
 * Runs in signal context. Walks from r with table t, reading memory only
 * inside [stack_lo, stack_hi) (or the writable mapping that holds the
 * stack pointer when those are 0 or do not hold it). Writes up to max pcs,
 * innermost first, after skipping `skip` frames: the first frame's pc as
 * is, callers' return addresses minus one (inside the call, as pprof
 * expects). *truncated says whether frames were left out because max was
 * reached. A corrupt stack ends the walk; it never faults.
 */
uint32_t unwind_cfi_walk(const cfi_table *t, arch_regs r, uintptr_t stack_lo,
                         uintptr_t stack_hi, uintptr_t *pcs, uint32_t max, uint32_t skip,
                         bool *truncated);

/* Runs in signal context. The stack of the code a signal interrupted
 * (ucv is the handler's third argument), with the calling thread's
 * recorded stack bounds. */
uint32_t unwind_from_ucontext(const void *ucv, uintptr_t *pcs, uint32_t max, bool *truncated);

#endif
