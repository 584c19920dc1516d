/*
 * The symbolizer against binutils as the reference: tests/workloads/
 * symtest.c is compiled here in several ways (DWARF 5 and 4, -O0, -O3
 * non-PIE, no -g, a shared library, stripped, -rdynamic), and for every
 * address inside every function nm lists, our function / file / line /
 * inline chain must equal `addr2line -f -i`'s; build IDs must equal
 * `readelf -n`'s; Debian's libc is checked through its separate debug file.
 * Then profile_symbolize on hand-built profiles (mapping math, build-ID
 * matching, flags, caching, memory caps, fds), and truncated or corrupted
 * binaries, which must give errors, never crashes.
 * Needs cc, binutils and libc6-dbg (scripts/install-deps).
 */
#include <dirent.h>
#include <elf.h>
#include <unistd.h>

#include "../../formats/dwarf.h"
#include "../../formats/error.h"
#include "../../formats/pprof.h"
#include "../../formats/symbols.h"
#include "../test.h"

#define SYMTEST_SRC "tests/workloads/symtest.c"

/* --- building the workloads, once per run --- */

static char workdir[64];

static void remove_workdir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", workdir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", workdir);
}

static const char *work(void)
{
    if (!workdir[0]) {
        snprintf(workdir, sizeof workdir, "/tmp/hearth-symtest.XXXXXX");
        if (!mkdtemp(workdir)) {
            workdir[0] = '\0';
            return NULL;
        }
        atexit(remove_workdir);
    }
    return workdir;
}

/* The builds: %1$s is the output, %2$s the source. */
#define CC "cc -w "
static const struct build_recipe {
    const char *name, *cmd;
} recipes[] = {
    {"symtest", CC "-O2 -g -o %1$s %2$s"},
    {"symtest-dwarf4", CC "-O2 -g -gdwarf-4 -o %1$s %2$s"},
    {"symtest-O0", CC "-O0 -g -o %1$s %2$s"},
    {"symtest-O3-nopie", CC "-O3 -g -no-pie -o %1$s %2$s"},
    {"libsymtest.so", CC "-O2 -g -fPIC -shared -o %1$s %2$s"},
    {"symtest-nog", CC "-O2 -o %1$s %2$s"},
    {"symtest-stripped", CC "-O2 -g -o %1$s %2$s && strip %1$s"},
    {"symtest-rdynamic-stripped", CC "-O2 -g -rdynamic -o %1$s %2$s && strip %1$s"},
    {"libsymtest-stripped.so", CC "-O2 -g -fPIC -shared -o %1$s %2$s && strip %1$s"},
    /* Same name as symtest, other code, so another build ID. */
    {"other/symtest", "mkdir -p \"$(dirname %1$s)\" && " CC "-O1 -g -o %1$s %2$s"},
};

#define N_RECIPES (sizeof recipes / sizeof *recipes)
static char built_path[N_RECIPES][128];
static int built_state[N_RECIPES]; /* 0 not yet, 1 ok, -1 failed */

/* WORK/name, built on first use. NULL (and a test failure) if it does not
 * build. */
static const char *variant(const char *name)
{
    size_t i = 0;
    while (i < N_RECIPES && strcmp(recipes[i].name, name))
        i++;
    if (i == N_RECIPES || !work()) {
        test_fail(__FILE__, __LINE__, "no build %s", name);
        return NULL;
    }
    if (!built_state[i]) {
        snprintf(built_path[i], sizeof built_path[i], "%s/%s", workdir, name);
        char cmd[1024];
        snprintf(cmd, sizeof cmd, recipes[i].cmd, built_path[i], SYMTEST_SRC);
        built_state[i] = system(cmd) == 0 ? 1 : -1;
        if (built_state[i] < 0)
            test_fail(__FILE__, __LINE__, "cannot build %s: %s", name, cmd);
    }
    return built_state[i] > 0 ? built_path[i] : NULL;
}

static const char *full_build(void)
{
    return variant("symtest");
}

/* --- the references: nm, addr2line, readelf --- */

typedef struct fn_range {
    uint64_t addr, size;
} fn_range;

/* Sized function symbols of bin as nm lists them (dynamic: nm -D). */
static size_t nm_functions(const char *bin, bool dynamic, fn_range *out, size_t max,
                           char (*names)[128])
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "LC_ALL=C nm -S --defined-only %s '%s' 2>/dev/null",
             dynamic ? "-D" : "", bin);
    FILE *f = popen(cmd, "r");
    if (!f)
        return 0;
    char line[1024];
    size_t n = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long long a, s;
        char type, name[512];
        if (sscanf(line, "%llx %llx %c %511s", &a, &s, &type, name) != 4 || !s ||
            !strchr("tTwWiI", type) || n == max)
            continue;
        out[n].addr = a;
        out[n].size = s;
        if (names)
            snprintf(names[n], 128, "%.127s", name);
        n++;
    }
    pclose(f);
    return n;
}

typedef struct ref_frame {
    char function[256];
    char file[256]; /* "" = unknown */
    unsigned line;
} ref_frame;

typedef struct ref_addr {
    uint64_t addr;
    ref_frame frames[SYMBOL_MAX_FRAMES];
    size_t n;
} ref_addr;

/* Runs addr2line -a -f -i over addrs; out[i] describes addrs[i]. */
static bool addr2line(const char *bin, const uint64_t *addrs, size_t n, ref_addr *out)
{
    char in[256], cmd[1024];
    snprintf(in, sizeof in, "%s/addrs.txt", work());
    FILE *f = fopen(in, "w");
    if (!f)
        return false;
    for (size_t i = 0; i < n; i++)
        fprintf(f, "0x%llx\n", (unsigned long long)addrs[i]);
    fclose(f);
    snprintf(cmd, sizeof cmd, "LC_ALL=C addr2line -a -f -i -e '%s' < '%s'", bin, in);
    FILE *p = popen(cmd, "r");
    if (!p)
        return false;
    char line[1024];
    ssize_t cur = -1;
    int half = 0;
    while (fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = '\0';
        unsigned long long a;
        char extra;
        if (sscanf(line, "0x%llx%c", &a, &extra) == 1 && strlen(line) == 18) {
            cur++;
            if ((size_t)cur >= n)
                break;
            out[cur].addr = a;
            out[cur].n = 0;
            half = 0;
            continue;
        }
        if (cur < 0 || out[cur].n == SYMBOL_MAX_FRAMES)
            continue;
        ref_frame *fr = &out[cur].frames[out[cur].n];
        if (!half) {
            snprintf(fr->function, sizeof fr->function, "%s", line);
            half = 1;
            continue;
        }
        char *d = strstr(line, " (discriminator");
        if (d)
            *d = '\0';
        char *colon = strrchr(line, ':');
        fr->line = 0;
        fr->file[0] = '\0';
        if (colon) {
            *colon = '\0';
            fr->line = (unsigned)strtoul(colon + 1, NULL, 10);
            if (strcmp(line, "??"))
                snprintf(fr->file, sizeof fr->file, "%s", line);
        }
        out[cur].n++;
        half = 0;
    }
    pclose(p);
    return (size_t)(cur + 1) == n;
}

static void readelf_build_id(const char *bin, char *out, size_t len)
{
    char cmd[1100], line[512];
    snprintf(cmd, sizeof cmd, "LC_ALL=C readelf -n '%s'", bin);
    out[0] = '\0';
    FILE *p = popen(cmd, "r");
    if (!p)
        return;
    while (fgets(line, sizeof line, p)) {
        char *at = strstr(line, "Build ID: ");
        if (at) {
            snprintf(out, len, "%.200s", at + 10);
            out[strcspn(out, "\n")] = '\0';
        }
    }
    pclose(p);
}

/* Compares our answer for one address with addr2line's. A function that
 * addr2line cannot name ("??" alone) must be unknown to us too. */
static bool same_as_reference(const symbol_lookup *r, const ref_addr *ref, char *why,
                              size_t len)
{
    if (ref->n == 1 && !strcmp(ref->frames[0].function, "??")) {
        if (r->n_frames == 0)
            return true;
        snprintf(why, len, "addr2line knows nothing, we say %s", r->frames[0].function);
        return false;
    }
    if (r->n_frames != ref->n) {
        snprintf(why, len, "%zu frames, addr2line %zu (innermost %s vs %s)", r->n_frames,
                 ref->n, r->n_frames ? r->frames[0].function : "-",
                 ref->frames[0].function);
        return false;
    }
    for (size_t i = 0; i < ref->n; i++) {
        const symbol_frame *f = &r->frames[i];
        const ref_frame *e = &ref->frames[i];
        const char *file = f->file ? f->file : "";
        if (strcmp(f->function, e->function) || strcmp(file, e->file) ||
            f->line != e->line) {
            snprintf(why, len, "frame %zu: %s %s:%u, addr2line %s %s:%u", i, f->function,
                     file, f->line, e->function, e->file, e->line);
            return false;
        }
    }
    return true;
}

#define MAX_FUNCS 4096

/* Every address of every sized function of `functions_of` (nm), looked up
 * in bin through a fresh symbolizer, equals addr2line on bin. Returns the
 * number of addresses compared. */
static size_t check_against_addr2line(const char *bin, const char *functions_of,
                                      bool dynamic, size_t max_addrs, unsigned flags)
{
    fn_range *fns = malloc(MAX_FUNCS * sizeof *fns);
    size_t n_fns = fns ? nm_functions(functions_of, dynamic, fns, MAX_FUNCS, NULL) : 0;
    size_t total = 0;
    for (size_t i = 0; i < n_fns; i++)
        total += fns[i].size;
    if (!n_fns || !total) {
        test_fail(__FILE__, __LINE__, "%s: nm found no functions", functions_of);
        free(fns);
        return 0;
    }
    /* Every address, or an evenly spread sample of max_addrs. */
    size_t n = total < max_addrs ? total : max_addrs;
    uint64_t *addrs = malloc(n * sizeof *addrs);
    ref_addr *ref = malloc(n * sizeof *ref);
    size_t k = 0;
    for (size_t i = 0, seen = 0; i < n_fns && addrs; i++)
        for (uint64_t a = 0; a < fns[i].size; a++, seen++)
            if (k < n && (unsigned __int128)seen * n / total == k)
                addrs[k++] = fns[i].addr + a;
    n = k;
    size_t compared = 0;
    if (!addrs || !ref || !addr2line(bin, addrs, n, ref)) {
        test_fail(__FILE__, __LINE__, "%s: addr2line failed", bin);
        goto out;
    }
    symbolizer *s = NULL;
    symbol_binary *b = NULL;
    if (symbolizer_create(&s, NULL) || symbolizer_open(s, bin, &b)) {
        test_fail(__FILE__, __LINE__, "%s: %s", bin, hearth_error_last());
        symbolizer_destroy(s);
        goto out;
    }
    int shown = 0;
    for (size_t i = 0; i < n; i++) {
        symbol_lookup r;
        char why[600];
        if (symbolizer_lookup(&r, s, b, addrs[i], flags)) {
            test_fail(__FILE__, __LINE__, "lookup failed: %s", hearth_error_last());
            break;
        }
        compared++;
        if (!same_as_reference(&r, &ref[i], why, sizeof why) && shown++ < 5)
            test_fail(__FILE__, __LINE__, "%s 0x%llx: %s", bin,
                      (unsigned long long)addrs[i], why);
    }
    symbolizer_destroy(s);
out:
    free(fns);
    free(addrs);
    free(ref);
    return compared;
}

/* --- differential tests --- */

TEST(test_symbols__optimized_dwarf5_binary_matches_addr2line_at_every_address)
{
    const char *bin = full_build();
    REQUIRE(bin);
    CHECK(check_against_addr2line(bin, bin, false, 100000, SYMBOLIZE_DWARF) > 3000);
}

TEST(test_symbols__dwarf4_o0_o3_nonpie_and_shared_builds_match_addr2line)
{
    static const char *const v[] = {"symtest-dwarf4", "symtest-O0", "symtest-O3-nopie",
                                    "libsymtest.so", "symtest-nog"};
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        const char *bin = variant(v[i]);
        if (bin)
            CHECK(check_against_addr2line(bin, bin, false, 100000, SYMBOLIZE_DWARF) > 2000);
    }
}

TEST(test_symbols__names_without_dwarf_are_the_symbol_table_s)
{
    /* With DWARF off, each address gets one frame: the ELF function symbol
     * nm gives for it, with no file and no line. */
    const char *bin = full_build();
    REQUIRE(bin);
    static fn_range fns[MAX_FUNCS];
    static char names[MAX_FUNCS][128];
    size_t n = nm_functions(bin, false, fns, MAX_FUNCS, names);
    REQUIRE(n > 10);
    symbolizer *s = NULL;
    symbol_binary *b = NULL;
    REQUIRE(symbolizer_create(&s, NULL) == 0);
    REQUIRE(symbolizer_open(s, bin, &b) == 0);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        for (uint64_t a = fns[i].addr; a < fns[i].addr + fns[i].size; a += 3) {
            symbol_lookup r;
            REQUIRE(symbolizer_lookup(&r, s, b, a, 0) == 0);
            /* Files come from STT_FILE symbols: symtest.c's own locals. */
            const char *file = r.n_frames ? r.frames[0].file : NULL;
            if (r.n_frames != 1 || strcmp(r.frames[0].function, names[i]) ||
                r.frames[0].line || !(r.found & SYMBOL_FOUND_FUNCTION) ||
                (r.found & (SYMBOL_FOUND_LINE | SYMBOL_FOUND_INLINE)) ||
                (file && strcmp(file, "symtest.c") && strcmp(file, "crtstuff.c"))) {
                if (bad++ < 3)
                    test_fail(__FILE__, __LINE__, "0x%llx: %s, nm says %s",
                              (unsigned long long)a,
                              r.n_frames ? r.frames[0].function : "(nothing)", names[i]);
            }
        }
    }
    CHECK_EQ_INT(bad, 0);
    symbolizer_destroy(s);
}

TEST(test_symbols__aliases_at_one_address_name_the_largest_then_the_first)
{
    /* Function symbols at one address, in this table order: zero (no
     * size), small (8 bytes), big and big2 (41 bytes each). addr2line
     * (BFD) names each of the 41 bytes big: the largest, then the first in
     * the table. The symbol sort must leave them in that order. */
    static const char src[] =
        "\t.text\n"
        "\t.type first, @function\nfirst:\n\tret\n\t.size first, 1\n"
        "\t.type zero, @function\n\t.type small, @function\n"
        "\t.type big, @function\n\t.type big2, @function\n"
        "zero:\nsmall:\nbig:\nbig2:\n\t.rept 40\n\tnop\n\t.endr\n\tret\n"
        "\t.size small, 8\n\t.size big, 41\n\t.size big2, 41\n"
        "\t.type after, @function\nafter:\n\tret\n\t.size after, 1\n"
        "\t.section .note.GNU-stack,\"\",@progbits\n";
    REQUIRE(work());
    char asm_path[256], lib[256], cmd[700];
    snprintf(asm_path, sizeof asm_path, "%s/alias.s", work());
    snprintf(lib, sizeof lib, "%s/libalias.so", work());
    FILE *f = fopen(asm_path, "w");
    REQUIRE(f);
    fputs(src, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "cc -shared -nostdlib -o '%s' '%s'", lib, asm_path);
    REQUIRE(system(cmd) == 0);
    fn_range fns[16];
    size_t n_fns = nm_functions(lib, false, fns, 16, NULL);
    REQUIRE(n_fns == 5);
    uint64_t addrs[64];
    size_t n = 0;
    for (size_t i = 0; i < n_fns; i++)
        for (uint64_t a = fns[i].addr; a < fns[i].addr + fns[i].size && n < 64; a++) {
            bool seen = false;
            for (size_t k = 0; k < n; k++)
                seen |= addrs[k] == a;
            if (!seen)
                addrs[n++] = a;
        }
    REQUIRE(n == 43);
    static ref_addr ref[64];
    REQUIRE(addr2line(lib, addrs, n, ref));
    symbolizer *s = NULL;
    symbol_binary *b = NULL;
    REQUIRE(symbolizer_create(&s, NULL) == 0);
    REQUIRE(symbolizer_open(s, lib, &b) == 0);
    size_t same = 0, big = 0;
    for (size_t i = 0; i < n; i++) {
        symbol_lookup r;
        REQUIRE(symbolizer_lookup(&r, s, b, addrs[i], 0) == 0);
        const char *ours = r.n_frames ? r.frames[0].function : "(nothing)";
        if (ref[i].n && !strcmp(ours, ref[i].frames[0].function))
            same++;
        else
            test_fail(__FILE__, __LINE__, "0x%llx: %s, addr2line says %s",
                      (unsigned long long)addrs[i], ours,
                      ref[i].n ? ref[i].frames[0].function : "nothing");
        big += !strcmp(ours, "big");
    }
    CHECK_EQ_INT(same, n);
    CHECK_EQ_INT(big, 41);
    symbolizer_destroy(s);
}

/* The path of a library mapped into this process, from /proc/self/maps. */
static bool mapped_library(const char *needle, char *out, size_t len)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[1024];
    bool found = false;
    while (f && fgets(line, sizeof line, f)) {
        char *path = strchr(line, '/');
        if (path && strstr(path, needle)) {
            path[strcspn(path, "\n")] = '\0';
            snprintf(out, len, "%s", path);
            found = true;
            break;
        }
    }
    if (f)
        fclose(f);
    return found;
}

TEST(test_symbols__libc_through_its_debug_file_matches_addr2line)
{
    char libc[512];
    REQUIRE(mapped_library("/libc.so.6", libc, sizeof libc));
    elf_image *e = NULL;
    elf_image_options o = {false, 0};
    REQUIRE(elf_image_load(&e, libc, &o) == 0);
    const char *id = elf_image_build_id(e);
    REQUIRE(strlen(id) == 40);
    char debug[512];
    snprintf(debug, sizeof debug, "/usr/lib/debug/.build-id/%.2s/%s.debug", id, id + 2);
    elf_image_destroy(e);
    /* Installed by libc6-dbg; addr2line finds it the same way we do. */
    if (access(debug, R_OK)) {
        test_fail(__FILE__, __LINE__, "%s missing: install libc6-dbg", debug);
        return;
    }
    CHECK(check_against_addr2line(libc, debug, false, 4000, SYMBOLIZE_DWARF) == 4000);
}

TEST(test_symbols__build_ids_equal_readelf_s)
{
    const char *bins[] = {full_build(), variant("libsymtest.so"),
                          variant("symtest-O3-nopie")};
    char libc[512];
    for (size_t i = 0; i < 4; i++) {
        const char *bin = i < 3 ? bins[i] : mapped_library("/libc.so.6", libc, sizeof libc) ? libc : NULL;
        if (!bin)
            continue;
        char want[256];
        readelf_build_id(bin, want, sizeof want);
        elf_image *e = NULL;
        REQUIRE(elf_image_load(&e, bin, NULL) == 0);
        CHECK(strlen(want) >= 16);
        CHECK_EQ_STR(elf_image_build_id(e), want);
        elf_image_destroy(e);
    }
}

/* --- stripped binaries --- */

TEST(test_symbols__stripped_executable_stays_unsymbolized)
{
    const char *full = full_build();
    const char *bin = variant("symtest-stripped");
    REQUIRE(full && bin);
    static fn_range fns[MAX_FUNCS];
    size_t n = nm_functions(full, false, fns, MAX_FUNCS, NULL);
    REQUIRE(n > 10);
    symbolizer_options so = SYMBOLIZER_OPTIONS_INIT;
    so.debug_dir = NULL;
    symbolizer *s = NULL;
    symbol_binary *b = NULL;
    REQUIRE(symbolizer_create(&s, &so) == 0);
    REQUIRE(symbolizer_open(s, bin, &b) == 0);
    /* strip keeps the build ID note. */
    elf_image *e = NULL;
    REQUIRE(elf_image_load(&e, full, NULL) == 0);
    CHECK_EQ_STR(symbol_binary_build_id(b), elf_image_build_id(e));
    CHECK(elf_image_has_symtab(e));
    elf_image_destroy(e);
    size_t known = 0;
    for (size_t i = 0; i < n; i++) {
        symbol_lookup r;
        REQUIRE(symbolizer_lookup(&r, s, b, fns[i].addr + fns[i].size / 2,
                                  SYMBOLIZE_DWARF) == 0);
        known += r.n_frames != 0;
    }
    /* An executable's .dynsym holds no function of its own. */
    CHECK_EQ_INT(known, 0);
    symbolizer_destroy(s);
}

TEST(test_symbols__stripped_rdynamic_and_shared_builds_fall_back_to_dynsym)
{
    const char *bins[] = {
        variant("symtest-rdynamic-stripped"),
        variant("libsymtest-stripped.so"),
    };
    for (size_t v = 0; v < 2; v++) {
        REQUIRE(bins[v]);
        /* addr2line on a stripped file names functions from .dynsym too:
         * the same answers, with no file or line. */
        CHECK(check_against_addr2line(bins[v], bins[v], true, 100000,
                                      SYMBOLIZE_DWARF) > 200);
        elf_image *e = NULL;
        REQUIRE(elf_image_load(&e, bins[v], NULL) == 0);
        CHECK(!elf_image_has_symtab(e));
        CHECK(!elf_image_has_dwarf(e));
        CHECK(elf_image_n_symbols(e) >= 5);
        elf_symbol sym;
        static fn_range fns[MAX_FUNCS];
        static char names[MAX_FUNCS][128];
        size_t n = nm_functions(bins[v], true, fns, MAX_FUNCS, names);
        for (size_t i = 0; i < n; i++) {
            CHECK(elf_image_find(e, fns[i].addr + fns[i].size - 1, &sym));
            CHECK_EQ_STR(sym.name, names[i]);
        }
        elf_image_destroy(e);
    }
}

/* --- addresses: runtime PC -> ELF vaddr --- */

typedef struct text_seg {
    uint64_t offset, vaddr, filesz;
} text_seg;

static bool text_segment(const char *bin, text_seg *out)
{
    size_t len;
    unsigned char *d = test_read_file(bin, &len);
    Elf64_Ehdr eh;
    bool ok = false;
    memcpy(&eh, d, sizeof eh);
    for (size_t i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        memcpy(&ph, d + eh.e_phoff + i * sizeof ph, sizeof ph);
        if (ph.p_type == PT_LOAD && (ph.p_flags & PF_X)) {
            out->offset = ph.p_offset;
            out->vaddr = ph.p_vaddr;
            out->filesz = ph.p_filesz;
            ok = true;
            break;
        }
    }
    free(d);
    return ok;
}

TEST(test_symbols__runtime_pcs_map_to_vaddrs_through_the_pt_load)
{
    const char *bins[] = {full_build(), variant("libsymtest.so"),
                          variant("symtest-O3-nopie")};
    for (size_t v = 0; v < 3; v++) {
        REQUIRE(bins[v]);
        text_seg t;
        REQUIRE(text_segment(bins[v], &t));
        elf_image *e = NULL;
        REQUIRE(elf_image_load(&e, bins[v], NULL) == 0);
        /* The kernel maps whole pages: the mapping starts at the page of
         * the segment's first byte, at its page-aligned file offset. */
        uint64_t bias = elf_image_type(e) == ET_DYN ? 0x7f1234560000ull : 0;
        uint64_t start = bias + (t.vaddr & ~0xfffull);
        uint64_t limit = bias + ((t.vaddr + t.filesz + 0xfff) & ~0xfffull);
        uint64_t off = t.offset & ~0xfffull;
        uint64_t vaddr = 0;
        for (uint64_t a = t.vaddr; a < t.vaddr + t.filesz; a += 97) {
            CHECK(elf_image_vaddr(e, &vaddr, bias + a, start, limit, off) == 0);
            CHECK_EQ_INT(vaddr, a);
        }
        /* Outside the mapping, or at a file offset no PT_LOAD holds. */
        CHECK_EQ_INT(elf_image_vaddr(e, &vaddr, limit, start, limit, off), HEARTH_EFORMAT);
        CHECK_EQ_INT(elf_image_vaddr(e, &vaddr, start - 1, start, limit, off), HEARTH_EFORMAT);
        CHECK_EQ_INT(elf_image_vaddr(e, &vaddr, start, start, 0, 1ull << 40),
                     HEARTH_EFORMAT);
        elf_image_destroy(e);
    }
}

/* --- profile_symbolize --- */

#define BASE 0x7f5500000000ull

/* A profile with one mapping of bin (as /proc/PID/maps shows its text at
 * BASE) and one location per vaddr, each in its own sample. */
static profile *profile_of(const char *bin, const char *filename, const char *build_id,
                           const uint64_t *vaddrs, size_t n, profile_mapping *m_out)
{
    text_seg t;
    profile *p = NULL;
    if (!text_segment(bin, &t) || profile_create(&p))
        return NULL;
    profile_add_sample_type(p, "samples", "count");
    profile_mapping m = {0};
    m.memory_start = BASE + (t.vaddr & ~0xfffull);
    m.memory_limit = BASE + ((t.vaddr + t.filesz + 0xfff) & ~0xfffull);
    m.file_offset = t.offset & ~0xfffull;
    m.filename = profile_intern(p, filename);
    m.build_id = profile_intern(p, build_id);
    int64_t mid = profile_add_mapping(p, &m);
    for (size_t i = 0; i < n; i++) {
        int64_t lid = profile_add_location(p, (uint64_t)mid, BASE + vaddrs[i], NULL, 0);
        uint64_t loc = (uint64_t)lid;
        int64_t one = 1;
        profile_add_sample(p, &loc, 1, &one, 1, NULL, 0);
    }
    if (m_out)
        *m_out = m;
    return p;
}

/* Addresses spread over the workload's own functions. */
static size_t workload_vaddrs(const char *bin, uint64_t *out, size_t max)
{
    static fn_range fns[MAX_FUNCS];
    static char names[MAX_FUNCS][128];
    size_t n = nm_functions(bin, false, fns, MAX_FUNCS, names), k = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(names[i], "outer_noinline") && strcmp(names[i], "symtest_record") &&
            strcmp(names[i], "noinline_a") && strcmp(names[i], "noinline_b") &&
            strcmp(names[i], "main") && strcmp(names[i], "check_value"))
            continue;
        for (uint64_t a = 0; a < fns[i].size && k < max; a += 3)
            out[k++] = fns[i].addr + a;
    }
    return k;
}

static const char *fn_name(const profile *p, uint64_t function_id)
{
    const profile_function *f = profile_function_find(p, function_id);
    return f ? profile_str(p, f->name) : "(no function)";
}

/* Each location of p (vaddrs[i] at location i) has addr2line's frames. */
static void check_locations(const profile *p, const char *bin, const uint64_t *vaddrs,
                            size_t n)
{
    ref_addr *ref = malloc(n * sizeof *ref);
    REQUIRE(ref && addr2line(bin, vaddrs, n, ref));
    int shown = 0;
    for (size_t i = 0; i < n; i++) {
        const profile_location *l = &p->locations[i];
        bool same = l->n_lines == ref[i].n;
        for (size_t k = 0; same && k < ref[i].n; k++) {
            const profile_function *f = profile_function_find(p, l->lines[k].function_id);
            same = f && !strcmp(profile_str(p, f->name), ref[i].frames[k].function) &&
                   !strcmp(profile_str(p, f->system_name), ref[i].frames[k].function) &&
                   !strcmp(profile_str(p, f->filename), ref[i].frames[k].file) &&
                   l->lines[k].line == ref[i].frames[k].line;
        }
        if (!same && shown++ < 5)
            test_fail(__FILE__, __LINE__, "location %zu (0x%llx): %u lines, first %s; "
                      "addr2line %zu, first %s", i, (unsigned long long)vaddrs[i],
                      l->n_lines, l->n_lines ? fn_name(p, l->lines[0].function_id) : "-",
                      ref[i].n, ref[i].frames[0].function);
    }
    free(ref);
}

TEST(test_symbols__profile_symbolize_fills_lines_like_addr2line)
{
    const char *bin = full_build();
    REQUIRE(bin);
    static uint64_t vaddrs[2000];
    size_t n = workload_vaddrs(bin, vaddrs, 2000);
    REQUIRE(n > 100);
    elf_image *e = NULL;
    REQUIRE(elf_image_load(&e, bin, NULL) == 0);
    profile *p = profile_of(bin, bin, elf_image_build_id(e), vaddrs, n, NULL);
    elf_image_destroy(e);
    REQUIRE(p);
    symbolizer *s = NULL;
    REQUIRE(symbolizer_create(&s, NULL) == 0);
    CHECK_EQ_INT(profile_symbolize(p, s, NULL), 0);
    CHECK_EQ_INT(profile_validate(p), 0);
    check_locations(p, bin, vaddrs, n);
    const profile_mapping *m = &p->mappings[0];
    CHECK(m->has_functions && m->has_filenames && m->has_line_numbers &&
          m->has_inline_frames);
    /* The inlined chain of the workload shows up innermost first. */
    bool chain = false;
    for (size_t i = 0; i < p->n_locations; i++) {
        const profile_location *l = &p->locations[i];
        if (l->n_lines == 3 && !strcmp(fn_name(p, l->lines[0].function_id), "leaf_inline") &&
            !strcmp(fn_name(p, l->lines[1].function_id), "mid_inline") &&
            !strcmp(fn_name(p, l->lines[2].function_id), "outer_noinline"))
            chain = true;
    }
    CHECK(chain);
    /* The result encodes and decodes as a valid pprof profile. */
    uint8_t *raw = NULL;
    size_t len = 0;
    profile *q = NULL;
    CHECK(pprof_encode(&raw, &len, p) == 0);
    CHECK(pprof_read(&q, raw, len, NULL) == 0);
    CHECK(q && profile_equal(p, q, NULL, 0));
    free(raw);
    profile_destroy(q);
    profile_destroy(p);
    symbolizer_destroy(s);
}

TEST(test_symbols__each_pc_is_looked_up_once_and_functions_are_shared)
{
    const char *bin = full_build();
    REQUIRE(bin);
    uint64_t v[64];
    size_t n = workload_vaddrs(bin, v, 32);
    REQUIRE(n == 32);
    memcpy(v + 32, v, 32 * sizeof *v); /* each address twice */
    profile *p = profile_of(bin, bin, "", v, 64, NULL);
    REQUIRE(p);
    symbolizer *s = NULL;
    REQUIRE(symbolizer_create(&s, NULL) == 0);
    REQUIRE(profile_symbolize(p, s, NULL) == 0);
    for (size_t i = 0; i < 32; i++) {
        const profile_location *a = &p->locations[i], *b = &p->locations[i + 32];
        CHECK(a->n_lines > 0 && a->n_lines == b->n_lines);
        CHECK(a->lines != b->lines); /* own copies */
        for (uint32_t k = 0; k < a->n_lines && k < b->n_lines; k++)
            CHECK(a->lines[k].function_id == b->lines[k].function_id &&
                  a->lines[k].line == b->lines[k].line);
    }
    /* Functions are interned: no two equal ones. */
    for (size_t i = 0; i < p->n_functions; i++)
        for (size_t j = i + 1; j < p->n_functions; j++)
            CHECK(!(p->functions[i].name == p->functions[j].name &&
                    p->functions[i].filename == p->functions[j].filename &&
                    p->functions[i].start_line == p->functions[j].start_line));
    /* A second call has nothing left to do and changes nothing. */
    size_t nf = p->n_functions;
    REQUIRE(profile_symbolize(p, s, NULL) == 0);
    CHECK_EQ_INT(p->n_functions, nf);
    profile_destroy(p);
    symbolizer_destroy(s);
}

TEST(test_symbols__build_ids_pick_the_binary_and_mismatches_are_refused)
{
    const char *bin = full_build();
    const char *other = variant("other/symtest");
    REQUIRE(bin && other);
    elf_image *e = NULL;
    REQUIRE(elf_image_load(&e, bin, NULL) == 0);
    char id[2 * ELF_MAX_BUILD_ID + 1];
    snprintf(id, sizeof id, "%s", elf_image_build_id(e));
    elf_image_destroy(e);
    uint64_t v[8];
    REQUIRE(workload_vaddrs(bin, v, 8) == 8);
    symbolizer *s = NULL;
    REQUIRE(symbolizer_create(&s, NULL) == 0);
    symbolize_options o = SYMBOLIZE_OPTIONS_INIT;

    /* The mapping's own file, but the profile says another build ID. */
    profile *p = profile_of(bin, bin, "0123456789abcdef0123456789abcdef01234567", v, 8, NULL);
    REQUIRE(p && profile_symbolize(p, s, &o) == 0);
    CHECK_EQ_INT(p->locations[0].n_lines, 0);
    CHECK(!p->mappings[0].has_functions && !p->mappings[0].has_line_numbers);
    profile_destroy(p);

    /* A --binary of the same name and another build ID is refused too. */
    const char *only_other[] = {other};
    o.binaries = only_other;
    o.n_binaries = 1;
    o.mapping_files = false;
    p = profile_of(bin, "/elsewhere/symtest", id, v, 8, NULL);
    REQUIRE(p && profile_symbolize(p, s, &o) == 0);
    CHECK_EQ_INT(p->locations[0].n_lines, 0);
    profile_destroy(p);

    /* Matched by build ID even under another name and with a file that
     * does not exist here. */
    const char *both[] = {other, bin};
    o.binaries = both;
    o.n_binaries = 2;
    p = profile_of(bin, "/no/such/dir/service", id, v, 8, NULL);
    REQUIRE(p && profile_symbolize(p, s, &o) == 0);
    for (size_t i = 0; i < 8; i++)
        CHECK(p->locations[i].n_lines > 0);
    check_locations(p, bin, v, 8);
    profile_destroy(p);

    /* By base name when the profile has no build ID. */
    o.binaries = both + 1;
    o.n_binaries = 1;
    p = profile_of(bin, "/opt/app/symtest", "", v, 8, NULL);
    REQUIRE(p && profile_symbolize(p, s, &o) == 0);
    check_locations(p, bin, v, 8);
    profile_destroy(p);
    symbolizer_destroy(s);
}

TEST(test_symbols__without_dwarf_no_lines_are_claimed)
{
    const char *bin = full_build();
    REQUIRE(bin);
    uint64_t v[16];
    REQUIRE(workload_vaddrs(bin, v, 16) == 16);
    profile *p = profile_of(bin, bin, "", v, 16, NULL);
    REQUIRE(p);
    symbolizer *s = NULL;
    REQUIRE(symbolizer_create(&s, NULL) == 0);
    symbolize_options o = SYMBOLIZE_OPTIONS_INIT;
    o.flags = 0;
    REQUIRE(profile_symbolize(p, s, &o) == 0);
    const profile_mapping *m = &p->mappings[0];
    CHECK(m->has_functions);
    CHECK(!m->has_line_numbers && !m->has_inline_frames);
    for (size_t i = 0; i < 16; i++) {
        CHECK_EQ_INT(p->locations[i].n_lines, 1);
        CHECK_EQ_INT(p->locations[i].lines[0].line, 0);
    }
    profile_destroy(p);
    symbolizer_destroy(s);
}

TEST(test_symbols__unresolvable_locations_stay_as_they_are)
{
    const char *bin = full_build();
    const char *stripped = variant("symtest-stripped");
    REQUIRE(bin && stripped);
    uint64_t v[4];
    REQUIRE(workload_vaddrs(bin, v, 4) == 4);
    profile *p = profile_of(bin, stripped, "", v, 4, NULL);
    REQUIRE(p);
    /* A location outside its mapping, one with no mapping, one on a
     * missing file, and one already symbolized. */
    profile_add_location(p, 1, 0x10, NULL, 0);
    profile_add_location(p, 0, BASE + v[0], NULL, 0);
    profile_mapping gone = p->mappings[0];
    gone.filename = profile_intern(p, "/no/such/file.so");
    int64_t gid = profile_add_mapping(p, &gone);
    profile_add_location(p, (uint64_t)gid, BASE + v[0], NULL, 0);
    profile_line keep = {(uint64_t)profile_function_intern(p, "kept", NULL, "k.c", 1), 7, 0};
    profile_add_location(p, 1, BASE + v[1], &keep, 1);
    symbolizer_options so = SYMBOLIZER_OPTIONS_INIT;
    so.debug_dir = NULL;
    symbolizer *s = NULL;
    REQUIRE(symbolizer_create(&s, &so) == 0);
    REQUIRE(profile_symbolize(p, s, NULL) == 0);
    CHECK_EQ_INT(profile_validate(p), 0);
    for (size_t i = 0; i < 7; i++)
        CHECK_EQ_INT(p->locations[i].n_lines, 0);
    CHECK_EQ_INT(p->locations[7].n_lines, 1);
    CHECK_EQ_STR(fn_name(p, p->locations[7].lines[0].function_id), "kept");
    CHECK(!p->mappings[0].has_functions && !p->mappings[1].has_functions);
    profile_destroy(p);
    symbolizer_destroy(s);
}

TEST(test_symbols__sparse_function_ids_are_renumbered_before_adding)
{
    const char *bin = full_build();
    REQUIRE(bin);
    uint64_t v[4];
    REQUIRE(workload_vaddrs(bin, v, 4) == 4);
    profile *p = profile_of(bin, bin, "", v, 4, NULL);
    REQUIRE(p);
    /* As a decoder would leave it: functions 3 and 1, in that order. */
    profile_function *f = profile_push_function(p);
    f->id = 3;
    f->name = profile_intern(p, "three");
    f = profile_push_function(p);
    f->id = 1;
    f->name = profile_intern(p, "one");
    profile_line lines[2] = {{3, 30, 0}, {1, 10, 0}};
    profile_add_location(p, 0, 0x1234, lines, 2);
    REQUIRE(profile_validate(p) == 0);
    symbolizer *s = NULL;
    REQUIRE(symbolizer_create(&s, NULL) == 0);
    REQUIRE(profile_symbolize(p, s, NULL) == 0);
    CHECK_EQ_INT(profile_validate(p), 0);
    const profile_location *l = &p->locations[4];
    CHECK_EQ_STR(fn_name(p, l->lines[0].function_id), "three");
    CHECK_EQ_STR(fn_name(p, l->lines[1].function_id), "one");
    CHECK(p->locations[0].n_lines > 0);
    profile_destroy(p);
    symbolizer_destroy(s);
}

/* A function of this test binary, to symbolize as the sampler would. */
__attribute__((noinline)) static int symbols_probe(int x)
{
    return x * 7 + 1;
}

TEST(test_symbols__own_pcs_resolve_through_proc_self_maps)
{
    uint64_t pc = (uint64_t)(uintptr_t)&symbols_probe + 2;
    FILE *f = fopen("/proc/self/maps", "r");
    REQUIRE(f);
    char line[1024];
    profile_mapping m = {0};
    char path[512] = "";
    while (fgets(line, sizeof line, f)) {
        unsigned long long lo, hi, off;
        char perms[8], file[512] = "";
        if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %511s", &lo, &hi, perms, &off, file) >= 4 &&
            pc >= lo && pc < hi) {
            m.memory_start = lo;
            m.memory_limit = hi;
            m.file_offset = off;
            snprintf(path, sizeof path, "%s", file);
        }
    }
    fclose(f);
    REQUIRE(path[0] == '/');
    profile *p = NULL;
    REQUIRE(profile_create(&p) == 0);
    m.filename = profile_intern(p, path);
    int64_t mid = profile_add_mapping(p, &m);
    profile_add_location(p, (uint64_t)mid, pc, NULL, 0);
    symbolizer *s = NULL;
    REQUIRE(symbolizer_create(&s, NULL) == 0);
    REQUIRE(profile_symbolize(p, s, NULL) == 0);
    REQUIRE(p->locations[0].n_lines >= 1);
    const profile_location *l = &p->locations[0];
    CHECK_EQ_STR(fn_name(p, l->lines[l->n_lines - 1].function_id), "symbols_probe");
    CHECK(symbols_probe(1) == 8);
    profile_destroy(p);
    symbolizer_destroy(s);
}

/* --- limits and resources --- */

TEST(test_symbols__a_tight_memory_cap_falls_back_to_elf_symbols)
{
    const char *bin = full_build();
    REQUIRE(bin);
    uint64_t v[16];
    REQUIRE(workload_vaddrs(bin, v, 16) == 16);
    /* The DWARF tables need ~18 KB (and more while built); the ELF
     * symbols ~2 KB. */
    size_t caps[] = {0, 20000};
    for (int c = 0; c < 2; c++) {
        symbolizer_options so = SYMBOLIZER_OPTIONS_INIT;
        so.max_bytes = caps[c];
        symbolizer *s = NULL;
        REQUIRE(symbolizer_create(&s, &so) == 0);
        profile *p = profile_of(bin, bin, "", v, 16, NULL);
        REQUIRE(p && profile_symbolize(p, s, NULL) == 0);
        CHECK(symbolizer_bytes(s) <= caps[c]);
        const profile_mapping *m = &p->mappings[0];
        CHECK(m->has_functions == (c == 1));
        CHECK(!m->has_line_numbers && !m->has_inline_frames);
        CHECK_EQ_INT(p->locations[0].n_lines, c == 1);
        profile_destroy(p);
        symbolizer_destroy(s);
    }
}

/* The smallest max_bytes with which path's DWARF tables build. */
static size_t dwarf_min_cap(const char *path)
{
    size_t lo = 0, hi = (size_t)64 << 20;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        dwarf_index_options o = {mid};
        dwarf_index *x = NULL;
        if (dwarf_index_load(&x, path, &o) == 0) {
            dwarf_index_destroy(x);
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return lo;
}

TEST(test_symbols__tables_are_evicted_lru_under_the_cap_and_rebuilt)
{
    const char *a = full_build();
    const char *b = variant("symtest-O0");
    REQUIRE(a && b);
    /* Room to build either binary's tables, but not to build one while the
     * other's are kept: every switch evicts. */
    size_t need_a = dwarf_min_cap(a), need_b = dwarf_min_cap(b);
    dwarf_index *x = NULL;
    REQUIRE(dwarf_index_load(&x, a, NULL) == 0);
    size_t kept_a = dwarf_index_bytes(x);
    dwarf_index_destroy(x);
    REQUIRE(dwarf_index_load(&x, b, NULL) == 0);
    size_t kept_b = dwarf_index_bytes(x);
    dwarf_index_destroy(x);
    symbolizer_options so = SYMBOLIZER_OPTIONS_INIT;
    so.max_bytes = (need_a > need_b ? need_a : need_b) + 512;
    REQUIRE(so.max_bytes < kept_a + need_b && so.max_bytes < kept_b + need_a);
    symbolizer *s = NULL;
    REQUIRE(symbolizer_create(&s, &so) == 0);
    symbol_binary *ba = NULL, *bb = NULL;
    REQUIRE(symbolizer_open(s, a, &ba) == 0 && symbolizer_open(s, b, &bb) == 0);
    uint64_t va[8], vb[8];
    REQUIRE(workload_vaddrs(a, va, 8) == 8 && workload_vaddrs(b, vb, 8) == 8);
    ref_addr ra[8], rb[8];
    REQUIRE(addr2line(a, va, 8, ra) && addr2line(b, vb, 8, rb));
    for (int round = 0; round < 6; round++) {
        for (int i = 0; i < 8; i++) {
            symbol_lookup r;
            char why[600];
            symbol_binary *bin = round & 1 ? bb : ba;
            REQUIRE(symbolizer_lookup(&r, s, bin, round & 1 ? vb[i] : va[i],
                                      SYMBOLIZE_DWARF) == 0);
            if (!same_as_reference(&r, round & 1 ? &rb[i] : &ra[i], why, sizeof why))
                test_fail(__FILE__, __LINE__, "round %d: %s", round, why);
            /* Never both binaries' tables at once. */
            CHECK(symbolizer_bytes(s) <= so.max_bytes);
            CHECK(symbolizer_bytes(s) < kept_a + kept_b);
            CHECK(symbolizer_bytes(s) >= (round & 1 ? kept_b : kept_a));
        }
    }
    symbolizer_destroy(s);
}

static size_t open_fds(void)
{
    size_t n = 0;
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

TEST(test_symbols__every_file_descriptor_is_closed)
{
    const char *bin = full_build();
    const char *stripped = variant("symtest-stripped");
    REQUIRE(bin && stripped);
    size_t before = open_fds();
    uint64_t v[16];
    REQUIRE(workload_vaddrs(bin, v, 16) == 16);
    const char *bins[] = {"/no/such/binary", stripped, bin};
    symbolize_options o = SYMBOLIZE_OPTIONS_INIT;
    o.binaries = bins;
    o.n_binaries = 3;
    for (int i = 0; i < 3; i++) {
        symbolizer *s = NULL;
        REQUIRE(symbolizer_create(&s, NULL) == 0);
        profile *p = profile_of(bin, bin, "", v, 16, NULL);
        REQUIRE(p && profile_symbolize(p, s, &o) == 0);
        CHECK(open_fds() == before); /* none held between calls */
        profile_destroy(p);
        symbolizer_destroy(s);
    }
    CHECK_EQ_INT(open_fds(), before);
}

/* --- bad input --- */

static void write_file(const char *path, const void *d, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(d, 1, n, f) != n)
        test_fail(__FILE__, __LINE__, "cannot write %s", path);
    if (f)
        fclose(f);
}

/* Loads path and symbolizes addresses all over it; must not crash. */
static int exercise(const char *path, const uint64_t *v, size_t n)
{
    symbolizer_options so = SYMBOLIZER_OPTIONS_INIT;
    so.debug_dir = NULL;
    symbolizer *s = NULL;
    symbol_binary *b = NULL;
    if (symbolizer_create(&s, &so))
        return HEARTH_ENOMEM;
    int rc = symbolizer_open(s, path, &b);
    for (size_t i = 0; !rc && i < n; i++) {
        symbol_lookup r;
        symbolizer_lookup(&r, s, b, v[i], SYMBOLIZE_DWARF);
        for (size_t k = 0; k < r.n_frames; k++)
            CHECK(r.frames[k].function && strlen(r.frames[k].function) < 1 << 20);
    }
    symbolizer_destroy(s);
    return rc;
}

TEST(test_symbols__truncated_binaries_are_errors)
{
    const char *bin = full_build();
    REQUIRE(bin);
    size_t len;
    unsigned char *d = test_read_file(bin, &len);
    uint64_t v[64];
    size_t n = workload_vaddrs(bin, v, 64);
    char path[256];
    snprintf(path, sizeof path, "%s/truncated", work());
    size_t errors = 0, tries = 0;
    /* Every few bytes at the start (headers), then all along the file. */
    for (size_t cut = 0; cut < len; cut += cut < 256 ? 7 : 331) {
        write_file(path, d, cut);
        int rc = exercise(path, v, n);
        tries++;
        /* The section headers sit at the end, so every cut loses them. */
        if (rc == HEARTH_EFORMAT)
            errors++;
        else
            test_fail(__FILE__, __LINE__, "cut at %zu: %d", cut, rc);
    }
    CHECK_EQ_INT(errors, tries);
    /* The error says what is wrong. */
    write_file(path, d, 100);
    elf_image *e = NULL;
    CHECK_EQ_INT(elf_image_load(&e, path, NULL), HEARTH_EFORMAT);
    CHECK_CONTAINS(hearth_error_last(), "past the end of the file");
    CHECK_EQ_INT(elf_image_read(&e, d, 10, NULL), HEARTH_EFORMAT);
    char text[64] = "not an ELF file, but as long as an ELF header";
    CHECK_EQ_INT(elf_image_read(&e, text, sizeof text, NULL), HEARTH_EFORMAT);
    CHECK_CONTAINS(hearth_error_last(), "not an ELF file");
    free(d);
}

TEST(test_symbols__corrupted_binaries_never_crash)
{
    const char *bins[] = {full_build(), variant("symtest-dwarf4")};
    for (size_t bi = 0; bi < 2; bi++) {
        REQUIRE(bins[bi]);
        size_t len;
        unsigned char *orig = test_read_file(bins[bi], &len);
        unsigned char *d = malloc(len);
        REQUIRE(d);
        uint64_t v[64];
        size_t n = workload_vaddrs(bins[bi], v, 64);
        char path[256];
        snprintf(path, sizeof path, "%s/corrupt", work());
        uint64_t seed = 0x9e3779b97f4a7c15ull + bi;
        size_t loaded = 0;
        for (int it = 0; it < 400; it++) {
            memcpy(d, orig, len);
            int flips = 1 + it % 6;
            for (int k = 0; k < flips; k++) {
                seed = seed * 6364136223846793005ull + 1442695040888963407ull;
                /* Half the flips hit the headers (first 4 KB), half anywhere
                 * (mostly symbols and DWARF in this small binary). */
                size_t at = (size_t)(seed >> 33) % (k & 1 ? len : 4096);
                d[at] = (unsigned char)(seed >> 25);
            }
            write_file(path, d, len);
            loaded += exercise(path, v, n) == 0;
        }
        CHECK(loaded > 100); /* most flips leave a loadable file */
        free(d);
        free(orig);
    }
}

/* The file offset of section name, from readelf -SW. */
static uint64_t section_offset(const char *bin, const char *name)
{
    char cmd[600], line[512];
    snprintf(cmd, sizeof cmd, "LC_ALL=C readelf -SW '%s'", bin);
    FILE *p = popen(cmd, "r");
    uint64_t off = 0;
    while (p && fgets(line, sizeof line, p)) {
        char *at = strstr(line, name);
        unsigned long long addr, o;
        if (at && at[strlen(name)] == ' ' &&
            sscanf(at + strlen(name), " %*s %llx %llx", &addr, &o) == 2)
            off = o;
    }
    if (p)
        pclose(p);
    return off;
}

TEST(test_symbols__a_sibling_pointing_at_itself_does_not_loop)
{
    /* libdwarf follows a DW_AT_sibling that points at its own DIE, which
     * would walk in circles, so the walk only moves forward. */
    const char *bin = full_build();
    REQUIRE(bin);
    uint64_t info = section_offset(bin, ".debug_info");
    REQUIRE(info);
    char cmd[600], line[512];
    snprintf(cmd, sizeof cmd, "LC_ALL=C readelf -wi '%s'", bin);
    FILE *p = popen(cmd, "r");
    REQUIRE(p);
    /* The first DW_AT_sibling of a top-level DIE, and that DIE's offset. */
    unsigned long long at = 0, value = 0, die = 0, cur = 0;
    int found = 0, level = 0;
    while (fgets(line, sizeof line, p)) {
        int lv;
        unsigned long long o;
        if (sscanf(line, " <%d><%llx>:", &lv, &o) == 2) {
            level = lv;
            cur = o;
        } else if (!found && level == 1 && strstr(line, "DW_AT_sibling") &&
                   sscanf(line, " <%llx> DW_AT_sibling : <0x%llx>", &at, &value) == 2) {
            found = 1;
            die = cur;
        }
    }
    pclose(p);
    REQUIRE(found && die);
    size_t len;
    unsigned char *d = test_read_file(bin, &len);
    REQUIRE(info + at + 4 <= len);
    uint32_t old;
    memcpy(&old, d + info + at, 4);
    REQUIRE(old == value); /* DW_FORM_ref4, as GCC writes it */
    uint32_t self = (uint32_t)die; /* the DIE is its own next sibling */
    memcpy(d + info + at, &self, 4);
    char path[256];
    snprintf(path, sizeof path, "%s/sibling-loop", work());
    write_file(path, d, len);
    uint64_t v[64];
    size_t n = workload_vaddrs(bin, v, 64);
    alarm(60); /* a loop fails the run instead of hanging it */
    CHECK_EQ_INT(exercise(path, v, n), 0);
    alarm(0);
    free(d);
}

TEST(test_symbols__list_section_headers_are_checked)
{
    /* One rnglists unit: length 12, version 5, address size 8, segment
     * selector size 0, one offset, then DW_RLE_end_of_list. */
    uint8_t good[16] = {12, 0, 0, 0, 5, 0, 8, 0, 1, 0, 0, 0, 0, 0, 0, 0};
    CHECK_EQ_INT(dwarf_check_list_section(good, 16, ".debug_rnglists"), 0);
    CHECK_EQ_INT(dwarf_check_list_section(good, 0, ".debug_rnglists"), 0);
    uint8_t bad[16];
    for (int i = 0; i < 8; i++) {
        memcpy(bad, good, sizeof bad);
        bad[i] ^= 0x40; /* each header byte matters */
        CHECK_EQ_INT(dwarf_check_list_section(bad, 16, ".debug_rnglists"), HEARTH_EFORMAT);
    }
    memcpy(bad, good, sizeof bad);
    bad[8] = 3; /* three 4-byte offsets do not fit in the unit */
    CHECK_EQ_INT(dwarf_check_list_section(bad, 16, ".debug_loclists"), HEARTH_EFORMAT);
    CHECK_CONTAINS(hearth_error_last(), ".debug_loclists");
    CHECK_EQ_INT(dwarf_check_list_section(good, 15, ".debug_rnglists"), HEARTH_EFORMAT);
}
