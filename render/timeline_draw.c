/*
 * The timeline SVG. One shared x axis (seconds) over stacked panels, so a
 * reader lines up a heap jump with the dump, deploy mark or GC pause that
 * came with it. Long runs are the normal case (a day at 1 s ticks is 86,400
 * points per series), so every series is reduced per pixel column to its
 * first, lowest, highest and last point (the M4 reduction: the drawn line
 * is the same as the full one's) and gets at most one tooltip per column.
 * Numbers are printed with fixed precision, so output is deterministic.
 */
#include "timeline_draw.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../formats/error.h"
#include "svg.h"
#include "units.h"

#define X0 90.0          /* plot area left edge */
#define RIGHT_PAD 30.0
#define PANEL_H 120.0
#define PANEL_GAP 50.0
#define LEGEND_ROW 18.0
#define EVENT_ROWS 3     /* event labels are staggered over this many rows */

static const char *const input_colors[] = {
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf",
};
#define N_COLORS (sizeof input_colors / sizeof *input_colors)

typedef enum { U_BYTES, U_RATE, U_MS, U_COUNT } vunit;

typedef struct geo {
    double x0, x1;     /* plot area */
    double t0, t1;     /* time range */
    double top, h;     /* the panel */
    double vmax;       /* value at the top */
} geo;

static double gx(const geo *g, double t)
{
    return g->x0 + (t - g->t0) / (g->t1 - g->t0) * (g->x1 - g->x0);
}

static double gy(const geo *g, double v)
{
    double y = g->top + g->h - (v / g->vmax) * g->h;
    return y < g->top ? g->top : y;
}

/* A value as text: "12.50 MiB (13107200 B)", "3.2 MiB/s", "1.250 ms", "17". */
static void put_value(strbuf *out, double v, vunit u, bool exact)
{
    char b[64];
    switch (u) {
    case U_BYTES:
        units_human(b, sizeof b, (int64_t)llround(v), "bytes");
        strbuf_puts(out, b);
        if (exact && fabs(v) >= 1024)
            strbuf_printf(out, " (%" PRId64 " B)", (int64_t)llround(v));
        break;
    case U_RATE:
        units_human(b, sizeof b, (int64_t)llround(v), "bytes");
        strbuf_printf(out, "%s/s", b);
        break;
    case U_MS:
        strbuf_printf(out, "%.3f ms", v);
        break;
    case U_COUNT:
        strbuf_printf(out, "%.0f", v);
        break;
    }
}

static void put_time(strbuf *out, double t)
{
    strbuf_printf(out, "t=%.3f s", t);
}

/* --- axes --- */

/* A 1-2-5 step at least raw. */
static double nice_step(double raw)
{
    double p = pow(10, floor(log10(raw)));
    double m = raw / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

static void y_axis(strbuf *out, const geo *g, vunit u)
{
    /* Bytes step in binary units (ticks at 256 MiB, not 268.4 MB). */
    double scale = 1;
    if (u == U_BYTES || u == U_RATE)
        while (g->vmax / scale >= 1024 && scale < 1099511627776.0)
            scale *= 1024;
    double step = nice_step(g->vmax / scale / 4) * scale;
    for (double v = 0; v <= g->vmax * 1.0001; v += step) {
        double y = gy(g, v);
        strbuf_printf(out, "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
                      "<text class=\"yl\" x=\"%.1f\" y=\"%.1f\">",
                      g->x0, g->x1, y, y, g->x0 - 6, y + 4);
        if (u == U_MS)
            strbuf_printf(out, "%g ms", v);
        else if (u == U_COUNT)
            strbuf_printf(out, "%g", v);
        else {
            static const char *const names[] = {"B", "KiB", "MiB", "GiB", "TiB"};
            int k = (int)llround(log2(scale) / 10);
            strbuf_printf(out, "%g %s%s", v / scale, names[k], u == U_RATE ? "/s" : "");
        }
        strbuf_puts(out, "</text>\n");
    }
}

static void x_axis(strbuf *out, const geo *g, double bottom)
{
    static const double steps[] = {0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5,
                                   10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200,
                                   10800, 21600, 43200, 86400, 172800, 604800};
    double span = g->t1 - g->t0, step = steps[sizeof steps / sizeof *steps - 1];
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++)
        if (span / steps[i] <= 10) {
            step = steps[i];
            break;
        }
    double first = ceil(g->t0 / step - 1e-9) * step;
    for (double t = first; t <= g->t1 + step * 1e-9; t += step) {
        double x = gx(g, t);
        strbuf_printf(out, "<line class=\"tick\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
                      "<text class=\"xl\" x=\"%.1f\" y=\"%.1f\">",
                      x, x, bottom, bottom + 4, x, bottom + 16);
        double a = fabs(t) < step * 1e-6 ? 0 : t;
        if (span < 120)
            strbuf_printf(out, "%g s", a);
        else if (span < 7200)
            strbuf_printf(out, "%d:%02d", (int)(a / 60), (int)fmod(a, 60));
        else
            strbuf_printf(out, "%d:%02d h", (int)(a / 3600), (int)fmod(a / 60, 60));
        strbuf_puts(out, "</text>\n");
    }
}

/* --- series --- */

typedef struct pt {
    double t, v;
    size_t src; /* index of the record the point comes from */
} pt;

typedef struct series {
    pt *p;
    size_t n, cap;
} series;

static int push(series *s, double t, double v, size_t src)
{
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 256;
        pt *np = realloc(s->p, nc * sizeof *np);
        if (!np)
            return hearth_error_set(HEARTH_ENOMEM, "out of memory");
        s->p = np;
        s->cap = nc;
    }
    s->p[s->n++] = (pt){t, v, src};
    return 0;
}

/* Describes record src of input in for a tooltip (after the value). */
typedef void (*tip_fn)(strbuf *out, const tl_input *in, size_t src);

/* The M4 reduction: per pixel column, the first, lowest, highest and last
 * point, in time order. */
static void draw_polyline(strbuf *out, const geo *g, const series *s, const char *color,
                          const char *cls)
{
    if (s->n == 0)
        return;
    strbuf_printf(out, "<polyline class=\"%s\" stroke=\"%s\" points=\"", cls, color);
    size_t i = 0;
    while (i < s->n) {
        long col = lround(gx(g, s->p[i].t));
        size_t j = i, lo = i, hi = i;
        while (j < s->n && lround(gx(g, s->p[j].t)) == col) {
            if (s->p[j].v < s->p[lo].v)
                lo = j;
            if (s->p[j].v > s->p[hi].v)
                hi = j;
            j++;
        }
        size_t keep[4] = {i, lo < hi ? lo : hi, lo < hi ? hi : lo, j - 1};
        for (int k = 0; k < 4; k++) {
            if (k && keep[k] == keep[k - 1])
                continue;
            const pt *p = &s->p[keep[k]];
            strbuf_printf(out, "%.1f,%.1f ", gx(g, p->t), gy(g, p->v));
        }
        i = j;
    }
    strbuf_puts(out, "\"/>\n");
}

/* Tooltips: per pixel column (3 px wide), the highest point, an invisible
 * circle whose title holds the exact values. */
static void draw_tips(strbuf *out, const geo *g, const series *s, const tl_input *in,
                      const char *label, vunit u, tip_fn more)
{
    size_t i = 0;
    while (i < s->n) {
        long col = lround(gx(g, s->p[i].t) / 3);
        size_t j = i, hi = i;
        while (j < s->n && lround(gx(g, s->p[j].t) / 3) == col) {
            if (s->p[j].v > s->p[hi].v)
                hi = j;
            j++;
        }
        const pt *p = &s->p[hi];
        strbuf_printf(out, "<circle class=\"tip\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\"><title>",
                      gx(g, p->t), gy(g, p->v));
        svg_escape(out, in->name);
        strbuf_printf(out, " \xc2\xb7 %s\n", label);
        put_time(out, p->t);
        strbuf_puts(out, ": ");
        put_value(out, p->v, u, true);
        if (more)
            more(out, in, p->src);
        if (j - i > 1)
            strbuf_printf(out, "\n(highest of %zu points in this column)", j - i);
        strbuf_puts(out, "</title></circle>\n");
        i = j;
    }
}

static void gc_tip(strbuf *out, const tl_input *in, size_t src)
{
    const timeline_gc *c = &in->t->gcs[src];
    strbuf_printf(out, "\nGC %" PRId64 " (line %zu): ", c->id, c->line);
    svg_escape(out, c->kind);
    strbuf_puts(out, "\nheap ");
    put_value(out, (double)c->heap_before, U_BYTES, false);
    strbuf_puts(out, " \xe2\x86\x92 ");
    put_value(out, (double)c->heap_after, U_BYTES, false);
    if (c->heap_live >= 0 && in->t->source == TIMELINE_GO) {
        strbuf_puts(out, ", live ");
        put_value(out, (double)c->heap_live, U_BYTES, false);
    }
    if (c->heap_goal >= 0) {
        strbuf_puts(out, ", goal ");
        put_value(out, (double)c->heap_goal, U_BYTES, false);
    }
    if (c->heap_capacity >= 0) {
        strbuf_puts(out, ", committed ");
        put_value(out, (double)c->heap_capacity, U_BYTES, false);
    }
    if (c->pause_ms >= 0)
        strbuf_printf(out, "\npause %.3f ms", c->pause_ms);
    if (c->concurrent_ms >= 0)
        strbuf_printf(out, "%sconcurrent %.3f ms", c->pause_ms >= 0 ? ", " : "\n", c->concurrent_ms);
    if (c->forced)
        strbuf_puts(out, " (forced)");
}

static void tick_tip(strbuf *out, const tl_input *in, size_t src)
{
    const timeline_tick *k = &in->t->ticks[src];
    static const int cols[] = {TL_HEAP_BYTES, TL_HEAP_OBJECTS, TL_RSS_BYTES, TL_RSS_PEAK_BYTES,
                               TL_ALLOC_BYTES, TL_FREE_BYTES, TL_THREADS, TL_FDS};
    for (size_t i = 0; i < sizeof cols / sizeof *cols; i++) {
        int64_t v = k->v[cols[i]];
        if (v < 0)
            continue;
        strbuf_printf(out, "\n%s: ", timeline_columns[cols[i]].name);
        put_value(out, (double)v, !strcmp(timeline_columns[cols[i]].unit, "bytes") ? U_BYTES : U_COUNT,
                  true);
    }
    if (k->v[TL_CPU_USER_US] >= 0 && k->v[TL_CPU_SYS_US] >= 0)
        strbuf_printf(out, "\nCPU user %.3f s, system %.3f s", (double)k->v[TL_CPU_USER_US] / 1e6,
                      (double)k->v[TL_CPU_SYS_US] / 1e6);
}

/* --- panels --- */

enum { P_MEMORY, P_RATE, P_PAUSE, P_THREADS, P_N };

static const char *const panel_titles[P_N] = {
    "Memory: in-use heap (solid), RSS (dashed); GC logs: heap before/after each GC, goal or committed (dotted), trend (thick dashed)",
    "Allocation rate",
    "GC pauses (stop-the-world, per collection)",
    "Threads (solid) and open file descriptors (dashed)",
};

typedef struct panel_data {
    series s[8];   /* by kind below */
    double vmax;
} panel_data;

enum { S_HEAP, S_RSS, S_SAW, S_GOAL, S_RATE, S_THREADS, S_FDS, S_PAUSE };

static int collect(const tl_input *in, series *s)
{
    const timeline *t = in->t;
    double off = in->offset_s;
    int rc = 0;
    for (size_t i = 0; i < t->n_ticks && !rc; i++) {
        const timeline_tick *k = &t->ticks[i];
        double ts = k->t_s + off;
        if (k->v[TL_HEAP_BYTES] >= 0)
            rc |= push(&s[S_HEAP], ts, (double)k->v[TL_HEAP_BYTES], i);
        if (k->v[TL_RSS_BYTES] >= 0)
            rc |= push(&s[S_RSS], ts, (double)k->v[TL_RSS_BYTES], i);
        if (k->v[TL_THREADS] >= 0)
            rc |= push(&s[S_THREADS], ts, (double)k->v[TL_THREADS], i);
        if (k->v[TL_FDS] >= 0)
            rc |= push(&s[S_FDS], ts, (double)k->v[TL_FDS], i);
        if (i > 0 && k->v[TL_ALLOC_BYTES] >= 0 && t->ticks[i - 1].v[TL_ALLOC_BYTES] >= 0) {
            double dt = k->t_s - t->ticks[i - 1].t_s;
            double db = (double)(k->v[TL_ALLOC_BYTES] - t->ticks[i - 1].v[TL_ALLOC_BYTES]);
            /* A tick right after the last (the one written at exit) says
             * little about a rate: it is left out. */
            if (dt > 0 && dt >= t->interval_s / 4 && db >= 0)
                rc |= push(&s[S_RATE], ts, db / dt, i);
        }
    }
    for (size_t i = 0; i < t->n_gcs && !rc; i++) {
        const timeline_gc *c = &t->gcs[i];
        double ts = c->t_s + off;
        if (c->heap_before >= 0 && c->heap_after >= 0) {
            rc |= push(&s[S_SAW], ts, (double)c->heap_before, i);
            rc |= push(&s[S_SAW], ts, (double)c->heap_after, i);
        }
        int64_t goal = c->heap_goal >= 0 ? c->heap_goal : c->heap_capacity;
        if (goal >= 0)
            rc |= push(&s[S_GOAL], ts, (double)goal, i);
        if (c->pause_ms >= 0)
            rc |= push(&s[S_PAUSE], ts, c->pause_ms, i);
        /* Allocated between two collections: what the heap grew by from
         * the end of the last one to the start of this one. */
        if (i > 0 && c->heap_before >= 0 && t->gcs[i - 1].heap_after >= 0 && !t->no_time) {
            double dt = c->t_s - t->gcs[i - 1].t_s;
            double db = (double)(c->heap_before - t->gcs[i - 1].heap_after);
            if (dt > 0 && db >= 0)
                rc |= push(&s[S_RATE], ts, db / dt, i);
        }
    }
    return rc;
}

static void panel_frame(strbuf *out, const geo *g, const char *title, vunit u)
{
    strbuf_printf(out, "<g class=\"panel\"><text class=\"pt\" x=\"%.1f\" y=\"%.1f\">", g->x0, g->top - 8);
    svg_escape(out, title);
    strbuf_printf(out, "</text><rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n",
                  g->x0, g->top, g->x1 - g->x0, g->h);
    y_axis(out, g, u);
}

static void draw_bars(strbuf *out, const geo *g, const series *s, const tl_input *in,
                      const char *color)
{
    /* One bar per 2 px column: the longest pause there. */
    size_t i = 0;
    while (i < s->n) {
        long col = lround(gx(g, s->p[i].t) / 2);
        size_t j = i, hi = i;
        while (j < s->n && lround(gx(g, s->p[j].t) / 2) == col) {
            if (s->p[j].v > s->p[hi].v)
                hi = j;
            j++;
        }
        const pt *p = &s->p[hi];
        double x = gx(g, p->t), y = gy(g, p->v);
        double h = g->top + g->h - y;
        strbuf_printf(out, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"2\" height=\"%.1f\" fill=\"%s\">"
                      "<title>", x - 1, h < 1 ? y - 1 : y, h < 1 ? 1 : h, color);
        svg_escape(out, in->name);
        strbuf_puts(out, " \xc2\xb7 pause\n");
        put_time(out, p->t);
        strbuf_printf(out, ": %.3f ms", p->v);
        gc_tip(out, in, p->src);
        if (j - i > 1)
            strbuf_printf(out, "\n(longest of %zu collections in this column)", j - i);
        strbuf_puts(out, "</title></rect>\n");
        i = j;
    }
}

static const char *event_color(const char *kind)
{
    if (!strcmp(kind, "mark"))
        return "#b00000";
    if (!strcmp(kind, "heap_dump") || !strncmp(kind, "cpu", 3))
        return "#6a3d9a";
    if (!strcmp(kind, "fork"))
        return "#007000";
    if (!strncmp(kind, "dl", 2))
        return "#0070a0";
    return "#555555";
}

/* One event's label, placed before anything is drawn. */
typedef struct ev_label {
    double x, x0, x1;  /* its line, and the span its text takes */
    size_t input, index;
    int row;           /* -1: no room, only the line and its tooltip */
} ev_label;

#define LABEL_CHARS 28      /* a detail longer than this is cut with ".." */
#define LABEL_CHAR_PX 6.0   /* the .el font's width per character, about */

static size_t utf8_chars(const char *s, size_t max)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n < max ? n : max;
}

/* The detail a label shows: marks their text, other events a file's base
 * name. */
static const char *label_detail(const timeline_event_rec *ev)
{
    const char *slash = strrchr(ev->detail, '/');
    return slash && strcmp(ev->kind, "mark") ? slash + 1 : ev->detail;
}

static int cmp_label_x(const void *a, const void *b)
{
    const ev_label *p = a, *q = b;
    if (p->x != q->x)
        return p->x < q->x ? -1 : 1;
    if (p->input != q->input)
        return p->input < q->input ? -1 : 1;
    return p->index < q->index ? -1 : p->index > q->index;
}

/*
 * Left to right, each label takes the first of EVENT_ROWS rows where it
 * starts after everything already in that row ends; with no such row it
 * is not written (its line and tooltip still are), so labels never
 * overlap however many events there are.
 */
static size_t place_labels(ev_label *L, size_t n, const geo *g)
{
    double end[EVENT_ROWS];
    size_t hidden = 0;
    for (int r = 0; r < EVENT_ROWS; r++)
        end[r] = -INFINITY;
    qsort(L, n, sizeof *L, cmp_label_x);
    for (size_t i = 0; i < n; i++) {
        double w = L[i].x1 - L[i].x0;
        /* Labels near the right edge end at their line. */
        if (L[i].x > g->x1 - 160) {
            L[i].x1 = L[i].x - 2;
            L[i].x0 = L[i].x1 - w;
        }
        L[i].row = -1;
        for (int r = 0; r < EVENT_ROWS && L[i].row < 0; r++)
            if (L[i].x0 >= end[r] + 4) {
                L[i].row = r;
                end[r] = L[i].x1;
            }
        hidden += L[i].row < 0;
    }
    return hidden;
}

static int draw_events(strbuf *out, const geo *g, const tl_input *in, size_t n, double top,
                       double bottom)
{
    size_t total = 0, k = 0;
    for (size_t i = 0; i < n; i++)
        total += in[i].t->n_events;
    if (!total)
        return 0;
    ev_label *L = malloc(total * sizeof *L);
    if (!L)
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        for (size_t e = 0; e < in[i].t->n_events; e++, k++) {
            const timeline_event_rec *ev = &in[i].t->events[e];
            double x = gx(g, ev->t_s + in[i].offset_s);
            size_t chars = utf8_chars(label_detail(ev), LABEL_CHARS);
            if (strcmp(ev->kind, "mark"))
                chars += utf8_chars(ev->kind, SIZE_MAX) + (ev->detail[0] != 0);
            L[k] = (ev_label){x, x + 2, x + 2 + (double)chars * LABEL_CHAR_PX, i, e, -1};
        }
    size_t hidden = place_labels(L, total, g);
    for (k = 0; k < total; k++) {
        const timeline_event_rec *ev = &in[L[k].input].t->events[L[k].index];
        double ts = ev->t_s + in[L[k].input].offset_s;
        double x = L[k].x;
        const char *c = event_color(ev->kind);
        int row = L[k].row < 0 ? 0 : L[k].row;
        double ly = top - 4 - (double)row * 13;
        strbuf_printf(out, "<g class=\"ev\"><title>");
        svg_escape(out, in[L[k].input].name);
        strbuf_puts(out, " \xc2\xb7 ");
        put_time(out, ts);
        strbuf_puts(out, "\n");
        svg_escape(out, ev->kind);
        if (ev->detail[0]) {
            strbuf_puts(out, ": ");
            svg_escape(out, ev->detail);
        }
        strbuf_printf(out, "</title><line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>",
                      x, x, ly + 2, bottom, c);
        if (L[k].row >= 0) {
            bool right = L[k].x1 <= x;
            strbuf_printf(out, "<text class=\"el\" x=\"%.1f\" y=\"%.1f\" fill=\"%s\"%s>",
                          right ? x - 2 : x + 2, ly, c, right ? " text-anchor=\"end\"" : "");
            /* Marks show their text; other events their kind and a short detail. */
            if (strcmp(ev->kind, "mark")) {
                svg_escape(out, ev->kind);
                if (ev->detail[0])
                    strbuf_puts(out, " ");
            }
            svg_escape_fit(out, label_detail(ev), LABEL_CHARS);
            strbuf_puts(out, "</text>");
        }
        strbuf_puts(out, "</g>\n");
    }
    if (hidden)
        strbuf_printf(out, "<text class=\"el\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#555\">"
                      "%zu more event%s: hover the lines</text>\n",
                      g->x1, top - 4 - (double)EVENT_ROWS * 13, hidden, hidden == 1 ? "" : "s");
    free(L);
    return 0;
}

static const char timeline_js[] =
    "(function(){var s=document.documentElement,c=document.getElementById('cursor'),"
    "l=document.getElementById('cursor-t');if(!c||!s.createSVGPoint)return;"
    "var x0=+s.getAttribute('data-x0'),x1=+s.getAttribute('data-x1'),"
    "t0=+s.getAttribute('data-t0'),t1=+s.getAttribute('data-t1');"
    "s.addEventListener('mousemove',function(e){var p=s.createSVGPoint();p.x=e.clientX;p.y=e.clientY;"
    "p=p.matrixTransform(s.getScreenCTM().inverse());if(p.x<x0||p.x>x1){c.setAttribute('class','hide');"
    "l.setAttribute('class','hide');return;}c.setAttribute('class','');l.setAttribute('class','');"
    "c.setAttribute('x1',p.x);c.setAttribute('x2',p.x);l.setAttribute('x',p.x+4);"
    "l.textContent='t='+(t0+(p.x-x0)/(x1-x0)*(t1-t0)).toFixed(3)+' s';});})();\n";

int tl_draw_svg(strbuf *out, const tl_input *in, size_t n, const tl_draw_options *o)
{
    double W = o->width_px;
    series *s = calloc(n * 8, sizeof *s);
    if (!s)
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    int rc = 0;
    double t0 = INFINITY, t1 = -INFINITY;
    double vmax[P_N] = {0};
    bool has[P_N] = {true, false, false, false};
    for (size_t i = 0; i < n && !rc; i++) {
        series *si = &s[i * 8];
        rc = collect(&in[i], si);
        for (int k = 0; k < 8 && !rc; k++)
            for (size_t j = 0; j < si[k].n; j++) {
                const pt *p = &si[k].p[j];
                if (p->t < t0)
                    t0 = p->t;
                if (p->t > t1)
                    t1 = p->t;
                int panel = k <= S_GOAL ? P_MEMORY : k == S_RATE ? P_RATE : k == S_PAUSE ? P_PAUSE : P_THREADS;
                has[panel] = true;
                if (p->v > vmax[panel])
                    vmax[panel] = p->v;
            }
        for (size_t e = 0; e < in[i].t->n_events; e++) {
            double te = in[i].t->events[e].t_s + in[i].offset_s;
            if (te < t0)
                t0 = te;
            if (te > t1)
                t1 = te;
        }
        if (in[i].fit.ok) {
            double a = in[i].fit.intercept + in[i].fit.slope * in[i].fit.t0;
            double b = in[i].fit.intercept + in[i].fit.slope * in[i].fit.t1;
            vmax[P_MEMORY] = fmax(vmax[P_MEMORY], fmax(a, b));
        }
    }
    if (rc)
        goto out;
    if (!(t1 > t0)) {
        if (!isfinite(t0))
            t0 = 0;
        t1 = t0 + 1;
    }
    if (t0 > 0)
        t0 = 0; /* the axis starts where the runs start */

    int n_panels = 0;
    for (int p = 0; p < P_N; p++)
        n_panels += has[p];
    double legend_top = 62;
    double plots_top = legend_top + (double)n * LEGEND_ROW + 14 + EVENT_ROWS * 13 + PANEL_GAP - 20;
    double H = plots_top + n_panels * (PANEL_H + PANEL_GAP) + 10;
    double x1 = W - RIGHT_PAD;
    const char *title = o->title ? o->title : "Memory timeline";

    strbuf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n");
    strbuf_printf(out, "<svg version=\"1.1\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
                  "xmlns=\"http://www.w3.org/2000/svg\" id=\"hearth-timeline\" "
                  "data-x0=\"%.1f\" data-x1=\"%.1f\" data-t0=\"%.6f\" data-t1=\"%.6f\">\n",
                  W, H, W, H, X0, x1, t0, t1);
    strbuf_puts(out,
        "<style>text{font-family:Verdana,sans-serif;font-size:12px;fill:#000}"
        "#title{font-size:17px;text-anchor:middle}#subtitle{text-anchor:middle;fill:#555}"
        ".pt{font-weight:bold}.yl{text-anchor:end;fill:#555;font-size:11px}"
        ".xl{text-anchor:middle;fill:#555;font-size:11px}.el{font-size:10px}"
        ".frame{fill:#fcfcfc;stroke:#999}.grid{stroke:#e4e4e4}.tick{stroke:#999}"
        "polyline{fill:none;stroke-width:1.5}.rss{stroke-dasharray:6,3;stroke-width:1}"
        ".goal{stroke-dasharray:2,3;stroke-width:1}.fds{stroke-dasharray:6,3}"
        ".fit{stroke-width:3;stroke-dasharray:10,5;opacity:0.7}"
        ".tip{fill:#000;fill-opacity:0;pointer-events:all}.tip:hover{fill-opacity:0.35}"
        ".bar:hover{opacity:0.6}.ev line{stroke-dasharray:3,3}.ev:hover line{stroke-width:2}"
        "#cursor{stroke:#888}.hide{display:none}</style>\n");
    if (o->script)
        strbuf_printf(out, "<script type=\"text/ecmascript\"><![CDATA[\n%s]]></script>\n", timeline_js);
    strbuf_printf(out, "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>\n", W, H);
    strbuf_printf(out, "<text id=\"title\" x=\"%.1f\" y=\"24\">", W / 2);
    svg_escape(out, title);
    strbuf_printf(out, "</text>\n<text id=\"subtitle\" x=\"%.1f\" y=\"44\">", W / 2);
    strbuf_printf(out, "%zu input%s on one time axis, seconds from each input's start", n, n == 1 ? "" : "s");
    for (size_t i = 0; i < n; i++)
        if (in[i].t->no_time) {
            strbuf_puts(out, " (a log without time decorations is drawn by GC number)");
            break;
        }
    strbuf_puts(out, "</text>\n");
    for (size_t i = 0; i < n; i++) {
        const timeline *t = in[i].t;
        const char *c = input_colors[i % N_COLORS];
        double y = legend_top + (double)i * LEGEND_ROW;
        static const char *const src_names[] = {"hearth", "Go gctrace", "JVM GC log"};
        strbuf_printf(out, "<g class=\"legend\"><rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"10\" fill=\"%s\"/>"
                      "<text x=\"%.1f\" y=\"%.1f\">", X0, y - 9, c, X0 + 20, y);
        svg_escape(out, in[i].name);
        strbuf_printf(out, " (%s, ", src_names[t->source]);
        if (t->source == TIMELINE_HEARTH)
            strbuf_printf(out, "%zu ticks, %zu events", t->n_ticks, t->n_events);
        else
            strbuf_printf(out, "%zu collections, %zu other lines", t->n_gcs, t->skipped_lines);
        strbuf_puts(out, "): ");
        svg_escape(out, in[i].verdict);
        strbuf_puts(out, "</text></g>\n");
    }

    static const vunit panel_units[P_N] = {U_BYTES, U_RATE, U_MS, U_COUNT};
    double top = plots_top, first_top = plots_top, bottom = plots_top;
    geo g = {X0, x1, t0, t1, 0, PANEL_H, 1};
    for (int p = 0; p < P_N; p++) {
        if (!has[p])
            continue;
        g.top = top;
        g.vmax = vmax[p] > 0 ? vmax[p] * 1.08 : 1;
        panel_frame(out, &g, panel_titles[p], panel_units[p]);
        for (size_t i = 0; i < n; i++) {
            series *si = &s[i * 8];
            const char *c = input_colors[i % N_COLORS];
            const tl_input *ip = &in[i];
            switch (p) {
            case P_MEMORY:
                draw_polyline(out, &g, &si[S_GOAL], c, "goal");
                draw_polyline(out, &g, &si[S_RSS], c, "rss");
                draw_polyline(out, &g, &si[S_HEAP], c, "heap");
                draw_polyline(out, &g, &si[S_SAW], c, "saw");
                if (ip->fit.ok) {
                    double a = ip->fit.intercept + ip->fit.slope * ip->fit.t0;
                    double b = ip->fit.intercept + ip->fit.slope * ip->fit.t1;
                    strbuf_printf(out, "<line class=\"fit\" stroke=\"%s\" x1=\"%.1f\" y1=\"%.1f\" "
                                  "x2=\"%.1f\" y2=\"%.1f\"><title>", c,
                                  gx(&g, ip->fit.t0 + ip->offset_s), gy(&g, fmax(a, 0)),
                                  gx(&g, ip->fit.t1 + ip->offset_s), gy(&g, fmax(b, 0)));
                    svg_escape(out, ip->name);
                    strbuf_puts(out, " \xc2\xb7 ");
                    svg_escape(out, ip->verdict);
                    strbuf_printf(out, "\nslope %.3f B/s over %zu points</title></line>\n",
                                  ip->fit.slope, ip->fit.n);
                }
                draw_tips(out, &g, &si[S_HEAP], ip, "in-use heap", U_BYTES, tick_tip);
                draw_tips(out, &g, &si[S_RSS], ip, "RSS", U_BYTES, tick_tip);
                draw_tips(out, &g, &si[S_SAW], ip, "heap", U_BYTES, gc_tip);
                break;
            case P_RATE:
                draw_polyline(out, &g, &si[S_RATE], c, "rate");
                draw_tips(out, &g, &si[S_RATE], ip, "allocation rate", U_RATE, NULL);
                break;
            case P_PAUSE:
                draw_bars(out, &g, &si[S_PAUSE], ip, c);
                break;
            case P_THREADS:
                draw_polyline(out, &g, &si[S_THREADS], c, "threads");
                draw_polyline(out, &g, &si[S_FDS], c, "fds");
                draw_tips(out, &g, &si[S_THREADS], ip, "threads", U_COUNT, tick_tip);
                draw_tips(out, &g, &si[S_FDS], ip, "open fds", U_COUNT, tick_tip);
                break;
            }
        }
        x_axis(out, &g, top + PANEL_H);
        strbuf_puts(out, "</g>\n");
        bottom = top + PANEL_H;
        top += PANEL_H + PANEL_GAP;
    }
    if ((rc = draw_events(out, &g, in, n, first_top - 18, bottom)))
        goto out;
    if (o->script)
        strbuf_printf(out, "<line id=\"cursor\" class=\"hide\" x1=\"0\" x2=\"0\" y1=\"%.1f\" y2=\"%.1f\"/>"
                      "<text id=\"cursor-t\" class=\"hide\" x=\"0\" y=\"%.1f\"></text>\n",
                      first_top, bottom, first_top + 12);
    strbuf_puts(out, "</svg>\n");
    if (out->oom)
        rc = hearth_error_set(HEARTH_ENOMEM, "out of memory");
out:
    for (size_t i = 0; i < n * 8; i++)
        free(s[i].p);
    free(s);
    return rc;
}
