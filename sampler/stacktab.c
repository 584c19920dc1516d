/*
 * Stacks are interned by a hash of their program counters into a table
 * fixed at start (HEARTH_MAX_STACKS, default 65536, and 16 pcs per stack on
 * average in the pool: 65536 x 16 x 8 = 8 MiB), so memory never grows with
 * run length. Records of one call stack with different tags (the heap's
 * ~48 size classes, the CPU profile's threads) point at one copy of its
 * pcs: in run_alloc's 65,536-stack churn, 56,385 records hold 38,782
 * stacks, and sharing took 1.3 MiB off the sampler's peak. Sampled allocations are rare (one per 512 KiB by default), so
 * inserting under a mutex is cheap; lookups of known stacks read the table
 * without a lock: an entry is published (release) only after its metadata
 * and pcs are written.
 */
#include "stacktab.h"

#include <string.h>
#include <sys/mman.h>

static void *map(size_t bytes)
{
    void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return m == MAP_FAILED ? NULL : m;
}

int stacktab_init(stacktab *t, uint32_t max_stacks, uint32_t pcs_cap)
{
    memset(t, 0, sizeof *t);
    uint32_t slots = 16;
    while (slots < max_stacks * 2)
        slots *= 2;
    t->max_stacks = max_stacks;
    t->table_mask = slots - 1;
    t->pcs_cap = pcs_cap;
    t->table = map(slots * sizeof *t->table);
    t->meta = map((size_t)max_stacks * sizeof *t->meta);
    t->counts = map((size_t)max_stacks * sizeof *t->counts);
    t->pcs = map((size_t)pcs_cap * sizeof *t->pcs);
    t->by_pcs = map(slots * sizeof *t->by_pcs);
    if (!t->table || !t->meta || !t->counts || !t->pcs || !t->by_pcs) {
        stacktab_fini(t);
        return -1;
    }
    pthread_mutex_init(&t->lock, NULL);
    return 0;
}

void stacktab_fini(stacktab *t)
{
    if (t->table)
        munmap((void *)t->table, (t->table_mask + 1) * sizeof *t->table);
    if (t->meta)
        munmap(t->meta, (size_t)t->max_stacks * sizeof *t->meta);
    if (t->counts)
        munmap(t->counts, (size_t)t->max_stacks * sizeof *t->counts);
    if (t->pcs)
        munmap(t->pcs, (size_t)t->pcs_cap * sizeof *t->pcs);
    if (t->by_pcs)
        munmap(t->by_pcs, (t->table_mask + 1) * sizeof *t->by_pcs);
    t->by_pcs = NULL;
    t->table = NULL;
    t->meta = NULL;
    t->counts = NULL;
    t->pcs = NULL;
}

static uint64_t hash_pcs(const uintptr_t *pcs, uint32_t depth, uint32_t tag)
{
    uint64_t h = 0xcbf29ce484222325ull ^ depth ^ ((uint64_t)tag << 32);
    for (uint32_t i = 0; i < depth; i++) {
        h ^= (uint64_t)pcs[i];
        h *= 0x100000001b3ull;
        h ^= h >> 29;
    }
    return h;
}

static uint32_t find(stacktab *t, const uintptr_t *pcs, uint32_t depth,
                     uint32_t tag, uint64_t h, uint32_t *slot_out)
{
    uint32_t i = (uint32_t)h & t->table_mask;
    /* The first slot is read with a locked no-op write: on a page of the
     * table never touched, a load would map the shared zero page, and the
     * insert's store after it take a second fault that copies it and
     * flushes the other CPUs' TLBs; a write takes one fault. The locked
     * operation's ~20 cycles are nothing against a sample's microseconds. */
    uint32_t v = atomic_fetch_add_explicit(&t->table[i], 0, memory_order_acquire);
    for (;;) {
        if (v == 0) {
            *slot_out = i;
            return STACKTAB_FULL;
        }
        const stack_meta *m = &t->meta[v - 1];
        if (m->hash == h && m->depth == depth && m->tag == tag &&
            memcmp(&t->pcs[m->pc_offset], pcs, depth * sizeof *pcs) == 0)
            return v - 1;
        i = (i + 1) & t->table_mask;
        v = atomic_load_explicit(&t->table[i], memory_order_acquire);
    }
}

/*
 * Under the lock: the pool offset of a copy of pcs, an existing record's
 * when one has the same call stack (another size class or thread), else a
 * new copy. UINT32_MAX when the pool is full.
 */
static uint32_t pcs_copy(stacktab *t, const uintptr_t *pcs, uint32_t depth)
{
    uint32_t i = (uint32_t)hash_pcs(pcs, depth, 0) & t->table_mask;
    /* Written first, as find() reads its first slot (a new stack's slot
     * here is usually on a page not touched yet). */
    uint32_t v = __atomic_fetch_add(&t->by_pcs[i], 0, __ATOMIC_RELAXED);
    for (;;) {
        if (v == 0)
            break;
        const stack_meta *m = &t->meta[v - 1];
        if (m->depth == depth && memcmp(&t->pcs[m->pc_offset], pcs, depth * sizeof *pcs) == 0)
            return m->pc_offset;
        i = (i + 1) & t->table_mask;
        v = t->by_pcs[i];
    }
    if (t->pcs_used > t->pcs_cap - depth)
        return UINT32_MAX;
    uint32_t off = t->pcs_used;
    memcpy(&t->pcs[off], pcs, depth * sizeof *pcs);
    t->pcs_used += depth;
    /* The record about to be added (n_stacks) is the stack's first. */
    t->by_pcs[i] = atomic_load_explicit(&t->n_stacks, memory_order_relaxed) + 1;
    return off;
}

uint32_t stacktab_intern(stacktab *t, const uintptr_t *pcs, uint32_t depth,
                         uint32_t tag)
{
    uint64_t h = hash_pcs(pcs, depth, tag);
    uint32_t slot;
    uint32_t id = find(t, pcs, depth, tag, h, &slot);
    if (id != STACKTAB_FULL)
        return id;
    pthread_mutex_lock(&t->lock);
    /* Another thread may have added it since the lock-free look. */
    id = find(t, pcs, depth, tag, h, &slot);
    if (id == STACKTAB_FULL) {
        uint32_t n = atomic_load_explicit(&t->n_stacks, memory_order_relaxed);
        uint32_t off = n < t->max_stacks ? pcs_copy(t, pcs, depth) : UINT32_MAX;
        if (off != UINT32_MAX) {
            stack_meta *m = &t->meta[n];
            m->hash = h;
            m->depth = depth;
            m->tag = tag;
            m->pc_offset = off;
            atomic_store_explicit(&t->n_stacks, n + 1, memory_order_release);
            atomic_store_explicit(&t->table[slot], n + 1, memory_order_release);
            id = n;
        } else {
            atomic_fetch_add_explicit(&t->dropped, 1, memory_order_relaxed);
        }
    }
    pthread_mutex_unlock(&t->lock);
    return id;
}

void stacktab_lock(stacktab *t)
{
    pthread_mutex_lock(&t->lock);
}

void stacktab_unlock(stacktab *t)
{
    pthread_mutex_unlock(&t->lock);
}

void stacktab_reset_lock(stacktab *t)
{
    pthread_mutex_init(&t->lock, NULL);
}
