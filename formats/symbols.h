/*
 * Symbolization: runtime PCs -> functions, files, lines and inlined frames.
 *
 * Three layers, each usable alone:
 *  - elf_image: one ELF64 file read with bounds-checked pread (never mmap, so
 *    a file truncated under us is an error, not a SIGBUS): PT_LOAD segments,
 *    the NT_GNU_BUILD_ID note, and optionally its .symtab/.dynsym functions.
 *  - symbolizer: a cache of binaries (ELF symbols + DWARF tables from
 *    dwarf.h, built lazily, evicted least-recently-used under one memory
 *    cap) answering "which frames are at this ELF address".
 *  - profile_symbolize: fills the Location.line[] of a profile from it.
 *
 * Used by the sampler on its dump thread (inside someone else's process:
 * no global state, no output, bounded memory, every fd closed before a call
 * returns) and by `hearth symbolize`. Names stay as in the symbol table or
 * DWARF (mangled C++ names are not demangled); Function.system_name = name.
 * Nothing here is async-signal-safe. One symbolizer must not be used by two
 * threads at once; distinct symbolizers are independent; an elf_image is
 * read-only once loaded. libdwarf is used only while a binary's DWARF
 * tables are built, and its thread-safety is not documented: the sampler
 * should symbolize from one thread (its dump thread).
 */
#ifndef HEARTH_FORMATS_SYMBOLS_H
#define HEARTH_FORMATS_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"

/* ------------------------------------------------------------------ ELF */

typedef struct elf_image elf_image;

typedef struct elf_image_options {
    bool symbols;     /* read .symtab/.dynsym function symbols */
    size_t max_bytes; /* cap on the symbol table kept (and on a string table
                         read to build it); HEARTH_ELIMIT beyond */
} elf_image_options;

#define ELF_IMAGE_DEFAULT_MAX_BYTES ((size_t)64 << 20)
#define ELF_IMAGE_OPTIONS_INIT { true, ELF_IMAGE_DEFAULT_MAX_BYTES }

/* The longest build ID we keep, in bytes (GNU ld writes 20). */
#define ELF_MAX_BUILD_ID 64

/*
 * Reads the ELF64 little-endian file at path (elf_image_load) or in memory
 * (elf_image_read; data is not kept). opts may be NULL for defaults.
 * Returns 0 and the caller's image in *out, or HEARTH_EFORMAT (not ELF64,
 * truncated, inconsistent headers: the message says which),
 * HEARTH_ELIMIT, HEARTH_ENOMEM, or HEARTH_EFAIL (cannot open or read).
 * Symbols are optional: a file whose symbol tables are unreadable still
 * loads, with none.
 */
int elf_image_load(elf_image **out, const char *path, const elf_image_options *opts);
int elf_image_read(elf_image **out, const void *data, size_t len,
                   const elf_image_options *opts);
void elf_image_destroy(elf_image *e);

/* The NT_GNU_BUILD_ID note as lowercase hex, "" if none. Borrowed. */
const char *elf_image_build_id(const elf_image *e);

/* ELF e_type (ET_EXEC, ET_DYN, ...). */
unsigned elf_image_type(const elf_image *e);

/*
 * Turns a runtime pc inside a mapping of this file (/proc/PID/maps:
 * memory_start, memory_limit, file_offset) into an ELF virtual address:
 * vaddr = pc - memory_start + file_offset - p_offset + p_vaddr, for the
 * PT_LOAD whose file bytes contain pc's file offset. Returns 0, or
 * HEARTH_EFORMAT when pc is outside the mapping or no PT_LOAD holds it.
 */
int elf_image_vaddr(const elf_image *e, uint64_t *out, uint64_t pc,
                    uint64_t memory_start, uint64_t memory_limit,
                    uint64_t file_offset);

typedef struct elf_symbol {
    const char *name; /* borrowed from the image */
    const char *file; /* the STT_FILE before it (a base name), or NULL */
    uint64_t addr;
    uint64_t size;    /* 0 = unknown (assembly without .size) */
} elf_symbol;

/*
 * The function symbol for vaddr: the one whose [addr, addr + size) contains
 * it (the nearest start wins when they nest; at one address the largest,
 * then the first in table order, as BFD picks), else the nearest preceding
 * symbol if it has no size. .symtab is used when the file has one, else
 * .dynsym. The file is the STT_FILE symbol BFD would pick (locals, and
 * globals of a table without files after its first symbol). Returns true
 * and fills *out, or false.
 */
bool elf_image_find(const elf_image *e, uint64_t vaddr, elf_symbol *out);

/* Function symbols kept, and whether they came from .symtab. */
size_t elf_image_n_symbols(const elf_image *e);
bool elf_image_has_symtab(const elf_image *e);
/* True when the file has .debug_info and .debug_line sections. */
bool elf_image_has_dwarf(const elf_image *e);
/* Total (uncompressed) size of its .debug_* sections: about what libdwarf
 * will allocate to read them. */
uint64_t elf_image_debug_bytes(const elf_image *e);
/* Bytes of memory the image holds. */
size_t elf_image_bytes(const elf_image *e);

/* ----------------------------------------------------------- symbolizer */

typedef struct symbolizer symbolizer;
typedef struct symbol_binary symbol_binary;

/*
 * Memory numbers. All tables of all binaries (ELF function symbols and
 * DWARF tables) together stay under max_bytes, default 64 MiB: when a new
 * table would not fit, the least recently used tables of other binaries are
 * dropped (and rebuilt if asked for again); a binary whose own tables
 * exceed the cap is symbolized with what fits (ELF symbols without DWARF,
 * or nothing). While DWARF is read libdwarf holds the debug sections in
 * memory: binaries whose .debug_* sections exceed max_dwarf_input_bytes
 * (default 256 MiB) are not read for DWARF at all. At most max_binaries
 * (default 1024) distinct paths are remembered (about 300 bytes each
 * without tables); further ones are refused with HEARTH_ELIMIT.
 */
typedef struct symbolizer_options {
    size_t max_bytes;
    uint64_t max_dwarf_input_bytes;
    size_t max_binaries;
    /* Where separate debug files live (DIR/.build-id/xx/yyyy.debug, checked
     * against the build ID); NULL or "" for none. */
    const char *debug_dir;
    /* Whether DWARF (lines, inlined frames) is read from separate debug
     * files too, or only their symbol tables. A system library's debug file
     * can hold tens of MiB of DWARF (libc's takes ~0.3 s and ~30 MiB to
     * index) for frames whose function name is all most readers need. */
    bool debug_file_dwarf;
} symbolizer_options;

#define SYMBOLIZER_DEFAULT_MAX_BYTES ((size_t)64 << 20)
#define SYMBOLIZER_DEFAULT_MAX_DWARF_INPUT ((uint64_t)256 << 20)
#define SYMBOLIZER_DEFAULT_MAX_BINARIES 1024
#define SYMBOLIZER_OPTIONS_INIT                                                \
    { SYMBOLIZER_DEFAULT_MAX_BYTES, SYMBOLIZER_DEFAULT_MAX_DWARF_INPUT,        \
      SYMBOLIZER_DEFAULT_MAX_BINARIES, "/usr/lib/debug", true }

/* opts may be NULL. Returns 0 or HEARTH_ENOMEM. */
int symbolizer_create(symbolizer **out, const symbolizer_options *opts);
void symbolizer_destroy(symbolizer *s);

/*
 * The binary at path, opened (headers and build ID only; tables come later,
 * on first lookup) or found in the cache. The handle is owned by s and lives
 * as long as it. A path that failed once fails again with the same code
 * without touching the disk. Returns 0, or HEARTH_EFORMAT / HEARTH_EFAIL
 * (from elf_image_load) / HEARTH_ELIMIT (max_binaries) / HEARTH_ENOMEM.
 */
int symbolizer_open(symbolizer *s, const char *path, symbol_binary **out);

const char *symbol_binary_path(const symbol_binary *b);
/* Lowercase hex, "" if none. Borrowed. */
const char *symbol_binary_build_id(const symbol_binary *b);
/* elf_image_vaddr for the binary. */
int symbol_binary_vaddr(const symbol_binary *b, uint64_t *out, uint64_t pc,
                        uint64_t memory_start, uint64_t memory_limit,
                        uint64_t file_offset);

/* The deepest inline chain reported (the innermost frames and the outermost
 * function are kept when a chain is deeper). */
#define SYMBOL_MAX_FRAMES 32

typedef struct symbol_frame {
    const char *function; /* never NULL in a returned frame */
    const char *file;     /* NULL if unknown; without DWARF the base name
                             of an STT_FILE symbol, as addr2line shows */
    uint32_t line;        /* 0 if unknown */
    uint32_t start_line;  /* 0 if unknown */
} symbol_frame;

/* What a lookup found, for the mapping's has_* flags. */
#define SYMBOL_FOUND_FUNCTION 1u /* frames[] has function names */
#define SYMBOL_FOUND_FILE 2u     /* ... and the innermost one a file */
#define SYMBOL_FOUND_LINE 4u     /* ... and a line number */
#define SYMBOL_FOUND_INLINE 8u   /* DWARF inline information was consulted */

typedef struct symbol_lookup {
    symbol_frame frames[SYMBOL_MAX_FRAMES]; /* innermost first */
    size_t n_frames;                        /* 0 = nothing known */
    unsigned found;                         /* SYMBOL_FOUND_* */
} symbol_lookup;

/* Lookup flags. */
#define SYMBOLIZE_DWARF 1u /* use DWARF (lines, inlined frames) if present */

/*
 * The frames at vaddr (an ELF virtual address of b, see
 * symbol_binary_vaddr): from DWARF when asked and available (the function
 * name falls back to the ELF symbol when DWARF has only a line), else one
 * frame from the ELF symbol table. n_frames 0 means unknown. Strings are
 * borrowed and valid until the next call on s. Returns 0, or a negative
 * code only for HEARTH_ENOMEM; tables that cannot be built (limits,
 * broken DWARF) just give fewer answers.
 */
int symbolizer_lookup(symbol_lookup *out, symbolizer *s, symbol_binary *b,
                      uint64_t vaddr, unsigned flags);

/* Bytes of tables currently cached, for tests and the sampler's stats. */
size_t symbolizer_bytes(const symbolizer *s);

/* ---------------------------------------------------- profile_symbolize */

typedef struct symbolize_options {
    /* Binaries to use instead of (or where there are no) mapping files:
     * matched to a mapping by build ID, else by base name when the build
     * IDs do not contradict each other. */
    const char *const *binaries;
    size_t n_binaries;
    unsigned flags;     /* SYMBOLIZE_* */
    bool mapping_files; /* also try the mapping's own filename on disk */
} symbolize_options;

#define SYMBOLIZE_OPTIONS_INIT { NULL, 0, SYMBOLIZE_DWARF, true }

/*
 * Symbolizes p in place: each location with no lines and a mapping gets
 * lines[] (innermost inlined frame first, the outermost function last),
 * with functions interned into p. The binary for a mapping is the first of
 * opts->binaries with the mapping's build ID, else one with its base name
 * (unless both build IDs are known and differ), else the mapping's filename
 * if it exists and its build ID does not differ. Locations that cannot be
 * resolved stay as they are. A mapping's has_functions / has_filenames /
 * has_line_numbers / has_inline_frames are set only when that information
 * was obtained for at least one of its locations (has_inline_frames: lines
 * came from DWARF, which describes inlining); flags already set are kept.
 * Each distinct (binary, address) is looked up once per call.
 * opts may be NULL for defaults. Returns 0, or HEARTH_ENOMEM (p may then be
 * partly symbolized but stays valid). A --binary path that cannot be read
 * is skipped; the caller can check it with symbolizer_open first.
 */
int profile_symbolize(profile *p, symbolizer *s, const symbolize_options *opts);

#endif
