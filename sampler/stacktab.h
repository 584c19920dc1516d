/*
 * Interned call stacks with their allocation counters, in memory fixed at
 * start: HEARTH_MAX_STACKS stacks and a pool of program counters, which
 * records of the same call stack with different tags share.
 */
#ifndef HEARTH_SAMPLER_STACKTAB_H
#define HEARTH_SAMPLER_STACKTAB_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#define STACKTAB_FULL UINT32_MAX

typedef struct stack_counts {
    _Atomic uint64_t alloc_objects; /* sampled allocations */
    _Atomic uint64_t alloc_bytes;
    _Atomic uint64_t free_objects;  /* of those, freed since */
    _Atomic uint64_t free_bytes;
} stack_counts;

typedef struct stack_meta {
    uint64_t hash;
    uint32_t pc_offset; /* into pcs */
    uint32_t depth;
    uint32_t tag;       /* the caller's extra key: the allocation size class */
    uint32_t pad;
} stack_meta;

typedef struct stacktab {
    pthread_mutex_t lock;     /* serializes inserts; lookups take no lock */
    uint32_t max_stacks;
    _Atomic uint32_t n_stacks; /* published after a stack's meta and pcs */
    _Atomic uint32_t *table;  /* hash -> id + 1; 2 x max_stacks slots */
    uint32_t table_mask;
    stack_meta *meta;
    uintptr_t *pcs;           /* pool of every stack's pcs, leaf first */
    uint32_t pcs_cap, pcs_used;
    /* Call stack (pcs only) -> id + 1 of the first record with it, so that
     * records of one stack with other tags (size classes, threads) share
     * its pcs; 2 x max_stacks slots, under lock only. */
    uint32_t *by_pcs;
    stack_counts *counts;
    _Atomic uint64_t dropped; /* samples lost because the table was full */
} stacktab;

/* Maps the table for max_stacks stacks and pcs_cap program counters.
 * Returns 0 or -1. */
int stacktab_init(stacktab *t, uint32_t max_stacks, uint32_t pcs_cap);
void stacktab_fini(stacktab *t);

/* The id of this stack and tag, added if new; STACKTAB_FULL (and a counted
 * drop) when the table or pool is full. Lock-free for known stacks. */
uint32_t stacktab_intern(stacktab *t, const uintptr_t *pcs, uint32_t depth,
                         uint32_t tag);

/* Must not be called from a signal handler. */
static inline stack_counts *stacktab_counts(stacktab *t, uint32_t id)
{
    return &t->counts[id];
}

/* fork: the child must not inherit a lock held by a thread that is gone. */
void stacktab_lock(stacktab *t);
void stacktab_unlock(stacktab *t);
void stacktab_reset_lock(stacktab *t);

#endif
