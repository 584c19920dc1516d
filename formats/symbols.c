/*
 * ELF symbol tables, build IDs and load segments; the symbolizer cache that
 * joins them with DWARF (dwarf.c); and profile_symbolize.
 *
 * The ELF reader is our own: ~20 header reads per file through a
 * bounds-checked pread, because it runs inside the profiled service, where
 * mmap'ing a file that may be truncated under us would turn a bad file into
 * a SIGBUS. Only what symbolization needs is kept: PT_LOADs (a few), the
 * build ID, and function symbols (32 bytes each plus the name; libc has
 * ~3,000 in .dynsym, a large C++ service ~500,000 in .symtab = ~30 MB).
 * Tables are loaded on first lookup and evicted least-recently-used under
 * symbolizer_options.max_bytes; a profile of 10,000 locations in 50 binaries
 * opens each binary once and looks each distinct PC up once.
 */
#include "symbols.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "dwarf.h"
#include "error.h"

/* ------------------------------------------------------------- reading */

/* A file (fd) or a memory buffer, read only through src_read. */
typedef struct elf_src {
    int fd;
    const uint8_t *mem;
    uint64_t size;
} elf_src;

static const char *errno_text(int err, char *buf, size_t len)
{
    /* GNU strerror_r: thread-safe, returns the message. */
    return strerror_r(err, buf, len);
}

static int src_read(const elf_src *s, uint64_t off, void *buf, size_t len,
                    const char *what)
{
    if (off > s->size || len > s->size - off)
        return hearth_error_set(HEARTH_EFORMAT,
                                "%s: %zu bytes at offset %llu are past the end "
                                "of the file (%llu bytes)",
                                what, len, (unsigned long long)off,
                                (unsigned long long)s->size);
    if (s->mem) {
        memcpy(buf, s->mem + off, len);
        return 0;
    }
    size_t done = 0;
    while (done < len) {
        ssize_t r = pread(s->fd, (char *)buf + done, len - done, (off_t)(off + done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            char eb[128];
            return hearth_error_set(HEARTH_EFAIL, "%s: read at offset %llu: %s", what,
                                    (unsigned long long)(off + done),
                                    errno_text(errno, eb, sizeof eb));
        }
        if (r == 0)
            return hearth_error_set(HEARTH_EFORMAT, "%s: the file shrank while read",
                                    what);
        done += (size_t)r;
    }
    return 0;
}

/* Reads [off, off + len) into a new buffer with a NUL appended. */
static int src_read_alloc(const elf_src *s, uint64_t off, uint64_t len,
                          size_t max, char **out, const char *what)
{
    *out = NULL;
    if (len > max)
        return hearth_error_set(HEARTH_ELIMIT, "%s: %llu bytes exceed the %zu-byte limit",
                                what, (unsigned long long)len, max);
    char *b = malloc((size_t)len + 1);
    if (!b)
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    int rc = src_read(s, off, b, (size_t)len, what);
    if (rc) {
        free(b);
        return rc;
    }
    b[len] = '\0';
    *out = b;
    return 0;
}

/* ------------------------------------------------------------ the image */

#define ELF_MAX_LOADS 32
#define ELF_MAX_PHDRS 4096
#define ELF_MAX_SECTIONS 65536
#define ELF_MAX_SHSTRTAB ((size_t)16 << 20)
#define ELF_MAX_NOTES ((size_t)1 << 20)
#define SYM_CHUNK 512

typedef struct elf_load {
    uint64_t offset, vaddr, filesz;
    uint32_t flags;
} elf_load;

typedef struct elf_symsec {
    uint64_t offset, size;         /* the symbols */
    uint64_t str_offset, str_size; /* their string table */
    bool present;
} elf_symsec;

/* A section read before libdwarf sees the file (see dwarf_check_list_section). */
typedef struct elf_section {
    uint64_t offset, size;
    bool compressed, present;
} elf_section;

#define NO_FILE UINT32_MAX

typedef struct elf_sym {
    uint64_t addr;
    uint64_t size;
    uint32_t name;  /* offset into names */
    uint32_t file;  /* offset into names of its STT_FILE, or NO_FILE */
    uint32_t order; /* position in its table, for ties */
} elf_sym;

struct elf_image {
    unsigned type;
    char build_id[2 * ELF_MAX_BUILD_ID + 1];
    elf_load loads[ELF_MAX_LOADS];
    size_t n_loads;
    elf_symsec symtab, dynsym;
    bool has_debug_info, has_debug_line;
    uint64_t debug_bytes;
    elf_section rnglists, loclists;
    elf_sym *syms; /* sorted by addr, one per address */
    size_t n_syms;
    char *names;
    size_t names_len;
    bool syms_from_symtab;
};

static void hex_id(char *out, const uint8_t *d, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[2 * n] = '\0';
}

/* Parses a block of ELF notes, looking for the GNU build ID. */
static void parse_notes(elf_image *e, const uint8_t *d, size_t len, uint64_t align)
{
    size_t a = align == 8 ? 8 : 4;
    size_t off = 0;
    while (len - off >= 12) {
        uint32_t namesz, descsz, type;
        memcpy(&namesz, d + off, 4);
        memcpy(&descsz, d + off + 4, 4);
        memcpy(&type, d + off + 8, 4);
        size_t name_at = off + 12;
        size_t name_pad = ((size_t)namesz + a - 1) & ~(a - 1);
        if (name_pad < namesz || name_pad > len - name_at)
            return;
        size_t desc_at = name_at + name_pad;
        size_t desc_pad = ((size_t)descsz + a - 1) & ~(a - 1);
        if (desc_pad < descsz || descsz > len - desc_at)
            return;
        if (type == NT_GNU_BUILD_ID && namesz == 4 && !memcmp(d + name_at, "GNU", 4) &&
            descsz > 0 && descsz <= ELF_MAX_BUILD_ID) {
            hex_id(e->build_id, d + desc_at, descsz);
            return;
        }
        if (desc_pad > len - desc_at)
            return;
        off = desc_at + desc_pad;
    }
}

static void read_notes(elf_image *e, const elf_src *s, uint64_t off, uint64_t size,
                       uint64_t align)
{
    if (e->build_id[0] || !size)
        return;
    if (size > ELF_MAX_NOTES)
        size = ELF_MAX_NOTES;
    char *buf;
    /* Unreadable notes are not fatal: the file just has no build ID. */
    if (src_read_alloc(s, off, size, ELF_MAX_NOTES, &buf, "notes") == 0) {
        parse_notes(e, (const uint8_t *)buf, (size_t)size, align);
        free(buf);
    }
    hearth_error_clear();
}

static int read_phdrs(elf_image *e, const elf_src *s, const Elf64_Ehdr *eh,
                      size_t phnum)
{
    if (!eh->e_phoff || !phnum)
        return 0;
    if (eh->e_phentsize != sizeof(Elf64_Phdr))
        return hearth_error_set(HEARTH_EFORMAT, "e_phentsize is %u, not %zu",
                                eh->e_phentsize, sizeof(Elf64_Phdr));
    if (phnum > ELF_MAX_PHDRS)
        return hearth_error_set(HEARTH_EFORMAT, "%zu program headers", phnum);
    Elf64_Phdr *ph = malloc(phnum * sizeof *ph);
    if (!ph)
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    int rc = src_read(s, eh->e_phoff, ph, phnum * sizeof *ph, "program headers");
    if (rc) {
        free(ph);
        return rc;
    }
    for (size_t i = 0; i < phnum; i++) {
        if (ph[i].p_type == PT_LOAD && e->n_loads < ELF_MAX_LOADS) {
            if (ph[i].p_offset + ph[i].p_filesz < ph[i].p_offset ||
                ph[i].p_vaddr + ph[i].p_memsz < ph[i].p_vaddr) {
                free(ph);
                return hearth_error_set(HEARTH_EFORMAT,
                                        "program header %zu: segment wraps around", i);
            }
            elf_load *l = &e->loads[e->n_loads++];
            l->offset = ph[i].p_offset;
            l->vaddr = ph[i].p_vaddr;
            l->filesz = ph[i].p_filesz;
            l->flags = ph[i].p_flags;
        }
    }
    for (size_t i = 0; i < phnum; i++)
        if (ph[i].p_type == PT_NOTE)
            read_notes(e, s, ph[i].p_offset, ph[i].p_filesz, ph[i].p_align);
    free(ph);
    return 0;
}

static bool section_name_is(const char *shstr, uint64_t shstr_len, uint32_t name,
                            const char *want)
{
    if (!shstr || name >= shstr_len)
        return false;
    return !strcmp(shstr + name, want); /* shstr is NUL-terminated */
}

static const char *section_name(const char *shstr, uint64_t shstr_len, uint32_t name)
{
    return shstr && name < shstr_len ? shstr + name : "";
}

static void note_symsec(elf_symsec *out, const Elf64_Shdr *sh, size_t shnum, size_t i)
{
    const Elf64_Shdr *s = &sh[i];
    if (s->sh_entsize != sizeof(Elf64_Sym) || s->sh_link >= shnum ||
        sh[s->sh_link].sh_type != SHT_STRTAB)
        return; /* unusable: no symbols from it */
    out->offset = s->sh_offset;
    out->size = s->sh_size - s->sh_size % sizeof(Elf64_Sym);
    out->str_offset = sh[s->sh_link].sh_offset;
    out->str_size = sh[s->sh_link].sh_size;
    out->present = true;
}

static int read_sections(elf_image *e, const elf_src *s, const Elf64_Ehdr *eh)
{
    if (!eh->e_shoff)
        return 0;
    if (eh->e_shentsize != sizeof(Elf64_Shdr))
        return hearth_error_set(HEARTH_EFORMAT, "e_shentsize is %u, not %zu",
                                eh->e_shentsize, sizeof(Elf64_Shdr));
    Elf64_Shdr first;
    int rc = src_read(s, eh->e_shoff, &first, sizeof first, "section headers");
    if (rc)
        return rc;
    uint64_t shnum = eh->e_shnum ? eh->e_shnum : first.sh_size;
    uint64_t shstrndx = eh->e_shstrndx == SHN_XINDEX ? first.sh_link : eh->e_shstrndx;
    if (shnum > ELF_MAX_SECTIONS)
        return hearth_error_set(HEARTH_EFORMAT, "%llu sections",
                                (unsigned long long)shnum);
    if (!shnum)
        return 0;
    Elf64_Shdr *sh = malloc(shnum * sizeof *sh);
    if (!sh)
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    rc = src_read(s, eh->e_shoff, sh, shnum * sizeof *sh, "section headers");
    if (rc) {
        free(sh);
        return rc;
    }
    char *shstr = NULL;
    uint64_t shstr_len = 0;
    if (shstrndx < shnum && sh[shstrndx].sh_type == SHT_STRTAB) {
        shstr_len = sh[shstrndx].sh_size;
        rc = src_read_alloc(s, sh[shstrndx].sh_offset, shstr_len, ELF_MAX_SHSTRTAB,
                            &shstr, "section names");
        if (rc) {
            free(sh);
            return rc;
        }
    }
    for (size_t i = 0; i < shnum; i++) {
        const Elf64_Shdr *x = &sh[i];
        if (x->sh_type == SHT_SYMTAB && !e->symtab.present)
            note_symsec(&e->symtab, sh, shnum, i);
        else if (x->sh_type == SHT_DYNSYM && !e->dynsym.present)
            note_symsec(&e->dynsym, sh, shnum, i);
        else if (x->sh_type == SHT_NOTE)
            read_notes(e, s, x->sh_offset, x->sh_size, x->sh_addralign);
        const char *name = section_name(shstr, shstr_len, x->sh_name);
        if (x->sh_type != SHT_NOBITS && !strncmp(name, ".debug_", 7)) {
            uint64_t size = x->sh_size;
            if (x->sh_flags & SHF_COMPRESSED) {
                Elf64_Chdr ch;
                if (src_read(s, x->sh_offset, &ch, sizeof ch, "compressed section") == 0)
                    size = ch.ch_size;
                hearth_error_clear();
            }
            /* Saturating: sizes are the file's claims, and a sum that wraps
             * would slip under max_dwarf_input_bytes. */
            e->debug_bytes = size > UINT64_MAX - e->debug_bytes ? UINT64_MAX
                                                                : e->debug_bytes + size;
            if (section_name_is(shstr, shstr_len, x->sh_name, ".debug_info") && x->sh_size)
                e->has_debug_info = true;
            if (section_name_is(shstr, shstr_len, x->sh_name, ".debug_line") && x->sh_size)
                e->has_debug_line = true;
            elf_section *list = !strcmp(name, ".debug_rnglists")   ? &e->rnglists
                                : !strcmp(name, ".debug_loclists") ? &e->loclists
                                                                   : NULL;
            if (list && !list->present) {
                list->offset = x->sh_offset;
                list->size = x->sh_size;
                list->compressed = (x->sh_flags & SHF_COMPRESSED) != 0;
                list->present = true;
            }
        }
    }
    free(shstr);
    free(sh);
    return 0;
}

/* --- function symbols --- */

typedef struct sym_builder {
    elf_sym *syms;
    size_t n, cap;
    char *names;
    size_t names_len, names_cap;
    size_t max_bytes, extra; /* extra: the string table held meanwhile */
} sym_builder;

static size_t sym_builder_bytes(const sym_builder *b)
{
    return b->cap * sizeof(elf_sym) + b->names_cap + b->extra;
}

/* Appends a string to the names; returns its offset or a negative error. */
static int64_t names_add(sym_builder *b, const char *name, size_t len)
{
    if (b->names_len + len + 1 > b->names_cap) {
        size_t ncap = b->names_cap ? b->names_cap : 4096;
        while (ncap < b->names_len + len + 1)
            ncap *= 2;
        if (ncap > UINT32_MAX - 1 ||
            sym_builder_bytes(b) + (ncap - b->names_cap) > b->max_bytes)
            return hearth_error_set(HEARTH_ELIMIT, "symbol table larger than %zu bytes",
                                    b->max_bytes);
        char *n = realloc(b->names, ncap);
        if (!n)
            return hearth_error_set(HEARTH_ENOMEM, "out of memory");
        b->names = n;
        b->names_cap = ncap;
    }
    int64_t at = (int64_t)b->names_len;
    memcpy(b->names + b->names_len, name, len);
    b->names[b->names_len + len] = '\0';
    b->names_len += len + 1;
    return at;
}

static int sym_add(sym_builder *b, uint64_t addr, uint64_t size, const char *name,
                   size_t len, uint32_t file, uint32_t order)
{
    if (b->n == b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 256;
        if (sym_builder_bytes(b) + (ncap - b->cap) * sizeof(elf_sym) > b->max_bytes)
            return hearth_error_set(HEARTH_ELIMIT, "symbol table larger than %zu bytes",
                                    b->max_bytes);
        elf_sym *n = realloc(b->syms, ncap * sizeof *n);
        if (!n)
            return hearth_error_set(HEARTH_ENOMEM, "out of memory");
        b->syms = n;
        b->cap = ncap;
    }
    int64_t at = names_add(b, name, len);
    if (at < 0)
        return (int)at;
    elf_sym *s = &b->syms[b->n++];
    s->addr = addr;
    s->size = size;
    s->name = (uint32_t)at;
    s->file = file;
    s->order = order;
    return 0;
}

static int load_symsec(sym_builder *b, const elf_src *s, const elf_symsec *sec)
{
    char *str = NULL;
    int rc = src_read_alloc(s, sec->str_offset, sec->str_size, b->max_bytes, &str,
                            "symbol names");
    if (rc)
        return rc;
    b->extra = (size_t)sec->str_size;
    Elf64_Sym chunk[SYM_CHUNK];
    uint64_t n = sec->size / sizeof(Elf64_Sym);
    /* The source file of a function is the STT_FILE symbol before it, as
     * BFD decides: for a local symbol always, for a global one only when no
     * STT_FILE came after the first other symbol. */
    enum { NOTHING_SEEN, SYMBOL_SEEN, FILE_AFTER_SYMBOL } state = NOTHING_SEEN;
    const char *file = NULL;
    uint32_t file_at = NO_FILE; /* file in names, once a symbol uses it */
    for (uint64_t i = 0; i < n && !rc; i += SYM_CHUNK) {
        size_t k = n - i < SYM_CHUNK ? (size_t)(n - i) : SYM_CHUNK;
        rc = src_read(s, sec->offset + i * sizeof(Elf64_Sym), chunk, k * sizeof *chunk,
                      "symbols");
        for (size_t j = 0; j < k && !rc; j++) {
            const Elf64_Sym *y = &chunk[j];
            if (i + j == 0)
                continue; /* the null symbol */
            unsigned type = ELF64_ST_TYPE(y->st_info);
            if (y->st_name >= sec->str_size)
                continue; /* a name outside the table: ignore the symbol */
            const char *name = str + y->st_name;
            size_t len = strnlen(name, (size_t)(sec->str_size - y->st_name));
            if (len == sec->str_size - y->st_name)
                continue; /* runs off the table */
            if (type == STT_FILE) {
                file = len ? name : NULL;
                file_at = NO_FILE;
                if (state == SYMBOL_SEEN)
                    state = FILE_AFTER_SYMBOL;
                continue;
            }
            if (state == NOTHING_SEEN)
                state = SYMBOL_SEEN;
            if ((type != STT_FUNC && type != STT_GNU_IFUNC) || y->st_shndx == SHN_UNDEF ||
                !y->st_value || !len)
                continue;
            uint32_t f = NO_FILE;
            if (file && (ELF64_ST_BIND(y->st_info) == STB_LOCAL ||
                         state != FILE_AFTER_SYMBOL)) {
                if (file_at == NO_FILE) {
                    int64_t at = names_add(b, file, strlen(file));
                    if (at < 0) {
                        rc = (int)at;
                        break;
                    }
                    file_at = (uint32_t)at;
                }
                f = file_at;
            }
            rc = sym_add(b, y->st_value, y->st_size, name, len, f, (uint32_t)(i + j));
        }
    }
    free(str);
    b->extra = 0;
    return rc;
}

static int sym_cmp(const void *pa, const void *pb)
{
    const elf_sym *a = pa, *b = pb;
    if (a->addr != b->addr)
        return a->addr < b->addr ? -1 : 1;
    if (a->size != b->size)
        return a->size > b->size ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

/* Radix digits of the address: 2,048 counters, two passes for libc. */
#define SORT_DIGIT_BITS 11

/*
 * Sorts by sym_cmp's order: a stable radix sort of the address offsets
 * from the lowest, as many passes as their range needs, then each run of
 * one address (aliases: a few symbols) put largest first by qsort, which
 * stays O(k log k) when a hostile table puts all k symbols at one address
 * (insertion would be quadratic). libc's debug file (6,700
 * functions) took ~0.5 ms in the bottom-up merge sort used before, the
 * largest part of a first dump at a short program's exit; qsort, before
 * that, three times as long. qsort when there is no memory for the buffer.
 */
static void sort_syms(elf_sym *a, size_t n)
{
    if (n < 2)
        return;
    elf_sym *tmp = malloc(n * sizeof *tmp);
    if (!tmp) {
        qsort(a, n, sizeof *a, sym_cmp);
        return;
    }
    uint64_t lo = a[0].addr, hi = a[0].addr;
    for (size_t i = 1; i < n; i++) {
        lo = a[i].addr < lo ? a[i].addr : lo;
        hi = a[i].addr > hi ? a[i].addr : hi;
    }
    uint64_t range = hi - lo;
    elf_sym *src = a, *dst = tmp;
    unsigned shift = 0;
    do {
        size_t at[(size_t)1 << SORT_DIGIT_BITS] = {0};
        const uint64_t mask = ((uint64_t)1 << SORT_DIGIT_BITS) - 1;
        for (size_t i = 0; i < n; i++)
            at[((src[i].addr - lo) >> shift) & mask]++;
        size_t sum = 0;
        for (size_t d = 0; d <= mask; d++) {
            size_t c = at[d];
            at[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            dst[at[((src[i].addr - lo) >> shift) & mask]++] = src[i];
        elf_sym *t = src;
        src = dst;
        dst = t;
        shift += SORT_DIGIT_BITS;
    } while (shift < 64 && (range >> shift) != 0);
    if (src != a)
        memcpy(a, src, n * sizeof *a);
    free(tmp);
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && a[j].addr == a[i].addr; j++)
            ;
        if (j - i > 1)
            qsort(a + i, j - i, sizeof *a, sym_cmp);
    }
}

static int read_symbols(elf_image *e, const elf_src *s, size_t max_bytes)
{
    sym_builder b;
    memset(&b, 0, sizeof b);
    b.max_bytes = max_bytes;
    int rc = 0;
    /* Like addr2line: the full table when there is one, else the dynamic. */
    if (e->symtab.present) {
        rc = load_symsec(&b, s, &e->symtab);
        e->syms_from_symtab = rc == 0 && b.n > 0;
    }
    if ((rc == 0 && b.n == 0) || rc == HEARTH_EFORMAT) {
        b.n = 0;
        b.names_len = 0;
        rc = e->dynsym.present ? load_symsec(&b, s, &e->dynsym) : 0;
        e->syms_from_symtab = false;
    }
    if (rc) {
        free(b.syms);
        free(b.names);
        return rc;
    }
    if (b.n) {
        sort_syms(b.syms, b.n);
        size_t w = 0;
        for (size_t i = 0; i < b.n; i++)
            if (!w || b.syms[w - 1].addr != b.syms[i].addr)
                b.syms[w++] = b.syms[i];
        b.n = w;
        elf_sym *shrunk = realloc(b.syms, b.n * sizeof *shrunk);
        if (shrunk)
            b.syms = shrunk;
    }
    e->syms = b.syms;
    e->n_syms = b.n;
    e->names = b.names;
    e->names_len = b.names_len;
    return 0;
}

static int image_parse(elf_image **out, const elf_src *s, const elf_image_options *o)
{
    elf_image_options defaults = ELF_IMAGE_OPTIONS_INIT;
    if (!o)
        o = &defaults;
    *out = NULL;
    Elf64_Ehdr eh;
    if (s->size < sizeof eh)
        return hearth_error_set(HEARTH_EFORMAT, "%llu bytes: too short for an ELF header",
                                (unsigned long long)s->size);
    int rc = src_read(s, 0, &eh, sizeof eh, "ELF header");
    if (rc)
        return rc;
    if (memcmp(eh.e_ident, ELFMAG, SELFMAG))
        return hearth_error_set(HEARTH_EFORMAT, "not an ELF file");
    if (eh.e_ident[EI_CLASS] != ELFCLASS64)
        return hearth_error_set(HEARTH_EFORMAT, "not a 64-bit ELF file");
    if (eh.e_ident[EI_DATA] != ELFDATA2LSB)
        return hearth_error_set(HEARTH_EFORMAT, "not a little-endian ELF file");
    if (eh.e_ident[EI_VERSION] != EV_CURRENT)
        return hearth_error_set(HEARTH_EFORMAT, "unknown ELF version %u",
                                eh.e_ident[EI_VERSION]);
    elf_image *e = calloc(1, sizeof *e);
    if (!e)
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    e->type = eh.e_type;
    size_t phnum = eh.e_phnum;
    rc = read_sections(e, s, &eh);
    if (!rc && eh.e_phnum == PN_XNUM && eh.e_shoff) {
        Elf64_Shdr first;
        rc = src_read(s, eh.e_shoff, &first, sizeof first, "section headers");
        phnum = first.sh_info;
    }
    if (!rc)
        rc = read_phdrs(e, s, &eh, phnum);
    if (!rc && !e->n_loads && (e->type == ET_EXEC || e->type == ET_DYN))
        rc = hearth_error_set(HEARTH_EFORMAT, "no PT_LOAD segment");
    if (!rc && o->symbols) {
        int srm = read_symbols(e, s, o->max_bytes);
        if (srm == HEARTH_ENOMEM || srm == HEARTH_ELIMIT)
            rc = srm;
        else if (srm)
            hearth_error_clear(); /* a bad symbol table: no symbols */
    }
    if (rc) {
        elf_image_destroy(e);
        return rc;
    }
    *out = e;
    return 0;
}

typedef struct file_id {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
} file_id;

static void set_id(file_id *out, const struct stat *st)
{
    out->dev = st->st_dev;
    out->ino = st->st_ino;
    out->size = st->st_size;
    out->mtime = st->st_mtim;
}

/* elf_image_load that also says which file it read (id may be NULL). */
static int load_file(elf_image **out, const char *path, const elf_image_options *opts,
                     file_id *id)
{
    *out = NULL;
    /* O_NONBLOCK: a FIFO named like a binary must not hang the dump. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    char eb[128];
    if (fd < 0)
        return hearth_error_set(HEARTH_EFAIL, "%s", errno_text(errno, eb, sizeof eb));
    struct stat st;
    if (fstat(fd, &st)) {
        int err = errno;
        close(fd);
        return hearth_error_set(HEARTH_EFAIL, "%s", errno_text(err, eb, sizeof eb));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return hearth_error_set(HEARTH_EFAIL, "not a regular file");
    }
    if (id)
        set_id(id, &st);
    elf_src s = {fd, NULL, (uint64_t)st.st_size};
    int rc = image_parse(out, &s, opts);
    close(fd);
    return rc;
}

int elf_image_load(elf_image **out, const char *path, const elf_image_options *opts)
{
    return load_file(out, path, opts, NULL);
}

int elf_image_read(elf_image **out, const void *data, size_t len,
                   const elf_image_options *opts)
{
    elf_src s = {-1, data, len};
    return image_parse(out, &s, opts);
}

void elf_image_destroy(elf_image *e)
{
    if (!e)
        return;
    free(e->syms);
    free(e->names);
    free(e);
}

const char *elf_image_build_id(const elf_image *e)
{
    return e->build_id;
}

unsigned elf_image_type(const elf_image *e)
{
    return e->type;
}

int elf_image_vaddr(const elf_image *e, uint64_t *out, uint64_t pc,
                    uint64_t memory_start, uint64_t memory_limit, uint64_t file_offset)
{
    if (pc < memory_start || (memory_limit && pc >= memory_limit))
        return hearth_error_set(HEARTH_EFORMAT, "address 0x%llx is outside its mapping",
                                (unsigned long long)pc);
    uint64_t off = pc - memory_start + file_offset;
    /* Executable segments first: that is where PCs are. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < e->n_loads; i++) {
            const elf_load *l = &e->loads[i];
            if ((l->flags & PF_X) ? pass : !pass)
                continue;
            if (off >= l->offset && off - l->offset < l->filesz) {
                *out = off - l->offset + l->vaddr;
                return 0;
            }
        }
    }
    return hearth_error_set(HEARTH_EFORMAT,
                            "file offset 0x%llx of address 0x%llx is in no PT_LOAD",
                            (unsigned long long)off, (unsigned long long)pc);
}

bool elf_image_find(const elf_image *e, uint64_t vaddr, elf_symbol *out)
{
    size_t lo = 0, hi = e->n_syms;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e->syms[mid].addr <= vaddr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (!lo)
        return false;
    const elf_sym *hit = NULL;
    /* The nearest start whose size covers vaddr; nested symbols are rare,
     * so a few steps back suffice. */
    for (size_t i = lo - 1, k = 0; k < 16; i--, k++) {
        const elf_sym *y = &e->syms[i];
        if (y->size && vaddr - y->addr < y->size) {
            hit = y;
            break;
        }
        if (!i)
            break;
    }
    if (!hit && e->syms[lo - 1].size == 0)
        hit = &e->syms[lo - 1];
    if (!hit)
        return false;
    out->name = e->names + hit->name;
    out->file = hit->file == NO_FILE ? NULL : e->names + hit->file;
    out->addr = hit->addr;
    out->size = hit->size;
    return true;
}

size_t elf_image_n_symbols(const elf_image *e)
{
    return e->n_syms;
}

bool elf_image_has_symtab(const elf_image *e)
{
    return e->symtab.present;
}

bool elf_image_has_dwarf(const elf_image *e)
{
    return e->has_debug_info && e->has_debug_line;
}

uint64_t elf_image_debug_bytes(const elf_image *e)
{
    return e->debug_bytes;
}

size_t elf_image_bytes(const elf_image *e)
{
    return sizeof *e + e->n_syms * sizeof(elf_sym) + e->names_len;
}

/* ----------------------------------------------------------- symbolizer */

struct symbol_binary {
    char *path;
    int open_rc;       /* 0, or the error that symbolizer_open returns */
    char open_msg[160];
    elf_image *hdr;    /* headers and build ID; no symbols */
    file_id id;        /* of path when opened; tables are checked against it */
    char *debug_path;  /* a separate debug file with the same build ID */
    elf_image *debug_hdr;
    bool debug_checked;

    elf_image *syms;   /* function symbols (from path or debug_path) */
    bool syms_tried;   /* a failed load is not retried until evicted */
    dwarf_index *dw;
    bool dw_tried;
    size_t table_bytes;
    uint64_t last_used;
};

struct symbolizer {
    size_t max_bytes;
    uint64_t max_dwarf_input_bytes;
    size_t max_binaries;
    char *debug_dir;
    bool debug_file_dwarf;
    symbol_binary **bins;
    size_t n_bins, cap_bins;
    size_t bytes;  /* tables of all binaries */
    uint64_t clock;
};

int symbolizer_create(symbolizer **out, const symbolizer_options *opts)
{
    symbolizer_options defaults = SYMBOLIZER_OPTIONS_INIT;
    if (!opts)
        opts = &defaults;
    *out = NULL;
    symbolizer *s = calloc(1, sizeof *s);
    if (!s)
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    s->max_bytes = opts->max_bytes;
    s->max_dwarf_input_bytes = opts->max_dwarf_input_bytes;
    s->max_binaries = opts->max_binaries;
    s->debug_file_dwarf = opts->debug_file_dwarf;
    if (opts->debug_dir && *opts->debug_dir && !(s->debug_dir = strdup(opts->debug_dir))) {
        free(s);
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    }
    *out = s;
    return 0;
}

static void drop_tables(symbolizer *s, symbol_binary *b)
{
    elf_image_destroy(b->syms);
    dwarf_index_destroy(b->dw);
    b->syms = NULL;
    b->dw = NULL;
    b->syms_tried = b->dw_tried = false;
    s->bytes -= b->table_bytes;
    b->table_bytes = 0;
}

void symbolizer_destroy(symbolizer *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_bins; i++) {
        symbol_binary *b = s->bins[i];
        drop_tables(s, b);
        elf_image_destroy(b->hdr);
        elf_image_destroy(b->debug_hdr);
        free(b->debug_path);
        free(b->path);
        free(b);
    }
    free(s->bins);
    free(s->debug_dir);
    free(s);
}

size_t symbolizer_bytes(const symbolizer *s)
{
    return s->bytes;
}

static bool stat_id(const char *path, file_id *out)
{
    struct stat st;
    if (stat(path, &st) || !S_ISREG(st.st_mode))
        return false;
    set_id(out, &st);
    return true;
}

static bool same_id(const file_id *a, const file_id *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

int symbolizer_open(symbolizer *s, const char *path, symbol_binary **out)
{
    *out = NULL;
    for (size_t i = 0; i < s->n_bins; i++) {
        symbol_binary *b = s->bins[i];
        if (!strcmp(b->path, path)) {
            if (b->open_rc)
                return hearth_error_set(b->open_rc, "%s", b->open_msg);
            *out = b;
            return 0;
        }
    }
    if (s->n_bins >= s->max_binaries)
        return hearth_error_set(HEARTH_ELIMIT, "more than %zu binaries", s->max_binaries);
    if (s->n_bins == s->cap_bins) {
        size_t ncap = s->cap_bins ? s->cap_bins * 2 : 16;
        symbol_binary **n = realloc(s->bins, ncap * sizeof *n);
        if (!n)
            return hearth_error_set(HEARTH_ENOMEM, "out of memory");
        s->bins = n;
        s->cap_bins = ncap;
    }
    symbol_binary *b = calloc(1, sizeof *b);
    if (!b || !(b->path = strdup(path))) {
        free(b);
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    }
    elf_image_options ho = {false, 0};
    b->open_rc = load_file(&b->hdr, path, &ho, &b->id);
    if (b->open_rc == HEARTH_ENOMEM) {
        free(b->path);
        free(b);
        return HEARTH_ENOMEM;
    }
    if (b->open_rc)
        snprintf(b->open_msg, sizeof b->open_msg, "%s", hearth_error_last());
    s->bins[s->n_bins++] = b;
    if (b->open_rc)
        return b->open_rc;
    *out = b;
    return 0;
}

const char *symbol_binary_path(const symbol_binary *b)
{
    return b->path;
}

const char *symbol_binary_build_id(const symbol_binary *b)
{
    return b->hdr ? elf_image_build_id(b->hdr) : "";
}

int symbol_binary_vaddr(const symbol_binary *b, uint64_t *out, uint64_t pc,
                        uint64_t memory_start, uint64_t memory_limit,
                        uint64_t file_offset)
{
    if (!b->hdr)
        return hearth_error_set(HEARTH_EFAIL, "%s: not readable", b->path);
    return elf_image_vaddr(b->hdr, out, pc, memory_start, memory_limit, file_offset);
}

/* Finds DIR/.build-id/xx/rest.debug for the binary's build ID. */
static void find_debug_file(symbolizer *s, symbol_binary *b)
{
    if (b->debug_checked)
        return;
    b->debug_checked = true;
    const char *id = elf_image_build_id(b->hdr);
    if (!s->debug_dir || strlen(id) < 4)
        return;
    size_t n = strlen(s->debug_dir) + strlen(id) + 32;
    char *p = malloc(n);
    if (!p)
        return;
    snprintf(p, n, "%s/.build-id/%.2s/%s.debug", s->debug_dir, id, id + 2);
    elf_image_options ho = {false, 0};
    elf_image *d = NULL;
    if (access(p, R_OK) == 0 && elf_image_load(&d, p, &ho) == 0 &&
        !strcmp(elf_image_build_id(d), id)) {
        b->debug_path = p;
        b->debug_hdr = d;
        return;
    }
    hearth_error_clear();
    elf_image_destroy(d);
    free(p);
}

/* Frees other binaries' tables, least recently used first, until want
 * bytes are free or nothing else is left to free. */
static void make_room(symbolizer *s, const symbol_binary *keep, size_t want)
{
    while (s->bytes + want > s->max_bytes) {
        symbol_binary *lru = NULL;
        for (size_t i = 0; i < s->n_bins; i++) {
            symbol_binary *b = s->bins[i];
            if (b != keep && b->table_bytes && (!lru || b->last_used < lru->last_used))
                lru = b;
        }
        if (!lru)
            return;
        drop_tables(s, lru);
    }
}

static size_t budget(symbolizer *s, const symbol_binary *b)
{
    /* Keep half the cap free for a new table when others can make way. */
    make_room(s, b, s->max_bytes / 2);
    return s->bytes < s->max_bytes ? s->max_bytes - s->bytes : 0;
}

static bool others_hold_tables(const symbolizer *s, const symbol_binary *keep)
{
    for (size_t i = 0; i < s->n_bins; i++)
        if (s->bins[i] != keep && s->bins[i]->table_bytes)
            return true;
    return false;
}

static int load_syms(symbolizer *s, symbol_binary *b)
{
    if (b->syms || b->syms_tried)
        return 0;
    b->syms_tried = true;
    find_debug_file(s, b);
    /* The debug file's .symtab when the binary itself is stripped. */
    const char *path = b->path;
    const elf_image *want = b->hdr;
    if (!elf_image_has_symtab(b->hdr) && b->debug_hdr && elf_image_has_symtab(b->debug_hdr)) {
        path = b->debug_path;
        want = b->debug_hdr;
    } else {
        file_id now;
        if (!stat_id(path, &now) || !same_id(&now, &b->id))
            return 0; /* changed on disk since opened: not the same binary */
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        elf_image_options o = {true, budget(s, b)};
        elf_image *img = NULL;
        int rc = elf_image_load(&img, path, &o);
        if (rc == HEARTH_ELIMIT && attempt == 0 && others_hold_tables(s, b)) {
            make_room(s, b, s->max_bytes);
            continue;
        }
        if (rc == HEARTH_ENOMEM)
            return rc;
        if (rc) {
            hearth_error_clear();
            return 0;
        }
        if (strcmp(elf_image_build_id(img), elf_image_build_id(want))) {
            elf_image_destroy(img); /* replaced between open and now */
            return 0;
        }
        b->syms = img;
        b->table_bytes += elf_image_bytes(img);
        s->bytes += elf_image_bytes(img);
        return 0;
    }
    return 0;
}

/* Reads one section of the file at path, inflating SHF_COMPRESSED ones. */
static int read_section(const char *path, const elf_section *sec, uint64_t max,
                        uint8_t **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return hearth_error_set(HEARTH_EFAIL, "cannot open");
    struct stat st;
    int rc = HEARTH_EFAIL;
    char *raw = NULL;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode))
        goto out;
    elf_src src = {fd, NULL, (uint64_t)st.st_size};
    if ((rc = src_read_alloc(&src, sec->offset, sec->size, max, &raw, "DWARF section")))
        goto out;
    if (!sec->compressed) {
        *out = (uint8_t *)raw;
        *len = (size_t)sec->size;
        raw = NULL;
        goto out;
    }
    Elf64_Chdr ch;
    rc = HEARTH_EFORMAT;
    if (sec->size < sizeof ch)
        goto out;
    memcpy(&ch, raw, sizeof ch);
    if (ch.ch_type != ELFCOMPRESS_ZLIB || ch.ch_size > max) {
        rc = hearth_error_set(HEARTH_EFORMAT, "unsupported compressed section");
        goto out;
    }
    uint8_t *inflated = malloc(ch.ch_size ? (size_t)ch.ch_size : 1);
    uLongf n = (uLongf)ch.ch_size;
    if (!inflated) {
        rc = hearth_error_set(HEARTH_ENOMEM, "out of memory");
        goto out;
    }
    if (uncompress(inflated, &n, (const Bytef *)raw + sizeof ch,
                   (uLong)(sec->size - sizeof ch)) != Z_OK || n != ch.ch_size) {
        free(inflated);
        rc = hearth_error_set(HEARTH_EFORMAT, "corrupt compressed section");
        goto out;
    }
    *out = inflated;
    *len = (size_t)n;
    rc = 0;
out:
    free(raw);
    close(fd);
    return rc;
}

/* The DWARF 5 list sections pass the checks libdwarf relies on us for. */
static bool dwarf_input_sane(const char *path, const elf_image *e, uint64_t max)
{
    const elf_section *secs[2] = {&e->rnglists, &e->loclists};
    const char *names[2] = {".debug_rnglists", ".debug_loclists"};
    for (int i = 0; i < 2; i++) {
        if (!secs[i]->present)
            continue;
        uint8_t *d;
        size_t n;
        if (read_section(path, secs[i], max, &d, &n))
            return false;
        int rc = dwarf_check_list_section(d, n, names[i]);
        free(d);
        if (rc)
            return false;
    }
    return true;
}

static int load_dwarf(symbolizer *s, symbol_binary *b)
{
    if (b->dw || b->dw_tried)
        return 0;
    b->dw_tried = true;
    const char *path = NULL;
    const elf_image *src = NULL;
    if (elf_image_has_dwarf(b->hdr)) {
        file_id now;
        if (!stat_id(b->path, &now) || !same_id(&now, &b->id))
            return 0;
        path = b->path;
        src = b->hdr;
    } else if (s->debug_file_dwarf) {
        find_debug_file(s, b);
        if (b->debug_hdr && elf_image_has_dwarf(b->debug_hdr)) {
            path = b->debug_path;
            src = b->debug_hdr;
        }
    }
    if (!path || elf_image_debug_bytes(src) > s->max_dwarf_input_bytes)
        return 0;
    if (!dwarf_input_sane(path, src, s->max_dwarf_input_bytes)) {
        hearth_error_clear();
        return 0;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        dwarf_index_options o = {budget(s, b)};
        dwarf_index *x = NULL;
        int rc = dwarf_index_load(&x, path, &o);
        if (rc == HEARTH_ELIMIT && attempt == 0 && others_hold_tables(s, b)) {
            make_room(s, b, s->max_bytes);
            continue;
        }
        if (rc == HEARTH_ENOMEM)
            return rc;
        if (rc) {
            hearth_error_clear();
            return 0;
        }
        b->dw = x;
        b->table_bytes += dwarf_index_bytes(x);
        s->bytes += dwarf_index_bytes(x);
        return 0;
    }
    return 0;
}

int symbolizer_lookup(symbol_lookup *out, symbolizer *s, symbol_binary *b,
                      uint64_t vaddr, unsigned flags)
{
    out->n_frames = 0;
    out->found = 0;
    if (!b || b->open_rc || !b->hdr)
        return 0;
    b->last_used = ++s->clock;
    int rc;
    dwarf_frame df[SYMBOL_MAX_FRAMES];
    size_t n = 0;
    if (flags & SYMBOLIZE_DWARF) {
        if ((rc = load_dwarf(s, b)))
            return rc;
        if (b->dw)
            n = dwarf_index_lookup(b->dw, vaddr, df, SYMBOL_MAX_FRAMES);
    }
    /* The ELF symbol names the function when DWARF has only a line (or
     * nothing) for the address. */
    const char *sym_name = NULL, *sym_file = NULL;
    if (!n || !df[n - 1].function) {
        if ((rc = load_syms(s, b)))
            return rc;
        elf_symbol sym;
        if (b->syms && elf_image_find(b->syms, vaddr, &sym)) {
            sym_name = sym.name;
            sym_file = sym.file;
        }
    }
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        const char *fn = df[i].function;
        if (!fn && i == n - 1)
            fn = sym_name;
        if (!fn)
            continue; /* a nameless inlined frame: its caller still shows */
        out->frames[w++] = (symbol_frame){fn, df[i].file, df[i].line, df[i].start_line};
    }
    if (w) {
        out->found = SYMBOL_FOUND_FUNCTION | SYMBOL_FOUND_INLINE;
        if (out->frames[0].file)
            out->found |= SYMBOL_FOUND_FILE;
        if (out->frames[0].line)
            out->found |= SYMBOL_FOUND_LINE;
    } else if (sym_name) {
        out->frames[w++] = (symbol_frame){sym_name, sym_file, 0, 0};
        out->found = SYMBOL_FOUND_FUNCTION | (sym_file ? SYMBOL_FOUND_FILE : 0);
    }
    out->n_frames = w;
    return 0;
}

/* ---------------------------------------------------- profile_symbolize */

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* Build IDs contradict each other only when both are known. */
static bool ids_conflict(const char *a, const char *b)
{
    return *a && *b && strcasecmp(a, b) != 0;
}

static symbol_binary *binary_for_mapping(symbolizer *s, const profile *p,
                                         const profile_mapping *m,
                                         const symbolize_options *o)
{
    const char *file = profile_str(p, m->filename);
    const char *id = profile_str(p, m->build_id);
    symbol_binary *b;
    if (*id) {
        for (size_t i = 0; i < o->n_binaries; i++)
            if (symbolizer_open(s, o->binaries[i], &b) == 0 &&
                !strcasecmp(symbol_binary_build_id(b), id))
                return b;
    }
    if (*file) {
        for (size_t i = 0; i < o->n_binaries; i++)
            if (symbolizer_open(s, o->binaries[i], &b) == 0 &&
                !strcmp(base_name(o->binaries[i]), base_name(file)) &&
                !ids_conflict(symbol_binary_build_id(b), id))
                return b;
    }
    if (o->mapping_files && file[0] == '/' && symbolizer_open(s, file, &b) == 0 &&
        !ids_conflict(symbol_binary_build_id(b), id))
        return b;
    hearth_error_clear();
    return NULL;
}

/* The profile's function ids must be dense (id == index + 1) before
 * profile_function_intern adds more, or a new id could repeat an old one:
 * renumbers them, rewriting every line's function_id. */
static int densify_function_ids(profile *p)
{
    bool dense = true;
    for (size_t i = 0; i < p->n_functions && dense; i++)
        dense = p->functions[i].id == i + 1;
    if (dense)
        return 0;
    for (size_t i = 0; i < p->n_locations; i++) {
        profile_location *l = &p->locations[i];
        for (uint32_t k = 0; k < l->n_lines; k++) {
            const profile_function *f = profile_function_find(p, l->lines[k].function_id);
            if (f)
                l->lines[k].function_id = (uint64_t)(f - p->functions) + 1;
        }
    }
    for (size_t i = 0; i < p->n_functions; i++)
        p->functions[i].id = i + 1;
    return profile_index(p);
}

/* (binary, vaddr) -> the lines already made for it. */
typedef struct pc_cache_entry {
    uint64_t vaddr;
    uint32_t bin;   /* binary number + 1; 0 = empty slot */
    uint32_t n_lines;
    profile_line *lines; /* in the profile's arena */
    unsigned found;
} pc_cache_entry;

typedef struct pc_cache {
    pc_cache_entry *slots;
    size_t cap, n;
} pc_cache;

static size_t pc_hash(uint32_t bin, uint64_t vaddr, size_t mask)
{
    uint64_t h = (vaddr ^ ((uint64_t)bin << 48)) * 0x9e3779b97f4a7c15ull;
    return (size_t)(h >> 20) & mask;
}

static pc_cache_entry *pc_cache_find(pc_cache *c, uint32_t bin, uint64_t vaddr)
{
    size_t mask = c->cap - 1;
    size_t h = pc_hash(bin, vaddr, mask);
    while (c->slots[h].bin && !(c->slots[h].bin == bin && c->slots[h].vaddr == vaddr))
        h = (h + 1) & mask;
    return &c->slots[h];
}

static int pc_cache_grow(pc_cache *c)
{
    if ((c->n + 1) * 2 <= c->cap)
        return 0;
    size_t ncap = c->cap ? c->cap * 2 : 1024;
    pc_cache old = *c;
    c->slots = calloc(ncap, sizeof *c->slots);
    if (!c->slots) {
        *c = old;
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    }
    c->cap = ncap;
    for (size_t i = 0; i < old.cap; i++)
        if (old.slots[i].bin)
            *pc_cache_find(c, old.slots[i].bin, old.slots[i].vaddr) = old.slots[i];
    free(old.slots);
    return 0;
}

/* Turns one lookup into profile lines (interning functions). */
static int make_lines(profile *p, const symbol_lookup *r, profile_line **out)
{
    *out = NULL;
    if (!r->n_frames)
        return 0;
    profile_line *lines = profile_alloc(p, r->n_frames * sizeof *lines);
    if (!lines)
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    for (size_t i = 0; i < r->n_frames; i++) {
        const symbol_frame *f = &r->frames[i];
        int64_t fid = profile_function_intern(p, f->function, f->function,
                                              f->file ? f->file : "", f->start_line);
        if (fid < 0)
            return (int)fid;
        lines[i].function_id = (uint64_t)fid;
        lines[i].line = f->line;
        lines[i].column = 0;
    }
    *out = lines;
    return 0;
}

/* A location to symbolize, ordered by binary so that each binary's tables
 * are built once per call even when they do not all fit in the cap. */
typedef struct work_item {
    uint32_t bin;
    uint32_t mapping;
    size_t location;
} work_item;

static int work_cmp(const void *pa, const void *pb)
{
    const work_item *a = pa, *b = pb;
    if (a->bin != b->bin)
        return a->bin < b->bin ? -1 : 1;
    return a->location < b->location ? -1 : a->location > b->location;
}

int profile_symbolize(profile *p, symbolizer *s, const symbolize_options *opts)
{
    symbolize_options defaults = SYMBOLIZE_OPTIONS_INIT;
    if (!opts)
        opts = &defaults;
    int rc = profile_index(p);
    if (rc)
        return rc;
    if ((rc = densify_function_ids(p)))
        return rc;
    size_t nm = p->n_mappings;
    symbol_binary **bins = calloc(nm ? nm : 1, sizeof *bins);
    bool *resolved = calloc(nm ? nm : 1, sizeof *resolved);
    unsigned *found = calloc(nm ? nm : 1, sizeof *found);
    uint32_t *bin_no = calloc(nm ? nm : 1, sizeof *bin_no);
    work_item *work = malloc((p->n_locations ? p->n_locations : 1) * sizeof *work);
    size_t n_work = 0;
    pc_cache cache = {NULL, 0, 0};
    if (!bins || !resolved || !found || !bin_no || !work) {
        rc = hearth_error_set(HEARTH_ENOMEM, "out of memory");
        goto out;
    }
    /* Which binary each location needs. */
    for (size_t i = 0; i < p->n_locations; i++) {
        const profile_location *l = &p->locations[i];
        if (l->n_lines || !l->mapping_id)
            continue;
        const profile_mapping *m = profile_mapping_find(p, l->mapping_id);
        if (!m)
            continue;
        size_t mi = (size_t)(m - p->mappings);
        if (!resolved[mi]) {
            resolved[mi] = true;
            bins[mi] = binary_for_mapping(s, p, m, opts);
            /* Mappings of one binary share cache entries. */
            bin_no[mi] = (uint32_t)mi + 1;
            for (size_t k = 0; k < mi; k++)
                if (resolved[k] && bins[k] == bins[mi]) {
                    bin_no[mi] = bin_no[k];
                    break;
                }
        }
        if (bins[mi])
            work[n_work++] = (work_item){bin_no[mi], (uint32_t)mi, i};
    }
    qsort(work, n_work, sizeof *work, work_cmp);
    bool changed = false;
    for (size_t w = 0; w < n_work; w++) {
        size_t mi = work[w].mapping;
        profile_location *l = &p->locations[work[w].location];
        const profile_mapping *m = &p->mappings[mi];
        symbol_binary *b = bins[mi];
        uint64_t vaddr;
        if (symbol_binary_vaddr(b, &vaddr, l->address, m->memory_start, m->memory_limit,
                                m->file_offset)) {
            hearth_error_clear();
            continue;
        }
        if ((rc = pc_cache_grow(&cache)))
            goto out;
        pc_cache_entry *c = pc_cache_find(&cache, bin_no[mi], vaddr);
        profile_line *lines = NULL;
        if (!c->bin) {
            symbol_lookup r;
            if ((rc = symbolizer_lookup(&r, s, b, vaddr, opts->flags)))
                goto out;
            if ((rc = make_lines(p, &r, &lines)))
                goto out;
            c->bin = bin_no[mi];
            c->vaddr = vaddr;
            c->lines = lines;
            c->n_lines = (uint32_t)r.n_frames;
            c->found = r.found;
            cache.n++;
        } else if (c->n_lines) {
            /* Each location gets its own copy: the model does not share. */
            lines = profile_alloc(p, c->n_lines * sizeof *lines);
            if (!lines) {
                rc = hearth_error_set(HEARTH_ENOMEM, "out of memory");
                goto out;
            }
            memcpy(lines, c->lines, c->n_lines * sizeof *lines);
        }
        if (!c->n_lines)
            continue;
        l->lines = lines;
        l->n_lines = c->n_lines;
        found[mi] |= c->found;
        changed = true;
    }
    for (size_t mi = 0; mi < nm; mi++) {
        profile_mapping *m = &p->mappings[mi];
        unsigned f = found[mi];
        m->has_functions |= (f & SYMBOL_FOUND_FUNCTION) != 0;
        m->has_filenames |= (f & SYMBOL_FOUND_FILE) != 0;
        m->has_line_numbers |= (f & SYMBOL_FOUND_LINE) != 0;
        m->has_inline_frames |= (f & SYMBOL_FOUND_INLINE) != 0;
    }
    rc = changed ? profile_validate(p) : 0;
out:
    free(cache.slots);
    free(work);
    free(bins);
    free(resolved);
    free(found);
    free(bin_no);
    return rc;
}
