/*
 * What the report says: the findings and tables an on-call engineer pastes
 * into a ticket, computed from the loaded profiles. Leak suspects are the
 * stacks whose in-use bytes grew most between the base and the latest heap
 * profile; a stack is keyed by its frames from the allocation site (the
 * first frame outside the allocator) to the root, so libhearth's records
 * per size class and a stack's several malloc entry points merge. A
 * profile has at most some 10^5 distinct stacks; the tables keep one entry
 * per stack and sort once.
 */
#include "report.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../formats/error.h"
#include "../sampler/hearth.h"
#include "calltree.h"
#include "fetch.h"
#include "nodes.h"
#include "report_parts.h"
#include "units.h"

/* --- frames of a sample --- */

/* Allocator entry points and the runtime's allocation helpers: a stack's
 * "site" is the first frame below them. */
static bool is_allocator(const char *f)
{
    static const char *const exact[] = {
        "malloc", "calloc", "realloc", "reallocarray", "posix_memalign",
        "aligned_alloc", "memalign", "valloc", "pvalloc", "strdup", "strndup",
        "__strdup", "__strndup", "__libc_malloc", "__libc_calloc",
        "__libc_realloc", "__libc_memalign", "mmap", "mmap64",
        "runtime.mallocgc", "runtime.newobject", "runtime.newarray",
        "runtime.makeslice", "runtime.makeslicecopy", "runtime.growslice",
        "runtime.makemap", "runtime.makemap_small", "runtime.makechan",
        "runtime.rawstring", "runtime.rawstringtmp", "runtime.rawbyteslice",
        "runtime.rawruneslice", "runtime.slicebytetostring",
        "runtime.stringtoslicebyte", "runtime.concatstrings", "runtime.hashGrow",
    };
    static const char *const prefix[] = {
        "operator new", "hearth_", "std::allocator", "std::__new_allocator",
        "__gnu_cxx::new_allocator", "runtime.mapassign", "runtime.convT",
        "runtime.concatstring",
    };
    for (size_t i = 0; i < sizeof exact / sizeof *exact; i++)
        if (!strcmp(f, exact[i]))
            return true;
    for (size_t i = 0; i < sizeof prefix / sizeof *prefix; i++)
        if (!strncmp(f, prefix[i], strlen(prefix[i])))
            return true;
    return false;
}

/* A sample's frames, leaf first, inlined frames expanded: names in one
 * buffer (NUL-separated), with the file and line of each. */
typedef struct frames {
    strbuf names;
    strbuf one;          /* calltree_frame_name's output, then appended */
    size_t *off;
    const char **file;
    int64_t *line;
    size_t n, cap;
} frames;

static int frames_load(frames *fr, const profile *p, const profile_sample *s)
{
    fr->names.len = 0;
    fr->n = 0;
    for (uint32_t i = 0; i < s->n_locations; i++) {
        const profile_location *loc = profile_location_find(p, s->location_ids[i]);
        if (!loc)
            continue;
        uint32_t nl = loc->n_lines ? loc->n_lines : 1;
        for (uint32_t k = 0; k < nl; k++) {
            if (fr->n == fr->cap) {
                size_t cap = fr->cap ? fr->cap * 2 : 64;
                size_t *o = realloc(fr->off, cap * sizeof *o);
                if (o)
                    fr->off = o;
                const char **f = realloc(fr->file, cap * sizeof *f);
                if (f)
                    fr->file = f;
                int64_t *l = realloc(fr->line, cap * sizeof *l);
                if (l)
                    fr->line = l;
                if (!o || !f || !l)
                    return hearth_error_set(HEARTH_ENOMEM, "out of memory");
                fr->cap = cap;
            }
            const profile_line *line = loc->n_lines ? &loc->lines[k] : NULL;
            const profile_function *fn = line ? profile_function_find(p, line->function_id) : NULL;
            fr->off[fr->n] = fr->names.len;
            calltree_frame_name(&fr->one, p, loc, line, GRAN_FUNCTIONS);
            strbuf_append(&fr->names, fr->one.buf ? fr->one.buf : "", fr->one.len);
            strbuf_putc(&fr->names, 0);
            fr->file[fr->n] = fn ? profile_str(p, fn->filename) : "";
            fr->line[fr->n] = line ? line->line : 0;
            fr->n++;
        }
    }
    return fr->names.oom || fr->one.oom ? hearth_error_set(HEARTH_ENOMEM, "out of memory") : 0;
}

static const char *frame_name(const frames *fr, size_t i)
{
    return fr->names.buf + fr->off[i];
}

/* Where a thread waits: the Go scheduler's and libc's blocking calls. A
 * thread group is named by the first frame below them (the code that
 * chose to wait), not by runtime.gopark or pthread_cond_wait. */
static bool is_wait(const char *f)
{
    static const char *const prefix[] = {
        "runtime.", "internal/poll.", "__", "pthread_cond_", "pthread_join", "sem_",
        "futex", "syscall", "epoll_", "poll", "ppoll", "select", "pselect",
        "nanosleep", "clock_nanosleep", "usleep", "sleep", "read", "recv", "accept",
        "wait", "sigwait", "sigsuspend", "pause",
    };
    for (size_t i = 0; i < sizeof prefix / sizeof *prefix; i++)
        if (!strncmp(f, prefix[i], strlen(prefix[i])))
            return true;
    return false;
}

/* The first frame (leaf first) that skip does not match; 0 when all do. */
static size_t frames_first_not(const frames *fr, bool (*skip)(const char *))
{
    for (size_t i = 0; i < fr->n; i++)
        if (!skip(frame_name(fr, i)))
            return i;
    return 0;
}

static void frames_fini(frames *fr)
{
    strbuf_fini(&fr->names);
    strbuf_fini(&fr->one);
    free(fr->off);
    free(fr->file);
    free(fr->line);
}

/* --- stacks aggregated by key --- */

typedef struct agg_entry {
    char *key;           /* frames from the site to the root, '\x1f'-joined */
    char *site, *where, *stack;
    char *labels;        /* distinct "key=value" labels, for thread groups */
    int64_t now, base, objects;
} agg_entry;

typedef struct agg {
    agg_entry *e;
    size_t n, cap;
    uint32_t *slots;     /* open addressing: entry index + 1 */
    size_t n_slots;
} agg;

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static agg_entry *agg_get(agg *a, const char *key, bool *fresh)
{
    if ((a->n + 1) * 2 > a->n_slots) {
        size_t ns = a->n_slots ? a->n_slots * 2 : 256;
        uint32_t *sl = calloc(ns, sizeof *sl);
        if (!sl)
            return NULL;
        for (size_t i = 0; i < a->n; i++) {
            size_t h = hash_str(a->e[i].key) & (ns - 1);
            while (sl[h])
                h = (h + 1) & (ns - 1);
            sl[h] = (uint32_t)i + 1;
        }
        free(a->slots);
        a->slots = sl;
        a->n_slots = ns;
    }
    size_t h = hash_str(key) & (a->n_slots - 1);
    while (a->slots[h]) {
        agg_entry *e = &a->e[a->slots[h] - 1];
        if (!strcmp(e->key, key)) {
            *fresh = false;
            return e;
        }
        h = (h + 1) & (a->n_slots - 1);
    }
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 128;
        agg_entry *ne = realloc(a->e, cap * sizeof *ne);
        if (!ne)
            return NULL;
        a->e = ne;
        a->cap = cap;
    }
    agg_entry *e = &a->e[a->n];
    memset(e, 0, sizeof *e);
    e->key = strdup(key);
    if (!e->key)
        return NULL;
    a->slots[h] = (uint32_t)++a->n;
    *fresh = true;
    return e;
}

static void agg_fini(agg *a)
{
    for (size_t i = 0; i < a->n; i++) {
        free(a->e[i].key);
        free(a->e[i].site);
        free(a->e[i].where);
        free(a->e[i].stack);
        free(a->e[i].labels);
    }
    free(a->e);
    free(a->slots);
    memset(a, 0, sizeof *a);
}

/* How a stack is grouped. */
typedef enum agg_by { BY_STACK_FROM_SITE, BY_SITE, BY_WHOLE_STACK } agg_by;

/* At most this many callers are listed in a table's stack column. */
#define STACK_SHOWN 8

/* Sums that saturate: values come from untrusted files. */
static int64_t sat_add(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

static int64_t sat_sub(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_sub_overflow(a, b, &r))
        return b < 0 ? INT64_MAX : INT64_MIN;
    return r;
}

/* Fills a fresh entry's site, its file:line, and its callers from the
 * frames of the sample that created it. Returns 0 or HEARTH_ENOMEM. */
static int entry_describe(agg_entry *e, const frames *fr, size_t site, strbuf *tmp)
{
    if (site >= fr->n) {
        e->site = strdup("(no frames)");
        e->where = strdup("");
        e->stack = strdup("");
    } else {
        e->site = strdup(frame_name(fr, site));
        tmp->len = 0;
        if (*fr->file[site]) {
            strbuf_puts(tmp, fr->file[site]);
            if (fr->line[site] > 0)
                strbuf_printf(tmp, ":%" PRId64, fr->line[site]);
        }
        strbuf_putc(tmp, 0);
        e->where = tmp->oom ? NULL : strdup(tmp->buf);
        tmp->len = 0;
        for (size_t i = site + 1; i < fr->n && i <= site + STACK_SHOWN; i++) {
            if (i > site + 1)
                strbuf_puts(tmp, " < ");
            strbuf_puts(tmp, frame_name(fr, i));
        }
        if (fr->n > site + 1 + STACK_SHOWN)
            strbuf_puts(tmp, " < ...");
        strbuf_putc(tmp, 0);
        e->stack = tmp->oom ? NULL : strdup(tmp->buf);
    }
    return e->site && e->where && e->stack ? 0 : hearth_error_set(HEARTH_ENOMEM, "out of memory");
}

/* Adds a sample's string labels ("key=value") to a thread group's list,
 * each once, until the list passes 200 bytes. */
static int entry_add_labels(agg_entry *e, const profile *p, const profile_sample *smp, strbuf *tmp)
{
    for (uint32_t l = 0; l < smp->n_labels; l++) {
        if (!smp->labels[l].str)
            continue;
        tmp->len = 0;
        strbuf_printf(tmp, "%s=%s", profile_str(p, smp->labels[l].key),
                      profile_str(p, smp->labels[l].str));
        strbuf_putc(tmp, 0);
        if (tmp->oom)
            return hearth_error_set(HEARTH_ENOMEM, "out of memory");
        if (e->labels && (strstr(e->labels, tmp->buf) || strlen(e->labels) > 200))
            continue;
        size_t n = (e->labels ? strlen(e->labels) : 0) + strlen(tmp->buf) + 3;
        char *nl = malloc(n);
        if (!nl)
            return hearth_error_set(HEARTH_ENOMEM, "out of memory");
        snprintf(nl, n, "%s%s%s", e->labels ? e->labels : "", e->labels ? ", " : "", tmp->buf);
        free(e->labels);
        e->labels = nl;
    }
    return 0;
}

/*
 * Adds the values at vi (and objects at oi, or -1) of every sample of p to
 * a: into ->base when base, else ->now. Stacks are keyed as by says: heap
 * stacks from their site (the first frame outside the allocator) to the
 * root, or the site alone; thread stacks whole, their "site" the first
 * frame outside the scheduler's and libc's waits.
 */
static int agg_add(agg *a, const profile *p, int vi, int oi, bool base, agg_by by)
{
    frames fr;
    memset(&fr, 0, sizeof fr);
    strbuf key, tmp;
    strbuf_init(&key);
    strbuf_init(&tmp);
    int rc = 0;
    for (size_t s = 0; s < p->n_samples && !rc; s++) {
        const profile_sample *smp = &p->samples[s];
        if ((rc = frames_load(&fr, p, smp)))
            break;
        size_t site = frames_first_not(&fr, by == BY_WHOLE_STACK ? is_wait : is_allocator);
        size_t first = by == BY_WHOLE_STACK ? 0 : site;
        size_t last = by == BY_SITE ? site + 1 : fr.n;
        key.len = 0;
        for (size_t i = first; i < last && i < fr.n; i++) {
            strbuf_puts(&key, frame_name(&fr, i));
            strbuf_putc(&key, '\x1f');
        }
        strbuf_putc(&key, 0);
        bool fresh;
        agg_entry *e = key.oom ? NULL : agg_get(a, key.buf, &fresh);
        if (!e) {
            rc = hearth_error_set(HEARTH_ENOMEM, "out of memory");
            break;
        }
        if (fresh && (rc = entry_describe(e, &fr, site, &tmp)))
            break;
        if (base)
            e->base = sat_add(e->base, smp->values[vi]);
        else {
            e->now = sat_add(e->now, smp->values[vi]);
            if (oi >= 0)
                e->objects = sat_add(e->objects, smp->values[oi]);
            if (by == BY_WHOLE_STACK)
                rc = entry_add_labels(e, p, smp, &tmp);
        }
    }
    strbuf_fini(&key);
    strbuf_fini(&tmp);
    frames_fini(&fr);
    return rc;
}

/* --- tables --- */

int report_table_init(report_table *t, const char *title, size_t n_cols,
                      const char *const *headers, const char *align, const char *empty)
{
    memset(t, 0, sizeof *t);
    t->title = strdup(title);
    t->n_cols = n_cols;
    t->headers = headers;
    t->align = align;
    t->empty = empty;
    return t->title ? 0 : hearth_error_set(HEARTH_ENOMEM, "out of memory");
}

int report_table_row(report_table *t, const char *const *cells)
{
    if (t->n_rows == t->cap_rows) {
        size_t cap = t->cap_rows ? t->cap_rows * 2 : 16;
        char **nc = realloc(t->cells, cap * t->n_cols * sizeof *nc);
        if (!nc)
            return hearth_error_set(HEARTH_ENOMEM, "out of memory");
        t->cells = nc;
        t->cap_rows = cap;
    }
    for (size_t c = 0; c < t->n_cols; c++) {
        char *d = strdup(cells[c] ? cells[c] : "");
        if (!d) {
            for (size_t k = 0; k < c; k++)
                free(t->cells[t->n_rows * t->n_cols + k]);
            return hearth_error_set(HEARTH_ENOMEM, "out of memory");
        }
        t->cells[t->n_rows * t->n_cols + c] = d;
    }
    t->n_rows++;
    return 0;
}

static report_table *doc_table(report_doc *doc)
{
    report_table *nt = realloc(doc->tables, (doc->n_tables + 1) * sizeof *nt);
    if (!nt)
        return NULL;
    doc->tables = nt;
    return &nt[doc->n_tables++];
}

int report_doc_verdict(report_doc *doc, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char **nv = realloc(doc->verdicts, (doc->n_verdicts + 1) * sizeof *nv);
    if (!nv)
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    doc->verdicts = nv;
    if (!(nv[doc->n_verdicts] = strdup(buf)))
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    doc->n_verdicts++;
    return 0;
}

/* "2026-11-26 12:00:00 UTC", or "unknown". */
static void fmt_time(char *buf, size_t n, int64_t ns)
{
    time_t t = (time_t)(ns / 1000000000);
    struct tm tm;
    if (ns <= 0 || !gmtime_r(&t, &tm) || !strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm))
        snprintf(buf, n, "unknown");
}

/* A time span for people: 850 ms, 42.0 s, 12.5 min, 3.25 h. */
static void fmt_span(char *buf, size_t n, int64_t ns)
{
    double s = (double)ns / 1e9;
    if (s < 1)
        snprintf(buf, n, "%.0f ms", s * 1e3);
    else if (s < 120)
        snprintf(buf, n, "%.1f s", s);
    else if (s < 3600)
        snprintf(buf, n, "%.1f min", s / 60);
    else
        snprintf(buf, n, "%.2f h", s / 3600);
}

static void fmt_signed(char *buf, size_t n, int64_t v, const char *unit)
{
    char h[40];
    units_human(h, sizeof h, v < 0 ? (v == INT64_MIN ? INT64_MAX : -v) : v, unit);
    snprintf(buf, n, "%s%s", v < 0 ? "-" : "+", h);
}

static void fmt_pct(char *buf, size_t n, double num, double den)
{
    if (den == 0)
        snprintf(buf, n, "n/a");
    else
        snprintf(buf, n, "%.1f%%", 100.0 * num / den);
}

/* Growth per hour of delta over dt_ns, or "n/a" without a time span. */
static void fmt_per_hour(char *buf, size_t n, int64_t delta, int64_t dt_ns, const char *unit)
{
    if (dt_ns <= 0) {
        snprintf(buf, n, "n/a");
        return;
    }
    double per_h = (double)delta * 3600e9 / (double)dt_ns;
    char h[48];
    fmt_signed(h, sizeof h, (int64_t)llround(fmax(fmin(per_h, 9e18), -9e18)), unit);
    snprintf(buf, n, "%s/h", h);
}

static int sample_index(const profile *p, const char *name)
{
    int i = profile_find_sample_index(p, name);
    return i >= 0 ? i : profile_default_sample_index(p);
}

static int64_t total_of(const profile *p, int vi)
{
    int64_t t = 0;
    for (size_t s = 0; s < p->n_samples; s++)
        t = sat_add(t, p->samples[s].values[vi]);
    return t;
}

/* --- sections --- */

static const profile_mapping *main_mapping(const profile *p)
{
    for (size_t i = 0; i < p->n_mappings; i++)
        if (*profile_str(p, p->mappings[i].filename))
            return &p->mappings[i];
    return NULL;
}

static int what_was_profiled(report_doc *doc, report_inputs *in)
{
    static const char *const hdr[] = {"Item", "Value"};
    report_table *t = doc_table(doc);
    if (!t || report_table_init(t, "What was profiled", 2, hdr, "ll", "nothing"))
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    const report_profile *ref = report_latest(in, REPORT_HEAP);
    for (int k = REPORT_HEAP; !ref && k <= REPORT_OTHER; k++)
        ref = report_latest(in, (report_kind)k);
    char buf[512];
    int rc = 0;
#define ROW(k, v) do { const char *c_[2] = {(k), (v)}; rc = rc ? rc : report_table_row(t, c_); } while (0)
    if (in->meta.cmdline)
        ROW("Command line", in->meta.cmdline);
    const profile_mapping *m = ref ? main_mapping(ref->p) : NULL;
    ROW("Binary", m ? profile_str(ref->p, m->filename) : "unknown");
    ROW("Build ID", m && *profile_str(ref->p, m->build_id) ? profile_str(ref->p, m->build_id) : "unknown");
    long pid = 0;
    for (size_t i = 0; i < in->n_profiles && !pid; i++)
        pid = in->profiles[i].pid;
    snprintf(buf, sizeof buf, "%ld", pid);
    ROW("PID", pid ? buf : "unknown");
    ROW("Host", in->meta.host ? in->meta.host : "unknown (not captured over HTTP)");
    if (in->meta.url)
        ROW("Captured from", in->meta.url);
    int64_t first = 0, last = 0;
    for (size_t i = 0; i < in->n_profiles; i++) {
        int64_t tn = in->profiles[i].time_ns;
        if (tn && (!first || tn < first))
            first = tn;
        if (tn > last)
            last = tn;
    }
    if (in->meta.time)
        ROW("Capture started", in->meta.time);
    fmt_time(buf, sizeof buf, last);
    ROW("Latest profile", buf);
    const report_profile *cpu = report_latest(in, REPORT_CPU);
    if (cpu && cpu->p->duration_nanos) {
        fmt_span(buf, sizeof buf, cpu->p->duration_nanos);
        ROW("CPU profile duration", buf);
    }
    if (last > first) {
        char a[64], b[64], d[64];
        fmt_time(a, sizeof a, first);
        fmt_time(b, sizeof b, last);
        fmt_span(d, sizeof d, sat_sub(last, first));
        snprintf(buf, sizeof buf, "%s (%s to %s)", d, a, b);
        ROW("Profiles span", buf);
    }
#undef ROW
    if (rc)
        return rc;

    static const char *const ihdr[] = {"File", "Kind", "Time", "Samples"};
    report_table *ti = doc_table(doc);
    if (!ti || report_table_init(ti, "Inputs", 4, ihdr, "llll", "no profiles"))
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    for (size_t i = 0; i < in->n_profiles + in->n_base_extra && !rc; i++) {
        const report_profile *r = i < in->n_profiles ? &in->profiles[i]
                                                     : &in->base_extra[i - in->n_profiles];
        char when[64], ns[32], kind[48];
        fmt_time(when, sizeof when, r->time_ns);
        snprintf(ns, sizeof ns, "%zu", r->p->n_samples);
        snprintf(kind, sizeof kind, "%s%s", report_kind_name(r->kind),
                 i >= in->n_profiles ? " (base)" : "");
        const char *c[4] = {r->name, kind, when, ns};
        rc = report_table_row(ti, c);
    }
    for (size_t i = 0; i < in->n_timelines && !rc; i++) {
        char *shown = fetch_shown_name(in->timelines[i]);
        const char *c[4] = {shown, "timeline", "", ""};
        rc = shown ? report_table_row(ti, c) : hearth_error_set(HEARTH_ENOMEM, "out of memory");
        free(shown);
    }
    return rc;
}

static int cmp_grew(const void *a, const void *b)
{
    const agg_entry *x = *(agg_entry *const *)a, *y = *(agg_entry *const *)b;
    int64_t dx = sat_sub(x->now, x->base), dy = sat_sub(y->now, y->base);
    if (dx != dy)
        return dx > dy ? -1 : 1;
    return strcmp(x->key, y->key);
}

static int cmp_now(const void *a, const void *b)
{
    const agg_entry *x = *(agg_entry *const *)a, *y = *(agg_entry *const *)b;
    if (x->now != y->now)
        return x->now > y->now ? -1 : 1;
    return strcmp(x->key, y->key);
}

/* Entries of a sorted by cmp, as pointers (free the array). */
static agg_entry **sorted(agg *a, int (*cmp)(const void *, const void *))
{
    agg_entry **v = malloc((a->n ? a->n : 1) * sizeof *v);
    if (!v)
        return NULL;
    for (size_t i = 0; i < a->n; i++)
        v[i] = &a->e[i];
    qsort(v, a->n, sizeof *v, cmp);
    return v;
}

static int heap_sections(report_doc *doc, report_inputs *in, const report_options *o)
{
    report_profile *latest = report_latest(in, REPORT_HEAP);
    report_profile *base = in->base_heap ? in->base_heap : report_earliest(in, REPORT_HEAP);
    int rc = 0;
    agg sites, stacks;
    memset(&sites, 0, sizeof sites);
    memset(&stacks, 0, sizeof stacks);
    agg_entry **v = NULL;
    char a[64], b[64], c[64], d[64], e[64];
    if (!latest)
        return 0;
    const profile *p = latest->p;
    int si = sample_index(p, "inuse_space"), oi = profile_find_sample_index(p, "inuse_objects");
    const char *unit = profile_str(p, p->sample_types[si].unit);
    int64_t total = total_of(p, si);

    if (base) {
        const profile *bp = base->p;
        int bsi = sample_index(bp, "inuse_space");
        int64_t btotal = total_of(bp, bsi), dt = sat_sub(latest->time_ns, base->time_ns);
        if ((rc = agg_add(&stacks, p, si, -1, false, BY_STACK_FROM_SITE)) ||
            (rc = agg_add(&stacks, bp, bsi, -1, true, BY_STACK_FROM_SITE)))
            goto out;
        units_human(a, sizeof a, btotal, unit);
        units_human(b, sizeof b, total, unit);
        fmt_signed(c, sizeof c, sat_sub(total, btotal), unit);
        fmt_per_hour(d, sizeof d, sat_sub(total, btotal), dt, unit);
        fmt_span(e, sizeof e, dt);
        if ((rc = report_doc_verdict(doc, "In-use heap went from %s to %s (%s) in %s between %s and %s: %s.",
                              a, b, c, dt > 0 ? e : "an unknown time", base->name, latest->name, d)))
            goto out;
        static const char *const hdr[] = {"#", "Allocation site", "Location", "Grew by",
                                          "Growth", "Per hour", "In use now", "Called from"};
        report_table *t = doc_table(doc);
        if (!t || report_table_init(t, "Leak suspects", 8, hdr, "rllrrrrl",
                                    "no stack's in-use bytes grew"))
            return hearth_error_set(HEARTH_ENOMEM, "out of memory");
        if (!(v = sorted(&stacks, cmp_grew)))
            goto oom;
        char note[512];
        snprintf(note, sizeof note, "Stacks whose in-use bytes grew most from %s to %s; "
                 "growth is against the stack's own bytes in the base profile.",
                 base->name, latest->name);
        if (!(t->note = strdup(note)))
            goto oom;
        int64_t grew_total = 0;
        for (size_t i = 0; i < stacks.n; i++)
            if (v[i]->now > v[i]->base)
                grew_total = sat_add(grew_total, sat_sub(v[i]->now, v[i]->base));
        for (size_t i = 0; i < stacks.n && i < o->top_n && !rc; i++) {
            agg_entry *x = v[i];
            int64_t g = sat_sub(x->now, x->base);
            if (g <= 0)
                break;
            char rank[24], grew[64], pct[64], per[64], now[64];
            snprintf(rank, sizeof rank, "%zu", i + 1);
            fmt_signed(grew, sizeof grew, g, unit);
            if (x->base > 0)
                snprintf(pct, sizeof pct, "+%.0f%%", 100.0 * (double)g / (double)x->base);
            else
                snprintf(pct, sizeof pct, "new");
            fmt_per_hour(per, sizeof per, g, dt, unit);
            units_human(now, sizeof now, x->now, unit);
            const char *cells[8] = {rank, x->site, x->where, grew, pct, per, now, x->stack};
            rc = report_table_row(t, cells);
            if (!rc && i == 0) {
                char share[32];
                fmt_pct(share, sizeof share, (double)g, (double)grew_total);
                rc = report_doc_verdict(doc, "Top leak suspect: %s%s%s%s grew by %s (%s of all growth), %s.",
                                 x->site, *x->where ? " (" : "", x->where, *x->where ? ")" : "",
                                 grew, share, per);
            }
        }
        free(v);
        v = NULL;
        if (rc)
            goto out;
    } else if ((rc = report_doc_verdict(doc, "One heap profile only (%s): give two, or --base, to see what grew.",
                                 latest->name)))
        goto out;

    static const char *const shdr[] = {"#", "Allocation site", "Location", "In use", "Share", "Objects"};
    report_table *t = doc_table(doc);
    if (!t || report_table_init(t, "Top in-use heap sites", 6, shdr, "rllrrr", "no memory in use"))
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    char note[300];
    snprintf(note, sizeof note, "In %s, by the first frame outside the allocator.", latest->name);
    if (!(t->note = strdup(note)))
        goto oom;
    if ((rc = agg_add(&sites, p, si, oi, false, BY_SITE)))
        goto out;
    if (!(v = sorted(&sites, cmp_now)))
        goto oom;
    for (size_t i = 0; i < sites.n && i < o->top_n && !rc; i++) {
        agg_entry *x = v[i];
        if (x->now <= 0)
            break;
        char rank[24], objs[32];
        snprintf(rank, sizeof rank, "%zu", i + 1);
        units_human(a, sizeof a, x->now, unit);
        fmt_pct(b, sizeof b, (double)x->now, (double)total);
        snprintf(objs, sizeof objs, "%" PRId64, x->objects);
        const char *cells[6] = {rank, x->site, x->where, a, b, oi >= 0 ? objs : ""};
        rc = report_table_row(t, cells);
    }
    goto out;
oom:
    rc = hearth_error_set(HEARTH_ENOMEM, "out of memory");
out:
    free(v);
    agg_fini(&sites);
    agg_fini(&stacks);
    return rc;
}

/* pprof's orders of `-top` and `-top -cum`: flat (or cum) first, then the
 * other, then the name. qsort has no context argument; the report runs on
 * one thread. */
static const graph_node *cmp_nodes_base;
static int cmp_nodes(const graph_node *x, const graph_node *y, bool cum)
{
    int64_t xa = cum ? x->cum : x->flat, ya = cum ? y->cum : y->flat;
    int64_t xb = cum ? x->flat : x->cum, yb = cum ? y->flat : y->cum;
    if (xa != ya)
        return xa > ya ? -1 : 1;
    if (xb != yb)
        return xb > yb ? -1 : 1;
    return strcmp(x->name, y->name);
}
static int cmp_flat(const void *a, const void *b)
{
    return cmp_nodes(&cmp_nodes_base[*(const uint32_t *)a], &cmp_nodes_base[*(const uint32_t *)b], false);
}
static int cmp_cum(const void *a, const void *b)
{
    return cmp_nodes(&cmp_nodes_base[*(const uint32_t *)a], &cmp_nodes_base[*(const uint32_t *)b], true);
}

/* One table of the CPU profile's functions in idx's order; the first row
 * becomes a finding when verdict. */
static int cpu_table(report_doc *doc, const report_profile *cpu, const char *title,
                     const char *note, const graph_node *nodes, const uint32_t *idx, size_t n,
                     int64_t total, const char *unit, size_t top_n, bool verdict)
{
    static const char *const hdr[] = {"#", "Function", "Flat", "Flat%", "Cum", "Cum%"};
    report_table *t = doc_table(doc);
    if (!t || report_table_init(t, title, 6, hdr, "rlrrrr", "no CPU samples") ||
        !(t->note = strdup(note)))
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    int rc = 0;
    for (size_t i = 0, rows = 0; i < n && rows < top_n && !rc; i++) {
        const graph_node *x = &nodes[idx[i]];
        if (!x->flat && !x->cum)
            continue;
        char rank[24], a[64], b[64], c[64], d[64];
        snprintf(rank, sizeof rank, "%zu", ++rows);
        units_human(a, sizeof a, x->flat, unit);
        fmt_pct(b, sizeof b, (double)x->flat, (double)total);
        units_human(c, sizeof c, x->cum, unit);
        fmt_pct(d, sizeof d, (double)x->cum, (double)total);
        const char *cells[6] = {rank, x->name, a, b, c, d};
        rc = report_table_row(t, cells);
        if (!rc && rows == 1 && verdict)
            rc = report_doc_verdict(doc, "CPU: %s takes the most time itself (%s flat, %s of %s).",
                                    x->name, a, b, cpu->name);
    }
    return rc;
}

/* The top functions of the latest CPU profile by flat and by cum, as
 * `go tool pprof -top` and `-top -cum` list them. */
static int cpu_section(report_doc *doc, report_inputs *in, const report_options *o)
{
    report_profile *cpu = report_latest(in, REPORT_CPU);
    if (!cpu)
        return 0;
    const profile *p = cpu->p;
    int si = profile_default_sample_index(p);
    node_graph *g;
    int rc = node_graph_build(&g, p, si, GRAN_FUNCTIONS);
    if (rc)
        return rc;
    size_t n = node_graph_count(g);
    const graph_node *nodes = node_graph_nodes(g);
    int64_t total = node_graph_total(g);
    const char *unit = profile_str(p, p->sample_types[si].unit);
    uint32_t *idx = malloc((n ? n : 1) * sizeof *idx);
    if (!idx) {
        node_graph_destroy(g);
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    }
    char note[300], tot[64];
    units_human(tot, sizeof tot, total, unit);
    for (size_t i = 0; i < n; i++)
        idx[i] = (uint32_t)i;
    cmp_nodes_base = nodes;
    qsort(idx, n, sizeof *idx, cmp_flat);
    snprintf(note, sizeof note, "In %s (total %s): flat is time in the function itself, "
             "cum includes what it calls.", cpu->name, tot);
    rc = cpu_table(doc, cpu, "Top CPU functions", note, nodes, idx, n, total, unit, o->top_n, true);
    if (!rc) {
        qsort(idx, n, sizeof *idx, cmp_cum);
        snprintf(note, sizeof note, "In %s, by cum: the callers the time goes through.", cpu->name);
        rc = cpu_table(doc, cpu, "Top CPU functions by cumulative time", note, nodes, idx, n,
                       total, unit, o->top_n, false);
    }
    free(idx);
    node_graph_destroy(g);
    return rc;
}

static int thread_section(report_doc *doc, report_inputs *in, const report_options *o)
{
    report_profile *now = report_latest(in, REPORT_GOROUTINE);
    report_profile *base = in->base_threads ? in->base_threads : report_earliest(in, REPORT_GOROUTINE);
    report_profile *tc = report_latest(in, REPORT_THREADCREATE);
    int rc = 0;
    if (tc && (rc = report_doc_verdict(doc, "Threads created over the process's life: %" PRId64 " (%s).",
                                total_of(tc->p, 0), tc->name)))
        return rc;
    if (!now)
        return 0;
    agg groups;
    memset(&groups, 0, sizeof groups);
    agg_entry **v = NULL;
    if ((rc = agg_add(&groups, now->p, 0, -1, false, BY_WHOLE_STACK)) ||
        (base && (rc = agg_add(&groups, base->p, 0, -1, true, BY_WHOLE_STACK))))
        goto out;
    int64_t tn = total_of(now->p, 0), tb = base ? total_of(base->p, 0) : 0;
    if (!(v = sorted(&groups, cmp_now))) {
        rc = hearth_error_set(HEARTH_ENOMEM, "out of memory");
        goto out;
    }
    if (base && groups.n && v[0]->now > v[0]->base)
        rc = report_doc_verdict(doc, "Threads: %" PRId64 " in %s, %" PRId64 " in %s (%+" PRId64 "); "
                         "the largest group, in %s, went from %" PRId64 " to %" PRId64 ".",
                         tb, base->name, tn, now->name, sat_sub(tn, tb), v[0]->site, v[0]->base, v[0]->now);
    else if (base)
        rc = report_doc_verdict(doc, "Threads: %" PRId64 " in %s, %" PRId64 " in %s (%+" PRId64 ").",
                         tb, base->name, tn, now->name, tn - tb);
    else
        rc = report_doc_verdict(doc, "Threads: %" PRId64 " in %s; the largest group of identical stacks "
                         "has %" PRId64 " (%s).", tn, now->name, groups.n ? v[0]->now : 0,
                         groups.n ? v[0]->site : "none");
    if (rc)
        goto out;
    static const char *const hdr[] = {"Threads", "Change", "Names and labels", "Waiting in",
                                      "Called from"};
    report_table *t = doc_table(doc);
    if (!t || report_table_init(t, "Largest groups of identical thread stacks", 5, hdr, "rrlll",
                                "no threads")) {
        rc = hearth_error_set(HEARTH_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < groups.n && i < o->top_n && !rc; i++) {
        agg_entry *x = v[i];
        if (x->now <= 0)
            break;
        char cnt[32], chg[32];
        snprintf(cnt, sizeof cnt, "%" PRId64, x->now);
        if (base)
            snprintf(chg, sizeof chg, "%+" PRId64, sat_sub(x->now, x->base));
        else
            snprintf(chg, sizeof chg, "n/a");
        const char *cells[5] = {cnt, chg, x->labels ? x->labels : "", x->site, x->stack};
        rc = report_table_row(t, cells);
    }
out:
    free(v);
    agg_fini(&groups);
    return rc;
}

int report_analyze(report_doc *doc, report_inputs *in, const report_options *o)
{
    char when[64], gen[128];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    fmt_time(when, sizeof when, (int64_t)ts.tv_sec * 1000000000);
    snprintf(gen, sizeof gen, "hearth %d.%d.%d, %s", HEARTH_VERSION_MAJOR, HEARTH_VERSION_MINOR,
             HEARTH_VERSION_PATCH, when);
    const char *who = in->meta.cmdline ? in->meta.cmdline : NULL;
    char title[512];
    if (who)
        snprintf(title, sizeof title, "Incident report: %s", who);
    else
        snprintf(title, sizeof title, "Incident report");
    if (!(doc->title = strdup(title)) || !(doc->generated = strdup(gen)))
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    int rc;
    if ((rc = what_was_profiled(doc, in)) || (rc = heap_sections(doc, in, o)) ||
        (rc = cpu_section(doc, in, o)) || (rc = thread_section(doc, in, o)))
        return rc;
    return 0;
}

void report_doc_fini(report_doc *doc)
{
    free(doc->title);
    free(doc->generated);
    for (size_t i = 0; i < doc->n_verdicts; i++)
        free(doc->verdicts[i]);
    free(doc->verdicts);
    for (size_t i = 0; i < doc->n_tables; i++) {
        report_table *t = &doc->tables[i];
        for (size_t k = 0; k < t->n_rows * t->n_cols; k++)
            free(t->cells[k]);
        free(t->cells);
        free(t->title);
        free(t->note);
    }
    free(doc->tables);
    for (size_t i = 0; i < doc->n_charts; i++) {
        report_chart *c = &doc->charts[i];
        free(c->file);
        free(c->title);
        free(c->caption);
        strbuf_fini(&c->svg);
        strbuf_fini(&c->png);
    }
    free(doc->charts);
    memset(doc, 0, sizeof *doc);
}
