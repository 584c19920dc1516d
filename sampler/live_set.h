/*
 * The addresses of sampled blocks that are still allocated, so that free()
 * can move a block's weight out of in-use. Lookups and removes take no
 * lock (a free() of the service may look here); an insert, one per
 * sample, takes a short writer lock.
 */
#ifndef HEARTH_SAMPLER_LIVE_SET_H
#define HEARTH_SAMPLER_LIVE_SET_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 16 bytes, four to a cache line: the table is a quarter of the sampler's
 * fixed memory, and a lookup that passes the filter reads one line. */
typedef struct live_entry {
    _Atomic uintptr_t key; /* block address, 0 = empty, 1 = deleted,
                              low bits 3 = taken by realloc */
    uint32_t stack;        /* stack table id */
    uint32_t size;         /* live_size_encode of the requested bytes */
} live_entry;

/* Sizes below 2 GiB are kept exactly; larger ones (top bit set) in 4 KiB
 * units, up to 8 TiB. */
#define LIVE_SIZE_BIG 0x80000000u

static inline uint32_t live_size_encode(uint64_t size)
{
    if (size < LIVE_SIZE_BIG)
        return (uint32_t)size;
    uint64_t pages = size >> 12;
    return LIVE_SIZE_BIG | (uint32_t)(pages < LIVE_SIZE_BIG - 1 ? pages : LIVE_SIZE_BIG - 1);
}

static inline uint64_t live_size_decode(uint32_t v)
{
    return v & LIVE_SIZE_BIG ? (uint64_t)(v & ~LIVE_SIZE_BIG) << 12 : v;
}

/* The size the live set will give back for a block of `size` bytes: the
 * sampler accounts an allocation with this, so that allocated minus freed
 * stays exact for blocks of 2 GiB and more too. */
static inline uint64_t live_size_kept(uint64_t size)
{
    return live_size_decode(live_size_encode(size));
}

#define LIVE_FILTER_BITS 16

typedef struct live_set {
    live_entry *slots;     /* mmap'd, capacity entries */
    _Atomic uint8_t *filter; /* 2^LIVE_FILTER_BITS counters of live entries
                                by address hash; 255 = saturated (sticky) */
    _Atomic uint64_t *touched; /* a bit per 4 KiB page of slots: set before
                                  the first insert into that page */
    size_t mask;           /* capacity - 1 */
    unsigned min_bits;     /* the first region: 2^min_bits slots */
    unsigned max_bits;     /* log2(capacity) */
    _Atomic unsigned bits; /* inserts go to the region that ends at slot
                              2^bits (live_set.c) */
    _Atomic(void *) writer; /* the thread inserting or cleaning, or NULL */
    _Atomic bool stuck;     /* the lock was never let go: inserts fail */
    _Atomic uint64_t *dirty; /* a bit per 64 slots: a tombstone there was
                                left for the lock's next holder */
    _Atomic bool any_dirty;  /* some bit of dirty may be set */
    _Atomic size_t count;  /* live entries */
    _Atomic size_t takes;  /* entries taken by realloc, not yet given back */
    _Atomic uint64_t dropped; /* inserts that found no slot */
} live_set;

/* Maps capacity (a power of two, 256 to 2^32) slots; untouched pages
 * cost no memory. Returns 0 or -1. */
int live_set_init(live_set *s, size_t capacity);
void live_set_fini(live_set *s);

/* Records a sampled block of `size` bytes (kept as live_size_kept(size)).
 * Returns false (and counts a drop) when no slot is free within the probe
 * limit, or when it runs in a signal handler that interrupted this
 * thread's own insert or clean-up. Never called again on the same thread
 * while an insert runs (the sampler does not sample its own recording). */
bool live_set_insert(live_set *s, uintptr_t addr, uint32_t stack, uint64_t size);

bool live_set_remove_slow(live_set *s, uintptr_t addr, uint32_t *stack, uint64_t *size);

/* realloc's two steps. live_set_take hides addr's entry from lookups
 * (a free of the address, should glibc hand it to another thread, does
 * not find it) and returns its slot + 1, or 0 when addr is not sampled.
 * Then live_set_put_back (the realloc failed: the block is still addr's)
 * or live_set_release (it succeeded: the entry is gone). Neither can
 * fail, wherever it runs. */
size_t live_set_take(live_set *s, uintptr_t addr, uint32_t *stack, uint64_t *size);
void live_set_put_back(live_set *s, size_t taken, uintptr_t addr);
void live_set_release(live_set *s, size_t taken, uintptr_t addr);

/* In a forked child: the thread that held the writer lock is not there
 * (kept if it was the calling thread). */
void live_set_reset_lock(live_set *s);

/* In a forked child, after live_set_reset_lock: an entry taken by a
 * thread the child does not have (fork came while it was inside realloc)
 * would stay hidden for good, its address gone from the slot, and keep
 * the tombstones around it. Deletes each such entry, passing its stack
 * and size to `freed`, and returns how many. The block itself is most
 * likely still allocated in the child (glibc's fork waits for every
 * arena lock, so that thread was waiting to start its realloc): its
 * sample leaves in-use early, where before it stayed in for good. The
 * calling thread's own takes (fork from a signal handler that interrupted
 * its realloc) stay for its realloc to finish. Scans the table only when
 * a take is open. */
size_t live_set_drop_taken(live_set *s, void (*freed)(uint32_t stack, uint64_t size));

/* The filter counter of a block: by its 4 KiB page, not by a hash of its
 * address, so frees in the same region of the heap read the same few
 * cache lines (64 pages a line) and the filter stays in L1 where a hashed
 * one missed on most free()s (two thirds of the free hook's cycles in perl
 * and sqlite3). A page holding a sampled block sends the free()s of its
 * other blocks on to the table: about one free in a hundred in those. */
static inline size_t live_filter_index(uintptr_t addr)
{
    return (size_t)(addr >> 12) & (((size_t)1 << LIVE_FILTER_BITS) - 1);
}

/*
 * Whether addr may be a sampled block: false for nearly every free() of
 * the service. One load of the filter pointer and one of its byte: the
 * filter sits behind a pointer that stays NULL until live_set_init, which
 * runs before any block can be sampled; a relaxed load, because a block
 * freed here was allocated, and so inserted, by a malloc that happened
 * before this free in the program's order.
 */
static inline bool live_set_may_hold(const live_set *s, uintptr_t addr)
{
    _Atomic uint8_t *f = __atomic_load_n(&s->filter, __ATOMIC_RELAXED);
    return __builtin_expect(f != NULL, 1) &&
           __builtin_expect(atomic_load_explicit(&f[live_filter_index(addr)],
                                                 memory_order_relaxed) != 0, 0);
}

/* Removes addr if it is a sampled block, returning its stack and size. The
 * common case, a block that was never sampled, is one relaxed load when
 * nothing is live, one filter byte when nothing near it is, and otherwise
 * a short probe run per region used so far (at most four). */
static inline bool live_set_remove(live_set *s, uintptr_t addr, uint32_t *stack,
                                   uint64_t *size)
{
    /* Relaxed is enough: see live_set_may_hold. */
    if (__builtin_expect(atomic_load_explicit(&s->count, memory_order_relaxed) == 0, 1))
        return false;
    if (__builtin_expect(atomic_load_explicit(&s->filter[live_filter_index(addr)],
                                              memory_order_relaxed) == 0, 1))
        return false;
    return live_set_remove_slow(s, addr, stack, size);
}

#endif
