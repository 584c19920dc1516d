/*
 * The CFI table walker against libgcc's unwinder, frame for frame. Linked
 * with libhearth.a (built -O2 -fomit-frame-pointer by tests/cli/cpu.sh) so
 * it can call the sampler's unwinders directly. Two ways in:
 *   - from a qsort comparator (main -> sort_things -> glibc's qsort ->
 *     cmp), where unwind_current and unwind_libgcc_current must agree;
 *   - from its own SIGPROF handler while the same sort runs, where
 *     unwind_from_ucontext (what the CPU sampler uses) must give the frames
 *     libgcc reports after the signal frame.
 * Before that, cfi_table_find (spans, bucket index, search in a bucket)
 * is checked against a plain binary search over each object's rows at
 * every bucket boundary, around every row and object edge, and at random
 * pcs inside and between objects; and again after dlopen of the library
 * named by argv[1], whose rebuild reuses the other objects' rows.
 * From the comparator, libunwind's cached walk (what allocation stacks use
 * before the table exists) must give libgcc's pcs too, and after a dlclose
 * and in a forked child it must hand its walks to libgcc. First of all,
 * pthread_create's walks before the table must not have used libunwind.
 * Prints "N stacks, M from signals, mismatches K; L lookups; ..." and
 * exits 0 when K == 0 and enough of each were compared.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sampler/cfi_table.h"
#include "sampler/unwind.h"
#include "sampler/unwind_cfi.h"

#define DEPTH 64

static unsigned long stacks, from_signals, mismatches, calls, lookups, by_libunwind;
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
        uint32_t na = unwind_current(a, DEPTH, 0, true);
        uint32_t nb = unwind_libgcc_current(b, DEPTH, 0);
        stacks++;
        /* Frame 0 is where each was called from; the callers must agree. */
        if (na != nb || na < 2 || memcmp(a + 1, b + 1, (na - 1) * sizeof *a))
            report("comparator", a, na, b, nb);
        /* libunwind's cached walk (allocation stacks before the table)
         * against libgcc's, pc for pc. */
        uintptr_t c[DEPTH];
        uint64_t served = unwind_libunwind_served();
        uint32_t nc = unwind_libunwind_current(c, DEPTH, 0, NULL);
        if (unwind_libunwind_served() > served)
            by_libunwind++;
        if (nc != nb || nc < 2 || memcmp(c + 1, b + 1, (nc - 1) * sizeof *c))
            report("comparator, libunwind", c, nc, b, nb);
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

/* The reference: the object holding pc by a linear scan, then the last
 * row at or before pc by a binary search over all its rows. */
static const cfi_row *naive_find(const cfi_table *t, uintptr_t pc)
{
    for (uint32_t i = 0; i < t->n_objects; i++) {
        const cfi_object *o = t->objects[i];
        if (pc < o->start || pc >= o->end)
            continue;
        /* The first row past pc, found over all rows (no index); the one
         * before it is in effect (rows[0].pc_off == 0). */
        uint32_t off = (uint32_t)(pc - o->start), lo = 0, hi = o->n_rows;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (o->rows[mid].pc_off > off)
                hi = mid;
            else
                lo = mid + 1;
        }
        const cfi_row *r = &o->rows[lo - 1];
        return r->kind == CFI_NONE ? NULL : r;
    }
    return NULL;
}

static void check_lookup(const cfi_table *t, uintptr_t pc)
{
    const cfi_row *a = cfi_table_find(t, pc), *b = naive_find(t, pc);
    lookups++;
    if (a != b && mismatches++ <= 3)
        fprintf(stderr, "lookup %#lx: table row %p, reference %p\n", (unsigned long)pc,
                (const void *)a, (const void *)b);
}

static void check_lookups(const cfi_table *t)
{
    uint64_t s = 12345;
    for (uint32_t i = 0; i < t->n_objects; i++) {
        const cfi_object *o = t->objects[i];
        for (uint32_t b = 0; b <= o->n_buckets; b++)
            for (int d = -1; d <= 1; d++)
                check_lookup(t, o->start + ((uintptr_t)b << o->shift) + (uintptr_t)d);
        for (uint32_t r = 0; r < o->n_rows; r++)
            for (int d = -1; d <= 1; d++)
                check_lookup(t, o->start + o->rows[r].pc_off + (uintptr_t)d);
        check_lookup(t, o->end);
        check_lookup(t, o->end - 1);
        uintptr_t lo = i ? t->objects[i - 1]->end : o->start - 4096;
        uintptr_t hi = i + 1 < t->n_objects ? t->objects[i + 1]->start : o->end + 4096;
        for (int k = 0; k < 20000; k++) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            check_lookup(t, lo + s % (hi - lo));
        }
    }
}

__attribute__((noinline)) static void sort_things(uint64_t *v, size_t n)
{
    in_sort = 1;
    qsort(v, n, sizeof *v, cmp);
    in_sort = 0;
}

static void *idle(void *arg)
{
    return arg;
}

int main(int argc, char **argv)
{
    /* Before the table: the creating stacks of the sampler's own threads
     * (started by its constructor) and of this one, started by a thread
     * that allocation sampling has not set libunwind up in, are walked
     * with libgcc's unwinder, so that no thread sets up libunwind's cache
     * (~100-150 us, 256 KiB) for one walk. */
    uint64_t at_start = unwind_libunwind_served();
    pthread_t th;
    bool creating_by_libgcc = pthread_create(&th, NULL, idle, NULL) == 0 &&
                              pthread_join(th, NULL) == 0 && at_start == 0 &&
                              unwind_libunwind_served() == 0;
    if (!creating_by_libgcc) {
        fprintf(stderr, "creating stacks walked by libunwind: %lu at start, %lu after\n",
                (unsigned long)at_start, (unsigned long)unwind_libunwind_served());
        return 1;
    }
    if (cfi_table_update(true)) {
        fprintf(stderr, "cannot build the unwind table\n");
        return 1;
    }
    const cfi_table *t = cfi_table_enter();
    check_lookups(t);
    uint32_t before = t->n_objects;
    cfi_table_leave();
    if (argc > 1) {
        if (!dlopen(argv[1], RTLD_NOW) || cfi_table_update(false)) {
            fprintf(stderr, "cannot load %s or rebuild the table\n", argv[1]);
            return 1;
        }
        t = cfi_table_enter();
        check_lookups(t);
        cfi_table_leave();
        if (t->n_objects != before + 1) {
            fprintf(stderr, "%u objects after dlopen, %u before\n", t->n_objects, before);
            return 1;
        }
    }
    if (before < 2 || lookups < 100000) {
        fprintf(stderr, "too few lookups checked: %u objects, %lu lookups\n", before, lookups);
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
    /* In a forked child, walks go to libgcc: a lock of libunwind's may have
     * been held by a thread the child does not have. */
    bool fork_retired = false;
    pid_t pid = fork();
    if (pid == 0) {
        uint64_t before = unwind_libunwind_served();
        uintptr_t c[DEPTH];
        _exit(unwind_libunwind_current(c, DEPTH, 0, NULL) > 1 && unwind_libunwind_served() == before ? 0
                                                                                               : 1);
    }
    int status;
    fork_retired = pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
                   WEXITSTATUS(status) == 0;
    /* After the service's first dlclose (interposed by libhearth), walks go
     * to libgcc: libunwind's cache may describe code that is gone. */
    void *again = dlopen(argv[1], RTLD_NOW);
    bool retired = false;
    if (again && dlclose(again) == 0) {
        uint64_t before = unwind_libunwind_served();
        uintptr_t c[DEPTH];
        retired = unwind_libunwind_current(c, DEPTH, 0, NULL) > 1 && unwind_libunwind_served() == before;
    }
    printf("%lu stacks, %lu from signals, mismatches %lu; %lu lookups; %lu of %lu by libunwind, "
           "%s in a forked child, %s after dlclose\n",
           stacks + from_signals, from_signals, mismatches, lookups, by_libunwind, stacks,
           fork_retired ? "retired" : "NOT retired", retired ? "retired" : "NOT retired");
    return mismatches == 0 && stacks > 1000 && from_signals >= 20 && by_libunwind * 10 >= stacks * 9 &&
                   fork_retired && retired
               ? 0
               : 1;
}
