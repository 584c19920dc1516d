/*
 * pprof's node tags ("nodelets"): per call-graph node, the share of its
 * value carried by each set of sample labels (label tags) and by each
 * value of the numeric label "bytes" (numeric tags, e.g. the block sizes
 * of a Go heap profile). pprof draws them as small boxes under the node
 * and counts them as nodes when it picks which nodes to draw.
 */
#ifndef HEARTH_RENDER_GRAPH_TAGS_H
#define HEARTH_RENDER_GRAPH_TAGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../formats/profile.h"
#include "nodes.h"

typedef struct graph_tag {
    const char *name;    /* label tag: the sample's "key:value" labels,
                            sorted, joined by the two characters "\n";
                            numeric tag: the value formatted ("32kB") */
    const char *labels;  /* numeric tag: the label tag it belongs to
                            ("" = samples without labels) */
    bool numeric;
    int64_t value;       /* numeric tag: the label's value */
    int64_t flat, cum;
} graph_tag;

typedef struct graph_tags graph_tags;

/* Reads the labels of p's samples once. A profile without labels gives an
 * empty set whose other calls cost nothing. Returns 0 or HEARTH_ENOMEM. */
int graph_tags_create(graph_tags **out, const profile *p, int sample_index);
void graph_tags_destroy(graph_tags *t);

/* Recomputes every node's tags for ng's current set of kept nodes (ng
 * built from the same profile), as pprof's newGraph adds each sample's
 * tags to the nodes on its stack. Returns 0 or HEARTH_ENOMEM. */
int graph_tags_accumulate(graph_tags *t, const node_graph *ng);

/* Removes tags whose |flat| and |cum| are both below cutoff
 * (TrimLowFrequencyTags). */
void graph_tags_trim(graph_tags *t, int64_t cutoff);

/* pprof's countTags: the node's tags with a nonzero flat value. */
size_t graph_tags_count(graph_tags *t, uint32_t node);

/* The node's tags left by the last trim, label and numeric; *out is
 * borrowed until the next accumulate. Returns their number, or 0 (also on
 * ENOMEM, when tags are simply not drawn). */
size_t graph_tags_of(graph_tags *t, uint32_t node, const graph_tag *const **out);

/* Unit of the numeric tags (pprof's NumLabelUnits for "bytes"). */
const char *graph_tags_unit(const graph_tags *t);

#endif
