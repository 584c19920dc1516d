/*
 * Stacks through libgcc's unwinder (_Unwind_Backtrace), which
 * walks .eh_frame CFI and so finds callers in Debian's libc and -O2 code
 * built without frame pointers. It finds each object's unwind table through
 * dl_iterate_phdr and .eh_frame_hdr without allocating; it is not
 * async-signal-safe, which is fine for allocations (never in signal
 * context from our side). Cost ~93 ns per frame; it serves allocation
 * stacks only until the CFI table (unwind_cfi.c) has been built.
 */
#include <unwind.h>

#include "unwind.h"

typedef struct walk {
    uintptr_t *pcs;
    uint32_t max;
    uint32_t skip;
    uint32_t n;
} walk;

static _Unwind_Reason_Code step(struct _Unwind_Context *ctx, void *arg)
{
    walk *w = arg;
    int before_insn = 0;
    uintptr_t ip = (uintptr_t)_Unwind_GetIPInfo(ctx, &before_insn);
    if (ip == 0)
        return _URC_END_OF_STACK;
    if (w->skip) {
        w->skip--;
        return _URC_NO_REASON;
    }
    if (w->n >= w->max)
        return _URC_END_OF_STACK;
    /* A return address points after the call; step back into it so that
     * symbolization finds the caller's line. Signal frames are exact. */
    w->pcs[w->n++] = before_insn ? ip : ip - 1;
    return _URC_NO_REASON;
}

uint32_t unwind_libgcc_current(uintptr_t *pcs, uint32_t max, uint32_t skip)
{
    /* This function's own frame is the first the unwinder reports. */
    walk w = {pcs, max, skip + 1, 0};
    _Unwind_Backtrace(step, &w);
    return w.n;
}
