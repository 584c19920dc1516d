/*
 * Exact heap counters for the timeline, kept by every malloc and free.
 * Each thread adds to its own cache-line-sized slot (found through
 * initial-exec TLS, so touching it never allocates) with plain loads and
 * stores: no lock prefix, no line shared between threads. The ticker sums
 * the slots; a thread that exits leaves its counts in its slot, and the
 * ticker folds them into a retired total before the slot is reused.
 */
#ifndef HEARTH_SAMPLER_TIMELINE_COUNTERS_H
#define HEARTH_SAMPLER_TIMELINE_COUNTERS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tl_slot {
    /* Written only by the owning thread (one load and one store each: a
     * single writer needs no read-modify-write); read by the ticker. */
    _Atomic uint64_t alloc_bytes, alloc_objects, free_bytes, free_objects;
    _Atomic uint32_t state;  /* TL_SLOT_*; see timeline_counters.c */
    _Atomic uint32_t exit_tick;
} __attribute__((aligned(64))) tl_slot;

/* The calling thread's slot; NULL until its first counted call. */
extern __thread tl_slot *timeline_tls __attribute__((tls_model("initial-exec")));

/* Gives the calling thread a slot (the slow path of its first count). */
tl_slot *tl_counters_register(void);

/*
 * The usable size of a block glibc's malloc returned, read from the chunk
 * header in front of it, exactly as malloc_usable_size computes it:
 * chunk size minus 8, or minus 16 for an mmap'd chunk (size bit 2). The
 * line is hot (the block was just allocated or is about to be freed), so
 * this is one load; tl_counters_layout_ok() checks the layout at start.
 */
static inline uint64_t tl_block_bytes(const void *p)
{
    uint64_t h = ((const uint64_t *)p)[-1];
    return (h & ~(uint64_t)7) - 8 - ((h & 2) << 2);
}

static inline void tl_bump(_Atomic uint64_t *c, uint64_t n)
{
    /* Relaxed: one writer; the ticker only needs each value untorn. */
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

static inline tl_slot *tl_self(void)
{
    tl_slot *s = timeline_tls;
    if (__builtin_expect(s == NULL, 0))
        s = tl_counters_register();
    return s;
}

/* After a successful allocation of p. */
static inline void timeline_count_alloc(const void *p)
{
    tl_slot *s = tl_self();
    tl_bump(&s->alloc_bytes, tl_block_bytes(p));
    tl_bump(&s->alloc_objects, 1);
}

/* A free of a block of `bytes` usable bytes (taken before it was freed). */
static inline void timeline_count_free_bytes(uint64_t bytes)
{
    tl_slot *s = tl_self();
    tl_bump(&s->free_bytes, bytes);
    tl_bump(&s->free_objects, 1);
}

/* Before free(p), p != NULL. */
static inline void timeline_count_free(const void *p)
{
    timeline_count_free_bytes(tl_block_bytes(p));
}

typedef struct tl_totals {
    uint64_t alloc_bytes, alloc_objects, free_bytes, free_objects;
} tl_totals;

/* Sums every slot and the retired total; slots of threads that exited at
 * least two ticks ago (tick = the caller's tick number) are folded into
 * the retired total and freed. Ticker thread only. */
void tl_counters_sum(tl_totals *out, uint32_t tick);

/* Whether glibc's chunk header reads as tl_block_bytes assumes (checked
 * once on blocks of known sizes). False: the heap columns are not written. */
bool tl_counters_layout_ok(void);

/* In a forked child: re-initializes the registry lock (its holder, if any,
 * is not in the child), keeps only the calling thread's slot live and folds
 * the others (their threads do not exist in the child, their blocks do). */
void tl_counters_fork_child(void);

/* Threads that found no free slot and share the overflow slot (their
 * counts may lose updates); reported once as an event. */
uint64_t tl_counters_overflowed(void);

#endif
