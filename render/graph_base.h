/*
 * `hearth graph --base`: the profile minus a base profile, as
 * `go tool pprof -base` computes it, so each node's value is its change.
 */
#ifndef HEARTH_RENDER_GRAPH_BASE_H
#define HEARTH_RENDER_GRAPH_BASE_H

#include <stdbool.h>
#include <stdint.h>

#include "../formats/profile.h"

/*
 * Appends base's samples to p with every value negated, copying the
 * mappings, functions and locations they use (new ids in p). Both must be
 * validated and have the same sample types and period type, else
 * HEARTH_EFORMAT ("sample types differ: ..."). p stays validated.
 * Returns 0, HEARTH_EFORMAT or HEARTH_ENOMEM.
 */
int graph_base_subtract(profile *p, const profile *base);

/*
 * pprof's report total: the sum of |value| at sample_index over the
 * samples. With merged (after graph_base_subtract) samples are first
 * summed per stack and labels as pprof's profile.Merge sums them, so a
 * stack present in both profiles counts by its difference. Returns 0 or
 * HEARTH_ENOMEM.
 */
int graph_base_total(int64_t *out, const profile *p, int sample_index, bool merged);

#endif
