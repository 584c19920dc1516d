/*
 * The finishing touches on Graphviz's SVG of a call graph, as
 * `go tool pprof -svg` gives them: the picture fills the browser window,
 * and the mouse wheel zooms and dragging pans.
 */
#ifndef HEARTH_RENDER_GRAPH_SVG_H
#define HEARTH_RENDER_GRAPH_SVG_H

#include <stdbool.h>
#include <stddef.h>

#include "../formats/strbuf.h"

/*
 * Appends svg (Graphviz's output, n bytes) to out with the root element's
 * fixed width and height replaced by 100%, and, with script, a small
 * script that zooms and pans by changing the viewBox. Text Graphviz wrote
 * is copied as is. Returns 0, or HEARTH_EFORMAT when svg has no <svg>
 * element, or HEARTH_ENOMEM.
 */
int graph_svg_finish(strbuf *out, const char *svg, size_t n, bool script);

#endif
