/*
 * The allocator entry points libhearth interposes. Each calls glibc's own
 * implementation through its __libc_* alias (exported by glibc for exactly
 * this use), so resolving the real allocator needs no dlsym and cannot
 * recurse, and allocations made before the sampler starts are served like
 * any other (aligned_alloc, which has no such alias, is looked up once at
 * load and falls back to memalign until then). Every allocation and free
 * of the service passes here (perl's text job: 4.6 M of each in 1.4 s),
 * so malloc and free keep their common case to ~30 and ~20 instructions
 * besides glibc's: a thread-local countdown and a branch
 * (heap_after_alloc), the timeline's exact counters
 * (a chunk-header read and two thread-local adds, timeline_counters.h),
 * and for free one filter byte of the live-sample set; free's rarer cases
 * (a page that holds a sample, an mmap'd block, a thread's first call) are
 * out of line. C++ new/delete reach these through libstdc++'s operator
 * new, which calls malloc. Large blocks of the sampler's own threads
 * bypass glibc (big_block.h); checking for them costs a compare on
 * malloc's size and a bit test of the header word free reads anyway.
 */
#include <dlfcn.h>
#include <errno.h>
#include <gnu/lib-names.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "big_block.h"
#include "hearth.h"
#include "sampler.h"
#include "timeline_counters.h"

/* Called through the GOT instead of through a PLT stub: one indirect
 * jump less per call. */
#define NOPLT __attribute__((noplt))
extern void *__libc_malloc(size_t) NOPLT;
extern void *__libc_calloc(size_t, size_t) NOPLT;
extern void *__libc_realloc(void *, size_t) NOPLT;
extern void __libc_free(void *) NOPLT;
extern void *__libc_memalign(size_t, size_t) NOPLT;
extern void *__libc_valloc(size_t) NOPLT;
extern void *__libc_pvalloc(size_t) NOPLT;

#define EXPORT __attribute__((visibility("default")))

/* A large block: the sampler's own come from big_block. */
__attribute__((noinline)) static void *malloc_big(size_t size)
{
    return hearth_tls.busy ? big_block_alloc(size) : __libc_malloc(size);
}

/* The countdown stays after the real call: charging it before, so that
 * only the block lives across the call, took fewer instructions but more
 * cycles in perl's text job (perf: malloc's share 0.8-1.0% against
 * 0.5-0.7%). A sample is taken from here, so its leaf frame is malloc. */
EXPORT void *malloc(size_t size)
{
    void *p = unlikely(size >= BIG_BLOCK_MIN) ? malloc_big(size) : __libc_malloc(size);
    if (likely(p != NULL)) {
        heap_after_alloc(p, size);
        timeline_count_alloc(p);
    }
    return p;
}

/* This malloc under a name of its own: the pthread_create hook compares it
 * with the malloc the process calls (threads_create.c). GCC wants the
 * alias to carry malloc's attributes too. */
#if defined(__GNUC__) && !defined(__clang__)
extern __typeof__(malloc) hearth_malloc_self __attribute__((alias("malloc"), copy(malloc)));
#else
extern __typeof__(malloc) hearth_malloc_self __attribute__((alias("malloc")));
#endif

/* Everything free does, out of line: a block that may be sampled (its page
 * holds one: about one free in a hundred where samples are live), an
 * mmap'd chunk (which may be one of big_block's) or a thread's first. */
__attribute__((noinline)) static void free_slow(void *p)
{
    heap_before_free(p);
    uint64_t h = tl_header(p);
    timeline_count_free_h(h);
    if (unlikely(big_block_owns_h(p, h))) {
        big_block_free(p);
        return;
    }
    __libc_free(p);
}

/* The common case reads the chunk header glibc's free reads anyway and one
 * filter byte, adds to two thread-local counters and jumps to glibc's
 * free: no call, no frame. */
EXPORT void free(void *p)
{
    if (unlikely(p == NULL))
        return;
    uint64_t h = tl_header(p);
    tl_slot *s = timeline_tls;
    if (unlikely(s == NULL) || unlikely(h & 2) ||
        unlikely(live_set_may_hold(&hearth_g.live, (uintptr_t)p))) {
        free_slow(p);
        return;
    }
    timeline_count_free_heap(s, h);
    __libc_free(p);
}

EXPORT void *calloc(size_t n, size_t size)
{
    size_t bytes;
    void *p;
    /* big_block's memory is fresh from mmap, so already zeroed. */
    if (unlikely(!__builtin_mul_overflow(n, size, &bytes) && bytes >= BIG_BLOCK_MIN) &&
        hearth_tls.busy)
        p = big_block_alloc(bytes);
    else
        p = __libc_calloc(n, size);
    if (likely(p != NULL)) {
        heap_after_alloc(p, n * size);
        timeline_count_alloc(p);
    }
    return p;
}

/* realloc of a block of ours, or to a large block on the sampler's own
 * thread: a new block, a copy and a free, each through the hooks above, so
 * the sampling and the timeline see a free and an allocation as for any
 * realloc. */
__attribute__((noinline)) static void *realloc_by_copy(void *old, size_t size)
{
    size_t old_bytes = big_block_owns(old) ? big_block_usable(old) : tl_block_bytes(old);
    if (size == 0) {
        free(old);
        return NULL;
    }
    void *p = malloc(size);
    if (!p)
        return NULL;
    memcpy(p, old, old_bytes < size ? old_bytes : size);
    free(old);
    return p;
}

/* realloc of a block whose page holds a sampled block (the live set's
 * filter says it may be one), out of line so that realloc's common path
 * saves three registers instead of six and keeps nothing on the stack
 * (sqlite3's shell makes ~730,000 reallocs a run). Returns the new
 * block, or NULL with the old one untouched (failure) or freed (size 0);
 * the old block's free is counted here. */
__attribute__((noinline)) static void *realloc_maybe_sampled(void *old, size_t size)
{
    /* Hide the old block's entry before glibc can hand its address to
     * another thread; give it back if the realloc fails. Neither step can
     * fail, in a signal handler either. */
    uint32_t stack = 0;
    uint64_t old_size = 0;
    size_t taken = live_set_take(&hearth_g.live, (uintptr_t)old, &stack, &old_size);
    uint64_t old_h = tl_header(old);
    void *p = __libc_realloc(old, size);
    if (p == NULL && size != 0) {
        if (taken)
            live_set_put_back(&hearth_g.live, taken, (uintptr_t)old);
        return NULL;
    }
    if (taken) {
        live_set_release(&hearth_g.live, taken, (uintptr_t)old);
        heap_account_free(stack, old_size);
    }
    timeline_count_free_h(old_h);
    return p;
}

EXPORT void *realloc(void *old, size_t size)
{
    if (!old)
        return malloc(size);
    if (unlikely(big_block_owns(old)) || (unlikely(size >= BIG_BLOCK_MIN) && hearth_tls.busy))
        return realloc_by_copy(old, size);
    void *p;
    if (unlikely(live_set_may_hold(&hearth_g.live, (uintptr_t)old))) {
        p = realloc_maybe_sampled(old, size);
    } else {
        uint64_t old_h = tl_header(old);
        p = __libc_realloc(old, size);
        if (p == NULL && size != 0)
            return NULL;
        /* Counted as a free and an allocation, as heaptrack does;
         * realloc(p, 0) frees and returns NULL. */
        timeline_count_free_h(old_h);
    }
    if (likely(p != NULL)) {
        heap_after_alloc(p, size);
        timeline_count_alloc(p);
    }
    return p;
}

EXPORT void *reallocarray(void *old, size_t n, size_t size)
{
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(old, bytes);
}

EXPORT void *memalign(size_t align, size_t size)
{
    void *p = __libc_memalign(align, size);
    if (likely(p != NULL)) {
        heap_after_alloc(p, size);
        timeline_count_alloc(p);
    }
    return p;
}

EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
    if (align < sizeof(void *) || (align & (align - 1)) != 0)
        return EINVAL;
    void *p = __libc_memalign(align, size);
    if (!p)
        return ENOMEM;
    heap_after_alloc(p, size);
    timeline_count_alloc(p);
    *out = p;
    return 0;
}

/*
 * glibc's own aligned_alloc. In glibc 2.36 (Debian 12) it is memalign
 * under another name: any alignment, rounded up to a power of two. C17
 * lets it refuse an alignment that is not a power of two (EINVAL), as
 * later glibc versions may. The hook calls the one the process runs with
 * instead of copying either rule, so that the service sees what it sees
 * without libhearth. glibc exports no __libc_ name for it, hence the
 * lookup, made once at load; before it, memalign's rule.
 */
static void *(*_Atomic libc_aligned_alloc)(size_t, size_t);

__attribute__((constructor)) static void find_libc_aligned_alloc(void)
{
    /* libc's own definition, not the next one in the search order (which
     * may be another preloaded allocator's). The handle is never closed:
     * libc stays, and dlclose would go through our hook. What dlopen
     * allocates is ours, never sampled. */
    uint32_t prev = heap_internal_begin();
    void *libc = dlopen(LIBC_SO, RTLD_LAZY | RTLD_NOLOAD);
    void *f = libc ? dlsym(libc, "aligned_alloc") : NULL;
    if (!f)
        (void)dlerror(); /* leave the service no error of ours to read */
    heap_internal_end(prev);
    if (f && f != (void *)aligned_alloc)
        atomic_store_explicit(&libc_aligned_alloc, (void *(*)(size_t, size_t))f,
                              memory_order_relaxed);
}

EXPORT void *aligned_alloc(size_t align, size_t size)
{
    void *(*f)(size_t, size_t) = atomic_load_explicit(&libc_aligned_alloc, memory_order_relaxed);
    void *p = f ? f(align, size) : __libc_memalign(align, size);
    if (likely(p != NULL)) {
        heap_after_alloc(p, size);
        timeline_count_alloc(p);
    }
    return p;
}

EXPORT void *valloc(size_t size)
{
    void *p = __libc_valloc(size);
    if (likely(p != NULL)) {
        heap_after_alloc(p, size);
        timeline_count_alloc(p);
    }
    return p;
}

EXPORT void *pvalloc(size_t size)
{
    void *p = __libc_pvalloc(size);
    if (likely(p != NULL)) {
        heap_after_alloc(p, size);
        timeline_count_alloc(p);
    }
    return p;
}
