/*
 * Is memory really growing? A least-squares line through the heap a
 * timeline says is alive (post-GC live heap for Go and the JVM, in-use heap
 * for hearth) over a window, and the sentence the chart prints about it.
 */
#ifndef HEARTH_RENDER_TIMELINE_FIT_H
#define HEARTH_RENDER_TIMELINE_FIT_H

#include <stdbool.h>
#include <stddef.h>

#include "../formats/timeline.h"

typedef struct tl_fit {
    bool ok;            /* at least 3 points at 2+ distinct times */
    size_t n;           /* points in the window */
    double t0, t1;      /* the window: first and last point's time */
    double slope;       /* bytes per second */
    double intercept;   /* bytes at t = 0 */
    double r2;          /* coefficient of determination, 0..1 */
    double mean;        /* mean of the points, bytes */
    const char *what;   /* "in-use heap", "live heap", "heap after GC" */
    bool no_time;       /* the input's times are GC numbers: no verdict */
} tl_fit;

/* Fits t's own series over its last window_s seconds (0 = the whole
 * run). Returns 0 or HEARTH_ENOMEM; a series too short leaves ok false. */
int tl_fit_timeline(tl_fit *out, const timeline *t, double window_s);

/* The verdict: "live heap grows 12.3 MiB/h over the last 30 min (R^2
 * 0.97)", "in-use heap is flat (+0.1 KiB/h over the whole run, 5.0 s,
 * R^2 0.02)", or "in-use heap: too few points to fit". A trend is a
 * change of at least 2% of the mean across the window with R^2 >= 0.5. */
void tl_fit_verdict(char *buf, size_t n, const tl_fit *f, double window_s);

/* A rate for people: "12.3 MiB/h" (B, KiB, MiB, GiB per hour), signed. */
void tl_fit_rate(char *buf, size_t n, double bytes_per_s);

/* "5.0 s", "12 min", "3.5 h". */
void tl_fit_duration(char *buf, size_t n, double s);

#endif
