/*
 * The dlclose interposition: after glibc's dlclose, allocation stacks stop
 * using libunwind's cached frame rules (unwind_libunwind.c), because a
 * library loaded later may be mapped where the closed one was, and a
 * stale rule for one of its pcs would walk its frames by another
 * library's layout. The CFI table needs
 * no such hook: it notices loads and unloads through dl_iterate_phdr's
 * counters. Its own file so that builds whose runtime owns dlclose
 * (ThreadSanitizer's interceptor, make tsan) leave it out.
 */
#include <dlfcn.h>
#include <stdatomic.h>

#include "sampler.h"
#include "unwind.h"

typedef int (*dlclose_fn)(void *);
/* glibc's dlclose, resolved by the first caller (dlsym may allocate: our
 * own allocation). */
static _Atomic dlclose_fn real_dlclose;

__attribute__((visibility("default"))) int dlclose(void *handle)
{
    dlclose_fn real = atomic_load_explicit(&real_dlclose, memory_order_acquire);
    if (!real) {
        uint32_t prev = heap_internal_begin();
        real = (dlclose_fn)dlsym(RTLD_NEXT, "dlclose");
        heap_internal_end(prev);
        if (!real)
            return -1;
        atomic_store_explicit(&real_dlclose, real, memory_order_release);
    }
    int rc = real(handle);
    unwind_libunwind_retire();
    return rc;
}
