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

#endif
