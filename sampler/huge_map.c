/*
 * 2 MiB-aligned mappings with MADV_HUGEPAGE for the unwind table and the
 * CPU sample ring. At 100 Hz each sample finds its pages gone from the TLB,
 * and on a virtual machine a page walk costs several hundred ns; the
 * table's lookups alone touch 4-6 distinct 4 KiB pages per sample. One
 * huge page for the whole table (Debian's libc and a small program: 9
 * objects, 54,600 rows, 0.7 MiB with the index) makes that one walk
 * (BENCHMARKS.md, "CPU sampler"). The price: the table's resident memory
 * rounds up to 2 MiB.
 * The ring (4.2 MiB, touched whole anyway) is not rounded: two huge pages
 * and a tail of small ones.
 */
#include "huge_map.h"

#include <stdint.h>
#include <sys/mman.h>

#define HUGE_BYTES ((size_t)2 << 20)

void *huge_map(size_t bytes, bool whole, size_t *out_len)
{
    size_t unit = whole ? HUGE_BYTES : 4096;
    size_t len = (bytes + unit - 1) & ~(unit - 1);
    if (len == 0 || len < bytes)
        return NULL;
    /* Over-map by one huge page and trim, so the start is aligned. */
    uint8_t *m = mmap(NULL, len + HUGE_BYTES, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    uint8_t *p = (uint8_t *)(((uintptr_t)m + HUGE_BYTES - 1) & ~(uintptr_t)(HUGE_BYTES - 1));
    if (p > m)
        munmap(m, (size_t)(p - m));
    if (m + len + HUGE_BYTES > p + len)
        munmap(p + len, (size_t)(m + len + HUGE_BYTES - (p + len)));
    /* Advice only: without THP the mapping works with small pages. */
    (void)madvise(p, len, MADV_HUGEPAGE);
    *out_len = len;
    return p;
}

void huge_unmap(void *p, size_t len)
{
    if (p)
        munmap(p, len);
}
