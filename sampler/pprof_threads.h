/*
 * The goroutine and threadcreate profiles, as dump_build_fn builders (the
 * dump code adds mappings' symbols and serializes them with other dumps).
 */
#ifndef HEARTH_SAMPLER_PPROF_THREADS_H
#define HEARTH_SAMPLER_PPROF_THREADS_H

#include <stdbool.h>
#include <stddef.h>

#include "../formats/procmaps.h"
#include "../formats/profile.h"
#include "thread_stacks.h"

typedef struct goroutine_arg {
    const thread_stack *stacks;
    size_t n;
    bool per_thread; /* one sample per thread, label "tid" (debug=2) */
} goroutine_arg;

/* arg: a goroutine_arg. Sample type goroutine/count, threads grouped by
 * stack and name (label "thread"); threads without a stack get one
 * "[no stack: ...]" frame saying why. Returns 0 or HEARTH_ENOMEM. */
int goroutine_profile_build(profile **out, const procmap *maps, size_t n_maps, const char *exe,
                            void *arg);

/* arg unused. Sample type threadcreate/count: the creating stacks of the
 * live threads the registry knows, with a comment counting all threads
 * created. Returns 0 or HEARTH_ENOMEM. */
int threadcreate_profile_build(profile **out, const procmap *maps, size_t n_maps,
                               const char *exe, void *arg);

#endif
