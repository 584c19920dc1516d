/*
 * The registry of per-thread counter slots behind timeline_counters.h.
 * Slots live in this library's .bss (32,768 x 64 B = 2 MiB of address
 * space, touched only as threads arrive), so the ticker can read a slot
 * whose thread has died without touching freed memory: a thread's TLS
 * block dies with it, a slot does not. Registration (a thread's first
 * malloc or free) and the ticker's sum take one mutex; the hot path never
 * does. A thread's exit is seen through a pthread key destructor, which
 * marks its slot; the thread may still free a few blocks after that (other
 * destructors run later), so the ticker waits two ticks before it folds
 * the slot into the retired total and hands it out again.
 */
#include "timeline_counters.h"

#include <dlfcn.h>
#include <pthread.h>
#include <string.h>


extern void *__libc_malloc(size_t);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

#define TL_SLOTS 32768u

enum { TL_SLOT_FREE = 0, TL_SLOT_LIVE = 1, TL_SLOT_EXITED = 2 };

__thread tl_slot *timeline_tls __attribute__((tls_model("initial-exec")));

/* All below under reg_lock, except: slots' counters (owner writes, ticker
 * reads) and state (read by the ticker under the lock, written by the
 * destructor without it: an atomic store). */
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static tl_slot slots[TL_SLOTS];
static tl_slot overflow_slot;
static uint32_t high_water;      /* slots[0..high_water) have been used */
static uint32_t next_hint;       /* where the next free-slot search starts */
static tl_totals retired;        /* counts of folded slots, chunk bytes */
static tl_totals retired_own;    /* the part of retired from own slots */
static _Atomic uint64_t overflowed;
static pthread_key_t exit_key;
static bool have_key;
/* The ticker's current tick, for the destructor's stamp. */
static _Atomic uint32_t current_tick;

static void on_thread_exit(void *arg)
{
    tl_slot *s = arg;
    if (s == &overflow_slot)
        return;
    atomic_store_explicit(&s->exit_tick, atomic_load(&current_tick), memory_order_relaxed);
    atomic_store_explicit(&s->state, TL_SLOT_EXITED, memory_order_release);
}

tl_slot *tl_counters_register(void)
{
    pthread_mutex_lock(&reg_lock);
    if (!have_key)
        have_key = pthread_key_create(&exit_key, on_thread_exit) == 0;
    tl_slot *s = &overflow_slot;
    for (uint32_t k = 0; k < TL_SLOTS; k++) {
        uint32_t i = (next_hint + k) % TL_SLOTS;
        if (atomic_load_explicit(&slots[i].state, memory_order_relaxed) == TL_SLOT_FREE) {
            s = &slots[i];
            next_hint = (i + 1) % TL_SLOTS;
            if (i + 1 > high_water)
                high_water = i + 1;
            break;
        }
    }
    if (s == &overflow_slot) {
        atomic_fetch_add(&overflowed, 1);
    } else {
        __atomic_store_n(&s->alloc_chunk, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&s->alloc_objects, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&s->free_chunk, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&s->free_objects, 0, __ATOMIC_RELAXED);
        atomic_store_explicit(&s->own, 0, memory_order_relaxed);
        atomic_store_explicit(&s->state, TL_SLOT_LIVE, memory_order_relaxed);
    }
    pthread_mutex_unlock(&reg_lock);
    /* TLS first: pthread_setspecific may calloc for high keys, and that
     * calloc must find this slot instead of registering again. */
    timeline_tls = s;
    if (have_key)
        pthread_setspecific(exit_key, s);
    return s;
}

/* A slot's counts (chunk bytes), read once. Relaxed loads: the owner's
 * single-instruction adds are never seen torn, and a count that is one
 * operation behind is fine for a tick. One read serves every total it
 * goes to, so that the own part never holds what the whole does not. */
static tl_totals read_slot(tl_slot *s)
{
    tl_totals t = {
        __atomic_load_n(&s->alloc_chunk, __ATOMIC_RELAXED),
        __atomic_load_n(&s->alloc_objects, __ATOMIC_RELAXED),
        __atomic_load_n(&s->free_chunk, __ATOMIC_RELAXED),
        __atomic_load_n(&s->free_objects, __ATOMIC_RELAXED),
    };
    return t;
}

static void add_to(tl_totals *t, const tl_totals *c)
{
    t->alloc_bytes += c->alloc_bytes;
    t->alloc_objects += c->alloc_objects;
    t->free_bytes += c->free_bytes;
    t->free_objects += c->free_objects;
}

/* Chunk bytes to usable bytes: 8 per block (tl_block_chunk_h). */
static void to_usable(tl_totals *t)
{
    t->alloc_bytes -= 8 * t->alloc_objects;
    t->free_bytes -= 8 * t->free_objects;
}

void tl_counters_sum(tl_totals *out, tl_totals *own, uint32_t tick)
{
    atomic_store(&current_tick, tick);
    tl_totals mine;
    pthread_mutex_lock(&reg_lock);
    *out = retired;
    mine = retired_own;
    tl_totals c = read_slot(&overflow_slot);
    add_to(out, &c);
    for (uint32_t i = 0; i < high_water; i++) {
        tl_slot *s = &slots[i];
        uint32_t st = atomic_load_explicit(&s->state, memory_order_acquire);
        if (st == TL_SLOT_FREE)
            continue;
        bool is_own = atomic_load_explicit(&s->own, memory_order_relaxed);
        c = read_slot(s);
        if (st == TL_SLOT_EXITED &&
            tick - atomic_load_explicit(&s->exit_tick, memory_order_relaxed) >= 2) {
            add_to(&retired, &c);
            if (is_own)
                add_to(&retired_own, &c);
            atomic_store_explicit(&s->state, TL_SLOT_FREE, memory_order_relaxed);
        }
        add_to(out, &c);
        if (is_own)
            add_to(&mine, &c);
    }
    pthread_mutex_unlock(&reg_lock);
    to_usable(out);
    to_usable(&mine);
    if (own)
        *own = mine;
}

void tl_counters_mark_own(void)
{
    tl_slot *s = tl_self();
    if (s != &overflow_slot)
        atomic_store_explicit(&s->own, 1, memory_order_relaxed);
}

bool tl_counters_layout_ok(void)
{
    /* The hooks call glibc's allocator by its __libc_* names; a process
     * where those lead elsewhere (a sanitizer's runtime intercepts them,
     * as in make tsan and make check) has headers of another shape, not to
     * be probed at all. */
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
    return false;
#endif
    Dl_info info;
    if (!dladdr((void *)__libc_malloc, &info) || !info.dli_fname ||
        !strstr(info.dli_fname, "libc.so"))
        return false;
    /* Small, medium, large (mmap'd at the default threshold) and aligned
     * blocks: usable size is at least what was asked, and within one
     * alignment step and the header of it (mmap'd: within a page). */
    static const size_t sizes[] = {1, 24, 25, 100, 1000, 4096, 70000, 1 << 20, 4 << 20};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        for (int aligned = 0; aligned < 2; aligned++) {
            void *p = aligned ? __libc_memalign(64, sizes[i]) : __libc_malloc(sizes[i]);
            if (!p)
                return false;
            uint64_t u = tl_block_bytes(p);
            bool big = (((const uint64_t *)p)[-1] & 2) != 0;
            /* Freeing an mmap'd chunk larger than glibc's mmap threshold
             * raises that threshold (and the trim threshold to twice it)
             * for the whole process: the probe would change how the
             * service's own large blocks are served and let arenas keep
             * megabytes of free memory. Shrunk to a page first (mremap),
             * the chunk is below the threshold when freed. */
            if (big)
                p = __libc_realloc(p, 1);
            __libc_free(p);
            if (u < sizes[i] || u > sizes[i] + (big ? 4096 + 64 : 32 + 64))
                return false;
        }
    }
    return true;
}

void tl_counters_fork_child(void)
{
    pthread_mutex_init(&reg_lock, NULL);
    tl_slot *self = timeline_tls;
    for (uint32_t i = 0; i < high_water; i++) {
        tl_slot *s = &slots[i];
        if (s == self || atomic_load(&s->state) == TL_SLOT_FREE)
            continue;
        tl_totals c = read_slot(s);
        add_to(&retired, &c);
        if (atomic_load(&s->own))
            add_to(&retired_own, &c);
        atomic_store(&s->state, TL_SLOT_FREE);
    }
}

uint64_t tl_counters_overflowed(void)
{
    return atomic_load(&overflowed);
}
