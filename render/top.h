/*
 * The flat/cum table of `hearth top`, laid out like `go tool pprof -top`.
 */
#ifndef HEARTH_RENDER_TOP_H
#define HEARTH_RENDER_TOP_H

#include <stdbool.h>

#include "../formats/profile.h"
#include "../formats/strbuf.h"
#include "nodes.h"

typedef struct top_options {
    int sample_index;
    nodes_granularity granularity;
    double node_fraction;  /* drop nodes with cum below this share of total */
    double edge_fraction;  /* edges below this share do not count for the
                              "(inline)" marks, as in pprof */
    long node_count;       /* keep at most this many rows; 0 = all */
    bool cum_sort;         /* sort by cum instead of flat */
    bool headers;          /* print the profile's labels above the table */
} top_options;

#define TOP_OPTIONS_INIT { 0, GRAN_FUNCTIONS, 0.005, 0.001, 0, false, true }

/* Appends the report to out. Returns 0 or HEARTH_ENOMEM. */
int top_write(strbuf *out, const profile *p, const top_options *o);

/* pprof's ProfileLabels, one per line: File, Build ID, comments, Type, Time,
 * Duration with the total (in out_unit). The call graph's legend shows
 * them too. */
void top_profile_labels(strbuf *out, const profile *p, const top_options *o,
                        int64_t total, const char *unit, const char *out_unit);

#endif
