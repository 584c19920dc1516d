/*
 * Runs in signal context (claim and publish). A bounded multi-producer
 * queue in the manner of Vyukov's: each slot carries a turn counter; a
 * producer claims slot `head` with one CAS when the slot's counter says it
 * is free for that turn, writes the sample in place (the unwinder writes
 * straight into it, no copy) and publishes by advancing the counter. No
 * locks, no allocation, bounded work: a full ring makes claim return NULL
 * and the handler counts a drop. SIGPROF is blocked while its handler runs,
 * so a thread never re-enters with a slot half written. Sizes: 4096 slots
 * x (32 + 8 x HEARTH_MAX_DEPTH) bytes, 4.2 MiB at the default depth, mapped
 * once in huge pages (huge_map: every sample writes a slot the TLB has
 * long forgotten) and touched whole by the reset; at 1000 Hz x 16 busy
 * threads the drainer, which wakes every 20 ms, finds about 320 samples.
 */
#include "cpu_ring.h"

#include <stddef.h>

#include "huge_map.h"

#include "signal_path.h"

int cpu_ring_init(cpu_ring *r, uint32_t n_slots, uint32_t max_depth)
{
    size_t bytes = sizeof(cpu_sample) + (size_t)max_depth * sizeof(uintptr_t);
    bytes = (bytes + 63) & ~(size_t)63;
    size_t len;
    void *m = huge_map(bytes * n_slots, false, &len);
    if (!m)
        return -1;
    r->slots = m;
    r->n_slots = n_slots;
    r->slot_bytes = (uint32_t)bytes;
    r->max_depth = max_depth;
    cpu_ring_reset(r);
    return 0;
}

void cpu_ring_reset(cpu_ring *r)
{
    r->tail = 0;
    for (uint32_t i = 0; i < r->n_slots; i++) {
        cpu_sample *s = (cpu_sample *)(r->slots + (size_t)i * r->slot_bytes);
        atomic_store_explicit(&s->seq, i, memory_order_relaxed);
    }
    atomic_store_explicit(&r->head, 0, memory_order_release);
}

static inline cpu_sample *slot(const cpu_ring *r, uint64_t pos)
{
    return (cpu_sample *)(r->slots + (size_t)(pos & (r->n_slots - 1)) * r->slot_bytes);
}

SIGNAL_PATH cpu_sample *cpu_ring_claim(cpu_ring *r)
{
    uint64_t pos = atomic_load_explicit(&r->head, memory_order_relaxed);
    for (;;) {
        cpu_sample *s = slot(r, pos);
        uint64_t seq = atomic_load_explicit(&s->seq, memory_order_acquire);
        int64_t dif = (int64_t)(seq - pos);
        if (dif == 0) {
            if (atomic_compare_exchange_weak_explicit(&r->head, &pos, pos + 1,
                                                      memory_order_relaxed,
                                                      memory_order_relaxed))
                return s;
        } else if (dif < 0) {
            return NULL;
        } else {
            pos = atomic_load_explicit(&r->head, memory_order_relaxed);
        }
    }
}

SIGNAL_PATH void cpu_ring_publish(cpu_ring *r, cpu_sample *s)
{
    /* The slot's turn was `pos` when claimed; pos + 1 tells the consumer
     * it is written. */
    uint64_t seq = atomic_load_explicit(&s->seq, memory_order_relaxed);
    (void)r;
    atomic_store_explicit(&s->seq, seq + 1, memory_order_release);
}

cpu_sample *cpu_ring_peek(cpu_ring *r)
{
    cpu_sample *s = slot(r, r->tail);
    uint64_t seq = atomic_load_explicit(&s->seq, memory_order_acquire);
    return seq == r->tail + 1 ? s : NULL;
}

void cpu_ring_release(cpu_ring *r, cpu_sample *s)
{
    atomic_store_explicit(&s->seq, r->tail + r->n_slots, memory_order_release);
    r->tail++;
}
