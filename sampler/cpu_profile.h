/*
 * A CPU profiling session's aggregate (stacks x thread names -> periods)
 * and its pprof profile in Go's CPU shape.
 */
#ifndef HEARTH_SAMPLER_CPU_PROFILE_H
#define HEARTH_SAMPLER_CPU_PROFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "../formats/procmaps.h"
#include "../formats/profile.h"
#include "cpu_ring.h"
#include "stacktab.h"
#include "threads.h"

#define CPU_COST_BUCKET_NS 25
#define CPU_COST_BUCKETS 4000 /* 0 .. 100 us; slower samples share the last */
#define CPU_MAX_NAMES 1024
#define CPU_TID_CACHE 4096

/* Written and read by one thread at a time (the drainer, or the session
 * owner once the drainer is done), under the session lock. */
typedef struct cpu_agg {
    stacktab stacks;               /* tag = name index * 2 + truncated */
    uint32_t max_depth;
    char (*names)[THREADS_NAME];   /* CPU_MAX_NAMES distinct thread names */
    uint32_t n_names;
    pid_t *tid_keys;               /* tid -> name index cache */
    uint32_t *tid_names;
    uint32_t n_tids;
    uint64_t exits_seen;           /* threads_exits() when the cache was filled */
    uint64_t *cost_hist;           /* handler ns / CPU_COST_BUCKET_NS */
    double ns_per_tick;            /* arch_ticks rate, set by the session
                                      before samples are added */
    uint64_t *depth_hist;          /* frames unwound, 0 .. max_depth */
    uint64_t samples, periods;
} cpu_agg;

/* Maps the session's tables: max_stacks distinct (stack, thread) keys.
 * Returns 0 or -1. */
int cpu_agg_init(cpu_agg *a, uint32_t max_stacks, uint32_t max_depth);
void cpu_agg_fini(cpu_agg *a);

/* Adds one drained sample. */
void cpu_agg_add(cpu_agg *a, const cpu_sample *s);

/* What the profile says about the session besides its samples. */
typedef struct cpu_profile_info {
    int hz;
    int64_t start_ns;        /* CLOCK_REALTIME */
    int64_t duration_ns;
    uint64_t dropped_ring;   /* periods lost to a full ring */
    uint64_t unarmed;        /* threads a timer could not be armed on */
    const char *note;        /* the timer fallback, or "" */
    const char *clocks;      /* which clocks drove the session (cpu_timers_describe) */
    bool cost_approx;        /* the handler's clock (arch_ticks) may change
                                rate: its cost is approximate */
} cpu_profile_info;

/*
 * The profile: sample types samples/count and cpu/nanoseconds, period
 * cpu/nanoseconds = 1e9/hz, duration_nanos, a string label "thread", one
 * location per distinct pc (mappings from maps, main_path's first), a
 * "[truncated]" root frame on stacks cut at max_depth, and comments with
 * drops, the timer fallback and the handler's median cost and depth.
 * Returns 0 or HEARTH_ENOMEM.
 */
int cpu_profile_build(profile **out, cpu_agg *a, const cpu_profile_info *info,
                      const procmap *maps, size_t n_maps, const char *main_path);

#endif
