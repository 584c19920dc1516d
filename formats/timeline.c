/*
 * hearth's timeline file: model, reader and the allocation-free line
 * writers libhearth uses. The file is append-only text, one record per
 * line, so a process killed mid-write loses at most its last line; the
 * reader ignores a last line without its newline for exactly that reason.
 * Columns are named in the header, so a reader of version 1 maps what it
 * knows by name and skips the rest, and files stay readable as columns are
 * added. A recording at 1 s ticks makes ~150 bytes a tick, 13 MB a day.
 */
#include "timeline.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

const timeline_column timeline_columns[TL_NCOLS] = {
    [TL_HEAP_BYTES] = {"heap_bytes", "bytes", "in-use heap: usable size of blocks allocated and not yet freed"},
    [TL_HEAP_OBJECTS] = {"heap_objects", "count", "blocks allocated and not yet freed"},
    [TL_ALLOC_BYTES] = {"alloc_bytes", "bytes", "cumulative bytes allocated"},
    [TL_ALLOC_OBJECTS] = {"alloc_objects", "count", "cumulative allocations"},
    [TL_FREE_BYTES] = {"free_bytes", "bytes", "cumulative bytes freed"},
    [TL_FREE_OBJECTS] = {"free_objects", "count", "cumulative frees"},
    [TL_RSS_BYTES] = {"rss_bytes", "bytes", "resident set size"},
    [TL_RSS_PEAK_BYTES] = {"rss_peak_bytes", "bytes", "peak resident set size"},
    [TL_THREADS] = {"threads", "count", "threads of the process"},
    [TL_FDS] = {"fds", "count", "open file descriptors"},
    [TL_CPU_USER_US] = {"cpu_user_us", "microseconds", "user CPU time of the process"},
    [TL_CPU_SYS_US] = {"cpu_sys_us", "microseconds", "system CPU time of the process"},
};

/* --- model --- */

int timeline_create(timeline **out, timeline_source source)
{
    timeline *t = calloc(1, sizeof *t);
    if (!t)
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    t->source = source;
    t->pid = t->ppid = -1;
    t->exe = "";
    arena_init(&t->mem);
    *out = t;
    return 0;
}

void timeline_destroy(timeline *t)
{
    if (!t)
        return;
    free(t->ticks);
    free(t->gcs);
    free(t->events);
    arena_fini(&t->mem);
    free(t);
}

/* Grows *arr (of *cap elements of size sz) to hold one more than n. */
static int grow(void **arr, size_t *cap, size_t n, size_t sz)
{
    if (n < *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 64;
    void *na = realloc(*arr, nc * sz);
    if (!na)
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    *arr = na;
    *cap = nc;
    return 0;
}

static int add_tick(timeline *t, const timeline_tick *k)
{
    if (grow((void **)&t->ticks, &t->cap_ticks, t->n_ticks, sizeof *t->ticks))
        return HEARTH_ENOMEM;
    t->ticks[t->n_ticks++] = *k;
    return 0;
}

int timeline_add_gc(timeline *t, const timeline_gc *gc, const char *kind, size_t kind_len)
{
    if (grow((void **)&t->gcs, &t->cap_gcs, t->n_gcs, sizeof *t->gcs))
        return HEARTH_ENOMEM;
    char *k = arena_strndup(&t->mem, kind, kind_len);
    if (!k)
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    timeline_gc *g = &t->gcs[t->n_gcs++];
    *g = *gc;
    g->kind = k;
    return 0;
}

int timeline_add_event(timeline *t, double t_s, const char *kind, const char *detail,
                       size_t line)
{
    if (grow((void **)&t->events, &t->cap_events, t->n_events, sizeof *t->events))
        return HEARTH_ENOMEM;
    char *k = arena_strndup(&t->mem, kind, strlen(kind));
    char *d = arena_strndup(&t->mem, detail, strlen(detail));
    if (!k || !d)
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    t->events[t->n_events++] = (timeline_event_rec){t_s, k, d, line};
    return 0;
}

/* --- writer helpers (no allocation, no stdio: they run inside the
 * service, on the ticker thread and in hearth_mark's caller) --- */

typedef struct lbuf {
    char *buf;
    size_t n, len;
    bool full;
} lbuf;

static void put(lbuf *o, const char *s, size_t k)
{
    if (o->full || o->len + k >= o->n) {
        o->full = true;
        return;
    }
    memcpy(o->buf + o->len, s, k);
    o->len += k;
}

static void puts_(lbuf *o, const char *s) { put(o, s, strlen(s)); }

static void put_u64(lbuf *o, uint64_t v)
{
    char tmp[24];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(o, tmp + i, sizeof tmp - i);
}

static void put_i64(lbuf *o, int64_t v)
{
    if (v < 0) {
        put(o, "-", 1); /* "-" alone: not measured */
        return;
    }
    put_u64(o, (uint64_t)v);
}

/* Seconds with microsecond resolution: "12.000250". */
static void put_seconds(lbuf *o, double s)
{
    if (!(s >= 0))
        s = 0;
    uint64_t us = (uint64_t)llround(s * 1e6);
    put_u64(o, us / 1000000);
    char frac[8];
    uint64_t f = us % 1000000;
    frac[0] = '.';
    for (int i = 6; i >= 1; i--, f /= 10)
        frac[i] = (char)('0' + f % 10);
    put(o, frac, 7);
}

/* Escapes what would break a line or a field. */
static void put_escaped(lbuf *o, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\\')
            put(o, "\\\\", 2);
        else if (c == '\t')
            put(o, "\\t", 2);
        else if (c == '\n')
            put(o, "\\n", 2);
        else if (c < 0x20 || c == 0x7f) {
            char e[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
            put(o, e, 4);
        } else
            put(o, (const char *)&c, 1);
    }
}

static size_t finish(lbuf *o)
{
    put(o, "\n", 1);
    return o->full ? 0 : o->len;
}

size_t timeline_format_header(char *buf, size_t n, int64_t pid, int64_t ppid,
                              int64_t start_unix_ns, double interval_s, const char *exe)
{
    lbuf o = {buf, n, 0, false};
    puts_(&o, TIMELINE_MAGIC "\t");
    put_u64(&o, TIMELINE_VERSION);
    puts_(&o, "\nprocess\tpid=");
    put_i64(&o, pid);
    puts_(&o, "\tppid=");
    put_i64(&o, ppid);
    puts_(&o, "\tstart_unix_ns=");
    put_i64(&o, start_unix_ns);
    puts_(&o, "\tinterval_s=");
    put_seconds(&o, interval_s);
    puts_(&o, "\texe=");
    put_escaped(&o, exe ? exe : "");
    puts_(&o, "\ncolumn\tt\tseconds\ttime since the recording started (a forked child keeps its parent's origin)\n");
    for (int i = 0; i < TL_NCOLS; i++) {
        puts_(&o, "column\t");
        puts_(&o, timeline_columns[i].name);
        put(&o, "\t", 1);
        puts_(&o, timeline_columns[i].unit);
        put(&o, "\t", 1);
        puts_(&o, timeline_columns[i].what);
        if (i + 1 < TL_NCOLS)
            put(&o, "\n", 1);
    }
    return finish(&o);
}

size_t timeline_format_tick(char *buf, size_t n, const timeline_tick *t)
{
    lbuf o = {buf, n, 0, false};
    puts_(&o, "tick\t");
    put_seconds(&o, t->t_s);
    for (int i = 0; i < TL_NCOLS; i++) {
        put(&o, "\t", 1);
        put_i64(&o, t->v[i]);
    }
    return finish(&o);
}

size_t timeline_format_event(char *buf, size_t n, double t_s, const char *kind,
                             const char *detail)
{
    lbuf o = {buf, n, 0, false};
    puts_(&o, "event\t");
    put_seconds(&o, t_s);
    put(&o, "\t", 1);
    put_escaped(&o, kind);
    put(&o, "\t", 1);
    put_escaped(&o, detail ? detail : "");
    return finish(&o);
}

/* --- reader --- */

/* Splits line[0..len) at tabs into at most max fields. Returns the count,
 * or max + 1 when there are more. */
static size_t split_tabs(const char *line, size_t len, const char **f, size_t *fl, size_t max)
{
    size_t k = 0, start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || line[i] == '\t') {
            if (k == max)
                return max + 1;
            f[k] = line + start;
            fl[k] = i - start;
            k++;
            start = i + 1;
        }
    }
    return k;
}

static bool field_is(const char *f, size_t n, const char *s)
{
    return strlen(s) == n && memcmp(f, s, n) == 0;
}

static int parse_i64(const char *f, size_t n, int64_t *out)
{
    if (n == 1 && f[0] == '-') {
        *out = -1;
        return 0;
    }
    if (n == 0 || n > 19)
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (f[i] < '0' || f[i] > '9')
            return -1;
        if (v > (INT64_MAX - (f[i] - '0')) / 10)
            return -1;
        v = v * 10 + (f[i] - '0');
    }
    *out = v;
    return 0;
}

static int parse_seconds(const char *f, size_t n, double *out)
{
    char tmp[40];
    if (n == 0 || n >= sizeof tmp)
        return -1;
    memcpy(tmp, f, n);
    tmp[n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (!((tmp[i] >= '0' && tmp[i] <= '9') || tmp[i] == '.'))
            return -1;
    char *end;
    errno = 0;
    double v = strtod(tmp, &end);
    if (errno || *end || !(v >= 0) || v > 1e12)
        return -1;
    *out = v;
    return 0;
}

/* Undoes put_escaped into the arena. */
static char *unescape(arena *a, const char *s, size_t n)
{
    char *d = arena_alloc(a, n + 1);
    if (!d)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\\' || i + 1 == n) {
            d[k++] = s[i];
            continue;
        }
        char c = s[++i];
        if (c == 't')
            d[k++] = '\t';
        else if (c == 'n')
            d[k++] = '\n';
        else if (c == 'x' && i + 2 < n) {
            char h[3] = {s[i + 1], s[i + 2], 0};
            char *e;
            long v = strtol(h, &e, 16);
            if (*e || v == 0) {
                d[k++] = '\\';
                d[k++] = 'x';
                continue;
            }
            d[k++] = (char)v;
            i += 2;
        } else
            d[k++] = c;
    }
    d[k] = '\0';
    return d;
}

#define MAX_FIELDS 256

static int read_hearth(timeline *t, const char *buf, size_t len)
{
    const char **f = malloc(MAX_FIELDS * sizeof *f);
    size_t *fl = malloc(MAX_FIELDS * sizeof *fl);
    /* map[i] = our column of the file's i-th value column, or -1. */
    int map[MAX_FIELDS];
    size_t n_cols = 0; /* value columns declared (after t) */
    bool have_t = false;
    int rc = 0;
    if (!f || !fl) {
        rc = hearth_error_set(HEARTH_ENOMEM, "out of memory");
        goto out;
    }
    size_t pos = 0, lineno = 0;
    while (pos < len) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        if (!nl) {
            /* A writer killed mid-line: everything before is whole. */
            t->truncated_last_line = true;
            break;
        }
        const char *line = buf + pos;
        size_t n = (size_t)(nl - line);
        pos += n + 1;
        lineno++;
        t->lines = lineno;
        if (n && line[n - 1] == '\r')
            n--;
        size_t k = split_tabs(line, n, f, fl, MAX_FIELDS);
        if (k > MAX_FIELDS) {
            rc = hearth_error_set(HEARTH_EFORMAT, "line %zu: more than %d fields", lineno, MAX_FIELDS);
            goto out;
        }
        if (lineno == 1) {
            int64_t v;
            if (k != 2 || !field_is(f[0], fl[0], TIMELINE_MAGIC) || parse_i64(f[1], fl[1], &v) || v < 1) {
                rc = hearth_error_set(HEARTH_EFORMAT, "line 1: not a hearth timeline header");
                goto out;
            }
            if (v > TIMELINE_VERSION) {
                rc = hearth_error_set(HEARTH_EFORMAT, "line 1: version %" PRId64 " is newer than this reader's (%d)",
                                      v, TIMELINE_VERSION);
                goto out;
            }
            continue;
        }
        if (field_is(f[0], fl[0], "process")) {
            for (size_t i = 1; i < k; i++) {
                const char *eq = memchr(f[i], '=', fl[i]);
                if (!eq)
                    continue;
                size_t kl = (size_t)(eq - f[i]), vl = fl[i] - kl - 1;
                int64_t v;
                if (field_is(f[i], kl, "pid") && !parse_i64(eq + 1, vl, &v))
                    t->pid = v;
                else if (field_is(f[i], kl, "ppid") && !parse_i64(eq + 1, vl, &v))
                    t->ppid = v;
                else if (field_is(f[i], kl, "start_unix_ns") && !parse_i64(eq + 1, vl, &v))
                    t->start_unix_ns = v;
                else if (field_is(f[i], kl, "interval_s"))
                    parse_seconds(eq + 1, vl, &t->interval_s);
                else if (field_is(f[i], kl, "exe")) {
                    char *e = unescape(&t->mem, eq + 1, vl);
                    if (!e) {
                        rc = hearth_error_set(HEARTH_ENOMEM, "out of memory");
                        goto out;
                    }
                    t->exe = e;
                }
            }
        } else if (field_is(f[0], fl[0], "column")) {
            if (k < 3) {
                rc = hearth_error_set(HEARTH_EFORMAT, "line %zu: column needs a name and a unit", lineno);
                goto out;
            }
            if (t->n_ticks) {
                rc = hearth_error_set(HEARTH_EFORMAT, "line %zu: column after the first tick", lineno);
                goto out;
            }
            if (!have_t) {
                if (!field_is(f[1], fl[1], "t")) {
                    rc = hearth_error_set(HEARTH_EFORMAT, "line %zu: the first column must be t", lineno);
                    goto out;
                }
                have_t = true;
                continue;
            }
            if (n_cols + 2 >= MAX_FIELDS) {
                rc = hearth_error_set(HEARTH_EFORMAT, "line %zu: more than %d columns", lineno, MAX_FIELDS - 2);
                goto out;
            }
            map[n_cols] = -1;
            for (int c = 0; c < TL_NCOLS; c++)
                if (field_is(f[1], fl[1], timeline_columns[c].name))
                    map[n_cols] = c;
            n_cols++;
        } else if (field_is(f[0], fl[0], "tick")) {
            if (!have_t) {
                rc = hearth_error_set(HEARTH_EFORMAT, "line %zu: tick before the column lines", lineno);
                goto out;
            }
            if (k != n_cols + 2) {
                rc = hearth_error_set(HEARTH_EFORMAT, "line %zu: tick has %zu values, the header names %zu",
                                      lineno, k - 1, n_cols + 1);
                goto out;
            }
            timeline_tick tk;
            for (int c = 0; c < TL_NCOLS; c++)
                tk.v[c] = -1;
            if (parse_seconds(f[1], fl[1], &tk.t_s)) {
                rc = hearth_error_set(HEARTH_EFORMAT, "line %zu: bad time \"%.*s\"", lineno,
                                      (int)(fl[1] > 40 ? 40 : fl[1]), f[1]);
                goto out;
            }
            for (size_t i = 0; i < n_cols; i++) {
                int64_t v;
                if (parse_i64(f[i + 2], fl[i + 2], &v)) {
                    rc = hearth_error_set(HEARTH_EFORMAT, "line %zu: value %zu is not a count", lineno, i + 2);
                    goto out;
                }
                if (map[i] >= 0)
                    tk.v[map[i]] = v;
            }
            if ((rc = add_tick(t, &tk)))
                goto out;
        } else if (field_is(f[0], fl[0], "event")) {
            double ts;
            if (k < 3 || parse_seconds(f[1], fl[1], &ts)) {
                rc = hearth_error_set(HEARTH_EFORMAT, "line %zu: event needs a time and a kind", lineno);
                goto out;
            }
            char *kind = unescape(&t->mem, f[2], fl[2]);
            char *detail = unescape(&t->mem, k > 3 ? f[3] : "", k > 3 ? fl[3] : 0);
            if (!kind || !detail || timeline_add_event(t, ts, kind, detail, lineno)) {
                rc = hearth_error_set(HEARTH_ENOMEM, "out of memory");
                goto out;
            }
        } else {
            /* A record kind of a later version 1 writer: not ours to judge. */
            t->skipped_lines++;
        }
    }
    if (lineno == 0)
        rc = hearth_error_set(HEARTH_EFORMAT, "line 1: not a hearth timeline header");
out:
    free(f);
    free(fl);
    return rc;
}

int timeline_detect(timeline_source *out, const char *buf, size_t len)
{
    size_t magic = strlen(TIMELINE_MAGIC);
    if (len > magic && !memcmp(buf, TIMELINE_MAGIC, magic) &&
        (buf[magic] == '\t' || buf[magic] == '\n')) {
        *out = TIMELINE_HEARTH;
        return 0;
    }
    /* GC logs: the first GC line among the first 64 KiB decides. */
    size_t pos = 0, lim = len < (1u << 16) ? len : (1u << 16);
    while (pos < lim) {
        const char *nl = memchr(buf + pos, '\n', lim - pos);
        size_t n = nl ? (size_t)(nl - buf - pos) : lim - pos;
        if (gclog_go_looks_like(buf + pos, n)) {
            *out = TIMELINE_GO;
            return 0;
        }
        if (gclog_jvm_looks_like(buf + pos, n)) {
            *out = TIMELINE_JVM;
            return 0;
        }
        pos += n + 1;
    }
    return hearth_error_set(HEARTH_EFORMAT, "neither a hearth timeline, a Go gctrace "
                            "nor a JVM -Xlog:gc log (no GC line in the first 64 KiB)");
}

int timeline_read(timeline **out, const char *buf, size_t len)
{
    timeline_source src;
    int rc = timeline_detect(&src, buf, len);
    if (rc)
        return rc;
    timeline *t = NULL;
    if ((rc = timeline_create(&t, src)))
        return rc;
    if (src == TIMELINE_HEARTH)
        rc = read_hearth(t, buf, len);
    else if (src == TIMELINE_GO)
        rc = gclog_go_read(t, buf, len);
    else
        rc = gclog_jvm_read(t, buf, len);
    if (rc) {
        timeline_destroy(t);
        return rc;
    }
    *out = t;
    return 0;
}
