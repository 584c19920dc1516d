/*
 * pprof's graph of nodes: a profile aggregated into one node per function
 * (or file, line, address), each with flat and cum values, and the caller ->
 * callee edges between them. `hearth top` prints the nodes; the call graph
 * draws nodes and edges.
 */
#ifndef HEARTH_RENDER_NODES_H
#define HEARTH_RENDER_NODES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../formats/profile.h"

typedef enum nodes_granularity {
    GRAN_FUNCTIONS,     /* pprof's default */
    GRAN_FILEFUNCTIONS,
    GRAN_FILES,
    GRAN_LINES,
    GRAN_ADDRESSES,
} nodes_granularity;

/* Parses "functions", "filefunctions", "files", "lines", "addresses".
 * Returns 0 or -1. */
int nodes_granularity_parse(nodes_granularity *out, const char *s);

typedef struct graph_node {
    char *name;       /* printable name, as pprof prints it: its parts
                         (address, function, file or binary) joined by
                         spaces */
    uint32_t func_off, func_len; /* the function name within name */
    uint32_t rest_off;           /* the part after it (strlen(name): none) */
    int64_t flat;
    int64_t cum;
    bool kept;        /* false when cut by node_graph_keep */
    bool in_inline;   /* has an incoming edge that is inlined */
    bool in_call;     /* has an incoming edge that is a real call */
} graph_node;

typedef struct graph_edge {
    uint32_t from, to;
    int64_t weight;
    bool is_inline;   /* every contribution came from an inlined frame */
    bool residual;    /* some contribution skipped dropped nodes */
    bool kept;        /* false when cut by node_graph_trim_edges */
} graph_edge;

typedef struct node_graph node_graph;

/* Aggregates p (validated) by granularity for the sample type at
 * sample_index. Returns 0 or HEARTH_ENOMEM. */
int node_graph_build(node_graph **out, const profile *p, int sample_index,
                     nodes_granularity gran);
void node_graph_destroy(node_graph *g);

/* Keeps only nodes with |cum| >= cutoff and re-accumulates, as pprof rebuilds
 * its graph after the nodefraction cut: flat of a sample whose leaf was
 * dropped is lost, edges bridge dropped nodes as residual. Returns the
 * number of nodes dropped, or a negative error. */
long node_graph_keep(node_graph *g, int64_t cutoff);

/* Drops edges with |weight| < cutoff (pprof's edgefraction cut) and
 * recomputes each node's in_inline/in_call from the edges left. Returns the
 * number of edges dropped. */
long node_graph_trim_edges(node_graph *g, int64_t cutoff);

/* Keeps only the n listed nodes (indexes into node_graph_nodes) and
 * re-accumulates, as pprof does after choosing its top N nodes. */
int node_graph_retain(node_graph *g, const uint32_t *idx, size_t n);

/* Sum of |value| over samples (pprof's report total). */
int64_t node_graph_total(const node_graph *g);
size_t node_graph_count(const node_graph *g);
/* Borrowed; nodes with flat == cum == 0 or not kept are still listed. */
const graph_node *node_graph_nodes(const node_graph *g);
const graph_edge *node_graph_edges(const node_graph *g, size_t *n);
/* The nodes of the location at array index loc (p->locations[loc]), one per
 * line, innermost first; *n gets their number. Borrowed. */
const uint32_t *node_graph_location_nodes(const node_graph *g, size_t loc, uint32_t *n);

#endif
