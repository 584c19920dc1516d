/*
 * Runs in signal context. Lookups in the published unwind table: a binary
 * search over the table's inline spans (no pointer per probe), then the
 * object's bucket index, then a search among that bucket's few rows. At
 * 100 Hz the table is cold at every sample and each dependent cache (and
 * TLB) miss costs a few hundred ns on a virtual machine, so what counts is
 * lines touched: about one span line, one index line and one or two row
 * lines per lookup. Its own file so that what the handler can reach is
 * small and easy to audit: no calls, no writes, reads only within the
 * table's arrays.
 */
#include "cfi_table.h"

#include "signal_path.h"

SIGNAL_PATH const cfi_range *cfi_range_find(const cfi_range *r, uint32_t n, uintptr_t addr)
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

SIGNAL_PATH const cfi_row *cfi_table_find(const cfi_table *t, uintptr_t pc)
{
    uint32_t lo = 0, hi = t->n_objects;
    const cfi_span *o = 0;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const cfi_span *m = &t->spans[mid];
        if (pc < m->start)
            hi = mid;
        else if (pc - m->start > m->last)
            lo = mid + 1;
        else {
            o = m;
            break;
        }
    }
    if (!o)
        return 0;
    uint32_t off = (uint32_t)(pc - o->start);
    /* The last row whose pc_off <= off (rows[0].pc_off == 0), searched
     * between the rows in effect at this bucket's start and the next's. */
    uint32_t b = off >> o->shift;
    lo = o->index[b];
    hi = o->index[b + 1] + 1;
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
