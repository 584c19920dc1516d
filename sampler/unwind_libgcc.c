/*
 * Stacks through libgcc's unwinder (_Unwind_Backtrace), which
 * walks .eh_frame CFI and so finds callers in Debian's libc and -O2 code
 * built without frame pointers. It finds each object's unwind table through
 * _dl_find_object or dl_iterate_phdr and .eh_frame_hdr without allocating
 * (but see below for frames registered by hand); it is not
 * async-signal-safe, which is fine for allocations (never in signal
 * context from our side). Cost ~93 ns per frame; it takes a thread's first
 * allocation stacks, and all of them where libunwind does not serve, until
 * the CFI table (unwind_cfi.c) has been built (heap_sampler.c), and
 * pthread_create's walks in threads that have not set libunwind up
 * (threads_create.c).
 */
#include <link.h>
#include <string.h>
#include <unwind.h>

#include "unwind.h"

/*
 * libgcc's _Unwind_Find_FDE takes a mutex of its own (object_mutex) once
 * any code registered its frames with __register_frame_info (as JITs do),
 * and the first lookup in such an object sorts its FDEs into arrays it
 * mallocs while holding that mutex. If that malloc is sampled and the
 * sample walks with libgcc's unwinder, the walk waits for the mutex its
 * own thread holds, forever: a C++ throw or a backtrace() is enough to
 * get there. So the sampler does not walk with libgcc when the
 * allocation's caller is libgcc's own code. That code is known only when
 * the unwinder is its own shared object (libgcc_s.so.1, as for every
 * dynamically linked program); linked into the program itself, its range
 * would be the program's, and it is left unknown.
 */
static uintptr_t code_lo, code_hi;

static int find_code(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    uintptr_t pc = (uintptr_t)arg;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X) || pc - lo >= ph->p_memsz)
            continue;
        const char *slash = strrchr(info->dlpi_name, '/');
        const char *base = slash ? slash + 1 : info->dlpi_name;
        if (strncmp(base, "libgcc_s.so", 11) == 0) {
            code_lo = lo;
            code_hi = lo + ph->p_memsz;
        }
        return 1;
    }
    return 0;
}

void unwind_libgcc_open(void)
{
    dl_iterate_phdr(find_code, (void *)(uintptr_t)&_Unwind_Backtrace);
}

bool unwind_libgcc_owns(uintptr_t pc)
{
    return pc - code_lo < code_hi - code_lo;
}

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
