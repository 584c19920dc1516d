/*
 * The addresses of sampled blocks that are still allocated, so that free()
 * can move a block's weight out of in-use. Lock-free: every free() of the
 * service looks here.
 */
#ifndef HEARTH_SAMPLER_LIVE_SET_H
#define HEARTH_SAMPLER_LIVE_SET_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct live_entry {
    _Atomic uintptr_t key; /* block address, 0 = empty, 1 = deleted */
    uint32_t stack;        /* stack table id */
    uint32_t pad;
    uint64_t size;         /* requested bytes */
} live_entry;

#define LIVE_FILTER_BITS 16

typedef struct live_set {
    live_entry *slots;     /* mmap'd, capacity entries */
    _Atomic uint8_t *filter; /* 2^LIVE_FILTER_BITS counters of live entries
                                by address hash; 255 = saturated (sticky) */
    size_t mask;           /* capacity - 1 */
    _Atomic size_t count;  /* live entries */
    _Atomic uint64_t dropped; /* inserts that found no slot */
} live_set;

/* Maps capacity (a power of two) slots; untouched pages cost no memory.
 * Returns 0 or -1. */
int live_set_init(live_set *s, size_t capacity);
void live_set_fini(live_set *s);

/* Records a sampled block. Returns false (and counts a drop) when no slot
 * is free within the probe limit. */
bool live_set_insert(live_set *s, uintptr_t addr, uint32_t stack, uint64_t size);

bool live_set_remove_slow(live_set *s, uintptr_t addr, uint32_t *stack, uint64_t *size);

/* Removes addr if it is a sampled block, returning its stack and size. The
 * common case, a block that was never sampled, is one relaxed load when
 * nothing is live and otherwise one probe that finds an empty slot. */
static inline bool live_set_remove(live_set *s, uintptr_t addr, uint32_t *stack,
                                   uint64_t *size)
{
    /* Relaxed is enough: a block freed here was allocated, and so inserted,
     * by a malloc that happened before this free in the program's order. */
    if (__builtin_expect(atomic_load_explicit(&s->count, memory_order_relaxed) == 0, 1))
        return false;
    uint64_t x = ((uint64_t)addr >> 4) * 0x9e3779b97f4a7c15ull;
    if (__builtin_expect(atomic_load_explicit(&s->filter[x >> (64 - LIVE_FILTER_BITS)],
                                              memory_order_relaxed) == 0, 1))
        return false;
    return live_set_remove_slow(s, addr, stack, size);
}

#endif
