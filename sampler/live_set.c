/*
 * Open addressing over block addresses, linear probing with tombstones.
 * Lookups (every free() that passes the filter) and removes take no lock;
 * inserts (one per sample) and the clean-up of tombstones take a writer
 * lock, so the two never race. Probes stop after LIVE_PROBES slots, so a
 * free() never scans a crowded table. A 64 KiB filter of per-page counters
 * sits in front (live_set.h): most free()s read one byte, usually in L1,
 * and stop.
 *
 * Regions. Inserts go to the newest of disjoint regions: slots [0, 4096)
 * (64 KiB) first, then [4096, 16384), [16384, 65536) and so on, a new one
 * whenever the live entries would half fill the current one, up to the
 * whole table (262,144 slots at the default: a service with 8 GiB live
 * keeps ~16,000 entries at one sample per 512 KiB). Entries never move, so
 * a lookup probes once per region used so far (at most four); regions
 * are disjoint because nested ones piled each later region's share onto
 * the first, which filled up. Hashing over the whole table from the start
 * put a process's first samples on ~900 different pages, each zeroed by
 * the kernel on its first write: 890 of the 24,680 page faults of perl's
 * text job, and 4 MiB of the sampler's memory in a long run.
 *
 * Tombstones. A remove turns its slot into a tombstone, then empties the
 * tombstones around it that no chain of probes passes: those with no live
 * entry after them, within the probe limit and before an empty slot, whose
 * first slot lies at or before them. Without this, in a long-running
 * service every slot that ever held a sample stays a tombstone, the empty
 * slots run out after a few times the capacity in samples (minutes for a
 * service allocating 1 GB/s), and from then on every lookup walks all
 * LIVE_PROBES slots. Emptying a slot must not race with an insert that,
 * having passed it, claims a later one: the new key would lie beyond an
 * empty slot, unreachable. Hence the lock. A remove never waits for it (a
 * free() in a signal handler may have interrupted the holder): it marks
 * its block of slots in a bitmap that the lock's next holder cleans.
 *
 * Memory: capacity x 16 bytes plus the filter, a bit per page of slots and
 * a bit per 64 slots, mapped once; a slot page costs memory from its first
 * insert.
 */
#include "live_set.h"

#include <sched.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define LIVE_EMPTY ((uintptr_t)0)
#define LIVE_DELETED ((uintptr_t)1)
/* Occupied but found by no lookup: an entry realloc has taken, keyed by
 * the taking thread's token (its writer_token's address) with the low two
 * bits set, so never a malloc address, and a forked child tells its own
 * thread's takes from those of threads it does not have. */
static inline bool key_taken(uintptr_t k)
{
    return (k & 3) == 3;
}
#define LIVE_PROBES 64
/* The first region's size, and its growth at each step (log2). */
#define LIVE_FIRST_BITS 12
#define LIVE_GROW_BITS 2

static inline _Atomic uint8_t *filter_of(const live_set *s, uintptr_t addr)
{
    return &s->filter[live_filter_index(addr)];
}

static void filter_add(const live_set *s, uintptr_t addr, int d)
{
    _Atomic uint8_t *f = filter_of(s, addr);
    uint8_t v = atomic_load_explicit(f, memory_order_relaxed);
    while (v != 255 && !atomic_compare_exchange_weak_explicit(f, &v, (uint8_t)(v + d),
                                                              memory_order_relaxed,
                                                              memory_order_relaxed))
        ;
}

/*
 * Which pages of the slot table an insert has ever written. A lookup for a
 * block that was never sampled (its page's filter counter is non-zero
 * because another block there was) lands on a random slot; reading an
 * untouched page maps the shared zero page, and the first insert there
 * then takes a second fault that copies it and flushes the other CPUs'
 * TLBs: perl's text job took ~600 such reads and ~470 flushes. A clear
 * bit answers "not here" without touching the page. 128 bytes for the
 * default 4 MiB table.
 */
#define SLOTS_PER_PAGE (4096 / sizeof(live_entry))

static inline bool page_touched(const live_set *s, size_t slot)
{
    size_t page = slot / SLOTS_PER_PAGE;
    return atomic_load_explicit(&s->touched[page / 64], memory_order_acquire) &
           ((uint64_t)1 << (page % 64));
}

static inline void touch_page(live_set *s, size_t slot)
{
    size_t page = slot / SLOTS_PER_PAGE;
    uint64_t bit = (uint64_t)1 << (page % 64);
    if (!(atomic_load_explicit(&s->touched[page / 64], memory_order_relaxed) & bit))
        atomic_fetch_or_explicit(&s->touched[page / 64], bit, memory_order_release);
}

static size_t touched_bytes(size_t capacity)
{
    size_t pages = (capacity + SLOTS_PER_PAGE - 1) / SLOTS_PER_PAGE;
    return (pages + 63) / 64 * sizeof(uint64_t);
}

/*
 * addr's first slot in the region that ends at slot 2^bits: Fibonacci
 * hashing (the product's top bits spread a heap's evenly spaced addresses
 * evenly), scaled to the region. Regions are disjoint, [0, 2^first) then
 * [2^prev, 2^bits): nested regions piled each later region's share onto
 * the earlier ones, and the first filled up.
 */
static inline size_t region_lo(const live_set *s, unsigned bits)
{
    return bits == s->min_bits ? 0 : (size_t)1 << (bits - LIVE_GROW_BITS);
}

static inline size_t slot_of(const live_set *s, uintptr_t addr, unsigned bits)
{
    uint64_t x = ((uint64_t)addr >> 4) * 0x9e3779b97f4a7c15ull;
    size_t lo = region_lo(s, bits);
    return lo + (size_t)(((x >> 32) * (uint64_t)(((size_t)1 << bits) - lo)) >> 32);
}

/* Slots a bit of the dirty bitmap stands for. */
#define DIRTY_SLOTS 64

static size_t dirty_bytes(size_t capacity)
{
    return (capacity / DIRTY_SLOTS + 63) / 64 * sizeof(uint64_t);
}

/* The filter, the touched bitmap, then the dirty one, in one mapping. */
static size_t aux_bytes(size_t capacity)
{
    return ((size_t)1 << LIVE_FILTER_BITS) + touched_bytes(capacity) + dirty_bytes(capacity);
}

int live_set_init(live_set *s, size_t capacity)
{
    /* Whole pages of slots, and slot_of's 32-bit scaling. */
    if (capacity < SLOTS_PER_PAGE || capacity > ((size_t)1 << 32) ||
        (capacity & (capacity - 1)))
        return -1;
    void *m = mmap(NULL, capacity * sizeof(live_entry), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED)
        return -1;
    s->slots = m;
    s->mask = capacity - 1;
    s->max_bits = (unsigned)__builtin_ctzll((unsigned long long)capacity);
    /* The first region's size, so that growth steps end at the table's. */
    s->min_bits = s->max_bits <= LIVE_FIRST_BITS
                      ? s->max_bits
                      : LIVE_FIRST_BITS + ((s->max_bits - LIVE_FIRST_BITS) % LIVE_GROW_BITS);
    atomic_store(&s->bits, s->min_bits);
    atomic_store(&s->writer, NULL);
    atomic_store(&s->stuck, false);
    atomic_store(&s->any_dirty, false);
    /* The filter is populated now, written: every free() reads it, so its
     * pages would soon all map the zero page, and each first insert into
     * one would copy it and flush the other CPUs' TLBs. 64 KiB. */
    m = mmap(NULL, aux_bytes(capacity), PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_POPULATE, -1, 0);
    if (m == MAP_FAILED) {
        munmap(s->slots, capacity * sizeof(live_entry));
        return -1;
    }
    s->touched = (_Atomic uint64_t *)((uint8_t *)m + ((size_t)1 << LIVE_FILTER_BITS));
    s->dirty = (_Atomic uint64_t *)((uint8_t *)s->touched + touched_bytes(capacity));
    atomic_store(&s->count, 0);
    atomic_store(&s->takes, 0);
    atomic_store(&s->dropped, 0);
    /* Last: a free() that sees the filter sees an initialized set. */
    __atomic_store_n(&s->filter, m, __ATOMIC_RELEASE);
    return 0;
}

void live_set_fini(live_set *s)
{
    if (s->slots)
        munmap(s->slots, (s->mask + 1) * sizeof(live_entry));
    if (s->filter)
        munmap((void *)s->filter, aux_bytes(s->mask + 1));
    s->slots = NULL;
    s->filter = NULL;
    s->touched = NULL;
    s->dirty = NULL;
}

/*
 * The writer lock. Its holder is known by the address of a thread-local
 * byte, so that an insert made by a signal handler that interrupted its
 * own thread's clean-up gives up instead of waiting for itself.
 */
static __thread uint32_t writer_token __attribute__((tls_model("initial-exec")));

/* The key of an entry this thread has taken (writer_token is 4-aligned). */
static inline uintptr_t taken_key(void)
{
    return (uintptr_t)&writer_token | 3;
}

static bool lock_try(live_set *s)
{
    void *none = NULL;
    return atomic_compare_exchange_strong_explicit(&s->writer, &none, (void *)&writer_token,
                                                   memory_order_acquire, memory_order_relaxed);
}

/* How long an insert waits for the lock before it gives up for good. */
#define LIVE_WAIT_NS 1000000000ll

static int64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/*
 * Waits for another thread's insert or clean-up (a few dozen slots);
 * false if this thread holds the lock itself. A holder never keeps it
 * longer than a preemption, unless it was stopped (a debugger) or a
 * signal handler that interrupted it jumped out (siglongjmp) and never
 * came back. Rather than hang every thread that samples, an insert that
 * has waited a second marks the set stuck: from then on an insert tries
 * the lock once and otherwise fails at once (a dropped sample); frees go
 * on as before.
 */
static bool lock_wait(live_set *s)
{
    int64_t start = 0;
    if (atomic_load_explicit(&s->stuck, memory_order_relaxed)) {
        /* One try: the holder may have let go meanwhile (it was stopped
         * by a debugger, say, not lost). */
        if (!lock_try(s))
            return false;
        atomic_store_explicit(&s->stuck, false, memory_order_relaxed);
        return true;
    }
    for (unsigned spins = 0;; spins++) {
        if (lock_try(s))
            return true;
        if (atomic_load_explicit(&s->writer, memory_order_relaxed) == (void *)&writer_token)
            return false;
        if (spins < 100) {
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#endif
            continue;
        }
        sched_yield();
        if (spins % 1024 == 100) {
            int64_t now = monotonic_ns();
            if (!start) {
                start = now;
            } else if (now - start > LIVE_WAIT_NS) {
                if (!atomic_exchange(&s->stuck, true)) {
                    static const char msg[] =
                        "hearth: the live-sample table's lock was held for over a second; "
                        "new samples are dropped from now on\n";
                    (void)!write(2, msg, sizeof msg - 1);
                }
                return false;
            }
        }
    }
}

static inline bool slot_deleted(const live_set *s, size_t i);
static void empty_run(live_set *s, size_t i);

/* Under the lock: empties what it can of the tombstones left in the
 * dirty bitmap's blocks. */
static void clean_dirty(live_set *s)
{
    if (!atomic_exchange_explicit(&s->any_dirty, false, memory_order_acquire))
        return;
    size_t words = (s->mask + 1) / DIRTY_SLOTS / 64;
    if (!words)
        words = 1;
    for (size_t w = 0; w < words; w++) {
        if (!atomic_load_explicit(&s->dirty[w], memory_order_relaxed))
            continue;
        uint64_t bits = atomic_exchange_explicit(&s->dirty[w], 0, memory_order_acquire);
        while (bits) {
            size_t first = (w * 64 + (size_t)__builtin_ctzll(bits)) * DIRTY_SLOTS;
            bits &= bits - 1;
            /* empty_run takes a whole run of tombstones from any slot of
             * it; start it once per run. */
            for (size_t j = first; j < first + DIRTY_SLOTS && j <= s->mask; j++)
                if (slot_deleted(s, j) && (j == first || !slot_deleted(s, j - 1)))
                    empty_run(s, j);
        }
    }
}

/* Cleans up the tombstones removes left while the lock was taken, then
 * lets go. One left just after the check waits in the bitmap for the next
 * holder. */
static void unlock(live_set *s)
{
    clean_dirty(s);
    atomic_store_explicit(&s->writer, NULL, memory_order_release);
}

void live_set_reset_lock(live_set *s)
{
    /* Kept if this thread holds it: fork came from a signal handler that
     * interrupted its own insert or clean-up, which lets go when the
     * handler returns. Emptying slots meanwhile could cut the chain of
     * the entry that insert is about to store. */
    if (atomic_load(&s->writer) != (void *)&writer_token)
        atomic_store(&s->writer, NULL);
    atomic_store(&s->stuck, false);
}

/* Under the lock: an empty or deleted slot for addr within the probe
 * limit of its region of 2^bits slots, or SIZE_MAX. Nothing else turns an
 * empty or deleted slot into an occupied one meanwhile: lock-free writers
 * only delete or take entries. */
static size_t find_free(live_set *s, uintptr_t addr, unsigned bits)
{
    size_t i = slot_of(s, addr, bits);
    for (int probe = 0; probe < LIVE_PROBES; probe++, i = (i + 1) & s->mask) {
        /* An untouched page is all empty; not read, so not mapped as the
         * zero page before the write that claims it. */
        if (!page_touched(s, i))
            return i;
        /* Acquire: a remover read the entry's value before it deleted
         * the key, and this insert is about to overwrite that value. */
        uintptr_t k = atomic_load_explicit(&s->slots[i].key, memory_order_acquire);
        if (k == LIVE_EMPTY || k == LIVE_DELETED)
            return i;
    }
    return SIZE_MAX;
}

bool live_set_insert(live_set *s, uintptr_t addr, uint32_t stack, uint64_t size)
{
    if (!lock_wait(s)) {
        atomic_fetch_add_explicit(&s->dropped, 1, memory_order_relaxed);
        return false;
    }
    unsigned bits = atomic_load_explicit(&s->bits, memory_order_relaxed);
    size_t n = atomic_load_explicit(&s->count, memory_order_relaxed) + 1;
    /* The next region before this one is half full: probes stay short.
     * (Entries left in earlier regions count too; they leave with time.) */
    if (bits < s->max_bits && n > (((size_t)1 << bits) - region_lo(s, bits)) / 2)
        bits += LIVE_GROW_BITS;
    size_t i;
    while ((i = find_free(s, addr, bits)) == SIZE_MAX && bits < s->max_bits)
        bits += LIVE_GROW_BITS;
    if (i == SIZE_MAX) {
        unlock(s);
        atomic_fetch_add_explicit(&s->dropped, 1, memory_order_relaxed);
        return false;
    }
    /* Published before the key: a lookup that finds addr probes this
     * region (it runs after the malloc that inserts, in program order). */
    if (bits != atomic_load_explicit(&s->bits, memory_order_relaxed))
        atomic_store_explicit(&s->bits, bits, memory_order_release);
    touch_page(s, i);
    live_entry *e = &s->slots[i];
    e->stack = stack;
    e->size = live_size_encode(size);
    filter_add(s, addr, 1);
    /* The key last: no lookup sees addr with another entry's value. */
    atomic_store_explicit(&e->key, addr, memory_order_release);
    atomic_fetch_add_explicit(&s->count, 1, memory_order_relaxed);
    unlock(s);
    return true;
}

/* The slot holding addr, or SIZE_MAX: one probe run per region used so
 * far, each ending at an empty slot or the probe limit. */
static size_t find_key(const live_set *s, uintptr_t addr)
{
    unsigned top = atomic_load_explicit(&s->bits, memory_order_acquire);
    for (unsigned bits = s->min_bits;; bits += LIVE_GROW_BITS) {
        size_t i = slot_of(s, addr, bits);
        for (int probe = 0; probe < LIVE_PROBES; probe++, i = (i + 1) & s->mask) {
            /* An insert writes its slot's page's bit before the slot, and
             * the insert of addr happened before this lookup. */
            if (!page_touched(s, i))
                break;
            uintptr_t k = atomic_load_explicit(&s->slots[i].key, memory_order_acquire);
            if (k == addr)
                return i;
            if (k == LIVE_EMPTY)
                break;
        }
        if (bits >= top)
            return SIZE_MAX;
    }
}

static inline bool slot_deleted(const live_set *s, size_t i)
{
    /* Acquire: the remover read the entry's value before it deleted the
     * key, and an insert after this clean-up will overwrite the value. */
    return page_touched(s, i) &&
           atomic_load_explicit(&s->slots[i].key, memory_order_acquire) == LIVE_DELETED;
}

/*
 * Under the lock: whether a lookup may pass slot i on its way to a live
 * entry, so that emptying it would cut that entry off. Only entries within
 * LIVE_PROBES after i, before the next empty slot, can lie beyond it on a
 * chain; each was inserted into one of the regions used so far, from its
 * first slot there, and the chain runs from that slot to the entry. An
 * entry realloc has taken hides its key: kept, to be safe. Nothing can
 * add a chain meanwhile (inserts hold the lock); lock-free removes only
 * end them.
 */
static bool on_a_chain(const live_set *s, size_t i, unsigned top)
{
    size_t p = i;
    for (size_t d = 1; d < LIVE_PROBES; d++) {
        p = (p + 1) & s->mask;
        if (!page_touched(s, p))
            return false;
        uintptr_t k = atomic_load_explicit(&s->slots[p].key, memory_order_acquire);
        if (k == LIVE_EMPTY)
            return false;
        if (k == LIVE_DELETED)
            continue;
        if (key_taken(k))
            return true;
        for (unsigned bits = s->min_bits; bits <= top; bits += LIVE_GROW_BITS) {
            size_t from_first = (p - slot_of(s, k, bits)) & s->mask;
            if (from_first >= d && from_first < LIVE_PROBES)
                return true;
        }
    }
    return false;
}

/* Under the lock: empties the tombstones of the run around slot i that no
 * chain passes, from the run's end backwards (an emptied slot ends the
 * scans of the slots before it sooner). */
static void empty_run(live_set *s, size_t i)
{
    if (!slot_deleted(s, i))
        return;
    unsigned top = atomic_load_explicit(&s->bits, memory_order_relaxed);
    int n = 0;
    while (n < LIVE_PROBES && slot_deleted(s, (i + 1) & s->mask)) {
        i = (i + 1) & s->mask;
        n++;
    }
    for (n = 0; n < 2 * LIVE_PROBES && slot_deleted(s, i); n++, i = (i - 1) & s->mask) {
        if (!on_a_chain(s, i, top))
            atomic_store_explicit(&s->slots[i].key, LIVE_EMPTY, memory_order_relaxed);
    }
}

/*
 * Empties the tombstones around slot i (see empty_run) if the lock is
 * free. If not, marks its block in the dirty bitmap for the lock's next
 * holder: a remove never waits (it may run in a signal handler that
 * interrupted the holder), and with many threads sampling at once the lock
 * is often taken. The bitmap loses nothing (a list of slots that could
 * fill up left tombstones for good, with a thread that frees what others
 * sampled).
 */
static void clean_up(live_set *s, size_t i)
{
    if (!lock_try(s)) {
        size_t block = i / DIRTY_SLOTS;
        atomic_fetch_or_explicit(&s->dirty[block / 64], (uint64_t)1 << (block % 64),
                                 memory_order_release);
        atomic_store_explicit(&s->any_dirty, true, memory_order_release);
        return;
    }
    empty_run(s, i);
    unlock(s);
}

/* Deletes the entry at i, which held addr. */
static void forget(live_set *s, size_t i, uintptr_t addr)
{
    filter_add(s, addr, -1);
    atomic_fetch_sub_explicit(&s->count, 1, memory_order_relaxed);
    clean_up(s, i);
}

bool live_set_remove_slow(live_set *s, uintptr_t addr, uint32_t *stack, uint64_t *size)
{
    size_t i = find_key(s, addr);
    if (i == SIZE_MAX)
        return false;
    live_entry *e = &s->slots[i];
    *stack = e->stack;
    *size = live_size_decode(e->size);
    /* Only the thread freeing addr removes it, and writers under the lock
     * leave occupied slots alone, so this cannot fail; checked anyway. */
    uintptr_t k = addr;
    if (!atomic_compare_exchange_strong_explicit(&e->key, &k, LIVE_DELETED, memory_order_acq_rel,
                                                 memory_order_relaxed))
        return false;
    forget(s, i, addr);
    return true;
}

size_t live_set_take(live_set *s, uintptr_t addr, uint32_t *stack, uint64_t *size)
{
    if (atomic_load_explicit(&s->count, memory_order_relaxed) == 0)
        return 0;
    size_t i = find_key(s, addr);
    if (i == SIZE_MAX)
        return 0;
    live_entry *e = &s->slots[i];
    *stack = e->stack;
    *size = live_size_decode(e->size);
    /* Counted first, so that a child forked at any point sees an open
     * take whenever a slot holds one. */
    atomic_fetch_add_explicit(&s->takes, 1, memory_order_relaxed);
    uintptr_t k = addr;
    if (!atomic_compare_exchange_strong_explicit(&e->key, &k, taken_key(), memory_order_acq_rel,
                                                 memory_order_relaxed)) {
        atomic_fetch_sub_explicit(&s->takes, 1, memory_order_relaxed);
        return 0;
    }
    return i + 1;
}

void live_set_put_back(live_set *s, size_t taken, uintptr_t addr)
{
    /* The slot stayed occupied, so no chain was cut and no insert took it. */
    atomic_store_explicit(&s->slots[taken - 1].key, addr, memory_order_release);
    /* Release: never seen before the key is back (a child that saw no
     * open take would leave a taken slot alone). */
    atomic_fetch_sub_explicit(&s->takes, 1, memory_order_release);
}

void live_set_release(live_set *s, size_t taken, uintptr_t addr)
{
    atomic_store_explicit(&s->slots[taken - 1].key, LIVE_DELETED, memory_order_release);
    atomic_fetch_sub_explicit(&s->takes, 1, memory_order_release);
    forget(s, taken - 1, addr);
}

size_t live_set_drop_taken(live_set *s, void (*freed)(uint32_t stack, uint64_t size))
{
    size_t left = atomic_load_explicit(&s->takes, memory_order_acquire);
    if (left == 0 || !s->slots)
        return 0;
    uintptr_t mine = taken_key();
    size_t dropped = 0;
    /* The whole table, not only up to 2^bits: a probe run near a
     * region's end goes on into the slots after it. Untouched pages cost
     * a bit test each. */
    size_t end = s->mask + 1;
    for (size_t i = 0; i < end && left > 0; i++) {
        if (!page_touched(s, i)) {
            i = (i / SLOTS_PER_PAGE + 1) * SLOTS_PER_PAGE - 1;
            continue;
        }
        uintptr_t k = atomic_load_explicit(&s->slots[i].key, memory_order_relaxed);
        if (!key_taken(k))
            continue;
        left--;
        if (k == mine)
            continue;
        live_entry *e = &s->slots[i];
        freed(e->stack, live_size_decode(e->size));
        atomic_store_explicit(&e->key, LIVE_DELETED, memory_order_relaxed);
        atomic_fetch_sub_explicit(&s->takes, 1, memory_order_relaxed);
        atomic_fetch_sub_explicit(&s->count, 1, memory_order_relaxed);
        /* The block's filter counter stays one too high: the slot no
         * longer says which page it was. It only sends frees on that page
         * to a lookup. */
        clean_up(s, i);
        dropped++;
    }
    return dropped;
}
