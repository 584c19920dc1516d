/*
 * DWARF -> two sorted tables per binary: line rows (address -> file, line)
 * and function ranges (address range -> function name, the range of the
 * function it is inlined into, its call site). libdwarf is used only while
 * building; lookups are binary searches over plain arrays, so a dump that
 * symbolizes 10,000 PCs costs 10,000 x two O(log n) searches, not 10,000 DIE
 * walks. Rows are 16 bytes, ranges 40; names and file paths are interned
 * once. Measured: Debian 12's libc debug file (4 MB of DWARF 5) gives
 * 139,095 rows and 12,401 ranges, 3.0 MB of tables (5.3 MB at the peak of
 * the build, plus libdwarf's copy of the sections), in 0.24 s; the test
 * workload (-O2 -g, 5 KB of code) 571 rows, 187 ranges, 17 KB.
 *
 * Own file because it is the only one that speaks libdwarf (20210528, the
 * old API) and the only one whose input can be arbitrarily deep and large:
 * everything here is bounded (max_bytes; DWARF_MAX_FRAMES inline nesting,
 * MAX_DIE_LEVEL DIE nesting, caps on ranges per DIE and on reference
 * chains; the DIE walk only moves forward, so a corrupt DW_AT_sibling cannot
 * make it circle) and every libdwarf error skips the part it is about
 * instead of failing the binary. libdwarf itself is not hardened against
 * corrupt input in this version: see dwarf_check_list_section.
 */
#include "dwarf.h"

#include <dwarf.h>
#include <errno.h>
#include <fcntl.h>
#include <libdwarf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

/* A line-table row. It covers [addr, next row's addr); file == ROW_END marks
 * the end of a sequence (nothing is covered until the next row). */
typedef struct dw_row {
    uint64_t addr;
    uint32_t file; /* string id, 0 = unknown */
    uint32_t line;
} dw_row;

#define ROW_END UINT32_MAX
#define NO_PARENT UINT32_MAX

/* One address range of a DW_TAG_subprogram or DW_TAG_inlined_subroutine. */
typedef struct dw_range {
    uint64_t lo, hi;     /* [lo, hi) */
    uint32_t parent;     /* range of the function this one is inlined into */
    uint32_t name;       /* string id */
    uint32_t call_file;  /* inlined only: where the parent calls us */
    uint32_t call_line;
    uint32_t decl_line;
    uint32_t depth;      /* 0 = out-of-line function */
} dw_range;

struct dwarf_index {
    dw_row *rows;
    size_t n_rows;
    dw_range *ranges; /* sorted by (lo, depth) */
    size_t n_ranges;
    char *pool;       /* NUL-terminated strings; id = offset, 0 = none */
    size_t pool_len;
    size_t bytes;
};

/* --- building --- */

/* Limits on hostile or strange input. */
#define MAX_RANGES_PER_DIE 4096
#define MAX_REF_HOPS 8
#define MAX_CU_FILES (1u << 20)
#define MAX_DIE_LEVEL 128 /* DIE nesting we follow (C recursion depth) */

typedef struct origin_cache_entry {
    uint64_t off; /* DIE offset + 1; 0 = empty slot */
    uint32_t name;
    uint32_t decl_line;
} origin_cache_entry;

typedef struct builder {
    Dwarf_Debug dbg;
    size_t max_bytes;
    int err; /* sticky: HEARTH_ELIMIT or HEARTH_ENOMEM stops the build */

    dw_row *rows;
    size_t n_rows, cap_rows;
    size_t seq_start; /* first row of the current sequence */
    dw_range *ranges;
    size_t n_ranges, cap_ranges;

    char *pool;
    size_t pool_len, pool_cap;
    uint32_t *str_hash; /* open addressing over string ids */
    size_t str_hash_cap, n_strs;

    origin_cache_entry *origins;
    size_t origins_cap, n_origins;

    /* The current CU. */
    Dwarf_Off last_die; /* offset of the DIE visited last */
    Dwarf_Half cu_version;
    uint64_t cu_base;     /* DW_AT_low_pc of the CU, base of DWARF 4 ranges */
    uint32_t *cu_files;   /* file number - cu_file_base -> string id */
    size_t cu_n_files;
    Dwarf_Signed cu_file_base;
} builder;

static size_t builder_bytes(const builder *b)
{
    return b->cap_rows * sizeof(dw_row) + b->cap_ranges * sizeof(dw_range) +
           b->pool_cap + b->str_hash_cap * sizeof(uint32_t) +
           b->origins_cap * sizeof(origin_cache_entry) +
           b->cu_n_files * sizeof(uint32_t);
}

/* Grows an array to hold one more element, within the byte budget. */
static bool grow(builder *b, void **arr, size_t *cap, size_t n, size_t elem)
{
    if (b->err)
        return false;
    if (n < *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 256;
    size_t extra = (ncap - *cap) * elem;
    if (builder_bytes(b) + extra > b->max_bytes) {
        b->err = hearth_error_set(HEARTH_ELIMIT,
                                  "DWARF tables larger than the %zu-byte limit",
                                  b->max_bytes);
        return false;
    }
    void *p = realloc(*arr, ncap * elem);
    if (!p) {
        b->err = hearth_error_set(HEARTH_ENOMEM, "out of memory");
        return false;
    }
    *arr = p;
    *cap = ncap;
    return true;
}

static uint64_t hash_str(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* Interns s into the pool; returns its id, or 0 for NULL/"" and on error. */
static uint32_t intern(builder *b, const char *s)
{
    if (!s || !*s || b->err)
        return 0;
    size_t n = strlen(s);
    if (n > 65536)
        n = 65536; /* a name this long is garbage; keep it bounded */
    if (!b->pool_len) {
        /* Id 0 is the empty string, so real strings start at offset 1. */
        if (!grow(b, (void **)&b->pool, &b->pool_cap, 0, 1))
            return 0;
        b->pool[0] = '\0';
        b->pool_len = 1;
    }
    if ((b->n_strs + 1) * 2 > b->str_hash_cap) {
        size_t ncap = b->str_hash_cap ? b->str_hash_cap * 2 : 1024;
        size_t extra = (ncap - b->str_hash_cap) * sizeof(uint32_t);
        if (builder_bytes(b) + extra > b->max_bytes) {
            b->err = hearth_error_set(HEARTH_ELIMIT,
                                      "DWARF tables larger than the %zu-byte limit",
                                      b->max_bytes);
            return 0;
        }
        uint32_t *t = calloc(ncap, sizeof *t);
        if (!t) {
            b->err = hearth_error_set(HEARTH_ENOMEM, "out of memory");
            return 0;
        }
        for (size_t i = 0; i < b->str_hash_cap; i++) {
            uint32_t id = b->str_hash[i];
            if (!id)
                continue;
            const char *t_s = b->pool + id;
            size_t h = hash_str(t_s, strlen(t_s)) & (ncap - 1);
            while (t[h])
                h = (h + 1) & (ncap - 1);
            t[h] = id;
        }
        free(b->str_hash);
        b->str_hash = t;
        b->str_hash_cap = ncap;
    }
    size_t mask = b->str_hash_cap - 1;
    size_t h = hash_str(s, n) & mask;
    while (b->str_hash[h]) {
        const char *t = b->pool + b->str_hash[h];
        if (!strncmp(t, s, n) && t[n] == '\0')
            return b->str_hash[h];
        h = (h + 1) & mask;
    }
    if (b->pool_len + n + 1 > UINT32_MAX) {
        b->err = hearth_error_set(HEARTH_ELIMIT, "DWARF strings exceed 4 GiB");
        return 0;
    }
    while (b->pool_len + n + 1 > b->pool_cap) {
        if (!grow(b, (void **)&b->pool, &b->pool_cap, b->pool_cap, 1))
            return 0;
    }
    uint32_t id = (uint32_t)b->pool_len;
    memcpy(b->pool + id, s, n);
    b->pool[id + n] = '\0';
    b->pool_len += n + 1;
    b->str_hash[h] = id;
    b->n_strs++;
    return id;
}

static void drop_error(builder *b, Dwarf_Error *e)
{
    if (*e) {
        dwarf_dealloc(b->dbg, *e, DW_DLA_ERROR);
        *e = NULL;
    }
}

/* --- attributes --- */

static bool attr_udata(builder *b, Dwarf_Die die, Dwarf_Half at, Dwarf_Unsigned *out)
{
    Dwarf_Attribute a = NULL;
    Dwarf_Error e = NULL;
    int rc = dwarf_attr(die, at, &a, &e);
    if (rc != DW_DLV_OK) {
        drop_error(b, &e);
        return false;
    }
    rc = dwarf_formudata(a, out, &e);
    if (rc != DW_DLV_OK) {
        Dwarf_Signed sv = 0;
        drop_error(b, &e);
        rc = dwarf_formsdata(a, &sv, &e);
        if (rc == DW_DLV_OK && sv >= 0)
            *out = (Dwarf_Unsigned)sv;
        else
            rc = DW_DLV_ERROR;
        drop_error(b, &e);
    }
    dwarf_dealloc(b->dbg, a, DW_DLA_ATTR);
    return rc == DW_DLV_OK;
}

/* A string attribute; the text lives in libdwarf's section data. */
static const char *attr_string(builder *b, Dwarf_Die die, Dwarf_Half at)
{
    char *s = NULL;
    Dwarf_Error e = NULL;
    if (dwarf_die_text(die, at, &s, &e) != DW_DLV_OK) {
        drop_error(b, &e);
        return NULL;
    }
    return s;
}

/* A reference attribute as a global .debug_info offset. */
static bool attr_ref(builder *b, Dwarf_Die die, Dwarf_Half at, Dwarf_Off *out)
{
    Dwarf_Attribute a = NULL;
    Dwarf_Error e = NULL;
    if (dwarf_attr(die, at, &a, &e) != DW_DLV_OK) {
        drop_error(b, &e);
        return false;
    }
    int rc = dwarf_global_formref(a, out, &e);
    drop_error(b, &e);
    dwarf_dealloc(b->dbg, a, DW_DLA_ATTR);
    return rc == DW_DLV_OK;
}

static uint32_t cu_file(const builder *b, Dwarf_Unsigned fileno)
{
    Dwarf_Signed i = (Dwarf_Signed)fileno - b->cu_file_base;
    if (i < 0 || (size_t)i >= b->cu_n_files)
        return 0;
    return b->cu_files[i];
}

/* --- names through abstract_origin / specification --- */

typedef struct fn_name {
    uint32_t name;
    uint32_t decl_line;
} fn_name;

static fn_name resolve_die(builder *b, Dwarf_Die die, int hops);

static origin_cache_entry *origin_slot(builder *b, Dwarf_Off off)
{
    size_t mask = b->origins_cap - 1;
    size_t h = (size_t)((off + 1) * 0x9e3779b97f4a7c15ull >> 17) & mask;
    while (b->origins[h].off && b->origins[h].off != off + 1)
        h = (h + 1) & mask;
    return &b->origins[h];
}

/* The name of the DIE at off, cached: thousands of inlined instances share
 * a few abstract origins. */
static fn_name resolve_off(builder *b, Dwarf_Off off, int hops)
{
    fn_name r = {0, 0};
    if (hops > MAX_REF_HOPS || b->err)
        return r;
    if (b->origins_cap) {
        origin_cache_entry *c = origin_slot(b, off);
        if (c->off) {
            r.name = c->name;
            r.decl_line = c->decl_line;
            return r;
        }
    }
    Dwarf_Die d = NULL;
    Dwarf_Error e = NULL;
    if (dwarf_offdie_b(b->dbg, off, 1, &d, &e) != DW_DLV_OK) {
        drop_error(b, &e);
        return r;
    }
    r = resolve_die(b, d, hops + 1);
    dwarf_dealloc_die(d);
    if ((b->n_origins + 1) * 2 > b->origins_cap) {
        size_t old_cap = b->origins_cap;
        origin_cache_entry *old = b->origins;
        size_t ncap = old_cap ? old_cap * 2 : 1024;
        if (builder_bytes(b) + (ncap - old_cap) * sizeof *old > b->max_bytes)
            return r; /* the cache is an optimisation: just stop growing it */
        b->origins = calloc(ncap, sizeof *old);
        if (!b->origins) {
            b->origins = old;
            return r;
        }
        b->origins_cap = ncap;
        for (size_t i = 0; i < old_cap; i++)
            if (old[i].off)
                *origin_slot(b, old[i].off - 1) = old[i];
        free(old);
    }
    origin_cache_entry *c = origin_slot(b, off);
    c->off = off + 1;
    c->name = r.name;
    c->decl_line = r.decl_line;
    b->n_origins++;
    return r;
}

/* DW_AT_linkage_name (as addr2line prefers it), else DW_AT_name, following
 * DW_AT_abstract_origin and DW_AT_specification for what is missing. */
static fn_name resolve_die(builder *b, Dwarf_Die die, int hops)
{
    fn_name r = {0, 0};
    const char *linkage = attr_string(b, die, DW_AT_linkage_name);
    if (!linkage)
        linkage = attr_string(b, die, DW_AT_MIPS_linkage_name);
    const char *name = attr_string(b, die, DW_AT_name);
    Dwarf_Unsigned decl = 0;
    bool has_decl = attr_udata(b, die, DW_AT_decl_line, &decl);
    if (linkage)
        r.name = intern(b, linkage);
    if (has_decl && decl <= UINT32_MAX)
        r.decl_line = (uint32_t)decl;
    if ((!linkage || !has_decl) && hops <= MAX_REF_HOPS) {
        Dwarf_Off off;
        if (attr_ref(b, die, DW_AT_abstract_origin, &off) ||
            attr_ref(b, die, DW_AT_specification, &off)) {
            fn_name o = resolve_off(b, off, hops);
            if (!r.name)
                r.name = o.name;
            if (!r.decl_line)
                r.decl_line = o.decl_line;
        }
    }
    if (!r.name && name)
        r.name = intern(b, name);
    return r;
}

/* --- address ranges --- */

typedef struct pc_range {
    uint64_t lo, hi;
} pc_range;

/* A range the linker left behind for discarded code (address 0, or the
 * tombstones -1/-2) is not code we can be asked about. */
static bool range_usable(uint64_t lo, uint64_t hi)
{
    return lo > 1 && hi > lo && lo < UINT64_MAX - 1;
}

static size_t die_ranges(builder *b, Dwarf_Die die, pc_range *out, size_t max)
{
    Dwarf_Error e = NULL;
    Dwarf_Addr lo = 0, hi = 0;
    Dwarf_Half form = 0;
    enum Dwarf_Form_Class cls = DW_FORM_CLASS_UNKNOWN;
    size_t n = 0;
    if (dwarf_lowpc(die, &lo, &e) == DW_DLV_OK) {
        if (dwarf_highpc_b(die, &hi, &form, &cls, &e) == DW_DLV_OK) {
            if (cls == DW_FORM_CLASS_CONSTANT)
                hi = lo + hi;
            if (range_usable(lo, hi) && max) {
                out[0].lo = lo;
                out[0].hi = hi;
                n = 1;
            }
        }
        drop_error(b, &e);
        return n;
    }
    drop_error(b, &e);

    Dwarf_Attribute a = NULL;
    if (dwarf_attr(die, DW_AT_ranges, &a, &e) != DW_DLV_OK) {
        drop_error(b, &e);
        return 0;
    }
    if (dwarf_whatform(a, &form, &e) != DW_DLV_OK) {
        drop_error(b, &e);
        dwarf_dealloc(b->dbg, a, DW_DLA_ATTR);
        return 0;
    }
    Dwarf_Unsigned val = 0;
    Dwarf_Off off = 0;
    int rc;
    if (form == DW_FORM_rnglistx) {
        rc = dwarf_formudata(a, &val, &e);
    } else {
        rc = dwarf_global_formref(a, &off, &e);
        val = off;
        if (rc != DW_DLV_OK) {
            drop_error(b, &e);
            rc = dwarf_formudata(a, &val, &e);
        }
    }
    drop_error(b, &e);
    if (rc == DW_DLV_OK && (b->cu_version >= 5 || form == DW_FORM_rnglistx)) {
        Dwarf_Rnglists_Head head = NULL;
        Dwarf_Unsigned count = 0, goff = 0;
        if (dwarf_rnglists_get_rle_head(a, form, val, &head, &count, &goff, &e) ==
            DW_DLV_OK) {
            for (Dwarf_Unsigned i = 0; i < count && n < max; i++) {
                unsigned len = 0, code = 0;
                Dwarf_Unsigned raw1 = 0, raw2 = 0, c1 = 0, c2 = 0;
                Dwarf_Bool unavailable = 0;
                if (dwarf_get_rnglists_entry_fields_a(head, i, &len, &code, &raw1,
                                                      &raw2, &unavailable, &c1,
                                                      &c2, &e) != DW_DLV_OK) {
                    drop_error(b, &e);
                    break;
                }
                if (code == DW_RLE_end_of_list)
                    break;
                if (code == DW_RLE_base_address || code == DW_RLE_base_addressx ||
                    unavailable || !range_usable(c1, c2))
                    continue;
                out[n].lo = c1;
                out[n].hi = c2;
                n++;
            }
            dwarf_dealloc_rnglists_head(head);
        }
        drop_error(b, &e);
    } else if (rc == DW_DLV_OK) {
        Dwarf_Ranges *rl = NULL;
        Dwarf_Signed count = 0;
        Dwarf_Unsigned bytes = 0;
        Dwarf_Off real = 0;
        if (dwarf_get_ranges_b(b->dbg, (Dwarf_Off)val, die, &real, &rl, &count,
                               &bytes, &e) == DW_DLV_OK) {
            uint64_t base = b->cu_base;
            for (Dwarf_Signed i = 0; i < count && n < max; i++) {
                if (rl[i].dwr_type == DW_RANGES_END)
                    break;
                if (rl[i].dwr_type == DW_RANGES_ADDRESS_SELECTION) {
                    base = rl[i].dwr_addr2;
                    continue;
                }
                uint64_t l = base + rl[i].dwr_addr1, h = base + rl[i].dwr_addr2;
                if (!range_usable(l, h))
                    continue;
                out[n].lo = l;
                out[n].hi = h;
                n++;
            }
            dwarf_ranges_dealloc(b->dbg, rl, count);
        }
        drop_error(b, &e);
    }
    dwarf_dealloc(b->dbg, a, DW_DLA_ATTR);
    return n;
}

/* --- the DIE walk --- */

typedef struct parent_ref {
    size_t first, count; /* the parent function's ranges; count 0 = none */
} parent_ref;

static uint32_t find_parent(const builder *b, parent_ref p, uint64_t lo)
{
    if (!p.count)
        return NO_PARENT;
    for (size_t i = p.first; i < p.first + p.count; i++)
        if (lo >= b->ranges[i].lo && lo < b->ranges[i].hi)
            return (uint32_t)i;
    return (uint32_t)p.first; /* out of the parent's ranges: keep the chain */
}

static void walk(builder *b, Dwarf_Die first, parent_ref parent, uint32_t depth,
                 uint32_t level, pc_range *scratch);

/* level counts DIE nesting (the C recursion), depth the inline chain. */
static void function_die(builder *b, Dwarf_Die die, Dwarf_Half tag,
                         parent_ref parent, uint32_t depth, uint32_t level,
                         pc_range *scratch)
{
    bool inlined = tag == DW_TAG_inlined_subroutine && parent.count;
    if (!inlined) {
        /* An out-of-line function starts a new chain, even nested. */
        parent.count = 0;
        depth = 0;
    }
    size_t n = die_ranges(b, die, scratch, MAX_RANGES_PER_DIE);
    if (!n)
        return; /* a declaration or an abstract instance: no code */
    fn_name nm = resolve_die(b, die, 0);
    Dwarf_Unsigned call_file = 0, call_line = 0;
    if (inlined) {
        attr_udata(b, die, DW_AT_call_file, &call_file);
        attr_udata(b, die, DW_AT_call_line, &call_line);
    }
    size_t first = b->n_ranges;
    for (size_t i = 0; i < n; i++) {
        if (!grow(b, (void **)&b->ranges, &b->cap_ranges, b->n_ranges, sizeof(dw_range)))
            return;
        dw_range *r = &b->ranges[b->n_ranges++];
        r->lo = scratch[i].lo;
        r->hi = scratch[i].hi;
        r->parent = find_parent(b, parent, r->lo);
        r->name = nm.name;
        r->call_file = inlined ? cu_file(b, call_file) : 0;
        r->call_line = call_line <= UINT32_MAX ? (uint32_t)call_line : 0;
        r->decl_line = nm.decl_line;
        r->depth = depth;
    }
    if (depth + 1 >= DWARF_MAX_FRAMES || level + 1 >= MAX_DIE_LEVEL)
        return;
    Dwarf_Die child = NULL;
    Dwarf_Error e = NULL;
    if (dwarf_child(die, &child, &e) == DW_DLV_OK) {
        parent_ref me = {first, b->n_ranges - first};
        walk(b, child, me, depth + 1, level + 1, scratch);
    }
    drop_error(b, &e);
}

/* Walks first and its siblings (deallocating them). Lexical blocks are
 * transparent; namespaces hold functions; types and variables are skipped. */
static void walk(builder *b, Dwarf_Die first, parent_ref parent, uint32_t depth,
                 uint32_t level, pc_range *scratch)
{
    Dwarf_Die d = first;
    Dwarf_Error e = NULL;
    while (d && !b->err) {
        /* A well-formed tree walked in this order visits DIEs at increasing
         * offsets; a corrupt DW_AT_sibling pointing back would loop. */
        Dwarf_Off off = 0;
        if (dwarf_dieoffset(d, &off, &e) != DW_DLV_OK || off <= b->last_die) {
            drop_error(b, &e);
            break;
        }
        b->last_die = off;
        Dwarf_Half tag = 0;
        if (dwarf_tag(d, &tag, &e) != DW_DLV_OK) {
            drop_error(b, &e);
            tag = 0;
        }
        Dwarf_Die child = NULL;
        switch (tag) {
        case DW_TAG_subprogram:
        case DW_TAG_inlined_subroutine:
        case DW_TAG_entry_point:
            function_die(b, d, tag, parent, depth, level, scratch);
            break;
        case DW_TAG_lexical_block:
        case DW_TAG_try_block:
        case DW_TAG_catch_block:
        case DW_TAG_namespace:
        case DW_TAG_module:
            if (level + 1 < MAX_DIE_LEVEL && dwarf_child(d, &child, &e) == DW_DLV_OK) {
                bool scope = tag == DW_TAG_namespace || tag == DW_TAG_module;
                walk(b, child, scope ? (parent_ref){0, 0} : parent,
                     scope ? 0 : depth, level + 1, scratch);
            }
            drop_error(b, &e);
            break;
        default:
            break;
        }
        Dwarf_Die next = NULL;
        int rc = dwarf_siblingof_b(b->dbg, d, 1, &next, &e);
        drop_error(b, &e);
        dwarf_dealloc_die(d);
        d = rc == DW_DLV_OK ? next : NULL;
    }
    if (d)
        dwarf_dealloc_die(d);
}

/* --- the line table --- */

static void add_row(builder *b, uint64_t addr, uint32_t file, uint32_t line, bool end)
{
    /* Several rows at one address: the last one describes it (as in BFD),
     * and a row right before the end of its sequence covers nothing. */
    dw_row *r;
    if (b->n_rows > b->seq_start && b->rows[b->n_rows - 1].addr == addr) {
        r = &b->rows[b->n_rows - 1];
    } else {
        if (!grow(b, (void **)&b->rows, &b->cap_rows, b->n_rows, sizeof(dw_row)))
            return;
        r = &b->rows[b->n_rows++];
    }
    r->addr = addr;
    r->file = end ? ROW_END : file;
    r->line = end ? 0 : line;
    if (end) {
        /* A sequence of discarded code (relocated to 0, or a tombstone) is
         * dropped whole. */
        if (!range_usable(b->rows[b->seq_start].addr, addr))
            b->n_rows = b->seq_start;
        b->seq_start = b->n_rows;
    }
}

static void cu_lines(builder *b, Dwarf_Die cu)
{
    Dwarf_Error e = NULL;
    Dwarf_Unsigned version = 0;
    Dwarf_Small table_count = 0;
    Dwarf_Line_Context ctx = NULL;
    if (dwarf_srclines_b(cu, &version, &table_count, &ctx, &e) != DW_DLV_OK) {
        drop_error(b, &e);
        return;
    }
    Dwarf_Signed base = 1, count = 0, end = 0;
    if (dwarf_srclines_files_indexes(ctx, &base, &count, &end, &e) != DW_DLV_OK)
        drop_error(b, &e);
    b->cu_file_base = base;

    char **files = NULL;
    Dwarf_Signed n_files = 0;
    if (dwarf_srcfiles(cu, &files, &n_files, &e) == DW_DLV_OK) {
        size_t n = n_files > 0 ? (size_t)n_files : 0;
        if (n > MAX_CU_FILES)
            n = MAX_CU_FILES;
        if (n && builder_bytes(b) + n * sizeof(uint32_t) <= b->max_bytes)
            b->cu_files = calloc(n, sizeof(uint32_t));
        if (b->cu_files) {
            b->cu_n_files = n;
            for (size_t i = 0; i < n; i++)
                b->cu_files[i] = intern(b, files[i]);
        }
        for (Dwarf_Signed i = 0; i < n_files; i++)
            dwarf_dealloc(b->dbg, files[i], DW_DLA_STRING);
        dwarf_dealloc(b->dbg, files, DW_DLA_LIST);
    }
    drop_error(b, &e);

    Dwarf_Line *lines = NULL;
    Dwarf_Signed n_lines = 0;
    if (table_count == 1 &&
        dwarf_srclines_from_linecontext(ctx, &lines, &n_lines, &e) == DW_DLV_OK) {
        b->seq_start = b->n_rows;
        for (Dwarf_Signed i = 0; i < n_lines && !b->err; i++) {
            Dwarf_Addr addr = 0;
            Dwarf_Unsigned lineno = 0, fileno = 0;
            Dwarf_Bool is_end = 0;
            if (dwarf_lineaddr(lines[i], &addr, &e) != DW_DLV_OK ||
                dwarf_lineno(lines[i], &lineno, &e) != DW_DLV_OK ||
                dwarf_line_srcfileno(lines[i], &fileno, &e) != DW_DLV_OK ||
                dwarf_lineendsequence(lines[i], &is_end, &e) != DW_DLV_OK) {
                drop_error(b, &e);
                continue;
            }
            add_row(b, addr, cu_file(b, fileno),
                    lineno <= UINT32_MAX ? (uint32_t)lineno : 0, is_end);
        }
        /* A table that does not end its last sequence: close it here so
         * the next CU's rows cannot be mistaken for its continuation. */
        if (b->n_rows > b->seq_start && !b->err) {
            uint64_t last = b->rows[b->n_rows - 1].addr;
            add_row(b, last + 1, 0, 0, true);
        }
    }
    drop_error(b, &e);
    dwarf_srclines_dealloc_b(ctx);
}

static void cu_walk(builder *b, Dwarf_Die cu, pc_range *scratch)
{
    Dwarf_Error e = NULL;
    Dwarf_Half tag = 0;
    if (dwarf_tag(cu, &tag, &e) != DW_DLV_OK || (tag != DW_TAG_compile_unit &&
                                                 tag != DW_TAG_partial_unit)) {
        drop_error(b, &e);
        return;
    }
    Dwarf_Off off = 0;
    if (dwarf_dieoffset(cu, &off, &e) != DW_DLV_OK) {
        drop_error(b, &e);
        return;
    }
    b->last_die = off;
    Dwarf_Addr lo = 0;
    b->cu_base = dwarf_lowpc(cu, &lo, &e) == DW_DLV_OK ? lo : 0;
    drop_error(b, &e);
    cu_lines(b, cu);
    Dwarf_Die child = NULL;
    if (!b->err && dwarf_child(cu, &child, &e) == DW_DLV_OK)
        walk(b, child, (parent_ref){0, 0}, 0, 1, scratch);
    drop_error(b, &e);
    free(b->cu_files);
    b->cu_files = NULL;
    b->cu_n_files = 0;
}

/* --- finishing: sort, compact --- */

static int row_cmp(const void *pa, const void *pb)
{
    const dw_row *a = pa, *b = pb;
    if (a->addr != b->addr)
        return a->addr < b->addr ? -1 : 1;
    /* An end marker sorts before a row starting at the same address, so the
     * next sequence's row wins. */
    bool ea = a->file == ROW_END, eb = b->file == ROW_END;
    if (ea != eb)
        return ea ? -1 : 1;
    if (a->file != b->file)
        return a->file < b->file ? -1 : 1;
    return a->line < b->line ? -1 : a->line > b->line;
}

typedef struct range_key {
    uint64_t lo;
    uint32_t depth;
    uint32_t index;
} range_key;

static int range_key_cmp(const void *pa, const void *pb)
{
    const range_key *a = pa, *b = pb;
    if (a->lo != b->lo)
        return a->lo < b->lo ? -1 : 1;
    if (a->depth != b->depth)
        return a->depth < b->depth ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

static int finish(builder *b, dwarf_index *x)
{
    if (b->n_rows) {
        qsort(b->rows, b->n_rows, sizeof *b->rows, row_cmp);
        /* Drop rows that repeat the previous row's file and line (and
         * duplicate end markers): the lookup answers the same. */
        size_t w = 0;
        for (size_t i = 0; i < b->n_rows; i++) {
            const dw_row *r = &b->rows[i];
            if (w && b->rows[w - 1].file == r->file && b->rows[w - 1].line == r->line)
                continue;
            if (w && b->rows[w - 1].addr == r->addr && b->rows[w - 1].file == ROW_END)
                w--; /* a new sequence starts where another ended */
            b->rows[w++] = *r;
        }
        b->n_rows = w;
    }
    if (b->n_ranges > UINT32_MAX - 1)
        return hearth_error_set(HEARTH_ELIMIT, "too many DWARF ranges");
    if (b->n_ranges) {
        size_t n = b->n_ranges;
        range_key *keys = malloc(n * sizeof *keys);
        uint32_t *new_of_old = malloc(n * sizeof *new_of_old);
        dw_range *sorted = malloc(n * sizeof *sorted);
        if (!keys || !new_of_old || !sorted) {
            free(keys);
            free(new_of_old);
            free(sorted);
            return hearth_error_set(HEARTH_ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < n; i++) {
            keys[i].lo = b->ranges[i].lo;
            keys[i].depth = b->ranges[i].depth;
            keys[i].index = (uint32_t)i;
        }
        qsort(keys, n, sizeof *keys, range_key_cmp);
        for (size_t i = 0; i < n; i++)
            new_of_old[keys[i].index] = (uint32_t)i;
        for (size_t i = 0; i < n; i++) {
            sorted[i] = b->ranges[keys[i].index];
            if (sorted[i].parent != NO_PARENT)
                sorted[i].parent = new_of_old[sorted[i].parent];
        }
        free(keys);
        free(new_of_old);
        free(b->ranges);
        b->ranges = sorted;
        b->cap_ranges = n;
    }
    /* Shrink to size; a failed shrink keeps the larger block. */
    if (b->n_rows < b->cap_rows && b->n_rows) {
        dw_row *r = realloc(b->rows, b->n_rows * sizeof *r);
        if (r)
            b->rows = r;
    }
    if (b->pool_len && b->pool_len < b->pool_cap) {
        char *p = realloc(b->pool, b->pool_len);
        if (p)
            b->pool = p;
    }
    x->rows = b->rows;
    x->n_rows = b->n_rows;
    x->ranges = b->ranges;
    x->n_ranges = b->n_ranges;
    x->pool = b->pool;
    x->pool_len = b->pool_len;
    x->bytes = sizeof *x + x->n_rows * sizeof(dw_row) +
               x->n_ranges * sizeof(dw_range) + x->pool_len;
    b->rows = NULL;
    b->ranges = NULL;
    b->pool = NULL;
    return 0;
}

static void builder_fini(builder *b)
{
    free(b->rows);
    free(b->ranges);
    free(b->pool);
    free(b->str_hash);
    free(b->origins);
    free(b->cu_files);
}

int dwarf_index_load(dwarf_index **out, const char *path,
                     const dwarf_index_options *opts)
{
    dwarf_index_options defaults = DWARF_INDEX_OPTIONS_INIT;
    if (!opts)
        opts = &defaults;
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return hearth_error_set(HEARTH_EFAIL, "%s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        close(fd);
        return hearth_error_set(HEARTH_EFAIL, "not a regular file");
    }
    builder b;
    memset(&b, 0, sizeof b);
    b.max_bytes = opts->max_bytes;
    Dwarf_Error e = NULL;
    int rc = dwarf_init_b(fd, DW_DLC_READ, DW_GROUPNUMBER_ANY, NULL, NULL, &b.dbg, &e);
    if (rc != DW_DLV_OK) {
        const char *why = rc == DW_DLV_NO_ENTRY ? "no DWARF"
                          : e ? dwarf_errmsg(e) : "libdwarf cannot read it";
        hearth_error_set(HEARTH_EFORMAT, "%s", why);
        if (e)
            dwarf_dealloc(NULL, e, DW_DLA_ERROR);
        close(fd);
        return HEARTH_EFORMAT;
    }
    pc_range *scratch = malloc(MAX_RANGES_PER_DIE * sizeof *scratch);
    if (!scratch) {
        dwarf_finish(b.dbg, &e);
        close(fd);
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    }
    size_t n_cus = 0;
    Dwarf_Unsigned prev_next = 0;
    while (!b.err) {
        Dwarf_Unsigned cu_len = 0, typeoff = 0, next = 0;
        Dwarf_Half version = 0, addr_size = 0, len_size = 0, ext_size = 0, cu_type = 0;
        Dwarf_Off abbrev = 0;
        Dwarf_Sig8 sig;
        rc = dwarf_next_cu_header_d(b.dbg, 1, &cu_len, &version, &abbrev, &addr_size,
                                    &len_size, &ext_size, &sig, &typeoff, &next,
                                    &cu_type, &e);
        if (rc != DW_DLV_OK) {
            /* NO_ENTRY is the end; an error leaves the iterator where it
             * was, so stop with what we have. */
            drop_error(&b, &e);
            break;
        }
        if (n_cus && next <= prev_next)
            break; /* not moving forward: corrupt headers */
        prev_next = next;
        n_cus++;
        b.cu_version = version;
        Dwarf_Die cu = NULL;
        if (dwarf_siblingof_b(b.dbg, NULL, 1, &cu, &e) != DW_DLV_OK) {
            drop_error(&b, &e);
            continue;
        }
        cu_walk(&b, cu, scratch);
        dwarf_dealloc_die(cu);
    }
    free(scratch);
    dwarf_finish(b.dbg, &e);
    close(fd);
    if (b.err) {
        builder_fini(&b);
        return b.err;
    }
    if (!n_cus || (!b.n_rows && !b.n_ranges)) {
        builder_fini(&b);
        return hearth_error_set(HEARTH_EFORMAT, "no DWARF line or function information");
    }
    dwarf_index *x = calloc(1, sizeof *x);
    if (!x) {
        builder_fini(&b);
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    }
    rc = finish(&b, x);
    builder_fini(&b);
    if (rc) {
        dwarf_index_destroy(x);
        return rc;
    }
    *out = x;
    return 0;
}

void dwarf_index_destroy(dwarf_index *x)
{
    if (!x)
        return;
    free(x->rows);
    free(x->ranges);
    free(x->pool);
    free(x);
}

size_t dwarf_index_bytes(const dwarf_index *x)
{
    return x ? x->bytes : 0;
}

size_t dwarf_index_n_rows(const dwarf_index *x)
{
    return x ? x->n_rows : 0;
}

size_t dwarf_index_n_ranges(const dwarf_index *x)
{
    return x ? x->n_ranges : 0;
}

/* --- checks before libdwarf --- */

static uint64_t le(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

int dwarf_check_list_section(const uint8_t *data, size_t len, const char *name)
{
    size_t off = 0;
    while (off < len) {
        size_t at = off;
        if (len - off < 4)
            goto bad;
        uint64_t unit = le(data + off, 4);
        size_t offset_size = 4;
        off += 4;
        if (unit == 0xffffffffu) {
            if (len - off < 8)
                goto bad;
            unit = le(data + off, 8);
            offset_size = 8;
            off += 8;
        } else if (unit >= 0xfffffff0u) {
            goto bad;
        }
        /* version 2, address_size 1, segment_selector_size 1, count 4 */
        if (unit < 8 || unit > len - off)
            goto bad;
        uint64_t version = le(data + off, 2);
        unsigned addr_size = data[off + 2], seg_size = data[off + 3];
        uint64_t count = le(data + off + 4, 4);
        if (version != 5 || (addr_size != 4 && addr_size != 8) || seg_size != 0 ||
            count > (unit - 8) / offset_size)
            goto bad;
        off += (size_t)unit;
        continue;
    bad:
        return hearth_error_set(HEARTH_EFORMAT, "%s: bad unit header at offset %zu",
                                name, at);
    }
    return 0;
}

/* --- lookup --- */

static const char *pool_str(const dwarf_index *x, uint32_t id)
{
    return id && id < x->pool_len ? x->pool + id : NULL;
}

static bool range_has(const dw_range *r, uint64_t pc)
{
    return pc >= r->lo && pc < r->hi;
}

/* The deepest function range containing pc, or NULL. */
static const dw_range *find_range(const dwarf_index *x, uint64_t pc)
{
    size_t lo = 0, hi = x->n_ranges;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x->ranges[mid].lo <= pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (!lo)
        return NULL;
    /* Ranges nest, so the deepest one containing pc is the last range
     * starting at or before pc or one of its ancestors. */
    const dw_range *r = &x->ranges[lo - 1];
    for (int hops = 0; r && hops <= DWARF_MAX_FRAMES; hops++) {
        if (range_has(r, pc))
            return r;
        r = r->parent != NO_PARENT && r->parent < x->n_ranges ? &x->ranges[r->parent] : NULL;
    }
    /* Overlapping out-of-line functions (identical code folded, or odd
     * DWARF) break the nesting; look a little further back. */
    for (size_t i = lo - 1, k = 0; k < 64; i--, k++) {
        if (x->ranges[i].depth == 0 && range_has(&x->ranges[i], pc))
            return &x->ranges[i];
        if (!i)
            break;
    }
    return NULL;
}

size_t dwarf_index_lookup(const dwarf_index *x, uint64_t vaddr,
                          dwarf_frame *frames, size_t max)
{
    if (!x || !max)
        return 0;
    const char *file = NULL;
    uint32_t line = 0;
    size_t lo = 0, hi = x->n_rows;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x->rows[mid].addr <= vaddr)
            lo = mid + 1;
        else
            hi = mid;
    }
    bool have_line = lo && x->rows[lo - 1].file != ROW_END;
    if (have_line) {
        file = pool_str(x, x->rows[lo - 1].file);
        line = x->rows[lo - 1].line;
    }
    const dw_range *r = find_range(x, vaddr);
    if (!r) {
        if (!have_line)
            return 0;
        frames[0] = (dwarf_frame){NULL, file, line, 0};
        return 1;
    }
    /* Collect the chain innermost first; past max keep the outermost. */
    size_t n = 0;
    for (int hops = 0; r && hops <= DWARF_MAX_FRAMES; hops++) {
        dwarf_frame f = {pool_str(x, r->name), file, line, r->decl_line};
        if (n < max)
            frames[n++] = f;
        else
            frames[max - 1] = f;
        if (r->depth == 0 || r->parent == NO_PARENT || r->parent >= x->n_ranges)
            break;
        file = pool_str(x, r->call_file);
        line = r->call_line;
        r = &x->ranges[r->parent];
    }
    return n;
}
