/*
 * The legacy gperftools CPU profile: binary words (header 0, 3, 0, period in
 * microseconds, 0; records count, depth, pcs...; end marker 0, 1, 0) then the
 * process's memory map as /proc/self/maps text. Its own file because none of
 * it is protobuf: it rebuilds the profile the way google/pprof's
 * legacy_profile.go does, quirks and heuristics included, so hearth and
 * `go tool pprof` show the same thing. The input is untrusted: a stack depth
 * is checked against the bytes left before anything is read or allocated, so
 * memory and time stay O(len); map lines go through a backtracking matcher
 * with a visited bitmap (RE2's BitState), O(pattern x line) per line.
 */
#include "legacy_cpu.h"

#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

#define LC "legacy cpu profile: "

#define HEADER_WORDS 5
/* pprof reads the map with a bufio.Scanner, which fails the whole parse on
 * a line (without its '\n') of this many bytes or more. */
#define MAP_LINE_MAX 65536
/* Limits on "name=value" substitution, which pprof leaves unbounded: the
 * longest line after substitution, the total bytes substitution may add, and
 * the bytes compared while looking for $names. */
#define EXPANDED_LINE_MAX ((size_t)1 << 20)
#define EXPANDED_GROWTH_MAX ((size_t)8 << 20)
#define SUBST_WORK_MAX ((uint64_t)64 << 20)

/* --- words --- */

typedef struct word_fmt {
    unsigned size; /* bytes: 4 or 8 */
    bool big;      /* big-endian */
} word_fmt;

/* pprof's order of trial; at most one can match the 0, 3 prefix. */
static const word_fmt word_fmts[] = {{4, false}, {4, true}, {8, false}, {8, true}};

static uint64_t word_at(const uint8_t *b, word_fmt f)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < f.size; i++)
        v |= (uint64_t)b[f.big ? f.size - 1 - i : i] << (8 * i);
    return v;
}

/* Finds the word format whose header reads 0, 3, 0, period > 0, 0. */
static bool header_find(const uint8_t *buf, size_t len, word_fmt *fmt,
                        uint64_t *period)
{
    for (size_t i = 0; i < sizeof word_fmts / sizeof *word_fmts; i++) {
        word_fmt f = word_fmts[i];
        if (len < HEADER_WORDS * f.size)
            continue;
        uint64_t h[HEADER_WORDS];
        for (unsigned j = 0; j < HEADER_WORDS; j++)
            h[j] = word_at(buf + j * f.size, f);
        if (h[0] == 0 && h[1] == 3 && h[2] == 0 && h[3] > 0 && h[4] == 0) {
            *fmt = f;
            *period = h[3];
            return true;
        }
    }
    return false;
}

int legacy_cpu_detect(const uint8_t *buf, size_t len)
{
    word_fmt f;
    uint64_t period;
    return header_find(buf, len, &f, &period);
}

/* --- decoder state --- */

typedef struct cpu_sample {
    uint64_t count;
    size_t first; /* index of its first frame in dec.frames */
    uint32_t n;   /* frames, leaf first; shrinks as frames are removed */
} cpu_sample;

/* A mapping from the text; strings live in the profile's arena. */
typedef struct text_mapping {
    uint64_t start, limit, offset;
    const char *file, *build_id;
    size_t file_len, build_id_len;
} text_mapping;

typedef struct dec {
    profile *p;
    word_fmt fmt;
    cpu_sample *samples;
    size_t n_samples, cap_samples;
    uint32_t *frames; /* location indexes */
    size_t n_frames, cap_frames;
    uint64_t *addrs;  /* location index -> address, in first-seen order */
    size_t n_addrs, cap_addrs;
    uint32_t *addr_tab; /* open addressing: location index + 1, 0 = empty */
    size_t addr_tab_cap;
    text_mapping *maps;
    size_t n_maps, cap_maps;
    size_t fake; /* index + 1 of the catch-all mapping, 0 until added */
} dec;

static int grow(void *arrp, size_t *cap, size_t need, size_t elem)
{
    void **arr = arrp;
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap : 16;
    while (nc < need) {
        if (nc > SIZE_MAX / 2 / elem)
            return hearth_error_set(HEARTH_ENOMEM, "out of memory");
        nc *= 2;
    }
    void *a = realloc(*arr, nc * elem);
    if (!a)
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    *arr = a;
    *cap = nc;
    return 0;
}

static size_t addr_hash(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return (size_t)x;
}

static int addr_tab_resize(dec *d, size_t cap)
{
    uint32_t *t = calloc(cap, sizeof *t);
    if (!t)
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    for (size_t i = 0; i < d->n_addrs; i++) {
        size_t h = addr_hash(d->addrs[i]) & (cap - 1);
        while (t[h])
            h = (h + 1) & (cap - 1);
        t[h] = (uint32_t)i + 1;
    }
    free(d->addr_tab);
    d->addr_tab = t;
    d->addr_tab_cap = cap;
    return 0;
}

/* The location index of addr, added in first-seen order as pprof does. */
static int location_intern(dec *d, uint64_t addr, uint32_t *out)
{
    int rc;
    if ((d->n_addrs + 1) * 2 > d->addr_tab_cap &&
        (rc = addr_tab_resize(d, d->addr_tab_cap ? d->addr_tab_cap * 2 : 64)))
        return rc;
    size_t mask = d->addr_tab_cap - 1, h = addr_hash(addr) & mask;
    for (; d->addr_tab[h]; h = (h + 1) & mask) {
        if (d->addrs[d->addr_tab[h] - 1] == addr) {
            *out = d->addr_tab[h] - 1;
            return 0;
        }
    }
    if ((rc = grow(&d->addrs, &d->cap_addrs, d->n_addrs + 1, sizeof *d->addrs)))
        return rc;
    d->addrs[d->n_addrs] = addr;
    d->addr_tab[h] = (uint32_t)++d->n_addrs;
    *out = (uint32_t)d->n_addrs - 1;
    return 0;
}

/* --- samples --- */

/*
 * Reads records from the end of the header to the end-of-data marker and
 * returns the offset just past it, where the memory map text begins. pprof
 * also accepts a file that stops between records without the marker, and in
 * 64-bit files a stack shorter than its depth (it checks depth against
 * bytes/4 and pads with zeros); both are truncations, so both fail here.
 */
static int read_samples(dec *d, const uint8_t *buf, size_t len, size_t *text_at)
{
    const size_t w = d->fmt.size;
    size_t pos = HEADER_WORDS * w;
    for (size_t k = 0;; k++) {
        if (pos == len)
            return hearth_error_set(HEARTH_EFORMAT,
                                    LC "sample %zu at offset %zu: no "
                                    "end-of-data marker (truncated file?)",
                                    k, pos);
        if (len - pos < 2 * w)
            return hearth_error_set(HEARTH_EFORMAT,
                                    LC "sample %zu at offset %zu: %zu bytes "
                                    "left, a record needs %zu",
                                    k, pos, len - pos, 2 * w);
        uint64_t count = word_at(buf + pos, d->fmt);
        uint64_t depth = word_at(buf + pos + w, d->fmt);
        size_t at = pos + 2 * w;
        if (depth > (len - at) / w)
            return hearth_error_set(HEARTH_EFORMAT,
                                    LC "sample %zu at offset %zu: stack depth "
                                    "%" PRIu64 " exceeds remaining data",
                                    k, pos, depth);
        if (count == 0 && depth == 1 && word_at(buf + at, d->fmt) == 0) {
            *text_at = at + w;
            return 0;
        }
        int rc;
        if ((rc = grow(&d->samples, &d->cap_samples, d->n_samples + 1,
                       sizeof *d->samples)) ||
            (rc = grow(&d->frames, &d->cap_frames, d->n_frames + depth,
                       sizeof *d->frames)))
            return rc;
        cpu_sample *s = &d->samples[d->n_samples++];
        s->count = count;
        s->first = d->n_frames;
        s->n = (uint32_t)depth;
        for (size_t i = 0; i < depth; i++, at += w) {
            uint64_t addr = word_at(buf + at, d->fmt);
            /* Callers' pcs are return addresses: step back into the call.
             * The leaf came from the signal context and is exact. */
            if (i > 0)
                addr--;
            if ((rc = location_intern(d, addr, &d->frames[d->n_frames++])))
                return rc;
        }
        pos = at;
    }
}

static uint64_t frame_addr(const dec *d, const cpu_sample *s, uint32_t i)
{
    return d->addrs[d->frames[s->first + i]];
}

static void remove_frame_1(dec *d, cpu_sample *s)
{
    uint32_t *f = d->frames + s->first;
    memmove(f + 1, f + 2, (s->n - 2) * sizeof *f);
    s->n--;
}

/*
 * The signal handler can leave its own frame second from the leaf in nearly
 * every sample. pprof removes, up to twice, a second frame shared by all but
 * one in 32 samples. It scans a hash map for that address, but the order
 * cannot matter: two addresses reaching n - n/32 would need more than n
 * samples. So the only candidate is a strict majority, which a
 * Boyer-Moore vote finds in one pass without a map.
 */
static void strip_signal_frames(dec *d)
{
    size_t n = d->n_samples, threshold = n - n / 32;
    for (int iter = 0; iter < 2; iter++) {
        uint64_t cand = 0;
        size_t votes = 0, seen = 0;
        for (size_t i = 0; i < n; i++) {
            const cpu_sample *s = &d->samples[i];
            if (s->n < 2)
                continue;
            uint64_t a = frame_addr(d, s, 1);
            seen++;
            if (votes == 0)
                cand = a;
            if (a == cand)
                votes++;
            else
                votes--;
        }
        if (!seen)
            continue;
        size_t count = 0;
        for (size_t i = 0; i < n; i++)
            count += d->samples[i].n >= 2 &&
                     frame_addr(d, &d->samples[i], 1) == cand;
        if (count < threshold)
            continue;
        for (size_t i = 0; i < n; i++) {
            cpu_sample *s = &d->samples[i];
            if (s->n >= 2 && frame_addr(d, s, 1) == cand)
                remove_frame_1(d, s);
        }
    }
}

/* The leaf can appear twice, from the signal context and from unwinding
 * (then stepped back by one); drop the copy. Runs after locations are
 * renumbered, so the copy's location stays in the table, as in pprof. */
static void strip_duplicate_leaves(dec *d)
{
    for (size_t i = 0; i < d->n_samples; i++) {
        cpu_sample *s = &d->samples[i];
        if (s->n >= 2 && frame_addr(d, s, 0) == frame_addr(d, s, 1) + 1)
            remove_frame_1(d, s);
    }
}

/* --- a small regex matcher for pprof's memory map patterns --- */

/*
 * pprof recognises map lines with Go regexps, whose submatches are the ones
 * a backtracking search finds first. The patterns are built here from the
 * same pieces and run by a backtracker that marks each (instruction,
 * position) it tries: a pair that failed once fails again, so no pair runs
 * twice and a line costs at most instructions x (length + 1) steps.
 */
enum { RE_CLASS, RE_SPLIT, RE_JMP, RE_SAVE, RE_MATCH };
enum {
    CL_SPACE,      /* \s: Go's is ASCII \t \n \f \r and space, not \v */
    CL_NONSPACE,   /* \S */
    CL_XDIGIT,     /* [[:xdigit:]] */
    CL_DIGIT,      /* [[:digit:]] */
    CL_PERM,       /* [-rwxp] */
    CL_SPACE_DASH, /* [\s-] */
    CL_NO_BRACKET, /* [^\[\]] */
    CL_BYTE,       /* one literal byte */
};

#define RE_MAX_INSTS 64
#define RE_MAX_SLOTS 14 /* the whole match and six groups */

typedef struct re_inst {
    uint8_t op, cls, byte;
    uint16_t x, y; /* SPLIT: preferred x, then y; JMP: x; SAVE: slot x */
} re_inst;

typedef struct re_prog {
    re_inst insts[RE_MAX_INSTS];
    unsigned n;
} re_prog;

typedef struct re_job {
    ptrdiff_t val;  /* position, or the slot's value to restore */
    uint16_t pc;    /* instruction, or slot to restore */
    bool restore;
} re_job;

typedef struct re_vm {
    uint64_t *visited;
    size_t cap_visited;
    re_job *stack;
    size_t cap_stack;
} re_vm;

static unsigned re_emit(re_prog *g, int op, int cls, int byte, unsigned x,
                        unsigned y)
{
    assert(g->n < RE_MAX_INSTS);
    g->insts[g->n] = (re_inst){(uint8_t)op, (uint8_t)cls, (uint8_t)byte,
                               (uint16_t)x, (uint16_t)y};
    return g->n++;
}

static void re_one(re_prog *g, int cls, int byte)
{
    re_emit(g, RE_CLASS, cls, byte, 0, 0);
}

static void re_opt(re_prog *g, int cls, int byte) /* c? */
{
    re_emit(g, RE_SPLIT, 0, 0, g->n + 1, g->n + 2);
    re_one(g, cls, byte);
}

static void re_star(re_prog *g, int cls) /* c* */
{
    unsigned l = re_emit(g, RE_SPLIT, 0, 0, g->n + 1, g->n + 3);
    re_one(g, cls, 0);
    re_emit(g, RE_JMP, 0, 0, l, 0);
}

static void re_plus(re_prog *g, int cls) /* c+ */
{
    unsigned l = re_emit(g, RE_CLASS, cls, 0, 0, 0);
    re_emit(g, RE_SPLIT, 0, 0, l, g->n + 1);
}

/* (?: ... )? : open returns the SPLIT that close points past the group. */
static unsigned re_group_open(re_prog *g)
{
    return re_emit(g, RE_SPLIT, 0, 0, g->n + 1, 0);
}

static void re_group_close(re_prog *g, unsigned at)
{
    g->insts[at].y = (uint16_t)g->n;
}

static void re_save(re_prog *g, unsigned slot)
{
    assert(slot < RE_MAX_SLOTS);
    re_emit(g, RE_SAVE, 0, 0, slot, 0);
}

/* (c+) as group k */
static void re_capture_plus(re_prog *g, unsigned k, int cls)
{
    re_save(g, 2 * k);
    re_plus(g, cls);
    re_save(g, 2 * k + 1);
}

/* (?:\s+(c+))? as group k */
static void re_opt_space_capture(re_prog *g, unsigned k, int cls)
{
    unsigned at = re_group_open(g);
    re_plus(g, CL_SPACE);
    re_capture_plus(g, k, cls);
    re_group_close(g, at);
}

/* \s*(?:0x)?([[:xdigit:]]+)[\s-]?\s*(?:0x)?([[:xdigit:]]+):? as groups 1, 2 */
static void re_hex_range(re_prog *g)
{
    re_star(g, CL_SPACE);
    for (unsigned k = 1; k <= 2; k++) {
        unsigned at = re_group_open(g);
        re_one(g, CL_BYTE, '0');
        re_one(g, CL_BYTE, 'x');
        re_group_close(g, at);
        re_capture_plus(g, k, CL_XDIGIT);
        if (k == 1) {
            re_opt(g, CL_SPACE_DASH, 0);
            re_star(g, CL_SPACE);
        }
    }
    re_opt(g, CL_BYTE, ':');
}

static void re_begin(re_prog *g)
{
    g->n = 0;
    re_save(g, 0);
}

static void re_end(re_prog *g)
{
    re_save(g, 1);
    re_emit(g, RE_MATCH, 0, 0, 0, 0);
}

/* pprof's procMapsRE: start, end, perm, offset, file. */
static void re_build_proc_maps(re_prog *g)
{
    re_begin(g);
    re_hex_range(g);
    re_opt_space_capture(g, 3, CL_PERM);
    re_opt_space_capture(g, 4, CL_XDIGIT);
    re_plus(g, CL_SPACE); /* device major:minor */
    re_plus(g, CL_XDIGIT);
    re_one(g, CL_BYTE, ':');
    re_plus(g, CL_XDIGIT);
    re_plus(g, CL_SPACE); /* inode */
    re_plus(g, CL_DIGIT);
    re_opt_space_capture(g, 5, CL_NONSPACE);
    re_end(g);
}

/* pprof's briefMapsRE: start, end, perm, file, offset "(@hex)", build id. */
static void re_build_brief_maps(re_prog *g)
{
    re_begin(g);
    re_hex_range(g);
    re_opt_space_capture(g, 3, CL_PERM);
    re_opt_space_capture(g, 4, CL_NONSPACE);
    unsigned at = re_group_open(g);
    re_plus(g, CL_SPACE);
    re_one(g, CL_BYTE, '(');
    re_one(g, CL_BYTE, '@');
    re_capture_plus(g, 5, CL_XDIGIT);
    re_one(g, CL_BYTE, ')');
    re_group_close(g, at);
    re_opt_space_capture(g, 6, CL_XDIGIT);
    re_end(g);
}

/* pprof's logInfoRE, a glog prefix "file.cc:123] ". */
static void re_build_glog(re_prog *g)
{
    re_begin(g);
    re_plus(g, CL_NO_BRACKET);
    re_one(g, CL_BYTE, ':');
    re_plus(g, CL_DIGIT);
    re_one(g, CL_BYTE, ']');
    re_one(g, CL_SPACE, 0);
    re_end(g);
}

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool is_xdigit(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool re_class_has(const re_inst *in, unsigned char c)
{
    switch (in->cls) {
    case CL_SPACE: return is_space(c);
    case CL_NONSPACE: return !is_space(c);
    case CL_XDIGIT: return is_xdigit(c);
    case CL_DIGIT: return is_digit(c);
    case CL_PERM: return c == '-' || c == 'r' || c == 'w' || c == 'x' || c == 'p';
    case CL_SPACE_DASH: return is_space(c) || c == '-';
    case CL_NO_BRACKET: return c != '[' && c != ']';
    default: return c == in->byte;
    }
}

static int re_push(re_vm *vm, size_t *top, re_job j)
{
    int rc = grow(&vm->stack, &vm->cap_stack, *top + 1, sizeof *vm->stack);
    if (!rc)
        vm->stack[(*top)++] = j;
    return rc;
}

/*
 * Matches g against the start of s[0:n]. Returns 1 with caps[2k], caps[2k+1]
 * the bounds of group k (-1 when it did not take part), 0 on no match, or
 * HEARTH_ENOMEM.
 */
static int re_match(re_vm *vm, const re_prog *g, const char *s, size_t n,
                    ptrdiff_t *caps)
{
    size_t cols = n + 1, words = ((size_t)g->n * cols + 63) / 64;
    int rc = grow(&vm->visited, &vm->cap_visited, words, sizeof *vm->visited);
    if (rc)
        return rc;
    memset(vm->visited, 0, words * sizeof *vm->visited);
    for (unsigned i = 0; i < RE_MAX_SLOTS; i++)
        caps[i] = -1;
    size_t top = 0;
    if ((rc = re_push(vm, &top, (re_job){0, 0, false})))
        return rc;
    while (top) {
        re_job j = vm->stack[--top];
        if (j.restore) {
            caps[j.pc] = j.val;
            continue;
        }
        unsigned pc = j.pc;
        size_t pos = (size_t)j.val;
        for (;;) {
            size_t bit = (size_t)pc * cols + pos;
            if (vm->visited[bit / 64] & (1ull << (bit % 64)))
                break;
            vm->visited[bit / 64] |= 1ull << (bit % 64);
            const re_inst *in = &g->insts[pc];
            if (in->op == RE_CLASS) {
                if (pos >= n || !re_class_has(in, (unsigned char)s[pos]))
                    break;
                pc++;
                pos++;
            } else if (in->op == RE_SPLIT) {
                if ((rc = re_push(vm, &top,
                                  (re_job){(ptrdiff_t)pos, in->y, false})))
                    return rc;
                pc = in->x;
            } else if (in->op == RE_JMP) {
                pc = in->x;
            } else if (in->op == RE_SAVE) {
                if ((rc = re_push(vm, &top, (re_job){caps[in->x], in->x, true})))
                    return rc;
                caps[in->x] = (ptrdiff_t)pos;
                pc++;
            } else {
                return 1;
            }
        }
    }
    return 0;
}

/* --- the memory map --- */

typedef struct span {
    const char *s;
    size_t n;
} span;

typedef struct map_var {
    char *key; /* "$name" */
    char *val;
    size_t key_len, val_len;
} map_var;

typedef struct map_parser {
    re_prog proc, brief, glog;
    re_vm vm;
    map_var *vars; /* "name=value" lines seen so far, in order */
    size_t n_vars, cap_vars;
    char *line;    /* the current line after substitution */
    size_t cap_line;
    size_t growth; /* bytes added by substitution so far */
    uint64_t work; /* bytes compared by substitution so far */
} map_parser;

static span group(const char *s, const ptrdiff_t *caps, unsigned k)
{
    if (caps[2 * k] < 0)
        return (span){"", 0};
    return (span){s + caps[2 * k], (size_t)(caps[2 * k + 1] - caps[2 * k])};
}

/* Go's strconv.ParseUint(s, 16, 64) on a string of hex digits. */
static bool parse_hex(span h, uint64_t *out)
{
    uint64_t v = 0;
    for (size_t i = 0; i < h.n; i++) {
        unsigned char c = (unsigned char)h.s[i];
        unsigned d = is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
        if (v >> 60)
            return false;
        v = v << 4 | d;
    }
    *out = v;
    return h.n > 0;
}

/* Length of a Unicode White_Space character (Go's unicode.IsSpace) that
 * s[0:n] starts with (at_end false) or ends with (at_end true), or 0. */
static size_t uspace_len(const char *s, size_t n, bool at_end)
{
    static const char *const multi[] = {
        "\xc2\x85", "\xc2\xa0", "\xe1\x9a\x80", "\xe2\x80\x80", "\xe2\x80\x81",
        "\xe2\x80\x82", "\xe2\x80\x83", "\xe2\x80\x84", "\xe2\x80\x85",
        "\xe2\x80\x86", "\xe2\x80\x87", "\xe2\x80\x88", "\xe2\x80\x89",
        "\xe2\x80\x8a", "\xe2\x80\xa8", "\xe2\x80\xa9", "\xe2\x80\xaf",
        "\xe2\x81\x9f", "\xe3\x80\x80",
    };
    if (n == 0)
        return 0;
    unsigned char c = (unsigned char)s[at_end ? n - 1 : 0];
    if (is_space(c) || c == '\v')
        return 1;
    for (size_t i = 0; i < sizeof multi / sizeof *multi; i++) {
        size_t l = strlen(multi[i]);
        if (l <= n && memcmp(at_end ? s + n - l : s, multi[i], l) == 0)
            return l;
    }
    return 0;
}

/* Go's strings.TrimSpace. */
static span trim_space(span t)
{
    size_t l;
    while ((l = uspace_len(t.s, t.n, false))) {
        t.s += l;
        t.n -= l;
    }
    while ((l = uspace_len(t.s, t.n, true)))
        t.n -= l;
    return t;
}

static const char *arena_copy(profile *p, span t)
{
    char *c = profile_alloc(p, t.n + 1);
    if (c) {
        memcpy(c, t.s, t.n);
        c[t.n] = '\0';
    }
    return c;
}

/*
 * pprof's parseMappingEntry. Returns 0 (mapping added, or skipped as not
 * executable), 1 (not a mapping line) or a negative error.
 */
static int map_entry(dec *d, map_parser *mp, const char *s, size_t n)
{
    ptrdiff_t c[RE_MAX_SLOTS];
    span start, end, perm, file, offset, build_id = {"", 0};
    int m = re_match(&mp->vm, &mp->proc, s, n, c);
    if (m == 1) {
        start = group(s, c, 1), end = group(s, c, 2), perm = group(s, c, 3);
        offset = group(s, c, 4), file = group(s, c, 5);
    } else if (m == 0 && (m = re_match(&mp->vm, &mp->brief, s, n, c)) == 1) {
        start = group(s, c, 1), end = group(s, c, 2), perm = group(s, c, 3);
        file = group(s, c, 4), offset = group(s, c, 5);
        build_id = group(s, c, 6);
    } else {
        return m < 0 ? m : 1;
    }
    if (perm.n && !memchr(perm.s, 'x', perm.n))
        return 0;
    text_mapping tm = {0};
    if (!parse_hex(start, &tm.start) || !parse_hex(end, &tm.limit) ||
        (offset.n && !parse_hex(offset, &tm.offset)))
        return 1;
    tm.file = arena_copy(d->p, file);
    tm.build_id = arena_copy(d->p, build_id);
    tm.file_len = file.n;
    tm.build_id_len = build_id.n;
    int rc;
    if (!tm.file || !tm.build_id)
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    if ((rc = grow(&d->maps, &d->cap_maps, d->n_maps + 1, sizeof *d->maps)))
        return rc;
    d->maps[d->n_maps++] = tm;
    return 0;
}

static int line_put(map_parser *mp, size_t *o, const char *s, size_t n,
                    size_t line_no)
{
    if (n > EXPANDED_LINE_MAX - *o)
        return hearth_error_set(HEARTH_ELIMIT,
                                LC "memory map line %zu: longer than %zu "
                                "bytes after $name substitution",
                                line_no, EXPANDED_LINE_MAX);
    int rc = grow(&mp->line, &mp->cap_line, *o + n, 1);
    if (!rc && n) {
        memcpy(mp->line + *o, s, n);
        *o += n;
    }
    return rc;
}

/*
 * Go's strings.Replacer over every "$name" -> value seen so far: left to
 * right, at each position the earliest defined name that matches wins.
 */
static int substitute(map_parser *mp, span *t, size_t line_no)
{
    size_t o = 0;
    int rc;
    for (size_t i = 0; i < t->n;) {
        const map_var *hit = NULL;
        if (t->s[i] == '$') {
            for (size_t k = 0; k < mp->n_vars && !hit; k++) {
                const map_var *v = &mp->vars[k];
                mp->work += v->key_len;
                if (v->key_len <= t->n - i &&
                    memcmp(t->s + i, v->key, v->key_len) == 0)
                    hit = v;
            }
            if (mp->work > SUBST_WORK_MAX)
                return hearth_error_set(HEARTH_ELIMIT,
                                        LC "memory map line %zu: too many "
                                        "$name substitutions", line_no);
        }
        if (hit) {
            rc = line_put(mp, &o, hit->val, hit->val_len, line_no);
            i += hit->key_len;
        } else {
            rc = line_put(mp, &o, t->s + i, 1, line_no);
            i++;
        }
        if (rc)
            return rc;
    }
    if (o > t->n && (mp->growth += o - t->n) > EXPANDED_GROWTH_MAX)
        return hearth_error_set(HEARTH_ELIMIT,
                                LC "memory map line %zu: $name substitution "
                                "adds more than %zu bytes in all",
                                line_no, EXPANDED_GROWTH_MAX);
    *t = (span){o ? mp->line : "", o};
    return 0;
}

/* Remembers "name=value" as "$name" -> value, both trimmed. */
static int define_var(map_parser *mp, span t, const char *eq)
{
    span k = trim_space((span){t.s, (size_t)(eq - t.s)});
    span v = trim_space((span){eq + 1, t.n - (size_t)(eq + 1 - t.s)});
    int rc = grow(&mp->vars, &mp->cap_vars, mp->n_vars + 1, sizeof *mp->vars);
    if (rc)
        return rc;
    char *mem = malloc(k.n + v.n + 2);
    if (!mem)
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    mem[0] = '$';
    memcpy(mem + 1, k.s, k.n);
    memcpy(mem + 1 + k.n, v.s, v.n);
    mp->vars[mp->n_vars++] =
        (map_var){mem, mem + 1 + k.n, k.n + 1, v.n};
    return 0;
}

static int map_line(dec *d, map_parser *mp, span t, size_t line_no)
{
    ptrdiff_t c[RE_MAX_SLOTS];
    int rc = re_match(&mp->vm, &mp->glog, t.s, t.n, c);
    if (rc < 0)
        return rc;
    if (rc == 1) {
        t.s += c[1];
        t.n -= (size_t)c[1];
    }
    if (mp->n_vars && (rc = substitute(mp, &t, line_no)))
        return rc;
    if ((rc = map_entry(d, mp, t.s, t.n)) != 1)
        return rc;
    const char *eq = memchr(t.s, '=', t.n);
    return eq ? define_var(mp, t, eq) : 0;
}

/* pprof's ParseProcMaps: one mapping per recognised executable line. */
static int read_memory_map(dec *d, const uint8_t *buf, size_t len, size_t at)
{
    map_parser mp;
    memset(&mp, 0, sizeof mp);
    re_build_proc_maps(&mp.proc);
    re_build_brief_maps(&mp.brief);
    re_build_glog(&mp.glog);
    int rc = 0;
    for (size_t line_no = 1; at < len && !rc; line_no++) {
        const uint8_t *nl = memchr(buf + at, '\n', len - at);
        size_t n = nl ? (size_t)(nl - (buf + at)) : len - at;
        if (n >= MAP_LINE_MAX) {
            rc = hearth_error_set(HEARTH_EFORMAT,
                                  LC "memory map line %zu at offset %zu: "
                                  "longer than %d bytes",
                                  line_no, at, MAP_LINE_MAX - 1);
            break;
        }
        span t = {(const char *)buf + at, n};
        if (n && t.s[n - 1] == '\r')
            t.n--;
        rc = map_line(d, &mp, t, line_no);
        at += n + (nl != NULL);
    }
    for (size_t i = 0; i < mp.n_vars; i++)
        free(mp.vars[i].key);
    free(mp.vars);
    free(mp.line);
    free(mp.vm.visited);
    free(mp.vm.stack);
    return rc;
}

static bool str_eq(const char *a, size_t an, const char *b, size_t bn)
{
    return an == bn && memcmp(a, b, an) == 0;
}

/* pprof's adjacent(): m2 continues m1 in the same file. */
static bool maps_adjacent(const text_mapping *m1, const text_mapping *m2)
{
    if (m1->file_len && m2->file_len &&
        !str_eq(m1->file, m1->file_len, m2->file, m2->file_len))
        return false;
    if (m1->build_id_len && m2->build_id_len &&
        !str_eq(m1->build_id, m1->build_id_len, m2->build_id,
                m2->build_id_len))
        return false;
    if (m1->limit != m2->start)
        return false;
    if (m1->offset && m2->offset &&
        m1->offset + (m1->limit - m1->start) != m2->offset)
        return false;
    return true;
}

/* pprof's guess at the main binary: a file name that is not a shared
 * library (libRx) and not "[vdso]"-like, after dropping "(deleted)". */
static int looks_like_main(const text_mapping *m, bool *out)
{
    static const char deleted[] = "(deleted)";
    const size_t dl = sizeof deleted - 1;
    char *f = malloc(m->file_len + 1);
    if (!f)
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < m->file_len;) {
        if (m->file_len - i >= dl && memcmp(m->file + i, deleted, dl) == 0) {
            i += dl;
            continue;
        }
        f[n++] = m->file[i++];
    }
    span t = trim_space((span){f, n});
    bool lib = false;
    for (size_t i = 0; i + 3 <= t.n && !lib; i++)
        lib = memcmp(t.s + i, ".so", 3) == 0 &&
              (i + 3 == t.n ||
               (i + 4 < t.n && (t.s[i + 3] == '.' || t.s[i + 3] == '_') &&
                is_digit((unsigned char)t.s[i + 4])));
    *out = t.n > 0 && !lib && t.s[0] != '[';
    free(f);
    return 0;
}

/* pprof's massageMappings and the first half of remapMappingIDs. */
static int massage_mappings(dec *d)
{
    if (d->n_maps > 1) {
        size_t kept = 1;
        for (size_t i = 1; i < d->n_maps; i++) {
            text_mapping *lm = &d->maps[kept - 1], *m = &d->maps[i];
            if (!maps_adjacent(lm, m)) {
                d->maps[kept++] = *m;
                continue;
            }
            lm->limit = m->limit;
            if (m->file_len) {
                lm->file = m->file;
                lm->file_len = m->file_len;
            }
            if (m->build_id_len) {
                lm->build_id = m->build_id;
                lm->build_id_len = m->build_id_len;
            }
        }
        d->n_maps = kept;
    }
    for (size_t i = 0; i < d->n_maps; i++) {
        bool is_main = false;
        int rc = looks_like_main(&d->maps[i], &is_main);
        if (rc)
            return rc;
        if (is_main) {
            text_mapping tmp = d->maps[0];
            d->maps[0] = d->maps[i];
            d->maps[i] = tmp;
            break;
        }
    }
    static const char hp[] = "/anon_hugepage";
    if (d->n_maps > 1 && d->maps[0].file_len >= sizeof hp - 1 &&
        memcmp(d->maps[0].file, hp, sizeof hp - 1) == 0 &&
        d->maps[0].limit == d->maps[1].start) {
        memmove(d->maps, d->maps + 1, (d->n_maps - 1) * sizeof *d->maps);
        d->n_maps--;
    }
    if (d->n_maps > 0 && d->maps[0].start - d->maps[0].offset == 0x400000) {
        d->maps[0].start = 0x400000;
        d->maps[0].offset = 0;
    }
    return 0;
}

/*
 * pprof's remapMappingIDs: the mapping index + 1 for address a, 0 for none.
 * Fixes up a mapping whose leading part the handler failed to list, and
 * otherwise falls back to one catch-all mapping added on first need (later
 * addresses then find it in the first loop, as in pprof).
 */
static int mapping_for(dec *d, uint64_t a, size_t *out)
{
    *out = 0;
    if (a == 0)
        return 0;
    for (size_t i = 0; i < d->n_maps; i++)
        if (d->maps[i].start <= a && a < d->maps[i].limit) {
            *out = i + 1;
            return 0;
        }
    for (size_t i = 0; i < d->n_maps; i++) {
        text_mapping *m = &d->maps[i];
        if (m->offset && m->start - m->offset <= a && a < m->start) {
            m->start -= m->offset;
            m->offset = 0;
            *out = i + 1;
            return 0;
        }
    }
    if (!d->fake) {
        int rc = grow(&d->maps, &d->cap_maps, d->n_maps + 1, sizeof *d->maps);
        if (rc)
            return rc;
        d->maps[d->n_maps++] = (text_mapping){0, UINT64_MAX, 0, "", "", 0, 0};
        d->fake = d->n_maps;
    }
    *out = d->fake;
    return 0;
}

/* --- assembly --- */

static int build_profile(dec *d, uint64_t period_us)
{
    profile *p = d->p;
    uint32_t *new_id = calloc(d->n_addrs + 1, sizeof *new_id);
    uint32_t *order = malloc((d->n_addrs + 1) * sizeof *order);
    size_t *loc_map = malloc((d->n_addrs + 1) * sizeof *loc_map);
    uint64_t *ids = NULL;
    int rc = 0;
    if (!new_id || !order || !loc_map) {
        rc = hearth_error_set(HEARTH_ENOMEM, "out of memory");
        goto out;
    }
    /* pprof's remapLocationIDs: keep the locations samples still use, in
     * order of first use. */
    size_t n_locs = 0;
    for (size_t i = 0; i < d->n_samples; i++) {
        const cpu_sample *s = &d->samples[i];
        for (uint32_t j = 0; j < s->n; j++) {
            uint32_t l = d->frames[s->first + j];
            if (!new_id[l]) {
                order[n_locs++] = l;
                new_id[l] = (uint32_t)n_locs;
            }
        }
    }
    if ((rc = massage_mappings(d)))
        goto out;
    for (size_t i = 0; i < n_locs; i++)
        if ((rc = mapping_for(d, d->addrs[order[i]], &loc_map[i])))
            goto out;
    strip_duplicate_leaves(d);

    int64_t period_ns = (int64_t)(period_us * 1000);
    if ((rc = profile_add_sample_type(p, "samples", "count")) < 0 ||
        (rc = profile_add_sample_type(p, "cpu", "nanoseconds")) < 0)
        goto out;
    p->period_type = p->sample_types[1];
    p->period = period_ns;
    p->drop_frames = profile_intern(p, "ProfileData::Add|ProfileData::"
                                       "prof_handler|CpuProfiler::prof_handler"
                                       "|__pthread_sighandler|__restore");
    if (p->drop_frames < 0) {
        rc = (int)p->drop_frames;
        goto out;
    }
    for (size_t i = 0; i < d->n_maps; i++) {
        const text_mapping *tm = &d->maps[i];
        profile_mapping m = {0};
        m.memory_start = tm->start;
        m.memory_limit = tm->limit;
        m.file_offset = tm->offset;
        m.filename = profile_intern_n(p, tm->file, tm->file_len);
        m.build_id = profile_intern_n(p, tm->build_id, tm->build_id_len);
        int64_t id = m.filename < 0 || m.build_id < 0
                         ? HEARTH_ENOMEM
                         : profile_add_mapping(p, &m);
        if (id < 0) {
            rc = (int)id;
            goto out;
        }
    }
    for (size_t i = 0; i < n_locs; i++) {
        int64_t id = profile_add_location(p, loc_map[i], d->addrs[order[i]],
                                          NULL, 0);
        if (id < 0) {
            rc = (int)id;
            goto out;
        }
    }
    size_t max_depth = 0;
    for (size_t i = 0; i < d->n_samples; i++)
        if (d->samples[i].n > max_depth)
            max_depth = d->samples[i].n;
    ids = malloc((max_depth + 1) * sizeof *ids);
    if (!ids) {
        rc = hearth_error_set(HEARTH_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < d->n_samples; i++) {
        const cpu_sample *s = &d->samples[i];
        for (uint32_t j = 0; j < s->n; j++)
            ids[j] = new_id[d->frames[s->first + j]];
        /* Go's int64 arithmetic wraps; do it in uint64 to stay defined. */
        int64_t v[2] = {(int64_t)s->count, (int64_t)(s->count * (uint64_t)period_ns)};
        if ((rc = profile_add_sample(p, ids, s->n, v, 2, NULL, 0)))
            goto out;
    }
    rc = profile_validate(p);
out:
    free(new_id);
    free(order);
    free(loc_map);
    free(ids);
    return rc < 0 ? rc : 0;
}

int legacy_cpu_read(profile **out, const uint8_t *buf, size_t len)
{
    dec d;
    memset(&d, 0, sizeof d);
    uint64_t period_us;
    if (!header_find(buf, len, &d.fmt, &period_us))
        return hearth_error_set(HEARTH_EFORMAT,
                                LC "no header 0, 3, 0, period, 0 in 32- or "
                                "64-bit words");
    if (len / 4 >= UINT32_MAX)
        return hearth_error_set(HEARTH_ELIMIT, LC "larger than 16 GiB");
    int rc = profile_create(&d.p);
    size_t text_at = 0;
    if (!rc)
        rc = read_samples(&d, buf, len, &text_at);
    if (!rc)
        strip_signal_frames(&d);
    if (!rc)
        rc = read_memory_map(&d, buf, len, text_at);
    if (!rc)
        rc = build_profile(&d, period_us);
    free(d.samples);
    free(d.frames);
    free(d.addrs);
    free(d.addr_tab);
    free(d.maps);
    if (rc) {
        profile_destroy(d.p);
        return rc;
    }
    *out = d.p;
    return 0;
}
