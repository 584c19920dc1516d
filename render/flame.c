/*
 * Flame graph layout and SVG. A frame's width is its total / the root total
 * times the plot width; children start at the parent's x in the order the
 * tree is sorted. Frames narrower than min_width are not drawn, so the file
 * grows with what is visible (a 200,000-stack input draws a few thousand
 * frames). Coordinates are printed with two decimals and every string is
 * escaped, which makes the output deterministic and safe to open.
 */
#include "flame.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../formats/error.h"
#include "svg.h"
#include "units.h"

/* The interactive script, render/flame.js, embedded at build time. */
extern const char flame_js[];

#define FRAME_H 16.0
#define FONT_PX 12.0
#define CHAR_W (FONT_PX * 0.59)
#define XPAD 10.0
#define TOP_PAD 64.0
#define BOTTOM_PAD 36.0
#define LEGEND_ROW_H 18.0
#define LEGEND_MAX 24

typedef struct layout {
    double *x_value;   /* per node: offset from the root's left edge, in value */
    double *w_value;   /* per node: the width drawn, in value: the sum of
                          the positive self values in its subtree. Equal to
                          its total unless a delta profile has negative
                          values, whose frames take no room, so that every
                          frame that grew is drawn and none overlap. */
    bool *drawn;
    size_t n_drawn;
    size_t n_narrow;
    uint32_t max_depth;
    int64_t max_delta;
} layout;

static double scale(const layout *L, const flame_options *o)
{
    double plot = o->width_px - 2 * XPAD;
    return L->w_value[0] > 0 ? plot / L->w_value[0] : 0;
}

/* Visits nodes parent before children, siblings in tree order, without
 * recursion (stacks can be thousands deep). */
static int do_layout(layout *L, const calltree *t, const flame_options *o)
{
    memset(L, 0, sizeof *L);
    L->x_value = calloc(t->n_nodes, sizeof *L->x_value);
    L->w_value = calloc(t->n_nodes, sizeof *L->w_value);
    L->drawn = calloc(t->n_nodes, sizeof *L->drawn);
    uint32_t *todo = malloc(t->n_nodes * sizeof *todo);
    if (!L->x_value || !L->w_value || !L->drawn || !todo) {
        free(todo);
        return HEARTH_ENOMEM;
    }
    /* Children come after their parents in the node array, so one pass
     * from the end adds every subtree's width into its parent. */
    for (size_t i = t->n_nodes; i-- > 0;) {
        if (t->nodes[i].self > 0)
            L->w_value[i] += (double)t->nodes[i].self;
        if (i != 0)
            L->w_value[t->nodes[i].parent] += L->w_value[i];
    }
    double px = scale(L, o);
    size_t top = 0;
    todo[top++] = 0;
    while (top) {
        uint32_t i = todo[--top];
        const ct_node *n = &t->nodes[i];
        double w = L->w_value[i] * px;
        if (i != 0 && (L->w_value[i] <= 0 || w < o->min_width_px)) {
            /* Frames only in the base profile, or that shrank, have no
             * width by design; they are not "too narrow". */
            if (L->w_value[i] > 0)
                L->n_narrow++;
            continue;
        }
        if (L->w_value[0] <= 0 && i != 0)
            continue;
        L->drawn[i] = true;
        L->n_drawn++;
        if (n->depth > L->max_depth)
            L->max_depth = n->depth;
        if (i != 0) {
            /* Saturating |total - base|: values come from untrusted files. */
            int64_t d;
            if (__builtin_sub_overflow(n->total, n->base_total, &d) || d == INT64_MIN)
                d = INT64_MAX;
            if (d < 0)
                d = -d;
            if (d > L->max_delta)
                L->max_delta = d;
        }
        /* Children in order: x accumulates left to right. Pushed in
         * reverse so the first child is visited first. */
        double x = L->x_value[i];
        size_t first = top;
        for (uint32_t c = n->first_child; c; c = t->nodes[c].next_sibling) {
            L->x_value[c] = x;
            x += L->w_value[c];
            todo[top++] = c;
        }
        for (size_t a = first, b = top; a + 1 < b; a++, b--) {
            uint32_t tmp = todo[a];
            todo[a] = todo[b - 1];
            todo[b - 1] = tmp;
        }
    }
    free(todo);
    return 0;
}

static void layout_free(layout *L)
{
    free(L->x_value);
    free(L->w_value);
    free(L->drawn);
}

size_t flame_count_narrow(const calltree *t, const flame_options *o)
{
    layout L;
    if (do_layout(&L, t, o)) {
        layout_free(&L);
        return 0;
    }
    size_t n = L.n_narrow;
    layout_free(&L);
    return n;
}

static double frame_y(const flame_options *o, uint32_t depth, uint32_t max_depth)
{
    if (o->inverted)
        return TOP_PAD + depth * FRAME_H;
    return TOP_PAD + (max_depth - depth) * FRAME_H;
}

static void put_value(strbuf *out, int64_t v, const char *unit)
{
    char buf[64];
    units_human(buf, sizeof buf, v, unit);
    svg_escape(out, buf);
}

static void put_percent(strbuf *out, int64_t v, int64_t total)
{
    strbuf_printf(out, "%.2f%%", total ? 100.0 * (double)v / (double)total : 0.0);
}

typedef struct legend_entry {
    char key[96];
    int64_t total;
} legend_entry;

static int cmp_legend(const void *a, const void *b)
{
    const legend_entry *x = a, *y = b;
    if (x->total != y->total)
        return x->total > y->total ? -1 : 1;
    return strcmp(x->key, y->key);
}

static int cmp_legend_key(const void *a, const void *b)
{
    return strcmp(((const legend_entry *)a)->key, ((const legend_entry *)b)->key);
}

/* The module palette's legend: the modules with the most value, by total
 * of their outermost frames (a module's frames nested in itself count once).
 * One entry per such frame drawn, sorted by module and merged: a search of
 * the modules seen for each frame was quadratic where each frame has a module
 * of its own (an 0.8 MB folded file took 15 s). */
static size_t legend_collect(legend_entry *out, size_t max, const calltree *t,
                             const layout *L)
{
    size_t n = 0;
    legend_entry *all = malloc((L->n_drawn + 1) * sizeof *all);
    if (!all)
        return 0;
    for (size_t i = 1; i < t->n_nodes; i++) {
        if (!L->drawn[i])
            continue;
        const ct_frame *f = &t->frames[t->nodes[i].frame];
        legend_entry *e = &all[n];
        colors_module_key(e->key, sizeof e->key, f->name, f->module);
        if (t->nodes[i].parent != 0) {
            char pkey[96];
            const ct_frame *pf = &t->frames[t->nodes[t->nodes[i].parent].frame];
            colors_module_key(pkey, sizeof pkey, pf->name, pf->module);
            if (!strcmp(pkey, e->key))
                continue;
        }
        e->total = t->nodes[i].total;
        n++;
    }
    qsort(all, n, sizeof *all, cmp_legend_key);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m && !strcmp(all[m - 1].key, all[i].key))
            all[m - 1].total += all[i].total;
        else
            all[m++] = all[i];
    }
    qsort(all, m, sizeof *all, cmp_legend);
    size_t k = m < max ? m : max;
    if (k)
        memcpy(out, all, k * sizeof *out);
    free(all);
    return k;
}

static rgb frame_color(const calltree *t, const flame_options *o, const layout *L, uint32_t i)
{
    const ct_node *n = &t->nodes[i];
    if (o->diff)
        return colors_diff(n->total, n->base_total, L->max_delta);
    const ct_frame *f = &t->frames[n->frame];
    if (o->palette == PALETTE_MODULE) {
        char key[96];
        colors_module_key(key, sizeof key, f->name, f->module);
        return colors_for_name(PALETTE_MODULE, key);
    }
    return colors_for_name(o->palette, f->name);
}

static void put_frame(strbuf *out, const calltree *t, const flame_options *o,
                      const layout *L, uint32_t i, double px)
{
    const ct_node *n = &t->nodes[i];
    const char *name = i == 0 ? "all" : t->frames[n->frame].name;
    double x = XPAD + L->x_value[i] * px;
    double w = L->w_value[i] * px;
    double y = frame_y(o, n->depth, L->max_depth);
    rgb c = i == 0 ? (rgb){200, 200, 200} : frame_color(t, o, L, i);

    strbuf_printf(out, "<g class=\"f\" data-x=\"%.0f\" data-v=\"%" PRId64
                  "\" data-s=\"%" PRId64 "\"", L->x_value[i], n->total, n->self);
    if (L->w_value[i] != (double)n->total)
        strbuf_printf(out, " data-w=\"%.0f\"", L->w_value[i]);
    if (o->diff)
        strbuf_printf(out, " data-b=\"%" PRId64 "\"", n->base_total);
    if (n->is_inline)
        strbuf_puts(out, " data-inline=\"1\"");
    strbuf_puts(out, "><title>");
    svg_escape(out, name);
    strbuf_puts(out, "\n");
    put_value(out, n->total, o->unit);
    strbuf_puts(out, " (");
    put_percent(out, n->total, t->total);
    strbuf_puts(out, "), self ");
    put_value(out, n->self, o->unit);
    if (o->diff) {
        strbuf_puts(out, ", base ");
        put_value(out, n->base_total, o->unit);
        strbuf_puts(out, ", delta ");
        if (n->total >= n->base_total)
            strbuf_putc(out, '+');
        int64_t d;
        if (__builtin_sub_overflow(n->total, n->base_total, &d))
            d = n->total >= n->base_total ? INT64_MAX : INT64_MIN;
        put_value(out, d, o->unit);
    }
    if (n->is_inline)
        strbuf_puts(out, " (inline)");
    strbuf_printf(out, "</title><rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.0f\" "
                  "fill=\"rgb(%u,%u,%u)\" rx=\"2\" ry=\"2\"%s/>",
                  x, y, w, FRAME_H - 1, c.r, c.g, c.b,
                  n->is_inline ? " class=\"inl\"" : "");
    strbuf_printf(out, "<text x=\"%.2f\" y=\"%.2f\">", x + 3, y + FRAME_H - 5);
    double room = (w - 6) / CHAR_W;
    if (room >= 3)
        svg_escape_fit(out, name, (size_t)room);
    strbuf_puts(out, "</text></g>\n");
}

int flame_write(strbuf *out, const calltree *t, const flame_options *o)
{
    layout L;
    int rc = do_layout(&L, t, o);
    if (rc) {
        layout_free(&L);
        return hearth_error_set(rc, "out of memory");
    }
    double px = scale(&L, o);
    double W = o->width_px;
    legend_entry legend[LEGEND_MAX];
    size_t n_legend = o->palette == PALETTE_MODULE && !o->diff
                          ? legend_collect(legend, LEGEND_MAX, t, &L) : 0;
    size_t per_row = (size_t)((W - 2 * XPAD) / 200);
    if (per_row == 0)
        per_row = 1;
    double legend_h = n_legend ? ((n_legend + per_row - 1) / per_row) * LEGEND_ROW_H + 8 : 0;
    double H = TOP_PAD + (L.max_depth + 1) * FRAME_H + BOTTOM_PAD + legend_h;
    const char *title = o->title ? o->title : o->inverted ? "Icicle Graph" : "Flame Graph";

    strbuf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n");
    strbuf_printf(out, "<svg version=\"1.1\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
                  "xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" "
                  "id=\"hearth-flame\" data-unit=\"", W, H, W, H);
    svg_escape(out, o->unit);
    strbuf_printf(out, "\" data-total=\"%" PRId64 "\" data-inverted=\"%d\" data-diff=\"%d\" "
                  "data-xpad=\"%.0f\" data-plot=\"%.2f\">\n",
                  t->total, o->inverted, o->diff, XPAD, W - 2 * XPAD);
    strbuf_puts(out,
        "<defs><linearGradient id=\"bg\" y1=\"0\" y2=\"1\" x1=\"0\" x2=\"0\">"
        "<stop stop-color=\"#eeeeee\" offset=\"5%\"/><stop stop-color=\"#eeeeb0\" offset=\"95%\"/>"
        "</linearGradient></defs>\n"
        "<style>text{font-family:Verdana,sans-serif;font-size:12px;fill:#000}"
        "#title{font-size:17px;text-anchor:middle}#subtitle{text-anchor:middle;fill:#555}"
        "#matched,#search{text-anchor:end}#search,#unzoom{cursor:pointer}"
        "#search:hover,#unzoom:hover{fill:#a00}.hide{display:none}"
        ".f:hover rect{stroke:#000;stroke-width:0.5}.f text{pointer-events:none}"
        ".inl{stroke:#333;stroke-dasharray:2,1;stroke-width:0.8}"
        ".f.m rect{fill:rgb(230,0,230)}</style>\n");
    if (o->script) {
        strbuf_puts(out, "<script type=\"text/ecmascript\"><![CDATA[\n");
        strbuf_puts(out, flame_js);
        strbuf_puts(out, "]]></script>\n");
    }
    strbuf_printf(out, "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"url(#bg)\"/>\n", W, H);
    strbuf_printf(out, "<text id=\"title\" x=\"%.2f\" y=\"24\">", W / 2);
    svg_escape(out, title);
    strbuf_puts(out, "</text>\n");
    strbuf_printf(out, "<text id=\"subtitle\" x=\"%.2f\" y=\"44\">", W / 2);
    if (o->subtitle)
        svg_escape(out, o->subtitle);
    if (L.n_narrow) {
        strbuf_printf(out, "%s%zu frame%s narrower than %.2f px not drawn",
                      o->subtitle && *o->subtitle ? "; " : "", L.n_narrow,
                      L.n_narrow == 1 ? "" : "s", o->min_width_px);
    }
    strbuf_puts(out, "</text>\n");
    if (o->script) {
        strbuf_printf(out, "<text id=\"unzoom\" class=\"hide\" x=\"%.0f\" y=\"24\">Reset Zoom</text>\n", XPAD);
        strbuf_printf(out, "<text id=\"search\" x=\"%.0f\" y=\"24\">Search</text>\n", W - XPAD);
        strbuf_printf(out, "<text id=\"matched\" x=\"%.0f\" y=\"%.0f\"> </text>\n", W - XPAD, H - legend_h - 12);
    }
    strbuf_printf(out, "<text id=\"details\" x=\"%.0f\" y=\"%.0f\"> </text>\n", XPAD, H - legend_h - 12);
    strbuf_puts(out, "<g id=\"frames\">\n");
    /* Frames in node order: parents before children, so the script can
     * find a frame's ancestors before it. */
    for (size_t i = 0; i < t->n_nodes; i++)
        if (L.drawn[i])
            put_frame(out, t, o, &L, (uint32_t)i, px);
    strbuf_puts(out, "</g>\n");
    if (n_legend) {
        double ly = H - legend_h + 4;
        strbuf_puts(out, "<g id=\"legend\">\n");
        for (size_t i = 0; i < n_legend; i++) {
            double lx = XPAD + (double)(i % per_row) * 200;
            double y = ly + (double)(i / per_row) * LEGEND_ROW_H;
            rgb c = colors_for_name(PALETTE_MODULE, legend[i].key);
            strbuf_printf(out, "<rect x=\"%.0f\" y=\"%.0f\" width=\"12\" height=\"12\" fill=\"rgb(%u,%u,%u)\"/>"
                          "<text x=\"%.0f\" y=\"%.0f\">", lx, y, c.r, c.g, c.b, lx + 16, y + 11);
            svg_escape_fit(out, *legend[i].key ? legend[i].key : "(none)", 26);
            strbuf_puts(out, "</text>\n");
        }
        strbuf_puts(out, "</g>\n");
    }
    strbuf_puts(out, "</svg>\n");
    layout_free(&L);
    return out->oom ? hearth_error_set(HEARTH_ENOMEM, "out of memory") : 0;
}
