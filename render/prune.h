/*
 * pprof's RemoveUninteresting: applies a profile's own drop_frames and
 * keep_frames regular expressions to its samples, as `go tool pprof` does
 * when it loads a profile.
 */
#ifndef HEARTH_RENDER_PRUNE_H
#define HEARTH_RENDER_PRUNE_H

#include "../formats/profile.h"

/*
 * Prunes p in place. Returns 0, or HEARTH_EFORMAT when a pattern does not
 * compile (POSIX extended syntax; pprof uses Go's RE2, which agrees on the
 * alternations of plain names that profilers write).
 */
int prune_uninteresting(profile *p);

#endif
