/*
 * The lock-free store between the SIGPROF handler (many producers, one per
 * interrupted thread) and the CPU profile's drainer (one consumer): a
 * bounded ring of fixed-size slots, each holding one stack.
 */
#ifndef HEARTH_SAMPLER_CPU_RING_H
#define HEARTH_SAMPLER_CPU_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct cpu_sample {
    _Atomic uint64_t seq; /* the ring's turn counter for this slot */
    uint32_t gen;         /* the session that took it */
    pid_t tid;
    uint32_t weight;      /* timer periods this sample stands for */
    uint32_t cost_ticks;  /* time the handler spent on it, in arch_ticks */
    uint32_t depth;
    uint32_t truncated;   /* 1: deeper than max_depth */
    uintptr_t pcs[];      /* max_depth of them, leaf first */
} cpu_sample;

typedef struct cpu_ring {
    uint8_t *slots;           /* mmap'd n_slots x slot_bytes */
    uint32_t n_slots;         /* a power of two */
    uint32_t slot_bytes;
    uint32_t max_depth;
    _Atomic uint64_t head;    /* next slot producers claim */
    uint64_t tail;            /* next slot the consumer reads (consumer only) */
} cpu_ring;

/* Maps n_slots (a power of two) slots of max_depth pcs. Returns 0 or -1.
 * Done once: the ring outlives sessions, so a late handler never writes
 * into unmapped memory. */
int cpu_ring_init(cpu_ring *r, uint32_t n_slots, uint32_t max_depth);

/* Empties the ring; only when no handler can be writing to it. */
void cpu_ring_reset(cpu_ring *r);

/* Runs in signal context. Claims the next slot, or NULL when the ring is
 * full (the consumer is behind). The caller fills it and publishes it. */
cpu_sample *cpu_ring_claim(cpu_ring *r);
void cpu_ring_publish(cpu_ring *r, cpu_sample *s);

/* Runs in signal context. Starts loading, for writing, the slot the next
 * claim will most likely get (its header and first pcs), so the misses
 * overlap the unwind's. A hint only: prefetching never faults. */
static inline void cpu_ring_prefetch(const cpu_ring *r)
{
    /* Relaxed: another producer may take this slot first; a wasted hint. */
    uint64_t pos = atomic_load_explicit(&r->head, memory_order_relaxed);
    const char *s = (const char *)r->slots + (size_t)(pos & (r->n_slots - 1)) * r->slot_bytes;
    for (int line = 0; line < 3; line++)
        __builtin_prefetch(s + 64 * line, 1);
}

/* Consumer: the next published sample or NULL; release it when read. */
cpu_sample *cpu_ring_peek(cpu_ring *r);
void cpu_ring_release(cpu_ring *r, cpu_sample *s);

#endif
