/*
 * The unwind table: for every loaded object, its .eh_frame (or
 * .debug_frame) CFI turned into a sorted array of rows "from this pc on,
 * the caller's frame is found like this", plus the process's executable and
 * writable mappings. Built outside signal context with libdwarf; read by
 * the CPU signal handler and the allocation unwinder through a published,
 * immutable snapshot (cfi_table_enter / cfi_table_leave).
 */
#ifndef HEARTH_SAMPLER_CFI_TABLE_H
#define HEARTH_SAMPLER_CFI_TABLE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* How a row finds the caller's frame. */
enum {
    CFI_CFA_SP = 0,    /* CFA = sp + cfa_off */
    CFI_CFA_FP = 1,    /* CFA = fp + cfa_off */
    CFI_EXPR = 2,      /* a DWARF expression or a register we do not track */
    CFI_OUTERMOST = 3, /* the return address is undefined: the stack ends */
    CFI_NONE = 4,      /* no FDE covers these pcs */
    CFI_CFA_FP_DEREF = 5, /* CFA = *(fp + cfa_off): gcc's stack realignment
                             (DRAP) prologues */
};

/* fp_off values that are not offsets from the CFA. */
#define CFI_FP_SAME INT16_MIN        /* the caller's fp is this frame's */
#define CFI_FP_LOST (INT16_MIN + 1)  /* the caller's fp cannot be found */
#define CFI_FP_AT_FP (INT16_MIN + 2) /* saved at address fp (DRAP frames) */

/* 12 bytes; Debian 12's libc has 28,275 of them after merging. */
typedef struct cfi_row {
    uint32_t pc_off;  /* from the object's start; covers up to the next row */
    int32_t cfa_off;
    int16_t fp_off;   /* caller's fp saved at CFA + fp_off, or CFI_FP_* */
    int8_t ra_off;    /* return address saved at CFA + ra_off */
    uint8_t kind;     /* CFI_* */
} cfi_row;

typedef struct cfi_object {
    uintptr_t start, end; /* absolute pcs covered by rows */
    cfi_row *rows;        /* after the index: in block, or in the table's mapping */
    uint32_t n_rows;
    /* index[i]: the last row at or before pc_off i << shift, n_buckets + 1
     * entries. The shift gives CFI_ROWS_PER_BUCKET to twice that rows per
     * bucket (Debian's libc: 128 bytes of code, 2.6 rows), so a lookup
     * reads one index line and mostly one row line, and the index costs
     * at most 1/6 of the rows' memory whatever the object's size. */
    uint32_t *index;
    uint32_t n_buckets;
    uint8_t shift;
    void *block;          /* index and rows as parsed, until a table holds a copy */
    /* Identity, so a rebuild reuses objects still loaded at the same place. */
    uintptr_t bias;
    dev_t dev;
    ino_t ino;
    char *path;
    uint32_t refs;        /* tables holding it; under the table lock */
} cfi_object;

#define CFI_ROWS_PER_BUCKET 2

/* What a lookup reads of an object, copied into the table so the search
 * over objects is over one contiguous array (two spans per cache line)
 * instead of a pointer per probe. 32 bytes. */
typedef struct cfi_span {
    uintptr_t start;
    uint32_t last;        /* end - start - 1 */
    uint32_t shift;
    const uint32_t *index;
    const cfi_row *rows;
} cfi_span;

typedef struct cfi_range {
    uintptr_t start, end;
} cfi_range;

typedef struct cfi_table {
    cfi_object **objects;  /* sorted by start, not overlapping; owns refs */
    cfi_range *exec;       /* executable mappings, sorted */
    uint32_t n_exec;
    uint32_t n_writable;
    cfi_range *writable;   /* writable mappings (thread stacks among them) */
    unsigned long long adds, subs; /* dl_iterate_phdr's load counters */
    size_t n_rows;         /* over all objects */
    uint32_t n_failed;     /* objects whose CFI could not be read */
    int64_t build_ns;      /* time the last rebuild took */
    size_t map_bytes;      /* the table's mapping (huge_map), header included */
    /* The handler's part, last so that n_objects and the first spans
     * share a cache line: spans[i] describes objects[i]. */
    uint32_t n_objects;
    cfi_span spans[];
} cfi_table;

/* The published table and the readers in flight (see cfi_table.c), in
 * one struct on one cache line: a sample misses it once, not twice. */
typedef struct cfi_published {
    cfi_table *_Atomic current;
    _Atomic int readers;
} cfi_published;

extern cfi_published cfi_pub;

/*
 * Runs in signal context. The current table (NULL before the first build)
 * for as long as the caller stays between enter and leave; the table is
 * not freed before every reader that saw it has left.
 */
static inline const cfi_table *cfi_table_enter(void)
{
    atomic_fetch_add(&cfi_pub.readers, 1);
    return atomic_load(&cfi_pub.current);
}

static inline void cfi_table_leave(void)
{
    atomic_fetch_sub(&cfi_pub.readers, 1);
}

/* Runs in signal context. Starts loading cfi_pub's line without waiting:
 * a handler issues this before its first locked increment, which would
 * otherwise finish before this line's miss could even start. */
static inline void cfi_table_prefetch_current(void)
{
    __builtin_prefetch((const void *)&cfi_pub, 1);
}

/*
 * Runs in signal context. Starts loading the current table's header and
 * first spans into cache, so that those misses overlap the handler's
 * other work instead of adding to the first lookup. Only a hint: the
 * pointer is not dereferenced, and a prefetch never faults even if the
 * table has been freed since.
 */
static inline void cfi_table_prefetch(void)
{
    /* Relaxed: any table, even a stale one, is only a hint. */
    const char *t = (const char *)atomic_load_explicit(&cfi_pub.current, memory_order_relaxed);
    for (int line = 1; line <= 4; line++) /* n_objects and spans[0..9] */
        __builtin_prefetch(t + 64 * line);
}

/* Runs in signal context. The row in effect at pc, or NULL when pc is in
 * no object or in a gap between FDEs. */
const cfi_row *cfi_table_find(const cfi_table *t, uintptr_t pc);

/* Runs in signal context. The mapping of ranges (sorted) containing addr,
 * or NULL. */
const cfi_range *cfi_range_find(const cfi_range *r, uint32_t n, uintptr_t addr);

/*
 * Rebuilds the table if objects were loaded or unloaded since the last
 * build (or always, when force): objects still loaded are reused, new ones
 * parsed with libdwarf. Publishes the new table, then frees what the old
 * one alone held once no reader can still see it. Not async-signal-safe;
 * serialized by an internal lock. Returns 0, or -1 when no table could be
 * built (one stderr line the first time).
 */
int cfi_table_update(bool force);

/* The current table's figures for profile comments, read under the
 * table lock: objects, rows, bytes, objects that failed, last build time. */
void cfi_table_stats(uint32_t *objects, size_t *rows, size_t *bytes, uint32_t *failed,
                     int64_t *build_ns);

/* fork: the child must not inherit the table lock held. */
void cfi_table_fork_prepare(void);
void cfi_table_fork_parent(void);
void cfi_table_fork_child(void);

#endif
