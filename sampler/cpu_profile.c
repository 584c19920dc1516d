/*
 * From drained CPU samples to a profile. Samples are aggregated as they are
 * drained (every 20 ms) into a stack table keyed by (pcs, thread name,
 * truncated), so memory follows the distinct stacks (at most
 * HEARTH_MAX_STACKS, the rest counted as dropped), not the run length: a
 * 10-minute profile at 1000 Hz of 16 threads is 9.6 M samples but
 * typically a few thousand keys. The profile has Go's CPU shape, so
 * `go tool pprof`, Parca and Pyroscope read it as they read Go's.
 */
#include "cpu_profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../formats/error.h"
#include "cfi_table.h"
#include "pc_locations.h"

/* Program counters kept per stack on average in the session's pool. */
#define CPU_PCS_PER_STACK 24

static void *map(size_t bytes)
{
    void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return m == MAP_FAILED ? NULL : m;
}

static size_t names_bytes(void)
{
    return (size_t)CPU_MAX_NAMES * THREADS_NAME;
}

int cpu_agg_init(cpu_agg *a, uint32_t max_stacks, uint32_t max_depth)
{
    memset(a, 0, sizeof *a);
    a->max_depth = max_depth;
    if (stacktab_init(&a->stacks, max_stacks, max_stacks * CPU_PCS_PER_STACK))
        return -1;
    a->names = map(names_bytes());
    a->tid_keys = map(CPU_TID_CACHE * sizeof *a->tid_keys);
    a->tid_names = map(CPU_TID_CACHE * sizeof *a->tid_names);
    a->cost_hist = map((CPU_COST_BUCKETS + 1) * sizeof *a->cost_hist);
    a->depth_hist = map(((size_t)max_depth + 1) * sizeof *a->depth_hist);
    if (!a->names || !a->tid_keys || !a->tid_names || !a->cost_hist || !a->depth_hist) {
        cpu_agg_fini(a);
        return -1;
    }
    return 0;
}

void cpu_agg_fini(cpu_agg *a)
{
    stacktab_fini(&a->stacks);
    if (a->names)
        munmap(a->names, names_bytes());
    if (a->tid_keys)
        munmap(a->tid_keys, CPU_TID_CACHE * sizeof *a->tid_keys);
    if (a->tid_names)
        munmap(a->tid_names, CPU_TID_CACHE * sizeof *a->tid_names);
    if (a->cost_hist)
        munmap(a->cost_hist, (CPU_COST_BUCKETS + 1) * sizeof *a->cost_hist);
    if (a->depth_hist)
        munmap(a->depth_hist, ((size_t)a->max_depth + 1) * sizeof *a->depth_hist);
    memset(a, 0, sizeof *a);
}

static uint32_t name_index(cpu_agg *a, const char *name)
{
    for (uint32_t i = 0; i < a->n_names; i++)
        if (!strncmp(a->names[i], name, THREADS_NAME))
            return i;
    if (a->n_names == CPU_MAX_NAMES)
        return CPU_MAX_NAMES - 1; /* renamed "other threads" at build time */
    snprintf(a->names[a->n_names], THREADS_NAME, "%s", name);
    return a->n_names++;
}

/* The name index of tid, cached per session. A thread exit anywhere empties
 * the cache, since its tid may come back as another thread. */
static uint32_t thread_of(cpu_agg *a, pid_t tid)
{
    uint64_t exits = threads_exits();
    if (exits != a->exits_seen || a->n_tids >= CPU_TID_CACHE / 2) {
        memset(a->tid_keys, 0, CPU_TID_CACHE * sizeof *a->tid_keys);
        a->n_tids = 0;
        a->exits_seen = exits;
    }
    uint32_t i = ((uint32_t)tid * 2654435761u) & (CPU_TID_CACHE - 1);
    while (a->tid_keys[i] && a->tid_keys[i] != tid)
        i = (i + 1) & (CPU_TID_CACHE - 1);
    if (!a->tid_keys[i]) {
        char name[THREADS_NAME];
        threads_name(tid, name);
        a->tid_keys[i] = tid;
        a->tid_names[i] = name_index(a, name);
        a->n_tids++;
    }
    return a->tid_names[i];
}

void cpu_agg_add(cpu_agg *a, const cpu_sample *s)
{
    uint32_t depth = s->depth <= a->max_depth ? s->depth : a->max_depth;
    a->samples++;
    a->periods += s->weight;
    double bucket = (double)s->cost_ticks * a->ns_per_tick / CPU_COST_BUCKET_NS;
    a->cost_hist[bucket < CPU_COST_BUCKETS ? (uint32_t)bucket : CPU_COST_BUCKETS]++;
    a->depth_hist[depth]++;
    uint32_t tag = thread_of(a, s->tid) * 2 + (s->truncated ? 1 : 0);
    uint32_t id = stacktab_intern(&a->stacks, s->pcs, depth, tag);
    if (id == STACKTAB_FULL)
        return; /* counted in stacks.dropped */
    atomic_fetch_add_explicit(&stacktab_counts(&a->stacks, id)->alloc_objects, s->weight,
                              memory_order_relaxed);
}

/* The value below which half of the histogram's mass lies. */
static uint64_t median_of(const uint64_t *hist, size_t n)
{
    uint64_t total = 0, seen = 0;
    for (size_t i = 0; i < n; i++)
        total += hist[i];
    for (size_t i = 0; i < n; i++) {
        seen += hist[i];
        if (total && seen * 2 >= total)
            return i;
    }
    return 0;
}

static int add_comments(profile *p, cpu_agg *a, const cpu_profile_info *info)
{
    char msg[400];
    uint64_t cost = median_of(a->cost_hist, CPU_COST_BUCKETS + 1) * CPU_COST_BUCKET_NS +
                    CPU_COST_BUCKET_NS / 2;
    uint64_t depth = median_of(a->depth_hist, (size_t)a->max_depth + 1);
    snprintf(msg, sizeof msg,
             "hearth: %llu samples at %d Hz; signal handler median %.2f us per sample%s; median "
             "stack depth %llu frames",
             (unsigned long long)a->samples, info->hz, a->samples ? (double)cost / 1000.0 : 0.0,
             info->cost_approx ? " (approximate: the CPU's cycle counter may change rate)" : "",
             (unsigned long long)depth);
    if (profile_add_comment(p, msg))
        return HEARTH_ENOMEM;
    uint64_t dropped_stacks = atomic_load_explicit(&a->stacks.dropped, memory_order_relaxed);
    if (info->dropped_ring || dropped_stacks) {
        snprintf(msg, sizeof msg,
                 "hearth: dropped %llu samples (sample ring full: %llu periods, stack table "
                 "full: %llu samples)",
                 (unsigned long long)(info->dropped_ring + dropped_stacks),
                 (unsigned long long)info->dropped_ring, (unsigned long long)dropped_stacks);
        if (profile_add_comment(p, msg))
            return HEARTH_ENOMEM;
    }
    uint32_t objects, failed;
    size_t rows, bytes;
    int64_t build_ns;
    cfi_table_stats(&objects, &rows, &bytes, &failed, &build_ns);
    snprintf(msg, sizeof msg,
             "hearth: unwind tables: %u objects, %zu rows (%zu KiB), last rebuild %.1f ms; %u "
             "objects without CFI",
             objects, rows, bytes >> 10, (double)build_ns / 1e6, failed);
    if (profile_add_comment(p, msg))
        return HEARTH_ENOMEM;
    if (info->clocks && *info->clocks && profile_add_comment(p, info->clocks))
        return HEARTH_ENOMEM;
    if (info->note && *info->note && profile_add_comment(p, info->note))
        return HEARTH_ENOMEM;
    if (info->unarmed) {
        snprintf(msg, sizeof msg, "hearth: %llu threads could not get a CPU timer and are missing",
                 (unsigned long long)info->unarmed);
        if (profile_add_comment(p, msg))
            return HEARTH_ENOMEM;
    }
    return 0;
}

int cpu_profile_build(profile **out, cpu_agg *a, const cpu_profile_info *info,
                      const procmap *maps, size_t n_maps, const char *main_path)
{
    profile *p = NULL;
    pc_locations pl = {0};
    uint64_t *locs = NULL;
    int rc = profile_create(&p);
    if (rc)
        return rc;
    rc = HEARTH_ENOMEM;
    int64_t period = 1000000000LL / info->hz;
    if (profile_add_sample_type(p, "samples", "count") < 0 ||
        profile_add_sample_type(p, "cpu", "nanoseconds") < 0)
        goto out;
    p->period_type.type = profile_intern(p, "cpu");
    p->period_type.unit = profile_intern(p, "nanoseconds");
    p->period = period;
    p->time_nanos = info->start_ns;
    p->duration_nanos = info->duration_ns;

    uint32_t n = atomic_load_explicit(&a->stacks.n_stacks, memory_order_acquire);
    size_t total_pcs = 0;
    for (uint32_t i = 0; i < n; i++)
        total_pcs += a->stacks.meta[i].depth;
    if (pc_locations_init(&pl, p, maps, n_maps, main_path, total_pcs))
        goto out;
    locs = malloc(((size_t)a->max_depth + 2) * sizeof *locs);
    if (!locs)
        goto out;
    /* Stacks cut at HEARTH_MAX_DEPTH get a root frame that says so. */
    int64_t trunc_loc = 0;
    profile_label label = {profile_intern(p, "thread"), 0, 0, 0};
    if (label.key < 0)
        goto out;
    for (uint32_t i = 0; i < n; i++) {
        int64_t count = (int64_t)atomic_load_explicit(&stacktab_counts(&a->stacks, i)->alloc_objects,
                                                      memory_order_relaxed);
        const stack_meta *m = &a->stacks.meta[i];
        if (count <= 0)
            continue;
        const uintptr_t *pcs = &a->stacks.pcs[m->pc_offset];
        uint32_t d = 0;
        for (; d < m->depth; d++) {
            int64_t lid = pc_locations_get(&pl, pcs[d]);
            if (lid < 0)
                goto out;
            locs[d] = (uint64_t)lid;
        }
        if ((m->tag & 1) && !trunc_loc) {
            int64_t fn = profile_function_intern(p, "[truncated]", "[truncated]", "", 0);
            profile_line tl = {fn > 0 ? (uint64_t)fn : 0, 0, 0};
            trunc_loc = fn > 0 ? profile_add_location(p, 0, 0, &tl, 1) : -1;
            if (trunc_loc < 0)
                goto out;
        }
        if (m->tag & 1)
            locs[d++] = (uint64_t)trunc_loc;
        uint32_t ni = m->tag / 2;
        label.str = profile_intern(p, ni == CPU_MAX_NAMES - 1 && a->n_names == CPU_MAX_NAMES
                                          ? "other threads"
                                          : a->names[ni]);
        if (label.str < 0)
            goto out;
        int64_t v[2] = {count, count * period};
        if (profile_add_sample(p, locs, d, v, 2, &label, 1))
            goto out;
    }
    if (add_comments(p, a, info))
        goto out;
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
