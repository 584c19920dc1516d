/*
 * The JVM's unified GC log (-Xlog:gc, JDK 9+) as timeline GC records.
 * Every line is "[decoration]...[decoration] message"; which decorations
 * appear, in what order, is the user's choice (-Xlog:gc:file:time,pid,
 * uptimemillis,...), so each bracket group is recognised by its shape, not
 * its position: "0.512s" uptime, "512ms"/"512ns" uptime or epoch by size,
 * an ISO 8601 time, and anything else (level, tags, pid, tid, host) is not
 * time. A collection is a message "GC(N) KIND BEFORE->AFTER(CAP) TIME":
 *   G1:       GC(3) Pause Young (Normal) (G1 Evacuation Pause) 24M->4M(256M) 3.172ms
 *   Parallel: GC(1) Pause Full (Ergonomics) 98M->41M(241M) 25.512ms
 *   ZGC:      GC(0) Garbage Collection (Warmup) 28M(11%)->18M(7%)   (JDK 17, no time)
 * Lines without a heap transition (Using G1, Concurrent Mark Cycle) and the
 * program's own output are skipped and counted.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "timeline.h"

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* A decimal number at s (length n exactly). */
static bool decimal(const char *s, size_t n, double *out)
{
    char tmp[48];
    if (n == 0 || n >= sizeof tmp)
        return false;
    bool digits = false, dot = false;
    for (size_t i = 0; i < n; i++) {
        if (is_digit(s[i]))
            digits = true;
        else if (s[i] == '.' && !dot)
            dot = true;
        else
            return false;
    }
    if (!digits)
        return false;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    *out = strtod(tmp, NULL);
    return true;
}

/* "2024-01-15T10:20:30.123+0100" (time, utctime) -> Unix ns. */
static bool iso_time(const char *s, size_t n, int64_t *out)
{
    int Y, M, D, h, m, sec, ms = 0, consumed = 0;
    char tmp[64];
    if (n < 19 || n >= sizeof tmp)
        return false;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    if (sscanf(tmp, "%4d-%2d-%2dT%2d:%2d:%2d%n", &Y, &M, &D, &h, &m, &sec, &consumed) != 6 ||
        consumed != 19)
        return false;
    const char *p = tmp + 19;
    if (*p == '.') {
        p++;
        int digits = 0;
        while (is_digit(*p) && digits < 3) {
            ms = ms * 10 + (*p - '0');
            p++;
            digits++;
        }
        while (digits++ < 3)
            ms *= 10;
        while (is_digit(*p))
            p++;
    }
    long off = 0;
    if ((*p == '+' || *p == '-') && strlen(p) >= 5 && is_digit(p[1]) && is_digit(p[2])) {
        int oh = (p[1] - '0') * 10 + (p[2] - '0');
        const char *q = p + 3 + (p[3] == ':');
        if (!is_digit(q[0]) || !is_digit(q[1]))
            return false;
        int om = (q[0] - '0') * 10 + (q[1] - '0');
        off = (oh * 3600L + om * 60L) * (*p == '-' ? -1 : 1);
        p = q + 2;
    } else if (*p == 'Z')
        p++;
    if (*p)
        return false;
    struct tm tm = {0};
    tm.tm_year = Y - 1900;
    tm.tm_mon = M - 1;
    tm.tm_mday = D;
    tm.tm_hour = h;
    tm.tm_min = m;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return false;
    int64_t ns;
    if (__builtin_mul_overflow((int64_t)t - off, (int64_t)1000000000, &ns) ||
        __builtin_add_overflow(ns, (int64_t)ms * 1000000, &ns))
        return false;
    *out = ns;
    return true;
}

typedef struct decor {
    bool has_uptime;
    double uptime_s;
    int64_t wall_ns;
    bool gc_tag;  /* a tags group that starts with "gc" */
} decor;

static void decoration(decor *d, const char *s, size_t n)
{
    while (n && s[n - 1] == ' ')
        n--;
    while (n && *s == ' ')
        s++, n--;
    double v;
    int64_t w;
    if (n >= 2 && s[n - 1] == 's' && s[n - 2] == 'm' && decimal(s, n - 2, &v)) {
        if (v >= 9e12) {
            /* beyond int64 nanoseconds: not a time */
        } else if (v >= 1e11)
            d->wall_ns = (int64_t)llround(v) * 1000000; /* exact below 2^53 ms */
        else
            d->has_uptime = true, d->uptime_s = v / 1e3;
    } else if (n >= 2 && s[n - 1] == 's' && s[n - 2] == 'n' && decimal(s, n - 2, &v)) {
        if (v >= 9e18) {
            /* likewise */
        } else if (v >= 1e17)
            d->wall_ns = (int64_t)strtoll(s, NULL, 10); /* beyond a double's 53 bits */
        else
            d->has_uptime = true, d->uptime_s = v / 1e9;
    } else if (n >= 1 && s[n - 1] == 's' && decimal(s, n - 1, &v) && v < 1e9) {
        d->has_uptime = true;
        d->uptime_s = v;
    } else if (iso_time(s, n, &w)) {
        d->wall_ns = w;
    } else if (n >= 2 && s[0] == 'g' && s[1] == 'c' && (n == 2 || s[2] == ',')) {
        d->gc_tag = true;
    }
}

/* Strips the leading [..] groups; returns the message start. */
static const char *decorations(decor *d, const char *line, const char *end)
{
    memset(d, 0, sizeof *d);
    const char *p = line;
    while (p < end && *p == '[') {
        const char *close = memchr(p, ']', (size_t)(end - p));
        if (!close)
            break;
        decoration(d, p + 1, (size_t)(close - p - 1));
        p = close + 1;
    }
    while (p < end && *p == ' ')
        p++;
    return p;
}

/* "GC(123)" at p; returns the end of it or NULL. */
static const char *gc_id(const char *p, const char *end, int64_t *id)
{
    if (end - p < 4 || memcmp(p, "GC(", 3))
        return NULL;
    p += 3;
    int64_t v = 0;
    const char *s = p;
    while (p < end && is_digit(*p) && p - s < 18)
        v = v * 10 + (*p++ - '0');
    if (p == s || p >= end || *p != ')')
        return NULL;
    *id = v;
    return p + 1;
}

/* "24M", "1023K", "0B", "2G" -> bytes. */
static bool size_bytes(const char *s, size_t n, int64_t *out)
{
    if (n < 2)
        return false;
    double mul;
    switch (s[n - 1]) {
    case 'B': mul = 1; break;
    case 'K': mul = 1024.0; break;
    case 'M': mul = 1048576.0; break;
    case 'G': mul = 1073741824.0; break;
    case 'T': mul = 1099511627776.0; break;
    default: return false;
    }
    double v;
    if (!decimal(s, n - 1, &v))
        return false;
    if (!(v * mul < 0x1p63))
        return false;
    *out = (int64_t)llround(v * mul);
    return true;
}

/* One side of a transition: "24M", "24M(256M)", "28M(11%)". */
static bool side(const char *s, size_t n, int64_t *bytes, int64_t *cap)
{
    const char *paren = memchr(s, '(', n);
    if (!paren)
        return size_bytes(s, n, bytes);
    if (s[n - 1] != ')' || !size_bytes(s, (size_t)(paren - s), bytes))
        return false;
    const char *in = paren + 1;
    size_t in_n = (size_t)(s + n - 1 - in);
    if (in_n && in[in_n - 1] == '%')
        return true; /* ZGC's share of the max heap: not a size */
    return size_bytes(in, in_n, cap);
}

int gclog_jvm_parse_line(timeline_gc *gc, int64_t *wall_ns, bool *has_time,
                         const char **kind, size_t *kind_len, const char *line, size_t len)
{
    const char *end = line + len;
    while (end > line && (end[-1] == '\r' || end[-1] == ' '))
        end--;
    decor d;
    const char *msg = decorations(&d, line, end);
    int64_t id;
    const char *p = gc_id(msg, end, &id);
    if (!p)
        return 0;
    while (p < end && *p == ' ')
        p++;
    /* The heap transition is the last word holding "->". */
    const char *arrow = NULL;
    for (const char *q = p; q + 1 < end; q++)
        if (q[0] == '-' && q[1] == '>')
            arrow = q;
    if (!arrow)
        return 0;
    const char *ws = arrow, *we = arrow + 2;
    while (ws > p && ws[-1] != ' ')
        ws--;
    while (we < end && *we != ' ')
        we++;
    memset(gc, 0, sizeof *gc);
    gc->id = id;
    gc->pause_ms = gc->stw1_ms = gc->concurrent_ms = gc->stw2_ms = gc->cpu_ms = -1;
    gc->percent = -1;
    gc->heap_live = gc->heap_goal = gc->heap_capacity = gc->stacks = gc->globals = -1;
    gc->procs = -1;
    int64_t cap_before = -1;
    if (!side(ws, (size_t)(arrow - ws), &gc->heap_before, &cap_before) ||
        !side(arrow + 2, (size_t)(we - arrow - 2), &gc->heap_after, &gc->heap_capacity))
        return 0;
    gc->heap_live = gc->heap_after;
    /* What follows: the duration, if any. */
    const char *t = we;
    while (t < end && *t == ' ')
        t++;
    double dur_ms = -1, v;
    size_t tn = (size_t)(end - t);
    if (tn > 2 && t[tn - 2] == 'm' && t[tn - 1] == 's' && decimal(t, tn - 2, &v))
        dur_ms = v;
    else if (tn > 1 && t[tn - 1] == 's' && decimal(t, tn - 1, &v))
        dur_ms = v * 1e3;
    else if (tn)
        return 0;
    const char *ke = ws;
    while (ke > p && ke[-1] == ' ')
        ke--;
    *kind = p;
    *kind_len = (size_t)(ke - p);
    if (*kind_len >= 5 && !memcmp(p, "Pause", 5))
        gc->pause_ms = dur_ms;
    else
        gc->concurrent_ms = dur_ms;
    *wall_ns = d.wall_ns;
    *has_time = d.has_uptime || d.wall_ns;
    gc->t_s = d.has_uptime ? d.uptime_s : 0;
    return 1;
}

bool gclog_jvm_looks_like(const char *line, size_t len)
{
    const char *end = line + len;
    decor d;
    const char *msg = decorations(&d, line, end);
    int64_t id;
    if (d.gc_tag)
        return true;
    return gc_id(msg, end, &id) && memmem(msg, (size_t)(end - msg), "->", 2);
}

int gclog_jvm_read(timeline *t, const char *buf, size_t len)
{
    size_t pos = 0, lineno = 0;
    int64_t first_wall = 0;
    bool any_time = false, any_uptime_missing = false;
    size_t first_gc = t->n_gcs;
    while (pos < len) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - buf - pos) : len - pos;
        lineno++;
        timeline_gc g;
        int64_t wall;
        bool has_time;
        const char *kind;
        size_t kind_len;
        if (gclog_jvm_parse_line(&g, &wall, &has_time, &kind, &kind_len, buf + pos, n)) {
            g.line = lineno;
            decor d;
            decorations(&d, buf + pos, buf + pos + n);
            if (!d.has_uptime) {
                any_uptime_missing = true;
                /* Wall time only: seconds since the first collection's
                 * wall time, fixed up below once it is known. */
                if (wall) {
                    if (!first_wall)
                        first_wall = wall;
                    int64_t dw;
                    g.t_s = __builtin_sub_overflow(wall, first_wall, &dw)
                                ? ((double)wall - (double)first_wall) / 1e9
                                : (double)dw / 1e9;
                }
            } else if (wall && !t->start_unix_ns) {
                int64_t start;
                if (!__builtin_sub_overflow(wall, (int64_t)llround(d.uptime_s * 1e9), &start))
                    t->start_unix_ns = start;
            }
            any_time |= has_time;
            if (timeline_add_gc(t, &g, kind, kind_len))
                return HEARTH_ENOMEM;
        } else if (n) {
            t->skipped_lines++;
        }
        pos += n + 1;
    }
    t->lines = lineno;
    if (first_wall && !t->start_unix_ns)
        t->start_unix_ns = first_wall;
    if (!any_time || (any_uptime_missing && !first_wall)) {
        /* No time decoration at all: the axis is the GC number. */
        t->no_time = true;
        for (size_t i = first_gc; i < t->n_gcs; i++)
            t->gcs[i].t_s = (double)(i - first_gc);
    }
    return 0;
}
