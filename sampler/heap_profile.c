/*
 * From stack counters to a profile. Runs on the dump thread, reading the
 * counters with relaxed atomics while the service keeps allocating: each
 * stack's numbers are individually consistent to within the allocations in
 * flight, which is what any sampling profiler's snapshot is. Cost grows
 * with the number of stacks (at most HEARTH_MAX_STACKS), not with run time.
 */
#include "heap_profile.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../formats/error.h"
#include "pc_locations.h"

void heap_unsample(int64_t count, int64_t size, uint64_t rate, int64_t *out_count,
                   int64_t *out_size)
{
    if (count <= 0 || size <= 0) {
        *out_count = count > 0 ? count : 0;
        *out_size = size > 0 ? size : 0;
        return;
    }
    if (rate <= 1) {
        *out_count = count;
        *out_size = size;
        return;
    }
    double avg = (double)size / (double)count;
    double scale = 1.0 / (1.0 - exp(-avg / (double)rate));
    *out_count = (int64_t)((double)count * scale);
    *out_size = (int64_t)((double)size * scale);
}

int heap_snapshot_take(heap_snapshot *out, sampler_state *s, int64_t time_ns)
{
    uint32_t n = atomic_load_explicit(&s->stacks.n_stacks, memory_order_acquire);
    out->counts = calloc(n ? n : 1, sizeof *out->counts);
    out->n = n;
    out->time_ns = time_ns;
    if (!out->counts)
        return HEARTH_ENOMEM;
    for (uint32_t i = 0; i < n; i++) {
        stack_counts *c = stacktab_counts(&s->stacks, i);
        out->counts[i][0] = atomic_load_explicit(&c->alloc_objects, memory_order_relaxed);
        out->counts[i][1] = atomic_load_explicit(&c->alloc_bytes, memory_order_relaxed);
        out->counts[i][2] = atomic_load_explicit(&c->free_objects, memory_order_relaxed);
        out->counts[i][3] = atomic_load_explicit(&c->free_bytes, memory_order_relaxed);
    }
    return 0;
}

void heap_snapshot_fini(heap_snapshot *snap)
{
    free(snap->counts);
    snap->counts = NULL;
    snap->n = 0;
}

int heap_profile_build(profile **out, sampler_state *s, const procmap *maps,
                       size_t n_maps, const char *main_path, int64_t time_ns)
{
    return heap_profile_build_since(out, s, NULL, maps, n_maps, main_path, time_ns);
}

int heap_profile_build_since(profile **out, sampler_state *s, const heap_snapshot *base,
                             const procmap *maps, size_t n_maps, const char *main_path,
                             int64_t time_ns)
{
    profile *p = NULL;
    pc_locations pl = {0};
    uint64_t *locs = NULL;
    int rc = profile_create(&p);
    if (rc)
        return rc;
    rc = HEARTH_ENOMEM;
    if (profile_add_sample_type(p, "alloc_objects", "count") < 0 ||
        profile_add_sample_type(p, "alloc_space", "bytes") < 0 ||
        profile_add_sample_type(p, "inuse_objects", "count") < 0 ||
        profile_add_sample_type(p, "inuse_space", "bytes") < 0)
        goto out;
    p->default_sample_type = profile_intern(p, "inuse_space");
    p->period_type.type = profile_intern(p, "space");
    p->period_type.unit = profile_intern(p, "bytes");
    p->period = (int64_t)s->cfg.alloc_rate;
    p->time_nanos = time_ns;
    if (base)
        p->duration_nanos = time_ns - base->time_ns;

    uint32_t n = atomic_load_explicit(&s->stacks.n_stacks, memory_order_acquire);
    /* Only the first n stacks are published (their metadata is written
     * before n_stacks); pcs_used belongs to inserters and is not read. */
    uint32_t max_depth = 0;
    size_t total_pcs = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (s->stacks.meta[i].depth > max_depth)
            max_depth = s->stacks.meta[i].depth;
        total_pcs += s->stacks.meta[i].depth;
    }
    if (pc_locations_init(&pl, p, maps, n_maps, main_path, total_pcs))
        goto out;
    locs = malloc((max_depth + 1) * sizeof *locs);
    if (!locs)
        goto out;
    profile_label label;
    memset(&label, 0, sizeof label);
    label.key = profile_intern(p, "bytes");
    if (label.key < 0)
        goto out;
    uint64_t rate = s->cfg.alloc_rate;
    for (uint32_t i = 0; i < n; i++) {
        stack_counts *c = stacktab_counts(&s->stacks, i);
        int64_t ao = (int64_t)atomic_load_explicit(&c->alloc_objects, memory_order_relaxed);
        int64_t ab = (int64_t)atomic_load_explicit(&c->alloc_bytes, memory_order_relaxed);
        int64_t fo = (int64_t)atomic_load_explicit(&c->free_objects, memory_order_relaxed);
        int64_t fb = (int64_t)atomic_load_explicit(&c->free_bytes, memory_order_relaxed);
        if (ao <= 0)
            continue;
        int64_t v[4];
        /* The mean block size of every sample of the stack, delta or not. */
        label.num = ab / ao;
        heap_unsample(ao - fo, ab - fb, rate, &v[2], &v[3]);
        if (base && i < base->n) {
            const uint64_t *b = base->counts[i];
            int64_t bi[2];
            heap_unsample((int64_t)(b[0] - b[2]), (int64_t)(b[1] - b[3]), rate, &bi[0], &bi[1]);
            v[2] -= bi[0];
            v[3] -= bi[1];
            ao -= (int64_t)b[0];
            ab -= (int64_t)b[1];
        }
        heap_unsample(ao, ab, rate, &v[0], &v[1]);
        if (base && !v[0] && !v[1] && !v[2] && !v[3])
            continue;
        const stack_meta *m = &s->stacks.meta[i];
        const uintptr_t *pcs = &s->stacks.pcs[m->pc_offset];
        for (uint32_t d = 0; d < m->depth; d++) {
            int64_t lid = pc_locations_get(&pl, pcs[d]);
            if (lid < 0)
                goto out;
            locs[d] = (uint64_t)lid;
        }
        if (profile_add_sample(p, locs, m->depth, v, 4, &label, 1))
            goto out;
    }
    /* The unwinder must not allocate; if it ever does, the profile says so
     * (tests check this comment never appears). */
    uint64_t reentered = atomic_load_explicit(&s->unwind_reentered, memory_order_relaxed);
    if (reentered) {
        char msg[120];
        snprintf(msg, sizeof msg, "hearth: the stack unwinder allocated %llu times while sampling",
                 (unsigned long long)reentered);
        if (profile_add_comment(p, msg))
            goto out;
    }
    /* Which unwinder took the stacks (heap_sampler.c says which takes a
     * walk when): a reader can tell how the stacks were found, and the
     * tests which unwinder served. */
    uint64_t table = atomic_load_explicit(&s->walks_by_table, memory_order_relaxed);
    uint64_t lu = atomic_load_explicit(&s->walks_by_libunwind, memory_order_relaxed);
    uint64_t gcc = atomic_load_explicit(&s->walks_by_libgcc, memory_order_relaxed);
    uint64_t walks = table + lu + gcc;
    if (walks) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "hearth: allocation stacks: %llu walked, %llu through the unwind table, %llu by "
                 "libunwind, %llu by libgcc",
                 (unsigned long long)walks, (unsigned long long)table, (unsigned long long)lu,
                 (unsigned long long)gcc);
        if (profile_add_comment(p, msg))
            goto out;
    }
    uint64_t dropped_stacks = atomic_load_explicit(&s->stacks.dropped, memory_order_relaxed);
    uint64_t dropped_live = atomic_load_explicit(&s->live.dropped, memory_order_relaxed);
    if (dropped_stacks || dropped_live) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "hearth: dropped %llu samples (stack table full: %llu, live-block table full or busy: %llu)",
                 (unsigned long long)(dropped_stacks + dropped_live),
                 (unsigned long long)dropped_stacks, (unsigned long long)dropped_live);
        if (profile_add_comment(p, msg))
            goto out;
    }
    rc = profile_validate(p);
    if (!rc) {
        *out = p;
        p = NULL;
    }
out:
    pc_locations_fini(&pl);
    free(locs);
    profile_destroy(p);
    return rc;
}
