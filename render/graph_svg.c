/*
 * Graphviz's SVG made to behave as pprof's -svg output does in a browser:
 * the root element's size in points becomes 100% so the graph fills the
 * window (its viewBox keeps the proportions), and a script zooms around
 * the mouse on the wheel and pans on drag by moving the viewBox. The
 * script only changes the viewBox: it never inserts text, so nothing from
 * the profile reaches it. Graphviz writes the root element once, after
 * the XML prolog and comments whose text it escapes, so the first "<svg"
 * is the root.
 */
#include "graph_svg.h"

#include <string.h>

#include "../formats/error.h"

static const char pan_zoom_js[] =
    "<script type=\"text/ecmascript\"><![CDATA[\n"
    "(function () {\n"
    "  var svg = document.documentElement, vb = svg.viewBox && svg.viewBox.baseVal;\n"
    "  if (!vb || !vb.width) return;\n"
    "  var drag = null;\n"
    "  /* Client coordinates to viewBox ones (preserveAspectRatio meet). */\n"
    "  function at(e) {\n"
    "    var r = svg.getBoundingClientRect();\n"
    "    var s = Math.max(vb.width / r.width, vb.height / r.height);\n"
    "    return { x: vb.x - (r.width * s - vb.width) / 2 + (e.clientX - r.left) * s,\n"
    "             y: vb.y - (r.height * s - vb.height) / 2 + (e.clientY - r.top) * s };\n"
    "  }\n"
    "  svg.addEventListener('wheel', function (e) {\n"
    "    e.preventDefault();\n"
    "    var p = at(e), f = e.deltaY < 0 ? 0.8 : 1.25;\n"
    "    vb.x = p.x - (p.x - vb.x) * f; vb.y = p.y - (p.y - vb.y) * f;\n"
    "    vb.width *= f; vb.height *= f;\n"
    "  }, { passive: false });\n"
    "  svg.addEventListener('mousedown', function (e) {\n"
    "    if (e.button === 0) { drag = at(e); e.preventDefault(); }\n"
    "  });\n"
    "  window.addEventListener('mousemove', function (e) {\n"
    "    if (!drag) return;\n"
    "    var p = at(e);\n"
    "    vb.x -= p.x - drag.x; vb.y -= p.y - drag.y;\n"
    "  });\n"
    "  window.addEventListener('mouseup', function () { drag = null; });\n"
    "})();\n"
    "]]></script>\n";

/* Appends tag (the root element's start tag) with width and height set to
 * 100%. */
static void full_size(strbuf *out, const char *tag, size_t n)
{
    size_t i = 0;
    while (i < n) {
        const char *attr = NULL;
        if (n - i > 8 && !memcmp(tag + i, " width=\"", 8))
            attr = " width=\"";
        else if (n - i > 9 && !memcmp(tag + i, " height=\"", 9))
            attr = " height=\"";
        if (!attr) {
            strbuf_putc(out, tag[i++]);
            continue;
        }
        size_t len = strlen(attr);
        const char *end = memchr(tag + i + len, '"', n - i - len);
        if (!end) {
            strbuf_append(out, tag + i, n - i);
            return;
        }
        strbuf_puts(out, attr);
        strbuf_puts(out, "100%\"");
        i = (size_t)(end - tag) + 1;
    }
}

static const char *find(const char *s, size_t n, const char *what)
{
    return memmem(s, n, what, strlen(what));
}

int graph_svg_finish(strbuf *out, const char *svg, size_t n, bool script)
{
    const char *root = find(svg, n, "<svg");
    const char *root_end = root ? memchr(root, '>', n - (size_t)(root - svg)) : NULL;
    const char *close = NULL;
    for (const char *p = root_end; p && (p = find(p, n - (size_t)(p - svg), "</svg>"));
         p++)
        close = p;
    if (!root || !root_end || !close)
        return hearth_error_set(HEARTH_EFORMAT, "graphviz wrote no <svg> element");
    strbuf_append(out, svg, (size_t)(root - svg));
    full_size(out, root, (size_t)(root_end - root));
    strbuf_append(out, root_end, (size_t)(close - root_end));
    if (script)
        strbuf_puts(out, pan_zoom_js);
    strbuf_append(out, close, n - (size_t)(close - svg));
    return out->oom ? hearth_error_set(HEARTH_ENOMEM, "out of memory") : 0;
}
