/*
 * `hearth graph --base`: the profile minus a base profile, as
 * `go tool pprof -base` computes it, so each node's value is its change.
 */
#ifndef HEARTH_RENDER_GRAPH_BASE_H
#define HEARTH_RENDER_GRAPH_BASE_H

#include <stdint.h>

#include "../formats/profile.h"

/*
 * Subtracts base from p as pprof's -base does: base's samples are
 * appended with every value negated (with the mappings, functions and
 * locations they use, under new ids), then samples with equal stacks and
 * labels are summed into one and those left all zero removed (Merge).
 * The header combines as Merge's: earlier time, summed durations, both
 * profiles' comments, the input's default sample type or else the base's.
 * Both must be validated and have the same sample types and period type,
 * else HEARTH_EFORMAT ("sample types differ ..."). p stays validated.
 * Returns 0, HEARTH_EFORMAT or HEARTH_ENOMEM.
 */
int graph_base_subtract(profile *p, const profile *base);

/* pprof's report total: the sum of |value| at sample_index over p's
 * samples (saturating). */
int64_t graph_base_total(const profile *p, int sample_index);

#endif
