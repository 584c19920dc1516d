/*
 * The incident report: profiles (and timelines) in, one folder out with
 * summary.md, index.html, every chart as SVG and PNG, and FOLDER.tar.gz.
 *
 * The work is split by job: report_inputs.c loads and classifies the
 * inputs, report_analyze.c turns them into tables (report_doc), report_md.c
 * and report_html.c write those tables for their language, report_charts.c
 * draws the charts, report.c runs it all and writes the files.
 */
#ifndef HEARTH_RENDER_REPORT_H
#define HEARTH_RENDER_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../formats/profile.h"
#include "../formats/strbuf.h"

/* What a profile is, judged by its sample types (Go's heap and allocs
 * profiles share theirs and differ by default_sample_type). */
typedef enum report_kind {
    REPORT_HEAP,         /* inuse_space is the default (or only) view */
    REPORT_ALLOCS,       /* the same types, alloc_space the default */
    REPORT_CPU,          /* samples/count + cpu/nanoseconds */
    REPORT_GOROUTINE,    /* goroutine/count: threads by stack */
    REPORT_THREADCREATE, /* threadcreate/count */
    REPORT_OTHER,        /* anything else (block, mutex, folded): drawn only */
} report_kind;

/* A loaded input profile. Everything is owned by the report_inputs. */
typedef struct report_profile {
    char *path;          /* as given (file or URL) */
    char *name;          /* its base name, for tables and captions */
    profile *p;          /* loaded and pruned (drop_frames applied) */
    report_kind kind;
    int64_t time_ns;     /* the profile's time, else when it was captured, else 0 */
    long pid;            /* from a libhearth file name PREFIX.PID.SEQ.*, else 0 */
    size_t order;        /* position among the inputs, to break time ties */
} report_profile;

/* capture.txt of a `hearth capture` folder: "key: value" lines. */
typedef struct report_meta {
    char *url;           /* the service's base URL */
    char *cmdline;       /* its command line, arguments separated by spaces */
    char *time;          /* when the capture started, RFC 3339 UTC */
    char *host;          /* host:port of the URL */
    long seconds;        /* the CPU profile's length */
    char *files;         /* "name time" of each file saved, one per line */
} report_meta;

typedef struct report_inputs {
    report_profile *profiles;
    size_t n_profiles;
    char **timelines;    /* timeline and GC log files, paths as given */
    size_t n_timelines;
    report_meta meta;    /* fields NULL when no capture.txt was read */
    report_profile *base_heap;   /* from --base; also in base_extra */
    report_profile *base_threads;
    report_profile *base_extra;  /* profiles read from --base (not inputs) */
    size_t n_base_extra;
    size_t max_input;            /* largest input accepted (--max-input) */
} report_inputs;

/*
 * Loads every input: profile files or URLs, timeline files (by name:
 * *.timeline, *gctrace*, *.gclog, *gc.log), and folders (their profiles,
 * timelines and capture.txt; other files skipped). base, when not NULL, is
 * an earlier heap profile or capture folder to compare with. Returns 0, or
 * -1 after printing "hearth: FILE: message" for the first bad input.
 */
int report_inputs_load(report_inputs *in, const char *const *paths, size_t n_paths,
                       const char *base, const char *const *timelines,
                       size_t n_timelines, size_t max_input);
void report_inputs_fini(report_inputs *in);

/* The kind of a profile (see report_kind). */
report_kind report_classify(const profile *p);
const char *report_kind_name(report_kind k);

/* The latest profile of a kind (by time, then input order), or NULL. */
report_profile *report_latest(report_inputs *in, report_kind k);
/* The earliest one when there are two or more, else NULL. */
report_profile *report_earliest(report_inputs *in, report_kind k);

/* A table of plain-text cells; report_md.c and report_html.c escape them
 * for their language. Cells are owned. */
typedef struct report_table {
    char *title;
    char *note;            /* a sentence under the title, or NULL */
    size_t n_cols;
    const char *const *headers;
    const char *align;     /* 'l' or 'r' per column */
    char **cells;          /* row-major, n_rows * n_cols */
    size_t n_rows, cap_rows;
    const char *empty;     /* said instead of an empty table */
} report_table;

/* A chart: one SVG (and its PNG), written as FILE.svg and FILE.png. */
typedef struct report_chart {
    char *file;            /* file name without extension, e.g. "heap-flame" */
    char *title;
    char *caption;         /* what it shows, one sentence */
    strbuf svg, png;
} report_chart;

/* Everything the report says, before it is written in any language. */
typedef struct report_doc {
    char *title;
    char **verdicts;       /* the findings first: one sentence each */
    size_t n_verdicts;
    report_table *tables;  /* in order: what was profiled, leak suspects, ... */
    size_t n_tables;
    report_chart *charts;
    size_t n_charts;
    char *generated;       /* "hearth 0.1.0, 2026-11-26 12:00:00 UTC" */
} report_doc;

typedef struct report_options {
    size_t top_n;          /* rows of the site/function/suspect tables (10) */
    bool png;              /* also write a PNG of every chart */
} report_options;

#define REPORT_OPTIONS_INIT { 10, true }

/* Fills doc's verdicts and tables from in. Returns 0 or HEARTH_ENOMEM. */
int report_analyze(report_doc *doc, report_inputs *in, const report_options *o);

/* Draws doc's charts: flame graphs of each kind present, the differential
 * heap flame graph, the timeline and the call graphs. Returns 0, or an
 * error with its message (naming the input). */
int report_charts_draw(report_doc *doc, report_inputs *in, const report_options *o);

/* Appends summary.md / index.html for doc. Return 0 or HEARTH_ENOMEM. */
int report_md_write(strbuf *out, const report_doc *doc);
int report_html_write(strbuf *out, const report_doc *doc);

/* Appends s escaped for markdown text (table cells included): markdown's
 * punctuation backslash-escaped, newlines and tabs as spaces, control
 * characters and invalid UTF-8 as U+FFFD. */
void report_md_escape(strbuf *out, const char *s);

/* Table building, for report_analyze.c. */
int report_table_init(report_table *t, const char *title, size_t n_cols,
                      const char *const *headers, const char *align, const char *empty);
/* Appends a row of n_cols printf-free cells (copied). Returns 0 or ENOMEM. */
int report_table_row(report_table *t, const char *const *cells);
void report_doc_fini(report_doc *doc);

/*
 * The whole report: loads paths (and base, timelines), analyzes, draws,
 * and writes DIR/summary.md, DIR/index.html, an SVG and a PNG per chart, then
 * DIR.tar.gz holding every file of DIR. Nothing is written unless
 * everything was drawn; each file goes through a temporary name and a
 * rename. Prints one line per error; returns the exit status.
 */
int report_run(const char *dir, const char *const *paths, size_t n_paths,
               const char *base, const char *const *timelines, size_t n_timelines,
               size_t max_input, const report_options *o);

#endif
