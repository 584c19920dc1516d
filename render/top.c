/*
 * The text report of pprof (`-top`): nodes cut at node_fraction of the
 * total by cum, sorted by flat (or cum) then name, optionally limited to the
 * top N, values in one unit chosen for the whole table. Matching pprof to
 * the character is what lets users trust our numbers, and what the tests
 * check against `go tool pprof -top`.
 */
#include "top.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../formats/error.h"
#include "units.h"

typedef struct row {
    const graph_node *n;
    uint32_t idx;
    bool cum_sort;
} row;

static int64_t abs64(int64_t v)
{
    return v == INT64_MIN ? INT64_MAX : (v < 0 ? -v : v);
}

/* Sums saturate: values come from untrusted profiles. */
static int64_t sat_add(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

static int cmp_rows(const void *a, const void *b)
{
    const row *x = a, *y = b;
    int64_t xa, ya, xb, yb;
    if (x->cum_sort) {
        xa = abs64(x->n->cum), ya = abs64(y->n->cum);
        xb = abs64(x->n->flat), yb = abs64(y->n->flat);
    } else {
        xa = abs64(x->n->flat), ya = abs64(y->n->flat);
        xb = abs64(x->n->cum), yb = abs64(y->n->cum);
    }
    if (xa != ya)
        return xa > ya ? -1 : 1;
    int c = strcmp(x->n->name, y->n->name);
    if (c)
        return c;
    if (xb != yb)
        return xb > yb ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Collects kept nodes that samples reach, sorted. */
static row *sorted_rows(const node_graph *g, bool cum_sort, size_t *n_out)
{
    size_t n = node_graph_count(g);
    const graph_node *nodes = node_graph_nodes(g);
    row *rows = malloc((n + 1) * sizeof *rows);
    if (!rows)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!nodes[i].kept || (nodes[i].flat == 0 && nodes[i].cum == 0))
            continue;
        rows[k++] = (row){&nodes[i], (uint32_t)i, cum_sort};
    }
    qsort(rows, k, sizeof *rows, cmp_rows);
    *n_out = k;
    return rows;
}

void top_profile_labels(strbuf *out, const profile *p, const top_options *o,
                        int64_t total, const char *unit, const char *out_unit)
{
    char a[64], b[64];
    if (p->n_mappings) {
        const char *file = profile_str(p, p->mappings[0].filename);
        if (*file) {
            const char *base = strrchr(file, '/');
            strbuf_printf(out, "File: %s\n", base ? base + 1 : file);
        }
        const char *bid = profile_str(p, p->mappings[0].build_id);
        if (*bid)
            strbuf_printf(out, "Build ID: %s\n", bid);
    }
    for (size_t i = 0; i < p->n_comments; i++) {
        const char *c = profile_str(p, p->comments[i]);
        if (c[0] != '#')
            strbuf_printf(out, "%s\n", c);
    }
    const char *type = profile_str(p, p->sample_types[o->sample_index].type);
    if (*type)
        strbuf_printf(out, "Type: %s\n", type);
    if (p->time_nanos) {
        time_t t = (time_t)(p->time_nanos / 1000000000);
        struct tm tm;
        char when[64];
        if (localtime_r(&t, &tm) &&
            strftime(when, sizeof when, "%b %-d, %Y at %-I:%M%P (%Z)", &tm))
            strbuf_printf(out, "Time: %s\n", when);
    }
    if (p->duration_nanos) {
        units_label(a, sizeof a, p->duration_nanos, "nanoseconds", "auto");
        units_label(b, sizeof b, total, unit, out_unit);
        const char *u;
        double ns = units_scale(total, unit, "nanoseconds", &u);
        char ratio[64] = "";
        if (!strcmp(u, "ns") && ns != 0) {
            char pct[32];
            units_percent(pct, sizeof pct, (int64_t)ns, p->duration_nanos);
            snprintf(ratio, sizeof ratio, "(%s)", pct);
        }
        strbuf_printf(out, "Duration: %s, Total samples = %s %s\n", a, b, ratio);
    }
}

int top_write(strbuf *out, const profile *p, const top_options *o)
{
    node_graph *g = NULL;
    row *rows = NULL;
    int rc = node_graph_build(&g, p, o->sample_index, o->granularity);
    if (rc)
        return rc;
    int64_t total = node_graph_total(g);
    const char *unit = profile_str(p, p->sample_types[o->sample_index].unit);

    /* pprof cuts by the sum of flat values of the full graph, which is the
     * total whenever every sample has a stack. */
    int64_t flat_total = 0;
    const graph_node *nodes = node_graph_nodes(g);
    for (size_t i = 0; i < node_graph_count(g); i++)
        flat_total = sat_add(flat_total, nodes[i].flat);
    int64_t cutoff = abs64((int64_t)((double)flat_total * o->node_fraction));
    long dropped = cutoff > 0 ? node_graph_keep(g, cutoff) : 0;
    if (dropped < 0) {
        rc = (int)dropped;
        goto out;
    }
    size_t n_rows, orig_count;
    rows = sorted_rows(g, o->cum_sort, &n_rows);
    if (!rows)
        goto oom;
    orig_count = n_rows;
    if (o->node_count > 0 && (size_t)o->node_count < n_rows) {
        uint32_t *keep = malloc((size_t)o->node_count * sizeof *keep);
        if (!keep)
            goto oom;
        for (long i = 0; i < o->node_count; i++)
            keep[i] = rows[i].idx;
        rc = node_graph_retain(g, keep, (size_t)o->node_count);
        free(keep);
        if (rc)
            goto out;
        free(rows);
        rows = sorted_rows(g, o->cum_sort, &n_rows);
        if (!rows)
            goto oom;
    }

    node_graph_trim_edges(g, abs64((int64_t)((double)flat_total * o->edge_fraction)));

    /* One unit for the whole table, from the smallest nonzero value. */
    int64_t min_value = 0;
    for (size_t i = 0; i < n_rows; i++) {
        int64_t v = abs64(rows[i].n->flat);
        if (v == 0)
            v = abs64(rows[i].n->cum);
        if (v > 0 && (min_value == 0 || v < min_value))
            min_value = v;
    }
    const char *out_unit = n_rows ? units_pick(min_value, total, unit) : unit;

    char a[64], b[64], c[64], d[64], e[64];
    if (o->headers)
        top_profile_labels(out, p, o, total, unit, out_unit);
    int64_t flat_sum = 0;
    for (size_t i = 0; i < n_rows; i++)
        flat_sum = sat_add(flat_sum, rows[i].n->flat);
    units_label(a, sizeof a, flat_sum, unit, out_unit);
    units_percent(b, sizeof b, flat_sum, total);
    units_label(c, sizeof c, total, unit, out_unit);
    const char *pct = b;
    while (*pct == ' ')
        pct++;
    strbuf_printf(out, "Showing nodes accounting for %s, %s of %s total\n", a, pct, c);
    if (total != 0) {
        if (dropped > 0) {
            units_label(a, sizeof a, abs64((int64_t)((double)total * o->node_fraction)),
                        unit, out_unit);
            strbuf_printf(out, "Dropped %ld node%s (cum <= %s)\n", dropped,
                          dropped > 1 ? "s" : "", a);
        }
        if (n_rows > 0 && n_rows < orig_count)
            strbuf_printf(out, "Showing top %zu nodes out of %zu\n", n_rows, orig_count);
    }
    strbuf_printf(out, "%10s %5s%% %5s%% %10s %5s%%\n", "flat", "flat", "sum", "cum", "cum");
    int64_t sum = 0;
    for (size_t i = 0; i < n_rows; i++) {
        const graph_node *n = rows[i].n;
        sum = sat_add(sum, n->flat);
        units_label(a, sizeof a, n->flat, unit, out_unit);
        units_percent(b, sizeof b, n->flat, total);
        units_percent(c, sizeof c, sum, total);
        units_label(d, sizeof d, n->cum, unit, out_unit);
        units_percent(e, sizeof e, n->cum, total);
        const char *inl = n->in_inline ? (n->in_call ? " (partial-inline)" : " (inline)") : "";
        strbuf_printf(out, "%10s %s %s %10s %s  %s%s\n", a, b, c, d, e, n->name, inl);
    }
    rc = out->oom ? hearth_error_set(HEARTH_ENOMEM, "out of memory") : 0;
    goto out;
oom:
    rc = hearth_error_set(HEARTH_ENOMEM, "out of memory");
out:
    free(rows);
    node_graph_destroy(g);
    return rc;
}
