/*
 * The timeline model: what a process's memory, allocation and GC behaviour
 * looked like over time. One model for three sources: hearth's own
 * PREFIX.PID.timeline files (ticks and events, written by libhearth), Go's
 * GODEBUG=gctrace=1 output and the JVM's -Xlog:gc (one record per
 * collection). The renderer draws any mix of them on one time axis.
 *
 * The file format (documented in docs/FORMATS.md) is line-oriented, tab
 * separated and append-only; its header names every column and unit. The
 * writer half of this module formats into caller buffers without
 * allocating, because libhearth writes ticks from inside the service.
 */
#ifndef HEARTH_FORMATS_TIMELINE_H
#define HEARTH_FORMATS_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"

#define TIMELINE_MAGIC "hearth-timeline"
#define TIMELINE_VERSION 1

typedef enum timeline_source {
    TIMELINE_HEARTH, /* libhearth's recording */
    TIMELINE_GO,     /* GODEBUG=gctrace=1 */
    TIMELINE_JVM,    /* -Xlog:gc */
} timeline_source;

/* The columns of a tick, in file order. Every value is an integer; a value
 * the recorder could not measure is written "-" and read as -1. */
enum {
    TL_HEAP_BYTES,    /* bytes in blocks allocated and not freed (usable size) */
    TL_HEAP_OBJECTS,  /* blocks allocated and not freed */
    TL_ALLOC_BYTES,   /* cumulative bytes allocated */
    TL_ALLOC_OBJECTS, /* cumulative allocations */
    TL_FREE_BYTES,    /* cumulative bytes freed */
    TL_FREE_OBJECTS,  /* cumulative frees */
    TL_RSS_BYTES,     /* resident set size */
    TL_RSS_PEAK_BYTES,/* peak resident set size */
    TL_THREADS,       /* threads of the process */
    TL_FDS,           /* open file descriptors */
    TL_CPU_USER_US,   /* process user CPU time, microseconds */
    TL_CPU_SYS_US,    /* process system CPU time, microseconds */
    TL_NCOLS
};

typedef struct timeline_column {
    const char *name; /* as in the file's "column" lines */
    const char *unit; /* bytes, count, microseconds */
    const char *what; /* one line for people */
} timeline_column;

/* The column table shared by the writer and the reader. */
extern const timeline_column timeline_columns[TL_NCOLS];

typedef struct timeline_tick {
    double t_s;         /* seconds since the recording started */
    int64_t v[TL_NCOLS];/* -1 = not measured */
} timeline_tick;

/* One collection of a GC log. Unknown values are -1. */
typedef struct timeline_gc {
    double t_s;            /* seconds since the process started */
    int64_t id;            /* the log's GC number */
    double pause_ms;       /* stop-the-world time of this line */
    double stw1_ms, concurrent_ms, stw2_ms; /* Go: the three clock parts */
    double cpu_ms;         /* Go: the five CPU parts, summed */
    int percent;           /* Go: GC's share of CPU since start, % */
    int64_t heap_before;   /* bytes at the start of the collection */
    int64_t heap_after;    /* bytes at its end */
    int64_t heap_live;     /* Go: marked live heap; JVM: heap_after */
    int64_t heap_goal;     /* Go: the next goal */
    int64_t heap_capacity; /* JVM: committed heap, the (N) */
    int64_t stacks, globals; /* Go 1.18+ */
    int procs;             /* Go: P */
    bool forced;           /* Go: (forced) */
    const char *kind;      /* JVM: "Pause Young (Normal) (G1 Evacuation
                              Pause)"; Go: "gc"; arena string */
    size_t line;           /* 1-based line in the input */
} timeline_gc;

/* A labelled moment: heap_dump FILE, cpu_start, fork child=PID, dlopen
 * PATH, mark TEXT, exit. Strings live in the timeline's arena. */
typedef struct timeline_event {
    double t_s;
    const char *kind;
    const char *detail;
    size_t line;
} timeline_event_rec;

typedef struct timeline {
    timeline_source source;
    int64_t pid, ppid;         /* hearth: the header's; -1 unknown */
    int64_t start_unix_ns;     /* wall time of t = 0; 0 unknown */
    double interval_s;         /* hearth: the tick interval */
    const char *exe;           /* hearth: the program; may be "" */
    timeline_tick *ticks;      /* in file order */
    size_t n_ticks;
    timeline_gc *gcs;
    size_t n_gcs;
    timeline_event_rec *events;
    size_t n_events;
    size_t lines;              /* lines read */
    size_t skipped_lines;      /* lines that were not ticks, events or GCs */
    bool truncated_last_line;  /* the file ended inside a line: ignored */
    bool no_time;              /* JVM log without time decorations: t_s is
                                  the GC number */
    arena mem;                 /* strings and nothing else */
    size_t cap_ticks, cap_gcs, cap_events;
} timeline;

/* Detects the source of buf from its content: the magic line, a gctrace
 * line or a -Xlog:gc line among the first lines. Returns 0 and *out, or
 * HEARTH_EFORMAT when it is none of them. */
int timeline_detect(timeline_source *out, const char *buf, size_t len);

/* Parses buf (of the detected source) into *out (caller's; destroy it).
 * A hearth file: header, columns, ticks and events; a truncated last line
 * is ignored and flagged; a bad complete line is HEARTH_EFORMAT naming it
 * ("line 12: tick has 5 values, the header names 12"). GC logs: lines that
 * are not GC lines are skipped and counted, never fatal. */
int timeline_read(timeline **out, const char *buf, size_t len);
void timeline_destroy(timeline *t);

/* --- for the importers (gclog_go.c, gclog_jvm.c) --- */

/* An empty timeline of the given source. Returns 0 or HEARTH_ENOMEM. */
int timeline_create(timeline **out, timeline_source source);
/* Appends a copy of gc (kind copied into the arena). Returns 0 or
 * HEARTH_ENOMEM. */
int timeline_add_gc(timeline *t, const timeline_gc *gc, const char *kind,
                    size_t kind_len);
int timeline_add_event(timeline *t, double t_s, const char *kind,
                       const char *detail, size_t line);

/* Whole-log readers, called by timeline_read after detection. */
int gclog_go_read(timeline *t, const char *buf, size_t len);
int gclog_jvm_read(timeline *t, const char *buf, size_t len);

/* Line parsers, exposed for the tests. gclog_go_parse_line returns 1 and
 * fills *gc (kind = "gc") when the line holds a gctrace record (anywhere in
 * the line: the program's own output may precede it), else 0. */
int gclog_go_parse_line(timeline_gc *gc, const char *line, size_t len);
/* A JVM unified-logging line: 1 when it is a collection (GC(N) with a heap
 * transition), else 0. *wall_ns gets a wall-clock decoration (0 if none);
 * *has_time whether any time decoration was found; the kind (e.g. "Pause
 * Young (Normal) (G1 Evacuation Pause)") is returned as *kind, *kind_len,
 * pointing into line. */
int gclog_jvm_parse_line(timeline_gc *gc, int64_t *wall_ns, bool *has_time,
                         const char **kind, size_t *kind_len,
                         const char *line, size_t len);
/* Whether line is a -Xlog line of the gc tag set or names a GC(N). */
bool gclog_jvm_looks_like(const char *line, size_t len);
/* Whether line holds a gctrace record. */
bool gclog_go_looks_like(const char *line, size_t len);

/* --- writer helpers: no allocation, for libhearth --- */

/* Each formats one line, newline included, into buf (size n) and returns
 * its length, or 0 when it does not fit. */
size_t timeline_format_header(char *buf, size_t n, int64_t pid, int64_t ppid,
                              int64_t start_unix_ns, double interval_s,
                              const char *exe);
size_t timeline_format_tick(char *buf, size_t n, const timeline_tick *t);
/* kind: [a-z_]+; detail is escaped (\\, \t, \n and control bytes as \xHH). */
size_t timeline_format_event(char *buf, size_t n, double t_s, const char *kind,
                             const char *detail);

#endif
