/*
 * The report's charts: a flame graph of each kind of profile present (heap
 * in use, allocations, CPU, threads, others), the differential heap flame
 * graph (latest against base: what grew is red), the timeline and the call
 * graphs. Each is drawn exactly as `hearth flame` (or `hearth timeline`,
 * `hearth graph`) draws it, from the same code.
 */
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../formats/error.h"
#include "calltree.h"
#include "flame.h"
#include "report_parts.h"
#include "units.h"

bool report_chart_name(const char *stem)
{
    static const char *const names[] = {
        "timeline", "heap-growth", "heap-inuse", "heap-allocs", "cpu", "threads",
        "heap-graph", "cpu-graph",
    };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!strcmp(stem, names[i]))
            return true;
    return !strncmp(stem, "other-", 6) && stem[6] >= '1' && stem[6] <= '9' &&
           strspn(stem + 6, "0123456789") == strlen(stem + 6);
}

report_chart *report_chart_add(report_doc *doc, const char *file, const char *title,
                               const char *caption)
{
    report_chart *nc = realloc(doc->charts, (doc->n_charts + 1) * sizeof *nc);
    if (!nc)
        return NULL;
    doc->charts = nc;
    report_chart *c = &nc[doc->n_charts];
    memset(c, 0, sizeof *c);
    strbuf_init(&c->svg);
    strbuf_init(&c->png);
    c->file = strdup(file);
    c->title = strdup(title);
    c->caption = strdup(caption);
    doc->n_charts++;
    if (!c->file || !c->title || !c->caption)
        return NULL;
    return c;
}

/* "inuse_space, total 12.50 MiB, 2026-11-26 12:00:00 UTC, heap.pb.gz" */
static void subtitle(char *buf, size_t n, const report_profile *r, int si, int64_t total,
                     const report_profile *base)
{
    const profile *p = r->p;
    char v[64], when[64] = "";
    units_human(v, sizeof v, total, profile_str(p, p->sample_types[si].unit));
    if (r->time_ns) {
        time_t t = (time_t)(r->time_ns / 1000000000);
        struct tm tm;
        if (gmtime_r(&t, &tm))
            strftime(when, sizeof when, ", %Y-%m-%d %H:%M:%S UTC", &tm);
    }
    snprintf(buf, n, "%s, total %s%s, %s%s%s", profile_str(p, p->sample_types[si].type), v,
             when, r->name, base ? " against " : "", base ? base->name : "");
}

/* One flame graph of r's sample type named sample (else its default),
 * against base when not NULL. */
static int flame_chart(report_doc *doc, const char *file, const char *title,
                       const char *caption, const report_profile *r, const char *sample,
                       const report_profile *base)
{
    const profile *p = r->p;
    int si = sample ? profile_find_sample_index(p, sample) : -1;
    if (si < 0)
        si = profile_default_sample_index(p);
    if (si < 0)
        return 0; /* no sample types: nothing to draw */
    const char *type = profile_str(p, p->sample_types[si].type);
    int bsi = base ? profile_find_sample_index(base->p, type) : -1;
    if (base && bsi < 0)
        base = NULL;
    calltree *t;
    calltree_options co = CALLTREE_OPTIONS_INIT;
    int rc = calltree_create(&t);
    if (rc)
        return rc;
    if ((rc = calltree_add_profile(t, p, si, &co, false)) ||
        (base && (rc = calltree_add_profile(t, base->p, bsi, &co, true))) ||
        (rc = calltree_sort(t, false)))
        goto out;
    flame_options o = FLAME_OPTIONS_INIT;
    const char *unit = profile_str(p, p->sample_types[si].unit);
    char sub[512];
    subtitle(sub, sizeof sub, r, si, t->total, base);
    const char *k;
    units_scale(1, unit, "?", &k);
    o.palette = (!strcmp(k, "B") || strstr(type, "objects") || strstr(type, "alloc") ||
                 strstr(type, "inuse")) ? PALETTE_MEM : PALETTE_HOT;
    o.title = title;
    o.subtitle = sub;
    o.unit = unit;
    o.sample_type = type;
    o.diff = base != NULL;
    report_chart *c = report_chart_add(doc, file, title, caption);
    if (!c) {
        rc = hearth_error_set(HEARTH_ENOMEM, "out of memory");
        goto out;
    }
    rc = flame_write(&c->svg, t, &o);
    if (!rc && c->svg.oom)
        rc = hearth_error_set(HEARTH_ENOMEM, "out of memory");
out:
    calltree_destroy(t);
    if (rc && hearth_error_code() != rc)
        hearth_error_set(rc, "%s: cannot draw the flame graph", r->name);
    return rc;
}

int report_charts_draw(report_doc *doc, report_inputs *in, const report_options *o)
{
    report_profile *heap = report_latest(in, REPORT_HEAP);
    report_profile *base = in->base_heap ? in->base_heap : report_earliest(in, REPORT_HEAP);
    report_profile *allocs = report_latest(in, REPORT_ALLOCS);
    report_profile *cpu = report_latest(in, REPORT_CPU);
    report_profile *threads = report_latest(in, REPORT_GOROUTINE);
    int rc = 0;
    if (!rc && in->n_timelines)
        rc = report_timeline_add(doc, in);
    if (!rc && heap && base)
        rc = flame_chart(doc, "heap-growth", "Heap growth (differential)",
                         "In-use bytes of the latest heap profile; red frames grew since the base "
                         "profile, blue ones shrank", heap, "inuse_space", base);
    if (!rc && heap)
        rc = flame_chart(doc, "heap-inuse", "Heap in use",
                         "Bytes in use by allocation stack at the latest heap profile", heap,
                         "inuse_space", NULL);
    if (!rc && (allocs || heap))
        rc = flame_chart(doc, "heap-allocs", "Allocations",
                         "Bytes allocated since the process started, freed or not, by stack",
                         allocs ? allocs : heap, "alloc_space", NULL);
    if (!rc && cpu)
        rc = flame_chart(doc, "cpu", "CPU", "CPU time by stack", cpu, NULL, NULL);
    if (!rc && threads)
        rc = flame_chart(doc, "threads", "Threads", "Threads (goroutines) by stack", threads,
                         NULL, NULL);
    if (!rc && heap)
        rc = report_callgraph_add(doc, heap, "inuse_space", "heap-graph", "Heap call graph",
                                  "In-use bytes by caller and callee, as go tool pprof -svg draws "
                                  "them (wheel to zoom, drag to pan)", o->png);
    if (!rc && cpu)
        rc = report_callgraph_add(doc, cpu, NULL, "cpu-graph", "CPU call graph",
                                  "CPU time by caller and callee, as go tool pprof -svg draws "
                                  "them (wheel to zoom, drag to pan)", o->png);
    /* Profiles of other kinds (block, mutex, folded stacks) are drawn too. */
    for (size_t i = 0, k = 0; i < in->n_profiles && !rc; i++) {
        report_profile *r = &in->profiles[i];
        if (r->kind != REPORT_OTHER)
            continue;
        char file[32], title[300];
        snprintf(file, sizeof file, "other-%zu", ++k);
        snprintf(title, sizeof title, "Profile %s", r->name);
        rc = flame_chart(doc, file, title, "Flame graph of a profile of another kind", r, NULL, NULL);
    }
    return rc;
}
