/*
 * The pthread_create interposition: enters each new thread in the registry
 * (with the stack that created it) and starts it in thread_main, which
 * arms its CPU timer and cleans up when it ends, by return, pthread_exit
 * or cancellation. Its own file so that builds whose runtime owns
 * pthread_create (ThreadSanitizer's interceptor, make tsan) leave it out.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>

#include "sampler.h"
#include "threads.h"
#include "unwind.h"

typedef int (*create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
/* glibc's pthread_create, resolved once by the first caller (dlsym may
 * allocate: our own allocation). */
static _Atomic create_fn real_create;
/* Whether the malloc the process calls is libhearth's, found with it. */
static _Atomic bool malloc_is_ours;

static void thread_exit(void *arg)
{
    threads_exited(arg);
}

static void *thread_main(void *arg)
{
    thread_entry *e = arg;
    void *(*fn)(void *);
    void *fn_arg;
    threads_started(e, &fn, &fn_arg);
    void *ret;
    pthread_cleanup_push(thread_exit, e);
    ret = fn(fn_arg);
    pthread_cleanup_pop(1);
    return ret;
}

__attribute__((visibility("default"))) int pthread_create(pthread_t *th,
                                                          const pthread_attr_t *attr,
                                                          void *(*fn)(void *), void *arg)
{
    create_fn real = atomic_load_explicit(&real_create, memory_order_acquire);
    if (!real) {
        uint32_t prev = heap_internal_begin();
        real = (create_fn)dlsym(RTLD_NEXT, "pthread_create");
        void *m = dlsym(RTLD_DEFAULT, "malloc");
        heap_internal_end(prev);
        if (!real)
            return EAGAIN;
        atomic_store_explicit(&malloc_is_ours, m == (void *)hearth_malloc_self,
                              memory_order_relaxed);
        atomic_store_explicit(&real_create, real, memory_order_release);
    }
    uintptr_t pcs[THREADS_CREATE_DEPTH];
    /* Skip this function: the stack starts at the service's call. Before
     * the unwind table, through libgcc's unwinder where this thread has
     * not set libunwind up: its per-thread cache costs ~100-150 us and
     * 256 KiB (heap_sampler.c), which a thread that starts threads but
     * allocates little (and the main thread starting the sampler's own)
     * would otherwise pay for one walk. But libgcc's walk waits for
     * libgcc's own lock, and libgcc mallocs while holding it
     * (unwind_libgcc.c): libhearth's malloc never starts a thread, but a
     * malloc of the program's own may (an allocator's background thread),
     * and would then be waiting on itself. So where the process's malloc
     * is not libhearth's, libunwind walks as it always did. */
    bool libunwind = hearth_tls.libunwind ||
                     !atomic_load_explicit(&malloc_is_ours, memory_order_relaxed);
    uint32_t prev = heap_internal_begin();
    uint32_t n = unwind_current(pcs, THREADS_CREATE_DEPTH, 1, libunwind);
    heap_internal_end(prev);
    thread_entry *e = threads_starting(fn, arg, pcs, n);
    if (!e)
        return real(th, attr, fn, arg);
    int rc = real(th, attr, thread_main, e);
    if (rc)
        threads_not_started(e);
    return rc;
}
