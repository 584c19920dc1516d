/*
 * The sampler's live-sample set (sampler/live_set.c, compiled in here: the
 * unit tests do not link the sampler): sizes round-trip exactly below
 * 2 GiB and in 4 KiB units above, removal returns what insertion stored,
 * the filter in front lets unsampled addresses out and sampled ones in,
 * the entry stays 16 bytes, the table fills a small region first, removes
 * leave no tombstones behind, and threads inserting, removing and
 * reallocating at once lose no entry.
 */
#include "../../sampler/live_set.c"
#include "../test.h"

#include <pthread.h>

/* Slots holding a deleted entry, over the whole table. */
static size_t tombstones(const live_set *s)
{
    size_t n = 0;
    for (size_t i = 0; i <= s->mask; i++)
        n += page_touched(s, i) && atomic_load(&s->slots[i].key) == LIVE_DELETED;
    return n;
}

/* Ends a test whose every entry was removed: nothing live, no tombstone
 * left, every filter counter back at zero (frees stop at the filter). */
static void check_left_empty(live_set *s)
{
    CHECK_EQ_INT(atomic_load(&s->count), 0);
    CHECK_EQ_INT(tombstones(s), 0);
    size_t nonzero = 0;
    for (size_t i = 0; i < ((size_t)1 << LIVE_FILTER_BITS); i++)
        nonzero += atomic_load(&s->filter[i]) != 0;
    CHECK_EQ_INT(nonzero, 0);
    live_set_fini(s);
}

TEST(live_set_entry_is_16_bytes)
{
    CHECK_EQ_INT(sizeof(live_entry), 16);
}

TEST(live_set_sizes_round_trip)
{
    static const uint64_t exact[] = {0, 1, 16, 4096, 1000003, LIVE_SIZE_BIG - 1};
    for (size_t i = 0; i < sizeof exact / sizeof *exact; i++)
        CHECK_EQ_INT(live_size_kept(exact[i]), exact[i]);
    /* 2 GiB and more: whole 4 KiB units, never more than asked, and what
     * is kept round-trips unchanged. */
    static const uint64_t big[] = {LIVE_SIZE_BIG, (5ull << 30) + 123, (1ull << 40) + 4097};
    for (size_t i = 0; i < sizeof big / sizeof *big; i++) {
        uint64_t k = live_size_kept(big[i]);
        CHECK(k <= big[i] && big[i] - k < 4096 && k % 4096 == 0);
        CHECK_EQ_INT(live_size_kept(k), k);
    }
    /* Beyond 8 TiB the size saturates instead of wrapping. */
    CHECK(live_size_kept(1ull << 50) >= (8ull << 40) - 8192);
}

TEST(live_set_insert_remove)
{
    live_set s;
    REQUIRE(live_set_init(&s, 1024) == 0);
    uint32_t stack;
    uint64_t size;
    CHECK(!live_set_remove(&s, 0x10000, &stack, &size));
    CHECK(live_set_insert(&s, 0x10000, 7, 4096));
    CHECK(live_set_insert(&s, 0x20010, 9, (6ull << 30) + 5));
    CHECK_EQ_INT(atomic_load(&s.count), 2);
    /* The filter counts by 4 KiB page: the sampled blocks' pages are
     * marked, a page with none is not. */
    CHECK_EQ_INT(atomic_load(&s.filter[live_filter_index(0x10000)]), 1);
    CHECK_EQ_INT(atomic_load(&s.filter[live_filter_index(0x10ff0)]), 1);
    CHECK_EQ_INT(atomic_load(&s.filter[live_filter_index(0x11000)]), 0);
    /* A neighbour never sampled is not found. */
    CHECK(!live_set_remove(&s, 0x10010, &stack, &size));
    REQUIRE(live_set_remove(&s, 0x20010, &stack, &size));
    CHECK_EQ_INT(stack, 9);
    CHECK_EQ_INT(size, live_size_kept((6ull << 30) + 5));
    REQUIRE(live_set_remove(&s, 0x10000, &stack, &size));
    CHECK_EQ_INT(stack, 7);
    CHECK_EQ_INT(size, 4096);
    /* Removed once, gone: a second free of the address finds nothing. */
    CHECK(!live_set_remove(&s, 0x10000, &stack, &size));
    CHECK_EQ_INT(atomic_load(&s.count), 0);
    live_set_fini(&s);
}

TEST(live_set_many_entries_and_filter)
{
    live_set s;
    REQUIRE(live_set_init(&s, 1 << 14) == 0);
    uint32_t stack;
    uint64_t size;
    /* 4,000 blocks 48 bytes apart, as a heap hands them out. */
    for (uint32_t i = 0; i < 4000; i++)
        REQUIRE(live_set_insert(&s, 0x7f0000000000u + 48u * i, i, i + 1));
    size_t kept = 0;
    for (uint32_t i = 0; i < 4000; i += 2) {
        REQUIRE(live_set_remove(&s, 0x7f0000000000u + 48u * i, &stack, &size));
        CHECK_EQ_INT(stack, i);
        CHECK_EQ_INT(size, i + 1);
    }
    for (uint32_t i = 1; i < 4000; i += 2)
        kept += live_set_remove(&s, 0x7f0000000000u + 48u * i, &stack, &size) && stack == i;
    CHECK_EQ_INT(kept, 2000);
    /* Every counter is back at zero, so frees stop at the filter again. */
    check_left_empty(&s);
}

/* Pages of the slot table that are mapped (mincore), of n_pages. */
static size_t resident_pages(const live_set *s, size_t n_pages)
{
    unsigned char vec[1024];
    if (n_pages > sizeof vec || mincore(s->slots, n_pages * 4096, vec) != 0)
        return SIZE_MAX;
    size_t n = 0;
    for (size_t i = 0; i < n_pages; i++)
        n += vec[i] & 1;
    return n;
}

TEST(live_set_lookups_leave_untouched_pages_alone)
{
    /* 16,384 slots: 64 pages. One sampled block, then lookups of 2,000
     * blocks never sampled (the case of a free whose page holds a sampled
     * block): each lands on a random slot, and a lookup that reads a page
     * no insert ever wrote would map it (the zero page, which the first
     * insert there must then copy, flushing the other CPUs' TLBs). */
    live_set s;
    REQUIRE(live_set_init(&s, 1 << 14) == 0);
    size_t pages = ((size_t)1 << 14) * sizeof(live_entry) / 4096;
    CHECK_EQ_INT(resident_pages(&s, pages), 0);
    REQUIRE(live_set_insert(&s, 0x5550000010u, 3, 64));
    size_t after_insert = resident_pages(&s, pages);
    CHECK(after_insert >= 1 && after_insert <= 2);
    uint32_t stack;
    uint64_t size;
    for (uint32_t i = 1; i <= 2000; i++)
        CHECK(!live_set_remove_slow(&s, 0x5550000010u + 16u * i, &stack, &size));
    CHECK_EQ_INT(resident_pages(&s, pages), after_insert);
    /* Blocks inserted on many pages are all found again. */
    for (uint32_t i = 1; i <= 2000; i++)
        REQUIRE(live_set_insert(&s, 0x6660000000u + 4096u * i, i, i));
    CHECK(resident_pages(&s, pages) > after_insert);
    size_t found = 0;
    for (uint32_t i = 1; i <= 2000; i++)
        found += live_set_remove_slow(&s, 0x6660000000u + 4096u * i, &stack, &size) && stack == i;
    CHECK_EQ_INT(found, 2000);
    REQUIRE(live_set_remove_slow(&s, 0x5550000010u, &stack, &size));
    CHECK_EQ_INT(stack, 3);
    live_set_fini(&s);
}

/* The n-th block address of a heap-like sequence: 16-byte aligned, spread
 * over many pages. */
static uintptr_t block_addr(uint32_t n, uint32_t salt)
{
    return 0x7e0000000000u + (uintptr_t)salt * 0x10000000u + (uintptr_t)n * 208u;
}

TEST(live_set_removes_leave_no_tombstones)
{
    /* A service's life in small: 300,000 samples through a table of 16,384
     * slots, 500 live at a time. Left as tombstones, the slots every
     * sample ever used would fill the first region, so that a lookup of a
     * block never sampled walked the whole probe limit. */
    live_set s;
    REQUIRE(live_set_init(&s, 1 << 14) == 0);
    uint32_t stack;
    uint64_t size;
    size_t lost = 0, max_tombs = 0;
    for (uint32_t i = 0; i < 300000; i++) {
        REQUIRE(live_set_insert(&s, block_addr(i, 0), i, 64));
        if (i >= 500) {
            lost += !(live_set_remove(&s, block_addr(i - 500, 0), &stack, &size) &&
                      stack == i - 500);
        }
        if (i % 50000 == 0) {
            size_t t = tombstones(&s);
            max_tombs = t > max_tombs ? t : max_tombs;
        }
    }
    CHECK_EQ_INT(lost, 0);
    /* Only tombstones followed by a live entry may stay: a few hundred. */
    CHECK(max_tombs < 400);
    for (uint32_t i = 300000 - 500; i < 300000; i++)
        lost += !live_set_remove(&s, block_addr(i, 0), &stack, &size);
    CHECK_EQ_INT(lost, 0);
    CHECK_EQ_INT(tombstones(&s), 0);
    CHECK_EQ_INT(atomic_load(&s.count), 0);
    /* Still in the first region: 500 live never needed a larger one. */
    CHECK_EQ_INT(atomic_load(&s.bits), LIVE_FIRST_BITS);
    live_set_fini(&s);
}

TEST(live_set_fills_a_small_region_first)
{
    /* The default table: 262,144 slots, 1,024 pages. A hundred samples
     * touch at most the first region's 16 pages, however their addresses
     * hash; 20,000 live ones make it grow, and all are found again. */
    live_set s;
    REQUIRE(live_set_init(&s, 1 << 18) == 0);
    size_t pages = ((size_t)1 << 18) * sizeof(live_entry) / 4096;
    for (uint32_t i = 0; i < 100; i++)
        REQUIRE(live_set_insert(&s, block_addr(i * 977u, 1), i, 32));
    size_t resident = resident_pages(&s, pages);
    CHECK(resident >= 1 && resident <= ((size_t)1 << LIVE_FIRST_BITS) * sizeof(live_entry) / 4096);
    for (uint32_t i = 100; i < 20000; i++)
        REQUIRE(live_set_insert(&s, block_addr(i * 977u, 1), i, 32));
    CHECK_EQ_INT(atomic_load(&s.bits), 16);
    CHECK(resident_pages(&s, pages) <= ((size_t)1 << 16) * sizeof(live_entry) / 4096);
    uint32_t stack;
    uint64_t size;
    size_t found = 0;
    for (uint32_t i = 0; i < 20000; i++)
        found += live_set_remove(&s, block_addr(i * 977u, 1), &stack, &size) && stack == i;
    CHECK_EQ_INT(found, 20000);
    check_left_empty(&s);
}

TEST(live_set_take_hides_an_entry_until_put_back_or_released)
{
    live_set s;
    REQUIRE(live_set_init(&s, 1 << 12) == 0);
    uint32_t stack = 0;
    uint64_t size = 0;
    REQUIRE(live_set_insert(&s, 0x4440000020u, 5, 100));
    CHECK_EQ_INT(live_set_take(&s, 0x4440000030u, &stack, &size), 0);
    size_t t = live_set_take(&s, 0x4440000020u, &stack, &size);
    REQUIRE(t != 0);
    CHECK_EQ_INT(stack, 5);
    CHECK_EQ_INT(size, 100);
    /* Taken: a free of the address (reused by another thread) misses. */
    CHECK(!live_set_remove(&s, 0x4440000020u, &stack, &size));
    /* The address sampled again meanwhile goes to another slot. */
    REQUIRE(live_set_insert(&s, 0x4440000020u, 8, 200));
    REQUIRE(live_set_remove(&s, 0x4440000020u, &stack, &size));
    CHECK_EQ_INT(stack, 8);
    live_set_put_back(&s, t, 0x4440000020u);
    REQUIRE(live_set_remove(&s, 0x4440000020u, &stack, &size));
    CHECK_EQ_INT(stack, 5);
    REQUIRE(live_set_insert(&s, 0x4440000020u, 6, 300));
    t = live_set_take(&s, 0x4440000020u, &stack, &size);
    REQUIRE(t != 0);
    live_set_release(&s, t, 0x4440000020u);
    CHECK(!live_set_remove(&s, 0x4440000020u, &stack, &size));
    CHECK_EQ_INT(atomic_load(&s.count), 0);
    CHECK_EQ_INT(atomic_load(&s.filter[live_filter_index(0x4440000020u)]), 0);
    CHECK_EQ_INT(tombstones(&s), 0);
    live_set_fini(&s);
}

/* Live blocks per thread: eight threads keep 1,200 in 4,096 slots. */
#define CHURN_LIVE 150

/* Each thread samples its own blocks, CHURN_LIVE at a time, frees the
 * oldest, reallocates some (take, then put back or release) and looks up
 * blocks nobody sampled, all at once with the others. */
typedef struct churn_arg {
    live_set *s;
    uint32_t salt;
    size_t lost, ghosts, dropped;
} churn_arg;

static void *churn(void *p)
{
    churn_arg *a = p;
    uint32_t stack;
    uint64_t size;
    for (uint32_t i = 0; i < 200000; i++) {
        if (!live_set_insert(a->s, block_addr(i, a->salt), i ^ a->salt, 16))
            a->dropped++;
        a->ghosts += live_set_remove(a->s, block_addr(i, a->salt) + 16, &stack, &size);
        if (i < CHURN_LIVE)
            continue;
        uint32_t old = i - CHURN_LIVE;
        if (old % 7 == 0) {
            size_t t = live_set_take(a->s, block_addr(old, a->salt), &stack, &size);
            if (!t || stack != (old ^ a->salt)) {
                a->lost++;
                continue;
            }
            if (old % 2)
                live_set_release(a->s, t, block_addr(old, a->salt));
            else
                live_set_put_back(a->s, t, block_addr(old, a->salt));
            if (old % 2)
                continue;
        }
        a->lost += !(live_set_remove(a->s, block_addr(old, a->salt), &stack, &size) &&
                     stack == (old ^ a->salt));
    }
    for (uint32_t old = 200000 - CHURN_LIVE; old < 200000; old++)
        a->lost += !live_set_remove(a->s, block_addr(old, a->salt), &stack, &size);
    return NULL;
}

TEST(live_set_threads_lose_no_entry)
{
    /* A table small enough that the threads' entries share probe chains:
     * an insert racing with a clean-up would leave its key beyond an
     * empty slot, and that block's remove would miss. */
    live_set s;
    REQUIRE(live_set_init(&s, 1 << 12) == 0);
    enum { N = 8 };
    pthread_t th[N];
    churn_arg args[N];
    for (int i = 0; i < N; i++) {
        args[i] = (churn_arg){&s, (uint32_t)i + 1, 0, 0, 0};
        REQUIRE(pthread_create(&th[i], NULL, churn, &args[i]) == 0);
    }
    size_t lost = 0, ghosts = 0, dropped = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        lost += args[i].lost;
        ghosts += args[i].ghosts;
        dropped += args[i].dropped;
    }
    CHECK_EQ_INT(dropped, 0);
    CHECK_EQ_INT(lost, 0);
    CHECK_EQ_INT(ghosts, 0);
    check_left_empty(&s);
}

TEST(live_set_defers_clean_up_while_the_lock_is_held)
{
    live_set s;
    REQUIRE(live_set_init(&s, 1 << 18) == 0);
    uint32_t stack;
    uint64_t size;
    for (uint32_t i = 0; i < 40; i++)
        REQUIRE(live_set_insert(&s, block_addr(i * 20, 2), i, 16));
    /* Another thread inserts (preempted) while a thread that only frees
     * removes 20 blocks others sampled: removes do not wait, they leave
     * their slots to the lock's next holder, however many. */
    static char other_thread;
    atomic_store(&s.writer, (void *)&other_thread);
    for (uint32_t i = 0; i < 20; i++)
        REQUIRE(live_set_remove(&s, block_addr(i * 20, 2), &stack, &size));
    CHECK_EQ_INT(tombstones(&s), 20);
    atomic_store(&s.writer, NULL);
    REQUIRE(live_set_insert(&s, block_addr(1000, 2), 1000, 16));
    CHECK_EQ_INT(tombstones(&s), 0);
    REQUIRE(live_set_remove(&s, block_addr(1000, 2), &stack, &size));
    CHECK_EQ_INT(stack, 1000);
    for (uint32_t i = 20; i < 40; i++)
        REQUIRE(live_set_remove(&s, block_addr(i * 20, 2), &stack, &size));
    /* A signal handler that interrupted this thread's own clean-up: its
     * sample is dropped and counted, it does not wait for itself. */
    atomic_store(&s.writer, (void *)&writer_token);
    CHECK(!live_set_insert(&s, block_addr(1001, 2), 1001, 16));
    CHECK_EQ_INT(atomic_load(&s.dropped), 1);
    atomic_store(&s.writer, NULL);
    CHECK(!live_set_remove(&s, block_addr(1001, 2), &stack, &size));
    check_left_empty(&s);
}

static int dropped_calls;
static uint32_t dropped_stack;
static uint64_t dropped_bytes;

static void note_dropped(uint32_t stack, uint64_t size)
{
    dropped_calls++;
    dropped_stack = stack;
    dropped_bytes += size;
}

struct take_arg {
    live_set *s;
    uintptr_t addr;
    size_t taken;
};

static void *take_and_exit(void *p)
{
    struct take_arg *a = p;
    uint32_t stack;
    uint64_t size;
    a->taken = live_set_take(a->s, a->addr, &stack, &size);
    return NULL;
}

TEST(live_set_child_drops_what_threads_it_lacks_had_taken)
{
    /* fork() came while another thread was inside realloc of a sampled
     * block (it is not in the child, so its entry would stay hidden for
     * good), and while this thread was inside its own realloc (fork from a
     * signal handler: that realloc finishes in the child). */
    live_set s;
    REQUIRE(live_set_init(&s, 1 << 12) == 0);
    uintptr_t a = block_addr(1, 4), b = block_addr(2, 4), c = block_addr(3, 4);
    REQUIRE(live_set_insert(&s, a, 1, 100));
    REQUIRE(live_set_insert(&s, b, 2, 200));
    REQUIRE(live_set_insert(&s, c, 3, 300));
    CHECK_EQ_INT(live_set_drop_taken(&s, note_dropped), 0);
    struct take_arg other = {&s, a, 0};
    pthread_t th;
    REQUIRE(pthread_create(&th, NULL, take_and_exit, &other) == 0);
    pthread_join(th, NULL);
    REQUIRE(other.taken != 0);
    uint32_t stack;
    uint64_t size;
    size_t mine = live_set_take(&s, b, &stack, &size);
    REQUIRE(mine != 0);
    /* In the child. */
    live_set_reset_lock(&s);
    CHECK_EQ_INT(live_set_drop_taken(&s, note_dropped), 1);
    CHECK_EQ_INT(dropped_calls, 1);
    CHECK_EQ_INT(dropped_stack, 1);
    CHECK_EQ_INT(dropped_bytes, 100);
    CHECK_EQ_INT(atomic_load(&s.count), 2);
    CHECK_EQ_INT(atomic_load(&s.takes), 1);
    CHECK_EQ_INT(tombstones(&s), 0);
    /* Only this thread's take is open now: nothing more to drop. */
    CHECK_EQ_INT(live_set_drop_taken(&s, note_dropped), 0);
    CHECK_EQ_INT(dropped_calls, 1);
    /* This thread's realloc fails and gives its entry back. */
    live_set_put_back(&s, mine, b);
    REQUIRE(live_set_remove(&s, b, &stack, &size));
    CHECK_EQ_INT(stack, 2);
    REQUIRE(live_set_remove(&s, c, &stack, &size));
    CHECK(!live_set_remove(&s, a, &stack, &size));
    CHECK_EQ_INT(atomic_load(&s.takes), 0);
    CHECK_EQ_INT(atomic_load(&s.count), 0);
    CHECK_EQ_INT(tombstones(&s), 0);
    /* The dropped entry's filter counter stays one too high (its slot no
     * longer said which page it was); every other one is back at zero. */
    size_t nonzero = 0;
    for (size_t i = 0; i < ((size_t)1 << LIVE_FILTER_BITS); i++)
        nonzero += atomic_load(&s.filter[i]) != 0;
    CHECK_EQ_INT(nonzero, 1);
    CHECK_EQ_INT(atomic_load(&s.filter[live_filter_index(a)]), 1);
    live_set_fini(&s);
}

/* The n-th address (from 0) whose first slot in the set's first region is
 * `slot`. */
static uintptr_t addr_at_slot(const live_set *s, size_t slot, int n)
{
    for (uintptr_t a = 0x7f0000000000u;; a += 16)
        if (slot_of(s, a, s->min_bits) == slot && n-- == 0)
            return a;
}

TEST(live_set_child_drops_takes_past_the_region_end)
{
    /* Two blocks whose first slot is the first region's last: the second
     * lies in the slot after the region (probes wrap by the table, not
     * the region). Taken there by a thread the child lacks, it is found
     * and dropped all the same. */
    live_set s;
    REQUIRE(live_set_init(&s, 1 << 14) == 0);
    size_t last = ((size_t)1 << s.min_bits) - 1;
    uintptr_t a = addr_at_slot(&s, last, 0), b = addr_at_slot(&s, last, 1);
    REQUIRE(live_set_insert(&s, a, 1, 100));
    REQUIRE(live_set_insert(&s, b, 2, 200));
    REQUIRE(find_key(&s, b) == last + 1);
    struct take_arg other = {&s, b, 0};
    pthread_t th;
    REQUIRE(pthread_create(&th, NULL, take_and_exit, &other) == 0);
    pthread_join(th, NULL);
    REQUIRE(other.taken != 0);
    live_set_reset_lock(&s);
    dropped_calls = 0;
    dropped_bytes = 0;
    CHECK_EQ_INT(live_set_drop_taken(&s, note_dropped), 1);
    CHECK_EQ_INT(dropped_bytes, 200);
    CHECK_EQ_INT(atomic_load(&s.takes), 0);
    uint32_t stack;
    uint64_t size;
    REQUIRE(live_set_remove(&s, a, &stack, &size));
    CHECK_EQ_INT(tombstones(&s), 0);
    live_set_fini(&s);
}

TEST(live_set_child_keeps_the_lock_its_own_thread_holds)
{
    /* fork() from a signal handler that interrupted this thread's own
     * insert: the lock stays this thread's, so the child's drop leaves its
     * slot to the insert's unlock instead of emptying slots an insert in
     * progress may have probed past. */
    live_set s;
    REQUIRE(live_set_init(&s, 1 << 12) == 0);
    uintptr_t y = addr_at_slot(&s, 100, 0);
    REQUIRE(live_set_insert(&s, y, 1, 100));
    struct take_arg other = {&s, y, 0};
    pthread_t th;
    REQUIRE(pthread_create(&th, NULL, take_and_exit, &other) == 0);
    pthread_join(th, NULL);
    REQUIRE(other.taken != 0);
    REQUIRE(lock_try(&s));
    live_set_reset_lock(&s);
    CHECK(atomic_load(&s.writer) == (void *)&writer_token);
    CHECK_EQ_INT(live_set_drop_taken(&s, note_dropped), 1);
    CHECK_EQ_INT(tombstones(&s), 1);
    unlock(&s);
    CHECK_EQ_INT(tombstones(&s), 0);
    CHECK_EQ_INT(atomic_load(&s.count), 0);
    live_set_fini(&s);
}

TEST(live_set_gives_up_on_a_lock_never_let_go)
{
    /* A signal handler jumped out of another thread's clean-up: its lock
     * stays taken. The next insert waits about a second, then it and all
     * later ones fail at once instead of hanging; removes still work. */
    live_set s;
    REQUIRE(live_set_init(&s, 1 << 12) == 0);
    REQUIRE(live_set_insert(&s, block_addr(1, 3), 1, 16));
    static char other_thread;
    atomic_store(&s.writer, (void *)&other_thread);
    int64_t t0 = monotonic_ns();
    CHECK(!live_set_insert(&s, block_addr(2, 3), 2, 16));
    int64_t waited = monotonic_ns() - t0;
    CHECK(waited >= LIVE_WAIT_NS && waited < 10 * LIVE_WAIT_NS);
    CHECK(atomic_load(&s.stuck));
    t0 = monotonic_ns();
    CHECK(!live_set_insert(&s, block_addr(3, 3), 3, 16));
    CHECK(monotonic_ns() - t0 < LIVE_WAIT_NS / 10);
    CHECK_EQ_INT(atomic_load(&s.dropped), 2);
    uint32_t stack;
    uint64_t size;
    REQUIRE(live_set_remove(&s, block_addr(1, 3), &stack, &size));
    CHECK_EQ_INT(stack, 1);
    /* The holder lets go after all (a debugger let it run): the next
     * insert takes the lock and the set is no longer stuck. */
    atomic_store(&s.writer, NULL);
    CHECK(live_set_insert(&s, block_addr(4, 3), 4, 16));
    CHECK(!atomic_load(&s.stuck));
    /* A forked child starts over. */
    atomic_store(&s.writer, (void *)&other_thread);
    atomic_store(&s.stuck, true);
    live_set_reset_lock(&s);
    CHECK(live_set_insert(&s, block_addr(5, 3), 5, 16));
    live_set_fini(&s);
}
