/*
 * The CFI table walker against libgcc's unwinder, frame for frame. Linked
 * with libhearth.a (built -O2 -fomit-frame-pointer by tests/cli/cpu.sh) so
 * it can call the sampler's unwinders directly. Two ways in:
 *   - from a qsort comparator (main -> sort_things -> glibc's qsort ->
 *     cmp), where unwind_current and unwind_libgcc_current must agree;
 *   - from its own SIGPROF handler while the same sort runs, where
 *     unwind_from_ucontext (what the CPU sampler uses) must give the frames
 *     libgcc reports after the signal frame.
 * Prints "N stacks, M from signals, mismatches K" and exits 0 when K == 0
 * and enough of each were compared.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "sampler/cfi_table.h"
#include "sampler/unwind.h"
#include "sampler/unwind_cfi.h"

#define DEPTH 64

static unsigned long stacks, from_signals, mismatches, calls;
static volatile int in_sort;

static void report(const char *where, const uintptr_t *a, uint32_t na, const uintptr_t *b,
                   uint32_t nb)
{
    if (mismatches++ > 3)
        return;
    fprintf(stderr, "%s: cfi %u frames, libgcc %u\n", where, na, nb);
    for (uint32_t i = 0; i < (na > nb ? na : nb); i++)
        fprintf(stderr, "  %2u %#lx %#lx\n", i, i < na ? (unsigned long)a[i] : 0,
                i < nb ? (unsigned long)b[i] : 0);
}

__attribute__((noinline)) static int cmp(const void *x, const void *y)
{
    if (++calls % 97 == 0) {
        uintptr_t a[DEPTH], b[DEPTH];
        uint32_t na = unwind_current(a, DEPTH, 0);
        uint32_t nb = unwind_libgcc_current(b, DEPTH, 0);
        stacks++;
        /* Frame 0 is where each was called from; the callers must agree. */
        if (na != nb || na < 2 || memcmp(a + 1, b + 1, (na - 1) * sizeof *a))
            report("comparator", a, na, b, nb);
    }
    uint64_t u = *(const uint64_t *)x, v = *(const uint64_t *)y;
    return u < v ? -1 : u > v;
}

static void on_prof(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)si;
    if (!in_sort)
        return;
    uintptr_t a[DEPTH], b[DEPTH];
    bool truncated;
    uint32_t na = unwind_from_ucontext(uc, a, DEPTH, &truncated);
    uint32_t nb = unwind_libgcc_current(b, DEPTH, 0);
    /* libgcc starts in this handler and passes the signal frame; from the
     * interrupted pc on, both must agree. */
    uint32_t k = 0;
    while (k < nb && b[k] != a[0])
        k++;
    from_signals++;
    if (na == 0 || k == nb || na != nb - k || memcmp(a, b + k, na * sizeof *a))
        report("signal", a, na, b + (k < nb ? k : 0), nb - (k < nb ? k : 0));
}

__attribute__((noinline)) static void sort_things(uint64_t *v, size_t n)
{
    in_sort = 1;
    qsort(v, n, sizeof *v, cmp);
    in_sort = 0;
}

int main(void)
{
    if (cfi_table_update(true)) {
        fprintf(stderr, "cannot build the unwind table\n");
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_prof;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGPROF, &sa, NULL);
    struct itimerval it = {{0, 2000}, {0, 2000}};
    setitimer(ITIMER_PROF, &it, NULL);
    size_t n = 50000;
    uint64_t *v = malloc(n * sizeof *v);
    uint64_t s = 7;
    for (int round = 0; round < 40 && from_signals < 200; round++) {
        for (size_t i = 0; i < n; i++) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            v[i] = s;
        }
        sort_things(v, n);
    }
    struct itimerval off;
    memset(&off, 0, sizeof off);
    setitimer(ITIMER_PROF, &off, NULL);
    free(v);
    printf("%lu stacks, %lu from signals, mismatches %lu\n", stacks + from_signals,
           from_signals, mismatches);
    return mismatches == 0 && stacks > 1000 && from_signals >= 20 ? 0 : 1;
}
