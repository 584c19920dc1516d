/*
 * pprof's call-graph trimming for its dot output (report.newTrimmedGraph,
 * graph.SortNodes with EntropyOrder, SelectTopNodes, RemoveRedundantEdges),
 * step by step and in the same order, because each step sees what the one
 * before left: the first node order is scored with every edge, the edge
 * cut happens before the top nodes are chosen, and a graph that keeps all
 * its nodes is not rebuilt (so the legend then counts no dropped edges,
 * as pprof's does). Aggregation is nodes.c's; this file only decides what
 * is kept and in which order it is drawn. Graphs are drawn with about 80
 * nodes, so the sorts and the redundant-edge searches here are cheap next
 * to the passes over the samples.
 */
#include "graph.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../formats/error.h"

/* pprof draws at most this many tags per node and counts no more. */
#define MAX_NODELETS 4

/* Go's abs64: the negation of INT64_MIN stays negative. */
static int64_t go_abs64(int64_t v)
{
    return v < 0 ? (int64_t)(0 - (uint64_t)v) : v;
}

static int64_t abs64(int64_t v)
{
    return v == INT64_MIN ? INT64_MAX : (v < 0 ? -v : v);
}

/* Go's int64(x) on amd64: NaN and values out of range become INT64_MIN. */
static int64_t go_int64(double x)
{
    if (!(x >= -9223372036854775808.0 && x < 9223372036854775808.0))
        return INT64_MIN;
    return (int64_t)x;
}

typedef struct scored {
    uint32_t idx;
    int64_t score;
    const graph_node *n;
} scored;

static int cmp_scored(const void *a, const void *b)
{
    const scored *x = a, *y = b;
    int64_t xs = go_abs64(x->score), ys = go_abs64(y->score);
    if (xs != ys)
        return xs > ys ? -1 : 1;
    int c = strcmp(x->n->name, y->n->name);
    if (c)
        return c;
    int64_t xf = go_abs64(x->n->flat), yf = go_abs64(y->n->flat);
    if (xf != yf)
        return xf > yf ? -1 : 1;
    /* pprof compares the nodes' whole identities here; two nodes with the
     * same printed name and flat value keep the order they were found in. */
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/*
 * pprof's entropyScore for every node: entry and leaf nodes get a bonus, a
 * node whose value falls through one edge scores low. Edge weights are
 * summed per node first (the fractions need the totals), then each edge's
 * -f*log2(f) term is added to both its ends.
 */
static int entropy_scores(const node_graph *ng, int64_t *score)
{
    size_t n = node_graph_count(ng), n_edges;
    const graph_node *nodes = node_graph_nodes(ng);
    const graph_edge *edges = node_graph_edges(ng, &n_edges);
    int64_t *in_total = calloc(n + 1, sizeof *in_total);
    int64_t *out_total = calloc(n + 1, sizeof *out_total);
    double *in_score = calloc(n + 1, sizeof *in_score);
    double *out_score = calloc(n + 1, sizeof *out_score);
    uint32_t *n_in = calloc(n + 1, sizeof *n_in), *n_out = calloc(n + 1, sizeof *n_out);
    int rc = HEARTH_ENOMEM;
    if (!in_total || !out_total || !in_score || !out_score || !n_in || !n_out)
        goto out;
    for (size_t i = 0; i < n; i++)
        out_total[i] = nodes[i].flat;
    for (size_t i = 0; i < n_edges; i++) {
        const graph_edge *e = &edges[i];
        if (!e->kept)
            continue;
        n_out[e->from]++;
        n_in[e->to]++;
        if (e->weight > 0) {
            out_total[e->from] = (int64_t)((uint64_t)out_total[e->from] + (uint64_t)e->weight);
            in_total[e->to] = (int64_t)((uint64_t)in_total[e->to] + (uint64_t)e->weight);
        }
    }
    for (size_t i = 0; i < n_edges; i++) {
        const graph_edge *e = &edges[i];
        if (!e->kept)
            continue;
        double w = (double)go_abs64(e->weight);
        if (out_total[e->from] != 0) {
            double f = w / (double)out_total[e->from];
            out_score[e->from] += -f * log2(f);
        }
        if (in_total[e->to] != 0) {
            double f = w / (double)in_total[e->to];
            in_score[e->to] += -f * log2(f);
        }
    }
    for (size_t i = 0; i < n; i++) {
        double s = 0;
        s += n_in[i] ? in_score[i] : 1;
        if (n_out[i]) {
            s += out_score[i];
            if (nodes[i].flat > 0 && out_total[i] != 0) {
                double f = (double)go_abs64(nodes[i].flat) / (double)out_total[i];
                s += -f * log2(f);
            }
        } else {
            s += 1;
        }
        score[i] = (int64_t)((uint64_t)go_int64(s * (double)nodes[i].cum) +
                             (uint64_t)nodes[i].flat);
    }
    rc = 0;
out:
    free(in_total);
    free(out_total);
    free(in_score);
    free(out_score);
    free(n_in);
    free(n_out);
    return rc;
}

/* The nodes of the current graph (kept, reached by some sample), in
 * pprof's entropy order. */
static int sorted_nodes(graph *g, uint32_t **out, size_t *n_out)
{
    size_t n = node_graph_count(g->ng);
    const graph_node *nodes = node_graph_nodes(g->ng);
    int64_t *score = calloc(n + 1, sizeof *score);
    scored *s = malloc((n + 1) * sizeof *s);
    uint32_t *idx = malloc((n + 1) * sizeof *idx);
    int rc = HEARTH_ENOMEM;
    if (!score || !s || !idx || entropy_scores(g->ng, score))
        goto out;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (nodes[i].kept && (nodes[i].flat || nodes[i].cum))
            s[k++] = (scored){(uint32_t)i, score[i], &nodes[i]};
    qsort(s, k, sizeof *s, cmp_scored);
    for (size_t i = 0; i < k; i++)
        idx[i] = s[i].idx;
    free(*out);
    *out = idx;
    idx = NULL;
    *n_out = k;
    rc = 0;
out:
    free(score);
    free(s);
    free(idx);
    return rc;
}

/* pprof's selectTopNodes in visual mode: tags count as nodes. */
static size_t top_count(graph *g, long node_count)
{
    size_t max = (size_t)node_count, count = 0;
    for (size_t i = 0; i < g->n_drawn; i++) {
        size_t tags = graph_tags_count(g->tags, g->drawn[i]);
        if (tags > MAX_NODELETS)
            tags = MAX_NODELETS;
        count += tags + 1;
        if (count >= max) {
            max = i + 1;
            break;
        }
    }
    return max > g->n_drawn ? g->n_drawn : max;
}

/* pprof's edge order (edgeList.Less): heavier first, then by the names of
 * the caller and the callee. Edges of opposite weights tie in pprof and
 * fall to the names here. */
static int cmp_edges(const void *a, const void *b, void *arg)
{
    const graph_node *sort_nodes = arg;
    const graph_edge *x = *(const graph_edge *const *)a, *y = *(const graph_edge *const *)b;
    if (x->weight != y->weight) {
        int64_t xw = go_abs64(x->weight), yw = go_abs64(y->weight);
        if (xw != yw)
            return xw > yw ? -1 : 1;
    }
    int c = strcmp(sort_nodes[x->from].name, sort_nodes[y->from].name);
    if (c)
        return c;
    return strcmp(sort_nodes[x->to].name, sort_nodes[y->to].name);
}

/* True when, without edge e, its caller still reaches its callee through
 * live edges (pprof's isRedundantEdge: a search up the callers). */
static bool redundant(const graph_edge *const *in, const size_t *in_off,
                      const bool *dead, const graph_edge *edges, const graph_edge *e,
                      bool *seen, uint32_t *queue, size_t n_nodes)
{
    memset(seen, 0, n_nodes * sizeof *seen);
    size_t head = 0, tail = 0;
    queue[tail++] = e->to;
    seen[e->to] = true;
    bool found = false;
    while (head < tail && !found) {
        uint32_t n = queue[head++];
        for (size_t i = in_off[n]; i < in_off[n + 1]; i++) {
            const graph_edge *ie = in[i];
            if (ie == e || dead[ie - edges] || seen[ie->from])
                continue;
            if (ie->from == e->from) {
                found = true;
                break;
            }
            seen[ie->from] = true;
            queue[tail++] = ie->from;
        }
    }
    return found;
}

/*
 * pprof's RemoveRedundantEdges, then the drawn edges in pprof's order.
 * Nodes are visited from the last drawn to the first; each one's incoming
 * edges from the lightest up, stopping at the first one that is not
 * residual.
 */
static int finish_edges(graph *g)
{
    size_t n_edges, n_nodes = node_graph_count(g->ng);
    const graph_edge *edges = node_graph_edges(g->ng, &n_edges);
    const graph_edge **in = malloc((n_edges + 1) * sizeof *in);
    size_t *in_off = calloc(n_nodes + 2, sizeof *in_off);
    bool *dead = calloc(n_edges + 1, sizeof *dead);
    bool *seen = calloc(n_nodes + 1, sizeof *seen);
    uint32_t *queue = malloc((n_nodes + 1) * sizeof *queue);
    uint32_t *pos = malloc((n_nodes + 1) * sizeof *pos);
    const graph_edge **live = malloc((n_edges + 1) * sizeof *live);
    int rc = HEARTH_ENOMEM;
    if (!in || !in_off || !dead || !seen || !queue || !pos || !live)
        goto out;
    /* Incoming edges per node, each list in edge order. */
    for (size_t i = 0; i < n_edges; i++)
        if (edges[i].kept)
            in_off[edges[i].to + 1]++;
    for (size_t i = 0; i < n_nodes; i++)
        in_off[i + 1] += in_off[i];
    for (size_t i = 0; i < n_edges; i++)
        if (edges[i].kept)
            in[in_off[edges[i].to]++] = &edges[i];
    for (size_t i = n_nodes; i > 0; i--)
        in_off[i] = in_off[i - 1];
    in_off[0] = 0;
    for (size_t i = 0; i < n_nodes; i++)
        qsort_r(in + in_off[i], in_off[i + 1] - in_off[i], sizeof *in, cmp_edges,
                (void *)g->nodes);
    for (size_t d = g->n_drawn; d > 0; d--) {
        uint32_t n = g->drawn[d - 1];
        for (size_t j = in_off[n + 1]; j > in_off[n]; j--) {
            const graph_edge *e = in[j - 1];
            if (dead[e - edges])
                continue;
            if (!e->residual)
                break;
            if (redundant(in, in_off, dead, edges, e, seen, queue, n_nodes))
                dead[e - edges] = true;
        }
    }
    for (size_t i = 0; i < n_nodes; i++)
        pos[i] = UINT32_MAX;
    for (size_t i = 0; i < g->n_drawn; i++)
        pos[g->drawn[i]] = (uint32_t)i;
    /* In a difference of profiles a node can cancel out (flat and cum 0)
     * and is not drawn while an edge to it is not 0: pprof then writes an
     * edge to a node "N0" that does not exist; such edges are left out. */
    size_t k = 0;
    for (size_t i = 0; i < n_edges; i++)
        if (edges[i].kept && !dead[i] && pos[edges[i].from] != UINT32_MAX &&
            pos[edges[i].to] != UINT32_MAX)
            live[k++] = &edges[i];
    qsort_r(live, k, sizeof *live, cmp_edges, (void *)g->nodes);
    g->edges = malloc((k + 1) * sizeof *g->edges);
    if (!g->edges)
        goto out;
    for (size_t i = 0; i < k; i++)
        g->edges[i] = (graph_dedge){pos[live[i]->from], pos[live[i]->to], live[i]->weight,
                                    live[i]->residual, live[i]->is_inline};
    g->n_edges = k;
    rc = 0;
out:
    free(in);
    free(in_off);
    free(dead);
    free(seen);
    free(queue);
    free(pos);
    free(live);
    return rc;
}

int graph_build(graph **out, const profile *p, const graph_options *o)
{
    graph *g = calloc(1, sizeof *g);
    if (!g)
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    int rc = node_graph_build(&g->ng, p, o->sample_index, o->granularity);
    if (rc)
        goto fail;
    rc = graph_tags_create(&g->tags, p, o->sample_index);
    if (rc)
        goto fail;
    rc = HEARTH_ENOMEM;

    /* The cut-offs are shares of the sum of flat values of the whole graph
     * (which is the total when every sample has a stack). */
    int64_t flat_total = 0;
    const graph_node *nodes = node_graph_nodes(g->ng);
    for (size_t i = 0; i < node_graph_count(g->ng); i++)
        flat_total = (int64_t)((uint64_t)flat_total + (uint64_t)nodes[i].flat);
    int64_t node_cutoff = abs64((int64_t)((double)flat_total * o->node_fraction));
    int64_t edge_cutoff = abs64((int64_t)((double)flat_total * o->edge_fraction));

    if (node_cutoff > 0) {
        long dropped = node_graph_keep(g->ng, node_cutoff);
        if (dropped < 0) {
            rc = (int)dropped;
            goto fail;
        }
        g->dropped_nodes = dropped;
    }
    g->nodes = node_graph_nodes(g->ng);
    if (sorted_nodes(g, &g->drawn, &g->n_drawn))
        goto fail;
    g->orig_count = (long)g->n_drawn;

    if (o->node_count > 0) {
        /* Light tags and edges are cut before choosing: they would count. */
        if (graph_tags_accumulate(g->tags, g->ng))
            goto fail;
        graph_tags_trim(g->tags, node_cutoff);
        node_graph_trim_edges(g->ng, edge_cutoff);
        size_t keep = top_count(g, o->node_count);
        if (keep != g->n_drawn) {
            if (node_graph_retain(g->ng, g->drawn, keep))
                goto fail;
            if (sorted_nodes(g, &g->drawn, &g->n_drawn))
                goto fail;
        }
    }
    if (graph_tags_accumulate(g->tags, g->ng))
        goto fail;
    graph_tags_trim(g->tags, node_cutoff);
    g->dropped_edges = node_graph_trim_edges(g->ng, edge_cutoff);
    if (finish_edges(g))
        goto fail;
    for (size_t i = 0; i < g->n_drawn; i++)
        g->flat_sum = (int64_t)((uint64_t)g->flat_sum + (uint64_t)g->nodes[g->drawn[i]].flat);
    *out = g;
    return 0;
fail:
    graph_destroy(g);
    return rc == HEARTH_ENOMEM ? hearth_error_set(rc, "out of memory") : rc;
}

void graph_destroy(graph *g)
{
    if (!g)
        return;
    node_graph_destroy(g->ng);
    graph_tags_destroy(g->tags);
    free(g->drawn);
    free(g->edges);
    free(g);
}
