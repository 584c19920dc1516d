/*
 * Open addressing over block addresses with tombstones, lock-free. An insert
 * claims an empty or deleted slot with a CAS after writing the value; a
 * remove finds the key and CASes it to "deleted". Probes stop after
 * LIVE_PROBES slots, so a free() never scans a crowded table: at the default
 * rate (one sample per 512 KiB) a service with 8 GiB live keeps ~16,000
 * entries in 262,144 slots, and most frees stop at the first slot.
 * A 64 KiB filter of per-page counters sits in front (live_set.h): most
 * free()s read one byte, usually in L1, and stop. Memory: capacity x 16 bytes plus the filter, mapped once,
 * never grown. Known limit: deleted slots stay tombstones, so after millions
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

static inline size_t slot_of(const live_set *s, uintptr_t addr)
{
    uint64_t x = (uint64_t)addr >> 4;
    x *= 0x9e3779b97f4a7c15ull;
    return (size_t)(x >> 20) & s->mask;
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
    m = mmap(NULL, (size_t)1 << LIVE_FILTER_BITS, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_POPULATE, -1, 0);
    if (m == MAP_FAILED) {
        munmap(s->slots, capacity * sizeof(live_entry));
        return -1;
    }
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
        munmap((void *)s->filter, (size_t)1 << LIVE_FILTER_BITS);
    s->slots = NULL;
    s->filter = NULL;
}

bool live_set_insert(live_set *s, uintptr_t addr, uint32_t stack, uint64_t size)
{
    size_t i = slot_of(s, addr);
    for (int probe = 0; probe < LIVE_PROBES; probe++, i = (i + 1) & s->mask) {
        live_entry *e = &s->slots[i];
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
