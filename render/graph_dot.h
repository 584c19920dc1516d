/*
 * A call graph (graph.h) as Graphviz DOT text, drawn as pprof's -dot draws
 * it: the legend box, nodes with font size and colors by value, tags as
 * small boxes, edges with width and color by weight, dotted residual edges
 * and "(inline)" marks.
 */
#ifndef HEARTH_RENDER_GRAPH_DOT_H
#define HEARTH_RENDER_GRAPH_DOT_H

#include <stddef.h>
#include <stdint.h>

#include "../formats/profile.h"
#include "../formats/strbuf.h"
#include "graph.h"

typedef struct graph_report {
    const profile *p;        /* the profile the graph was built from */
    int sample_index;
    int64_t total;           /* pprof's report total: sum of |value| over
                                the samples before filtering */
    const char *const *filters; /* "focus=RE" and the like, for the legend */
    size_t n_filters;
    double node_fraction, edge_fraction; /* as given to graph_build */
} graph_report;

/*
 * Appends the DOT text of g to out. Every name, label and title from the
 * profile is escaped for DOT (backslash, quote) and for the entity
 * decoding Graphviz applies to labels ("&" becomes "&amp;"); control
 * characters and invalid UTF-8 become U+FFFD, so the text also survives
 * Graphviz's SVG output. Returns 0 or HEARTH_ENOMEM.
 */
int graph_dot_write(strbuf *out, graph *g, const graph_report *r);

/* pprof's dotColor: "#rrggbb" for a share in [-1, 1], red for positive
 * (grown), green for negative (shrunk), grey near 0; light for fills. */
void graph_dot_color(char out[8], double score, int background);

#endif
