/*
 * DOT text of a call graph, attribute for attribute as pprof's
 * graph.ComposeDot writes it (so `go tool pprof -dot` users find the same
 * labels, sizes, colors and tooltips), with one difference on purpose:
 * every string from the profile is escaped. pprof escapes only function
 * names; file names, label values and the title go in raw, and a quote in
 * any of them breaks its DOT. Graphviz also decodes "&...;" entities in
 * labels and leaves entity-like text unescaped in its SVG, so "&" is
 * written as "&amp;". The text is built in memory: a graph has about 80
 * nodes and a few hundred edges, tens of kilobytes.
 */
#include "graph_dot.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../formats/error.h"
#include "graph_name.h"
#include "top.h"
#include "units.h"

#define MAX_NODELETS 4

/* --- escaping --- */

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    if (s[0] < 0x80)
        return 1;
    size_t len;
    uint32_t cp;
    if ((s[0] & 0xe0) == 0xc0) {
        len = 2;
        cp = s[0] & 0x1f;
    } else if ((s[0] & 0xf0) == 0xe0) {
        len = 3;
        cp = s[0] & 0x0f;
    } else if ((s[0] & 0xf8) == 0xf0) {
        len = 4;
        cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
        cp == 0xfffe || cp == 0xffff)
        return 0;
    return len;
}

enum {
    ESC_PLAIN,      /* newlines become "\l" (pprof's escapeForDot) */
    ESC_KEEP_NL,    /* also keeps pprof's "\n" separators of label tags */
    ESC_TOOLTIP,    /* backslashes are written four times: Graphviz reads
                       tooltips twice, and "\\N" would still become the
                       node's name */
};

/* Appends n bytes of s escaped for a quoted DOT string. */
static void dot_escape_n(strbuf *out, const char *s, size_t n, int mode)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned char c = u[i];
        if (c == '\\' && mode == ESC_KEEP_NL && i + 1 < n && u[i + 1] == 'n') {
            strbuf_puts(out, "\\n");
            i += 2;
        } else if (c == '\\') {
            strbuf_puts(out, mode == ESC_TOOLTIP ? "\\\\\\\\" : "\\\\");
            i++;
        } else if (c == '"') {
            strbuf_puts(out, "\\\"");
            i++;
        } else if (c == '\n') {
            strbuf_puts(out, "\\l");
            i++;
        } else if (c == '&') {
            strbuf_puts(out, "&amp;");
            i++;
        } else if ((c < 0x20 && c != '\t') || c == 0x7f) {
            strbuf_puts(out, "\xef\xbf\xbd");
            i++;
        } else {
            size_t len = utf8_len(u + i, n - i);
            if (len == 0) {
                strbuf_puts(out, "\xef\xbf\xbd");
                i++;
            } else {
                strbuf_append(out, s + i, len);
                i += len;
            }
        }
    }
}

/*
 * Profile text is cut to these many bytes in the graph (and the legend to
 * these many lines), with an ellipsis:
 * Graphviz 2.43 refuses a quoted string over 16 KiB (an escaped tooltip
 * can be five times its text), and librsvg takes time quadratic in a
 * text line's length to draw the report's PNG (a name of 16,000
 * characters took 16 s, one of 100,000 never ended).
 */
#define DOT_LABEL_MAX 256
#define DOT_TOOLTIP_MAX 1024
#define DOT_LEGEND_LINES 32

/* dot_escape_n of at most cap bytes of s, cut at a character boundary and
 * marked with an ellipsis. */
static void dot_escape_cap(strbuf *out, const char *s, size_t n, int mode, size_t cap)
{
    if (n <= cap) {
        dot_escape_n(out, s, n, mode);
        return;
    }
    size_t k = cap;
    while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80)
        k--;
    dot_escape_n(out, s, k, mode);
    strbuf_puts(out, "\xe2\x80\xa6");
}

static void dot_escape(strbuf *out, const char *s)
{
    dot_escape_cap(out, s, strlen(s), ESC_PLAIN, DOT_LABEL_MAX);
}

static void dot_escape_tooltip(strbuf *out, const char *s)
{
    dot_escape_cap(out, s, strlen(s), ESC_TOOLTIP, DOT_TOOLTIP_MAX);
}

/* --- pprof's value formatting --- */

typedef struct fmt_ctx {
    const char *unit, *out_unit;
    int64_t total;
} fmt_ctx;

static void fmt_value(char *buf, size_t n, const fmt_ctx *f, int64_t v)
{
    units_label(buf, n, v, f->unit, f->out_unit);
}

/* A value as fmt_value writes it, escaped for a quoted DOT string: a unit
 * units.c does not know is the profile's own text. */
static void put_value(strbuf *out, const fmt_ctx *f, int64_t v, int mode)
{
    char buf[64];
    fmt_value(buf, sizeof buf, f, v);
    dot_escape_n(out, buf, strlen(buf), mode);
}

/* Percentage without pprof's padding. */
static void fmt_percent(char *buf, size_t n, const fmt_ctx *f, int64_t v)
{
    char tmp[32];
    units_percent(tmp, sizeof tmp, v, f->total);
    const char *t = tmp;
    while (*t == ' ')
        t++;
    snprintf(buf, n, "%s", t);
}

static int64_t go_abs64(int64_t v)
{
    return v < 0 ? (int64_t)(0 - (uint64_t)v) : v;
}

void graph_dot_color(char out[8], double score, int background)
{
    const double shift = 0.7;
    double saturation = background ? 0.1 : 1.0;
    double value = background ? 0.93 : 0.7;
    /* Go's math.Max/Min pass NaN through; fmax/fmin would drop it. */
    if (!isnan(score))
        score = score < -1.0 ? -1.0 : (score > 1.0 ? 1.0 : score);
    if (fabs(score) < 0.2)
        saturation *= fabs(score) / 0.2;
    if (score > 0.0)
        score = pow(score, 1.0 - shift);
    if (score < 0.0)
        score = -pow(-score, 1.0 - shift);
    double r, g, b;
    if (score < 0.0) {
        g = value;
        r = value * (1 + saturation * score);
    } else {
        r = value;
        g = value * (1 - saturation * score);
    }
    b = value * (1 - saturation);
    double c[3] = {r * 255.0, g * 255.0, b * 255.0};
    unsigned v[3];
    for (int i = 0; i < 3; i++)
        v[i] = (c[i] >= 0 && c[i] < 256) ? (unsigned)c[i] : 0;
    snprintf(out, 8, "#%02x%02x%02x", v[0], v[1], v[2]);
}

/* --- the legend --- */

/* pprof's reportLabels: the profile's description, the active filters and
 * what was cut, one line each. */
static void legend(strbuf *lines, const graph *g, const graph_report *r, const fmt_ctx *f)
{
    top_options to = TOP_OPTIONS_INIT;
    to.sample_index = r->sample_index;
    top_profile_labels(lines, r->p, &to, r->total, f->unit, f->out_unit);
    if (r->n_filters) {
        strbuf_puts(lines, "Active filters:\n");
        for (size_t i = 0; i < r->n_filters; i++) {
            size_t len = strlen(r->filters[i]);
            strbuf_puts(lines, "   ");
            strbuf_append(lines, r->filters[i], len > 80 ? 80 : len);
            strbuf_puts(lines, len > 80 ? "\xe2\x80\xa6\n" : "\n");
        }
    }
    char a[64], b[64], c[64];
    fmt_value(a, sizeof a, f, g->flat_sum);
    fmt_percent(b, sizeof b, f, g->flat_sum);
    fmt_value(c, sizeof c, f, r->total);
    strbuf_printf(lines, "Showing nodes accounting for %s, %s of %s total\n", a, b, c);
    if (r->total != 0) {
        if (g->dropped_nodes > 0) {
            fmt_value(a, sizeof a, f, go_abs64((int64_t)((double)r->total * r->node_fraction)));
            strbuf_printf(lines, "Dropped %ld node%s (cum <= %s)\n", g->dropped_nodes,
                          g->dropped_nodes > 1 ? "s" : "", a);
        }
        if (g->dropped_edges > 0) {
            fmt_value(a, sizeof a, f, go_abs64((int64_t)((double)r->total * r->edge_fraction)));
            strbuf_printf(lines, "Dropped %ld edge%s (freq <= %s)\n", g->dropped_edges,
                          g->dropped_edges > 1 ? "s" : "", a);
        }
        if (g->n_drawn > 0 && (long)g->n_drawn < g->orig_count)
            strbuf_printf(lines, "Showing top %zu nodes out of %ld\n", g->n_drawn,
                          g->orig_count);
    }
}

static void write_legend(strbuf *out, const graph *g, const graph_report *r,
                         const fmt_ctx *f, const char *title)
{
    strbuf lines;
    strbuf_init(&lines);
    legend(&lines, g, r, f);
    if (lines.oom || !lines.len) {
        out->oom |= lines.oom;
        strbuf_fini(&lines);
        return;
    }
    const char *first_end = memchr(lines.buf, '\n', lines.len);
    size_t first_len = first_end ? (size_t)(first_end - lines.buf) : lines.len;
    strbuf_puts(out, "subgraph cluster_L { \"");
    dot_escape_cap(out, lines.buf, first_len, ESC_PLAIN, DOT_LABEL_MAX);
    strbuf_puts(out, "\" [shape=box fontsize=16 label=\"");
    /* Lines are left-justified: each ends with "\l". A profile's comments
     * are a line each: at most DOT_LEGEND_LINES, so that the label stays
     * below Graphviz's 16 KiB. */
    size_t start = 0, n_lines = 0;
    for (size_t i = 0; i < lines.len; i++)
        if (lines.buf[i] == '\n') {
            if (++n_lines > DOT_LEGEND_LINES) {
                strbuf_puts(out, "\xe2\x80\xa6\\l");
                break;
            }
            dot_escape_cap(out, lines.buf + start, i - start, ESC_PLAIN, DOT_LABEL_MAX);
            strbuf_puts(out, "\\l");
            start = i + 1;
        }
    strbuf_putc(out, '"');
    if (*title) {
        strbuf_puts(out, " tooltip=\"");
        dot_escape_tooltip(out, title);
        strbuf_putc(out, '"');
    }
    strbuf_puts(out, "] }\n");
    strbuf_fini(&lines);
}

/* --- nodes --- */

/* pprof's multilinePrintableName: the name's parts on lines of their own,
 * the function shortened and split at "::" and ".", files by base name. */
static void multiline_name(strbuf *out, const graph_node *n)
{
    size_t len = strlen(n->name);
    size_t addr_end = n->func_len ? n->func_off : n->rest_off;
    if (addr_end > 0) {
        /* The address part, without the space after it. */
        dot_escape_cap(out, n->name, addr_end - (n->name[addr_end - 1] == ' '), ESC_PLAIN,
                       DOT_LABEL_MAX);
        strbuf_puts(out, "\\n");
    }
    if (n->func_len) {
        strbuf s, e;
        strbuf_init(&s);
        strbuf_init(&e);
        graph_name_shorten(&s, n->name + n->func_off, n->func_len);
        dot_escape_cap(&e, s.buf ? s.buf : "", s.len, ESC_PLAIN, DOT_LABEL_MAX);
        for (size_t i = 0; i < e.len; i++) {
            if (e.buf[i] == ':' && i + 1 < e.len && e.buf[i + 1] == ':') {
                strbuf_puts(out, "\\n");
                i++;
            } else if (e.len - i >= 5 && !memcmp(e.buf + i, "[...]", 5)) {
                /* Go's type parameters keep their ellipsis. */
                strbuf_puts(out, "[\xe2\x80\xa6]");
                i += 4;
            } else if (e.buf[i] == '.') {
                strbuf_puts(out, "\\n");
            } else {
                strbuf_putc(out, e.buf[i]);
            }
        }
        out->oom |= s.oom || e.oom;
        strbuf_fini(&s);
        strbuf_fini(&e);
        strbuf_puts(out, "\\n");
    }
    if (n->rest_off < len) {
        const char *rest = n->name + n->rest_off;
        const char *base = strrchr(rest, '/');
        dot_escape(out, base ? base + 1 : rest);
        strbuf_puts(out, "\\n");
    }
}

static void write_node(strbuf *out, const graph_node *n, uint32_t id, double max_flat,
                       const fmt_ctx *f)
{
    char pct[32];
    strbuf_printf(out, "N%u [label=\"", id);
    multiline_name(out, n);
    if (n->flat != 0) {
        fmt_percent(pct, sizeof pct, f, n->flat);
        put_value(out, f, n->flat, ESC_PLAIN);
        strbuf_printf(out, " (%s)", pct);
    } else {
        strbuf_putc(out, '0');
    }
    int64_t cum_value = n->flat;
    if (n->cum != n->flat) {
        strbuf_puts(out, n->flat != 0 ? "\\n" : " ");
        fmt_percent(pct, sizeof pct, f, n->cum);
        strbuf_puts(out, "of ");
        put_value(out, f, n->cum, ESC_PLAIN);
        strbuf_printf(out, " (%s)", pct);
        cum_value = n->cum;
    }
    /* Font size from 8 to 24, growing with the square root of flat. */
    int font = 8;
    double af = (double)go_abs64(n->flat);
    if (max_flat != 0 && n->flat != 0 && af <= max_flat)
        font += (int)ceil(16.0 * sqrt(af / max_flat));
    char fg[8], bg[8];
    double share = (double)n->cum / (double)go_abs64(f->total);
    graph_dot_color(fg, share, 0);
    graph_dot_color(bg, share, 1);
    strbuf_printf(out, "\" id=\"node%u\" fontsize=%d shape=box tooltip=\"", id, font);
    dot_escape_tooltip(out, n->name);
    strbuf_puts(out, " (");
    put_value(out, f, cum_value, ESC_TOOLTIP);
    strbuf_printf(out, ")\" color=\"%s\" fillcolor=\"%s\"]\n", fg, bg);
}

/* --- tags --- */

typedef struct tag_row {
    char name[96];
    const char *long_name;   /* label tags: the joined labels */
    int64_t value, flat, cum;
} tag_row;

/* pprof's SortTags: by cum unless flat, then flat, heaviest first, then
 * by name. Opposite values of equal size tie in pprof; here the name
 * decides. */
static int cmp_tags(const void *a, const void *b, void *arg)
{
    const tag_row *x = a, *y = b;
    bool flat = *(const bool *)arg;
    if (!flat && x->cum != y->cum && go_abs64(x->cum) != go_abs64(y->cum))
        return go_abs64(x->cum) > go_abs64(y->cum) ? -1 : 1;
    if (x->flat != y->flat && go_abs64(x->flat) != go_abs64(y->flat))
        return go_abs64(x->flat) > go_abs64(y->flat) ? -1 : 1;
    const char *xn = x->long_name ? x->long_name : x->name;
    const char *yn = y->long_name ? y->long_name : y->name;
    return strcmp(xn, yn);
}

/* pprof's collapsedTags: more than `count` numeric tags are grouped around
 * the `count` heaviest, each joining the nearest by value, and shown as
 * "min..max". */
static size_t collapse_tags(tag_row *rows, size_t n, size_t count, bool flat,
                            const char *unit)
{
    qsort_r(rows, n, sizeof *rows, cmp_tags, &flat);
    if (n <= count)
        return n;
    tag_row groups[MAX_NODELETS];
    int64_t min_v[MAX_NODELETS], max_v[MAX_NODELETS];
    size_t sizes[MAX_NODELETS];
    for (size_t i = 0; i < count; i++) {
        groups[i] = rows[i];
        min_v[i] = max_v[i] = rows[i].value;
        sizes[i] = 1;
    }
    for (size_t k = count; k < n; k++) {
        size_t best = 0;
        double d = fabs((double)rows[0].value - (double)rows[k].value);
        for (size_t i = 1; i < count; i++) {
            double nd = fabs((double)rows[i].value - (double)rows[k].value);
            if (nd < d) {
                best = i;
                d = nd;
            }
        }
        tag_row *gr = &groups[best];
        gr->flat = (int64_t)((uint64_t)gr->flat + (uint64_t)rows[k].flat);
        gr->cum = (int64_t)((uint64_t)gr->cum + (uint64_t)rows[k].cum);
        if (rows[k].value < min_v[best])
            min_v[best] = rows[k].value;
        if (rows[k].value > max_v[best])
            max_v[best] = rows[k].value;
        sizes[best]++;
    }
    for (size_t i = 0; i < count; i++) {
        char a[40], b[40];
        units_label(a, sizeof a, min_v[i], unit, "auto");
        if (sizes[i] == 1) {
            snprintf(groups[i].name, sizeof groups[i].name, "%s", a);
        } else {
            units_label(b, sizeof b, max_v[i], unit, "auto");
            snprintf(groups[i].name, sizeof groups[i].name, "%s..%s", a, b);
        }
        rows[i] = groups[i];
    }
    qsort_r(rows, count, sizeof *rows, cmp_tags, &flat);
    return count;
}

/* Ends a nodelet whose label is written, and draws its edge from `from`:
 * the weight is its tooltip and the edge's label. */
static void nodelet_rest(strbuf *out, const char *node, const char *from, int64_t w,
                         const char *attr, const fmt_ctx *f)
{
    strbuf_printf(out, "\" id=\"%s\" fontsize=8 shape=box3d tooltip=\"", node);
    put_value(out, f, w, ESC_TOOLTIP);
    strbuf_printf(out, "\"]\n%s -> %s [label=\" ", from, node);
    put_value(out, f, w, ESC_PLAIN);
    strbuf_puts(out, "\" weight=100 tooltip=\"");
    put_value(out, f, w, ESC_TOOLTIP);
    strbuf_puts(out, "\" labeltooltip=\"");
    put_value(out, f, w, ESC_TOOLTIP);
    strbuf_printf(out, "\"%s]\n", attr);
}

/* Numeric tags of one label set, drawn under source ("N3" or "N3_0"). */
static void numeric_nodelets(strbuf *out, const graph_tag *const *tags, size_t n_tags,
                             const char *labels, bool flat_tags, const char *source,
                             const char *unit, const fmt_ctx *f, int *drawn)
{
    tag_row *rows = malloc((n_tags + 1) * sizeof *rows);
    if (!rows) {
        out->oom = true;
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < n_tags; i++)
        if (tags[i]->numeric && !strcmp(tags[i]->labels, labels)) {
            tag_row *r = &rows[n++];
            snprintf(r->name, sizeof r->name, "%s", tags[i]->name);
            r->long_name = NULL;
            r->value = tags[i]->value;
            r->flat = tags[i]->flat;
            r->cum = tags[i]->cum;
        }
    n = collapse_tags(rows, n, MAX_NODELETS, flat_tags, unit);
    for (size_t j = 0; j < n; j++) {
        int64_t w = rows[j].cum;
        const char *attr = " style=\"dotted\"";
        if (flat_tags || rows[j].flat == rows[j].cum) {
            w = rows[j].flat;
            attr = "";
        }
        if (w == 0)
            continue;
        char node[64], from[64];
        snprintf(node, sizeof node, "N%s_%zu", source, j);
        snprintf(from, sizeof from, "%s", source);
        strbuf_printf(out, "%s [label = \"", node);
        dot_escape(out, rows[j].name);
        nodelet_rest(out, node, from, w, attr, f);
        (*drawn)++;
    }
    free(rows);
}

/* pprof's addNodelets. Returns true when the node got any. */
static bool write_nodelets(strbuf *out, graph *g, uint32_t node, uint32_t id,
                           bool has_out, const fmt_ctx *f)
{
    const graph_tag *const *tags;
    size_t n_tags = graph_tags_of(g->tags, node, &tags);
    if (!n_tags)
        return false;
    const char *unit = graph_tags_unit(g->tags);
    /* Leaf nodes show cum tags (weight of dropped callees included),
     * others their flat tags. */
    bool flat_tags = has_out;
    int drawn = 0;
    tag_row *rows = malloc((n_tags + 1) * sizeof *rows);
    if (!rows) {
        out->oom = true;
        return false;
    }
    size_t n = 0;
    bool unlabelled_numeric = false;
    for (size_t i = 0; i < n_tags; i++) {
        if (tags[i]->numeric) {
            unlabelled_numeric |= !*tags[i]->labels;
            continue;
        }
        tag_row *r = &rows[n++];
        r->name[0] = '\0';
        r->long_name = tags[i]->name;
        r->value = 0;
        r->flat = tags[i]->flat;
        r->cum = tags[i]->cum;
    }
    qsort_r(rows, n, sizeof *rows, cmp_tags, &flat_tags);
    if (n > MAX_NODELETS)
        n = MAX_NODELETS;
    for (size_t i = 0; i < n; i++) {
        int64_t w = flat_tags ? rows[i].flat : rows[i].cum;
        if (w == 0)
            continue;
        char source[48], from[24];
        snprintf(source, sizeof source, "N%u_%zu", id, i);
        snprintf(from, sizeof from, "N%u", id);
        strbuf_printf(out, "%s [label = \"", source);
        dot_escape_cap(out, rows[i].long_name, strlen(rows[i].long_name), ESC_KEEP_NL,
                       DOT_LABEL_MAX);
        nodelet_rest(out, source, from, w, "", f);
        drawn++;
        numeric_nodelets(out, tags, n_tags, rows[i].long_name, flat_tags, source, unit,
                         f, &drawn);
    }
    if (unlabelled_numeric) {
        char source[24];
        snprintf(source, sizeof source, "N%u", id);
        numeric_nodelets(out, tags, n_tags, "", flat_tags, source, unit, f, &drawn);
    }
    free(rows);
    return drawn > 0;
}

/* --- edges --- */

static void write_edge(strbuf *out, const graph *g, const graph_dedge *e,
                       bool src_nodelets, const fmt_ctx *f)
{
    char color[8];
    strbuf_printf(out, "N%u -> N%u [label=\" ", e->from + 1, e->to + 1);
    put_value(out, f, e->weight, ESC_PLAIN);
    strbuf_printf(out, "%s\"", e->is_inline ? "\\n (inline)" : "");
    if (f->total != 0) {
        /* 128-bit products: weights are untrusted and may be near 2^63. */
        __int128 pw = (__int128)e->weight * 100 / f->total;
        __int128 pp = (__int128)e->weight * 5 / f->total;
        if (pw < 0)
            pw = -pw;
        if (pp < 0)
            pp = -pp;
        int weight = 1 + (int)(pw > 100 ? 100 : pw);
        int width = 1 + (int)(pp > 5 ? 5 : pp);
        if (weight > 1)
            strbuf_printf(out, " weight=%d", weight);
        if (width > 1)
            strbuf_printf(out, " penwidth=%d", width);
        graph_dot_color(color, (double)e->weight / (double)go_abs64(f->total), 0);
        strbuf_printf(out, " color=\"%s\"", color);
    }
    strbuf tip;
    strbuf_init(&tip);
    strbuf_putc(&tip, '"');
    dot_escape_tooltip(&tip, g->nodes[g->drawn[e->from]].name);
    strbuf_puts(&tip, e->residual ? " ... " : " -> ");
    dot_escape_tooltip(&tip, g->nodes[g->drawn[e->to]].name);
    strbuf_puts(&tip, " (");
    put_value(&tip, f, e->weight, ESC_TOOLTIP);
    strbuf_puts(&tip, ")\"");
    if (tip.oom) {
        out->oom = true;
    } else {
        strbuf_puts(out, " tooltip=");
        strbuf_append(out, tip.buf, tip.len);
        strbuf_puts(out, " labeltooltip=");
        strbuf_append(out, tip.buf, tip.len);
    }
    strbuf_fini(&tip);
    if (e->residual)
        strbuf_puts(out, " style=\"dotted\"");
    if (src_nodelets)
        strbuf_puts(out, " minlen=2");
    strbuf_puts(out, "]\n");
}

/* pprof's selectOutputUnit: the unit of the smallest drawn value, or of
 * 100 times it when the total is in a larger unit. */
static const char *output_unit(const graph *g, int64_t total, const char *unit)
{
    if (!g->n_drawn)
        return "minimum";
    int64_t min = 0;
    for (size_t i = 0; i < g->n_drawn; i++) {
        const graph_node *n = &g->nodes[g->drawn[i]];
        int64_t v = go_abs64(n->flat);
        if (v == 0)
            v = go_abs64(n->cum);
        if (v > 0 && (min == 0 || v < min))
            min = v;
    }
    return units_pick(min, total, unit);
}

int graph_dot_write(strbuf *out, graph *g, const graph_report *r)
{
    const profile *p = r->p;
    fmt_ctx f;
    f.unit = profile_str(p, p->sample_types[r->sample_index].unit);
    f.total = r->total;
    f.out_unit = output_unit(g, r->total, f.unit);

    /* The title is the main binary's base name, as pprof's. */
    const char *title = "";
    if (p->n_mappings) {
        const char *file = profile_str(p, p->mappings[0].filename);
        const char *base = strrchr(file, '/');
        title = base ? base + 1 : file;
    }
    strbuf_puts(out, "digraph \"");
    dot_escape(out, *title ? title : "unnamed");
    strbuf_puts(out, "\" {\nnode [style=filled fillcolor=\"#f8f8f8\"]\n");
    write_legend(out, g, r, &f, title);

    bool *nodelets = calloc(g->n_drawn + 1, sizeof *nodelets);
    bool *has_out = calloc(g->n_drawn + 1, sizeof *has_out);
    if (!nodelets || !has_out) {
        free(nodelets);
        free(has_out);
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < g->n_edges; i++)
        has_out[g->edges[i].from] = true;
    double max_flat = 0;
    for (size_t i = 0; i < g->n_drawn; i++) {
        double v = (double)go_abs64(g->nodes[g->drawn[i]].flat);
        if (i == 0 || v > max_flat)
            max_flat = v;
    }
    for (size_t i = 0; i < g->n_drawn; i++) {
        write_node(out, &g->nodes[g->drawn[i]], (uint32_t)i + 1, max_flat, &f);
        nodelets[i] = write_nodelets(out, g, g->drawn[i], (uint32_t)i + 1, has_out[i], &f);
    }
    for (size_t i = 0; i < g->n_edges; i++)
        write_edge(out, g, &g->edges[i], nodelets[g->edges[i].from], &f);
    strbuf_puts(out, "}\n");
    free(nodelets);
    free(has_out);
    return out->oom ? hearth_error_set(HEARTH_ENOMEM, "out of memory") : 0;
}
