/*
 * Building the unwind table (see cfi_table.h) outside signal context.
 * libdwarf finds each loaded object's FDEs in its .eh_frame (.debug_frame
 * when there is none), and fde_rows decodes their CFA instructions itself
 * (see there for why); every FDE row becomes a 12-byte cfi_row holding
 * only what an x86-64 walk needs (the CFA rule, where the return address
 * and the caller's frame pointer were saved). Rows are sorted, gaps between
 * FDEs marked, and runs of equal rules merged, and each object gets a
 * bucket index over its rows (cfi_table.h), so the handler's lookup per
 * frame reads a few cache lines that libdwarf never touches again.
 *
 * Publication is RCU-like: a new table is built beside the old, published
 * with one atomic store, and the old one (with the objects only it held) is
 * freed once cfi_pub.readers has been seen at zero after the store; readers
 * count themselves in before loading the pointer, so a reader that saw the
 * old table is always counted. A rebuild after dlopen reuses the objects
 * still loaded, so it costs the new object's parse (the 9 objects of
 * tests/workloads/cpu_work, libc among them: ~14 ms together) plus a
 * dl_iterate_phdr walk.
 */
#include "cfi_table.h"

#include <dwarf.h>
#include <libdwarf.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../formats/procmaps.h"
#include "arch.h"
#include "huge_map.h"
#include "sampler.h"

/* See cfi_table.h. current is written only under table_lock; both are
 * read by any thread and by signal handlers (seq_cst, see above). */
cfi_published cfi_pub __attribute__((aligned(64)));

/* Serializes rebuilds and owns the retired list; reinitialized in a forked
 * child. */
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

/* Tables published over that no quiet moment has yet allowed to free. */
#define MAX_RETIRED 16
static cfi_table *retired[MAX_RETIRED];
static uint32_t n_retired;

/* Bounds: objects per process and rows over all objects (12 bytes each:
 * 4M rows = 48 MiB; a large C++ service has a few million). Objects beyond
 * are left without rows and walked by frame pointers. */
#define MAX_OBJECTS 4096
#define MAX_MAPS 16384
#define MAX_TOTAL_ROWS (4u << 20)

static bool warned;

static void say_once(const char *msg)
{
    if (warned)
        return;
    warned = true;
    (void)!write(2, msg, strlen(msg));
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* --- parsing one object ------------------------------------------------ */

typedef struct row_buf {
    cfi_row *rows; /* pc_off holds the absolute pc until the object is done */
    uintptr_t *pcs;
    size_t n, cap;
} row_buf;

static int push_row(row_buf *b, uintptr_t pc, const cfi_row *r)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1024;
        cfi_row *nr = realloc(b->rows, cap * sizeof *nr);
        if (!nr)
            return -1;
        b->rows = nr;
        uintptr_t *np = realloc(b->pcs, cap * sizeof *np);
        if (!np)
            return -1;
        b->pcs = np;
        b->cap = cap;
    }
    b->rows[b->n] = *r;
    b->pcs[b->n] = pc;
    b->n++;
    return 0;
}

/* One register's rule as libdwarf reports it, for the return address or
 * the frame pointer: saved at CFA + *off (1), unchanged (0), undefined (2),
 * anything else (-1). */
static int reg_rule(Dwarf_Small vt, Dwarf_Signed offrel, Dwarf_Signed reg, Dwarf_Signed off,
                    int32_t *out_off)
{
    if (reg == DW_FRAME_SAME_VAL)
        return 0;
    if (reg == DW_FRAME_UNDEFINED_VAL)
        return 2;
    if (vt == DW_EXPR_OFFSET && offrel && reg == DW_FRAME_CFA_COL3 && off >= -32000 &&
        off <= 32767) {
        *out_off = (int32_t)off;
        return 1;
    }
    return -1;
}

/* The one CFA expression gcc emits outside PLTs, for functions that
 * realign the stack: DW_OP_breg6 (rbp) N; DW_OP_deref. */
static bool drap_cfa(const uint8_t *p, Dwarf_Signed len, int32_t *off)
{
    if (len < 3 || p[0] != DW_OP_breg0 + ARCH_DWARF_FP || p[len - 1] != DW_OP_deref)
        return false;
    int64_t v = 0;
    unsigned shift = 0;
    Dwarf_Signed i = 1;
    uint8_t byte;
    do {
        if (i >= len - 1 || shift > 28)
            return false;
        byte = p[i++];
        v |= (int64_t)(byte & 0x7f) << shift;
        shift += 7;
    } while (byte & 0x80);
    if (byte & 0x40)
        v -= (int64_t)1 << shift;
    if (i != len - 1)
        return false;
    *off = (int32_t)v;
    return true;
}

/* DW_CFA_expression r6: DW_OP_breg6 0, the saved rbp of a DRAP frame. */
static bool fp_at_fp(Dwarf_Small vt, const uint8_t *p, Dwarf_Signed len)
{
    return vt == DW_EXPR_EXPRESSION && len == 2 && p[0] == DW_OP_breg0 + ARCH_DWARF_FP &&
           p[1] == 0;
}

/* --- one FDE's rows, decoded in one pass ---------------------------------
 * libdwarf's per-pc queries (dwarf_get_fde_info_for_*reg3*) run the FDE's
 * instructions again up to every row asked for, and the per-register ones
 * leave a ~4.5 KiB register table in every FDE until the FDE list is freed
 * (16 MiB for libc's 3,713 FDEs). Instead the CIE's initial instructions
 * and the FDE's are interpreted here, once each, tracking only the three
 * columns a walk needs, in a state of a few dozen bytes on the stack. The
 * rules come out as libdwarf's would (value type, offset_relevant,
 * register, offset or block) and go through the same conversion. */

/* One column's rule, in libdwarf's Dwarf_Regtable_Entry3 terms. */
typedef struct cfa_rule {
    Dwarf_Small vt;      /* DW_EXPR_* */
    Dwarf_Small offrel;  /* offset relevant: register + offset */
    Dwarf_Signed reg;    /* register, DW_FRAME_CFA_COL3, or DW_FRAME_*_VAL */
    Dwarf_Signed off;    /* offset, or the expression's length */
    const uint8_t *expr;
} cfa_rule;

typedef struct cfa_state {
    cfa_rule cfa, ra, fp;
} cfa_state;

/* gcc nests remember_state once or twice; deeper ends the FDE's rules. */
#define CFA_STACK 8

typedef struct cfa_reader {
    const uint8_t *p, *end;
    bool bad;
} cfa_reader;

/* An LEB128 operand; signed ones are sign-extended from their last byte. */
static uint64_t rd_leb(cfa_reader *r, bool is_signed)
{
    uint64_t v = 0;
    unsigned shift = 0;
    while (r->p < r->end) {
        uint8_t byte = *r->p++;
        if (shift < 64)
            v |= (uint64_t)(byte & 0x7f) << shift;
        shift += 7;
        if (!(byte & 0x80)) {
            if (is_signed && shift < 64 && (byte & 0x40))
                v |= ~(uint64_t)0 << shift;
            return v;
        }
    }
    r->bad = true;
    return 0;
}

static uint64_t rd_uleb(cfa_reader *r)
{
    return rd_leb(r, false);
}

static int64_t rd_sleb(cfa_reader *r)
{
    return (int64_t)rd_leb(r, true);
}

static uint64_t rd_fixed(cfa_reader *r, unsigned n)
{
    if ((size_t)(r->end - r->p) < n) {
        r->bad = true;
        return 0;
    }
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) /* x86-64 is little-endian */
        v |= (uint64_t)r->p[i] << (8 * i);
    r->p += n;
    return v;
}

/* A block operand: its length, then its bytes. */
static const uint8_t *rd_block(cfa_reader *r, Dwarf_Signed *len)
{
    uint64_t n = rd_uleb(r);
    if (r->bad || n > (uint64_t)(r->end - r->p)) {
        r->bad = true;
        return NULL;
    }
    const uint8_t *at = r->p;
    r->p += n;
    *len = (Dwarf_Signed)n;
    return at;
}

/* The rule slot of a tracked register, or NULL for the others (whose
 * instructions are decoded and ignored). */
static cfa_rule *column(cfa_state *s, uint64_t reg)
{
    return reg == ARCH_DWARF_RA ? &s->ra : reg == ARCH_DWARF_FP ? &s->fp : NULL;
}

static void set_rule(cfa_rule *c, Dwarf_Small vt, Dwarf_Small offrel, Dwarf_Signed reg,
                     Dwarf_Signed off, const uint8_t *expr)
{
    if (c)
        *c = (cfa_rule){vt, offrel, reg, off, expr};
}

/* The cfi_row for a state: the CFA rule, then where the return address
 * and the caller's frame pointer are. */
static cfi_row row_of(const cfa_state *s)
{
    cfi_row r = {0, 0, CFI_FP_LOST, 0, CFI_EXPR};
    const cfa_rule *c = &s->cfa;
    int32_t drap_off = 0;
    if ((c->vt == DW_EXPR_OFFSET || c->vt == DW_EXPR_VAL_OFFSET) &&
        (c->reg == ARCH_DWARF_SP || c->reg == ARCH_DWARF_FP) && c->off >= INT32_MIN &&
        c->off <= INT32_MAX) {
        r.kind = c->reg == ARCH_DWARF_SP ? CFI_CFA_SP : CFI_CFA_FP;
        r.cfa_off = (int32_t)c->off;
    } else if (c->vt == DW_EXPR_EXPRESSION && c->expr && drap_cfa(c->expr, c->off, &drap_off)) {
        r.kind = CFI_CFA_FP_DEREF;
        r.cfa_off = drap_off;
    }
    uint8_t kind = r.kind;
    int32_t ra_off = 0, fp_off = 0;
    int ra = reg_rule(s->ra.vt, s->ra.offrel, s->ra.reg, s->ra.off, &ra_off);
    int fp = reg_rule(s->fp.vt, s->fp.offrel, s->fp.reg, s->fp.off, &fp_off);
    bool fp_drap = fp < 0 && s->fp.expr && fp_at_fp(s->fp.vt, s->fp.expr, s->fp.off);
    if (ra == 2)
        r.kind = CFI_OUTERMOST;
    else if (ra != 1 || ra_off < -128 || ra_off > 127)
        r.kind = CFI_EXPR;
    else
        r.ra_off = (int8_t)ra_off, r.kind = kind;
    r.fp_off = fp == 1 ? (int16_t)fp_off : fp == 0 ? CFI_FP_SAME
               : fp_drap ? CFI_FP_AT_FP : CFI_FP_LOST;
    return r;
}

typedef struct cfa_run {
    cfa_state s;          /* the rules in effect */
    const cfa_state *init; /* after the CIE's instructions: DW_CFA_restore's */
    cfa_state stack[CFA_STACK];
    unsigned depth;
    uint64_t caf;         /* code alignment factor */
    int64_t daf;          /* data alignment factor */
    Dwarf_Addr pc, end;   /* absolute in the file; rows only below end */
    uintptr_t bias;
    row_buf *b;           /* NULL while running the CIE's instructions */
} cfa_run;

/* The row in effect from x->pc on, at an advance or at the end. */
static int emit(cfa_run *x)
{
    if (!x->b || x->pc >= x->end)
        return 0;
    cfi_row r = row_of(&x->s);
    return push_row(x->b, x->bias + x->pc, &r);
}

static int advance(cfa_run *x, uint64_t delta)
{
    if (delta == 0)
        return 0; /* rows at one pc: the last one stands */
    if (emit(x))
        return -1;
    x->pc += delta * x->caf;
    return 0;
}

/* Runs one instruction list. Returns 0 at its end, 1 when it cannot be
 * followed (unknown or malformed instruction, too deep a state stack,
 * DW_CFA_set_loc), -1 when out of memory. */
static int cfa_exec(cfa_run *x, const uint8_t *p, size_t len)
{
    cfa_reader r = {p, p + len, false};
    cfa_state *s = &x->s;
    while (r.p < r.end && x->pc < x->end) {
        uint8_t op = *r.p++;
        uint8_t low = op & 0x3f;
        uint64_t reg = 0;
        Dwarf_Signed blen = 0;
        const uint8_t *blk = NULL;
        int rc = 0;
        switch (op >> 6) {
        case 1: /* DW_CFA_advance_loc */
            rc = advance(x, low);
            break;
        case 2: /* DW_CFA_offset */
            set_rule(column(s, low), DW_EXPR_OFFSET, 1, DW_FRAME_CFA_COL3,
                     (Dwarf_Signed)rd_uleb(&r) * x->daf, NULL);
            break;
        case 3: /* DW_CFA_restore */
            if (column(s, low))
                *column(s, low) = *column((cfa_state *)x->init, low);
            break;
        default:
            switch (op) {
            case DW_CFA_nop:
            case DW_CFA_GNU_window_save:
                break;
            case DW_CFA_advance_loc1:
            case DW_CFA_advance_loc2:
            case DW_CFA_advance_loc4:
                rc = advance(x, rd_fixed(&r, op == DW_CFA_advance_loc1   ? 1
                                             : op == DW_CFA_advance_loc2 ? 2
                                                                         : 4));
                break;
            case DW_CFA_offset_extended:
            case DW_CFA_offset_extended_sf:
            case DW_CFA_GNU_negative_offset_extended:
            case DW_CFA_val_offset:
            case DW_CFA_val_offset_sf: {
                /* Saved at (or, val_, equal to) CFA + n * data alignment. */
                reg = rd_uleb(&r);
                bool sf = op == DW_CFA_offset_extended_sf || op == DW_CFA_val_offset_sf;
                Dwarf_Signed n = sf ? rd_sleb(&r) : (Dwarf_Signed)rd_uleb(&r);
                if (op == DW_CFA_GNU_negative_offset_extended)
                    n = -n;
                bool val = op == DW_CFA_val_offset || op == DW_CFA_val_offset_sf;
                set_rule(column(s, reg), val ? DW_EXPR_VAL_OFFSET : DW_EXPR_OFFSET, 1,
                         DW_FRAME_CFA_COL3, n * x->daf, NULL);
                break;
            }
            case DW_CFA_restore_extended:
                reg = rd_uleb(&r);
                if (column(s, reg))
                    *column(s, reg) = *column((cfa_state *)x->init, reg);
                break;
            case DW_CFA_undefined:
                set_rule(column(s, rd_uleb(&r)), DW_EXPR_OFFSET, 0, DW_FRAME_UNDEFINED_VAL, 0,
                         NULL);
                break;
            case DW_CFA_same_value:
                set_rule(column(s, rd_uleb(&r)), DW_EXPR_OFFSET, 0, DW_FRAME_SAME_VAL, 0, NULL);
                break;
            case DW_CFA_register:
                reg = rd_uleb(&r);
                set_rule(column(s, reg), DW_EXPR_OFFSET, 0, (Dwarf_Signed)rd_uleb(&r), 0, NULL);
                break;
            case DW_CFA_expression:
                reg = rd_uleb(&r);
                blk = rd_block(&r, &blen);
                set_rule(column(s, reg), DW_EXPR_EXPRESSION, 0, 0, blen, blk);
                break;
            case DW_CFA_val_expression:
                reg = rd_uleb(&r);
                blk = rd_block(&r, &blen);
                set_rule(column(s, reg), DW_EXPR_VAL_EXPRESSION, 0, 0, blen, blk);
                break;
            case DW_CFA_remember_state:
                if (x->depth == CFA_STACK)
                    return 1;
                x->stack[x->depth++] = *s;
                break;
            case DW_CFA_restore_state:
                if (x->depth == 0)
                    return 1;
                *s = x->stack[--x->depth];
                break;
            case DW_CFA_def_cfa:
                reg = rd_uleb(&r);
                set_rule(&s->cfa, DW_EXPR_OFFSET, 1, (Dwarf_Signed)reg,
                         (Dwarf_Signed)rd_uleb(&r), NULL);
                break;
            case DW_CFA_def_cfa_sf:
                reg = rd_uleb(&r);
                set_rule(&s->cfa, DW_EXPR_OFFSET, 1, (Dwarf_Signed)reg, rd_sleb(&r) * x->daf,
                         NULL);
                break;
            case DW_CFA_def_cfa_register:
                s->cfa.reg = (Dwarf_Signed)rd_uleb(&r);
                s->cfa.vt = DW_EXPR_OFFSET;
                s->cfa.offrel = 1;
                break;
            case DW_CFA_def_cfa_offset:
                s->cfa.off = (Dwarf_Signed)rd_uleb(&r);
                s->cfa.vt = DW_EXPR_OFFSET;
                s->cfa.offrel = 1;
                break;
            case DW_CFA_def_cfa_offset_sf:
                s->cfa.off = rd_sleb(&r) * x->daf;
                s->cfa.vt = DW_EXPR_OFFSET;
                s->cfa.offrel = 1;
                break;
            case DW_CFA_def_cfa_expression:
                blk = rd_block(&r, &blen);
                set_rule(&s->cfa, DW_EXPR_EXPRESSION, 0, 0, blen, blk);
                break;
            case DW_CFA_GNU_args_size:
                (void)rd_uleb(&r);
                break;
            default: /* DW_CFA_set_loc and anything gcc does not emit */
                return 1;
            }
        }
        if (rc)
            return -1;
        if (r.bad)
            return 1;
    }
    return 0;
}

/* The rows of one FDE, each at its absolute pc, then a CFI_NONE row where
 * the FDE ends (dropped later if another FDE starts there). Instructions
 * that cannot be followed leave a CFI_EXPR row from where they stand to
 * the FDE's end: walks stop there instead of trusting a wrong rule. */
static int fde_rows(Dwarf_Debug dbg, Dwarf_Fde fde, uintptr_t bias, row_buf *b)
{
    Dwarf_Error err = NULL;
    Dwarf_Addr low = 0;
    Dwarf_Unsigned len = 0, fde_len = 0, cie_len = 0, init_len = 0, instr_len = 0;
    Dwarf_Ptr fde_bytes = NULL, init = NULL, instrs = NULL;
    Dwarf_Off cie_off = 0, fde_off = 0;
    Dwarf_Signed cie_index = 0, daf = 0;
    Dwarf_Cie cie = NULL;
    Dwarf_Small version = 0;
    char *augmenter = NULL;
    Dwarf_Unsigned caf = 0;
    Dwarf_Half ra_col = 0, offset_size = 0;
    if (dwarf_get_fde_range(fde, &low, &len, &fde_bytes, &fde_len, &cie_off, &cie_index,
                            &fde_off, &err) != DW_DLV_OK ||
        dwarf_get_cie_of_fde(fde, &cie, &err) != DW_DLV_OK ||
        dwarf_get_cie_info_b(cie, &cie_len, &version, &augmenter, &caf, &daf, &ra_col, &init,
                             &init_len, &offset_size, &err) != DW_DLV_OK ||
        dwarf_get_fde_instr_bytes(fde, &instrs, &instr_len, &err) != DW_DLV_OK) {
        if (err)
            dwarf_dealloc(dbg, err, DW_DLA_ERROR);
        return 0;
    }
    if (len == 0 || len > (1u << 30))
        return 0;
    /* Every column starts as libdwarf's initial rule (same value), the
     * CFA as an unknown register. */
    cfa_rule same = {DW_EXPR_OFFSET, 0, DW_FRAME_SAME_VAL, 0, NULL};
    cfa_state first = {same, same, same};
    cfa_run x = {.s = first, .init = &first, .caf = caf, .daf = daf, .pc = low,
                 .end = low + len, .bias = bias, .b = NULL};
    int rc = cfa_exec(&x, init, init_len);
    if (rc == 0 && x.depth == 0) {
        cfa_state after_cie = x.s;
        x.init = &after_cie;
        x.b = b;
        rc = cfa_exec(&x, instrs, instr_len);
        if (rc == 0)
            rc = emit(&x);
    } else if (rc == 0) {
        rc = 1; /* a CIE that leaves state on the stack is malformed */
    }
    if (rc < 0)
        return -1;
    if (rc > 0 && x.pc < x.end) {
        cfi_row unknown = {0, 0, CFI_FP_LOST, 0, CFI_EXPR};
        if (push_row(b, bias + x.pc, &unknown))
            return -1;
    }
    cfi_row none = {0, 0, 0, 0, CFI_NONE};
    return push_row(b, bias + x.end, &none);
}

typedef struct sort_item {
    uintptr_t pc;
    uint32_t idx;
} sort_item;

static int by_pc(const void *a, const void *b)
{
    const sort_item *x = a, *y = b;
    if (x->pc != y->pc)
        return x->pc < y->pc ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static bool same_rule(const cfi_row *a, const cfi_row *b)
{
    return a->kind == b->kind && a->cfa_off == b->cfa_off && a->fp_off == b->fp_off &&
           a->ra_off == b->ra_off;
}

/* Gives o its rows (n of them, sorted, rows[0].pc_off == 0, covering
 * [start, end)) and their bucket index, in one allocation. The shift is
 * the smallest that keeps the buckets at most n / CFI_ROWS_PER_BUCKET (at
 * least 2, so it stays below 32). */
static int object_index(cfi_object *o, uintptr_t start, uintptr_t end, const cfi_row *rows,
                        uint32_t n)
{
    uint64_t span = end - start;
    uint64_t target = n / CFI_ROWS_PER_BUCKET > 2 ? n / CFI_ROWS_PER_BUCKET : 2;
    uint32_t shift = 0;
    while ((span >> shift) + 1 > target)
        shift++;
    uint32_t n_buckets = (uint32_t)(span >> shift) + 1;
    size_t index_bytes = ((size_t)n_buckets + 1) * sizeof(uint32_t);
    uint8_t *block = malloc(index_bytes + (size_t)n * sizeof(cfi_row));
    if (!block)
        return -1;
    o->block = block;
    o->index = (uint32_t *)block;
    o->rows = (cfi_row *)(block + index_bytes);
    memcpy(o->rows, rows, (size_t)n * sizeof *rows);
    o->n_rows = n;
    o->start = start;
    o->end = end;
    o->shift = (uint8_t)shift;
    o->n_buckets = n_buckets;
    uint32_t r = 0;
    for (uint32_t b = 0; b <= n_buckets; b++) {
        uint64_t at = (uint64_t)b << shift;
        while (r + 1 < n && rows[r + 1].pc_off <= at)
            r++;
        o->index[b] = r;
    }
    return 0;
}

/* Sorts the rows by pc; at one pc a real row wins over an FDE's end
 * marker; equal neighbours merge. Fills o (object_index). */
static int finish_rows(cfi_object *o, row_buf *b)
{
    if (b->n == 0)
        return 0;
    sort_item *items = malloc(b->n * sizeof *items);
    cfi_row *out = malloc(b->n * sizeof *out);
    if (!items || !out) {
        free(items);
        free(out);
        return -1;
    }
    for (size_t i = 0; i < b->n; i++)
        items[i] = (sort_item){b->pcs[i], (uint32_t)i};
    qsort(items, b->n, sizeof *items, by_pc);
    uintptr_t start = items[0].pc;
    uintptr_t end = items[b->n - 1].pc;
    uint32_t n = 0;
    for (size_t i = 0; i < b->n; i++) {
        const cfi_row *r = &b->rows[items[i].idx];
        uintptr_t pc = items[i].pc;
        if (pc - start > UINT32_MAX)
            break; /* an object spanning 4 GiB of code: keep what fits */
        uint32_t off = (uint32_t)(pc - start);
        if (n && out[n - 1].pc_off == off) {
            /* Several rows at one pc: an FDE's start beats another's end;
             * otherwise the later FDE's row stands. */
            if (r->kind != CFI_NONE || out[n - 1].kind == CFI_NONE)
                out[n - 1] = *r, out[n - 1].pc_off = off;
        } else {
            out[n] = *r;
            out[n].pc_off = off;
            n++;
        }
        if (n >= 2 && same_rule(&out[n - 1], &out[n - 2]))
            n--;
        end = pc;
    }
    free(items);
    int rc = object_index(o, start, end + 1, out, n);
    free(out);
    return rc;
}

static int load_fdes(Dwarf_Debug dbg, bool eh, uintptr_t bias, row_buf *b)
{
    Dwarf_Cie *cies = NULL;
    Dwarf_Fde *fdes = NULL;
    Dwarf_Signed n_cies = 0, n_fdes = 0;
    Dwarf_Error err = NULL;
    int rc = eh ? dwarf_get_fde_list_eh(dbg, &cies, &n_cies, &fdes, &n_fdes, &err)
                : dwarf_get_fde_list(dbg, &cies, &n_cies, &fdes, &n_fdes, &err);
    if (rc != DW_DLV_OK) {
        if (err)
            dwarf_dealloc(dbg, err, DW_DLA_ERROR);
        return 0;
    }
    int out = 0;
    for (Dwarf_Signed i = 0; i < n_fdes && out == 0; i++) {
        out = fde_rows(dbg, fdes[i], bias, b);
        if (b->n > MAX_TOTAL_ROWS)
            out = -1;
    }
    dwarf_fde_cie_list_dealloc(dbg, cies, n_cies, fdes, n_fdes);
    return out ? out : (int)n_fdes;
}

/* Parses path's CFI into o. Returns 0 (o->n_rows may be 0) or -1. */
static int object_parse(cfi_object *o, const char *path)
{
    Dwarf_Debug dbg = NULL;
    Dwarf_Error err = NULL;
    int rc = dwarf_init_path(path, NULL, 0, DW_DLC_READ, DW_GROUPNUMBER_ANY, NULL, NULL, &dbg,
                             NULL, 0, NULL, &err);
    if (rc != DW_DLV_OK) {
        if (rc == DW_DLV_ERROR && err)
            dwarf_dealloc(NULL, err, DW_DLA_ERROR);
        return -1;
    }
    row_buf b = {0};
    int n = load_fdes(dbg, true, o->bias, &b);
    if (n == 0)
        n = load_fdes(dbg, false, o->bias, &b);
    dwarf_finish(dbg, &err);
    int out = n < 0 ? -1 : finish_rows(o, &b);
    free(b.rows);
    free(b.pcs);
    return out;
}

static void object_destroy(cfi_object *o)
{
    if (!o)
        return;
    free(o->block);
    free(o->path);
    free(o);
}

/* --- the set of loaded objects ----------------------------------------- */

typedef struct loaded {
    char path[512];
    uintptr_t bias;
} loaded;

typedef struct phdr_walk {
    loaded *items;
    uint32_t n;
    unsigned long long adds, subs;
} phdr_walk;

static int on_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    phdr_walk *w = arg;
    if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs) {
        w->adds = info->dlpi_adds;
        w->subs = info->dlpi_subs;
    }
    bool has_code = false;
    for (int i = 0; i < info->dlpi_phnum; i++)
        if (info->dlpi_phdr[i].p_type == PT_LOAD && (info->dlpi_phdr[i].p_flags & PF_X))
            has_code = true;
    if (!has_code || w->n >= MAX_OBJECTS)
        return 0;
    loaded *l = &w->items[w->n];
    const char *name = info->dlpi_name;
    /* The main program has an empty name; the vdso a name that is no file
     * (stat fails later and it gets no rows). */
    if (!name || !*name)
        name = "/proc/self/exe";
    if (strlen(name) >= sizeof l->path)
        return 0;
    strcpy(l->path, name);
    l->bias = (uintptr_t)info->dlpi_addr;
    w->n++;
    return 0;
}

static unsigned long long counter_of(struct dl_phdr_info *info, size_t size, bool adds)
{
    if (size < offsetof(struct dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs)
        return 0;
    return adds ? info->dlpi_adds : info->dlpi_subs;
}

static int on_counters(struct dl_phdr_info *info, size_t size, void *arg)
{
    unsigned long long *c = arg;
    c[0] = counter_of(info, size, true);
    c[1] = counter_of(info, size, false);
    return 1; /* the counters are the same in every entry */
}

static int by_start(const void *a, const void *b)
{
    const cfi_object *x = *(cfi_object *const *)a, *y = *(cfi_object *const *)b;
    return x->start < y->start ? -1 : x->start > y->start;
}

static cfi_object *find_reusable(const cfi_table *old, uintptr_t bias, dev_t dev, ino_t ino)
{
    if (!old)
        return NULL;
    for (uint32_t i = 0; i < old->n_objects; i++) {
        cfi_object *o = old->objects[i];
        if (o->bias == bias && o->dev == dev && o->ino == ino)
            return o;
    }
    return NULL;
}

static int load_ranges(cfi_table *t)
{
    size_t len = 0;
    char *text = procmaps_read("/proc/self/maps", &len);
    procmap *maps = malloc(MAX_MAPS * sizeof *maps);
    int rc = -1;
    if (!text || !maps)
        goto out;
    size_t n = procmaps_parse(maps, MAX_MAPS, text, len, false);
    t->exec = calloc(n + 1, sizeof *t->exec);
    t->writable = calloc(n + 1, sizeof *t->writable);
    if (!t->exec || !t->writable)
        goto out;
    for (size_t i = 0; i < n; i++) {
        cfi_range r = {(uintptr_t)maps[i].start, (uintptr_t)maps[i].end};
        cfi_range *list = maps[i].exec ? t->exec : maps[i].write ? t->writable : NULL;
        uint32_t *count = maps[i].exec ? &t->n_exec : &t->n_writable;
        if (!list)
            continue;
        /* Adjacent mappings merge: a thread's stack and its neighbours. */
        if (*count && list[*count - 1].end == r.start)
            list[*count - 1].end = r.end;
        else
            list[(*count)++] = r;
    }
    rc = 0;
out:
    free(text);
    free(maps);
    return rc;
}

/* Drops t's hold on its objects (freeing those no other table holds) and
 * frees t: a draft (malloc'd) or a packed table (its own mapping). */
static void table_destroy(cfi_table *t)
{
    if (!t)
        return;
    for (uint32_t i = 0; i < t->n_objects; i++)
        if (--t->objects[i]->refs == 0)
            object_destroy(t->objects[i]);
    free(t->objects);
    free(t->exec);
    free(t->writable);
    if (t->map_bytes)
        huge_unmap(t, t->map_bytes);
    else
        free(t);
}

static size_t line_up(size_t n)
{
    return (n + 63) & ~(size_t)63;
}

/*
 * The published form of a draft: header, spans and every object's index
 * and rows copied into one mapping (huge_map), so a sample's lookups stay
 * within one or a few huge pages. The objects then point into it and free
 * their own copies: the next rebuild copies from here while this table is
 * still published. Takes the draft's hold on the objects; NULL when the
 * mapping fails (the draft is untouched).
 */
static cfi_table *pack(cfi_table *draft)
{
    size_t head = line_up(sizeof *draft + (size_t)draft->n_objects * sizeof(cfi_span));
    size_t total = head, len = 0;
    for (uint32_t i = 0; i < draft->n_objects; i++) {
        const cfi_object *o = draft->objects[i];
        total += line_up(((size_t)o->n_buckets + 1) * sizeof(uint32_t) + o->n_rows * sizeof(cfi_row));
    }
    uint8_t *m = huge_map(total, true, &len);
    if (!m)
        return NULL;
    cfi_table *t = (cfi_table *)m;
    *t = *draft;
    t->map_bytes = len;
    size_t at = head;
    for (uint32_t i = 0; i < t->n_objects; i++) {
        cfi_object *o = t->objects[i];
        size_t index_bytes = ((size_t)o->n_buckets + 1) * sizeof(uint32_t);
        uint32_t *index = (uint32_t *)(m + at);
        cfi_row *rows = (cfi_row *)(m + at + index_bytes);
        memcpy(index, o->index, index_bytes);
        memcpy(rows, o->rows, o->n_rows * sizeof(cfi_row));
        at += line_up(index_bytes + o->n_rows * sizeof(cfi_row));
        free(o->block);
        o->block = NULL;
        o->index = index;
        o->rows = rows;
        t->spans[i] = (cfi_span){o->start, (uint32_t)(o->end - o->start - 1), o->shift, index, rows};
    }
    free(draft);
    return t;
}

static cfi_table *build(const cfi_table *old)
{
    int64_t t0 = mono_ns();
    cfi_table *t = NULL;
    phdr_walk w = {0};
    w.items = malloc(MAX_OBJECTS * sizeof *w.items);
    if (!w.items)
        goto fail;
    dl_iterate_phdr(on_object, &w);
    t = calloc(1, sizeof *t);
    if (!t)
        goto fail;
    t->adds = w.adds;
    t->subs = w.subs;
    t->objects = calloc(w.n + 1, sizeof *t->objects);
    if (!t->objects || load_ranges(t))
        goto fail;
    for (uint32_t i = 0; i < w.n; i++) {
        struct stat st;
        if (stat(w.items[i].path, &st) || !S_ISREG(st.st_mode))
            continue;
        cfi_object *o = find_reusable(old, w.items[i].bias, st.st_dev, st.st_ino);
        if (!o) {
            o = calloc(1, sizeof *o);
            if (!o)
                goto fail;
            o->bias = w.items[i].bias;
            o->dev = st.st_dev;
            o->ino = st.st_ino;
            o->path = strdup(w.items[i].path);
            if (!o->path || t->n_rows > MAX_TOTAL_ROWS || object_parse(o, o->path) ||
                o->n_rows == 0) {
                t->n_failed++;
                object_destroy(o);
                continue;
            }
        }
        o->refs++;
        t->objects[t->n_objects++] = o;
        t->n_rows += o->n_rows;
    }
    qsort(t->objects, t->n_objects, sizeof *t->objects, by_start);
    /* Overlaps mean a stale or odd object: keep the first. */
    uint32_t k = 0;
    for (uint32_t i = 0; i < t->n_objects; i++) {
        cfi_object *o = t->objects[i];
        if (k && o->start < t->objects[k - 1]->end) {
            t->n_rows -= o->n_rows;
            if (--o->refs == 0)
                object_destroy(o);
            continue;
        }
        t->objects[k++] = o;
    }
    t->n_objects = k;
    cfi_table *packed = pack(t);
    if (!packed)
        goto fail;
    t = packed;
    free(w.items);
    t->build_ns = mono_ns() - t0;
    return t;
fail:
    free(w.items);
    table_destroy(t);
    return NULL;
}

/* Waits (at most about a second) for a moment with no reader; afterwards
 * no reader can still hold a table unpublished before the wait began. */
static bool quiesce(void)
{
    for (int i = 0; i < 10000; i++) {
        if (atomic_load(&cfi_pub.readers) == 0)
            return true;
        struct timespec ts = {0, 100000};
        nanosleep(&ts, NULL);
    }
    return false;
}

int cfi_table_update(bool force)
{
    uint32_t prev = heap_internal_begin();
    pthread_mutex_lock(&table_lock);
    cfi_table *old = atomic_load(&cfi_pub.current);
    int rc = 0;
    if (old && !force) {
        unsigned long long c[2] = {0, 0};
        dl_iterate_phdr(on_counters, c);
        if (c[0] == old->adds && c[1] == old->subs)
            goto out;
    }
    cfi_table *t = build(old);
    if (!t) {
        say_once("hearth: cannot build the unwind tables; stacks through code without frame "
                 "pointers may stop early\n");
        rc = -1;
        goto out;
    }
    atomic_store(&cfi_pub.current, t);
    if (old) {
        if (quiesce()) {
            table_destroy(old);
            for (uint32_t i = 0; i < n_retired; i++)
                table_destroy(retired[i]);
            n_retired = 0;
        } else if (n_retired < MAX_RETIRED) {
            retired[n_retired++] = old;
        } else {
            while (!quiesce())
                ;
            table_destroy(old);
        }
    }
out:
    pthread_mutex_unlock(&table_lock);
    heap_internal_end(prev);
    return rc;
}

void cfi_table_stats(uint32_t *objects, size_t *rows, size_t *bytes, uint32_t *failed,
                     int64_t *build_ns)
{
    pthread_mutex_lock(&table_lock);
    const cfi_table *t = atomic_load(&cfi_pub.current);
    *objects = t ? t->n_objects : 0;
    *rows = t ? t->n_rows : 0;
    *bytes = 0;
    for (uint32_t i = 0; t && i < t->n_objects; i++)
        *bytes += t->objects[i]->n_rows * sizeof(cfi_row) +
                  ((size_t)t->objects[i]->n_buckets + 1) * sizeof(uint32_t);
    *failed = t ? t->n_failed : 0;
    *build_ns = t ? t->build_ns : 0;
    pthread_mutex_unlock(&table_lock);
}

void cfi_table_fork_prepare(void)
{
    pthread_mutex_lock(&table_lock);
}

void cfi_table_fork_parent(void)
{
    pthread_mutex_unlock(&table_lock);
}

void cfi_table_fork_child(void)
{
    /* Only the forking thread exists in the child, and it is not reading. */
    atomic_store(&cfi_pub.readers, 0);
    pthread_mutex_init(&table_lock, NULL);
}
