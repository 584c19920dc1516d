/*
 * A program with known code shapes for the symbolizer's tests: noinline
 * functions, a static one, a chain of always_inline functions inlined into a
 * noinline caller, and a function with a cold part (.cold) that GCC splits
 * off at -O2. The tests build it at test time in several ways (-O2 -g,
 * DWARF 4, -O0, no -g, stripped, -rdynamic, non-PIE, as a shared library)
 * and compare what hearth says about its addresses with addr2line and nm.
 *
 *   symtest                  runs the code paths and prints nothing
 *   symtest --profile OUT    also writes an unsymbolized raw pprof profile
 *                            of the stacks it captured (backtrace(3)), with
 *                            one mapping per executable file mapping of
 *                            /proc/self/maps and build IDs, and writes to
 *                            OUT.addrs one line "ADDRESS VADDR FILE" per
 *                            distinct address (VADDR = ELF address in FILE),
 *                            so a test can ask addr2line about each one.
 *
 * It depends on nothing of hearth's, so it can be built with any flags.
 */
#define _GNU_SOURCE
#include <execinfo.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))
#define ALWAYS_INLINE static inline __attribute__((always_inline))

#define MAX_STACKS 64
#define MAX_DEPTH 32

volatile int sink;
static void *stacks[MAX_STACKS][MAX_DEPTH];
static int depths[MAX_STACKS];
static int n_stacks;

/* Captures the current call stack; called from every interesting place. */
NOINLINE void symtest_record(void)
{
    if (n_stacks < MAX_STACKS) {
        depths[n_stacks] = backtrace(stacks[n_stacks], MAX_DEPTH);
        n_stacks++;
    }
    sink++;
}

ALWAYS_INLINE int leaf_inline(int x)
{
    sink += x;
    symtest_record();
    return x * 3;
}

ALWAYS_INLINE int mid_inline(int x)
{
    int y = leaf_inline(x + 1);
    sink -= y;
    return y + 2;
}

NOINLINE int outer_noinline(int x)
{
    int r = mid_inline(x);
    sink += r;
    return r * 5;
}

static NOINLINE int static_helper(int x)
{
    for (int i = 0; i < x; i++)
        sink += i;
    symtest_record();
    return sink;
}

NOINLINE int noinline_b(int x)
{
    symtest_record();
    return static_helper(x) + 1;
}

NOINLINE int noinline_a(int x)
{
    int r = noinline_b(x + 2);
    sink += r;
    return r;
}

/* The error branch is unlikely, so GCC -O2 moves it to check_value.cold. */
NOINLINE int check_value(int x)
{
    if (__builtin_expect(x < 0, 0)) {
        fprintf(stderr, "symtest: negative value %d\n", x);
        symtest_record();
        abort();
    }
    symtest_record();
    return x + 1;
}

/* --- the profile writer: just enough of profile.proto, raw protobuf --- */

typedef struct buf {
    unsigned char *p;
    size_t n, cap;
} buf;

static void put(buf *b, const void *d, size_t n)
{
    if (b->n + n > b->cap) {
        while (b->n + n > b->cap)
            b->cap = b->cap ? b->cap * 2 : 4096;
        b->p = realloc(b->p, b->cap);
        if (!b->p)
            abort();
    }
    memcpy(b->p + b->n, d, n);
    b->n += n;
}

static void put_varint(buf *b, uint64_t v)
{
    unsigned char c[10];
    size_t n = 0;
    do {
        c[n] = v & 0x7f;
        v >>= 7;
        if (v)
            c[n] |= 0x80;
        n++;
    } while (v);
    put(b, c, n);
}

static void put_uint(buf *b, int field, uint64_t v)
{
    put_varint(b, (uint64_t)field << 3);
    put_varint(b, v);
}

static void put_bytes(buf *b, int field, const void *d, size_t n)
{
    put_varint(b, (uint64_t)field << 3 | 2);
    put_varint(b, n);
    put(b, d, n);
}

#define MAX_STRINGS 64
static const char *strings[MAX_STRINGS];
static int n_strings;

static int str_index(const char *s)
{
    for (int i = 0; i < n_strings; i++)
        if (!strcmp(strings[i], s))
            return i;
    if (n_strings == MAX_STRINGS)
        abort();
    strings[n_strings] = strdup(s);
    return n_strings++;
}

typedef struct mapping {
    uint64_t start, limit, offset;
    char path[512];
    char build_id[130];
    uint64_t bias; /* load bias from dl_iterate_phdr: vaddr = pc - bias */
} mapping;

#define MAX_MAPPINGS 32
static mapping maps[MAX_MAPPINGS];
static int n_maps;

static int note_build_id(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    (void)arg;
    for (int m = 0; m < n_maps; m++) {
        mapping *mp = &maps[m];
        /* Does this object contain the mapping? */
        int hit = 0;
        for (int i = 0; i < info->dlpi_phnum; i++) {
            const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
            uint64_t lo = info->dlpi_addr + ph->p_vaddr;
            if (ph->p_type == PT_LOAD && mp->start >= (lo & ~0xfffull) &&
                mp->start < lo + ph->p_memsz)
                hit = 1;
        }
        if (!hit)
            continue;
        mp->bias = info->dlpi_addr;
        for (int i = 0; i < info->dlpi_phnum; i++) {
            const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
            if (ph->p_type != PT_NOTE)
                continue;
            const unsigned char *p = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
            const unsigned char *end = p + ph->p_memsz;
            size_t align = ph->p_align == 8 ? 8 : 4;
            while (p + 12 <= end) {
                uint32_t namesz, descsz, type;
                memcpy(&namesz, p, 4);
                memcpy(&descsz, p + 4, 4);
                memcpy(&type, p + 8, 4);
                const unsigned char *name = p + 12;
                const unsigned char *desc = name + ((namesz + align - 1) & ~(align - 1));
                if (desc + descsz > end)
                    break;
                if (type == 3 && namesz == 4 && !memcmp(name, "GNU", 4) && descsz <= 64) {
                    for (uint32_t k = 0; k < descsz; k++)
                        sprintf(mp->build_id + 2 * k, "%02x", desc[k]);
                }
                p = desc + ((descsz + align - 1) & ~(align - 1));
            }
        }
    }
    return 0;
}

static void read_maps(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[1024];
    if (!f)
        abort();
    while (fgets(line, sizeof line, f) && n_maps < MAX_MAPPINGS) {
        unsigned long long lo, hi, off;
        char perms[8], path[512] = "";
        if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %511s", &lo, &hi, perms, &off, path) < 4)
            continue;
        if (perms[2] != 'x' || path[0] != '/')
            continue;
        mapping *m = &maps[n_maps++];
        m->start = lo;
        m->limit = hi;
        m->offset = off;
        snprintf(m->path, sizeof m->path, "%s", path);
    }
    fclose(f);
    dl_iterate_phdr(note_build_id, NULL);
}

static int mapping_of(uint64_t pc)
{
    for (int m = 0; m < n_maps; m++)
        if (pc >= maps[m].start && pc < maps[m].limit)
            return m;
    return -1;
}

#define MAX_LOCS (MAX_STACKS * MAX_DEPTH)
static uint64_t loc_addr[MAX_LOCS];
static int n_locs;

static int loc_id(uint64_t pc)
{
    for (int i = 0; i < n_locs; i++)
        if (loc_addr[i] == pc)
            return i + 1;
    loc_addr[n_locs] = pc;
    return ++n_locs;
}

static void write_profile(const char *out)
{
    read_maps();
    buf prof = {0};
    str_index("");
    buf vt = {0};
    put_uint(&vt, 1, (uint64_t)str_index("samples"));
    put_uint(&vt, 2, (uint64_t)str_index("count"));
    put_bytes(&prof, 1, vt.p, vt.n);
    for (int s = 0; s < n_stacks; s++) {
        buf sm = {0}, ids = {0};
        for (int d = 0; d < depths[s]; d++) {
            /* Return addresses point after the call: step back into it. */
            uint64_t pc = (uint64_t)(uintptr_t)stacks[s][d] - 1;
            if (mapping_of(pc) < 0)
                continue;
            put_varint(&ids, (uint64_t)loc_id(pc));
        }
        put_bytes(&sm, 1, ids.p, ids.n);
        unsigned char one = 1;
        put_bytes(&sm, 2, &one, 1);
        put_bytes(&prof, 2, sm.p, sm.n);
        free(sm.p);
        free(ids.p);
    }
    for (int m = 0; m < n_maps; m++) {
        buf mp = {0};
        put_uint(&mp, 1, (uint64_t)m + 1);
        put_uint(&mp, 2, maps[m].start);
        put_uint(&mp, 3, maps[m].limit);
        put_uint(&mp, 4, maps[m].offset);
        put_uint(&mp, 5, (uint64_t)str_index(maps[m].path));
        if (maps[m].build_id[0])
            put_uint(&mp, 6, (uint64_t)str_index(maps[m].build_id));
        put_bytes(&prof, 3, mp.p, mp.n);
        free(mp.p);
    }
    char apath[4096];
    snprintf(apath, sizeof apath, "%s.addrs", out);
    FILE *af = fopen(apath, "w");
    if (!af)
        abort();
    for (int i = 0; i < n_locs; i++) {
        int m = mapping_of(loc_addr[i]);
        buf lc = {0};
        put_uint(&lc, 1, (uint64_t)i + 1);
        put_uint(&lc, 2, (uint64_t)m + 1);
        put_uint(&lc, 3, loc_addr[i]);
        put_bytes(&prof, 4, lc.p, lc.n);
        free(lc.p);
        fprintf(af, "0x%llx 0x%llx %s\n", (unsigned long long)loc_addr[i],
                (unsigned long long)(loc_addr[i] - maps[m].bias), maps[m].path);
    }
    fclose(af);
    for (int i = 0; i < n_strings; i++)
        put_bytes(&prof, 6, strings[i], strlen(strings[i]));
    FILE *f = fopen(out, "wb");
    if (!f || fwrite(prof.p, 1, prof.n, f) != prof.n || fclose(f))
        abort();
    free(prof.p);
    free(vt.p);
}

int main(int argc, char **argv)
{
    int n = argc > 5 ? -1 : argc;
    outer_noinline(n);
    noinline_a(n + 3);
    check_value(n);
    if (argc == 3 && !strcmp(argv[1], "--profile"))
        write_profile(argv[2]);
    return 0;
}
