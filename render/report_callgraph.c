/*
 * The report's call graphs: what `hearth graph` draws (pprof's rules, laid
 * out by Graphviz) for the heap and CPU profiles, with its zoom-and-pan
 * script. The SVG fills its frame (100% wide), which has no size of its
 * own for librsvg, so the PNG is drawn from Graphviz's SVG before that
 * change. Its own file so the report depends on the call graph code in
 * one place.
 */
#include "report_parts.h"

#include "../formats/error.h"
#include "graph.h"
#include "graph_base.h"
#include "graph_dot.h"
#include "graph_svg.h"
#include "gv.h"
#include "png.h"

int report_callgraph_add(report_doc *doc, const report_profile *r, const char *sample,
                         const char *file, const char *title, const char *caption, bool png)
{
    graph_options go = GRAPH_OPTIONS_INIT;
    go.sample_index = sample ? profile_find_sample_index(r->p, sample) : -1;
    if (go.sample_index < 0)
        go.sample_index = profile_default_sample_index(r->p);
    if (go.sample_index < 0)
        return 0; /* no sample types: nothing to draw */
    graph *g = NULL;
    strbuf dot, img;
    strbuf_init(&dot);
    strbuf_init(&img);
    int rc = graph_build(&g, r->p, &go);
    if (!rc) {
        graph_report gr = {r->p, go.sample_index, graph_base_total(r->p, go.sample_index),
                           NULL, 0, go.node_fraction, go.edge_fraction};
        rc = graph_dot_write(&dot, g, &gr);
    }
    if (!rc)
        rc = gv_render(&img, dot.buf, "svg");
    report_chart *c = NULL;
    if (!rc && !(c = report_chart_add(doc, file, title, caption)))
        rc = hearth_error_set(HEARTH_ENOMEM, "out of memory");
    if (!rc)
        rc = graph_svg_finish(&c->svg, img.buf, img.len, true);
    if (!rc && png)
        rc = png_from_svg(&c->png, img.buf, img.len);
    if (rc)
        hearth_error_wrap(rc, "%s: call graph", r->name);
    strbuf_fini(&dot);
    strbuf_fini(&img);
    graph_destroy(g);
    return rc;
}
