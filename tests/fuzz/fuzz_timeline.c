/*
 * libFuzzer target for the timeline readers (formats/timeline.c,
 * gclog_go.c, gclog_jvm.c): any bytes go through timeline_detect and
 * timeline_read, and through gclog_go_read and gclog_jvm_read directly
 * (they skip what is not a GC line, so any text is theirs). A failure is
 * HEARTH_EFORMAT from detection, or from a hearth file with one line naming
 * a line that exists; GC logs never fail. A result keeps its counts
 * consistent with the input's lines, record lines increasing and in range,
 * times and durations finite, sizes and counts -1 or more, strings
 * NUL-terminated on one line; a hearth timeline written back with the
 * timeline_format_* helpers reads back equal. Whatever parses as a GC line
 * in the first 64 KiB makes detection succeed.
 * tests/fuzz/replay.c runs it over tests/fuzz/corpus/timeline in `make test`.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../formats/error.h"
#include "../../formats/timeline.h"
#include "fuzz.h"

/* timeline_detect looks at no more than this. */
#define DETECT_BYTES ((size_t)1 << 16)

static size_t count_newlines(const uint8_t *data, size_t size)
{
    size_t n = 0;
    for (size_t i = 0; i < size; i++)
        n += data[i] == '\n';
    return n;
}

/* A failure: a known code, the same code recorded, one line. A hearth
 * file's EFORMAT names a line of the input ("line 12: ..."). */
static void check_failure(int rc, const uint8_t *data, size_t size, bool names_line)
{
    const char *msg = hearth_error_last();
    FUZZ_ASSERT(rc == HEARTH_EFORMAT || rc == HEARTH_ENOMEM || rc == HEARTH_ELIMIT,
                "rc %d: %s", rc, msg);
    FUZZ_ASSERT(hearth_error_code() == rc, "code %d, rc %d", hearth_error_code(), rc);
    FUZZ_ASSERT(msg[0] != '\0', "empty message for rc %d", rc);
    FUZZ_ASSERT(!strchr(msg, '\n'), "message is not one line: %s", msg);
    if (rc != HEARTH_EFORMAT || !names_line)
        return;
    unsigned long line = 0;
    FUZZ_ASSERT(sscanf(msg, "line %lu: ", &line) == 1 && line >= 1,
                "message names no line: %s", msg);
    size_t lines = count_newlines(data, size) + 1;
    FUZZ_ASSERT(line <= lines, "line %lu of %zu: %s", line, lines, msg);
}

/* A string the model holds: present, and on one line unless it is the
 * unescaped text of a hearth event or exe, which may hold anything. */
static void check_str(const char *s, bool one_line, const char *what)
{
    FUZZ_ASSERT(s != NULL, "%s is NULL", what);
    size_t n = strlen(s);
    FUZZ_ASSERT(!one_line || !memchr(s, '\n', n), "%s holds a newline", what);
}

/* A duration: -1 (unknown) or a finite non-negative number. */
static void check_ms(double v, const char *what, size_t i)
{
    FUZZ_ASSERT(isfinite(v) && (v >= 0 || v == -1), "gcs[%zu].%s = %g", i, what, v);
}

/* An amount: -1 (unknown) or more. */
static void check_amount(int64_t v, const char *what, size_t i)
{
    FUZZ_ASSERT(v >= -1, "[%zu].%s = %lld", i, what, (long long)v);
}

static void check_timeline(const timeline *t, timeline_source src, const uint8_t *data,
                           size_t size)
{
    FUZZ_ASSERT(t->source == src, "source %d, detected %d", (int)t->source, (int)src);
    FUZZ_ASSERT(t->n_ticks <= t->cap_ticks && (!t->n_ticks || t->ticks), "ticks");
    FUZZ_ASSERT(t->n_gcs <= t->cap_gcs && (!t->n_gcs || t->gcs), "gcs");
    FUZZ_ASSERT(t->n_events <= t->cap_events && (!t->n_events || t->events), "events");
    check_str(t->exe, false, "exe");

    size_t nl = count_newlines(data, size);
    bool partial = size && data[size - 1] != '\n';
    if (src == TIMELINE_HEARTH) {
        /* Every complete line is read; a partial last one is flagged. */
        FUZZ_ASSERT(t->lines == nl, "lines %zu, newlines %zu", t->lines, nl);
        FUZZ_ASSERT(t->truncated_last_line == partial, "truncated_last_line %d",
                    t->truncated_last_line);
        FUZZ_ASSERT(t->n_gcs == 0, "a hearth file with %zu GCs", t->n_gcs);
        FUZZ_ASSERT(t->n_ticks + t->n_events + t->skipped_lines <= t->lines,
                    "%zu ticks + %zu events + %zu skipped > %zu lines",
                    t->n_ticks, t->n_events, t->skipped_lines, t->lines);
        FUZZ_ASSERT(t->pid >= -1 && t->ppid >= -1, "pid %lld ppid %lld",
                    (long long)t->pid, (long long)t->ppid);
        FUZZ_ASSERT(isfinite(t->interval_s) && t->interval_s >= 0, "interval_s %g",
                    t->interval_s);
    } else {
        /* A GC log's last line counts without its newline. */
        FUZZ_ASSERT(t->lines == nl + partial, "lines %zu, newlines %zu", t->lines, nl);
        FUZZ_ASSERT(t->n_ticks == 0 && t->n_events == 0, "a GC log with ticks or events");
        FUZZ_ASSERT(t->n_gcs + t->skipped_lines <= t->lines,
                    "%zu GCs + %zu skipped > %zu lines", t->n_gcs, t->skipped_lines,
                    t->lines);
    }

    for (size_t i = 0; i < t->n_ticks; i++) {
        const timeline_tick *k = &t->ticks[i];
        FUZZ_ASSERT(isfinite(k->t_s) && k->t_s >= 0, "ticks[%zu].t_s = %g", i, k->t_s);
        for (int c = 0; c < TL_NCOLS; c++)
            check_amount(k->v[c], timeline_columns[c].name, i);
    }
    size_t prev = 0;
    for (size_t i = 0; i < t->n_events; i++) {
        const timeline_event_rec *e = &t->events[i];
        FUZZ_ASSERT(isfinite(e->t_s) && e->t_s >= 0, "events[%zu].t_s = %g", i, e->t_s);
        FUZZ_ASSERT(e->line > prev && e->line <= t->lines, "events[%zu].line %zu after %zu of %zu",
                    i, e->line, prev, t->lines);
        prev = e->line;
        check_str(e->kind, false, "event kind");
        check_str(e->detail, false, "event detail");
    }
    prev = 0;
    for (size_t i = 0; i < t->n_gcs; i++) {
        const timeline_gc *g = &t->gcs[i];
        FUZZ_ASSERT(isfinite(g->t_s), "gcs[%zu].t_s = %g", i, g->t_s);
        FUZZ_ASSERT(!t->no_time || g->t_s == (double)i, "gcs[%zu].t_s = %g without time", i,
                    g->t_s);
        FUZZ_ASSERT(g->line > prev && g->line <= t->lines, "gcs[%zu].line %zu after %zu of %zu",
                    i, g->line, prev, t->lines);
        prev = g->line;
        FUZZ_ASSERT(g->id >= 0, "gcs[%zu].id = %lld", i, (long long)g->id);
        check_ms(g->pause_ms, "pause_ms", i);
        check_ms(g->stw1_ms, "stw1_ms", i);
        check_ms(g->concurrent_ms, "concurrent_ms", i);
        check_ms(g->stw2_ms, "stw2_ms", i);
        check_ms(g->cpu_ms, "cpu_ms", i);
        FUZZ_ASSERT(g->percent >= -1 && g->procs >= -1, "gcs[%zu]: percent %d procs %d", i,
                    g->percent, g->procs);
        check_amount(g->heap_before, "heap_before", i);
        check_amount(g->heap_after, "heap_after", i);
        check_amount(g->heap_live, "heap_live", i);
        check_amount(g->heap_goal, "heap_goal", i);
        check_amount(g->heap_capacity, "heap_capacity", i);
        check_amount(g->stacks, "stacks", i);
        check_amount(g->globals, "globals", i);
        check_str(g->kind, true, "gc kind");
        if (src == TIMELINE_GO)
            FUZZ_ASSERT(strcmp(g->kind, "gc") == 0, "Go kind \"%s\"", g->kind);
    }
}

/* Equal up to put_seconds' rounding to microseconds. */
static bool seconds_near(double a, double b)
{
    return fabs(a - b) <= 1e-6 + 4 * DBL_EPSILON * fabs(a);
}

/* Writes a hearth timeline back with the writer helpers libhearth uses;
 * returns the text (malloc'd) and its length. */
static char *write_hearth(const timeline *t, size_t *len)
{
    size_t cap = 4096 + 4 * strlen(t->exe);
    for (size_t i = 0; i < t->n_events; i++)
        cap += 64 + 4 * (strlen(t->events[i].kind) + strlen(t->events[i].detail));
    cap += t->n_ticks * 512;
    char *buf = malloc(cap);
    FUZZ_ASSERT(buf, "out of memory");
    size_t o = 0, n;
    n = timeline_format_header(buf, cap, t->pid, t->ppid, t->start_unix_ns, t->interval_s,
                               t->exe);
    FUZZ_ASSERT(n > 0, "timeline_format_header does not fit in %zu", cap);
    o += n;
    for (size_t i = 0; i < t->n_ticks; i++) {
        n = timeline_format_tick(buf + o, cap - o, &t->ticks[i]);
        FUZZ_ASSERT(n > 0, "timeline_format_tick(%zu) does not fit", i);
        o += n;
    }
    for (size_t i = 0; i < t->n_events; i++) {
        const timeline_event_rec *e = &t->events[i];
        n = timeline_format_event(buf + o, cap - o, e->t_s, e->kind, e->detail);
        FUZZ_ASSERT(n > 0, "timeline_format_event(%zu) does not fit", i);
        o += n;
    }
    *len = o;
    return buf;
}

/* What the writer writes, the reader reads back: header fields, ticks and
 * events (in that order; line numbers and unknown columns aside). */
static void check_hearth_roundtrip(const timeline *a)
{
    size_t len = 0;
    char *text = write_hearth(a, &len);
    timeline *b = NULL;
    int rc = timeline_read(&b, text, len);
    FUZZ_ASSERT(rc == 0, "re-read of written timeline: %s\n--- text:\n%.*s",
                hearth_error_last(), (int)len, text);
    FUZZ_ASSERT(b->source == TIMELINE_HEARTH && !b->truncated_last_line, "re-read source");
    FUZZ_ASSERT(b->pid == a->pid && b->ppid == a->ppid && b->start_unix_ns == a->start_unix_ns,
                "process: pid %lld/%lld ppid %lld/%lld start %lld/%lld", (long long)a->pid,
                (long long)b->pid, (long long)a->ppid, (long long)b->ppid,
                (long long)a->start_unix_ns, (long long)b->start_unix_ns);
    FUZZ_ASSERT(seconds_near(a->interval_s, b->interval_s), "interval_s %.9g became %.9g",
                a->interval_s, b->interval_s);
    FUZZ_ASSERT(strcmp(a->exe, b->exe) == 0, "exe \"%s\" became \"%s\"", a->exe, b->exe);
    FUZZ_ASSERT(a->n_ticks == b->n_ticks && a->n_events == b->n_events,
                "%zu ticks %zu events became %zu and %zu", a->n_ticks, a->n_events,
                b->n_ticks, b->n_events);
    for (size_t i = 0; i < a->n_ticks; i++) {
        FUZZ_ASSERT(seconds_near(a->ticks[i].t_s, b->ticks[i].t_s),
                    "ticks[%zu].t_s %.9g became %.9g", i, a->ticks[i].t_s, b->ticks[i].t_s);
        FUZZ_ASSERT(memcmp(a->ticks[i].v, b->ticks[i].v, sizeof a->ticks[i].v) == 0,
                    "ticks[%zu] values differ", i);
    }
    for (size_t i = 0; i < a->n_events; i++) {
        const timeline_event_rec *x = &a->events[i], *y = &b->events[i];
        FUZZ_ASSERT(seconds_near(x->t_s, y->t_s), "events[%zu].t_s %.9g became %.9g", i,
                    x->t_s, y->t_s);
        FUZZ_ASSERT(strcmp(x->kind, y->kind) == 0 && strcmp(x->detail, y->detail) == 0,
                    "events[%zu] \"%s\" \"%s\" became \"%s\" \"%s\"", i, x->kind, x->detail,
                    y->kind, y->detail);
    }
    timeline_destroy(b);
    free(text);
}

/* Runs one GC reader directly; returns the timeline, or NULL on ENOMEM. */
static timeline *read_gc_log(timeline_source src, const uint8_t *data, size_t size)
{
    timeline *t = NULL;
    int rc = timeline_create(&t, src);
    if (rc) {
        check_failure(rc, data, size, false);
        return NULL;
    }
    const char *buf = (const char *)data;
    rc = src == TIMELINE_GO ? gclog_go_read(t, buf, size) : gclog_jvm_read(t, buf, size);
    if (rc) {
        FUZZ_ASSERT(rc == HEARTH_ENOMEM, "GC log reader failed: %d %s", rc,
                    hearth_error_last());
        check_failure(rc, data, size, false);
        timeline_destroy(t);
        return NULL;
    }
    return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    timeline_source src = TIMELINE_HEARTH;
    timeline *t = NULL;

    hearth_error_clear();
    int drc = timeline_detect(&src, buf, size);
    if (drc) {
        FUZZ_ASSERT(drc < 0, "detect rc %d", drc);
        check_failure(drc, data, size, false);
        FUZZ_ASSERT(drc == HEARTH_EFORMAT, "detect rc %d", drc);
    }
    hearth_error_clear();
    int rc = timeline_read(&t, buf, size);
    if (drc) {
        FUZZ_ASSERT(rc == drc, "detection failed (%d) but timeline_read gave %d", drc, rc);
        check_failure(rc, data, size, false);
    } else if (rc) {
        FUZZ_ASSERT(rc < 0, "rc %d", rc);
        FUZZ_ASSERT(src == TIMELINE_HEARTH || rc == HEARTH_ENOMEM,
                    "a GC log (source %d) failed: %s", (int)src, hearth_error_last());
        check_failure(rc, data, size, src == TIMELINE_HEARTH);
    } else {
        FUZZ_ASSERT(t != NULL, "success without a timeline");
        check_timeline(t, src, data, size);
        if (src == TIMELINE_HEARTH)
            check_hearth_roundtrip(t);
        if (src == TIMELINE_GO)
            FUZZ_ASSERT(t->n_gcs >= 1, "detected as gctrace, but no GC read");
    }

    /* Both GC readers over the same bytes, whatever was detected. */
    for (int k = 0; k < 2; k++) {
        timeline_source s = k ? TIMELINE_JVM : TIMELINE_GO;
        timeline *g = read_gc_log(s, data, size);
        if (!g)
            continue;
        check_timeline(g, s, data, size);
        if (!drc && !rc && src == s)
            FUZZ_ASSERT(g->n_gcs == t->n_gcs, "%zu GCs directly, %zu via timeline_read",
                        g->n_gcs, t->n_gcs);
        timeline_destroy(g);
        /* A GC line among the first bytes is what detection looks for. */
        if (drc) {
            g = read_gc_log(s, data, size < DETECT_BYTES ? size : DETECT_BYTES);
            FUZZ_ASSERT(!g || g->n_gcs == 0,
                        "detection failed, but line %zu is a %s GC line",
                        g->gcs[0].line, k ? "JVM" : "Go");
            timeline_destroy(g);
        }
    }
    timeline_destroy(t);
    return 0;
}
