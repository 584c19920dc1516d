/*
 * The call graph of `hearth graph`: pprof's nodes and edges (nodes.h) cut
 * and selected by pprof's rules for its dot output, ready to be written as
 * DOT (graph_dot.h) and laid out (gv.h).
 */
#ifndef HEARTH_RENDER_GRAPH_H
#define HEARTH_RENDER_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../formats/profile.h"
#include "graph_tags.h"
#include "nodes.h"

typedef struct graph_options {
    int sample_index;
    nodes_granularity granularity;
    double node_fraction;  /* drop nodes with |cum| below this share */
    double edge_fraction;  /* drop edges with |weight| below this share */
    long node_count;       /* draw at most this many nodes; 0 = no limit */
} graph_options;

#define GRAPH_OPTIONS_INIT { 0, GRAN_FUNCTIONS, 0.005, 0.001, 80 }

/* A drawn edge; from and to index graph_drawn_nodes. */
typedef struct graph_dedge {
    uint32_t from, to;
    int64_t weight;
    bool residual;   /* bypasses nodes that were dropped (dotted) */
    bool is_inline;  /* every call along it was inlined */
} graph_dedge;

typedef struct graph {
    node_graph *ng;
    graph_tags *tags;
    const graph_node *nodes;   /* all of ng's nodes (borrowed from ng) */
    uint32_t *drawn;           /* ng node indexes, in drawing order (N1, N2..) */
    size_t n_drawn;
    graph_dedge *edges;        /* in drawing order */
    size_t n_edges;
    int64_t flat_sum;          /* sum of the drawn nodes' flat values */
    long orig_count;           /* nodes left after the nodefraction cut */
    long dropped_nodes;        /* by the nodefraction cut */
    long dropped_edges;        /* by the last edgefraction cut */
} graph;

/*
 * Builds the call graph of p (validated, filtered) by pprof's rules for
 * `-dot` (report.newTrimmedGraph): the node cut at node_fraction of the sum
 * of flat values, nodes ordered by entropy score and the first node_count
 * kept (a node's label tags count as nodes, as pprof counts them), the
 * edge cut, and residual edges removed where another path connects the
 * same nodes. p must outlive the graph. Returns 0 or HEARTH_ENOMEM.
 */
int graph_build(graph **out, const profile *p, const graph_options *o);
void graph_destroy(graph *g);

#endif
