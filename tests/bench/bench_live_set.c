/*
 * How long the live set's writer lock is held (sampler/live_set.c,
 * compiled in here). An insert (one per sample) waits for it, spinning,
 * so the longest hold is the longest extra wait a sampled malloc can see.
 * Three shapes, each at the table's default capacity:
 *   churn    a region kept at its growth limit (half full), a random live
 *            entry removed and a new one inserted, again and again: the
 *            remove's tombstone clean-up and the insert each hold the lock;
 *   backlog  K removes made while another thread holds the lock (each
 *            leaves its slot in the dirty bitmap), then one insert, whose
 *            unlock cleans them all: its hold grows with K;
 *   pages    the same with page-aligned blocks, 4 KiB apart (a heap's large
 *            blocks), in case regular addresses hash into runs.
 * Prints, per shape, the median, 99.9th percentile and largest hold in
 * nanoseconds, timed around each call with CLOCK_MONOTONIC (~20 ns of it
 * is the clock).
 *   bench_live_set [ROUNDS]
 */
#define BENCH_NAME "bench_live_set"
#define BENCH_SEED 42
#include "../../sampler/live_set.c"
#include "benchlib.h"

#define CAPACITY (1u << 18) /* sampler.c's LIVE_CAPACITY */

static void map_table(live_set *s)
{
    if (live_set_init(s, CAPACITY)) {
        fprintf(stderr, BENCH_NAME ": cannot map the table\n");
        exit(1);
    }
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void report(const char *what, int64_t *t, size_t n)
{
    qsort(t, n, sizeof *t, cmp_i64);
    printf("%-44s %8zu ops  median %6lld  p99.9 %7lld  p99.99 %7lld  max %8lld ns\n", what,
           n, (long long)t[n / 2], (long long)t[n - 1 - n / 1000],
           (long long)t[n - 1 - n / 10000], (long long)t[n - 1]);
}

/* A heap-like address: 16-byte aligned in a 1 GiB range, or page-aligned. */
static uintptr_t some_addr(int pages)
{
    uint64_t r = rng_next();
    return pages ? 0x7f0000000000u + (r % (1u << 18)) * 4096u
                 : 0x560000000000u + (r % (1u << 26)) * 16u;
}

/* Inserts `live` new blocks, their addresses into keys. */
static void fill(live_set *s, uintptr_t *keys, size_t live, int pages)
{
    for (size_t i = 0; i < live; i++) {
        do
            keys[i] = some_addr(pages);
        while (!live_set_insert(s, keys[i], (uint32_t)i, 64));
    }
}

/* Keeps `live` entries in the set, replacing one at random `ops` times;
 * times every remove (with its clean-up) and insert. */
static void churn(const char *what, size_t live, size_t ops, int pages)
{
    live_set s;
    map_table(&s);
    uintptr_t *keys = xcalloc(live, sizeof *keys);
    int64_t *t = xcalloc(2 * ops, sizeof *t);
    fill(&s, keys, live, pages);
    size_t n = 0;
    uint32_t stack;
    uint64_t size;
    for (size_t op = 0; op < ops; op++) {
        size_t i = rng_next() % live;
        int64_t t0 = bench_now_ns();
        bool found = live_set_remove(&s, keys[i], &stack, &size);
        int64_t t1 = bench_now_ns();
        if (!found) {
            fprintf(stderr, BENCH_NAME ": an entry went missing\n");
            exit(1);
        }
        t[n++] = t1 - t0;
        bool in;
        do {
            keys[i] = some_addr(pages);
            t0 = bench_now_ns();
            in = live_set_insert(&s, keys[i], (uint32_t)i, 64);
            t1 = bench_now_ns();
        } while (!in);
        t[n++] = t1 - t0;
    }
    report(what, t, n);
    free(keys);
    free(t);
    live_set_fini(&s);
}

/* `live` entries; another thread holds the lock while `k` of them are
 * removed; then one insert takes the lock and its unlock cleans up. */
static void backlog(size_t live, size_t k, int rounds)
{
    int64_t *t = xcalloc((size_t)rounds, sizeof *t);
    uintptr_t *keys = xcalloc(live, sizeof *keys);
    static char other_thread;
    for (int r = 0; r < rounds; r++) {
        live_set s;
        map_table(&s);
        fill(&s, keys, live, 0);
        atomic_store(&s.writer, (void *)&other_thread);
        uint32_t stack;
        uint64_t size;
        for (size_t i = 0; i < k; i++)
            live_set_remove(&s, keys[i], &stack, &size);
        atomic_store(&s.writer, NULL);
        int64_t t0 = bench_now_ns();
        live_set_insert(&s, some_addr(0), 0, 64);
        t[r] = bench_now_ns() - t0;
        live_set_fini(&s);
    }
    char what[64];
    snprintf(what, sizeof what, "backlog: insert after %zu deferred removes", k);
    report(what, t, (size_t)rounds);
    free(t);
    free(keys);
}

int main(int argc, char **argv)
{
    size_t ops = argc > 1 ? strtoul(argv[1], NULL, 10) : 200000;
    if (ops < 1000) {
        fprintf(stderr, "usage: " BENCH_NAME " [ROUNDS >= 1000]\n");
        return 2;
    }
    /* 2,048 live: the first region (4,096 slots) at its growth limit. */
    churn("churn: 2,048 live, 16-byte-aligned blocks", 2048, ops, 0);
    /* 16,000 live: a service with 8 GiB in use at one sample per 512 KiB. */
    churn("churn: 16,000 live, 16-byte-aligned blocks", 16000, ops, 0);
    churn("pages: 16,000 live, page-aligned blocks", 16000, ops, 1);
    backlog(2048, 100, 200);
    backlog(2048, 1000, 200);
    backlog(16000, 8000, 50);
    return 0;
}
