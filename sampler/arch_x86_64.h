/*
 * Everything the unwinder and the CPU handler know about the machine: the
 * DWARF register numbers the CFI table keeps, where the interrupted
 * registers sit in a ucontext_t, the frame-pointer frame layout, how to
 * capture the current registers, and what the kernel's signal-return
 * trampoline looks like. An aarch64 port adds arch_aarch64.h with the same
 * names and picks it in arch.h; no other file knows the architecture.
 *
 * Runs in signal context: everything here is inline, reads only what it is
 * given, and calls nothing.
 */
#ifndef HEARTH_SAMPLER_ARCH_X86_64_H
#define HEARTH_SAMPLER_ARCH_X86_64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <ucontext.h>
#include <cpuid.h>
#include <x86intrin.h>

/*
 * A counter the CPU handler reads to time itself without touching memory:
 * the TSC (clock_gettime reads the vDSO's data page, which at 100 Hz is a
 * cold TLB and cache miss of its own, ~0.2-2 us). Ticks become
 * nanoseconds outside signal context, by a rate measured against
 * CLOCK_MONOTONIC over the session; arch_ticks_constant says whether the
 * CPU promises one rate (CPUID 0x80000007 EDX bit 8, "invariant TSC").
 */
static inline uint64_t arch_ticks(void)
{
    return __rdtsc();
}

static inline bool arch_ticks_constant(void)
{
    unsigned a, b, c, d;
    __cpuid(0x80000000u, a, b, c, d);
    if (a < 0x80000007u)
        return false;
    __cpuid(0x80000007u, a, b, c, d);
    return (d >> 8) & 1;
}

/* DWARF register numbers (System V x86-64 psABI, figure 3.36). */
#define ARCH_DWARF_FP 6  /* rbp */
#define ARCH_DWARF_SP 7  /* rsp */
#define ARCH_DWARF_RA 16 /* the return address column */

/* The registers an unwind step needs: program counter, stack pointer and
 * frame pointer. */
typedef struct arch_regs {
    uintptr_t pc, sp, fp;
} arch_regs;

/* The registers of the code a signal interrupted. */
static inline void arch_regs_from_ucontext(arch_regs *out, const void *ucv)
{
    const ucontext_t *uc = ucv;
    out->pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    out->sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
    out->fp = (uintptr_t)uc->uc_mcontext.gregs[REG_RBP];
}

/* The calling function's own registers at this point: pc is inside the
 * caller, and sp is the caller's stack pointer at that same instruction, so
 * the caller's CFI row for pc describes exactly this sp. A macro, so it
 * expands inside the function whose frame it describes. */
#define ARCH_REGS_HERE(r)                                                    \
    __asm__ volatile("lea 0(%%rip), %0\n\tmov %%rsp, %1\n\tmov %%rbp, %2"    \
                     : "=r"((r).pc), "=r"((r).sp), "=r"((r).fp))

/* A frame built with frame pointers: [fp] holds the caller's fp, [fp + 8]
 * the return address, and the caller's sp is fp + 16. */
#define ARCH_FP_SAVED_FP 0
#define ARCH_FP_RA 8
#define ARCH_FP_FRAME 16

/* Saved registers and return addresses are 8-byte aligned on the stack. */
#define ARCH_WORD 8

/*
 * The signal-return trampoline (glibc's __restore_rt, the kernel's vdso
 * has none on x86-64): `mov $15, %rax; syscall`. When a handler's return
 * address points at it, the interrupted registers are in the ucontext_t
 * that starts at the trampoline frame's sp (the kernel's rt_sigframe
 * without its pretcode, which the handler's ret popped).
 */
#define ARCH_SIGRETURN_LEN 9
static inline bool arch_is_sigreturn(const uint8_t *code)
{
    static const uint8_t insn[ARCH_SIGRETURN_LEN] = {0x48, 0xc7, 0xc0, 0x0f, 0x00,
                                                     0x00, 0x00, 0x0f, 0x05};
    return memcmp(code, insn, sizeof insn) == 0;
}
#define ARCH_SIGFRAME_PC (offsetof(ucontext_t, uc_mcontext.gregs) + REG_RIP * 8)
#define ARCH_SIGFRAME_SP (offsetof(ucontext_t, uc_mcontext.gregs) + REG_RSP * 8)
#define ARCH_SIGFRAME_FP (offsetof(ucontext_t, uc_mcontext.gregs) + REG_RBP * 8)

/*
 * PLT stubs describe their CFA with a DWARF expression (the CFA moves with
 * the lazy-binding push). At the first instruction of every stub, and in
 * the whole of .plt.sec/.plt.got stubs, nothing has been pushed: the
 * return address is at sp. The unwinder uses this for the interrupted
 * frame only.
 */
#define ARCH_ENTRY_CFA_OFFSET 8

#endif
