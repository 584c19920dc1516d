/*
 * The allocator entry points libhearth interposes. Each calls glibc's own
 * implementation through its __libc_* alias (exported by glibc for exactly
 * this use), so resolving the real allocator needs no dlsym and cannot
 * recurse, and allocations made before the sampler starts are served like
 * any other. On top of the real call: a thread-local countdown and a branch
 * (heap_after_alloc), and for free a lookup that almost always ends at the
 * first slot (heap_before_free). The timeline's exact counters add two
 * thread-local additions of the block's usable size (timeline_count_*).
 * C++ new/delete reach these through libstdc++'s operator new, which
 * calls malloc. Large blocks of the sampler's own threads bypass glibc
 * (big_block.h); checking for them costs a compare on malloc's size and a
 * bit test of the header word free reads anyway.
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "big_block.h"
#include "hearth.h"
#include "sampler.h"
#include "timeline_counters.h"

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_valloc(size_t);
extern void *__libc_pvalloc(size_t);

#define EXPORT __attribute__((visibility("default")))

/* A large block: the sampler's own come from big_block. */
__attribute__((noinline)) static void *malloc_big(size_t size)
{
    return hearth_tls.busy ? big_block_alloc(size) : __libc_malloc(size);
}

EXPORT void *malloc(size_t size)
{
    void *p = unlikely(size >= BIG_BLOCK_MIN) ? malloc_big(size) : __libc_malloc(size);
    if (likely(p != NULL)) {
        heap_after_alloc(p, size);
        timeline_count_alloc(p);
    }
    return p;
}

EXPORT void free(void *p)
{
    if (p) {
        heap_before_free(p);
        timeline_count_free(p);
        if (unlikely(big_block_owns(p))) {
            big_block_free(p);
            return;
        }
    }
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

EXPORT void *realloc(void *old, size_t size)
{
    if (!old)
        return malloc(size);
    if (unlikely(big_block_owns(old)) || (unlikely(size >= BIG_BLOCK_MIN) && hearth_tls.busy))
        return realloc_by_copy(old, size);
    /* Take the old block out of the live set before glibc can hand its
     * address to another thread; put it back if the realloc fails. */
    uint32_t stack = 0;
    uint64_t old_size = 0;
    int sampled = live_set_remove(&hearth_g.live, (uintptr_t)old, &stack, &old_size);
    uint64_t old_bytes = tl_block_bytes(old);
    void *p = __libc_realloc(old, size);
    if (p == NULL && size != 0) {
        if (sampled)
            live_set_insert(&hearth_g.live, (uintptr_t)old, stack, old_size);
        return NULL;
    }
    if (sampled)
        heap_account_free(stack, old_size);
    /* Counted as a free and an allocation, as heaptrack does; realloc(p, 0)
     * frees and returns NULL. */
    timeline_count_free_bytes(old_bytes);
    if (p) {
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

EXPORT void *aligned_alloc(size_t align, size_t size)
{
    if (align == 0 || (align & (align - 1)) != 0) {
        errno = EINVAL;
        return NULL;
    }
    void *p = __libc_memalign(align, size);
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
