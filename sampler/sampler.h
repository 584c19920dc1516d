/*
 * The one sampler of the process: its settings, tables and per-thread
 * state, shared by the allocator hooks, the dump thread and the public API.
 */
#ifndef HEARTH_SAMPLER_SAMPLER_H
#define HEARTH_SAMPLER_SAMPLER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "live_set.h"
#include "stacktab.h"

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

typedef struct sampler_state {
    config cfg;              /* written once by sampler_init, then read-only */
    _Atomic int heap_on;     /* 1 while allocation sampling runs */
    _Atomic int initialized;
    stacktab stacks;
    live_set live;
    _Atomic uint64_t unwind_reentered; /* allocations made by our own
                                          unwinding/recording: must stay 0 */
    /* Allocation stacks walked, by unwinder (heap_sampler.c). */
    _Atomic uint64_t walks_by_table, walks_by_libunwind, walks_by_libgcc;
    uint64_t start_ns;       /* CLOCK_REALTIME at init */
} sampler_state;

/* The process's sampler. Written by sampler_init (constructor or
 * hearth_start) before heap_on is set (release); read by the hooks after
 * they see heap_on (acquire). */
extern sampler_state hearth_g;

/* Per-thread state of the allocation hooks, in initial-exec TLS so that
 * touching it never allocates (a lazily allocated TLS block would call
 * malloc from inside malloc). */
typedef struct heap_thread {
    int64_t countdown;  /* bytes until the next sample */
    uint64_t rng;       /* xorshift state; 0 = not yet seeded */
    uint32_t busy;      /* >0 inside the sampler: our own allocations;
                           HEAP_RECORDING while a sample is taken */
    uint32_t walks;     /* sampled stacks walked by libgcc's unwinder,
                           counted up to HEAP_LIBUNWIND_AFTER */
    bool libunwind;     /* walks with libunwind: its per-thread cache is
                           set up (unwind_libunwind_prepare_thread) */
} heap_thread;

#define HEAP_RECORDING 0x80000000u

extern __thread heap_thread hearth_tls __attribute__((tls_model("initial-exec")));

/* libhearth's own malloc (alloc_hooks.c), whatever malloc the process
 * calls: a program or an earlier preload may bring its own. */
void *hearth_malloc_self(size_t size);

/* Reads the environment and sets everything up; idempotent. Returns 0 or
 * -1 (the sampler stays off and says why on stderr). */
int sampler_init(void);

/* The slow path of a sampled (or first) allocation; caller is the return
 * address of the allocator entry point the service called. */
void heap_sample_slow(void *p, size_t size, const void *caller);
/* Accounts a freed sampled block (found in the live set). */
void heap_account_free(uint32_t stack, uint64_t size);

/* Marks the calling thread as the sampler's own: its allocations are never
 * sampled. Returns the previous value for heap_internal_end. */
static inline uint32_t heap_internal_begin(void)
{
    return hearth_tls.busy++;
}

static inline void heap_internal_end(uint32_t prev)
{
    hearth_tls.busy = prev;
    if (prev == 0) {
        /* Our allocations pushed the countdown far away; start a fresh,
         * memoryless one so the service's next allocation is sampled with
         * exactly the usual probability. */
        hearth_tls.countdown = 0;
        hearth_tls.rng = 0;
    }
}

/* The inline hot path after every successful allocation: a thread-local
 * decrement and a branch. Always inlined into the entry point, so that the
 * return address is the service's call. */
static inline __attribute__((always_inline)) void heap_after_alloc(void *p, size_t size)
{
    heap_thread *t = &hearth_tls;
    t->countdown -= (int64_t)size;
    if (unlikely(t->countdown < 0))
        heap_sample_slow(p, size, __builtin_return_address(0));
}

/* Before a block is freed or reallocated: if it was sampled, move its
 * weight out of in-use. */
static inline void heap_before_free(void *p)
{
    uint32_t stack;
    uint64_t size;
    if (unlikely(live_set_remove(&hearth_g.live, (uintptr_t)p, &stack, &size)))
        heap_account_free(stack, size);
}

#endif
