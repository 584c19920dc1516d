/*
 * libFuzzer target for the ELF/DWARF symbol reader (formats/symbols.c, and
 * formats/dwarf.c with libdwarf behind it), which `hearth symbolize --binary`
 * runs on files users hand it. The input is written to a fresh memfd and
 * opened by path with a fresh symbolizer whose limits are small (picked by
 * e_ident[EI_PAD + 6], a byte no reader looks at) so limit paths are hit; it
 * is also read from memory with elf_image_read. A failure is a known
 * negative code with one non-empty line, and a path that failed fails again
 * the same way. On success, lookups at addresses taken from the input
 * (entry point, PT_LOAD and section addresses, a few fixed ones) return 0,
 * at most SYMBOL_MAX_FRAMES frames with NUL-terminated strings and flags
 * that match them, the same answer twice, and the tables stay under
 * max_bytes. tests/fuzz/replay.c runs it over tests/fuzz/corpus/symbols.
 */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../formats/error.h"
#include "../../formats/symbols.h"
#include "fuzz.h"

/* Addresses looked up per input: enough to reach several tables, few enough
 * that each input stays fast. */
#define FUZZ_MAX_ADDRS 24

/* A failure: a known code, the same code recorded, one non-empty line. */
static void check_failure(int rc, const char *what)
{
    const char *msg = hearth_error_last();
    FUZZ_ASSERT(rc == HEARTH_EFORMAT || rc == HEARTH_ELIMIT || rc == HEARTH_ENOMEM,
                "%s: rc %d: %s", what, rc, msg);
    FUZZ_ASSERT(hearth_error_code() == rc, "%s: code %d, rc %d", what,
                hearth_error_code(), rc);
    FUZZ_ASSERT(msg[0] != '\0', "%s: empty message for rc %d", what, rc);
    FUZZ_ASSERT(!strchr(msg, '\n'), "%s: message is not one line: %s", what, msg);
}

static uint64_t rd(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void add_addr(uint64_t *addrs, size_t *n, uint64_t a)
{
    if (*n < FUZZ_MAX_ADDRS)
        addrs[(*n)++] = a;
}

/* Addresses worth asking about, read from the raw bytes with our own bounds
 * checks: e_entry, PT_LOAD starts and middles, section addresses, and a few
 * fixed values. */
static size_t pick_addrs(uint64_t *addrs, const uint8_t *data, size_t size)
{
    size_t n = 0;
    add_addr(addrs, &n, 0);
    add_addr(addrs, &n, 0x1000);
    add_addr(addrs, &n, 0x401000);
    add_addr(addrs, &n, UINT64_MAX);
    if (size < sizeof(Elf64_Ehdr))
        return n;
    uint64_t entry = rd(data + 24, 8);
    add_addr(addrs, &n, entry);
    add_addr(addrs, &n, entry + 1);
    uint64_t phoff = rd(data + 32, 8), shoff = rd(data + 40, 8);
    uint64_t phnum = rd(data + 56, 2), shnum = rd(data + 60, 2);
    for (uint64_t i = 0; i < phnum && i < 4; i++) {
        uint64_t o = phoff + i * sizeof(Elf64_Phdr);
        if (phoff > size || o > size - sizeof(Elf64_Phdr))
            break;
        if (rd(data + o, 4) != PT_LOAD)
            continue;
        uint64_t va = rd(data + o + 16, 8), memsz = rd(data + o + 40, 8);
        add_addr(addrs, &n, va);
        add_addr(addrs, &n, va + memsz / 2);
    }
    for (uint64_t i = 0; i < shnum && n < FUZZ_MAX_ADDRS; i++) {
        uint64_t o = shoff + i * sizeof(Elf64_Shdr);
        if (shoff > size || o > size - sizeof(Elf64_Shdr))
            break;
        uint64_t a = rd(data + o + 16, 8);
        if (a && (rd(data + o + 8, 8) & SHF_EXECINSTR)) {
            add_addr(addrs, &n, a);
            add_addr(addrs, &n, a + rd(data + o + 32, 8) / 3);
        }
    }
    return n;
}

/* What a lookup returned, copied, to compare with a repeat. */
static void snapshot(char *buf, size_t cap, const symbol_lookup *l)
{
    size_t o = (size_t)snprintf(buf, cap, "%zu %u", l->n_frames, l->found);
    for (size_t i = 0; i < l->n_frames && o < cap; i++) {
        const symbol_frame *f = &l->frames[i];
        o += (size_t)snprintf(buf + o, cap - o, "|%s|%s|%u|%u", f->function,
                              f->file ? f->file : "(null)", f->line, f->start_line);
    }
}

static void check_lookup(const symbol_lookup *l, uint64_t vaddr, unsigned flags)
{
    FUZZ_ASSERT(l->n_frames <= SYMBOL_MAX_FRAMES, "%zu frames at %#llx", l->n_frames,
                (unsigned long long)vaddr);
    for (size_t i = 0; i < l->n_frames; i++) {
        const symbol_frame *f = &l->frames[i];
        FUZZ_ASSERT(f->function != NULL, "frames[%zu].function is NULL", i);
        (void)strlen(f->function);
        if (f->file)
            (void)strlen(f->file);
    }
    if (!l->n_frames) {
        FUZZ_ASSERT(l->found == 0, "no frames, found %#x", l->found);
        return;
    }
    FUZZ_ASSERT(l->found & SYMBOL_FOUND_FUNCTION, "frames without FOUND_FUNCTION");
    FUZZ_ASSERT(!(l->found & SYMBOL_FOUND_FILE) || l->frames[0].file,
                "FOUND_FILE without a file");
    FUZZ_ASSERT(!(l->found & SYMBOL_FOUND_LINE) || l->frames[0].line,
                "FOUND_LINE without a line");
    FUZZ_ASSERT((flags & SYMBOLIZE_DWARF) || l->n_frames == 1,
                "%zu frames without DWARF", l->n_frames);
    FUZZ_ASSERT((flags & SYMBOLIZE_DWARF) || !(l->found & SYMBOL_FOUND_INLINE),
                "FOUND_INLINE without DWARF");
}

/* The in-memory reader: same bytes, symbols on, a small cap. */
static void check_image_read(const uint8_t *data, size_t size, size_t max_bytes,
                             const uint64_t *addrs, size_t n_addrs)
{
    elf_image_options eo = {true, max_bytes};
    elf_image *e = NULL;
    hearth_error_clear();
    int rc = elf_image_read(&e, data, size, &eo);
    if (rc) {
        FUZZ_ASSERT(rc < 0 && !e, "elf_image_read rc %d", rc);
        check_failure(rc, "elf_image_read");
        return;
    }
    FUZZ_ASSERT(e != NULL, "elf_image_read: success without an image");
    const char *id = elf_image_build_id(e);
    FUZZ_ASSERT(strlen(id) <= 2 * ELF_MAX_BUILD_ID, "build id of %zu chars", strlen(id));
    FUZZ_ASSERT(elf_image_n_symbols(e) * 8 <= max_bytes,
                "%zu symbols under a %zu-byte cap", elf_image_n_symbols(e), max_bytes);
    (void)elf_image_bytes(e);
    (void)elf_image_debug_bytes(e);
    for (size_t i = 0; i < n_addrs; i++) {
        elf_symbol sym;
        if (elf_image_find(e, addrs[i], &sym)) {
            FUZZ_ASSERT(sym.name, "symbol without a name");
            (void)strlen(sym.name);
            if (sym.file)
                (void)strlen(sym.file);
        }
        uint64_t va;
        if (elf_image_vaddr(e, &va, addrs[i], addrs[i] & ~(uint64_t)0xfff,
                            addrs[i] + 0x10000, 0) == 0)
            (void)va;
    }
    elf_image_destroy(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t addrs[FUZZ_MAX_ADDRS];
    size_t n_addrs = pick_addrs(addrs, data, size);

    /* Limits from an ignored padding byte of e_ident: 4 KiB .. 512 KiB of
     * tables, 8 KiB .. 1 MiB of DWARF input. */
    unsigned knob = size > 15 ? data[15] : 0;
    symbolizer_options so = SYMBOLIZER_OPTIONS_INIT;
    so.max_bytes = (size_t)4096 << (knob & 7);
    so.max_dwarf_input_bytes = (uint64_t)8192 << ((knob >> 3) & 7);
    so.max_binaries = 4;
    so.debug_dir = NULL; /* never read system debug files: not reproducible */
    so.debug_file_dwarf = false;

    check_image_read(data, size, so.max_bytes, addrs, n_addrs);

    int fd = memfd_create("fuzz_symbols", MFD_CLOEXEC);
    FUZZ_ASSERT(fd >= 0, "memfd_create failed");
    for (size_t done = 0; done < size;) {
        ssize_t w = write(fd, data + done, size - done);
        FUZZ_ASSERT(w > 0, "write to memfd failed");
        done += (size_t)w;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);

    symbolizer *s = NULL;
    int rc = symbolizer_create(&s, &so);
    FUZZ_ASSERT(rc == 0 && s, "symbolizer_create: %d", rc);

    symbol_binary *b = NULL;
    hearth_error_clear();
    rc = symbolizer_open(s, path, &b);
    if (rc) {
        FUZZ_ASSERT(rc < 0 && !b, "symbolizer_open rc %d", rc);
        check_failure(rc, "symbolizer_open");
        char first[512];
        snprintf(first, sizeof first, "%s", hearth_error_last());
        int rc2 = symbolizer_open(s, path, &b);
        FUZZ_ASSERT(rc2 == rc && !b, "reopen: rc %d, first %d", rc2, rc);
        FUZZ_ASSERT(strcmp(first, hearth_error_last()) == 0, "reopen: \"%s\" became \"%s\"",
                    first, hearth_error_last());
        goto out;
    }
    FUZZ_ASSERT(b != NULL, "symbolizer_open: success without a binary");
    symbol_binary *b2 = NULL;
    FUZZ_ASSERT(symbolizer_open(s, path, &b2) == 0 && b2 == b, "reopen gave another binary");
    FUZZ_ASSERT(strcmp(symbol_binary_path(b), path) == 0, "path");
    const char *id = symbol_binary_build_id(b);
    size_t id_len = strlen(id);
    FUZZ_ASSERT(id_len <= 2 * ELF_MAX_BUILD_ID && id_len % 2 == 0, "build id \"%s\"", id);
    FUZZ_ASSERT(strspn(id, "0123456789abcdef") == id_len, "build id \"%s\"", id);

    for (size_t i = 0; i < n_addrs; i++) {
        uint64_t va;
        hearth_error_clear();
        rc = symbol_binary_vaddr(b, &va, addrs[i] + 0x10, addrs[i], addrs[i] + 0x2000, 0);
        if (rc)
            FUZZ_ASSERT(rc == HEARTH_EFORMAT && hearth_error_last()[0] &&
                        !strchr(hearth_error_last(), '\n'),
                        "symbol_binary_vaddr rc %d: %s", rc, hearth_error_last());
        if (rc == 0 && n_addrs < FUZZ_MAX_ADDRS)
            addrs[n_addrs++] = va;
    }

    static char snap1[8192], snap2[8192];
    for (unsigned flags = 0; flags <= SYMBOLIZE_DWARF; flags++) {
        for (size_t i = 0; i < n_addrs; i++) {
            symbol_lookup l;
            hearth_error_clear();
            rc = symbolizer_lookup(&l, s, b, addrs[i], flags);
            if (rc) {
                FUZZ_ASSERT(rc == HEARTH_ENOMEM, "symbolizer_lookup rc %d: %s", rc,
                            hearth_error_last());
                goto out;
            }
            check_lookup(&l, addrs[i], flags);
            FUZZ_ASSERT(symbolizer_bytes(s) <= so.max_bytes, "%zu bytes of tables, cap %zu",
                        symbolizer_bytes(s), so.max_bytes);
            snapshot(snap1, sizeof snap1, &l);
            rc = symbolizer_lookup(&l, s, b, addrs[i], flags);
            FUZZ_ASSERT(rc == 0, "repeat lookup rc %d", rc);
            snapshot(snap2, sizeof snap2, &l);
            FUZZ_ASSERT(strcmp(snap1, snap2) == 0, "lookup at %#llx: \"%s\" then \"%s\"",
                        (unsigned long long)addrs[i], snap1, snap2);
        }
    }
out:
    symbolizer_destroy(s);
    close(fd);
    return 0;
}
