/*
 * Folded stacks <-> profile. Reading interns each frame name once and maps
 * it to one function and one location, so a file of N lines with F distinct
 * frames costs O(total frames) and F locations; identical stacks (common in
 * concatenated perf output) merge into one sample through a hash of their
 * location ids. The line parser is a push parser over blocks of any size,
 * so `hearth flame` can stream a 150 MB file straight into its call tree
 * with ~1 MiB in memory; folded_read feeds it the whole buffer at once.
 * Writing sums identical stacks and sorts lines bytewise so that equal
 * profiles give equal files (golden tests depend on it).
 */
#include "folded.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "strbuf.h"

static uint64_t hash_mix(uint64_t h, uint64_t x)
{
    h ^= x + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h;
}

static uint64_t hash_str(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* --- reading into a profile: the model --- */

typedef struct fold_reader {
    profile *p;
    uint64_t *loc_of_str; /* string index -> location id (0 = none yet) */
    size_t loc_of_str_cap;
    uint32_t *stacks;     /* open addressing: sample index + 1 */
    size_t stacks_cap;
    uint64_t *frames;     /* scratch: the current line's location ids, leaf first */
    size_t frames_cap;
} fold_reader;

static uint64_t stack_hash(const uint64_t *ids, size_t n)
{
    uint64_t h = n;
    for (size_t i = 0; i < n; i++)
        h = hash_mix(h, ids[i]);
    return h;
}

static int stacks_grow(fold_reader *r)
{
    size_t cap = r->stacks_cap ? r->stacks_cap * 2 : 1024;
    uint32_t *t = calloc(cap, sizeof *t);
    if (!t)
        return HEARTH_ENOMEM;
    for (size_t i = 0; i < r->stacks_cap; i++) {
        if (!r->stacks[i])
            continue;
        const profile_sample *s = &r->p->samples[r->stacks[i] - 1];
        size_t h = stack_hash(s->location_ids, s->n_locations) & (cap - 1);
        while (t[h])
            h = (h + 1) & (cap - 1);
        t[h] = r->stacks[i];
    }
    free(r->stacks);
    r->stacks = t;
    r->stacks_cap = cap;
    return 0;
}

static int64_t frame_location(fold_reader *r, const char *name, size_t n)
{
    int64_t si = profile_intern_n(r->p, name, n);
    if (si < 0)
        return si;
    if ((size_t)si >= r->loc_of_str_cap) {
        size_t cap = r->loc_of_str_cap ? r->loc_of_str_cap : 256;
        while (cap <= (size_t)si)
            cap *= 2;
        uint64_t *t = realloc(r->loc_of_str, cap * sizeof *t);
        if (!t)
            return hearth_error_set(HEARTH_ENOMEM, "out of memory");
        memset(t + r->loc_of_str_cap, 0, (cap - r->loc_of_str_cap) * sizeof *t);
        r->loc_of_str = t;
        r->loc_of_str_cap = cap;
    }
    if (r->loc_of_str[si])
        return (int64_t)r->loc_of_str[si];
    int64_t fid = profile_function_intern(r->p, r->p->strings[si], NULL, "", 0);
    if (fid < 0)
        return fid;
    profile_line line = {(uint64_t)fid, 0, 0};
    int64_t lid = profile_add_location(r->p, 0, 0, &line, 1);
    if (lid < 0)
        return lid;
    r->loc_of_str[si] = (uint64_t)lid;
    return lid;
}

static int add_stack(fold_reader *r, size_t n, int64_t count, size_t lineno)
{
    profile *p = r->p;
    if ((p->n_samples + 1) * 2 > r->stacks_cap && stacks_grow(r))
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    size_t mask = r->stacks_cap - 1;
    size_t h = stack_hash(r->frames, n) & mask;
    while (r->stacks[h]) {
        profile_sample *s = &p->samples[r->stacks[h] - 1];
        if (s->n_locations == n &&
            memcmp(s->location_ids, r->frames, n * sizeof *r->frames) == 0) {
            if (s->values[0] > INT64_MAX - count)
                return hearth_error_set(HEARTH_EFORMAT,
                                        "line %zu: total count of this stack "
                                        "overflows 2^63-1", lineno);
            s->values[0] += count;
            return 0;
        }
        h = (h + 1) & mask;
    }
    int rc = profile_add_sample(p, r->frames, n, &count, 1, NULL, 0);
    if (rc)
        return rc;
    r->stacks[h] = (uint32_t)p->n_samples;
    return 0;
}

/* --- the line parser, shared by folded_read and streaming readers --- */

/* Parses "digits" into a positive int64. */
static int parse_count(const char *s, size_t n, int64_t *out)
{
    if (n == 0)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > ((uint64_t)INT64_MAX - d) / 10)
            return -2;
        v = v * 10 + d;
    }
    *out = (int64_t)v;
    return 0;
}

void folded_parser_init(folded_parser *fp, folded_line_fn fn, void *arg)
{
    memset(fp, 0, sizeof *fp);
    fp->fn = fn;
    fp->arg = arg;
}

void folded_parser_fini(folded_parser *fp)
{
    free(fp->carry);
    free(fp->frames);
    memset(fp, 0, sizeof *fp);
}

/* One line without its '\n': trims it, splits off the count, splits the
 * stack at ';' and calls back. */
static int parse_line(folded_parser *fp, const char *s, size_t n)
{
    size_t lineno = ++fp->lineno;
    if (memchr(s, '\0', n))
        return hearth_error_set(HEARTH_EFORMAT, "line %zu: NUL byte in text",
                                lineno);
    while (n && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    size_t start = 0;
    while (start < n && (s[start] == ' ' || s[start] == '\t'))
        start++;
    if (start == n)
        return 0; /* blank line */
    s += start;
    n -= start;
    size_t sp = n;
    while (sp > 0 && s[sp - 1] != ' ' && s[sp - 1] != '\t')
        sp--;
    int64_t count;
    if (sp == 0) {
        if (parse_count(s, n, &count) != -1)
            return hearth_error_set(HEARTH_EFORMAT,
                                    "line %zu: no stack before the count", lineno);
        return hearth_error_set(HEARTH_EFORMAT,
                                "line %zu: no count after the stack", lineno);
    }
    int rc = parse_count(s + sp, n - sp, &count);
    if (rc == -2)
        return hearth_error_set(HEARTH_EFORMAT,
                                "line %zu: count exceeds 2^63-1", lineno);
    if (rc)
        return hearth_error_set(HEARTH_EFORMAT,
                                "line %zu: \"%.*s\" is not a count "
                                "(a whole number)", lineno,
                                (int)(n - sp > 40 ? 40 : n - sp), s + sp);
    size_t stack_len = sp;
    while (stack_len && (s[stack_len - 1] == ' ' || s[stack_len - 1] == '\t'))
        stack_len--;
    if (stack_len == 0)
        return hearth_error_set(HEARTH_EFORMAT,
                                "line %zu: no stack before the count", lineno);
    size_t nframes = 0, begin = 0;
    for (;;) {
        const char *semi = memchr(s + begin, ';', stack_len - begin);
        size_t end = semi ? (size_t)(semi - s) : stack_len;
        if (nframes == fp->frames_cap) {
            size_t cap = fp->frames_cap ? fp->frames_cap * 2 : 64;
            folded_frame *f = realloc(fp->frames, cap * sizeof *f);
            if (!f)
                return hearth_error_set(HEARTH_ENOMEM, "out of memory");
            fp->frames = f;
            fp->frames_cap = cap;
        }
        fp->frames[nframes].name = s + begin;
        fp->frames[nframes++].len = end - begin;
        if (!semi)
            break;
        begin = end + 1;
    }
    return fp->fn(fp->arg, fp->frames, nframes, count, lineno);
}

static int carry_append(folded_parser *fp, const char *buf, size_t len)
{
    if (fp->carry_len + len > fp->carry_cap) {
        size_t cap = fp->carry_cap ? fp->carry_cap : 4096;
        while (cap < fp->carry_len + len)
            cap *= 2;
        char *c = realloc(fp->carry, cap);
        if (!c)
            return hearth_error_set(HEARTH_ENOMEM, "out of memory");
        fp->carry = c;
        fp->carry_cap = cap;
    }
    memcpy(fp->carry + fp->carry_len, buf, len);
    fp->carry_len += len;
    return 0;
}

int folded_parser_feed(folded_parser *fp, const char *buf, size_t len)
{
    size_t pos = 0;
    int rc;
    if (fp->carry_len) {
        const char *nl = memchr(buf, '\n', len);
        if (!nl)
            return carry_append(fp, buf, len);
        if ((rc = carry_append(fp, buf, (size_t)(nl - buf))))
            return rc;
        size_t n = fp->carry_len;
        fp->carry_len = 0;
        if ((rc = parse_line(fp, fp->carry, n)))
            return rc;
        pos = (size_t)(nl - buf) + 1;
    }
    while (pos < len) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        if (!nl)
            return carry_append(fp, buf + pos, len - pos);
        if ((rc = parse_line(fp, buf + pos, (size_t)(nl - buf) - pos)))
            return rc;
        pos = (size_t)(nl - buf) + 1;
    }
    return 0;
}

int folded_parser_finish(folded_parser *fp)
{
    if (!fp->carry_len)
        return 0;
    size_t n = fp->carry_len;
    fp->carry_len = 0;
    return parse_line(fp, fp->carry, n);
}

/* --- reading into a profile --- */

static int read_line(void *arg, const folded_frame *f, size_t n, int64_t count,
                     size_t lineno)
{
    fold_reader *r = arg;
    if (n > r->frames_cap) {
        size_t cap = n * 2;
        uint64_t *t = realloc(r->frames, cap * sizeof *t);
        if (!t)
            return hearth_error_set(HEARTH_ENOMEM, "out of memory");
        r->frames = t;
        r->frames_cap = cap;
    }
    /* Leaf first in the model; interned root first, as always. */
    for (size_t i = 0; i < n; i++) {
        int64_t lid = frame_location(r, f[i].name, f[i].len);
        if (lid < 0)
            return (int)lid;
        r->frames[n - 1 - i] = (uint64_t)lid;
    }
    return add_stack(r, n, count, lineno);
}

int folded_read(profile **out, const char *buf, size_t len)
{
    fold_reader r;
    folded_parser fp;
    memset(&r, 0, sizeof r);
    folded_parser_init(&fp, read_line, &r);
    int rc = profile_create(&r.p);
    if (rc)
        return rc;
    if (profile_add_sample_type(r.p, "samples", "count") < 0) {
        rc = HEARTH_ENOMEM;
        goto out;
    }
    if ((rc = folded_parser_feed(&fp, buf, len)) ||
        (rc = folded_parser_finish(&fp)))
        goto out;
    rc = profile_validate(r.p);
    if (!rc) {
        *out = r.p;
        r.p = NULL;
    }
out:
    folded_parser_fini(&fp);
    profile_destroy(r.p);
    free(r.loc_of_str);
    free(r.stacks);
    free(r.frames);
    return rc;
}

/* --- writing --- */

typedef struct fold_entry {
    char *stack;
    size_t len;
    int64_t value;
} fold_entry;

/* A name's ';' would read back as two frames (Rust's "<[u8; 32] as
 * Debug>::fmt"): written as ':', as flamegraph.pl's stackcollapse scripts
 * do; a line break would end the line. */
static void put_frame(strbuf *b, const char *name)
{
    for (const char *c = name; *c; c++)
        strbuf_putc(b, (*c == '\n' || *c == '\r') ? ' ' : *c == ';' ? ':' : *c);
}

/*
 * The reader drops white space around the stack, so a line written with
 * some would read back as another stack (a root frame "\r" written as " ",
 * say): drop it here too, so that write(read(text)) is a fixed point. A
 * first or last frame left empty is written as an empty name is,
 * "0x<address>". line holds at least one non-blank byte.
 */
static void trim_stack(strbuf *line, uint64_t root_address, uint64_t leaf_address)
{
    size_t lead = 0;
    while (line->buf[lead] == ' ' || line->buf[lead] == '\t')
        lead++;
    while (line->len > lead && (line->buf[line->len - 1] == ' ' ||
                                line->buf[line->len - 1] == '\t'))
        line->len--;
    if (lead) {
        memmove(line->buf, line->buf + lead, line->len - lead);
        line->len -= lead;
    }
    line->buf[line->len] = '\0';
    if (line->buf[0] == ';') {
        char head[24];
        int n = snprintf(head, sizeof head, "0x%" PRIx64, root_address);
        if (strbuf_reserve(line, (size_t)n))
            return;
        memmove(line->buf + n, line->buf, line->len + 1);
        memcpy(line->buf, head, (size_t)n);
        line->len += (size_t)n;
    }
    if (line->buf[line->len - 1] == ';')
        strbuf_printf(line, "0x%" PRIx64, leaf_address);
}

static int cmp_entry(const void *a, const void *b)
{
    const fold_entry *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->stack, y->stack, n);
    if (c)
        return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

int folded_write(char **out, size_t *out_len, const profile *p,
                 int sample_index)
{
    fold_entry *entries = NULL;
    size_t n_entries = 0, cap_entries = 0;
    uint32_t *table = NULL; /* entry index + 1 */
    size_t table_cap = 0;
    strbuf line, text;
    strbuf_init(&line);
    strbuf_init(&text);
    int rc = HEARTH_ENOMEM;

    for (size_t i = 0; i < p->n_samples; i++) {
        const profile_sample *s = &p->samples[i];
        if ((size_t)sample_index >= s->n_values || s->values[sample_index] == 0)
            continue;
        line.len = 0;
        for (size_t j = s->n_locations; j-- > 0;) {
            const profile_location *loc = profile_location_find(p, s->location_ids[j]);
            if (!loc)
                continue;
            if (loc->n_lines == 0) {
                if (line.len)
                    strbuf_putc(&line, ';');
                strbuf_printf(&line, "0x%" PRIx64, loc->address);
            }
            for (uint32_t k = loc->n_lines; k-- > 0;) {
                const profile_function *fn = profile_function_find(p, loc->lines[k].function_id);
                if (line.len)
                    strbuf_putc(&line, ';');
                const char *name = fn ? profile_str(p, fn->name) : "";
                if (*name)
                    put_frame(&line, name);
                else
                    strbuf_printf(&line, "0x%" PRIx64, loc->address);
            }
        }
        if (line.oom)
            goto out;
        /* A stack that is only white space would read back as a line
         * without a stack. */
        size_t nonblank = 0;
        for (size_t k = 0; k < line.len; k++)
            nonblank += line.buf[k] != ' ' && line.buf[k] != '\t';
        if (nonblank == 0) {
            line.len = 0;
            strbuf_puts(&line, "[unknown]");
        } else {
            const profile_location *root = profile_location_find(p, s->location_ids[s->n_locations - 1]);
            const profile_location *leaf = profile_location_find(p, s->location_ids[0]);
            trim_stack(&line, root ? root->address : 0, leaf ? leaf->address : 0);
            if (line.oom)
                goto out;
        }
        if ((n_entries + 1) * 2 > table_cap) {
            size_t nc = table_cap ? table_cap * 2 : 1024;
            uint32_t *t = calloc(nc, sizeof *t);
            if (!t)
                goto out;
            for (size_t e = 0; e < n_entries; e++) {
                size_t h = hash_str(entries[e].stack, entries[e].len) & (nc - 1);
                while (t[h])
                    h = (h + 1) & (nc - 1);
                t[h] = (uint32_t)e + 1;
            }
            free(table);
            table = t;
            table_cap = nc;
        }
        size_t h = hash_str(line.buf, line.len) & (table_cap - 1);
        while (table[h]) {
            fold_entry *e = &entries[table[h] - 1];
            if (e->len == line.len && memcmp(e->stack, line.buf, line.len) == 0)
                break;
            h = (h + 1) & (table_cap - 1);
        }
        if (table[h]) {
            /* Saturate rather than wrap: a folded count is an int64. */
            fold_entry *e = &entries[table[h] - 1];
            int64_t v = s->values[sample_index];
            if (__builtin_add_overflow(e->value, v, &e->value))
                e->value = v > 0 ? INT64_MAX : INT64_MIN;
            continue;
        }
        if (n_entries == cap_entries) {
            size_t nc = cap_entries ? cap_entries * 2 : 256;
            fold_entry *t = realloc(entries, nc * sizeof *t);
            if (!t)
                goto out;
            entries = t;
            cap_entries = nc;
        }
        char *copy = malloc(line.len + 1);
        if (!copy)
            goto out;
        memcpy(copy, line.buf, line.len + 1);
        entries[n_entries] = (fold_entry){copy, line.len, s->values[sample_index]};
        table[h] = (uint32_t)++n_entries;
    }
    if (n_entries) /* qsort(NULL, 0) is undefined */
        qsort(entries, n_entries, sizeof *entries, cmp_entry);
    for (size_t e = 0; e < n_entries; e++) {
        if (entries[e].value == 0)
            continue;
        strbuf_append(&text, entries[e].stack, entries[e].len);
        strbuf_printf(&text, " %" PRId64 "\n", entries[e].value);
    }
    if (text.oom)
        goto out;
    *out = strbuf_take(&text, out_len);
    rc = *out ? 0 : HEARTH_ENOMEM;
out:
    if (rc)
        hearth_error_set(rc, "out of memory");
    for (size_t e = 0; e < n_entries; e++)
        free(entries[e].stack);
    free(entries);
    free(table);
    strbuf_fini(&line);
    strbuf_fini(&text);
    return rc;
}
