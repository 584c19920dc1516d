/*
 * The call tree behind flame graphs: every distinct stack prefix of a
 * profile is one node, with the total value of the samples under it and its
 * own (self) value, optionally for a second, base profile too.
 */
#ifndef HEARTH_RENDER_CALLTREE_H
#define HEARTH_RENDER_CALLTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../formats/folded.h"
#include "../formats/profile.h"
#include "../formats/strbuf.h"
#include "nodes.h"

typedef struct ct_node {
    uint32_t frame;        /* index into calltree.frames */
    uint32_t parent;       /* 0 for children of the root; the root is node 0 */
    uint32_t first_child;  /* 0 = none */
    uint32_t next_sibling; /* 0 = none */
    int64_t total;         /* this prefix and everything below it */
    int64_t self;          /* samples whose stack ends here */
    int64_t base_total;    /* the same in the base profile */
    int64_t base_self;
    uint16_t depth;        /* root = 0 */
    bool is_inline;        /* an inlined frame (not the outermost line) */
} ct_node;

typedef struct ct_frame {
    char *name;            /* printable frame name */
    char *module;          /* binary (mapping file base name) or "" */
} ct_frame;

typedef struct calltree {
    ct_node *nodes;        /* nodes[0] is the root, then the nodes in the
                              order samples first reached them: a parent's
                              index is below its children's */
    size_t n_nodes;
    ct_frame *frames;
    size_t n_frames;
    int64_t total;         /* = nodes[0].total */
    int64_t base_total;
    /* private */
    size_t cap_nodes, cap_frames;
    uint64_t *keys;        /* per node: parent << 32 | frame */
    size_t populated;      /* nodes and keys below this are faulted in */
    struct ct_slot *child_table; /* (parent, frame) -> node, open addressing */
    size_t child_cap;
    uint32_t *frame_table; /* frame name -> frame index */
    size_t frame_cap;
    uint32_t max_depth;
    struct ct_folded *folded; /* raw folded frame names -> frames */
} calltree;

typedef struct calltree_options {
    nodes_granularity granularity;
    bool reverse;            /* leaf functions become roots (caller view) */
    bool collapse_recursion; /* f;f;f -> f */
} calltree_options;

#define CALLTREE_OPTIONS_INIT { GRAN_FUNCTIONS, false, false }

int calltree_create(calltree **out);
void calltree_destroy(calltree *t);

/*
 * Adds every sample of p's sample type at sample_index, as the main
 * (base == false) or the base profile, and recomputes the totals. Trees
 * from two profiles merge by frame names. Returns 0 or HEARTH_ENOMEM.
 */
int calltree_add_profile(calltree *t, const profile *p, int sample_index,
                         const calltree_options *o, bool base);

/*
 * Adds one line of folded stacks (frames root first, as folded_parser gives
 * them) with its count, named exactly as calltree_add_profile names the
 * profile folded_read makes of the same line, so that streaming a file
 * through here and loading it whole draw the same graph. A count of 0 adds
 * nothing. Lines are walked a few at a time: call calltree_end_folded after
 * the last one, and keep o and base the same until then. Returns 0,
 * HEARTH_ENOMEM, or HEARTH_ELIMIT when this stack's merged count passes
 * 2^63-1 (the message says so; the caller adds the line number).
 */
int calltree_add_folded(calltree *t, const folded_frame *frames, size_t n,
                        int64_t count, const calltree_options *o, bool base);

/* Finishes the lines calltree_add_folded has in flight and recomputes the
 * totals. Returns 0 or HEARTH_ENOMEM. */
int calltree_end_folded(calltree *t);

/* Scales every base value by num/den (for --normalize), after the last
 * add: adding recomputes the totals from the self values. */
void calltree_scale_base(calltree *t, int64_t num, int64_t den);

/* Sorts each node's children by frame name (bytewise), or by total
 * (largest first, then by name) when by_size. Until then their order is
 * unspecified: sort before drawing. */
int calltree_sort(calltree *t, bool by_size);

/* Frame naming shared with `hearth fold`: for each line of a location the
 * function name, or "0x<address>" when there is none (granularity
 * functions); other granularities append file, line or address. */
void calltree_frame_name(strbuf *out, const profile *p,
                         const profile_location *loc, const profile_line *line,
                         nodes_granularity gran);

#endif
