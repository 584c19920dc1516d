/*
 * See big_block.h. One mapping per block: the sampler makes a few hundred
 * large allocations per unwind-table build or dump, so a system call each
 * costs microseconds against milliseconds of parsing, and every byte goes
 * back to the system the moment the block is freed.
 */
#include "big_block.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

/* Bytes in front of the caller's: magic, mapping size, prev_size, size. */
#define HEADER 32

void *big_block_alloc(size_t size)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (size > SIZE_MAX - HEADER - page) {
        errno = ENOMEM;
        return NULL;
    }
    size_t len = (size + HEADER + page - 1) & ~(page - 1);
    void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        errno = ENOMEM;
        return NULL;
    }
    uint64_t *h = m;
    h[0] = BIG_BLOCK_MAGIC;
    h[1] = len;
    h[2] = 16;                    /* prev_size: the chunk's offset in the mapping */
    h[3] = (uint64_t)(len - 16) | 2; /* chunk size, IS_MMAPPED */
    return h + 4;
}

void big_block_free(void *p)
{
    uint64_t *h = (uint64_t *)p - 4;
    munmap(h, h[1]);
}
