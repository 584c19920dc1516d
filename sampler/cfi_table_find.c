/*
 * Runs in signal context. Lookups in the published unwind table: a binary
 * search for the object, then a page index, then a binary search among
 * that page's rows (a few cache lines): 6-8 probes for a pc in Debian's
 * libc instead of 20, which matters because between samples the table is
 * cold in cache. Its own file so that what the handler
 * can reach is small and easy to audit: no calls, no writes, reads only
 * within the table's arrays.
 */
#include "cfi_table.h"

const cfi_range *cfi_range_find(const cfi_range *r, uint32_t n, uintptr_t addr)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (addr < r[mid].start)
            hi = mid;
        else if (addr >= r[mid].end)
            lo = mid + 1;
        else
            return &r[mid];
    }
    return 0;
}

const cfi_row *cfi_table_find(const cfi_table *t, uintptr_t pc)
{
    uint32_t lo = 0, hi = t->n_objects;
    const cfi_object *o = 0;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const cfi_object *m = t->objects[mid];
        if (pc < m->start)
            hi = mid;
        else if (pc >= m->end)
            lo = mid + 1;
        else {
            o = m;
            break;
        }
    }
    if (!o || o->n_rows == 0)
        return 0;
    uint32_t off = (uint32_t)(pc - o->start);
    /* The last row whose pc_off <= off (rows[0].pc_off == 0), searched
     * between the rows in effect at this page's start and the next's. */
    uint32_t pg = off >> CFI_PAGE_SHIFT;
    lo = o->page[pg];
    hi = o->page[pg + 1] + 1;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (o->rows[mid].pc_off <= off)
            lo = mid;
        else
            hi = mid;
    }
    const cfi_row *r = &o->rows[lo];
    return r->kind == CFI_NONE ? 0 : r;
}
