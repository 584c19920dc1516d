/*
 * Profile -> nodes and edges, by pprof's rules (internal/graph newGraph):
 * each location expands to one node per line (inlined frames are nodes of
 * their own); a sample adds its value to the cum of every distinct node on
 * its stack once, to the flat of its leaf node, and to each distinct
 * caller -> callee edge once. Node identity is computed once per location,
 * so the per-sample work is integer lookups: profiles carry 10^5 samples
 * over 10^3-10^4 locations.
 */
#include "nodes.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../formats/error.h"
#include "../formats/strbuf.h"

struct node_graph {
    const profile *p;
    int sample_index;
    graph_node *nodes;
    size_t n_nodes, cap_nodes;
    uint32_t *node_table;     /* key hash -> node index + 1 */
    char **keys;              /* identity key of each node */
    size_t table_cap;
    uint32_t **loc_nodes;     /* per location (by array index): node indexes,
                                 innermost line first */
    uint32_t *loc_n;
    graph_edge *edges;
    uint32_t *edge_stamp;     /* sample number that last added to each edge */
    size_t n_edges, cap_edges;
    uint32_t *edge_table;     /* edge index + 1 */
    size_t edge_cap;
    int64_t total;
    /* per-sample scratch */
    uint32_t *seen_stamp;     /* node -> last sample number that saw it */
    uint32_t stamp;
};

int nodes_granularity_parse(nodes_granularity *out, const char *s)
{
    static const char *const names[] = {"functions", "filefunctions", "files",
                                        "lines", "addresses"};
    for (int i = 0; i < 5; i++)
        if (!strcmp(s, names[i])) {
            *out = (nodes_granularity)i;
            return 0;
        }
    return -1;
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

static const char *base_name(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

/*
 * Builds pprof's NodeInfo for one line of a location after its Aggregate
 * step, as a key (every identifying field) and a printable name
 * (NameComponents joined by spaces).
 */
static void node_identity(strbuf *key, strbuf *name, uint32_t parts[3],
                          const profile *p, const profile_location *loc,
                          const profile_line *line, nodes_granularity gran)
{
    const profile_mapping *m = loc->mapping_id ? profile_mapping_find(p, loc->mapping_id) : NULL;
    const char *objfile = m ? profile_str(p, m->filename) : "";
    uint64_t address = gran == GRAN_ADDRESSES ? loc->address : 0;
    const char *fname = "", *file = "";
    int64_t lineno = 0, start_line = 0;
    int has_fn = 0;
    if (line) {
        const profile_function *fn = profile_function_find(p, line->function_id);
        if (fn) {
            has_fn = 1;
            if (gran != GRAN_FILES)
                fname = profile_str(p, fn->name);
            if (gran != GRAN_FUNCTIONS)
                file = profile_str(p, fn->filename);
            if (gran == GRAN_LINES || gran == GRAN_ADDRESSES)
                lineno = line->line;
            start_line = fn->start_line;
        }
    }
    const char *obj = "";
    int64_t sl = 0;
    if (!has_fn || !*fname) {
        obj = objfile;
        sl = has_fn ? start_line : 0;
    }
    key->len = 0;
    strbuf_printf(key, "%" PRIx64 "\x01%s\x01%s\x01%" PRId64 "\x01%s\x01%" PRId64,
                  address, fname, file, lineno, obj, sl);

    name->len = 0;
    if (address)
        strbuf_printf(name, "%016" PRIx64, address);
    parts[0] = parts[1] = 0;
    if (*fname) {
        if (name->len)
            strbuf_putc(name, ' ');
        parts[0] = (uint32_t)name->len;
        strbuf_puts(name, fname);
        parts[1] = (uint32_t)(name->len - parts[0]);
    }
    parts[2] = (uint32_t)name->len + (name->len ? 1 : 0);
    const char *extra = NULL;
    char tmp[32];
    if (lineno) {
        if (name->len)
            strbuf_putc(name, ' ');
        strbuf_puts(name, file);
        snprintf(tmp, sizeof tmp, ":%" PRId64, lineno);
        strbuf_puts(name, tmp);
    } else if (*file) {
        extra = file;
    } else if (*fname) {
        /* the function name is already there */
    } else if (*obj) {
        if (name->len)
            strbuf_putc(name, ' ');
        strbuf_putc(name, '[');
        strbuf_puts(name, base_name(obj));
        strbuf_putc(name, ']');
    } else {
        extra = "<unknown>";
    }
    if (extra) {
        if (name->len)
            strbuf_putc(name, ' ');
        strbuf_puts(name, extra);
    }
    if (parts[2] > name->len)
        parts[2] = (uint32_t)name->len;
}

static int intern_node(node_graph *g, const char *key, const char *name,
                       const uint32_t parts[3], uint32_t *out)
{
    if ((g->n_nodes + 1) * 2 > g->table_cap) {
        size_t cap = g->table_cap ? g->table_cap * 2 : 256;
        uint32_t *t = calloc(cap, sizeof *t);
        if (!t)
            return HEARTH_ENOMEM;
        for (size_t i = 0; i < g->n_nodes; i++) {
            size_t h = hash_str(g->keys[i]) & (cap - 1);
            while (t[h])
                h = (h + 1) & (cap - 1);
            t[h] = (uint32_t)i + 1;
        }
        free(g->node_table);
        g->node_table = t;
        g->table_cap = cap;
    }
    size_t h = hash_str(key) & (g->table_cap - 1);
    while (g->node_table[h]) {
        uint32_t i = g->node_table[h] - 1;
        if (!strcmp(g->keys[i], key)) {
            *out = i;
            return 0;
        }
        h = (h + 1) & (g->table_cap - 1);
    }
    if (g->n_nodes == g->cap_nodes) {
        size_t cap = g->cap_nodes ? g->cap_nodes * 2 : 64;
        graph_node *n = realloc(g->nodes, cap * sizeof *n);
        if (!n)
            return HEARTH_ENOMEM;
        g->nodes = n;
        char **k = realloc(g->keys, cap * sizeof *k);
        if (!k)
            return HEARTH_ENOMEM;
        g->keys = k;
        g->cap_nodes = cap;
    }
    char *kc = strdup(key), *nc = strdup(name);
    if (!kc || !nc) {
        free(kc);
        free(nc);
        return HEARTH_ENOMEM;
    }
    uint32_t i = (uint32_t)g->n_nodes++;
    g->keys[i] = kc;
    memset(&g->nodes[i], 0, sizeof g->nodes[i]);
    g->nodes[i].name = nc;
    g->nodes[i].func_off = parts[0];
    g->nodes[i].func_len = parts[1];
    g->nodes[i].rest_off = parts[2];
    g->nodes[i].kept = true;
    g->node_table[h] = i + 1;
    *out = i;
    return 0;
}

/* Profiles are untrusted: values near 2^63 must saturate, not wrap (a
 * wrapped total would print "-9223372036854775808" and is undefined
 * behaviour in C). */
static int64_t sat_add(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

static int64_t sat_abs(int64_t v)
{
    return v == INT64_MIN ? INT64_MAX : (v < 0 ? -v : v);
}

static int add_edge(node_graph *g, uint32_t from, uint32_t to, int64_t w,
                    bool residual, bool is_inline)
{
    if ((g->n_edges + 1) * 2 > g->edge_cap) {
        size_t cap = g->edge_cap ? g->edge_cap * 2 : 256;
        uint32_t *t = calloc(cap, sizeof *t);
        if (!t)
            return HEARTH_ENOMEM;
        for (size_t i = 0; i < g->n_edges; i++) {
            uint64_t k = ((uint64_t)g->edges[i].from << 32) | g->edges[i].to;
            size_t h = (size_t)((k * 0x9e3779b97f4a7c15ull) >> 20) & (cap - 1);
            while (t[h])
                h = (h + 1) & (cap - 1);
            t[h] = (uint32_t)i + 1;
        }
        free(g->edge_table);
        g->edge_table = t;
        g->edge_cap = cap;
    }
    uint64_t k = ((uint64_t)from << 32) | to;
    size_t h = (size_t)((k * 0x9e3779b97f4a7c15ull) >> 20) & (g->edge_cap - 1);
    while (g->edge_table[h]) {
        graph_edge *e = &g->edges[g->edge_table[h] - 1];
        if (e->from == from && e->to == to) {
            uint32_t *st = &g->edge_stamp[g->edge_table[h] - 1];
            if (*st == g->stamp)
                return 0;
            *st = g->stamp;
            e->weight = sat_add(e->weight, w);
            if (residual)
                e->residual = true;
            if (!is_inline)
                e->is_inline = false;
            return 0;
        }
        h = (h + 1) & (g->edge_cap - 1);
    }
    if (g->n_edges == g->cap_edges) {
        size_t cap = g->cap_edges ? g->cap_edges * 2 : 256;
        graph_edge *n = realloc(g->edges, cap * sizeof *n);
        if (!n)
            return HEARTH_ENOMEM;
        g->edges = n;
        uint32_t *st = realloc(g->edge_stamp, cap * sizeof *st);
        if (!st)
            return HEARTH_ENOMEM;
        g->edge_stamp = st;
        g->cap_edges = cap;
    }
    g->edge_stamp[g->n_edges] = g->stamp;
    g->edges[g->n_edges] = (graph_edge){from, to, w, is_inline, residual, true};
    g->edge_table[h] = (uint32_t)++g->n_edges;
    return 0;
}

/* One pass over the samples with the current kept set. */
static int accumulate(node_graph *g)
{
    const profile *p = g->p;
    for (size_t i = 0; i < g->n_nodes; i++) {
        g->nodes[i].flat = g->nodes[i].cum = 0;
        g->nodes[i].in_inline = g->nodes[i].in_call = false;
    }
    g->n_edges = 0;
    if (g->edge_table)
        memset(g->edge_table, 0, g->edge_cap * sizeof *g->edge_table);
    g->total = 0;
    free(g->seen_stamp);
    g->seen_stamp = calloc(g->n_nodes + 1, sizeof *g->seen_stamp);
    if (!g->seen_stamp)
        return HEARTH_ENOMEM;
    g->stamp = 0;
    for (size_t s = 0; s < p->n_samples; s++) {
        const profile_sample *sm = &p->samples[s];
        int64_t w = sm->values[g->sample_index];
        if (w == 0)
            continue;
        g->total = sat_add(g->total, sat_abs(w));
        if (++g->stamp == 0) {
            memset(g->seen_stamp, 0, g->n_nodes * sizeof *g->seen_stamp);
            g->stamp = 1;
        }
        int64_t parent = -1;
        bool residual = false;
        for (size_t i = sm->n_locations; i-- > 0;) {
            const profile_location *loc = profile_location_find(p, sm->location_ids[i]);
            size_t li = (size_t)(loc - p->locations);
            uint32_t n = g->loc_n[li];
            for (size_t ni = n; ni-- > 0;) {
                uint32_t node = g->loc_nodes[li][ni];
                if (!g->nodes[node].kept) {
                    residual = true;
                    continue;
                }
                if (g->seen_stamp[node] != g->stamp) {
                    g->seen_stamp[node] = g->stamp;
                    g->nodes[node].cum = sat_add(g->nodes[node].cum, w);
                }
                /* Each distinct edge once per sample, as pprof's seenEdge:
                 * a repeated pair within one sample only adds weight once. */
                if (parent >= 0 && (uint32_t)parent != node) {
                    bool is_inline = ni != n - 1;
                    int rc = add_edge(g, (uint32_t)parent, node, w, residual, is_inline);
                    if (rc)
                        return rc;
                }
                parent = node;
                residual = false;
            }
        }
        if (parent >= 0 && !residual)
            g->nodes[parent].flat = sat_add(g->nodes[parent].flat, w);
    }
    node_graph_trim_edges(g, 0);
    return 0;
}

int node_graph_build(node_graph **out, const profile *p, int sample_index,
                     nodes_granularity gran)
{
    node_graph *g = calloc(1, sizeof *g);
    strbuf key, name;
    strbuf_init(&key);
    strbuf_init(&name);
    int rc = HEARTH_ENOMEM;
    if (!g)
        goto out;
    g->p = p;
    g->sample_index = sample_index;
    g->loc_nodes = calloc(p->n_locations + 1, sizeof *g->loc_nodes);
    g->loc_n = calloc(p->n_locations + 1, sizeof *g->loc_n);
    if (!g->loc_nodes || !g->loc_n)
        goto out;
    for (size_t i = 0; i < p->n_locations; i++) {
        const profile_location *loc = &p->locations[i];
        uint32_t n = loc->n_lines ? loc->n_lines : 1;
        g->loc_nodes[i] = malloc(n * sizeof **g->loc_nodes);
        if (!g->loc_nodes[i])
            goto out;
        g->loc_n[i] = n;
        for (uint32_t j = 0; j < n; j++) {
            uint32_t parts[3];
            node_identity(&key, &name, parts, p, loc, loc->n_lines ? &loc->lines[j] : NULL,
                          gran);
            if (key.oom || name.oom)
                goto out;
            rc = intern_node(g, key.buf, name.buf, parts, &g->loc_nodes[i][j]);
            if (rc)
                goto out;
        }
    }
    rc = accumulate(g);
out:
    strbuf_fini(&key);
    strbuf_fini(&name);
    if (rc) {
        node_graph_destroy(g);
        return hearth_error_set(rc, "out of memory");
    }
    *out = g;
    return 0;
}

void node_graph_destroy(node_graph *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n_nodes; i++) {
        free(g->nodes[i].name);
        free(g->keys[i]);
    }
    if (g->loc_nodes)
        for (size_t i = 0; i < g->p->n_locations; i++)
            free(g->loc_nodes[i]);
    free(g->loc_nodes);
    free(g->loc_n);
    free(g->nodes);
    free(g->keys);
    free(g->node_table);
    free(g->edges);
    free(g->edge_stamp);
    free(g->edge_table);
    free(g->seen_stamp);
    free(g);
}

long node_graph_keep(node_graph *g, int64_t cutoff)
{
    long dropped = 0;
    for (size_t i = 0; i < g->n_nodes; i++) {
        graph_node *n = &g->nodes[i];
        if (!n->kept)
            continue;
        /* Nodes that no sample reaches are not in pprof's graph at all, so
         * they do not count as dropped. */
        if (n->flat == 0 && n->cum == 0)
            continue;
        int64_t c = sat_abs(n->cum);
        if (c < cutoff) {
            n->kept = false;
            dropped++;
        }
    }
    if (dropped) {
        /* pprof rebuilds from the nodes it kept, and a node that no sample
         * reached (or whose values cancel out) was never among them. */
        for (size_t i = 0; i < g->n_nodes; i++)
            if (g->nodes[i].flat == 0 && g->nodes[i].cum == 0)
                g->nodes[i].kept = false;
        int rc = accumulate(g);
        if (rc)
            return hearth_error_set(rc, "out of memory");
    }
    return dropped;
}

long node_graph_trim_edges(node_graph *g, int64_t cutoff)
{
    long dropped = 0;
    for (size_t i = 0; i < g->n_nodes; i++)
        g->nodes[i].in_inline = g->nodes[i].in_call = false;
    for (size_t i = 0; i < g->n_edges; i++) {
        graph_edge *e = &g->edges[i];
        int64_t w = sat_abs(e->weight);
        if (e->kept && w < cutoff) {
            e->kept = false;
            dropped++;
        }
        if (!e->kept)
            continue;
        if (e->is_inline)
            g->nodes[e->to].in_inline = true;
        else
            g->nodes[e->to].in_call = true;
    }
    return dropped;
}

int node_graph_retain(node_graph *g, const uint32_t *idx, size_t n)
{
    for (size_t i = 0; i < g->n_nodes; i++)
        g->nodes[i].kept = false;
    for (size_t i = 0; i < n; i++)
        if (idx[i] < g->n_nodes)
            g->nodes[idx[i]].kept = true;
    int rc = accumulate(g);
    return rc ? hearth_error_set(rc, "out of memory") : 0;
}

int64_t node_graph_total(const node_graph *g)
{
    return g->total;
}

size_t node_graph_count(const node_graph *g)
{
    return g->n_nodes;
}

const graph_node *node_graph_nodes(const node_graph *g)
{
    return g->nodes;
}

const graph_edge *node_graph_edges(const node_graph *g, size_t *n)
{
    *n = g->n_edges;
    return g->edges;
}

const uint32_t *node_graph_location_nodes(const node_graph *g, size_t loc, uint32_t *n)
{
    *n = g->loc_n[loc];
    return g->loc_nodes[loc];
}
