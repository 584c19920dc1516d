/*
 * The two thread profiles of /debug/pprof/: goroutine (what every thread is
 * doing now, the C analogue of Go's goroutine profile, for finding threads
 * stuck forever) and threadcreate (the stacks that created the threads
 * alive now). Both are count profiles in Go's shape (TYPE/count, period
 * 1): goroutine counts threads per distinct stack and thread name (label
 * "thread"), or with per_thread one sample per thread (label "tid") for
 * debug=2; threadcreate counts per creating stack. Thread counts are small
 * (at most 4096), so grouping is a sort.
 */
#include "pprof_threads.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../formats/error.h"
#include "pc_locations.h"
#include "thread_stacks.h"

typedef struct item {
    const char *name;      /* label value, or NULL */
    pid_t tid;
    int status;            /* THREAD_STACK_* */
    uint32_t depth;
    const uintptr_t *pcs;
} item;

static int cmp_item(const void *a, const void *b)
{
    const item *x = a, *y = b;
    int c = strcmp(x->name ? x->name : "", y->name ? y->name : "");
    if (c)
        return c;
    if (x->status != y->status)
        return x->status < y->status ? -1 : 1;
    if (x->depth != y->depth)
        return x->depth < y->depth ? -1 : 1;
    for (uint32_t i = 0; i < x->depth; i++)
        if (x->pcs[i] != y->pcs[i])
            return x->pcs[i] < y->pcs[i] ? -1 : 1;
    return 0;
}

static const char *status_frame(int status)
{
    switch (status) {
    case THREAD_STACK_BLOCKED:
        return "[no stack: the thread blocks hearth's stack signal]";
    case THREAD_STACK_NO_ANSWER:
        return "[no stack: the thread did not answer within 1 s]";
    }
    return "[no stack]";
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A count profile of items (sorted and grouped here unless per_thread). */
static int count_profile(profile **out, const char *type, item *items, size_t n, bool per_thread,
                         const procmap *maps, size_t n_maps, const char *exe)
{
    profile *p = NULL;
    pc_locations pl = {0};
    uint64_t *locs = malloc((THREAD_STACK_DEPTH + THREADS_CREATE_DEPTH + 1) * sizeof *locs);
    int rc = profile_create(&p);
    if (rc || !locs)
        goto out;
    rc = HEARTH_ENOMEM;
    if (profile_add_sample_type(p, type, "count") < 0)
        goto out;
    p->period_type.type = profile_intern(p, type);
    p->period_type.unit = profile_intern(p, "count");
    p->period = 1;
    p->time_nanos = now_ns();
    size_t total_pcs = 0;
    for (size_t i = 0; i < n; i++)
        total_pcs += items[i].depth;
    if (pc_locations_init(&pl, p, maps, n_maps, exe, total_pcs))
        goto out;
    if (!per_thread)
        qsort(items, n, sizeof *items, cmp_item);
    profile_label label;
    memset(&label, 0, sizeof label);
    label.key = profile_intern(p, per_thread ? "tid" : "thread");
    if (label.key < 0)
        goto out;
    uint64_t pseudo[3] = {0, 0, 0};
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (!per_thread && j < n && !cmp_item(&items[i], &items[j]))
            j++;
        const item *it = &items[i];
        uint32_t depth = 0;
        if (it->status != THREAD_STACK_OK) {
            if (!pseudo[it->status]) {
                const char *fn = status_frame(it->status);
                int64_t fid = profile_function_intern(p, fn, fn, "", 0);
                profile_line line = {fid > 0 ? (uint64_t)fid : 0, 0, 0};
                int64_t lid = fid > 0 ? profile_add_location(p, 0, 0, &line, 1) : -1;
                if (lid < 0)
                    goto out;
                pseudo[it->status] = (uint64_t)lid;
            }
            locs[depth++] = pseudo[it->status];
        }
        for (uint32_t k = 0; k < it->depth; k++) {
            int64_t lid = pc_locations_get(&pl, it->pcs[k]);
            if (lid < 0)
                goto out;
            locs[depth++] = (uint64_t)lid;
        }
        int64_t v = (int64_t)(j - i);
        size_t n_labels = 0;
        if (per_thread) {
            label.num = it->tid;
            n_labels = 1;
        } else if (it->name) {
            label.str = profile_intern(p, it->name);
            if (label.str < 0)
                goto out;
            n_labels = 1;
        }
        if (profile_add_sample(p, locs, depth, &v, 1, &label, n_labels))
            goto out;
        i = j;
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

int goroutine_profile_build(profile **out, const procmap *maps, size_t n_maps, const char *exe,
                            void *arg)
{
    const goroutine_arg *g = arg;
    item *items = calloc(g->n + 1, sizeof *items);
    if (!items)
        return hearth_error_set(HEARTH_ENOMEM, "out of memory");
    for (size_t i = 0; i < g->n; i++) {
        items[i].name = g->stacks[i].name;
        items[i].tid = g->stacks[i].tid;
        items[i].status = g->stacks[i].status;
        items[i].depth = g->stacks[i].depth;
        items[i].pcs = g->stacks[i].pcs;
    }
    int rc = count_profile(out, "goroutine", items, g->n, g->per_thread, maps, n_maps, exe);
    free(items);
    return rc;
}

typedef struct created {
    uint32_t depth;
    uintptr_t pcs[THREADS_CREATE_DEPTH];
} created;

typedef struct collect {
    created *c;
    size_t n, cap;
} collect;

/* Under the registry lock: copy, nothing else. */
static void collect_one(thread_entry *e, void *arg)
{
    collect *col = arg;
    if (e->external || col->n == col->cap)
        return;
    col->c[col->n].depth = e->n_create_pcs;
    memcpy(col->c[col->n].pcs, e->create_pcs, e->n_create_pcs * sizeof *e->create_pcs);
    col->n++;
}

int threadcreate_profile_build(profile **out, const procmap *maps, size_t n_maps,
                               const char *exe, void *arg)
{
    (void)arg;
    collect col = {calloc(4096, sizeof(created)), 0, 4096};
    item *items = calloc(4096 + 1, sizeof *items);
    int rc = HEARTH_ENOMEM;
    if (!col.c || !items)
        goto out;
    threads_for_each(false, collect_one, &col);
    for (size_t i = 0; i < col.n; i++) {
        items[i].depth = col.c[i].depth;
        items[i].pcs = col.c[i].pcs;
    }
    rc = count_profile(out, "threadcreate", items, col.n, false, maps, n_maps, exe);
    if (!rc) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "hearth: the creating stacks of the %zu threads alive now; %llu created since "
                 "start, %llu not tracked",
                 col.n, (unsigned long long)threads_created(),
                 (unsigned long long)threads_untracked());
        rc = profile_add_comment(*out, msg);
    }
out:
    free(col.c);
    free(items);
    return rc;
}
