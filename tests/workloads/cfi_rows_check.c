/*
 * The unwind table's rows against libdwarf's own reading of the same CFI.
 * Linked with libhearth.a; loads the libraries named on the command line
 * (a C++ runtime among them, for its remember_state and args_size CFI),
 * builds the table, then for every object in it walks each FDE's rows
 * with libdwarf's per-pc queries (dwarf_get_fde_info_for_cfa_reg3_b and
 * _reg3_b for the return address and rbp: slow, and a few KiB of libdwarf
 * memory per FDE, which is why the table does not use them) and checks
 * that cfi_table_find at that pc gives the same rule. Where libdwarf
 * reports an expression rule for rbp its register field is stale, so the
 * value type is read first here.
 * Prints "N objects, M rows compared, mismatches K" and exits 0 when K == 0
 * and enough rows were compared.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <dwarf.h>
#include <libdwarf.h>
#include <stdio.h>
#include <stdlib.h>

#include "sampler/arch.h"
#include "sampler/cfi_table.h"

static unsigned long compared, mismatches;

/* libdwarf's answer for one register: 1 saved at CFA + *off, 0 same
 * value, 2 undefined, -1 anything else (expressions included). */
static int reg_rule(Dwarf_Fde fde, int col, Dwarf_Addr pc, Dwarf_Signed *out_off)
{
    Dwarf_Small vt = 0;
    Dwarf_Signed offrel = 0, reg = 0, off = 0;
    Dwarf_Ptr block = NULL;
    Dwarf_Addr rpc = 0, next = 0;
    Dwarf_Bool more = 0;
    Dwarf_Error err = NULL;
    if (dwarf_get_fde_info_for_reg3_b(fde, (Dwarf_Half)col, pc, &vt, &offrel, &reg, &off,
                                      &block, &rpc, &more, &next, &err) != DW_DLV_OK)
        return -1;
    if (vt != DW_EXPR_OFFSET)
        return -1;
    if (reg == DW_FRAME_SAME_VAL)
        return 0;
    if (reg == DW_FRAME_UNDEFINED_VAL)
        return 2;
    if (offrel && reg == DW_FRAME_CFA_COL3) {
        *out_off = off;
        return 1;
    }
    return -1;
}

static void mismatch(const char *path, Dwarf_Addr pc, const char *what, long want, long got)
{
    if (mismatches++ < 10)
        fprintf(stderr, "%s pc %#lx: %s: libdwarf %ld, table %ld\n", path, (unsigned long)pc,
                what, want, got);
}

/* One row of libdwarf's against the table's rule at bias + pc. */
static void check_row(const cfi_table *t, const char *path, uintptr_t bias, Dwarf_Fde fde,
                      Dwarf_Addr pc, Dwarf_Small vt, Dwarf_Signed reg, Dwarf_Signed off)
{
    const cfi_row *row = cfi_table_find(t, bias + pc);
    if (!row) {
        mismatch(path, pc, "row", 1, 0);
        return;
    }
    compared++;
    Dwarf_Signed ra_off = 0, fp_off = 0;
    int ra = reg_rule(fde, ARCH_DWARF_RA, pc, &ra_off);
    int fp = reg_rule(fde, ARCH_DWARF_FP, pc, &fp_off);
    if (ra == 2) {
        if (row->kind != CFI_OUTERMOST)
            mismatch(path, pc, "outermost", CFI_OUTERMOST, row->kind);
        return;
    }
    bool cfa_simple = (vt == DW_EXPR_OFFSET || vt == DW_EXPR_VAL_OFFSET) &&
                      (reg == ARCH_DWARF_SP || reg == ARCH_DWARF_FP);
    if (ra != 1 || ra_off < -128 || ra_off > 127) {
        if (row->kind != CFI_EXPR)
            mismatch(path, pc, "kind (return address not at the CFA)", CFI_EXPR, row->kind);
        return;
    }
    if (cfa_simple) {
        int kind = reg == ARCH_DWARF_SP ? CFI_CFA_SP : CFI_CFA_FP;
        if (row->kind != kind || row->cfa_off != off)
            mismatch(path, pc, "cfa", kind * 100000L + off, row->kind * 100000L + row->cfa_off);
    } else if (row->kind != CFI_EXPR && row->kind != CFI_CFA_FP_DEREF) {
        mismatch(path, pc, "kind (cfa expression)", CFI_EXPR, row->kind);
        return;
    }
    if (row->kind == CFI_EXPR)
        return;
    if (row->ra_off != ra_off)
        mismatch(path, pc, "ra_off", ra_off, row->ra_off);
    if (fp == 1 && row->fp_off != fp_off)
        mismatch(path, pc, "fp_off", fp_off, row->fp_off);
    if (fp == 0 && row->fp_off != CFI_FP_SAME)
        mismatch(path, pc, "fp same", CFI_FP_SAME, row->fp_off);
    if (fp < 0 && row->fp_off != CFI_FP_LOST && row->fp_off != CFI_FP_AT_FP)
        mismatch(path, pc, "fp lost", CFI_FP_LOST, row->fp_off);
}

static int check_fdes(const cfi_table *t, const cfi_object *o, Dwarf_Debug dbg, bool eh)
{
    Dwarf_Cie *cies = NULL;
    Dwarf_Fde *fdes = NULL;
    Dwarf_Signed n_cies = 0, n_fdes = 0;
    Dwarf_Error err = NULL;
    int rc = eh ? dwarf_get_fde_list_eh(dbg, &cies, &n_cies, &fdes, &n_fdes, &err)
                : dwarf_get_fde_list(dbg, &cies, &n_cies, &fdes, &n_fdes, &err);
    if (rc != DW_DLV_OK)
        return 0;
    for (Dwarf_Signed i = 0; i < n_fdes; i++) {
        Dwarf_Addr low = 0, pc;
        Dwarf_Unsigned len = 0, fde_len = 0;
        Dwarf_Ptr bytes = NULL;
        Dwarf_Off cie_off = 0, fde_off = 0;
        Dwarf_Signed cie_index = 0;
        if (dwarf_get_fde_range(fdes[i], &low, &len, &bytes, &fde_len, &cie_off, &cie_index,
                                &fde_off, &err) != DW_DLV_OK || len == 0)
            continue;
        for (pc = low; pc < low + len;) {
            Dwarf_Small vt = 0;
            Dwarf_Signed offrel = 0, reg = 0, off = 0;
            Dwarf_Ptr block = NULL;
            Dwarf_Addr row_pc = 0, next = 0;
            Dwarf_Bool more = 0;
            if (dwarf_get_fde_info_for_cfa_reg3_b(fdes[i], pc, &vt, &offrel, &reg, &off, &block,
                                                  &row_pc, &more, &next, &err) != DW_DLV_OK)
                break;
            check_row(t, o->path, o->bias, fdes[i], pc, vt, reg, off);
            if (!more || next <= pc)
                break;
            pc = next;
        }
    }
    dwarf_fde_cie_list_dealloc(dbg, cies, n_cies, fdes, n_fdes);
    return (int)n_fdes;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!dlopen(argv[i], RTLD_NOW)) {
            fprintf(stderr, "cannot load %s: %s\n", argv[i], dlerror());
            return 2;
        }
    if (cfi_table_update(true)) {
        fprintf(stderr, "no unwind table\n");
        return 2;
    }
    const cfi_table *t = cfi_table_enter();
    for (uint32_t i = 0; i < t->n_objects; i++) {
        const cfi_object *o = t->objects[i];
        Dwarf_Debug dbg = NULL;
        Dwarf_Error err = NULL;
        if (dwarf_init_path(o->path, NULL, 0, DW_DLC_READ, DW_GROUPNUMBER_ANY, NULL, NULL, &dbg,
                            NULL, 0, NULL, &err) != DW_DLV_OK) {
            fprintf(stderr, "cannot open %s\n", o->path);
            return 2;
        }
        if (check_fdes(t, o, dbg, true) == 0)
            check_fdes(t, o, dbg, false);
        dwarf_finish(dbg, &err);
    }
    printf("%u objects, %lu rows compared, mismatches %lu\n", t->n_objects, compared,
           mismatches);
    cfi_table_leave();
    return mismatches == 0 && compared >= 50000 ? 0 : 1;
}
