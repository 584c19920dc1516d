/*
 * Go's GC trace (GODEBUG=gctrace=1) as timeline GC records. The runtime
 * prints one line per collection on stderr (runtime/mgc.go, gcMarkTermination):
 *   gc 7 @1.234s 3%: 0.011+1.2+0.020 ms clock, 0.045+0.3/1.1/0.2+0.08 ms cpu,
 *   4->5->2 MB, 5 MB goal, 0 MB stacks, 0 MB globals, 8 P (forced)
 * (one line), interleaved with everything else the program writes to
 * stderr, sometimes after a partial line of its own. So a record is found
 * anywhere in a line, anything else is skipped and counted, and the fields
 * after the heap sizes are optional (Go before 1.18 has no stacks or
 * globals). MB in the trace are MiB (the runtime shifts by 20).
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "timeline.h"

typedef struct cur {
    const char *p, *end;
} cur;

static bool lit(cur *c, const char *s)
{
    size_t n = strlen(s);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n))
        return false;
    c->p += n;
    return true;
}

/* A non-negative decimal number ("12", "0.009"). */
static bool num(cur *c, double *out)
{
    const char *s = c->p;
    double v = 0, scale = 0;
    bool digits = false;
    while (c->p < c->end && ((*c->p >= '0' && *c->p <= '9') || *c->p == '.')) {
        if (*c->p == '.') {
            if (scale)
                return false;
            scale = 1;
        } else {
            v = v * 10 + (*c->p - '0');
            if (scale)
                scale *= 10;
            digits = true;
        }
        c->p++;
    }
    if (!digits) {
        c->p = s;
        return false;
    }
    /* Parse again with strtod for correct rounding of the decimal. */
    char tmp[48];
    size_t n = (size_t)(c->p - s);
    if (n >= sizeof tmp) {
        c->p = s;
        return false;
    }
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    v = strtod(tmp, NULL);
    *out = v;
    return true;
}

static int64_t mib(double v)
{
    return (int64_t)llround(v * 1048576.0);
}

/* Parses a record starting at "gc " in c. */
static bool parse_at(timeline_gc *g, cur c)
{
    double id, at, pct, a, b, d, cs1, ca, cb, ci, cs2, h0, h1, h2, goal, v;
    if (!lit(&c, "gc ") || !num(&c, &id) || !lit(&c, " @") || !num(&c, &at) ||
        !lit(&c, "s ") || !num(&c, &pct) || !lit(&c, "%: ") ||
        !num(&c, &a) || !lit(&c, "+") || !num(&c, &b) || !lit(&c, "+") || !num(&c, &d) ||
        !lit(&c, " ms clock, ") ||
        !num(&c, &cs1) || !lit(&c, "+") || !num(&c, &ca) || !lit(&c, "/") || !num(&c, &cb) ||
        !lit(&c, "/") || !num(&c, &ci) || !lit(&c, "+") || !num(&c, &cs2) ||
        !lit(&c, " ms cpu, ") ||
        !num(&c, &h0) || !lit(&c, "->") || !num(&c, &h1) || !lit(&c, "->") || !num(&c, &h2) ||
        !lit(&c, " MB, ") || !num(&c, &goal) || !lit(&c, " MB goal"))
        return false;
    if (!(id < 0x1p63) || !(pct <= INT_MAX) || !(h0 < 0x1p43) || !(h1 < 0x1p43) ||
        !(h2 < 0x1p43) || !(goal < 0x1p43))
        return false;
    memset(g, 0, sizeof *g);
    g->id = (int64_t)id;
    g->t_s = at;
    g->percent = (int)pct;
    g->stw1_ms = a;
    g->concurrent_ms = b;
    g->stw2_ms = d;
    g->pause_ms = a + d;
    g->cpu_ms = cs1 + ca + cb + ci + cs2;
    g->heap_before = mib(h0);
    g->heap_after = mib(h1);
    g->heap_live = mib(h2);
    g->heap_goal = mib(goal);
    g->heap_capacity = -1;
    g->stacks = g->globals = -1;
    g->procs = -1;
    g->kind = "gc";
    /* Optional tail: ", K MB stacks", ", L MB globals", ", N P", " (forced)". */
    for (;;) {
        if (lit(&c, ", ")) {
            if (!num(&c, &v) || !(v < 0x1p43))
                break;
            if (lit(&c, " MB stacks"))
                g->stacks = mib(v);
            else if (lit(&c, " MB globals"))
                g->globals = mib(v);
            else if (v <= INT_MAX && lit(&c, " P"))
                g->procs = (int)v;
            else
                break;
        } else if (lit(&c, " (forced)")) {
            g->forced = true;
        } else
            break;
    }
    return true;
}

int gclog_go_parse_line(timeline_gc *gc, const char *line, size_t len)
{
    const char *end = line + len;
    for (const char *p = line; p + 3 <= end; p++) {
        p = memchr(p, 'g', (size_t)(end - p));
        if (!p)
            break;
        if (p + 3 <= end && p[1] == 'c' && p[2] == ' ' && parse_at(gc, (cur){p, end}))
            return 1;
    }
    return 0;
}

bool gclog_go_looks_like(const char *line, size_t len)
{
    timeline_gc g;
    return gclog_go_parse_line(&g, line, len) == 1;
}

int gclog_go_read(timeline *t, const char *buf, size_t len)
{
    size_t pos = 0, lineno = 0;
    while (pos < len) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - buf - pos) : len - pos;
        lineno++;
        timeline_gc g;
        if (gclog_go_parse_line(&g, buf + pos, n)) {
            g.line = lineno;
            if (timeline_add_gc(t, &g, "gc", 2))
                return HEARTH_ENOMEM;
        } else if (n) {
            t->skipped_lines++;
        }
        pos += n + 1;
    }
    t->lines = lineno;
    return 0;
}
