/*
 * Runs in signal context. One unwind step per frame: find the CFI row of
 * the pc (cfi_table_find, skipped when the pc repeats the previous frame's
 * as in recursion), compute the CFA from sp
 * or fp, load the return address and the caller's fp from where the row
 * says they were saved. Every load is checked against the stack's bounds
 * and alignment first, the stack pointer must grow at every step, and the
 * walk ends at the first rule it cannot follow, so a corrupt stack ends a
 * sample early instead of faulting the service. Frame pointers serve where
 * no CFI covers a pc (code without .eh_frame, JIT code in an executable
 * mapping); CFI comes first because in -fomit-frame-pointer code (Debian's
 * libc) rbp is an ordinary register and following it gives wrong callers.
 * A signal frame (glibc's __restore_rt) is walked through by reading the
 * interrupted registers from its ucontext_t.
 */
#include "unwind_cfi.h"

#include "unwind.h"

#include "signal_path.h"
#include "threads.h"

typedef struct bounds {
    uintptr_t lo, hi;
} bounds;

static inline bool load(const bounds *b, uintptr_t addr, uintptr_t *out)
{
    if (addr < b->lo || addr > b->hi - ARCH_WORD || (addr & (ARCH_WORD - 1)))
        return false;
    *out = *(const uintptr_t *)addr;
    return true;
}

/* The stack that holds sp: the thread's own when it does, else the
 * writable mapping around sp (threads we did not create, alternate signal
 * stacks). Empty when neither is known. */
SIGNAL_PATH static bounds stack_of(const cfi_table *t, uintptr_t sp, uintptr_t lo, uintptr_t hi)
{
    bounds b = {0, 0};
    if (lo < hi && sp >= lo && sp < hi) {
        b.lo = lo;
        b.hi = hi;
    } else if (t) {
        const cfi_range *r = cfi_range_find(t->writable, t->n_writable, sp);
        if (r) {
            b.lo = r->start;
            b.hi = r->end;
        }
    }
    return b;
}

/* The last lookup of a walk: recursion returns to one pc frame after
 * frame (glibc's msort_with_tmp is 10 of the 14 frames under qsort), and
 * the table does not change during a walk. {0, NULL} is a valid start: no
 * object covers pc 0. */
typedef struct last_lookup {
    uintptr_t pc;
    const cfi_row *row;
} last_lookup;

static inline const cfi_row *find_row(const cfi_table *t, uintptr_t pc, last_lookup *last)
{
    if (pc != last->pc) {
        last->pc = pc;
        last->row = cfi_table_find(t, pc);
    }
    return last->row;
}

/* Moves r to the caller's frame. exact: r->pc is not a return address
 * (the interrupted instruction, or the pc after a signal frame). */
SIGNAL_PATH static bool step(const cfi_table *t, arch_regs *r, bool *exact, bool first, bounds *b,
                 uintptr_t lo, uintptr_t hi, last_lookup *last)
{
    uintptr_t pc = *exact ? r->pc : r->pc - 1;
    const cfi_row *row = find_row(t, pc, last);
    const cfi_range *code = NULL;
    /* glibc's signal trampoline has an expression CFA: only there, and
     * only inside a mapping, are code bytes read. */
    if (!*exact && row && row->kind == CFI_EXPR &&
        (code = cfi_range_find(t->exec, t->n_exec, r->pc)) &&
        r->pc + ARCH_SIGRETURN_LEN <= code->end && arch_is_sigreturn((const uint8_t *)r->pc)) {
        arch_regs n;
        if (!load(b, r->sp + ARCH_SIGFRAME_PC, &n.pc) ||
            !load(b, r->sp + ARCH_SIGFRAME_SP, &n.sp) || !load(b, r->sp + ARCH_SIGFRAME_FP, &n.fp))
            return false;
        *r = n;
        *exact = true;
        *b = stack_of(t, r->sp, lo, hi);
        return true;
    }
    uintptr_t cfa, ra, fp = r->fp;
    if (row) {
        intptr_t ra_off = row->ra_off;
        switch (row->kind) {
        case CFI_CFA_SP:
            cfa = r->sp + (intptr_t)row->cfa_off;
            break;
        case CFI_CFA_FP:
            cfa = r->fp + (intptr_t)row->cfa_off;
            break;
        case CFI_CFA_FP_DEREF:
            if (!load(b, r->fp + (intptr_t)row->cfa_off, &cfa))
                return false;
            break;
        case CFI_EXPR:
            /* A PLT stub: only where it was interrupted, see arch. */
            if (!first)
                return false;
            cfa = r->sp + ARCH_ENTRY_CFA_OFFSET;
            ra_off = -ARCH_ENTRY_CFA_OFFSET;
            break;
        default: /* CFI_OUTERMOST: the stack ends here */
            return false;
        }
        if (!load(b, cfa + ra_off, &ra))
            return false;
        if (row->kind != CFI_EXPR) {
            if (row->fp_off == CFI_FP_LOST)
                fp = 0;
            else if (row->fp_off == CFI_FP_AT_FP) {
                if (!load(b, r->fp, &fp))
                    return false;
            } else if (row->fp_off != CFI_FP_SAME && !load(b, cfa + row->fp_off, &fp))
                return false;
        }
    } else {
        /* No CFI: frame pointers, if the pc is code at all. */
        if (!cfi_range_find(t->exec, t->n_exec, pc) || r->fp < r->sp || !load(b, r->fp + ARCH_FP_RA, &ra) ||
            !load(b, r->fp + ARCH_FP_SAVED_FP, &fp))
            return false;
        cfa = r->fp + ARCH_FP_FRAME;
    }
    if (cfa <= r->sp || ra < 4096)
        return false;
    r->pc = ra;
    r->sp = cfa;
    r->fp = fp;
    *exact = false;
    return true;
}

SIGNAL_PATH uint32_t unwind_cfi_walk(const cfi_table *t, arch_regs r, uintptr_t stack_lo,
                         uintptr_t stack_hi, uintptr_t *pcs, uint32_t max, uint32_t skip,
                         bool *truncated)
{
    uint32_t n = 0;
    bool exact = true;
    *truncated = false;
    bounds b = stack_of(t, r.sp, stack_lo, stack_hi);
    last_lookup last = {0, NULL};
    for (uint32_t i = 0;; i++) {
        if (skip)
            skip--;
        else if (n == max) {
            *truncated = true;
            break;
        } else {
            pcs[n++] = exact ? r.pc : r.pc - 1;
        }
        if (!t || !step(t, &r, &exact, i == 0, &b, stack_lo, stack_hi, &last))
            break;
    }
    return n;
}

SIGNAL_PATH uint32_t unwind_from_ucontext(const void *ucv, uintptr_t *pcs, uint32_t max,
                                          bool *truncated)
{
    arch_regs r;
    arch_regs_from_ucontext(&r, ucv);
    const cfi_table *t = cfi_table_enter();
    uint32_t n = unwind_cfi_walk(t, r, hearth_thread.stack_lo, hearth_thread.stack_hi, pcs, max,
                                 0, truncated);
    cfi_table_leave();
    return n;
}

/* The calls below are not in tail position (cfi_table_leave follows), so
 * this frame is always on the stack and `skip + 1` skips exactly it. */
SIGNAL_PATH __attribute__((noinline)) uint32_t unwind_current(uintptr_t *pcs, uint32_t max, uint32_t skip,
                                                              bool libunwind_ready)
{
    const cfi_table *t = cfi_table_enter();
    uint32_t n;
    if (t) {
        arch_regs r;
        ARCH_REGS_HERE(r);
        bool truncated;
        n = unwind_cfi_walk(t, r, hearth_thread.stack_lo, hearth_thread.stack_hi, pcs, max,
                            skip + 1, &truncated);
    } else if (libunwind_ready) {
        n = unwind_libunwind_current(pcs, max, skip + 1, NULL);
    } else {
        n = unwind_libgcc_current(pcs, max, skip + 1);
    }
    cfi_table_leave();
    return n;
}
