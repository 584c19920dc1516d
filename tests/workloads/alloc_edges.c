/*
 * The allocator's edge cases, one line each, printed as what a program can
 * observe (NULL or not, errno, a return code, whether a block is aligned,
 * zeroed, large enough, kept its contents), never as addresses, so that a
 * run under LD_PRELOAD=libhearth.so prints exactly what a run without it
 * prints: a profiler must not change what glibc does (alloc_edges.sh).
 * Then loops of successful calls with errno set to a sentinel before each,
 * counted per call kind: glibc leaves errno alone on success, and its free
 * preserves errno (since 2.33), sampled blocks (HEARTH_ALLOC_RATE=1
 * samples all) included. Every allocator function is called through a
 * volatile pointer, so the compiler neither folds nor drops a call nor
 * warns about the deliberately huge sizes.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *(*volatile f_malloc)(size_t) = malloc;
static void *(*volatile f_calloc)(size_t, size_t) = calloc;
static void *(*volatile f_realloc)(void *, size_t) = realloc;
static void *(*volatile f_reallocarray)(void *, size_t, size_t) = reallocarray;
static void (*volatile f_free)(void *) = free;
static int (*volatile f_posix_memalign)(void **, size_t, size_t) = posix_memalign;
static void *(*volatile f_aligned_alloc)(size_t, size_t) = aligned_alloc;
static void *(*volatile f_memalign)(size_t, size_t) = memalign;
static void *(*volatile f_valloc)(size_t) = valloc;
static void *(*volatile f_pvalloc)(size_t) = pvalloc;
static size_t (*volatile f_usable)(void *) = malloc_usable_size;

#define SENTINEL 12345
#define SENTINEL_PTR ((void *)(uintptr_t)0x5e5e5e5e5e5e5e50ull)

static volatile size_t size_max_v = SIZE_MAX;
static volatile size_t ptrdiff_max_v = PTRDIFF_MAX;

static size_t page;

/* errno as a word, or "errno unchanged" when it still holds the sentinel. */
static const char *err_name(int e)
{
    static char buf[32];
    switch (e) {
    case SENTINEL: return "errno unchanged";
    case ENOMEM: return "errno ENOMEM";
    case EINVAL: return "errno EINVAL";
    case 0: return "errno 0";
    default:
        snprintf(buf, sizeof buf, "errno %d", e);
        return buf;
    }
}

static const char *ret_name(int r)
{
    static char buf[32];
    switch (r) {
    case 0: return "0";
    case ENOMEM: return "ENOMEM";
    case EINVAL: return "EINVAL";
    default:
        snprintf(buf, sizeof buf, "%d", r);
        return buf;
    }
}

static const char *yesno(int b)
{
    return b ? "yes" : "no";
}

static int aligned(const void *p, size_t a)
{
    return a == 0 || (uintptr_t)p % a == 0;
}

static int is_pow2(size_t a)
{
    return a != 0 && (a & (a - 1)) == 0;
}

static int all_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(i * 131 + seed);
}

static int filled(const unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(i * 131 + seed))
            return 0;
    return 1;
}

/* A successful block: aligned to `align` (16 when not a power of two),
 * at least `want` usable bytes. */
static void describe(const char *what, void *p, int e, size_t align, size_t want)
{
    if (!p) {
        printf("%s: NULL, %s\n", what, err_name(e));
        return;
    }
    size_t a = is_pow2(align) ? align : 16;
    printf("%s: non-NULL, aligned to %zu %s, usable >= %zu %s, %s\n", what, a,
           yesno(aligned(p, a)), want, yesno(f_usable(p) >= want), err_name(e));
}

/* A size glibc refuses: only whether it failed, and errno. */
static void huge_malloc(const char *what, size_t n)
{
    errno = SENTINEL;
    void *p = f_malloc(n);
    printf("%s: %s, %s\n", what, p ? "non-NULL" : "NULL", err_name(errno));
    f_free(p);
}

static void case_malloc(void)
{
    void *p;
    errno = SENTINEL;
    p = f_malloc(0);
    describe("malloc(0)", p, errno, 16, 0);
    f_free(p);

    huge_malloc("malloc(SIZE_MAX)", size_max_v);
    huge_malloc("malloc(PTRDIFF_MAX+1)", ptrdiff_max_v + 1);
    huge_malloc("malloc(PTRDIFF_MAX)", ptrdiff_max_v);

    errno = SENTINEL;
    p = f_malloc(100);
    describe("malloc(100)", p, errno, 16, 100);
    f_free(p);

    errno = SENTINEL;
    p = f_malloc(3 << 20); /* mmap'd */
    describe("malloc(3 MiB)", p, errno, 16, 3 << 20);
    errno = SENTINEL;
    f_free(p);
    printf("free(3 MiB block): %s\n", err_name(errno));

    errno = SENTINEL;
    f_free(NULL);
    printf("free(NULL): %s\n", err_name(errno));

    errno = SENTINEL;
    size_t u = f_usable(NULL);
    printf("malloc_usable_size(NULL): %zu, %s\n", u, err_name(errno));
}

static void case_calloc(void)
{
    void *p;
    errno = SENTINEL;
    p = f_calloc(0, 10);
    describe("calloc(0, 10)", p, errno, 16, 0);
    f_free(p);

    errno = SENTINEL;
    p = f_calloc(10, 0);
    describe("calloc(10, 0)", p, errno, 16, 0);
    f_free(p);

    errno = SENTINEL;
    p = f_calloc(size_max_v / 2 + 1, 2);
    printf("calloc(SIZE_MAX/2+1, 2): %s, %s\n", p ? "non-NULL" : "NULL", err_name(errno));
    f_free(p);

    errno = SENTINEL;
    p = f_calloc(2, size_max_v / 2 + 1);
    printf("calloc(2, SIZE_MAX/2+1): %s, %s\n", p ? "non-NULL" : "NULL", err_name(errno));
    f_free(p);

    errno = SENTINEL;
    p = f_calloc(1, size_max_v);
    printf("calloc(1, SIZE_MAX): %s, %s\n", p ? "non-NULL" : "NULL", err_name(errno));
    f_free(p);

    static const size_t big[] = {1 << 20, 64 << 20};
    for (int i = 0; i < 2; i++) {
        char what[64];
        snprintf(what, sizeof what, "calloc(1, %zu MiB)", big[i] >> 20);
        errno = SENTINEL;
        p = f_calloc(1, big[i]);
        int e = errno;
        describe(what, p, e, 16, big[i]);
        if (p)
            printf("%s all zero: %s\n", what, yesno(all_zero(p, big[i])));
        f_free(p);
    }

    /* A dirty block freed, then calloc of the same size: glibc may hand
     * back the same chunk (small bins, the top, a heap block after the
     * mmap threshold has risen) and must clear it. */
    static const size_t sizes[] = {24, 100, 1000, 5000, 70000, 1 << 20};
    for (int i = 0; i < 6; i++) {
        for (int round = 0; round < 3; round++) {
            unsigned char *d = f_malloc(sizes[i]);
            if (d) {
                memset(d, 0xab, sizes[i]);
                f_free(d);
            }
        }
        errno = SENTINEL;
        unsigned char *c = f_calloc(sizes[i], 1);
        int e = errno;
        printf("calloc(%zu, 1) after free of a dirty block: %s, zeroed %s, %s\n", sizes[i],
               c ? "non-NULL" : "NULL", yesno(c && all_zero(c, sizes[i])), err_name(e));
        f_free(c);
    }
}

static void realloc_keeps(const char *what, size_t from, size_t to)
{
    unsigned char *p = f_malloc(from);
    if (!p) {
        printf("%s: malloc failed\n", what);
        return;
    }
    fill(p, from, 7);
    errno = SENTINEL;
    unsigned char *q = f_realloc(p, to);
    int e = errno;
    if (!q) {
        printf("%s: NULL, %s\n", what, err_name(e));
        f_free(p);
        return;
    }
    size_t keep = from < to ? from : to;
    printf("%s: non-NULL, contents kept %s, usable >= %zu %s, %s\n", what, yesno(filled(q, keep, 7)),
           to, yesno(f_usable(q) >= to), err_name(e));
    f_free(q);
}

static void case_realloc(void)
{
    void *p;
    errno = SENTINEL;
    p = f_realloc(NULL, 100);
    describe("realloc(NULL, 100)", p, errno, 16, 100);
    f_free(p);

    errno = SENTINEL;
    p = f_realloc(NULL, 0);
    describe("realloc(NULL, 0)", p, errno, 16, 0);
    f_free(p);

    p = f_malloc(100);
    errno = SENTINEL;
    void *q = f_realloc(p, 0);
    printf("realloc(p, 0): %s, %s\n", q ? "non-NULL" : "NULL", err_name(errno));
    if (q)
        f_free(q);

    p = f_malloc(2 << 20);
    errno = SENTINEL;
    q = f_realloc(p, 0);
    printf("realloc(2 MiB block, 0): %s, %s\n", q ? "non-NULL" : "NULL", err_name(errno));
    if (q)
        f_free(q);

    realloc_keeps("realloc grow 100 -> 5000", 100, 5000);
    realloc_keeps("realloc shrink 5000 -> 50", 5000, 50);
    realloc_keeps("realloc grow 10 -> 11", 10, 11);
    realloc_keeps("realloc grow 1 MiB -> 4 MiB", 1 << 20, 4 << 20);
    realloc_keeps("realloc shrink 4 MiB -> 512 KiB", 4 << 20, 512 << 10);
    realloc_keeps("realloc shrink 4 MiB -> 100", 4 << 20, 100);
    realloc_keeps("realloc grow 100 -> 8 MiB", 100, 8 << 20);

    static const size_t olds[] = {100, 3 << 20};
    for (int i = 0; i < 2; i++) {
        unsigned char *b = f_malloc(olds[i]);
        fill(b, olds[i], 3);
        errno = SENTINEL;
        q = f_realloc(b, size_max_v);
        int e = errno;
        int kept = filled(b, olds[i], 3);
        memset(b, 0x11, olds[i]); /* still usable */
        unsigned char *r = f_realloc(b, olds[i] * 2);
        int grew = r && r[olds[i] - 1] == 0x11;
        printf("realloc(%zu-byte block, SIZE_MAX): %s, %s, old block kept %s, usable after %s\n",
               olds[i], q ? "non-NULL" : "NULL", err_name(e), yesno(kept), yesno(grew));
        f_free(r ? r : b);

        b = f_malloc(olds[i]);
        fill(b, olds[i], 5);
        errno = SENTINEL;
        q = f_realloc(b, ptrdiff_max_v + 1);
        e = errno;
        printf("realloc(%zu-byte block, PTRDIFF_MAX+1): %s, %s, old block kept %s\n", olds[i],
               q ? "non-NULL" : "NULL", err_name(e), yesno(filled(b, olds[i], 5)));
        f_free(b);
    }

    unsigned char *b = f_malloc(64);
    fill(b, 64, 9);
    errno = SENTINEL;
    q = f_reallocarray(b, size_max_v / 2 + 1, 2);
    int e = errno;
    printf("reallocarray(p, SIZE_MAX/2+1, 2): %s, %s, old block kept %s\n", q ? "non-NULL" : "NULL",
           err_name(e), yesno(filled(b, 64, 9)));
    errno = SENTINEL;
    q = f_reallocarray(b, 100, 10);
    e = errno;
    printf("reallocarray(p, 100, 10): %s, contents kept %s, usable >= 1000 %s, %s\n",
           q ? "non-NULL" : "NULL", yesno(q && filled(q, 64, 9)), yesno(q && f_usable(q) >= 1000),
           err_name(e));
    errno = SENTINEL;
    void *z = f_reallocarray(q ? q : b, 0, 10);
    printf("reallocarray(p, 0, 10): %s, %s\n", z ? "non-NULL" : "NULL", err_name(errno));
    if (z)
        f_free(z);
    errno = SENTINEL;
    z = f_reallocarray(NULL, 10, 10);
    describe("reallocarray(NULL, 10, 10)", z, errno, 16, 100);
    f_free(z);
}

static void case_posix_memalign(void)
{
    static const size_t aligns[] = {0, 1, 3, 4, 8, 16, 24, 32, 48, 64, 4096, 1 << 20,
                                    (size_t)1 << 63};
    for (size_t i = 0; i < sizeof aligns / sizeof aligns[0]; i++) {
        void *p = SENTINEL_PTR;
        errno = SENTINEL;
        int r = f_posix_memalign(&p, aligns[i], 100);
        int e = errno;
        char what[64];
        snprintf(what, sizeof what, "posix_memalign(%zu, 100)", aligns[i]);
        if (r == 0 && p != SENTINEL_PTR) {
            printf("%s: returns %s, aligned %s, usable >= 100 %s, %s\n", what, ret_name(r),
                   yesno(aligned(p, aligns[i])), yesno(f_usable(p) >= 100), err_name(e));
            f_free(p);
        } else {
            printf("%s: returns %s, *memptr untouched %s, %s\n", what, ret_name(r),
                   yesno(p == SENTINEL_PTR), err_name(e));
        }
    }
    static const size_t sizes[] = {0, 1 << 20};
    for (int i = 0; i < 2; i++) {
        void *p = SENTINEL_PTR;
        errno = SENTINEL;
        int r = f_posix_memalign(&p, 64, sizes[i]);
        int e = errno;
        printf("posix_memalign(64, %zu): returns %s, aligned %s, usable >= %zu %s, %s\n", sizes[i],
               ret_name(r), yesno(r == 0 && aligned(p, 64)), sizes[i],
               yesno(r == 0 && f_usable(p) >= sizes[i]), err_name(e));
        if (r == 0)
            f_free(p);
    }
    static const size_t huge_aligns[] = {8, 64, 4096};
    for (int i = 0; i < 3; i++) {
        void *p = SENTINEL_PTR;
        errno = SENTINEL;
        int r = f_posix_memalign(&p, huge_aligns[i], size_max_v - 1000);
        int e = errno;
        printf("posix_memalign(%zu, SIZE_MAX-1000): returns %s, *memptr untouched %s, %s\n",
               huge_aligns[i], ret_name(r), yesno(p == SENTINEL_PTR), err_name(e));
        if (r == 0)
            f_free(p);
    }
}

static void case_aligned(void)
{
    static const size_t aligns[] = {0, 1, 2, 3, 8, 16, 24, 64, 100, 4096, 1 << 20,
                                    (size_t)1 << 63, ((size_t)1 << 63) + 1, SIZE_MAX};
    struct {
        const char *name;
        void *(*const volatile *fn)(size_t, size_t);
    } calls[] = {{"aligned_alloc", &f_aligned_alloc}, {"memalign", &f_memalign}};
    for (size_t c = 0; c < 2; c++) {
        for (size_t i = 0; i < sizeof aligns / sizeof aligns[0]; i++) {
            char what[64];
            snprintf(what, sizeof what, "%s(%zu, 256)", calls[c].name, aligns[i]);
            errno = SENTINEL;
            void *p = (*calls[c].fn)(aligns[i], 256);
            describe(what, p, errno, aligns[i], 256);
            f_free(p);
        }
    }
    errno = SENTINEL;
    void *p = f_memalign(64, size_max_v - 100);
    printf("memalign(64, SIZE_MAX-100): %s, %s\n", p ? "non-NULL" : "NULL", err_name(errno));
    f_free(p);
    errno = SENTINEL;
    p = f_aligned_alloc(64, size_max_v - 100);
    printf("aligned_alloc(64, SIZE_MAX-100): %s, %s\n", p ? "non-NULL" : "NULL", err_name(errno));
    f_free(p);
    errno = SENTINEL;
    p = f_memalign(4096, 3 << 20);
    describe("memalign(4096, 3 MiB)", p, errno, 4096, 3 << 20);
    f_free(p);
}

static void case_valloc(void)
{
    static const size_t sizes[] = {0, 1, 4095, 4096, 4097, 1 << 20};
    for (int i = 0; i < 6; i++) {
        char what[64];
        snprintf(what, sizeof what, "valloc(%zu)", sizes[i]);
        errno = SENTINEL;
        void *p = f_valloc(sizes[i]);
        describe(what, p, errno, page, sizes[i]);
        f_free(p);
    }
    for (int i = 0; i < 6; i++) {
        char what[64];
        size_t rounded = (sizes[i] + page - 1) / page * page;
        snprintf(what, sizeof what, "pvalloc(%zu)", sizes[i]);
        errno = SENTINEL;
        void *p = f_pvalloc(sizes[i]);
        describe(what, p, errno, page, rounded);
        if (p) {
            /* The whole rounded size is the caller's to write. */
            memset(p, 0x5a, rounded);
        }
        f_free(p);
    }
    errno = SENTINEL;
    void *p = f_valloc(size_max_v - 100);
    printf("valloc(SIZE_MAX-100): %s, %s\n", p ? "non-NULL" : "NULL", err_name(errno));
    f_free(p);
    errno = SENTINEL;
    p = f_pvalloc(size_max_v - 100);
    printf("pvalloc(SIZE_MAX-100): %s, %s\n", p ? "non-NULL" : "NULL", err_name(errno));
    f_free(p);
}

/* Loops of successful calls, errno at a sentinel before each. */
typedef struct counts {
    long malloc_n, malloc_chg, calloc_n, calloc_chg, realloc_n, realloc_chg;
    long pm_n, pm_chg, memalign_n, memalign_chg, aligned_n, aligned_chg;
    long free_n, free_chg, failed;
} counts;

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

/* Mostly small, some medium, every 128th above glibc's mmap threshold. */
static size_t pick_size(uint64_t *s)
{
    uint64_t r = lcg(s);
    if (r % 128 == 0)
        return 128 * 1024 + (size_t)(r % (384 * 1024));
    if (r % 16 == 0)
        return 1024 + (size_t)(r % 16384);
    return 1 + (size_t)(r % 1024);
}

#define RING 256

static void ring_free(counts *c, void **slot)
{
    if (!*slot)
        return;
    errno = SENTINEL;
    f_free(*slot);
    c->free_n++;
    c->free_chg += errno != SENTINEL;
    *slot = NULL;
}

static void churn(counts *c, uint64_t seed, long n_malloc, long n_other)
{
    void *ring[RING] = {0};
    uint64_t s = seed;
    for (long i = 0; i < n_malloc; i++) {
        void **slot = &ring[lcg(&s) % RING];
        ring_free(c, slot);
        size_t n = pick_size(&s);
        errno = SENTINEL;
        void *p = f_malloc(n);
        c->malloc_n++;
        c->malloc_chg += errno != SENTINEL;
        if (!p) {
            c->failed++;
            continue;
        }
        ((unsigned char *)p)[n - 1] = 1;
        *slot = p;
    }
    for (long i = 0; i < n_other; i++) {
        void **slot = &ring[lcg(&s) % RING];
        size_t n = pick_size(&s);
        void *p = NULL;
        int e;
        switch (i % 5) {
        case 0:
            ring_free(c, slot);
            errno = SENTINEL;
            p = f_calloc(1, n);
            e = errno;
            c->calloc_n++;
            c->calloc_chg += e != SENTINEL;
            break;
        case 1:
        case 2:
            /* Grows, shrinks, or starts a block (realloc of NULL). */
            errno = SENTINEL;
            p = f_realloc(*slot, n);
            e = errno;
            c->realloc_n++;
            c->realloc_chg += e != SENTINEL;
            if (p)
                *slot = NULL; /* the old block is gone */
            break;
        case 3:
            ring_free(c, slot);
            errno = SENTINEL;
            if (f_posix_memalign(&p, (size_t)64 << (i % 7), n) != 0)
                p = NULL;
            e = errno;
            c->pm_n++;
            c->pm_chg += e != SENTINEL;
            break;
        default:
            ring_free(c, slot);
            errno = SENTINEL;
            if (i % 2) {
                p = f_memalign((size_t)32 << (i / 5 % 5), n);
                e = errno;
                c->memalign_n++;
                c->memalign_chg += e != SENTINEL;
            } else {
                p = f_aligned_alloc((size_t)16 << (i / 5 % 6), n);
                e = errno;
                c->aligned_n++;
                c->aligned_chg += e != SENTINEL;
            }
            break;
        }
        if (!p) {
            c->failed++;
            continue;
        }
        ((unsigned char *)p)[n - 1] = 1;
        *slot = p;
    }
    for (int i = 0; i < RING; i++)
        ring_free(c, &ring[i]);
}

static void print_counts(const char *who, const counts *c)
{
    printf("%serrno changed by malloc: %ld of %ld\n", who, c->malloc_chg, c->malloc_n);
    printf("%serrno changed by calloc: %ld of %ld\n", who, c->calloc_chg, c->calloc_n);
    printf("%serrno changed by realloc: %ld of %ld\n", who, c->realloc_chg, c->realloc_n);
    printf("%serrno changed by posix_memalign: %ld of %ld\n", who, c->pm_chg, c->pm_n);
    printf("%serrno changed by memalign: %ld of %ld\n", who, c->memalign_chg, c->memalign_n);
    printf("%serrno changed by aligned_alloc: %ld of %ld\n", who, c->aligned_chg, c->aligned_n);
    printf("%serrno changed by free: %ld of %ld\n", who, c->free_chg, c->free_n);
    printf("%sallocations that failed: %ld\n", who, c->failed);
}

#define THREADS 4
static counts tc[THREADS];

static void *thread_churn(void *arg)
{
    counts *c = arg;
    churn(c, (uint64_t)(c - tc) + 99, 3000, 1000);
    return NULL;
}

/* A thread whose first call into the allocator is a free (of a block
 * another thread allocated): the hooks' first-call paths run inside free. */
static int first_free_errno;

static void *first_free(void *arg)
{
    errno = SENTINEL;
    f_free(arg);
    first_free_errno = errno;
    return NULL;
}

int main(void)
{
    /* The process's first allocations, before stdio's buffer: the
     * sampler's first sample in this thread is one of them. */
    errno = SENTINEL;
    void *first = f_malloc(1000);
    int first_malloc_errno = errno;
    errno = SENTINEL;
    f_free(first);
    int first_free_main_errno = errno;
    page = (size_t)sysconf(_SC_PAGESIZE);
    /* stdout's buffer is allocated now, not in the middle of a case. */
    printf("page size is a power of two: %s\n", yesno(is_pow2(page)));
    printf("first malloc(1000) of the process: %s, %s\n", first ? "non-NULL" : "NULL",
           err_name(first_malloc_errno));
    printf("free of that block: %s\n", err_name(first_free_main_errno));
    case_malloc();
    case_calloc();
    case_realloc();
    case_posix_memalign();
    case_aligned();
    case_valloc();

    counts c = {0};
    churn(&c, 1, 200000, 100000);
    print_counts("", &c);

    /* New threads: each one's first allocations take the sampler's
     * per-thread first paths. */
    pthread_t t[THREADS];
    int started = 0;
    for (int i = 0; i < THREADS; i++)
        started += pthread_create(&t[i], NULL, thread_churn, &tc[i]) == 0;
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    counts all = {0};
    for (int i = 0; i < THREADS; i++) {
        all.malloc_n += tc[i].malloc_n, all.malloc_chg += tc[i].malloc_chg;
        all.calloc_n += tc[i].calloc_n, all.calloc_chg += tc[i].calloc_chg;
        all.realloc_n += tc[i].realloc_n, all.realloc_chg += tc[i].realloc_chg;
        all.pm_n += tc[i].pm_n, all.pm_chg += tc[i].pm_chg;
        all.memalign_n += tc[i].memalign_n, all.memalign_chg += tc[i].memalign_chg;
        all.aligned_n += tc[i].aligned_n, all.aligned_chg += tc[i].aligned_chg;
        all.free_n += tc[i].free_n, all.free_chg += tc[i].free_chg;
        all.failed += tc[i].failed;
    }
    printf("threads started: %d of %d\n", started, THREADS);
    print_counts("threads: ", &all);

    pthread_t ft;
    first_free_errno = -1;
    void *block = f_malloc(200);
    if (pthread_create(&ft, NULL, first_free, block) == 0) {
        pthread_join(ft, NULL);
        printf("free as a new thread's first allocator call: %s\n", err_name(first_free_errno));
    } else {
        printf("free as a new thread's first allocator call: thread not started\n");
    }
    printf("done\n");
    return 0;
}
