/*
 * Source lines and inlined frames from DWARF (.debug_info, .debug_line,
 * .debug_ranges/.debug_rnglists), read once per binary through libdwarf into
 * compact sorted tables, then answered by binary search without libdwarf.
 *
 * Used by the symbolizer (symbols.h) both inside the sampled service, on the
 * dump thread, and offline. No global state; every libdwarf object and file
 * descriptor is released before dwarf_index_load returns.
 */
#ifndef HEARTH_FORMATS_DWARF_H
#define HEARTH_FORMATS_DWARF_H

#include <stddef.h>
#include <stdint.h>

typedef struct dwarf_index dwarf_index;

/* Default cap on one binary's tables: 64 MiB, about 2.5 million line rows
 * (16 bytes each) plus the function ranges (40 bytes each) and names. */
#define DWARF_INDEX_DEFAULT_MAX_BYTES ((size_t)64 << 20)

/* The deepest inline chain we report; deeper DIE trees are cut there. */
#define DWARF_MAX_FRAMES 32

typedef struct dwarf_index_options {
    /* Cap on the tables built (and on the scratch space used to build
     * them); a binary whose tables would be larger gives HEARTH_ELIMIT. */
    size_t max_bytes;
} dwarf_index_options;

#define DWARF_INDEX_OPTIONS_INIT { DWARF_INDEX_DEFAULT_MAX_BYTES }

/* One frame of a PC: a function and where in it. Strings are borrowed from
 * the index and live as long as it does. */
typedef struct dwarf_frame {
    const char *function; /* DW_AT_linkage_name, else DW_AT_name (through
                             abstract_origin/specification); NULL if the
                             address is in the line table only */
    const char *file;     /* NULL if unknown */
    uint32_t line;        /* 0 if unknown */
    uint32_t start_line;  /* the function's DW_AT_decl_line, or 0 */
} dwarf_frame;

/*
 * Reads the DWARF of the ELF file at path and builds its tables. opts may be
 * NULL for defaults. Returns 0 and the caller's index in *out, or
 * HEARTH_EFORMAT (no usable DWARF, or libdwarf refused the file),
 * HEARTH_ELIMIT (tables larger than opts->max_bytes), HEARTH_ENOMEM or
 * HEARTH_EFAIL (cannot open), with a message. A CU that libdwarf cannot
 * read is skipped; the rest still loads. The transient memory libdwarf
 * itself uses is about the size of the debug sections: callers that must
 * bound it check the section sizes first (elf_image_debug_bytes).
 * Thread-safe for distinct indexes; not async-signal-safe.
 */
int dwarf_index_load(dwarf_index **out, const char *path,
                     const dwarf_index_options *opts);

void dwarf_index_destroy(dwarf_index *x);

/* Bytes held by the index's tables. */
size_t dwarf_index_bytes(const dwarf_index *x);

/* Number of line-table rows and function ranges, for tests and stats. */
size_t dwarf_index_n_rows(const dwarf_index *x);
size_t dwarf_index_n_ranges(const dwarf_index *x);

/*
 * The frames at vaddr (an ELF virtual address), innermost first, as pprof
 * wants Location.line[]: frames[0] is the innermost inlined function with
 * the line-table file and line of vaddr; each next one is its caller, with
 * the DW_AT_call_file/DW_AT_call_line of the inlined call; the last is the
 * out-of-line function. A chain longer than max keeps its max - 1
 * innermost frames and the outermost one. Returns the number written; 0
 * when DWARF knows nothing about vaddr (or max is 0). Never fails;
 * read-only, so concurrent lookups on one index are safe.
 */
size_t dwarf_index_lookup(const dwarf_index *x, uint64_t vaddr,
                          dwarf_frame *frames, size_t max);

/*
 * Checks the unit headers of a DWARF 5 .debug_rnglists or .debug_loclists
 * section (both share one layout): lengths inside the section, version 5,
 * address size 4 or 8, no segment selectors, the offset table inside its
 * unit. libdwarf 20210528 frees memory twice when it meets some corrupt
 * headers there while opening .debug_info, so callers run this on those
 * sections first and skip DWARF for a file that fails. Returns 0 or
 * HEARTH_EFORMAT with a message naming the section and offset. Pure.
 */
int dwarf_check_list_section(const uint8_t *data, size_t len, const char *name);

#endif
