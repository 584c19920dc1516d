/*
 * Exact heap counters for the timeline, kept by every malloc and free.
 * Each thread adds to its own cache-line-sized slot (found through
 * initial-exec TLS, so touching it never allocates): one add instruction
 * per counter, no lock prefix, no line shared between threads. The ticker
 * sums the slots; a thread that exits leaves its counts in its slot, and
 * the ticker folds them into a retired total before the slot is reused.
 * Every allocation and every free of the service passes here (perl's text
 * job: 4.6 M of each in 1.4 s), so each instruction on this path costs
 * ~9 M instructions per such run: the slot keeps chunk bytes and leaves
 * the header's constant 8 bytes per block to the ticker's sum.
 */
#ifndef HEARTH_SAMPLER_TIMELINE_COUNTERS_H
#define HEARTH_SAMPLER_TIMELINE_COUNTERS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tl_slot {
    /* Written only by the owning thread, through tl_add; read by the ticker
     * (relaxed atomic loads) and by registration and the fork child's fold
     * under the registry lock. alloc_chunk and free_chunk sum
     * tl_block_chunk_h: usable bytes plus 8 per block. */
    uint64_t alloc_chunk, alloc_objects, free_chunk, free_objects;
    _Atomic uint32_t state;  /* TL_SLOT_*; see timeline_counters.c */
    _Atomic uint32_t exit_tick;
    _Atomic uint32_t own;    /* the thread is one of the sampler's */
} __attribute__((aligned(64))) tl_slot;

/* The calling thread's slot; NULL until its first counted call. */
extern __thread tl_slot *timeline_tls __attribute__((tls_model("initial-exec")));

/* Gives the calling thread a slot (the slow path of its first count). */
tl_slot *tl_counters_register(void);

/*
 * A block's usable size plus 8, read from the chunk header in front of it:
 * the chunk size, less 8 more for an mmap'd chunk (size bit 2), so that
 * tl_block_chunk_h(tl_header(p)) - 8 is exactly what malloc_usable_size
 * returns. The line is hot (the block was just allocated or is about to
 * be freed), so this is one load; tl_counters_layout_ok() checks the
 * layout at start.
 */
static inline uint64_t tl_block_chunk_h(uint64_t h)
{
    return (h & ~(uint64_t)7) - ((h & 2) << 2);
}

static inline uint64_t tl_header(const void *p)
{
    return ((const uint64_t *)p)[-1];
}

/* The usable size of a block glibc's malloc returned (malloc_usable_size). */
static inline uint64_t tl_block_bytes(const void *p)
{
    return tl_block_chunk_h(tl_header(p)) - 8;
}

/*
 * Adds n to a counter of the calling thread's slot. One writer, so no
 * read-modify-write atomicity is needed, only that the ticker never reads
 * a torn value: an aligned 8-byte store never is. On x86-64 that is one
 * add to memory (a relaxed atomic load and store compile to three
 * instructions); the asm keeps it one whatever the compiler.
 */
static inline void tl_add(uint64_t *c, uint64_t n)
{
#if defined(__x86_64__) && !defined(__SANITIZE_THREAD__)
    __asm__ volatile("addq %1, %0" : "+m"(*c) : "er"(n));
#else
    __atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
#endif
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
    tl_add(&s->alloc_chunk, tl_block_chunk_h(tl_header(p)));
    tl_add(&s->alloc_objects, 1);
}

/* A free of a block whose chunk header word (tl_header, read before the
 * free) is h. */
static inline void timeline_count_free_h(uint64_t h)
{
    tl_slot *s = tl_self();
    tl_add(&s->free_chunk, tl_block_chunk_h(h));
    tl_add(&s->free_objects, 1);
}

/* timeline_count_free_h of a chunk glibc did not mmap (h & 2 clear), for
 * a caller that already holds its thread's slot s (timeline_tls, not
 * NULL): the chunk bytes are the size field alone. */
static inline void timeline_count_free_heap(tl_slot *s, uint64_t h)
{
    tl_add(&s->free_chunk, h & ~(uint64_t)7);
    tl_add(&s->free_objects, 1);
}

typedef struct tl_totals {
    uint64_t alloc_bytes, alloc_objects, free_bytes, free_objects;
} tl_totals;

/* Sums every slot and the retired total, in usable bytes (as
 * malloc_usable_size counts them) and blocks, into out, and the part of
 * it counted on the sampler's own threads into own (when not NULL);
 * slots of threads that exited at least two ticks ago (tick = the
 * caller's tick number) are folded into the retired totals and freed.
 * Ticker thread only. */
void tl_counters_sum(tl_totals *out, tl_totals *own, uint32_t tick);

/* The calling thread is one of the sampler's: its counts go to the own
 * part of tl_counters_sum too. The split is by thread, not by block: what
 * the sampler allocates on a service thread (hearth_dump_heap, a CPU
 * profile's unwind table built by hearth_cpu_start) counts as the
 * service's, and a block of a cache shared by both (the symbolizer's,
 * capped at 12 MiB; the unwind table's objects) that one part allocates
 * and the other frees moves between the parts. Bounded by those caches;
 * for growth dumps, which step by at least 1 MiB and usually by far more,
 * that is close enough. */
void tl_counters_mark_own(void);

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
