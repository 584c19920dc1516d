/*
 * pprof's sample filters, applied to a profile in place before it is drawn:
 * --focus, --ignore, --hide, --show-from and --tag KEY=VALUE.
 */
#ifndef HEARTH_RENDER_FILTER_H
#define HEARTH_RENDER_FILTER_H

#include <stdbool.h>

#include "../formats/profile.h"

typedef struct filter_options {
    const char *focus;     /* keep samples with a frame matching this */
    const char *ignore;    /* drop samples with a frame matching this */
    const char *hide;      /* remove matching frames from stacks */
    const char *show_from; /* drop frames above the rootmost match */
    const char *tag;       /* "KEY=VALUE": keep samples with that label */
} filter_options;

#define FILTER_OPTIONS_INIT { NULL, NULL, NULL, NULL, NULL }

/* Compiles every pattern (POSIX extended regular expressions, matched
 * anywhere in a function name, file name or binary path, as pprof matches
 * Go regexps). Returns 0, or HEARTH_EFORMAT naming the bad option. */
int filter_check(const filter_options *o);

/*
 * Applies the filters to p, with pprof's semantics (FilterSamplesByName,
 * ShowFrom, tag focus): samples are removed, stacks shortened, locations
 * lose lines. Returns 0, HEARTH_EFORMAT (bad pattern) or HEARTH_ENOMEM.
 */
int filter_apply(profile *p, const filter_options *o);

#endif
