/*
 * Open addressing over block addresses with tombstones, lock-free. An insert
 * claims an empty or deleted slot with a CAS after writing the value; a
 * remove finds the key and CASes it to "deleted". Probes stop after
 * LIVE_PROBES slots, so a free() never scans a crowded table: at the default
 * rate (one sample per 512 KiB) a service with 8 GiB live keeps ~16,000
 * entries in 262,144 slots, and most frees stop at the first slot.
 * A 64 KiB filter of per-page counters sits in front (live_set.h): most
 * free()s read one byte, usually in L1, and stop. Memory: capacity x 16
 * bytes plus the filter and a bit per page of slots, mapped once, never
 * grown; a slot page costs memory from its first insert. Known limit: deleted slots stay tombstones, so after millions
 * of samples a lookup that passes the filter may walk up to LIVE_PROBES slots.
 */
#include "live_set.h"

#include <sys/mman.h>

#define LIVE_EMPTY ((uintptr_t)0)
#define LIVE_DELETED ((uintptr_t)1)
#define LIVE_PROBES 64

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

static inline size_t slot_of(const live_set *s, uintptr_t addr)
{
    uint64_t x = (uint64_t)addr >> 4;
    x *= 0x9e3779b97f4a7c15ull;
    return (size_t)(x >> 20) & s->mask;
}

/* The filter, then the touched bitmap, in one mapping. */
static size_t aux_bytes(size_t capacity)
{
    return ((size_t)1 << LIVE_FILTER_BITS) + touched_bytes(capacity);
}

int live_set_init(live_set *s, size_t capacity)
{
    void *m = mmap(NULL, capacity * sizeof(live_entry), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED)
        return -1;
    s->slots = m;
    s->mask = capacity - 1;
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
    atomic_store(&s->count, 0);
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
}

bool live_set_insert(live_set *s, uintptr_t addr, uint32_t stack, uint64_t size)
{
    size_t i = slot_of(s, addr);
    for (int probe = 0; probe < LIVE_PROBES; probe++, i = (i + 1) & s->mask) {
        live_entry *e = &s->slots[i];
        touch_page(s, i);
        /* Claim the slot with a placeholder first, so no reader can see
         * the new key paired with the old value. The first access to the
         * slot is this compare-exchange, not a load: on a page of the
         * table never touched (most of them, early in a run) a load maps
         * the shared zero page and the write after it takes a second
         * fault, which copies it and flushes the other CPUs' TLBs; a
         * locked write takes one fault. */
        uintptr_t claim = LIVE_DELETED | 2; /* odd, never a malloc address */
        uintptr_t k = LIVE_EMPTY;
        if (!atomic_compare_exchange_strong_explicit(&e->key, &k, claim,
                                                     memory_order_acquire,
                                                     memory_order_relaxed) &&
            (k != LIVE_DELETED ||
             !atomic_compare_exchange_strong_explicit(&e->key, &k, claim,
                                                      memory_order_acquire,
                                                      memory_order_relaxed)))
            continue;
        e->stack = stack;
        e->size = live_size_encode(size);
        filter_add(s, addr, 1);
        atomic_store_explicit(&e->key, addr, memory_order_release);
        atomic_fetch_add_explicit(&s->count, 1, memory_order_relaxed);
        return true;
    }
    atomic_fetch_add_explicit(&s->dropped, 1, memory_order_relaxed);
    return false;
}

bool live_set_remove_slow(live_set *s, uintptr_t addr, uint32_t *stack, uint64_t *size)
{
    size_t i = slot_of(s, addr);
    for (int probe = 0; probe < LIVE_PROBES; probe++, i = (i + 1) & s->mask) {
        /* An insert writes its slot's page's bit before the slot, and the
         * insert of addr happened before this free of it. */
        if (!page_touched(s, i))
            return false;
        live_entry *e = &s->slots[i];
        uintptr_t k = atomic_load_explicit(&e->key, memory_order_acquire);
        if (k == LIVE_EMPTY)
            return false;
        if (k != addr)
            continue;
        *stack = e->stack;
        *size = live_size_decode(e->size);
        /* Only the thread freeing addr can remove it, so this CAS cannot
         * race with another remove of the same key. */
        if (!atomic_compare_exchange_strong_explicit(&e->key, &k, LIVE_DELETED,
                                                     memory_order_acq_rel,
                                                     memory_order_relaxed))
            return false;
        filter_add(s, addr, -1);
        atomic_fetch_sub_explicit(&s->count, 1, memory_order_relaxed);
        return true;
    }
    return false;
}
