/*
 * The sampler's own large blocks (unwind-table scratch, libdwarf sections,
 * profile buffers at dump time), taken straight from mmap and given
 * straight back with munmap instead of from glibc's malloc. glibc raises
 * its mmap threshold (up to 32 MiB) and trim threshold (twice that) for the
 * whole process when a large mmap'd block is freed: one 8.9 MiB scratch
 * array freed by the unwind-table build left the dump thread's arena
 * holding 20 MiB of free memory it would never trim, and changed how the
 * service's own large blocks are served. Blocks made here never reach
 * glibc's free, so its thresholds stay the service's.
 */
#ifndef HEARTH_SAMPLER_BIG_BLOCK_H
#define HEARTH_SAMPLER_BIG_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Requests of at least this many bytes from the sampler's own threads
 * come from here (glibc's default mmap threshold is 128 KiB). */
#define BIG_BLOCK_MIN ((size_t)64 << 10)

/* The word 32 bytes before a block, at the start of its mapping. */
#define BIG_BLOCK_MAGIC 0x6b636f6c42676942ull

/*
 * A block laid out like a glibc mmap'd chunk: the mapping starts with
 * [magic][mapping bytes], then the chunk header [prev_size = 16][size |
 * IS_MMAPPED], then the caller's bytes. malloc_usable_size and the
 * timeline's header read give the right size, and even glibc's free would
 * unmap exactly the mapping. Returns NULL (errno ENOMEM) on failure. The
 * memory is zeroed. Thread-safe, no locks.
 */
void *big_block_alloc(size_t size);

/* Whether p (a block from malloc, not NULL) is one of ours. The common
 * case, a chunk glibc did not mmap, is one load of the header word that
 * free() reads anyway and one bit test. */
static inline bool big_block_owns_h(const void *p, uint64_t header)
{
    const uint64_t *h = (const uint64_t *)p;
    if (__builtin_expect((header & 2) == 0, 1))
        return false;
    /* A glibc mmap'd chunk: prev_size is its offset in its mapping, so
     * h[-4] is inside that mapping when prev_size is 16. */
    return h[-2] == 16 && h[-4] == BIG_BLOCK_MAGIC;
}

/* big_block_owns_h with the header word p[-1] read by the caller. */
static inline bool big_block_owns(const void *p)
{
    return big_block_owns_h(p, ((const uint64_t *)p)[-1]);
}

/* The bytes the caller may use in a block of ours. */
static inline size_t big_block_usable(const void *p)
{
    return (size_t)(((const uint64_t *)p)[-1] & ~(uint64_t)7) - 16;
}

/* Unmaps a block of ours. */
void big_block_free(void *p);

#endif
