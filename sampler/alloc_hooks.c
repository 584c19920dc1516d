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
 * calls malloc.
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

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

EXPORT void *malloc(size_t size)
{
    void *p = __libc_malloc(size);
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
    }
    __libc_free(p);
}

EXPORT void *calloc(size_t n, size_t size)
{
    void *p = __libc_calloc(n, size);
    if (likely(p != NULL)) {
        heap_after_alloc(p, n * size);
        timeline_count_alloc(p);
    }
    return p;
}

EXPORT void *realloc(void *old, size_t size)
{
    if (!old)
        return malloc(size);
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
