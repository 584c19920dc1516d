/*
 * The sampler's tables as a pprof heap profile in Go's shape.
 */
#ifndef HEARTH_SAMPLER_HEAP_PROFILE_H
#define HEARTH_SAMPLER_HEAP_PROFILE_H

#include <stdint.h>

#include "../formats/procmaps.h"
#include "../formats/profile.h"
#include "sampler.h"

/* Go's unsampling (runtime/pprof scaleHeapSample): count samples of total
 * size bytes at mean rate bytes between samples stand for count*scale
 * objects and size*scale bytes, scale = 1 / (1 - exp(-(size/count)/rate)). */
void heap_unsample(int64_t count, int64_t size, uint64_t rate, int64_t *out_count,
                   int64_t *out_size);

/*
 * Builds the heap profile of s: sample types alloc_objects/count,
 * alloc_space/bytes, inuse_objects/count, inuse_space/bytes (default
 * inuse_space), period space/bytes = the rate, a numeric "bytes" label with
 * the mean block size, one location per distinct pc with its mapping from
 * maps (executable entries, sorted), main_path's mapping first. Returns 0
 * or HEARTH_ENOMEM. Runs on the dump thread.
 */
int heap_profile_build(profile **out, sampler_state *s, const procmap *maps,
                       size_t n_maps, const char *main_path, int64_t time_ns);

/* The sampled counters of every stack at one moment, for delta profiles
 * (/debug/pprof/heap?seconds=N). Stacks are never removed from the table,
 * so stack i then is stack i now. */
typedef struct heap_snapshot {
    uint64_t (*counts)[4]; /* alloc objects, alloc bytes, free objects, free bytes */
    uint32_t n;
    int64_t time_ns;
} heap_snapshot;

/* Copies the counters of s. Returns 0 or HEARTH_ENOMEM. */
int heap_snapshot_take(heap_snapshot *out, sampler_state *s, int64_t time_ns);
void heap_snapshot_fini(heap_snapshot *snap);

/* heap_profile_build of what changed since base (NULL: everything): alloc
 * values unsample the allocations made since, in-use values are the
 * difference of the unsampled in-use values (negative where memory was
 * freed), as Go's delta profiles; duration_nanos covers the interval. */
int heap_profile_build_since(profile **out, sampler_state *s, const heap_snapshot *base,
                             const procmap *maps, size_t n_maps, const char *main_path,
                             int64_t time_ns);

#endif
