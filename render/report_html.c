/*
 * index.html: the whole report in one file that opens offline in any
 * browser. Each chart is its own SVG document in an <iframe> with a data:
 * URL, because a flame graph's script and ids assume it owns its document:
 * two inline flame graphs would share ids and scripts. A Content Security
 * Policy forbids every fetch, and no attribute holds anything but a data:
 * URL or a #fragment, so opening the page makes no network request. Text
 * from profiles is escaped with svg_escape, which is valid HTML as well.
 */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "svg.h"

static void base64(strbuf *out, const unsigned char *s, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (strbuf_reserve(out, (n + 2) / 3 * 4 + 1))
        return;
    char *w = out->buf + out->len;
    size_t i = 0;
    for (; i + 2 < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8 | s[i + 2];
        *w++ = tab[v >> 18];
        *w++ = tab[(v >> 12) & 63];
        *w++ = tab[(v >> 6) & 63];
        *w++ = tab[v & 63];
    }
    if (i < n) {
        unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0);
        *w++ = tab[v >> 18];
        *w++ = tab[(v >> 12) & 63];
        *w++ = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        *w++ = '=';
    }
    out->len = (size_t)(w - out->buf);
    out->buf[out->len] = 0;
}

/* The value of attribute name on the SVG's root element: its number, or
 * NULL when absent. */
static const char *svg_attr(const strbuf *svg, const char *name)
{
    const char *root = svg->buf ? strstr(svg->buf, "<svg") : NULL;
    const char *end = root ? strchr(root, '>') : NULL;
    size_t k = strlen(name);
    for (const char *a = root; end && (a = strstr(a, name)) && a < end; a += k)
        if ((a[-1] == ' ' || a[-1] == '\n') && a[k] == '=' && a[k + 1] == '"')
            return a + k + 2;
    return NULL;
}

/* The height of the frame that shows an SVG at the page's width (about
 * 1200 px): its own height in pixels, or for one that fills its frame
 * (width="100%", the call graphs) the height its viewBox gives at that
 * width, within 300..900 px. */
static double frame_height(const strbuf *svg)
{
    const char *h = svg_attr(svg, "height");
    char *end;
    double v = h ? strtod(h, &end) : 0;
    if (h && v > 0 && *end != '%')
        return v;
    const char *vb = svg_attr(svg, "viewBox");
    double box[4] = {0, 0, 0, 0};
    for (int i = 0; vb && i < 4; i++) {
        box[i] = strtod(vb, &end);
        vb = end;
    }
    if (!(box[2] > 0 && box[3] > 0))
        return 600;
    v = 1200 * box[3] / box[2];
    return v < 300 ? 300 : v > 900 ? 900 : v;
}

static const char style[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px auto;"
    "max-width:1240px;padding:0 12px;color:#1b1b1b;line-height:1.4}"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 6px;"
    "border-bottom:1px solid #ddd;padding-bottom:3px}.gen{color:#666;margin:0}"
    "table{border-collapse:collapse;font-size:13px;margin:6px 0}"
    "th,td{border:1px solid #d0d0d0;padding:3px 7px;vertical-align:top;text-align:left}"
    "th{background:#f3f3f3}td.r,th.r{text-align:right;white-space:nowrap}"
    "td{word-break:break-word}.note{color:#444;font-size:13px;margin:2px 0}"
    "figure{margin:14px 0}figcaption{font-size:13px;margin-bottom:4px}"
    "iframe{border:1px solid #ccc;width:100%;display:block;background:#fff}"
    "ul.findings li{margin:3px 0}nav a{margin-right:12px}";

static void table(strbuf *out, const report_table *t)
{
    strbuf_puts(out, "<h2>");
    svg_escape(out, t->title);
    strbuf_puts(out, "</h2>\n");
    if (t->note) {
        strbuf_puts(out, "<p class=\"note\">");
        svg_escape(out, t->note);
        strbuf_puts(out, "</p>\n");
    }
    if (!t->n_rows) {
        strbuf_puts(out, "<p><em>");
        svg_escape(out, t->empty);
        strbuf_puts(out, "</em></p>\n");
        return;
    }
    strbuf_puts(out, "<table>\n<thead><tr>");
    for (size_t c = 0; c < t->n_cols; c++) {
        strbuf_puts(out, t->align[c] == 'r' ? "<th class=\"r\">" : "<th>");
        svg_escape(out, t->headers[c]);
        strbuf_puts(out, "</th>");
    }
    strbuf_puts(out, "</tr></thead>\n<tbody>\n");
    for (size_t r = 0; r < t->n_rows; r++) {
        strbuf_puts(out, "<tr>");
        for (size_t c = 0; c < t->n_cols; c++) {
            strbuf_puts(out, t->align[c] == 'r' ? "<td class=\"r\">" : "<td>");
            svg_escape(out, t->cells[r * t->n_cols + c]);
            strbuf_puts(out, "</td>");
        }
        strbuf_puts(out, "</tr>\n");
    }
    strbuf_puts(out, "</tbody></table>\n");
}

int report_html_write(strbuf *out, const report_doc *doc)
{
    strbuf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                     "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
                     "frame-src data:\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width\">\n<title>");
    svg_escape(out, doc->title);
    strbuf_printf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", style);
    svg_escape(out, doc->title);
    strbuf_puts(out, "</h1>\n<p class=\"gen\">Generated by ");
    svg_escape(out, doc->generated);
    strbuf_puts(out, "</p>\n<h2>Findings</h2>\n<ul class=\"findings\">\n");
    for (size_t i = 0; i < doc->n_verdicts; i++) {
        strbuf_puts(out, "<li>");
        svg_escape(out, doc->verdicts[i]);
        strbuf_puts(out, "</li>\n");
    }
    if (!doc->n_verdicts)
        strbuf_puts(out, "<li>Nothing to compare: no heap, CPU or thread profile among the inputs.</li>\n");
    strbuf_puts(out, "</ul>\n");
    if (doc->n_charts) {
        strbuf_puts(out, "<nav>Charts:");
        for (size_t i = 0; i < doc->n_charts; i++) {
            strbuf_printf(out, " <a href=\"#chart-%s\">", doc->charts[i].file);
            svg_escape(out, doc->charts[i].title);
            strbuf_puts(out, "</a>");
        }
        strbuf_puts(out, "</nav>\n");
    }
    for (size_t i = 0; i < doc->n_tables; i++)
        table(out, &doc->tables[i]);
    if (doc->n_charts)
        strbuf_puts(out, "<h2>Charts</h2>\n<p class=\"note\">Hover for details, click a frame "
                         "to zoom, Ctrl-F inside a chart to search. Each chart is also in this "
                         "folder as an SVG and a PNG.</p>\n");
    for (size_t i = 0; i < doc->n_charts; i++) {
        const report_chart *c = &doc->charts[i];
        double h = frame_height(&c->svg);
        strbuf_printf(out, "<figure id=\"chart-%s\">\n<figcaption><b>", c->file);
        svg_escape(out, c->title);
        strbuf_puts(out, "</b>: ");
        svg_escape(out, c->caption);
        strbuf_printf(out, " (%s.svg)</figcaption>\n<iframe class=\"chart\" data-file=\"%s.svg\" "
                      "title=\"", c->file, c->file);
        svg_escape(out, c->title);
        strbuf_printf(out, "\" height=\"%.0f\" src=\"data:image/svg+xml;base64,", h + 4);
        base64(out, (const unsigned char *)c->svg.buf, c->svg.len);
        strbuf_puts(out, "\"></iframe>\n</figure>\n");
    }
    strbuf_puts(out, "</body>\n</html>\n");
    return out->oom ? HEARTH_ENOMEM : 0;
}
